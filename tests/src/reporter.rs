//! Playing the reporter in a real browser (the pages under `/t/{tenant}/`),
//! and the advisor beside them with the real crypto core, for the
//! end-to-end, accessibility, keyboard, phone and budget tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use meldkluis_crypto_core::{ItemHeader, ItemKind, PublicKey, StaticKey, StaticSecret, TenantId};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::{advisor_login, b64, new_item_id, open, seal, unb64};

/// What the test reporter fills in.
#[derive(Debug, Default, Clone)]
pub struct ReportInput {
    /// The answer to "what happened" (required).
    pub what: String,
    /// "Where" (optional text).
    pub place: Option<String>,
    /// A name, if the reporter gives one.
    pub name: Option<String>,
    /// A file to attach.
    pub attachment: Option<PathBuf>,
    /// Advisor checkboxes to clear (by advisor row id).
    pub leave_out: Vec<i64>,
    /// An address for notices.
    pub notice_email: Option<String>,
}

impl ReportInput {
    /// A report that says only `what` happened (the rest as by default).
    pub fn saying(what: &str) -> Self {
        Self {
            what: what.into(),
            ..Self::default()
        }
    }
}

/// Waits until the page's script has enabled its main button.
pub async fn wait_ready(browser: &Browser, button: &str) {
    browser
        .wait_for_js(
            &format!("#{button} enabled"),
            &format!("const b = document.getElementById('{button}'); return b && !b.disabled;"),
        )
        .await;
}

/// Types into the element with `id`.
pub async fn type_into(browser: &Browser, id: &str, text: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
}

/// Clicks the element with `id`.
pub async fn click(browser: &Browser, id: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("no #{id}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking #{id}: {e}"));
}

/// Fills the reporting form of the default questionnaire.
pub async fn fill_report_form(browser: &Browser, input: &ReportInput) {
    wait_ready(browser, "send").await;
    click(browser, "category-pesten").await;
    type_into(browser, "q-what", &input.what).await;
    if let Some(place) = &input.place {
        type_into(browser, "q-where", place).await;
    }
    click(browser, "q-ongoing-yes").await;
    click(browser, "q-wishes-meeting").await;
    if let Some(name) = &input.name {
        click(browser, "identity-named").await;
        type_into(browser, "reporter-name", name).await;
    }
    for advisor in &input.leave_out {
        click(browser, &format!("advisor-{advisor}")).await;
    }
    if let Some(path) = &input.attachment {
        type_into(browser, "attachments", &path.display().to_string()).await;
    }
    if let Some(email) = &input.notice_email {
        type_into(browser, "notice-email", email).await;
    }
}

/// Opens the report form of `tenant` on `server` and fills it with
/// `input` (not sent yet).
pub async fn open_report_form(
    browser: &Browser,
    server: &crate::TestServer,
    tenant: &str,
    input: &ReportInput,
) {
    browser
        .goto(&format!("{}/t/{tenant}/report", server.base))
        .await;
    fill_report_form(browser, input).await;
}

/// Presses "send" and waits for the login code; returns it and the time
/// from the press to the code on screen (the server's acknowledgement).
pub async fn send_report(browser: &Browser) -> (String, Duration) {
    let started = Instant::now();
    click(browser, "send").await;
    let code = browser
        .wait_for_js(
            "the login code",
            "const s = document.getElementById('code-screen'); \
             const e = document.getElementById('send-error'); \
             if (e && e.textContent) return 'ERROR: ' + e.textContent; \
             return s && !s.hidden && document.getElementById('login-code').textContent;",
        )
        .await;
    let elapsed = started.elapsed();
    let code = code.as_str().expect("the code is text").to_owned();
    assert!(!code.starts_with("ERROR"), "sending failed: {code}");
    (code, elapsed)
}

/// Confirms the code was kept (its last group), reaching the next steps.
pub async fn confirm_code(browser: &Browser, code: &str) {
    let last = code.rsplit('-').next().expect("grouped code");
    type_into(browser, "confirm-input", last).await;
    click(browser, "confirm-button").await;
    browser
        .wait_for_js(
            "the next steps",
            "return !document.getElementById('next-screen').hidden;",
        )
        .await;
}

/// Logs in to the mailbox page (already open) with `code` and waits for
/// the thread.
pub async fn mailbox_login(browser: &Browser, code: &str) {
    wait_ready(browser, "login-button").await;
    type_into(browser, "code-input", code).await;
    click(browser, "login-button").await;
    let shown = browser
        .wait_for_js(
            "the mailbox",
            "const e = document.getElementById('error-code-input'); \
             if (e && !e.hidden && e.textContent) return 'ERROR: ' + e.textContent; \
             return !document.getElementById('mailbox-screen').hidden && 'ok';",
        )
        .await;
    assert_eq!(shown, json!("ok"), "mailbox log-in");
}

/// Opens the mailbox page at `url` and logs in with `code`.
pub async fn open_mailbox(browser: &Browser, url: &str, code: &str) {
    browser.goto(url).await;
    mailbox_login(browser, code).await;
}

/// Presses the mailbox's send button (the message written) and waits
/// until the page says, in `lang`, that the message was sent.
pub async fn send_reply(browser: &Browser, lang: &str) {
    click(browser, "reply-send").await;
    let catalog = meldkluis_i18n::catalog();
    let sent = meldkluis_i18n::t(
        catalog.lang(lang).expect("a language of the catalog"),
        "js-message-sent",
    );
    wait_text(browser, "reply-status", &sent).await;
}

