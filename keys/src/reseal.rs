//! Re-sealing content keys to a new advisor key through key grants, without
//! re-encrypting any item: after a lost token (the recovery key grants) and
//! for a planned rotation (the advisor's old key grants).
//!
//! The grantor reaches each item's content key through its own stanza
//! (verifying the sender with HPKE auth mode) or a grant it holds, checks
//! the header MAC and, for a version-2 item, its own tag over the whole
//! payload (a version-2 grant binds the payload hash, so that the grantee
//! can tell a co-recipient's rewrite), and seals the content key to the new
//! key. A version-2 attachment is streamed through the grantor in constant
//! memory; of a version-1 attachment only the header is read.
//!
//! A grant lets the new key *read*; the reporter must also *believe* it,
//! since their mailbox accepts advisor messages only from keys pinned in
//! their own report. So the grantor (a key the reporter pinned: the old
//! advisor key, or the recovery key) also posts a key introduction in each
//! thread: a message it seals in auth mode, naming the new key
//! (`web-client/REPORT-CONTENT.md`, "Key introduction"). The server cannot
//! forge one; the mailbox trusts the new key from then on.

use meldkluis_crypto_core::format::MAX_HEADER_LEN;
use meldkluis_crypto_core::{
    grant_item_key, open_item, seal_item, Access, Expect, GrantParams, ItemGranter, ItemHeader,
    ItemId, ItemKind, PublicKey, SealParams, StaticKey, Version,
};

use crate::client::{decode_item, ServerClient};
use crate::Error;

/// What a re-sealing run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResealOutcome {
    /// Reports looked at.
    pub reports: usize,
    /// Items in them.
    pub items: usize,
    /// Grants made and stored now.
    pub granted: u64,
    /// Items the new key could already read (recipient, or a grant exists).
    pub already_readable: usize,
    /// Items the grantor could not open (not sealed to it, or damaged):
    /// these stay unreadable for the new key.
    pub unreachable: usize,
    /// Key introductions posted now (one per report that had none).
    pub introduced: usize,
    /// Reports left alone because the server now serves another report
    /// under an id the advisor's pins file pinned ([`crate::pins`]): no
    /// grant and no key introduction for them.
    pub swapped: usize,
    /// Reports left alone because the grantor could not open their report
    /// item (when replacing the recovery key: only reports the advisor
    /// reads are granted).
    pub unopened: usize,
}

/// The content format of a key introduction.
pub const KEY_INTRODUCTION_FORMAT: &str = "meldkluis-key-introduction/1";

/// The content format of a recovery key introduction: an advisor tells the
/// reporter's mailbox that the tenant's recovery key was replaced, so it
/// seals later messages to the new one (`web-client/REPORT-CONTENT.md`).
/// Distinct from a key introduction: the recovery key is never shown or
/// believed as an advisor.
pub const RECOVERY_KEY_INTRODUCTION_FORMAT: &str = "meldkluis-recovery-key-introduction/1";

/// What the key introduction in each thread introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Introduce {
    /// An advisor's new key (`KEY_INTRODUCTION_FORMAT`).
    AdvisorKey,
    /// The tenant's new recovery key (`RECOVERY_KEY_INTRODUCTION_FORMAT`).
    RecoveryKey,
}

/// The grantor and the new key.
pub struct Reseal<'a> {
    /// The key that can read the items now: the recovery key, or the
    /// advisor's old key.
    pub grantor: &'a dyn StaticKey,
    /// Grantors whose grants the grantor itself accepts (when the grantor
    /// reads an item through a grant: after an earlier rotation).
    pub grantor_trusts: &'a [PublicKey],
    /// The new advisor key.
    pub grantee: PublicKey,
    /// The key the client is logged in with: the thread's grants are to it.
    pub logged_in_as: PublicKey,
    /// The new key's name as reporters know it (the advisor's display
    /// name), for the key introduction.
    pub grantee_name: String,
}

impl core::fmt::Debug for Reseal<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reseal")
            .field("grantor", &self.grantor.public_key())
            .field("grantee", &self.grantee)
            .finish_non_exhaustive()
    }
}

/// Grants every item of every report the logged-in key may see to the
/// grantee, where the grantee cannot read it yet and the grantor can.
pub async fn reseal_reports(
    client: &ServerClient,
    job: &Reseal<'_>,
) -> Result<ResealOutcome, Error> {
    let report_ids: Vec<String> = client
        .reports()
        .await?
        .reports
        .into_iter()
        .map(|summary| summary.report_id)
        .collect();
    reseal_chosen(client, job, &report_ids).await
}

