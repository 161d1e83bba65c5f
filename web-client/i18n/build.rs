//! Embeds every `locales/<language>/*.ftl` file, so adding a language is
//! adding a folder of `.ftl` files: no code changes.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut languages: Vec<_> = std::fs::read_dir(&root)
        .expect("web-client/i18n/locales exists")
        .map(|entry| entry.expect("a readable locales entry").path())
        .filter(|path| path.is_dir())
        .collect();
    languages.sort();
    let mut out = String::from("/// Every language folder: its tag and its `.ftl` files.\n");
    out.push_str("pub(crate) static LOCALES: &[(&str, &[(&str, &str)])] = &[\n");
    for dir in languages {
        println!("cargo:rerun-if-changed={}", dir.display());
        let tag = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a language folder has a UTF-8 name");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("a readable language folder")
            .map(|entry| entry.expect("a readable file").path())
            .filter(|path| path.extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort();
        writeln!(out, "    ({tag:?}, &[").expect("writing to a String");
        for file in files {
            println!("cargo:rerun-if-changed={}", file.display());
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a UTF-8 file name");
            writeln!(
                out,
                "        ({name:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .expect("writing to a String");
        }
        out.push_str("    ]),\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("locales.rs");
    std::fs::write(dest, out).expect("writing locales.rs");
}
