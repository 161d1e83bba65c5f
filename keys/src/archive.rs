//! Opening a tenant export (`meldkluis-server tenant export`, format
//! `meldkluis-tenant-export/1`, server/EXPORT.md) with an advisor's key:
//! `meldkluis-advisor archive open EXPORT_DIR --out DIR`.
//!
//! Every file is checked against the export's manifest (size and SHA-256)
//! before anything is opened; a damaged or incomplete export is refused
//! whole. Each item is then opened as the console opens it
//! ([`crate::reading`]): through the key's own stanza, or a key grant to it
//! from a grantor the advisor confirmed (the enrolled-keys file), never
//! because the export says so. The plaintext goes into a new private
//! directory (0700, files 0600); what could not be opened is listed.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use meldkluis_crypto_core::{
    open_item_with_access, Access, Expect, ItemKind, PublicKey, StaticKey, TenantId,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest as _;

use crate::client::Thread;
use crate::enrolled::EnrolledKeys;
use crate::reading::{
    open_messages, open_opening_item, open_report, open_thread_item, report_header,
    thread_senders_with, ReportMailbox, Trust,
};

/// The export format this reads.
pub const FORMAT: &str = "meldkluis-tenant-export/1";

/// Why an export could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// No manifest: incomplete, or not an export.
    #[error("{0} has no manifest.json: the export is incomplete or not a meldkluis export")]
    NoManifest(PathBuf),
    /// The manifest does not read, or is of another format.
    #[error("manifest: {0}")]
    BadManifest(String),
    /// A file the manifest names is missing.
    #[error("export file {0} is missing")]
    Missing(String),
    /// A file differs from the manifest.
    #[error("export file {0} is damaged: its size or SHA-256 differs from the manifest")]
    Damaged(String),
    /// A file of the export does not read.
    #[error("export file {path}: {why}")]
    BadFile {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The output directory is not new or empty.
    #[error("{0} is not empty: the plaintext goes into a new or empty directory")]
    OutNotEmpty(PathBuf),
    /// A file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    }
}

#[derive(Debug, Deserialize)]
struct ManifestFile {
    path: String,
    size: u64,
    sha256: String,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    format: String,
    tenant: String,
    day: String,
    files: Vec<ManifestFile>,
}

/// One item that did not open.
#[derive(Debug, Clone, Serialize)]
pub struct NotOpened {
    /// The report (empty for a follow-up, which belongs to none).
    pub report_id: String,
    /// The item (the report itself, an opening item, a message or an
    /// attachment; for a follow-up its reference).
    pub item_id: String,
    /// `report`, `opening item`, `message`, `attachment` or `follow-up`.
    pub kind: &'static str,
}

/// What opening an export did.
#[derive(Debug, Clone, Serialize)]
pub struct Opened {
    /// The tenant.
    pub tenant: String,
    /// The export's day.
    pub day: String,
    /// Reports in the export.
    pub reports: usize,
    /// Follow-up mailboxes in the export that no advisor joined yet.
    pub follow_ups: usize,
    /// Items opened (reports, opening items, messages, attachments,
    /// follow-ups).
    pub opened: usize,
    /// Items that did not open with this key.
    pub not_opened: Vec<NotOpened>,
}

/// A follow-up mailbox not yet joined, as `follow_ups.json` lists it (the
/// server's word, checked by [`open_follow_up`]).
#[derive(Debug, Deserialize)]
struct WaitingFollowUp {
    reference: String,
    mailbox_public_key: String,
    created_day: String,
    expires_day: String,
    item: String,
}

/// What `follow-ups/<reference>.json` says about its sender.
const FOLLOW_UP_NOTE: &str = "A follow-up report no advisor has joined to a report yet. Its \
     sender is the follow-up mailbox's key; no advisor has confirmed whose it is, and nothing \
     here says it is the reporter of any report.";

