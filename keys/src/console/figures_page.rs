//! `/figures`: figures reports for the organisation's management
//! recipients (issue 12), made here, where reports are opened.
//!
//! The advisor chooses an ended quarter or year (never free dates), sees a
//! preview (the figures module's suppressed tables and charts, computed
//! from the register's lines, what this console opens of each live report
//! received in the period, and the tenant's earlier published figures
//! reports, opened with this key), and publishes it: the
//! `meldkluis-figures/1` document is sealed here, as a message item whose
//! report id is its own item id, from this advisor's key to
//!
//! - every management recipient confirmed aloud in the enrolled-keys file
//!   *and* served by `GET advisor/recipients` in that role
//!   ([`crate::enrolled::sealable_recipients`]): a management key only the
//!   server names gets nothing; and
//! - the tenant's advisors confirmed in the file and served in the public
//!   configuration, and this key (never the recovery key: figures are
//!   aggregate and the server refuses it).
//!
//! The publish form carries a digest of the document previewed; the
//! document is computed again at publishing and sent only if it is the one
//! the advisor saw. A CSV of the same suppressed tables can be downloaded
//! for a preview or a published report.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use meldkluis_crypto_core::{
    open_item, os_rng, seal_item, Expect, ItemId, ItemKind, PublicKey, SealParams,
};
use meldkluis_i18n::{t, tf, Arg, Lang};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::pages::{self, Page, Section};
use super::{canonical_id, csv, failure, ConsoleState};
use crate::client::{PublicConfig, PublishedFigures, RegisterLine};
use crate::enrolled::{
    recipient_standing, sealable_recipients, RecipientRole, RecipientStanding, ServedRecipient,
};
use crate::figures::{self, CaseRecord, FiguresReport, Opened, Period, Setup};
use crate::reading;
use crate::Error;

/// How many years back the period choice reaches when the register is
/// empty.
const YEARS_SHOWN_WITHOUT_REGISTER: i32 = 1;

/// A published figures report, opened (or not) with this key.
struct Published {
    summary: PublishedFigures,
    /// The report, when it opened from a trusted advisor and parsed.
    report: Option<FiguresReport>,
}

/// Everything a preview or a publication needs, fetched and computed.
struct Prepared {
    config: PublicConfig,
    warnings: Vec<crate::enrolled::Substitution>,
    today: String,
    period: Period,
    report: FiguresReport,
    published: Vec<Published>,
    served: Vec<ServedRecipient>,
}

