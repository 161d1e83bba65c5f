//! How close a report's deadlines are, for the console's colours and words.
//!
//! Which legal clocks run for a report and when each falls due is decided
//! by the server (`server/src/deadlines.rs`, the one copy of those rules,
//! also behind the advisors' e-mail digest) and sent with every report in
//! the list; the console only says how urgent each is.

use crate::client::Deadline;

/// How close a deadline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// The date has passed.
    Overdue,
    /// Due within [`SOON_DAYS`] days (today included).
    DueSoon,
    /// Further away.
    OnTrack,
}

/// A deadline within this many days is shown as due soon.
pub const SOON_DAYS: i64 = 3;

impl Urgency {
    /// The urgency of a deadline `days_left` days away.
    pub fn of(deadline: &Deadline) -> Self {
        if deadline.days_left < 0 {
            Self::Overdue
        } else if deadline.days_left <= SOON_DAYS {
            Self::DueSoon
        } else {
            Self::OnTrack
        }
    }
}

/// Reports deleted within this many days are marked in the list (the
/// same window as the advisors' digest).
pub const DELETION_SOON_DAYS: i64 = 14;

/// The number of a day written `YYYY-MM-DD` (days since 1970-01-01), or
/// `None` for anything that is not a real day of the proleptic Gregorian
/// calendar.
pub(crate) fn day_number(day: &str) -> Option<i64> {
    let bytes = day.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = day.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, dom) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&dom) {
        return None;
    }
    // Days from civil (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + dom - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days from `today` to `day` (negative when `day` has passed), if both
/// are days.
pub(crate) fn days_until(today: &str, day: &str) -> Option<i64> {
    Some(day_number(day)? - day_number(today)?)
}

/// The day `n` days after `day` (`YYYY-MM-DD`), if `day` is one.
pub(crate) fn add_days(day: &str, n: i64) -> Option<String> {
    // Civil from days (H. Hinnant's algorithm).
    let z = day_number(day)? + n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dom = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!("{year:04}-{month:02}-{dom:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_across_month_ends_and_leap_days() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(days_until("2028-02-28", "2028-03-01"), Some(2));
        assert_eq!(days_until("2027-02-28", "2027-03-01"), Some(1));
        assert_eq!(days_until("2026-12-31", "2027-01-01"), Some(1));
        assert_eq!(days_until("2026-11-30", "2026-11-16"), Some(-14));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "+026-01-01",
            "",
        ] {
            assert_eq!(day_number(bad), None, "{bad}");
        }
        assert!(day_number("2000-02-29").is_some());
        assert_eq!(add_days("2028-02-28", 1).as_deref(), Some("2028-02-29"));
        assert_eq!(add_days("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert_eq!(add_days("2027-03-01", -1).as_deref(), Some("2027-02-28"));
        assert_eq!(add_days("1970-01-01", 0).as_deref(), Some("1970-01-01"));
        assert_eq!(add_days("not a day", 1), None);
    }

    fn due_in(days_left: i64) -> Deadline {
        Deadline {
            kind: "feedback".into(),
            due: "2026-12-01".into(),
            days_left,
        }
    }

    #[test]
    fn urgency_follows_the_days_left() {
        assert_eq!(Urgency::of(&due_in(-1)), Urgency::Overdue);
        assert_eq!(Urgency::of(&due_in(0)), Urgency::DueSoon);
        assert_eq!(Urgency::of(&due_in(SOON_DAYS)), Urgency::DueSoon);
        assert_eq!(Urgency::of(&due_in(SOON_DAYS + 1)), Urgency::OnTrack);
    }
}
