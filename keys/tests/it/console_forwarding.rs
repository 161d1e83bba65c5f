//! Forwarding a case with the reporter's consent (issue 12), in the
//! advisor console against the real server in this process. Each test
//! performs an attack and shows that the console refuses it, with nothing
//! sent to anyone:
//!
//! - "Forward now" without any approval;
//! - with an approval of another draft: another text, another attachment,
//!   another version, or attachment content other than the file's;
//! - to a recipient the approved draft does not name;
//! - with an "approval" sealed by a key other than the report's mailbox
//!   key: by a key the server enrolled as an advisor of its own (and to
//!   which the reporter's browser sealed the report), or by a co-advisor;
//! - after the reporter withdrew (or declined) it;
//! - a second time with the same approval;
//! - to a forward recipient not confirmed aloud, or one the server no
//!   longer serves (swapped for another key under the same label), or
//!   serves in another role;
//! - from a form without the console's CSRF token, or naming another
//!   report than the one the advisor read;
//!
//! and that what is forwarded (the forward and its re-sealed attachments)
//! opens with the named recipient's key and with nothing else: not an
//! advisor's, not the mailbox key, not another forward recipient's, not a
//! management recipient's, not the recovery key.
// Test code: a panic with its location is the failure report.

use meldkluis_crypto_core::approval::{
    ApprovalSubject, SubjectAttachment, SubjectKind, SubjectRecipient,
};
use meldkluis_crypto_core::challenge::{answer_challenge, CHALLENGE_LEN};
use meldkluis_crypto_core::recipient::recipient_login_context;
use meldkluis_crypto_core::{
    open_item, os_rng, Expect, ItemId, ItemKind, PublicKey, StaticKey as _, StaticSecret,
};
use meldkluis_i18n::{catalog, t};
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::console::ConsoleOptions;
use meldkluis_keys::enrolled::{ConfirmedRecipient, EnrolledKeys, RecipientRole};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::console_attacks::{field, open_console_with, Browser};
use crate::double::{b64, unb64};
use crate::real_server::{self, seal, RealServer};

/// The report's two attachments (the reporter's files).
const FILE_1: &[u8] = b"%PDF-1.7 CANARY the minutes of 3 November";
const FILE_2: &[u8] = b"CANARY a photo of the notice board";

/// How the server is set up besides the usual.
#[derive(Clone, Copy, Default)]
struct Twist {
    /// The operator enrolls a key of its own as an advisor before the
    /// report, so the reporter's browser seals the report to it too.
    server_advisor: bool,
    /// The server serves G (confirmed by A as a forward recipient) as a
    /// management recipient.
    g_as_management: bool,
}

