//! `GET /t/{tenant}/report`: the reporting form, the login-code screen and
//! the next steps. The form is the tenant's questionnaire; the other two
//! screens are rendered hidden and shown by the script after the report is
//! acknowledged.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use meldkluis_i18n::Arg;
use serde_json::json;

use super::{human_size, layout, page_data, Context, LangQuery};
use crate::auth::Tenant;
use crate::error::AppError;
use crate::profile::{Question, QuestionKind};
use crate::AppState;

/// Texts the report page's script shows.
const SCRIPT_TEXTS: &[&str] = &[
    "js-loading",
    "js-deriving",
    "js-encrypting",
    "js-sending",
    "js-uploading",
    "js-sent",
    "js-network-error",
    "js-retry",
    "js-server-error",
    "js-bad-answer",
    "js-error-summary",
    "js-field-required",
    "js-field-choose",
    "js-field-email",
    "js-advisors-none",
    "js-attachments-too-large",
    "js-copied",
    "js-copy-failed",
    "js-confirm-mismatch",
    "js-size-bytes",
    "js-size-kb",
    "js-size-mb",
    "code-file-title",
    "code-file-where",
    "code-file-warning",
    "code-received",
    "report-keys-recovery",
    "js-keys-changed",
];

/// Texts of the meeting request fields (issue 13, `js/meeting.js`): the
/// report form's optional section and the mailbox's "ask for a meeting".
pub(super) const MEETING_FORM_TEXTS: &[&str] = &[
    "meeting-form-title",
    "meeting-form-help",
    "meeting-form-wanted",
    "meeting-form-ways",
    "meeting-form-times",
    "meeting-form-times-help",
    "meeting-form-contact",
    "meeting-form-contact-help",
    "meeting-error-ways",
    "meeting-error-too-long",
    "meeting-way-in_person",
    "meeting-way-phone",
    "meeting-way-video",
];

/// Texts of the follow-up mailbox choice (issue 13, `js/follow-up.js`).
const FOLLOW_UP_TEXTS: &[&str] = &["oral-follow-up-send"];

/// The help and error lines under a field, for `aria-describedby`.
fn describedby(id: &str, has_help: bool) -> String {
    if has_help {
        format!("help-{id} error-{id}")
    } else {
        format!("error-{id}")
    }
}

fn required_mark(ctx: &Context, required: bool) -> Markup {
    html! {
        @if required { " " span.required { "(" (ctx.t("report-required")) ")" } }
    }
}

fn field_error(id: &str) -> Markup {
    html! { p.field-error id={ "error-" (id) } hidden {} }
}

/// One question of the questionnaire.
fn question(ctx: &Context, q: &Question) -> Markup {
    let lang = ctx.lang;
    let field = format!("q-{}", q.id);
    let help = q.help.as_ref().map(|h| h.get(lang));
    let described = describedby(&field, help.is_some());
    let kind = match q.kind {
        QuestionKind::Text => "text",
        QuestionKind::LongText => "long_text",
        QuestionKind::Choice => "choice",
        QuestionKind::MultipleChoice => "multiple_choice",
        QuestionKind::Date => "date",
        QuestionKind::YesNo => "yes_no",
    };
    let grouped = matches!(
        q.kind,
        QuestionKind::Choice | QuestionKind::MultipleChoice | QuestionKind::YesNo
    );
    html! {
        div.field.question data-question-id=(q.id) data-kind=(kind) data-required=(q.required) {
            @if grouped {
                fieldset aria-describedby=(described) {
                    legend { (q.label.get(lang)) (required_mark(ctx, q.required)) }
                    @if let Some(help) = help { p.help id={ "help-" (field) } { (help) } }
                    @match q.kind {
                        QuestionKind::YesNo => {
                            @for (value, text) in [("yes", ctx.t("report-yes")), ("no", ctx.t("report-no"))] {
                                div.choice {
                                    input type="radio" id={ (field) "-" (value) } name=(field) value=(value);
                                    label for={ (field) "-" (value) } { (text) }
                                }
                            }
                        }
                        _ => {
                            @let input_type = if q.kind == QuestionKind::Choice { "radio" } else { "checkbox" };
                            @for option in &q.options {
                                div.choice {
                                    input type=(input_type) id={ (field) "-" (option.id) } name=(field) value=(option.id);
                                    label for={ (field) "-" (option.id) } { (option.label.get(lang)) }
                                }
                            }
                        }
                    }
                    (field_error(&field))
                }
            } @else {
                label for=(field) { (q.label.get(lang)) (required_mark(ctx, q.required)) }
                @if let Some(help) = help { p.help id={ "help-" (field) } { (help) } }
                @match q.kind {
                    QuestionKind::LongText => {
                        textarea id=(field) rows="8" aria-describedby=(described) aria-required=(q.required) {}
                    }
                    QuestionKind::Date => {
                        input type="date" id=(field) aria-describedby=(described) aria-required=(q.required);
                    }
                    _ => {
                        input type="text" id=(field) aria-describedby=(described) aria-required=(q.required) maxlength="500";
                    }
                }
                (field_error(&field))
            }
        }
    }
}

