//! Minutes the reporter approves (issue 13), in the advisor console
//! against a breached server (the malicious double of `double.rs`) that
//! serves whatever thread the test crafts. Each attack test performs the
//! attack and shows the console does not show the minutes as approved:
//!
//! - an "approval" sealed by another key than the report's mailbox key (by
//!   a co-advisor, or by a key of the server's own that the reporter's
//!   browser sealed the report to);
//! - the reporter's approval of version 1 replayed after version 2;
//! - minutes the server altered: an attachment item swapped for other
//!   bytes under the named id, or a request whose text no longer fits the
//!   hash the reporter approved;
//! - a decline of the same hash moved before or after the approval.
//!
//! And the whole round: minutes with a recording written and uploaded in
//! the console, corrections, a new version, the approval of version 2 on
//! its day.
// Test code: a panic with its location is the failure report.

use std::sync::Arc;

use meldkluis_crypto_core::approval::{ApprovalSubject, SubjectAttachment, SubjectKind};
use meldkluis_crypto_core::mailbox::mailbox_reference;
use meldkluis_crypto_core::{
    open_item, os_rng, seal_item, Expect, ItemId, ItemKind, PublicKey, SealParams, StaticKey as _,
    StaticSecret, TenantId,
};
use meldkluis_i18n::catalog;
use meldkluis_keys::console::ConsoleOptions;
use meldkluis_keys::enrolled::EnrolledKeys;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::console_attacks::{field, open_console_with, Browser};
use crate::double::{self, b64, served, summary, thread, unb64, Served};

const RECORDING: &[u8] = b"OggS CANARY the recording of our conversation";
const DRAFT: [u8; 16] = [0x5a; 16];

/// The breached server, the console of advisor A, co-advisor B, the
/// reporter's mailbox key R, and a key S of the server's own that the
/// reporter's browser sealed the report to (the server served it as an
/// advisor when the report was made; A never confirmed it).
struct Case {
    served: Arc<Served>,
    browser: Browser,
    a: StaticSecret,
    b: StaticSecret,
    r: StaticSecret,
    s: StaticSecret,
    recovery: StaticSecret,
    report_id: ItemId,
    /// The thread's messages as served, in the server's order.
    messages: Vec<Value>,
}

fn tenant() -> TenantId {
    TenantId::new("acme").unwrap()
}

async fn case() -> Case {
    case_of(false).await
}

/// The case of a report from the reporter's mailbox R, or (`oral`) of an
/// oral report advisor A registered (sealed by A to A, B and the recovery
/// key), not yet joined to a mailbox.
async fn case_of(oral: bool) -> Case {
    let mut rng = os_rng();
    let [a, b, r, s, recovery] = std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    let report_id = ItemId::random(&mut rng);
    let (sender, recipients, content) = if oral {
        (
            &a,
            vec![a.public_key(), b.public_key(), recovery.public_key()],
            json!({"format": "meldkluis-oral-report/1", "language": "en", "category": null,
                   "channel": "oral", "spoken_day": "2026-11-28", "text": "CANARY by phone",
                   "reporter": {"anonymous": true}, "advisors": [],
                   "recovery_key": recovery.public_key().to_hex()})
            .to_string()
            .into_bytes(),
        )
    } else {
        (
            &r,
            vec![
                a.public_key(),
                b.public_key(),
                s.public_key(),
                recovery.public_key(),
                r.public_key(),
            ],
            br#"{"format":"meldkluis-report/1","answers":[],"reporter":{"anonymous":true},"attachments":[]}"#
                .to_vec(),
        )
    };
    let report = seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &tenant(),
            item_id: report_id,
            report_id,
            sender,
            recipients: &recipients,
        },
        &content,
        &mut rng,
    )
    .unwrap();
    let state = Arc::new(Served::default());
    *state.config.lock().unwrap() = json!({
        "tenant": "acme",
        "name": "Acme",
        "advisors": [served(&a.public_key(), "A. de Vries"), served(&b.public_key(), "B. Jansen")],
        "recovery_key": { "public_key": recovery.public_key().to_hex(), "fingerprint": recovery.public_key().fingerprint() },
        "questionnaire": null,
    });
    *state.list.lock().unwrap() = vec![summary(&report_id.to_hex())];
    let mut served_thread = thread(&report_id.to_hex(), &report);
    if oral {
        served_thread["channel"] = json!("oral");
        served_thread["mailbox_state"] = json!("none");
    }
    state
        .threads
        .lock()
        .unwrap()
        .insert(report_id.to_hex(), served_thread);
    let base = double::start(Arc::clone(&state)).await;
    let options = ConsoleOptions {
        server: base,
        tenant: tenant(),
        enrolled: EnrolledKeys {
            advisors: vec![
                (a.public_key(), "A. de Vries".into()),
                (b.public_key(), "B. Jansen".into()),
            ],
            recovery: Some(recovery.public_key()),
            earlier: Vec::new(),
            former_recovery: Vec::new(),
            recipients: Vec::new(),
        },
        lang: catalog().lang("en").unwrap(),
        pins: None,
    };
    let browser =
        open_console_with(options, StaticSecret::from_bytes(*a.expose_secret_bytes())).await;
    Case {
        served: state,
        browser,
        a,
        b,
        r,
        s,
        recovery,
        report_id,
        messages: Vec::new(),
    }
}

