//! An X25519 key generated on a PKCS#11 3.0 token, marked sensitive and
//! non-extractable, whose key agreement runs on the token.
//!
//! Key generation is `CKM_EC_MONTGOMERY_KEY_PAIR_GEN` with `CKA_EC_PARAMS`
//! naming curve25519 (the OID 1.3.101.110 first, the printable string
//! "curve25519" if the token wants that form); key agreement is
//! `CKM_ECDH1_DERIVE` with the null KDF into a 32-byte session-only generic
//! secret, read once and destroyed. The private key's bytes never leave the
//! token; what leaves is one shared secret per agreement, as HPKE needs.

use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::Session;
use meldkluis_crypto_core::{PublicKey, SharedSecret, StaticKey};
use zeroize::Zeroizing;

use crate::{Error, Token};

/// The label meldkluis gives its key on a token unless told otherwise.
pub const DEFAULT_KEY_LABEL: &str = "meldkluis advisor key";

/// DER of the OID 1.3.101.110 (id-X25519, RFC 8410).
const EC_PARAMS_X25519_OID: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x6e];
/// DER of the PrintableString "curve25519" (PKCS#11 3.0 §6.3.2's curve name).
const EC_PARAMS_CURVE25519_NAME: &[u8] = b"\x13\x0acurve25519";
/// Length of an X25519 key and of a shared secret.
const KEY_LEN: usize = 32;

/// An X25519 key on a token. Implements [`StaticKey`] by asking the token.
pub struct TokenKey {
    token: Token,
    private: ObjectHandle,
    public: PublicKey,
    label: String,
}

impl core::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenKey")
            .field("token", &self.token.label())
            .field("label", &self.label)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// How the token says it protects a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyProtection {
    /// `CKA_SENSITIVE`: the value may not be revealed in the clear.
    pub sensitive: bool,
    /// `CKA_EXTRACTABLE`: the key may be wrapped out of the token.
    pub extractable: bool,
    /// `CKA_ALWAYS_SENSITIVE`: sensitive since it was made.
    pub always_sensitive: bool,
    /// `CKA_NEVER_EXTRACTABLE`: never was extractable.
    pub never_extractable: bool,
    /// `CKA_LOCAL`: generated on the token (not imported).
    pub local: bool,
    /// Whether `C_GetAttributeValue` would hand out `CKA_VALUE`.
    pub value_readable: bool,
}

impl KeyProtection {
    /// Whether the key's value can never leave the token: sensitive,
    /// non-extractable, and `CKA_VALUE` refused. What `generate` requires.
    pub fn is_hardware_bound(&self) -> bool {
        self.sensitive && !self.extractable && !self.value_readable
    }

    /// Whether the token also vouches that the key was generated on it and
    /// has always been bound (`CKA_LOCAL`, `CKA_ALWAYS_SENSITIVE`,
    /// `CKA_NEVER_EXTRACTABLE`). Not every token reports these for X25519
    /// keys, so it is shown, not required.
    pub fn is_born_on_token(&self) -> bool {
        self.is_hardware_bound() && self.local && self.always_sensitive && self.never_extractable
    }
}

fn find_one(session: &Session, template: &[Attribute]) -> Result<Option<ObjectHandle>, Error> {
    let found = session
        .find_objects(template)
        .map_err(Error::pkcs11("C_FindObjects"))?;
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(Error::UnexpectedKey("several objects with the same label")),
    }
}

/// Reads an X25519 public key from `CKA_EC_POINT`: the 32 raw bytes
/// (PKCS#11 3.0, kryoptic's default) or a DER OCTET STRING around them
/// (OpenSC and tokens that follow the older EC convention).
fn public_key_from_ec_point(point: &[u8]) -> Result<PublicKey, Error> {
    let raw = match point {
        [0x04, 0x20, rest @ ..] if rest.len() == KEY_LEN => rest,
        _ if point.len() == KEY_LEN => point,
        _ => {
            return Err(Error::UnexpectedKey(
                "CKA_EC_POINT is not a 32-byte X25519 key",
            ))
        }
    };
    Ok(PublicKey::from_slice(raw)?)
}

