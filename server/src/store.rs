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

use crate::error::{AppError, ErrorCode};

/// Settings keys in a tenant database.
pub(crate) const SETTING_LANGUAGES: &str = "languages";
pub(crate) const SETTING_QUESTIONNAIRE: &str = "questionnaire";
pub(crate) const SETTING_RECOVERY_KEY: &str = "recovery_key";
/// The tenant's replaced recovery keys (32 bytes each, oldest first).
pub(crate) const SETTING_FORMER_RECOVERY_KEYS: &str = "former_recovery_keys";
pub(crate) const SETTING_BRANDING: &str = "branding";
pub(crate) const SETTING_LOGO: &str = "logo";
pub(crate) const SETTING_VOICE: &str = "voice";

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

/// The tenant's voice-message setting (default: on, disguise required).
pub fn voice(conn: &Connection) -> rusqlite::Result<crate::profile::Voice> {
    Ok(setting(conn, SETTING_VOICE)?
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
    // The report row comes first, and must: a duplicate id fails there,
    // before anything else is written, and the caller answers that
    // conflict as a retry *without* undoing its job, so a register line
    // written earlier would stay behind as a second line for one report.
    let register_number: i64 = conn
        .prepare_cached(
            "INSERT INTO register (report_id, received_day, channel)
             SELECT id, created_day, channel FROM reports WHERE id = ?1
             RETURNING number",
        )?
        .query_row(params![report.id], |r| r.get(0))?;
    conn.prepare_cached("UPDATE reports SET register_number = ?2 WHERE id = ?1")?
        .execute(params![report.id, register_number])?;
    // Only the advisors' keys: they are what lists a report to an advisor.
    let mut stmt = conn.prepare_cached(
        "INSERT INTO report_recipients (public_key, register_number)
         SELECT public_key, ?2 FROM advisors WHERE public_key = ?1",
    )?;
    for key in &report.recipients {
        stmt.execute(params![key.as_bytes(), register_number])?;
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
    // A report without a mailbox ('none') has no credentials at all.
    conn.prepare_cached(
        "SELECT id, auth_hash FROM reports WHERE mailbox_id = ?1 AND mailbox_state <> 'none'",
    )?
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
    // The register keeps the recorded day in step (for the figures).
    conn.prepare_cached(
        "UPDATE register SET acknowledged_day = coalesce(acknowledged_day, ?2)
         WHERE number = (SELECT register_number FROM reports WHERE id = ?1)",
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
    // The day only colours the lifecycle view, which the dates leave out.
    Ok(
        reports_for_advisor(conn, advisor_id, crate::dates::Day::today())?
            .iter()
            .filter_map(|report| report.dates(terms))
            .collect(),
    )
}

/// True if `key` is (or was) an advisor key of the tenant.
pub fn is_enrolled_key(conn: &Connection, key: &PublicKey) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM advisors WHERE public_key = ?1")?
        .exists([key.as_bytes()])
}

/// The ids of the reports advisor `?1` may see: sealed to their key or to a
/// key theirs replaced, and only while the advisor is active. With
/// [`visible_report`], the definition of what an advisor may see: the two
/// say the same, one as a list, one for a single report (`?2`).
macro_rules! visible_report_ids {
    () => {
        "SELECT vr.id FROM report_recipients rr JOIN advisors a ON a.public_key = rr.public_key
         JOIN reports vr ON vr.register_number = rr.register_number
         WHERE a.id = ?1 AND a.active = 1
         UNION
         SELECT ra.report_id FROM report_access ra JOIN advisors a ON a.public_key = ra.public_key
         WHERE a.id = ?1 AND a.active = 1"
    };
}

/// [`visible_report_ids`] for one report `?2`, by point lookups.
macro_rules! visible_report {
    () => {
        "SELECT 1 FROM advisors a WHERE a.id = ?1 AND a.active = 1 AND (
            EXISTS (SELECT 1 FROM reports vr JOIN report_recipients rr
                        ON rr.register_number = vr.register_number AND rr.public_key = a.public_key
                    WHERE vr.id = ?2)
            OR EXISTS (SELECT 1 FROM report_access ra
                       WHERE ra.report_id = ?2 AND ra.public_key = a.public_key))"
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
    conn.prepare_cached(visible_report!())?
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
         SELECT r.id, ?2 FROM report_recipients rr JOIN reports r ON r.register_number = rr.register_number
         WHERE rr.public_key = ?1
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
    /// Order in the tenant's messages (not sent).
    #[serde(skip)]
    pub seq: i64,
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
    /// Order in the tenant's attachments (not sent).
    #[serde(skip)]
    pub seq: i64,
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
    /// The forwards made of this report (item id, day and the recipient's
    /// label), oldest first: what the reporter's mailbox shows as "forwarded to
    /// … on …", and the advisors see too.
    pub forwards: Vec<crate::org::ThreadForward>,
    /// Key grants to the advisor reading the thread (never in a mailbox).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<ThreadGrant>,
    /// Key grants to the tenant's current recovery key (after it replaced
    /// another), so the recovery key can read items sealed to its
    /// predecessor during a later recovery (never in a mailbox).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovery_grants: Vec<ThreadGrant>,
    /// Closure and deletion, as both the mailbox and the advisor see them.
    pub closing_reason: Option<String>,
    /// The day the report was (last) closed, while closed.
    pub closed_day: Option<String>,
    /// The day the report's content will be deleted, while closed.
    pub deletion_day: Option<String>,
    /// What only an advisor sees (never in a mailbox): register number,
    /// hold, silence, events (filled by [`Thread::for_advisor`]).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub advisor: Option<AdvisorThreadLife>,
    /// What only the reporter's mailbox shows (filled by
    /// [`Thread::for_mailbox`]).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<MailboxThreadLife>,
    /// The stored lifecycle facts (not sent as such).
    #[serde(skip)]
    pub facts: LifeFacts,
    /// The tenant's lifecycle (not sent as such).
    #[serde(skip)]
    pub lifecycle: crate::retention::Lifecycle,
    /// The report's channel and mailbox (not sent as such).
    #[serde(skip)]
    pub mailbox_facts: MailboxFacts,
}

/// The lifecycle part of an advisor's thread: what [`LifeView`] adds to
/// the closure and deletion days the thread already carries (each key is
/// sent once).
#[derive(Debug, Serialize)]
pub struct AdvisorThreadLife {
    /// The report's number in the tenant's register.
    pub register_number: Option<i64>,
    /// A longer hold of this report, if set.
    pub hold: Option<Hold>,
    /// See [`LifeView::silent_since`].
    pub silent_since: Option<String>,
    /// See [`LifeView::silence_close_offered`].
    pub silence_close_offered: bool,
    /// Closures, reopenings and holds, oldest first.
    pub events: Vec<ReportEvent>,
    /// How the report came in: `web`, `oral`, `meeting`.
    pub channel: String,
    /// `own`, `none` (an oral report with no mailbox yet) or `joined`.
    pub mailbox_state: String,
    /// For `joined`: the follow-up item (base64), sealed by the mailbox key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opening_item: Option<String>,
    /// For `joined`: the day the follow-up mailbox was joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined_day: Option<String>,
}

/// The lifecycle part of a reporter's mailbox thread: only what the
/// reporter needs, no advisor ids, no events.
#[derive(Debug, Serialize)]
pub struct MailboxThreadLife {
    /// Shown when the reporter has been silent half the tenant's silence
    /// period after an advisor's message: from which day the advisors
    /// are offered to close the report.
    pub silence_warning: Option<SilenceWarning>,
    /// For a follow-up mailbox joined to an oral report: the day and the
    /// report's channel (absent for a report's own mailbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined: Option<MailboxJoined>,
}

/// A follow-up mailbox's join, as the mailbox sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxJoined {
    /// The day it was joined.
    pub day: String,
    /// `oral` or `meeting`.
    pub channel: String,
}

/// A report's mailbox as stored: how it came in and, for a joined
/// follow-up mailbox, the opening item and where the mailbox's part of the
/// thread begins.
#[derive(Debug, Clone, Default)]
pub struct MailboxFacts {
    /// `web`, `oral`, `meeting`.
    pub channel: String,
    /// `own`, `none`, `joined`.
    pub mailbox_state: String,
    /// The follow-up item (for `joined`).
    pub opening_item: Option<Vec<u8>>,
    /// The join day (for `joined`).
    pub joined_day: Option<String>,
    /// The mailbox sees messages after this sequence number only.
    pub joined_message_seq: Option<i64>,
    /// The mailbox sees attachments after this sequence number only.
    pub joined_attachment_seq: Option<i64>,
}

/// The mailbox's warning that the report may be closed after silence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SilenceWarning {
    /// From this day the advisors are offered to close the report.
    pub close_offered_from: String,
}

