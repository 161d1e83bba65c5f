//! The recipient page (issue 12): a management or forward recipient whose
//! key is on a hardware token (enrolled by the operator with
//! `meldkluis-server recipient add … --public-key`) reads the items sealed
//! to it here, as a recipient with an enrolment code does in the browser's
//! management page.
//!
//! `meldkluis-advisor recipient` logs in with the recipient challenge (the
//! answer computed with the token key, context
//! `recipient_login_context(tenant, origin)`), lists the items sealed to
//! the key and serves them read-only on the loopback interface, with the
//! console's design: a random loopback address, the `Host` check, a per-run
//! capability path, a per-run session secret in a `SameSite=Strict`,
//! `HttpOnly` cookie scoped to that path, the console's CSP (no script) and
//! `no-store` on every answer. The page has no form and no route that
//! changes anything (so no CSRF token is needed): it only shows.
//!
//! What it believes: an item opens only when sealed by a sender it trusts —
//! the advisor keys of the enrolled-keys file when one is given, else the
//! advisors `GET config` lists (the page says which). An item from any
//! other sender is not opened nor shown, but named in a warning. A figures
//! report is parsed strictly ([`FiguresReport::from_json`]) and must be of
//! this tenant, with its report id its own id and the period the server
//! lists; a forward (`meldkluis-forward/1`) must name this key as its
//! recipient; an attachment is given to the browser only when its opened
//! content has the size and SHA-256 the forward names, and it was sealed
//! by the forward's sender for the forward's report.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup};
use meldkluis_crypto_core::{
    open_item, Expect, ItemHeader, ItemKind, PublicKey, StaticKey, TenantId,
};
use meldkluis_i18n::{t, tf, Arg, Lang};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::pages::{self, Page, Section};
use super::{
    bind_loopback, canonical_id, random_hex, security_headers, EntryQuery, Gate, Refused, SharedKey,
};
use crate::client::{RecipientItem, RecipientItems, ServerClient, MAX_JSON_ANSWER};
use crate::enrolled::EnrolledKeys;
use crate::figures::{self, FiguresReport};
use crate::Error;

/// The format of a forward's content.
const FORWARD_FORMAT: &str = "meldkluis-forward/1";
/// Largest forward attachment fetched (the server's own limit for advisor
/// attachments is far below this).
const MAX_ATTACHMENT_BYTES: usize = 256 << 20;

/// How the recipient page is set up.
#[derive(Debug, Clone)]
pub struct RecipientOptions {
    /// The server's base URL, e.g. `https://meld.example`.
    pub server: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The keys confirmed aloud (its advisor lines are the senders
    /// believed); `None`: the advisors the server's `GET config` lists.
    pub enrolled: Option<EnrolledKeys>,
    /// The language the pages start in.
    pub lang: Lang,
}

/// A recipient page bound to its loopback port, ready to serve.
pub struct RecipientPage {
    listener: tokio::net::TcpListener,
    state: Arc<RecipientState>,
}

impl core::fmt::Debug for RecipientPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecipientPage")
            .field("address", &self.state.host)
            .finish_non_exhaustive()
    }
}

struct RecipientState {
    session: meldkluis_crypto_core::Zeroizing<String>,
    base: String,
    host: String,
    origin: String,
    key: SharedKey,
    public_key: PublicKey,
    client: ServerClient,
    enrolled: Option<EnrolledKeys>,
    lang: Lang,
}

