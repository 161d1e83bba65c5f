//! Who is asking: the tenant in the path, and the reporter's or advisor's
//! session, as extractors. Also the in-memory state behind log-ins: session
//! tokens (only their hashes are kept), rate limits (token buckets keyed by
//! mailbox id, never by address) and the used advisor challenges.
//!
//! Nothing here is persisted: a restart logs everyone out, which is the
//! safe direction.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use base64::Engine as _;
use meldkluis_crypto_core::challenge::ServerChallenge;
use meldkluis_crypto_core::{PublicKey, TenantId};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::{AppError, ErrorCode};
use crate::tenants::OpenTenant;
use crate::AppState;

/// What a session may act as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A reporter, logged in to the mailbox of one report.
    Mailbox {
        /// The report.
        report_id: [u8; 16],
    },
    /// A reporter, logged in to a follow-up mailbox (issue 13): before an
    /// advisor joins it to an oral report it has no report; after, the
    /// session reaches that report (see [`MailboxSession`]).
    FollowUp {
        /// The follow-up's mailbox id.
        mailbox_id: [u8; 16],
    },
    /// An advisor of the tenant.
    Advisor {
        /// The advisor's row id in the tenant database.
        advisor_id: i64,
        /// The advisor's public key.
        public_key: PublicKey,
    },
    /// A management or forward recipient of the tenant (issue 12).
    Recipient {
        /// The recipient's row id in the tenant database.
        recipient_id: i64,
        /// The recipient's public key.
        public_key: PublicKey,
    },
}

#[derive(Debug)]
struct Session {
    tenant: TenantId,
    principal: Principal,
    expires: Instant,
}

/// Whose sessions are capped together: one mailbox, one advisor, or one
/// recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Owner {
    Mailbox(TenantId, [u8; 16]),
    FollowUp(TenantId, [u8; 16]),
    Advisor(TenantId, i64),
    Recipient(TenantId, i64),
}

impl Owner {
    fn of(tenant: &TenantId, principal: &Principal) -> Self {
        match principal {
            Principal::Mailbox { report_id } => Self::Mailbox(tenant.clone(), *report_id),
            Principal::FollowUp { mailbox_id } => Self::FollowUp(tenant.clone(), *mailbox_id),
            Principal::Advisor { advisor_id, .. } => Self::Advisor(tenant.clone(), *advisor_id),
            Principal::Recipient { recipient_id, .. } => {
                Self::Recipient(tenant.clone(), *recipient_id)
            }
        }
    }
}

#[derive(Debug, Default)]
struct SessionTable {
    /// By the SHA-256 of the token.
    by_token: HashMap<[u8; 32], Session>,
    /// Each owner's live tokens, oldest first.
    by_owner: HashMap<Owner, VecDeque<[u8; 32]>>,
    /// Live mailbox sessions per tenant.
    mailbox_sessions: HashMap<TenantId, usize>,
}

impl SessionTable {
    fn remove(&mut self, key: &[u8; 32]) {
        let Some(session) = self.by_token.remove(key) else {
            return;
        };
        let owner = Owner::of(&session.tenant, &session.principal);
        if let Some(tokens) = self.by_owner.get_mut(&owner) {
            tokens.retain(|t| t != key);
            if tokens.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
        if let Owner::Mailbox(tenant, _) | Owner::FollowUp(tenant, _) = owner {
            if let Some(count) = self.mailbox_sessions.get_mut(&tenant) {
                *count -= 1;
                if *count == 0 {
                    self.mailbox_sessions.remove(&tenant);
                }
            }
        }
    }

    /// Ends the expired sessions of one tenant.
    fn purge_tenant(&mut self, tenant: &TenantId, now: Instant) {
        let expired: Vec<[u8; 32]> = self
            .by_token
            .iter()
            .filter(|(_, s)| s.tenant == *tenant && s.expires <= now)
            .map(|(key, _)| *key)
            .collect();
        for key in &expired {
            self.remove(key);
        }
    }
}

/// The session limits (see [`crate::Config`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionLimits {
    pub(crate) mailbox_sessions_per_tenant: usize,
    pub(crate) per_mailbox: usize,
    pub(crate) per_advisor: usize,
}

