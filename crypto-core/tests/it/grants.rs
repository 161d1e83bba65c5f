//! Property tests of key grants: a grant opens its item for the grantee at
//! any size, whole or streamed; every change to the grant or to the item
//! makes opening fail; a grant opens no other item.

use crate::common;

use common::{rng, Cast};
use meldkluis_crypto_core::primitives::stream::CHUNK_LEN;
use meldkluis_crypto_core::{
    grant_item_key, open_item_with_grant, seal_item, seal_item_with_version, Access, Error, Expect,
    GrantParams, ItemGranter, ItemHeader, ItemId, ItemKind, ItemOpener, PublicKey, SealParams,
    StaticKey, Version,
};
use proptest::prelude::*;

/// A report from the mailbox to advisor1, the recovery key and the mailbox:
/// advisor2 and advisor3 are not recipients.
fn seal_report(cast: &Cast, content: &[u8], seed: u64) -> Vec<u8> {
    let recipients = [
        cast.advisors[0].public_key(),
        cast.recovery.public_key(),
        cast.mailbox.public_key(),
    ];
    let id = ItemId([seed as u8; 16]);
    seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &cast.tenant,
            item_id: id,
            report_id: id,
            sender: &cast.mailbox,
            recipients: &recipients,
        },
        content,
        &mut rng(seed),
    )
    .unwrap()
}

fn recovery_grant(cast: &Cast, item: &[u8], grantee: &str, seed: u64) -> Vec<u8> {
    grant_item_key(
        item,
        &GrantParams {
            tenant: &cast.tenant,
            grantor: &cast.recovery,
            grantor_access: Access::Stanza,
            grantee: &cast.by_name(grantee).public_key(),
        },
        &mut rng(seed),
    )
    .unwrap()
}

fn open_granted(cast: &Cast, item: &[u8], grant: &[u8], reader: &str) -> Result<Vec<u8>, Error> {
    let senders = [cast.mailbox.public_key()];
    let grantors = [cast.recovery.public_key()];
    open_item_with_grant(
        item,
        grant,
        cast.by_name(reader),
        &Expect {
            tenant: &cast.tenant,
            senders: &senders,
        },
        &grantors,
    )
    .map(|o| o.content.to_vec())
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(17).wrapping_add(seed))
        .collect()
}

fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..2048,
        (CHUNK_LEN - 16)..(CHUNK_LEN + 16),
        0usize..(3 * CHUNK_LEN),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_grant_opens_any_item_for_the_grantee_only(len in sizes(), seed in any::<u8>()) {
        let cast = Cast::new();
        let plaintext = content(len, seed);
        let item = seal_report(&cast, &plaintext, u64::from(seed));
        let grant = recovery_grant(&cast, &item, "advisor3", u64::from(seed) + 1000);
        prop_assert_eq!(&open_granted(&cast, &item, &grant, "advisor3").unwrap(), &plaintext);
        // Streamed through the grant in odd pieces: the same content.
        let senders = [cast.mailbox.public_key()];
        let grantors = [cast.recovery.public_key()];
        let expect = Expect { tenant: &cast.tenant, senders: &senders };
        let (mut opener, header_len) = ItemOpener::with_access(
            &item, &cast.advisors[2], &expect, Access::Grant { grant: &grant, grantors: &grantors },
        ).unwrap();
        let mut streamed = Vec::new();
        for piece in item[header_len..].chunks(7_777) {
            opener.update_into(piece, &mut streamed).unwrap();
        }
        opener.finish().unwrap();
        prop_assert_eq!(&streamed, &plaintext);
        // Nobody else opens through it: not a recipient, not an outsider.
        for reader in ["advisor1", "advisor2", "outsider", "mailbox"] {
            prop_assert_eq!(open_granted(&cast, &item, &grant, reader), Err(Error::CouldNotOpen));
        }
    }

    #[test]
    fn flipping_any_bit_of_the_grant_fails(bit in any::<prop::sample::Index>()) {
        let cast = Cast::new();
        let item = seal_report(&cast, b"CANARY grant bit flip", 7);
        let grant = recovery_grant(&cast, &item, "advisor3", 8);
        let mut bad = grant.clone();
        let bit = bit.index(bad.len() * 8);
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(open_granted(&cast, &item, &bad, "advisor3"), Err(Error::CouldNotOpen));
    }

    /// Any changed bit of the header or payload fails through a grant (the
    /// grant binds the header hash and, in version 2, the payload hash). The
    /// trailer holds the recipients' tags, which a grantee cannot check: a
    /// changed tag locks out only the recipient whose tag it is.
    #[test]
    fn flipping_any_bit_of_the_item_fails_through_a_grant(len in 0usize..(CHUNK_LEN + 100), bit in any::<prop::sample::Index>()) {
        let cast = Cast::new();
        let item = seal_report(&cast, &content(len, 5), 11);
        let grant = recovery_grant(&cast, &item, "advisor3", 12);
        let (header, _) = ItemHeader::parse(&item).unwrap();
        let trailer_start = item.len() - header.trailer_len();
        let mut bad = item.clone();
        let bit = bit.index(trailer_start * 8);
        bad[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(open_granted(&cast, &bad, &grant, "advisor3"), Err(Error::CouldNotOpen));
    }

    #[test]
    fn a_grant_opens_no_other_item(a in any::<u8>(), b in any::<u8>()) {
        prop_assume!(a != b);
        let cast = Cast::new();
        // Same item id, same sender and recipients, other content and randomness.
        let first = seal_report(&cast, b"first", 3);
        let id = ItemId([3; 16]);
        let recipients = ItemHeader::parse(&first).unwrap().0.recipients;
        let second = seal_item(
            &SealParams { kind: ItemKind::Report, tenant: &cast.tenant, item_id: id, report_id: id, sender: &cast.mailbox, recipients: &recipients },
            &[a, b],
            &mut rng(u64::from(a) << 8 | u64::from(b)),
        ).unwrap();
        let grant = recovery_grant(&cast, &first, "advisor3", 4);
        prop_assert_eq!(open_granted(&cast, &second, &grant, "advisor3"), Err(Error::CouldNotOpen));
        prop_assert!(open_granted(&cast, &first, &grant, "advisor3").is_ok());
    }
}

