//! The advisor console: a small web UI the advisor runs on their own
//! machine, served on the loopback interface only, that logs in to the
//! meldkluis server with the advisor's key (the challenge), fetches sealed
//! items, opens them here, and seals replies here.
//!
//! What it must never do: write anything decrypted to disk (opened content
//! stays in memory and goes only into responses marked `no-store`, so the
//! browser does not cache it either; an attachment leaves memory only when
//! the advisor exports it on purpose), load anything from a third party
//! (strict CSP, no script at all, one stylesheet served from here), or
//! answer anyone but the advisor's own browser: it binds to a loopback
//! address only (by default a random one in 127.0.0.0/8, so its cookie is
//! sent to no other local service), checks the `Host` header (DNS
//! rebinding), serves everything under a per-run capability path
//! (`/c/<capability>/...`, a 404 without it), requires a per-run session
//! secret (from the address printed at start, kept in a `SameSite=Strict`,
//! `HttpOnly` cookie scoped to that path, so another port on the same
//! address never receives it) on every request, and a separate per-run
//! CSRF token in every form.
//!
//! Every action on a report (reply, status, date, category, export) is
//! bound to the report the advisor read ([`crate::pins`]): the page's forms
//! carry the report's header hash, the console pins report id → mailbox key
//! and header hash at first sight, and refuses, with a loud warning and
//! nothing sent, when the server serves another report under that id.
//!
//! Every page also runs the key-substitution check: it fetches the tenant's
//! public configuration exactly as a reporter's browser does and compares
//! the advisor and recovery keys with the ones the advisor confirmed
//! ([`crate::enrolled`]); a difference is shown on every page and printed to
//! standard error.

pub(crate) mod csv;
pub(crate) mod deadlines;
mod figures_page;
mod forwarding;
mod meetings;
mod minutes;
mod oral;
mod pages;
pub mod recipient;
mod recipients;
mod voice;

use std::collections::HashMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use meldkluis_crypto_core::{
    os_rng, seal_item, ItemHeader, ItemId, ItemKind, PublicKey, SealParams, StaticKey, TenantId,
};
use meldkluis_i18n::{catalog, Lang};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

pub use deadlines::{Urgency, DELETION_SOON_DAYS};
pub use forwarding::forward_item_id;

use crate::client::{decode_item, PublicConfig, ServerClient, Thread};
use crate::enrolled::{check_served_keys, EnrolledKeys, Substitution};
use crate::pins::{PinCheck, Pins, ReportPin};
use crate::reading::{self, Trust};
use crate::Error;

/// The console's Content Security Policy: nothing but its own stylesheet;
/// no script, no frames, forms only to itself; media (a voice message's
/// `<audio>`) only from itself.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The name of the cookie that holds the per-run session secret.
const SECRET_COOKIE: &str = "meldkluis_console";
/// The name of the cookie that holds the chosen language.
const LANG_COOKIE: &str = "meldkluis_lang";
/// Longest reply accepted from the form.
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// How the console is set up.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The server's base URL, e.g. `https://meld.example`.
    pub server: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The keys the advisor confirmed aloud.
    pub enrolled: EnrolledKeys,
    /// The language the pages start in (Dutch unless chosen).
    pub lang: Lang,
    /// The report pins file ([`crate::pins`]); `None`: pins last for this
    /// run only.
    pub pins: Option<PathBuf>,
}

/// A random loopback address (`127.a.b.c`, port 0): a cookie is scoped to
/// its host, so on an address of its own the console's cookie reaches no
/// other local service. (Linux answers on all of 127.0.0.0/8; elsewhere,
/// binding may fail, and the caller falls back to 127.0.0.1.)
pub fn random_loopback_address() -> SocketAddr {
    let mut bytes = [0u8; 3];
    rand_core::RngCore::fill_bytes(&mut os_rng(), &mut bytes);
    // Not .0 or .255 in the last place, and never 127.0.0.1 itself.
    let last = bytes[2].clamp(2, 254);
    SocketAddr::from((Ipv4Addr::new(127, bytes[0], bytes[1], last), 0))
}

const CONSOLE_NOT_LOOPBACK: &str = "console address (only a loopback address, e.g. 127.0.0.1)";

fn random_hex() -> meldkluis_crypto_core::Zeroizing<String> {
    let mut secret = meldkluis_crypto_core::Zeroizing::new([0u8; 32]);
    rand_core::RngCore::fill_bytes(&mut os_rng(), secret.as_mut());
    meldkluis_crypto_core::Zeroizing::new(hex::encode(secret.as_ref()))
}

