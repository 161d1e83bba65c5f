//! The recipient page (`meldkluis-advisor recipient`), in real headless
//! Chromium against the real server, in Dutch and English, with data
//! present: axe-core (WCAG 2.1 A and AA, the same rules and helper as
//! `console_a11y`) finds nothing on any of its states, and on paper (the
//! print stylesheet) no form, button, navigation, back link or download
//! button is left. The states: the management recipient's list (a figures
//! report and the warning for an item from a sender not believed), an
//! opened figures report (tables and charts), the forward recipient's list
//! (a forward), an opened forward (text and an attachment link), the
//! refusal of an attachment whose content is not what the forward names,
//! and an item the page has not got (404).
//!
//! (A software key stands for the recipient's token, as in the other
//! console tests.)

use meldkluis_crypto_core::{ItemKind, PublicKey, StaticKey as _, StaticSecret};
use meldkluis_i18n::catalog;
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::console::recipient::{RecipientOptions, RecipientPage};
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_keys::figures::{self, CaseRecord, FiguresReport, Period};
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::{client, new_item_id, seal, submit_report, Mailbox, TestServer, TestTenant};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::reporter_a11y::{axe_source, axe_violations, not_hidden_in_print};

/// What the print stylesheet must hide: forms, buttons, navigation, the
/// back link and the CSV download button.
const PRINT_HIDES: &str = "form, button, nav, .back, a.button";

/// A figures report of 2025-Q3 with six web reports (the channel count 6
/// is published at the default threshold 5), as a console computes it.
fn figures_report(tenant: &str) -> FiguresReport {
    let period = Period::quarter(2025, 3).expect("a quarter");
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
        tenant: tenant.into(),
        today: Day::today().to_string(),
        terms: figures::Terms::default(),
        threshold: figures::Threshold::default(),
        categories: Vec::new(),
    };
    figures::compute(period, &records, &setup, &[]).expect("figures")
}

