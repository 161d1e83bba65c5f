//! Sealing and opening items: reports, messages and attachments.
//!
//! An item has a fresh content key. The key is sealed with HPKE auth mode
//! (the sender's static key) to every recipient, bound to the header's fixed
//! fields and recipient list; an HMAC over the whole header, keyed from the
//! content key, binds every stanza too. The payload is the STREAM
//! construction under a key derived from the content key and the header MAC,
//! over `content length (u64 BE) || content || zero padding` up to a PADMÉ
//! size.
//!
//! Every recipient knows the content key, so in version 1 any recipient
//! could seal other content under the unchanged header in the sender's name.
//! Version 2 (what [`seal_item`] and [`ItemSealer::new`] make) adds a
//! trailer: for each recipient, an HMAC over the header and the sealed
//! payload, keyed by an HPKE export of that recipient's auth-mode context,
//! which only the sender and that recipient can compute. A reader checks its
//! own tag when it finishes. The layout is in `crypto-core/FORMAT.md`.
//!
//! Every way opening can fail gives the same [`Error::CouldNotOpen`].

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::format::{
    ItemHeader, ItemId, ItemKind, Stanza, TenantId, Version, CONTENT_KEY_LEN, MAX_PADDED_LEN,
    MAX_RECIPIENTS, PAYLOAD_HASH_LEN, RECIPIENT_TAG_LEN,
};
use crate::grant::Access;
use crate::keys::{PublicKey, StaticKey};
use crate::primitives::hpke::{self, Mode};
use crate::primitives::padding;
use crate::primitives::stream::{StreamOpener, StreamSealer, CHUNK_LEN, SEALED_CHUNK_LEN};
use crate::Error;

/// HPKE `info` for sealing an item's content key, version 1.
const STANZA_INFO_V1: &[u8] = b"meldkluis item key v1";
/// HPKE `info` for sealing an item's content key, version 2.
const STANZA_INFO_V2: &[u8] = b"meldkluis item key v2";
/// HKDF salt for the keys derived from a content key, version 1.
const ITEM_KDF_SALT_V1: &[u8] = b"meldkluis item v1";
/// HKDF salt for the keys derived from a content key, version 2.
const ITEM_KDF_SALT_V2: &[u8] = b"meldkluis item v2";
/// HPKE `Export` context of a recipient's tag key (version 2).
const RECIPIENT_MAC_EXPORT: &[u8] = b"meldkluis item recipient mac v2";
/// First bytes of the message a recipient tag authenticates (version 2).
const RECIPIENT_TAG_LABEL: &[u8] = b"meldkluis item recipient tag v2";
/// Length of the content-length prefix inside the padded payload.
const LENGTH_PREFIX: u64 = 8;

fn stanza_info(version: Version) -> &'static [u8] {
    match version {
        Version::V1 => STANZA_INFO_V1,
        Version::V2 => STANZA_INFO_V2,
    }
}

/// A recipient's tag (version 2): `HMAC-SHA256(k_i, label ||
/// SHA-256(header bytes) || SHA-256(sealed payload))`.
fn recipient_tag(
    key: &[u8; 32],
    header_digest: &[u8; 32],
    payload_hash: &[u8; PAYLOAD_HASH_LEN],
) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(RECIPIENT_TAG_LABEL);
    mac.update(header_digest);
    mac.update(payload_hash);
    mac
}

/// What to seal, from whom, to whom.
pub struct SealParams<'a> {
    /// Report, message or attachment.
    pub kind: ItemKind,
    /// The tenant the item belongs to.
    pub tenant: &'a TenantId,
    /// The new item's id (for a report, equal to `report_id`).
    pub item_id: ItemId,
    /// The report whose thread the item belongs to.
    pub report_id: ItemId,
    /// The sender's static key (a mailbox key or an advisor's key).
    pub sender: &'a dyn StaticKey,
    /// Everyone who may read the item, at most [`MAX_RECIPIENTS`], no
    /// duplicates.
    pub recipients: &'a [PublicKey],
}

impl core::fmt::Debug for SealParams<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SealParams")
            .field("kind", &self.kind)
            .field("tenant", &self.tenant)
            .field("item_id", &self.item_id)
            .field("report_id", &self.report_id)
            .field("sender", &self.sender.public_key())
            .field("recipients", &self.recipients)
            .finish()
    }
}

