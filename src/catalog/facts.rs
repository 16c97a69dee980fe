//! The catalog's facts as columns, built once with the catalog and shared by
//! every policy.
//!
//! One [`Column`] an attribute name (`provider` and `model` included), with
//! one part a value kind, since a value of the wrong kind for a check reads
//! as undeclared:
//!
//! - flags: the rows that declare a flag, and the rows whose flag is `true`;
//! - numbers: the distinct values, ascending, with the rows holding each, so
//!   that `<`, `<=`, `>`, `>=`, `==`, `!=` are a binary search and an OR of
//!   the rows on one side of it;
//! - text: a dictionary from each distinct string to the rows holding it.
//!
//! A set of rows is a list of row numbers while that is smaller than a
//! bitmap over the catalog, and a bitmap after (as Roaring does), so the
//! table costs at most a word a declared value, never a bitmap for every
//! distinct value. A wildcard target's `model` is not in the table: it is
//! unknown until a request names the model.
//!
//! Expiring evidence is kept apart: per attribute, the rows whose value
//! expires, by expiry date. Reading the table on a day drops the rows whose
//! evidence expired before that day, so the date is a parameter of every
//! read, never part of the table.
//!
//! [`crate::eval::EncodedCatalog`] joins these columns with a policy's
//! predicates.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use crate::ast::CmpOp;
use crate::target::{Target, ValueRef};
use crate::time::Date;

/// A set of catalog rows: a list of row numbers, ascending, or a bitmap
/// (row `i` is bit `i % 64` of word `i / 64`), whichever is smaller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rows {
    /// Few rows: their numbers.
    List(Vec<usize>),
    /// Many rows: a bitmap over the catalog.
    Bitmap(Vec<u64>),
}

impl Rows {
    /// The set of `rows` (ascending) in a catalog of `len` rows.
    fn new(rows: Vec<usize>, len: usize) -> Rows {
        let stride = len.div_ceil(64);
        // A listed row costs a word; a bitmap costs `stride` words.
        if rows.len() < stride {
            return Rows::List(rows);
        }
        let mut words = vec![0u64; stride];
        set_rows(&mut words, &rows);
        Rows::Bitmap(words)
    }

    /// Adds these rows to the bitmap `out`.
    pub(crate) fn or_into(&self, out: &mut [u64]) {
        match self {
            Rows::List(rows) => set_rows(out, rows),
            Rows::Bitmap(words) => {
                for (o, w) in out.iter_mut().zip(words) {
                    *o |= w;
                }
            }
        }
    }
}

/// Sets the bits of `rows` in the bitmap `out` (rows past its end are
/// ignored).
pub(crate) fn set_rows(out: &mut [u64], rows: &[usize]) {
    for &r in rows {
        if let Some(w) = out.get_mut(r / 64) {
            *w |= 1 << (r % 64);
        }
    }
}

/// Clears the bits of `rows` in the bitmap `out`.
pub(crate) fn clear_rows(out: &mut [u64], rows: impl IntoIterator<Item = usize>) {
    for r in rows {
        if let Some(w) = out.get_mut(r / 64) {
            *w &= !(1 << (r % 64));
        }
    }
}

/// `out &= !other`, word by word.
fn and_not(out: &mut [u64], other: &[u64]) {
    for (o, x) in out.iter_mut().zip(other) {
        *o &= !x;
    }
}

/// The flags one attribute declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Flags {
    /// Rows declaring a flag.
    pub(crate) declared: Rows,
    /// Rows whose flag is `true`.
    pub(crate) truth: Rows,
}

impl Flags {
    /// Rows whose flag is `true` into `yes`, `false` into `no`.
    pub(crate) fn split(&self, yes: &mut [u64], no: &mut [u64]) {
        self.truth.or_into(yes);
        self.declared.or_into(no);
        and_not(no, yes);
    }
}

/// The numbers one attribute declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Numbers {
    /// Rows declaring a number.
    pub(crate) declared: Rows,
    /// The distinct values, ascending.
    values: Vec<i64>,
    /// `rows[k]`: the rows holding `values[k]`.
    rows: Vec<Rows>,
}

impl Numbers {
    /// Rows where `value op n` holds into `yes`, where it fails into `no`.
    pub(crate) fn compare(&self, op: CmpOp, n: i64, yes: &mut [u64], no: &mut [u64]) {
        let below = self.values.partition_point(|&v| v < n);
        let upto = self.values.partition_point(|&v| v <= n);
        let all = self.values.len();
        match op {
            CmpOp::Lt => self.split(0..below, yes, no),
            CmpOp::Le => self.split(0..upto, yes, no),
            CmpOp::Gt => self.split(upto..all, yes, no),
            CmpOp::Ge => self.split(below..all, yes, no),
            CmpOp::Eq => self.split(below..upto, yes, no),
            CmpOp::Ne => self.split(below..upto, no, yes),
        }
    }

