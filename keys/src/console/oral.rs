//! Oral reports (issue 13): a report an advisor registers after a phone
//! call or a conversation (`meldkluis-oral-report/1`, sealed by the
//! advisor's key to the tenant's advisors and the recovery key), and its
//! joining to the follow-up mailbox the reporter makes themselves.
//!
//! The advisor never learns the reporter's login code: the reporter makes
//! their own mailbox in their browser and reads its short reference aloud
//! (`crypto_core::mailbox::mailbox_reference`). This module checks the key
//! the server hands over for that reference against it, shows whom the
//! reporter's mailbox chose, and only then asks the server to join; the
//! **join record** it then posts (`meldkluis-mailbox-join/1`, sealed by this
//! advisor's key) is the only source of the mailbox key the console
//! believes for the report ([`crate::reading::open_messages`]): a key the
//! server lists, or the sender of an opening item it serves, is never
//! believed on its own.
//!
//! What it must never do: believe a mailbox key whose reference is not the
//! typed one, join a follow-up whose item does not open as sealed by that
//! key, or show an item from any other key as the reporter's.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use meldkluis_crypto_core::mailbox::{mailbox_reference, parse_mailbox_reference};
use meldkluis_crypto_core::{
    open_item_with_access, os_rng, seal_item, Access, Expect, ItemHeader, ItemId, ItemKind,
    PublicKey, SealParams, StaticKey,
};
use meldkluis_i18n::{catalog, t, tf, Arg, Lang};
use serde::Deserialize;
use serde_json::{json, Value};

use super::pages::{self, layout_in, short_id, Page, Section};
use super::{failure, not_taken, same_report, ConsoleState, NotTaken, OpenedThread, SameReport};
use crate::client::{decode_item, OralChannel, PublicConfig, Thread};
use crate::reading::{self, ReportMailbox, Trust, ORAL_REPORT_FORMAT};
use crate::Error;

/// The channels an advisor registers a report from (the register's
/// `channel`, besides `web`).
pub(crate) const CHANNELS: [&str; 2] = ["oral", "meeting"];
/// Longest account accepted from the form.
const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Longest name or way to reach the reporter.
const MAX_FIELD_CHARS: usize = 500;

/// What the report page shows of an oral report, opened. Its `Debug` leaves
/// the opened content out.
pub(crate) struct OralThread {
    /// What the server says of the report's mailbox (`own`, `none`,
    /// `joined`): shown, never believed.
    pub(crate) served_state: String,
    /// For a joined report, the opening item (the follow-up the reporter's
    /// mailbox made), opened only as sealed by the join record's key:
    /// `Some(Ok(content))`, or `Some(Err(()))` when the server serves one
    /// that does not open so (swapped, or sealed by another key).
    pub(crate) opening: Option<Result<String, ()>>,
    pub(crate) joined_day: Option<String>,
}

impl core::fmt::Debug for OralThread {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OralThread")
            .field("served_state", &self.served_state)
            .field("opened", &self.opening.as_ref().map(Result::is_ok))
            .field("joined_day", &self.joined_day)
            .finish_non_exhaustive()
    }
}

/// The oral part of a thread whose (opened) report `header` an advisor
/// registered; `None` for a reporter's own report.
pub(crate) fn open_oral_thread(
    key: &dyn StaticKey,
    trust: &Trust,
    thread: &Thread,
    header: &ItemHeader,
    mailbox: &ReportMailbox,
) -> Option<OralThread> {
    if !reading::registered_by_advisor(header, trust) {
        return None;
    }
    let opening = match (mailbox, thread.opening_item.as_deref()) {
        (ReportMailbox::Joined { key: mailbox, .. }, Some(item)) => Some(
            decode_item(item)
                .ok()
                .and_then(|item| {
                    reading::open_opening_item(key, trust, thread, mailbox, &item).ok()
                })
                .map(|opened| String::from_utf8_lossy(&opened.content).into_owned())
                .ok_or(()),
        ),
        (ReportMailbox::Joined { .. }, None) => Some(Err(())),
        _ => None,
    };
    Some(OralThread {
        served_state: thread.mailbox_state.clone(),
        opening,
        joined_day: thread.joined_day.clone(),
    })
}

