//! The legal clocks of a report (domain.md): what the advisor API shows with
//! every report and what an advisor's daily digest lists. A pure function of
//! a report's dates and status and today, so it can be tested for any day,
//! and the one place these rules live (the advisor console shows what the
//! server computes here).
//!
//! - Acknowledgement of receipt: due 7 days after the report was received,
//!   while the report has not been acknowledged.
//! - Feedback: due 3 months after the acknowledgement, or 3 months after day
//!   7 if none was sent (EU directive 2019/1937, art. 9(1)(f)), while the
//!   report is `new`, `acknowledged` or `in_progress` (not while it waits
//!   for the reporter).
//! - The agreed update date, while the report is not closed or archived.
//!
//! An item is listed when it is overdue, or due within its warning window
//! (7 days for the acknowledgement, which is always within the window, and
//! the configured windows for the others).

use crate::clock::Day;

/// Days after receipt by which receipt must be acknowledged.
pub const ACKNOWLEDGE_WITHIN_DAYS: i64 = 7;
/// Months after acknowledgement (or day 7) by which feedback is due.
pub const FEEDBACK_WITHIN_MONTHS: u32 = 3;

/// What the digest needs to know of a report (metadata only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDates {
    /// The report id.
    pub report_id: [u8; 16],
    /// Day the report was received.
    pub created: Day,
    /// Status code.
    pub status: String,
    /// Day receipt was first acknowledged, if it was.
    pub acknowledged: Option<Day>,
    /// The agreed update date, if set.
    pub agreed_update: Option<Day>,
}

/// The kind of deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeadlineKind {
    /// Acknowledge receipt.
    Acknowledgement,
    /// Give feedback.
    Feedback,
    /// The date agreed with the reporter.
    AgreedUpdate,
}

impl DeadlineKind {
    /// A stable code (stored in the outbox, used in the texts' ids).
    pub fn code(self) -> &'static str {
        match self {
            Self::Acknowledgement => "acknowledgement",
            Self::Feedback => "feedback",
            Self::AgreedUpdate => "agreed_update",
        }
    }

    /// The kind with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "acknowledgement" => Some(Self::Acknowledgement),
            "feedback" => Some(Self::Feedback),
            "agreed_update" => Some(Self::AgreedUpdate),
            _ => None,
        }
    }
}

/// One line of a digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DigestItem {
    /// The deadline day.
    pub due: Day,
    /// What is due.
    pub kind: DeadlineKind,
    /// The report's short id (the first 8 hex digits of its id).
    pub short_id: String,
}

impl DigestItem {
    /// True if the deadline has passed (today is after the due day).
    pub fn overdue(&self, today: Day) -> bool {
        self.due < today
    }
}

/// The warning windows, in days.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// List a feedback deadline this many days ahead.
    pub feedback_days: i64,
    /// List an agreed update date this many days ahead.
    pub update_days: i64,
}

/// The acknowledgement and feedback deadlines of a report.
pub fn acknowledgement_due(report: &ReportDates) -> Day {
    report.created.add_days(ACKNOWLEDGE_WITHIN_DAYS)
}

/// Feedback is due 3 months after the acknowledgement, or after day 7 if
/// receipt was never acknowledged.
pub fn feedback_due(report: &ReportDates) -> Day {
    report
        .acknowledged
        .unwrap_or_else(|| acknowledgement_due(report))
        .add_months(FEEDBACK_WITHIN_MONTHS)
}

/// Every deadline still running for a report, whatever the day.
pub fn running(report: &ReportDates) -> Vec<(DeadlineKind, Day)> {
    let status = report.status.as_str();
    let mut out = Vec::new();
    if report.acknowledged.is_none() && status == "new" {
        out.push((DeadlineKind::Acknowledgement, acknowledgement_due(report)));
    }
    // domain.md: no clock runs while the report waits for the reporter.
    if matches!(status, "new" | "acknowledged" | "in_progress") {
        out.push((DeadlineKind::Feedback, feedback_due(report)));
    }
    if let Some(date) = report.agreed_update {
        if !matches!(status, "closed" | "archived") {
            out.push((DeadlineKind::AgreedUpdate, date));
        }
    }
    out
}

/// The items of one report for the digest of `today`: the running
/// deadlines that are overdue or within their warning window.
pub fn items(report: &ReportDates, today: Day, windows: Windows) -> Vec<DigestItem> {
    let short_id = hex::encode(&report.report_id[..4]);
    running(report)
        .into_iter()
        .filter(|(kind, due)| {
            let window = match kind {
                DeadlineKind::Acknowledgement => ACKNOWLEDGE_WITHIN_DAYS,
                DeadlineKind::Feedback => windows.feedback_days,
                DeadlineKind::AgreedUpdate => windows.update_days,
            };
            today.days_until(*due) <= window
        })
        .map(|(kind, due)| DigestItem {
            due,
            kind,
            short_id: short_id.clone(),
        })
        .collect()
}

