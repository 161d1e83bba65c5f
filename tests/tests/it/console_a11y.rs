//! Every page of the advisor console, in real headless Chromium against the
//! real server, in Dutch and English, with data present: axe-core (WCAG 2.1
//! A and AA) finds nothing on any of them, and on paper (the print
//! stylesheet) no form, button or navigation is left. The pages: the
//! log-in, the list of reports, an open and a closed report (with messages,
//! attachments, the forwarding section and history), the register, figures
//! (the period choice, a preview, just published, one opened, a period
//! refused), the recipients (confirmed and not), and every state
//! a form can lead to: a refused input, a report swapped under its id, a
//! page the server has no report for, the key-substitution alarm, and a
//! request without the console's secret.
//!
//! (The key is in software here; the token path of the same console is
//! `tests/tests/console_browser.rs`.)

use meldkluis_crypto_core::{ItemKind, StaticKey as _, StaticSecret};
use meldkluis_keys::enrolled::{ConfirmedRecipient, EnrolledKeys, RecipientRole};
use meldkluis_server::clock::ManualClock;
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::{
    advisor_login, advisor_post_message, b64, client, mailbox_login, new_item_id, open, seal,
    submit_report, unb64, Mailbox, TestServer, TestTenant,
};
use serde_json::json;

use crate::console_harness::{
    last_quarter, preview_figures, previous_quarter_start, report_content, seed_a_quarter,
    RunningConsole,
};
use crate::reporter_a11y::{axe_source, axe_violations, not_hidden_in_print};

