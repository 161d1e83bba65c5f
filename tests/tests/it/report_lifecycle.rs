//! A report's end (issue 11 §2–§3) against the real server: closing needs
//! a reason and is recorded, reopening too; a longer hold is checked,
//! recorded and seen by every advisor of the tenant on the register; the
//! reporter's mailbox shows closure, deletion day and the silence warning
//! and nothing of the advisors' bookkeeping; closing sends the closure
//! notice and keeps no address; and the daily lifecycle deletes a report
//! so that none of its bytes stays in the tenant's database file or WAL,
//! its attachment file is gone, its mailbox looks unknown, and only its
//! register line remains — while a held or reopened report stays.

use std::sync::Arc;
use std::time::Duration;

use meldkluis_crypto_core::{ItemKind, StaticKey, StaticSecret};
use meldkluis_server::clock::{Clock as _, Day, ManualClock, SystemClock};
use meldkluis_server::deletion_log::{DeletionLog, Entry};
use meldkluis_server::lifecycle::run_day;
use meldkluis_server::Config;
use meldkluis_tests::smtp::{SinkOptions, SmtpSink};
use meldkluis_tests::{
    advisor_login, b64, client, contains, grant_from, mailbox_login, new_item_id, notices_to_sink,
    post_grants, seal, submit_report, submit_sealed, Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

/// A report sealed to `advisors` (indices), with extra JSON body fields;
/// returns the sealed item.
async fn submit(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    mailbox: &Mailbox,
    advisors: &[usize],
    extra: Value,
) -> Vec<u8> {
    let (item, status, _) = submit_sealed(
        http,
        server,
        tenant,
        mailbox,
        advisors,
        &vec![0x42; 3000],
        extra,
    )
    .await;
    assert_eq!(status, 201, "report accepted");
    item
}

/// A server on a manual clock standing at `hour`:00 today, with a tenant
/// "acme" of `advisors` advisors: (its directory, today, the clock, the
/// server, the tenant, a client). Bind the directory first, so that it is
/// removed after the server has stopped.
type Setup = (
    tempfile::TempDir,
    Day,
    Arc<ManualClock>,
    TestServer,
    TestTenant,
    reqwest::Client,
);

async fn setup(hour: u32, advisors: usize, tweak: impl FnOnce(&mut Config)) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let today = SystemClock.today();
    let clock = Arc::new(ManualClock::at(today, hour));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), tweak).await;
    let tenant = TestTenant::create(&server.admin(), "acme", advisors);
    (dir, today, clock, server, tenant, client())
}

/// An SMTP sink and its directory.
fn sink() -> (tempfile::TempDir, SmtpSink) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start(dir.path(), &SinkOptions::default());
    (dir, sink)
}

/// A message in `mailbox`'s report from `sender`, sealed to the mailbox,
/// the recovery key and every advisor.
fn message(
    tenant: &TestTenant,
    mailbox: &Mailbox,
    sender: &dyn StaticKey,
    content: &[u8],
) -> Vec<u8> {
    let recipients = mailbox.recipients(tenant, &tenant.advisor_keys());
    seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        sender,
        &recipients,
        content,
    )
}

/// One bearer token (an advisor's or a reporter's) at one tenant: the
/// requests the tests make with it.
struct Session<'a> {
    http: &'a reqwest::Client,
    server: &'a TestServer,
    tenant: &'a TestTenant,
    token: String,
}

impl<'a> Session<'a> {
    /// An advisor logged in with `key`.
    async fn advisor(
        http: &'a reqwest::Client,
        server: &'a TestServer,
        tenant: &'a TestTenant,
        key: &StaticSecret,
    ) -> Self {
        let token = advisor_login(http, server, &tenant.id, key).await;
        Self {
            http,
            server,
            tenant,
            token,
        }
    }

    /// The reporter logged in to `mailbox`.
    async fn reporter(
        http: &'a reqwest::Client,
        server: &'a TestServer,
        tenant: &'a TestTenant,
        mailbox: &Mailbox,
    ) -> Self {
        let token = mailbox_login(http, server, tenant.id.as_str(), mailbox).await;
        Self {
            http,
            server,
            tenant,
            token,
        }
    }

    /// A request to the tenant's `path`: (status, JSON or Null).
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = self.server.url(self.tenant.id.as_str(), path);
        let mut request = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("answer");
        if text.is_empty() {
            return (status, Value::Null);
        }
        // Strictly: a key sent twice would break every derived reader (the
        // console's), though `Value` alone would take the last one.
        let value = meldkluis_tests::strict_json(&text)
            .unwrap_or_else(|e| panic!("answer is not strict JSON ({e}): {text}"));
        (status, value)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// `/advisor/reports/{report}` + `rest` of `mailbox`'s report.
    fn report_path(mailbox: &Mailbox, rest: &str) -> String {
        format!("/advisor/reports/{}{rest}", mailbox.report_id.to_hex())
    }

