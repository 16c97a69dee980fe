//! Decision: how every candidate fares under every policy layer, and
//! what that makes of the request.
//!
//! Each candidate is read once a layer, as literal bits (see
//! [`crate::compile`]). The bits hold every predicate's value, so they
//! decide the candidate and also fix its explanation: candidates with the
//! same bits share one judgement, worked out once a decision (most
//! candidates of a large catalog read alike). A candidate that serves
//! every model is read as serving the requested one.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use smallvec::SmallVec;

use super::NO_COMPLIANT_PROVIDER;
use super::event::SecurityEvent;
use super::select::{Request, Selection};
use crate::catalog::Catalog;
use crate::compile::Bits;
use crate::eval::LayerFailure;
use crate::policy::{Mode, Policy};
use crate::time::Date;

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
    /// Every failed requirement of every layer. Candidates that read the
    /// same (their attributes give every predicate the same value) share
    /// one list.
    pub failures: Arc<[LayerFailure]>,
}

/// A routing decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub(crate) outcome: Outcome,
    pub(crate) model: String,
    pub(crate) pinned: Option<String>,
    pub(crate) request_id: Option<String>,
    /// Ids of the targets to try, in order.
    pub(crate) targets: Vec<String>,
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) message: Option<String>,
    pub(crate) event: Option<SecurityEvent>,
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

    /// The requested model (for a pinned request, the model it names, else
    /// the part of the id after the first `/`).
    ///
    /// ```
    /// use eligo::{Catalog, Request, Target};
    /// let policy = eligo::compile("require soc2")?;
    /// let catalog = Catalog::new(vec![Target::builder("cloud", "m").attr("soc2", true).build()])?;
    /// let d = eligo::route(&policy, &catalog, &Request::pin("cloud/m"))?;
    /// assert_eq!((d.model(), d.pinned()), ("m", Some("cloud/m")));
    /// let d = eligo::route(&policy, &catalog, &Request::model("m"))?;
    /// assert_eq!((d.model(), d.pinned()), ("m", None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The pinned target id, for a pinned request.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }

    /// The client request's id, if the request had one
    /// ([`Request::with_id`]).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
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

/// How a candidate fares under every layer: a function of its literal
/// bits.
#[derive(Clone, Debug)]
struct Judgement {
    /// It passes every layer.
    compliant: bool,
    /// The `block`-mode layers it fails, by position.
    blocked_by: SmallVec<[usize; 2]>,
    /// Every failed requirement of every layer.
    failures: Arc<[LayerFailure]>,
}

/// The judgements of one decision by literal bits: a list while there are
/// few (a scan beats hashing), a hash map past [`Memo::LIST_MAX`].
#[derive(Default)]
struct Memo {
    list: Vec<(SmallVec<[u64; 4]>, Judgement)>,
    map: HashMap<SmallVec<[u64; 4]>, Judgement>,
}

impl Memo {
    const LIST_MAX: usize = 16;

    fn get_or_judge(
        &mut self,
        key: SmallVec<[u64; 4]>,
        judge: impl FnOnce() -> Judgement,
    ) -> Judgement {
        if self.map.is_empty() {
            if let Some((_, j)) = self.list.iter().find(|(k, _)| *k == key) {
                return j.clone();
            }
            if self.list.len() < Memo::LIST_MAX {
                let j = judge();
                self.list.push((key, j.clone()));
                return j;
            }
            self.map.extend(self.list.drain(..));
        }
        self.map.entry(key).or_insert_with(judge).clone()
    }
}

/// Judges a candidate from its bits under each layer (`bits[i]` for
/// `layers[i]`).
fn judge(layers: &[Policy], bits: &[Bits]) -> Judgement {
    let mut compliant = true;
    let mut blocked_by = SmallVec::new();
    let mut failed: SmallVec<[Arc<[LayerFailure]>; 2]> = SmallVec::new();
    for (i, (layer, bits)) in layers.iter().zip(bits).enumerate() {
        if layer.passes_bits(bits) {
            continue;
        }
        // Decided by the bits alone: an explanation never turns a block
        // into an allow.
        compliant = false;
        if layer.mode() == Mode::Block {
            blocked_by.push(i);
        }
        failed.push(layer.layer_failures(bits));
    }
    let failures = match failed.as_slice() {
        [] => Arc::from([]),
        [one] => Arc::clone(one),
        many => many.iter().flat_map(|f| f.iter().cloned()).collect(),
    };
    Judgement {
        compliant,
        blocked_by,
        failures,
    }
}

/// Decides `selection` under `layers` on `day`: every candidate judged, the
/// outcome, the routed targets and the message. The event is left to
/// [`super::event`].
pub(crate) fn decide(
    layers: &[Policy],
    catalog: &Catalog,
    selection: &Selection<'_>,
    day: Date,
) -> Decision {
    let request: &Request = &selection.request;
    let model = request.model_given.then_some(request.model.as_str());
    let date = Some(day);
    let mut memo = Memo::default();
    let mut blocking: Vec<usize> = Vec::new();
    let mut candidates = Vec::with_capacity(selection.rows.len());
    let mut bits: Vec<Bits> = Vec::with_capacity(layers.len());
    // The request's own literal bits, once a layer for the whole decision.
    let request_bits: Vec<Bits> = layers
        .iter()
        .map(|l| l.program().request_bits(&request.attrs))
        .collect();
    for &row in &selection.rows {
        let Some(t) = catalog.targets().get(row) else {
            continue;
        };
        bits.clear();
        bits.extend(
            layers
                .iter()
                .zip(&request_bits)
                .map(|(layer, r)| layer.bits(t, model, date, r)),
        );
        let key: SmallVec<[u64; 4]> = bits.iter().flatten().copied().collect();
        let judged = memo.get_or_judge(key, || judge(layers, &bits));
        for &i in &judged.blocked_by {
            if !blocking.contains(&i) {
                blocking.push(i);
            }
        }
        candidates.push(Candidate {
            id: t.id().to_string(),
            provider: t.provider().to_string(),
            model: t.model().to_string(),
            compliant: judged.compliant,
            routed: judged.blocked_by.is_empty(),
            failures: Arc::clone(&judged.failures),
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
        Outcome::Blocked => {
            let by: Vec<&Policy> = blocking.iter().filter_map(|&i| layers.get(i)).collect();
            Some(block_message(&by, request, false))
        }
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
            let names: Vec<String> = layers
                .iter()
                .filter(|l| l.mode() == Mode::Warn)
                .map(|p| format!("`{}`", p.display_name()))
                .collect();
            format!(
                "Warn mode kept {kept} provider(s) for {} that do not meet the requirements of {}.",
                request.model,
                names.join(", ")
            )
        })
    });
    Decision {
        outcome,
        model: request.model.clone(),
        pinned: request.pinned.clone(),
        request_id: request.id.clone(),
        targets,
        candidates,
        message,
        event: None,
    }
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
