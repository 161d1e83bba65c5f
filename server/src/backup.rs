//! Backups of a running server, restoring them, and the deletion log
//! applied to whatever comes back.
//!
//! `meldkluis-server backup DIR` runs next to the serving server, as its own
//! process. Each database is copied with `VACUUM INTO`: one read
//! transaction, so the copy is the database as it was at one commit, and in
//! WAL mode a reader never blocks the writer (the server's worker goes on
//! committing; only its checkpoints cannot pass the copy's snapshot until
//! it ends). The copy holds no free pages, so nothing a deletion freed is
//! carried along. The server database is copied first; then each tenant it
//! lists, with the attachment files its copied database names (files are
//! written and synced before the row naming them is committed, and never
//! change afterwards). The deletion log is copied last and applied to the
//! copy, so a report deleted while the backup ran is not in it either.
//!
//! Last comes `manifest.json` (format [`FORMAT`]): every file with its size
//! and SHA-256, the server version, the schema versions and the day. It is
//! written only after every file it names is on disk, and fsynced: a
//! backup without it is incomplete, and `restore` refuses it.
//!
//! `meldkluis-server restore DIR` checks every file against the manifest
//! while copying it into a staging directory beside the (empty) data
//! directory, applies the deletion log (the union of the backup's copy and
//! the current one) there, and only then renames the staging directory into
//! place: a failed restore leaves the data directory as it was.
//!
//! The e-mail store (`notices.sqlite`) is not in this backup: see
//! [`backup_notices`].

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use meldkluis_crypto_core::TenantId;
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::config::Config;
use crate::dates::Day;
use crate::db;
use crate::deletion_log::{DeletionLog, DeletionLogError, Entry};
use crate::retention;
use crate::store;
use crate::tenants::Layout;

/// The format name of a backup's manifest.
pub const FORMAT: &str = "meldkluis-backup/1";
/// The format name of an e-mail store backup's manifest.
pub const NOTICES_FORMAT: &str = "meldkluis-notices-backup/1";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The deletion log's file name inside a backup.
pub const DELETION_LOG: &str = "deletion-log";

/// Why a backup or restore failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The target directory is not empty.
    #[error("{0} is not empty: a backup goes into a new or empty directory")]
    BackupDirNotEmpty(PathBuf),
    /// The data directory to restore into is not empty.
    #[error("data directory {0} is not empty: restore only into an empty data directory")]
    DataDirNotEmpty(PathBuf),
    /// The backup has no manifest: it is incomplete (or no backup).
    #[error("{0} has no manifest.json: the backup is incomplete or not a meldkluis backup")]
    NoManifest(PathBuf),
    /// The manifest does not read.
    #[error("manifest {path}: {why}")]
    BadManifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A file the manifest names is missing.
    #[error("backup file {0} is missing")]
    Missing(String),
    /// A file differs from the manifest.
    #[error("backup file {path} is damaged: {why}")]
    Damaged {
        /// The file, relative to the backup.
        path: String,
        /// Size or checksum.
        why: String,
    },
    /// An attachment file a database names is missing from the data
    /// directory, and no deletion explains it.
    #[error("tenant {tenant}: attachment file {file} is missing from the data directory")]
    AttachmentMissing {
        /// The tenant.
        tenant: String,
        /// The file name.
        file: String,
    },
    /// A file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A database failed.
    #[error("database {path}: {source}")]
    Database {
        /// The database.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// A database stayed in use by another process, so it could not be
    /// rewritten after a deletion.
    #[error("database {0} stayed in use by another process; stop it and try again")]
    Busy(PathBuf),
    /// The deletion log failed.
    #[error(transparent)]
    DeletionLog(#[from] DeletionLogError),
    /// The notice key is needed and missing or unusable.
    #[error("notice key: {0}")]
    NoticeKey(String),
    /// An attachment missing here could not be fetched from the object
    /// store.
    #[error(transparent)]
    ObjectStore(#[from] crate::objects::ObjectError),
}

pub(crate) fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_owned(),
        source,
    }
}

pub(crate) fn db_at(path: &Path) -> impl FnOnce(rusqlite::Error) -> BackupError + '_ {
    move |source| BackupError::Database {
        path: path.to_owned(),
        source,
    }
}

/// One file of a backup or export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
}

/// A backup's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`] (or [`NOTICES_FORMAT`]).
    pub format: String,
    /// The server version that made it.
    pub server_version: String,
    /// Schema version of `server.sqlite` (its migrations).
    pub server_schema: usize,
    /// Schema version of every `tenant.sqlite`.
    pub tenant_schema: usize,
    /// The day (UTC) the backup was made.
    pub day: String,
    /// The tenants in the backup.
    pub tenants: Vec<String>,
    /// Every file of the backup but the manifest, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// What a backup did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupSummary {
    /// Tenants copied.
    pub tenants: usize,
    /// Files written (manifest included).
    pub files: usize,
    /// Bytes written (manifest included).
    pub bytes: u64,
    /// Reports deleted during the backup and taken out of it again.
    pub deleted_meanwhile: usize,
}

