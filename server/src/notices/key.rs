//! The notice key: the one server-held key of the e-mail store.
//!
//! From it, HKDF-SHA256 derives two independent keys: one for the keyed
//! hashes that find a row (HMAC-SHA256 of a label, the tenant and the
//! mailbox id or advisor key), one for sealing what a row holds
//! (ChaCha20-Poly1305, a fresh random nonce per seal, the row's key as
//! associated data, so a sealed value copied into another row does not open).
//!
//! Without this key the e-mail store is a list of random-looking lookups
//! and ciphertexts: nothing in it can be computed from, or matched against,
//! a tenant database. The key lives outside the data directory (or in the
//! environment), so a copy of the data directory alone links nothing.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Mac, SimpleHmac};
use meldkluis_crypto_core::{PublicKey, TenantId};
use zeroize::Zeroizing;

use crate::config::Config;

/// Length of a nonce.
const NONCE_LEN: usize = 12;
/// Associated-data prefix of every sealed value (the version of this format).
const AAD_PREFIX: &[u8] = b"meldkluis e-mail store v1\0";

/// A sealed value did not open (wrong key, moved or altered). Deliberately
/// says nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("could not open")]
pub struct CouldNotOpen;

/// The notice key, split into its two derived keys. Never printed; wiped on
/// drop.
pub struct NoticeKey {
    lookup: Zeroizing<[u8; 32]>,
    seal: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for NoticeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NoticeKey(..)")
    }
}

/// Where the notice key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// The environment variable `MELDKLUIS_NOTICE_KEY`.
    Environment,
    /// The file at `notice_key_path`.
    File,
}

