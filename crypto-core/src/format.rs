//! The item format, versions 1 and 2: what the bytes of a sealed item are.
//!
//! This module parses and writes structure only; it needs no key and opens
//! nothing, which is why the server may use it to check sizes and shapes.
//! The byte layout is specified in `crypto-core/FORMAT.md`; the constants
//! here are the single source of the numbers in that document.

use core::fmt;

use crate::keys::{PublicKey, KEY_LEN};
use crate::primitives::hpke::{ENC_LEN, TAG_LEN};
use crate::primitives::{padding, stream};
use crate::Error;

/// The first four bytes of every version-1 item: `MKI` and the version byte.
pub const MAGIC_V1: [u8; 4] = *b"MKI\x01";
/// The first four bytes of every version-2 item.
pub const MAGIC_V2: [u8; 4] = *b"MKI\x02";
/// Length of one recipient's tag in a version-2 item's trailer.
pub const RECIPIENT_TAG_LEN: usize = 32;
/// Length of a payload hash (SHA-256 of the sealed payload).
pub const PAYLOAD_HASH_LEN: usize = 32;
/// Length of an item id.
pub const ITEM_ID_LEN: usize = 16;
/// Length of the content key, and so of a sealed content key minus its tag.
pub const CONTENT_KEY_LEN: usize = 32;
/// Length of a sealed content key (the key plus the AEAD tag).
pub const SEALED_KEY_LEN: usize = CONTENT_KEY_LEN + TAG_LEN;
/// Length of one recipient stanza: public key, `enc`, sealed content key.
pub const STANZA_LEN: usize = KEY_LEN + ENC_LEN + SEALED_KEY_LEN;
/// Length of the header MAC (HMAC-SHA256).
pub const MAC_LEN: usize = 32;
/// At most this many recipients per item.
pub const MAX_RECIPIENTS: usize = 64;
/// Longest tenant id.
pub const MAX_TENANT_LEN: usize = 63;
/// Largest padded payload the format allows (1 TiB); servers set far lower
/// limits of their own.
pub const MAX_PADDED_LEN: u64 = 1 << 40;
/// Length of the fixed part of the header before the tenant id
/// (magic, kind, tenant length).
const PREFIX_LEN: usize = 4 + 1 + 1;
/// Length of the fixed part after the tenant id
/// (item id, report id, sender, padded length, recipient count).
const FIXED_AFTER_TENANT: usize = 2 * ITEM_ID_LEN + KEY_LEN + 8 + 1;
/// The longest header there can be.
pub const MAX_HEADER_LEN: usize =
    PREFIX_LEN + MAX_TENANT_LEN + FIXED_AFTER_TENANT + MAX_RECIPIENTS * STANZA_LEN + MAC_LEN;

/// The first four bytes of every version-1 key grant: `MKG` and the version.
pub const GRANT_MAGIC_V1: [u8; 4] = *b"MKG\x01";
/// The first four bytes of every version-2 key grant (for version-2 items).
pub const GRANT_MAGIC_V2: [u8; 4] = *b"MKG\x02";
/// Length of an item header hash (SHA-256).
pub const HEADER_HASH_LEN: usize = 32;
/// Domain label of [`header_hash`].
const HEADER_HASH_LABEL: &[u8] = b"meldkluis item header hash v1";
/// Length of a key grant's fields after the tenant id: item id, header
/// hash, grantor, grantee, `enc` and the sealed content key.
const GRANT_FIXED_AFTER_TENANT: usize =
    ITEM_ID_LEN + HEADER_HASH_LEN + 2 * KEY_LEN + ENC_LEN + SEALED_KEY_LEN;
/// The longest key grant there can be (version 2, which adds the payload
/// hash).
pub const MAX_GRANT_LEN: usize =
    PREFIX_LEN - 1 + MAX_TENANT_LEN + GRANT_FIXED_AFTER_TENANT + PAYLOAD_HASH_LEN;

/// The version of an item or key grant, named by the last byte of its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Version {
    /// Version 1 (frozen): the sender authenticates only the content key,
    /// so any recipient could reseal the payload in the sender's name. Still
    /// opened; no longer sealed (except to reproduce the version-1 vectors).
    V1,
    /// Version 2: a trailer with one tag per recipient binds header and
    /// payload to what the sender and that recipient alone can compute.
    V2,
}

impl Version {
    /// The item magic of this version.
    pub const fn item_magic(self) -> [u8; 4] {
        match self {
            Version::V1 => MAGIC_V1,
            Version::V2 => MAGIC_V2,
        }
    }

    /// The key grant magic of this version.
    pub const fn grant_magic(self) -> [u8; 4] {
        match self {
            Version::V1 => GRANT_MAGIC_V1,
            Version::V2 => GRANT_MAGIC_V2,
        }
    }
}

