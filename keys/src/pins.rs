//! Report pins: which report the advisor read under each report id.
//!
//! A report's id is chosen by the reporter's browser and sent by the
//! server; nothing stops a breached server from filing a report of its own
//! (sealed to the advisor by a mailbox key it holds) under the id of a real
//! one, and serving it only when the advisor answers, so that the reply,
//! written about the real reporter's case, is sealed to the server's key.
//! So the console pins, at first sight, each report id to the report's
//! mailbox key and header hash (the header names the mailbox key, the
//! recipients and the item id; an opened report's header is authentic),
//! and acts on a report (reply, status, date, category, export, key
//! introduction) only while the server still serves that same report.
//!
//! Pins are kept across runs in the advisor's own file, by default next to
//! their enrolled-keys file (`<enrolled-keys file>.pins`; `meldkluis-advisor
//! console --pins FILE` puts it elsewhere; a library user without a file
//! keeps them for the run only):
//!
//! ```text
//! # meldkluis report pins: report id, mailbox key, report header hash (first sight)
//! pin 5f0c...91aa 340b...0761 9e2d...17c4
//! ```
//!
//! One line per report: `pin`, the report id (32 hex digits), the mailbox
//! key (64 hex digits), the header hash (64 hex digits). It holds no secret
//! and no content, but it does say which reports this advisor has read, so
//! it is created readable by its owner only (0600), and a file that others
//! may read or write is refused. It is written whole to a new file beside it
//! and renamed over it (atomic: a crash leaves the old or the new file, never
//! half of one). An absent file is an empty one (the first run creates it).
//! Pins are never removed: a report id that meant one report never means
//! another.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use meldkluis_crypto_core::format::HEADER_HASH_LEN;
use meldkluis_crypto_core::{ItemHeader, PublicKey};

use crate::Error;

/// The first line of a pins file.
const PINS_FILE_HEADER: &str =
    "# meldkluis report pins: report id, mailbox key, report header hash (first sight)\n";

/// What a report id is pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPin {
    /// The reporter's mailbox key: the report's sender.
    pub mailbox: PublicKey,
    /// The hash of the report's exact header.
    pub header_hash: [u8; HEADER_HASH_LEN],
}

impl ReportPin {
    /// The pin of an (opened, so authentic) report header.
    pub fn of(header: &ItemHeader) -> Self {
        Self {
            mailbox: header.sender,
            header_hash: header.hash(),
        }
    }

    /// The header hash in hex, as the console's forms carry it.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.header_hash)
    }
}

/// What a check against the pins found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    /// First sight: now pinned.
    New,
    /// The same report as pinned.
    Same,
    /// Another report than the one pinned under this id.
    Differs,
}

/// The pins of one console (and, with a state file, of earlier runs).
#[derive(Debug)]
pub struct Pins {
    path: Option<PathBuf>,
    pins: Mutex<BTreeMap<String, ReportPin>>,
}

impl Pins {
    /// Pins for this run only.
    pub fn in_memory() -> Self {
        Self {
            path: None,
            pins: Mutex::new(BTreeMap::new()),
        }
    }

