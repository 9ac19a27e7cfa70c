//! Time as the library sees it: passed in by the caller, never read from a clock.
//!
//! [`Timestamp`] is seconds since 1970-01-01T00:00:00Z; [`Date`] is a calendar date. Both are
//! small, `Copy`, serde-able and do no I/O, so the sans-IO core can compare a certificate's
//! validity with the time the vendor's loop passes in.

use core::fmt;

use serde::{Deserialize, Serialize};

const SECONDS_PER_DAY: i64 = 86_400;

/// A moment: seconds since the Unix epoch, UTC. Serialized as that integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The moment `seconds` after 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn from_unix_seconds(seconds: i64) -> Self {
        Self(seconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The moment at `date` and the given UTC time of day; `None` for an invalid time.
    #[must_use]
    pub fn from_date_time(date: Date, hour: u8, minute: u8, second: u8) -> Option<Self> {
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let seconds = date
            .days_since_epoch()
            .checked_mul(SECONDS_PER_DAY)?
            .checked_add(i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))?;
        Some(Self(seconds))
    }

    /// The UTC calendar date of this moment.
    #[must_use]
    pub fn date(self) -> Date {
        Date::from_days_since_epoch(self.0.div_euclid(SECONDS_PER_DAY))
    }

    /// The calendar date in Japan (JST, UTC+9, no daylight saving).
    #[must_use]
    pub fn date_in_japan(self) -> Date {
        self.saturating_add_seconds(9 * 3600).date()
    }

    /// This moment plus `seconds` (which may be negative), saturating at the ends of the range.
    #[must_use]
    pub const fn saturating_add_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }

    /// Seconds from `earlier` to `self`, negative when `earlier` is later.
    #[must_use]
    pub const fn seconds_since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// A date in the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// The date, or `None` when the month or day does not exist.
    #[must_use]
    pub const fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        if month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// The year.
    #[must_use]
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    #[must_use]
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    #[must_use]
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The same day `months` months later (earlier when negative), moved back to the last day
    /// of the month when that month is shorter (2024-11-30 plus 3 months is 2025-02-28).
    #[must_use]
    pub const fn add_months(self, months: i32) -> Self {
        let index = self.year as i64 * 12 + (self.month as i64 - 1) + months as i64;
        let year = index.div_euclid(12) as i32;
        let month = (index.rem_euclid(12) + 1) as u8;
        let last = days_in_month(year, month);
        let day = if self.day > last { last } else { self.day };
        Self { year, month, day }
    }

    /// Days since 1970-01-01 (negative before it).
    #[must_use]
    pub const fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days-from-civil algorithm.
        let year = self.year as i64 - if self.month <= 2 { 1 } else { 0 };
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = self.month as i64;
        let day_of_year =
            (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + self.day as i64 - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` days after 1970-01-01.
    #[must_use]
    pub const fn from_days_since_epoch(days: i64) -> Self {
        // Howard Hinnant's civil-from-days algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
        let year = (year_of_era + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
        Self { year, month, day }
    }

    /// Midnight UTC at the start of this date.
    #[must_use]
    pub const fn start_utc(self) -> Timestamp {
        Timestamp(self.days_since_epoch().saturating_mul(SECONDS_PER_DAY))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

const fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_days() {
        for days in -800_000..800_000i64 {
            if days % 997 != 0 {
                continue;
            }
            let date = Date::from_days_since_epoch(days);
            assert_eq!(date.days_since_epoch(), days);
            assert!(Date::new(date.year(), date.month(), date.day()).is_some());
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
    }

    #[test]
    fn calendar_rules() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2025, 2, 29).is_none());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2026, 13, 1).is_none());
        let d = Date::new(2024, 11, 30).unwrap();
        assert_eq!(d.add_months(3), Date::new(2025, 2, 28).unwrap());
        assert_eq!(d.add_months(-11), Date::new(2023, 12, 30).unwrap());
        assert_eq!(d.to_string(), "2024-11-30");
    }

    #[test]
    fn timestamps_and_japan_time() {
        let date = Date::new(2026, 11, 27).unwrap();
        let t = Timestamp::from_date_time(date, 15, 30, 0).unwrap();
        assert_eq!(t.unix_seconds(), 1_795_793_400);
        assert_eq!(t.date(), date);
        assert_eq!(t.date_in_japan(), Date::new(2026, 11, 28).unwrap());
        assert_eq!(Timestamp::from_date_time(date, 24, 0, 0), None);
    }
}
