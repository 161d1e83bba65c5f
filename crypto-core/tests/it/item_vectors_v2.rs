//! The item format version 2 vectors (`crypto-core/vectors/items-v2.json`).
//!
//! Positive vectors: sealing with the recorded keys and seeded randomness
//! reproduces the item byte for byte, and every listed reader opens it.
//! Negative vectors: each is a positive item with one defect, and must fail
//! the recorded way (`ItemHeader::parse` with the recorded `Malformed` kind,
//! or opening with `could not open`). Besides the defects of version 1 they
//! cover the trailer, the recipient forgeries version 2 exists to stop, and
//! defects only an insider can make while keeping everything else valid
//! (padding, length prefix, last-chunk flags, a base-mode stanza): those are
//! built with the reader's own keys (`super::insider`), so that the named
//! defect is the only one.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! item_vectors_v2` rewrites the file; once released, version 2 is frozen
//! like version 1, so a rewrite that changes any byte means the format
//! changed.

use crate::common::{rng, Cast};
use crate::insider::{self, insider, layout, padded, stream_seal};
use meldkluis_crypto_core::primitives::hpke::{self, Mode};
use meldkluis_crypto_core::primitives::stream::SEALED_CHUNK_LEN;
use meldkluis_crypto_core::{
    open_item, seal_item, Error, Expect, ItemHeader, ItemId, ItemKind, PublicKey, SealParams,
    StaticKey, TenantId, Version,
};
use serde::{Deserialize, Serialize};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/items-v2.json");

/// X25519 points of small order (u-coordinates): 0, 1, and a point of
/// order 8. A key agreement with any of them gives the all-zero output.
pub const LOW_ORDER_POINTS: [(&str, &str); 3] = [
    (
        "0",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "1",
        "0100000000000000000000000000000000000000000000000000000000000000",
    ),
    (
        "order 8",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    ),
];

#[derive(Serialize, Deserialize)]
struct File {
    description: String,
    keys: Vec<Key>,
    positive: Vec<Positive>,
    negative: Vec<Negative>,
}

#[derive(Serialize, Deserialize)]
struct Key {
    name: String,
    secret: String,
    public: String,
}

#[derive(Serialize, Deserialize)]
struct Positive {
    name: String,
    kind: u8,
    tenant: String,
    item_id: String,
    report_id: String,
    sender: String,
    recipients: Vec<String>,
    rng_seed: u64,
    content: String,
    readers: Vec<String>,
    item: String,
}

#[derive(Serialize, Deserialize)]
struct Negative {
    name: String,
    based_on: String,
    reader: String,
    tenant: String,
    expected_senders: Vec<String>,
    item: String,
    /// `null` when the header parses; else the `Malformed` kind.
    parse_error: Option<String>,
    open_error: String,
}

struct Spec {
    name: &'static str,
    kind: ItemKind,
    sender: &'static str,
    recipients: &'static [&'static str],
    content: Vec<u8>,
    seed: u64,
}

const REPORT_CONTENT: &[u8] = br#"{"category":"intimidatie","answers":{"what":"CANARY-report"}}"#;

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "report",
            kind: ItemKind::Report,
            sender: "mailbox",
            recipients: &["advisor1", "advisor2", "recovery", "mailbox"],
            content: REPORT_CONTENT.to_vec(),
            seed: 1,
        },
        Spec {
            name: "empty message from an advisor",
            kind: ItemKind::Message,
            sender: "advisor1",
            recipients: &["mailbox", "advisor1", "advisor2", "recovery"],
            content: Vec::new(),
            seed: 2,
        },
        Spec {
            name: "attachment over two chunks",
            kind: ItemKind::Attachment,
            sender: "mailbox",
            recipients: &["advisor1", "recovery", "mailbox"],
            content: (0..70_000u32).map(|i| (i % 251) as u8).collect(),
            seed: 3,
        },
    ]
}

fn ids(spec: &Spec) -> (ItemId, ItemId) {
    let report = ItemId([0x11; 16]);
    match spec.kind {
        ItemKind::Report => (report, report),
        _ => (ItemId([spec.seed as u8; 16]), report),
    }
}

