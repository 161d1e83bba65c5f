//! Key grants: giving a new key access to an existing item without
//! re-encrypting it.
//!
//! An item's recipient list is fixed when it is sealed: it is in every
//! stanza's HPKE `aad` and under the header MAC, and the payload key follows
//! from the MAC. So a recipient cannot be added to an item. A key grant
//! instead carries the item's content key to one new key (the grantee),
//! sealed in HPKE auth mode from the grantor's key: the tenant's recovery
//! key after an advisor lost a token, or an advisor's own earlier key when
//! they rotate. The grant is bound to the tenant, the item id and the hash
//! of the item's exact header, so it opens nothing else.
//!
//! Opening through a grant: the reader requires the grantor to be one it
//! trusts, opens the grant, and then verifies the header MAC and the payload
//! with the content key exactly as for a recipient, so a tampered item still
//! fails. What changes is who vouches for the item's sender: through a
//! stanza, HPKE auth mode proves the sender sealed the item; through a
//! grant, the grantor (who could read the item anyway) vouches for it, and
//! [`grant_item_key`] only issues a grant after that check passed for the
//! grantor. `threat-model.md` says what follows.
//!
//! A version-2 item authenticates its payload to each recipient with a tag
//! in its trailer that a grantee cannot check. So a version-2 grant also
//! binds the SHA-256 of the item's sealed payload, which the grantor
//! verified with its own tag (or its own version-2 grant) before granting:
//! the grantor must read the whole item ([`ItemGranter`] streams it in
//! constant memory). Version-1 grants are for version-1 items only, and the
//! other way round.
//!
//! Every way opening can fail gives the same [`Error::CouldNotOpen`].

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::format::{
    header_hash, ItemHeader, KeyGrant, TenantId, Version, CONTENT_KEY_LEN, PAYLOAD_HASH_LEN,
};
use crate::item::{unlock, Expect, ItemOpener, OpenedItem, Verified};
use crate::keys::{PublicKey, StaticKey};
use crate::primitives::hpke;
use crate::Error;

/// HPKE `info` for sealing a content key in a key grant.
fn grant_info(version: Version) -> &'static [u8] {
    match version {
        Version::V1 => b"meldkluis key grant v1",
        Version::V2 => b"meldkluis key grant v2",
    }
}

/// How a reader reaches an item's content key.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// Through its own stanza: the reader is one of the item's recipients.
    Stanza,
    /// Through a key grant to the reader, from one of `grantors`.
    Grant {
        /// The grant's bytes.
        grant: &'a [u8],
        /// The grantors the reader trusts: the tenant's recovery key and
        /// the reader's own earlier keys, as the reader knows them (never as
        /// a server says they are).
        grantors: &'a [PublicKey],
    },
}

/// Who grants access to whom.
pub struct GrantParams<'a> {
    /// The tenant the item must belong to.
    pub tenant: &'a TenantId,
    /// The grantor: a recipient of the item (or holder of a grant to it).
    pub grantor: &'a dyn StaticKey,
    /// How the grantor reaches the content key.
    pub grantor_access: Access<'a>,
    /// The new key.
    pub grantee: &'a PublicKey,
}

impl core::fmt::Debug for GrantParams<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GrantParams")
            .field("tenant", &self.tenant)
            .field("grantor", &self.grantor.public_key())
            .field("grantee", &self.grantee)
            .finish_non_exhaustive()
    }
}

/// The content key and (version 2) the payload hash a grant carries.
pub(crate) type GrantedKey = (
    Zeroizing<[u8; CONTENT_KEY_LEN]>,
    Option<[u8; PAYLOAD_HASH_LEN]>,
);

/// Opens the content key in `grant` as `reader`, checking that the grant is
/// for this very header (and its version), to this reader, from a trusted
/// grantor. Returns the key and, for a version-2 grant, the payload hash
/// the reader must find.
pub(crate) fn open_grant(
    grant: &[u8],
    header: &ItemHeader,
    header_bytes: &[u8],
    reader: &dyn StaticKey,
    grantors: &[PublicKey],
) -> Result<GrantedKey, Error> {
    let grant = KeyGrant::parse(grant).map_err(|_| Error::CouldNotOpen)?;
    if grant.version != header.version
        || grant.tenant != header.tenant
        || grant.item_id != header.item_id
        || grant.header_hash != header_hash(header_bytes)
        || grant.grantee != reader.public_key()
        || !grantors.contains(&grant.grantor)
    {
        return Err(Error::CouldNotOpen);
    }
    let opened = hpke::open_auth(
        &grant.enc,
        reader,
        &grant.grantor,
        grant_info(grant.version),
        &grant.bound_fields(),
        &grant.sealed_key,
    )?;
    let key: [u8; CONTENT_KEY_LEN] = opened
        .as_slice()
        .try_into()
        .map_err(|_| Error::CouldNotOpen)?;
    Ok((Zeroizing::new(key), grant.payload_hash))
}

