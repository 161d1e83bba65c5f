//! The crash test: the real binary under a load of concurrent report
//! submissions, killed with SIGKILL at random moments and restarted, several
//! times; every report whose submission was acknowledged is there, intact.
//! (Here and not in `tests/`, because only a package's own tests can name
//! its binary.)

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meldkluis_crypto_core::{
    seal_item, ItemId, ItemKind, PublicKey, SealParams, StaticKey, StaticSecret, TenantId,
};
use rand::{Rng, RngCore};
use serde_json::{json, Value};

use crate::common::{advisor_login, b64, start, BIN};

const CYCLES: usize = 5;
const SUBMITTERS: usize = 16;

fn cli(data: &Path, args: &[&str]) {
    let status = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("MELDKLUIS_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .expect("run the CLI");
    assert!(status.success(), "meldkluis-server {args:?} failed");
}

struct Fixture {
    tenant: TenantId,
    advisor: StaticSecret,
    recipients_base: Vec<PublicKey>,
}

fn seal_report(fixture: &Fixture, mailbox: &StaticSecret, report_id: ItemId) -> Vec<u8> {
    let mut recipients = vec![mailbox.public_key()];
    recipients.extend_from_slice(&fixture.recipients_base);
    let mut content = vec![0u8; 4000];
    rand::rngs::OsRng.fill_bytes(&mut content);
    let params = SealParams {
        kind: ItemKind::Report,
        tenant: &fixture.tenant,
        item_id: report_id,
        report_id,
        sender: mailbox,
        recipients: &recipients,
    };
    seal_item(&params, &content, &mut rand::rngs::OsRng).expect("seal")
}

/// Submits reports until the server goes away; records each acknowledged one.
async fn submit_until_gone(
    http: reqwest::Client,
    base: String,
    fixture: Arc<Fixture>,
    acked: Arc<Mutex<HashMap<String, Vec<u8>>>>,
) {
    loop {
        let mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
        let report_id = ItemId::random(&mut rand::rngs::OsRng);
        let item = seal_report(&fixture, &mailbox, report_id);
        let mut mailbox_id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut mailbox_id);
        let body = json!({
            "item": b64(&item),
            "mailbox_id": hex::encode(mailbox_id),
            "mailbox_public_key": mailbox.public_key().to_hex(),
            "auth_secret": hex::encode([7u8; 32]),
        });
        let url = format!("{base}/api/v1/t/{}/reports", fixture.tenant);
        match http.post(url).json(&body).send().await {
            Ok(response) if response.status() == 201 => {
                acked.lock().expect("lock").insert(report_id.to_hex(), item);
            }
            Ok(response) => panic!("submission answered {}", response.status()),
            Err(_) => return,
        }
    }
}

/// Logs in as the advisor and checks every acknowledged report is there, intact.
async fn verify(
    http: &reqwest::Client,
    base: &str,
    fixture: &Fixture,
    acked: &HashMap<String, Vec<u8>>,
) {
    let t = fixture.tenant.as_str();
    let token = &advisor_login(http, base, base, &fixture.tenant, &fixture.advisor).await;
    let list: Value = http
        .get(format!("{base}/api/v1/t/{t}/advisor/reports"))
        .bearer_auth(token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let stored: std::collections::HashSet<&str> = list["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .map(|r| r["report_id"].as_str().expect("id"))
        .collect();
    for id in acked.keys() {
        assert!(
            stored.contains(id.as_str()),
            "acknowledged report {id} is missing after a crash"
        );
    }
    // Every acknowledged report's bytes, compared in full.
    for (id, item) in acked {
        let thread: Value = http
            .get(format!("{base}/api/v1/t/{t}/advisor/reports/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("thread")
            .json()
            .await
            .expect("json");
        assert_eq!(
            thread["report"].as_str().expect("item"),
            b64(item),
            "report {id} changed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_reports_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let advisor = StaticSecret::generate(&mut rand::rngs::OsRng);
    let recovery = StaticSecret::generate(&mut rand::rngs::OsRng);
    cli(
        data,
        &["tenant", "create", "crash-test", "--name", "Crash test"],
    );
    // Far more reports in a day than the default quota (set through the
    // operator's command, which this also exercises).
    cli(
        data,
        &[
            "tenant",
            "set-quotas",
            "crash-test",
            "--reports-per-day",
            "100000000",
        ],
    );
    cli(
        data,
        &[
            "recovery-key",
            "set",
            "crash-test",
            &recovery.public_key().to_hex(),
        ],
    );
    cli(
        data,
        &[
            "advisor",
            "add",
            "crash-test",
            "--public-key",
            &advisor.public_key().to_hex(),
            "--name",
            "A",
        ],
    );
    let fixture = Arc::new(Fixture {
        tenant: TenantId::new("crash-test").expect("valid"),
        recipients_base: vec![recovery.public_key(), advisor.public_key()],
        advisor,
    });
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let acked: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();

    for cycle in 0..=CYCLES {
        let (mut child, base) = start(data);
        let snapshot = acked.lock().expect("lock").clone();
        verify(&http, &base, &fixture, &snapshot).await;
        if cycle == CYCLES {
            child.kill().expect("stop");
            child.wait().expect("wait");
            break;
        }
        let submitters: Vec<_> = (0..SUBMITTERS)
            .map(|_| {
                tokio::spawn(submit_until_gone(
                    http.clone(),
                    base.clone(),
                    fixture.clone(),
                    acked.clone(),
                ))
            })
            .collect();
        let delay = rand::thread_rng().gen_range(150..700);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("wait");
        for submitter in submitters {
            submitter.await.expect("submitter");
        }
        let count = acked.lock().expect("lock").len();
        eprintln!("cycle {cycle}: killed after {delay} ms, {count} acknowledged reports so far");
    }
    assert!(
        acked.lock().expect("lock").len() > SUBMITTERS,
        "the load acknowledged reports"
    );
}
