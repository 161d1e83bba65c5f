//! Vectors for the advisor's log-in challenge (`vectors/challenge-v1.json`).
//!
//! Each vector is recomputed from FORMAT.md's formulas alone (the context
//! encoding, X25519, HKDF, HMAC) and checked against the crate: the server
//! side (`ServerChallenge`, from the seeded randomness) makes the recorded
//! challenge and accepts the recorded answer; the advisor side
//! (`answer_challenge`) makes it. Negative vectors are answers that must be
//! refused: bound to another server origin (a look-alike relaying a real
//! challenge), another tenant, another key, or made with a low-order point.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! challenge_vectors` rewrites the file.

use crate::common::rng;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use meldkluis_crypto_core::challenge::{answer_challenge, login_context, ServerChallenge};
use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{PublicKey, StaticKey, StaticSecret, TenantId};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/challenge-v1.json");
const CONTEXT_LABEL: &[u8] = b"meldkluis advisor log-in context v2";

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct File {
    description: String,
    positive: Vec<Positive>,
    negative: Vec<Negative>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Positive {
    name: String,
    tenant: String,
    server_origin: String,
    context: String,
    advisor_secret: String,
    advisor_public: String,
    /// `ChaCha20Rng::seed_from_u64(rng_seed)` gives the server's ephemeral
    /// secret (32 bytes) and then the nonce (32 bytes).
    rng_seed: u64,
    ephemeral_secret: String,
    challenge: String,
    dh: String,
    answer_key: String,
    answer: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Negative {
    name: String,
    /// The positive vector whose server checks this answer.
    server_of: String,
    advisor_public: String,
    answer: String,
}

/// `u64(len) || bytes` for label, tenant and origin.
fn context(tenant: &str, origin: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for field in [CONTEXT_LABEL, tenant.as_bytes(), origin.as_bytes()] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// The answer as FORMAT.md spells it, from the advisor's side.
fn answer(
    advisor: &StaticSecret,
    challenge: &[u8],
    context: &[u8],
) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let ephemeral = PublicKey::from_slice(&challenge[..32]).unwrap();
    let dh = *advisor.agree(&ephemeral).unwrap().expose_secret_bytes();
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"meldkluis advisor log-in v1"), &dh)
        .expand(b"answer key", &mut key)
        .unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(challenge);
    mac.update(advisor.public_key().as_bytes());
    mac.update(&(context.len() as u64).to_be_bytes());
    mac.update(context);
    (dh, key, mac.finalize().into_bytes().into())
}

struct Spec {
    name: &'static str,
    tenant: &'static str,
    origin: &'static str,
    advisor: &'static [u8],
    seed: u64,
}

const SPECS: [Spec; 2] = [
    Spec {
        name: "advisor at a server on its own domain",
        tenant: "acme",
        origin: "https://meld.example",
        advisor: b"meldkluis test advisor 1 key material",
        seed: 201,
    },
    Spec {
        name: "advisor at a server with a port, on loopback",
        tenant: "acme-nl",
        origin: "http://127.0.0.1:8443",
        advisor: b"meldkluis test advisor 2 key material",
        seed: 202,
    },
];