/// What the reader requires of an item before trusting it.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The tenant the item must belong to.
    pub tenant: &'a TenantId,
    /// The sender must be one of these keys (for a reporter reading advisor
    /// messages: the advisor keys pinned in their own report).
    pub senders: &'a [PublicKey],
}

/// An opened item.
pub struct OpenedItem {
    /// The verified header.
    pub header: ItemHeader,
    /// The content, without padding. Wiped on drop.
    pub content: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for OpenedItem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OpenedItem")
            .field("header", &self.header)
            .field("content_len", &self.content.len())
            .finish()
    }
}

/// The keys derived from a content key.
struct ItemKeys {
    hkdf: Hkdf<Sha256>,
}

impl ItemKeys {
    fn new(version: Version, content_key: &[u8; CONTENT_KEY_LEN]) -> Self {
        let salt = match version {
            Version::V1 => ITEM_KDF_SALT_V1,
            Version::V2 => ITEM_KDF_SALT_V2,
        };
        Self {
            hkdf: Hkdf::<Sha256>::new(Some(salt), content_key),
        }
    }

    fn header_mac(&self, header_before_mac: &[u8]) -> Hmac<Sha256> {
        let mut mac_key = Zeroizing::new([0u8; 32]);
        self.hkdf
            .expand(b"header mac", mac_key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(mac_key.as_ref())
            .expect("HMAC takes any key length");
        mac.update(header_before_mac);
        mac
    }

    /// The payload key depends on the header MAC, so a payload cannot be
    /// moved under another header even by someone who knows the content key.
    fn payload_key(&self, header_mac: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut key = Zeroizing::new([0u8; 32]);
        self.hkdf
            .expand_multi_info(&[b"payload", header_mac], key.as_mut())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        key
    }
}

/// How a version-2 reader authenticates the payload at `finish`.
pub(crate) enum PayloadCheck {
    /// Version 1: the STREAM tags are all there is.
    None,
    /// Through a stanza: the reader's own tag in the trailer.
    RecipientTag {
        /// The reader's position in the stanza list (and the trailer).
        index: usize,
        /// `k_i`, exported from the reader's HPKE context.
        key: Zeroizing<[u8; 32]>,
    },
    /// Through a version-2 key grant: the payload hash the grant binds.
    PayloadHash([u8; PAYLOAD_HASH_LEN]),
}

/// An item header whose MAC was verified with the content key.
pub(crate) struct Unlocked {
    pub(crate) header: ItemHeader,
    pub(crate) header_len: usize,
    pub(crate) content_key: Zeroizing<[u8; CONTENT_KEY_LEN]>,
    pub(crate) check: PayloadCheck,
}

/// Parses the header at the start of `item`, requires `tenant`, reaches the
/// content key as `reader` through `access`, and verifies the header MAC
/// with it. The sender is not checked here: through a stanza, HPKE auth mode
/// proves the header's sender sealed it; through a grant, the grantor vouches.
pub(crate) fn unlock(
    item: &[u8],
    reader: &dyn StaticKey,
    tenant: &TenantId,
    access: Access<'_>,
) -> Result<Unlocked, Error> {
    let (header, header_len) = ItemHeader::parse(item).map_err(|_| Error::CouldNotOpen)?;
    if header.tenant != *tenant {
        return Err(Error::CouldNotOpen);
    }
    let header_bytes = &item[..header_len];
    let (content_key, check) = match access {
        Access::Stanza => {
            let reader_key = reader.public_key();
            let index = header
                .recipients
                .iter()
                .position(|r| *r == reader_key)
                .ok_or(Error::CouldNotOpen)?;
            let stanza = &header.stanzas[index];
            let mut context = hpke::setup_recipient(
                Mode::Auth,
                &stanza.enc,
                reader,
                stanza_info(header.version),
                None,
                Some(&header.sender),
            )
            .map_err(|_| Error::CouldNotOpen)?;
            let opened = context.open(&header.core(), &stanza.sealed_key)?;
            let key: [u8; CONTENT_KEY_LEN] = opened
                .as_slice()
                .try_into()
                .map_err(|_| Error::CouldNotOpen)?;
            let check = match header.version {
                Version::V1 => PayloadCheck::None,
                Version::V2 => {
                    let mut tag_key = Zeroizing::new([0u8; 32]);
                    context.export(RECIPIENT_MAC_EXPORT, tag_key.as_mut())?;
                    PayloadCheck::RecipientTag {
                        index,
                        key: tag_key,
                    }
                }
            };
            (Zeroizing::new(key), check)
        }
        Access::Grant { grant, grantors } => {
            let (key, payload_hash) =
                crate::grant::open_grant(grant, &header, header_bytes, reader, grantors)?;
            let check = match (header.version, payload_hash) {
                (Version::V1, None) => PayloadCheck::None,
                (Version::V2, Some(hash)) => PayloadCheck::PayloadHash(hash),
                _ => return Err(Error::CouldNotOpen),
            };
            (key, check)
        }
    };
    ItemKeys::new(header.version, &content_key)
        .header_mac(&header_bytes[..header_len - header.mac.len()])
        .verify_slice(&header.mac)
        .map_err(|_| Error::CouldNotOpen)?;
    Ok(Unlocked {
        header,
        header_len,
        content_key,
        check,
    })
}

/// Seals an item held in memory, in the current format (version 2).
/// Returns header, payload and trailer together.
pub fn seal_item(
    params: &SealParams<'_>,
    content: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    seal_item_with_version(params, Version::V2, content, rng)
}

/// Seals an item held in memory in the given format version.
///
/// Version 1 is frozen and no longer made by any meldkluis client (the
/// server refuses new version-1 uploads); it is here to reproduce the
/// version-1 vectors and to test that stored version-1 items still open.
pub fn seal_item_with_version(
    params: &SealParams<'_>,
    version: Version,
    content: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    let (mut sealer, mut out) =
        ItemSealer::with_version(params, version, content.len() as u64, rng)?;
    let payload_len = crate::primitives::stream::sealed_len(sealer.padded_len)
        .expect("padded length is at most 2^40")
        + (params.recipients.len() * RECIPIENT_TAG_LEN) as u64;
    out.reserve(usize::try_from(payload_len).map_err(|_| Error::InvalidInput("content too long"))?);
    sealer.update_into(content, &mut out)?;
    sealer.finish_into(&mut out)?;
    Ok(out)
}

/// Opens an item held in memory, as one of its recipients.
pub fn open_item(
    item: &[u8],
    reader: &dyn StaticKey,
    expect: &Expect<'_>,
) -> Result<OpenedItem, Error> {
    open_item_with_access(item, reader, expect, Access::Stanza)
}

/// Opens an item held in memory, reaching its content key through `access`
/// (the reader's stanza, or a key grant from a grantor the reader trusts).
pub fn open_item_with_access(
    item: &[u8],
    reader: &dyn StaticKey,
    expect: &Expect<'_>,
    access: Access<'_>,
) -> Result<OpenedItem, Error> {
    let (mut opener, header_len) = ItemOpener::with_access(item, reader, expect, access)?;
    let mut content = Zeroizing::new(Vec::with_capacity(item.len().saturating_sub(header_len)));
    opener.update_into(&item[header_len..], &mut content)?;
    let header = opener.finish()?;
    Ok(OpenedItem { header, content })
}

/// What a version-2 sealer needs for the trailer.
struct TrailerSealer {
    /// `k_i` for every recipient, in stanza order.
    keys: Zeroizing<Vec<[u8; 32]>>,
    /// SHA-256 of the header bytes.
    header_digest: [u8; 32],
    /// SHA-256 of the sealed payload so far.
    payload: Sha256,
}

/// Seals an item piece by piece in constant memory (one chunk).
pub struct ItemSealer {
    stream: StreamSealer,
    trailer: Option<TrailerSealer>,
    /// Plaintext of the chunk being filled.
    buffer: Zeroizing<Vec<u8>>,
    /// Padded-plaintext bytes already sealed in earlier chunks.
    sealed: u64,
    padded_len: u64,
    content_len: u64,
    content_seen: u64,
}

impl core::fmt::Debug for ItemSealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ItemSealer")
            .field("padded_len", &self.padded_len)
            .finish_non_exhaustive()
    }
}