impl TokenKey {
    /// Generates a new X25519 key pair on the token under `label`
    /// (non-extractable, sensitive, usable only for key agreement), and
    /// checks that the token reports it so.
    pub fn generate(token: Token, label: &str) -> Result<Self, Error> {
        if !token.supports(MechanismType::ECC_MONTGOMERY_KEY_PAIR_GEN)
            || !token.supports(MechanismType::ECDH1_DERIVE)
        {
            return Err(Error::NotSupported(
                "hold an X25519 key (no CKM_EC_MONTGOMERY_KEY_PAIR_GEN with CKM_ECDH1_DERIVE); use a wrapped key",
            ));
        }
        let session = token.session();
        if find_one(session, &private_template_for(label))?.is_some() {
            return Err(Error::KeyExists(label.to_owned()));
        }
        let mut id = vec![0u8; 16];
        session
            .generate_random_slice(&mut id)
            .map_err(Error::pkcs11("C_GenerateRandom"))?;
        let private_template = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Derive(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        let mut last_error = None;
        let mut pair = None;
        for params in [EC_PARAMS_X25519_OID, EC_PARAMS_CURVE25519_NAME] {
            let public_template = [
                Attribute::Token(true),
                Attribute::Private(false),
                Attribute::EcParams(params.to_vec()),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.clone()),
            ];
            match session.generate_key_pair(
                &Mechanism::EccMontgomeryKeyPairGen,
                &public_template,
                &private_template,
            ) {
                Ok(generated) => {
                    pair = Some(generated);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let (public_handle, private) = match (pair, last_error) {
            (Some(pair), _) => pair,
            (None, Some(e)) => return Err(Error::pkcs11("C_GenerateKeyPair (X25519)")(e)),
            (None, None) => unreachable!("the loop ran at least once"),
        };
        let key = Self::from_handles(token, public_handle, private, label)?;
        if !key.protection()?.is_hardware_bound() {
            // A token that ignores the template must not get a key we would
            // then call hardware-bound.
            let _ = key.token.session().destroy_object(key.private);
            let _ = key.token.session().destroy_object(public_handle);
            return Err(Error::UnexpectedKey(
                "the token did not make the key sensitive and non-extractable",
            ));
        }
        Ok(key)
    }

    /// Finds the key labelled `label` on the token.
    pub fn find(token: Token, label: &str) -> Result<Self, Error> {
        let session = token.session();
        let private = find_one(session, &private_template_for(label))?
            .ok_or_else(|| Error::KeyNotFound(label.to_owned()))?;
        let id = match session
            .get_attributes(private, &[AttributeType::Id])
            .map_err(Error::pkcs11("C_GetAttributeValue"))?
            .pop()
        {
            Some(Attribute::Id(id)) => id,
            _ => return Err(Error::UnexpectedKey("private key without CKA_ID")),
        };
        let public_handle = find_one(
            session,
            &[
                Attribute::Class(ObjectClass::PUBLIC_KEY),
                Attribute::KeyType(KeyType::EC_MONTGOMERY),
                Attribute::Id(id),
            ],
        )?
        .ok_or(Error::UnexpectedKey(
            "no public key object next to the private key",
        ))?;
        Self::from_handles(token, public_handle, private, label)
    }

    fn from_handles(
        token: Token,
        public_handle: ObjectHandle,
        private: ObjectHandle,
        label: &str,
    ) -> Result<Self, Error> {
        let point = match token
            .session()
            .get_attributes(public_handle, &[AttributeType::EcPoint])
            .map_err(Error::pkcs11("C_GetAttributeValue"))?
            .pop()
        {
            Some(Attribute::EcPoint(point)) => point,
            _ => return Err(Error::UnexpectedKey("public key without CKA_EC_POINT")),
        };
        let public = public_key_from_ec_point(&point)?;
        Ok(Self {
            token,
            private,
            public,
            label: label.to_owned(),
        })
    }

    /// How the token protects the private key, as it reports it.
    pub fn protection(&self) -> Result<KeyProtection, Error> {
        let session = self.token.session();
        let attributes = session
            .get_attributes(
                self.private,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::AlwaysSensitive,
                    AttributeType::NeverExtractable,
                    AttributeType::Local,
                ],
            )
            .map_err(Error::pkcs11("C_GetAttributeValue"))?;
        // Missing attributes count against the key.
        let mut protection = KeyProtection {
            sensitive: false,
            extractable: true,
            always_sensitive: false,
            never_extractable: false,
            local: false,
            value_readable: true,
        };
        for attribute in attributes {
            match attribute {
                Attribute::Sensitive(v) => protection.sensitive = v,
                Attribute::Extractable(v) => protection.extractable = v,
                Attribute::AlwaysSensitive(v) => protection.always_sensitive = v,
                Attribute::NeverExtractable(v) => protection.never_extractable = v,
                Attribute::Local(v) => protection.local = v,
                _ => {}
            }
        }
        let value = session
            .get_attribute_info(self.private, &[AttributeType::Value])
            .map_err(Error::pkcs11("C_GetAttributeValue"))?;
        protection.value_readable = matches!(value.first(), Some(AttributeInfo::Available(_)));
        Ok(protection)
    }

    /// The key's label on the token.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The token the key is on.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// X25519(self, peer) on the token, with the token's error if it
    /// refuses ([`StaticKey::agree`] gives only crypto-core's one
    /// key-agreement error). For diagnostics (`self-test`).
    pub fn agree_with_detail(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        let session = self.token.session();
        let mechanism =
            Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), peer.as_bytes()));
        // A session object that only lives until it is read and destroyed
        // below; it must be readable, as HPKE needs the shared secret.
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::ValueLen((KEY_LEN as u64).into()),
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ];
        let derived = session
            .derive_key(&mechanism, self.private, &template)
            .map_err(Error::pkcs11("C_DeriveKey (ECDH)"))?;
        let value = session.get_attributes(derived, &[AttributeType::Value]);
        let destroyed = session.destroy_object(derived);
        let value = value.map_err(Error::pkcs11("C_GetAttributeValue"))?;
        destroyed.map_err(Error::pkcs11("C_DestroyObject"))?;
        let mut value = value.into_iter().find_map(|a| match a {
            Attribute::Value(v) => Some(Zeroizing::new(v)),
            _ => None,
        });
        let value = value
            .take()
            .ok_or(Error::UnexpectedKey("derived secret without CKA_VALUE"))?;
        let bytes: [u8; KEY_LEN] = value
            .as_slice()
            .try_into()
            .map_err(|_| Error::UnexpectedKey("derived secret is not 32 bytes"))?;
        let shared = SharedSecret::from_bytes(bytes);
        let mut bytes = bytes;
        zeroize::Zeroize::zeroize(&mut bytes);
        Ok(shared)
    }
}

fn private_template_for(label: &str) -> [Attribute; 3] {
    [
        Attribute::Class(ObjectClass::PRIVATE_KEY),
        Attribute::KeyType(KeyType::EC_MONTGOMERY),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

impl StaticKey for TokenKey {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, meldkluis_crypto_core::Error> {
        // The token's error text is not passed on: crypto-core's callers
        // get the one key-agreement error, like every other failure.
        self.agree_with_detail(peer)
            .map_err(|_| meldkluis_crypto_core::Error::KeyAgreement)
    }
}
