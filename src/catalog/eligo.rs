//! eligo's own catalog format (JSON, or the same in TOML).
//!
//! ```json
//! {
//!   "catalog": "example",
//!   "description": "free text",
//!   "targets": [
//!     {"id": "openai/gpt-4o", "provider": "openai", "model": "gpt-4o",
//!      "endpoint": "https://api.openai.com/v1", "region": "us",
//!      "attributes": {"soc2": true, "retention_days": 30, "gdpr": null,
//!                     "iso27001": {"value": true, "expires": "2026-12-31"}}}
//!   ]
//! }
//! ```
//!
//! `id` defaults to `provider/model`; `region` at the top of a target is
//! shorthand for the attribute; `null` means undeclared; an attribute may be
//! expiring evidence `{"value": …, "expires": "YYYY-MM-DD"}`.

use serde::de;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value as J};

use super::strict::Top;
use super::{Catalog, Problems, describe};
use crate::diagnostic::Error;
use crate::schema::{AttrKind, STANDARD_ATTRIBUTES, is_valid_name};
use crate::target::{Target, Value};
use crate::time::Date;

/// Longest id, provider or model name accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;

const TOP_FIELDS: &[&str] = &["catalog", "description", "targets", "$schema"];
/// The fields of a target in the catalog format.
pub(crate) const TARGET_FIELDS: &[&str] = &[
    "id",
    "provider",
    "model",
    "endpoint",
    "region",
    "attributes",
];

/// Reads a catalog from its value tree (the TOML path).
pub(crate) fn read(v: &J, file: &str) -> Result<Catalog, Error> {
    let mut p = Problems::new();
    let Some(top) = v.as_object() else {
        not_an_object(&describe(v), &mut p);
        return p.finish(None, Vec::new(), file);
    };
    let name = top_fields(top, &mut p);
    let targets = match top.get("targets") {
        Some(J::Array(items)) => p.read_all(items, target),
        other => {
            targets_problem(other, &mut p);
            Vec::new()
        }
    };
    p.finish(name, targets, file)
}

/// Reads a catalog from JSON text, one target at a time: the value tree of
/// a target is dropped once the target is read, so memory holds the targets
/// and the top-level fields, never the whole document.
pub(crate) fn read_json(text: &str, file: &str) -> Result<Catalog, Error> {
    let mut items = Problems::new();
    let mut targets = Vec::new();
    let top = super::strict::stream_json(text, file, "targets", false, |i, item| {
        items.read_next(&item, i, target, &mut targets)
    })?;
    // Problems with the top level are reported first, as in the file's
    // outline, then those of the targets.
    let mut p = Problems::new();
    let name = match top {
        Top::Object { fields, list } => {
            let name = top_fields(&fields, &mut p);
            match list {
                Some(Ok(_)) => {}
                Some(Err(other)) => targets_problem(Some(&other), &mut p),
                None => targets_problem(None, &mut p),
            }
            name
        }
        Top::List => {
            not_an_object("a list", &mut p);
            None
        }
        Top::Other(v) => {
            not_an_object(&describe(&v), &mut p);
            None
        }
    };
    p.diags.append(&mut items.diags);
    p.finish(name, targets, file)
}

fn not_an_object(found: &str, p: &mut Problems) {
    p.file(
        "catalog/wrong-type",
        format!("a catalog is an object with a `targets` list, found {found}"),
        "see docs/CATALOG.md for the format",
    );
}

/// Checks the top-level fields; returns the catalog's name.
fn top_fields(top: &Map<String, J>, p: &mut Problems) -> Option<String> {
    for key in top.keys() {
        if !TOP_FIELDS.contains(&key.as_str()) {
            p.file(
                "catalog/unknown-field",
                format!("unknown top-level field `{key}`"),
                "the fields are `catalog`, `description` and `targets`",
            );
        }
    }
    if let Some(other) = top
        .get("description")
        .filter(|v| !v.is_string() && !v.is_null())
    {
        p.file(
            "catalog/wrong-type",
            format!("`description` must be a string, found {}", describe(other)),
            "",
        );
    }
    match top.get("catalog") {
        None | Some(J::Null) => None,
        Some(J::String(s)) => Some(s.clone()),
        Some(other) => {
            p.file(
                "catalog/wrong-type",
                format!("`catalog` must be a string, found {}", describe(other)),
                "",
            );
            None
        }
    }
}

