//! Shared by the token tests: finding the PKCS#11 modules, and the item
//! round trips every key kind must pass.
//!
//! Each test file that talks to a token holds exactly one `#[test]`: a
//! PKCS#11 module is process-wide state (one `C_Initialize`, configuration
//! read from an environment variable), so one test per process keeps every
//! token throwaway and every run independent.
#![allow(dead_code)]

use std::path::PathBuf;

use meldkluis_crypto_core::challenge::{answer_challenge, ServerChallenge};
use meldkluis_crypto_core::{
    open_item, seal_item, Expect, ItemId, ItemKind, SealParams, StaticKey, StaticSecret, TenantId,
};
use rand_core::SeedableRng;

/// The kryoptic shim: `MELDKLUIS_TEST_KRYOPTIC_MODULE`, else
/// `libkryoptic_shim.so` in this build's target directory (where
/// `scripts/token-setup.sh --build-shim` puts it).
pub fn kryoptic_module() -> PathBuf {
    if let Some(path) = std::env::var_os("MELDKLUIS_TEST_KRYOPTIC_MODULE") {
        return PathBuf::from(path);
    }
    // This test runs from <target>/<profile>/deps/; the shim is built into
    // <target>/<profile>/ by its own workspace sharing the target directory.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from <target>/<profile>/deps");
    let path = profile_dir.join("libkryoptic_shim.so");
    let target_dir = profile_dir
        .parent()
        .expect("<target>/<profile> has a parent");
    assert!(
        path.is_file(),
        "the kryoptic PKCS#11 shim is not built: expected {}.\n\
         Build it with `scripts/token-setup.sh --build-shim` (with the same CARGO_TARGET_DIR as this test),\n\
         i.e. `cargo build --locked --manifest-path keys/kryoptic-shim/Cargo.toml --target-dir {}`,\n\
         or point MELDKLUIS_TEST_KRYOPTIC_MODULE at a built libkryoptic_shim.so.",
        path.display(),
        target_dir.display()
    );
    path
}

/// SoftHSM2's module: `MELDKLUIS_TEST_SOFTHSM2_MODULE`, else Debian's path.
pub fn softhsm2_module() -> PathBuf {
    let path = std::env::var_os("MELDKLUIS_TEST_SOFTHSM2_MODULE").map_or_else(
        || PathBuf::from("/usr/lib/softhsm/libsofthsm2.so"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "SoftHSM2 is not installed: expected {}. Run scripts/token-setup.sh (apt: softhsm2), \
         or point MELDKLUIS_TEST_SOFTHSM2_MODULE at libsofthsm2.so.",
        path.display()
    );
    path
}

pub fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    rand_chacha::ChaCha20Rng::seed_from_u64(seed)
}

/// The agreement through `key` equals x25519-dalek's from the peer's side.
pub fn assert_agreement_matches_dalek(key: &dyn StaticKey, seed: u64) {
    let peer = StaticSecret::generate(&mut rng(seed));
    let through_key = key.agree(&peer.public_key()).expect("the key agrees");
    let from_peer = peer.agree(&key.public_key()).expect("software agreement");
    assert_eq!(
        through_key.expose_secret_bytes(),
        from_peer.expose_secret_bytes()
    );
}

/// A report sealed by the reporter's mailbox key to `advisor` (and a
/// recovery key and the mailbox) opens with `advisor` as the reader; an
/// advisor reply sealed with `advisor` as sender opens for the mailbox; and
/// `advisor` answers a log-in challenge the server accepts.
pub fn assert_advisor_round_trips(advisor: &dyn StaticKey, seed: u64) {
    let mut rng = rng(seed);
    let tenant = TenantId::new("tok-test-7q").expect("valid tenant");
    let mailbox = StaticSecret::generate(&mut rng);
    let recovery = StaticSecret::generate(&mut rng);
    let report_id = ItemId::random(&mut rng);
    let report_text = "Mijn leidinggevende \u{2014} melding 0x5eed \u{1F512}".as_bytes();
    let report = seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &tenant,
            item_id: report_id,
            report_id,
            sender: &mailbox,
            recipients: &[
                advisor.public_key(),
                recovery.public_key(),
                mailbox.public_key(),
            ],
        },
        report_text,
        &mut rng,
    )
    .expect("sealing the report");
    let opened = open_item(
        &report,
        advisor,
        &Expect {
            tenant: &tenant,
            senders: &[mailbox.public_key()],
        },
    )
    .expect("the advisor key opens the report");
    assert_eq!(opened.content.as_slice(), report_text);
    // Not from the expected sender: refused, through the token too.
    assert!(open_item(
        &report,
        advisor,
        &Expect {
            tenant: &tenant,
            senders: &[recovery.public_key()]
        }
    )
    .is_err());

    let reply_text = b"Dank je. Kun je het tijdstip noemen? (reply 0x1f)";
    let reply = seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &tenant,
            item_id: ItemId::random(&mut rng),
            report_id,
            sender: advisor,
            recipients: &[mailbox.public_key(), recovery.public_key()],
        },
        reply_text,
        &mut rng,
    )
    .expect("sealing the reply with the advisor key as sender");
    let opened = open_item(
        &reply,
        &mailbox,
        &Expect {
            tenant: &tenant,
            senders: &[advisor.public_key()],
        },
    )
    .expect("the mailbox opens the advisor's reply");
    assert_eq!(opened.content.as_slice(), reply_text);
    let opened = open_item(
        &reply,
        &recovery,
        &Expect {
            tenant: &tenant,
            senders: &[advisor.public_key()],
        },
    )
    .expect("the recovery key opens the reply");
    assert_eq!(opened.content.as_slice(), reply_text);

    let context = b"tok-test-7q https://meld.test.invalid";
    let (challenge, message) = ServerChallenge::new(&mut rng, context);
    let answer =
        answer_challenge(advisor, &message, context).expect("the key answers the challenge");
    assert!(challenge.verify(&advisor.public_key(), &answer));
}
