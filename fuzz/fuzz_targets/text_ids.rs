//! The text forms of ids and keys that arrive in URLs, JSON and files:
//! `PublicKey::from_hex`, `ItemId::from_hex`, `MailboxId::from_hex` and
//! `TenantId::new`, all on the same arbitrary text.
//!
//! Beyond not panicking: each accepts exactly the texts its rule allows
//! (checked against a plain statement of the rule), and what it accepts
//! prints back as the text it came from. A tenant id is used as a file name
//! and a URL path segment as it is, so its rule matters most.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::format::MAX_TENANT_LEN;
use meldkluis_crypto_core::{ItemId, MailboxId, PublicKey, TenantId};

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_tenant_id(text: &str) -> bool {
    (1..=MAX_TENANT_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

fuzz_target!(|text: &str| {
    // A public key may come with surrounding whitespace (pasted from a file).
    let trimmed = text.trim();
    match PublicKey::from_hex(text) {
        Ok(key) => {
            assert!(is_hex(trimmed, 64), "public key accepted from {text:?}");
            assert_eq!(key.to_hex(), trimmed.to_ascii_lowercase());
            assert_eq!(PublicKey::from_slice(key.as_bytes()), Ok(key));
        }
        Err(_) => assert!(!is_hex(trimmed, 64), "public key refused from {text:?}"),
    }

    match ItemId::from_hex(text) {
        Ok(id) => {
            assert!(is_hex(text, 32), "item id accepted from {text:?}");
            assert_eq!(id.to_hex(), text.to_ascii_lowercase());
        }
        Err(_) => assert!(!is_hex(text, 32), "item id refused from {text:?}"),
    }

    match MailboxId::from_hex(text) {
        Ok(id) => {
            assert!(is_hex(text, 32), "mailbox id accepted from {text:?}");
            assert_eq!(id.to_hex(), text.to_ascii_lowercase());
        }
        Err(_) => assert!(!is_hex(text, 32), "mailbox id refused from {text:?}"),
    }

    match TenantId::new(text) {
        Ok(tenant) => {
            assert!(is_tenant_id(text), "tenant id accepted: {text:?}");
            assert_eq!(tenant.as_str(), text);
            assert_eq!(tenant.to_string(), text);
            assert_eq!(text.parse::<TenantId>().as_ref(), Ok(&tenant));
            // Safe as a path segment: no separators, no dot names.
            assert!(!text.contains(['/', '\\', '.', '\0']));
        }
        Err(_) => assert!(!is_tenant_id(text), "tenant id refused: {text:?}"),
    }
});