/// `targets` absent or not a list.
fn targets_problem(found: Option<&J>, p: &mut Problems) {
    match found {
        Some(other) => p.file(
            "catalog/wrong-type",
            format!("`targets` must be a list, found {}", describe(other)),
            "",
        ),
        None => p.file(
            "catalog/missing-field",
            "the catalog has no `targets` list".to_string(),
            "",
        ),
    }
}

/// Reads one target for `Target`'s `Deserialize` impl; the messages of all
/// problems are joined.
pub(crate) fn target_from_json(v: &J) -> Result<Target, String> {
    let mut p = Problems::new();
    match target(v, 0, &mut p) {
        Some(t) if p.diags.is_empty() => Ok(t),
        _ => Err(p
            .diags
            .iter()
            .map(|d| {
                d.message()
                    .trim_start_matches("target #1")
                    .trim_start_matches([',', ':', ' '])
            })
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

/// A required or optional string field of a target.
pub(super) fn string_field(
    obj: &Map<String, J>,
    key: &str,
    required: bool,
    i: usize,
    id: Option<&str>,
    p: &mut Problems,
) -> Option<String> {
    let name = id.map_or(String::new(), |id| format!(" `{id}`"));
    string_value(obj.get(key), key, required, i, &name, p)
}

/// A required or optional non-empty string, at `field` of the entry at `i`
/// named `name` (as [`Problems::at`] takes it); `None` when absent or
/// refused.
pub(super) fn string_value(
    value: Option<&J>,
    field: &str,
    required: bool,
    i: usize,
    name: &str,
    p: &mut Problems,
) -> Option<String> {
    match given(value, field, required, i, name, p)? {
        J::String(s) if s.is_empty() => {
            p.at(
                "catalog/wrong-type",
                i,
                name,
                field,
                "must not be empty".to_string(),
            );
            None
        }
        J::String(s) if s.len() > MAX_NAME_BYTES => {
            p.at(
                "catalog/too-long",
                i,
                "",
                field,
                format!(
                    "is {} bytes long, more than the limit of {MAX_NAME_BYTES}",
                    s.len()
                ),
            );
            None
        }
        J::String(s) => Some(s.clone()),
        other => {
            p.at(
                "catalog/wrong-type",
                i,
                name,
                field,
                format!("must be a string, found {}", describe(other)),
            );
            None
        }
    }
}

/// `value` unless it is absent or null, a `catalog/missing-field` problem
/// when `required` (at `field` of the entry at `i` named `name`, as
/// [`Problems::at`] takes it).
pub(super) fn given<'a>(
    value: Option<&'a J>,
    field: &str,
    required: bool,
    i: usize,
    name: &str,
    p: &mut Problems,
) -> Option<&'a J> {
    match value {
        None | Some(J::Null) => {
            if required {
                p.at(
                    "catalog/missing-field",
                    i,
                    name,
                    field,
                    "is required".to_string(),
                );
            }
            None
        }
        Some(v) => Some(v),
    }
}

/// `v` as an object, or a `catalog/wrong-type` problem naming `noun`.
pub(super) fn object<'a>(
    v: &'a J,
    i: usize,
    noun: &str,
    p: &mut Problems,
) -> Option<&'a Map<String, J>> {
    let obj = v.as_object();
    if obj.is_none() {
        p.target(
            "catalog/wrong-type",
            i,
            None,
            "",
            format!("must be {noun}, found {}", describe(v)),
        );
    }
    obj
}

/// The fields every target format shares: `provider` and `model`
/// (required), `id` (default `provider/model`), `endpoint` and `region`.
pub(super) fn target_head(obj: &Map<String, J>, i: usize, p: &mut Problems) -> Option<Target> {
    let given_id = string_field(obj, "id", false, i, None, p);
    let provider = string_field(obj, "provider", true, i, given_id.as_deref(), p);
    let model = string_field(obj, "model", true, i, given_id.as_deref(), p);
    let mut t = Target::new(provider?, model?);
    if let Some(id) = given_id {
        t.set_id(id);
    }
    let id = t.id().to_string();
    if let Some(endpoint) = string_field(obj, "endpoint", false, i, Some(&id), p) {
        t.set_endpoint(endpoint);
    }
    if let Some(region) = string_field(obj, "region", false, i, Some(&id), p) {
        t.set("region", region);
    }
    Some(t)
}

