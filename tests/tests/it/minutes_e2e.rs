//! Minutes the reporter approves (issue 13), in a real headless Chromium
//! against the real server and the real advisor console, in Dutch and
//! English: the advisor writes the minutes of a conversation in the
//! console and uploads a recording made with consent; the reporter reads
//! them in the mailbox (their own heading, the recording listed), sends
//! corrections (required: an empty correction is refused on the page);
//! the console shows the corrections with version 1; the advisor issues
//! version 2 from the prefilled form; the reporter approves it with the
//! keyboard alone; the console shows version 2 approved on that day and
//! version 1 as corrected. axe finds nothing on the mailbox's minutes and
//! the console's minutes section at each step.

use meldkluis_crypto_core::{ApprovalSubject, ItemId, SubjectKind};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{
    click, confirm_code, open_mailbox, open_report_form, send_report, type_into, AdvisorView,
    ReportInput,
};
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::json;

use crate::console_harness::{
    assert_axe_clean, console_report, enrolled_both, wait_contains, RunningConsole,
};
use crate::management_pages::text;
use crate::reporter_a11y::{axe_source, press, tab_to, ENTER};

const RECORDING: &[u8] = b"OggS CANARY opname van het gesprek, met toestemming";

/// An attribute of the element matching `css`, once it exists.
async fn attribute(browser: &Browser, css: &str, name: &str) -> String {
    let value = browser
        .wait_for_js(
            &format!("{css}[{name}]"),
            &format!(
                "const e = document.querySelector({}); return e && e.getAttribute({});",
                json!(css),
                json!(name)
            ),
        )
        .await;
    value.as_str().unwrap_or_default().to_owned()
}

/// The console's report page at its minutes.
async fn console_minutes(browser: &Browser, console: &RunningConsole, report_id: &str) {
    console_report(browser, console, report_id, "#minutes").await;
}

/// A report made in the report form; its login code.
async fn report_from_the_form(browser: &Browser, server: &TestServer) -> String {
    open_report_form(
        browser,
        server,
        "acme",
        &ReportInput::saying("Mijn leidinggevende schreeuwt in vergaderingen."),
    )
    .await;
    let (code, _) = send_report(browser).await;
    confirm_code(browser, &code).await;
    code
}

