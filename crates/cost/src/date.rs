//! Calendar days as day numbers (days since 1970-01-01), enough for billing
//! periods: parse and print `YYYY-MM-DD`, months, weekdays.

use std::fmt;

/// One calendar day (proleptic Gregorian), ordered and countable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// A calendar month, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Date {
    /// 1970-01-01, day 0.
    pub const EPOCH: Date = Date(0);

    /// From year, month (1–12) and day, when that day exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// `YYYY-MM-DD`, also the first ten characters of a timestamp.
    pub fn parse(text: &str) -> Option<Date> {
        let text = text.get(..10)?;
        let bytes = text.as_bytes();
        if bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        Date::from_ymd(
            text[..4].parse().ok()?,
            text[5..7].parse().ok()?,
            text[8..10].parse().ok()?,
        )
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    pub fn day(self) -> u32 {
        self.ymd().2
    }

    pub fn month(self) -> Month {
        let (year, month, _) = self.ymd();
        Month { year, month }
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> usize {
        // 1970-01-01 was a Thursday.
        (self.0 + 3).rem_euclid(7) as usize
    }

    pub fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }

    /// Days from `earlier` to `self`.
    pub fn days_since(self, earlier: Date) -> i32 {
        self.0 - earlier.0
    }

    /// Among the last `n` days of its month.
    pub fn in_last_days_of_month(self, n: u32) -> bool {
        let (year, month, day) = self.ymd();
        day + n > days_in_month(year, month)
    }
}

impl Month {
    pub fn new(year: i32, month: u32) -> Month {
        Month { year, month }
    }

    /// `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month::new(year.parse().ok()?, month.parse().ok()?);
        (1..=12).contains(&month.month).then_some(month)
    }

    pub fn first_day(self) -> Date {
        Date::from_ymd(self.year, self.month, 1).unwrap_or(Date(0))
    }

    pub fn last_day(self) -> Date {
        self.first_day().add_days(self.len() as i32 - 1)
    }

    pub fn len(self) -> u32 {
        days_in_month(self.year, self.month)
    }

    pub fn is_empty(self) -> bool {
        false
    }

    pub fn plus(self, months: i32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 + months;
        Month::new(index.div_euclid(12), (index.rem_euclid(12) + 1) as u32)
    }

    pub fn days(self) -> impl Iterator<Item = Date> {
        let first = self.first_day();
        (0..self.len() as i32).map(move |k| first.add_days(k))
    }
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_weekdays() {
        for text in ["1970-01-01", "2024-02-29", "2025-12-31", "2000-03-01"] {
            let date = Date::parse(text).unwrap();
            assert_eq!(date.to_string(), text);
        }
        // 2025-10-01 was a Wednesday.
        assert_eq!(Date::parse("2025-10-01").unwrap().weekday(), 2);
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Month::new(2024, 12).plus(1), Month::new(2025, 1));
        assert_eq!(Month::new(2025, 1).plus(-1), Month::new(2024, 12));
        assert_eq!(Month::new(2024, 2).last_day().to_string(), "2024-02-29");
        assert!(Date::parse("2025-10-29").unwrap().in_last_days_of_month(3));
        assert!(!Date::parse("2025-10-28").unwrap().in_last_days_of_month(3));
    }
}
