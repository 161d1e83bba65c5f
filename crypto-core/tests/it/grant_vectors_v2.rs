//! The key grant version 2 vectors (`crypto-core/vectors/grants-v2.json`),
//! for the version-2 items of `items-v2.json`, which this test reads.
//!
//! As `grant_vectors` for version 1, plus what version 2 adds: the grant
//! binds the SHA-256 of the item's sealed payload (which the grantor
//! verified with its own recipient tag), so a payload a co-recipient
//! rewrote fails through the grant too; and a grant opens only an item of
//! its own version.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! grant_vectors_v2` rewrites the file.

use crate::common;

use crate::insider::{self, insider, layout, padded, stream_seal};
use common::{rng, Cast};
use meldkluis_crypto_core::format::header_hash;
use meldkluis_crypto_core::primitives::hpke;
use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{
    grant_item_key, open_item_with_grant, Access, Expect, GrantParams, ItemHeader, KeyGrant,
    PublicKey, StaticKey, StaticSecret, TenantId,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/grants-v2.json");
const ITEMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/items-v2.json");
const ITEMS_V1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/items-v1.json");

#[derive(Serialize, Deserialize)]
struct File {
    description: String,
    /// Keys beyond the cast of `items-v2.json`.
    extra_keys: Vec<Key>,
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
    /// The `items-v2.json` positive vector the grant is for.
    item: String,
    grantor: String,
    /// `null`: the grantor opens its own stanza; else the name of the
    /// positive grant through which the grantor reaches the content key.
    grantor_via: Option<String>,
    grantee: String,
    rng_seed: u64,
    /// What the grantee trusts as grantor, and as the item's sender.
    trusted_grantors: Vec<String>,
    expected_senders: Vec<String>,
    header_hash: String,
    grant: String,
}

#[derive(Serialize, Deserialize)]
struct Negative {
    name: String,
    based_on: String,
    reader: String,
    tenant: String,
    trusted_grantors: Vec<String>,
    expected_senders: Vec<String>,
    item: String,
    grant: String,
    /// `null` when the grant parses; else the `Malformed` kind.
    parse_error: Option<String>,
    open_error: String,
}

#[derive(Deserialize)]
struct ItemFile {
    positive: Vec<ItemVector>,
}

#[derive(Deserialize)]
struct ItemVector {
    name: String,
    content: String,
    item: String,
}

struct Keys {
    cast: Cast,
    advisor4: StaticSecret,
}

impl Keys {
    fn by_name(&self, name: &str) -> &StaticSecret {
        match name {
            "advisor4" => &self.advisor4,
            other => self.cast.by_name(other),
        }
    }

    fn publics(&self, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| self.by_name(n).public_key().to_hex())
            .collect()
    }
}

fn frozen_items() -> Vec<ItemVector> {
    let file: ItemFile = serde_json::from_str(&std::fs::read_to_string(ITEMS).unwrap()).unwrap();
    file.positive
}

fn frozen_v1_items() -> Vec<ItemVector> {
    let file: ItemFile = serde_json::from_str(&std::fs::read_to_string(ITEMS_V1).unwrap()).unwrap();
    file.positive
}

/// SHA-256 of an item's sealed payload (between header and trailer).
fn payload_hash(item: &[u8]) -> [u8; 32] {
    let l = layout(item);
    Sha256::digest(&item[l.header_len..l.payload_end]).into()
}

/// A grant built by hand as FORMAT.md says, in either version, for any
/// item whose content key the grantor holds: to test that a grant opens
/// only an item of its own version.
fn manual_grant(
    version: u8,
    item: &[u8],
    grantor: &StaticSecret,
    grantee: &PublicKey,
    content_key: &[u8; 32],
) -> Vec<u8> {
    let l = layout(item);
    let mut bound = vec![b'M', b'K', b'G', version, 4];
    bound.extend_from_slice(b"acme");
    bound.extend_from_slice(&l.header.item_id.0);
    bound.extend_from_slice(&header_hash(&item[..l.header_len]));
    if version == 2 {
        bound.extend_from_slice(&Sha256::digest(&item[l.header_len..l.payload_end]));
    }
    bound.extend_from_slice(grantor.public_key().as_bytes());
    bound.extend_from_slice(grantee.as_bytes());
    let info: &[u8] = if version == 2 {
        b"meldkluis key grant v2"
    } else {
        b"meldkluis key grant v1"
    };
    let (enc, sealed) =
        hpke::seal_auth(grantee, grantor, info, &bound, content_key, &[9u8; 32]).unwrap();
    [&bound[..], &enc[..], &sealed[..]].concat()
}

