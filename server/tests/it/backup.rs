//! Backups and restores with the real binary: `meldkluis-server backup`
//! next to a serving server under concurrent submissions, `restore` into an
//! empty data directory, damaged backups refused, and the deletion log
//! keeping deleted reports deleted through a restore and at start.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use meldkluis_crypto_core::{
    seal_item, ItemId, ItemKind, PublicKey, SealParams, StaticKey, StaticSecret, TenantId,
};
use meldkluis_server::dates::Day;
use meldkluis_server::deletion_log::{DeletionLog, Entry};
use rand::RngCore;
use serde_json::{json, Value};

use crate::common::{advisor_login, b64, kill, serve, BIN};

const TENANT: &str = "acme";

/// A data directory with its deletion log elsewhere.
pub(crate) struct Site {
    pub(crate) data: PathBuf,
    pub(crate) log: PathBuf,
    pub(crate) secrets: PathBuf,
}

impl Site {
    pub(crate) fn new(root: &Path, name: &str) -> Self {
        Self {
            data: root.join(name),
            log: root.join(format!("{name}-log")).join("deletion-log"),
            secrets: root.join(format!("{name}-secrets")),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(&self.data)
            .env("MELDKLUIS_LOG", "warn")
            .env("MELDKLUIS_DELETION_LOG_PATH", &self.log)
            .env("MELDKLUIS_NOTICE_KEY_PATH", self.secrets.join("notice-key"))
            .env_remove("MELDKLUIS_NOTICE_KEY");
        command
    }

    /// Runs the CLI; returns its output whatever the exit status.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run the CLI")
    }

    /// Runs the CLI and requires success.
    pub(crate) fn cli(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "meldkluis-server {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    /// Starts the server; returns the child and its base URL.
    pub(crate) fn start(&self) -> (Child, String) {
        let (child, _, base) = serve(&mut self.command());
        (child, base)
    }

    pub(crate) fn tenant_db(&self, tenant: &str) -> PathBuf {
        self.data.join("tenants").join(tenant).join("tenant.sqlite")
    }

    pub(crate) fn attachments(&self, tenant: &str) -> PathBuf {
        self.data.join("tenants").join(tenant).join("attachments")
    }
}

/// The tenant's keys.
pub(crate) struct Keys {
    pub(crate) tenant: TenantId,
    pub(crate) advisor: StaticSecret,
    pub(crate) recovery: StaticSecret,
}

impl Keys {
    pub(crate) fn recipients(&self, mailbox: &StaticSecret) -> Vec<PublicKey> {
        vec![
            mailbox.public_key(),
            self.recovery.public_key(),
            self.advisor.public_key(),
        ]
    }
}

/// Creates the tenant with an advisor and a recovery key, and no daily
/// quota to speak of.
pub(crate) fn set_up(site: &Site, tenant: &str) -> Keys {
    site.cli(&["tenant", "create", tenant, "--name", "Acme"]);
    site.cli(&[
        "tenant",
        "set-quotas",
        tenant,
        "--reports-per-day",
        "100000000",
    ]);
    enrol(site, tenant)
}

/// Sets a new recovery key and adds an advisor to an existing tenant.
pub(crate) fn enrol(site: &Site, tenant: &str) -> Keys {
    let advisor = StaticSecret::generate(&mut rand::rngs::OsRng);
    let recovery = StaticSecret::generate(&mut rand::rngs::OsRng);
    site.cli(&[
        "recovery-key",
        "set",
        tenant,
        &recovery.public_key().to_hex(),
    ]);
    site.cli(&[
        "advisor",
        "add",
        tenant,
        "--public-key",
        &advisor.public_key().to_hex(),
        "--name",
        "A",
    ]);
    Keys {
        tenant: TenantId::new(tenant).expect("tenant id"),
        advisor,
        recovery,
    }
}

/// A report as submitted: what is needed to find it again.
#[derive(Clone)]
pub(crate) struct Submitted {
    pub(crate) report_id: ItemId,
    pub(crate) item: Vec<u8>,
    pub(crate) mailbox_id: [u8; 16],
    pub(crate) auth_secret: [u8; 32],
    pub(crate) mailbox: Arc<StaticSecret>,
}

pub(crate) fn seal(
    keys: &Keys,
    kind: ItemKind,
    item_id: ItemId,
    report_id: ItemId,
    mailbox: &StaticSecret,
    content: &[u8],
) -> Vec<u8> {
    let recipients = keys.recipients(mailbox);
    let params = SealParams {
        kind,
        tenant: &keys.tenant,
        item_id,
        report_id,
        sender: mailbox,
        recipients: &recipients,
    };
    seal_item(&params, content, &mut rand::rngs::OsRng).expect("seal")
}

/// The request body of a report (`POST /reports`) or follow-up mailbox
/// (`POST /follow-ups`): the sealed `item`, its mailbox's public key and
/// the mailbox log-in.
pub(crate) fn report_body(
    item: &[u8],
    mailbox: &StaticSecret,
    mailbox_id: [u8; 16],
    auth_secret: [u8; 32],
) -> Value {
    json!({
        "item": b64(item),
        "mailbox_id": hex::encode(mailbox_id),
        "mailbox_public_key": mailbox.public_key().to_hex(),
        "auth_secret": hex::encode(auth_secret),
    })
}

/// Submits one report; `None` if the server did not answer 201.
pub(crate) async fn submit(
    http: &reqwest::Client,
    base: &str,
    keys: &Keys,
    content: &[u8],
) -> Option<Submitted> {
    let mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
    let report_id = ItemId::random(&mut rand::rngs::OsRng);
    let item = seal(
        keys,
        ItemKind::Report,
        report_id,
        report_id,
        &mailbox,
        content,
    );
    let mut mailbox_id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut mailbox_id);
    let mut auth_secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut auth_secret);
    let body = report_body(&item, &mailbox, mailbox_id, auth_secret);
    let url = format!("{base}/api/v1/t/{}/reports", keys.tenant);
    let response = http.post(url).json(&body).send().await.ok()?;
    (response.status() == 201).then_some(Submitted {
        report_id,
        item,
        mailbox_id,
        auth_secret,
        mailbox: Arc::new(mailbox),
    })
}

