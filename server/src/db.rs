//! SQLite: opening connections with the durability settings, embedded
//! migrations, and the one way the async code reaches a database: a
//! dedicated worker thread per database that runs queued jobs in group
//! commits.
//!
//! A job's answer is delivered only after the transaction it ran in has been
//! committed and the WAL holding it fsynced, so nothing is acknowledged
//! before it is on disk; many concurrent requests share one commit, and the
//! fsync of one commit and the checkpoints overlap the work of the next
//! (see [`worker`]). Each
//! job runs inside its own savepoint, so a failing job undoes only its own
//! writes. A panicking job is caught on the worker and re-raised in the
//! request that queued it.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::AppError;
use crate::replication::AckGate;

/// Embedded migrations of the server-wide database. Append only: never edit
/// a released entry.
pub(crate) const SERVER_MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE tenants (
        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 63),
        name TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_day TEXT NOT NULL,
        max_attachment_bytes INTEGER NOT NULL CHECK (max_attachment_bytes > 0)
    ) STRICT;",
    // v2: quotas per tenant, so that nobody can fill a tenant's storage
    // with junk mailboxes, messages or attachments (the operator changes
    // them with `tenant set-quotas`).
    "ALTER TABLE tenants ADD COLUMN reports_per_day INTEGER NOT NULL DEFAULT 500
        CHECK (reports_per_day > 0);
    ALTER TABLE tenants ADD COLUMN messages_per_report INTEGER NOT NULL DEFAULT 2000
        CHECK (messages_per_report > 0);
    ALTER TABLE tenants ADD COLUMN attachments_per_report INTEGER NOT NULL DEFAULT 200
        CHECK (attachments_per_report > 0);
    ALTER TABLE tenants ADD COLUMN attachment_bytes_per_report INTEGER NOT NULL
        DEFAULT 4294967296 CHECK (attachment_bytes_per_report > 0);",
    // v3: the exports of a tenant (`tenant export`), so that `tenant
    // delete` runs only after one that holds everything the tenant holds
    // (`counts`, JSON). Removed with the tenant.
    "CREATE TABLE tenant_exports (
        seq INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        day TEXT NOT NULL,
        manifest_sha256 BLOB NOT NULL CHECK (length(manifest_sha256) = 32),
        counts TEXT NOT NULL
    ) STRICT;
    CREATE INDEX tenant_exports_by_tenant ON tenant_exports (tenant, seq);",
    // v4: each tenant's public configuration (`GET .../config`) as last
    // answered, so the server answers it without opening the tenant
    // database (see `crate::tenants::public_config`). `generation` comes from the
    // one counter below and never repeats; `pending` counts operator
    // changes under way (no answer is used while it is above 0); `name`
    // and `max_attachment_bytes` are the tenant row's values the answer
    // was built with.
    "CREATE TABLE public_configs (
        tenant TEXT PRIMARY KEY NOT NULL,
        generation INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
        name TEXT,
        max_attachment_bytes INTEGER,
        answer BLOB
    ) STRICT;
    CREATE TABLE public_config_generation (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        last INTEGER NOT NULL
    ) STRICT;
    INSERT INTO public_config_generation (only, last) VALUES (1, 0);",
];

