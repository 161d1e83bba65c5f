//! What the voice message tests share: a tone for Chromium's fake
//! microphone, a browser that records from it, and the recorder driven as
//! a reporter does (open, start, stop, listen, add), with the recording
//! the page made read back from the page itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

use meldkluis_tests::browser::{strings, Browser, BrowserOptions, FakeMicrophone};
use meldkluis_tests::reporter::{click, wait_ready};
use serde_json::Value;

/// The fake microphone's tone, in Hz.
pub(crate) const TONE_HZ: f64 = 443.0;

/// Writes a mono 16-bit 48 kHz WAV of a sine at `hz` lasting `seconds`
/// (Chromium loops it) and returns its path.
pub(crate) fn tone_wav(dir: &Path, hz: f64, seconds: u32) -> PathBuf {
    let rate: u32 = 48_000;
    let samples = rate * seconds;
    let mut wav = Vec::with_capacity(44 + 2 * samples as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + 2 * samples).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(2 * samples).to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(rate);
        let value = (0.5 * (2.0 * std::f64::consts::PI * hz * t).sin() * 32767.0) as i16;
        wav.extend_from_slice(&value.to_le_bytes());
    }
    let path = dir.join(format!("tone-{hz}.wav"));
    std::fs::write(&path, wav).expect("write the tone");
    path
}

/// A Chromium whose microphone plays a [`TONE_HZ`] sine (its permission
/// prompt answered "allow"), in `lang`.
pub(crate) async fn voice_browser(dir: &Path, lang: &str) -> Browser {
    let tone = tone_wav(dir, TONE_HZ, 10);
    Browser::start_with(BrowserOptions {
        language: lang.into(),
        fake_microphone: Some(FakeMicrophone::File(tone)),
        ..BrowserOptions::default()
    })
    .await
}

/// Keeps every audio Blob the page turns into an address (the recorder
/// does so for its `<audio>`), so the test reads the very bytes the
/// reporter listens to. Only an observer: the page's own code is unchanged.
pub(crate) async fn catch_recordings(browser: &Browser) {
    browser
        .js(
            "if (!window.__voiceBlobs) {
               window.__voiceBlobs = [];
               const make = URL.createObjectURL.bind(URL);
               URL.createObjectURL = (blob) => {
                 if (blob instanceof Blob && blob.type.startsWith('audio/')) window.__voiceBlobs.push(blob);
                 return make(blob);
               };
             }",
            vec![],
        )
        .await;
}

/// The recording the page made, as the page holds it.
#[derive(Debug, Clone)]
pub(crate) struct Recording {
    /// SHA-256 of its bytes (lower-case hex).
    pub(crate) sha256: String,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// Its Blob type.
    pub(crate) blob_type: String,
    /// Its length as the browser decodes it, in seconds.
    pub(crate) seconds: f64,
}

/// The newest recording caught by [`catch_recordings`].
pub(crate) async fn last_recording(browser: &Browser) -> Recording {
    let value = browser
        .js(
            "return (async () => {
               const blobs = window.__voiceBlobs || [];
               const blob = blobs[blobs.length - 1];
               if (!blob) return null;
               const bytes = new Uint8Array(await blob.arrayBuffer());
               const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
               const audio = await new OfflineAudioContext(1, 1, 48000).decodeAudioData(bytes.slice().buffer);
               return { sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
                        size: bytes.length, type: blob.type, seconds: audio.duration };
             })();",
            vec![],
        )
        .await;
    assert!(value.is_object(), "a recording was made: {value}");
    Recording {
        sha256: value["sha256"].as_str().expect("hash").to_owned(),
        size: value["size"].as_u64().expect("size"),
        blob_type: value["type"].as_str().expect("type").to_owned(),
        seconds: value["seconds"].as_f64().expect("seconds"),
    }
}

/// What the spectrum of a recording shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spectrum {
    /// The dominant frequency (Hz, 150–1000).
    pub(crate) peak: f64,
    /// The power at [`TONE_HZ`] (the microphone's own tone) relative to
    /// the peak's.
    pub(crate) at_tone: f64,
}

