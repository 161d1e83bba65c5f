//! `ItemHeader::parse` on arbitrary bytes: what the server runs on every
//! upload before it stores anything.
//!
//! Beyond not panicking: a header that parses is exactly the bytes it was
//! parsed from, parses again to itself, and announces an item length the
//! server can trust to be at least the header; anything refused is refused
//! as malformed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::format::RECIPIENT_TAG_LEN;
use meldkluis_crypto_core::format::{MAX_HEADER_LEN, MAX_PADDED_LEN, MAX_RECIPIENTS};
use meldkluis_crypto_core::primitives::{padding, stream};
use meldkluis_crypto_core::{Error, ItemHeader, ItemKind, TenantId, Version};

fuzz_target!(|data: &[u8]| {
    let (header, len) = match ItemHeader::parse(data) {
        Ok(parsed) => parsed,
        Err(error) => {
            assert!(
                matches!(error, Error::Malformed(_)),
                "a parse error is a structural one: {error:?}"
            );
            return;
        }
    };

    // The reported length is the header's own, within the input and the format's bound.
    assert!(
        len <= data.len() && len <= MAX_HEADER_LEN,
        "header length {len} out of range"
    );
    assert_eq!(header.len(), len, "len() agrees with the parsed length");
    assert!(!header.is_empty());

    // Serialising gives back exactly the bytes parsed, and they parse to the same header.
    let bytes = header.to_bytes();
    assert_eq!(bytes, data[..len], "to_bytes() round-trips");
    assert_eq!(
        ItemHeader::parse(&bytes),
        Ok((header.clone(), len)),
        "re-parse gives the same header"
    );
    // A header is self-delimiting: none of its strict prefixes is one.
    assert!(
        ItemHeader::parse(&bytes[..len - 1]).is_err(),
        "a truncated header parses"
    );

    // The fields a server relies on are within the format's rules.
    assert!(header.padded_len <= MAX_PADDED_LEN && padding::is_padded_len(header.padded_len));
    assert!((1..=MAX_RECIPIENTS).contains(&header.recipients.len()));
    for (i, recipient) in header.recipients.iter().enumerate() {
        assert!(
            !header.recipients[..i].contains(recipient),
            "duplicate recipient accepted"
        );
    }
    if header.kind == ItemKind::Report {
        assert_eq!(
            header.item_id, header.report_id,
            "a report's item id is its report id"
        );
    }
    assert_eq!(
        TenantId::new(header.tenant.as_str()).as_ref(),
        Ok(&header.tenant),
        "tenant id is valid"
    );

    // The item length the server checks uploads against.
    let payload_len = stream::sealed_len(header.padded_len)
        .expect("a padded length of at most 2^40 has a sealed length");
    assert_eq!(header.payload_len(), payload_len);
    assert!(
        header.payload_len() > header.padded_len,
        "the payload carries at least one tag"
    );
    // Version 2 carries one tag per recipient after the payload.
    let trailer_len = match header.version {
        Version::V1 => 0,
        _ => header.recipients.len() * RECIPIENT_TAG_LEN,
    };
    assert_eq!(header.trailer_len(), trailer_len);
    assert_eq!(
        header.item_len(),
        len as u64 + payload_len + trailer_len as u64
    );
    assert_eq!(
        data[..4],
        [
            b'M',
            b'K',
            b'I',
            if header.version == Version::V1 { 1 } else { 2 }
        ],
        "the magic names the version"
    );
    assert!(
        header.item_len() >= len as u64,
        "item length below the header length"
    );
});
