//! The console's pages, rendered with maud (which escapes everything it
//! renders). Every text comes from `console.ftl` (meldkluis-i18n). No
//! script: forms, links and a stylesheet, so every control works from the
//! keyboard as the browser provides it.

use maud::{html, Markup, DOCTYPE};
use meldkluis_crypto_core::PublicKey;
use meldkluis_i18n::{catalog, t, tf, Arg, Lang};
use serde_json::Value;

use super::deadlines::{add_days, days_until, Urgency, DELETION_SOON_DAYS};
use super::{OpenedThread, Sender, ShownItem};
use crate::client::{
    Deadline, Lifecycle, PublicConfig, Register, ReportEvent, ReportList, ReportSummary,
};
use crate::enrolled::Substitution;
use crate::Error;

/// The console's only stylesheet (`style/console.css`). Colours always
/// come with text: a deadline's state is in its words too, never in its
/// colour alone.
pub(crate) const STYLESHEET: &str = include_str!("style/console.css");

/// What every page needs.
pub(crate) struct Page<'a> {
    pub(crate) lang: Lang,
    pub(crate) csrf: &'a str,
    /// The capability path every address of this console starts with
    /// (`/c/<capability>`).
    pub(crate) base: &'a str,
    pub(crate) tenant: &'a str,
    pub(crate) own_key: &'a PublicKey,
    pub(crate) warnings: &'a [Substitution],
}

/// The first eight characters of an id as the server sent it, whatever
/// its length or characters (never a slice that could split a character).
pub(crate) fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

fn short(key: &PublicKey) -> String {
    key.fingerprint()
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of one substitution finding.
pub(crate) fn substitution_text(lang: Lang, problem: &Substitution) -> String {
    match problem {
        Substitution::UnknownAdvisorKey(key) => tf(
            lang,
            "console-warn-unknown-key",
            &[("fingerprint", Arg::Str(&key.fingerprint()))],
        ),
        Substitution::MissingAdvisorKey(key) => tf(
            lang,
            "console-warn-missing-key",
            &[("fingerprint", Arg::Str(&key.fingerprint()))],
        ),
        Substitution::WrongFingerprint(key) => tf(
            lang,
            "console-warn-wrong-fingerprint",
            &[("fingerprint", Arg::Str(&key.fingerprint()))],
        ),
        Substitution::RecoveryKeyDiffers { served } => {
            let shown = served.map_or_else(|| "-".to_owned(), |k| k.fingerprint());
            tf(
                lang,
                "console-warn-recovery",
                &[("fingerprint", Arg::Str(&shown))],
            )
        }
    }
}

/// The part of the console a page belongs to: its entry in the navigation
/// is marked as the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// The log-in page: no navigation yet.
    LogIn,
    /// The reports and each report.
    Reports,
    /// The register.
    Register,
    /// Figures for management.
    Figures,
    /// The organisation's recipients.
    Recipients,
    /// Anything else (an error, a refusal): navigation, nothing current.
    Other,
}

/// The sections in the navigation: section, path, text id.
const SECTIONS: [(Section, &str, &str); 4] = [
    (Section::Reports, "/reports", "console-reports-title"),
    (Section::Register, "/register", "console-register-title"),
    (Section::Figures, "/figures", "console-nav-figures"),
    (Section::Recipients, "/recipients", "console-nav-recipients"),
];

fn layout(page: &Page<'_>, title: &str, body: Markup) -> Markup {
    layout_in(page, Section::Other, title, body)
}

