//! Losing a token: the advisor's old key is gone; a new key is generated on
//! a real PKCS#11 token (kryoptic) and the operator puts it in the old
//! key's place; the recovery key holder enters the recovery key (its paper
//! form) and re-seals the content keys of every existing report to the new
//! key through key grants; the new key, on the token, opens every item;
//! the old key's log-in is refused. Nothing is re-encrypted: the items on
//! the server are byte for byte what they were.
//!
//! One test in this file: a PKCS#11 module is process-wide state.

use meldkluis_crypto_core::{ItemKind, StaticKey, StaticSecret};
use meldkluis_keys::client::{decode_item, ServerClient};
use meldkluis_keys::reading::{self, Trust};
use meldkluis_keys::recovery;
use meldkluis_keys::reseal::{reseal_reports, Reseal};
use meldkluis_tests::tokens::TestToken;
use meldkluis_tests::{
    client, mailbox_login, new_item_id, seal, submit_report, Mailbox, TestServer, TestTenant,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_token_is_replaced_and_the_recovery_key_reseals_its_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token_dir = dir.path().join("token");
    std::fs::create_dir(&token_dir).expect("token dir");
    let token = TestToken::create(&token_dir, "mk-lost-Tk2");

    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "lost-token", 1);
    let lost = &tenant.advisors[0];
    let http = client();
    let t = tenant.id.as_str();

    // Two reports sealed to the advisor who will lose the token; a reply
    // from that advisor and an attachment from a reporter.
    let mut mailboxes = Vec::new();
    let mut contents = Vec::new();
    for i in 0..2 {
        let mailbox = Mailbox::random();
        let content = format!("CANARY-lost-token report {i}");
        let report = mailbox.seal_report(&tenant, content.as_bytes());
        assert_eq!(
            submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
            201
        );
        contents.push(content);
        mailboxes.push(mailbox);
    }
    let old_client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    old_client.log_in(lost).await.expect("the old key logs in");
    let first = &mailboxes[0];
    let reply = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        first.report_id,
        lost,
        &first.recipients(&tenant, &[lost.public_key()]),
        b"CANARY-lost-token reply",
    );
    old_client
        .post_message(&first.report_id.to_hex(), &reply)
        .await
        .expect("reply");
    let reporter = mailbox_login(&http, &server, t, first).await;
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        new_item_id(),
        first.report_id,
        &first.key,
        &first.recipients(&tenant, &[lost.public_key()]),
        &vec![0xa7; 100_000],
    );
    let uploaded = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&reporter)
        .body(attachment)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 201);
    let items_before = server_items(&server, &tenant, lost).await;

    // The token is lost. A new key on a new token; the operator replaces
    // the old key with it (and compares fingerprints aloud).
    let new_key = token.generate_key("advisor after loss 0x1");
    let (_, inherited) = admin
        .replace_advisor(&tenant.id, &lost.public_key(), &new_key.public_key(), None)
        .expect("replace");
    assert_eq!(inherited, 2);
    let refused = ServerClient::new(&server.base, tenant.id.clone())
        .expect("client")
        .log_in(lost)
        .await;
    assert!(
        matches!(
            refused,
            Err(meldkluis_keys::Error::Server { status: 401, .. })
        ),
        "the old key's log-in is refused: {refused:?}"
    );

    // Logged in with the new key, it sees the reports but cannot open them.
    let new_client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    new_client
        .log_in(&new_key)
        .await
        .expect("the new key logs in");
    let trust = Trust {
        tenant: tenant.id.clone(),
        grantors: vec![tenant.recovery.public_key()],
        advisor_senders: vec![lost.public_key(), new_key.public_key()],
    };
    let thread = new_client
        .thread(&first.report_id.to_hex())
        .await
        .expect("thread");
    assert!(
        reading::open_report(
            &new_key,
            &trust,
            &thread,
            &thread.report_bytes().expect("b64")
        )
        .is_err(),
        "before the grants the new key reads nothing"
    );

    // The recovery key holder types the paper form; the recovery key
    // grants every item to the new key.
    let paper = recovery::expose_paper_form(&tenant.recovery);
    let recovery_key = recovery::parse_paper_form(&paper).expect("the paper form reads back");
    let job = Reseal {
        grantor: &recovery_key,
        grantor_trusts: &[],
        grantee: new_key.public_key(),
        logged_in_as: new_key.public_key(),
        grantee_name: "A. Dviseur".into(),
    };
    let outcome = reseal_reports(&new_client, &job).await.expect("reseal");
    assert_eq!(outcome.reports, 2);
    assert_eq!(outcome.items, 4, "two reports, a reply, an attachment");
    assert_eq!(outcome.granted, 4);
    assert_eq!(outcome.unreachable, 0);
    assert_eq!(
        outcome.introduced, 2,
        "the recovery key introduces the new key in each thread"
    );
    // A second run finds nothing left to do (the introductions were
    // sealed to the new key, so it reads them already).
    let again = reseal_reports(&new_client, &job).await.expect("reseal");
    assert_eq!(
        (again.granted, again.already_readable, again.introduced),
        (0, 6, 0)
    );

    // The new key, on the token, opens every item through its grant.
    for (mailbox, content) in mailboxes.iter().zip(&contents) {
        let thread = new_client
            .thread(&mailbox.report_id.to_hex())
            .await
            .expect("thread");
        let report = thread.report_bytes().expect("b64");
        let opened = reading::open_report(&new_key, &trust, &thread, &report)
            .expect("the report opens through the recovery key's grant");
        assert_eq!(&*opened.content, content.as_bytes());
        let header = reading::report_header(&report).expect("header");
        let senders = reading::thread_senders(&header, &trust);
        for message in &thread.messages {
            let opened = reading::open_thread_item(
                &new_key,
                &trust,
                &thread,
                &senders,
                &message.id,
                &decode_item(&message.item).expect("b64"),
            )
            .expect("the reply and the key introduction open");
            let content: serde_json::Value =
                serde_json::from_slice(&opened.content).unwrap_or_default();
            if content["format"] == "meldkluis-key-introduction/1" {
                assert_eq!(content["public_key"], new_key.public_key().to_hex());
                assert_eq!(opened.header.sender, tenant.recovery.public_key());
            } else {
                assert_eq!(&*opened.content, b"CANARY-lost-token reply");
            }
        }
        for attachment in &thread.attachments {
            let item = new_client
                .attachment(&thread.report_id, &attachment.id)
                .await
                .expect("download");
            let opened = reading::open_thread_item(
                &new_key,
                &trust,
                &thread,
                &senders,
                &attachment.id,
                &item,
            )
            .expect("the attachment opens");
            assert_eq!(opened.content.len(), 100_000);
        }
        // A grant from a grantor the reader does not trust is refused.
        let distrust = Trust {
            grantors: vec![
                StaticSecret::generate(&mut meldkluis_crypto_core::os_rng()).public_key()
            ],
            ..trust.clone()
        };
        assert!(reading::open_report(&new_key, &distrust, &thread, &report).is_err());
    }

    // Nothing was re-encrypted: every item is byte for byte as before (the
    // only new items are the two key introductions).
    let mut items_after = server_items(&server, &tenant, &new_key).await;
    assert_eq!(items_after.len(), items_before.len() + 2);
    items_after.retain(|(id, _)| items_before.iter().any(|(before, _)| before == id));
    assert_eq!(items_before, items_after);
    server.stop().await;
}

/// Every sealed item of every report the key may see, as the server holds
/// them (reports and messages from the threads, attachments downloaded).
async fn server_items(
    server: &TestServer,
    tenant: &TestTenant,
    key: &dyn StaticKey,
) -> Vec<(String, Vec<u8>)> {
    let client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    client.log_in(key).await.expect("log in");
    let mut items = Vec::new();
    let mut reports = client.reports().await.expect("reports").reports;
    reports.sort_by(|a, b| a.report_id.cmp(&b.report_id));
    for summary in reports {
        let thread = client.thread(&summary.report_id).await.expect("thread");
        items.push((
            thread.report_id.clone(),
            thread.report_bytes().expect("b64"),
        ));
        for message in &thread.messages {
            items.push((message.id.clone(), decode_item(&message.item).expect("b64")));
        }
        for attachment in &thread.attachments {
            items.push((
                attachment.id.clone(),
                client
                    .attachment(&thread.report_id, &attachment.id)
                    .await
                    .expect("download"),
            ));
        }
    }
    items
}