/// The hash a key grant binds an item by:
/// `SHA-256("meldkluis item header hash v1" || header bytes)`, over the
/// item's exact header (MAC included). Computable by anyone holding the item,
/// the server included; it says nothing about the content.
pub fn header_hash(header_bytes: &[u8]) -> [u8; HEADER_HASH_LEN] {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(HEADER_HASH_LABEL)
        .chain_update(header_bytes)
        .finalize()
        .into()
}

/// A tenant's id: 1 to 63 characters of `a-z`, `0-9` and `-`, not starting
/// or ending with `-`. Safe as a file name and a URL path segment as it is.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    /// Validates a tenant id.
    pub fn new(id: &str) -> Result<Self, Error> {
        let valid_chars = id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if id.is_empty()
            || id.len() > MAX_TENANT_LEN
            || !valid_chars
            || id.starts_with('-')
            || id.ends_with('-')
        {
            return Err(Error::Malformed("tenant id"));
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

impl core::str::FromStr for TenantId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// The first item of a case, with the questionnaire answers.
    Report,
    /// A later item in the thread, in either direction.
    Message,
    /// A file belonging to a report or message.
    Attachment,
}

impl ItemKind {
    /// The byte that stands for this kind in the header.
    pub const fn code(self) -> u8 {
        match self {
            ItemKind::Report => 1,
            ItemKind::Message => 2,
            ItemKind::Attachment => 3,
        }
    }

    /// The kind for a header byte.
    pub fn from_code(code: u8) -> Result<Self, Error> {
        match code {
            1 => Ok(ItemKind::Report),
            2 => Ok(ItemKind::Message),
            3 => Ok(ItemKind::Attachment),
            _ => Err(Error::Malformed("item kind")),
        }
    }
}

/// A 16-byte item id, chosen at random by the item's sender.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub [u8; ITEM_ID_LEN]);

impl ItemId {
    /// A fresh random id.
    pub fn random(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        let mut id = [0u8; ITEM_ID_LEN];
        rng.fill_bytes(&mut id);
        Self(id)
    }

    /// Lowercase hex, 32 characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex characters.
    pub fn from_hex(text: &str) -> Result<Self, Error> {
        let mut id = [0u8; ITEM_ID_LEN];
        hex::decode_to_slice(text, &mut id).map_err(|_| Error::Malformed("item id"))?;
        Ok(Self(id))
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({})", self.to_hex())
    }
}

/// One recipient's copy of the content key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Stanza {
    pub(crate) enc: [u8; ENC_LEN],
    pub(crate) sealed_key: [u8; SEALED_KEY_LEN],
}

/// The header of a sealed item: everything but the payload.
///
/// Parsing checks structure only. Nothing in a parsed header is trustworthy
/// until an opener has verified the header MAC with the content key.
#[derive(Clone, PartialEq, Eq)]
pub struct ItemHeader {
    /// The format version (from the magic).
    pub version: Version,
    /// Report, message or attachment.
    pub kind: ItemKind,
    /// The tenant the item belongs to.
    pub tenant: TenantId,
    /// This item's id.
    pub item_id: ItemId,
    /// The id of the report whose thread the item belongs to (a report's own
    /// id for a report).
    pub report_id: ItemId,
    /// The sender's static public key (HPKE auth mode).
    pub sender: PublicKey,
    /// Payload plaintext length after padding.
    pub padded_len: u64,
    /// The recipients' public keys, in stanza order, without duplicates.
    pub recipients: Vec<PublicKey>,
    pub(crate) stanzas: Vec<Stanza>,
    pub(crate) mac: [u8; MAC_LEN],
}

impl fmt::Debug for ItemHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemHeader")
            .field("version", &self.version)
            .field("kind", &self.kind)
            .field("tenant", &self.tenant)
            .field("item_id", &self.item_id)
            .field("report_id", &self.report_id)
            .field("sender", &self.sender)
            .field("padded_len", &self.padded_len)
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

/// A reader over a byte slice that fails with a named `Malformed` error.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(Error::Malformed(what))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }
}

