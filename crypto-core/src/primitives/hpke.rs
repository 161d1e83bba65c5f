//! RFC 9180 Hybrid Public Key Encryption, for one suite only:
//! DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305
//! (KEM 0x0020, KDF 0x0001, AEAD 0x0003), all four modes.
//!
//! The static keys (the recipient's when opening, the sender's in auth mode)
//! are used only through [`StaticKey`], so they can live in a hardware token.
//! Ephemeral keys are derived with `DeriveKeyPair` from caller-supplied
//! random bytes (RFC 9180 §7.1.3 allows `GenerateKeyPair` to be exactly
//! that), which keeps randomness out of this module and makes the official
//! test vectors reproducible.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{PublicKey, SharedSecret, StaticKey, StaticSecret, KEY_LEN};
use crate::Error;

/// Length of `enc`, the encapsulated key (the ephemeral public key).
pub const ENC_LEN: usize = 32;
/// Length of the AEAD key (`Nk`).
const NK: usize = 32;
/// Length of the AEAD nonce (`Nn`).
const NN: usize = 12;
/// Length of the KDF output (`Nh`).
const NH: usize = 32;
/// Length of the AEAD tag (`Nt`).
pub const TAG_LEN: usize = 16;

const KEM_SUITE_ID: &[u8] = b"KEM\x00\x20";
const HPKE_SUITE_ID: &[u8] = b"HPKE\x00\x20\x00\x01\x00\x03";

/// The HPKE mode (RFC 9180 §5, Table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// `mode_base` (0x00): no sender authentication.
    Base,
    /// `mode_psk` (0x01): a pre-shared key authenticates the sender.
    Psk,
    /// `mode_auth` (0x02): the sender's static key authenticates the sender.
    Auth,
    /// `mode_auth_psk` (0x03): both.
    AuthPsk,
}

impl Mode {
    const fn id(self) -> u8 {
        match self {
            Mode::Base => 0,
            Mode::Psk => 1,
            Mode::Auth => 2,
            Mode::AuthPsk => 3,
        }
    }

    const fn uses_psk(self) -> bool {
        matches!(self, Mode::Psk | Mode::AuthPsk)
    }
}

/// A pre-shared key and its identifier, for the psk modes.
#[derive(Debug, Clone, Copy)]
pub struct Psk<'a> {
    /// The key (at least 32 bytes, RFC 9180 §5.1.2).
    pub psk: &'a [u8],
    /// Its identifier.
    pub psk_id: &'a [u8],
}

/// `LabeledExtract` (RFC 9180 §4).
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; NH]> {
    let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(
        7 + suite_id.len() + label.len() + ikm.len(),
    ));
    labeled_ikm.extend_from_slice(b"HPKE-v1");
    labeled_ikm.extend_from_slice(suite_id);
    labeled_ikm.extend_from_slice(label);
    labeled_ikm.extend_from_slice(ikm);
    let (prk, _) = Hkdf::<Sha256>::extract(Some(salt), &labeled_ikm);
    let mut out = Zeroizing::new([0u8; NH]);
    out.copy_from_slice(&prk);
    out
}

/// `LabeledExpand` (RFC 9180 §4). `out.len()` is `L`.
fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8; NH],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    let length = u16::try_from(out.len()).map_err(|_| Error::InvalidInput("expand length"))?;
    let hkdf = Hkdf::<Sha256>::from_prk(prk).map_err(|_| Error::InvalidInput("prk length"))?;
    let parts: [&[u8]; 5] = [&length.to_be_bytes(), b"HPKE-v1", suite_id, label, info];
    hkdf.expand_multi_info(&parts, out)
        .map_err(|_| Error::InvalidInput("expand length"))
}

