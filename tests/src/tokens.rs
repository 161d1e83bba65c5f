//! A throwaway kryoptic PKCS#11 token for the cross-crate tests (the
//! advisor console with a key on a token). The shim is built by
//! `scripts/token-setup.sh --build-shim` into this build's target directory.
//!
//! A PKCS#11 module is process-wide state configured through an environment
//! variable: a test file that uses a token holds exactly one `#[test]`.

use std::path::{Path, PathBuf};

use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use meldkluis_keys::{Pin, Pkcs11Module, TokenKey, TokenSelector};

/// The user PIN of the throwaway token.
pub const USER_PIN: &str = "user-4711-console";
const SO_PIN: &str = "so-4711-console";

/// The kryoptic shim: `MELDKLUIS_TEST_KRYOPTIC_MODULE`, else
/// `libkryoptic_shim.so` in this build's target directory.
pub fn kryoptic_module() -> PathBuf {
    if let Some(path) = std::env::var_os("MELDKLUIS_TEST_KRYOPTIC_MODULE") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from <target>/<profile>/deps");
    let path = profile_dir.join("libkryoptic_shim.so");
    assert!(
        path.is_file(),
        "the kryoptic PKCS#11 shim is not built: expected {}. Run scripts/token-setup.sh --build-shim \
         with the same CARGO_TARGET_DIR, or set MELDKLUIS_TEST_KRYOPTIC_MODULE.",
        path.display()
    );
    path
}

/// A fresh kryoptic token in `dir`, initialised with [`USER_PIN`].
#[derive(Debug)]
pub struct TestToken {
    /// The loaded module.
    pub module: Pkcs11Module,
    /// The token's label.
    pub label: String,
}

impl TestToken {
    /// Configures kryoptic for a token database in `dir` (through
    /// `KRYOPTIC_CONF`: call before any other thread runs) and initialises
    /// the token as an operator's tool would.
    pub fn create(dir: &Path, label: &str) -> Self {
        let conf = dir.join("kryoptic.conf");
        std::fs::write(
            &conf,
            format!(
                "[[slots]]\nslot = 42\ndbtype = \"sqlite\"\ndbargs = \"{}\"\n",
                dir.join("token.sql").display()
            ),
        )
        .expect("writing the token config");
        // The only test in its process: no other thread reads the environment.
        std::env::set_var("KRYOPTIC_CONF", &conf);
        let module = Pkcs11Module::load(&kryoptic_module()).expect("the kryoptic module loads");
        let context = module.context();
        let slot = context.get_all_slots().expect("slots")[0];
        let so_pin = AuthPin::from(SO_PIN);
        context
            .init_token(slot, &so_pin, label)
            .expect("C_InitToken");
        let session = context.open_rw_session(slot).expect("session");
        session
            .login(UserType::So, Some(&so_pin))
            .expect("SO log-in");
        session
            .init_pin(&AuthPin::from(USER_PIN))
            .expect("C_InitPIN");
        session.logout().expect("logout");
        Self {
            module,
            label: label.to_owned(),
        }
    }

    /// Generates a non-extractable X25519 key on the token.
    pub fn generate_key(&self, key_label: &str) -> TokenKey {
        let token = self
            .module
            .open(
                &TokenSelector::Label(self.label.clone()),
                &Pin::new(USER_PIN).expect("a PIN"),
            )
            .expect("opening the token");
        let key = TokenKey::generate(token, key_label).expect("an X25519 key on the token");
        assert!(
            key.protection().expect("attributes").is_hardware_bound(),
            "the key is sensitive and non-extractable"
        );
        key
    }
}
