//! Meetings on request (issue 13), in a real headless Chromium against the
//! real server and the real advisor console, in Dutch and English: the
//! reporter asks for a meeting (in the report form, or later in the
//! mailbox), the advisor proposes moments in the console (bad input is
//! refused there, nothing posted), the reporter gets the "a message is
//! waiting" notice through a real SMTP server (and nothing of the meeting
//! in it), chooses a moment with the keyboard alone, and both see the
//! agreed moment with its weekday in their language; the advisor confirms
//! it and the mailbox shows that. axe finds nothing on the new forms.
//!
//! And the attacks: a proposal sealed by a key the mailbox does not believe
//! as an advisor (the recovery key; an enrolled advisor the reporter did
//! not choose) is a warning with nothing to choose, as is a malformed one;
//! a choice not sealed by the mailbox key is ignored by the console (no
//! agreed moment) and shown as a warning in the mailbox.

use std::time::Duration;

use meldkluis_crypto_core::{ItemId, ItemKind, StaticSecret};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{
    click, confirm_code, open_mailbox, open_report_form, send_report, type_into, AdvisorView,
    OpenedReport, ReportInput,
};
use meldkluis_tests::smtp::{SinkOptions, SmtpSink};
use meldkluis_tests::{b64, new_item_id, notices_to_sink, seal, TestServer, TestTenant};
use serde_json::{json, Value};

use crate::console_harness::{
    assert_axe_clean, console_report, enrolled_both, wait_contains, RunningConsole,
};
use crate::management_pages::text;
use crate::reporter_a11y::{axe_source, press, tab_to, ENTER, SPACE};

const WAIT: Duration = Duration::from_secs(30);
const ARROW_DOWN: &str = "\u{E015}";
const NOTICE_ADDRESS: &str = "melder@example.org";
/// When the reporter can talk, and how to reach them.
const TIMES: &str = "Dinsdag of donderdag, na 14 uur.";
const CONTACT: &str = "06 12345678";

/// The moments the advisor proposes (date, time, minutes) and how each
/// language writes them, weekday first.
const MOMENTS: [(&str, &str, &str); 2] =
    [("2027-01-05", "14:00", "60"), ("2027-01-07", "10:30", "45")];

fn moment_words(lang: &str, index: usize) -> &'static str {
    match (lang, index) {
        ("nl", 0) => "di 5 januari 2027 14:00, 60 min, telefonisch",
        ("nl", _) => "do 7 januari 2027 10:30, 45 min, telefonisch",
        (_, 0) => "Tue 5 January 2027 14:00, 60 min, by phone",
        _ => "Thu 7 January 2027 10:30, 45 min, by phone",
    }
}

/// Sets a form field's value as a person picking it would (date and time
/// inputs take their value in ISO form whatever the browser's language).
async fn set_value(browser: &Browser, id: &str, value: &str) {
    browser
        .js(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true })); return true;",
            vec![json!(id), json!(value)],
        )
        .await;
}

/// Proposes the two moments by phone in the console's form.
async fn propose(browser: &Browser) {
    click(browser, "meeting-way-phone").await;
    for (row, (date, time, minutes)) in MOMENTS.iter().enumerate() {
        let row = row + 1;
        set_value(browser, &format!("meeting-date-{row}"), date).await;
        set_value(browser, &format!("meeting-time-{row}"), time).await;
        set_value(browser, &format!("meeting-minutes-{row}"), minutes).await;
    }
    type_into(browser, "meeting-place", "Kamer 2.14").await;
    click(browser, "meeting-propose").await;
    browser.find("article.meeting-proposal").await;
}

/// The reporter's way of talking and times, in the request fields whose
/// ids start with `prefix` (on `page`): first `submit` with no way chosen,
/// which the page refuses in the reader's language (axe then finds
/// nothing), then phone and video, the times and a phone number.
async fn fill_request(
    browser: &Browser,
    axe: &str,
    lang: &str,
    prefix: &str,
    submit: &str,
    page: &str,
) {
    click(browser, submit).await;
    wait_contains(
        browser,
        &format!("#error-{prefix}-ways"),
        &text(lang, "meeting-error-ways"),
    )
    .await;
    assert_axe_clean(
        browser,
        axe,
        &format!("{lang} {page}, asking for a meeting"),
    )
    .await;
    click(browser, &format!("{prefix}-way-phone")).await;
    click(browser, &format!("{prefix}-way-video")).await;
    type_into(browser, &format!("{prefix}-times"), TIMES).await;
    type_into(browser, &format!("{prefix}-contact"), CONTACT).await;
}