/// `DeriveKeyPair(ikm)` for DHKEM(X25519, HKDF-SHA256) (RFC 9180 §7.1.3).
pub fn derive_key_pair(ikm: &[u8]) -> StaticSecret {
    let dkp_prk = labeled_extract(KEM_SUITE_ID, b"", b"dkp_prk", ikm);
    let mut sk = [0u8; KEY_LEN];
    labeled_expand(KEM_SUITE_ID, &dkp_prk, b"sk", b"", &mut sk)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    // StaticSecret::from_bytes wipes `sk`.
    StaticSecret::from_bytes(sk)
}

/// `ExtractAndExpand(dh, kem_context)` (RFC 9180 §4.1).
fn extract_and_expand(dh: &[u8], kem_context: &[u8]) -> Zeroizing<[u8; NH]> {
    let eae_prk = labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh);
    let mut shared_secret = Zeroizing::new([0u8; NH]);
    labeled_expand(
        KEM_SUITE_ID,
        &eae_prk,
        b"shared_secret",
        kem_context,
        shared_secret.as_mut(),
    )
    .expect("32 bytes is a valid HKDF-SHA256 output length");
    shared_secret
}

/// One Diffie-Hellman, refusing the all-zero output (RFC 9180 §7.1.4).
fn dh(key: &dyn StaticKey, peer: &PublicKey) -> Result<SharedSecret, Error> {
    let shared = key.agree(peer)?;
    if shared.is_all_zero() {
        return Err(Error::KeyAgreement);
    }
    Ok(shared)
}

/// The KEM: `Encap`/`AuthEncap` (RFC 9180 §4.1). Returns (shared secret, enc).
fn encap(
    recipient: &PublicKey,
    sender: Option<&dyn StaticKey>,
    ikm_e: &[u8],
) -> Result<(Zeroizing<[u8; NH]>, [u8; ENC_LEN]), Error> {
    let ephemeral = derive_key_pair(ikm_e);
    let enc = *ephemeral.public_key().as_bytes();
    let mut dh_bytes = Zeroizing::new(Vec::with_capacity(2 * KEY_LEN));
    dh_bytes.extend_from_slice(dh(&ephemeral, recipient)?.expose_secret_bytes());
    let mut kem_context = Vec::with_capacity(3 * KEY_LEN);
    kem_context.extend_from_slice(&enc);
    kem_context.extend_from_slice(recipient.as_bytes());
    if let Some(sender) = sender {
        dh_bytes.extend_from_slice(dh(sender, recipient)?.expose_secret_bytes());
        kem_context.extend_from_slice(sender.public_key().as_bytes());
    }
    Ok((extract_and_expand(&dh_bytes, &kem_context), enc))
}

/// The KEM: `Decap`/`AuthDecap` (RFC 9180 §4.1).
fn decap(
    enc: &[u8; ENC_LEN],
    recipient: &dyn StaticKey,
    sender: Option<&PublicKey>,
) -> Result<Zeroizing<[u8; NH]>, Error> {
    let ephemeral = PublicKey::from_bytes(*enc);
    let recipient_public = recipient.public_key();
    let mut dh_bytes = Zeroizing::new(Vec::with_capacity(2 * KEY_LEN));
    dh_bytes.extend_from_slice(dh(recipient, &ephemeral)?.expose_secret_bytes());
    let mut kem_context = Vec::with_capacity(3 * KEY_LEN);
    kem_context.extend_from_slice(enc);
    kem_context.extend_from_slice(recipient_public.as_bytes());
    if let Some(sender) = sender {
        dh_bytes.extend_from_slice(dh(recipient, sender)?.expose_secret_bytes());
        kem_context.extend_from_slice(sender.as_bytes());
    }
    Ok(extract_and_expand(&dh_bytes, &kem_context))
}

/// The values the key schedule produces, exposed for the test vectors.
pub struct KeySchedule {
    /// `key_schedule_context`.
    pub context: Vec<u8>,
    key: Zeroizing<[u8; NK]>,
    base_nonce: [u8; NN],
    exporter_secret: Zeroizing<[u8; NH]>,
}