fn item_bytes(items: &[ItemVector], name: &str) -> Vec<u8> {
    hex::decode(&items.iter().find(|i| i.name == name).unwrap().item).unwrap()
}

struct Spec {
    name: &'static str,
    item: &'static str,
    grantor: &'static str,
    grantor_via: Option<&'static str>,
    grantee: &'static str,
    seed: u64,
    trusted_grantors: &'static [&'static str],
    expected_senders: &'static [&'static str],
}

const REPORT: &str = "report";
const MESSAGE: &str = "empty message from an advisor";

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "recovery key grants a report to a new advisor key",
            item: REPORT,
            grantor: "recovery",
            grantor_via: None,
            grantee: "advisor3",
            seed: 101,
            trusted_grantors: &["recovery"],
            expected_senders: &["mailbox"],
        },
        Spec {
            name: "advisor's earlier key grants a message to its new key",
            item: MESSAGE,
            grantor: "advisor1",
            grantor_via: None,
            grantee: "advisor3",
            seed: 102,
            trusted_grantors: &["advisor1", "recovery"],
            expected_senders: &["advisor1", "advisor2"],
        },
        Spec {
            name: "a granted key grants on (a second rotation)",
            item: REPORT,
            grantor: "advisor3",
            grantor_via: Some("recovery key grants a report to a new advisor key"),
            grantee: "advisor4",
            seed: 103,
            trusted_grantors: &["advisor3", "recovery"],
            expected_senders: &["mailbox"],
        },
    ]
}

fn key_list(keys: &Keys, hexes: &[String]) -> Vec<PublicKey> {
    let _ = keys;
    hexes
        .iter()
        .map(|h| PublicKey::from_hex(h).unwrap())
        .collect()
}

fn issue(keys: &Keys, items: &[ItemVector], spec: &Spec, earlier: &[(Spec, Vec<u8>)]) -> Vec<u8> {
    let item = item_bytes(items, spec.item);
    let via = spec.grantor_via.map(|name| {
        let (earlier_spec, grant) = earlier.iter().find(|(s, _)| s.name == name).unwrap();
        (grant.clone(), keys.publics(earlier_spec.trusted_grantors))
    });
    let via_keys = via.as_ref().map(|(_, t)| key_list(keys, t));
    let access = match (&via, &via_keys) {
        (Some((grant, _)), Some(grantors)) => Access::Grant { grant, grantors },
        _ => Access::Stanza,
    };
    grant_item_key(
        &item,
        &GrantParams {
            tenant: &keys.cast.tenant,
            grantor: keys.by_name(spec.grantor),
            grantor_access: access,
            grantee: &keys.by_name(spec.grantee).public_key(),
        },
        &mut rng(spec.seed),
    )
    .unwrap()
}

/// Offsets in a version-2 grant for tenant "acme".
mod at {
    pub const TENANT: usize = 5;
    pub const ITEM_ID: usize = 9;
    pub const HASH: usize = 25;
    pub const PAYLOAD_HASH: usize = 57;
    pub const GRANTOR: usize = 89;
    pub const GRANTEE: usize = 121;
    pub const ENC: usize = 153;
    pub const SEALED: usize = 185;
    pub const LEN: usize = 233;
}