/// What applying the deletion log did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Reports deleted (again).
    pub reports: usize,
    /// Register lines deleted (again).
    pub register_lines: usize,
    /// Tenants removed (again).
    pub tenants: usize,
}

impl Applied {
    /// True if nothing needed deleting.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Refuses a directory with anything in it; creates a missing one (0700).
pub(crate) fn new_empty_dir(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::BackupDirNotEmpty(dir.to_owned()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            crate::config::create_private_dir(dir).map_err(io_at(dir))
        }
        Err(e) => Err(io_at(dir)(e)),
    }
}

/// fsyncs a directory (its entries).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

/// Options for a new private file (0600), never over an existing one.
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Copies `from` to `to` (created, not overwritten), fsyncs it, and returns
/// its size and SHA-256.
pub(crate) fn copy_hashed(from: &Path, to: &Path) -> Result<(u64, String), BackupError> {
    let mut source = File::open(from).map_err(io_at(from))?;
    let mut target = private_options().open(to).map_err(io_at(to))?;
    let sum = read_hashed(&mut source, from, |piece| {
        target.write_all(piece).map_err(io_at(to))
    })?;
    target.sync_all().map_err(io_at(to))?;
    Ok(sum)
}

/// Size and SHA-256 of a file.
pub(crate) fn hash_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut file = File::open(path).map_err(io_at(path))?;
    read_hashed(&mut file, path, |_| Ok(()))
}

/// Reads `file` (at `path`) to its end in 256 KiB pieces, handing each to
/// `each`; returns its size and SHA-256.
fn read_hashed(
    file: &mut File,
    path: &Path,
    mut each: impl FnMut(&[u8]) -> Result<(), BackupError>,
) -> Result<(u64, String), BackupError> {
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io_at(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        each(&buffer[..n])?;
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Writes `bytes` to a new file and fsyncs it; returns its manifest line.
pub(crate) fn write_file(
    root: &Path,
    relative: &str,
    bytes: &[u8],
) -> Result<ManifestFile, BackupError> {
    let path = root.join(relative);
    let mut file = private_options().open(&path).map_err(io_at(&path))?;
    file.write_all(bytes).map_err(io_at(&path))?;
    file.sync_all().map_err(io_at(&path))?;
    Ok(ManifestFile {
        path: relative.to_owned(),
        size: bytes.len() as u64,
        sha256: hex::encode(sha2::Sha256::digest(bytes)),
    })
}

/// Writes the manifest last: to a temporary name, fsynced, renamed, and the
/// directory fsynced, so it exists only complete and only after every file
/// it names.
pub(crate) fn write_manifest(root: &Path, json: &[u8]) -> Result<u64, BackupError> {
    let temp = root.join(".manifest.json.part");
    let target = root.join(MANIFEST);
    {
        let _ = std::fs::remove_file(&temp);
        let mut file = private_options().open(&temp).map_err(io_at(&temp))?;
        file.write_all(json).map_err(io_at(&temp))?;
        file.sync_all().map_err(io_at(&temp))?;
    }
    std::fs::rename(&temp, &target).map_err(io_at(&target))?;
    sync_dir(root)?;
    Ok(json.len() as u64)
}

/// A relative path from a manifest, checked: `/`-separated plain names, no
/// `..`, nothing absolute, no hidden or empty parts.
pub(crate) fn checked_relative(path: &str) -> Option<PathBuf> {
    if path.is_empty() || path.len() > 512 || path.contains('\\') {
        return None;
    }
    let relative = PathBuf::from(path);
    let plain = relative.components().all(|c| match c {
        Component::Normal(name) => name
            .to_str()
            .is_some_and(|n| !n.starts_with('.') && !n.is_empty()),
        _ => false,
    });
    plain.then_some(relative)
}

/// Opens an existing database of the running server for reading, without
/// creating it or migrating it.
fn open_live(path: &Path) -> Result<Connection, BackupError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db_at(path))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(db_at(path))?;
    Ok(conn)
}

/// Copies a live database to `target` with `VACUUM INTO` (one read
/// transaction: a consistent snapshot; no free pages), then makes the copy
/// a single file (no WAL) and fsyncs it.
pub(crate) fn snapshot(source: &Path, target: &Path) -> Result<(), BackupError> {
    let conn = open_live(source)?;
    let target_text = target.to_str().ok_or_else(|| BackupError::Io {
        path: target.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path is not UTF-8"),
    })?;
    conn.execute("VACUUM INTO ?1", [target_text])
        .map_err(db_at(source))?;
    drop(conn);
    let copy = Connection::open(target).map_err(db_at(target))?;
    let _mode: String = copy
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(db_at(target))?;
    drop(copy);
    File::open(target)
        .and_then(|f| f.sync_all())
        .map_err(io_at(target))
}

fn tenant_ids(conn: &Connection, path: &Path) -> Result<Vec<TenantId>, BackupError> {
    let mut statement = conn
        .prepare("SELECT id FROM tenants ORDER BY id")
        .map_err(db_at(path))?;
    let ids = statement
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(db_at(path))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_at(path))?;
    Ok(ids
        .into_iter()
        .filter_map(|id| TenantId::new(&id).ok())
        .collect())
}

