//! Gateway decisions: which targets a request may go to, or why it is blocked.
//!
//! - **Automatic** routing (`model` only): the candidates are the catalog's
//!   targets serving the model, in catalog order. Non-compliant ones are
//!   removed and the rest keep their order, so fallback and ordered routing
//!   run inside the compliant pool.
//! - **Pinned** routing (`provider/model`): only that target. If it fails the
//!   policy the request is blocked; it is never re-routed.
//! - Nothing compliant left in `block` mode: a blocked decision with HTTP
//!   status 403, code `no_compliant_provider`, a message naming the model and
//!   the policy, an OpenAI-compatible error body and a [`SecurityEvent`].
//! - `warn` mode: the request proceeds with the unfiltered candidates and the
//!   decision (and its event) says it would have been blocked.
//!
//! # Layering
//!
//! [`route_layered`] takes several policies, such as an organisation baseline
//! and a project policy. A target is compliant only when it passes *every*
//! layer, so a project layer can remove targets but never add one back: no
//! statement in a layer can widen what another layer allows. Each layer's
//! mode applies to its own failures: a target failing a `block` layer is
//! removed even if the layer that would have let it through is in `warn` mode.
//! Layering with no layers at all is an error, never a decision that allows
//! everything.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::diagnostic::{Diagnostic, Error, escape_for_terminal};
use crate::eval::Failure;
use crate::policy::{Mode, Policy};
use crate::target::Target;
use crate::time::{Date, Timestamp};

/// The error code of a blocked request.
pub const NO_COMPLIANT_PROVIDER: &str = "no_compliant_provider";

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
    model: String,
    /// Whether the model was named apart from the pinned id.
    model_given: bool,
    /// Whether the pin came from a `model` field, where `a/b` may also be
    /// a model name or a provider's wildcard target.
    from_field: bool,
    pinned: Option<String>,
    date: Option<Date>,
    time: Option<Timestamp>,
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

    /// This request with the date and time of `other`.
    fn with_clock(mut self, other: &Request) -> Request {
        self.date = other.date;
        self.time = other.time;
        self
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

    /// The requested model.
    pub fn requested_model(&self) -> &str {
        &self.model
    }

    /// The pinned target id, if any.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }
}

/// What happened to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Routed to the compliant targets (nothing was removed, or the rest
    /// remain).
    Routed,
    /// Blocked: no compliant target remains (HTTP 403).
    Blocked,
    /// Let through by `warn` mode although it would have been blocked.
    Warned,
}

/// One failed requirement of one layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerFailure {
    /// The display name of the policy layer.
    pub policy: String,
    /// That layer's mode.
    pub mode: Mode,
    /// The failed requirement.
    #[serde(flatten)]
    pub failure: Failure,
}

/// A candidate target and how it fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Target id.
    pub id: String,
    /// Provider.
    pub provider: String,
    /// Model.
    pub model: String,
    /// Whether it passes every layer.
    pub compliant: bool,
    /// Whether it stays in the routed list (compliant, or kept by `warn`).
    pub routed: bool,
    /// Every failed requirement of every layer.
    pub failures: Vec<LayerFailure>,
}

/// A routing decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    outcome: Outcome,
    model: String,
    pinned: Option<String>,
    /// Ids of the targets to try, in order.
    targets: Vec<String>,
    candidates: Vec<Candidate>,
    message: Option<String>,
    event: Option<SecurityEvent>,
}

impl Decision {
    /// What happened.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    /// Whether the request is blocked.
    pub fn is_blocked(&self) -> bool {
        self.outcome == Outcome::Blocked
    }

    /// Whether the request would have been blocked but for `warn` mode.
    pub fn would_block(&self) -> bool {
        self.outcome == Outcome::Warned
    }

    /// The ids of the targets to try, in order (empty when blocked).
    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// Every candidate with its failures, in catalog order.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The HTTP status to answer with: 403 when blocked, else 200.
    pub fn status(&self) -> u16 {
        if self.is_blocked() { 403 } else { 200 }
    }

