//! Re-sealing content keys to a new advisor key through key grants, without
//! re-encrypting any item: after a lost token (the recovery key grants) and
//! for a planned rotation (the advisor's old key grants).
//!
//! The grantor needs only each item's header: it reaches the content key
//! through its own stanza (verifying the sender with HPKE auth mode) or a
//! grant it holds, checks the header MAC, and seals the content key to the
//! new key. Attachments are not downloaded whole: their header is enough.

use meldkluis_crypto_core::format::MAX_HEADER_LEN;
use meldkluis_crypto_core::{
    grant_item_key, Access, GrantParams, ItemHeader, PublicKey, StaticKey,
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
    let mut outcome = ResealOutcome::default();
    let grantor_key = job.grantor.public_key();
    let mut rng = meldkluis_crypto_core::os_rng();
    for summary in client.reports().await? {
        outcome.reports += 1;
        let thread = client.thread(&summary.report_id).await?;
        let mut items: Vec<(String, Vec<u8>)> =
            vec![(thread.report_id.clone(), thread.report_bytes()?)];
        for message in &thread.messages {
            items.push((message.id.clone(), decode_item(&message.item)?));
        }
        for attachment in &thread.attachments {
            let head = client
                .attachment_head(&thread.report_id, &attachment.id, MAX_HEADER_LEN)
                .await?;
            items.push((attachment.id.clone(), head));
        }
        let mut grants = Vec::new();
        for (id, item) in &items {
            outcome.items += 1;
            let Ok((header, _)) = ItemHeader::parse(item) else {
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
            let access = if header.recipients.contains(&grantor_key) {
                Access::Stanza
            } else if let (true, Some(grant)) = (job.logged_in_as == grantor_key, &held_grant) {
                Access::Grant {
                    grant,
                    grantors: job.grantor_trusts,
                }
            } else {
                outcome.unreachable += 1;
                continue;
            };
            match grant_item_key(
                item,
                &GrantParams {
                    tenant: client.tenant(),
                    grantor: job.grantor,
                    grantor_access: access,
                    grantee: &job.grantee,
                },
                &mut rng,
            ) {
                Ok(grant) => grants.push(grant),
                Err(_) => outcome.unreachable += 1,
            }
        }
        if !grants.is_empty() {
            outcome.granted += client.post_grants(&thread.report_id, &grants).await?;
        }
    }
    Ok(outcome)
}