/// Issues a key grant for `item`: the grantor reaches the content key
/// (verifying the sender through its stanza, or its own grant from a trusted
/// grantor) and the header MAC, then seals the content key to the grantee.
///
/// For a version-1 item the header is enough (`item` may hold only the
/// header, or more). A version-2 item must be whole: the grantor checks its
/// own recipient tag (or its own grant's payload hash) over the whole
/// payload, and the grant binds the payload hash. To grant a large item
/// without holding it in memory, stream it through [`ItemGranter`].
///
/// Fails with [`Error::CouldNotOpen`] if the grantor cannot open the item,
/// and with [`Error::InvalidInput`] if the grantee is already a recipient
/// (it needs no grant) or is the grantor.
pub fn grant_item_key(
    item: &[u8],
    params: &GrantParams<'_>,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    let (header, header_len) = ItemHeader::parse(item).map_err(|_| Error::CouldNotOpen)?;
    match header.version {
        Version::V1 => {
            let unlocked = unlock(item, params.grantor, params.tenant, params.grantor_access)?;
            seal_grant(
                Verified {
                    header: unlocked.header,
                    content_key: unlocked.content_key,
                    payload_hash: None,
                },
                params,
                rng,
            )
        }
        _ => {
            let (mut granter, _) = ItemGranter::new(item, params)?;
            granter.update(&item[header_len..])?;
            granter.finish(params, rng)
        }
    }
}

/// Streams a whole item through its grantor, so that it can issue a key
/// grant for a large version-2 item in constant memory. Feed it what
/// follows the header, as [`ItemOpener`] takes it; the opened content is
/// wiped and dropped.
pub struct ItemGranter {
    opener: ItemOpener,
    scratch: Zeroizing<Vec<u8>>,
}

impl core::fmt::Debug for ItemGranter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ItemGranter")
            .field("header", self.opener.header())
            .finish_non_exhaustive()
    }
}

impl ItemGranter {
    /// Reads and verifies the header at the start of `item` as the
    /// grantor. Returns the granter and the header's length.
    pub fn new(item: &[u8], params: &GrantParams<'_>) -> Result<(Self, usize), Error> {
        let unlocked = unlock(item, params.grantor, params.tenant, params.grantor_access)?;
        check_grantee(&unlocked.header, params)?;
        let header_len = unlocked.header_len;
        let granter = Self {
            opener: ItemOpener::from_unlocked(unlocked),
            scratch: Zeroizing::new(Vec::new()),
        };
        Ok((granter, header_len))
    }

    /// The verified header.
    pub fn header(&self) -> &ItemHeader {
        self.opener.header()
    }

    /// Takes more of what follows the header.
    pub fn update(&mut self, sealed: &[u8]) -> Result<(), Error> {
        self.opener.update_into(sealed, &mut self.scratch)?;
        zeroize::Zeroize::zeroize(&mut *self.scratch);
        self.scratch.clear();
        Ok(())
    }

    /// Verifies the whole item as the grantor and seals the grant.
    pub fn finish(
        self,
        params: &GrantParams<'_>,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<u8>, Error> {
        let verified = self.opener.finish_verified()?;
        seal_grant(verified, params, rng)
    }
}

fn check_grantee(header: &ItemHeader, params: &GrantParams<'_>) -> Result<(), Error> {
    if *params.grantee == params.grantor.public_key() {
        return Err(Error::InvalidInput("the grantee is the grantor"));
    }
    if header.recipients.contains(params.grantee) {
        return Err(Error::InvalidInput("the grantee is already a recipient"));
    }
    Ok(())
}

/// Seals the verified item's content key to the grantee.
fn seal_grant(
    verified: Verified,
    params: &GrantParams<'_>,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    check_grantee(&verified.header, params)?;
    let mut grant = KeyGrant {
        version: verified.header.version,
        tenant: verified.header.tenant.clone(),
        item_id: verified.header.item_id,
        header_hash: header_hash(&verified.header.to_bytes()),
        payload_hash: verified.payload_hash,
        grantor: params.grantor.public_key(),
        grantee: *params.grantee,
        enc: [0; hpke::ENC_LEN],
        sealed_key: [0; crate::format::SEALED_KEY_LEN],
    };
    if (grant.version == Version::V2) != grant.payload_hash.is_some() {
        return Err(Error::CouldNotOpen);
    }
    let mut ikm_e = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(ikm_e.as_mut());
    let (enc, sealed) = hpke::seal_auth(
        params.grantee,
        params.grantor,
        grant_info(grant.version),
        &grant.bound_fields(),
        verified.content_key.as_ref(),
        ikm_e.as_ref(),
    )?;
    grant.enc = enc;
    grant.sealed_key = sealed.try_into().expect("a sealed 32-byte key is 48 bytes");
    Ok(grant.to_bytes())
}

/// Opens an item held in memory through a key grant to `reader` from one of
/// `grantors`. The reader's other requirements (`expect`: tenant, senders)
/// apply as for [`crate::open_item`].
pub fn open_item_with_grant(
    item: &[u8],
    grant: &[u8],
    reader: &dyn StaticKey,
    expect: &Expect<'_>,
    grantors: &[PublicKey],
) -> Result<OpenedItem, Error> {
    crate::item::open_item_with_access(item, reader, expect, Access::Grant { grant, grantors })
}
