//! What the Python and Node.js bindings share (features `python` and
//! `node`): their limits on converted values, the errors they give for a
//! value that cannot be a target or a request attribute, the typing of
//! request attributes by the policies' schemas, and a routing request built
//! from their arguments.
//!
//! Each binding reads its own language's values; what it decides about
//! them, and every message it gives, is here, so that the two answer alike.

use crate::{AttrKind, Date, Diagnostic, Error, Request, RequestAttrs, Schema, Value};

/// Deepest nesting accepted in a value given as a target.
pub(crate) const MAX_DEPTH: usize = 32;

/// Most targets one call converts.
pub(crate) const MAX_TARGETS: usize = 10_000_000;

/// Most keys one mapping or object may have.
pub(crate) const MAX_KEYS: usize = 100_000;

/// Most values one call converts, counting every mapping, text, number,
/// boolean and null it reads. A mapping reached twice (the same inner
/// mapping named under two keys) is converted, and counted, once for each
/// way it is reached, so without this limit a small value could cost time
/// and memory exponential in its depth.
pub(crate) const MAX_VALUES: usize = 1 << 24;

/// Most values one target converts: a bound on the copy of one target held
/// at once, far more than a real target needs (six fields, and three
/// values for each attribute at most).
pub(crate) const MAX_TARGET_VALUES: usize = 1 << 16;

/// A value that cannot be a target, at `path` (`targets[3].attributes.soc2`).
pub(crate) fn invalid_target(path: &str, message: impl std::fmt::Display) -> Error {
    Error::single(Diagnostic::error(
        "catalog/invalid-target",
        format!("`{path}`: {message}"),
    ))
}

/// A configuration value (a LiteLLM `model_list`) that cannot be read.
pub(crate) fn invalid_config(message: impl std::fmt::Display) -> Error {
    Error::single(Diagnostic::error(
        "catalog/invalid-target",
        message.to_string(),
    ))
}

/// Checks a key of a target's top level: a field of the catalog format
/// (docs/CATALOG.md), refused before its value is read otherwise.
pub(crate) fn check_target_field(path: &str, key: &str) -> Result<(), Error> {
    use crate::catalog::TARGET_FIELDS;
    if TARGET_FIELDS.contains(&key) {
        return Ok(());
    }
    let help = crate::schema::suggest(key, TARGET_FIELDS.iter().copied())
        .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
    Err(invalid_target(
        &format!("{path}.{key}"),
        format_args!("is not a target field{help}; data-policy attributes go under `attributes`"),
    ))
}

/// Counts the values a call converts against [`MAX_VALUES`], and those of
/// its current target against [`MAX_TARGET_VALUES`].
#[derive(Default)]
pub(crate) struct Budget {
    values: usize,
    target_values: usize,
}

impl Budget {
    /// Starts counting a new target.
    pub(crate) fn next_target(&mut self) {
        self.target_values = 0;
    }

    /// How many values were converted so far in this call.
    #[cfg(feature = "python")]
    pub(crate) fn values(&self) -> usize {
        self.values
    }

    /// Counts one more value; past a limit, what the error says of the
    /// value being read (give it to [`invalid_target`] with its path).
    pub(crate) fn count(&mut self) -> Result<(), String> {
        self.values += 1;
        self.target_values += 1;
        if self.values > MAX_VALUES {
            return Err(format!(
                "more than {MAX_VALUES} values in one call (a mapping reached \
                 through several keys counts each time)"
            ));
        }
        if self.target_values > MAX_TARGET_VALUES {
            return Err(format!(
                "more than {MAX_TARGET_VALUES} values in one target (a mapping \
                 reached through several keys counts each time)"
            ));
        }
        Ok(())
    }
}

/// Where a reader is in the value it converts: the name of the current
/// target (`target`, `targets[3]`) and the keys down to the value being
/// read, for the path errors name (`targets[3].attributes.soc2`).
#[derive(Default)]
pub(crate) struct Place {
    name: String,
    keys: Vec<String>,
}

impl Place {
    /// Starts at the top of the target `name`.
    pub(crate) fn start(&mut self, name: String) {
        self.name = name;
        self.keys.clear();
    }

    /// The current target's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Goes down into the value under `key`.
    pub(crate) fn enter(&mut self, key: String) {
        self.keys.push(key);
    }

    /// Comes back up from the last key entered, and gives it back.
    pub(crate) fn leave(&mut self) -> Option<String> {
        self.keys.pop()
    }

    /// Where the value being read is, e.g. `targets[3].attributes.soc2`.
    pub(crate) fn path(&self) -> String {
        let mut path = self.name.clone();
        for k in &self.keys {
            path.push('.');
            path.push_str(k);
        }
        path
    }
}

/// A request-attribute problem, as an error of kind `Request`.
pub(crate) fn bad_request(code: &'static str, message: impl std::fmt::Display) -> Error {
    Error::single(Diagnostic::error(code, message.to_string()))
}