/// Embedded migrations of a tenant database. Append only: never edit a
/// released entry.
pub(crate) const TENANT_MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE settings (
        key TEXT PRIMARY KEY NOT NULL,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE advisors (
        id INTEGER PRIMARY KEY,
        public_key BLOB NOT NULL UNIQUE CHECK (length(public_key) = 32),
        display_name TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        added_day TEXT NOT NULL
    ) STRICT;
    CREATE TABLE reports (
        id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
        mailbox_id BLOB NOT NULL UNIQUE CHECK (length(mailbox_id) = 16),
        mailbox_key BLOB NOT NULL CHECK (length(mailbox_key) = 32),
        auth_hash BLOB NOT NULL CHECK (length(auth_hash) = 32),
        item BLOB NOT NULL,
        padded_len INTEGER NOT NULL,
        created_day TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new' CHECK (status IN
            ('new', 'acknowledged', 'in_progress', 'awaiting_reporter', 'feedback_given', 'closed', 'archived')),
        status_by INTEGER REFERENCES advisors (id),
        status_day TEXT,
        agreed_update_date TEXT,
        closing_reason TEXT,
        category TEXT,
        category_by INTEGER REFERENCES advisors (id)
    ) STRICT;
    CREATE TABLE report_recipients (
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        PRIMARY KEY (report_id, public_key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX report_recipients_by_key ON report_recipients (public_key, report_id);
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        from_advisor INTEGER REFERENCES advisors (id),
        item BLOB NOT NULL,
        padded_len INTEGER NOT NULL,
        created_day TEXT NOT NULL
    ) STRICT;
    CREATE INDEX messages_by_report ON messages (report_id, seq);
    CREATE TABLE attachments (
        seq INTEGER PRIMARY KEY,
        id BLOB NOT NULL UNIQUE CHECK (length(id) = 16),
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        from_advisor INTEGER REFERENCES advisors (id),
        item_len INTEGER NOT NULL,
        padded_len INTEGER NOT NULL,
        created_day TEXT NOT NULL
    ) STRICT;
    CREATE INDEX attachments_by_report ON attachments (report_id, seq);",
    // v2 (keys): an advisor key that replaced another reads the reports the
    // old key could (`report_access`), and key grants that give a new key
    // the content key of an existing item (crypto-core `KeyGrant`). Both
    // only widen who may *fetch* ciphertext; opening still needs a key.
    "CREATE TABLE report_access (
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        PRIMARY KEY (report_id, public_key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX report_access_by_key ON report_access (public_key, report_id);
    CREATE TABLE key_grants (
        item_id BLOB NOT NULL CHECK (length(item_id) = 16),
        grantee BLOB NOT NULL CHECK (length(grantee) = 32),
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        grantor BLOB NOT NULL CHECK (length(grantor) = 32),
        grant_bytes BLOB NOT NULL,
        created_day TEXT NOT NULL,
        PRIMARY KEY (item_id, grantee)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX key_grants_by_report ON key_grants (report_id, grantee);",
    // v3: the day receipt was first acknowledged (a status change or an
    // advisor's message), for the feedback deadline of the advisors'
    // reminders. Reports from before take the earliest evidence there is.
    "ALTER TABLE reports ADD COLUMN acknowledged_day TEXT;
    UPDATE reports SET acknowledged_day = (
        SELECT min(day) FROM (
            SELECT min(m.created_day) AS day FROM messages m
                WHERE m.report_id = reports.id AND m.from_advisor IS NOT NULL
            UNION ALL
            SELECT reports.status_day WHERE reports.status <> 'new'
        )
    );",
    // v4: the number of reports filed per day, for the tenant's daily
    // quota without counting rows on every report.
    "CREATE TABLE report_days (
        day TEXT PRIMARY KEY NOT NULL,
        count INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    INSERT INTO report_days (day, count)
        SELECT created_day, count(*) FROM reports GROUP BY created_day;",
    // v5: a key grant is kept per grantor too, so a grant posted first by
    // someone else cannot take the place of the real grantor's; and an item
    // id names one item of the tenant, whatever its kind, so a message
    // cannot shadow an attachment or a report.
    "CREATE TABLE key_grants_v5 (
        item_id BLOB NOT NULL CHECK (length(item_id) = 16),
        grantee BLOB NOT NULL CHECK (length(grantee) = 32),
        grantor BLOB NOT NULL CHECK (length(grantor) = 32),
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        grant_bytes BLOB NOT NULL,
        created_day TEXT NOT NULL,
        PRIMARY KEY (item_id, grantee, grantor)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO key_grants_v5 (item_id, grantee, grantor, report_id, grant_bytes, created_day)
        SELECT item_id, grantee, grantor, report_id, grant_bytes, created_day FROM key_grants;
    DROP TABLE key_grants;
    ALTER TABLE key_grants_v5 RENAME TO key_grants;
    CREATE INDEX key_grants_by_report ON key_grants (report_id, grantee);
    CREATE TRIGGER reports_item_id_unique BEFORE INSERT ON reports
        WHEN EXISTS (SELECT 1 FROM messages WHERE id = NEW.id)
            OR EXISTS (SELECT 1 FROM attachments WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER messages_item_id_unique BEFORE INSERT ON messages
        WHEN EXISTS (SELECT 1 FROM reports WHERE id = NEW.id)
            OR EXISTS (SELECT 1 FROM attachments WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER attachments_item_id_unique BEFORE INSERT ON attachments
        WHEN EXISTS (SELECT 1 FROM reports WHERE id = NEW.id)
            OR EXISTS (SELECT 1 FROM messages WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;",
    // v6: the day feedback was first given (status `feedback_given`, or
    // closure), recorded once, so the feedback clock never comes back when
    // the status moves on. Reports from before take the day of their last
    // status change if it gave feedback: the best evidence there is.
    "ALTER TABLE reports ADD COLUMN feedback_day TEXT;
    UPDATE reports SET feedback_day = status_day
        WHERE status IN ('feedback_given', 'closed', 'archived') AND status_day IS NOT NULL;",
    // v7: a report's whole life. `closed_day` starts the retention period
    // (cleared when a report is reopened). The register keeps one line per
    // report from receipt on, and keeps it after the report's content is
    // deleted: number, days, category, closing reason, a longer hold with
    // its reason code; no free text, nothing identifying. `report_events`
    // records closures, reopenings and holds (codes only). Reports from
    // before get their lines in the order they were received.
    "ALTER TABLE reports ADD COLUMN closed_day TEXT;
    UPDATE reports SET closed_day = status_day
        WHERE status IN ('closed', 'archived') AND status_day IS NOT NULL;
    CREATE TABLE register (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id BLOB UNIQUE CHECK (report_id IS NULL OR length(report_id) = 16),
        received_day TEXT NOT NULL,
        category TEXT,
        closing_reason TEXT,
        closed_day TEXT,
        hold_until TEXT,
        hold_reason TEXT,
        deleted_day TEXT
    ) STRICT;
    INSERT INTO register (report_id, received_day, category, closing_reason, closed_day)
        SELECT id, created_day, category, closing_reason, closed_day FROM reports ORDER BY rowid;
    CREATE TABLE report_events (
        seq INTEGER PRIMARY KEY,
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN
            ('closed', 'reopened', 'hold_set', 'hold_removed', 'silence_warning')),
        advisor_id INTEGER REFERENCES advisors (id),
        detail TEXT
    ) STRICT;
    CREATE INDEX report_events_by_report ON report_events (report_id, seq);",
    // v8: the organisation's side (issue 12). Management recipients
    // (directie / OR-rapportage) and forward recipients (HR /
    // klachtencommissie) with their public keys; single-use enrolment
    // invitations (only the SHA-256 of the secret); the items sealed to
    // them (figures reports, forwards and the forwards' attachments) with
    // the keys each is sealed to. A forward and its attachments belong to
    // their report and go with it; a figures report (aggregate) stays
    // until the tenant ends. The register keeps the recorded days and the
    // channel in step with the report (for the figures), and a report's
    // events gain `forwarded`.
    "CREATE TABLE org_recipients (
        id INTEGER PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('management', 'forward')),
        label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
        public_key BLOB NOT NULL UNIQUE CHECK (length(public_key) = 32),
        key_source TEXT NOT NULL CHECK (key_source IN ('token', 'code')),
        enrolled_day TEXT NOT NULL,
        removed_day TEXT
    ) STRICT;
    CREATE TABLE org_invitations (
        secret_hash BLOB PRIMARY KEY NOT NULL CHECK (length(secret_hash) = 32),
        role TEXT NOT NULL CHECK (role IN ('management', 'forward')),
        label TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
        expires_day TEXT NOT NULL,
        used_day TEXT
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE org_items (
        item_id BLOB PRIMARY KEY NOT NULL CHECK (length(item_id) = 16),
        kind TEXT NOT NULL CHECK (kind IN ('figures', 'forward', 'forward_attachment')),
        report_id BLOB REFERENCES reports (id) ON DELETE CASCADE
            CHECK ((kind = 'figures') = (report_id IS NULL)),
        period TEXT CHECK ((kind = 'figures') = (period IS NOT NULL)),
        forward_id BLOB CHECK (forward_id IS NULL OR (kind = 'forward_attachment' AND length(forward_id) = 16)),
        posted_day TEXT NOT NULL,
        sender BLOB NOT NULL CHECK (length(sender) = 32),
        size INTEGER NOT NULL CHECK (size > 0),
        padded_len INTEGER NOT NULL,
        item BLOB CHECK ((kind = 'forward_attachment') = (item IS NULL))
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX org_items_by_report ON org_items (report_id, kind);
    CREATE INDEX org_items_by_forward ON org_items (forward_id);
    CREATE TABLE org_item_recipients (
        item_id BLOB NOT NULL REFERENCES org_items (item_id) ON DELETE CASCADE,
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        PRIMARY KEY (item_id, public_key)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX org_item_recipients_by_key ON org_item_recipients (public_key, item_id);
    CREATE TRIGGER org_items_item_id_unique BEFORE INSERT ON org_items
        WHEN EXISTS (SELECT 1 FROM reports WHERE id = NEW.item_id)
            OR EXISTS (SELECT 1 FROM messages WHERE id = NEW.item_id)
            OR EXISTS (SELECT 1 FROM attachments WHERE id = NEW.item_id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER reports_org_item_id_unique BEFORE INSERT ON reports
        WHEN EXISTS (SELECT 1 FROM org_items WHERE item_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER messages_org_item_id_unique BEFORE INSERT ON messages
        WHEN EXISTS (SELECT 1 FROM org_items WHERE item_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER attachments_org_item_id_unique BEFORE INSERT ON attachments
        WHEN EXISTS (SELECT 1 FROM org_items WHERE item_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    ALTER TABLE reports ADD COLUMN channel TEXT NOT NULL DEFAULT 'web'
        CHECK (channel IN ('web', 'oral', 'meeting'));
    ALTER TABLE register ADD COLUMN acknowledged_day TEXT;
    ALTER TABLE register ADD COLUMN feedback_day TEXT;
    ALTER TABLE register ADD COLUMN channel TEXT NOT NULL DEFAULT 'web'
        CHECK (channel IN ('web', 'oral', 'meeting'));
    UPDATE register SET acknowledged_day = r.acknowledged_day, feedback_day = r.feedback_day
        FROM (SELECT id, acknowledged_day, feedback_day FROM reports) AS r
        WHERE register.report_id = r.id;
    CREATE TABLE report_events_v8 (
        seq INTEGER PRIMARY KEY,
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN
            ('closed', 'reopened', 'hold_set', 'hold_removed', 'silence_warning', 'forwarded')),
        advisor_id INTEGER REFERENCES advisors (id),
        detail TEXT
    ) STRICT;
    INSERT INTO report_events_v8 (seq, report_id, day, event, advisor_id, detail)
        SELECT seq, report_id, day, event, advisor_id, detail FROM report_events;
    DROP TABLE report_events;
    ALTER TABLE report_events_v8 RENAME TO report_events;
    CREATE INDEX report_events_by_report ON report_events (report_id, seq);",
    // v9: oral reports and follow-up mailboxes (issue 13). A report's
    // mailbox is its own (`own`, a web report), none yet (`none`, an oral
    // report an advisor registered: a random mailbox id and key nobody
    // holds and an all-zero auth hash no HMAC output equals), or a
    // follow-up mailbox joined to it (`joined`): then `opening_item` is the
    // follow-up's item, `joined_day` the day, and the reporter's mailbox
    // sees only the messages and attachments after the `joined_*_seq`
    // marks (nothing before was sealed to its key). `follow_ups` holds the
    // mailboxes reporters made and no advisor joined yet (deleted on join,
    // or after `expires_day` by the daily retention run); a follow-up's
    // item, mailbox id and key are unique across reports and follow-ups.
    // A report's events gain `joined`.
    "ALTER TABLE reports ADD COLUMN mailbox_state TEXT NOT NULL DEFAULT 'own'
        CHECK (mailbox_state IN ('own', 'none', 'joined'));
    ALTER TABLE reports ADD COLUMN opening_item BLOB;
    ALTER TABLE reports ADD COLUMN joined_day TEXT;
    ALTER TABLE reports ADD COLUMN joined_message_seq INTEGER;
    ALTER TABLE reports ADD COLUMN joined_attachment_seq INTEGER;
    CREATE INDEX reports_by_mailbox_key ON reports (mailbox_key);
    CREATE TABLE follow_ups (
        reference TEXT PRIMARY KEY NOT NULL CHECK (length(reference) = 14),
        item_id BLOB NOT NULL UNIQUE CHECK (length(item_id) = 16),
        mailbox_id BLOB NOT NULL UNIQUE CHECK (length(mailbox_id) = 16),
        mailbox_key BLOB NOT NULL UNIQUE CHECK (length(mailbox_key) = 32),
        auth_hash BLOB NOT NULL CHECK (length(auth_hash) = 32),
        item BLOB NOT NULL,
        padded_len INTEGER NOT NULL,
        created_day TEXT NOT NULL,
        expires_day TEXT NOT NULL
    ) STRICT;
    CREATE INDEX follow_ups_by_expiry ON follow_ups (expires_day);
    CREATE TRIGGER follow_ups_unique BEFORE INSERT ON follow_ups
        WHEN EXISTS (SELECT 1 FROM reports WHERE id = NEW.item_id
                        OR mailbox_id = NEW.mailbox_id OR mailbox_key = NEW.mailbox_key)
            OR EXISTS (SELECT 1 FROM messages WHERE id = NEW.item_id)
            OR EXISTS (SELECT 1 FROM attachments WHERE id = NEW.item_id)
            OR EXISTS (SELECT 1 FROM org_items WHERE item_id = NEW.item_id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER reports_follow_up_unique BEFORE INSERT ON reports
        WHEN EXISTS (SELECT 1 FROM follow_ups WHERE item_id = NEW.id
                        OR mailbox_id = NEW.mailbox_id OR mailbox_key = NEW.mailbox_key)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER messages_follow_up_unique BEFORE INSERT ON messages
        WHEN EXISTS (SELECT 1 FROM follow_ups WHERE item_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TRIGGER attachments_follow_up_unique BEFORE INSERT ON attachments
        WHEN EXISTS (SELECT 1 FROM follow_ups WHERE item_id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'item id in use'); END;
    CREATE TABLE report_events_v9 (
        seq INTEGER PRIMARY KEY,
        report_id BLOB NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
        day TEXT NOT NULL,
        event TEXT NOT NULL CHECK (event IN
            ('closed', 'reopened', 'hold_set', 'hold_removed', 'silence_warning', 'forwarded',
             'joined')),
        advisor_id INTEGER REFERENCES advisors (id),
        detail TEXT
    ) STRICT;
    INSERT INTO report_events_v9 (seq, report_id, day, event, advisor_id, detail)
        SELECT seq, report_id, day, event, advisor_id, detail FROM report_events;
    DROP TABLE report_events;
    ALTER TABLE report_events_v9 RENAME TO report_events;
    CREATE INDEX report_events_by_report ON report_events (report_id, seq);",
    // v10: the tenant's information page (issue 13; `crate::info`): plain
    // texts the operator stores per language (introduction, privacy
    // statement, the procedure as text), the procedure as a PDF and the
    // tenant's own external channels (JSON), and advisors' photos (JPEG or
    // PNG) and short bios. Public configuration: nothing about a report.
    "CREATE TABLE info_texts (
        part TEXT NOT NULL CHECK (part IN ('intro', 'privacy', 'procedure')),
        lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 8),
        text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 100000),
        PRIMARY KEY (part, lang)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE info_files (
        name TEXT PRIMARY KEY NOT NULL CHECK (name IN ('procedure_pdf', 'channels')),
        body BLOB NOT NULL CHECK (length(body) BETWEEN 1 AND 10485760)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE advisor_photos (
        advisor_id INTEGER PRIMARY KEY REFERENCES advisors (id),
        content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
        photo BLOB NOT NULL CHECK (length(photo) BETWEEN 1 AND 2097152)
    ) STRICT;
    CREATE TABLE advisor_bios (
        advisor_id INTEGER NOT NULL REFERENCES advisors (id),
        lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 8),
        text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
        PRIMARY KEY (advisor_id, lang)
    ) STRICT, WITHOUT ROWID;",
    // v11 (issue 14, a faster single node): a new report wrote some twelve
    // WAL pages, one in each B-tree keyed by a random id. Two of those
    // trees go. A report names its register line (`register_number`, a
    // number that only grows), and the register loses its index on the
    // random report id: a report finds its line by number. The recipients
    // kept for the advisors' lists are the advisors' keys only (the mailbox
    // and recovery keys never list anything) under that number, so new
    // rows append at the end of each key's range instead of landing on
    // random pages of two trees. The register keeps its numbering: the
    // sequence is carried over, also past lines that were deleted. When a
    // report is deleted, its recipients go with it (the trigger stands in
    // for the cascade the old table had).
    "ALTER TABLE reports ADD COLUMN register_number INTEGER;
    UPDATE reports SET register_number =
        (SELECT number FROM register WHERE register.report_id = reports.id);
    CREATE UNIQUE INDEX reports_by_register_number ON reports (register_number);
    CREATE TABLE register_v11 (
        number INTEGER PRIMARY KEY AUTOINCREMENT,
        report_id BLOB CHECK (report_id IS NULL OR length(report_id) = 16),
        received_day TEXT NOT NULL,
        category TEXT,
        closing_reason TEXT,
        closed_day TEXT,
        hold_until TEXT,
        hold_reason TEXT,
        deleted_day TEXT,
        acknowledged_day TEXT,
        feedback_day TEXT,
        channel TEXT NOT NULL DEFAULT 'web' CHECK (channel IN ('web', 'oral', 'meeting'))
    ) STRICT;
    INSERT INTO register_v11 (number, report_id, received_day, category, closing_reason,
                              closed_day, hold_until, hold_reason, deleted_day,
                              acknowledged_day, feedback_day, channel)
        SELECT number, report_id, received_day, category, closing_reason, closed_day,
               hold_until, hold_reason, deleted_day, acknowledged_day, feedback_day, channel
        FROM register;
    INSERT INTO sqlite_sequence (name, seq)
        SELECT 'register_v11', 0 WHERE NOT EXISTS
            (SELECT 1 FROM sqlite_sequence WHERE name = 'register_v11');
    UPDATE sqlite_sequence SET seq = max(seq, coalesce(
            (SELECT seq FROM sqlite_sequence WHERE name = 'register'), 0))
        WHERE name = 'register_v11';
    DROP TABLE register;
    ALTER TABLE register_v11 RENAME TO register;
    CREATE TABLE report_recipients_v11 (
        public_key BLOB NOT NULL CHECK (length(public_key) = 32),
        register_number INTEGER NOT NULL,
        PRIMARY KEY (public_key, register_number)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO report_recipients_v11 (public_key, register_number)
        SELECT rr.public_key, r.register_number
        FROM report_recipients rr JOIN reports r ON r.id = rr.report_id
        WHERE r.register_number IS NOT NULL
          AND rr.public_key IN (SELECT public_key FROM advisors);
    DROP TABLE report_recipients;
    ALTER TABLE report_recipients_v11 RENAME TO report_recipients;
    CREATE TRIGGER reports_recipients_go_along AFTER DELETE ON reports
        WHEN OLD.register_number IS NOT NULL
        BEGIN
            DELETE FROM report_recipients
            WHERE public_key IN (SELECT public_key FROM advisors)
              AND register_number = OLD.register_number;
        END;",
];

/// Embedded migrations of the e-mail store (`notices.sqlite`), which is kept
/// apart from every tenant database. Append only: never edit a released
/// entry. Nothing here is readable or linkable without the notice key:
/// `lookup` and `recipient` are keyed hashes, `sealed` is ciphertext, and
/// no time finer than the randomly delayed send time is kept.
pub(crate) const NOTICE_MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE addresses (
        lookup BLOB PRIMARY KEY NOT NULL CHECK (length(lookup) = 32),
        kind TEXT NOT NULL CHECK (kind IN ('reporter', 'advisor')),
        sealed BLOB NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE outbox (
        id BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
        kind TEXT NOT NULL CHECK (kind IN ('reporter_notice', 'advisor_digest')),
        recipient BLOB NOT NULL CHECK (length(recipient) = 32),
        dedupe BLOB UNIQUE CHECK (dedupe IS NULL OR length(dedupe) = 32),
        next_attempt INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        give_up_at INTEGER NOT NULL,
        sealed BLOB NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE UNIQUE INDEX outbox_one_notice_per_reporter ON outbox (recipient)
        WHERE kind = 'reporter_notice';
    CREATE INDEX outbox_due ON outbox (next_attempt);
    CREATE TABLE digest_days (
        day TEXT PRIMARY KEY NOT NULL CHECK (length(day) = 10)
    ) STRICT, WITHOUT ROWID;",
];

/// Opens (creating if needed) a database with the server's settings: WAL,
/// `synchronous=FULL` (an acknowledged write is on disk), foreign keys, a
/// busy timeout, a small page cache (thousands of tenants), and migrates it.
pub(crate) fn open(path: &Path, migrations: &[&str]) -> rusqlite::Result<Connection> {
    let conn = configure(Connection::open(path)?)?;
    migrate(&conn, migrations)?;
    Ok(conn)
}

/// The settings of [`open`], without the migrations.
fn configure(conn: Connection) -> rusqlite::Result<Connection> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    conn.pragma_update(None, "cache_size", -1024)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Opens (creating if needed) a tenant database like [`open`], so that a
/// deleted report leaves nothing behind: `secure_delete` overwrites the
/// content of deleted rows and freed pages with zeros, and
/// `auto_vacuum = INCREMENTAL` lets the lifecycle task hand freed pages
/// back to the file system (`PRAGMA incremental_vacuum`). A database made
/// before this setting is converted once, with a `VACUUM`.
pub(crate) fn open_tenant(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // On a new database this takes effect when the first page is written
    // (before any table exists); on an existing one it changes nothing by
    // itself (see the conversion below).
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    let conn = configure(conn)?;
    migrate(&conn, TENANT_MIGRATIONS)?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    let mode: i64 = conn.pragma_query_value(None, "auto_vacuum", |r| r.get(0))?;
    if mode != 2 {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        conn.execute_batch("VACUUM")?;
    }
    Ok(conn)
}

/// Opens the e-mail store like [`open`], and also overwrites deleted rows
/// (`secure_delete`): a sent notice or a removed address leaves no
/// ciphertext behind in free pages.
pub(crate) fn open_notices(path: &Path) -> rusqlite::Result<Connection> {
    let conn = open(path, NOTICE_MIGRATIONS)?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(conn)
}

/// The schema version a database records in `user_version` (how many
/// migrations it has had). A negative value, which no meldkluis version
/// writes, is an error.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<usize> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    usize::try_from(version).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, version))
}

/// Applies the migrations not yet applied, tracked in `user_version`.
fn migrate(conn: &Connection, migrations: &[&str]) -> rusqlite::Result<()> {
    let version = user_version(conn)?;
    if version > migrations.len() {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "database schema version {version} is newer than this server ({})",
            migrations.len()
        )));
    }
    for (index, sql) in migrations.iter().enumerate().skip(version) {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
            index + 1
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
    }
    Ok(())
}

/// What the worker calls after the commit: delivers the job's answer.
type Completion = Box<dyn FnOnce(Result<(), BatchError>) + Send>;

/// Why the jobs of a batch are not answered with their own outcome.
#[derive(Debug, Clone)]
enum BatchError {
    /// The transaction could not begin or commit, or its fsync failed.
    Failed(String),
    /// Committed and on this disk, but the [`AckGate`] refused (the
    /// replica did not confirm it in time): not acknowledged.
    NotAcknowledged(String),
}

thread_local! {
    /// Set by a job on the worker thread that repeats a write already
    /// committed (an idempotent retry): its batch is answered like one
    /// that wrote, after the fsync and the [`AckGate`].
    static REPLAYED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called inside a job that answers a retried write from what an earlier
/// attempt committed (same item id, same bytes): the answer waits, like a
/// write's, until that earlier write is durable and, with replication,
/// confirmed by the replica (the earlier attempt may have been refused
/// with `not_acknowledged`). A no-op outside a database worker.
pub(crate) fn replayed_write() {
    REPLAYED.with(|replayed| replayed.set(true));
}

/// A queued job: runs on the worker inside the batch transaction.
/// `None` means the batch could not start: the job must fail without running.
type Job = Box<dyn FnOnce(Option<&Connection>) -> Completion + Send>;

/// The outcome of a job as seen by the waiting request.
type Outcome<R> = Result<Result<R, AppError>, Box<dyn Any + Send>>;

/// Counts the database worker threads still running, so a shutdown can
/// wait until every database is closed (WAL checkpointed, files complete).
#[derive(Debug, Clone, Default)]
pub struct Workers(Arc<WorkerCount>);

#[derive(Debug, Default)]
struct WorkerCount {
    running: Mutex<usize>,
    changed: Condvar,
}

impl Workers {
    fn count(&self) -> std::sync::MutexGuard<'_, usize> {
        self.0
            .running
            .lock()
            .expect("worker count lock is never poisoned")
    }

    fn started(&self) {
        *self.count() += 1;
    }

    fn stopped(&self) {
        let mut running = self.count();
        *running = running.saturating_sub(1);
        self.0.changed.notify_all();
    }

    /// Number of database workers running now.
    pub fn running(&self) -> usize {
        *self.count()
    }

    /// Blocks until no worker runs or `timeout` passed; true if none runs.
    pub fn wait_all_closed(&self, timeout: Duration) -> bool {
        let (running, _) = self
            .0
            .changed
            .wait_timeout_while(self.count(), timeout, |n| *n > 0)
            .expect("worker count lock is never poisoned");
        *running == 0
    }
}

/// Marks a worker stopped when its thread ends, however it ends.
struct WorkerGuard(Workers);

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        self.0.stopped();
    }
}

/// A handle to a database worker thread. Cloning shares the worker; the
/// worker finishes the queued jobs and closes the database when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
    /// Its sender lives on the worker thread until the database is closed.
    closed: tokio::sync::watch::Receiver<()>,
    /// Its replicator checkpoints it (see [`AckGate::checkpoints_itself`]):
    /// nobody else may.
    replicator_checkpoints: bool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db(..)")
    }
}

impl Db {
    /// Starts a worker that owns `conn` and groups up to `batch_max` jobs per
    /// commit. With a `gate`, a batch that wrote is answered only once the
    /// gate agreed after its fsync (replication: the replica holds it);
    /// otherwise its jobs fail with `not_acknowledged`.
    pub(crate) fn start(
        conn: Connection,
        name: String,
        batch_max: usize,
        workers: &Workers,
        gate: Option<Arc<dyn AckGate>>,
    ) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let replicator_checkpoints = gate.as_ref().is_some_and(|g| g.checkpoints_itself());
        workers.started();
        let guard = WorkerGuard(workers.clone());
        let (open, closed) = tokio::sync::watch::channel(());
        let spawned = std::thread::Builder::new()
            .name(name)
            .stack_size(256 * 1024)
            .spawn(move || {
                // Dropped after `conn` is closed: the count falls only once
                // the database files are complete.
                let _open = open;
                let _guard = guard;
                worker(conn, queue, batch_max, gate);
            });
        // A thread that did not start dropped its closure, guard included.
        spawned?;
        Ok(Self {
            jobs,
            closed,
            replicator_checkpoints,
        })
    }

    /// True when its replicator checkpoints it: no one else may (no
    /// `wal_checkpoint` on another connection either).
    pub(crate) fn replicator_checkpoints(&self) -> bool {
        self.replicator_checkpoints
    }

    /// Completes once the worker closed the database (every handle dropped
    /// and the queue done). Holds no handle itself.
    pub(crate) fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closed = self.closed.clone();
        async move { while closed.changed().await.is_ok() {} }
    }

    /// Runs `job` on the worker, inside a transaction, and answers once that
    /// transaction is durably committed. Writes of a job that returns an
    /// error are undone. A panic in `job` is re-raised here.
    pub async fn call<R, F>(&self, job: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, AppError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel::<Outcome<R>>();
        let job: Job = Box::new(move |conn: Option<&Connection>| {
            let outcome = match conn {
                Some(conn) => run_in_savepoint(conn, job),
                None => Ok(Err(AppError::new(
                    crate::error::ErrorCode::Unavailable,
                    "no transaction",
                ))),
            };
            Box::new(move |commit: Result<(), BatchError>| {
                let outcome = match (outcome, commit) {
                    (Ok(Ok(_)), Err(BatchError::Failed(why))) => {
                        Ok(Err(AppError::internal(format!("commit failed: {why}"))))
                    }
                    (Ok(Ok(_)), Err(BatchError::NotAcknowledged(why))) => Ok(Err(AppError::new(
                        crate::error::ErrorCode::NotAcknowledged,
                        why,
                    ))),
                    (outcome, _) => outcome,
                };
                let _ = reply.send(outcome);
            })
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::internal("database worker has stopped"))?;
        match answer.await {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(AppError::internal("database worker dropped a job")),
        }
    }
}

/// Runs one job inside a savepoint of the batch transaction.
fn run_in_savepoint<R>(
    conn: &Connection,
    job: impl FnOnce(&Connection) -> Result<R, AppError>,
) -> Outcome<R> {
    // Cached statements: a savepoint per job is cheap only if its SQL is
    // not parsed anew each time.
    let statement = |sql: &str| conn.prepare_cached(sql)?.execute([]);
    if let Err(e) = statement("SAVEPOINT job") {
        return Ok(Err(e.into()));
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| job(conn)));
    let keep = matches!(outcome, Ok(Ok(_)));
    let end = if keep {
        statement("RELEASE job")
    } else {
        statement("ROLLBACK TO job").and_then(|_| statement("RELEASE job"))
    };
    if let Err(e) = end {
        tracing::error!(error = %e, "could not end savepoint");
        return Ok(Err(e.into()));
    }
    outcome
}