/// One reporter's meeting, from the request to the confirmed moment, in
/// `lang`; the request made in the report form or, later, in the mailbox.
async fn meeting_round(lang: &str, in_report_form: bool) {
    let sink_dir = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start(sink_dir.path(), &SinkOptions::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| {
        notices_to_sink(c, sink.port);
        // The console answers the log-in challenge for the address it
        // talks to: the server's own, not a public name in front of it.
        c.public_url = None;
    })
    .await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let console = RunningConsole::start(&server, &tenant, enrolled_both(&tenant), lang).await;
    let browser = Browser::start_in(lang).await;
    let axe = axe_source();

    // The report, with a meeting asked for in the form (or not).
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput {
            what: "Mijn collega wordt steeds buitengesloten.".into(),
            notice_email: Some(NOTICE_ADDRESS.into()),
            ..ReportInput::default()
        },
    )
    .await;
    if in_report_form {
        click(&browser, "meeting-wanted").await;
        fill_request(&browser, &axe, lang, "meeting", "send", "report form").await;
    }
    let (code, _) = send_report(&browser).await;
    confirm_code(&browser, &code).await;
    let mailbox_url = format!("{}/t/acme/mailbox", server.base);
    open_mailbox(&browser, &mailbox_url, &code).await;
    if in_report_form {
        // The reporter's own report, in the mailbox, says what they asked.
        let own = wait_contains(&browser, "#thread details", TIMES).await;
        assert!(own.contains(&text(lang, "meeting-form-wanted")), "{own}");
    }
    if !in_report_form {
        browser.find("#meeting-ask-form").await;
        fill_request(
            &browser,
            &axe,
            lang,
            "meeting-ask",
            "meeting-ask-send",
            "mailbox",
        )
        .await;
        click(&browser, "meeting-ask-send").await;
        wait_contains(
            &browser,
            "#meeting-ask-status",
            &text(lang, "meeting-ask-sent"),
        )
        .await;
    }
    let ways = format!(
        "{}, {}",
        text(lang, "meeting-way-phone"),
        text(lang, "meeting-way-video")
    );

    // The advisor sees the request, readably, in the console.
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report_id = advisor.report_ids().await.pop().expect("the report");
    let report = advisor.open_report(&report_id).await;
    if in_report_form {
        assert_eq!(
            report.content["meeting_request"],
            json!({ "ways": ["phone", "video"], "times": TIMES, "contact": CONTACT })
        );
    }
    console_report(&browser, &console, &report_id, "#meetings").await;
    let request = wait_contains(&browser, "#meetings .meeting-request", TIMES).await;
    assert!(request.contains(&ways), "the ways in words: {request}");

    // A moment with a time but no date, past the browser's own check: the
    // console refuses it, in the advisor's language, and posts nothing.
    browser
        .js(
            "document.getElementById('meeting-date-1').removeAttribute('required'); return true;",
            vec![],
        )
        .await;
    set_value(&browser, "meeting-time-1", "14:00").await;
    click(&browser, "meeting-propose").await;
    wait_contains(
        &browser,
        "#input-refused",
        &text(lang, "meeting-console-error-incomplete"),
    )
    .await;
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} console, a proposal refused"),
    )
    .await;
    let messages = |report: &OpenedReport| report.thread["messages"].as_array().map_or(0, Vec::len);
    let before = advisor.open_report(&report_id).await;
    assert_eq!(
        messages(&before),
        usize::from(!in_report_form),
        "nothing was posted"
    );
    // The reporter's own request acknowledges nothing; only the advisor's
    // proposal (an advisor message) will.
    assert_eq!(before.thread["acknowledged_day"], Value::Null);

    // Two moments by phone.
    console_report(&browser, &console, &report_id, "#meetings").await;
    propose(&browser).await;
    assert!(
        advisor.open_report(&report_id).await.thread["acknowledged_day"].is_string(),
        "the proposal acknowledges the report"
    );
    let shown = wait_contains(&browser, "article.meeting-proposal", moment_words(lang, 0)).await;
    assert!(shown.contains(moment_words(lang, 1)), "{shown}");
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} console, meetings with a proposal"),
    )
    .await;

    // The reporter is told a message is waiting, and nothing more.
    let mails = sink.wait_for(1, WAIT);
    assert!(
        mails[0].rcpt_to.iter().any(|to| to == NOTICE_ADDRESS),
        "{:?}",
        mails[0].rcpt_to
    );
    for secret in ["14:00", "Kamer"] {
        assert!(
            !mails[0].body.contains(secret),
            "the notice carries no content: {}",
            mails[0].body
        );
    }

    // The reporter chooses the second moment, with the keyboard alone.
    open_mailbox(&browser, &mailbox_url, &code).await;
    browser.find("form.request__form input[type=radio]").await;
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} mailbox, a proposal to choose from"),
    )
    .await;
    let first = browser
        .js(
            "return document.querySelector('form.request__form input[type=radio]').id;",
            vec![],
        )
        .await;
    let first = first.as_str().expect("the first moment's id").to_owned();
    let proposal = first
        .rsplit_once('-')
        .expect("meeting-<proposal>-<moment>")
        .0
        .to_owned();
    browser
        .js(
            "document.getElementById('mailbox-title').focus(); return true;",
            vec![],
        )
        .await;
    tab_to(&browser, &first).await;
    press(&browser, SPACE).await;
    press(&browser, ARROW_DOWN).await;
    tab_to(&browser, &format!("{proposal}-choose")).await;
    press(&browser, ENTER).await;
    let agreed = wait_contains(&browser, "#meeting-agreed", moment_words(lang, 1)).await;
    assert!(agreed.contains("Kamer 2.14"), "the place: {agreed}");
    wait_contains(
        &browser,
        "#thread-status",
        &text(lang, "meeting-choice-sent"),
    )
    .await;
    assert_axe_clean(&browser, &axe, &format!("{lang} mailbox, a moment agreed")).await;

    // The console shows the agreed moment on top; the advisor confirms it.
    console_report(&browser, &console, &report_id, "#meetings").await;
    wait_contains(&browser, "#meeting-agreed-top", moment_words(lang, 1)).await;
    click(&browser, "meeting-confirm").await;
    browser.find("#meetings").await;
    let confirmed = wait_contains(&browser, "#meeting-agreed-top", moment_words(lang, 1)).await;
    assert!(!confirmed.is_empty());
    browser.find("#meeting-cancel").await;
    assert!(
        browser
            .client
            .find(fantoccini::Locator::Id("meeting-confirm"))
            .await
            .is_err(),
        "confirmed once"
    );
    assert_axe_clean(
        &browser,
        &axe,
        &format!("{lang} console, a moment agreed and confirmed"),
    )
    .await;

    // The mailbox shows the confirmation with the agreed moment.
    open_mailbox(&browser, &mailbox_url, &code).await;
    wait_contains(
        &browser,
        "#meeting-agreed",
        &text(lang, "meeting-agreed-confirmed"),
    )
    .await;
    wait_contains(&browser, "#meeting-agreed", moment_words(lang, 1)).await;

    browser.close().await;
    console.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_asked_for_in_the_report_form_is_proposed_chosen_and_agreed_in_dutch() {
    meeting_round("nl", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_asked_for_in_the_mailbox_is_proposed_chosen_and_agreed_in_english() {
    meeting_round("en", false).await;
}

/// Posts `content` in the report's thread through the advisor's session,
/// sealed by `sealer` to the report's recipients. (The server accepts
/// another sealer than the session's key when it is the recovery key or an
/// enrolled advisor key: the reader's sender rules must do the rest.)
async fn post_sealed(
    advisor: &AdvisorView<'_>,
    report: &OpenedReport,
    tenant: &TestTenant,
    sealer: &StaticSecret,
    content: &Value,
) {
    let report_id = ItemId::from_hex(&report.id).expect("a report id");
    let item = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        sealer,
        &report.recipients,
        &serde_json::to_vec(content).expect("json"),
    );
    let response = meldkluis_tests::client()
        .post(format!(
            "{}/api/v1/t/{}/advisor/reports/{}/messages",
            advisor.base,
            tenant.id.as_str(),
            report.id
        ))
        .bearer_auth(&advisor.token)
        .json(&json!({ "item": b64(&item) }))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "posted");
}

