//! The pages of the organisation's recipients: `GET /t/{tenant}/enrol`
//! (a management or forward recipient without a hardware token makes an
//! enrolment code, from which the browser derives the recipient key, and
//! enrols its public key with the invitation from the link's fragment) and
//! `GET /t/{tenant}/management` (log in with that code, then open the
//! figures reports and forwarded cases sealed to the key).
//!
//! As with the reporter's pages, nothing secret is in the page or sent to
//! it: the invitation stays in the fragment (never sent to a server), the
//! code and the key never leave the browser, and every item is opened by
//! the script (`web-client/js/management.js`). The screens after the first
//! are rendered hidden and shown by the script.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use meldkluis_i18n::Arg;
use serde_json::json;

use super::{framed, page_data, Context, Frame, LangQuery};
use crate::auth::Tenant;
use crate::error::AppError;
use crate::AppState;

/// The frame of both pages: their own `<noscript>` and footer (a recipient
/// is not a reporter).
const RECIPIENT_FRAME: Frame = Frame {
    noscript: "mgmt-noscript",
    footer: &["mgmt-footer"],
    info_link: false,
};

/// The script of both pages (a bundle of its own: the reporter's pages
/// never load it).
const SCRIPT: &str = "management.js";

/// Texts the script shows on either page.
const COMMON_TEXTS: &[&str] = &[
    "js-loading",
    "js-network-error",
    "js-server-error",
    "js-bad-answer",
    "js-code-refused",
    "js-code-wrong-length",
    "js-code-invalid-character",
    "js-code-check-failed",
    "js-size-bytes",
    "js-size-kb",
    "js-size-mb",
    "mgmt-role-management",
    "mgmt-role-forward",
    "mgmt-js-making-key",
];

/// Texts only the enrolment page's script shows.
const ENROL_TEXTS: &[&str] = &[
    "js-copied",
    "js-copy-failed",
    "js-confirm-mismatch",
    "mgmt-js-code-file-title",
    "mgmt-js-code-file-where",
    "mgmt-js-code-file-warning",
    "mgmt-js-enrolling",
    "mgmt-js-invitation-refused",
    "mgmt-js-already-enrolled",
    "mgmt-js-fingerprint-differs",
];

/// Texts only the management page's script shows.
const MANAGEMENT_TEXTS: &[&str] = &[
    "js-download",
    "js-attachment-missing",
    "mgmt-js-logging-in",
    "mgmt-js-login-failed",
    "mgmt-js-signed-in-as",
    "mgmt-js-unverified",
    "mgmt-js-period-quarter",
    "mgmt-js-period-year",
    "mgmt-js-posted-on",
    "mgmt-js-open-figures",
    "mgmt-js-forward-from",
    "mgmt-js-forward-to",
    "mgmt-js-forward-readonly",
    "mgmt-js-attachment-wrong",
    "mgmt-js-figures-unreadable",
];

/// Texts of a figures report (tables, charts, the CSV), shown by the
/// management page's script: the console's words (figures.ftl), but for
/// the number of days, which the script chooses by number itself.
const FIGURES_TEXTS: &[&str] = &[
    "mgmt-js-days-one",
    "mgmt-js-days-other",
    "figures-heading",
    "figures-meta",
    "figures-explain",
    "figures-hidden",
    "figures-total",
    "figures-col-cell",
    "figures-col-count",
    "figures-col-step",
    "figures-col-period",
    "figures-median",
    "figures-p90",
    "figures-too-few",
    "figures-times-caption",
    "figures-time-acknowledgement",
    "figures-time-feedback",
    "figures-time-closure",
    "figures-shares-caption",
    "figures-shares-own-caption",
    "figures-chart-desc",
    "figures-chart-beside",
    "figures-table-category",
    "figures-table-channel",
    "figures-table-status",
    "figures-table-anonymous",
    "figures-table-closing-reason",
    "figures-table-acknowledgement",
    "figures-table-feedback",
    "figures-cell-no-category",
    "figures-cell-channel-web",
    "figures-cell-channel-oral",
    "figures-cell-channel-meeting",
    "figures-cell-status-new",
    "figures-cell-status-acknowledged",
    "figures-cell-status-feedback-given",
    "figures-cell-status-closed",
    "figures-cell-anonymous-anonymous",
    "figures-cell-anonymous-named",
    "figures-cell-anonymous-unknown",
    "figures-cell-closing-reason-resolved",
    "figures-cell-closing-reason-agreed-with-reporter",
    "figures-cell-closing-reason-no-response-from-reporter",
    "figures-cell-closing-reason-withdrawn",
    "figures-cell-closing-reason-not-a-report",
    "figures-cell-closing-reason-other",
    "figures-cell-acknowledgement-met",
    "figures-cell-acknowledgement-missed",
    "figures-cell-feedback-met",
    "figures-cell-feedback-missed",
];

