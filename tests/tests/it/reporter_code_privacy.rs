//! The login code and the opened thread stay in the reporter's page: in a
//! real headless Chromium, through a whole report and mailbox visit, the
//! code (in any spelling) is in no request line, header or body the server
//! (or a network observer) receives, no request carries a `Referer`,
//! nothing lands in the browser's storage or its profile on disk, and going
//! back to the mailbox after leaving it shows the log-in, not the thread.

use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::RecordingProxy;
use meldkluis_tests::reporter::{
    confirm_code, fill_report_form, mailbox_login, send_report, ReportInput,
};
use meldkluis_tests::{contains, files_under, TestServer, TestTenant};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_code_and_the_thread_stay_in_the_page() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;

    let canary = format!(
        "CANARYTHREAD{}",
        hex::encode(meldkluis_tests::new_item_id().0)
    );
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    fill_report_form(
        &browser,
        &ReportInput {
            what: format!("Er verdwijnt geld uit de kas. {canary}"),
            ..ReportInput::default()
        },
    )
    .await;
    let (code, _) = send_report(&browser).await;
    confirm_code(&browser, &code).await;
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
    assert!(
        thread.as_str().expect("text").contains(&canary),
        "the thread is open"
    );

    // Leaving the mailbox and going back shows the log-in, not the thread.
    browser
        .goto(&format!("{}/t/acme/?lang=nl", proxy.base))
        .await;
    browser.client.back().await.expect("back");
    browser
        .wait_for_js(
            "the log-in after going back",
            "const l = document.getElementById('login-screen'); return l && !l.hidden && document.readyState === 'complete';",
        )
        .await;
    let after = browser
        .js(
            "return [document.getElementById('mailbox-screen').hidden, \
                     document.getElementById('thread').textContent, \
                     document.getElementById('code-input').value];",
            vec![],
        )
        .await;
    assert_eq!(
        after,
        json!([true, "", ""]),
        "nothing of the thread is shown"
    );

    // Nothing in the browser's storage.
    let stored = browser
        .js(
            "return (async () => [localStorage.length, sessionStorage.length, document.cookie, \
                (await indexedDB.databases()).length, (await caches.keys()).length])();",
            vec![],
        )
        .await;
    assert_eq!(stored, json!([0, 0, "", 0, 0]), "storage is empty");

    // The code in every spelling a page or a person might use.
    let compact: String = code.chars().filter(|c| *c != '-').collect();
    let spellings = [
        code.clone(),
        code.to_lowercase(),
        compact.clone(),
        compact.to_lowercase(),
    ];
    let recorded = proxy.recorded();
    assert!(
        recorded
            .iter()
            .any(|r| r.method == "POST" && r.uri.ends_with("/mailbox/login")),
        "the proxy saw the log-in"
    );
    for request in &recorded {
        for spelling in &spellings {
            assert!(
                !request.uri.contains(spelling.as_str())
                    && !contains(&request.body, spelling.as_bytes())
                    && !request
                        .headers
                        .iter()
                        .any(|(_, v)| v.contains(spelling.as_str())),
                "the code in {} {}",
                request.method,
                request.uri
            );
        }
        assert!(
            !request.headers.iter().any(|(name, _)| name == "referer"),
            "{} {} carries a Referer",
            request.method,
            request.uri
        );
    }

    // Nor in the profile on disk (history, form data, cache).
    let mut scanned = 0;
    for file in files_under(browser.profile_dir()) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        scanned += 1;
        for needle in spellings.iter().chain(std::iter::once(&canary)) {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{} holds {needle}",
                file.display()
            );
        }
    }
    assert!(scanned > 10, "the profile was there to scan: {scanned}");
    browser.close().await;
    server.stop().await;
}