async fn minutes_round(lang: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let console = RunningConsole::start(&server, &tenant, enrolled_both(&tenant), lang).await;
    let browser = Browser::start_in(lang).await;
    let axe = axe_source();
    let recording = dir.path().join("gesprek.ogg");
    std::fs::write(&recording, RECORDING).expect("the recording");

    let code = report_from_the_form(&browser, &server).await;
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report_id = advisor.report_ids().await.pop().expect("the report");

    // The advisor writes the minutes and uploads the recording.
    console_minutes(&browser, &console, &report_id).await;
    assert_axe_clean(&browser, &axe, &format!("{lang} console, minutes empty")).await;
    let v1_text = "Gesprek op maandag.\n\nDe melder vertelde over drie vergaderingen.";
    type_into(&browser, "minutes-text-new", v1_text).await;
    type_into(
        &browser,
        "minutes-file-new",
        &recording.display().to_string(),
    )
    .await;
    click(&browser, "minutes-submit-new").await;
    let state = attribute(&browser, "li.minutes-version", "data-minutes-state").await;
    assert_eq!(state, "open");
    wait_contains(&browser, "li.minutes-version", "gesprek.ogg").await;
    assert_axe_clean(&browser, &axe, &format!("{lang} console, minutes sent")).await;

    // The reporter reads them: their own heading, the recording listed.
    let mailbox_url = format!("{}/t/acme/mailbox", server.base);
    open_mailbox(&browser, &mailbox_url, &code).await;
    let title = wait_contains(&browser, "li.thread__item--request h3", "1").await;
    let expected_title = match lang {
        "nl" => "Verslag van ons gesprek — versie 1",
        _ => "Minutes of our conversation — version 1",
    };
    assert!(title.contains(expected_title), "{title}");
    wait_contains(&browser, "li.thread__item--request", "gesprek.ogg").await;
    wait_contains(
        &browser,
        "li.thread__item--request",
        "De melder vertelde over drie vergaderingen.",
    )
    .await;
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} mailbox, minutes to answer"),
    )
    .await;

    // Corrections are required: sending none is refused on the page.
    click(&browser, "request-0-decline").await;
    wait_contains(
        &browser,
        "#error-request-0-comment",
        &text(lang, "minutes-mailbox-comment-required"),
    )
    .await;
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} mailbox, corrections missing"),
    )
    .await;
    type_into(
        &browser,
        "request-0-comment",
        "Het was dinsdag, niet maandag.",
    )
    .await;
    click(&browser, "request-0-decline").await;
    wait_contains(
        &browser,
        "#thread-status",
        &text(lang, "minutes-mailbox-sent-decline"),
    )
    .await;
    // Answered: nothing more to decide on version 1.
    browser
        .wait_for_js(
            "no answer buttons for version 1",
            "return document.getElementById('request-0-approve') === null;",
        )
        .await;

    // The console shows the corrections with version 1; the advisor makes
    // version 2 from the prefilled form.
    console_minutes(&browser, &console, &report_id).await;
    let state = attribute(&browser, "li.minutes-version", "data-minutes-state").await;
    assert_eq!(state, "corrections");
    wait_contains(
        &browser,
        "li.minutes-version",
        "Het was dinsdag, niet maandag.",
    )
    .await;
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} console, corrections asked"),
    )
    .await;
    let draft = attribute(&browser, "article.minutes", "data-draft").await;
    click(&browser, &format!("minutes-new-version-{draft}")).await;
    let textarea = browser
        .js(
            "return document.querySelector('details.minutes-new-version textarea').id;",
            vec![],
        )
        .await;
    let textarea = textarea
        .as_str()
        .expect("the new version's text")
        .to_owned();
    let prefilled = browser
        .js(
            "return document.getElementById(arguments[0]).value;",
            vec![json!(textarea)],
        )
        .await;
    assert_eq!(
        prefilled.as_str(),
        Some(v1_text),
        "prefilled with version 1"
    );
    browser
        .js(
            "document.getElementById(arguments[0]).value = ''; return true;",
            vec![json!(textarea)],
        )
        .await;
    let v2_text = "Gesprek op dinsdag.\n\nDe melder vertelde over drie vergaderingen.";
    type_into(&browser, &textarea, v2_text).await;
    let submit = textarea.replace("minutes-text-", "minutes-submit-");
    click(&browser, &submit).await;
    browser.find("li.minutes-version[data-version='2']").await;

    // The reporter approves version 2 with the keyboard alone.
    open_mailbox(&browser, &mailbox_url, &code).await;
    wait_contains(&browser, "#thread", "Gesprek op dinsdag.").await;
    browser.find("#request-1-approve").await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Id("request-0-approve"))
            .await
            .is_err(),
        "only the newest version can be answered"
    );
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} mailbox, version 2 to answer"),
    )
    .await;
    browser
        .js(
            "document.getElementById('mailbox-title').focus(); return true;",
            vec![],
        )
        .await;
    tab_to(&browser, "request-1-approve").await;
    press(&browser, ENTER).await;
    wait_contains(
        &browser,
        "#thread-status",
        &text(lang, "minutes-mailbox-sent-approve"),
    )
    .await;
    assert_axe_clean(&browser, &axe, &format!("{lang} mailbox, minutes approved")).await;

    // The console: version 2 approved on the day of the approval, version
    // 1 corrected.
    let thread = advisor.open_report(&report_id).await.thread;
    let day = thread["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["created_day"].as_str())
        .expect("the approval's day")
        .to_owned();
    console_minutes(&browser, &console, &report_id).await;
    assert_eq!(
        attribute(
            &browser,
            "li.minutes-version[data-version='1']",
            "data-minutes-state"
        )
        .await,
        "corrections"
    );
    assert_eq!(
        attribute(
            &browser,
            "li.minutes-version[data-version='2']",
            "data-minutes-state"
        )
        .await,
        "approved"
    );
    assert_eq!(
        attribute(&browser, "p.minutes-approved", "data-version").await,
        "2"
    );
    assert_eq!(
        attribute(&browser, "p.minutes-approved", "data-day").await,
        day
    );
    wait_contains(&browser, "p.minutes-approved", &day).await;
    assert_axe_clean(&browser, &axe, &format!("{lang} console, minutes approved")).await;

    browser.close().await;
    console.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_are_corrected_and_version_2_approved_in_dutch() {
    minutes_round("nl").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_are_corrected_and_version_2_approved_in_english() {
    minutes_round("en").await;
}

/// The mailbox recomputes the subject hash of minutes from what it shows:
/// minutes whose text no longer fits the hash they name (altered after the
/// hash was taken) are a warning with nothing to approve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_that_do_not_match_their_hash_cannot_be_approved_in_the_mailbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let browser = Browser::start_in("en").await;
    let code = report_from_the_form(&browser, &server).await;
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report_id = advisor.report_ids().await.pop().expect("the report");
    let report = advisor.open_report(&report_id).await;
    let draft = [0x42u8; 16];
    let hash = ApprovalSubject {
        kind: SubjectKind::Minutes,
        tenant: tenant.id.clone(),
        report_id: ItemId::from_hex(&report_id).expect("an item id"),
        draft_id: draft,
        version: 1,
        text: "CANARY what was said".into(),
        attachments: Vec::new(),
        recipients: Vec::new(),
    }
    .hash()
    .expect("a subject within the limits");
    advisor
        .post_content(
            &report,
            &json!({
                "format": "meldkluis-approval-request/1", "subject": "minutes",
                "draft_id": hex::encode(draft), "version": 1,
                "text": "CANARY what someone would like said",
                "attachments": [], "recipients": [],
                "subject_hash": hex::encode(hash),
            }),
        )
        .await;
    open_mailbox(&browser, &format!("{}/t/acme/mailbox", server.base), &code).await;
    wait_contains(
        &browser,
        "li.thread__item--request",
        &text("en", "js-approval-hash-mismatch"),
    )
    .await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Id("request-0-approve"))
            .await
            .is_err(),
        "nothing to approve"
    );
    assert_axe_clean(
        &browser,
        &axe_source(),
        "en mailbox, minutes that do not match",
    )
    .await;
    browser.close().await;
    server.stop().await;
}
