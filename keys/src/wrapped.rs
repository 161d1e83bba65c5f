//! A software X25519 key wrapped by a non-extractable AES key on a token,
//! for tokens that cannot hold X25519 themselves (SoftHSM2, older cards).
//!
//! The X25519 secret is made on the host (the operating system's CSPRNG),
//! encrypted once with `CKM_AES_GCM` under an AES-256 key generated on the
//! token (sensitive, non-extractable, encrypt/decrypt only) and written to a
//! file; the clear secret is never written. Using the key needs the token,
//! its PIN and the file: the secret is decrypted by the token into memory
//! for one session and wiped when the [`WrappedKey`] is dropped.
//!
//! This is weaker than an on-token key ([`crate::TokenKey`]): while in use,
//! the secret is in the advisor program's memory. `threat-model.md` says so.
//!
//! File format (binary, [`WRAPPED_KEY_FILE_LEN`] bytes):
//!
//! | bytes | field |
//! |---|---|
//! | 4  | magic `4d 4b 57 01` (`MKW`, version 1) |
//! | 16 | `CKA_ID` of the AES key on the token |
//! | 32 | the X25519 public key |
//! | 12 | AES-GCM IV (random) |
//! | 48 | AES-GCM(secret key) with its 16-byte tag |
//!
//! The AAD is `"meldkluis wrapped advisor key v1"` followed by the first 52
//! bytes, so a file cannot be re-pointed at another AES key or public key.

use std::io::Write;
use std::path::Path;

use cryptoki::mechanism::aead::GcmParams;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use meldkluis_crypto_core::{os_rng, PublicKey, SharedSecret, StaticKey, StaticSecret};
use zeroize::Zeroizing;

use crate::{Error, Token};

const MAGIC: [u8; 4] = *b"MKW\x01";
const AAD_LABEL: &[u8] = b"meldkluis wrapped advisor key v1";
const ID_LEN: usize = 16;
const IV_LEN: usize = 12;
const SEALED_LEN: usize = 32 + 16;
const HEADER_LEN: usize = MAGIC.len() + ID_LEN + 32;
/// Length of a wrapped-key file.
pub const WRAPPED_KEY_FILE_LEN: usize = HEADER_LEN + IV_LEN + SEALED_LEN;

/// An X25519 key unwrapped by a token into memory for this session. Wiped
/// on drop.
pub struct WrappedKey {
    secret: StaticSecret,
}

impl core::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WrappedKey")
            .field("public", &self.secret.public_key())
            .finish_non_exhaustive()
    }
}

fn aad(header: &[u8]) -> Vec<u8> {
    [AAD_LABEL, header].concat()
}

fn find_aes_key(token: &Token, id: &[u8]) -> Result<ObjectHandle, Error> {
    let found = token
        .session()
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Id(id.to_vec()),
        ])
        .map_err(Error::pkcs11("C_FindObjects"))?;
    match found.as_slice() {
        [one] => Ok(*one),
        // Another token, or the key was deleted: the same vague answer as a
        // tampered file.
        _ => Err(Error::CouldNotUnwrap),
    }
}

