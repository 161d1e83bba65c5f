//! The advisor's side of the server's HTTP API: log-in with the key (the
//! challenge), the reports, threads, attachments, messages, status,
//! category and key grants; and the tenant's public configuration, fetched
//! exactly as a reporter's browser fetches it.
//!
//! Everything that crosses here is ciphertext or metadata: items are sealed
//! and opened by the caller, on this machine.

use std::sync::Mutex;

use base64::Engine as _;
use meldkluis_crypto_core::challenge::{
    answer_challenge, login_context, ANSWER_LEN, CHALLENGE_LEN,
};
use meldkluis_crypto_core::{PublicKey, StaticKey, TenantId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::enrolled::{ServedKey, ServedRecipient};
use crate::Error;

mod oral;
pub use oral::{FollowUp, Joined, OralChannel, OralReportRegistered};

/// Largest item the console downloads into memory (a report, a message, an
/// attachment): 1 GiB.
const MAX_DOWNLOAD: u64 = 1 << 30;

/// Largest JSON answer read from the server: a thread with its report and
/// messages inline (base64). A server that sends more is refused, so a
/// breached one cannot fill the advisor's memory.
pub const MAX_JSON_ANSWER: usize = 64 << 20;

/// Whether `host` (as in a URL) is this machine: `localhost`, 127.0.0.0/8
/// or `::1`. Only there may the server be reached over plain HTTP.
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks a server address: `https://`, or `http://` on this machine only
/// (a test or demo server). Returns the origin (`scheme://host[:port]`),
/// which the log-in answer is bound to.
pub fn server_origin(base: &str) -> Result<String, Error> {
    let url = reqwest::Url::parse(base).map_err(|_| Error::BadServerAddress(base.to_owned()))?;
    let host = url
        .host_str()
        .ok_or_else(|| Error::BadServerAddress(base.to_owned()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => return Err(Error::InsecureServer(base.to_owned())),
        _ => return Err(Error::BadServerAddress(base.to_owned())),
    }
    Ok(url.origin().ascii_serialization())
}

/// Reads a whole answer body, refusing one over `max` bytes as soon as it
/// passes that size (nothing beyond is kept in memory).
async fn read_limited(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, Error> {
    if response
        .content_length()
        .is_some_and(|len| len > max as u64)
    {
        return Err(Error::AnswerTooLarge { max });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Error::Http(e.without_url().to_string()))?
    {
        if bytes.len() + chunk.len() > max {
            return Err(Error::AnswerTooLarge { max });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads a JSON answer of at most [`MAX_JSON_ANSWER`] bytes.
///
/// Read through a [`Value`] first: a key sent twice counts once (the last),
/// as in a browser, instead of failing the whole answer.
async fn json_limited<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    what: &'static str,
) -> Result<T, Error> {
    let bytes = read_limited(response, MAX_JSON_ANSWER).await?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| Error::Protocol(what))?;
    drop(bytes);
    serde_json::from_value(value).map_err(|_| Error::Protocol(what))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Result<Vec<u8>, Error> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| Error::Protocol("base64"))
}

/// A bearer token for the server. Never printed; wiped on drop.
struct Session(meldkluis_crypto_core::Zeroizing<String>);

/// A client for one tenant of one server.
pub struct ServerClient {
    http: reqwest::Client,
    base: String,
    origin: String,
    tenant: TenantId,
    session: Mutex<Option<Session>>,
}

impl core::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerClient")
            .field("base", &self.base)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// The tenant's public configuration, as a reporter's browser receives it.
#[derive(Debug, Clone)]
pub struct PublicConfig {
    /// The tenant's name.
    pub name: String,
    /// The advisor keys reporters seal to, with display names.
    pub advisors: Vec<(ServedKey, String)>,
    /// The recovery key reporters seal to.
    pub recovery: Option<ServedKey>,
    /// The questionnaire (categories and questions), as the server keeps it.
    pub questionnaire: Value,
    /// The advisors' ids on the server with their display names (to name
    /// the advisor of a report's event; never used to choose a key).
    pub advisor_names: Vec<(i64, String)>,
}

/// A longer hold of one report (beyond the tenant's retention period),
/// with its reason code (never free text).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hold {
    /// Kept at least until this day (`YYYY-MM-DD`).
    pub until: String,
    /// The reason code (`legal_proceedings`, `investigation`, ...).
    pub reason: String,
}

/// An event in a report's life: closed, reopened, a hold set or removed.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportEvent {
    /// The day (`YYYY-MM-DD`).
    pub day: String,
    /// `closed`, `reopened`, `hold_set`, `hold_removed`, `silence_warning`.
    pub event: String,
    /// The advisor who did it (the server's id), if an advisor did.
    #[serde(default)]
    pub advisor_id: Option<i64>,
    /// A code: the closing reason, or `reason:until_day` for a hold.
    #[serde(default)]
    pub detail: Option<String>,
}

/// The fields of a report's life the server sends with a report (in the
/// list and with the thread). Every field has a default, so a server from
/// before closing and retention still reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Lifecycle {
    /// The report's number in the tenant's register.
    #[serde(default)]
    pub register_number: Option<i64>,
    /// The reason it was closed (a code), while closed.
    #[serde(default)]
    pub closing_reason: Option<String>,
    /// The day it was (last) closed, while closed.
    #[serde(default)]
    pub closed_day: Option<String>,
    /// The day its content will be deleted (closed reports).
    #[serde(default)]
    pub deletion_day: Option<String>,
    /// A longer hold, if set.
    #[serde(default)]
    pub hold: Option<Hold>,
    /// The day of the reporter's last item, when the advisor wrote last.
    #[serde(default)]
    pub silent_since: Option<String>,
    /// Whether the advisor may close it after the reporter's silence (an
    /// offer, never done by itself).
    #[serde(default)]
    pub silence_close_offered: bool,
}