/// A recorded event of a report's life (codes only).
#[derive(Debug, Clone, Serialize)]
pub struct ReportEvent {
    /// The day.
    pub day: String,
    /// `closed`, `reopened`, `hold_set`, `hold_removed`, `silence_warning`,
    /// `forwarded`, `joined`.
    pub event: String,
    /// The advisor who acted, if one did.
    pub advisor_id: Option<i64>,
    /// A code: the closing reason, `hold_reason:until_day`, a forward
    /// recipient's label, or a joined follow-up's mailbox reference.
    pub detail: Option<String>,
}

impl Thread {
    /// Adds what an advisor sees of the report's life, seen on `today`.
    pub fn for_advisor(
        mut self,
        conn: &Connection,
        report_id: &[u8; 16],
        today: crate::dates::Day,
    ) -> rusqlite::Result<Self> {
        let life = self.facts.view(&self.status, today, &self.lifecycle);
        self.advisor = Some(AdvisorThreadLife {
            register_number: life.register_number,
            hold: life.hold,
            silent_since: life.silent_since,
            silence_close_offered: life.silence_close_offered,
            events: report_events(conn, report_id)?,
            channel: self.mailbox_facts.channel.clone(),
            mailbox_state: self.mailbox_facts.mailbox_state.clone(),
            opening_item: self
                .mailbox_facts
                .opening_item
                .as_deref()
                .map(crate::wire::encode_base64),
            joined_day: self.mailbox_facts.joined_day.clone(),
        });
        Ok(self)
    }

