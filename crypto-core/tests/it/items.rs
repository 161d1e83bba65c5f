//! Property tests: every item round-trips, and every change to a sealed item
//! makes opening fail.

use crate::common;

use common::{rng, Cast};
use meldkluis_crypto_core::primitives::stream::{CHUNK_LEN, SEALED_CHUNK_LEN};
use meldkluis_crypto_core::{
    open_item, seal_item, Error, Expect, ItemHeader, ItemId, ItemKind, ItemOpener, ItemSealer,
    SealParams, StaticKey, TenantId,
};
use proptest::prelude::*;

fn seal_report(cast: &Cast, content: &[u8], seed: u64) -> Vec<u8> {
    let recipients = cast.report_recipients();
    let id = ItemId([seed as u8; 16]);
    let params = SealParams {
        kind: ItemKind::Report,
        tenant: &cast.tenant,
        item_id: id,
        report_id: id,
        sender: &cast.mailbox,
        recipients: &recipients,
    };
    seal_item(&params, content, &mut rng(seed)).unwrap()
}

fn open_as(cast: &Cast, item: &[u8], reader: &str) -> Result<Vec<u8>, Error> {
    let senders = [cast.mailbox.public_key()];
    let expect = Expect {
        tenant: &cast.tenant,
        senders: &senders,
    };
    open_item(item, cast.by_name(reader), &expect).map(|o| o.content.to_vec())
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Sizes from empty to several chunks, with the chunk edges well covered.
fn sizes() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..2048,
        (CHUNK_LEN - 16)..(CHUNK_LEN + 16),
        (2 * CHUNK_LEN - 16)..(2 * CHUNK_LEN + 16),
        0usize..(4 * CHUNK_LEN),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_item_round_trips_for_every_recipient(len in sizes(), seed in any::<u8>()) {
        let cast = Cast::new();
        let plaintext = content(len, seed);
        let item = seal_report(&cast, &plaintext, u64::from(seed));
        let (header, header_len) = ItemHeader::parse(&item).unwrap();
        prop_assert_eq!(header.item_len(), item.len() as u64);
        prop_assert_eq!(header_len, header.len());
        for reader in ["advisor1", "advisor2", "advisor3", "recovery", "mailbox"] {
            prop_assert_eq!(&open_as(&cast, &item, reader).unwrap(), &plaintext);
        }
        prop_assert_eq!(open_as(&cast, &item, "outsider"), Err(Error::CouldNotOpen));
    }

    #[test]
    fn streaming_in_any_pieces_equals_whole(len in sizes(), cut_a in any::<prop::sample::Index>(), cut_b in any::<prop::sample::Index>()) {
        let cast = Cast::new();
        let plaintext = content(len, 3);
        let whole = seal_report(&cast, &plaintext, 9);
        // Seal in three pieces with the same randomness: same bytes.
        let recipients = cast.report_recipients();
        let id = ItemId([9; 16]);
        let params = SealParams { kind: ItemKind::Report, tenant: &cast.tenant, item_id: id, report_id: id, sender: &cast.mailbox, recipients: &recipients };
        let (mut sealer, mut pieces) = ItemSealer::new(&params, len as u64, &mut rng(9)).unwrap();
        let (a, b) = { let (x, y) = (cut_a.index(len + 1), cut_b.index(len + 1)); (x.min(y), x.max(y)) };
        pieces.extend(sealer.update(&plaintext[..a]).unwrap());
        pieces.extend(sealer.update(&plaintext[a..b]).unwrap());
        pieces.extend(sealer.update(&plaintext[b..]).unwrap());
        pieces.extend(sealer.finish().unwrap());
        prop_assert_eq!(&pieces, &whole);
        // Open in pieces cut at other places.
        let senders = [cast.mailbox.public_key()];
        let expect = Expect { tenant: &cast.tenant, senders: &senders };
        let (mut opener, header_len) = ItemOpener::new(&whole, &cast.advisors[0], &expect).unwrap();
        let payload = &whole[header_len..];
        let (c, d) = { let (x, y) = (cut_a.index(payload.len() + 1), cut_b.index(payload.len() + 1)); (x.min(y), x.max(y)) };
        let mut opened = opener.update(&payload[..c]).unwrap().to_vec();
        opened.extend_from_slice(&opener.update(&payload[c..d]).unwrap());
        opened.extend_from_slice(&opener.update(&payload[d..]).unwrap());
        opener.finish().unwrap();
        prop_assert_eq!(&opened, &plaintext);
    }

    /// A changed bit in the header or payload fails for every reader; in
    /// the trailer, for exactly the recipient whose tag it is (each reader
    /// checks only its own tag: the others' keys are not its to know).
    #[test]
    fn flipping_any_bit_anywhere_fails(len in 0usize..(3 * CHUNK_LEN), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let cast = Cast::new();
        let mut item = seal_report(&cast, &content(len, 1), 5);
        let (header, _) = ItemHeader::parse(&item).unwrap();
        let trailer_start = item.len() - header.trailer_len();
        let pos = pos.index(item.len());
        item[pos] ^= 1 << bit;
        let readers = ["advisor1", "advisor2", "advisor3", "recovery", "mailbox"];
        for (index, reader) in readers.iter().enumerate() {
            let tag_of_reader = pos >= trailer_start && (pos - trailer_start) / 32 == index;
            if pos < trailer_start || tag_of_reader {
                prop_assert_eq!(open_as(&cast, &item, reader), Err(Error::CouldNotOpen), "byte {}", pos);
            } else {
                prop_assert!(open_as(&cast, &item, reader).is_ok(), "byte {} of another's tag", pos);
            }
        }
    }

    #[test]
    fn truncating_or_extending_fails(len in 0usize..(3 * CHUNK_LEN), cut in any::<prop::sample::Index>(), extra in 1usize..64) {
        let cast = Cast::new();
        let item = seal_report(&cast, &content(len, 2), 6);
        let cut = cut.index(item.len());
        prop_assert_eq!(open_as(&cast, &item[..cut], "advisor1"), Err(Error::CouldNotOpen));
        let mut longer = item.clone();
        longer.extend(std::iter::repeat_n(0u8, extra));
        prop_assert_eq!(open_as(&cast, &longer, "advisor1"), Err(Error::CouldNotOpen));
    }

    #[test]
    fn reordering_or_swapping_chunks_fails(chunks in 2usize..5, a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let cast = Cast::new();
        let item = seal_report(&cast, &content(chunks * CHUNK_LEN, 4), 7);
        let other = seal_report(&cast, &content(chunks * CHUNK_LEN, 4), 8);
        let header_len = ItemHeader::parse(&item).unwrap().1;
        let full_chunks = (item.len() - header_len) / SEALED_CHUNK_LEN;
        let (a, b) = (a.index(full_chunks), b.index(full_chunks));
        let range = |i: usize| header_len + i * SEALED_CHUNK_LEN..header_len + (i + 1) * SEALED_CHUNK_LEN;
        if a != b {
            let mut swapped = item.clone();
            swapped[range(a)].copy_from_slice(&item[range(b)]);
            swapped[range(b)].copy_from_slice(&item[range(a)]);
            prop_assert_eq!(open_as(&cast, &swapped, "advisor1"), Err(Error::CouldNotOpen));
        }
        // A chunk from another item at the same position (same recipients,
        // same size, same content): different keys, so it fails.
        let mut spliced = item.clone();
        spliced[range(a)].copy_from_slice(&other[range(a)]);
        prop_assert_eq!(open_as(&cast, &spliced, "advisor1"), Err(Error::CouldNotOpen));
        // Dropping a whole middle chunk.
        let mut dropped = item[..range(a).start].to_vec();
        dropped.extend_from_slice(&item[range(a).end..]);
        prop_assert_eq!(open_as(&cast, &dropped, "advisor1"), Err(Error::CouldNotOpen));
    }
}