/// As [`reseal_reports`], for the listed reports only (e.g. those
/// [`reports_naming`] chose).
pub async fn reseal_chosen(
    client: &ServerClient,
    job: &Reseal<'_>,
    report_ids: &[String],
) -> Result<ResealOutcome, Error> {
    reseal_pinned(client, job, report_ids, None).await
}

/// As [`reseal_chosen`], leaving alone every report whose served report is
/// not the one pinned under its id in the advisor's pins (a report the
/// server swapped in gets no grant and no key introduction).
pub async fn reseal_pinned(
    client: &ServerClient,
    job: &Reseal<'_>,
    report_ids: &[String],
    pins: Option<&crate::pins::Pins>,
) -> Result<ResealOutcome, Error> {
    reseal_with(client, job, report_ids, pins, Introduce::AdvisorKey).await
}

/// Replacing the tenant's recovery key, from an advisor's key (the
/// grantor, logged in): grants every item of the listed reports that the
/// advisor can open to the new recovery key (`job.grantee`, which the
/// caller took from the advisor's enrolled keys, never from the server),
/// and posts a recovery key introduction in each thread, so the reporter's
/// mailbox seals its later messages to the new key.
///
/// Only reports whose report item the advisor opens (an authentic report
/// of this thread) and whose header matches `pins` (pinned now at first
/// sight, as the console does) are touched; the others are counted in
/// `unopened` and `swapped`.
pub async fn grant_to_new_recovery_key(
    client: &ServerClient,
    job: &Reseal<'_>,
    report_ids: &[String],
    pins: &crate::pins::Pins,
) -> Result<ResealOutcome, Error> {
    reseal_with(client, job, report_ids, Some(pins), Introduce::RecoveryKey).await
}

/// `meldkluis-advisor replace-recovery-key`: checks that `new_recovery` is
/// the recovery key the advisor enrolled (`enrolled.recovery`) *and* the one
/// the server serves to reporters, then, logged in with `advisor`, grants
/// every item of every report the advisor reads to it and introduces it in
/// each thread ([`grant_to_new_recovery_key`]). A recovery key only the
/// server names gets nothing: [`Error::RecoveryKeyNotEnrolled`] or
/// [`Error::RecoveryKeySubstituted`] before anything is posted.
pub async fn replace_recovery_key(
    client: &ServerClient,
    advisor: &dyn StaticKey,
    enrolled: &crate::enrolled::EnrolledKeys,
    new_recovery: PublicKey,
    pins: &crate::pins::Pins,
) -> Result<ResealOutcome, Error> {
    if enrolled.recovery != Some(new_recovery) {
        return Err(Error::RecoveryKeyNotEnrolled(new_recovery.to_hex()));
    }
    let served = client.public_config().await?.recovery;
    let served_ok = served.as_ref().is_some_and(|served| {
        served.public_key == new_recovery && served.fingerprint == new_recovery.fingerprint()
    });
    if !served_ok {
        return Err(Error::RecoveryKeySubstituted {
            served: served.map_or_else(|| "none".to_owned(), |s| s.public_key.to_hex()),
            enrolled: new_recovery.to_hex(),
        });
    }
    client.log_in(advisor).await?;
    let mut trusts: Vec<PublicKey> = enrolled.former_recovery.clone();
    trusts.extend(enrolled.earlier.iter().copied());
    trusts.push(new_recovery);
    let job = Reseal {
        grantor: advisor,
        grantor_trusts: &trusts,
        grantee: new_recovery,
        logged_in_as: advisor.public_key(),
        grantee_name: String::new(),
    };
    let ids: Vec<String> = client
        .reports()
        .await?
        .reports
        .into_iter()
        .map(|summary| summary.report_id)
        .collect();
    grant_to_new_recovery_key(client, &job, &ids, pins).await
}