/// Opens a waiting follow-up with `key`: its key must have its reference,
/// its item be a follow-up report (kind report, its own report id) sealed by
/// that key to `key`. Returns the mailbox key and the content (JSON), or
/// `None` when it does not open so.
fn open_follow_up(
    key: &dyn StaticKey,
    trust: &Trust,
    follow_up: &WaitingFollowUp,
) -> Option<(PublicKey, Value)> {
    let mailbox = PublicKey::from_hex(&follow_up.mailbox_public_key).ok()?;
    if meldkluis_crypto_core::mailbox_reference(&mailbox) != follow_up.reference {
        return None;
    }
    let item = crate::client::decode_item(&follow_up.item).ok()?;
    let header = report_header(&item)?;
    if header.kind != ItemKind::Report
        || header.report_id != header.item_id
        || header.sender != mailbox
        || !header.recipients.contains(&key.public_key())
    {
        return None;
    }
    let senders = [mailbox];
    let opened = open_item_with_access(
        &item,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders: &senders,
        },
        Access::Stanza,
    )
    .ok()?;
    let content: Value = serde_json::from_slice(&opened.content).ok()?;
    (content["format"] == "meldkluis-report/1" && content["follow_up"] == true)
        .then_some((mailbox, content))
}

fn checked_relative(path: &str) -> Option<PathBuf> {
    if path.is_empty() || path.contains('\\') {
        return None;
    }
    let relative = PathBuf::from(path);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(n) if n.to_str().is_some_and(|n| !n.starts_with('.'))))
        .then_some(relative)
}

fn file_sum(path: &Path) -> Result<(u64, String), ArchiveError> {
    let mut file = std::fs::File::open(path).map_err(io_at(path))?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(io_at(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// Reads the manifest and checks every file it names.
fn verify(export: &Path) -> Result<Manifest, ArchiveError> {
    let path = export.join("manifest.json");
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ArchiveError::NoManifest(export.to_owned()))
        }
        Err(e) => return Err(io_at(&path)(e)),
    };
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| ArchiveError::BadManifest(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(ArchiveError::BadManifest(format!(
            "format {:?}, expected {FORMAT:?}",
            manifest.format
        )));
    }
    let mut seen = BTreeSet::new();
    for file in &manifest.files {
        let relative = checked_relative(&file.path)
            .filter(|_| seen.insert(file.path.clone()))
            .ok_or_else(|| ArchiveError::BadManifest(format!("bad path {:?}", file.path)))?;
        let full = export.join(relative);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(ArchiveError::Damaged(file.path.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ArchiveError::Missing(file.path.clone()))
            }
            Err(e) => return Err(io_at(&full)(e)),
        }
        let (size, sum) = file_sum(&full)?;
        if size != file.size || !sum.eq_ignore_ascii_case(&file.sha256) {
            return Err(ArchiveError::Damaged(file.path.clone()));
        }
    }
    Ok(manifest)
}

/// A private directory (0700).
fn private_dir(dir: &Path) -> Result<(), ArchiveError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_at(dir))
}

/// Writes a private file (0600), never over an existing one.
fn private_file(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_at(path))?;
    file.write_all(bytes).map_err(io_at(path))?;
    file.sync_all().map_err(io_at(path))
}

fn read_json(export: &Path, relative: &str) -> Result<Value, ArchiveError> {
    let path = export.join(relative);
    let bytes = std::fs::read(&path).map_err(io_at(&path))?;
    serde_json::from_slice(&bytes).map_err(|e| ArchiveError::BadFile {
        path: relative.to_owned(),
        why: e.to_string(),
    })
}