fn target(v: &J, i: usize, p: &mut Problems) -> Option<Target> {
    let obj = object(v, i, "an object", p)?;
    let before = p.diags.len();
    let named = obj
        .get("id")
        .and_then(J::as_str)
        .map(str::to_string)
        .or_else(|| {
            let (pr, m) = (obj.get("provider")?.as_str()?, obj.get("model")?.as_str()?);
            Some(format!("{pr}/{m}"))
        });
    for key in obj.keys() {
        if !TARGET_FIELDS.contains(&key.as_str()) {
            let help = crate::schema::suggest(key, TARGET_FIELDS.iter().copied())
                .map_or(String::new(), |s| format!(" (did you mean `{s}`?)"));
            p.target(
                "catalog/unknown-field",
                i,
                named.as_deref(),
                key,
                format!(
                    "is not a target field{help}; data-policy attributes go under `attributes`"
                ),
            );
        }
    }
    let mut t = target_head(obj, i, p)?;
    let id = t.id().to_string();
    match obj.get("attributes") {
        None | Some(J::Null) => {}
        Some(J::Object(attrs)) => {
            for (key, value) in attrs {
                let field = format!("attributes.{key}");
                if key == "region" && obj.get("region").is_some_and(|r| !r.is_null()) {
                    p.target(
                        "catalog/conflict",
                        i,
                        Some(&id),
                        &field,
                        "`region` is given both at the top of the target and under `attributes`"
                            .to_string(),
                    );
                    continue;
                }
                match attribute(key, value) {
                    Ok(None) => {}
                    Ok(Some((v, expires))) => declare(&mut t, key, v, expires),
                    Err(msg) => p.target("catalog/bad-attribute", i, Some(&id), &field, msg),
                }
            }
        }
        Some(other) => p.target(
            "catalog/wrong-type",
            i,
            Some(&id),
            "attributes",
            format!("must be an object, found {}", describe(other)),
        ),
    }
    (p.diags.len() == before).then_some(t)
}

/// Declares an attribute read by [`attribute`], expiring or not.
pub(super) fn declare(t: &mut Target, name: &str, value: Value, expires: Option<Date>) {
    match expires {
        Some(e) => t.set_expiring(name, value, e),
        None => t.set(name, value),
    }
}

/// Reads one attribute value: `null` (undeclared), a scalar, or expiring
/// evidence `{"value": …, "expires": "YYYY-MM-DD"}`.
pub(super) fn attribute(name: &str, v: &J) -> Result<Option<(Value, Option<Date>)>, String> {
    if !is_valid_name(name) {
        return Err("is not a valid attribute name (ASCII letters, digits and `_`)".to_string());
    }
    if name == "provider" || name == "model" {
        return Err(format!(
            "`{name}` belongs at the top of the target, not under `attributes`"
        ));
    }
    match v {
        J::Object(obj) => {
            for key in obj.keys() {
                if key != "value" && key != "expires" {
                    return Err(format!(
                        "expiring evidence has the fields `value` and `expires`, found `{key}`"
                    ));
                }
            }
            let value = match obj.get("value") {
                None | Some(J::Null) => {
                    return Err("expiring evidence needs a `value`".to_string());
                }
                Some(v) => scalar(name, v)?,
            };
            let expires = match obj.get("expires") {
                Some(J::String(text)) => text
                    .parse::<Date>()
                    .map_err(|e| format!("`expires`: {e}"))?,
                Some(other) => {
                    return Err(format!(
                        "`expires` must be a date \"YYYY-MM-DD\", found {}",
                        describe(other)
                    ));
                }
                None => return Err("expiring evidence needs an `expires` date".to_string()),
            };
            Ok(value.map(|v| (v, Some(expires))))
        }
        other => Ok(scalar(name, other)?.map(|v| (v, None))),
    }
}

