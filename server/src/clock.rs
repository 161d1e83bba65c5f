//! What time and day it is, as the server sees it.
//!
//! Every handler and background task asks the [`Clock`] in the server's
//! state instead of the system time, so tests can date reports weeks back
//! and move the day forward to see the deadline reminders fire. The only
//! time the server *records* is a [`Day`] (UTC), never a time of day.

use std::sync::atomic::{AtomicI64, Ordering};

pub use crate::dates::Day;

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

#[cfg(test)]
mod tests {
    use super::*;

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
