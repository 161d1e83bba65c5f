//! `threat-model.md` names the test behind every claim. This checks that
//! each name it gives is a test that exists, so a renamed or deleted test
//! cannot leave a claim standing on nothing.
//!
//! A name is a backticked path such as `crypto-core::items::name`,
//! `meldkluis-tests::lost_token::name`, `server::config::tests::name` or
//! `reporter_e2e::name`: the module is a file of that crate (or, without a
//! crate, of any crate), the last part a function with `#[test]` or
//! `#[tokio::test]` in it. `module::*` names every test of that file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The crate directory a name's first part stands for, if it names one.
fn crate_dir(first: &str) -> Option<&'static str> {
    Some(match first {
        "crypto-core" | "meldkluis-crypto-core" | "meldkluis_crypto_core" => "crypto-core",
        "server" | "meldkluis-server" | "meldkluis_server" => "server",
        "keys" | "meldkluis-keys" | "meldkluis_keys" => "keys",
        "tests" | "meldkluis-tests" | "meldkluis_tests" => "tests",
        "web-client" | "meldkluis-web-client" => "web-client",
        _ => return None,
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name == "node_modules" || name == "kryoptic-shim" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The names of the test functions in one source file.
fn tests_in(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = false;
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("#[test]")
            || line.starts_with("#[tokio::test")
            || line.starts_with("proptest!")
        {
            pending = true;
            continue;
        }
        // Inside proptest! { … } every `fn` is a test.
        if pending || line.starts_with("fn ") && source.contains("proptest!") {
            if let Some(rest) = line
                .strip_prefix("async fn ")
                .or_else(|| line.strip_prefix("fn "))
                .or_else(|| line.strip_prefix("pub fn "))
                .or_else(|| line.strip_prefix("pub async fn "))
            {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
                pending = false;
            }
        }
    }
    found
}

/// Backticked names with `::` from the document, that look like test paths.
fn named_tests(doc: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, part) in doc.split('`').enumerate() {
        if i % 2 == 0 || !part.contains("::") || part.contains(' ') || part.contains('(') {
            continue;
        }
        let parts: Vec<&str> = part.split("::").collect();
        let last = parts.last().copied().unwrap_or_default();
        let is_test_name = last == "*"
            || (last.contains('_')
                && last
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        if parts.len() >= 2 && is_test_name {
            names.push(part.to_string());
        }
    }
    names
}

#[test]
fn every_test_the_threat_model_names_exists() {
    let root = root();
    let doc = std::fs::read_to_string(root.join("threat-model.md")).expect("threat-model.md");
    let mut files = Vec::new();
    for dir in ["crypto-core", "server", "keys", "tests", "web-client"] {
        rust_files(&root.join(dir), &mut files);
    }
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|p| {
            let s = std::fs::read_to_string(&p).expect("a readable source file");
            (p, s)
        })
        .collect();

    let names = named_tests(&doc);
    assert!(names.len() > 50, "found only {} test names", names.len());
    let mut missing = Vec::new();
    for name in &names {
        let parts: Vec<&str> = name.split("::").collect();
        let (dir, modules) = match crate_dir(parts[0]) {
            Some(dir) => (Some(dir), &parts[1..parts.len() - 1]),
            None => (None, &parts[..parts.len() - 1]),
        };
        let test = parts[parts.len() - 1];
        // The file is the last module that is not `tests` (an inline test module).
        let module = modules.iter().rev().find(|m| **m != "tests" && **m != "it");
        let found = sources.iter().any(|(path, source)| {
            let in_crate = dir.is_none_or(|d| path.starts_with(root.join(d)));
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let parent = path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let file_matches = match module {
                Some(m) => stem == *m || (stem == "mod" && parent == *m),
                None => true,
            };
            in_crate
                && file_matches
                && if test == "*" {
                    !tests_in(source).is_empty()
                } else {
                    tests_in(source).contains(test)
                }
        });
        if !found {
            missing.push(name.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "threat-model.md names tests that do not exist:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_checker_finds_a_missing_test() {
    let names = named_tests("see `crypto-core::items::no_such_test_anywhere` and `a::b`");
    assert_eq!(names, vec!["crypto-core::items::no_such_test_anywhere"]);
    assert!(tests_in("#[test]\nfn a_test() {}\nfn helper() {}\n").contains("a_test"));
    assert!(!tests_in("#[test]\nfn a_test() {}\nfn helper() {}\n").contains("helper"));
}
