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

/// Every answer a reporter's browser reads, pages and API alike, successes
/// and errors: never cached (`no-store`, so nothing of a thread or an
/// attachment stays on a shared or an employer's device), no `Referer`
/// given away by what it loads, not framed, no cookie, and not readable by
/// another site (no CORS grant, even to a preflight that asks for one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_the_reporter_reads_stays_out_of_caches_and_other_sites() {
    use meldkluis_crypto_core::ItemKind;
    use meldkluis_tests::{client, mailbox_login as api_login, seal, submit_report, Mailbox};

    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(&tenant, br#"{"format":"meldkluis-report/1"}"#);
    assert_eq!(
        submit_report(&http, &server, "acme", &mailbox.report_body(&report)).await,
        201
    );
    let token = api_login(&http, &server, "acme", &mailbox).await;
    let attachment_id = meldkluis_tests::new_item_id();
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        attachment_id,
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(&tenant, &tenant.advisor_keys()),
        b"het kasboek".as_slice(),
    );
    let other_site = "https://elders.example";
    let attachment_path = format!("/mailbox/attachments/{}", hex::encode(attachment_id.0));
    let missing_path = format!(
        "/mailbox/attachments/{}",
        hex::encode(meldkluis_tests::new_item_id().0)
    );
    let api = |path: &str| server.url("acme", path);
    let requests = [
        (http.get(format!("{}/t/acme/", server.base)), 200),
        (http.get(format!("{}/t/acme/report", server.base)), 200),
        (http.get(format!("{}/t/acme/mailbox", server.base)), 200),
        (http.get(format!("{}/t/acme/nope", server.base)), 404),
        (http.get(api("/config")), 200),
        (
            http.post(api("/mailbox/login")).json(&mailbox.login_body()),
            200,
        ),
        (http.get(api("/mailbox")).bearer_auth(&token), 200),
        (http.get(api("/mailbox")), 401),
        (
            http.post(api("/mailbox/attachments"))
                .bearer_auth(&token)
                .header("content-type", "application/octet-stream")
                .body(attachment),
            201,
        ),
        (http.get(api(&attachment_path)).bearer_auth(&token), 200),
        (http.get(api(&missing_path)).bearer_auth(&token), 404),
        (
            http.request(reqwest::Method::OPTIONS, api("/mailbox/login"))
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "content-type, authorization",
                ),
            0,
        ),
    ];
    for (request, expected) in requests {
        let response = request
            .header("origin", other_site)
            .send()
            .await
            .expect("request");
        let url = response.url().path().to_owned();
        let status = response.status().as_u16();
        if expected == 0 {
            assert!(status < 500, "{url}: {status}");
        } else {
            assert_eq!(status, expected, "{url}");
        }
        let headers = response.headers();
        let get = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().expect("ascii").to_owned())
        };
        assert_eq!(get("cache-control").as_deref(), Some("no-store"), "{url}");
        assert_eq!(
            get("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{url}"
        );
        assert_eq!(
            get("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{url}"
        );
        assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{url}");
        assert!(
            get("content-security-policy")
                .is_some_and(|csp| csp.contains("frame-ancestors 'none'")),
            "{url}"
        );
        assert_eq!(
            get("cross-origin-resource-policy").as_deref(),
            Some("same-origin"),
            "{url}"
        );
        assert!(get("set-cookie").is_none(), "{url} sets a cookie");
        for cors in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-allow-headers",
            "access-control-allow-methods",
        ] {
            assert!(get(cors).is_none(), "{url} grants {cors} to another site");
        }
    }
    server.stop().await;
}