#[test]
fn the_reader_decides_whom_to_believe() {
    let cast = Cast::new();
    let item = seal_report(&cast, b"a report", 1);
    // Not the expected tenant, not an expected sender: refused.
    let other_tenant = TenantId::new("other").unwrap();
    let senders = [cast.mailbox.public_key()];
    let expect = Expect {
        tenant: &other_tenant,
        senders: &senders,
    };
    assert_eq!(
        open_item(&item, &cast.advisors[0], &expect).err(),
        Some(Error::CouldNotOpen)
    );
    let advisors_only: Vec<_> = cast.advisors.iter().map(|a| a.public_key()).collect();
    let expect = Expect {
        tenant: &cast.tenant,
        senders: &advisors_only,
    };
    assert_eq!(
        open_item(&item, &cast.advisors[0], &expect).err(),
        Some(Error::CouldNotOpen)
    );
}

#[test]
fn a_forged_sender_cannot_seal_in_someone_elses_name() {
    // The server knows every public key. It seals a "message from advisor 1"
    // with its own key but writes advisor 1's key into the header.
    let cast = Cast::new();
    let recipients = [cast.mailbox.public_key()];
    let report = ItemId([1; 16]);
    let params = SealParams {
        kind: ItemKind::Message,
        tenant: &cast.tenant,
        item_id: ItemId([2; 16]),
        report_id: report,
        sender: &cast.outsider,
        recipients: &recipients,
    };
    let mut forged = seal_item(&params, b"please tell us your name", &mut rng(3)).unwrap();
    let sender_at = 4 + 1 + 1 + 4 + 16 + 16;
    forged[sender_at..sender_at + 32].copy_from_slice(cast.advisors[0].public_key().as_bytes());
    let pinned: Vec<_> = cast.advisors.iter().map(|a| a.public_key()).collect();
    let expect = Expect {
        tenant: &cast.tenant,
        senders: &pinned,
    };
    assert_eq!(
        open_item(&forged, &cast.mailbox, &expect).err(),
        Some(Error::CouldNotOpen)
    );
}