    async fn put_status(&self, mailbox: &Mailbox, body: Value) -> (u16, Value) {
        let path = Self::report_path(mailbox, "/status");
        self.call(reqwest::Method::PUT, &path, Some(body)).await
    }

    /// Closes `mailbox`'s report with the reason "resolved".
    async fn close(&self, mailbox: &Mailbox) -> (u16, Value) {
        let body = json!({ "status": "closed", "closing_reason": "resolved" });
        self.put_status(mailbox, body).await
    }

    async fn put_hold(&self, mailbox: &Mailbox, body: Value) -> (u16, Value) {
        let path = Self::report_path(mailbox, "/hold");
        self.call(reqwest::Method::PUT, &path, Some(body)).await
    }

    /// An advisor posts a sealed message `item` into `mailbox`'s report.
    async fn post_message(&self, mailbox: &Mailbox, item: &[u8]) -> (u16, Value) {
        let path = Self::report_path(mailbox, "/messages");
        let body = json!({ "item": b64(item) });
        self.call(reqwest::Method::POST, &path, Some(body)).await
    }

    /// The reporter posts a sealed message `item` into their mailbox.
    async fn post_mailbox_message(&self, item: &[u8]) -> (u16, Value) {
        let body = json!({ "item": b64(item) });
        self.call(reqwest::Method::POST, "/mailbox/messages", Some(body))
            .await
    }

    async fn thread(&self, mailbox: &Mailbox) -> (u16, Value) {
        self.get(&Self::report_path(mailbox, "")).await
    }

