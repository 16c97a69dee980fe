//! Warnings for policy authors: requirements that cannot do what they seem
//! to, entries that have no effect, and (against a catalog) the metadata
//! gaps that block targets.
//!
//! [`lint`] checks a compiled policy on its own; [`lint_catalog`] checks it
//! against the targets it will meet. Both return warnings (and notes); the
//! errors that stop a policy from compiling come from [`crate::compile`]
//! instead. Every diagnostic has a stable `lint/…` code:
//!
//! | code | meaning |
//! |---|---|
//! | `lint/never-passes` | no target can pass the requirement |
//! | `lint/always-passes` | every target passes it: it restricts nothing |
//! | `lint/fails-when-undeclared` | it holds for every declared value, so it looks like a tautology, but it blocks (or can block) targets that leave an attribute undeclared; when it passes exactly when the attributes are declared, it says to write `known(..)` |
//! | `lint/redundant-requirement` | another requirement implies it |
//! | `lint/conflicting-requirements` | no target can pass two (or more) requirements together |
//! | `lint/duplicate-entry` | a name listed twice in allow or deny lists of one field |
//! | `lint/shadowed-entry` | a name both allowed and denied (deny wins) |
//! | `lint/redundant-deny` | a denied name the allow list of the same field already blocks |
//! | `lint/empty-allow-list` | `allow provider []` restricts nothing |
//! | `lint/unused-attribute` | a declared attribute no requirement uses |
//! | `lint/invisible-character` | a string (list entry, compared value, name) holds a zero-width, format or non-ASCII space character |
//! | `lint/confusable-string` | a string holds Cyrillic, Greek or fullwidth letters that look like ASCII ones (`"dеepseek"`) |
//! | `lint/mixed-scripts` | a string mixes letters of two scripts (Latin, Greek, Cyrillic, Armenian) |
//! | `lint/no-requirements` | the policy has no requirements: it allows every target |
//! | `lint/condition-never-holds` | no request meets a `when` condition: its requirements apply only to requests that leave an attribute unsaid |
//! | `lint/condition-always-holds` | no request makes a `when` condition false: the block applies to every request, as if at the top level |
//! | `lint/already-required` | a requirement in a `when` block that the top level already requires |
//! | `lint/misspelled-attribute` (with a catalog) | a target declares an attribute name no policy attribute has but one is close to (`gdrp`): the policy finds the attribute meant undeclared |
//! | `lint/unservable-condition` (with a catalog) | no catalog target passes the policy for any request that meets a `when` condition: such requests are always blocked |
//! | `lint/analysis-limit` (note) | some checks were skipped: they involve more than 12 attributes at once, or the work bound was reached |
//! | `lint/too-many` (note) | more than [`MAX_PER_CODE`] diagnostics of one code; the rest are counted, not shown |
//! | `lint/metadata-gap` | a catalog target blocked only because it leaves attributes undeclared |
//! | `lint/unmatched-entry` | a listed provider or model no catalog target has |
//!
//! # How requirements are compared
//!
//! The checks on requirements are exact, not heuristic. Each predicate tests
//! one attribute against constants, so the values of an attribute fall into
//! a few classes that every predicate treats alike: for a number, the
//! constants and their neighbours; for a text, the constants and one other
//! string; for a flag, `true` and `false`; and, for every attribute but
//! `provider` and `model`, *undeclared*. Evaluating the requirements (with
//! Kleene logic, as targets are) on one value of each class, for every
//! combination over the attributes involved, decides satisfiability and
//! implication for all targets. The work is bounded by
//! [`MAX_ANALYSIS_STEPS`]; past it the remaining checks are skipped with a
//! `lint/analysis-limit` note.
//!
//! ```
//! let policy = eligo::compile("require soc2 or !soc2; require gdpr; require gdpr and soc2")?;
//! let codes: Vec<&str> = eligo::lint::lint(&policy).iter().map(|d| d.code()).collect();
//! assert_eq!(codes, ["lint/fails-when-undeclared", "lint/redundant-requirement"]);
//! // `require gdpr` is implied by `require gdpr and soc2`.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::ast::{ListAction, ListField, StatementKind, StrLit};
use crate::catalog::Catalog;
use crate::compile::Tri;
use crate::diagnostic::Diagnostic;
use crate::eval::predicate_value;
use crate::ir::{AttrId, Ir, PredId, Predicate, Requirement, RequirementKind};
use crate::policy::Policy;
use crate::schema::{AttrKind, suggest};
use crate::target::Value;
use crate::time::Date;

mod conditions;
mod strings;

/// The most predicate evaluations [`lint`] spends comparing requirements.
pub const MAX_ANALYSIS_STEPS: usize = 1 << 22;

/// Requirements over more attributes than this are not analysed (the
/// combinations grow exponentially with them).
const MAX_ATTRIBUTES: usize = 12;

/// Checks a compiled policy and returns its warnings in source order.
///
/// ```
/// let policy = eligo::compile("require soc2 and !soc2")?;
/// let warnings = eligo::lint::lint(&policy);
/// assert_eq!(warnings[0].code(), "lint/never-passes");
/// assert_eq!(warnings[0].message(), "no target can pass `require soc2 and !soc2`");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lint(policy: &Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    requirements(policy.ir(), &mut out);
    lists(policy, &mut out);
    unused_attributes(policy, &mut out);
    strings::strings(policy, &mut out);
    conditions::conditions(policy, &mut out);
    no_requirements(policy, &mut out);
    out.sort_by_key(|d| d.span().map_or(usize::MAX, |s| s.start));
    cap(out)
}

