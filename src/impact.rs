//! Compliance alerts: what a change of catalog does to every policy.
//!
//! [`impact`] compares the verdicts of many policy sets (a policy alone, or
//! a baseline with project layers) on an old and a new catalog: which
//! targets each set newly allows or blocks and why, and which models lose
//! their last compliant target (their requests will answer 403) or gain a
//! first one. [`expiring`] does the same for one catalog over time, as its
//! expiring evidence runs out.
//!
//! Every set is decided over a whole catalog at once on the bulk path (one
//! binding a policy and catalog, [`Policy::allowed_in`]); explanations are
//! worked out only for targets whose verdict changes. A target serving
//! every model (`*`) is judged for each model the catalog names, as a
//! request for that model would see it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::eval::{AllowedSet, LayerFailure};
use crate::policy::{Mode, Policy};
use crate::target::Target;
use crate::time::Date;

/// Policies applied together, as `route_layered` applies them: a target is
/// compliant when it passes every layer. One policy is a set of one.
#[derive(Clone, Debug)]
pub struct PolicySet {
    /// How reports name the set (a file name, a project).
    pub name: String,
    /// The layers; never empty.
    pub layers: Vec<Policy>,
}

impl PolicySet {
    /// A set of one policy, named after it.
    pub fn of(policy: Policy) -> PolicySet {
        PolicySet {
            name: policy.display_name().to_string(),
            layers: vec![policy],
        }
    }

    /// Whether `target` (serving `model` when given) passes every layer on
    /// `date`.
    fn passes(&self, target: &Target, model: Option<&str>, date: Date) -> bool {
        let judged = match model {
            Some(m) => target.serving_as(m),
            None => std::borrow::Cow::Borrowed(target),
        };
        !self.layers.is_empty() && self.layers.iter().all(|l| l.is_allowed_on(&judged, date))
    }

    /// Every failed requirement of every layer for `target`.
    fn reasons(&self, target: &Target, date: Date) -> Vec<LayerFailure> {
        let mut out = Vec::new();
        for layer in &self.layers {
            let name: std::sync::Arc<str> = layer.display_name().into();
            for f in layer.evaluate_on(target, date).failures() {
                out.push(LayerFailure {
                    policy: std::sync::Arc::clone(&name),
                    mode: layer.mode(),
                    failure: f.clone(),
                });
            }
        }
        out
    }

    /// The compliant positions of `catalog` on `date`, every layer ANDed
    /// on the bulk path.
    fn allowed(&self, catalog: &Catalog, date: Date) -> Vec<bool> {
        let mut ok = vec![!self.layers.is_empty(); catalog.len()];
        for layer in &self.layers {
            let mut passed = vec![false; catalog.len()];
            for i in layer.allowed_in(catalog, Some(date)).indices() {
                if let Some(p) = passed.get_mut(i) {
                    *p = true;
                }
            }
            for (o, p) in ok.iter_mut().zip(passed) {
                *o &= p;
            }
        }
        ok
    }
}

/// How a target's presence changed between the catalogs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// In both catalogs; its declarations changed the verdict.
    Changed,
    /// Only in the new catalog.
    Added,
    /// Only in the old catalog.
    Removed,
}

/// A target whose verdict changed, with why it is (or was) blocked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TargetChange {
    /// The target id.
    pub id: String,
    /// Whether it changed, was added or was removed.
    pub change: Presence,
    /// For a newly allowed target, why it was blocked before (none when it
    /// was added); for a newly blocked one, why it is blocked now (none
    /// when it was removed).
    pub reasons: Vec<LayerFailure>,
}

/// What a catalog change does to one policy set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyImpact {
    /// The set's name.
    pub policy: String,
    /// The layers' modes, in order (a `warn` set logs instead of blocking).
    pub modes: Vec<Mode>,
    /// Targets allowed now that were not, in the new catalog's order.
    pub newly_allowed: Vec<TargetChange>,
    /// Targets blocked now (or gone) that were allowed, in the old
    /// catalog's order.
    pub newly_blocked: Vec<TargetChange>,
    /// Models that had a compliant target and have none now: their
    /// requests will answer 403. Sorted.
    pub models_losing_all_targets: Vec<String>,
    /// Models that had no compliant target and have one now. Sorted.
    pub models_gaining_targets: Vec<String>,
}

