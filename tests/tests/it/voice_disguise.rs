//! The voice disguise, measured rather than asserted: Chromium's fake
//! microphone plays a pure tone; the recording the page made is decoded in
//! the browser and its spectrum shows the tone moved by a ratio from
//! [0.75, 0.85] ∪ [1.2, 1.3], with (almost) nothing left at the original
//! pitch. Undisguised (where the tenant lets the reporter choose) the same
//! measurement finds the tone where it is, so the measurement is sound.
//! Where the tenant requires disguise, a reporter (or a script in the
//! page) who forces the checkbox off still records a disguised voice; and
//! the page keeps nothing of the ratio.

use std::time::Duration;

use meldkluis_server::profile::Disguise;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::click;
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::{json, Value};

use crate::voice_harness::{
    disguise_checkbox, open_mailbox_recorder, open_report_recorder, record, spectrum,
    voice_browser, Spectrum, TONE_HZ,
};

const LENGTH: Duration = Duration::from_secs(3);
/// How far the measured ratio may be from the bands (the shifter's
/// cross-fade spreads the tone over lines 10 Hz apart).
const TOLERANCE: f64 = 0.02;

fn in_bands(ratio: f64) -> bool {
    (0.75 - TOLERANCE..=0.85 + TOLERANCE).contains(&ratio)
        || (1.2 - TOLERANCE..=1.3 + TOLERANCE).contains(&ratio)
}

/// Records once with the recorder as it is and returns the spectrum.
async fn measure(browser: &Browser) -> Spectrum {
    record(browser, LENGTH).await;
    let measured = spectrum(browser).await;
    click(browser, "voice-discard").await;
    measured
}

/// Everything the page could have kept between recordings.
async fn stored(browser: &Browser) -> Value {
    browser
        .js(
            "return (async () => ({
               local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
               databases: (await indexedDB.databases()).length,
             }))();",
            vec![],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_voice_is_moved_by_a_random_ratio_and_the_raw_tone_is_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    server
        .admin()
        .set_voice(&tenant.id, None, Some(Disguise::Optional))
        .expect("voice setting");
    let browser = voice_browser(dir.path(), "nl").await;
    open_report_recorder(&browser, &format!("{}/t/acme/report", server.base)).await;
    assert_eq!(
        disguise_checkbox(&browser).await,
        json!([true, false]),
        "on by default, the reporter's choice"
    );

    let mut ratios = Vec::new();
    for _ in 0..2 {
        let disguised = measure(&browser).await;
        let ratio = disguised.peak / TONE_HZ;
        eprintln!(
            "disguised: peak {:.1} Hz, ratio {ratio:.3}, {:.4} of it left at the tone",
            disguised.peak, disguised.at_tone
        );
        assert!(
            in_bands(ratio),
            "the tone moved by a ratio from the bands: {disguised:?} (ratio {ratio:.3})"
        );
        assert!(
            disguised.at_tone < 0.05,
            "nothing of the raw tone is recorded: {disguised:?}"
        );
        ratios.push(ratio);
    }

    // The control: the same measurement, undisguised, finds the tone.
    click(&browser, "voice-disguise").await;
    let plain = measure(&browser).await;
    eprintln!("undisguised: peak {:.1} Hz", plain.peak);
    assert!(
        (plain.peak / TONE_HZ - 1.0).abs() < 0.01,
        "undisguised, the tone stays: {plain:?}"
    );

    // Nothing of the ratios is kept in the page's storage.
    assert_eq!(
        stored(&browser).await,
        json!({ "local": 0, "session": 0, "cookie": "", "databases": 0 })
    );
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_disguise_holds_when_the_checkbox_is_forced_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let browser = voice_browser(dir.path(), "en").await;
    open_mailbox_recorder(&browser, &format!("{}/t/acme/mailbox", server.base)).await;
    assert_eq!(
        disguise_checkbox(&browser).await,
        json!([true, true]),
        "required: on and fixed"
    );
    // A script in the page (or a reporter with the developer tools) turns
    // it off anyway.
    browser
        .js(
            "const d = document.getElementById('voice-disguise'); d.disabled = false; d.checked = false;",
            vec![],
        )
        .await;
    let forced = measure(&browser).await;
    let ratio = forced.peak / TONE_HZ;
    assert!(
        in_bands(ratio) && forced.at_tone < 0.05,
        "still disguised: {forced:?} (ratio {ratio:.3})"
    );
    browser.close().await;
    server.stop().await;
}