impl KeySchedule {
    /// The AEAD key. Only for the test vectors.
    pub fn expose_key(&self) -> &[u8; NK] {
        &self.key
    }
    /// The base nonce.
    pub fn base_nonce(&self) -> &[u8; NN] {
        &self.base_nonce
    }
    /// The exporter secret. Only for the test vectors.
    pub fn expose_exporter_secret(&self) -> &[u8; NH] {
        &self.exporter_secret
    }
}

impl core::fmt::Debug for KeySchedule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySchedule").finish_non_exhaustive()
    }
}

/// `KeySchedule<ROLE>(mode, shared_secret, info, psk, psk_id)` (RFC 9180 §5.1).
fn key_schedule(
    mode: Mode,
    shared_secret: &[u8; NH],
    info: &[u8],
    psk: Option<Psk<'_>>,
) -> Result<KeySchedule, Error> {
    // VerifyPSKInputs: a psk exactly when the mode uses one.
    let (psk, psk_id) = match (mode.uses_psk(), psk) {
        (true, Some(p)) if !p.psk.is_empty() && !p.psk_id.is_empty() => (p.psk, p.psk_id),
        (false, None) => (&[][..], &[][..]),
        _ => return Err(Error::InvalidInput("psk does not fit the mode")),
    };
    let psk_id_hash = labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", psk_id);
    let info_hash = labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", info);
    let mut context = Vec::with_capacity(1 + 2 * NH);
    context.push(mode.id());
    context.extend_from_slice(psk_id_hash.as_ref());
    context.extend_from_slice(info_hash.as_ref());

    let secret = labeled_extract(HPKE_SUITE_ID, shared_secret, b"secret", psk);
    let mut key = Zeroizing::new([0u8; NK]);
    let mut base_nonce = [0u8; NN];
    let mut exporter_secret = Zeroizing::new([0u8; NH]);
    labeled_expand(HPKE_SUITE_ID, &secret, b"key", &context, key.as_mut())?;
    labeled_expand(
        HPKE_SUITE_ID,
        &secret,
        b"base_nonce",
        &context,
        &mut base_nonce,
    )?;
    labeled_expand(
        HPKE_SUITE_ID,
        &secret,
        b"exp",
        &context,
        exporter_secret.as_mut(),
    )?;
    Ok(KeySchedule {
        context,
        key,
        base_nonce,
        exporter_secret,
    })
}

/// An HPKE encryption context (RFC 9180 §5.2), for one direction.
pub struct Context {
    schedule: KeySchedule,
    aead: ChaCha20Poly1305,
    sequence: u64,
    shared_secret: Zeroizing<[u8; NH]>,
}

impl Context {
    fn new(schedule: KeySchedule, shared_secret: Zeroizing<[u8; NH]>) -> Self {
        let aead = ChaCha20Poly1305::new((&*schedule.key).into());
        Self {
            schedule,
            aead,
            sequence: 0,
            shared_secret,
        }
    }

    /// `ComputeNonce(seq)` (RFC 9180 §5.2).
    fn nonce(&self) -> [u8; NN] {
        let mut nonce = self.schedule.base_nonce;
        for (n, s) in nonce[NN - 8..].iter_mut().zip(self.sequence.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    /// `IncrementSeq()`: the sequence number may not wrap (RFC 9180 §5.2).
    fn increment(&mut self) -> Result<(), Error> {
        self.sequence = self
            .sequence
            .checked_add(1)
            .ok_or(Error::InvalidInput("sequence overflow"))?;
        Ok(())
    }

    /// `ContextS.Seal(aad, pt)`.
    pub fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let nonce = self.nonce();
        let ciphertext = self
            .aead
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::InvalidInput("plaintext too long"))?;
        self.increment()?;
        Ok(ciphertext)
    }