/// A report as listed: metadata only.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportSummary {
    /// Report id (hex).
    pub report_id: String,
    /// Day received.
    pub created_day: String,
    /// Status code.
    pub status: String,
    /// Day of the last status change.
    pub status_day: Option<String>,
    /// The agreed update date.
    pub agreed_update_date: Option<String>,
    /// The category disclosed for aggregate figures.
    pub category: Option<String>,
    /// Messages in the thread.
    pub message_count: u64,
    /// Attachments in the thread.
    pub attachment_count: u64,
    /// How the report came in: `web`, `oral` or `meeting`.
    #[serde(default = "web")]
    pub channel: String,
    /// `own` (a web report's mailbox), `none` (an oral report without a
    /// mailbox yet) or `joined` (an oral report joined to a follow-up
    /// mailbox).
    #[serde(default = "own")]
    pub mailbox_state: String,
    /// The legal clocks still running, as the server computes them (the
    /// one place the deadline rules live).
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
    /// Closure, deletion day, hold, the reporter's silence.
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
}

/// A running deadline of a report, as the server computed it.
#[derive(Debug, Clone, Deserialize)]
pub struct Deadline {
    /// `acknowledgement`, `feedback` or `agreed_update`.
    pub kind: String,
    /// The day it falls due (`YYYY-MM-DD`).
    pub due: String,
    /// Days from the server's today to that day (negative when overdue).
    pub days_left: i64,
}

/// The reports this advisor may see, and the day the server counts from.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportList {
    /// The server's today (`YYYY-MM-DD`, UTC).
    pub today: String,
    /// The reports, newest first.
    pub reports: Vec<ReportSummary>,
}

/// A message in a thread.
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadMessage {
    /// Item id (hex).
    pub id: String,
    /// `reporter` or `advisor`.
    pub from: String,
    /// Day received.
    pub created_day: String,
    /// The sealed item (base64).
    pub item: String,
}

/// An attachment in a thread.
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadAttachment {
    /// Item id (hex).
    pub id: String,
    /// `reporter` or `advisor`.
    pub from: String,
    /// Day received.
    pub created_day: String,
    /// Sealed length in bytes.
    pub item_len: u64,
}

/// A key grant to the logged-in key.
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadGrant {
    /// The item (hex).
    pub item_id: String,
    /// The grant (base64).
    pub grant: String,
}

/// A whole thread as the server keeps it: sealed items and metadata.
#[derive(Debug, Clone, Deserialize)]
pub struct Thread {
    /// Report id (hex).
    pub report_id: String,
    /// Day received.
    pub created_day: String,
    /// Status code.
    pub status: String,
    /// The agreed update date.
    pub agreed_update_date: Option<String>,
    /// The sealed report (base64).
    pub report: String,
    /// Messages, oldest first.
    pub messages: Vec<ThreadMessage>,
    /// Attachments, oldest first.
    pub attachments: Vec<ThreadAttachment>,
    /// Key grants to the logged-in key.
    #[serde(default)]
    pub grants: Vec<ThreadGrant>,
    /// Key grants to the tenant's current recovery key (after it replaced
    /// another: `meldkluis-advisor replace-recovery-key`).
    #[serde(default)]
    pub recovery_grants: Vec<ThreadGrant>,
    /// Closure, deletion day, hold, the reporter's silence.
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    /// The report's life, oldest first (closures, reopenings, holds).
    #[serde(default)]
    pub events: Vec<ReportEvent>,
    /// The forwards made of this report (issue 12), as the reporter's
    /// mailbox shows them.
    #[serde(default)]
    pub forwards: Vec<ThreadForward>,
    /// How the report came in: `web`, `oral` or `meeting`.
    #[serde(default = "web")]
    pub channel: String,
    /// `own`, `none` or `joined` (see [`ReportSummary::mailbox_state`]).
    #[serde(default = "own")]
    pub mailbox_state: String,
    /// For a joined report: the follow-up item (base64) the reporter's
    /// mailbox sealed, kind report, its header report id its own item id.
    /// The server's word: trust its mailbox key only as a join record
    /// sealed by a trusted advisor names it.
    #[serde(default)]
    pub opening_item: Option<String>,
    /// For a joined report: the day it was joined.
    #[serde(default)]
    pub joined_day: Option<String>,
}