/// What the print stylesheet must hide: forms, buttons and navigation.
const PRINT_HIDES: &str = "form, button, nav";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_nothing_on_any_console_page_in_either_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let today = Day::today();
    let earlier = previous_quarter_start(today).add_days(10);
    let clock = std::sync::Arc::new(ManualClock::at(earlier, 10));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 2);
    let advisor = &tenant.advisors[0];
    let http = client();
    let t = tenant.id.as_str();

    // Twelve reports in the last quarter (enough for figures that are not
    // all suppressed), named and anonymous, in two categories; one of
    // them with a message and an attachment, one closed and held.
    let mailboxes = seed_a_quarter(&http, &server, &tenant, &clock, earlier).await;
    // A report of today per language, open, with a message each way and
    // an attachment (each is taken through the forwarding states).
    clock.set(today, 9);
    let token = advisor_login(&http, &server, &tenant.id, advisor).await;
    let mut opens = Vec::new();
    for _ in ["nl", "en"] {
        let open = Mailbox::random();
        let report = open.seal_report(
            &tenant,
            &report_content(false, "pesten", "Er wordt gepest op de afdeling."),
        );
        assert_eq!(
            submit_report(&http, &server, t, &open.report_body(&report)).await,
            201
        );
        let reporter = mailbox_login(&http, &server, t, &open).await;
        let attachment = seal(
            ItemKind::Attachment,
            &tenant.id,
            new_item_id(),
            open.report_id,
            &open.key,
            &open.recipients(&tenant, &tenant.advisor_keys()),
            b"an attachment",
        );
        let uploaded = http
            .post(server.url(t, "/mailbox/attachments"))
            .bearer_auth(&reporter)
            .body(attachment)
            .send()
            .await
            .expect("upload");
        assert_eq!(uploaded.status(), 201);
        assert_eq!(
            advisor_post_message(
                &http,
                &server,
                &tenant,
                &token,
                advisor,
                &open,
                json!({ "format": "meldkluis-message/1", "text": "Dank voor uw melding.", "attachments": [] })
                    .to_string()
                    .as_bytes(),
            )
            .await,
            201
        );
        opens.push((open, reporter));
    }
    let closed = &mailboxes[0];
    // The organisation's recipients: a management and a forward recipient
    // the advisor confirmed, and a management recipient the server serves
    // that the advisor did not (yet) confirm.
    let mut rng = meldkluis_crypto_core::os_rng();
    let [management, unconfirmed, forward] =
        std::array::from_fn(|_| StaticSecret::generate(&mut rng));
    for (key, role, label) in [
        (&management, "management", "Directie — J. Smit"),
        (&unconfirmed, "management", "OR — K. de Wit"),
        (&forward, "forward", "HR — P. de Boer"),
    ] {
        admin
            .add_recipient(&tenant.id, role, label, &key.public_key())
            .expect("a recipient");
    }
    let confirmed = vec![
        ConfirmedRecipient {
            role: RecipientRole::Management,
            public_key: management.public_key(),
            label: "Directie — J. Smit".into(),
        },
        ConfirmedRecipient {
            role: RecipientRole::Forward,
            public_key: forward.public_key(),
            label: "HR — P. de Boer".into(),
        },
    ];
    let last_quarter = last_quarter(today);

    let axe = axe_source();
    let mut violations = Vec::new();
    let mut not_hidden = Vec::new();
    let mut pages_checked = Vec::new();
    for (round, lang) in ["nl", "en"].into_iter().enumerate() {
        let (open, reporter) = &opens[round];
        let console = RunningConsole::start(
            &server,
            &tenant,
            EnrolledKeys {
                advisors: vec![
                    (advisor.public_key(), "Advisor 0".into()),
                    (tenant.advisors[1].public_key(), "Advisor 1".into()),
                ],
                recovery: Some(tenant.recovery.public_key()),
                earlier: Vec::new(),
                former_recovery: Vec::new(),
                recipients: confirmed.clone(),
            },
            lang,
        )
        .await;
        let (url, base) = (console.url.clone(), console.base.clone());
        let browser = Browser::start_in(lang).await;
        macro_rules! page {
            ($what:expr) => {{
                let what = format!("{lang} {}", $what);
                violations.extend(axe_violations(&browser, &axe, &what).await);
                let left: Vec<String> = not_hidden_in_print(&browser, PRINT_HIDES).await;
                not_hidden.extend(left.into_iter().map(|e| format!("{what}: {e}")));
                screenshot(&browser, &what).await;
                pages_checked.push(what);
            }};
        }

        browser.goto(&url).await;
        browser.find("#login").await;
        page!("log-in");
        browser.find("#login").await.click().await.expect("log in");
        browser
            .wait_for_js(
                "the report list",
                "return document.getElementById('reports') !== null;",
            )
            .await;
        page!("reports");

        browser
            .goto(&format!("{base}/reports/{}", open.report_id.to_hex()))
            .await;
        browser.find("#reply-text").await;
        page!("open report");
        // Forwarding: a draft to the confirmed forward recipient, sent to
        // the reporter for approval…
        browser
            .find("#forward-text-new")
            .await
            .send_keys("Melding over pesten op de afdeling; de melder wil dit bij HR.")
            .await
            .expect("type");
        browser
            .js(
                "document.querySelector('form.forward-draft button[type=submit]').click(); return true;",
                vec![],
            )
            .await;
        browser
            .find("article.approval-request[data-standing='awaiting']")
            .await;
        page!("forward draft awaiting the reporter");
        // …approved by the reporter (as the mailbox does: an approval of
        // the request's hash, sealed by the mailbox key)…
        approve_newest_request(&http, &server, &tenant, open, reporter).await;
        browser
            .goto(&format!("{base}/reports/{}", open.report_id.to_hex()))
            .await;
        browser.find("button.forward-now").await;
        page!("forward approved");
        // …and forwarded.
        browser
            .find("button.forward-now")
            .await
            .click()
            .await
            .expect("forward");
        // (The console answers the post with the report again.)
        browser.find("#forwards-made").await;
        page!("forwarded");
        // A closure without a reason, past the browser's own check: the
        // console refuses it with a page of its own.
        browser
            .js(
                "document.getElementById('close-reason').removeAttribute('required'); \
                 document.getElementById('close-report').click(); return true;",
                vec![],
            )
            .await;
        browser.find("#input-refused").await;
        page!("refused input");
        // A form that names another report than the one the server serves.
        browser
            .goto(&format!("{base}/reports/{}", open.report_id.to_hex()))
            .await;
        browser
            .js(
                "for (const f of document.querySelectorAll('input[name=report_hash]')) f.value = '00'.repeat(32); \
                 document.getElementById('save-category').click(); return true;",
                vec![],
            )
            .await;
        browser.find("#report-swapped").await;
        page!("report swapped");

        browser
            .goto(&format!("{base}/reports/{}", closed.report_id.to_hex()))
            .await;
        browser.find("#reopen").await;
        page!("closed report");

        browser
            .goto(&format!("{base}/reports/{}", new_item_id().to_hex()))
            .await;
        browser.find("p.error-text").await;
        page!("no such report");

        browser.goto(&format!("{base}/register")).await;
        browser.find("#register").await;
        page!("register");

        browser.goto(&format!("{base}/figures")).await;
        browser.find("#figures-period").await;
        page!("figures");
        preview_figures(&browser, &last_quarter).await;
        page!("figures preview");
        browser
            .find("#figures-publish")
            .await
            .click()
            .await
            .expect("publish");
        browser.find("#figures-published").await;
        page!("figures published");
        browser
            .find("#figures-published-list tbody tr a")
            .await
            .click()
            .await
            .expect("open the published report");
        browser.find("#figures-published-report").await;
        page!("published figures report");
        // A period that has not ended: refused, with a page of its own.
        let (year, month, _) = today.civil();
        browser
            .goto(&format!(
                "{base}/figures/preview?period={year}-Q{}",
                (month - 1) / 3 + 1
            ))
            .await;
        browser.find("#figures-refused").await;
        page!("figures refused");

        browser.goto(&format!("{base}/recipients")).await;
        browser.find("main h1").await;
        page!("recipients");

        // The operator swaps the colleague's key behind the console's
        // back: the alarm on every page (then the key is put back).
        let rogue = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
        admin
            .replace_advisor(
                &tenant.id,
                &tenant.advisors[1].public_key(),
                &rogue.public_key(),
                None,
            )
            .expect("swap");
        browser.goto(&format!("{base}/reports")).await;
        browser.find("#key-substitution").await;
        page!("key substitution alarm");
        admin
            .replace_advisor(
                &tenant.id,
                &rogue.public_key(),
                &tenant.advisors[1].public_key(),
                None,
            )
            .expect("swap back");

        // Without the console's secret: the refusal (a page without the
        // console's stylesheet: axe only).
        browser.client.delete_all_cookies().await.expect("cookies");
        browser.goto(&format!("{base}/reports")).await;
        let what = format!("{lang} not admitted");
        violations.extend(axe_violations(&browser, &axe, &what).await);
        pages_checked.push(what);

        browser.close().await;
        console.stop().await;
    }
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(not_hidden.is_empty(), "left on paper: {not_hidden:#?}");
    assert_eq!(pages_checked.len(), 2 * 19, "{pages_checked:#?}");
}