/// At most this many diagnostics of one code are returned; a note counts
/// the rest.
pub const MAX_PER_CODE: usize = 100;

/// Keeps the first [`MAX_PER_CODE`] diagnostics of each code and adds a
/// note for each code that had more.
fn cap(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(diags.len().min(16 * MAX_PER_CODE));
    for d in diags {
        let n = counts.entry(d.code()).or_insert(0);
        *n += 1;
        if *n <= MAX_PER_CODE {
            out.push(d);
        }
    }
    let mut over: Vec<(&'static str, usize)> = counts
        .into_iter()
        .filter(|&(_, n)| n > MAX_PER_CODE)
        .collect();
    over.sort_unstable();
    for (code, n) in over {
        out.push(Diagnostic::note(
            "lint/too-many",
            format!(
                "{} more `{code}` diagnostics are not shown",
                n - MAX_PER_CODE
            ),
        ));
    }
    out
}

/// Checks a policy against a catalog: targets blocked only because they
/// leave attributes undeclared (the gaps to close before a policy in `warn`
/// mode can switch to `block`), and listed names no target has. Evidence is
/// read as of `date`, or today.
///
/// ```
/// use eligo::{Catalog, Target};
/// let policy = eligo::compile("require soc2; allow provider [\"acme\", \"azur\"]")?;
/// let catalog = Catalog::new(vec![
///     Target::builder("acme", "m").build(),
///     Target::builder("azure", "m").attr("soc2", true).build(),
/// ])?;
/// let found = eligo::lint::lint_catalog(&policy, &catalog, "catalog.json", None);
/// assert_eq!(found[0].code(), "lint/metadata-gap");
/// assert_eq!(found[0].message(), "target `acme/m` is blocked only because it does not declare `soc2`");
/// assert_eq!(found[1].code(), "lint/unmatched-entry");
/// assert_eq!(found[1].help(), Some("did you mean `azure`?"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lint_catalog(
    policy: &Policy,
    catalog: &Catalog,
    catalog_name: &str,
    date: Option<Date>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for t in catalog.targets() {
        let v = policy.evaluate_at(t, date);
        // Requirements inside `when` blocks also depend on the request, so
        // a target they block is not a metadata gap of its own.
        if v.is_allowed()
            || v.failures()
                .iter()
                .any(|f| !f.is_unknown() || f.condition().is_some())
        {
            continue;
        }
        // Each attribute once, in order; the set keeps this linear in the
        // number of attributes (searching the list was quadratic).
        let mut seen: HashSet<&str> = HashSet::new();
        let mut attrs: Vec<&str> = Vec::new();
        for f in v.failures() {
            for a in f.attributes() {
                if seen.insert(a) {
                    attrs.push(a);
                }
            }
        }
        // Why each is unknown: undeclared, expired, or of the wrong kind.
        let today = date.unwrap_or_else(Date::today);
        let reasons: Vec<String> = attrs
            .iter()
            .map(|&a| match (t.attributes().get(a), t.expires(a)) {
                (None, _) => format!("`{a}` (undeclared)"),
                (Some(_), Some(e)) if e < today => format!("`{a}` (evidence expired on {e})"),
                (Some(v), _) => format!(
                    "`{a}` (declared as a {}, but it is a {})",
                    v.kind(),
                    policy
                        .schema()
                        .get(a)
                        .map_or("different kind".to_string(), |d| d.kind().to_string())
                ),
            })
            .collect();
        let message = if reasons.iter().all(|r| r.ends_with("(undeclared)")) {
            format!(
                "target `{}` is blocked only because it does not declare {}",
                t.id(),
                ticks(&attrs)
            )
        } else {
            format!(
                "target `{}` is blocked only by unknown attributes: {}",
                t.id(),
                reasons.join(", ")
            )
        };
        let mut d = Diagnostic::warning("lint/metadata-gap", message);
        for (i, f) in v.failures().iter().enumerate() {
            let label = format!("unknown for `{}`", t.id());
            d = if i == 0 {
                d.with_label(f.span(), label)
            } else {
                d.with_secondary(f.span(), label)
            };
        }
        out.push(d.with_help(format!(
            "declare (or renew) {} for `{}` in `{catalog_name}`; until then the policy blocks it (in warn mode: lets it through and logs an event)",
            ticks(&attrs),
            t.id()
        )));
    }
    let names = |field: ListField| -> BTreeSet<&str> {
        catalog
            .targets()
            .iter()
            .map(|t| match field {
                ListField::Provider => t.provider(),
                ListField::Model => t.model(),
            })
            .collect()
    };
    conditions::unservable(policy, catalog, catalog_name, date, &mut out);
    out.extend(lint_attribute_names(catalog, policy.schema()));
    let (providers, models) = (names(ListField::Provider), names(ListField::Model));
    let mut unmatched = 0usize;
    for stmt in &policy.ast().statements {
        let StatementKind::List { field, items, .. } = &stmt.kind else {
            continue;
        };
        let names = match field {
            ListField::Provider => &providers,
            ListField::Model => &models,
        };
        for item in items {
            if names.contains(item.value.as_str()) {
                continue;
            }
            let mut d = Diagnostic::warning(
                "lint/unmatched-entry",
                format!(
                    "no target in `{catalog_name}` has the {} `{}`",
                    field.as_str(),
                    item.value
                ),
            )
            .with_label(item.span, "matches no target");
            unmatched += 1;
            // Suggestions cost time; later entries are dropped by `cap`.
            if unmatched > MAX_PER_CODE {
                out.push(d);
                continue;
            }
            if let Some(s) = suggest(&item.value, names.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            out.push(d);
        }
    }
    cap(out)
}

/// Attribute names that targets of `catalog` declare, that `schema` does
/// not know, and that are close to a name it does (`gdrp` for `gdpr`): a
/// policy reads `gdpr`, finds it undeclared and blocks the target. One
/// warning a name (`lint/misspelled-attribute`), naming the first target
/// that declares it and how many do, in the order first declared.
///
/// ```
/// use eligo::{Catalog, Schema, Target};
/// let catalog = Catalog::new(vec![
///     Target::builder("a", "m").attr("gdrp", true).attr("house_rating", 3).build(),
///     Target::builder("b", "m").attr("gdrp", true).build(),
/// ])?;
/// let found = eligo::lint::lint_attribute_names(&catalog, &Schema::standard());
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].code(), "lint/misspelled-attribute");
/// assert_eq!(found[0].help(), Some("did you mean `gdpr`?"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lint_attribute_names(catalog: &Catalog, schema: &crate::Schema) -> Vec<Diagnostic> {
    // Each name once: its first target and how many declare it.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut order: Vec<(&str, &str, usize)> = Vec::new();
    for t in catalog.targets() {
        for name in t.attributes().keys() {
            match seen.get(name.as_str()) {
                Some(&k) => {
                    if let Some(entry) = order.get_mut(k) {
                        entry.2 += 1;
                    }
                }
                None => {
                    seen.insert(name, order.len());
                    order.push((name, t.id(), 1));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (name, first, count) in order {
        if schema.get(name).is_some() {
            continue;
        }
        let Some(meant) = schema.suggest(name) else {
            continue;
        };
        let others = match count {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        out.push(
            Diagnostic::warning(
                "lint/misspelled-attribute",
                format!(
                    "target `{first}`{others} declares `{name}`, which is not an attribute policies read"
                ),
            )
            .with_help(format!("did you mean `{meant}`?")),
        );
    }
    cap(out)
}

/// `a`, `b` and `c` in backticks.
fn ticks(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The requirement analysis: single requirements and pairs.
fn requirements(ir: &Ir, out: &mut Vec<Diagnostic>) {
    let mut a = Analysis::new(ir);
    // Allow/deny lists are checked entry by entry instead. Requirements
    // inside `when` blocks are left out: their value also depends on the
    // request's attributes, which these claims about targets do not cover.
    let reqs: Vec<usize> = ir
        .requirements
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.condition.is_none()
                && matches!(
                    r.kind,
                    RequirementKind::Require | RequirementKind::MaxRetentionDays
                )
        })
        .map(|(i, _)| i)
        .collect();

    // What each requirement does alone; `None` when not analysed.
    let mut alone: HashMap<usize, Alone> = HashMap::new();
    for &r in &reqs {
        let Some(rows) = a.rows(&[r]) else { continue };
        let Some(req) = ir.requirements.get(r) else {
            continue;
        };
        let mut info = Alone::of(&rows, &a.attrs(&[r]));
        if !info.can_pass {
            info.warned = true;
            out.push(
                Diagnostic::warning(
                    "lint/never-passes",
                    format!("no target can pass `{}`", req.text),
                )
                .with_label(req.span, "false or unknown whatever a target declares")
                .with_help(
                    "every target is blocked; look for a contradiction such as `soc2 and !soc2`",
                ),
            );
        } else if info.always_passes {
            info.warned = true;
            out.push(
                Diagnostic::warning(
                    "lint/always-passes",
                    format!("every target passes `{}`", req.text),
                )
                .with_label(req.span, "true whatever a target declares")
                .with_help("it restricts nothing; remove it"),
            );
        } else if info.passes_when_declared && info.can_be_unknown {
            info.warned = true;
            out.push(undeclared_warning(ir, req, &info));
        }
        alone.insert(r, info);
    }

    // Pairs that share an attribute, each requirement reported once. A
    // requirement already warned about alone is left out.
    let clean: Vec<usize> = reqs
        .iter()
        .copied()
        .filter(|r| alone.get(r).is_some_and(|i| !i.warned))
        .collect();
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    let total_pairs = clean.len() * clean.len().saturating_sub(1) / 2;
    let mut visited = 0usize;
    'pairs: for (x, &r1) in clean.iter().enumerate() {
        for &r2 in clean.get(x + 1..).unwrap_or(&[]) {
            if a.exhausted() {
                a.skipped += total_pairs - visited;
                break 'pairs;
            }
            visited += 1;
            a.steps += 1;
            if !a.share_attribute(r1, r2) || (reported.contains(&r1) && reported.contains(&r2)) {
                continue;
            }
            let Some(rows) = a.rows(&[r1, r2]) else {
                continue;
            };
            let pass = |row: &Row, k: usize| row.values.get(k) == Some(&Tri::True);
            let r2_implies_r1 = rows.iter().all(|row| !pass(row, 1) || pass(row, 0));
            let r1_implies_r2 = rows.iter().all(|row| !pass(row, 0) || pass(row, 1));
            let conflict = !rows.iter().any(|row| pass(row, 0) && pass(row, 1));
            let (Some(q1), Some(q2)) = (ir.requirements.get(r1), ir.requirements.get(r2)) else {
                continue;
            };
            if conflict {
                out.push(
                    Diagnostic::warning(
                        "lint/conflicting-requirements",
                        format!("no target can pass both `{}` and `{}`", q1.text, q2.text),
                    )
                    .with_label(q2.span, "conflicts with an earlier requirement")
                    .with_secondary(q1.span, "the earlier requirement")
                    .with_help("together they block every target"),
                );
                reported.extend([r1, r2]);
            } else if r1_implies_r2 && !reported.contains(&r2) {
                // The later one is redundant (also when both are equivalent).
                let what = if r2_implies_r1 {
                    "has the same effect as"
                } else {
                    "is implied by"
                };
                out.push(redundant(q2, q1, what));
                reported.insert(r2);
            } else if r2_implies_r1 && !reported.contains(&r1) {
                out.push(redundant(q1, q2, "is implied by"));
                reported.insert(r1);
            }
        }
    }
    jointly_unsatisfiable(ir, &mut a, &clean, &reported, out);
    if a.skipped > 0 {
        let checks = if a.skipped == 1 {
            "1 check of requirements was".to_string()
        } else {
            format!("{} checks of requirements were", a.skipped)
        };
        out.push(Diagnostic::note(
            "lint/analysis-limit",
            format!(
                "{checks} skipped: each involves more than {MAX_ATTRIBUTES} attributes at once, or the work bound was reached"
            ),
        ));
    }
}

/// Three or more requirements that no target can pass together, although
/// every pair of them can be passed (pairs are reported on their own).
/// Requirements interact only through shared attributes, so each group
/// connected by shared attributes is checked on its own.
fn jointly_unsatisfiable(
    ir: &Ir,
    a: &mut Analysis<'_>,
    reqs: &[usize],
    reported: &BTreeSet<usize>,
    out: &mut Vec<Diagnostic>,
) {
    // Groups of requirements connected through shared attributes.
    let mut by_attr: HashMap<AttrId, Vec<usize>> = HashMap::new();
    for &r in reqs {
        for &attr in a.req_attrs.get(r).into_iter().flatten() {
            by_attr.entry(attr).or_default().push(r);
        }
    }
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut attrs_seen: BTreeSet<AttrId> = BTreeSet::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &start in reqs {
        if !seen.insert(start) {
            continue;
        }
        let mut group = vec![start];
        let mut stack = vec![start];
        while let Some(r) = stack.pop() {
            for attr in a.req_attrs.get(r).into_iter().flatten() {
                // Each attribute's requirements are visited once.
                if !attrs_seen.insert(*attr) {
                    continue;
                }
                for &next in by_attr.get(attr).into_iter().flatten() {
                    if seen.insert(next) {
                        group.push(next);
                        stack.push(next);
                    }
                }
            }
        }
        group.sort_unstable();
        groups.push(group);
    }
    let unsatisfiable = |a: &mut Analysis<'_>, set: &[usize]| -> Option<bool> {
        let rows = a.rows(set)?;
        Some(
            !rows
                .iter()
                .any(|row| row.values.iter().all(|v| *v == Tri::True)),
        )
    };
    for mut group in groups {
        // Requirements already reported (pair conflicts, redundant ones)
        // are left out; what remains is still a true claim if it conflicts.
        group.retain(|r| !reported.contains(r));
        if group.len() < 3 {
            continue;
        }
        if unsatisfiable(a, &group) != Some(true) {
            continue;
        }
        // Shrink to a minimal conflicting set, so that only requirements
        // that take part in the conflict are blamed.
        let mut set = group;
        let mut i = 0;
        while i < set.len() && !a.exhausted() {
            let mut without = set.clone();
            without.remove(i);
            if without.len() >= 2 && unsatisfiable(a, &without) == Some(true) {
                set = without;
            } else {
                i += 1;
            }
        }
        let members: Vec<&Requirement> =
            set.iter().filter_map(|&r| ir.requirements.get(r)).collect();
        let texts: Vec<String> = members.iter().map(|q| format!("`{}`", q.text)).collect();
        let mut d = Diagnostic::warning(
            "lint/conflicting-requirements",
            format!("no target can pass all of {}", texts.join(", ")),
        );
        for (k, q) in members.iter().enumerate() {
            d = if k == 0 {
                d.with_label(q.span, "cannot hold together with the others")
            } else {
                d.with_secondary(q.span, "")
            };
        }
        out.push(d.with_help("together they block every target"));
    }
}

fn redundant(req: &Requirement, by: &Requirement, what: &str) -> Diagnostic {
    Diagnostic::warning(
        "lint/redundant-requirement",
        format!("`{}` {what} `{}`", req.text, by.text),
    )
    .with_label(req.span, "redundant")
    .with_secondary(by.span, "every target that passes this passes the other")
    .with_help("remove the redundant requirement")
}

fn undeclared_warning(ir: &Ir, req: &Requirement, info: &Alone) -> Diagnostic {
    let names: Vec<&str> = info
        .undeclared
        .iter()
        .filter_map(|&a| ir.schema.at(a).map(|d| d.name()))
        .collect();
    let known = names
        .iter()
        .map(|n| format!("known({n})"))
        .collect::<Vec<_>>()
        .join(" and ");
    let (message, label, help) = match info.shape {
        UndeclaredShape::SameAsKnown => (
            format!(
                "`{}` only checks that {} declared: it holds for every declared value",
                req.text,
                if names.len() == 1 {
                    format!("{} is", ticks(&names))
                } else {
                    format!("{} are", ticks(&names))
                }
            ),
            "unknown, so failing, exactly when undeclared".to_string(),
            format!("write `require {known}` to say so"),
        ),
        UndeclaredShape::Blocks => (
            format!(
                "`{}` holds for every declared value but blocks targets that do not declare {}",
                req.text,
                ticks(&names)
            ),
            "unknown, so failing, for undeclared attributes".to_string(),
            format!(
                "an undeclared attribute is unknown and unknown never passes; if declarations are what you want, write `require {known}`, otherwise remove the requirement"
            ),
        ),
        UndeclaredShape::CanBlock => (
            format!(
                "`{}` holds for every declared value but can block targets that leave {} undeclared",
                req.text,
                ticks(&names)
            ),
            "unknown for some targets with undeclared attributes".to_string(),
            "it looks like a tautology but is not one: an undeclared attribute is unknown and unknown never passes; check that it says what you mean".to_string(),
        ),
    };
    Diagnostic::warning("lint/fails-when-undeclared", message)
        .with_label(req.span, label)
        .with_help(help)
}

/// How a requirement that holds for every declared value treats
/// undeclared attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UndeclaredShape {
    /// It passes exactly when the attributes are declared: `known(..)`.
    SameAsKnown,
    /// Any of the attributes undeclared makes it fail.
    Blocks,
    /// Some targets with an attribute undeclared fail, others pass.
    CanBlock,
}

