//! A report's end as the reporter sees it, in real headless Chromium with
//! the real server: logged in to the mailbox of a closed report, the page
//! says it was closed, on which day and why, and on which day the report
//! and its messages will be deleted; logged in to the mailbox of a report
//! whose reporter has not answered the advisor for half the tenant's
//! silence period, it warns from which day the advisor may close it. In
//! Dutch and English, with the server's own dates, and axe-core (WCAG 2.1
//! A and AA) finds nothing on either screen. A breached server that puts
//! markup, a script or a made-up code in those fields gets nothing shown
//! but days and known reasons, as text.

use std::sync::Arc;

use meldkluis_i18n::{catalog, t, tf, Arg};
use meldkluis_server::clock::ManualClock;
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::{RecordingProxy, Tampering};
use meldkluis_tests::reporter::{
    confirm_code, fill_report_form, mailbox_login, send_report, AdvisorView, ReportInput,
};
use meldkluis_tests::{client, TestServer, TestTenant};
use serde_json::{json, Value};

use crate::reporter_a11y::{axe_source, axe_violations};

/// A day as the mailbox writes it ("4 januari 2027"), from the catalog's
/// month names, as `formatDay` in `web-client/js/common.js` does.
fn shown_day(lang: &str, day: Day) -> String {
    let lang = catalog().lang(lang).expect("a language of the catalog");
    let months = t(lang, "months");
    let months: Vec<&str> = months.split_whitespace().collect();
    let (year, month, dom) = day.civil();
    format!("{dom} {} {year}", months[month as usize - 1])
}

/// A mailbox text in `lang` with its placeholders filled.
fn text(lang: &str, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    tf(catalog().lang(lang).expect("a language"), id, args)
}

/// Makes a report in the browser, through the server at `base`, and
/// returns its login code.
async fn report_in_browser(browser: &Browser, base: &str, what: &str) -> String {
    browser.goto(&format!("{base}/t/acme/report")).await;
    fill_report_form(
        browser,
        &ReportInput {
            what: what.into(),
            ..ReportInput::default()
        },
    )
    .await;
    let (code, _) = send_report(browser).await;
    confirm_code(browser, &code).await;
    code
}

