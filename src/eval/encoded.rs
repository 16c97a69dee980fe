//! The bulk path: a catalog encoded column by column for one policy, and a
//! filter that decides thousands of targets with a few word operations.
//!
//! Encoding reads no target: it *binds* the policy's predicates to the
//! catalog's fact table (built once with the catalog and shared by every
//! policy, see `catalog::facts`). Each predicate looks its attribute up by
//! name once and turns that attribute's columns into its two literal
//! columns with a few word operations, the date being a parameter of the
//! binding.
//!
//! A target's literal bits (two a predicate, see [`crate::compile`]) are
//! stored *bit-sliced*: one column per literal bit the policy reads, one bit
//! per target in each column. A clause then passes for 64 targets at once
//! where the OR of its columns' words is set, and the policy passes where
//! the AND over its clauses is. Mask programs run the same way, on words
//! instead of bits. Unknown attributes set no bit in any column, so they
//! can never make a clause pass: the bulk path is fail-closed exactly like
//! the row path, and the property tests hold the two to the reference
//! evaluator.
//!
//! The filter walks the columns in blocks of [`BLOCK`] words and keeps the
//! running AND in registers, so every column word is read once: at a
//! million targets the filter runs at the speed memory can deliver the
//! columns.

use std::ops::Range;

use crate::catalog::Catalog;
use crate::catalog::facts::{Column, clear_rows};
use crate::compile::{ColumnStep, Op};
use crate::ir::Predicate;
use std::sync::Arc;

use crate::compile::Program;
use crate::request::RequestAttrs;
use crate::schema::AttrKind;
use crate::time::Date;

/// Words the filter works on at once (64 targets a word): a block of the
/// result small enough to stay in the fastest cache while every step of
/// the plan passes over it.
pub const BLOCK: usize = 64;

/// One step of the filter's plan, its columns resolved to positions in
/// `Plan::columns`.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Clauses of one literal each: every column must be set.
    All(usize, usize),
    /// A clause of two literals: these two columns.
    Two(usize, usize),
    /// A clause of more literals: one of the columns must be set.
    Any(usize, usize),
    /// A mask program, `Plan::ops[start..end]`.
    Mask(usize, usize),
}

/// A mask-program step with its column resolved.
#[derive(Clone, Copy, Debug)]
enum MaskOp {
    Column(usize),
    And(usize),
    Or(usize),
}

/// The program's checks as column work, resolved once at encoding.
#[derive(Clone, Debug, Default)]
struct Plan {
    steps: Vec<Step>,
    /// Column numbers the steps refer to by range.
    columns: Vec<usize>,
    ops: Vec<MaskOp>,
}

impl Plan {
    fn new(program: &crate::compile::Program, column_of: impl Fn(u32) -> usize) -> Plan {
        let mut plan = Plan::default();
        let mut singles = Vec::new();
        let mut masks = Vec::new();
        for step in program.column_steps() {
            match step {
                ColumnStep::Clause(bits) => match *bits.as_slice() {
                    [a] => singles.push(column_of(a)),
                    [a, b] => plan.steps.push(Step::Two(column_of(a), column_of(b))),
                    _ => {
                        let start = plan.columns.len();
                        plan.columns.extend(bits.iter().map(|&b| column_of(b)));
                        plan.steps.push(Step::Any(start, plan.columns.len()));
                    }
                },
                ColumnStep::Mask(ops) => masks.push(ops),
            }
        }
        // Single-literal clauses go first, in one fused step: they remove
        // the most targets for the least work.
        if !singles.is_empty() {
            let start = plan.columns.len();
            plan.columns.extend(singles);
            plan.steps.insert(0, Step::All(start, plan.columns.len()));
        }
        for ops in masks {
            let start = plan.ops.len();
            plan.ops.extend(ops.iter().map(|op| match *op {
                Op::Bit(b) => MaskOp::Column(column_of(b)),
                Op::And(n) => MaskOp::And(n as usize),
                Op::Or(n) => MaskOp::Or(n as usize),
            }));
            plan.steps.push(Step::Mask(start, plan.ops.len()));
        }
        plan
    }
}

