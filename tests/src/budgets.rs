//! The reporter pages' budgets: bytes over the wire (gzip, as the server
//! sends them) and the time from pressing "send" to the server's
//! acknowledgement in headless Chromium. `meldkluis-budgets` (run by
//! `scripts/measure-budgets.sh`) prints both; the size part is also a test.

use std::time::Duration;

use crate::browser::Browser;
use crate::reporter::{click, fill_report_form, wait_ready, ReportInput};
use crate::TestServer;

/// The size budgets, in bytes (1 KB = 1000 bytes).
pub const SCRIPT_BUDGET: u64 = 100_000;
/// A whole page: HTML, stylesheets, scripts, wasm.
pub const PAGE_BUDGET: u64 = 150_000;
/// Press "send" to acknowledgement, for a 4 KiB report.
pub const SEND_BUDGET: Duration = Duration::from_millis(1500);

/// What one page costs over the wire.
#[derive(Debug, Clone)]
pub struct PageSize {
    /// The page's path.
    pub page: String,
    /// Each resource the page loads, with its gzip-compressed size.
    pub parts: Vec<(String, u64)>,
    /// Scripts (the page's and the Worker's) and the wasm.
    pub script_bytes: u64,
    /// Everything.
    pub total_bytes: u64,
}

/// Fetches `url` as a browser that accepts gzip; returns the bytes on the
/// wire and whether they were compressed.
async fn wire_size(http: &reqwest::Client, url: &str) -> (u64, bool) {
    let response = http
        .get(url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let gzip = response
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = response.bytes().await.expect("body");
    (bytes.len() as u64, gzip)
}

/// The sizes of the start, report and mailbox pages of `tenant`.
pub async fn page_sizes(server: &TestServer, tenant: &str) -> Vec<PageSize> {
    let http = crate::client();
    let mut sizes = Vec::new();
    for (page, script) in [
        ("", None),
        ("report", Some("report.js")),
        ("mailbox", Some("mailbox.js")),
    ] {
        let path = format!("/t/{tenant}/{page}");
        let mut parts = Vec::new();
        let (html, compressed) = wire_size(&http, &format!("{}{path}", server.base)).await;
        assert!(compressed, "{path} is sent compressed");
        parts.push(("HTML".to_owned(), html));
        let mut resources = vec![
            "/assets/meldkluis.css".to_owned(),
            format!("/t/{tenant}/theme.css"),
        ];
        let mut script_bytes = 0;
        if let Some(script) = script {
            for asset in [script, "derive-worker.js", "meldkluis.wasm"] {
                let url = format!("/assets/{asset}");
                let (bytes, compressed) = wire_size(&http, &format!("{}{url}", server.base)).await;
                assert!(compressed, "{url} is sent compressed");
                script_bytes += bytes;
                parts.push((asset.to_owned(), bytes));
            }
        }
        for url in resources.drain(..) {
            let (bytes, _) = wire_size(&http, &format!("{}{url}", server.base)).await;
            parts.push((url, bytes));
        }
        let total_bytes = parts.iter().map(|(_, b)| b).sum();
        sizes.push(PageSize {
            page: path,
            parts,
            script_bytes,
            total_bytes,
        });
    }
    sizes
}

/// Sends one report of about `bytes` bytes of text in `browser` and returns
/// the time from pressing "send" to the server's acknowledgement, as the
/// page measured it (`performance.mark`).
pub async fn time_one_send(
    browser: &Browser,
    server: &TestServer,
    tenant: &str,
    bytes: usize,
) -> Duration {
    browser
        .goto(&format!("{}/t/{tenant}/report", server.base))
        .await;
    wait_ready(browser, "send").await;
    let sentence = "Op de afdeling wordt een collega al maanden buitengesloten en uitgescholden. ";
    let what: String = sentence.repeat(bytes / sentence.len() + 1)[..bytes].to_owned();
    // Typing 4 KiB key by key takes long; put most of it in at once.
    browser
        .js(
            "document.getElementById('q-what').value = arguments[0];",
            vec![serde_json::Value::String(what[..bytes - 1].to_owned())],
        )
        .await;
    fill_report_form(
        browser,
        &ReportInput {
            what: what[bytes - 1..].to_owned(),
            ..ReportInput::default()
        },
    )
    .await;
    click(browser, "send").await;
    let millis = browser
        .wait_for_js(
            "the acknowledgement",
            "const m = performance.getEntriesByName('report-acknowledged');
             const s = performance.getEntriesByName('report-send');
             return m.length && s.length && Math.max(m[0].startTime - s[0].startTime, 0.001);",
        )
        .await;
    Duration::from_secs_f64(millis.as_f64().expect("a number") / 1000.0)
}
