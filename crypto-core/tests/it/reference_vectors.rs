//! Vectors for the mailbox reference (`vectors/mailbox-reference-v1.json`).
//!
//! Each reference is recomputed from FORMAT.md's formula alone (SHA-256 of
//! the label and the key, the first 60 bits read five at a time into
//! Crockford's alphabet) and checked against the crate's
//! `mailbox_reference`; the typed spellings are checked against
//! `parse_mailbox_reference`, including the ones it must refuse.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! reference_vectors` rewrites the file.

use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{mailbox_reference, parse_mailbox_reference, PublicKey, StaticKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vectors/mailbox-reference-v1.json"
);
const LABEL: &[u8] = b"meldkluis mailbox reference v1";
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct File {
    description: String,
    label: String,
    references: Vec<Reference>,
    typed: Vec<Typed>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Reference {
    name: String,
    mailbox_public_key: String,
    digest: String,
    reference: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Typed {
    name: String,
    typed: String,
    /// The canonical reference, or null when the spelling must be refused.
    canonical: Option<String>,
}

/// The reference as FORMAT.md spells it, bit by bit.
fn reference(key: &[u8; 32]) -> ([u8; 32], String) {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(LABEL)
        .chain_update(key)
        .finalize()
        .into();
    let bit = |i: usize| (digest[i / 8] >> (7 - i % 8)) & 1;
    let mut out = String::new();
    for symbol in 0..12 {
        if symbol > 0 && symbol % 4 == 0 {
            out.push('-');
        }
        let value = (0..5).fold(0usize, |v, j| (v << 1) | usize::from(bit(symbol * 5 + j)));
        out.push(char::from(ALPHABET[value]));
    }
    (digest, out)
}

fn build() -> File {
    let mut keys: Vec<(String, [u8; 32])> = [
        "meldkluis test mailbox key material!",
        "meldkluis test advisor 1 key material",
        "meldkluis test outsider key material",
    ]
    .iter()
    .map(|m| {
        (
            format!("X25519 public key of derive_key_pair(\"{m}\")"),
            *derive_key_pair(m.as_bytes()).public_key().as_bytes(),
        )
    })
    .collect();
    // The mailbox of mailbox-v1.json's first vector (code
    // TQ4G-503Y-6GQ1-X9B7-Y7VA-PYQD at tenant acme).
    let mut from_code = [0u8; 32];
    hex::decode_to_slice(
        "c7f798ab85213edf695cda972e491d4545249cb60d101213ed9626290ae9a347",
        &mut from_code,
    )
    .unwrap();
    keys.push((
        "the mailbox public key of mailbox-v1.json's first vector".into(),
        from_code,
    ));
    keys.push(("all-zero bytes (form only)".into(), [0; 32]));
    keys.push(("all-ones bytes (form only)".into(), [0xff; 32]));
    let references: Vec<Reference> = keys
        .iter()
        .map(|(name, key)| {
            let (digest, reference) = reference(key);
            Reference {
                name: name.clone(),
                mailbox_public_key: hex::encode(key),
                digest: hex::encode(digest),
                reference,
            }
        })
        .collect();
    let first = references[0].reference.clone();
    let lower_spaced: String = first
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .chunks(3)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    let typed = |name: &str, typed: &str, canonical: Option<&str>| Typed {
        name: name.into(),
        typed: typed.into(),
        canonical: canonical.map(Into::into),
    };
    let typed = vec![
        typed("canonical", &first, Some(&first)),
        typed(
            "lower case, spaces in other places",
            &lower_spaced,
            Some(&first),
        ),
        typed("no separators", &first.replace('-', ""), Some(&first)),
        typed(
            "look-alikes: O is 0, I and L are 1",
            "oOiI-lL01-ZZZZ",
            Some("0011-1101-ZZZZ"),
        ),
        typed(
            "tabs and dashes anywhere",
            "\tAB-CD-EF-GH-JK-MN ",
            Some("ABCD-EFGH-JKMN"),
        ),
        typed("eleven symbols", "ABCD-EFGH-JKM", None),
        typed("thirteen symbols", "ABCD-EFGH-JKMNP", None),
        typed("U is not in the alphabet", "ABCD-EFGH-JKMU", None),
        typed("a non-ASCII letter", "ABCD-EFGH-JKMÑ", None),
        typed("punctuation", "ABCD.EFGH.JKMN", None),
        typed("empty", "", None),
    ];
    File {
        description: "meldkluis mailbox reference v1 vectors: SHA-256(label || mailbox public key), first 60 bits as 12 Crockford base32 symbols in groups of four; and typed spellings with the canonical reference they parse to (null = refused); see crypto-core/FORMAT.md, \"Mailbox reference\"".into(),
        label: String::from_utf8(LABEL.to_vec()).unwrap(),
        references,
        typed,
    }
}

#[test]
fn reference_vectors() {
    let built = build();
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let file: File = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(file, built, "the vectors reproduce");
    for v in &file.references {
        let key = PublicKey::from_hex(&v.mailbox_public_key).unwrap();
        assert_eq!(mailbox_reference(&key), v.reference, "{}", v.name);
        assert_eq!(
            parse_mailbox_reference(&v.reference).unwrap(),
            v.reference,
            "{}",
            v.name
        );
    }
    for v in &file.typed {
        assert_eq!(
            parse_mailbox_reference(&v.typed).ok(),
            v.canonical,
            "{}",
            v.name
        );
    }
}
