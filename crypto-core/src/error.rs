//! The crate's one error type.

/// What can go wrong in the crypto core.
///
/// Every failure to open sealed data is the single [`Error::CouldNotOpen`]:
/// wrong key, wrong sender, tampered header, tampered or truncated payload
/// all look the same, so no error text or branch tells an attacker which
/// check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Sealed data could not be opened (deliberately uninformative).
    #[error("could not open")]
    CouldNotOpen,
    /// Bytes do not have the structure of the named format element.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// A caller-supplied value is out of range (too many recipients, a
    /// duplicate recipient, content longer than announced, ...).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
    /// A key agreement gave the all-zero output (a low-order public key), or a
    /// hardware token refused the operation.
    #[error("key agreement failed")]
    KeyAgreement,
}
