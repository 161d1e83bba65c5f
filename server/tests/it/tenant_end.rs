//! A tenant's end with the real binary: `tenant delete` refuses without an
//! export that holds everything and without the typed confirmation;
//! afterwards nothing of the tenant is on disk (directory, row, notice
//! addresses), and neither an older backup nor an older e-mail store
//! backup brings it back.

use std::path::Path;
use std::time::{Duration, Instant};

use meldkluis_crypto_core::StaticKey as _;
use serde_json::json;

use crate::backup::{attach, files_under, http, mailbox_login, set_up, submit, Site, Submitted};
use crate::common::kill;

const NAME: &str = "Acme Leaving Corporation";

fn address_count(data: &Path) -> i64 {
    let conn = rusqlite::Connection::open(data.join("notices.sqlite")).expect("open");
    conn.query_row("SELECT count(*) FROM addresses", [], |r| r.get(0))
        .expect("count")
}

async fn set_notice_address(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    report: &Submitted,
    address: &str,
) {
    let token = mailbox_login(http, base, tenant, report).await;
    let response = http
        .put(format!("{base}/api/v1/t/{tenant}/mailbox/notice-email"))
        .bearer_auth(token)
        .json(&json!({ "address": address }))
        .send()
        .await
        .expect("set address");
    assert!(response.status().is_success(), "{}", response.status());
}

fn refused(site: &Site, args: &[&str], expected: &str) {
    let output = site.run(args);
    let why = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} refused");
    assert!(
        why.contains(expected),
        "{args:?}: expected {expected:?}, got {why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_is_deleted_only_after_an_export_and_a_confirmation_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let site = Site::new(root, "data");
    let acme = set_up(&site, "acme");
    let other = set_up(&site, "other-org");
    for (tenant, keys) in [("acme", &acme), ("other-org", &other)] {
        site.cli(&[
            "advisor",
            "set-email",
            tenant,
            "--public-key",
            &keys.advisor.public_key().to_hex(),
            "--email",
            "advisor@example.org",
        ]);
    }
    // The display name, to look for on disk afterwards.
    let conn = rusqlite::Connection::open(site.data.join("server.sqlite")).expect("open");
    conn.execute("UPDATE tenants SET name = ?1 WHERE id = 'acme'", [NAME])
        .expect("name");
    drop(conn);

    let (child, base) = site.start();
    let http = http();
    let mut acme_reports = Vec::new();
    for n in 0..2u8 {
        acme_reports.push(
            submit(&http, &base, &acme, &[n; 3000])
                .await
                .expect("report"),
        );
    }
    let (_, acme_attachment) = attach(&http, &base, &acme, &acme_reports[0], &[9; 4000]).await;
    let other_report = submit(&http, &base, &other, b"other")
        .await
        .expect("report");
    set_notice_address(
        &http,
        &base,
        "acme",
        &acme_reports[0],
        "reporter@example.org",
    )
    .await;
    set_notice_address(
        &http,
        &base,
        "other-org",
        &other_report,
        "someone@example.org",
    )
    .await;
    assert_eq!(address_count(&site.data), 4);
    let old_backup = root.join("backup-old");
    site.cli(&["backup", old_backup.to_str().expect("utf-8")]);
    let old_notices = root.join("notices-old");
    let said = site.cli(&["backup", "--notices", old_notices.to_str().expect("utf-8")]);
    assert!(said.contains("notice key, which is not in it"), "{said}");

    // Never without an export.
    refused(
        &site,
        &["tenant", "delete", "acme", "--confirm", "acme"],
        "was never exported",
    );
    let export = root.join("export");
    site.cli(&["tenant", "export", "acme", export.to_str().expect("utf-8")]);
    // Never without the typed confirmation (no terminal here), or a wrong one.
    refused(&site, &["tenant", "delete", "acme"], "not confirmed");
    refused(
        &site,
        &["tenant", "delete", "acme", "--confirm", "other-org"],
        "not confirmed",
    );
    // Never when the tenant holds more than its export.
    acme_reports.push(submit(&http, &base, &acme, b"late").await.expect("report"));
    refused(
        &site,
        &["tenant", "delete", "acme", "--confirm", "acme"],
        "changed after its export",
    );
    let export = root.join("export-2");
    site.cli(&["tenant", "export", "acme", export.to_str().expect("utf-8")]);
    let said = site.cli(&["tenant", "delete", "acme", "--confirm", "acme"]);
    assert!(said.contains("\"addresses_deleted\": 2"), "{said}");

    // The serving server stops serving it once its cached record expires.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = http
            .get(format!("{base}/api/v1/t/acme/config"))
            .send()
            .await
            .expect("config")
            .status();
        if status == 404 {
            break;
        }
        assert!(Instant::now() < deadline, "still served: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    kill(child);

    // Nothing of it on disk: no directory, no row, no address, none of its
    // items or its name in any file of the data directory.
    assert!(!site.data.join("tenants").join("acme").exists());
    let listed = site.cli(&["tenant", "list"]);
    assert!(!listed.contains("\"acme\""), "{listed}");
    assert!(listed.contains("other-org"));
    // A new tenant of the same id the same day would fall under the
    // deletion log's entry at the next start: refused.
    refused(
        &site,
        &["tenant", "create", "acme", "--name", "Acme Again"],
        "deleted today",
    );
    assert!(!site.data.join("tenants").join("acme").exists());
    assert_eq!(
        address_count(&site.data),
        2,
        "only the other tenant's addresses"
    );
    for file in files_under(&site.data) {
        let bytes = std::fs::read(&file).expect("read");
        assert!(
            !bytes.windows(NAME.len()).any(|w| w == NAME.as_bytes()),
            "{} holds the tenant's name",
            file.display()
        );
        for item in acme_reports
            .iter()
            .map(|r| &r.item)
            .chain(std::iter::once(&acme_attachment))
        {
            let tail = &item[item.len() - 64..];
            assert!(
                !bytes.windows(64).any(|w| w == tail),
                "{} holds an item of the deleted tenant",
                file.display()
            );
        }
    }
    let log = std::fs::read_to_string(&site.log).expect("log");
    assert!(log.lines().any(|l| l.ends_with(" tenant acme")), "{log}");

    // An older backup does not bring it back, nor its addresses.
    let restored = Site {
        data: root.join("restored"),
        log: site.log.clone(),
        secrets: site.secrets.clone(),
    };
    let said = restored.cli(&["restore", old_backup.to_str().expect("utf-8")]);
    assert!(said.contains("\"tenants\": 1"), "{said}");
    assert!(!restored.data.join("tenants").join("acme").exists());
    let listed = restored.cli(&["tenant", "list"]);
    assert!(!listed.contains("\"acme\""), "{listed}");
    let said = restored.cli(&["restore", "--notices", old_notices.to_str().expect("utf-8")]);
    assert!(
        said.contains("2 address(es); 2 of closed reports or deleted tenants left out"),
        "{said}"
    );
    assert_eq!(address_count(&restored.data), 2);
    let (child, base) = restored.start();
    let status = http
        .get(format!("{base}/api/v1/t/acme/config"))
        .send()
        .await
        .expect("config")
        .status();
    assert_eq!(status, 404);
    kill(child);
}
