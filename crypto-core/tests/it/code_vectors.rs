//! Vectors for the login code (`vectors/login-codes-v1.json`) and the
//! mailbox derived from it (`vectors/mailbox-v1.json`).
//!
//! Every value is computed here a second time from `FORMAT.md`'s formulas
//! alone (Luhn mod 32, the hash symbol, the salt, Argon2id with the real
//! version-1 parameters, the HKDF split) and compared with the crate's
//! `LoginCode` and `MailboxKeys`, so an implementation written from
//! FORMAT.md can check itself against the files.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! code_vectors` rewrites both files; version 1 is frozen, so a rewrite that
//! changes any byte means the format changed.

use crate::common::rng;
use hkdf::Hkdf;
use meldkluis_crypto_core::{CodeError, LoginCode, MailboxKeys, StaticKey, StaticSecret, TenantId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const CODES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/login-codes-v1.json");
const MAILBOXES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/mailbox-v1.json");
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct CodeFile {
    description: String,
    alphabet: String,
    positive: Vec<CodeVector>,
    negative: Vec<BadCode>,
    /// Typing errors both check symbols miss (FORMAT.md says which can).
    undetected: Vec<Undetected>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct CodeVector {
    name: String,
    /// `ChaCha20Rng::seed_from_u64(rng_seed)` fills 22 bytes; each value is
    /// a byte's low 5 bits.
    rng_seed: u64,
    /// The code as shown.
    code: String,
    /// The 24 symbol values (0..=31).
    values: Vec<u8>,
    luhn_symbol: u8,
    hash_symbol: u8,
    /// Other ways to type it that read as the same code.
    also_typed_as: Vec<String>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct BadCode {
    name: String,
    typed: String,
    /// `wrong_length`, `invalid_character` or `check_failed`.
    error: String,
    /// Symbols found (`wrong_length`) or 1-based character position
    /// (`invalid_character`).
    detail: Option<usize>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Undetected {
    name: String,
    intended: String,
    typed: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct MailboxFile {
    description: String,
    argon2id: Argon2Params,
    vectors: Vec<MailboxVector>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Argon2Params {
    version: u32,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    output_len: u32,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct MailboxVector {
    name: String,
    code: String,
    /// The Argon2id password: the 24 canonical symbols.
    password: String,
    tenant: String,
    salt: String,
    seed: String,
    mailbox_id: String,
    auth_secret: String,
    mailbox_secret_key: String,
    mailbox_public_key: String,
}

/// Luhn mod 32 as FORMAT.md spells it.
fn luhn(values: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &v) in values.iter().rev().enumerate() {
        let d = if i % 2 == 0 {
            2 * u32::from(v)
        } else {
            u32::from(v)
        };
        sum += d / 32 + d % 32;
    }
    ((32 - sum % 32) % 32) as u8
}

fn hash_symbol(values: &[u8]) -> u8 {
    let mut h = Sha256::new();
    h.update(b"meldkluis login code check v1");
    h.update(values);
    h.finalize()[0] & 31
}

fn text(values: &[u8]) -> String {
    values
        .chunks(4)
        .map(|g| {
            g.iter()
                .map(|&v| char::from(ALPHABET[usize::from(v)]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn values_of(code: &str) -> Vec<u8> {
    code.bytes()
        .filter(|&b| b != b'-')
        .map(|b| ALPHABET.iter().position(|&a| a == b).unwrap() as u8)
        .collect()
}

fn generated(seed: u64) -> String {
    LoginCode::generate(&mut rng(seed))
        .expose_display_string()
        .to_string()
}

/// A code with 0 and Z next to each other at `pos`, checks recomputed.
fn with_zero_z(base: &str, pos: usize) -> Vec<u8> {
    let mut v = values_of(base);
    v[pos] = 0;
    v[pos + 1] = 31;
    v[22] = luhn(&v[..22]);
    v[23] = hash_symbol(&v[..23]);
    v
}

fn build_codes() -> CodeFile {
    let positive: Vec<CodeVector> = [1u64, 2, 3]
        .iter()
        .map(|&seed| {
            let code = generated(seed);
            let values = values_of(&code);
            let sloppy = code
                .to_lowercase()
                .replace('-', " ")
                .replace('0', "o")
                .replace('1', "l");
            CodeVector {
                name: format!("generated from seed {seed}"),
                rng_seed: seed,
                code: code.clone(),
                luhn_symbol: values[22],
                hash_symbol: values[23],
                values,
                also_typed_as: vec![code.replace('-', ""), sloppy],
            }
        })
        .collect();
    let code = &positive[0].code;
    let v = &positive[0].values;
    let substituted = {
        let mut w = v.clone();
        w[5] = (w[5] + 1) % 32;
        text(&w)
    };
    let swapped = {
        let mut w = v.clone();
        let p = (0..23).find(|&p| w[p] != w[p + 1]).unwrap();
        w.swap(p, p + 1);
        text(&w)
    };
    // A 0/Z swap that the hash symbol catches, and (below) one it misses.
    let (caught, missed) = {
        let mut caught = None;
        let mut missed = None;
        for seed in 10u64.. {
            let w = with_zero_z(&generated(seed), (seed % 21) as usize);
            let p = (seed % 21) as usize;
            let mut t = w.clone();
            t.swap(p, p + 1);
            assert_eq!(luhn(&t[..22]), t[22], "Luhn misses it");
            let passes = hash_symbol(&t[..23]) == t[23];
            if passes && missed.is_none() {
                missed = Some((text(&w), text(&t)));
            }
            if !passes && caught.is_none() {
                caught = Some(text(&t));
            }
            if caught.is_some() && missed.is_some() {
                break;
            }
        }
        (caught.unwrap(), missed.unwrap())
    };
    let bad = |name: &str, typed: String, error: &str, detail: Option<usize>| BadCode {
        name: name.into(),
        typed,
        error: error.into(),
        detail,
    };
    CodeFile {
        description: "meldkluis login code v1 vectors: codes from seeded ChaCha20Rng (rand_chacha 0.3, seed_from_u64), their symbol values and check symbols, typing errors; see crypto-core/FORMAT.md, \"Login code\"".into(),
        alphabet: String::from_utf8(ALPHABET.to_vec()).unwrap(),
        negative: vec![
            bad("one symbol short", code[..code.len() - 1].into(), "wrong_length", Some(23)),
            bad("one symbol too many", format!("{code}0"), "wrong_length", Some(25)),
            bad("empty", String::new(), "wrong_length", Some(0)),
            bad("invalid character", format!("{}*{}", &code[..7], &code[8..]), "invalid_character", Some(8)),
            bad("non-ASCII character", format!("{}é{}", &code[..2], &code[3..]), "invalid_character", Some(3)),
            bad("one symbol substituted", substituted, "check_failed", None),
            bad("two neighbours swapped", swapped, "check_failed", None),
            bad("0 and Z swapped: Luhn misses it, the hash symbol catches it", caught, "check_failed", None),
        ],
        undetected: vec![Undetected {
            name: "0 and Z swapped, and the 5-bit hash symbol agrees by chance (about 1 in 32)".into(),
            intended: missed.0,
            typed: missed.1,
        }],
        positive,
    }
}

const TENANTS: [&str; 2] = ["acme", "acme-nl"];

fn build_mailboxes(codes: &CodeFile) -> MailboxFile {
    let code = &codes.positive[0].code;
    let vectors = TENANTS
        .iter()
        .map(|&tenant| {
            let password: String = code.chars().filter(|&c| c != '-').collect();
            let mut salt_hash = Sha256::new();
            salt_hash.update(b"meldkluis mailbox salt v1");
            salt_hash.update([tenant.len() as u8]);
            salt_hash.update(tenant.as_bytes());
            let salt = salt_hash.finalize()[..16].to_vec();
            let params = argon2::Params::new(65_536, 3, 1, Some(32)).unwrap();
            let mut seed = [0u8; 32];
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password_into(password.as_bytes(), &salt, &mut seed)
                .unwrap();
            let hkdf = Hkdf::<Sha256>::new(Some(b"meldkluis mailbox v1"), &seed);
            let mut id = [0u8; 16];
            let mut auth = [0u8; 32];
            let mut key = [0u8; 32];
            hkdf.expand(b"mailbox id", &mut id).unwrap();
            hkdf.expand(b"auth secret", &mut auth).unwrap();
            hkdf.expand(b"mailbox key", &mut key).unwrap();
            let public = StaticSecret::from_bytes(key).public_key();
            MailboxVector {
                name: format!("the first code of login-codes-v1.json at tenant {tenant}"),
                code: code.clone(),
                password,
                tenant: tenant.into(),
                salt: hex::encode(salt),
                seed: hex::encode(seed),
                mailbox_id: hex::encode(id),
                auth_secret: hex::encode(auth),
                mailbox_secret_key: hex::encode(key),
                mailbox_public_key: public.to_hex(),
            }
        })
        .collect();
    MailboxFile {
        description: "meldkluis mailbox derivation v1 vectors (login code and tenant to Argon2id seed, mailbox id, auth secret and X25519 key pair), with the real version-1 Argon2id parameters; see crypto-core/FORMAT.md, \"Mailbox\"".into(),
        argon2id: Argon2Params {
            version: 0x13,
            memory_kib: 65_536,
            iterations: 3,
            parallelism: 1,
            output_len: 32,
        },
        vectors,
    }
}

fn read_or_write<T: Serialize + for<'de> Deserialize<'de>>(path: &str, built: &T) -> T {
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(built).unwrap() + "\n").unwrap();
    }
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).unwrap()
}

fn code_error(e: CodeError) -> (String, Option<usize>) {
    match e {
        CodeError::WrongLength { found } => ("wrong_length".into(), Some(found)),
        CodeError::InvalidCharacter { position } => ("invalid_character".into(), Some(position)),
        CodeError::CheckFailed => ("check_failed".into(), None),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn login_code_vectors() {
    let built = build_codes();
    let file: CodeFile = read_or_write(CODES, &built);
    assert_eq!(file, built, "the vectors reproduce");
    for v in &file.positive {
        assert_eq!(v.values.len(), 24);
        assert_eq!(v.luhn_symbol, luhn(&v.values[..22]));
        assert_eq!(v.hash_symbol, hash_symbol(&v.values[..23]));
        assert_eq!(text(&v.values), v.code);
        for typed in std::iter::once(&v.code).chain(&v.also_typed_as) {
            let parsed = LoginCode::parse(typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!(*parsed.expose_display_string(), v.code);
        }
    }
    assert!(file.negative.len() >= 8);
    for bad in &file.negative {
        let error = LoginCode::parse(&bad.typed).err().map(code_error);
        assert_eq!(error, Some((bad.error.clone(), bad.detail)), "{}", bad.name);
    }
    for u in &file.undetected {
        // Both check symbols pass, so the typed text reads as a different,
        // valid code (whose mailbox, almost surely, does not exist).
        let parsed = LoginCode::parse(&u.typed).unwrap();
        assert_eq!(*parsed.expose_display_string(), u.typed);
        assert_ne!(u.typed, u.intended);
        assert!(LoginCode::parse(&u.intended).is_ok());
    }
}

#[test]
fn mailbox_vectors() {
    let codes = build_codes();
    let built = build_mailboxes(&codes);
    let file: MailboxFile = read_or_write(MAILBOXES, &built);
    assert_eq!(file, built, "the vectors reproduce");
    assert_eq!(file.vectors.len(), 2);
    for v in &file.vectors {
        // The crate's derivation gives the same values.
        let keys = MailboxKeys::derive(
            &LoginCode::parse(&v.code).unwrap(),
            &TenantId::new(&v.tenant).unwrap(),
        );
        assert_eq!(keys.mailbox_id().to_hex(), v.mailbox_id);
        assert_eq!(
            hex::encode(keys.auth_secret().expose_secret_bytes()),
            v.auth_secret
        );
        assert_eq!(
            hex::encode(*keys.key().expose_secret_bytes()),
            v.mailbox_secret_key
        );
        assert_eq!(keys.public_key().to_hex(), v.mailbox_public_key);
    }
    // One code, two tenants: unrelated mailboxes.
    assert_ne!(file.vectors[0].mailbox_id, file.vectors[1].mailbox_id);
}