fn web() -> String {
    "web".to_owned()
}

fn own() -> String {
    "own".to_owned()
}

/// A forward of a report, as the thread lists it (the server's word).
#[derive(Debug, Clone, Deserialize)]
pub struct ThreadForward {
    /// The day it was made (`YYYY-MM-DD`).
    pub day: String,
    /// The forward recipient's label.
    pub label: String,
    /// `forward`.
    #[serde(default)]
    pub role: String,
}

/// A forward of a report, as `GET advisor/reports/{id}/forwards` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Forward {
    /// The forward item's id (hex).
    pub item_id: String,
    /// The day it was made (`YYYY-MM-DD`).
    pub day: String,
    /// The recipient's label, as the server keeps it.
    pub recipient_label: String,
    /// The recipient's key (hex), as the server keeps it.
    pub recipient_public_key: String,
}

/// What the server answered to a forward.
#[derive(Debug, Clone, Deserialize)]
pub struct ForwardPosted {
    /// The forward item's id (hex).
    pub item_id: String,
    /// The day it was recorded (`YYYY-MM-DD`).
    pub day: String,
}

/// One line of the tenant's register of reports: codes and days only,
/// kept after the report's content is deleted.
#[derive(Debug, Clone, Deserialize)]
pub struct RegisterLine {
    /// The report number.
    pub number: i64,
    /// Day received.
    pub received_day: String,
    /// The disclosed category, if recorded.
    #[serde(default)]
    pub category: Option<String>,
    /// The closing reason, once closed.
    #[serde(default)]
    pub closing_reason: Option<String>,
    /// The day closed.
    #[serde(default)]
    pub closed_day: Option<String>,
    /// A longer hold: until this day.
    #[serde(default)]
    pub hold_until: Option<String>,
    /// A longer hold: its reason code.
    #[serde(default)]
    pub hold_reason: Option<String>,
    /// The day the content will be deleted.
    #[serde(default)]
    pub deletion_day: Option<String>,
    /// The day the content was deleted.
    #[serde(default)]
    pub deleted_day: Option<String>,
    /// The day receipt was first acknowledged (issue 12; absent from an
    /// older server).
    #[serde(default)]
    pub acknowledged_day: Option<String>,
    /// The day feedback was first given (issue 12).
    #[serde(default)]
    pub feedback_day: Option<String>,
    /// `web`, `oral` or `meeting` (issue 12; an older server: web).
    #[serde(default)]
    pub channel: Option<String>,
    /// The report id (32 hex) while the content exists (issue 12).
    #[serde(default)]
    pub report_id: Option<String>,
}

/// The tenant's register, as every advisor of the tenant reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct Register {
    /// Every line, as the server orders them.
    pub lines: Vec<RegisterLine>,
    /// The tenant's retention settings, as the server states them.
    #[serde(default)]
    pub lifecycle: Value,
}

/// The tenant's settings the register states: the end of a report's life,
/// and the figures threshold. Every field is required: a figures report
/// is never computed with a threshold the server did not state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TenantLifecycle {
    /// Months after closure until a report's content is deleted.
    pub retention_months: u32,
    /// Months after closure until its register line is deleted.
    pub register_months: u32,
    /// Weeks of the reporter's silence before closing is offered (0: never).
    pub silence_weeks: u32,
    /// The figures threshold as served: the console checks it (never
    /// below 3) before computing anything with it.
    pub figures_threshold: u32,
}

impl Register {
    /// The tenant's settings, typed; an error if a field is missing or is
    /// not a whole number (no default is put in its place).
    pub fn tenant_lifecycle(&self) -> Result<TenantLifecycle, Error> {
        TenantLifecycle::deserialize(&self.lifecycle)
            .map_err(|_| Error::Protocol("the register's lifecycle is incomplete or not numbers"))
    }
}

