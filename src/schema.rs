//! The attribute schema: which attribute names exist and what kind each is.
//!
//! The *schema* is the vocabulary policies are written in; the *catalog* is
//! the list of provider targets that declare values for it. The standard
//! schema ([`Schema::standard`]) is built in; organisations add their own
//! attributes with `attribute NAME: KIND;` in a policy or with
//! [`Schema::with_attribute`] through the API.

use std::fmt;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;

/// The kind of value an attribute holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttrKind {
    /// `true` or `false`, used directly as a condition (`require soc2`).
    Flag,
    /// A whole number, compared with integers (`retention_days <= 30`).
    Number,
    /// A string, compared with strings or lists (`region in ["eu"]`).
    Text,
}

impl AttrKind {
    /// `flag`, `number` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrKind::Flag => "flag",
            AttrKind::Number => "number",
            AttrKind::Text => "text",
        }
    }
}

impl fmt::Display for AttrKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a compiled check reads its value on a target: the target's own
/// `provider` or `model` field, or a declared attribute by its [`AttrId`].
/// Worked out once, when a policy is compiled, so deciding a target looks
/// no attribute name up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// The target's provider.
    Provider,
    /// The target's model (unknown for a target serving every model).
    Model,
    /// A request attribute: never read from a target.
    Request,
    /// A declared attribute: its id, or `None` once the process has given
    /// out [`MAX_ATTR_IDS`] ids (the attribute is then looked up by name).
    Attr(Option<AttrId>),
}

impl Field {
    /// The field attribute `name` is read from.
    pub(crate) fn of(name: &str) -> Field {
        match name {
            "provider" => Field::Provider,
            "model" => Field::Model,
            _ if is_request_attribute(name) => Field::Request,
            _ => Field::Attr(AttrId::of(name)),
        }
    }
}

/// Most attribute names the process numbers. Names past it (only a catalog
/// inventing thousands of names gets there) are looked up by name, more
/// slowly but with the same result, so the table stays bounded however
/// many catalogs a long-running host reads.
pub(crate) const MAX_ATTR_IDS: usize = 4096;

/// An attribute name's number, the same for the whole process: the
/// standard attributes first, then other names in the order first seen.
/// Equal names have equal ids and unequal names unequal ids, so a target
/// finds the attribute a check reads by its id alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct AttrId(pub(crate) u32);

impl AttrId {
    /// The id of `name`, numbering it if it is new; `None` when the table
    /// is full.
    pub(crate) fn of(name: &str) -> Option<AttrId> {
        use std::collections::HashMap;
        use std::sync::RwLock;
        static IDS: OnceLock<RwLock<HashMap<Box<str>, u32>>> = OnceLock::new();
        let ids = IDS.get_or_init(|| {
            let standard = STANDARD_ATTRIBUTES.iter().zip(0u32..);
            RwLock::new(standard.map(|((n, _, _), i)| ((*n).into(), i)).collect())
        });
        if let Some(&id) = ids.read().ok()?.get(name) {
            return Some(AttrId(id));
        }
        let mut ids = ids.write().ok()?;
        let next = ids.len();
        if let Some(&id) = ids.get(name) {
            return Some(AttrId(id));
        }
        if next >= MAX_ATTR_IDS {
            return None;
        }
        let id = u32::try_from(next).ok()?;
        ids.insert(name.into(), id);
        Some(AttrId(id))
    }
}

/// One attribute of a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrDef {
    name: String,
    kind: AttrKind,
    doc: String,
    builtin: bool,
}

impl AttrDef {
    /// The attribute's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its kind.
    pub fn kind(&self) -> AttrKind {
        self.kind
    }
    /// One line saying what it means.
    pub fn doc(&self) -> &str {
        &self.doc
    }
    /// Whether it is part of the standard schema.
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }
    /// Whether every target declares it: `provider`. (`model` is unknown
    /// for a target that serves every model, until a request names one.)
    pub fn always_known(&self) -> bool {
        self.builtin && self.name == "provider"
    }
}

