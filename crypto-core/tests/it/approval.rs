//! Issue 12: consent to forward is the reporter's approval of an exact
//! draft, sealed by the mailbox key, naming the draft's subject hash
//! (`FORMAT.md`, "Approval subject hash"; `web-client/REPORT-CONTENT.md`).
//!
//! These tests perform the attacks at the level of the crypto core: the
//! server forging an approval, a co-advisor turning a decline into an
//! approval, an approval of one draft used for another. The last test shows
//! a limit (it passes when the limit is real): HPKE auth mode is not a
//! transferable signature, so only the thread's own recipients can verify an
//! approval, and a recipient's key can fake one addressed to itself alone.

use crate::common::{rng, Cast};
use crate::insider::{self, insider, layout, padded, stream_seal};
use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{
    open_item, seal_item, ApprovalSubject, Error, Expect, ItemId, ItemKind, PublicKey, SealParams,
    SharedSecret, StaticKey, StaticSecret, SubjectAttachment, SubjectKind, SubjectRecipient,
};

const REPORT: ItemId = ItemId([0x42; 16]);

fn hr() -> StaticSecret {
    derive_key_pair(b"meldkluis test forward recipient HR")
}

/// The advisor's draft: text, one attachment of the thread, HR as recipient.
fn draft(cast: &Cast) -> ApprovalSubject {
    ApprovalSubject {
        kind: SubjectKind::Forward,
        tenant: cast.tenant.clone(),
        report_id: REPORT,
        draft_id: [0x0d; 16],
        version: 1,
        text: "Aan HR: de melder vraagt onderzoek naar ongewenst gedrag.".into(),
        attachments: vec![SubjectAttachment {
            item_id: ItemId([0xa1; 16]),
            sha256: [0x5a; 32],
            size: 48_213,
            name: "verslag.pdf".into(),
            content_type: "application/pdf".into(),
        }],
        recipients: vec![SubjectRecipient {
            public_key: hr().public_key(),
            label: "HR — P. de Boer".into(),
        }],
    }
}

/// The approval content the mailbox writes (REPORT-CONTENT.md).
fn approval_content(hash: &[u8; 32], decision: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "format": "meldkluis-approval/1",
        "subject": "forward",
        "draft_id": hex::encode([0x0d; 16]),
        "version": 1,
        "subject_hash": hex::encode(hash),
        "decision": decision,
    }))
    .unwrap()
}

/// Sealed as every reporter message: by the mailbox key, to the advisors,
/// the recovery key and the mailbox.
fn seal_from(cast: &Cast, sender: &dyn StaticKey, content: &[u8], seed: u64) -> Vec<u8> {
    let recipients = cast.report_recipients();
    seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &cast.tenant,
            item_id: ItemId([seed as u8; 16]),
            report_id: REPORT,
            sender,
            recipients: &recipients,
        },
        content,
        &mut rng(seed),
    )
    .unwrap()
}

/// The console's rule (REPORT-CONTENT.md, "Approval", reader rules 1 and 2):
/// opened with the report's mailbox key as sender, an `approve`, naming the
/// hash the console recomputes from the draft it is about to send.
fn approves(cast: &Cast, reader: &StaticSecret, item: &[u8], draft: &ApprovalSubject) -> bool {
    let senders = [cast.mailbox.public_key()];
    let Ok(opened) = open_item(
        item,
        reader,
        &Expect {
            tenant: &cast.tenant,
            senders: &senders,
        },
    ) else {
        return false;
    };
    let Ok(content) = serde_json::from_slice::<serde_json::Value>(&opened.content) else {
        return false;
    };
    opened.header.report_id == draft.report_id
        && content["format"] == "meldkluis-approval/1"
        && content["decision"] == "approve"
        && content["subject_hash"] == hex::encode(draft.hash().unwrap())
}

/// A key that claims the mailbox's public key but agrees with another
/// secret: all the server can do, holding only public keys.
struct Claims<'a> {
    claimed: PublicKey,
    real: &'a StaticSecret,
}

impl StaticKey for Claims<'_> {
    fn public_key(&self) -> PublicKey {
        self.claimed
    }

    fn agree(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        self.real.agree(peer)
    }
}

#[test]
fn a_genuine_approval_is_accepted_by_every_advisor() {
    let cast = Cast::new();
    let draft = draft(&cast);
    let item = seal_from(
        &cast,
        &cast.mailbox,
        &approval_content(&draft.hash().unwrap(), "approve"),
        1,
    );
    for advisor in &cast.advisors {
        assert!(approves(&cast, advisor, &item, &draft));
    }
}

#[test]
fn the_server_cannot_forge_a_reporters_approval() {
    let cast = Cast::new();
    let draft = draft(&cast);
    let content = approval_content(&draft.hash().unwrap(), "approve");
    // The server's own key as sender: not the mailbox.
    let server = derive_key_pair(b"meldkluis test server key material!!");
    let own = seal_from(&cast, &server, &content, 2);
    // The mailbox's public key in the header, agreement with the server's key.
    let claimed = seal_from(
        &cast,
        &Claims {
            claimed: cast.mailbox.public_key(),
            real: &server,
        },
        &content,
        3,
    );
    for advisor in &cast.advisors {
        assert!(!approves(&cast, advisor, &own, &draft));
        assert!(!approves(&cast, advisor, &claimed, &draft));
    }
}

