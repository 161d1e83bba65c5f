//! A real headless Chromium, driven over WebDriver (`chromedriver` +
//! `fantoccini`), for the end-to-end tests of the reporter's pages and the
//! advisor console.
//!
//! Each [`Browser`] starts its own `chromedriver` on a free loopback port and
//! one Chromium with a fresh profile directory, so tests never share cookies,
//! storage or caches. Chromium runs with the flags this machine needs (no
//! background networking: the network is closed, and a browser that phones
//! home would also be a third-party request we promise never to make).
//! `scripts/setup.sh --browser` installs `chromium` and `chromium-driver`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long a test waits for something to appear before it fails. Long,
/// because what it waits for often includes an Argon2id derivation in the
/// page's Worker, and the `it` binary runs some twenty browser tests at
/// once on CI's two cores: 30 s was exceeded there now and then (a
/// mailbox log-in before the minutes to approve, the report page's send
/// button). A real failure still fails, later.
pub const WAIT: Duration = Duration::from_secs(90);

/// What kind of window the browser has.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Viewport width and height in CSS pixels.
    pub viewport: (u32, u32),
    /// Emulate a phone (touch, device pixel ratio 3) at `viewport`.
    pub mobile: bool,
    /// The browser's preferred language (`Accept-Language`), e.g. `nl`.
    pub language: String,
    /// Whether pages may run JavaScript.
    pub javascript: bool,
    /// A fake microphone (Chromium's fake capture device, its permission
    /// prompt answered "allow"), for the voice message tests.
    pub fake_microphone: Option<FakeMicrophone>,
}

/// What Chromium's fake microphone plays.
#[derive(Debug, Clone)]
pub enum FakeMicrophone {
    /// Chromium's own beeps.
    Beeps,
    /// A WAV file, looped.
    File(PathBuf),
}

impl Default for BrowserOptions {
    fn default() -> Self {
        Self {
            viewport: (1280, 900),
            mobile: false,
            language: "nl".into(),
            javascript: true,
            fake_microphone: None,
        }
    }
}

/// A headless Chromium under its own chromedriver.
#[derive(Debug)]
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
    profile: tempfile::TempDir,
}

/// Where a program is: `$env` if set, else `default`.
fn program(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Browser {
    /// Starts chromedriver and a fresh Chromium with the default window.
    pub async fn start() -> Self {
        Self::start_with(BrowserOptions::default()).await
    }

    /// Starts chromedriver and a fresh Chromium with the default window,
    /// preferring `lang` (`Accept-Language`).
    pub async fn start_in(lang: &str) -> Self {
        Self::start_with(BrowserOptions {
            language: lang.into(),
            ..BrowserOptions::default()
        })
        .await
    }

    /// Starts chromedriver and a fresh Chromium with `options`.
    pub async fn start_with(options: BrowserOptions) -> Self {
        let chromium = program("MELDKLUIS_TEST_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = program("MELDKLUIS_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        for path in [&chromium, &chromedriver] {
            assert!(
                path.is_file(),
                "{} is missing: run scripts/setup.sh --browser (apt: chromium chromium-driver)",
                path.display()
            );
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        wait_until_ready(&url).await;

        let (width, height) = options.viewport;
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--lang={}", options.language),
        ];
        if !options.mobile {
            args.push(format!("--window-size={width},{height}"));
        }
        if let Some(microphone) = &options.fake_microphone {
            args.push("--use-fake-ui-for-media-stream".to_owned());
            args.push("--use-fake-device-for-media-stream".to_owned());
            // The console's player is started by the test, not a click.
            args.push("--autoplay-policy=no-user-gesture-required".to_owned());
            if let FakeMicrophone::File(file) = microphone {
                args.push(format!(
                    "--use-file-for-fake-audio-capture={}",
                    file.display()
                ));
            }
        }
        let mut chrome_options = json!({
            "binary": chromium,
            "args": args,
            "prefs": {
                "intl.accept_languages": options.language,
                // 1 allows, 2 blocks.
                "profile.managed_default_content_settings.javascript": if options.javascript { 1 } else { 2 },
            },
        });
        if options.mobile {
            chrome_options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true }
            });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), chrome_options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a WebDriver session with headless Chromium");
        Self {
            client,
            driver,
            profile,
        }
    }

    /// The profile directory of this browser (its cache, storage, cookies).
    pub fn profile_dir(&self) -> &std::path::Path {
        self.profile.path()
    }

    /// Opens `url` and waits until the page has loaded.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigation");
    }

    /// The first element matching `css`, waiting up to [`WAIT`] for it.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?} within {WAIT:?}: {e}"))
    }

    /// Waits up to [`WAIT`] until `script` (a function body returning a
    /// value) returns something truthy; returns that value.
    pub async fn wait_for_js(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .expect("script runs");
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(started.elapsed() < WAIT, "waited {WAIT:?} for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (a function body) with `args` and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs `script` (a function body, no arguments), which returns a
    /// list of strings, and returns them; `what` names them if it did not.
    pub async fn js_strings(&self, what: &str, script: &str) -> Vec<String> {
        strings(&self.js(script, vec![]).await, what)
    }

    /// Ends the session and stops chromedriver and Chromium.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Drop stops the rest.
    }
}

/// The strings of a list a page's script returned; `what` names them
/// if it is not one.
pub fn strings(value: &Value, what: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a list: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{what}: not text: {v}"))
                .to_owned()
        })
        .collect()
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A killed chromedriver leaves its Chromium running (a failed test
        // never ends its session): stop every process of this profile, so
        // no browser outlives its test and burns the machine's cores.
        let _ = Command::new("pkill")
            .arg("-KILL")
            .arg("-f")
            .arg("--")
            .arg(format!("--user-data-dir={}", self.profile.path().display()))
            .status();
    }
}

/// Polls chromedriver's `/status` until it says it is ready.
async fn wait_until_ready(url: &str) {
    let http = crate::client();
    let started = Instant::now();
    loop {
        if let Ok(response) = http.get(format!("{url}/status")).send().await {
            if let Ok(status) = response.json::<Value>().await {
                if status["value"]["ready"] == json!(true) {
                    return;
                }
            }
        }
        assert!(
            started.elapsed() < WAIT,
            "chromedriver did not become ready at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