    /// `no_compliant_provider` when blocked.
    pub fn code(&self) -> Option<&'static str> {
        self.is_blocked().then_some(NO_COMPLIANT_PROVIDER)
    }

    /// The message for people: when blocked, when warned, or when `warn`
    /// mode kept non-compliant targets in the routed list.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The OpenAI-compatible error body a gateway returns verbatim with the
    /// 403: `{"error": {"message", "type", "code", "param"}}`.
    pub fn error_body(&self) -> Option<serde_json::Value> {
        if !self.is_blocked() {
            return None;
        }
        Some(serde_json::json!({
            "error": {
                "message": self.message.as_deref().unwrap_or_default(),
                "type": "permission_denied",
                "code": NO_COMPLIANT_PROVIDER,
                "param": "model",
            }
        }))
    }

    /// The security event, for every block, every `warn`-mode pass that
    /// would have blocked, and every `warn`-mode pass that kept
    /// non-compliant targets.
    pub fn event(&self) -> Option<&SecurityEvent> {
        self.event.as_ref()
    }
}

/// A structured record of a block (or a `warn`-mode would-be block) for an
/// administrator to review. eligo builds it; the host stores it. The JSON
/// schema is documented in `docs/EVENTS.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityEvent {
    /// Schema name and version: `eligo.security_event/1`.
    pub schema: &'static str,
    /// When, UTC, RFC 3339.
    pub time: Timestamp,
    /// The date expiring evidence was read at, for every layer and target
    /// (`YYYY-MM-DD`).
    pub date: Date,
    /// `block` or `warn`.
    pub action: &'static str,
    /// HTTP status answered: 403, or 200 when `warn` let the request through.
    pub status: u16,
    /// `no_compliant_provider`.
    pub code: &'static str,
    /// The message for people.
    pub message: String,
    /// The policy layers applied.
    pub policies: Vec<PolicyRef>,
    /// The request.
    pub request: RequestRef,
    /// Every candidate with every failed requirement.
    pub candidates: Vec<Candidate>,
}

impl SecurityEvent {
    /// The event as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A policy as named in events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    /// Display name.
    pub name: String,
    /// `version "…"`, if given.
    pub version: Option<String>,
    /// `sha256:` digest of the canonical text.
    pub fingerprint: String,
    /// Mode.
    pub mode: Mode,
}

impl PolicyRef {
    pub(crate) fn of(p: &Policy) -> PolicyRef {
        PolicyRef {
            name: p.display_name().to_string(),
            version: p.version().map(str::to_string),
            fingerprint: p.fingerprint(),
            mode: p.mode(),
        }
    }
}

/// The request as named in events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestRef {
    /// Requested model.
    pub model: String,
    /// Pinned target id, or `null`.
    pub pinned: Option<String>,
}

/// Routes `request` under one policy.
///
/// ```
/// use eligo::{Catalog, Request, Target};
/// let policy = eligo::compile(r#"policy "regulated-routing"; require zero_data_retention; require !internet_egress"#)?;
/// let catalog = Catalog::new(vec![
///     Target::builder("cloud", "deepseek-v3.2").attr("zero_data_retention", false).attr("internet_egress", true).build(),
///     Target::builder("onprem", "deepseek-v3.2").attr("zero_data_retention", true).attr("internet_egress", false).build(),
/// ])?;
/// let d = eligo::route(&policy, &catalog, &Request::model("deepseek-v3.2"))?;
/// assert_eq!(d.targets(), ["onprem/deepseek-v3.2"]);
///
/// let d = eligo::route(&policy, &catalog, &Request::pin("cloud/deepseek-v3.2"))?;
/// assert_eq!(d.status(), 403);
/// assert_eq!(d.code(), Some("no_compliant_provider"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn route(policy: &Policy, catalog: &Catalog, request: &Request) -> Result<Decision, Error> {
    route_layered(std::slice::from_ref(policy), catalog, request)
}