/// `GET /t/{tenant}/report`.
pub(super) async fn page(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let ctx = Context::load(&tenant, &query, &headers).await?;
    let form = &ctx.questionnaire;
    let lang = ctx.lang;
    let today = state.clock().today();
    let acknowledgement = today.add_days(i64::from(form.acknowledgement_days));
    let feedback = acknowledgement.add_months(form.feedback_months);
    let max_attachments = human_size(lang, ctx.max_attachment_bytes);
    let tips: Vec<String> = if form.tips.is_empty() {
        (1..=5).map(|i| ctx.t(&format!("tip-{i}"))).collect()
    } else {
        form.tips
            .iter()
            .map(|tip| tip.get(lang).to_owned())
            .collect()
    };
    let voice_setting = ctx.voice;
    let voice = super::voice::data(&state, &ctx, voice_setting);
    let data = page_data(
        &state,
        &ctx,
        &[SCRIPT_TEXTS, MEETING_FORM_TEXTS, FOLLOW_UP_TEXTS].concat(),
        json!({
            "maxAttachmentBytes": ctx.max_attachment_bytes,
            "voice": voice,
            "advisors": ctx.advisors.iter().map(|a| json!({
                "id": a.id, "name": a.display_name, "fingerprint": a.public_key.fingerprint(),
            })).collect::<Vec<_>>(),
            "categories": form.categories.iter().map(|c| json!({ "id": c.id, "label": c.label.get(lang) })).collect::<Vec<_>>(),
            "questions": form.questions.iter().map(|q| json!({
                "id": q.id,
                "label": q.label.get(lang),
                "options": q.options.iter().map(|o| json!({ "id": o.id, "label": o.label.get(lang) })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "yesNo": { "yes": ctx.t("report-yes"), "no": ctx.t("report-no") },
        }),
    );
    let body = html! {
        (data)
        @if !ctx.ready {
            h1 { (ctx.t("report-title")) }
            p.notice.notice--warning { (ctx.t("start-not-ready")) }
        } @else {
        div #report-screen {
            h1 { (ctx.t("report-title")) }
            p { (ctx.t("report-intro")) }
            div #error-summary.error-summary tabindex="-1" hidden {
                p #error-summary-title {}
                ul #error-summary-list {}
            }
            form #report-form novalidate {
                // "I have already spoken to an advisor" (issue 13): the
                // same form makes a follow-up mailbox (js/follow-up.js).
                fieldset #follow-up-choice.form-section aria-describedby="follow-up-explain" {
                    legend { (ctx.t("oral-follow-up-legend")) }
                    div.choice {
                        input type="radio" id="kind-report" name="kind" value="report" checked;
                        label for="kind-report" { (ctx.t("oral-follow-up-new-report")) }
                    }
                    div.choice {
                        input type="radio" id="kind-follow-up" name="kind" value="follow-up";
                        label for="kind-follow-up" { (ctx.t("oral-follow-up-option")) }
                    }
                    p.help #follow-up-explain hidden { (ctx.t("oral-follow-up-explain")) }
                }
                @if !form.categories.is_empty() {
                    div.field.question data-question-id="category" data-kind="category" {
                        fieldset {
                            legend { (ctx.t("report-category")) }
                            @for category in &form.categories {
                                div.choice {
                                    input type="radio" id={ "category-" (category.id) } name="category" value=(category.id);
                                    label for={ "category-" (category.id) } { (category.label.get(lang)) }
                                }
                            }
                            div.choice {
                                input type="radio" id="category-none" name="category" value="";
                                label for="category-none" { (ctx.t("report-category-none")) }
                            }
                        }
                    }
                }
                section.form-section aria-labelledby="questions-title" {
                    h2 #questions-title { (ctx.t("report-questions")) }
                    @for q in &form.questions { (question(&ctx, q)) }
                }
                section.form-section aria-labelledby="identity-title" {
                    h2 #identity-title { (ctx.t("report-identity")) }
                    fieldset aria-describedby="help-identity" {
                        legend.visually-hidden { (ctx.t("report-identity")) }
                        div.choice {
                            input type="radio" id="identity-anonymous" name="identity" value="anonymous" checked;
                            label for="identity-anonymous" { (ctx.t("report-identity-anonymous")) }
                        }
                        div.choice {
                            input type="radio" id="identity-named" name="identity" value="named";
                            label for="identity-named" { (ctx.t("report-identity-named")) }
                        }
                        p.help #help-identity { (ctx.t("report-identity-anonymous-help")) }
                    }
                    div #identity-details hidden {
                        div.field {
                            label for="reporter-name" { (ctx.t("report-name")) (required_mark(&ctx, true)) }
                            input type="text" id="reporter-name" autocomplete="name" maxlength="200" aria-describedby="error-reporter-name";
                            (field_error("reporter-name"))
                        }
                        div.field {
                            label for="reporter-contact" { (ctx.t("report-contact")) }
                            p.help #help-reporter-contact { (ctx.t("report-contact-help")) }
                            input type="text" id="reporter-contact" maxlength="200" aria-describedby="help-reporter-contact";
                        }
                        div.field.choice {
                            input type="checkbox" id="reporter-consent" aria-describedby="help-reporter-consent";
                            label for="reporter-consent" { (ctx.t("report-consent")) }
                            p.help #help-reporter-consent { (ctx.t("report-consent-help")) }
                        }
                    }
                }
                section.form-section aria-labelledby="advisors-title" data-follow-up="keep" {
                    h2 #advisors-title { (ctx.t("report-advisors")) }
                    fieldset aria-describedby="help-advisors error-advisors" {
                        legend.visually-hidden { (ctx.t("report-advisors")) }
                        p.help #help-advisors { (ctx.t("report-advisors-help")) }
                        @for advisor in &ctx.advisors {
                            div.choice {
                                input type="checkbox" id={ "advisor-" (advisor.id) } name="advisor" value=(advisor.id) checked;
                                label for={ "advisor-" (advisor.id) } { (advisor.display_name) }
                            }
                        }
                        (field_error("advisors"))
                    }
                    // Filled in by the script from the very keys it seals
                    // to, with fingerprints it computes itself.
                    details #advisor-keys hidden {
                        summary { (ctx.t("report-keys-title")) }
                        p { (ctx.t("report-keys-explain")) }
                        dl.fingerprints #advisor-key-list {}
                    }
                }
                section.form-section aria-labelledby="attachments-title" {
                    h2 #attachments-title { (ctx.t("report-attachments")) }
                    div.field {
                        label for="attachments" { (ctx.t("report-attachments")) }
                        p.help #help-attachments { (ctx.tf("report-attachments-help", &[("max", Arg::Str(&max_attachments))])) }
                        input type="file" id="attachments" multiple aria-describedby="help-attachments error-attachments";
                        ul #attachment-list.file-list {}
                        (field_error("attachments"))
                    }
                }
                section.form-section aria-labelledby="notice-title" data-follow-up="keep" {
                    h2 #notice-title { (ctx.t("report-notice")) }
                    div.field {
                        label for="notice-email" { (ctx.t("report-notice-email")) }
                        p.help #help-notice-email { (ctx.t("report-notice-help")) }
                        input type="email" id="notice-email" autocomplete="email" maxlength="254" aria-describedby="help-notice-email error-notice-email";
                        (field_error("notice-email"))
                    }
                }
                div.actions data-follow-up="keep" {
                    button #send.button.button--primary type="submit" disabled { (ctx.t("report-send")) }
                }
                div.progress-area data-follow-up="keep" {
                    progress #send-progress hidden aria-labelledby="send-status" {}
                    p #send-status role="status" {}
                    div #send-error role="alert" {}
                    button #send-retry.button type="button" hidden { (ctx.t("js-retry")) }
                }
            }
        }
        section #code-screen hidden aria-labelledby="code-title" {
            h1 #code-title tabindex="-1" { (ctx.t("code-title")) }
            p #received-date {}
            div #follow-up-reference-area.notice hidden {
                h2 { (ctx.t("oral-follow-up-reference-title")) }
                p { (ctx.t("oral-follow-up-reference-explain")) }
                p.login-code #follow-up-reference translate="no" {}
                p { strong { (ctx.t("oral-follow-up-reference-not-code")) } }
            }
            p #notice-not-saved.notice.notice--warning hidden { (ctx.t("code-notice-not-saved")) }
            p #attachments-not-sent.notice.notice--warning hidden { (ctx.t("code-attachments-not-sent")) }
            h2 { (ctx.t("code-your-code")) }
            p { (ctx.t("code-explain")) }
            p.login-code #login-code translate="no" {}
            div.actions.no-print {
                button #copy-code.button type="button" { (ctx.t("code-copy")) }
                button #download-code.button type="button" { (ctx.t("code-download")) }
                button #print-code.button type="button" { (ctx.t("code-print")) }
            }
            p #copy-status role="status" {}
            p.notice.notice--warning { strong { (ctx.t("code-warning")) } }
            form #confirm-form.no-print novalidate {
                div.field {
                    label for="confirm-input" { (ctx.t("code-confirm")) }
                    input type="text" id="confirm-input" maxlength="8" autocomplete="off" autocapitalize="characters" spellcheck="false" aria-describedby="error-confirm-input";
                    (field_error("confirm-input"))
                }
                button #confirm-button.button.button--primary type="submit" { (ctx.t("code-confirm-button")) }
            }
        }
        section #next-screen hidden aria-labelledby="next-title" {
            h1 #next-title tabindex="-1" { (ctx.t("next-title")) }
            p #follow-up-next hidden { (ctx.t("oral-follow-up-next")) }
            ul.deadlines data-new-report-only {
                li { (ctx.tf("next-acknowledgement", &[("date", Arg::Str(&acknowledgement.display(lang)))])) }
                li { (ctx.tf("next-feedback", &[("date", Arg::Str(&feedback.display(lang)))])) }
                li { (ctx.t("next-mailbox")) }
            }
            h2 { (ctx.t("next-tips-title")) }
            ul.tips { @for tip in &tips { li { (tip) } } }
            div.actions { a.button.button--primary href=(ctx.link("mailbox")) { (ctx.t("next-to-mailbox")) } }
        }
        }
    };
    let title = ctx.t("report-title");
    let path = format!("{}/report", ctx.base());
    let page = layout(&state, &ctx, &path, &title, Some("report.js"), body);
    Ok(super::voice::allow_microphone(page, voice_setting))
}
