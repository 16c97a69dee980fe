//! [`Policy`]: a compiled policy, the type host applications hold.

use std::path::Path;
use std::sync::Arc;

use crate::ast;
use crate::compile::{self, Bits, Program};
use crate::diagnostic::{Error, SourceText};
use crate::eval::{self, Verdict};
use crate::ir::{self, Ir};
use crate::request::RequestAttrs;
use crate::schema::Schema;
use crate::syntax::{self, MAX_SOURCE_BYTES};
use crate::target::Target;
use crate::time::Date;

pub use crate::ast::Mode;

/// A compiled policy. Immutable, `Send + Sync`, and cheap to clone (the
/// compiled form is shared).
///
/// ```
/// use eligo::{Policy, Target};
/// let policy = Policy::compile(r#"
///     policy "regulated";
///     require soc2 or iso27001;
///     require !trains_on_prompts;
///     max_retention_days 0
/// "#)?;
/// assert_eq!(policy.name(), Some("regulated"));
/// let ok = Target::builder("acme", "m1")
///     .attr("iso27001", true)
///     .attr("trains_on_prompts", false)
///     .attr("retention_days", 0)
///     .build();
/// assert!(policy.evaluate(&ok).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: SourceText,
    ast: ast::Policy,
    ir: Ir,
    program: Arc<Program>,
    /// The literal bits of a request that gives no request attributes,
    /// worked out once (see [`Program::request_bits`]).
    no_request: Bits,
    /// [`Policy::fingerprint`], worked out on first use.
    fingerprint: std::sync::OnceLock<String>,
    /// Explanations already worked out, by literal bits (see
    /// [`Policy::layer_failures`]).
    explanations: Explanations,
    /// Recent bindings to catalogs (see [`Policy::allowed_in`]).
    bindings: Bindings,
}

/// Most catalog bindings a policy keeps.
const MAX_BINDINGS: usize = 4;

/// A policy's most recent bindings to catalogs, newest first: each the
/// catalog's identity, the day it was bound for, and the binding.
#[derive(Debug, Default)]
struct Bindings(std::sync::Mutex<Vec<(u64, Date, Arc<eval::EncodedCatalog>)>>);

/// Most explanations a policy keeps; past it the oldest half is dropped.
const MAX_EXPLANATIONS: usize = 1024;

/// A policy's explanations by literal bits. The bits fix every
/// predicate's value, and the explanation is a function of those values,
/// so a kept explanation is exactly the one that would be worked out
/// again. Bounded by [`MAX_EXPLANATIONS`].
#[derive(Debug, Default)]
struct Explanations(std::sync::Mutex<indexmap::IndexMap<Bits, Arc<[eval::LayerFailure]>>>);

/// Compiles policy text against the standard schema.
///
/// ```
/// let policy = eligo::compile("require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0")?;
/// assert_eq!(policy.requirement_count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compile(source: &str) -> Result<Policy, Error> {
    Policy::compile(source)
}

impl Policy {
    /// Compiles policy text against the standard schema.
    pub fn compile(source: &str) -> Result<Policy, Error> {
        Policy::compile_with(source, &Schema::standard())
    }