/// Binds `listen`, a loopback address only (`not_loopback` is the error
/// otherwise), and returns the listener with the address it got.
async fn bind_loopback(
    listen: SocketAddr,
    not_loopback: &'static str,
) -> Result<(tokio::net::TcpListener, SocketAddr), Error> {
    if !listen.ip().is_loopback() {
        return Err(Error::Malformed(not_loopback));
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Http(format!("binding {listen}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::Http(e.to_string()))?;
    Ok((listener, address))
}

/// What the console and the recipient page share to let in only the
/// browser given the printed address: the per-run session secret (the
/// cookie), the capability path every address starts with, and the
/// loopback `Host`.
struct Gate<'a> {
    session: &'a str,
    /// `/c/<capability>`.
    base: &'a str,
    host: &'a str,
    /// The language when none was chosen.
    lang: Lang,
}

impl Gate<'_> {
    /// The address to open in the browser, with the capability and the
    /// session secret.
    fn url(&self, origin: &str) -> String {
        format!("{origin}{}/?k={}", self.base, self.session)
    }

    fn host_ok(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| h == self.host)
    }

    /// The language of this request: the chosen one, else the default.
    fn lang_of(&self, headers: &HeaderMap) -> Lang {
        cookies(headers)
            .get(LANG_COOKIE)
            .and_then(|tag| catalog().lang(tag))
            .unwrap_or(self.lang)
    }

    /// Admits a request from the browser given the address only: the
    /// right `Host` (so a DNS-rebound name cannot reach us) and the per-run
    /// secret in its cookie.
    fn admit(&self, headers: &HeaderMap) -> Result<Lang, Refused> {
        let lang = self.lang_of(headers);
        if !self.host_ok(headers) {
            return Err(Refused::WrongHost);
        }
        let cookie_ok = cookies(headers)
            .get(SECRET_COOKIE)
            .is_some_and(|c| same_secret(c, self.session));
        if !cookie_ok {
            return Err(Refused::NoSecret(lang));
        }
        Ok(lang)
    }

    /// `GET /?k=SECRET` (the printed address): when `given` is the session
    /// secret, on the right `Host`, sets the session cookie and redirects
    /// to the page without it; `None` otherwise.
    fn enter(&self, headers: &HeaderMap, given: Option<&str>) -> Option<Response> {
        let given = given?;
        if !(self.host_ok(headers) && same_secret(given, self.session)) {
            return None;
        }
        // No Domain: this host only. Path: this capability only, so
        // another service on the same address, at another port, is never
        // sent it.
        let cookie = format!(
            "{SECRET_COOKIE}={}; Path={}; HttpOnly; SameSite=Strict",
            self.session, self.base
        );
        let mut response = Redirect::to(&format!("{}/", self.base)).into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        Some(response)
    }

    /// `GET /lang/{tag}` (admitted): remembers the language in a cookie
    /// and goes back to the start page.
    fn choose_language(&self, headers: &HeaderMap, tag: &str) -> Response {
        if let Err(refused) = self.admit(headers) {
            return refused.into_response();
        }
        let Some(lang) = catalog().lang(tag) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let mut response = Redirect::to(&format!("{}/", self.base)).into_response();
        let cookie = format!(
            "{LANG_COOKIE}={}; Path={}; SameSite=Strict",
            lang.tag(),
            self.base
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        response
    }
}

/// A console bound to its loopback port, ready to serve.
pub struct Console {
    listener: tokio::net::TcpListener,
    state: Arc<ConsoleState>,
}

impl core::fmt::Debug for Console {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Console")
            .field("address", &self.state.host)
            .finish_non_exhaustive()
    }
}

/// The key, behind a lock (a token session is used by one thread at a time).
type SharedKey = Arc<Mutex<Box<dyn StaticKey + Send>>>;

struct ConsoleState {
    /// The per-run session secret (the cookie). Wiped on drop.
    session: meldkluis_crypto_core::Zeroizing<String>,
    /// The per-run CSRF token (every form), apart from the session secret.
    csrf: meldkluis_crypto_core::Zeroizing<String>,
    /// `/c/<capability>`: every address of this console starts with it.
    base: String,
    host: String,
    origin: String,
    /// Report id -> the report the advisor read.
    pins: Pins,
    key: SharedKey,
    public_key: PublicKey,
    client: ServerClient,
    enrolled: EnrolledKeys,
    recovery: PublicKey,
    trust: Trust,
    lang: Lang,
    /// The last substitution findings printed to standard error, so each
    /// new finding is printed once, not on every page.
    warned: Mutex<Vec<Substitution>>,
}

impl Console {
    /// Binds to `listen` (a loopback address; port 0 picks a free port) and
    /// prepares a console for `key`. Nothing is fetched yet.
    pub async fn bind(
        listen: SocketAddr,
        options: ConsoleOptions,
        key: Box<dyn StaticKey + Send>,
    ) -> Result<Self, Error> {
        if !listen.ip().is_loopback() {
            return Err(Error::Malformed(CONSOLE_NOT_LOOPBACK));
        }
        let recovery = options.enrolled.recovery.ok_or(Error::Malformed(
            "enrolled keys (a 'recovery' line is needed: replies are sealed to it)",
        ))?;
        let (listener, address) = bind_loopback(listen, CONSOLE_NOT_LOOPBACK).await?;
        let pins = match &options.pins {
            Some(path) => Pins::load(path)?,
            None => Pins::in_memory(),
        };
        let public_key = key.public_key();
        let mut grantors = vec![recovery];
        grantors.extend(options.enrolled.earlier.iter().copied());
        // Grants made by a former recovery key (a recovery before the
        // recovery key was replaced) stay readable.
        grantors.extend(options.enrolled.former_recovery.iter().copied());
        let mut advisor_senders = options.enrolled.advisor_keys();
        advisor_senders.push(public_key);
        advisor_senders.extend(options.enrolled.earlier.iter().copied());
        let trust = Trust {
            tenant: options.tenant.clone(),
            grantors,
            advisor_senders,
        };
        let state = ConsoleState {
            session: random_hex(),
            csrf: random_hex(),
            base: format!("/c/{}", random_hex().as_str()),
            host: address.to_string(),
            origin: format!("http://{address}"),
            pins,
            key: Arc::new(Mutex::new(key)),
            public_key,
            client: ServerClient::new(&options.server, options.tenant)?,
            enrolled: options.enrolled,
            recovery,
            trust,
            lang: options.lang,
            warned: Mutex::new(Vec::new()),
        };
        Ok(Self {
            listener,
            state: Arc::new(state),
        })
    }

    /// The address to open in the browser, with the capability and the
    /// session secret. Print it for the advisor only (the terminal).
    pub fn url(&self) -> String {
        self.state.gate().url(&self.state.origin)
    }

    /// The loopback address the console listens on.
    pub fn address(&self) -> String {
        self.state.host.clone()
    }

    /// Runs the key-substitution check once now (also printing any finding
    /// to standard error), e.g. at start.
    pub async fn check_keys(&self) -> Result<Vec<Substitution>, Error> {
        let config = self.state.client.public_config().await?;
        Ok(self.state.substitutions(&config))
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let app = router(self.state);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| Error::Http(e.to_string()))
    }
}

