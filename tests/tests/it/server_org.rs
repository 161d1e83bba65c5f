//! The organisation's side on the real server (issue 12), each rule shown
//! by performing the attack against it: figures reports only to
//! management recipients and advisors and only from the logged-in
//! advisor; forwards only to one current forward recipient with
//! attachments of the same report; a recipient reads only what is sealed
//! to it; invitations are single use and expire; a removed recipient
//! cannot log in; advisor and recipient log-ins do not stand in for each
//! other; bad input gets a translated 4xx; forwards show in the mailbox
//! and go with their report (daily lifecycle, backups, deletion log).

use std::sync::Arc;

use meldkluis_crypto_core::challenge::answer_challenge;
use meldkluis_crypto_core::recipient::recipient_login_context;
use meldkluis_crypto_core::{ItemId, ItemKind, PublicKey, StaticKey, StaticSecret, TenantId};
use meldkluis_server::clock::{Clock as _, Day, ManualClock, SystemClock};
use meldkluis_tests::{
    advisor_login, advisor_set_status, b64, client, files_under, mailbox_login, new_item_id, open,
    seal, submit_sealed, unb64, Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

/// A running server with one tenant (two advisors), a management
/// recipient, two forward recipients (token keys), the first advisor
/// logged in, and a clock standing at today.
struct Org {
    _dir: tempfile::TempDir,
    server: TestServer,
    clock: Arc<ManualClock>,
    tenant: TestTenant,
    http: reqwest::Client,
    advisor: String,
    management: StaticSecret,
    hr: StaticSecret,
    committee: StaticSecret,
}

fn key() -> StaticSecret {
    StaticSecret::generate(&mut meldkluis_crypto_core::os_rng())
}

fn today() -> Day {
    SystemClock.today()
}

impl Org {
    async fn start(name: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(ManualClock::at(today(), 10));
        let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
        let admin = server.admin();
        let tenant = TestTenant::create(&admin, name, 2);
        let (management, hr, committee) = (key(), key(), key());
        admin
            .add_recipient(
                &tenant.id,
                "management",
                "Directie",
                &management.public_key(),
            )
            .expect("management");
        admin
            .add_recipient(&tenant.id, "forward", "HR — P. de Boer", &hr.public_key())
            .expect("hr");
        admin
            .add_recipient(
                &tenant.id,
                "forward",
                "Klachtencommissie",
                &committee.public_key(),
            )
            .expect("committee");
        let http = client();
        let advisor = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
        Self {
            _dir: dir,
            server,
            clock,
            tenant,
            http,
            advisor,
            management,
            hr,
            committee,
        }
    }

    fn t(&self) -> &str {
        self.tenant.id.as_str()
    }

    fn url(&self, path: &str) -> String {
        self.server.url(self.t(), path)
    }

    async fn answer(response: reqwest::Response) -> (u16, Value) {
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        Self::answer(
            self.http
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    async fn get_bytes(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    }

    async fn post_raw(&self, path: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
        Self::answer(
            self.http
                .post(self.url(path))
                .bearer_auth(token)
                .header("content-type", "application/octet-stream")
                .body(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        Self::answer(
            self.http
                .post(self.url(path))
                .json(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// A figures report sealed by `sender` to `recipients`.
    fn figures(&self, sender: &StaticSecret, recipients: &[PublicKey]) -> (ItemId, Vec<u8>) {
        let id = new_item_id();
        let item = seal(
            ItemKind::Message,
            &self.tenant.id,
            id,
            id,
            sender,
            recipients,
            br#"{"format":"meldkluis-figures/1"}"#,
        );
        (id, item)
    }

    async fn post_figures(&self, period: &str, item: Vec<u8>) -> (u16, Value) {
        self.post_raw(
            &format!("/advisor/figures?period={period}"),
            &self.advisor,
            item,
        )
        .await
    }

    /// A report sealed to the first advisor.
    async fn report(&self) -> Mailbox {
        let mailbox = Mailbox::random();
        let (_, status, _) = submit_sealed(
            &self.http,
            &self.server,
            &self.tenant,
            &mailbox,
            &[0],
            b"CANARY-org report",
            json!({}),
        )
        .await;
        assert_eq!(status, 201);
        mailbox
    }

    /// An item of a forward of `report`, from the first advisor.
    fn forward_item(
        &self,
        kind: ItemKind,
        report: ItemId,
        recipients: &[PublicKey],
        content: &[u8],
    ) -> (ItemId, Vec<u8>) {
        let id = new_item_id();
        let item = seal(
            kind,
            &self.tenant.id,
            id,
            report,
            &self.tenant.advisors[0],
            recipients,
            content,
        );
        (id, item)
    }

    async fn post_attachment(&self, report: ItemId, item: Vec<u8>) -> (u16, Value) {
        self.post_raw(
            &format!("/advisor/reports/{}/forwards/attachments", report.to_hex()),
            &self.advisor,
            item,
        )
        .await
    }

    async fn post_forward(
        &self,
        report: ItemId,
        attachments: &[ItemId],
        item: Vec<u8>,
    ) -> (u16, Value) {
        let list: Vec<String> = attachments.iter().map(ItemId::to_hex).collect();
        self.post_raw(
            // A comma as a client's query encoder writes it.
            &format!(
                "/advisor/reports/{}/forwards?attachments={}",
                report.to_hex(),
                list.join("%2C")
            ),
            &self.advisor,
            item,
        )
        .await
    }

    /// A recipient challenge: (challenge id, message).
    async fn recipient_challenge(&self) -> (String, [u8; 64]) {
        let (status, challenge) = self.get("/recipient/challenge", "").await;
        assert_eq!(status, 200);
        let message: [u8; 64] = hex::decode(challenge["message"].as_str().expect("message"))
            .expect("hex")
            .try_into()
            .expect("64 bytes");
        (
            challenge["challenge"].as_str().expect("id").to_owned(),
            message,
        )
    }

    fn recipient_context(&self) -> Vec<u8> {
        recipient_login_context(&self.tenant.id, self.server.state.server_origin())
    }

    fn advisor_context(&self) -> Vec<u8> {
        meldkluis_server::auth::challenge_context(
            &self.tenant.id,
            self.server.state.server_origin(),
        )
    }

    async fn recipient_login_with(
        &self,
        key: &StaticSecret,
        challenge: &str,
        answer: &[u8],
    ) -> (u16, Value) {
        self.post_json(
            "/recipient/login",
            &json!({
                "public_key": key.public_key().to_hex(),
                "challenge": challenge,
                "answer": hex::encode(answer),
            }),
        )
        .await
    }

    async fn recipient_login(&self, key: &StaticSecret) -> (u16, Value) {
        let (id, message) = self.recipient_challenge().await;
        let answer = answer_challenge(key, &message, &self.recipient_context()).expect("answer");
        self.recipient_login_with(key, &id, &answer).await
    }

    async fn recipient_token(&self, key: &StaticSecret) -> String {
        let (status, body) = self.recipient_login(key).await;
        assert_eq!(status, 200, "recipient log-in: {body}");
        body["token"].as_str().expect("token").to_owned()
    }
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

/// The previous calendar year and the current quarter, as periods.
fn periods() -> (String, String) {
    let today = today().to_string();
    let year: u32 = today[..4].parse().expect("year");
    let month: u32 = today[5..7].parse().expect("month");
    (
        (year - 1).to_string(),
        format!("{year}-Q{}", (month - 1) / 3 + 1),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_figures_report_goes_only_to_management_recipients_and_advisors_from_the_session_advisor()
{
    let org = Org::start("org-figures").await;
    let advisors = org.tenant.advisor_keys();
    let management = org.management.public_key();
    let (last_year, this_quarter) = periods();

    // Refused recipients: the recovery key, a forward recipient, an
    // unknown key; none that is a management recipient.
    let stranger = key().public_key();
    for (what, recipients) in [
        (
            "the recovery key",
            vec![management, advisors[0], org.tenant.recovery.public_key()],
        ),
        (
            "a forward recipient",
            vec![management, advisors[0], org.hr.public_key()],
        ),
        ("an unknown key", vec![management, advisors[0], stranger]),
        ("no management recipient", vec![advisors[0], advisors[1]]),
    ] {
        let (_, item) = org.figures(&org.tenant.advisors[0], &recipients);
        let (status, body) = org.post_figures(&last_year, item).await;
        assert_eq!((status, code(&body)), (400, "invalid_item"), "{what}");
    }
    // A sender other than the session's advisor (the co-advisor's key),
    // a report id other than the item id, another kind.
    let recipients = [management, advisors[0], advisors[1]];
    let (_, by_colleague) = org.figures(&org.tenant.advisors[1], &recipients);
    let (status, body) = org.post_figures(&last_year, by_colleague).await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_item"),
        "another sender"
    );
    let other_report = seal(
        ItemKind::Message,
        &org.tenant.id,
        new_item_id(),
        new_item_id(),
        &org.tenant.advisors[0],
        &recipients,
        b"{}",
    );
    let (status, body) = org.post_figures(&last_year, other_report).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "report id");
    let id = new_item_id();
    let attachment = seal(
        ItemKind::Attachment,
        &org.tenant.id,
        id,
        id,
        &org.tenant.advisors[0],
        &recipients,
        b"{}",
    );
    let (status, body) = org.post_figures(&last_year, attachment).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "kind");
    let (status, body) = org.post_figures(&last_year, b"not an item".to_vec()).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "malformed");

    // Periods: malformed, missing, not ended.
    for period in ["2026-Q5", "26", "2026-01", "", "2999", &this_quarter] {
        let (_, item) = org.figures(&org.tenant.advisors[0], &recipients);
        let (status, body) = org.post_figures(period, item).await;
        assert_eq!((status, code(&body)), (400, "invalid_period"), "{period:?}");
    }
    let (_, item) = org.figures(&org.tenant.advisors[0], &recipients);
    let (status, body) = org.post_raw("/advisor/figures", &org.advisor, item).await;
    assert_eq!((status, code(&body)), (400, "invalid_period"), "no period");

    // The good one, to management and both advisors.
    let (id, item) = org.figures(&org.tenant.advisors[0], &recipients);
    let (status, body) = org.post_figures(&last_year, item.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["item_id"], id.to_hex());
    let (status, again) = org.post_figures(&last_year, item.clone()).await;
    assert_eq!((status, code(&again)), (409, "conflict"));
    let (status, list) = org.get("/advisor/figures", &org.advisor).await;
    assert_eq!(status, 200);
    assert_eq!(list["figures"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["figures"][0]["period"], last_year);
    assert_eq!(list["figures"][0]["sender"], advisors[0].to_hex());
    let (status, bytes) = org
        .get_bytes(&format!("/advisor/figures/{}", id.to_hex()), &org.advisor)
        .await;
    assert_eq!((status, bytes.as_slice()), (200, item.as_slice()));

    // Management reads it; the item opens with its key.
    let token = org.recipient_token(&org.management).await;
    let (status, items) = org.get("/recipient/items", &token).await;
    assert_eq!(status, 200);
    assert_eq!(items["role"], "management");
    assert_eq!(items["items"][0]["kind"], "figures");
    assert_eq!(items["items"][0]["period"], last_year);
    let (status, bytes) = org
        .get_bytes(&format!("/recipient/items/{}", id.to_hex()), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        open(&bytes, &org.management, &org.tenant.id, &advisors),
        br#"{"format":"meldkluis-figures/1"}"#
    );

    // A removed management recipient is refused as a recipient.
    org.server
        .admin()
        .remove_recipient(&org.tenant.id, &management)
        .expect("remove");
    let (_, item) = org.figures(&org.tenant.advisors[0], &recipients);
    let (status, body) = org.post_figures(&last_year, item).await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_item"),
        "removed recipient"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_goes_to_one_current_forward_recipient_with_attachments_of_its_report() {
    let org = Org::start("org-forwards").await;
    let report = org.report().await;
    let other = org.report().await;
    let (hr, committee) = (org.hr.public_key(), org.committee.public_key());
    let rid = report.report_id;

    // Attachments: to one forward recipient only, of this report.
    let (a1, item) = org.forward_item(ItemKind::Attachment, rid, &[hr], &vec![0x41; 50_000]);
    let (status, body) = org.post_attachment(rid, item).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["item_id"], a1.to_hex());
    for (what, recipients) in [
        ("two stanzas", vec![hr, committee]),
        ("a management recipient", vec![org.management.public_key()]),
        ("an advisor", vec![org.tenant.advisor_keys()[0]]),
    ] {
        let (_, item) = org.forward_item(ItemKind::Attachment, rid, &recipients, b"x");
        let (status, body) = org.post_attachment(rid, item).await;
        assert_eq!((status, code(&body)), (400, "invalid_item"), "{what}");
    }
    let (_, of_other) = org.forward_item(ItemKind::Attachment, other.report_id, &[hr], b"x");
    let (status, body) = org.post_attachment(rid, of_other).await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_item"),
        "another report's"
    );
    // An attachment waiting under the other report, and one to the
    // committee under this report.
    let (a_other, item) = org.forward_item(ItemKind::Attachment, other.report_id, &[hr], b"o");
    assert_eq!(org.post_attachment(other.report_id, item).await.0, 201);
    let (a_committee, item) = org.forward_item(ItemKind::Attachment, rid, &[committee], b"c");
    assert_eq!(org.post_attachment(rid, item).await.0, 201);

    // Forwards refused: two stanzas, a management recipient, a removed
    // recipient, an attachment of another report or to another
    // recipient, a thread attachment id, another advisor as sender.
    let (_, two) = org.forward_item(ItemKind::Message, rid, &[hr, committee], b"{}");
    let (status, body) = org.post_forward(rid, &[], two).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "two stanzas");
    let (_, to_management) = org.forward_item(
        ItemKind::Message,
        rid,
        &[org.management.public_key()],
        b"{}",
    );
    let (status, body) = org.post_forward(rid, &[], to_management).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "management");
    for (what, attachments) in [
        ("another report's attachment", vec![a1, a_other]),
        ("another recipient's attachment", vec![a1, a_committee]),
        ("an unknown attachment", vec![new_item_id()]),
    ] {
        let (_, item) = org.forward_item(ItemKind::Message, rid, &[hr], b"{}");
        let (status, body) = org.post_forward(rid, &attachments, item).await;
        assert_eq!((status, code(&body)), (400, "invalid_item"), "{what}");
    }
    let by_colleague = seal(
        ItemKind::Message,
        &org.tenant.id,
        new_item_id(),
        rid,
        &org.tenant.advisors[1],
        &[hr],
        b"{}",
    );
    let (status, body) = org.post_forward(rid, &[], by_colleague).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "sender");
    let (_, of_other) = org.forward_item(ItemKind::Message, other.report_id, &[hr], b"{}");
    let (status, body) = org.post_forward(rid, &[], of_other).await;
    assert_eq!((status, code(&body)), (400, "invalid_item"), "report id");

    // The forward to HR with its attachment.
    let (forward, item) = org.forward_item(ItemKind::Message, rid, &[hr], b"CANARY-forward text");
    let (status, body) = org.post_forward(rid, &[a1], item).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["item_id"], forward.to_hex());
    let day = today().to_string();
    assert_eq!(body["day"], day);
    // A second forward under the same item id (the console derives it from
    // the approval: one approval, one forward) is refused, whatever it says.
    let again = seal(
        ItemKind::Message,
        &org.tenant.id,
        forward,
        rid,
        &org.tenant.advisors[0],
        &[hr],
        b"CANARY-forward text, again",
    );
    let (status, body) = org.post_forward(rid, &[], again).await;
    assert_eq!((status, code(&body)), (409, "conflict"), "same forward id");
    // Its attachment cannot be used again.
    let (_, item) = org.forward_item(ItemKind::Message, rid, &[hr], b"{}");
    let (status, body) = org.post_forward(rid, &[a1], item).await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_item"),
        "used attachment"
    );

    // The mailbox shows it; so do the advisors' thread, events and list.
    let reporter = mailbox_login(&org.http, &org.server, org.t(), &report).await;
    let (status, thread) = org.get("/mailbox", &reporter).await;
    assert_eq!(status, 200);
    // The item id listed is the forward's: the mailbox tells by it which
    // approval a forward used (REPORT-CONTENT.md, "Forward").
    let listed = json!([{ "item_id": forward.to_hex(), "day": day, "label": "HR — P. de Boer", "role": "forward" }]);
    assert_eq!(thread["forwards"], listed);
    let (_, other_thread) = org
        .get(
            "/mailbox",
            &mailbox_login(&org.http, &org.server, org.t(), &other).await,
        )
        .await;
    assert_eq!(other_thread["forwards"], json!([]));
    let (status, thread) = org
        .get(&format!("/advisor/reports/{}", rid.to_hex()), &org.advisor)
        .await;
    assert_eq!(status, 200);
    assert_eq!(thread["forwards"], listed);
    let forwarded: Vec<&Value> = thread["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"] == "forwarded")
        .collect();
    assert_eq!(forwarded.len(), 1);
    assert_eq!(forwarded[0]["detail"], "HR — P. de Boer");
    let (status, list) = org
        .get(
            &format!("/advisor/reports/{}/forwards", rid.to_hex()),
            &org.advisor,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["forwards"][0]["item_id"], forward.to_hex());
    assert_eq!(list["forwards"][0]["recipient_public_key"], hr.to_hex());

    // A removed forward recipient gets nothing new.
    org.server
        .admin()
        .remove_recipient(&org.tenant.id, &committee)
        .expect("remove");
    let (_, item) = org.forward_item(ItemKind::Message, rid, &[committee], b"{}");
    let (status, body) = org.post_forward(rid, &[], item).await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_item"),
        "removed recipient"
    );
    let (_, item) = org.forward_item(ItemKind::Attachment, rid, &[committee], b"x");
    let (status, body) = org.post_attachment(rid, item).await;
    assert_eq!(
        (status, code(&body)),
        (400, "invalid_item"),
        "removed recipient"
    );

    // The co-advisor to whom the report is not sealed cannot forward it.
    let colleague = advisor_login(
        &org.http,
        &org.server,
        &org.tenant.id,
        &org.tenant.advisors[1],
    )
    .await;
    let item = seal(
        ItemKind::Message,
        &org.tenant.id,
        new_item_id(),
        rid,
        &org.tenant.advisors[1],
        &[hr],
        b"{}",
    );
    let (status, body) = org
        .post_raw(
            &format!("/advisor/reports/{}/forwards", rid.to_hex()),
            &colleague,
            item,
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (404, "not_found"),
        "not the advisor's report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_lists_and_fetches_only_the_items_sealed_to_it() {
    let org = Org::start("org-visibility").await;
    let report = org.report().await;
    let rid = report.report_id;
    let hr = org.hr.public_key();
    let (attachment, item) = org.forward_item(ItemKind::Attachment, rid, &[hr], b"attached");
    assert_eq!(org.post_attachment(rid, item).await.0, 201);
    let (waiting, item) = org.forward_item(ItemKind::Attachment, rid, &[hr], b"waiting");
    assert_eq!(org.post_attachment(rid, item).await.0, 201);
    let (forward, item) = org.forward_item(ItemKind::Message, rid, &[hr], b"CANARY-forward");
    assert_eq!(org.post_forward(rid, &[attachment], item).await.0, 201);
    // A thread message of the report, sealed to the advisors.
    let message = new_item_id();
    let item = seal(
        ItemKind::Message,
        &org.tenant.id,
        message,
        rid,
        &org.tenant.advisors[0],
        &report.recipients(&org.tenant, &org.tenant.advisor_keys()),
        b"CANARY-thread",
    );
    let (status, _) = Org::answer(
        org.http
            .post(org.url(&format!("/advisor/reports/{}/messages", rid.to_hex())))
            .bearer_auth(&org.advisor)
            .json(&json!({ "item": b64(&item) }))
            .send()
            .await
            .expect("message"),
    )
    .await;
    assert_eq!(status, 201);

    // HR sees its forward with the attachment, and opens both.
    let hr_token = org.recipient_token(&org.hr).await;
    let (status, items) = org.get("/recipient/items", &hr_token).await;
    assert_eq!(status, 200);
    assert_eq!(items["role"], "forward");
    assert_eq!(items["label"], "HR — P. de Boer");
    assert_eq!(items["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(items["items"][0]["item_id"], forward.to_hex());
    assert_eq!(items["items"][0]["kind"], "forward");
    assert_eq!(
        items["items"][0]["attachments"],
        json!([{ "item_id": attachment.to_hex(), "size": items["items"][0]["attachments"][0]["size"] }])
    );
    let senders = org.tenant.advisor_keys();
    let (status, bytes) = org
        .get_bytes(&format!("/recipient/items/{}", forward.to_hex()), &hr_token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        open(&bytes, &org.hr, &org.tenant.id, &senders),
        b"CANARY-forward"
    );
    let (status, bytes) = org
        .get_bytes(
            &format!("/recipient/items/{}", attachment.to_hex()),
            &hr_token,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(open(&bytes, &org.hr, &org.tenant.id, &senders), b"attached");

    // HR cannot fetch the report, a thread message, or an attachment no
    // forward names yet.
    for (what, id) in [
        ("the report", rid),
        ("a thread message", message),
        ("a waiting attachment", waiting),
        ("an unknown id", new_item_id()),
    ] {
        let (status, body) = org
            .get(&format!("/recipient/items/{}", id.to_hex()), &hr_token)
            .await;
        assert_eq!((status, code(&body)), (404, "not_found"), "{what}");
    }

    // The committee and management see none of it.
    for other in [&org.committee, &org.management] {
        let token = org.recipient_token(other).await;
        let (status, items) = org.get("/recipient/items", &token).await;
        assert_eq!(status, 200);
        assert_eq!(items["items"], json!([]));
        for id in [forward, attachment] {
            let (status, body) = org
                .get(&format!("/recipient/items/{}", id.to_hex()), &token)
                .await;
            assert_eq!((status, code(&body)), (404, "not_found"));
        }
    }

    // A recipient's session reaches no advisor or mailbox route, and an
    // advisor's session no recipient route.
    for path in [
        "/advisor/reports",
        "/advisor/recipients",
        "/advisor/figures",
        "/mailbox",
    ] {
        let (status, body) = org.get(path, &hr_token).await;
        assert_eq!((status, code(&body)), (401, "unauthorized"), "{path}");
    }
    let (status, body) = org.get("/recipient/items", &org.advisor).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"));

    // The advisors' list of recipients: current ones, with fingerprints.
    let (status, list) = org.get("/advisor/recipients", &org.advisor).await;
    assert_eq!(status, 200);
    let recipients = list["recipients"].as_array().expect("list");
    assert_eq!(recipients.len(), 3);
    assert_eq!(recipients[1]["role"], "forward");
    assert_eq!(recipients[1]["public_key"], hr.to_hex());
    assert_eq!(recipients[1]["fingerprint"], hr.fingerprint());
    assert_eq!(recipients[1]["key_source"], "token");
    org.server
        .admin()
        .remove_recipient(&org.tenant.id, &org.committee.public_key())
        .expect("remove");
    let (_, list) = org.get("/advisor/recipients", &org.advisor).await;
    assert_eq!(list["recipients"].as_array().map(Vec::len), Some(2));
}

/// The 64 hex digits of an enrolment link's fragment.
fn invitation_of(link: &str) -> String {
    link.rsplit_once('#').expect("fragment").1.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_enrols_once_and_expires() {
    let org = Org::start("org-invite").await;
    let admin = org.server.admin();
    let (link, last_day) = admin
        .invite_recipient(&org.tenant.id, "management", "OR-rapportage", 14)
        .expect("invite");
    assert!(
        link.starts_with(&format!(
            "{}/t/org-invite/enrol#",
            org.server.config.public_url()
        )),
        "{link}"
    );
    assert_eq!(last_day, today().add_days(13).to_string());
    let secret = invitation_of(&link);
    assert_eq!(secret.len(), 64);
    let enrol = |invitation: String, key: PublicKey| {
        let org = &org;
        async move {
            org.post_json(
                "/recipient/enrol",
                &json!({ "invitation": invitation, "public_key": key.to_hex() }),
            )
            .await
        }
    };

    // A key already in use (an advisor's, the recovery key, a recipient's)
    // is refused and leaves the invitation usable.
    for used in [
        org.tenant.advisor_keys()[0],
        org.tenant.recovery.public_key(),
        org.hr.public_key(),
    ] {
        let (status, body) = enrol(secret.clone(), used).await;
        assert_eq!((status, code(&body)), (409, "already_enrolled"));
    }
    let member = key();
    let (status, body) = enrol(secret.clone(), member.public_key()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["role"], "management");
    assert_eq!(body["label"], "OR-rapportage");
    assert_eq!(body["fingerprint"], member.public_key().fingerprint());
    // Single use.
    let (status, body) = enrol(secret, key().public_key()).await;
    assert_eq!((status, code(&body)), (403, "invalid_invitation"), "used");
    // The enrolled key logs in; its source is a code.
    let token = org.recipient_token(&member).await;
    assert_eq!(org.get("/recipient/items", &token).await.0, 200);
    let (_, list) = org.get("/advisor/recipients", &org.advisor).await;
    let enrolled = list["recipients"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["public_key"] == member.public_key().to_hex())
        .cloned()
        .expect("listed");
    assert_eq!(enrolled["key_source"], "code");

    // Unknown, and expired: a one-day invitation on the next day.
    let (status, body) = enrol(hex::encode([7u8; 32]), key().public_key()).await;
    assert_eq!(
        (status, code(&body)),
        (403, "invalid_invitation"),
        "unknown"
    );
    let (short, _) = admin
        .invite_recipient(&org.tenant.id, "forward", "HR", 1)
        .expect("invite");
    let (long, _) = admin
        .invite_recipient(&org.tenant.id, "forward", "HR", 30)
        .expect("invite");
    org.clock.set(today().add_days(1), 9);
    let (status, body) = enrol(invitation_of(&short), key().public_key()).await;
    assert_eq!(
        (status, code(&body)),
        (403, "invalid_invitation"),
        "expired"
    );
    org.clock.set(today().add_days(30), 9);
    let (status, body) = enrol(invitation_of(&long), key().public_key()).await;
    assert_eq!(
        (status, code(&body)),
        (403, "invalid_invitation"),
        "expired"
    );
    org.clock.set(today().add_days(29), 9);
    let (status, _) = enrol(invitation_of(&long), key().public_key()).await;
    assert_eq!(status, 201, "its last day");

    // The operator's checks.
    assert!(admin
        .invite_recipient(&org.tenant.id, "board", "x", 14)
        .is_err());
    assert!(admin
        .invite_recipient(&org.tenant.id, "forward", &"x".repeat(201), 14)
        .is_err());
    assert!(admin
        .invite_recipient(&org.tenant.id, "forward", "x", 31)
        .is_err());
    assert!(admin
        .invite_recipient(&org.tenant.id, "forward", "x", 0)
        .is_err());
    assert!(admin
        .add_recipient(
            &org.tenant.id,
            "forward",
            "x",
            &org.tenant.advisor_keys()[1]
        )
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_recipient_cannot_log_in_and_its_session_ends() {
    let org = Org::start("org-removed").await;
    let token = org.recipient_token(&org.hr).await;
    assert_eq!(org.get("/recipient/items", &token).await.0, 200);
    org.server
        .admin()
        .remove_recipient(&org.tenant.id, &org.hr.public_key())
        .expect("remove");
    let (status, body) = org.get("/recipient/items", &token).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"), "session ends");
    let (status, body) = org.recipient_login(&org.hr).await;
    assert_eq!((status, code(&body)), (401, "login_failed"), "no log-in");
    // An unknown key neither.
    let (status, body) = org.recipient_login(&key()).await;
    assert_eq!((status, code(&body)), (401, "login_failed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisor_and_recipient_answers_do_not_stand_in_for_each_other() {
    let org = Org::start("org-contexts").await;
    let advisor_key = &org.tenant.advisors[0];

    // A recipient's answer over the advisor context, to a recipient
    // challenge.
    let (id, message) = org.recipient_challenge().await;
    let wrong = answer_challenge(&org.hr, &message, &org.advisor_context()).expect("answer");
    let (status, body) = org.recipient_login_with(&org.hr, &id, &wrong).await;
    assert_eq!(
        (status, code(&body)),
        (401, "login_failed"),
        "advisor context"
    );

    // An advisor challenge answered by the recipient over the recipient
    // context and posted to the recipient log-in: the id is an advisor's.
    let (status, challenge) = org.get("/advisor/challenge", "").await;
    assert_eq!(status, 200);
    let advisor_message: [u8; 64] = unb64(challenge["challenge"].as_str().expect("challenge"))
        .try_into()
        .expect("64");
    let advisor_id = challenge["challenge_id"].as_str().expect("id").to_owned();
    let answer =
        answer_challenge(&org.hr, &advisor_message, &org.recipient_context()).expect("answer");
    let (status, body) = org
        .recipient_login_with(&org.hr, &advisor_id, &answer)
        .await;
    assert_eq!(
        (status, code(&body)),
        (401, "login_failed"),
        "advisor challenge id"
    );

    // A recipient's correct answer posted to the advisor log-in.
    let (id, message) = org.recipient_challenge().await;
    let answer = answer_challenge(&org.hr, &message, &org.recipient_context()).expect("answer");
    let (status, body) = org
        .post_json(
            "/advisor/login",
            &json!({
                "challenge_id": id,
                "public_key": org.hr.public_key().to_hex(),
                "response": b64(&answer),
            }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (401, "login_failed"),
        "recipient at the advisor log-in"
    );

    // An advisor's correct advisor answer posted to the recipient log-in,
    // and an advisor answering a recipient challenge over the recipient
    // context: an advisor is not a recipient.
    let advisor_answer =
        answer_challenge(advisor_key, &advisor_message, &org.advisor_context()).expect("answer");
    let (status, body) = org
        .recipient_login_with(advisor_key, &advisor_id, &advisor_answer)
        .await;
    assert_eq!(
        (status, code(&body)),
        (401, "login_failed"),
        "advisor answer"
    );
    let (id, message) = org.recipient_challenge().await;
    let answer = answer_challenge(advisor_key, &message, &org.recipient_context()).expect("answer");
    let (status, body) = org.recipient_login_with(advisor_key, &id, &answer).await;
    assert_eq!((status, code(&body)), (401, "login_failed"), "advisor key");

    // The right answer works once.
    let (id, message) = org.recipient_challenge().await;
    let answer = answer_challenge(&org.hr, &message, &org.recipient_context()).expect("answer");
    let (status, body) = org.recipient_login_with(&org.hr, &id, &answer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "forward");
    assert_eq!(body["label"], "HR — P. de Boer");
    assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0));
    let (status, body) = org.recipient_login_with(&org.hr, &id, &answer).await;
    assert_eq!((status, code(&body)), (401, "login_failed"), "replay");
    // Log-out ends the session.
    let token = org.recipient_token(&org.hr).await;
    let response = org
        .http
        .post(org.url("/recipient/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), 204);
    assert_eq!(org.get("/recipient/items", &token).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_to_the_organisation_routes_gets_a_translated_4xx() {
    let org = Org::start("org-bad-input").await;
    let report = org.report().await;
    let rid = report.report_id.to_hex();
    let hr_token = org.recipient_token(&org.hr).await;
    let good_key = key().public_key().to_hex();
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "enrol: invitation not hex",
            org.http.post(org.url("/recipient/enrol")).json(
                &json!({ "invitation": "zz".repeat(32), "public_key": good_key }),
            ),
            400,
            "bad_request",
        ),
        (
            "enrol: short key",
            org.http.post(org.url("/recipient/enrol")).json(
                &json!({ "invitation": "00".repeat(32), "public_key": "abcd" }),
            ),
            400,
            "bad_request",
        ),
        (
            "enrol: unknown field",
            org.http.post(org.url("/recipient/enrol")).json(
                &json!({ "invitation": "00".repeat(32), "public_key": good_key, "role": "management" }),
            ),
            400,
            "invalid_json",
        ),
        (
            "login: answer not hex",
            org.http.post(org.url("/recipient/login")).json(
                &json!({ "public_key": good_key, "challenge": "00".repeat(40), "answer": "xyz" }),
            ),
            401,
            "login_failed",
        ),
        (
            "login: key not hex",
            org.http.post(org.url("/recipient/login")).json(
                &json!({ "public_key": "nothex", "challenge": "00".repeat(40), "answer": "00".repeat(32) }),
            ),
            400,
            "bad_request",
        ),
        (
            "item id not hex",
            org.http.get(org.url("/recipient/items/not-hex")).bearer_auth(&hr_token),
            400,
            "bad_request",
        ),
        (
            "figures id not hex",
            org.http.get(org.url("/advisor/figures/12")).bearer_auth(&org.advisor),
            400,
            "bad_request",
        ),
        (
            "forward: attachment id not hex",
            org.http
                .post(org.url(&format!("/advisor/reports/{rid}/forwards?attachments=beef")))
                .bearer_auth(&org.advisor)
                .body(vec![1, 2, 3]),
            400,
            "bad_request",
        ),
        (
            "forward: malformed item",
            org.http
                .post(org.url(&format!("/advisor/reports/{rid}/forwards")))
                .bearer_auth(&org.advisor)
                .body(vec![1, 2, 3]),
            400,
            "invalid_item",
        ),
        (
            "forward attachment: malformed item",
            org.http
                .post(org.url(&format!("/advisor/reports/{rid}/forwards/attachments")))
                .bearer_auth(&org.advisor)
                .body(vec![0u8; 10]),
            400,
            "invalid_item",
        ),
        (
            "figures: future period",
            org.http
                .post(org.url("/advisor/figures?period=2999-Q1"))
                .bearer_auth(&org.advisor)
                .body(vec![0u8; 10]),
            400,
            "invalid_period",
        ),
        (
            "figures: oversized",
            org.http
                .post(org.url("/advisor/figures?period=2020"))
                .bearer_auth(&org.advisor)
                .body(vec![0u8; 4 * 1024 * 1024 + 1]),
            413,
            "payload_too_large",
        ),
        (
            "forwards of a report not the advisor's",
            org.http
                .get(org.url(&format!("/advisor/reports/{}/forwards", new_item_id().to_hex())))
                .bearer_auth(&org.advisor),
            404,
            "not_found",
        ),
    ];
    for (what, request, status, expected) in cases {
        for lang in ["nl", "en"] {
            let request = request
                .try_clone()
                .expect("clonable")
                .header("accept-language", lang);
            let (got, body) = Org::answer(request.send().await.expect("request")).await;
            assert_eq!((got, code(&body)), (status, expected), "{what} ({lang})");
            let message = body["error"]["message"].as_str().unwrap_or("");
            assert!(
                !message.is_empty() && !message.starts_with("error-"),
                "{what}: a translated message in {lang}: {message:?}"
            );
        }
    }
    // A new code says different things in Dutch and English.
    let unknown = json!({ "invitation": "00".repeat(32), "public_key": good_key });
    let mut messages = Vec::new();
    for lang in ["nl", "en"] {
        let (status, body) = Org::answer(
            org.http
                .post(org.url("/recipient/enrol"))
                .header("accept-language", lang)
                .json(&unknown)
                .send()
                .await
                .expect("enrol"),
        )
        .await;
        assert_eq!((status, code(&body)), (403, "invalid_invitation"));
        messages.push(body["error"]["message"].clone());
    }
    assert_ne!(messages[0], messages[1]);
    // The operator's input: an unknown role, an oversized or empty label.
    let admin = org.server.admin();
    for (role, label) in [
        ("board", "Directie"),
        ("management", ""),
        ("forward", "a\u{7}b"),
    ] {
        assert!(admin
            .add_recipient(&org.tenant.id, role, label, &key().public_key())
            .is_err());
    }
    assert!(admin
        .add_recipient(
            &org.tenant.id,
            "forward",
            &"é".repeat(201),
            &key().public_key()
        )
        .is_err());
}

/// The attachment file of `id` in the tenant's data directory.
fn attachment_file(server: &TestServer, tenant: &TenantId, id: ItemId) -> std::path::PathBuf {
    server
        .state
        .tenants()
        .layout()
        .attachments_dir(tenant)
        .join(format!("{}.item", id.to_hex()))
}

/// The number of rows of `table` in a tenant database file.
fn rows(db: &std::path::Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_and_its_attachments_go_with_their_report_and_stay_out_of_later_backups() {
    let org = Org::start("org-deletion").await;
    org.server
        .admin()
        .set_lifecycle(&org.tenant.id, Some(1), None, None)
        .expect("one month");
    let report = org.report().await;
    let rid = report.report_id;
    let hr = org.hr.public_key();
    let (attachment, item) =
        org.forward_item(ItemKind::Attachment, rid, &[hr], &vec![0x61; 30_000]);
    assert_eq!(org.post_attachment(rid, item).await.0, 201);
    let (forward, item) = org.forward_item(ItemKind::Message, rid, &[hr], b"CANARY-forward");
    assert_eq!(org.post_forward(rid, &[attachment], item).await.0, 201);
    let (_, figures) = org.figures(
        &org.tenant.advisors[0],
        &[org.management.public_key(), org.tenant.advisor_keys()[0]],
    );
    assert_eq!(org.post_figures("2020", figures).await.0, 201);
    let file = attachment_file(&org.server, &org.tenant.id, attachment);
    assert!(file.exists());

    // The register keeps the recorded days and the channel.
    assert_eq!(
        advisor_set_status(
            &org.http,
            &org.server,
            &org.tenant,
            &org.advisor,
            rid,
            "feedback_given",
            None
        )
        .await,
        200
    );
    assert_eq!(
        advisor_set_status(
            &org.http,
            &org.server,
            &org.tenant,
            &org.advisor,
            rid,
            "closed",
            None
        )
        .await,
        200
    );
    let (status, register) = org.get("/advisor/register", &org.advisor).await;
    assert_eq!(status, 200);
    let line = &register["lines"][0];
    let day = today().to_string();
    assert_eq!(line["report_id"], rid.to_hex());
    assert_eq!(line["acknowledged_day"], day);
    assert_eq!(line["feedback_day"], day);
    assert_eq!(line["channel"], "web");
    let csv = org
        .http
        .get(org.url("/advisor/register.csv"))
        .bearer_auth(&org.advisor)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("text");
    assert!(csv.starts_with(
        "number,received_day,category,closing_reason,closed_day,hold_until,hold_reason,deletion_day,deleted_day,acknowledged_day,feedback_day,channel\r\n"
    ), "{csv}");
    assert!(csv.contains(&format!(",{day},{day},web\r\n")), "{csv}");

    // A backup before the deletion holds the forward and its attachment.
    let backups = tempfile::tempdir().expect("backups");
    let before = backups.path().join("before");
    meldkluis_server::backup::backup(&org.server.config, &before, today()).expect("backup");
    let tenant_copy =
        |dir: &std::path::Path| dir.join("tenants").join(org.t()).join("tenant.sqlite");
    let attachment_name = format!("{}.item", attachment.to_hex());
    let named = |dir: &std::path::Path| {
        files_under(dir)
            .iter()
            .any(|f| f.file_name().is_some_and(|n| n == attachment_name.as_str()))
    };
    assert!(named(&before));
    assert_eq!(rows(&tenant_copy(&before), "org_items"), 3);

    // The daily lifecycle deletes the report with its forward.
    let deletion_day = today().add_months(1);
    org.clock.set(deletion_day, 3);
    let run = meldkluis_server::lifecycle::run_day(&org.server.state, deletion_day)
        .await
        .expect("lifecycle");
    assert_eq!((run.reports_deleted, run.failed), (1, 0));
    assert!(!file.exists(), "the forward's attachment file is gone");
    let hr_token = org.recipient_token(&org.hr).await;
    let (_, items) = org.get("/recipient/items", &hr_token).await;
    assert_eq!(items["items"], json!([]));
    for id in [forward, attachment] {
        let (status, _) = org
            .get(&format!("/recipient/items/{}", id.to_hex()), &hr_token)
            .await;
        assert_eq!(status, 404);
    }
    let live = org
        .server
        .state
        .tenants()
        .layout()
        .tenant_db(&org.tenant.id);
    assert_eq!(rows(&live, "org_items"), 1, "only the figures report stays");
    assert_eq!(rows(&live, "org_item_recipients"), 2);
    let (_, register) = org.get("/advisor/register", &org.advisor).await;
    assert_eq!(register["lines"][0]["report_id"], Value::Null);
    assert_eq!(register["lines"][0]["feedback_day"], day, "the day stays");
    let management = org.recipient_token(&org.management).await;
    let (_, items) = org.get("/recipient/items", &management).await;
    assert_eq!(
        items["items"].as_array().map(Vec::len),
        Some(1),
        "figures stay"
    );

    // A later backup has neither.
    let after = backups.path().join("after");
    meldkluis_server::backup::backup(&org.server.config, &after, deletion_day).expect("backup");
    assert!(!named(&after));
    assert_eq!(rows(&tenant_copy(&after), "org_items"), 1);

    // The earlier backup, restored, loses them again through the
    // deletion log.
    let restored_dir = backups.path().join("restored");
    let config = meldkluis_server::Config {
        data_dir: restored_dir.clone(),
        deletion_log_path: Some(org.server.config.deletion_log_path()),
        ..meldkluis_server::Config::default()
    };
    meldkluis_server::backup::restore(&config, &before).expect("restore");
    let restored = restored_dir.join("tenants").join(org.t());
    assert_eq!(rows(&restored.join("tenant.sqlite"), "org_items"), 1);
    assert!(!named(&restored_dir), "no attachment file restored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenant_export_holds_the_recipients_and_their_items() {
    let org = Org::start("org-export").await;
    let report = org.report().await;
    let rid = report.report_id;
    let hr = org.hr.public_key();
    let (attachment, item) = org.forward_item(ItemKind::Attachment, rid, &[hr], b"attached");
    assert_eq!(org.post_attachment(rid, item.clone()).await.0, 201);
    let (forward, forward_item) = org.forward_item(ItemKind::Message, rid, &[hr], b"forward");
    assert_eq!(
        org.post_forward(rid, &[attachment], forward_item.clone())
            .await
            .0,
        201
    );
    let out = tempfile::tempdir().expect("out");
    let dir = out.path().join("export");
    let summary =
        meldkluis_server::export::export_tenant(&org.server.config, &org.tenant.id, &dir, today())
            .expect("export");
    assert_eq!(summary.counts.recipients, 3);
    assert_eq!(summary.counts.organisation_items, 2);
    let read = |path: &str| std::fs::read(dir.join(path)).expect(path);
    assert_eq!(
        read(&format!("organisation/items/{}.item", attachment.to_hex())),
        item
    );
    assert_eq!(
        read(&format!("organisation/items/{}.item", forward.to_hex())),
        forward_item
    );
    let items: Value = serde_json::from_slice(&read("organisation/items.json")).expect("json");
    let kinds: Vec<&str> = items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or(""))
        .collect();
    assert!(kinds.contains(&"forward") && kinds.contains(&"forward_attachment"));
    let recipients: Value =
        serde_json::from_slice(&read("organisation/recipients.json")).expect("json");
    assert_eq!(recipients.as_array().map(Vec::len), Some(3));
    let manifest: Value = serde_json::from_slice(&read("manifest.json")).expect("manifest");
    assert!(manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .any(|f| f["path"] == "organisation/items.json"));
}
