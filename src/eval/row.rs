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

/// A check's value on `target` on `day` (see [`day_for`]). A value of the
/// wrong kind counts as undeclared (catalog readers reject such values
/// before they get here).
#[inline(always)]
fn check_value(check: &Check, target: &Target, attrs: ById<'_>, day: Option<Date>) -> Tri {
    match check.field {
        Field::Provider => text_value(check, Some(target.provider())),
        Field::Model => text_value(check, (!target.is_wildcard()).then(|| target.model())),
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
    /// (`None`: today, read once for the whole target).
    pub fn encode_at(&self, target: &Target, date: Option<Date>) -> Bits {
        let day = day_for(target, date);
        if self.word_count() == 1 {
            return Bits::from_elem(self.encode_word(target, day), 1);
        }
        let mut bits: Bits = Bits::from_elem(0, self.word_count());
        let attrs = target.by_id();
        for (p, check) in self.checks().iter().enumerate() {
            let b = match check_value(check, target, attrs, day) {
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

    /// The literal bits of a program of at most 32 predicates (one word),
    /// read on `day` (see [`day_for`]).
    fn encode_word(&self, target: &Target, day: Option<Date>) -> u64 {
        let mut word = 0u64;
        let attrs = target.by_id();
        for (p, check) in self.checks().iter().enumerate().take(32) {
            word |= match check_value(check, target, attrs, day) {
                Tri::True => 1 << (2 * p),
                Tri::False => 2 << (2 * p),
                Tri::Unknown => 0,
            };
        }
        word
    }

    /// Whether `target` passes, read on `date` (`None`: today, read once).
    pub(crate) fn passes_target(&self, target: &Target, date: Option<Date>) -> bool {
        let day = day_for(target, date);
        if self.word_count() == 1 {
            self.passes(&[self.encode_word(target, day)])
        } else {
            self.passes(&self.encode_at(target, day))
        }
    }

    /// The value of every predicate on `target`, in predicate order
    /// (expiring evidence read as of `date`, or today when `None`).
    pub fn predicate_values(&self, target: &Target, date: Option<Date>) -> Vec<Tri> {
        let day = day_for(target, date);
        let attrs = target.by_id();
        self.checks()
            .iter()
            .map(|c| check_value(c, target, attrs, day))
            .collect()
    }
}
