//! A notice survives a crash: the real binary, killed with SIGKILL after
//! the advisor's change was answered (so the notice is queued) and before
//! it was sent, delivers it exactly once after a restart. And the one
//! window that remains, documented by a test: killed after the SMTP server
//! accepted the message but before the outbox row was removed, the server
//! sends it again after restart, with the same Message-ID.
//! (Here and not in `tests/`, because only a package's own tests can name
//! its binary.)

#[path = "../../../tests/src/smtp.rs"]
#[allow(dead_code, missing_docs)]
mod smtp;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use meldkluis_crypto_core::{
    seal_item, ItemId, ItemKind, SealParams, StaticKey, StaticSecret, TenantId,
};
use rand::RngCore;
use serde_json::{json, Value};
use smtp::{SinkOptions, SmtpSink};

use crate::common::{advisor_login, b64, kill, serve, BIN};

const WAIT: Duration = Duration::from_secs(30);

struct Setup {
    data: PathBuf,
    config: PathBuf,
}

impl Setup {
    fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(&self.data)
            .env("MELDKLUIS_LOG", "warn")
            .env_remove("MELDKLUIS_NOTICE_KEY");
        command
    }

    fn cli(&self, args: &[&str]) {
        let status = self
            .command()
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("run the CLI");
        assert!(status.success(), "meldkluis-server {args:?} failed");
    }

    /// Starts the server; returns the child and its base URL.
    fn start(&self) -> (Child, String) {
        let (child, mut stdout, base) = serve(&mut self.command());
        // Keep reading, so log lines never fill the pipe and block it.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stdout.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        (child, base)
    }

    /// Mails still queued, read straight from the e-mail store.
    fn queued(&self) -> i64 {
        let conn = rusqlite::Connection::open_with_flags(
            self.data.join("notices.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the e-mail store");
        conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
        conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
            .expect("count")
    }

    fn wait_queued(&self, count: i64) {
        let deadline = Instant::now() + WAIT;
        while self.queued() != count {
            assert!(Instant::now() < deadline, "outbox never held {count}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A tenant with one advisor and a recovery key, made with the CLI.
fn tenant(setup: &Setup) -> (TenantId, StaticSecret, StaticSecret) {
    let tenant = TenantId::new("crash-corp").expect("valid");
    let advisor = StaticSecret::generate(&mut rand::rngs::OsRng);
    let recovery = StaticSecret::generate(&mut rand::rngs::OsRng);
    setup.cli(&["tenant", "create", "crash-corp", "--name", "Crash Corp"]);
    setup.cli(&[
        "advisor",
        "add",
        "crash-corp",
        "--public-key",
        &advisor.public_key().to_hex(),
        "--name",
        "A",
    ]);
    setup.cli(&[
        "recovery-key",
        "set",
        "crash-corp",
        &recovery.public_key().to_hex(),
    ]);
    (tenant, advisor, recovery)
}

/// Submits a report with a notice address; returns its id.
async fn report(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    advisor: &StaticSecret,
    recovery: &StaticSecret,
    address: &str,
) -> ItemId {
    let mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
    let report_id = ItemId::random(&mut rand::rngs::OsRng);
    let recipients = [
        mailbox.public_key(),
        recovery.public_key(),
        advisor.public_key(),
    ];
    let params = SealParams {
        kind: ItemKind::Report,
        tenant,
        item_id: report_id,
        report_id,
        sender: &mailbox,
        recipients: &recipients,
    };
    let item = seal_item(&params, b"report", &mut rand::rngs::OsRng).expect("seal");
    let mut mailbox_id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut mailbox_id);
    let response = http
        .post(format!("{base}/api/v1/t/{tenant}/reports"))
        .json(&json!({
            "item": b64(&item),
            "mailbox_id": hex::encode(mailbox_id),
            "mailbox_public_key": mailbox.public_key().to_hex(),
            "auth_secret": hex::encode([7u8; 32]),
            "notice_email": address,
            "language": "en",
        }))
        .send()
        .await
        .expect("submit");
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["notice_email_saved"], true);
    report_id
}

/// Logs the advisor in and changes the report's status: answered only once
/// the notice is durably queued.
async fn change_status(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    advisor: &StaticSecret,
    report_id: ItemId,
    status: &str,
) {
    let t = tenant.as_str();
    // The server's origin is its configured `public_url` (below).
    let token = advisor_login(http, base, "https://meldkluis.example", tenant, advisor).await;
    let response = http
        .put(format!(
            "{base}/api/v1/t/{t}/advisor/reports/{}/status",
            report_id.to_hex()
        ))
        .bearer_auth(&token)
        .json(&json!({ "status": status }))
        .send()
        .await
        .expect("status");
    assert_eq!(response.status(), 200);
}

fn write_config(dir: &Path, sink_port: u16, delay_secs: (f64, f64)) -> PathBuf {
    let path = dir.join("meldkluis.toml");
    let secrets = dir.join("secrets");
    std::fs::write(
        &path,
        format!(
            r#"public_url = "https://meldkluis.example"
notice_key_path = "{}"

[smtp]
host = "127.0.0.1"
port = {sink_port}
security = "none"
timeout_secs = 10

[notices]
from = "meldkluis <noreply@meldkluis.example>"
delay_min_secs = {}
delay_max_secs = {}
send_interval_secs = 0.05
retry_base_secs = 0.1
retry_max_secs = 0.5
"#,
            secrets.join("notice-key").display(),
            delay_secs.0,
            delay_secs.1,
        ),
    )
    .expect("config file");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_queued_before_a_crash_is_sent_once_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start(&dir.path().join("sink"), &SinkOptions::default());
    let setup = Setup {
        data: dir.path().join("data"),
        // Longer than it takes to kill the server after its answer.
        config: write_config(dir.path(), sink.port, (1.5, 2.0)),
    };
    let (tenant, advisor, recovery) = tenant(&setup);
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    for round in 0..2 {
        let (server, base) = setup.start();
        let address = format!("crash.{round}@example.org");
        let report_id = report(&http, &base, &tenant, &advisor, &recovery, &address).await;
        change_status(&http, &base, &tenant, &advisor, report_id, "acknowledged").await;
        // Answered: the notice is on disk. Kill before its delay is over.
        kill(server);
        assert_eq!(
            sink.messages().len(),
            round,
            "nothing sent before the crash"
        );
        assert_eq!(setup.queued(), 1, "the notice survived the crash");

        let (server, _) = setup.start();
        let mails = sink.wait_for(round + 1, WAIT);
        setup.wait_queued(0);
        assert_eq!(mails[round].rcpt_to, [address]);
        kill(server);
    }
    let mails = sink.messages();
    let transactions = sink.transactions();
    assert_eq!(mails.len(), 2, "each notice exactly once");
    assert_eq!(transactions.len(), 2, "{transactions:?}");
    assert_ne!(transactions[0].1, transactions[1].1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remaining_window_repeats_a_message_with_the_same_message_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The first message is stored but answered only after 3 seconds: the
    // server is killed in between, never hearing that it was accepted.
    let sink = SmtpSink::start(
        &dir.path().join("sink"),
        &SinkOptions {
            script: vec!["hang".into()],
            hang_secs: Some(3.0),
            ..SinkOptions::default()
        },
    );
    let setup = Setup {
        data: dir.path().join("data"),
        config: write_config(dir.path(), sink.port, (0.0, 0.0)),
    };
    let (tenant, advisor, recovery) = tenant(&setup);
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let (server, base) = setup.start();
    let report_id = report(
        &http,
        &base,
        &tenant,
        &advisor,
        &recovery,
        "window@example.org",
    )
    .await;
    change_status(&http, &base, &tenant, &advisor, report_id, "in_progress").await;
    sink.wait_for_transactions(1, WAIT);
    kill(server);
    assert_eq!(sink.messages().len(), 1, "the SMTP server has the message");
    assert_eq!(setup.queued(), 1, "but the outbox never heard so");

    let (server, _) = setup.start();
    let mails = sink.wait_for(2, WAIT);
    setup.wait_queued(0);
    kill(server);
    assert_eq!(mails.len(), 2, "sent again: at least once, never lost");
    assert_eq!(
        mails[0].header("Message-ID"),
        mails[1].header("Message-ID"),
        "the repeat carries the same Message-ID, so mail programs can drop it"
    );
}