impl PolicyImpact {
    /// Whether the change alters nothing for this set.
    pub fn is_empty(&self) -> bool {
        self.newly_allowed.is_empty()
            && self.newly_blocked.is_empty()
            && self.models_losing_all_targets.is_empty()
            && self.models_gaining_targets.is_empty()
    }
}

/// The models with a compliant target: each non-wildcard target's model
/// when it is allowed, and each model the catalogs name for a wildcard
/// target allowed as serving it.
fn compliant_models(
    set: &PolicySet,
    catalog: &Catalog,
    allowed: &[bool],
    models: &BTreeSet<&str>,
    date: Date,
) -> BTreeSet<String> {
    let ok = |row: usize| allowed.get(row).copied().unwrap_or(false);
    models
        .iter()
        .filter(|m| {
            // The catalog's index by model: a model's own targets by
            // their verdict (stopping at the first allowed one), then
            // the targets serving every model, judged as serving it.
            catalog.serving_rows(m).into_iter().any(|row| {
                catalog.targets().get(row).is_some_and(|t| {
                    if t.is_wildcard() {
                        set.passes(t, Some(m), date)
                    } else {
                        ok(row)
                    }
                })
            })
        })
        .map(|m| (*m).to_string())
        .collect()
}

/// The model names the catalogs give (targets serving every model aside).
fn named_models<'a>(catalogs: &[&'a Catalog]) -> BTreeSet<&'a str> {
    catalogs
        .iter()
        .flat_map(|c| c.targets())
        .filter(|t| !t.is_wildcard())
        .map(Target::model)
        .collect()
}