impl Thread {
    /// The first grant to the logged-in key for an item, if any.
    pub fn grant_for(&self, item_id_hex: &str) -> Option<Vec<u8>> {
        self.grants_for(item_id_hex).next()
    }

    /// Every grant to the logged-in key for an item, in the server's order.
    /// A reader tries them all: the order is the server's word, and a
    /// co-advisor's garbage grant must not hide the real grantor's.
    pub fn grants_for<'a>(&'a self, item_id_hex: &'a str) -> impl Iterator<Item = Vec<u8>> + 'a {
        self.grants
            .iter()
            .filter(move |g| g.item_id == item_id_hex)
            .filter_map(|g| unb64(&g.grant).ok())
    }

    /// This thread as the tenant's recovery key reads it: with the grants
    /// to the recovery key in place of those to the logged-in key.
    pub fn for_recovery_key(&self) -> Self {
        Self {
            grants: self.recovery_grants.clone(),
            ..self.clone()
        }
    }

    /// The sealed report's bytes.
    pub fn report_bytes(&self) -> Result<Vec<u8>, Error> {
        unb64(&self.report)
    }
}

/// Decodes a sealed item sent as base64.
pub fn decode_item(text: &str) -> Result<Vec<u8>, Error> {
    unb64(text)
}

fn served_key(value: &Value) -> Result<ServedKey, Error> {
    let public_key = value["public_key"]
        .as_str()
        .and_then(|h| PublicKey::from_hex(h).ok())
        .ok_or(Error::Protocol("config: public_key"))?;
    let fingerprint = value["fingerprint"]
        .as_str()
        .ok_or(Error::Protocol("config: fingerprint"))?
        .to_owned();
    Ok(ServedKey {
        public_key,
        fingerprint,
    })
}