/// The ids of a tenant's attachment files: the threads' attachments and
/// the forwards' attachments (a database not yet migrated to the
/// organisation's tables has only the former).
pub(crate) fn attachment_ids(conn: &Connection, path: &Path) -> Result<Vec<[u8; 16]>, BackupError> {
    let has_org_items = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'org_items'")
        .and_then(|mut s| s.exists([]))
        .map_err(db_at(path))?;
    let sql = if has_org_items {
        "SELECT id FROM attachments
         UNION ALL SELECT item_id FROM org_items WHERE kind = 'forward_attachment'"
    } else {
        "SELECT id FROM attachments"
    };
    let mut statement = conn.prepare(sql).map_err(db_at(path))?;
    let ids = statement
        .query_map([], |r| r.get::<_, [u8; 16]>(0))
        .map_err(db_at(path))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_at(path))?;
    Ok(ids)
}

fn user_version(conn: &Connection, path: &Path) -> Result<usize, BackupError> {
    db::user_version(conn).map_err(db_at(path))
}

/// `meldkluis-server backup DIR`: a consistent copy of the server database,
/// every tenant database with its attachment files, and the deletion log,
/// with a manifest written last. Runs while the server serves.
pub fn backup(config: &Config, dir: &Path, today: Day) -> Result<BackupSummary, BackupError> {
    new_empty_dir(dir)?;
    let layout = Layout::new(&config.data_dir);
    let mut files = Vec::new();

    // The server database first: the tenants it lists are the backup's.
    let server_copy = dir.join("server.sqlite");
    snapshot(&layout.server_db(), &server_copy)?;
    let server = Connection::open(&server_copy).map_err(db_at(&server_copy))?;
    let server_schema = user_version(&server, &server_copy)?;
    let tenants = tenant_ids(&server, &server_copy)?;
    drop(server);

    let tenants_dir = dir.join("tenants");
    crate::config::create_private_dir(&tenants_dir).map_err(io_at(&tenants_dir))?;
    // What was missing when copied, checked against the deletion log below.
    let mut missing: Vec<(TenantId, String)> = Vec::new();
    let mut copied = Vec::new();
    for tenant in &tenants {
        let source = layout.tenant_db(tenant);
        if !source.exists() {
            missing.push((tenant.clone(), String::new()));
            continue;
        }
        let target_dir = tenants_dir.join(tenant.as_str());
        let attachments_target = target_dir.join("attachments");
        crate::config::create_private_dir(&attachments_target)
            .map_err(io_at(&attachments_target))?;
        let copy = target_dir.join("tenant.sqlite");
        snapshot(&source, &copy)?;
        let conn = Connection::open(&copy).map_err(db_at(&copy))?;
        let ids = attachment_ids(&conn, &copy)?;
        drop(conn);
        let attachments = layout.attachments_dir(tenant);
        // With an object store, a file this node does not hold (a tenant
        // it took over, a restored node) is fetched from there first.
        crate::objects::fetch_missing_attachments(config, tenant, &attachments, &ids)?;
        for id in ids {
            let name = retention::attachment_file_name(&id);
            match copy_hashed(&attachments.join(&name), &attachments_target.join(&name)) {
                Ok(_) => {}
                Err(BackupError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    missing.push((tenant.clone(), name));
                }
                Err(e) => return Err(e),
            }
        }
        sync_dir(&attachments_target)?;
        sync_dir(&target_dir)?;
        copied.push(tenant.clone());
    }
    sync_dir(&tenants_dir)?;

    // The server secret keys the hashes of the reporters' mailbox
    // credentials: without it no reporter could log in after a restore.
    // When it lives in the data directory (the default) it is part of the
    // backup; a secret kept elsewhere is the operator's to keep.
    let secret = config.server_secret_path();
    if let Ok(relative) = secret.strip_prefix(&config.data_dir) {
        if secret.exists() {
            let target = dir.join(relative);
            if let Some(parent) = target.parent() {
                crate::config::create_private_dir(parent).map_err(io_at(parent))?;
            }
            let (size, sha256) = copy_hashed(&secret, &target)?;
            let path = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push(ManifestFile { path, size, sha256 });
        }
    }

    // The deletion log as it is now, after every copy: a deletion made
    // while copying is in it, and is applied to the copy.
    let log_bytes = match std::fs::read(config.deletion_log_path()) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_at(&config.deletion_log_path())(e)),
    };
    let entries = DeletionLog::parse(&log_bytes).map_err(|line| DeletionLogError::Corrupt {
        path: config.deletion_log_path(),
        line,
    })?;
    let backup_layout = Layout::new(dir);
    let applied = apply_entries(&backup_layout, &entries, true)?;
    for (tenant, file) in &missing {
        let explained = if file.is_empty() {
            // A tenant listed but without files: deleted meanwhile, and so
            // taken out of the copy's tenant list just now.
            !tenant_listed(&server_copy, tenant)?
        } else {
            // An attachment file gone: its report was deleted meanwhile,
            // and so just now from the copy too.
            !backup_layout.tenant_db(tenant).exists()
                || !attachment_still_named(&backup_layout, tenant, file)?
        };
        if !explained {
            return Err(BackupError::AttachmentMissing {
                tenant: tenant.to_string(),
                file: if file.is_empty() {
                    "tenant.sqlite".into()
                } else {
                    file.clone()
                },
            });
        }
    }
    files.push(write_file(dir, DELETION_LOG, &log_bytes)?);

    // Every file, hashed as it is now (after the deletion log was applied).
    let server_line = hash_file(&server_copy)?;
    files.push(ManifestFile {
        path: "server.sqlite".into(),
        size: server_line.0,
        sha256: server_line.1,
    });
    let mut listed = Vec::new();
    for tenant in &copied {
        let tenant_dir = backup_layout.tenant_dir(tenant);
        if !tenant_dir.exists() {
            continue;
        }
        listed.push(tenant.to_string());
        let db_path = backup_layout.tenant_db(tenant);
        File::open(&db_path)
            .and_then(|f| f.sync_all())
            .map_err(io_at(&db_path))?;
        let (size, sha256) = hash_file(&db_path)?;
        files.push(ManifestFile {
            path: format!("tenants/{tenant}/tenant.sqlite"),
            size,
            sha256,
        });
        let attachments = backup_layout.attachments_dir(tenant);
        let mut names: Vec<String> = std::fs::read_dir(&attachments)
            .map_err(io_at(&attachments))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        for name in names {
            let (size, sha256) = hash_file(&attachments.join(&name))?;
            files.push(ManifestFile {
                path: format!("tenants/{tenant}/attachments/{name}"),
                size,
                sha256,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let tenant_schema = db::TENANT_MIGRATIONS.len();
    let manifest = Manifest {
        format: FORMAT.into(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        server_schema,
        tenant_schema,
        day: today.to_string(),
        tenants: listed.clone(),
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::BadManifest {
        path: dir.join(MANIFEST),
        why: e.to_string(),
    })?;
    let manifest_bytes = write_manifest(dir, &json)?;
    Ok(BackupSummary {
        tenants: listed.len(),
        files: manifest.files.len() + 1,
        bytes: manifest.files.iter().map(|f| f.size).sum::<u64>() + manifest_bytes,
        deleted_meanwhile: applied.reports,
    })
}

/// True if the server database at `path` lists the tenant.
fn tenant_listed(path: &Path, tenant: &TenantId) -> Result<bool, BackupError> {
    let conn = Connection::open(path).map_err(db_at(path))?;
    Ok(tenant_ids(&conn, path)?.contains(tenant))
}

/// True if the copied tenant database still names this attachment file.
fn attachment_still_named(
    layout: &Layout,
    tenant: &TenantId,
    file: &str,
) -> Result<bool, BackupError> {
    let path = layout.tenant_db(tenant);
    let conn = Connection::open(&path).map_err(db_at(&path))?;
    let ids = attachment_ids(&conn, &path)?;
    Ok(ids
        .iter()
        .any(|id| retention::attachment_file_name(id) == file))
}

/// Reads and checks a backup's manifest.
pub fn read_manifest(dir: &Path, format: &str) -> Result<Manifest, BackupError> {
    let path = dir.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::NoManifest(dir.to_owned()))
        }
        Err(e) => return Err(io_at(&path)(e)),
    };
    let bad = |why: String| BackupError::BadManifest {
        path: path.clone(),
        why,
    };
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    if manifest.format != format {
        return Err(bad(format!(
            "format {:?}, expected {format:?}",
            manifest.format
        )));
    }
    if manifest.server_schema > db::SERVER_MIGRATIONS.len()
        || manifest.tenant_schema > db::TENANT_MIGRATIONS.len()
    {
        return Err(bad(format!(
            "made by a newer server ({}); restore with that version",
            manifest.server_version
        )));
    }
    let mut seen = BTreeSet::new();
    for file in &manifest.files {
        if checked_relative(&file.path).is_none() || !seen.insert(file.path.as_str()) {
            return Err(bad(format!("bad or repeated path {:?}", file.path)));
        }
        if file.sha256.len() != 64 || !file.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!("bad checksum for {:?}", file.path)));
        }
    }
    Ok(manifest)
}

