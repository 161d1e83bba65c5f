//! meldkluis crypto core: everything that seals and opens content.
//!
//! - [`primitives`]: small compositions named after the specifications they
//!   implement (RFC 9180 HPKE, the STREAM chunked AEAD, size padding).
//! - [`format`]: the versioned binary item format (parse and serialise, size
//!   constants), readable without any key. This is all the server uses.
//! - [`item`]: sealing and opening items (reports, messages, attachments).
//! - [`grant`]: key grants, giving a new key access to an existing item
//!   (after a lost token or a key rotation) without re-encrypting it.
//! - [`mailbox`]: the reporter's login code, the mailbox derived from it,
//!   and the mailbox reference read aloud to link a follow-up mailbox.
//! - [`challenge`]: the advisor's log-in proof of key possession.
//! - [`recipient`]: an organisation recipient's key from an enrolment code,
//!   and the recipient's log-in context.
//! - [`approval`]: the subject hash a reporter approves (forward drafts,
//!   minutes).
//!
//! This crate performs no I/O and holds no global state. It compiles for
//! `wasm32-unknown-unknown`; there every caller passes randomness in, because
//! the operating system's random source is only linked natively.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod approval;
pub mod challenge;
mod error;
pub mod format;
pub mod grant;
pub mod item;
mod keys;
pub mod mailbox;
pub mod primitives;
pub mod recipient;

pub use approval::{ApprovalSubject, SubjectAttachment, SubjectKind, SubjectRecipient};
pub use error::Error;
pub use format::{ItemHeader, ItemId, ItemKind, KeyGrant, TenantId, Version};
pub use grant::{grant_item_key, open_item_with_grant, Access, GrantParams, ItemGranter};
pub use item::{
    open_item, open_item_with_access, seal_item, seal_item_with_version, Expect, ItemOpener,
    ItemSealer, OpenedItem, SealParams,
};
pub use keys::{PublicKey, SharedSecret, StaticKey, StaticSecret};
pub use mailbox::{
    mailbox_reference, parse_mailbox_reference, AuthSecret, CodeError, LoginCode, MailboxId,
    MailboxKeys, ReferenceError,
};
pub use recipient::{recipient_login_context, RecipientKey};

/// Re-exported so callers name the same trait version as this crate.
pub use rand_core::CryptoRngCore;
/// Re-exported so callers can hold opened content that wipes itself.
pub use zeroize::Zeroizing;

/// The operating system's cryptographically secure random number generator
/// (native builds only; on wasm the caller supplies randomness).
#[cfg(not(target_arch = "wasm32"))]
pub fn os_rng() -> rand::rngs::OsRng {
    rand::rngs::OsRng
}