    /// The register line of a report number.
    async fn register_line(&self, number: i64) -> Value {
        let (status, register) = self.get("/advisor/register").await;
        assert_eq!(status, 200, "{register}");
        register["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|line| line["number"] == number)
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// Whether the e-mail store holds an address for `mailbox`'s reporter.
async fn has_address(server: &TestServer, tenant: &TestTenant, mailbox: &Mailbox) -> bool {
    server
        .state
        .notices()
        .reporter_address(&tenant.id, &mailbox.id)
        .await
        .expect("e-mail store")
        .is_some()
}

/// A mailbox log-in's answer: (status, body).
async fn mailbox_login_answer(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    mailbox: &Mailbox,
) -> (u16, Value) {
    let response = http
        .post(server.url(tenant.id.as_str(), "/mailbox/login"))
        .json(&mailbox.login_body())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_needs_a_reason_and_reopening_is_recorded() {
    let (_dir, today, clock, server, tenant, http) = setup(9, 1, |_| {}).await;
    let mailbox = Mailbox::random();
    submit(&http, &server, &tenant, &mailbox, &[0], json!({})).await;
    let advisor = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;

    // Refused, each with a 400 and a code that says why.
    for (body, code) in [
        (json!({ "status": "closed" }), "closing_reason_required"),
        (
            json!({ "status": "closed", "closing_reason": "bored" }),
            "closing_reason_required",
        ),
        (
            json!({ "status": "archived", "closing_reason": "resolved" }),
            "invalid_status_change",
        ),
        (json!({ "status": "archived" }), "invalid_status_change"),
        (
            json!({ "status": "in_progress", "closing_reason": "resolved" }),
            "invalid_status_change",
        ),
    ] {
        let (status_code, answer) = advisor.put_status(&mailbox, body.clone()).await;
        assert_eq!(status_code, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        assert!(answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let (_, thread) = advisor.thread(&mailbox).await;
    assert_eq!(thread["status"], "new", "nothing refused changed anything");
    assert_eq!(thread["events"], json!([]));
    assert_eq!(thread["register_number"], 1);

    // Closed with a reason: the day, the reason, the deletion day (the
    // default retention of 12 months), a `closed` event, the register.
    let (code, answer) = advisor
        .put_status(
            &mailbox,
            json!({ "status": "closed", "closing_reason": "withdrawn" }),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["closed_day"], today.to_string());
    let (_, thread) = advisor.thread(&mailbox).await;
    assert_eq!(thread["closing_reason"], "withdrawn");
    assert_eq!(thread["closed_day"], today.to_string());
    assert_eq!(thread["deletion_day"], today.add_months(12).to_string());
    assert_eq!(thread["events"][0]["event"], "closed");
    assert_eq!(thread["events"][0]["detail"], "withdrawn");
    assert_eq!(thread["events"][0]["day"], today.to_string());
    assert!(thread["events"][0]["advisor_id"].is_i64());
    let line = advisor.register_line(1).await;
    assert_eq!(line["closing_reason"], "withdrawn");
    assert_eq!(line["closed_day"], today.to_string());
    assert_eq!(line["deletion_day"], today.add_months(12).to_string());

    // The mailbox sees the closure and the deletion day, and nothing of
    // the advisors' bookkeeping.
    let reporter = Session::reporter(&http, &server, &tenant, &mailbox).await;
    let (code, mailbox_thread) = reporter.get("/mailbox").await;
    assert_eq!(code, 200);
    assert_eq!(mailbox_thread["closing_reason"], "withdrawn");
    assert_eq!(mailbox_thread["closed_day"], today.to_string());
    assert_eq!(
        mailbox_thread["deletion_day"],
        today.add_months(12).to_string()
    );
    assert_eq!(mailbox_thread["silence_warning"], Value::Null);
    for advisor_only in [
        "events",
        "register_number",
        "hold",
        "silent_since",
        "silence_close_offered",
        "grants",
    ] {
        assert!(
            mailbox_thread.get(advisor_only).is_none(),
            "the mailbox shows {advisor_only}: {mailbox_thread}"
        );
    }

    // Archived later: the closing day stays.
    clock.set(today.add_days(3), 9);
    let (code, _) = advisor
        .put_status(&mailbox, json!({ "status": "archived" }))
        .await;
    assert_eq!(code, 200);
    let (_, thread) = advisor.thread(&mailbox).await;
    assert_eq!(thread["closed_day"], today.to_string());
    assert_eq!(thread["closing_reason"], "withdrawn");

    // Reopened: the closure is gone from report and register, recorded.
    clock.set(today.add_days(5), 9);
    let (code, _) = advisor
        .put_status(&mailbox, json!({ "status": "in_progress" }))
        .await;
    assert_eq!(code, 200);
    let (_, thread) = advisor.thread(&mailbox).await;
    assert_eq!(thread["closed_day"], Value::Null);
    assert_eq!(thread["closing_reason"], Value::Null);
    assert_eq!(thread["deletion_day"], Value::Null);
    let events: Vec<&str> = thread["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(events, ["closed", "reopened"]);
    assert_eq!(thread["events"][1]["day"], today.add_days(5).to_string());
    let line = advisor.register_line(1).await;
    assert_eq!(line["closing_reason"], Value::Null);
    assert_eq!(line["closed_day"], Value::Null);
    assert_eq!(line["deletion_day"], Value::Null);

    // A category disclosed later is on the register line too.
    let (code, _) = advisor
        .call(
            reqwest::Method::PUT,
            &Session::report_path(&mailbox, "/category"),
            Some(json!({ "category": "pesten" })),
        )
        .await;
    assert_eq!(code, 200);
    let line = advisor.register_line(1).await;
    assert_eq!(line["category"], "pesten");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_is_checked_recorded_and_seen_by_every_advisor() {
    let (_dir, today, _, server, tenant, http) = setup(9, 2, |_| {}).await;
    // Sealed to advisor 0 only: advisor 1 never sees the report itself.
    let mailbox = Mailbox::random();
    submit(&http, &server, &tenant, &mailbox, &[0], json!({})).await;
    let on_report = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let other = Session::advisor(&http, &server, &tenant, &tenant.advisors[1]).await;

    let later = today.add_months(24).to_string();
    for body in [
        json!({ "until": today.to_string(), "reason": "legal_proceedings" }),
        json!({ "until": today.add_days(-1).to_string(), "reason": "legal_proceedings" }),
        json!({ "until": today.add_months(120).add_days(1).to_string(), "reason": "other" }),
        json!({ "until": "2030-02-30", "reason": "other" }),
        json!({ "until": later, "reason": "because" }),
        json!({ "until": later }),
        json!({ "until": null, "reason": "other" }),
        json!({ "until": later, "reason": "other", "note": "free text" }),
    ] {
        let (code, answer) = on_report.put_hold(&mailbox, body.clone()).await;
        assert_eq!(code, 400, "{body}: {answer}");
        let expected = if body.get("note").is_some() {
            "invalid_json"
        } else {
            "invalid_hold"
        };
        assert_eq!(answer["error"]["code"], expected, "{body}: {answer}");
    }
    // Only an advisor who sees the report sets or removes its hold.
    let (code, _) = other
        .put_hold(&mailbox, json!({ "until": later, "reason": "other" }))
        .await;
    assert_eq!(code, 404);

    let (code, answer) = on_report
        .put_hold(
            &mailbox,
            json!({ "until": later, "reason": "legal_proceedings" }),
        )
        .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(
        answer["hold"],
        json!({ "until": later, "reason": "legal_proceedings" })
    );
    let (_, thread) = on_report.thread(&mailbox).await;
    assert_eq!(
        thread["hold"],
        json!({ "until": later, "reason": "legal_proceedings" })
    );
    assert_eq!(thread["events"][0]["event"], "hold_set");
    assert_eq!(
        thread["events"][0]["detail"],
        format!("legal_proceedings:{later}")
    );

    // The advisor not on the report sees the hold on the register, in
    // JSON and CSV, and nothing else of the report.
    let (code, _) = other.thread(&mailbox).await;
    assert_eq!(code, 404);
    let line = other.register_line(1).await;
    assert_eq!(line["hold_until"], later);
    assert_eq!(line["hold_reason"], "legal_proceedings");
    let csv = http
        .get(server.url(tenant.id.as_str(), "/advisor/register.csv"))
        .bearer_auth(&other.token)
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().expect("type"),
        "text/csv; charset=utf-8"
    );
    let csv = csv.text().await.expect("text");
    let mut rows = csv.split("\r\n");
    assert_eq!(
        rows.next(),
        Some("number,received_day,category,closing_reason,closed_day,hold_until,hold_reason,deletion_day,deleted_day,acknowledged_day,feedback_day,channel")
    );
    assert_eq!(
        rows.next(),
        Some(format!("1,{today},,,,{later},legal_proceedings,,,,,web").as_str())
    );
    // A removed advisor's session reads no register.
    let third = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let admin = server.admin();
    admin
        .add_advisor(&tenant.id, &third.public_key(), "Advisor 2")
        .expect("add");
    let removed = Session::advisor(&http, &server, &tenant, &third).await;
    let (code, _) = removed.get("/advisor/register").await;
    assert_eq!(code, 200);
    admin
        .remove_advisor(&tenant.id, &third.public_key())
        .expect("remove");
    let (code, _) = removed.get("/advisor/register").await;
    assert_eq!(code, 401);
    let (code, _) = removed.get("/advisor/register.csv").await;
    assert_eq!(code, 401);
    // Without a session, no register.
    let anonymous = http
        .get(server.url(tenant.id.as_str(), "/advisor/register"))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);

    // Closed, the hold sets the deletion day; removed, the retention does.
    let (code, _) = on_report.close(&mailbox).await;
    assert_eq!(code, 200);
    let line = other.register_line(1).await;
    assert_eq!(line["deletion_day"], later);
    let (code, answer) = on_report.put_hold(&mailbox, json!({ "until": null })).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["hold"], Value::Null);
    assert_eq!(answer["deletion_day"], today.add_months(12).to_string());
    let (_, thread) = on_report.thread(&mailbox).await;
    let events: Vec<&str> = thread["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(events, ["hold_set", "closed", "hold_removed"]);
}

/// A distinctive 32-byte slice of a sealed item: from its ciphertext, past
/// the header.
fn slice_of(item: &[u8]) -> Vec<u8> {
    let at = item.len() - 64;
    item[at..at + 32].to_vec()
}

/// The tenant database file and its WAL, raw.
fn tenant_bytes(server: &TestServer, tenant: &TestTenant) -> (Vec<u8>, Vec<u8>) {
    let db = server.state.tenants().layout().tenant_db(&tenant.id);
    let wal = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
    (std::fs::read(&db).expect("tenant database"), wal)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_leaves_no_byte_of_the_report_in_the_database_or_its_wal() {
    let (_dir, start, clock, server, tenant, http) = setup(9, 3, |_| {}).await;
    let t = tenant.id.as_str();

    // The report to delete: a report, a message each way, an attachment,
    // key grants; and a report that stays.
    let gone = Mailbox::random();
    let report = submit(
        &http,
        &server,
        &tenant,
        &gone,
        &[0, 1],
        json!({ "notice_email": "reporter@example.org" }),
    )
    .await;
    let stays = Mailbox::random();
    let kept_report = submit(&http, &server, &tenant, &stays, &[0, 1], json!({})).await;
    let reporter = Session::reporter(&http, &server, &tenant, &gone).await;
    let recipients = gone.recipients(&tenant, &tenant.advisor_keys()[..2]);
    let reporter_message = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        gone.report_id,
        &gone.key,
        &recipients,
        &vec![0x17; 2500],
    );
    let (code, _) = reporter.post_mailbox_message(&reporter_message).await;
    assert_eq!(code, 201);
    let attachment_id = new_item_id();
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        attachment_id,
        gone.report_id,
        &gone.key,
        &recipients,
        &vec![0x5a; 70_000],
    );
    let uploaded = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&reporter.token)
        .body(attachment.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 201);
    let advisor = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let advisor_message = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        gone.report_id,
        &tenant.advisors[0],
        &recipients,
        &vec![0x33; 2500],
    );
    let (code, _) = advisor.post_message(&gone, &advisor_message).await;
    assert_eq!(code, 201);
    let grants: Vec<Vec<u8>> = [&report, &reporter_message, &advisor_message]
        .iter()
        .map(|item| {
            grant_from(
                &tenant,
                &tenant.advisors[0],
                item,
                &tenant.advisors[2].public_key(),
            )
        })
        .collect();
    let (code, answer) = post_grants(
        &http,
        &server,
        &tenant.id,
        &advisor.token,
        &gone.report_id.to_hex(),
        &grants,
    )
    .await;
    assert_eq!(code, 200, "{answer}");

    // Closed today: the closure notice takes the reporter's address along.
    let (code, _) = advisor.close(&gone).await;
    assert_eq!(code, 200);
    assert!(!has_address(&server, &tenant, &gone).await);

    // The reporter leaves an address again after closure: the deletion
    // takes it along.
    let (code, _) = reporter
        .call(
            reqwest::Method::PUT,
            "/mailbox/notice-email",
            Some(json!({ "address": "again@example.org" })),
        )
        .await;
    assert_eq!(code, 200);

    let mut canaries: Vec<(&str, Vec<u8>)> = vec![
        ("report", slice_of(&report)),
        ("reporter message", slice_of(&reporter_message)),
        ("advisor message", slice_of(&advisor_message)),
    ];
    for (i, grant) in grants.iter().enumerate() {
        canaries.push((
            ["report grant", "message grant", "reply grant"][i],
            slice_of(grant),
        ));
    }
    canaries.push(("mailbox id", gone.id.to_vec()));
    canaries.push(("report id", gone.report_id.0.to_vec()));
    canaries.push(("attachment id", attachment_id.0.to_vec()));
    // The test can see them: before deletion each is in the file or WAL.
    let (db, wal) = tenant_bytes(&server, &tenant);
    for (what, canary) in &canaries {
        assert!(
            contains(&db, canary) || contains(&wal, canary),
            "{what} is stored before deletion"
        );
    }
    let attachment_file = server
        .state
        .tenants()
        .layout()
        .attachments_dir(&tenant.id)
        .join(format!("{}.item", attachment_id.to_hex()));
    assert_eq!(std::fs::read(&attachment_file).expect("file"), attachment);

    assert!(has_address(&server, &tenant, &gone).await);

    // A day before the end of retention, nothing goes.
    let deletion_day = start.add_months(12);
    clock.set(deletion_day.add_days(-1), 3);
    let report_run = run_day(&server.state, deletion_day.add_days(-1))
        .await
        .expect("lifecycle");
    assert_eq!(report_run.reports_deleted, 0);
    let (code, deletions) = advisor.get("/advisor/deletions").await;
    assert_eq!(code, 200);
    assert_eq!(deletions[0]["report_id"], gone.report_id.to_hex());
    assert_eq!(deletions[0]["deletion_day"], deletion_day.to_string());
    assert_eq!(deletions[0]["days_left"], 1);
    assert_eq!(deletions[0]["register_number"], 1);

    // On the day, it goes.
    clock.set(deletion_day, 3);
    let report_run = run_day(&server.state, deletion_day)
        .await
        .expect("lifecycle");
    assert_eq!(report_run.reports_deleted, 1);
    assert_eq!(report_run.failed, 0);
    let (db, wal) = tenant_bytes(&server, &tenant);
    for (what, canary) in &canaries {
        assert!(
            !contains(&db, canary),
            "{what} is still in the database file"
        );
        assert!(!contains(&wal, canary), "{what} is still in the WAL");
    }
    assert!(!attachment_file.exists(), "the attachment file is gone");
    // The freed pages went back to the file system (incremental vacuum).
    let reader = rusqlite::Connection::open(server.state.tenants().layout().tenant_db(&tenant.id))
        .expect("open");
    let free: i64 = reader
        .query_row("PRAGMA freelist_count", [], |r| r.get(0))
        .expect("freelist");
    assert_eq!(free, 0, "no free page is left in the file");
    drop(reader);
    assert!(!has_address(&server, &tenant, &gone).await);
    // The other report is untouched.
    assert!(contains(&db, &slice_of(&kept_report)) || contains(&wal, &slice_of(&kept_report)));
    let (code, _) = advisor.thread(&stays).await;
    assert_eq!(code, 200);

    // What remains: the register line, with its deletion day, and the
    // deletion log's entry.
    let line = advisor.register_line(1).await;
    assert_eq!(line["deleted_day"], deletion_day.to_string());
    assert_eq!(line["closing_reason"], "resolved");
    assert_eq!(line["closed_day"], start.to_string());
    assert_eq!(line["received_day"], start.to_string());
    assert_eq!(line["deletion_day"], Value::Null);
    let log = DeletionLog::read(&server.config.deletion_log_path()).expect("log");
    assert!(log.contains(&Entry::Report {
        day: deletion_day,
        tenant: tenant.id.clone(),
        report_id: gone.report_id.0,
    }));
    let (code, _) = advisor.thread(&gone).await;
    assert_eq!(code, 404);

    // Running the day again deletes nothing twice.
    let again = run_day(&server.state, deletion_day)
        .await
        .expect("lifecycle");
    assert_eq!(again.reports_deleted, 0);

    // At the end of the register period, the line goes too.
    let register_end = start.add_months(60);
    let report_run = run_day(&server.state, register_end)
        .await
        .expect("lifecycle");
    assert_eq!(report_run.register_lines_deleted, 1);
    assert_eq!(advisor.register_line(1).await, Value::Null);
    let log = DeletionLog::read(&server.config.deletion_log_path()).expect("log");
    assert!(log.contains(&Entry::Register {
        day: register_end,
        tenant: tenant.id.clone(),
        number: 1,
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_and_reopened_reports_stay_and_a_deleted_mailbox_looks_unknown() {
    let (_dir, start, clock, server, tenant, http) = setup(9, 2, |_| {}).await;
    let (held, reopened, deleted) = (Mailbox::random(), Mailbox::random(), Mailbox::random());
    submit(&http, &server, &tenant, &held, &[0], json!({})).await;
    submit(&http, &server, &tenant, &reopened, &[0], json!({})).await;
    submit(&http, &server, &tenant, &deleted, &[0], json!({})).await;
    let on_reports = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let other = Session::advisor(&http, &server, &tenant, &tenant.advisors[1]).await;
    for mailbox in [&held, &reopened, &deleted] {
        let (code, _) = on_reports.close(mailbox).await;
        assert_eq!(code, 200);
    }
    let hold_until = start.add_months(30);
    let (code, _) = on_reports
        .put_hold(
            &held,
            json!({ "until": hold_until.to_string(), "reason": "legal_proceedings" }),
        )
        .await;
    assert_eq!(code, 200);
    // Reopened a month later, and never closed again.
    clock.set(start.add_months(1), 9);
    let (code, _) = on_reports
        .put_status(&reopened, json!({ "status": "in_progress" }))
        .await;
    assert_eq!(code, 200);

    // The advisor who does not see the held report sees its hold on the
    // register, and cannot lift it.
    let line = other.register_line(1).await;
    assert_eq!(line["hold_until"], hold_until.to_string());
    assert_eq!(line["deletion_day"], hold_until.to_string());
    let (code, _) = other.put_hold(&held, json!({ "until": null })).await;
    assert_eq!(code, 404);

    // The deleted report's reporter is logged in when it goes.
    let session = Session::reporter(&http, &server, &tenant, &deleted).await;
    let (code, _) = session.get("/mailbox").await;
    assert_eq!(code, 200);

    // Past the retention period: only the closed, unheld report goes.
    let unknown = Mailbox::random();
    let unknown_answer = mailbox_login_answer(&http, &server, &tenant, &unknown).await;
    assert_eq!(unknown_answer.0, 401);
    let past = start.add_months(13);
    clock.set(past, 3);
    let run = run_day(&server.state, past).await.expect("lifecycle");
    assert_eq!(run.reports_deleted, 1);
    for (mailbox, present) in [(&held, true), (&reopened, true), (&deleted, false)] {
        let (code, _) = on_reports.thread(mailbox).await;
        assert_eq!(code, if present { 200 } else { 404 });
    }
    // Their session ended with it.
    let (code, answer) = session.get("/mailbox").await;
    assert_eq!(code, 401, "{answer}");
    // The deleted report's mailbox answers exactly as an unknown one.
    assert_eq!(
        mailbox_login_answer(&http, &server, &tenant, &deleted).await,
        unknown_answer
    );
    let (code, _) = mailbox_login_answer(&http, &server, &tenant, &held).await;
    assert_eq!(code, 200, "the held report's mailbox still works");

    // Once the hold ends, the held report goes as well, also while the
    // operator has the tenant disabled: the retention period runs on.
    server
        .admin()
        .set_disabled(&tenant.id, true)
        .expect("disable");
    clock.set(hold_until, 3);
    let run = run_day(&server.state, hold_until).await.expect("lifecycle");
    assert_eq!(run.reports_deleted, 1);
    assert_eq!(run.failed, 0);
    let db = rusqlite::Connection::open(server.state.tenants().layout().tenant_db(&tenant.id))
        .expect("open");
    let held_rows: i64 = db
        .query_row(
            "SELECT count(*) FROM reports WHERE id = ?1",
            [held.report_id.0],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(held_rows, 0);
    let (deleted_day, hold): (Option<String>, Option<String>) = db
        .query_row(
            "SELECT deleted_day, hold_until FROM register WHERE number = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("line");
    assert_eq!(deleted_day, Some(hold_until.to_string()));
    assert_eq!(hold, None);
    let reopened_rows: i64 = db
        .query_row(
            "SELECT count(*) FROM reports WHERE id = ?1",
            [reopened.report_id.0],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(reopened_rows, 1, "the reopened report stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporter_is_warned_of_silence_and_advisors_are_offered_closing() {
    let (_sink_dir, sink) = sink();
    let (_dir, start, clock, server, tenant, http) = setup(3, 1, |c| {
        notices_to_sink(c, sink.port);
        c.notices.digest_hour_utc = 23;
    })
    .await;
    let admin = server.admin();
    let lifecycle = admin
        .set_lifecycle(&tenant.id, None, None, Some(4))
        .expect("set lifecycle");
    assert_eq!(lifecycle.silence_weeks, 4);
    assert!(admin
        .set_lifecycle(&tenant.id, Some(0), None, None)
        .is_err());
    assert!(admin
        .set_lifecycle(&tenant.id, None, None, Some(1))
        .is_err());
    assert!(admin
        .set_lifecycle(&tenant.id, Some(24), Some(12), None)
        .is_err());
    assert_eq!(
        admin.show_tenant(&tenant.id).expect("show").lifecycle,
        lifecycle
    );
    let mailbox = Mailbox::random();
    submit(
        &http,
        &server,
        &tenant,
        &mailbox,
        &[0],
        json!({ "notice_email": "silent@example.org" }),
    )
    .await;
    let advisor = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let reporter = Session::reporter(&http, &server, &tenant, &mailbox).await;

    // Until an advisor has written, the reporter owes no answer.
    clock.set(start.add_days(60), 3);
    let (_, list) = advisor.get("/advisor/reports").await;
    assert_eq!(list["reports"][0]["silent_since"], Value::Null);
    assert_eq!(list["reports"][0]["silence_close_offered"], false);

    // The advisor asks something on day 60.
    let question = message(&tenant, &mailbox, &tenant.advisors[0], b"a question");
    let (code, _) = advisor.post_message(&mailbox, &question).await;
    assert_eq!(code, 201);
    let asked = start.add_days(60);
    let offered_from = asked.add_days(28).to_string();
    for (day, warned, offered) in [
        (13, false, false),
        (14, true, false),
        (27, true, false),
        (28, true, true),
    ] {
        clock.set(asked.add_days(day), 3);
        // The question's notice went out once the clock moved on.
        sink.wait_for(1, Duration::from_secs(30));
        meldkluis_tests::wait_outbox_empty(&server, Duration::from_secs(30)).await;
        // The daily run sends the warning by e-mail once, from day 14.
        run_day(&server.state, asked.add_days(day))
            .await
            .expect("lifecycle");
        clock.advance(1);
        meldkluis_tests::wait_outbox_empty(&server, Duration::from_secs(30)).await;
        let expected = if warned { 2 } else { 1 };
        assert_eq!(
            sink.wait_for(expected, Duration::from_secs(30)).len(),
            expected,
            "day {day}"
        );
        let (_, mailbox_thread) = reporter.get("/mailbox").await;
        let expected = if warned {
            json!({ "close_offered_from": offered_from })
        } else {
            Value::Null
        };
        assert_eq!(mailbox_thread["silence_warning"], expected, "day {day}");
        let (_, list) = advisor.get("/advisor/reports").await;
        assert_eq!(list["reports"][0]["silent_since"], asked.to_string());
        assert_eq!(
            list["reports"][0]["silence_close_offered"], offered,
            "day {day}"
        );
        let (_, thread) = advisor.thread(&mailbox).await;
        assert_eq!(thread["silence_close_offered"], offered, "day {day}");
        let warnings: Vec<&Value> = thread["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["event"] == "silence_warning")
            .collect();
        assert_eq!(warnings.len(), usize::from(warned), "day {day}");
        if warned {
            assert_eq!(warnings[0]["day"], asked.add_days(14).to_string());
            assert_eq!(warnings[0]["detail"], offered_from);
            assert_eq!(warnings[0]["advisor_id"], Value::Null);
        }
    }
    // Offered, never done: the report is still open.
    let (_, thread) = advisor.thread(&mailbox).await;
    assert_eq!(thread["status"], "new");

    // The reporter answers: no warning, no offer.
    let answer = message(&tenant, &mailbox, &mailbox.key, b"an answer");
    let (code, _) = reporter.post_mailbox_message(&answer).await;
    assert_eq!(code, 201);
    let (_, mailbox_thread) = reporter.get("/mailbox").await;
    assert_eq!(mailbox_thread["silence_warning"], Value::Null);
    let (_, list) = advisor.get("/advisor/reports").await;
    assert_eq!(list["reports"][0]["silent_since"], Value::Null);
    assert_eq!(list["reports"][0]["silence_close_offered"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_sends_the_closure_notice_and_keeps_no_address() {
    let (_sink_dir, sink) = sink();
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| notices_to_sink(c, sink.port)).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let mailbox = Mailbox::random();
    submit(
        &http,
        &server,
        &tenant,
        &mailbox,
        &[0],
        json!({ "notice_email": "closing.reporter@example.org", "language": "en" }),
    )
    .await;
    let advisor = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let (code, _) = advisor.close(&mailbox).await;
    assert_eq!(code, 200);
    // The address is gone from the e-mail store at once; the notice goes.
    let notices = server.state.notices();
    assert!(notices
        .reporter_address(&tenant.id, &mailbox.id)
        .await
        .expect("store")
        .is_none());
    let mails = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, ["closing.reporter@example.org"]);
    assert!(
        mails[0]
            .body
            .contains("your e-mail address has been deleted"),
        "{}",
        mails[0].body
    );
    meldkluis_tests::wait_outbox_empty(&server, Duration::from_secs(30)).await;

    // Reopened and answered: no address, so no notice.
    let (code, _) = advisor
        .put_status(&mailbox, json!({ "status": "in_progress" }))
        .await;
    assert_eq!(code, 200);
    assert_eq!(notices.pending().await.expect("pending"), 0);
    let reply = message(&tenant, &mailbox, &tenant.advisors[0], b"reopened");
    let (code, _) = advisor.post_message(&mailbox, &reply).await;
    assert_eq!(code, 201);
    assert_eq!(notices.pending().await.expect("pending"), 0);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_lists_the_reports_deleted_within_14_days() {
    let (_sink_dir, sink) = sink();
    let (_dir, start, clock, server, tenant, http) = setup(3, 1, |c| {
        notices_to_sink(c, sink.port);
        c.notices.digest_hour_utc = 6;
    })
    .await;
    let admin = server.admin();
    admin
        .set_lifecycle(&tenant.id, Some(1), None, None)
        .expect("one month");
    admin
        .set_advisor_email(
            &tenant.id,
            &tenant.advisors[0].public_key(),
            Some((
                &meldkluis_server::notices::EmailAddress::parse("advisor@example.org")
                    .expect("valid"),
                meldkluis_server::error::negotiate_lang(Some("lang=en"), None),
            )),
        )
        .expect("advisor address");
    let mailbox = Mailbox::random();
    submit(&http, &server, &tenant, &mailbox, &[0], json!({})).await;
    let advisor = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let (code, _) = advisor.close(&mailbox).await;
    assert_eq!(code, 200);

    // Ten days before the deletion day, the digest lists it.
    let deletion_day = start.add_months(1);
    let day = deletion_day.add_days(-10);
    clock.set(day, 3);
    let queued = meldkluis_server::notices::run_digest(&server.state, day)
        .await
        .expect("digest");
    assert_eq!(queued, 1);
    let mails = sink.wait_for(1, Duration::from_secs(30));
    let short_id = &mailbox.report_id.to_hex()[..8];
    assert!(
        mails[0].body.contains(&format!(
            "- report {short_id}: content deleted on {deletion_day} (10 days left)"
        )),
        "{}",
        mails[0].body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_many_reports_among_others_leaves_none_of_their_bytes() {
    use rand::{Rng as _, RngCore as _};
    let (_dir, start, clock, server, tenant, http) = setup(9, 1, |_| {}).await;
    let advisor = Session::advisor(&http, &server, &tenant, &tenant.advisors[0]).await;
    let mut rng = rand::thread_rng();
    let mut deleted = Vec::new();
    let mut kept = Vec::new();
    // Reports of many sizes, with messages, so b-tree pages split and
    // rebalance while they are written and while some are deleted.
    for i in 0..48 {
        let mailbox = Mailbox::random();
        let mut content = vec![0u8; rng.gen_range(200..3800)];
        rng.fill_bytes(&mut content);
        let item = mailbox.seal_report(&tenant, &content);
        let body = mailbox.report_body(&item);
        assert_eq!(
            submit_report(&http, &server, tenant.id.as_str(), &body).await,
            201
        );
        let mut items = vec![item];
        for _ in 0..rng.gen_range(0..3) {
            let mut text = vec![0u8; rng.gen_range(100..2500)];
            rng.fill_bytes(&mut text);
            let message = message(&tenant, &mailbox, &tenant.advisors[0], &text);
            let (code, _) = advisor.post_message(&mailbox, &message).await;
            assert_eq!(code, 201);
            items.push(message);
        }
        if i % 3 != 1 {
            let (code, _) = advisor.close(&mailbox).await;
            assert_eq!(code, 200);
            deleted.extend(items);
        } else {
            kept.extend(items);
        }
    }
    let day = start.add_months(12);
    clock.set(day, 3);
    let run = run_day(&server.state, day).await.expect("lifecycle");
    assert_eq!(run.reports_deleted, 32);
    let (db, wal) = tenant_bytes(&server, &tenant);
    for item in &deleted {
        let canary = slice_of(item);
        assert!(
            !contains(&db, &canary) && !contains(&wal, &canary),
            "a deleted item's bytes remain"
        );
    }
    for item in &kept {
        let canary = slice_of(item);
        assert!(
            contains(&db, &canary) || contains(&wal, &canary),
            "a kept item is stored"
        );
    }
}

/// The daily run looks at every tenant, but opens (worker, cache entry)
/// only those with something due: thousands of tenants with nothing to
/// delete cost a read each, and the tenants in use stay in the cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_run_opens_only_tenants_with_something_due() {
    let (_dir, today, _clock, server, tenant, http) = setup(10, 1, |_| {}).await;
    TestTenant::create(&server.admin(), "quiet-one", 1);
    TestTenant::create(&server.admin(), "quiet-two", 1);
    let mailbox = Mailbox::random();
    submit(&http, &server, &tenant, &mailbox, &[0], json!({})).await;
    assert_eq!(
        server.state.tenants().open_count(),
        1,
        "only acme is in use"
    );

    let run = run_day(&server.state, today).await.expect("run");
    assert_eq!((run.tenants, run.reports_deleted, run.failed), (3, 0, 0));
    assert_eq!(
        server.state.tenants().open_count(),
        1,
        "tenants with nothing due were read, not opened"
    );
}