/// Copies every file of a manifest from `from` into `to`, checking size and
/// sum on the way.
pub(crate) fn copy_checked(
    manifest_files: &[ManifestFile],
    from: &Path,
    to: &Path,
) -> Result<(), BackupError> {
    for file in manifest_files {
        let relative = checked_relative(&file.path).ok_or_else(|| BackupError::BadManifest {
            path: from.join(MANIFEST),
            why: format!("bad path {:?}", file.path),
        })?;
        let source = from.join(&relative);
        match std::fs::symlink_metadata(&source) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                return Err(BackupError::Damaged {
                    path: file.path.clone(),
                    why: "not a plain file".into(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::Missing(file.path.clone()))
            }
            Err(e) => return Err(io_at(&source)(e)),
        }
        let target = to.join(&relative);
        if let Some(parent) = target.parent() {
            crate::config::create_private_dir(parent).map_err(io_at(parent))?;
        }
        let (size, sha256) = copy_hashed(&source, &target)?;
        if size != file.size {
            return Err(BackupError::Damaged {
                path: file.path.clone(),
                why: format!("{size} bytes, the manifest says {}", file.size),
            });
        }
        if sha256 != file.sha256.to_ascii_lowercase() {
            return Err(BackupError::Damaged {
                path: file.path.clone(),
                why: "its SHA-256 differs from the manifest".into(),
            });
        }
    }
    Ok(())
}

