//! Calendar periods: inclusive UTC date ranges, the previous period of equal
//! length, and week/month buckets for trends.

use serde::{Deserialize, Serialize};
use std::str::FromStr;
use time::{Date, Duration, Month};

/// An inclusive range of UTC dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("from must not be after to")]
    Reversed,
    #[error("{field} must be a date (YYYY-MM-DD) or an RFC 3339 timestamp")]
    BadDate { field: &'static str },
    #[error("interval must be day, week or month")]
    BadInterval,
    #[error("the range is longer than 20 years")]
    TooLong,
    #[error("{field} must be between 1900-01-01 and 2999-12-31")]
    OutOfRange { field: &'static str },
}

/// The first date cxloop accepts from outside.
pub const EARLIEST: Date = time::macros::date!(1900 - 01 - 01);
/// The last date cxloop accepts from outside. Every period computed from
/// dates inside the window (a previous period of up to 20 years, a bucket's
/// end, the day after a range) stays far inside what `time` can represent,
/// so none of that arithmetic can overflow.
pub const LATEST: Date = time::macros::date!(2999 - 12 - 31);

fn in_window(d: Date, field: &'static str) -> Result<Date, PeriodError> {
    if (EARLIEST..=LATEST).contains(&d) { Ok(d) } else { Err(PeriodError::OutOfRange { field }) }
}

impl DateRange {
    pub fn new(from: Date, to: Date) -> Result<Self, PeriodError> {
        in_window(from, "from")?;
        in_window(to, "to")?;
        if from > to {
            return Err(PeriodError::Reversed);
        }
        if (to - from).whole_days() > 366 * 20 {
            return Err(PeriodError::TooLong);
        }
        Ok(Self { from, to })
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).whole_days() + 1
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> DateRange {
        let len = Duration::days(self.days());
        DateRange { from: self.from - len, to: self.to - len }
    }

    pub fn contains(&self, d: Date) -> bool {
        d >= self.from && d <= self.to
    }
}

/// Parses `YYYY-MM-DD` or an RFC 3339 timestamp (taken as its UTC date),
/// inside [`EARLIEST`]..=[`LATEST`].
pub fn parse_date(s: &str, field: &'static str) -> Result<Date, PeriodError> {
    let s = s.trim();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = Date::parse(s, &fmt) {
        return in_window(d, field);
    }
    parse_timestamp(s, field).map(|t| t.date())
}

/// Parses an RFC 3339 timestamp as UTC, inside [`EARLIEST`]..=[`LATEST`]
/// (an offset that would carry it past the calendar's end is an error, not
/// a panic).
pub fn parse_timestamp(s: &str, field: &'static str) -> Result<time::OffsetDateTime, PeriodError> {
    let t = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
        .map_err(|_| PeriodError::BadDate { field })?;
    let utc = t.checked_to_offset(time::UtcOffset::UTC).ok_or(PeriodError::OutOfRange { field })?;
    in_window(utc.date(), field)?;
    Ok(utc)
}

/// The UTC midnight that ends `d` (the start of the next day).
pub fn end_of(d: Date) -> time::OffsetDateTime {
    d.next_day().unwrap_or(d).midnight().assume_utc()
}

/// Formats a date as `YYYY-MM-DD`.
pub fn fmt_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Trend bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    #[default]
    Week,
    Month,
}

