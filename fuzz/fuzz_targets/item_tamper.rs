//! Structure-aware tampering with real sealed items.
//!
//! Random bytes almost never get past the header parser, so this target
//! starts from items sealed at start-up (see `meldkluis_fuzz::fixtures`) and
//! lets the fuzzer edit them: flip bytes, cut, insert, delete, splice in
//! bytes from another item, swap or transplant the version-2 trailer's
//! recipient tags, and open with the wrong reader or the wrong
//! expectations. The payload and trailer are streamed in fuzzer-chosen
//! pieces.
//!
//! The invariant: opening succeeds exactly when the bytes are a sealed item
//! (the original, or another fixture rebuilt by splicing; other recipients'
//! trailer tags may differ, as each reader checks only its own) and the reader and
//! the expectations are right for it, and then gives that item's content and
//! header; content released by `update` before a failure is always a prefix
//! of the content sealed under that header (the fuzzer, unlike a
//! co-recipient, does not know a content key: what a co-recipient can do is
//! in crypto-core's `tests/it/forgery.rs` and the version-2 vectors).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use meldkluis_crypto_core::{
    open_item, Error, Expect, ItemOpener, PublicKey, StaticKey, StaticSecret, TenantId,
};
use meldkluis_fuzz::{fixtures, keys};

#[derive(Debug, Arbitrary)]
struct Input {
    /// Which fixture item to start from (modulo their number).
    item: u8,
    edits: Vec<Edit>,
    reader: Reader,
    expectation: Expectation,
    /// Sizes of the pieces the payload is streamed in, used in turn (a zero
    /// is an empty `update` and then one byte). No sizes: the payload in one
    /// piece.
    pieces: Vec<u16>,
    /// Stream with `update_into` (one output buffer, kept on failure)
    /// rather than `update`.
    into: bool,
}

#[derive(Debug, Arbitrary)]
enum Edit {
    Xor {
        at: u32,
        mask: u8,
    },
    Truncate {
        len: u32,
    },
    Remove {
        at: u32,
        len: u16,
    },
    Insert {
        at: u32,
        bytes: Vec<u8>,
    },
    /// Overwrite with bytes taken from the same offset range of another
    /// fixture (moves stanzas, MACs and chunks between items).
    Splice {
        from: u8,
        at: u32,
        len: u32,
    },
    /// Swap two recipients' tags in a version-2 trailer.
    SwapTags {
        a: u8,
        b: u8,
    },
    /// Put another fixture's trailer (cut or padded to this one's length)
    /// after this item's payload.
    Trailer {
        from: u8,
    },
}

/// Where the trailer of `bytes` starts, if its header parses and it is a
/// version-2 item long enough to hold one.
fn trailer_start(bytes: &[u8]) -> Option<usize> {
    let (header, _) = meldkluis_crypto_core::ItemHeader::parse(bytes).ok()?;
    let start = usize::try_from(header.item_len()).ok()? - header.trailer_len();
    (header.trailer_len() > 0 && bytes.len() >= start).then_some(start)
}

#[derive(Debug, Arbitrary)]
enum Reader {
    Recipient,
    /// A recipient of some fixtures, but not the one the targets expect.
    OtherRecipient,
    Outsider,
}

#[derive(Debug, Arbitrary, PartialEq)]
enum Expectation {
    Right,
    OtherTenant,
    /// The right sender among others.
    SenderAmongOthers,
    /// The reader expects only itself as the sender.
    WrongSender,
    NoSender,
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let fixtures = fixtures();
    let position = |at: u32, len: usize| if len == 0 { 0 } else { at as usize % (len + 1) };
    match edit {
        Edit::Xor { at, mask } => {
            if !bytes.is_empty() {
                let at = *at as usize % bytes.len();
                bytes[at] ^= mask;
            }
        }
        Edit::Truncate { len } => bytes.truncate(position(*len, bytes.len())),
        Edit::Remove { at, len } => {
            let at = position(*at, bytes.len());
            let end = at.saturating_add(usize::from(*len)).min(bytes.len());
            bytes.drain(at..end);
        }
        Edit::Insert {
            at,
            bytes: inserted,
        } => {
            let at = position(*at, bytes.len());
            bytes.splice(at..at, inserted.iter().copied());
        }
        Edit::Splice { from, at, len } => {
            let source = &fixtures[usize::from(*from) % fixtures.len()].bytes;
            let at = position(*at, bytes.len().min(source.len()));
            let end = at
                .saturating_add(*len as usize)
                .min(bytes.len())
                .min(source.len());
            bytes[at..end].copy_from_slice(&source[at..end]);
        }
        Edit::SwapTags { a, b } => {
            if let Some(start) = trailer_start(bytes) {
                let tags = (bytes.len() - start) / 32;
                if tags > 0 {
                    let (a, b) = (usize::from(*a) % tags, usize::from(*b) % tags);
                    for i in 0..32 {
                        bytes.swap(start + a * 32 + i, start + b * 32 + i);
                    }
                }
            }
        }
        Edit::Trailer { from } => {
            let source = &fixtures[usize::from(*from) % fixtures.len()].bytes;
            if let (Some(start), Some(source_start)) = (trailer_start(bytes), trailer_start(source))
            {
                let len = bytes.len() - start;
                let mut trailer = source[source_start..].to_vec();
                trailer.resize(len, 0);
                bytes[start..].copy_from_slice(&trailer);
            }
        }
    }
}