/// A directory beside `target` to build into, removed on drop unless kept.
pub(crate) struct Staging {
    path: Option<PathBuf>,
}

impl Staging {
    pub(crate) fn beside(target: &Path, what: &str) -> Result<Self, BackupError> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io_at(parent))?;
        let name = target
            .file_name()
            .map_or_else(|| "data".into(), |n| n.to_string_lossy().into_owned());
        let mut random = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
        let path = parent.join(format!(".{name}.{what}-{}", hex::encode(random)));
        crate::config::create_private_dir(&path).map_err(io_at(&path))?;
        Ok(Self { path: Some(path) })
    }

    pub(crate) fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new("."))
    }

    /// Renames the staging directory to `target` (an empty directory or
    /// none: `rename` replaces an empty directory in one step).
    pub(crate) fn commit(mut self, target: &Path) -> Result<(), BackupError> {
        let path = self.path.take().unwrap_or_default();
        if let Err(e) = std::fs::rename(&path, target) {
            let _ = std::fs::remove_dir_all(&path);
            return Err(io_at(target)(e));
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// Errors unless `dir` is missing or an empty directory.
fn require_empty_data_dir(dir: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(BackupError::DataDirNotEmpty(dir.to_owned())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_at(dir)(e)),
    }
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreSummary {
    /// The day the backup was made.
    pub backup_day: String,
    /// Tenants restored (after the deletion log).
    pub tenants: usize,
    /// What the deletion log deleted again.
    pub deleted_again: Applied,
}

/// `meldkluis-server restore DIR`: checks the backup against its manifest
/// and restores it into the configured data directory, which must be empty,
/// then applies the deletion log (the backup's copy together with the
/// current one, which gains what only the backup's copy held). Nothing is
/// put in place unless every step succeeded.
pub fn restore(config: &Config, backup_dir: &Path) -> Result<RestoreSummary, BackupError> {
    let data_dir = &config.data_dir;
    require_empty_data_dir(data_dir)?;
    let manifest = read_manifest(backup_dir, FORMAT)?;
    if !manifest.files.iter().any(|f| f.path == "server.sqlite") {
        return Err(BackupError::Missing("server.sqlite".into()));
    }
    let staging = Staging::beside(data_dir, "restoring")?;
    copy_checked(&manifest.files, backup_dir, staging.path())?;

    // The union of both deletion logs; the current one gains what only the
    // backup's copy held (a lost log comes back with the backup).
    let backup_log = staging.path().join(DELETION_LOG);
    let from_backup = if backup_log.exists() {
        let bytes = std::fs::read(&backup_log).map_err(io_at(&backup_log))?;
        DeletionLog::parse(&bytes).map_err(|line| DeletionLogError::Corrupt {
            path: backup_dir.join(DELETION_LOG),
            line,
        })?
    } else {
        Vec::new()
    };
    std::fs::remove_file(&backup_log).or_else(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Ok(())
        } else {
            Err(io_at(&backup_log)(e))
        }
    })?;
    let log_path = config.deletion_log_path();
    let current = DeletionLog::read(&log_path)?;
    let known: BTreeSet<String> = current.iter().map(Entry::to_line).collect();
    let only_in_backup: Vec<Entry> = from_backup
        .iter()
        .filter(|e| !known.contains(&e.to_line()))
        .cloned()
        .collect();
    if !only_in_backup.is_empty() {
        DeletionLog::open(&log_path)?.append(&only_in_backup)?;
    }
    let mut entries = current;
    entries.extend(only_in_backup);

    let staged = Layout::new(staging.path());
    // Every restored database is opened (and migrated) once, so a damaged
    // one is found now and not by the server.
    let server_path = staged.server_db();
    let server = db::open(&server_path, db::SERVER_MIGRATIONS).map_err(db_at(&server_path))?;
    let tenants = tenant_ids(&server, &server_path)?;
    // The server database was copied at another moment than the tenant
    // databases: its stored public configurations are built again.
    crate::tenants::public_config::forget_all(&server).map_err(db_at(&server_path))?;
    drop(server);
    let deleted_again = apply_entries(&staged, &entries, true)?;
    let mut restored = 0;
    for tenant in &tenants {
        let path = staged.tenant_db(tenant);
        if path.exists() {
            drop(db::open_tenant(&path).map_err(db_at(&path))?);
            restored += 1;
        }
    }
    sync_tree(staging.path())?;
    staging.commit(data_dir)?;
    Ok(RestoreSummary {
        backup_day: manifest.day,
        tenants: restored,
        deleted_again,
    })
}

