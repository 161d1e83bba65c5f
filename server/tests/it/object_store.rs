//! The object store with a real SeaweedFS (`weed mini`): the S3 client's
//! round trip (a 20 MiB file streamed), attachments that reach the bucket
//! before their upload is answered and come back from it when the local
//! copy is gone, a purge that deletes the object, and a store that fails
//! (killed, or frozen) refusing the upload with 503 and committing no row.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use meldkluis_crypto_core::{ItemId, ItemKind, TenantId};
use meldkluis_server::clock::{Clock, ManualClock, SystemClock};
use meldkluis_server::dates::Day;
use meldkluis_server::objects::{attachment_key, attachments_prefix, ObjectError};
use rand::RngCore as _;
use serde_json::{json, Value};

use crate::backup::{attach, http, mailbox_login, seal, set_up, submit, Keys, Site, Submitted};
use crate::common::advisor_login;
use crate::services::{Server, Weed};

const TENANT: &str = "acme";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_round_trip_with_a_streamed_20_mib_file() {
    let weed = Weed::start().await;
    let store = weed.store();
    assert_eq!(weed.config().bucket, weed.bucket());
    let dir = tempfile::tempdir().expect("tempdir");

    store
        .put_bytes("seeds/acme.sqlite", b"seed bytes".to_vec())
        .await
        .expect("put bytes");
    let small = dir.path().join("small");
    assert!(store
        .get_to_file("seeds/acme.sqlite", &small)
        .await
        .expect("get"));
    assert_eq!(std::fs::read(&small).expect("read"), b"seed bytes");

    // 20 MiB of random bytes, streamed up from a file and down to one.
    let mut big = vec![0u8; 20 << 20];
    rand::rngs::OsRng.fill_bytes(&mut big);
    let source = dir.path().join("big");
    std::fs::write(&source, &big).expect("write");
    let key = "attachments/acme/00112233445566778899aabbccddeeff";
    store.put_file(key, &source).await.expect("put file");
    let back = dir.path().join("big-back");
    assert!(store.get_to_file(key, &back).await.expect("get big"));
    assert!(std::fs::read(&back).expect("read") == big, "20 MiB differ");
    // Nothing but the file itself is left beside it (no partial file).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");

    assert_eq!(
        store.list("attachments/acme/").await.expect("list"),
        vec![key.to_owned()]
    );
    let mut all = store.list("").await.expect("list all");
    all.sort();
    assert_eq!(all, vec![key.to_owned(), "seeds/acme.sqlite".to_owned()]);

    store.delete(key).await.expect("delete");
    store.delete(key).await.expect("deleting again is fine");
    assert!(store.list("attachments/").await.expect("list").is_empty());
    let gone = dir.path().join("gone");
    assert!(!store.get_to_file(key, &gone).await.expect("get absent"));
    assert!(!gone.exists());

    // A key outside the layout is refused before any request.
    assert!(matches!(
        store.put_bytes("../x", Vec::new()).await,
        Err(ObjectError::InvalidKey(_))
    ));
    // Wrong credentials: the store refuses, and that is an error.
    let wrong = meldkluis_server::objects::ObjectStore::from_config_with(&weed.config(), |name| {
        Some(format!("wrong-{name}"))
    })
    .expect("store");
    assert!(matches!(
        wrong.put_bytes("seeds/x.sqlite", b"x".to_vec()).await,
        Err(ObjectError::Status { .. })
    ));
    assert!(store.list("seeds/x").await.expect("list").is_empty());
}

/// A server in this process on the site's data directory, with the object
/// store of `weed` (credentials from the weed harness, not this process's
/// environment) and the given clock.
async fn start(site: &Site, weed: &Weed, timeout_secs: u64, clock: Arc<dyn Clock>) -> Server {
    let config = meldkluis_server::Config {
        data_dir: site.data.clone(),
        deletion_log_path: Some(site.log.clone()),
        notice_key_path: Some(site.secrets.join("notice-key")),
        object_store: Some(meldkluis_server::objects::ObjectStoreConfig {
            timeout_secs,
            ..weed.config()
        }),
        ..meldkluis_server::Config::default()
    };
    Server::start(config, clock, weed).await
}