/// Every route lives under the capability path; anything else is a 404.
fn router(state: Arc<ConsoleState>) -> Router {
    let base = state.base.clone();
    let at = |path: &str| format!("{base}{path}");
    Router::new()
        .route(&at(""), get(home))
        .route(&at("/"), get(home))
        .route(&at("/console.css"), get(stylesheet))
        .route(&at("/lang/{tag}"), get(choose_language))
        .route(&at("/login"), post(log_in))
        .route(&at("/reports"), get(reports))
        .route(&at("/reports/{report_id}"), get(report))
        .route(&at("/reports/oral"), get(oral::form).post(oral::register))
        .route(&at("/reports/{report_id}/join"), post(oral::join_lookup))
        .route(
            &at("/reports/{report_id}/join/confirm"),
            post(oral::join_confirm),
        )
        .route(&at("/reports/{report_id}/reply"), post(reply))
        .route(&at("/reports/{report_id}/status"), post(set_status))
        .route(&at("/reports/{report_id}/category"), post(set_category))
        .route(&at("/reports/{report_id}/hold"), post(set_hold))
        .route(&at("/register"), get(register))
        .route(&at("/register.csv"), get(register_csv))
        .route(&at("/recipients"), get(recipients::page))
        .route(
            &at("/reports/{report_id}/forward/request"),
            post(forwarding::request),
        )
        .route(
            &at("/reports/{report_id}/forward"),
            post(forwarding::forward),
        )
        .route(
            &at("/reports/{report_id}/meetings/propose"),
            post(meetings::propose),
        )
        .route(
            &at("/reports/{report_id}/meetings/confirm"),
            post(meetings::confirm),
        )
        .route(
            &at("/reports/{report_id}/minutes"),
            post(minutes::post).layer(minutes::body_limit()),
        )
        .route(&at("/figures"), get(figures_page::home))
        .route(&at("/figures/preview"), get(figures_page::preview))
        .route(&at("/figures/preview/csv"), get(figures_page::preview_csv))
        .route(&at("/figures/publish"), post(figures_page::publish))
        .route(&at("/figures/published/{item_id}"), get(figures_page::view))
        .route(
            &at("/figures/published/{item_id}/csv"),
            get(figures_page::view_csv),
        )
        .route(
            &at("/reports/{report_id}/attachments/{attachment_id}/export"),
            post(export_attachment),
        )
        .route(
            &at("/reports/{report_id}/attachments/{attachment_id}/audio"),
            get(voice::audio),
        )
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Headers on every answer: the CSP, never cache (decrypted content must
/// not reach the browser's disk cache), no referrer to other origins, no
/// framing, no sniffing.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
        (header::CACHE_CONTROL, "no-store"),
        // Not `no-referrer`: with it, browsers send `Origin: null` on form
        // posts, and the origin check below needs the real one. Nothing is
        // ever sent to another origin, which gets no referrer this way.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// Why a request was not admitted.
#[derive(Debug, Clone, Copy)]
enum Refused {
    /// Not addressed to our loopback address and port (a rebound DNS name,
    /// another host).
    WrongHost,
    /// Without the session secret (cookie), or a post without the CSRF
    /// token or from another origin.
    NoSecret(Lang),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::WrongHost => (StatusCode::MISDIRECTED_REQUEST, "wrong host").into_response(),
            Self::NoSecret(lang) => {
                (StatusCode::FORBIDDEN, pages::not_admitted(lang)).into_response()
            }
        }
    }
}

fn same_secret(given: &str, secret: &str) -> bool {
    given.len() == secret.len() && bool::from(given.as_bytes().ct_eq(secret.as_bytes()))
}

