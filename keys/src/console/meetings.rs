//! Meetings on request (issue 13): the reporter asks for a meeting or call
//! (in the report, or later as a `meldkluis-meeting-request/1` message),
//! the advisor proposes moments here (`meldkluis-meeting-proposal/1`,
//! sealed like a reply), the reporter chooses one in the mailbox
//! (`meldkluis-meeting-choice/1`) and the advisor may confirm or cancel it
//! (`meldkluis-meeting-confirmation/1`). The formats are in
//! `web-client/REPORT-CONTENT.md` ("Meetings").
//!
//! Who may say what, as the console reads the thread:
//!
//! - a request or a choice counts only when it opened with the report's
//!   mailbox key (the sender [`Sender::Reporter`]: HPKE auth mode, so the
//!   server, which does not hold that key, cannot make one; nor can an
//!   advisor);
//! - a proposal or a confirmation counts only when it opened with this
//!   advisor's key or an enrolled advisor key (the console's trusted
//!   advisor senders), never a key only the server names;
//! - a choice counts only for a proposal earlier in the thread and one of
//!   its moments (or none: "no moment suits"); the agreed moment is the
//!   latest such choice when it names a moment.
//!
//! Moments are local times of the tenant, `YYYY-MM-DDTHH:MM`, shown with
//! the weekday in the advisor's language. The propose form is checked here
//! before anything is sealed: a date that does not exist, a time that is
//! not one, a duration outside 5–480 minutes get a translated refusal and
//! nothing is posted.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use meldkluis_crypto_core::{os_rng, PublicKey};
use meldkluis_i18n::{t, tf, Arg, Lang};
use rand_core::RngCore as _;
use serde_json::{json, Value};

use super::deadlines::day_number;
use super::pages::Page;
use super::{
    not_taken, open_thread, refused_input, same_report, ConsoleState, NotTaken, OpenedThread,
    SameReport, Sender, ShownItem,
};

/// The reporter asks for a meeting.
pub const REQUEST_FORMAT: &str = "meldkluis-meeting-request/1";
/// An advisor proposes moments.
pub const PROPOSAL_FORMAT: &str = "meldkluis-meeting-proposal/1";
/// The reporter chooses a moment (or none).
pub const CHOICE_FORMAT: &str = "meldkluis-meeting-choice/1";
/// An advisor confirms or cancels the agreed moment.
pub const CONFIRMATION_FORMAT: &str = "meldkluis-meeting-confirmation/1";

/// The ways to talk, as the contents name them.
pub const WAYS: [&str; 3] = ["in_person", "phone", "video"];

/// Longest texts, in characters.
const MAX_TIMES: usize = 2000;
const MAX_CONTACT: usize = 500;
const MAX_PLACE: usize = 500;
const MAX_TEXT: usize = 2000;
/// Most moments a proposal may hold (the form offers [`FORM_ROWS`]).
const MAX_MOMENTS: usize = 10;
/// Moment rows in the propose form.
const FORM_ROWS: usize = 5;
/// Shortest and longest meeting, in minutes.
const MINUTES: std::ops::RangeInclusive<u32> = 5..=480;

/// A meeting request's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MeetingRequest {
    pub(crate) ways: Vec<String>,
    pub(crate) times: String,
    pub(crate) contact: String,
}

/// One proposed moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Moment {
    /// 16 hex digits.
    pub(crate) id: String,
    /// `YYYY-MM-DDTHH:MM`, the tenant's local time.
    pub(crate) start: String,
    pub(crate) minutes: u32,
}

/// A proposal's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proposal {
    /// 32 hex digits.
    pub(crate) id: String,
    pub(crate) way: String,
    pub(crate) moments: Vec<Moment>,
    pub(crate) place: String,
    pub(crate) text: String,
}

/// A choice's or a confirmation's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) proposal_id: String,
    /// `None`: no moment (none suits; or, in a confirmation, cancelled).
    pub(crate) moment_id: Option<String>,
    pub(crate) text: String,
}