/// Live sessions, keyed by the SHA-256 of the bearer token (the token itself
/// is never stored, so a memory dump does not hand out sessions).
///
/// Bounded so that nobody can crowd out someone else's session: a mailbox
/// and an advisor each hold at most a few sessions (a further log-in ends
/// their own oldest), and the mailbox sessions of one tenant are capped
/// apart from every other tenant's. A full tenant refuses a new mailbox
/// log-in and never ends a live session to make room. Advisor sessions are
/// bounded by the enrolled advisors.
#[derive(Debug)]
pub struct Sessions {
    table: Mutex<SessionTable>,
    limits: SessionLimits,
}

impl Sessions {
    pub(crate) fn new(limits: SessionLimits) -> Self {
        Self {
            table: Mutex::default(),
            limits,
        }
    }

    /// Starts a session; returns the bearer token to hand to the client.
    pub fn create(
        &self,
        tenant: &TenantId,
        principal: Principal,
        lifetime: Duration,
    ) -> Result<String, AppError> {
        let mut token = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut token);
        let key: [u8; 32] = Sha256::digest(token).into();
        let now = Instant::now();
        let owner = Owner::of(tenant, &principal);
        let per_owner = match owner {
            Owner::Mailbox(..) | Owner::FollowUp(..) => self.limits.per_mailbox,
            Owner::Advisor(..) | Owner::Recipient(..) => self.limits.per_advisor,
        };
        let mut table = self.table.lock().expect("session lock is never poisoned");
        // The owner's own expired sessions go first, then its oldest live
        // ones until there is room: a log-in ends only its owner's sessions.
        let owned: Vec<[u8; 32]> = table
            .by_owner
            .get(&owner)
            .map(|tokens| tokens.iter().copied().collect())
            .unwrap_or_default();
        let mut live = owned.len();
        for old in &owned {
            let expired = table.by_token.get(old).is_none_or(|s| s.expires <= now);
            if expired || live >= per_owner {
                table.remove(old);
                live -= 1;
            }
        }
        if matches!(owner, Owner::Mailbox(..) | Owner::FollowUp(..)) {
            let full = |table: &SessionTable| {
                table.mailbox_sessions.get(tenant).copied().unwrap_or(0)
                    >= self.limits.mailbox_sessions_per_tenant
            };
            if full(&table) {
                table.purge_tenant(tenant, now);
            }
            if full(&table) && live > 0 {
                // A mailbox that has a session may always replace it: a
                // full tenant turns away new mailboxes, not its reporters.
                let oldest = table.by_owner.get(&owner).and_then(|t| t.front().copied());
                if let Some(oldest) = oldest {
                    table.remove(&oldest);
                }
            }
            if full(&table) {
                return Err(AppError::new(
                    ErrorCode::SessionLimit,
                    "mailbox sessions of this tenant at their limit",
                ));
            }
            *table.mailbox_sessions.entry(tenant.clone()).or_default() += 1;
        }
        table.by_owner.entry(owner).or_default().push_back(key);
        table.by_token.insert(
            key,
            Session {
                tenant: tenant.clone(),
                principal,
                expires: now + lifetime,
            },
        );
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token))
    }

    /// The principal of a token for `tenant`, if the session is live.
    /// A token of another tenant is not valid here.
    fn lookup(&self, token: &str, tenant: &TenantId) -> Option<Principal> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let key: [u8; 32] = Sha256::digest(&bytes).into();
        let mut table = self.table.lock().expect("session lock is never poisoned");
        let session = table.by_token.get(&key)?;
        if session.expires <= Instant::now() {
            table.remove(&key);
            return None;
        }
        (session.tenant == *tenant).then_some(session.principal)
    }

    /// Ends every session of a report's mailbox (the report was deleted).
    pub fn end_mailbox(&self, tenant: &TenantId, report_id: [u8; 16]) {
        let mut table = self.table.lock().expect("session lock is never poisoned");
        let owner = Owner::Mailbox(tenant.clone(), report_id);
        let tokens: Vec<[u8; 32]> = table
            .by_owner
            .get(&owner)
            .map(|tokens| tokens.iter().copied().collect())
            .unwrap_or_default();
        for token in &tokens {
            table.remove(token);
        }
    }

    /// Ends the session of a token.
    pub fn end(&self, token: &str) {
        if let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token) {
            let key: [u8; 32] = Sha256::digest(&bytes).into();
            self.table
                .lock()
                .expect("session lock is never poisoned")
                .remove(&key);
        }
    }
}

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(capacity: f64, now: Instant) -> Self {
        Self {
            tokens: capacity,
            last: now,
        }
    }

    fn refill(&mut self, capacity: f64, per_second: f64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(capacity);
        self.last = now;
    }

    fn take(&mut self, capacity: f64, per_second: f64, now: Instant) -> bool {
        self.refill(capacity, per_second, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Log-in rate limits: one bucket for the whole server and one per
/// (tenant, mailbox id). Keyed by what is tried, never by who tries.
#[derive(Debug)]
pub struct LoginLimiter {
    global: Mutex<Bucket>,
    global_per_second: f64,
    per_mailbox: Mutex<HashMap<(TenantId, [u8; 16]), Bucket>>,
    mailbox_burst: f64,
    mailbox_per_second: f64,
    max_tracked: usize,
}

impl LoginLimiter {
    pub(crate) fn new(global_per_second: u32, mailbox_burst: u32, mailbox_per_minute: u32) -> Self {
        let global_per_second = f64::from(global_per_second);
        Self {
            global: Mutex::new(Bucket::full(global_per_second, Instant::now())),
            global_per_second,
            per_mailbox: Mutex::new(HashMap::new()),
            mailbox_burst: f64::from(mailbox_burst),
            mailbox_per_second: f64::from(mailbox_per_minute) / 60.0,
            max_tracked: 200_000,
        }
    }

    /// Takes one attempt from the global bucket.
    pub fn check_global(&self) -> Result<(), AppError> {
        let mut global = self.global.lock().expect("limiter lock is never poisoned");
        if global.take(
            self.global_per_second,
            self.global_per_second,
            Instant::now(),
        ) {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::RateLimited, "global log-in limit"))
        }
    }

    /// Takes one attempt from the global bucket and the mailbox id's bucket.
    pub fn check_mailbox(&self, tenant: &TenantId, mailbox_id: [u8; 16]) -> Result<(), AppError> {
        self.check_global()?;
        self.check_mailbox_only(tenant, mailbox_id)
    }

    /// Takes one attempt from the mailbox id's bucket only.
    pub fn check_mailbox_only(
        &self,
        tenant: &TenantId,
        mailbox_id: [u8; 16],
    ) -> Result<(), AppError> {
        let now = Instant::now();
        let mut map = self
            .per_mailbox
            .lock()
            .expect("limiter lock is never poisoned");
        let key = (tenant.clone(), mailbox_id);
        if !map.contains_key(&key) && map.len() >= self.max_tracked {
            // Forget buckets that have refilled; they hold no information.
            let (burst, rate) = (self.mailbox_burst, self.mailbox_per_second);
            map.retain(|_, b| {
                b.refill(burst, rate, now);
                b.tokens < burst
            });
            if map.len() >= self.max_tracked {
                return Err(AppError::new(
                    ErrorCode::RateLimited,
                    "too many tracked mailbox ids",
                ));
            }
        }
        let bucket = map
            .entry(key)
            .or_insert_with(|| Bucket::full(self.mailbox_burst, now));
        if bucket.take(self.mailbox_burst, self.mailbox_per_second, now) {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::RateLimited, "per-mailbox limit"))
        }
    }
}

