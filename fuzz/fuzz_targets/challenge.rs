//! The advisor log-in challenge with arbitrary bytes where an attacker
//! controls them: the response (and the advisor key it claims) that
//! `ServerChallenge::verify` checks, and the 64-byte message that
//! `answer_challenge` answers in the advisor's token.
//!
//! Beyond not panicking: the server accepts exactly the genuine answer for
//! the genuine advisor, an answer to any other message or context never
//! verifies (no replay), answering is deterministic, and it fails exactly
//! for a low-order ephemeral key, whatever the advisor's key.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::challenge::{
    answer_challenge, ServerChallenge, ANSWER_LEN, CHALLENGE_LEN,
};
use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{Error, PublicKey, StaticKey, StaticSecret};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const CONTEXT: &[u8] = b"fuzz-tenant https://meld.example";

struct Setup {
    advisor: StaticSecret,
    other_advisor: StaticSecret,
    server: ServerChallenge,
    message: [u8; CHALLENGE_LEN],
    genuine: [u8; ANSWER_LEN],
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let advisor = derive_key_pair(b"meldkluis fuzz advisor key");
        let other_advisor = derive_key_pair(b"meldkluis fuzz other advisor key");
        let (server, message) = ServerChallenge::new(&mut ChaCha20Rng::seed_from_u64(9), CONTEXT);
        let genuine = answer_challenge(&advisor, &message, CONTEXT)
            .expect("a fresh challenge can be answered");
        Setup {
            advisor,
            other_advisor,
            server,
            message,
            genuine,
        }
    })
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// What a client sends back to the server's challenge.
    response: Vec<u8>,
    /// Whose key the client claims to hold: the advisor's, or any bytes.
    claimed: Option<[u8; 32]>,
    /// A message a malicious server (or a man in the middle) asks the token to answer.
    message: [u8; CHALLENGE_LEN],
    context: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let setup = setup();
    let advisor = setup.advisor.public_key();

    // The server's side: only the genuine answer from the genuine advisor passes.
    let claimed = input.claimed.map_or(advisor, PublicKey::from_bytes);
    let accepted = setup.server.verify(&claimed, &input.response);
    assert_eq!(
        accepted,
        claimed == advisor && input.response == setup.genuine,
        "verify({claimed:?}) = {accepted}"
    );

    // The token's side, on an arbitrary message and context.
    let answer = answer_challenge(&setup.advisor, &input.message, &input.context);
    let other = answer_challenge(&setup.other_advisor, &input.message, &input.context);
    match (&answer, &other) {
        (Ok(answer), Ok(other)) => {
            assert_ne!(answer, other, "two advisors gave the same answer");
            let again = answer_challenge(&setup.advisor, &input.message, &input.context);
            assert_eq!(again.as_ref(), Ok(answer), "answering is deterministic");
            // An answer verifies only for the challenge and context it was made for.
            let genuine_challenge = input.message == setup.message && input.context == CONTEXT;
            assert_eq!(
                setup.server.verify(&advisor, answer),
                genuine_challenge,
                "an answer was replayed"
            );
            assert_eq!(
                setup
                    .server
                    .verify(&setup.other_advisor.public_key(), other),
                genuine_challenge
            );
        }
        // A low-order ephemeral key makes every key's agreement all zeros.
        (Err(Error::KeyAgreement), Err(Error::KeyAgreement)) => {}
        (answer, other) => panic!(
            "answers disagree on whether the challenge can be answered: {answer:?} vs {other:?}"
        ),
    }
});
