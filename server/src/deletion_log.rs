//! The deletion log: what the law required to be gone, so that it stays
//! gone when an older copy of the data comes back.
//!
//! A report deleted after a backup was taken is still in that backup.
//! Restoring the backup must not bring it back, so every deletion is first
//! written here, in a file kept outside the tenant databases (and, on a
//! real installation, on other storage than the data directory: the
//! `deletion_log_path` setting), fsynced before the deletion itself is
//! committed. The log is applied at restore and at every start: whatever
//! it names and is still present is deleted again.
//!
//! The format is text, one entry a line, after a first line naming it:
//!
//! ```text
//! meldkluis-deletion-log/1
//! 2027-03-01 report acme 0f1e2d3c4b5a69788796a5b4c3d2e1f0
//! 2032-03-01 register acme 17
//! 2027-06-30 tenant acme
//! ```
//!
//! A report id is random and says nothing by itself; the log holds no
//! content, no category, no address. A torn last line (a crash during an
//! append) is ignored: the deletion it was to precede was never committed.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use meldkluis_crypto_core::TenantId;

use crate::dates::Day;

/// The first line of every deletion log.
pub const HEADER: &str = "meldkluis-deletion-log/1";

/// One deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A report's content (items, grants, credentials, metadata) was deleted.
    Report {
        /// The day of deletion.
        day: Day,
        /// The tenant.
        tenant: TenantId,
        /// The report id.
        report_id: [u8; 16],
    },
    /// A register line was deleted at the end of the register period.
    Register {
        /// The day of deletion.
        day: Day,
        /// The tenant.
        tenant: TenantId,
        /// The register number.
        number: u64,
    },
    /// A whole tenant was deleted (`tenant delete`).
    Tenant {
        /// The day of deletion.
        day: Day,
        /// The tenant.
        tenant: TenantId,
    },
}

impl Entry {
    /// The tenant the entry is about.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Self::Report { tenant, .. }
            | Self::Register { tenant, .. }
            | Self::Tenant { tenant, .. } => tenant,
        }
    }

    /// The entry as one line, without the newline.
    pub fn to_line(&self) -> String {
        match self {
            Self::Report {
                day,
                tenant,
                report_id,
            } => format!("{day} report {tenant} {}", hex::encode(report_id)),
            Self::Register {
                day,
                tenant,
                number,
            } => format!("{day} register {tenant} {number}"),
            Self::Tenant { day, tenant } => format!("{day} tenant {tenant}"),
        }
    }

    /// Reads one line (without its newline).
    pub fn parse(line: &str) -> Option<Self> {
        let mut words = line.split(' ');
        let day = Day::parse(words.next()?)?;
        let kind = words.next()?;
        let tenant = TenantId::new(words.next()?).ok()?;
        let entry = match kind {
            "report" => {
                let mut report_id = [0u8; 16];
                let hex_id = words.next()?;
                if hex_id.len() != 32 || hex_id.bytes().any(|b| b.is_ascii_uppercase()) {
                    return None;
                }
                hex::decode_to_slice(hex_id, &mut report_id).ok()?;
                Self::Report {
                    day,
                    tenant,
                    report_id,
                }
            }
            "register" => {
                let text = words.next()?;
                if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                Self::Register {
                    day,
                    tenant,
                    number: text.parse().ok()?,
                }
            }
            "tenant" => Self::Tenant { day, tenant },
            _ => return None,
        };
        words.next().is_none().then_some(entry)
    }
}

/// Why the deletion log cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeletionLogError {
    /// The file could not be read or written.
    #[error("deletion log {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a deletion log, or a complete line in it does not
    /// read: refusing is safer than forgetting a deletion.
    #[error("deletion log {path}, line {line}: not a meldkluis deletion log entry")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
}