/// Routes `request` under several policy layers (e.g. an organisation
/// baseline and a project policy); see the module docs.
///
/// No layers is an error (`request/no-policy`), not a decision: routing
/// under no policy would allow every target.
///
/// ```
/// use eligo::{Catalog, Request, Target};
/// let baseline = eligo::compile(r#"policy "org"; require soc2"#)?;
/// let project = eligo::compile(r#"policy "proj"; require gdpr"#)?;
/// let catalog = Catalog::new(vec![
///     Target::builder("a", "m").attr("soc2", true).build(),
///     Target::builder("b", "m").attr("soc2", true).attr("gdpr", true).build(),
/// ])?;
/// let d = eligo::route_layered(&[baseline, project], &catalog, &Request::model("m"))?;
/// assert_eq!(d.targets(), ["b/m"]);
///
/// let err = eligo::route_layered(&[], &catalog, &Request::model("m")).unwrap_err();
/// assert_eq!(err.diagnostics()[0].code(), "request/no-policy");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn route_layered(
    layers: &[Policy],
    catalog: &Catalog,
    request: &Request,
) -> Result<Decision, Error> {
    if layers.is_empty() {
        return Err(Error::single(
            Diagnostic::error(
                "request/no-policy",
                "no policy to route under: routing needs at least one policy layer",
            )
            .with_help("pass the policies to apply; with none, every target would be allowed"),
        ));
    }
    // One date for the whole decision, every layer and every target: the
    // request's, else the date of its time (now, in UTC).
    let time = request.time.unwrap_or_else(Timestamp::now);
    let day = request.date.unwrap_or_else(|| time.date());
    let date = Some(day);
    let resolved;
    let request = match resolve(catalog, request) {
        Some(r) => {
            resolved = r;
            &resolved
        }
        None => request,
    };
    let chosen: Vec<&Target> = match &request.pinned {
        Some(id) => match catalog.get(id) {
            Some(t) => {
                if request.model_given
                    && !t.is_wildcard()
                    && t.model() != request.model
                    && *id != request.model
                {
                    return Err(mismatch(t, &request.model));
                }
                vec![t]
            }
            None => return Err(unknown(catalog, id, true)),
        },
        None => {
            let found: Vec<&Target> = catalog.serving(&request.model).map(|(_, t)| t).collect();
            if found.is_empty() {
                return Err(unknown(catalog, &request.model, false));
            }
            found
        }
    };
    let mut candidates = Vec::with_capacity(chosen.len());
    let mut blocking_layers: Vec<&Policy> = Vec::new();
    for t in chosen {
        let mut failures = Vec::new();
        let mut fails_block = false;
        // A target serving every model is judged as serving the requested
        // one: its `model` is that model for every predicate and list.
        let serving = if request.model_given {
            t.serving_as(&request.model)
        } else {
            std::borrow::Cow::Borrowed(t)
        };
        for layer in layers {
            let verdict = layer.evaluate_at(&serving, date);
            if verdict.is_blocked() && layer.mode() == Mode::Block {
                fails_block = true;
                if !blocking_layers.iter().any(|l| std::ptr::eq(*l, layer)) {
                    blocking_layers.push(layer);
                }
            }
            failures.extend(verdict.failures().iter().map(|f| LayerFailure {
                policy: layer.display_name().to_string(),
                mode: layer.mode(),
                failure: f.clone(),
            }));
        }
        candidates.push(Candidate {
            id: t.id().to_string(),
            provider: t.provider().to_string(),
            model: t.model().to_string(),
            compliant: failures.is_empty(),
            routed: !fails_block,
            failures,
        });
    }
    let targets: Vec<String> = candidates
        .iter()
        .filter(|c| c.routed)
        .map(|c| c.id.clone())
        .collect();
    let any_compliant = candidates.iter().any(|c| c.compliant);
    let outcome = if targets.is_empty() {
        Outcome::Blocked
    } else if !any_compliant {
        Outcome::Warned
    } else {
        Outcome::Routed
    };
    let message = match outcome {
        Outcome::Routed => None,
        Outcome::Blocked => Some(block_message(&blocking_layers, request, false)),
        Outcome::Warned => {
            let all: Vec<&Policy> = layers.iter().collect();
            Some(block_message(&all, request, true))
        }
    };
    // Warn mode kept non-compliant targets in the routed list although
    // compliant ones remain: not a would-be block, but an administrator
    // rolling out a policy needs to see it, so it is recorded too.
    let kept = candidates
        .iter()
        .filter(|c| c.routed && !c.compliant)
        .count();
    let message = message.or_else(|| {
        (kept > 0).then(|| {
            let all: Vec<&Policy> = layers.iter().filter(|l| l.mode() == Mode::Warn).collect();
            let names: Vec<String> = all
                .iter()
                .map(|p| format!("`{}`", p.display_name()))
                .collect();
            format!(
                "Warn mode kept {kept} provider(s) for {} that do not meet the requirements of {}.",
                request.model,
                names.join(", ")
            )
        })
    });
    let event = message.as_ref().map(|m| SecurityEvent {
        schema: "eligo.security_event/1",
        time,
        date: day,
        action: if outcome == Outcome::Blocked {
            "block"
        } else {
            "warn"
        },
        status: if outcome == Outcome::Blocked {
            403
        } else {
            200
        },
        code: NO_COMPLIANT_PROVIDER,
        message: m.clone(),
        policies: layers.iter().map(PolicyRef::of).collect(),
        request: RequestRef {
            model: request.model.clone(),
            pinned: request.pinned.clone(),
        },
        candidates: candidates.clone(),
    });
    Ok(Decision {
        outcome,
        model: request.model.clone(),
        pinned: request.pinned.clone(),
        targets,
        candidates,
        message,
        event,
    })
}

