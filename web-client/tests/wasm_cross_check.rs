//! The browser's wasm and the native crypto core agree, both ways.
//!
//! Seals a report natively with fixed keys (item format version 2, and a
//! stored version-1 one), derives a mailbox and an organisation recipient's
//! key natively, answers a recipient log-in challenge and hashes an approval
//! subject, writes them for
//! `node-roundtrip.mjs`, runs it against the wasm in `web-client/pkg/`
//! (built by `scripts/build-wasm.sh`), and opens the advisor's answer that
//! the wasm sealed, which must be version 2.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use meldkluis_crypto_core::challenge::{answer_challenge, ServerChallenge};
use meldkluis_crypto_core::{
    open_item, recipient_login_context, seal_item, seal_item_with_version, ApprovalSubject, Expect,
    ItemHeader, ItemId, ItemKind, LoginCode, MailboxKeys, RecipientKey, SealParams, StaticKey,
    StaticSecret, SubjectAttachment, SubjectKind, SubjectRecipient, TenantId, Version,
};
use rand_core::SeedableRng;

fn web_client_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The newest modification time of any file under `dir`.
fn newest_under(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).expect("source directory is readable") {
        let entry = entry.expect("directory entry is readable");
        let path = entry.path();
        let time = if path.is_dir() {
            newest_under(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .expect("source file has a modification time")
        };
        newest = newest.max(time);
    }
    newest
}

/// The built wasm, or a panic that says how to build it. A wasm older than
/// the sources it is built from is refused too: the test would prove nothing.
fn built_wasm() -> PathBuf {
    let web = web_client_dir();
    let wasm = web.join("pkg/meldkluis.wasm");
    let how = "build it with `scripts/build-wasm.sh` (after `scripts/setup.sh` on a fresh machine)";
    let Ok(built) = std::fs::metadata(&wasm).and_then(|m| m.modified()) else {
        panic!("{} does not exist: {how}", wasm.display());
    };
    let sources = [
        web.join("src"),
        web.join("js"),
        web.join("../crypto-core/src"),
    ];
    if let Some(newer) = sources.iter().find(|dir| newest_under(dir) > built) {
        panic!(
            "{} is older than {}: rebuild it with `scripts/build-wasm.sh`",
            wasm.display(),
            newer.display()
        );
    }
    wasm
}