/// Waits until the element with `id` says exactly `expected`.
pub async fn wait_text(browser: &Browser, id: &str, expected: &str) {
    browser
        .wait_for_js(
            &format!("#{id} to say {expected:?}"),
            &format!(
                "return document.getElementById({})?.textContent === {};",
                json!(id),
                json!(expected)
            ),
        )
        .await;
}

/// An advisor's view of the reports, through the API with the real crypto
/// core (as the advisor console does).
#[derive(Debug)]
pub struct AdvisorView<'a> {
    /// The server's base URL.
    pub base: String,
    /// The tenant.
    pub tenant: &'a TenantId,
    /// The advisor's key (software here; a token in production).
    pub key: &'a StaticSecret,
    /// The session token.
    pub token: String,
    http: reqwest::Client,
}

/// A report as the advisor opened it.
#[derive(Debug)]
pub struct OpenedReport {
    /// Report id (hex).
    pub id: String,
    /// The reporter's mailbox key (the report's sender).
    pub mailbox_key: PublicKey,
    /// The advisor keys the report was sealed to (besides mailbox, recovery).
    pub recipients: Vec<PublicKey>,
    /// The report's content.
    pub content: Value,
    /// The whole thread as the server returned it.
    pub thread: Value,
}

impl<'a> AdvisorView<'a> {
    /// Logs the advisor in (challenge answered with the key).
    pub async fn login(
        server: &crate::TestServer,
        tenant: &'a TenantId,
        key: &'a StaticSecret,
    ) -> Self {
        let http = crate::client();
        let token = advisor_login(&http, server, tenant, key).await;
        Self {
            base: server.base.clone(),
            tenant,
            key,
            token,
            http,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/t/{}{path}", self.base, self.tenant.as_str())
    }

    /// GET an API path as this advisor.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// The ids of the reports sealed to this advisor.
    pub async fn report_ids(&self) -> Vec<String> {
        let list: Value = self
            .get("/advisor/reports")
            .await
            .json()
            .await
            .expect("json");
        list["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .map(|r| r["report_id"].as_str().expect("id").to_owned())
            .collect()
    }

    /// Fetches and opens a report.
    pub async fn open_report(&self, id: &str) -> OpenedReport {
        let thread: Value = self
            .get(&format!("/advisor/reports/{id}"))
            .await
            .json()
            .await
            .expect("json");
        let item = unb64(thread["report"].as_str().expect("report item"));
        let (header, _) = ItemHeader::parse(&item).expect("a report header");
        let content = open(&item, self.key, self.tenant, &[header.sender]);
        OpenedReport {
            id: id.to_owned(),
            mailbox_key: header.sender,
            recipients: header.recipients.clone(),
            content: serde_json::from_slice(&content).expect("the report is JSON"),
            thread,
        }
    }

    /// Opens every message of a thread from the reporter or advisors;
    /// returns the message contents.
    pub fn open_messages(&self, report: &OpenedReport, senders: &[PublicKey]) -> Vec<Value> {
        report.thread["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                let item = unb64(m["item"].as_str().expect("item"));
                let content = open(&item, self.key, self.tenant, senders);
                serde_json::from_slice(&content).expect("a message is JSON")
            })
            .collect()
    }

    /// Downloads and opens an attachment of a report.
    pub async fn attachment(&self, report: &OpenedReport, id: &str) -> Vec<u8> {
        let response = self
            .get(&format!("/advisor/reports/{}/attachments/{id}", report.id))
            .await;
        assert_eq!(response.status(), 200, "attachment download");
        let item = response.bytes().await.expect("bytes");
        open(&item, self.key, self.tenant, &[report.mailbox_key])
    }

    /// Replies in the thread: sealed from the advisor's key to the
    /// report's recipients (mailbox, recovery, the advisors it was sealed to).
    pub async fn reply(&self, report: &OpenedReport, text: &str) {
        self.post_content(
            report,
            &json!({ "format": "meldkluis-message/1", "text": text, "attachments": [] }),
        )
        .await;
    }

    /// Posts `content` (any content format) as this advisor's message in
    /// the report's thread, sealed like a reply.
    pub async fn post_content(&self, report: &OpenedReport, content: &Value) {
        let report_id = meldkluis_crypto_core::ItemId(
            hex::decode(&report.id)
                .expect("hex")
                .try_into()
                .expect("16 bytes"),
        );
        let content = serde_json::to_vec(content).expect("json");
        let item = seal(
            ItemKind::Message,
            self.tenant,
            new_item_id(),
            report_id,
            self.key,
            &report.recipients,
            &content,
        );
        let response = self
            .http
            .post(self.url(&format!("/advisor/reports/{}/messages", report.id)))
            .bearer_auth(&self.token)
            .json(&json!({ "item": b64(&item) }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 201, "advisor reply");
    }

    /// Sets the status (and the agreed update date).
    pub async fn set_status(&self, report: &OpenedReport, status: &str, agreed: Option<&str>) {
        let response = self
            .http
            .put(self.url(&format!("/advisor/reports/{}/status", report.id)))
            .bearer_auth(&self.token)
            .json(&json!({ "status": status, "agreed_update_date": agreed }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "status change");
    }

    /// This advisor's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
}
