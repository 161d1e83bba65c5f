//! `meldkluis-budgets`: the reporter pages' budgets, measured (run by
//! `scripts/measure-budgets.sh`, on demand):
//!
//! - the scripts and the wasm of a reporter page: at most 100 KB gzip;
//! - a whole reporter page (HTML, CSS, JS, wasm): at most 150 KB gzip;
//! - pressing "send" to the server's acknowledgement for a 4 KiB report in
//!   headless Chromium: at most 1.5 s (every run, not just the median).
//!
//! Starts the real server on 127.0.0.1:0 with a fresh tenant; prints a
//! table; exits 1 if a budget is exceeded.

use std::time::Duration;

use meldkluis_tests::browser::Browser;
use meldkluis_tests::budgets::{
    page_sizes, time_one_send, PAGE_BUDGET, SCRIPT_BUDGET, SEND_BUDGET,
};
use meldkluis_tests::{TestServer, TestTenant};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "budget", 2);
    let mut ok = true;

    println!("Bytes over the wire (gzip), per page:");
    for page in page_sizes(&server, "budget").await {
        println!("  {}", page.page);
        for (part, bytes) in &page.parts {
            println!("    {part:<24} {bytes:>8} B");
        }
        let scripts_ok = page.script_bytes <= SCRIPT_BUDGET;
        let total_ok = page.total_bytes <= PAGE_BUDGET;
        ok &= scripts_ok && total_ok;
        println!(
            "    scripts + wasm {:>17} B  (budget {SCRIPT_BUDGET}) {}",
            page.script_bytes,
            if scripts_ok { "ok" } else { "OVER" }
        );
        println!(
            "    whole page {:>21} B  (budget {PAGE_BUDGET}) {}",
            page.total_bytes,
            if total_ok { "ok" } else { "OVER" }
        );
    }

    println!("\nPress \"send\" to acknowledgement, 4 KiB report, headless Chromium, {runs} runs:");
    let browser = Browser::start().await;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        times.push(time_one_send(&browser, &server, "budget", 4096).await);
    }
    browser.close().await;
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "  min {:?}  median {median:?}  max {max:?}  (budget {SEND_BUDGET:?} for every run) {}",
        times[0],
        if max <= SEND_BUDGET { "ok" } else { "OVER" }
    );
    ok &= max <= SEND_BUDGET;
    server.stop().await;
    if !ok {
        anyhow::bail!("a budget is exceeded");
    }
    Ok(())
}