impl WrappedKey {
    /// Makes an AES key on the token (labelled `label`), a fresh X25519
    /// key, and writes the wrapped key to `path`, which must not exist.
    /// Returns the key, unwrapped for this session.
    pub fn create(token: &Token, label: &str, path: &Path) -> Result<Self, Error> {
        if !token.supports(MechanismType::AES_KEY_GEN) || !token.supports(MechanismType::AES_GCM) {
            return Err(Error::NotSupported(
                "make an AES key and encrypt with AES-GCM (no CKM_AES_KEY_GEN with CKM_AES_GCM)",
            ));
        }
        let session = token.session();
        let existing = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(Error::pkcs11("C_FindObjects"))?;
        if !existing.is_empty() {
            return Err(Error::KeyExists(label.to_owned()));
        }
        let mut id = [0u8; ID_LEN];
        session
            .generate_random_slice(&mut id)
            .map_err(Error::pkcs11("C_GenerateRandom"))?;
        let aes_key = session
            .generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::AES),
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Encrypt(true),
                    Attribute::Decrypt(true),
                    Attribute::Wrap(false),
                    Attribute::Unwrap(false),
                    Attribute::Label(label.as_bytes().to_vec()),
                    Attribute::Id(id.to_vec()),
                ],
            )
            .map_err(Error::pkcs11("C_GenerateKey (AES)"))?;
        let readable = session
            .get_attribute_info(aes_key, &[AttributeType::Value])
            .map_err(Error::pkcs11("C_GetAttributeValue"))?;
        let extractable = session
            .get_attributes(aes_key, &[AttributeType::Extractable])
            .map_err(Error::pkcs11("C_GetAttributeValue"))?;
        if matches!(readable.first(), Some(AttributeInfo::Available(_)))
            || extractable.first() != Some(&Attribute::Extractable(false))
        {
            let _ = session.destroy_object(aes_key);
            return Err(Error::UnexpectedKey(
                "the token did not make the AES key sensitive and non-extractable",
            ));
        }

        let secret = StaticSecret::generate(&mut os_rng());
        let mut file = Vec::with_capacity(WRAPPED_KEY_FILE_LEN);
        file.extend_from_slice(&MAGIC);
        file.extend_from_slice(&id);
        file.extend_from_slice(secret.public_key().as_bytes());
        let aad = aad(&file);
        let mut iv = [0u8; IV_LEN];
        session
            .generate_random_slice(&mut iv)
            .map_err(Error::pkcs11("C_GenerateRandom"))?;
        let mut iv_param = iv;
        let params = GcmParams::new(&mut iv_param, &aad, 128.into())
            .map_err(Error::pkcs11("AES-GCM parameters"))?;
        let sealed = session
            .encrypt(
                &Mechanism::AesGcm(params),
                aes_key,
                secret.expose_secret_bytes().as_ref(),
            )
            .map_err(Error::pkcs11("C_Encrypt (AES-GCM)"))?;
        if sealed.len() != SEALED_LEN {
            return Err(Error::UnexpectedKey("AES-GCM output is not 48 bytes"));
        }
        file.extend_from_slice(&iv);
        file.extend_from_slice(&sealed);

        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(path).map_err(Error::io(path))?;
        out.write_all(&file)
            .and_then(|()| out.sync_all())
            .map_err(Error::io(path))?;

        // Prove the file opens before anyone enrols the key.
        let unwrapped = Self::unwrap(token, path)?;
        if unwrapped.public_key() != secret.public_key() {
            return Err(Error::CouldNotUnwrap);
        }
        Ok(unwrapped)
    }

    /// Reads the wrapped key at `path` and has the token decrypt it into
    /// memory.
    pub fn unwrap(token: &Token, path: &Path) -> Result<Self, Error> {
        let file = std::fs::read(path).map_err(Error::io(path))?;
        if file.len() != WRAPPED_KEY_FILE_LEN || file[..MAGIC.len()] != MAGIC {
            return Err(Error::Malformed("wrapped key file"));
        }
        let (header, rest) = file.split_at(HEADER_LEN);
        let id = &header[MAGIC.len()..MAGIC.len() + ID_LEN];
        let public = PublicKey::from_slice(&header[MAGIC.len() + ID_LEN..])?;
        let (iv, sealed) = rest.split_at(IV_LEN);
        let aes_key = find_aes_key(token, id)?;
        let aad = aad(header);
        let mut iv =
            <[u8; IV_LEN]>::try_from(iv).map_err(|_| Error::Malformed("wrapped key file"))?;
        let params = GcmParams::new(&mut iv, &aad, 128.into())
            .map_err(Error::pkcs11("AES-GCM parameters"))?;
        let opened = Zeroizing::new(
            token
                .session()
                .decrypt(&Mechanism::AesGcm(params), aes_key, sealed)
                .map_err(|_| Error::CouldNotUnwrap)?,
        );
        let bytes: [u8; 32] = opened
            .as_slice()
            .try_into()
            .map_err(|_| Error::CouldNotUnwrap)?;
        let secret = StaticSecret::from_bytes(bytes);
        if secret.public_key() != public {
            return Err(Error::CouldNotUnwrap);
        }
        Ok(Self { secret })
    }
}

impl StaticKey for WrappedKey {
    fn public_key(&self) -> PublicKey {
        self.secret.public_key()
    }

    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, meldkluis_crypto_core::Error> {
        self.secret.agree(peer)
    }
}
