//! Rotation periods as written in the manifest (`30d`, `2w`, `6mo`, `1y`,
//! `never`) and the calendar arithmetic on UTC dates that ages depend on.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};

/// The unit of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodUnit {
    Days,
    Weeks,
    /// Calendar months: the same day of a later month, clamped at month end.
    Months,
    /// Calendar years, i.e. twelve calendar months (Feb 29 + 1y = Feb 28).
    Years,
}

impl PeriodUnit {
    fn suffix(self) -> &'static str {
        match self {
            PeriodUnit::Days => "d",
            PeriodUnit::Weeks => "w",
            PeriodUnit::Months => "mo",
            PeriodUnit::Years => "y",
        }
    }
}

/// A calendar period such as `6mo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    pub count: u32,
    pub unit: PeriodUnit,
}

/// The largest count accepted, so that date arithmetic never overflows chrono.
const MAX_COUNT: u32 = 100_000;

/// Why a period could not be read; the message says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PeriodError(pub String);

const EXPECTED: &str = "expected a duration: a number followed by d (days), w (weeks), mo (months) or y (years), e.g. 30d, 2w, 6mo, 1y";

impl Period {
    pub const fn days(count: u32) -> Period {
        Period {
            count,
            unit: PeriodUnit::Days,
        }
    }

    /// The date this period after `date` (month arithmetic clamps at month end).
    pub fn after(&self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            PeriodUnit::Days => date.checked_add_days(Days::new(self.count.into())),
            PeriodUnit::Weeks => date.checked_add_days(Days::new(u64::from(self.count) * 7)),
            PeriodUnit::Months => date.checked_add_months(Months::new(self.count)),
            PeriodUnit::Years => date.checked_add_months(Months::new(self.count.checked_mul(12)?)),
        }
    }

    /// The date this period before `date` (month arithmetic clamps at month end).
    pub fn before(&self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            PeriodUnit::Days => date.checked_sub_days(Days::new(self.count.into())),
            PeriodUnit::Weeks => date.checked_sub_days(Days::new(u64::from(self.count) * 7)),
            PeriodUnit::Months => date.checked_sub_months(Months::new(self.count)),
            PeriodUnit::Years => date.checked_sub_months(Months::new(self.count.checked_mul(12)?)),
        }
    }

    pub fn is_zero(&self) -> bool {
        self.count == 0
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<Period, PeriodError> {
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, suffix) = text.split_at(digits_end);
        if digits.is_empty() {
            return Err(PeriodError(format!(
                "`{text}` is not a duration; {EXPECTED}"
            )));
        }
        let unit = match suffix {
            "d" => PeriodUnit::Days,
            "w" => PeriodUnit::Weeks,
            "mo" => PeriodUnit::Months,
            "y" => PeriodUnit::Years,
            "m" => {
                return Err(PeriodError(format!(
                    "`{text}` is ambiguous; write {digits}mo for months"
                )));
            }
            "" => {
                return Err(PeriodError(format!("`{text}` has no unit; {EXPECTED}")));
            }
            _ => {
                return Err(PeriodError(format!(
                    "`{text}` has an unknown unit `{suffix}`; {EXPECTED}"
                )));
            }
        };
        let count = digits
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_COUNT)
            .ok_or_else(|| PeriodError(format!("`{text}` is too long a duration")))?;
        Ok(Period { count, unit })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

/// How long a secret may live: a period, or `never` (listed, never overdue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxAge {
    Never,
    After(Period),
}

impl MaxAge {
    /// The due date of a secret last rotated on `last_rotation`.
    pub fn due(&self, last_rotation: NaiveDate) -> Option<NaiveDate> {
        match self {
            MaxAge::Never => None,
            MaxAge::After(period) => period.after(last_rotation),
        }
    }
}

impl FromStr for MaxAge {
    type Err = PeriodError;

    fn from_str(text: &str) -> Result<MaxAge, PeriodError> {
        if text == "never" {
            return Ok(MaxAge::Never);
        }
        let period: Period = text
            .parse()
            .map_err(|PeriodError(message)| PeriodError(format!("{message}, or `never`")))?;
        if period.is_zero() {
            return Err(PeriodError(format!(
                "`{text}` is not a usable max_age; it must be longer than zero, or `never`"
            )));
        }
        Ok(MaxAge::After(period))
    }
}

impl fmt::Display for MaxAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxAge::Never => f.write_str("never"),
            MaxAge::After(period) => period.fmt(f),
        }
    }
}

