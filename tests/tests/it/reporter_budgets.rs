//! The size budgets of the reporter pages, checked on every run (the time
//! budget is measured by `scripts/measure-budgets.sh`, on a quiet machine).

use meldkluis_tests::budgets::{page_sizes, PAGE_BUDGET, SCRIPT_BUDGET};
use meldkluis_tests::{TestServer, TestTenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reporter_page_fits_its_byte_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 2);
    let sizes = page_sizes(&server, "acme").await;
    assert_eq!(sizes.len(), 3);
    for page in sizes {
        assert!(
            page.script_bytes <= SCRIPT_BUDGET,
            "{}: scripts and wasm {} B > {SCRIPT_BUDGET} B: {:?}",
            page.page,
            page.script_bytes,
            page.parts
        );
        assert!(
            page.total_bytes <= PAGE_BUDGET,
            "{}: {} B > {PAGE_BUDGET} B: {:?}",
            page.page,
            page.total_bytes,
            page.parts
        );
        if !page.page.ends_with('/') {
            assert!(
                page.script_bytes > 40_000,
                "the wasm was counted: {:?}",
                page.parts
            );
        }
    }
    server.stop().await;
}
