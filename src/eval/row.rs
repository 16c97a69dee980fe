//! The row path: one target's literal bits, read straight from its
//! attributes.
//!
//! Each compiled check carries its attribute's [`Field`](crate::schema)
//! (provider, model, or a declared attribute with its name's key), so
//! reading a value is a binary search over the target's attribute keys, no
//! hashing of names. The bits then go to [`Program::passes`], the same
//! clauses the bulk path runs as columns.

use crate::compile::{Bits, Check, Program, Tri};
use crate::ir::Predicate;
use crate::request::RequestAttrs;
use crate::schema::{AttrKind, Field};
use crate::target::{ById, Target, Value, ValueRef};
use crate::time::Date;

/// The Kleene value of `pred` for an attribute value (`None`: undeclared).
/// `Known` is never unknown; every other test is unknown on an undeclared
/// attribute or a value of another kind.
///
/// ```
/// use eligo::{Tri, ValueRef};
/// use eligo::ir::Predicate;
/// use eligo::eval::predicate_value;
/// assert_eq!(predicate_value(&Predicate::Flag(0), Some(ValueRef::Flag(true))), Tri::True);
/// assert_eq!(predicate_value(&Predicate::Flag(0), None), Tri::Unknown);
/// assert_eq!(predicate_value(&Predicate::Known(0), None), Tri::False);
/// ```
pub fn predicate_value(pred: &Predicate, value: Option<ValueRef<'_>>) -> Tri {
    match (pred, value) {
        (Predicate::Known(_), v) => Tri::from_bool(v.is_some()),
        (_, None) => Tri::Unknown,
        (Predicate::Flag(_), Some(ValueRef::Flag(b))) => Tri::from_bool(b),
        (Predicate::NumCmp(_, op, n), Some(ValueRef::Number(v))) => Tri::from_bool(op.holds(&v, n)),
        (Predicate::NumIn(_, ns), Some(ValueRef::Number(v))) => {
            Tri::from_bool(ns.binary_search(&v).is_ok())
        }
        (Predicate::TextIn(_, ss), Some(ValueRef::Text(v))) => {
            Tri::from_bool(ss.binary_search_by(|s| s.as_str().cmp(v)).is_ok())
        }
        _ => Tri::Unknown,
    }
}

/// The one day a row is read on: `date` if given; else today, read once,
/// for a target with expiring evidence; else none is needed.
pub(crate) fn day_for(target: &Target, date: Option<Date>) -> Option<Date> {
    date.or_else(|| target.has_expiring_evidence().then(Date::today))
}

/// One target as a decision reads it.
struct Row<'a> {
    target: &'a Target,
    attrs: ById<'a>,
    /// The model it serves: its own, or for a target serving every model
    /// the model requested (`None`: unknown).
    model: Option<&'a str>,
    /// The day evidence is read on (see [`day_for`]).
    day: Option<Date>,
}

impl<'a> Row<'a> {
    fn new(target: &'a Target, serving: Option<&'a str>, date: Option<Date>) -> Row<'a> {
        Row {
            target,
            attrs: target.by_id(),
            model: if target.is_wildcard() {
                serving
            } else {
                Some(target.model())
            },
            day: day_for(target, date),
        }
    }
}

/// A check's value on a row. A value of the
/// wrong kind counts as undeclared (catalog readers reject such values
/// before they get here).
#[inline(always)]
fn check_value(check: &Check, row: &Row<'_>) -> Tri {
    let (target, attrs, day) = (row.target, row.attrs, row.day);
    match check.field {
        Field::Provider => text_value(check, Some(target.provider())),
        Field::Model => text_value(check, row.model),
        // Facts about the request, never about a target: see
        // `Program::request_bits`.
        Field::Request => Tri::Unknown,
        Field::Attr(id) => match attrs.get(id, &check.attr, day) {
            Some(Value::Text(s)) => text_value(check, Some(s)),
            Some(Value::Flag(b)) if check.kind == AttrKind::Flag => match check.pred {
                Predicate::Flag(_) => Tri::from_bool(*b),
                _ => predicate_value(&check.pred, Some(ValueRef::Flag(*b))),
            },
            Some(Value::Number(n)) if check.kind == AttrKind::Number => match &check.pred {
                Predicate::NumCmp(_, op, m) => Tri::from_bool(op.holds(n, m)),
                pred => predicate_value(pred, Some(ValueRef::Number(*n))),
            },
            _ => predicate_value(&check.pred, None),
        },
    }
}