/// How long an advisor has to answer a challenge.
const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// Most challenges of one tenant answered within [`CHALLENGE_TTL`]; only
/// successful log-ins of enrolled advisors count.
const MAX_USED_CHALLENGES_PER_TENANT: usize = 10_000;
/// Length of a challenge id: nonce, expiry (Unix seconds), tag.
const CHALLENGE_ID_LEN: usize = 16 + 8 + 16;

/// The context a challenge is bound to: the protocol label, the tenant and
/// the server's origin (see `crypto-core` `challenge::login_context`), so
/// an answer for one tenant or server is useless for another.
pub fn challenge_context(tenant: &TenantId, server_origin: &str) -> Vec<u8> {
    meldkluis_crypto_core::challenge::login_context(tenant, server_origin)
}

/// Who a challenge is for. An advisor's and a recipient's challenges differ
/// in their ids (another MAC label) and in the context the answer is bound
/// to (`crypto-core` `recipient::recipient_login_context`), so an advisor's
/// answer never logs a recipient in, nor the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeFor {
    /// An advisor's log-in.
    Advisor,
    /// A management or forward recipient's log-in.
    Recipient,
}

impl ChallengeFor {
    fn label(self, what: &'static [u8]) -> &'static [u8] {
        match (self, what) {
            (Self::Advisor, b"seed") => b"seed",
            (Self::Advisor, _) => b"tag",
            (Self::Recipient, b"seed") => b"recipient seed",
            (Self::Recipient, _) => b"recipient tag",
        }
    }

    fn context(self, tenant: &TenantId, origin: &str) -> Vec<u8> {
        match self {
            Self::Advisor => challenge_context(tenant, origin),
            Self::Recipient => {
                meldkluis_crypto_core::recipient::recipient_login_context(tenant, origin)
            }
        }
    }
}

/// Advisor log-in challenges, kept nowhere until one is answered.
///
/// A challenge id is `nonce || expiry || tag`: the tag is an HMAC under a
/// key derived from the server secret, over the tenant, nonce and expiry.
/// The challenge's ephemeral key and nonce are derived from the same key
/// and the id, so the server recomputes them when the answer comes and
/// stores nothing for a challenge that is only asked for: a flood of
/// challenges costs memory nowhere, and no advisor is turned away for it.
/// Single use: the id of a successful log-in is remembered (per tenant,
/// until it expires) and refused a second time.
pub struct Challenges {
    key: zeroize::Zeroizing<[u8; 32]>,
    /// The origin from the configuration (`public_url`, else `listen`).
    configured_origin: String,
    /// The origin of the address the server is bound to, when
    /// `public_url` is unset (set once by [`crate::serve`]).
    bound_origin: std::sync::OnceLock<String>,
    used: Mutex<HashMap<TenantId, HashMap<[u8; 16], u64>>>,
}

impl std::fmt::Debug for Challenges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Challenges(..)")
    }
}