impl ConsoleState {
    /// The mailbox of a report whose authentic header is `header`, as the
    /// console believes it: a reporter's own report's sender (nothing to
    /// open), an oral report's from its join records (the thread's
    /// messages are opened for them).
    pub(crate) async fn report_mailbox(
        &self,
        thread: &Thread,
        header: &ItemHeader,
    ) -> Result<ReportMailbox, Error> {
        if !reading::registered_by_advisor(header, &self.trust) {
            return Ok(ReportMailbox::Own(header.sender));
        }
        let trust = self.trust.clone();
        let thread = thread.clone();
        let header = header.clone();
        self.with_key(move |key| {
            reading::open_messages(key, &trust, &thread, &header).map(|opened| opened.mailbox)
        })
        .await?
    }

    /// The mailbox key an advisor message of the report `report_id` is
    /// sealed to: none for an oral report not joined; refused while its
    /// join records disagree.
    pub(crate) async fn mailbox_of(
        &self,
        report_id: &str,
        header: &ItemHeader,
    ) -> Result<Option<PublicKey>, Error> {
        if !reading::registered_by_advisor(header, &self.trust) {
            return Ok(Some(header.sender));
        }
        let thread = self.client.thread(report_id).await?;
        match self.report_mailbox(&thread, header).await? {
            ReportMailbox::Conflicting => Err(Error::Protocol(
                "the report's join records name different mailboxes",
            )),
            mailbox => Ok(mailbox.key()),
        }
    }

    /// The advisor keys an oral report is sealed to besides this one: the
    /// enrolled advisors the server also serves (never a key only the
    /// server names), with the names to show.
    fn sealable_advisors(&self, config: &PublicConfig) -> Vec<(PublicKey, String)> {
        let mut advisors = Vec::new();
        for (served, served_name) in &config.advisors {
            let key = served.public_key;
            let confirmed = key == self.public_key || self.enrolled.advisor_keys().contains(&key);
            if confirmed && !advisors.iter().any(|(k, _)| *k == key) {
                let name = self
                    .enrolled
                    .name_of(&key)
                    .filter(|n| !n.is_empty())
                    .unwrap_or(served_name)
                    .to_owned();
                advisors.push((key, name));
            }
        }
        advisors
    }
}

fn channel_text(lang: Lang, channel: &str) -> String {
    match channel {
        "meeting" => t(lang, "oral-channel-meeting"),
        _ => t(lang, "oral-channel-oral"),
    }
}

/// `GET /reports/oral`: the form to register an oral report.
pub(crate) async fn form(State(state): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let (lang, config, warnings) = match state.admit_page(&headers).await {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    form_page(
        &state.page(lang, &warnings),
        &config,
        &OralForm::default(),
        None,
    )
    .into_response()
}

/// The registration form as posted.
/// No `Debug`: it holds the CSRF secret and the spoken report as typed.
#[derive(Default, Deserialize)]
pub(crate) struct OralForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    spoken_day: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    language: String,
}