    /// Rows holding a value of `values[range]` into `inside`, the other
    /// declared rows into `outside`. ORs the smaller side's rows and takes
    /// the other as the rest of the declared rows.
    fn split(&self, range: Range<usize>, inside: &mut [u64], outside: &mut [u64]) {
        let (start, end) = (range.start, range.end);
        if 2 * (end - start) <= self.values.len() {
            self.or_values(start..end, inside);
            self.declared.or_into(outside);
            and_not(outside, inside);
        } else {
            self.or_values(0..start, outside);
            self.or_values(end..self.values.len(), outside);
            self.declared.or_into(inside);
            and_not(inside, outside);
        }
    }

    fn or_values(&self, range: Range<usize>, out: &mut [u64]) {
        for rows in self.rows.get(range).unwrap_or(&[]) {
            rows.or_into(out);
        }
    }

    /// Rows whose value is one of `list` (ascending) into `yes`, the other
    /// declared rows into `no`.
    pub(crate) fn any_of(&self, list: &[i64], yes: &mut [u64], no: &mut [u64]) {
        for n in list {
            if let Ok(k) = self.values.binary_search(n) {
                self.or_values(k..k + 1, yes);
            }
        }
        self.declared.or_into(no);
        and_not(no, yes);
    }
}

/// The strings one attribute declares, dictionary-encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Texts {
    /// Rows declaring a string.
    pub(crate) declared: Rows,
    /// Each distinct string's position in `rows`.
    dictionary: HashMap<Box<str>, usize>,
    /// `rows[dictionary[s]]`: the rows holding `s`.
    rows: Vec<Rows>,
}

impl Texts {
    /// Rows whose string is one of `list` into `yes`, the other declared
    /// rows into `no`.
    pub(crate) fn any_of(&self, list: &[String], yes: &mut [u64], no: &mut [u64]) {
        for s in list {
            if let Some(rows) = self
                .dictionary
                .get(s.as_str())
                .and_then(|&k| self.rows.get(k))
            {
                rows.or_into(yes);
            }
        }
        self.declared.or_into(no);
        and_not(no, yes);
    }
}

/// Everything the catalog declares for one attribute name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Column {
    /// Rows whose value is a flag.
    pub(crate) flags: Option<Flags>,
    /// Rows whose value is a number.
    pub(crate) numbers: Option<Numbers>,
    /// Rows whose value is a string.
    pub(crate) texts: Option<Texts>,
    /// Rows whose value expires: (expiry, row), by date.
    expiring: Vec<(Date, usize)>,
}

impl Column {
    /// Rows whose value has expired on `day` (evidence is valid through its
    /// expiry date): they read as undeclared.
    pub(crate) fn expired_on(&self, day: Date) -> impl Iterator<Item = usize> + '_ {
        self.expired_before(day).iter().map(|&(_, row)| row)
    }

    /// Rows whose value is still valid on `day` but expires later, with
    /// their expiry dates, ascending.
    pub(crate) fn expiring_from(&self, day: Date) -> &[(Date, usize)] {
        let n = self.expiring.partition_point(|&(expiry, _)| expiry < day);
        self.expiring.get(n..).unwrap_or(&[])
    }

    /// Rows whose value expired before `day`, with their expiry dates.
    fn expired_before(&self, day: Date) -> &[(Date, usize)] {
        let n = self.expiring.partition_point(|&(expiry, _)| expiry < day);
        self.expiring.get(..n).unwrap_or(&[])
    }
}

/// The facts of a whole catalog, one [`Column`] an attribute name. Built
/// once by [`Catalog`](crate::Catalog) and read by every policy's encoding.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    len: usize,
    columns: HashMap<Box<str>, Column>,
}

impl fmt::Debug for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Facts")
            .field("len", &self.len)
            .field("columns", &self.columns.len())
            .finish()
    }
}

/// A column while it is built: the rows of each value, in row order.
#[derive(Default)]
struct ColumnBuilder<'a> {
    flags: Vec<usize>,
    truths: Vec<usize>,
    numbers: Vec<(i64, usize)>,
    texts: Vec<usize>,
    text_ids: HashMap<&'a str, usize>,
    text_rows: Vec<Vec<usize>>,
    expiring: Vec<(Date, usize)>,
}

