//! E-mail: "a new message is waiting" notices to reporters and the
//! advisors' daily digest of deadlines, with the addresses kept apart from
//! the reports.
//!
//! - The **e-mail store** is its own SQLite file (`notices.sqlite`), never a
//!   tenant database, run by the same group-commit worker (so a queued mail
//!   is on disk before anyone is told it is queued). Addresses are sealed
//!   under the notice key ([`key`]) and found by a keyed hash of the tenant
//!   and the mailbox id (or the advisor's key): without the key, nothing in
//!   it points at a report.
//! - Only the reporter's mailbox session (their own address) and the
//!   operator's command line (advisors' addresses) reach it. No advisor,
//!   management or report endpoint does, and no log line carries an address.
//! - A **reporter notice** is queued when an advisor writes or changes the
//!   status; it may go out only after a random delay, in the next sending
//!   round, merged with any other notice still waiting for the same
//!   reporter. It says the tenant's name, that a message is waiting, and the
//!   tenant's mailbox address: never content, never the code, no secret in
//!   any link.
//! - The **digest** is queued once a day per advisor, at the configured
//!   hour, if any of their reports has a deadline coming up or passed.
//! - **Delivery** ([`delivery`]) is at least once: the outbox row is removed
//!   only after the SMTP server accepted the message. A crash between the
//!   SMTP server's acceptance and that removal sends the message again, with
//!   the same Message-ID; nothing is ever lost. Failures are retried with
//!   exponential backoff until `give_up_after_hours`.

mod address;
mod delivery;
mod key;
mod store;
mod text;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::Mailbox;
use meldkluis_crypto_core::{PublicKey, TenantId};
use meldkluis_i18n::Lang;
use rand::Rng as _;

pub use self::address::{AddressError, EmailAddress};
pub use self::delivery::TransportError;
pub use self::key::{CouldNotOpen, KeySource, NoticeKey};

use self::key::{join_fields, split_fields};
use self::store::{AddressKind, NewMail, OutboxKind, QueuedMail};
use crate::clock::Day;
use crate::config::{Config, NoticeConfig};
use crate::db::{self, Db};
use crate::error::{AppError, ErrorCode};
use crate::tenants::TenantRecord;
use crate::AppState;

/// Table names bound into the sealing (a value sealed for one table does
/// not open as another's).
const ADDRESSES: &str = "addresses";
const OUTBOX: &str = "outbox";
/// Most mails handled in one sending round.
const ROUND_LIMIT: usize = 200;

/// The e-mail store, the notice key and the way out.
pub struct Notices {
    db: Db,
    config: Config,
    settings: NoticeConfig,
    from: Mailbox,
    transport: delivery::Transport,
    key: Mutex<Option<Arc<NoticeKey>>>,
    last_digest: Mutex<Option<Day>>,
}

impl std::fmt::Debug for Notices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notices")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// A reporter's notice settings.
#[derive(Debug)]
pub struct ReporterAddress {
    /// The address.
    pub address: EmailAddress,
    /// The language notices are written in.
    pub language: Lang,
}

/// What one sending round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Accepted by the SMTP server (or written to the demo file).
    pub sent: usize,
    /// Failed, to be tried again.
    pub failed: usize,
    /// Dropped: the address was removed, or tried for too long.
    pub dropped: usize,
}

/// Why the e-mail side could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeStartError {
    /// The e-mail store could not be opened.
    #[error("e-mail store: {0}")]
    Database(#[from] rusqlite::Error),
    /// The notice key could not be read.
    #[error("notice key: {0}")]
    Key(std::io::Error),
    /// The e-mail store's worker could not start.
    #[error("e-mail store worker: {0}")]
    Worker(std::io::Error),
    /// The SMTP settings are unusable.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The sender address is invalid.
    #[error("notices.from is not an address")]
    From,
}

fn lang_of(tag: &[u8]) -> Lang {
    std::str::from_utf8(tag)
        .ok()
        .and_then(|tag| meldkluis_i18n::catalog().lang(tag))
        .unwrap_or_default()
}

fn key_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("notice key: {e}"))
}