/// The form's fields, checked: the content to seal, or the first problem
/// (a text id of `oral.ftl`).
fn oral_content(
    form: &OralForm,
    config: &PublicConfig,
    advisors: &[(PublicKey, String)],
    recovery: &PublicKey,
) -> Result<(String, &'static str), &'static str> {
    let channel = CHANNELS
        .into_iter()
        .find(|c| *c == form.channel)
        .ok_or("oral-error-channel")?;
    let day = form.spoken_day.trim();
    if super::deadlines::day_number(day).is_none() {
        return Err("oral-error-day");
    }
    let text = form.text.trim();
    if text.is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err("oral-error-text");
    }
    let language = catalog().lang(form.language.trim()).map_or("nl", Lang::tag);
    let category = match form.category.trim() {
        "" => Value::Null,
        id => {
            if !pages::categories(config).iter().any(|c| c == id) {
                return Err("oral-error-category");
            }
            let label_lang = catalog()
                .lang(language)
                .unwrap_or_else(|| catalog().default_lang());
            json!({ "id": id, "label": pages::category_label(label_lang, config, id) })
        }
    };
    let reporter = match form.identity.as_str() {
        "anonymous" => json!({ "anonymous": true }),
        "named" => {
            let name = form.name.trim();
            let contact = form.contact.trim();
            if name.is_empty()
                || name.chars().count() > MAX_FIELD_CHARS
                || contact.chars().count() > MAX_FIELD_CHARS
            {
                return Err("oral-error-name");
            }
            json!({ "anonymous": false, "name": name, "contact": contact })
        }
        _ => return Err("oral-error-identity"),
    };
    let content = json!({
        "format": ORAL_REPORT_FORMAT,
        "language": language,
        "category": category,
        "channel": channel,
        "spoken_day": day,
        "text": text,
        "reporter": reporter,
        "advisors": advisors.iter().map(|(key, name)| json!({
            "name": name,
            "public_key": key.to_hex(),
            "fingerprint": key.fingerprint(),
        })).collect::<Vec<_>>(),
        "recovery_key": recovery.to_hex(),
    });
    Ok((content.to_string(), channel))
}

/// `POST /reports/oral`: seals the oral report with the advisor's key to
/// the confirmed and served advisors and the recovery key, registers it,
/// and goes to its page.
pub(crate) async fn register(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Form(form): Form<OralForm>,
) -> Response {
    let lang = match state.admit_post(&headers, &form.csrf) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let (config, warnings) = match state.config_and_warnings(lang).await {
        Ok(fetched) => fetched,
        Err(failed) => return *failed,
    };
    let advisors = state.sealable_advisors(&config);
    let problem = if !advisors.iter().any(|(k, _)| *k == state.public_key) {
        // The server must list this key as one of the tenant's advisors.
        Err("oral-error-not-served")
    } else {
        oral_content(&form, &config, &advisors, &state.recovery)
    };
    let (content, channel) = match problem {
        Ok(found) => found,
        Err(text_id) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&state.page(lang, &warnings), &config, &form, Some(text_id)),
            )
                .into_response()
        }
    };
    let mut recipients: Vec<PublicKey> = advisors.iter().map(|(k, _)| *k).collect();
    recipients.push(state.recovery);
    let tenant = state.client.tenant().clone();
    let result = async {
        let sealed = state
            .with_key(move |key| -> Result<Vec<u8>, Error> {
                let mut rng = os_rng();
                let id = ItemId::random(&mut rng);
                Ok(seal_item(
                    &SealParams {
                        kind: ItemKind::Report,
                        tenant: &tenant,
                        item_id: id,
                        report_id: id,
                        sender: key,
                        recipients: &recipients,
                    },
                    content.as_bytes(),
                    &mut rng,
                )?)
            })
            .await??;
        let channel = if channel == "meeting" {
            OralChannel::Meeting
        } else {
            OralChannel::Oral
        };
        state.client.register_oral_report(&sealed, channel).await
    }
    .await;
    match result {
        Ok(registered) => Redirect::to(&format!("{}/reports/{}", state.base, registered.report_id))
            .into_response(),
        Err(error) => failure(&state, lang, &error),
    }
}