/// Uploads a sealed attachment to the report from its mailbox; returns the
/// response's status and JSON body.
async fn upload(
    http: &reqwest::Client,
    base: &str,
    keys: &Keys,
    report: &Submitted,
    item: Vec<u8>,
) -> (u16, Value) {
    let t = keys.tenant.as_str();
    let token = mailbox_login(http, base, t, report).await;
    let response = http
        .post(format!("{base}/api/v1/t/{t}/mailbox/attachments"))
        .bearer_auth(token)
        .body(item)
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let mut body = response.json().await.unwrap_or(Value::Null);
    if let (Some(retry_after), Value::Object(map)) = (retry_after, &mut body) {
        map.insert("retry_after".into(), Value::String(retry_after));
    }
    (status, body)
}

/// Downloads an attachment from the report's mailbox.
async fn download(
    http: &reqwest::Client,
    base: &str,
    keys: &Keys,
    report: &Submitted,
    id: &ItemId,
) -> Vec<u8> {
    let t = keys.tenant.as_str();
    let token = mailbox_login(http, base, t, report).await;
    let response = http
        .get(format!(
            "{base}/api/v1/t/{t}/mailbox/attachments/{}",
            id.to_hex()
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200, "download");
    response.bytes().await.expect("bytes").to_vec()
}

/// The object's bytes, or `None` if the bucket has no such object.
async fn object(weed: &Weed, tenant: &TenantId, id: &ItemId) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("object");
    weed.store()
        .get_to_file(&attachment_key(tenant, id), &out)
        .await
        .expect("get")
        .then(|| std::fs::read(&out).expect("read"))
}

