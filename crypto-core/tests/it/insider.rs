//! An insider's tools, written from `crypto-core/FORMAT.md` alone (not from
//! the crate's sealing code): what a recipient of a version-2 item can
//! compute from its own stanza, and how it would build a payload and tags.
//! The forgery tests use them to perform the attacks; the version-2 vector
//! generator uses them to make payloads with exactly one defect.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use meldkluis_crypto_core::primitives::hpke::{self, Mode};
use meldkluis_crypto_core::{ItemHeader, StaticKey, StaticSecret};
use sha2::{Digest, Sha256};

pub const STANZA_INFO_V2: &[u8] = b"meldkluis item key v2";
pub const KDF_SALT_V2: &[u8] = b"meldkluis item v2";
pub const KDF_SALT_V1: &[u8] = b"meldkluis item v1";
pub const STANZA_INFO_V1: &[u8] = b"meldkluis item key v1";
pub const EXPORT_LABEL: &[u8] = b"meldkluis item recipient mac v2";
pub const TAG_LABEL: &[u8] = b"meldkluis item recipient tag v2";
pub const CHUNK: usize = 65_536;

/// The parts of an item, as byte ranges.
pub struct Layout {
    pub header: ItemHeader,
    pub header_len: usize,
    /// Length of the fixed fields before the first stanza.
    pub fixed_len: usize,
    pub payload_end: usize,
}

pub fn layout(item: &[u8]) -> Layout {
    let (header, header_len) = ItemHeader::parse(item).unwrap();
    let fixed_len = 6 + header.tenant.as_str().len() + 16 + 16 + 32 + 8 + 1;
    let payload_end = header_len + header.payload_len() as usize;
    Layout {
        header,
        header_len,
        fixed_len,
        payload_end,
    }
}

/// `core`: the fixed fields and every recipient's public key.
pub fn core(item: &[u8], l: &Layout) -> Vec<u8> {
    let mut core = item[..l.fixed_len].to_vec();
    for i in 0..l.header.recipients.len() {
        let at = l.fixed_len + i * 112;
        core.extend_from_slice(&item[at..at + 32]);
    }
    core
}

/// What recipient `me` learns from its stanza: the content key and (v2)
/// its tag key `k_i`.
pub struct Insider {
    pub index: usize,
    pub content_key: [u8; 32],
    pub tag_key: [u8; 32],
}

pub fn insider(item: &[u8], me: &StaticSecret) -> Insider {
    let l = layout(item);
    let v2 = item[3] == 2;
    let index = l
        .header
        .recipients
        .iter()
        .position(|r| *r == me.public_key())
        .unwrap();
    let at = l.fixed_len + index * 112;
    let mut context = hpke::setup_recipient(
        Mode::Auth,
        &item[at + 32..at + 64],
        me,
        if v2 { STANZA_INFO_V2 } else { STANZA_INFO_V1 },
        None,
        Some(&l.header.sender),
    )
    .unwrap();
    let key = context
        .open(&core(item, &l), &item[at + 64..at + 112])
        .unwrap();
    let mut tag_key = [0u8; 32];
    if v2 {
        context.export(EXPORT_LABEL, &mut tag_key).unwrap();
    }
    Insider {
        index,
        content_key: key.as_slice().try_into().unwrap(),
        tag_key,
    }
}

/// `HKDF-Expand(HKDF-Extract(salt, content_key), info, 32)`.
pub fn item_key(v2: bool, content_key: &[u8; 32], info: &[&[u8]]) -> [u8; 32] {
    let salt = if v2 { KDF_SALT_V2 } else { KDF_SALT_V1 };
    let mut out = [0u8; 32];
    Hkdf::<Sha256>::new(Some(salt), content_key)
        .expand_multi_info(info, &mut out)
        .unwrap();
    out
}

/// Recomputes the header MAC in place (an insider knows the content key).
pub fn remac_header(item: &mut [u8], v2: bool, content_key: &[u8; 32]) {
    let l = layout(item);
    let mac_key = item_key(v2, content_key, &[b"header mac"]);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key).unwrap();
    mac.update(&item[..l.header_len - 32]);
    let mac = mac.finalize().into_bytes();
    item[l.header_len - 32..l.header_len].copy_from_slice(&mac);
}

/// `content length (u64) || content || zeros`, `padded_len` bytes.
pub fn padded(content: &[u8], padded_len: u64) -> Vec<u8> {
    let mut out = (content.len() as u64).to_be_bytes().to_vec();
    out.extend_from_slice(content);
    out.resize(padded_len as usize, 0);
    out
}

/// STREAM over ChaCha20-Poly1305: chunks of 64 KiB, nonce `counter (11
/// bytes) || last flag`; `flags[i]` overrides chunk i's last flag.
pub fn stream_seal(key: &[u8; 32], plaintext: &[u8], flags: Option<&[bool]>) -> Vec<u8> {
    let aead = ChaCha20Poly1305::new(key.into());
    let chunks: Vec<&[u8]> = if plaintext.is_empty() {
        vec![&[]]
    } else {
        plaintext.chunks(CHUNK).collect()
    };
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let last = flags.map_or(i + 1 == chunks.len(), |f| f[i]);
        let mut nonce = [0u8; 12];
        nonce[3..11].copy_from_slice(&(i as u64).to_be_bytes());
        nonce[11] = u8::from(last);
        let mut buffer = chunk.to_vec();
        aead.encrypt_in_place((&nonce).into(), b"", &mut buffer)
            .unwrap();
        out.extend_from_slice(&buffer);
    }
    out
}

/// `HMAC-SHA256(k_i, label || SHA-256(header) || SHA-256(payload))`.
pub fn tag(tag_key: &[u8; 32], header: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(tag_key).unwrap();
    mac.update(TAG_LABEL);
    mac.update(&Sha256::digest(header));
    mac.update(&Sha256::digest(payload));
    mac.finalize().into_bytes().into()
}

/// Replaces a version-2 item's payload with `payload` and sets the tag of
/// recipient `insider.index` to match the new header and payload (the only
/// tag the insider can compute). The other tags stay as they were.
pub fn replace_payload(item: &[u8], insider: &Insider, payload: &[u8]) -> Vec<u8> {
    let l = layout(item);
    let trailer = &item[l.payload_end..];
    let mut out = [&item[..l.header_len], payload, trailer].concat();
    retag(&mut out, insider);
    out
}

/// Recomputes the insider's own tag over the item's current header and
/// payload.
pub fn retag(item: &mut [u8], insider: &Insider) {
    let l = layout(item);
    let t = tag(
        &insider.tag_key,
        &item[..l.header_len],
        &item[l.header_len..l.payload_end],
    );
    let at = l.payload_end + insider.index * 32;
    item[at..at + 32].copy_from_slice(&t);
}

/// The payload key of the item as it is now.
pub fn payload_key(item: &[u8], content_key: &[u8; 32]) -> [u8; 32] {
    let l = layout(item);
    let v2 = item[3] == 2;
    item_key(
        v2,
        content_key,
        &[b"payload", &item[l.header_len - 32..l.header_len]],
    )
}