fn form_page(
    page: &Page<'_>,
    config: &PublicConfig,
    form: &OralForm,
    problem: Option<&str>,
) -> Markup {
    let lang = page.lang;
    let title = t(lang, "oral-register-title");
    let channel = if form.channel.is_empty() {
        "oral"
    } else {
        form.channel.as_str()
    };
    let named = form.identity == "named";
    let language = if form.language.is_empty() {
        lang.tag()
    } else {
        form.language.as_str()
    };
    layout_in(
        page,
        Section::Reports,
        &title,
        html! {
            p.back.no-print { a href={ (page.base) "/reports" } { (t(lang, "console-back-to-list")) } }
            h1 { (title) }
            p { (t(lang, "oral-register-explain")) }
            @if let Some(problem) = problem {
                p.alarm role="alert" id="oral-problem" { (t(lang, problem)) }
            }
            form.form-section method="post" action={ (page.base) "/reports/oral" } {
                input type="hidden" name="csrf" value=(page.csrf);
                fieldset {
                    legend { (t(lang, "oral-channel-legend")) }
                    @for option in CHANNELS {
                        div {
                            input type="radio" id={ "channel-" (option) } name="channel" value=(option) checked[channel == option] required;
                            label for={ "channel-" (option) } { (channel_text(lang, option)) }
                        }
                    }
                }
                label for="spoken-day" { (t(lang, "oral-spoken-day")) }
                input id="spoken-day" type="date" name="spoken_day" required value=(form.spoken_day);
                label for="oral-language" { (t(lang, "oral-language")) }
                select id="oral-language" name="language" {
                    @for option in catalog().languages() {
                        option value=(option.tag()) selected[option.tag() == language] { (option.native_name()) }
                    }
                }
                label for="oral-category" { (t(lang, "console-col-category")) }
                select id="oral-category" name="category" {
                    option value="" { (t(lang, "console-category-none")) }
                    @for category in pages::categories(config) {
                        option value=(category) selected[form.category == category] { (pages::category_label(lang, config, &category)) }
                    }
                }
                label for="oral-text" { (t(lang, "oral-text")) }
                p.note id="oral-text-hint" { (t(lang, "oral-text-hint")) }
                textarea id="oral-text" name="text" required maxlength="200000" aria-describedby="oral-text-hint" { (form.text) }
                fieldset {
                    legend { (t(lang, "oral-identity-legend")) }
                    div {
                        input type="radio" id="identity-anonymous" name="identity" value="anonymous" checked[!named] required;
                        label for="identity-anonymous" { (t(lang, "oral-identity-anonymous")) }
                    }
                    div {
                        input type="radio" id="identity-named" name="identity" value="named" checked[named];
                        label for="identity-named" { (t(lang, "oral-identity-named")) }
                    }
                    label for="oral-name" { (t(lang, "oral-name")) }
                    input id="oral-name" type="text" name="name" maxlength="500" autocomplete="off" value=(form.name);
                    label for="oral-contact" { (t(lang, "oral-contact")) }
                    input id="oral-contact" type="text" name="contact" maxlength="500" autocomplete="off" value=(form.contact);
                }
                p.note { (t(lang, "oral-sealed-note")) }
                button id="register-oral" type="submit" { (t(lang, "oral-register-send")) }
            }
        },
    )
}

/// An oral report's content in the thread: what the advisor registered.
pub(crate) fn oral_report_view(lang: Lang, report: &Value) -> Markup {
    let reporter = &report["reporter"];
    html! {
        dl.answers {
            dt { (t(lang, "oral-channel-legend")) }
            dd { (channel_text(lang, report["channel"].as_str().unwrap_or(""))) }
            dt { (t(lang, "oral-spoken-day")) }
            dd { (report["spoken_day"].as_str().unwrap_or("?")) }
            @if let Some(category) = report["category"]["label"].as_str() {
                dt { (t(lang, "console-col-category")) }
                dd { (category) }
            }
            dt { (t(lang, "oral-text")) }
            dd { @for paragraph in report["text"].as_str().unwrap_or("").split("\n\n") { p.text { (paragraph) } } }
            dt { (t(lang, "console-reporter")) }
            dd {
                @if reporter["anonymous"] == false {
                    (pages::reporter_named(lang, reporter))
                } @else {
                    (t(lang, "console-reporter-anonymous"))
                }
            }
            (pages::sealed_to(lang, &report["advisors"]))
        }
    }
}

/// A join record in the thread: the reference and the text the reporter
/// reads.
pub(crate) fn join_view(lang: Lang, record: &Value) -> Markup {
    html! {
        p { strong { (tf(lang, "oral-join-record", &[("reference", Arg::Str(record["reference"].as_str().unwrap_or("?")))])) } }
        @for paragraph in record["text"].as_str().unwrap_or("").split("\n\n") { p.text { (paragraph) } }
    }
}

