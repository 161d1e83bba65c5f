//! Queries on a tenant database. Every function takes a connection and runs
//! inside a job of the tenant's database worker (see [`crate::db`]).
//!
//! What is stored per report is the metadata list of protocol.md and no
//! more: ids, creation day (not time), padded sizes, status and the agreed
//! update date, which advisor acted, the category an advisor chose to
//! disclose, the mailbox id and public key and the keyed hash of the
//! authentication secret. Items are ciphertext BLOBs.

use meldkluis_crypto_core::PublicKey;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::error::AppError;

/// Settings keys in a tenant database.
pub(crate) const SETTING_LANGUAGES: &str = "languages";
pub(crate) const SETTING_QUESTIONNAIRE: &str = "questionnaire";
pub(crate) const SETTING_RECOVERY_KEY: &str = "recovery_key";
/// The tenant's replaced recovery keys (32 bytes each, oldest first).
pub(crate) const SETTING_FORMER_RECOVERY_KEYS: &str = "former_recovery_keys";
pub(crate) const SETTING_BRANDING: &str = "branding";
pub(crate) const SETTING_LOGO: &str = "logo";

/// The statuses of a report (see domain.md).
pub const STATUSES: [&str; 7] = [
    "new",
    "acknowledged",
    "in_progress",
    "awaiting_reporter",
    "feedback_given",
    "closed",
    "archived",
];

/// Today's date (UTC) as `YYYY-MM-DD`: the only time the server records.
pub fn today() -> String {
    crate::dates::Day::today().to_string()
}

/// True for a real calendar date written `YYYY-MM-DD` (years 2000..=2999).
pub fn is_valid_date(text: &str) -> bool {
    crate::dates::Day::parse(text).is_some()
}

/// Reads a setting.
pub(crate) fn setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Writes a setting.
pub(crate) fn set_setting(conn: &Connection, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// The tenant's reporting form (the built-in one if none is stored or the
/// stored one no longer reads, which the operator's checks prevent).
pub fn questionnaire(conn: &Connection) -> rusqlite::Result<crate::profile::Questionnaire> {
    Ok(setting(conn, SETTING_QUESTIONNAIRE)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .and_then(|value| crate::profile::Questionnaire::from_json(value).ok())
        .unwrap_or_else(crate::profile::default_questionnaire))
}

/// The languages the tenant offers, its default first (Dutch if none set).
pub fn languages(conn: &Connection) -> rusqlite::Result<Vec<meldkluis_i18n::Lang>> {
    let catalog = meldkluis_i18n::catalog();
    let tags: Vec<String> = setting(conn, SETTING_LANGUAGES)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let mut languages: Vec<_> = tags.iter().filter_map(|t| catalog.lang(t)).collect();
    languages.dedup();
    if languages.is_empty() {
        languages.push(catalog.default_lang());
    }
    Ok(languages)
}

/// The tenant's colour and whether it has a logo.
pub fn branding(conn: &Connection) -> rusqlite::Result<crate::profile::Branding> {
    Ok(setting(conn, SETTING_BRANDING)?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

/// The tenant's logo, if any.
pub fn logo(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    setting(conn, SETTING_LOGO)
}

/// The tenant's offline recovery key, if enrolled.
pub fn recovery_key(conn: &Connection) -> rusqlite::Result<Option<PublicKey>> {
    Ok(setting(conn, SETTING_RECOVERY_KEY)?.and_then(|bytes| PublicKey::from_slice(&bytes).ok()))
}

/// The tenant's former recovery keys, replaced by the current one (oldest
/// first). A reporter's mailbox seals to the recovery key its report pinned
/// until an advisor introduces the new one, so thread items sealed to a
/// former recovery key are still accepted; new reports are not.
pub fn former_recovery_keys(conn: &Connection) -> rusqlite::Result<Vec<PublicKey>> {
    Ok(setting(conn, SETTING_FORMER_RECOVERY_KEYS)?
        .unwrap_or_default()
        .chunks_exact(32)
        .filter_map(|key| PublicKey::from_slice(key).ok())
        .collect())
}

/// Why a recovery key cannot replace the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryReplacement {
    /// There is no recovery key to replace yet.
    NoneSet,
    /// The new key is the current one.
    Unchanged,
    /// The new key is a former recovery key.
    Former,
}

/// Makes `new` the tenant's recovery key and keeps the current one as a
/// former recovery key. Returns the replaced key. Run inside a transaction.
pub fn replace_recovery_key(
    conn: &Connection,
    new: &PublicKey,
) -> rusqlite::Result<Result<PublicKey, RecoveryReplacement>> {
    let Some(current) = recovery_key(conn)? else {
        return Ok(Err(RecoveryReplacement::NoneSet));
    };
    if current == *new {
        return Ok(Err(RecoveryReplacement::Unchanged));
    }
    let mut former = former_recovery_keys(conn)?;
    if former.contains(new) {
        return Ok(Err(RecoveryReplacement::Former));
    }
    former.push(current);
    let bytes: Vec<u8> = former.iter().flat_map(|k| *k.as_bytes()).collect();
    set_setting(conn, SETTING_FORMER_RECOVERY_KEYS, &bytes)?;
    set_setting(conn, SETTING_RECOVERY_KEY, new.as_bytes())?;
    Ok(Ok(current))
}

/// An advisor of a tenant.
#[derive(Debug, Clone, Serialize)]
pub struct Advisor {
    /// Row id.
    pub id: i64,
    /// Name shown to reporters.
    pub display_name: String,
    /// X25519 public key.
    #[serde(serialize_with = "serialize_key")]
    pub public_key: PublicKey,
    /// Can log in and receive new reports.
    pub active: bool,
}

fn serialize_key<S: serde::Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&key.to_hex())
}

