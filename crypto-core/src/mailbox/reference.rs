//! The mailbox reference: a short, spoken check of a mailbox public key.
//!
//! A reporter who already spoke to an advisor makes a follow-up mailbox and
//! reads its reference aloud; the advisor types it, and the console checks
//! that the mailbox key the server hands over has exactly this reference
//! before linking it to the oral report. 60 bits: to substitute a key of its
//! own, the server would need a second preimage of 60 bits within the
//! minutes between the reading and the typing.

use sha2::{Digest, Sha256};

use super::{read_symbols, Typed, ALPHABET};
use crate::keys::PublicKey;

/// The domain separation label, 30 ASCII bytes, hashed without a length
/// prefix before the key.
pub const REFERENCE_LABEL: &[u8; 30] = b"meldkluis mailbox reference v1";

/// Symbols in a reference (12 × 5 = 60 bits).
pub const REFERENCE_SYMBOLS: usize = 12;

/// Why a typed reference was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The reference has the wrong number of symbols.
    #[error("a mailbox reference has {REFERENCE_SYMBOLS} characters; this has {found}")]
    WrongLength {
        /// How many symbols were found.
        found: usize,
    },
    /// A character that cannot be in a reference, at this 1-based position
    /// in the text as typed (counting spaces and dashes).
    #[error("character {position} cannot be part of a mailbox reference")]
    InvalidCharacter {
        /// 1-based position in the typed text, in characters.
        position: usize,
    },
}

/// The reference of a mailbox public key, `XXXX-XXXX-XXXX`:
/// the first 60 bits of `SHA-256(REFERENCE_LABEL || key)`, most significant
/// bit of `digest[0]` first, as 12 Crockford base32 symbols in groups of four.
pub fn mailbox_reference(public_key: &PublicKey) -> String {
    let mut hasher = Sha256::new();
    hasher.update(REFERENCE_LABEL);
    hasher.update(public_key.as_bytes());
    let digest = hasher.finalize();
    // 60 bits fit in the first 8 bytes; take the top 60 of those 64.
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let bits = u64::from_be_bytes(first) >> 4;
    let values: Vec<u8> = (0..REFERENCE_SYMBOLS)
        .map(|i| ((bits >> (5 * (REFERENCE_SYMBOLS - 1 - i))) & 31) as u8)
        .collect();
    canonical(&values)
}

/// Reads a typed reference: case, spaces and dashes do not matter, and
/// `I`/`L` are read as `1`, `O` as `0` (Crockford). Returns the canonical
/// `XXXX-XXXX-XXXX`. Nothing is checked beyond the form: whether the
/// reference belongs to a key is for the caller to compare.
pub fn parse_mailbox_reference(typed: &str) -> Result<String, ReferenceError> {
    let mut values = [0u8; REFERENCE_SYMBOLS];
    read_symbols(typed, &mut values, symbol_value).map_err(|typed| match typed {
        Typed::WrongLength { found } => ReferenceError::WrongLength { found },
        Typed::InvalidCharacter { position } => ReferenceError::InvalidCharacter { position },
    })?;
    Ok(canonical(&values))
}

/// The value of a typed symbol: `O` → 0, `I`/`L` → 1, any case (not
/// `U` → `V` as in a login code: FORMAT.md, "Mailbox reference").
fn symbol_value(c: u8) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        c => c,
    };
    ALPHABET.iter().position(|&a| a == c).map(|v| v as u8)
}

/// Symbol values (each < 32) as `XXXX-XXXX-XXXX`.
fn canonical(values: &[u8]) -> String {
    let mut out = String::with_capacity(REFERENCE_SYMBOLS + 2);
    for (i, &v) in values.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(v & 31)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_is_30_bytes() {
        assert_eq!(REFERENCE_LABEL.len(), 30);
    }

    #[test]
    fn references_have_the_canonical_shape_and_parse_to_themselves() {
        for seed in 0u8..50 {
            let key = PublicKey::from_slice(&[seed; 32]).unwrap();
            let reference = mailbox_reference(&key);
            assert_eq!(reference.len(), 14);
            assert_eq!(parse_mailbox_reference(&reference).unwrap(), reference);
        }
    }

    #[test]
    fn look_alikes_case_and_separators_are_accepted() {
        assert_eq!(
            parse_mailbox_reference(" ab0o-1IlZ xy z7  ").unwrap(),
            "AB00-111Z-XYZ7"
        );
        assert_eq!(
            parse_mailbox_reference("ab00111zxyz7").unwrap(),
            "AB00-111Z-XYZ7"
        );
    }

    #[test]
    fn wrong_input_is_refused_with_the_reason() {
        assert_eq!(
            parse_mailbox_reference("AB00-111Z-XYZ"),
            Err(ReferenceError::WrongLength { found: 11 })
        );
        assert_eq!(
            parse_mailbox_reference("AB00-111Z-XYZ77"),
            Err(ReferenceError::WrongLength { found: 13 })
        );
        assert_eq!(
            parse_mailbox_reference("AB00-U11Z-XYZ7"),
            Err(ReferenceError::InvalidCharacter { position: 6 })
        );
        assert_eq!(
            parse_mailbox_reference("AB00-é11Z-XYZ7"),
            Err(ReferenceError::InvalidCharacter { position: 6 })
        );
        assert_eq!(
            parse_mailbox_reference(""),
            Err(ReferenceError::WrongLength { found: 0 })
        );
    }
}