async fn reseal_with(
    client: &ServerClient,
    job: &Reseal<'_>,
    report_ids: &[String],
    pins: Option<&crate::pins::Pins>,
    introduce: Introduce,
) -> Result<ResealOutcome, Error> {
    let mut outcome = ResealOutcome::default();
    let grantor_key = job.grantor.public_key();
    let mut rng = meldkluis_crypto_core::os_rng();
    for report_id in report_ids {
        outcome.reports += 1;
        let thread = client.thread(report_id).await?;
        if thread.report_id != *report_id {
            return Err(Error::Protocol("the server sent another report's thread"));
        }
        if introduce == Introduce::RecoveryKey {
            // The advisor's own reading of the report: it opens (an
            // authentic report of this thread), and it is the one pinned.
            let trust = crate::reading::Trust {
                tenant: client.tenant().clone(),
                grantors: job.grantor_trusts.to_vec(),
                advisor_senders: Vec::new(),
            };
            let opened = thread.report_bytes().ok().and_then(|report| {
                crate::reading::open_report(job.grantor, &trust, &thread, &report)
                    .ok()
                    .filter(|opened| opened.header.kind == ItemKind::Report)
                    .map(|opened| crate::pins::ReportPin::of(&opened.header))
            });
            let Some(seen) = opened else {
                outcome.unopened += 1;
                continue;
            };
            if let Some(pins) = pins {
                if pins.check_or_pin(report_id, seen)? == crate::pins::PinCheck::Differs {
                    outcome.swapped += 1;
                    continue;
                }
            }
        } else if let Some(pinned) = pins.and_then(|pins| pins.get(report_id)) {
            // The same header as the one pinned (authentic when pinned).
            let served = thread.report_bytes().ok().and_then(|report| {
                ItemHeader::parse(&report)
                    .ok()
                    .map(|(header, _)| crate::pins::ReportPin::of(&header))
            });
            if served != Some(pinned) {
                outcome.swapped += 1;
                continue;
            }
        }
        // (id, bytes, is an attachment of which only the head was read)
        let mut items: Vec<(String, Vec<u8>, bool)> =
            vec![(thread.report_id.clone(), thread.report_bytes()?, false)];
        for message in &thread.messages {
            items.push((message.id.clone(), decode_item(&message.item)?, false));
        }
        for attachment in &thread.attachments {
            let head = client
                .attachment_head(&thread.report_id, &attachment.id, MAX_HEADER_LEN)
                .await?;
            items.push((attachment.id.clone(), head, true));
        }
        let mut grants = Vec::new();
        for (id, item, head_only) in &items {
            outcome.items += 1;
            // An item of this thread under its own id (a server may list
            // one moved from elsewhere, or under another id: it gets no
            // grant, which the server would refuse anyway).
            let Some((header, _)) = ItemHeader::parse(item).ok().filter(|(header, _)| {
                hex::encode(header.item_id.0) == *id
                    && hex::encode(header.report_id.0) == thread.report_id
            }) else {
                outcome.unreachable += 1;
                continue;
            };
            let held_grant = thread.grant_for(id);
            if header.recipients.contains(&job.grantee)
                || (job.logged_in_as == job.grantee && held_grant.is_some())
            {
                outcome.already_readable += 1;
                continue;
            }
            // The grantor's own grant: to the logged-in key, or (the
            // recovery key, after it replaced another) one to the recovery
            // key from a grantor it trusts.
            let grantor_grant = if job.logged_in_as == grantor_key {
                held_grant
            } else {
                thread.for_recovery_key().grants_for(id).find(|grant| {
                    meldkluis_crypto_core::KeyGrant::parse(grant).is_ok_and(|parsed| {
                        parsed.grantee == grantor_key
                            && job.grantor_trusts.contains(&parsed.grantor)
                    })
                })
            };
            let access = if header.recipients.contains(&grantor_key) {
                Access::Stanza
            } else if let Some(grant) = &grantor_grant {
                Access::Grant {
                    grant,
                    grantors: job.grantor_trusts,
                }
            } else {
                outcome.unreachable += 1;
                continue;
            };
            let params = GrantParams {
                tenant: client.tenant(),
                grantor: job.grantor,
                grantor_access: access,
                grantee: &job.grantee,
            };
            let granted = if *head_only && header.version != Version::V1 {
                grant_streamed(client, &thread.report_id, id, &params, &mut rng).await?
            } else {
                grant_item_key(item, &params, &mut rng)
            };
            match granted {
                Ok(grant) => grants.push(grant),
                Err(_) => outcome.unreachable += 1,
            }
        }
        if !grants.is_empty() {
            outcome.granted += client.post_grants(&thread.report_id, &grants).await?;
        }
        if post_introduction(client, job, &thread, &items[0].1, introduce).await? {
            outcome.introduced += 1;
        }
    }
    Ok(outcome)
}

