//! Vectors for an organisation recipient's key from an enrolment code and
//! the recipient's log-in (`vectors/recipient-v1.json`).
//!
//! Every value is computed here a second time from `FORMAT.md`'s formulas
//! alone (the salt, Argon2id with the real version-1 parameters, as the
//! mailbox vectors use, the HKDF step, the log-in context, X25519, HKDF,
//! HMAC) and compared with the crate's `RecipientKey`,
//! `recipient_login_context`, `answer_challenge` and `ServerChallenge`.
//! Negative vectors are answers a server must refuse at a recipient log-in:
//! one bound to the advisor log-in context (same key, tenant, origin and
//! challenge), to another tenant, to another origin.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! recipient_vectors` rewrites the file; version 1 is frozen, so a rewrite
//! that changes a byte means the format changed.

use crate::common::rng;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use meldkluis_crypto_core::challenge::{answer_challenge, ServerChallenge};
use meldkluis_crypto_core::{
    recipient_login_context, LoginCode, MailboxKeys, PublicKey, RecipientKey, StaticKey,
    StaticSecret, TenantId,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/recipient-v1.json");

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct File {
    description: String,
    argon2id: Argon2Params,
    keys: Vec<KeyVector>,
    log_ins: Vec<LogIn>,
    refused: Vec<Refused>,
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
struct KeyVector {
    name: String,
    /// `LoginCode::generate(ChaCha20Rng::seed_from_u64(rng_seed))`.
    rng_seed: u64,
    code: String,
    /// The Argon2id password: the 24 canonical symbols.
    password: String,
    tenant: String,
    salt: String,
    seed: String,
    recipient_secret_key: String,
    recipient_public_key: String,
    /// The mailbox public key the same code gives at the same tenant: a
    /// different key (domain separation).
    mailbox_public_key: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct LogIn {
    name: String,
    /// The key vector whose recipient logs in.
    key_of: String,
    tenant: String,
    server_origin: String,
    context: String,
    /// `ChaCha20Rng::seed_from_u64(rng_seed)` gives the server's ephemeral
    /// secret (32 bytes) and then the nonce (32 bytes).
    rng_seed: u64,
    challenge: String,
    dh: String,
    answer_key: String,
    answer: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Refused {
    name: String,
    /// The log-in whose server checks this answer.
    server_of: String,
    answer: String,
}

const RECIPIENT_LABEL: &[u8] = b"meldkluis recipient log-in context v1";
const ADVISOR_LABEL: &[u8] = b"meldkluis advisor log-in context v2";

fn context(label: &[u8], tenant: &str, origin: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for field in [label, tenant.as_bytes(), origin.as_bytes()] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// The answer as FORMAT.md spells it ("Advisor log-in challenge").
fn answer(key: &StaticSecret, challenge: &[u8], context: &[u8]) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let ephemeral = PublicKey::from_slice(&challenge[..32]).unwrap();
    let dh = *key.agree(&ephemeral).unwrap().expose_secret_bytes();
    let mut answer_key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"meldkluis advisor log-in v1"), &dh)
        .expand(b"answer key", &mut answer_key)
        .unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&answer_key).unwrap();
    mac.update(challenge);
    mac.update(key.public_key().as_bytes());
    mac.update(&(context.len() as u64).to_be_bytes());
    mac.update(context);
    (dh, answer_key, mac.finalize().into_bytes().into())
}

/// The recipient key as FORMAT.md spells it: (salt, seed, secret key).
fn derive(password: &str, tenant: &str) -> ([u8; 16], [u8; 32], [u8; 32]) {
    let mut salt_hash = Sha256::new();
    salt_hash.update(b"meldkluis recipient salt v1");
    salt_hash.update([tenant.len() as u8]);
    salt_hash.update(tenant.as_bytes());
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&salt_hash.finalize()[..16]);
    let params = argon2::Params::new(65_536, 3, 1, Some(32)).unwrap();
    let mut seed = [0u8; 32];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(password.as_bytes(), &salt, &mut seed)
        .unwrap();
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"meldkluis recipient v1"), &seed)
        .expand(b"recipient key", &mut key)
        .unwrap();
    (salt, seed, key)
}

/// (rng seed, tenant)
const KEYS: [(u64, &str); 2] = [(301, "acme"), (301, "acme-nl")];

