//! A tenant's end of life: `tenant export NAME DIR` hands the organisation
//! every item of its tenant (ciphertext, as stored) and its register, in
//! the documented format [`FORMAT`] (server/EXPORT.md), which the advisors'
//! tool opens (`meldkluis-advisor archive open`); `tenant delete NAME`,
//! only after such an export and with the tenant's name typed as
//! confirmation, leaves nothing of the tenant behind: the deletion log
//! first, then its notice addresses, its row and its directory.
//!
//! The export holds nothing the server could read either: reports,
//! messages, attachments and key grants are sealed to the tenant's keys.
//! Its register, advisors' names and public keys are plain, as on the
//! server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meldkluis_crypto_core::TenantId;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Digest as _;

use crate::backup::{self, BackupError, ManifestFile};
use crate::config::Config;
use crate::dates::Day;
use crate::db;
use crate::deletion_log::{DeletionLog, DeletionLogError, Entry};
use crate::retention;
use crate::store;
use crate::store::REGISTER_COLUMNS;
use crate::tenants::{read_record, Layout};

/// The format name of a tenant export's manifest.
pub const FORMAT: &str = "meldkluis-tenant-export/1";

/// Why an export or a tenant deletion failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// There is no such tenant.
    #[error("no tenant {0}")]
    NoSuchTenant(String),
    /// `tenant delete` before any export of the tenant.
    #[error(
        "tenant {0} was never exported: run `meldkluis-server tenant export {0} DIR` first \
         and hand the export to the organisation"
    )]
    NotExported(String),
    /// The tenant changed after its last export.
    #[error(
        "tenant {tenant} changed after its export of {day} ({then} then, {now} now): \
         export it again (disable it first, so nothing changes meanwhile)"
    )]
    ChangedSinceExport {
        /// The tenant.
        tenant: String,
        /// The day of the last export.
        day: String,
        /// What the export held.
        then: String,
        /// What the tenant holds now.
        now: String,
    },
    /// The confirmation was not the tenant's name.
    #[error("not confirmed: type the tenant's id ({0}) to delete it, or pass --confirm {0}")]
    NotConfirmed(String),
    /// A file, database or manifest failed.
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// The deletion log failed.
    #[error(transparent)]
    DeletionLog(#[from] DeletionLogError),
}

fn db_err(path: &Path) -> impl FnOnce(rusqlite::Error) -> ExportError + '_ {
    move |e| ExportError::Backup(backup::db_at(path)(e))
}

/// What an export holds, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Reports (threads).
    pub reports: u64,
    /// Messages.
    pub messages: u64,
    /// Attachments.
    pub attachments: u64,
    /// Key grants.
    pub grants: u64,
    /// Register lines.
    pub register_lines: u64,
    /// Management and forward recipients, current or removed (absent in
    /// exports made before they existed: 0).
    #[serde(default)]
    pub recipients: u64,
    /// Items for recipients: figures reports, forwards and the forwards'
    /// attachments (absent in exports made before they existed: 0).
    #[serde(default)]
    pub organisation_items: u64,
    /// Follow-up mailboxes no advisor joined yet (issue 13; absent in
    /// exports made before they existed: 0).
    #[serde(default)]
    pub follow_ups: u64,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} reports, {} messages, {} attachments, {} grants, {} register lines, \
             {} recipients, {} items for recipients, {} follow-up mailboxes",
            self.reports,
            self.messages,
            self.attachments,
            self.grants,
            self.register_lines,
            self.recipients,
            self.organisation_items,
            self.follow_ups
        )
    }
}

/// A tenant export's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportManifest {
    /// [`FORMAT`].
    pub format: String,
    /// The tenant id.
    pub tenant: String,
    /// The tenant's display name.
    pub name: String,
    /// The day (UTC) of the export.
    pub day: String,
    /// The server version that made it.
    pub server_version: String,
    /// The tenant database's schema version.
    pub tenant_schema: usize,
    /// What it holds.
    pub counts: Counts,
    /// Every file but the manifest, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// What an export did.
