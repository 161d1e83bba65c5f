//! The advisor console's pages for a report's end, in real headless
//! Chromium against the real server (the key in software here; the token
//! path of the same console is `tests/tests/console_browser.rs`): the
//! advisor closes a report with its reason from the keyboard-operable
//! form, keeps it longer with a hold, and reads the register. axe-core
//! (WCAG 2.1 A and AA) finds nothing on the list, the open and the closed
//! report or the register, in Dutch and English; and on paper (the print
//! stylesheet) no form, button or navigation is left.

use meldkluis_crypto_core::StaticKey as _;
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::{client, submit_report, Mailbox, TestServer, TestTenant};
use serde_json::json;

use crate::console_harness::RunningConsole;
use crate::reporter_a11y::{axe_source, axe_violations, not_hidden_in_print};

/// What the print stylesheet must hide: forms, buttons and the header's
/// navigation.
const PRINT_HIDES: &str = "form, button, header nav";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_closes_holds_and_shows_the_register_accessibly_and_prints_without_forms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let advisor = &tenant.advisors[0];
    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(
        &tenant,
        br#"{"format":"meldkluis-report/1","answers":[{"question":"Wat is er gebeurd?","answer":"Er wordt gepest."}],"reporter":{"anonymous":true},"advisors":[]}"#,
    );
    assert_eq!(
        submit_report(&client(), &server, "acme", &mailbox.report_body(&report)).await,
        201
    );
    let report_path = format!("/reports/{}", mailbox.report_id.to_hex());
    let until = Day::today().add_days(200).to_string();
    let axe = axe_source();
    let mut violations = Vec::new();
    let mut not_hidden = Vec::new();

    for (round, lang) in ["nl", "en"].into_iter().enumerate() {
        let console = RunningConsole::start(
            &server,
            &tenant,
            EnrolledKeys {
                advisors: vec![(advisor.public_key(), "Advisor 0".into())],
                recovery: Some(tenant.recovery.public_key()),
                earlier: Vec::new(),
                former_recovery: Vec::new(),
                recipients: Vec::new(),
            },
            lang,
        )
        .await;
        let (url, base) = (console.url.clone(), console.base.clone());
        let browser = Browser::start_in(lang).await;
        browser.goto(&url).await;
        browser.find("#login").await.click().await.expect("log in");
        browser
            .wait_for_js(
                "the report list",
                "return document.getElementById('reports') !== null;",
            )
            .await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} list")).await);

        browser.goto(&format!("{base}{report_path}")).await;
        if round == 0 {
            // Open: the closing and hold forms.
            violations.extend(axe_violations(&browser, &axe, &format!("{lang} open report")).await);
            let left: Vec<String> = not_hidden_in_print(&browser, PRINT_HIDES).await;
            not_hidden.extend(left.into_iter().map(|e| format!("{lang} open report: {e}")));
            // Close with a reason, from the form.
            browser
                .find("#close-reason")
                .await
                .select_by_value("resolved")
                .await
                .expect("select");
            browser
                .find("#close-report")
                .await
                .click()
                .await
                .expect("close");
            browser
                .wait_for_js(
                    "the closing day",
                    "return document.getElementById('closed-day') !== null;",
                )
                .await;
            // Keep it longer.
            browser
                .js(
                    "document.getElementById('hold-until').value = arguments[0]; return true;",
                    vec![json!(until)],
                )
                .await;
            browser
                .find("#hold-reason")
                .await
                .select_by_value("investigation")
                .await
                .expect("select");
            browser.find("#set-hold").await.click().await.expect("hold");
            browser
                .wait_for_js(
                    "the hold in the history",
                    "return document.querySelector('[data-event=\"hold_set\"]') !== null;",
                )
                .await;
        }
        // Closed, held, with its history.
        let history = browser
            .js(
                "return document.getElementById('history').textContent;",
                vec![],
            )
            .await;
        assert!(
            history.as_str().unwrap_or("").contains(&until),
            "{lang}: {history}"
        );
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} closed report")).await);
        let left: Vec<String> = not_hidden_in_print(&browser, PRINT_HIDES).await;
        not_hidden.extend(
            left.into_iter()
                .map(|e| format!("{lang} closed report: {e}")),
        );

        browser.goto(&format!("{base}/register")).await;
        let register = browser
            .js(
                "const t = document.getElementById('register'); return t && t.textContent;",
                vec![],
            )
            .await;
        assert!(
            register.as_str().unwrap_or("").contains(&until),
            "{lang}: {register}"
        );
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} register")).await);
        let left: Vec<String> = not_hidden_in_print(&browser, PRINT_HIDES).await;
        not_hidden.extend(left.into_iter().map(|e| format!("{lang} register: {e}")));

        browser.close().await;
        console.stop().await;
    }
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(not_hidden.is_empty(), "left on paper: {not_hidden:#?}");
}
