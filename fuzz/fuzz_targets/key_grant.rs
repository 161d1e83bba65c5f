//! Key grants from whoever hands them over (the server stores them and
//! returns them with a thread): `KeyGrant::parse` on arbitrary bytes, and
//! opening a fixed item through those bytes as its grant.
//!
//! Beyond not panicking: a parsed grant serialises back to exactly the bytes
//! parsed; every refusal to parse is `Malformed`; every failure to open is
//! the one `CouldNotOpen`; and the item opens only through the grant its
//! grantor really issued, to the content it was sealed with.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::{open_item_with_grant, Error, KeyGrant, StaticKey};
use meldkluis_fuzz::{grant_fixture, keys};

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    match KeyGrant::parse(data) {
        Ok(grant) => {
            assert_eq!(grant.to_bytes(), data, "a grant prints back as parsed");
            assert_eq!(grant.len(), data.len());
            assert_ne!(grant.grantor, grant.grantee);
            // No strict prefix of a grant is a grant.
            assert!(KeyGrant::parse(&data[..data.len() - 1]).is_err());
        }
        Err(error) => assert!(
            matches!(error, Error::Malformed(_)),
            "a refused grant is malformed, not {error:?}"
        ),
    }

    let fixture = grant_fixture();
    let senders = [keys.sender.public_key()];
    let grantors = [keys.other.public_key()];
    let opened = open_item_with_grant(
        &fixture.item.bytes,
        data,
        &keys.grantee,
        &keys.expect(&senders),
        &grantors,
    );
    match opened {
        Ok(opened) => {
            assert_eq!(data, fixture.grant, "only the issued grant opens the item");
            assert_eq!(*opened.content, fixture.item.content);
        }
        Err(error) => assert_eq!(error, Error::CouldNotOpen, "every failure looks the same"),
    }
});