impl ServerClient {
    /// A client for `tenant` at `base` (e.g. `https://meld.example`).
    /// Refuses a plain `http://` address unless it is on this machine
    /// ([`Error::InsecureServer`]).
    pub fn new(base: &str, tenant: TenantId) -> Result<Self, Error> {
        let origin = server_origin(base)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| Error::Http(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            origin,
            tenant,
            session: Mutex::new(None),
        })
    }

    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The server's origin (`https://meld.example`), as checked at start.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/t/{}{path}", self.base, self.tenant)
    }

    fn bearer(&self) -> Result<String, Error> {
        self.session
            .lock()
            .expect("the session lock is never poisoned")
            .as_ref()
            .map(|s| s.0.to_string())
            .ok_or(Error::NotLoggedIn)
    }

    /// Sends a request, turning an error answer into [`Error::Server`].
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, Error> {
        let response = request
            .send()
            .await
            .map_err(|e| Error::Http(e.without_url().to_string()))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            // The session ended (expired, server restarted, key revoked).
            *self
                .session
                .lock()
                .expect("the session lock is never poisoned") = None;
        }
        let body: Value = read_limited(response, 64 * 1024)
            .await
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or(Value::Null);
        Err(Error::Server {
            status: status.as_u16(),
            code: body["error"]["code"]
                .as_str()
                .unwrap_or("unknown")
                .to_owned(),
        })
    }

    /// `GET path` with the session's bearer token, through [`Self::send`].
    async fn get(&self, path: &str) -> Result<reqwest::Response, Error> {
        self.send(self.http.get(self.url(path)).bearer_auth(self.bearer()?))
            .await
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        let response = self.get(path).await?;
        json_limited(response, "JSON answer").await
    }

    async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Result<Value, Error> {
        let response = self
            .send(
                self.http
                    .request(method, self.url(path))
                    .bearer_auth(self.bearer()?)
                    .json(body),
            )
            .await?;
        let bytes = read_limited(response, MAX_JSON_ANSWER).await?;
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// `GET /config`, without a session, exactly as a reporter's browser
    /// asks for it.
    pub async fn public_config(&self) -> Result<PublicConfig, Error> {
        let config: Value = json_limited(
            self.send(self.http.get(self.url("/config"))).await?,
            "config JSON",
        )
        .await?;
        let advisors = config["advisors"]
            .as_array()
            .ok_or(Error::Protocol("config: advisors"))?
            .iter()
            .map(|a| {
                Ok((
                    served_key(a)?,
                    a["display_name"].as_str().unwrap_or("").to_owned(),
                ))
            })
            .collect::<Result<_, Error>>()?;
        let recovery = match &config["recovery_key"] {
            Value::Null => None,
            value => Some(served_key(value)?),
        };
        let advisor_names = config["advisors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some((
                    a["id"].as_i64()?,
                    a["display_name"].as_str().unwrap_or("").to_owned(),
                ))
            })
            .collect();
        Ok(PublicConfig {
            name: config["name"].as_str().unwrap_or("").to_owned(),
            advisors,
            recovery,
            questionnaire: config["questionnaire"].clone(),
            advisor_names,
        })
    }

    /// Logs in by answering the server's challenge with `key` (in the
    /// token). The key agreement runs in the caller's thread.
    pub async fn log_in(&self, key: &dyn StaticKey) -> Result<(), Error> {
        self.log_in_with(key.public_key(), |message, context| {
            Ok(answer_challenge(key, message, context)?)
        })
        .await
    }

    /// Logs in as `public_key`, with `answer` computing the answer to the
    /// challenge message for the context (where the key is held elsewhere,
    /// e.g. behind a lock or on a blocking thread).
    pub async fn log_in_with<F>(&self, public_key: PublicKey, answer: F) -> Result<(), Error>
    where
        F: FnOnce(&[u8; CHALLENGE_LEN], &[u8]) -> Result<[u8; ANSWER_LEN], Error>,
    {
        let challenge: Value = json_limited(
            self.send(self.http.get(self.url("/advisor/challenge")))
                .await?,
            "challenge JSON",
        )
        .await?;
        let message: [u8; CHALLENGE_LEN] = challenge["challenge"]
            .as_str()
            .and_then(|c| unb64(c).ok())
            .and_then(|c| c.try_into().ok())
            .ok_or(Error::Protocol("challenge"))?;
        let answer = answer(&message, &login_context(&self.tenant, &self.origin))?;
        let response: Value = json_limited(
            self.send(self.http.post(self.url("/advisor/login")).json(&json!({
                "challenge_id": challenge["challenge_id"],
                "public_key": public_key.to_hex(),
                "response": b64(&answer),
            })))
            .await?,
            "log-in JSON",
        )
        .await?;
        self.keep_session(&response)
    }

    /// Keeps the bearer token of a log-in answer (advisor or recipient) as
    /// this client's session.
    fn keep_session(&self, response: &Value) -> Result<(), Error> {
        let token = response["token"]
            .as_str()
            .ok_or(Error::Protocol("log-in token"))?;
        *self
            .session
            .lock()
            .expect("the session lock is never poisoned") = Some(Session(
            meldkluis_crypto_core::Zeroizing::new(token.to_owned()),
        ));
        Ok(())
    }

    /// Whether a session is open (as far as this client knows).
    pub fn logged_in(&self) -> bool {
        self.session
            .lock()
            .expect("the session lock is never poisoned")
            .is_some()
    }

    /// The reports this advisor may see, newest first.
    pub async fn reports(&self) -> Result<ReportList, Error> {
        self.get_json("/advisor/reports").await
    }

    /// A report's thread (sealed items, metadata, grants to this key).
    pub async fn thread(&self, report_id: &str) -> Result<Thread, Error> {
        self.get_json(&format!("/advisor/reports/{report_id}"))
            .await
    }

    /// A sealed attachment, whole, into memory.
    pub async fn attachment(&self, report_id: &str, attachment_id: &str) -> Result<Vec<u8>, Error> {
        let mut response = self
            .get(&format!(
                "/advisor/reports/{report_id}/attachments/{attachment_id}"
            ))
            .await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Error::Http(e.without_url().to_string()))?
        {
            if (bytes.len() + chunk.len()) as u64 > MAX_DOWNLOAD {
                return Err(Error::Protocol("attachment over 1 GiB"));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// A sealed attachment, streamed: `each` gets its bytes in order as they
    /// arrive, so a caller can verify or grant it in constant memory. An
    /// error from `each` stops the download and is returned.
    pub async fn attachment_chunks<F>(
        &self,
        report_id: &str,
        attachment_id: &str,
        mut each: F,
    ) -> Result<(), Error>
    where
        F: FnMut(&[u8]) -> Result<(), Error>,
    {
        let mut response = self
            .get(&format!(
                "/advisor/reports/{report_id}/attachments/{attachment_id}"
            ))
            .await?;
        let mut total = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Error::Http(e.without_url().to_string()))?
        {
            total += chunk.len() as u64;
            if total > MAX_DOWNLOAD {
                return Err(Error::Protocol("attachment over 1 GiB"));
            }
            each(&chunk)?;
        }
        Ok(())
    }

    /// The first `max` bytes of a sealed attachment (enough for its header),
    /// without downloading the rest.
    pub async fn attachment_head(
        &self,
        report_id: &str,
        attachment_id: &str,
        max: usize,
    ) -> Result<Vec<u8>, Error> {
        let mut response = self
            .get(&format!(
                "/advisor/reports/{report_id}/attachments/{attachment_id}"
            ))
            .await?;
        let mut bytes = Vec::new();
        while bytes.len() < max {
            match response
                .chunk()
                .await
                .map_err(|e| Error::Http(e.without_url().to_string()))?
            {
                Some(chunk) => bytes.extend_from_slice(&chunk),
                None => break,
            }
        }
        bytes.truncate(max);
        Ok(bytes)
    }

    /// Posts a sealed message to a report's thread.
    pub async fn post_message(&self, report_id: &str, item: &[u8]) -> Result<(), Error> {
        self.send_json(
            reqwest::Method::POST,
            &format!("/advisor/reports/{report_id}/messages"),
            &json!({ "item": b64(item) }),
        )
        .await
        .map(drop)
    }

    /// Sets status, agreed update date and closing reason.
    pub async fn set_status(
        &self,
        report_id: &str,
        status: &str,
        agreed_update_date: Option<&str>,
        closing_reason: Option<&str>,
    ) -> Result<(), Error> {
        self.send_json(
            reqwest::Method::PUT,
            &format!("/advisor/reports/{report_id}/status"),
            &json!({
                "status": status,
                "agreed_update_date": agreed_update_date,
                "closing_reason": closing_reason,
            }),
        )
        .await
        .map(drop)
    }

    /// Records (or withdraws) the category disclosed for aggregate figures.
    pub async fn set_category(&self, report_id: &str, category: Option<&str>) -> Result<(), Error> {
        self.send_json(
            reqwest::Method::PUT,
            &format!("/advisor/reports/{report_id}/category"),
            &json!({ "category": category }),
        )
        .await
        .map(drop)
    }

    /// Sets a longer hold on a report (`Some((until, reason))`) or removes
    /// it (`None`).
    pub async fn set_hold(&self, report_id: &str, hold: Option<(&str, &str)>) -> Result<(), Error> {
        let body = match hold {
            Some((until, reason)) => json!({ "until": until, "reason": reason }),
            None => json!({ "until": null }),
        };
        self.send_json(
            reqwest::Method::PUT,
            &format!("/advisor/reports/{report_id}/hold"),
            &body,
        )
        .await
        .map(drop)
    }

    /// The tenant's register (every line, for every advisor of the tenant).
    pub async fn register(&self) -> Result<Register, Error> {
        self.get_json("/advisor/register").await
    }

    /// The tenant's register as the server's CSV (at most
    /// [`MAX_JSON_ANSWER`] bytes).
    pub async fn register_csv(&self) -> Result<Vec<u8>, Error> {
        let response = self.get("/advisor/register.csv").await?;
        read_limited(response, MAX_JSON_ANSWER).await
    }

    /// Uploads key grants for items of a report. Returns how many were new.
    pub async fn post_grants(&self, report_id: &str, grants: &[Vec<u8>]) -> Result<u64, Error> {
        let mut stored = 0;
        for batch in grants.chunks(512) {
            let answer = self
                .send_json(
                    reqwest::Method::POST,
                    &format!("/advisor/reports/{report_id}/grants"),
                    &json!({ "grants": batch.iter().map(|g| b64(g)).collect::<Vec<_>>() }),
                )
                .await?;
            stored += answer["stored"].as_u64().unwrap_or(0);
        }
        Ok(stored)
    }
}