/// A request attribute's bare name and kind in the schemas of policy
/// layers: known to at least one, and of one kind in every layer that
/// knows it. Known to no layer, the first layer's error that suggests a
/// name, else the first layer's.
pub(crate) fn resolve_in_layers(
    schemas: &[&Schema],
    name: &str,
) -> Result<(String, AttrKind), Error> {
    let mut found: Option<(String, AttrKind)> = None;
    let mut first_err = None;
    for schema in schemas {
        match crate::resolve_request_attr(schema, name) {
            Ok((bare, kind)) => match &found {
                Some((_, k)) if *k != kind => {
                    return Err(bad_request(
                        "request/invalid-attribute",
                        format_args!(
                            "`request.{bare}` is a {k} request attribute in one policy layer and a {kind} in another"
                        ),
                    ));
                }
                Some(_) => {}
                None => found = Some((bare, kind)),
            },
            // The first error with a did-you-mean help, else the first.
            Err(e) => {
                let helps = |e: &Error| e.diagnostics().iter().any(|d| d.help().is_some());
                if first_err.as_ref().is_none_or(|f| !helps(f) && helps(&e)) {
                    first_err = Some(e);
                }
            }
        }
    }
    match (found, first_err) {
        (Some(f), _) => Ok(f),
        (None, Some(e)) => Err(e),
        (None, None) => Err(bad_request(
            "request/no-policy",
            "no policy to read request attributes for",
        )),
    }
}

/// A request attribute's value as a binding found it.
pub(crate) enum Given {
    /// A boolean.
    Flag(bool),
    /// A whole number, or `None` for one that does not fit in 64 bits.
    Number(Option<i64>),
    /// Text.
    Text(String),
    /// Text that is not valid Unicode (a lone surrogate).
    InvalidText,
    /// Anything else, by its type's name in the binding's language.
    Other(String),
}

/// How a binding's language names the types a request attribute takes,
/// for messages: `["a bool", "an int", "a str", "None"]`.
pub(crate) struct TypeWords {
    /// A flag's type.
    pub flag: &'static str,
    /// A number's type.
    pub number: &'static str,
    /// Text's type.
    pub text: &'static str,
    /// The value that leaves an attribute not given.
    pub none: &'static str,
    /// How a value of each kind is named when it is of the wrong kind.
    pub found_flag: &'static str,
    /// See `found_flag`.
    pub found_number: &'static str,
    /// See `found_flag`.
    pub found_text: &'static str,
}

/// The value of the request attribute `bare` of kind `kind`, given as
/// `given`: a flag is a boolean, a number a whole number (never a
/// boolean), text is text; anything else is a `request/invalid-value`
/// error.
pub(crate) fn request_value(
    bare: &str,
    kind: AttrKind,
    given: Given,
    words: &TypeWords,
) -> Result<Value, Error> {
    let wrong = |found: &str| {
        let want = match kind {
            AttrKind::Flag => words.flag,
            AttrKind::Number => words.number,
            AttrKind::Text => words.text,
        };
        bad_request(
            "request/invalid-value",
            format_args!(
                "`request.{bare}` is a {kind} request attribute: give {want} or {}, found `{found}`",
                words.none
            ),
        )
    };
    match given {
        Given::Flag(b) if kind == AttrKind::Flag => Ok(Value::Flag(b)),
        Given::Flag(_) => Err(wrong(words.found_flag)),
        Given::Number(_) if kind != AttrKind::Number => Err(wrong(words.found_number)),
        Given::Number(Some(n)) => Ok(Value::Number(n)),
        Given::Number(None) => Err(bad_request(
            "request/invalid-value",
            format_args!("`request.{bare}`: an integer that does not fit in 64 bits"),
        )),
        Given::Text(_) | Given::InvalidText if kind != AttrKind::Text => {
            Err(wrong(words.found_text))
        }
        Given::Text(t) => Ok(Value::from(t)),
        Given::InvalidText => Err(bad_request(
            "request/invalid-value",
            format_args!("`request.{bare}`: text that is not valid Unicode"),
        )),
        Given::Other(name) => Err(wrong(&crate::escape_for_terminal(&name))),
    }
}

/// The request attribute `name` (with or without `request.`) typed by
/// the schemas of the policy layers: its bare name and kind. `seen` holds
/// the bare names given so far, so that a name given both with and without
/// `request.` is refused.
pub(crate) fn resolve_new(
    seen: &mut std::collections::HashSet<String>,
    schemas: &[&Schema],
    name: &str,
) -> Result<(String, AttrKind), Error> {
    let (bare, kind) = resolve_in_layers(schemas, name)?;
    if !seen.insert(bare.clone()) {
        return Err(bad_request(
            "request/invalid-attribute",
            format_args!(
                "`request.{bare}` is given twice (a name is the same with or without `request.`)"
            ),
        ));
    }
    Ok((bare, kind))
}

/// `pin` names a target to pin, so automatic routing cannot go with it.
pub(crate) struct PinConflict;

/// A routing request from a binding's arguments. `pinned` unset reads
/// `model` as an OpenAI-style `model` field (`a/b` pins, see
/// [`Request::from_model_field`]); `pinned` false routes automatically
/// among the targets serving `model`, `/` or not (model groups named
/// `openai/gpt-4o`); `pinned` true pins the target whose id is `model`.
/// `pin` pins the target `pin` for the model `model`, and cannot be
/// combined with `pinned` false.
pub(crate) fn build_request(
    model: &str,
    pin: Option<&str>,
    pinned: Option<bool>,
    date: Option<Date>,
    attrs: RequestAttrs,
    request_id: Option<String>,
) -> Result<Request, PinConflict> {
    let request = match (pin, pinned) {
        (Some(_), Some(false)) => return Err(PinConflict),
        (Some(p), _) => Request::pin(p).for_model(model),
        (None, Some(true)) => Request::pin(model),
        (None, Some(false)) => Request::model(model),
        (None, None) => Request::from_model_field(model),
    };
    let mut request = request.with_attrs(attrs);
    if let Some(d) = date {
        request = request.on(d);
    }
    if let Some(id) = request_id {
        request = request.with_id(id);
    }
    Ok(request)
}