/// A catalog encoded for one policy: the policy's literal columns, one bit
/// per target. Built once with [`Policy::encode_catalog`]; [`filter`]
/// decides every target in one pass over the columns.
///
/// The encoding belongs to the policy it was made for and keeps it, so it
/// can never be read with another policy's program.
///
/// ```
/// use eligo::{Catalog, Target};
/// let policy = eligo::compile("require !trains_on_prompts")?;
/// let catalog = Catalog::new(vec![
///     Target::builder("a", "m").attr("trains_on_prompts", false).build(),
///     Target::builder("b", "m").attr("trains_on_prompts", true).build(),
///     Target::builder("c", "m").build(), // undeclared: unknown, blocked
///     Target::builder("d", "m").attr("trains_on_prompts", false).build(),
/// ])?;
/// let encoded = policy.encode_catalog(&catalog, None);
/// let allowed = encoded.filter();
/// assert_eq!(allowed.indices().collect::<Vec<_>>(), [0, 3]);
/// assert_eq!(allowed.count(), 2);
/// assert!(encoded.is_allowed(0) && !encoded.is_allowed(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`filter`]: EncodedCatalog::filter
#[derive(Clone, Debug)]
pub struct EncodedCatalog {
    program: Arc<Program>,
    len: usize,
    /// Words a column holds: `len` bits rounded up to whole words.
    stride: usize,
    /// The literal bits the program reads, ascending; column `k` holds
    /// literal bit `bits[k]`.
    bits: Vec<u32>,
    /// Column `k` is `columns[k * stride..(k + 1) * stride]`.
    columns: Vec<u64>,
    plan: Plan,
    /// The day expiring evidence was read at.
    day: Date,
    /// Whether `day` was given (`false`: it was today at encoding, and the
    /// encoding must not outlive it).
    dated: bool,
    /// Rows whose evidence (for an attribute the policy reads) was valid on
    /// `day` but expires later. Once a later day is past that expiry, the
    /// row is no longer allowed from this encoding.
    expiring: Expiring,
}

/// The rows of an encoding whose evidence expires after its date, each with
/// its earliest such expiry: by date (for a whole filter) and by row (for
/// one target).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Expiring {
    by_date: Vec<(Date, usize)>,
    by_row: Vec<(usize, Date)>,
}

impl Expiring {
    /// From (expiry, row) pairs in any order, a row possibly many times.
    fn new(pairs: impl IntoIterator<Item = (Date, usize)>) -> Expiring {
        let mut by_row: Vec<(usize, Date)> = pairs.into_iter().map(|(d, r)| (r, d)).collect();
        by_row.sort_unstable();
        by_row.dedup_by_key(|&mut (row, _)| row);
        let mut by_date: Vec<(Date, usize)> = by_row.iter().map(|&(r, d)| (d, r)).collect();
        by_date.sort_unstable();
        Expiring { by_date, by_row }
    }

    /// Rows whose earliest expiry is before `day`.
    fn before(&self, day: Date) -> impl Iterator<Item = usize> + '_ {
        self.by_date
            .iter()
            .take_while(move |(expiry, _)| *expiry < day)
            .map(|&(_, row)| row)
    }

    /// Whether row `row` has evidence expiring before `day`.
    fn row_before(&self, row: usize, day: Date) -> bool {
        self.by_row
            .binary_search_by_key(&row, |&(r, _)| r)
            .ok()
            .and_then(|i| self.by_row.get(i))
            .is_some_and(|&(_, expiry)| expiry < day)
    }
}

