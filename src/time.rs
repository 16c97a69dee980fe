//! Calendar dates (for expiring evidence) and UTC timestamps (for events).
//!
//! Small on purpose: eligo needs to parse `YYYY-MM-DD`, compare dates, know
//! today's UTC date, and print RFC 3339 UTC timestamps.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date (proleptic Gregorian), ordered chronologically.
///
/// ```
/// use eligo::Date;
/// let d: Date = "2026-12-31".parse()?;
/// assert!(d < "2027-01-01".parse::<Date>()?);
/// assert_eq!(d.to_string(), "2026-12-31");
/// assert!("2026-02-30".parse::<Date>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a date could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError(String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DateError {}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// The date `year-month-day`, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        Timestamp::now().date()
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(self) -> u8 {
        self.day
    }

    /// The next day, or `None` after 9999-12-31.
    ///
    /// ```
    /// use eligo::Date;
    /// assert_eq!(Date::new(2024, 2, 28).unwrap().succ(), Date::new(2024, 2, 29));
    /// assert_eq!(Date::new(2026, 12, 31).unwrap().succ(), Date::new(2027, 1, 1));
    /// assert_eq!(Date::new(9999, 12, 31).unwrap().succ(), None);
    /// ```
    pub fn succ(self) -> Option<Date> {
        if self.day < days_in_month(self.year, self.month) {
            return Some(Date {
                day: self.day + 1,
                ..self
            });
        }
        if self.month < 12 {
            return Some(Date {
                month: self.month + 1,
                day: 1,
                ..self
            });
        }
        (self.year < 9999).then(|| Date {
            year: self.year + 1,
            month: 1,
            day: 1,
        })
    }

    /// The date `days` days after 1970-01-01, held to the years 0 to 9999
    /// (the year used to be truncated to 32 bits instead).
    fn from_days(days: i64) -> Date {
        // 0000-01-01 and 9999-12-31, in days after 1970-01-01.
        let days = days.clamp(-719_528, 2_932_896);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;

    /// Parses `YYYY-MM-DD` exactly.
    fn from_str(s: &str) -> Result<Date, DateError> {
        let bad = || DateError(format!("`{s}` is not a date of the form YYYY-MM-DD"));
        let b = s.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = s.get(r).ok_or_else(bad)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        Date::new(y as i32, m as u8, d as u8)
            .ok_or_else(|| DateError(format!("`{s}` is not a date that exists")))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A UTC instant with second precision, printed as RFC 3339.
///
/// ```
/// let t = eligo::Timestamp::from_unix(1_795_000_000);
/// assert_eq!(t.to_string(), "2026-11-18T11:06:40Z");
/// assert_eq!(t.date().to_string(), "2026-11-18");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    unix: i64,
}

impl Timestamp {
    /// The earliest instant a `Timestamp` holds: 0000-01-01T00:00:00Z.
    const MIN_UNIX: i64 = -62_167_219_200;
    /// The latest instant a `Timestamp` holds: 9999-12-31T23:59:59Z.
    const MAX_UNIX: i64 = 253_402_300_799;

    /// The current time from the system clock (a clock set before 1970
    /// gives an instant before 1970, not 1970 itself).
    pub fn now() -> Timestamp {
        let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let unix = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => secs(d),
            Err(e) => -secs(e.duration()),
        };
        Timestamp::from_unix(unix)
    }

    /// The instant `secs` seconds after 1970-01-01T00:00:00Z, held to the
    /// years 0 to 9999 that a [`Date`] can name: earlier instants become
    /// 0000-01-01T00:00:00Z, later ones 9999-12-31T23:59:59Z.
    ///
    /// ```
    /// let t = eligo::Timestamp::from_unix(i64::MAX);
    /// assert_eq!(t.to_string(), "9999-12-31T23:59:59Z");
    /// ```
    pub fn from_unix(secs: i64) -> Timestamp {
        Timestamp {
            unix: secs.clamp(Timestamp::MIN_UNIX, Timestamp::MAX_UNIX),
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(self) -> i64 {
        self.unix
    }

    /// The UTC date of this instant.
    pub fn date(self) -> Date {
        Date::from_days(self.unix.div_euclid(86_400))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.unix.rem_euclid(86_400);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date(),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(Timestamp::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix(951_782_400).date().to_string(),
            "2000-02-29"
        );
        assert_eq!(Timestamp::from_unix(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(
            Timestamp::from_unix(4_107_542_399).to_string(),
            "2100-02-28T23:59:59Z"
        );
    }

    /// What broke: `Date::from_days` truncated the year to 32 bits, so a far
    /// instant gave an arbitrary date (and one a `Date` cannot parse back).
    #[test]
    fn far_instants_saturate_at_the_ends_of_the_calendar() {
        for (secs, date) in [
            (i64::MAX, "9999-12-31"),
            (i64::MIN, "0000-01-01"),
            (253_402_300_799, "9999-12-31"),
            (253_402_300_800, "9999-12-31"),
            (-62_167_219_200, "0000-01-01"),
            (-62_167_219_201, "0000-01-01"),
        ] {
            let d = Timestamp::from_unix(secs).date();
            assert_eq!(d.to_string(), date, "{secs}");
            assert_eq!(d.to_string().parse::<Date>(), Ok(d));
        }
        assert_eq!(Date::from_days(i64::MAX).to_string(), "9999-12-31");
        assert_eq!(Date::from_days(i64::MIN).to_string(), "0000-01-01");
        assert_eq!(Date::from_days(2_932_896).to_string(), "9999-12-31");
        assert_eq!(Date::from_days(-719_528).to_string(), "0000-01-01");
        assert_eq!(
            Timestamp::from_unix(i64::MIN).to_string(),
            "0000-01-01T00:00:00Z"
        );
    }

    #[test]
    fn parse_dates() {
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2023-13-01".parse::<Date>().is_err());
        assert!("2023-1-01".parse::<Date>().is_err());
        assert!("+023-01-01".parse::<Date>().is_err());
        assert!("2023-01-01T00:00".parse::<Date>().is_err());
    }
}
