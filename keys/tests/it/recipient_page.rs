//! The recipient page (issue 12), `meldkluis-advisor recipient`: a
//! management or forward recipient whose key is on a token (enrolled by the
//! operator with `recipient add … --public-key`; a software key stands for
//! the token here, as in the other console tests) logs in with the
//! recipient challenge against the real server in this process and reads
//! what is sealed to it:
//!
//! - a management recipient sees a published figures report, rendered from
//!   exactly the document the advisor sealed, and downloads its CSV;
//! - a forward recipient sees a forward read-only and downloads its
//!   attachment byte for byte, checked against the size and SHA-256 the
//!   forward names; an attachment whose content differs is refused;
//! - an item sealed by a key that is not a believed advisor is not shown,
//!   and named in a warning;
//! - the page answers only under its capability path, with the session
//!   cookie and the right `Host`, and every answer is `no-store` under the
//!   console's CSP.
// Test code: a panic with its location is the failure report.

use meldkluis_crypto_core::{os_rng, ItemId, ItemKind, PublicKey, StaticKey as _, StaticSecret};
use meldkluis_i18n::catalog;
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::console::recipient::{RecipientOptions, RecipientPage};
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_keys::figures::{self, CaseRecord, FiguresReport, Period};
use meldkluis_server::dates::Day;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::real_server::{self, RealServer};

/// The real server with advisors A and B, a management recipient M and a
/// forward recipient F (both added by key, as a token holder's are).
struct Setup {
    server: RealServer,
    a: StaticSecret,
    b: StaticSecret,
    management: StaticSecret,
    forward: StaticSecret,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = real_server::start(dir.path(), "acme", "Acme").await;
    let mut rng = os_rng();
    let [a, b, management, forward] = std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    let admin = &server.admin;
    admin
        .add_advisor(&server.tenant, &a.public_key(), "A. de Vries")
        .unwrap();
    admin
        .add_advisor(&server.tenant, &b.public_key(), "B. Jansen")
        .unwrap();
    admin
        .add_recipient(
            &server.tenant,
            "management",
            "Directie — J. Smit",
            &management.public_key(),
        )
        .unwrap();
    admin
        .add_recipient(
            &server.tenant,
            "forward",
            "HR — P. de Boer",
            &forward.public_key(),
        )
        .unwrap();
    Setup {
        server,
        a,
        b,
        management,
        forward,
        _dir: dir,
    }
}