/// The real server with advisors A (the console's) and B; forward
/// recipients F ("HR — P. de Boer") and G ("Klachtencommissie"), both
/// confirmed by A; a forward recipient U the server serves but nobody
/// confirmed; a management recipient M; a report by the reporter's mailbox
/// key R with two attachments.
struct Case {
    server: RealServer,
    http: reqwest::Client,
    a: StaticSecret,
    b: StaticSecret,
    f: StaticSecret,
    g: StaticSecret,
    u: StaticSecret,
    m: StaticSecret,
    /// The server's own key, enrolled as an advisor (with
    /// [`Twist::server_advisor`]).
    s: StaticSecret,
    r: StaticSecret,
    token: String,
    report_id: ItemId,
    files: [(ItemId, &'static [u8]); 2],
    browser: Browser,
    _dir: tempfile::TempDir,
}

const F_LABEL: &str = "HR — P. de Boer";
const G_LABEL: &str = "Klachtencommissie";

fn en() -> meldkluis_i18n::Lang {
    catalog().lang("en").unwrap()
}

/// A text of the catalog as maud writes it into a page.
fn shown(id: &str) -> String {
    t(en(), id)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn case(twist: Twist) -> Case {
    let dir = tempfile::tempdir().unwrap();
    let server = real_server::start(dir.path(), "acme", "Acme").await;
    let mut rng = os_rng();
    let [a, b, f, g, u, m, s, r] = std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    let (admin, tenant) = (&server.admin, &server.tenant);
    admin
        .add_advisor(tenant, &a.public_key(), "A. de Vries")
        .unwrap();
    admin
        .add_advisor(tenant, &b.public_key(), "B. Jansen")
        .unwrap();
    if twist.server_advisor {
        admin
            .add_advisor(tenant, &s.public_key(), "Operator")
            .unwrap();
    }
    let g_role = if twist.g_as_management {
        "management"
    } else {
        "forward"
    };
    for (key, role, label) in [
        (&f, "forward", F_LABEL),
        (&g, g_role, G_LABEL),
        (&u, "forward", "HR — onbekend"),
        (&m, "management", "Directie"),
    ] {
        admin
            .add_recipient(tenant, role, label, &key.public_key())
            .unwrap();
    }
    // The reporter's browser seals to every advisor key the server serves.
    let mut to = vec![
        a.public_key(),
        b.public_key(),
        server.recovery.public_key(),
        r.public_key(),
    ];
    if twist.server_advisor {
        to.push(s.public_key());
    }
    let report_id = ItemId::random(&mut rng);
    let files = [
        (ItemId::random(&mut rng), FILE_1),
        (ItemId::random(&mut rng), FILE_2),
    ];
    let report = json!({
        "format": "meldkluis-report/1",
        "answers": [{"question": "What happened?", "answer": "CANARY what happened"}],
        "reporter": {"anonymous": true},
        "attachments": [
            {"id": files[0].0.to_hex(), "name": "notulen.pdf", "type": "application/pdf", "size": FILE_1.len()},
            {"id": files[1].0.to_hex(), "name": "foto.jpg", "type": "image/jpeg", "size": FILE_2.len()},
        ],
    });
    let item = seal(
        tenant,
        ItemKind::Report,
        report_id,
        report_id,
        &r,
        &to,
        report.to_string().as_bytes(),
    );
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut mailbox_id = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rng, &mut mailbox_id);
    let status =
        real_server::submit_report(&http, &server.base, tenant, &r, mailbox_id, &item).await;
    assert_eq!(status, 201);
    let token = real_server::mailbox_login(&http, &server.base, tenant, mailbox_id).await;
    for (id, content) in files {
        let sealed = seal(
            tenant,
            ItemKind::Attachment,
            id,
            report_id,
            &r,
            &to,
            content,
        );
        let answer = http
            .post(format!(
                "{}/api/v1/t/{tenant}/mailbox/attachments",
                server.base
            ))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(sealed)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
    }
    let options = ConsoleOptions {
        server: server.base.clone(),
        tenant: tenant.clone(),
        enrolled: EnrolledKeys {
            advisors: vec![
                (a.public_key(), "A. de Vries".into()),
                (b.public_key(), "B. Jansen".into()),
            ],
            recovery: Some(server.recovery.public_key()),
            earlier: Vec::new(),
            former_recovery: Vec::new(),
            recipients: vec![
                ConfirmedRecipient {
                    role: RecipientRole::Forward,
                    public_key: f.public_key(),
                    label: F_LABEL.into(),
                },
                ConfirmedRecipient {
                    role: RecipientRole::Forward,
                    public_key: g.public_key(),
                    label: G_LABEL.into(),
                },
                ConfirmedRecipient {
                    role: RecipientRole::Management,
                    public_key: m.public_key(),
                    label: "Directie".into(),
                },
            ],
        },
        lang: en(),
        pins: None,
    };
    let browser =
        open_console_with(options, StaticSecret::from_bytes(*a.expose_secret_bytes())).await;
    Case {
        server,
        http,
        a,
        b,
        f,
        g,
        u,
        m,
        s,
        r,
        token,
        report_id,
        files,
        browser,
        _dir: dir,
    }
}

impl Case {
    fn report_path(&self) -> String {
        format!("/reports/{}", self.report_id.to_hex())
    }

    /// The report page, as the advisor's browser shows it.
    async fn page(&self) -> String {
        let (status, page) = self.browser.get(&self.report_path()).await;
        assert_eq!(status, 200, "{page}");
        page
    }

    /// Sends a draft from the report page's form: `text`, the report's
    /// attachments `files` (indexes), recipient `to`, as a new version of
    /// `draft` if given. Returns the console's answer.
    async fn ask(
        &self,
        text: &str,
        files: &[usize],
        to: &PublicKey,
        draft: Option<&str>,
    ) -> (u16, String) {
        let page = self.page().await;
        let hash = field(&page, "report_hash");
        let ids: Vec<String> = files.iter().map(|&i| self.files[i].0.to_hex()).collect();
        let to = to.to_hex();
        let mut form = vec![
            ("csrf", self.browser.csrf.as_str()),
            ("report_hash", hash.as_str()),
            ("text", text),
            ("recipient", to.as_str()),
        ];
        for id in &ids {
            form.push(("attachment", id));
        }
        if let Some(draft) = draft {
            form.push(("draft_id", draft));
        }
        self.browser
            .post(&format!("{}/forward/request", self.report_path()), &form)
            .await
    }

    /// "Forward now" for `draft` version `version` to `to`.
    async fn forward(&self, draft: &str, version: u32, to: &PublicKey) -> (u16, String) {
        let page = self.page().await;
        let hash = field(&page, "report_hash");
        self.browser
            .post(
                &format!("{}/forward", self.report_path()),
                &[
                    ("csrf", &self.browser.csrf),
                    ("report_hash", &hash),
                    ("draft_id", draft),
                    ("version", &version.to_string()),
                    ("recipient", &to.to_hex()),
                ],
            )
            .await
    }

    /// The approval requests in the reporter's mailbox, opened with the
    /// mailbox key (from the tenant's advisors), oldest first.
    async fn requests(&self) -> Vec<Value> {
        let thread: Value = self
            .http
            .get(format!(
                "{}/api/v1/t/{}/mailbox",
                self.server.base, self.server.tenant
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let senders = [self.a.public_key(), self.b.public_key()];
        thread["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| {
                let item = unb64(m["item"].as_str()?);
                let opened = open_item(
                    &item,
                    &self.r,
                    &Expect {
                        tenant: &self.server.tenant,
                        senders: &senders,
                    },
                )
                .ok()?;
                let value: Value = serde_json::from_slice(&opened.content).ok()?;
                (value["format"] == "meldkluis-approval-request/1").then_some(value)
            })
            .collect()
    }

    /// The subject a request describes, as the reporter's mailbox
    /// recomputes it from the fields it shows.
    fn subject(&self, request: &Value) -> ApprovalSubject {
        let hex16 = |v: &Value| -> [u8; 16] {
            let mut out = [0u8; 16];
            hex::decode_to_slice(v.as_str().unwrap(), &mut out).unwrap();
            out
        };
        let hex32 = |v: &Value| -> [u8; 32] {
            let mut out = [0u8; 32];
            hex::decode_to_slice(v.as_str().unwrap(), &mut out).unwrap();
            out
        };
        ApprovalSubject {
            kind: SubjectKind::Forward,
            tenant: self.server.tenant.clone(),
            report_id: self.report_id,
            draft_id: hex16(&request["draft_id"]),
            version: u32::try_from(request["version"].as_u64().unwrap()).unwrap(),
            text: request["text"].as_str().unwrap().to_owned(),
            attachments: request["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| SubjectAttachment {
                    item_id: ItemId(hex16(&a["id"])),
                    sha256: hex32(&a["sha256"]),
                    size: a["size"].as_u64().unwrap(),
                    name: a["name"].as_str().unwrap().to_owned(),
                    content_type: a["type"].as_str().unwrap().to_owned(),
                })
                .collect(),
            recipients: request["recipients"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| SubjectRecipient {
                    public_key: PublicKey::from_hex(r["public_key"].as_str().unwrap()).unwrap(),
                    label: r["label"].as_str().unwrap().to_owned(),
                })
                .collect(),
        }
    }

    /// A message in the thread sealed by `sender` (the mailbox key posts
    /// through the mailbox, an advisor key through its advisor session).
    async fn post_as(&self, sender: &StaticSecret, content: &Value) {
        let tenant = &self.server.tenant;
        let mut to = vec![
            self.r.public_key(),
            self.server.recovery.public_key(),
            self.a.public_key(),
            self.b.public_key(),
        ];
        if !to.contains(&sender.public_key()) {
            to.push(sender.public_key());
        }
        let item = seal(
            tenant,
            ItemKind::Message,
            ItemId::random(&mut os_rng()),
            self.report_id,
            sender,
            &to,
            content.to_string().as_bytes(),
        );
        if sender.public_key() == self.r.public_key() {
            let answer = self
                .http
                .post(format!(
                    "{}/api/v1/t/{tenant}/mailbox/messages",
                    self.server.base
                ))
                .bearer_auth(&self.token)
                .json(&json!({ "item": b64(&item) }))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 201);
        } else {
            let client = ServerClient::new(&self.server.base, tenant.clone()).unwrap();
            client.log_in(sender).await.unwrap();
            client
                .post_message(&self.report_id.to_hex(), &item)
                .await
                .unwrap();
        }
    }

    /// The reporter's answer about `hash` (of draft `request`), sealed by
    /// `sender` (the mailbox key, unless the test forges it).
    async fn answer_as(
        &self,
        sender: &StaticSecret,
        request: &Value,
        hash: [u8; 32],
        decision: &str,
    ) {
        let answer = json!({
            "format": "meldkluis-approval/1",
            "subject": "forward",
            "draft_id": request["draft_id"],
            "version": request["version"],
            "subject_hash": hex::encode(hash),
            "decision": decision,
        });
        self.post_as(sender, &answer).await;
    }

    /// The reporter answers `request` as its mailbox shows it.
    async fn answer(&self, request: &Value, decision: &str) {
        let hash = self.subject(request).hash().unwrap();
        assert_eq!(
            request["subject_hash"].as_str().unwrap(),
            hex::encode(hash),
            "the console's stated hash is the recomputed one"
        );
        self.answer_as(&self.r, request, hash, decision).await;
    }

    /// The forwards of the report, as advisor B's client lists them.
    async fn forwards(&self) -> Vec<meldkluis_keys::client::Forward> {
        let client = ServerClient::new(&self.server.base, self.server.tenant.clone()).unwrap();
        client.log_in(&self.b).await.unwrap();
        client.forwards(&self.report_id.to_hex()).await.unwrap()
    }

    /// Logs in as recipient `key` and returns its items (kind, bytes), each
    /// forward followed by its attachments.
    async fn recipient_items(&self, key: &StaticSecret) -> Vec<(String, Vec<u8>)> {
        let api = format!("{}/api/v1/t/{}", self.server.base, self.server.tenant);
        let challenge: Value = self
            .http
            .get(format!("{api}/recipient/challenge"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let message: [u8; CHALLENGE_LEN] = hex::decode(challenge["message"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let context = recipient_login_context(&self.server.tenant, &self.server.base);
        let answer = answer_challenge(key, &message, &context).unwrap();
        let login: Value = self
            .http
            .post(format!("{api}/recipient/login"))
            .json(&json!({
                "public_key": key.public_key().to_hex(),
                "challenge": challenge["challenge"],
                "answer": hex::encode(answer),
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().expect("logged in").to_owned();
        let list: Value = self
            .http
            .get(format!("{api}/recipient/items"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut items = Vec::new();
        for item in list["items"].as_array().unwrap() {
            let mut ids = vec![(
                item["kind"].as_str().unwrap().to_owned(),
                item["item_id"].as_str().unwrap().to_owned(),
            )];
            for attachment in item["attachments"].as_array().into_iter().flatten() {
                ids.push((
                    "attachment".to_owned(),
                    attachment["item_id"].as_str().unwrap().to_owned(),
                ));
            }
            for (kind, id) in ids {
                let bytes = self
                    .http
                    .get(format!("{api}/recipient/items/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(bytes.status(), 200, "{kind} {id}");
                items.push((kind, bytes.bytes().await.unwrap().to_vec()));
            }
        }
        items
    }

    /// Nothing was forwarded: no forward listed, no item for F or G.
    async fn nothing_forwarded(&self) {
        assert!(self.forwards().await.is_empty(), "no forward was made");
        for key in [&self.f, &self.g] {
            assert!(
                self.recipient_items(key)
                    .await
                    .iter()
                    .all(|(kind, _)| kind != "forward" && kind != "attachment"),
                "nothing reached a forward recipient"
            );
        }
    }
}

fn draft_of(request: &Value) -> (String, u32) {
    (
        request["draft_id"].as_str().unwrap().to_owned(),
        u32::try_from(request["version"].as_u64().unwrap()).unwrap(),
    )
}

/// The console refused with the text `id`, and said nothing was sent.
fn refused(answer: &(u16, String), id: &str) {
    assert_eq!(answer.0, 422, "{}", answer.1);
    assert!(answer.1.contains("id=\"input-refused\""), "{}", answer.1);
    assert!(answer.1.contains(&shown(id)), "{id} in {}", answer.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_without_approval_is_refused() {
    let case = case(Twist::default()).await;
    let asked = case
        .ask("CANARY forward text", &[0], &case.f.public_key(), None)
        .await;
    assert_eq!(asked.0, 303, "{}", asked.1);
    let requests = case.requests().await;
    assert_eq!(requests.len(), 1, "the draft reached the mailbox");
    let (draft, version) = draft_of(&requests[0]);
    let page = case.page().await;
    assert!(page.contains(&shown("console-forward-standing-awaiting")));
    assert!(!page.contains("forward-now"), "no Forward now button");

    refused(
        &case.forward(&draft, version, &case.f.public_key()).await,
        "console-forward-refused-no-approval",
    );
    // A draft that does not exist at all.
    refused(
        &case
            .forward(&"ab".repeat(16), 1, &case.f.public_key())
            .await,
        "console-forward-refused-no-draft",
    );
    case.nothing_forwarded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_of_another_draft_is_refused() {
    let case = case(Twist::default()).await;
    let f = case.f.public_key();
    assert_eq!(case.ask("CANARY version one", &[0], &f, None).await.0, 303);
    let v1 = case.requests().await.remove(0);
    let (draft, _) = draft_of(&v1);

    // The reporter approves drafts it was never sent: the same draft with
    // another text, with another attachment, and as another version.
    let mut other_text = case.subject(&v1);
    other_text.text = "CANARY another text".into();
    let mut other_attachment = case.subject(&v1);
    other_attachment.attachments = vec![SubjectAttachment {
        item_id: case.files[1].0,
        sha256: Sha256::digest(FILE_2).into(),
        size: FILE_2.len() as u64,
        name: "foto.jpg".into(),
        content_type: "image/jpeg".into(),
    }];
    let mut other_version = case.subject(&v1);
    other_version.version = 2;
    for subject in [&other_text, &other_attachment, &other_version] {
        case.answer_as(&case.r, &v1, subject.hash().unwrap(), "approve")
            .await;
    }
    refused(
        &case.forward(&draft, 1, &f).await,
        "console-forward-refused-no-approval",
    );

    // The reporter approves version 1; the advisor then changes the draft
    // (version 2, another text): the approval of version 1 is none of
    // version 2, and version 1 is no longer the draft.
    case.answer(&v1, "approve").await;
    assert_eq!(
        case.ask("CANARY version two", &[0, 1], &f, Some(&draft))
            .await
            .0,
        303
    );
    let requests = case.requests().await;
    assert_eq!(requests.len(), 2);
    assert_eq!(draft_of(&requests[1]), (draft.clone(), 2));
    refused(
        &case.forward(&draft, 2, &f).await,
        "console-forward-refused-no-approval",
    );
    refused(
        &case.forward(&draft, 1, &f).await,
        "console-forward-refused-not-newest",
    );
    case.nothing_forwarded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_not_named_in_the_approval_is_refused() {
    let case = case(Twist::default()).await;
    assert_eq!(
        case.ask("CANARY to HR", &[0], &case.f.public_key(), None)
            .await
            .0,
        303
    );
    let request = case.requests().await.remove(0);
    case.answer(&request, "approve").await;
    let (draft, version) = draft_of(&request);
    // G is confirmed and served as a forward recipient, but the reporter
    // approved F.
    refused(
        &case.forward(&draft, version, &case.g.public_key()).await,
        "console-forward-refused-recipient-not-named",
    );
    case.nothing_forwarded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_not_sealed_by_the_mailbox_key_is_refused() {
    // The operator enrolled a key of its own as an advisor, and the
    // reporter's browser sealed the report to it: its messages open.
    let case = case(Twist {
        server_advisor: true,
        ..Twist::default()
    })
    .await;
    assert_eq!(
        case.ask("CANARY to HR", &[0], &case.f.public_key(), None)
            .await
            .0,
        303
    );
    let request = case.requests().await.remove(0);
    let hash = case.subject(&request).hash().unwrap();
    let (draft, version) = draft_of(&request);
    // The server's key, and co-advisor B, each post a perfect approval of
    // the exact draft: right format, right hash, decision approve.
    case.answer_as(&case.s, &request, hash, "approve").await;
    case.answer_as(&case.b, &request, hash, "approve").await;
    let page = case.page().await;
    assert!(
        page.contains("id=\"key-substitution\""),
        "the server's extra advisor key is flagged"
    );
    assert!(page.contains(&shown("console-forward-standing-awaiting")));
    assert!(!page.contains("forward-now"));
    refused(
        &case.forward(&draft, version, &case.f.public_key()).await,
        "console-forward-refused-no-approval",
    );
    case.nothing_forwarded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_or_declined_approval_is_refused() {
    let case = case(Twist::default()).await;
    let f = case.f.public_key();
    assert_eq!(case.ask("CANARY first", &[0], &f, None).await.0, 303);
    assert_eq!(case.ask("CANARY second", &[1], &f, None).await.0, 303);
    let requests = case.requests().await;
    let (first, second) = (&requests[0], &requests[1]);
    case.answer(first, "approve").await;
    case.answer(first, "withdraw").await;
    case.answer(second, "decline").await;
    let page = case.page().await;
    assert!(page.contains(&shown("console-forward-standing-withdrawn")));
    assert!(page.contains(&shown("console-forward-standing-declined")));
    assert!(!page.contains("forward-now"));
    let (draft, version) = draft_of(first);
    refused(
        &case.forward(&draft, version, &f).await,
        "console-forward-refused-withdrawn",
    );
    let (draft, version) = draft_of(second);
    refused(
        &case.forward(&draft, version, &f).await,
        "console-forward-refused-declined",
    );
    case.nothing_forwarded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_used_once() {
    let case = case(Twist::default()).await;
    let f = case.f.public_key();
    assert_eq!(case.ask("CANARY once", &[], &f, None).await.0, 303);
    let request = case.requests().await.remove(0);
    case.answer(&request, "approve").await;
    let (draft, version) = draft_of(&request);
    let first = case.forward(&draft, version, &f).await;
    assert_eq!(first.0, 303, "{}", first.1);
    refused(
        &case.forward(&draft, version, &f).await,
        "console-forward-refused-used",
    );
    // A withdrawal after the forward changes nothing: it was used.
    case.answer(&request, "withdraw").await;
    refused(
        &case.forward(&draft, version, &f).await,
        "console-forward-refused-used",
    );
    assert_eq!(case.forwards().await.len(), 1);
    let items = case.recipient_items(&case.f).await;
    assert_eq!(
        items.iter().filter(|(kind, _)| kind == "forward").count(),
        1,
        "F got one forward"
    );
    let page = case.page().await;
    assert!(page.contains(&shown("console-forward-standing-forwarded")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_or_substituted_recipient_is_refused() {
    let case = case(Twist {
        g_as_management: true,
        ..Twist::default()
    })
    .await;
    let (f, u) = (case.f.public_key(), case.u.public_key());

    // The recipients page: U unconfirmed, with its fingerprint and the
    // exact line to add; G (confirmed as forward) flagged as served in
    // another role.
    let (status, recipients) = case.browser.get("/recipients").await;
    assert_eq!(status, 200, "{recipients}");
    assert!(recipients.contains(&format!("forward {} HR — onbekend", u.to_hex())));
    assert!(recipients.contains(&u.fingerprint()));
    assert!(recipients.contains("id=\"recipient-substitution\""));
    assert!(
        recipients.contains(&format!("{G_LABEL} (fingerprint {}) is confirmed by you as Forward recipient, but the server serves this key as Management recipient", case.g.public_key().fingerprint())),
        "{recipients}"
    );

    // No draft to U (unconfirmed) or G (served as management).
    for to in [&u, &case.g.public_key()] {
        refused(
            &case.ask("CANARY", &[0], to, None).await,
            "console-forward-refused-recipient-unconfirmed",
        );
    }
    assert!(case.requests().await.is_empty());

    // Co-advisor B, who did confirm U, asks the reporter about U; the
    // reporter approves; A's console still does not forward to U.
    let mut to_u = case.subject(&json!({
        "draft_id": "11".repeat(16),
        "version": 1,
        "text": "CANARY to U",
        "attachments": [],
        "recipients": [{"public_key": u.to_hex(), "label": "HR — onbekend"}],
    }));
    to_u.report_id = case.report_id;
    let hash = to_u.hash().unwrap();
    let request = json!({
        "format": "meldkluis-approval-request/1", "subject": "forward",
        "draft_id": "11".repeat(16), "version": 1, "text": "CANARY to U",
        "attachments": [],
        "recipients": [{"public_key": u.to_hex(), "label": "HR — onbekend", "role": "forward"}],
        "subject_hash": hex::encode(hash),
    });
    case.post_as(&case.b, &request).await;
    case.answer(&request, "approve").await;
    refused(
        &case.forward(&"11".repeat(16), 1, &u).await,
        "console-forward-refused-recipient-unconfirmed",
    );

    // F approved, then the server swaps F's key for one of its own under
    // the same label.
    assert_eq!(case.ask("CANARY to HR", &[0], &f, None).await.0, 303);
    let request = case
        .requests()
        .await
        .into_iter()
        .find(|r| r["text"] == "CANARY to HR")
        .unwrap();
    case.answer(&request, "approve").await;
    let admin = &case.server.admin;
    admin.remove_recipient(&case.server.tenant, &f).unwrap();
    let swapped = StaticSecret::generate(&mut os_rng());
    admin
        .add_recipient(
            &case.server.tenant,
            "forward",
            F_LABEL,
            &swapped.public_key(),
        )
        .unwrap();
    let (draft, version) = draft_of(&request);
    refused(
        &case.forward(&draft, version, &f).await,
        "console-forward-refused-recipient-unconfirmed",
    );
    refused(
        &case.forward(&draft, version, &swapped.public_key()).await,
        "console-forward-refused-recipient-unconfirmed",
    );
    let page = case.page().await;
    assert!(
        page.contains("id=\"forward-recipient-substitution\""),
        "the report's forwarding section raises the alarm too"
    );
    assert!(
        !page.contains("forward-now"),
        "no Forward now to a swapped key"
    );
    let (_, recipients) = case.browser.get("/recipients").await;
    assert!(
        recipients.contains("but the server no longer serves this key"),
        "F flagged as no longer served: {recipients}"
    );
    assert!(case.forwards().await.is_empty());
    assert!(case.recipient_items(&swapped).await.is_empty());
    assert!(case.recipient_items(&case.u).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_items_open_for_the_named_recipient_only() {
    let case = case(Twist::default()).await;
    let f = case.f.public_key();
    // The reporter asks first.
    case.post_as(
        &case.r,
        &json!({"format": "meldkluis-forward-wish/1", "text": "CANARY please send it to HR"}),
    )
    .await;
    let page = case.page().await;
    assert!(page.contains(&shown("console-forward-wishes")));
    assert!(page.contains("CANARY please send it to HR"));

    let text = "CANARY the case, for HR.\n\nSee the minutes.";
    assert_eq!(case.ask(text, &[0], &f, None).await.0, 303);
    let request = case.requests().await.remove(0);
    assert_eq!(request["text"], text);
    assert_eq!(request["attachments"][0]["name"], "notulen.pdf");
    assert_eq!(
        request["attachments"][0]["sha256"],
        hex::encode(Sha256::digest(FILE_1))
    );
    assert_eq!(request["recipients"][0]["label"], F_LABEL);
    case.answer(&request, "approve").await;
    let page = case.page().await;
    assert!(page.contains(&shown("console-forward-standing-approved")));
    assert!(page.contains("forward-now"), "Forward now is offered");
    let (draft, version) = draft_of(&request);
    let done = case.forward(&draft, version, &f).await;
    assert_eq!(done.0, 303, "{}", done.1);
    let forwards = case.forwards().await;
    assert_eq!(forwards.len(), 1);
    assert_eq!(forwards[0].recipient_public_key, f.to_hex());
    let page = case.page().await;
    assert!(page.contains("id=\"forwards-made\""));

    let items = case.recipient_items(&case.f).await;
    let kinds: Vec<&str> = items.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["forward", "attachment"]);
    let tenant = &case.server.tenant;
    let from_a = [case.a.public_key()];
    let expect = Expect {
        tenant,
        senders: &from_a,
    };
    let forward = open_item(&items[0].1, &case.f, &expect).expect("F opens the forward");
    assert_eq!(forward.header.recipients, vec![f], "sealed to F only");
    assert_eq!(forward.header.report_id, case.report_id);
    let content: Value = serde_json::from_slice(&forward.content).unwrap();
    assert_eq!(content["format"], "meldkluis-forward/1");
    assert_eq!(content["text"], text);
    assert_eq!(
        content["subject_hash"],
        hex::encode(case.subject(&request).hash().unwrap())
    );
    assert_eq!(content["recipient"]["label"], F_LABEL);
    assert_eq!(content["advisor"], "A. de Vries");
    let attachment = open_item(&items[1].1, &case.f, &expect).expect("F opens the attachment");
    assert_eq!(attachment.header.kind, ItemKind::Attachment);
    assert_eq!(attachment.header.recipients, vec![f]);
    assert_eq!(attachment.content.as_slice(), FILE_1);
    assert_eq!(
        content["attachments"][0]["id"],
        attachment.header.item_id.to_hex(),
        "a new attachment item"
    );
    assert_ne!(attachment.header.item_id, case.files[0].0);
    assert_eq!(
        content["attachments"][0]["sha256"],
        hex::encode(Sha256::digest(FILE_1))
    );

    // Nobody else opens either: not an advisor, not the mailbox, not
    // another forward recipient, not management, not the recovery key.
    for (who, key) in [
        ("advisor A", &case.a),
        ("advisor B", &case.b),
        ("mailbox", &case.r),
        ("forward recipient G", &case.g),
        ("forward recipient U", &case.u),
        ("management M", &case.m),
        ("recovery", &case.server.recovery),
    ] {
        for (kind, bytes) in &items {
            assert!(
                open_item(bytes, key, &expect).is_err(),
                "{who} opened the {kind}"
            );
        }
    }
    // And the server hands them to no other recipient.
    for key in [&case.g, &case.u, &case.m] {
        assert!(case.recipient_items(key).await.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_forms_need_the_csrf_token_and_the_report_read() {
    let case = case(Twist::default()).await;
    let f = case.f.public_key().to_hex();
    assert_eq!(
        case.ask("CANARY", &[], &case.f.public_key(), None).await.0,
        303
    );
    let request = case.requests().await.remove(0);
    case.answer(&request, "approve").await;
    let (draft, version) = draft_of(&request);
    let version = version.to_string();
    let hash = field(&case.page().await, "report_hash");
    let path = case.report_path();
    // Without the CSRF token (another page's form, a forged post): 403.
    for (to, form) in [
        (
            format!("{path}/forward/request"),
            vec![
                ("csrf", "nope"),
                ("report_hash", hash.as_str()),
                ("text", "CANARY"),
                ("recipient", f.as_str()),
            ],
        ),
        (
            format!("{path}/forward"),
            vec![
                ("csrf", "nope"),
                ("report_hash", hash.as_str()),
                ("draft_id", draft.as_str()),
                ("version", version.as_str()),
                ("recipient", f.as_str()),
            ],
        ),
    ] {
        assert_eq!(case.browser.post(&to, &form).await.0, 403, "{to}");
    }
    // A form naming another report than the one read: the swap warning.
    let other = "00".repeat(32);
    let csrf = case.browser.csrf.clone();
    for (to, form) in [
        (
            format!("{path}/forward/request"),
            vec![
                ("csrf", csrf.as_str()),
                ("report_hash", other.as_str()),
                ("text", "CANARY"),
                ("recipient", f.as_str()),
            ],
        ),
        (
            format!("{path}/forward"),
            vec![
                ("csrf", csrf.as_str()),
                ("report_hash", other.as_str()),
                ("draft_id", draft.as_str()),
                ("version", version.as_str()),
                ("recipient", f.as_str()),
            ],
        ),
    ] {
        let (status, page) = case.browser.post(&to, &form).await;
        assert_eq!(status, 409, "{to}: {page}");
        assert!(page.contains("id=\"report-swapped\""));
    }
    assert_eq!(case.requests().await.len(), 1, "no second draft");
    case.nothing_forwarded().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_naming_other_attachment_content_is_refused() {
    let case = case(Twist::default()).await;
    let f = case.f.public_key();
    // Co-advisor B's draft names the report's first attachment with the
    // SHA-256 and size of other bytes; the reporter approves exactly that.
    let draft = "22".repeat(16);
    let fields = json!({
        "draft_id": draft, "version": 1, "text": "CANARY with the minutes",
        "attachments": [{
            "id": case.files[0].0.to_hex(), "name": "notulen.pdf", "type": "application/pdf",
            "size": FILE_2.len(), "sha256": hex::encode(Sha256::digest(FILE_2)),
        }],
        "recipients": [{"public_key": f.to_hex(), "label": F_LABEL}],
    });
    let hash = case.subject(&fields).hash().unwrap();
    let mut request = fields.clone();
    request["format"] = json!("meldkluis-approval-request/1");
    request["subject"] = json!("forward");
    request["subject_hash"] = json!(hex::encode(hash));
    request["recipients"][0]["role"] = json!("forward");
    case.post_as(&case.b, &request).await;
    case.answer(&request, "approve").await;
    // The console hashes the bytes it would send, and they are not the
    // approved ones.
    refused(
        &case.forward(&draft, 1, &f).await,
        "console-forward-refused-attachment-changed",
    );
    case.nothing_forwarded().await;
}