impl EncodedCatalog {
    pub(crate) fn encode(
        program: &Arc<Program>,
        catalog: &Catalog,
        date: Option<Date>,
    ) -> EncodedCatalog {
        let facts = catalog.facts();
        let len = facts.len();
        let stride = len.div_ceil(64);
        let bits = program.used_bits();
        let mut columns = vec![0u64; bits.len() * stride];
        // One day for the whole encoding, never one read per attribute.
        let day = date.unwrap_or_else(Date::today);
        let (mut yes, mut no) = (vec![0u64; stride], vec![0u64; stride]);
        for (p, (attr, kind, pred)) in program.predicates().enumerate() {
            let at = |b: usize| {
                let b = u32::try_from(b).ok()?;
                bits.binary_search(&b).ok()
            };
            let (kt, kf) = (at(2 * p), at(2 * p + 1));
            if kt.is_none() && kf.is_none() {
                continue;
            }
            yes.fill(0);
            no.fill(0);
            bind(
                target_column(facts, attr),
                kind,
                pred,
                day,
                &mut yes,
                &mut no,
            );
            mask_tail(&mut no, len);
            for (k, from) in [(kt, &yes), (kf, &no)] {
                let column = k.and_then(|k| columns.get_mut(k * stride..(k + 1) * stride));
                if let Some(column) = column {
                    column.copy_from_slice(from);
                }
            }
        }
        let expiring = program
            .predicates()
            .filter_map(|(name, _, _)| target_column(facts, name))
            .flat_map(|c| c.expiring_from(day).iter().copied());
        EncodedCatalog::assemble(
            program,
            len,
            bits,
            columns,
            date,
            day,
            Expiring::new(expiring),
        )
    }

    /// The encoding from its literal columns (`bits[k]` in column `k`),
    /// read on `day` (`date` when given).
    fn assemble(
        program: &Arc<Program>,
        len: usize,
        bits: Vec<u32>,
        columns: Vec<u64>,
        date: Option<Date>,
        day: Date,
        expiring: Expiring,
    ) -> EncodedCatalog {
        let plan = Plan::new(program, |b| bits.binary_search(&b).unwrap_or(usize::MAX));
        EncodedCatalog {
            program: Arc::clone(program),
            len,
            stride: len.div_ceil(64),
            bits,
            columns,
            plan,
            day,
            dated: date.is_some(),
            expiring,
        }
    }

    /// [`Policy::encode_catalog`] the slow way, one target at a time from
    /// its attributes ([`crate::Program::encode_at`]): the oracle the
    /// column-built encoding is tested and measured against. Not for use
    /// otherwise.
    #[doc(hidden)]
    pub fn encode_by_rows_for_testing(
        program: &Program,
        catalog: &Catalog,
        date: Option<Date>,
    ) -> EncodedCatalog {
        let program = &Arc::new(program.clone());
        let len = catalog.len();
        let stride = len.div_ceil(64);
        let bits = program.used_bits();
        let mut columns = vec![0u64; bits.len() * stride];
        let day = date.unwrap_or_else(Date::today);
        let mut expiring = Vec::new();
        let read: Vec<&str> = program
            .predicates()
            .map(|(name, _, _)| name)
            .filter(|name| !crate::schema::is_request_attribute(name))
            .collect();
        for (i, t) in catalog.targets().iter().enumerate() {
            expiring.extend(
                read.iter()
                    .filter_map(|name| t.expires(name))
                    .filter(|&e| e >= day)
                    .map(|e| (e, i)),
            );
            let row = program.encode_at(t, Some(day));
            let (word, mask) = (i / 64, 1u64 << (i % 64));
            for (k, &b) in bits.iter().enumerate() {
                let set = row
                    .get(b as usize / 64)
                    .is_some_and(|w| w >> (b % 64) & 1 == 1);
                if set {
                    if let Some(w) = columns.get_mut(k * stride + word) {
                        *w |= mask;
                    }
                }
            }
        }
        EncodedCatalog::assemble(
            program,
            len,
            bits,
            columns,
            date,
            day,
            Expiring::new(expiring),
        )
    }

    /// Whether two encodings hold the same columns, date and expiring rows
    /// (for tests of the encoding itself).
    #[doc(hidden)]
    pub fn same_encoding_for_testing(&self, other: &EncodedCatalog) -> bool {
        (
            self.len,
            &self.bits,
            &self.columns,
            self.day,
            &self.expiring,
        ) == (
            other.len,
            &other.bits,
            &other.columns,
            other.day,
            &other.expiring,
        )
    }