/// Every text of `lists`, once.
fn texts(lists: &[&[&'static str]]) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn field_error(id: &str) -> Markup {
    html! { p.field-error id={ "error-" (id) } hidden {} }
}

/// `GET /t/{tenant}/enrol`: the invitation is in the fragment
/// (`#<64 hex>`), which the browser never sends; the script reads it.
pub(super) async fn enrol_page(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let ctx = Context::load(&tenant, &query, &headers).await?;
    let data = page_data(
        &state,
        &ctx,
        &texts(&[COMMON_TEXTS, ENROL_TEXTS]),
        json!({ "page": "enrol", "managementUrl": format!("{}/management", ctx.base()) }),
    );
    let body = html! {
        (data)
        section #enrol-screen aria-labelledby="enrol-title" {
            h1 #enrol-title tabindex="-1" { (ctx.t("enrol-title")) }
            p.lead { (ctx.tf("enrol-intro", &[("tenant", Arg::Str(&ctx.tenant_name))])) }
            ol.steps {
                li { (ctx.t("enrol-how-1")) }
                li { (ctx.t("enrol-how-2")) }
                li { (ctx.t("enrol-how-3")) }
                li { (ctx.t("enrol-how-4")) }
            }
            p #no-invitation.notice.notice--warning role="alert" hidden { (ctx.t("enrol-no-invitation")) }
            div.actions {
                button #enrol-start.button.button--primary type="button" disabled { (ctx.t("enrol-start")) }
            }
        }
        section #enrol-code-screen hidden aria-labelledby="enrol-code-title" {
            h1 #enrol-code-title tabindex="-1" { (ctx.t("enrol-code-title")) }
            p { (ctx.t("enrol-code-explain")) }
            p.login-code #enrol-code translate="no" {}
            div.actions.no-print {
                button #copy-code.button type="button" { (ctx.t("enrol-copy")) }
                button #download-code.button type="button" { (ctx.t("enrol-download")) }
                button #print-code.button type="button" { (ctx.t("enrol-print")) }
            }
            p #copy-status.no-print role="status" {}
            p.notice.notice--warning { strong { (ctx.t("enrol-code-warning")) } }
            form #confirm-form.no-print novalidate {
                div.field {
                    label for="confirm-input" { (ctx.t("enrol-confirm")) }
                    input #confirm-input type="text" maxlength="8" autocomplete="off" autocapitalize="characters"
                        spellcheck="false" aria-describedby="error-confirm-input";
                    (field_error("confirm-input"))
                }
                div.actions {
                    button #confirm-button.button.button--primary type="submit" { (ctx.t("enrol-confirm-button")) }
                }
                div.progress-area {
                    progress #enrol-progress hidden aria-labelledby="enrol-status" {}
                    p #enrol-status role="status" {}
                    div #enrol-error role="alert" {}
                }
            }
        }
        section #enrol-done-screen hidden aria-labelledby="enrol-done-title" {
            h1 #enrol-done-title tabindex="-1" { (ctx.t("enrol-done-title")) }
            dl.status-list {
                div { dt { (ctx.t("enrol-done-role")) } dd #enrolled-role {} }
                div { dt { (ctx.t("enrol-done-label")) } dd #enrolled-label {} }
            }
            h2 { (ctx.t("enrol-fingerprint-title")) }
            p { (ctx.t("enrol-fingerprint-explain")) }
            p.fingerprint #enrolled-fingerprint translate="no" {}
            p #fingerprint-warning.notice.notice--warning role="alert" hidden { (ctx.t("mgmt-js-fingerprint-differs")) }
            div.actions {
                a.button.button--primary href=(ctx.link("management")) { (ctx.t("enrol-to-management")) }
            }
        }
    };
    let title = ctx.t("enrol-title");
    let path = format!("{}/enrol", ctx.base());
    Ok(framed(
        &state,
        &ctx,
        &path,
        &title,
        Some(SCRIPT),
        &RECIPIENT_FRAME,
        body,
    ))
}