#[test]
fn a_co_advisor_cannot_turn_a_decline_into_an_approval() {
    let cast = Cast::new();
    let draft = draft(&cast);
    let hash = draft.hash().unwrap();
    let decline = seal_from(&cast, &cast.mailbox, &approval_content(&hash, "decline"), 4);
    // advisor2 reseals the payload under the unchanged header (format
    // version 2 stops this: the others' recipient tags no longer match).
    let me = insider(&decline, &cast.advisors[1]);
    let l = layout(&decline);
    let payload = stream_seal(
        &insider::payload_key(&decline, &me.content_key),
        &padded(&approval_content(&hash, "approve"), l.header.padded_len),
        None,
    );
    let forged = insider::replace_payload(&decline, &me, &payload);
    // The forgery is well made: the forger's own key accepts it.
    assert!(approves(&cast, &cast.advisors[1], &forged, &draft));
    for honest in [&cast.advisors[0], &cast.advisors[2], &cast.recovery] {
        assert!(!approves(&cast, honest, &forged, &draft));
        assert!(!approves(&cast, honest, &decline, &draft));
    }
}

#[test]
fn an_approval_of_one_draft_is_no_approval_of_another() {
    let cast = Cast::new();
    let approved = draft(&cast);
    let item = seal_from(
        &cast,
        &cast.mailbox,
        &approval_content(&approved.hash().unwrap(), "approve"),
        5,
    );
    let reader = &cast.advisors[0];
    assert!(approves(&cast, reader, &item, &approved));
    let mut others: Vec<ApprovalSubject> = Vec::new();
    let mut other = |f: &dyn Fn(&mut ApprovalSubject)| {
        let mut d = draft(&cast);
        f(&mut d);
        others.push(d);
    };
    // Another file under the same attachment id and name.
    other(&|d| d.attachments[0].sha256[0] ^= 1);
    // Another recipient (a key not named in the approval).
    other(&|d| {
        d.recipients[0].public_key = derive_key_pair(b"meldkluis test someone else").public_key()
    });
    // A recipient added.
    other(&|d| {
        d.recipients.push(SubjectRecipient {
            public_key: derive_key_pair(b"meldkluis test committee").public_key(),
            label: "Klachtencommissie".into(),
        })
    });
    // The text changed, an attachment added, a new version, another report.
    other(&|d| d.text.push_str(" Naam melder: J. Jansen."));
    other(&|d| {
        let mut a = d.attachments[0].clone();
        a.item_id = ItemId([0xa2; 16]);
        d.attachments.push(a);
    });
    other(&|d| d.version = 2);
    other(&|d| d.report_id = ItemId([0x43; 16]));
    for d in &others {
        assert!(!approves(&cast, reader, &item, d), "{d:?}");
    }
}

/// A limit, shown by doing it: the approval proves the mailbox sealed it only
/// to the item's own recipients. The forward recipient cannot open it, so it
/// cannot check consent itself; and whoever holds an advisor's key can make
/// an "approval from the mailbox" that only that advisor's key accepts
/// (key-compromise impersonation, FORMAT.md "Limits") — but it cannot address
/// the other advisors or the recovery key, so a genuine approval is one that
/// opens for every recipient of the thread.
#[test]
fn only_the_threads_recipients_can_verify_an_approval() {
    let cast = Cast::new();
    let draft = draft(&cast);
    let content = approval_content(&draft.hash().unwrap(), "approve");
    let genuine = seal_from(&cast, &cast.mailbox, &content, 6);
    assert!(!approves(&cast, &hr(), &genuine, &draft));

    /// advisor1's key, answering as the mailbox would for advisor1 only.
    struct Kci<'a> {
        recipient: &'a StaticSecret,
        claimed: PublicKey,
    }
    impl StaticKey for Kci<'_> {
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
    let forger = Kci {
        recipient: &cast.advisors[0],
        claimed: cast.mailbox.public_key(),
    };
    let to_self = [cast.advisors[0].public_key()];
    let forged = seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &cast.tenant,
            item_id: ItemId([7; 16]),
            report_id: REPORT,
            sender: &forger,
            recipients: &to_self,
        },
        &content,
        &mut rng(7),
    )
    .unwrap();
    assert!(
        approves(&cast, &cast.advisors[0], &forged, &draft),
        "the forger's own key accepts it: the limit is real"
    );
    assert!(!approves(&cast, &cast.advisors[1], &forged, &draft));
    // Addressing the thread's other recipients needs their agreement with
    // the mailbox key, which the forger lacks.
    let recipients = cast.report_recipients();
    assert!(seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &cast.tenant,
            item_id: ItemId([8; 16]),
            report_id: REPORT,
            sender: &forger,
            recipients: &recipients,
        },
        &content,
        &mut rng(8),
    )
    .is_err());
}