/// What stops a figures report from being made or published.
enum Refusal {
    /// The period is not one that may be chosen (not well formed, not
    /// ended); a figures text id.
    Invalid(&'static str),
    /// An earlier figures report of the same year does not open with this
    /// key: the suppression audit would not know its cells.
    EarlierUnreadable(Vec<String>),
    /// The document differs from the one previewed.
    Changed,
    /// No management recipient is both confirmed and served.
    NoManagement,
    /// The server states a figures threshold below 3 (a breached server
    /// lowering it): refused, never raised to something the advisor does
    /// not see.
    Threshold(u32),
    /// The server, the network or the key.
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

/// The period a request names, checked: well formed and ended by the
/// server's today.
fn chosen_period(text: &str, today: &str) -> Result<Period, Refusal> {
    let period = Period::parse(text.trim()).map_err(|e| Refusal::Invalid(e.text_id()))?;
    if !period.ended(today) {
        return Err(Refusal::Invalid(
            figures::FiguresError::NotEnded(period).text_id(),
        ));
    }
    Ok(period)
}

/// The advisor keys a figures report may come from: the enrolled advisors,
/// this key and its earlier ones.
fn trusted_senders(state: &ConsoleState) -> Vec<PublicKey> {
    let mut senders = state.enrolled.advisor_keys();
    senders.push(state.public_key);
    senders.extend(state.enrolled.earlier.iter().copied());
    senders
}

/// The tenant's published figures reports, each opened with this key:
/// only from a trusted advisor, of this tenant, and with the item's report
/// id its own id.
async fn published(state: &Arc<ConsoleState>) -> Result<Vec<Published>, Error> {
    let list = state.client.published_figures().await?;
    let mut sealed = Vec::with_capacity(list.len());
    for summary in list {
        let Some(id) = canonical_id(&summary.item_id) else {
            return Err(Error::Protocol("figures list: an item id is not one"));
        };
        let bytes = state.client.figures_item(&id).await?;
        sealed.push((summary, bytes));
    }
    let senders = trusted_senders(state);
    let tenant = state.client.tenant().clone();
    state
        .with_key(move |key| {
            sealed
                .into_iter()
                .map(|(summary, bytes)| {
                    let report = open_item(
                        &bytes,
                        key,
                        &Expect {
                            tenant: &tenant,
                            senders: &senders,
                        },
                    )
                    .ok()
                    .filter(|opened| {
                        opened.header.kind == ItemKind::Message
                            && opened.header.report_id == opened.header.item_id
                            && opened.header.item_id.to_hex() == summary.item_id
                    })
                    .and_then(|opened| FiguresReport::from_json(&opened.content).ok())
                    .filter(|report| {
                        report.tenant == tenant.as_str()
                            && report.period.to_string() == summary.period
                    });
                    Published { summary, report }
                })
                .collect()
        })
        .await
}

/// What this console opens of each live report received in `period`:
/// anonymous or named, and the reporter's own category. A report that does
/// not open counts as unknown.
async fn opened_reports(
    state: &Arc<ConsoleState>,
    lines: &[RegisterLine],
    period: Period,
) -> Result<Vec<Option<Opened>>, Error> {
    let mut threads = Vec::with_capacity(lines.len());
    for line in lines {
        let report_id = line
            .report_id
            .as_deref()
            .filter(|_| period.contains(&line.received_day))
            .and_then(canonical_id);
        threads.push(match report_id {
            Some(id) => match state.client.thread(&id).await {
                Ok(thread) if thread.report_id == id => Some(thread),
                // Deleted in the meantime, or the server answers another
                // report: unknown, not a failure of the whole report.
                Ok(_) | Err(Error::Server { status: 404, .. }) => None,
                Err(error) => return Err(error),
            },
            None => None,
        });
    }
    let trust = state.trust.clone();
    state
        .with_key(move |key| {
            threads
                .into_iter()
                .map(|thread| {
                    let thread = thread?;
                    let bytes = thread.report_bytes().ok()?;
                    let opened = reading::open_report(key, &trust, &thread, &bytes).ok()?;
                    let content: serde_json::Value =
                        serde_json::from_slice(&opened.content).ok()?;
                    Some(Opened {
                        // Named only when the report says so.
                        anonymous: content["reporter"]["anonymous"] != false,
                        reporter_category: content["category"]["id"]
                            .as_str()
                            .or_else(|| content["category"].as_str())
                            .map(str::to_owned),
                    })
                })
                .collect()
        })
        .await
}

/// Fetches everything and computes the figures report for `period_text`.
async fn prepare(state: &Arc<ConsoleState>, period_text: &str) -> Result<Prepared, Refusal> {
    let config = state.client.public_config().await?;
    let warnings = state.substitutions(&config);
    let today = state.client.reports().await?.today;
    let period = chosen_period(period_text, &today)?;
    let register = state.client.register().await?;
    // The tenant's threshold as the server states it, checked before
    // anything is computed: below 3 is refused (domain.md), not clamped.
    let served_k = register.tenant_lifecycle()?.figures_threshold;
    let threshold = figures::Threshold::new(served_k).map_err(|_| Refusal::Threshold(served_k))?;
    let published = published(state).await?;
    let unreadable: Vec<String> = published
        .iter()
        .filter(|p| p.report.is_none())
        .filter(|p| {
            Period::parse(&p.summary.period).map_or(true, |other| other.year() == period.year())
        })
        .map(|p| p.summary.period.clone())
        .collect();
    if !unreadable.is_empty() {
        return Err(Refusal::EarlierUnreadable(unreadable));
    }
    let opened = opened_reports(state, &register.lines, period).await?;
    let records: Vec<CaseRecord> = register
        .lines
        .iter()
        .zip(&opened)
        .map(|(line, opened)| CaseRecord::from_register(line, opened.as_ref()))
        .collect();
    let setup = Setup {
        tenant: state.client.tenant().as_str().to_owned(),
        today: today.clone(),
        terms: figures::Terms::from_questionnaire(&config.questionnaire),
        threshold,
        categories: figures::CategoryDef::from_questionnaire(&config.questionnaire),
    };
    let earlier: Vec<FiguresReport> = published.iter().filter_map(|p| p.report.clone()).collect();
    // The exact suppression audit can take most of a second on a tenant
    // with many small cells (keys/benches/figures.rs): off the async
    // workers, so the console keeps answering meanwhile.
    let report =
        tokio::task::spawn_blocking(move || figures::compute(period, &records, &setup, &earlier))
            .await
            .map_err(|_| Error::Protocol("the figures computation stopped"))?
            .map_err(|e| Refusal::Invalid(e.text_id()))?;
    let served = state.client.recipients().await?;
    Ok(Prepared {
        config,
        warnings,
        today,
        period,
        report,
        published,
        served,
    })
}

/// The tenant's other figures reports that opened, for the deadline
/// shares over the quarters.
fn history(published: &[Published], shown: &FiguresReport) -> Vec<FiguresReport> {
    published
        .iter()
        .filter_map(|p| p.report.clone())
        .filter(|r| r != shown)
        .collect()
}

/// The digest the publish form carries: SHA-256 of the document shown.
fn digest(report: &FiguresReport) -> String {
    hex::encode(Sha256::digest(report.to_json()))
}

/// The keys a figures report is sealed to: the confirmed and served
/// management recipients, the confirmed and served advisors, this key.
fn figures_recipients(
    state: &ConsoleState,
    config: &PublicConfig,
    served: &[ServedRecipient],
) -> Vec<PublicKey> {
    let mut keys: Vec<PublicKey> =
        sealable_recipients(&state.enrolled, served, RecipientRole::Management)
            .into_iter()
            .map(|r| r.public_key)
            .collect();
    keys.push(state.public_key);
    for advisor in state.enrolled.advisor_keys() {
        let served_too = config.advisors.iter().any(|(k, _)| k.public_key == advisor);
        if served_too && !keys.contains(&advisor) {
            keys.push(advisor);
        }
    }
    keys
}

#[derive(Debug, Deserialize)]
pub(super) struct HomeQuery {
    /// The item id just published, to say so.
    #[serde(default)]
    published: Option<String>,
}

/// `GET /figures`: the period choice and the published reports.
pub(super) async fn home(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Query(query): Query<HomeQuery>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let result = async {
        let config = state.client.public_config().await?;
        let today = state.client.reports().await?.today;
        let register = state.client.register().await?;
        let published = published(&state).await?;
        Ok::<_, Error>((config, today, register.lines, published))
    }
    .await;
    let (config, today, lines, published) = match result {
        Ok(fetched) => fetched,
        Err(error) => return failure(&state, lang, &error),
    };
    let warnings = state.substitutions(&config);
    let page = state.page(lang, &warnings);
    let just = query
        .published
        .as_deref()
        .and_then(canonical_id)
        .and_then(|id| published.iter().find(|p| p.summary.item_id == id));
    let periods = choosable_periods(&lines, &today);
    pages::layout_in(
        &page,
        Section::Figures,
        &t(lang, "console-figures-title"),
        html! {
            h1 { (t(lang, "console-figures-title")) }
            p { (t(lang, "console-figures-explain")) }
            @if let Some(just) = just {
                p.note role="status" id="figures-published" {
                    (tf(lang, "console-figures-published-now", &[("period", Arg::Str(&period_text(lang, &just.summary.period)))]))
                }
            }
            section.card aria-labelledby="figures-choose-heading" {
                h2 id="figures-choose-heading" { (t(lang, "console-figures-choose-heading")) }
                form.figures-period method="get" action={ (page.base) "/figures/preview" } {
                    div {
                        label for="figures-period" { (t(lang, "console-figures-period-label")) }
                        select id="figures-period" name="period" required {
                            @for period in &periods {
                                @let code = period.to_string();
                                @let done = published.iter().any(|p| p.summary.period == code);
                                option value=(code) {
                                    (period_text(lang, &code))
                                    @if done { " — " (t(lang, "console-figures-already")) }
                                }
                            }
                        }
                    }
                    button id="figures-preview" type="submit" { (t(lang, "console-figures-preview-button")) }
                }
                p { (t(lang, "console-figures-no-free-dates")) }
            }
            (published_list(&page, &config, &published))
        },
    )
    .into_response()
}

/// The quarters and years that have ended by `today`, newest first, from
/// the year of the register's first report (or last year, without one).
fn choosable_periods(lines: &[RegisterLine], today: &str) -> Vec<Period> {
    let this_year: i32 = today.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2000);
    let first_year = lines
        .iter()
        .filter_map(|l| l.received_day.get(..4)?.parse::<i32>().ok())
        .min()
        .unwrap_or(this_year - YEARS_SHOWN_WITHOUT_REGISTER)
        .clamp(this_year - 10, this_year);
    let mut periods = Vec::new();
    for year in (first_year..=this_year).rev() {
        if let Ok(whole) = Period::year_of(year) {
            if whole.ended(today) {
                periods.push(whole);
            }
        }
        for q in (1..=4).rev() {
            if let Ok(quarter) = Period::quarter(year, q) {
                if quarter.ended(today) {
                    periods.push(quarter);
                }
            }
        }
    }
    periods
}

/// A period in words: "2026, 3rd quarter" or "2026 (whole year)".
fn period_text(lang: Lang, code: &str) -> String {
    match Period::parse(code) {
        Ok(Period::Quarter { year, q }) => tf(
            lang,
            "console-figures-quarter",
            &[
                ("year", Arg::Num(year.into())),
                ("quarter", Arg::Num(q.into())),
            ],
        ),
        Ok(Period::Year(year)) => tf(
            lang,
            "console-figures-year",
            &[("year", Arg::Num(year.into()))],
        ),
        Err(_) => code.to_owned(),
    }
}

/// Who published: the advisor's name as confirmed or listed, else the
/// start of the key's fingerprint.
fn sender_name(state_own: &PublicKey, page_lang: Lang, config: &PublicConfig, hex: &str) -> String {
    let Ok(key) = PublicKey::from_hex(hex) else {
        return hex.chars().take(8).collect();
    };
    if key == *state_own {
        return t(page_lang, "console-from-you");
    }
    config
        .advisors
        .iter()
        .find(|(k, name)| k.public_key == key && !name.is_empty())
        .map_or_else(
            || {
                key.fingerprint()
                    .split(' ')
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            |(_, name)| name.clone(),
        )
}

/// The table of published figures reports.
fn published_list(page: &Page<'_>, config: &PublicConfig, published: &[Published]) -> Markup {
    let lang = page.lang;
    html! {
        section.card aria-labelledby="figures-published-heading" {
            h2 id="figures-published-heading" { (t(lang, "console-figures-published-heading")) }
            @if published.is_empty() {
                p id="figures-none" { (t(lang, "console-figures-none-published")) }
            } @else {
                table id="figures-published-list" {
                    caption { (t(lang, "console-figures-published-caption")) }
                    thead { tr {
                        th scope="col" { (t(lang, "console-figures-col-period")) }
                        th scope="col" { (t(lang, "console-figures-col-day")) }
                        th scope="col" { (t(lang, "console-figures-col-sender")) }
                        th scope="col" { (t(lang, "console-figures-col-open")) }
                    } }
                    tbody {
                        @for entry in published.iter().rev() {
                            @let p = &entry.summary;
                            tr data-figures=(p.item_id) {
                                th scope="row" { (period_text(lang, &p.period)) }
                                td { (p.posted_day) }
                                td { (sender_name(page.own_key, lang, config, &p.sender)) }
                                td {
                                    @if entry.report.is_some() {
                                        a href={ (page.base) "/figures/published/" (p.item_id) } { (t(lang, "console-figures-view")) }
                                        " · "
                                        a href={ (page.base) "/figures/published/" (p.item_id) "/csv" } download { (t(lang, "console-figures-csv")) }
                                    } @else {
                                        (t(lang, "console-figures-could-not-open"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct PeriodQuery {
    #[serde(default)]
    period: String,
}

/// `GET /figures/preview?period=2026-Q3`: the figures report as it would
/// be published, the recipients, and the publish form.
pub(super) async fn preview(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let prepared = match prepare(&state, &query.period).await {
        Ok(prepared) => prepared,
        Err(refusal) => return refused(&state, lang, refusal),
    };
    let page = state.page(lang, &prepared.warnings);
    preview_page(&state, &page, &prepared).into_response()
}

fn preview_page(state: &ConsoleState, page: &Page<'_>, prepared: &Prepared) -> Markup {
    let lang = page.lang;
    let code = prepared.period.to_string();
    let management =
        sealable_recipients(&state.enrolled, &prepared.served, RecipientRole::Management);
    let unconfirmed: Vec<&ServedRecipient> = prepared
        .served
        .iter()
        .filter(|s| s.role() == Some(RecipientRole::Management))
        .filter(|s| recipient_standing(&state.enrolled, s) != RecipientStanding::Confirmed)
        .collect();
    let advisors: Vec<String> = figures_recipients(state, &prepared.config, &prepared.served)
        .into_iter()
        .filter(|k| !management.iter().any(|m| m.public_key == *k))
        .map(|k| sender_name(page.own_key, lang, &prepared.config, &k.to_hex()))
        .collect();
    let earlier_same = prepared
        .published
        .iter()
        .filter(|p| p.summary.period == code)
        .map(|p| p.summary.posted_day.clone())
        .collect::<Vec<_>>();
    let title = tf(
        lang,
        "console-figures-preview-title",
        &[("period", Arg::Str(&period_text(lang, &code)))],
    );
    pages::layout_in(
        page,
        Section::Figures,
        &title,
        html! {
            p.back.no-print { a href={ (page.base) "/figures" } { (t(lang, "console-figures-back")) } }
            h1 { (title) }
            p.note { (tf(lang, "console-figures-preview-explain", &[("threshold", Arg::Num(prepared.report.threshold.into())), ("today", Arg::Str(&prepared.today))])) }
            @for day in &earlier_same {
                p.offer role="status" { (tf(lang, "console-figures-already-on", &[("date", Arg::Str(day))])) }
            }
            div.figures-preview id="figures-preview-report" {
                (figures::render::render(&prepared.report, lang, &history(&prepared.published, &prepared.report)))
            }
            p.no-print {
                a.button.secondary id="figures-preview-csv" href={ (page.base) "/figures/preview/csv?period=" (code) } download { (t(lang, "console-figures-csv")) }
            }
            section.form-section aria-labelledby="figures-publish-heading" {
                h2 id="figures-publish-heading" { (t(lang, "console-figures-publish-heading")) }
                p { (t(lang, "console-figures-publish-explain")) }
                h3 { (t(lang, "console-figures-to-management")) }
                @if management.is_empty() {
                    p.error-text id="figures-no-management" { (t(lang, "console-figures-no-management")) }
                } @else {
                    ul id="figures-management" {
                        @for recipient in &management {
                            li { (recipient.label) " · " span.fingerprint { (recipient.public_key.fingerprint()) } }
                        }
                    }
                }
                @if !unconfirmed.is_empty() {
                    div.offer id="figures-unconfirmed" {
                        p { (t(lang, "console-figures-unconfirmed")) }
                        ul {
                            @for served in &unconfirmed {
                                li { (served.label) " · " span.fingerprint { (served.public_key.fingerprint()) } }
                            }
                        }
                        p { a href={ (page.base) "/recipients" } { (t(lang, "console-figures-to-recipients")) } }
                    }
                }
                h3 { (t(lang, "console-figures-to-advisors")) }
                ul id="figures-advisors" {
                    @for name in &advisors { li { (name) } }
                }
                @if !management.is_empty() {
                    form method="post" action={ (page.base) "/figures/publish" } {
                        input type="hidden" name="csrf" value=(page.csrf);
                        input type="hidden" name="period" value=(code);
                        input type="hidden" name="digest" value=(digest(&prepared.report));
                        button id="figures-publish" type="submit" { (t(lang, "console-figures-publish-button")) }
                    }
                }
            }
        },
    )
}

/// `GET /figures/preview/csv?period=…`: the previewed tables as CSV.
pub(super) async fn preview_csv(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    match prepare(&state, &query.period).await {
        Ok(prepared) => csv_download(&state, lang, &prepared.report),
        Err(refusal) => refused(&state, lang, refusal),
    }
}

/// The CSV of a figures report as a download.
fn csv_download(state: &ConsoleState, lang: Lang, report: &FiguresReport) -> Response {
    csv::figures_download(report, lang, state.client.tenant())
        .unwrap_or_else(|error| failure(state, lang, &error))
}

#[derive(Debug, Deserialize)]
pub(super) struct PublishForm {
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    digest: String,
}

/// `POST /figures/publish`: computes the report again, checks it is the
/// one previewed, seals it and posts it.
pub(super) async fn publish(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Form(form): Form<PublishForm>,
) -> Response {
    let lang = match state.admit_post(&headers, &form.csrf) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let result = async {
        let prepared = prepare(&state, &form.period).await?;
        let shown = digest(&prepared.report);
        if !bool::from(shown.as_bytes().ct_eq(form.digest.as_bytes())) {
            return Err(Refusal::Changed);
        }
        let recipients = figures_recipients(&state, &prepared.config, &prepared.served);
        let has_management =
            !sealable_recipients(&state.enrolled, &prepared.served, RecipientRole::Management)
                .is_empty();
        if !has_management {
            return Err(Refusal::NoManagement);
        }
        let tenant = state.client.tenant().clone();
        let content = prepared.report.to_json();
        let sealed = state
            .with_key(move |key| -> Result<Vec<u8>, Error> {
                let mut rng = os_rng();
                let id = ItemId::random(&mut rng);
                Ok(seal_item(
                    &SealParams {
                        kind: ItemKind::Message,
                        tenant: &tenant,
                        item_id: id,
                        report_id: id,
                        sender: key,
                        recipients: &recipients,
                    },
                    &content,
                    &mut rng,
                )?)
            })
            .await??;
        let item_id = state
            .client
            .post_figures(&prepared.period.to_string(), &sealed)
            .await?;
        Ok(item_id)
    }
    .await;
    match result {
        Ok(item_id) => Redirect::to(&format!(
            "{}/figures?published={}",
            state.base,
            canonical_id(&item_id).unwrap_or_default()
        ))
        .into_response(),
        Err(refusal) => refused(&state, lang, refusal),
    }
}

/// A published figures report, opened with this key.
async fn one_published(
    state: &Arc<ConsoleState>,
    item_id: &str,
) -> Result<Option<FiguresReport>, Error> {
    let Some(id) = canonical_id(item_id) else {
        return Ok(None);
    };
    Ok(published(state)
        .await?
        .into_iter()
        .find(|p| p.summary.item_id == id)
        .and_then(|p| p.report))
}

/// `GET /figures/published/{item_id}`: one published report.
pub(super) async fn view(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(item_id): Path<String>,
) -> Response {
    let (lang, _, warnings) = match state.admit_page(&headers).await {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    let Some(id) = canonical_id(&item_id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let all = match published(&state).await {
        Ok(all) => all,
        Err(error) => return failure(&state, lang, &error),
    };
    let Some(report) = all
        .iter()
        .find(|p| p.summary.item_id == id)
        .and_then(|p| p.report.clone())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let others = history(&all, &report);
    let page = state.page(lang, &warnings);
    let code = report.period.to_string();
    let title = tf(
        lang,
        "console-figures-published-title",
        &[("period", Arg::Str(&period_text(lang, &code)))],
    );
    pages::layout_in(
        &page,
        Section::Figures,
        &title,
        html! {
            p.back.no-print { a href={ (page.base) "/figures" } { (t(lang, "console-figures-back")) } }
            h1 { (title) }
            div.figures-preview id="figures-published-report" {
                (figures::render::render(&report, lang, &others))
            }
            p.no-print {
                a.button.secondary id="figures-published-csv" href={ (page.base) "/figures/published/" (id) "/csv" } download { (t(lang, "console-figures-csv")) }
            }
        },
    )
    .into_response()
}

/// `GET /figures/published/{item_id}/csv`: its tables as CSV.
pub(super) async fn view_csv(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(item_id): Path<String>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    match one_published(&state, &item_id).await {
        Ok(Some(report)) => csv_download(&state, lang, &report),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => failure(&state, lang, &error),
    }
}

/// A refusal as a page; nothing was sent.
fn refused(state: &ConsoleState, lang: Lang, refusal: Refusal) -> Response {
    let (status, text) = match refusal {
        Refusal::Failed(error) => return failure(state, lang, &error),
        Refusal::Invalid(id) => (StatusCode::UNPROCESSABLE_ENTITY, t(lang, id)),
        Refusal::EarlierUnreadable(periods) => (
            StatusCode::CONFLICT,
            tf(
                lang,
                "console-figures-earlier-unreadable",
                &[("periods", Arg::Str(&periods.join(", ")))],
            ),
        ),
        Refusal::Changed => (StatusCode::CONFLICT, t(lang, "console-figures-changed")),
        Refusal::NoManagement => (
            StatusCode::UNPROCESSABLE_ENTITY,
            t(lang, "console-figures-no-management"),
        ),
        Refusal::Threshold(k) => (
            StatusCode::BAD_GATEWAY,
            tf(
                lang,
                "figures-error-served-threshold",
                &[("threshold", Arg::Num(k.into()))],
            ),
        ),
    };
    let warnings = Vec::new();
    let page = state.page(lang, &warnings);
    (
        status,
        pages::layout_in(
            &page,
            Section::Figures,
            &t(lang, "console-error-title"),
            html! {
                h1 { (t(lang, "console-error-title")) }
                p.error-text role="alert" id="figures-refused" { (text) " " (t(lang, "console-nothing-sent")) }
                p { a href={ (page.base) "/figures" } { (t(lang, "console-figures-back")) } }
            },
        ),
    )
        .into_response()
}