/// Grants an attachment while it downloads, in constant memory: the
/// grantor verifies the whole item (its own tag over the payload) before
/// sealing. The outer error is the download's; the inner, the item's.
async fn grant_streamed(
    client: &ServerClient,
    report_id: &str,
    attachment_id: &str,
    params: &GrantParams<'_>,
    rng: &mut (impl meldkluis_crypto_core::CryptoRngCore + Send),
) -> Result<Result<Vec<u8>, meldkluis_crypto_core::Error>, Error> {
    let mut head = Vec::new();
    let mut granter: Option<ItemGranter> = None;
    let mut refused: Option<meldkluis_crypto_core::Error> = None;
    let mut feed = |chunk: &[u8]| -> Result<(), meldkluis_crypto_core::Error> {
        if let Some(granter) = &mut granter {
            return granter.update(chunk);
        }
        head.extend_from_slice(chunk);
        if ItemHeader::parse(&head).is_err() {
            return if head.len() > MAX_HEADER_LEN {
                Err(meldkluis_crypto_core::Error::CouldNotOpen)
            } else {
                Ok(())
            };
        }
        let (mut started, header_len) = ItemGranter::new(&head, params)?;
        started.update(&head[header_len..])?;
        granter = Some(started);
        Ok(())
    };
    let download = client
        .attachment_chunks(report_id, attachment_id, |chunk| {
            feed(chunk).map_err(|e| {
                refused = Some(e.clone());
                Error::Crypto(e)
            })
        })
        .await;
    if let Some(e) = refused {
        return Ok(Err(e));
    }
    download?;
    Ok(match granter {
        Some(granter) => granter.finish(params, rng),
        None => Err(meldkluis_crypto_core::Error::CouldNotOpen),
    })
}

