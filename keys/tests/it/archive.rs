//! A tenant export (`meldkluis-server tenant export`, made with the real
//! server's library on the real server's data) opened with the real
//! `meldkluis-advisor archive open`: the advisor reads the plaintext of
//! what their key opens, the rest is listed, and a damaged export is
//! refused before anything is written.

use std::path::Path;
use std::process::Command;

use meldkluis_crypto_core::{
    mailbox_reference, os_rng, ItemId, ItemKind, PublicKey, StaticKey as _, StaticSecret, TenantId,
};
use meldkluis_keys::client::{OralChannel, ServerClient};
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

/// Posts `item` as a message from the mailbox logged in with `token`.
async fn post_message(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    token: &str,
    item: &[u8],
) {
    let posted = http
        .post(format!("{base}/api/v1/t/{tenant}/mailbox/messages"))
        .bearer_auth(token)
        .json(&json!({ "item": b64(item) }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
}

/// The operator's export of the tenant whose server keeps its data in
/// `dir/data`, into `dir/export`, as on 2027-06-30.
fn export_tenant(
    dir: &Path,
    tenant: &TenantId,
) -> (std::path::PathBuf, meldkluis_server::export::ExportSummary) {
    let config = meldkluis_server::Config {
        data_dir: dir.join("data"),
        ..meldkluis_server::Config::default()
    };
    let export = dir.join("export");
    let today = meldkluis_server::dates::Day::parse("2027-06-30").unwrap();
    let summary = meldkluis_server::export::export_tenant(&config, tenant, &export, today).unwrap();
    (export, summary)
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

/// [`open`] that must succeed; its standard output.
fn opened(export: &Path, out: &Path, enrolled: &Path, key: &Path) -> String {
    let output = open(export, out, enrolled, key);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes the enrolled-keys file `dir/enrolled`: `advisors` with their
/// names, and the recovery key.
fn enrolled_file(
    dir: &Path,
    advisors: &[(PublicKey, &str)],
    recovery: &PublicKey,
) -> std::path::PathBuf {
    let mut text = String::new();
    for (key, name) in advisors {
        text.push_str(&format!("advisor {} {name}\n", key.to_hex()));
    }
    text.push_str(&format!("recovery {}\n", recovery.to_hex()));
    let enrolled = dir.join("enrolled");
    std::fs::write(&enrolled, text).unwrap();
    enrolled
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
    post_message(&http, &base, &tenant, &token, &message).await;
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
    let (export, summary) = export_tenant(dir.path(), &tenant);
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

    let enrolled = enrolled_file(
        dir.path(),
        &[(a.public_key(), "A"), (b.public_key(), "B")],
        &recovery.public_key(),
    );
    let out = dir.path().join("plain");
    let stdout = opened(&export, &out, &enrolled, &key_a);
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

/// Replaces `thread.json` of `report` in `export` with `thread`, and fixes
/// its size and SHA-256 in the manifest: what an operator (or a server)
/// that makes the export can do.
fn rewrite_thread(export: &Path, report: &str, thread: &serde_json::Value) {
    rewrite_file(export, &format!("reports/{report}/thread.json"), thread);
}

/// Replaces the JSON file `relative` of `export` with `value`, fixing the
/// manifest.
fn rewrite_file(export: &Path, relative: &str, value: &serde_json::Value) {
    use sha2::Digest as _;
    let bytes = serde_json::to_vec_pretty(value).unwrap();
    std::fs::write(export.join(relative), &bytes).unwrap();
    let manifest_path = export.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let entry = manifest["files"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["path"] == relative)
        .unwrap();
    entry["size"] = json!(bytes.len());
    entry["sha256"] = json!(hex::encode(sha2::Sha256::digest(&bytes)));
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The `from` of each item in an opened report's `thread.json`, by item id.
fn from_of(about: &serde_json::Value, item_id: &str) -> Option<String> {
    about["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item_id"] == item_id)
        .map(|i| i["from"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joined_oral_report_opens_with_the_reporters_messages_from_the_join_records_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let RealServer {
        base,
        admin,
        tenant,
        recovery,
    } = real_server::start(dir.path(), "spoken", "Spoken").await;
    let key_a = dir.path().join("DEMO-a.hex");
    let a = InsecureDemoKey::generate(&key_a).unwrap();
    admin.add_advisor(&tenant, &a.public_key(), "A").unwrap();
    let http = reqwest::Client::new();
    let client = ServerClient::new(&base, tenant.clone()).unwrap();
    client.log_in(&a).await.unwrap();

    // A registers what the reporter told on the phone: sealed by A's key.
    let oral_id = ItemId::random(&mut os_rng());
    let oral_content = json!({
        "format": "meldkluis-oral-report/1",
        "language": "nl",
        "category": null,
        "channel": "oral",
        "spoken_day": "2026-11-27",
        "text": "CANARY-oral what the reporter told",
        "reporter": { "anonymous": true },
        "advisors": [{ "name": "A", "public_key": a.public_key().to_hex(), "fingerprint": "" }],
        "recovery_key": recovery.public_key().to_hex(),
    })
    .to_string();
    let to_advisors = [a.public_key(), recovery.public_key()];
    let oral = seal(
        &tenant,
        ItemKind::Report,
        oral_id,
        oral_id,
        &a,
        &to_advisors,
        oral_content.as_bytes(),
    );
    let registered = client
        .register_oral_report(&oral, OralChannel::Oral)
        .await
        .unwrap();
    assert_eq!(registered.report_id, oral_id.to_hex());

    // The reporter makes a follow-up mailbox in their own browser.
    let mailbox = StaticSecret::generate(&mut os_rng());
    let mailbox_id = [7; 16];
    let to_all = [mailbox.public_key(), recovery.public_key(), a.public_key()];
    let follow_up_content = |text: &str| {
        json!({
            "format": "meldkluis-report/1", "language": "nl", "category": null,
            "answers": [{ "id": "what", "text": text }], "reporter": { "anonymous": true },
            "advisors": [{ "name": "A", "public_key": a.public_key().to_hex(), "fingerprint": "" }],
            "recovery_key": recovery.public_key().to_hex(), "attachments": [], "follow_up": true,
        })
    };
    let opening_content = follow_up_content("CANARY-oral the follow-up").to_string();
    let make_follow_up = |mailbox: &StaticSecret, mailbox_id: [u8; 16], content: &str| {
        let id = ItemId::random(&mut os_rng());
        let to_all = [mailbox.public_key(), recovery.public_key(), a.public_key()];
        let item = seal(
            &tenant,
            ItemKind::Report,
            id,
            id,
            mailbox,
            &to_all,
            content.as_bytes(),
        );
        let request = http
            .post(format!("{base}/api/v1/t/{tenant}/follow-ups"))
            .json(&json!({
                "item": b64(&item),
                "mailbox_id": hex::encode(mailbox_id),
                "mailbox_public_key": mailbox.public_key().to_hex(),
                "auth_secret": hex::encode([9u8; 32]),
            }));
        async move { (id, request.send().await.unwrap().status()) }
    };
    let (follow_up_id, made) = make_follow_up(&mailbox, mailbox_id, &opening_content).await;
    assert_eq!(made, 201);
    // Another reporter makes one no advisor joins (yet).
    let waiting = StaticSecret::generate(&mut os_rng());
    let waiting_reference = mailbox_reference(&waiting.public_key());
    let (_, made) = make_follow_up(
        &waiting,
        [8; 16],
        &follow_up_content("CANARY-waiting nobody joined this").to_string(),
    )
    .await;
    assert_eq!(made, 201);
    // The reference the reporter reads aloud: computed from their own key.
    let reference = mailbox_reference(&mailbox.public_key());

    // A joins it, checked against the spoken reference, and posts the join
    // record, sealed by A's key (as the console does).
    let served = client.follow_up(&reference).await.unwrap();
    let joined_key = served.checked_mailbox_key(&reference).unwrap();
    assert_eq!(joined_key, mailbox.public_key());
    client
        .join_follow_up(&oral_id.to_hex(), &reference, &joined_key)
        .await
        .unwrap();
    let join_id = ItemId::random(&mut os_rng());
    let join_record = |reference: &str, key: &PublicKey| {
        json!({
            "format": "meldkluis-mailbox-join/1",
            "reference": reference,
            "mailbox_public_key": key.to_hex(),
            "text": "Uw gesprek van 2026-11-27 is gekoppeld aan deze brievenbus.",
        })
        .to_string()
    };
    let join = seal(
        &tenant,
        ItemKind::Message,
        join_id,
        oral_id,
        &a,
        &to_all,
        join_record(&reference, &joined_key).as_bytes(),
    );
    client.post_message(&oral_id.to_hex(), &join).await.unwrap();

    // The reporter writes from the joined mailbox.
    let token = mailbox_login(&http, &base, &tenant, mailbox_id).await;
    let reporter_id = ItemId::random(&mut os_rng());
    let from_reporter = seal(
        &tenant,
        ItemKind::Message,
        reporter_id,
        oral_id,
        &mailbox,
        &to_all,
        b"CANARY-oral the reporter writes after the join",
    );
    post_message(&http, &base, &tenant, &token, &from_reporter).await;

    // The operator exports the tenant.
    let (export, summary) = export_tenant(dir.path(), &tenant);
    assert_eq!(summary.counts.reports, 1);
    assert_eq!(summary.counts.messages, 2);
    let enrolled = enrolled_file(dir.path(), &[(a.public_key(), "A")], &recovery.public_key());

    // As exported: the oral report opens as A's, the join record as A's,
    // and the message sealed by the joined mailbox's key as the reporter's.
    let out = dir.path().join("plain");
    let stdout = opened(&export, &out, &enrolled, &key_a);
    // The oral report, two messages, the opening item and the waiting
    // follow-up.
    assert!(stdout.contains("1 report(s), 5 item(s) opened"), "{stdout}");
    assert!(!stdout.contains("not opened"), "{stdout}");
    let report_dir = out.join("reports").join(oral_id.to_hex());
    assert_eq!(
        std::fs::read(report_dir.join("report")).unwrap(),
        oral_content.as_bytes()
    );
    let about = read_json(&report_dir.join("thread.json"));
    // The opening item: the reporter's follow-up report, opened as sealed
    // by the joined mailbox's key.
    assert_eq!(
        about["opening_item"]["file"], "opening-report.json",
        "{about}"
    );
    assert_eq!(about["opening_item"]["item_id"], follow_up_id.to_hex());
    assert_eq!(about["opening_item"]["from"], "reporter");
    assert_eq!(
        about["opening_item"]["sender"],
        mailbox.public_key().to_hex()
    );
    assert_eq!(
        std::fs::read(report_dir.join("opening-report.json")).unwrap(),
        opening_content.as_bytes()
    );
    // The waiting follow-up: written, marked as joined to nothing, its
    // sender unconfirmed.
    let waiting_file = read_json(
        &out.join("follow-ups")
            .join(format!("{waiting_reference}.json")),
    );
    assert_eq!(waiting_file["reference"], waiting_reference.as_str());
    assert_eq!(
        waiting_file["mailbox_public_key"],
        waiting.public_key().to_hex()
    );
    assert_eq!(waiting_file["joined"], false);
    assert_eq!(waiting_file["sender_confirmed"], false);
    assert_eq!(
        waiting_file["content"]["answers"][0]["text"],
        "CANARY-waiting nobody joined this"
    );
    assert_eq!(
        walk(&out.join("follow-ups")).len(),
        1,
        "the joined one is no longer waiting"
    );
    assert_eq!(about["report_from"], "advisor", "{about}");
    assert_eq!(about["report_sender"], a.public_key().to_hex(), "{about}");
    assert_eq!(about["mailbox"], mailbox.public_key().to_hex(), "{about}");
    assert_eq!(from_of(&about, &join_id.to_hex()).unwrap(), "advisor");
    assert_eq!(from_of(&about, &reporter_id.to_hex()).unwrap(), "reporter");
    assert_eq!(
        std::fs::read(report_dir.join("message-0001-advisor")).unwrap(),
        join_record(&reference, &joined_key).as_bytes()
    );
    assert_eq!(
        std::fs::read(report_dir.join("message-0002-reporter")).unwrap(),
        b"CANARY-oral the reporter writes after the join"
    );

    // The attack: whoever makes the export adds a join record sealed by a
    // key of its own naming a mailbox of its own, a "reporter" message
    // sealed by that mailbox, one sealed by its key directly, and labels
    // A's join record as the reporter's.
    let intruder = StaticSecret::generate(&mut os_rng());
    let fake_mailbox = StaticSecret::generate(&mut os_rng());
    let fake_reference = mailbox_reference(&fake_mailbox.public_key());
    let to_intruded = [
        a.public_key(),
        recovery.public_key(),
        mailbox.public_key(),
        fake_mailbox.public_key(),
    ];
    let mut thread = read_json(
        &export
            .join("reports")
            .join(oral_id.to_hex())
            .join("thread.json"),
    );
    let mut forged = Vec::new();
    let mut add = |sender: &StaticSecret, from: &str, content: &[u8]| {
        let id = ItemId::random(&mut os_rng());
        let item = seal(
            &tenant,
            ItemKind::Message,
            id,
            oral_id,
            sender,
            &to_intruded,
            content,
        );
        forged.push(id.to_hex());
        json!({ "id": id.to_hex(), "from": from, "created_day": "2027-06-29", "item": b64(&item) })
    };
    let forged_join = add(
        &intruder,
        "advisor",
        join_record(&fake_reference, &fake_mailbox.public_key()).as_bytes(),
    );
    let from_fake_mailbox = add(&fake_mailbox, "reporter", b"CANARY-forged from its mailbox");
    let from_intruder = add(&intruder, "reporter", b"CANARY-forged from its key");
    let messages = thread["messages"].as_array_mut().unwrap();
    messages[0]["from"] = json!("reporter");
    messages.insert(0, forged_join);
    messages.push(from_fake_mailbox);
    messages.push(from_intruder);
    // And swaps the opening item for a follow-up report of its own, sealed
    // to A by the intruder's key.
    let swapped_id = ItemId::random(&mut os_rng());
    let swapped = seal(
        &tenant,
        ItemKind::Report,
        swapped_id,
        swapped_id,
        &intruder,
        &to_intruded,
        follow_up_content("CANARY-forged opening item")
            .to_string()
            .as_bytes(),
    );
    thread["opening_item"] = json!(b64(&swapped));
    rewrite_thread(&export, &oral_id.to_hex(), &thread);
    // And lists a follow-up whose item is sealed by another key than its
    // mailbox key (to A): it does not open as that mailbox's.
    let posing = StaticSecret::generate(&mut os_rng());
    let posing_reference = mailbox_reference(&posing.public_key());
    let mut follow_ups = read_json(&export.join("follow_ups.json"));
    let mut posed = follow_ups[0].clone();
    posed["reference"] = json!(posing_reference);
    posed["mailbox_public_key"] = json!(posing.public_key().to_hex());
    posed["item"] = json!(b64(&seal(
        &tenant,
        ItemKind::Report,
        swapped_id,
        swapped_id,
        &intruder,
        &to_intruded,
        follow_up_content("CANARY-forged follow-up")
            .to_string()
            .as_bytes(),
    )));
    follow_ups.as_array_mut().unwrap().push(posed);
    rewrite_file(&export, "follow_ups.json", &follow_ups);

    let out = dir.path().join("plain-attacked");
    let stdout = opened(&export, &out, &enrolled, &key_a);
    // The oral report, A's join record, the reporter's message and the
    // waiting follow-up; not the swapped opening item.
    assert!(stdout.contains("1 report(s), 4 item(s) opened"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "not opened with this key: opening item {} of report {}",
            swapped_id.to_hex(),
            oral_id.to_hex()
        )),
        "{stdout}"
    );
    for id in &forged {
        assert!(
            stdout.contains(&format!("not opened with this key: message {id}")),
            "{stdout}"
        );
    }
    let report_dir = out.join("reports").join(oral_id.to_hex());
    let about = read_json(&report_dir.join("thread.json"));
    // Still the mailbox A's record names, and A's record is A's.
    assert_eq!(about["mailbox"], mailbox.public_key().to_hex(), "{about}");
    assert_eq!(about["opening_item"]["file"], json!(null), "{about}");
    assert_eq!(about["opening_item"]["opened"], false, "{about}");
    assert!(!report_dir.join("opening-report.json").exists());
    assert!(
        stdout.contains(&format!(
            "not opened with this key: follow-up {posing_reference}"
        )),
        "{stdout}"
    );
    assert!(!out
        .join("follow-ups")
        .join(format!("{posing_reference}.json"))
        .exists());
    assert!(out
        .join("follow-ups")
        .join(format!("{waiting_reference}.json"))
        .exists());
    assert_eq!(about["report_from"], "advisor", "{about}");
    assert_eq!(from_of(&about, &join_id.to_hex()).unwrap(), "advisor");
    assert_eq!(from_of(&about, &reporter_id.to_hex()).unwrap(), "reporter");
    for id in &forged {
        assert_eq!(from_of(&about, id), None, "{about}");
    }
    let reporters: Vec<Vec<u8>> = walk(&report_dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with("-reporter")
        })
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert_eq!(
        reporters,
        vec![b"CANARY-oral the reporter writes after the join".to_vec()],
        "only the joined mailbox's message is the reporter's"
    );
    for file in walk(&out) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(13).any(|w| w == b"CANARY-forged"),
            "{} holds a forged message",
            file.display()
        );
    }
}
