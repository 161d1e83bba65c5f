//! Finding 9: a recipient rewriting an item in the sender's name.
//!
//! Every recipient (and grantee) of an item knows its content key. In
//! version 1 that was all the payload was bound to, so a recipient with
//! write access to storage (a breached server helps) could seal other
//! content under the unchanged header, and every other reader took it for
//! the sender's. These tests perform that attack, as a co-recipient holding
//! only its own key, with tools written from `FORMAT.md`
//! (`super::insider`): against version 1 it works (why version 2 exists),
//! against version 2 every honest reader refuses the item.

use crate::common::{rng, Cast};
use crate::insider::{self, insider, layout, padded, stream_seal};
use meldkluis_crypto_core::{
    grant_item_key, open_item, open_item_with_grant, seal_item, seal_item_with_version, Access,
    Error, Expect, GrantParams, ItemId, ItemKind, ItemOpener, SealParams, StaticKey, StaticSecret,
    Version,
};

/// The reporter's report, sealed to three advisors, the recovery key and
/// the reporter's own mailbox.
fn report(cast: &Cast, version: Version) -> Vec<u8> {
    let id = ItemId([0x42; 16]);
    let recipients = cast.report_recipients();
    seal_item_with_version(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &cast.tenant,
            item_id: id,
            report_id: id,
            sender: &cast.mailbox,
            recipients: &recipients,
        },
        version,
        b"CANARY the manager shouted at me on 3 March",
        &mut rng(90),
    )
    .unwrap()
}

fn open_as(
    cast: &Cast,
    item: &[u8],
    reader: &StaticSecret,
    sender: &StaticSecret,
) -> Result<Vec<u8>, Error> {
    let senders = [sender.public_key()];
    open_item(
        item,
        reader,
        &Expect {
            tenant: &cast.tenant,
            senders: &senders,
        },
    )
    .map(|o| o.content.to_vec())
}

/// The co-recipient `forger` seals `content` under the item's unchanged
/// header with the content key from its own stanza, and (version 2) puts
/// its own valid tag in the trailer.
fn reseal_as(item: &[u8], forger: &StaticSecret, content: &[u8]) -> Vec<u8> {
    let me = insider(item, forger);
    let l = layout(item);
    let payload = stream_seal(
        &insider::payload_key(item, &me.content_key),
        &padded(content, l.header.padded_len),
        None,
    );
    if item[3] == 1 {
        [&item[..l.header_len], &payload[..]].concat()
    } else {
        insider::replace_payload(item, &me, &payload)
    }
}

#[test]
fn version_1_lets_a_co_recipient_rewrite_the_report_for_the_others() {
    // Documents the attack that version 2 closes: it works on version 1.
    let cast = Cast::new();
    let item = report(&cast, Version::V1);
    let forged = reseal_as(&item, &cast.advisors[1], b"FORGED I withdraw my report");
    assert_eq!(
        open_as(&cast, &forged, &cast.advisors[0], &cast.mailbox).unwrap(),
        b"FORGED I withdraw my report"
    );
}

#[test]
fn a_co_advisor_cannot_rewrite_the_report_in_the_reporters_name() {
    let cast = Cast::new();
    let item = report(&cast, Version::V2);
    // advisor2 rewrites what the reporter wrote, as advisor1, advisor3, the
    // recovery key and the reporter themselves will read it.
    let forged = reseal_as(&item, &cast.advisors[1], b"FORGED I withdraw my report");
    assert_eq!(forged.len(), item.len(), "the forgery has the right shape");
    for honest in [
        &cast.advisors[0],
        &cast.advisors[2],
        &cast.recovery,
        &cast.mailbox,
    ] {
        assert_eq!(
            open_as(&cast, &forged, honest, &cast.mailbox),
            Err(Error::CouldNotOpen)
        );
        // The genuine item still opens for everyone.
        assert_eq!(
            open_as(&cast, &item, honest, &cast.mailbox).unwrap(),
            b"CANARY the manager shouted at me on 3 March"
        );
    }
    // Only the forger itself is fooled (it could compute its own tag).
    assert!(open_as(&cast, &forged, &cast.advisors[1], &cast.mailbox).is_ok());
}