/// `GET /t/{tenant}/management`: log in with the enrolment code, then the
/// figures reports and forwarded cases, opened in the browser.
pub(super) async fn page(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let ctx = Context::load(&tenant, &query, &headers).await?;
    let data = page_data(
        &state,
        &ctx,
        &texts(&[COMMON_TEXTS, MANAGEMENT_TEXTS, FIGURES_TEXTS]),
        json!({ "page": "management" }),
    );
    let body = html! {
        (data)
        h1 #management-title tabindex="-1" { (ctx.t("mgmt-title")) }
        section #login-screen aria-labelledby="management-title" {
            p { (ctx.t("mgmt-login-intro")) }
            form #login-form novalidate {
                div.field {
                    label for="code-input" { (ctx.t("mgmt-code")) }
                    p.help #help-code-input { (ctx.t("mgmt-code-help")) }
                    input #code-input.code-input type="text" autocomplete="off" autocapitalize="characters"
                        spellcheck="false" maxlength="64" aria-describedby="help-code-input error-code-input";
                    (field_error("code-input"))
                }
                div.actions {
                    button #login-button.button.button--primary type="submit" disabled { (ctx.t("mgmt-login")) }
                }
                progress #login-progress hidden aria-labelledby="login-status" {}
                p #login-status role="status" {}
            }
            p.help { (ctx.t("mgmt-lost")) }
        }
        section #items-screen hidden {
            p #signed-in.lead.no-print {}
            p #items-warnings.notice.notice--warning role="alert" hidden {}
            section.no-print #figures-section aria-labelledby="figures-title" {
                h2 #figures-title tabindex="-1" { (ctx.t("mgmt-figures-title")) }
                p #figures-none hidden { (ctx.t("mgmt-figures-none")) }
                ul #figures-list.item-list {}
            }
            section #figures-view.figures hidden aria-labelledby="figures-view-title" {
                h2 #figures-view-title tabindex="-1" {}
                div.actions.no-print {
                    button #print-figures.button type="button" { (ctx.t("mgmt-print")) }
                    button #csv-figures.button type="button" { (ctx.t("mgmt-csv")) }
                    button #close-figures.button type="button" { (ctx.t("mgmt-view-close")) }
                }
                div #figures-content {}
            }
            section #forwards-section aria-labelledby="forwards-title" {
                h2 #forwards-title { (ctx.t("mgmt-forwards-title")) }
                p #forwards-none hidden { (ctx.t("mgmt-forwards-none")) }
                ol #forward-list.thread {}
            }
            div.actions.no-print {
                button #logout.button type="button" { (ctx.t("mgmt-logout")) }
            }
        }
    };
    let title = ctx.t("mgmt-title");
    let path = format!("{}/management", ctx.base());
    Ok(framed(
        &state,
        &ctx,
        &path,
        &title,
        Some(SCRIPT),
        &RECIPIENT_FRAME,
        body,
    ))
}