impl FromStr for Interval {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(Interval::Day),
            "week" => Ok(Interval::Week),
            "month" => Ok(Interval::Month),
            _ => Err(PeriodError::BadInterval),
        }
    }
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// The first day of the bucket holding `d` (weeks start on Monday).
    pub fn bucket_start(self, d: Date) -> Date {
        match self {
            Interval::Day => d,
            Interval::Week => d - Duration::days(i64::from(d.weekday().number_days_from_monday())),
            Interval::Month => d.replace_day(1).unwrap_or(d),
        }
    }

    fn next_start(self, start: Date) -> Date {
        match self {
            Interval::Day => start + Duration::days(1),
            Interval::Week => start + Duration::days(7),
            Interval::Month => {
                let (y, m) = if start.month() == Month::December {
                    (start.year() + 1, Month::January)
                } else {
                    (start.year(), start.month().next())
                };
                Date::from_calendar_date(y, m, 1).unwrap_or(start + Duration::days(31))
            }
        }
    }

    /// The buckets covering `range`, each clipped to it, in order.
    pub fn buckets(self, range: DateRange) -> Vec<DateRange> {
        let mut out = Vec::new();
        let mut start = self.bucket_start(range.from);
        while start <= range.to {
            let next = self.next_start(start);
            let end = next - Duration::days(1);
            out.push(DateRange { from: start.max(range.from), to: end.min(range.to) });
            start = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn previous_period_has_equal_length_and_abuts() {
        let r = DateRange::new(date!(2026 - 03 - 01), date!(2026 - 03 - 31)).unwrap();
        let p = r.previous();
        assert_eq!(p.days(), 31);
        assert_eq!(p.to, date!(2026 - 02 - 28));
        assert_eq!(p.from, date!(2026 - 01 - 29));
    }

    #[test]
    fn weeks_start_on_monday_and_are_clipped() {
        let r = DateRange::new(date!(2026 - 11 - 04), date!(2026 - 11 - 17)).unwrap();
        let b = Interval::Week.buckets(r);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].from, date!(2026 - 11 - 04));
        assert_eq!(b[0].to, date!(2026 - 11 - 08));
        assert_eq!(b[1].from, date!(2026 - 11 - 09));
        assert_eq!(b[2].to, date!(2026 - 11 - 17));
    }

    #[test]
    fn months_cross_the_year_end() {
        let r = DateRange::new(date!(2025 - 11 - 15), date!(2026 - 01 - 10)).unwrap();
        let b = Interval::Month.buckets(r);
        assert_eq!(b.len(), 3);
        assert_eq!(b[1].from, date!(2025 - 12 - 01));
        assert_eq!(b[1].to, date!(2025 - 12 - 31));
        assert_eq!(b[2].from, date!(2026 - 01 - 01));
    }

    #[test]
    fn dates_parse_from_both_forms() {
        assert_eq!(parse_date("2026-02-03", "from").unwrap(), date!(2026 - 02 - 03));
        assert_eq!(parse_date("2026-02-03T23:30:00-02:00", "from").unwrap(), date!(2026 - 02 - 04));
        assert_eq!(parse_date("yesterday", "to").unwrap_err(), PeriodError::BadDate { field: "to" });
    }

    #[test]
    fn dates_at_the_ends_of_the_calendar_are_errors_not_panics() {
        let out = |f| PeriodError::OutOfRange { field: f };
        assert_eq!(parse_date("9999-12-31", "to").unwrap_err(), out("to"));
        assert_eq!(parse_date("-9999-01-01", "from").unwrap_err(), out("from"));
        assert_eq!(parse_date("9999-12-31T23:59:59-23:59", "to").unwrap_err(), out("to"));
        assert_eq!(parse_date("0000-01-01T00:00:00+23:59", "from").unwrap_err(), out("from"));
        assert_eq!(parse_date("2026-02-30", "from").unwrap_err(), PeriodError::BadDate { field: "from" });
        assert_eq!(parse_date("2999-12-31", "to").unwrap(), LATEST);
        let wide = DateRange::new(EARLIEST, EARLIEST + Duration::days(366 * 20)).unwrap();
        assert!(wide.previous().from < EARLIEST, "the previous period may reach before the window, safely");
        assert!(DateRange::new(date!(1899 - 12 - 31), date!(1900 - 01 - 02)).is_err());
        assert!(DateRange::new(date!(2026 - 02 - 03), date!(2026 - 02 - 02)).is_err());
    }
}