impl Notices {
    /// Opens the e-mail store at `path`, reads the notice key if there is
    /// one (environment first, then file), and sets up the transport.
    pub(crate) fn open(
        config: &Config,
        path: &std::path::Path,
        workers: &db::Workers,
        env: impl Fn(&str) -> Option<String> + Copy,
    ) -> Result<Self, NoticeStartError> {
        let conn = db::open_notices(path)?;
        let db = Db::start(
            conn,
            "db-notices".into(),
            config.group_commit_max,
            workers,
            None,
        )
        .map_err(NoticeStartError::Worker)?;
        let key = NoticeKey::load(config, env)
            .map_err(NoticeStartError::Key)?
            .map(|(key, _)| Arc::new(key));
        let from = config
            .notices
            .from
            .parse()
            .map_err(|_| NoticeStartError::From)?;
        Ok(Self {
            db,
            config: config.clone(),
            settings: config.notices.clone(),
            from,
            transport: delivery::Transport::from_config(config, env)?,
            key: Mutex::new(key),
            last_digest: Mutex::new(None),
        })
    }

    /// Where mail goes, for the start-up log.
    pub fn describe_transport(&self) -> String {
        self.transport.describe()
    }

    /// True when there is no SMTP server and mail goes to the demo file.
    pub fn writes_to_file(&self) -> bool {
        self.transport.is_file()
    }

    /// The notice key if there is one. A key file made after start (by the
    /// operator's `advisor set-email`) is picked up here.
    fn key(&self) -> Result<Option<Arc<NoticeKey>>, AppError> {
        let mut slot = self.key.lock().expect("notice key lock is never poisoned");
        if slot.is_none() {
            *slot = NoticeKey::load(&self.config, |name| std::env::var(name).ok())
                .map_err(key_error)?
                .map(|(key, _)| Arc::new(key));
        }
        Ok(slot.clone())
    }

    /// The notice key, made now if there is none yet (the first address).
    async fn key_or_create(&self) -> Result<Arc<NoticeKey>, AppError> {
        if let Some(key) = self.key()? {
            return Ok(key);
        }
        let config = self.config.clone();
        let key = db::blocking(move || NoticeKey::load_or_create(&config))
            .await
            .map_err(key_error)?;
        let mut slot = self.key.lock().expect("notice key lock is never poisoned");
        Ok(slot.get_or_insert_with(|| Arc::new(key)).clone())
    }

    /// Stores (or replaces) the address of the reporter of a mailbox.
    pub async fn set_reporter_address(
        &self,
        tenant: &TenantId,
        mailbox_id: &[u8; 16],
        address: &EmailAddress,
        language: Lang,
    ) -> Result<(), AppError> {
        let key = self.key_or_create().await?;
        let lookup = key.reporter_lookup(tenant, mailbox_id);
        let plain = join_fields(&[
            address.expose_address().as_bytes(),
            language.tag().as_bytes(),
        ]);
        let sealed = key.seal(ADDRESSES, &lookup, &plain);
        self.db
            .call(move |conn| {
                Ok(store::put_address(
                    conn,
                    &lookup,
                    AddressKind::Reporter,
                    &sealed,
                )?)
            })
            .await
    }

    /// The address of the reporter of a mailbox, if they left one.
    pub async fn reporter_address(
        &self,
        tenant: &TenantId,
        mailbox_id: &[u8; 16],
    ) -> Result<Option<ReporterAddress>, AppError> {
        let Some(key) = self.key()? else {
            return Ok(None);
        };
        let lookup = key.reporter_lookup(tenant, mailbox_id);
        let sealed = self
            .db
            .call(move |conn| Ok(store::address(conn, &lookup)?))
            .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = key.open(ADDRESSES, &lookup, &sealed).map_err(key_error)?;
        let fields = split_fields(&plain).ok_or_else(|| AppError::internal("address row"))?;
        let [address, language] = fields[..] else {
            return Err(AppError::internal("address row fields"));
        };
        let address = std::str::from_utf8(address)
            .ok()
            .and_then(|a| EmailAddress::parse(a).ok())
            .ok_or_else(|| AppError::internal("stored address"))?;
        Ok(Some(ReporterAddress {
            address,
            language: lang_of(language),
        }))
    }

    /// Removes the address of the reporter of a mailbox, and every notice
    /// still waiting for it.
    pub async fn delete_reporter_address(
        &self,
        tenant: &TenantId,
        mailbox_id: &[u8; 16],
    ) -> Result<(), AppError> {
        let Some(key) = self.key()? else {
            return Ok(());
        };
        let lookup = key.reporter_lookup(tenant, mailbox_id);
        self.db
            .call(move |conn| Ok(store::delete_address(conn, &lookup).map(drop)?))
            .await
    }

