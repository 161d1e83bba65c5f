//! The operator's `recipient invite|add|list|remove`: an invitation prints
//! an enrolment link whose secret is only in the fragment and only its
//! hash is stored; a token key is enrolled with its fingerprint shown; a
//! key already in use, an unknown role, an oversized label and an
//! out-of-range validity are refused with a message; a removed recipient
//! is listed as removed.

use std::process::Output;

use crate::common::{cli, cli_ok};

fn refused(output: &Output, why: &str) {
    assert!(!output.status.success(), "{why}: refused");
    assert!(!output.stderr.is_empty(), "{why}: says why");
}

fn refused_because(output: &Output, why: &str, because: &str) {
    refused(output, why);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(because), "{why}: {stderr}");
}

#[test]
fn the_operator_invites_adds_lists_and_removes_recipients() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    cli_ok(data, &["tenant", "create", "acme", "--name", "Acme"]);
    let advisor = "11".repeat(32);
    cli_ok(
        data,
        &[
            "advisor",
            "add",
            "acme",
            "--public-key",
            &advisor,
            "--name",
            "A",
        ],
    );

    // An invitation: a link with the secret in the fragment, the hash
    // stored, not the secret.
    let out = cli_ok(
        data,
        &[
            "recipient",
            "invite",
            "acme",
            "--role",
            "management",
            "--label",
            "Directie",
        ],
    );
    let link = out
        .split_whitespace()
        .find(|w| w.contains("/t/acme/enrol#"))
        .expect("a link");
    let secret = link.rsplit_once('#').expect("fragment").1;
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    let db = rusqlite::Connection::open(data.join("tenants/acme/tenant.sqlite")).expect("db");
    let stored: Vec<u8> = db
        .query_row("SELECT secret_hash FROM org_invitations", [], |r| r.get(0))
        .expect("stored");
    let secret_bytes = hex::decode(secret).expect("hex");
    assert_ne!(stored, secret_bytes, "not the secret itself");
    assert_eq!(
        stored,
        <sha2::Sha256 as sha2::Digest>::digest(&secret_bytes).to_vec()
    );

    // A token key.
    let hr = "22".repeat(32);
    let out = cli_ok(
        data,
        &[
            "recipient",
            "add",
            "acme",
            "--role",
            "forward",
            "--label",
            "HR",
            "--public-key",
            &hr,
        ],
    );
    let fingerprint = meldkluis_crypto_core::PublicKey::from_hex(&hr)
        .expect("key")
        .fingerprint();
    assert!(out.contains(&fingerprint), "{out}");

    // Refused: a key in use, an unknown role, an oversized label, a
    // validity out of range, a key not hex.
    let label = "x".repeat(201);
    for (why, args) in [
        (
            "an advisor's key",
            vec![
                "recipient",
                "add",
                "acme",
                "--role",
                "forward",
                "--label",
                "X",
                "--public-key",
                &advisor,
            ],
        ),
        (
            "a recipient's key",
            vec![
                "recipient",
                "add",
                "acme",
                "--role",
                "management",
                "--label",
                "X",
                "--public-key",
                &hr,
            ],
        ),
        (
            "an unknown role",
            vec![
                "recipient",
                "invite",
                "acme",
                "--role",
                "board",
                "--label",
                "X",
            ],
        ),
        (
            "an oversized label",
            vec![
                "recipient",
                "invite",
                "acme",
                "--role",
                "forward",
                "--label",
                &label,
            ],
        ),
        (
            "31 days",
            vec![
                "recipient",
                "invite",
                "acme",
                "--role",
                "forward",
                "--label",
                "X",
                "--valid-days",
                "31",
            ],
        ),
        (
            "a key not hex",
            vec![
                "recipient",
                "add",
                "acme",
                "--role",
                "forward",
                "--label",
                "X",
                "--public-key",
                "zz",
            ],
        ),
        ("no such tenant", vec!["recipient", "list", "nope"]),
    ] {
        refused(&cli(data, &args), why);
    }

    // And the other way round: a recipient's key is no advisor's or
    // recovery key.
    refused_because(
        &cli(
            data,
            &["advisor", "add", "acme", "--public-key", &hr, "--name", "B"],
        ),
        "a recipient's key as an advisor's",
        "recipient's key",
    );
    refused_because(
        &cli(data, &["recovery-key", "set", "acme", &hr]),
        "a recipient's key as the recovery key",
        "recipient's key",
    );

    // List, remove, list.
    let listed = cli_ok(data, &["recipient", "list", "acme"]);
    assert!(listed.contains("forward\tcurrent\tHR\ttoken"), "{listed}");
    cli_ok(data, &["recipient", "remove", "acme", "--public-key", &hr]);
    let listed = cli_ok(data, &["recipient", "list", "acme"]);
    assert!(listed.contains("forward\tremoved "), "{listed}");
    refused(
        &cli(data, &["recipient", "remove", "acme", "--public-key", &hr]),
        "removed twice",
    );
}