impl Case {
    fn path(&self) -> String {
        format!("/reports/{}", self.report_id.to_hex())
    }

    /// Everyone a thread message is sealed to.
    fn everyone(&self) -> Vec<PublicKey> {
        vec![
            self.r.public_key(),
            self.recovery.public_key(),
            self.a.public_key(),
            self.b.public_key(),
        ]
    }

    /// Serves the thread with `self.messages` and the attachments.
    fn serve(&self, attachments: &[(ItemId, &str)]) {
        let mut threads = self.served.threads.lock().unwrap();
        let thread = threads.get_mut(&self.report_id.to_hex()).unwrap();
        thread["messages"] = Value::Array(self.messages.clone());
        thread["attachments"] = attachments
            .iter()
            .map(|(id, from)| {
                json!({"id": id.to_hex(), "from": from, "created_day": "2026-12-01", "item_len": 1})
            })
            .collect();
    }

    /// A message sealed by `sender` (to everyone and the sender), served
    /// as received on `day`; returns the served entry.
    fn sealed(&self, sender: &StaticSecret, content: &Value, day: &str) -> Value {
        let id = ItemId::random(&mut os_rng());
        let mut to = self.everyone();
        if !to.contains(&sender.public_key()) {
            to.push(sender.public_key());
        }
        let item = seal_item(
            &SealParams {
                kind: ItemKind::Message,
                tenant: &tenant(),
                item_id: id,
                report_id: self.report_id,
                sender,
                recipients: &to,
            },
            content.to_string().as_bytes(),
            &mut os_rng(),
        )
        .unwrap();
        let from = if sender.public_key() == self.r.public_key() {
            "reporter"
        } else {
            "advisor"
        };
        json!({"id": id.to_hex(), "from": from, "created_day": day, "item": b64(&item)})
    }

    fn push(&mut self, sender: &StaticSecret, content: &Value, day: &str) -> Value {
        let entry = self.sealed(sender, content, day);
        self.messages.push(entry.clone());
        entry
    }

    /// The double serves `sealed` as the attachment `id`.
    fn serve_attachment(&self, id: &str, sealed: Vec<u8>) {
        self.served
            .attachments
            .lock()
            .unwrap()
            .insert(id.to_owned(), sealed);
    }

    /// A sealed attachment of the report by `sender` under `id` (the
    /// double serves it once given to [`Self::serve_attachment`]).
    fn attachment(&self, sender: &StaticSecret, id: ItemId, content: &[u8]) -> Vec<u8> {
        seal_item(
            &SealParams {
                kind: ItemKind::Attachment,
                tenant: &tenant(),
                item_id: id,
                report_id: self.report_id,
                sender,
                recipients: &self.everyone(),
            },
            content,
            &mut os_rng(),
        )
        .unwrap()
    }

    async fn page(&self) -> String {
        let (status, page) = self.browser.get(&self.path()).await;
        assert_eq!(status, 200, "{page}");
        page
    }

