//! The recipients page: the organisation's management and forward
//! recipients as the server serves them, each against the keys the advisor
//! confirmed aloud ([`crate::enrolled`]).
//!
//! A served recipient that is not in the enrolled-keys file gets nothing
//! sealed to it; the page shows its fingerprint, the instruction to compare
//! it aloud with the recipient, and the exact line to add. A confirmed
//! recipient the server no longer serves, or serves in another role, or a
//! served fingerprint that is not its key's, is flagged as a possible key
//! substitution.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use meldkluis_i18n::{t, tf, Arg, Lang};

use super::pages::{layout_in, Page, Section};
use super::{failure, ConsoleState};
use crate::enrolled::{
    check_served_recipients, recipient_standing, ConfirmedRecipient, EnrolledKeys, RecipientRole,
    RecipientStanding, RecipientSubstitution, ServedRecipient,
};

/// `GET /recipients`.
pub(crate) async fn page(State(state): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let (lang, _, warnings) = match state.admit_page(&headers).await {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    let served = match state.client.recipients().await {
        Ok(served) => served,
        Err(error) => return failure(&state, lang, &error),
    };
    let findings = check_served_recipients(&state.enrolled, &served);
    for finding in &findings {
        eprintln!(
            "WARNING: RECIPIENT KEY SUBSTITUTION? {}",
            finding_text(lang, finding)
        );
    }
    recipients_page(
        &state.page(lang, &warnings),
        &state.enrolled,
        &served,
        &findings,
    )
    .into_response()
}

fn role_label(lang: Lang, role: &str) -> String {
    match RecipientRole::from_code(role) {
        Some(RecipientRole::Management) => t(lang, "console-recipients-role-management"),
        Some(RecipientRole::Forward) => t(lang, "console-recipients-role-forward"),
        None => role.to_owned(),
    }
}

/// The text of one finding.
pub(crate) fn finding_text(lang: Lang, finding: &RecipientSubstitution) -> String {
    match finding {
        RecipientSubstitution::NotServed(confirmed) => tf(
            lang,
            "console-recipients-warn-not-served",
            &[
                ("label", Arg::Str(&confirmed.label)),
                ("role", Arg::Str(&role_label(lang, confirmed.role.code()))),
                ("fingerprint", Arg::Str(&confirmed.public_key.fingerprint())),
            ],
        ),
        RecipientSubstitution::OtherRole(confirmed, served) => tf(
            lang,
            "console-recipients-warn-other-role",
            &[
                ("label", Arg::Str(&confirmed.label)),
                ("role", Arg::Str(&role_label(lang, confirmed.role.code()))),
                ("served", Arg::Str(&role_label(lang, served))),
                ("fingerprint", Arg::Str(&confirmed.public_key.fingerprint())),
            ],
        ),
        RecipientSubstitution::WrongFingerprint(key) => tf(
            lang,
            "console-recipients-warn-fingerprint",
            &[("fingerprint", Arg::Str(&key.fingerprint()))],
        ),
    }
}

/// The line of the enrolled-keys file that would confirm a served
/// recipient (the served label; the advisor may write another).
fn line_for(served: &ServedRecipient) -> Option<String> {
    let role = served.role()?;
    let label = served
        .label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let label = label.replace('#', "");
    let label = if label.trim().is_empty() {
        role.code().to_owned()
    } else {
        label.trim().to_owned()
    };
    Some(
        ConfirmedRecipient {
            role,
            public_key: served.public_key,
            label,
        }
        .line(),
    )
}

fn standing_cell(lang: Lang, enrolled: &EnrolledKeys, served: &ServedRecipient) -> Markup {
    match recipient_standing(enrolled, served) {
        RecipientStanding::Confirmed => {
            let label = enrolled
                .recipient(&served.public_key)
                .map_or("", |r| r.label.as_str());
            html! {
                span.badge.on-track { (t(lang, "console-recipients-confirmed")) }
                br; (tf(lang, "console-recipients-confirmed-as", &[("label", Arg::Str(label))]))
            }
        }
        RecipientStanding::Unconfirmed => html! {
            span.badge.due-soon { (t(lang, "console-recipients-unconfirmed")) }
        },
        RecipientStanding::OtherRole(role) => html! {
            span.badge.overdue { (tf(lang, "console-recipients-confirmed-other-role", &[("role", Arg::Str(&role_label(lang, role.code())))])) }
        },
        RecipientStanding::WrongFingerprint => html! {
            span.badge.overdue { (t(lang, "console-recipients-wrong-fingerprint")) }
        },
    }
}

fn recipients_page(
    page: &Page<'_>,
    enrolled: &EnrolledKeys,
    served: &[ServedRecipient],
    findings: &[RecipientSubstitution],
) -> Markup {
    let lang = page.lang;
    let title = t(lang, "console-recipients-title");
    let unconfirmed: Vec<&ServedRecipient> = served
        .iter()
        .filter(|s| recipient_standing(enrolled, s) == RecipientStanding::Unconfirmed)
        .collect();
    layout_in(
        page,
        Section::Recipients,
        &title,
        html! {
            h1 { (title) }
            p { (t(lang, "console-recipients-explain")) }
            @if !findings.is_empty() {
                section.alarm role="alert" id="recipient-substitution" {
                    h2 { (t(lang, "console-recipients-warn-title")) }
                    p { (t(lang, "console-recipients-warn-explain")) }
                    ul {
                        @for finding in findings {
                            li { (finding_text(lang, finding)) }
                        }
                    }
                }
            }
            @if served.is_empty() {
                p id="no-recipients" { (t(lang, "console-recipients-none")) }
            } @else {
                div.table-wrap {
                    table id="recipients" {
                        caption { (t(lang, "console-recipients-caption")) }
                        thead { tr {
                            th scope="col" { (t(lang, "console-recipients-col-role")) }
                            th scope="col" { (t(lang, "console-recipients-col-label")) }
                            th scope="col" { (t(lang, "console-fingerprint")) }
                            th scope="col" { (t(lang, "console-recipients-col-source")) }
                            th scope="col" { (t(lang, "console-recipients-col-enrolled")) }
                            th scope="col" { (t(lang, "console-recipients-col-standing")) }
                        } }
                        tbody {
                            @for recipient in served {
                                tr data-key=(recipient.public_key.to_hex()) data-standing=(format!("{:?}", recipient_standing(enrolled, recipient)).to_lowercase()) {
                                    td { (role_label(lang, &recipient.role)) }
                                    th scope="row" { (recipient.label) }
                                    td { span.fingerprint { (recipient.public_key.fingerprint()) } }
                                    td { (match recipient.key_source.as_str() {
                                        "token" => t(lang, "console-recipients-source-token"),
                                        "code" => t(lang, "console-recipients-source-code"),
                                        other => other.to_owned(),
                                    }) }
                                    td { (recipient.enrolled_day) }
                                    td { (standing_cell(lang, enrolled, recipient)) }
                                }
                            }
                        }
                    }
                }
            }
            @if !unconfirmed.is_empty() {
                section.card id="confirm-recipients" aria-labelledby="confirm-heading" {
                    h2 id="confirm-heading" { (t(lang, "console-recipients-confirm-heading")) }
                    p { (t(lang, "console-recipients-confirm-explain")) }
                    @for recipient in unconfirmed {
                        @if let Some(line) = line_for(recipient) {
                            div.confirm-recipient data-key=(recipient.public_key.to_hex()) {
                                h3 { (recipient.label) " · " (role_label(lang, &recipient.role)) }
                                p { (t(lang, "console-recipients-compare-aloud")) }
                                p { span.fingerprint { (recipient.public_key.fingerprint()) } }
                                p { (t(lang, "console-recipients-add-line")) }
                                pre { code.enrolled-line { (line) } }
                            }
                        }
                    }
                    p.note { (t(lang, "console-recipients-restart")) }
                }
            }
        },
    )
}