    /// The day [`filter`](EncodedCatalog::filter) and
    /// [`is_allowed`](EncodedCatalog::is_allowed) decide for: the date
    /// given at encoding, else today.
    fn current_day(&self) -> Date {
        if self.dated { self.day } else { Date::today() }
    }

    /// Whether the encoding can answer for `day`: its own date or later.
    /// Evidence that had expired by the encoding's date may still have been
    /// valid on an earlier day, and `!known(x)` can turn on it, so an
    /// earlier day is never answered from this encoding.
    fn answers_for(&self, day: Date) -> bool {
        day >= self.day
    }

    /// Decides every target: the allowed set, in catalog order.
    ///
    /// One pass over the columns, a block of [`BLOCK`] words at a time; the
    /// result agrees with [`Policy::is_allowed`] on every target.
    pub fn filter(&self) -> AllowedSet {
        self.filter_on(self.current_day())
    }

    /// [`filter`](EncodedCatalog::filter) as of `day`: a target allowed on
    /// the encoding's date whose evidence (for an attribute the policy
    /// reads) has expired by `day` is left out. A day before the encoding's
    /// date allows nothing: evidence that had expired by the encoding's date
    /// may have been valid then, and `!known(x)` turns on it; encode for
    /// that day instead.
    ///
    /// ```
    /// use eligo::{Catalog, Date, Target};
    /// let policy = eligo::compile("require soc2")?;
    /// let catalog = Catalog::new(vec![
    ///     Target::builder("a", "m").expiring("soc2", true, Date::new(2026, 12, 31).unwrap()).build(),
    /// ])?;
    /// let encoded = policy.encode_catalog(&catalog, Some(Date::new(2026, 12, 1).unwrap()));
    /// assert_eq!(encoded.filter().count(), 1);
    /// assert_eq!(encoded.filter_on(Date::new(2027, 1, 1).unwrap()).count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter_on(&self, day: Date) -> AllowedSet {
        self.filter_with(day, &[])
    }

    /// [`filter_on`](EncodedCatalog::filter_on) for a request with
    /// attributes `attrs`: the request's literal columns (those of the
    /// policy's `when` conditions) are the same for every target, all set
    /// or all clear as [`Program::request_bits`] says, so the filter runs
    /// the same plan over them.
    ///
    /// ```
    /// use eligo::{Catalog, Date, RequestAttrs, Target};
    /// let policy = eligo::compile(r#"when request.data_class == "phi" { require hipaa; }"#)?;
    /// let catalog = Catalog::new(vec![
    ///     Target::new("cloud", "m"),
    ///     Target::builder("clinic", "m").attr("hipaa", true).build(),
    /// ])?;
    /// let day = Date::new(2026, 12, 1).unwrap();
    /// let encoded = policy.encode_catalog(&catalog, Some(day));
    /// let public = RequestAttrs::new().with("data_class", "public");
    /// assert_eq!(encoded.filter_for(&public, day).count(), 2);
    /// assert_eq!(encoded.filter_for(&RequestAttrs::new(), day).count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn filter_for(&self, attrs: &RequestAttrs, day: Date) -> AllowedSet {
        if !self.program.reads_request() {
            return self.filter_on(day);
        }
        let request = self.program.request_bits(attrs);
        let set = |b: u32| {
            request
                .get(b as usize / 64)
                .is_some_and(|w| w >> (b % 64) & 1 == 1)
        };
        let request_preds = self.program.request_checks();
        let constant: Vec<Option<bool>> = self
            .bits
            .iter()
            .map(|&b| {
                let pred = b as usize / 2;
                request_preds.binary_search(&pred).is_ok().then(|| set(b))
            })
            .collect();
        self.filter_with(day, &constant)
    }

    /// The filter, with `constant[k]` (when given) standing for column `k`
    /// (all set or all clear) instead of its bits.
    fn filter_with(&self, day: Date, constant: &[Option<bool>]) -> AllowedSet {
        let mut out = vec![!0u64; self.stride];
        let mut scratch: Vec<Vec<u64>> = Vec::new();
        for (block, acc) in out.chunks_mut(BLOCK).enumerate() {
            let start = block * BLOCK;
            let words = start..start + acc.len();
            for step in &self.plan.steps {
                self.apply(*step, &words, acc, &mut scratch, constant);
            }
        }
        if !self.answers_for(day) {
            return AllowedSet::from_words(vec![0; self.stride], self.len);
        }
        for row in self.expiring.before(day) {
            if let Some(w) = out.get_mut(row / 64) {
                *w &= !(1u64 << (row % 64));
            }
        }
        AllowedSet::from_words(out, self.len)
    }

    /// ANDs one step's result over the words `words` into `acc`.
    fn apply(
        &self,
        step: Step,
        words: &Range<usize>,
        acc: &mut [u64],
        scratch: &mut Vec<Vec<u64>>,
        constant: &[Option<bool>],
    ) {
        let col = |k: usize| self.column(k, words, constant);
        match step {
            Step::All(start, end) => {
                let ks = self.plan.columns.get(start..end).unwrap_or(&[]);
                let mut quads = ks.chunks_exact(4);
                for q in &mut quads {
                    if let &[a, b, c, d] = q {
                        let (a, b, c, d) = (col(a), col(b), col(c), col(d));
                        for ((((x, a), b), c), d) in acc.iter_mut().zip(a).zip(b).zip(c).zip(d) {
                            *x &= a & b & c & d;
                        }
                    }
                }
                match *quads.remainder() {
                    [a] => and1(acc, col(a)),
                    [a, b] => {
                        for ((x, a), b) in acc.iter_mut().zip(col(a)).zip(col(b)) {
                            *x &= a & b;
                        }
                    }
                    [a, b, c] => {
                        for (((x, a), b), c) in acc.iter_mut().zip(col(a)).zip(col(b)).zip(col(c)) {
                            *x &= a & b & c;
                        }
                    }
                    _ => {}
                }
            }
            Step::Two(a, b) => {
                for ((x, a), b) in acc.iter_mut().zip(col(a)).zip(col(b)) {
                    *x &= a | b;
                }
            }
            Step::Any(start, end) => {
                let mut any = scratch.pop().unwrap_or_default();
                any.clear();
                any.resize(acc.len(), 0);
                for &k in self.plan.columns.get(start..end).unwrap_or(&[]) {
                    for (y, a) in any.iter_mut().zip(col(k)) {
                        *y |= a;
                    }
                }
                and1(acc, &any);
                scratch.push(any);
            }
            Step::Mask(start, end) => {
                let v = self.run_mask(start, end, words, scratch, constant);
                and1(acc, &v);
                scratch.push(v);
            }
        }
    }

    /// A mask program over the words `words`: the row path's steps, on
    /// words. Buffers come from and go back to `scratch`.
    fn run_mask(
        &self,
        start: usize,
        end: usize,
        words: &Range<usize>,
        scratch: &mut Vec<Vec<u64>>,
        constant: &[Option<bool>],
    ) -> Vec<u64> {
        let n = words.len();
        let fresh = |fill: u64, scratch: &mut Vec<Vec<u64>>| {
            let mut v = scratch.pop().unwrap_or_default();
            v.clear();
            v.resize(n, fill);
            v
        };
        let mut stack: Vec<Vec<u64>> = Vec::new();
        for op in self.plan.ops.get(start..end).unwrap_or(&[]) {
            match *op {
                MaskOp::Column(k) => {
                    let mut v = fresh(0, scratch);
                    v.copy_from_slice(self.column(k, words, constant));
                    stack.push(v);
                }
                MaskOp::And(count) | MaskOp::Or(count) => {
                    let is_and = matches!(op, MaskOp::And(_));
                    let mut v = fresh(if is_and { !0 } else { 0 }, scratch);
                    for _ in 0..count.min(stack.len()) {
                        if let Some(operand) = stack.pop() {
                            for (x, y) in v.iter_mut().zip(&operand) {
                                if is_and {
                                    *x &= y;
                                } else {
                                    *x |= y;
                                }
                            }
                            scratch.push(operand);
                        }
                    }
                    stack.push(v);
                }
            }
        }
        // A malformed program (never produced by `compile`) fails closed.
        match (stack.pop(), stack.is_empty()) {
            (Some(v), true) => v,
            _ => fresh(0, scratch),
        }
    }

    /// The words `words` of column `k`; all zeros (nothing passes) for a
    /// column that does not exist, which the plan never refers to.
    fn column(&self, k: usize, words: &Range<usize>, constant: &[Option<bool>]) -> &[u64] {
        static ZEROS: [u64; BLOCK] = [0; BLOCK];
        static ONES: [u64; BLOCK] = [!0; BLOCK];
        match constant.get(k) {
            Some(Some(true)) => return ONES.get(..words.len()).unwrap_or(&[]),
            Some(Some(false)) => return ZEROS.get(..words.len()).unwrap_or(&[]),
            _ => {}
        }
        let base = k.saturating_mul(self.stride);
        self.columns
            .get(base.saturating_add(words.start)..base.saturating_add(words.end))
            .or_else(|| ZEROS.get(..words.len()))
            .unwrap_or(&[])
    }

    /// Whether the target at `index` passes: the row path, one target at a
    /// time from its column bits (`false` past the end: an unknown target
    /// is never allowed).
    pub fn is_allowed(&self, index: usize) -> bool {
        self.is_allowed_on(index, self.current_day())
    }

    /// [`is_allowed`](EncodedCatalog::is_allowed) as of `day`, as
    /// [`filter_on`](EncodedCatalog::filter_on) decides.
    pub fn is_allowed_on(&self, index: usize, day: Date) -> bool {
        if index >= self.len || !self.answers_for(day) || self.expiring.row_before(index, day) {
            return false;
        }
        let program = &self.program;
        let mut row = vec![0u64; program.word_count()];
        let (word, shift) = (index / 64, index % 64);
        for (k, &b) in self.bits.iter().enumerate() {
            let set = self
                .columns
                .get(k * self.stride + word)
                .is_some_and(|w| w >> shift & 1 == 1);
            if set {
                if let Some(w) = row.get_mut(b as usize / 64) {
                    *w |= 1 << (b % 64);
                }
            }
        }
        program.passes(&row)
    }

    /// Number of targets encoded.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the catalog was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of literal columns (the literal bits the policy reads).
    pub fn column_count(&self) -> usize {
        self.bits.len()
    }

    /// Bytes of column data one [`filter`](EncodedCatalog::filter) reads.
    pub fn column_bytes(&self) -> usize {
        self.columns.len() * 8
    }

    /// The compiled program of the policy the catalog was encoded for.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The date expiring evidence was read at: the one given to
    /// [`Policy::encode_catalog`], or the day it was encoded. An encoding
    /// made without a date does not outlive that day: from the next day on,
    /// a target whose evidence has expired since is no longer allowed by
    /// [`filter`](EncodedCatalog::filter) or
    /// [`is_allowed`](EncodedCatalog::is_allowed) (encode again to decide
    /// it afresh).
    pub fn date(&self) -> Date {
        self.day
    }
}

