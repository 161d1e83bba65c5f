//! `GET /t/{tenant}/mailbox`: log in with the login code, then the status,
//! the thread (opened in the browser), replies and the notice address. The
//! logged-in part is rendered hidden and filled by the script.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::html;
use serde_json::json;

use super::{layout, page_data, Context, LangQuery};
use crate::auth::Tenant;
use crate::error::AppError;
use crate::AppState;

/// Texts of a follow-up mailbox (issue 13, `js/follow-up.js`): waiting for
/// an advisor to link it, and once linked.
const FOLLOW_UP_TEXTS: &[&str] = &[
    "oral-mailbox-waiting-title",
    "oral-mailbox-waiting",
    "oral-mailbox-reference-label",
    "oral-mailbox-expires",
    "oral-mailbox-opening",
    "oral-mailbox-joined-title",
    "oral-mailbox-no-join-record",
];

/// Texts the mailbox page's script shows.
const SCRIPT_TEXTS: &[&str] = &[
    "js-loading",
    "js-deriving",
    "js-sending",
    "js-uploading",
    "js-network-error",
    "js-server-error",
    "js-code-wrong-length",
    "js-code-invalid-character",
    "js-code-check-failed",
    "js-login-failed",
    "js-field-email",
    "js-you",
    "js-advisor",
    "js-unverified",
    "js-key-introduced",
    "js-recovery-key-introduced",
    "js-report-unreadable",
    "js-report-substituted",
    "js-bad-answer",
    "js-code-refused",
    "js-message-sent",
    "js-message-empty",
    "js-notice-saved",
    "js-notice-removed",
    "js-download",
    "js-attachment-missing",
    "js-attachment-substituted",
    "js-attachments-too-large",
    "js-size-bytes",
    "js-size-kb",
    "js-size-mb",
    "js-anonymous",
    "js-named",
    "js-consent-yes",
    "js-consent-no",
    "js-category",
    "js-attachments",
    "mailbox-your-report",
    "mailbox-no-messages",
    "mailbox-agreed-none",
    "js-due-by",
    "js-acknowledged-on",
    "js-feedback-given-on",
    "status-new",
    "status-acknowledged",
    "status-in_progress",
    "status-awaiting_reporter",
    "status-feedback_given",
    "status-closed",
    "status-archived",
    // A report's end (issue 11): closure, deletion, the silence warning.
    "js-closed-on",
    "js-closed-on-reason",
    "js-deletion-on",
    "js-silence-warning",
    "js-reason-resolved",
    "js-reason-agreed_with_reporter",
    "js-reason-no_response_from_reporter",
    "js-reason-withdrawn",
    "js-reason-not_a_report",
    "js-reason-other",
    // Approval requests, the reporter's answers and forwarding (issue 12).
    "js-forwarded-to",
    "js-forward-wish-own",
    "js-forward-wish-sent",
    "js-approval-title-forward",
    "js-approval-intro-forward",
    "js-approval-text-forward",
    "js-approval-attachments",
    "js-approval-no-attachments",
    "js-approval-recipients",
    "js-approval-fingerprint",
    "js-approval-hash-mismatch",
    "js-approval-unreadable",
    "js-approval-attachment-mismatch",
    "js-approval-checking",
    "js-approval-comment-forward",
    "js-approval-forward-approve",
    "js-approval-forward-decline",
    "js-approval-forward-withdraw",
    "js-approval-state-forward-approve",
    "js-approval-state-forward-decline",
    "js-approval-state-forward-withdraw",
    "js-approval-used",
    "js-approval-superseded",
    "js-approval-closed-forward",
    "js-approval-sent-approve",
    "js-approval-sent-decline",
    "js-approval-sent-withdraw",
    "js-approval-own-forward-approve",
    "js-approval-own-forward-decline",
    "js-approval-own-forward-withdraw",
    // Minutes the reporter approves (issue 13, js/minutes.js).
    "minutes-mailbox-title",
    "minutes-mailbox-intro",
    "minutes-mailbox-text",
    "minutes-mailbox-approve",
    "minutes-mailbox-decline",
    "minutes-mailbox-comment",
    "minutes-mailbox-comment-required",
    "minutes-mailbox-state-approve",
    "minutes-mailbox-state-decline",
    "minutes-mailbox-state-withdraw",
    "minutes-mailbox-own-approve",
    "minutes-mailbox-own-decline",
    "minutes-mailbox-own-withdraw",
    "minutes-mailbox-sent-approve",
    "minutes-mailbox-sent-decline",
    "minutes-mailbox-superseded",
];

/// Texts of the mailbox's meetings (issue 13, `js/meeting.js`), besides the
/// request fields the report form has too.
const MEETING_TEXTS: &[&str] = &[
    "meeting-weekdays",
    "meeting-moment",
    "meeting-ask-title",
    "meeting-ask-send",
    "meeting-ask-sent",
    "meeting-own-request",
    "meeting-request-times",
    "meeting-request-contact",
    "meeting-proposal-title",
    "meeting-proposal-intro",
    "meeting-proposal-place",
    "meeting-choose-legend",
    "meeting-none-suit",
    "meeting-choice-text",
    "meeting-choose",
    "meeting-choice-sent",
    "meeting-choose-missing",
    "meeting-none-text-needed",
    "meeting-own-choice",
    "meeting-own-none",
    "meeting-replaced",
    "meeting-unreadable",
    "meeting-agreed-title",
    "meeting-agreed",
    "meeting-agreed-place",
    "meeting-agreed-confirmed",
    "meeting-agreed-cancelled",
    "meeting-confirmation",
    "meeting-cancellation",
];

