//! Selection: which targets a request names, before any policy is read.
//!
//! A request names a model (automatic routing among the targets serving
//! it, found through the catalog's index by model) or pins one target. A
//! model or target the catalog does not have is an error, not a decision.

use std::borrow::Cow;

use crate::catalog::Catalog;
use crate::diagnostic::{Diagnostic, Error, escape_for_terminal};
use crate::request::RequestAttrs;
use crate::target::{Target, Value};
use crate::time::{Date, Timestamp};

/// A routing request: a model, optionally pinned to one target.
///
/// ```
/// use eligo::Request;
/// let r = Request::from_model_field("deepseek/deepseek-v3.2");
/// assert_eq!(r.pinned(), Some("deepseek/deepseek-v3.2"));
/// assert_eq!(Request::from_model_field("deepseek-v3.2").pinned(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub(crate) model: String,
    /// Whether the model was named apart from the pinned id.
    pub(crate) model_given: bool,
    /// Whether the pin came from a `model` field, where `a/b` may also be
    /// a model name or a provider's wildcard target.
    pub(crate) from_field: bool,
    pub(crate) pinned: Option<String>,
    pub(crate) date: Option<Date>,
    pub(crate) time: Option<Timestamp>,
    pub(crate) attrs: RequestAttrs,
    /// The host's id for the client request, for events.
    pub(crate) id: Option<String>,
}

impl Request {
    /// Automatic routing among the targets serving `model`.
    pub fn model(model: impl Into<String>) -> Request {
        Request {
            model: model.into(),
            model_given: true,
            from_field: false,
            pinned: None,
            date: None,
            time: None,
            attrs: RequestAttrs::new(),
            id: None,
        }
    }

    /// A request pinned to the target with id `target_id`
    /// (`provider/model`).
    pub fn pin(target_id: impl Into<String>) -> Request {
        let id = target_id.into();
        let model = id
            .split_once('/')
            .map_or(id.as_str(), |(_, m)| m)
            .to_string();
        Request {
            model,
            model_given: false,
            from_field: false,
            pinned: Some(id),
            date: None,
            time: None,
            attrs: RequestAttrs::new(),
            id: None,
        }
    }