    /// Compiles policy text against `schema`, which may add custom attributes.
    ///
    /// ```
    /// use eligo::{AttrKind, Policy, Schema, Target};
    /// let schema = Schema::standard().with_attribute("fedramp_high", AttrKind::Flag)?;
    /// let policy = Policy::compile_with("require fedramp_high", &schema)?;
    /// let t = Target::builder("gov", "m").attr("fedramp_high", true).build();
    /// assert!(policy.evaluate(&t).is_allowed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile_with(source: &str, schema: &Schema) -> Result<Policy, Error> {
        Policy::compile_named(source, "<input>", schema)
    }

    /// Like [`Policy::compile_with`], naming the source `name` in diagnostics.
    pub fn compile_named(source: &str, name: &str, schema: &Schema) -> Result<Policy, Error> {
        let src = SourceText::new(name, source);
        let ast = syntax::parse_named(source, name)?;
        let ir = ir::lower(&ast, schema).map_err(|d| Error::new(d, Some(src.clone())))?;
        let program = Arc::new(compile::compile(&ir));
        Ok(Policy {
            inner: Arc::new(Inner {
                source: src,
                ast,
                ir,
                no_request: program.request_bits(&RequestAttrs::new()),
                program,
                fingerprint: std::sync::OnceLock::new(),
                explanations: Explanations::default(),
                bindings: Bindings::default(),
            }),
        })
    }

    /// Reads and compiles a `.pol` file against the standard schema.
    ///
    /// ```
    /// let policy = eligo::Policy::from_file("policies/regulated-routing.pol")?;
    /// assert_eq!(policy.name(), Some("regulated-routing"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        Policy::from_file_with(path, &Schema::standard())
    }

    /// Reads and compiles a `.pol` file against `schema`.
    pub fn from_file_with(path: impl AsRef<Path>, schema: &Schema) -> Result<Policy, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = crate::files::read_text(path, MAX_SOURCE_BYTES)?;
        Policy::compile_named(&text, &name, schema)
    }

    /// The `policy "…"` name, if given.
    pub fn name(&self) -> Option<&str> {
        self.inner.ir.name.as_deref()
    }

    /// The `version "…"` text, if given.
    pub fn version(&self) -> Option<&str> {
        self.inner.ir.version.as_deref()
    }

    /// The mode (block unless `mode warn;`). The evaluator ignores it; the
    /// routing layer acts on it.
    pub fn mode(&self) -> Mode {
        self.inner.ir.mode
    }

    /// The source text as given.
    pub fn source(&self) -> &str {
        self.inner.source.text()
    }

    /// The source's display name (a path, or `<input>`).
    pub fn source_name(&self) -> &str {
        self.inner.source.name()
    }

    /// The canonical text of the policy (see [`ast`](crate::ast)).
    pub fn canonical_text(&self) -> String {
        self.inner.ast.to_string()
    }

    /// The parsed policy.
    pub fn ast(&self) -> &ast::Policy {
        &self.inner.ast
    }

    /// The lowered policy.
    pub fn ir(&self) -> &Ir {
        &self.inner.ir
    }

    /// The compiled program.
    pub fn program(&self) -> &Program {
        &self.inner.program
    }

    /// The schema the policy was compiled against, with its own declarations.
    pub fn schema(&self) -> &Schema {
        &self.inner.ir.schema
    }

    /// Number of requirements (allow/deny lists merged per field count once).
    pub fn requirement_count(&self) -> usize {
        self.inner.ir.requirements.len()
    }

    /// Whether `target` passes: the fast path, with no explanation.
    ///
    /// ```
    /// let policy = eligo::compile("require soc2")?;
    /// assert!(!policy.is_allowed(&eligo::Target::new("p", "m")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_allowed(&self, target: &Target) -> bool {
        self.passes(target, None)
    }

    /// Whether the program passes `target`, evidence read as of `date` (or
    /// today): the one place the fast check is made.
    fn passes(&self, target: &Target, date: Option<Date>) -> bool {
        let p = &self.inner.program;
        p.passes_target(target, &self.inner.no_request, date)
    }

    /// The literal bits of a request with attributes `attrs`, for
    /// [`Policy::passes_with`]: worked out once for many targets.
    pub(crate) fn request_bits(&self, attrs: &RequestAttrs) -> Bits {
        self.inner.program.request_bits(attrs)
    }

    /// Whether `target` passes for a request whose bits are `request`
    /// (from [`Policy::request_bits`]).
    pub(crate) fn passes_with(&self, target: &Target, request: &[u64], date: Option<Date>) -> bool {
        self.inner.program.passes_target(target, request, date)
    }

    /// The literal bits of `target` on `date` (`None`: today, read once),
    /// serving a request for `model` when given (a target serving every
    /// model is then read as serving it): all a decision and its
    /// explanation need.
    pub(crate) fn bits(
        &self,
        target: &Target,
        model: Option<&str>,
        date: Option<Date>,
        request: &[u64],
    ) -> Bits {
        let p = &self.inner.program;
        let mut bits = p.encode_serving(target, model, date);
        for (w, r) in bits.iter_mut().zip(request) {
            *w |= r;
        }
        bits
    }

    /// Whether literal bits from [`Policy::bits`] pass.
    pub(crate) fn passes_bits(&self, bits: &[u64]) -> bool {
        self.inner.program.passes(bits)
    }

    /// Every failed requirement for literal bits from [`Policy::bits`],
    /// each named with this policy and its mode. Kept by bits, so a
    /// candidate read as before costs a lookup.
    pub(crate) fn layer_failures(&self, bits: &[u64]) -> Arc<[eval::LayerFailure]> {
        let kept = self.inner.explanations.0.lock().ok();
        if let Some(f) = kept.as_ref().and_then(|k| k.get(bits)) {
            return Arc::clone(f);
        }
        drop(kept);
        let name: Arc<str> = self.display_name().into();
        let failures: Arc<[eval::LayerFailure]> =
            eval::failures_of(&self.inner.ir, &self.inner.program, bits)
                .into_iter()
                .map(|failure| eval::LayerFailure {
                    policy: Arc::clone(&name),
                    mode: self.mode(),
                    failure,
                })
                .collect();
        if let Ok(mut kept) = self.inner.explanations.0.lock() {
            if kept.len() >= MAX_EXPLANATIONS {
                kept.drain(..MAX_EXPLANATIONS / 2);
            }
            kept.insert(Bits::from_slice(bits), Arc::clone(&failures));
        }
        failures
    }

    /// [`Policy::is_allowed`] with expiring evidence read as of `date`.
    ///
    /// ```
    /// use eligo::Target;
    /// let policy = eligo::compile("require soc2")?;
    /// let t = Target::builder("a", "m").expiring("soc2", true, "2026-12-31".parse()?).build();
    /// assert!(policy.is_allowed_on(&t, "2026-12-31".parse()?));
    /// assert!(!policy.is_allowed_on(&t, "2027-01-01".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_allowed_on(&self, target: &Target, date: Date) -> bool {
        self.passes(target, Some(date))
    }

    /// Evaluates the policy on `target`; a blocked verdict lists every failed
    /// requirement.
    ///
    /// ```
    /// let policy = eligo::compile("require soc2 or !soc2")?;
    /// // Not a tautology: with soc2 undeclared the requirement is unknown.
    /// let verdict = policy.evaluate(&eligo::Target::new("p", "m"));
    /// assert!(verdict.is_blocked());
    /// assert!(verdict.failures()[0].is_unknown());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate(&self, target: &Target) -> Verdict {
        self.evaluate_at(target, None)
    }

    /// Evaluates the policy on `target` with expiring evidence read as of
    /// `date` (evidence is valid through its expiry date).
    ///
    /// ```
    /// use eligo::{Date, Target};
    /// let policy = eligo::compile("require soc2")?;
    /// let t = Target::builder("p", "m").expiring("soc2", true, "2026-12-31".parse()?).build();
    /// assert!(policy.evaluate_on(&t, "2026-12-31".parse()?).is_allowed());
    /// assert!(policy.evaluate_on(&t, "2027-01-01".parse()?).is_blocked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_on(&self, target: &Target, date: Date) -> Verdict {
        self.evaluate_at(target, Some(date))
    }

    /// [`Policy::evaluate`] or [`Policy::evaluate_on`], as `date` says:
    /// `None` reads evidence as of today. Only a blocked target pays for the
    /// explanation.
    ///
    /// ```
    /// let policy = eligo::compile("require soc2")?;
    /// let t = eligo::Target::new("p", "m");
    /// assert_eq!(policy.evaluate_at(&t, None), policy.evaluate(&t));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_at(&self, target: &Target, date: Option<Date>) -> Verdict {
        self.verdict(&self.inner.program.encode_at(target, date))
    }

    /// Evaluates the policy on `target` for a request with attributes
    /// `attrs` (expiring evidence read as of `date`, or today). A `when`
    /// block applies unless its condition is definitely false for these
    /// attributes: an attribute not given leaves it unknown, and the block
    /// applies. Without request attributes ([`Policy::evaluate`]) every
    /// block applies: the strictest reading.
    ///
    /// ```
    /// use eligo::{RequestAttrs, Target};
    /// let policy = eligo::compile(r#"when request.data_class in ["phi"] { require hipaa; }"#)?;
    /// let t = Target::new("p", "m"); // hipaa undeclared
    /// let public = RequestAttrs::new().with("data_class", "public");
    /// let phi = RequestAttrs::new().with("data_class", "phi");
    /// assert!(policy.evaluate_for(&t, &public, None).is_allowed());
    /// let v = policy.evaluate_for(&t, &phi, None);
    /// assert!(v.is_blocked());
    /// assert_eq!(v.failures()[0].condition(), Some(r#"request.data_class in ["phi"]"#));
    /// // Not said: the block applies.
    /// assert!(policy.evaluate_for(&t, &RequestAttrs::new(), None).is_blocked());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_for(
        &self,
        target: &Target,
        attrs: &RequestAttrs,
        date: Option<Date>,
    ) -> Verdict {
        self.verdict(&self.inner.program.encode_for(target, attrs, date))
    }

    /// [`Policy::evaluate_for`] without the explanation: whether `target`
    /// passes for a request with attributes `attrs`.
    pub fn is_allowed_for(
        &self,
        target: &Target,
        attrs: &RequestAttrs,
        date: Option<Date>,
    ) -> bool {
        self.passes_with(target, &self.request_bits(attrs), date)
    }

    /// The verdict for a target's literal bits (the request's included).
    fn verdict(&self, bits: &[u64]) -> Verdict {
        if self.inner.program.passes(bits) {
            Verdict::allow()
        } else {
            let failures = self.layer_failures(bits);
            Verdict::block(failures.iter().map(|f| f.failure.clone()).collect())
        }
    }

    /// Decides every target of `catalog` once, keeping the result as a
    /// bitmap for fast repeated use (expiring evidence read as of `date`, or
    /// today).
    pub fn encode_catalog(
        &self,
        catalog: &crate::Catalog,
        date: Option<Date>,
    ) -> eval::EncodedCatalog {
        eval::EncodedCatalog::encode(&self.inner.program, catalog, date)
    }

    /// The targets of `catalog` this policy allows on `date` (or today, in
    /// UTC): the bulk path, with no per-target work.
    ///
    /// The policy keeps its binding to the catalog's fact table for that
    /// catalog and day (the last [`MAX_BINDINGS`] of them), so calling again
    /// for the same catalog and day only filters. A binding is only ever
    /// used for the day it was made for: on another day, one is made anew,
    /// so expired evidence is never honoured.
    ///
    /// ```
    /// use eligo::{Catalog, Date, Target};
    /// let policy = eligo::compile("require soc2")?;
    /// let catalog = Catalog::new(vec![
    ///     Target::builder("a", "m").expiring("soc2", true, Date::new(2026, 12, 31).unwrap()).build(),
    ///     Target::builder("b", "m").attr("soc2", true).build(),
    /// ])?;
    /// let allowed = policy.allowed_in(&catalog, Some(Date::new(2026, 12, 31).unwrap()));
    /// assert_eq!(allowed.indices().collect::<Vec<_>>(), [0, 1]);
    /// let allowed = policy.allowed_in(&catalog, Some(Date::new(2027, 1, 1).unwrap()));
    /// assert_eq!(allowed.indices().collect::<Vec<_>>(), [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_in(&self, catalog: &crate::Catalog, date: Option<Date>) -> eval::AllowedSet {
        self.allowed_in_for(catalog, &RequestAttrs::new(), date)
    }

    /// [`Policy::allowed_in`] for a request with attributes `attrs`: the
    /// same kept binding, the request's literal columns set once for the
    /// whole catalog (see [`eval::EncodedCatalog::filter_for`]).
    ///
    /// ```
    /// use eligo::{Catalog, RequestAttrs, Target};
    /// let policy = eligo::compile(r#"when request.data_class == "phi" { require hipaa; }"#)?;
    /// let catalog = Catalog::new(vec![
    ///     Target::new("cloud", "m"),
    ///     Target::builder("clinic", "m").attr("hipaa", true).build(),
    /// ])?;
    /// let phi = RequestAttrs::new().with("data_class", "phi");
    /// assert_eq!(policy.allowed_in_for(&catalog, &phi, None).indices().collect::<Vec<_>>(), [1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_in_for(
        &self,
        catalog: &crate::Catalog,
        attrs: &RequestAttrs,
        date: Option<Date>,
    ) -> eval::AllowedSet {
        let day = date.unwrap_or_else(Date::today);
        let key = (catalog.identity(), day);
        let kept = self.inner.bindings.0.lock().ok().and_then(|b| {
            b.iter()
                .find(|(c, d, _)| (*c, *d) == key)
                .map(|(_, _, e)| Arc::clone(e))
        });
        let encoded = kept.unwrap_or_else(|| {
            let fresh = Arc::new(self.encode_catalog(catalog, Some(day)));
            if let Ok(mut b) = self.inner.bindings.0.lock() {
                b.retain(|(c, d, _)| (*c, *d) != key);
                b.insert(0, (key.0, key.1, Arc::clone(&fresh)));
                b.truncate(MAX_BINDINGS);
            }
            fresh
        });
        encoded.filter_for(attrs, day)
    }

    /// This policy with its compiled program replaced: for tests that show
    /// a broken compiler is caught. Never use it otherwise.
    #[doc(hidden)]
    pub fn with_program_for_testing(&self, program: Program) -> Policy {
        Policy {
            inner: Arc::new(Inner {
                source: self.inner.source.clone(),
                ast: self.inner.ast.clone(),
                ir: self.inner.ir.clone(),
                no_request: program.request_bits(&RequestAttrs::new()),
                program: Arc::new(program),
                fingerprint: std::sync::OnceLock::new(),
                explanations: Explanations::default(),
                bindings: Bindings::default(),
            }),
        }
    }

    /// A name for messages: the `policy "…"` name, else the file stem, else
    /// `unnamed`.
    pub fn display_name(&self) -> &str {
        if let Some(n) = self.name() {
            return n;
        }
        let src = self.source_name();
        if src.starts_with('<') {
            return "unnamed";
        }
        Path::new(src)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("unnamed")
    }

    /// `sha256:` and the hex SHA-256 digest of the canonical text: changes
    /// when the policy's meaning can change, not when comments or layout do.
    ///
    /// ```
    /// let a = eligo::compile("require soc2;  # strict")?;
    /// let b = eligo::compile("require   soc2")?;
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert!(a.fingerprint().starts_with("sha256:"));
    /// assert_ne!(a.fingerprint(), eligo::compile("require gdpr")?.fingerprint());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fingerprint(&self) -> String {
        self.inner
            .fingerprint
            .get_or_init(|| {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(self.canonical_text().as_bytes());
                let mut out = String::with_capacity(71);
                out.push_str("sha256:");
                for b in digest {
                    out.push_str(&format!("{b:02x}"));
                }
                out
            })
            .clone()
    }

    /// Evaluates every target, keeping their order.
    ///
    /// ```
    /// use eligo::Target;
    /// let policy = eligo::compile("require gdpr")?;
    /// let targets = [
    ///     Target::builder("a", "m").attr("gdpr", true).build(),
    ///     Target::new("b", "m"),
    /// ];
    /// let allowed: Vec<bool> = policy.evaluate_many(&targets).iter().map(|v| v.is_allowed()).collect();
    /// assert_eq!(allowed, [true, false]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evaluate_many<'a>(&self, targets: impl IntoIterator<Item = &'a Target>) -> Vec<Verdict> {
        targets.into_iter().map(|t| self.evaluate(t)).collect()
    }

    /// The targets that pass, in their original order.
    ///
    /// ```
    /// use eligo::Target;
    /// let policy = eligo::compile("require !trains_on_prompts")?;
    /// let targets = [
    ///     Target::builder("a", "m").attr("trains_on_prompts", false).build(),
    ///     Target::builder("b", "m").attr("trains_on_prompts", true).build(),
    ///     Target::builder("c", "m").attr("trains_on_prompts", false).build(),
    /// ];
    /// let ids: Vec<&str> = policy.filter(&targets).map(|t| t.id()).collect();
    /// assert_eq!(ids, ["a/m", "c/m"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter<'a, I>(&'a self, targets: I) -> impl Iterator<Item = &'a Target> + 'a
    where
        I: IntoIterator<Item = &'a Target>,
        I::IntoIter: 'a,
    {
        targets.into_iter().filter(move |t| self.is_allowed(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A policy keeps explanations by literal bits, at most
    // MAX_EXPLANATIONS of them. Over more distinct readings than that,
    // read twice in different orders, every verdict must equal the one
    // worked out from scratch, and the store must stay bounded.
    #[test]
    fn kept_explanations_are_those_worked_out_afresh_and_stay_bounded() {
        let names = [
            "soc2",
            "iso27001",
            "gdpr",
            "hipaa",
            "zero_data_retention",
            "in_memory_only",
            "logs_prompts",
        ];
        let src: String = names.iter().map(|n| format!("require {n};")).collect();
        let policy = Policy::compile(&src).unwrap();
        let mut targets = Vec::new();
        for code in 0..3usize.pow(names.len() as u32) {
            let mut t = Target::new("p", "m");
            let mut rest = code;
            for n in names {
                match rest % 3 {
                    0 => {}
                    v => t.set(n, v == 2),
                }
                rest /= 3;
            }
            targets.push(t);
        }
        assert!(targets.len() > MAX_EXPLANATIONS);
        let fresh = |t: &Target| {
            let p = &policy.inner.program;
            let bits = p.encode_at(t, None);
            (
                p.passes(&bits),
                eval::failures_of(&policy.inner.ir, p, &bits),
            )
        };
        for t in targets.iter().chain(targets.iter().rev()) {
            let v = policy.evaluate(t);
            let (passes, failures) = fresh(t);
            assert_eq!(v.is_allowed(), passes);
            assert_eq!(v.failures(), failures.as_slice());
            let kept = policy.inner.explanations.0.lock().unwrap().len();
            assert!(kept <= MAX_EXPLANATIONS, "{kept}");
        }
    }
}
