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
//! Every way opening can fail gives the same [`Error::CouldNotOpen`].

use rand_core::CryptoRngCore;
use zeroize::Zeroizing;

use crate::format::{header_hash, ItemHeader, KeyGrant, TenantId, CONTENT_KEY_LEN};
use crate::item::{unlock, Expect, OpenedItem};
use crate::keys::{PublicKey, StaticKey};
use crate::primitives::hpke;
use crate::Error;

/// HPKE `info` for sealing a content key in a key grant.
const GRANT_INFO: &[u8] = b"meldkluis key grant v1";

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

/// Opens the content key in `grant` as `reader`, checking that the grant is
/// for this very header, to this reader, from a trusted grantor.
pub(crate) fn open_grant(
    grant: &[u8],
    header: &ItemHeader,
    header_bytes: &[u8],
    reader: &dyn StaticKey,
    grantors: &[PublicKey],
) -> Result<Zeroizing<[u8; CONTENT_KEY_LEN]>, Error> {
    let grant = KeyGrant::parse(grant).map_err(|_| Error::CouldNotOpen)?;
    if grant.tenant != header.tenant
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
        GRANT_INFO,
        &grant.bound_fields(),
        &grant.sealed_key,
    )?;
    let key: [u8; CONTENT_KEY_LEN] = opened
        .as_slice()
        .try_into()
        .map_err(|_| Error::CouldNotOpen)?;
    Ok(Zeroizing::new(key))
}

/// Issues a key grant for the item whose header starts `item` (the payload
/// may follow or not): the grantor reaches the content key (verifying the
/// sender through its stanza, or its own grant from a trusted grantor) and
/// the header MAC, then seals the content key to the grantee.
///
/// Fails with [`Error::CouldNotOpen`] if the grantor cannot open the header,
/// and with [`Error::InvalidInput`] if the grantee is already a recipient
/// (it needs no grant) or is the grantor.
pub fn grant_item_key(
    item: &[u8],
    params: &GrantParams<'_>,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, Error> {
    let unlocked = unlock(item, params.grantor, params.tenant, params.grantor_access)?;
    let grantor = params.grantor.public_key();
    if *params.grantee == grantor {
        return Err(Error::InvalidInput("the grantee is the grantor"));
    }
    if unlocked.header.recipients.contains(params.grantee) {
        return Err(Error::InvalidInput("the grantee is already a recipient"));
    }
    let mut grant = KeyGrant {
        tenant: unlocked.header.tenant.clone(),
        item_id: unlocked.header.item_id,
        header_hash: header_hash(&item[..unlocked.header_len]),
        grantor,
        grantee: *params.grantee,
        enc: [0; hpke::ENC_LEN],
        sealed_key: [0; crate::format::SEALED_KEY_LEN],
    };
    let mut ikm_e = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(ikm_e.as_mut());
    let (enc, sealed) = hpke::seal_auth(
        params.grantee,
        params.grantor,
        GRANT_INFO,
        &grant.bound_fields(),
        unlocked.content_key.as_ref(),
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
