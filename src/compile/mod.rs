//! Compilation: IR → [`Program`], a bitmask evaluator.
//!
//! Each predicate `p` owns two bits of a target's *literal bits*: bit `2p` is
//! set when `p` is definitely true, bit `2p + 1` when it is definitely false;
//! neither is set when it is unknown. A literal `p` is definitely true when bit
//! `2p` is set, and `!p` when bit `2p + 1` is.
//!
//! A requirement in negation normal form is definitely true exactly when the
//! *monotone* Boolean formula over those literal bits is true (an `and` is true
//! when all operands are, an `or` when one is). So it can be written as
//! clauses: the target passes when every clause shares a bit with the target's
//! literal bits. Negation needs no special case and unknowns can never make a
//! clause pass, which is what fail-closed means.
//!
//! Converting to clauses can blow up (`(a and b) or (c and d) or …`), so a
//! requirement whose clauses would exceed [`MAX_CLAUSES`] is compiled instead
//! into a small postfix *mask program* over the same bits, linear in its size.
//! There is no limit on the number of predicates: literal bits are a vector of
//! 64-bit words.

mod tri;

use smallvec::SmallVec;

pub use tri::Tri;

use crate::ir::{Formula, Ir, Lit, Predicate};
use crate::schema::{AttrKind, Field};

/// Most clauses one requirement may expand to before it is compiled as a
/// mask program instead.
pub const MAX_CLAUSES: usize = 64;

/// A target's literal bits for one program: two bits a predicate.
pub type Bits = SmallVec<[u64; 2]>;

/// A predicate bound to its attribute's name, kind and [`Field`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) attr: Box<str>,
    pub(crate) field: Field,
    pub(crate) kind: AttrKind,
    pub(crate) pred: Predicate,
}

/// One step of a mask program (postfix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// Push whether the literal bit is set.
    Bit(u32),
    /// Pop `n` values, push whether all are set.
    And(u32),
    /// Pop `n` values, push whether one is set.
    Or(u32),
}

/// How one requirement is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Code {
    /// Clauses `clauses[start..end]`: every one must meet the literal bits.
    Clauses { start: u32, end: u32 },
    /// Mask program `ops[start..end]`.
    Mask { start: u32, end: u32 },
}

/// A compiled policy: checks on target attributes and a bitmask evaluator.
///
/// Immutable, `Send + Sync`. Usually reached through [`crate::Policy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    checks: Vec<Check>,
    /// The checks of request attributes (`when` conditions), by position.
    request_checks: Vec<usize>,
    words: usize,
    /// Clause terms: (word index, mask). A clause meets the bits when one of
    /// its terms does.
    terms: Vec<(u32, u64)>,
    /// Clauses as ranges of `terms`.
    clauses: Vec<(u32, u32)>,
    /// Every clause is one term (its literal bits sit in one word) and
    /// there is no mask program, the common case: deciding a row is one
    /// AND-and-test a term.
    flat: bool,
    ops: Vec<Op>,
    codes: Vec<Code>,
    /// The requirements' formulas, kept for explanations.
    formulas: Vec<Formula>,
}