fn seal(cast: &Cast, spec: &Spec) -> Vec<u8> {
    let recipients: Vec<_> = spec
        .recipients
        .iter()
        .map(|n| cast.by_name(n).public_key())
        .collect();
    let (item_id, report_id) = ids(spec);
    let params = SealParams {
        kind: spec.kind,
        tenant: &cast.tenant,
        item_id,
        report_id,
        sender: cast.by_name(spec.sender),
        recipients: &recipients,
    };
    seal_item(&params, &spec.content, &mut rng(spec.seed)).unwrap()
}

/// Offsets of the header fields for tenant "acme".
mod at {
    pub const KIND: usize = 4;
    pub const TENANT: usize = 6;
    pub const ITEM_ID: usize = 10;
    pub const REPORT_ID: usize = 26;
    pub const SENDER: usize = 42;
    pub const PADDED_LEN: usize = 74;
    pub const COUNT: usize = 82;
    pub const STANZAS: usize = 83;
    pub const STANZA: usize = 112;
}

/// An item whose payload is `padded_plaintext` sealed (with `flags` as the
/// chunks' last flags, if given) under the item's own header, with the
/// reader's tag recomputed: valid in everything but what the plaintext or
/// flags get wrong.
fn insider_payload(
    item: &[u8],
    reader: &insider::Insider,
    padded_plaintext: &[u8],
    flags: Option<&[bool]>,
) -> Vec<u8> {
    let payload = stream_seal(
        &insider::payload_key(item, &reader.content_key),
        padded_plaintext,
        flags,
    );
    insider::replace_payload(item, reader, &payload)
}