/// What one requirement does on its own.
struct Alone {
    can_pass: bool,
    always_passes: bool,
    /// True for every combination of declared values.
    passes_when_declared: bool,
    /// Unknown for some combination.
    can_be_unknown: bool,
    /// The attributes whose undeclaring alone makes it fail (or, if none
    /// does alone, every attribute undeclared where it fails).
    undeclared: Vec<AttrId>,
    /// Whether a warning was given for it alone.
    warned: bool,
    /// How undeclared attributes in `undeclared` affect it.
    shape: UndeclaredShape,
}

impl Alone {
    fn of(rows: &[Row], attrs: &[AttrId]) -> Alone {
        let value = |r: &Row| r.values.first().copied().unwrap_or(Tri::False);
        let mut alone: Vec<AttrId> = Vec::new();
        let mut any: u64 = 0;
        for r in rows.iter().filter(|r| value(r) != Tri::True) {
            any |= r.undeclared;
            if r.undeclared.count_ones() == 1 {
                let a = attrs.get(r.undeclared.trailing_zeros() as usize).copied();
                if let Some(a) = a.filter(|a| !alone.contains(a)) {
                    alone.push(a);
                }
            }
        }
        if alone.is_empty() {
            alone = (0..attrs.len())
                .filter(|i| any >> i & 1 == 1)
                .filter_map(|i| attrs.get(i).copied())
                .collect();
        }
        alone.sort_unstable();
        // Bits of the attributes in `alone`, in the rows' numbering.
        let mask: u64 = attrs
            .iter()
            .enumerate()
            .filter(|(_, a)| alone.contains(a))
            .fold(0, |m, (i, _)| m | 1 << i);
        let shape = if rows
            .iter()
            .all(|r| (value(r) == Tri::True) == (r.undeclared & mask == 0))
        {
            UndeclaredShape::SameAsKnown
        } else if rows
            .iter()
            .all(|r| r.undeclared & mask == 0 || value(r) != Tri::True)
        {
            UndeclaredShape::Blocks
        } else {
            UndeclaredShape::CanBlock
        };
        Alone {
            shape,
            can_pass: rows.iter().any(|r| value(r) == Tri::True),
            always_passes: rows.iter().all(|r| value(r) == Tri::True),
            passes_when_declared: rows
                .iter()
                .filter(|r| r.undeclared == 0)
                .all(|r| value(r) == Tri::True),
            can_be_unknown: rows.iter().any(|r| value(r) == Tri::Unknown),
            undeclared: alone,
            warned: false,
        }
    }
}