    /// Adds what the reporter's mailbox shows of the report's life.
    pub fn for_mailbox(mut self, today: crate::dates::Day) -> Self {
        let open = !is_closed_status(&self.status);
        let silent_since = self.facts.silent_since.as_deref().filter(|_| open);
        let warning = silence_warning_day(silent_since, &self.lifecycle)
            .filter(|from| today >= *from)
            .and_then(|_| silence_offer_day(silent_since, &self.lifecycle))
            .map(|offered| SilenceWarning {
                close_offered_from: offered.to_string(),
            });
        let mut joined = None;
        if self.mailbox_facts.mailbox_state == "joined" {
            // The mailbox reads its own opening item as the report, and
            // only what came after the join: nothing before was sealed to
            // its key.
            if let Some(item) = &self.mailbox_facts.opening_item {
                self.report = crate::wire::encode_base64(item);
            }
            let (messages, attachments) = (
                self.mailbox_facts.joined_message_seq.unwrap_or(i64::MAX),
                self.mailbox_facts.joined_attachment_seq.unwrap_or(i64::MAX),
            );
            self.messages.retain(|m| m.seq > messages);
            self.attachments.retain(|a| a.seq > attachments);
            joined = Some(MailboxJoined {
                day: self.mailbox_facts.joined_day.clone().unwrap_or_default(),
                channel: self.mailbox_facts.channel.clone(),
            });
        }
        self.mailbox = Some(MailboxThreadLife {
            silence_warning: warning,
            joined,
        });
        self
    }
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
        channel: String::new(),
        mailbox_state: String::new(),
        deadlines: Vec::new(),
        life: LifeView::default(),
    }
    .with_deadlines(today, terms(conn)?)
    .deadlines;
    let messages = conn
        .prepare_cached("SELECT id, from_advisor, created_day, item, seq FROM messages WHERE report_id = ?1 ORDER BY seq")?
        .query_map([report_id], |r| {
            Ok(ThreadMessage {
                seq: r.get(4)?,
                id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                author: Author::from_column(r.get(1)?),
                created_day: r.get(2)?,
                item: crate::wire::encode_base64(&r.get::<_, Vec<u8>>(3)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let attachments = conn
        .prepare_cached(
            "SELECT id, from_advisor, created_day, item_len, seq FROM attachments WHERE report_id = ?1 ORDER BY seq",
        )?
        .query_map([report_id], |r| {
            Ok(ThreadAttachment {
                seq: r.get(4)?,
                id: hex::encode(r.get::<_, Vec<u8>>(0)?),
                author: Author::from_column(r.get(1)?),
                created_day: r.get(2)?,
                item_len: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let facts = life_facts(conn, report_id)?;
    let lifecycle = crate::retention::lifecycle(conn)?;
    let shared = facts.view(&status, today, &lifecycle);
    let mailbox_facts = mailbox_facts(conn, report_id)?.unwrap_or_default();
    Ok(Some(Thread {
        mailbox_facts,
        closing_reason: shared.closing_reason,
        closed_day: shared.closed_day,
        deletion_day: shared.deletion_day,
        advisor: None,
        mailbox: None,
        facts,
        lifecycle,
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
        forwards: crate::org::thread_forwards(conn, report_id)?,
        grants: Vec::new(),
        recovery_grants: Vec::new(),
    }))
}

/// A report's channel and mailbox state, with the join's facts.
pub fn mailbox_facts(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Option<MailboxFacts>> {
    conn.prepare_cached(
        "SELECT channel, mailbox_state, opening_item, joined_day, joined_message_seq,
                joined_attachment_seq
         FROM reports WHERE id = ?1",
    )?
    .query_row([report_id], |r| {
        Ok(MailboxFacts {
            channel: r.get(0)?,
            mailbox_state: r.get(1)?,
            opening_item: r.get(2)?,
            joined_day: r.get(3)?,
            joined_message_seq: r.get(4)?,
            joined_attachment_seq: r.get(5)?,
        })
    })
    .optional()
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

/// The day a report was stored, if `report` repeats it exactly (the same
/// id, mailbox id and key, auth hash and item bytes): a retried
/// submission, answered as the first was. `None` for anything else under
/// that id (a conflict).
pub fn report_replay(conn: &Connection, report: &NewReport) -> rusqlite::Result<Option<String>> {
    exact_repeat(
        conn,
        "SELECT created_day FROM reports WHERE id = ?1 AND mailbox_id = ?2 AND mailbox_key = ?3
             AND auth_hash = ?4 AND item = ?5 AND mailbox_state = 'own'",
        report,
        |r| r.get(0),
    )
}

/// The row `sql` selects for `report`, whose `?1` to `?5` are its id,
/// mailbox id, mailbox key, auth hash and item bytes: what a retried
/// submission (a report, a follow-up) is compared with.
pub(crate) fn exact_repeat<T>(
    conn: &Connection,
    sql: &str,
    report: &NewReport,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    conn.prepare_cached(sql)?
        .query_row(
            params![
                report.id,
                report.mailbox_id,
                report.mailbox_key.as_bytes(),
                report.auth_hash,
                report.item
            ],
            row,
        )
        .optional()
}

/// The day an oral report was registered, if this one repeats it exactly
/// (the same id, item bytes and channel, still without a mailbox): a
/// retried registration. Its mailbox id and key are random per attempt, so
/// they are not compared; the item's sender (checked against the session's
/// key) is inside the compared bytes.
pub fn oral_report_replay(
    conn: &Connection,
    id: &[u8; 16],
    item: &[u8],
    channel: &str,
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT created_day FROM reports WHERE id = ?1 AND item = ?2 AND channel = ?3
             AND mailbox_state = 'none'",
    )?
    .query_row(params![id, item, channel], |r| r.get(0))
    .optional()
}

/// The day a message was stored, if this one repeats it exactly (the same
/// id, report, author and item bytes): a retried message.
pub fn message_replay(
    conn: &Connection,
    id: &[u8; 16],
    report_id: &[u8; 16],
    author: &Author,
    item: &[u8],
) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT created_day FROM messages WHERE id = ?1 AND report_id = ?2
             AND from_advisor IS ?3 AND item = ?4",
    )?
    .query_row(params![id, report_id, author.column(), item], |r| r.get(0))
    .optional()
}

/// A stored attachment's length, padded length and day, if it belongs to
/// `report_id` and `author`: what a retried upload of the same item is
/// compared with (its bytes are compared with the stored file).
pub fn attachment_of(
    conn: &Connection,
    id: &[u8; 16],
    report_id: &[u8; 16],
    author: &Author,
) -> rusqlite::Result<Option<(u64, u64, String)>> {
    conn.prepare_cached(
        "SELECT item_len, padded_len, created_day FROM attachments
             WHERE id = ?1 AND report_id = ?2 AND from_advisor IS ?3",
    )?
    .query_row(params![id, report_id, author.column()], |r| {
        Ok((
            u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
            u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
            r.get(2)?,
        ))
    })
    .optional()
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
    /// How the report came in: `web`, `oral`, `meeting`.
    pub channel: String,
    /// `own`, `none` (an oral report with no mailbox yet) or `joined`.
    pub mailbox_state: String,
    /// The deadlines still running, seen from today (filled by the API).
    pub deadlines: Vec<DeadlineView>,
    /// The report's end of life: register number, closure, deletion day,
    /// hold, the reporter's silence (filled by [`ReportSummary::with_lifecycle`]).
    #[serde(flatten)]
    pub life: LifeView,
}

/// A report's end of life as the advisor API shows it (the contract of
/// issue 11): closure, the day it will be deleted, a longer hold, and
/// whether the reporter has been silent long enough to offer closing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LifeView {
    /// The report's number in the tenant's register.
    pub register_number: Option<i64>,
    /// Why it was closed (a code), while closed.
    pub closing_reason: Option<String>,
    /// The day it was (last) closed, while closed.
    pub closed_day: Option<String>,
    /// The day its content will be deleted (closed reports only).
    pub deletion_day: Option<String>,
    /// A longer hold of this report, if set.
    pub hold: Option<Hold>,
    /// The day since which the reporter has not answered an advisor's
    /// message (the day of the first advisor message after the reporter's
    /// last item), if the advisor wrote last.
    pub silent_since: Option<String>,
    /// True if the tenant offers closing after silence, the report is open
    /// and the reporter has been silent that long (never closed for them).
    pub silence_close_offered: bool,
}

/// A longer hold of one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// Kept at least until this day.
    pub until: String,
    /// Why (one of `retention::HOLD_REASONS`).
    pub reason: String,
}

/// The stored facts behind a [`LifeView`], read with a report.
#[derive(Debug, Clone, Default)]
pub struct LifeFacts {
    /// The register number.
    pub register_number: Option<i64>,
    /// The closing reason.
    pub closing_reason: Option<String>,
    /// The closing day.
    pub closed_day: Option<String>,
    /// The hold's day and reason.
    pub hold_until: Option<String>,
    /// The hold's reason.
    pub hold_reason: Option<String>,
    /// See [`LifeView::silent_since`].
    pub silent_since: Option<String>,
}

impl LifeFacts {
    /// What the facts mean on `today` under the tenant's `lifecycle`.
    pub fn view(
        &self,
        status: &str,
        today: crate::dates::Day,
        lifecycle: &crate::retention::Lifecycle,
    ) -> LifeView {
        use crate::dates::Day;
        let hold_until = self.hold_until.as_deref().and_then(Day::parse);
        let closed = self.closed_day.as_deref().and_then(Day::parse);
        let open = !is_closed_status(status);
        let deletion_day = closed
            .filter(|_| !open)
            .map(|closed| lifecycle.deletion_day(closed, hold_until).to_string());
        let silence_close_offered = open
            && silence_offer_day(self.silent_since.as_deref(), lifecycle)
                .is_some_and(|offered| today >= offered);
        LifeView {
            register_number: self.register_number,
            closing_reason: self.closing_reason.clone().filter(|_| !open),
            closed_day: self.closed_day.clone().filter(|_| !open),
            deletion_day,
            hold: match (&self.hold_until, &self.hold_reason) {
                (Some(until), Some(reason)) => Some(Hold {
                    until: until.clone(),
                    reason: reason.clone(),
                }),
                _ => None,
            },
            silent_since: self.silent_since.clone().filter(|_| open),
            silence_close_offered,
        }
    }
}

/// The day from which closing is offered to the advisors after the
/// reporter's silence since `silent_since`, if the tenant offers it.
pub fn silence_offer_day(
    silent_since: Option<&str>,
    lifecycle: &crate::retention::Lifecycle,
) -> Option<crate::dates::Day> {
    if lifecycle.silence_weeks == 0 {
        return None;
    }
    let since = crate::dates::Day::parse(silent_since?)?;
    Some(since.add_days(i64::from(lifecycle.silence_weeks) * 7))
}

/// The day from which the reporter's mailbox warns that closing will be
/// offered: half the silence period before it.
pub fn silence_warning_day(
    silent_since: Option<&str>,
    lifecycle: &crate::retention::Lifecycle,
) -> Option<crate::dates::Day> {
    let offered = silence_offer_day(silent_since, lifecycle)?;
    Some(offered.add_days(-(i64::from(lifecycle.silence_weeks) * 7 / 2)))
}

/// True for the statuses of a closed report.
pub fn is_closed_status(status: &str) -> bool {
    matches!(status, "closed" | "archived")
}

/// The SQL of the day since which a report's reporter has been silent
/// (see [`LifeView::silent_since`]), for the report `r.id`.
macro_rules! silent_since_sql {
    () => {
        "(SELECT min(m.created_day) FROM messages m
          WHERE m.report_id = r.id AND m.from_advisor IS NOT NULL
            AND m.seq > coalesce((SELECT max(x.seq) FROM messages x
                                  WHERE x.report_id = r.id AND x.from_advisor IS NULL), 0)
            AND m.created_day >= coalesce((SELECT max(y.created_day) FROM attachments y
                                           WHERE y.report_id = r.id AND y.from_advisor IS NULL), '')
            AND NOT EXISTS (SELECT 1 FROM attachments z WHERE z.report_id = r.id
                            AND z.from_advisor IS NULL AND z.created_day > m.created_day))"
    };
}

/// The lifecycle facts of one report.
pub fn life_facts(conn: &Connection, report_id: &[u8; 16]) -> rusqlite::Result<LifeFacts> {
    conn.prepare_cached(concat!(
        "SELECT g.number, g.closing_reason, r.closed_day, g.hold_until, g.hold_reason, ",
        silent_since_sql!(),
        " FROM reports r LEFT JOIN register g ON g.number = r.register_number WHERE r.id = ?1"
    ))?
    .query_row([report_id], |r| {
        Ok(LifeFacts {
            register_number: r.get(0)?,
            closing_reason: r.get(1)?,
            closed_day: r.get(2)?,
            hold_until: r.get(3)?,
            hold_reason: r.get(4)?,
            silent_since: r.get(5)?,
        })
    })
    .optional()
    .map(Option::unwrap_or_default)
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
    today: crate::dates::Day,
) -> rusqlite::Result<Vec<ReportSummary>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT r.id, r.created_day, r.status, r.status_day, r.acknowledged_day,
                r.agreed_update_date, r.category, r.padded_len, r.feedback_day,
                (SELECT count(*) FROM messages m WHERE m.report_id = r.id),
                (SELECT count(*) FROM attachments t WHERE t.report_id = r.id),
                g.number, g.closing_reason, r.closed_day, g.hold_until, g.hold_reason, ",
        silent_since_sql!(),
        ", r.channel, r.mailbox_state",
        " FROM reports r LEFT JOIN register g ON g.number = r.register_number WHERE r.id IN (",
        visible_report_ids!(),
        ") ORDER BY r.rowid DESC"
    ))?;
    let lifecycle = crate::retention::lifecycle(conn)?;
    let rows = stmt.query_map([advisor_id], |r| {
        let facts = LifeFacts {
            register_number: r.get(11)?,
            closing_reason: r.get(12)?,
            closed_day: r.get(13)?,
            hold_until: r.get(14)?,
            hold_reason: r.get(15)?,
            silent_since: r.get(16)?,
        };
        let status: String = r.get(2)?;
        Ok(ReportSummary {
            life: facts.view(&status, today, &lifecycle),
            report_id: hex::encode(r.get::<_, Vec<u8>>(0)?),
            created_day: r.get(1)?,
            status,
            status_day: r.get(3)?,
            acknowledged_day: r.get(4)?,
            feedback_day: r.get(8)?,
            agreed_update_date: r.get(5)?,
            category: r.get(6)?,
            padded_len: r.get::<_, i64>(7)?.try_into().unwrap_or(0),
            message_count: r.get::<_, i64>(9)?.try_into().unwrap_or(0),
            attachment_count: r.get::<_, i64>(10)?.try_into().unwrap_or(0),
            channel: r.get(17)?,
            mailbox_state: r.get(18)?,
            deadlines: Vec::new(),
        })
    })?;
    rows.collect()
}

/// What a status change does to a report's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Open before and after, or closed before and after.
    Same,
    /// An open report is closed.
    Closes,
    /// A closed (or archived) report is open again.
    Reopens,
}

