//! A software key in a plain file: for the demo tenant and tests ONLY.
//!
//! Anyone who can read the file can read every report sealed to the key.
//! The type's name, the file's first line and every line the binaries print
//! about it say so. The format is the server's demo key format (a `#`
//! comment line, then 64 hex digits), so the server's `demo` keys load here.

use std::io::Write;
use std::path::Path;

use meldkluis_crypto_core::{os_rng, PublicKey, SharedSecret, StaticKey, StaticSecret};
use zeroize::Zeroizing;

use crate::Error;

const WARNING_LINE: &[u8] =
    b"# DEMO ONLY - a software key for trying meldkluis. Never use for real reports.\n";

/// An X25519 key read from a plain file. INSECURE: demo and tests only.
pub struct InsecureDemoKey {
    secret: StaticSecret,
}

impl core::fmt::Debug for InsecureDemoKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InsecureDemoKey")
            .field("public", &self.secret.public_key())
            .finish_non_exhaustive()
    }
}

impl InsecureDemoKey {
    /// Makes a key and writes it in the clear to `path` (which must not
    /// exist), readable by the owner only.
    pub fn generate(path: &Path) -> Result<Self, Error> {
        let secret = StaticSecret::generate(&mut os_rng());
        let text = Zeroizing::new(hex::encode(secret.expose_secret_bytes().as_ref()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(Error::io(path))?;
        file.write_all(WARNING_LINE)
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(Error::io(path))?;
        Ok(Self { secret })
    }

    /// Reads a key file (lines starting with `#` are comments).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(Error::io(path))?);
        let hex_line = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .ok_or(Error::Malformed("demo key file"))?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(hex_line, bytes.as_mut())
            .map_err(|_| Error::Malformed("demo key file"))?;
        Ok(Self {
            secret: StaticSecret::from_bytes(*bytes),
        })
    }
}

impl StaticKey for InsecureDemoKey {
    fn public_key(&self) -> PublicKey {
        self.secret.public_key()
    }

    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, meldkluis_crypto_core::Error> {
        self.secret.agree(peer)
    }
}