impl ItemHeader {
    /// Parses the header at the start of `bytes` (which may continue with
    /// the payload). Returns the header and its length in bytes.
    pub fn parse(bytes: &[u8]) -> Result<(Self, usize), Error> {
        let mut r = Reader { bytes, pos: 0 };
        let version = match r.array::<4>("magic")? {
            MAGIC_V1 => Version::V1,
            MAGIC_V2 => Version::V2,
            _ => return Err(Error::Malformed("magic")),
        };
        let kind = ItemKind::from_code(r.byte("item kind")?)?;
        let tenant_len = usize::from(r.byte("tenant id")?);
        let tenant = core::str::from_utf8(r.take(tenant_len, "tenant id")?)
            .map_err(|_| Error::Malformed("tenant id"))?;
        let tenant = TenantId::new(tenant)?;
        let item_id = ItemId(r.array("item id")?);
        let report_id = ItemId(r.array("report id")?);
        if kind == ItemKind::Report && item_id != report_id {
            return Err(Error::Malformed("report id"));
        }
        let sender = PublicKey::from_bytes(r.array("sender")?);
        let padded_len = u64::from_be_bytes(r.array("padded length")?);
        if padded_len > MAX_PADDED_LEN || !padding::is_padded_len(padded_len) {
            return Err(Error::Malformed("padded length"));
        }
        let count = usize::from(r.byte("recipient count")?);
        if count == 0 || count > MAX_RECIPIENTS {
            return Err(Error::Malformed("recipient count"));
        }
        let mut recipients = Vec::with_capacity(count);
        let mut stanzas = Vec::with_capacity(count);
        for _ in 0..count {
            let recipient = PublicKey::from_bytes(r.array("recipient")?);
            if recipients.contains(&recipient) {
                return Err(Error::Malformed("recipient"));
            }
            recipients.push(recipient);
            stanzas.push(Stanza {
                enc: r.array("recipient")?,
                sealed_key: r.array("recipient")?,
            });
        }
        let mac = r.array("header mac")?;
        let header = Self {
            version,
            kind,
            tenant,
            item_id,
            report_id,
            sender,
            padded_len,
            recipients,
            stanzas,
            mac,
        };
        Ok((header, r.pos))
    }

    /// The header's bytes up to (not including) the MAC.
    pub(crate) fn bytes_before_mac(&self) -> Vec<u8> {
        let mut out = self.core();
        out.truncate(self.fixed_len());
        for (recipient, stanza) in self.recipients.iter().zip(&self.stanzas) {
            out.extend_from_slice(recipient.as_bytes());
            out.extend_from_slice(&stanza.enc);
            out.extend_from_slice(&stanza.sealed_key);
        }
        out
    }

    /// The whole header as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.bytes_before_mac();
        out.extend_from_slice(&self.mac);
        out
    }

    /// Length of the fixed fields (everything before the first stanza).
    fn fixed_len(&self) -> usize {
        PREFIX_LEN + self.tenant.as_str().len() + FIXED_AFTER_TENANT
    }

    /// The header's length in bytes.
    pub fn len(&self) -> usize {
        self.fixed_len() + self.recipients.len() * STANZA_LEN + MAC_LEN
    }

    /// Always false: a header has at least its fixed fields.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// What every recipient's stanza is bound to: the fixed fields followed
    /// by every recipient's public key. Used as the HPKE `aad`, so changing
    /// the version, kind, tenant, ids, sender, size or recipient list makes
    /// every stanza fail to open.
    pub(crate) fn core(&self) -> Vec<u8> {
        let tenant = self.tenant.as_str().as_bytes();
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(&self.version.item_magic());
        out.push(self.kind.code());
        out.push(u8::try_from(tenant.len()).expect("a tenant id has at most 63 bytes"));
        out.extend_from_slice(tenant);
        out.extend_from_slice(&self.item_id.0);
        out.extend_from_slice(&self.report_id.0);
        out.extend_from_slice(self.sender.as_bytes());
        out.extend_from_slice(&self.padded_len.to_be_bytes());
        out.push(u8::try_from(self.recipients.len()).expect("at most 64 recipients"));
        for recipient in &self.recipients {
            out.extend_from_slice(recipient.as_bytes());
        }
        out
    }

    /// The sealed payload's length in bytes.
    pub fn payload_len(&self) -> u64 {
        stream::sealed_len(self.padded_len).expect("padded length is at most 2^40")
    }

    /// The length of the trailer after the payload: none in version 1, one
    /// [`RECIPIENT_TAG_LEN`]-byte tag per recipient in version 2.
    pub fn trailer_len(&self) -> usize {
        match self.version {
            Version::V1 => 0,
            Version::V2 => self.recipients.len() * RECIPIENT_TAG_LEN,
        }
    }

    /// The exact length of the whole item (header, payload and, in version
    /// 2, trailer), so a server can refuse anything shorter or longer before
    /// storing it.
    pub fn item_len(&self) -> u64 {
        self.len() as u64 + self.payload_len() + self.trailer_len() as u64
    }

    /// [`header_hash`] of this header's bytes: what a key grant binds.
    pub fn hash(&self) -> [u8; HEADER_HASH_LEN] {
        header_hash(&self.to_bytes())
    }
}

