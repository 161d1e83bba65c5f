//! After an advisor's token is lost, the reporter keeps believing their
//! advisor: the recovery key re-seals the report to the new key (grants)
//! and introduces the new key in the thread; the reporter's browser, which
//! trusts only keys pinned in the report, accepts the introduction (sealed
//! by the pinned recovery key) and from then on shows the new key's replies
//! as the advisor's. A message from a key nobody introduced stays a warning.

use meldkluis_crypto_core::{ItemHeader, ItemId, ItemKind, PublicKey, StaticKey, StaticSecret};
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::reseal::{reseal_reports, Reseal};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{
    mailbox_login, open_report_form, send_report, AdvisorView, ReportInput,
};
use meldkluis_tests::{new_item_id, seal, TestServer, TestTenant};

fn message(text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "format": "meldkluis-message/1", "text": text, "attachments": []
    }))
    .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporter_believes_the_advisors_new_key_once_the_recovery_key_introduces_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 1);
    let old = &tenant.advisors[0];

    // The report, from the browser; the advisor answers with the old key.
    let browser = Browser::start().await;
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput::saying("Mijn collega wordt uitgescholden."),
    )
    .await;
    let (code, _) = send_report(&browser).await;
    let advisor = AdvisorView::login(&server, &tenant.id, old).await;
    let report = advisor.open_report(&advisor.report_ids().await[0]).await;
    advisor.reply(&report, "Bericht met de oude sleutel.").await;

    // The token is lost: the operator replaces the key, the recovery key
    // holder re-seals and introduces the new key.
    let new = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    admin
        .replace_advisor(&tenant.id, &old.public_key(), &new.public_key(), None)
        .expect("replace");
    let client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    client.log_in(&new).await.expect("the new key logs in");
    let outcome = reseal_reports(
        &client,
        &Reseal {
            grantor: &tenant.recovery,
            grantor_trusts: &[],
            grantee: new.public_key(),
            logged_in_as: new.public_key(),
            grantee_name: "Advisor 0".into(),
        },
    )
    .await
    .expect("recovery");
    assert_eq!(outcome.introduced, 1);

    // The new key answers (to everyone the report was sealed to).
    let thread = client.thread(&report.id).await.expect("thread");
    let (header, _) = ItemHeader::parse(&thread.report_bytes().expect("b64")).expect("header");
    let mut recipients: Vec<PublicKey> = header.recipients.clone();
    recipients.push(new.public_key());
    let report_id = ItemId(
        hex::decode(&report.id)
            .expect("hex")
            .try_into()
            .expect("16"),
    );
    let reply = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        &new,
        &recipients,
        &message("Bericht met de nieuwe sleutel."),
    );
    client
        .post_message(&report.id, &reply)
        .await
        .expect("reply");

    // A key nobody introduced, written in by a breached server, stays a
    // warning even though it is an enrolled advisor key.
    let stranger = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    admin
        .add_advisor(&tenant.id, &stranger.public_key(), "Advisor 0")
        .expect("enrol");
    let stranger_client = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    stranger_client.log_in(&stranger).await.expect("log in");
    let forged = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        &stranger,
        &header.recipients,
        &message("Bericht van een onbekende sleutel."),
    );
    let db = rusqlite::Connection::open(dir.path().join("tenants/acme/tenant.sqlite"))
        .expect("the tenant database");
    db.execute(
        "INSERT INTO messages (id, report_id, from_advisor, item, padded_len, created_day)
         SELECT ?1, ?2, id, ?3, 0, '2026-11-24' FROM advisors WHERE public_key = ?4",
        rusqlite::params![
            new_item_id().0.to_vec(),
            report_id.0.to_vec(),
            forged,
            stranger.public_key().as_bytes().to_vec()
        ],
    )
    .expect("the forged message is written");
    drop(db);

    browser
        .goto(&format!("{}/t/acme/mailbox", server.base))
        .await;
    mailbox_login(&browser, &code).await;
    let items = browser
        .js(
            "return [...document.querySelectorAll('#thread > li')].map(li => li.className + ' | ' + li.textContent);",
            vec![],
        )
        .await;
    let items: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i.as_str().expect("text"))
        .collect();
    assert_eq!(
        items.len(),
        5,
        "report, old reply, introduction, new reply, forgery: {items:#?}"
    );
    assert!(
        items[1].contains("thread__item--advisor")
            && items[1].contains("Bericht met de oude sleutel.")
    );
    assert!(
        items[2].contains("thread__item--note")
            && items[2].contains("Advisor 0 gebruikt vanaf nu een nieuwe sleutel"),
        "{}",
        items[2]
    );
    assert!(
        items[3].contains("thread__item--advisor")
            && items[3].contains("Bericht met de nieuwe sleutel."),
        "the new key's reply is the advisor's: {}",
        items[3]
    );
    assert!(
        items[4].contains("notice--warning") && !items[4].contains("onbekende sleutel"),
        "{}",
        items[4]
    );
    browser.close().await;
    server.stop().await;
}
