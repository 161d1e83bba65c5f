//! The wrapped-key path on SoftHSM2, which cannot hold X25519: a throwaway
//! token in a temp directory, made with `softhsm2-util --init-token`.
// Test code: a panic with its location is the failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use cryptoki::object::{Attribute, AttributeInfo, AttributeType, KeyType, ObjectClass};
use meldkluis_crypto_core::StaticKey;
use meldkluis_keys::{
    Error, Pin, Pkcs11Module, TokenKey, TokenSelector, WrappedKey, WRAPPED_KEY_FILE_LEN,
};

const TOKEN_LABEL: &str = "mk-softhsm-Qx3";
const USER_PIN: &str = "user-9931-hsm";
const AES_LABEL: &str = "wrapping key 0xa35";

#[test]
fn wrapped_key_on_softhsm2() {
    let module_path = common::softhsm2_module();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    // The only test in this process: no other thread reads the environment.
    std::env::set_var("SOFTHSM2_CONF", &conf);
    let status = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--so-pin",
            "so-5150-hsm",
            "--pin",
            USER_PIN,
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("softhsm2-util runs (scripts/token-setup.sh installs softhsm2)");
    assert!(status.success());

    let module = Pkcs11Module::load(&module_path).unwrap();
    let selector = TokenSelector::Label(TOKEN_LABEL.into());
    let pin = Pin::new(USER_PIN).unwrap();
    let listing = module.list_tokens().unwrap();
    let ours = listing
        .iter()
        .find(|t| t.label == TOKEN_LABEL)
        .expect("the token is listed");
    assert!(!ours.x25519 && ours.aes_gcm, "{ours:?}");

    // No X25519 on SoftHSM2: said plainly, nothing made.
    let on_token = TokenKey::generate(module.open(&selector, &pin).unwrap(), "x25519 0x1");
    assert!(
        matches!(on_token, Err(Error::NotSupported(_))),
        "{on_token:?}"
    );

    let file = dir.path().join("advisor.mkw");
    let token = module.open(&selector, &pin).unwrap();
    let created = WrappedKey::create(&token, AES_LABEL, &file).unwrap();
    let public = created.public_key();
    drop(created);
    assert_eq!(std::fs::read(&file).unwrap().len(), WRAPPED_KEY_FILE_LEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The file is not overwritten by a second create.
    assert!(WrappedKey::create(&token, "wrapping key 0xa36", &file).is_err());

    // The AES key on the token is sensitive, non-extractable, unreadable.
    let session = token.session();
    let aes = session
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Label(AES_LABEL.as_bytes().to_vec()),
        ])
        .unwrap();
    assert_eq!(aes.len(), 1);
    let flags = session
        .get_attributes(
            aes[0],
            &[AttributeType::Sensitive, AttributeType::Extractable],
        )
        .unwrap();
    assert!(
        flags.contains(&Attribute::Sensitive(true))
            && flags.contains(&Attribute::Extractable(false)),
        "{flags:?}"
    );
    let info = session
        .get_attribute_info(aes[0], &[AttributeType::Value])
        .unwrap();
    assert!(
        matches!(info.as_slice(), [AttributeInfo::Sensitive]),
        "{info:?}"
    );
    drop(token);

    // A new session unwraps the same key, which works for every role.
    let token = module.open(&selector, &pin).unwrap();
    let key = WrappedKey::unwrap(&token, &file).unwrap();
    assert_eq!(key.public_key(), public);
    common::assert_agreement_matches_dalek(&key, 0x50f7_4a53);
    common::assert_advisor_round_trips(&key, 0x50f7_4a53_0002);

    // Any changed byte of the file: no key (one vague error for the
    // ciphertext, the IV and the bound public key and AES key id).
    let original = std::fs::read(&file).unwrap();
    for position in [4, 20, 40, 52, 64, WRAPPED_KEY_FILE_LEN - 1] {
        let mut tampered = original.clone();
        tampered[position] ^= 0x10;
        let path = dir.path().join(format!("tampered-{position}.mkw"));
        std::fs::write(&path, &tampered).unwrap();
        let result = WrappedKey::unwrap(&token, &path);
        assert!(
            matches!(result, Err(Error::CouldNotUnwrap)),
            "byte {position}: {result:?}"
        );
    }
    let short = dir.path().join("short.mkw");
    std::fs::write(&short, &original[..original.len() - 1]).unwrap();
    assert!(matches!(
        WrappedKey::unwrap(&token, &short),
        Err(Error::Malformed(_))
    ));
}