fn negatives(keys: &Keys, items: &[ItemVector], positives: &[(Spec, Vec<u8>)]) -> Vec<Negative> {
    let (recovery_spec, recovery_grant) = &positives[0];
    let (_, message_grant) = &positives[1];
    let report = item_bytes(items, REPORT);
    let message = item_bytes(items, MESSAGE);
    let report_header_len = ItemHeader::parse(&report).unwrap().1;
    let report_layout = layout(&report);
    let v1_report = item_bytes(&frozen_v1_items(), REPORT);
    let edit = |bytes: &[u8], f: &dyn Fn(&mut Vec<u8>)| {
        let mut copy = bytes.to_vec();
        f(&mut copy);
        copy
    };
    let neg =
        |name: &str, reader: &str, item: &[u8], grant: Vec<u8>, parse: Option<&str>| Negative {
            name: name.into(),
            based_on: recovery_spec.name.into(),
            reader: reader.into(),
            tenant: "acme".into(),
            trusted_grantors: keys.publics(&["recovery"]),
            expected_senders: keys.publics(&["mailbox"]),
            item: hex::encode(item),
            grant: hex::encode(grant),
            parse_error: parse.map(Into::into),
            open_error: "could not open".into(),
        };
    let g = recovery_grant;
    let a3 = "advisor3";
    vec![
        neg(
            "wrong grant magic",
            a3,
            &report,
            edit(g, &|b| b[0] = b'X'),
            Some("grant magic"),
        ),
        neg(
            "grant version 3 (unknown)",
            a3,
            &report,
            edit(g, &|b| b[3] = 3),
            Some("grant magic"),
        ),
        // Read as version 1, the grant has 32 bytes too many.
        neg(
            "version-1 magic on a version-2 grant",
            a3,
            &report,
            edit(g, &|b| b[3] = 1),
            Some("grant length"),
        ),
        neg(
            "an item's magic instead of a grant's",
            a3,
            &report,
            edit(g, &|b| b[..4].copy_from_slice(b"MKI\x02")),
            Some("grant magic"),
        ),
        neg(
            "tenant with a path character",
            a3,
            &report,
            edit(g, &|b| b[at::TENANT] = b'/'),
            Some("tenant id"),
        ),
        neg(
            "grant cut short",
            a3,
            &report,
            g[..at::LEN - 1].to_vec(),
            Some("sealed content key"),
        ),
        neg(
            "byte appended to the grant",
            a3,
            &report,
            edit(g, &|b| b.push(0)),
            Some("grant length"),
        ),
        neg(
            "grantee is the grantor",
            a3,
            &report,
            edit(g, &|b| {
                let grantor = b[at::GRANTOR..at::GRANTEE].to_vec();
                b[at::GRANTEE..at::ENC].copy_from_slice(&grantor);
            }),
            Some("grantee"),
        ),
        // The reader expects the changed tenant, so only the grant's binding
        // (and the item's own tenant) can refuse it.
        Negative {
            tenant: "acmf".into(),
            ..neg(
                "tenant changed to another valid id",
                a3,
                &report,
                edit(g, &|b| b[at::TENANT + 3] = b'f'),
                None,
            )
        },
        neg(
            "item id changed",
            a3,
            &report,
            edit(g, &|b| b[at::ITEM_ID] ^= 1),
            None,
        ),
        neg(
            "header hash changed",
            a3,
            &report,
            edit(g, &|b| b[at::HASH + 31] ^= 0x80),
            None,
        ),
        neg(
            "payload hash changed",
            a3,
            &report,
            edit(g, &|b| b[at::PAYLOAD_HASH] ^= 1),
            None,
        ),
        Negative {
            trusted_grantors: keys.publics(&["recovery", "advisor1"]),
            ..neg(
                "grantor replaced by another trusted key",
                a3,
                &report,
                edit(g, &|b| {
                    b[at::GRANTOR..at::GRANTEE]
                        .copy_from_slice(keys.by_name("advisor1").public_key().as_bytes())
                }),
                None,
            )
        },
        neg(
            "grantee replaced by the reader's key",
            "advisor4",
            &report,
            edit(g, &|b| {
                b[at::GRANTEE..at::ENC]
                    .copy_from_slice(keys.by_name("advisor4").public_key().as_bytes())
            }),
            None,
        ),
        neg(
            "enc changed",
            a3,
            &report,
            edit(g, &|b| b[at::ENC + 7] ^= 1),
            None,
        ),
        neg(
            "sealed content key changed",
            a3,
            &report,
            edit(g, &|b| b[at::SEALED + 47] ^= 1),
            None,
        ),
        Negative {
            trusted_grantors: keys.publics(&["advisor1", "advisor2"]),
            ..neg(
                "grantor is not one the reader trusts",
                a3,
                &report,
                g.clone(),
                None,
            )
        },
        neg(
            "reader is not the grantee",
            "advisor4",
            &report,
            g.clone(),
            None,
        ),
        neg(
            "reader is a recipient of the item but not the grantee",
            "advisor1",
            &report,
            g.clone(),
            None,
        ),
        Negative {
            trusted_grantors: keys.publics(&["advisor1", "recovery"]),
            expected_senders: keys.publics(&["advisor1", "advisor2"]),
            ..neg(
                "grant of another item (the report's grant on a message)",
                a3,
                &message,
                g.clone(),
                None,
            )
        },
        neg(
            "grant of another item (a message's grant on the report)",
            a3,
            &report,
            message_grant.clone(),
            None,
        ),
        neg(
            "another recipient's stanza changed in the item",
            a3,
            &edit(&report, &|i| i[83 + 112 + 40] ^= 1),
            g.clone(),
            None,
        ),
        neg(
            "item header MAC changed",
            a3,
            &edit(&report, &|i| i[report_header_len - 1] ^= 1),
            g.clone(),
            None,
        ),
        neg(
            "item payload byte changed",
            a3,
            &edit(&report, &|i| i[report_header_len + 10] ^= 1),
            g.clone(),
            None,
        ),
        neg(
            "item payload cut by one byte",
            a3,
            &[
                &report[..report_layout.payload_end - 1],
                &report[report_layout.payload_end..],
            ]
            .concat(),
            g.clone(),
            None,
        ),
        neg(
            "item trailer missing",
            a3,
            &report[..report_layout.payload_end],
            g.clone(),
            None,
        ),
        neg(
            "recipient forgery: item payload resealed by a co-recipient after the grant",
            a3,
            &{
                let forger = insider(&report, keys.by_name("advisor2"));
                let payload = stream_seal(
                    &insider::payload_key(&report, &forger.content_key),
                    &padded(b"FORGED", report_layout.header.padded_len),
                    None,
                );
                insider::replace_payload(&report, &forger, &payload)
            },
            g.clone(),
            None,
        ),
        neg(
            "version-1 grant for a version-2 item",
            a3,
            &report,
            manual_grant(
                1,
                &report,
                keys.by_name("recovery"),
                &keys.by_name(a3).public_key(),
                &insider(&report, keys.by_name("recovery")).content_key,
            ),
            None,
        ),
        neg(
            "version-2 grant for a version-1 item",
            a3,
            &v1_report,
            manual_grant(
                2,
                &v1_report,
                keys.by_name("recovery"),
                &keys.by_name(a3).public_key(),
                &insider(&v1_report, keys.by_name("recovery")).content_key,
            ),
            None,
        ),
        Negative {
            expected_senders: keys.publics(&["advisor1", "advisor2"]),
            ..neg(
                "item sender is not one the reader expects",
                a3,
                &report,
                g.clone(),
                None,
            )
        },
        Negative {
            tenant: "other".into(),
            ..neg(
                "reader expects another tenant",
                a3,
                &report,
                g.clone(),
                None,
            )
        },
        neg(
            "grant sealed by an outsider in the recovery key's name",
            a3,
            &report,
            forged_grant(keys, &report),
            None,
        ),
    ]
}

