//! Size padding: the PADMÉ scheme (Nikitin et al., "Reducing Metadata
//! Leakage from Encrypted Files and Communication with PURBs", PETS 2019,
//! §4), above a floor of [`MIN_PADDED_LEN`] bytes.
//!
//! PADMÉ rounds a length up so that only O(log log L) bits of it remain, at a
//! cost of at most about 12 % (and far less for large items). The floor hides
//! the length of every short text completely.

/// No padded length is below this: every report or message of up to 1 KiB
/// looks the same.
pub const MIN_PADDED_LEN: u64 = 1024;

/// The padded length for `len` bytes: PADMÉ(max(len, floor)).
///
/// Returns `None` only for lengths so large that rounding up would overflow.
pub fn padded_len(len: u64) -> Option<u64> {
    let len = len.max(MIN_PADDED_LEN);
    // E = floor(log2 L), S = floor(log2 E) + 1, keep S bits of mantissa.
    let e = 63 - u64::from(len.leading_zeros());
    let s = 64 - u64::from(e.leading_zeros());
    let last_bits = e - s;
    let mask = (1u64 << last_bits) - 1;
    len.checked_add(mask).map(|l| l & !mask)
}

/// Whether `len` is a length [`padded_len`] can produce (what a well-behaved
/// sender sends; the server may refuse anything else).
pub fn is_padded_len(len: u64) -> bool {
    len >= MIN_PADDED_LEN && padded_len(len) == Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_hides_short_lengths() {
        for len in [0, 1, 17, 1000, 1024] {
            assert_eq!(padded_len(len), Some(1024));
        }
    }

    #[test]
    fn padme_rounds_up_by_at_most_twelve_percent_and_is_idempotent() {
        let mut len = 1u64;
        while len < 1 << 40 {
            for l in [len, len + 1, len * 3 / 2 + 7] {
                let padded = padded_len(l).unwrap();
                assert!(padded >= l);
                assert!(padded >= MIN_PADDED_LEN);
                assert!(
                    l < MIN_PADDED_LEN || (padded - l) as f64 <= 0.12 * l as f64,
                    "{l} -> {padded}"
                );
                assert_eq!(padded_len(padded), Some(padded));
                assert!(is_padded_len(padded));
            }
            len *= 2;
        }
        // Known values: 1025 -> 1088 (E=10, S=4: 6 low bits cleared).
        assert_eq!(padded_len(1025), Some(1088));
        assert_eq!(padded_len(4096), Some(4096));
        assert_eq!(padded_len(4097), Some(4352));
        assert!(!is_padded_len(1025));
        assert_eq!(padded_len(u64::MAX), None);
    }
}