/// A key grant: an item's content key sealed (HPKE auth mode) from a
/// grantor's key to a grantee's key, bound to the tenant, the item id and
/// the hash of the item's exact header, and in version 2 (for version-2
/// items) the hash of its sealed payload. It lets the recovery key holder,
/// or an advisor rotating keys, give a new key access to an existing item
/// without touching the item's bytes. Layout in `crypto-core/FORMAT.md`.
///
/// Parsing checks structure only; nothing in a parsed grant is trustworthy
/// until a grantee has opened it ([`crate::grant`]).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyGrant {
    /// The grant's version: 1 for version-1 items, 2 for version-2 items.
    pub version: Version,
    /// The tenant the item belongs to.
    pub tenant: TenantId,
    /// The item whose content key this grant carries.
    pub item_id: ItemId,
    /// [`header_hash`] of the item's header.
    pub header_hash: [u8; HEADER_HASH_LEN],
    /// Version 2 only: SHA-256 of the item's sealed payload, as the grantor
    /// verified it with its own recipient tag (or its own grant).
    pub payload_hash: Option<[u8; PAYLOAD_HASH_LEN]>,
    /// Who sealed the grant (HPKE auth mode sender): the recovery key or an
    /// advisor's earlier key.
    pub grantor: PublicKey,
    /// Who can open it: the new advisor key.
    pub grantee: PublicKey,
    pub(crate) enc: [u8; ENC_LEN],
    pub(crate) sealed_key: [u8; SEALED_KEY_LEN],
}

impl fmt::Debug for KeyGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyGrant")
            .field("version", &self.version)
            .field("tenant", &self.tenant)
            .field("item_id", &self.item_id)
            .field("grantor", &self.grantor)
            .field("grantee", &self.grantee)
            .finish_non_exhaustive()
    }
}

impl KeyGrant {
    /// Parses a whole grant: exactly one grant, no bytes after it.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader { bytes, pos: 0 };
        let version = match r.array::<4>("grant magic")? {
            GRANT_MAGIC_V1 => Version::V1,
            GRANT_MAGIC_V2 => Version::V2,
            _ => return Err(Error::Malformed("grant magic")),
        };
        let tenant_len = usize::from(r.byte("tenant id")?);
        let tenant = core::str::from_utf8(r.take(tenant_len, "tenant id")?)
            .map_err(|_| Error::Malformed("tenant id"))?;
        let tenant = TenantId::new(tenant)?;
        let item_id = ItemId(r.array("item id")?);
        let header_hash = r.array("header hash")?;
        let payload_hash = match version {
            Version::V1 => None,
            Version::V2 => Some(r.array("payload hash")?),
        };
        let grantor = PublicKey::from_bytes(r.array("grantor")?);
        let grantee = PublicKey::from_bytes(r.array("grantee")?);
        if grantee == grantor {
            return Err(Error::Malformed("grantee"));
        }
        let enc = r.array("sealed content key")?;
        let sealed_key = r.array("sealed content key")?;
        if r.pos != bytes.len() {
            return Err(Error::Malformed("grant length"));
        }
        Ok(Self {
            version,
            tenant,
            item_id,
            header_hash,
            payload_hash,
            grantor,
            grantee,
            enc,
            sealed_key,
        })
    }

    /// Every field before `enc`: the HPKE `aad` of the grant, so no field
    /// can change without the grant failing to open.
    pub(crate) fn bound_fields(&self) -> Vec<u8> {
        let tenant = self.tenant.as_str().as_bytes();
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(&self.version.grant_magic());
        out.push(u8::try_from(tenant.len()).expect("a tenant id has at most 63 bytes"));
        out.extend_from_slice(tenant);
        out.extend_from_slice(&self.item_id.0);
        out.extend_from_slice(&self.header_hash);
        if let Some(payload_hash) = &self.payload_hash {
            out.extend_from_slice(payload_hash);
        }
        out.extend_from_slice(self.grantor.as_bytes());
        out.extend_from_slice(self.grantee.as_bytes());
        out
    }

    /// The whole grant as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.bound_fields();
        out.extend_from_slice(&self.enc);
        out.extend_from_slice(&self.sealed_key);
        out
    }

    /// The grant's length in bytes.
    pub fn len(&self) -> usize {
        PREFIX_LEN - 1
            + self.tenant.as_str().len()
            + GRANT_FIXED_AFTER_TENANT
            + self.payload_hash.map_or(0, |h| h.len())
    }

    /// Always false: a grant has at least its fixed fields.
    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids() {
        for ok in ["a", "acme", "acme-nl", "x9", &"a".repeat(63)] {
            assert!(TenantId::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a/b",
            "..",
            "a.b",
            "a b",
            "é",
            &"a".repeat(64),
            "../etc",
            "a\0",
        ] {
            assert!(TenantId::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [ItemKind::Report, ItemKind::Message, ItemKind::Attachment] {
            assert_eq!(ItemKind::from_code(kind.code()), Ok(kind));
        }
        assert!(ItemKind::from_code(0).is_err());
        assert!(ItemKind::from_code(4).is_err());
    }
}
