//! A report the server stored, whose answer came back garbled (a proxy's
//! page, a breached server's junk): the reporting page must not drop the
//! login code of a report that may well be stored. It says plainly that the
//! answer could not be read, keeps the sealed report, and a retry finds it
//! stored and shows the code, which then opens the mailbox.

use std::sync::Arc;

use meldkluis_i18n::{catalog, t};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::{RecordingProxy, Tampering};
use meldkluis_tests::reporter::{click, fill_report_form, mailbox_login, AdvisorView, ReportInput};
use meldkluis_tests::{TestServer, TestTenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbled_answer_to_a_stored_report_keeps_the_code_for_a_retry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let nl = catalog().lang("nl").expect("nl");

    // The server stores the report; its answer is replaced on the way back.
    proxy.tamper(
        "/api/v1/t/acme/reports",
        Tampering::Rewrite(Arc::new(|_| {
            b"<html><body>502 Bad Gateway</body></html>".to_vec()
        })),
    );
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    let what = "De kas klopt al maanden niet.";
    fill_report_form(
        &browser,
        &ReportInput {
            what: what.into(),
            ..ReportInput::default()
        },
    )
    .await;
    click(&browser, "send").await;
    let shown = browser
        .wait_for_js(
            "the garbled answer to be explained",
            "const e = document.getElementById('send-error'); return e && e.textContent;",
        )
        .await;
    assert_eq!(shown.as_str(), Some(t(nl, "js-bad-answer").as_str()));
    let retry_shown = browser
        .js(
            "return !document.getElementById('send-retry').hidden;",
            vec![],
        )
        .await;
    assert_eq!(retry_shown, serde_json::json!(true), "a retry is offered");
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    assert_eq!(advisor.report_ids().await.len(), 1, "the report was stored");

    // The answer gets through this time: the retry is recognised as the
    // stored report (not a second one), and the code is shown.
    proxy.stop_tampering();
    click(&browser, "send-retry").await;
    let code = browser
        .wait_for_js(
            "the login code",
            "const s = document.getElementById('code-screen'); \
             const e = document.getElementById('send-error'); \
             if (e && e.textContent) return 'ERROR: ' + e.textContent; \
             return s && !s.hidden && document.getElementById('login-code').textContent;",
        )
        .await;
    let code = code.as_str().expect("text").to_owned();
    assert!(!code.starts_with("ERROR"), "{code}");
    assert_eq!(advisor.report_ids().await.len(), 1, "still one report");

    // That code opens the stored report.
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    mailbox_login(&browser, &code).await;
    let thread = browser
        .js(
            "return document.getElementById('thread').textContent;",
            vec![],
        )
        .await;
    assert!(thread.as_str().expect("text").contains(what), "{thread}");
    browser.close().await;
    server.stop().await;
}

/// The report is stored, then the server refuses its attachment (too large
/// for its limits, a quota): the reporter still gets the code of the stored
/// report, told that not every attachment arrived.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_the_server_refuses_does_not_cost_the_code_of_the_stored_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let nl = catalog().lang("nl").expect("nl");
    proxy.tamper(
        "/api/v1/t/acme/mailbox/attachments",
        Tampering::Answer {
            status: axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            content_type: "application/json",
            body: axum::body::Bytes::from_static(
                br#"{"error":{"code":"too_large","message":"Het bestand is te groot."}}"#,
            ),
        },
    );
    let files = tempfile::tempdir().expect("tempdir");
    let file = files.path().join("bewijs.txt");
    std::fs::write(&file, "het kasboek").expect("write");
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    let what = "De kas klopt al maanden niet.";
    fill_report_form(
        &browser,
        &ReportInput {
            what: what.into(),
            attachment: Some(file),
            ..ReportInput::default()
        },
    )
    .await;
    let (code, _) = meldkluis_tests::reporter::send_report(&browser).await;
    let note = browser
        .js(
            "const n = document.getElementById('attachments-not-sent'); return !n.hidden && n.textContent;",
            vec![],
        )
        .await;
    assert_eq!(
        note.as_str(),
        Some(t(nl, "code-attachments-not-sent").as_str())
    );
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    assert_eq!(advisor.report_ids().await.len(), 1, "the report was stored");

    proxy.stop_tampering();
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    mailbox_login(&browser, &code).await;
    let thread = browser
        .js(
            "return document.getElementById('thread').textContent;",
            vec![],
        )
        .await;
    assert!(thread.as_str().expect("text").contains(what), "{thread}");
    browser.close().await;
    server.stop().await;
}
