//! An oral report followed online (issue 13), end to end in Chromium with
//! the real server and the real advisor console, in Dutch and in English:
//!
//! 1. the advisor registers an oral report in the console;
//! 2. the reporter makes a follow-up mailbox on the report page ("I have
//!    already spoken to an advisor"), keeps its login code and reads its
//!    mailbox reference, which the mailbox shows while it waits;
//! 3. the advisor types the reference, sees whom the reporter's mailbox
//!    chose, and links it; the console now shows the mailbox's items as
//!    the reporter's;
//! 4. the reporter's mailbox shows the join record's text (what the
//!    advisor registered) and a message goes each way;
//! 5. the advisor sends minutes for approval on the oral report and the
//!    reporter approves them; the console shows them approved;
//! 6. axe (WCAG 2.1 A and AA) finds nothing on the new pages and states.

use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{
    click, confirm_code, open_mailbox, send_reply, type_into, wait_ready, wait_text,
};
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::json;

use crate::console_harness::{enrolled_both, RunningConsole};
use crate::management_pages::text;
use crate::reporter_a11y::{axe_source, axe_violations};

/// Sets a form field's value directly (a date input's typing depends on
/// the browser's locale).
async fn set_value(browser: &Browser, id: &str, value: &str) {
    browser
        .js(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await;
}

async fn submit(browser: &Browser, css: &str) {
    browser
        .find(css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oral_report_is_followed_online_through_a_mailbox_the_reporter_makes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 2);
    let t = tenant.id.as_str();
    let enrolled = enrolled_both(&tenant);
    let axe = axe_source();
    let mut violations = Vec::new();
    for lang in ["nl", "en"] {
        let console = RunningConsole::start(&server, &tenant, enrolled.clone(), lang).await;
        let browser = Browser::start_in(lang).await;
        browser.goto(&console.url).await;
        submit(&browser, "#login").await;
        browser.find("#register-oral-link").await;

        // 1. The advisor registers what the reporter told by phone.
        let told = format!("CANARY ({lang}) De teamleider scheldt collega's uit tijdens het overleg.\n\nDat gebeurt al maanden.");
        browser
            .goto(&format!("{}/reports/oral", console.base))
            .await;
        browser.find("#oral-text").await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} console oral form")).await);
        click(&browser, "channel-oral").await;
        set_value(&browser, "spoken-day", "2026-11-27").await;
        type_into(&browser, "oral-text", &told).await;
        click(&browser, "identity-anonymous").await;
        submit(&browser, "#register-oral").await;
        browser.find("#oral-not-joined").await;
        let report_url = browser
            .client
            .current_url()
            .await
            .expect("address")
            .to_string();
        let page = browser
            .find("#report-content")
            .await
            .text()
            .await
            .expect("text");
        assert!(page.contains("De teamleider scheldt"), "{page}");
        violations.extend(
            axe_violations(
                &browser,
                &axe,
                &format!("{lang} console oral report, not joined"),
            )
            .await,
        );
        // The list says which reports were made orally.
        browser.goto(&format!("{}/reports", console.base)).await;
        browser
            .find("#reports span.badge[data-channel='oral']")
            .await;

        // 2. The reporter makes a follow-up mailbox from the start page's
        //    link.
        browser
            .goto(&format!("{}/t/{t}?lang={lang}", server.base))
            .await;
        submit(&browser, "#start-follow-up a").await;
        wait_ready(&browser, "send").await;
        browser
            .wait_for_js(
                "follow-up mode",
                "return document.getElementById('kind-follow-up').checked && !document.getElementById('follow-up-explain').hidden && document.getElementById('questions-title').closest('section').hidden;",
            )
            .await;
        let button = browser.find("#send").await.text().await.expect("text");
        assert_eq!(button, text(lang, "oral-follow-up-send"));
        violations.extend(
            axe_violations(&browser, &axe, &format!("{lang} report page, follow-up")).await,
        );
        // Only the advisor the reporter spoke to.
        let advisors = browser
            .js_strings(
                "advisor boxes",
                "return [...document.querySelectorAll('input[name=advisor]')].map(i => i.id);",
            )
            .await;
        assert_eq!(advisors.len(), 2, "{advisors:?}");
        click(&browser, &advisors[1]).await;
        click(&browser, "send").await;
        let shown = browser
            .wait_for_js(
                "the code and the reference",
                "const e = document.getElementById('send-error');
                 if (e && e.textContent) return 'ERROR: ' + e.textContent;
                 const s = document.getElementById('code-screen');
                 return s && !s.hidden && !document.getElementById('follow-up-reference-area').hidden
                   && [document.getElementById('login-code').textContent, document.getElementById('follow-up-reference').textContent];",
            )
            .await;
        let code = shown[0].as_str().expect("the login code").to_owned();
        let reference = shown[1].as_str().expect("the reference").to_owned();
        assert!(!code.starts_with("ERROR"), "{code}");
        assert_eq!(reference.len(), 14, "{reference}");
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} follow-up code screen")).await);
        confirm_code(&browser, &code).await;
        browser
            .wait_for_js(
                "the follow-up's next steps",
                "return !document.getElementById('follow-up-next').hidden && document.querySelector('#next-screen .deadlines').hidden;",
            )
            .await;
        let mailbox_url = format!("{}/t/{t}/mailbox?lang={lang}", server.base);

        // The mailbox waits, showing the same reference.
        open_mailbox(&browser, &mailbox_url, &code).await;
        let waiting = browser
            .wait_for_js(
                "the waiting mailbox",
                "return document.getElementById('mailbox-reference')?.textContent;",
            )
            .await;
        assert_eq!(waiting, json!(reference));
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} mailbox waiting")).await);

        // 3. The advisor links it with the reference as read aloud (lower
        //    case, spaces).
        browser.goto(&report_url).await;
        // A mistyped reference: a translated refusal, nothing joined.
        type_into(&browser, "join-reference", "ABC").await;
        submit(&browser, "#join-lookup").await;
        browser
            .find("#join-refused[data-refusal='oral-join-bad-reference']")
            .await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} console join refused")).await);
        browser.goto(&report_url).await;
        let spoken = reference.to_lowercase().replace('-', " ");
        type_into(&browser, "join-reference", &spoken).await;
        submit(&browser, "#join-lookup").await;
        let chosen = browser
            .find("#join-advisors")
            .await
            .text()
            .await
            .expect("text");
        assert!(
            chosen.contains("Advisor 0") && !chosen.contains("Advisor 1"),
            "{chosen}"
        );
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} console join check")).await);
        submit(&browser, "#join-confirm").await;
        let joined = browser
            .find("#oral-joined")
            .await
            .text()
            .await
            .expect("text");
        assert!(joined.contains(&reference), "{joined}");
        browser.find("#oral-opening").await;
        violations.extend(
            axe_violations(
                &browser,
                &axe,
                &format!("{lang} console oral report, joined"),
            )
            .await,
        );

        // 4. The reporter reads what was registered, and writes.
        open_mailbox(&browser, &mailbox_url, &code).await;
        let record = browser
            .wait_for_js(
                "the join record",
                "return document.getElementById('follow-up-joined')?.innerText;",
            )
            .await;
        let record = record.as_str().expect("text");
        assert!(
            record.contains("De teamleider scheldt") && record.contains("Dat gebeurt al maanden."),
            "{record}"
        );
        assert!(
            record.contains(&text(lang, "oral-mailbox-joined-title")),
            "{record}"
        );
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} mailbox joined")).await);
        let from_reporter = format!("CANARY reporter ({lang}): ik kan donderdag bellen.");
        type_into(&browser, "reply-text", &from_reporter).await;
        send_reply(&browser, lang).await;

        browser.goto(&report_url).await;
        let from = browser
            .js(
                "const a = [...document.querySelectorAll('article.message')].find(a => a.textContent.includes(arguments[0]));
                 return a ? a.dataset.from : null;",
                vec![json!(from_reporter)],
            )
            .await;
        assert_eq!(from, json!("reporter"));
        let from_advisor = format!("CANARY advisor ({lang}): donderdag om tien uur.");
        type_into(&browser, "reply-text", &from_advisor).await;
        submit(&browser, "#send-reply").await;
        browser.find("#thread").await;

        open_mailbox(&browser, &mailbox_url, &code).await;
        browser
            .wait_for_js(
                "the advisor's message",
                &format!(
                    "return [...document.querySelectorAll('#thread .thread__item--advisor')].some(e => e.textContent.includes({}));",
                    json!(from_advisor)
                ),
            )
            .await;

        // 5. Minutes of the conversation, approved by the reporter.
        browser.goto(&report_url).await;
        let minutes = format!("Verslag ({lang}): de melder vertelde over het overleg.");
        type_into(&browser, "minutes-text-new", &minutes).await;
        submit(&browser, "form.minutes-form button[type=submit]").await;
        browser.find("#minutes").await;
        open_mailbox(&browser, &mailbox_url, &code).await;
        let approve = browser
            .wait_for_js(
                "the minutes to approve",
                "const b = [...document.querySelectorAll('#thread form button')].find(b => b.id.endsWith('-approve'));
                 return b ? b.id : null;",
            )
            .await;
        click(&browser, approve.as_str().expect("an approve button")).await;
        wait_text(
            &browser,
            "thread-status",
            &text(lang, "minutes-mailbox-sent-approve"),
        )
        .await;
        browser.goto(&report_url).await;
        browser
            .find("li.minutes-version[data-minutes-state='approved']")
            .await;

        console.stop().await;
        browser.close().await;
    }
    assert!(
        violations.is_empty(),
        "axe violations:\n{}",
        violations.join("\n")
    );
    server.stop().await;
}
