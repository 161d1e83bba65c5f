//! The organisation's side of a tenant (issue 12), as stored: management
//! recipients (directie / OR-rapportage) and forward recipients (HR /
//! klachtencommissie) with their public keys, the single-use invitations
//! that enrol a recipient with an enrolment code, and the items sealed to
//! recipients: figures reports (aggregate, kept until the tenant ends),
//! forwards and the forwards' attachments (kept with their report).
//!
//! Like [`crate::store`], every function takes a connection and runs
//! inside a job of the tenant's database worker. The server learns a
//! recipient's role, label and public key, and which keys an item is sealed
//! to; never what an item says.

use meldkluis_crypto_core::PublicKey;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::dates::Day;
use crate::error::{AppError, ErrorCode};

/// The roles of a recipient (domain.md): `management` receives figures
/// reports, `forward` receives forwards the reporter approved.
pub const ROLES: [&str; 2] = ["management", "forward"];
/// Longest label of a recipient, in characters.
pub const MAX_LABEL_CHARS: usize = 200;
/// The days an invitation is valid: the default and the range allowed.
pub const INVITATION_DAYS: (u32, std::ops::RangeInclusive<u32>) = (14, 1..=30);

/// Why a recipient's role or label is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecipientError {
    /// The role is not `management` or `forward`.
    #[error("role must be management or forward")]
    Role,
    /// The label is empty, too long or holds control characters.
    #[error("label must be 1 to 200 characters without control characters")]
    Label,
}

/// Checks a role.
pub fn check_role(role: &str) -> Result<&'static str, RecipientError> {
    ROLES
        .iter()
        .find(|r| **r == role)
        .copied()
        .ok_or(RecipientError::Role)
}

/// Checks a label (trimmed; 1 to [`MAX_LABEL_CHARS`] characters, no
/// control characters) and returns it trimmed.
pub fn check_label(label: &str) -> Result<String, RecipientError> {
    let label = label.trim();
    let chars = label.chars().count();
    if chars == 0 || chars > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(RecipientError::Label);
    }
    Ok(label.to_owned())
}

/// An enrolled recipient.
#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// `management` or `forward`.
    pub role: String,
    /// Shown to advisors and reporters.
    pub label: String,
    /// X25519 public key.
    #[serde(serialize_with = "key_hex")]
    pub public_key: PublicKey,
    /// The key's fingerprint, to compare aloud.
    pub fingerprint: String,
    /// `token` (a hardware token) or `code` (an enrolment code).
    pub key_source: String,
    /// The day it was enrolled.
    pub enrolled_day: String,
    /// The day it was removed, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_day: Option<String>,
}

fn key_hex<S: serde::Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&key.to_hex())
}

const RECIPIENT_COLUMNS: &str =
    "id, role, label, public_key, key_source, enrolled_day, removed_day";

fn recipient_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Recipient> {
    let key: Vec<u8> = r.get(3)?;
    let public_key = PublicKey::from_slice(&key).unwrap_or(PublicKey::from_bytes([0; 32]));
    Ok(Recipient {
        id: r.get(0)?,
        role: r.get(1)?,
        label: r.get(2)?,
        fingerprint: public_key.fingerprint(),
        public_key,
        key_source: r.get(4)?,
        enrolled_day: r.get(5)?,
        removed_day: r.get(6)?,
    })
}

/// The tenant's recipients, current ones only or all, in enrolment order.
pub fn recipients(conn: &Connection, current_only: bool) -> rusqlite::Result<Vec<Recipient>> {
    conn.prepare_cached(&format!(
        "SELECT {RECIPIENT_COLUMNS} FROM org_recipients
         WHERE removed_day IS NULL OR ?1 = 0 ORDER BY id"
    ))?
    .query_map([current_only], recipient_row)?
    .collect()
}

