//! What the reporter's pages promise about the code they run: every script,
//! stylesheet and the wasm named with its SHA-384 (Subresource Integrity),
//! a Content-Security-Policy without inline script, no cookies, the
//! language asked for; a browser refuses a tampered script; and without
//! JavaScript nothing can be sent.

use std::time::Duration;

use meldkluis_tests::browser::{Browser, BrowserOptions};
use meldkluis_tests::proxy::RecordingProxy;
use meldkluis_tests::reporter::{fill_report_form, ReportInput};
use meldkluis_tests::{client, TestServer, TestTenant};
use regex::Regex;
use sha2::{Digest, Sha384};

fn sri(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
    )
}

/// The value of `name` in one tag's text (maud writes `name="value"`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    Regex::new(&format!(r#"\s{name}="([^"]*)""#))
        .expect("regex")
        .captures(tag)
        .map(|c| c[1].replace("&amp;", "&").replace("&quot;", "\""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_names_its_code_by_hash_under_a_strict_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 2);
    let http = client();
    let mut checked = 0;
    let tags = Regex::new(r"<(script|link)\b[^>]*>").expect("regex");
    let data_block = Regex::new(r#"<script type="application/json" id="mk-data">(.*?)</script>"#)
        .expect("regex");
    for page in [
        "/t/acme/",
        "/t/acme/report",
        "/t/acme/mailbox",
        "/t/acme/nope",
        "/t/nobody/report",
    ] {
        for lang in ["nl", "en"] {
            let response = http
                .get(format!("{}{page}?lang={lang}", server.base))
                .send()
                .await
                .expect("page");
            let status = response.status().as_u16();
            let expected = if page.ends_with("nope") || page.contains("nobody") {
                404
            } else {
                200
            };
            assert_eq!(status, expected, "{page}");
            let headers = response.headers().clone();
            assert!(headers.get("set-cookie").is_none(), "{page} sets no cookie");
            assert_eq!(headers["cache-control"], "no-store", "{page}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .expect("type")
                    .starts_with("text/html"),
                "{page} is a page, even when it is an error"
            );
            let csp = headers["content-security-policy"].to_str().expect("csp");
            for forbidden in ["'unsafe-inline'", "'unsafe-eval'", "http:", "https:", "*"] {
                assert!(!csp.contains(forbidden), "{page}: {forbidden} in {csp}");
            }
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'none'"));
            let html = response.text().await.expect("html");
            assert!(
                html.contains(&format!("<html lang=\"{lang}\"")),
                "{page} in {lang}"
            );

            for tag in tags.find_iter(&html).map(|m| m.as_str()) {
                if tag.starts_with("<script")
                    && attribute(tag, "type").as_deref() == Some("application/json")
                {
                    assert!(attribute(tag, "src").is_none());
                    continue;
                }
                let url = attribute(tag, "src").or_else(|| attribute(tag, "href"));
                let url = url.unwrap_or_else(|| panic!("{page}: an inline script or style: {tag}"));
                assert!(url.starts_with('/'), "{page}: only this origin: {url}");
                let integrity = attribute(tag, "integrity")
                    .unwrap_or_else(|| panic!("{page}: no integrity on {tag}"));
                let bytes = http
                    .get(format!("{}{url}", server.base))
                    .send()
                    .await
                    .expect("asset")
                    .bytes()
                    .await
                    .expect("bytes");
                assert_eq!(integrity, sri(&bytes), "{page}: {url}");
                checked += 1;
            }
            // The wasm and the Worker the script loads, named in the page's data.
            if let Some(data) = data_block.captures(&html) {
                let data: serde_json::Value = serde_json::from_str(&data[1]).expect("page data");
                for asset in ["wasm", "worker"] {
                    let url = data[asset]["url"].as_str().expect("url");
                    let bytes = http
                        .get(format!("{}{url}", server.base))
                        .send()
                        .await
                        .expect("asset")
                        .bytes()
                        .await
                        .expect("bytes");
                    assert_eq!(data[asset]["integrity"], sri(&bytes), "{page}: {url}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 20, "hashes checked: {checked}");
    // Only the bundle is served from /assets/, nothing else of the directory.
    for path in [
        "/assets/integrity.json",
        "/assets/..%2FCargo.toml",
        "/assets/meldkluis.js",
    ] {
        let status = http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, 404, "{path}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_refuses_a_tampered_script_or_wasm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let genuine = client()
        .get(format!("{}/assets/report.js", server.base))
        .send()
        .await
        .expect("script")
        .bytes()
        .await
        .expect("bytes");

    // The page's script, changed by one comment: the browser does not run it.
    let mut changed = genuine.to_vec();
    changed.extend_from_slice(b"\n/* changed */\n");
    let proxy =
        RecordingProxy::start_replacing(&server.base, Some(("/assets/report.js", changed))).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let enabled = browser
        .js("return !document.getElementById('send').disabled;", vec![])
        .await;
    assert_eq!(
        enabled,
        serde_json::json!(false),
        "the tampered script did not run"
    );
    assert!(
        proxy
            .recorded()
            .iter()
            .any(|r| r.uri == "/assets/report.js"),
        "the browser did fetch the script"
    );
    browser.close().await;

    // A changed wasm: the script runs, but refuses to seal with it, and
    // nothing is sent.
    let mut wasm = client()
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
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    fill_report_form(
        &browser,
        &ReportInput {
            what: "Iets".into(),
            ..ReportInput::default()
        },
    )
    .await;
    browser
        .client
        .find(fantoccini::Locator::Id("send"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    browser
        .wait_for_js(
            "an error",
            "return document.getElementById('send-error').textContent;",
        )
        .await;
    assert!(
        !proxy.recorded().iter().any(|r| r.method == "POST"),
        "nothing was posted"
    );
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_page_explains_and_sends_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start_with(BrowserOptions {
        javascript: false,
        ..BrowserOptions::default()
    })
    .await;
    browser
        .goto(&format!("{}/t/acme/report?lang=en", proxy.base))
        .await;
    let main = browser.find("main").await.text().await.expect("text");
    assert!(main.contains("This page needs JavaScript"), "{main}");
    let send = browser.find("#send").await;
    assert!(
        !send.is_enabled().await.expect("state"),
        "send starts disabled"
    );
    let what = browser.find("#q-what").await;
    what.send_keys("CANARY-no-js").await.expect("typing");
    let place = browser.find("#q-where").await;
    place
        .send_keys("CANARY-no-js\u{E007}")
        .await
        .expect("typing and Enter");
    let _ = send.click().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for request in proxy.recorded() {
        assert_eq!(request.method, "GET", "{}", request.uri);
        assert!(!request.uri.contains("CANARY"), "{}", request.uri);
        assert!(request.body.is_empty());
    }
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_the_tenants_look_and_the_readers_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let admin = server.admin();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\x01\x01\x01\0\x18\xdd\x8d\xb4\0\0\0\0IEND\xaeB`\x82";
    admin
        .set_branding(&tenant.id, Some("#7A1F5C"), Some(png))
        .expect("branding");
    // Too light for white text, and a logo that is a document: refused.
    assert!(admin
        .set_branding(&tenant.id, Some("#ffd700"), None)
        .is_err());
    assert!(admin
        .set_branding(&tenant.id, None, Some(b"<svg onload=alert(1)/>"))
        .is_err());
    let http = client();
    // The tenant record is cached for a few seconds; the settings are not.
    let theme = http
        .get(format!("{}/t/acme/theme.css", server.base))
        .send()
        .await
        .expect("theme")
        .text()
        .await
        .expect("text");
    assert!(theme.contains("--brand:#7a1f5c"), "{theme}");
    let logo = http
        .get(format!("{}/t/acme/logo", server.base))
        .send()
        .await
        .expect("logo");
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.expect("bytes").as_ref(), png);

    // Dutch by default, English when the browser prefers it, the reader's
    // explicit choice over both; a tenant offering only Dutch stays Dutch.
    let lang_of = |accept: &'static str, query: &'static str| {
        let http = http.clone();
        let base = server.base.clone();
        async move {
            let html = http
                .get(format!("{base}/t/acme/report{query}"))
                .header("accept-language", accept)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            assert!(html.contains("/t/acme/logo"), "the logo is shown");
            Regex::new(r#"<html lang="([a-z]+)""#)
                .expect("regex")
                .captures(&html)
                .expect("lang")[1]
                .to_owned()
        }
    };
    assert_eq!(lang_of("de-DE", "").await, "nl");
    assert_eq!(lang_of("en-GB,en;q=0.9,nl;q=0.5", "").await, "en");
    assert_eq!(lang_of("en-GB", "?lang=nl").await, "nl");
    admin
        .set_languages(&tenant.id, &["nl".into()])
        .expect("languages");
    assert_eq!(lang_of("en", "?lang=en").await, "nl");
    server.stop().await;
}
