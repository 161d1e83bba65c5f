//! A real SMTP server for the e-mail tests: `tests/smtp/smtp_sink.py`
//! (Python's aiosmtpd, installed by `scripts/setup.sh`) run as a child
//! process on 127.0.0.1 with a free port. Standard library and serde_json
//! only, so the server crate's own tests can include this file too.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How the sink behaves.
#[derive(Debug, Clone, Default)]
pub struct SinkOptions {
    /// Actions for the DATA transactions in turn (`ok`, `451`, `drop`,
    /// `hang`, ...); `ok` once used up.
    pub script: Vec<String>,
    /// Seconds a `hang` waits before answering.
    pub hang_secs: Option<f64>,
    /// `starttls` or `tls` with `cert_and_key`; plain SMTP if `None`.
    pub security: Option<&'static str>,
    /// PEM certificate and key for TLS.
    pub cert_and_key: Option<(PathBuf, PathBuf)>,
    /// `user:password` for SMTP AUTH (only after TLS).
    pub auth: Option<String>,
    /// Listen on this port instead of a free one (to restart a sink where
    /// the server expects it).
    pub port: Option<u16>,
}

/// A message the sink accepted.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope recipients.
    pub rcpt_to: Vec<String>,
    /// Headers as (name, value), decoded.
    pub headers: Vec<(String, String)>,
    /// The decoded subject.
    pub subject: String,
    /// The decoded plain-text body.
    pub body: String,
    /// The message as sent, raw.
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The running sink; stopped (by its process handle) when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

/// The sink script in this repository.
pub fn sink_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("smtp")
        .join("smtp_sink.py")
}

impl SmtpSink {
    /// Starts the sink storing into `dir` (created if needed).
    pub fn start(dir: &Path, options: &SinkOptions) -> Self {
        std::fs::create_dir_all(dir).expect("sink directory");
        let python = std::env::var("MELDKLUIS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut command = Command::new(python);
        command
            .arg(sink_script())
            .arg("--dir")
            .arg(dir)
            .arg("--script")
            .arg(options.script.join(","))
            .stdout(Stdio::piped())
            .stdin(Stdio::null());
        if let Some(port) = options.port {
            command.arg("--port").arg(port.to_string());
        }
        if let Some(hang) = options.hang_secs {
            command.arg("--hang").arg(hang.to_string());
        }
        if let Some(security) = options.security {
            command.arg("--security").arg(security);
        }
        if let Some((cert, key)) = &options.cert_and_key {
            command.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        if let Some(auth) = &options.auth {
            command.arg("--auth").arg(auth);
        }
        let mut child = command
            .spawn()
            .expect("start the SMTP sink (python3 with aiosmtpd: scripts/setup.sh installs it)");
        let stdout = child.stdout.take().expect("sink stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the sink's listening line");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the SMTP sink did not start: {line:?} (is aiosmtpd installed?)")
            });
        Self {
            port,
            dir: dir.to_owned(),
            child,
        }
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("sink directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|eml| {
                let json: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(eml.with_extension("json")).expect("sink json"),
                )
                .expect("valid json");
                let strings = |v: &serde_json::Value| -> Vec<String> {
                    v.as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                ReceivedMail {
                    rcpt_to: strings(&json["rcpt_to"]),
                    headers: json["headers"]
                        .as_array()
                        .map(|hs| {
                            hs.iter()
                                .map(|h| {
                                    let pair = strings(h);
                                    (pair[0].clone(), pair[1].clone())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    subject: json["subject"].as_str().unwrap_or_default().to_owned(),
                    body: json["body"].as_str().unwrap_or_default().to_owned(),
                    raw: std::fs::read(&eml).expect("sink eml"),
                }
            })
            .collect()
    }

    /// Every DATA transaction so far: (action, Message-ID, recipients).
    pub fn transactions(&self) -> Vec<(String, String, String)> {
        std::fs::read_to_string(self.dir.join("transactions.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let mut parts = line.splitn(3, ' ');
                let mut next = || parts.next().unwrap_or_default().to_owned();
                (next(), next(), next())
            })
            .collect()
    }

    /// Waits (polling, up to `timeout`) until at least `count` messages
    /// arrived; returns them all. Panics on timeout.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{count} message(s) expected, {} arrived within {timeout:?}; transactions: {:?}",
                messages.len(),
                self.transactions()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until at least `count` DATA transactions happened.
    pub fn wait_for_transactions(&self, count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.transactions().len() < count {
            assert!(
                Instant::now() < deadline,
                "{count} transaction(s) expected within {timeout:?}, saw {:?}",
                self.transactions()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
