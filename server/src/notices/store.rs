//! Queries on the e-mail store (`notices.sqlite`). Each runs inside a job
//! of the store's database worker (see [`crate::db`]), so every write is
//! durable before the job answers.
//!
//! What the rows hold is already sealed or keyed by the caller
//! ([`super::key`]); nothing here sees an address.

use rusqlite::{params, Connection, OptionalExtension};

/// Whose address a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressKind {
    /// A reporter's, found by tenant and mailbox id.
    Reporter,
    /// An advisor's, found by tenant and advisor key.
    Advisor,
}

impl AddressKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Reporter => "reporter",
            Self::Advisor => "advisor",
        }
    }
}

/// The kinds of outgoing mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutboxKind {
    /// "A new message is waiting" to a reporter.
    ReporterNotice,
    /// The daily digest of deadlines to an advisor.
    AdvisorDigest,
}

impl OutboxKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ReporterNotice => "reporter_notice",
            Self::AdvisorDigest => "advisor_digest",
        }
    }

    fn from_str(s: &str) -> Option<Self> {
        match s {
            "reporter_notice" => Some(Self::ReporterNotice),
            "advisor_digest" => Some(Self::AdvisorDigest),
            _ => None,
        }
    }
}

/// Stores (or replaces) a sealed address.
pub(crate) fn put_address(
    conn: &Connection,
    lookup: &[u8; 32],
    kind: AddressKind,
    sealed: &[u8],
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO addresses (lookup, kind, sealed) VALUES (?1, ?2, ?3)
         ON CONFLICT (lookup) DO UPDATE SET kind = excluded.kind, sealed = excluded.sealed",
    )?
    .execute(params![lookup, kind.as_str(), sealed])?;
    Ok(())
}

/// The sealed address of a row.
pub(crate) fn address(conn: &Connection, lookup: &[u8; 32]) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT sealed FROM addresses WHERE lookup = ?1")?
        .query_row([lookup], |r| r.get(0))
        .optional()
}

/// Removes an address and every mail still waiting for it. True if there
/// was one.
pub(crate) fn delete_address(conn: &Connection, lookup: &[u8; 32]) -> rusqlite::Result<bool> {
    conn.prepare_cached("DELETE FROM outbox WHERE recipient = ?1")?
        .execute([lookup])?;
    let deleted = conn
        .prepare_cached("DELETE FROM addresses WHERE lookup = ?1")?
        .execute([lookup])?;
    Ok(deleted > 0)
}

/// Every advisor address row: (lookup, sealed).
pub(crate) fn advisor_addresses(conn: &Connection) -> rusqlite::Result<Vec<([u8; 32], Vec<u8>)>> {
    conn.prepare_cached("SELECT lookup, sealed FROM addresses WHERE kind = 'advisor'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// A mail to queue.
#[derive(Debug)]
pub(crate) struct NewMail {
    pub id: [u8; 16],
    pub kind: OutboxKind,
    pub recipient: [u8; 32],
    pub dedupe: Option<[u8; 32]>,
    pub not_before: i64,
    pub give_up_at: i64,
    pub sealed: Vec<u8>,
}

/// Queues a mail. A reporter notice while another is still waiting for the
/// same reporter, or a mail whose dedupe key was queued before, is merged
/// into the one already there: false then.
pub(crate) fn enqueue(conn: &Connection, mail: &NewMail) -> rusqlite::Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO outbox (id, kind, recipient, dedupe, next_attempt, give_up_at, sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            mail.id,
            mail.kind.as_str(),
            mail.recipient,
            mail.dedupe,
            mail.not_before,
            mail.give_up_at,
            mail.sealed
        ])?;
    Ok(inserted == 1)
}

/// A queued mail, with the sealed address of its recipient (if the address
/// still exists).
#[derive(Debug)]
pub(crate) struct QueuedMail {
    pub id: [u8; 16],
    pub kind: Option<OutboxKind>,
    pub recipient: [u8; 32],
    pub attempts: u32,
    pub give_up_at: i64,
    pub sealed: Vec<u8>,
    pub sealed_address: Option<Vec<u8>>,
}

/// The mails due at `now`, the longest waiting first.
pub(crate) fn due(conn: &Connection, now: i64, limit: usize) -> rusqlite::Result<Vec<QueuedMail>> {
    conn.prepare_cached(
        "SELECT o.id, o.kind, o.recipient, o.attempts, o.give_up_at, o.sealed, a.sealed
         FROM outbox o LEFT JOIN addresses a ON a.lookup = o.recipient
         WHERE o.next_attempt <= ?1 ORDER BY o.next_attempt LIMIT ?2",
    )?
    .query_map(
        params![now, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            Ok(QueuedMail {
                id: r.get(0)?,
                kind: OutboxKind::from_str(&r.get::<_, String>(1)?),
                recipient: r.get(2)?,
                attempts: r.get::<_, i64>(3)?.try_into().unwrap_or(u32::MAX),
                give_up_at: r.get(4)?,
                sealed: r.get(5)?,
                sealed_address: r.get(6)?,
            })
        },
    )?
    .collect()
}

/// Marks a mail sent (or dropped): the row goes, nothing of it stays.
pub(crate) fn remove(conn: &Connection, id: &[u8; 16]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM outbox WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Records a failed try and when to try next.
pub(crate) fn retry_later(
    conn: &Connection,
    id: &[u8; 16],
    attempts: u32,
    next_attempt: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE outbox SET attempts = ?2, next_attempt = ?3 WHERE id = ?1")?
        .execute(params![id, attempts, next_attempt])?;
    Ok(())
}

/// Number of mails waiting.
pub(crate) fn pending(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT count(*) FROM outbox")?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))
}

/// True if the digest of `day` was queued already.
pub(crate) fn digest_done(conn: &Connection, day: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM digest_days WHERE day = ?1")?
        .exists([day])
}

/// Records that the digest of `day` is queued.
pub(crate) fn mark_digest_done(conn: &Connection, day: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO digest_days (day) VALUES (?1)")?
        .execute([day])?;
    // Only the latest day matters; older ones say nothing useful.
    conn.prepare_cached("DELETE FROM digest_days WHERE day < ?1")?
        .execute([day])?;
    Ok(())
}
