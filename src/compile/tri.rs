//! Three-valued (Kleene) logic.

use std::fmt;

/// A Kleene truth value: true, false, or unknown (an undeclared attribute).
///
/// | `a`     | `b`     | `a.and(b)` | `a.or(b)` |
/// |---------|---------|------------|-----------|
/// | true    | true    | true       | true      |
/// | true    | unknown | unknown    | true      |
/// | true    | false   | false      | true      |
/// | unknown | unknown | unknown    | unknown   |
/// | unknown | false   | false      | unknown   |
/// | false   | false   | false      | false     |
///
/// (`and` and `or` are symmetric.) `!true = false`, `!false = true`,
/// `!unknown = unknown`. So `false and x = false` and `true or x = true`
/// whatever `x` is; every other combination with an unknown is unknown.
///
/// ```
/// use eligo::Tri;
/// assert_eq!(Tri::Unknown.or(Tri::True), Tri::True);
/// assert_eq!(Tri::Unknown.or(Tri::False), Tri::Unknown);
/// assert_eq!(Tri::Unknown.and(Tri::False), Tri::False);
/// assert_eq!(!Tri::Unknown, Tri::Unknown);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tri {
    /// Definitely false.
    False,
    /// Not known: depends on an attribute the target did not declare.
    Unknown,
    /// Definitely true.
    True,
}

impl Tri {
    /// Kleene conjunction: the minimum of the two (false < unknown < true).
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }

    /// Kleene disjunction: the maximum of the two.
    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }

    /// `Some(b)` for a known value, `None` for unknown.
    pub fn known(self) -> Option<bool> {
        match self {
            Tri::False => Some(false),
            Tri::Unknown => None,
            Tri::True => Some(true),
        }
    }

    /// `true` only for [`Tri::True`]: how a requirement is judged.
    pub fn is_true(self) -> bool {
        self == Tri::True
    }

    /// `false` → `False`, `true` → `True`.
    pub fn from_bool(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }

    /// `false`, `unknown` or `true`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tri::False => "false",
            Tri::Unknown => "unknown",
            Tri::True => "true",
        }
    }
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        Tri::from_bool(b)
    }
}

impl From<Option<bool>> for Tri {
    fn from(b: Option<bool>) -> Tri {
        b.map_or(Tri::Unknown, Tri::from_bool)
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;
    fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
            Tri::True => Tri::False,
        }
    }
}

impl fmt::Display for Tri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::{self, *};

    /// The truth tables, written out in full over all nine input pairs.
    #[test]
    fn truth_tables() {
        let and = [
            (True, True, True),
            (True, Unknown, Unknown),
            (True, False, False),
            (Unknown, True, Unknown),
            (Unknown, Unknown, Unknown),
            (Unknown, False, False),
            (False, True, False),
            (False, Unknown, False),
            (False, False, False),
        ];
        for (a, b, want) in and {
            assert_eq!(a.and(b), want, "{a} and {b}");
        }
        let or = [
            (True, True, True),
            (True, Unknown, True),
            (True, False, True),
            (Unknown, True, True),
            (Unknown, Unknown, Unknown),
            (Unknown, False, Unknown),
            (False, True, True),
            (False, Unknown, Unknown),
            (False, False, False),
        ];
        for (a, b, want) in or {
            assert_eq!(a.or(b), want, "{a} or {b}");
        }
        assert_eq!(!True, False);
        assert_eq!(!False, True);
        assert_eq!(!Unknown, Unknown);
    }

    #[test]
    fn de_morgan_holds() {
        let all = [True, Unknown, False];
        for a in all {
            for b in all {
                assert_eq!(!(a.and(b)), (!a).or(!b));
                assert_eq!(!(a.or(b)), (!a).and(!b));
            }
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Tri::from(Some(true)), True);
        assert_eq!(Tri::from(None::<bool>), Unknown);
        assert_eq!(Unknown.known(), None);
        assert!(!Unknown.is_true());
    }
}