/// The recipient with this key, removed or not.
pub fn recipient_by_key(conn: &Connection, key: &PublicKey) -> rusqlite::Result<Option<Recipient>> {
    conn.prepare_cached(&format!(
        "SELECT {RECIPIENT_COLUMNS} FROM org_recipients WHERE public_key = ?1"
    ))?
    .query_row([key.as_bytes()], recipient_row)
    .optional()
}

/// The current (not removed) recipient with this row id and key.
pub fn current_recipient(
    conn: &Connection,
    id: i64,
    key: &PublicKey,
) -> rusqlite::Result<Option<Recipient>> {
    conn.prepare_cached(&format!(
        "SELECT {RECIPIENT_COLUMNS} FROM org_recipients
         WHERE id = ?1 AND public_key = ?2 AND removed_day IS NULL"
    ))?
    .query_row(params![id, key.as_bytes()], recipient_row)
    .optional()
}

/// The current recipient of `role` with this key.
pub fn current_with_role(
    conn: &Connection,
    key: &PublicKey,
    role: &str,
) -> rusqlite::Result<Option<Recipient>> {
    Ok(recipient_by_key(conn, key)?.filter(|r| r.removed_day.is_none() && r.role == role))
}

/// What a key already is in the tenant, if anything: a recipient (also a
/// removed one), an advisor (also a removed one), or a recovery key
/// (current or former). A key has one role in a tenant.
pub fn key_in_use(conn: &Connection, key: &PublicKey) -> rusqlite::Result<Option<&'static str>> {
    if recipient_by_key(conn, key)?.is_some() {
        return Ok(Some("recipient"));
    }
    if crate::store::is_enrolled_key(conn, key)? {
        return Ok(Some("advisor"));
    }
    if crate::store::recovery_key(conn)?.as_ref() == Some(key)
        || crate::store::former_recovery_keys(conn)?.contains(key)
    {
        return Ok(Some("recovery key"));
    }
    Ok(None)
}

/// Enrols a recipient. A key already in use in the tenant (see
/// [`key_in_use`]) is refused with `already_enrolled`.
pub fn add_recipient(
    conn: &Connection,
    role: &str,
    label: &str,
    key: &PublicKey,
    key_source: &str,
    day: &str,
) -> Result<i64, AppError> {
    if let Some(what) = key_in_use(conn, key)? {
        return Err(AppError::new(
            ErrorCode::AlreadyEnrolled,
            format!("key is already enrolled in this tenant as a {what}"),
        ));
    }
    Ok(conn
        .prepare_cached(
            "INSERT INTO org_recipients (role, label, public_key, key_source, enrolled_day)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )?
        .query_row(params![role, label, key.as_bytes(), key_source, day], |r| {
            r.get(0)
        })?)
}

/// Removes a recipient on `day`: no more log-ins, no new items to it.
/// False if there is no current recipient with this key.
pub fn remove_recipient(conn: &Connection, key: &PublicKey, day: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE org_recipients SET removed_day = ?2
             WHERE public_key = ?1 AND removed_day IS NULL",
        )?
        .execute(params![key.as_bytes(), day])?
        > 0)
}

/// Stores an invitation (only the SHA-256 of its secret).
pub fn insert_invitation(
    conn: &Connection,
    secret_hash: &[u8; 32],
    role: &str,
    label: &str,
    expires_day: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO org_invitations (secret_hash, role, label, expires_day) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![secret_hash, role, label, expires_day])?;
    Ok(())
}

/// Uses an invitation on `today`: its role and label, if it exists, was
/// not used and has not expired (it works before its `expires_day`).
/// Marks it used; the caller's job undoes that if the enrolment fails.
pub fn take_invitation(
    conn: &Connection,
    secret_hash: &[u8; 32],
    today: Day,
) -> rusqlite::Result<Option<(String, String)>> {
    conn.prepare_cached(
        "UPDATE org_invitations SET used_day = ?2
         WHERE secret_hash = ?1 AND used_day IS NULL AND expires_day > ?2
         RETURNING role, label",
    )?
    .query_row(params![secret_hash, today.to_string()], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()
}

/// The kinds of item sealed to recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    /// A figures report (aggregate), to management recipients and advisors.
    Figures,
    /// A forward of a report to one forward recipient.
    Forward,
    /// An attachment of a forward, to the same recipient.
    ForwardAttachment,
}

