//! Replacing the tenant's recovery key, end to end: the real server, the
//! advisor's tool from the real keys crate, and the reporter's mailbox in a
//! real headless Chromium. A recovery key introduction sealed by a key the
//! mailbox does not believe as an advisor (the recovery key itself, or a
//! key the breached server holds) is a warning and changes nothing; after
//! the operator's replacement and the advisor's `replace-recovery-key`, the
//! mailbox shows the introduction, and the reporter's next message is
//! sealed to the new recovery key (and no longer to the old one), which
//! also opens the old items through the advisor's grants.

use meldkluis_crypto_core::{
    open_item, open_item_with_grant, Expect, ItemHeader, ItemId, ItemKind, PublicKey, StaticKey,
    StaticSecret,
};
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_keys::pins::Pins;
use meldkluis_keys::reseal::{replace_recovery_key, RECOVERY_KEY_INTRODUCTION_FORMAT};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{
    open_mailbox, open_report_form, send_reply, send_report, type_into, AdvisorView, ReportInput,
};
use meldkluis_tests::{new_item_id, seal, unb64, TestServer, TestTenant};
use serde_json::{json, Value};

fn introduction(key: &PublicKey) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "format": RECOVERY_KEY_INTRODUCTION_FORMAT,
        "public_key": key.to_hex(),
    }))
    .expect("json")
}

/// Logs in to the mailbox again, sends `text` and waits until it is sent.
async fn send_from_mailbox(browser: &Browser, base: &str, code: &str, text: &str) -> Vec<String> {
    open_mailbox(browser, &format!("{base}/t/acme/mailbox"), code).await;
    let items = thread_items(browser).await;
    type_into(browser, "reply-text", text).await;
    send_reply(browser, "nl").await;
    items
}

async fn thread_items(browser: &Browser) -> Vec<String> {
    let items = browser
        .js(
            "return [...document.querySelectorAll('#thread > li')].map(li => li.className + ' | ' + li.textContent);",
            vec![],
        )
        .await;
    items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i.as_str().expect("text").to_owned())
        .collect()
}

/// The recipients of the last message the reporter's mailbox sent.
async fn last_reporter_message(advisor: &AdvisorView<'_>, report_id: &str) -> Vec<u8> {
    let thread = advisor.open_report(report_id).await;
    let mailbox_key = thread.mailbox_key;
    thread.thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| unb64(m["item"].as_str().expect("item")))
        .rfind(|item| ItemHeader::parse(item).is_ok_and(|(header, _)| header.sender == mailbox_key))
        .expect("a message from the mailbox")
}

