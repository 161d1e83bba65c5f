//! What the server keeps, and how it limits guessing.
//!
//! - The tenant database holds exactly the metadata of protocol.md: the
//!   columns are listed here, and a new column fails this test until the
//!   threat model's metadata list (and this list) say what it is.
//! - Mailbox log-ins are limited per mailbox id and over the whole server,
//!   without keeping any address.

use meldkluis_tests::{client, submit_report, Mailbox, TestServer, TestTenant};
use serde_json::Value;

/// Every column of a tenant database, as `table.column`, with the metadata
/// item of threat-model.md it is.
const TENANT_COLUMNS: &[(&str, &str)] = &[
    ("settings.key", "tenant configuration (public)"),
    ("settings.value", "tenant configuration (public)"),
    ("advisors.id", "which advisor acted"),
    ("advisors.public_key", "advisor public key"),
    ("advisors.display_name", "advisor name (public)"),
    ("advisors.active", "advisor enrolment"),
    ("advisors.added_day", "advisor enrolment day"),
    ("reports.id", "item id"),
    ("reports.mailbox_id", "mailbox id"),
    ("reports.mailbox_key", "mailbox public key"),
    ("reports.auth_hash", "keyed hash of the auth secret"),
    ("reports.item", "sealed item"),
    ("reports.padded_len", "padded size"),
    ("reports.created_day", "creation day"),
    ("reports.status", "report status"),
    ("reports.status_by", "which advisor acted"),
    ("reports.status_day", "deadline bookkeeping (day)"),
    ("reports.agreed_update_date", "deadline"),
    ("reports.closing_reason", "report status"),
    ("reports.category", "disclosed category"),
    ("reports.category_by", "which advisor acted"),
    ("reports.acknowledged_day", "deadline bookkeeping (day)"),
    ("reports.feedback_day", "deadline bookkeeping (day)"),
    ("reports.closed_day", "deadline bookkeeping (day)"),
    ("reports.register_number", "register line"),
    ("register.number", "register line"),
    ("register.report_id", "item id"),
    ("register.received_day", "creation day"),
    ("register.category", "disclosed category"),
    ("register.closing_reason", "report status"),
    ("register.closed_day", "deadline bookkeeping (day)"),
    ("register.hold_until", "register line"),
    ("register.hold_reason", "register line"),
    ("register.deleted_day", "register line"),
    ("register.acknowledged_day", "deadline bookkeeping (day)"),
    ("register.feedback_day", "deadline bookkeeping (day)"),
    ("register.channel", "report channel (web, oral, meeting)"),
    ("reports.channel", "report channel (web, oral, meeting)"),
    // Oral reports and follow-up mailboxes (issue 13).
    ("reports.mailbox_state", "mailbox state (own, none, joined)"),
    ("reports.opening_item", "sealed item"),
    ("reports.joined_day", "join day"),
    ("reports.joined_message_seq", "order in the thread"),
    ("reports.joined_attachment_seq", "order in the thread"),
    (
        "follow_ups.reference",
        "mailbox reference (from the mailbox public key)",
    ),
    ("follow_ups.item_id", "item id"),
    ("follow_ups.mailbox_id", "mailbox id"),
    ("follow_ups.mailbox_key", "mailbox public key"),
    ("follow_ups.auth_hash", "keyed hash of the auth secret"),
    ("follow_ups.item", "sealed item"),
    ("follow_ups.padded_len", "padded size"),
    ("follow_ups.created_day", "creation day"),
    ("follow_ups.expires_day", "follow-up expiry day"),
    ("org_recipients.id", "which recipient"),
    (
        "org_recipients.role",
        "recipient role (management, forward)",
    ),
    (
        "org_recipients.label",
        "recipient label (public to advisors and reporters)",
    ),
    ("org_recipients.public_key", "recipient public key"),
    (
        "org_recipients.key_source",
        "recipient enrolment (token or code)",
    ),
    ("org_recipients.enrolled_day", "recipient enrolment day"),
    ("org_recipients.removed_day", "recipient enrolment day"),
    (
        "org_invitations.secret_hash",
        "hash of an enrolment invitation",
    ),
    (
        "org_invitations.role",
        "recipient role (management, forward)",
    ),
    (
        "org_invitations.label",
        "recipient label (public to advisors and reporters)",
    ),
    ("org_invitations.expires_day", "recipient enrolment day"),
    ("org_invitations.used_day", "recipient enrolment day"),
    ("org_items.item_id", "item id"),
    (
        "org_items.kind",
        "kind of item for recipients (figures, forward, forward attachment)",
    ),
    ("org_items.report_id", "item id"),
    ("org_items.period", "figures period"),
    ("org_items.forward_id", "item id"),
    ("org_items.posted_day", "creation day"),
    ("org_items.sender", "advisor public key"),
    ("org_items.size", "padded size (sealed length)"),
    ("org_items.padded_len", "padded size"),
    ("org_items.item", "sealed item"),
    ("org_item_recipients.item_id", "item id"),
    ("org_item_recipients.public_key", "recipients' public keys"),
    ("report_events.seq", "report events"),
    ("report_events.report_id", "item id"),
    ("report_events.day", "report events"),
    ("report_events.event", "report events"),
    ("report_events.advisor_id", "which advisor acted"),
    ("report_events.detail", "report events"),
    ("report_days.day", "creation day"),
    ("report_days.count", "reports per day (for the quota)"),
    ("report_recipients.register_number", "register line"),
    ("report_recipients.public_key", "recipients' public keys"),
    ("messages.seq", "order in the thread"),
    ("messages.id", "item id"),
    ("messages.report_id", "item id"),
    ("messages.from_advisor", "which advisor acted"),
    ("messages.item", "sealed item"),
    ("messages.padded_len", "padded size"),
    ("messages.created_day", "creation day"),
    ("attachments.seq", "order in the thread"),
    ("attachments.id", "item id"),
    ("attachments.report_id", "item id"),
    ("attachments.from_advisor", "which advisor acted"),
    ("attachments.item_len", "padded size (sealed length)"),
    ("attachments.padded_len", "padded size"),
    ("attachments.created_day", "creation day"),
    ("report_access.report_id", "item id"),
    ("report_access.public_key", "key replacements"),
    ("key_grants.item_id", "item id"),
    ("key_grants.grantee", "key grant: grantee key"),
    ("key_grants.report_id", "item id"),
    ("key_grants.grantor", "key grant: grantor key"),
    ("key_grants.grant_bytes", "sealed key grant"),
    ("key_grants.created_day", "day the grant was stored"),
    // The information page (issue 13): public texts the operator stores,
    // nothing about a report.
    ("info_texts.part", "information page (public texts)"),
    ("info_texts.lang", "information page (public texts)"),
    ("info_texts.text", "information page (public texts)"),
    (
        "info_files.name",
        "information page (procedure PDF, channels)",
    ),
    (
        "info_files.body",
        "information page (procedure PDF, channels)",
    ),
    (
        "advisor_photos.advisor_id",
        "information page (advisor photo)",
    ),
    (
        "advisor_photos.content_type",
        "information page (advisor photo)",
    ),
    ("advisor_photos.photo", "information page (advisor photo)"),
    ("advisor_bios.advisor_id", "information page (advisor bio)"),
    ("advisor_bios.lang", "information page (advisor bio)"),
    ("advisor_bios.text", "information page (advisor bio)"),
];