impl RecipientPage {
    /// Binds to `listen` (a loopback address only) for the recipient key
    /// `key`. Nothing is fetched yet; [`Self::log_in`] logs in.
    pub async fn bind(
        listen: SocketAddr,
        options: RecipientOptions,
        key: Box<dyn StaticKey + Send>,
    ) -> Result<Self, Error> {
        let (listener, address) = bind_loopback(
            listen,
            "page address (only a loopback address, e.g. 127.0.0.1)",
        )
        .await?;
        let public_key = key.public_key();
        let state = RecipientState {
            session: random_hex(),
            base: format!("/c/{}", random_hex().as_str()),
            host: address.to_string(),
            origin: format!("http://{address}"),
            key: Arc::new(Mutex::new(key)),
            public_key,
            client: ServerClient::new(&options.server, options.tenant)?,
            enrolled: options.enrolled,
            lang: options.lang,
        };
        Ok(Self {
            listener,
            state: Arc::new(state),
        })
    }

    /// Logs in with the recipient challenge now (e.g. at start, so a wrong
    /// key or a removed recipient is said in the terminal).
    pub async fn log_in(&self) -> Result<(), Error> {
        self.state.log_in().await
    }

    /// The address to open in the browser, with the capability and the
    /// session secret. For the recipient's terminal only.
    pub fn url(&self) -> String {
        self.state.gate().url(&self.state.origin)
    }

    /// Serves until `shutdown` completes, then logs out.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let state = self.state;
        let base = state.base.clone();
        let at = |path: &str| format!("{base}{path}");
        let app = Router::new()
            .route(&at(""), get(home))
            .route(&at("/"), get(home))
            .route(&at("/console.css"), get(super::stylesheet))
            .route(&at("/lang/{tag}"), get(choose_language))
            .route(&at("/items/{item_id}"), get(item_page))
            .route(&at("/items/{item_id}/csv"), get(item_csv))
            .route(
                &at("/items/{item_id}/attachments/{attachment_id}"),
                get(attachment),
            )
            .layer(axum::middleware::map_response(security_headers))
            .with_state(Arc::clone(&state));
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| Error::Http(e.to_string()));
        // The session ends with the page, not an hour later.
        let logged_out = state.client.recipient_log_out().await;
        served.and(logged_out)
    }
}

/// Whom the page believes as senders, and where that comes from.
struct Senders {
    keys: Vec<(PublicKey, String)>,
    from_file: bool,
}

/// One item as the page shows it.
enum Shown {
    Figures(Box<FiguresReport>),
    Forward(
        Box<ForwardContent>,
        PublicKey,
        meldkluis_crypto_core::ItemId,
    ),
}

