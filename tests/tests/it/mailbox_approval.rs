//! Consent to forwarding in the reporter's mailbox, in a real headless
//! Chromium (issue 12): the mailbox shows an advisor's approval request
//! exactly (text, attachments, recipients), computes the subject hash
//! itself with the wasm, and sends an approval sealed by the mailbox key
//! that carries that hash. A request whose named hash is not the hash of
//! what it shows, or whose attachment is not the file it names, cannot be
//! approved. A consent can be withdrawn until a forward used it — the
//! forward whose item id is derived from the consent's subject hash
//! (REPORT-CONTENT.md, "Forward", "Item id"), not any forward to the same
//! recipient; the reporter can ask for forwarding; a forward made shows as
//! "forwarded to <label> on <day>".

use meldkluis_crypto_core::{
    ApprovalSubject, ItemId, ItemKind, LoginCode, MailboxKeys, PublicKey, StaticKey,
    SubjectAttachment, SubjectKind, SubjectRecipient,
};
use meldkluis_keys::console::forward_item_id;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{click, open_mailbox, type_into, wait_text};
use meldkluis_tests::{b64, new_item_id, open, seal, unb64, TestServer, TestTenant};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::management_pages::{enrol_by_api, text, AdvisorApi};
use crate::reporter_a11y::{axe_source, axe_violations};

/// A reporter whose login code the test knows: the report (with one
/// attachment, a file of the reporter's) is sent over the API as the
/// report page sends it.
struct Reporter {
    code: String,
    keys: MailboxKeys,
    report_id: ItemId,
    attachment: (ItemId, Vec<u8>),
}