/// A figures report the tenant published (`GET advisor/figures`): the
/// server's list; the report itself is opened with the advisor's key.
#[derive(Debug, Clone, Deserialize)]
pub struct PublishedFigures {
    /// The item's id (hex), also its report id.
    pub item_id: String,
    /// The period: `2026-Q3` or `2026`.
    pub period: String,
    /// The day it was published.
    pub posted_day: String,
    /// The sending advisor's key (hex).
    pub sender: String,
}

#[derive(Deserialize)]
struct FiguresList {
    figures: Vec<PublishedFigures>,
}

/// Figures for management (issue 12): the tenant's published figures
/// reports, one of them sealed, and publishing a new one.
impl ServerClient {
    /// The tenant's published figures reports, as the server lists them.
    pub async fn published_figures(&self) -> Result<Vec<PublishedFigures>, Error> {
        let list: FiguresList = self.get_json("/advisor/figures").await?;
        Ok(list.figures)
    }

    /// One published figures report, sealed (at most [`MAX_JSON_ANSWER`]
    /// bytes).
    pub async fn figures_item(&self, item_id: &str) -> Result<Vec<u8>, Error> {
        let response = self.get(&format!("/advisor/figures/{item_id}")).await?;
        read_limited(response, MAX_JSON_ANSWER).await
    }

