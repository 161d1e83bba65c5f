//! `meldkluis-advisor rotate` and `recover` as people run them, against the
//! real server (in this process, on 127.0.0.1:0), with demo keys (the token
//! paths of the same code are in `tests/tests/lost_token.rs` and
//! `tests/tests/console_browser.rs`): a planned rotation A → B, then B's
//! token is lost and the recovery key, typed in its paper form, grants the
//! reports to C. C reads them; the replaced keys cannot log in.
// Test code: a panic with its location is the failure report.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use meldkluis_crypto_core::{os_rng, ItemId, ItemKind, StaticKey, StaticSecret};
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::reading::{self, Trust};
use meldkluis_keys::{recovery, InsecureDemoKey};

use crate::real_server::{self, seal, submit_report, RealServer};

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");

fn run(args: &[&str], key_files: &[(&str, &Path)], stdin: &[u8]) -> Output {
    let mut command = Command::new(ADVISOR);
    command
        .args(args)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (flag, path) in key_files {
        command.arg(flag).arg(path);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_then_recover_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let RealServer {
        base,
        admin,
        tenant,
        recovery: recovery_key,
    } = real_server::start(dir.path(), "cli-rotation", "CLI").await;
    let mut rng = os_rng();
    let key_a = dir.path().join("DEMO-a.hex");
    let key_b = dir.path().join("DEMO-b.hex");
    let key_c = dir.path().join("DEMO-c.hex");
    let a = InsecureDemoKey::generate(&key_a).unwrap();
    let b = InsecureDemoKey::generate(&key_b).unwrap();
    let c = InsecureDemoKey::generate(&key_c).unwrap();
    admin.add_advisor(&tenant, &a.public_key(), "A").unwrap();

    // A report to A, sealed as the reporter's browser does.
    let mailbox = StaticSecret::generate(&mut rng);
    let id = ItemId::random(&mut rng);
    let report = seal(
        &tenant,
        ItemKind::Report,
        id,
        id,
        &mailbox,
        &[
            a.public_key(),
            recovery_key.public_key(),
            mailbox.public_key(),
        ],
        b"CANARY-cli report",
    );
    let http = reqwest::Client::new();
    let created = submit_report(&http, &base, &tenant, &mailbox, [7; 16], &report).await;
    assert_eq!(created, 201);
    let server_args = ["--server", base.as_str(), "--tenant", tenant.as_str()];

    // Planned rotation A -> B: B enrolled, A grants, then A is replaced.
    admin
        .add_advisor(&tenant, &b.public_key(), "A (new key)")
        .unwrap();
    let rotated = run(
        &[&["rotate"][..], &server_args[..]].concat(),
        &[
            ("--old-insecure-demo-file", &key_a),
            ("--new-insecure-demo-file", &key_b),
        ],
        b"",
    );
    let stdout = String::from_utf8(rotated.stdout).unwrap();
    assert!(stdout.contains("granted now: 1"), "{stdout}");
    assert!(stdout.contains("introduced to reporters: 1"), "{stdout}");
    assert!(String::from_utf8_lossy(&rotated.stderr).contains("INSECURE DEMO KEY"));
    admin
        .replace_advisor(&tenant, &a.public_key(), &b.public_key(), None)
        .unwrap();

    // B's token is lost: C replaces B; the recovery key holder types the
    // paper form into `recover`.
    admin
        .replace_advisor(&tenant, &b.public_key(), &c.public_key(), None)
        .unwrap();
    let paper = recovery::expose_paper_form(&recovery_key);
    // B is the lost key; the report was sealed to A, B's earlier key.
    let (a_hex, b_hex) = (a.public_key().to_hex(), b.public_key().to_hex());
    let lost_args = ["--lost", b_hex.as_str(), "--lost", a_hex.as_str()];
    // Without a terminal to confirm at and without --yes: nothing happens
    // (the report and B's introduction are listed, nothing granted).
    let mut unconfirmed = Command::new(ADVISOR)
        .args(["recover", "--server", &base, "--tenant", tenant.as_str()])
        .args(lost_args)
        .arg("--insecure-demo-file")
        .arg(&key_c)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    unconfirmed
        .stdin
        .take()
        .unwrap()
        .write_all(paper.as_bytes())
        .unwrap();
    let unconfirmed = unconfirmed.wait_with_output().unwrap();
    assert!(!unconfirmed.status.success());
    assert!(
        String::from_utf8_lossy(&unconfirmed.stderr).contains("--yes"),
        "{}",
        String::from_utf8_lossy(&unconfirmed.stderr)
    );
    assert!(String::from_utf8_lossy(&unconfirmed.stdout)
        .contains(&format!("report {}: 2 items", id.to_hex())));
    let recovered = run(
        &[&["recover", "--yes"][..], &lost_args[..], &server_args[..]].concat(),
        &[("--insecure-demo-file", &key_c)],
        paper.as_bytes(),
    );
    let stdout = String::from_utf8(recovered.stdout).unwrap();
    // The report, and B's introduction (sealed to the recovery key too).
    assert!(
        stdout.contains("granted now: 2")
            && stdout.contains("introduced to reporters: 1")
            && stdout.contains(&c.public_key().fingerprint()),
        "{stdout}"
    );
    // A mistyped recovery key is caught before anything is granted.
    let mut typo = paper.to_string();
    let swapped = if typo.as_bytes()[0] == b'0' { "1" } else { "0" };
    typo.replace_range(0..1, swapped);
    let refused = Command::new(ADVISOR)
        .args([
            "recover",
            "--yes",
            "--server",
            &base,
            "--tenant",
            tenant.as_str(),
        ])
        .args(lost_args)
        .arg("--insecure-demo-file")
        .arg(&key_c)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(typo.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("check group"));

    // C reads the report through the recovery key's grant; A and B are out.
    let client = ServerClient::new(&base, tenant.clone()).unwrap();
    client.log_in(&c).await.unwrap();
    let thread = client.thread(&id.to_hex()).await.unwrap();
    let trust = Trust {
        tenant: tenant.clone(),
        grantors: vec![recovery_key.public_key()],
        advisor_senders: Vec::new(),
    };
    let opened =
        reading::open_report(&c, &trust, &thread, &thread.report_bytes().unwrap()).unwrap();
    assert_eq!(&*opened.content, b"CANARY-cli report");
    for old in [&a, &b] {
        let refused = ServerClient::new(&base, tenant.clone())
            .unwrap()
            .log_in(old)
            .await;
        assert!(
            matches!(
                refused,
                Err(meldkluis_keys::Error::Server { status: 401, .. })
            ),
            "{refused:?}"
        );
    }
}
