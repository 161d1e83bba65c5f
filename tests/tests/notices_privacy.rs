//! The e-mail store is apart from the reports. After a full run (addresses
//! given at submission and later, notices sent through a refusal whose
//! reply text quotes the address, an advisor's digest), the tenant database
//! and the e-mail store are read side by side: no column or value of the
//! e-mail store equals or contains anything of the tenant database or a
//! keyless derivation of it (hash, hex, base64), while with the notice key
//! the link is found at once. No address is in any file under the data
//! directory, in any log line (at the most verbose level), or in any answer
//! to an advisor.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use meldkluis_crypto_core::StaticKey;
use meldkluis_server::clock::{Day, ManualClock};
use meldkluis_server::notices::{EmailAddress, NoticeKey};
use meldkluis_tests::smtp::{SinkOptions, SmtpSink};
use meldkluis_tests::{
    advisor_login, advisor_post_message, advisor_set_status, client, contains, files_under,
    mailbox_login, notices_to_sink, submit_report, wait_outbox_empty, Mailbox, TestServer,
    TestTenant,
};
use rusqlite::types::ValueRef;
use serde_json::json;
use sha2::Digest as _;

const WAIT: Duration = Duration::from_secs(30);

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every (table, column, value) of a database, read-only.
fn every_value(path: &Path) -> Vec<(String, String, Vec<u8>)> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("names");
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .expect("select");
        let columns: Vec<String> = stmt
            .column_names()
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            for (i, column) in columns.iter().enumerate() {
                let bytes = match row.get_ref(i).expect("value") {
                    ValueRef::Blob(b) => b.to_vec(),
                    ValueRef::Text(t) => t.to_vec(),
                    ValueRef::Integer(n) => n.to_string().into_bytes(),
                    ValueRef::Real(f) => f.to_string().into_bytes(),
                    ValueRef::Null => continue,
                };
                out.push((table.clone(), column.clone(), bytes));
            }
        }
    }
    out
}

/// Every `table.column` of a database.
fn schema(path: &Path) -> BTreeSet<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let mut out = BTreeSet::new();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("names");
    for table in tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .expect("info")
            .query_map([], |r| r.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("columns");
        for column in columns {
            out.insert(format!("{table}.{column}"));
        }
    }
    out
}

/// What anyone can compute from a value without a key: the value, its hex
/// and base64 forms, and SHA-256 of it alone and with the tenant id before.
fn keyless(value: &[u8], tenant: &str) -> Vec<Vec<u8>> {
    let mut with_tenant = tenant.as_bytes().to_vec();
    with_tenant.extend_from_slice(value);
    vec![
        value.to_vec(),
        hex::encode(value).into_bytes(),
        hex::encode_upper(value).into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(value)
            .into_bytes(),
        sha2::Sha256::digest(value).to_vec(),
        sha2::Sha256::digest(&with_tenant).to_vec(),
        sha2::Sha256::digest(hex::encode(value)).to_vec(),
    ]
}