/// Compiles lowered IR into a [`Program`].
///
/// ```
/// let src = "require soc2 or iso27001";
/// let ast = eligo::syntax::parse(src)?;
/// let ir = eligo::ir::lower(&ast, &eligo::Schema::standard()).unwrap();
/// let program = eligo::compile::compile(&ir);
/// assert_eq!(program.clause_count(), 1);
/// let t = eligo::Target::builder("p", "m").attr("iso27001", true).build();
/// assert!(program.passes(&program.encode(&t)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compile(ir: &Ir) -> Program {
    let checks = ir
        .predicates
        .iter()
        .map(|p| {
            let def = ir.schema.at(p.attr());
            let attr: Box<str> = def.map_or("", |d| d.name()).into();
            let kind = def.map_or(AttrKind::Flag, |d| d.kind());
            Check {
                field: Field::of(&attr),
                attr,
                kind,
                pred: p.clone(),
            }
        })
        .collect::<Vec<_>>();
    let mut program = Program {
        words: (2 * checks.len()).div_ceil(64),
        request_checks: (0..checks.len())
            .filter(|&i| checks.get(i).is_some_and(|c| c.field == Field::Request))
            .collect(),
        checks,
        terms: Vec::new(),
        clauses: Vec::new(),
        flat: false,
        ops: Vec::new(),
        codes: Vec::new(),
        formulas: Vec::new(),
    };
    for req in &ir.requirements {
        let code = match to_clauses(&req.formula) {
            Some(clauses) => {
                let start = program.clauses.len() as u32;
                for clause in clauses {
                    let t0 = program.terms.len() as u32;
                    for bit in clause {
                        let (w, m) = ((bit / 64), 1u64 << (bit % 64));
                        let in_clause = program.terms.len() as u32 > t0;
                        match program.terms.last_mut() {
                            Some((lw, lm)) if in_clause && *lw == w => *lm |= m,
                            _ => program.terms.push((w, m)),
                        }
                    }
                    program.clauses.push((t0, program.terms.len() as u32));
                }
                Code::Clauses {
                    start,
                    end: program.clauses.len() as u32,
                }
            }
            None => {
                let start = program.ops.len() as u32;
                emit(&req.formula, &mut program.ops);
                Code::Mask {
                    start,
                    end: program.ops.len() as u32,
                }
            }
        };
        program.codes.push(code);
        program.formulas.push(req.formula.clone());
    }
    program.flat = program.ops.is_empty() && program.clauses.iter().all(|&(s, e)| e == s + 1);
    program
}

/// The literal bit of `lit`.
fn bit(lit: Lit) -> u32 {
    (2 * lit.pred + usize::from(!lit.positive)) as u32
}

/// Most literal bits (counted with repeats) the clauses of one `or` may
/// hold when expanding it copies literals into more than one clause, as
/// `(a and b) or x1 or … or xn` copies every `x` into two. Past it the
/// requirement is compiled as a mask program instead, so that the copies
/// cannot multiply the size of a long `or`. An `or` whose operands are each
/// one clause copies nothing and is not limited.
const MAX_COPIED_BITS: usize = 16 * MAX_CLAUSES;

/// Expands a formula into clauses of sorted literal bits, or `None` when
/// there would be more than [`MAX_CLAUSES`], or when expanding an `or` would
/// copy more than [`MAX_COPIED_BITS`] literal bits. Linear in the formula's
/// size at each level of nesting: no clause is copied unless the copies stay
/// within those bounds.
fn to_clauses(f: &Formula) -> Option<Vec<Vec<u32>>> {
    let clauses = match f {
        Formula::Lit(l) => vec![vec![bit(*l)]],
        Formula::And(xs) => {
            let mut all = Vec::new();
            for x in xs {
                all.extend(to_clauses(x)?);
                if all.len() > MAX_CLAUSES {
                    return None;
                }
            }
            all
        }
        Formula::Or(xs) => {
            let mut acc: Vec<Vec<u32>> = vec![Vec::new()];
            for x in xs {
                let mut cx = to_clauses(x)?;
                match (acc.as_mut_slice(), cx.as_mut_slice()) {
                    // One clause or'ed with one clause: append in place.
                    // Copying the growing clause instead made a long `or`
                    // quadratic.
                    ([a], [c]) => a.append(c),
                    _ => {
                        if acc.len().saturating_mul(cx.len()) > MAX_CLAUSES {
                            return None;
                        }
                        let bits = |cs: &[Vec<u32>]| cs.iter().map(Vec::len).sum::<usize>();
                        let total = acc
                            .len()
                            .saturating_mul(bits(&cx))
                            .saturating_add(cx.len().saturating_mul(bits(&acc)));
                        if total > MAX_COPIED_BITS {
                            return None;
                        }
                        acc = acc
                            .iter()
                            .flat_map(|a| {
                                cx.iter().map(move |c| {
                                    let mut merged = Vec::with_capacity(a.len() + c.len());
                                    merged.extend_from_slice(a);
                                    merged.extend_from_slice(c);
                                    merged
                                })
                            })
                            .collect();
                    }
                }
            }
            acc
        }
    };
    Some(simplify(clauses))
}