/// `GET /t/{tenant}/mailbox`.
pub(super) async fn page(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let ctx = Context::load(&tenant, &query, &headers).await?;
    let voice_setting = ctx.voice;
    let voice = super::voice::data(&state, &ctx, voice_setting);
    let data = page_data(
        &state,
        &ctx,
        &[
            SCRIPT_TEXTS,
            super::report::MEETING_FORM_TEXTS,
            MEETING_TEXTS,
            FOLLOW_UP_TEXTS,
        ]
        .concat(),
        json!({ "maxAttachmentBytes": ctx.max_attachment_bytes, "voice": voice }),
    );
    let body = html! {
        (data)
        h1 #mailbox-title tabindex="-1" { (ctx.t("mailbox-title")) }
        section #login-screen aria-labelledby="mailbox-title" {
            p { (ctx.t("mailbox-login-intro")) }
            form #login-form novalidate {
                div.field {
                    label for="code-input" { (ctx.t("mailbox-code")) }
                    p.help #help-code-input { (ctx.t("mailbox-code-help")) }
                    input #code-input.code-input type="text" autocomplete="off" autocapitalize="characters"
                        spellcheck="false" maxlength="64" aria-describedby="help-code-input error-code-input";
                    p.field-error #error-code-input hidden {}
                }
                div.actions {
                    button #login-button.button.button--primary type="submit" disabled { (ctx.t("mailbox-login")) }
                }
                progress #login-progress hidden aria-labelledby="login-status" {}
                p #login-status role="status" {}
            }
            p.help { (ctx.t("mailbox-lost")) }
        }
        section #mailbox-screen hidden {
            dl.status-list {
                div { dt { (ctx.t("mailbox-status")) } dd #status-value {} }
                div { dt { (ctx.t("mailbox-received")) } dd #received-value {} }
                div { dt { (ctx.t("mailbox-acknowledgement")) } dd #ack-value {} }
                div { dt { (ctx.t("mailbox-feedback")) } dd #feedback-value {} }
                div { dt { (ctx.t("mailbox-agreed-date")) } dd #agreed-value {} }
                div #closure-row hidden { dt { (ctx.t("mailbox-closed")) } dd #closure-value {} }
                div #forwards-row hidden { dt { (ctx.t("mailbox-forwarded")) } dd { ul #forwards-value.plain-list {} } }
            }
            p #deletion-notice.notice hidden {}
            p #silence-warning.notice.notice--warning hidden {}
            h2 #thread-title { (ctx.t("mailbox-thread")) }
            ol #thread.thread aria-labelledby="thread-title" {}
            p #thread-status role="status" {}
            section.form-section #reply-section aria-labelledby="reply-title" {
                h2 #reply-title { (ctx.t("mailbox-reply")) }
                form #reply-form novalidate {
                    div.field {
                        label for="reply-text" { (ctx.t("mailbox-reply-text")) }
                        textarea #reply-text rows="6" aria-describedby="error-reply-text" {}
                        p.field-error #error-reply-text hidden {}
                    }
                    div.field {
                        label for="reply-attachments" { (ctx.t("mailbox-reply-attachments")) }
                        input #reply-attachments type="file" multiple aria-describedby="error-reply-attachments";
                        p.field-error #error-reply-attachments hidden {}
                    }
                    div.actions {
                        button #reply-send.button.button--primary type="submit" { (ctx.t("mailbox-reply-send")) }
                    }
                    p #reply-status role="status" {}
                }
            }
            section.form-section #wish-section aria-labelledby="wish-title" {
                h2 #wish-title { (ctx.t("mailbox-wish-title")) }
                p.help { (ctx.t("mailbox-wish-help")) }
                form #wish-form novalidate {
                    div.field {
                        label for="wish-text" { (ctx.t("mailbox-wish-text")) }
                        textarea #wish-text rows="3" aria-describedby="error-wish-text" {}
                        p.field-error #error-wish-text hidden {}
                    }
                    div.actions {
                        button #wish-send.button type="submit" { (ctx.t("mailbox-wish-send")) }
                    }
                    p #wish-status role="status" {}
                }
            }
            section.form-section #notice-section aria-labelledby="notice-title" {
                h2 #notice-title { (ctx.t("mailbox-notice")) }
                form #notice-form novalidate {
                    div.field {
                        label for="notice-email" { (ctx.t("mailbox-notice-email")) }
                        p.help #help-notice-email { (ctx.t("mailbox-notice-help")) }
                        input #notice-email type="email" autocomplete="email" maxlength="254"
                            aria-describedby="help-notice-email error-notice-email";
                        p.field-error #error-notice-email hidden {}
                    }
                    div.actions {
                        button #notice-save.button type="submit" { (ctx.t("mailbox-notice-save")) }
                        button #notice-remove.button type="button" { (ctx.t("mailbox-notice-remove")) }
                    }
                    p #notice-status role="status" {}
                }
            }
            div.actions {
                button #logout.button type="button" { (ctx.t("mailbox-logout")) }
            }
        }
    };
    let title = ctx.t("mailbox-title");
    let path = format!("{}/mailbox", ctx.base());
    let page = layout(&state, &ctx, &path, &title, Some("mailbox.js"), body);
    Ok(super::voice::allow_microphone(page, voice_setting))
}
