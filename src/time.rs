//! Time as the library sees it: passed in by the caller, never read from a clock.
//!
//! [`Timestamp`] is seconds since 1970-01-01T00:00:00Z; [`Date`] is a calendar date. Both are
//! small, `Copy`, serde-able and do no I/O, so the sans-IO core can compare a certificate's
//! validity with the time the vendor's loop passes in.

use core::fmt;

use serde::{Deserialize, Serialize};

const SECONDS_PER_DAY: i64 = 86_400;
/// Japan Standard Time is UTC+9, with no daylight saving.
const JST_OFFSET: i64 = 9 * 3600;

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

    /// The moment at a date and time of day in Japan (JST, UTC+9): 09:30 in Japan on
    /// 2026-11-27 is `from_jst(2026, 11, 27, 9, 30, 0)`. `None` for a date or time that does
    /// not exist.
    #[must_use]
    pub fn from_jst(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Self> {
        let utc = Self::from_date_time(Date::new(year, month, day)?, hour, minute, second)?;
        Some(utc.saturating_add_seconds(-JST_OFFSET))
    }

    /// The UTC calendar date of this moment.
    #[must_use]
    pub fn date(self) -> Date {
        Date::from_days_since_epoch(self.0.div_euclid(SECONDS_PER_DAY))
    }

    /// The calendar date in Japan (JST, UTC+9, no daylight saving).
    #[must_use]
    pub fn date_in_japan(self) -> Date {
        self.saturating_add_seconds(JST_OFFSET).date()
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

impl Timestamp {
    /// The date and the time of day (hour, minute, second) in Japan (JST, UTC+9).
    #[must_use]
    pub fn in_japan(self) -> (Date, u8, u8, u8) {
        let local = self.saturating_add_seconds(JST_OFFSET);
        let of_day = local.0.rem_euclid(SECONDS_PER_DAY);
        // `of_day` is in 0..86400: each part fits a u8.
        let part = |value: i64| u8::try_from(value).unwrap_or(0);
        (
            local.date(),
            part(of_day / 3600),
            part(of_day % 3600 / 60),
            part(of_day % 60),
        )
    }
}

/// The moment in Japan time, ISO 8601: `2026-11-27T09:30:00+09:00`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, hour, minute, second) = self.in_japan();
        write!(f, "{date}T{hour:02}:{minute:02}:{second:02}+09:00")
    }
}

#[cfg(feature = "std")]
impl From<std::time::SystemTime> for Timestamp {
    /// The system clock's moment, to the second (before 1970: negative seconds).
    fn from(time: std::time::SystemTime) -> Self {
        match time.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => Self(i64::try_from(after.as_secs()).unwrap_or(i64::MAX)),
            Err(before) => Self(
                i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |seconds| -seconds),
            ),
        }
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

/// A Japanese era (元号), as written in dates on the My Number Card and in 照合番号B.
///
/// Each era starts on its first day in the Gregorian calendar: 明治 on 1868-01-25 (慶応4年1月1日,
/// the Meiji era applying from that day), 大正 on 1912-07-30, 昭和 on 1926-12-25, 平成 on
/// 1989-01-08 and 令和 on 2019-05-01. The first year of an era is 元年, year 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JapaneseEra {
    /// 明治, from 1868-01-25.
    Meiji,
    /// 大正, from 1912-07-30.
    Taisho,
    /// 昭和, from 1926-12-25.
    Showa,
    /// 平成, from 1989-01-08.
    Heisei,
    /// 令和, from 2019-05-01.
    Reiwa,
}

impl JapaneseEra {
    /// Every era, oldest first.
    pub const ALL: [Self; 5] = [
        Self::Meiji,
        Self::Taisho,
        Self::Showa,
        Self::Heisei,
        Self::Reiwa,
    ];

    /// The era's first day.
    #[must_use]
    pub const fn first_day(self) -> Date {
        let (year, month, day) = match self {
            Self::Meiji => (1868, 1, 25),
            Self::Taisho => (1912, 7, 30),
            Self::Showa => (1926, 12, 25),
            Self::Heisei => (1989, 1, 8),
            Self::Reiwa => (2019, 5, 1),
        };
        Date { year, month, day }
    }