/// Sorts and dedups each clause, then drops clauses that contain another
/// (if the smaller one meets the bits, so does the larger).
fn simplify(mut clauses: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
    for c in &mut clauses {
        c.sort_unstable();
        c.dedup();
    }
    if clauses.len() < 2 {
        return clauses;
    }
    clauses.sort_by_key(Vec::len);
    clauses.dedup();
    let mut kept: Vec<Vec<u32>> = Vec::with_capacity(clauses.len());
    for c in clauses {
        if !kept.iter().any(|k| is_subset(k, &c)) {
            kept.push(c);
        }
    }
    kept
}

/// Whether every bit of sorted `small` is in sorted `large`: one merged walk
/// over both, so a check costs at most the two lengths.
fn is_subset(small: &[u32], large: &[u32]) -> bool {
    if small.len() > large.len() {
        return false;
    }
    let mut rest = large.iter();
    small
        .iter()
        .all(|b| rest.by_ref().find(|&&x| x >= *b) == Some(b))
}

/// Emits `f` as postfix mask-program steps.
fn emit(f: &Formula, ops: &mut Vec<Op>) {
    match f {
        Formula::Lit(l) => ops.push(Op::Bit(bit(*l))),
        Formula::And(xs) | Formula::Or(xs) => {
            for x in xs {
                emit(x, ops);
            }
            let n = xs.len() as u32;
            ops.push(if matches!(f, Formula::And(_)) {
                Op::And(n)
            } else {
                Op::Or(n)
            });
        }
    }
}

impl Program {
    /// Every predicate with the name and kind of the attribute it reads, in
    /// predicate order: what binding the program to a catalog's columns
    /// needs (see [`Check::eval`] for how a value is read).
    pub(crate) fn predicates(&self) -> impl Iterator<Item = (&str, AttrKind, &Predicate)> {
        self.checks.iter().map(|c| (&*c.attr, c.kind, &c.pred))
    }

    /// The checks, one a predicate, in predicate order.
    pub(crate) fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The positions of the checks of request attributes.
    pub(crate) fn request_checks(&self) -> &[usize] {
        &self.request_checks
    }

    /// Whether literal bits `bits` pass every requirement.
    #[inline]
    pub fn passes(&self, bits: &[u64]) -> bool {
        if self.flat {
            return self
                .terms
                .iter()
                .all(|&(w, m)| bits.get(w as usize).is_some_and(|b| b & m != 0));
        }
        let clauses_ok = self
            .clauses
            .iter()
            .all(|&(s, e)| self.clause_meets(s, e, bits));
        clauses_ok
            && self.codes.iter().all(|c| match *c {
                Code::Clauses { .. } => true,
                Code::Mask { start, end } => self.run_mask(start, end, bits),
            })
    }

    /// Whether requirement `index` passes with literal bits `bits`.
    pub fn requirement_passes(&self, index: usize, bits: &[u64]) -> bool {
        match self.codes.get(index) {
            Some(&Code::Clauses { start, end }) => self
                .clauses
                .get(start as usize..end as usize)
                .is_some_and(|cs| cs.iter().all(|&(s, e)| self.clause_meets(s, e, bits))),
            Some(&Code::Mask { start, end }) => self.run_mask(start, end, bits),
            None => false,
        }
    }

    fn clause_meets(&self, start: u32, end: u32, bits: &[u64]) -> bool {
        self.terms
            .get(start as usize..end as usize)
            .is_some_and(|ts| {
                ts.iter()
                    .any(|&(w, m)| bits.get(w as usize).is_some_and(|b| b & m != 0))
            })
    }

