//! Opening arbitrary bytes as an item, as an advisor or a reporter does with
//! whatever the server hands them: `open_item` in one go, and the streaming
//! `ItemOpener` fed the payload in pieces (`update`, then `update_into`).
//!
//! Beyond not panicking: both ways agree, streamed content is always a
//! prefix of what one-shot opening gives, and nothing opens except an item
//! the fixture sender really sealed, changed at most in other recipients'
//! trailer tags (the seed corpus holds those, so the fuzzer starts from
//! items that open and mutates them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::{open_item, Error, ItemOpener, StaticKey};
use meldkluis_fuzz::{fixtures, keys};

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let senders = [keys.sender.public_key()];
    let expect = keys.expect(&senders);

    let whole = open_item(data, &keys.reader, &expect);
    if let Err(error) = &whole {
        assert_eq!(
            *error,
            Error::CouldNotOpen,
            "every opening failure looks the same"
        );
    }

    // The same bytes streamed: a one-byte piece, then pieces of an odd size
    // that straddles chunk boundaries differently from the chunk length.
    let mut streamed = Vec::new();
    let stream_result =
        ItemOpener::new(data, &keys.reader, &expect).and_then(|(mut opener, header_len)| {
            let payload = &data[header_len..];
            let (first, rest) = payload.split_at(payload.len().min(1));
            streamed.extend_from_slice(&opener.update(first)?);
            for piece in rest.chunks(4099) {
                opener.update_into(piece, &mut streamed)?;
            }
            opener.finish()
        });
    if let Err(error) = &stream_result {
        assert_eq!(
            *error,
            Error::CouldNotOpen,
            "every opening failure looks the same"
        );
    }

    match (&whole, &stream_result) {
        (Ok(opened), Ok(header)) => {
            assert_eq!(opened.header, *header);
            assert_eq!(
                *opened.content, streamed,
                "streaming and one-shot opening give the same content"
            );
            // Only what the sender sealed opens, and it opens to what was sealed.
            let fixture = fixtures()
                .iter()
                .find(|fixture| fixture.opens_as(data, &keys.reader.public_key()))
                .expect("an item opened that the fixture sender never sealed");
            assert_eq!(*opened.content, fixture.content);
            assert_eq!(opened.header, fixture.header);
            assert_eq!(opened.header.item_len(), data.len() as u64);
        }
        (Err(_), Err(_)) => {
            // Content released before a failure was sealed under this
            // header's payload key (a prefix of the real content): without
            // the content key, nothing else gets past the STREAM tags.
            if !streamed.is_empty() {
                let fixture = fixtures()
                    .iter()
                    .find(|fixture| data.starts_with(&fixture.bytes[..fixture.header_len]))
                    .expect("content was released under a header the fixture sender never sealed");
                assert!(
                    fixture.content.starts_with(&streamed),
                    "released content is not the sealed content"
                );
            }
        }
        (whole, streamed) => {
            panic!("one-shot and streaming opening disagree: {whole:?} vs {streamed:?}")
        }
    }
});