/// A challenge id that passed its tag and expiry checks.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeId {
    nonce: [u8; 16],
    expires: u64,
    purpose: ChallengeFor,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Challenges {
    /// Challenges bound to `server_origin`, keyed from the server secret.
    pub(crate) fn new(secret: &crate::ServerSecret, server_origin: String) -> Self {
        Self {
            key: zeroize::Zeroizing::new(secret.keyed_hash(b"meldkluis advisor challenges v1")),
            configured_origin: server_origin,
            bound_origin: std::sync::OnceLock::new(),
            used: Mutex::default(),
        }
    }

    /// The origin answers must be bound to.
    pub fn server_origin(&self) -> &str {
        self.bound_origin.get().unwrap_or(&self.configured_origin)
    }

    /// Binds challenges to the origin of the listening address (when the
    /// configuration names no `public_url`). The first call wins.
    pub(crate) fn set_bound_origin(&self, origin: String) {
        let _ = self.bound_origin.set(origin);
    }

    fn mac(&self, label: &[u8], tenant: &TenantId, nonce: &[u8; 16], expires: u64) -> [u8; 32] {
        use hmac::{Mac, SimpleHmac};
        let mut mac = <SimpleHmac<Sha256> as Mac>::new_from_slice(self.key.as_slice())
            .expect("HMAC accepts any key length");
        mac.update(label);
        mac.update(&(tenant.as_str().len() as u64).to_be_bytes());
        mac.update(tenant.as_str().as_bytes());
        mac.update(nonce);
        mac.update(&expires.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The challenge (ephemeral key, message) an id stands for.
    fn derive(&self, tenant: &TenantId, id: ChallengeId) -> (ServerChallenge, [u8; 64]) {
        use rand_chacha::rand_core::SeedableRng as _;
        let seed = zeroize::Zeroizing::new(self.mac(
            id.purpose.label(b"seed"),
            tenant,
            &id.nonce,
            id.expires,
        ));
        let mut rng = rand_chacha::ChaCha20Rng::from_seed(*seed);
        ServerChallenge::new(&mut rng, &id.purpose.context(tenant, self.server_origin()))
    }

    /// A new advisor challenge for `tenant`: its id and the message to
    /// answer.
    pub fn issue(&self, tenant: &TenantId) -> ([u8; CHALLENGE_ID_LEN], [u8; 64]) {
        self.issue_for(tenant, ChallengeFor::Advisor)
    }

    /// A new challenge for `tenant` and `purpose`.
    pub fn issue_for(
        &self,
        tenant: &TenantId,
        purpose: ChallengeFor,
    ) -> ([u8; CHALLENGE_ID_LEN], [u8; 64]) {
        let mut nonce = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let expires = unix_now() + CHALLENGE_TTL.as_secs();
        let id = ChallengeId {
            nonce,
            expires,
            purpose,
        };
        let (_, message) = self.derive(tenant, id);
        let tag = self.mac(purpose.label(b"tag"), tenant, &nonce, expires);
        let mut bytes = [0u8; CHALLENGE_ID_LEN];
        bytes[..16].copy_from_slice(&nonce);
        bytes[16..24].copy_from_slice(&expires.to_be_bytes());
        bytes[24..].copy_from_slice(&tag[..16]);
        (bytes, message)
    }

    /// Checks an advisor challenge id's tag (for this tenant) and expiry,
    /// before any key agreement is spent on it.
    pub fn check_id(&self, tenant: &TenantId, bytes: &[u8]) -> Option<ChallengeId> {
        self.check_id_for(tenant, bytes, ChallengeFor::Advisor)
    }

    /// Checks a challenge id of `purpose`: an id issued for the other
    /// purpose fails its tag.
    pub fn check_id_for(
        &self,
        tenant: &TenantId,
        bytes: &[u8],
        purpose: ChallengeFor,
    ) -> Option<ChallengeId> {
        let bytes: &[u8; CHALLENGE_ID_LEN] = bytes.try_into().ok()?;
        let nonce: [u8; 16] = bytes[..16].try_into().ok()?;
        let expires = u64::from_be_bytes(bytes[16..24].try_into().ok()?);
        let tag = self.mac(purpose.label(b"tag"), tenant, &nonce, expires);
        let tag_ok: bool = tag[..16].ct_eq(&bytes[24..]).into();
        (tag_ok && expires > unix_now()).then_some(ChallengeId {
            nonce,
            expires,
            purpose,
        })
    }

    /// Whether `answer` proves possession of `advisor`'s key for the
    /// challenge `id`. Records nothing: see [`Challenges::consume`].
    pub fn verify(
        &self,
        tenant: &TenantId,
        id: ChallengeId,
        advisor: &PublicKey,
        answer: &[u8],
    ) -> bool {
        self.derive(tenant, id).0.verify(advisor, answer)
    }

    /// Marks a successfully answered challenge used; false if it already
    /// was (a replay) or the tenant's record of used ids is full.
    pub fn consume(&self, tenant: &TenantId, id: ChallengeId) -> bool {
        let now = unix_now();
        let mut used = self.used.lock().expect("challenge lock is never poisoned");
        let ids = used.entry(tenant.clone()).or_default();
        if ids.len() >= MAX_USED_CHALLENGES_PER_TENANT {
            ids.retain(|_, expires| *expires > now);
        }
        if ids.len() >= MAX_USED_CHALLENGES_PER_TENANT || ids.contains_key(&id.nonce) {
            return false;
        }
        ids.insert(id.nonce, id.expires);
        true
    }
}

/// The tenant id in a tenant route's path (`{tenant}`, percent-decoded
/// by the router): 400 when it is not a valid id.
pub(crate) fn path_tenant_id(
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Result<TenantId, AppError> {
    let params = params.map_err(|e| AppError::bad_request(format!("path: {e}")))?;
    let raw = params
        .iter()
        .find_map(|(name, value)| (name == "tenant").then_some(value))
        .ok_or_else(|| AppError::internal("route without a tenant parameter"))?;
    TenantId::new(raw).map_err(|_| AppError::new(ErrorCode::InvalidTenantId, "invalid tenant id"))
}

/// The tenant named in the path: validated, existing and enabled.
#[derive(Debug, Clone)]
pub struct Tenant(pub Arc<OpenTenant>);

impl FromRequestParts<AppState> for Tenant {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(tenant) = parts.extensions.get::<Tenant>() {
            return Ok(tenant.clone());
        }
        let id = path_tenant_id(RawPathParams::from_request_parts(parts, state).await)?;
        let tenant = Tenant(state.tenants().get(&id).await?);
        parts.extensions.insert(tenant.clone());
        Ok(tenant)
    }
}

/// The bearer token of the request, if any.
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (token.len() <= 64).then_some(token)
}

/// A reporter logged in to the mailbox of one report of this tenant: a
/// report's own mailbox, or a follow-up mailbox an advisor joined to an
/// oral report (a follow-up session reaches the report from the join on,
/// without a new log-in). A follow-up mailbox not joined yet is refused
/// with `not_joined`: it has no report to write into or read from.
#[derive(Debug, Clone)]
pub struct MailboxSession {
    /// The tenant.
    pub tenant: Arc<OpenTenant>,
    /// The report whose mailbox this is.
    pub report_id: [u8; 16],
}

impl FromRequestParts<AppState> for MailboxSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let AnyMailboxSession { tenant, mailbox } =
            AnyMailboxSession::from_request_parts(parts, state).await?;
        match mailbox {
            SessionMailbox::Report(report_id) => Ok(Self { tenant, report_id }),
            SessionMailbox::FollowUp { .. } => Err(AppError::new(
                ErrorCode::NotJoined,
                "follow-up mailbox not joined yet",
            )),
        }
    }
}