fn recipients(item: &[u8]) -> Vec<PublicKey> {
    ItemHeader::parse(item).expect("header").0.recipients
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_recovery_key_replacement_the_mailbox_seals_to_the_new_key_and_ignores_forged_introductions(
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 1);
    let advisor_key = &tenant.advisors[0];
    let old_recovery = tenant.recovery.public_key();
    let servers_own = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());

    // The report and a first message, from the browser.
    let browser = Browser::start().await;
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput::saying("Er verdwijnt geld uit de kas."),
    )
    .await;
    let (code, _) = send_report(&browser).await;
    let advisor = AdvisorView::login(&server, &tenant.id, advisor_key).await;
    let report_id = advisor.report_ids().await[0].clone();
    let report = advisor.open_report(&report_id).await;
    let item_id = ItemId(
        hex::decode(&report_id)
            .expect("hex")
            .try_into()
            .expect("16"),
    );

    // Forged introductions of the server's own key as the recovery key:
    // one sealed by the (current) recovery key, which the mailbox believes
    // for advisor key introductions only, posted through the real server;
    // one sealed by the server's own key, written into the database as a
    // breached server would.
    let mut to = report.recipients.clone();
    to.push(servers_own.public_key());
    let by_recovery = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        item_id,
        &tenant.recovery,
        &to,
        &introduction(&servers_own.public_key()),
    );
    let client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    client.log_in(advisor_key).await.expect("log in");
    client
        .post_message(&report_id, &by_recovery)
        .await
        .expect("the server takes an item the recovery key sealed");
    let forged_id = new_item_id();
    let by_server = seal(
        ItemKind::Message,
        &tenant.id,
        forged_id,
        item_id,
        &servers_own,
        &to,
        &introduction(&servers_own.public_key()),
    );
    let db = rusqlite::Connection::open(dir.path().join("tenants/acme/tenant.sqlite"))
        .expect("the tenant database");
    db.execute(
        "INSERT INTO messages (id, report_id, from_advisor, item, padded_len, created_day)
         SELECT ?1, ?2, id, ?3, 0, '2026-11-24' FROM advisors WHERE public_key = ?4",
        rusqlite::params![
            forged_id.0.to_vec(),
            item_id.0.to_vec(),
            by_server,
            advisor_key.public_key().as_bytes().to_vec()
        ],
    )
    .expect("the forged message is written");
    drop(db);

    // Both are warnings, and the mailbox still seals to the old recovery
    // key only.
    let shown = send_from_mailbox(&browser, &server.base, &code, "Eerste vraag.").await;
    assert_eq!(shown.len(), 3, "report and two warnings: {shown:#?}");
    assert!(
        shown[1..]
            .iter()
            .all(|item| item.contains("notice--warning")),
        "{shown:#?}"
    );
    let first = last_reporter_message(&advisor, &report_id).await;
    assert!(recipients(&first).contains(&old_recovery));
    assert!(!recipients(&first).contains(&servers_own.public_key()));

    // The operator replaces the recovery key; the advisor enrols it and
    // runs the tool.
    let new_recovery = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    admin
        .replace_recovery_key(&tenant.id, &new_recovery.public_key())
        .expect("replace");
    let enrolled = EnrolledKeys {
        advisors: vec![(advisor_key.public_key(), "Advisor 0".into())],
        recovery: Some(new_recovery.public_key()),
        earlier: Vec::new(),
        former_recovery: vec![old_recovery],
        recipients: Vec::new(),
    };
    let outcome = replace_recovery_key(
        &client,
        advisor_key,
        &enrolled,
        new_recovery.public_key(),
        &Pins::in_memory(),
    )
    .await
    .expect("replacement");
    assert_eq!(
        (outcome.introduced, outcome.unopened),
        (1, 0),
        "{outcome:?}"
    );
    // At least the report and the reporter's message (the advisor was a
    // recipient of the forgeries too: a grant gives the new recovery key
    // what the advisor could read, no more).
    assert!(outcome.granted >= 2, "{outcome:?}");

    // The mailbox shows the introduction; the next message is sealed to
    // the new recovery key and not to the old one.
    let shown = send_from_mailbox(&browser, &server.base, &code, "Tweede vraag.").await;
    let note = shown
        .iter()
        .find(|item| item.contains("thread__item--note"))
        .unwrap_or_else(|| panic!("no introduction shown: {shown:#?}"));
    assert!(
        note.contains(
            "Advisor 0 heeft bevestigd dat de organisatie haar herstelsleutel heeft vervangen"
        ),
        "{note}"
    );
    assert!(
        shown
            .iter()
            .all(|item| !item.contains("thread__item--advisor")),
        "nothing here is an advisor's message: {shown:#?}"
    );
    let second = last_reporter_message(&advisor, &report_id).await;
    assert!(recipients(&second).contains(&new_recovery.public_key()));
    assert!(!recipients(&second).contains(&old_recovery));
    assert!(!recipients(&second).contains(&servers_own.public_key()));
    let senders = [report.mailbox_key];
    let expect = Expect {
        tenant: &tenant.id,
        senders: &senders,
    };
    let opened = open_item(&second, &new_recovery, &expect).expect("the new key reads it");
    let content: Value = serde_json::from_slice(&opened.content).expect("json");
    assert_eq!(content["text"], "Tweede vraag.");

    // And the old items, through the advisor's grants.
    let thread: Value = advisor
        .get(&format!("/advisor/reports/{report_id}"))
        .await
        .json()
        .await
        .expect("json");
    let grants = thread["recovery_grants"].as_array().expect("grants");
    for item in [unb64(thread["report"].as_str().expect("report")), first] {
        let id = hex::encode(ItemHeader::parse(&item).expect("header").0.item_id.0);
        let grant = grants
            .iter()
            .find(|g| g["item_id"] == id)
            .expect("a grant to the new recovery key");
        open_item_with_grant(
            &item,
            &unb64(grant["grant"].as_str().expect("b64")),
            &new_recovery,
            &expect,
            &[advisor_key.public_key()],
        )
        .expect("the new recovery key opens the old item");
    }
    browser.close().await;
    server.stop().await;
}
