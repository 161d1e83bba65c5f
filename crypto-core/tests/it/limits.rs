//! The limits `threat-model.md` states honestly, shown by doing what they
//! say an attacker can do. These tests pass when the attack *works*: they
//! keep the document from claiming more than the format gives.

use crate::common::{rng, Cast};
use meldkluis_crypto_core::{
    open_item, seal_item, Error, Expect, ItemHeader, ItemId, ItemKind, PublicKey, SealParams,
    SharedSecret, StaticKey, StaticSecret,
};

/// Key-compromise impersonation: whoever holds a recipient's private key
/// can compute X25519(recipient, sender) = X25519(sender, recipient), which
/// is all HPKE auth mode asks of a sender. This key claims `claimed` as its
/// public key and answers the one agreement the seal needs.
struct Impersonator<'a> {
    recipient: &'a StaticSecret,
    claimed: PublicKey,
}

impl StaticKey for Impersonator<'_> {
    fn public_key(&self) -> PublicKey {
        self.claimed
    }

    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        if *peer == self.recipient.public_key() {
            self.recipient.agree(&self.claimed)
        } else {
            Err(Error::KeyAgreement)
        }
    }
}

#[test]
fn whoever_holds_a_recipients_key_can_forge_items_to_that_recipient() {
    // Anyone with a reporter's login code holds the mailbox key, and can
    // write a "message from the advisor" that the mailbox accepts: the
    // reporter's own key is the only stanza that has to open.
    let cast = Cast::new();
    let advisor = cast.advisors[0].public_key();
    let forger = Impersonator {
        recipient: &cast.mailbox,
        claimed: advisor,
    };
    let report_id = ItemId([7; 16]);
    let recipients = [cast.mailbox.public_key()];
    let forged = seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &cast.tenant,
            item_id: ItemId([8; 16]),
            report_id,
            sender: &forger,
            recipients: &recipients,
        },
        b"please tell me your name",
        &mut rng(1),
    )
    .unwrap();
    let senders = [advisor];
    let opened = open_item(
        &forged,
        &cast.mailbox,
        &Expect {
            tenant: &cast.tenant,
            senders: &senders,
        },
    )
    .expect("the mailbox accepts the forgery: the limit is real");
    assert_eq!(opened.content.as_slice(), b"please tell me your name");
    assert_eq!(opened.header.sender, advisor);

    // The forger cannot address anyone whose key it lacks: sealing to the
    // advisor as well fails, so no *other* reader is fooled.
    let both = [cast.mailbox.public_key(), cast.advisors[1].public_key()];
    let to_others = seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &cast.tenant,
            item_id: ItemId([9; 16]),
            report_id,
            sender: &forger,
            recipients: &both,
        },
        b"x",
        &mut rng(2),
    );
    assert!(to_others.is_err());
}

#[test]
fn the_clear_header_tells_the_server_who_sent_to_whom_kind_and_size() {
    // No key at all: what the server (or anyone with the file) reads.
    let cast = Cast::new();
    let id = ItemId([3; 16]);
    // The reporter leaves advisor 3 out.
    let recipients = [
        cast.advisors[0].public_key(),
        cast.advisors[1].public_key(),
        cast.recovery.public_key(),
        cast.mailbox.public_key(),
    ];
    let item = seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &cast.tenant,
            item_id: id,
            report_id: id,
            sender: &cast.mailbox,
            recipients: &recipients,
        },
        &[b'a'; 3000],
        &mut rng(3),
    )
    .unwrap();
    let (header, _) = ItemHeader::parse(&item).unwrap();
    assert_eq!(header.kind, ItemKind::Report);
    assert_eq!(header.sender, cast.mailbox.public_key());
    assert_eq!(header.recipients, recipients.to_vec());
    assert!(!header.recipients.contains(&cast.advisors[2].public_key()));
    // The padded size, not the exact one.
    assert!(header.padded_len >= 3008 && header.padded_len < 3008 * 112 / 100);
    assert_ne!(header.padded_len, 3008);
}
