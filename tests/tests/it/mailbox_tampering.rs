//! A breached server against the reporter's mailbox, in a real headless
//! Chromium: between the browser and the real server sits a tampering
//! proxy that serves crafted answers. The mailbox must refuse, with a
//! clear translated warning, to show one of the reporter's own items as
//! the report (which would drop the pinned advisors and let a reply go
//! out sealed to nobody but the reporter), an attachment served in
//! another's place, or an answer it cannot read; and nothing may crash.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use meldkluis_i18n::{catalog, t};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::{RecordingProxy, Tampering};
use meldkluis_tests::reporter::{
    click, confirm_code, fill_report_form, mailbox_login, send_report, type_into, wait_ready,
    AdvisorView, ReportInput,
};
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::{json, Value};

const THREAD: &str = "/api/v1/t/acme/mailbox";
const LOGIN: &str = "/api/v1/t/acme/mailbox/login";

/// A text of the reporter's pages in `lang`, as the page shows it.
fn text(lang: &str, id: &str) -> String {
    t(catalog().lang(lang).expect("a language of the catalog"), id)
}

/// Makes a report in the browser (with `attachment`, if any) and returns
/// the login code, with the code confirmed.
async fn report_in_browser(
    browser: &Browser,
    proxy: &RecordingProxy,
    attachment: Option<std::path::PathBuf>,
) -> String {
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    fill_report_form(
        browser,
        &ReportInput {
            what: "Er verdwijnt geld uit de kas.".into(),
            attachment,
            ..ReportInput::default()
        },
    )
    .await;
    let (code, _) = send_report(browser).await;
    confirm_code(browser, &code).await;
    code
}

/// Sends a message from the logged-in mailbox (with a file, if any).
async fn reply_in_browser(browser: &Browser, message: &str, file: Option<&std::path::Path>) {
    if let Some(file) = file {
        type_into(browser, "reply-attachments", &file.display().to_string()).await;
    }
    type_into(browser, "reply-text", message).await;
    click(browser, "reply-send").await;
    browser
        .wait_for_js(
            "the reply to be sent",
            &format!(
                "return document.getElementById('reply-status').textContent === {};",
                json!(text("nl", "js-message-sent"))
            ),
        )
        .await;
}

/// Records, from now on, every uncaught error and rejected promise of the
/// page, every `fetch` and every download it starts (a download is only
/// recorded, never saved).
async fn watch_page(browser: &Browser) {
    browser
        .js(
            "window.__errors = []; window.__fetches = []; window.__downloads = [];
             window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
             window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
             const fetch = window.fetch;
             window.fetch = (url, options) => { window.__fetches.push(`${options?.method ?? 'GET'} ${url}`); return fetch(url, options); };
             const createObjectURL = URL.createObjectURL;
             URL.createObjectURL = (blob) => { window.__downloads.push(blob); return createObjectURL(blob); };
             HTMLAnchorElement.prototype.click = function () { window.__downloads.push(this.download); };",
            vec![],
        )
        .await;
}

async fn page_errors(browser: &Browser) -> Value {
    browser.js("return window.__errors;", vec![]).await
}

