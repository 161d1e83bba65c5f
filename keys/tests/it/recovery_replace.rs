//! `meldkluis-advisor replace-recovery-key`: against a breached server
//! (test double) that serves a recovery key of its own, nothing is granted
//! and the advisor is warned loudly; a key only the server names is refused
//! before anything is fetched; a report the advisor cannot open gets
//! nothing. Against the real server: after the operator's `recovery-key
//! replace`, the new recovery key opens every old item through the grants,
//! the reporter's next message, sealed to it, is accepted, and a later
//! lost-token `recover` with the new recovery key reaches the old report
//! through the advisor's grant.
// Test code: a panic with its location is the failure report.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use meldkluis_crypto_core::{
    open_item, open_item_with_grant, os_rng, Expect, ItemId, ItemKind, PublicKey, StaticKey,
    StaticSecret, TenantId,
};
use meldkluis_keys::reseal::RECOVERY_KEY_INTRODUCTION_FORMAT;
use meldkluis_keys::InsecureDemoKey;
use serde_json::{json, Value};

use crate::real_server::{self, mailbox_login, seal, submit_report, RealServer};

use crate::double::{self, b64, served, summary, thread, unb64, Served};

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");

fn replace(
    base: &str,
    tenant: &str,
    new_recovery: &PublicKey,
    enrolled: &Path,
    key: &Path,
) -> Output {
    Command::new(ADVISOR)
        .args(["replace-recovery-key", "--server", base, "--tenant", tenant])
        .args(["--new-recovery", &new_recovery.to_hex()])
        .arg("--enrolled")
        .arg(enrolled)
        .arg("--insecure-demo-file")
        .arg(key)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .output()
        .unwrap()
}

