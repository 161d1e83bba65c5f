//! What the tests of the server binary share: starting `serve` as a child
//! process, stopping it, and an advisor's log-in over HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use base64::Engine as _;
use meldkluis_crypto_core::challenge::answer_challenge;
use meldkluis_crypto_core::{StaticKey, StaticSecret, TenantId};
use serde_json::{json, Value};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_meldkluis-server");

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Runs the binary once with `args` on the data folder `data` (warnings
/// only in its log) and returns what it printed and how it ended.
pub(crate) fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("MELDKLUIS_LOG", "warn")
        .output()
        .expect("run the CLI")
}

/// Runs the binary once like [`cli`], asserts that it succeeded (else
/// fails with what it wrote to standard error) and returns its standard
/// output.
pub(crate) fn cli_ok(data: &Path, args: &[&str]) -> String {
    let output = cli(data, args);
    assert!(
        output.status.success(),
        "meldkluis-server {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Starts `serve` on the data folder `data` (warnings only in its log):
/// the child and its base URL.
pub(crate) fn start(data: &Path) -> (Child, String) {
    let (child, _, base) = serve(
        Command::new(BIN)
            .arg("--data-dir")
            .arg(data)
            .env("MELDKLUIS_LOG", "warn"),
    );
    (child, base)
}

/// Starts `command` (the binary with its options and environment) as
/// `serve` on a free port and reads its "listening on" line: the child,
/// the rest of its standard output, and its base URL.
pub(crate) fn serve(command: &mut Command) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .expect("read the listening line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("listening line, got {line:?}"))
        .to_owned();
    (child, stdout, base)
}

/// Kills the server (SIGKILL) and reaps it.
pub(crate) fn kill(mut child: Child) {
    child.kill().expect("SIGKILL the server");
    child.wait().expect("reap the server");
}

/// Logs `advisor` in to `tenant` with the challenge, for a server whose
/// origin is `origin`; returns the bearer token.
pub(crate) async fn advisor_login(
    http: &reqwest::Client,
    base: &str,
    origin: &str,
    tenant: &TenantId,
    advisor: &StaticSecret,
) -> String {
    let t = tenant.as_str();
    let challenge: Value = http
        .get(format!("{base}/api/v1/t/{t}/advisor/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let message: [u8; 64] = base64::engine::general_purpose::STANDARD
        .decode(challenge["challenge"].as_str().expect("challenge"))
        .expect("base64")
        .try_into()
        .expect("64 bytes");
    let context = meldkluis_server::auth::challenge_context(tenant, origin);
    let answer = answer_challenge(advisor, &message, &context).expect("answer");
    let login: Value = http
        .post(format!("{base}/api/v1/t/{t}/advisor/login"))
        .json(&json!({
            "challenge_id": challenge["challenge_id"],
            "public_key": advisor.public_key().to_hex(),
            "response": b64(&answer),
        }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    login["token"].as_str().expect("token").to_owned()
}
