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

#[cfg(test)]
mod tests {
    use super::*;

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