fn is_hex(value: &Value, len: usize) -> bool {
    value.as_str().is_some_and(|s| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A string of at most `max` characters; absent or null when `optional`
/// (then read as ""). `None`: the wrong type, or too long.
fn text_field(value: &Value, max: usize, optional: bool) -> Option<String> {
    match value {
        Value::Null if optional => Some(String::new()),
        Value::String(s) if s.chars().count() <= max => Some(s.clone()),
        _ => None,
    }
}

/// A start time as the contents write it: `YYYY-MM-DDTHH:MM`, a real day
/// and a time of day.
pub(crate) fn is_local_time(start: &str) -> bool {
    start
        .split_once('T')
        .is_some_and(|(day, time)| day_number(day).is_some() && is_time_of_day(time))
}

/// `HH:MM`, 00:00 to 23:59.
fn is_time_of_day(time: &str) -> bool {
    let b = time.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
        && (b[0] - b'0') * 10 + (b[1] - b'0') < 24
        && b[3] < b'6'
}

/// A request's fields (a thread message, or a report's `meeting_request`).
pub(crate) fn read_request(value: &Value) -> Option<MeetingRequest> {
    let ways: Vec<String> = value["ways"]
        .as_array()?
        .iter()
        .map(|w| w.as_str().filter(|w| WAYS.contains(w)).map(str::to_owned))
        .collect::<Option<_>>()?;
    let mut unique = ways.clone();
    unique.sort();
    unique.dedup();
    if ways.is_empty() || unique.len() != ways.len() {
        return None;
    }
    Some(MeetingRequest {
        ways,
        times: text_field(&value["times"], MAX_TIMES, false)?,
        contact: text_field(&value["contact"], MAX_CONTACT, true)?,
    })
}

pub(crate) fn read_proposal(value: &Value) -> Option<Proposal> {
    let way = value["way"].as_str().filter(|w| WAYS.contains(w))?;
    if !is_hex(&value["proposal_id"], 32) {
        return None;
    }
    let list = value["moments"].as_array()?;
    if list.is_empty() || list.len() > MAX_MOMENTS {
        return None;
    }
    let moments: Vec<Moment> = list
        .iter()
        .map(|m| {
            let start = m["start"].as_str().filter(|s| is_local_time(s))?;
            let minutes = m["minutes"]
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| MINUTES.contains(n))?;
            is_hex(&m["id"], 16).then(|| Moment {
                id: m["id"].as_str().unwrap_or_default().to_owned(),
                start: start.to_owned(),
                minutes,
            })
        })
        .collect::<Option<_>>()?;
    let mut ids: Vec<&str> = moments.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != moments.len() {
        return None;
    }
    Some(Proposal {
        id: value["proposal_id"].as_str().unwrap_or_default().to_owned(),
        way: way.to_owned(),
        moments,
        place: text_field(&value["place"], MAX_PLACE, true)?,
        text: text_field(&value["text"], MAX_TEXT, true)?,
    })
}

pub(crate) fn read_answer(value: &Value) -> Option<Answer> {
    if !is_hex(&value["proposal_id"], 32) {
        return None;
    }
    let moment_id = match &value["moment_id"] {
        Value::Null if value.get("moment_id").is_some() => None,
        id if is_hex(id, 16) => id.as_str().map(str::to_owned),
        _ => return None,
    };
    Some(Answer {
        proposal_id: value["proposal_id"].as_str().unwrap_or_default().to_owned(),
        moment_id,
        text: text_field(&value["text"], MAX_TEXT, true)?,
    })
}

/// A day in words: "5 januari 2027".
fn day_text(lang: Lang, day: &str) -> String {
    let months = t(lang, "months");
    let month = day
        .get(5..7)
        .and_then(|m| m.parse::<usize>().ok())
        .and_then(|m| months.split_whitespace().nth(m.checked_sub(1)?));
    match (
        day.get(0..4),
        month,
        day.get(8..10).and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(year), Some(month), Some(date)) => format!("{date} {month} {year}"),
        _ => day.to_owned(),
    }
}

