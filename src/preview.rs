//! What a settings page shows before a policy is saved: which targets a
//! policy allows and blocks and why ([`preview`]), and what a change of
//! policy newly allows and newly blocks ([`diff`]).

use serde::Serialize;

use crate::catalog::Catalog;
use crate::eval::Failure;
use crate::policy::Policy;
use crate::request::RequestAttrs;
use crate::target::Target;
use crate::time::Date;

/// One target in a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PreviewRow {
    /// Target id.
    pub id: String,
    /// Provider.
    pub provider: String,
    /// Model.
    pub model: String,
    /// Whether the policy allows it.
    pub allowed: bool,
    /// Every failed requirement (empty when allowed).
    pub failures: Vec<Failure>,
}

/// Every target of a catalog, allowed or blocked, with reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The policy's display name.
    pub policy: String,
    /// Number of targets allowed.
    pub allowed: usize,
    /// Number of targets blocked.
    pub blocked: usize,
    /// One row a target, in catalog order.
    pub rows: Vec<PreviewRow>,
}

/// Previews `policy` over every target of `catalog` (evidence as of `date`,
/// or today).
///
/// ```
/// let policy = eligo::Policy::from_file("policies/regulated-routing.pol")?;
/// let catalog = eligo::Catalog::from_file("policies/catalog.json")?;
/// let p = eligo::preview(&policy, &catalog, None);
/// let allowed: Vec<&str> = p.rows.iter().filter(|r| r.allowed).map(|r| r.id.as_str()).collect();
/// assert_eq!(allowed, ["onprem/deepseek-v3.2", "onprem/llama-3.3-70b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview(policy: &Policy, catalog: &Catalog, date: Option<Date>) -> Preview {
    preview_for(policy, catalog, None, &RequestAttrs::new(), date)
}

/// The general preview: over every target of `catalog`, or (with `model`)
/// over those serving it as a request for it would see them, for a request
/// with attributes `attrs` (see [`Policy::evaluate_for`]).
///
/// ```
/// use eligo::{Catalog, RequestAttrs, Target};
/// let policy = eligo::compile(r#"when request.data_class == "phi" { require hipaa; }"#)?;
/// let catalog = Catalog::new(vec![
///     Target::new("cloud", "m"),
///     Target::builder("clinic", "m").attr("hipaa", true).build(),
/// ])?;
/// for (class, allowed) in [("public", 2), ("phi", 1)] {
///     let attrs = RequestAttrs::new().with("data_class", class);
///     assert_eq!(eligo::preview_for(&policy, &catalog, None, &attrs, None).allowed, allowed);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview_for(
    policy: &Policy,
    catalog: &Catalog,
    model: Option<&str>,
    attrs: &RequestAttrs,
    date: Option<Date>,
) -> Preview {
    let rows: Vec<PreviewRow> = match model {
        None => catalog
            .targets()
            .iter()
            .map(|t| row(policy, t, t, attrs, date))
            .collect(),
        Some(model) => catalog
            .serving(model)
            .map(|(_, t)| row(policy, t, &t.serving_as(model), attrs, date))
            .collect(),
    };
    summary(policy, rows)
}

/// Previews `policy` over the targets of `catalog` that serve `model`, as a
/// request for `model` would see them: a target serving every model (`*`)
/// is judged as serving `model`. No rows when no target serves it.
///
/// ```
/// use eligo::{Catalog, Target};
/// let policy = eligo::compile(r#"deny model ["gpt-3.5-turbo"]"#)?;
/// let catalog = Catalog::new(vec![
///     Target::builder("openai", "*").id("openai").build(),
///     Target::new("local", "llama-3"),
/// ])?;
/// let p = eligo::preview_model(&policy, &catalog, "gpt-3.5-turbo", None);
/// assert_eq!((p.rows.len(), p.allowed), (1, 0));
/// let p = eligo::preview_model(&policy, &catalog, "gpt-4o", None);
/// assert_eq!((p.rows.len(), p.allowed), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview_model(
    policy: &Policy,
    catalog: &Catalog,
    model: &str,
    date: Option<Date>,
) -> Preview {
    preview_for(policy, catalog, Some(model), &RequestAttrs::new(), date)
}

/// The row of `target`, judged as `judged` (itself, or as serving a model).
fn row(
    policy: &Policy,
    target: &Target,
    judged: &Target,
    attrs: &RequestAttrs,
    date: Option<Date>,
) -> PreviewRow {
    let v = policy.evaluate_for(judged, attrs, date);
    PreviewRow {
        id: target.id().to_string(),
        provider: target.provider().to_string(),
        model: target.model().to_string(),
        allowed: v.is_allowed(),
        failures: v.failures().to_vec(),
    }
}

fn summary(policy: &Policy, rows: Vec<PreviewRow>) -> Preview {
    let allowed = rows.iter().filter(|r| r.allowed).count();
    Preview {
        policy: policy.display_name().to_string(),
        allowed,
        blocked: rows.len() - allowed,
        rows,
    }
}

/// A target whose verdict a policy change alters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffRow {
    /// Target id.
    pub id: String,
    /// Why the old policy blocked it (empty if it allowed it).
    pub before: Vec<Failure>,
    /// Why the new policy blocks it (empty if it allows it).
    pub after: Vec<Failure>,
}

/// What changes when `old` is replaced by `new`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Targets the new policy allows and the old one blocked.
    pub newly_allowed: Vec<DiffRow>,
    /// Targets the new policy blocks and the old one allowed.
    pub newly_blocked: Vec<DiffRow>,
    /// Ids of targets allowed by both.
    pub still_allowed: Vec<String>,
    /// Ids of targets blocked by both.
    pub still_blocked: Vec<String>,
}

impl Diff {
    /// Whether no target changes verdict.
    pub fn is_empty(&self) -> bool {
        self.newly_allowed.is_empty() && self.newly_blocked.is_empty()
    }
}

/// Compares two policies over `catalog`.
///
/// ```
/// use eligo::{Catalog, Target};
/// let old = eligo::compile("require soc2")?;
/// let new = eligo::compile("require soc2 or iso27001")?;
/// let catalog = Catalog::new(vec![Target::builder("a", "m").attr("iso27001", true).build()])?;
/// let d = eligo::diff(&old, &new, &catalog, None);
/// assert_eq!(d.newly_allowed[0].id, "a/m");
/// assert_eq!(d.newly_allowed[0].before[0].text(), "require soc2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff(old: &Policy, new: &Policy, catalog: &Catalog, date: Option<Date>) -> Diff {
    let mut d = Diff {
        newly_allowed: Vec::new(),
        newly_blocked: Vec::new(),
        still_allowed: Vec::new(),
        still_blocked: Vec::new(),
    };
    for t in catalog.targets() {
        let (a, b) = (old.evaluate_at(t, date), new.evaluate_at(t, date));
        let row = || DiffRow {
            id: t.id().to_string(),
            before: a.failures().to_vec(),
            after: b.failures().to_vec(),
        };
        match (a.is_allowed(), b.is_allowed()) {
            (false, true) => d.newly_allowed.push(row()),
            (true, false) => d.newly_blocked.push(row()),
            (true, true) => d.still_allowed.push(t.id().to_string()),
            (false, false) => d.still_blocked.push(t.id().to_string()),
        }
    }
    d
}
