//! When recording cannot work, the reporter is told why, in their
//! language, with the focus on the message: a browser without
//! getUserMedia or MediaRecorder, a refused microphone, no microphone, any
//! other failure; and a real headless Chromium without a (fake)
//! microphone. A tenant that has voice messages off offers no recorder, and
//! its pages keep the microphone denied. A recorder changed on the way
//! (by the server or between) does not run.

use meldkluis_i18n::{catalog, t};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::RecordingProxy;
use meldkluis_tests::reporter::{click, wait_ready};
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::{json, Value};

use crate::voice_harness::{open_report_recorder, recorder_error};

/// Presses "start" with `breakage` run in the page first, and returns the
/// error shown (text, whether focused, role).
async fn fails_with(browser: &Browser, breakage: &str) -> Value {
    browser.js(breakage, vec![]).await;
    click(browser, "voice-start").await;
    recorder_error(browser).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recording_failure_is_explained_in_the_readers_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    for lang in ["nl", "en"] {
        let language = catalog().lang(lang).expect("a language");
        // No fake microphone: a real headless Chromium has none.
        let browser = Browser::start_in(lang).await;
        let report_form = format!("{}/t/acme/report?lang={lang}", server.base);
        open_report_recorder(&browser, &report_form).await;

        click(&browser, "voice-start").await;
        let real = recorder_error(&browser).await;
        let possible: Vec<String> = [
            "voice-error-denied",
            "voice-error-no-microphone",
            "voice-error-failed",
        ]
        .iter()
        .map(|id| t(language, id))
        .collect();
        assert!(
            possible.iter().any(|p| real["text"] == json!(p)),
            "{lang}: a translated error without a microphone: {real}"
        );

        for (breakage, id) in [
            (
                "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));",
                "voice-error-denied",
            ),
            (
                "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('none', 'NotFoundError'));",
                "voice-error-no-microphone",
            ),
            (
                "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('busy', 'NotReadableError'));",
                "voice-error-failed",
            ),
            ("window.MediaRecorder = undefined;", "voice-error-unsupported"),
            (
                "Object.defineProperty(navigator, 'mediaDevices', { value: undefined });",
                "voice-error-unsupported",
            ),
        ] {
            // A fresh page for each, so no case hides behind another.
            open_report_recorder(&browser, &report_form).await;
            let shown = fails_with(&browser, breakage).await;
            assert_eq!(
                shown,
                json!({ "text": t(language, id), "focused": true, "role": "alert" }),
                "{lang}: {breakage}"
            );
        }
        browser.close().await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_without_voice_messages_offers_no_recorder_and_keeps_the_microphone_denied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let on = TestTenant::create(&server.admin(), "acme", 1);
    let off = TestTenant::create(&server.admin(), "other", 1);
    server
        .admin()
        .set_voice(&off.id, Some(false), None)
        .expect("voice off");
    let http = meldkluis_tests::client();
    for page in ["report", "mailbox"] {
        for (tenant, microphone) in [(&on, "microphone=(self)"), (&off, "microphone=()")] {
            let response = http
                .get(format!("{}/t/{}/{page}", server.base, tenant.id.as_str()))
                .send()
                .await
                .expect("page");
            let policy = response.headers()["permissions-policy"]
                .to_str()
                .expect("ascii")
                .to_owned();
            assert!(
                policy.contains(microphone) && policy.contains("camera=()"),
                "{page} of {}: {policy}",
                tenant.id.as_str()
            );
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .expect("ascii")
                .to_owned();
            assert!(csp.contains("media-src blob:"), "{csp}");
        }
    }
    // Everything else still denies the microphone.
    let api = http
        .get(format!("{}/api/v1/t/acme/config", server.base))
        .send()
        .await
        .expect("config");
    assert!(api.headers()["permissions-policy"]
        .to_str()
        .expect("ascii")
        .contains("microphone=()"));

    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/t/other/report", server.base))
        .await;
    wait_ready(&browser, "send").await;
    let offered = browser
        .js(
            "return [!!document.getElementById('voice-open'),
                     JSON.parse(document.getElementById('mk-data').textContent).voice.enabled];",
            vec![],
        )
        .await;
    assert_eq!(
        offered,
        json!([false, false]),
        "no recorder where voice is off"
    );
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_recorder_is_refused_and_the_microphone_never_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let genuine = meldkluis_tests::client()
        .get(format!("{}/assets/voice.js", server.base))
        .send()
        .await
        .expect("the recorder")
        .bytes()
        .await
        .expect("bytes");
    // A recorder that would also keep the raw voice: one line more.
    let mut changed = genuine.to_vec();
    changed.extend_from_slice(b"\nwindow.__raw = true;\n");
    let proxy =
        RecordingProxy::start_replacing(&server.base, Some(("/assets/voice.js", changed))).await;
    let browser = crate::voice_harness::voice_browser(dir.path(), "nl").await;
    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    wait_ready(&browser, "send").await;
    browser
        .js(
            "window.__asked = 0;
             const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
             navigator.mediaDevices.getUserMedia = (c) => { window.__asked += 1; return ask(c); };",
            vec![],
        )
        .await;
    click(&browser, "voice-open").await;
    let shown = browser
        .wait_for_js(
            "the recorder's refusal",
            "const e = document.getElementById('voice-load-error');
             return e && !e.hidden && { text: e.textContent, focused: document.activeElement === e };",
        )
        .await;
    let nl = catalog().lang("nl").expect("nl");
    assert_eq!(
        shown,
        json!({ "text": t(nl, "voice-error-failed"), "focused": true })
    );
    let state = browser
        .js(
            "return [!!document.getElementById('voice-start'), window.__raw === true, window.__asked];",
            vec![],
        )
        .await;
    assert_eq!(
        state,
        json!([false, false, 0]),
        "no recorder, the changed code did not run, no microphone asked"
    );
    assert!(
        proxy.recorded().iter().any(|r| r.uri == "/assets/voice.js"),
        "the browser did fetch the recorder"
    );
    browser.close().await;
    server.stop().await;
}