/// A committed batch on its way to the syncer: the answers to deliver, how
/// the commit went, and whether it wrote anything (and so needs an fsync).
type Committed = (Vec<Completion>, Result<(), BatchError>, bool);

/// The worker loop: take every queued job (up to `batch_max`), run them in
/// one transaction, commit, and answer them once the commit is on disk.
///
/// Until the first write, the connection runs with `synchronous=FULL`:
/// SQLite fsyncs every commit itself and answers go out at once. After the
/// first write the worker starts its [`Helpers`]: from then on a syncer
/// thread fsyncs the WAL and answers, so the worker already runs the next
/// batch while the disk syncs, and a checkpointer thread copies the WAL into
/// the database file beside it. Durability stays `synchronous=FULL`'s:
/// nothing is answered before the WAL holding it is fsynced. A database
/// that is only read (most open tenants, most of the time) costs no extra
/// threads.
///
/// With an [`AckGate`], a batch that wrote (or repeated a write, see
/// [`replayed_write`]) is answered only after the gate agreed: on the
/// syncer after its fsync, or here, for batches committed with
/// `synchronous=FULL` (the first write among them). Batches that only
/// read never ask the gate.
fn worker(
    conn: Connection,
    queue: mpsc::Receiver<Job>,
    batch_max: usize,
    gate: Option<Arc<dyn AckGate>>,
) {
    if gate.as_ref().is_some_and(|g| g.checkpoints_itself()) {
        if let Err(e) = conn.pragma_update(None, "wal_autocheckpoint", 0) {
            tracing::error!(error = %e, "could not leave checkpoints to the replicator");
        }
    }
    // The statement journal of the savepoints (one per job) stays in
    // memory instead of spilling to a temporary file past 64 KiB: that
    // file's writes took more of a batch than the WAL's (meldkluis-load,
    // server / bare SQLite 0.48 -> 0.84). It holds the pages a batch
    // changed, so it is bounded by `group_commit_max`. Only this
    // connection: a VACUUM elsewhere keeps its copy in a file.
    if let Err(e) = conn.pragma_update(None, "temp_store", "MEMORY") {
        tracing::warn!(error = %e, "statement journal stays in a file");
    }
    let mut helpers: Option<Helpers> = None;
    let mut helpers_tried = false;
    let mut completions: Vec<Completion> = Vec::with_capacity(batch_max);
    while let Ok(first) = queue.recv() {
        if let Some(helpers) = &helpers {
            helpers.finish_restart(&conn);
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let why = e.to_string();
            tracing::error!(error = %why, "could not begin transaction");
            first(None)(Err(BatchError::Failed(why)));
            continue;
        }
        let changes_before = conn.total_changes();
        completions.push(first(Some(&conn)));
        while completions.len() < batch_max {
            match queue.try_recv() {
                Ok(job) => completions.push(job(Some(&conn))),
                Err(_) => break,
            }
        }
        let commit = conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::error!(error = %e, "commit failed");
            BatchError::Failed(e.to_string())
        });
        let changed = conn.total_changes() != changes_before;
        let wrote = REPLAYED.with(|replayed| replayed.replace(false)) || changed;
        let batch = std::mem::replace(&mut completions, Vec::with_capacity(batch_max));
        match &helpers {
            Some(helpers) => helpers.answer_when_synced(batch, commit, wrote),
            None => {
                // Committed with synchronous=FULL: already on disk.
                let commit = match &gate {
                    Some(gate) if wrote => commit.and_then(|()| acknowledge(gate.as_ref())),
                    _ => commit,
                };
                for completion in batch {
                    completion(commit.clone());
                }
                if changed && !helpers_tried {
                    helpers_tried = true;
                    helpers = Helpers::start(&conn, gate.clone());
                }
            }
        }
    }
    if let Some(helpers) = helpers {
        helpers.stop();
    }
}