#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    /// Where.
    pub dir: PathBuf,
    /// What it holds.
    pub counts: Counts,
    /// SHA-256 of its manifest (recorded in the server database).
    pub manifest_sha256: String,
}

/// The live counts of a tenant database.
fn counts(conn: &Connection) -> rusqlite::Result<Counts> {
    let count = |sql: &str| -> rusqlite::Result<u64> {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| u64::try_from(n).unwrap_or(0))
    };
    Ok(Counts {
        reports: count("SELECT count(*) FROM reports")?,
        messages: count("SELECT count(*) FROM messages")?,
        attachments: count("SELECT count(*) FROM attachments")?,
        grants: count("SELECT count(*) FROM key_grants")?,
        register_lines: count("SELECT count(*) FROM register")?,
        recipients: count("SELECT count(*) FROM org_recipients")?,
        organisation_items: count("SELECT count(*) FROM org_items")?,
        follow_ups: count("SELECT count(*) FROM follow_ups")?,
    })
}

/// The follow-up mailboxes waiting to be joined (issue 13): reference,
/// mailbox key, days and the sealed follow-up item.
fn follow_ups(conn: &Connection) -> rusqlite::Result<Vec<Value>> {
    conn.prepare(
        "SELECT reference, mailbox_key, created_day, expires_day, item FROM follow_ups
         ORDER BY created_day, reference",
    )?
    .query_map([], |r| {
        Ok(json!({
            "reference": r.get::<_, String>(0)?,
            "mailbox_public_key": hex::encode(r.get::<_, Vec<u8>>(1)?),
            "created_day": r.get::<_, String>(2)?,
            "expires_day": r.get::<_, String>(3)?,
            "item": crate::wire::encode_base64(&r.get::<_, Vec<u8>>(4)?),
        }))
    })?
    .collect()
}

/// One line of the register, as the advisors' register shows it.
fn register(conn: &Connection) -> rusqlite::Result<Vec<BTreeMap<&'static str, Value>>> {
    let lifecycle = retention::lifecycle(conn)?;
    let mut statement = conn.prepare(
        "SELECT number, received_day, category, closing_reason, closed_day, hold_until,
                hold_reason, deleted_day, acknowledged_day, feedback_day, channel
         FROM register ORDER BY number",
    )?;
    let lines = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                (
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, String>(10)?,
                ),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lines
        .into_iter()
        .map(
            |(
                number,
                received,
                category,
                reason,
                closed,
                hold_until,
                hold_reason,
                deleted,
                (acknowledged, feedback, channel),
            )| {
                let deletion_day = match (&closed, &deleted) {
                    (Some(closed), None) => Day::parse(closed).map(|closed| {
                        lifecycle
                            .deletion_day(closed, hold_until.as_deref().and_then(Day::parse))
                            .to_string()
                    }),
                    _ => None,
                };
                let values = [
                    json!(number),
                    json!(received),
                    json!(category),
                    json!(reason),
                    json!(closed),
                    json!(hold_until),
                    json!(hold_reason),
                    json!(deletion_day),
                    json!(deleted),
                    json!(acknowledged),
                    json!(feedback),
                    json!(channel),
                ];
                REGISTER_COLUMNS.into_iter().zip(values).collect()
            },
        )
        .collect())
}