#[test]
fn sealing_refuses_bad_parameters() {
    let cast = Cast::new();
    let id = ItemId([1; 16]);
    let pk = cast.advisors[0].public_key();
    for (recipients, kind, report_id) in [
        (vec![], ItemKind::Report, id),
        (vec![pk, pk], ItemKind::Report, id),
        (
            (0..65u8)
                .map(|i| {
                    meldkluis_crypto_core::primitives::hpke::derive_key_pair(&[i; 32]).public_key()
                })
                .collect(),
            ItemKind::Report,
            id,
        ),
        (vec![pk], ItemKind::Report, ItemId([2; 16])),
    ] {
        let params = SealParams {
            kind,
            tenant: &cast.tenant,
            item_id: id,
            report_id,
            sender: &cast.mailbox,
            recipients: &recipients,
        };
        assert!(matches!(
            seal_item(&params, b"x", &mut rng(1)),
            Err(Error::InvalidInput(_))
        ));
    }
    // Content longer or shorter than announced.
    let recipients = [pk];
    let params = SealParams {
        kind: ItemKind::Report,
        tenant: &cast.tenant,
        item_id: id,
        report_id: id,
        sender: &cast.mailbox,
        recipients: &recipients,
    };
    let (mut sealer, _) = ItemSealer::new(&params, 4, &mut rng(1)).unwrap();
    assert!(sealer.update(b"12345").is_err());
    let (mut sealer, _) = ItemSealer::new(&params, 4, &mut rng(1)).unwrap();
    sealer.update(b"123").unwrap();
    assert!(sealer.finish().is_err());
}

#[test]
fn sizes_leak_only_the_padded_bucket() {
    let cast = Cast::new();
    let a = seal_report(&cast, &content(10, 0), 1);
    let b = seal_report(&cast, &content(1000, 0), 2);
    assert_eq!(a.len(), b.len(), "every text up to 1 KiB looks the same");
    let c = seal_report(&cast, &content(100_000, 0), 3);
    let d = seal_report(&cast, &content(100_300, 0), 4);
    assert_eq!(
        c.len(),
        d.len(),
        "nearby sizes share a bucket (100 000 and 100 300 both pad to 100 352)"
    );
    let e = seal_report(&cast, &content(100_400, 0), 5);
    assert!(e.len() > d.len(), "the next bucket starts above 100 352");
}

#[test]
fn an_opened_items_content_is_never_debug_printed() {
    let cast = Cast::new();
    let item = seal_report(&cast, b"CANARY-7f3a secret words", 1);
    let senders = [cast.mailbox.public_key()];
    let opened = open_item(
        &item,
        &cast.advisors[0],
        &Expect {
            tenant: &cast.tenant,
            senders: &senders,
        },
    )
    .unwrap();
    let printed = format!("{opened:?} {:?} {:?}", cast.mailbox, opened.header);
    assert!(!printed.contains("CANARY"), "{printed}");
    assert!(
        !printed.contains(&hex::encode(*cast.mailbox.expose_secret_bytes())),
        "{printed}"
    );
}
