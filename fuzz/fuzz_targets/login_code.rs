//! `LoginCode::parse` on arbitrary text: what a reporter types, pasted from
//! anywhere.
//!
//! Beyond not panicking: the reason for a refusal is true of the text (the
//! symbol count; the position, in the text as typed, of the first character
//! that can never be in a code), and a code that parses is shown in the canonical form, which
//! parses back to the same code, as do its lowercase and undashed forms.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::mailbox::{CODE_SYMBOLS, GROUP_LEN};
use meldkluis_crypto_core::{CodeError, LoginCode};

/// Every ASCII letter or digit is a symbol or a look-alike of one (O, I, L
/// and U are read as 0, 1, 1 and V); nothing else is.
fn is_symbol(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '-'
}

/// Parses and returns the canonical display string.
fn shown(text: &str) -> Option<String> {
    LoginCode::parse(text)
        .ok()
        .map(|code| code.expose_display_string().to_string())
}

fuzz_target!(|text: &str| {
    let symbols: Vec<char> = text.chars().filter(|&c| !is_separator(c)).collect();
    // Counted in characters of the text as typed, separators included.
    let first_invalid = text.chars().position(|c| !is_separator(c) && !is_symbol(c));

    let code = match LoginCode::parse(text) {
        Ok(code) => code,
        Err(CodeError::InvalidCharacter { position }) => {
            assert_eq!(
                first_invalid.map(|i| i + 1),
                Some(position),
                "wrong position for {text:?}"
            );
            return;
        }
        Err(CodeError::WrongLength { found }) => {
            assert_eq!(
                first_invalid, None,
                "an invalid character is reported first"
            );
            assert_eq!(found, symbols.len());
            assert_ne!(found, CODE_SYMBOLS);
            return;
        }
        Err(CodeError::CheckFailed) => {
            assert_eq!(first_invalid, None);
            assert_eq!(symbols.len(), CODE_SYMBOLS);
            return;
        }
        Err(other) => panic!("unexpected error {other:?}"),
    };
    assert_eq!((first_invalid, symbols.len()), (None, CODE_SYMBOLS));

    // The display form: six groups of four canonical symbols, joined by dashes.
    let display = code.expose_display_string();
    let groups: Vec<&str> = display.split('-').collect();
    assert_eq!(groups.len(), CODE_SYMBOLS / GROUP_LEN);
    for group in &groups {
        assert_eq!(group.len(), GROUP_LEN);
        assert!(
            group
                .bytes()
                .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
            "{display:?}"
        );
    }
    assert_eq!(*code.expose_last_group(), groups[groups.len() - 1]);

    // It is the same code as the text, with look-alikes read as their symbol.
    let canonical: String = symbols
        .iter()
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            'U' => 'V',
            c => c,
        })
        .collect();
    assert_eq!(display.replace('-', ""), canonical);

    // The forms people write it down in all parse back to the same code.
    for variant in [
        display.to_string(),
        display.to_lowercase(),
        display.replace('-', ""),
        display.replace('-', " "),
    ] {
        assert_eq!(
            shown(&variant).as_deref(),
            Some(display.as_str()),
            "{variant:?}"
        );
    }
});