impl Reporter {
    async fn report(server: &TestServer, tenant: &TestTenant) -> Self {
        let http = meldkluis_tests::client();
        let code = LoginCode::generate(&mut meldkluis_crypto_core::os_rng());
        let keys = MailboxKeys::derive(&code, &tenant.id);
        let report_id = new_item_id();
        let attachment = (new_item_id(), b"\x89PNG foto van het prikbord".to_vec());
        let advisors: Vec<Value> = tenant
            .advisors
            .iter()
            .enumerate()
            .map(|(i, a)| json!({ "name": format!("Adviseur {i}"), "public_key": a.public_key().to_hex() }))
            .collect();
        let content = json!({
            "format": "meldkluis-report/1",
            "language": "nl",
            "category": null,
            "answers": [{ "id": "what", "question": "Wat is er gebeurd?", "type": "long_text",
                          "value": "Er wordt gepest.", "answer": "Er wordt gepest." }],
            "reporter": { "anonymous": true },
            "advisors": advisors,
            "recovery_key": tenant.recovery.public_key().to_hex(),
            "attachments": [{ "id": attachment.0.to_hex(), "name": "prikbord.png",
                              "type": "image/png", "size": attachment.1.len() }],
        });
        let reporter = Self {
            code: code.expose_display_string().to_string(),
            keys,
            report_id,
            attachment,
        };
        let item = reporter.seal(
            tenant,
            ItemKind::Report,
            report_id,
            &serde_json::to_vec(&content).expect("json"),
        );
        let response = http
            .post(server.url(tenant.id.as_str(), "/reports"))
            .json(&json!({
                "item": b64(&item),
                "mailbox_id": reporter.keys.mailbox_id().to_hex(),
                "mailbox_public_key": reporter.keys.public_key().to_hex(),
                "auth_secret": hex::encode(reporter.keys.auth_secret().expose_secret_bytes()),
            }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "report");
        let login: Value = http
            .post(server.url(tenant.id.as_str(), "/mailbox/login"))
            .json(&json!({
                "mailbox_id": reporter.keys.mailbox_id().to_hex(),
                "auth_secret": hex::encode(reporter.keys.auth_secret().expose_secret_bytes()),
            }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        let sealed = reporter.seal(
            tenant,
            ItemKind::Attachment,
            reporter.attachment.0,
            &reporter.attachment.1,
        );
        let response = http
            .post(server.url(tenant.id.as_str(), "/mailbox/attachments"))
            .bearer_auth(login["token"].as_str().expect("token"))
            .header("content-type", "application/octet-stream")
            .body(sealed)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "attachment");
        reporter
    }

    /// The recipients of every item of this thread.
    fn recipients(&self, tenant: &TestTenant) -> Vec<PublicKey> {
        let mut keys = tenant.advisor_keys();
        keys.push(tenant.recovery.public_key());
        keys.push(self.keys.public_key());
        keys
    }

    fn seal(
        &self,
        tenant: &TestTenant,
        kind: ItemKind,
        item_id: ItemId,
        content: &[u8],
    ) -> Vec<u8> {
        seal(
            kind,
            &tenant.id,
            item_id,
            self.report_id,
            self.keys.key(),
            &self.recipients(tenant),
            content,
        )
    }
}

/// A forward draft as the advisor's console would put it to the reporter.
#[derive(Clone)]
struct Draft {
    draft_id: [u8; 16],
    version: u32,
    text: String,
    attachment: (ItemId, [u8; 32], u64),
    recipient: (PublicKey, String),
}

impl Draft {
    fn new(reporter: &Reporter, text: &str, recipient: (PublicKey, String)) -> Self {
        Self {
            draft_id: new_item_id().0,
            version: 1,
            text: text.to_owned(),
            attachment: (
                reporter.attachment.0,
                Sha256::digest(&reporter.attachment.1).into(),
                reporter.attachment.1.len() as u64,
            ),
            recipient,
        }
    }

    /// The same draft sent again as the next version: the same draft id and
    /// content, a new subject hash (the version is part of it).
    fn next_version(&self) -> Self {
        Self {
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The subject hash crypto-core computes for this draft.
    fn hash(&self, tenant: &TestTenant, report_id: ItemId) -> [u8; 32] {
        ApprovalSubject {
            kind: SubjectKind::Forward,
            tenant: tenant.id.clone(),
            report_id,
            draft_id: self.draft_id,
            version: self.version,
            text: self.text.clone(),
            attachments: vec![SubjectAttachment {
                item_id: self.attachment.0,
                sha256: self.attachment.1,
                size: self.attachment.2,
                name: "prikbord.png".into(),
                content_type: "image/png".into(),
            }],
            recipients: vec![SubjectRecipient {
                public_key: self.recipient.0,
                label: self.recipient.1.clone(),
            }],
        }
        .hash()
        .expect("a subject within the limits")
    }

    /// The request's content, naming `subject_hash` as its hash.
    fn request(&self, subject_hash: [u8; 32]) -> Value {
        json!({
            "format": "meldkluis-approval-request/1",
            "subject": "forward",
            "draft_id": hex::encode(self.draft_id),
            "version": self.version,
            "text": self.text,
            "attachments": [{ "id": self.attachment.0.to_hex(), "name": "prikbord.png", "type": "image/png",
                              "size": self.attachment.2, "sha256": hex::encode(self.attachment.1) }],
            "recipients": [{ "public_key": self.recipient.0.to_hex(), "label": self.recipient.1, "role": "forward" }],
            "subject_hash": hex::encode(subject_hash),
        })
    }
}

/// The advisor posts `content` in the thread, sealed as every advisor message.
async fn advisor_says(
    advisor: &AdvisorApi<'_>,
    tenant: &TestTenant,
    reporter: &Reporter,
    content: &Value,
) {
    let item = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        reporter.report_id,
        advisor.key,
        &reporter.recipients(tenant),
        &serde_json::to_vec(content).expect("json"),
    );
    let response = advisor
        .http
        .post(server_url(
            advisor,
            &format!("/advisor/reports/{}/messages", reporter.report_id.to_hex()),
        ))
        .bearer_auth(&advisor.token)
        .json(&json!({ "item": b64(&item) }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "advisor message");
}

fn server_url(advisor: &AdvisorApi<'_>, path: &str) -> String {
    advisor.server.url(advisor.tenant.as_str(), path)
}

/// What the reporter wrote in the thread, as the advisor opens it: each
/// message sealed by the mailbox key, in order.
async fn reporter_messages(advisor: &AdvisorApi<'_>, reporter: &Reporter) -> Vec<Value> {
    advisor_thread(advisor, reporter).await["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["from"] == json!("reporter"))
        .map(|m| {
            let item = unb64(m["item"].as_str().expect("item"));
            let content = open(
                &item,
                advisor.key,
                advisor.tenant,
                &[reporter.keys.public_key()],
            );
            serde_json::from_slice(&content).expect("JSON")
        })
        .collect()
}

/// The report's thread as the advisor gets it.
async fn advisor_thread(advisor: &AdvisorApi<'_>, reporter: &Reporter) -> Value {
    advisor
        .http
        .get(server_url(
            advisor,
            &format!("/advisor/reports/{}", reporter.report_id.to_hex()),
        ))
        .bearer_auth(&advisor.token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

/// Clicks `button` (`request-N-<decision>`) and waits for the page to say
/// the decision was sent.
async fn send_decision(browser: &Browser, button: &str) {
    let decision = button.rsplit('-').next().expect("a decision");
    click(browser, button).await;
    wait_text(
        browser,
        "thread-status",
        &text("nl", &format!("js-approval-sent-{decision}")),
    )
    .await;
}

/// The text of a request's entry in the thread and the ids of its buttons.
async fn request_entry(browser: &Browser, draft: &Draft) -> (String, Vec<String>) {
    let id = format!("request-{}-{}", hex::encode(draft.draft_id), draft.version);
    let value = browser
        .wait_for_js(
            "the request",
            &format!(
                "const e = document.getElementById({});
                 return e && [e.textContent, [...e.querySelectorAll('form button')].map(b => b.id)];",
                json!(id)
            ),
        )
        .await;
    (
        value[0].as_str().expect("text").to_owned(),
        value[1]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_str().expect("id").to_owned())
            .collect(),
    )
}

/// The advisor forwards `draft` with the reporter's approval of it (of
/// `hash`), as the console does: the attachment re-sealed to the recipient
/// alone as a new attachment item, then the `meldkluis-forward/1` item,
/// also to the recipient alone, under the item id the console derives from
/// the subject hash. Returns that id and the day the server gives.
async fn forward_approved(
    advisor: &AdvisorApi<'_>,
    reporter: &Reporter,
    draft: &Draft,
    hash: [u8; 32],
) -> (ItemId, String) {
    let recipient = draft.recipient.0;
    let attachment_id = new_item_id();
    let sealed = seal(
        ItemKind::Attachment,
        advisor.tenant,
        attachment_id,
        reporter.report_id,
        advisor.key,
        &[recipient],
        &reporter.attachment.1,
    );
    let (status, answer) = advisor
        .post_bytes(
            &format!(
                "/advisor/reports/{}/forwards/attachments",
                reporter.report_id.to_hex()
            ),
            sealed,
        )
        .await;
    assert_eq!(status, 201, "forward attachment: {answer}");
    let content = json!({
        "format": "meldkluis-forward/1",
        "draft_id": hex::encode(draft.draft_id),
        "version": draft.version,
        "subject_hash": hex::encode(hash),
        "text": draft.text,
        "attachments": [{ "id": attachment_id.to_hex(), "name": "prikbord.png", "type": "image/png",
                          "size": draft.attachment.2, "sha256": hex::encode(draft.attachment.1) }],
        "register_number": 1,
        "forwarded_day": "2026-11-30",
        "advisor": "Adviseur 0",
        "recipient": { "public_key": recipient.to_hex(), "label": draft.recipient.1 },
    });
    let forward_id = forward_item_id(&hash);
    let item = seal(
        ItemKind::Message,
        advisor.tenant,
        forward_id,
        reporter.report_id,
        advisor.key,
        &[recipient],
        &serde_json::to_vec(&content).expect("json"),
    );
    let (status, answer) = advisor
        .post_bytes(
            &format!(
                "/advisor/reports/{}/forwards?attachments={}",
                reporter.report_id.to_hex(),
                attachment_id.to_hex()
            ),
            item,
        )
        .await;
    assert_eq!(status, 201, "forward: {answer}");
    assert_eq!(answer["item_id"], forward_id.to_hex());
    (
        forward_id,
        answer["day"].as_str().expect("the day").to_owned(),
    )
}

/// A day as the page writes it (`formatDay` in common.js: "30 november 2026").
fn page_day(lang: &str, day: &str) -> String {
    let months = text(lang, "months");
    let months: Vec<&str> = months.split_whitespace().collect();
    let mut parts = day.split('-');
    let (year, month, date) = (
        parts.next().expect("year"),
        parts
            .next()
            .expect("month")
            .parse::<usize>()
            .expect("month"),
        parts.next().expect("day").parse::<u32>().expect("day"),
    );
    format!("{date} {} {year}", months[month - 1])
}

/// What a request used by the forward to `label` on `day` says (the page
/// fills the placeholders of the text it is given, as `text` in common.js).
fn used_text(lang: &str, label: &str, day: &str) -> String {
    let placeholder = regex::Regex::new(r"\{\s*\$([a-z_]+)\s*\}").expect("regex");
    placeholder
        .replace_all(
            &text(lang, "js-approval-used"),
            |c: &regex::Captures<'_>| match &c[1] {
                "label" => label.to_owned(),
                "day" => page_day(lang, day),
                other => panic!("an unknown placeholder {other}"),
            },
        )
        .into_owned()
}

/// Waits until the request of `draft` offers exactly the buttons `expected`.
async fn wait_buttons(browser: &Browser, draft: &Draft, expected: &[&str]) {
    let id = format!("request-{}-{}", hex::encode(draft.draft_id), draft.version);
    browser
        .wait_for_js(
            &format!("the buttons {expected:?} on {id}"),
            &format!(
                "const e = document.getElementById({});
                 return !!e && JSON.stringify([...e.querySelectorAll('form button')].map(b => b.id)) === {};",
                json!(id),
                json!(serde_json::to_string(expected).expect("json"))
            ),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_hash_or_attachment_does_not_match_what_it_shows_cannot_be_approved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let reporter = Reporter::report(&server, &tenant).await;
    let advisor = AdvisorApi::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let hr = (PublicKey::from_bytes([5; 32]), "HR — P. de Boer".to_owned());

    // The attack: a request that shows one text but names the hash of
    // another (the draft the reporter would be consenting to).
    let forged = Draft::new(
        &reporter,
        "Het hele dossier, met de naam van de melder.",
        hr.clone(),
    );
    let agreed = Draft {
        text: "Alleen een samenvatting, zonder naam.".into(),
        ..forged.clone()
    };
    advisor_says(
        &advisor,
        &tenant,
        &reporter,
        &forged.request(agreed.hash(&tenant, reporter.report_id)),
    )
    .await;
    // And a request whose hash is right for what it shows, but whose
    // attachment is not the file it names.
    let mut wrong_file = Draft::new(&reporter, "Met de foto van het prikbord.", hr.clone());
    wrong_file.attachment.1 = Sha256::digest(b"another picture").into();
    advisor_says(
        &advisor,
        &tenant,
        &reporter,
        &wrong_file.request(wrong_file.hash(&tenant, reporter.report_id)),
    )
    .await;

    let browser = Browser::start().await;
    let axe = axe_source();
    for lang in ["nl", "en"] {
        open_mailbox(
            &browser,
            &format!("{}/t/acme/mailbox?lang={lang}", server.base),
            &reporter.code,
        )
        .await;

        let (entry, buttons) = request_entry(&browser, &forged).await;
        assert!(
            entry.contains(&forged.text),
            "the request is shown as it is: {entry}"
        );
        assert!(
            entry.contains(&text(lang, "js-approval-hash-mismatch")),
            "{entry}"
        );
        assert!(buttons.is_empty(), "nothing to approve: {buttons:?}");

        // The second: the page checks the file before it sends a consent.
        let (entry, buttons) = request_entry(&browser, &wrong_file).await;
        assert!(
            !entry.contains(&text(lang, "js-approval-hash-mismatch")),
            "{entry}"
        );
        assert_eq!(buttons, ["request-1-approve", "request-1-decline"]);
        let violations = axe_violations(
            &browser,
            &axe,
            &format!("{lang} mailbox with approval requests"),
        )
        .await;
        assert!(violations.is_empty(), "{violations:?}");
        click(&browser, "request-1-approve").await;
        wait_text(
            &browser,
            "request-1-status",
            &text(lang, "js-approval-attachment-mismatch"),
        )
        .await;
    }

    // No consent of any kind reached the thread.
    assert_eq!(
        reporter_messages(&advisor, &reporter).await,
        Vec::<Value>::new()
    );
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_approves_with_the_hash_it_computed_withdraws_until_used_and_asks_for_forwarding(
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let reporter = Reporter::report(&server, &tenant).await;
    let advisor = AdvisorApi::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let label = "HR — P. de Boer";
    let (_, hr_key) = enrol_by_api(&server, &tenant.id, "forward", label).await;
    let draft = Draft::new(
        &reporter,
        "Melding over pesten op de afdeling.\n\nDe melder wil dat HR het oppakt.",
        (hr_key.public_key(), label.to_owned()),
    );
    let hash = draft.hash(&tenant, reporter.report_id);
    advisor_says(&advisor, &tenant, &reporter, &draft.request(hash)).await;

    let browser = Browser::start().await;
    open_mailbox(
        &browser,
        &format!("{}/t/acme/mailbox", server.base),
        &reporter.code,
    )
    .await;
    let (entry, buttons) = request_entry(&browser, &draft).await;
    assert!(
        entry.contains("De melder wil dat HR het oppakt.")
            && entry.contains(label)
            && entry.contains("prikbord.png"),
        "{entry}"
    );
    assert!(
        entry.contains(&hr_key.public_key().fingerprint()),
        "the recipient's fingerprint: {entry}"
    );
    assert_eq!(buttons, ["request-0-approve", "request-0-decline"]);

    let expected = |draft: &Draft, decision: &str| {
        json!({
            "format": "meldkluis-approval/1",
            "subject": "forward",
            "draft_id": hex::encode(draft.draft_id),
            "version": draft.version,
            "subject_hash": hex::encode(draft.hash(&tenant, reporter.report_id)),
            "decision": decision,
        })
    };
    let ask_again = text("nl", "js-approval-closed-forward");
    // Declined, with a word of explanation. The console never forwards with
    // a declined hash (REPORT-CONTENT.md, "Approval", the console's rule 4),
    // so the mailbox offers no approval of it any more: it says how to get
    // a new version instead.
    type_into(&browser, "request-0-comment", "Eerst wil ik een gesprek.").await;
    send_decision(&browser, "request-0-decline").await;
    let mut declined = expected(&draft, "decline");
    declined["comment"] = json!("Eerst wil ik een gesprek.");
    assert_eq!(
        reporter_messages(&advisor, &reporter).await,
        [declined.clone()]
    );
    let (entry, buttons) = request_entry(&browser, &draft).await;
    assert!(
        buttons.is_empty(),
        "a declined version cannot be approved: {buttons:?}"
    );
    assert!(entry.contains(&ask_again), "{entry}");

    // The advisor sends the draft again, as version 2 (a new hash); the
    // reporter approves that one, and can then only withdraw it.
    let second = draft.next_version();
    let second_hash = second.hash(&tenant, reporter.report_id);
    assert_ne!(second_hash, hash);
    advisor_says(&advisor, &tenant, &reporter, &second.request(second_hash)).await;
    open_mailbox(
        &browser,
        &format!("{}/t/acme/mailbox", server.base),
        &reporter.code,
    )
    .await;
    let (entry, buttons) = request_entry(&browser, &second).await;
    assert_eq!(buttons, ["request-1-approve", "request-1-decline"]);
    assert!(!entry.contains(&ask_again), "{entry}");
    let (entry, buttons) = request_entry(&browser, &draft).await;
    assert!(buttons.is_empty(), "{buttons:?}");
    assert!(
        entry.contains(&text("nl", "js-approval-superseded")),
        "{entry}"
    );
    send_decision(&browser, "request-1-approve").await;
    assert_eq!(
        reporter_messages(&advisor, &reporter).await,
        [declined.clone(), expected(&second, "approve")]
    );
    let (entry, buttons) = request_entry(&browser, &second).await;
    assert_eq!(buttons, ["request-1-withdraw"]);
    assert!(!entry.contains(&ask_again), "{entry}");

    // Withdrawn before it is used: that hash is closed too, as a decline.
    send_decision(&browser, "request-1-withdraw").await;
    let (entry, buttons) = request_entry(&browser, &second).await;
    assert!(
        buttons.is_empty(),
        "a withdrawn version cannot be approved again: {buttons:?}"
    );
    assert!(entry.contains(&ask_again), "{entry}");

    // Version 3, approved: the consent the advisor forwards with.
    let third = second.next_version();
    let third_hash = third.hash(&tenant, reporter.report_id);
    advisor_says(&advisor, &tenant, &reporter, &third.request(third_hash)).await;
    open_mailbox(
        &browser,
        &format!("{}/t/acme/mailbox", server.base),
        &reporter.code,
    )
    .await;
    wait_buttons(
        &browser,
        &third,
        &["request-2-approve", "request-2-decline"],
    )
    .await;
    send_decision(&browser, "request-2-approve").await;
    wait_buttons(&browser, &third, &["request-2-withdraw"]).await;

    // The reporter asks for forwarding in words of their own.
    type_into(
        &browser,
        "wish-text",
        "Graag ook naar de klachtencommissie.",
    )
    .await;
    click(&browser, "wish-send").await;
    wait_text(&browser, "wish-status", &text("nl", "js-forward-wish-sent")).await;
    assert_eq!(
        reporter_messages(&advisor, &reporter).await,
        [
            declined,
            expected(&second, "approve"),
            expected(&second, "withdraw"),
            expected(&third, "approve"),
            json!({ "format": "meldkluis-forward-wish/1", "text": "Graag ook naar de klachtencommissie." }),
        ]
    );

    // The advisor forwards; the mailbox says so, and the consent is used.
    let (_, day) = forward_approved(&advisor, &reporter, &third, third_hash).await;
    open_mailbox(
        &browser,
        &format!("{}/t/acme/mailbox", server.base),
        &reporter.code,
    )
    .await;
    let forwarded = browser
        .wait_for_js(
            "the forward",
            "return !document.getElementById('forwards-row').hidden && document.getElementById('forwards-value').textContent;",
        )
        .await;
    assert!(
        forwarded.as_str().expect("text").contains(label),
        "{forwarded}"
    );
    let (entry, buttons) = request_entry(&browser, &third).await;
    assert!(entry.contains(&used_text("nl", label, &day)), "{entry}");
    assert!(
        buttons.is_empty(),
        "a used consent cannot be withdrawn: {buttons:?}"
    );
    // The thread shows the reporter's answers and wish as such, not as JSON.
    let thread = browser
        .js(
            "return document.getElementById('thread').textContent;",
            vec![],
        )
        .await;
    let thread = thread.as_str().expect("text");
    assert!(
        !thread.contains("meldkluis-approval") && !thread.contains("subject_hash"),
        "{thread}"
    );
    assert!(
        thread.contains("Graag ook naar de klachtencommissie."),
        "{thread}"
    );
    let own_approval = text("nl", "js-approval-own-forward-approve");
    let own_approval = own_approval
        .split_once(" (")
        .expect("a version in brackets")
        .0;
    assert_eq!(thread.matches(own_approval).count(), 2, "{thread}");
    browser.close().await;
    server.stop().await;
}

/// The documented derivation (REPORT-CONTENT.md, "Forward", "Item id") is
/// the console's: the example given there.
#[test]
fn the_forward_item_id_is_derived_as_report_content_documents() {
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::try_from(i).expect("under 32");
    }
    assert_eq!(
        forward_item_id(&hash).to_hex(),
        "602bd6d7cfbfd667667cbeac37afa2df"
    );
    let mut label_and_hash = b"meldkluis forward item id v1".to_vec();
    label_and_hash.extend_from_slice(&hash);
    assert_eq!(
        forward_item_id(&hash).0,
        Sha256::digest(&label_and_hash)[..16]
    );
}

/// Two approved drafts to the same recipient, approved the same day, and a
/// forward made with ONE of them: the mailbox says that one was used (on
/// the forward's day, for its recipient) and offers no withdrawal, and still
/// offers to withdraw the other, which then withdraws (and offers nothing
/// more: consent would need a new version). The forward's item id, derived
/// from the subject hash, tells which consent was used; a forward to the
/// same recipient on or after the day of the approval does not (that guess
/// would take both as used).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_tells_by_the_forward_item_id_which_consent_was_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let reporter = Reporter::report(&server, &tenant).await;
    let advisor = AdvisorApi::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let label = "HR — P. de Boer";
    let (_, hr_key) = enrol_by_api(&server, &tenant.id, "forward", label).await;
    let recipient = (hr_key.public_key(), label.to_owned());
    let used = Draft::new(
        &reporter,
        "Melding over pesten op de afdeling.",
        recipient.clone(),
    );
    let other = Draft::new(
        &reporter,
        "Melding over pesten op de afdeling, met de namen van de getuigen.",
        recipient,
    );
    let used_hash = used.hash(&tenant, reporter.report_id);
    let other_hash = other.hash(&tenant, reporter.report_id);
    advisor_says(&advisor, &tenant, &reporter, &used.request(used_hash)).await;
    advisor_says(&advisor, &tenant, &reporter, &other.request(other_hash)).await;

    let browser = Browser::start().await;
    open_mailbox(
        &browser,
        &format!("{}/t/acme/mailbox", server.base),
        &reporter.code,
    )
    .await;
    wait_buttons(&browser, &used, &["request-0-approve", "request-0-decline"]).await;
    wait_buttons(
        &browser,
        &other,
        &["request-1-approve", "request-1-decline"],
    )
    .await;
    click(&browser, "request-0-approve").await;
    wait_buttons(&browser, &used, &["request-0-withdraw"]).await;
    click(&browser, "request-1-approve").await;
    wait_buttons(&browser, &other, &["request-1-withdraw"]).await;
    let approval = |hash: [u8; 32], draft: &Draft, decision: &str| {
        json!({
            "format": "meldkluis-approval/1",
            "subject": "forward",
            "draft_id": hex::encode(draft.draft_id),
            "version": draft.version,
            "subject_hash": hex::encode(hash),
            "decision": decision,
        })
    };
    assert_eq!(
        reporter_messages(&advisor, &reporter).await,
        [
            approval(used_hash, &used, "approve"),
            approval(other_hash, &other, "approve")
        ]
    );

    // The advisor forwards with the first consent only, to the recipient
    // both name, on the day both were given.
    let (forward_id, day) = forward_approved(&advisor, &reporter, &used, used_hash).await;
    let thread = advisor_thread(&advisor, &reporter).await;
    assert_eq!(
        thread["forwards"],
        json!([{ "item_id": forward_id.to_hex(), "day": day, "label": label, "role": "forward" }])
    );
    open_mailbox(
        &browser,
        &format!("{}/t/acme/mailbox", server.base),
        &reporter.code,
    )
    .await;
    browser
        .wait_for_js(
            "the forward",
            "return !document.getElementById('forwards-row').hidden;",
        )
        .await;
    // (The requests are shown before the forwards row.) The other consent
    // was not used: it can still be withdrawn.
    let (entry, buttons) = request_entry(&browser, &other).await;
    assert_eq!(
        buttons,
        ["request-1-withdraw"],
        "a consent no forward used can be withdrawn: {entry}"
    );
    let used_lead = text("nl", "js-approval-used");
    let used_lead = used_lead.split('{').next().expect("a lead");
    assert!(!entry.contains(used_lead), "not used: {entry}");
    let (entry, buttons) = request_entry(&browser, &used).await;
    assert!(entry.contains(&used_text("nl", label, &day)), "{entry}");
    assert!(
        buttons.is_empty(),
        "a used consent cannot be withdrawn: {buttons:?}"
    );

    // The other consent is withdrawn; the used one stays used.
    send_decision(&browser, "request-1-withdraw").await;
    let (entry, buttons) = request_entry(&browser, &other).await;
    assert!(
        buttons.is_empty(),
        "a withdrawn consent is not offered again: {buttons:?}"
    );
    assert!(
        entry.contains(&text("nl", "js-approval-closed-forward")),
        "{entry}"
    );
    let (entry, buttons) = request_entry(&browser, &used).await;
    assert!(entry.contains(&used_text("nl", label, &day)), "{entry}");
    assert!(buttons.is_empty(), "{buttons:?}");
    assert_eq!(
        reporter_messages(&advisor, &reporter).await,
        [
            approval(used_hash, &used, "approve"),
            approval(other_hash, &other, "approve"),
            approval(other_hash, &other, "withdraw")
        ]
    );
    browser.close().await;
    server.stop().await;
}