    /// Queues "a new message is waiting" for the reporter of a mailbox, if
    /// they left an address: durably, before this returns. It may go out
    /// after a random delay; a notice still waiting for the same reporter
    /// absorbs this one. True if a new notice was queued.
    pub async fn queue_reporter_notice(
        &self,
        tenant: &TenantRecord,
        mailbox_id: &[u8; 16],
        now_ms: i64,
    ) -> Result<bool, AppError> {
        let Some(key) = self.key()? else {
            return Ok(false);
        };
        let lookup = key.reporter_lookup(&tenant.id, mailbox_id);
        let delay_ms = self.random_delay_ms();
        let id = random_id();
        let plain = join_fields(&[tenant.id.as_str().as_bytes(), tenant.name.as_bytes()]);
        let not_before = now_ms.saturating_add(delay_ms);
        let mail = NewMail {
            id,
            kind: OutboxKind::ReporterNotice,
            recipient: lookup,
            dedupe: None,
            not_before,
            give_up_at: not_before.saturating_add(self.give_up_ms()),
            sealed: key.seal(OUTBOX, &id, &plain),
        };
        self.db
            .call(move |conn| {
                if store::address(conn, &mail.recipient)?.is_none() {
                    return Ok(false);
                }
                Ok(store::enqueue(conn, &mail)?)
            })
            .await
    }

    /// Queues the notice of a report's closure for its reporter, if they
    /// left an address, and deletes that address, in one transaction of
    /// the e-mail store: the address goes into the notice's own sealed
    /// outbox row (so the notice still goes out after the address row is
    /// gone), and nothing of it remains once the notice is sent or given
    /// up. A notice still waiting for the reporter is replaced by this one.
    /// True if a notice was queued.
    pub async fn queue_closure_notice(
        &self,
        tenant: &TenantRecord,
        mailbox_id: &[u8; 16],
        now_ms: i64,
    ) -> Result<bool, AppError> {
        let Some(key) = self.key()? else {
            return Ok(false);
        };
        let lookup = key.reporter_lookup(&tenant.id, mailbox_id);
        let not_before = now_ms.saturating_add(self.random_delay_ms());
        let give_up_at = not_before.saturating_add(self.give_up_ms());
        let (tenant_id, tenant_name) = (tenant.id.clone(), tenant.name.clone());
        self.db
            .call(move |conn| {
                let Some(sealed_address) = store::address(conn, &lookup)? else {
                    return Ok(false);
                };
                let address = key
                    .open(ADDRESSES, &lookup, &sealed_address)
                    .map_err(key_error)?;
                let fields =
                    split_fields(&address).ok_or_else(|| AppError::internal("address row"))?;
                let [to, language] = fields[..] else {
                    return Err(AppError::internal("address row fields"));
                };
                let id = random_id();
                // Holds the address in the clear until sealed: wiped after.
                let plain = zeroize::Zeroizing::new(join_fields(&[
                    tenant_id.as_str().as_bytes(),
                    tenant_name.as_bytes(),
                    to,
                    language,
                ]));
                // Any notice still waiting goes with the address; this one
                // takes its place.
                store::delete_address(conn, &lookup)?;
                store::enqueue(
                    conn,
                    &NewMail {
                        id,
                        kind: OutboxKind::ReporterNotice,
                        recipient: lookup,
                        dedupe: None,
                        not_before,
                        give_up_at,
                        sealed: key.seal(OUTBOX, &id, &plain),
                    },
                )?;
                Ok(true)
            })
            .await
    }

    /// A random delay for a reporter notice, in the configured range.
    fn random_delay_ms(&self) -> i64 {
        let (min, max) = (self.settings.delay_min_secs, self.settings.delay_max_secs);
        let secs = if max > min {
            rand::rngs::OsRng.gen_range(min..=max)
        } else {
            min
        };
        secs_to_ms(secs)
    }

    /// Number of mails waiting in the outbox.
    pub async fn pending(&self) -> Result<u64, AppError> {
        self.db.call(|conn| Ok(store::pending(conn)?)).await
    }

