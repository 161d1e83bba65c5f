//! Oral reports and follow-up mailboxes (issue 13): registering a report an
//! advisor heard, fetching the follow-up mailbox a reporter made (by the
//! mailbox reference the reporter read aloud) and joining it to the report.
//!
//! The server's answers are the server's word: the caller checks that the
//! served mailbox key has the reference the reporter read out
//! ([`FollowUp::checked_mailbox_key`]) before joining anything.

use meldkluis_crypto_core::{mailbox_reference, parse_mailbox_reference, PublicKey};
use serde::Deserialize;
use serde_json::json;

use super::{json_limited, unb64, ServerClient};
use crate::Error;

/// How an oral report reached the advisor (`channel` on the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OralChannel {
    /// By phone or in a conversation.
    Oral,
    /// In a meeting the reporter asked for.
    Meeting,
}

impl OralChannel {
    /// The server's code: `oral` or `meeting`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Oral => "oral",
            Self::Meeting => "meeting",
        }
    }
}

/// The server's answer to a registered oral report.
#[derive(Debug, Clone, Deserialize)]
pub struct OralReportRegistered {
    /// The report id (hex): the item id of the registered item.
    pub report_id: String,
    /// The day it was registered (`YYYY-MM-DD`): the clocks start here.
    pub created_day: String,
    /// `new`.
    pub status: String,
}

/// A follow-up mailbox not yet joined, as the server serves it.
#[derive(Debug, Clone, Deserialize)]
pub struct FollowUp {
    /// The canonical reference, `XXXX-XXXX-XXXX` (the server's word).
    pub reference: String,
    /// The mailbox public key (64 hex, the server's word).
    pub mailbox_public_key: String,
    /// The follow-up item (base64): kind report, sealed by the mailbox key.
    pub item: String,
    /// The day the reporter made it.
    pub created_day: String,
    /// The last day it can be joined; the server deletes it after.
    pub expires_day: String,
}

impl FollowUp {
    /// The served mailbox key, but only if its reference is `typed` (the
    /// reference the reporter read aloud, in any accepted spelling): a
    /// server that substituted a key of its own is refused here.
    pub fn checked_mailbox_key(&self, typed: &str) -> Result<PublicKey, Error> {
        let expected =
            parse_mailbox_reference(typed).map_err(|_| Error::Malformed("mailbox reference"))?;
        let key = PublicKey::from_hex(&self.mailbox_public_key)
            .map_err(|_| Error::Protocol("follow-up: mailbox_public_key"))?;
        if mailbox_reference(&key) != expected {
            return Err(Error::Protocol(
                "follow-up: the mailbox key does not have the reference the reporter read out",
            ));
        }
        Ok(key)
    }

    /// The sealed follow-up item.
    pub fn item_bytes(&self) -> Result<Vec<u8>, Error> {
        unb64(&self.item)
    }
}

/// The server's answer to a join.
#[derive(Debug, Clone, Deserialize)]
pub struct Joined {
    /// The report (hex).
    pub report_id: String,
    /// The day it was joined.
    pub joined_day: String,
}

impl ServerClient {
    /// `POST advisor/reports`: registers an oral report. `item` is sealed
    /// by this advisor's key (kind report, header report id = item id) to
    /// the recovery key and the tenant's active advisors, this one
    /// included; the report has no mailbox until one is joined.
    pub async fn register_oral_report(
        &self,
        item: &[u8],
        channel: OralChannel,
    ) -> Result<OralReportRegistered, Error> {
        let answer = self
            .send_json(
                reqwest::Method::POST,
                "/advisor/reports",
                &json!({ "item": super::b64(item), "channel": channel.as_str() }),
            )
            .await?;
        serde_json::from_value(answer).map_err(|_| Error::Protocol("oral report answer"))
    }

    /// `GET advisor/follow-ups/{reference}`: the follow-up mailbox with this
    /// reference (any accepted spelling; refused here, before asking, when it
    /// is not a reference). Not found: [`Error::Server`] with status 404.
    /// Check the answer with [`FollowUp::checked_mailbox_key`].
    pub async fn follow_up(&self, reference: &str) -> Result<FollowUp, Error> {
        let reference = parse_mailbox_reference(reference)
            .map_err(|_| Error::Malformed("mailbox reference"))?;
        let response = self
            .get(&format!("/advisor/follow-ups/{reference}"))
            .await?;
        json_limited(response, "follow-up answer").await
    }

    /// `POST advisor/reports/{report_id}/join`: links the follow-up mailbox
    /// with `reference` and `mailbox_key` (checked by the caller) to an
    /// oral report of this advisor that has no mailbox yet.
    pub async fn join_follow_up(
        &self,
        report_id: &str,
        reference: &str,
        mailbox_key: &PublicKey,
    ) -> Result<Joined, Error> {
        let reference = parse_mailbox_reference(reference)
            .map_err(|_| Error::Malformed("mailbox reference"))?;
        let answer = self
            .send_json(
                reqwest::Method::POST,
                &format!("/advisor/reports/{report_id}/join"),
                &json!({ "reference": reference, "mailbox_public_key": mailbox_key.to_hex() }),
            )
            .await?;
        serde_json::from_value(answer).map_err(|_| Error::Protocol("join answer"))
    }
}

impl super::Thread {
    /// The sealed follow-up item of a joined report, if the thread has one.
    pub fn opening_item_bytes(&self) -> Result<Option<Vec<u8>>, Error> {
        self.opening_item.as_deref().map(unb64).transpose()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
    use meldkluis_crypto_core::StaticKey;

    fn served(key: &PublicKey, reference: &str) -> FollowUp {
        FollowUp {
            reference: reference.to_owned(),
            mailbox_public_key: key.to_hex(),
            item: String::new(),
            created_day: "2027-01-04".into(),
            expires_day: "2027-02-03".into(),
        }
    }

    #[test]
    fn the_served_key_is_taken_only_with_the_reference_the_reporter_read_out() {
        let reporter = derive_key_pair(b"meldkluis test mailbox key material!").public_key();
        let heard = mailbox_reference(&reporter);
        let typed = heard.to_lowercase().replace('-', " ");
        assert_eq!(
            served(&reporter, &heard)
                .checked_mailbox_key(&typed)
                .unwrap(),
            reporter
        );
        // The server substitutes a key of its own (and even echoes the
        // reporter's reference beside it): refused.
        let servers = derive_key_pair(b"meldkluis test outsider key material").public_key();
        assert!(matches!(
            served(&servers, &heard).checked_mailbox_key(&typed),
            Err(Error::Protocol(_))
        ));
        // Not a reference at all.
        assert!(matches!(
            served(&reporter, &heard).checked_mailbox_key("ABCD"),
            Err(Error::Malformed(_))
        ));
        // A key that is not hex.
        let mut broken = served(&reporter, &heard);
        broken.mailbox_public_key = "zz".into();
        assert!(matches!(
            broken.checked_mailbox_key(&typed),
            Err(Error::Protocol(_))
        ));
    }
}