/// Posts a key introduction in a thread, if the reporter would believe it
/// and it is not there yet.
///
/// The reporter's mailbox trusts the keys pinned in the report and, in
/// thread order, every key a trusted key introduced. The same walk here
/// tells whether the grantor is trusted (pinned, or introduced at an
/// earlier rotation) and whether the grantee already is. The grantor reads
/// introductions of itself and of the grantee because both were sealed to
/// it (an introduction goes to the new key too).
async fn post_introduction(
    client: &ServerClient,
    job: &Reseal<'_>,
    thread: &crate::client::Thread,
    report: &[u8],
    introduce: Introduce,
) -> Result<bool, Error> {
    let messages: Vec<Vec<u8>> = thread
        .messages
        .iter()
        .filter_map(|message| crate::client::decode_item(&message.item).ok())
        .collect();
    match introduction_of(client.tenant(), job, report, &messages, introduce)? {
        Some(sealed) => {
            client.post_message(&thread.report_id, &sealed).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The key introduction a thread needs (sealed, ready to post), or `None`
/// when the reporter would not believe the grantor or already trusts the
/// grantee. Needs no server: `messages` are the thread's sealed messages in
/// order (the offline recovery ceremony passes them from its file).
pub fn introduction(
    tenant: &meldkluis_crypto_core::TenantId,
    job: &Reseal<'_>,
    report: &[u8],
    messages: &[Vec<u8>],
) -> Result<Option<Vec<u8>>, Error> {
    introduction_of(tenant, job, report, messages, Introduce::AdvisorKey)
}

fn introduction_of(
    tenant: &meldkluis_crypto_core::TenantId,
    job: &Reseal<'_>,
    report: &[u8],
    messages: &[Vec<u8>],
    introduce: Introduce,
) -> Result<Option<Vec<u8>>, Error> {
    let grantor = job.grantor.public_key();
    let Ok((header, _)) = ItemHeader::parse(report) else {
        return Ok(None);
    };
    let mut trusted: Vec<PublicKey> = header.recipients.clone();
    // Recovery keys this grantor introduced already (another advisor's
    // introduction is not counted: a second one is harmless, and whether
    // the mailbox believes its sender is the mailbox's decision).
    let mut recovery_introduced: Vec<PublicKey> = Vec::new();
    let mut senders = trusted.clone();
    senders.extend(job.grantor_trusts.iter().copied());
    senders.push(grantor);
    for item in messages {
        let expect = Expect {
            tenant,
            senders: &senders,
        };
        let Ok(opened) = open_item(item, job.grantor, &expect) else {
            continue;
        };
        let content: serde_json::Value =
            serde_json::from_slice(&opened.content).unwrap_or_default();
        // A recovery key introduction from a key the mailbox may believe
        // (not the mailbox key): the new recovery key may introduce
        // advisor keys from then on. (The mailbox decides in the end: it
        // believes only one sealed by an advisor key.)
        let new_recovery = content["format"] == RECOVERY_KEY_INTRODUCTION_FORMAT
            && opened.header.sender != header.sender
            && trusted.contains(&opened.header.sender);
        if let Some(key) = content["public_key"]
            .as_str()
            .filter(|_| new_recovery)
            .and_then(|hex| PublicKey::from_hex(hex).ok())
        {
            if opened.header.sender == grantor {
                recovery_introduced.push(key);
            }
            trusted.push(key);
            senders.push(key);
        }
        let introduced =
            content["format"] == KEY_INTRODUCTION_FORMAT && trusted.contains(&opened.header.sender);
        if let Some(key) = content["public_key"]
            .as_str()
            .filter(|_| introduced)
            .and_then(|hex| PublicKey::from_hex(hex).ok())
        {
            trusted.push(key);
            senders.push(key);
        }
    }
    let content = match introduce {
        Introduce::AdvisorKey => {
            if trusted.contains(&job.grantee) || !trusted.contains(&grantor) {
                return Ok(None);
            }
            serde_json::json!({
                "format": KEY_INTRODUCTION_FORMAT,
                "public_key": job.grantee.to_hex(),
                "name": job.grantee_name,
            })
        }
        Introduce::RecoveryKey => {
            // Only an advisor key the mailbox believes (pinned in the report
            // or introduced), never the mailbox key itself.
            if header.recipients.contains(&job.grantee)
                || recovery_introduced.contains(&job.grantee)
                || grantor == header.sender
                || !trusted.contains(&grantor)
            {
                return Ok(None);
            }
            serde_json::json!({
                "format": RECOVERY_KEY_INTRODUCTION_FORMAT,
                "public_key": job.grantee.to_hex(),
            })
        }
    }
    .to_string();
    // To everyone the report was sealed to, and the new key.
    let mut recipients = header.recipients.clone();
    if !recipients.contains(&job.grantee) {
        recipients.push(job.grantee);
    }
    let mut rng = meldkluis_crypto_core::os_rng();
    let sealed = seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant,
            item_id: ItemId::random(&mut rng),
            report_id: header.report_id,
            sender: job.grantor,
            recipients: &recipients,
        },
        content.as_bytes(),
        &mut rng,
    )?;
    Ok(Some(sealed))
}

/// The reports a recovery may act on, as the recovery key itself reads
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoverySelection {
    /// Reports whose report item names a lost key as a recipient: report id
    /// and the number of items in its thread.
    pub chosen: Vec<(String, usize)>,
    /// Reports the server listed that the reporter did not seal to any lost
    /// key (left out on purpose, or not reachable by the recovery key):
    /// nothing is granted for them.
    pub left_out: Vec<String>,
}

/// Chooses, of the reports the server lists to the logged-in (new) key,
/// those whose report item, opened with the recovery key, names one of the
/// `lost` keys as a recipient. The server cannot widen this: a report the
/// reporter sealed without the lost key is never granted to its successor,
/// whatever the server lists. (The recovery key is a recipient of every
/// report; a report it cannot open is left out too.)
pub async fn reports_naming(
    client: &ServerClient,
    recovery: &dyn StaticKey,
    lost: &[PublicKey],
) -> Result<RecoverySelection, Error> {
    reports_naming_through(client, recovery, lost, &[]).await
}

/// As [`reports_naming`]; a report item not sealed to the recovery key
/// (made before the recovery key replaced another) is opened through a key
/// grant to it from one of `grantors` (keys from the holder's records:
/// the lost keys, the advisors who ran `replace-recovery-key`).
pub async fn reports_naming_through(
    client: &ServerClient,
    recovery: &dyn StaticKey,
    lost: &[PublicKey],
    grantors: &[PublicKey],
) -> Result<RecoverySelection, Error> {
    let trust = crate::reading::Trust {
        tenant: client.tenant().clone(),
        grantors: grantors.to_vec(),
        advisor_senders: Vec::new(),
    };
    let mut selection = RecoverySelection::default();
    for summary in client.reports().await?.reports {
        let thread = client.thread(&summary.report_id).await?;
        let names_lost = thread.report_id == summary.report_id
            && thread.report_bytes().ok().is_some_and(|report| {
                crate::reading::open_report(recovery, &trust, &thread.for_recovery_key(), &report)
                    .is_ok_and(|opened| {
                        opened.header.kind == ItemKind::Report
                            && lost.iter().any(|k| opened.header.recipients.contains(k))
                    })
            });
        if names_lost {
            let items = 1 + thread.messages.len() + thread.attachments.len();
            selection.chosen.push((summary.report_id, items));
        } else {
            selection.left_out.push(summary.report_id);
        }
    }
    Ok(selection)
}
