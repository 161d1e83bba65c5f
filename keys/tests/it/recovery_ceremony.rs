//! The offline recovery ceremony through the binaries, against the real
//! server: `recover --export` (online, no recovery key), `seal-grants`
//! (offline: the recovery key's only use; it grants nothing for a report
//! that was not sealed to the lost key, even when the requests file lists
//! one), `recover --import` (online). The new key then reads the report.
// Test code: a panic with its location is the failure report.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use meldkluis_crypto_core::{
    os_rng, seal_item, ItemId, ItemKind, PublicKey, SealParams, StaticKey, StaticSecret, TenantId,
};
use meldkluis_keys::ceremony::{GrantRequests, RequestedReport, SealedGrants};
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::reading::{self, Trust};
use meldkluis_keys::{recovery, InsecureDemoKey};
use serde_json::json;

use crate::real_server::{self, RealServer};

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");
const RECOVERY: &str = env!("CARGO_BIN_EXE_meldkluis-recovery-key");

fn run(program: &str, args: &[&str], key_file: Option<&Path>, stdin: &[u8]) -> Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = key_file {
        command.arg("--insecure-demo-file").arg(path);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn seal_report(tenant: &TenantId, to: &[PublicKey]) -> (ItemId, StaticSecret, Vec<u8>) {
    let mut rng = os_rng();
    let mailbox = StaticSecret::generate(&mut rng);
    let id = ItemId::random(&mut rng);
    let mut recipients = to.to_vec();
    recipients.push(mailbox.public_key());
    let sealed = seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant,
            item_id: id,
            report_id: id,
            sender: &mailbox,
            recipients: &recipients,
        },
        b"CANARY-ceremony report",
        &mut rng,
    )
    .unwrap();
    (id, mailbox, sealed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recovery_key_grants_offline_and_only_reports_sealed_to_the_lost_key() {
    let dir = tempfile::tempdir().unwrap();
    let RealServer {
        base,
        admin,
        tenant,
        recovery: recovery_key,
    } = real_server::start(dir.path(), "ceremony", "Ceremony").await;
    let mut rng = os_rng();
    let lost = StaticSecret::generate(&mut rng);
    let colleague = StaticSecret::generate(&mut rng);
    admin.add_advisor(&tenant, &lost.public_key(), "A").unwrap();
    admin
        .add_advisor(&tenant, &colleague.public_key(), "B")
        .unwrap();
    let key_new = dir.path().join("DEMO-new.hex");
    let new = InsecureDemoKey::generate(&key_new).unwrap();

    // One report sealed to the lost key, one the reporter sealed to the
    // colleague only.
    let r = recovery_key.public_key();
    let (kept, _, kept_item) = seal_report(&tenant, &[lost.public_key(), r]);
    let (excluded, _, excluded_item) = seal_report(&tenant, &[colleague.public_key(), r]);
    for (item, mailbox_id) in [(&kept_item, [1u8; 16]), (&excluded_item, [2u8; 16])] {
        let (header, _) = meldkluis_crypto_core::ItemHeader::parse(item).unwrap();
        let created = reqwest::Client::new()
            .post(format!("{base}/api/v1/t/{tenant}/reports"))
            .json(&json!({
                "item": base64::engine::general_purpose::STANDARD.encode(item),
                "mailbox_id": hex::encode(mailbox_id),
                "mailbox_public_key": header.sender.to_hex(),
                "auth_secret": hex::encode([9u8; 32]),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
    }
    admin
        .replace_advisor(&tenant, &lost.public_key(), &new.public_key(), None)
        .unwrap();
    let server_args = ["--server", base.as_str(), "--tenant", tenant.as_str()];

    // Step 1, online: no recovery key is read (nothing on standard input).
    let requests_file = dir.path().join("requests.json");
    let lost_hex = lost.public_key().to_hex();
    let exported = run(
        ADVISOR,
        &[
            &["recover", "--lost", &lost_hex, "--export"][..],
            &[requests_file.to_str().unwrap()][..],
            &server_args[..],
        ]
        .concat(),
        Some(&key_new),
        b"",
    );
    assert!(exported.status.success(), "{}", text(&exported));
    assert!(
        text(&exported).contains("grant requests for 1 reports"),
        "{}",
        text(&exported)
    );

    // A breached server slips the excluded report into the requests.
    let mut requests: GrantRequests =
        serde_json::from_slice(&std::fs::read(&requests_file).unwrap()).unwrap();
    requests.reports.push(RequestedReport {
        report_id: excluded.to_hex(),
        report: base64::engine::general_purpose::STANDARD.encode(&excluded_item),
        messages: Vec::new(),
        attachments: Vec::new(),
    });
    std::fs::write(&requests_file, serde_json::to_vec(&requests).unwrap()).unwrap();

    // Step 2, offline. Without a terminal and without --yes: nothing.
    let grants_file = dir.path().join("grants.json");
    let paper = recovery::expose_paper_form(&recovery_key);
    let seal_args = [
        "seal-grants",
        requests_file.to_str().unwrap(),
        grants_file.to_str().unwrap(),
    ];
    let unconfirmed = run(RECOVERY, &seal_args, None, paper.as_bytes());
    assert!(!unconfirmed.status.success());
    assert!(
        text(&unconfirmed).contains("--yes"),
        "{}",
        text(&unconfirmed)
    );
    assert!(!grants_file.exists());
    let sealed = run(
        RECOVERY,
        &[&seal_args[..], &["--yes"][..]].concat(),
        None,
        paper.as_bytes(),
    );
    let out = text(&sealed);
    assert!(sealed.status.success(), "{out}");
    assert!(
        out.contains(&format!("report {}: 1 items", kept.to_hex())),
        "{out}"
    );
    assert!(!out.contains(&excluded.to_hex()), "{out}");
    assert!(out.contains("(nothing granted): 1"), "{out}");
    let grants: SealedGrants =
        serde_json::from_slice(&std::fs::read(&grants_file).unwrap()).unwrap();
    assert_eq!(grants.reports.len(), 1);
    assert_eq!(grants.reports[0].report_id, kept.to_hex());
    assert_eq!(grants.reports[0].grants.len(), 1);

    // Step 3, online.
    let imported = run(
        ADVISOR,
        &[
            &["recover", "--import", grants_file.to_str().unwrap()][..],
            &server_args[..],
        ]
        .concat(),
        Some(&key_new),
        b"",
    );
    let out = text(&imported);
    assert!(imported.status.success(), "{out}");
    assert!(
        out.contains("granted now: 1") && out.contains("introduced to reporters: 1"),
        "{out}"
    );

    // The new key reads the report through the recovery key's grant.
    let client = ServerClient::new(&base, tenant.clone()).unwrap();
    client.log_in(&new).await.unwrap();
    let thread = client.thread(&kept.to_hex()).await.unwrap();
    let trust = Trust {
        tenant: tenant.clone(),
        grantors: vec![recovery_key.public_key()],
        advisor_senders: Vec::new(),
    };
    let opened =
        reading::open_report(&new, &trust, &thread, &thread.report_bytes().unwrap()).unwrap();
    assert_eq!(&*opened.content, b"CANARY-ceremony report");
}
