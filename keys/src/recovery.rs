//! The tenant's offline recovery key on paper.
//!
//! The recovery key is an ordinary X25519 key that every item is also
//! sealed to, kept offline by the advisors' organisation (never by the
//! employer's management). It is made on an offline machine and written
//! down (or generated on a second token with [`crate::TokenKey`]); its only
//! use is to re-seal items to a new advisor key after a token is lost.
//!
//! The paper form is the 32 secret bytes as 16 groups of 4 hex digits
//! followed by a 17th check group, the first two bytes of
//! `SHA-256("meldkluis recovery key check v1" || secret)`, so that a
//! mistyped digit is caught before the key is used.

use meldkluis_crypto_core::StaticSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::Error;

const CHECK_LABEL: &[u8] = b"meldkluis recovery key check v1";

fn check_group(secret: &[u8; 32]) -> [u8; 2] {
    let digest = Sha256::new()
        .chain_update(CHECK_LABEL)
        .chain_update(secret)
        .finalize();
    [digest[0], digest[1]]
}

/// The secret in its paper form: four lines of four groups and a check
/// group, e.g. `1a2b 3c4d ... / ... 9f0e`. Handle as a secret.
pub fn expose_paper_form(secret: &StaticSecret) -> Zeroizing<String> {
    let bytes = secret.expose_secret_bytes();
    let mut all = Zeroizing::new(bytes.to_vec());
    all.extend_from_slice(&check_group(&bytes));
    let hex = Zeroizing::new(hex::encode(all.as_slice()));
    let groups: Vec<&str> = (0..17).map(|i| &hex[i * 4..i * 4 + 4]).collect();
    let mut text = Zeroizing::new(String::with_capacity(100));
    for (i, group) in groups.iter().enumerate() {
        text.push_str(group);
        // Four groups a line; the check group alone on the last.
        text.push(if i % 4 == 3 || i == 16 { '\n' } else { ' ' });
    }
    text
}

/// Reads the paper form back (spaces, dashes and line breaks ignored, case
/// ignored) and checks the check group.
pub fn parse_paper_form(text: &str) -> Result<StaticSecret, Error> {
    let digits = Zeroizing::new(
        text.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>(),
    );
    if digits.len() != 68 {
        return Err(Error::Malformed(
            "recovery key (expected 17 groups of 4 hex digits)",
        ));
    }
    let mut bytes = Zeroizing::new([0u8; 34]);
    hex::decode_to_slice(digits.as_str(), bytes.as_mut())
        .map_err(|_| Error::Malformed("recovery key (not hex)"))?;
    let mut secret = Zeroizing::new([0u8; 32]);
    secret.copy_from_slice(&bytes[..32]);
    if !bool::from(check_group(&secret).ct_eq(&bytes[32..])) {
        return Err(Error::Malformed(
            "recovery key (check group does not match: a digit is mistyped)",
        ));
    }
    Ok(StaticSecret::from_bytes(*secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use meldkluis_crypto_core::StaticKey;
    use rand_core::SeedableRng;

    #[test]
    fn paper_form_round_trips_and_catches_typos() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0x5eed_7ec0);
        let secret = StaticSecret::generate(&mut rng);
        let paper = expose_paper_form(&secret);
        assert_eq!(paper.lines().count(), 5);
        let back = parse_paper_form(&paper.to_uppercase().replace(' ', "-")).unwrap();
        assert_eq!(back.public_key(), secret.public_key());

        let mut typo = paper.to_string();
        let swapped = if typo.as_bytes()[5] == b'0' { "1" } else { "0" };
        typo.replace_range(5..6, swapped);
        assert!(matches!(parse_paper_form(&typo), Err(Error::Malformed(_))));
        assert!(parse_paper_form(&paper[..paper.len() - 6]).is_err());
    }
}