/// Reads a UTC calendar date written `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, PeriodError> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(PeriodError(format!(
            "`{text}` is not a date; expected YYYY-MM-DD, e.g. 2026-01-15"
        )));
    }
    let number = |range: std::ops::Range<usize>| {
        text[range]
            .bytes()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| {
        PeriodError(format!(
            "`{text}` is not a date on the calendar; expected YYYY-MM-DD, e.g. 2026-01-15"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn after(period: &str, from: &str) -> NaiveDate {
        period.parse::<Period>().unwrap().after(date(from)).unwrap()
    }

    #[test]
    fn parses_every_unit() {
        assert_eq!("30d".parse(), Ok(Period::days(30)));
        let weeks = Period {
            count: 2,
            unit: PeriodUnit::Weeks,
        };
        assert_eq!("2w".parse(), Ok(weeks));
        assert_eq!("6mo".parse::<Period>().unwrap().unit, PeriodUnit::Months);
        assert_eq!("1y".parse::<Period>().unwrap().unit, PeriodUnit::Years);
        assert_eq!("0d".parse(), Ok(Period::days(0)));
        assert_eq!("never".parse(), Ok(MaxAge::Never));
        for text in ["30d", "2w", "6mo", "1y"] {
            assert_eq!(text.parse::<Period>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed_durations_with_what_is_expected() {
        let err = |text: &str| text.parse::<Period>().unwrap_err().0;
        assert_eq!(
            err("6m"),
            "`6m` is ambiguous; write 6mo for months".to_string()
        );
        assert!(err("30").starts_with("`30` has no unit; expected a duration"));
        assert!(err("3h").starts_with("`3h` has an unknown unit `h`;"));
        assert!(err("six months").starts_with("`six months` is not a duration;"));
        assert!(err("-3d").starts_with("`-3d` is not a duration;"));
        assert!(err("").starts_with("`` is not a duration;"));
        assert!(err("3 d").contains("unknown unit ` d`"));
        assert!(err("99999999999d").contains("too long"));
        assert!(err("6MO").contains("unknown unit `MO`"));
    }

    #[test]
    fn max_age_needs_a_positive_period_or_never() {
        let err = "0d".parse::<MaxAge>().unwrap_err().0;
        assert!(err.contains("longer than zero"), "{err}");
        let err = "forever".parse::<MaxAge>().unwrap_err().0;
        assert!(err.ends_with(", or `never`"), "{err}");
        assert_eq!(MaxAge::Never.due(date("2026-01-01")), None);
    }

    #[test]
    fn days_and_weeks_are_exact() {
        assert_eq!(after("30d", "2026-01-15"), date("2026-02-14"));
        assert_eq!(after("2w", "2026-12-25"), date("2027-01-08"));
        assert_eq!(after("1d", "2028-02-28"), date("2028-02-29"));
        assert_eq!(after("1d", "2027-02-28"), date("2027-03-01"));
    }

    #[test]
    fn months_clamp_at_month_end() {
        assert_eq!(after("1mo", "2026-01-31"), date("2026-02-28"));
        assert_eq!(after("1mo", "2028-01-31"), date("2028-02-29"));
        assert_eq!(after("1mo", "2026-03-31"), date("2026-04-30"));
        assert_eq!(after("2mo", "2026-12-31"), date("2027-02-28"));
        assert_eq!(after("6mo", "2026-08-31"), date("2027-02-28"));
        assert_eq!(after("1mo", "2026-01-15"), date("2026-02-15"));
        assert_eq!(after("12mo", "2026-05-31"), date("2027-05-31"));
        // Clamping does not accumulate: it is 2 months from the start, not 1+1.
        assert_eq!(after("2mo", "2026-01-31"), date("2026-03-31"));
    }

    #[test]
    fn years_handle_leap_days() {
        assert_eq!(after("1y", "2028-02-29"), date("2029-02-28"));
        assert_eq!(after("4y", "2028-02-29"), date("2032-02-29"));
        assert_eq!(after("1y", "2027-02-28"), date("2028-02-28"));
        assert_eq!(after("1y", "2026-11-23"), date("2027-11-23"));
    }

    #[test]
    fn before_is_the_calendar_inverse() {
        let p = |text: &str| text.parse::<Period>().unwrap();
        assert_eq!(
            p("1mo").before(date("2026-03-31")),
            Some(date("2026-02-28"))
        );
        assert_eq!(
            p("30d").before(date("2026-03-01")),
            Some(date("2026-01-30"))
        );
        assert_eq!(p("1y").before(date("2029-02-28")), Some(date("2028-02-28")));
    }

    #[test]
    fn dates_must_be_iso_calendar_dates() {
        assert_eq!(date("2028-02-29").to_string(), "2028-02-29");
        let err = |text: &str| parse_date(text).unwrap_err().0;
        assert!(err("2027-02-29").contains("not a date on the calendar"));
        assert!(err("2026-13-01").contains("not a date on the calendar"));
        assert!(err("15/01/2026").contains("expected YYYY-MM-DD"));
        assert!(err("2026-1-5").contains("expected YYYY-MM-DD"));
        assert!(err("yesterday").contains("expected YYYY-MM-DD"));
        assert!(err("2026-01-15T10:00:00Z").contains("expected YYYY-MM-DD"));
    }
}
