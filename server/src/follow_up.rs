//! Oral reports and follow-up mailboxes (issue 13), as the tenant database
//! keeps them.
//!
//! An advisor registers a report they heard (`channel` oral or meeting):
//! it has no mailbox (`mailbox_state = 'none'`): a random mailbox id and key
//! nobody holds and an all-zero auth hash, which no keyed hash equals, and
//! the mailbox log-in refuses such a report anyway. A reporter who wants to
//! follow it online makes a follow-up mailbox (a login code like a report's,
//! and a follow-up item sealed by its key) and reads its mailbox reference
//! aloud; the advisor joins that mailbox to the report: in one transaction
//! the report takes the follow-up's mailbox id, key and auth hash, keeps the
//! follow-up item as its opening item, records the event `joined`, and the
//! follow-up row goes. From then on the reporter's mailbox sees the report
//! (its own opening item, and the thread from the join on). A follow-up
//! nobody joins is deleted after [`FOLLOW_UP_DAYS`] days by the daily
//! retention run.

use meldkluis_crypto_core::PublicKey;
use rusqlite::{params, Connection, OptionalExtension};

use crate::dates::Day;
use crate::error::{AppError, ErrorCode};
use crate::store::{self, NewReport};

/// Days a follow-up mailbox waits to be joined: its last day is the day it
/// was made plus this.
pub const FOLLOW_UP_DAYS: i64 = 30;

/// The auth hash of a report without a mailbox: no HMAC-SHA256 output is
/// all zeros (and the log-in refuses `'none'` before comparing).
const NO_AUTH_HASH: [u8; 32] = [0; 32];

/// A stored follow-up mailbox (not yet joined).
#[derive(Debug, Clone)]
pub struct FollowUp {
    /// The canonical mailbox reference.
    pub reference: String,
    /// Mailbox id.
    pub mailbox_id: [u8; 16],
    /// Mailbox public key.
    pub mailbox_key: PublicKey,
    /// The sealed follow-up item.
    pub item: Vec<u8>,
    /// The day it was made.
    pub created_day: String,
    /// Its last day.
    pub expires_day: String,
}

/// Stores a follow-up mailbox made on `day`, as checked like a new report
/// (`report.id` is the follow-up item's id, `report.item` the item), under
/// the canonical mailbox `reference`. An item id, mailbox id or key
/// already in use (by a report or a follow-up), or a reference in use, is a
/// conflict. Returns its last day.
pub fn insert(
    conn: &Connection,
    reference: &str,
    report: &NewReport,
    day: Day,
) -> Result<String, AppError> {
    let expires = day.add_days(FOLLOW_UP_DAYS).to_string();
    conn.prepare_cached(
        "INSERT INTO follow_ups (reference, item_id, mailbox_id, mailbox_key, auth_hash, item,
                                 padded_len, created_day, expires_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        reference,
        report.id,
        report.mailbox_id,
        report.mailbox_key.as_bytes(),
        report.auth_hash,
        report.item,
        i64::try_from(report.padded_len).unwrap_or(i64::MAX),
        day.to_string(),
        expires,
    ])?;
    Ok(expires)
}

/// The days of a follow-up mailbox (made, last), if `report` repeats the
/// one stored under its item id exactly (the same mailbox id and key, auth
/// hash and item bytes): a retried request, answered as the first was.
pub fn replay(conn: &Connection, report: &NewReport) -> rusqlite::Result<Option<(String, String)>> {
    store::exact_repeat(
        conn,
        "SELECT created_day, expires_day FROM follow_ups WHERE item_id = ?1 AND mailbox_id = ?2
             AND mailbox_key = ?3 AND auth_hash = ?4 AND item = ?5",
        report,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FollowUp> {
    let key: Vec<u8> = r.get(2)?;
    Ok(FollowUp {
        reference: r.get(0)?,
        mailbox_id: r.get(1)?,
        mailbox_key: PublicKey::from_slice(&key).map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                2,
                rusqlite::types::Type::Blob,
                "mailbox key of 32 bytes".into(),
            )
        })?,
        item: r.get(3)?,
        created_day: r.get(4)?,
        expires_day: r.get(5)?,
    })
}

