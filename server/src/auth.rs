//! Who is asking: the tenant in the path, and the reporter's or advisor's
//! session, as extractors. Also the in-memory state behind log-ins: session
//! tokens (only their hashes are kept), rate limits (token buckets keyed by
//! mailbox id, never by address) and pending advisor challenges.
//!
//! Nothing here is persisted: a restart logs everyone out, which is the
//! safe direction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use base64::Engine as _;
use meldkluis_crypto_core::challenge::ServerChallenge;
use meldkluis_crypto_core::{PublicKey, TenantId};
use sha2::{Digest, Sha256};

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
    /// An advisor of the tenant.
    Advisor {
        /// The advisor's row id in the tenant database.
        advisor_id: i64,
        /// The advisor's public key.
        public_key: PublicKey,
    },
}

#[derive(Debug)]
struct Session {
    tenant: TenantId,
    principal: Principal,
    expires: Instant,
}

/// Live sessions, keyed by the SHA-256 of the bearer token (the token itself
/// is never stored, so a memory dump does not hand out sessions).
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    max: usize,
}

impl Sessions {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            max,
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
        let now = Instant::now();
        let mut map = self.map.lock().expect("session lock is never poisoned");
        if map.len() >= self.max {
            map.retain(|_, s| s.expires > now);
            if map.len() >= self.max {
                return Err(AppError::new(ErrorCode::Unavailable, "session table full"));
            }
        }
        let session = Session {
            tenant: tenant.clone(),
            principal,
            expires: now + lifetime,
        };
        map.insert(Sha256::digest(token).into(), session);
        Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token))
    }

    /// The principal of a token for `tenant`, if the session is live.
    /// A token of another tenant is not valid here.
    fn lookup(&self, token: &str, tenant: &TenantId) -> Option<Principal> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()?;
        let key: [u8; 32] = Sha256::digest(&bytes).into();
        let mut map = self.map.lock().expect("session lock is never poisoned");
        let session = map.get(&key)?;
        if session.expires <= Instant::now() {
            map.remove(&key);
            return None;
        }
        (session.tenant == *tenant).then_some(session.principal)
    }

    /// Ends the session of a token.
    pub fn end(&self, token: &str) {
        if let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token) {
            let key: [u8; 32] = Sha256::digest(&bytes).into();
            self.map
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
            Err(AppError::new(
                ErrorCode::RateLimited,
                "mailbox log-in limit",
            ))
        }
    }
}

/// How long an advisor has to answer a challenge.
const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// Most pending challenges at once.
const MAX_CHALLENGES: usize = 10_000;

/// The context a challenge is bound to: the protocol label and the tenant,
/// so an answer for one tenant is useless for another.
pub fn challenge_context(tenant: &TenantId) -> Vec<u8> {
    meldkluis_crypto_core::challenge::login_context(tenant)
}

struct PendingChallenge {
    tenant: TenantId,
    challenge: ServerChallenge,
    expires: Instant,
}

/// Pending advisor log-in challenges, single use.
pub struct Challenges {
    map: Mutex<HashMap<[u8; 16], PendingChallenge>>,
}

impl std::fmt::Debug for Challenges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Challenges(..)")
    }
}

impl Challenges {
    pub(crate) fn new() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }

    /// A new challenge for `tenant`: its id and the message to answer.
    pub fn issue(&self, tenant: &TenantId) -> Result<([u8; 16], [u8; 64]), AppError> {
        let mut rng = rand::rngs::OsRng;
        let (challenge, message) = ServerChallenge::new(&mut rng, &challenge_context(tenant));
        let mut id = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rng, &mut id);
        let now = Instant::now();
        let mut map = self.map.lock().expect("challenge lock is never poisoned");
        if map.len() >= MAX_CHALLENGES {
            map.retain(|_, c| c.expires > now);
            if map.len() >= MAX_CHALLENGES {
                return Err(AppError::new(
                    ErrorCode::RateLimited,
                    "too many pending challenges",
                ));
            }
        }
        map.insert(
            id,
            PendingChallenge {
                tenant: tenant.clone(),
                challenge,
                expires: now + CHALLENGE_TTL,
            },
        );
        Ok((id, message))
    }

    /// Consumes a challenge and checks the answer (single use, whatever the
    /// outcome).
    pub fn verify(
        &self,
        tenant: &TenantId,
        id: [u8; 16],
        advisor: &PublicKey,
        answer: &[u8],
    ) -> bool {
        let pending = self
            .map
            .lock()
            .expect("challenge lock is never poisoned")
            .remove(&id);
        match pending {
            Some(p) if p.tenant == *tenant && p.expires > Instant::now() => {
                p.challenge.verify(advisor, answer)
            }
            _ => false,
        }
    }
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
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_request(format!("path: {e}")))?;
        let raw = params
            .iter()
            .find_map(|(name, value)| (name == "tenant").then_some(value))
            .ok_or_else(|| AppError::internal("route without a tenant parameter"))?;
        let id = TenantId::new(raw)
            .map_err(|_| AppError::new(ErrorCode::InvalidTenantId, "invalid tenant id"))?;
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

/// A reporter logged in to the mailbox of one report of this tenant.
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
        let Tenant(tenant) = Tenant::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("no bearer token"))?;
        match state.sessions().lookup(token, tenant.id()) {
            Some(Principal::Mailbox { report_id }) => Ok(Self { tenant, report_id }),
            _ => Err(AppError::unauthorized("no mailbox session for this tenant")),
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
        let sessions = Sessions::new(10);
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
}