/// Logs in to the report's mailbox; returns the bearer token.
pub(crate) async fn mailbox_login(
    http: &reqwest::Client,
    base: &str,
    tenant: &str,
    report: &Submitted,
) -> String {
    let login: Value = http
        .post(format!("{base}/api/v1/t/{tenant}/mailbox/login"))
        .json(&json!({
            "mailbox_id": hex::encode(report.mailbox_id),
            "auth_secret": hex::encode(report.auth_secret),
        }))
        .send()
        .await
        .expect("log-in")
        .json()
        .await
        .expect("json");
    login["token"].as_str().expect("token").to_owned()
}

/// Uploads an attachment to the report from its mailbox; returns the
/// attachment's id and its sealed bytes.
pub(crate) async fn attach(
    http: &reqwest::Client,
    base: &str,
    keys: &Keys,
    report: &Submitted,
    content: &[u8],
) -> (ItemId, Vec<u8>) {
    let t = keys.tenant.as_str();
    let token = &mailbox_login(http, base, t, report).await;
    let id = ItemId::random(&mut rand::rngs::OsRng);
    let item = seal(
        keys,
        ItemKind::Attachment,
        id,
        report.report_id,
        &report.mailbox,
        content,
    );
    let response = http
        .post(format!("{base}/api/v1/t/{t}/mailbox/attachments"))
        .bearer_auth(token)
        .body(item.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201, "attachment upload");
    (id, item)
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// The sealed report items of a tenant database, by report id.
pub(crate) fn stored_reports(db: &Path) -> HashMap<Vec<u8>, Vec<u8>> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut statement = conn.prepare("SELECT id, item FROM reports").expect("query");
    statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("values")
}

pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// True if `dir` is missing or empty.
fn empty_or_missing(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
}

/// The site with a few reports (one with an attachment), stopped, and a
/// backup of it in `backup`.
struct Backed {
    site: Site,
    keys: Keys,
    reports: Vec<Submitted>,
    attachment: (ItemId, Vec<u8>),
    backup: PathBuf,
}