/// "di 5 januari 2027 14:00, 60 min, telefonisch".
pub(crate) fn moment_text(lang: Lang, moment: &Moment, way: &str) -> String {
    let (day, time) = moment.start.split_once('T').unwrap_or((&moment.start, ""));
    // 1970-01-01 (day 0) was a Thursday; the list starts on Monday.
    let weekday = day_number(day)
        .and_then(|n| usize::try_from((n + 3).rem_euclid(7)).ok())
        .and_then(|i| {
            t(lang, "meeting-weekdays")
                .split_whitespace()
                .nth(i)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    tf(
        lang,
        "meeting-moment",
        &[
            ("weekday", Arg::Str(&weekday)),
            ("day", Arg::Str(&day_text(lang, day))),
            ("time", Arg::Str(time)),
            ("minutes", Arg::Num(i64::from(moment.minutes))),
            ("way", Arg::Str(&way_text(lang, way))),
        ],
    )
}

fn way_text(lang: Lang, way: &str) -> String {
    t(lang, &format!("meeting-way-{way}"))
}

/// A proposal as the thread holds it, with the reporter's choices of it.
#[derive(Debug, Clone)]
pub(crate) struct ShownProposal {
    pub(crate) day: String,
    pub(crate) proposal: Proposal,
    /// The reporter's choices (sealed by the mailbox key), in thread order.
    pub(crate) choices: Vec<(String, Answer)>,
}

/// The agreed moment.
#[derive(Debug, Clone)]
pub(crate) struct Agreed {
    pub(crate) proposal: Proposal,
    pub(crate) moment: Moment,
    /// The day an advisor confirmed it.
    pub(crate) confirmed: Option<String>,
    /// The day an advisor cancelled it, and why.
    pub(crate) cancelled: Option<(String, String)>,
}

/// The meeting items of a thread that count, each from whom it must come.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meetings {
    /// The reporter's requests: in the report (day `None`), then in the
    /// thread, sealed by the mailbox key.
    pub(crate) requests: Vec<(Option<String>, MeetingRequest)>,
    /// Proposals sealed by a trusted advisor key, in thread order.
    pub(crate) proposals: Vec<ShownProposal>,
    pub(crate) agreed: Option<Agreed>,
}

impl Meetings {
    /// Reads the opened report and thread. `advisors`: the keys whose
    /// proposals and confirmations count (this advisor's, current and
    /// earlier, and the enrolled advisors').
    pub(crate) fn read(opened: &OpenedThread, advisors: &[PublicKey]) -> Self {
        let mut found = Self::default();
        if let Some(request) = opened
            .report
            .as_deref()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
            .and_then(|report| read_request(&report["meeting_request"]))
        {
            found.requests.push((None, request));
        }
        for item in &opened.messages {
            found.take(item, advisors);
        }
        found
    }

    fn take(&mut self, item: &ShownItem, advisors: &[PublicKey]) {
        let (Some(text), Some(sender)) = (&item.content, item.sender_key) else {
            return;
        };
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let from_reporter = item.sender == Sender::Reporter;
        let from_advisor = !from_reporter && advisors.contains(&sender);
        let day = item.day.clone();
        match value["format"].as_str() {
            Some(REQUEST_FORMAT) if from_reporter => {
                if let Some(request) = read_request(&value) {
                    self.requests.push((Some(day), request));
                }
            }
            Some(PROPOSAL_FORMAT) if from_advisor => {
                // A proposal id is used once: a second could change the
                // moments an earlier choice named.
                if let Some(proposal) = read_proposal(&value)
                    .filter(|p| !self.proposals.iter().any(|s| s.proposal.id == p.id))
                {
                    self.proposals.push(ShownProposal {
                        day,
                        proposal,
                        choices: Vec::new(),
                    });
                }
            }
            Some(CHOICE_FORMAT) if from_reporter => self.choose(day, &value),
            Some(CONFIRMATION_FORMAT) if from_advisor => self.confirm(day, &value),
            _ => {}
        }
    }

    /// A choice: of a proposal shown earlier, and of one of its moments or
    /// none. The latest one decides the agreed moment.
    fn choose(&mut self, day: String, value: &Value) {
        let Some(answer) = read_answer(value) else {
            return;
        };
        let Some(shown) = self
            .proposals
            .iter_mut()
            .find(|s| s.proposal.id == answer.proposal_id)
        else {
            return;
        };
        let moment = match &answer.moment_id {
            None => None,
            Some(id) => match shown.proposal.moments.iter().find(|m| &m.id == id) {
                Some(moment) => Some(moment.clone()),
                None => return,
            },
        };
        self.agreed = moment.map(|moment| Agreed {
            proposal: shown.proposal.clone(),
            moment,
            confirmed: None,
            cancelled: None,
        });
        shown.choices.push((day, answer));
    }

    /// A confirmation counts only for the agreed moment: its moment
    /// confirms it, none cancels it.
    fn confirm(&mut self, day: String, value: &Value) {
        let (Some(answer), Some(agreed)) = (read_answer(value), self.agreed.as_mut()) else {
            return;
        };
        if answer.proposal_id != agreed.proposal.id {
            return;
        }
        match &answer.moment_id {
            None => agreed.cancelled = Some((day, answer.text)),
            Some(id) if *id == agreed.moment.id => agreed.confirmed = Some(day),
            Some(_) => {}
        }
    }
}

/// Whether an opened content is one of the meeting formats.
pub(crate) fn is_meeting(value: &Value) -> bool {
    matches!(
        value["format"].as_str(),
        Some(REQUEST_FORMAT | PROPOSAL_FORMAT | CHOICE_FORMAT | CONFIRMATION_FORMAT)
    )
}

/// A request's ways, times and contact, as a definition list.
fn request_view(lang: Lang, request: &MeetingRequest) -> Markup {
    let ways: Vec<String> = request.ways.iter().map(|w| way_text(lang, w)).collect();
    html! {
        dl.answers.meeting-request {
            dt { (t(lang, "meeting-console-request-ways")) }
            dd { (ways.join(", ")) }
            @if !request.times.is_empty() {
                dt { (t(lang, "meeting-request-times")) }
                dd.text { (request.times) }
            }
            @if !request.contact.is_empty() {
                dt { (t(lang, "meeting-request-contact")) }
                dd.text { (request.contact) }
            }
        }
    }
}

/// A report's `meeting_request`, shown in the report's content (nothing
/// when there is none; a malformed one is shown as the plain JSON below by
/// nobody: it is left out).
pub(crate) fn report_request_view(lang: Lang, value: &Value) -> Markup {
    html! {
        @if let Some(request) = read_request(value) {
            h3 { (t(lang, "meeting-console-thread-request")) }
            (request_view(lang, &request))
        }
    }
}

/// A meeting item in the thread, in words, whoever sealed it (the thread
/// shows the sender; the section below counts only the right ones).
pub(crate) fn thread_view(lang: Lang, value: &Value) -> Markup {
    let link = html! { " " a href="#meetings" { (t(lang, "meeting-console-to-section")) } };
    match value["format"].as_str() {
        Some(REQUEST_FORMAT) => html! {
            p { strong { (t(lang, "meeting-console-thread-request")) } (link) }
            @match read_request(value) {
                Some(request) => (request_view(lang, &request)),
                None => p role="note" { (t(lang, "meeting-unreadable")) },
            }
        },
        Some(PROPOSAL_FORMAT) => html! {
            p { strong { (t(lang, "meeting-console-thread-proposal")) } (link) }
            @match read_proposal(value) {
                Some(proposal) => (moments_view(lang, &proposal)),
                None => p role="note" { (t(lang, "meeting-unreadable")) },
            }
        },
        Some(CHOICE_FORMAT) => html! {
            p { strong { (t(lang, "meeting-console-thread-choice")) } (link) }
            @if let Some(text) = value["text"].as_str().filter(|s| !s.is_empty()) { p.text { (text) } }
        },
        _ => html! {
            p { strong { (t(lang, "meeting-console-thread-confirmation")) } (link) }
            @if let Some(text) = value["text"].as_str().filter(|s| !s.is_empty()) { p.text { (text) } }
        },
    }
}

fn moments_view(lang: Lang, proposal: &Proposal) -> Markup {
    html! {
        ul.moments {
            @for moment in &proposal.moments { li { (moment_text(lang, moment, &proposal.way)) } }
        }
        @if !proposal.place.is_empty() {
            p { (t(lang, "meeting-proposal-place")) " " span.text { (proposal.place) } }
        }
        @if !proposal.text.is_empty() { p.text { (proposal.text) } }
    }
}

/// The agreed moment in one line, at the top of the report page.
pub(crate) fn agreed_line(page: &Page<'_>, opened: &OpenedThread) -> Markup {
    let lang = page.lang;
    html! {
        @if let Some(agreed) = opened.meetings.as_ref().and_then(|m| m.agreed.as_ref()) {
            p.meeting-agreed id="meeting-agreed-top" {
                strong { (tf(lang, "meeting-console-agreed", &[("moment", Arg::Str(&moment_text(lang, &agreed.moment, &agreed.proposal.way)))])) }
                @if let Some((day, _)) = &agreed.cancelled {
                    " — " (tf(lang, "meeting-console-agreed-cancelled", &[("date", Arg::Str(day))]))
                } @else if let Some(day) = &agreed.confirmed {
                    " — " (tf(lang, "meeting-console-agreed-confirmed", &[("date", Arg::Str(day))]))
                }
                " " a href="#meetings" { (t(lang, "meeting-console-to-section")) }
            }
        }
    }
}

/// The report page's meetings section: the reporter's requests, every
/// proposal with the reporter's choices, the agreed moment with "confirm"
/// and "cancel", and the form to propose moments.
pub(crate) fn section(page: &Page<'_>, opened: &OpenedThread) -> Markup {
    let lang = page.lang;
    let id = &opened.thread.report_id;
    let empty = Meetings::default();
    let meetings = opened.meetings.as_ref().unwrap_or(&empty);
    let action = |what: &str| format!("{}/reports/{id}/meetings/{what}", page.base);
    html! {
        section.form-section id="meetings" aria-labelledby="meetings-heading" {
            h2 id="meetings-heading" { (t(lang, "meeting-console-heading")) }
            p { (t(lang, "meeting-console-explain")) }
            h3 { (t(lang, "meeting-console-requests")) }
            @if meetings.requests.is_empty() {
                p { (t(lang, "meeting-console-no-requests")) }
            }
            @for (day, request) in &meetings.requests {
                article.message.meeting-request {
                    p { strong { (t(lang, "console-from-reporter")) } " · " (day.as_deref().map_or_else(|| t(lang, "meeting-console-request-in-report"), str::to_owned)) }
                    (request_view(lang, request))
                }
            }
            @if let Some(agreed) = &meetings.agreed {
                div.card id="meeting-agreed" {
                    p { strong { (tf(lang, "meeting-console-agreed", &[("moment", Arg::Str(&moment_text(lang, &agreed.moment, &agreed.proposal.way)))])) } }
                    @if let Some((day, text)) = &agreed.cancelled {
                        p { (tf(lang, "meeting-console-agreed-cancelled", &[("date", Arg::Str(day))])) }
                        @if !text.is_empty() { p.text { (text) } }
                    } @else {
                        @if let Some(day) = &agreed.confirmed {
                            p { (tf(lang, "meeting-console-agreed-confirmed", &[("date", Arg::Str(day))])) }
                        } @else {
                            form method="post" action=(action("confirm")) {
                                (hidden_fields(page, opened, agreed))
                                input type="hidden" name="action" value="confirm";
                                button id="meeting-confirm" type="submit" { (t(lang, "meeting-console-confirm")) }
                            }
                        }
                        form method="post" action=(action("confirm")) {
                            (hidden_fields(page, opened, agreed))
                            input type="hidden" name="action" value="cancel";
                            label for="meeting-cancel-text" { (t(lang, "meeting-console-cancel-text")) }
                            textarea id="meeting-cancel-text" name="text" maxlength="2000" {}
                            button id="meeting-cancel" type="submit" { (t(lang, "meeting-console-cancel")) }
                        }
                    }
                }
            }
            h3 { (t(lang, "meeting-console-proposals")) }
            @if meetings.proposals.is_empty() {
                p { (t(lang, "meeting-console-no-proposals")) }
            }
            @for shown in &meetings.proposals {
                article.card.meeting-proposal data-proposal=(shown.proposal.id) {
                    h4 { (tf(lang, "meeting-console-proposal-title", &[("date", Arg::Str(&shown.day)), ("way", Arg::Str(&way_text(lang, &shown.proposal.way)))])) }
                    (moments_view(lang, &shown.proposal))
                    @for (day, choice) in &shown.choices {
                        @let moment = choice.moment_id.as_ref().and_then(|id| shown.proposal.moments.iter().find(|m| &m.id == id));
                        p.meeting-choice {
                            @match moment {
                                Some(moment) => (tf(lang, "meeting-console-choice", &[("date", Arg::Str(day)), ("moment", Arg::Str(&moment_text(lang, moment, &shown.proposal.way)))])),
                                None => (tf(lang, "meeting-console-choice-none", &[("date", Arg::Str(day))])),
                            }
                        }
                        @if !choice.text.is_empty() { p.text { (choice.text) } }
                    }
                }
            }
            h3 { (t(lang, "meeting-console-propose-heading")) }
            (propose_form(page, opened, &action("propose")))
        }
    }
}

fn hidden_fields(page: &Page<'_>, opened: &OpenedThread, agreed: &Agreed) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(page.csrf);
        input type="hidden" name="report_hash" value=(opened.report_hash);
        input type="hidden" name="proposal_id" value=(agreed.proposal.id);
        input type="hidden" name="moment_id" value=(agreed.moment.id);
    }
}

