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

/// Opens an item through the reader's stanza when it is a recipient, else
/// through the first of the served grants for it that opens (from a
/// grantor the reader trusts): every grant is tried, so the server's order
/// decides nothing.
fn open_through(
    item: &[u8],
    key: &dyn StaticKey,
    expect: &Expect<'_>,
    header: &ItemHeader,
    thread: &Thread,
    item_id_hex: &str,
    grantors: &[PublicKey],
) -> Result<OpenedItem, meldkluis_crypto_core::Error> {
    if header.recipients.contains(&key.public_key()) {
        return open_item_with_access(item, key, expect, Access::Stanza);
    }
    for grant in thread.grants_for(item_id_hex) {
        let access = Access::Grant {
            grant: &grant,
            grantors,
        };
        if let Ok(opened) = open_item_with_access(item, key, expect, access) {
            return Ok(opened);
        }
    }
    Err(meldkluis_crypto_core::Error::CouldNotOpen)
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
    let senders = [header.sender];
    open_through(
        report,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders: &senders,
        },
        &header,
        thread,
        &thread.report_id,
        &trust.grantors,
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
    open_through(
        item,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders,
        },
        &header,
        thread,
        item_id_hex,
        &trust.grantors,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use base64::Engine as _;
    use meldkluis_crypto_core::{
        grant_item_key, seal_item, GrantParams, ItemId, ItemKind, SealParams, StaticSecret,
    };
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;
    use crate::client::ThreadGrant;

    fn key(seed: u64) -> StaticSecret {
        StaticSecret::generate(&mut ChaCha20Rng::seed_from_u64(seed))
    }

    #[test]
    fn a_co_advisors_grant_served_first_does_not_hide_the_real_one() {
        let tenant = TenantId::new("acme").unwrap();
        let (mailbox, advisor, co_advisor, recovery, new_key) =
            (key(1), key(2), key(3), key(4), key(5));
        let id = ItemId([9; 16]);
        let recipients = [
            advisor.public_key(),
            co_advisor.public_key(),
            recovery.public_key(),
            mailbox.public_key(),
        ];
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let report = seal_item(
            &SealParams {
                kind: ItemKind::Report,
                tenant: &tenant,
                item_id: id,
                report_id: id,
                sender: &mailbox,
                recipients: &recipients,
            },
            b"what happened",
            &mut rng,
        )
        .unwrap();
        let grant_from = |grantor: &StaticSecret, rng: &mut ChaCha20Rng| {
            let grant = grant_item_key(
                &report,
                &GrantParams {
                    tenant: &tenant,
                    grantor,
                    grantor_access: Access::Stanza,
                    grantee: &new_key.public_key(),
                },
                rng,
            )
            .unwrap();
            ThreadGrant {
                item_id: hex::encode(id.0),
                grant: base64::engine::general_purpose::STANDARD.encode(grant),
            }
        };
        // The co-advisor (a recipient, but not a grantor the reader trusts)
        // posts its grant first, and the server serves it first.
        let from_co_advisor = grant_from(&co_advisor, &mut rng);
        let from_recovery = grant_from(&recovery, &mut rng);
        let thread = |grants: Vec<ThreadGrant>| Thread {
            report_id: hex::encode(id.0),
            created_day: "2026-11-30".into(),
            status: "new".into(),
            agreed_update_date: None,
            report: base64::engine::general_purpose::STANDARD.encode(&report),
            messages: Vec::new(),
            attachments: Vec::new(),
            grants,
            recovery_grants: Vec::new(),
            lifecycle: Default::default(),
            events: Vec::new(),
            forwards: Vec::new(),
        };
        let trust = Trust {
            tenant: tenant.clone(),
            grantors: vec![recovery.public_key()],
            advisor_senders: Vec::new(),
        };
        let both = thread(vec![from_co_advisor.clone(), from_recovery]);
        let opened = open_report(&new_key, &trust, &both, &report).unwrap();
        assert_eq!(opened.content.as_slice(), b"what happened");
        // The untrusted grant alone opens nothing.
        let only_untrusted = thread(vec![from_co_advisor]);
        assert!(open_report(&new_key, &trust, &only_untrusted, &report).is_err());
    }
}
