//! X25519 keys, and the trait through which a static key is used.
//!
//! Public keys are plain values. Secret keys live in [`StaticSecret`], which
//! wipes itself on drop and has no `Debug`, `Clone` or comparison. Anything
//! that needs a static key (the sender in HPKE auth mode, a recipient
//! opening an item, an advisor answering a log-in challenge) takes a
//! `&dyn StaticKey`, so the key agreement can run inside a hardware token.

use core::fmt;

use rand_core::CryptoRngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Error;

/// Length of an X25519 public key, secret key and shared secret.
pub const KEY_LEN: usize = 32;

/// An X25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// Wraps 32 bytes.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a key from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        <[u8; KEY_LEN]>::try_from(bytes)
            .map(Self)
            .map_err(|_| Error::Malformed("public key"))
    }

    /// The key's bytes.
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let bytes = hex::decode(text.trim()).map_err(|_| Error::Malformed("public key"))?;
        Self::from_slice(&bytes)
    }

    /// A fingerprint people can compare aloud: twelve groups of five decimal
    /// digits (about 199 bits of SHA-256 of the key), as Signal's safety
    /// numbers do. Digits read the same in every language.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"meldkluis key fingerprint v1");
        hasher.update(self.0);
        let digest = hasher.finalize();
        // 12 groups of 5 digits from 12 chunks of the digest (40 bits each
        // would need 240 bits; 20 bits per group from 30 bytes is plenty: each
        // group is a value below 100 000 taken from 2.5 bytes).
        let mut groups = Vec::with_capacity(12);
        for i in 0..12 {
            let bit = i * 20;
            let mut value: u32 = 0;
            for b in 0..20 {
                let pos = bit + b;
                let byte = digest[pos / 8];
                let set = (byte >> (7 - pos % 8)) & 1;
                value = (value << 1) | u32::from(set);
            }
            groups.push(format!("{:05}", value % 100_000));
        }
        groups.join(" ")
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// The 32-byte output of an X25519 key agreement. Wiped on drop.
pub struct SharedSecret(Zeroizing<[u8; KEY_LEN]>);

impl SharedSecret {
    /// Wraps the output of a key agreement done elsewhere (a hardware token).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes. Only for key derivation.
    pub fn expose_secret_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// True if the agreement gave all zeros (the peer sent a low-order point).
    pub(crate) fn is_all_zero(&self) -> bool {
        use subtle::ConstantTimeEq;
        self.0.ct_eq(&[0u8; KEY_LEN]).into()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// A static X25519 key that can do key agreement: in memory
/// ([`StaticSecret`]) or inside a hardware token (the `keys` crate).
pub trait StaticKey {
    /// The public half.
    fn public_key(&self) -> PublicKey;
    /// X25519(self, peer). Implementations need not check for the all-zero
    /// output; every caller in this crate does.
    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, Error>;
}

/// An X25519 secret key held in memory. Wiped on drop; never printed.
pub struct StaticSecret {
    secret: x25519_dalek::StaticSecret,
    public: PublicKey,
}

impl StaticSecret {
    /// A fresh key from the given random source.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_bytes(*bytes)
    }

    /// A key from its 32 secret bytes (clamped by X25519 when used).
    pub fn from_bytes(mut bytes: [u8; KEY_LEN]) -> Self {
        let secret = x25519_dalek::StaticSecret::from(bytes);
        bytes.zeroize();
        let public = PublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes());
        Self { secret, public }
    }

    /// The 32 secret bytes, for storing the key under another layer of
    /// protection (a wrapped key, a demo file). Loud on purpose.
    pub fn expose_secret_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.secret.to_bytes())
    }
}

impl StaticKey for StaticSecret {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer.0));
        Ok(SharedSecret::from_bytes(shared.to_bytes()))
    }
}

impl ZeroizeOnDrop for StaticSecret {}

impl fmt::Debug for StaticSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticSecret")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}