impl ItemSealer {
    /// Starts sealing an item (version 2) whose content will be exactly
    /// `content_len` bytes. Returns the sealer and the item's header bytes.
    pub fn new(
        params: &SealParams<'_>,
        content_len: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Self, Vec<u8>), Error> {
        Self::with_version(params, Version::V2, content_len, rng)
    }

    /// Like [`ItemSealer::new`], in the given format version (version 1 only
    /// for the reasons given at [`seal_item_with_version`]).
    pub fn with_version(
        params: &SealParams<'_>,
        version: Version,
        content_len: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(Self, Vec<u8>), Error> {
        let recipients = params.recipients;
        if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
            return Err(Error::InvalidInput("number of recipients"));
        }
        if recipients
            .iter()
            .enumerate()
            .any(|(i, r)| recipients[..i].contains(r))
        {
            return Err(Error::InvalidInput("duplicate recipient"));
        }
        if params.kind == ItemKind::Report && params.item_id != params.report_id {
            return Err(Error::InvalidInput("a report's item id is its report id"));
        }
        let padded_len = content_len
            .checked_add(LENGTH_PREFIX)
            .and_then(padding::padded_len)
            .filter(|&len| len <= MAX_PADDED_LEN)
            .ok_or(Error::InvalidInput("content too long"))?;

        let mut content_key = Zeroizing::new([0u8; CONTENT_KEY_LEN]);
        rng.fill_bytes(content_key.as_mut());
        let mut header = ItemHeader {
            version,
            kind: params.kind,
            tenant: params.tenant.clone(),
            item_id: params.item_id,
            report_id: params.report_id,
            sender: params.sender.public_key(),
            padded_len,
            recipients: recipients.to_vec(),
            stanzas: Vec::with_capacity(recipients.len()),
            mac: [0; 32],
        };
        let core = header.core();
        let mut ikm_e = Zeroizing::new([0u8; 32]);
        let mut tag_keys = Zeroizing::new(Vec::with_capacity(recipients.len()));
        for recipient in recipients {
            rng.fill_bytes(ikm_e.as_mut());
            let (enc, mut context) = hpke::setup_sender(
                Mode::Auth,
                recipient,
                stanza_info(version),
                None,
                Some(params.sender),
                ikm_e.as_ref(),
            )?;
            let sealed = context.seal(&core, content_key.as_ref())?;
            let sealed_key = sealed.try_into().expect("a sealed 32-byte key is 48 bytes");
            header.stanzas.push(Stanza { enc, sealed_key });
            if version == Version::V2 {
                let mut tag_key = [0u8; 32];
                context.export(RECIPIENT_MAC_EXPORT, &mut tag_key)?;
                tag_keys.push(tag_key);
                zeroize::Zeroize::zeroize(&mut tag_key);
            }
        }
        let keys = ItemKeys::new(version, &content_key);
        header.mac = keys
            .header_mac(&header.bytes_before_mac())
            .finalize()
            .into_bytes()
            .into();
        let payload_key = keys.payload_key(&header.mac);
        let header_bytes = header.to_bytes();
        let trailer = (version == Version::V2).then(|| TrailerSealer {
            keys: tag_keys,
            header_digest: Sha256::digest(&header_bytes).into(),
            payload: Sha256::new(),
        });

        let mut buffer = Zeroizing::new(Vec::with_capacity(SEALED_CHUNK_LEN));
        buffer.extend_from_slice(&content_len.to_be_bytes());
        let sealer = Self {
            stream: StreamSealer::new(&payload_key),
            trailer,
            buffer,
            sealed: 0,
            padded_len,
            content_len,
            content_seen: 0,
        };
        Ok((sealer, header_bytes))
    }