/// Reads a scalar attribute value, checking standard attributes' kinds.
pub(super) fn scalar(name: &str, v: &J) -> Result<Option<Value>, String> {
    let value = match v {
        J::Null => return Ok(None),
        J::Bool(b) => Value::Flag(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Number(i),
            None => {
                return Err(format!(
                    "must be a whole number without a decimal point, in 64-bit range; found {}",
                    describe(v)
                ));
            }
        },
        J::String(s) => Value::Text(s.clone()),
        J::Array(_) | J::Object(_) => {
            return Err(format!(
                "must be true/false, a whole number or a string, found {}",
                describe(v)
            ));
        }
    };
    check_kind(name, &value).map_err(|e| format!("{e}, found {}", describe(v)))?;
    Ok(Some(value))
}

/// Checks a value against the standard schema (custom attributes may hold
/// any kind) and the range rules of standard attributes.
pub(super) fn check_kind(name: &str, value: &Value) -> Result<(), String> {
    let standard = STANDARD_ATTRIBUTES.iter().find(|(n, _, _)| *n == name);
    if let Some(&(_, kind, _)) = standard {
        if kind != value.kind() {
            return Err(match kind {
                AttrKind::Flag => "must be true or false".to_string(),
                AttrKind::Number => "must be a whole number".to_string(),
                AttrKind::Text => "must be a string".to_string(),
            });
        }
    }
    if let (Value::Number(n), "retention_days") = (value, name) {
        if *n < 0 {
            return Err("must be 0 or more".to_string());
        }
    }
    Ok(())
}

/// Reading one target in the catalog format's target shape: here, beside
/// the catalog reader it shares, so that `target` knows nothing of
/// catalogs.
impl Target {
    /// Reads one target from JSON text in the catalog format's target shape,
    /// naming the text `name` in errors. Unlike `serde_json::from_str`, the
    /// error is a diagnostic with the position of a JSON syntax error or the
    /// field at fault.
    ///
    /// ```
    /// let t = eligo::Target::from_json(r#"{"provider": "a", "model": "m", "attributes": {"soc2": true}}"#, "t.json")?;
    /// assert_eq!(t.id(), "a/m");
    /// let err = eligo::Target::from_json(r#"{"provider": "a", "model": "m", "attributes": {"soc2": "yes"}}"#, "t.json").unwrap_err();
    /// assert!(err.to_string().contains("field `attributes.soc2`: must be true or false"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json(text: &str, name: &str) -> Result<Target, crate::Error> {
        let value = crate::catalog::parse_json(text, name)?;
        Target::from_json_value(&value, name)
    }

    /// Reads one target from a JSON file (at most
    /// [`MAX_CATALOG_BYTES`](crate::catalog::MAX_CATALOG_BYTES)).
    ///
    /// ```
    /// let err = eligo::Target::from_file("no/such/target.json").unwrap_err();
    /// assert_eq!(err.diagnostics()[0].code(), "io/not-found");
    /// ```
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Target, crate::Error> {
        let path = path.as_ref();
        let text = crate::files::read_text(path, crate::catalog::MAX_CATALOG_BYTES)?;
        Target::from_json(&text, &path.display().to_string())
    }

    /// Reads one target from an already parsed JSON value (as bindings
    /// build it from their own mappings), naming it `name` in errors.
    ///
    /// ```
    /// let v = serde_json::json!({"provider": "a", "model": "m", "attributes": {"soc2": true}});
    /// assert_eq!(eligo::Target::from_json_value(&v, "t")?.id(), "a/m");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_json_value(value: &serde_json::Value, name: &str) -> Result<Target, crate::Error> {
        crate::catalog::target_from_json(value).map_err(|msg| {
            crate::Error::new(
                vec![crate::Diagnostic::error(
                    "catalog/invalid-target",
                    format!("invalid target in `{name}`: {msg}"),
                )],
                Some(crate::SourceText::new(name, "")),
            )
        })
    }
}

impl<'de> Deserialize<'de> for Target {
    /// Reads the JSON shape `{"id", "provider", "model", "endpoint",
    /// "region", "attributes"}` strictly (see the catalog format): duplicate
    /// keys, unknown fields and values of the wrong type are errors.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Target, D::Error> {
        let value = crate::catalog::StrictJson::deserialize(d)?.0;
        crate::catalog::target_from_json(&value).map_err(de::Error::custom)
    }
}