/// A grant the outsider seals to advisor3 and then labels as the recovery
/// key's: the outsider knows the content key only if it could open the
/// item, so it uses a key of its own; either way auth mode refuses it.
fn forged_grant(keys: &Keys, report: &[u8]) -> Vec<u8> {
    // The outsider cannot open the report; it makes a look-alike item of
    // its own (same tenant) to get a grant's shape, then points it at the
    // report and names the recovery key as grantor.
    let (header, len) = ItemHeader::parse(report).unwrap();
    let mut grant = KeyGrant::parse(
        &grant_item_key(
            &meldkluis_crypto_core::seal_item(
                &meldkluis_crypto_core::SealParams {
                    kind: meldkluis_crypto_core::ItemKind::Report,
                    tenant: &keys.cast.tenant,
                    item_id: header.item_id,
                    report_id: header.item_id,
                    sender: &keys.cast.outsider,
                    recipients: &[keys.cast.outsider.public_key()],
                },
                b"forged",
                &mut rng(104),
            )
            .unwrap(),
            &GrantParams {
                tenant: &keys.cast.tenant,
                grantor: &keys.cast.outsider,
                grantor_access: Access::Stanza,
                grantee: &keys.by_name("advisor3").public_key(),
            },
            &mut rng(105),
        )
        .unwrap(),
    )
    .unwrap();
    grant.header_hash = header_hash(&report[..len]);
    grant.payload_hash = Some(payload_hash(report));
    grant.grantor = keys.cast.recovery.public_key();
    grant.to_bytes()
}