/// What replacing `old` by `new` does to each policy set, evidence read as
/// of `date` (or today, in UTC) in both.
///
/// ```
/// use eligo::{Catalog, PolicySet, Target};
/// let policy = eligo::compile(r#"policy "soc2"; require soc2"#)?;
/// let old = Catalog::new(vec![
///     Target::builder("acme", "m").attr("soc2", true).build(),
///     Target::builder("beta", "n").attr("soc2", false).build(),
/// ])?;
/// let new = Catalog::new(vec![
///     Target::builder("acme", "m").attr("soc2", false).build(), // lost its report
///     Target::builder("beta", "n").attr("soc2", true).build(),
/// ])?;
/// let report = eligo::impact(&[PolicySet::of(policy)], &old, &new, None);
/// let p = &report[0];
/// assert_eq!(p.newly_blocked[0].id, "acme/m");
/// assert_eq!(p.newly_blocked[0].reasons[0].failure.text(), "require soc2");
/// assert_eq!(p.models_losing_all_targets, ["m"]);
/// assert_eq!(p.models_gaining_targets, ["n"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn impact(
    sets: &[PolicySet],
    old: &Catalog,
    new: &Catalog,
    date: Option<Date>,
) -> Vec<PolicyImpact> {
    let day = date.unwrap_or_else(Date::today);
    // What changed, once for every set: a target whose id and declarations
    // are the same in both catalogs is decided the same by every policy on
    // the same day, so only the others are judged.
    let mut changed: Vec<(Option<&Target>, Option<&Target>)> = Vec::new();
    for t in new.targets() {
        match old.get(t.id()) {
            Some(o) if o == t => {}
            before => changed.push((before, Some(t))),
        }
    }
    for o in old.targets() {
        if new.get(o.id()).is_none() {
            changed.push((Some(o), None));
        }
    }
    // The models whose compliance can change: those of the changed targets,
    // or every model when a target serving every model changed.
    let all_models = named_models(&[old, new]);
    let touched: BTreeSet<&str> = if changed
        .iter()
        .flat_map(|(a, b)| [a, b])
        .flatten()
        .any(|t| t.is_wildcard())
    {
        all_models.clone()
    } else {
        changed
            .iter()
            .flat_map(|(a, b)| [a, b])
            .flatten()
            .map(|t| t.model())
            .collect()
    };
    // New targets in the new catalog's order, then removed ones in the
    // old catalog's order; newly blocked ones reported in the old order.
    let old_order = |t: &(Option<&Target>, Option<&Target>)| {
        t.0.and_then(|o| old.position(o.id())).unwrap_or(usize::MAX)
    };
    let mut by_old: Vec<&(Option<&Target>, Option<&Target>)> =
        changed.iter().filter(|(o, _)| o.is_some()).collect();
    by_old.sort_by_key(|t| old_order(t));
    sets.iter()
        .map(|set| {
            let mut newly_allowed = Vec::new();
            for (before, after) in &changed {
                let Some(t) = after else { continue };
                if !set.passes(t, None, day) {
                    continue;
                }
                match before {
                    Some(o) if !set.passes(o, None, day) => newly_allowed.push(TargetChange {
                        id: t.id().to_string(),
                        change: Presence::Changed,
                        reasons: set.reasons(o, day),
                    }),
                    None => newly_allowed.push(TargetChange {
                        id: t.id().to_string(),
                        change: Presence::Added,
                        reasons: Vec::new(),
                    }),
                    Some(_) => {}
                }
            }
            let mut newly_blocked = Vec::new();
            for (before, after) in &by_old {
                let Some(o) = before else { continue };
                if !set.passes(o, None, day) {
                    continue;
                }
                match after {
                    Some(t) if !set.passes(t, None, day) => newly_blocked.push(TargetChange {
                        id: o.id().to_string(),
                        change: Presence::Changed,
                        reasons: set.reasons(t, day),
                    }),
                    None => newly_blocked.push(TargetChange {
                        id: o.id().to_string(),
                        change: Presence::Removed,
                        reasons: Vec::new(),
                    }),
                    Some(_) => {}
                }
            }
            let (mut losing, mut gaining) = (Vec::new(), Vec::new());
            for m in &touched {
                let (was, is) = (
                    has_compliant(set, old, m, day),
                    has_compliant(set, new, m, day),
                );
                if was && !is {
                    losing.push((*m).to_string());
                } else if is && !was {
                    gaining.push((*m).to_string());
                }
            }
            PolicyImpact {
                policy: set.name.clone(),
                modes: set.layers.iter().map(Policy::mode).collect(),
                newly_allowed,
                newly_blocked,
                models_losing_all_targets: losing,
                models_gaining_targets: gaining,
            }
        })
        .collect()
}

/// Whether some target of `catalog` serving `model` passes `set`: the
/// model's own targets, then those serving every model judged as serving
/// it, stopping at the first that passes.
fn has_compliant(set: &PolicySet, catalog: &Catalog, model: &str, day: Date) -> bool {
    catalog.serving_any_order(model).any(|t| {
        if t.is_wildcard() {
            set.passes(t, Some(model), day)
        } else {
            set.passes(t, None, day)
        }
    })
}

/// The targets of `catalog` each policy allows on `date` (or today, in
/// UTC), in the order given: a fleet's verdicts at once. Policies with the
/// same compiled requirements (however they are named) share one binding
/// and one filter, so a fleet of many alike policies costs its distinct
/// ones.
///
/// ```
/// use eligo::{Catalog, Target};
/// let fleet = [
///     eligo::compile(r#"policy "a"; require soc2"#)?,
///     eligo::compile(r#"policy "b"; require soc2"#)?, // same requirements: shared work
///     eligo::compile(r#"policy "c"; require gdpr"#)?,
/// ];
/// let catalog = Catalog::new(vec![Target::builder("x", "m").attr("soc2", true).build()])?;
/// let allowed = eligo::allowed_by_each(&fleet, &catalog, None);
/// assert_eq!(allowed.iter().map(|s| s.count()).collect::<Vec<_>>(), [1, 1, 0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn allowed_by_each(
    policies: &[Policy],
    catalog: &Catalog,
    date: Option<Date>,
) -> Vec<AllowedSet> {
    let day = date.unwrap_or_else(Date::today);
    // Bucketed by the requirements' text, then told apart by the compiled
    // programs themselves: equal programs decide alike.
    let mut buckets: HashMap<Vec<&str>, Vec<(usize, AllowedSet)>> = HashMap::new();
    let mut out: Vec<Option<AllowedSet>> = vec![None; policies.len()];
    for (i, p) in policies.iter().enumerate() {
        let key: Vec<&str> = p
            .ir()
            .requirements
            .iter()
            .map(|r| r.text.as_str())
            .collect();
        let bucket = buckets.entry(key).or_default();
        let shared = bucket
            .iter()
            .find(|(j, _)| policies.get(*j).is_some_and(|q| q.program() == p.program()))
            .map(|(_, set)| set.clone());
        let set = match shared {
            Some(set) => set,
            None => {
                let set = p.allowed_in(catalog, Some(day));
                bucket.push((i, set.clone()));
                set
            }
        };
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(set);
        }
    }
    out.into_iter().flatten().collect()
}

