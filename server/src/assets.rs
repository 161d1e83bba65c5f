//! The browser bundle the reporter's pages load: the wasm build of
//! crypto-core, the page scripts, the derivation worker and the stylesheet,
//! as `scripts/build-wasm.sh` leaves them in `web-client/pkg/`.
//!
//! They are read once at start, hashed (SHA-384, for Subresource Integrity:
//! the pages name each file with its hash, so a browser runs nothing else)
//! and compressed once. `meldkluis-server assets` prints the same hashes, so
//! they can be published and compared with a reproducible build.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha384};

/// The files of the bundle, with their content types. Nothing else under
/// the directory is ever served.
pub const BUNDLE: &[(&str, &str)] = &[
    ("meldkluis.css", "text/css; charset=utf-8"),
    ("report.js", "text/javascript; charset=utf-8"),
    ("mailbox.js", "text/javascript; charset=utf-8"),
    ("management.js", "text/javascript; charset=utf-8"),
    ("derive-worker.js", "text/javascript; charset=utf-8"),
    ("voice.js", "text/javascript; charset=utf-8"),
    ("meldkluis.wasm", "application/wasm"),
];

/// One file of the bundle.
#[derive(Debug)]
pub struct Asset {
    /// The bytes as built.
    pub bytes: Vec<u8>,
    /// The same, gzip-compressed (for clients that accept it).
    pub gzip: Vec<u8>,
    /// `sha384-<base64>`, for an `integrity` attribute.
    pub integrity: String,
    /// The `Content-Type`.
    pub content_type: &'static str,
}

/// The loaded bundle.
#[derive(Debug, Default)]
pub struct Assets {
    files: BTreeMap<&'static str, Asset>,
    /// Why the bundle is unusable, if it is (the pages then explain).
    missing: Option<String>,
}

/// The Subresource Integrity value of `bytes`.
pub fn integrity(bytes: &[u8]) -> String {
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

impl Assets {
    /// Reads the bundle from `dir`. A missing file is not fatal (the API
    /// still serves); the pages say what is wrong instead.
    pub fn load(dir: &Path) -> Self {
        let mut files = BTreeMap::new();
        let mut missing = Vec::new();
        for (name, content_type) in BUNDLE {
            match std::fs::read(dir.join(name)) {
                Ok(bytes) => {
                    let mut encoder =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                    let gzip = encoder
                        .write_all(&bytes)
                        .and_then(|()| encoder.finish())
                        .unwrap_or_default();
                    files.insert(
                        *name,
                        Asset {
                            integrity: integrity(&bytes),
                            gzip,
                            bytes,
                            content_type,
                        },
                    );
                }
                Err(_) => missing.push(*name),
            }
        }
        let missing = (!missing.is_empty()).then(|| {
            format!(
                "the browser bundle is incomplete in {} (missing {}): run scripts/build-wasm.sh",
                dir.display(),
                missing.join(", ")
            )
        });
        if let Some(why) = &missing {
            tracing::warn!("{why}");
        }
        Self { files, missing }
    }

    /// A file of the bundle.
    pub fn get(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }

    /// Why the bundle cannot be used, if it cannot.
    pub fn problem(&self) -> Option<&str> {
        self.missing.as_deref()
    }

    /// Every file with its integrity value, for publishing.
    pub fn hashes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(n, a)| (*n, a.integrity.as_str()))
    }

    /// `/assets/<name>` and the integrity value of a file (empty strings
    /// when missing: the page then fails closed, as a browser refuses a
    /// script whose integrity does not match).
    pub fn reference(&self, name: &str) -> (String, String) {
        (
            format!("/assets/{name}"),
            self.get(name)
                .map(|a| a.integrity.clone())
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_the_sri_sha384() {
        // The SRI specification's example value for "alert('Hello, world.');".
        assert_eq!(
            integrity(b"alert('Hello, world.');"),
            "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"
        );
    }

    #[test]
    fn a_missing_bundle_is_reported_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("meldkluis.css"), "body{}").expect("write");
        std::fs::write(dir.path().join("secret.txt"), "no").expect("write");
        let assets = Assets::load(dir.path());
        assert!(assets.get("meldkluis.css").is_some());
        assert!(
            assets.get("secret.txt").is_none(),
            "only the bundle is served"
        );
        let problem = assets.problem().expect("incomplete");
        assert!(problem.contains("report.js") && problem.contains("build-wasm.sh"));
    }
}
