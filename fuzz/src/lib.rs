//! Fixtures shared by the fuzz targets and the seed generator: fixed keys,
//! a tenant, and a few items sealed once with a seeded random source.
//!
//! Everything here is deterministic, so a crash found on one machine
//! reproduces on another, and `examples/make_seeds.rs` writes the same seed
//! corpus every time.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::primitives::stream::CHUNK_LEN;
use meldkluis_crypto_core::{
    seal_item, seal_item_with_version, Expect, ItemHeader, ItemId, ItemKind, PublicKey, SealParams,
    StaticKey, StaticSecret, TenantId, Version,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The tenant every fixture item belongs to.
pub const TENANT: &str = "fuzz-tenant";

/// The fixed keys of the fuzz targets.
pub struct Keys {
    /// The key the targets open items with (an advisor, say).
    pub reader: StaticSecret,
    /// The key every fixture item is sealed from (a reporter's mailbox).
    pub sender: StaticSecret,
    /// A recipient of some items whose key the targets never use to open.
    pub other: StaticSecret,
    /// A key that no item is sealed to or from.
    pub outsider: StaticSecret,
    /// The key [`grant_fixture`] grants an item to (not a recipient of any
    /// item).
    pub grantee: StaticSecret,
    /// [`TENANT`], validated.
    pub tenant: TenantId,
}

/// The keys, derived once.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        reader: derive_key_pair(b"meldkluis fuzz reader key"),
        sender: derive_key_pair(b"meldkluis fuzz sender key"),
        other: derive_key_pair(b"meldkluis fuzz other recipient key"),
        outsider: derive_key_pair(b"meldkluis fuzz outsider key"),
        grantee: derive_key_pair(b"meldkluis fuzz grantee key"),
        tenant: TenantId::new(TENANT).expect("the fuzz tenant id is valid"),
    })
}

impl Keys {
    /// What the reader requires: the fixture tenant and the fixture sender.
    pub fn expect<'a>(&'a self, senders: &'a [PublicKey]) -> Expect<'a> {
        Expect {
            tenant: &self.tenant,
            senders,
        }
    }
}

/// An item sealed by [`fixtures`], with what it was sealed from.
pub struct SealedFixture {
    /// A short name, used for the seed file.
    pub name: &'static str,
    /// The sealed item: header, payload and (version 2) trailer.
    pub bytes: Vec<u8>,
    /// The content it was sealed from.
    pub content: Vec<u8>,
    /// Its parsed header.
    pub header: ItemHeader,
    /// The header's length.
    pub header_len: usize,
}

impl SealedFixture {
    /// Whether `bytes` are this item as `reader` may open it: the same bytes,
    /// except perhaps in the version-2 trailer tags of *other* recipients.
    /// Each reader checks only its own tag (the others' keys are not its to
    /// know), so a changed tag of another recipient locks out only that
    /// recipient.
    pub fn opens_as(&self, bytes: &[u8], reader: &PublicKey) -> bool {
        if bytes.len() != self.bytes.len() {
            return false;
        }
        let trailer = self.bytes.len() - self.header.trailer_len();
        let own = self
            .header
            .recipients
            .iter()
            .position(|r| r == reader)
            .map(|i| trailer + 32 * i);
        bytes
            .iter()
            .zip(&self.bytes)
            .enumerate()
            .all(|(i, (a, b))| {
                a == b || (i >= trailer && own.is_none_or(|own| !(own..own + 32).contains(&i)))
            })
    }
}