fn is_day(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(|s| Day::parse(s).is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_address_links_to_a_report_without_the_notice_key() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let today = Day::parse("2026-11-24").expect("valid");
    let clock = Arc::new(ManualClock::at(today, 5));
    let sink_dir = tempfile::tempdir().expect("tempdir");
    // The first try is refused with a reply that quotes the address.
    let sink = SmtpSink::start(
        sink_dir.path(),
        &SinkOptions {
            script: vec!["554".into()],
            ..SinkOptions::default()
        },
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |c| {
        notices_to_sink(c, sink.port);
        // The clock stands still: no delay, or nothing would fall due.
        c.notices.delay_max_secs = 0.0;
    })
    .await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "privacy-corp", 2);
    let t = tenant.id.as_str();
    let addresses = [
        "first.reporter@example.org",
        "second.reporter@example.org",
        "the.advisor@example.org",
    ];
    admin
        .set_advisor_email(
            &tenant.id,
            &tenant.advisors[0].public_key(),
            Some((
                &EmailAddress::parse(addresses[2]).expect("valid"),
                meldkluis_server::error::negotiate_lang(None, None),
            )),
        )
        .expect("advisor address");

    let http = client();
    let mut mailboxes = Vec::new();
    for (i, address) in [Some(addresses[0]), None, None].into_iter().enumerate() {
        let mailbox = Mailbox::random();
        let mut body = mailbox.report_body(&mailbox.seal_report(&tenant, b"CANARY"));
        if let Some(address) = address {
            body["notice_email"] = json!(address);
        }
        assert_eq!(
            submit_report(&http, &server, t, &body).await,
            201,
            "report {i}"
        );
        mailboxes.push(mailbox);
    }
    let token = mailbox_login(&http, &server, t, &mailboxes[1]).await;
    let put = http
        .put(server.url(t, "/mailbox/notice-email"))
        .bearer_auth(&token)
        .json(&json!({ "address": addresses[1], "language": "en" }))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200);

    let advisor = &tenant.advisors[0];
    let advisor_token = advisor_login(&http, &server, &tenant.id, advisor).await;
    assert_eq!(
        advisor_post_message(
            &http,
            &server,
            &tenant,
            &advisor_token,
            advisor,
            &mailboxes[0],
            b"m"
        )
        .await,
        201
    );
    // The third report stays new: its acknowledgement is due within the
    // week, so the advisor's digest lists it.
    for mailbox in &mailboxes[1..2] {
        assert_eq!(
            advisor_set_status(
                &http,
                &server,
                &tenant,
                &advisor_token,
                mailbox.report_id,
                "acknowledged",
                None
            )
            .await,
            200
        );
    }
    // The refused notice waits for its retry time: the clock must move.
    sink.wait_for_transactions(2, WAIT);
    clock.advance(1);
    sink.wait_for(2, WAIT);
    clock.set(today, 7);
    let mails = sink.wait_for(3, WAIT);
    wait_outbox_empty(&server, WAIT).await;
    assert!(
        mails.iter().any(|m| m.rcpt_to == [addresses[2]]),
        "the digest went out"
    );
    assert_eq!(
        sink.transactions()[0].0,
        "554",
        "a refusal quoting the address came first"
    );

    // Nothing an advisor is answered carries an address.
    let mut answers = Vec::new();
    for path in std::iter::once("/advisor/reports".to_owned()).chain(
        mailboxes
            .iter()
            .map(|m| format!("/advisor/reports/{}", m.report_id.to_hex())),
    ) {
        let response = http
            .get(server.url(t, &path))
            .bearer_auth(&advisor_token)
            .send()
            .await
            .expect("advisor request");
        assert_eq!(response.status(), 200);
        answers.push(response.bytes().await.expect("body").to_vec());
    }
    let config = server.config.clone();
    // Keeps the notice key (beside the data directory) past the stop.
    let _secrets = server.secrets.clone();
    server.stop().await;

    // No address anywhere: files under the data directory, answers, logs.
    let files = files_under(dir.path());
    assert!(files.iter().any(|f| f.ends_with("notices.sqlite")));
    let log_text = logs.0.lock().expect("logs").clone();
    assert!(
        contains(&log_text, b"notice delivery failed"),
        "the refusal was logged"
    );
    assert!(contains(&log_text, b"permanent reply 554"), "with its code");
    for address in addresses {
        let local = address.split('@').next().expect("local part");
        for file in &files {
            let bytes = std::fs::read(file).expect("read");
            for needle in [
                address.as_bytes(),
                local.as_bytes(),
                local.to_uppercase().as_bytes(),
            ] {
                assert!(!contains(&bytes, needle), "{address} in {}", file.display());
            }
        }
        for answer in &answers {
            assert!(!contains(answer, local.as_bytes()));
        }
        assert!(
            !contains(&log_text, local.as_bytes()),
            "{address} in the log"
        );
    }
    assert!(
        !contains(&log_text, b"refused by the test script"),
        "no reply text in the log"
    );

    // The e-mail store's shape: keyed lookups, kinds, ciphertext, times.
    let notices_db = dir.path().join("notices.sqlite");
    let tenant_db = dir.path().join("tenants").join(t).join("tenant.sqlite");
    let expected: BTreeSet<String> = [
        "addresses.lookup",
        "addresses.kind",
        "addresses.sealed",
        "outbox.id",
        "outbox.kind",
        "outbox.recipient",
        "outbox.dedupe",
        "outbox.next_attempt",
        "outbox.attempts",
        "outbox.give_up_at",
        "outbox.sealed",
        "digest_days.day",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(schema(&notices_db), expected);
    let notices_raw = std::fs::read(&notices_db).expect("read");
    assert!(
        !contains(&notices_raw, t.as_bytes()),
        "no tenant id in the e-mail store"
    );
    assert!(!contains(&notices_raw, b"Tenant privacy-corp"));

    // Side by side: nothing in one is, contains or is contained in anything
    // computable from the other without the key.
    let tenant_values = every_value(&tenant_db);
    let notice_values = every_value(&notices_db);
    assert!(notice_values
        .iter()
        .any(|(table, _, _)| table == "addresses"));
    let mut linkable: Vec<(String, Vec<u8>)> = Vec::new();
    for (table, column, value) in &tenant_values {
        if value.len() < 16 || is_day(value) {
            continue;
        }
        for derived in keyless(value, t) {
            linkable.push((format!("{table}.{column}"), derived));
        }
    }
    assert!(linkable.iter().any(|(c, _)| c == "reports.mailbox_id"));
    for (table, column, value) in &notice_values {
        if value.len() < 16 {
            assert!(
                table == "digest_days"
                    || matches!(
                        column.as_str(),
                        "kind" | "attempts" | "next_attempt" | "give_up_at"
                    ),
                "{table}.{column} holds a short value"
            );
            continue;
        }
        for (source, derived) in &linkable {
            assert!(
                !contains(value, derived) && !contains(derived, value),
                "{table}.{column} links to {source}"
            );
        }
    }
    let tenant_raw = std::fs::read(&tenant_db).expect("read");
    for (table, column, value) in &notice_values {
        if value.len() >= 16 {
            assert!(
                !contains(&tenant_raw, value),
                "{table}.{column} in the tenant file"
            );
        }
    }

    // With the notice key, the link is found: the key is what separates.
    let (key, _) = NoticeKey::load(&config, |_| None)
        .expect("read the key")
        .expect("a key exists");
    let lookups: BTreeSet<Vec<u8>> = notice_values
        .iter()
        .filter(|(table, column, _)| table == "addresses" && column == "lookup")
        .map(|(_, _, v)| v.clone())
        .collect();
    assert_eq!(lookups.len(), 3, "two reporters and an advisor");
    for (mailbox, has_address) in mailboxes.iter().zip([true, true, false]) {
        let lookup = key.reporter_lookup(&tenant.id, &mailbox.id);
        assert_eq!(lookups.contains(lookup.as_slice()), has_address);
    }
    assert!(lookups.contains(
        key.advisor_lookup(&tenant.id, &advisor.public_key())
            .as_slice()
    ));
    // The key file is not under the data directory.
    assert!(!config.notice_key_path().starts_with(dir.path()));
}
