//! The legal clocks of a report (domain.md): what the advisor API shows with
//! every report, what an advisor's daily digest lists and what the
//! reporter's mailbox shows. A pure function of a report's *recorded* days,
//! the tenant's terms and today, so it can be tested for any day, and the
//! one place these rules live (the advisor console shows what the server
//! computes here).
//!
//! - Acknowledgement of receipt: due the tenant's acknowledgement term
//!   (1 to 7 days, the law's maximum) after receipt; stops on the day receipt
//!   is first acknowledged (the first advisor message or status change),
//!   recorded once.
//! - Feedback: due the earlier of (acknowledgement day + feedback term) and
//!   (receipt + acknowledgement term + feedback term), the term being the
//!   tenant's (1 to 3 months, the law's maximum, EU directive 2019/1937
//!   art. 9(1)(f)), so a late acknowledgement never pushes it past the date
//!   the reporter was shown; stops on the day feedback is first given
//!   (status `feedback_given`, or closure, which tells the reporter the
//!   outcome), recorded once: a later status change does not restart it.
//! - The agreed update date, until the advisor changes or removes it.
//!
//! No status pauses a clock (`awaiting_reporter` does not stop the feedback
//! term); only closure ends them all. An item is listed when it is overdue,
//! or due within its warning window (the acknowledgement term for the
//! acknowledgement, the configured windows for the others).

use crate::clock::Day;

/// The law's longest acknowledgement term, in days.
pub const ACKNOWLEDGE_WITHIN_DAYS: i64 = 7;
/// The law's longest feedback term, in months.
pub const FEEDBACK_WITHIN_MONTHS: u32 = 3;

/// The terms a tenant promises its reporters (its questionnaire profile):
/// never longer than the law's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Days after receipt by which receipt is acknowledged (1 to 7).
    pub acknowledgement_days: i64,
    /// Months by which feedback is given (1 to 3).
    pub feedback_months: u32,
}

impl Terms {
    /// The law's maximum terms: 7 days and 3 months.
    pub const LEGAL: Self = Self {
        acknowledgement_days: ACKNOWLEDGE_WITHIN_DAYS,
        feedback_months: FEEDBACK_WITHIN_MONTHS,
    };

    /// A tenant's terms, held to the law's range whatever is stored.
    pub fn new(acknowledgement_days: u32, feedback_months: u32) -> Self {
        Self {
            acknowledgement_days: i64::from(acknowledgement_days).clamp(1, ACKNOWLEDGE_WITHIN_DAYS),
            feedback_months: feedback_months.clamp(1, FEEDBACK_WITHIN_MONTHS),
        }
    }
}

impl Default for Terms {
    fn default() -> Self {
        Self::LEGAL
    }
}

/// What the clocks need to know of a report (metadata only).
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
    /// Day feedback was first given, if it was.
    pub feedback: Option<Day>,
    /// The agreed update date, if set.
    pub agreed_update: Option<Day>,
    /// The tenant's terms.
    pub terms: Terms,
}

/// Something that happens to a report and may stop a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An advisor's message to the reporter.
    AdvisorMessage,
    /// A message from the reporter (stops no clock).
    ReporterMessage,
    /// An advisor set the status.
    Status(String),
    /// An advisor set (`Some`) or removed (`None`) the agreed update date.
    AgreedUpdate(Option<Day>),
}

/// The days an event records: the first acknowledgement and the first
/// feedback are kept once and never moved. This is the rule the store's
/// SQL follows (`store::record_acknowledgement`, and `store::set_status`
/// through [`gives_feedback`]); the table tests run it here, and
/// `server_deadlines` checks the stored days against it end to end.
pub fn record(report: &mut ReportDates, day: Day, event: &Event) {
    match event {
        Event::AdvisorMessage => {
            report.acknowledged.get_or_insert(day);
        }
        Event::ReporterMessage => {}
        Event::Status(status) => {
            report.acknowledged.get_or_insert(day);
            if gives_feedback(status) {
                report.feedback.get_or_insert(day);
            }
            report.status.clone_from(status);
        }
        Event::AgreedUpdate(date) => report.agreed_update = *date,
    }
}

