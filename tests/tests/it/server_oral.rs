//! Oral reports and follow-up mailboxes (issue 13) on the real server with
//! the real crypto core: an advisor registers a report they heard, the
//! reporter makes a follow-up mailbox and reads its reference aloud, the
//! advisor joins it; and the attacks and bad input around it: a follow-up
//! item not sent by its mailbox key or sealed to a key that is no advisor's,
//! an oral report not sealed by the session's advisor, joins of the wrong
//! report or another advisor's, an unjoined follow-up writing, a joined
//! mailbox reading what came before its join, a log-in to the placeholder
//! mailbox of a report without one, and follow-ups nobody joined expiring.

use std::sync::Arc;

use meldkluis_crypto_core::{mailbox_reference, ItemId, ItemKind, PublicKey, StaticKey};
use meldkluis_server::clock::{Clock as _, ManualClock, SystemClock};
use meldkluis_tests::{
    advisor_login, b64, client, mailbox_login, new_item_id, open, seal, submit_sealed, unb64,
    Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

async fn send(
    request: reqwest::RequestBuilder,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    let request = match body {
        Some(body) => request.json(body),
        None => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The error code of an error answer.
fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

/// An oral report's item, sealed by `sender` to `recipients`.
fn oral_item(tenant: &TestTenant, sender: usize, recipients: &[PublicKey]) -> (ItemId, Vec<u8>) {
    let id = new_item_id();
    let item = seal(
        ItemKind::Report,
        &tenant.id,
        id,
        id,
        &tenant.advisors[sender],
        recipients,
        br#"{"format":"meldkluis-oral-report/1","channel":"oral","text":"spoken"}"#,
    );
    (id, item)
}

/// The recovery key and every advisor.
fn advisors_and_recovery(tenant: &TestTenant) -> Vec<PublicKey> {
    let mut keys = vec![tenant.recovery.public_key()];
    keys.extend(tenant.advisor_keys());
    keys
}

/// A follow-up item of `mailbox`, sealed to `recipients`, by `sender`.
fn follow_up_item(
    tenant: &TestTenant,
    mailbox: &Mailbox,
    sender: &dyn StaticKey,
    recipients: &[PublicKey],
) -> Vec<u8> {
    seal(
        ItemKind::Report,
        &tenant.id,
        mailbox.report_id,
        mailbox.report_id,
        sender,
        recipients,
        br#"{"format":"meldkluis-report/1","answers":[],"category":null,"attachments":[],"follow_up":true}"#,
    )
}

/// The tenant's API on the real server, as the tests call it.
struct Api<'a> {
    http: &'a reqwest::Client,
    server: &'a TestServer,
    tenant: &'a TestTenant,
}

impl<'a> Api<'a> {
    fn new(http: &'a reqwest::Client, server: &'a TestServer, tenant: &'a TestTenant) -> Self {
        Self {
            http,
            server,
            tenant,
        }
    }

    /// A request to `path` under the tenant's API, with `token` and `body`.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let url = self.server.url(self.tenant.id.as_str(), path);
        send(self.http.request(method, url), token, body).await
    }

    /// Posts a follow-up mailbox's `body` (a report's).
    async fn post_follow_up(&self, body: &Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, "/follow-ups", None, Some(body))
            .await
    }

    /// Posts a follow-up for `mailbox`, properly sealed.
    async fn make_follow_up(&self, mailbox: &Mailbox) -> (Vec<u8>, Value) {
        let tenant = self.tenant;
        let item = follow_up_item(
            tenant,
            mailbox,
            &mailbox.key,
            &mailbox.recipients(tenant, &tenant.advisor_keys()),
        );
        let (status, answer) = self.post_follow_up(&mailbox.report_body(&item)).await;
        assert_eq!(status, 201, "{answer}");
        (item, answer)
    }

    /// Logs in to `mailbox` with its login code.
    async fn log_in(&self, mailbox: &Mailbox) -> (u16, Value) {
        let body = mailbox.login_body();
        self.call(reqwest::Method::POST, "/mailbox/login", None, Some(&body))
            .await
    }

    /// Registers an oral report's `item` heard on `channel`, as the advisor
    /// of `token`.
    async fn register(&self, token: &str, item: &[u8], channel: &str) -> (u16, Value) {
        let body = json!({ "item": b64(item), "channel": channel });
        self.call(
            reqwest::Method::POST,
            "/advisor/reports",
            Some(token),
            Some(&body),
        )
        .await
    }

    /// Joins, as the advisor of `token`, the follow-up mailbox `body` names
    /// to `report_id`.
    async fn join(&self, token: &str, report_id: ItemId, body: &Value) -> (u16, Value) {
        let path = format!("/advisor/reports/{}/join", report_id.to_hex());
        self.call(reqwest::Method::POST, &path, Some(token), Some(body))
            .await
    }

    /// Looks the follow-up mailbox `reference` up, as the advisor of
    /// `token`.
    async fn look_up(&self, token: &str, reference: &str) -> (u16, Value) {
        let path = format!("/advisor/follow-ups/{reference}");
        self.call(reqwest::Method::GET, &path, Some(token), None)
            .await
    }

    /// The reports the advisor of `token` may see.
    async fn advisor_reports(&self, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, "/advisor/reports", Some(token), None)
            .await
    }

    /// The thread of `report_id`, as the advisor of `token` sees it.
    async fn advisor_thread(&self, token: &str, report_id: ItemId) -> (u16, Value) {
        let path = format!("/advisor/reports/{}", report_id.to_hex());
        self.call(reqwest::Method::GET, &path, Some(token), None)
            .await
    }

    /// An advisor's message on `report_id`, sealed by advisor `sender` to
    /// `recipients`; returns the status, the answer and the item id.
    async fn advisor_message(
        &self,
        token: &str,
        sender: usize,
        report_id: ItemId,
        recipients: &[PublicKey],
    ) -> (u16, Value, ItemId) {
        let tenant = self.tenant;
        let id = new_item_id();
        let item = seal(
            ItemKind::Message,
            &tenant.id,
            id,
            report_id,
            &tenant.advisors[sender],
            recipients,
            b"advisor writes",
        );
        let path = format!("/advisor/reports/{}/messages", report_id.to_hex());
        let body = json!({ "item": b64(&item) });
        let (status, answer) = self
            .call(reqwest::Method::POST, &path, Some(token), Some(&body))
            .await;
        (status, answer, id)
    }
}