/// The items the targets start from, sealed once. Each is sealed from
/// [`Keys::sender`] to [`Keys::reader`] (among others), so the reader can
/// open them all. Sizes cover the length floor, a padded length that ends
/// exactly on a chunk boundary (the last chunk is full) and one that spills
/// into a short second chunk. All are version 2 (the reader's tag first or
/// second in the trailer), but for two version-1 items at the end, which
/// readers still open.
pub fn fixtures() -> &'static [SealedFixture] {
    static FIXTURES: OnceLock<Vec<SealedFixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let keys = keys();
        let mut rng = ChaCha20Rng::seed_from_u64(0x6d65_6c64);
        let reader = keys.reader.public_key();
        let other = keys.other.public_key();
        let report_id = ItemId::random(&mut rng);
        let specs: [(&'static str, ItemKind, usize, Vec<PublicKey>, Version); 7] = [
            (
                "report-empty",
                ItemKind::Report,
                0,
                vec![reader],
                Version::V2,
            ),
            (
                "message-short",
                ItemKind::Message,
                300,
                vec![other, reader],
                Version::V2,
            ),
            (
                "attachment-floor",
                ItemKind::Attachment,
                1016,
                vec![reader, other],
                Version::V2,
            ),
            // 65 528 + 8 = 65 536: one chunk, exactly full.
            (
                "attachment-one-full-chunk",
                ItemKind::Attachment,
                CHUNK_LEN - 8,
                vec![reader],
                Version::V2,
            ),
            // Padded to 71 680: a full chunk and a short last one.
            (
                "attachment-two-chunks",
                ItemKind::Attachment,
                70_000,
                vec![other, reader],
                Version::V2,
            ),
            (
                "v1-message-short",
                ItemKind::Message,
                300,
                vec![other, reader],
                Version::V1,
            ),
            (
                "v1-attachment-two-chunks",
                ItemKind::Attachment,
                70_000,
                vec![reader, other],
                Version::V1,
            ),
        ];
        specs
            .into_iter()
            .map(|(name, kind, len, recipients, version)| {
                let item_id = if kind == ItemKind::Report {
                    report_id
                } else {
                    ItemId::random(&mut rng)
                };
                let mut content = vec![0u8; len];
                rng.fill_bytes(&mut content);
                let params = SealParams {
                    kind,
                    tenant: &keys.tenant,
                    item_id,
                    report_id,
                    sender: &keys.sender,
                    recipients: &recipients,
                };
                let bytes = seal_item_with_version(&params, version, &content, &mut rng)
                    .expect("the fixture parameters are valid");
                let (header, header_len) =
                    ItemHeader::parse(&bytes).expect("a freshly sealed item parses");
                SealedFixture {
                    name,
                    bytes,
                    content,
                    header,
                    header_len,
                }
            })
            .collect()
    })
}

/// A header with the most recipients the format allows, for the header
/// parser's seed corpus.
pub fn widest_header() -> Vec<u8> {
    let keys = keys();
    let mut rng = ChaCha20Rng::seed_from_u64(64);
    let mut recipients = vec![keys.reader.public_key()];
    while recipients.len() < meldkluis_crypto_core::format::MAX_RECIPIENTS {
        recipients.push(StaticSecret::generate(&mut rng).public_key());
    }
    let id = ItemId::random(&mut rng);
    let tenant = TenantId::new(&"t".repeat(meldkluis_crypto_core::format::MAX_TENANT_LEN))
        .expect("63 letters make a valid tenant id");
    let params = SealParams {
        kind: ItemKind::Report,
        tenant: &tenant,
        item_id: id,
        report_id: id,
        sender: &keys.sender,
        recipients: &recipients,
    };
    let item = seal_item(&params, b"", &mut rng).expect("64 distinct recipients are allowed");
    let (_, header_len) = ItemHeader::parse(&item).expect("a freshly sealed item parses");
    item[..header_len].to_vec()
}

/// A key grant for the fixture "message-short", sealed once: from
/// [`Keys::other`] (a recipient of it) to [`Keys::grantee`].
pub struct GrantFixture {
    /// The item the grant is for.
    pub item: &'static SealedFixture,
    /// The grant's bytes.
    pub grant: Vec<u8>,
}

/// The grant the `key_grant` target starts from.
pub fn grant_fixture() -> &'static GrantFixture {
    static GRANT: OnceLock<GrantFixture> = OnceLock::new();
    GRANT.get_or_init(|| {
        let keys = keys();
        let item = &fixtures()[1];
        let grant = meldkluis_crypto_core::grant_item_key(
            &item.bytes,
            &meldkluis_crypto_core::GrantParams {
                tenant: &keys.tenant,
                grantor: &keys.other,
                grantor_access: meldkluis_crypto_core::Access::Stanza,
                grantee: &keys.grantee.public_key(),
            },
            &mut ChaCha20Rng::seed_from_u64(0x6772_616e),
        )
        .expect("the fixture grantor is a recipient of the fixture item");
        GrantFixture { item, grant }
    })
}
