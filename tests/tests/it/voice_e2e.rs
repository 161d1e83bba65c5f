//! A voice message from the reporter's microphone to the advisor's ears,
//! in a real headless Chromium (its fake microphone playing a tone)
//! against the real server and the real advisor console: recorded and
//! disguised on the report form, and again in the mailbox; sealed as
//! attachments; played in the console, whose decrypted bytes are
//! byte-identical to the recording the reporter's page held. Also the size
//! a minute of voice takes, sealed, and the ten-minute limit.

use std::time::Duration;

use meldkluis_crypto_core::{ItemKind, StaticKey as _};
use meldkluis_tests::reporter::{
    click, confirm_code, open_mailbox, open_report_form, send_reply, send_report, type_into,
    AdvisorView, ReportInput,
};
use meldkluis_tests::{new_item_id, seal, TestServer, TestTenant};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::console_harness::{console_report, enrolled_both, RunningConsole};
use crate::reporter_a11y::{axe_source, axe_violations};
use crate::voice_harness::{
    add_recording, catch_recordings, disguise_checkbox, is_voice_file_name, last_recording,
    open_recorder, open_report_recorder, record, voice_browser, Recording,
};

/// How long each test recording is.
const LENGTH: Duration = Duration::from_secs(3);

/// The attachment entry a content lists for a voice message, checked to
/// carry exactly id, name, type and size (nothing about the disguise).
fn voice_entry(content: &Value, recording: &Recording) -> String {
    let list = content["attachments"].as_array().expect("attachments");
    assert_eq!(list.len(), 1, "one attachment: {content}");
    let entry = list[0].as_object().expect("an entry");
    let mut keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["id", "name", "size", "type"],
        "only these fields: {entry:?}"
    );
    assert_eq!(entry["type"], "audio/webm");
    assert!(
        is_voice_file_name(entry["name"].as_str().expect("name")),
        "{entry:?}"
    );
    assert_eq!(entry["size"].as_u64(), Some(recording.size));
    entry["id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disguised_voice_message_plays_in_the_console_byte_identical() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let browser = voice_browser(dir.path(), "nl").await;

    // The report form: a voice message recorded, listened to, added.
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput::saying("Ik vertel het liever."),
    )
    .await;
    // Nothing of the recorder is loaded before the reporter asks for it.
    let loaded = browser
        .js(
            "return performance.getEntriesByType('resource').some((e) => e.name.includes('/assets/voice.js'));",
            vec![],
        )
        .await;
    assert_eq!(
        loaded,
        Value::Bool(false),
        "voice.js is loaded only on demand"
    );
    open_recorder(&browser).await;
    assert_eq!(
        disguise_checkbox(&browser).await,
        serde_json::json!([true, true]),
        "disguise is on and required by default"
    );
    let in_report = record(&browser, LENGTH).await;
    assert_eq!(in_report.blob_type, "audio/webm");
    assert!(
        in_report.seconds > 2.0 && in_report.seconds < 6.0,
        "about three seconds: {in_report:?}"
    );
    let names = add_recording(&browser, 1).await;
    assert!(is_voice_file_name(&names[0]), "{names:?}");
    let (code, _) = send_report(&browser).await;
    confirm_code(&browser, &code).await;

    // The mailbox: a message with a voice message.
    open_mailbox(&browser, &format!("{}/t/acme/mailbox", server.base), &code).await;
    type_into(&browser, "reply-text", "Nog iets, ingesproken.").await;
    open_recorder(&browser).await;
    let in_message = record(&browser, LENGTH).await;
    add_recording(&browser, 1).await;
    send_reply(&browser, "nl").await;
    let left = browser
        .js(
            "return document.querySelectorAll('#voice-list li').length;",
            vec![],
        )
        .await;
    assert_eq!(left, serde_json::json!(0), "a sent recording is forgotten");

    // What the server stored: sealed attachments named by the report and
    // the message, with nothing about the disguise.
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report_id = advisor.report_ids().await.remove(0);
    let report = advisor.open_report(&report_id).await;
    let report_file = voice_entry(&report.content, &in_report);
    let messages = advisor.open_messages(&report, &[report.mailbox_key]);
    let message_file = voice_entry(&messages[0], &in_message);
    for (id, recording) in [(&report_file, &in_report), (&message_file, &in_message)] {
        let opened = advisor.attachment(&report, id).await;
        assert_eq!(
            hex::encode(Sha256::digest(&opened)),
            recording.sha256,
            "the sealed attachment is the recording"
        );
    }

    // The advisor's console plays both; its decrypted bytes are the page's.
    let console = RunningConsole::start(&server, &tenant, enrolled_both(&tenant), "nl").await;
    console_report(&browser, &console, &report_id, "audio.voice-player").await;
    let sources = browser
        .js_strings(
            "the players' sources",
            "return [...document.querySelectorAll('audio.voice-player')].map((a) => a.src);",
        )
        .await;
    assert_eq!(
        sources.len(),
        2,
        "a player for each voice message: {sources:?}"
    );
    // Played by the browser: loaded under the console's policy and decoded.
    browser
        .js(
            "for (const a of document.querySelectorAll('audio.voice-player')) {
               a.preload = 'auto'; a.load(); a.play().catch(() => {});
             }",
            vec![],
        )
        .await;
    let played = browser
        .wait_for_js(
            "the console to play the voice messages",
            "const all = [...document.querySelectorAll('audio.voice-player')];
             const failed = all.find((p) => p.error);
             if (failed) return 'ERROR ' + failed.error.code + ' ' + failed.error.message;
             return all.every((p) => p.readyState >= 2) && 'played';",
        )
        .await;
    assert_eq!(played, Value::String("played".into()));
    let violations = axe_violations(&browser, &axe_source(), "console with voice messages").await;
    assert!(violations.is_empty(), "axe: {violations:#?}");
    // The bytes the console serves its player.
    let cookie = browser
        .client
        .get_named_cookie("meldkluis_console")
        .await
        .expect("the console's cookie");
    let http = meldkluis_tests::client();
    let mut served = Vec::new();
    for source in &sources {
        let response = http
            .get(source)
            .header(
                reqwest::header::COOKIE,
                format!("meldkluis_console={}", cookie.value()),
            )
            .send()
            .await
            .expect("the console answers");
        assert_eq!(response.status(), 200, "{source}");
        assert_eq!(
            response.headers()[reqwest::header::CONTENT_TYPE],
            "audio/webm"
        );
        assert_eq!(
            response.headers()[reqwest::header::CACHE_CONTROL],
            "no-store"
        );
        let bytes = response.bytes().await.expect("bytes");
        served.push(hex::encode(Sha256::digest(&bytes)));
    }
    served.sort();
    let mut recorded = vec![in_report.sha256.clone(), in_message.sha256.clone()];
    recorded.sort();
    assert_ne!(recorded[0], recorded[1], "two different recordings");
    assert_eq!(
        served, recorded,
        "the console's decrypted bytes are the page's recordings"
    );
    // Without the console's session secret, nothing.
    let refused = http.get(&sources[0]).send().await.expect("answer");
    assert_eq!(refused.status(), 403);

    // Size: a minute at the measured rate, sealed, is at most 1 MB; ten
    // minutes (the recorder's limit) fit the tenant's attachment limit.
    let rate = in_report.size as f64 / in_report.seconds;
    let minute = vec![0u8; (rate * 60.0).ceil() as usize];
    let sealed_minute = seal(
        ItemKind::Attachment,
        &tenant.id,
        new_item_id(),
        new_item_id(),
        &tenant.advisors[0],
        &[
            tenant.advisors[0].public_key(),
            tenant.advisors[1].public_key(),
            tenant.recovery.public_key(),
            report.mailbox_key,
        ],
        &minute,
    );
    eprintln!(
        "voice: {:.0} B/s recorded, {} B a minute, {} B a minute sealed",
        rate,
        minute.len(),
        sealed_minute.len()
    );
    assert!(
        sealed_minute.len() <= 1_000_000,
        "a minute of voice sealed: {} B",
        sealed_minute.len()
    );
    let limit: Value = meldkluis_tests::client()
        .get(format!("{}/t/acme/report", server.base))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .map(|page| {
            let start = page.find("\"maxAttachmentBytes\":").expect("the limit") + 21;
            let end = start + page[start..].find([',', '}']).expect("end");
            serde_json::from_str(&page[start..end]).expect("a number")
        })
        .expect("text");
    assert!(
        rate * 600.0 <= limit.as_f64().expect("a number"),
        "ten minutes fit the attachment limit {limit}"
    );

    console.stop().await;
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_stops_by_itself_at_ten_minutes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let browser = voice_browser(dir.path(), "nl").await;
    open_report_recorder(&browser, &format!("{}/t/acme/report", server.base)).await;
    catch_recordings(&browser).await;
    // The page's clock for long timers runs a thousand times faster:
    // ten minutes pass in 0.6 s (shorter timers are left as they are).
    let limit = browser
        .js(
            "const later = window.setTimeout.bind(window);
             window.__longest = 0;
             window.setTimeout = (run, ms, ...rest) => {
               window.__longest = Math.max(window.__longest, ms || 0);
               return later(run, ms >= 60000 ? ms / 1000 : ms, ...rest);
             };
             return true;",
            vec![],
        )
        .await;
    assert_eq!(limit, Value::Bool(true));
    click(&browser, "voice-start").await;
    // No press on Stop: the recorder stops itself.
    browser.find("#voice-recorded:not([hidden])").await;
    let (longest, said) = {
        let value = browser
            .js(
                "return [window.__longest, document.getElementById('voice-elapsed').textContent];",
                vec![],
            )
            .await;
        (
            value[0].as_f64().expect("ms"),
            value[1].as_str().expect("text").to_owned(),
        )
    };
    assert_eq!(longest, 600_000.0, "the limit is ten minutes");
    let nl = meldkluis_i18n::catalog().lang("nl").expect("nl");
    let reached = meldkluis_i18n::tf(
        nl,
        "voice-limit-reached",
        &[("elapsed", meldkluis_i18n::Arg::Str("0:00"))],
    );
    let (before, after) = reached.split_once("0:00").expect("the placeholder");
    assert!(
        said.starts_with(before) && said.ends_with(after),
        "the reporter is told it stopped at the limit: {said}"
    );
    let kept = last_recording(&browser).await;
    assert!(kept.size > 0, "what was recorded is kept: {kept:?}");
    browser.close().await;
    server.stop().await;
}
