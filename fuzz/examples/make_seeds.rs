//! Writes the seed corpus in `fuzz/seeds/<target>/`: a few valid inputs per
//! target, so that each fuzz run starts past the first checks. The seeds are
//! deterministic (fixed keys, seeded randomness); rerun after a change to
//! the item format:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example make_seeds
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use meldkluis_crypto_core::challenge::CHALLENGE_LEN;
use meldkluis_crypto_core::{ItemId, LoginCode, MailboxId, StaticKey};
use meldkluis_fuzz::{fixtures, grant_fixture, keys, widest_header};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    fs::write(dir.join(name), bytes)
}

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let dir = |target: &str| -> std::io::Result<PathBuf> {
        let dir = root.join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir_all(&dir)?;
        Ok(dir)
    };

    // Headers alone (the server parses the start of an upload), and one
    // header followed by its payload.
    let headers = dir("item_header")?;
    for fixture in fixtures() {
        write(&headers, fixture.name, &fixture.bytes[..fixture.header_len])?;
    }
    write(&headers, "report-with-payload", &fixtures()[0].bytes)?;
    write(&headers, "widest", &widest_header())?;

    // Whole items the fixture reader can open; the two largest are left to
    // the structure-aware target, which seals them in memory.
    let items = dir("item_open")?;
    for fixture in fixtures()
        .iter()
        .filter(|fixture| fixture.bytes.len() < 8192)
    {
        write(&items, fixture.name, &fixture.bytes)?;
    }

    // The structure-aware target's input is bytes for `arbitrary`: a few
    // small hand-made ones (item choice, then an empty edit list, and so on).
    let tamper = dir("item_tamper")?;
    for (i, seed) in [
        &[0u8][..],
        &[1, 0, 0, 0],
        &[2, 0, 1, 0, 7],
        &[3, 1, 0, 0, 0, 0, 0, 0],
        &[4, 0, 0, 0, 0xff, 0x10],
    ]
    .iter()
    .enumerate()
    {
        write(&tamper, &format!("start-{i}"), seed)?;
    }

    // Key grants: the fixture grant, and its item's header after it (a
    // common mistake: a grant with trailing bytes).
    let grants = dir("key_grant")?;
    let grant = grant_fixture();
    write(&grants, "grant", &grant.grant)?;
    write(
        &grants,
        "grant-then-header",
        &[&grant.grant[..], &grant.item.bytes[..grant.item.header_len]].concat(),
    )?;

    let codes = dir("login_code")?;
    let mut rng = ChaCha20Rng::seed_from_u64(24);
    for i in 0..3 {
        let shown = LoginCode::generate(&mut rng).expose_display_string();
        write(&codes, &format!("code-{i}"), shown.as_bytes())?;
        if i == 0 {
            let sloppy = shown
                .to_lowercase()
                .replace('-', " ")
                .replace('0', "o")
                .replace('1', "l");
            write(&codes, "sloppy", sloppy.as_bytes())?;
        }
    }
    write(&codes, "wrong-length", b"ABCD-EFGH")?;

    let ids = dir("text_ids")?;
    write(
        &ids,
        "public-key",
        keys().reader.public_key().to_hex().as_bytes(),
    )?;
    write(
        &ids,
        "item-id",
        ItemId([0xa5; 16]).to_hex().to_uppercase().as_bytes(),
    )?;
    write(
        &ids,
        "mailbox-id",
        MailboxId([0x3c; 16]).to_hex().as_bytes(),
    )?;
    write(&ids, "tenant", b"acme-nl")?;

    // Input for `arbitrary`: a response, an optional claimed key, a message
    // and a context. An all-zero message is a low-order ephemeral key.
    let challenge = dir("challenge")?;
    let mut input = vec![0u8; 1 + 32 + CHALLENGE_LEN + 8];
    write(&challenge, "zeros", &input)?;
    input
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = (i * 37 % 251) as u8);
    write(&challenge, "pattern", &input)?;
    Ok(())
}
