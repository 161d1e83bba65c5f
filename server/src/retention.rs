//! A report's end: how long a closed report is kept, a longer hold for one
//! report, and deleting a report so that nothing of it remains but its
//! register line.
//!
//! The tenant's [`Lifecycle`] (set by the operator with `tenant
//! set-lifecycle`, on the organisation's instruction) says how many months
//! after closure a report is deleted, how long its register line is kept,
//! and after how many weeks of the reporter's silence an advisor is
//! offered to close a report; it also holds the tenant's figures
//! threshold (no count below it in a figures report), served to advisors
//! with the register. [`purge_report`] deletes a report's rows;
//! the caller appends the deletion to the deletion log first
//! (`deletion_log`) and removes the attachment files after the commit.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::dates::Day;
use crate::store;

/// The tenant setting holding its [`Lifecycle`] (JSON).
pub(crate) const SETTING_LIFECYCLE: &str = "lifecycle";

/// Months a closed report is kept: the default, and the range allowed.
pub const RETENTION_MONTHS: (u32, std::ops::RangeInclusive<u32>) = (12, 1..=60);
/// Months a register line is kept after the report's closure.
pub const REGISTER_MONTHS: (u32, std::ops::RangeInclusive<u32>) = (60, 12..=120);
/// Weeks of the reporter's silence before closing is offered (0: never).
pub const SILENCE_WEEKS: (u32, std::ops::RangeInclusive<u32>) = (0, 2..=52);
/// The tenant's figures threshold: no count below it is shown in a
/// figures report (domain.md: the default 5; a tenant may raise it, never
/// lower it below 3). The console refuses a served value below 3.
pub const FIGURES_THRESHOLD: (u32, std::ops::RangeInclusive<u32>) = (5, 3..=50);
/// How far ahead a hold may reach, in months from the day it is set.
pub const MAX_HOLD_MONTHS: u32 = 120;

/// Why one report is kept longer than the tenant's retention period
/// (codes only: the server keeps no free text about a report).
pub const HOLD_REASONS: [&str; 5] = [
    "legal_proceedings",
    "investigation",
    "regulator_request",
    "reporter_request",
    "other",
];

/// A tenant's rules for the end of a report's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    /// Months after closure until a report's content is deleted.
    pub retention_months: u32,
    /// Months after closure until its register line is deleted.
    pub register_months: u32,
    /// Weeks without an answer from the reporter after which an advisor is
    /// offered to close the report; 0 for never.
    pub silence_weeks: u32,
    /// The figures threshold: no count below it is shown in the
    /// tenant's figures reports (3 to 50). A lifecycle stored before this
    /// setting existed reads with the default.
    #[serde(default = "default_figures_threshold")]
    pub figures_threshold: u32,
}

fn default_figures_threshold() -> u32 {
    FIGURES_THRESHOLD.0
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            retention_months: RETENTION_MONTHS.0,
            register_months: REGISTER_MONTHS.0,
            silence_weeks: SILENCE_WEEKS.0,
            figures_threshold: FIGURES_THRESHOLD.0,
        }
    }
}

/// Why a lifecycle setting is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The retention period is out of range.
    #[error("retention period must be 1 to 60 months")]
    Retention,
    /// The register period is out of range, or shorter than the retention.
    #[error("register period must be 12 to 120 months and no shorter than the retention period")]
    Register,
    /// The silence period is out of range.
    #[error("silence period must be 0 (off) or 2 to 52 weeks")]
    Silence,
    /// The figures threshold is out of range.
    #[error("figures threshold must be 3 to 50 (no count below it is shown; never below 3)")]
    FiguresThreshold,
}

impl Lifecycle {
    /// Checks the ranges.
    pub fn check(&self) -> Result<(), LifecycleError> {
        if !RETENTION_MONTHS.1.contains(&self.retention_months) {
            return Err(LifecycleError::Retention);
        }
        if !REGISTER_MONTHS.1.contains(&self.register_months)
            || self.register_months < self.retention_months
        {
            return Err(LifecycleError::Register);
        }
        if self.silence_weeks != 0 && !SILENCE_WEEKS.1.contains(&self.silence_weeks) {
            return Err(LifecycleError::Silence);
        }
        if !FIGURES_THRESHOLD.1.contains(&self.figures_threshold) {
            return Err(LifecycleError::FiguresThreshold);
        }
        Ok(())
    }

    /// The day a report closed on `closed` is deleted, held until
    /// `hold_until` if that is later.
    pub fn deletion_day(&self, closed: Day, hold_until: Option<Day>) -> Day {
        let due = closed.add_months(self.retention_months);
        hold_until.map_or(due, |hold| hold.max(due))
    }

    /// The day the register line of a report closed on `closed` is deleted.
    pub fn register_end(&self, closed: Day) -> Day {
        closed.add_months(self.register_months)
    }
}

/// The tenant's lifecycle (the defaults if none is stored, or if the stored
/// one no longer reads, which [`set_lifecycle`] prevents).
pub fn lifecycle(conn: &Connection) -> rusqlite::Result<Lifecycle> {
    Ok(store::setting(conn, SETTING_LIFECYCLE)?
        .and_then(|bytes| serde_json::from_slice::<Lifecycle>(&bytes).ok())
        .filter(|l| l.check().is_ok())
        .unwrap_or_default())
}