impl ColumnBuilder<'_> {
    fn finish(self, len: usize) -> Column {
        let flags = (!self.flags.is_empty()).then(|| Flags {
            declared: Rows::new(self.flags, len),
            truth: Rows::new(self.truths, len),
        });
        let numbers = (!self.numbers.is_empty()).then(|| {
            let declared = Rows::new(self.numbers.iter().map(|&(_, r)| r).collect(), len);
            let mut pairs = self.numbers;
            pairs.sort_unstable();
            let mut values = Vec::new();
            let mut rows = Vec::new();
            for group in pairs.chunk_by(|a, b| a.0 == b.0) {
                if let Some(&(v, _)) = group.first() {
                    values.push(v);
                    rows.push(Rows::new(group.iter().map(|&(_, r)| r).collect(), len));
                }
            }
            Numbers {
                declared,
                values,
                rows,
            }
        });
        let texts = (!self.texts.is_empty()).then(|| Texts {
            declared: Rows::new(self.texts, len),
            dictionary: self
                .text_ids
                .into_iter()
                .map(|(s, k)| (Box::from(s), k))
                .collect(),
            rows: self
                .text_rows
                .into_iter()
                .map(|rows| Rows::new(rows, len))
                .collect(),
        });
        let mut expiring = self.expiring;
        expiring.sort_unstable();
        Column {
            flags,
            numbers,
            texts,
            expiring,
        }
    }
}

