//! `parse_mailbox_reference` on arbitrary text: what an advisor types when
//! the reporter reads a follow-up mailbox's reference aloud, and what the
//! server reads from a request path.
//!
//! Beyond not panicking: the reason for a refusal is true of the text (the
//! symbol count; the position, in the text as typed, of the first character
//! that can never be in a reference), and a reference that parses is the
//! canonical `XXXX-XXXX-XXXX`, which parses back to itself, as do its
//! lowercase and undashed forms; `mailbox_reference` of any 32 bytes is
//! canonical too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::mailbox::REFERENCE_SYMBOLS;
use meldkluis_crypto_core::{mailbox_reference, parse_mailbox_reference, PublicKey, ReferenceError};

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A symbol or a look-alike of one (O, I and L); U is not.
fn is_symbol(c: char) -> bool {
    c.is_ascii_alphanumeric() && !c.eq_ignore_ascii_case(&'u')
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '-'
}

fn is_canonical(reference: &str) -> bool {
    reference.len() == REFERENCE_SYMBOLS + 2
        && reference.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 9 {
                c == '-'
            } else {
                ALPHABET.contains(c)
            }
        })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = <[u8; 32]>::try_from(data) {
        let reference = mailbox_reference(&PublicKey::from_bytes(key));
        assert!(is_canonical(&reference), "{reference:?}");
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first_bad = text
        .chars()
        .position(|c| !is_symbol(c) && !is_separator(c));
    let symbols = text.chars().filter(|c| is_symbol(*c)).count();
    match parse_mailbox_reference(text) {
        Ok(reference) => {
            assert_eq!(first_bad, None);
            assert_eq!(symbols, REFERENCE_SYMBOLS);
            assert!(is_canonical(&reference), "{reference:?}");
            assert_eq!(parse_mailbox_reference(&reference).as_ref(), Ok(&reference));
            assert_eq!(
                parse_mailbox_reference(&reference.to_lowercase()).as_ref(),
                Ok(&reference)
            );
            assert_eq!(
                parse_mailbox_reference(&reference.replace('-', "")).as_ref(),
                Ok(&reference)
            );
        }
        Err(ReferenceError::InvalidCharacter { position }) => {
            assert_eq!(first_bad.map(|i| i + 1), Some(position));
        }
        Err(ReferenceError::WrongLength { found }) => {
            assert_eq!(first_bad, None);
            assert_eq!(found, symbols);
            assert_ne!(found, REFERENCE_SYMBOLS);
        }
        Err(other) => panic!("unexpected refusal {other:?}"),
    }
});