impl OrgKind {
    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Figures => "figures",
            Self::Forward => "forward",
            Self::ForwardAttachment => "forward_attachment",
        }
    }
}

/// An item for recipients, checked and ready to store.
#[derive(Debug)]
pub struct NewOrgItem {
    /// The item id.
    pub item_id: [u8; 16],
    /// What it is.
    pub kind: OrgKind,
    /// The report (forwards and their attachments).
    pub report_id: Option<[u8; 16]>,
    /// The period (figures).
    pub period: Option<String>,
    /// The sender (the advisor's key).
    pub sender: PublicKey,
    /// The item's length in bytes.
    pub size: u64,
    /// The padded plaintext length.
    pub padded_len: u64,
    /// The item, for figures and forwards (an attachment is a file).
    pub item: Option<Vec<u8>>,
    /// The keys it is sealed to.
    pub recipients: Vec<PublicKey>,
}

/// Stores an item for recipients with the keys it is sealed to; an item
/// id in use (of any kind) is a conflict.
pub fn insert_item(conn: &Connection, item: &NewOrgItem, day: &str) -> Result<(), AppError> {
    let size = i64::try_from(item.size).unwrap_or(i64::MAX);
    let padded = i64::try_from(item.padded_len).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT INTO org_items (item_id, kind, report_id, period, posted_day, sender, size, padded_len, item)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        item.item_id,
        item.kind.code(),
        item.report_id,
        item.period,
        day,
        item.sender.as_bytes(),
        size,
        padded,
        item.item
    ])?;
    let mut stmt = conn
        .prepare_cached("INSERT INTO org_item_recipients (item_id, public_key) VALUES (?1, ?2)")?;
    for key in &item.recipients {
        stmt.execute(params![item.item_id, key.as_bytes()])?;
    }
    Ok(())
}

/// True if an item for recipients has this id.
pub fn item_exists(conn: &Connection, id: &[u8; 16]) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM org_items WHERE item_id = ?1")?
        .exists([id])
}

/// True if an item id is in use by any item of the tenant.
pub fn item_id_in_use(conn: &Connection, id: &[u8; 16]) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM org_items WHERE item_id = ?1
         UNION ALL SELECT 1 FROM reports WHERE id = ?1
         UNION ALL SELECT 1 FROM messages WHERE id = ?1
         UNION ALL SELECT 1 FROM attachments WHERE id = ?1",
    )?
    .exists([id])
}

/// A published figures report, as the advisors' list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FiguresSummary {
    /// Item id (hex).
    pub item_id: String,
    /// `YYYY-Qn` or `YYYY`.
    pub period: String,
    /// The day it was posted.
    pub posted_day: String,
    /// The sender's public key (hex).
    pub sender: String,
}

/// Every figures report of the tenant, oldest first.
pub fn figures(conn: &Connection) -> rusqlite::Result<Vec<FiguresSummary>> {
    conn.prepare_cached(
        "SELECT item_id, period, posted_day, sender FROM org_items
         WHERE kind = 'figures' ORDER BY posted_day, period, item_id",
    )?
    .query_map([], |r| {
        Ok(FiguresSummary {
            item_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
            period: r.get(1)?,
            posted_day: r.get(2)?,
            sender: hex::encode(r.get::<_, Vec<u8>>(3)?),
        })
    })?
    .collect()
}

/// A figures report's bytes.
pub fn figures_item(conn: &Connection, item_id: &[u8; 16]) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT item FROM org_items WHERE item_id = ?1 AND kind = 'figures'")?
        .query_row([item_id], |r| r.get(0))
        .optional()
}

