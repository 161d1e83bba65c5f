//! Recipients of the organisation (management and forward recipients, see
//! `shared/design/domain.md`) who hold no hardware token: their X25519 key is
//! derived in the browser from an **enrolment code**, as a reporter's mailbox
//! key is derived from a login code; and their log-in.
//!
//! An enrolment code is a [`LoginCode`]: the same 24 symbols, the same check
//! symbols, generator and parser. The derivation is separated from the
//! mailbox's by its own salt label and HKDF labels, so one code used both as
//! a login code and as an enrolment code gives unrelated keys
//! (`tests::a_code_gives_unrelated_mailbox_and_recipient_keys`).
//!
//! Log-in reuses the advisor's challenge ([`crate::challenge`]): the server's
//! [`ServerChallenge`](crate::challenge::ServerChallenge) is verified against
//! the recipient's public key, and the recipient answers with
//! [`answer_challenge`](crate::challenge::answer_challenge). Only the context
//! differs ([`recipient_login_context`]), so an advisor's answer is never a
//! recipient's and the other way round.

use core::fmt;

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::ZeroizeOnDrop;

use crate::format::TenantId;
use crate::keys::{PublicKey, StaticKey, StaticSecret};
use crate::mailbox::{KdfParams, LoginCode, KDF_V1};

/// The label in front of the tenant in the Argon2 salt.
const SALT_LABEL: &[u8] = b"meldkluis recipient salt v1";
/// The HKDF-Extract salt.
const HKDF_SALT: &[u8] = b"meldkluis recipient v1";
/// The HKDF-Expand info of the key.
const KEY_INFO: &[u8] = b"recipient key";
/// The label that starts a recipient's log-in context (37 bytes).
const LOGIN_CONTEXT_LABEL: &[u8] = b"meldkluis recipient log-in context v1";

/// A recipient's key derived from an enrolment code for one tenant. Wiped
/// on drop; `Debug` shows only the public key.
pub struct RecipientKey {
    key: StaticSecret,
}

impl fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientKey")
            .field("public_key", &self.key.public_key())
            .finish_non_exhaustive()
    }
}

/// The Argon2 salt: bound to the purpose (recipient, not mailbox), the
/// protocol version and the tenant.
fn salt(tenant: &TenantId) -> [u8; 16] {
    let tenant = tenant.as_str().as_bytes();
    let mut hasher = Sha256::new();
    hasher.update(SALT_LABEL);
    // A tenant id is at most 63 bytes (`TenantId::new`).
    hasher.update([tenant.len() as u8]);
    hasher.update(tenant);
    let digest = hasher.finalize();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

impl RecipientKey {
    /// Derives the key with the current version's parameters ([`KDF_V1`]):
    /// the slow step, as for a mailbox.
    pub fn derive(code: &LoginCode, tenant: &TenantId) -> Self {
        Self::derive_with(code, tenant, &KDF_V1)
            .expect("the version 1 parameters are valid Argon2 parameters")
    }

    /// Derives the key with explicit Argon2id parameters (for measuring
    /// them, and for fast tests).
    pub fn derive_with(
        code: &LoginCode,
        tenant: &TenantId,
        params: &KdfParams,
    ) -> Result<Self, crate::Error> {
        let seed = code.stretch(&salt(tenant), params)?;
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), seed.as_ref());
        let mut key = [0u8; 32];
        hkdf.expand(KEY_INFO, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let key = StaticSecret::from_bytes(key);
        Ok(Self { key })
    }

    /// The recipient's key: opens items sealed to it, answers log-in
    /// challenges.
    pub fn key(&self) -> &StaticSecret {
        &self.key
    }

    /// The recipient's public key (what the server stores at enrolment).
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
}

impl ZeroizeOnDrop for RecipientKey {}

