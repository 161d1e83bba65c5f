//! The operator's `tenant set-lifecycle` and `tenant show`: values in
//! range are stored and shown, unnamed ones stay, out-of-range ones are
//! refused with a message and change nothing.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_meldkluis-server");

fn cli(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("MELDKLUIS_LOG", "warn")
        .output()
        .expect("run the CLI")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn set_lifecycle_checks_its_ranges_and_tenant_show_shows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    assert!(cli(data, &["tenant", "create", "acme", "--name", "Acme"])
        .status
        .success());
    let shown = json_of(&cli(data, &["tenant", "show", "acme"]));
    assert_eq!(
        shown["lifecycle"],
        json!({ "retention_months": 12, "register_months": 60, "silence_weeks": 0 })
    );

    let set = json_of(&cli(
        data,
        &[
            "tenant",
            "set-lifecycle",
            "acme",
            "--retention-months",
            "24",
            "--silence-weeks",
            "6",
        ],
    ));
    let expected = json!({ "retention_months": 24, "register_months": 60, "silence_weeks": 6 });
    assert_eq!(set, expected);

    for bad in [
        &["--retention-months", "0"][..],
        &["--retention-months", "61"],
        &["--register-months", "11"],
        &["--register-months", "18"],
        &["--silence-weeks", "1"],
        &["--silence-weeks", "53"],
        &["--retention-months", "-3"],
    ] {
        let mut args = vec!["tenant", "set-lifecycle", "acme"];
        args.extend_from_slice(bad);
        let output = cli(data, &args);
        assert!(!output.status.success(), "{bad:?} was accepted");
        assert!(!output.stderr.is_empty(), "{bad:?}: no message");
    }
    let refused = cli(
        data,
        &["tenant", "set-lifecycle", "acme", "--register-months", "18"],
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("register period"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let unknown = cli(
        data,
        &["tenant", "set-lifecycle", "nope", "--silence-weeks", "4"],
    );
    assert!(!unknown.status.success());

    let shown = json_of(&cli(data, &["tenant", "show", "acme"]));
    assert_eq!(shown["lifecycle"], expected, "nothing refused changed it");
}