/// The text of an element and whether it is shown.
async fn shown(browser: &Browser, id: &str) -> (bool, String) {
    let value = browser
        .js(
            "const e = document.getElementById(arguments[0]); \
             return [!e.hidden && !e.closest('[hidden]'), e.textContent];",
            vec![json!(id)],
        )
        .await;
    (
        value[0].as_bool().expect("a boolean"),
        value[1].as_str().expect("text").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mailbox_shows_closure_deletion_day_and_silence_warning_in_both_languages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Day::from_ymd(2027, 1, 4).expect("a day");
    let clock = Arc::new(ManualClock::at(received, 9));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    // Closing is offered after 4 weeks of the reporter's silence, so the
    // reporter is warned after 2.
    server
        .admin()
        .set_lifecycle(&tenant.id, None, None, Some(4))
        .expect("lifecycle");

    let browser = Browser::start().await;
    let closed_code =
        report_in_browser(&browser, &server.base, "Er verdwijnt geld uit de kas.").await;
    let silent_code =
        report_in_browser(&browser, &server.base, "Mijn leidinggevende scheldt.").await;
    browser.close().await;

    // The advisor answers one report and closes the other (withdrawn).
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let mut closed_id = None;
    for id in advisor.report_ids().await {
        let report = advisor.open_report(&id).await;
        if report.content.to_string().contains("kas") {
            closed_id = Some(id);
        } else {
            advisor.reply(&report, "Kunt u mij meer vertellen?").await;
        }
    }
    let closed_id = closed_id.expect("the report about the cash");
    let response = client()
        .put(server.url("acme", &format!("/advisor/reports/{closed_id}/status")))
        .bearer_auth(&advisor.token)
        .json(&json!({ "status": "closed", "closing_reason": "withdrawn" }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "closed");

    // Fifteen days later: past half the silence period.
    clock.set(received.add_days(15), 9);
    let axe = axe_source();
    let mut violations = Vec::new();
    for lang in ["nl", "en"] {
        let browser = Browser::start_in(lang).await;
        let mailbox = format!("{}/t/acme/mailbox?lang={lang}", server.base);

        // The closed report: closure with day and reason, the deletion day
        // (the default 12 months after closing), no silence warning.
        browser.goto(&mailbox).await;
        mailbox_login(&browser, &closed_code).await;
        let day = shown_day(lang, received);
        let reason = text(lang, "js-reason-withdrawn", &[]);
        assert_eq!(
            shown(&browser, "status-value").await,
            (true, text(lang, "status-closed", &[]))
        );
        assert_eq!(
            shown(&browser, "closure-value").await,
            (
                true,
                text(
                    lang,
                    "js-closed-on-reason",
                    &[("day", Arg::Str(&day)), ("reason", Arg::Str(&reason))]
                )
            ),
            "{lang}"
        );
        let deletion = shown_day(lang, received.add_months(12));
        assert_eq!(
            shown(&browser, "deletion-notice").await,
            (
                true,
                text(lang, "js-deletion-on", &[("day", Arg::Str(&deletion))])
            ),
            "{lang}"
        );
        assert!(!shown(&browser, "silence-warning").await.0);
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} closed mailbox")).await);

        // The report the reporter has not answered: the warning, with the
        // day from which the advisor may close it; nothing closed.
        browser.goto(&mailbox).await;
        mailbox_login(&browser, &silent_code).await;
        let from = shown_day(lang, received.add_days(28));
        assert_eq!(
            shown(&browser, "silence-warning").await,
            (
                true,
                text(lang, "js-silence-warning", &[("day", Arg::Str(&from))])
            ),
            "{lang}"
        );
        assert!(!shown(&browser, "closure-row").await.0);
        assert!(!shown(&browser, "deletion-notice").await.0);
        let thread: Value = browser
            .js(
                "return document.getElementById('thread').textContent;",
                vec![],
            )
            .await;
        assert!(
            thread
                .as_str()
                .unwrap_or("")
                .contains("Kunt u mij meer vertellen?"),
            "{thread}"
        );
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} silence warning")).await);
        browser.close().await;
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_or_odd_values_in_the_lifecycle_fields_are_never_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let code = report_in_browser(&browser, &proxy.base, "Er verdwijnt geld uit de kas.").await;
    let mailbox = format!("{}/t/acme/mailbox?lang=en", proxy.base);
    let injected = "<img src=x onerror=\"window.__pwned=1\">";
    let thread_path = "/api/v1/t/acme/mailbox";

    // Closed, with markup where the reason and days go.
    proxy.tamper(
        thread_path,
        Tampering::Rewrite(Arc::new(move |body| {
            let mut thread: Value = serde_json::from_slice(body).expect("the thread");
            thread["status"] = json!("closed");
            thread["closing_reason"] = json!(injected);
            thread["closed_day"] = json!(injected);
            thread["deletion_day"] = json!("2027-13-45");
            thread["silence_warning"] = json!({ "close_offered_from": injected });
            serde_json::to_vec(&thread).expect("json")
        })),
    );
    browser.goto(&mailbox).await;
    mailbox_login(&browser, &code).await;
    for id in ["closure-value", "deletion-notice", "silence-warning"] {
        assert_eq!(shown(&browser, id).await, (false, String::new()), "{id}");
    }
    let page = browser
        .js(
            "return [document.querySelectorAll('img').length, typeof window.__pwned, \
             document.body.textContent.includes('onerror')];",
            vec![],
        )
        .await;
    assert_eq!(page, json!([0, "undefined", false]));

    // A known reason with a made-up day: the reason alone.
    proxy.tamper(
        thread_path,
        Tampering::Rewrite(Arc::new(move |body| {
            let mut thread: Value = serde_json::from_slice(body).expect("the thread");
            thread["status"] = json!("closed");
            thread["closing_reason"] = json!("withdrawn");
            thread["closed_day"] = json!("yesterday");
            serde_json::to_vec(&thread).expect("json")
        })),
    );
    browser.goto(&mailbox).await;
    mailbox_login(&browser, &code).await;
    assert_eq!(
        shown(&browser, "closure-value").await,
        (true, text("en", "js-reason-withdrawn", &[]))
    );
    // Markup in an open report's warning: nothing.
    proxy.tamper(
        thread_path,
        Tampering::Rewrite(Arc::new(move |body| {
            let mut thread: Value = serde_json::from_slice(body).expect("the thread");
            thread["silence_warning"] = json!({ "close_offered_from": injected });
            serde_json::to_vec(&thread).expect("json")
        })),
    );
    browser.goto(&mailbox).await;
    mailbox_login(&browser, &code).await;
    assert_eq!(
        shown(&browser, "silence-warning").await,
        (false, String::new())
    );
    assert_eq!(
        browser
            .js("return document.querySelectorAll('img').length;", vec![])
            .await,
        json!(0)
    );
    browser.close().await;
}