/// The context a meldkluis server binds a recipient's log-in challenge to:
///
/// ```text
/// u64(37) || "meldkluis recipient log-in context v1"
/// || u64(len(tenant)) || tenant || u64(len(origin)) || origin
/// ```
///
/// (big-endian lengths). `server_origin` is as for
/// [`login_context`](crate::challenge::login_context): the RFC 6454
/// serialisation `scheme://host[:port]`. The label differs from the
/// advisor's, so an answer to one kind of log-in is refused by the other.
pub fn recipient_login_context(tenant: &TenantId, server_origin: &str) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::{answer_challenge, login_context, ServerChallenge};
    use crate::mailbox::MailboxKeys;
    use rand_core::SeedableRng;

    /// Small Argon2 parameters: the unit tests check the composition; the
    /// vectors (`tests/it/recipient_vectors.rs`) use the real ones.
    const FAST: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn code() -> LoginCode {
        LoginCode::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(12))
    }

    fn acme() -> TenantId {
        TenantId::new("acme").unwrap()
    }

    /// The derivation spelled out with the primitives, from hand-built bytes.
    #[test]
    fn derivation_matches_the_formula() {
        let code = code();
        let password: Vec<u8> = code
            .expose_display_string()
            .bytes()
            .filter(|&b| b != b'-')
            .collect();
        assert_eq!(password.len(), 24);
        let mut salt_input = b"meldkluis recipient salt v1".to_vec();
        salt_input.push(4);
        salt_input.extend_from_slice(b"acme");
        let salt = &Sha256::digest(&salt_input)[..16];
        let mut seed = [0u8; 32];
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(64, 1, 1, Some(32)).unwrap(),
        )
        .hash_password_into(&password, salt, &mut seed)
        .unwrap();
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"meldkluis recipient v1"), &seed)
            .expand(b"recipient key", &mut key)
            .unwrap();
        let derived = RecipientKey::derive_with(&code, &acme(), &FAST).unwrap();
        assert_eq!(*derived.key().expose_secret_bytes(), key);
        assert_eq!(
            derived.public_key(),
            StaticSecret::from_bytes(key).public_key()
        );
        // Deterministic; the tenant matters.
        let again = RecipientKey::derive_with(&code, &acme(), &FAST).unwrap();
        assert_eq!(again.public_key(), derived.public_key());
        let other =
            RecipientKey::derive_with(&code, &TenantId::new("acme-nl").unwrap(), &FAST).unwrap();
        assert_ne!(other.public_key(), derived.public_key());
        // Debug shows no secret.
        let shown = format!("{derived:?}");
        assert!(!shown.contains(&hex::encode(key)));
    }

    #[test]
    fn a_code_gives_unrelated_mailbox_and_recipient_keys() {
        let code = code();
        let recipient = RecipientKey::derive_with(&code, &acme(), &FAST).unwrap();
        let mailbox = MailboxKeys::derive_with(&code, &acme(), &FAST).unwrap();
        assert_ne!(recipient.public_key(), mailbox.public_key());
        assert_ne!(
            *recipient.key().expose_secret_bytes(),
            *mailbox.key().expose_secret_bytes()
        );
    }

    #[test]
    fn invalid_argon2_parameters_are_an_error() {
        let bad = KdfParams {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
        };
        assert_eq!(
            RecipientKey::derive_with(&code(), &acme(), &bad).err(),
            Some(crate::Error::InvalidInput("argon2 parameters"))
        );
    }

    #[test]
    fn recipient_login_context_bytes() {
        assert_eq!(LOGIN_CONTEXT_LABEL.len(), 37);
        let mut expected = Vec::new();
        expected.extend_from_slice(&37u64.to_be_bytes());
        expected.extend_from_slice(b"meldkluis recipient log-in context v1");
        expected.extend_from_slice(&4u64.to_be_bytes());
        expected.extend_from_slice(b"acme");
        expected.extend_from_slice(&20u64.to_be_bytes());
        expected.extend_from_slice(b"https://meld.example");
        assert_eq!(
            recipient_login_context(&acme(), "https://meld.example"),
            expected
        );
        assert_ne!(
            recipient_login_context(&acme(), "https://meld.example"),
            login_context(&acme(), "https://meld.example")
        );
    }

    /// An advisor's answer is refused at a recipient log-in and the other way
    /// round, for the same key, tenant, origin and challenge.
    #[test]
    fn advisor_and_recipient_answers_do_not_cross() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let recipient = RecipientKey::derive_with(&code(), &acme(), &FAST).unwrap();
        let origin = "https://meld.example";
        let recipient_ctx = recipient_login_context(&acme(), origin);
        let advisor_ctx = login_context(&acme(), origin);

        let (server, message) = ServerChallenge::new(&mut rng, &recipient_ctx);
        let good = answer_challenge(recipient.key(), &message, &recipient_ctx).unwrap();
        assert!(server.verify(&recipient.public_key(), &good));
        let as_advisor = answer_challenge(recipient.key(), &message, &advisor_ctx).unwrap();
        assert!(!server.verify(&recipient.public_key(), &as_advisor));

        let (server, message) = ServerChallenge::new(&mut rng, &advisor_ctx);
        let as_recipient = answer_challenge(recipient.key(), &message, &recipient_ctx).unwrap();
        assert!(!server.verify(&recipient.public_key(), &as_recipient));
        // Another tenant's recipient context is refused too.
        let other = recipient_login_context(&TenantId::new("acmf").unwrap(), origin);
        let (server, message) = ServerChallenge::new(&mut rng, &recipient_ctx);
        let wrong_tenant = answer_challenge(recipient.key(), &message, &other).unwrap();
        assert!(!server.verify(&recipient.public_key(), &wrong_tenant));
    }
}
