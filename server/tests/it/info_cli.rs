//! The operator's `tenant info` and `tenant info-show`: texts, the
//! procedure (text or PDF), the tenant's own channels and advisors' photos
//! and bios are stored and shown; bad input is refused with a message that
//! names what is wrong, and a refused command stores nothing, not even the
//! parts of it that were good.

use std::path::Path;

use meldkluis_crypto_core::{StaticKey as _, StaticSecret};
use serde_json::{json, Value};

use crate::common::{cli, cli_ok};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\x01\x01\x01\0\x18\xdd\x8d\xb4\0\0\0\0IEND\xaeB`\x82";

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

fn show(data: &Path) -> Value {
    serde_json::from_str(&cli_ok(data, &["tenant", "info-show", "acme"])).expect("json")
}

/// A tenant `acme` (nl, en) with two advisors (ids 1 and 2).
fn tenant(data: &Path) {
    cli_ok(
        data,
        &[
            "tenant",
            "create",
            "acme",
            "--name",
            "Acme",
            "--languages",
            "nl,en",
        ],
    );
    for name in ["Anna de Vries", "Bram Jansen"] {
        let key = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng())
            .public_key()
            .to_hex();
        cli_ok(
            data,
            &[
                "advisor",
                "add",
                "acme",
                "--public-key",
                &key,
                "--name",
                name,
            ],
        );
    }
}

/// The public key (hex) of advisor `id`, from `advisor list`.
fn shown_key(data: &Path, id: i64) -> String {
    cli_ok(data, &["advisor", "list", "acme"])
        .lines()
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .find(|fields| fields[0] == id.to_string())
        .map(|fields| fields[3].to_owned())
        .expect("the advisor is listed")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a file");
    path.to_string_lossy().into_owned()
}

#[test]
fn tenant_info_stores_every_part_and_info_show_shows_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = &dir.path().join("data");
    let files = dir.path();
    tenant(data);
    let empty = show(data);
    assert_eq!(empty["texts"], json!({}));
    assert_eq!(empty["advisors"], json!([]));
    assert!(empty["default_channels"].as_u64().unwrap() >= 12);
    assert!(empty["default_channels_reviewed"].is_string());

    let intro = write(
        files,
        "intro.txt",
        b"\xef\xbb\xbfWelkom.\r\n\r\nTweede alinea.\r\n",
    );
    let intro_en = write(files, "intro-en.txt", b"Welcome.");
    let privacy = write(files, "privacy.txt", b"Wij bewaren niets.");
    let regeling = write(files, "regeling.md", b"# Meldregeling\n\nArtikel 1.");
    let photo = write(files, "anna.png", PNG);
    let bio = write(
        files,
        "anna.txt",
        b"Anna is al tien jaar vertrouwenspersoon.",
    );
    let channels = write(
        files,
        "channels.toml",
        b"[[channel]]\nid = \"cao\"\nname = { nl = \"Sectorloket\" }\ndomain = { nl = \"Vragen over de cao.\" }\nwebsite = \"https://sector.example\"\nphone = \"030 123 45 67\"\n",
    );
    let said = cli_ok(
        data,
        &[
            "tenant",
            "info",
            "acme",
            "--lang",
            "nl",
            "--intro-file",
            &intro,
            "--privacy-file",
            &privacy,
            "--meldregeling-file",
            &regeling,
            "--channels-file",
            &channels,
            "--advisor-photo",
            &format!("1={photo}"),
            "--advisor-bio",
            &format!("1={bio}"),
        ],
    );
    assert!(said.contains("/t/acme/info"), "{said}");
    cli_ok(
        data,
        &[
            "tenant",
            "info",
            "acme",
            "--lang",
            "en",
            "--intro-file",
            &intro_en,
        ],
    );
    let shown = show(data);
    assert_eq!(
        shown["texts"],
        json!({
            "intro": { "nl": "Welkom.\n\nTweede alinea.", "en": "Welcome." },
            "privacy": { "nl": "Wij bewaren niets." },
            "procedure": { "nl": "# Meldregeling\n\nArtikel 1." },
        })
    );
    assert_eq!(shown["channels"][0]["id"], "cao");
    assert_eq!(shown["channels"][0]["phone"], "030 123 45 67");
    assert_eq!(
        shown["advisors"],
        json!([{
            "id": 1,
            "display_name": "Anna de Vries",
            "active": true,
            "photo": ["image/png", PNG.len()],
            "bios": { "nl": "Anna is al tien jaar vertrouwenspersoon." },
        }])
    );
    assert!(shown["meldregeling_pdf_bytes"].is_null());

    // A replaced key (lost token, rotation) keeps the person's photo and
    // bio; the old key's row is no longer shown.
    let old_key = shown_key(data, 1);
    let new_key = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng())
        .public_key()
        .to_hex();
    cli_ok(
        data,
        &[
            "advisor", "replace", "acme", "--old", &old_key, "--new", &new_key,
        ],
    );
    let replaced = show(data);
    assert_eq!(replaced["advisors"][1]["id"], 3, "{replaced}");
    assert_eq!(replaced["advisors"][1]["active"], true);
    assert_eq!(
        replaced["advisors"][1]["photo"],
        json!(["image/png", PNG.len()])
    );
    assert_eq!(
        replaced["advisors"][1]["bios"],
        json!({ "nl": "Anna is al tien jaar vertrouwenspersoon." })
    );
    assert_eq!(replaced["advisors"][0]["active"], false);

    // A PDF replaces the procedure text in every language; a text
    // replaces the PDF.
    let pdf = write(files, "regeling.pdf", PDF);
    cli_ok(
        data,
        &["tenant", "info", "acme", "--meldregeling-file", &pdf],
    );
    let shown = show(data);
    assert!(shown["texts"].get("procedure").is_none(), "{shown}");
    assert_eq!(shown["meldregeling_pdf_bytes"], PDF.len());
    cli_ok(
        data,
        &["tenant", "info", "acme", "--meldregeling-file", &regeling],
    );
    let shown = show(data);
    assert!(shown["meldregeling_pdf_bytes"].is_null(), "{shown}");
    assert_eq!(
        shown["texts"]["procedure"]["nl"],
        "# Meldregeling\n\nArtikel 1."
    );

    // --clear with --lang clears that language only; without, all.
    cli_ok(
        data,
        &["tenant", "info", "acme", "--lang", "en", "--clear", "intro"],
    );
    assert_eq!(
        show(data)["texts"]["intro"],
        json!({ "nl": "Welkom.\n\nTweede alinea." })
    );
    cli_ok(
        data,
        &[
            "tenant",
            "info",
            "acme",
            "--clear",
            "intro",
            "--clear",
            "meldregeling",
            "--clear",
            "channels",
            "--clear",
            "advisor-photo=1",
            "--clear",
            "advisor-bio=1",
            "--clear",
            "advisor-photo=3",
            "--clear",
            "advisor-bio=3",
        ],
    );
    let cleared = show(data);
    assert_eq!(
        cleared["texts"],
        json!({ "privacy": { "nl": "Wij bewaren niets." } })
    );
    assert!(cleared["meldregeling_pdf_bytes"].is_null());
    assert_eq!(cleared["channels"], json!([]));
    assert_eq!(cleared["advisors"], json!([]));
}

#[test]
fn tenant_info_refuses_bad_input_and_stores_nothing_of_a_refused_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = &dir.path().join("data");
    let files = dir.path();
    tenant(data);
    let good = write(files, "good.txt", b"Een goede tekst.");
    let good_photo = write(files, "good.png", PNG);
    cli_ok(data, &["tenant", "info", "acme", "--privacy-file", &good]);
    let before = show(data);

    let html = write(files, "html.txt", b"<p>Welkom</p>");
    let latin1 = write(files, "latin1.txt", b"Caf\xe9");
    let blank = write(files, "blank.txt", b" \r\n\t\n");
    let bell = write(files, "bell.txt", b"ding\x07");
    let long_bio = write(files, "long.txt", "a".repeat(1001).as_bytes());
    let gif = write(files, "photo.gif", b"GIF89a\x01\0\x01\0");
    let svg = write(files, "photo.svg", b"<svg onload=\"alert(1)\"/>");
    let mut huge = b"\xff\xd8\xff\xe0".to_vec();
    huge.resize(2 * 1024 * 1024 + 1, 0);
    let huge_photo = write(files, "huge.jpg", &huge);
    let not_pdf = write(files, "fake.pdf", b"<html>not a pdf</html>");
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    let big_pdf = write(files, "big.pdf", &big);
    let docx = write(files, "regeling.docx", b"PK\x03\x04");
    let bad_toml = write(files, "bad.toml", b"[[channel]\nid = ");
    let script_site = write(
        files,
        "script.toml",
        b"[[channel]]\nid = \"x\"\nname = { nl = \"X\" }\ndomain = { nl = \"Y\" }\nwebsite = \"javascript:alert(1)\"\n",
    );
    let no_channels = write(files, "none.toml", b"reviewed = \"2026-01-01\"\n");

    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--intro-file".into(), html], "HTML"),
        (vec!["--intro-file".into(), latin1], "UTF-8"),
        (vec!["--privacy-file".into(), blank], "empty"),
        (vec!["--privacy-file".into(), bell], "control"),
        (
            vec!["--advisor-bio".into(), format!("1={long_bio}")],
            "at most 1000",
        ),
        (
            vec!["--advisor-photo".into(), format!("1={gif}")],
            "JPEG or PNG",
        ),
        (
            vec!["--advisor-photo".into(), format!("1={svg}")],
            "JPEG or PNG",
        ),
        (
            vec!["--advisor-photo".into(), format!("1={huge_photo}")],
            "at most",
        ),
        (
            vec!["--advisor-photo".into(), format!("9={good_photo}")],
            "no advisor 9",
        ),
        (
            vec!["--advisor-photo".into(), good_photo.clone()],
            "ID=FILE",
        ),
        (
            vec!["--advisor-photo".into(), format!("x={good_photo}")],
            "not a number",
        ),
        (vec!["--meldregeling-file".into(), not_pdf], "not a PDF"),
        (vec!["--meldregeling-file".into(), big_pdf], "at most"),
        (vec!["--meldregeling-file".into(), docx], ".txt or .md"),
        (vec!["--channels-file".into(), bad_toml], "channels file"),
        (vec!["--channels-file".into(), script_site], "website"),
        (
            vec!["--channels-file".into(), no_channels],
            "no [[channel]]",
        ),
        (vec!["--clear".into(), "everything".into()], "--clear"),
        (
            vec![
                "--lang".into(),
                "de".into(),
                "--intro-file".into(),
                good.clone(),
            ],
            "unknown language",
        ),
        (vec![], "nothing to change"),
        (
            vec![
                "--intro-file".into(),
                files.join("missing.txt").to_string_lossy().into_owned(),
            ],
            "missing.txt",
        ),
        // Good parts with one bad part: nothing of it is stored.
        (
            vec![
                "--intro-file".into(),
                good.clone(),
                "--advisor-photo".into(),
                format!("2={good_photo}"),
                "--advisor-photo".into(),
                format!("1={gif}"),
            ],
            "JPEG or PNG",
        ),
        (
            vec![
                "--intro-file".into(),
                good.clone(),
                "--advisor-bio".into(),
                format!("7={good}"),
            ],
            "no advisor 7",
        ),
        (
            vec![
                "--privacy-file".into(),
                good.clone(),
                "--clear".into(),
                "privacy".into(),
            ],
            "also given",
        ),
    ];
    for (args, why) in cases {
        let mut all = vec!["tenant", "info", "acme"];
        all.extend(args.iter().map(String::as_str));
        let output = cli(data, &all);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} was accepted");
        assert!(
            stderr.contains(why),
            "{args:?}: expected {why:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(show(data), before, "{args:?} changed something");
    }
    let unknown = cli(data, &["tenant", "info", "nope", "--intro-file", &good]);
    assert!(!unknown.status.success());
}