fn negatives(cast: &Cast, positives: &[(Spec, Vec<u8>)]) -> Vec<Negative> {
    let (_, report) = &positives[0];
    let (message_spec, message) = &positives[1];
    let (_, attachment) = &positives[2];
    let header_len = |item: &[u8]| ItemHeader::parse(item).unwrap().1;
    let edit = |item: &[u8], f: &dyn Fn(&mut Vec<u8>)| {
        let mut copy = item.to_vec();
        f(&mut copy);
        copy
    };
    let mailbox = cast.mailbox.public_key().to_hex();
    let advisors: Vec<String> = cast
        .advisors
        .iter()
        .map(|a| a.public_key().to_hex())
        .collect();
    let neg = |name: &str,
               based_on: &str,
               reader: &str,
               item: Vec<u8>,
               parse_error: Option<&str>| Negative {
        name: name.into(),
        based_on: based_on.into(),
        reader: reader.into(),
        tenant: "acme".into(),
        expected_senders: if based_on == "report" || based_on == "attachment over two chunks" {
            vec![mailbox.clone()]
        } else {
            advisors.clone()
        },
        item: hex::encode(item),
        parse_error: parse_error.map(Into::into),
        open_error: "could not open".into(),
    };
    let r = "report";
    let m = message_spec.name;
    let a = "attachment over two chunks";
    let hl = header_len(report);
    let ahl = header_len(attachment);
    let report_layout = layout(report);
    let trailer_at = report_layout.payload_end;
    let attachment_layout = layout(attachment);
    let other_valid_size = 2048u64.to_be_bytes();
    // advisor1 is the reader of the insider-made vectors; advisor2 forges.
    let reader = insider(report, &cast.advisors[0]);
    let forger = insider(report, &cast.advisors[1]);
    let attachment_reader = insider(attachment, &cast.advisors[0]);
    let report_padded = |content: &[u8]| padded(content, report_layout.header.padded_len);
    let attachment_content: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let attachment_padded = padded(&attachment_content, attachment_layout.header.padded_len);

    let mut out = vec![
        neg(
            "wrong magic",
            r,
            "advisor1",
            edit(report, &|i| i[0] = b'X'),
            Some("magic"),
        ),
        neg(
            "version 3 (unknown)",
            r,
            "advisor1",
            edit(report, &|i| i[3] = 3),
            Some("magic"),
        ),
        // Read as version 1 (the same header layout): the magic is in every
        // stanza's aad, so no stanza opens.
        neg(
            "version 1 magic on a version-2 item",
            r,
            "advisor1",
            edit(report, &|i| i[3] = 1),
            None,
        ),
        neg(
            "unknown kind",
            r,
            "advisor1",
            edit(report, &|i| i[at::KIND] = 9),
            Some("item kind"),
        ),
        neg(
            "kind changed from message to attachment",
            m,
            "mailbox",
            edit(message, &|i| i[at::KIND] = 3),
            None,
        ),
        Negative {
            tenant: "acmf".into(),
            ..neg(
                "tenant changed to another valid id",
                r,
                "advisor1",
                edit(report, &|i| i[at::TENANT + 3] = b'f'),
                None,
            )
        },
        neg(
            "tenant with a path character",
            r,
            "advisor1",
            edit(report, &|i| i[at::TENANT] = b'/'),
            Some("tenant id"),
        ),
        neg(
            "report id differs from a report's item id",
            r,
            "advisor1",
            edit(report, &|i| i[at::ITEM_ID] ^= 1),
            Some("report id"),
        ),
        neg(
            "message moved to another report",
            m,
            "mailbox",
            edit(message, &|i| i[at::REPORT_ID] ^= 1),
            None,
        ),
        neg(
            "message item id changed",
            m,
            "mailbox",
            edit(message, &|i| i[at::ITEM_ID + 15] ^= 0x80),
            None,
        ),
        neg(
            "sender replaced by an advisor's key",
            m,
            "mailbox",
            edit(message, &|i| {
                i[at::SENDER..at::SENDER + 32]
                    .copy_from_slice(cast.advisors[1].public_key().as_bytes())
            }),
            None,
        ),
        neg(
            "padded length set to another bucket",
            r,
            "advisor1",
            edit(report, &|i| {
                i[at::PADDED_LEN..at::PADDED_LEN + 8].copy_from_slice(&other_valid_size)
            }),
            None,
        ),
        neg(
            "padded length not a bucket",
            r,
            "advisor1",
            edit(report, &|i| i[at::PADDED_LEN + 7] = 1),
            Some("padded length"),
        ),
        neg(
            "no recipients",
            r,
            "advisor1",
            edit(report, &|i| i[at::COUNT] = 0),
            Some("recipient count"),
        ),
        neg(
            "one recipient fewer",
            r,
            "advisor1",
            edit(report, &|i| i[at::COUNT] -= 1),
            None,
        ),
        neg(
            "duplicate recipient: another recipient's key replaced by the reader's",
            r,
            "advisor1",
            edit(report, &|i| {
                i[at::STANZAS + at::STANZA..at::STANZAS + at::STANZA + 32]
                    .copy_from_slice(cast.advisors[0].public_key().as_bytes())
            }),
            Some("recipient"),
        ),
        neg(
            "duplicate recipient: the reader's stanza repeated",
            r,
            "advisor1",
            edit(report, &|i| {
                let own = i[at::STANZAS..at::STANZAS + at::STANZA].to_vec();
                i[at::STANZAS + at::STANZA..at::STANZAS + 2 * at::STANZA].copy_from_slice(&own)
            }),
            Some("recipient"),
        ),
        neg(
            "recipient key replaced",
            r,
            "advisor1",
            edit(report, &|i| i[at::STANZAS + at::STANZA + 5] ^= 1),
            None,
        ),
        neg(
            "own stanza's enc changed",
            r,
            "advisor1",
            edit(report, &|i| i[at::STANZAS + 32] ^= 1),
            None,
        ),
        neg(
            "own sealed key changed",
            r,
            "advisor1",
            edit(report, &|i| i[at::STANZAS + 64 + 47] ^= 1),
            None,
        ),
        neg(
            "another recipient's stanza changed",
            r,
            "advisor1",
            edit(report, &|i| i[at::STANZAS + at::STANZA + 40] ^= 1),
            None,
        ),
        neg(
            "header MAC changed",
            r,
            "advisor1",
            edit(report, &|i| i[hl - 1] ^= 1),
            None,
        ),
        neg(
            "header cut short",
            r,
            "advisor1",
            report[..hl - 1].to_vec(),
            Some("header mac"),
        ),
        neg(
            "payload byte changed",
            r,
            "advisor1",
            edit(report, &|i| i[hl + 10] ^= 1),
            None,
        ),
        neg(
            "payload tag changed",
            r,
            "advisor1",
            edit(report, &|i| i[trailer_at - 1] ^= 1),
            None,
        ),
        neg(
            "payload cut by one byte, trailer kept",
            r,
            "advisor1",
            [&report[..trailer_at - 1], &report[trailer_at..]].concat(),
            None,
        ),
        neg(
            "payload and trailer missing",
            r,
            "advisor1",
            report[..hl].to_vec(),
            None,
        ),
        neg(
            "byte appended after the trailer",
            r,
            "advisor1",
            edit(report, &|i| i.push(0)),
            None,
        ),
        neg(
            "last chunk dropped, trailer kept",
            a,
            "advisor1",
            [
                &attachment[..ahl + SEALED_CHUNK_LEN],
                &attachment[attachment_layout.payload_end..],
            ]
            .concat(),
            None,
        ),
        neg(
            "chunks swapped",
            a,
            "advisor1",
            {
                let first = &attachment[ahl..ahl + SEALED_CHUNK_LEN];
                let second = &attachment[ahl + SEALED_CHUNK_LEN..attachment_layout.payload_end];
                [
                    &attachment[..ahl],
                    second,
                    first,
                    &attachment[attachment_layout.payload_end..],
                ]
                .concat()
            },
            None,
        ),
        neg(
            "payload and trailer of another item under this header",
            r,
            "advisor1",
            [&report[..hl], &message[header_len(message)..]].concat(),
            None,
        ),
        // The trailer.
        neg(
            "own tag changed",
            r,
            "advisor1",
            edit(report, &|i| i[trailer_at + 7] ^= 1),
            None,
        ),
        neg(
            "trailer cut by one byte",
            r,
            "advisor1",
            report[..report.len() - 1].to_vec(),
            None,
        ),
        neg(
            "trailer missing",
            r,
            "advisor1",
            report[..trailer_at].to_vec(),
            None,
        ),
        neg(
            "own tag swapped with another recipient's",
            r,
            "advisor1",
            edit(report, &|i| {
                let (own, other) = i[trailer_at..trailer_at + 64].split_at_mut(32);
                own.swap_with_slice(other)
            }),
            None,
        ),
        // The recipient forgeries (finding 9).
        neg(
            "recipient forgery: payload resealed by a co-recipient under the unchanged header",
            r,
            "advisor1",
            insider_payload(
                report,
                &forger,
                &report_padded(br#"{"category":"other","answers":{"what":"FORGED"}}"#),
                None,
            ),
            None,
        ),
        neg(
            "recipient forgery: another recipient's stanza broken, header MAC and payload remade by a co-recipient",
            r,
            "advisor1",
            {
                let mailbox_stanza = at::STANZAS + 3 * at::STANZA;
                let mut broken = edit(report, &|i| i[mailbox_stanza + 40] ^= 1);
                insider::remac_header(&mut broken, true, &forger.content_key);
                insider_payload(&broken, &forger, &report_padded(REPORT_CONTENT), None)
            },
            None,
        ),
        // Made by an insider with the reader's own keys: only the named
        // defect is wrong.
        neg(
            "non-zero padding byte (last byte)",
            r,
            "advisor1",
            insider_payload(
                report,
                &reader,
                &{
                    let mut p = report_padded(REPORT_CONTENT);
                    *p.last_mut().unwrap() = 1;
                    p
                },
                None,
            ),
            None,
        ),
        neg(
            "non-zero padding byte (right after the content)",
            r,
            "advisor1",
            insider_payload(
                report,
                &reader,
                &{
                    let mut p = report_padded(REPORT_CONTENT);
                    p[8 + REPORT_CONTENT.len()] = 0x80;
                    p
                },
                None,
            ),
            None,
        ),
        neg(
            "non-zero padding byte in the last of two chunks",
            a,
            "advisor1",
            insider_payload(
                attachment,
                &attachment_reader,
                &{
                    let mut p = attachment_padded.clone();
                    *p.last_mut().unwrap() = 1;
                    p
                },
                None,
            ),
            None,
        ),
        neg(
            "length prefix for another padded length",
            r,
            "advisor1",
            insider_payload(
                report,
                &reader,
                &{
                    let mut p = report_padded(REPORT_CONTENT);
                    p[..8].copy_from_slice(&5000u64.to_be_bytes());
                    p
                },
                None,
            ),
            None,
        ),
        neg(
            "length prefix beyond any payload (2^64 - 1)",
            r,
            "advisor1",
            insider_payload(
                report,
                &reader,
                &{
                    let mut p = report_padded(REPORT_CONTENT);
                    p[..8].copy_from_slice(&u64::MAX.to_be_bytes());
                    p
                },
                None,
            ),
            None,
        ),
        neg(
            "only chunk sealed without the last flag",
            r,
            "advisor1",
            insider_payload(
                report,
                &reader,
                &report_padded(REPORT_CONTENT),
                Some(&[false]),
            ),
            None,
        ),
        neg(
            "last flag moved to the first of two chunks",
            a,
            "advisor1",
            insider_payload(
                attachment,
                &attachment_reader,
                &attachment_padded,
                Some(&[true, false]),
            ),
            None,
        ),
        neg(
            "last flag on both of two chunks",
            a,
            "advisor1",
            insider_payload(
                attachment,
                &attachment_reader,
                &attachment_padded,
                Some(&[true, true]),
            ),
            None,
        ),
        neg(
            "last flag on neither of two chunks",
            a,
            "advisor1",
            insider_payload(
                attachment,
                &attachment_reader,
                &attachment_padded,
                Some(&[false, false]),
            ),
            None,
        ),
        neg(
            "reader's stanza sealed in HPKE base mode",
            r,
            "advisor1",
            base_mode_stanza(cast, report, &reader),
            None,
        ),
        neg(
            "reader is not a recipient",
            r,
            "advisor3",
            report.clone(),
            None,
        ),
        neg("reader is an outsider", r, "outsider", report.clone(), None),
        Negative {
            expected_senders: advisors.clone(),
            ..neg(
                "sender is not one the reader expects",
                r,
                "advisor1",
                report.clone(),
                None,
            )
        },
        Negative {
            tenant: "other".into(),
            ..neg(
                "reader expects another tenant",
                r,
                "advisor1",
                report.clone(),
                None,
            )
        },
    ];
    // Low-order points (the reader expects the low-order sender, so only
    // the key agreement can refuse it).
    for (name, point) in LOW_ORDER_POINTS {
        let point_bytes: [u8; 32] = hex::decode(point).unwrap().try_into().unwrap();
        out.push(Negative {
            expected_senders: vec![point.into()],
            ..neg(
                &format!("sender is a low-order point ({name})"),
                r,
                "advisor1",
                edit(report, &|i| {
                    i[at::SENDER..at::SENDER + 32].copy_from_slice(&point_bytes)
                }),
                None,
            )
        });
        out.push(neg(
            &format!("reader's enc is a low-order point ({name})"),
            r,
            "advisor1",
            edit(report, &|i| {
                i[at::STANZAS + 32..at::STANZAS + 64].copy_from_slice(&point_bytes)
            }),
            None,
        ));
        out.push(neg(
            &format!("another recipient's key is a low-order point ({name})"),
            r,
            "advisor1",
            edit(report, &|i| {
                i[at::STANZAS + at::STANZA..at::STANZAS + at::STANZA + 32]
                    .copy_from_slice(&point_bytes)
            }),
            None,
        ));
    }
    out
}

/// The reader's stanza replaced by one sealed in HPKE base mode (no sender
/// authentication) to the same content key, the header MAC, payload and the
/// reader's tag (from the base-mode context's export) remade to match.
fn base_mode_stanza(cast: &Cast, report: &[u8], reader: &insider::Insider) -> Vec<u8> {
    let l = layout(report);
    let (enc, mut context) = hpke::setup_sender(
        Mode::Base,
        &cast.advisors[0].public_key(),
        insider::STANZA_INFO_V2,
        None,
        None,
        &[7u8; 32],
    )
    .unwrap();
    let sealed = context
        .seal(&insider::core(report, &l), &reader.content_key)
        .unwrap();
    let mut tag_key = [0u8; 32];
    context.export(insider::EXPORT_LABEL, &mut tag_key).unwrap();
    let mut item = report.to_vec();
    let stanza = at::STANZAS + reader.index * at::STANZA;
    item[stanza + 32..stanza + 64].copy_from_slice(&enc);
    item[stanza + 64..stanza + 112].copy_from_slice(&sealed);
    insider::remac_header(&mut item, true, &reader.content_key);
    let base_reader = insider::Insider {
        index: reader.index,
        content_key: reader.content_key,
        tag_key,
    };
    insider_payload(
        &item,
        &base_reader,
        &padded(REPORT_CONTENT, l.header.padded_len),
        None,
    )
}

fn build(cast: &Cast) -> File {
    let positives: Vec<(Spec, Vec<u8>)> = specs()
        .into_iter()
        .map(|s| {
            let item = seal(cast, &s);
            (s, item)
        })
        .collect();
    let negative = negatives(cast, &positives);
    let names = [
        "advisor1", "advisor2", "advisor3", "recovery", "mailbox", "outsider",
    ];
    File {
        description: "meldkluis item format v2 vectors: keys, seeded ChaCha20Rng (rand_chacha 0.3, seed_from_u64) randomness, items; see crypto-core/FORMAT.md".into(),
        keys: names
            .iter()
            .map(|n| Key {
                name: (*n).into(),
                secret: hex::encode(*cast.by_name(n).expose_secret_bytes()),
                public: cast.by_name(n).public_key().to_hex(),
            })
            .collect(),
        positive: positives
            .iter()
            .map(|(s, item)| {
                let (item_id, report_id) = ids(s);
                Positive {
                    name: s.name.into(),
                    kind: s.kind.code(),
                    tenant: cast.tenant.as_str().into(),
                    item_id: item_id.to_hex(),
                    report_id: report_id.to_hex(),
                    sender: s.sender.into(),
                    recipients: s.recipients.iter().map(|r| (*r).into()).collect(),
                    rng_seed: s.seed,
                    content: hex::encode(&s.content),
                    readers: s.recipients.iter().map(|r| (*r).into()).collect(),
                    item: hex::encode(item),
                }
            })
            .collect(),
        negative,
    }
}

#[test]
fn item_vectors_v2() {
    let cast = Cast::new();
    let built = build(&cast);
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let file: File =
        serde_json::from_str(&std::fs::read_to_string(PATH).expect("vector file")).unwrap();
    for key in &file.keys {
        assert_eq!(
            hex::encode(*cast.by_name(&key.name).expose_secret_bytes()),
            key.secret
        );
        assert_eq!(cast.by_name(&key.name).public_key().to_hex(), key.public);
    }

    assert_eq!(file.positive.len(), 3);
    for (recorded, fresh) in file.positive.iter().zip(&built.positive) {
        assert_eq!(
            recorded.item, fresh.item,
            "vector {:?} reproduces",
            recorded.name
        );
        let item = hex::decode(&recorded.item).unwrap();
        let (header, _) = ItemHeader::parse(&item).unwrap();
        assert_eq!(header.version, Version::V2);
        assert_eq!(header.kind.code(), recorded.kind);
        assert_eq!(header.item_id.to_hex(), recorded.item_id);
        assert_eq!(header.report_id.to_hex(), recorded.report_id);
        assert_eq!(header.item_len(), item.len() as u64);
        let tenant = TenantId::new(&recorded.tenant).unwrap();
        let senders = [cast.by_name(&recorded.sender).public_key()];
        for reader in &recorded.readers {
            let opened = open_item(
                &item,
                cast.by_name(reader),
                &Expect {
                    tenant: &tenant,
                    senders: &senders,
                },
            )
            .unwrap_or_else(|e| panic!("{} opens for {reader}: {e}", recorded.name));
            assert_eq!(hex::encode(&*opened.content), recorded.content);
        }
    }

    assert!(file.negative.len() >= 60);
    assert_eq!(file.negative.len(), built.negative.len());
    for (recorded, fresh) in file.negative.iter().zip(&built.negative) {
        assert_eq!(
            recorded.item, fresh.item,
            "negative vector {:?} reproduces",
            recorded.name
        );
        let item = hex::decode(&recorded.item).unwrap();
        let parsed = ItemHeader::parse(&item);
        match &recorded.parse_error {
            None => assert!(parsed.is_ok(), "{}: header parses", recorded.name),
            Some(kind) => assert_eq!(
                parsed.err().map(|e| e.to_string()),
                Some(format!("malformed {kind}")),
                "{}: parse error",
                recorded.name
            ),
        }
        let tenant = TenantId::new(&recorded.tenant).unwrap();
        let senders: Vec<_> = recorded
            .expected_senders
            .iter()
            .map(|s| PublicKey::from_hex(s).unwrap())
            .collect();
        let result = open_item(
            &item,
            cast.by_name(&recorded.reader),
            &Expect {
                tenant: &tenant,
                senders: &senders,
            },
        );
        assert_eq!(
            result.err().map(|e| e.to_string()),
            Some(recorded.open_error.clone()),
            "{}: open error",
            recorded.name
        );
    }
}

/// The insider-made vectors are valid but for their named defect: the same
/// construction without the defect opens, and the forgery opens for the
/// forger (who could compute its own tag) but not for the honest reader.
#[test]
fn the_insider_made_vectors_are_valid_but_for_their_defect() {
    let cast = Cast::new();
    let built = build(&cast);
    let report = seal(&cast, &specs()[0]);
    let attachment_spec = &specs()[2];
    let attachment = seal(&cast, attachment_spec);
    let l = layout(&report);
    let al = layout(&attachment);
    let reader_key = &cast.advisors[0];
    let mailbox_only = [cast.mailbox.public_key()];
    let control = |item: &[u8]| {
        open_item(
            item,
            reader_key,
            &Expect {
                tenant: &cast.tenant,
                senders: &mailbox_only,
            },
        )
        .map(|o| o.content.to_vec())
    };
    // Padding and length prefix: the insider's construction with correct
    // plaintext opens to the original content.
    let remade = insider_payload(
        &report,
        &insider(&report, reader_key),
        &padded(REPORT_CONTENT, l.header.padded_len),
        None,
    );
    assert_eq!(control(&remade).unwrap(), REPORT_CONTENT);
    // Last-chunk flags: the correct flags open.
    let remade = insider_payload(
        &attachment,
        &insider(&attachment, reader_key),
        &padded(&attachment_spec.content, al.header.padded_len),
        Some(&[false, true]),
    );
    assert_eq!(control(&remade).unwrap(), attachment_spec.content);
    let senders = [cast.mailbox.public_key()];
    let expect = Expect {
        tenant: &cast.tenant,
        senders: &senders,
    };
    let forgery = built
        .negative
        .iter()
        .find(|n| n.name.starts_with("recipient forgery: payload resealed"))
        .unwrap();
    let forged = hex::decode(&forgery.item).unwrap();
    let opened = open_item(&forged, &cast.advisors[1], &expect).unwrap();
    assert!(opened.content.windows(6).any(|w| w == b"FORGED"));
    // The same payload with the reader's tag recomputed (what only the
    // sender or the reader could do) would open: the tag is the only check
    // standing between the forgery and the honest reader.
    let mut with_readers_tag = forged.clone();
    insider::retag(&mut with_readers_tag, &insider(&forged, &cast.advisors[0]));
    assert!(open_item(&with_readers_tag, &cast.advisors[0], &expect).is_ok());
}

#[test]
fn sealing_to_a_low_order_point_is_refused() {
    let cast = Cast::new();
    for (_, point) in LOW_ORDER_POINTS {
        let recipients = [
            cast.advisors[0].public_key(),
            PublicKey::from_hex(point).unwrap(),
        ];
        let id = ItemId([5; 16]);
        let sealed = seal_item(
            &SealParams {
                kind: ItemKind::Report,
                tenant: &cast.tenant,
                item_id: id,
                report_id: id,
                sender: &cast.mailbox,
                recipients: &recipients,
            },
            b"x",
            &mut rng(5),
        );
        assert_eq!(sealed.err(), Some(Error::KeyAgreement));
    }
}