/// Streams `item` through an `ItemOpener`; `released` receives the content
/// `update` or `update_into` hands out, even if a later step fails.
fn open_streaming(
    item: &[u8],
    reader: &StaticSecret,
    expect: &Expect<'_>,
    pieces: &[u16],
    into: bool,
    released: &mut Vec<u8>,
) -> Result<meldkluis_crypto_core::ItemHeader, Error> {
    let (mut opener, header_len) = ItemOpener::new(item, reader, expect)?;
    assert_eq!(opener.header().len(), header_len);
    let mut payload = &item[header_len..];
    let mut sizes = pieces.iter().cycle();
    while !payload.is_empty() {
        let size = match sizes.next() {
            Some(0) => {
                assert!(
                    opener.update(&[])?.is_empty(),
                    "an empty update released content"
                );
                1
            }
            Some(&size) => usize::from(size).min(payload.len()),
            None => payload.len(),
        };
        let (piece, rest) = payload.split_at(size);
        if into {
            opener.update_into(piece, released)?;
        } else {
            released.extend_from_slice(&opener.update(piece)?);
        }
        payload = rest;
    }
    opener.finish()
}

fuzz_target!(|input: Input| {
    let keys = keys();
    let fixtures = fixtures();
    let mut item = fixtures[usize::from(input.item) % fixtures.len()]
        .bytes
        .clone();
    for edit in &input.edits {
        apply(&mut item, edit);
    }
    let reader = match input.reader {
        Reader::Recipient => &keys.reader,
        Reader::OtherRecipient => &keys.other,
        Reader::Outsider => &keys.outsider,
    };
    let other_tenant = TenantId::new("other-tenant").expect("a valid tenant id");
    let right_sender = keys.sender.public_key();
    let outsider = keys.outsider.public_key();
    let reader_key = reader.public_key();
    let senders: Vec<PublicKey> = match input.expectation {
        Expectation::Right | Expectation::OtherTenant => vec![right_sender],
        Expectation::SenderAmongOthers => vec![outsider, right_sender, reader_key],
        Expectation::WrongSender => vec![reader_key],
        Expectation::NoSender => vec![],
    };
    let tenant = if input.expectation == Expectation::OtherTenant {
        &other_tenant
    } else {
        &keys.tenant
    };
    let expect = Expect {
        tenant,
        senders: &senders,
    };

    // Edits can rebuild another fixture byte for byte (by splicing): what
    // may open is whichever sealed item the bytes now are.
    let sealed = fixtures
        .iter()
        .find(|fixture| fixture.opens_as(&item, &reader_key));
    let may_expect = matches!(
        input.expectation,
        Expectation::Right | Expectation::SenderAmongOthers
    );
    let should_open =
        may_expect && sealed.is_some_and(|fixture| fixture.header.recipients.contains(&reader_key));

    let whole = open_item(&item, reader, &expect);
    let mut released = Vec::new();
    let streamed = open_streaming(
        &item,
        reader,
        &expect,
        &input.pieces,
        input.into,
        &mut released,
    );

    for result in [whole.as_ref().map(|_| ()), streamed.as_ref().map(|_| ())] {
        match result {
            Ok(()) => assert!(
                should_open,
                "a tampered item, or one opened with the wrong key or expectations, opened"
            ),
            Err(error) => {
                assert!(
                    !should_open,
                    "a sealed item failed to open for a recipient expecting it"
                );
                assert_eq!(
                    *error,
                    Error::CouldNotOpen,
                    "every opening failure looks the same"
                );
            }
        }
    }
    if let (Ok(opened), Ok(header)) = (&whole, &streamed) {
        let sealed = sealed.expect("only a sealed item opens");
        assert_eq!(*opened.content, sealed.content);
        assert_eq!(opened.header, sealed.header);
        assert_eq!(*header, sealed.header);
    }
    // `update` only hands out authentic content, even from a payload that
    // fails later: a prefix of what was sealed under the item's header.
    if !released.is_empty() {
        let under = fixtures
            .iter()
            .find(|fixture| item.starts_with(&fixture.bytes[..fixture.header_len]))
            .expect("content was released under a header the sender never sealed");
        assert!(
            under.content.starts_with(&released),
            "released content is not a prefix of the sealed content"
        );
    }
});