fn enrolled_file(
    dir: &Path,
    advisors: &[PublicKey],
    recovery: &PublicKey,
    former: Option<&PublicKey>,
) -> std::path::PathBuf {
    let mut text = String::from("# compared aloud\n");
    for key in advisors {
        text.push_str(&format!("advisor {}\n", key.to_hex()));
    }
    text.push_str(&format!("recovery {}\n", recovery.to_hex()));
    if let Some(former) = former {
        text.push_str(&format!("former-recovery {}\n", former.to_hex()));
    }
    let path = dir.join("enrolled-keys.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_key_the_advisor_did_not_enrol_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = os_rng();
    let tenant = TenantId::new("acme").unwrap();
    let key_file = dir.path().join("DEMO-advisor.hex");
    let advisor = InsecureDemoKey::generate(&key_file).unwrap().public_key();
    let colleague = StaticSecret::generate(&mut rng);
    let old_recovery = StaticSecret::generate(&mut rng);
    let enrolled_recovery = StaticSecret::generate(&mut rng).public_key();
    let servers_own = StaticSecret::generate(&mut rng).public_key();

    // A report the advisor reads, and one the reporter sealed to the
    // colleague only.
    let report = |to: &[PublicKey]| {
        let mailbox = StaticSecret::generate(&mut os_rng());
        let id = ItemId::random(&mut os_rng());
        let mut recipients = to.to_vec();
        recipients.extend([old_recovery.public_key(), mailbox.public_key()]);
        let sealed = seal(
            &tenant,
            ItemKind::Report,
            id,
            id,
            &mailbox,
            &recipients,
            b"{}",
        );
        (id.to_hex(), sealed)
    };
    let (readable, readable_item) = report(&[advisor, colleague.public_key()]);
    let (excluded, excluded_item) = report(&[colleague.public_key()]);
    // In the readable thread, a genuine item of another report listed
    // under a fresh id (moved there by the server): it gets no grant.
    let moved_id = ItemId::random(&mut rng);
    let other_report = ItemId::random(&mut rng);
    let moved = seal(
        &tenant,
        ItemKind::Message,
        ItemId::random(&mut rng),
        other_report,
        &colleague,
        &[advisor, old_recovery.public_key()],
        b"{}",
    );
    let mut readable_thread = thread(&readable, &readable_item);
    readable_thread["messages"] = json!([{
        "id": moved_id.to_hex(),
        "from": "advisor",
        "created_day": "2026-11-30",
        "item": double::b64(&moved),
    }]);
    let server = Arc::new(Served::default());
    let config = |recovery: &PublicKey| {
        json!({
            "advisors": [served(&advisor, "A"), served(&colleague.public_key(), "B")],
            "recovery_key": { "public_key": recovery.to_hex(), "fingerprint": recovery.fingerprint() },
            "questionnaire": null,
        })
    };
    // The breached server serves its own recovery key to reporters.
    *server.config.lock().unwrap() = config(&servers_own);
    *server.list.lock().unwrap() = vec![summary(&readable), summary(&excluded)];
    server.threads.lock().unwrap().extend([
        (readable.clone(), readable_thread),
        (excluded.clone(), thread(&excluded, &excluded_item)),
    ]);
    let base = double::start(Arc::clone(&server)).await;
    let enrolled = enrolled_file(
        dir.path(),
        &[advisor, colleague.public_key()],
        &enrolled_recovery,
        Some(&old_recovery.public_key()),
    );

    // The enrolled key, but the server serves another: a loud warning.
    let output = replace(&base, "acme", &enrolled_recovery, &enrolled, &key_file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("RECOVERY KEY SWAPPED?"), "{stderr}");
    assert!(stderr.contains(&servers_own.to_hex()), "{stderr}");
    assert!(server.posted().is_empty(), "{:?}", server.posted());

    // The key the server names, which the advisor never enrolled: refused.
    let output = replace(&base, "acme", &servers_own, &enrolled, &key_file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("not the recovery key in your enrolled-keys file"),
        "{stderr}"
    );
    assert!(server.posted().is_empty(), "{:?}", server.posted());

    // The control: the server serves the enrolled key. The readable report
    // gets its grant and introduction (the moved item no grant); the
    // excluded one nothing.
    *server.config.lock().unwrap() = config(&enrolled_recovery);
    let output = replace(&base, "acme", &enrolled_recovery, &enrolled, &key_file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("reports you cannot open (left alone"),
        "{stdout}"
    );
    assert!(stdout.contains("granted now: 1"), "{stdout}");
    assert!(stdout.contains("not reachable: 1"), "{stdout}");
    let posted = server.posted();
    assert!(
        posted.iter().all(|(path, _)| path.starts_with(&readable)),
        "something was posted for the excluded report: {posted:?}"
    );
    assert!(
        posted
            .iter()
            .any(|(path, _)| *path == format!("{readable}/grants")),
        "{posted:?}"
    );
    assert!(
        posted
            .iter()
            .any(|(path, _)| *path == format!("{readable}/messages")),
        "{posted:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_recovery_key_on_a_real_server_then_the_new_key_reads_every_old_item() {
    let dir = tempfile::tempdir().unwrap();
    let RealServer {
        base,
        admin,
        tenant,
        recovery: old_recovery,
    } = real_server::start(dir.path(), "recovery-swap", "Swap").await;
    let mut rng = os_rng();
    let key_file = dir.path().join("DEMO-a.hex");
    let a = InsecureDemoKey::generate(&key_file).unwrap();
    admin.add_advisor(&tenant, &a.public_key(), "A").unwrap();
    let api = |path: &str| format!("{base}/api/v1/t/{tenant}{path}");
    let http = reqwest::Client::new();

    // A report, a reporter's message and an attachment, all sealed to the
    // old recovery key.
    let mailbox = StaticSecret::generate(&mut rng);
    let id = ItemId::random(&mut rng);
    let to_old = [
        a.public_key(),
        old_recovery.public_key(),
        mailbox.public_key(),
    ];
    let report = seal(
        &tenant,
        ItemKind::Report,
        id,
        id,
        &mailbox,
        &to_old,
        b"CANARY-report",
    );
    let created = submit_report(&http, &base, &tenant, &mailbox, [7; 16], &report).await;
    assert_eq!(created, 201);
    let reporter = mailbox_login(&http, &base, &tenant, [7; 16]).await;
    let message = seal(
        &tenant,
        ItemKind::Message,
        ItemId::random(&mut rng),
        id,
        &mailbox,
        &to_old,
        b"CANARY-message",
    );
    let status = http
        .post(api("/mailbox/messages"))
        .bearer_auth(&reporter)
        .json(&json!({ "item": b64(&message) }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);
    let attachment = seal(
        &tenant,
        ItemKind::Attachment,
        ItemId::random(&mut rng),
        id,
        &mailbox,
        &to_old,
        &vec![0x33; 100_000],
    );
    let status = http
        .post(api("/mailbox/attachments"))
        .bearer_auth(&reporter)
        .body(attachment.clone())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);

    // The operator replaces the recovery key; the advisors compare it and
    // enrol it; one of them runs the tool.
    let new_recovery = StaticSecret::generate(&mut rng);
    admin
        .replace_recovery_key(&tenant, &new_recovery.public_key())
        .unwrap();
    let enrolled = enrolled_file(
        dir.path(),
        &[a.public_key()],
        &new_recovery.public_key(),
        Some(&old_recovery.public_key()),
    );
    let output = replace(
        &base,
        tenant.as_str(),
        &new_recovery.public_key(),
        &enrolled,
        &key_file,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("granted now: 3"), "{stdout}");
    assert!(stdout.contains("introduced to reporters: 1"), "{stdout}");
    // Run again: nothing new.
    let again = replace(
        &base,
        tenant.as_str(),
        &new_recovery.public_key(),
        &enrolled,
        &key_file,
    );
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(again.contains("granted now: 0"), "{again}");
    assert!(again.contains("introduced to reporters: 0"), "{again}");

    // The new recovery key opens every old item through the grants (as
    // served with the thread to an advisor), trusting the advisor's key as
    // grantor.
    let thread: Value = http
        .get(api(&format!("/advisor/reports/{}", id.to_hex())))
        .bearer_auth(advisor_token(&http, &base, &tenant, &a).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = thread["recovery_grants"].as_array().unwrap().clone();
    let grant_for = |item: &[u8]| {
        let (header, _) = meldkluis_crypto_core::ItemHeader::parse(item).unwrap();
        unb64(
            grants
                .iter()
                .find(|g| g["item_id"] == hex::encode(header.item_id.0))
                .expect("a grant to the new recovery key")["grant"]
                .as_str()
                .unwrap(),
        )
    };
    let senders = [mailbox.public_key()];
    let expect = Expect {
        tenant: &tenant,
        senders: &senders,
    };
    for (item, content) in [
        (&report, &b"CANARY-report"[..]),
        (&message, &b"CANARY-message"[..]),
        (&attachment, &[0x33; 100_000][..]),
    ] {
        let opened = open_item_with_grant(
            item,
            &grant_for(item),
            &new_recovery,
            &expect,
            &[a.public_key()],
        )
        .expect("the new recovery key opens the old item");
        assert_eq!(&opened.content[..], content);
    }

    // The introduction in the thread: sealed by A, readable by the mailbox,
    // naming the new recovery key.
    let introductions: Vec<_> = thread["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let item = unb64(m["item"].as_str().unwrap());
            open_item(
                &item,
                &mailbox,
                &Expect {
                    tenant: &tenant,
                    senders: &[a.public_key()],
                },
            )
            .ok()
        })
        .collect();
    assert_eq!(introductions.len(), 1);
    let content: Value = serde_json::from_slice(&introductions[0].content).unwrap();
    assert_eq!(content["format"], RECOVERY_KEY_INTRODUCTION_FORMAT);
    assert_eq!(content["public_key"], new_recovery.public_key().to_hex());
    assert!(introductions[0]
        .header
        .recipients
        .contains(&new_recovery.public_key()));

    // The reporter's next message, sealed to the new recovery key as the
    // introduced mailbox does, is accepted and the new key opens it
    // directly.
    let next = seal(
        &tenant,
        ItemKind::Message,
        ItemId::random(&mut rng),
        id,
        &mailbox,
        &[
            a.public_key(),
            new_recovery.public_key(),
            mailbox.public_key(),
        ],
        b"CANARY-next",
    );
    let status = http
        .post(api("/mailbox/messages"))
        .bearer_auth(&reporter)
        .json(&json!({ "item": b64(&next) }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 201);
    let opened = open_item(&next, &new_recovery, &expect).unwrap();
    assert_eq!(&opened.content[..], b"CANARY-next");
    // A new report must be sealed to the new recovery key now.
    let late_mailbox = StaticSecret::generate(&mut rng);
    let late = ItemId::random(&mut rng);
    let late_report = seal(
        &tenant,
        ItemKind::Report,
        late,
        late,
        &late_mailbox,
        &[
            a.public_key(),
            old_recovery.public_key(),
            late_mailbox.public_key(),
        ],
        b"late",
    );
    let refused = submit_report(&http, &base, &tenant, &late_mailbox, [8; 16], &late_report).await;
    assert_eq!(refused, 400);

    // Later A's token is lost: C replaces A, and the new recovery key's
    // holder runs `recover`. The report was sealed to the old recovery key:
    // the new one reads it through A's grant (A, the lost key, is trusted
    // as grantor from the holder's records), grants every item to C and
    // introduces C (the mailbox believes the new recovery key since A
    // introduced it).
    let key_c = dir.path().join("DEMO-c.hex");
    let c = InsecureDemoKey::generate(&key_c).unwrap();
    admin
        .replace_advisor(&tenant, &a.public_key(), &c.public_key(), None)
        .unwrap();
    let mut child = Command::new(ADVISOR)
        .args(["recover", "--yes", "--server", &base, "--tenant"])
        .arg(tenant.as_str())
        .args(["--lost", &a.public_key().to_hex()])
        .arg("--insecure-demo-file")
        .arg(&key_c)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        meldkluis_keys::recovery::expose_paper_form(&new_recovery).as_bytes(),
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Report, message, attachment, the recovery key introduction and the
    // next message.
    assert!(
        stdout.contains(&format!("report {}: 5 items", id.to_hex())),
        "{stdout}"
    );
    assert!(stdout.contains("granted now: 5"), "{stdout}");
    assert!(stdout.contains("introduced to reporters: 1"), "{stdout}");
    let client = meldkluis_keys::client::ServerClient::new(&base, tenant.clone()).unwrap();
    client.log_in(&c).await.unwrap();
    let thread = client.thread(&id.to_hex()).await.unwrap();
    let trust = meldkluis_keys::reading::Trust {
        tenant: tenant.clone(),
        grantors: vec![new_recovery.public_key()],
        advisor_senders: Vec::new(),
    };
    let opened =
        meldkluis_keys::reading::open_report(&c, &trust, &thread, &thread.report_bytes().unwrap())
            .expect("C reads the report through the new recovery key's grant");
    assert_eq!(&opened.content[..], b"CANARY-report");
    // The mailbox believes C: the introduction is sealed by the new
    // recovery key, which A introduced.
    let introduced = thread
        .messages
        .iter()
        .filter_map(|m| {
            open_item(
                &unb64(&m.item),
                &mailbox,
                &Expect {
                    tenant: &tenant,
                    senders: &[new_recovery.public_key()],
                },
            )
            .ok()
        })
        .count();
    assert_eq!(introduced, 1);
}

/// Logs in as `key` the way the advisor tools do; returns the bearer token.
async fn advisor_token(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    key: &dyn StaticKey,
) -> String {
    let challenge: Value = http
        .get(format!("{base}/api/v1/t/{tenant}/advisor/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message: [u8; 64] = unb64(challenge["challenge"].as_str().unwrap())
        .try_into()
        .unwrap();
    let context = meldkluis_crypto_core::challenge::login_context(
        tenant,
        &meldkluis_keys::client::server_origin(base).unwrap(),
    );
    let answer =
        meldkluis_crypto_core::challenge::answer_challenge(key, &message, &context).unwrap();
    let login: Value = http
        .post(format!("{base}/api/v1/t/{tenant}/advisor/login"))
        .json(&json!({
            "challenge_id": challenge["challenge_id"],
            "public_key": key.public_key().to_hex(),
            "response": b64(&answer),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

/// After a replacement, `recover` with the new recovery key reaches old
/// reports through grants to it, but only from grantors in the holder's
/// records: a report the breached server made up (sealed to the lost key
/// by a mailbox key it holds) and granted to the new recovery key from its
/// own key is left out, and nothing is posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_ignores_a_grant_to_the_recovery_key_from_a_key_not_in_the_holders_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = os_rng();
    let tenant = TenantId::new("acme").unwrap();
    let lost = StaticSecret::generate(&mut rng);
    let old_recovery = StaticSecret::generate(&mut rng);
    let new_recovery = StaticSecret::generate(&mut rng);
    let servers_own = StaticSecret::generate(&mut rng);
    let servers_mailbox = StaticSecret::generate(&mut rng);
    let new_file = dir.path().join("DEMO-new.hex");
    let new = InsecureDemoKey::generate(&new_file).unwrap().public_key();
    let id = ItemId::random(&mut rng);
    let forged = seal(
        &tenant,
        ItemKind::Report,
        id,
        id,
        &servers_mailbox,
        &[
            lost.public_key(),
            old_recovery.public_key(),
            servers_mailbox.public_key(),
            servers_own.public_key(),
        ],
        b"{}",
    );
    let grant = meldkluis_crypto_core::grant_item_key(
        &forged,
        &meldkluis_crypto_core::GrantParams {
            tenant: &tenant,
            grantor: &servers_own,
            grantor_access: meldkluis_crypto_core::Access::Stanza,
            grantee: &new_recovery.public_key(),
        },
        &mut rng,
    )
    .unwrap();
    let mut served_thread = thread(&id.to_hex(), &forged);
    served_thread["recovery_grants"] = json!([{ "item_id": id.to_hex(), "grant": b64(&grant) }]);
    let server = Arc::new(Served::default());
    *server.config.lock().unwrap() = json!({
        "advisors": [served(&new, "A")],
        "recovery_key": { "public_key": new_recovery.public_key().to_hex(), "fingerprint": new_recovery.public_key().fingerprint() },
        "questionnaire": null,
    });
    *server.list.lock().unwrap() = vec![summary(&id.to_hex())];
    server
        .threads
        .lock()
        .unwrap()
        .insert(id.to_hex(), served_thread);
    let base = double::start(Arc::clone(&server)).await;

    let recover = |extra: &[String]| {
        let mut child = Command::new(ADVISOR)
            .args(["recover", "--yes", "--server", &base, "--tenant", "acme"])
            .args(["--lost", &lost.public_key().to_hex()])
            .args(extra)
            .arg("--insecure-demo-file")
            .arg(&new_file)
            .env_remove("MELDKLUIS_PKCS11_MODULE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(
            &mut child.stdin.take().unwrap(),
            meldkluis_keys::recovery::expose_paper_form(&new_recovery).as_bytes(),
        )
        .unwrap();
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    let stdout = recover(&[]);
    assert!(stdout.contains("(nothing granted): 1"), "{stdout}");
    assert!(stdout.contains("nothing to grant"), "{stdout}");
    assert!(server.posted().is_empty(), "{:?}", server.posted());
    // The control: had the holder named the server's key as a grantor, the
    // made-up report would be chosen.
    let stdout = recover(&["--grantor".into(), servers_own.public_key().to_hex()]);
    assert!(
        stdout.contains(&format!("report {}: 1 items", id.to_hex())),
        "{stdout}"
    );
}