/// What a mailbox session reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionMailbox {
    /// A report (its own mailbox, or a joined follow-up mailbox).
    Report([u8; 16]),
    /// A follow-up mailbox waiting to be joined.
    FollowUp {
        /// Its mailbox id.
        mailbox_id: [u8; 16],
    },
}

/// A reporter logged in to a report's mailbox or to a follow-up mailbox
/// not joined yet (the routes that work on both: the thread, the notice
/// address).
#[derive(Debug, Clone)]
pub struct AnyMailboxSession {
    /// The tenant.
    pub tenant: Arc<OpenTenant>,
    /// What the session reaches now.
    pub mailbox: SessionMailbox,
}

impl FromRequestParts<AppState> for AnyMailboxSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Tenant(tenant) = Tenant::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("no bearer token"))?;
        match state.sessions().lookup(token, tenant.id()) {
            Some(Principal::Mailbox { report_id }) => Ok(Self {
                tenant,
                mailbox: SessionMailbox::Report(report_id),
            }),
            Some(Principal::FollowUp { mailbox_id }) => {
                let today = state.clock().today();
                let found = tenant
                    .db
                    .call(move |conn| {
                        Ok(crate::follow_up::session_state(conn, &mailbox_id, today)?)
                    })
                    .await?;
                let mailbox = match found {
                    crate::follow_up::SessionState::Joined(report_id) => {
                        SessionMailbox::Report(report_id)
                    }
                    crate::follow_up::SessionState::Waiting => {
                        SessionMailbox::FollowUp { mailbox_id }
                    }
                    crate::follow_up::SessionState::Gone => {
                        return Err(AppError::unauthorized("follow-up mailbox is gone"))
                    }
                };
                Ok(Self { tenant, mailbox })
            }
            _ => Err(AppError::unauthorized("no mailbox session for this tenant")),
        }
    }
}