    fn run_mask(&self, start: u32, end: u32, bits: &[u64]) -> bool {
        let Some(ops) = self.ops.get(start as usize..end as usize) else {
            return false;
        };
        let mut stack: SmallVec<[bool; 16]> = SmallVec::new();
        for op in ops {
            match *op {
                Op::Bit(b) => stack.push(
                    bits.get(b as usize / 64)
                        .is_some_and(|w| w >> (b % 64) & 1 == 1),
                ),
                Op::And(n) | Op::Or(n) => {
                    let at = stack.len().saturating_sub(n as usize);
                    let operands = stack.get(at..).unwrap_or(&[]);
                    let v = if matches!(op, Op::And(_)) {
                        operands.iter().all(|&x| x)
                    } else {
                        operands.iter().any(|&x| x)
                    };
                    stack.truncate(at);
                    stack.push(v);
                }
            }
        }
        // A malformed program (never produced by `compile`) fails closed.
        stack.as_slice() == [true]
    }

    /// Every check as work on whole literal columns: each clause's literal
    /// bits (read off its terms, ascending), then each mask program's steps.
    pub(crate) fn column_steps(&self) -> impl Iterator<Item = ColumnStep<'_>> {
        let clauses = self.clauses.iter().map(|&(s, e)| {
            let terms = self.terms.get(s as usize..e as usize).unwrap_or(&[]);
            ColumnStep::Clause(terms.iter().flat_map(|&(w, m)| mask_bits(w, m)).collect())
        });
        let masks = self.codes.iter().filter_map(|c| match *c {
            Code::Mask { start, end } => Some(ColumnStep::Mask(
                self.ops.get(start as usize..end as usize).unwrap_or(&[]),
            )),
            Code::Clauses { .. } => None,
        });
        clauses.chain(masks)
    }

    /// The literal bits some check reads, ascending and without repeats.
    pub(crate) fn used_bits(&self) -> Vec<u32> {
        let mut bits: Vec<u32> = self
            .terms
            .iter()
            .flat_map(|&(w, m)| mask_bits(w, m))
            .collect();
        for op in &self.ops {
            if let Op::Bit(b) = *op {
                bits.push(b);
            }
        }
        bits.sort_unstable();
        bits.dedup();
        bits
    }

    /// Words of literal bits a target has for this program.
    pub(crate) fn word_count(&self) -> usize {
        self.words
    }

    /// The Kleene value of requirement `index` given predicate values.
    pub fn requirement_value(&self, index: usize, values: &[Tri]) -> Tri {
        self.formulas
            .get(index)
            .map_or(Tri::False, |f| formula_value(f, values))
    }

    /// The formula of requirement `index`.
    pub fn formula(&self, index: usize) -> Option<&Formula> {
        self.formulas.get(index)
    }

    /// Number of requirements.
    pub fn requirement_count(&self) -> usize {
        self.codes.len()
    }

    /// Number of predicates (each owns two literal bits).
    pub fn predicate_count(&self) -> usize {
        self.checks.len()
    }

    /// Number of clauses over all requirements compiled to clauses.
    pub fn clause_count(&self) -> usize {
        self.clauses.len()
    }

    /// Number of requirements compiled to mask programs.
    pub fn mask_program_count(&self) -> usize {
        self.codes
            .iter()
            .filter(|c| matches!(c, Code::Mask { .. }))
            .count()
    }

    /// The attribute predicate `pred` tests.
    pub fn predicate_attr(&self, pred: usize) -> Option<&str> {
        self.checks.get(pred).map(|c| &*c.attr)
    }

    /// Flips the polarity of one literal bit in the first clause: a
    /// deliberately wrong program, for tests that show the property tests
    /// catch a broken compiler.
    #[doc(hidden)]
    pub fn corrupt_for_testing(&mut self) -> bool {
        match self.terms.first_mut() {
            Some((_, m)) if *m != 0 => {
                let b = m.trailing_zeros();
                *m = (*m & !(1 << b)) | (1 << (b ^ 1));
                true
            }
            _ => false,
        }
    }
}