/// Starts the recipient page for `key` in `lang`, logged in; returns its
/// entry address (with the session secret) and its stop switch.
async fn start_page(
    server: &TestServer,
    tenant: &TestTenant,
    key: &StaticSecret,
    enrolled: Option<EnrolledKeys>,
    lang: &str,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), meldkluis_keys::Error>>,
) {
    let page = RecipientPage::bind(
        "127.0.0.1:0".parse().expect("address"),
        RecipientOptions {
            server: server.base.clone(),
            tenant: tenant.id.clone(),
            enrolled,
            lang: catalog().lang(lang).expect("a language"),
        },
        Box::new(StaticSecret::from_bytes(*key.expose_secret_bytes())),
    )
    .await
    .expect("the recipient page");
    page.log_in().await.expect("log in as a recipient");
    let url = page.url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(page.serve(async {
        let _ = stopped.await;
    }));
    (url, stop, serving)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_recipient_page_state_in_either_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 2);
    let http = client();
    let t = tenant.id.as_str();
    let (a, b) = (&tenant.advisors[0], &tenant.advisors[1]);
    let mut rng = meldkluis_crypto_core::os_rng();
    let [management, forward] = std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    admin
        .add_recipient(
            &tenant.id,
            "management",
            "Directie — J. Smit",
            &management.public_key(),
        )
        .expect("a management recipient");
    admin
        .add_recipient(
            &tenant.id,
            "forward",
            "HR — P. de Boer",
            &forward.public_key(),
        )
        .expect("a forward recipient");

    // A figures report published by A, and one by B, whom the management
    // recipient's file of confirmed keys does not name.
    let report = figures_report(t);
    let to: Vec<PublicKey> = vec![management.public_key(), a.public_key(), b.public_key()];
    let mut published = Vec::new();
    for sender in [a, b] {
        let advisor = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
        advisor.log_in(sender).await.expect("advisor log-in");
        let id = new_item_id();
        let item = seal(
            ItemKind::Message,
            &tenant.id,
            id,
            id,
            sender,
            &to,
            &report.to_json(),
        );
        published.push(
            advisor
                .post_figures(&report.period.to_string(), &item)
                .await
                .expect("published"),
        );
    }
    let figures_id = published[0].clone();
    let enrolled = EnrolledKeys {
        advisors: vec![(a.public_key(), "Advisor 0".into())],
        recovery: None,
        earlier: Vec::new(),
        former_recovery: Vec::new(),
        recipients: Vec::new(),
    };

    // A report, forwarded by A to the forward recipient with an attachment
    // and a second one whose content is not what the forward names.
    let mailbox = Mailbox::random();
    let sealed = mailbox.seal_report(
        &tenant,
        json!({"format": "meldkluis-report/1", "answers": {}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&sealed)).await,
        201
    );
    let report_hex = mailbox.report_id.to_hex();
    let advisor = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    advisor.log_in(a).await.expect("advisor log-in");
    let forward_to = [forward.public_key()];
    let file: Vec<u8> = (0..4_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut ids = Vec::new();
    for content in [&file[..], b"not what the forward names"] {
        let id = new_item_id();
        let item = seal(
            ItemKind::Attachment,
            &tenant.id,
            id,
            mailbox.report_id,
            a,
            &forward_to,
            content,
        );
        ids.push(
            advisor
                .post_forward_attachment(&report_hex, item)
                .await
                .expect("attachment"),
        );
    }
    let named = |id: &str, name: &str| {
        json!({"id": id, "name": name, "type": "application/pdf",
               "size": file.len(), "sha256": hex::encode(Sha256::digest(&file))})
    };
    let content = json!({
        "format": "meldkluis-forward/1",
        "draft_id": hex::encode([2u8; 16]),
        "version": 1,
        "subject_hash": hex::encode([3u8; 32]),
        "text": "Melding over pesten op afdeling X.\nDe melder wil dit bij HR.\n\nGraag oppakken.",
        "attachments": [named(&ids[0], "verslag.pdf"), named(&ids[1], "notulen.pdf")],
        "register_number": 7,
        "forwarded_day": "2026-11-30",
        "advisor": "Advisor 0",
        "recipient": {"public_key": forward.public_key().to_hex(), "label": "HR — P. de Boer"},
    })
    .to_string();
    let forward_id = new_item_id();
    let item = seal(
        ItemKind::Message,
        &tenant.id,
        forward_id,
        mailbox.report_id,
        a,
        &forward_to,
        content.as_bytes(),
    );
    advisor
        .post_forward(&report_hex, item, &ids)
        .await
        .expect("forwarded");
    let forward_id = forward_id.to_hex();

    let axe = axe_source();
    let mut violations = Vec::new();
    let mut not_hidden = Vec::new();
    let mut pages_checked = Vec::new();
    for lang in ["nl", "en"] {
        let browser = Browser::start_in(lang).await;
        macro_rules! page {
            ($what:expr) => {{
                let what = format!("{lang} {}", $what);
                violations.extend(axe_violations(&browser, &axe, &what).await);
                let left: Vec<String> = not_hidden_in_print(&browser, PRINT_HIDES).await;
                not_hidden.extend(left.into_iter().map(|e| format!("{what}: {e}")));
                pages_checked.push(what);
            }};
        }

        // The management recipient, believing A only.
        let (url, stop, serving) =
            start_page(&server, &tenant, &management, Some(enrolled.clone()), lang).await;
        let base = url.split("/?k=").next().expect("base").to_owned();
        browser.goto(&url).await;
        browser
            .find(&format!(
                "#recipient-untrusted li[data-item='{}']",
                published[1]
            ))
            .await;
        browser
            .find(&format!("#recipient-items li[data-item='{figures_id}']"))
            .await;
        page!("management list with a sender not believed");
        browser
            .find("#recipient-items a")
            .await
            .click()
            .await
            .expect("open the figures report");
        browser.find("#recipient-figures svg").await;
        page!("figures report");
        browser
            .goto(&format!("{base}/items/{}", new_item_id().to_hex()))
            .await;
        browser.find("#recipient-not-found").await;
        page!("no such item");
        let _ = stop.send(());
        serving.await.expect("page task").expect("page served");

        // The forward recipient.
        let (url, stop, serving) = start_page(&server, &tenant, &forward, None, lang).await;
        let base = url.split("/?k=").next().expect("base").to_owned();
        browser.goto(&url).await;
        browser
            .find(&format!("#recipient-items li[data-item='{forward_id}']"))
            .await;
        page!("forward list");
        browser
            .find("#recipient-items a")
            .await
            .click()
            .await
            .expect("open the forward");
        browser.find("#recipient-forward-attachments a").await;
        page!("forward");
        browser
            .goto(&format!("{base}/items/{forward_id}/attachments/{}", ids[1]))
            .await;
        browser.find("#recipient-attachment-refused").await;
        page!("attachment refused");
        let _ = stop.send(());
        serving.await.expect("page task").expect("page served");

        browser.close().await;
    }
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(not_hidden.is_empty(), "left on paper: {not_hidden:#?}");
    assert_eq!(pages_checked.len(), 2 * 6, "{pages_checked:#?}");
}