async fn backed_up(root: &Path) -> Backed {
    let site = Site::new(root, "data");
    let keys = set_up(&site, TENANT);
    let (child, base) = site.start();
    let http = http();
    let mut reports = Vec::new();
    for n in 0..4u8 {
        let content = [n; 3000];
        reports.push(
            submit(&http, &base, &keys, &content)
                .await
                .expect("submitted"),
        );
    }
    let attachment = attach(&http, &base, &keys, &reports[0], &[0xee; 5000]).await;
    let backup = root.join("backup");
    site.cli(&["backup", backup.to_str().expect("utf-8")]);
    kill(child);
    Backed {
        site,
        keys,
        reports,
        attachment,
        backup,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_concurrent_submissions_restores_every_acknowledged_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = Site::new(dir.path(), "data");
    let keys = Arc::new(set_up(&site, TENANT));
    let (child, base) = site.start();
    let http = http();
    let first = submit(&http, &base, &keys, b"first").await.expect("first");
    let (attachment_id, attachment) = attach(&http, &base, &keys, &first, &[0x5a; 20_000]).await;

    let acked: Arc<Mutex<Vec<Submitted>>> = Arc::new(Mutex::new(vec![first]));
    let stop_flag = Arc::new(AtomicBool::new(false));
    let submitters: Vec<_> = (0..8)
        .map(|_| {
            let (http, base, keys) = (http.clone(), base.clone(), keys.clone());
            let (acked, stop_flag) = (acked.clone(), stop_flag.clone());
            tokio::spawn(async move {
                while !stop_flag.load(Ordering::Relaxed) {
                    let report = submit(&http, &base, &keys, &[7u8; 2000])
                        .await
                        .expect("every submission is answered 201 during the backup");
                    acked.lock().expect("lock").push(report);
                }
            })
        })
        .collect();
    // Some reports before the backup starts.
    while acked.lock().expect("lock").len() < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before: Vec<Submitted> = acked.lock().expect("lock").clone();
    let backup = dir.path().join("backup");
    let backup_site_args = backup.to_str().expect("utf-8").to_owned();
    let output = {
        let command = site.command();
        tokio::task::spawn_blocking(move || {
            let mut command = command;
            command
                .args(["backup", &backup_site_args])
                .output()
                .expect("backup")
        })
        .await
        .expect("join")
    };
    let during = acked.lock().expect("lock").len() - before.len();
    stop_flag.store(true, Ordering::Relaxed);
    for submitter in submitters {
        submitter.await.expect("submitter");
    }
    kill(child);
    assert!(
        output.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "{} reports before the backup, {during} acknowledged while it ran",
        before.len()
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["format"], "meldkluis-backup/1");
    assert_eq!(manifest["tenants"], json!([TENANT]));

    let restored = Site::new(dir.path(), "restored");
    let answer = restored.cli(&["restore", backup.to_str().expect("utf-8")]);
    assert!(answer.contains("\"tenants\": 1"), "{answer}");
    let stored = stored_reports(&restored.tenant_db(TENANT));
    for report in &before {
        assert_eq!(
            stored.get(report.report_id.0.as_slice()),
            Some(&report.item),
            "report {} acknowledged before the backup is in the restored copy, intact",
            report.report_id.to_hex()
        );
    }
    let file = restored
        .attachments(TENANT)
        .join(format!("{}.item", hex::encode(attachment_id.0)));
    assert_eq!(
        std::fs::read(file).expect("attachment restored"),
        attachment
    );

    // The restored server serves: a reporter logs in to their mailbox
    // (the server secret keying the credentials came back too).
    let (child, base) = restored.start();
    let login = http
        .post(format!("{base}/api/v1/t/{TENANT}/mailbox/login"))
        .json(&json!({
            "mailbox_id": hex::encode(before[0].mailbox_id),
            "auth_secret": hex::encode(before[0].auth_secret),
        }))
        .send()
        .await
        .expect("log-in");
    assert_eq!(login.status(), 200, "a reporter logs in after the restore");
    kill(child);

    // A restore never goes into a data directory with something in it.
    let again = restored.run(&["restore", backup.to_str().expect("utf-8")]);
    assert!(!again.status.success());
    let why = String::from_utf8_lossy(&again.stderr);
    assert!(why.contains("is not empty"), "{why}");
    assert_eq!(
        stored_reports(&restored.tenant_db(TENANT)).len(),
        stored.len()
    );
    // Nor does a backup go into a directory with something in it.
    let refused = site.run(&["backup", backup.to_str().expect("utf-8")]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not empty"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_or_incomplete_backup_is_refused_and_the_data_directory_stays_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backed = backed_up(dir.path()).await;
    let attachment_file = format!(
        "tenants/{TENANT}/attachments/{}.item",
        hex::encode(backed.attachment.0 .0)
    );
    let copy_backup = |name: &str| -> PathBuf {
        let copy = dir.path().join(name);
        for file in files_under(&backed.backup) {
            let relative = file.strip_prefix(&backed.backup).expect("inside");
            let target = copy.join(relative);
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::copy(&file, &target).expect("copy");
        }
        copy
    };
    type Damage = Box<dyn Fn(&Path)>;
    let flip = |relative: String| -> Damage {
        Box::new(move |root: &Path| {
            let path = root.join(&relative);
            let mut bytes = std::fs::read(&path).expect("read");
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0x01;
            std::fs::write(&path, bytes).expect("write");
        })
    };
    let remove = |relative: String| -> Damage {
        Box::new(move |root: &Path| std::fs::remove_file(root.join(&relative)).expect("remove"))
    };
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "flipped-attachment",
            flip(attachment_file.clone()),
            "is damaged: its SHA-256 differs",
        ),
        (
            "flipped-database",
            flip(format!("tenants/{TENANT}/tenant.sqlite")),
            "is damaged",
        ),
        (
            "missing-attachment",
            remove(attachment_file.clone()),
            "is missing",
        ),
        (
            "missing-server-db",
            remove("server.sqlite".into()),
            "server.sqlite is missing",
        ),
        (
            "no-manifest",
            remove("manifest.json".into()),
            "has no manifest.json",
        ),
        (
            "truncated-manifest",
            Box::new(|root: &Path| {
                let path = root.join("manifest.json");
                let bytes = std::fs::read(&path).expect("read");
                std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
            }),
            "manifest",
        ),
    ];
    for (name, damage, expected) in cases {
        let backup = copy_backup(name);
        damage(&backup);
        let target = Site::new(dir.path(), &format!("target-{name}"));
        let output = target.run(&["restore", backup.to_str().expect("utf-8")]);
        let why = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}: restore refused");
        assert!(why.contains(expected), "{name}: clear error, got {why}");
        assert!(
            empty_or_missing(&target.data),
            "{name}: the data directory stays empty"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "{name}: no staging directory left");
    }
    // The undamaged backup restores.
    let target = Site::new(dir.path(), "target-whole");
    target.cli(&["restore", backed.backup.to_str().expect("utf-8")]);
    assert_eq!(
        stored_reports(&target.tenant_db(TENANT)).len(),
        backed.reports.len()
    );
}