#[test]
fn a_reporter_cannot_rewrite_an_advisors_reply_for_another_advisor() {
    let cast = Cast::new();
    let recipients = [
        cast.mailbox.public_key(),
        cast.advisors[0].public_key(),
        cast.advisors[1].public_key(),
    ];
    let reply = seal_item(
        &SealParams {
            kind: ItemKind::Message,
            tenant: &cast.tenant,
            item_id: ItemId([0x43; 16]),
            report_id: ItemId([0x42; 16]),
            sender: &cast.advisors[0],
            recipients: &recipients,
        },
        b"CANARY we will interview the manager",
        &mut rng(91),
    )
    .unwrap();
    // The reporter (the mailbox key, a recipient) rewrites advisor1's reply.
    let forged = reseal_as(&reply, &cast.mailbox, b"FORGED we closed the case");
    assert_eq!(
        open_as(&cast, &forged, &cast.advisors[1], &cast.advisors[0]),
        Err(Error::CouldNotOpen)
    );
    // Streaming: content may come out of `update`, but `finish` refuses it,
    // so a streaming reader that discards on failure keeps nothing.
    let senders = [cast.advisors[0].public_key()];
    let expect = Expect {
        tenant: &cast.tenant,
        senders: &senders,
    };
    let (mut opener, header_len) = ItemOpener::new(&forged, &cast.advisors[1], &expect).unwrap();
    opener.update(&forged[header_len..]).unwrap();
    assert_eq!(opener.finish().err(), Some(Error::CouldNotOpen));
}

#[test]
fn a_co_recipient_cannot_lock_another_out_unnoticed() {
    for version in [Version::V1, Version::V2] {
        let cast = Cast::new();
        let item = report(&cast, version);
        // advisor2 breaks advisor1's stanza and recomputes the header MAC
        // with the content key (and, version 2, its own tag).
        let me = insider(&item, &cast.advisors[1]);
        let l = layout(&item);
        let mut broken = item.clone();
        broken[l.fixed_len + 64 + 5] ^= 1;
        insider::remac_header(&mut broken, version == Version::V2, &me.content_key);
        if version == Version::V2 {
            // The payload key follows from the MAC: re-seal the payload too.
            let payload = stream_seal(
                &insider::payload_key(&broken, &me.content_key),
                &padded(
                    b"CANARY the manager shouted at me on 3 March",
                    l.header.padded_len,
                ),
                None,
            );
            broken = insider::replace_payload(&broken, &me, &payload);
        } else {
            let payload = stream_seal(
                &insider::payload_key(&broken, &me.content_key),
                &padded(
                    b"CANARY the manager shouted at me on 3 March",
                    l.header.padded_len,
                ),
                None,
            );
            broken = [&broken[..l.header_len], &payload[..]].concat();
        }
        assert_eq!(
            open_as(&cast, &broken, &cast.advisors[0], &cast.mailbox),
            Err(Error::CouldNotOpen),
            "the locked-out advisor"
        );
        let others = open_as(&cast, &broken, &cast.advisors[2], &cast.mailbox);
        match version {
            // Version 1: nobody else notices.
            Version::V1 => assert!(others.is_ok()),
            // Version 2: every honest reader notices.
            _ => {
                for honest in [&cast.advisors[2], &cast.recovery, &cast.mailbox] {
                    assert_eq!(
                        open_as(&cast, &broken, honest, &cast.mailbox),
                        Err(Error::CouldNotOpen)
                    );
                }
            }
        }
    }
}