fn build() -> File {
    let keys: Vec<KeyVector> = KEYS
        .iter()
        .map(|&(seed, tenant)| {
            let code = LoginCode::generate(&mut rng(seed));
            let shown = code.expose_display_string().to_string();
            let password: String = shown.chars().filter(|&c| c != '-').collect();
            let (salt, argon_seed, key) = derive(&password, tenant);
            let mailbox = MailboxKeys::derive(&code, &TenantId::new(tenant).unwrap());
            KeyVector {
                name: format!("the enrolment code from seed {seed} at tenant {tenant}"),
                rng_seed: seed,
                code: shown,
                password,
                tenant: tenant.into(),
                salt: hex::encode(salt),
                seed: hex::encode(argon_seed),
                recipient_secret_key: hex::encode(key),
                recipient_public_key: StaticSecret::from_bytes(key).public_key().to_hex(),
                mailbox_public_key: mailbox.public_key().to_hex(),
            }
        })
        .collect();
    let log_in = |key: &KeyVector, origin: &str, seed: u64, name: &str| {
        let secret = StaticSecret::from_bytes(
            hex::decode(&key.recipient_secret_key)
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let ctx = context(RECIPIENT_LABEL, &key.tenant, origin);
        let (_, challenge) = ServerChallenge::new(&mut rng(seed), &ctx);
        let (dh, answer_key, answer) = answer(&secret, &challenge, &ctx);
        LogIn {
            name: name.into(),
            key_of: key.name.clone(),
            tenant: key.tenant.clone(),
            server_origin: origin.into(),
            context: hex::encode(&ctx),
            rng_seed: seed,
            challenge: hex::encode(challenge),
            dh: hex::encode(dh),
            answer_key: hex::encode(answer_key),
            answer: hex::encode(answer),
        }
    };
    let log_ins = vec![
        log_in(
            &keys[0],
            "https://meld.example",
            311,
            "recipient at a server on its own domain",
        ),
        log_in(
            &keys[1],
            "http://127.0.0.1:8443",
            312,
            "recipient at a server with a port, on loopback",
        ),
    ];
    let first = &log_ins[0];
    let secret = StaticSecret::from_bytes(
        hex::decode(&keys[0].recipient_secret_key)
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let challenge = hex::decode(&first.challenge).unwrap();
    let refused = |name: &str, ctx: Vec<u8>| Refused {
        name: name.into(),
        server_of: first.name.clone(),
        answer: hex::encode(answer(&secret, &challenge, &ctx).2),
    };
    let refused = vec![
        refused(
            "the same key, tenant, origin and challenge, answered as an advisor log-in",
            context(ADVISOR_LABEL, &first.tenant, &first.server_origin),
        ),
        refused(
            "answer bound to another tenant",
            context(RECIPIENT_LABEL, "acmf", &first.server_origin),
        ),
        refused(
            "answer bound to a look-alike server's origin (a relayed challenge)",
            context(RECIPIENT_LABEL, &first.tenant, "https://meld.example.evil"),
        ),
    ];
    File {
        description: "meldkluis recipient key v1 vectors (enrolment code and tenant to Argon2id seed and X25519 key pair, with the real version-1 Argon2id parameters), recipient log-ins (context, seeded ChaCha20Rng (rand_chacha 0.3, seed_from_u64) server randomness, answer) and answers a server must refuse; see crypto-core/FORMAT.md, \"Recipient key (enrolment code)\" and \"Recipient log-in\"".into(),
        argon2id: Argon2Params {
            version: 0x13,
            memory_kib: 65_536,
            iterations: 3,
            parallelism: 1,
            output_len: 32,
        },
        keys,
        log_ins,
        refused,
    }
}

#[test]
fn recipient_vectors() {
    let built = build();
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let file: File = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(file, built, "the vectors reproduce");
    for v in &file.keys {
        // The crate's derivation gives the same key, from the code as typed.
        let code = LoginCode::parse(&v.code.to_lowercase()).unwrap();
        let key = RecipientKey::derive(&code, &TenantId::new(&v.tenant).unwrap());
        assert_eq!(
            hex::encode(*key.key().expose_secret_bytes()),
            v.recipient_secret_key,
            "{}",
            v.name
        );
        assert_eq!(key.public_key().to_hex(), v.recipient_public_key);
        assert_ne!(v.recipient_public_key, v.mailbox_public_key);
    }
    // One code, two tenants: unrelated keys.
    assert_ne!(
        file.keys[0].recipient_public_key,
        file.keys[1].recipient_public_key
    );
    let secret_of = |name: &str| {
        let v = file.keys.iter().find(|k| k.name == name).unwrap();
        StaticSecret::from_bytes(
            hex::decode(&v.recipient_secret_key)
                .unwrap()
                .try_into()
                .unwrap(),
        )
    };
    for v in &file.log_ins {
        let tenant = TenantId::new(&v.tenant).unwrap();
        let ctx = hex::decode(&v.context).unwrap();
        assert_eq!(
            recipient_login_context(&tenant, &v.server_origin),
            ctx,
            "{}",
            v.name
        );
        let key = secret_of(&v.key_of);
        let (server, challenge) = ServerChallenge::new(&mut rng(v.rng_seed), &ctx);
        assert_eq!(hex::encode(challenge), v.challenge);
        let answer = answer_challenge(&key, &challenge, &ctx).unwrap();
        assert_eq!(hex::encode(answer), v.answer);
        assert!(server.verify(&key.public_key(), &answer));
    }
    let first = &file.log_ins[0];
    let key = secret_of(&first.key_of);
    for v in &file.refused {
        assert_eq!(v.server_of, first.name);
        let (server, _) = ServerChallenge::new(
            &mut rng(first.rng_seed),
            &hex::decode(&first.context).unwrap(),
        );
        assert!(
            !server.verify(&key.public_key(), &hex::decode(&v.answer).unwrap()),
            "{}",
            v.name
        );
    }
}