/// What one policy set loses on one day as evidence expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiryImpact {
    /// The first day the evidence no longer holds (the day after its
    /// expiry date).
    pub date: Date,
    /// The set's name.
    pub policy: String,
    /// Targets it allowed the day before and blocks from `date`, with why.
    pub newly_blocked: Vec<TargetChange>,
    /// Models that will then have no compliant target. Sorted.
    pub models_losing_all_targets: Vec<String>,
}

/// The targets each policy set will lose as the catalog's expiring evidence
/// runs out, from `from` through `until`, by date: for each day on which
/// some evidence stops holding (the day after its expiry date), each set
/// that blocks targets it allowed the day before, and the models that then
/// have no compliant target. In date order, sets in the order given.
///
/// ```
/// use eligo::{Catalog, Date, PolicySet, Target};
/// let policy = eligo::compile("require soc2")?;
/// let d = |s: &str| s.parse::<Date>().unwrap();
/// let catalog = Catalog::new(vec![
///     Target::builder("acme", "m").expiring("soc2", true, d("2027-03-31")).build(),
/// ])?;
/// let alerts = eligo::expiring(&[PolicySet::of(policy)], &catalog, d("2027-01-01"), d("2027-12-31"));
/// assert_eq!(alerts[0].date, d("2027-04-01"));
/// assert_eq!(alerts[0].newly_blocked[0].id, "acme/m");
/// assert_eq!(alerts[0].models_losing_all_targets, ["m"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expiring(
    sets: &[PolicySet],
    catalog: &Catalog,
    from: Date,
    until: Date,
) -> Vec<ExpiryImpact> {
    // The days evidence stops holding, within the window.
    let days: BTreeSet<Date> = catalog
        .targets()
        .iter()
        .flat_map(Target::expiries)
        .filter_map(|e| e.succ())
        .filter(|d| *d > from && *d <= until)
        .collect();
    let models = named_models(&[catalog]);
    let mut out = Vec::new();
    let mut before: BTreeMap<usize, (Vec<bool>, BTreeSet<String>)> = BTreeMap::new();
    for (k, set) in sets.iter().enumerate() {
        let a = set.allowed(catalog, from);
        let m = compliant_models(set, catalog, &a, &models, from);
        before.insert(k, (a, m));
    }
    for day in days {
        for (k, set) in sets.iter().enumerate() {
            let b = set.allowed(catalog, day);
            let after = compliant_models(set, catalog, &b, &models, day);
            let Some((a, prev)) = before.get_mut(&k) else {
                continue;
            };
            let newly_blocked: Vec<TargetChange> = catalog
                .targets()
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    a.get(*i).copied().unwrap_or(false) && !b.get(*i).copied().unwrap_or(false)
                })
                .map(|(_, t)| TargetChange {
                    id: t.id().to_string(),
                    change: Presence::Changed,
                    reasons: set.reasons(t, day),
                })
                .collect();
            let losing: Vec<String> = prev.difference(&after).cloned().collect();
            if !newly_blocked.is_empty() || !losing.is_empty() {
                out.push(ExpiryImpact {
                    date: day,
                    policy: set.name.clone(),
                    newly_blocked,
                    models_losing_all_targets: losing,
                });
            }
            *a = b;
            *prev = after;
        }
    }
    out
}