/// One combination of attribute values: the requirements' values and which
/// attributes were undeclared (bit `i` for the `i`th attribute involved).
struct Row {
    values: Vec<Tri>,
    undeclared: u64,
}

struct Analysis<'a> {
    ir: &'a Ir,
    /// For each attribute a policy uses, one value of each class (`None`:
    /// undeclared).
    domains: HashMap<AttrId, Vec<Option<Value>>>,
    /// The predicates of each requirement.
    preds: Vec<Vec<PredId>>,
    /// The number of literals in each requirement's formula: the work of
    /// evaluating it once.
    sizes: Vec<usize>,
    /// The attributes of each requirement, sorted.
    req_attrs: Vec<Vec<AttrId>>,
    /// Predicate values for the combination being evaluated.
    scratch: Vec<Tri>,
    steps: usize,
    skipped: usize,
}

impl<'a> Analysis<'a> {
    fn new(ir: &'a Ir) -> Analysis<'a> {
        let mut constants: HashMap<AttrId, (Vec<i64>, Vec<&str>)> = HashMap::new();
        for p in &ir.predicates {
            let entry = constants.entry(p.attr()).or_default();
            match p {
                Predicate::NumCmp(_, _, n) => entry.0.push(*n),
                Predicate::NumIn(_, ns) => entry.0.extend(ns),
                Predicate::TextIn(_, ss) => entry.1.extend(ss.iter().map(String::as_str)),
                Predicate::Flag(_) | Predicate::Known(_) => {}
            }
        }
        let domains = constants
            .into_iter()
            .map(|(attr, (nums, texts))| {
                let def = ir.schema.at(attr);
                let kind = def.map_or(AttrKind::Flag, |d| d.kind());
                let mut values: Vec<Option<Value>> = match kind {
                    AttrKind::Flag => vec![Some(Value::Flag(true)), Some(Value::Flag(false))],
                    AttrKind::Number => {
                        let mut reps: Vec<i64> = nums
                            .iter()
                            .flat_map(|&n| [n.checked_sub(1), Some(n), n.checked_add(1)])
                            .flatten()
                            .collect();
                        if reps.is_empty() {
                            reps.push(0);
                        }
                        reps.sort_unstable();
                        reps.dedup();
                        reps.into_iter().map(|n| Some(Value::Number(n))).collect()
                    }
                    AttrKind::Text => {
                        let taken: std::collections::HashSet<&str> =
                            texts.iter().copied().collect();
                        let mut other = String::from("other");
                        while taken.contains(other.as_str()) {
                            other.push('_');
                        }
                        let mut reps: Vec<String> = texts.iter().map(|s| s.to_string()).collect();
                        reps.sort_unstable();
                        reps.dedup();
                        reps.push(other);
                        reps.into_iter().map(|s| Some(Value::Text(s))).collect()
                    }
                };
                if !def.is_some_and(|d| d.always_known()) {
                    values.push(None);
                }
                (attr, values)
            })
            .collect();
        let mut sizes = Vec::with_capacity(ir.requirements.len());
        let preds = ir
            .requirements
            .iter()
            .map(|r| {
                let mut ps: Vec<PredId> = r.formula.literals().iter().map(|l| l.pred).collect();
                sizes.push(ps.len());
                ps.sort_unstable();
                ps.dedup();
                ps
            })
            .collect::<Vec<Vec<PredId>>>();
        let req_attrs = preds
            .iter()
            .map(|ps| {
                let mut attrs: Vec<AttrId> = ps
                    .iter()
                    .filter_map(|&p| ir.predicates.get(p).map(Predicate::attr))
                    .collect();
                attrs.sort_unstable();
                attrs.dedup();
                attrs
            })
            .collect();
        Analysis {
            ir,
            domains,
            preds,
            sizes,
            req_attrs,
            scratch: vec![Tri::Unknown; ir.predicates.len()],
            steps: 0,
            skipped: 0,
        }
    }

    /// The attributes `reqs` depend on, sorted.
    fn attrs(&self, reqs: &[usize]) -> Vec<AttrId> {
        let mut attrs: Vec<AttrId> = reqs
            .iter()
            .flat_map(|&r| self.req_attrs.get(r).into_iter().flatten().copied())
            .collect();
        attrs.sort_unstable();
        attrs.dedup();
        attrs
    }

    fn share_attribute(&self, r1: usize, r2: usize) -> bool {
        match (self.req_attrs.get(r1), self.req_attrs.get(r2)) {
            (Some(a), Some(b)) => b.iter().any(|x| a.binary_search(x).is_ok()),
            _ => false,
        }
    }

    fn exhausted(&self) -> bool {
        self.steps >= MAX_ANALYSIS_STEPS
    }

    /// The values of `reqs` for every combination of attribute classes, or
    /// `None` (counted as skipped) when that is too much work.
    fn rows(&mut self, reqs: &[usize]) -> Option<Vec<Row>> {
        let attrs = self.attrs(reqs);
        let mut preds: Vec<PredId> = reqs
            .iter()
            .flat_map(|&r| self.preds.get(r).into_iter().flatten().copied())
            .collect();
        preds.sort_unstable();
        preds.dedup();
        let domains: Vec<&Vec<Option<Value>>> =
            attrs.iter().filter_map(|a| self.domains.get(a)).collect();
        let combos = domains
            .iter()
            .try_fold(1usize, |acc, d| acc.checked_mul(d.len()));
        // Each combination evaluates the predicates, then every literal of
        // the requirements' formulas. Counting one step a requirement
        // instead let a long `or` over a few attributes cost its length
        // times the combinations, unbounded.
        let literals = reqs
            .iter()
            .map(|&r| self.sizes.get(r).copied().unwrap_or(0).max(1))
            .fold(0usize, usize::saturating_add);
        let cost = combos.and_then(|c| c.checked_mul(preds.len().saturating_add(literals)));
        let affordable = attrs.len() <= MAX_ATTRIBUTES
            && domains.len() == attrs.len()
            && cost.is_some_and(|c| self.steps.saturating_add(c) <= MAX_ANALYSIS_STEPS);
        let (true, Some(combos), Some(cost)) = (affordable, combos, cost) else {
            self.skipped += 1;
            return None;
        };
        self.steps += cost;

        let mut rows = Vec::with_capacity(combos);
        let mut digits = vec![0usize; attrs.len()];
        for _ in 0..combos {
            let mut undeclared = 0u64;
            for (i, d) in domains.iter().enumerate() {
                if matches!(digits.get(i).and_then(|&k| d.get(k)), Some(None)) {
                    undeclared |= 1 << i;
                }
            }
            for &p in &preds {
                let Some(pred) = self.ir.predicates.get(p) else {
                    continue;
                };
                let value = attrs
                    .binary_search(&pred.attr())
                    .ok()
                    .and_then(|i| domains.get(i)?.get(*digits.get(i)?))
                    .and_then(|v| v.as_ref());
                if let Some(slot) = self.scratch.get_mut(p) {
                    *slot = predicate_value(pred, value.map(Value::as_ref));
                }
            }
            let values = reqs
                .iter()
                .map(|&r| {
                    self.ir.requirements.get(r).map_or(Tri::False, |q| {
                        crate::compile::formula_value(&q.formula, &self.scratch)
                    })
                })
                .collect();
            rows.push(Row { values, undeclared });
            // Next combination (odometer).
            for (i, d) in digits.iter_mut().enumerate() {
                *d += 1;
                if *d < domains.get(i).map_or(1, |x| x.len()) {
                    break;
                }
                *d = 0;
            }
        }
        Some(rows)
    }
}

/// Entry-by-entry checks of allow and deny lists.
fn lists(policy: &Policy, out: &mut Vec<Diagnostic>) {
    // (field, action) → every entry with its statement's span.
    let mut seen: HashMap<(ListField, ListAction), Vec<&StrLit>> = HashMap::new();
    let mut firsts: HashMap<(ListField, ListAction, &str), &StrLit> = HashMap::new();
    let mut statement_span: HashMap<(ListField, ListAction), crate::span::Span> = HashMap::new();
    for stmt in &policy.ast().statements {
        let StatementKind::List {
            action,
            field,
            items,
        } = &stmt.kind
        else {
            continue;
        };
        if *action == ListAction::Allow && items.is_empty() {
            out.push(
                Diagnostic::warning(
                    "lint/empty-allow-list",
                    format!("`allow {} []` restricts nothing", field.as_str()),
                )
                .with_label(stmt.span, "an empty allow list allows every name")
                .with_help(format!(
                    "list the {}s to allow, or remove the statement",
                    field.as_str()
                )),
            );
        }
        statement_span.entry((*field, *action)).or_insert(stmt.span);
        let entries = seen.entry((*field, *action)).or_default();
        for item in items {
            if let Some(first) = firsts.get(&(*field, *action, item.value.as_str())) {
                out.push(
                    Diagnostic::warning(
                        "lint/duplicate-entry",
                        format!(
                            "`{}` is listed twice in `{} {}`",
                            item.value,
                            action_str(*action),
                            field.as_str()
                        ),
                    )
                    .with_label(item.span, "listed again here")
                    .with_secondary(first.span, "first listed here")
                    .with_help("remove one of them"),
                );
            } else {
                firsts.insert((*field, *action, &item.value), item);
                entries.push(item);
            }
        }
    }
    for field in [ListField::Provider, ListField::Model] {
        let allowed = seen
            .get(&(field, ListAction::Allow))
            .cloned()
            .unwrap_or_default();
        let denied = seen
            .get(&(field, ListAction::Deny))
            .cloned()
            .unwrap_or_default();
        let allowed_by_name: HashMap<&str, &StrLit> =
            allowed.iter().map(|a| (a.value.as_str(), *a)).collect();
        for d in &denied {
            if let Some(a) = allowed_by_name.get(d.value.as_str()) {
                out.push(
                    Diagnostic::warning(
                        "lint/shadowed-entry",
                        format!(
                            "the {} `{}` is both allowed and denied",
                            field.as_str(),
                            a.value
                        ),
                    )
                    .with_label(a.span, "never allowed: deny wins")
                    .with_secondary(d.span, "denied here")
                    .with_help("remove it from one of the lists"),
                );
            } else if !allowed.is_empty() {
                let mut w = Diagnostic::warning(
                    "lint/redundant-deny",
                    format!(
                        "denying the {} `{}` has no effect: it is not in the allow list",
                        field.as_str(),
                        d.value
                    ),
                )
                .with_label(d.span, "already blocked");
                if let Some(&span) = statement_span.get(&(field, ListAction::Allow)) {
                    w = w.with_secondary(span, "only these pass");
                }
                out.push(w.with_help("remove the entry"));
            }
        }
    }
}

fn action_str(a: ListAction) -> &'static str {
    match a {
        ListAction::Allow => "allow",
        ListAction::Deny => "deny",
    }
}