/// Binds one predicate to the catalog's column for its attribute (`None`:
/// no target declares it): the rows where the predicate is definitely true
/// into `yes`, definitely false into `no`, as of `day`. Reads values as
/// `Check::eval` does (see [`crate::eval::predicate_value`]): a value of
/// another kind than `kind`, or expired by `day`, is undeclared; `Known` is
/// never unknown. A few word operations a predicate, plus a bit for each
/// The column of target attribute `name`. A request attribute
/// (`request.…`) has none, even if a target built in code declares an
/// attribute of that name: a condition reads the request, never a target
/// (its columns are set for the whole catalog, see
/// [`EncodedCatalog::filter_for`]).
fn target_column<'a>(facts: &'a crate::catalog::facts::Facts, name: &str) -> Option<&'a Column> {
    if crate::schema::is_request_attribute(name) {
        None
    } else {
        facts.column(name)
    }
}

/// row a short row list names; no work for the other targets.
fn bind(
    column: Option<&Column>,
    kind: AttrKind,
    pred: &Predicate,
    day: Date,
    yes: &mut [u64],
    no: &mut [u64],
) {
    let Some(column) = column else {
        if matches!(pred, Predicate::Known(_)) {
            no.fill(!0);
        }
        return;
    };
    match (pred, kind) {
        (Predicate::Known(_), _) => {
            let declared = match kind {
                AttrKind::Flag => column.flags.as_ref().map(|c| &c.declared),
                AttrKind::Number => column.numbers.as_ref().map(|c| &c.declared),
                AttrKind::Text => column.texts.as_ref().map(|c| &c.declared),
            };
            if let Some(rows) = declared {
                rows.or_into(yes);
            }
            clear_rows(yes, column.expired_on(day));
            for (n, y) in no.iter_mut().zip(yes.iter()) {
                *n = !y;
            }
            return;
        }
        (Predicate::Flag(_), AttrKind::Flag) => {
            if let Some(flags) = &column.flags {
                flags.split(yes, no);
            }
        }
        (Predicate::NumCmp(_, op, n), AttrKind::Number) => {
            if let Some(numbers) = &column.numbers {
                numbers.compare(*op, *n, yes, no);
            }
        }
        (Predicate::NumIn(_, list), AttrKind::Number) => {
            if let Some(numbers) = &column.numbers {
                numbers.any_of(list, yes, no);
            }
        }
        (Predicate::TextIn(_, list), AttrKind::Text) => {
            if let Some(texts) = &column.texts {
                texts.any_of(list, yes, no);
            }
        }
        // A test of another kind than its attribute: unknown everywhere.
        _ => return,
    }
    for row in column.expired_on(day) {
        clear_rows(yes, [row]);
        clear_rows(no, [row]);
    }
}