    /// Publishes a sealed figures report for `period` (`2026-Q3`, `2026`).
    /// Returns the item id the server stored it under.
    pub async fn post_figures(&self, period: &str, item: &[u8]) -> Result<String, Error> {
        let response = self
            .send(
                self.http
                    .post(self.url("/advisor/figures"))
                    .query(&[("period", period)])
                    .bearer_auth(self.bearer()?)
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(item.to_vec()),
            )
            .await?;
        let answer: Value = json_limited(response, "figures answer").await?;
        answer["item_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or(Error::Protocol("figures answer: item_id"))
    }
}

/// The organisation's recipients and forwarding (issue 12).
impl ServerClient {
    /// The tenant's current recipients (management and forward), as the
    /// server serves them. A recipient whose key or role does not parse is
    /// a protocol error: the whole answer is refused, not half-read.
    pub async fn recipients(&self) -> Result<Vec<ServedRecipient>, Error> {
        let answer: Value = self.get_json("/advisor/recipients").await?;
        answer["recipients"]
            .as_array()
            .ok_or(Error::Protocol("recipients: list"))?
            .iter()
            .map(|r| {
                let text = |field: &str| r[field].as_str().unwrap_or("").to_owned();
                Ok(ServedRecipient {
                    role: r["role"]
                        .as_str()
                        .ok_or(Error::Protocol("recipients: role"))?
                        .to_owned(),
                    label: text("label"),
                    public_key: r["public_key"]
                        .as_str()
                        .and_then(|h| PublicKey::from_hex(h).ok())
                        .ok_or(Error::Protocol("recipients: public_key"))?,
                    fingerprint: text("fingerprint"),
                    key_source: text("key_source"),
                    enrolled_day: text("enrolled_day"),
                })
            })
            .collect()
    }