fn rows_naming(db: &Path, id: &ItemId) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(
        "SELECT (SELECT count(*) FROM attachments WHERE id = ?1)
              + (SELECT count(*) FROM org_items WHERE item_id = ?1)",
        [id.0],
        |r| r.get(0),
    )
    .expect("count")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_reaches_the_bucket_before_its_upload_is_answered_and_returns_from_it() {
    let weed = Weed::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let site = Site::new(dir.path(), "data");
    let keys = set_up(&site, TENANT);
    let server = start(&site, &weed, 30, Arc::new(SystemClock)).await;
    let (http, base) = (http(), server.base.clone());
    let report = submit(&http, &base, &keys, b"report")
        .await
        .expect("submitted");

    let plaintext = b"ATTACHMENT-PLAINTEXT-CANARY ".repeat(2000);
    let (id, item) = attach(&http, &base, &keys, &report, &plaintext).await;
    // Answered 201: the object is already in the bucket, the sealed item
    // byte for byte (the store sees ciphertext named by the item id only).
    let stored = object(&weed, &keys.tenant, &id).await.expect("object");
    assert!(stored == item, "the object is the uploaded ciphertext");
    assert!(!contains(&stored, b"ATTACHMENT-PLAINTEXT-CANARY"));
    assert_eq!(
        weed.store()
            .list(&attachments_prefix(&keys.tenant))
            .await
            .expect("list"),
        vec![attachment_key(&keys.tenant, &id)]
    );

    // A node without the local file (a new owner, a restored node): the
    // download fetches it from the store, identical, and keeps it.
    std::fs::remove_dir_all(site.attachments(TENANT)).expect("remove attachments");
    assert!(download(&http, &base, &keys, &report, &id).await == item);
    assert!(site
        .attachments(TENANT)
        .join(format!("{}.item", id.to_hex()))
        .exists());
    // And the advisor's download, from the store again.
    std::fs::remove_dir_all(site.attachments(TENANT)).expect("remove attachments");
    let token = advisor_login(&http, &base, &base, &keys.tenant, &keys.advisor).await;
    let response = http
        .get(format!(
            "{base}/api/v1/t/{TENANT}/advisor/reports/{}/attachments/{}",
            report.report_id.to_hex(),
            id.to_hex()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("advisor download");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.expect("bytes").as_ref() == item.as_slice());

    // The operator's backup (the real CLI, credentials in its
    // environment) copies it from the store when the data directory lacks
    // it.
    std::fs::remove_dir_all(site.attachments(TENANT)).expect("remove attachments");
    let backup_dir = dir.path().join("backup");
    let config_file = dir.path().join("server.toml");
    std::fs::write(
        &config_file,
        format!("[object_store]\nendpoint = \"{}\"\n", weed.endpoint()),
    )
    .expect("config");
    let output = std::process::Command::new(crate::common::BIN)
        .arg("--config")
        .arg(&config_file)
        .arg("--data-dir")
        .arg(&site.data)
        .arg("backup")
        .arg(&backup_dir)
        .env("MELDKLUIS_LOG", "warn")
        .env("MELDKLUIS_DELETION_LOG_PATH", &site.log)
        .env("MELDKLUIS_NOTICE_KEY_PATH", site.secrets.join("notice-key"))
        .env_remove("MELDKLUIS_NOTICE_KEY")
        .envs(weed.env())
        .output()
        .expect("run backup");
    assert!(
        output.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let copied = std::fs::read(
        backup_dir
            .join("tenants")
            .join(TENANT)
            .join("attachments")
            .join(format!("{}.item", id.to_hex())),
    )
    .expect("backed-up attachment");
    assert!(copied == item);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_report_takes_its_attachment_object_with_it() {
    let weed = Weed::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let site = Site::new(dir.path(), "data");
    let keys = set_up(&site, TENANT);
    let closed = Day::parse("2026-01-05").expect("day");
    let clock = Arc::new(ManualClock::at(closed, 10));
    let server = start(&site, &weed, 30, clock.clone()).await;
    let (http, base) = (http(), server.base.clone());
    let report = submit(&http, &base, &keys, b"report")
        .await
        .expect("submitted");
    let kept = submit(&http, &base, &keys, b"kept").await.expect("kept");
    let (id, _) = attach(&http, &base, &keys, &report, b"to be purged").await;
    let (kept_id, kept_item) = attach(&http, &base, &keys, &kept, b"stays").await;
    assert!(object(&weed, &keys.tenant, &id).await.is_some());

    let token = advisor_login(&http, &base, &base, &keys.tenant, &keys.advisor).await;
    let response = http
        .put(format!(
            "{base}/api/v1/t/{TENANT}/advisor/reports/{}/status",
            report.report_id.to_hex()
        ))
        .bearer_auth(&token)
        .json(&json!({ "status": "closed", "closing_reason": "resolved" }))
        .send()
        .await
        .expect("close");
    assert!(response.status().is_success(), "{}", response.status());
    let day = closed.add_months(12).add_days(1);
    clock.set(day, 3);
    let done = meldkluis_server::lifecycle::run_day(&server.state, day)
        .await
        .expect("lifecycle");
    assert_eq!(done.reports_deleted, 1, "{done:?}");

    assert!(object(&weed, &keys.tenant, &id).await.is_none(), "purged");
    assert!(!site
        .attachments(TENANT)
        .join(format!("{}.item", id.to_hex()))
        .exists());
    assert!(object(&weed, &keys.tenant, &kept_id).await == Some(kept_item));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_the_store_did_not_take_is_refused_with_503_and_no_row_names_it() {
    let mut weed = Weed::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let site = Site::new(dir.path(), "data");
    let keys = set_up(&site, TENANT);
    // A short time-out, so that a frozen store fails the upload quickly.
    let server = start(&site, &weed, 2, Arc::new(SystemClock)).await;
    let (http, base) = (http(), server.base.clone());
    let report = submit(&http, &base, &keys, b"report")
        .await
        .expect("submitted");
    let id = ItemId::random(&mut rand::rngs::OsRng);
    let item = seal(
        &keys,
        ItemKind::Attachment,
        id,
        report.report_id,
        &report.mailbox,
        &[7u8; 300_000],
    );
    let db = site.tenant_db(TENANT);
    let local = site
        .attachments(TENANT)
        .join(format!("{}.item", id.to_hex()));

    // Frozen (SIGSTOP): the connection is accepted, nothing answers.
    weed.pause();
    let started = Instant::now();
    let (status, body) = upload(&http, &base, &keys, &report, item.clone()).await;
    weed.resume();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_acknowledged", "{body}");
    assert_eq!(body["retry_after"], "1", "{body}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(rows_naming(&db, &id), 0);
    assert!(!local.exists(), "no local file of a refused upload");

    // Back: the same upload now succeeds.
    let (status, body) = upload(&http, &base, &keys, &report, item.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(rows_naming(&db, &id), 1);
    assert!(object(&weed, &keys.tenant, &id).await == Some(item));

    // Killed: connections refused.
    weed.kill();
    let id2 = ItemId::random(&mut rand::rngs::OsRng);
    let item2 = seal(
        &keys,
        ItemKind::Attachment,
        id2,
        report.report_id,
        &report.mailbox,
        &[8u8; 1000],
    );
    let (status, body) = upload(&http, &base, &keys, &report, item2).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_acknowledged", "{body}");
    assert_eq!(rows_naming(&db, &id2), 0);
    assert!(!site
        .attachments(TENANT)
        .join(format!("{}.item", id2.to_hex()))
        .exists());
    server.stop().await;
}