    /// The minutes form as the advisor's browser posts it (multipart),
    /// with an optional file.
    async fn post_minutes(
        &self,
        text: &str,
        draft: Option<&str>,
        file: Option<(&str, &str, &[u8])>,
        csrf: &str,
    ) -> (u16, String) {
        let page = self.page().await;
        let hash = field(&page, "report_hash");
        let boundary = "----meldkluisCANARYboundary";
        let mut body = Vec::new();
        let mut part = |name: &str, value: &str| {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        };
        part("csrf", csrf);
        part("report_hash", &hash);
        part("text", text);
        if let Some(draft) = draft {
            part("draft_id", draft);
        }
        match file {
            Some((name, content_type, bytes)) => {
                body.extend_from_slice(
                    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
            // What a browser sends when no file was chosen.
            None => body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n")
                    .as_bytes(),
            ),
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.browser
            .post_body(
                &format!("{}/minutes", self.path()),
                &format!("multipart/form-data; boundary={boundary}"),
                body,
            )
            .await
    }

    /// What the console posted: the sealed messages and attachments.
    fn posted(&self, what: &str) -> Vec<Value> {
        self.served
            .posted()
            .into_iter()
            .filter(|(path, _)| path.ends_with(what))
            .map(|(_, body)| body)
            .collect()
    }
}

/// A minutes request (as the console writes it) for `version`, `text`,
/// attachments, with its honest hash; and that hash.
fn request(
    report_id: ItemId,
    version: u32,
    text: &str,
    attachments: Vec<SubjectAttachment>,
) -> (Value, [u8; 32]) {
    let subject = ApprovalSubject {
        kind: SubjectKind::Minutes,
        tenant: tenant(),
        report_id,
        draft_id: DRAFT,
        version,
        text: text.into(),
        attachments,
        recipients: Vec::new(),
    };
    let hash = subject.hash().unwrap();
    let content = json!({
        "format": "meldkluis-approval-request/1", "subject": "minutes",
        "draft_id": hex::encode(DRAFT), "version": version, "text": text,
        "attachments": subject.attachments.iter().map(|a| json!({
            "id": a.item_id.to_hex(), "name": a.name, "type": a.content_type,
            "size": a.size, "sha256": hex::encode(a.sha256)})).collect::<Vec<_>>(),
        "recipients": [], "subject_hash": hex::encode(hash),
    });
    (content, hash)
}

fn answer(version: u32, hash: &[u8; 32], decision: &str, comment: &str) -> Value {
    json!({"format": "meldkluis-approval/1", "subject": "minutes", "draft_id": hex::encode(DRAFT),
           "version": version, "subject_hash": hex::encode(hash), "decision": decision, "comment": comment})
}

/// The state the console shows for version `version`.
fn state_of(page: &str, version: u32) -> String {
    let marker = format!("data-version=\"{version}\" data-minutes-state=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no version {version} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

fn approved_summary(page: &str) -> Option<String> {
    let start = page.find("class=\"minutes-approved\"")?;
    Some(page[start..].split("</p>").next().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_with_a_recording_are_corrected_and_version_2_approved() {
    let mut case = case().await;
    let page = case.page().await;
    assert!(page.contains("id=\"minutes\""), "{page}");

    // Without the CSRF token: refused, nothing posted.
    let refused = case
        .post_minutes(
            "CANARY",
            None,
            Some(("a.ogg", "audio/ogg", RECORDING)),
            "nope",
        )
        .await;
    assert_eq!(refused.0, 403);
    assert!(case.served.posted().is_empty());

    // The advisor writes the minutes and uploads the recording.
    let text = "CANARY Gesprek op 1 december.\n\nDe melder vertelde over de vergadering.";
    let csrf = case.browser.csrf.clone();
    let (status, body) = case
        .post_minutes(
            text,
            None,
            Some(("C:\\opnames\\gesprek.ogg", "audio/ogg", RECORDING)),
            &csrf,
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let attachments = case.posted("/attachments");
    assert_eq!(attachments.len(), 1);
    let attachment_id = attachments[0]["attachment_id"].as_str().unwrap().to_owned();
    let sealed = case
        .served
        .attachments
        .lock()
        .unwrap()
        .get(&attachment_id)
        .cloned()
        .unwrap();
    // The reporter's mailbox opens the recording, sealed by A.
    let from_a = [case.a.public_key()];
    let expect = Expect {
        tenant: &tenant(),
        senders: &from_a,
    };
    let opened = open_item(&sealed, &case.r, &expect).expect("the mailbox opens the recording");
    assert_eq!(opened.content.as_slice(), RECORDING);
    assert_eq!(opened.header.kind, ItemKind::Attachment);
    assert_eq!(opened.header.report_id, case.report_id);
    for key in case.everyone() {
        assert!(opened.header.recipients.contains(&key));
    }

    // The request: minutes, version 1, naming the recording by its bytes.
    let messages = case.posted("/messages");
    assert_eq!(messages.len(), 1);
    let item = unb64(messages[0]["item"].as_str().unwrap());
    let v1 = open_item(&item, &case.r, &expect).expect("the mailbox opens the minutes");
    let v1_content: Value = serde_json::from_slice(&v1.content).unwrap();
    assert_eq!(v1_content["format"], "meldkluis-approval-request/1");
    assert_eq!(v1_content["subject"], "minutes");
    assert_eq!(v1_content["version"], 1);
    assert_eq!(v1_content["text"], text);
    assert_eq!(v1_content["recipients"], json!([]));
    let named = &v1_content["attachments"][0];
    assert_eq!(named["id"], attachment_id);
    assert_eq!(named["name"], "gesprek.ogg");
    assert_eq!(named["type"], "audio/ogg");
    assert_eq!(named["size"], RECORDING.len());
    assert_eq!(named["sha256"], hex::encode(Sha256::digest(RECORDING)));
    let draft = v1_content["draft_id"].as_str().unwrap().to_owned();
    let mut draft_id = [0u8; 16];
    hex::decode_to_slice(&draft, &mut draft_id).unwrap();
    let recording = SubjectAttachment {
        item_id: ItemId::from_hex(&attachment_id).unwrap(),
        sha256: Sha256::digest(RECORDING).into(),
        size: RECORDING.len() as u64,
        name: "gesprek.ogg".into(),
        content_type: "audio/ogg".into(),
    };
    let report_id = case.report_id;
    let subject = |version: u32, text: &str| ApprovalSubject {
        kind: SubjectKind::Minutes,
        tenant: tenant(),
        report_id,
        draft_id,
        version,
        text: text.into(),
        attachments: vec![recording.clone()],
        recipients: Vec::new(),
    };
    let h1 = subject(1, text).hash().unwrap();
    assert_eq!(v1_content["subject_hash"], hex::encode(h1));

    // Served back, with the reporter's corrections.
    let served_v1 = json!({"id": v1.header.item_id.to_hex(), "from": "advisor", "created_day": "2026-12-01", "item": messages[0]["item"]});
    case.messages.push(served_v1);
    let answer_v1 = json!({"format": "meldkluis-approval/1", "subject": "minutes", "draft_id": draft,
        "version": 1, "subject_hash": hex::encode(h1), "decision": "decline",
        "comment": "CANARY Het was dinsdag, niet maandag."});
    case.push(&case.r.clone_secret(), &answer_v1, "2026-12-02");
    case.serve_attachment(&attachment_id, sealed.clone());
    case.serve(&[(recording.item_id, "advisor")]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "corrections");
    assert!(page.contains("CANARY Het was dinsdag, niet maandag."));
    assert!(approved_summary(&page).is_none());

    // A new version, with the recording kept (its checkbox as the form
    // prefills it).
    let text2 = "CANARY Gesprek op dinsdag 1 december.";
    let (status, body) = case
        .post_minutes_keeping(text2, &draft, &attachment_id)
        .await;
    assert_eq!(status, 303, "{body}");
    let messages = case.posted("/messages");
    assert_eq!(messages.len(), 2);
    let item = unb64(messages[1]["item"].as_str().unwrap());
    let v2 = open_item(&item, &case.r, &expect).unwrap();
    let v2_content: Value = serde_json::from_slice(&v2.content).unwrap();
    assert_eq!(v2_content["version"], 2);
    assert_eq!(v2_content["draft_id"], draft);
    let h2 = subject(2, text2).hash().unwrap();
    assert_eq!(v2_content["subject_hash"], hex::encode(h2));
    case.messages.push(json!({"id": v2.header.item_id.to_hex(), "from": "advisor", "created_day": "2026-12-03", "item": messages[1]["item"]}));
    case.serve(&[(recording.item_id, "advisor")]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "corrections");
    assert_eq!(state_of(&page, 2), "open");

    // The reporter approves version 2.
    let approve = json!({"format": "meldkluis-approval/1", "subject": "minutes", "draft_id": draft,
        "version": 2, "subject_hash": hex::encode(h2), "decision": "approve"});
    case.push(&case.r.clone_secret(), &approve, "2026-12-04");
    case.serve(&[(recording.item_id, "advisor")]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "corrections");
    assert_eq!(state_of(&page, 2), "approved");
    let summary = approved_summary(&page).expect("the approved version on top");
    assert!(summary.contains("data-version=\"2\""), "{summary}");
    assert!(
        summary.contains("Approved: version 2, approved by the reporter on 2026-12-04"),
        "{summary}"
    );
}

trait CloneSecret {
    fn clone_secret(&self) -> StaticSecret;
}

impl CloneSecret for StaticSecret {
    fn clone_secret(&self) -> StaticSecret {
        StaticSecret::from_bytes(*self.expose_secret_bytes())
    }
}

impl Case {
    /// A new version of `draft` keeping the attachment `keep`.
    async fn post_minutes_keeping(&self, text: &str, draft: &str, keep: &str) -> (u16, String) {
        let page = self.page().await;
        let hash = field(&page, "report_hash");
        let boundary = "----meldkluisCANARYboundary2";
        let mut body = String::new();
        for (name, value) in [
            ("csrf", self.browser.csrf.as_str()),
            ("report_hash", hash.as_str()),
            ("draft_id", draft),
            ("text", text),
            ("attachment", keep),
        ] {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        self.browser
            .post_body(
                &format!("{}/minutes", self.path()),
                &format!("multipart/form-data; boundary={boundary}"),
                body.into_bytes(),
            )
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_not_sealed_by_the_mailbox_key_does_not_count() {
    let mut case = case().await;
    let (v1, hash) = request(case.report_id, 1, "CANARY the minutes", Vec::new());
    let a = case.a.clone_secret();
    case.push(&a, &v1, "2026-12-01");
    // A perfect approval of the exact hash, sealed by co-advisor B, and one
    // sealed by the server's own key (a recipient of the report).
    let b = case.b.clone_secret();
    let s = case.s.clone_secret();
    case.push(&b, &answer(1, &hash, "approve", ""), "2026-12-02");
    case.push(&s, &answer(1, &hash, "approve", ""), "2026-12-02");
    case.serve(&[]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "open");
    assert!(approved_summary(&page).is_none());
    // The same answer sealed by the mailbox key does count.
    let r = case.r.clone_secret();
    case.push(&r, &answer(1, &hash, "approve", ""), "2026-12-03");
    case.serve(&[]);
    assert_eq!(state_of(&case.page().await, 1), "approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_of_version_1_replayed_for_version_2_does_not_count() {
    let mut case = case().await;
    let a = case.a.clone_secret();
    let r = case.r.clone_secret();
    let (v1, h1) = request(case.report_id, 1, "CANARY eerste versie", Vec::new());
    let (v2, _) = request(case.report_id, 2, "CANARY tweede versie", Vec::new());
    case.push(&a, &v1, "2026-12-01");
    let approval = case.push(&r, &answer(1, &h1, "approve", ""), "2026-12-02");
    case.push(&a, &v2, "2026-12-03");
    // The server serves the reporter's approval of version 1 again, after
    // version 2, as if it were the answer to it.
    let mut replayed = approval.clone();
    replayed["created_day"] = json!("2026-12-04");
    case.messages.push(replayed);
    case.serve(&[]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "approved");
    assert_eq!(state_of(&page, 2), "open");
    let summary = approved_summary(&page).unwrap();
    assert!(summary.contains("data-version=\"1\""), "{summary}");
    assert!(
        page.contains("Version 2 still waits for the reporter."),
        "the newer version is shown as open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_the_server_altered_do_not_show_as_approved() {
    let mut case = case().await;
    let a = case.a.clone_secret();
    let r = case.r.clone_secret();
    // Minutes naming a recording the advisor uploaded; the reporter
    // approves exactly them.
    let recording_id = ItemId::random(&mut os_rng());
    let recording = SubjectAttachment {
        item_id: recording_id,
        sha256: Sha256::digest(RECORDING).into(),
        size: RECORDING.len() as u64,
        name: "gesprek.ogg".into(),
        content_type: "audio/ogg".into(),
    };
    let (v1, hash) = request(
        case.report_id,
        1,
        "CANARY the minutes",
        vec![recording.clone()],
    );
    case.push(&a, &v1, "2026-12-01");
    case.push(&r, &answer(1, &hash, "approve", ""), "2026-12-02");
    let genuine = case.attachment(&a, recording_id, RECORDING);
    case.serve_attachment(&recording_id.to_hex(), genuine);
    case.serve(&[(recording_id, "advisor")]);
    assert_eq!(state_of(&case.page().await, 1), "approved");

    // The server serves another attachment of the report (the reporter's
    // own, genuine) under the recording's id...
    let other_id = ItemId::random(&mut os_rng());
    let other = case.attachment(&r, other_id, b"CANARY another file");
    case.serve_attachment(&recording_id.to_hex(), other);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "attachment-changed");
    assert!(approved_summary(&page).is_none());
    // ...or other bytes sealed under that very id (by a key that may write
    // here), or nothing at all.
    let swapped = case.attachment(&r, recording_id, b"CANARY altered recording");
    case.serve_attachment(&recording_id.to_hex(), swapped);
    assert_eq!(state_of(&case.page().await, 1), "attachment-changed");
    case.served.attachments.lock().unwrap().clear();
    assert_eq!(state_of(&case.page().await, 1), "attachment-changed");

    // A request whose text was altered (by a co-advisor's key the server
    // could have used) but still names the hash the reporter approved:
    // the console recomputes the hash from the text it shows.
    let mut case = self::case().await;
    let a = case.a.clone_secret();
    let b = case.b.clone_secret();
    let r = case.r.clone_secret();
    let (v1, hash) = request(case.report_id, 1, "CANARY what was said", Vec::new());
    let mut altered = v1.clone();
    altered["text"] = json!("CANARY what the server would like said");
    case.push(&b, &altered, "2026-12-01");
    case.push(&r, &answer(1, &hash, "approve", ""), "2026-12-02");
    case.serve(&[]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "broken");
    assert!(approved_summary(&page).is_none());
    // The honest request, served too, is approved: the approval is of it.
    case.messages.insert(0, case.sealed(&a, &v1, "2026-12-01"));
    case.serve(&[]);
    let page = case.page().await;
    assert!(page.contains("data-minutes-state=\"approved\""));
    assert!(page.contains("data-minutes-state=\"broken\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_hidden_by_reordering_still_counts() {
    for decline_first in [true, false] {
        let mut case = case().await;
        let a = case.a.clone_secret();
        let r = case.r.clone_secret();
        let (v1, hash) = request(case.report_id, 1, "CANARY the minutes", Vec::new());
        case.push(&a, &v1, "2026-12-01");
        let decline = case.sealed(
            &r,
            &answer(1, &hash, "decline", "CANARY niet juist"),
            "2026-12-02",
        );
        let approve = case.sealed(&r, &answer(1, &hash, "approve", ""), "2026-12-03");
        // The server moves the decline before the approval (so "the last
        // answer" would read as approval), or serves them as they came.
        if decline_first {
            case.messages.extend([decline, approve]);
        } else {
            case.messages.extend([approve, decline]);
        }
        case.serve(&[]);
        let page = case.page().await;
        assert_eq!(
            state_of(&page, 1),
            "corrections",
            "decline first: {decline_first}"
        );
        assert!(approved_summary(&page).is_none());
        assert!(page.contains("CANARY niet juist"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_of_an_oral_report_are_kept_then_sent_to_the_joined_mailbox() {
    let mut case = case_of(true).await;
    let page = case.page().await;
    assert!(page.contains("id=\"minutes-no-mailbox\""), "{page}");

    // Kept: sealed to the advisors and the recovery key only.
    let csrf = case.browser.csrf.clone();
    let text = "CANARY minutes of the phone call";
    let (status, body) = case.post_minutes(text, None, None, &csrf).await;
    assert_eq!(status, 303, "{body}");
    let messages = case.posted("/messages");
    assert_eq!(messages.len(), 1);
    let from_a = [case.a.public_key()];
    let expect = Expect {
        tenant: &tenant(),
        senders: &from_a,
    };
    let item = unb64(messages[0]["item"].as_str().unwrap());
    let v1 = open_item(&item, &case.recovery, &expect).expect("the recovery key opens them");
    let mut to = v1.header.recipients.clone();
    to.sort_by_key(PublicKey::to_hex);
    let mut expected = vec![
        case.a.public_key(),
        case.b.public_key(),
        case.recovery.public_key(),
    ];
    expected.sort_by_key(PublicKey::to_hex);
    assert_eq!(to, expected, "no mailbox key yet");
    let v1_content: Value = serde_json::from_slice(&v1.content).unwrap();
    let draft = v1_content["draft_id"].as_str().unwrap().to_owned();
    let h1 = v1_content["subject_hash"].as_str().unwrap().to_owned();
    case.messages
        .push(json!({"id": v1.header.item_id.to_hex(), "from": "advisor",
        "created_day": "2026-12-01", "item": messages[0]["item"]}));
    // The report's own sender is an advisor: an "approval" sealed by that
    // key is not the reporter's.
    let a = case.a.clone_secret();
    let mut hash = [0u8; 32];
    hex::decode_to_slice(&h1, &mut hash).unwrap();
    case.push(&a, &answer(1, &hash, "approve", ""), "2026-12-01");
    case.serve(&[]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 1), "kept");
    assert!(!page.contains("minutes-send-to-reporter-"));

    // Joined: an advisor-sealed join record names the reporter's mailbox
    // R; the kept minutes can now go to the reporter, as a new version.
    let join = json!({
        "format": "meldkluis-mailbox-join/1",
        "reference": mailbox_reference(&case.r.public_key()),
        "mailbox_public_key": case.r.public_key().to_hex(),
        "text": "Linked.",
    });
    case.push(&a, &join, "2026-12-02");
    {
        let mut threads = case.served.threads.lock().unwrap();
        threads.get_mut(&case.report_id.to_hex()).unwrap()["mailbox_state"] = json!("joined");
    }
    case.serve(&[]);
    let page = case.page().await;
    assert!(
        page.contains(&format!("id=\"minutes-send-to-reporter-{draft}\"")),
        "{page}"
    );
    assert_eq!(state_of(&page, 1), "kept", "the reporter cannot read it");
    let (status, body) = case.post_minutes(text, Some(&draft), None, &csrf).await;
    assert_eq!(status, 303, "{body}");
    let messages = case.posted("/messages");
    assert_eq!(messages.len(), 2);
    let item = unb64(messages[1]["item"].as_str().unwrap());
    let v2 = open_item(&item, &case.r, &expect).expect("now the reporter's mailbox opens them");
    let v2_content: Value = serde_json::from_slice(&v2.content).unwrap();
    assert_eq!(v2_content["version"], 2);
    assert_eq!(v2_content["draft_id"], draft);
    assert_eq!(v2_content["text"], text);
    case.messages
        .push(json!({"id": v2.header.item_id.to_hex(), "from": "advisor",
        "created_day": "2026-12-03", "item": messages[1]["item"]}));
    let mut h2 = [0u8; 32];
    hex::decode_to_slice(v2_content["subject_hash"].as_str().unwrap(), &mut h2).unwrap();
    let r = case.r.clone_secret();
    case.push(&r, &answer(2, &h2, "approve", ""), "2026-12-04");
    case.serve(&[]);
    let page = case.page().await;
    assert_eq!(state_of(&page, 2), "approved");
    assert_eq!(state_of(&page, 1), "replaced");
    assert!(!page.contains("minutes-send-to-reporter-"), "sent once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_minutes_forms_are_refused_with_nothing_posted() {
    let case = case().await;
    let csrf = case.browser.csrf.clone();
    // An empty file (a name, no bytes), no text, a draft that is not in
    // the thread: each a clear refusal in the advisor's language, a 4xx.
    for (text, draft, file, refusal) in [
        (
            "CANARY",
            None,
            Some(("leeg.ogg", "audio/ogg", &b""[..])),
            "minutes-refused-file",
        ),
        ("   ", None, None, "console-forward-refused-text"),
        (
            "CANARY",
            Some("ab".repeat(16)),
            None,
            "console-forward-refused-no-draft",
        ),
    ] {
        let (status, page) = case.post_minutes(text, draft.as_deref(), file, &csrf).await;
        assert_eq!(status, 422, "{refusal}: {page}");
        assert!(page.contains("id=\"input-refused\""), "{page}");
        let words = meldkluis_i18n::t(catalog().lang("en").unwrap(), refusal);
        assert!(page.contains(&words), "{refusal}: {page}");
    }
    assert!(case.served.posted().is_empty(), "nothing posted");
}
