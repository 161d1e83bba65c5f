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
use meldkluis_i18n::catalog;
use meldkluis_keys::console::{Console, ConsoleOptions};
use meldkluis_keys::enrolled::{ConfirmedRecipient, EnrolledKeys, RecipientRole};
use meldkluis_server::clock::ManualClock;
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::{Browser, BrowserOptions};
use meldkluis_tests::{
    advisor_login, advisor_post_message, advisor_set_status, b64, client, mailbox_login,
    new_item_id, open, seal, submit_report, unb64, Mailbox, TestServer, TestTenant,
};
use serde_json::json;

use crate::reporter_a11y::{axe_source, axe_violations, not_hidden_in_print};

/// What the print stylesheet must hide: forms, buttons and navigation.
const PRINT_HIDES: &str = "form, button, nav";

/// The first day of the quarter before the one `day` is in.
fn previous_quarter_start(day: Day) -> Day {
    let (year, month, _) = day.civil();
    let quarter_start = (month - 1) / 3 * 3 + 1;
    let (year, month) = if quarter_start == 1 {
        (year - 1, 10)
    } else {
        (year, quarter_start - 3)
    };
    Day::from_ymd(year, month, 1).expect("a day")
}

/// A report as the reporter's browser writes it.
fn report_content(anonymous: bool, category: &str, what: &str) -> Vec<u8> {
    let reporter = if anonymous {
        json!({ "anonymous": true })
    } else {
        json!({ "anonymous": false, "name": "J. Jansen", "contact": "", "employer_may_see": false })
    };
    json!({
        "format": "meldkluis-report/1",
        "language": "nl",
        "category": { "id": category, "label": category },
        "answers": [{ "id": "what", "question": "Wat is er gebeurd?", "type": "long_text", "value": what, "answer": what }],
        "reporter": reporter,
        "advisors": [{ "name": "Advisor 0" }],
        "attachments": [],
    })
    .to_string()
    .into_bytes()
}

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
    let mut mailboxes = Vec::new();
    for i in 0..12 {
        let mailbox = Mailbox::random();
        let category = if i % 3 == 0 {
            "discriminatie"
        } else {
            "pesten"
        };
        let report = mailbox.seal_report(
            &tenant,
            &report_content(i % 2 == 0, category, &format!("Melding {i}")),
        );
        assert_eq!(
            submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
            201
        );
        mailboxes.push(mailbox);
    }
    clock.set(earlier.add_days(3), 10);
    let token = advisor_login(&http, &server, &tenant.id, advisor).await;
    for mailbox in &mailboxes[..8] {
        assert_eq!(
            advisor_set_status(
                &http,
                &server,
                &tenant,
                &token,
                mailbox.report_id,
                "acknowledged",
                None
            )
            .await,
            200
        );
    }
    clock.set(earlier.add_days(20), 10);
    for mailbox in &mailboxes[..6] {
        assert_eq!(
            advisor_set_status(
                &http,
                &server,
                &tenant,
                &token,
                mailbox.report_id,
                "closed",
                None
            )
            .await,
            200
        );
    }
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
    let last_quarter = {
        let (year, month, _) = previous_quarter_start(today).civil();
        format!("{year}-Q{}", (month - 1) / 3 + 1)
    };

    let axe = axe_source();
    let mut violations = Vec::new();
    let mut not_hidden = Vec::new();
    let mut pages_checked = Vec::new();
    for (round, lang) in ["nl", "en"].into_iter().enumerate() {
        let (open, reporter) = &opens[round];
        let options = ConsoleOptions {
            server: server.base.clone(),
            tenant: tenant.id.clone(),
            enrolled: EnrolledKeys {
                advisors: vec![
                    (advisor.public_key(), "Advisor 0".into()),
                    (tenant.advisors[1].public_key(), "Advisor 1".into()),
                ],
                recovery: Some(tenant.recovery.public_key()),
                earlier: Vec::new(),
                former_recovery: Vec::new(),
                recipients: confirmed.clone(),
            },
            lang: catalog().lang(lang).expect("a language"),
            pins: None,
        };
        let key = StaticSecret::from_bytes(*advisor.expose_secret_bytes());
        let console = Console::bind(
            "127.0.0.1:0".parse().expect("address"),
            options,
            Box::new(key),
        )
        .await
        .expect("console");
        let url = console.url();
        let base = url.split("/?k=").next().expect("base").to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(console.serve(async {
            let _ = stopped.await;
        }));
        let browser = Browser::start_with(BrowserOptions {
            language: lang.into(),
            ..BrowserOptions::default()
        })
        .await;
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
        browser
            .find("#figures-period")
            .await
            .select_by_value(&last_quarter)
            .await
            .expect("the last quarter");
        browser
            .find("#figures-preview")
            .await
            .click()
            .await
            .expect("preview");
        browser.find("#figures-publish").await;
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
        let _ = stop.send(());
        serving
            .await
            .expect("console task")
            .expect("console served");
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