/// The literal bits set in `mask`, word `word` of a target's bits.
fn mask_bits(word: u32, mask: u64) -> impl Iterator<Item = u32> {
    (0..64u32)
        .filter(move |b| mask >> b & 1 == 1)
        .map(move |b| word * 64 + b)
}

/// One check of a [`Program`], seen as work on literal columns.
#[derive(Clone, Debug)]
pub(crate) enum ColumnStep<'a> {
    /// Passes where one of these literal bits is set.
    Clause(SmallVec<[u32; 4]>),
    /// A postfix mask program over literal bits.
    Mask(&'a [Op]),
}

/// Kleene evaluation of an NNF formula over predicate values. Its recursion
/// is bounded by the parser's depth limit.
pub(crate) fn formula_value(f: &Formula, values: &[Tri]) -> Tri {
    match f {
        Formula::Lit(l) => lit_value(*l, values),
        Formula::And(xs) => xs
            .iter()
            .fold(Tri::True, |acc, x| acc.and(formula_value(x, values))),
        Formula::Or(xs) => xs
            .iter()
            .fold(Tri::False, |acc, x| acc.or(formula_value(x, values))),
    }
}

/// The value of one literal.
pub(crate) fn lit_value(l: Lit, values: &[Tri]) -> Tri {
    let v = values.get(l.pred).copied().unwrap_or(Tri::Unknown);
    if l.positive { v } else { !v }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    fn program(src: &str) -> Program {
        let ast = crate::syntax::parse(src).unwrap();
        compile(&crate::ir::lower(&ast, &crate::Schema::standard()).unwrap())
    }

    #[test]
    fn distributes_small_formulas() {
        let p = program("require (soc2 and gdpr) or iso27001");
        assert_eq!(p.clause_count(), 2);
        assert_eq!(p.mask_program_count(), 0);
    }

    #[test]
    fn large_expansions_become_mask_programs() {
        // 2^8 = 256 clauses in CNF: over the limit.
        let src = "attribute a0: flag; attribute b0: flag; attribute a1: flag; attribute b1: flag;
            attribute a2: flag; attribute b2: flag; attribute a3: flag; attribute b3: flag;
            attribute a4: flag; attribute b4: flag; attribute a5: flag; attribute b5: flag;
            attribute a6: flag; attribute b6: flag; attribute a7: flag; attribute b7: flag;
            require (a0 and b0) or (a1 and b1) or (a2 and b2) or (a3 and b3) or (a4 and b4)
                 or (a5 and b5) or (a6 and b6) or (a7 and b7)";
        let p = program(src);
        assert_eq!(p.mask_program_count(), 1);
        let yes = Target::builder("p", "m")
            .attr("a5", true)
            .attr("b5", true)
            .build();
        let no = Target::builder("p", "m")
            .attr("a5", true)
            .attr("b6", true)
            .build();
        assert!(p.passes(&p.encode(&yes)));
        assert!(!p.passes(&p.encode(&no)));
    }

    #[test]
    fn subsets_of_sorted_clauses() {
        assert!(is_subset(&[], &[1]));
        assert!(is_subset(&[1, 4], &[0, 1, 3, 4]));
        assert!(!is_subset(&[1, 2], &[0, 1, 3, 4]));
        assert!(!is_subset(&[5], &[0, 1, 3, 4]));
        assert!(!is_subset(&[0, 1], &[1]));
    }

    #[test]
    fn subsumed_clauses_are_dropped() {
        let p = program("require soc2 and (soc2 or gdpr)");
        assert_eq!(p.clause_count(), 1);
    }

    #[test]
    fn more_than_64_predicates() {
        let mut src = String::new();
        for i in 0..100 {
            src.push_str(&format!("attribute x{i}: flag; require x{i};"));
        }
        let p = program(&src);
        assert_eq!(p.predicate_count(), 100);
        let mut b = Target::builder("p", "m");
        for i in 0..100 {
            b = b.attr(format!("x{i}"), true);
        }
        let mut t = b.build();
        assert!(p.passes(&p.encode(&t)));
        t.set("x99", false);
        assert!(!p.passes(&p.encode(&t)));
    }
}