/// Every page's frame: the header band (product, tenant, own key, the
/// language), the navigation with the current section marked, the
/// key-substitution alarm, then the page itself in `main`.
pub(crate) fn layout_in(page: &Page<'_>, section: Section, title: &str, body: Markup) -> Markup {
    let lang = page.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " · " (t(lang, "console-title")) }
                link rel="stylesheet" href={ (page.base) "/console.css" };
            }
            body {
                a.skip-link href="#main" { (t(lang, "console-skip-to-content")) }
                header.site-header {
                    div.site-header__inner {
                        p.product { (t(lang, "console-title")) " · " (page.tenant) }
                        p.own-key {
                            (t(lang, "console-your-key")) " "
                            span.fingerprint title=(page.own_key.fingerprint()) { (short(page.own_key)) }
                        }
                        nav.language aria-label=(t(lang, "console-language")) {
                            ul {
                                @for other in catalog().languages() {
                                    li {
                                        @if other == lang {
                                            span aria-current="true" { (other.native_name()) }
                                        } @else {
                                            a href={ (page.base) "/lang/" (other.tag()) } lang=(other.tag()) { (other.native_name()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if section != Section::LogIn {
                    nav.sections.pages aria-label=(t(lang, "console-nav")) {
                        ul {
                            @for (entry, path, text) in SECTIONS {
                                li {
                                    a href={ (page.base) (path) } aria-current=[(entry == section).then_some("page")] { (t(lang, text)) }
                                }
                            }
                        }
                    }
                }
                div.site-main {
                    main id="main" tabindex="-1" {
                        @if !page.warnings.is_empty() {
                            section.alarm role="alert" id="key-substitution" {
                                h2 { (t(lang, "console-warn-title")) }
                                p { (t(lang, "console-warn-explain")) }
                                ul {
                                    @for problem in page.warnings {
                                        li { (substitution_text(lang, problem)) }
                                    }
                                }
                            }
                        }
                        (body)
                    }
                }
            }
        }
    }
}

/// 403: a request without the per-run secret.
pub(crate) fn not_admitted(lang: Lang) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head { meta charset="utf-8"; title { (t(lang, "console-title")) } }
            body {
                h1 { (t(lang, "console-not-admitted-title")) }
                p { (t(lang, "console-not-admitted")) }
            }
        }
    }
}

pub(crate) fn login_page(page: &Page<'_>, key: &PublicKey) -> Markup {
    let lang = page.lang;
    layout_in(
        page,
        Section::LogIn,
        &t(lang, "console-login-title"),
        html! {
            div.login.card {
                h1 { (t(lang, "console-login-title")) }
                p { (t(lang, "console-login-explain")) }
                p { (t(lang, "console-fingerprint")) ": " span.fingerprint { (key.fingerprint()) } }
                form method="post" action={ (page.base) "/login" } {
                    input type="hidden" name="csrf" value=(page.csrf);
                    button type="submit" id="login" { (t(lang, "console-login-button")) }
                }
            }
        },
    )
}

pub(crate) fn error_page(page: &Page<'_>, error: &Error) -> Markup {
    let lang = page.lang;
    let text = match error {
        Error::Server { status: 401, .. } | Error::NotLoggedIn => t(lang, "console-error-login"),
        Error::Server { status: 404, .. } => t(lang, "console-error-not-found"),
        Error::Server { code, .. } => {
            // The server's own translated reason, where the catalog has it
            // (errors.ftl: `error-<code>`); else the code.
            let id = format!("error-{code}");
            let text = t(lang, &id);
            if text == id {
                tf(lang, "console-error-server", &[("code", Arg::Str(code))])
            } else {
                text
            }
        }
        Error::Http(_) => t(lang, "console-error-unreachable"),
        Error::Crypto(_) => t(lang, "console-could-not-open"),
        Error::AnswerTooLarge { .. } => t(lang, "console-error-too-large"),
        _ => t(lang, "console-error-other"),
    };
    layout(
        page,
        &t(lang, "console-error-title"),
        html! {
            h1 { (t(lang, "console-error-title")) }
            p.error-text role="alert" { (text) }
            p { a href={ (page.base) "/" } { (t(lang, "console-back")) } }
        },
    )
}

/// 409: the report the server serves now is not the one the advisor read
/// (another mailbox key, another header). Nothing was sent.
pub(crate) fn report_swapped_page(page: &Page<'_>, report_id: &str) -> Markup {
    let lang = page.lang;
    layout(
        page,
        &t(lang, "console-swapped-title"),
        html! {
            section.alarm role="alert" id="report-swapped" {
                h1 { (t(lang, "console-swapped-title")) }
                p { (tf(lang, "console-swapped-explain", &[("id", Arg::Str(&short_id(report_id)))])) }
                p { strong { (t(lang, "console-swapped-nothing-sent")) } }
                p { (t(lang, "console-swapped-what-now")) }
            }
            p { a href={ (page.base) "/reports" } { (t(lang, "console-back-to-list")) } }
        },
    )
}

/// 422: a form the console did not send on (a closure without a reason,
/// a hold without a day or reason). Nothing was sent.
pub(crate) fn input_refused_page(page: &Page<'_>, report_id: &str, text_id: &str) -> Markup {
    let lang = page.lang;
    layout(
        page,
        &t(lang, "console-error-title"),
        html! {
            h1 { (t(lang, "console-error-title")) }
            p.error-text role="alert" id="input-refused" { (t(lang, text_id)) " " (t(lang, "console-nothing-sent")) }
            p { a href={ (page.base) "/reports/" (report_id) } { (t(lang, "console-back-to-report")) } }
        },
    )
}

/// The tenant's register: one line per report from receipt on, kept after
/// the report's content is deleted; codes and days only.
pub(crate) fn register_page(page: &Page<'_>, register: &Register, config: &PublicConfig) -> Markup {
    let lang = page.lang;
    let months = |key: &str| register.lifecycle[key].as_i64();
    html! {
        (layout_in(page, Section::Register, &t(lang, "console-register-title"), html! {
            h1 { (t(lang, "console-register-title")) }
            p { (t(lang, "console-register-explain")) }
            @if let (Some(retention), Some(kept)) = (months("retention_months"), months("register_months")) {
                p.note id="register-terms" { (tf(lang, "console-register-terms", &[("retention", Arg::Num(retention)), ("register", Arg::Num(kept))])) }
            }
            p.no-print { a id="register-csv" href={ (page.base) "/register.csv" } download { (t(lang, "console-register-csv")) } }
            @if register.lines.is_empty() {
                p { (t(lang, "console-register-empty")) }
            } @else {
                div.table-wrap role="region" tabindex="0" aria-labelledby="register-caption" {
                    table id="register" {
                        caption id="register-caption" { (t(lang, "console-register-caption")) }
                        thead { tr {
                            th scope="col" { (t(lang, "console-register-number")) }
                            th scope="col" { (t(lang, "console-col-received")) }
                            th scope="col" { (t(lang, "console-col-channel")) }
                            th scope="col" { (t(lang, "console-col-acknowledged")) }
                            th scope="col" { (t(lang, "console-col-feedback")) }
                            th scope="col" { (t(lang, "console-col-category")) }
                            th scope="col" { (t(lang, "console-closing-reason-shown")) }
                            th scope="col" { (t(lang, "console-closed-on")) }
                            th scope="col" { (t(lang, "console-hold-heading")) }
                            th scope="col" { (t(lang, "console-deletion-heading")) }
                            th scope="col" { (t(lang, "console-deleted-on")) }
                        } }
                        tbody {
                            @for line in &register.lines {
                                tr data-number=(line.number) {
                                    th scope="row" { (line.number) }
                                    td { (line.received_day) }
                                    td { (channel_label(lang, line.channel.as_deref().unwrap_or("web"))) }
                                    td { (line.acknowledged_day.as_deref().unwrap_or("—")) }
                                    td { (line.feedback_day.as_deref().unwrap_or("—")) }
                                    td { (line.category.as_deref().map_or_else(|| t(lang, "console-category-none"), |c| category_label(lang, config, c))) }
                                    td { (line.closing_reason.as_deref().map_or_else(|| "—".to_owned(), |r| closing_reason_label(lang, r))) }
                                    td { (line.closed_day.as_deref().unwrap_or("—")) }
                                    td.hold {
                                        @match (line.hold_until.as_deref(), line.hold_reason.as_deref()) {
                                            (Some(until), reason) => (tf(lang, "console-hold-shown", &[("date", Arg::Str(until)), ("reason", Arg::Str(&reason.map_or_else(|| "—".to_owned(), |r| hold_reason_label(lang, r))))])),
                                            (None, _) => "—",
                                        }
                                    }
                                    td { (line.deletion_day.as_deref().unwrap_or("—")) }
                                    td { (line.deleted_day.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
            }
        }))
    }
}

/// How a report came in (`web`, `oral`, `meeting`), in words (the figures'
/// texts); an unknown code as it is.
fn channel_label(lang: Lang, code: &str) -> String {
    if matches!(code, "web" | "oral" | "meeting") {
        t(lang, &format!("figures-cell-channel-{code}"))
    } else {
        code.to_owned()
    }
}

fn status_label(lang: Lang, status: &str) -> String {
    // The same words the reporter's mailbox uses (common.ftl).
    t(lang, &format!("status-{status}"))
}

/// Every status a report can have.
pub(crate) const STATUSES: [&str; 7] = [
    "new",
    "acknowledged",
    "in_progress",
    "awaiting_reporter",
    "feedback_given",
    "closed",
    "archived",
];

/// The statuses of an open report (the status form offers these; closing
/// has a form of its own, with its reason).
const OPEN_STATUSES: [&str; 5] = [
    "new",
    "acknowledged",
    "in_progress",
    "awaiting_reporter",
    "feedback_given",
];

/// Why a report was closed (codes; the server keeps no free text): the
/// cells of the figures' closing-reason table.
pub(crate) const CLOSING_REASONS: &[&str] = crate::figures::TableId::ClosingReason.fixed_cells();

/// Why one report is kept longer than the tenant's retention period.
pub(crate) const HOLD_REASONS: [&str; 5] = [
    "legal_proceedings",
    "investigation",
    "regulator_request",
    "reporter_request",
    "other",
];

/// The name of a closing reason code (the code itself if unknown).
fn closing_reason_label(lang: Lang, code: &str) -> String {
    if CLOSING_REASONS.contains(&code) {
        t(lang, &format!("console-reason-{}", code.replace('_', "-")))
    } else {
        code.to_owned()
    }
}

/// The name of a hold reason code (the code itself if unknown).
fn hold_reason_label(lang: Lang, code: &str) -> String {
    if HOLD_REASONS.contains(&code) {
        t(
            lang,
            &format!("console-hold-reason-{}", code.replace('_', "-")),
        )
    } else {
        code.to_owned()
    }
}

/// "Deleted on …" with the days left when they can be counted.
fn deletion_text(lang: Lang, today: &str, day: &str) -> String {
    match days_until(today, day) {
        Some(days) if days >= 0 => tf(
            lang,
            "console-deletion-on-days",
            &[("date", Arg::Str(day)), ("days", Arg::Num(days))],
        ),
        _ => tf(lang, "console-deletion-on", &[("date", Arg::Str(day))]),
    }
}

/// Whether a report's content is deleted within the marked window.
fn deleted_soon(today: &str, lifecycle: &Lifecycle) -> bool {
    lifecycle
        .deletion_day
        .as_deref()
        .and_then(|day| days_until(today, day))
        .is_some_and(|days| days <= DELETION_SOON_DAYS)
}

fn deadline_badges(lang: Lang, deadlines: &[Deadline]) -> Markup {
    html! {
        @for deadline in deadlines {
            @let due = &deadline.due;
            @let what = match deadline.kind.as_str() {
                "acknowledgement" => tf(lang, "console-deadline-acknowledgement", &[("date", Arg::Str(due))]),
                "feedback" => tf(lang, "console-deadline-feedback", &[("date", Arg::Str(due))]),
                _ => tf(lang, "console-deadline-agreed", &[("date", Arg::Str(due))]),
            };
            @let (class, state) = match Urgency::of(deadline) {
                Urgency::Overdue => ("badge overdue", tf(lang, "console-overdue", &[("days", Arg::Num(-deadline.days_left))])),
                Urgency::DueSoon => ("badge due-soon", tf(lang, "console-due-soon", &[("days", Arg::Num(deadline.days_left))])),
                Urgency::OnTrack => ("badge on-track", tf(lang, "console-on-track", &[("days", Arg::Num(deadline.days_left))])),
            };
            span class=(class) data-urgency=(class.trim_start_matches("badge ")) { (what) " — " strong { (state) } }
            br;
        }
    }
}

pub(crate) fn category_label(lang: Lang, config: &PublicConfig, id: &str) -> String {
    config.questionnaire["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"].as_str() == Some(id) || c.as_str() == Some(id))
        .and_then(|c| {
            c["label"][lang.tag()]
                .as_str()
                .or_else(|| c["label"]["nl"].as_str())
        })
        .unwrap_or(id)
        .to_owned()
}

pub(crate) fn categories(config: &PublicConfig) -> Vec<String> {
    config.questionnaire["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().or_else(|| c.as_str()))
        .map(str::to_owned)
        .collect()
}

pub(crate) fn reports_page(page: &Page<'_>, list: &ReportList, config: &PublicConfig) -> Markup {
    let lang = page.lang;
    layout_in(
        page,
        Section::Reports,
        &t(lang, "console-reports-title"),
        html! {
            h1 { (t(lang, "console-reports-title")) }
            p.note { (tf(lang, "console-today", &[("date", Arg::Str(&list.today))])) }
            p.no-print { a id="register-oral-link" href={ (page.base) "/reports/oral" } { (t(lang, "oral-register-link")) } }
            @let soon: Vec<&ReportSummary> = list.reports.iter().filter(|r| deleted_soon(&list.today, &r.lifecycle)).collect();
            @if !soon.is_empty() {
                section.note id="deletions-soon" aria-labelledby="deletions-soon-heading" {
                    h2 id="deletions-soon-heading" { (tf(lang, "console-deletions-soon", &[("count", Arg::Num(i64::try_from(soon.len()).unwrap_or(0))), ("days", Arg::Num(DELETION_SOON_DAYS))])) }
                    ul {
                        @for report in &soon {
                            li {
                                a href={ (page.base) "/reports/" (report.report_id) } { (report.created_day) " · " (short_id(&report.report_id)) }
                                " — " (deletion_text(lang, &list.today, report.lifecycle.deletion_day.as_deref().unwrap_or("")))
                            }
                        }
                    }
                }
            }
            @if list.reports.is_empty() {
                p { (t(lang, "console-no-reports")) }
            } @else {
                table id="reports" {
                    caption { (t(lang, "console-reports-caption")) }
                    thead { tr {
                        th scope="col" { (t(lang, "console-col-received")) }
                        th scope="col" { (t(lang, "console-col-status")) }
                        th scope="col" { (t(lang, "console-col-deadlines")) }
                        th scope="col" { (t(lang, "console-col-category")) }
                        th scope="col" { (t(lang, "console-col-thread")) }
                    } }
                    tbody {
                        @for report in &list.reports {
                            @let life = &report.lifecycle;
                            tr data-report=(report.report_id) data-deletion-soon[deleted_soon(&list.today, life)] {
                                td {
                                    a href={ (page.base) "/reports/" (report.report_id) } { (report.created_day) " · " (short_id(&report.report_id)) }
                                    // An oral report (issue 13) says so.
                                    @if report.channel != "web" { br; span.badge data-channel=(report.channel) { (channel_label(lang, &report.channel)) } }
                                }
                                td.status {
                                    (status_label(lang, &report.status))
                                    @if let Some(reason) = life.closing_reason.as_deref().filter(|_| !is_open(&report.status)) {
                                        br; (closing_reason_label(lang, reason))
                                    }
                                    @if let Some(day) = life.deletion_day.as_deref() {
                                        br;
                                        @if deleted_soon(&list.today, life) {
                                            span.badge.deletion-soon data-deletion=(day) { strong { (deletion_text(lang, &list.today, day)) } }
                                        } @else {
                                            span data-deletion=(day) { (deletion_text(lang, &list.today, day)) }
                                        }
                                    }
                                    @if let Some(hold) = &life.hold {
                                        br; span.badge.held { (tf(lang, "console-hold-until", &[("date", Arg::Str(&hold.until))])) }
                                    }
                                    @if life.silence_close_offered && is_open(&report.status) {
                                        br; span.badge.due-soon { (t(lang, "console-silence-badge")) }
                                    }
                                }
                                td { (deadline_badges(lang, &report.deadlines)) }
                                td { (report.category.as_deref().map_or_else(|| t(lang, "console-category-none"), |c| category_label(lang, config, c))) }
                                td { (tf(lang, "console-thread-counts", &[("messages", Arg::Num(i64::try_from(report.message_count).unwrap_or(0))), ("attachments", Arg::Num(i64::try_from(report.attachment_count).unwrap_or(0)))])) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The report's content: its fields as a definition list if it is JSON,
/// else the text.
/// An opened report or message: the formats of `web-client/REPORT-CONTENT.md`
/// as the reporter wrote them, any other JSON as a plain tree, anything
/// else as text.
fn content_view(lang: Lang, config: &PublicConfig, text: &str) -> Markup {
    match serde_json::from_str::<Value>(text) {
        Ok(value) if value["format"] == "meldkluis-report/1" => report_view(lang, &value),
        Ok(value) if value["format"] == crate::reading::ORAL_REPORT_FORMAT => {
            super::oral::oral_report_view(lang, &value)
        }
        Ok(value) if value["format"] == crate::reading::JOIN_FORMAT => {
            super::oral::join_view(lang, &value)
        }
        Ok(value) if value["format"] == "meldkluis-message/1" => message_view(lang, &value),
        Ok(value)
            if matches!(
                value["format"].as_str(),
                Some("meldkluis-approval-request/1" | "meldkluis-approval/1")
            ) =>
        {
            approval_view(lang, &value)
        }
        Ok(value) if super::meetings::is_meeting(&value) => {
            super::meetings::thread_view(lang, &value)
        }
        Ok(value) if value["format"] == "meldkluis-forward-wish/1" => html! {
            p { strong { (t(lang, "console-thread-forward-wish")) } }
            @for paragraph in value["text"].as_str().unwrap_or("").split("\n\n") { p.text { (paragraph) } }
        },
        Ok(value @ (Value::Object(_) | Value::Array(_))) => json_view(lang, config, &value),
        _ => html! { p.text { (text) } },
    }
}

/// An answer in words: text, a list of choices, or a dash when unanswered.
fn answer_text(answer: &Value) -> String {
    match answer {
        Value::String(text) => text.clone(),
        Value::Array(list) => list
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

/// Attachment id → file name, as the opened report and messages name
/// their attachments (`web-client/REPORT-CONTENT.md`).
fn attachment_file_names(contents: &[Value]) -> std::collections::HashMap<&str, &str> {
    contents
        .iter()
        .filter_map(|content| content["attachments"].as_array())
        .flatten()
        .filter_map(|file| Some((file["id"].as_str()?, file["name"].as_str()?)))
        .collect()
}

/// A reporter who gave their name: the name and, when given, the contact
/// (a report's and an oral report's `reporter`).
pub(crate) fn reporter_named(lang: Lang, reporter: &Value) -> Markup {
    html! {
        (tf(lang, "console-reporter-named", &[("name", Arg::Str(reporter["name"].as_str().unwrap_or("?")))]))
        @if let Some(contact) = reporter["contact"].as_str().filter(|c| !c.is_empty()) {
            br; (tf(lang, "console-reporter-contact", &[("contact", Arg::Str(contact))]))
        }
    }
}

/// The advisors a report says it was sealed to, by name (a `dt` and its
/// `dd` in the report's list).
pub(crate) fn sealed_to(lang: Lang, advisors: &Value) -> Markup {
    html! {
        dt { (t(lang, "console-sealed-to")) }
        dd {
            @for (i, advisor) in advisors.as_array().into_iter().flatten().enumerate() {
                @if i > 0 { ", " }
                (advisor["name"].as_str().unwrap_or("?"))
            }
        }
    }
}

/// The names of the files an item says it carries (the attachments
/// themselves are listed, and exported, below the thread).
fn attachment_names(lang: Lang, list: &Value) -> Markup {
    html! {
        @if let Some(list) = list.as_array().filter(|l| !l.is_empty()) {
            p { (t(lang, "console-attachments")) ":" }
            ul.files {
                @for file in list {
                    li {
                        (file["name"].as_str().unwrap_or("?")) " ("
                        (file["type"].as_str().unwrap_or("?")) ", "
                        (tf(lang, "console-size", &[("kib", Arg::Num((file["size"].as_i64().unwrap_or(0) + 1023) / 1024))]))
                        ") " code { (file["id"].as_str().map_or_else(String::new, short_id)) }
                    }
                }
            }
        }
    }
}

/// A report as the reporter filled it in: category, every question with
/// its answer, who they are (or that they stay anonymous), whom they chose.
fn report_view(lang: Lang, report: &Value) -> Markup {
    let reporter = &report["reporter"];
    html! {
        dl.answers {
            @if let Some(category) = report["category"]["label"].as_str() {
                dt { (t(lang, "console-col-category")) }
                dd { (category) }
            }
            @for answer in report["answers"].as_array().into_iter().flatten() {
                dt { (answer["question"].as_str().unwrap_or("?")) }
                dd { (answer_text(&answer["answer"])) }
            }
            dt { (t(lang, "console-reporter")) }
            dd {
                @if reporter["anonymous"] == false {
                    (reporter_named(lang, reporter))
                    br;
                    strong {
                        @if reporter["employer_may_see"] == true {
                            (t(lang, "console-consent-yes"))
                        } @else {
                            (t(lang, "console-consent-no"))
                        }
                    }
                } @else {
                    (t(lang, "console-reporter-anonymous"))
                }
            }
            (sealed_to(lang, &report["advisors"]))
        }
        (attachment_names(lang, &report["attachments"]))
        (super::meetings::report_request_view(lang, &report["meeting_request"]))
    }
}

/// An approval request or a reporter's answer to one, in the thread: one
/// line in words (the forwarding section shows the draft, checks the
/// hash and offers what can be done).
fn approval_view(lang: Lang, value: &Value) -> Markup {
    let draft = short_id(value["draft_id"].as_str().unwrap_or("?"));
    let version = value["version"].as_i64().unwrap_or(0);
    let args = [("draft", Arg::Str(&draft)), ("version", Arg::Num(version))];
    let line = if value["format"] == "meldkluis-approval-request/1" {
        tf(lang, "console-thread-approval-request", &args)
    } else {
        match value["decision"].as_str() {
            Some("approve") => tf(lang, "console-thread-approval-approve", &args),
            Some("decline") => tf(lang, "console-thread-approval-decline", &args),
            Some("withdraw") => tf(lang, "console-thread-approval-withdraw", &args),
            _ => tf(lang, "console-thread-approval-other", &args),
        }
    };
    html! {
        p { (line) " " a href="#forwarding" { (t(lang, "console-thread-to-forwarding")) } }
        @if let Some(comment) = value["comment"].as_str().filter(|c| !c.is_empty()) {
            p { (t(lang, "console-thread-comment")) }
            @for paragraph in comment.split("\n\n") { p.text { (paragraph) } }
        }
    }
}

/// A message: its text, paragraph by paragraph, and the files it names.
fn message_view(lang: Lang, message: &Value) -> Markup {
    let text = message["text"].as_str().unwrap_or("");
    html! {
        @for paragraph in text.split("\n\n") { p.text { (paragraph) } }
        (attachment_names(lang, &message["attachments"]))
    }
}

fn question_label(lang: Lang, config: &PublicConfig, id: &str) -> String {
    config.questionnaire["questions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|q| q["id"].as_str() == Some(id))
        .and_then(|q| {
            q["label"][lang.tag()]
                .as_str()
                .or_else(|| q["label"]["nl"].as_str())
        })
        .unwrap_or(id)
        .to_owned()
}

/// The answers in the questionnaire's order (the JSON object itself has
/// none); fields the questionnaire does not know come after, by name.
fn in_questionnaire_order<'a>(
    config: &PublicConfig,
    map: &'a serde_json::Map<String, Value>,
) -> Vec<(&'a String, &'a Value)> {
    let position = |id: &str| {
        config.questionnaire["questions"]
            .as_array()
            .and_then(|qs| qs.iter().position(|q| q["id"].as_str() == Some(id)))
            .unwrap_or(usize::MAX)
    };
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|(a, _), (b, _)| position(a).cmp(&position(b)).then_with(|| a.cmp(b)));
    entries
}

fn json_view(lang: Lang, config: &PublicConfig, value: &Value) -> Markup {
    match value {
        Value::Object(map) => html! {
            dl.answers {
                @for (question, answer) in in_questionnaire_order(config, map) {
                    dt { (question_label(lang, config, question)) }
                    dd { (json_view(lang, config, answer)) }
                }
            }
        },
        Value::Array(list) => html! {
            ul { @for entry in list { li { (json_view(lang, config, entry)) } } }
        },
        Value::String(text) => html! { (text) },
        Value::Null => html! { "—" },
        other => html! { (other.to_string()) },
    }
}

fn sender_label(lang: Lang, sender: &Sender) -> String {
    match sender {
        Sender::Reporter => t(lang, "console-from-reporter"),
        Sender::You => t(lang, "console-from-you"),
        Sender::Advisor(name) if !name.is_empty() => name.clone(),
        Sender::Advisor(_) => t(lang, "console-from-advisor"),
        Sender::Unknown => t(lang, "console-from-unknown"),
    }
}

fn item_view(lang: Lang, config: &PublicConfig, item: &ShownItem) -> Markup {
    html! {
        article.message data-message=(item.id) data-from=(match item.sender {
            Sender::Reporter => "reporter",
            Sender::You => "you",
            Sender::Advisor(_) => "advisor",
            Sender::Unknown => "unknown",
        }) {
            p { strong { (sender_label(lang, &item.sender)) } " · " (item.day) }
            @match &item.content {
                Some(text) => div.text { (content_view(lang, config, text)) },
                None => p role="alert" { (t(lang, "console-could-not-open")) },
            }
        }
    }
}

/// Whether a status is one of an open report.
fn is_open(status: &str) -> bool {
    !matches!(status, "closed" | "archived")
}

/// Who did something in a report's life: the advisor's name as the tenant
/// lists it, else their number.
fn advisor_label(lang: Lang, config: &PublicConfig, id: Option<i64>) -> String {
    match id {
        None => "—".to_owned(),
        Some(id) => config
            .advisor_names
            .iter()
            .find(|(known, name)| *known == id && !name.is_empty())
            .map_or_else(
                || tf(lang, "console-advisor-number", &[("number", Arg::Num(id))]),
                |(_, name)| name.clone(),
            ),
    }
}

/// An event in words: what happened, with its reason and day.
fn event_text(lang: Lang, event: &ReportEvent) -> String {
    let detail = event.detail.as_deref().unwrap_or("");
    match event.event.as_str() {
        "closed" => tf(
            lang,
            "console-event-closed",
            &[("reason", Arg::Str(&closing_reason_label(lang, detail)))],
        ),
        "reopened" => t(lang, "console-event-reopened"),
        "hold_set" => {
            let (reason, until) = detail.split_once(':').unwrap_or((detail, ""));
            tf(
                lang,
                "console-event-hold-set",
                &[
                    ("reason", Arg::Str(&hold_reason_label(lang, reason))),
                    ("date", Arg::Str(until)),
                ],
            )
        }
        "hold_removed" => t(lang, "console-event-hold-removed"),
        "silence_warning" => t(lang, "console-event-silence-warning"),
        other => other.to_owned(),
    }
}

/// The hidden fields every form of a report carries: the CSRF token and
/// the header hash of the report the advisor read.
fn report_form_fields(page: &Page<'_>, report_hash: &str) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(page.csrf);
        input type="hidden" name="report_hash" value=(report_hash);
    }
}

/// The report's end: its register number, closure, deletion day, hold and
/// the reporter's silence, with the forms to close, reopen and hold it.
fn lifecycle_view(
    page: &Page<'_>,
    id: &str,
    status: &str,
    report_hash: &str,
    life: &Lifecycle,
    today: &str,
) -> Markup {
    let lang = page.lang;
    let base = page.base;
    html! {
        section id="lifecycle" aria-labelledby="lifecycle-heading" {
            h2 id="lifecycle-heading" { (t(lang, "console-lifecycle-heading")) }
            dl.facts {
                @if let Some(number) = life.register_number {
                    dt { (t(lang, "console-register-number")) }
                    dd id="register-number" { (number) }
                }
                @if !is_open(status) {
                    dt { (t(lang, "console-closed-on")) }
                    dd id="closed-day" { (life.closed_day.as_deref().unwrap_or("—")) }
                    dt { (t(lang, "console-closing-reason-shown")) }
                    dd id="closing-reason-shown" { (life.closing_reason.as_deref().map_or_else(|| "—".to_owned(), |r| closing_reason_label(lang, r))) }
                }
                dt { (t(lang, "console-deletion-heading")) }
                dd id="deletion-day" {
                    @match life.deletion_day.as_deref() {
                        Some(day) => (deletion_text(lang, today, day)),
                        None => (t(lang, "console-deletion-after-closure")),
                    }
                }
                dt { (t(lang, "console-hold-heading")) }
                dd id="hold" {
                    @match &life.hold {
                        Some(hold) => (tf(lang, "console-hold-shown", &[("date", Arg::Str(&hold.until)), ("reason", Arg::Str(&hold_reason_label(lang, &hold.reason)))])),
                        None => (t(lang, "console-hold-none")),
                    }
                }
            }
            @if life.silence_close_offered && is_open(status) {
                p.offer id="silence-offer" role="status" {
                    (tf(lang, "console-silence-offer", &[("date", Arg::Str(life.silent_since.as_deref().unwrap_or("—")))]))
                }
            }
            div.form-section {
                @if is_open(status) {
                    form method="post" action={ (base) "/reports/" (id) "/status" } {
                        (report_form_fields(page, report_hash))
                        input type="hidden" name="status" value="closed";
                        fieldset {
                            legend { (t(lang, "console-close-heading")) }
                            p { (t(lang, "console-close-explain")) }
                            label for="close-reason" { (t(lang, "console-closing-reason")) }
                            select id="close-reason" name="closing_reason" required {
                                option value="" { (t(lang, "console-choose")) }
                                @for reason in CLOSING_REASONS {
                                    option value=(reason) { (closing_reason_label(lang, reason)) }
                                }
                            }
                            button id="close-report" type="submit" { (t(lang, "console-close-button")) }
                        }
                    }
                } @else {
                    form method="post" action={ (base) "/reports/" (id) "/status" } {
                        (report_form_fields(page, report_hash))
                        input type="hidden" name="status" value="in_progress";
                        fieldset {
                            legend { (t(lang, "console-reopen-heading")) }
                            p { (t(lang, "console-reopen-explain")) }
                            button id="reopen" type="submit" { (t(lang, "console-reopen-button")) }
                        }
                    }
                    @if status == "closed" {
                        form method="post" action={ (base) "/reports/" (id) "/status" } {
                            (report_form_fields(page, report_hash))
                            input type="hidden" name="status" value="archived";
                            button.secondary id="archive" type="submit" { (t(lang, "console-archive-button")) }
                        }
                    }
                }
                form method="post" action={ (base) "/reports/" (id) "/hold" } {
                    (report_form_fields(page, report_hash))
                    input type="hidden" name="action" value="set";
                    fieldset {
                        legend { (t(lang, "console-hold-set-heading")) }
                        p { (t(lang, "console-hold-explain")) }
                        label for="hold-until" { (t(lang, "console-hold-until-label")) }
                        input id="hold-until" type="date" name="until" required min=(add_days(today, 1).unwrap_or_default()) value=(life.hold.as_ref().map_or("", |h| h.until.as_str()));
                        label for="hold-reason" { (t(lang, "console-hold-reason-label")) }
                        select id="hold-reason" name="reason" required {
                            option value="" { (t(lang, "console-choose")) }
                            @for reason in HOLD_REASONS {
                                option value=(reason) selected[life.hold.as_ref().is_some_and(|h| h.reason == reason)] { (hold_reason_label(lang, reason)) }
                            }
                        }
                        button id="set-hold" type="submit" { (t(lang, "console-hold-set-button")) }
                    }
                }
                @if life.hold.is_some() {
                    form method="post" action={ (base) "/reports/" (id) "/hold" } {
                        (report_form_fields(page, report_hash))
                        input type="hidden" name="action" value="remove";
                        button.secondary id="remove-hold" type="submit" { (t(lang, "console-hold-remove-button")) }
                    }
                }
            }
        }
    }
}

/// The report's life so far: closures, reopenings, holds, each with its
/// day and advisor.
fn history_view(lang: Lang, config: &PublicConfig, events: &[ReportEvent]) -> Markup {
    html! {
        section id="history" aria-labelledby="history-heading" {
            h2 id="history-heading" { (t(lang, "console-history-heading")) }
            @if events.is_empty() {
                p { (t(lang, "console-history-none")) }
            } @else {
                table {
                    caption { (t(lang, "console-history-caption")) }
                    thead { tr {
                        th scope="col" { (t(lang, "console-col-day")) }
                        th scope="col" { (t(lang, "console-col-event")) }
                        th scope="col" { (t(lang, "console-col-advisor")) }
                    } }
                    tbody {
                        @for event in events {
                            tr data-event=(event.event) {
                                td { (event.day) }
                                td { (event_text(lang, event)) }
                                td { (advisor_label(lang, config, event.advisor_id)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn report_page(
    page: &Page<'_>,
    opened: &OpenedThread,
    summary: Option<&ReportSummary>,
    config: &PublicConfig,
    today: &str,
) -> Markup {
    let lang = page.lang;
    let thread = &opened.thread;
    let id = &thread.report_id;
    let title = tf(
        lang,
        "console-report-title",
        &[("id", Arg::Str(&short_id(id)))],
    );
    let base = page.base;
    // The report the advisor reads now: every form names it, and the
    // console acts only while the server still serves this same report.
    let report_hash = opened.report_hash.as_str();
    let current_category = summary.and_then(|s| s.category.as_deref());
    // The thread is fetched fresh; a server that sends the report's end
    // only in the list still shows it.
    let life = if thread.lifecycle.register_number.is_some()
        || thread.lifecycle.closed_day.is_some()
        || thread.lifecycle.deletion_day.is_some()
        || thread.lifecycle.hold.is_some()
        || thread.lifecycle.silent_since.is_some()
    {
        &thread.lifecycle
    } else {
        summary.map_or(&thread.lifecycle, |s| &s.lifecycle)
    };
    let open = is_open(&thread.status);
    let contents: Vec<Value> = opened
        .report
        .iter()
        .chain(opened.messages.iter().filter_map(|m| m.content.as_ref()))
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    let file_names = attachment_file_names(&contents);
    let audio_types = super::voice::audio_types(&contents);
    html! {
        (layout_in(page, Section::Reports, &title, html! {
            p.back.no-print { a href={ (base) "/reports" } { (t(lang, "console-back-to-list")) } }
            h1 { (title) }
            p { (tf(lang, "console-received", &[("date", Arg::Str(&thread.created_day))])) }
            p { (t(lang, "console-col-status")) ": " strong id="status" { (status_label(lang, &thread.status)) } }
            div id="deadlines" { (deadline_badges(lang, summary.map_or(&[][..], |s| &s.deadlines[..]))) }
            (super::meetings::agreed_line(page, opened))
            @if opened.via_grant {
                p.note { (t(lang, "console-via-grant")) }
            }
            section id="report" aria-labelledby="report-heading" {
                h2 id="report-heading" { (t(lang, "console-report-content")) }
                @match &opened.report {
                    Some(text) => div id="report-content" { (content_view(lang, config, text)) },
                    None => p role="alert" { (t(lang, "console-could-not-open")) },
                }
            }
            section id="thread" aria-labelledby="thread-heading" {
                h2 id="thread-heading" { (t(lang, "console-messages")) }
                @if opened.messages.is_empty() { p { (t(lang, "console-no-messages")) } }
                @for message in &opened.messages { (item_view(lang, config, message)) }
                h3 { (t(lang, "console-attachments")) }
                @if opened.attachments.is_empty() { p { (t(lang, "console-no-attachments")) } }
                ul.attachments {
                    @for attachment in &opened.attachments {
                        @let name = file_names.get(attachment.id.as_str()).copied();
                        li {
                            @if let Some(name) = name { strong { (name) } " · " }
                            (sender_label(lang, &attachment.sender)) " · " (attachment.day) " · "
                            (tf(lang, "console-size", &[("kib", Arg::Num(i64::try_from(attachment.size.div_ceil(1024)).unwrap_or(0)))])) " "
                            form.inline method="post" action={ (base) "/reports/" (id) "/attachments/" (attachment.id) "/export" } {
                                input type="hidden" name="csrf" value=(page.csrf);
                                input type="hidden" name="report_hash" value=(report_hash);
                                @if let Some(name) = name { input type="hidden" name="name" value=(name); }
                                button type="submit" { (t(lang, "console-export")) }
                            }
                            @if let Some(audio_type) = audio_types.get(attachment.id.as_str()) {
                                (super::voice::player(lang, base, id, report_hash, &attachment.id, name, audio_type))
                            }
                        }
                    }
                }
                p.note { (t(lang, "console-export-note")) }
            }
            (super::oral::section(page, opened))
            @if let Some(data) = &opened.forwarding {
                (super::forwarding::section(page, opened, data))
            }
            (super::meetings::section(page, opened))
            @if let Some(data) = &opened.minutes {
                (super::minutes::section(page, opened, data))
            }
            (lifecycle_view(page, id, &thread.status, report_hash, life, today))
            (history_view(lang, config, &thread.events))
            section.form-section aria-labelledby="reply-heading" {
                h2 id="reply-heading" { (t(lang, "console-reply")) }
                form method="post" action={ (base) "/reports/" (id) "/reply" } {
                    input type="hidden" name="csrf" value=(page.csrf);
                    input type="hidden" name="report_hash" value=(report_hash);
                    label for="reply-text" { (t(lang, "console-reply-label")) }
                    textarea id="reply-text" name="text" required maxlength="60000" {}
                    button id="send-reply" type="submit" { (t(lang, "console-reply-send")) }
                }
            }
            @if open {
                section.form-section aria-labelledby="status-heading" {
                    h2 id="status-heading" { (t(lang, "console-status-heading")) }
                    form method="post" action={ (base) "/reports/" (id) "/status" } {
                        (report_form_fields(page, report_hash))
                        label for="status-select" { (t(lang, "console-col-status")) }
                        select id="status-select" name="status" {
                            @for status in OPEN_STATUSES {
                                option value=(status) selected[status == thread.status] { (status_label(lang, status)) }
                            }
                        }
                        label for="agreed-date" { (t(lang, "console-agreed-date")) }
                        input id="agreed-date" type="date" name="agreed_update_date" value=(thread.agreed_update_date.as_deref().unwrap_or(""));
                        button id="save-status" type="submit" { (t(lang, "console-save")) }
                    }
                }
            }
            section.form-section aria-labelledby="category-heading" {
                h2 id="category-heading" { (t(lang, "console-category-heading")) }
                p { (t(lang, "console-category-explain")) }
                form method="post" action={ (base) "/reports/" (id) "/category" } {
                    input type="hidden" name="csrf" value=(page.csrf);
                    input type="hidden" name="report_hash" value=(report_hash);
                    label for="category-select" { (t(lang, "console-col-category")) }
                    select id="category-select" name="category" {
                        option value="" { (t(lang, "console-category-none")) }
                        @for category in categories(config) {
                            option value=(category) selected[current_category == Some(category.as_str())] { (category_label(lang, config, &category)) }
                        }
                    }
                    button id="save-category" type="submit" { (t(lang, "console-save")) }
                }
            }
        }))
    }
}