/// Clears the bits at or past `len` in the last word.
fn mask_tail(words: &mut [u64], len: usize) {
    if let (Some(last), r @ 1..) = (words.last_mut(), len % 64) {
        *last &= (1u64 << r) - 1;
    }
}

fn and1(acc: &mut [u64], x: &[u64]) {
    for (a, x) in acc.iter_mut().zip(x) {
        *a &= x;
    }
}

/// A set of catalog positions, as a bitmap: the targets a filter allowed.
///
/// ```
/// use eligo::{Catalog, Target};
/// let policy = eligo::compile("require gdpr")?;
/// let catalog = Catalog::new((0..100).map(|i| {
///     Target::builder(format!("p{i}"), "m").attr("gdpr", i % 3 == 0).build()
/// }).collect())?;
/// let allowed = policy.encode_catalog(&catalog, None).filter();
/// assert_eq!(allowed.count(), 34);
/// assert!(allowed.contains(99) && !allowed.contains(98) && !allowed.contains(100));
/// assert_eq!(allowed.indices().take(3).collect::<Vec<_>>(), [0, 3, 6]);
/// assert_eq!(allowed.len(), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedSet {
    len: usize,
    words: Vec<u64>,
}

impl AllowedSet {
    /// A set over `len` positions from bitmap words; bits at or past `len`
    /// are dropped.
    pub(crate) fn from_words(mut words: Vec<u64>, len: usize) -> AllowedSet {
        words.truncate(len.div_ceil(64));
        if let (Some(last), r @ 1..) = (words.last_mut(), len % 64) {
            *last &= (1u64 << r) - 1;
        }
        AllowedSet { len, words }
    }