/// A CSV field: quoted when it holds a comma, quote or line break.
fn csv_field(value: &Value) -> String {
    let text = match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn register_csv(lines: &[BTreeMap<&'static str, Value>]) -> String {
    let mut csv = REGISTER_COLUMNS.join(",");
    csv.push_str("\r\n");
    for line in lines {
        let fields: Vec<String> = REGISTER_COLUMNS
            .iter()
            .map(|c| csv_field(line.get(c).unwrap_or(&Value::Null)))
            .collect();
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// Every key grant of a report, to any key, with grantee and grantor.
fn all_grants(conn: &Connection, report_id: &[u8; 16]) -> rusqlite::Result<Vec<Value>> {
    let mut statement = conn.prepare_cached(
        "SELECT item_id, grantee, grantor, grant_bytes, created_day FROM key_grants
         WHERE report_id = ?1 ORDER BY item_id, grantee, grantor",
    )?;
    let grants = statement
        .query_map([report_id], |r| {
            Ok(json!({
                "item_id": hex::encode(r.get::<_, Vec<u8>>(0)?),
                "grantee": hex::encode(r.get::<_, Vec<u8>>(1)?),
                "grantor": hex::encode(r.get::<_, Vec<u8>>(2)?),
                "grant": crate::wire::encode_base64(&r.get::<_, Vec<u8>>(3)?),
                "created_day": r.get::<_, String>(4)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(grants)
}

/// Every item for recipients, oldest first: its metadata (with the keys it
/// is sealed to) and, for a figures report or a forward, its bytes (a
/// forward's attachment is a file).
fn organisation_items(conn: &Connection) -> rusqlite::Result<Vec<(Value, Option<Vec<u8>>)>> {
    let mut keys = conn.prepare(
        "SELECT public_key FROM org_item_recipients WHERE item_id = ?1 ORDER BY public_key",
    )?;
    let mut statement = conn.prepare(
        "SELECT item_id, kind, report_id, period, forward_id, posted_day, sender, size, item
         FROM org_items ORDER BY posted_day, item_id",
    )?;
    let rows = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, [u8; 16]>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, Option<Vec<u8>>>(8)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut items = Vec::with_capacity(rows.len());
    for (id, kind, report_id, period, forward_id, day, sender, size, item) in rows {
        let recipients = keys
            .query_map([id], |r| r.get::<_, Vec<u8>>(0))?
            .map(|k| k.map(hex::encode))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let value = json!({
            "item_id": hex::encode(id),
            "kind": kind,
            "report_id": report_id.map(hex::encode),
            "period": period,
            "forward_id": forward_id.map(hex::encode),
            "posted_day": day,
            "sender": hex::encode(sender),
            "size": size,
            "recipients": recipients,
        });
        items.push((value, item));
    }
    Ok(items)
}

/// `meldkluis-server tenant export NAME DIR`: see [`FORMAT`] and
/// server/EXPORT.md. Runs while the server serves (the tenant database is
/// read from one snapshot); records the export in the server database.
pub fn export_tenant(
    config: &Config,
    tenant: &TenantId,
    dir: &Path,
    today: Day,
) -> Result<ExportSummary, ExportError> {
    let layout = Layout::new(&config.data_dir);
    let server_path = layout.server_db();
    let server = db::open(&server_path, db::SERVER_MIGRATIONS).map_err(db_err(&server_path))?;
    let record = read_record(&server, tenant)
        .map_err(db_err(&server_path))?
        .ok_or_else(|| ExportError::NoSuchTenant(tenant.to_string()))?;
    backup::new_empty_dir(dir)?;

    // One snapshot of the tenant database: everything below is of one
    // moment. Attachment files never change once named.
    let snapshot = dir.join(".snapshot.sqlite");
    let removed = RemoveOnDrop(snapshot.clone());
    backup::snapshot(&layout.tenant_db(tenant), &snapshot)?;
    let conn = Connection::open(&snapshot).map_err(db_err(&snapshot))?;
    let failed = db_err(&snapshot);
    let read = || -> rusqlite::Result<_> {
        let counts = counts(&conn)?;
        let register = register(&conn)?;
        let report_ids = conn
            .prepare("SELECT id FROM reports ORDER BY rowid")?
            .query_map([], |r| r.get::<_, [u8; 16]>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let tenant_json = json!({
            "id": tenant.as_str(),
            "name": record.name,
            "created_day": record.created_day,
            "advisors": store::advisors(&conn, false)?,
            "recovery_key": store::recovery_key(&conn)?.map(|k| k.to_hex()),
            "former_recovery_keys": store::former_recovery_keys(&conn)?
                .iter().map(|k| k.to_hex()).collect::<Vec<_>>(),
            "lifecycle": retention::lifecycle(&conn)?,
        });
        let organisation = (
            crate::org::recipients(&conn, false)?,
            organisation_items(&conn)?,
        );
        let follow_ups = follow_ups(&conn)?;
        Ok((
            counts,
            register,
            report_ids,
            tenant_json,
            organisation,
            follow_ups,
        ))
    };
    let (counts, register, report_ids, tenant_json, (recipients, org_items), follow_ups) =
        read().map_err(failed)?;

    let mut files = Vec::new();
    let json_bytes = |value: &dyn erased::Json| value.bytes();
    files.push(backup::write_file(
        dir,
        "tenant.json",
        &json_bytes(&tenant_json),
    )?);
    files.push(backup::write_file(
        dir,
        "register.json",
        &json_bytes(&register),
    )?);
    files.push(backup::write_file(
        dir,
        "register.csv",
        register_csv(&register).as_bytes(),
    )?);
    files.push(backup::write_file(
        dir,
        "follow_ups.json",
        &json_bytes(&follow_ups),
    )?);
    let reports_dir = dir.join("reports");
    crate::config::create_private_dir(&reports_dir).map_err(backup::io_at(&reports_dir))?;
    let attachments = layout.attachments_dir(tenant);
    // With an object store, the attachment files this node does not hold
    // (a tenant it took over, a restored node) are fetched from there.
    let attachment_ids = backup::attachment_ids(&conn, &snapshot)?;
    crate::objects::fetch_missing_attachments(config, tenant, &attachments, &attachment_ids)
        .map_err(backup::BackupError::from)?;
    let numbers: BTreeMap<[u8; 16], i64> = conn
        .prepare("SELECT report_id, number FROM register WHERE report_id IS NOT NULL")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get::<_, [u8; 16]>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<rusqlite::Result<BTreeMap<_, _>>>()
        })
        .map_err(db_err(&snapshot))?;
    for report_id in &report_ids {
        let id_hex = hex::encode(report_id);
        let thread = store::thread(&conn, report_id, today)
            .and_then(|thread| Ok((thread, all_grants(&conn, report_id)?)))
            .map_err(db_err(&snapshot))?;
        let (Some(thread), grants) = thread else {
            continue;
        };
        let mut value = serde_json::to_value(&thread).map_err(|e| BackupError::BadManifest {
            path: dir.join("reports"),
            why: e.to_string(),
        })?;
        if let Value::Object(map) = &mut value {
            map.insert("grants".into(), Value::Array(grants));
            map.remove("recovery_grants");
            map.insert("register_number".into(), json!(numbers.get(report_id)));
            // The channel and the mailbox, as the advisor API serves them.
            let facts = &thread.mailbox_facts;
            map.insert("channel".into(), json!(facts.channel));
            map.insert("mailbox_state".into(), json!(facts.mailbox_state));
            if let Some(item) = &facts.opening_item {
                map.insert(
                    "opening_item".into(),
                    json!(crate::wire::encode_base64(item)),
                );
            }
            if let Some(day) = &facts.joined_day {
                map.insert("joined_day".into(), json!(day));
            }
        }
        let report_dir = reports_dir.join(&id_hex);
        crate::config::create_private_dir(&report_dir.join("attachments"))
            .map_err(backup::io_at(&report_dir))?;
        files.push(backup::write_file(
            dir,
            &format!("reports/{id_hex}/thread.json"),
            &json_bytes(&value),
        )?);
        for attachment in &thread.attachments {
            let name = format!("{}.item", attachment.id);
            let relative = format!("reports/{id_hex}/attachments/{name}");
            let (size, sha256) =
                backup::copy_hashed(&attachments.join(&name), &dir.join(&relative))?;
            files.push(ManifestFile {
                path: relative,
                size,
                sha256,
            });
        }
        backup::sync_dir(&report_dir.join("attachments"))?;
        backup::sync_dir(&report_dir)?;
    }
    backup::sync_dir(&reports_dir)?;
    // The organisation's recipients and the items sealed to them.
    let org_dir = dir.join("organisation");
    crate::config::create_private_dir(&org_dir.join("items")).map_err(backup::io_at(&org_dir))?;
    files.push(backup::write_file(
        dir,
        "organisation/recipients.json",
        &json_bytes(&recipients),
    )?);
    let mut item_list = Vec::with_capacity(org_items.len());
    for (value, bytes) in org_items {
        let id_hex = value["item_id"].as_str().unwrap_or_default().to_owned();
        let relative = format!("organisation/items/{id_hex}.item");
        match bytes {
            Some(bytes) => files.push(backup::write_file(dir, &relative, &bytes)?),
            None => {
                let (size, sha256) = backup::copy_hashed(
                    &attachments.join(format!("{id_hex}.item")),
                    &dir.join(&relative),
                )?;
                files.push(ManifestFile {
                    path: relative,
                    size,
                    sha256,
                });
            }
        }
        item_list.push(value);
    }
    files.push(backup::write_file(
        dir,
        "organisation/items.json",
        &json_bytes(&item_list),
    )?);
    backup::sync_dir(&org_dir.join("items"))?;
    backup::sync_dir(&org_dir)?;
    drop(conn);
    drop(removed);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = ExportManifest {
        format: FORMAT.into(),
        tenant: tenant.to_string(),
        name: record.name.clone(),
        day: today.to_string(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        tenant_schema: db::TENANT_MIGRATIONS.len(),
        counts,
        files,
    };
    let manifest_json = json_bytes(&manifest);
    backup::write_manifest(dir, &manifest_json)?;
    let manifest_sha256 = sha2::Sha256::digest(&manifest_json);
    server
        .execute(
            "INSERT INTO tenant_exports (tenant, day, manifest_sha256, counts) VALUES (?1, ?2, ?3, ?4)",
            params![
                tenant.as_str(),
                today.to_string(),
                manifest_sha256.as_slice(),
                serde_json::to_string(&counts).unwrap_or_default()
            ],
        )
        .map_err(db_err(&server_path))?;
    Ok(ExportSummary {
        dir: dir.to_owned(),
        counts,
        manifest_sha256: hex::encode(manifest_sha256),
    })
}

/// Pretty JSON of anything serializable, without a generic closure.
mod erased {
    pub(super) trait Json {
        fn bytes(&self) -> Vec<u8>;
    }

    impl<T: serde::Serialize> Json for T {
        fn bytes(&self) -> Vec<u8> {
            let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
            bytes.push(b'\n');
            bytes
        }
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What a tenant deletion removed.
#[derive(Debug, Clone, Serialize)]
pub struct DeleteSummary {
    /// The day of the export it relied on.
    pub exported_day: String,
    /// Notice addresses (reporters' and advisors') removed from the e-mail
    /// store, with any mail still waiting for them.
    pub addresses_deleted: usize,
}

/// `meldkluis-server tenant delete NAME`: only after an export that still
/// holds everything the tenant holds, and with `confirmation` equal to the
/// tenant's id. Appends the tenant's deletion to the deletion log first
/// (so a restore, or a start with an old copy, removes it again), then
/// removes its reporters' and advisors' notice addresses (their lookups
/// are computed from the tenant database before it goes), its row and its
/// directory. Safe while the server serves: it answers 404 for the tenant
/// within seconds (its cached record expires).
pub fn delete_tenant(
    config: &Config,
    tenant: &TenantId,
    confirmation: &str,
    today: Day,
) -> Result<DeleteSummary, ExportError> {
    if confirmation.trim() != tenant.as_str() {
        return Err(ExportError::NotConfirmed(tenant.to_string()));
    }
    let layout = Layout::new(&config.data_dir);
    let server_path = layout.server_db();
    let server = db::open(&server_path, db::SERVER_MIGRATIONS).map_err(db_err(&server_path))?;
    // The tenant's row and export records leave no bytes in freed space.
    server
        .pragma_update(None, "secure_delete", "ON")
        .map_err(db_err(&server_path))?;
    if read_record(&server, tenant)
        .map_err(db_err(&server_path))?
        .is_none()
    {
        return Err(ExportError::NoSuchTenant(tenant.to_string()));
    }
    let export = server
        .query_row(
            "SELECT day, counts FROM tenant_exports WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1",
            [tenant.as_str()],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()
        .map_err(db_err(&server_path))?
        .ok_or_else(|| ExportError::NotExported(tenant.to_string()))?;
    let exported: Counts = serde_json::from_str(&export.1).unwrap_or_default();

    let tenant_path = layout.tenant_db(tenant);
    let (now, mailboxes, advisors) = if tenant_path.exists() {
        let conn = db::open_tenant(&tenant_path).map_err(db_err(&tenant_path))?;
        let failed = db_err(&tenant_path);
        let read = || -> rusqlite::Result<_> {
            let mailboxes = conn
                .prepare(
                    "SELECT mailbox_id FROM reports UNION ALL SELECT mailbox_id FROM follow_ups",
                )?
                .query_map([], |r| r.get::<_, [u8; 16]>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((counts(&conn)?, mailboxes, store::advisors(&conn, false)?))
        };
        read().map_err(failed)?
    } else {
        (exported, Vec::new(), Vec::new())
    };
    if now != exported {
        return Err(ExportError::ChangedSinceExport {
            tenant: tenant.to_string(),
            day: export.0,
            then: exported.to_string(),
            now: now.to_string(),
        });
    }

    // First the log: from here on, whatever happens, the tenant is gone
    // at the next start or restore.
    DeletionLog::open(&config.deletion_log_path())?.append(&[Entry::Tenant {
        day: today,
        tenant: tenant.clone(),
    }])?;

    let addresses_deleted = delete_addresses(config, &layout, tenant, &mailboxes, &advisors)?;
    backup::remove_tenant_rows(&server, tenant).map_err(db_err(&server_path))?;
    // Best effort: the WAL's older copies of those pages are overwritten
    // once no reader holds them (the serving server's reads are short).
    let _ = server.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    drop(server);
    let dir = layout.tenant_dir(tenant);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(backup::io_at(&dir)(e).into()),
    }
    if let Some(parent) = dir.parent() {
        backup::sync_dir(parent)?;
    }
    // Then the tenant's attachment objects, now that nothing names them.
    if let Some(objects) = &config.object_store {
        let tenant = tenant.clone();
        crate::objects::run_blocking(objects, move |store| async move {
            store.delete_tenant_attachments(&tenant).await
        })
        .map_err(backup::BackupError::from)?;
    }
    Ok(DeleteSummary {
        exported_day: export.0,
        addresses_deleted,
    })
}

/// Removes the notice addresses of a tenant's reporters and advisors, and
/// any mail waiting for them (as `notices::store::delete_address` does).
/// Without a notice key no address can have been stored.
fn delete_addresses(
    config: &Config,
    layout: &Layout,
    tenant: &TenantId,
    mailboxes: &[[u8; 16]],
    advisors: &[store::Advisor],
) -> Result<usize, ExportError> {
    let path = layout.notices_db();
    if !path.exists() {
        return Ok(0);
    }
    let Some((key, _)) = crate::notices::NoticeKey::load(config, |name| std::env::var(name).ok())
        .map_err(|e| BackupError::NoticeKey(e.to_string()))?
    else {
        return Ok(0);
    };
    let lookups: Vec<[u8; 32]> = mailboxes
        .iter()
        .map(|mailbox| key.reporter_lookup(tenant, mailbox))
        .chain(
            advisors
                .iter()
                .map(|advisor| key.advisor_lookup(tenant, &advisor.public_key)),
        )
        .collect();
    let conn = db::open_notices(&path).map_err(db_err(&path))?;
    let failed = db_err(&path);
    let run = || -> rusqlite::Result<usize> {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let mut deleted = 0;
        for lookup in &lookups {
            conn.prepare_cached("DELETE FROM outbox WHERE recipient = ?1")?
                .execute([lookup])?;
            deleted += conn
                .prepare_cached("DELETE FROM addresses WHERE lookup = ?1")?
                .execute([lookup])?;
        }
        conn.execute_batch("COMMIT")?;
        Ok(deleted)
    };
    let deleted = run().map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        failed(e)
    })?;
    // The sealed addresses' old pages: overwritten in the file
    // (secure_delete) and, if no reader holds the WAL, out of it too.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    Ok(deleted)
}
