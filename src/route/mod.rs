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
//!
//! # Layout
//!
//! - `select`: which targets the request names (the catalog's index by
//!   model, pins, `a/b` model fields, unknown names);
//! - `decide`: each candidate judged under each layer, once per distinct
//!   reading, and the outcome;
//! - `event`: the security event, candidates grouped by their failures.

mod decide;
mod event;
mod select;

pub use crate::eval::LayerFailure;
pub use decide::{Candidate, Decision, Outcome};
pub use event::{EVENT_SCHEMA, EventGroup, PolicyRef, RequestRef, SecurityEvent};
pub use select::Request;

use crate::catalog::Catalog;
use crate::diagnostic::{Diagnostic, Error};
use crate::policy::Policy;
use crate::time::Timestamp;

/// The error code of a blocked request.
pub const NO_COMPLIANT_PROVIDER: &str = "no_compliant_provider";

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
    let selection = select::select(catalog, request)?;
    let decision = decide::decide(layers, catalog, &selection, day);
    Ok(event::attach(
        decision,
        layers,
        &selection.request,
        time,
        day,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;
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