/// Logs in with `code` on the open mailbox page and waits until it shows
/// either the mailbox or an error under the code; returns that error.
async fn try_login(browser: &Browser, code: &str) -> Option<String> {
    wait_ready(browser, "login-button").await;
    type_into(browser, "code-input", code).await;
    click(browser, "login-button").await;
    let shown = browser
        .wait_for_js(
            "the mailbox or an error",
            "const e = document.getElementById('error-code-input'); \
             if (e && !e.hidden && e.textContent) return 'ERROR: ' + e.textContent; \
             return !document.getElementById('mailbox-screen').hidden && 'ok';",
        )
        .await;
    let shown = shown.as_str().expect("text");
    shown.strip_prefix("ERROR: ").map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_refuses_the_reporters_own_message_served_as_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let code = report_in_browser(&browser, &proxy, None).await;

    // The reporter writes once: an item sealed by the mailbox key, as the
    // report is, with the report's id as its report id.
    let own_text = "Ik heb nog een vraag over de kas.";
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    mailbox_login(&browser, &code).await;
    reply_in_browser(&browser, own_text, None).await;
    let thread = browser.find("#thread").await.text().await.expect("text");
    assert!(thread.contains(own_text), "{thread}");

    // The breached server serves that message in the report's place: it
    // opens with the reporter's own key and names no advisor, so a mailbox
    // that took it would verify no advisor and seal replies to nobody else.
    proxy.tamper(
        THREAD,
        Tampering::Rewrite(Arc::new(|body| {
            let mut thread: Value = serde_json::from_slice(body).expect("the thread");
            thread["report"] = thread["messages"][0]["item"].clone();
            serde_json::to_vec(&thread).expect("json")
        })),
    );
    for lang in ["nl", "en"] {
        browser
            .goto(&format!("{}/t/acme/mailbox?lang={lang}", proxy.base))
            .await;
        watch_page(&browser).await;
        mailbox_login(&browser, &code).await;
        let warning = browser
            .find("#thread .notice--warning")
            .await
            .text()
            .await
            .expect("text");
        assert_eq!(warning, text(lang, "js-report-substituted"), "{lang}");
        let all = browser
            .js(
                "return document.getElementById('thread').textContent;",
                vec![],
            )
            .await;
        assert!(
            !all.as_str().expect("text").contains(own_text),
            "{lang}: nothing of the substitute is shown: {all}"
        );
        // No reply can be sealed to the substitute's recipients: the form
        // is gone, and submitting it anyway sends nothing.
        let hidden = browser
            .js(
                "return document.getElementById('reply-section').hidden;",
                vec![],
            )
            .await;
        assert_eq!(hidden, json!(true), "{lang}: no reply form");
        browser
            .js(
                "document.getElementById('reply-text').value = 'Wie leest dit?';
                 document.getElementById('reply-form').requestSubmit();",
                vec![],
            )
            .await;
        let fetches = browser.js("return window.__fetches;", vec![]).await;
        assert!(
            !fetches.as_array().expect("a list").iter().any(|f| f
                .as_str()
                .expect("text")
                .starts_with("POST")
                && f.as_str().expect("text").ends_with("/mailbox/messages")),
            "{lang}: nothing was sent: {fetches}"
        );
        assert_eq!(page_errors(&browser).await, json!([]), "{lang}");
    }
    let posted = proxy
        .recorded()
        .iter()
        .filter(|r| r.method == "POST" && r.uri.ends_with("/mailbox/messages"))
        .count();
    assert_eq!(posted, 1, "only the reporter's genuine message was sent");

    // The same page, untampered, shows the thread again.
    proxy.stop_tampering();
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    mailbox_login(&browser, &code).await;
    let thread = browser.find("#thread").await.text().await.expect("text");
    assert!(thread.contains(own_text), "{thread}");
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_refuses_an_attachment_served_in_anothers_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let files = tempfile::tempdir().expect("tempdir");
    let first = files.path().join("bewijs.txt");
    std::fs::write(&first, "het kasboek van maart").expect("write");
    let second = files.path().join("rooster.txt");
    std::fs::write(&second, "het rooster van april").expect("write");

    let code = report_in_browser(&browser, &proxy, Some(first.clone())).await;
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    mailbox_login(&browser, &code).await;
    reply_in_browser(&browser, "Hier is het rooster.", Some(&second)).await;

    // The two attachment ids, as the advisor reads them.
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report = advisor.open_report(&advisor.report_ids().await[0]).await;
    let in_report = report.content["attachments"][0]["id"]
        .as_str()
        .expect("the report's attachment")
        .to_owned();
    let messages = advisor.open_messages(&report, &[report.mailbox_key]);
    let in_message = messages[0]["attachments"][0]["id"]
        .as_str()
        .expect("the message's attachment")
        .to_owned();
    let path = |id: &str| format!("/api/v1/t/acme/mailbox/attachments/{id}");

    // Untampered, the report's attachment downloads as the file.
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    mailbox_login(&browser, &code).await;
    watch_page(&browser).await;
    browser
        .js(
            "document.querySelectorAll('#thread .file-list button')[0].click();",
            vec![],
        )
        .await;
    browser
        .wait_for_js("the download", "return window.__downloads.length === 2;")
        .await;
    let downloaded = browser
        .js(
            "return Promise.all(window.__downloads.map((d) => typeof d === 'string' ? d : d.text()));",
            vec![],
        )
        .await;
    assert_eq!(downloaded, json!(["het kasboek van maart", "bewijs.txt"]));

    // The breached server swaps them: each genuine, of this report, sealed
    // by the reporter, but not the item its message names.
    proxy.tamper(&path(&in_report), Tampering::ForwardTo(path(&in_message)));
    proxy.tamper(&path(&in_message), Tampering::ForwardTo(path(&in_report)));
    for lang in ["nl", "en"] {
        browser
            .goto(&format!("{}/t/acme/mailbox?lang={lang}", proxy.base))
            .await;
        mailbox_login(&browser, &code).await;
        watch_page(&browser).await;
        browser
            .js(
                "for (const button of document.querySelectorAll('#thread .file-list button')) button.click();",
                vec![],
            )
            .await;
        let refusals = browser
            .wait_for_js(
                "both refusals",
                "const shown = [...document.querySelectorAll('#thread .file-list [role=alert]')]; \
                 return shown.length === 2 && shown.map((e) => e.textContent);",
            )
            .await;
        let expected = text(lang, "js-attachment-substituted");
        assert_eq!(refusals, json!([expected, expected]), "{lang}");
        assert_eq!(
            browser
                .js("return window.__downloads.length;", vec![])
                .await,
            json!(0),
            "{lang}: nothing was offered for saving"
        );
        assert_eq!(page_errors(&browser).await, json!([]), "{lang}");
    }
    let asked = proxy
        .recorded()
        .iter()
        .filter(|r| r.uri.ends_with(&in_message) || r.uri.ends_with(&in_report))
        .count();
    assert!(asked >= 5, "the browser asked for the attachments: {asked}");
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_answers_garbage_from_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let code = report_in_browser(&browser, &proxy, None).await;

    let answer = |content_type: &'static str, body: &str| Tampering::Answer {
        status: StatusCode::OK,
        content_type,
        body: Bytes::from(body.to_owned()),
    };
    let well_formed_but_unreadable = json!({
        "report": "!!! not base64 !!!", "messages": [], "status": "new",
        "created_day": "2026-11-30", "agreed_update_date": null,
    })
    .to_string();
    // (language, path, what the breached server answers, where the page
    // says so: under the code, or in the thread).
    let cases = [
        (
            "nl",
            THREAD,
            answer("text/html", "<html><body>Onderhoud</body></html>"),
            "js-bad-answer",
        ),
        (
            "en",
            THREAD,
            answer("application/json", r#"{"report": 5, "messages": "none"}"#),
            "js-bad-answer",
        ),
        (
            "nl",
            LOGIN,
            answer("application/json", r#"{"token": 7}"#),
            "js-bad-answer",
        ),
        (
            "en",
            LOGIN,
            answer(
                "application/json",
                r#"{"token": "x", "report_id": "../../advisor"}"#,
            ),
            "js-bad-answer",
        ),
        (
            "en",
            THREAD,
            answer("application/json", &well_formed_but_unreadable),
            "js-report-unreadable",
        ),
        (
            "nl",
            THREAD,
            Tampering::Rewrite(Arc::new(|body| {
                let mut thread: Value = serde_json::from_slice(body).expect("the thread");
                thread["messages"] = json!([
                    { "item": "%%%", "created_day": "2026-11-30" },
                    { "item": "AAAA", "created_day": "2026-11-30" },
                ]);
                serde_json::to_vec(&thread).expect("json")
            })),
            "js-unverified",
        ),
    ];
    for (lang, path, tampering, expected) in cases {
        proxy.stop_tampering();
        proxy.tamper(path, tampering);
        browser
            .goto(&format!("{}/t/acme/mailbox?lang={lang}", proxy.base))
            .await;
        watch_page(&browser).await;
        let error = try_login(&browser, &code).await;
        let want = text(lang, expected);
        match expected {
            "js-bad-answer" => assert_eq!(error.as_deref(), Some(want.as_str()), "{lang} {path}"),
            _ => {
                assert_eq!(error, None, "{lang} {path}");
                let warnings = browser
                    .js(
                        "return [...document.querySelectorAll('#thread .notice--warning')].map((e) => e.textContent);",
                        vec![],
                    )
                    .await;
                let warnings = warnings.as_array().expect("a list").clone();
                assert!(!warnings.is_empty(), "{lang} {path}: a warning");
                for warning in warnings {
                    assert!(
                        warning.as_str().expect("text").ends_with(&want),
                        "{lang} {path}: {warning} is {want}"
                    );
                }
                if expected == "js-report-unreadable" {
                    let hidden = browser
                        .js(
                            "return document.getElementById('reply-section').hidden;",
                            vec![],
                        )
                        .await;
                    assert_eq!(hidden, json!(true), "{lang}: no reply without the report");
                }
            }
        }
        assert_eq!(
            page_errors(&browser).await,
            json!([]),
            "{lang} {path}: nothing crashed"
        );
    }

    // The address for notices: only an address is shown as one.
    proxy.stop_tampering();
    proxy.tamper(
        "/api/v1/t/acme/mailbox/notice-email",
        answer(
            "application/json",
            r#"{"address": {"to": "elders@example.org"}}"#,
        ),
    );
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    watch_page(&browser).await;
    mailbox_login(&browser, &code).await;
    browser
        .wait_for_js(
            "the log-in to finish, the address read",
            "return !document.getElementById('login-button').disabled \
             && window.__fetches.some((f) => f.endsWith('/mailbox/notice-email'));",
        )
        .await;
    let shown = browser
        .js(
            "return document.getElementById('notice-email').value;",
            vec![],
        )
        .await;
    assert_eq!(shown, json!(""), "no address is made up");
    assert_eq!(page_errors(&browser).await, json!([]), "nothing crashed");
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_uses_no_wasm_it_could_not_check_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let mut wasm = meldkluis_tests::client()
        .get(format!("{}/assets/meldkluis.wasm", server.base))
        .send()
        .await
        .expect("wasm")
        .bytes()
        .await
        .expect("bytes")
        .to_vec();
    wasm.push(0);
    let proxy =
        RecordingProxy::start_replacing(&server.base, Some(("/assets/meldkluis.wasm", wasm))).await;
    let browser = Browser::start().await;
    for lang in ["nl", "en"] {
        browser
            .goto(&format!("{}/t/acme/mailbox?lang={lang}", proxy.base))
            .await;
        watch_page(&browser).await;
        let error = try_login(&browser, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01").await;
        assert_eq!(error, Some(text(lang, "js-code-refused")), "{lang}");
        assert_eq!(page_errors(&browser).await, json!([]), "{lang}");
        browser
            .js("document.getElementById('code-input').value = '';", vec![])
            .await;
    }
    assert!(
        !proxy.recorded().iter().any(|r| r.method == "POST"),
        "nothing was sent"
    );
    browser.close().await;
    server.stop().await;
}
