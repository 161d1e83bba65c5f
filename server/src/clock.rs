//! What time and day it is, as the server sees it.
//!
//! Every handler and background task asks the [`Clock`] in the server's
//! state instead of the system time, so tests can date reports weeks back
//! and move the day forward to see the deadline reminders fire. The only
//! time the server *records* is a [`Day`] (UTC), never a time of day.

use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds in a day.
const DAY_SECS: i64 = 86_400;

/// The source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch (UTC).
    fn now_unix_ms(&self) -> i64;

    /// Seconds since the Unix epoch (UTC).
    fn now_unix(&self) -> i64 {
        self.now_unix_ms().div_euclid(1000)
    }

    /// Today (UTC).
    fn today(&self) -> Day {
        Day::from_unix(self.now_unix())
    }
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock standing at `hour`:00 UTC on `day`.
    pub fn at(day: Day, hour: u32) -> Self {
        Self(AtomicI64::new(Self::ms(day, hour)))
    }

    fn ms(day: Day, hour: u32) -> i64 {
        (day.start_unix() + i64::from(hour) * 3600) * 1000
    }

    /// Moves the clock to `hour`:00 UTC on `day`.
    pub fn set(&self, day: Day, hour: u32) {
        self.0.store(Self::ms(day, hour), Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A calendar day (UTC), counted from 1970-01-01. Written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    /// The day containing the Unix time `secs`.
    pub fn from_unix(secs: i64) -> Self {
        Self(secs.div_euclid(DAY_SECS))
    }

    /// The Unix time at the start (00:00 UTC) of this day.
    pub fn start_unix(self) -> i64 {
        self.0.saturating_mul(DAY_SECS)
    }

    /// Parses `YYYY-MM-DD` (a real date, years 2000 to 2999, as stored).
    pub fn parse(text: &str) -> Option<Self> {
        if !crate::store::is_valid_date(text) {
            return None;
        }
        let year = text[0..4].parse().ok()?;
        let month = text[5..7].parse().ok()?;
        let day = text[8..10].parse().ok()?;
        Some(Self::from_civil(year, month, day))
    }

    /// The day with this year, month (1..=12) and day of month (Howard
    /// Hinnant's `days_from_civil`).
    pub fn from_civil(year: i64, month: u32, day: u32) -> Self {
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Self(era * 146_097 + doe - 719_468)
    }

    /// (year, month, day of month) (Howard Hinnant's `civil_from_days`).
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

    /// The day `days` later (earlier when negative).
    pub fn add_days(self, days: i64) -> Self {
        Self(self.0.saturating_add(days))
    }

    /// The same day of the month `months` later, or the last day of that
    /// month when it is shorter (31 August + 3 months = 30 November): a
    /// deadline "three months after" never moves past the month it is in.
    pub fn add_months(self, months: u32) -> Self {
        let (year, month, day) = self.civil();
        let index = year * 12 + i64::from(month - 1) + i64::from(months);
        let (year, month) = (
            index.div_euclid(12),
            u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1,
        );
        let last = Self::from_civil(year + i64::from(month == 12), month % 12 + 1, 1)
            .add_days(-1)
            .civil()
            .2;
        Self::from_civil(year, month, day.min(last))
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        later.0 - self.0
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_count() {
        let day = Day::parse("2026-11-24").expect("valid");
        assert_eq!(day.to_string(), "2026-11-24");
        assert_eq!(
            Day::parse("2024-02-29").expect("leap").to_string(),
            "2024-02-29"
        );
        assert_eq!(Day::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Day::from_unix(-1).to_string(), "1969-12-31");
        assert_eq!(day.add_days(-95).to_string(), "2026-08-21");
        assert_eq!(day.add_days(7).to_string(), "2026-12-01");
        assert_eq!(day.days_until(day.add_days(-8)), -8);
        assert!(Day::parse("2026-02-30").is_none());
        for offset in -1000..1000 {
            let d = day.add_days(offset);
            assert_eq!(Day::parse(&d.to_string()), Some(d));
        }
    }

    #[test]
    fn months_clamp_to_the_end_of_a_shorter_month() {
        let add = |text: &str, months| {
            Day::parse(text)
                .expect("valid")
                .add_months(months)
                .to_string()
        };
        assert_eq!(add("2026-08-31", 3), "2026-11-30");
        assert_eq!(add("2026-11-30", 3), "2027-02-28");
        assert_eq!(add("2027-11-30", 3), "2028-02-29");
        assert_eq!(add("2026-10-15", 3), "2027-01-15");
        assert_eq!(add("2026-12-31", 1), "2027-01-31");
        assert_eq!(add("2026-01-31", 12), "2027-01-31");
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let day = Day::parse("2026-11-24").expect("valid");
        let clock = ManualClock::at(day, 5);
        assert_eq!(clock.today(), day);
        clock.advance(19 * 3600);
        assert_eq!(clock.today(), day.add_days(1));
        clock.set(day.add_days(-95), 12);
        assert_eq!(clock.today().to_string(), "2026-08-21");
    }
}