    /// Uploads one sealed attachment of a forward (kind attachment, sealed
    /// to the forward recipient only); it stays pending until a forward
    /// names it. Returns its item id.
    pub async fn post_forward_attachment(
        &self,
        report_id: &str,
        item: Vec<u8>,
    ) -> Result<String, Error> {
        let answer = self
            .post_item_bytes(
                &format!("/advisor/reports/{report_id}/forwards/attachments"),
                item,
            )
            .await?;
        answer["item_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or(Error::Protocol("forward attachment: item_id"))
    }

    /// Uploads one sealed attachment to a report's thread (kind
    /// attachment, sealed like an advisor message: to the mailbox, the
    /// recovery key and the advisors). Returns its item id.
    pub async fn post_attachment(&self, report_id: &str, item: Vec<u8>) -> Result<String, Error> {
        let answer = self
            .post_item_bytes(&format!("/advisor/reports/{report_id}/attachments"), item)
            .await?;
        answer["attachment_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or(Error::Protocol("attachment: attachment_id"))
    }

    /// Posts a sealed item as raw bytes (the attachment routes) and reads
    /// the JSON answer.
    async fn post_item_bytes(&self, path: &str, item: Vec<u8>) -> Result<Value, Error> {
        let response = self
            .send(
                self.http
                    .post(self.url(path))
                    .bearer_auth(self.bearer()?)
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(item),
            )
            .await?;
        json_limited(response, "attachment answer JSON").await
    }

    /// Posts a forward (the `meldkluis-forward/1` item, sealed to the
    /// forward recipient only), naming its attachments uploaded before.
    pub async fn post_forward(
        &self,
        report_id: &str,
        item: Vec<u8>,
        attachment_ids: &[String],
    ) -> Result<ForwardPosted, Error> {
        let response = self
            .send(
                self.http
                    .post(self.url(&format!("/advisor/reports/{report_id}/forwards")))
                    .query(&[("attachments", attachment_ids.join(","))])
                    .bearer_auth(self.bearer()?)
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(item),
            )
            .await?;
        json_limited(response, "forward JSON").await
    }

    /// The forwards made of a report.
    pub async fn forwards(&self, report_id: &str) -> Result<Vec<Forward>, Error> {
        #[derive(Deserialize)]
        struct Answer {
            forwards: Vec<Forward>,
        }
        let answer: Answer = self
            .get_json(&format!("/advisor/reports/{report_id}/forwards"))
            .await?;
        Ok(answer.forwards)
    }
}

/// One item sealed to a recipient, as `GET recipient/items` lists it (the
/// server's word: the reader believes only what opens).
#[derive(Debug, Clone, Deserialize)]
pub struct RecipientItem {
    /// The item's id (hex).
    pub item_id: String,
    /// `figures` or `forward`.
    pub kind: String,
    /// A figures report's period (`2026-Q3`, `2026`).
    #[serde(default)]
    pub period: Option<String>,
    /// The day it was posted.
    pub posted_day: String,
    /// Its size in bytes.
    pub size: u64,
    /// The sender the item's header names (hex).
    pub sender: String,
    /// A forward's attachments (item ids and sizes).
    #[serde(default)]
    pub attachments: Vec<RecipientAttachment>,
}

/// One attachment of a forward, as the server lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct RecipientAttachment {
    /// The attachment item's id (hex).
    pub item_id: String,
    /// Its size in bytes.
    pub size: u64,
}

/// `GET recipient/items`: who the server says this recipient is, and the
/// items sealed to it.
#[derive(Debug, Clone, Deserialize)]
pub struct RecipientItems {
    /// `management` or `forward`.
    pub role: String,
    /// The label the operator gave.
    pub label: String,
    /// The items, oldest first.
    pub items: Vec<RecipientItem>,
}

/// The recipient's side (issue 12): a management or forward recipient whose
/// key is on a token logs in with the recipient challenge and reads the
/// items sealed to it.
impl ServerClient {
    /// Logs in as the recipient `public_key`: `answer` computes the answer
    /// to the challenge message for the recipient log-in context
    /// (`recipient_login_context(tenant, origin)`).
    pub async fn recipient_log_in_with<F>(
        &self,
        public_key: PublicKey,
        answer: F,
    ) -> Result<(), Error>
    where
        F: FnOnce(&[u8; CHALLENGE_LEN], &[u8]) -> Result<[u8; ANSWER_LEN], Error>,
    {
        let challenge: Value = json_limited(
            self.send(self.http.get(self.url("/recipient/challenge")))
                .await?,
            "challenge JSON",
        )
        .await?;
        let message: [u8; CHALLENGE_LEN] = challenge["message"]
            .as_str()
            .and_then(|c| hex::decode(c).ok())
            .and_then(|c| c.try_into().ok())
            .ok_or(Error::Protocol("challenge"))?;
        let id = challenge["challenge"]
            .as_str()
            .ok_or(Error::Protocol("challenge"))?;
        let context = meldkluis_crypto_core::recipient_login_context(&self.tenant, &self.origin);
        let answer = answer(&message, &context)?;
        let response: Value = json_limited(
            self.send(self.http.post(self.url("/recipient/login")).json(&json!({
                "public_key": public_key.to_hex(),
                "challenge": id,
                "answer": hex::encode(answer),
            })))
            .await?,
            "log-in JSON",
        )
        .await?;
        self.keep_session(&response)
    }

    /// Ends this recipient session at the server (`POST recipient/logout`)
    /// and forgets its token.
    pub async fn recipient_log_out(&self) -> Result<(), Error> {
        let token = self
            .session
            .lock()
            .expect("the session lock is never poisoned")
            .take();
        let Some(token) = token else {
            return Ok(());
        };
        self.send(
            self.http
                .post(self.url("/recipient/logout"))
                .bearer_auth(token.0.as_str()),
        )
        .await?;
        Ok(())
    }

    /// The items sealed to this recipient.
    pub async fn recipient_items(&self) -> Result<RecipientItems, Error> {
        self.get_json("/recipient/items").await
    }

    /// One item sealed to this recipient (a figures report, a forward or a
    /// forward's attachment), at most `max` bytes.
    pub async fn recipient_item(&self, item_id: &str, max: usize) -> Result<Vec<u8>, Error> {
        let response = self.get(&format!("/recipient/items/{item_id}")).await?;
        read_limited(response, max).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_on_this_machine() {
        for ok in [
            "https://meld.example",
            "https://meld.example:8443/",
            "http://127.0.0.1:8080",
            "http://127.3.4.5:1",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(server_origin(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://meld.example",
            "http://10.0.0.1:8080",
            "http://[2001:db8::1]",
        ] {
            assert!(
                matches!(server_origin(insecure), Err(Error::InsecureServer(_))),
                "{insecure}"
            );
        }
        for bad in [
            "meld.example",
            "ftp://meld.example",
            "file:///etc/passwd",
            "",
        ] {
            assert!(
                matches!(server_origin(bad), Err(Error::BadServerAddress(_))),
                "{bad}"
            );
        }
        assert_eq!(
            server_origin("https://Meld.Example:443/x/").expect("valid"),
            "https://meld.example"
        );
    }
}
