//! The `meldkluis-advisor console` binary as an advisor starts it: it prints
//! its address (with the per-run secret) on standard output, and when the
//! server's public configuration serves advisor keys other than the ones
//! the advisor confirmed, it says so loudly on standard error and on the
//! page. The server here is a stand-in that serves only the public
//! configuration (a swapped key), as a malicious operator's would.
// Test code: a panic with its location is the failure report.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::{Json, Router};
use meldkluis_crypto_core::{PublicKey, StaticKey, StaticSecret};
use meldkluis_keys::InsecureDemoKey;
use serde_json::json;

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor");

fn served(key: &PublicKey, name: &str) -> serde_json::Value {
    json!({ "id": 1, "display_name": name, "public_key": key.to_hex(), "fingerprint": key.fingerprint() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_warns_on_stderr_and_on_the_page_when_a_key_is_swapped() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("DEMO-advisor.hex");
    let advisor = InsecureDemoKey::generate(&key_file).unwrap().public_key();
    let mut rng = meldkluis_crypto_core::os_rng();
    let colleague = StaticSecret::generate(&mut rng).public_key();
    let rogue = StaticSecret::generate(&mut rng).public_key();
    let recovery = StaticSecret::generate(&mut rng).public_key();
    let enrolled = dir.path().join("enrolled-keys.txt");
    std::fs::write(
        &enrolled,
        format!(
            "# confirmed aloud\nadvisor {} me\nadvisor {} B. Jansen\nrecovery {}\n",
            advisor.to_hex(),
            colleague.to_hex(),
            recovery.to_hex()
        ),
    )
    .unwrap();

    // The operator serves the rogue key where the colleague's should be.
    let config = json!({
        "tenant": "acme",
        "name": "Acme",
        "advisors": [served(&advisor, "me"), served(&rogue, "B. Jansen")],
        "recovery_key": { "public_key": recovery.to_hex(), "fingerprint": recovery.fingerprint() },
        "questionnaire": null,
    });
    let app = Router::new().route(
        "/api/v1/t/acme/config",
        get(move || {
            let config = config.clone();
            async move { Json(config) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut child = Command::new(ADVISOR)
        .args(["console", "--server", &server, "--tenant", "acme"])
        .arg("--enrolled")
        .arg(&enrolled)
        .arg("--insecure-demo-file")
        .arg(&key_file)
        .env_remove("MELDKLUIS_PKCS11_MODULE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel::<(bool, String)>();
    for (is_stdout, stream) in [
        (
            true,
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        ),
        (false, Box::new(child.stderr.take().unwrap())),
    ] {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = lines.send((is_stdout, line));
            }
        });
    }
    let mut url = None;
    let mut stderr = String::new();
    let started = Instant::now();
    while url.is_none() || !stderr.contains(&colleague.fingerprint()) {
        let left = Duration::from_secs(30).saturating_sub(started.elapsed());
        let (is_stdout, line) = received
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no address and warning within 30 s; stderr:\n{stderr}"));
        if is_stdout {
            url = line
                .strip_prefix("meldkluis console: open ")
                .map(str::to_owned);
        } else {
            stderr.push_str(&line);
            stderr.push('\n');
        }
    }
    // The report pins live next to the enrolled-keys file by default.
    assert!(
        stderr.contains(&format!("report pins: {}.pins", enrolled.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("INSECURE DEMO KEY"),
        "the demo key is marked: {stderr}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("WARNING: KEY SUBSTITUTION?"))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(warnings[0].contains(&rogue.fingerprint()));
    assert!(warnings[1].contains(&colleague.fingerprint()));

    // The page says it too, from the address printed.
    let url = url.unwrap();
    // A loopback address of its own (Linux answers on all of 127/8), under a
    // capability path.
    assert!(
        url.starts_with("http://127.") && !url.starts_with("http://127.0.0.1:"),
        "{url}"
    );
    assert!(url.contains("/c/") && url.contains("/?k="), "{url}");
    let http = crate::console_attacks::page_http();
    let entry = http.get(&url).send().await.unwrap();
    assert_eq!(entry.status(), 303);
    let cookie = entry.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    // Scoped to the capability path on this host only: no Domain.
    assert!(cookie.contains("Path=/c/") && !cookie.to_ascii_lowercase().contains("domain"));
    let base = url.split("/?k=").next().unwrap();
    let page = http
        .get(format!("{base}/"))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"key-substitution\"") && page.contains(&rogue.fingerprint()),
        "{page}"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // The console binds to loopback only.
    let output = Command::new(ADVISOR)
        .args(["console", "--server", &server, "--tenant", "acme"])
        .args(["--listen", "0.0.0.0:0"])
        .arg("--enrolled")
        .arg(&enrolled)
        .arg("--insecure-demo-file")
        .arg(&key_file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));

    // Every advisor command refuses a plain-http server that is not on this
    // machine, before anything is sent.
    let recovery_paper = b"";
    for args in [
        &["console", "--enrolled", enrolled.to_str().unwrap()][..],
        &[
            "rotate",
            "--old-insecure-demo-file",
            key_file.to_str().unwrap(),
            "--new-insecure-demo-file",
        ][..],
        &["recover", "--yes", "--lost", &rogue.to_hex()][..],
    ] {
        let output = Command::new(ADVISOR)
            .args(args)
            .args(if args[0] == "rotate" {
                vec![key_file.to_str().unwrap()]
            } else {
                vec!["--insecure-demo-file", key_file.to_str().unwrap()]
            })
            .args(["--server", "http://meld.example", "--tenant", "acme"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                std::io::Write::write_all(&mut child.stdin.take().unwrap(), recovery_paper)?;
                child.wait_with_output()
            })
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            stderr.contains("refusing the server address http://meld.example: use https://"),
            "{args:?}: {stderr}"
        );
    }
}