impl NoticeKey {
    /// Derives the two keys from the 32-byte notice key.
    pub fn from_master(master: &[u8; 32]) -> Self {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(Some(b"meldkluis notice key v1"), master);
        let mut lookup = Zeroizing::new([0u8; 32]);
        let mut seal = Zeroizing::new([0u8; 32]);
        hkdf.expand(b"lookup", lookup.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        hkdf.expand(b"seal", seal.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self { lookup, seal }
    }

    /// The key from the environment (`MELDKLUIS_NOTICE_KEY`, 64 hex digits)
    /// if set, else from the configured file if it exists. `Ok(None)` when
    /// there is no key yet: it is made by [`NoticeKey::load_or_create`] the
    /// first time an address is stored.
    pub fn load(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> std::io::Result<Option<(Self, KeySource)>> {
        if let Some(text) = env("MELDKLUIS_NOTICE_KEY").map(Zeroizing::new) {
            let master = crate::config::parse_secret_hex(text.as_bytes()).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "MELDKLUIS_NOTICE_KEY is not 64 hex digits",
                )
            })?;
            return Ok(Some((Self::from_master(&master), KeySource::Environment)));
        }
        match std::fs::metadata(config.notice_key_path()) {
            Ok(_) => Self::load_or_create(config).map(|key| Some((key, KeySource::File))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The key from the configured file, created (0600) if missing.
    pub fn load_or_create(config: &Config) -> std::io::Result<Self> {
        let master =
            crate::config::load_or_create_secret_file(&config.notice_key_path(), "notice key")?;
        Ok(Self::from_master(&master))
    }

    fn hmac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(self.lookup.as_slice())
            .expect("HMAC accepts any key length");
        for part in parts {
            // Length-prefixed, so no two different lists of parts hash alike.
            mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The row key of a reporter's address: HMAC(tenant, mailbox id).
    pub fn reporter_lookup(&self, tenant: &TenantId, mailbox_id: &[u8; 16]) -> [u8; 32] {
        self.hmac(&[b"reporter", tenant.as_str().as_bytes(), mailbox_id])
    }

    /// The row key of an advisor's address: HMAC(tenant, advisor key).
    pub fn advisor_lookup(&self, tenant: &TenantId, advisor: &PublicKey) -> [u8; 32] {
        self.hmac(&[b"advisor", tenant.as_str().as_bytes(), advisor.as_bytes()])
    }

    /// The key that makes a day's digest to one advisor unique.
    pub fn digest_dedupe(&self, advisor_lookup: &[u8; 32], day: &str) -> [u8; 32] {
        self.hmac(&[b"digest", advisor_lookup, day.as_bytes()])
    }

    /// Seals `plaintext` for the row `row` of table `table`: a fresh nonce
    /// followed by the ciphertext.
    pub fn seal(&self, table: &str, row: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let cipher = ChaCha20Poly1305::new(self.seal.as_slice().into());
        let mut nonce = [0u8; NONCE_LEN];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let aad = aad(table, row);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("ChaCha20-Poly1305 seals any message under 256 GiB");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`NoticeKey::seal`] sealed for the same table and row.
    pub fn open(
        &self,
        table: &str,
        row: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CouldNotOpen> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CouldNotOpen);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let cipher = ChaCha20Poly1305::new(self.seal.as_slice().into());
        let aad = aad(table, row);
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CouldNotOpen)
    }
}

fn aad(table: &str, row: &[u8]) -> Vec<u8> {
    let mut aad = AAD_PREFIX.to_vec();
    aad.extend_from_slice(table.as_bytes());
    aad.push(0);
    aad.extend_from_slice(row);
    aad
}

/// Joins fields into one plaintext: each field a 2-byte big-endian length and
/// its bytes, in a buffer sized up front (no reallocation leaves a copy of
/// an address behind) and wiped on drop.
pub(crate) fn join_fields(fields: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len = fields.iter().map(|f| 2 + f.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    for field in fields {
        let n = u16::try_from(field.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&n.to_be_bytes());
        out.extend_from_slice(&field[..usize::from(n)]);
    }
    out
}

/// Splits what [`join_fields`] joined; `None` if malformed.
pub(crate) fn split_fields(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return None;
        }
        let (field, rest) = rest.split_at(len);
        fields.push(field);
        bytes = rest;
    }
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_own_row() {
        let key = NoticeKey::from_master(&[7; 32]);
        let sealed = key.seal("addresses", b"row-a", b"someone@example.org");
        assert_eq!(
            key.open("addresses", b"row-a", &sealed)
                .expect("opens")
                .as_slice(),
            b"someone@example.org"
        );
        assert_eq!(key.open("addresses", b"row-b", &sealed), Err(CouldNotOpen));
        assert_eq!(key.open("outbox", b"row-a", &sealed), Err(CouldNotOpen));
        let other = NoticeKey::from_master(&[8; 32]);
        assert_eq!(
            other.open("addresses", b"row-a", &sealed),
            Err(CouldNotOpen)
        );
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert_eq!(key.open("addresses", b"row-a", &flipped), Err(CouldNotOpen));
        assert_eq!(
            key.open("addresses", b"row-a", &sealed[..10]),
            Err(CouldNotOpen)
        );
        // A fresh nonce each time: the same address seals differently.
        assert_ne!(
            sealed,
            key.seal("addresses", b"row-a", b"someone@example.org")
        );
        assert_eq!(format!("{key:?}"), "NoticeKey(..)");
    }

    #[test]
    fn lookups_are_keyed_and_separate_their_inputs() {
        let key = NoticeKey::from_master(&[7; 32]);
        let t = TenantId::new("acme").expect("valid");
        let u = TenantId::new("acme2").expect("valid");
        let a = key.reporter_lookup(&t, &[1; 16]);
        assert_eq!(a, key.reporter_lookup(&t, &[1; 16]));
        assert_ne!(a, key.reporter_lookup(&u, &[1; 16]));
        assert_ne!(a, key.reporter_lookup(&t, &[2; 16]));
        assert_ne!(
            a,
            NoticeKey::from_master(&[8; 32]).reporter_lookup(&t, &[1; 16])
        );
        let advisor = PublicKey::from_bytes([1; 32]);
        assert_ne!(key.advisor_lookup(&t, &advisor), a);
    }

    #[test]
    fn fields_round_trip() {
        let joined = join_fields(&[b"a@b.example", b"", b"nl"]);
        let fields = split_fields(&joined).expect("valid");
        assert_eq!(fields, vec![&b"a@b.example"[..], b"", b"nl"]);
        assert!(split_fields(&[0, 5, 1]).is_none());
        assert!(split_fields(&[0]).is_none());
    }

    #[test]
    fn the_key_comes_from_the_environment_or_a_private_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            data_dir: dir.path().join("data"),
            notice_key_path: Some(dir.path().join("secrets").join("notice-key")),
            ..Config::default()
        };
        assert!(NoticeKey::load(&config, |_| None)
            .expect("no key")
            .is_none());
        let created = NoticeKey::load_or_create(&config).expect("created");
        let (loaded, source) = NoticeKey::load(&config, |_| None)
            .expect("read")
            .expect("exists");
        assert_eq!(source, KeySource::File);
        let t = TenantId::new("t").expect("valid");
        assert_eq!(
            created.reporter_lookup(&t, &[0; 16]),
            loaded.reporter_lookup(&t, &[0; 16])
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(config.notice_key_path())
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let env = |name: &str| (name == "MELDKLUIS_NOTICE_KEY").then(|| "ab".repeat(32));
        let (from_env, source) = NoticeKey::load(&config, env).expect("env").expect("set");
        assert_eq!(source, KeySource::Environment);
        assert_ne!(
            from_env.reporter_lookup(&t, &[0; 16]),
            loaded.reporter_lookup(&t, &[0; 16])
        );
        let bad = |name: &str| (name == "MELDKLUIS_NOTICE_KEY").then(|| "xyz".to_owned());
        assert!(NoticeKey::load(&config, bad).is_err());
    }
}