impl ConsoleState {
    fn gate(&self) -> Gate<'_> {
        Gate {
            session: &self.session,
            base: &self.base,
            host: &self.host,
            lang: self.lang,
        }
    }

    /// Admits a request from the advisor's browser only: the right `Host`
    /// (so a DNS-rebound name cannot reach us) and the per-run secret in
    /// its cookie.
    fn admit(&self, headers: &HeaderMap) -> Result<Lang, Refused> {
        self.gate().admit(headers)
    }

    /// Admits a form post: as [`ConsoleState::admit`], plus the CSRF token
    /// in the form (not the session secret) and, when the browser sends
    /// one, our own origin.
    /// [`Self::admit_post`] for a form on a report: also the report id in
    /// its canonical form (a 404 for anything that is not an item id).
    fn admit_report_post(
        &self,
        headers: &HeaderMap,
        csrf: &str,
        report_id: &str,
    ) -> Result<(Lang, String), Box<Response>> {
        let lang = self
            .admit_post(headers, csrf)
            .map_err(|refused| Box::new(refused.into_response()))?;
        let report_id = canonical_id(report_id)
            .ok_or_else(|| Box::new(StatusCode::NOT_FOUND.into_response()))?;
        Ok((lang, report_id))
    }

    fn admit_post(&self, headers: &HeaderMap, csrf: &str) -> Result<Lang, Refused> {
        let lang = self.admit(headers)?;
        let origin_ok = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_none_or(|o| o == self.origin);
        if !origin_ok || !same_secret(csrf, &self.csrf) {
            return Err(Refused::NoSecret(lang));
        }
        Ok(lang)
    }

    /// The key-substitution check on a freshly fetched configuration. New
    /// findings are printed to standard error, loudly.
    fn substitutions(&self, config: &PublicConfig) -> Vec<Substitution> {
        let served: Vec<_> = config.advisors.iter().map(|(k, _)| k.clone()).collect();
        let found = check_served_keys(&self.enrolled, &served, config.recovery.as_ref());
        let mut warned = self
            .warned
            .lock()
            .expect("the warning lock is never poisoned");
        if *warned != found {
            for problem in &found {
                eprintln!(
                    "WARNING: KEY SUBSTITUTION? {}",
                    pages::substitution_text(catalog().lang("en").unwrap_or(self.lang), problem)
                );
            }
            warned.clone_from(&found);
        }
        found
    }

    /// The public configuration, freshly fetched, with the key-substitution
    /// check on it ([`Self::substitutions`]): what a page shows its
    /// warnings from. A failure is already the page to answer with.
    async fn config_and_warnings(
        &self,
        lang: Lang,
    ) -> Result<(PublicConfig, Vec<Substitution>), Box<Response>> {
        let config = self
            .client
            .public_config()
            .await
            .map_err(|error| Box::new(failure(self, lang, &error)))?;
        let warnings = self.substitutions(&config);
        Ok((config, warnings))
    }

    /// The start of a page: [`Self::admit`], then
    /// [`Self::config_and_warnings`].
    async fn admit_page(
        &self,
        headers: &HeaderMap,
    ) -> Result<(Lang, PublicConfig, Vec<Substitution>), Box<Response>> {
        let lang = self
            .admit(headers)
            .map_err(|refused| Box::new(refused.into_response()))?;
        let (config, warnings) = self.config_and_warnings(lang).await?;
        Ok((lang, config, warnings))
    }

    /// Runs `work` with the key on a blocking thread (a token may take a
    /// while, and is used by one thread at a time).
    async fn with_key<R: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn StaticKey) -> R + Send + 'static,
    ) -> Result<R, Error> {
        let key = Arc::clone(&self.key);
        tokio::task::spawn_blocking(move || {
            let key = key.lock().expect("the key lock is never poisoned");
            work(key.as_ref())
        })
        .await
        .map_err(|_| Error::Protocol("the key's worker thread stopped"))
    }

    /// Seals `content` as an advisor message in the thread `thread` of the
    /// report whose header is `header`, as every advisor message: to the
    /// reporter's mailbox, the recovery key, this key and the co-advisors
    /// enrolled and served ([`reply_recipients`]); and posts it.
    async fn post_advisor_message(
        &self,
        header: ItemHeader,
        thread: ItemId,
        config: PublicConfig,
        report_id: &str,
        content: String,
    ) -> Result<(), Error> {
        let sealed = self
            .seal_advisor_item(
                header,
                thread,
                config,
                report_id,
                ItemKind::Message,
                content.into_bytes().into(),
            )
            .await?;
        self.client.post_message(report_id, &sealed).await
    }

    /// Seals `content` as an advisor item of `kind` (a message, or an
    /// attachment: minutes' recording) in the thread `thread` of report
    /// `report_id`, to the recipients of every advisor message
    /// ([`reply_recipients`]).
    async fn seal_advisor_item(
        &self,
        header: ItemHeader,
        thread: ItemId,
        config: PublicConfig,
        report_id: &str,
        kind: ItemKind,
        content: meldkluis_crypto_core::Zeroizing<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        // An oral report's mailbox is the one its join record names (none
        // before it is joined); a reporter's own report's is its sender.
        let mailbox = self.mailbox_of(report_id, &header).await?;
        self.seal_advisor_item_to(header, thread, config, mailbox, kind, content)
            .await
    }

    /// [`Self::seal_advisor_item`] with the report's mailbox key given
    /// (the join record names the mailbox it introduces).
    async fn seal_advisor_item_to(
        &self,
        header: ItemHeader,
        thread: ItemId,
        config: PublicConfig,
        mailbox: Option<PublicKey>,
        kind: ItemKind,
        content: meldkluis_crypto_core::Zeroizing<Vec<u8>>,
    ) -> Result<Vec<u8>, Error> {
        let recovery = self.recovery;
        let enrolled = self.enrolled.clone();
        let tenant = self.client.tenant().clone();
        self.with_key(move |key| -> Result<Vec<u8>, Error> {
            let recipients = reply_recipients(
                &header,
                mailbox,
                key.public_key(),
                recovery,
                &enrolled,
                &config,
            );
            let mut rng = os_rng();
            Ok(seal_item(
                &SealParams {
                    kind,
                    tenant: &tenant,
                    item_id: ItemId::random(&mut rng),
                    report_id: thread,
                    sender: key,
                    recipients: &recipients,
                },
                &content,
                &mut rng,
            )?)
        })
        .await?
    }

    /// The page context every page needs.
    fn page<'a>(&'a self, lang: Lang, warnings: &'a [Substitution]) -> pages::Page<'a> {
        pages::Page {
            lang,
            csrf: &self.csrf,
            base: &self.base,
            tenant: self.client.tenant().as_str(),
            own_key: &self.public_key,
            warnings,
        }
    }
}