fn proposal(id: &str, start: &str) -> Value {
    json!({
        "format": "meldkluis-meeting-proposal/1",
        "proposal_id": id,
        "way": "video",
        "moments": [{ "id": "00000000000000a1", "start": start, "minutes": 30 }],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meeting_items_from_the_wrong_keys_or_malformed_count_for_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let console = RunningConsole::start(&server, &tenant, enrolled_both(&tenant), "nl").await;
    let browser = Browser::start().await;
    let axe = axe_source();

    // The reporter chooses the first advisor only: the second is enrolled
    // (the server accepts items it seals) but not believed by the mailbox.
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput {
            what: "Er wordt gepest.".into(),
            leave_out: vec![2],
            ..ReportInput::default()
        },
    )
    .await;
    let (code, _) = send_report(&browser).await;
    confirm_code(&browser, &code).await;
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report_id = advisor.report_ids().await.pop().expect("the report");
    let report = advisor.open_report(&report_id).await;

    let [genuine, from_recovery, from_other, malformed] = [
        "000000000000000000000000000000a1",
        "000000000000000000000000000000b2",
        "000000000000000000000000000000c3",
        "000000000000000000000000000000d4",
    ];
    let own = &tenant.advisors[0];
    let recovery = &tenant.recovery;
    let other = &tenant.advisors[1];
    // A genuine proposal, then proposals sealed by the recovery key and by
    // an advisor the reporter did not choose, and a malformed one (a day
    // that does not exist) from the genuine advisor.
    post_sealed(
        &advisor,
        &report,
        &tenant,
        own,
        &proposal(genuine, "2027-01-05T14:00"),
    )
    .await;
    post_sealed(
        &advisor,
        &report,
        &tenant,
        recovery,
        &proposal(from_recovery, "2027-01-06T14:00"),
    )
    .await;
    post_sealed(
        &advisor,
        &report,
        &tenant,
        other,
        &proposal(from_other, "2027-01-07T14:00"),
    )
    .await;
    post_sealed(
        &advisor,
        &report,
        &tenant,
        own,
        &proposal(malformed, "2027-02-30T14:00"),
    )
    .await;
    // "The reporter's" choice of the genuine proposal, sealed by the
    // advisor's own key and by the recovery key: not the mailbox key.
    let choice = json!({ "format": "meldkluis-meeting-choice/1", "proposal_id": genuine, "moment_id": "00000000000000a1" });
    post_sealed(&advisor, &report, &tenant, own, &choice).await;
    post_sealed(&advisor, &report, &tenant, recovery, &choice).await;

    // The mailbox: one proposal to choose from (the genuine one); every
    // other item is a warning, with nothing to choose and no agreed moment.
    open_mailbox(&browser, &format!("{}/t/acme/mailbox", server.base), &code).await;
    browser.find("form.request__form").await;
    let seen = browser
        .js(
            "return {
               forms: [...document.querySelectorAll('form.request__form')].map(f => f.closest('li').id),
               radios: document.querySelectorAll('#thread input[type=radio]').length,
               warnings: [...document.querySelectorAll('#thread .notice--warning')].map(w => w.textContent),
               agreed: document.getElementById('meeting-agreed') !== null,
             };",
            vec![],
        )
        .await;
    assert_eq!(
        seen["forms"],
        json!([format!("meeting-{genuine}")]),
        "{seen}"
    );
    assert_eq!(
        seen["radios"],
        json!(2),
        "the genuine proposal's moment and 'none suit': {seen}"
    );
    assert_eq!(seen["agreed"], json!(false), "{seen}");
    let warnings: Vec<String> = serde_json::from_value(seen["warnings"].clone()).expect("texts");
    let unverified = warnings
        .iter()
        .filter(|w| w.contains(&text("nl", "js-unverified")))
        .count();
    let unreadable = warnings
        .iter()
        .filter(|w| w.contains(&text("nl", "meeting-unreadable")))
        .count();
    // The recovery key's proposal and choice, the other advisor's proposal
    // and the advisor's "choice": warnings; the malformed proposal: unreadable.
    assert_eq!((unverified, unreadable), (4, 1), "{warnings:?}");
    assert_axe_clean(&browser, &axe, "nl mailbox with forged meeting items").await;

    // The console: the genuine proposal (and the one of the other enrolled
    // advisor, whom the console trusts), but no choice and no agreed moment.
    console_report(&browser, &console, &report_id, "#meetings").await;
    let console_view = browser
        .js(
            "return {
               proposals: [...document.querySelectorAll('article.meeting-proposal')].map(a => a.dataset.proposal),
               choices: document.querySelectorAll('.meeting-choice').length,
               agreed: document.getElementById('meeting-agreed-top') !== null,
             };",
            vec![],
        )
        .await;
    assert_eq!(
        console_view["proposals"],
        json!([genuine, from_other]),
        "{console_view}"
    );
    assert_eq!(console_view["choices"], json!(0), "{console_view}");
    assert_eq!(console_view["agreed"], json!(false), "{console_view}");
    // Confirming a moment the reporter did not choose is refused, nothing posted.
    let csrf = browser
        .js(
            "return document.querySelector('input[name=csrf]').value;",
            vec![],
        )
        .await;
    let hash = browser
        .js(
            "return document.querySelector('input[name=report_hash]').value;",
            vec![],
        )
        .await;
    browser
        .js(
            "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];
             for (const [k, v] of Object.entries(arguments[1])) {
               const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.append(i);
             }
             document.body.append(f); f.submit(); return true;",
            vec![
                json!(format!("{}/reports/{report_id}/meetings/confirm", console.base)),
                json!({ "csrf": csrf, "report_hash": hash, "proposal_id": genuine,
                        "moment_id": "00000000000000a1", "action": "confirm" }),
            ],
        )
        .await;
    wait_contains(
        &browser,
        "#input-refused",
        &text("nl", "meeting-console-error-not-agreed"),
    )
    .await;
    let after = advisor.open_report(&report_id).await;
    assert_eq!(
        after.thread["messages"].as_array().map_or(0, Vec::len),
        6,
        "nothing was posted"
    );

    browser.close().await;
    console.stop().await;
    server.stop().await;
}
