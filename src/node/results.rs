//! Results out, as plain JavaScript objects. What the binding shapes itself
//! (a verdict, a decision, the failures in them) has camelCase fields;
//! what is a documented JSON format of the library (the security event of
//! docs/EVENTS.md, the 403 body, diagnostics, preview and diff, targets in
//! the catalog format) keeps its own field names, so that it can be stored
//! and compared as the other tools write it.

use serde_json::{Value as J, json};

/// A serialisable library value as JSON.
pub(super) fn json(v: impl serde::Serialize) -> napi::Result<J> {
    serde_json::to_value(v).map_err(|e| napi::Error::from_reason(e.to_string()))
}

/// One failed requirement, as `Policy.evaluate` gives it: its text
/// (`requirement`), `kind`, `value` (`"false"` or `"unknown"`), `unknown`,
/// `attributes`, `index` (in the policy) and `condition` (its `when`
/// condition, or null).
fn reason(f: &crate::Failure) -> J {
    json!({
        "requirement": f.text(),
        "kind": crate::eval::kind_name(f.kind()),
        "value": f.value().as_str(),
        "unknown": f.is_unknown(),
        "attributes": f.attributes(),
        "index": f.requirement(),
        "condition": f.condition(),
    })
}

/// The verdict on one target: `{allowed, target, reasons}`.
pub(super) fn verdict(target: &str, v: &crate::Verdict) -> napi::Result<J> {
    let reasons: Vec<J> = v.failures().iter().map(reason).collect();
    Ok(json!({
        "allowed": v.is_allowed(),
        "target": target,
        "reasons": reasons,
    }))
}

/// A failure of a candidate: a reason with the `policy` (layer) and its
/// `mode`.
fn failure(f: &crate::LayerFailure) -> J {
    let mut r = reason(&f.failure);
    if let J::Object(m) = &mut r {
        let mut out = serde_json::Map::new();
        out.insert("policy".into(), J::from(&*f.policy));
        out.insert("mode".into(), J::from(f.mode.as_str()));
        out.append(m);
        return J::Object(out);
    }
    r
}

/// A routing decision as a plain object: `outcome`, `blocked`, `model`,
/// `pinned`, `requestId`, `targets`, `status`, `code`, `message`,
/// `errorBody` (the 403 body of docs/EVENTS.md §5), `event` (the security
/// event, in the JSON of docs/EVENTS.md §7) and `candidates` (each with
/// `id`, `provider`, `model`, `compliant`, `routed` and `failures`).
pub(super) fn decision(d: &crate::Decision) -> napi::Result<J> {
    let outcome = match d.outcome() {
        crate::Outcome::Routed => "routed",
        crate::Outcome::Blocked => "blocked",
        crate::Outcome::Warned => "warned",
    };
    let candidates: Vec<J> = d
        .candidates()
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "provider": c.provider,
                "model": c.model,
                "compliant": c.compliant,
                "routed": c.routed,
                "failures": c.failures.iter().map(failure).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({
        "outcome": outcome,
        "blocked": d.is_blocked(),
        "model": d.model(),
        "pinned": d.pinned(),
        "requestId": d.request_id(),
        "targets": d.targets(),
        "status": d.status(),
        "code": d.code(),
        "message": d.message(),
        "errorBody": d.error_body(),
        "event": d.event().map(crate::SecurityEvent::to_json),
        "candidates": candidates,
    }))
}