/// Turns an error into a page, or back to the log-in when the session ended.
fn failure(state: &ConsoleState, lang: Lang, error: &Error) -> Response {
    if matches!(
        error,
        Error::NotLoggedIn | Error::Server { status: 401, .. }
    ) {
        return Redirect::to(&format!("{}/", state.base)).into_response();
    }
    // The server refused what the advisor asked (a hold until today, a
    // status change it does not allow): the advisor's input, a 4xx; any
    // other failure is the server's or the network's.
    let status = match error {
        Error::Server {
            status: 400 | 409 | 422,
            ..
        } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_GATEWAY,
    };
    let warnings = Vec::new();
    (
        status,
        pages::error_page(&state.page(lang, &warnings), error),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct EntryQuery {
    k: Option<String>,
}

/// `GET /c/<capability>/`: with `?k=SECRET` (the printed address) sets the
/// session cookie, for this path only; otherwise the log-in page, or the
/// reports once logged in.
async fn home(
    State(state): State<Arc<ConsoleState>>,
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
    if state.client.logged_in() {
        return Redirect::to(&format!("{}/reports", state.base)).into_response();
    }
    let warnings = match state.client.public_config().await {
        Ok(config) => state.substitutions(&config),
        Err(_) => Vec::new(),
    };
    pages::login_page(&state.page(lang, &warnings), &state.public_key).into_response()
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLESHEET,
    )
        .into_response()
}

/// `GET /lang/{tag}`: remembers the language and goes back to the start.
async fn choose_language(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(tag): Path<String>,
) -> Response {
    state.gate().choose_language(&headers, &tag)
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// `POST /login`: answers the server's challenge with the key.
async fn log_in(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = match state.admit_post(&headers, &form.csrf) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let key = Arc::clone(&state.key);
    let result = state
        .client
        .log_in_with(state.public_key, move |message, context| {
            // Short: one key agreement. Run here rather than on a blocking
            // thread because the answer is needed before the next await.
            let key = key.lock().expect("the key lock is never poisoned");
            Ok(meldkluis_crypto_core::challenge::answer_challenge(
                key.as_ref(),
                message,
                context,
            )?)
        })
        .await;
    match result {
        Ok(()) => Redirect::to(&format!("{}/reports", state.base)).into_response(),
        Err(error) => {
            let warnings = Vec::new();
            (
                StatusCode::UNAUTHORIZED,
                pages::error_page(&state.page(lang, &warnings), &error),
            )
                .into_response()
        }
    }
}

/// `GET /reports`: the list, with status and deadlines.
async fn reports(State(state): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let (lang, config, warnings) = match state.admit_page(&headers).await {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    match state.client.reports().await {
        Ok(list) => {
            pages::reports_page(&state.page(lang, &warnings), &list, &config).into_response()
        }
        Err(error) => failure(&state, lang, &error),
    }
}

/// One opened item of a thread, ready to show.
#[derive(Debug)]
pub(crate) struct ShownItem {
    pub(crate) id: String,
    pub(crate) day: String,
    pub(crate) sender: Sender,
    /// The key that sealed it, from its opened (so authentic) header;
    /// `None` when it did not open.
    pub(crate) sender_key: Option<PublicKey>,
    /// `None`: could not be opened (deliberately not said why).
    pub(crate) content: Option<String>,
    pub(crate) size: u64,
}

/// Who sent an item, as far as the opened header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sender {
    Reporter,
    You,
    Advisor(String),
    Unknown,
}

/// Everything the report page shows, opened. Its `Debug` leaves the opened
/// content out.
pub(crate) struct OpenedThread {
    pub(crate) thread: Thread,
    pub(crate) report: Option<String>,
    pub(crate) messages: Vec<ShownItem>,
    pub(crate) attachments: Vec<ShownItem>,
    pub(crate) via_grant: bool,
    /// The pin of the report, when it opened (its header is then
    /// authentic); the forms carry its hash.
    pub(crate) report_pin: Option<ReportPin>,
    /// The pin's header hash in hex (empty when the report did not open:
    /// the forms are then refused).
    pub(crate) report_hash: String,
    /// The forwarding section's data (issue 12), fetched for the report
    /// page only.
    pub(crate) forwarding: Option<forwarding::ForwardingData>,
    /// The meetings the thread holds (issue 13), for the report page only.
    pub(crate) meetings: Option<meetings::Meetings>,
    /// The minutes section's data (issue 13), for the report page only.
    pub(crate) minutes: Option<minutes::MinutesData>,
    /// Whose mailbox the report's reporter writes from, as the console
    /// believes it (an oral report's: only from an advisor's join record).
    pub(crate) mailbox: reading::ReportMailbox,
    /// An oral report's (issue 13) registration and follow-up, opened.
    pub(crate) oral: Option<oral::OralThread>,
}

impl core::fmt::Debug for OpenedThread {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenedThread")
            .field("report_id", &self.thread.report_id)
            .field("report_opened", &self.report.is_some())
            .field("messages", &self.messages.len())
            .field("attachments", &self.attachments.len())
            .field("via_grant", &self.via_grant)
            .field("report_hash", &self.report_hash)
            .field("oral", &self.oral)
            .finish_non_exhaustive()
    }
}

fn sender_of(
    sender: &PublicKey,
    mailbox: Option<&PublicKey>,
    own: &[PublicKey],
    enrolled: &EnrolledKeys,
    config: &PublicConfig,
) -> Sender {
    if Some(sender) == mailbox {
        Sender::Reporter
    } else if own.contains(sender) {
        Sender::You
    } else if let Some(name) = enrolled.name_of(sender) {
        Sender::Advisor(name.to_owned())
    } else if let Some((_, name)) = config
        .advisors
        .iter()
        .find(|(k, _)| k.public_key == *sender)
    {
        Sender::Advisor(name.clone())
    } else {
        Sender::Unknown
    }
}

/// Fetches a thread and opens everything in it on the key's thread.
async fn open_thread(
    state: &Arc<ConsoleState>,
    config: &PublicConfig,
    report_id: &str,
) -> Result<OpenedThread, Error> {
    let thread = state.client.thread(report_id).await?;
    if thread.report_id != report_id {
        return Err(Error::Protocol("the server sent another report's thread"));
    }
    let trust = state.trust.clone();
    let enrolled = state.enrolled.clone();
    let config = config.clone();
    let own = {
        let mut own = vec![state.public_key];
        own.extend(state.enrolled.earlier.iter().copied());
        own
    };
    state
        .with_key(move |key| -> Result<OpenedThread, Error> {
            let report_bytes = thread.report_bytes()?;
            let report_header = reading::report_header(&report_bytes)
                .ok_or(Error::Protocol("the report does not parse"))?;
            let opened_report = reading::open_report(key, &trust, &thread, &report_bytes).ok();
            // Only an opened report's header is authentic; an oral report
            // whose registration does not open has no mailbox to believe.
            let opened_messages = match &opened_report {
                Some(opened) => reading::open_messages(key, &trust, &thread, &opened.header)?,
                None => reading::OpenedMessages {
                    mailbox: reading::ReportMailbox::NotJoined,
                    messages: thread
                        .messages
                        .iter()
                        .map(|_| Err(meldkluis_crypto_core::Error::CouldNotOpen))
                        .collect(),
                },
            };
            let mailbox = opened_messages.mailbox.clone();
            let oral = opened_report.as_ref().and_then(|opened| {
                oral::open_oral_thread(key, &trust, &thread, &opened.header, &mailbox)
            });
            let report_pin = opened_report
                .as_ref()
                .map(|opened| ReportPin::of(&opened.header));
            let report =
                opened_report.map(|opened| String::from_utf8_lossy(&opened.content).into_owned());
            let via_grant = !report_header.recipients.contains(&key.public_key());
            let mut messages = Vec::new();
            for (message, opened) in thread.messages.iter().zip(opened_messages.messages) {
                let size = decode_item(&message.item)?.len() as u64;
                messages.push(match opened {
                    Ok(opened) => ShownItem {
                        id: message.id.clone(),
                        day: message.created_day.clone(),
                        sender: sender_of(
                            &opened.header.sender,
                            mailbox.key().as_ref(),
                            &own,
                            &enrolled,
                            &config,
                        ),
                        sender_key: Some(opened.header.sender),
                        content: Some(String::from_utf8_lossy(&opened.content).into_owned()),
                        size,
                    },
                    Err(_) => ShownItem {
                        id: message.id.clone(),
                        day: message.created_day.clone(),
                        sender: Sender::Unknown,
                        sender_key: None,
                        content: None,
                        size,
                    },
                });
            }
            let attachments = thread
                .attachments
                .iter()
                .map(|a| ShownItem {
                    id: a.id.clone(),
                    day: a.created_day.clone(),
                    sender: if a.from == "reporter" {
                        Sender::Reporter
                    } else {
                        Sender::Advisor(String::new())
                    },
                    sender_key: None,
                    content: None,
                    size: a.item_len,
                })
                .collect();
            Ok(OpenedThread {
                thread,
                report,
                messages,
                attachments,
                via_grant,
                report_hash: report_pin.map(|p| p.hash_hex()).unwrap_or_default(),
                report_pin,
                forwarding: None,
                meetings: None,
                minutes: None,
                mailbox,
                oral,
            })
        })
        .await?
}

/// `GET /reports/{id}`: the report, its thread and the forms.
async fn report(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let Ok(report_id) = ItemId::from_hex(&report_id).map(|id| id.to_hex()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (config, warnings) = match state.config_and_warnings(lang).await {
        Ok(fetched) => fetched,
        Err(failed) => return *failed,
    };
    // The list entry has what the thread lacks: the deadlines the server
    // computed and the disclosed category.
    let (today, summary) = match state.client.reports().await {
        Ok(list) => (
            list.today,
            list.reports.into_iter().find(|r| r.report_id == report_id),
        ),
        Err(error) => return failure(&state, lang, &error),
    };
    let mut opened = match open_thread(&state, &config, &report_id).await {
        Ok(opened) => opened,
        Err(error) => return failure(&state, lang, &error),
    };
    // First sight pins the report; a different one under a pinned id is
    // not shown as if it were the report the advisor read before.
    if let Some(pin) = opened.report_pin {
        match state.pins.check_or_pin(&report_id, pin) {
            Ok(PinCheck::New | PinCheck::Same) => {}
            Ok(PinCheck::Differs) => return swapped(&state, lang, &report_id),
            Err(error) => return failure(&state, lang, &error),
        }
    }
    opened.forwarding = Some(forwarding::load(&state, &report_id).await);
    opened.meetings = Some(meetings::Meetings::read(
        &opened,
        &state.trust.advisor_senders,
    ));
    opened.minutes = Some(minutes::load(&state, &opened).await);
    pages::report_page(
        &state.page(lang, &warnings),
        &opened,
        summary.as_ref(),
        &config,
        &today,
    )
    .into_response()
}

/// Why an action on a report was not taken.
enum NotTaken {
    /// The server serves another report than the one the advisor read.
    Swapped,
    /// Anything else (the server, the network, the key).
    Failed(Error),
}

impl From<Error> for NotTaken {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

impl From<meldkluis_crypto_core::Error> for NotTaken {
    fn from(error: meldkluis_crypto_core::Error) -> Self {
        Self::Failed(error.into())
    }
}

/// The report an action is about, checked to be the one the advisor read.
struct SameReport {
    thread: Thread,
    /// The report's header: authentic (the report opened with this key).
    header: ItemHeader,
}

/// Fetches the thread again and checks that its report is the one the
/// advisor read: it opens with this key (so its header is authentic), its
/// header hash is the one the page's form carried, and it matches the pin
/// of this report id (pinning it if the console had none, e.g. after a
/// restart without a pins file).
async fn same_report(
    state: &Arc<ConsoleState>,
    report_id: &str,
    shown_hash: &str,
) -> Result<SameReport, NotTaken> {
    let thread = state.client.thread(report_id).await?;
    if thread.report_id != report_id {
        return Err(NotTaken::Swapped);
    }
    let report_bytes = thread.report_bytes()?;
    let trust = state.trust.clone();
    let fetched = thread.clone();
    let header = state
        .with_key(move |key| {
            reading::open_report(key, &trust, &fetched, &report_bytes).map(|opened| opened.header)
        })
        .await??;
    let seen = ReportPin::of(&header);
    let same_as_shown = bool::from(seen.hash_hex().as_bytes().ct_eq(shown_hash.as_bytes()));
    if !same_as_shown || state.pins.check_or_pin(report_id, seen)? == PinCheck::Differs {
        return Err(NotTaken::Swapped);
    }
    Ok(SameReport { thread, header })
}

/// The loud refusal: on standard error and as a page; nothing was sent.
fn swapped(state: &ConsoleState, lang: Lang, report_id: &str) -> Response {
    eprintln!(
        "WARNING: REPORT SWAPPED? The server now serves another report under id {} than the          one read in this console (another mailbox key or header). Nothing was sent.",
        pages::short_id(report_id)
    );
    let warnings = Vec::new();
    (
        StatusCode::CONFLICT,
        pages::report_swapped_page(&state.page(lang, &warnings), report_id),
    )
        .into_response()
}

fn not_taken(state: &ConsoleState, lang: Lang, report_id: &str, why: NotTaken) -> Response {
    match why {
        NotTaken::Swapped => swapped(state, lang, report_id),
        NotTaken::Failed(error) => failure(state, lang, &error),
    }
}

/// The report id of a path, in its one canonical form (lower-case hex), or
/// `None` for anything that is not one.
fn canonical_id(given: &str) -> Option<String> {
    ItemId::from_hex(given).ok().map(|id| id.to_hex())
}

#[derive(Debug, Deserialize)]
struct ReplyForm {
    csrf: String,
    /// The header hash of the report the page showed.
    #[serde(default)]
    report_hash: String,
    text: String,
}

/// The recipients of a reply: the reporter's mailbox, the recovery key (as
/// the advisor confirmed it), this key, and the other advisor keys the
/// report was sealed to that are still enrolled and served. Never a key
/// only the server names: a substituted key gets no reply.
fn reply_recipients(
    report_header: &ItemHeader,
    mailbox: Option<PublicKey>,
    own: PublicKey,
    recovery: PublicKey,
    enrolled: &EnrolledKeys,
    config: &PublicConfig,
) -> Vec<PublicKey> {
    let mut recipients: Vec<PublicKey> = mailbox.into_iter().collect();
    for key in [recovery, own] {
        if !recipients.contains(&key) {
            recipients.push(key);
        }
    }
    let enrolled_keys = enrolled.advisor_keys();
    for key in &report_header.recipients {
        let served = config.advisors.iter().any(|(k, _)| k.public_key == *key);
        if enrolled_keys.contains(key) && served && !recipients.contains(key) {
            recipients.push(*key);
        }
    }
    recipients
}

/// `POST /reports/{id}/reply`: seals the reply here and posts it.
async fn reply(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Response {
    let (lang, report_id) = match state.admit_report_post(&headers, &form.csrf, &report_id) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let text = form.text.trim().to_owned();
    if text.is_empty() || text.len() > MAX_REPLY_BYTES {
        return Redirect::to(&format!("{}/reports/{report_id}", state.base)).into_response();
    }
    let result = async {
        let config = state.client.public_config().await?;
        // Only the report the advisor read is answered: it opens with this
        // key (its header, and so the mailbox key, is authentic) and it is
        // the one pinned and shown.
        let SameReport { header, .. } = same_report(&state, &report_id, &form.report_hash).await?;
        let report_item_id = header.item_id;
        // The message format of web-client/REPORT-CONTENT.md, which the
        // reporter's mailbox reads.
        let content = serde_json::json!({
            "format": "meldkluis-message/1",
            "text": text,
            "attachments": [],
        })
        .to_string();
        state
            .post_advisor_message(header, report_item_id, config, &report_id, content)
            .await?;
        Ok::<(), NotTaken>(())
    }
    .await;
    match result {
        Ok(()) => {
            Redirect::to(&format!("{}/reports/{report_id}#thread", state.base)).into_response()
        }
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    csrf: String,
    #[serde(default)]
    report_hash: String,
    status: String,
    #[serde(default)]
    agreed_update_date: String,
    #[serde(default)]
    closing_reason: String,
}

/// `POST /reports/{id}/status`.
async fn set_status(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    let (lang, report_id) = match state.admit_report_post(&headers, &form.csrf, &report_id) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let date = Some(form.agreed_update_date.trim()).filter(|d| !d.is_empty());
    let reason = Some(form.closing_reason.trim()).filter(|r| !r.is_empty());
    if !pages::STATUSES.contains(&form.status.as_str()) {
        return refused_input(&state, lang, &report_id, "console-bad-status");
    }
    if date.is_some_and(|d| deadlines::day_number(d).is_none()) {
        return refused_input(&state, lang, &report_id, "console-bad-date");
    }
    if reason.is_some_and(|r| !pages::CLOSING_REASONS.contains(&r)) {
        return refused_input(&state, lang, &report_id, "console-closing-reason-needed");
    }
    let result = async {
        let SameReport { thread, .. } = same_report(&state, &report_id, &form.report_hash).await?;
        // Closing an open report needs its reason: asked here, before
        // anything is sent (the server refuses it too).
        if form.status == "closed" && is_open(&thread.status) && reason.is_none() {
            return Ok(Some("console-closing-reason-needed"));
        }
        state
            .client
            .set_status(&report_id, &form.status, date, reason)
            .await?;
        Ok::<Option<&str>, NotTaken>(None)
    }
    .await;
    match result {
        Ok(None) => Redirect::to(&format!("{}/reports/{report_id}", state.base)).into_response(),
        Ok(Some(problem)) => refused_input(&state, lang, &report_id, problem),
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

#[derive(Debug, Deserialize)]
struct CategoryForm {
    csrf: String,
    #[serde(default)]
    report_hash: String,
    #[serde(default)]
    category: String,
}

/// `POST /reports/{id}/category`.
async fn set_category(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<CategoryForm>,
) -> Response {
    let (lang, report_id) = match state.admit_report_post(&headers, &form.csrf, &report_id) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let category = Some(form.category.trim()).filter(|c| !c.is_empty());
    let result = async {
        same_report(&state, &report_id, &form.report_hash).await?;
        state.client.set_category(&report_id, category).await?;
        Ok::<(), NotTaken>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("{}/reports/{report_id}", state.base)).into_response(),
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

/// Whether a status is one of an open report (not closed or archived).
fn is_open(status: &str) -> bool {
    !matches!(status, "closed" | "archived")
}

/// 422: the form asked for something the console does not send (a closure
/// without a reason, a hold without a day); nothing was sent.
fn refused_input(state: &ConsoleState, lang: Lang, report_id: &str, text_id: &str) -> Response {
    let warnings = Vec::new();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        pages::input_refused_page(&state.page(lang, &warnings), report_id, text_id),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct HoldForm {
    csrf: String,
    #[serde(default)]
    report_hash: String,
    /// `set` or `remove`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

/// `POST /reports/{id}/hold`: keeps one report longer than the tenant's
/// retention period (until a day, with a reason code), or ends that.
async fn set_hold(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<HoldForm>,
) -> Response {
    let (lang, report_id) = match state.admit_report_post(&headers, &form.csrf, &report_id) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let (until, reason) = (form.until.trim(), form.reason.trim());
    let hold = match form.action.as_str() {
        "remove" => None,
        "set" => {
            if deadlines::day_number(until).is_none() {
                return refused_input(&state, lang, &report_id, "console-hold-day-needed");
            }
            if !pages::HOLD_REASONS.contains(&reason) {
                return refused_input(&state, lang, &report_id, "console-hold-reason-needed");
            }
            Some((until, reason))
        }
        _ => return refused_input(&state, lang, &report_id, "console-error-other"),
    };
    let result = async {
        same_report(&state, &report_id, &form.report_hash).await?;
        state.client.set_hold(&report_id, hold).await?;
        Ok::<(), NotTaken>(())
    }
    .await;
    match result {
        Ok(()) => {
            Redirect::to(&format!("{}/reports/{report_id}#lifecycle", state.base)).into_response()
        }
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

/// `GET /register`: the tenant's register of reports, every line (codes
/// and days only), as every advisor of the tenant reads it.
async fn register(State(state): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let (lang, config, warnings) = match state.admit_page(&headers).await {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    match state.client.register().await {
        Ok(register) => {
            pages::register_page(&state.page(lang, &warnings), &register, &config).into_response()
        }
        Err(error) => failure(&state, lang, &error),
    }
}

/// `GET /register.csv`: the server's register CSV as a download, every
/// cell made harmless for a spreadsheet ([`csv`]).
async fn register_csv(State(state): State<Arc<ConsoleState>>, headers: HeaderMap) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let bytes = match state.client.register_csv().await {
        Ok(bytes) => bytes,
        Err(error) => return failure(&state, lang, &error),
    };
    let Ok(text) = csv::harmless_csv(&bytes) else {
        return failure(
            &state,
            lang,
            &Error::Protocol("the register CSV does not parse"),
        );
    };
    let name = format!("meldkluis-register-{}.csv", state.client.tenant().as_str());
    csv::csv_download(text, &name)
}

/// The export form: the CSRF token and the file's name as the sender gave
/// it in their (opened) report or message, if any.
#[derive(Deserialize)]
struct ExportForm {
    csrf: String,
    #[serde(default)]
    report_hash: String,
    name: Option<String>,
}

/// Characters RFC 5987 lets stand in `filename*`; all others are encoded.
const FILENAME_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The file name an exported attachment is saved under: the name its
/// sender gave, made harmless (its last path part only, no control
/// characters, quotes or leading dots, at most 120 characters), or
/// `meldkluis-<id>.bin` when there is none.
fn download_name(given: Option<&str>, attachment_id: &str) -> String {
    let last_part = given
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = last_part
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\u{2028}' | '\u{2029}'))
        .take(120)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        format!("meldkluis-{}.bin", pages::short_id(attachment_id))
    } else {
        cleaned.to_owned()
    }
}

/// `Content-Disposition` for an exported attachment: always a download,
/// with an ASCII name for old browsers and the UTF-8 name (RFC 6266).
fn content_disposition(given: Option<&str>, attachment_id: &str) -> String {
    let name = download_name(given, attachment_id);
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(&name, FILENAME_KEEP);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// `POST /reports/{id}/attachments/{aid}/export`: the advisor exports an
/// attachment on purpose: opened in memory and handed to the browser as a
/// download. The only way decrypted content leaves the console.
async fn export_attachment(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path((report_id, attachment_id)): Path<(String, String)>,
    Form(form): Form<ExportForm>,
) -> Response {
    let lang = match state.admit_post(&headers, &form.csrf) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let (Some(report_id), Some(attachment_id)) =
        (canonical_id(&report_id), canonical_id(&attachment_id))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match attachment_content(&state, &report_id, &attachment_id, &form.report_hash).await {
        Ok(content) => {
            let disposition = content_disposition(form.name.as_deref(), &attachment_id);
            let mut response = content.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

/// An attachment of the report the advisor read (`report_hash`), opened in
/// memory: for the export and for playing a voice message
/// ([`voice`]). Only from the senders the report's header allows.
async fn attachment_content(
    state: &Arc<ConsoleState>,
    report_id: &str,
    attachment_id: &str,
    report_hash: &str,
) -> Result<Vec<u8>, NotTaken> {
    // The senders an attachment may have come from the report's
    // header: only the report the advisor read.
    let SameReport { thread, header } = same_report(state, report_id, report_hash).await?;
    let mailbox = state.report_mailbox(&thread, &header).await?;
    let item = state.client.attachment(report_id, attachment_id).await?;
    let trust = state.trust.clone();
    let id = attachment_id.to_owned();
    let content = state
        .with_key(move |key| -> Result<Vec<u8>, Error> {
            let senders = reading::thread_senders_with(&header, &trust, &mailbox);
            let opened = reading::open_thread_item(key, &trust, &thread, &senders, &id, &item)?;
            Ok(opened.content.to_vec())
        })
        .await??;
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_file_names_are_harmless() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(download_name(Some("bewijs.pdf"), id), "bewijs.pdf");
        assert_eq!(download_name(Some("../../etc/passwd"), id), "passwd");
        assert_eq!(
            download_name(Some("C:\\Users\\x\\foto.jpg"), id),
            "foto.jpg"
        );
        assert_eq!(download_name(Some(".bashrc"), id), "bashrc");
        assert_eq!(download_name(Some("a\"b\r\nc.txt"), id), "abc.txt");
        assert_eq!(download_name(Some(" .. "), id), "meldkluis-01234567.bin");
        assert_eq!(download_name(None, id), "meldkluis-01234567.bin");
        assert_eq!(download_name(Some(&"x".repeat(500)), id).len(), 120);
        assert_eq!(
            content_disposition(Some("verslag mei ü.pdf"), id),
            "attachment; filename=\"verslag mei _.pdf\"; filename*=UTF-8''verslag%20mei%20%C3%BC.pdf"
        );
        // Nothing that could end the header or its quoted name survives.
        let nasty = content_disposition(Some("a\";\r\nSet-Cookie: x=1\\.txt"), id);
        assert!(!nasty.contains('\r') && !nasty.contains('\n'), "{nasty}");
        assert_eq!(nasty.matches('"').count(), 2, "{nasty}");
    }

    #[test]
    fn replies_never_go_to_a_key_only_the_server_names() {
        let key = |b: u8| PublicKey::from_bytes([b; 32]);
        let served = |k: PublicKey| crate::enrolled::ServedKey {
            public_key: k,
            fingerprint: k.fingerprint(),
        };
        let enrolled = EnrolledKeys {
            advisors: vec![(key(1), String::new()), (key(2), String::new())],
            recovery: Some(key(9)),
            earlier: Vec::new(),
            former_recovery: Vec::new(),
            recipients: Vec::new(),
        };
        let config = PublicConfig {
            name: String::new(),
            // key(2) was swapped for key(6) by the server.
            advisors: vec![
                (served(key(1)), String::new()),
                (served(key(6)), String::new()),
            ],
            recovery: Some(served(key(9))),
            questionnaire: serde_json::Value::Null,
            advisor_names: Vec::new(),
        };
        let mut rng = os_rng();
        let mailbox = meldkluis_crypto_core::StaticSecret::generate(&mut rng);
        let id = ItemId::random(&mut rng);
        let tenant = TenantId::new("t").expect("valid");
        let report = seal_item(
            &SealParams {
                kind: ItemKind::Report,
                tenant: &tenant,
                item_id: id,
                report_id: id,
                sender: &mailbox,
                recipients: &[mailbox.public_key(), key(9), key(1), key(2), key(6)],
            },
            b"x",
            &mut rng,
        )
        .expect("sealed");
        let (header, _) = ItemHeader::parse(&report).expect("parses");
        let recipients = reply_recipients(
            &header,
            Some(mailbox.public_key()),
            key(1),
            key(9),
            &enrolled,
            &config,
        );
        assert_eq!(recipients, vec![mailbox.public_key(), key(9), key(1)]);
    }
}