/// A check's value on a text (`None`: undeclared).
fn text_value(check: &Check, text: Option<&str>) -> Tri {
    let text = text.filter(|_| check.kind == AttrKind::Text);
    predicate_value(&check.pred, text.map(ValueRef::Text))
}

impl Program {
    /// Computes a target's literal bits for this program, reading expiring
    /// evidence as of today (UTC).
    ///
    /// ```
    /// let policy = eligo::compile("require soc2")?;
    /// let program = policy.program();
    /// let t = eligo::Target::builder("p", "m").attr("soc2", true).build();
    /// assert!(program.passes(&program.encode(&t)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encode(&self, target: &Target) -> Bits {
        self.encode_at(target, None)
    }

    /// Computes a target's literal bits with expiring evidence read as of
    /// `date`.
    pub fn encode_on(&self, target: &Target, date: Date) -> Bits {
        self.encode_at(target, Some(date))
    }

    /// [`Program::encode`] or [`Program::encode_on`], as `date` says
    /// (`None`: today, read once for the whole target), for a request that
    /// gives no request attributes: `known(request.x)` is false and every
    /// other test of a request attribute unknown.
    pub fn encode_at(&self, target: &Target, date: Option<Date>) -> Bits {
        self.encode_for(target, &RequestAttrs::new(), date)
    }

    /// A target's literal bits for a request with attributes `attrs`: the
    /// target's own and the request's ([`Program::request_bits`]).
    pub fn encode_for(&self, target: &Target, attrs: &RequestAttrs, date: Option<Date>) -> Bits {
        let mut bits = self.encode_row(&Row::new(target, None, date));
        self.add_request(&mut bits, attrs);
        bits
    }

    /// ORs the request's literal bits into `bits`.
    fn add_request(&self, bits: &mut [u64], attrs: &RequestAttrs) {
        if !self.request_checks().is_empty() {
            for (w, r) in bits.iter_mut().zip(self.request_bits(attrs)) {
                *w |= r;
            }
        }
    }

    /// The literal bits of `target` serving a request for `model`, without
    /// the request's own bits (the caller adds them once a request): a
    /// target serving every model is read as serving that one, for every
    /// check.
    pub(crate) fn encode_serving(
        &self,
        target: &Target,
        model: Option<&str>,
        date: Option<Date>,
    ) -> Bits {
        self.encode_row(&Row::new(target, model, date))
    }

    fn encode_row(&self, row: &Row<'_>) -> Bits {
        if self.word_count() == 1 {
            return Bits::from_elem(self.encode_word(row), 1);
        }
        let mut bits: Bits = Bits::from_elem(0, self.word_count());
        for (p, check) in self.checks().iter().enumerate() {
            let b = match check_value(check, row) {
                Tri::True => 2 * p,
                Tri::False => 2 * p + 1,
                Tri::Unknown => continue,
            };
            if let Some(w) = bits.get_mut(b / 64) {
                *w |= 1 << (b % 64);
            }
        }
        bits
    }

    /// The literal bits of a program of at most 32 predicates (one word).
    fn encode_word(&self, row: &Row<'_>) -> u64 {
        let mut word = 0u64;
        for (p, check) in self.checks().iter().enumerate().take(32) {
            word |= match check_value(check, row) {
                Tri::True => 1 << (2 * p),
                Tri::False => 2 << (2 * p),
                Tri::Unknown => 0,
            };
        }
        word
    }

    /// Whether `target` passes for a request whose literal bits are
    /// `request` ([`Program::request_bits`], worked out once by the caller
    /// for all its targets), read on `date` (`None`: today, read once).
    pub(crate) fn passes_target(
        &self,
        target: &Target,
        request: &[u64],
        date: Option<Date>,
    ) -> bool {
        let row = Row::new(target, None, date);
        if self.word_count() == 1 {
            let word = self.encode_word(&row) | request.first().copied().unwrap_or(0);
            self.passes(&[word])
        } else {
            let mut bits = self.encode_row(&row);
            for (w, r) in bits.iter_mut().zip(request) {
                *w |= r;
            }
            self.passes(&bits)
        }
    }

    /// The literal bits of the request predicates (those of `when`
    /// conditions) for the request `attrs`: worked out once a request and
    /// ORed into every target's bits. An attribute not given, or given with
    /// a value of the wrong kind, sets no bit: unknown.
    ///
    /// ```
    /// use eligo::{RequestAttrs, Target};
    /// let policy = eligo::compile(r#"when request.data_class == "phi" { require hipaa; }"#)?;
    /// let p = policy.program();
    /// let t = Target::new("p", "m"); // hipaa undeclared
    /// let public = p.request_bits(&RequestAttrs::new().with("data_class", "public"));
    /// let phi = p.request_bits(&RequestAttrs::new().with("data_class", "phi"));
    /// let none = p.request_bits(&RequestAttrs::new());
    /// let with = |r: &[u64]| {
    ///     let mut b = p.encode(&t);
    ///     b.iter_mut().zip(r).for_each(|(w, r)| *w |= r);
    ///     p.passes(&b)
    /// };
    /// assert!(with(&public));
    /// assert!(!with(&phi));
    /// assert!(!with(&none)); // not given: the block applies
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_bits(&self, attrs: &RequestAttrs) -> Bits {
        let mut bits: Bits = Bits::from_elem(0, self.word_count());
        for &p in self.request_checks() {
            let Some(check) = self.checks().get(p) else {
                continue;
            };
            let value = attrs.get(&check.attr).filter(|v| v.kind() == check.kind);
            let b = match predicate_value(&check.pred, value) {
                Tri::True => 2 * p,
                Tri::False => 2 * p + 1,
                Tri::Unknown => continue,
            };
            if let Some(w) = bits.get_mut(b / 64) {
                *w |= 1 << (b % 64);
            }
        }
        bits
    }

    /// The request attributes the program's conditions read
    /// (`request.data_class`, …), each once, in predicate order.
    pub fn request_attributes(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.checks()
            .iter()
            .filter(|c| c.field == Field::Request && seen.insert(&*c.attr))
            .map(|c| &*c.attr)
            .collect()
    }

    /// Whether the program reads any request attribute.
    pub fn reads_request(&self) -> bool {
        !self.request_checks().is_empty()
    }

    /// Each predicate's value from literal bits: what the bits of a row say
    /// (true, false, or neither: unknown).
    pub(crate) fn values_of_bits(&self, bits: &[u64]) -> Vec<Tri> {
        let bit = |b: usize| bits.get(b / 64).is_some_and(|w| w >> (b % 64) & 1 == 1);
        (0..self.checks().len())
            .map(|p| match (bit(2 * p), bit(2 * p + 1)) {
                (true, _) => Tri::True,
                (_, true) => Tri::False,
                _ => Tri::Unknown,
            })
            .collect()
    }

    /// [`Program::predicate_values`] for a request with attributes `attrs`.
    pub fn predicate_values_for(
        &self,
        target: &Target,
        attrs: &RequestAttrs,
        date: Option<Date>,
    ) -> Vec<Tri> {
        self.values_of_bits(&self.encode_for(target, attrs, date))
    }

    /// The value of every predicate on `target`, in predicate order
    /// (expiring evidence read as of `date`, or today when `None`), for a
    /// request that gives no request attributes.
    pub fn predicate_values(&self, target: &Target, date: Option<Date>) -> Vec<Tri> {
        self.values_of_bits(&self.encode_at(target, date))
    }
}