/// Deletes a report by expiry, as the server does: the real server
/// (in-process, with its clock moved) closes it through the advisor API on
/// 2026-01-05, then runs the lifecycle day when its retention period
/// (12 months by default) has passed. Returns the day of deletion.
async fn delete_by_expiry(site: &Site, keys: &Keys, report_id: &ItemId) -> Day {
    use meldkluis_server::clock::ManualClock;
    let closed = Day::parse("2026-01-05").expect("day");
    let clock = Arc::new(ManualClock::at(closed, 10));
    let config = meldkluis_server::Config {
        data_dir: site.data.clone(),
        deletion_log_path: Some(site.log.clone()),
        notice_key_path: Some(site.secrets.join("notice-key")),
        ..meldkluis_server::Config::default()
    };
    let state = meldkluis_server::AppState::with_clock(config, clock.clone()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop_serving, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(meldkluis_server::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let http = http();
    let token = advisor_login(&http, &base, &base, &keys.tenant, &keys.advisor).await;
    let t = keys.tenant.as_str();
    let response = http
        .put(format!(
            "{base}/api/v1/t/{t}/advisor/reports/{}/status",
            report_id.to_hex()
        ))
        .bearer_auth(&token)
        .json(&json!({ "status": "closed", "closing_reason": "resolved" }))
        .send()
        .await
        .expect("close");
    assert!(
        response.status().is_success(),
        "closing: {}",
        response.status()
    );
    let day = closed.add_months(12).add_days(1);
    clock.set(day, 3);
    let done = meldkluis_server::lifecycle::run_day(&state, day)
        .await
        .expect("lifecycle");
    assert_eq!(done.reports_deleted, 1, "{done:?}");
    let workers = state.tenants().workers().clone();
    drop(state);
    let _ = stop_serving.send(());
    served.await.expect("join").expect("served");
    assert!(workers.wait_all_closed(std::time::Duration::from_secs(30)));
    day
}

fn register_line(db: &Path, number: i64) -> (Option<Vec<u8>>, Option<String>) {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(
        "SELECT report_id, deleted_day FROM register WHERE number = ?1",
        [number],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("the register line is there")
}

fn register_number(db: &Path, report_id: &ItemId) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(
        "SELECT number FROM register WHERE report_id = ?1",
        [report_id.0.as_slice()],
        |r| r.get(0),
    )
    .expect("register number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_deleted_after_a_backup_stays_deleted_when_the_backup_is_restored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backed = backed_up(dir.path()).await;
    let gone = &backed.reports[0];
    let number = register_number(&backed.site.tenant_db(TENANT), &gone.report_id);
    let day = delete_by_expiry(&backed.site, &backed.keys, &gone.report_id).await;

    // The data directory is lost; the deletion log (kept elsewhere) is not.
    let restored = Site {
        data: dir.path().join("restored"),
        log: backed.site.log.clone(),
        secrets: backed.site.secrets.clone(),
    };
    let answer = restored.cli(&["restore", backed.backup.to_str().expect("utf-8")]);
    assert!(answer.contains("\"reports\": 1"), "{answer}");
    let stored = stored_reports(&restored.tenant_db(TENANT));
    assert!(
        !stored.contains_key(gone.report_id.0.as_slice()),
        "the deleted report is absent"
    );
    for other in &backed.reports[1..] {
        assert_eq!(stored.get(other.report_id.0.as_slice()), Some(&other.item));
    }
    assert_eq!(
        register_line(&restored.tenant_db(TENANT), number),
        (None, Some(day.to_string())),
        "its register line is there, marked deleted"
    );
    // No byte of the deleted report's items anywhere in the restored data:
    // not in the database, a WAL, or an attachment file.
    let (_, attachment) = &backed.attachment;
    for file in files_under(&restored.data) {
        let bytes = std::fs::read(&file).expect("read");
        for item in [&gone.item, attachment] {
            for chunk in item[item.len() / 2..].chunks(32).filter(|c| c.len() == 32) {
                assert!(
                    !contains(&bytes, chunk),
                    "{} holds bytes of the deleted report",
                    file.display()
                );
            }
        }
    }
    // A deletion log lost with the data comes back from the backup's copy:
    // the backup of a restored directory keeps it deleted.
    let again = dir.path().join("backup-2");
    let (child, _) = restored.start();
    restored.cli(&["backup", again.to_str().expect("utf-8")]);
    kill(child);
    let elsewhere = Site::new(dir.path(), "elsewhere");
    elsewhere.cli(&["restore", again.to_str().expect("utf-8")]);
    assert!(DeletionLog::read(&elsewhere.log)
        .expect("log")
        .iter()
        .any(|e| matches!(e, Entry::Report { report_id, .. } if *report_id == gone.report_id.0)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deletion_log_is_applied_at_start_to_an_old_tenant_file_copied_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let backed = backed_up(dir.path()).await;
    let gone = &backed.reports[0];
    delete_by_expiry(&backed.site, &backed.keys, &gone.report_id).await;
    // An operator copies the old tenant file and attachment back by hand.
    let db = backed.site.tenant_db(TENANT);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::copy(
        backed
            .backup
            .join("tenants")
            .join(TENANT)
            .join("tenant.sqlite"),
        &db,
    )
    .expect("copy back");
    let name = format!("{}.item", hex::encode(backed.attachment.0 .0));
    std::fs::copy(
        backed
            .backup
            .join("tenants")
            .join(TENANT)
            .join("attachments")
            .join(&name),
        backed.site.attachments(TENANT).join(&name),
    )
    .expect("copy back");
    assert!(stored_reports(&db).contains_key(gone.report_id.0.as_slice()));

    let (child, base) = backed.site.start();
    let stored = stored_reports(&db);
    assert!(
        !stored.contains_key(gone.report_id.0.as_slice()),
        "deleted again at start"
    );
    assert_eq!(stored.len(), backed.reports.len() - 1);
    assert!(!backed.site.attachments(TENANT).join(&name).exists());
    // The server serves the rest.
    let ok = submit(&http(), &base, &backed.keys, b"after").await;
    assert!(ok.is_some());
    kill(child);
}