    /// The era's name in Japanese.
    #[must_use]
    pub const fn japanese_name(self) -> &'static str {
        match self {
            Self::Meiji => "明治",
            Self::Taisho => "大正",
            Self::Showa => "昭和",
            Self::Heisei => "平成",
            Self::Reiwa => "令和",
        }
    }
}

/// A date written with its Japanese era: 1980-02-17 is 昭和55年2月17日.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EraDate {
    /// The era.
    pub era: JapaneseEra,
    /// The year of the era, from 1 (元年).
    pub year: u16,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day, 1 to 31.
    pub day: u8,
}

impl Date {
    /// This date in its Japanese era, or `None` before 明治 (1868-01-25).
    ///
    /// ```
    /// use onshi::time::{Date, JapaneseEra};
    ///
    /// let showa = Date::new(1989, 1, 7).unwrap().japanese_era().unwrap();
    /// assert_eq!((showa.era, showa.year), (JapaneseEra::Showa, 64));
    /// let heisei = Date::new(1989, 1, 8).unwrap().japanese_era().unwrap();
    /// assert_eq!((heisei.era, heisei.year), (JapaneseEra::Heisei, 1));
    /// assert_eq!(Date::new(1868, 1, 24).unwrap().japanese_era(), None);
    /// ```
    #[must_use]
    pub fn japanese_era(self) -> Option<EraDate> {
        let era = JapaneseEra::ALL
            .into_iter()
            .rev()
            .find(|era| self >= era.first_day())?;
        let year = self
            .year
            .checked_sub(era.first_day().year)?
            .checked_add(1)?;
        Some(EraDate {
            era,
            year: u16::try_from(year).ok()?,
            month: self.month,
            day: self.day,
        })
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
    fn era_boundaries() {
        let era = |y, m, d| {
            let e = Date::new(y, m, d).unwrap().japanese_era().unwrap();
            (e.era, e.year)
        };
        assert_eq!(era(1868, 1, 25), (JapaneseEra::Meiji, 1));
        assert_eq!(era(1912, 7, 29), (JapaneseEra::Meiji, 45));
        assert_eq!(era(1912, 7, 30), (JapaneseEra::Taisho, 1));
        assert_eq!(era(1926, 12, 24), (JapaneseEra::Taisho, 15));
        assert_eq!(era(1926, 12, 25), (JapaneseEra::Showa, 1));
        assert_eq!(era(1980, 2, 17), (JapaneseEra::Showa, 55));
        assert_eq!(era(1989, 1, 1), (JapaneseEra::Showa, 64));
        assert_eq!(era(1989, 1, 7), (JapaneseEra::Showa, 64));
        assert_eq!(era(1989, 1, 8), (JapaneseEra::Heisei, 1));
        assert_eq!(era(2019, 4, 30), (JapaneseEra::Heisei, 31));
        assert_eq!(era(2019, 5, 1), (JapaneseEra::Reiwa, 1));
        assert_eq!(era(2026, 11, 27), (JapaneseEra::Reiwa, 8));
        assert_eq!(Date::new(1868, 1, 24).unwrap().japanese_era(), None);
        assert_eq!(Date::new(i32::MIN, 1, 1).unwrap().japanese_era(), None);
        // Far future: the era year no longer fits; never a panic or a wrap.
        assert_eq!(Date::new(i32::MAX, 12, 31).unwrap().japanese_era(), None);
    }

    #[test]
    fn japan_time_in_and_out() {
        let t = Timestamp::from_jst(2026, 11, 27, 9, 30, 0).unwrap();
        assert_eq!(t.to_string(), "2026-11-27T09:30:00+09:00");
        assert_eq!(
            t,
            Timestamp::from_date_time(Date::new(2026, 11, 27).unwrap(), 0, 30, 0).unwrap()
        );
        assert_eq!(Timestamp::from_jst(2026, 2, 30, 9, 0, 0), None);
        let early = Timestamp::from_jst(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(early.to_string(), "2026-01-01T00:00:00+09:00");
        assert_eq!(early.date(), Date::new(2025, 12, 31).unwrap());
        let from_clock =
            Timestamp::from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(60));
        assert_eq!(from_clock.unix_seconds(), 60);
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