    /// `ContextR.Open(aad, ct)`. Checks the length before decrypting.
    pub fn open(&mut self, aad: &[u8], ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        if ciphertext.len() < TAG_LEN {
            return Err(Error::CouldNotOpen);
        }
        let nonce = self.nonce();
        let plaintext = self
            .aead
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| Error::CouldNotOpen)?;
        self.increment()?;
        Ok(Zeroizing::new(plaintext))
    }

    /// `Context.Export(exporter_context, L)` (RFC 9180 §5.3).
    pub fn export(&self, exporter_context: &[u8], out: &mut [u8]) -> Result<(), Error> {
        labeled_expand(
            HPKE_SUITE_ID,
            &self.schedule.exporter_secret,
            b"sec",
            exporter_context,
            out,
        )
    }

    /// The values of the key schedule, for the test vectors.
    pub fn key_schedule(&self) -> &KeySchedule {
        &self.schedule
    }

    /// The KEM shared secret. Only for the test vectors.
    pub fn expose_shared_secret(&self) -> &[u8; NH] {
        &self.shared_secret
    }
}

impl core::fmt::Debug for Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Context")
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        self.sequence.zeroize();
    }
}

/// `SetupBaseS`, `SetupPSKS`, `SetupAuthS`, `SetupAuthPSKS` (RFC 9180 §5.1).
///
/// `sender` is given for the auth modes; `ikm_e` (at least 32 random bytes)
/// derives the ephemeral key. Returns `enc` and the sender's context.
pub fn setup_sender(
    mode: Mode,
    recipient: &PublicKey,
    info: &[u8],
    psk: Option<Psk<'_>>,
    sender: Option<&dyn StaticKey>,
    ikm_e: &[u8],
) -> Result<([u8; ENC_LEN], Context), Error> {
    let sender = auth_fits_mode(mode, sender)?;
    if ikm_e.len() < KEY_LEN {
        return Err(Error::InvalidInput("ephemeral ikm shorter than 32 bytes"));
    }
    let (shared_secret, enc) = encap(recipient, sender, ikm_e)?;
    let schedule = key_schedule(mode, &shared_secret, info, psk)?;
    Ok((enc, Context::new(schedule, shared_secret)))
}

/// `SetupBaseR`, `SetupPSKR`, `SetupAuthR`, `SetupAuthPSKR` (RFC 9180 §5.1).
///
/// `sender` is the expected sender's public key, for the auth modes.
pub fn setup_recipient(
    mode: Mode,
    enc: &[u8],
    recipient: &dyn StaticKey,
    info: &[u8],
    psk: Option<Psk<'_>>,
    sender: Option<&PublicKey>,
) -> Result<Context, Error> {
    let sender = auth_fits_mode(mode, sender)?;
    let enc: &[u8; ENC_LEN] = enc.try_into().map_err(|_| Error::CouldNotOpen)?;
    let shared_secret = decap(enc, recipient, sender).map_err(|_| Error::CouldNotOpen)?;
    let schedule = key_schedule(mode, &shared_secret, info, psk)?;
    Ok(Context::new(schedule, shared_secret))
}

fn auth_fits_mode<T>(mode: Mode, sender: Option<T>) -> Result<Option<T>, Error> {
    match (matches!(mode, Mode::Auth | Mode::AuthPsk), sender) {
        (true, Some(s)) => Ok(Some(s)),
        (false, None) => Ok(None),
        _ => Err(Error::InvalidInput("sender key does not fit the mode")),
    }
}

/// Single-shot `SealAuth` (RFC 9180 §6.1): `enc || ct`.
pub fn seal_auth(
    recipient: &PublicKey,
    sender: &dyn StaticKey,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    ikm_e: &[u8],
) -> Result<([u8; ENC_LEN], Vec<u8>), Error> {
    let (enc, mut context) = setup_sender(Mode::Auth, recipient, info, None, Some(sender), ikm_e)?;
    let ciphertext = context.seal(aad, plaintext)?;
    Ok((enc, ciphertext))
}

/// Single-shot `OpenAuth` (RFC 9180 §6.1).
pub fn open_auth(
    enc: &[u8],
    recipient: &dyn StaticKey,
    sender: &PublicKey,
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut context = setup_recipient(Mode::Auth, enc, recipient, info, None, Some(sender))?;
    context.open(aad, ciphertext)
}
