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

/// The format of an oral report's content: a report an advisor registered
/// (web-client/REPORT-CONTENT.md, "Oral report").
pub const ORAL_REPORT_FORMAT: &str = "meldkluis-oral-report/1";

/// The format of a join record: an advisor's message that links an oral
/// report to the follow-up mailbox the reporter made (REPORT-CONTENT.md,
/// "Mailbox join record").
pub const JOIN_FORMAT: &str = "meldkluis-mailbox-join/1";

/// Whether a report was registered by an advisor (an oral report) rather
/// than made from a reporter's mailbox: its (authentic, once it opened)
/// sender is an advisor key the reader trusts. A reporter's mailbox key is
/// fresh randomness; no one but an advisor holds an advisor key, so the
/// server can make neither kind look like the other.
pub fn registered_by_advisor(report_header: &ItemHeader, trust: &Trust) -> bool {
    trust.advisor_senders.contains(&report_header.sender)
}

/// The mailbox a report's reporter writes from, as the reader believes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportMailbox {
    /// A report made from the reporter's own mailbox: its sender.
    Own(PublicKey),
    /// An oral report not (yet) joined to a mailbox: no item of the thread
    /// is the reporter's.
    NotJoined,
    /// An oral report joined to a follow-up mailbox: the key named in a
    /// join record sealed by an advisor key the reader trusts (never the
    /// key the server lists for the report, nor the sender of the opening
    /// item it serves).
    Joined {
        /// The mailbox key.
        key: PublicKey,
        /// Its reference, as the record names it (and it matches the key).
        reference: String,
    },
    /// Trusted join records name different mailbox keys: none is believed.
    Conflicting,
}

impl ReportMailbox {
    /// The mailbox key believed, if any.
    pub fn key(&self) -> Option<PublicKey> {
        match self {
            Self::Own(key) | Self::Joined { key, .. } => Some(*key),
            Self::NotJoined | Self::Conflicting => None,
        }
    }
}

/// A join record's content, checked (REPORT-CONTENT.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRecord {
    /// The reference the reporter read out, canonical.
    pub reference: String,
    /// The follow-up mailbox's key; its reference is `reference`.
    pub mailbox_key: PublicKey,
    /// What was registered, in words, for the reporter.
    pub text: String,
}

/// Reads a join record's content: `None` when it is not one, or is
/// malformed (a key that is not 64 lowercase hex digits, a reference that
/// is not the key's own, a text that is not a string).
pub fn parse_join_record(content: &[u8]) -> Option<JoinRecord> {
    let value: serde_json::Value = serde_json::from_slice(content).ok()?;
    if value["format"] != JOIN_FORMAT {
        return None;
    }
    let hex_key = value["mailbox_public_key"].as_str()?;
    if hex_key.len() != 64
        || hex_key
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let mailbox_key = PublicKey::from_hex(hex_key).ok()?;
    let reference = value["reference"].as_str()?;
    if reference != meldkluis_crypto_core::mailbox::mailbox_reference(&mailbox_key) {
        return None;
    }
    Some(JoinRecord {
        reference: reference.to_owned(),
        mailbox_key,
        text: value["text"].as_str()?.to_owned(),
    })
}

/// The senders a later item of the thread may have once the mailbox is
/// known: [`thread_senders`] and the believed mailbox key.
pub fn thread_senders_with(
    report_header: &ItemHeader,
    trust: &Trust,
    mailbox: &ReportMailbox,
) -> Vec<PublicKey> {
    let mut senders = thread_senders(report_header, trust);
    if let Some(key) = mailbox.key() {
        if !senders.contains(&key) {
            senders.push(key);
        }
    }
    senders
}

/// The messages of a thread, opened, in the server's order, with the
/// mailbox the reader believes.
#[derive(Debug)]
pub struct OpenedMessages {
    /// The report's mailbox ([`ReportMailbox`]).
    pub mailbox: ReportMailbox,
    /// One entry per message of the thread, in order: opened, or not.
    pub messages: Vec<Result<OpenedItem, meldkluis_crypto_core::Error>>,
}

/// Opens every message of a thread whose report (with the authentic
/// header `report_header`: the report opened) the reader has, and finds
/// the report's mailbox: for a reporter's own report its sender; for an
/// oral report the key of the advisors' join records, found among the
/// messages that open from trusted advisor keys, after which the messages
/// sealed by that key are opened too. Nothing from a key the reader does
/// not believe opens as the reporter's.
pub fn open_messages(
    key: &dyn StaticKey,
    trust: &Trust,
    thread: &Thread,
    report_header: &ItemHeader,
) -> Result<OpenedMessages, crate::Error> {
    let items = thread
        .messages
        .iter()
        .map(|m| crate::client::decode_item(&m.item).map(|item| (m.id.as_str(), item)))
        .collect::<Result<Vec<_>, _>>()?;
    let senders = thread_senders(report_header, trust);
    let mut messages: Vec<_> = items
        .iter()
        .map(|(id, item)| open_thread_item(key, trust, thread, &senders, id, item))
        .collect();
    let mailbox = if registered_by_advisor(report_header, trust) {
        let mut named: Vec<(PublicKey, String)> = messages
            .iter()
            .flatten()
            .filter(|m| {
                m.header.kind == meldkluis_crypto_core::ItemKind::Message
                    && trust.advisor_senders.contains(&m.header.sender)
            })
            .filter_map(|m| parse_join_record(&m.content))
            .map(|record| (record.mailbox_key, record.reference))
            .collect();
        named.sort();
        named.dedup();
        match named.as_slice() {
            [] => ReportMailbox::NotJoined,
            [(key, reference)] => ReportMailbox::Joined {
                key: *key,
                reference: reference.clone(),
            },
            _ => ReportMailbox::Conflicting,
        }
    } else {
        ReportMailbox::Own(report_header.sender)
    };
    if let ReportMailbox::Joined { key: mailbox, .. } = &mailbox {
        let from_mailbox = [*mailbox];
        for (slot, (id, item)) in messages.iter_mut().zip(&items) {
            if slot.is_err() {
                *slot = open_thread_item(key, trust, thread, &from_mailbox, id, item);
            }
        }
    }
    Ok(OpenedMessages { mailbox, messages })
}

/// Opens the opening item of a joined report (the follow-up item the
/// reporter's mailbox made: kind report, its own report id) only as sealed
/// by `mailbox`, the key the join record names: an item the server swapped
/// in does not open as the reporter's.
pub fn open_opening_item(
    key: &dyn StaticKey,
    trust: &Trust,
    thread: &Thread,
    mailbox: &PublicKey,
    item: &[u8],
) -> Result<OpenedItem, meldkluis_crypto_core::Error> {
    let (header, _) =
        ItemHeader::parse(item).map_err(|_| meldkluis_crypto_core::Error::CouldNotOpen)?;
    if header.kind != meldkluis_crypto_core::ItemKind::Report
        || header.report_id != header.item_id
        || header.sender != *mailbox
    {
        return Err(meldkluis_crypto_core::Error::CouldNotOpen);
    }
    let senders = [*mailbox];
    open_through(
        item,
        key,
        &Expect {
            tenant: &trust.tenant,
            senders: &senders,
        },
        &header,
        thread,
        &header.item_id.to_hex(),
        &trust.grantors,
    )
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
            channel: "web".into(),
            mailbox_state: "own".into(),
            opening_item: None,
            joined_day: None,
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
