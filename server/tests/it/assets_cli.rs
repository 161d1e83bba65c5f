//! `meldkluis-server assets` prints the hashes of exactly the bundle a
//! reproducible build wrote (`web-client/pkg/integrity.json`), so the
//! operator can publish them and anyone can compare.

use std::process::Command;

#[test]
fn the_printed_hashes_are_the_builds() {
    let pkg = concat!(env!("CARGO_MANIFEST_DIR"), "/../web-client/pkg");
    let built: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{pkg}/integrity.json"))
            .expect("web-client/pkg/integrity.json: run scripts/build-wasm.sh"),
    )
    .expect("JSON");
    let data = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_meldkluis-server"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("assets")
        .env("MELDKLUIS_ASSETS_DIR", pkg)
        .output()
        .expect("the server binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let printed = printed.as_object().expect("an object");
    assert_eq!(
        printed.len(),
        meldkluis_server::assets::BUNDLE.len(),
        "the whole bundle: {printed:?}"
    );
    for (file, hash) in printed {
        assert_eq!(built[file], *hash, "{file}");
    }

    // An incomplete bundle is refused, saying how to build it.
    let empty = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_meldkluis-server"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("assets")
        .env("MELDKLUIS_ASSETS_DIR", empty.path())
        .output()
        .expect("the server binary runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("build-wasm.sh"));
}