/// The oral section of a report page: how it was registered, its mailbox
/// as the console believes it, and the join form while it has none.
pub(crate) fn section(page: &Page<'_>, opened: &OpenedThread) -> Markup {
    let Some(oral) = &opened.oral else {
        return html! {};
    };
    let lang = page.lang;
    let id = &opened.thread.report_id;
    let served_joined = oral.served_state == "joined";
    html! {
        section.form-section id="oral" aria-labelledby="oral-heading" {
            h2 id="oral-heading" { (t(lang, "oral-section-heading")) }
            @match &opened.mailbox {
                ReportMailbox::Joined { reference, .. } => {
                    p id="oral-joined" { (tf(lang, "oral-joined", &[("reference", Arg::Str(reference)), ("date", Arg::Str(oral.joined_day.as_deref().unwrap_or("?")))])) }
                    @match &oral.opening {
                        Some(Ok(content)) => p id="oral-opening" { (opening_line(lang, content)) },
                        _ => p.alarm role="alert" id="oral-opening-refused" { (t(lang, "oral-opening-refused")) },
                    }
                }
                ReportMailbox::Conflicting => {
                    p.alarm role="alert" id="oral-conflicting" { (t(lang, "oral-conflicting")) }
                }
                _ => {
                    p id="oral-not-joined" { (t(lang, "oral-not-joined")) }
                    @if served_joined {
                        p.alarm role="alert" id="oral-record-missing" { (t(lang, "oral-record-missing")) }
                    }
                    @if opened.report_pin.is_some() {
                        form method="post" action={ (page.base) "/reports/" (id) "/join" } {
                            input type="hidden" name="csrf" value=(page.csrf);
                            input type="hidden" name="report_hash" value=(opened.report_hash);
                            label for="join-reference" { (t(lang, "oral-join-reference")) }
                            p.note id="join-reference-hint" { (t(lang, "oral-join-reference-hint")) }
                            input id="join-reference" type="text" name="reference" required autocomplete="off" spellcheck="false" aria-describedby="join-reference-hint" maxlength="40";
                            button id="join-lookup" type="submit" { (t(lang, "oral-join-lookup")) }
                        }
                    }
                }
            }
        }
    }
}

/// What the opening item (a follow-up report) says: whom the reporter's
/// mailbox chose.
fn opening_line(lang: Lang, content: &str) -> String {
    let value: Value = serde_json::from_str(content).unwrap_or(Value::Null);
    let names: Vec<&str> = value["advisors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    tf(
        lang,
        "oral-opening-chose",
        &[("advisors", Arg::Str(&names.join(", ")))],
    )
}

/// The join form, as posted (the look-up and the confirmation).
/// No `Debug`: it holds the CSRF secret.
#[derive(Deserialize)]
pub(crate) struct JoinForm {
    csrf: String,
    #[serde(default)]
    report_hash: String,
    #[serde(default)]
    reference: String,
    /// The confirmation only: the mailbox key shown and checked.
    #[serde(default)]
    mailbox_public_key: String,
}

/// A follow-up mailbox, checked against the reference the advisor typed.
struct CheckedFollowUp {
    reference: String,
    mailbox: PublicKey,
    /// The follow-up report's content (opened with this advisor's key, as
    /// sealed by `mailbox`).
    content: Value,
}

/// Why a join is refused; each is a text of `oral.ftl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JoinRefusal {
    /// Not a reference.
    BadReference,
    /// No such follow-up mailbox (or it expired).
    NotFound,
    /// The server's key does not have the typed reference: a substituted
    /// key, refused loudly.
    KeySubstituted,
    /// The follow-up item does not open as sealed by that key, or is no
    /// follow-up.
    ItemRefused,
    /// The reporter's mailbox did not choose this advisor.
    NotChosen,
    /// Not an oral report, or joined already.
    NotJoinable,
}

impl JoinRefusal {
    fn text_id(self) -> &'static str {
        match self {
            Self::BadReference => "oral-join-bad-reference",
            Self::NotFound => "oral-join-not-found",
            Self::KeySubstituted => "oral-join-key-substituted",
            Self::ItemRefused => "oral-join-item-refused",
            Self::NotChosen => "oral-join-not-chosen",
            Self::NotJoinable => "oral-join-not-joinable",
        }
    }
}

