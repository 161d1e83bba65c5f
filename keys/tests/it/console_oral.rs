//! Oral reports in the advisor console (issue 13), against a breached
//! server (the double of `double.rs`): each attack test performs the attack
//! and shows it gains nothing.
//!
//! - Registering seals the oral report by the advisor's key to the
//!   confirmed and served advisors and the recovery key only.
//! - Joining: a mailbox key the server substitutes for the spoken reference
//!   (at the look-up or at the confirmation), or a follow-up item sealed by
//!   another key, is refused and nothing is joined or sent.
//! - After a join, only the key named in an advisor-sealed join record is
//!   the reporter's: items sealed by another key (a forged join record, a
//!   swapped opening item, "reporter" messages) are not shown as the
//!   reporter's, and replies go to the joined key only.

use std::sync::Arc;

use meldkluis_crypto_core::mailbox::mailbox_reference;
use meldkluis_crypto_core::{
    open_item, os_rng, seal_item, Expect, ItemHeader, ItemId, ItemKind, PublicKey, SealParams,
    StaticKey, StaticSecret, TenantId,
};
use serde_json::{json, Value};

use crate::console_attacks::{field, new_keys, open_console, Browser, Keys};
use crate::double::{self, b64, served, summary, Served};

fn tenant() -> TenantId {
    TenantId::new("acme").unwrap()
}

fn seal(
    kind: ItemKind,
    item_id: ItemId,
    report_id: ItemId,
    sender: &StaticSecret,
    recipients: &[PublicKey],
    content: &Value,
) -> Vec<u8> {
    seal_item(
        &SealParams {
            kind,
            tenant: &tenant(),
            item_id,
            report_id,
            sender,
            recipients,
        },
        content.to_string().as_bytes(),
        &mut os_rng(),
    )
    .unwrap()
}

fn message(report_id: ItemId, sender: &StaticSecret, to: &[PublicKey], content: &Value) -> Value {
    let id = ItemId::random(&mut os_rng());
    json!({
        "id": id.to_hex(),
        "from": "reporter",
        "created_day": "2026-11-30",
        "item": b64(&seal(ItemKind::Message, id, report_id, sender, to, content)),
    })
}

/// The follow-up report a reporter's mailbox seals (REPORT-CONTENT.md).
fn follow_up_item(mailbox: &StaticSecret, keys: &Keys) -> Vec<u8> {
    let id = ItemId::random(&mut os_rng());
    let advisor = keys.advisor.public_key();
    let content = json!({
        "format": "meldkluis-report/1",
        "language": "en",
        "category": null,
        "answers": [],
        "reporter": { "anonymous": true },
        "advisors": [{ "name": "A. Dviseur", "public_key": advisor.to_hex(), "fingerprint": advisor.fingerprint() }],
        "recovery_key": keys.recovery.public_key().to_hex(),
        "attachments": [],
        "follow_up": true,
    });
    seal(
        ItemKind::Report,
        id,
        id,
        mailbox,
        &[advisor, keys.recovery.public_key(), mailbox.public_key()],
        &content,
    )
}

fn follow_up_answer(reference: &str, key: &PublicKey, item: &[u8]) -> Value {
    json!({
        "reference": reference,
        "mailbox_public_key": key.to_hex(),
        "item": b64(item),
        "created_day": "2026-11-30",
        "expires_day": "2026-12-30",
    })
}

/// An oral report the advisor registered, as the server stores it.
struct Oral {
    server: Arc<Served>,
    browser: Browser,
    keys: Keys,
    id: ItemId,
    report: Vec<u8>,
}

impl Oral {
    async fn new() -> Self {
        let keys = new_keys();
        let id = ItemId::random(&mut os_rng());
        let report = seal(
            ItemKind::Report,
            id,
            id,
            &keys.advisor,
            &[keys.advisor.public_key(), keys.recovery.public_key()],
            &json!({
                "format": "meldkluis-oral-report/1",
                "language": "en",
                "category": null,
                "channel": "oral",
                "spoken_day": "2026-11-28",
                "text": "CANARY what the reporter told by phone",
                "reporter": { "anonymous": true },
                "advisors": [],
                "recovery_key": keys.recovery.public_key().to_hex(),
            }),
        );
        let server = Arc::new(Served::default());
        *server.config.lock().unwrap() = config(&keys, &[]);
        *server.list.lock().unwrap() = vec![summary(&id.to_hex())];
        let base = double::start(Arc::clone(&server)).await;
        let browser = open_console(&base, &keys, None).await;
        let oral = Self {
            server,
            browser,
            keys,
            id,
            report,
        };
        oral.serve(Vec::new(), "none", None);
        oral
    }