    /// Adds content; returns the sealed chunks completed by it (possibly none).
    pub fn update(&mut self, content: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.update_into(content, &mut out)?;
        Ok(out)
    }

    /// Adds content, appending the sealed chunks it completes to `out`.
    pub fn update_into(&mut self, content: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let total = self.content_seen.checked_add(content.len() as u64);
        if total.is_none_or(|total| total > self.content_len) {
            return Err(Error::InvalidInput("content longer than announced"));
        }
        self.content_seen += content.len() as u64;
        let start = out.len();
        let result = self.feed(content, out);
        if let Some(trailer) = &mut self.trailer {
            trailer.payload.update(&out[start..]);
        }
        result
    }

    /// Pads and seals the last chunk and (version 2) appends the trailer;
    /// the content must be complete.
    pub fn finish(self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.finish_into(&mut out)?;
        Ok(out)
    }

    /// Pads and seals the last chunk and (version 2) the trailer, appending
    /// to `out`.
    pub fn finish_into(mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.content_seen != self.content_len {
            return Err(Error::InvalidInput("content shorter than announced"));
        }
        let start = out.len();
        let zeros = [0u8; 4096];
        loop {
            let remaining = self.padded_len - self.sealed - self.buffer.len() as u64;
            if remaining == 0 {
                break;
            }
            let take = usize::try_from(remaining.min(zeros.len() as u64)).expect("at most 4096");
            self.feed(&zeros[..take], out)?;
        }
        self.stream.seal_chunk_in_place(&mut self.buffer, true)?;
        out.extend_from_slice(&self.buffer);
        if let Some(trailer) = self.trailer.take() {
            let mut payload = trailer.payload;
            payload.update(&out[start..]);
            let payload_hash: [u8; PAYLOAD_HASH_LEN] = payload.finalize().into();
            for key in trailer.keys.iter() {
                let tag = recipient_tag(key, &trailer.header_digest, &payload_hash);
                out.extend_from_slice(&tag.finalize().into_bytes());
            }
        }
        Ok(())
    }