/// Checks a follow-up the server served for `reference`: its key has that
/// reference, its item is a follow-up report sealed by that key that opens
/// with this advisor's key, and it names this advisor.
fn check_follow_up(
    key: &dyn StaticKey,
    trust: &Trust,
    reference: &str,
    served_key: &str,
    item: &[u8],
) -> Result<CheckedFollowUp, JoinRefusal> {
    let mailbox = PublicKey::from_hex(served_key).map_err(|_| JoinRefusal::KeySubstituted)?;
    if mailbox_reference(&mailbox) != reference {
        return Err(JoinRefusal::KeySubstituted);
    }
    let (header, _) = ItemHeader::parse(item).map_err(|_| JoinRefusal::ItemRefused)?;
    if header.kind != ItemKind::Report
        || header.report_id != header.item_id
        || header.sender != mailbox
        || !header.recipients.contains(&key.public_key())
    {
        return Err(JoinRefusal::ItemRefused);
    }
    let senders = [mailbox];
    let opened = open_item_with_access(
        item,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders: &senders,
        },
        Access::Stanza,
    )
    .map_err(|_| JoinRefusal::ItemRefused)?;
    let content: Value =
        serde_json::from_slice(&opened.content).map_err(|_| JoinRefusal::ItemRefused)?;
    if content["format"] != "meldkluis-report/1" || content["follow_up"] != true {
        return Err(JoinRefusal::ItemRefused);
    }
    let own = key.public_key().to_hex();
    let named = content["advisors"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|a| a["public_key"].as_str() == Some(own.as_str()));
    if !named {
        return Err(JoinRefusal::NotChosen);
    }
    Ok(CheckedFollowUp {
        reference: reference.to_owned(),
        mailbox,
        content,
    })
}

/// Fetches and checks the follow-up for `reference` (canonical).
async fn fetch_follow_up(
    state: &Arc<ConsoleState>,
    reference: &str,
) -> Result<Result<CheckedFollowUp, JoinRefusal>, Error> {
    let served = match state.client.follow_up(reference).await {
        Ok(served) => served,
        Err(Error::Server { status: 404, .. }) => return Ok(Err(JoinRefusal::NotFound)),
        Err(error) => return Err(error),
    };
    let item = decode_item(&served.item)?;
    let trust = state.trust.clone();
    let reference = reference.to_owned();
    let served_key = served.mailbox_public_key.clone();
    state
        .with_key(move |key| check_follow_up(key, &trust, &reference, &served_key, &item))
        .await
}

/// The report a join is about: the one the advisor read, registered by an
/// advisor and without a mailbox the console believes.
async fn joinable(
    state: &Arc<ConsoleState>,
    report_id: &str,
    report_hash: &str,
) -> Result<Result<SameReport, JoinRefusal>, NotTaken> {
    let same = same_report(state, report_id, report_hash).await?;
    if !reading::registered_by_advisor(&same.header, &state.trust) {
        return Ok(Err(JoinRefusal::NotJoinable));
    }
    let mailbox = state.report_mailbox(&same.thread, &same.header).await?;
    if mailbox != ReportMailbox::NotJoined {
        return Ok(Err(JoinRefusal::NotJoinable));
    }
    Ok(Ok(same))
}

