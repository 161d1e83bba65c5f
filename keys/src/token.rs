//! A PKCS#11 module and a logged-in session on one of its tokens.
//!
//! The module's path always comes from configuration (a CLI flag or
//! [`crate::MODULE_ENV`]); nothing here searches the system for one.

use std::path::Path;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::mechanism::MechanismType;
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;

use crate::{Error, Pin};

/// A loaded and initialised PKCS#11 module. Cheap to clone (one library
/// handle inside). A process initialises a module once; a second load of
/// the same module shares that state.
#[derive(Clone)]
pub struct Pkcs11Module {
    context: Pkcs11,
    path: String,
}

impl core::fmt::Debug for Pkcs11Module {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Module")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Which token of a module to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSelector {
    /// The only initialised token the module shows (an error if there are
    /// several).
    Only,
    /// The token with this label (`CKA_LABEL` of the token, trailing spaces
    /// ignored).
    Label(String),
}

/// What a slot holds, for `tokens` listings.
#[derive(Debug, Clone)]
pub struct TokenListing {
    /// The token's label.
    pub label: String,
    /// Manufacturer and model, as the token reports them.
    pub description: String,
    /// Whether the token can generate X25519 keys and do the key agreement
    /// itself (on-token [`crate::TokenKey`]).
    pub x25519: bool,
    /// Whether the token can make an AES key and encrypt with AES-GCM
    /// ([`crate::WrappedKey`]).
    pub aes_gcm: bool,
}

impl Pkcs11Module {
    /// Loads the module at `path` and calls `C_Initialize` (accepting a
    /// module this process already initialised).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let shown = path.display().to_string();
        let module_error = |detail: String| Error::Module {
            path: shown.clone(),
            detail,
        };
        let context = Pkcs11::new(path).map_err(|e| module_error(e.to_string()))?;
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(module_error(format!("C_Initialize: {e}"))),
        }
        Ok(Self {
            context,
            path: shown,
        })
    }

    /// The underlying `cryptoki` context, for setting up tokens (tests,
    /// `C_InitToken`).
    pub fn context(&self) -> &Pkcs11 {
        &self.context
    }

    /// Every initialised token, with what it can do for meldkluis.
    pub fn list_tokens(&self) -> Result<Vec<TokenListing>, Error> {
        let mut listings = Vec::new();
        for slot in self
            .context
            .get_slots_with_initialized_token()
            .map_err(Error::pkcs11("C_GetSlotList"))?
        {
            let info = self
                .context
                .get_token_info(slot)
                .map_err(Error::pkcs11("C_GetTokenInfo"))?;
            let mechanisms = self
                .context
                .get_mechanism_list(slot)
                .map_err(Error::pkcs11("C_GetMechanismList"))?;
            let has = |m: MechanismType| mechanisms.contains(&m);
            listings.push(TokenListing {
                label: info.label().trim_end().to_owned(),
                description: format!(
                    "{} {}",
                    info.manufacturer_id().trim_end(),
                    info.model().trim_end()
                ),
                x25519: has(MechanismType::ECC_MONTGOMERY_KEY_PAIR_GEN)
                    && has(MechanismType::ECDH1_DERIVE),
                aes_gcm: has(MechanismType::AES_KEY_GEN) && has(MechanismType::AES_GCM),
            });
        }
        Ok(listings)
    }

    fn find_slot(&self, selector: &TokenSelector) -> Result<(Slot, String), Error> {
        let mut found = Vec::new();
        for slot in self
            .context
            .get_slots_with_initialized_token()
            .map_err(Error::pkcs11("C_GetSlotList"))?
        {
            let info = self
                .context
                .get_token_info(slot)
                .map_err(Error::pkcs11("C_GetTokenInfo"))?;
            let label = info.label().trim_end().to_owned();
            match selector {
                TokenSelector::Label(wanted) if *wanted != label => {}
                _ => found.push((slot, label)),
            }
        }
        match (found.len(), selector) {
            (1, _) => Ok(found.remove(0)),
            (0, TokenSelector::Label(wanted)) => Err(Error::Token(format!(
                "no initialised token labelled '{wanted}'"
            ))),
            (0, TokenSelector::Only) => Err(Error::Token("no initialised token found".into())),
            (_, _) => Err(Error::Token(format!(
                "{} tokens match ({}); choose one by label",
                found.len(),
                found
                    .iter()
                    .map(|(_, l)| format!("'{l}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Opens a read-write session on the selected token and logs in as the
    /// user. The PIN is used for `C_Login` only and not kept.
    pub fn open(&self, selector: &TokenSelector, pin: &Pin) -> Result<Token, Error> {
        let (slot, label) = self.find_slot(selector)?;
        let session = self
            .context
            .open_rw_session(slot)
            .map_err(Error::pkcs11("C_OpenSession"))?;
        match session.login(UserType::User, Some(&pin.to_auth_pin())) {
            Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(e) => return Err(Error::pkcs11("C_Login")(e)),
        }
        let mechanisms = self
            .context
            .get_mechanism_list(slot)
            .map_err(Error::pkcs11("C_GetMechanismList"))?;
        Ok(Token {
            session,
            label,
            mechanisms,
        })
    }
}

/// A logged-in session on one token.
pub struct Token {
    session: Session,
    label: String,
    mechanisms: Vec<MechanismType>,
}

impl core::fmt::Debug for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Token")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Token {
    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The logged-in session, for direct PKCS#11 calls (tests inspect key
    /// attributes through it).
    pub fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn supports(&self, mechanism: MechanismType) -> bool {
        self.mechanisms.contains(&mechanism)
    }
}