/// The threads beside a worker that writes: the syncer (fsync and answer)
/// and, if it could start, the checkpointer.
struct Helpers {
    to_syncer: mpsc::Sender<Committed>,
    syncer: std::thread::JoinHandle<()>,
    checkpointer: Option<std::thread::JoinHandle<()>>,
    /// Set by the checkpointer: the WAL is long, copy its last pages.
    restart_wanted: Arc<std::sync::atomic::AtomicBool>,
}

impl Helpers {
    /// Starts the helpers for `conn` and hands fsync (and, with a
    /// checkpointer, checkpoints) to them; `None` leaves the connection as
    /// it was (SQLite syncing and checkpointing in the worker).
    fn start(conn: &Connection, gate: Option<Arc<dyn AckGate>>) -> Option<Self> {
        let in_wal_mode = conn
            .pragma_query_value(None, "journal_mode", |row| row.get::<_, String>(0))
            .is_ok_and(|mode| mode.eq_ignore_ascii_case("wal"));
        let path = conn.path().filter(|path| in_wal_mode && !path.is_empty())?;
        // Opened once: the WAL file stays (the same file, restarted in
        // place) as long as the worker's connection is open.
        let wal = std::fs::File::open(format!("{path}-wal"))
            .map_err(|e| tracing::error!(error = %e, "cannot open the WAL; syncing in the worker"))
            .ok()?;
        let restart_wanted = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (to_checkpointer, wrote_signal) = mpsc::channel::<()>();
        // A replicated database is checkpointed by its replicator alone
        // (see [`AckGate::checkpoints_itself`]).
        let checkpoints_here = !gate.as_ref().is_some_and(|g| g.checkpoints_itself());
        let checkpointer = if checkpoints_here {
            Connection::open(path)
                .and_then(|c| {
                    c.busy_timeout(std::time::Duration::from_secs(5))?;
                    c.pragma_update(None, "synchronous", "FULL")?;
                    Ok(c)
                })
                .map_err(|e| tracing::error!(error = %e, "no checkpoint connection; checkpointing in the worker"))
                .ok()
                .and_then(|checkpoints| {
                    let restart_wanted = Arc::clone(&restart_wanted);
                    std::thread::Builder::new()
                        .name("db-checkpoint".into())
                        .stack_size(128 * 1024)
                        .spawn(move || checkpointer(&checkpoints, &wrote_signal, &restart_wanted))
                        .map_err(|e| tracing::error!(error = %e, "could not start the checkpointer"))
                        .ok()
                })
        } else {
            None
        };
        let (to_syncer, committed) = mpsc::channel::<Committed>();
        let to_checkpointer = checkpointer.is_some().then_some(to_checkpointer);
        // Asking the gate means a socket, JSON and logging: more stack.
        let stack = if gate.is_some() {
            256 * 1024
        } else {
            64 * 1024
        };
        let syncer = std::thread::Builder::new()
            .name("db-sync".into())
            .stack_size(stack)
            .spawn(move || syncer(wal, committed, to_checkpointer, gate))
            .map_err(|e| tracing::error!(error = %e, "could not start the syncer; syncing in the worker"))
            .ok()?;
        if let Err(e) = conn.pragma_update(None, "synchronous", "NORMAL") {
            // Still FULL: SQLite syncs too; slower, as durable.
            tracing::error!(error = %e, "could not hand fsync to the syncer");
        }
        if checkpointer.is_some() || !checkpoints_here {
            if let Err(e) = conn.pragma_update(None, "wal_autocheckpoint", 0) {
                tracing::error!(error = %e, "could not hand checkpoints to the checkpointer");
            }
        }
        Some(Self {
            to_syncer,
            syncer,
            checkpointer,
            restart_wanted,
        })
    }