/// A management or forward recipient of this tenant, logged in with their
/// key. Whether the recipient is still enrolled is checked by each
/// handler, in the database job that reads for it.
#[derive(Debug, Clone)]
pub struct RecipientSession {
    /// The tenant.
    pub tenant: Arc<OpenTenant>,
    /// The recipient's row id.
    pub recipient_id: i64,
    /// The recipient's public key.
    pub public_key: PublicKey,
}

impl FromRequestParts<AppState> for RecipientSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Tenant(tenant) = Tenant::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("no bearer token"))?;
        match state.sessions().lookup(token, tenant.id()) {
            Some(Principal::Recipient {
                recipient_id,
                public_key,
            }) => Ok(Self {
                tenant,
                recipient_id,
                public_key,
            }),
            _ => Err(AppError::unauthorized(
                "no recipient session for this tenant",
            )),
        }
    }
}

/// An advisor of this tenant, logged in with their key.
#[derive(Debug, Clone)]
pub struct AdvisorSession {
    /// The tenant.
    pub tenant: Arc<OpenTenant>,
    /// The advisor's row id.
    pub advisor_id: i64,
    /// The advisor's public key.
    pub public_key: PublicKey,
}

impl FromRequestParts<AppState> for AdvisorSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Tenant(tenant) = Tenant::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("no bearer token"))?;
        match state.sessions().lookup(token, tenant.id()) {
            Some(Principal::Advisor {
                advisor_id,
                public_key,
            }) => Ok(Self {
                tenant,
                advisor_id,
                public_key,
            }),
            _ => Err(AppError::unauthorized("no advisor session for this tenant")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_limit_is_per_mailbox() {
        let limiter = LoginLimiter::new(1000, 3, 1);
        let tenant = TenantId::new("t").expect("valid");
        for _ in 0..3 {
            limiter
                .check_mailbox(&tenant, [1; 16])
                .expect("within burst");
        }
        assert!(limiter.check_mailbox(&tenant, [1; 16]).is_err());
        limiter
            .check_mailbox(&tenant, [2; 16])
            .expect("another mailbox");
    }

    #[test]
    fn sessions_are_bound_to_their_tenant() {
        let sessions = Sessions::new(SessionLimits {
            mailbox_sessions_per_tenant: 10,
            per_mailbox: 2,
            per_advisor: 2,
        });
        let a = TenantId::new("a").expect("valid");
        let b = TenantId::new("b").expect("valid");
        let principal = Principal::Mailbox { report_id: [7; 16] };
        let token = sessions
            .create(&a, principal, Duration::from_secs(60))
            .expect("created");
        assert_eq!(sessions.lookup(&token, &a), Some(principal));
        assert_eq!(sessions.lookup(&token, &b), None);
        sessions.end(&token);
        assert_eq!(sessions.lookup(&token, &a), None);
    }

    #[test]
    fn a_mailbox_keeps_a_few_sessions_and_a_full_tenant_ends_none() {
        let sessions = Sessions::new(SessionLimits {
            mailbox_sessions_per_tenant: 3,
            per_mailbox: 2,
            per_advisor: 2,
        });
        let (a, b) = (
            TenantId::new("a").expect("valid"),
            TenantId::new("b").expect("valid"),
        );
        let life = Duration::from_secs(60);
        let mailbox = |n: u8| Principal::Mailbox { report_id: [n; 16] };
        // A third log-in to one mailbox ends that mailbox's oldest session.
        let first = sessions.create(&a, mailbox(1), life).expect("1");
        let second = sessions.create(&a, mailbox(1), life).expect("2");
        let third = sessions.create(&a, mailbox(1), life).expect("3");
        assert_eq!(sessions.lookup(&first, &a), None);
        assert!(sessions.lookup(&second, &a).is_some());
        assert!(sessions.lookup(&third, &a).is_some());
        // The tenant is full after one more: junk is refused, nobody's
        // session ends, and another tenant is not affected.
        let other = sessions.create(&a, mailbox(2), life).expect("4");
        assert!(sessions.create(&a, mailbox(3), life).is_err());
        for token in [&second, &third, &other] {
            assert!(sessions.lookup(token, &a).is_some());
        }
        sessions.create(&b, mailbox(3), life).expect("other tenant");
        // Advisors are not counted against the mailbox sessions.
        let advisor = Principal::Advisor {
            advisor_id: 1,
            public_key: PublicKey::from_bytes([9; 32]),
        };
        sessions.create(&a, advisor, life).expect("advisor");
        // Ending a session makes room.
        sessions.end(&other);
        sessions.create(&a, mailbox(3), life).expect("room again");
    }

    #[test]
    fn challenges_are_stateless_single_use_and_bound() {
        use meldkluis_crypto_core::challenge::answer_challenge;
        use meldkluis_crypto_core::{StaticKey as _, StaticSecret};
        let secret = crate::ServerSecret::from_bytes([3; 32]);
        let challenges = Challenges::new(&secret, "https://meld.example".into());
        let tenant = TenantId::new("acme").expect("valid");
        let other = TenantId::new("other").expect("valid");
        let key = StaticSecret::generate(&mut rand::rngs::OsRng);
        for _ in 0..1000 {
            challenges.issue(&tenant);
        }
        assert!(challenges.used.lock().expect("lock").is_empty());
        let (id, message) = challenges.issue(&tenant);
        let answer = answer_challenge(
            &key,
            &message,
            &challenge_context(&tenant, "https://meld.example"),
        )
        .expect("answer");
        // The id is bound to its tenant and cannot be altered.
        assert!(challenges.check_id(&other, &id).is_none());
        let mut altered = id;
        altered[20] ^= 1;
        assert!(challenges.check_id(&tenant, &altered).is_none());
        let checked = challenges.check_id(&tenant, &id).expect("valid id");
        assert!(challenges.verify(&tenant, checked, &key.public_key(), &answer));
        assert!(challenges.consume(&tenant, checked));
        assert!(!challenges.consume(&tenant, checked), "single use");
        // An answer bound to another server's origin is refused.
        let (id, message) = challenges.issue(&tenant);
        let relayed = answer_challenge(
            &key,
            &message,
            &challenge_context(&tenant, "https://meld.example.evil"),
        )
        .expect("answer");
        let checked = challenges.check_id(&tenant, &id).expect("valid id");
        assert!(!challenges.verify(&tenant, checked, &key.public_key(), &relayed));
    }
}