/// The body of a join: the follow-up's `reference` as typed and the
/// mailbox key the advisor expects.
fn join_body(reference: &str, mailbox_key: PublicKey) -> Value {
    json!({ "reference": reference, "mailbox_public_key": mailbox_key.to_hex() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oral_report_is_joined_to_a_follow_up_mailbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let t = tenant.id.as_str();
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let today = SystemClock.today().to_string();

    // The advisor registers what they heard.
    let (report_id, oral) = oral_item(&tenant, 0, &advisors_and_recovery(&tenant));
    let (status, answer) = api.register(&token, &oral, "oral").await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["report_id"], report_id.to_hex());
    assert_eq!(answer["created_day"], today);
    assert_eq!(answer["status"], "new");
    let (_, list) = api.advisor_reports(&token).await;
    let summary = &list["reports"][0];
    assert_eq!(summary["channel"], "oral");
    assert_eq!(summary["mailbox_state"], "none");
    assert_eq!(
        summary["acknowledged_day"], today,
        "the reporter was spoken to"
    );

    // Before any mailbox: the advisor writes to the recovery key and
    // themself; leaving themself out is refused; no mailbox key exists.
    let own = [
        tenant.recovery.public_key(),
        tenant.advisors[0].public_key(),
    ];
    let (status, answer, before_join) = api.advisor_message(&token, 0, report_id, &own).await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer, _) = api
        .advisor_message(
            &token,
            0,
            report_id,
            &[
                tenant.recovery.public_key(),
                tenant.advisors[1].public_key(),
            ],
        )
        .await;
    assert_eq!((status, code(&answer)), (400, "invalid_item"));

    // The reporter makes a follow-up mailbox; the reference is the key's.
    let mailbox = Mailbox::random();
    let (follow_up, answer) = api.make_follow_up(&mailbox).await;
    let reference = mailbox_reference(&mailbox.key.public_key());
    assert_eq!(answer["reference"], reference);
    assert_eq!(answer["created_day"], today);
    assert_eq!(
        answer["expires_day"],
        SystemClock.today().add_days(30).to_string()
    );
    // ... logs in to it: no report yet, and cannot write.
    let (status, login) = api.log_in(&mailbox).await;
    assert_eq!(status, 200);
    assert_eq!(login["report_id"], Value::Null);
    assert_eq!(login["reference"], reference);
    let session = login["token"].as_str().expect("token").to_owned();
    let (status, waiting) = send(http.get(server.url(t, "/mailbox")), Some(&session), None).await;
    assert_eq!(status, 200);
    assert_eq!(waiting["report_id"], Value::Null);
    assert_eq!(waiting["follow_up"]["reference"], reference);
    assert_eq!(
        unb64(waiting["follow_up"]["item"].as_str().expect("item")),
        follow_up
    );
    assert_eq!(waiting["messages"], json!([]));
    assert_eq!(waiting["deadlines"], json!([]));

    // The advisor looks the reference up as typed from hearing it.
    let typed = reference.to_lowercase().replace('-', " ").replace('0', "o");
    let (status, found) = api.look_up(&token, &typed).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["reference"], reference);
    assert_eq!(
        found["mailbox_public_key"],
        mailbox.key.public_key().to_hex()
    );
    assert_eq!(unb64(found["item"].as_str().expect("item")), follow_up);
    let content = open(
        &follow_up,
        &tenant.advisors[0],
        &tenant.id,
        &[mailbox.key.public_key()],
    );
    assert!(String::from_utf8(content)
        .expect("utf-8")
        .contains("\"follow_up\":true"));

    // Joined with the right key (a wrong one is refused first).
    let body_for = |key: PublicKey| join_body(&typed, key);
    let (status, answer) = api
        .join(
            &token,
            report_id,
            &body_for(tenant.advisors[1].public_key()),
        )
        .await;
    assert_eq!((status, code(&answer)), (409, "conflict"));
    let (status, answer) = api
        .join(&token, report_id, &body_for(mailbox.key.public_key()))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["report_id"], report_id.to_hex());
    assert_eq!(answer["joined_day"], today);
    // Once: the report has a mailbox now, and the follow-up is gone.
    let (status, answer) = api
        .join(&token, report_id, &body_for(mailbox.key.public_key()))
        .await;
    assert_eq!((status, code(&answer)), (409, "conflict"));
    let (status, _) = api.look_up(&token, &reference).await;
    assert_eq!(status, 404);

    // From now on the usual rule: the mailbox key must be a recipient.
    let with_mailbox = mailbox.recipients(&tenant, &tenant.advisor_keys());
    let (status, answer, _) = api.advisor_message(&token, 0, report_id, &own).await;
    assert_eq!((status, code(&answer)), (400, "invalid_item"));
    let (status, answer, after_join) = api
        .advisor_message(&token, 0, report_id, &with_mailbox)
        .await;
    assert_eq!(status, 201, "{answer}");

    // The reporter's session made on the follow-up now reaches the report:
    // its own follow-up item as the report, and only what came after.
    let (status, thread) = send(http.get(server.url(t, "/mailbox")), Some(&session), None).await;
    assert_eq!(status, 200, "{thread}");
    assert_eq!(thread["report_id"], report_id.to_hex());
    assert_eq!(unb64(thread["report"].as_str().expect("report")), follow_up);
    assert_eq!(thread["joined"], json!({ "day": today, "channel": "oral" }));
    let ids: Vec<&str> = thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [after_join.to_hex()], "not {}", before_join.to_hex());
    assert!(thread.get("mailbox_state").is_none() && thread.get("opening_item").is_none());
    // ... and writes into it.
    let reply = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        &mailbox.key,
        &with_mailbox,
        b"thank you",
    );
    let (status, answer) = send(
        http.post(server.url(t, "/mailbox/messages")),
        Some(&session),
        Some(&json!({ "item": b64(&reply) })),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    // A new log-in names the report.
    let (_, login) = api.log_in(&mailbox).await;
    assert_eq!(login["report_id"], report_id.to_hex());

    // The advisor's thread: channel, mailbox state, opening item, the event.
    let (_, thread) = api.advisor_thread(&token, report_id).await;
    assert_eq!(thread["channel"], "oral");
    assert_eq!(thread["mailbox_state"], "joined");
    assert_eq!(thread["joined_day"], today);
    assert_eq!(
        unb64(thread["opening_item"].as_str().expect("opening")),
        follow_up
    );
    assert_eq!(unb64(thread["report"].as_str().expect("report")), oral);
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 3);
    let event = thread["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["event"] == "joined")
        .expect("joined event")
        .clone();
    assert_eq!(event["detail"], reference);
    assert_eq!(event["day"], today);
    let (_, list) = api.advisor_reports(&token).await;
    assert_eq!(list["reports"][0]["mailbox_state"], "joined");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_not_joined_cannot_write_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let t = tenant.id.as_str();
    let mailbox = Mailbox::random();
    api.make_follow_up(&mailbox).await;
    let session = mailbox_login(&http, &server, t, &mailbox).await;
    let message = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(&tenant, &tenant.advisor_keys()),
        b"hello?",
    );
    for (lang, words) in [("nl", "gekoppeld"), ("en", "linked")] {
        let response = http
            .post(server.url(t, "/mailbox/messages"))
            .bearer_auth(&session)
            .header("accept-language", lang)
            .json(&json!({ "item": b64(&message) }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 409);
        let answer: Value = response.json().await.expect("json");
        assert_eq!(code(&answer), "not_joined");
        let text = answer["error"]["message"].as_str().expect("message");
        assert!(text.contains(words), "{lang}: {text}");
    }
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(&tenant, &tenant.advisor_keys()),
        b"a file",
    );
    let response = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&session)
        .body(attachment)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 409);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(code(&answer), "not_joined");
    // Nothing was stored: the follow-up still has an empty thread.
    let (_, waiting) = send(http.get(server.url(t, "/mailbox")), Some(&session), None).await;
    assert_eq!(waiting["messages"], json!([]));
    assert_eq!(waiting["attachments"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_follow_ups_oral_reports_and_joins_are_refused_and_store_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let t = tenant.id.as_str();
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let outsider =
        meldkluis_crypto_core::StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());

    // Follow-ups: sent by another key than the mailbox's; sealed to a key
    // that is no advisor's; not sealed to the recovery key; malformed.
    let mailbox = Mailbox::random();
    let all = mailbox.recipients(&tenant, &tenant.advisor_keys());
    let mut with_outsider = all.clone();
    with_outsider.push(outsider.public_key());
    let without_recovery: Vec<PublicKey> = all
        .iter()
        .copied()
        .filter(|k| *k != tenant.recovery.public_key())
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "sender is not the mailbox key",
            follow_up_item(&tenant, &mailbox, &outsider, &all),
        ),
        (
            "sender is an advisor",
            follow_up_item(&tenant, &mailbox, &tenant.advisors[0], &all),
        ),
        (
            "sealed to a key that is no advisor's",
            follow_up_item(&tenant, &mailbox, &mailbox.key, &with_outsider),
        ),
        (
            "not sealed to the recovery key",
            follow_up_item(&tenant, &mailbox, &mailbox.key, &without_recovery),
        ),
    ];
    for (what, item) in &cases {
        let (status, answer) = api.post_follow_up(&mailbox.report_body(item)).await;
        assert_eq!((status, code(&answer)), (400, "invalid_item"), "{what}");
    }
    let mut bad_hex = mailbox.report_body(&cases[0].1);
    bad_hex["mailbox_id"] = json!("zz");
    let (status, answer) = api.post_follow_up(&bad_hex).await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    let reference = mailbox_reference(&mailbox.key.public_key());
    let (status, _) = api.look_up(&token, &reference).await;
    assert_eq!(status, 404, "nothing stored");
    let (status, _) = api.log_in(&mailbox).await;
    assert_eq!(status, 401, "no mailbox was made");

    // A follow-up cannot take a report's mailbox id or key, nor the reverse.
    let web = Mailbox::random();
    let (_, status, _) =
        submit_sealed(&http, &server, &tenant, &web, &[0], b"web", json!({})).await;
    assert_eq!(status, 201);
    let mut copycat = Mailbox::random();
    copycat.id = web.id;
    let item = follow_up_item(
        &tenant,
        &copycat,
        &copycat.key,
        &copycat.recipients(&tenant, &tenant.advisor_keys()),
    );
    let (status, answer) = api.post_follow_up(&copycat.report_body(&item)).await;
    assert_eq!((status, code(&answer)), (409, "conflict"));
    let (item, answer) = api.make_follow_up(&mailbox).await;
    assert_eq!(answer["reference"], reference);
    // The same follow-up sent again is a retry (the item id is the
    // idempotency key): answered as the first was, stored once.
    let (status, _) = api.post_follow_up(&mailbox.report_body(&item)).await;
    assert_eq!(status, 201, "the same twice is a retry");
    let mut report_like = Mailbox::random();
    report_like.id = mailbox.id;
    let (_, status, _) = submit_sealed(
        &http,
        &server,
        &tenant,
        &report_like,
        &[0],
        b"web",
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "a report cannot take a follow-up's mailbox id");

    // Oral reports: a channel that is none of the two; sealed by another
    // advisor than the session's; not sealed to the sender; sealed to an
    // outsider; a message instead of a report.
    let everyone = advisors_and_recovery(&tenant);
    let (_, good) = oral_item(&tenant, 0, &everyone);
    let (status, answer) = api.register(&token, &good, "web").await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    let (_, by_other) = oral_item(&tenant, 1, &everyone);
    let (_, not_to_sender) = oral_item(
        &tenant,
        0,
        &[
            tenant.recovery.public_key(),
            tenant.advisors[1].public_key(),
        ],
    );
    let mut to_outsider = everyone.clone();
    to_outsider.push(outsider.public_key());
    let (_, to_outsider) = oral_item(&tenant, 0, &to_outsider);
    let (_, no_recovery) = oral_item(&tenant, 0, &tenant.advisor_keys());
    let message = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        new_item_id(),
        &tenant.advisors[0],
        &everyone,
        b"x",
    );
    for (what, item) in [
        ("sealed by another advisor", &by_other),
        ("not sealed to the sender", &not_to_sender),
        ("sealed to an outsider", &to_outsider),
        ("not sealed to the recovery key", &no_recovery),
        ("a message", &message),
    ] {
        let (status, answer) = api.register(&token, item, "oral").await;
        assert_eq!((status, code(&answer)), (400, "invalid_item"), "{what}");
    }
    let (status, answer) = send(
        http.post(server.url(t, "/advisor/reports")),
        Some(&token),
        Some(&json!({ "item": "%%%", "channel": "oral" })),
    )
    .await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    let (_, list) = api.advisor_reports(&token).await;
    assert_eq!(
        list["reports"].as_array().expect("reports").len(),
        1,
        "only the web report: nothing of the refused ones is stored"
    );

    // Joins: of a web report (it has its own mailbox); of a report of
    // another advisor (not sealed to this one); with no such follow-up;
    // with a malformed reference.
    let join_it = join_body(&reference, mailbox.key.public_key());
    let (status, answer) = api.join(&token, web.report_id, &join_it).await;
    assert_eq!((status, code(&answer)), (409, "conflict"), "a web report");
    let token_b = advisor_login(&http, &server, &tenant.id, &tenant.advisors[1]).await;
    let (b_report, b_item) = oral_item(
        &tenant,
        1,
        &[
            tenant.recovery.public_key(),
            tenant.advisors[1].public_key(),
        ],
    );
    let (status, _) = api.register(&token_b, &b_item, "meeting").await;
    assert_eq!(status, 201);
    let (status, answer) = api.join(&token, b_report, &join_it).await;
    assert_eq!(
        (status, code(&answer)),
        (404, "not_found"),
        "another advisor's report"
    );
    let unknown = join_body("0000-0000-0000", mailbox.key.public_key());
    let (status, answer) = api.join(&token_b, b_report, &unknown).await;
    assert_eq!(
        (status, code(&answer)),
        (404, "not_found"),
        "no such follow-up"
    );
    let malformed = join_body("ABCD-EFGH-JKMU", mailbox.key.public_key());
    let (status, answer) = api.join(&token_b, b_report, &malformed).await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    let (status, answer) = api.look_up(&token, "ABCD-EFGH").await;
    assert_eq!((status, code(&answer)), (400, "bad_request"));
    // Nothing changed: B's report still has no mailbox, the follow-up waits.
    let (_, thread) = api.advisor_thread(&token_b, b_report).await;
    assert_eq!(thread["mailbox_state"], "none");
    assert_eq!(thread["channel"], "meeting");
    let (status, _) = api.look_up(&token, &reference).await;
    assert_eq!(status, 200);
    // And B can join it to B's own report.
    let (status, answer) = api.join(&token_b, b_report, &join_it).await;
    assert_eq!(status, 200, "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_placeholder_mailbox_of_a_report_without_one_cannot_be_logged_in_to() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let (report_id, item) = oral_item(&tenant, 0, &advisors_and_recovery(&tenant));
    let (status, _) = api.register(&token, &item, "oral").await;
    assert_eq!(status, 201);
    // Even knowing the random mailbox id (read from the database here, as
    // an attacker with a copy of it could), no secret logs in: the stored
    // hash is all zeros, which no keyed hash equals, and the log-in refuses
    // a report without a mailbox before comparing.
    let path = server.state.tenants().layout().tenant_db(&tenant.id);
    let (mailbox_id, auth_hash): (Vec<u8>, Vec<u8>) = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row(
            "SELECT mailbox_id, auth_hash FROM reports WHERE id = ?1",
            [report_id.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("row");
    assert_eq!(auth_hash, vec![0u8; 32]);
    for secret in [[0u8; 32], [0xff; 32]] {
        let (status, answer) = send(
            http.post(server.url(tenant.id.as_str(), "/mailbox/login")),
            None,
            Some(&json!({ "mailbox_id": hex::encode(&mailbox_id), "auth_secret": hex::encode(secret) })),
        )
        .await;
        assert_eq!((status, code(&answer)), (401, "login_failed"));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_ups_nobody_joined_are_deleted_after_their_last_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let made = SystemClock.today();
    let clock = Arc::new(ManualClock::at(made, 9));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let t = tenant.id.as_str();
    let mailbox = Mailbox::random();
    let (_, answer) = api.make_follow_up(&mailbox).await;
    let last_day = made.add_days(30);
    assert_eq!(answer["expires_day"], last_day.to_string());
    let session = mailbox_login(&http, &server, t, &mailbox).await;
    let reference = mailbox_reference(&mailbox.key.public_key());

    // On its last day it is still there, and the daily run keeps it.
    clock.set(last_day, 9);
    meldkluis_server::lifecycle::run_day(&server.state, last_day)
        .await
        .expect("run");
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let (status, _) = api.look_up(&token, &reference).await;
    assert_eq!(status, 200);

    // The day after, it is past: not found, no log-in, and the run deletes it.
    let after = last_day.add_days(1);
    clock.set(after, 9);
    let (status, _) = api.look_up(&token, &reference).await;
    assert_eq!(status, 404, "expired, even before the run");
    meldkluis_server::lifecycle::run_day(&server.state, after)
        .await
        .expect("run");
    let path = server.state.tenants().layout().tenant_db(&tenant.id);
    let left: i64 = rusqlite::Connection::open(&path)
        .expect("open")
        .query_row("SELECT count(*) FROM follow_ups", [], |r| r.get(0))
        .expect("count");
    assert_eq!(left, 0, "purged");
    let (status, _) = api.log_in(&mailbox).await;
    assert_eq!(status, 401);
    let (status, answer) = send(http.get(server.url(t, "/mailbox")), Some(&session), None).await;
    assert_eq!((status, code(&answer)), (401, "unauthorized"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notice_address_moves_with_the_join_and_earlier_attachments_stay_out_of_reach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let t = tenant.id.as_str();
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let (report_id, oral) = oral_item(&tenant, 0, &advisors_and_recovery(&tenant));
    assert_eq!(api.register(&token, &oral, "oral").await.0, 201);
    // Before the join, an attachment sealed to the recovery key and the
    // advisor (the rule without a mailbox).
    let attachment_id = new_item_id();
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        attachment_id,
        report_id,
        &tenant.advisors[0],
        &[
            tenant.recovery.public_key(),
            tenant.advisors[0].public_key(),
        ],
        b"notes of the conversation",
    );
    let response = http
        .post(server.url(
            t,
            &format!("/advisor/reports/{}/attachments", report_id.to_hex()),
        ))
        .bearer_auth(&token)
        .body(attachment)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201);

    let mailbox = Mailbox::random();
    api.make_follow_up(&mailbox).await;
    let session = mailbox_login(&http, &server, t, &mailbox).await;
    let (status, answer) = send(
        http.put(server.url(t, "/mailbox/notice-email")),
        Some(&session),
        Some(&json!({ "address": "reporter@example.org", "language": "en" })),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let reference = mailbox_reference(&mailbox.key.public_key());
    let (status, _) = api
        .join(
            &token,
            report_id,
            &join_body(&reference, mailbox.key.public_key()),
        )
        .await;
    assert_eq!(status, 200);
    let (status, stored) = send(
        http.get(server.url(t, "/mailbox/notice-email")),
        Some(&session),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        stored,
        json!({ "address": "reporter@example.org", "language": "en" }),
        "the address follows the mailbox to the report"
    );
    let (_, thread) = send(http.get(server.url(t, "/mailbox")), Some(&session), None).await;
    assert_eq!(thread["attachments"], json!([]));
    let (status, answer) = send(
        http.get(server.url(
            t,
            &format!("/mailbox/attachments/{}", attachment_id.to_hex()),
        )),
        Some(&session),
        None,
    )
    .await;
    assert_eq!((status, code(&answer)), (404, "not_found"));
    // The advisor still has it.
    let response = http
        .get(server.url(
            t,
            &format!(
                "/advisor/reports/{}/attachments/{}",
                report_id.to_hex(),
                attachment_id.to_hex()
            ),
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_the_waiting_follow_ups_and_each_reports_mailbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let api = Api::new(&http, &server, &tenant);
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let (report_id, oral) = oral_item(&tenant, 0, &advisors_and_recovery(&tenant));
    assert_eq!(api.register(&token, &oral, "oral").await.0, 201);
    let joined = Mailbox::random();
    let (opening, _) = api.make_follow_up(&joined).await;
    let (status, _) = api
        .join(
            &token,
            report_id,
            &join_body(
                &mailbox_reference(&joined.key.public_key()),
                joined.key.public_key(),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let waiting = Mailbox::random();
    let (waiting_item, _) = api.make_follow_up(&waiting).await;

    let out = tempfile::tempdir().expect("tempdir");
    let export = out.path().join("export");
    let summary = meldkluis_server::export::export_tenant(
        &server.config,
        &tenant.id,
        &export,
        SystemClock.today(),
    )
    .expect("export");
    assert_eq!(summary.counts.follow_ups, 1);
    let read = |path: &str| -> Value {
        serde_json::from_slice(&std::fs::read(export.join(path)).expect("file")).expect("json")
    };
    let follow_ups = read("follow_ups.json");
    assert_eq!(follow_ups.as_array().expect("list").len(), 1);
    assert_eq!(
        follow_ups[0]["reference"],
        mailbox_reference(&waiting.key.public_key())
    );
    assert_eq!(
        unb64(follow_ups[0]["item"].as_str().expect("item")),
        waiting_item
    );
    let manifest = read("manifest.json");
    assert!(manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .any(|f| f["path"] == "follow_ups.json"));
    let thread = read(&format!("reports/{}/thread.json", report_id.to_hex()));
    assert_eq!(thread["channel"], "oral");
    assert_eq!(thread["mailbox_state"], "joined");
    assert_eq!(
        unb64(thread["opening_item"].as_str().expect("opening")),
        opening
    );
    assert_eq!(thread["joined_day"], SystemClock.today().to_string());
    server.stop().await;
}