/// The spectrum of the newest recording over 1.5 s after its first half
/// second, by a Goertzel scan of the decoded samples (1 Hz steps from 150
/// to 1000 Hz, then 0.1 Hz around the best).
pub(crate) async fn spectrum(browser: &Browser) -> Spectrum {
    let value = browser
        .js(
            "return (async () => {
               const blobs = window.__voiceBlobs || [];
               const blob = blobs[blobs.length - 1];
               const audio = await new OfflineAudioContext(1, 1, 48000).decodeAudioData(await blob.arrayBuffer());
               const x = audio.getChannelData(0);
               const rate = audio.sampleRate;
               const start = Math.floor(0.5 * rate);
               const n = Math.min(x.length - start, Math.floor(1.5 * rate));
               if (n < rate / 2) return { error: `only ${x.length} samples` };
               const power = (f) => {
                 const k = 2 * Math.cos(2 * Math.PI * f / rate);
                 let s1 = 0, s2 = 0;
                 for (let i = 0; i < n; i += 1) { const s0 = x[start + i] + k * s1 - s2; s2 = s1; s1 = s0; }
                 return s1 * s1 + s2 * s2 - k * s1 * s2;
               };
               let best = 150, bestPower = -1;
               for (let f = 150; f <= 1000; f += 1) { const p = power(f); if (p > bestPower) { bestPower = p; best = f; } }
               let fine = best;
               for (let f = best - 1; f <= best + 1; f += 0.1) { const p = power(f); if (p > bestPower) { bestPower = p; fine = f; } }
               return { peak: fine, atTone: power(arguments[0]) / bestPower };
             })();",
            vec![serde_json::json!(TONE_HZ)],
        )
        .await;
    Spectrum {
        peak: value["peak"]
            .as_f64()
            .unwrap_or_else(|| panic!("no spectrum: {value}")),
        at_tone: value["atTone"].as_f64().expect("the power at the tone"),
    }
}

/// Opens the recorder (the button under the attachments) and waits for it.
pub(crate) async fn open_recorder(browser: &Browser) {
    browser.find("#voice-open").await;
    click(browser, "voice-open").await;
    browser.find("#voice-start").await;
}

/// Opens the report form at `url`, waits until its script is ready and
/// opens the recorder.
pub(crate) async fn open_report_recorder(browser: &Browser, url: &str) {
    browser.goto(url).await;
    wait_ready(browser, "send").await;
    open_recorder(browser).await;
}

/// Opens the mailbox page at `url` and its recorder without logging in:
/// the recorder is on the mailbox page too (shown once logged in), and can
/// be opened there without a thread.
pub(crate) async fn open_mailbox_recorder(browser: &Browser, url: &str) {
    browser.goto(url).await;
    wait_ready(browser, "login-button").await;
    browser
        .js(
            "document.getElementById('mailbox-screen').hidden = false;",
            vec![],
        )
        .await;
    open_recorder(browser).await;
}

/// The disguise checkbox of the open recorder: `[checked, disabled]`.
pub(crate) async fn disguise_checkbox(browser: &Browser) -> Value {
    browser
        .js(
            "const d = document.getElementById('voice-disguise'); return [d.checked, d.disabled];",
            vec![],
        )
        .await
}

/// Records for `length` from the fake microphone (the recorder open),
/// stops, and waits until the recording can be listened to. Returns it.
pub(crate) async fn record(browser: &Browser, length: Duration) -> Recording {
    catch_recordings(browser).await;
    let before = browser
        .js("return (window.__voiceBlobs || []).length;", vec![])
        .await;
    click(browser, "voice-start").await;
    let started = browser
        .wait_for_js(
            "the recording to start",
            "const e = document.getElementById('voice-error');
             if (e && !e.hidden) return 'ERROR: ' + e.textContent;
             const s = document.getElementById('voice-stop'); return s && !s.hidden && 'recording';",
        )
        .await;
    assert_eq!(started, "recording", "the recording starts");
    // The recording's length: the input itself takes this long.
    tokio::time::sleep(length).await;
    click(browser, "voice-stop").await;
    browser
        .wait_for_js(
            "the recording to be ready",
            &format!(
                "return !document.getElementById('voice-recorded').hidden
                        && (window.__voiceBlobs || []).length > {before};"
            ),
        )
        .await;
    last_recording(browser).await
}

/// Adds the recording to the report or message and waits until it is
/// listed; returns the names listed.
pub(crate) async fn add_recording(browser: &Browser, count: usize) -> Vec<String> {
    click(browser, "voice-add").await;
    let names = browser
        .wait_for_js(
            "the recording to be listed",
            &format!(
                "const items = [...document.querySelectorAll('#voice-list li')];
                 return items.length === {count} && items.map((li) => li.firstChild.textContent.trim());"
            ),
        )
        .await;
    strings(&names, "the names listed")
}

/// Whether `name` is a voice message's file name:
/// `spraakbericht-YYYY-MM-DD.webm`.
pub(crate) fn is_voice_file_name(name: &str) -> bool {
    regex::Regex::new(r"^spraakbericht-\d{4}-\d{2}-\d{2}(-\d+)?\.webm$")
        .expect("regex")
        .is_match(name)
}

/// The recorder's error line: (shown, text, focused).
pub(crate) async fn recorder_error(browser: &Browser) -> Value {
    browser
        .wait_for_js(
            "the recorder's error",
            "const e = document.getElementById('voice-error');
             return e && !e.hidden && e.textContent &&
                    { text: e.textContent, focused: document.activeElement === e, role: e.getAttribute('role') };",
        )
        .await
}
