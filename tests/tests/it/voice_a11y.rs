//! The recorder with a screen reader's and a keyboard user's eyes: axe
//! (WCAG 2.1 A/AA) finds nothing on the recorder in each of its states
//! (open, recording, recorded, added, failed) in nl and en, on the report
//! form and in the mailbox; and a voice message is recorded, listened to,
//! added and sent with the keyboard alone, the focus always where the
//! next step is.

use std::time::Duration;

use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{click, open_report_form, wait_ready, ReportInput};
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::{json, Value};

use crate::reporter_a11y::{axe_source, axe_violations, press, tab_to, ENTER};
use crate::voice_harness::{
    add_recording, catch_recordings, open_mailbox_recorder, open_recorder, record, recorder_error,
    voice_browser,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorder_is_axe_clean_in_every_state_in_dutch_and_english() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let axe = axe_source();
    let mut violations = Vec::new();
    for lang in ["nl", "en"] {
        let browser = voice_browser(dir.path(), lang).await;
        browser
            .goto(&format!("{}/t/acme/report?lang={lang}", server.base))
            .await;
        wait_ready(&browser, "send").await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} closed")).await);
        open_recorder(&browser).await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} open")).await);
        click(&browser, "voice-start").await;
        browser.find("#voice-stop:not([hidden])").await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} recording")).await);
        click(&browser, "voice-stop").await;
        catch_recordings(&browser).await;
        browser.find("#voice-recorded:not([hidden])").await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} recorded")).await);
        add_recording(&browser, 1).await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} added")).await);
        open_recorder(&browser).await;
        browser
            .js(
                "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));",
                vec![],
            )
            .await;
        click(&browser, "voice-start").await;
        recorder_error(&browser).await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} failed")).await);

        // The mailbox's recorder (the same, under the reply's attachments).
        open_mailbox_recorder(
            &browser,
            &format!("{}/t/acme/mailbox?lang={lang}", server.base),
        )
        .await;
        record(&browser, Duration::from_secs(1)).await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} mailbox recorded")).await);
        browser.close().await;
    }
    assert!(violations.is_empty(), "axe: {violations:#?}");
    server.stop().await;
}

/// Waits until the element with `id` has the focus.
async fn focus_on(browser: &Browser, id: &str) {
    browser
        .wait_for_js(
            &format!("the focus on #{id}"),
            &format!("return document.activeElement && document.activeElement.id === '{id}';"),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_message_is_recorded_and_sent_with_the_keyboard_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let browser = voice_browser(dir.path(), "nl").await;
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput::saying("Met het toetsenbord ingesproken."),
    )
    .await;
    catch_recordings(&browser).await;
    browser
        .js("document.getElementById('q-what').focus();", vec![])
        .await;
    tab_to(&browser, "voice-open").await;
    press(&browser, ENTER).await;
    focus_on(&browser, "voice-title").await;
    // The disguise is required here: its checkbox is skipped, Start is next.
    tab_to(&browser, "voice-start").await;
    press(&browser, ENTER).await;
    focus_on(&browser, "voice-stop").await;
    let recording = browser
        .find("#voice-elapsed")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        recording.contains("10:00"),
        "the time and its limit are said: {recording}"
    );
    // The recording's length: the input itself takes this long.
    tokio::time::sleep(Duration::from_secs(2)).await;
    press(&browser, ENTER).await;
    focus_on(&browser, "voice-audio").await;
    let elapsed: Value = browser
        .js(
            "const e = document.getElementById('voice-elapsed'); return [e.getAttribute('aria-live'), e.textContent];",
            vec![],
        )
        .await;
    assert_eq!(elapsed[0], "polite");
    assert!(
        elapsed[1].as_str().expect("text").contains("0:0"),
        "the length is said: {elapsed}"
    );
    tab_to(&browser, "voice-add").await;
    press(&browser, ENTER).await;
    focus_on(&browser, "voice-open").await;
    let listed = browser
        .js(
            "return [...document.querySelectorAll('#voice-list li')].length;",
            vec![],
        )
        .await;
    assert_eq!(listed, json!(1));
    tab_to(&browser, "send").await;
    press(&browser, ENTER).await;
    let shown = browser
        .wait_for_js(
            "the login code",
            "const e = document.getElementById('send-error');
             if (e && e.textContent) return 'ERROR: ' + e.textContent;
             return !document.getElementById('code-screen').hidden && 'sent';",
        )
        .await;
    assert_eq!(shown, json!("sent"), "the report with its voice message");
    browser.close().await;
    server.stop().await;
}
