//! The operator's `tenant set-lifecycle` and `tenant show`: values in
//! range are stored and shown, unnamed ones stay, out-of-range ones are
//! refused with a message and change nothing.

use std::process::Output;

use serde_json::{json, Value};

use crate::common::cli;

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
        json!({ "retention_months": 12, "register_months": 60, "silence_weeks": 0, "figures_threshold": 5 })
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
    let expected = json!({ "retention_months": 24, "register_months": 60, "silence_weeks": 6, "figures_threshold": 5 });
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

/// The figures threshold (domain.md: default 5, a tenant may raise it,
/// never below 3): set with `tenant set-lifecycle --figures-threshold`,
/// kept beside the other settings, refused out of range (3 to 50) with
/// exit status 2 and a message naming the range, changing nothing.
#[test]
fn set_lifecycle_sets_the_figures_threshold_and_refuses_one_below_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    assert!(cli(data, &["tenant", "create", "acme", "--name", "Acme"])
        .status
        .success());
    let set = json_of(&cli(
        data,
        &[
            "tenant",
            "set-lifecycle",
            "acme",
            "--figures-threshold",
            "7",
        ],
    ));
    let expected = json!({ "retention_months": 12, "register_months": 60, "silence_weeks": 0, "figures_threshold": 7 });
    assert_eq!(set, expected);
    // Another setting changed later keeps the threshold.
    let set = json_of(&cli(
        data,
        &["tenant", "set-lifecycle", "acme", "--silence-weeks", "4"],
    ));
    assert_eq!(set["figures_threshold"], 7);

    for bad in ["2", "0", "51", "-3", "five", ""] {
        let option = format!("--figures-threshold={bad}");
        let output = cli(data, &["tenant", "set-lifecycle", "acme", &option]);
        assert_eq!(output.status.code(), Some(2), "{bad:?} was not refused");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(
            message.contains("figures threshold must be a whole number from 3 to 50"),
            "{bad:?}: {message}"
        );
    }
    // A threshold refused together with a good value: nothing changes.
    let output = cli(
        data,
        &[
            "tenant",
            "set-lifecycle",
            "acme",
            "--retention-months",
            "24",
            "--figures-threshold",
            "2",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let shown = json_of(&cli(data, &["tenant", "show", "acme"]));
    assert_eq!(shown["lifecycle"]["figures_threshold"], 7);
    assert_eq!(shown["lifecycle"]["retention_months"], 12);
    assert_eq!(shown["lifecycle"]["silence_weeks"], 4);

    // The help says what it is.
    let help = cli(data, &["tenant", "set-lifecycle", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--figures-threshold <N>"), "{help}");
    assert!(help.contains("never below 3"), "{help}");
}

/// The threshold set on the command line is what `GET advisor/register`
/// serves to advisors, in `lifecycle.figures_threshold` (the advisor's
/// console computes figures with it), from the server's next request on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_register_serves_the_figures_threshold_set_on_the_command_line() {
    use crate::backup::{set_up, Site};
    use crate::common::{advisor_login, kill};

    let root = tempfile::tempdir().expect("tempdir");
    let site = Site::new(root.path(), "site");
    let keys = set_up(&site, "acme");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let register = |base: String, token: String| {
        let http = http.clone();
        async move {
            let answer = http
                .get(format!("{base}/api/v1/t/acme/advisor/register"))
                .bearer_auth(token)
                .send()
                .await
                .expect("register");
            assert_eq!(answer.status(), 200);
            answer.json::<Value>().await.expect("json")
        }
    };

    let (child, base) = site.start();
    let token = advisor_login(&http, &base, &base, &keys.tenant, &keys.advisor).await;
    let served = register(base.clone(), token.clone()).await;
    assert_eq!(served["lifecycle"]["figures_threshold"], 5, "the default");

    // Set while the server runs: its next answer has it.
    site.cli(&[
        "tenant",
        "set-lifecycle",
        "acme",
        "--figures-threshold",
        "9",
    ]);
    let served = register(base, token).await;
    assert_eq!(
        served["lifecycle"],
        json!({ "retention_months": 12, "register_months": 60, "silence_weeks": 0, "figures_threshold": 9 })
    );
    kill(child);
}
