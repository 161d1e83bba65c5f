//! The wire formats the server knows: sealed items (structure only, through
//! crypto-core's [`ItemHeader::parse`]), and the hex and base64 encodings of
//! the JSON API. Nothing here opens an item; the server has no key that
//! could.

use base64::Engine as _;
use meldkluis_crypto_core::{ItemHeader, ItemKind, PublicKey, TenantId, Version};

use crate::error::AppError;

/// A sealed item that passed the structural checks.
#[derive(Debug)]
pub struct CheckedItem {
    /// The parsed header (untrusted until a recipient opens the item; the
    /// server only uses it to file the item and to check the sender and
    /// recipient rules).
    pub header: ItemHeader,
    /// The whole item.
    pub bytes: Vec<u8>,
}

/// Checks the structure of a whole item for `tenant` and `kind`: the header
/// parses, is version 2, names this tenant and kind, and the length is
/// exactly the one the header announces (header, payload and trailer).
pub fn check_item(
    bytes: Vec<u8>,
    tenant: &TenantId,
    kind: ItemKind,
) -> Result<CheckedItem, AppError> {
    let (header, _) =
        ItemHeader::parse(&bytes).map_err(|e| AppError::invalid_item(format!("header: {e}")))?;
    check_header(&header, tenant, kind)?;
    if header.item_len() != bytes.len() as u64 {
        return Err(AppError::invalid_item(format!(
            "item is {} bytes, header announces {}",
            bytes.len(),
            header.item_len()
        )));
    }
    Ok(CheckedItem { header, bytes })
}

/// Checks the version, tenant and kind in a header.
///
/// Only version-2 items are accepted: every meldkluis client seals version
/// 2, and a version-1 item could be rewritten by any of its recipients in
/// its sender's name (`crypto-core/FORMAT.md`, "Versions"). Version-1 items
/// already stored are still served, and every reader still opens them.
pub fn check_header(
    header: &ItemHeader,
    tenant: &TenantId,
    kind: ItemKind,
) -> Result<(), AppError> {
    if header.version != Version::V2 {
        return Err(AppError::invalid_item(
            "item format version 1 is no longer accepted; seal as version 2",
        ));
    }
    if header.tenant != *tenant {
        return Err(AppError::invalid_item("item is for another tenant"));
    }
    if header.kind != kind {
        return Err(AppError::invalid_item(format!(
            "expected a {kind:?}, got a {:?}",
            header.kind
        )));
    }
    Ok(())
}

/// Checks that the sender is `expected` and that every key in `required` is
/// among the recipients.
pub fn check_sender_and_recipients(
    header: &ItemHeader,
    expected_sender: &PublicKey,
    required: &[PublicKey],
) -> Result<(), AppError> {
    if header.sender != *expected_sender {
        return Err(AppError::invalid_item("sender is not the expected key"));
    }
    if let Some(missing) = required.iter().find(|key| !header.recipients.contains(key)) {
        return Err(AppError::invalid_item(format!(
            "recipient {} missing",
            missing.to_hex()
        )));
    }
    Ok(())
}

/// Decodes standard base64 (with padding).
pub fn decode_base64(text: &str, what: &'static str) -> Result<Vec<u8>, AppError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| AppError::bad_request(format!("{what}: not base64")))
}

/// Encodes standard base64 (with padding).
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes exactly `N` bytes of hex.
pub fn decode_hex<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N], AppError> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out)
        .map_err(|_| AppError::bad_request(format!("{what}: not {N} bytes of hex")))?;
    Ok(out)
}

/// Decodes a public key from hex.
pub fn decode_public_key(text: &str, what: &'static str) -> Result<PublicKey, AppError> {
    decode_hex::<32>(text, what).map(PublicKey::from_bytes)
}