    /// Appends padded plaintext, sealing every chunk that is full and not the
    /// last (the last is sealed by `finish`, which knows it is the last).
    fn feed(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        while !data.is_empty() {
            let not_last = self.sealed + (CHUNK_LEN as u64) < self.padded_len;
            if self.buffer.is_empty() && data.len() >= CHUNK_LEN && not_last {
                // Whole chunks at a chunk boundary: seal straight into `out`.
                let start = out.len();
                out.extend_from_slice(&data[..CHUNK_LEN]);
                let tag = self.stream.seal_full_chunk_detached(&mut out[start..])?;
                out.extend_from_slice(&tag);
                self.sealed += CHUNK_LEN as u64;
                data = &data[CHUNK_LEN..];
                continue;
            }
            let room = CHUNK_LEN - self.buffer.len();
            if room == 0 {
                return Err(Error::InvalidInput("content longer than announced"));
            }
            let take = room.min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buffer.len() == CHUNK_LEN && not_last {
                self.stream.seal_chunk_in_place(&mut self.buffer, false)?;
                out.extend_from_slice(&self.buffer);
                self.buffer.clear();
                self.sealed += CHUNK_LEN as u64;
            }
        }
        Ok(())
    }
}

/// An item whose header and payload a reader verified.
pub(crate) struct Verified {
    pub(crate) header: ItemHeader,
    pub(crate) content_key: Zeroizing<[u8; CONTENT_KEY_LEN]>,
    /// Version 2: SHA-256 of the sealed payload.
    pub(crate) payload_hash: Option<[u8; PAYLOAD_HASH_LEN]>,
}

/// Opens an item piece by piece in constant memory (one chunk).
///
/// Feed it everything after the header: the sealed payload and, in version
/// 2, the trailer. Content returned by [`ItemOpener::update`] is in order and
/// was sealed by someone who knows the content key, but the item is only
/// known to be complete, and (version 2) to be the sender's, when
/// [`ItemOpener::finish`] succeeds: until then, treat it as possibly
/// truncated or forged by another recipient, and discard it if `finish`
/// fails.
pub struct ItemOpener {
    header: ItemHeader,
    content_key: Zeroizing<[u8; CONTENT_KEY_LEN]>,
    check: PayloadCheck,
    /// Sealed payload bytes still to come (the trailer follows them).
    payload_left: u64,
    /// SHA-256 of the sealed payload so far (version 2).
    payload_hash: Option<Sha256>,
    /// The trailer as far as it came (version 2; at most 64 tags).
    trailer: Vec<u8>,
    stream: StreamOpener,
    /// Ciphertext of the chunk being filled.
    buffer: Zeroizing<Vec<u8>>,
    /// Padded-plaintext bytes opened so far.
    opened: u64,
    chunks_left: u64,
    content_len: u64,
}