/// A forward's content (`meldkluis-forward/1`), read strictly. No `Debug`:
/// it is opened (decrypted) content.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardContent {
    format: String,
    draft_id: String,
    version: u32,
    subject_hash: String,
    text: String,
    attachments: Vec<ForwardAttachment>,
    register_number: u64,
    forwarded_day: String,
    advisor: String,
    recipient: ForwardRecipient,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardAttachment {
    id: String,
    name: String,
    #[serde(rename = "type")]
    content_type: String,
    size: u64,
    sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ForwardRecipient {
    public_key: String,
    label: String,
}

/// Why an item listed is not shown.
enum Hidden {
    /// Its header names a sender the page does not believe.
    Untrusted(String),
    /// It did not open, or its content is not what its kind promises.
    Unreadable,
}

impl RecipientState {
    async fn log_in(&self) -> Result<(), Error> {
        let key = Arc::clone(&self.key);
        self.client
            .recipient_log_in_with(self.public_key, move |message, context| {
                let key = key.lock().expect("the key lock is never poisoned");
                Ok(meldkluis_crypto_core::challenge::answer_challenge(
                    key.as_ref(),
                    message,
                    context,
                )?)
            })
            .await
    }

    /// Logs in again when the session ended (it lasts an hour).
    async fn items(&self) -> Result<RecipientItems, Error> {
        if !self.client.logged_in() {
            self.log_in().await?;
        }
        match self.client.recipient_items().await {
            Err(Error::Server { status: 401, .. }) => {
                self.log_in().await?;
                self.client.recipient_items().await
            }
            other => other,
        }
    }

    async fn fetch(&self, item_id: &str, max: usize) -> Result<Vec<u8>, Error> {
        if !self.client.logged_in() {
            self.log_in().await?;
        }
        self.client.recipient_item(item_id, max).await
    }

    fn gate(&self) -> Gate<'_> {
        Gate {
            session: &self.session,
            base: &self.base,
            host: &self.host,
            lang: self.lang,
        }
    }

    fn admit(&self, headers: &HeaderMap) -> Result<Lang, Refused> {
        self.gate().admit(headers)
    }

    async fn senders(&self) -> Result<Senders, Error> {
        if let Some(enrolled) = &self.enrolled {
            let keys = enrolled
                .advisor_keys()
                .into_iter()
                .chain(enrolled.earlier.iter().copied())
                .map(|k| (k, enrolled.name_of(&k).unwrap_or("").to_owned()))
                .collect();
            return Ok(Senders {
                keys,
                from_file: true,
            });
        }
        let config = self.client.public_config().await?;
        Ok(Senders {
            keys: config
                .advisors
                .iter()
                .map(|(k, name)| (k.public_key, name.clone()))
                .collect(),
            from_file: false,
        })
    }

    /// Opens one listed item (not an attachment) with the key, believing
    /// only `senders`.
    async fn open(&self, listed: &RecipientItem, senders: &Senders) -> Result<Shown, Hidden> {
        let Some(id) = canonical_id(&listed.item_id) else {
            return Err(Hidden::Unreadable);
        };
        let bytes = self
            .fetch(&id, MAX_JSON_ANSWER)
            .await
            .map_err(|_| Hidden::Unreadable)?;
        let (header, _) = ItemHeader::parse(&bytes).map_err(|_| Hidden::Unreadable)?;
        let trusted: Vec<PublicKey> = senders.keys.iter().map(|(k, _)| *k).collect();
        if !trusted.contains(&header.sender) {
            return Err(Hidden::Untrusted(header.sender.fingerprint()));
        }
        let tenant = self.client.tenant().clone();
        let own = self.public_key;
        let kind = listed.kind.clone();
        let period = listed.period.clone();
        let key = Arc::clone(&self.key);
        tokio::task::spawn_blocking(move || -> Option<Shown> {
            let key = key.lock().expect("the key lock is never poisoned");
            let opened = open_item(
                &bytes,
                key.as_ref(),
                &Expect {
                    tenant: &tenant,
                    senders: &trusted,
                },
            )
            .ok()?;
            let header = &opened.header;
            if header.kind != ItemKind::Message || header.item_id.to_hex() != id {
                return None;
            }
            match kind.as_str() {
                "figures" => {
                    let report = FiguresReport::from_json(&opened.content).ok()?;
                    (header.report_id == header.item_id
                        && report.tenant == tenant.as_str()
                        && period.as_deref() == Some(report.period.to_string().as_str()))
                    .then(|| Shown::Figures(Box::new(report)))
                }
                "forward" => {
                    let forward: ForwardContent = serde_json::from_slice(&opened.content).ok()?;
                    (forward.format == FORWARD_FORMAT
                        && forward
                            .recipient
                            .public_key
                            .eq_ignore_ascii_case(&own.to_hex()))
                    .then(|| Shown::Forward(Box::new(forward), header.sender, header.report_id))
                }
                _ => None,
            }
        })
        .await
        .ok()
        .flatten()
        .ok_or(Hidden::Unreadable)
    }

    fn page<'a>(&'a self, lang: Lang) -> Page<'a> {
        Page {
            lang,
            csrf: "",
            base: &self.base,
            tenant: self.client.tenant().as_str(),
            own_key: &self.public_key,
            warnings: &[],
        }
    }
}