    fn serve(&self, messages: Vec<Value>, state: &str, opening: Option<&[u8]>) {
        let mut thread = double::thread(&self.id.to_hex(), &self.report);
        thread["messages"] = Value::Array(messages);
        thread["channel"] = json!("oral");
        thread["mailbox_state"] = json!(state);
        if let Some(opening) = opening {
            thread["opening_item"] = json!(b64(opening));
            thread["joined_day"] = json!("2026-11-30");
        }
        self.server
            .threads
            .lock()
            .unwrap()
            .insert(self.id.to_hex(), thread);
    }

    /// The server answers a look-up of `reference` with `key` as the
    /// follow-up mailbox's key and a follow-up report sealed by `sealer`.
    fn serve_follow_up(&self, reference: &str, key: &PublicKey, sealer: &StaticSecret) {
        self.server.follow_ups.lock().unwrap().insert(
            reference.to_owned(),
            follow_up_answer(reference, key, &follow_up_item(sealer, &self.keys)),
        );
    }

    fn path(&self) -> String {
        format!("/reports/{}", self.id.to_hex())
    }

    async fn page(&self) -> String {
        let (status, page) = self.browser.get(&self.path()).await;
        assert_eq!(status, 200, "{page}");
        page
    }

    /// An advisor-sealed join record naming `mailbox`, from `sender`.
    fn join_record(&self, sender: &StaticSecret, mailbox: &PublicKey) -> Value {
        message(
            self.id,
            sender,
            &[
                self.keys.advisor.public_key(),
                self.keys.recovery.public_key(),
                *mailbox,
            ],
            &json!({
                "format": "meldkluis-mailbox-join/1",
                "reference": mailbox_reference(mailbox),
                "mailbox_public_key": mailbox.to_hex(),
                "text": "Linked.",
            }),
        )
    }

    fn to_advisors(&self, also: &PublicKey) -> Vec<PublicKey> {
        vec![
            self.keys.advisor.public_key(),
            self.keys.recovery.public_key(),
            *also,
        ]
    }

    async fn post(&self, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let page = self.page().await;
        let hash = field(&page, "report_hash");
        let mut form = vec![
            ("csrf", self.browser.csrf.as_str()),
            ("report_hash", hash.as_str()),
        ];
        form.extend_from_slice(fields);
        self.browser
            .post(&format!("{}/{action}", self.path()), &form)
            .await
    }

    /// What the console posted, besides nothing: (path, body).
    fn posted(&self) -> Vec<(String, Value)> {
        self.server.posted()
    }
}

fn config(keys: &Keys, others: &[&PublicKey]) -> Value {
    let mut advisors = vec![served(&keys.advisor.public_key(), "A. Dviseur")];
    advisors.extend(others.iter().map(|k| served(k, "Someone")));
    json!({
        "tenant": "acme",
        "name": "Acme",
        "advisors": advisors,
        "recovery_key": { "public_key": keys.recovery.public_key().to_hex(), "fingerprint": keys.recovery.public_key().fingerprint() },
        "questionnaire": { "categories": [{ "id": "pesten", "label": { "nl": "Pesten", "en": "Bullying" } }] },
    })
}

/// Where a text is shown in a page: the `data-from` of the message it is in.
fn shown_from<'a>(page: &'a str, text: &str) -> &'a str {
    let at = page
        .find(text)
        .unwrap_or_else(|| panic!("{text} not in {page}"));
    let before = &page[..at];
    let start = before.rfind("data-from=\"").unwrap() + "data-from=\"".len();
    before[start..].split('"').next().unwrap()
}

/// A join refused with `expected` and the refusal `text_id` on its page.
fn assert_refused(status: u16, page: &str, expected: u16, text_id: &str) {
    assert_eq!(status, expected, "{page}");
    assert!(
        page.contains(&format!("data-refusal=\"{text_id}\"")),
        "{page}"
    );
}