impl Facts {
    /// The facts of `targets`, in order: the values each declares (as
    /// [`Target::get_on`] reads them), and the expiry of each.
    pub(crate) fn new(targets: &[Target]) -> Facts {
        let len = targets.len();
        let mut builders: Vec<(&str, ColumnBuilder<'_>)> = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        // The column the `j`-th value of the previous target went to:
        // targets mostly declare attributes in the same order, and a
        // comparison with that column's name costs less than hashing.
        let mut hints: Vec<usize> = Vec::new();
        for (row, t) in targets.iter().enumerate() {
            let dated = t.has_expiring_evidence();
            let mut j = 0;
            let mut add = |name, value| {
                let hinted = hints
                    .get(j)
                    .copied()
                    .filter(|&k| builders.get(k).is_some_and(|(n, _)| *n == name));
                let k = hinted.unwrap_or_else(|| {
                    *by_name.entry(name).or_insert_with(|| {
                        builders.push((name, ColumnBuilder::default()));
                        builders.len() - 1
                    })
                });
                match hints.get_mut(j) {
                    Some(h) => *h = k,
                    None => hints.push(k),
                }
                j += 1;
                let Some((_, b)) = builders.get_mut(k) else {
                    return;
                };
                match value {
                    ValueRef::Flag(x) => {
                        b.flags.push(row);
                        if x {
                            b.truths.push(row);
                        }
                    }
                    ValueRef::Number(n) => b.numbers.push((n, row)),
                    ValueRef::Text(s) => {
                        b.texts.push(row);
                        let next = b.text_rows.len();
                        let k = *b.text_ids.entry(s).or_insert(next);
                        if k == next {
                            b.text_rows.push(Vec::new());
                        }
                        if let Some(rows) = b.text_rows.get_mut(k) {
                            rows.push(row);
                        }
                    }
                }
                if let Some(expiry) = dated.then(|| t.expires(name)).flatten() {
                    b.expiring.push((expiry, row));
                }
            };
            // As `Target::get` reads them: `provider` and `model` from the
            // target's fields (a wildcard's model unknown), never from its
            // attribute map.
            add("provider", ValueRef::Text(t.provider()));
            if !t.is_wildcard() {
                add("model", ValueRef::Text(t.model()));
            }
            for (name, value) in t.attributes() {
                if name != "provider" && name != "model" {
                    add(name.as_str(), value.as_ref());
                }
            }
        }
        Facts {
            len,
            columns: builders
                .into_iter()
                .map(|(name, b)| (Box::from(name), b.finish(len)))
                .collect(),
        }
    }

    /// Number of rows (targets).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The column of attribute `name`, if some target declares it.
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(rows: &[usize], len: usize) -> Vec<u64> {
        let mut v = vec![0u64; len.div_ceil(64)];
        set_rows(&mut v, rows);
        v
    }

    fn read(rows: &Rows, len: usize) -> Vec<u64> {
        let mut v = vec![0u64; len.div_ceil(64)];
        rows.or_into(&mut v);
        v
    }

    #[test]
    fn rows_are_a_list_until_a_bitmap_is_smaller() {
        assert!(matches!(Rows::new(vec![1, 2], 200), Rows::List(_)));
        assert!(matches!(Rows::new(vec![1, 2, 3, 4], 200), Rows::Bitmap(_)));
        for rows in [vec![1, 2], vec![0, 64, 65, 199]] {
            assert_eq!(read(&Rows::new(rows.clone(), 200), 200), bits(&rows, 200));
        }
    }

    #[test]
    fn values_of_each_kind_go_to_their_own_part() {
        let targets = vec![
            Target::builder("a", "m").attr("x", true).build(),
            Target::builder("b", "m").attr("x", 3).build(),
            Target::builder("c", "m").attr("x", "three").build(),
            Target::builder("d", "m").attr("x", false).build(),
        ];
        let facts = Facts::new(&targets);
        let x = facts.column("x").unwrap();
        let flags = x.flags.as_ref().unwrap();
        let (mut yes, mut no) = (vec![0u64], vec![0u64]);
        flags.split(&mut yes, &mut no);
        assert_eq!((yes[0], no[0]), (0b0001, 0b1000));
        let (mut yes, mut no) = (vec![0u64], vec![0u64]);
        x.numbers
            .as_ref()
            .unwrap()
            .compare(CmpOp::Ge, 3, &mut yes, &mut no);
        assert_eq!((yes[0], no[0]), (0b0010, 0));
        assert_eq!(read(&x.texts.as_ref().unwrap().declared, 4), [0b0100]);
        assert!(facts.column("y").is_none());
    }

    #[test]
    fn a_wildcard_model_is_not_declared() {
        let targets = vec![Target::new("a", "*"), Target::new("b", "m")];
        let facts = Facts::new(&targets);
        let model = facts.column("model").unwrap().texts.as_ref().unwrap();
        assert_eq!(read(&model.declared, 2), [0b10]);
        let (mut yes, mut no) = (vec![0u64], vec![0u64]);
        model.any_of(&["*".to_string()], &mut yes, &mut no);
        assert_eq!((yes[0], no[0]), (0, 0b10));
        let provider = facts.column("provider").unwrap().texts.as_ref().unwrap();
        assert_eq!(read(&provider.declared, 2), [0b11]);
    }

    #[test]
    fn number_comparisons_split_the_declared_rows() {
        let values = [5i64, -1, 5, 30, 0, i64::MAX, i64::MIN];
        let mut targets: Vec<Target> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Target::builder(format!("p{i}"), "m").attr("n", v).build())
            .collect();
        targets.push(Target::new("undeclared", "m"));
        let facts = Facts::new(&targets);
        let numbers = facts.column("n").unwrap().numbers.as_ref().unwrap();
        let ops = [
            CmpOp::Lt,
            CmpOp::Le,
            CmpOp::Gt,
            CmpOp::Ge,
            CmpOp::Eq,
            CmpOp::Ne,
        ];
        for op in ops {
            for n in [i64::MIN, -2, -1, 0, 4, 5, 6, 30, 31, i64::MAX] {
                let (mut yes, mut no) = (vec![0u64], vec![0u64]);
                numbers.compare(op, n, &mut yes, &mut no);
                let want: Vec<usize> = (0..values.len())
                    .filter(|&i| op.holds(&values[i], &n))
                    .collect();
                let fail: Vec<usize> = (0..values.len())
                    .filter(|&i| !op.holds(&values[i], &n))
                    .collect();
                assert_eq!(yes, bits(&want, 8), "{op:?} {n}");
                assert_eq!(no, bits(&fail, 8), "{op:?} {n}");
            }
        }
    }

    #[test]
    fn evidence_is_valid_through_its_expiry_day() {
        let expiry = Date::new(2026, 6, 30).unwrap();
        let targets = vec![
            Target::builder("a", "m")
                .expiring("soc2", true, expiry)
                .build(),
            Target::builder("b", "m").attr("soc2", true).build(),
        ];
        let facts = Facts::new(&targets);
        let soc2 = facts.column("soc2").unwrap();
        let on = |d| soc2.expired_on(d).collect::<Vec<_>>();
        assert!(on(expiry).is_empty());
        assert_eq!(on(Date::new(2026, 7, 1).unwrap()), [0]);
        assert_eq!(soc2.expiring_from(expiry), [(expiry, 0)]);
        assert!(
            soc2.expiring_from(Date::new(2026, 7, 1).unwrap())
                .is_empty()
        );
    }
}