fn failure(state: &RecipientState, lang: Lang, error: &Error) -> Response {
    let status = match error {
        Error::Server { status: 404, .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_GATEWAY,
    };
    (status, pages::error_page(&state.page(lang), error)).into_response()
}

fn frame(state: &RecipientState, lang: Lang, title: &str, body: Markup) -> Markup {
    // The log-in section: the console's frame without the advisor's
    // navigation.
    pages::layout_in(&state.page(lang), Section::LogIn, title, body)
}

/// `GET /`: with `?k=SECRET` sets the session cookie; otherwise the list.
async fn home(
    State(state): State<Arc<RecipientState>>,
    headers: HeaderMap,
    Query(query): Query<EntryQuery>,
) -> Response {
    if let Some(entered) = state.gate().enter(&headers, query.k.as_deref()) {
        return entered;
    }
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let list = match state.items().await {
        Ok(list) => list,
        Err(error) => return failure(&state, lang, &error),
    };
    let senders = match state.senders().await {
        Ok(senders) => senders,
        Err(error) => return failure(&state, lang, &error),
    };
    let mut shown = Vec::new();
    let mut untrusted = Vec::new();
    let mut unreadable = Vec::new();
    for listed in &list.items {
        match state.open(listed, &senders).await {
            Ok(item) => shown.push((listed, item)),
            Err(Hidden::Untrusted(fingerprint)) => untrusted.push((listed, fingerprint)),
            Err(Hidden::Unreadable) => unreadable.push(listed),
        }
    }
    let title = t(lang, "recipient-title");
    let base = &state.base;
    frame(
        &state,
        lang,
        &title,
        html! {
            h1 { (title) }
            p id="recipient-who" {
                (tf(lang, "recipient-who", &[
                    ("label", Arg::Str(&list.label)),
                    ("role", Arg::Str(&t(lang, if list.role == "management" { "recipient-role-management" } else { "recipient-role-forward" }))),
                ]))
            }
            p id="recipient-senders" data-from=(if senders.from_file { "file" } else { "config" }) {
                (t(lang, if senders.from_file { "recipient-senders-file" } else { "recipient-senders-config" }))
            }
            @if !untrusted.is_empty() {
                section.alarm role="alert" id="recipient-untrusted" {
                    h2 { (t(lang, "recipient-untrusted-title")) }
                    ul {
                        @for (listed, fingerprint) in &untrusted {
                            li data-item=(listed.item_id) {
                                (tf(lang, "recipient-untrusted-item", &[
                                    ("id", Arg::Str(&pages::short_id(&listed.item_id))),
                                    ("day", Arg::Str(&listed.posted_day)),
                                    ("fingerprint", Arg::Str(fingerprint)),
                                ]))
                            }
                        }
                    }
                }
            }
            @if !unreadable.is_empty() {
                section.alarm role="alert" id="recipient-unreadable" {
                    ul {
                        @for listed in &unreadable {
                            li data-item=(listed.item_id) {
                                (tf(lang, "recipient-unreadable-item", &[
                                    ("id", Arg::Str(&pages::short_id(&listed.item_id))),
                                    ("day", Arg::Str(&listed.posted_day)),
                                ]))
                            }
                        }
                    }
                }
            }
            @if shown.is_empty() {
                p id="recipient-none" { (t(lang, "recipient-none")) }
            } @else {
                ul id="recipient-items" {
                    @for (listed, item) in &shown {
                        li data-item=(listed.item_id) {
                            a href={ (base) "/items/" (listed.item_id) } {
                                @match item {
                                    Shown::Figures(report) => {
                                        (tf(lang, "recipient-item-figures", &[("period", Arg::Str(&report.period.to_string()))]))
                                    }
                                    Shown::Forward(forward, _, _) => {
                                        (tf(lang, "recipient-item-forward", &[("day", Arg::Str(&forward.forwarded_day))]))
                                    }
                                }
                            }
                            " · " (listed.posted_day)
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

/// The item `item_id` as listed and opened; `None` when it is not listed,
/// not believed or does not open (a 404: nothing is shown of it).
async fn one(
    state: &RecipientState,
    item_id: &str,
) -> Result<Option<(RecipientItem, Shown, Vec<RecipientItem>)>, Error> {
    let Some(id) = canonical_id(item_id) else {
        return Ok(None);
    };
    let list = state.items().await?;
    let senders = state.senders().await?;
    let Some(listed) = list.items.iter().find(|i| i.item_id == id).cloned() else {
        return Ok(None);
    };
    let figures: Vec<RecipientItem> = list
        .items
        .iter()
        .filter(|i| i.kind == "figures" && i.item_id != id)
        .cloned()
        .collect();
    Ok(state
        .open(&listed, &senders)
        .await
        .ok()
        .map(|shown| (listed, shown, figures)))
}

/// `GET /items/{item_id}`: a figures report or a forward, read-only.
async fn item_page(
    State(state): State<Arc<RecipientState>>,
    headers: HeaderMap,
    Path(item_id): Path<String>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let (listed, shown, others) = match one(&state, &item_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(&state, lang),
        Err(error) => return failure(&state, lang, &error),
    };
    let base = &state.base;
    let id = &listed.item_id;
    match shown {
        Shown::Figures(report) => {
            // The deadline shares over quarters: the other figures reports
            // this recipient can read, from believed senders.
            let mut history = Vec::new();
            if let Ok(senders) = state.senders().await {
                for other in &others {
                    if let Ok(Shown::Figures(r)) = state.open(other, &senders).await {
                        history.push(*r);
                    }
                }
            }
            let title = tf(
                lang,
                "recipient-item-figures",
                &[("period", Arg::Str(&report.period.to_string()))],
            );
            frame(
                &state,
                lang,
                &title,
                html! {
                    p.back.no-print { a href={ (base) "/" } { (t(lang, "recipient-back")) } }
                    h1 { (title) }
                    div.figures-preview id="recipient-figures" {
                        (figures::render::render(&report, lang, &history))
                    }
                    p.no-print {
                        a.button.secondary id="recipient-figures-csv" href={ (base) "/items/" (id) "/csv" } download { (t(lang, "recipient-csv")) }
                    }
                },
            )
            .into_response()
        }
        Shown::Forward(forward, _, _) => {
            let title = tf(
                lang,
                "recipient-item-forward",
                &[("day", Arg::Str(&forward.forwarded_day))],
            );
            frame(
                &state,
                lang,
                &title,
                html! {
                    p.back.no-print { a href={ (base) "/" } { (t(lang, "recipient-back")) } }
                    h1 { (title) }
                    p id="recipient-forward-meta" {
                        (tf(lang, "recipient-forward-meta", &[
                            ("advisor", Arg::Str(&forward.advisor)),
                            ("number", Arg::Num(i64::try_from(forward.register_number).unwrap_or(i64::MAX))),
                            ("label", Arg::Str(&forward.recipient.label)),
                        ]))
                    }
                    p { (t(lang, "recipient-forward-read-only")) }
                    div.message { p.text id="recipient-forward-text" { (forward.text) } }
                    @if !forward.attachments.is_empty() {
                        h2 { (t(lang, "recipient-attachments")) }
                        ul id="recipient-forward-attachments" {
                            @for a in &forward.attachments {
                                li {
                                    a href={ (base) "/items/" (id) "/attachments/" (a.id.to_ascii_lowercase()) } download {
                                        (a.name)
                                    }
                                    " (" (a.content_type) ", " (tf(lang, "recipient-bytes", &[("size", Arg::Num(i64::try_from(a.size).unwrap_or(i64::MAX)))])) ")"
                                }
                            }
                        }
                    }
                    p.fingerprint { "draft " (pages::short_id(&forward.draft_id)) " v" (forward.version) " · " (pages::short_id(&forward.subject_hash)) }
                },
            )
            .into_response()
        }
    }
}

/// `GET /items/{item_id}/csv`: a figures report's tables as CSV.
async fn item_csv(
    State(state): State<Arc<RecipientState>>,
    headers: HeaderMap,
    Path(item_id): Path<String>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let report = match one(&state, &item_id).await {
        Ok(Some((_, Shown::Figures(report), _))) => report,
        Ok(_) => return not_found(&state, lang),
        Err(error) => return failure(&state, lang, &error),
    };
    super::csv::figures_download(&report, lang, state.client.tenant())
        .unwrap_or_else(|error| failure(&state, lang, &error))
}

/// `GET /items/{item_id}/attachments/{attachment_id}`: one attachment of a
/// forward, only when the forward names it and its content has the size
/// and SHA-256 the forward names.
async fn attachment(
    State(state): State<Arc<RecipientState>>,
    headers: HeaderMap,
    Path((item_id, attachment_id)): Path<(String, String)>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let (forward, sender, report_id) = match one(&state, &item_id).await {
        Ok(Some((_, Shown::Forward(forward, sender, report_id), _))) => {
            (forward, sender, report_id)
        }
        Ok(_) => return not_found(&state, lang),
        Err(error) => return failure(&state, lang, &error),
    };
    let Some(att_id) = canonical_id(&attachment_id) else {
        return not_found(&state, lang);
    };
    let Some(named) = forward
        .attachments
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(&att_id))
    else {
        return not_found(&state, lang);
    };
    let (Ok(expected_hash), Ok(max)) = (
        hex::decode(&named.sha256),
        usize::try_from(named.size).map(|s| s.saturating_add(64 * 1024)),
    ) else {
        return refused_attachment(&state, lang);
    };
    let bytes = match state.fetch(&att_id, max.min(MAX_ATTACHMENT_BYTES)).await {
        Ok(bytes) => bytes,
        Err(error) => return failure(&state, lang, &error),
    };
    let tenant = state.client.tenant().clone();
    let key = Arc::clone(&state.key);
    let expected_size = named.size;
    let opened = tokio::task::spawn_blocking(move || {
        let key = key.lock().expect("the key lock is never poisoned");
        let opened = open_item(
            &bytes,
            key.as_ref(),
            &Expect {
                tenant: &tenant,
                senders: &[sender],
            },
        )
        .ok()?;
        let ok = opened.header.kind == ItemKind::Attachment
            && opened.header.report_id == report_id
            && opened.header.item_id.to_hex() == att_id
            && opened.content.len() as u64 == expected_size
            && Sha256::digest(opened.content.as_slice()).as_slice() == expected_hash.as_slice();
        ok.then(|| opened.content.to_vec())
    })
    .await
    .ok()
    .flatten();
    match opened {
        Some(content) => super::csv::download(content, "application/octet-stream", &named.name),
        None => refused_attachment(&state, lang),
    }
}

fn refused_attachment(state: &RecipientState, lang: Lang) -> Response {
    let title = t(lang, "console-error-title");
    (
        StatusCode::BAD_GATEWAY,
        frame(
            state,
            lang,
            &title,
            html! {
                h1 { (title) }
                p.error-text role="alert" id="recipient-attachment-refused" { (t(lang, "recipient-attachment-refused")) }
            },
        ),
    )
        .into_response()
}

/// The answer for an item (or attachment) the page has not got: a page in
/// the console's frame (a bare 404 has no language, title or landmark).
fn not_found(state: &RecipientState, lang: Lang) -> Response {
    let title = t(lang, "console-error-title");
    (
        StatusCode::NOT_FOUND,
        frame(
            state,
            lang,
            &title,
            html! {
                h1 { (title) }
                p.error-text id="recipient-not-found" { (t(lang, "recipient-not-found")) }
            },
        ),
    )
        .into_response()
}

/// `GET /lang/{tag}`: remembers the language and goes back to the list.
async fn choose_language(
    State(state): State<Arc<RecipientState>>,
    headers: HeaderMap,
    Path(tag): Path<String>,
) -> Response {
    state.gate().choose_language(&headers, &tag)
}