/// An attachment of an item in a recipient's list.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientAttachment {
    /// Item id (hex).
    pub item_id: String,
    /// Bytes.
    pub size: u64,
}

/// An item in a recipient's list.
#[derive(Debug, Clone, Serialize)]
pub struct RecipientItem {
    /// Item id (hex).
    pub item_id: String,
    /// `figures` or `forward`.
    pub kind: String,
    /// The period of a figures report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The day it was posted.
    pub posted_day: String,
    /// Bytes.
    pub size: u64,
    /// The sender's public key (hex).
    pub sender: String,
    /// A forward's attachments (none for figures).
    pub attachments: Vec<RecipientAttachment>,
}

fn size_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The figures reports and forwards sealed to `key`, oldest first, each
/// forward with its attachments (also sealed to `key`).
pub fn items_for_recipient(
    conn: &Connection,
    key: &PublicKey,
) -> rusqlite::Result<Vec<RecipientItem>> {
    let mut items: Vec<RecipientItem> = conn
        .prepare_cached(
            "SELECT o.item_id, o.kind, o.period, o.posted_day, o.size, o.sender FROM org_items o
             JOIN org_item_recipients k ON k.item_id = o.item_id
             WHERE k.public_key = ?1 AND o.kind IN ('figures', 'forward')
             ORDER BY o.posted_day, o.item_id",
        )?
        .query_map([key.as_bytes()], |r| {
            Ok(RecipientItem {
                item_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                kind: r.get(1)?,
                period: r.get(2)?,
                posted_day: r.get(3)?,
                size: size_of(r.get(4)?),
                sender: hex::encode(r.get::<_, Vec<u8>>(5)?),
                attachments: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut attachments = conn.prepare_cached(
        "SELECT o.item_id, o.size FROM org_items o
         JOIN org_item_recipients k ON k.item_id = o.item_id
         WHERE o.forward_id = ?1 AND k.public_key = ?2 AND o.kind = 'forward_attachment'
         ORDER BY o.item_id",
    )?;
    for item in items.iter_mut().filter(|i| i.kind == "forward") {
        let mut id = [0u8; 16];
        if hex::decode_to_slice(&item.item_id, &mut id).is_err() {
            continue;
        }
        item.attachments = attachments
            .query_map(params![id, key.as_bytes()], |r| {
                Ok(RecipientAttachment {
                    item_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                    size: size_of(r.get(1)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(items)
}

/// Where a recipient's item is.
#[derive(Debug)]
pub enum RecipientItemBytes {
    /// A figures report or a forward: the item.
    Blob(Vec<u8>),
    /// A forward's attachment: its file, of this many bytes.
    File(u64),
}

/// The item `item_id` if it is sealed to `key` (and, for an attachment,
/// tied to a forward); `None` otherwise, whatever the item is.
pub fn item_for_recipient(
    conn: &Connection,
    key: &PublicKey,
    item_id: &[u8; 16],
) -> rusqlite::Result<Option<RecipientItemBytes>> {
    conn.prepare_cached(
        "SELECT o.item, o.size FROM org_items o
         JOIN org_item_recipients k ON k.item_id = o.item_id
         WHERE o.item_id = ?1 AND k.public_key = ?2
           AND (o.kind <> 'forward_attachment' OR o.forward_id IS NOT NULL)",
    )?
    .query_row(params![item_id, key.as_bytes()], |r| {
        let item: Option<Vec<u8>> = r.get(0)?;
        let size: i64 = r.get(1)?;
        Ok(match item {
            Some(item) => RecipientItemBytes::Blob(item),
            None => RecipientItemBytes::File(size_of(size)),
        })
    })
    .optional()
}

/// A forward attachment not yet tied to a forward: its report and the key
/// it is sealed to.
pub fn pending_attachment(
    conn: &Connection,
    item_id: &[u8; 16],
) -> rusqlite::Result<Option<([u8; 16], PublicKey)>> {
    conn.prepare_cached(
        "SELECT o.report_id, k.public_key FROM org_items o
         JOIN org_item_recipients k ON k.item_id = o.item_id
         WHERE o.item_id = ?1 AND o.kind = 'forward_attachment' AND o.forward_id IS NULL",
    )?
    .query_row([item_id], |r| {
        let key: Vec<u8> = r.get(1)?;
        Ok((
            r.get::<_, [u8; 16]>(0)?,
            PublicKey::from_slice(&key).unwrap_or(PublicKey::from_bytes([0; 32])),
        ))
    })
    .optional()
}

/// Ties a pending attachment to its forward.
pub fn tie_attachment(
    conn: &Connection,
    item_id: &[u8; 16],
    forward_id: &[u8; 16],
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE org_items SET forward_id = ?2
             WHERE item_id = ?1 AND kind = 'forward_attachment' AND forward_id IS NULL",
        )?
        .execute(params![item_id, forward_id])?
        == 1)
}

/// What a report's forward attachments take: count and bytes.
pub fn forward_attachment_usage(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<(u64, u64)> {
    conn.prepare_cached(
        "SELECT count(*), coalesce(sum(size), 0) FROM org_items
         WHERE report_id = ?1 AND kind = 'forward_attachment'",
    )?
    .query_row([report_id], |r| {
        Ok((size_of(r.get(0)?), size_of(r.get(1)?)))
    })
}

/// A forward made of a report, as the advisors see it.
#[derive(Debug, Clone, Serialize)]
pub struct ForwardSummary {
    /// The forward's item id (hex).
    pub item_id: String,
    /// The day it was made.
    pub day: String,
    /// The recipient's label.
    pub recipient_label: String,
    /// The recipient's public key (hex).
    pub recipient_public_key: String,
}

/// The forwards made of a report, oldest first.
pub fn forwards_of_report(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Vec<ForwardSummary>> {
    conn.prepare_cached(
        "SELECT o.item_id, o.posted_day, coalesce(r.label, ''), k.public_key FROM org_items o
         JOIN org_item_recipients k ON k.item_id = o.item_id
         LEFT JOIN org_recipients r ON r.public_key = k.public_key
         WHERE o.report_id = ?1 AND o.kind = 'forward'
         ORDER BY o.posted_day, o.item_id",
    )?
    .query_map([report_id], |r| {
        Ok(ForwardSummary {
            item_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
            day: r.get(1)?,
            recipient_label: r.get(2)?,
            recipient_public_key: hex::encode(r.get::<_, Vec<u8>>(3)?),
        })
    })?
    .collect()
}

/// A forward as the report's thread shows it (mailbox and advisor): which
/// forward item, when and to whom; no key.
///
/// The item id lets the reporter's mailbox tell which consent a forward
/// used: the console derives a forward's item id from the subject hash of
/// the approval it acts on (web-client/REPORT-CONTENT.md, "Forward"), and
/// the mailbox derives the same id from the approvals it sent. The server
/// learns nothing from it that it did not have: it already stores the id.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadForward {
    /// The forward item's id (32 hex).
    pub item_id: String,
    /// The day it was made.
    pub day: String,
    /// The recipient's label.
    pub label: String,
    /// Always `forward`.
    pub role: &'static str,
}

/// The forwards of a report for its thread.
pub fn thread_forwards(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Vec<ThreadForward>> {
    Ok(forwards_of_report(conn, report_id)?
        .into_iter()
        .map(|f| ThreadForward {
            item_id: f.item_id,
            day: f.day,
            label: f.recipient_label,
            role: "forward",
        })
        .collect())
}

/// The ids of a report's forward attachments (files to remove with it).
pub fn forward_attachment_ids(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Vec<[u8; 16]>> {
    conn.prepare_cached(
        "SELECT item_id FROM org_items WHERE report_id = ?1 AND kind = 'forward_attachment'
         ORDER BY item_id",
    )?
    .query_map([report_id], |r| r.get(0))?
    .collect()
}

/// Deletes a report's forwards and their attachments' rows (with the keys
/// they were sealed to). The caller removes the attachment files.
pub fn delete_report_items(conn: &Connection, report_id: &[u8; 16]) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM org_item_recipients WHERE item_id IN
             (SELECT item_id FROM org_items WHERE report_id = ?1)",
    )?
    .execute([report_id])?;
    conn.prepare_cached("DELETE FROM org_items WHERE report_id = ?1")?
        .execute([report_id])
}

/// A figures period: a quarter or a calendar year (no free ranges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `YYYY-Qn`.
    Quarter(u16, u8),
    /// `YYYY`.
    Year(u16),
}

impl Period {
    /// Parses `YYYY-Q1`..`YYYY-Q4` or `YYYY` (years 2000..=2999).
    pub fn parse(text: &str) -> Option<Self> {
        let year_of = |y: &str| -> Option<u16> {
            (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
                .then(|| y.parse().ok())
                .flatten()
                .filter(|y| (2000..=2999).contains(y))
        };
        match text.split_once("-Q") {
            None => year_of(text).map(Self::Year),
            Some((year, quarter)) => {
                let q = match quarter {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => return None,
                };
                Some(Self::Quarter(year_of(year)?, q))
            }
        }
    }

    /// The first day after the period (`None` after the last day the
    /// server's days reach, 2999-12-31).
    pub fn end(self) -> Option<Day> {
        let (year, month) = match self {
            Self::Quarter(y, 4) | Self::Year(y) => (y + 1, 1),
            Self::Quarter(y, q) => (y, u32::from(q) * 3 + 1),
        };
        Day::parse(&format!("{year:04}-{month:02}-01"))
    }

    /// True if the period is over on `today`.
    pub fn ended(self, today: Day) -> bool {
        self.end().is_some_and(|end| end <= today)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Self::Year(y) => write!(f, "{y:04}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_end() {
        let day = |t| Day::parse(t).expect("day");
        assert_eq!(Period::parse("2026-Q3"), Some(Period::Quarter(2026, 3)));
        assert_eq!(Period::parse("2026"), Some(Period::Year(2026)));
        for bad in [
            "2026-Q5", "2026-Q0", "26", "2026-q1", "x2026", "1999", "2026-Q", "",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        assert_eq!(Period::Quarter(2026, 3).end(), Some(day("2026-10-01")));
        assert_eq!(Period::Quarter(2026, 4).end(), Some(day("2027-01-01")));
        assert_eq!(Period::Year(2026).end(), Some(day("2027-01-01")));
        assert!(!Period::Year(2999).ended(day("2999-12-31")));
        assert!(!Period::Quarter(2999, 4).ended(day("2999-12-31")));
        assert!(!Period::Quarter(2026, 3).ended(day("2026-09-30")));
        assert!(Period::Quarter(2026, 3).ended(day("2026-10-01")));
        assert_eq!(Period::Quarter(2026, 1).to_string(), "2026-Q1");
    }

    #[test]
    fn labels_and_roles_are_checked() {
        assert_eq!(check_role("management"), Ok("management"));
        assert_eq!(check_role("hr"), Err(RecipientError::Role));
        assert_eq!(
            check_label("  HR — P. de Boer "),
            Ok("HR — P. de Boer".into())
        );
        assert_eq!(check_label(""), Err(RecipientError::Label));
        assert_eq!(check_label("a\nb"), Err(RecipientError::Label));
        assert_eq!(check_label(&"é".repeat(200)).map(|l| l.len()), Ok(400));
        assert_eq!(check_label(&"é".repeat(201)), Err(RecipientError::Label));
    }
}