/// fsyncs every directory under `root` (files were synced when written).
fn sync_tree(root: &Path) -> Result<(), BackupError> {
    for entry in std::fs::read_dir(root).map_err(io_at(root))? {
        let entry = entry.map_err(io_at(root))?;
        if entry.file_type().map_err(io_at(root))?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            let path = entry.path();
            File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io_at(&path))?;
        }
    }
    sync_dir(root)
}

/// Applies the configured deletion log to the data directory: at every
/// start, before the server opens any tenant, so a tenant file copied back
/// by hand (or a restore made without `restore`) loses again what the log
/// names. Only tenants the log names are opened.
pub fn apply_deletion_log(config: &Config) -> Result<Applied, BackupError> {
    let entries = DeletionLog::read(&config.deletion_log_path())?;
    if entries.is_empty() {
        return Ok(Applied::default());
    }
    apply_entries(&Layout::new(&config.data_dir), &entries, true)
}

/// The day of an entry.
fn entry_day(entry: &Entry) -> Day {
    match entry {
        Entry::Report { day, .. } | Entry::Register { day, .. } | Entry::Tenant { day, .. } => *day,
    }
}

/// Deletes from the data directory `layout` everything `entries` name that
/// is still there. Grouped by tenant: each tenant named is opened once. A
/// tenant entry removes the tenant's row (`in_server_db`) and directory.
///
/// A tenant id may be used again for a new tenant after the old one was
/// deleted: entries dated before the day the present tenant was created
/// are about its predecessor and are not applied to it.
pub(crate) fn apply_entries(
    layout: &Layout,
    entries: &[Entry],
    in_server_db: bool,
) -> Result<Applied, BackupError> {
    let mut by_tenant: BTreeMap<&TenantId, Vec<&Entry>> = BTreeMap::new();
    for entry in entries {
        by_tenant.entry(entry.tenant()).or_default().push(entry);
    }
    let mut applied = Applied::default();
    if by_tenant.is_empty() {
        return Ok(applied);
    }
    let server_path = layout.server_db();
    let server = if server_path.exists() {
        Some(db::open(&server_path, db::SERVER_MIGRATIONS).map_err(db_at(&server_path))?)
    } else {
        None
    };
    let mut removed_any: Option<PathBuf> = None;
    for (tenant, entries) in by_tenant {
        let created = match &server {
            Some(server) => server
                .query_row(
                    "SELECT created_day FROM tenants WHERE id = ?1",
                    [tenant.as_str()],
                    |r| r.get::<_, String>(0),
                )
                .map(|day| Day::parse(&day))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })
                .map_err(db_at(&server_path))?,
            None => None,
        };
        let entries: Vec<&Entry> = entries
            .into_iter()
            .filter(|e| created.is_none_or(|created| entry_day(e) >= created))
            .collect();
        if entries.is_empty() {
            continue;
        }
        if entries.iter().any(|e| matches!(e, Entry::Tenant { .. })) {
            let mut removed = false;
            if let (Some(server), true) = (&server, in_server_db) {
                removed |= remove_tenant_rows(server, tenant).map_err(db_at(&server_path))?;
            }
            let dir = layout.tenant_dir(tenant);
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(io_at(&dir))?;
                removed = true;
                removed_any = dir.parent().map(Path::to_owned);
            }
            if removed {
                applied.tenants += 1;
            }
            continue;
        }
        if !layout.tenant_db(tenant).exists() || !still_present(&layout.tenant_db(tenant), &entries)
        {
            continue;
        }
        let (reports, lines) = apply_to_tenant(layout, tenant, &entries)?;
        applied.reports += reports;
        applied.register_lines += lines;
    }
    if let Some(tenants_dir) = removed_any {
        sync_dir(&tenants_dir)?;
    }
    Ok(applied)
}

/// Removes a tenant's row from the server database (and any record of
/// its exports). True if there was one.
pub(crate) fn remove_tenant_rows(server: &Connection, tenant: &TenantId) -> rusqlite::Result<bool> {
    let has_exports: bool = server
        .query_row(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'tenant_exports'",
            [],
            |_| Ok(()),
        )
        .map(|()| true)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(false),
            e => Err(e),
        })?;
    if has_exports {
        server.execute(
            "DELETE FROM tenant_exports WHERE tenant = ?1",
            [tenant.as_str()],
        )?;
    }
    crate::tenants::public_config::remove(server, tenant)?;
    Ok(server.execute("DELETE FROM tenants WHERE id = ?1", [tenant.as_str()])? > 0)
}