fn columns(db: &rusqlite::Connection) -> Vec<String> {
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("schema")
        .query_map([], |r| r.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("tables");
    let mut all = Vec::new();
    for table in tables {
        let names: Vec<String> = db
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .expect("table info")
            .query_map([], |r| r.get(0))
            .expect("columns")
            .collect::<Result<_, _>>()
            .expect("columns");
        all.extend(names.into_iter().map(|c| format!("{table}.{c}")));
    }
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_database_holds_only_the_listed_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let mailbox = Mailbox::random();
    let item = mailbox.seal_report(&tenant, b"wat er gebeurde");
    assert_eq!(
        submit_report(&client(), &server, "acme", &mailbox.report_body(&item)).await,
        201
    );
    server.stop().await;

    let db = rusqlite::Connection::open(dir.path().join("tenants/acme/tenant.sqlite"))
        .expect("tenant database");
    let mut listed: Vec<String> = TENANT_COLUMNS
        .iter()
        .map(|(c, _)| (*c).to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        columns(&db),
        listed,
        "a column was added or removed: update threat-model.md's metadata list and this test"
    );
    // The days are days: no time of day anywhere.
    let day: String = db
        .query_row("SELECT created_day FROM reports", [], |r| r.get(0))
        .expect("a report");
    assert_eq!(day.len(), 10, "a day, not a time: {day}");
    // The auth secret is not stored, only its keyed hash.
    let hash: Vec<u8> = db
        .query_row("SELECT auth_hash FROM reports", [], |r| r.get(0))
        .expect("a report");
    assert_ne!(hash, mailbox.auth_secret.to_vec());
    assert!(!meldkluis_tests::contains(
        &std::fs::read(dir.path().join("tenants/acme/tenant.sqlite")).expect("read"),
        &mailbox.auth_secret
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_ins_are_limited_per_mailbox_and_overall() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |config| {
        config.login_burst_per_mailbox = 5;
        config.login_per_minute_per_mailbox = 1;
        config.login_per_second_global = 1000;
    })
    .await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let mailbox = Mailbox::random();
    let item = mailbox.seal_report(&tenant, b"x");
    assert_eq!(
        submit_report(&http, &server, "acme", &mailbox.report_body(&item)).await,
        201
    );
    let attempt = |body: Value| {
        let http = http.clone();
        let url = server.url("acme", "/mailbox/login");
        async move {
            let response = http.post(url).json(&body).send().await.expect("request");
            let status = response.status().as_u16();
            let text = response.text().await.expect("text");
            (status, text)
        }
    };
    let mut wrong = mailbox.login_body();
    wrong["auth_secret"] = Value::String(hex::encode([0u8; 32]));
    for _ in 0..5 {
        assert_eq!(attempt(wrong.clone()).await.0, 401, "a wrong secret");
    }
    // The sixth guess at this mailbox is refused before it is checked, even
    // with the right secret.
    let (status, text) = attempt(mailbox.login_body()).await;
    assert_eq!(status, 429, "{text}");
    assert!(text.contains("rate_limited"));
    // Another mailbox is not affected.
    let other = Mailbox::random();
    let item = other.seal_report(&tenant, b"y");
    assert_eq!(
        submit_report(&http, &server, "acme", &other.report_body(&item)).await,
        201
    );
    assert_eq!(attempt(other.login_body()).await.0, 200);
    server.stop().await;

    // Overall: a server allowing 3 log-ins per second refuses the rest of a
    // burst of guesses at many mailboxes.
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |config| {
        config.login_per_second_global = 3;
    })
    .await;
    TestTenant::create(&server.admin(), "acme", 1);
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let guess = Mailbox::random();
        let response = http
            .post(server.url("acme", "/mailbox/login"))
            .json(&guess.login_body())
            .send()
            .await
            .expect("request");
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 10,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_must_be_sealed_to_the_recovery_key_and_only_known_keys() {
    use meldkluis_crypto_core::{ItemKind, StaticKey, StaticSecret};
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let http = client();
    let stranger = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    type Recipients<'a> = Box<dyn Fn(&Mailbox) -> Vec<meldkluis_crypto_core::PublicKey> + 'a>;
    let cases: Vec<(&str, Recipients<'_>)> = vec![
        (
            "no recovery key",
            Box::new(|m| vec![m.key.public_key(), tenant.advisors[0].public_key()]),
        ),
        (
            "no mailbox key",
            Box::new(|_| {
                vec![
                    tenant.recovery.public_key(),
                    tenant.advisors[0].public_key(),
                ]
            }),
        ),
        (
            "no advisor",
            Box::new(|m| vec![m.key.public_key(), tenant.recovery.public_key()]),
        ),
        (
            "an unknown key",
            Box::new(|m| {
                let mut keys = m.recipients(&tenant, &tenant.advisor_keys());
                keys.push(stranger.public_key());
                keys
            }),
        ),
    ];
    for (what, recipients) in cases {
        let mailbox = Mailbox::random();
        let item = meldkluis_tests::seal(
            ItemKind::Report,
            &tenant.id,
            mailbox.report_id,
            mailbox.report_id,
            &mailbox.key,
            &recipients(&mailbox),
            b"inhoud",
        );
        let status = submit_report(&http, &server, "acme", &mailbox.report_body(&item)).await;
        assert_eq!(status, 400, "{what}");
    }
    assert_eq!(
        server
            .admin()
            .show_tenant(&tenant.id)
            .expect("tenant")
            .report_count,
        0,
        "none was stored"
    );
    server.stop().await;
}