/// Checks a status change against the report's current status: closing
/// needs a closing reason (one of the codes, checked by the caller),
/// `archived` only follows `closed`, and a closing reason goes only with a
/// closed status. `None` if there is no such report.
pub fn check_status_change(
    conn: &Connection,
    report_id: &[u8; 16],
    status: &str,
    closing_reason: Option<&str>,
) -> Result<Option<StatusChange>, AppError> {
    let current: Option<String> = conn
        .prepare_cached("SELECT status FROM reports WHERE id = ?1")?
        .query_row([report_id], |r| r.get(0))
        .optional()?;
    let Some(current) = current else {
        return Ok(None);
    };
    let (was_closed, closes) = (is_closed_status(&current), is_closed_status(status));
    if closing_reason.is_some() && !closes {
        return Err(AppError::new(
            ErrorCode::InvalidStatusChange,
            "a closing reason needs status closed or archived",
        ));
    }
    if status == "archived" && !was_closed {
        return Err(AppError::new(
            ErrorCode::InvalidStatusChange,
            "a report is archived only after it was closed",
        ));
    }
    Ok(Some(match (was_closed, closes) {
        (false, true) if closing_reason.is_none() => {
            return Err(AppError::new(
                ErrorCode::ClosingReasonRequired,
                "closing a report needs a closing reason",
            ))
        }
        (false, true) => StatusChange::Closes,
        (true, false) => StatusChange::Reopens,
        _ => StatusChange::Same,
    }))
}