/// Stores the tenant's lifecycle after checking it.
pub fn set_lifecycle(
    conn: &Connection,
    lifecycle: &Lifecycle,
) -> Result<Result<(), LifecycleError>, rusqlite::Error> {
    if let Err(e) = lifecycle.check() {
        return Ok(Err(e));
    }
    let json = serde_json::to_vec(lifecycle).unwrap_or_default();
    store::set_setting(conn, SETTING_LIFECYCLE, &json)?;
    Ok(Ok(()))
}

/// Deletes every row of a report: the report item, its recipients, access,
/// messages, attachment records, key grants, events, mailbox credentials
/// (all in the `reports` row or cascading from it), and its forwards and
/// their attachments' records (`org_items`), and marks its register line
/// deleted on `day`. Returns the ids of its attachments and its forwards'
/// attachments, whose files the caller removes once this is committed; `None` if there
/// is no such report. The caller has appended the deletion to the deletion
/// log first. With `secure_delete` on (every tenant connection), the freed
/// pages are overwritten with zeros.
pub fn purge_report(
    conn: &Connection,
    report_id: &[u8; 16],
    day: Day,
) -> rusqlite::Result<Option<Vec<[u8; 16]>>> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM reports WHERE id = ?1")?
        .query_row([report_id], |_| Ok(()))
        .optional()?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let attachments = conn
        .prepare_cached("SELECT id FROM attachments WHERE report_id = ?1")?
        .query_map([report_id], |r| r.get::<_, [u8; 16]>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut attachments = attachments;
    attachments.extend(crate::org::forward_attachment_ids(conn, report_id)?);
    crate::org::delete_report_items(conn, report_id)?;
    conn.prepare_cached(
        "UPDATE register SET report_id = NULL, deleted_day = ?2, hold_until = NULL, hold_reason = NULL
         WHERE number = (SELECT register_number FROM reports WHERE id = ?1)",
    )?
    .execute(params![report_id, day.to_string()])?;
    // Grants are keyed by item, and cascade from the report too; delete
    // them first so no grant of an item outlives it whatever the schema.
    conn.prepare_cached("DELETE FROM key_grants WHERE report_id = ?1")?
        .execute([report_id])?;
    conn.prepare_cached("DELETE FROM reports WHERE id = ?1")?
        .execute([report_id])?;
    Ok(Some(attachments))
}

/// The file name of an attachment item in the tenant's attachments
/// directory.
pub fn attachment_file_name(item_id: &[u8; 16]) -> String {
    format!("{}.item", hex::encode(item_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).expect("day")
    }

    #[test]
    fn the_lifecycle_ranges_are_checked() {
        assert_eq!(Lifecycle::default().check(), Ok(()));
        let with = |retention_months, register_months, silence_weeks| Lifecycle {
            retention_months,
            register_months,
            silence_weeks,
            ..Lifecycle::default()
        };
        assert_eq!(with(1, 12, 0).check(), Ok(()));
        assert_eq!(with(60, 120, 52).check(), Ok(()));
        assert_eq!(with(0, 60, 0).check(), Err(LifecycleError::Retention));
        assert_eq!(with(61, 120, 0).check(), Err(LifecycleError::Retention));
        assert_eq!(with(12, 11, 0).check(), Err(LifecycleError::Register));
        assert_eq!(with(12, 121, 0).check(), Err(LifecycleError::Register));
        assert_eq!(with(36, 24, 0).check(), Err(LifecycleError::Register));
        assert_eq!(with(12, 60, 1).check(), Err(LifecycleError::Silence));
        assert_eq!(with(12, 60, 53).check(), Err(LifecycleError::Silence));
        let threshold = |figures_threshold| Lifecycle {
            figures_threshold,
            ..Lifecycle::default()
        };
        assert_eq!(threshold(3).check(), Ok(()));
        assert_eq!(threshold(50).check(), Ok(()));
        for bad in [0, 1, 2, 51, u32::MAX] {
            assert_eq!(
                threshold(bad).check(),
                Err(LifecycleError::FiguresThreshold)
            );
        }
    }

    #[test]
    fn a_lifecycle_stored_before_the_figures_threshold_reads_with_the_default() {
        let old: Lifecycle = serde_json::from_str(
            r#"{"retention_months":24,"register_months":60,"silence_weeks":6}"#,
        )
        .expect("reads");
        assert_eq!(old.figures_threshold, 5);
        assert_eq!(old.retention_months, 24);
    }

    #[test]
    fn a_hold_only_ever_makes_the_deletion_later() {
        let lifecycle = Lifecycle::default();
        let closed = day("2027-01-31");
        assert_eq!(lifecycle.deletion_day(closed, None), day("2028-01-31"));
        assert_eq!(
            lifecycle.deletion_day(closed, Some(day("2027-06-01"))),
            day("2028-01-31")
        );
        assert_eq!(
            lifecycle.deletion_day(closed, Some(day("2030-06-01"))),
            day("2030-06-01")
        );
        let short = Lifecycle {
            retention_months: 1,
            ..Lifecycle::default()
        };
        // Month ends and leap days: 31 January plus a month is 29 February.
        assert_eq!(
            short.deletion_day(day("2028-01-31"), None),
            day("2028-02-29")
        );
        assert_eq!(lifecycle.register_end(day("2028-02-29")), day("2033-02-28"));
    }
}
