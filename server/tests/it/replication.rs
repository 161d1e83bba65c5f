//! Replication with real processes: SeaweedFS `weed mini` as the object
//! store and a real `litestream replicate` with its control socket (no
//! databases in its configuration: the server registers them). A report is
//! acknowledged only once Litestream confirmed the replica holds it, so a
//! `litestream restore` of the tenant taken right after the answers finds
//! every acknowledged report. With Litestream stopped (SIGSTOP) or gone
//! (SIGKILL), a write is answered 503 `not_acknowledged` with
//! `Retry-After`, and its retry, once Litestream is back, answers 201 and
//! stores the report once.
//!
//! The tools come from `scripts/setup.sh --replication`; without them
//! these tests FAIL with a message saying so (see `services::tool`).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use meldkluis_crypto_core::{ItemId, ItemKind, StaticSecret, TenantId};
use meldkluis_server::clock::SystemClock;
use meldkluis_server::replication::{replica_url, ReplicationConfig};
use rand::RngCore as _;
use serde_json::Value;

use crate::backup::{enrol, http, report_body, seal, stored_reports, Keys, Site};
use crate::services::{replica_base, tool, LitestreamProcess, Server, Weed};

/// The server's configuration for `site`, replicated through `litestream`.
fn replicated_config(
    site: &Site,
    weed: &Weed,
    litestream: &LitestreamProcess,
    sync_timeout_ms: u64,
) -> meldkluis_server::Config {
    meldkluis_server::Config {
        data_dir: site.data.clone(),
        deletion_log_path: Some(site.log.clone()),
        notice_key_path: Some(site.secrets.join("notice-key")),
        object_store: Some(weed.config()),
        replication: Some(ReplicationConfig {
            sync_timeout_ms,
            litestream_bin: tool("litestream"),
            ..ReplicationConfig::new(vec![litestream.socket()], replica_base(weed))
        }),
        ..meldkluis_server::Config::default()
    }
}

/// Creates the tenant with the operator's tools as the server would be
/// configured (so creation registers it with Litestream and waits for
/// its replica), then enrols a recovery key and an advisor.
fn set_up(site: &Site, config: &meldkluis_server::Config, tenant: &str) -> Keys {
    let id = TenantId::new(tenant).expect("tenant id");
    meldkluis_server::admin::Admin::open(config)
        .expect("admin")
        .create_tenant(&id, "Acme", &["nl".to_owned()], None)
        .expect("create the tenant");
    enrol(site, tenant)
}

/// A report's request body, ready to send (and to send again).
pub(crate) struct Report {
    pub(crate) id: ItemId,
    pub(crate) item: Vec<u8>,
    pub(crate) body: Value,
}

/// A new report with `content`, in a new mailbox.
pub(crate) fn new_report(keys: &Keys, content: &[u8]) -> Report {
    let mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
    let id = ItemId::random(&mut rand::rngs::OsRng);
    let item = seal(keys, ItemKind::Report, id, id, &mailbox, content);
    let mut mailbox_id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut mailbox_id);
    let mut auth_secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut auth_secret);
    let body = report_body(&item, &mailbox, mailbox_id, auth_secret);
    Report { id, item, body }
}

/// Sends a report: the status, the `Retry-After` header and the JSON body.
async fn send(
    http: &reqwest::Client,
    base: &str,
    keys: &Keys,
    report: &Report,
) -> (u16, Option<String>, Value) {
    let response = http
        .post(format!("{base}/api/v1/t/{}/reports", keys.tenant))
        .json(&report.body)
        .send()
        .await
        .expect("send the report");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ascii").to_owned());
    (status, retry_after, response.json().await.expect("json"))
}