fn refused(state: &ConsoleState, lang: Lang, report_id: &str, why: JoinRefusal) -> Response {
    if why == JoinRefusal::KeySubstituted {
        eprintln!(
            "WARNING: MAILBOX KEY SUBSTITUTED? The server served a mailbox key for a follow-up \
             whose reference is not the one typed (report {}). Nothing was joined.",
            short_id(report_id)
        );
    }
    let warnings = Vec::new();
    let status = match why {
        JoinRefusal::KeySubstituted | JoinRefusal::NotJoinable => StatusCode::CONFLICT,
        JoinRefusal::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = state.page(lang, &warnings);
    let title = t(lang, "oral-join-title");
    (
        status,
        layout_in(
            &page,
            Section::Other,
            &title,
            html! {
                h1 { (title) }
                section.alarm role="alert" id="join-refused" data-refusal=(why.text_id()) {
                    p { strong { (t(lang, why.text_id())) } }
                    p { (t(lang, "oral-join-nothing-done")) }
                }
                p { a href={ (state.base) "/reports/" (report_id) "#oral" } { (t(lang, "oral-back-to-report")) } }
            },
        ),
    )
        .into_response()
}

/// Admits a join form (the look-up and the confirmation): the post on the
/// report `report_id`, and the reference the advisor typed in its
/// canonical form (a typing error is refused before anything is asked).
fn admit_join(
    state: &ConsoleState,
    headers: &HeaderMap,
    form: &JoinForm,
    report_id: &str,
) -> Result<(Lang, String, String), Box<Response>> {
    let (lang, report_id) = state.admit_report_post(headers, &form.csrf, report_id)?;
    let Ok(reference) = parse_mailbox_reference(&form.reference) else {
        return Err(Box::new(refused(
            state,
            lang,
            &report_id,
            JoinRefusal::BadReference,
        )));
    };
    Ok((lang, report_id, reference))
}

/// `POST /reports/{id}/join`: looks the typed reference up, checks what
/// the server serves for it, and shows whom the reporter's mailbox chose,
/// with a button to join.
pub(crate) async fn join_lookup(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<JoinForm>,
) -> Response {
    let (lang, report_id, reference) = match admit_join(&state, &headers, &form, &report_id) {
        Ok(admitted) => admitted,
        Err(refusal) => return *refusal,
    };
    let result = async {
        if let Err(why) = joinable(&state, &report_id, &form.report_hash).await? {
            return Ok(Err(why));
        }
        Ok::<_, NotTaken>(fetch_follow_up(&state, &reference).await?)
    }
    .await;
    let checked = match result {
        Ok(Ok(checked)) => checked,
        Ok(Err(why)) => return refused(&state, lang, &report_id, why),
        Err(why) => return not_taken(&state, lang, &report_id, why),
    };
    let warnings = Vec::new();
    let page = state.page(lang, &warnings);
    let title = t(lang, "oral-join-title");
    layout_in(
        &page,
        Section::Reports,
        &title,
        html! {
            p.back.no-print { a href={ (state.base) "/reports/" (report_id) "#oral" } { (t(lang, "oral-back-to-report")) } }
            h1 { (title) }
            p id="join-checked" { (tf(lang, "oral-join-checked", &[("reference", Arg::Str(&checked.reference))])) }
            h2 { (t(lang, "oral-join-chosen")) }
            ul id="join-advisors" {
                @for advisor in checked.content["advisors"].as_array().into_iter().flatten() {
                    li { (advisor["name"].as_str().unwrap_or("?")) " · " code { (advisor["fingerprint"].as_str().unwrap_or("?")) } }
                }
            }
            p { (t(lang, "oral-join-confirm-explain")) }
            form.form-section method="post" action={ (state.base) "/reports/" (report_id) "/join/confirm" } {
                input type="hidden" name="csrf" value=(page.csrf);
                input type="hidden" name="report_hash" value=(form.report_hash);
                input type="hidden" name="reference" value=(checked.reference);
                input type="hidden" name="mailbox_public_key" value=(checked.mailbox.to_hex());
                button id="join-confirm" type="submit" { (t(lang, "oral-join-confirm")) }
            }
        },
    )
    .into_response()
}

/// The join record's text, in the reporter's language: what was
/// registered, so the reporter reads what the advisor wrote down.
fn join_text(lang: Lang, registered: &Value) -> String {
    let channel = channel_text(lang, registered["channel"].as_str().unwrap_or(""));
    let mut text = tf(
        lang,
        "oral-join-record-intro",
        &[
            (
                "date",
                Arg::Str(registered["spoken_day"].as_str().unwrap_or("?")),
            ),
            ("channel", Arg::Str(&channel)),
        ],
    );
    if let Some(category) = registered["category"]["label"].as_str() {
        text.push_str("\n\n");
        text.push_str(&tf(
            lang,
            "oral-join-record-category",
            &[("category", Arg::Str(category))],
        ));
    }
    text.push_str("\n\n");
    text.push_str(registered["text"].as_str().unwrap_or(""));
    text
}

/// `POST /reports/{id}/join/confirm`: checks the follow-up again (the key
/// must be the one shown), joins, and posts the join record sealed by this
/// advisor's key to the mailbox key, the advisors and the recovery key.
pub(crate) async fn join_confirm(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<JoinForm>,
) -> Response {
    let (lang, report_id, reference) = match admit_join(&state, &headers, &form, &report_id) {
        Ok(admitted) => admitted,
        Err(refusal) => return *refusal,
    };
    let result = async {
        let same = match joinable(&state, &report_id, &form.report_hash).await? {
            Ok(same) => same,
            Err(why) => return Ok(Err(why)),
        };
        // A join the server made earlier whose record was not posted (the
        // console stopped in between): the server no longer lists the
        // follow-up; its opening item is checked the same way instead.
        let served_joined = same.thread.mailbox_state == "joined";
        let checked = if served_joined {
            let (Some(item), Ok(served_key)) = (
                same.thread.opening_item.as_deref(),
                PublicKey::from_hex(&form.mailbox_public_key),
            ) else {
                return Ok(Err(JoinRefusal::ItemRefused));
            };
            let item = decode_item(item)?;
            let trust = state.trust.clone();
            let reference = reference.clone();
            state
                .with_key(move |key| {
                    check_follow_up(key, &trust, &reference, &served_key.to_hex(), &item)
                })
                .await?
        } else {
            fetch_follow_up(&state, &reference).await?
        };
        let checked = match checked {
            Ok(checked) => checked,
            Err(why) => return Ok(Err(why)),
        };
        // The key the advisor was shown, and no other.
        if checked.mailbox.to_hex() != form.mailbox_public_key {
            return Ok(Err(JoinRefusal::KeySubstituted));
        }
        if !served_joined {
            state
                .client
                .join_follow_up(&report_id, &checked.reference, &checked.mailbox)
                .await?;
        }
        let registered = {
            let trust = state.trust.clone();
            let thread = same.thread.clone();
            let report = same.thread.report_bytes()?;
            state
                .with_key(move |key| {
                    reading::open_report(key, &trust, &thread, &report)
                        .ok()
                        .and_then(|opened| serde_json::from_slice::<Value>(&opened.content).ok())
                })
                .await?
                .unwrap_or(Value::Null)
        };
        let reporter_lang = checked.content["language"]
            .as_str()
            .and_then(|tag| catalog().lang(tag))
            .unwrap_or(lang);
        let record = json!({
            "format": reading::JOIN_FORMAT,
            "reference": checked.reference,
            "mailbox_public_key": checked.mailbox.to_hex(),
            "text": join_text(reporter_lang, &registered),
        })
        .to_string();
        let config = state.client.public_config().await?;
        let sealed = state
            .seal_advisor_item_to(
                same.header.clone(),
                same.header.item_id,
                config,
                Some(checked.mailbox),
                ItemKind::Message,
                record.into_bytes().into(),
            )
            .await?;
        state.client.post_message(&report_id, &sealed).await?;
        Ok::<_, NotTaken>(Ok(()))
    }
    .await;
    match result {
        Ok(Ok(())) => {
            Redirect::to(&format!("{}/reports/{report_id}#oral", state.base)).into_response()
        }
        Ok(Err(why)) => refused(&state, lang, &report_id, why),
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_text_in_every_language() {
        for lang in catalog().languages() {
            for why in [
                JoinRefusal::BadReference,
                JoinRefusal::NotFound,
                JoinRefusal::KeySubstituted,
                JoinRefusal::ItemRefused,
                JoinRefusal::NotChosen,
                JoinRefusal::NotJoinable,
            ] {
                let text = t(lang, why.text_id());
                assert_ne!(text, why.text_id(), "{} in {}", why.text_id(), lang.tag());
            }
        }
    }
}