fn block_message(layers: &[&Policy], request: &Request, warn: bool) -> String {
    let names: Vec<String> = layers
        .iter()
        .map(|p| format!("`{}`", p.display_name()))
        .collect();
    let policies = match names.as_slice() {
        [one] => format!("the provider compliance policy {one}"),
        many => format!("the provider compliance policies {}", many.join(", ")),
    };
    let what = match &request.pinned {
        Some(id) => format!("The pinned provider {id} does not meet its requirements."),
        None => format!(
            "No available provider for {} meets its requirements.",
            request.model
        ),
    };
    if warn {
        format!("This request would have been blocked by {policies} (warn mode: allowed). {what}")
    } else {
        format!("This request was blocked by {policies}. {what}")
    }
}

/// The most characters of a requested model or target id that an error
/// message repeats.
const ECHO_MAX_CHARS: usize = 64;

/// The error for a model or pinned target the catalog does not have. The
/// message repeats the requested name, escaped and cut to
/// [`ECHO_MAX_CHARS`], and never names a catalog target, so a gateway may
/// pass it on to its client; the closest name the catalog has goes in the
/// help, for administrators. Looking for it is bounded (see
/// [`Catalog::suggest_id`]).
/// What an `a/b` model field names when no target has the id `a/b` (see
/// [`Request::from_model_field`]); `None` when it stays as it is.
fn resolve(catalog: &Catalog, request: &Request) -> Option<Request> {
    let field = request.pinned.as_deref().filter(|_| request.from_field)?;
    if catalog.get(field).is_some() {
        return None;
    }
    let (provider, model) = field.split_once('/')?;
    let mut of_provider = catalog
        .targets()
        .iter()
        .filter(|t| t.provider() == provider && (t.model() == model || t.is_wildcard()));
    if let (Some(one), None) = (of_provider.next(), of_provider.next()) {
        return Some(
            Request {
                from_field: false,
                ..Request::pin(one.id()).for_model(model)
            }
            .with_clock(request),
        );
    }
    // A model of that name (a wildcard target serves every model, so it
    // does not count: `nobody/gpt-4o` is a pin that names no target).
    if catalog.targets().iter().any(|t| t.model() == field) {
        return Some(Request::model(field).with_clock(request));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DISTANCES_COMPUTED, SUGGEST_MAX_DISTANCES};

    // What broke: an unknown pinned id was compared by edit distance with
    // every target id of the catalog, tens of milliseconds a bad request at
    // 10,000 targets, and a client chooses the id.
    #[test]
    fn an_unknown_pinned_id_costs_a_bounded_number_of_distances() {
        let targets = (0..10_000)
            .map(|i| Target::new("p", format!("m-{i:04}")))
            .collect();
        let catalog = Catalog::new(targets).unwrap();
        let policy = Policy::compile("require soc2").unwrap();
        for (request, help) in [
            // Every target is within the length bound of these and has
            // nearly the same characters: the worst case for the filter.
            (Request::pin("p/m-12345"), Some("did you mean `p/m-1234`?")),
            (Request::pin("p/x-9999"), Some("did you mean `p/m-9999`?")),
            (Request::model("m-99999"), Some("did you mean `m-9999`?")),
            (Request::pin("q/zzzzzz"), None),
        ] {
            DISTANCES_COMPUTED.with(|n| n.set(0));
            let err = route(&policy, &catalog, &request).unwrap_err();
            let computed = DISTANCES_COMPUTED.with(std::cell::Cell::get);
            assert!(
                computed <= SUGGEST_MAX_DISTANCES,
                "{computed} distances for {request:?}"
            );
            assert_eq!(err.diagnostics()[0].help(), help, "{request:?}");
        }
    }
}