/// Opens the export at `export` with `key` into `out` (new or empty; made
/// 0700). `enrolled` is the advisor's enrolled-keys file: the recovery key,
/// their own earlier keys and former recovery keys are the grantors whose
/// key grants are trusted, and the enrolled advisor keys (with `key`) the
/// senders of advisors' messages, exactly as in the console.
pub fn open_export(
    export: &Path,
    out: &Path,
    key: &dyn StaticKey,
    enrolled: &EnrolledKeys,
) -> Result<Opened, ArchiveError> {
    let manifest = verify(export)?;
    let tenant = TenantId::new(&manifest.tenant)
        .map_err(|_| ArchiveError::BadManifest("bad tenant id".into()))?;
    match std::fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(ArchiveError::OutNotEmpty(out.to_owned()));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_at(out)(e)),
    }
    private_dir(out)?;
    #[cfg(unix)]
    std::fs::set_permissions(out, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(io_at(out))?;

    let public_key = key.public_key();
    let mut grantors: Vec<PublicKey> = enrolled.recovery.into_iter().collect();
    grantors.extend(enrolled.earlier.iter().copied());
    grantors.extend(enrolled.former_recovery.iter().copied());
    let mut advisor_senders = enrolled.advisor_keys();
    advisor_senders.push(public_key);
    advisor_senders.extend(enrolled.earlier.iter().copied());
    let trust = Trust {
        tenant,
        grantors,
        advisor_senders,
    };

    // The register, as exported (plain on the server too).
    for name in ["register.csv", "register.json", "tenant.json"] {
        if manifest.files.iter().any(|f| f.path == name) {
            let bytes = std::fs::read(export.join(name)).map_err(io_at(&export.join(name)))?;
            private_file(&out.join(name), &bytes)?;
        }
    }
    let threads: Vec<&str> = manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.starts_with("reports/") && p.ends_with("/thread.json"))
        .collect();
    let mut opened = 0;
    let mut not_opened = Vec::new();
    let reports_out = out.join("reports");
    private_dir(&reports_out)?;
    let me = public_key.to_hex();
    for relative in &threads {
        let mut value = read_json(export, relative)?;
        // Only the grants to this key; the others are someone else's.
        if let Some(Value::Array(grants)) = value.get_mut("grants") {
            grants.retain(|g| g.get("grantee").and_then(Value::as_str) == Some(me.as_str()));
        }
        let thread: Thread =
            serde_json::from_value(value.clone()).map_err(|e| ArchiveError::BadFile {
                path: (*relative).to_owned(),
                why: e.to_string(),
            })?;
        let bad = |why: &str| ArchiveError::BadFile {
            path: (*relative).to_owned(),
            why: why.to_owned(),
        };
        if hex::decode(&thread.report_id).map_or(true, |id| id.len() != 16) {
            return Err(bad("bad report id"));
        }
        let report_dir = reports_out.join(&thread.report_id);
        private_dir(&report_dir)?;
        let report =
            crate::client::decode_item(&thread.report).map_err(|_| bad("bad report item"))?;
        let mut failed = |item_id: &str, kind: &'static str| {
            not_opened.push(NotOpened {
                report_id: thread.report_id.clone(),
                item_id: item_id.to_owned(),
                kind,
            });
        };
        let Ok(opened_report) = open_report(key, &trust, &thread, &report) else {
            failed(&thread.report_id, "report");
            for message in &thread.messages {
                failed(&message.id, "message");
            }
            for attachment in &thread.attachments {
                failed(&attachment.id, "attachment");
            }
            continue;
        };
        private_file(&report_dir.join("report"), &opened_report.content)?;
        opened += 1;
        let header = report_header(&report).ok_or_else(|| bad("bad report item"))?;
        // An oral report's (issue 13) mailbox items open only from the key
        // an advisor's join record names; a web report's from its sender.
        let mailbox = open_messages(key, &trust, &thread, &opened_report.header)
            .map_or(ReportMailbox::NotJoined, |opened| opened.mailbox);
        let senders = thread_senders_with(&header, &trust, &mailbox);
        // Who wrote an item is its sealed sender, never the export's `from`
        // (the server's word): the reporter's only when sealed by the
        // believed mailbox key.
        let believed = mailbox.key();
        let from = |sender: &PublicKey| {
            if believed == Some(*sender) {
                "reporter"
            } else {
                "advisor"
            }
        };
        let mut index = Vec::new();
        for (n, message) in thread.messages.iter().enumerate() {
            let item = crate::client::decode_item(&message.item).map_err(|_| bad("bad message"))?;
            match open_thread_item(key, &trust, &thread, &senders, &message.id, &item) {
                Ok(opened_item) => {
                    let sender = opened_item.header.sender;
                    let name = format!("message-{:04}-{}", n + 1, from(&sender));
                    private_file(&report_dir.join(&name), &opened_item.content)?;
                    index.push(serde_json::json!({
                        "file": name, "item_id": message.id, "from": from(&sender),
                        "sender": sender.to_hex(), "created_day": message.created_day,
                    }));
                    opened += 1;
                }
                Err(_) => failed(&message.id, "message"),
            }
        }
        for attachment in &thread.attachments {
            let relative = format!(
                "reports/{}/attachments/{}.item",
                thread.report_id, attachment.id
            );
            if !manifest.files.iter().any(|f| f.path == relative) {
                failed(&attachment.id, "attachment");
                continue;
            }
            let item =
                std::fs::read(export.join(&relative)).map_err(io_at(&export.join(&relative)))?;
            match open_thread_item(key, &trust, &thread, &senders, &attachment.id, &item) {
                Ok(opened_item) => {
                    let name = format!("attachment-{}", attachment.id);
                    private_file(&report_dir.join(&name), &opened_item.content)?;
                    let sender = opened_item.header.sender;
                    index.push(serde_json::json!({
                        "file": name, "item_id": attachment.id, "from": from(&sender),
                        "sender": sender.to_hex(), "created_day": attachment.created_day,
                    }));
                    opened += 1;
                }
                Err(_) => failed(&attachment.id, "attachment"),
            }
        }
        // A joined oral report's opening item (the reporter's follow-up
        // report) is the reporter's only as sealed by the mailbox key the
        // join records name; anything else stays sealed and is listed.
        let opening = match &thread.opening_item {
            None => Value::Null,
            Some(encoded) => {
                let item =
                    crate::client::decode_item(encoded).map_err(|_| bad("bad opening item"))?;
                let item_id = report_header(&item)
                    .map_or_else(|| "unknown".to_owned(), |h| h.item_id.to_hex());
                let opened_item = believed.and_then(|mailbox| {
                    open_opening_item(key, &trust, &thread, &mailbox, &item).ok()
                });
                match opened_item {
                    Some(opened_item) => {
                        let name = "opening-report.json";
                        private_file(&report_dir.join(name), &opened_item.content)?;
                        opened += 1;
                        serde_json::json!({
                            "file": name, "item_id": item_id, "from": "reporter",
                            "sender": opened_item.header.sender.to_hex(),
                            "joined_day": value.get("joined_day"),
                        })
                    }
                    None => {
                        failed(&item_id, "opening item");
                        serde_json::json!({ "file": null, "item_id": item_id, "opened": false })
                    }
                }
            }
        };
        let about = serde_json::json!({
            "report_id": thread.report_id,
            "created_day": thread.created_day,
            "status": thread.status,
            "register_number": value.get("register_number"),
            "report_from": from(&opened_report.header.sender),
            "report_sender": opened_report.header.sender.to_hex(),
            "mailbox": believed.map(|key| key.to_hex()),
            "opening_item": opening,
            "items": index,
        });
        private_file(
            &report_dir.join("thread.json"),
            &serde_json::to_vec_pretty(&about).unwrap_or_default(),
        )?;
    }
    // Follow-up mailboxes no advisor joined yet: opened where this key is a
    // recipient, as sealed by the follow-up's own mailbox key.
    let mut follow_ups = 0;
    if manifest.files.iter().any(|f| f.path == "follow_ups.json") {
        let waiting: Vec<WaitingFollowUp> =
            serde_json::from_value(read_json(export, "follow_ups.json")?).map_err(|e| {
                ArchiveError::BadFile {
                    path: "follow_ups.json".into(),
                    why: e.to_string(),
                }
            })?;
        let follow_ups_out = out.join("follow-ups");
        private_dir(&follow_ups_out)?;
        for follow_up in &waiting {
            follow_ups += 1;
            match open_follow_up(key, &trust, follow_up) {
                Some((mailbox, content)) => {
                    let about = serde_json::json!({
                        "reference": follow_up.reference,
                        "mailbox_public_key": mailbox.to_hex(),
                        "created_day": follow_up.created_day,
                        "expires_day": follow_up.expires_day,
                        "joined": false,
                        "sender_confirmed": false,
                        "note": FOLLOW_UP_NOTE,
                        "content": content,
                    });
                    private_file(
                        &follow_ups_out.join(format!("{}.json", follow_up.reference)),
                        &serde_json::to_vec_pretty(&about).unwrap_or_default(),
                    )?;
                    opened += 1;
                }
                None => not_opened.push(NotOpened {
                    report_id: String::new(),
                    item_id: follow_up.reference.clone(),
                    kind: "follow-up",
                }),
            }
        }
    }
    let result = Opened {
        tenant: manifest.tenant,
        day: manifest.day,
        reports: threads.len(),
        follow_ups,
        opened,
        not_opened,
    };
    private_file(
        &out.join("not-opened.json"),
        &serde_json::to_vec_pretty(&result.not_opened).unwrap_or_default(),
    )?;
    Ok(result)
}
