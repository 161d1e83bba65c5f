//! The binaries as an advisor and an operator run them: a demo key, a
//! wrapped key on a throwaway SoftHSM2 token (PIN from the environment and
//! from a file descriptor), and the recovery key's paper form.
// Test code: a panic with its location is the failure report.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ADVISOR: &str = env!("CARGO_BIN_EXE_meldkluis-advisor-key");
const RECOVERY: &str = env!("CARGO_BIN_EXE_meldkluis-recovery-key");

fn run(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child = command
        .env_remove("MELDKLUIS_TOKEN_LABEL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that reads no PIN may exit before reading: ignore a
    // broken pipe.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn ok(command: &mut Command, stdin: &[u8]) -> String {
    let output = run(command, stdin);
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn field(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .unwrap_or_else(|| panic!("no '{name}' in:\n{output}"))
        .trim()
        .trim_end_matches("[INSECURE DEMO KEY]")
        .trim()
        .to_owned()
}

#[test]
fn insecure_demo_key_is_marked_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("DEMO-advisor-0x3c.hex");
    let file = file.to_str().unwrap();
    let made = ok(
        Command::new(ADVISOR).args(["generate", "--insecure-demo-file", file]),
        b"",
    );
    assert!(
        made.lines()
            .filter(|l| l.contains("public key") || l.contains("fingerprint"))
            .all(|l| l.contains("INSECURE DEMO KEY")),
        "{made}"
    );
    assert!(std::fs::read_to_string(file)
        .unwrap()
        .starts_with("# DEMO ONLY"));
    let exported = ok(
        Command::new(ADVISOR).args(["export", "--insecure-demo-file", file]),
        b"",
    );
    assert_eq!(field(&made, "public key:"), field(&exported, "public key:"));
    assert_eq!(field(&exported, "fingerprint:").split(' ').count(), 12);
    let tested = ok(
        Command::new(ADVISOR).args(["self-test", "--insecure-demo-file", file]),
        b"",
    );
    assert!(
        tested.contains("self-test passed: INSECURE DEMO KEY"),
        "{tested}"
    );
}

#[test]
fn wrapped_key_through_the_binary() {
    let module = common::softhsm2_module();
    let dir = tempfile::tempdir().unwrap();
    let conf = softhsm_token(dir.path(), "mk-cli-hsm-8k", "cli-pin-2207");
    let env = |command: &mut Command| {
        command
            .env("SOFTHSM2_CONF", &conf)
            .env("MELDKLUIS_PKCS11_MODULE", &module);
    };
    let file = dir.path().join("advisor-cli.mkw");
    let file = file.to_str().unwrap();

    let mut tokens = Command::new(ADVISOR);
    tokens.arg("tokens");
    let listing = {
        let output = run(
            tokens
                .env("SOFTHSM2_CONF", &conf)
                .arg("--module")
                .arg(&module),
            b"",
        );
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(
        listing.contains("'mk-cli-hsm-8k'") && listing.contains("wrapped key only"),
        "{listing}"
    );

    let mut generate = Command::new(ADVISOR);
    generate
        .args([
            "generate",
            "--wrapped-file",
            file,
            "--pin-from-env",
            "--module",
        ])
        .arg(&module);
    let made = ok(
        generate
            .env("SOFTHSM2_CONF", &conf)
            .env("MELDKLUIS_TOKEN_PIN", "cli-pin-2207"),
        b"",
    );
    assert!(
        made.contains("wrapped software key") && !made.contains("INSECURE"),
        "{made}"
    );

    // The PIN from a file descriptor (here 0, standard input).
    let mut export = Command::new(ADVISOR);
    export.args(["export", "--wrapped-file", file, "--pin-fd", "0"]);
    env(&mut export);
    let exported = ok(&mut export, b"cli-pin-2207\n");
    assert_eq!(field(&made, "public key:"), field(&exported, "public key:"));
    assert!(
        exported.contains("meldkluis-server advisor add TENANT --public-key"),
        "{exported}"
    );

    let mut self_test = Command::new(ADVISOR);
    self_test.args(["self-test", "--wrapped-file", file, "--pin-fd", "0"]);
    env(&mut self_test);
    assert!(ok(&mut self_test, b"cli-pin-2207\n").contains("self-test passed"));

    let mut wrong = Command::new(ADVISOR);
    wrong.args(["export", "--wrapped-file", file, "--pin-fd", "0"]);
    env(&mut wrong);
    let output = run(&mut wrong, b"not-the-pin\n");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("refused the PIN"));

    let mut no_module = Command::new(ADVISOR);
    let output = run(
        no_module
            .env_remove("MELDKLUIS_PKCS11_MODULE")
            .args(["export", "--pin-from-env"]),
        b"",
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("MELDKLUIS_PKCS11_MODULE"));
}

#[test]
fn recovery_key_paper_form_reads_back() {
    let made = ok(Command::new(RECOVERY).arg("generate"), b"");
    assert!(made.contains("RECOVERY KEY - SECRET"));
    let paper: String = made
        .lines()
        .skip_while(|l| !l.is_empty())
        .skip(1)
        .take(5)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(paper.split_whitespace().count(), 17, "{made}");
    let public = ok(Command::new(RECOVERY).arg("public"), paper.as_bytes());
    assert_eq!(field(&made, "public key:"), field(&public, "public key:"));
    let mut typo = paper.clone().into_bytes();
    typo[0] = if typo[0] == b'a' { b'b' } else { b'a' };
    assert!(!run(Command::new(RECOVERY).arg("public"), &typo)
        .status
        .success());
}

/// A throwaway SoftHSM2 token; returns its configuration file.
fn softhsm_token(dir: &Path, label: &str, pin: &str) -> std::path::PathBuf {
    let tokens = dir.join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let status = Command::new("softhsm2-util")
        .env("SOFTHSM2_CONF", &conf)
        .args([
            "--init-token",
            "--free",
            "--label",
            label,
            "--so-pin",
            "so-cli-6061",
            "--pin",
            pin,
        ])
        .stdout(Stdio::null())
        .status()
        .expect("softhsm2-util runs (scripts/token-setup.sh installs softhsm2)");
    assert!(status.success());
    conf
}