    /// Whether position `index` is in the set (`false` past the end).
    pub fn contains(&self, index: usize) -> bool {
        index < self.len
            && self
                .words
                .get(index / 64)
                .is_some_and(|w| w >> (index % 64) & 1 == 1)
    }

    /// The positions in the set, ascending (catalog order).
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let b = w.trailing_zeros() as usize;
                    w &= w - 1;
                    wi * 64 + b
                })
            })
        })
    }

    /// Number of positions in the set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Number of positions the set ranges over (the catalog's length).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set ranges over no positions at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bitmap: position `i` is bit `i % 64` of word `i / 64`.
    pub fn as_words(&self) -> &[u64] {
        &self.words
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;

    /// Targets that stress reading values from columns: every kind of value
    /// under one name, wildcard models, expiring evidence (also on
    /// `provider`), undeclared attributes, and enough rows for both row
    /// lists and bitmaps.
    fn catalog(n: usize) -> Catalog {
        let day = |d| Date::new(2026, 6, d).unwrap();
        let targets = (0..n)
            .map(|i| {
                let model = ["m", "*", "gpt-4o", "m2"][i % 4];
                let mut t = Target::builder(format!("p{}", i % 7), model)
                    .id(format!("t{i}"))
                    .build();
                match i % 5 {
                    0 => t.set("soc2", true),
                    1 => t.set("soc2", false),
                    2 => t.set("soc2", 3i64), // wrong kind: undeclared
                    3 => t.set_expiring("soc2", true, day(10 + (i % 3) as u8)),
                    _ => {}
                }
                match i % 6 {
                    0..=2 => t.set("retention_days", (i % 40) as i64 - 3),
                    3 => t.set_expiring("retention_days", 0i64, day(11)),
                    4 => t.set("retention_days", "none"),
                    _ => {}
                }
                match i % 3 {
                    0 => t.set("region", if i % 2 == 0 { "eu" } else { "us" }),
                    1 => t.set("region", true),
                    _ => {}
                }
                if i % 11 == 0 {
                    t.set_expiring("provider", "p0", day(11));
                }
                if i % 13 == 0 {
                    t.set("tier", (i % 4) as i64);
                }
                t
            })
            .collect();
        Catalog::new(targets).unwrap()
    }

    const POLICIES: &[&str] = &[
        "require soc2 or iso27001; require !trains_on_prompts; max_retention_days 0",
        "require known(soc2); require !known(gdpr) or known(retention_days)",
        "require retention_days > 5 or retention_days < 0; require retention_days != 7",
        "require retention_days >= 30 or retention_days == 2; require !(retention_days in [0, 1, 36])",
        r#"require region in ["eu", "uk"] or !(region in ["us"]); allow provider ["p0", "p3"]; deny model ["m2"]"#,
        r#"allow model ["gpt-4o", "m"]; require known(model) or known(provider)"#,
        "attribute tier: number; attribute ghost: flag; require tier <= 2 or ghost; require known(tier) or !ghost",
    ];

    #[test]
    fn columns_agree_with_rows_on_every_day() {
        for n in [0, 1, 63, 64, 65, 700, 5000] {
            let catalog = catalog(n);
            assert_eq!(catalog.len(), n);
            for src in POLICIES {
                let policy = crate::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
                for d in 9..=13 {
                    let date = Date::new(2026, 6, d);
                    let columns = policy.encode_catalog(&catalog, date);
                    let rows = EncodedCatalog::encode_by_rows_for_testing(
                        policy.program(),
                        &catalog,
                        date,
                    );
                    assert!(
                        columns.same_encoding_for_testing(&rows),
                        "{src}, {n} targets, day {d}"
                    );
                    assert_eq!(columns.filter(), rows.filter(), "{src}");
                    for (i, t) in catalog.targets().iter().enumerate() {
                        let want = policy
                            .program()
                            .passes(&policy.program().encode_at(t, date));
                        assert_eq!(columns.is_allowed(i), want, "{src}, target {i}, day {d}");
                    }
                }
            }
        }
    }
}
