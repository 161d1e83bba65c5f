//! The browser harness works on this machine: headless Chromium under
//! chromedriver loads a page from the real server on 127.0.0.1:0 and runs
//! script in it. Every browser test builds on this.

use meldkluis_tests::browser::{Browser, BrowserOptions};
use meldkluis_tests::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_chromium_loads_a_page_from_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let browser = Browser::start_with(BrowserOptions {
        viewport: (360, 740),
        mobile: true,
        language: "en".into(),
        javascript: true,
        fake_microphone: None,
    })
    .await;
    browser.goto(&format!("{}/healthz", server.base)).await;
    let body = browser.find("body").await.text().await.expect("text");
    assert!(body.contains("\"ok\""), "the health answer shows: {body}");
    // A page without a viewport meta gets a 980 px layout; the screen is the phone's.
    let width = browser.js("return screen.width;", vec![]).await;
    assert_eq!(width, serde_json::json!(360), "a phone-sized viewport");
    let language = browser.js("return navigator.language;", vec![]).await;
    assert_eq!(language, serde_json::json!("en"));
    browser.close().await;
    server.stop().await;
}