fn propose_form(page: &Page<'_>, opened: &OpenedThread, action: &str) -> Markup {
    let lang = page.lang;
    html! {
        form.meeting-propose method="post" action=(action) {
            input type="hidden" name="csrf" value=(page.csrf);
            input type="hidden" name="report_hash" value=(opened.report_hash);
            fieldset {
                legend { (t(lang, "meeting-console-way")) }
                @for (i, way) in WAYS.iter().enumerate() {
                    div.choice {
                        input type="radio" id={ "meeting-way-" (way) } name="way" value=(way) required checked[i == 0];
                        label for={ "meeting-way-" (way) } { (way_text(lang, way)) }
                    }
                }
            }
            p.note { (t(lang, "meeting-console-propose-explain")) }
            @for row in 1..=FORM_ROWS {
                fieldset.meeting-moment {
                    legend { (tf(lang, "meeting-console-moment", &[("number", Arg::Num(i64::try_from(row).unwrap_or(0)))])) }
                    label for={ "meeting-date-" (row) } { (t(lang, "meeting-console-date")) }
                    input type="date" id={ "meeting-date-" (row) } name={ "date-" (row) } required[row == 1];
                    label for={ "meeting-time-" (row) } { (t(lang, "meeting-console-time")) }
                    input type="time" id={ "meeting-time-" (row) } name={ "time-" (row) } required[row == 1];
                    label for={ "meeting-minutes-" (row) } { (t(lang, "meeting-console-minutes")) }
                    input type="number" id={ "meeting-minutes-" (row) } name={ "minutes-" (row) } min="5" max="480" step="5" value="60";
                }
            }
            label for="meeting-place" { (t(lang, "meeting-console-place")) }
            input type="text" id="meeting-place" name="place" maxlength="500";
            label for="meeting-text" { (t(lang, "meeting-console-text")) }
            textarea id="meeting-text" name="text" maxlength="2000" {}
            button id="meeting-propose" type="submit" { (t(lang, "meeting-console-propose-button")) }
        }
    }
}