fn build(keys: &Keys, items: &[ItemVector]) -> File {
    let mut positives: Vec<(Spec, Vec<u8>)> = Vec::new();
    for spec in specs() {
        let grant = issue(keys, items, &spec, &positives);
        positives.push((spec, grant));
    }
    let negative = negatives(keys, items, &positives);
    File {
        description: "meldkluis key grant v2 vectors for the items of items-v2.json: keys (the cast of items-v2.json plus extra_keys), seeded ChaCha20Rng (rand_chacha 0.3, seed_from_u64) randomness, grants; see crypto-core/FORMAT.md".into(),
        extra_keys: vec![Key {
            name: "advisor4".into(),
            secret: hex::encode(*keys.advisor4.expose_secret_bytes()),
            public: keys.advisor4.public_key().to_hex(),
        }],
        positive: positives
            .iter()
            .map(|(s, grant)| Positive {
                name: s.name.into(),
                item: s.item.into(),
                grantor: s.grantor.into(),
                grantor_via: s.grantor_via.map(Into::into),
                grantee: s.grantee.into(),
                rng_seed: s.seed,
                trusted_grantors: s.trusted_grantors.iter().map(|n| (*n).into()).collect(),
                expected_senders: s.expected_senders.iter().map(|n| (*n).into()).collect(),
                header_hash: hex::encode(
                    ItemHeader::parse(&item_bytes(items, s.item)).unwrap().0.hash(),
                ),
                grant: hex::encode(grant),
            })
            .collect(),
        negative,
    }
}