    /// Pins kept in `path` (see the module documentation). An absent file is
    /// empty; a file others may read or write, or one that does not parse,
    /// is refused.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let pins = match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path)?;
                parse(&text)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::io(path)(e)),
        };
        Ok(Self {
            path: Some(path.to_owned()),
            pins: Mutex::new(pins),
        })
    }

    /// Where the pins are kept, if anywhere.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The pin of a report, if it has one.
    pub fn get(&self, report_id: &str) -> Option<ReportPin> {
        self.lock().get(report_id).copied()
    }

    /// Compares `seen` with the pin of `report_id`, pinning it (and saving
    /// the file) at first sight.
    pub fn check_or_pin(&self, report_id: &str, seen: ReportPin) -> Result<PinCheck, Error> {
        let mut pins = self.lock();
        match pins.get(report_id) {
            Some(pinned) if *pinned == seen => Ok(PinCheck::Same),
            Some(_) => Ok(PinCheck::Differs),
            None => {
                pins.insert(report_id.to_owned(), seen);
                if let Some(path) = &self.path {
                    if let Err(e) = save(path, &pins) {
                        pins.remove(report_id);
                        return Err(e);
                    }
                }
                Ok(PinCheck::New)
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, ReportPin>> {
        self.pins.lock().expect("the pins lock is never poisoned")
    }
}

fn parse(text: &str) -> Result<BTreeMap<String, ReportPin>, Error> {
    const BAD: Error = Error::Malformed("report pins file (expected lines 'pin ID MAILBOX HASH')");
    let mut pins = BTreeMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let ["pin", id, mailbox, hash] = words[..] else {
            return Err(BAD);
        };
        let id_ok = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        let mailbox = PublicKey::from_hex(mailbox).map_err(|_| BAD)?;
        let mut header_hash = [0u8; HEADER_HASH_LEN];
        hex::decode_to_slice(hash, &mut header_hash).map_err(|_| BAD)?;
        if !id_ok {
            return Err(BAD);
        }
        let pin = ReportPin {
            mailbox,
            header_hash,
        };
        if pins
            .insert(id.to_ascii_lowercase(), pin)
            .is_some_and(|p| p != pin)
        {
            return Err(Error::Malformed(
                "report pins file (one report id pinned twice, differently)",
            ));
        }
    }
    Ok(pins)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(Error::io(path))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Error::Malformed(
            "report pins file: others may read or change it; make it yours only (chmod 600)",
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), Error> {
    Ok(())
}

/// Writes the whole file to a new file beside it (0600), syncs it, and
/// renames it over the old one.
fn save(path: &Path, pins: &BTreeMap<String, ReportPin>) -> Result<(), Error> {
    let mut text = String::from(PINS_FILE_HEADER);
    for (id, pin) in pins {
        text.push_str(&format!(
            "pin {id} {} {}\n",
            pin.mailbox.to_hex(),
            pin.hash_hex()
        ));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut suffix = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut meldkluis_crypto_core::os_rng(), &mut suffix);
    let name = path
        .file_name()
        .ok_or(Error::Malformed("report pins file name"))?
        .to_string_lossy();
    let temporary = dir.join(format!(".{name}.{}.new", hex::encode(suffix)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(text.as_bytes())?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(Error::io(path)(e));
    }
    // The rename itself is durable once the directory is synced.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(byte: u8) -> ReportPin {
        ReportPin {
            mailbox: PublicKey::from_bytes([byte; 32]),
            header_hash: [byte; HEADER_HASH_LEN],
        }
    }

    #[test]
    fn first_sight_pins_and_a_different_report_is_caught_across_runs() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("pins.txt");
        let id = "0123456789abcdef0123456789abcdef";
        let pins = Pins::load(&path).expect("an absent file is empty");
        assert_eq!(pins.check_or_pin(id, pin(1)).expect("saved"), PinCheck::New);
        assert_eq!(pins.check_or_pin(id, pin(1)).expect("ok"), PinCheck::Same);
        assert_eq!(
            pins.check_or_pin(id, pin(2)).expect("ok"),
            PinCheck::Differs
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("written")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The next run remembers; no temporary file is left behind.
        let again = Pins::load(&path).expect("loads");
        assert_eq!(again.get(id), Some(pin(1)));
        assert_eq!(
            again.check_or_pin(id, pin(2)).expect("ok"),
            PinCheck::Differs
        );
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn a_file_others_can_read_or_a_malformed_one_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("pins.txt");
        std::fs::write(&path, "pin nonsense\n").expect("written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        assert!(matches!(Pins::load(&path), Err(Error::Malformed(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::write(&path, PINS_FILE_HEADER).expect("written");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let refused = Pins::load(&path).expect_err("refused");
            assert!(refused.to_string().contains("chmod 600"), "{refused}");
        }
    }
}