/// True if a tenant database still holds a report or register line that
/// `entries` name, read on a read-only connection: at every start the
/// log names every tenant that ever deleted something, and only those
/// that an older copy brought something back to are opened for writing.
/// Any doubt (a schema not yet current, an error) answers true.
fn still_present(path: &Path, entries: &[&Entry]) -> bool {
    let check = || -> rusqlite::Result<bool> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let version = db::user_version(&conn)?;
        if version != db::TENANT_MIGRATIONS.len() {
            return Ok(true);
        }
        let mut report = conn.prepare("SELECT 1 FROM reports WHERE id = ?1")?;
        let mut line = conn.prepare("SELECT 1 FROM register WHERE number = ?1")?;
        for entry in entries {
            let present = match entry {
                Entry::Report { report_id, .. } => report.exists([report_id])?,
                Entry::Register { number, .. } => {
                    line.exists([i64::try_from(*number).unwrap_or(i64::MAX)])?
                }
                Entry::Tenant { .. } => false,
            };
            if present {
                return Ok(true);
            }
        }
        Ok(false)
    };
    check().unwrap_or(true)
}

/// Deletes, in one tenant, the reports and register lines named; removes
/// the deleted reports' attachment files after the commit, and leaves no
/// freed page or WAL frame with their bytes.
fn apply_to_tenant(
    layout: &Layout,
    tenant: &TenantId,
    entries: &[&Entry],
) -> Result<(usize, usize), BackupError> {
    let path = layout.tenant_db(tenant);
    let conn = db::open_tenant(&path).map_err(db_at(&path))?;
    let failed = db_at(&path);
    let run = || -> rusqlite::Result<(usize, usize, Vec<[u8; 16]>)> {
        let mut reports = 0;
        let mut lines = 0;
        let mut files = Vec::new();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for entry in entries {
            match entry {
                Entry::Report { day, report_id, .. } => {
                    if let Some(attachments) = retention::purge_report(&conn, report_id, *day)? {
                        reports += 1;
                        files.extend(attachments);
                    }
                }
                Entry::Register { number, .. } => {
                    let n = i64::try_from(*number).unwrap_or(i64::MAX);
                    lines += usize::from(store::delete_register_line(&conn, n)?);
                }
                Entry::Tenant { .. } => {}
            }
        }
        conn.execute_batch("COMMIT")?;
        Ok((reports, lines, files))
    };
    let (reports, lines, files) = run().map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        failed(e)
    })?;
    drop(conn);
    // The same rewrite as after the daily deletion (a moved cell's old
    // bytes can outlive `secure_delete`; found by
    // `backup::a_report_deleted_after_a_backup_stays_deleted_when_the_backup_is_restored`).
    if reports + lines > 0
        && !crate::lifecycle::rewrite_and_truncate(&path, true).map_err(db_at(&path))?
    {
        return Err(BackupError::Busy(path));
    }
    let attachments = layout.attachments_dir(tenant);
    for id in files {
        let file = attachments.join(retention::attachment_file_name(&id));
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(&file)(e)),
        }
    }
    Ok((reports, lines))
}

/// `meldkluis-server backup DIR --notices`: the e-mail store alone, with
/// its own manifest ([`NOTICES_FORMAT`]).
///
/// Kept apart from the content backup on purpose: the e-mail store holds
/// the only link from a report to a person (a reporter's address), sealed
/// with the notice key, which is kept outside the data directory and is
/// not in any backup. A stolen content backup therefore carries no
/// address at all, and a stolen e-mail store backup opens only with the
/// notice key. Addresses are short-lived too (a reporter's is deleted when
/// the report closes), so this backup is best kept for less time, and
/// elsewhere.
pub fn backup_notices(config: &Config, dir: &Path, today: Day) -> Result<u64, BackupError> {
    new_empty_dir(dir)?;
    let source = Layout::new(&config.data_dir).notices_db();
    if !source.exists() {
        return Err(BackupError::Missing(source.display().to_string()));
    }
    let copy = dir.join("notices.sqlite");
    snapshot(&source, &copy)?;
    let (size, sha256) = hash_file(&copy)?;
    let manifest = Manifest {
        format: NOTICES_FORMAT.into(),
        server_version: env!("CARGO_PKG_VERSION").into(),
        server_schema: db::SERVER_MIGRATIONS.len(),
        tenant_schema: db::TENANT_MIGRATIONS.len(),
        day: today.to_string(),
        tenants: Vec::new(),
        files: vec![ManifestFile {
            path: "notices.sqlite".into(),
            size,
            sha256,
        }],
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::BadManifest {
        path: dir.join(MANIFEST),
        why: e.to_string(),
    })?;
    Ok(size + write_manifest(dir, &json)?)
}