#[test]
fn grant_vectors_v2() {
    let keys = Keys {
        cast: Cast::new(),
        advisor4: derive_key_pair(b"meldkluis test advisor 4 key material"),
    };
    let items = frozen_items();
    let built = build(&keys, &items);
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let file: File =
        serde_json::from_str(&std::fs::read_to_string(PATH).expect("vector file")).unwrap();
    assert_eq!(file.extra_keys.len(), 1);
    assert_eq!(
        file.extra_keys[0].public,
        keys.advisor4.public_key().to_hex()
    );

    let tenant = TenantId::new("acme").unwrap();
    assert_eq!(file.positive.len(), 3);
    for (recorded, fresh) in file.positive.iter().zip(&built.positive) {
        assert_eq!(
            recorded.grant, fresh.grant,
            "grant {:?} reproduces",
            recorded.name
        );
        let item = item_bytes(&items, &recorded.item);
        let bytes = hex::decode(&recorded.grant).unwrap();
        let grant = KeyGrant::parse(&bytes).unwrap();
        assert_eq!(grant.to_bytes(), bytes);
        assert_eq!(grant.len(), bytes.len());
        assert_eq!(grant.tenant, tenant);
        assert_eq!(hex::encode(grant.header_hash), recorded.header_hash);
        let (header, _) = ItemHeader::parse(&item).unwrap();
        assert_eq!(grant.item_id, header.item_id);
        assert_eq!(grant.grantor, keys.by_name(&recorded.grantor).public_key());
        assert_eq!(grant.grantee, keys.by_name(&recorded.grantee).public_key());
        // The grantee is not a recipient: it opens only through the grant.
        assert!(!header.recipients.contains(&grant.grantee));
        let grantors: Vec<_> = recorded
            .trusted_grantors
            .iter()
            .map(|n| keys.by_name(n).public_key())
            .collect();
        let senders: Vec<_> = recorded
            .expected_senders
            .iter()
            .map(|n| keys.by_name(n).public_key())
            .collect();
        let expect = Expect {
            tenant: &tenant,
            senders: &senders,
        };
        let reader = keys.by_name(&recorded.grantee);
        let opened = open_item_with_grant(&item, &bytes, reader, &expect, &grantors)
            .unwrap_or_else(|e| panic!("{} opens for the grantee: {e}", recorded.name));
        let content = &items
            .iter()
            .find(|i| i.name == recorded.item)
            .unwrap()
            .content;
        assert_eq!(hex::encode(&*opened.content), *content);
        assert!(
            meldkluis_crypto_core::open_item(&item, reader, &expect).is_err(),
            "{}: without the grant the grantee cannot open",
            recorded.name
        );
    }

    assert!(file.negative.len() >= 30);
    assert_eq!(file.negative.len(), built.negative.len());
    for (recorded, fresh) in file.negative.iter().zip(&built.negative) {
        assert_eq!(
            (&recorded.item, &recorded.grant),
            (&fresh.item, &fresh.grant),
            "negative vector {:?} reproduces",
            recorded.name
        );
        let item = hex::decode(&recorded.item).unwrap();
        let grant = hex::decode(&recorded.grant).unwrap();
        match &recorded.parse_error {
            None => assert!(
                KeyGrant::parse(&grant).is_ok(),
                "{}: grant parses",
                recorded.name
            ),
            Some(kind) => assert_eq!(
                KeyGrant::parse(&grant).err().map(|e| e.to_string()),
                Some(format!("malformed {kind}")),
                "{}: parse error",
                recorded.name
            ),
        }
        let tenant = TenantId::new(&recorded.tenant).unwrap();
        let grantors = key_list(&keys, &recorded.trusted_grantors);
        let senders = key_list(&keys, &recorded.expected_senders);
        let result = open_item_with_grant(
            &item,
            &grant,
            keys.by_name(&recorded.reader),
            &Expect {
                tenant: &tenant,
                senders: &senders,
            },
            &grantors,
        );
        assert_eq!(
            result.err().map(|e| e.to_string()),
            Some(recorded.open_error.clone()),
            "{}: open error",
            recorded.name
        );
    }
}

/// Grants built by hand from FORMAT.md open, each for an item of its own
/// version: so the version-mismatch vectors fail for the mismatch alone.
#[test]
fn hand_built_grants_open_items_of_their_own_version() {
    let keys = Keys {
        cast: Cast::new(),
        advisor4: derive_key_pair(b"meldkluis test advisor 4 key material"),
    };
    let grantee = keys.by_name("advisor3");
    let recovery = keys.by_name("recovery");
    let grantors = [recovery.public_key()];
    let senders = [keys.by_name("mailbox").public_key()];
    let expect = Expect {
        tenant: &keys.cast.tenant,
        senders: &senders,
    };
    for (version, items) in [(2u8, frozen_items()), (1u8, frozen_v1_items())] {
        let report = item_bytes(&items, REPORT);
        let grant = manual_grant(
            version,
            &report,
            recovery,
            &grantee.public_key(),
            &insider(&report, recovery).content_key,
        );
        let opened = open_item_with_grant(&report, &grant, grantee, &expect, &grantors)
            .unwrap_or_else(|e| panic!("version {version}: {e}"));
        assert!(opened.content.windows(6).any(|w| w == b"CANARY"));
    }
}