/// The recipient's browser, as far as these tests need one.
struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT`
    origin: String,
    /// `origin` + `/c/<capability>`
    base: String,
    cookie: String,
}

impl Browser {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn text(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// Starts the recipient page for `key` (logged in), opens it as the
/// recipient's browser does.
async fn open_page(setup: &Setup, key: &StaticSecret, enrolled: Option<EnrolledKeys>) -> Browser {
    let options = RecipientOptions {
        server: setup.server.base.clone(),
        tenant: setup.server.tenant.clone(),
        enrolled,
        lang: catalog().lang("en").unwrap(),
    };
    let page = RecipientPage::bind(
        "127.0.0.1:0".parse().unwrap(),
        options,
        Box::new(StaticSecret::from_bytes(*key.expose_secret_bytes())),
    )
    .await
    .unwrap();
    page.log_in().await.unwrap();
    let url = page.url();
    tokio::spawn(page.serve(std::future::pending()));
    let http = crate::console_attacks::page_http();
    let entry = http.get(&url).send().await.unwrap();
    assert_eq!(entry.status(), 303);
    let set_cookie = entry.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    let (base, _) = url.split_once("/?k=").unwrap();
    Browser {
        http,
        origin: base.split("/c/").next().unwrap().to_owned(),
        base: base.to_owned(),
        cookie: set_cookie.split(';').next().unwrap().to_owned(),
    }
}

/// A figures report of 2025-Q3 with six web reports (so the channel count
/// 6 is published at the default threshold 5), as a console computes it.
fn figures_report() -> FiguresReport {
    let period = Period::quarter(2025, 3).unwrap();
    let records: Vec<CaseRecord> = (1..=6)
        .map(|n| CaseRecord {
            number: n,
            received_day: format!("2025-08-0{n}"),
            acknowledged_day: Some(format!("2025-08-0{}", n + 1)),
            feedback_day: None,
            closed_day: None,
            closing_reason: None,
            category: None,
            channel: "web".into(),
            report_id: None,
            anonymous: None,
            reporter_category: None,
        })
        .collect();
    let setup = figures::Setup {
        tenant: "acme".into(),
        today: Day::today().to_string(),
        terms: figures::Terms::default(),
        threshold: figures::Threshold::default(),
        categories: Vec::new(),
    };
    figures::compute(period, &records, &setup, &[]).unwrap()
}

/// Publishes `report` as advisor `sender`, sealed to `recipients`.
async fn publish(
    setup: &Setup,
    sender: &StaticSecret,
    recipients: &[PublicKey],
    report: &FiguresReport,
) -> String {
    let client = ServerClient::new(&setup.server.base, setup.server.tenant.clone()).unwrap();
    client.log_in(sender).await.unwrap();
    let id = ItemId::random(&mut os_rng());
    let item = real_server::seal(
        &setup.server.tenant,
        ItemKind::Message,
        id,
        id,
        sender,
        recipients,
        &report.to_json(),
    );
    client
        .post_figures(&report.period.to_string(), &item)
        .await
        .unwrap()
}

fn en() -> meldkluis_i18n::Lang {
    catalog().lang("en").unwrap()
}

/// Advisor A publishes `report` to the management recipient (and to
/// itself); returns the item's id.
async fn publish_to_management(setup: &Setup, report: &FiguresReport) -> String {
    publish(
        setup,
        &setup.a,
        &[setup.management.public_key(), setup.a.public_key()],
        report,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_management_recipient_added_by_key_reads_a_published_figures_report() {
    let setup = setup().await;
    let report = figures_report();
    let id = publish_to_management(&setup, &report).await;
    let browser = open_page(&setup, &setup.management, None).await;

    let (status, list) = browser.text("/").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("Directie — J. Smit"), "{list}");
    assert!(list.contains(&format!("data-item=\"{id}\"")), "{list}");
    assert!(list.contains("Figures report 2025-Q3"), "{list}");
    assert!(
        list.contains("data-from=\"config\""),
        "says whom it believes"
    );
    assert!(!list.contains("recipient-untrusted"), "{list}");

    // The page shows exactly what the sealed document says: its rendering
    // is the renderer's output for the document the advisor sealed.
    let (status, page) = browser.text(&format!("/items/{id}")).await;
    assert_eq!(status, 200, "{page}");
    let expected = figures::render::render(&report, en(), &[]).into_string();
    assert!(page.contains(&expected), "{page}");
    assert!(page.contains("<svg"), "a chart");

    let csv = browser.get(&format!("/items/{id}/csv")).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let csv = csv.text().await.unwrap();
    let direct = figures::csv::to_csv(&report, en());
    assert_eq!(
        csv.lines().count(),
        direct.trim_start_matches('\u{feff}').lines().count(),
        "{csv}"
    );
    assert!(csv.contains(",6"), "the published count: {csv}");

    // An id it has not got, or that is not an id: 404.
    let other = ItemId::random(&mut os_rng()).to_hex();
    assert_eq!(browser.get(&format!("/items/{other}")).await.status(), 404);
    assert_eq!(browser.get("/items/nonsense").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_recipient_reads_a_forward_and_downloads_its_attachment_byte_identical() {
    let setup = setup().await;
    let tenant = &setup.server.tenant;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut rng = os_rng();
    // A report in the server, sealed to A, the recovery key and the mailbox.
    let mailbox = StaticSecret::generate(&mut rng);
    let report_id = ItemId::random(&mut rng);
    let report = real_server::seal(
        tenant,
        ItemKind::Report,
        report_id,
        report_id,
        &mailbox,
        &[
            setup.a.public_key(),
            setup.b.public_key(),
            setup.server.recovery.public_key(),
            mailbox.public_key(),
        ],
        br#"{"format":"meldkluis-report/1","answers":{}}"#,
    );
    let status = real_server::submit_report(
        &http,
        &setup.server.base,
        tenant,
        &mailbox,
        [5; 16],
        &report,
    )
    .await;
    assert!(status.is_success(), "{status}");

    // A forwards it to F with one attachment, and a second attachment
    // whose content differs from what the forward names.
    let client = ServerClient::new(&setup.server.base, tenant.clone()).unwrap();
    client.log_in(&setup.a).await.unwrap();
    let to = [setup.forward.public_key()];
    let file: Vec<u8> = (0..70_321u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut ids = Vec::new();
    for content in [&file[..], b"not what the forward names"] {
        let id = ItemId::random(&mut rng);
        let sealed = real_server::seal(
            tenant,
            ItemKind::Attachment,
            id,
            report_id,
            &setup.a,
            &to,
            content,
        );
        let stored = client
            .post_forward_attachment(&report_id.to_hex(), sealed)
            .await
            .unwrap();
        assert_eq!(stored, id.to_hex());
        ids.push(stored);
    }
    let named = |id: &str, name: &str| {
        json!({"id": id, "name": name, "type": "application/octet-stream",
               "size": file.len(), "sha256": hex::encode(Sha256::digest(&file))})
    };
    let content = json!({
        "format": "meldkluis-forward/1",
        "draft_id": hex::encode([2u8; 16]),
        "version": 1,
        "subject_hash": hex::encode([3u8; 32]),
        "text": "Melding over <b>pesten</b> op afdeling X.\nGraag oppakken.",
        "attachments": [named(&ids[0], "verslag.pdf"), named(&ids[1], "swapped.pdf")],
        "register_number": 7,
        "forwarded_day": "2026-12-01",
        "advisor": "A. de Vries",
        "recipient": {"public_key": setup.forward.public_key().to_hex(), "label": "HR — P. de Boer"},
    })
    .to_string();
    let forward_id = ItemId::random(&mut rng);
    let forward = real_server::seal(
        tenant,
        ItemKind::Message,
        forward_id,
        report_id,
        &setup.a,
        &to,
        content.as_bytes(),
    );
    client
        .post_forward(&report_id.to_hex(), forward, &ids)
        .await
        .unwrap();

    let browser = open_page(&setup, &setup.forward, None).await;
    let (status, list) = browser.text("/").await;
    assert_eq!(status, 200, "{list}");
    let fid = forward_id.to_hex();
    assert!(list.contains(&format!("data-item=\"{fid}\"")), "{list}");
    let (status, page) = browser.text(&format!("/items/{fid}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Melding over &lt;b&gt;pesten&lt;/b&gt; op afdeling X."),
        "the text, escaped: {page}"
    );
    assert!(page.contains("register number 7"), "{page}");
    assert!(page.contains("verslag.pdf"), "{page}");
    assert!(!page.contains("<form"), "read-only: no form");
    assert!(
        !page.contains(" style="),
        "no inline style (the CSP allows none)"
    );

    let download = browser
        .get(&format!("/items/{fid}/attachments/{}", ids[0]))
        .await;
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("verslag.pdf"));
    assert_eq!(download.headers()["cache-control"], "no-store");
    assert_eq!(download.bytes().await.unwrap().as_ref(), &file[..]);

    // The attachment whose content is not what the forward names: refused.
    let (status, refused) = browser
        .text(&format!("/items/{fid}/attachments/{}", ids[1]))
        .await;
    assert_eq!(status, 502, "{refused}");
    assert!(
        refused.contains("recipient-attachment-refused"),
        "{refused}"
    );
    // An attachment the forward does not name: 404.
    let other = ItemId::random(&mut rng).to_hex();
    assert_eq!(
        browser
            .get(&format!("/items/{fid}/attachments/{other}"))
            .await
            .status(),
        404
    );

    // The management recipient has nothing of it.
    let management = open_page(&setup, &setup.management, None).await;
    let (_, list) = management.text("/").await;
    assert!(!list.contains(&fid), "{list}");
    assert_eq!(management.get(&format!("/items/{fid}")).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_sealed_by_a_key_not_believed_is_not_shown_but_named() {
    let setup = setup().await;
    let report = figures_report();
    let to = [
        setup.management.public_key(),
        setup.a.public_key(),
        setup.b.public_key(),
    ];
    let from_a = publish(&setup, &setup.a, &to, &report).await;
    // B is an advisor the server serves, but the recipient's file of
    // confirmed keys has A only (a key the server added or substituted).
    let from_b = publish(&setup, &setup.b, &to, &report).await;
    let enrolled = EnrolledKeys {
        advisors: vec![(setup.a.public_key(), "A. de Vries".into())],
        recovery: None,
        earlier: Vec::new(),
        former_recovery: Vec::new(),
        recipients: Vec::new(),
    };
    let browser = open_page(&setup, &setup.management, Some(enrolled)).await;
    let (status, list) = browser.text("/").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("data-from=\"file\""), "{list}");
    let shown = list.split("id=\"recipient-items\"").nth(1).unwrap();
    assert!(shown.contains(&from_a), "{list}");
    assert!(!shown.contains(&from_b), "B's item is not listed: {list}");
    let warning = list
        .split("id=\"recipient-untrusted\"")
        .nth(1)
        .expect("a warning")
        .split("</section>")
        .next()
        .unwrap();
    assert!(warning.contains(&from_b), "{warning}");
    assert!(
        warning.contains(&setup.b.public_key().fingerprint()),
        "{warning}"
    );
    assert_eq!(browser.get(&format!("/items/{from_b}")).await.status(), 404);
    assert_eq!(
        browser.get(&format!("/items/{from_b}/csv")).await.status(),
        404
    );

    // The same page without a file believes the advisors the server lists
    // (the documented limit), so B's item is shown there.
    let browser = open_page(&setup, &setup.management, None).await;
    let (_, list) = browser.text("/").await;
    assert!(list.contains("data-from=\"config\""));
    assert!(!list.contains("id=\"recipient-untrusted\""), "{list}");
    assert_eq!(browser.get(&format!("/items/{from_b}")).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_page_needs_its_capability_path_and_cookie_and_is_no_store() {
    let setup = setup().await;
    let report = figures_report();
    let id = publish_to_management(&setup, &report).await;
    let browser = open_page(&setup, &setup.management, None).await;
    let item = format!("/items/{id}");

    for path in ["/", item.as_str(), "/console.css"] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(!csp.contains("script-src"), "no script: {csp}");
    }
    // Without the capability path: 404, with the cookie or without.
    for path in ["/", item.as_str()] {
        let response = browser
            .http
            .get(format!("{}{path}", browser.origin))
            .header("cookie", &browser.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let wrong = format!("{}/c/{}{path}", browser.origin, "0".repeat(64));
        let response = browser
            .http
            .get(wrong)
            .header("cookie", &browser.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    // Under the capability path without the session cookie, or with
    // another one: 403 and nothing of the item.
    for cookie in [None, Some("meldkluis_console=00")] {
        let mut request = browser.http.get(format!("{}{item}", browser.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert!(!response.text().await.unwrap().contains("<svg"));
    }
    // Another Host (a DNS-rebound name): refused.
    let response = browser
        .http
        .get(format!("{}{item}", browser.base))
        .header("cookie", &browser.cookie)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 421);
}

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");

/// Runs `meldkluis-advisor recipient` with the demo key file `key_file`;
/// returns the child and, once printed, the address line (or `None` when
/// it exited first), with standard error.
fn run_recipient_cli(
    setup: &Setup,
    key_file: &std::path::Path,
) -> (std::process::Child, Option<String>, String) {
    use std::io::{BufRead as _, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(ADVISOR)
        .args([
            "recipient",
            "--server",
            &setup.server.base,
            "--tenant",
            "acme",
            "--lang",
            "en",
        ])
        .arg("--insecure-demo-file")
        .arg(key_file)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    // The first line on standard output is the address, or none at all
    // when the log-in failed and the program ended.
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("meldkluis recipient page: open ")
                .map(str::to_owned)
        });
    let errors = if url.is_none() {
        errors.join().unwrap()
    } else {
        String::new()
    };
    (child, url, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_cli_logs_in_and_serves_the_page_and_a_removed_recipient_cannot() {
    let setup = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("DEMO-management.hex");
    std::fs::write(
        &key_file,
        hex::encode(setup.management.expose_secret_bytes()),
    )
    .unwrap();
    let report = figures_report();
    let id = publish_to_management(&setup, &report).await;

    let setup_ref = &setup;
    let key_ref = key_file.clone();
    let (mut child, url, _) =
        tokio::task::block_in_place(|| run_recipient_cli(setup_ref, &key_ref));
    let url = url.expect("the address is printed");
    assert!(url.starts_with("http://127.") && url.contains("/c/") && url.contains("/?k="));
    let http = crate::console_attacks::page_http();
    let entry = http.get(&url).send().await.unwrap();
    assert_eq!(entry.status(), 303);
    let cookie = entry.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (base, _) = url.split_once("/?k=").unwrap();
    let list = http
        .get(format!("{base}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("data-item=\"{id}\"")), "{list}");
    child.kill().unwrap();
    child.wait().unwrap();

    // Removed by the operator: the log-in fails, nothing is served.
    setup
        .server
        .admin
        .remove_recipient(&setup.server.tenant, &setup.management.public_key())
        .unwrap();
    let (mut child, url, errors) =
        tokio::task::block_in_place(|| run_recipient_cli(setup_ref, &key_ref));
    assert!(url.is_none(), "no page for a removed recipient");
    assert!(errors.contains("logging in as a recipient"), "{errors}");
    assert!(!child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_page_logs_out_when_it_stops() {
    let setup = setup().await;
    let page = RecipientPage::bind(
        "127.0.0.1:0".parse().unwrap(),
        RecipientOptions {
            server: setup.server.base.clone(),
            tenant: setup.server.tenant.clone(),
            enrolled: None,
            lang: en(),
        },
        Box::new(StaticSecret::from_bytes(
            *setup.forward.expose_secret_bytes(),
        )),
    )
    .await
    .unwrap();
    page.log_in().await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(page.serve(async {
        let _ = stopped.await;
    }));
    stop.send(()).unwrap();
    // `serve` ends with `POST recipient/logout`, which the server answered.
    serving.await.unwrap().unwrap();
}
