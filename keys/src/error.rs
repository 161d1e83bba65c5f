//! The crate's error type.

/// What can go wrong with an advisor key.
///
/// Token errors keep the PKCS#11 return value (they name no secret). A
/// wrapped key that does not decrypt is one vague [`Error::CouldNotUnwrap`]:
/// wrong token, wrong file or a tampered file look the same.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PKCS#11 module could not be loaded or initialised.
    #[error("PKCS#11 module {path}: {detail}")]
    Module {
        /// The module's path as given.
        path: String,
        /// What the loader or `C_Initialize` said.
        detail: String,
    },
    /// No token (or more than one) matches the selection.
    #[error("token: {0}")]
    Token(String),
    /// A PKCS#11 call failed.
    #[error("PKCS#11 {operation} failed: {source}")]
    Pkcs11 {
        /// What was being done.
        operation: &'static str,
        /// The error from the module.
        #[source]
        source: cryptoki::error::Error,
    },
    /// The token refused the PIN.
    #[error("the token refused the PIN")]
    PinIncorrect,
    /// The PIN could not be read.
    #[error("PIN: {0}")]
    Pin(String),
    /// The token does not offer what this key kind needs.
    #[error("the token cannot {0}")]
    NotSupported(&'static str),
    /// No key with that label on the token.
    #[error("no meldkluis key labelled '{0}' on the token")]
    KeyNotFound(String),
    /// A key with that label is already on the token.
    #[error("a key labelled '{0}' is already on the token; refusing to add a second")]
    KeyExists(String),
    /// The token gave a key that is not what this crate made.
    #[error("unexpected key on the token: {0}")]
    UnexpectedKey(&'static str),
    /// A key file is not in the expected format.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A wrapped key did not decrypt with this token (wrong token, wrong or
    /// tampered file: deliberately not told apart).
    #[error("could not unwrap the key with this token")]
    CouldNotUnwrap,
    /// Reading or writing a key file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The crypto core refused (e.g. while checking a key).
    #[error(transparent)]
    Crypto(#[from] meldkluis_crypto_core::Error),
    /// The server could not be reached, or the connection failed.
    #[error("server: {0}")]
    Http(String),
    /// The server answered with an error (its stable code and status).
    #[error("server answered {status}: {code}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The stable error code from the JSON body (or "unknown").
        code: String,
    },
    /// The server's answer does not have the expected shape.
    #[error("unexpected answer from the server: {0}")]
    Protocol(&'static str),
    /// The server sent a larger answer than the client reads.
    #[error("the server's answer is larger than {max} bytes; refused")]
    AnswerTooLarge {
        /// The limit.
        max: usize,
    },
    /// A plain `http://` server address that is not on this machine.
    #[error("refusing the server address {0}: use https:// (plain http:// only on this machine, e.g. http://127.0.0.1:8080)")]
    InsecureServer(String),
    /// The server address is not an `https://` URL with a host.
    #[error("not a server address: {0:?} (expected e.g. https://meld.example)")]
    BadServerAddress(String),
    /// Not logged in to the server (or the session ended).
    #[error("not logged in to the server")]
    NotLoggedIn,
    /// The new recovery key is not the `recovery` line of the advisor's
    /// enrolled-keys file.
    #[error("the new recovery key {0} is not the recovery key in your enrolled-keys file: compare its fingerprint aloud and enrol it there first (keep the old one as a former-recovery line)")]
    RecoveryKeyNotEnrolled(String),
    /// The server serves another recovery key than the one the advisor
    /// enrolled: nothing is granted.
    #[error("WARNING: RECOVERY KEY SWAPPED? the server serves the recovery key {served}, not the one you enrolled ({enrolled}); nothing was granted. Tell the other advisors and the operator.")]
    RecoveryKeySubstituted {
        /// What the server serves (hex, or "none").
        served: String,
        /// What the advisor enrolled (hex).
        enrolled: String,
    },
}

impl Error {
    pub(crate) fn pkcs11(operation: &'static str) -> impl FnOnce(cryptoki::error::Error) -> Self {
        move |source| match source {
            cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::PinIncorrect, _) => {
                Self::PinIncorrect
            }
            source => Self::Pkcs11 { operation, source },
        }
    }

    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