    /// Every batch, also one that only read, is answered through the
    /// syncer in commit order, so no answer can show data that is not yet
    /// on disk (with `synchronous=FULL`, SQLite gives readers the same
    /// guarantee).
    fn answer_when_synced(
        &self,
        batch: Vec<Completion>,
        commit: Result<(), BatchError>,
        wrote: bool,
    ) {
        if let Err(mpsc::SendError((batch, _, _))) = self.to_syncer.send((batch, commit, wrote)) {
            for completion in batch {
                completion(Err(BatchError::Failed("the syncer has stopped".into())));
            }
        }
    }

    /// When the checkpointer asks: between two batches, the worker copies
    /// the last pages of a long WAL (the checkpointer copied the rest; no
    /// write can come between), so its next commit starts the WAL from the
    /// beginning again.
    fn finish_restart(&self, conn: &Connection) {
        if self
            .restart_wanted
            .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "checkpoint in the worker failed");
            }
        }
    }

    fn stop(self) {
        drop(self.to_syncer);
        if self.syncer.join().is_err() {
            tracing::error!("the syncer panicked");
        }
        if let Some(handle) = self.checkpointer {
            if handle.join().is_err() {
                tracing::error!("the checkpointer panicked");
            }
        }
    }
}

/// Makes committed batches durable and answers them: one fsync of the WAL
/// covers every batch committed before it started, and with a `gate`, one
/// confirmation covers every batch that wrote.
fn syncer(
    wal: std::fs::File,
    committed: mpsc::Receiver<Committed>,
    checkpointer: Option<mpsc::Sender<()>>,
    gate: Option<Arc<dyn AckGate>>,
) {
    while let Ok(first) = committed.recv() {
        let mut batches = vec![first];
        while let Ok(more) = committed.try_recv() {
            batches.push(more);
        }
        let needs_sync = batches
            .iter()
            .any(|(_, commit, wrote)| *wrote && commit.is_ok());
        let synced = if needs_sync {
            wal.sync_data()
                .map_err(|e| BatchError::Failed(format!("fsync of the WAL: {e}")))
        } else {
            Ok(())
        };
        if let Err(why) = &synced {
            tracing::error!(error = ?why, "could not make a commit durable");
        }
        let acknowledged = match &gate {
            Some(gate) if needs_sync && synced.is_ok() => acknowledge(gate.as_ref()),
            _ => Ok(()),
        };
        for (batch, commit, wrote) in batches {
            let outcome = commit.and(synced.clone());
            let outcome = if wrote {
                outcome.and(acknowledged.clone())
            } else {
                outcome
            };
            for completion in batch {
                completion(outcome.clone());
            }
        }
        if needs_sync {
            if let Some(checkpointer) = &checkpointer {
                let _ = checkpointer.send(());
            }
        }
    }
}