/// The standard attributes: name, kind and meaning.
pub const STANDARD_ATTRIBUTES: &[(&str, AttrKind, &str)] = &[
    ("soc2", AttrKind::Flag, "has a SOC 2 Type 2 report"),
    ("soc2_type1", AttrKind::Flag, "has a SOC 2 Type 1 report"),
    ("iso27001", AttrKind::Flag, "is ISO/IEC 27001 certified"),
    (
        "iso42001",
        AttrKind::Flag,
        "is ISO/IEC 42001 (AI management) certified",
    ),
    (
        "gdpr",
        AttrKind::Flag,
        "processes personal data in line with the GDPR",
    ),
    (
        "hipaa",
        AttrKind::Flag,
        "signs a HIPAA business associate agreement (BAA)",
    ),
    (
        "trains_on_prompts",
        AttrKind::Flag,
        "uses API prompts or outputs to train models",
    ),
    ("logs_prompts", AttrKind::Flag, "logs or stores prompts"),
    (
        "zero_data_retention",
        AttrKind::Flag,
        "retains no prompt or output data (ZDR)",
    ),
    (
        "in_memory_only",
        AttrKind::Flag,
        "holds request data in memory only, never on disk",
    ),
    (
        "accepts_tokenized_input",
        AttrKind::Flag,
        "accepts pre-tokenized (pseudonymised) input",
    ),
    (
        "internet_egress",
        AttrKind::Flag,
        "may send request data out to the internet",
    ),
    (
        "local_only_processing",
        AttrKind::Flag,
        "processes requests only on local infrastructure",
    ),
    (
        "stealth",
        AttrKind::Flag,
        "does not publish who operates it (an undisclosed platform behind a base URL the operator supplies)",
    ),
    (
        "attested",
        AttrKind::Flag,
        "its data-policy declarations are on file: published in a provider catalogue, or attested by the organisation for its own provider",
    ),
    (
        "retention_days",
        AttrKind::Number,
        "days prompt data is retained (0 = not retained)",
    ),
    (
        "provider",
        AttrKind::Text,
        "provider name, e.g. \"openai\" (always known)",
    ),
    (
        "model",
        AttrKind::Text,
        "model name, e.g. \"gpt-4o\" (unknown for a target serving every model, `*`, until a request names the model)",
    ),
    (
        "region",
        AttrKind::Text,
        "inference region, e.g. \"eu\" or \"us\"",
    ),
    (
        "headquarters",
        AttrKind::Text,
        "provider headquarters, ISO 3166 alpha-2 code, e.g. \"US\"",
    ),
];

/// The prefix of request attributes: `request.data_class`.
pub const REQUEST_PREFIX: &str = "request.";

/// The standard request attributes: facts about the request, supplied by
/// the host, read only in `when` conditions. All text; an organisation
/// chooses its own values.
pub const REQUEST_ATTRIBUTES: &[(&str, AttrKind, &str)] = &[
    (
        "request.data_class",
        AttrKind::Text,
        "the sensitivity of the request's data, e.g. public, internal, confidential, pii, phi, pci",
    ),
    (
        "request.team",
        AttrKind::Text,
        "the team sending the request",
    ),
    (
        "request.app",
        AttrKind::Text,
        "the application sending the request",
    ),
    (
        "request.kind",
        AttrKind::Text,
        "chat, completion, embedding, moderation, image, audio or tool",
    ),
];

/// Whether `name` is a request attribute's name (`request.NAME`).
pub fn is_request_attribute(name: &str) -> bool {
    name.starts_with(REQUEST_PREFIX)
}

/// An attribute vocabulary: names in a stable order, each with a kind.
///
/// ```
/// use eligo::{AttrKind, Schema};
/// let schema = Schema::standard().with_attribute("fedramp_high", AttrKind::Flag)?;
/// assert_eq!(schema.get("fedramp_high").unwrap().kind(), AttrKind::Flag);
/// assert_eq!(schema.get("retention_days").unwrap().kind(), AttrKind::Number);
/// assert_eq!(schema.suggest("soc3"), Some("soc2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// Shared: compiling clones the schema into every policy's IR, and most
    /// policies add nothing to it.
    attrs: Arc<IndexMap<String, AttrDef>>,
}

impl Default for Schema {
    fn default() -> Schema {
        Schema::standard()
    }
}

/// Why an attribute cannot be added to a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaError {
    message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SchemaError {}

/// Whether `name` is a valid attribute name: ASCII letters, digits and `_`,
/// not starting with a digit, not a reserved word.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "or" | "and" | "not" | "in" | "known")
}

impl Schema {
    /// The standard schema ([`STANDARD_ATTRIBUTES`]).
    pub fn standard() -> Schema {
        static STANDARD: OnceLock<Schema> = OnceLock::new();
        STANDARD.get_or_init(Schema::build_standard).clone()
    }

    fn build_standard() -> Schema {
        let attrs = STANDARD_ATTRIBUTES
            .iter()
            .chain(REQUEST_ATTRIBUTES)
            .map(|&(name, kind, doc)| {
                (
                    name.to_string(),
                    AttrDef {
                        name: name.to_string(),
                        kind,
                        doc: doc.to_string(),
                        builtin: true,
                    },
                )
            })
            .collect();
        Schema {
            attrs: Arc::new(attrs),
        }
    }