/// The deletion log, open for appending.
#[derive(Debug)]
pub struct DeletionLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl DeletionLog {
    /// Opens (creating, with its first line, if needed) the log at `path`.
    /// A new file and its directory entry are fsynced before this returns.
    pub fn open(path: &Path) -> Result<Self, DeletionLogError> {
        let io = |source| DeletionLogError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io)?;
        if file.metadata().map_err(io)?.len() == 0 {
            file.write_all(format!("{HEADER}\n").as_bytes())
                .map_err(io)?;
            file.sync_all().map_err(io)?;
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                File::open(parent).and_then(|d| d.sync_all()).map_err(io)?;
            }
        }
        // Refuse a file that is not a deletion log before appending to it.
        Self::read(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends entries and fsyncs: call before committing the deletions
    /// they record. One `write` call, so appends from the server and the
    /// operator's command line do not interleave within a line.
    pub fn append(&self, entries: &[Entry]) -> Result<(), DeletionLogError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for entry in entries {
            text.push_str(&entry.to_line());
            text.push('\n');
        }
        let file = self
            .file
            .lock()
            .expect("deletion log lock is never poisoned");
        let io = |source| DeletionLogError::Io {
            path: self.path.clone(),
            source,
        };
        (&*file).write_all(text.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// Every entry of the log at `path` (none if there is no file). A torn
    /// last line is ignored; any other line that does not read is an error.
    pub fn read(path: &Path) -> Result<Vec<Entry>, DeletionLogError> {
        let text = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(DeletionLogError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        Self::parse(&text).map_err(|line| DeletionLogError::Corrupt {
            path: path.to_owned(),
            line,
        })
    }

    /// Reads a log's bytes; on error, the 1-based number of the bad line.
    pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, usize> {
        if bytes.is_empty() {
            return Ok(Vec::new());
        }
        // Everything after the last newline is a torn append.
        let complete = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(end) => &bytes[..end],
            None if HEADER.as_bytes().starts_with(bytes) => return Ok(Vec::new()),
            None => return Err(1),
        };
        let text = std::str::from_utf8(complete).map_err(|_| 1usize)?;
        let mut lines = text.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(1);
        }
        lines
            .enumerate()
            .map(|(i, line)| Entry::parse(line).ok_or(i + 2))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("acme").expect("tenant id")
    }

    fn day(text: &str) -> Day {
        Day::parse(text).expect("day")
    }

    #[test]
    fn entries_survive_a_round_trip_through_the_file_and_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("deletion-log");
        let entries = vec![
            Entry::Report {
                day: day("2027-03-01"),
                tenant: tenant(),
                report_id: [0xab; 16],
            },
            Entry::Register {
                day: day("2032-03-01"),
                tenant: tenant(),
                number: 17,
            },
            Entry::Tenant {
                day: day("2027-06-30"),
                tenant: tenant(),
            },
        ];
        let log = DeletionLog::open(&path).expect("open");
        log.append(&entries[..2]).expect("append");
        drop(log);
        DeletionLog::open(&path)
            .expect("reopen")
            .append(&entries[2..])
            .expect("append");
        assert_eq!(DeletionLog::read(&path).expect("read"), entries);
        let text = std::fs::read_to_string(&path).expect("text");
        assert_eq!(
            text,
            "meldkluis-deletion-log/1\n\
             2027-03-01 report acme abababababababababababababababab\n\
             2032-03-01 register acme 17\n\
             2027-06-30 tenant acme\n"
        );
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_bad_complete_line_refused() {
        let good = b"meldkluis-deletion-log/1\n2027-03-01 tenant acme\n";
        assert_eq!(DeletionLog::parse(good).map(|e| e.len()), Ok(1));
        let torn = b"meldkluis-deletion-log/1\n2027-03-01 tenant acme\n2027-03-02 rep";
        assert_eq!(DeletionLog::parse(torn).map(|e| e.len()), Ok(1));
        assert_eq!(DeletionLog::parse(b"meldkluis-del").map(|e| e.len()), Ok(0));
        for (bad, line) in [
            (&b"not a log\n"[..], 1),
            (b"meldkluis-deletion-log/1\n2027-03-01 report acme 00\n", 2),
            (b"meldkluis-deletion-log/1\n2027-03-01 tenant acme\n2027-02-30 tenant acme\n", 3),
            (b"meldkluis-deletion-log/1\n2027-03-01 tenant ACME\n", 2),
            (b"meldkluis-deletion-log/1\n2027-03-01 register acme -1\n", 2),
            (b"meldkluis-deletion-log/1\n2027-03-01 tenant acme extra\n", 2),
            (
                b"meldkluis-deletion-log/1\n2027-03-01 report acme ABABABABABABABABABABABABABABABAB\n",
                2,
            ),
        ] {
            assert_eq!(DeletionLog::parse(bad), Err(line), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_file_that_is_not_a_deletion_log_is_not_appended_to() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:8080\"\n").expect("write");
        assert!(matches!(
            DeletionLog::open(&path),
            Err(DeletionLogError::Corrupt { line: 1, .. })
        ));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "listen = \"127.0.0.1:8080\"\n"
        );
    }
}