/// Asks the gate whether the batches that wrote may be acknowledged.
fn acknowledge(gate: &dyn AckGate) -> Result<(), BatchError> {
    gate.before_ack()
        .map_err(|refused| BatchError::NotAcknowledged(refused.reason))
}

/// How often the checkpointer copies WAL pages into the database file
/// while writes go on.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// WAL frames (pages, 64 MiB of 4 KiB) after which the WAL is started
/// from its beginning again. Passive checkpoints never stop the worker
/// but, with writes going on, never copy the very last pages either, and
/// SQLite restarts the WAL only once every page is copied: without the
/// worker's help the WAL would only grow. Each restart costs the worker a
/// short stall (`meldkluis-load`: p99 about 42 ms with 8,192 frames, 34 ms
/// with 16,384, 20 ms with no restart in the run), and the WAL file keeps
/// its largest size while the database is open.
const WAL_RESTART_FRAMES: i64 = 16_384;

/// Copies committed pages from the WAL into the database file, on its own
/// connection and thread, so the worker seldom stops for a checkpoint:
/// passive checkpoints at most every [`CHECKPOINT_INTERVAL`] while there
/// are writes. Past [`WAL_RESTART_FRAMES`] it copies once more and asks the
/// worker to copy the few pages written meanwhile, between two batches,
/// which lets the next commit restart the WAL. Checkpoints are SQLite's
/// own (fsync of the WAL before, of the database after), so they never put
/// a commit at risk.
fn checkpointer(
    conn: &Connection,
    wrote: &mpsc::Receiver<()>,
    restart_wanted: &std::sync::atomic::AtomicBool,
) {
    let checkpoint = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
        })
        .inspect_err(|e| tracing::warn!(error = %e, mode, "checkpoint failed"))
        .ok()
    };
    while wrote.recv().is_ok() {
        while wrote.try_recv().is_ok() {}
        if let Some((_, frames)) = checkpoint("PASSIVE") {
            if frames >= WAL_RESTART_FRAMES && checkpoint("PASSIVE").is_some() {
                restart_wanted.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        std::thread::sleep(CHECKPOINT_INTERVAL);
    }
}

/// Runs blocking work (file I/O, opening databases) off the async threads;
/// a panic inside is re-raised in the caller.
pub async fn blocking<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> R {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("blocking task was cancelled: {e}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `t.sqlite` with one table `t (x INTEGER PRIMARY KEY)` in a new
    /// directory, served by a worker of up to 8 jobs a batch that asks
    /// `gate`.
    fn table_t(gate: Option<Arc<dyn AckGate>>) -> (tempfile::TempDir, Workers, Db) {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(
            &dir.path().join("t.sqlite"),
            &["CREATE TABLE t (x INTEGER PRIMARY KEY)"],
        )
        .expect("open");
        let workers = Workers::default();
        let db = Db::start(conn, "test-db".into(), 8, &workers, gate).expect("start");
        (dir, workers, db)
    }

    #[tokio::test]
    async fn failed_job_rolls_back_only_itself() {
        let (dir, workers, db) = table_t(None);
        let ok = db.call(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?));
        let bad = db.call(|c| {
            c.execute("INSERT INTO t VALUES (2)", [])?;
            Err::<(), _>(AppError::bad_request("no"))
        });
        let (ok, bad) = tokio::join!(ok, bad);
        assert_eq!(ok.expect("insert"), 1);
        assert!(bad.is_err());
        let rows: i64 = db
            .call(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .await
            .expect("count");
        assert_eq!(rows, 1);
        let dup = db
            .call(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?))
            .await;
        assert_eq!(
            dup.expect_err("duplicate").code(),
            crate::error::ErrorCode::Conflict
        );
        assert_eq!(workers.running(), 1);
        drop(db);
        assert!(workers.wait_all_closed(Duration::from_secs(10)));
        assert!(
            !dir.path().join("t.sqlite-wal").exists(),
            "closing checkpointed and removed the WAL"
        );
    }

    #[tokio::test]
    async fn only_the_worker_keeps_its_statement_journal_in_memory() {
        let (dir, workers, db) = table_t(None);
        let in_worker: i64 = db
            .call(|c| Ok(c.query_row("PRAGMA temp_store", [], |r| r.get(0))?))
            .await
            .expect("temp_store");
        assert_eq!(in_worker, 2, "MEMORY on the worker's connection");
        let other =
            configure(Connection::open(dir.path().join("t.sqlite")).expect("another connection"))
                .expect("configured");
        let elsewhere: i64 = other
            .query_row("PRAGMA temp_store", [], |r| r.get(0))
            .expect("temp_store");
        assert_ne!(elsewhere, 2, "a VACUUM elsewhere keeps its copy in a file");
        drop((other, db));
        assert!(workers.wait_all_closed(Duration::from_secs(10)));
    }

    /// A gate that counts its calls and refuses while told to.
    #[derive(Default)]
    struct TestGate {
        calls: std::sync::atomic::AtomicUsize,
        refuse: std::sync::atomic::AtomicBool,
        /// What [`AckGate::checkpoints_itself`] answers.
        replicator_checkpoints: bool,
    }

    impl AckGate for TestGate {
        fn checkpoints_itself(&self) -> bool {
            self.replicator_checkpoints
        }

        fn before_ack(&self) -> Result<(), crate::replication::NotAcknowledged> {
            use std::sync::atomic::Ordering::SeqCst;
            self.calls.fetch_add(1, SeqCst);
            if self.refuse.load(SeqCst) {
                return Err(crate::replication::NotAcknowledged {
                    reason: "test".into(),
                });
            }
            Ok(())
        }
    }

    /// Litestream's guarantee (no WAL frame is checkpointed before it has
    /// copied it) holds only while it is the one checkpointer: behind a
    /// gate that says so, the worker never checkpoints, neither with its
    /// checkpointer thread nor with SQLite's automatic checkpoint (both of
    /// which would run here: 5 MB of writes, over 1,000 WAL pages), and the
    /// database file keeps its size. Behind a gate that leaves checkpoints
    /// to the worker, the same writes reach the file.
    #[tokio::test]
    async fn a_worker_never_checkpoints_a_database_its_replicator_checkpoints() {
        for replicator_checkpoints in [true, false] {
            let gate = Arc::new(TestGate {
                replicator_checkpoints,
                ..TestGate::default()
            });
            let (dir, _workers, db) = table_t(Some(gate));
            let file = dir.path().join("t.sqlite");
            db.call(|c| Ok(c.execute_batch("CREATE TABLE b (x BLOB)")?))
                .await
                .expect("table");
            let before = std::fs::metadata(&file).expect("file").len();
            for _ in 0..5 {
                db.call(|c| Ok(c.execute("INSERT INTO b VALUES (zeroblob(1000000))", [])?))
                    .await
                    .expect("insert");
            }
            // The checkpointer runs at most every 100 ms.
            tokio::time::sleep(Duration::from_millis(600)).await;
            let after = std::fs::metadata(&file).expect("file").len();
            let wal = std::fs::metadata(dir.path().join("t.sqlite-wal"))
                .expect("wal")
                .len();
            if replicator_checkpoints {
                assert_eq!(after, before, "the worker checkpointed (WAL {wal} bytes)");
                assert!(wal > 5_000_000, "the writes are all in the WAL: {wal}");
            } else {
                assert!(
                    after > before + 4_000_000,
                    "the worker's checkpoints copy the writes into the file: {before} -> {after}"
                );
            }
        }
    }

    #[tokio::test]
    async fn writes_wait_for_the_gate_and_reads_never_ask_it() {
        use std::sync::atomic::Ordering::SeqCst;
        let gate = Arc::new(TestGate::default());
        let (_dir, workers, db) = table_t(Some(gate.clone()));
        let count =
            || db.call(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?));
        assert_eq!(count().await.expect("read"), 0);
        assert_eq!(gate.calls.load(SeqCst), 0, "a read does not ask the gate");
        // The first write (committed with synchronous=FULL, in the worker)
        // is refused when the gate refuses; it stays committed locally.
        gate.refuse.store(true, SeqCst);
        let refused = db
            .call(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?))
            .await;
        assert_eq!(
            refused.expect_err("refused").code(),
            crate::error::ErrorCode::NotAcknowledged
        );
        assert_eq!(gate.calls.load(SeqCst), 1);
        // Later writes (through the syncer) too.
        let refused = db
            .call(|c| Ok(c.execute("INSERT INTO t VALUES (2)", [])?))
            .await;
        assert_eq!(
            refused.expect_err("refused").code(),
            crate::error::ErrorCode::NotAcknowledged
        );
        assert_eq!(gate.calls.load(SeqCst), 2);
        assert_eq!(count().await.expect("read"), 2, "kept locally");
        assert_eq!(gate.calls.load(SeqCst), 2);
        // A retry that writes nothing but repeats a write asks the gate.
        gate.refuse.store(false, SeqCst);
        db.call(|_| {
            replayed_write();
            Ok(())
        })
        .await
        .expect("replay acknowledged");
        assert_eq!(gate.calls.load(SeqCst), 3);
        db.call(|c| Ok(c.execute("INSERT INTO t VALUES (3)", [])?))
            .await
            .expect("acknowledged");
        assert_eq!(gate.calls.load(SeqCst), 4);
        // A failing job's own error is kept, not replaced by the gate's.
        gate.refuse.store(true, SeqCst);
        let dup = db
            .call(|c| Ok(c.execute("INSERT INTO t VALUES (3)", [])?))
            .await;
        assert_eq!(
            dup.expect_err("duplicate").code(),
            crate::error::ErrorCode::Conflict
        );
        drop(db);
        assert!(workers.wait_all_closed(Duration::from_secs(10)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_while_writes_go_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.sqlite");
        let conn = open(&path, &["CREATE TABLE t (x INTEGER PRIMARY KEY, b BLOB)"]).expect("open");
        let workers = Workers::default();
        let db = Arc::new(Db::start(conn, "test-db".into(), 16, &workers, None).expect("start"));
        // 48,000 rows of 4 KiB: more than 384 MiB of WAL frames if nothing
        // ever restarted the WAL; with restarts, 64 MiB and what a few
        // checkpoint intervals add at this (unusually fast) rate.
        let (clients, per_client) = (32, 1500);
        let writers: Vec<_> = (0..clients)
            .map(|client| {
                let db = Arc::clone(&db);
                tokio::spawn(async move {
                    for i in 0..per_client {
                        let row = client * per_client + i;
                        db.call(move |c| {
                            Ok(c.execute("INSERT INTO t VALUES (?1, zeroblob(4096))", [row])?)
                        })
                        .await
                        .expect("insert");
                    }
                })
            })
            .collect();
        let wal = dir.path().join("t.sqlite-wal");
        let mut largest_wal = 0;
        while !writers.iter().all(tokio::task::JoinHandle::is_finished) {
            largest_wal = largest_wal.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for writer in writers {
            writer.await.expect("writer");
        }
        let rows: i64 = db
            .call(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .await
            .expect("count");
        assert_eq!(rows, clients * per_client);
        eprintln!("largest WAL: {} KiB", largest_wal >> 10);
        assert!(
            largest_wal < 192 << 20,
            "the WAL was restarted on the way: at most {largest_wal} bytes"
        );
        assert!(
            std::fs::metadata(&path).expect("database").len() > 128 << 20,
            "pages were copied into the database file while writing"
        );
        drop(db);
        assert!(workers.wait_all_closed(Duration::from_secs(10)));
    }

    #[test]
    fn tenant_databases_vacuum_incrementally_and_delete_securely_new_or_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mode = |conn: &Connection, pragma: &str| -> i64 {
            conn.pragma_query_value(None, pragma, |r| r.get(0))
                .expect("pragma")
        };
        let new = open_tenant(&dir.path().join("new.sqlite")).expect("new");
        assert_eq!(mode(&new, "auto_vacuum"), 2, "incremental from the start");
        assert_eq!(mode(&new, "secure_delete"), 1);
        // A database made before the setting is converted when opened.
        let old_path = dir.path().join("old.sqlite");
        drop(open(&old_path, TENANT_MIGRATIONS).expect("old"));
        let old = Connection::open(&old_path).expect("old again");
        assert_eq!(mode(&old, "auto_vacuum"), 0);
        drop(old);
        let converted = open_tenant(&old_path).expect("converted");
        assert_eq!(mode(&converted, "auto_vacuum"), 2);
        assert_eq!(mode(&converted, "secure_delete"), 1);
    }

    #[test]
    fn migrations_are_idempotent_and_refuse_newer_schemas() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.sqlite");
        drop(open(&path, TENANT_MIGRATIONS).expect("first open"));
        drop(open(&path, TENANT_MIGRATIONS).expect("second open"));
        assert!(open(&path, &[]).is_err());
        let notices = dir.path().join("n.sqlite");
        drop(open_notices(&notices).expect("first open"));
        drop(open_notices(&notices).expect("second open"));
    }

    #[test]
    fn the_organisation_migration_fills_the_register_and_keeps_the_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.sqlite");
        let conn = open(&path, &TENANT_MIGRATIONS[..7]).expect("v7");
        conn.execute_batch(
            "INSERT INTO advisors (id, public_key, display_name, added_day) VALUES (1, zeroblob(32), 'a', '2026-01-01');
             INSERT INTO reports (id, mailbox_id, mailbox_key, auth_hash, item, padded_len, created_day,
                                  status, status_day, acknowledged_day, feedback_day, closed_day, closing_reason)
             VALUES (x'01010101010101010101010101010101', x'01010101010101010101010101010101', zeroblob(32),
                     zeroblob(32), x'00', 1, '2026-01-01', 'closed', '2026-03-01', '2026-01-02', '2026-02-01',
                     '2026-03-01', 'resolved');
             INSERT INTO register (report_id, received_day, closing_reason, closed_day)
             VALUES (x'01010101010101010101010101010101', '2026-01-01', 'resolved', '2026-03-01');
             INSERT INTO register (received_day, deleted_day) VALUES ('2025-01-01', '2026-01-01');
             INSERT INTO report_events (report_id, day, event, advisor_id, detail)
             VALUES (x'01010101010101010101010101010101', '2026-03-01', 'closed', 1, 'resolved');",
        )
        .expect("v7 data");
        drop(conn);
        let conn = open(&path, TENANT_MIGRATIONS).expect("migrated");
        let lines: Vec<(Option<String>, Option<String>, String)> = conn
            .prepare("SELECT acknowledged_day, feedback_day, channel FROM register ORDER BY number")
            .expect("query")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(
            lines,
            [
                (
                    Some("2026-01-02".into()),
                    Some("2026-02-01".into()),
                    "web".into()
                ),
                (None, None, "web".into())
            ]
        );
        let events: i64 = conn
            .query_row(
                "SELECT count(*) FROM report_events WHERE event = 'closed'",
                [],
                |r| r.get(0),
            )
            .expect("events");
        assert_eq!(events, 1, "the events survive the rebuilt table");
        conn.execute(
            "INSERT INTO report_events (report_id, day, event) VALUES (x'01010101010101010101010101010101', '2026-03-02', 'forwarded')",
            [],
        )
        .expect("a forwarded event");
    }

    #[test]
    fn the_register_number_migration_keeps_numbering_and_only_advisor_recipients() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.sqlite");
        let conn = open(&path, &TENANT_MIGRATIONS[..10]).expect("v10");
        let key = |b: u8| format!("x'{}'", format!("{b:02x}").repeat(32));
        let id = |b: u8| format!("x'{}'", format!("{b:02x}").repeat(16));
        let (advisor_a, advisor_b, mailbox, recovery) =
            (key(0xa1), key(0xb2), key(0xc3), key(0xd4));
        let mut sql = format!(
            "INSERT INTO advisors (id, public_key, display_name, added_day) VALUES
                 (1, {advisor_a}, 'a', '2026-01-01'), (2, {advisor_b}, 'b', '2026-01-01');"
        );
        for report in [1u8, 2] {
            sql += &format!(
                "INSERT INTO reports (id, mailbox_id, mailbox_key, auth_hash, item, padded_len, created_day)
                 VALUES ({rid}, {rid}, {mailbox}, zeroblob(32), x'00', 1, '2026-01-01');
                 INSERT INTO register (report_id, received_day) VALUES ({rid}, '2026-01-01');",
                rid = id(report)
            );
        }
        // Report 1 sealed to advisor a, its mailbox and a recovery key;
        // report 2 to both advisors. Register line 3 outlived its report,
        // line 4 was deleted at the end of its retention.
        sql += &format!(
            "INSERT INTO report_recipients (report_id, public_key) VALUES
                 ({r1}, {advisor_a}), ({r1}, {mailbox}), ({r1}, {recovery}),
                 ({r2}, {advisor_a}), ({r2}, {advisor_b});
             INSERT INTO register (received_day, deleted_day) VALUES ('2025-01-01', '2026-01-01');
             INSERT INTO register (received_day, deleted_day) VALUES ('2025-01-02', '2026-01-02');
             DELETE FROM register WHERE number = 4;",
            r1 = id(1),
            r2 = id(2)
        );
        conn.execute_batch(&sql).expect("v10 data");
        drop(conn);

        let conn = open(&path, TENANT_MIGRATIONS).expect("migrated");
        let numbers: Vec<i64> = conn
            .prepare("SELECT register_number FROM reports ORDER BY id")
            .expect("query")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(numbers, [1, 2], "each report names its register line");
        let recipients: Vec<(Vec<u8>, i64)> = conn
            .prepare("SELECT public_key, register_number FROM report_recipients ORDER BY 1, 2")
            .expect("query")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(
            recipients,
            [
                (vec![0xa1; 32], 1),
                (vec![0xa1; 32], 2),
                (vec![0xb2; 32], 2)
            ],
            "the advisors' keys stay, the mailbox and recovery keys go"
        );
        conn.execute(
            "INSERT INTO register (received_day) VALUES ('2026-02-01')",
            [],
        )
        .expect("a new line");
        assert_eq!(
            conn.last_insert_rowid(),
            5,
            "numbering goes on past the deleted line 4"
        );
        let register_indexes: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_index_list('register')",
                [],
                |r| r.get(0),
            )
            .expect("indexes");
        assert_eq!(register_indexes, 0, "no index on the random report id");
        conn.execute(&format!("DELETE FROM reports WHERE id = {}", id(2)), [])
            .expect("delete report 2");
        let left: i64 = conn
            .query_row("SELECT count(*) FROM report_recipients", [], |r| r.get(0))
            .expect("count");
        assert_eq!(left, 1, "a deleted report's recipients go with it");
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(check, "ok");
        let broken: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .expect("foreign keys");
        assert_eq!(broken, 0);
    }

    #[test]
    fn the_acknowledgement_migration_takes_the_earliest_evidence() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.sqlite");
        let conn = open(&path, &TENANT_MIGRATIONS[..1]).expect("v1");
        conn.execute_batch(
            "INSERT INTO advisors (id, public_key, display_name, added_day) VALUES (1, zeroblob(32), 'a', '2026-01-01');
             INSERT INTO reports (id, mailbox_id, mailbox_key, auth_hash, item, padded_len, created_day, status, status_day)
             VALUES (x'01010101010101010101010101010101', x'01010101010101010101010101010101', zeroblob(32), zeroblob(32), x'00', 1, '2026-01-01', 'closed', '2026-03-01'),
                    (x'02020202020202020202020202020202', x'02020202020202020202020202020202', zeroblob(32), zeroblob(32), x'00', 1, '2026-01-01', 'new', NULL),
                    (x'03030303030303030303030303030303', x'03030303030303030303030303030303', zeroblob(32), zeroblob(32), x'00', 1, '2026-01-01', 'new', NULL);
             INSERT INTO messages (id, report_id, from_advisor, item, padded_len, created_day)
             VALUES (x'11111111111111111111111111111111', x'01010101010101010101010101010101', 1, x'00', 1, '2026-01-03'),
                    (x'22222222222222222222222222222222', x'03030303030303030303030303030303', NULL, x'00', 1, '2026-01-02');",
        )
        .expect("v1 data");
        drop(conn);
        let conn = open(&path, TENANT_MIGRATIONS).expect("migrated");
        let days: Vec<Option<String>> = conn
            .prepare("SELECT acknowledged_day FROM reports ORDER BY id")
            .expect("query")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(days, [Some("2026-01-03".to_owned()), None, None]);
    }
}
