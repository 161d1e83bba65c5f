//! The advisor's log-in: a challenge answered with X25519 key agreement, so
//! the key in the hardware token is the credential and no password exists.
//!
//! The server makes an ephemeral key pair and a nonce and sends
//! `ephemeral public key || nonce`. The advisor's token computes
//! X25519(advisor key, ephemeral public key); from that, HKDF and HMAC give
//! a 32-byte answer bound to the challenge, the advisor's public key and a
//! context (tenant and server origin), so an answer cannot be replayed to
//! another tenant or server. The server recomputes the agreement from its
//! side. The ephemeral key can open nothing: items are never sealed to it.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::keys::{PublicKey, SharedSecret, StaticKey, StaticSecret};
use crate::Error;

/// Length of the challenge message: ephemeral public key and nonce.
pub const CHALLENGE_LEN: usize = 64;
/// Length of the answer.
pub const ANSWER_LEN: usize = 32;

/// The server's half of one log-in attempt. Use once, then drop.
pub struct ServerChallenge {
    ephemeral: StaticSecret,
    message: [u8; CHALLENGE_LEN],
    context: Vec<u8>,
}

impl core::fmt::Debug for ServerChallenge {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerChallenge").finish_non_exhaustive()
    }
}

fn answer(
    shared: &SharedSecret,
    message: &[u8; CHALLENGE_LEN],
    advisor: &PublicKey,
    context: &[u8],
) -> Result<[u8; ANSWER_LEN], Error> {
    if shared.is_all_zero() {
        return Err(Error::KeyAgreement);
    }
    let hkdf = Hkdf::<Sha256>::new(
        Some(b"meldkluis advisor log-in v1"),
        shared.expose_secret_bytes(),
    );
    let mut key = Zeroizing::new([0u8; 32]);
    hkdf.expand(b"answer key", key.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref()).expect("HMAC takes any key length");
    mac.update(message);
    mac.update(advisor.as_bytes());
    mac.update(&(context.len() as u64).to_be_bytes());
    mac.update(context);
    Ok(mac.finalize().into_bytes().into())
}

impl ServerChallenge {
    /// A fresh challenge bound to `context` (e.g. the tenant id and the
    /// server's origin). Returns the state to keep and the message to send.
    pub fn new(rng: &mut impl CryptoRngCore, context: &[u8]) -> (Self, [u8; CHALLENGE_LEN]) {
        let ephemeral = StaticSecret::generate(rng);
        let mut message = [0u8; CHALLENGE_LEN];
        message[..32].copy_from_slice(ephemeral.public_key().as_bytes());
        rng.fill_bytes(&mut message[32..]);
        (
            Self {
                ephemeral,
                message,
                context: context.to_vec(),
            },
            message,
        )
    }

    /// Whether `response` proves possession of `advisor`'s private key.
    pub fn verify(&self, advisor: &PublicKey, response: &[u8]) -> bool {
        let Ok(shared) = self.ephemeral.agree(advisor) else {
            return false;
        };
        match answer(&shared, &self.message, advisor, &self.context) {
            Ok(expected) => expected.ct_eq(response).into(),
            Err(_) => false,
        }
    }
}

/// The label that starts every log-in context (version 2: with the server).
const LOGIN_CONTEXT_LABEL: &[u8] = b"meldkluis advisor log-in context v2";

/// The context a meldkluis server binds its log-in challenges to, so that
/// an answer is useless for another tenant and for another server (a
/// look-alike that relays a real server's challenge gets an answer bound
/// to its own origin, which the real server refuses).
///
/// `server_origin` is the RFC 6454 ASCII serialisation of the server's
/// origin, `scheme://host[:port]` (lowercase, the scheme's default port
/// left out), e.g. `https://meld.example`. The encoding is unambiguous:
/// each of label, tenant id and origin is preceded by its length in bytes
/// as a big-endian u64. Server and advisor console both use this one
/// definition.
pub fn login_context(tenant: &crate::TenantId, server_origin: &str) -> Vec<u8> {
    let fields: [&[u8]; 3] = [
        LOGIN_CONTEXT_LABEL,
        tenant.as_str().as_bytes(),
        server_origin.as_bytes(),
    ];
    let mut context = Vec::with_capacity(fields.iter().map(|f| 8 + f.len()).sum());
    for field in fields {
        context.extend_from_slice(&(field.len() as u64).to_be_bytes());
        context.extend_from_slice(field);
    }
    context
}

/// The advisor's side: answers a challenge with the key (in a token).
pub fn answer_challenge(
    key: &dyn StaticKey,
    message: &[u8; CHALLENGE_LEN],
    context: &[u8],
) -> Result<[u8; ANSWER_LEN], Error> {
    let ephemeral = PublicKey::from_slice(&message[..32])?;
    let shared = key.agree(&ephemeral)?;
    answer(&shared, message, &key.public_key(), context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn login_context_bytes() {
        let tenant = crate::TenantId::new("acme").unwrap();
        let mut expected = Vec::new();
        expected.extend_from_slice(&35u64.to_be_bytes());
        expected.extend_from_slice(b"meldkluis advisor log-in context v2");
        expected.extend_from_slice(&4u64.to_be_bytes());
        expected.extend_from_slice(b"acme");
        expected.extend_from_slice(&20u64.to_be_bytes());
        expected.extend_from_slice(b"https://meld.example");
        assert_eq!(login_context(&tenant, "https://meld.example"), expected);
        // Moving bytes between tenant and origin changes the context.
        let a = login_context(&crate::TenantId::new("ab").unwrap(), "c");
        let b = login_context(&crate::TenantId::new("a").unwrap(), "bc");
        assert_ne!(a, b);
    }

    #[test]
    fn only_the_key_holder_answers() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let advisor = StaticSecret::generate(&mut rng);
        let other = StaticSecret::generate(&mut rng);
        let (challenge, message) = ServerChallenge::new(&mut rng, b"acme https://meld.example");
        let good = answer_challenge(&advisor, &message, b"acme https://meld.example").unwrap();
        assert!(challenge.verify(&advisor.public_key(), &good));
        // Another key, another context, another advisor claimed, a bit flipped.
        let wrong_key = answer_challenge(&other, &message, b"acme https://meld.example").unwrap();
        assert!(!challenge.verify(&advisor.public_key(), &wrong_key));
        let wrong_context =
            answer_challenge(&advisor, &message, b"other https://meld.example").unwrap();
        assert!(!challenge.verify(&advisor.public_key(), &wrong_context));
        assert!(!challenge.verify(&other.public_key(), &good));
        let mut flipped = good;
        flipped[0] ^= 1;
        assert!(!challenge.verify(&advisor.public_key(), &flipped));
        assert!(!challenge.verify(&advisor.public_key(), &good[..31]));
        // An answer bound to another server's origin.
        let tenant = crate::TenantId::new("acme").unwrap();
        let (challenge, message) =
            ServerChallenge::new(&mut rng, &login_context(&tenant, "https://meld.example"));
        let relayed = answer_challenge(
            &advisor,
            &message,
            &login_context(&tenant, "https://meld.example.evil"),
        )
        .unwrap();
        assert!(!challenge.verify(&advisor.public_key(), &relayed));
        let genuine = answer_challenge(
            &advisor,
            &message,
            &login_context(&tenant, "https://meld.example"),
        )
        .unwrap();
        assert!(challenge.verify(&advisor.public_key(), &genuine));
        // A low-order point as the advisor key.
        assert!(!challenge.verify(&PublicKey::from_bytes([0; 32]), &good));
    }
}