/// Sets a report's status (and the agreed update date and closing reason),
/// recording which advisor acted and on which day. Closing records the
/// closing day and reason on the report and its register line and writes
/// a `closed` event; reopening clears them and writes a `reopened` event
/// (see [`check_status_change`] for what is refused).
pub fn set_status(
    conn: &Connection,
    report_id: &[u8; 16],
    advisor_id: i64,
    status: &str,
    agreed_update_date: AgreedUpdate<'_>,
    closing_reason: Option<&str>,
    day: &str,
) -> Result<StatusChange, AppError> {
    let change = check_status_change(conn, report_id, status, closing_reason)?
        .ok_or_else(|| AppError::not_found("no such report"))?;
    let gives_feedback = crate::deadlines::gives_feedback(status);
    let (change_date, date) = match agreed_update_date {
        AgreedUpdate::Keep => (false, None),
        AgreedUpdate::Set(date) => (true, Some(date)),
        AgreedUpdate::Remove => (true, None),
    };
    // The closing reason: set when closing, may be corrected while
    // closed, cleared when reopened.
    let closed_now = is_closed_status(status);
    conn.prepare_cached(
        "UPDATE reports SET status = ?2,
                agreed_update_date = CASE WHEN ?3 THEN ?4 ELSE agreed_update_date END,
                closing_reason = CASE WHEN ?9 THEN coalesce(?5, closing_reason) ELSE NULL END,
                status_by = ?6, status_day = ?7,
                feedback_day = CASE WHEN ?8 THEN coalesce(feedback_day, ?7) ELSE feedback_day END,
                closed_day = CASE WHEN ?9 THEN coalesce(closed_day, ?7) ELSE NULL END
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
        gives_feedback,
        closed_now
    ])?;
    conn.prepare_cached(
        "UPDATE register SET closing_reason = r.closing_reason, closed_day = r.closed_day,
                acknowledged_day = r.acknowledged_day, feedback_day = r.feedback_day,
                channel = r.channel
         FROM (SELECT closing_reason, closed_day, acknowledged_day, feedback_day, channel
               FROM reports WHERE id = ?1) AS r
         WHERE register.number = (SELECT register_number FROM reports WHERE id = ?1)",
    )?
    .execute([report_id])?;
    match change {
        StatusChange::Closes => insert_event(
            conn,
            report_id,
            day,
            "closed",
            Some(advisor_id),
            closing_reason,
        )?,
        StatusChange::Reopens => {
            insert_event(conn, report_id, day, "reopened", Some(advisor_id), None)?
        }
        StatusChange::Same => {}
    }
    Ok(change)
}