/// The value of `name` in a posted form (the first, trimmed; "" if none).
fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// A random id of `bytes` bytes, in hex.
fn random_id(bytes: usize) -> String {
    let mut id = vec![0u8; bytes];
    os_rng().fill_bytes(&mut id);
    hex::encode(id)
}

/// The proposal a propose form holds, checked; or the text id of what is
/// wrong with it.
pub(crate) fn proposal_from_form(form: &[(String, String)]) -> Result<Value, &'static str> {
    let way = field(form, "way");
    if !WAYS.contains(&way.as_str()) {
        return Err("meeting-console-error-way");
    }
    let mut moments = Vec::new();
    for row in 1..=FORM_ROWS {
        let (date, time, minutes) = (
            field(form, &format!("date-{row}")),
            field(form, &format!("time-{row}")),
            field(form, &format!("minutes-{row}")),
        );
        if date.is_empty() && time.is_empty() {
            continue;
        }
        if date.is_empty() || time.is_empty() || minutes.is_empty() {
            return Err("meeting-console-error-incomplete");
        }
        if day_number(&date).is_none() {
            return Err("meeting-console-error-date");
        }
        if !is_time_of_day(&time) {
            return Err("meeting-console-error-time");
        }
        let minutes = minutes
            .parse::<u32>()
            .ok()
            .filter(|m| MINUTES.contains(m))
            .ok_or("meeting-console-error-minutes")?;
        moments.push(
            json!({ "id": random_id(8), "start": format!("{date}T{time}"), "minutes": minutes }),
        );
    }
    if moments.is_empty() {
        return Err("meeting-console-error-no-moment");
    }
    let (place, text) = (field(form, "place"), field(form, "text"));
    if place.chars().count() > MAX_PLACE || text.chars().count() > MAX_TEXT {
        return Err("meeting-console-error-too-long");
    }
    let mut proposal = json!({
        "format": PROPOSAL_FORMAT,
        "proposal_id": random_id(16),
        "way": way,
        "moments": moments,
    });
    if !place.is_empty() {
        proposal["place"] = json!(place);
    }
    if !text.is_empty() {
        proposal["text"] = json!(text);
    }
    Ok(proposal)
}