impl core::fmt::Debug for ItemOpener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ItemOpener")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl ItemOpener {
    /// Reads and verifies the header at the start of `item` (which may hold
    /// more than the header), as one of its recipients. Returns the opener
    /// and the header's length.
    pub fn new(
        item: &[u8],
        reader: &dyn StaticKey,
        expect: &Expect<'_>,
    ) -> Result<(Self, usize), Error> {
        Self::with_access(item, reader, expect, Access::Stanza)
    }

    /// Like [`ItemOpener::new`], reaching the content key the way `access`
    /// says: the reader's own stanza, or a key grant from a trusted grantor
    /// (see [`crate::grant`]). Either way the header MAC and every payload
    /// chunk are verified exactly as for a recipient.
    pub fn with_access(
        item: &[u8],
        reader: &dyn StaticKey,
        expect: &Expect<'_>,
        access: Access<'_>,
    ) -> Result<(Self, usize), Error> {
        let (header, _) = ItemHeader::parse(item).map_err(|_| Error::CouldNotOpen)?;
        if !expect.senders.contains(&header.sender) {
            return Err(Error::CouldNotOpen);
        }
        let unlocked = unlock(item, reader, expect.tenant, access)?;
        let header_len = unlocked.header_len;
        Ok((Self::from_unlocked(unlocked), header_len))
    }

    /// An opener for the payload after a verified header.
    pub(crate) fn from_unlocked(unlocked: Unlocked) -> Self {
        let version = unlocked.header.version;
        let payload_key =
            ItemKeys::new(version, &unlocked.content_key).payload_key(&unlocked.header.mac);
        Self {
            content_key: unlocked.content_key,
            check: unlocked.check,
            payload_left: unlocked.header.payload_len(),
            payload_hash: (version == Version::V2).then(Sha256::new),
            trailer: Vec::with_capacity(unlocked.header.trailer_len()),
            stream: StreamOpener::new(&payload_key),
            buffer: Zeroizing::new(Vec::with_capacity(SEALED_CHUNK_LEN)),
            opened: 0,
            chunks_left: crate::primitives::stream::chunk_count(unlocked.header.padded_len),
            content_len: 0,
            header: unlocked.header,
        }
    }

    /// The verified header.
    pub fn header(&self) -> &ItemHeader {
        &self.header
    }

    /// Takes more of the sealed payload; returns the content it completes.
    pub fn update(&mut self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut out = Zeroizing::new(Vec::new());
        self.update_into(sealed, &mut out)?;
        Ok(out)
    }

    /// Takes more of the sealed payload (and, once the payload is complete,
    /// the trailer), appending the content it completes to `out` (which the
    /// caller should wipe when done).
    pub fn update_into(&mut self, sealed: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        let payload_here = usize::try_from(self.payload_left)
            .unwrap_or(usize::MAX)
            .min(sealed.len());
        let (payload, trailer) = sealed.split_at(payload_here);
        if !trailer.is_empty() {
            if trailer.len() > self.header.trailer_len() - self.trailer.len() {
                return Err(Error::CouldNotOpen);
            }
            self.trailer.extend_from_slice(trailer);
        }
        if let Some(hash) = &mut self.payload_hash {
            hash.update(payload);
        }
        self.payload_left -= payload_here as u64;
        self.open_payload(payload, out)
    }

    fn open_payload(&mut self, mut sealed: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        while !sealed.is_empty() {
            if self.chunks_left == 0 {
                return Err(Error::CouldNotOpen);
            }
            let last = self.chunks_left == 1;
            if self.buffer.is_empty() && !last && sealed.len() >= SEALED_CHUNK_LEN {
                // A whole chunk at a chunk boundary: open straight into `out`.
                let start = out.len();
                out.extend_from_slice(&sealed[..CHUNK_LEN]);
                let tag = &sealed[CHUNK_LEN..SEALED_CHUNK_LEN];
                if let Err(e) = self.stream.open_full_chunk_detached(&mut out[start..], tag) {
                    out.truncate(start);
                    return Err(e);
                }
                sealed = &sealed[SEALED_CHUNK_LEN..];
                self.chunks_left -= 1;
                self.accept_plaintext(out, start)?;
                continue;
            }
            let want = if last {
                usize::try_from(self.header.padded_len - self.opened)
                    .map_err(|_| Error::CouldNotOpen)?
                    + hpke::TAG_LEN
            } else {
                SEALED_CHUNK_LEN
            };
            let take = (want - self.buffer.len()).min(sealed.len());
            self.buffer.extend_from_slice(&sealed[..take]);
            sealed = &sealed[take..];
            if self.buffer.len() == want {
                self.stream.open_chunk_in_place(&mut self.buffer, last)?;
                self.chunks_left -= 1;
                let start = out.len();
                out.extend_from_slice(&self.buffer);
                self.buffer.clear();
                self.accept_plaintext(out, start)?;
            }
        }
        Ok(())
    }

    /// `out[start..]` holds one opened chunk of padded plaintext: removes the
    /// length prefix (in the first chunk, which always holds at least 1 KiB,
    /// checking it against the header) and the padding (checking it is all
    /// zeros), leaving only content. On error, `out` is cut back to `start`.
    fn accept_plaintext(&mut self, out: &mut Vec<u8>, start: usize) -> Result<(), Error> {
        let result = self.strip_chunk(out, start);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn strip_chunk(&mut self, out: &mut Vec<u8>, start: usize) -> Result<(), Error> {
        let mut chunk_len = out.len() - start;
        if self.opened == 0 {
            let prefix: [u8; 8] = out
                .get(start..start + 8)
                .and_then(|p| p.try_into().ok())
                .ok_or(Error::CouldNotOpen)?;
            self.content_len = u64::from_be_bytes(prefix);
            let expected = self
                .content_len
                .checked_add(LENGTH_PREFIX)
                .and_then(padding::padded_len);
            if expected != Some(self.header.padded_len) {
                return Err(Error::CouldNotOpen);
            }
            out.drain(start..start + 8);
            chunk_len -= 8;
            self.opened = LENGTH_PREFIX;
        }
        let content_end = LENGTH_PREFIX + self.content_len;
        let content_here = usize::try_from(content_end.saturating_sub(self.opened))
            .unwrap_or(usize::MAX)
            .min(chunk_len);
        if out[start + content_here..].iter().any(|&b| b != 0) {
            return Err(Error::CouldNotOpen);
        }
        out.truncate(start + content_here);
        self.opened += chunk_len as u64;
        Ok(())
    }

    /// Checks that the whole payload (and, in version 2, the trailer) was
    /// read and, in version 2, that the reader's own tag authenticates the
    /// header and payload as the sender's (or, through a key grant, that the
    /// payload is the one the grantor verified). Returns the verified header.
    pub fn finish(self) -> Result<ItemHeader, Error> {
        self.finish_verified().map(|verified| verified.header)
    }

    /// [`ItemOpener::finish`], keeping what a grantor needs to issue a
    /// grant for the verified item.
    pub(crate) fn finish_verified(self) -> Result<Verified, Error> {
        if self.chunks_left != 0
            || !self.buffer.is_empty()
            || self.payload_left != 0
            || self.trailer.len() != self.header.trailer_len()
        {
            return Err(Error::CouldNotOpen);
        }
        let payload_hash: Option<[u8; PAYLOAD_HASH_LEN]> =
            self.payload_hash.map(|hash| hash.finalize().into());
        match (&self.check, &payload_hash) {
            (PayloadCheck::None, None) => {}
            (PayloadCheck::RecipientTag { index, key }, Some(payload_hash)) => {
                let header_digest: [u8; 32] = Sha256::digest(self.header.to_bytes()).into();
                let start = index * RECIPIENT_TAG_LEN;
                let tag = self
                    .trailer
                    .get(start..start + RECIPIENT_TAG_LEN)
                    .ok_or(Error::CouldNotOpen)?;
                recipient_tag(key, &header_digest, payload_hash)
                    .verify_slice(tag)
                    .map_err(|_| Error::CouldNotOpen)?;
            }
            (PayloadCheck::PayloadHash(expected), Some(payload_hash)) => {
                if !bool::from(expected.ct_eq(payload_hash)) {
                    return Err(Error::CouldNotOpen);
                }
            }
            _ => return Err(Error::CouldNotOpen),
        }
        Ok(Verified {
            header: self.header,
            content_key: self.content_key,
            payload_hash,
        })
    }
}
