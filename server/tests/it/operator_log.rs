//! What the operator's log and command line show (issue 10, finding 7 and
//! the small things a new operator meets): no line per reporter request,
//! no time finer than the day, no colour codes in a file, and a command
//! whose output goes into a closed pipe ends quietly.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::json;

use crate::common::{serve, BIN};

/// Starts `serve` with its log (standard error) going to `log`; returns the
/// child and its base URL.
fn start(data: &Path, log: &Path, envs: &[(&str, &str)]) -> (Child, String) {
    let (child, _, base) = serve(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(data)
            .env_remove("MELDKLUIS_LOG")
            .envs(envs.iter().copied())
            .stderr(std::fs::File::create(log).expect("log file")),
    );
    (child, base)
}

/// Stops the server as an operator would (SIGINT) and waits for it.
fn stop(mut child: Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "the server stops cleanly: {exit}");
}

fn create_tenant(data: &Path, id: &str) {
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(["tenant", "create", id, "--name", "Acme"])
        .output()
        .expect("run the CLI");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reporter requests: the configuration, a failed log-in, a bad report.
async fn reporter_requests(base: &str) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let t = format!("{base}/api/v1/t/acme");
    let config = http
        .get(format!("{t}/config"))
        .send()
        .await
        .expect("config");
    assert_eq!(config.status(), 200);
    let login = http
        .post(format!("{t}/mailbox/login"))
        .json(&json!({ "mailbox_id": "00".repeat(16), "auth_secret": "11".repeat(32) }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 401);
    let report = http
        .post(format!("{t}/reports"))
        .json(&json!({ "item": "", "mailbox_id": "", "mailbox_public_key": "", "auth_secret": "" }))
        .send()
        .await
        .expect("report");
    assert_eq!(report.status(), 400);
}

/// True if `text` holds a clock time (`12:34`), in any form.
fn has_clock_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.windows(5).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporter_requests_leave_no_log_line_and_no_time_finer_than_the_day() {
    let data = tempfile::tempdir().expect("tempdir");
    create_tenant(data.path(), "acme");
    let log = data.path().join("server.log");
    let (child, base) = start(data.path(), &log, &[]);
    reporter_requests(&base).await;
    stop(child);

    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        !text.contains('\u{1b}'),
        "colour codes in a log file: {text}"
    );
    assert!(
        text.contains("requests since start"),
        "the counters are logged: {text}"
    );
    assert!(text.contains("reporter_ok=1"), "{text}");
    assert!(text.contains("reporter_4xx=2"), "{text}");
    for line in text.lines() {
        assert!(
            !line.contains("/api/v1") && !line.contains("latency"),
            "a per-request line: {line}"
        );
        assert!(!has_clock_time(line), "a time finer than the day: {line}");
        let day = line.split_whitespace().next().unwrap_or("");
        let is_day = day.len() == 10
            && day.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        assert!(is_day, "a log line starts with the day: {line}");
    }

    // The debugging setting brings the lines back, as its text says.
    let debug_log = data.path().join("debug.log");
    let (child, base) = start(
        data.path(),
        &debug_log,
        &[("MELDKLUIS_DEBUG_LOG_REQUESTS", "true")],
    );
    reporter_requests(&base).await;
    stop(child);
    let text = std::fs::read_to_string(&debug_log).expect("log");
    assert!(text.contains("/api/v1/t/{tenant}/mailbox/login"), "{text}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let data = tempfile::tempdir().expect("tempdir");
    create_tenant(data.path(), "acme");
    for args in [
        &["tenant", "example-questionnaire"][..],
        &["tenant", "list"][..],
        &["tenant", "show", "acme"][..],
    ] {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the CLI");
        // The reader goes away before the command writes (`... | head -0`).
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            output.status.success(),
            "{args:?}: {:?} {stderr}",
            output.status
        );
    }
}