/// `meldkluis-server restore DIR --notices`: puts a checked e-mail store
/// backup into a data directory that has none (after the content was
/// restored), and keeps only the addresses of reports still open and of
/// advisors of tenants still there: an address deleted at closure, or with
/// its tenant, does not come back. Needs the notice key. Returns the
/// addresses kept and dropped.
pub fn restore_notices(config: &Config, backup_dir: &Path) -> Result<(usize, usize), BackupError> {
    let layout = Layout::new(&config.data_dir);
    let target = layout.notices_db();
    if target.exists() {
        return Err(BackupError::DataDirNotEmpty(target));
    }
    let manifest = read_manifest(backup_dir, NOTICES_FORMAT)?;
    let key = crate::notices::NoticeKey::load(config, |name| std::env::var(name).ok())
        .map_err(|e| BackupError::NoticeKey(e.to_string()))?
        .ok_or_else(|| {
            BackupError::NoticeKey("no notice key: the addresses would not open".into())
        })?
        .0;
    let staging = Staging::beside(&config.data_dir, "notices")?;
    copy_checked(&manifest.files, backup_dir, staging.path())?;
    let staged = staging.path().join("notices.sqlite");
    if !staged.exists() {
        return Err(BackupError::Missing("notices.sqlite".into()));
    }
    // The addresses that may be there: open reports' reporters, follow-up
    // mailboxes waiting to be joined, and the advisors of every tenant.
    let mut wanted = BTreeSet::new();
    let server_path = layout.server_db();
    let server = db::open(&server_path, db::SERVER_MIGRATIONS).map_err(db_at(&server_path))?;
    for tenant in tenant_ids(&server, &server_path)? {
        let path = layout.tenant_db(&tenant);
        if !path.exists() {
            continue;
        }
        let conn = db::open_tenant(&path).map_err(db_at(&path))?;
        let mailboxes = conn
            // Follow-up mailboxes waiting to be joined keep theirs too.
            .prepare(
                "SELECT mailbox_id FROM reports WHERE closed_day IS NULL
                 UNION ALL SELECT mailbox_id FROM follow_ups",
            )
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, [u8; 16]>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(db_at(&path))?;
        for mailbox in mailboxes {
            wanted.insert(key.reporter_lookup(&tenant, &mailbox));
        }
        for advisor in crate::store::advisors(&conn, false).map_err(db_at(&path))? {
            wanted.insert(key.advisor_lookup(&tenant, &advisor.public_key));
        }
    }
    let conn = db::open_notices(&staged).map_err(db_at(&staged))?;
    let lookups = conn
        .prepare("SELECT lookup FROM addresses")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, [u8; 32]>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(db_at(&staged))?;
    let (mut kept, mut dropped) = (0, 0);
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(db_at(&staged))?;
    for lookup in lookups {
        if wanted.contains(&lookup) {
            kept += 1;
        } else {
            conn.execute("DELETE FROM outbox WHERE recipient = ?1", [&lookup])
                .and_then(|_| conn.execute("DELETE FROM addresses WHERE lookup = ?1", [&lookup]))
                .map_err(db_at(&staged))?;
            dropped += 1;
        }
    }
    conn.execute_batch("COMMIT; VACUUM")
        .map_err(db_at(&staged))?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(db_at(&staged))?;
    drop(conn);
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(io_at(&staged))?;
    std::fs::rename(&staged, &target).map_err(io_at(&target))?;
    sync_dir(&config.data_dir)?;
    drop(staging);
    Ok((kept, dropped))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        Config {
            data_dir: dir.join("data"),
            deletion_log_path: Some(dir.join("log").join("deletion-log")),
            ..Config::default()
        }
    }

    #[test]
    fn a_tenant_entry_removes_the_tenant_and_an_older_one_spares_a_new_tenant_of_that_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config(dir.path());
        let admin = crate::admin::Admin::open(&config).expect("admin");
        let today = Day::parse(&crate::store::today()).expect("today");
        let (gone, reused) = (
            TenantId::new("gone").expect("id"),
            TenantId::new("reused").expect("id"),
        );
        for id in [&gone, &reused] {
            admin
                .create_tenant(id, "T", &["nl".into()], None)
                .expect("create");
        }
        let log = DeletionLog::open(&config.deletion_log_path()).expect("log");
        log.append(&[
            Entry::Tenant {
                day: today,
                tenant: gone.clone(),
            },
            // The earlier tenant of this id, deleted before the present
            // one was created: nothing of it applies to the new one.
            Entry::Tenant {
                day: today.add_days(-30),
                tenant: reused.clone(),
            },
            Entry::Register {
                day: today.add_days(-30),
                tenant: reused.clone(),
                number: 1,
            },
        ])
        .expect("append");
        let applied = apply_deletion_log(&config).expect("applied");
        assert_eq!(applied.tenants, 1);
        let layout = Layout::new(&config.data_dir);
        assert!(!layout.tenant_dir(&gone).exists());
        assert!(layout.tenant_db(&reused).exists());
        let names: Vec<String> = admin
            .list_tenants()
            .expect("list")
            .into_iter()
            .map(|t| t.id.to_string())
            .collect();
        assert_eq!(names, ["reused"]);
        // Applying again finds nothing left to delete.
        assert!(apply_deletion_log(&config).expect("again").is_empty());
    }

    #[test]
    fn manifest_paths_are_plain_relative_names() {
        assert!(checked_relative("tenants/acme/tenant.sqlite").is_some());
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "tenants/../../x",
            ".hidden",
            "a\\b",
            "./a",
        ] {
            assert!(checked_relative(bad).is_none(), "{bad}");
        }
    }
}