    fn give_up_ms(&self) -> i64 {
        i64::try_from(self.settings.give_up_after_hours)
            .unwrap_or(i64::MAX)
            .saturating_mul(3_600_000)
    }

    /// The wait before try number `attempts + 1`: the base doubled per
    /// failed try, at most the maximum.
    fn backoff_ms(&self, attempts: u32) -> i64 {
        let doubled =
            self.settings.retry_base_secs * 2f64.powi(attempts.saturating_sub(1).min(30) as i32);
        secs_to_ms(doubled.min(self.settings.retry_max_secs))
    }

    /// One sending round: every mail due at `now_ms`, one after the other.
    /// A mail's row is removed only after the SMTP server accepted it.
    pub async fn deliver_due(&self, now_ms: i64) -> Result<RoundReport, AppError> {
        let mut report = RoundReport::default();
        let Some(key) = self.key()? else {
            return Ok(report);
        };
        let due = self
            .db
            .call(move |conn| Ok(store::due(conn, now_ms, ROUND_LIMIT)?))
            .await?;
        for mail in due {
            let id = mail.id;
            let outcome = match self.compose(&key, &mail) {
                Composed::Drop(why) => {
                    tracing::info!(why, "notice dropped");
                    Err(None)
                }
                Composed::Failed(why) => Err(Some(why)),
                Composed::Ready(message) => {
                    self.transport.send(message).await.map_err(|e| Some(e.0))
                }
            };
            match outcome {
                Ok(()) => {
                    // The "sent" mark. If the process dies before this
                    // commit, the mail goes again after restart, with the
                    // same Message-ID.
                    self.db
                        .call(move |conn| Ok(store::remove(conn, &id)?))
                        .await?;
                    report.sent += 1;
                }
                Err(None) => {
                    self.db
                        .call(move |conn| Ok(store::remove(conn, &id)?))
                        .await?;
                    report.dropped += 1;
                }
                Err(Some(why)) => {
                    let attempts = mail.attempts.saturating_add(1);
                    if now_ms >= mail.give_up_at {
                        tracing::warn!(attempts, why, "notice undeliverable, given up");
                        self.db
                            .call(move |conn| Ok(store::remove(conn, &id)?))
                            .await?;
                        report.dropped += 1;
                    } else {
                        let next = now_ms.saturating_add(self.backoff_ms(attempts));
                        tracing::warn!(attempts, why, "notice delivery failed, will retry");
                        self.db
                            .call(move |conn| Ok(store::retry_later(conn, &id, attempts, next)?))
                            .await?;
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// Opens a queued mail and its address and writes the message.
    fn compose(&self, key: &NoticeKey, mail: &QueuedMail) -> Composed {
        let Some(kind) = mail.kind else {
            return Composed::Drop("unknown kind");
        };
        let Ok(payload) = key.open(OUTBOX, &mail.id, &mail.sealed) else {
            // Another key than the one this row was sealed with: keep it
            // until give-up, in case the operator restores the key.
            return Composed::Failed("could not open with the notice key".into());
        };
        let Some(payload) = split_fields(&payload) else {
            return Composed::Drop("malformed row");
        };
        // A closure notice carries its address (the address row is gone);
        // every other mail goes to the address row's.
        let closure = matches!((kind, payload.len()), (OutboxKind::ReporterNotice, 4));
        let (payload, address) = match (kind, &payload[..]) {
            (OutboxKind::ReporterNotice, [tenant, name, to, language]) => (
                vec![*tenant, *name],
                vec![
                    zeroize::Zeroizing::new(to.to_vec()),
                    zeroize::Zeroizing::new(language.to_vec()),
                ],
            ),
            _ => {
                let Some(sealed_address) = &mail.sealed_address else {
                    return Composed::Drop("address removed");
                };
                let Ok(address) = key.open(ADDRESSES, &mail.recipient, sealed_address) else {
                    return Composed::Failed("could not open with the notice key".into());
                };
                let Some(address) = split_fields(&address) else {
                    return Composed::Drop("malformed row");
                };
                let address = address
                    .iter()
                    .map(|f| zeroize::Zeroizing::new(f.to_vec()))
                    .collect();
                (payload.clone(), address)
            }
        };
        let (Some(to), Some(language)) = (
            address.first().and_then(|a| std::str::from_utf8(a).ok()),
            address.get(1),
        ) else {
            return Composed::Drop("malformed address row");
        };
        let language = lang_of(language);
        let text = match kind {
            OutboxKind::ReporterNotice => {
                let [tenant, name] = payload[..] else {
                    return Composed::Drop("malformed notice");
                };
                let (Ok(tenant), Ok(name)) =
                    (std::str::from_utf8(tenant), std::str::from_utf8(name))
                else {
                    return Composed::Drop("malformed notice");
                };
                let url = format!("{}/t/{tenant}/mailbox", self.config.public_url());
                if closure {
                    text::reporter_closure_notice(language, name, &url)
                } else {
                    text::reporter_notice(language, name, &url)
                }
            }
            OutboxKind::AdvisorDigest => {
                let parsed = (|| {
                    let [_, name, day, ref items @ ..] = payload[..] else {
                        return None;
                    };
                    let name = std::str::from_utf8(name).ok()?;
                    let day = Day::parse(std::str::from_utf8(day).ok()?)?;
                    let (mut deadlines, mut deletions) = (Vec::new(), Vec::new());
                    for line in items {
                        let line = std::str::from_utf8(line).ok()?;
                        match text::decode_deletion(line) {
                            Some(deletion) => deletions.push(deletion),
                            None => deadlines.push(text::decode_item(line)?),
                        }
                    }
                    Some(text::advisor_digest(
                        language, name, day, &deadlines, &deletions,
                    ))
                })();
                match parsed {
                    Some(text) => text,
                    None => return Composed::Drop("malformed digest"),
                }
            }
        };
        match delivery::build_message(&self.from, to, &mail.id, &text.subject, text.body) {
            Ok(message) => Composed::Ready(message),
            Err(_) => Composed::Drop("unbuildable message"),
        }
    }
}

enum Composed {
    Ready(lettre::Message),
    Failed(String),
    Drop(&'static str),
}

fn secs_to_ms(secs: f64) -> i64 {
    // Settings are validated to 0 ..= 86400 seconds.
    (secs * 1000.0).round() as i64
}

fn random_id() -> [u8; 16] {
    let mut id = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    id
}

/// Queues the digest of `today` for every advisor with an address and at
/// least one deadline coming up or passed, once per day: all of the day's
/// digests and the mark that the day is done are one commit, so a crash
/// queues either all or none, and a restart never queues a day twice.
/// Returns the number of digests queued.
pub async fn run_digest(state: &AppState, today: Day) -> Result<usize, AppError> {
    let notices = state.notices();
    let day = today.to_string();
    let check_day = day.clone();
    if notices
        .db
        .call(move |conn| Ok(store::digest_done(conn, &check_day)?))
        .await?
    {
        return Ok(0);
    }
    let mut mails = Vec::new();
    if let Some(key) = notices.key()? {
        let rows = notices
            .db
            .call(|conn| Ok(store::advisor_addresses(conn)?))
            .await?;
        let mut by_tenant: BTreeMap<String, Vec<([u8; 32], PublicKey)>> = BTreeMap::new();
        for (lookup, sealed) in rows {
            let Ok(plain) = key.open(ADDRESSES, &lookup, &sealed) else {
                tracing::warn!("advisor address row does not open with the notice key");
                continue;
            };
            let fields = split_fields(&plain).unwrap_or_default();
            if let [_, _, tenant, advisor] = fields[..] {
                if let (Ok(tenant), Ok(advisor)) =
                    (std::str::from_utf8(tenant), PublicKey::from_slice(advisor))
                {
                    by_tenant
                        .entry(tenant.to_owned())
                        .or_default()
                        .push((lookup, advisor));
                }
            }
        }
        let windows = crate::deadlines::Windows {
            feedback_days: i64::from(notices.settings.feedback_warning_days),
            update_days: i64::from(notices.settings.update_warning_days),
        };
        let now_ms = state.clock().now_unix_ms();
        for (tenant_id, advisors) in by_tenant {
            let Ok(tenant_id) = TenantId::new(&tenant_id) else {
                continue;
            };
            let tenant = match state.tenants().get(&tenant_id).await {
                Ok(tenant) => tenant,
                Err(e)
                    if matches!(
                        e.code(),
                        ErrorCode::TenantDisabled | ErrorCode::TenantNotFound
                    ) =>
                {
                    continue
                }
                Err(e) => return Err(e),
            };
            let per_advisor = tenant
                .db
                .call(move |conn| {
                    let mut out = Vec::new();
                    for (lookup, advisor) in advisors {
                        if let Some(id) = crate::store::active_advisor_id(conn, &advisor)? {
                            let deletions = crate::store::deletions_until(
                                conn,
                                Some(id),
                                today.add_days(crate::api::register::DELETION_NOTICE_DAYS),
                            )?;
                            out.push((
                                lookup,
                                crate::store::report_dates_for_advisor(conn, id)?,
                                deletions,
                            ));
                        }
                    }
                    Ok(out)
                })
                .await?;
            for (lookup, reports, deletions) in per_advisor {
                let items = crate::deadlines::digest(&reports, today, windows);
                if items.is_empty() && deletions.is_empty() {
                    continue;
                }
                let mut lines: Vec<String> = items.iter().map(text::encode_item).collect();
                lines.extend(deletions.iter().map(|d| {
                    text::encode_deletion(&text::DigestDeletion {
                        short_id: hex::encode(&d.report_id[..4]),
                        day: d.deletion_day,
                    })
                }));
                let mut fields: Vec<&[u8]> = vec![
                    tenant.id().as_str().as_bytes(),
                    tenant.record.name.as_bytes(),
                    day.as_bytes(),
                ];
                fields.extend(lines.iter().map(|l| l.as_bytes()));
                let id = random_id();
                mails.push(NewMail {
                    id,
                    kind: OutboxKind::AdvisorDigest,
                    recipient: lookup,
                    dedupe: Some(key.digest_dedupe(&lookup, &day)),
                    not_before: now_ms,
                    give_up_at: now_ms.saturating_add(notices.give_up_ms()),
                    sealed: key.seal(OUTBOX, &id, &join_fields(&fields)),
                });
            }
        }
    }
    notices
        .db
        .call(move |conn| {
            let mut queued = 0;
            for mail in &mails {
                queued += usize::from(store::enqueue(conn, mail)?);
            }
            store::mark_digest_done(conn, &day)?;
            Ok(queued)
        })
        .await
}

/// The background work: every `send_interval_secs`, the day's digest (once
/// its hour has come) and a sending round. Ends when `stop` turns true.
pub(crate) async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let notices = state.notices();
    let interval = Duration::from_secs_f64(notices.settings.send_interval_secs);
    loop {
        if *stop.borrow() {
            return;
        }
        let now_ms = state.clock().now_unix_ms();
        let today = Day::from_unix(now_ms.div_euclid(1000));
        let hour = now_ms.div_euclid(1000).rem_euclid(86_400) / 3600;
        let done_today = *notices
            .last_digest
            .lock()
            .expect("digest lock is never poisoned")
            == Some(today);
        if !done_today && hour >= i64::from(notices.settings.digest_hour_utc) {
            match run_digest(&state, today).await {
                Ok(queued) => {
                    if queued > 0 {
                        tracing::info!(queued, "advisor digests queued");
                    }
                    *notices
                        .last_digest
                        .lock()
                        .expect("digest lock is never poisoned") = Some(today);
                }
                Err(e) => tracing::error!(error = %e, "digest failed; will retry"),
            }
        }
        match notices.deliver_due(now_ms).await {
            Ok(round) if round != RoundReport::default() => {
                tracing::info!(
                    sent = round.sent,
                    failed = round.failed,
                    dropped = round.dropped,
                    "notice round"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "notice round failed; will retry"),
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The operator's side: advisors' addresses, set with the command line
/// (synchronously, on its own connection to the e-mail store).
#[derive(Debug)]
pub struct AdvisorAddresses {
    conn: rusqlite::Connection,
    key: NoticeKey,
}

impl AdvisorAddresses {
    /// Opens the e-mail store of `config` with the notice key. Without a
    /// key yet, `create` makes one; otherwise there is nothing to open
    /// (`None`): no address can have been stored without a key.
    pub fn open(config: &Config, create: bool) -> Result<Option<Self>, NoticeStartError> {
        let key = match NoticeKey::load(config, |name| std::env::var(name).ok())
            .map_err(NoticeStartError::Key)?
        {
            Some((key, _)) => key,
            None if create => NoticeKey::load_or_create(config).map_err(NoticeStartError::Key)?,
            None => return Ok(None),
        };
        let conn = db::open_notices(&crate::tenants::Layout::new(&config.data_dir).notices_db())?;
        Ok(Some(Self { conn, key }))
    }

    /// Sets (or, with `None`, removes) an advisor's address.
    pub fn set(
        &self,
        tenant: &TenantId,
        advisor: &PublicKey,
        address: Option<(&EmailAddress, Lang)>,
    ) -> rusqlite::Result<()> {
        let lookup = self.key.advisor_lookup(tenant, advisor);
        match address {
            Some((address, language)) => {
                let plain = join_fields(&[
                    address.expose_address().as_bytes(),
                    language.tag().as_bytes(),
                    tenant.as_str().as_bytes(),
                    advisor.as_bytes(),
                ]);
                let sealed = self.key.seal(ADDRESSES, &lookup, &plain);
                store::put_address(&self.conn, &lookup, AddressKind::Advisor, &sealed)
            }
            None => store::delete_address(&self.conn, &lookup).map(drop),
        }
    }

    /// True if the advisor has an address.
    pub fn has(&self, tenant: &TenantId, advisor: &PublicKey) -> rusqlite::Result<bool> {
        store::address(&self.conn, &self.key.advisor_lookup(tenant, advisor)).map(|a| a.is_some())
    }
}

/// Turns an address error into the API's answer (never quoting the address).
pub(crate) fn address_error(e: AddressError) -> AppError {
    AppError::new(
        ErrorCode::InvalidEmailAddress,
        format!("notice e-mail: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_notice_waits_a_random_delay_and_absorbs_the_next_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().join("data"),
            notice_key_path: Some(dir.path().join("secrets").join("notice-key")),
            ..Config::default()
        };
        config.notices.delay_min_secs = 600.0;
        config.notices.delay_max_secs = 3600.0;
        std::fs::create_dir_all(&config.data_dir).expect("data dir");
        let workers = db::Workers::default();
        let notices = Notices::open(
            &config,
            &config.data_dir.join("notices.sqlite"),
            &workers,
            |_| None,
        )
        .expect("open");
        let tenant = TenantRecord {
            id: TenantId::new("acme").expect("valid"),
            name: "Acme".into(),
            disabled: false,
            created_day: "2026-11-24".into(),
            max_attachment_bytes: 1,
            quotas: crate::tenants::Quotas {
                reports_per_day: 1,
                messages_per_report: 1,
                attachments_per_report: 1,
                attachment_bytes_per_report: 1,
            },
        };
        let now = 1_800_000_000_000;
        assert!(
            !notices
                .queue_reporter_notice(&tenant, &[1; 16], now)
                .await
                .expect("queue"),
            "no address, no notice"
        );
        let address = EmailAddress::parse("r@example.org").expect("valid");
        let mut delays = BTreeMap::new();
        for i in 0..20u8 {
            notices
                .set_reporter_address(&tenant.id, &[i; 16], &address, Lang::default())
                .await
                .expect("set");
            assert!(notices
                .queue_reporter_notice(&tenant, &[i; 16], now)
                .await
                .expect("queue"));
            assert!(
                !notices
                    .queue_reporter_notice(&tenant, &[i; 16], now + 1000)
                    .await
                    .expect("queue"),
                "merged into the waiting one"
            );
        }
        let rows = notices
            .db
            .call(|conn| Ok(store::due(conn, i64::MAX, 100)?))
            .await
            .expect("rows");
        assert_eq!(rows.len(), 20);
        for row in rows {
            let due = notices
                .db
                .call(move |conn| {
                    Ok(conn.query_row(
                        "SELECT next_attempt FROM outbox WHERE id = ?1",
                        [row.id],
                        |r| r.get::<_, i64>(0),
                    )?)
                })
                .await
                .expect("due");
            let delay = due - now;
            assert!((600_000..=3_600_000).contains(&delay), "{delay}");
            *delays.entry(delay / 600_000).or_insert(0) += 1;
        }
        assert!(delays.len() > 1, "the delay varies: {delays:?}");
        assert_eq!(
            notices.deliver_due(now).await.expect("round"),
            RoundReport::default(),
            "nothing is due before its delay"
        );
        assert_eq!(notices.backoff_ms(1), 60_000);
        assert_eq!(notices.backoff_ms(2), 120_000);
        assert_eq!(notices.backoff_ms(30), 3_600_000);
    }
}