/// Why a meeting form was not acted on.
enum Stop {
    /// The form: a text id of `meeting.ftl`.
    Refused(&'static str),
    NotTaken(NotTaken),
}

impl From<NotTaken> for Stop {
    fn from(why: NotTaken) -> Self {
        Self::NotTaken(why)
    }
}

impl From<crate::Error> for Stop {
    fn from(error: crate::Error) -> Self {
        Self::NotTaken(NotTaken::Failed(error))
    }
}

fn done(state: &ConsoleState, lang: Lang, report_id: &str, result: Result<(), Stop>) -> Response {
    match result {
        Ok(()) => {
            Redirect::to(&format!("{}/reports/{report_id}#meetings", state.base)).into_response()
        }
        Err(Stop::Refused(text_id)) => refused_input(state, lang, report_id, text_id),
        Err(Stop::NotTaken(why)) => not_taken(state, lang, report_id, why),
    }
}

/// Seals `content` as an advisor message of the report the advisor read
/// (the form's `report_hash`) and posts it.
async fn post(
    state: &Arc<ConsoleState>,
    report_id: &str,
    report_hash: &str,
    content: &Value,
) -> Result<(), Stop> {
    let config = state.client.public_config().await?;
    let SameReport { header, .. } = same_report(state, report_id, report_hash).await?;
    let thread = header.item_id;
    state
        .post_advisor_message(header, thread, config, report_id, content.to_string())
        .await?;
    Ok(())
}

/// What a meetings form asks for.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// Propose moments.
    Propose,
    /// Confirm or cancel the agreed moment.
    Confirm,
}

