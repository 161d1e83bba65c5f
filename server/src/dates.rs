//! Calendar days: the only time the server records (creation day, status
//! day, deadlines), counted in whole days in UTC. What day it is comes from
//! the server's [`crate::clock::Clock`], so tests can move it.

use meldkluis_i18n::{tf, Arg, Lang};

/// A calendar day (proleptic Gregorian), as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

/// Seconds in a day.
const DAY_SECS: i64 = 86_400;

impl Day {
    /// Today in UTC, by the system's clock (the server asks its
    /// [`crate::clock::Clock`] instead).
    pub fn today() -> Self {
        use crate::clock::Clock as _;
        crate::clock::SystemClock.today()
    }

    /// The day containing the Unix time `secs`.
    pub fn from_unix(secs: i64) -> Self {
        Self(secs.div_euclid(DAY_SECS))
    }

    /// The Unix time at the start (00:00 UTC) of this day.
    pub fn start_unix(self) -> i64 {
        self.0.saturating_mul(DAY_SECS)
    }

    /// The day from a year, month (1..=12) and day of the month (1..=31);
    /// `None` for a day that does not exist.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Self(era * 146_097 + doe - 719_468))
    }

    /// Parses `YYYY-MM-DD` (years 2000..=2999, a real calendar day).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |s: &str| {
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let (y, m, d) = (num(&text[0..4])?, num(&text[5..7])?, num(&text[8..10])?);
        if !(2000..=2999).contains(&y) {
            return None;
        }
        Self::from_ymd(i64::from(y), m, d)
    }

    /// (year, month, day of the month), Howard Hinnant's civil_from_days.
    pub fn civil(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
        let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    /// `n` days later (earlier if negative).
    pub fn add_days(self, n: i64) -> Self {
        Self(self.0.saturating_add(n))
    }

    /// `n` calendar months later, on the same day of the month or the last
    /// day of a shorter month (31 August + 3 months = 30 November): a
    /// deadline "three months after" never moves past the month it is in.
    pub fn add_months(self, n: u32) -> Self {
        let (y, m, d) = self.civil();
        let months = y * 12 + i64::from(m) - 1 + i64::from(n);
        let (year, month) = (
            months.div_euclid(12),
            u32::try_from(months.rem_euclid(12) + 1).unwrap_or(1),
        );
        let day = d.min(days_in_month(year, month));
        Self::from_ymd(year, month, day).unwrap_or(self)
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Self) -> i64 {
        later.0 - self.0
    }

    /// The day in words in a language: "1 december 2026".
    pub fn display(self, lang: Lang) -> String {
        let (y, m, d) = self.civil();
        let months = meldkluis_i18n::t(lang, "months");
        let month = months
            .split_whitespace()
            .nth(usize::try_from(m - 1).unwrap_or(0))
            .unwrap_or("");
        tf(
            lang,
            "date",
            &[
                ("day", Arg::Num(i64::from(d))),
                ("month", Arg::Str(month)),
                ("year", Arg::Num(y)),
            ],
        )
    }
}

impl std::fmt::Display for Day {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(Day(0).to_string(), "1970-01-01");
        assert_eq!(Day(19_723).to_string(), "2024-01-01");
        assert_eq!(Day(19_782).to_string(), "2024-02-29");
        for n in -800_000..800_000 {
            let day = Day(n);
            let (y, m, d) = day.civil();
            assert_eq!(Day::from_ymd(y, m, d), Some(day));
        }
        assert_eq!(
            Day::parse("2026-11-24").map(|d| d.to_string()).as_deref(),
            Some("2026-11-24")
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "1999-01-01",
            "2026-1-01",
            "2026-01-0x",
            "",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn months_are_calendar_months() {
        let day = |s| Day::parse(s).expect("a day");
        assert_eq!(day("2026-11-24").add_months(3), day("2027-02-24"));
        assert_eq!(day("2026-11-30").add_months(3), day("2027-02-28"));
        assert_eq!(day("2027-11-30").add_months(3), day("2028-02-29"));
        assert_eq!(day("2026-08-31").add_months(3), day("2026-11-30"));
        assert_eq!(day("2026-12-31").add_months(1), day("2027-01-31"));
        assert_eq!(day("2026-01-31").add_months(12), day("2027-01-31"));
        assert_eq!(day("2026-11-24").add_days(7), day("2026-12-01"));
        assert_eq!(day("2026-11-24").add_days(-95).to_string(), "2026-08-21");
        assert_eq!(day("2026-11-24").days_until(day("2026-12-01")), 7);
        assert_eq!(Day::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Day::from_unix(-1).to_string(), "1969-12-31");
        assert_eq!(
            Day::from_unix(day("2026-11-24").start_unix() + 86_399),
            day("2026-11-24")
        );
    }

    #[test]
    fn days_are_written_in_words() {
        let catalog = meldkluis_i18n::catalog();
        let day = Day::parse("2026-12-01").expect("a day");
        assert_eq!(
            day.display(catalog.lang("nl").expect("nl")),
            "1 december 2026"
        );
        assert_eq!(
            day.display(catalog.lang("en").expect("en")),
            "1 December 2026"
        );
    }
}