/// The tenant's advisors (active ones only, or all).
pub fn advisors(conn: &Connection, active_only: bool) -> rusqlite::Result<Vec<Advisor>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, display_name, public_key, active FROM advisors WHERE active = 1 OR ?1 = 0 ORDER BY id",
    )?;
    let rows = stmt.query_map([active_only], |r| {
        let key: Vec<u8> = r.get(2)?;
        Ok(Advisor {
            id: r.get(0)?,
            display_name: r.get(1)?,
            public_key: PublicKey::from_slice(&key).unwrap_or(PublicKey::from_bytes([0; 32])),
            active: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// The active advisor with this key, if any.
pub fn active_advisor_id(conn: &Connection, key: &PublicKey) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM advisors WHERE public_key = ?1 AND active = 1")?
        .query_row([key.as_bytes()], |r| r.get(0))
        .optional()
}

/// A new report, checked and ready to store.
#[derive(Debug)]
pub struct NewReport {
    /// Report id (the item id).
    pub id: [u8; 16],
    /// Mailbox id (lookup for the reporter's log-in).
    pub mailbox_id: [u8; 16],
    /// Mailbox public key (the report's sender).
    pub mailbox_key: PublicKey,
    /// HMAC of the authentication secret under the server secret.
    pub auth_hash: [u8; 32],
    /// The sealed report.
    pub item: Vec<u8>,
    /// Padded plaintext length.
    pub padded_len: u64,
    /// Recipients (from the header).
    pub recipients: Vec<PublicKey>,
}

/// Stores a report and counts it on its day; duplicate report or mailbox
/// ids are a conflict. Returns that day's count, so the daily quota is
/// checked without another query (a caller over the quota fails its job,
/// which undoes the insert).
pub fn insert_report(conn: &Connection, report: &NewReport, day: &str) -> Result<u64, AppError> {
    conn.prepare_cached(
        "INSERT INTO reports (id, mailbox_id, mailbox_key, auth_hash, item, padded_len, created_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        report.id,
        report.mailbox_id,
        report.mailbox_key.as_bytes(),
        report.auth_hash,
        report.item,
        i64::try_from(report.padded_len).unwrap_or(i64::MAX),
        day
    ])?;
    conn.prepare_cached("INSERT INTO register (report_id, received_day) VALUES (?1, ?2)")?
        .execute(params![report.id, day])?;
    let mut stmt = conn
        .prepare_cached("INSERT INTO report_recipients (report_id, public_key) VALUES (?1, ?2)")?;
    for key in &report.recipients {
        stmt.execute(params![report.id, key.as_bytes()])?;
    }
    let count: i64 = conn
        .prepare_cached(
            "INSERT INTO report_days (day, count) VALUES (?1, 1)
             ON CONFLICT (day) DO UPDATE SET count = count + 1
             RETURNING count",
        )?
        .query_row([day], |r| r.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// What a report's thread holds: messages, attachments, attachment bytes.
#[derive(Debug, Clone, Copy)]
pub struct ThreadUsage {
    /// Messages (reporter's and advisors').
    pub messages: u64,
    /// Attachments.
    pub attachments: u64,
    /// Bytes of all attachment items.
    pub attachment_bytes: u64,
}

/// What a report's thread holds.
pub fn thread_usage(conn: &Connection, report_id: &[u8; 16]) -> rusqlite::Result<ThreadUsage> {
    let messages: i64 = conn
        .prepare_cached("SELECT count(*) FROM messages WHERE report_id = ?1")?
        .query_row([report_id], |r| r.get(0))?;
    let (attachments, bytes): (i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(item_len), 0) FROM attachments WHERE report_id = ?1",
        )?
        .query_row([report_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let non_negative = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(ThreadUsage {
        messages: non_negative(messages),
        attachments: non_negative(attachments),
        attachment_bytes: non_negative(bytes),
    })
}

/// The report and keyed hash behind a mailbox id.
pub fn mailbox_credentials(
    conn: &Connection,
    mailbox_id: &[u8; 16],
) -> rusqlite::Result<Option<([u8; 16], [u8; 32])>> {
    conn.prepare_cached("SELECT id, auth_hash FROM reports WHERE mailbox_id = ?1")?
        .query_row([mailbox_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// The mailbox key of a report, if the report exists.
pub fn report_mailbox_key(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Option<PublicKey>> {
    conn.prepare_cached("SELECT mailbox_key FROM reports WHERE id = ?1")?
        .query_row([report_id], |r| r.get::<_, Vec<u8>>(0))
        .optional()
        .map(|key| key.and_then(|k| PublicKey::from_slice(&k).ok()))
}

/// The mailbox id of a report, if the report exists (to find the
/// reporter's notice address, which is keyed by tenant and mailbox id).
pub fn report_mailbox_id(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Option<[u8; 16]>> {
    conn.prepare_cached("SELECT mailbox_id FROM reports WHERE id = ?1")?
        .query_row([report_id], |r| r.get(0))
        .optional()
}

/// Records that receipt of a report was acknowledged on `day`, unless it
/// was before: an advisor's status change or message tells the reporter
/// the report arrived. Starts the 3-month feedback clock.
pub fn record_acknowledgement(
    conn: &Connection,
    report_id: &[u8; 16],
    day: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE reports SET acknowledged_day = coalesce(acknowledged_day, ?2) WHERE id = ?1",
    )?
    .execute(params![report_id, day])?;
    Ok(())
}

/// The terms the tenant promises its reporters (its questionnaire), held
/// to the law's: the clocks run on these.
pub fn terms(conn: &Connection) -> rusqlite::Result<crate::deadlines::Terms> {
    let form = questionnaire(conn)?;
    Ok(crate::deadlines::Terms::new(
        form.acknowledgement_days,
        form.feedback_months,
    ))
}

/// The dates and status of the reports an active advisor may see, for the
/// deadline digest. Metadata only.
pub fn report_dates_for_advisor(
    conn: &Connection,
    advisor_id: i64,
) -> rusqlite::Result<Vec<crate::deadlines::ReportDates>> {
    let terms = terms(conn)?;
    Ok(reports_for_advisor(conn, advisor_id)?
        .iter()
        .filter_map(|report| report.dates(terms))
        .collect())
}

/// True if `key` is (or was) an advisor key of the tenant.
pub fn is_enrolled_key(conn: &Connection, key: &PublicKey) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM advisors WHERE public_key = ?1")?
        .exists([key.as_bytes()])
}

/// The ids of the reports advisor `?1` may see: sealed to their key or to a
/// key theirs replaced, and only while the advisor is active. The one
/// definition of what an advisor may see.
macro_rules! visible_report_ids {
    () => {
        "SELECT rr.report_id FROM report_recipients rr JOIN advisors a ON a.public_key = rr.public_key
         WHERE a.id = ?1 AND a.active = 1
         UNION
         SELECT ra.report_id FROM report_access ra JOIN advisors a ON a.public_key = ra.public_key
         WHERE a.id = ?1 AND a.active = 1"
    };
}

/// True if the report was sealed to this advisor key (or to a key it
/// replaced, see [`inherit_report_access`]), and the advisor is still
/// active. Advisors see only those reports.
pub fn advisor_may_see(
    conn: &Connection,
    advisor_id: i64,
    report_id: &[u8; 16],
) -> rusqlite::Result<bool> {
    conn.prepare_cached(concat!(
        "SELECT 1 WHERE ?2 IN (",
        visible_report_ids!(),
        ")"
    ))?
    .exists(params![advisor_id, report_id])
}

/// Gives `new_key` access to every report `old_key` may read (sealed to it,
/// or inherited by it), when an advisor key replaces another. Returns the
/// number of reports. The new key can fetch them; it opens them only once
/// key grants to it exist (the recovery key's or the old key's).
pub fn inherit_report_access(
    conn: &Connection,
    old_key: &PublicKey,
    new_key: &PublicKey,
) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT OR IGNORE INTO report_access (report_id, public_key)
         SELECT report_id, ?2 FROM report_recipients WHERE public_key = ?1
         UNION SELECT report_id, ?2 FROM report_access WHERE public_key = ?1",
        params![old_key.as_bytes(), new_key.as_bytes()],
    )
}

/// Where an item of a report is, for checking a key grant against it.
#[derive(Debug)]
pub enum StoredItem {
    /// The report or a message: the sealed item.
    Blob(Vec<u8>),
    /// An attachment: its file (read outside the database job).
    Attachment,
}

/// The stored item `item_id` of report `report_id`, if it belongs to it.
pub fn stored_item(
    conn: &Connection,
    report_id: &[u8; 16],
    item_id: &[u8; 16],
) -> rusqlite::Result<Option<StoredItem>> {
    if report_id == item_id {
        return conn
            .prepare_cached("SELECT item FROM reports WHERE id = ?1")?
            .query_row([report_id], |r| r.get(0))
            .optional()
            .map(|item| item.map(StoredItem::Blob));
    }
    let message: Option<Vec<u8>> = conn
        .prepare_cached("SELECT item FROM messages WHERE id = ?1 AND report_id = ?2")?
        .query_row(params![item_id, report_id], |r| r.get(0))
        .optional()?;
    if let Some(item) = message {
        return Ok(Some(StoredItem::Blob(item)));
    }
    Ok(attachment_len(conn, report_id, item_id)?.map(|_| StoredItem::Attachment))
}

/// A key grant, checked and ready to store.
#[derive(Debug)]
pub struct NewGrant {
    /// The item it is for.
    pub item_id: [u8; 16],
    /// The report the item belongs to.
    pub report_id: [u8; 16],
    /// Who sealed it.
    pub grantor: PublicKey,
    /// Who can open it.
    pub grantee: PublicKey,
    /// The grant's bytes.
    pub bytes: Vec<u8>,
}

/// Stores a grant; a grant for the same item, grantee and grantor already
/// there is kept (so nobody can overwrite a working grant with a broken
/// one). Grants of other grantors for the same item stand beside it, so a
/// grant posted first cannot block the real grantor's. Returns true if
/// stored.
pub fn insert_grant(conn: &Connection, grant: &NewGrant, day: &str) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO key_grants (item_id, grantee, report_id, grantor, grant_bytes, created_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            grant.item_id,
            grant.grantee.as_bytes(),
            grant.report_id,
            grant.grantor.as_bytes(),
            grant.bytes,
            day
        ])?;
    Ok(changed == 1)
}

/// A key grant in a thread, for the advisor it was made for.
#[derive(Debug, Serialize)]
pub struct ThreadGrant {
    /// The item it is for (hex).
    pub item_id: String,
    /// The grant (base64).
    pub grant: String,
}

/// The grants to `grantee` for the items of a report.
pub fn grants_for(
    conn: &Connection,
    report_id: &[u8; 16],
    grantee: &PublicKey,
) -> rusqlite::Result<Vec<ThreadGrant>> {
    // Per item, the grants of the keys a reader trusts most come first: the
    // recovery key's, then those of keys no longer enrolled (a replaced
    // key's, as in a rotation), then those of enrolled advisors. The
    // reader still decides whom to trust; the order only keeps a
    // co-advisor's grant from hiding the real one from a reader that takes
    // the first.
    conn.prepare_cached(
        "SELECT g.item_id, g.grant_bytes FROM key_grants g
         WHERE g.report_id = ?1 AND g.grantee = ?2
         ORDER BY g.item_id,
             CASE
                 WHEN g.grantor = (SELECT value FROM settings WHERE key = ?3) THEN 0
                 WHEN EXISTS (SELECT 1 FROM advisors a WHERE a.public_key = g.grantor AND a.active = 1)
                     THEN 2
                 ELSE 1
             END,
             g.created_day, g.grantor",
    )?
    .query_map(params![report_id, grantee.as_bytes(), SETTING_RECOVERY_KEY], |r| {
        Ok(ThreadGrant {
            item_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
            grant: crate::wire::encode_base64(&r.get::<_, Vec<u8>>(1)?),
        })
    })?
    .collect()
}

/// Who wrote an item in a thread.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum Author {
    /// The reporter.
    Reporter,
    /// An advisor.
    Advisor {
        /// The advisor's row id.
        advisor_id: i64,
    },
}

impl Author {
    fn from_column(advisor: Option<i64>) -> Self {
        advisor.map_or(Self::Reporter, |advisor_id| Self::Advisor { advisor_id })
    }

    fn column(&self) -> Option<i64> {
        match self {
            Self::Reporter => None,
            Self::Advisor { advisor_id } => Some(*advisor_id),
        }
    }
}

/// A message in a thread.
#[derive(Debug, Serialize)]
pub struct ThreadMessage {
    /// Item id (hex).
    pub id: String,
    /// Who sent it.
    #[serde(flatten)]
    pub author: Author,
    /// Day it was received.
    pub created_day: String,
    /// The sealed item (base64).
    pub item: String,
}

/// An attachment in a thread (the item is fetched separately).
#[derive(Debug, Serialize)]
pub struct ThreadAttachment {
    /// Item id (hex).
    pub id: String,
    /// Who sent it.
    #[serde(flatten)]
    pub author: Author,
    /// Day it was received.
    pub created_day: String,
    /// Length of the sealed item in bytes.
    pub item_len: u64,
}

/// A report's whole thread: what the reporter's mailbox and the advisor see.
#[derive(Debug, Serialize)]
pub struct Thread {
    /// Report id (hex).
    pub report_id: String,
    /// Day it was received.
    pub created_day: String,
    /// Status code.
    pub status: String,
    /// The agreed update date, if set.
    pub agreed_update_date: Option<String>,
    /// Day receipt was first acknowledged, if it was.
    pub acknowledged_day: Option<String>,
    /// Day feedback was first given, if it was.
    pub feedback_day: Option<String>,
    /// The clocks still running, seen from the day the thread was read:
    /// the same the advisor's list and digest show.
    pub deadlines: Vec<DeadlineView>,
    /// The sealed report (base64).
    pub report: String,
    /// The messages, oldest first.
    pub messages: Vec<ThreadMessage>,
    /// The attachments, oldest first.
    pub attachments: Vec<ThreadAttachment>,
    /// Key grants to the advisor reading the thread (never in a mailbox).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<ThreadGrant>,
    /// Key grants to the tenant's current recovery key (after it replaced
    /// another), so the recovery key can read items sealed to its
    /// predecessor during a later recovery (never in a mailbox).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovery_grants: Vec<ThreadGrant>,
}

/// Reads a report's thread, with the clocks running on `today`.
pub fn thread(
    conn: &Connection,
    report_id: &[u8; 16],
    today: crate::dates::Day,
) -> rusqlite::Result<Option<Thread>> {
    let head = conn
        .prepare_cached(
            "SELECT created_day, status, agreed_update_date, item, acknowledged_day, feedback_day
             FROM reports WHERE id = ?1",
        )?
        .query_row([report_id], |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ),
                r.get::<_, Vec<u8>>(3)?,
                (
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ),
            ))
        })
        .optional()?;
    let Some(((created_day, status, agreed_update_date), report, (acknowledged_day, feedback_day))) =
        head
    else {
        return Ok(None);
    };
    let deadlines = ReportSummary {
        report_id: hex::encode(report_id),
        created_day: created_day.clone(),
        status: status.clone(),
        status_day: None,
        acknowledged_day: acknowledged_day.clone(),
        feedback_day: feedback_day.clone(),
        agreed_update_date: agreed_update_date.clone(),
        category: None,
        padded_len: 0,
        message_count: 0,
        attachment_count: 0,
        deadlines: Vec::new(),
    }
    .with_deadlines(today, terms(conn)?)
    .deadlines;
    let messages = conn
        .prepare_cached("SELECT id, from_advisor, created_day, item FROM messages WHERE report_id = ?1 ORDER BY seq")?
        .query_map([report_id], |r| {
            Ok(ThreadMessage {
                id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                author: Author::from_column(r.get(1)?),
                created_day: r.get(2)?,
                item: crate::wire::encode_base64(&r.get::<_, Vec<u8>>(3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let attachments = conn
        .prepare_cached(
            "SELECT id, from_advisor, created_day, item_len FROM attachments WHERE report_id = ?1 ORDER BY seq",
        )?
        .query_map([report_id], |r| {
            Ok(ThreadAttachment {
                id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                author: Author::from_column(r.get(1)?),
                created_day: r.get(2)?,
                item_len: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Thread {
        report_id: hex::encode(report_id),
        created_day,
        status,
        agreed_update_date,
        acknowledged_day,
        feedback_day,
        deadlines,
        report: crate::wire::encode_base64(&report),
        messages,
        attachments,
        grants: Vec::new(),
        recovery_grants: Vec::new(),
    }))
}

/// Stores a message in a report's thread.
pub fn insert_message(
    conn: &Connection,
    id: &[u8; 16],
    report_id: &[u8; 16],
    author: &Author,
    item: &[u8],
    padded_len: u64,
    day: &str,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO messages (id, report_id, from_advisor, item, padded_len, created_day) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id, report_id, author.column(), item, i64::try_from(padded_len).unwrap_or(i64::MAX), day])?;
    Ok(())
}

/// True if an item id is already used by an attachment.
pub fn attachment_exists(conn: &Connection, id: &[u8; 16]) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM attachments WHERE id = ?1")?
        .exists([id])
}

/// Registers a stored attachment file.
pub fn insert_attachment(
    conn: &Connection,
    id: &[u8; 16],
    report_id: &[u8; 16],
    author: &Author,
    item_len: u64,
    padded_len: u64,
    day: &str,
) -> Result<(), AppError> {
    conn.prepare_cached(
        "INSERT INTO attachments (id, report_id, from_advisor, item_len, padded_len, created_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        id,
        report_id,
        author.column(),
        i64::try_from(item_len).unwrap_or(i64::MAX),
        i64::try_from(padded_len).unwrap_or(i64::MAX),
        day
    ])?;
    Ok(())
}

/// The length of an attachment of a report, if it exists.
pub fn attachment_len(
    conn: &Connection,
    report_id: &[u8; 16],
    id: &[u8; 16],
) -> rusqlite::Result<Option<u64>> {
    conn.prepare_cached("SELECT item_len FROM attachments WHERE id = ?1 AND report_id = ?2")?
        .query_row(params![id, report_id], |r| r.get::<_, i64>(0))
        .optional()
        .map(|len| len.map(|l| u64::try_from(l).unwrap_or(0)))
}

/// A report as listed for an advisor: metadata only.
#[derive(Debug, Serialize)]
pub struct ReportSummary {
    /// Report id (hex).
    pub report_id: String,
    /// Day it was received.
    pub created_day: String,
    /// Status code.
    pub status: String,
    /// Day of the last status change.
    pub status_day: Option<String>,
    /// Day receipt was first acknowledged, if it was.
    pub acknowledged_day: Option<String>,
    /// Day feedback was first given, if it was.
    pub feedback_day: Option<String>,
    /// The agreed update date, if set.
    pub agreed_update_date: Option<String>,
    /// The category an advisor disclosed for aggregate figures, if any.
    pub category: Option<String>,
    /// Padded size of the report's plaintext.
    pub padded_len: u64,
    /// Number of messages in the thread.
    pub message_count: u64,
    /// Number of attachments in the thread.
    pub attachment_count: u64,
    /// The deadlines still running, seen from today (filled by the API).
    pub deadlines: Vec<DeadlineView>,
}

/// A running deadline of a report, as the advisor API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineView {
    /// `acknowledgement`, `feedback` or `agreed_update`.
    pub kind: &'static str,
    /// The day it falls due.
    pub due: String,
    /// Days from today to that day (negative when overdue).
    pub days_left: i64,
}

impl ReportSummary {
    /// The report's dates, for the deadline rules; `None` if a stored day
    /// does not read (this server writes them, so it is skipped, not guessed).
    pub fn dates(&self, terms: crate::deadlines::Terms) -> Option<crate::deadlines::ReportDates> {
        use crate::dates::Day;
        let mut report_id = [0u8; 16];
        hex::decode_to_slice(&self.report_id, &mut report_id).ok()?;
        Some(crate::deadlines::ReportDates {
            report_id,
            created: Day::parse(&self.created_day)?,
            status: self.status.clone(),
            acknowledged: self.acknowledged_day.as_deref().and_then(Day::parse),
            feedback: self.feedback_day.as_deref().and_then(Day::parse),
            agreed_update: self.agreed_update_date.as_deref().and_then(Day::parse),
            terms,
        })
    }

    /// Fills in the running deadlines as seen on `today`, under the
    /// tenant's `terms`.
    pub fn with_deadlines(
        mut self,
        today: crate::dates::Day,
        terms: crate::deadlines::Terms,
    ) -> Self {
        self.deadlines = self
            .dates(terms)
            .map(|dates| {
                crate::deadlines::running(&dates)
                    .into_iter()
                    .map(|(kind, due)| DeadlineView {
                        kind: kind.code(),
                        due: due.to_string(),
                        days_left: today.days_until(due),
                    })
                    .collect()
            })
            .unwrap_or_default();
        self
    }
}

/// The reports an advisor may see, newest first.
pub fn reports_for_advisor(
    conn: &Connection,
    advisor_id: i64,
) -> rusqlite::Result<Vec<ReportSummary>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT r.id, r.created_day, r.status, r.status_day, r.acknowledged_day,
                r.agreed_update_date, r.category, r.padded_len, r.feedback_day,
                (SELECT count(*) FROM messages m WHERE m.report_id = r.id),
                (SELECT count(*) FROM attachments t WHERE t.report_id = r.id)
         FROM reports r WHERE r.id IN (",
        visible_report_ids!(),
        ") ORDER BY r.rowid DESC"
    ))?;
    let rows = stmt.query_map([advisor_id], |r| {
        Ok(ReportSummary {
            report_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
            created_day: r.get(1)?,
            status: r.get(2)?,
            status_day: r.get(3)?,
            acknowledged_day: r.get(4)?,
            feedback_day: r.get(8)?,
            agreed_update_date: r.get(5)?,
            category: r.get(6)?,
            padded_len: r.get::<_, i64>(7)?.try_into().unwrap_or(0),
            message_count: r.get::<_, i64>(9)?.try_into().unwrap_or(0),
            attachment_count: r.get::<_, i64>(10)?.try_into().unwrap_or(0),
            deadlines: Vec::new(),
        })
    })?;
    rows.collect()
}