/// `POST /reports/{id}/meetings/propose`: checks the moments and posts a
/// proposal, sealed like a reply.
pub(crate) async fn propose(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    act(&state, &headers, &report_id, &form, Action::Propose).await
}

/// `POST /reports/{id}/meetings/confirm`: confirms (`action=confirm`) or
/// cancels (`action=cancel`, with an optional reason) the agreed moment,
/// only while it is the agreed moment of the thread as read now.
pub(crate) async fn confirm(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    act(&state, &headers, &report_id, &form, Action::Confirm).await
}

/// Admits a meetings form of a report, makes its content (checked here,
/// before anything is sealed) and posts it as an advisor message of the
/// report the advisor read.
async fn act(
    state: &Arc<ConsoleState>,
    headers: &HeaderMap,
    report_id: &str,
    form: &[(String, String)],
    action: Action,
) -> Response {
    let (lang, report_id) = match state.admit_report_post(headers, &field(form, "csrf"), report_id)
    {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let result = async {
        let content = match action {
            Action::Propose => proposal_from_form(form).map_err(Stop::Refused)?,
            Action::Confirm => confirmation(state, &report_id, form).await?,
        };
        post(state, &report_id, &field(form, "report_hash"), &content).await
    }
    .await;
    done(state, lang, &report_id, result)
}

/// The confirmation (or cancellation) a confirm form asks for, only for
/// the agreed moment of the thread as the console reads it now.
async fn confirmation(
    state: &Arc<ConsoleState>,
    report_id: &str,
    form: &[(String, String)],
) -> Result<Value, Stop> {
    let (proposal_id, moment_id, text) = (
        field(form, "proposal_id"),
        field(form, "moment_id"),
        field(form, "text"),
    );
    let cancel = match field(form, "action").as_str() {
        "confirm" => false,
        "cancel" => true,
        _ => return Err(Stop::Refused("console-error-other")),
    };
    if text.chars().count() > MAX_TEXT {
        return Err(Stop::Refused("meeting-console-error-too-long"));
    }
    let config = state.client.public_config().await?;
    let opened = open_thread(state, &config, report_id).await?;
    let meetings = Meetings::read(&opened, &state.trust.advisor_senders);
    let current = meetings.agreed.as_ref().is_some_and(|a| {
        a.proposal.id == proposal_id && a.moment.id == moment_id && a.cancelled.is_none()
    });
    if !current {
        return Err(Stop::Refused("meeting-console-error-not-agreed"));
    }
    let mut content = json!({
        "format": CONFIRMATION_FORMAT,
        "proposal_id": proposal_id,
        "moment_id": if cancel { Value::Null } else { json!(moment_id) },
    });
    if cancel && !text.is_empty() {
        content["text"] = json!(text);
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_propose_form_is_checked_before_anything_is_sealed() {
        let good = [
            ("way", "phone"),
            ("date-1", "2027-01-05"),
            ("time-1", "14:00"),
            ("minutes-1", "60"),
        ];
        let proposal = proposal_from_form(&form(&good)).expect("a proposal");
        let read = read_proposal(&proposal).expect("reads back");
        assert_eq!(read.moments.len(), 1);
        assert_eq!(read.moments[0].start, "2027-01-05T14:00");
        assert_eq!(read.way, "phone");
        let with = |field: &str, value: &str| {
            let mut pairs = good.to_vec();
            pairs.retain(|(k, _)| *k != field);
            pairs.push((field, value));
            proposal_from_form(&form(&pairs)).err()
        };
        assert_eq!(
            with("date-1", "2027-02-30"),
            Some("meeting-console-error-date")
        );
        assert_eq!(
            with("date-1", "5-1-2027"),
            Some("meeting-console-error-date")
        );
        assert_eq!(with("time-1", "24:00"), Some("meeting-console-error-time"));
        assert_eq!(with("time-1", "14:60"), Some("meeting-console-error-time"));
        assert_eq!(with("time-1", "2 uur"), Some("meeting-console-error-time"));
        assert_eq!(
            with("minutes-1", "4"),
            Some("meeting-console-error-minutes")
        );
        assert_eq!(
            with("minutes-1", "481"),
            Some("meeting-console-error-minutes")
        );
        assert_eq!(
            with("minutes-1", "een uur"),
            Some("meeting-console-error-minutes")
        );
        assert_eq!(
            with("minutes-1", ""),
            Some("meeting-console-error-incomplete")
        );
        assert_eq!(with("time-1", ""), Some("meeting-console-error-incomplete"));
        assert_eq!(with("way", "letter"), Some("meeting-console-error-way"));
        assert_eq!(
            with("place", &"x".repeat(501)),
            Some("meeting-console-error-too-long")
        );
        assert_eq!(
            proposal_from_form(&form(&[("way", "video")])).err(),
            Some("meeting-console-error-no-moment")
        );
    }

    #[test]
    fn moments_are_shown_with_their_weekday_in_the_readers_language() {
        let moment = Moment {
            id: "0011223344556677".into(),
            start: "2027-01-05T14:00".into(),
            minutes: 60,
        };
        let lang = |tag| meldkluis_i18n::catalog().lang(tag).expect("a language");
        assert_eq!(
            moment_text(lang("nl"), &moment, "phone"),
            "di 5 januari 2027 14:00, 60 min, telefonisch"
        );
        assert_eq!(
            moment_text(lang("en"), &moment, "phone"),
            "Tue 5 January 2027 14:00, 60 min, by phone"
        );
    }

    #[test]
    fn malformed_contents_are_not_read() {
        let proposal = |moments: Value| {
            read_proposal(&json!({
                "proposal_id": "00112233445566778899aabbccddeeff", "way": "phone", "moments": moments,
            }))
        };
        let moment = |id: &str, start: &str, minutes: u32| json!({ "id": id, "start": start, "minutes": minutes });
        assert!(proposal(json!([moment("0011223344556677", "2027-01-05T14:00", 60)])).is_some());
        assert!(proposal(json!([])).is_none());
        assert!(proposal(json!([moment("0011223344556677", "2027-01-05 14:00", 60)])).is_none());
        assert!(proposal(json!([moment("0011223344556677", "2027-01-05T14:00", 481)])).is_none());
        assert!(proposal(json!([
            moment("0011223344556677", "2027-01-05T14:00", 60),
            moment("0011223344556677", "2027-01-06T14:00", 60)
        ]))
        .is_none());
        assert!(proposal(json!([moment("00112233445566ZZ", "2027-01-05T14:00", 60)])).is_none());
        assert!(read_request(&json!({ "ways": [], "times": "" })).is_none());
        assert!(read_request(&json!({ "ways": ["phone", "phone"], "times": "" })).is_none());
        assert!(read_request(&json!({ "ways": ["letter"], "times": "" })).is_none());
        assert!(read_request(&json!({ "ways": ["phone"], "times": 3 })).is_none());
        assert!(
            read_request(&json!({ "ways": ["phone"], "times": "", "contact": "06" })).is_some()
        );
        assert!(
            read_answer(&json!({ "proposal_id": "00112233445566778899aabbccddeeff" })).is_none()
        );
        assert!(read_answer(
            &json!({ "proposal_id": "00112233445566778899aabbccddeeff", "moment_id": null })
        )
        .is_some());
    }
}