fn build() -> File {
    let positive: Vec<Positive> = SPECS
        .iter()
        .map(|s| {
            let advisor = derive_key_pair(s.advisor);
            let ctx = context(s.tenant, s.origin);
            let (_, challenge) = ServerChallenge::new(&mut rng(s.seed), &ctx);
            // The ephemeral secret is the rng's first 32 bytes.
            let mut first = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rng(s.seed), &mut first);
            let (dh, key, answer) = answer(&advisor, &challenge, &ctx);
            Positive {
                name: s.name.into(),
                tenant: s.tenant.into(),
                server_origin: s.origin.into(),
                context: hex::encode(&ctx),
                advisor_secret: hex::encode(*advisor.expose_secret_bytes()),
                advisor_public: advisor.public_key().to_hex(),
                rng_seed: s.seed,
                ephemeral_secret: hex::encode(first),
                challenge: hex::encode(challenge),
                dh: hex::encode(dh),
                answer_key: hex::encode(key),
                answer: hex::encode(answer),
            }
        })
        .collect();
    let first = &SPECS[0];
    let advisor = derive_key_pair(first.advisor);
    let (_, challenge) =
        ServerChallenge::new(&mut rng(first.seed), &context(first.tenant, first.origin));
    let other = derive_key_pair(b"meldkluis test advisor 3 key material");
    let neg = |name: &str, public: PublicKey, answer: [u8; 32]| Negative {
        name: name.into(),
        server_of: first.name.into(),
        advisor_public: public.to_hex(),
        answer: hex::encode(answer),
    };
    let negative = vec![
        neg(
            "answer bound to a look-alike server's origin (a relayed challenge)",
            advisor.public_key(),
            answer(
                &advisor,
                &challenge,
                &context(first.tenant, "https://meld.example.evil"),
            )
            .2,
        ),
        neg(
            "answer bound to the same host over http",
            advisor.public_key(),
            answer(
                &advisor,
                &challenge,
                &context(first.tenant, "http://meld.example"),
            )
            .2,
        ),
        neg(
            "answer bound to another tenant",
            advisor.public_key(),
            answer(&advisor, &challenge, &context("acmf", first.origin)).2,
        ),
        neg(
            "answer by another key, claimed for the advisor",
            advisor.public_key(),
            answer(&other, &challenge, &context(first.tenant, first.origin)).2,
        ),
        neg("answer with one bit changed", advisor.public_key(), {
            let mut a = answer(&advisor, &challenge, &context(first.tenant, first.origin)).2;
            a[31] ^= 1;
            a
        }),
        neg(
            "a low-order point as the advisor key, all-zero agreement",
            PublicKey::from_bytes([0; 32]),
            {
                // What a server that skipped the all-zero check would expect.
                let mut key = [0u8; 32];
                Hkdf::<Sha256>::new(Some(b"meldkluis advisor log-in v1"), &[0u8; 32])
                    .expand(b"answer key", &mut key)
                    .unwrap();
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
                let ctx = context(first.tenant, first.origin);
                mac.update(&challenge);
                mac.update(&[0u8; 32]);
                mac.update(&(ctx.len() as u64).to_be_bytes());
                mac.update(&ctx);
                mac.finalize().into_bytes().into()
            },
        ),
    ];
    File {
        description: "meldkluis advisor log-in challenge vectors: context (label, tenant, server origin), seeded ChaCha20Rng (rand_chacha 0.3, seed_from_u64) server randomness, answers; see crypto-core/FORMAT.md, \"Advisor log-in challenge\"".into(),
        positive,
        negative,
    }
}

#[test]
fn challenge_vectors() {
    let built = build();
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let file: File = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(file, built, "the vectors reproduce");
    for v in &file.positive {
        let tenant = TenantId::new(&v.tenant).unwrap();
        let ctx = hex::decode(&v.context).unwrap();
        assert_eq!(login_context(&tenant, &v.server_origin), ctx, "{}", v.name);
        let advisor =
            StaticSecret::from_bytes(hex::decode(&v.advisor_secret).unwrap().try_into().unwrap());
        let challenge: [u8; 64] = hex::decode(&v.challenge).unwrap().try_into().unwrap();
        // The server side from the seeded randomness.
        let (server, message) = ServerChallenge::new(&mut rng(v.rng_seed), &ctx);
        assert_eq!(message, challenge);
        let ephemeral = StaticSecret::from_bytes(
            hex::decode(&v.ephemeral_secret)
                .unwrap()
                .try_into()
                .unwrap(),
        );
        assert_eq!(ephemeral.public_key().as_bytes(), &challenge[..32]);
        // The advisor side.
        let answer = answer_challenge(&advisor, &challenge, &ctx).unwrap();
        assert_eq!(hex::encode(answer), v.answer);
        assert!(server.verify(&advisor.public_key(), &answer));
    }
    let first = &file.positive[0];
    let ctx = hex::decode(&first.context).unwrap();
    for v in &file.negative {
        assert_eq!(v.server_of, first.name);
        let (server, _) = ServerChallenge::new(&mut rng(first.rng_seed), &ctx);
        let public = PublicKey::from_hex(&v.advisor_public).unwrap();
        assert!(
            !server.verify(&public, &hex::decode(&v.answer).unwrap()),
            "{}",
            v.name
        );
    }
}