/// Records an event of a report's life (codes only).
pub fn insert_event(
    conn: &Connection,
    report_id: &[u8; 16],
    day: &str,
    event: &str,
    advisor_id: Option<i64>,
    detail: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO report_events (report_id, day, event, advisor_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![report_id, day, event, advisor_id, detail])?;
    Ok(())
}

/// A report's events, oldest first.
pub fn report_events(
    conn: &Connection,
    report_id: &[u8; 16],
) -> rusqlite::Result<Vec<ReportEvent>> {
    conn.prepare_cached(
        "SELECT day, event, advisor_id, detail FROM report_events WHERE report_id = ?1 ORDER BY seq",
    )?
    .query_map([report_id], |r| {
        Ok(ReportEvent {
            day: r.get(0)?,
            event: r.get(1)?,
            advisor_id: r.get(2)?,
            detail: r.get(3)?,
        })
    })?
    .collect()
}

/// Sets (or with `None` removes) the longer hold of a report, on its
/// register line, with a `hold_set` / `hold_removed` event. The caller
/// checked the day and the reason. Returns the hold now in place.
pub fn set_hold(
    conn: &Connection,
    report_id: &[u8; 16],
    advisor_id: i64,
    hold: Option<&Hold>,
    day: &str,
) -> rusqlite::Result<Option<Hold>> {
    let before: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT hold_until, hold_reason FROM register
             WHERE number = (SELECT register_number FROM reports WHERE id = ?1)",
        )?
        .query_row([report_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let had = before.is_some_and(|(until, _)| until.is_some());
    conn.prepare_cached(
        "UPDATE register SET hold_until = ?2, hold_reason = ?3
         WHERE number = (SELECT register_number FROM reports WHERE id = ?1)",
    )?
    .execute(params![
        report_id,
        hold.map(|h| h.until.as_str()),
        hold.map(|h| h.reason.as_str())
    ])?;
    match hold {
        Some(hold) => insert_event(
            conn,
            report_id,
            day,
            "hold_set",
            Some(advisor_id),
            Some(&format!("{}:{}", hold.reason, hold.until)),
        )?,
        None if had => insert_event(conn, report_id, day, "hold_removed", Some(advisor_id), None)?,
        None => {}
    }
    Ok(hold.cloned())
}

/// A line of the tenant's register.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterLine {
    /// The report number.
    pub number: i64,
    /// The report's id (hex) while its content exists, else `None`: the
    /// advisor's console joins a line to the report it opened (figures).
    pub report_id: Option<String>,
    /// The day the report was received.
    pub received_day: String,
    /// The category an advisor disclosed, if any.
    pub category: Option<String>,
    /// Why it was closed.
    pub closing_reason: Option<String>,
    /// The day it was closed.
    pub closed_day: Option<String>,
    /// A longer hold: until.
    pub hold_until: Option<String>,
    /// A longer hold: why (a code).
    pub hold_reason: Option<String>,
    /// The day its content will be deleted (closed, not yet deleted).
    pub deletion_day: Option<String>,
    /// The day its content was deleted.
    pub deleted_day: Option<String>,
    /// The day receipt was first acknowledged.
    pub acknowledged_day: Option<String>,
    /// The day feedback was first given.
    pub feedback_day: Option<String>,
    /// How the report came in: `web`, `oral` or `meeting`.
    pub channel: String,
}

/// The register columns, in order (the CSV header). Columns added later
/// go at the end, so a reader of the older columns keeps reading them.
pub const REGISTER_COLUMNS: [&str; 12] = [
    "number",
    "received_day",
    "category",
    "closing_reason",
    "closed_day",
    "hold_until",
    "hold_reason",
    "deletion_day",
    "deleted_day",
    "acknowledged_day",
    "feedback_day",
    "channel",
];

/// The whole register of the tenant, by number.
pub fn register(
    conn: &Connection,
    lifecycle: &crate::retention::Lifecycle,
) -> rusqlite::Result<Vec<RegisterLine>> {
    use crate::dates::Day;
    conn.prepare_cached(
        "SELECT g.number, g.received_day, g.category, g.closing_reason, g.closed_day,
                g.hold_until, g.hold_reason, g.deleted_day, r.status,
                g.report_id, g.acknowledged_day, g.feedback_day, g.channel
         FROM register g LEFT JOIN reports r ON r.id = g.report_id ORDER BY g.number",
    )?
    .query_map([], |r| {
        let closed_day: Option<String> = r.get(4)?;
        let hold_until: Option<String> = r.get(5)?;
        let deleted_day: Option<String> = r.get(7)?;
        let status: Option<String> = r.get(8)?;
        let deletion_day = match (&closed_day, &deleted_day, status.as_deref()) {
            (Some(closed), None, Some(status)) if is_closed_status(status) => Day::parse(closed)
                .map(|closed| {
                    lifecycle
                        .deletion_day(closed, hold_until.as_deref().and_then(Day::parse))
                        .to_string()
                }),
            _ => None,
        };
        Ok(RegisterLine {
            number: r.get(0)?,
            report_id: r.get::<_, Option<Vec<u8>>>(9)?.map(hex::encode),
            acknowledged_day: r.get(10)?,
            feedback_day: r.get(11)?,
            channel: r.get(12)?,
            received_day: r.get(1)?,
            category: r.get(2)?,
            closing_reason: r.get(3)?,
            closed_day,
            hold_until,
            hold_reason: r.get(6)?,
            deletion_day,
            deleted_day,
        })
    })?
    .collect()
}