    /// This schema plus a custom attribute. Fails when the name is taken or
    /// not a valid identifier.
    pub fn with_attribute(mut self, name: &str, kind: AttrKind) -> Result<Schema, SchemaError> {
        self.add(name, kind)?;
        Ok(self)
    }

    pub(crate) fn add(&mut self, name: &str, kind: AttrKind) -> Result<(), SchemaError> {
        if !is_valid_name(name.strip_prefix(REQUEST_PREFIX).unwrap_or(name)) {
            return Err(SchemaError {
                message: format!("`{name}` is not a valid attribute name"),
            });
        }
        if let Some(old) = self.attrs.get(name) {
            let what = if old.builtin {
                "a standard attribute"
            } else {
                "declared already"
            };
            return Err(SchemaError {
                message: format!("attribute `{name}` is {what}"),
            });
        }
        Arc::make_mut(&mut self.attrs).insert(
            name.to_string(),
            AttrDef {
                name: name.to_string(),
                kind,
                doc: String::new(),
                builtin: false,
            },
        );
        Ok(())
    }

    /// The attribute called `name`.
    pub fn get(&self, name: &str) -> Option<&AttrDef> {
        self.attrs.get(name)
    }

    /// The attribute's index in [`Schema::attributes`].
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.attrs.get_index_of(name)
    }

    /// Every attribute, standard ones first, in a stable order.
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = &AttrDef> {
        self.attrs.values()
    }

    /// The attribute at `index`.
    pub fn at(&self, index: usize) -> Option<&AttrDef> {
        self.attrs.get_index(index).map(|(_, d)| d)
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.attrs.len()
    }

    /// Whether the schema has no attributes (never true of a derived schema).
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty()
    }

    /// The known name closest to `name`, for "did you mean" help: same name
    /// ignoring case, or at most a third of its letters edited away.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        suggest(name, self.attrs.keys().map(String::as_str))
    }
}

/// Names longer than this (in characters) get no suggestion: the distance
/// costs the product of the lengths, and hostile input can be a megabyte
/// long.
const SUGGEST_MAX_CHARS: usize = 64;

/// The most candidates one suggestion looks at, in order; the rest are not
/// considered. A catalog can hold millions of targets and an unknown pinned
/// id comes from a client, so the work of one suggestion must not grow with
/// the catalog.
pub(crate) const SUGGEST_MAX_CANDIDATES: usize = 10_000;

/// The most edit distances one suggestion computes. The candidates that a
/// cheap lower bound (length and character counts) leaves in the running
/// are compared in order of that bound, so the budget goes to the likeliest
/// first.
pub(crate) const SUGGEST_MAX_DISTANCES: usize = 64;