const COLUMNS: &str = "reference, mailbox_id, mailbox_key, item, created_day, expires_day";

/// The follow-up mailbox with this canonical reference, unless it expired
/// before `today`.
pub fn by_reference(
    conn: &Connection,
    reference: &str,
    today: Day,
) -> rusqlite::Result<Option<FollowUp>> {
    live_where(conn, "reference = ?1", reference, today)
}

/// The follow-up mailbox with this mailbox id, unless it expired before
/// `today`.
pub fn by_mailbox(
    conn: &Connection,
    mailbox_id: &[u8; 16],
    today: Day,
) -> rusqlite::Result<Option<FollowUp>> {
    live_where(conn, "mailbox_id = ?1", mailbox_id, today)
}

/// The follow-up mailbox `condition` (on `?1` = `value`) picks, unless it
/// expired before `today`.
fn live_where(
    conn: &Connection,
    condition: &'static str,
    value: impl rusqlite::ToSql,
    today: Day,
) -> rusqlite::Result<Option<FollowUp>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM follow_ups WHERE {condition} AND expires_day >= ?2"
    ))?
    .query_row(params![value, today.to_string()], row)
    .optional()
}

/// The keyed hash of a live follow-up's auth secret, for the log-in.
pub fn credentials(
    conn: &Connection,
    mailbox_id: &[u8; 16],
    today: Day,
) -> rusqlite::Result<Option<(String, [u8; 32])>> {
    conn.prepare_cached(
        "SELECT reference, auth_hash FROM follow_ups WHERE mailbox_id = ?1 AND expires_day >= ?2",
    )?
    .query_row(params![mailbox_id, today.to_string()], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

/// Where a follow-up session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Joined: the report it belongs to now.
    Joined([u8; 16]),
    /// Waiting to be joined.
    Waiting,
    /// Neither (expired, purged, or its report deleted).
    Gone,
}

/// Where the follow-up mailbox `mailbox_id` stands on `today`.
pub fn session_state(
    conn: &Connection,
    mailbox_id: &[u8; 16],
    today: Day,
) -> rusqlite::Result<SessionState> {
    let joined: Option<[u8; 16]> = conn
        .prepare_cached(
            "SELECT id FROM reports WHERE mailbox_id = ?1 AND mailbox_state = 'joined'",
        )?
        .query_row([mailbox_id], |r| r.get(0))
        .optional()?;
    if let Some(report_id) = joined {
        return Ok(SessionState::Joined(report_id));
    }
    Ok(if by_mailbox(conn, mailbox_id, today)?.is_some() {
        SessionState::Waiting
    } else {
        SessionState::Gone
    })
}

/// Stores an oral report an advisor registered, with no mailbox: a random
/// mailbox id and key nobody holds, and no auth hash. `report.mailbox_id`
/// and `report.mailbox_key` must be those random values. Receipt counts as
/// acknowledged on `day` (the reporter was spoken to). Returns the day's
/// report count, as [`store::insert_report`].
pub fn insert_oral_report(
    conn: &Connection,
    report: &NewReport,
    channel: &str,
    day: &str,
) -> Result<u64, AppError> {
    if report.auth_hash != NO_AUTH_HASH {
        return Err(AppError::internal("an oral report has no auth hash"));
    }
    let count = store::insert_report(conn, report, day)?;
    conn.prepare_cached("UPDATE reports SET mailbox_state = 'none', channel = ?2 WHERE id = ?1")?
        .execute(params![report.id, channel])?;
    conn.prepare_cached(
        "UPDATE register SET channel = ?2
         WHERE number = (SELECT register_number FROM reports WHERE id = ?1)",
    )?
    .execute(params![report.id, channel])?;
    store::record_acknowledgement(conn, &report.id, day)?;
    Ok(count)
}

/// The auth hash an oral report is stored with.
pub const fn no_auth_hash() -> [u8; 32] {
    NO_AUTH_HASH
}

/// Joins the follow-up mailbox `reference` (whose key must be
/// `mailbox_key`) to the oral report `report_id`, for `advisor_id`, on
/// `today`. The caller checked that the advisor may see the report. In one
/// transaction (the caller's job): the report takes the follow-up's
/// mailbox, the follow-up item becomes its opening item, the event `joined`
/// is recorded, and the follow-up row is deleted. Returns the mailbox id
/// (the reporter's notice address is keyed by it, so it moves with it).
pub fn join(
    conn: &Connection,
    report_id: &[u8; 16],
    advisor_id: i64,
    reference: &str,
    mailbox_key: &PublicKey,
    today: Day,
) -> Result<[u8; 16], AppError> {
    let state: Option<(String, String)> = conn
        .prepare_cached("SELECT mailbox_state, channel FROM reports WHERE id = ?1")?
        .query_row([report_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((mailbox_state, channel)) = state else {
        return Err(AppError::not_found("no such report"));
    };
    if mailbox_state != "none" || !matches!(channel.as_str(), "oral" | "meeting") {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "report is not an oral report without a mailbox",
        ));
    }
    let follow_up = by_reference(conn, reference, today)?
        .ok_or_else(|| AppError::not_found("no such follow-up mailbox"))?;
    if follow_up.mailbox_key != *mailbox_key {
        return Err(AppError::new(
            ErrorCode::Conflict,
            "follow-up mailbox has another key",
        ));
    }
    let auth_hash: [u8; 32] = conn
        .prepare_cached("SELECT auth_hash FROM follow_ups WHERE reference = ?1")?
        .query_row([reference], |r| r.get(0))?;
    conn.prepare_cached("DELETE FROM follow_ups WHERE reference = ?1")?
        .execute([reference])?;
    let day = today.to_string();
    // The mailbox sees what comes after this report's last message and
    // attachment: nothing before was sealed to its key.
    conn.prepare_cached(
        "UPDATE reports SET mailbox_id = ?2, mailbox_key = ?3, auth_hash = ?4,
                mailbox_state = 'joined', opening_item = ?5, joined_day = ?6,
                joined_message_seq = coalesce(
                    (SELECT max(seq) FROM messages WHERE report_id = ?1), 0),
                joined_attachment_seq = coalesce(
                    (SELECT max(seq) FROM attachments WHERE report_id = ?1), 0)
         WHERE id = ?1 AND mailbox_state = 'none'",
    )?
    .execute(params![
        report_id,
        follow_up.mailbox_id,
        follow_up.mailbox_key.as_bytes(),
        auth_hash,
        follow_up.item,
        day,
    ])?;
    store::insert_event(
        conn,
        report_id,
        &day,
        "joined",
        Some(advisor_id),
        Some(reference),
    )?;
    Ok(follow_up.mailbox_id)
}

/// Deletes the follow-up mailboxes whose last day was before `today`.
/// Returns their mailbox ids (for their notice addresses).
pub fn purge_expired(conn: &Connection, today: Day) -> rusqlite::Result<Vec<[u8; 16]>> {
    conn.prepare_cached("DELETE FROM follow_ups WHERE expires_day < ?1 RETURNING mailbox_id")?
        .query_map([today.to_string()], |r| r.get(0))?
        .collect()
}

/// The mailbox ids of the follow-up mailboxes whose last day was before
/// `today` (due for deletion).
pub fn expired(conn: &Connection, today: Day) -> rusqlite::Result<Vec<[u8; 16]>> {
    conn.prepare_cached("SELECT mailbox_id FROM follow_ups WHERE expires_day < ?1")?
        .query_map([today.to_string()], |r| r.get(0))?
        .collect()
}

/// How many follow-up mailboxes wait to be joined (for the export and the
/// operator).
pub fn count(conn: &Connection) -> rusqlite::Result<u64> {
    conn.prepare_cached("SELECT count(*) FROM follow_ups")?
        .query_row([], |r| r.get::<_, i64>(0))
        .map(|n| u64::try_from(n).unwrap_or(0))
}