/// Attributes a policy declares but never tests.
fn unused_attributes(policy: &Policy, out: &mut Vec<Diagnostic>) {
    let ir = policy.ir();
    let used: BTreeSet<AttrId> = ir.predicates.iter().map(Predicate::attr).collect();
    for stmt in &policy.ast().statements {
        let StatementKind::Attribute { name, .. } = &stmt.kind else {
            continue;
        };
        if ir
            .schema
            .index_of(&name.name)
            .is_some_and(|i| !used.contains(&i))
        {
            out.push(
                Diagnostic::warning(
                    "lint/unused-attribute",
                    format!("attribute `{}` is declared but never used", name.name),
                )
                .with_label(name.span, "not used by any requirement")
                .with_help("use it in a requirement, or remove the declaration"),
            );
        }
    }
}

/// A policy with no requirements at all (an empty file, or only headers,
/// declarations and empty allow lists) allows every target without reading
/// any attribute: legal, but rarely what its author meant.
fn no_requirements(policy: &Policy, out: &mut Vec<Diagnostic>) {
    if policy.requirement_count() == 0 {
        out.push(
            Diagnostic::warning(
                "lint/no-requirements",
                "the policy has no requirements: it allows every target",
            )
            .with_help("add a `require` statement, `max_retention_days`, or an allow or deny list"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(src: &str) -> Vec<&'static str> {
        lint(&crate::compile(src).unwrap())
            .iter()
            .map(Diagnostic::code)
            .collect()
    }

    #[test]
    fn clean_policies_have_no_warnings() {
        assert!(
            codes("require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0")
                .is_empty()
        );
        assert!(codes("require known(soc2)").is_empty());
        assert!(
            codes("require region in [\"eu\", \"uk\"]; require region != \"eu\" or gdpr")
                .is_empty()
        );
    }

    #[test]
    fn single_requirements() {
        assert_eq!(codes("require soc2 and !soc2"), ["lint/never-passes"]);
        assert_eq!(
            codes("require retention_days < 3 and retention_days > 5"),
            ["lint/never-passes"]
        );
        assert_eq!(
            codes("require known(gdpr) or !known(gdpr)"),
            ["lint/always-passes"]
        );
        assert_eq!(
            codes("require provider == \"a\" or provider != \"a\""),
            ["lint/always-passes"]
        );
        assert_eq!(
            codes("require soc2 or !soc2"),
            ["lint/fails-when-undeclared"]
        );
        assert_eq!(
            codes("require retention_days <= 30 or retention_days > 30"),
            ["lint/fails-when-undeclared"]
        );
    }

    #[test]
    fn three_requirements_that_conflict_only_together() {
        let src = "require !trains_on_prompts; require trains_on_prompts or logs_prompts; require !logs_prompts";
        assert_eq!(codes(src), ["lint/conflicting-requirements"]);
        let w = lint(&crate::compile(src).unwrap());
        assert_eq!(w[0].related().len(), 2);
        // Every pair of them can pass; so can the three without the last.
        assert!(
            codes("require !trains_on_prompts; require trains_on_prompts or logs_prompts")
                .is_empty()
        );
    }

    #[test]
    fn a_conflict_blames_only_the_requirements_in_it() {
        let src = "require !trains_on_prompts; require soc2 or gdpr; require trains_on_prompts or logs_prompts; \
                   require logs_prompts or soc2; require !logs_prompts; require gdpr";
        let w = lint(&crate::compile(src).unwrap());
        let conflicts: Vec<&Diagnostic> = w
            .iter()
            .filter(|d| d.code() == "lint/conflicting-requirements")
            .collect();
        assert_eq!(conflicts.len(), 1, "{w:?}");
        assert_eq!(
            conflicts[0].message(),
            "no target can pass all of `require !trains_on_prompts`, `require trains_on_prompts or logs_prompts`, `require !logs_prompts`"
        );
    }

    #[test]
    fn metadata_gaps_say_why_an_attribute_is_unknown() {
        use crate::{Catalog, Target};
        let policy = crate::compile("require soc2 and gdpr").unwrap();
        let t = Target::builder("a", "m")
            .expiring("soc2", true, "2020-01-01".parse().unwrap())
            .attr("gdpr", "yes")
            .build();
        let catalog = Catalog::new(vec![t]).unwrap();
        let w = lint_catalog(&policy, &catalog, "c.json", "2026-01-01".parse().ok());
        assert_eq!(
            w[0].message(),
            "target `a/m` is blocked only by unknown attributes: `soc2` (evidence expired on 2020-01-01), `gdpr` (declared as a text, but it is a flag)"
        );
    }

    #[test]
    fn pairs() {
        assert_eq!(
            codes("require soc2; require !soc2"),
            ["lint/conflicting-requirements"]
        );
        assert_eq!(
            codes("max_retention_days 0; require retention_days <= 30"),
            ["lint/redundant-requirement"]
        );
        assert_eq!(
            codes("require soc2 or gdpr; require soc2"),
            ["lint/redundant-requirement"]
        );
        let w = lint(&crate::compile("require soc2; require soc2 and soc2").unwrap());
        assert_eq!(
            w[0].message(),
            "`require soc2 and soc2` has the same effect as `require soc2`"
        );
        assert_eq!(
            codes("require region in [\"eu\", \"uk\"]; require region != \"us\""),
            ["lint/redundant-requirement"]
        );
        // Sharing an attribute is not implication.
        assert!(codes("require soc2 or gdpr; require soc2 or iso27001").is_empty());
    }

    #[test]
    fn lists() {
        assert_eq!(
            codes("allow provider []"),
            ["lint/empty-allow-list", "lint/no-requirements"]
        );
        assert_eq!(
            codes("allow provider [\"a\", \"a\"]"),
            ["lint/duplicate-entry"]
        );
        assert_eq!(
            codes("allow provider [\"a\", \"b\"]; deny provider [\"b\", \"c\"]"),
            ["lint/shadowed-entry", "lint/redundant-deny"]
        );
        assert!(codes("deny model [\"x\"]; allow provider [\"a\"]").is_empty());
    }

    #[test]
    fn unused_attribute() {
        assert_eq!(
            codes("attribute fedramp: flag; require soc2"),
            ["lint/unused-attribute"]
        );
        assert!(codes("attribute fedramp: flag; require fedramp").is_empty());
    }

    #[test]
    fn many_warnings_are_capped_and_the_work_is_bounded() {
        // 5,000 copies: 12.5 million pairs, past the analysis bound.
        let src = "require soc2;\n".repeat(5000);
        let w = lint(&crate::compile(&src).unwrap());
        let redundant = w
            .iter()
            .filter(|d| d.code() == "lint/redundant-requirement")
            .count();
        assert_eq!(redundant, MAX_PER_CODE);
        let notes: Vec<&str> = w
            .iter()
            .filter(|d| d.severity() == crate::Severity::Note)
            .map(|d| d.code())
            .collect();
        assert_eq!(notes, ["lint/analysis-limit", "lint/too-many"]);
    }

    #[test]
    fn large_policies_are_bounded() {
        // 13 attributes in one requirement: more than MAX_ATTRIBUTES.
        let mut src = String::new();
        let mut names = Vec::new();
        for i in 0..13 {
            src.push_str(&format!("attribute a{i}: flag;\n"));
            names.push(format!("a{i}"));
        }
        src.push_str(&format!("require {};", names.join(" or ")));
        assert_eq!(codes(&src), ["lint/analysis-limit"]);
    }
}
