//! Events: the record of a block (or of a `warn`-mode pass) for an
//! administrator to review.
//!
//! Candidates that fail the same requirements are listed together, by id,
//! under one copy of their failures: an event over ten thousand blocked
//! candidates holds each distinct explanation once.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::NO_COMPLIANT_PROVIDER;
use super::decide::{Candidate, Decision, Outcome};
use super::select::Request;
use crate::eval::LayerFailure;
use crate::policy::{Mode, Policy};
use crate::request::RequestAttrs;
use crate::schema::REQUEST_PREFIX;
use crate::time::{Date, Timestamp};

/// The name and version of the event schema.
pub const EVENT_SCHEMA: &str = "eligo.security_event/2";

/// A structured record of a block (or a `warn`-mode would-be block) for an
/// administrator to review. eligo builds it; the host stores it. The JSON
/// schema is documented in `docs/EVENTS.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityEvent {
    /// Schema name and version: [`EVENT_SCHEMA`].
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
    /// How many candidates the request had.
    pub candidate_count: usize,
    /// Every candidate, grouped by what it failed: groups in the order of
    /// their first candidate, candidates in catalog order.
    pub groups: Vec<EventGroup>,
}

/// Candidates that fared alike: the same failures (hence the same
/// `compliant` and `routed`), listed once for all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventGroup {
    /// Whether these candidates pass every layer.
    pub compliant: bool,
    /// Whether they stay in the routed list.
    pub routed: bool,
    /// Every failed requirement of every layer.
    pub failures: Arc<[LayerFailure]>,
    /// The candidates' target ids, in catalog order.
    pub candidates: Vec<String>,
}

/// A list of failures as a map key: hashed by what tells failures apart
/// cheaply (requirement, kind of value, span, how many attributes), never
/// by their text, and compared in full.
#[derive(PartialEq, Eq)]
struct Failures<'a>(&'a [LayerFailure]);

impl std::hash::Hash for Failures<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // One word for the whole list: equal lists give equal words, and
        // the full comparison settles the rest.
        let mut word = self.0.len() as u64;
        for f in self.0 {
            let part = (f.failure.requirement() as u64) << 8
                | (f.failure.value() as u64) << 4
                | f.failure.attributes().len() as u64;
            word = word.rotate_left(5) ^ part ^ f.failure.span().start as u64;
        }
        h.write_u64(word);
    }
}

/// Groups candidates by how they fared, in the order first seen.
///
/// Candidates judged alike share one list of failures, so they are first
/// grouped by that list's address (no hashing of its text a candidate);
/// only then are groups whose lists are equal (judged apart, failing
/// alike) merged, hashing each distinct list once.
fn groups(candidates: &[Candidate]) -> Vec<EventGroup> {
    // Candidates sharing one list, in order of their first candidate.
    let mut by_list: HashMap<(usize, bool, bool), usize> = HashMap::new();
    let mut shared: Vec<(&Candidate, Vec<usize>)> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let address = Arc::as_ptr(&c.failures).cast::<LayerFailure>() as usize;
        let k = *by_list
            .entry((address, c.compliant, c.routed))
            .or_insert_with(|| {
                shared.push((c, Vec::new()));
                shared.len() - 1
            });
        if let Some((_, rows)) = shared.get_mut(k) {
            rows.push(i);
        }
    }
    // Lists that are equal although not shared.
    let mut by_value: HashMap<(bool, bool, Failures<'_>), usize> = HashMap::new();
    let mut merged: Vec<(&Candidate, Vec<usize>)> = Vec::new();
    for (first, rows) in shared {
        let key = (first.compliant, first.routed, Failures(&first.failures));
        match by_value.get(&key).and_then(|&k| merged.get_mut(k)) {
            Some((_, all)) => all.extend(rows),
            None => {
                by_value.insert(key, merged.len());
                merged.push((first, rows));
            }
        }
    }
    merged
        .into_iter()
        .map(|(first, mut rows)| {
            rows.sort_unstable();
            EventGroup {
                compliant: first.compliant,
                routed: first.routed,
                failures: Arc::clone(&first.failures),
                candidates: rows
                    .iter()
                    .filter_map(|&i| candidates.get(i).map(|c| c.id.clone()))
                    .collect(),
            }
        })
        .collect()
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
    /// The host's id for the client request ([`Request::with_id`]), or
    /// `null`.
    pub id: Option<String>,
    /// Requested model.
    pub model: String,
    /// Pinned target id, or `null`.
    pub pinned: Option<String>,
    /// The request attributes the policies' `when` conditions read that
    /// the request gave, by bare name (`{"data_class": "phi"}`).
    pub attributes: RequestAttrs,
    /// The request attributes the conditions read that the request did
    /// not give (their blocks applied), by bare name, sorted.
    pub missing: Vec<String>,
}

impl RequestRef {
    /// The request as an event names it: what the policies' conditions
    /// read of its attributes, and what they read but was not given.
    fn of(request: &Request, layers: &[Policy]) -> RequestRef {
        let mut read: Vec<&str> = layers
            .iter()
            .flat_map(|l| l.program().request_attributes())
            .collect();
        read.sort_unstable();
        read.dedup();
        let mut attributes = RequestAttrs::new();
        let mut missing = Vec::new();
        for name in read {
            let bare = name.strip_prefix(REQUEST_PREFIX).unwrap_or(name);
            match request.attrs.get(name) {
                Some(v) => attributes.set(bare, v.to_value()),
                None => missing.push(bare.to_string()),
            }
        }
        RequestRef {
            id: request.id.clone(),
            model: request.model.clone(),
            pinned: request.pinned.clone(),
            attributes,
            missing,
        }
    }
}

/// Adds the security event to `decision` when it has a message (a block,
/// a would-be block, or a `warn`-mode pass that kept non-compliant
/// targets).
pub(crate) fn attach(
    mut decision: Decision,
    layers: &[Policy],
    request: &Request,
    time: Timestamp,
    date: Date,
) -> Decision {
    let Some(message) = decision.message.clone() else {
        return decision;
    };
    let blocked = decision.outcome == Outcome::Blocked;
    decision.event = Some(SecurityEvent {
        schema: EVENT_SCHEMA,
        time,
        date,
        action: if blocked { "block" } else { "warn" },
        status: if blocked { 403 } else { 200 },
        code: NO_COMPLIANT_PROVIDER,
        message,
        policies: layers.iter().map(PolicyRef::of).collect(),
        request: RequestRef::of(request, layers),
        candidate_count: decision.candidates.len(),
        groups: groups(&decision.candidates),
    });
    decision
}