/// Sets a report's status (and the agreed update date and closing reason),
/// recording which advisor acted and on which day.
pub fn set_status(
    conn: &Connection,
    report_id: &[u8; 16],
    advisor_id: i64,
    status: &str,
    agreed_update_date: AgreedUpdate<'_>,
    closing_reason: Option<&str>,
    day: &str,
) -> rusqlite::Result<()> {
    let gives_feedback = crate::deadlines::gives_feedback(status);
    let (change_date, date) = match agreed_update_date {
        AgreedUpdate::Keep => (false, None),
        AgreedUpdate::Set(date) => (true, Some(date)),
        AgreedUpdate::Remove => (true, None),
    };
    conn.prepare_cached(
        "UPDATE reports SET status = ?2,
                agreed_update_date = CASE WHEN ?3 THEN ?4 ELSE agreed_update_date END,
                closing_reason = ?5, status_by = ?6, status_day = ?7,
                feedback_day = CASE WHEN ?8 THEN coalesce(feedback_day, ?7) ELSE feedback_day END
         WHERE id = ?1",
    )?
    .execute(params![
        report_id,
        status,
        change_date,
        date,
        closing_reason,
        advisor_id,
        day,
        gives_feedback
    ])?;
    Ok(())
}

/// The agreed update date of a report, if one is set.
pub fn agreed_update_date(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT agreed_update_date FROM reports WHERE id = ?1")?
        .query_row([report_id], |r| r.get(0))
}

/// What a status change does to the agreed update date: only an explicit
/// change or removal touches it (domain.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreedUpdate<'a> {
    /// Leave it as it is.
    Keep,
    /// Set it to this `YYYY-MM-DD` day.
    Set(&'a str),
    /// Remove it.
    Remove,
}

/// Records the category an advisor chose to disclose for aggregate figures
/// (or withdraws it with `None`).
pub fn set_category(
    conn: &Connection,
    report_id: &[u8; 16],
    advisor_id: i64,
    category: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE reports SET category = ?2, category_by = ?3 WHERE id = ?1")?
        .execute(params![report_id, category, advisor_id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_valid_date() {
        assert!(is_valid_date(&today()));
    }

    #[test]
    fn date_validation() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2024-13-01"));
        assert!(!is_valid_date("2024-1-01"));
        assert!(!is_valid_date("+024-01-01"));
        assert!(!is_valid_date("2024-01-0a"));
    }
}