#[test]
fn wasm_and_native_open_each_others_items_and_derive_the_same_mailbox() {
    built_wasm();
    let dir = tempfile::tempdir().expect("temporary directory");
    let tenant = TenantId::new("acme").expect("valid tenant id");
    let reporter = StaticSecret::from_bytes([0x41; 32]);
    let advisor = StaticSecret::from_bytes([0x42; 32]);
    let recovery = StaticSecret::from_bytes([0x43; 32]);
    let recipients = [
        advisor.public_key(),
        recovery.public_key(),
        reporter.public_key(),
    ];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2026);

    // The reporter's report, sealed natively.
    let report_id = ItemId([0x10; 16]);
    let report_text = "De afdelingsmanager vraagt ons facturen te antedateren. ✓";
    let params = SealParams {
        kind: ItemKind::Report,
        tenant: &tenant,
        item_id: report_id,
        report_id,
        sender: &reporter,
        recipients: &recipients,
    };
    let report = seal_item(&params, report_text.as_bytes(), &mut rng).expect("sealing the report");
    std::fs::write(dir.path().join("native-item.bin"), &report).expect("writing the native item");
    assert_eq!(
        ItemHeader::parse(&report).expect("header").0.version,
        Version::V2
    );
    // A report stored as version 1 before version 2 existed: browsers still
    // open it.
    let v1_report_id = ItemId([0x11; 16]);
    let v1_text = "Een oude melding, nog in versie 1.";
    let v1_report = seal_item_with_version(
        &SealParams {
            item_id: v1_report_id,
            report_id: v1_report_id,
            ..params
        },
        Version::V1,
        v1_text.as_bytes(),
        &mut rng,
    )
    .expect("sealing the version-1 report");
    std::fs::write(dir.path().join("native-v1-item.bin"), &v1_report)
        .expect("writing the version-1 item");

    // A mailbox, derived natively with the real parameters.
    let code = LoginCode::generate(&mut rng);
    let mailbox = MailboxKeys::derive(&code, &tenant);

    // An organisation recipient's key from an enrolment code, its log-in
    // answer to a server challenge, and an approval subject's hash.
    let enrolment = LoginCode::generate(&mut rng);
    let recipient = RecipientKey::derive(&enrolment, &tenant);
    let origin = "https://meld.example";
    let context = recipient_login_context(&tenant, origin);
    let (server, challenge) = ServerChallenge::new(&mut rng, &context);
    let login_answer =
        answer_challenge(recipient.key(), &challenge, &context).expect("answering natively");
    assert!(server.verify(&recipient.public_key(), &login_answer));
    let subject = ApprovalSubject {
        kind: SubjectKind::Forward,
        tenant: tenant.clone(),
        report_id,
        draft_id: [0x5a; 16],
        version: 2,
        text: "Aan HR: de melder vraagt om een gesprek. ✓".into(),
        attachments: vec![SubjectAttachment {
            item_id: ItemId([0x30; 16]),
            sha256: [0x31; 32],
            size: 5_000_000_000,
            name: "verslag — januari.pdf".into(),
            content_type: "application/pdf".into(),
        }],
        recipients: vec![SubjectRecipient {
            public_key: recipient.public_key(),
            label: "HR — P. de Boer".into(),
        }],
    };
    let subject_hash = subject.hash().expect("a subject within the limits");

    let answer_id = ItemId([0x20; 16]);
    let answer_text = "Dank voor uw melding. Kunt u zeggen sinds wanneer dit speelt?";
    let hex_keys = |keys: &[meldkluis_crypto_core::PublicKey]| {
        keys.iter().map(|k| k.to_hex()).collect::<Vec<_>>()
    };
    let fixture = serde_json::json!({
        "tenant": tenant.as_str(),
        "keys": {
            "reporterPublic": reporter.public_key().to_hex(),
            "advisorSecret": hex::encode(advisor.expose_secret_bytes()),
            "advisorPublic": advisor.public_key().to_hex(),
            "recoveryPublic": recovery.public_key().to_hex(),
        },
        "native": {
            "file": "native-item.bin",
            "kind": "report",
            "itemId": report_id.to_hex(),
            "reportId": report_id.to_hex(),
            "recipients": hex_keys(&recipients),
            "content": report_text,
        },
        "nativeV1": {
            "file": "native-v1-item.bin",
            "itemId": v1_report_id.to_hex(),
            "content": v1_text,
        },
        "mailbox": {
            "code": *code.expose_display_string(),
            "mailboxId": mailbox.mailbox_id().to_hex(),
            "authSecret": hex::encode(mailbox.auth_secret().expose_secret_bytes()),
            "publicKey": mailbox.public_key().to_hex(),
        },
        "recipient": {
            "code": *enrolment.expose_display_string(),
            "publicKey": recipient.public_key().to_hex(),
            "origin": origin,
            "context": hex::encode(&context),
            "challenge": hex::encode(challenge),
            "answer": hex::encode(login_answer),
        },
        "approval": {
            "subject": {
                "kind": "forward",
                "tenant": tenant.as_str(),
                "reportId": report_id.to_hex(),
                "draftId": hex::encode(subject.draft_id),
                "version": subject.version,
                "text": subject.text,
                "attachments": [{
                    "id": subject.attachments[0].item_id.to_hex(),
                    "sha256": hex::encode(subject.attachments[0].sha256),
                    "size": subject.attachments[0].size,
                    "name": subject.attachments[0].name,
                    "type": subject.attachments[0].content_type,
                }],
                "recipients": [{
                    "publicKey": subject.recipients[0].public_key.to_hex(),
                    "label": subject.recipients[0].label,
                }],
            },
            "hash": hex::encode(subject_hash),
        },
        "node": {
            "file": "node-item.bin",
            "kind": "message",
            "itemId": answer_id.to_hex(),
            "reportId": report_id.to_hex(),
            "content": answer_text,
        },
    });
    std::fs::write(dir.path().join("fixture.json"), fixture.to_string())
        .expect("writing the fixture");

    let script = web_client_dir().join("tests/node-roundtrip.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("could not run node (Node 20 or newer is needed): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node {} failed:\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.lines().any(|line| line.starts_with("ok ")
            && line.ends_with(" - the wasm agrees with the native build")),
        "cross-check did not run:\n{stdout}"
    );

    // The answer the wasm sealed opens natively for the reporter.
    let answer = std::fs::read(dir.path().join("node-item.bin")).expect("node wrote its item");
    let senders = [advisor.public_key()];
    let opened = open_item(
        &answer,
        &reporter,
        &Expect {
            tenant: &tenant,
            senders: &senders,
        },
    )
    .expect("the wasm's item opens natively");
    assert_eq!(
        opened.header.version,
        Version::V2,
        "the wasm seals version 2"
    );
    assert_eq!(opened.header.kind, ItemKind::Message);
    assert_eq!(opened.header.item_id, answer_id);
    assert_eq!(opened.header.report_id, report_id);
    assert_eq!(opened.header.sender, advisor.public_key());
    assert_eq!(opened.header.recipients, recipients);
    assert_eq!(&opened.content[..], answer_text.as_bytes());
    // ... and for the recovery key, but not from an unexpected sender.
    let as_recovery = open_item(
        &answer,
        &recovery,
        &Expect {
            tenant: &tenant,
            senders: &senders,
        },
    );
    assert_eq!(
        &as_recovery.expect("recovery key opens").content[..],
        answer_text.as_bytes()
    );
    let wrong_sender = [reporter.public_key()];
    assert!(open_item(
        &answer,
        &reporter,
        &Expect {
            tenant: &tenant,
            senders: &wrong_sender
        }
    )
    .is_err());
}