/// The reporter's mailbox approves the newest approval request in the
/// thread: it opens the advisor's messages with the mailbox key and answers
/// the last request with an approval of its subject hash.
async fn approve_newest_request(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    mailbox: &Mailbox,
    reporter: &str,
) {
    let t = tenant.id.as_str();
    let thread: serde_json::Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(reporter)
        .send()
        .await
        .expect("mailbox")
        .json()
        .await
        .expect("json");
    let request = thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["from"] == "advisor")
        .map(|m| {
            let item = unb64(m["item"].as_str().expect("item"));
            let content = open(&item, &mailbox.key, &tenant.id, &tenant.advisor_keys());
            serde_json::from_slice::<serde_json::Value>(&content).expect("JSON")
        })
        .rfind(|c| c["format"] == "meldkluis-approval-request/1")
        .expect("an approval request");
    let approval = json!({
        "format": "meldkluis-approval/1",
        "subject": "forward",
        "draft_id": request["draft_id"],
        "version": request["version"],
        "subject_hash": request["subject_hash"],
        "decision": "approve",
    });
    let item = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        &mailbox.key,
        &mailbox.recipients(tenant, &tenant.advisor_keys()),
        approval.to_string().as_bytes(),
    );
    let posted = http
        .post(server.url(t, "/mailbox/messages"))
        .bearer_auth(reporter)
        .json(&json!({ "item": b64(&item) }))
        .send()
        .await
        .expect("approval");
    assert_eq!(posted.status(), 201);
}

/// With `MELDKLUIS_SCREENSHOT_DIR` set, saves each page as the advisor
/// sees it (for a person to look at; nothing above depends on it).
async fn screenshot(browser: &Browser, what: &str) {
    if let Some(dir) = std::env::var_os("MELDKLUIS_SCREENSHOT_DIR") {
        // The whole page: the window as tall as the document, then back.
        let (width, height) = browser.client.get_window_size().await.expect("window size");
        let full = browser
            .js("return document.documentElement.scrollHeight;", vec![])
            .await
            .as_u64()
            .unwrap_or(height);
        browser
            .client
            .set_window_size(
                u32::try_from(width).unwrap_or(1280),
                u32::try_from(full + 140).unwrap_or(4000),
            )
            .await
            .expect("resize");
        let png = browser.client.screenshot().await.expect("screenshot");
        browser
            .client
            .set_window_size(
                u32::try_from(width).unwrap_or(1280),
                u32::try_from(height).unwrap_or(800),
            )
            .await
            .expect("resize back");
        let name = what.replace(' ', "-");
        std::fs::write(
            std::path::Path::new(&dir).join(format!("console-{name}.png")),
            png,
        )
        .expect("writing the screenshot");
    }
}