/// True for a status that tells the reporter what is done or planned.
pub fn gives_feedback(status: &str) -> bool {
    matches!(status, "feedback_given" | "closed")
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

/// The day receipt must be acknowledged by.
pub fn acknowledgement_due(report: &ReportDates) -> Day {
    report.created.add_days(report.terms.acknowledgement_days)
}

/// The day feedback must be given by: the earlier of (acknowledgement day +
/// term) and (receipt + acknowledgement term + term), so neither a late
/// acknowledgement nor none at all moves it past what the reporter was
/// promised at receipt.
pub fn feedback_due(report: &ReportDates) -> Day {
    let months = report.terms.feedback_months;
    let promised = acknowledgement_due(report).add_months(months);
    match report.acknowledged {
        Some(day) => day.add_months(months).min(promised),
        None => promised,
    }
}

/// Every deadline still running for a report, whatever the day.
pub fn running(report: &ReportDates) -> Vec<(DeadlineKind, Day)> {
    let mut out = Vec::new();
    if matches!(report.status.as_str(), "closed" | "archived") {
        return out;
    }
    if report.acknowledged.is_none() {
        out.push((DeadlineKind::Acknowledgement, acknowledgement_due(report)));
    }
    if report.feedback.is_none() {
        out.push((DeadlineKind::Feedback, feedback_due(report)));
    }
    if let Some(date) = report.agreed_update {
        out.push((DeadlineKind::AgreedUpdate, date));
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
                DeadlineKind::Acknowledgement => report.terms.acknowledgement_days,
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
    use DeadlineKind::*;

    const WINDOWS: Windows = Windows {
        feedback_days: 14,
        update_days: 7,
    };

    fn day(text: &str) -> Day {
        Day::parse(text).expect("a valid day in the table")
    }

    fn today() -> Day {
        day("2026-11-24")
    }

    fn received(created: &str, terms: Terms) -> ReportDates {
        ReportDates {
            report_id: [1; 16],
            created: day(created),
            status: "new".into(),
            acknowledged: None,
            feedback: None,
            agreed_update: None,
            terms,
        }
    }

    fn report(id: u8, days_back: i64, status: &str, ack_back: Option<i64>) -> ReportDates {
        ReportDates {
            report_id: [id; 16],
            created: today().add_days(-days_back),
            status: status.to_owned(),
            acknowledged: ack_back.map(|d| today().add_days(-d)),
            feedback: None,
            agreed_update: None,
            terms: Terms::LEGAL,
        }
    }

    fn status(s: &str) -> Event {
        Event::Status(s.into())
    }

    fn lines(items: &[DigestItem]) -> Vec<(String, DeadlineKind, bool)> {
        items
            .iter()
            .map(|i| (i.due.to_string(), i.kind, i.overdue(today())))
            .collect()
    }

    /// One row: the tenant's terms, the day of receipt, what happened on
    /// which day, and the clocks that must then be running.
    struct Case {
        name: &'static str,
        terms: Terms,
        received: &'static str,
        events: Vec<(&'static str, Event)>,
        running: Vec<(DeadlineKind, &'static str)>,
    }

    #[test]
    fn the_clocks_run_on_recorded_days_and_the_tenants_terms() {
        let short = Terms::new(5, 2);
        let cases = [
            Case {
                name: "nothing happened: the law's terms",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![],
                running: vec![(Acknowledgement, "2026-01-17"), (Feedback, "2026-04-17")],
            },
            Case {
                name: "a tenant promising 5 days and 2 months is held to them",
                terms: short,
                received: "2026-01-10",
                events: vec![],
                running: vec![(Acknowledgement, "2026-01-15"), (Feedback, "2026-03-15")],
            },
            Case {
                name: "an early acknowledgement brings feedback forward",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![("2026-01-12", Event::AdvisorMessage)],
                running: vec![(Feedback, "2026-04-12")],
            },
            Case {
                name: "a late acknowledgement does not push feedback past the promise",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![("2026-01-25", status("in_progress"))],
                running: vec![(Feedback, "2026-04-17")],
            },
            Case {
                name: "a late acknowledgement, tenant terms",
                terms: short,
                received: "2026-01-10",
                events: vec![("2026-01-20", Event::AdvisorMessage)],
                running: vec![(Feedback, "2026-03-15")],
            },
            Case {
                name: "a reporter's message acknowledges nothing",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![("2026-01-11", Event::ReporterMessage)],
                running: vec![(Acknowledgement, "2026-01-17"), (Feedback, "2026-04-17")],
            },
            Case {
                name: "waiting for the reporter does not pause feedback",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![("2026-01-12", status("awaiting_reporter"))],
                running: vec![(Feedback, "2026-04-12")],
            },
            Case {
                name: "feedback given, then back in progress: no old deadline returns",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![
                    ("2026-01-11", status("acknowledged")),
                    ("2026-02-01", status("feedback_given")),
                    ("2026-02-10", status("in_progress")),
                ],
                running: vec![],
            },
            Case {
                name: "acknowledged, in progress, awaiting: feedback still runs from the acknowledgement",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![
                    ("2026-01-11", status("acknowledged")),
                    ("2026-01-20", status("in_progress")),
                    ("2026-02-01", status("awaiting_reporter")),
                    ("2026-02-05", status("in_progress")),
                ],
                running: vec![(Feedback, "2026-04-11")],
            },
            Case {
                name: "an agreed date survives a status change without one",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![
                    ("2026-01-11", status("in_progress")),
                    ("2026-01-11", Event::AgreedUpdate(Some(day("2026-02-01")))),
                    ("2026-01-12", status("awaiting_reporter")),
                ],
                running: vec![(Feedback, "2026-04-11"), (AgreedUpdate, "2026-02-01")],
            },
            Case {
                name: "an agreed date goes only when removed explicitly",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![
                    ("2026-01-11", status("in_progress")),
                    ("2026-01-11", Event::AgreedUpdate(Some(day("2026-02-01")))),
                    ("2026-01-12", Event::AgreedUpdate(None)),
                ],
                running: vec![(Feedback, "2026-04-11")],
            },
            Case {
                name: "closure ends every clock and counts as feedback",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![
                    ("2026-01-11", Event::AgreedUpdate(Some(day("2026-02-01")))),
                    ("2026-01-15", status("closed")),
                ],
                running: vec![],
            },
            Case {
                name: "reopened after closure: feedback was given, the agreed date returns",
                terms: Terms::LEGAL,
                received: "2026-01-10",
                events: vec![
                    ("2026-01-11", Event::AgreedUpdate(Some(day("2026-02-01")))),
                    ("2026-01-15", status("closed")),
                    ("2026-01-20", status("in_progress")),
                ],
                running: vec![(AgreedUpdate, "2026-02-01")],
            },
            Case {
                name: "month end: 30 November + 3 months is 28 February",
                terms: Terms::LEGAL,
                received: "2025-11-23",
                events: vec![],
                running: vec![(Acknowledgement, "2025-11-30"), (Feedback, "2026-02-28")],
            },
            Case {
                name: "leap year: 30 November 2023 + 3 months is 29 February 2024",
                terms: Terms::LEGAL,
                received: "2023-11-23",
                events: vec![],
                running: vec![(Acknowledgement, "2023-11-30"), (Feedback, "2024-02-29")],
            },
            Case {
                name: "leap day receipt window",
                terms: Terms::LEGAL,
                received: "2024-02-22",
                events: vec![],
                running: vec![(Acknowledgement, "2024-02-29"), (Feedback, "2024-05-29")],
            },
            Case {
                name: "acknowledged on 31 August: feedback by 30 November",
                terms: Terms::LEGAL,
                received: "2025-08-30",
                events: vec![("2025-08-31", Event::AdvisorMessage)],
                running: vec![(Feedback, "2025-11-30")],
            },
            Case {
                name: "year end with one-month terms",
                terms: Terms::new(1, 1),
                received: "2025-12-30",
                events: vec![],
                running: vec![(Acknowledgement, "2025-12-31"), (Feedback, "2026-01-31")],
            },
        ];
        for case in cases {
            let mut report = received(case.received, case.terms);
            for (on, event) in &case.events {
                record(&mut report, day(on), event);
            }
            let expected: Vec<(DeadlineKind, Day)> =
                case.running.iter().map(|(k, d)| (*k, day(d))).collect();
            assert_eq!(running(&report), expected, "{}", case.name);
        }
    }

    #[test]
    fn recorded_days_are_kept_once() {
        let mut report = received("2026-01-10", Terms::LEGAL);
        record(&mut report, day("2026-01-11"), &status("acknowledged"));
        record(&mut report, day("2026-01-12"), &Event::AdvisorMessage);
        record(&mut report, day("2026-02-01"), &status("feedback_given"));
        record(&mut report, day("2026-02-10"), &status("closed"));
        assert_eq!(report.acknowledged, Some(day("2026-01-11")));
        assert_eq!(report.feedback, Some(day("2026-02-01")));
        assert_eq!(report.status, "closed");
    }

    #[test]
    fn terms_are_held_to_the_law() {
        assert_eq!(Terms::new(0, 0), Terms::new(1, 1));
        assert_eq!(Terms::new(9, 5), Terms::LEGAL);
        assert_eq!(Terms::new(5, 2).acknowledgement_days, 5);
    }

    #[test]
    fn six_eight_eighty_and_ninety_five_days_back() {
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
        // 80 days, never acknowledged: acknowledgement overdue; feedback from
        // day 7 (2026-09-12 + 3 months = 2026-12-12) 18 days ahead, not listed.
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
        // 95 days, never acknowledged: feedback (2026-08-28 + 3 months =
        // 2026-11-28) is 4 days ahead.
        assert_eq!(
            lines(&items(&report(6, 95, "new", None), today(), WINDOWS)),
            [
                ("2026-08-28".into(), Acknowledgement, true),
                ("2026-11-28".into(), Feedback, false)
            ]
        );
    }

    #[test]
    fn the_digest_lists_running_clocks_and_agreed_dates_in_their_windows() {
        // Waiting for the reporter: feedback still overdue.
        assert_eq!(
            lines(&items(
                &report(1, 95, "awaiting_reporter", Some(94)),
                today(),
                WINDOWS
            )),
            [("2026-11-22".into(), Feedback, true)]
        );
        // Feedback recorded: nothing.
        let mut given = report(1, 95, "feedback_given", Some(94));
        given.feedback = Some(today().add_days(-10));
        assert!(items(&given, today(), WINDOWS).is_empty());
        for status in ["closed", "archived"] {
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
    fn the_acknowledgement_window_is_the_tenants_term() {
        let mut r = report(1, 1, "new", None);
        r.terms = Terms::new(3, 1);
        // Received yesterday, due in 2 days: listed (within 3).
        assert_eq!(
            lines(&items(&r, today(), WINDOWS)),
            [("2026-11-26".into(), Acknowledgement, false)]
        );
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