fn opened_header(item_b64: &str) -> ItemHeader {
    ItemHeader::parse(&double::unb64(item_b64)).unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oral_report_is_sealed_by_the_advisor_to_confirmed_advisors_and_recovery_only() {
    let keys = new_keys();
    // The server also serves a key the advisor never confirmed.
    let stranger = StaticSecret::generate(&mut os_rng());
    let server = Arc::new(Served::default());
    *server.config.lock().unwrap() = config(&keys, &[&stranger.public_key()]);
    let base = double::start(Arc::clone(&server)).await;
    let browser = open_console(&base, &keys, None).await;

    let (status, form) = browser.get("/reports/oral").await;
    assert_eq!(status, 200, "{form}");
    assert!(
        form.contains("id=\"oral-text\"") && form.contains("Bullying"),
        "{form}"
    );
    let csrf = browser.csrf.clone();
    let filled = |text: &'static str, day: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("channel", "meeting".to_owned()),
            ("spoken_day", day.to_owned()),
            ("language", "en".to_owned()),
            ("category", "pesten".to_owned()),
            ("text", text.to_owned()),
            ("identity", "named".to_owned()),
            ("name", "R. Porter".to_owned()),
            ("contact", "06-12345678".to_owned()),
        ]
    };
    // Bad input: a translated refusal, nothing registered.
    for bad in [filled("", "2026-11-28"), filled("x", "28-11-2026")] {
        let form: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page) = browser.post("/reports/oral", &form).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("id=\"oral-problem\""), "{page}");
    }
    assert!(server.posted().is_empty());

    let good = filled("CANARY told by phone", "2026-11-28");
    let form: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = browser.post("/reports/oral", &form).await;
    assert_eq!(response.0, 303, "{}", response.1);
    let posted = server.posted();
    assert_eq!(posted.len(), 1, "{posted:?}");
    let (path, body) = &posted[0];
    assert_eq!(path, "reports");
    assert_eq!(body["channel"], "meeting");
    let item = double::unb64(body["item"].as_str().unwrap());
    let (header, _) = ItemHeader::parse(&item).unwrap();
    assert_eq!(header.kind, ItemKind::Report);
    assert_eq!(header.report_id, header.item_id);
    assert_eq!(header.sender, keys.advisor.public_key());
    let mut recipients = header.recipients.clone();
    recipients.sort();
    let mut expected = vec![keys.advisor.public_key(), keys.recovery.public_key()];
    expected.sort();
    assert_eq!(recipients, expected, "never the key only the server names");
    let opened = open_item(
        &item,
        &keys.recovery,
        &Expect {
            tenant: &tenant(),
            senders: &[keys.advisor.public_key()],
        },
    )
    .unwrap();
    let content: Value = serde_json::from_slice(&opened.content).unwrap();
    assert_eq!(content["format"], "meldkluis-oral-report/1");
    assert_eq!(content["channel"], "meeting");
    assert_eq!(content["spoken_day"], "2026-11-28");
    assert_eq!(content["text"], "CANARY told by phone");
    assert_eq!(content["category"]["label"], "Bullying");
    assert_eq!(content["reporter"]["name"], "R. Porter");
    assert_eq!(content["advisors"].as_array().unwrap().len(), 1);
    assert!(open_item(
        &item,
        &stranger,
        &Expect {
            tenant: &tenant(),
            senders: &[keys.advisor.public_key()],
        },
    )
    .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mailbox_key_substituted_for_the_spoken_reference_is_refused() {
    let oral = Oral::new().await;
    let reporter = StaticSecret::generate(&mut os_rng());
    let servers_key = StaticSecret::generate(&mut os_rng());
    let reference = mailbox_reference(&reporter.public_key());

    // The page of an unjoined oral report: its account, no mailbox, the
    // join form.
    let page = oral.page().await;
    assert!(
        page.contains("CANARY what the reporter told by phone"),
        "{page}"
    );
    assert!(
        page.contains("id=\"oral-not-joined\"") && page.contains("id=\"join-reference\""),
        "{page}"
    );

    // 1. At the look-up, the server serves its own key (and a follow-up
    //    item sealed by it, naming the advisor) for the reporter's
    //    reference.
    oral.serve_follow_up(&reference, &servers_key.public_key(), &servers_key);
    let typed = reference.to_lowercase().replace('-', " ");
    let (status, page) = oral.post("join", &[("reference", &typed)]).await;
    assert_refused(status, &page, 409, "oral-join-key-substituted");

    // 2. The right key, but an item sealed by another key.
    oral.serve_follow_up(&reference, &reporter.public_key(), &servers_key);
    let (status, page) = oral.post("join", &[("reference", &reference)]).await;
    assert_refused(status, &page, 422, "oral-join-item-refused");

    // 3. The look-up was honest, and the server substitutes its key at
    //    the confirmation.
    oral.serve_follow_up(&reference, &reporter.public_key(), &reporter);
    let (status, page) = oral.post("join", &[("reference", &reference)]).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("A. Dviseur") && page.contains("id=\"join-confirm\""),
        "{page}"
    );
    assert_eq!(
        field(&page, "mailbox_public_key"),
        reporter.public_key().to_hex()
    );
    oral.serve_follow_up(&reference, &servers_key.public_key(), &servers_key);
    let confirm = [
        ("reference", reference.as_str()),
        ("mailbox_public_key", &reporter.public_key().to_hex()),
    ];
    let (status, page) = oral.post("join/confirm", &confirm).await;
    assert_refused(status, &page, 409, "oral-join-key-substituted");
    // A confirmation naming the server's key (a forged form) is refused
    // too: its reference is not the spoken one.
    let forged = [
        ("reference", reference.as_str()),
        ("mailbox_public_key", &servers_key.public_key().to_hex()),
    ];
    let (status, _) = oral.post("join/confirm", &forged).await;
    assert_eq!(status, 409);

    // Nothing was joined, nothing was sent.
    assert!(oral.posted().is_empty(), "{:?}", oral.posted());

    // Not a reference at all, and a reference nobody made.
    let (status, page) = oral.post("join", &[("reference", "not a code")]).await;
    assert_refused(status, &page, 422, "oral-join-bad-reference");
    let nobody = mailbox_reference(&StaticSecret::generate(&mut os_rng()).public_key());
    let (status, page) = oral.post("join", &[("reference", &nobody)]).await;
    assert_refused(status, &page, 404, "oral-join-not-found");
    assert!(oral.posted().is_empty(), "{:?}", oral.posted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checked_join_posts_a_join_record_to_the_spoken_mailbox() {
    let oral = Oral::new().await;
    let reporter = StaticSecret::generate(&mut os_rng());
    let reference = mailbox_reference(&reporter.public_key());
    oral.serve_follow_up(&reference, &reporter.public_key(), &reporter);
    // Before joining, a reply goes to the advisors and the recovery key
    // only: there is no mailbox.
    let (status, page) = oral.post("reply", &[("text", "note to file")]).await;
    assert_eq!(status, 303, "{page}");
    let posted = oral.posted();
    let header = opened_header(posted[0].1["item"].as_str().unwrap());
    let mut recipients = header.recipients.clone();
    recipients.sort();
    let mut expected = vec![
        oral.keys.advisor.public_key(),
        oral.keys.recovery.public_key(),
    ];
    expected.sort();
    assert_eq!(recipients, expected);
    oral.server.posted.lock().unwrap().clear();

    let (status, page) = oral.post("join", &[("reference", &reference)]).await;
    assert_eq!(status, 200, "{page}");
    let confirm = [
        ("reference", reference.as_str()),
        ("mailbox_public_key", &reporter.public_key().to_hex()),
    ];
    let (status, page) = oral.post("join/confirm", &confirm).await;
    assert_eq!(status, 303, "{page}");
    let posted = oral.posted();
    assert_eq!(posted.len(), 2, "{posted:?}");
    assert_eq!(posted[0].0, format!("{}/join", oral.id.to_hex()));
    assert_eq!(posted[0].1["reference"], reference.as_str());
    assert_eq!(
        posted[0].1["mailbox_public_key"],
        reporter.public_key().to_hex()
    );
    assert_eq!(posted[1].0, format!("{}/messages", oral.id.to_hex()));
    let item = double::unb64(posted[1].1["item"].as_str().unwrap());
    // The reporter's mailbox opens the join record, from the advisor.
    let opened = open_item(
        &item,
        &reporter,
        &Expect {
            tenant: &tenant(),
            senders: &[oral.keys.advisor.public_key()],
        },
    )
    .unwrap();
    assert_eq!(opened.header.report_id, oral.id);
    let record: Value = serde_json::from_slice(&opened.content).unwrap();
    assert_eq!(record["format"], "meldkluis-mailbox-join/1");
    assert_eq!(record["reference"], reference.as_str());
    assert_eq!(record["mailbox_public_key"], reporter.public_key().to_hex());
    let text = record["text"].as_str().unwrap();
    assert!(
        text.contains("CANARY what the reporter told by phone"),
        "{text}"
    );
    assert!(text.contains("2026-11-28"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_join_only_the_join_records_key_is_the_reporter() {
    let oral = Oral::new().await;
    let reporter = StaticSecret::generate(&mut os_rng());
    let servers_key = StaticSecret::generate(&mut os_rng());
    let genuine_opening = follow_up_item(&reporter, &oral.keys);
    let swapped_opening = follow_up_item(&servers_key, &oral.keys);
    let messages = vec![
        oral.join_record(&oral.keys.advisor, &reporter.public_key()),
        // A join record sealed by a key the console does not trust as an
        // advisor (the server's), naming the server's key.
        oral.join_record(&servers_key, &servers_key.public_key()),
        message(
            oral.id,
            &reporter,
            &oral.to_advisors(&reporter.public_key()),
            &json!({ "format": "meldkluis-message/1", "text": "CANARY from the reporter", "attachments": [] }),
        ),
        message(
            oral.id,
            &servers_key,
            &oral.to_advisors(&servers_key.public_key()),
            &json!({ "format": "meldkluis-message/1", "text": "FORGED as the reporter", "attachments": [] }),
        ),
    ];
    // The server swaps the opening item for one sealed by its own key.
    oral.serve(messages.clone(), "joined", Some(&swapped_opening));
    let page = oral.page().await;
    assert!(page.contains("id=\"oral-joined\""), "{page}");
    assert!(
        page.contains(&mailbox_reference(&reporter.public_key())),
        "{page}"
    );
    assert!(page.contains("id=\"oral-opening-refused\""), "{page}");
    assert_eq!(shown_from(&page, "CANARY from the reporter"), "reporter");
    assert!(!page.contains("FORGED as the reporter"), "{page}");
    assert!(
        !page.contains("id=\"join-reference\""),
        "no second join: {page}"
    );

    // With the genuine opening item, the mailbox's choice is shown.
    oral.serve(messages.clone(), "joined", Some(&genuine_opening));
    let page = oral.page().await;
    assert!(page.contains("id=\"oral-opening\""), "{page}");
    assert!(!page.contains("oral-opening-refused"), "{page}");

    // Replies go to the joined mailbox, never to the server's key.
    let (status, page) = oral.post("reply", &[("text", "Dank u")]).await;
    assert_eq!(status, 303, "{page}");
    let posted = oral.posted();
    let header = opened_header(posted.last().unwrap().1["item"].as_str().unwrap());
    assert!(header.recipients.contains(&reporter.public_key()));
    assert!(!header.recipients.contains(&servers_key.public_key()));

    // Without the advisor's join record (dropped by the server, which
    // still says "joined"), nothing is the reporter's and no reply goes to
    // any mailbox.
    oral.serve(messages[1..].to_vec(), "joined", Some(&genuine_opening));
    let page = oral.page().await;
    assert!(page.contains("id=\"oral-record-missing\""), "{page}");
    assert!(!page.contains("CANARY from the reporter"), "{page}");
    assert!(!page.contains("data-from=\"reporter\""), "{page}");
    oral.server.posted.lock().unwrap().clear();
    let (status, _) = oral.post("reply", &[("text", "Dank u")]).await;
    assert_eq!(status, 303);
    let header = opened_header(oral.posted()[0].1["item"].as_str().unwrap());
    assert!(!header.recipients.contains(&reporter.public_key()));
    assert!(!header.recipients.contains(&servers_key.public_key()));

    // Two trusted join records naming different keys: neither is believed.
    let co_advisor_record = oral.join_record(&oral.keys.advisor, &servers_key.public_key());
    let mut conflicting = messages.clone();
    conflicting.push(co_advisor_record);
    oral.serve(conflicting, "joined", Some(&genuine_opening));
    let page = oral.page().await;
    assert!(page.contains("id=\"oral-conflicting\""), "{page}");
    assert!(!page.contains("data-from=\"reporter\""), "{page}");
    let (status, _) = oral.post("reply", &[("text", "Dank u")]).await;
    assert_ne!(status, 303, "no reply while the join records disagree");
}
