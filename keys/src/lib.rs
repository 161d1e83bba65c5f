//! The advisor side of meldkluis: advisor keys on a hardware token.
//!
//! An advisor's X25519 private key never leaves the advisor's token in the
//! clear. Three kinds of key implement crypto-core's [`StaticKey`], so
//! opening items, sealing replies as the sender and answering the log-in
//! challenge all work through any of them:
//!
//! - [`TokenKey`]: an X25519 key generated on a PKCS#11 3.0 token and marked
//!   non-extractable; the key agreement (`CKM_ECDH1_DERIVE` on a
//!   `CKK_EC_MONTGOMERY` key) runs on the token. YubiKey 5.7+ (ykcs11),
//!   OpenPGP cards through OpenSC, kryoptic.
//! - [`WrappedKey`]: for tokens that cannot hold X25519 (SoftHSM2, older
//!   cards): an X25519 secret encrypted (AES-256-GCM) under a non-extractable
//!   AES key on the token, stored in a file, and decrypted only in memory for
//!   one session.
//! - [`InsecureDemoKey`]: a plain file. For the demo and tests only; every
//!   name and every line of output says so.
//!
//! [`recovery`] formats the tenant's offline recovery key for paper.
//!
//! The advisor's work with the server: [`client`] (the server's advisor API
//! over HTTP), [`reading`] (opening a thread's items, through the key's
//! stanza or a key grant), [`reseal`] (key grants to a new key after a lost
//! token or a rotation), [`enrolled`] (the keys the advisor confirmed, and
//! the key-substitution check), and [`console`] (the local web UI).
//!
//! This crate never sends a key anywhere: it talks to a token through
//! PKCS#11 and to the server over HTTP only. It holds no PIN beyond the
//! call that logs in, and writes nothing decrypted to disk.
//!
//! [`StaticKey`]: meldkluis_crypto_core::StaticKey
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod archive;
pub mod ceremony;
pub mod client;
pub mod console;
mod demo;
pub mod enrolled;
mod error;
pub mod figures;
pub mod pin;
pub mod pins;
pub mod reading;
pub mod recovery;
pub mod reseal;
pub mod token;
mod token_key;
mod wrapped;

pub use demo::InsecureDemoKey;
pub use error::Error;
pub use pin::Pin;
pub use token::{Pkcs11Module, Token, TokenSelector};
pub use token_key::{KeyProtection, TokenKey, DEFAULT_KEY_LABEL};
pub use wrapped::{WrappedKey, WRAPPED_KEY_FILE_LEN};

/// The environment variable naming the PKCS#11 module (a `.so` path), read by
/// the binaries when no `--module` is given.
pub const MODULE_ENV: &str = "MELDKLUIS_PKCS11_MODULE";

/// Enrolment text for the operator: the public key and its fingerprint, to be
/// added to the tenant with the server CLI and compared aloud.
pub fn enrolment_text(kind: &str, public_key: &meldkluis_crypto_core::PublicKey) -> String {
    format!(
        "key kind:     {kind}\npublic key:   {}\nfingerprint:  {}\n",
        public_key.to_hex(),
        public_key.fingerprint()
    )
}