    /// Reads an OpenAI-style `model` field: a bare model name routes
    /// automatically; `a/b` pins a target. When routed, `a/b` is read as:
    ///
    /// 1. the target with id `a/b`, pinned;
    /// 2. else the one target of provider `a` that serves `b` (a target of
    ///    model `b`, or one serving every model), pinned, for model `b`;
    /// 3. else, if a target's model is named `a/b`
    ///    (`meta-llama/Llama-3.3-70B`), automatic routing for it (among
    ///    the targets of that model and those serving every model);
    /// 4. else an unknown target (`request/unknown-target`).
    ///
    /// ```
    /// use eligo::{Catalog, Request, Target};
    /// let policy = eligo::compile("require soc2")?;
    /// let catalog = Catalog::new(vec![
    ///     Target::builder("together", "meta-llama/Llama-3.3-70B").attr("soc2", true).build(),
    ///     Target::builder("openai", "*").id("openai").attr("soc2", true).build(),
    /// ])?;
    /// let d = eligo::route(&policy, &catalog, &Request::from_model_field("meta-llama/Llama-3.3-70B"))?;
    /// // Automatic: the target serving that model, and the one serving every model.
    /// assert_eq!(d.targets(), ["together/meta-llama/Llama-3.3-70B", "openai"]);
    /// let d = eligo::route(&policy, &catalog, &Request::from_model_field("openai/gpt-4o"))?;
    /// assert_eq!(d.targets(), ["openai"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_model_field(field: &str) -> Request {
        if field.contains('/') {
            Request {
                from_field: true,
                ..Request::pin(field)
            }
        } else {
            Request::model(field)
        }
    }

    /// Names the model a pinned request asks for, apart from the target id
    /// (as a gateway's `model` field does beside a pinned deployment). A
    /// target that serves every model (`*`) is then evaluated as serving
    /// this model; routing refuses a pin to a target that serves another
    /// model (`request/model-mismatch`). Without it, a pinned wildcard
    /// target's model is unknown.
    ///
    /// ```
    /// use eligo::{Catalog, Request, Target};
    /// let policy = eligo::compile(r#"deny model ["gpt-3.5-turbo"]"#)?;
    /// let catalog = Catalog::new(vec![Target::builder("openai", "*").id("openai").build()])?;
    /// let d = eligo::route(&policy, &catalog, &Request::pin("openai").for_model("gpt-4o"))?;
    /// assert_eq!(d.targets(), ["openai"]);
    /// let d = eligo::route(&policy, &catalog, &Request::pin("openai").for_model("gpt-3.5-turbo"))?;
    /// assert!(d.is_blocked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_model(mut self, model: impl Into<String>) -> Request {
        self.model = model.into();
        self.model_given = true;
        self
    }

    /// This request with the date, time, attributes and id of `other`.
    fn with_context_of(mut self, other: &Request) -> Request {
        self.date = other.date;
        self.time = other.time;
        self.attrs = other.attrs.clone();
        self.id.clone_from(&other.id);
        self
    }

    /// Gives the request attribute `name` (`data_class`, `team`, …, or a
    /// custom one) the value `value`, for the policies' `when` conditions.
    /// An attribute not given is unknown, and a block whose condition
    /// depends on it applies.
    ///
    /// ```
    /// use eligo::{Catalog, Request, Target};
    /// let policy = eligo::compile(r#"when request.data_class == "phi" { require hipaa; }"#)?;
    /// let catalog = Catalog::new(vec![
    ///     Target::new("cloud", "m"),
    ///     Target::builder("clinic", "m").attr("hipaa", true).build(),
    /// ])?;
    /// let public = Request::model("m").with_attr("data_class", "public");
    /// assert_eq!(eligo::route(&policy, &catalog, &public)?.targets(), ["cloud/m", "clinic/m"]);
    /// let phi = Request::model("m").with_attr("data_class", "phi");
    /// assert_eq!(eligo::route(&policy, &catalog, &phi)?.targets(), ["clinic/m"]);
    /// // Not said: the strictest treatment.
    /// assert_eq!(eligo::route(&policy, &catalog, &Request::model("m"))?.targets(), ["clinic/m"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_attr(mut self, name: impl AsRef<str>, value: impl Into<Value>) -> Request {
        self.attrs.set(name, value);
        self
    }

    /// Replaces the request's attributes with `attrs`.
    pub fn with_attrs(mut self, attrs: RequestAttrs) -> Request {
        self.attrs = attrs;
        self
    }

    /// The request's attributes.
    pub fn attrs(&self) -> &RequestAttrs {
        &self.attrs
    }

    /// Reads expiring evidence as of `date` instead of today.
    pub fn on(mut self, date: Date) -> Request {
        self.date = Some(date);
        self
    }

    /// Stamps events with `time` instead of the system clock (and reads
    /// evidence as of its date, unless [`Request::on`] set one).
    pub fn at(mut self, time: Timestamp) -> Request {
        self.time = Some(time);
        self
    }

    /// Names the client request this routing decision is for (the host's
    /// request or trace id). The decision and its security event carry it,
    /// so that an administrator can match an event to the request, and a
    /// host that decides one client request more than once (retries) can
    /// tell.
    ///
    /// ```
    /// use eligo::{Catalog, Request, Target};
    /// let policy = eligo::compile("require soc2")?;
    /// let catalog = Catalog::new(vec![Target::new("cloud", "m")])?;
    /// let d = eligo::route(&policy, &catalog, &Request::model("m").with_id("req-42"))?;
    /// assert_eq!(d.request_id(), Some("req-42"));
    /// assert_eq!(d.event().unwrap().request.id.as_deref(), Some("req-42"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Request {
        self.id = Some(id.into());
        self
    }

    /// The client request's id, if given ([`Request::with_id`]).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The requested model.
    pub fn requested_model(&self) -> &str {
        &self.model
    }

    /// The pinned target id, if any.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }
}

