//! The legal clocks of a report, as the console shows them: acknowledgement
//! due 7 days after the report, feedback due 3 months after the
//! acknowledgement, and the agreed update date. Dates are calendar days
//! (UTC), the only time the server keeps.
//!
//! The server keeps the day of the last status change, not the day of the
//! acknowledgement. While the status is `acknowledged` that day *is* the
//! acknowledgement; after it, feedback is counted from the report's own day,
//! which is never later than the acknowledgement: the console errs towards
//! warning early, never late.

use core::fmt;

/// A calendar date, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(i64);

impl Date {
    /// Today (UTC).
    pub fn today() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self(i64::try_from(secs / 86_400).unwrap_or(0))
    }

    /// Parses `YYYY-MM-DD` (a real calendar date).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |s: &str| -> Option<i64> {
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let (y, m, d) = (num(&text[0..4])?, num(&text[5..7])?, num(&text[8..10])?);
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(Self(days_from_civil(y, m, d)))
    }

    /// The date `days` later.
    pub fn add_days(self, days: i64) -> Self {
        Self(self.0 + days)
    }

    /// The same day `months` later, or the month's last day if it is shorter
    /// (31 January + 1 month = 28 or 29 February).
    pub fn add_months(self, months: i64) -> Self {
        let (y, m, d) = civil_from_days(self.0);
        let index = y * 12 + (m - 1) + months;
        let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
        Self(days_from_civil(y, m, d.min(days_in_month(y, m))))
    }

    /// Days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Self) -> i64 {
        later.0 - self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Which clock a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Acknowledge receipt within 7 days.
    Acknowledgement,
    /// Give feedback within 3 months of the acknowledgement.
    Feedback,
    /// The date agreed with the reporter.
    AgreedUpdate,
}

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

/// One deadline of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// Which clock.
    pub clock: Clock,
    /// The day it falls due.
    pub due: Date,
    /// How close it is, seen from `today`.
    pub urgency: Urgency,
    /// Days from today to the due date (negative when overdue).
    pub days_left: i64,
}

/// The deadlines that run for a report with this status, seen from `today`.
/// `status_day` is the day of the last status change.
pub fn deadlines(
    status: &str,
    created: Date,
    status_day: Option<Date>,
    agreed_update: Option<Date>,
    today: Date,
) -> Vec<Deadline> {
    let mut out = Vec::new();
    let mut push = |clock, due: Date| {
        let days_left = today.days_until(due);
        let urgency = if days_left < 0 {
            Urgency::Overdue
        } else if days_left <= SOON_DAYS {
            Urgency::DueSoon
        } else {
            Urgency::OnTrack
        };
        out.push(Deadline {
            clock,
            due,
            urgency,
            days_left,
        });
    };
    match status {
        "new" => push(Clock::Acknowledgement, created.add_days(7)),
        "acknowledged" => push(Clock::Feedback, status_day.unwrap_or(created).add_months(3)),
        "in_progress" | "awaiting_reporter" => push(Clock::Feedback, created.add_months(3)),
        _ => {}
    }
    let open = !matches!(status, "feedback_given" | "closed" | "archived");
    if let (true, Some(date)) = (open, agreed_update) {
        push(Clock::AgreedUpdate, date);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse(text).expect("a valid date")
    }

    #[test]
    fn calendar_arithmetic() {
        assert_eq!(d("1970-01-01"), Date(0));
        assert_eq!(d("2026-11-24").to_string(), "2026-11-24");
        assert_eq!(d("2026-11-24").add_days(7).to_string(), "2026-12-01");
        assert_eq!(d("2026-11-30").add_months(3).to_string(), "2027-02-28");
        assert_eq!(d("2027-11-30").add_months(3).to_string(), "2028-02-29");
        assert_eq!(d("2026-01-31").add_months(1).to_string(), "2026-02-28");
        assert_eq!(d("2026-12-15").add_months(3).to_string(), "2027-03-15");
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("26-1-1").is_none());
        assert_eq!(d("2026-11-24").days_until(d("2026-11-20")), -4);
    }

    #[test]
    fn each_status_runs_its_clock() {
        let today = d("2026-11-24");
        // Received 5 days ago: acknowledgement due in 2 days.
        let new = deadlines("new", d("2026-11-19"), None, None, today);
        assert_eq!(new.len(), 1);
        assert_eq!(
            (new[0].clock, new[0].due, new[0].urgency, new[0].days_left),
            (Clock::Acknowledgement, d("2026-11-26"), Urgency::DueSoon, 2)
        );
        // Received 10 days ago and never acknowledged: overdue.
        let late = deadlines("new", d("2026-11-14"), None, None, today);
        assert_eq!(late[0].urgency, Urgency::Overdue);
        // Acknowledged yesterday: feedback in 3 months from then.
        let acked = deadlines(
            "acknowledged",
            d("2026-11-20"),
            Some(d("2026-11-23")),
            Some(d("2026-12-10")),
            today,
        );
        assert_eq!(acked[0].clock, Clock::Feedback);
        assert_eq!(acked[0].due, d("2027-02-23"));
        assert_eq!(acked[0].urgency, Urgency::OnTrack);
        assert_eq!(acked[1].clock, Clock::AgreedUpdate);
        assert_eq!(acked[1].days_left, 16);
        // In progress: from the report's day (never later than the acknowledgement).
        let busy = deadlines(
            "in_progress",
            d("2026-08-20"),
            Some(d("2026-11-01")),
            None,
            today,
        );
        assert_eq!(busy[0].due, d("2026-11-20"));
        assert_eq!(busy[0].urgency, Urgency::Overdue);
        // Feedback given or closed: no clock runs, not even an agreed date.
        for status in ["feedback_given", "closed", "archived"] {
            assert!(deadlines(status, d("2026-01-01"), None, Some(today), today).is_empty());
        }
    }
}
