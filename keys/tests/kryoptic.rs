//! On-token X25519 through a real PKCS#11 3.0 implementation: kryoptic
//! (`keys/kryoptic-shim`), a throwaway token in a temp directory.
// Test code: a panic with its location is the failure report.
#![allow(clippy::unwrap_used)]

mod common;

use cryptoki::object::{Attribute, AttributeInfo, AttributeType};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use meldkluis_crypto_core::StaticKey;
use meldkluis_keys::{Error, Pin, Pkcs11Module, TokenKey, TokenSelector, WrappedKey};

const TOKEN_LABEL: &str = "mk-kryoptic-Zq7";
const SO_PIN: &str = "so-8311-kryo";
const USER_PIN: &str = "user-\u{e9}-4407";
const KEY_LABEL: &str = "advisor 0x5eed (kryoptic)";

#[test]
fn x25519_on_kryoptic_token() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("token.conf");
    let db = dir.path().join("token.sql");
    std::fs::write(
        &conf,
        format!(
            "[[slots]]\nslot = 4711\ndbtype = \"sqlite\"\ndbargs = \"{}\"\n",
            db.display()
        ),
    )
    .unwrap();
    // The only test in this process: no other thread reads the environment.
    std::env::set_var("KRYOPTIC_CONF", &conf);

    let module = Pkcs11Module::load(&common::kryoptic_module()).unwrap();
    init_token(&module);
    let pin = Pin::new(USER_PIN).unwrap();
    let selector = TokenSelector::Label(TOKEN_LABEL.into());
    let listing = module.list_tokens().unwrap();
    assert!(
        listing.iter().any(|t| t.label == TOKEN_LABEL && t.x25519),
        "{listing:?}"
    );

    // A wrong PIN is told apart (and nothing is generated).
    let wrong = module.open(&selector, &Pin::new("not-the-pin-0").unwrap());
    assert!(matches!(wrong, Err(Error::PinIncorrect)), "{wrong:?}");

    let key = TokenKey::generate(module.open(&selector, &pin).unwrap(), KEY_LABEL).unwrap();
    let public = key.public_key();

    // Non-extractable, as the token reports it, and CKA_VALUE refused.
    let protection = key.protection().unwrap();
    assert!(
        protection.is_hardware_bound() && protection.is_born_on_token(),
        "{protection:?}"
    );
    assert!(protection.sensitive && !protection.extractable && !protection.value_readable);
    let session = key.token().session();
    let private = session
        .find_objects(&[
            Attribute::Label(KEY_LABEL.as_bytes().to_vec()),
            Attribute::Class(cryptoki::object::ObjectClass::PRIVATE_KEY),
        ])
        .unwrap();
    assert_eq!(private.len(), 1);
    let info = session
        .get_attribute_info(private[0], &[AttributeType::Value])
        .unwrap();
    assert!(
        matches!(info.as_slice(), [AttributeInfo::Sensitive]),
        "{info:?}"
    );
    let value = session
        .get_attributes(private[0], &[AttributeType::Value])
        .unwrap();
    assert!(
        !value.iter().any(|a| matches!(a, Attribute::Value(_))),
        "the token handed out CKA_VALUE"
    );
    assert!(session
        .get_attributes(
            private[0],
            &[AttributeType::Extractable, AttributeType::Sensitive]
        )
        .unwrap()
        .iter()
        .all(|a| matches!(
            a,
            Attribute::Extractable(false) | Attribute::Sensitive(true)
        )));

    common::assert_agreement_matches_dalek(&key, 0x6b72_796f);
    common::assert_advisor_round_trips(&key, 0x6b72_796f_0002);
    drop(key);

    // The key persists on the token and is found again by label; a second
    // key under the same label is refused.
    let found = TokenKey::find(module.open(&selector, &pin).unwrap(), KEY_LABEL).unwrap();
    assert_eq!(found.public_key(), public);
    common::assert_agreement_matches_dalek(&found, 0x6b72_796f_0003);
    drop(found);
    let again = TokenKey::generate(module.open(&selector, &pin).unwrap(), KEY_LABEL);
    assert!(matches!(again, Err(Error::KeyExists(_))), "{again:?}");
    let missing = TokenKey::find(module.open(&selector, &pin).unwrap(), "no such key 0x00");
    assert!(matches!(missing, Err(Error::KeyNotFound(_))), "{missing:?}");

    // kryoptic also does AES-GCM: the wrapped path works here too.
    let token = module.open(&selector, &pin).unwrap();
    let file = dir.path().join("wrapped.mkw");
    let wrapped = WrappedKey::create(&token, "wrapping 0x77", &file).unwrap();
    common::assert_advisor_round_trips(&wrapped, 0x6b72_796f_0004);
    drop(wrapped);
    drop(token);

    // The advisor's binary, in its own process, on the same token: finds
    // the key, and makes and self-tests a new one.
    let cli = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_meldkluis-advisor-key"))
            .args(args)
            .args(["--pin-from-env", "--token", TOKEN_LABEL])
            .env("KRYOPTIC_CONF", &conf)
            .env("MELDKLUIS_PKCS11_MODULE", common::kryoptic_module())
            .env("MELDKLUIS_TOKEN_PIN", USER_PIN)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    };
    let exported = cli(&["export", "--label", KEY_LABEL]);
    assert!(
        exported.contains(&public.to_hex()) && exported.contains(&public.fingerprint()),
        "{exported}"
    );
    assert!(
        exported.contains("on-token X25519 key (non-extractable"),
        "{exported}"
    );
    let made = cli(&["generate", "--label", "cli key 0x2a"]);
    assert!(made.contains("on-token X25519 key"), "{made}");
    assert!(cli(&["self-test", "--label", "cli key 0x2a"]).contains("self-test passed"));
}

/// `C_InitToken` and `C_InitPIN` on the configured slot, as an operator's
/// token tool would.
fn init_token(module: &Pkcs11Module) {
    let context = module.context();
    let slots = context.get_all_slots().unwrap();
    assert_eq!(slots.len(), 1, "one slot in the throwaway config");
    let so_pin = AuthPin::from(SO_PIN);
    context.init_token(slots[0], &so_pin, TOKEN_LABEL).unwrap();
    let session = context.open_rw_session(slots[0]).unwrap();
    session.login(UserType::So, Some(&so_pin)).unwrap();
    session.init_pin(&AuthPin::from(USER_PIN)).unwrap();
    session.logout().unwrap();
}