/// A request's candidates: the targets it may go to before any policy is
/// read.
pub(crate) struct Selection<'r> {
    /// The request as resolved (see [`Request::from_model_field`]).
    pub(crate) request: Cow<'r, Request>,
    /// The candidates' positions in the catalog, ascending.
    pub(crate) rows: Vec<usize>,
}

/// The candidates of `request` in `catalog`: the pinned target, or every
/// target serving the model, in catalog order.
pub(crate) fn select<'r>(catalog: &Catalog, request: &'r Request) -> Result<Selection<'r>, Error> {
    let request = match resolve(catalog, request) {
        Some(r) => Cow::Owned(r),
        None => Cow::Borrowed(request),
    };
    let rows = match &request.pinned {
        Some(id) => {
            let found = catalog
                .position(id)
                .and_then(|i| Some((i, catalog.targets().get(i)?)));
            let Some((row, t)) = found else {
                return Err(unknown(catalog, id, true));
            };
            if request.model_given
                && !t.is_wildcard()
                && t.model() != request.model
                && *id != request.model
            {
                return Err(mismatch(t, &request.model));
            }
            vec![row]
        }
        None => {
            let rows = catalog.serving_rows(&request.model);
            if rows.is_empty() {
                return Err(unknown(catalog, &request.model, false));
            }
            rows
        }
    };
    Ok(Selection { request, rows })
}

/// The most characters of a requested model or target id that an error
/// message repeats.
const ECHO_MAX_CHARS: usize = 64;

/// What an `a/b` model field names when no target has the id `a/b` (see
/// [`Request::from_model_field`]); `None` when it stays as it is.
fn resolve(catalog: &Catalog, request: &Request) -> Option<Request> {
    let field = request.pinned.as_deref().filter(|_| request.from_field)?;
    if catalog.get(field).is_some() {
        return None;
    }
    let (provider, model) = field.split_once('/')?;
    let mut of_provider = catalog
        .serving(model)
        .filter(|(_, t)| t.provider() == provider);
    if let (Some((_, one)), None) = (of_provider.next(), of_provider.next()) {
        return Some(
            Request {
                from_field: false,
                ..Request::pin(one.id()).for_model(model)
            }
            .with_context_of(request),
        );
    }
    // A model of that name (a wildcard target serves every model, so it
    // does not count: `nobody/gpt-4o` is a pin that names no target).
    if catalog.has_model(field) {
        return Some(Request::model(field).with_context_of(request));
    }
    None
}

fn mismatch(t: &Target, model: &str) -> Error {
    Error::single(Diagnostic::error(
        "request/model-mismatch",
        format!(
            "the pinned target `{}` serves the model `{}`, not `{}`",
            escape_for_terminal(t.id()),
            escape_for_terminal(t.model()),
            escape_for_terminal(model)
        ),
    ))
}

/// The error for a model or pinned target the catalog does not have. The
/// message repeats the requested name, escaped and cut to
/// [`ECHO_MAX_CHARS`], and never names a catalog target, so a gateway may
/// pass it on to its client; the closest name the catalog has goes in the
/// help, for administrators. Looking for it is bounded (see
/// [`Catalog::suggest_id`]).
fn unknown(catalog: &Catalog, name: &str, pinned: bool) -> Error {
    let (code, what, suggestion) = if pinned {
        ("request/unknown-target", "target", catalog.suggest_id(name))
    } else {
        (
            "request/unknown-model",
            "model",
            catalog.suggest_model(name),
        )
    };
    let mut d = Diagnostic::error(code, format!("no {what} `{}` in the catalog", echo(name)));
    if let Some(s) = suggestion {
        d = d.with_help(format!("did you mean `{s}`?"));
    }
    Error::single(d)
}

/// `name` as an error message repeats it: at most [`ECHO_MAX_CHARS`]
/// characters (then `…`), escaped for terminals.
fn echo(name: &str) -> String {
    let mut cut: String = name.chars().take(ECHO_MAX_CHARS).collect();
    if cut.len() < name.len() {
        cut.push('…');
    }
    escape_for_terminal(&cut).into_owned()
}