#[test]
fn only_someone_who_can_open_the_item_can_grant_it() {
    let cast = Cast::new();
    let item = seal_report(&cast, b"CANARY who may grant", 21);
    let grant = |grantor: &str, grantee: &PublicKey| {
        grant_item_key(
            &item,
            &GrantParams {
                tenant: &cast.tenant,
                grantor: cast.by_name(grantor),
                grantor_access: Access::Stanza,
                grantee,
            },
            &mut rng(22),
        )
    };
    let advisor3 = cast.advisors[2].public_key();
    // Not a recipient: cannot reach the content key.
    assert_eq!(grant("advisor2", &advisor3), Err(Error::CouldNotOpen));
    assert_eq!(grant("outsider", &advisor3), Err(Error::CouldNotOpen));
    // A recipient needs no grant; a key cannot grant to itself.
    assert!(matches!(
        grant("recovery", &cast.advisors[0].public_key()),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        grant("recovery", &cast.recovery.public_key()),
        Err(Error::InvalidInput(_))
    ));
    // A header whose MAC was changed is refused before anything is sealed.
    let (_, header_len) = ItemHeader::parse(&item).unwrap();
    let mut tampered = item.clone();
    tampered[header_len - 1] ^= 1;
    let refused = grant_item_key(
        &tampered,
        &GrantParams {
            tenant: &cast.tenant,
            grantor: &cast.recovery,
            grantor_access: Access::Stanza,
            grantee: &advisor3,
        },
        &mut rng(23),
    );
    assert_eq!(refused, Err(Error::CouldNotOpen));
    // A version-2 item must be whole: the grantor verifies its own tag over
    // the payload before it vouches for it, and the grant binds the payload.
    let params = GrantParams {
        tenant: &cast.tenant,
        grantor: &cast.recovery,
        grantor_access: Access::Stanza,
        grantee: &advisor3,
    };
    assert_eq!(
        grant_item_key(&item[..header_len], &params, &mut rng(24)),
        Err(Error::CouldNotOpen)
    );
    let whole = grant_item_key(&item, &params, &mut rng(24)).unwrap();
    assert_eq!(
        open_granted(&cast, &item, &whole, "advisor3").unwrap(),
        b"CANARY who may grant"
    );
    // Streamed through an `ItemGranter` in pieces: the same grant.
    let (mut granter, header_len) = ItemGranter::new(&item, &params).unwrap();
    for piece in item[header_len..].chunks(1000) {
        granter.update(piece).unwrap();
    }
    assert_eq!(granter.finish(&params, &mut rng(24)).unwrap(), whole);
    // A version-1 item: the header alone is enough (its payload is not
    // bound by any grant).
    let id = ItemId([21; 16]);
    let mut recipients = cast.report_recipients();
    recipients.retain(|r| *r != advisor3);
    let v1 = seal_item_with_version(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &cast.tenant,
            item_id: id,
            report_id: id,
            sender: &cast.mailbox,
            recipients: &recipients,
        },
        Version::V1,
        b"CANARY who may grant v1",
        &mut rng(25),
    )
    .unwrap();
    let (_, v1_header_len) = ItemHeader::parse(&v1).unwrap();
    let from_header = grant_item_key(&v1[..v1_header_len], &params, &mut rng(24)).unwrap();
    assert_eq!(
        open_granted(&cast, &v1, &from_header, "advisor3").unwrap(),
        b"CANARY who may grant v1"
    );
}