/// A closed report whose content is to be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDeletion {
    /// The report id.
    pub report_id: [u8; 16],
    /// Its register number.
    pub register_number: Option<i64>,
    /// Its mailbox id (for the reporter's notice address).
    pub mailbox_id: [u8; 16],
    /// The day it is deleted.
    pub deletion_day: crate::dates::Day,
}

/// The closed reports (of one advisor, or every one with `None`) whose
/// deletion day is on or before `until`, the earliest first.
pub fn deletions_until(
    conn: &Connection,
    advisor_id: Option<i64>,
    until: crate::dates::Day,
) -> rusqlite::Result<Vec<DueDeletion>> {
    use crate::dates::Day;
    let lifecycle = crate::retention::lifecycle(conn)?;
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT r.id, g.number, r.mailbox_id, r.closed_day, g.hold_until
         FROM reports r LEFT JOIN register g ON g.number = r.register_number
         WHERE r.status IN ('closed', 'archived') AND r.closed_day IS NOT NULL
           AND (?1 IS NULL OR r.id IN (",
        visible_report_ids!(),
        "))"
    ))?;
    let rows = stmt.query_map(params![advisor_id], |r| {
        Ok((
            r.get::<_, [u8; 16]>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, [u8; 16]>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut due = Vec::new();
    for row in rows {
        let (report_id, register_number, mailbox_id, closed, hold) = row?;
        let Some(closed) = Day::parse(&closed) else {
            continue;
        };
        let deletion_day = lifecycle.deletion_day(closed, hold.as_deref().and_then(Day::parse));
        if deletion_day <= until {
            due.push(DueDeletion {
                report_id,
                register_number,
                mailbox_id,
                deletion_day,
            });
        }
    }
    due.sort_by_key(|d| (d.deletion_day, d.register_number));
    Ok(due)
}

/// The register lines whose report was deleted and whose register period
/// ended on or before `today`.
pub fn register_lines_ended(
    conn: &Connection,
    today: crate::dates::Day,
) -> rusqlite::Result<Vec<i64>> {
    use crate::dates::Day;
    let lifecycle = crate::retention::lifecycle(conn)?;
    let rows = conn
        .prepare_cached(
            "SELECT number, closed_day FROM register
             WHERE report_id IS NULL AND deleted_day IS NOT NULL ORDER BY number",
        )?
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter(|(_, closed)| {
            closed
                .as_deref()
                .and_then(Day::parse)
                .is_some_and(|closed| lifecycle.register_end(closed) <= today)
        })
        .map(|(number, _)| number)
        .collect())
}

/// Deletes a register line (its period ended; the caller logged it).
pub fn delete_register_line(conn: &Connection, number: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM register WHERE number = ?1 AND report_id IS NULL")?
        .execute([number])?
        > 0)
}

/// An open report whose reporter is due the mailbox's silence warning by
/// e-mail (once per silence: no `silence_warning` event since it began).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SilenceWarningDue {
    /// The report id.
    pub report_id: [u8; 16],
    /// Its mailbox id (for the reporter's notice address).
    pub mailbox_id: [u8; 16],
    /// From this day the advisors are offered to close it.
    pub close_offered_from: crate::dates::Day,
}

/// The open reports whose silence warning starts on or before `today` and
/// was not yet sent for this silence.
pub fn silence_warnings_due(
    conn: &Connection,
    today: crate::dates::Day,
) -> rusqlite::Result<Vec<SilenceWarningDue>> {
    let lifecycle = crate::retention::lifecycle(conn)?;
    if lifecycle.silence_weeks == 0 {
        return Ok(Vec::new());
    }
    let rows = conn
        .prepare_cached(concat!(
            "SELECT r.id, r.mailbox_id, ",
            silent_since_sql!(),
            ", (SELECT max(e.day) FROM report_events e
                WHERE e.report_id = r.id AND e.event = 'silence_warning')
             FROM reports r WHERE r.status NOT IN ('closed', 'archived')"
        ))?
        .query_map([], |r| {
            Ok((
                r.get::<_, [u8; 16]>(0)?,
                r.get::<_, [u8; 16]>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut due = Vec::new();
    for (report_id, mailbox_id, silent_since, warned) in rows {
        let Some(since) = silent_since else { continue };
        let (Some(from), Some(offered)) = (
            silence_warning_day(Some(&since), &lifecycle),
            silence_offer_day(Some(&since), &lifecycle),
        ) else {
            continue;
        };
        // Days compare as text (YYYY-MM-DD).
        let warned_this_silence = warned.is_some_and(|day| day >= since);
        if today >= from && !warned_this_silence {
            due.push(SilenceWarningDue {
                report_id,
                mailbox_id,
                close_offered_from: offered,
            });
        }
    }
    Ok(due)
}

/// True if the advisor is an active advisor of the tenant.
pub fn is_active_advisor(conn: &Connection, advisor_id: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM advisors WHERE id = ?1 AND active = 1")?
        .exists([advisor_id])
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
    conn.prepare_cached(
        "UPDATE register SET category = ?2
         WHERE number = (SELECT register_number FROM reports WHERE id = ?1)",
    )?
    .execute(params![report_id, category])?;
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

    /// The list of reports an advisor may see and the check for one report
    /// say the same, for active, inactive and replacing advisors, and
    /// after a report is deleted.
    #[test]
    fn the_list_and_the_check_of_what_an_advisor_may_see_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::db::open_tenant(&dir.path().join("t.sqlite")).expect("open");
        let key = |b: u8| PublicKey::from_bytes([b; 32]);
        conn.execute_batch(&format!(
            "INSERT INTO advisors (id, public_key, display_name, added_day, active) VALUES
                 (1, x'{a}', 'a', '2027-01-01', 1), (2, x'{b}', 'b', '2027-01-01', 1),
                 (3, x'{c}', 'c', '2027-01-01', 0), (4, x'{d}', 'd', '2027-01-01', 1);",
            a = "a1".repeat(32),
            b = "b2".repeat(32),
            c = "c3".repeat(32),
            d = "d4".repeat(32)
        ))
        .expect("advisors");
        let sealed_to = [
            vec![key(0xa1), key(0xee)],
            vec![key(0xb2), key(0xc3)],
            vec![key(0xa1), key(0xb2)],
        ];
        for (n, recipients) in (1u8..).zip(sealed_to) {
            let report = NewReport {
                id: [n; 16],
                mailbox_id: [n + 100; 16],
                mailbox_key: key(0xee),
                auth_hash: [0; 32],
                item: vec![0],
                padded_len: 1,
                recipients,
            };
            insert_report(&conn, &report, "2027-01-02").expect("report");
        }
        // Advisor 4's key replaces advisor 1's.
        assert_eq!(
            inherit_report_access(&conn, &key(0xa1), &key(0xd4)).expect("inherit"),
            2
        );
        let seen = |advisor: i64| -> (Vec<u8>, Vec<u8>) {
            let mut list: Vec<u8> = conn
                .prepare(visible_report_ids!())
                .expect("query")
                .query_map([advisor], |r| r.get::<_, [u8; 16]>(0))
                .expect("rows")
                .map(|id| id.expect("id")[0])
                .collect();
            list.sort_unstable();
            let one_by_one = (1u8..=3)
                .filter(|&n| advisor_may_see(&conn, advisor, &[n; 16]).expect("check"))
                .collect();
            (list, one_by_one)
        };
        let expected: [(i64, &[u8]); 5] =
            [(1, &[1, 3]), (2, &[2, 3]), (3, &[]), (4, &[1, 3]), (5, &[])];
        for (advisor, reports) in expected {
            let (list, one_by_one) = seen(advisor);
            assert_eq!(list, reports, "advisor {advisor}'s list");
            assert_eq!(
                one_by_one, reports,
                "advisor {advisor}, one report at a time"
            );
        }
        conn.execute("DELETE FROM reports WHERE id = ?1", [[3u8; 16]])
            .expect("delete report 3");
        for advisor in 1..=4 {
            let (list, one_by_one) = seen(advisor);
            assert!(
                !list.contains(&3) && !one_by_one.contains(&3),
                "advisor {advisor}"
            );
        }
        let left: i64 = conn
            .query_row(
                "SELECT count(*) FROM report_recipients WHERE register_number = 3",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(left, 0, "a deleted report leaves no recipients behind");
    }

    /// A tenant database with one advisor and one report in `status`.
    fn with_report(status: &str) -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::db::open_tenant(&dir.path().join("t.sqlite")).expect("open");
        conn.execute_batch(
            "INSERT INTO advisors (id, public_key, display_name, added_day) VALUES (1, zeroblob(32), 'a', '2027-01-01');
             INSERT INTO register (number, report_id, received_day) VALUES (1, x'01010101010101010101010101010101', '2027-01-01');
             INSERT INTO reports (id, mailbox_id, mailbox_key, auth_hash, item, padded_len, created_day, register_number)
             VALUES (x'01010101010101010101010101010101', x'02020202020202020202020202020202', zeroblob(32), zeroblob(32), x'00', 1, '2027-01-01', 1);",
        )
        .expect("rows");
        if is_closed_status(status) {
            set_status(
                &conn,
                &[1; 16],
                1,
                "closed",
                AgreedUpdate::Keep,
                Some("resolved"),
                "2027-01-05",
            )
            .expect("closed");
        }
        if status != "closed" {
            conn.execute("UPDATE reports SET status = ?1", [status])
                .expect("status");
        }
        (dir, conn)
    }

    #[test]
    fn every_status_change_is_checked_against_the_current_status() {
        use StatusChange::*;
        let open = [
            "new",
            "acknowledged",
            "in_progress",
            "awaiting_reporter",
            "feedback_given",
        ];
        for from in STATUSES {
            for to in STATUSES {
                for reason in [None, Some("resolved")] {
                    let (_dir, conn) = with_report(from);
                    let was_closed = is_closed_status(from);
                    let expected: Result<StatusChange, ErrorCode> = match (was_closed, to, reason) {
                        (_, to, Some(_)) if open.contains(&to) => {
                            Err(ErrorCode::InvalidStatusChange)
                        }
                        (false, "archived", _) => Err(ErrorCode::InvalidStatusChange),
                        (false, "closed", None) => Err(ErrorCode::ClosingReasonRequired),
                        (false, "closed", Some(_)) => Ok(Closes),
                        (true, to, _) if open.contains(&to) => Ok(Reopens),
                        _ => Ok(Same),
                    };
                    let got = set_status(
                        &conn,
                        &[1; 16],
                        1,
                        to,
                        AgreedUpdate::Keep,
                        reason,
                        "2027-02-01",
                    )
                    .map_err(|e| e.code());
                    assert_eq!(got, expected, "{from} -> {to} with {reason:?}");
                    let (closed_day, register_day): (Option<String>, Option<String>) = conn
                        .query_row(
                            "SELECT r.closed_day, g.closed_day FROM reports r JOIN register g ON g.number = r.register_number",
                            [],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .expect("days");
                    assert_eq!(
                        closed_day, register_day,
                        "{from} -> {to}: the register follows"
                    );
                    let closed_now = match got {
                        Ok(_) => is_closed_status(to),
                        Err(_) => was_closed,
                    };
                    assert_eq!(
                        closed_day.is_some(),
                        closed_now,
                        "{from} -> {to} with {reason:?}"
                    );
                    if was_closed && got.is_ok() && closed_now {
                        assert_eq!(
                            closed_day.as_deref(),
                            Some("2027-01-05"),
                            "the closing day stays"
                        );
                    }
                }
            }
        }
    }
}
