//! A tenant export (`meldkluis-server tenant export`, made with the real
//! server's library on the real server's data) opened with the real
//! `meldkluis-advisor archive open`: the advisor reads the plaintext of
//! what their key opens, the rest is listed, and a damaged export is
//! refused before anything is written.

use std::path::Path;
use std::process::Command;

use meldkluis_crypto_core::{
    os_rng, ItemId, ItemKind, PublicKey, StaticKey as _, StaticSecret, TenantId,
};
use meldkluis_keys::InsecureDemoKey;
use serde_json::json;

use crate::double::b64;
use crate::real_server::{self, mailbox_login, seal, submit_report, RealServer};

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");

/// Submits a report sealed to `recipients` (the mailbox among them);
/// returns its id and a mailbox token.
async fn report(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    mailbox: &StaticSecret,
    recipients: &[PublicKey],
    content: &[u8],
    mailbox_id: [u8; 16],
) -> (ItemId, String) {
    let id = ItemId::random(&mut os_rng());
    let item = seal(
        tenant,
        ItemKind::Report,
        id,
        id,
        mailbox,
        recipients,
        content,
    );
    let status = submit_report(http, base, tenant, mailbox, mailbox_id, &item).await;
    assert_eq!(status, 201);
    (id, mailbox_login(http, base, tenant, mailbox_id).await)
}

fn open(export: &Path, out: &Path, enrolled: &Path, key: &Path) -> std::process::Output {
    Command::new(ADVISOR)
        .args(["archive", "open"])
        .arg(export)
        .arg("--out")
        .arg(out)
        .arg("--enrolled")
        .arg(enrolled)
        .arg("--insecure-demo-file")
        .arg(key)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_opens_with_the_advisors_key_and_a_damaged_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let RealServer {
        base,
        admin,
        tenant,
        recovery,
    } = real_server::start(dir.path(), "leaving", "Leaving").await;
    let (key_a, key_b) = (dir.path().join("DEMO-a.hex"), dir.path().join("DEMO-b.hex"));
    let a = InsecureDemoKey::generate(&key_a).unwrap();
    let b = InsecureDemoKey::generate(&key_b).unwrap();
    admin.add_advisor(&tenant, &a.public_key(), "A").unwrap();
    admin.add_advisor(&tenant, &b.public_key(), "B").unwrap();
    let http = reqwest::Client::new();

    // To A: a report, a message and an attachment from the reporter.
    let mailbox = StaticSecret::generate(&mut os_rng());
    let to_a = [mailbox.public_key(), recovery.public_key(), a.public_key()];
    let (first, token) = report(
        &http,
        &base,
        &tenant,
        &mailbox,
        &to_a,
        b"CANARY-export report to A",
        [1; 16],
    )
    .await;
    let message = seal(
        &tenant,
        ItemKind::Message,
        ItemId::random(&mut os_rng()),
        first,
        &mailbox,
        &to_a,
        b"CANARY-export a message",
    );
    let posted = http
        .post(format!("{base}/api/v1/t/{tenant}/mailbox/messages"))
        .bearer_auth(&token)
        .json(&json!({ "item": b64(&message) }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    let attachment_id = ItemId::random(&mut os_rng());
    let attachment = seal(
        &tenant,
        ItemKind::Attachment,
        attachment_id,
        first,
        &mailbox,
        &to_a,
        b"CANARY-export an attachment",
    );
    let uploaded = http
        .post(format!("{base}/api/v1/t/{tenant}/mailbox/attachments"))
        .bearer_auth(&token)
        .body(attachment)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    // To B only: A cannot open it.
    let other_mailbox = StaticSecret::generate(&mut os_rng());
    let (second, _) = report(
        &http,
        &base,
        &tenant,
        &other_mailbox,
        &[
            other_mailbox.public_key(),
            recovery.public_key(),
            b.public_key(),
        ],
        b"CANARY-export report to B",
        [2; 16],
    )
    .await;

    // The operator exports the tenant while the server serves.
    let config = meldkluis_server::Config {
        data_dir: dir.path().join("data"),
        ..meldkluis_server::Config::default()
    };
    let export = dir.path().join("export");
    let today = meldkluis_server::dates::Day::parse("2027-06-30").unwrap();
    let summary =
        meldkluis_server::export::export_tenant(&config, &tenant, &export, today).unwrap();
    assert_eq!(summary.counts.reports, 2);
    assert_eq!(summary.counts.messages, 1);
    assert_eq!(summary.counts.attachments, 1);
    let register = std::fs::read_to_string(export.join("register.csv")).unwrap();
    assert!(
        register.starts_with("number,received_day,category,"),
        "{register}"
    );
    assert_eq!(register.lines().count(), 3, "a header and two lines");
    // Ciphertext only: nothing of the plaintext is in the export.
    for file in walk(&export) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(14).any(|w| w == b"CANARY-export "),
            "{} holds plaintext",
            file.display()
        );
    }

    let enrolled = dir.path().join("enrolled");
    std::fs::write(
        &enrolled,
        format!(
            "advisor {} A\nadvisor {} B\nrecovery {}\n",
            a.public_key().to_hex(),
            b.public_key().to_hex(),
            recovery.public_key().to_hex()
        ),
    )
    .unwrap();
    let out = dir.path().join("plain");
    let output = open(&export, &out, &enrolled, &key_a);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("2 report(s), 3 item(s) opened"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "not opened with this key: report {}",
            second.to_hex()
        )),
        "{stdout}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    let report_dir = out.join("reports").join(first.to_hex());
    assert_eq!(
        std::fs::read(report_dir.join("report")).unwrap(),
        b"CANARY-export report to A"
    );
    assert_eq!(
        std::fs::read(report_dir.join("message-0001-reporter")).unwrap(),
        b"CANARY-export a message"
    );
    assert_eq!(
        std::fs::read(report_dir.join(format!("attachment-{}", attachment_id.to_hex()))).unwrap(),
        b"CANARY-export an attachment"
    );
    assert!(!out
        .join("reports")
        .join(second.to_hex())
        .join("report")
        .exists());
    assert!(out.join("register.csv").exists());

    // A flipped byte in the export: refused, nothing written.
    let thread = export
        .join("reports")
        .join(first.to_hex())
        .join("thread.json");
    let mut bytes = std::fs::read(&thread).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&thread, bytes).unwrap();
    let refused_out = dir.path().join("plain-2");
    let output = open(&export, &refused_out, &enrolled, &key_a);
    assert!(!output.status.success());
    let why = String::from_utf8_lossy(&output.stderr);
    assert!(why.contains("is damaged"), "{why}");
    assert!(!refused_out.exists(), "nothing written");
    // No manifest: refused.
    std::fs::remove_file(export.join("manifest.json")).unwrap();
    let output = open(&export, &refused_out, &enrolled, &key_a);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no manifest.json"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