/// Restores the tenant's replica with `litestream restore` into a new file
/// and returns its reports (id → item).
fn restore_reports(weed: &Weed, tenant: &TenantId, into: &Path) -> HashMap<Vec<u8>, Vec<u8>> {
    let out = into.join(format!("restored-{}.sqlite", rand::random::<u64>()));
    let url = replica_url(&replica_base(weed), tenant, None);
    let output = Command::new(tool("litestream"))
        .arg("restore")
        .arg("-o")
        .arg(&out)
        .arg(&url)
        .envs(weed.env())
        .env_remove("AWS_CA_BUNDLE")
        .output()
        .expect("run litestream restore");
    assert!(
        output.status.success(),
        "litestream restore {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stored_reports(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_report_is_in_the_restored_replica() {
    let weed = Weed::start().await;
    let litestream = LitestreamProcess::start(&weed);
    let root = tempfile::tempdir().expect("tempdir");
    let site = Site::new(root.path(), "node");
    let config = replicated_config(&site, &weed, &litestream, 5000);
    let keys = set_up(&site, &config, "acme");

    // Creating the tenant put its database in the object store already.
    let created = restore_reports(&weed, &keys.tenant, root.path());
    assert!(created.is_empty(), "a new tenant has no report");

    let server = Server::start(config, Arc::new(SystemClock), &weed).await;
    let http = http();
    let reports: Vec<Report> = (0..24)
        .map(|i| new_report(&keys, format!("report {i}").as_bytes()))
        .collect();
    let reports = Arc::new(reports);
    // Concurrent submissions share group commits and their confirmations.
    let keys = Arc::new(keys);
    let sent: Vec<_> = (0..reports.len())
        .map(|i| {
            let (http, base) = (http.clone(), server.base.clone());
            let (keys, reports) = (Arc::clone(&keys), Arc::clone(&reports));
            tokio::spawn(async move { send(&http, &base, &keys, &reports[i]).await })
        })
        .collect();
    for (i, answer) in sent.into_iter().enumerate() {
        let (status, _, body) = answer.await.expect("task");
        assert_eq!(status, 201, "report {i}: {body}");
        assert_eq!(body["report_id"], reports[i].id.to_hex());
    }
    // Right after the answers, before Litestream's own next sync: the
    // replica holds every acknowledged report, byte for byte.
    let restored = restore_reports(&weed, &keys.tenant, root.path());
    for report in reports.iter() {
        assert_eq!(
            restored.get(report.id.0.as_slice()),
            Some(&report.item),
            "acknowledged report {} is in the replica",
            report.id.to_hex()
        );
    }
    assert_eq!(restored.len(), reports.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_litestream_nothing_is_acknowledged_and_the_retry_stores_once() {
    let weed = Weed::start().await;
    let mut litestream = LitestreamProcess::start(&weed);
    let root = tempfile::tempdir().expect("tempdir");
    let site = Site::new(root.path(), "node");
    let config = replicated_config(&site, &weed, &litestream, 1500);
    let keys = set_up(&site, &config, "acme");
    let db = site.data.join("tenants").join("acme").join("tenant.sqlite");
    let server = Server::start(config, Arc::new(SystemClock), &weed).await;
    let http = http();
    let first = new_report(&keys, b"before the outage");
    assert_eq!(send(&http, &server.base, &keys, &first).await.0, 201);

    // Litestream frozen: the write is stored here, but not acknowledged.
    litestream.pause();
    let frozen = new_report(&keys, b"while litestream is frozen");
    let started = Instant::now();
    let (status, retry_after, body) = send(&http, &server.base, &keys, &frozen).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_acknowledged");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "refused only after the sync time-out"
    );
    assert!(stored_reports(&db).contains_key(frozen.id.0.as_slice()));
    // A read is not held up (it does not ask Litestream).
    let config = http
        .get(format!("{}/api/v1/t/acme/config", server.base))
        .send()
        .await
        .expect("config");
    assert_eq!(config.status(), 200);
    litestream.resume();
    // The same request again: the answer the first would have had.
    let (status, _, body) = send(&http, &server.base, &keys, &frozen).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["report_id"], frozen.id.to_hex());
    assert_eq!(body["status"], "new");

    // Litestream killed (it forgets the database): refused at once.
    litestream.kill();
    let lost = new_report(&keys, b"while litestream is gone");
    let (status, retry_after, body) = send(&http, &server.base, &keys, &lost).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_acknowledged");
    assert_eq!(retry_after.as_deref(), Some("1"));
    // Back (knowing no database): the gate registers the tenant again and
    // the retry is acknowledged.
    litestream.restart();
    let (status, _, body) = send(&http, &server.base, &keys, &lost).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["report_id"], lost.id.to_hex());

    // Each report once, here and in the replica.
    let local = stored_reports(&db);
    let restored = restore_reports(&weed, &keys.tenant, root.path());
    for report in [&first, &frozen, &lost] {
        let id = report.id.0.as_slice();
        assert_eq!(local.get(id), Some(&report.item));
        assert_eq!(
            restored.get(id),
            Some(&report.item),
            "{} in the replica",
            report.id.to_hex()
        );
    }
    assert_eq!(local.len(), 3);
    assert_eq!(restored.len(), 3);
    server.stop().await;
}
