//! `meldkluis-advisor recover` against a breached server that lists, to
//! the lost key's successor, a report the reporter deliberately sealed
//! without the lost key: the recovery key grants nothing for it.
// Test code: a panic with its location is the failure report.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;

use meldkluis_crypto_core::{
    os_rng, seal_item, ItemId, ItemKind, SealParams, StaticKey, StaticSecret, TenantId,
};
use meldkluis_keys::{recovery, InsecureDemoKey};
use serde_json::json;

use crate::double::{self, served, summary, thread, Served};

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_grants_nothing_for_a_report_that_left_out_the_lost_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = os_rng();
    let tenant = TenantId::new("acme").unwrap();
    let lost = StaticSecret::generate(&mut rng);
    let colleague = StaticSecret::generate(&mut rng);
    let recovery_key = StaticSecret::generate(&mut rng);
    let new_file = dir.path().join("DEMO-new.hex");
    let new = InsecureDemoKey::generate(&new_file).unwrap().public_key();

    let report = |to: &[meldkluis_crypto_core::PublicKey]| {
        let mailbox = StaticSecret::generate(&mut os_rng());
        let id = ItemId::random(&mut os_rng());
        let mut recipients = to.to_vec();
        recipients.extend([recovery_key.public_key(), mailbox.public_key()]);
        let sealed = seal_item(
            &SealParams {
                kind: ItemKind::Report,
                tenant: &tenant,
                item_id: id,
                report_id: id,
                sender: &mailbox,
                recipients: &recipients,
            },
            b"{}",
            &mut os_rng(),
        )
        .unwrap();
        (id.to_hex(), sealed)
    };
    // Sealed to the lost key and the colleague; and one the reporter sealed
    // to the colleague only, leaving the lost key's holder out.
    let (kept, kept_item) = report(&[lost.public_key(), colleague.public_key()]);
    let (excluded, excluded_item) = report(&[colleague.public_key()]);

    let server = Arc::new(Served::default());
    *server.config.lock().unwrap() = json!({
        "advisors": [served(&new, "A"), served(&colleague.public_key(), "B")],
        "recovery_key": { "public_key": recovery_key.public_key().to_hex(), "fingerprint": recovery_key.public_key().fingerprint() },
        "questionnaire": null,
    });
    // The breached server lists both reports to the new key.
    *server.list.lock().unwrap() = vec![summary(&kept), summary(&excluded)];
    server.threads.lock().unwrap().extend([
        (kept.clone(), thread(&kept, &kept_item)),
        (excluded.clone(), thread(&excluded, &excluded_item)),
    ]);
    let base = double::start(Arc::clone(&server)).await;

    let mut child = Command::new(ADVISOR)
        .args(["recover", "--yes", "--server", &base, "--tenant", "acme"])
        .args(["--lost", &lost.public_key().to_hex()])
        .arg("--insecure-demo-file")
        .arg(&new_file)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(recovery::expose_paper_form(&recovery_key).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("report {kept}: 1 items")),
        "{stdout}"
    );
    assert!(!stdout.contains(&excluded), "{stdout}");
    assert!(stdout.contains("(nothing granted): 1"), "{stdout}");

    let posted = server.posted();
    assert!(
        posted
            .iter()
            .any(|(path, _)| *path == format!("{kept}/grants")),
        "{posted:?}"
    );
    assert!(
        posted.iter().all(|(path, _)| !path.starts_with(&excluded)),
        "something was posted for the excluded report: {posted:?}"
    );
}

/// The server swaps its own report (from a mailbox key it holds, sealed to
/// the lost key too) in under the id of a report the advisor read: with the
/// advisor's pins file, recover grants nothing and posts no introduction
/// for it, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_leaves_alone_a_report_swapped_in_under_a_pinned_id() {
    use meldkluis_crypto_core::ItemHeader;
    use meldkluis_keys::pins::{Pins, ReportPin};

    let dir = tempfile::tempdir().unwrap();
    let mut rng = os_rng();
    let tenant = TenantId::new("acme").unwrap();
    let lost = StaticSecret::generate(&mut rng);
    let recovery_key = StaticSecret::generate(&mut rng);
    let new_file = dir.path().join("DEMO-new.hex");
    let new = InsecureDemoKey::generate(&new_file).unwrap().public_key();
    let id = ItemId::random(&mut rng);
    let seal = |mailbox: &StaticSecret| {
        seal_item(
            &SealParams {
                kind: ItemKind::Report,
                tenant: &tenant,
                item_id: id,
                report_id: id,
                sender: mailbox,
                recipients: &[
                    lost.public_key(),
                    recovery_key.public_key(),
                    mailbox.public_key(),
                ],
            },
            b"{}",
            &mut os_rng(),
        )
        .unwrap()
    };
    let real = seal(&StaticSecret::generate(&mut rng));
    let fake = seal(&StaticSecret::generate(&mut rng));

    // The advisor's console pinned the real report.
    let pins_file = dir.path().join("enrolled-keys.txt.pins");
    let (header, _) = ItemHeader::parse(&real).unwrap();
    Pins::load(&pins_file)
        .unwrap()
        .check_or_pin(&id.to_hex(), ReportPin::of(&header))
        .unwrap();

    let server = Arc::new(Served::default());
    *server.config.lock().unwrap() = json!({
        "advisors": [served(&new, "A")],
        "recovery_key": { "public_key": recovery_key.public_key().to_hex(), "fingerprint": recovery_key.public_key().fingerprint() },
        "questionnaire": null,
    });
    *server.list.lock().unwrap() = vec![summary(&id.to_hex())];
    server
        .swapped
        .lock()
        .unwrap()
        .insert(id.to_hex(), thread(&id.to_hex(), &fake));
    server
        .threads
        .lock()
        .unwrap()
        .insert(id.to_hex(), thread(&id.to_hex(), &real));
    server.swap.store(true, std::sync::atomic::Ordering::SeqCst);
    let base = double::start(Arc::clone(&server)).await;

    let mut child = Command::new(ADVISOR)
        .args(["recover", "--yes", "--server", &base, "--tenant", "acme"])
        .args(["--lost", &lost.public_key().to_hex()])
        .arg("--pins")
        .arg(&pins_file)
        .arg("--insecure-demo-file")
        .arg(&new_file)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(recovery::expose_paper_form(&recovery_key).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("swapped (left alone): 1"), "{stdout}");
    assert!(stderr.contains("REPORT SWAPPED?"), "{stderr}");
    assert!(server.posted().is_empty(), "{:?}", server.posted());
}