#[test]
fn a_grantee_cannot_be_given_a_co_recipients_forgery() {
    // The recovery key grants the genuine report to advisor3 (a version-2
    // grant binds the payload hash). advisor2 then rewrites the payload in
    // storage: advisor3, reading through the grant, refuses it.
    let cast = Cast::new();
    let mut recipients = cast.report_recipients();
    recipients.retain(|r| *r != cast.advisors[2].public_key());
    let id = ItemId([0x44; 16]);
    let item = seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &cast.tenant,
            item_id: id,
            report_id: id,
            sender: &cast.mailbox,
            recipients: &recipients,
        },
        b"CANARY granted report",
        &mut rng(92),
    )
    .unwrap();
    let grant = grant_item_key(
        &item,
        &GrantParams {
            tenant: &cast.tenant,
            grantor: &cast.recovery,
            grantor_access: Access::Stanza,
            grantee: &cast.advisors[2].public_key(),
        },
        &mut rng(93),
    )
    .unwrap();
    let senders = [cast.mailbox.public_key()];
    let expect = Expect {
        tenant: &cast.tenant,
        senders: &senders,
    };
    let grantors = [cast.recovery.public_key()];
    let opened =
        open_item_with_grant(&item, &grant, &cast.advisors[2], &expect, &grantors).unwrap();
    assert_eq!(&*opened.content, b"CANARY granted report");
    let forged = reseal_as(&item, &cast.advisors[1], b"FORGED granted report");
    assert_eq!(
        open_item_with_grant(&forged, &grant, &cast.advisors[2], &expect, &grantors).err(),
        Some(Error::CouldNotOpen)
    );
    // Nor can the forger get a grant for its forgery from the recovery key:
    // the recovery key checks its own tag before it grants.
    assert_eq!(
        grant_item_key(
            &forged,
            &GrantParams {
                tenant: &cast.tenant,
                grantor: &cast.recovery,
                grantor_access: Access::Stanza,
                grantee: &cast.advisors[2].public_key(),
            },
            &mut rng(94),
        ),
        Err(Error::CouldNotOpen)
    );
}

mod properties {
    use super::*;
    use crate::common::Cast;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// For any content size, any co-recipient as forger and any other
        /// recipient as reader: the forgery fails for the reader, opens for
        /// the forger alone, and the genuine item opens for both.
        #[test]
        fn any_co_recipient_forgery_fails_for_every_other_reader(
            len in prop_oneof![0usize..2048, 60_000usize..140_000],
            forger in 0usize..5,
            reader in 0usize..5,
            seed in any::<u8>(),
        ) {
            prop_assume!(forger != reader);
            let cast = Cast::new();
            let keys = [&cast.advisors[0], &cast.advisors[1], &cast.advisors[2], &cast.recovery, &cast.mailbox];
            let id = ItemId([seed; 16]);
            let recipients = cast.report_recipients();
            let genuine: Vec<u8> = (0..len).map(|i| (i as u8) ^ seed).collect();
            let item = seal_item(
                &SealParams { kind: ItemKind::Report, tenant: &cast.tenant, item_id: id, report_id: id, sender: &cast.mailbox, recipients: &recipients },
                &genuine,
                &mut rng(u64::from(seed)),
            ).unwrap();
            // Other content of the same length (so of the same padded length,
            // which the header fixes).
            let fake: Vec<u8> = genuine.iter().map(|b| b ^ 0x5a).collect();
            let forged = reseal_as(&item, keys[forger], &fake);
            prop_assert_eq!(open_as(&cast, &forged, keys[reader], &cast.mailbox), Err(Error::CouldNotOpen));
            prop_assert_eq!(open_as(&cast, &forged, keys[forger], &cast.mailbox).unwrap(), fake);
            prop_assert_eq!(open_as(&cast, &item, keys[reader], &cast.mailbox).unwrap(), genuine.clone());
        }

        /// Version 1 stays readable: any size round-trips for every recipient.
        #[test]
        fn version_1_items_still_round_trip(len in prop_oneof![0usize..2048, 60_000usize..140_000], seed in any::<u8>()) {
            let cast = Cast::new();
            let id = ItemId([seed; 16]);
            let recipients = cast.report_recipients();
            let content: Vec<u8> = (0..len).map(|i| (i as u8) ^ seed).collect();
            let item = seal_item_with_version(
                &SealParams { kind: ItemKind::Report, tenant: &cast.tenant, item_id: id, report_id: id, sender: &cast.mailbox, recipients: &recipients },
                Version::V1,
                &content,
                &mut rng(u64::from(seed)),
            ).unwrap();
            let (header, _) = meldkluis_crypto_core::ItemHeader::parse(&item).unwrap();
            prop_assert_eq!(header.version, Version::V1);
            prop_assert_eq!(header.item_len(), item.len() as u64);
            for reader in [&cast.advisors[0], &cast.advisors[1], &cast.advisors[2], &cast.recovery, &cast.mailbox] {
                prop_assert_eq!(open_as(&cast, &item, reader, &cast.mailbox).unwrap(), content.clone());
            }
        }
    }
}