#[cfg(test)]
thread_local! {
    /// Edit distances computed by [`suggest`] on this thread (tests only).
    pub(crate) static DISTANCES_COMPUTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The candidate closest to `word` by edit distance, if it is close enough
/// (case-insensitive match, or distance at most `max(1, len/3)`), else a
/// candidate that `word` is a prefix of. Ties go to the earlier candidate.
///
/// The work is bounded whatever the number of candidates: no suggestion for
/// a word over [`SUGGEST_MAX_CHARS`] characters, at most
/// [`SUGGEST_MAX_CANDIDATES`] candidates looked at, each for at most 86
/// characters, and at most [`SUGGEST_MAX_DISTANCES`] edit distances.
/// Past those bounds a suggestion may be missed, never wrong: it is only
/// ever help text.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let chars = word.chars().count();
    if chars > SUGGEST_MAX_CHARS {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let limit = (chars / 3).max(1);
    // Characters counted in 64 buckets: the difference of two such counts
    // is a lower bound of the edit distance (an edit changes at most one
    // count on each side; a transposition none), computed in linear time.
    let bucket = |c: char| (u32::from(c.to_ascii_lowercase()) % 64) as usize;
    let mut counts = [0i16; 64];
    for c in lower.chars() {
        if let Some(n) = counts.get_mut(bucket(c)) {
            *n += 1;
        }
    }
    // Candidates still in the running, grouped by their lower bound.
    let mut by_bound: Vec<Vec<(usize, &'a str)>> = vec![Vec::new(); limit + 1];
    let mut prefixed = None;
    for (i, c) in candidates.take(SUGGEST_MAX_CANDIDATES).enumerate() {
        if prefixed.is_none() && lower.len() >= 4 && c.starts_with(lower.as_str()) {
            prefixed = Some(c);
        }
        // A text has at least as many bytes as characters.
        if c.len() + limit < chars {
            continue;
        }
        // The word's characters the candidate lacks, and the candidate's
        // characters the word lacks (counting stops once those are over the
        // limit): the larger is the bound, and it is at least the difference
        // in length.
        let (mut left, mut missing, mut extra) = (counts, chars, 0usize);
        for ch in c.chars() {
            match left.get_mut(bucket(ch)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    missing -= 1;
                }
                _ => extra += 1,
            }
            if extra > limit {
                break;
            }
        }
        let bound = missing.max(extra);
        if let Some(group) = by_bound.get_mut(bound) {
            group.push((i, c));
        }
    }
    // Cheapest bound first; a group whose bound exceeds the best distance
    // found cannot hold a closer (or an earlier equally close) candidate.
    // A name met again (models repeat across providers) costs nothing.
    let mut best: Option<(usize, usize, &'a str)> = None;
    let mut tried = std::collections::HashSet::new();
    'groups: for (bound, group) in by_bound.into_iter().enumerate() {
        if best.is_some_and(|(d, _, _)| bound > d) {
            break;
        }
        for (i, c) in group {
            if tried.len() == SUGGEST_MAX_DISTANCES {
                break 'groups;
            }
            if !tried.insert(c) {
                continue;
            }
            #[cfg(test)]
            DISTANCES_COMPUTED.with(|n| n.set(n.get() + 1));
            let d = edit_distance(&lower, &c.to_ascii_lowercase());
            if d <= limit && best.is_none_or(|(bd, bi, _)| (d, i) < (bd, bi)) {
                best = Some((d, i, c));
            }
        }
    }
    // Failing that, a name the word begins (`retention` → `retention_days`).
    best.map(|(_, _, c)| c).or(prefixed)
}

/// Optimal string alignment distance (Levenshtein plus transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let m = b.len();
    // Three rows of the matrix: two back (for transpositions), the last one
    // and the one being filled.
    let mut before: Vec<usize> = vec![0; m + 1];
    let mut last: Vec<usize> = (0..=m).collect();
    let mut row: Vec<usize> = vec![0; m + 1];
    for (i, &ca) in a.iter().enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for j in 1..=m {
            let cb = b.get(j - 1).copied();
            let cost = usize::from(Some(ca) != cb);
            let deletion = last.get(j).map_or(usize::MAX, |v| v + 1);
            let insertion = row.get(j - 1).map_or(usize::MAX, |v| v + 1);
            let substitution = last.get(j - 1).map_or(usize::MAX, |v| v + cost);
            let mut v = deletion.min(insertion).min(substitution);
            let transposed =
                i > 0 && j > 1 && b.get(j - 2) == Some(&ca) && a.get(i - 1).copied() == cb;
            if transposed {
                if let Some(t) = before.get(j - 2) {
                    v = v.min(t + 1);
                }
            }
            if let Some(cell) = row.get_mut(j) {
                *cell = v;
            }
        }
        std::mem::swap(&mut before, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    last.get(m).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook full-matrix optimal string alignment distance.
    fn osa_reference(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        d[n][m]
    }

    #[test]
    fn edit_distance_agrees_with_the_full_matrix() {
        // Every pair of strings of up to 4 letters over a 3-letter alphabet.
        let mut words = vec![String::new()];
        for len in 1..=4 {
            let mut k = 0usize;
            while k < 3usize.pow(len) {
                let mut w = String::new();
                let mut x = k;
                for _ in 0..len {
                    w.push(['a', 'b', 'c'][x % 3]);
                    x /= 3;
                }
                words.push(w);
                k += 1;
            }
        }
        for a in &words {
            for b in &words {
                assert_eq!(edit_distance(a, b), osa_reference(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn suggestions() {
        let s = Schema::standard();
        assert_eq!(s.suggest("soc3"), Some("soc2"));
        assert_eq!(s.suggest("SOC2"), Some("soc2"));
        assert_eq!(s.suggest("iso2701"), Some("iso27001"));
        assert_eq!(s.suggest("trains_on_prompt"), Some("trains_on_prompts"));
        assert_eq!(s.suggest("retention"), Some("retention_days"));
        assert_eq!(s.suggest("zzzzzz"), None);
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn custom_attributes() {
        let s = Schema::standard();
        assert!(s.clone().with_attribute("soc2", AttrKind::Flag).is_err());
        assert!(s.clone().with_attribute("2fa", AttrKind::Flag).is_err());
        assert!(s.clone().with_attribute("or", AttrKind::Flag).is_err());
        let s = s.with_attribute("fedramp", AttrKind::Flag).unwrap();
        assert!(s.clone().with_attribute("fedramp", AttrKind::Text).is_err());
        assert!(!s.get("fedramp").unwrap().is_builtin());
    }
}