/// The whole digest of `today` for a list of reports: every item, the
/// earliest deadline first.
pub fn digest(reports: &[ReportDates], today: Day, windows: Windows) -> Vec<DigestItem> {
    let mut all: Vec<DigestItem> = reports
        .iter()
        .flat_map(|r| items(r, today, windows))
        .collect();
    all.sort();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS: Windows = Windows {
        feedback_days: 14,
        update_days: 7,
    };

    fn today() -> Day {
        Day::parse("2026-11-24").expect("valid")
    }

    fn report(id: u8, days_back: i64, status: &str, ack_back: Option<i64>) -> ReportDates {
        ReportDates {
            report_id: [id; 16],
            created: today().add_days(-days_back),
            status: status.to_owned(),
            acknowledged: ack_back.map(|d| today().add_days(-d)),
            agreed_update: None,
        }
    }

    fn lines(items: &[DigestItem]) -> Vec<(String, DeadlineKind, bool)> {
        items
            .iter()
            .map(|i| (i.due.to_string(), i.kind, i.overdue(today())))
            .collect()
    }

    #[test]
    fn six_eight_eighty_and_ninety_five_days_back() {
        use DeadlineKind::*;
        // 6 days, not acknowledged: acknowledgement due tomorrow.
        assert_eq!(
            lines(&items(&report(1, 6, "new", None), today(), WINDOWS)),
            [("2026-11-25".into(), Acknowledgement, false)]
        );
        // 8 days, not acknowledged: acknowledgement overdue since yesterday.
        assert_eq!(
            lines(&items(&report(2, 8, "new", None), today(), WINDOWS)),
            [("2026-11-23".into(), Acknowledgement, true)]
        );
        // 80 days, acknowledged the next day: feedback due in 12 days.
        assert_eq!(
            lines(&items(
                &report(3, 80, "acknowledged", Some(79)),
                today(),
                WINDOWS
            )),
            [("2026-12-06".into(), Feedback, false)]
        );
        // 80 days, never acknowledged: both overdue and feedback from day 7
        // (2026-09-12 + 3 months = 2026-12-12, 18 days ahead: not yet listed).
        assert_eq!(
            lines(&items(&report(4, 80, "new", None), today(), WINDOWS)),
            [("2026-09-12".into(), Acknowledgement, true)]
        );
        // 95 days, acknowledged the next day: feedback overdue by 2 days.
        assert_eq!(
            lines(&items(
                &report(5, 95, "in_progress", Some(94)),
                today(),
                WINDOWS
            )),
            [("2026-11-22".into(), Feedback, true)]
        );
        // 95 days, never acknowledged: feedback from day 7 (2026-08-28 + 3
        // months = 2026-11-28) is 4 days ahead.
        assert_eq!(
            lines(&items(&report(6, 95, "new", None), today(), WINDOWS)),
            [
                ("2026-08-28".into(), Acknowledgement, true),
                ("2026-11-28".into(), Feedback, false)
            ]
        );
    }

    #[test]
    fn finished_reports_have_no_clock_and_agreed_dates_are_listed() {
        use DeadlineKind::*;
        for status in ["awaiting_reporter", "feedback_given", "closed", "archived"] {
            assert!(items(&report(1, 95, status, Some(94)), today(), WINDOWS).is_empty());
        }
        let mut r = report(7, 30, "in_progress", Some(29));
        r.agreed_update = Some(today().add_days(3));
        assert_eq!(
            lines(&items(&r, today(), WINDOWS)),
            [("2026-11-27".into(), AgreedUpdate, false)]
        );
        r.agreed_update = Some(today().add_days(8));
        assert!(
            items(&r, today(), WINDOWS).is_empty(),
            "8 days is outside 7"
        );
        r.agreed_update = Some(today().add_days(-1));
        r.status = "awaiting_reporter".into();
        assert_eq!(
            lines(&items(&r, today(), WINDOWS)),
            [("2026-11-23".into(), AgreedUpdate, true)]
        );
        r.status = "closed".into();
        assert!(items(&r, today(), WINDOWS).is_empty());
    }

    #[test]
    fn the_digest_is_sorted_by_deadline() {
        let reports = [
            report(1, 6, "new", None),
            report(2, 8, "new", None),
            report(5, 95, "acknowledged", Some(94)),
        ];
        let all = digest(&reports, today(), WINDOWS);
        let days: Vec<String> = all.iter().map(|i| i.due.to_string()).collect();
        assert_eq!(days, ["2026-11-22", "2026-11-23", "2026-11-25"]);
        assert_eq!(all[0].short_id, "05050505");
    }
}
