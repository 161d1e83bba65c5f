//! Opening the items of a thread as an advisor: through the key's own
//! stanza when it is a recipient, else through a key grant to it from a
//! grantor the advisor trusts (the recovery key and their own earlier keys,
//! as the advisor confirmed them, never as the server says).
//!
//! Opened content lives in memory only ([`Zeroizing`] buffers); nothing here
//! writes anywhere.
//!
//! [`Zeroizing`]: meldkluis_crypto_core::Zeroizing

use meldkluis_crypto_core::{
    open_item_with_access, Access, Expect, ItemHeader, OpenedItem, PublicKey, StaticKey, TenantId,
};

use crate::client::Thread;

/// Who reads, and whom they believe.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The tenant.
    pub tenant: TenantId,
    /// Grantors whose key grants the reader accepts.
    pub grantors: Vec<PublicKey>,
    /// Advisor keys the reader accepts as senders of messages (besides the
    /// report's recipients and the mailbox): the enrolled advisor keys and
    /// the reader's own keys.
    pub advisor_senders: Vec<PublicKey>,
}

/// How the reader reaches an item's content key: its stanza, or a grant.
fn access<'a>(
    reader: &PublicKey,
    header: &ItemHeader,
    grant: Option<&'a [u8]>,
    grantors: &'a [PublicKey],
) -> Access<'a> {
    match grant {
        Some(grant) if !header.recipients.contains(reader) => Access::Grant { grant, grantors },
        _ => Access::Stanza,
    }
}

/// The report's header (parsed, not yet trusted) and mailbox key: the
/// report's sender is by definition the reporter's mailbox key (the server
/// checks it at upload, and the report opens only if that key sealed it).
pub fn report_header(report: &[u8]) -> Option<ItemHeader> {
    ItemHeader::parse(report).ok().map(|(header, _)| header)
}

/// Opens the report of a thread.
pub fn open_report(
    key: &dyn StaticKey,
    trust: &Trust,
    thread: &Thread,
    report: &[u8],
) -> Result<OpenedItem, meldkluis_crypto_core::Error> {
    let header = report_header(report).ok_or(meldkluis_crypto_core::Error::CouldNotOpen)?;
    // The report of this thread, not another one the server put here.
    let ids =
        hex::encode(header.item_id.0) == thread.report_id && header.report_id == header.item_id;
    if !ids {
        return Err(meldkluis_crypto_core::Error::CouldNotOpen);
    }
    let grant = thread.grant_for(&thread.report_id);
    let senders = [header.sender];
    open_item_with_access(
        report,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders: &senders,
        },
        access(
            &key.public_key(),
            &header,
            grant.as_deref(),
            &trust.grantors,
        ),
    )
}

/// The senders a later item of the thread may have: the reporter's mailbox
/// key, the advisor keys the report was sealed to, and the trusted advisor
/// keys.
pub fn thread_senders(report_header: &ItemHeader, trust: &Trust) -> Vec<PublicKey> {
    let mut senders = vec![report_header.sender];
    senders.extend(report_header.recipients.iter().copied());
    senders.extend(trust.advisor_senders.iter().copied());
    senders.sort();
    senders.dedup();
    senders
}

/// Opens a message or attachment of the thread.
pub fn open_thread_item(
    key: &dyn StaticKey,
    trust: &Trust,
    thread: &Thread,
    senders: &[PublicKey],
    item_id_hex: &str,
    item: &[u8],
) -> Result<OpenedItem, meldkluis_crypto_core::Error> {
    let (header, _) =
        ItemHeader::parse(item).map_err(|_| meldkluis_crypto_core::Error::CouldNotOpen)?;
    // An item of this thread under its own id: a server cannot move a
    // genuine item from another thread here, or show one twice under
    // another id.
    let ids = hex::encode(header.item_id.0) == item_id_hex
        && hex::encode(header.report_id.0) == thread.report_id;
    if !ids {
        return Err(meldkluis_crypto_core::Error::CouldNotOpen);
    }
    let grant = thread.grant_for(item_id_hex);
    open_item_with_access(
        item,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders,
        },
        access(
            &key.public_key(),
            &header,
            grant.as_deref(),
            &trust.grantors,
        ),
    )
}
