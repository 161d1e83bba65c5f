//! The STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online
//! Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", 2015,
//! §7) over ChaCha20-Poly1305, with the nonce layout of age
//! (C2SP age.md, "Payload"): an 11-byte big-endian chunk counter followed by
//! a last-chunk flag byte.
//!
//! Each chunk is authenticated on its own, so a payload of any size streams
//! in constant memory; the counter detects reordering and swapped chunks, and
//! the last-chunk flag detects truncation. A key must seal one payload only.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use zeroize::Zeroizing;

use crate::primitives::hpke::TAG_LEN;
use crate::Error;

/// Plaintext bytes per chunk (every chunk but the last is exactly this long).
pub const CHUNK_LEN: usize = 64 * 1024;
/// Ciphertext bytes of a full chunk.
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// The counter is 11 bytes: at most 2^88 chunks, far beyond any item.
const COUNTER_LIMIT: u64 = u64::MAX;

/// Number of chunks for a plaintext of `len` bytes (at least one, so that an
/// empty payload still carries a last-chunk tag).
pub fn chunk_count(len: u64) -> u64 {
    len.div_ceil(CHUNK_LEN as u64).max(1)
}

/// Ciphertext length for a plaintext of `len` bytes, or `None` on overflow.
pub fn sealed_len(len: u64) -> Option<u64> {
    chunk_count(len)
        .checked_mul(TAG_LEN as u64)?
        .checked_add(len)
}

fn nonce(counter: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&counter.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

/// Seals a payload chunk by chunk.
pub struct StreamSealer {
    aead: ChaCha20Poly1305,
    counter: u64,
    finished: bool,
}

impl StreamSealer {
    /// A sealer under a fresh, single-use key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            aead: ChaCha20Poly1305::new(key.into()),
            counter: 0,
            finished: false,
        }
    }

    /// Seals one chunk in place: `buffer` holds the plaintext and receives the
    /// ciphertext with its tag. A chunk that is not `last` must be exactly
    /// [`CHUNK_LEN`] long; the last may be shorter (empty only if it is the
    /// only chunk).
    pub fn seal_chunk_in_place(&mut self, buffer: &mut Vec<u8>, last: bool) -> Result<(), Error> {
        if self.finished {
            return Err(Error::InvalidInput("stream already finished"));
        }
        let fits = if last {
            buffer.len() <= CHUNK_LEN && (!buffer.is_empty() || self.counter == 0)
        } else {
            buffer.len() == CHUNK_LEN
        };
        if !fits || self.counter == COUNTER_LIMIT {
            return Err(Error::InvalidInput("chunk length"));
        }
        self.aead
            .encrypt_in_place((&nonce(self.counter, last)).into(), b"", buffer)
            .map_err(|_| Error::InvalidInput("chunk length"))?;
        self.counter += 1;
        self.finished = last;
        Ok(())
    }

    /// Seals one full, non-last chunk in place and returns its tag, for
    /// callers that write straight into their output.
    pub fn seal_full_chunk_detached(&mut self, chunk: &mut [u8]) -> Result<[u8; TAG_LEN], Error> {
        if self.finished || chunk.len() != CHUNK_LEN || self.counter == COUNTER_LIMIT {
            return Err(Error::InvalidInput("chunk length"));
        }
        let tag = self
            .aead
            .encrypt_in_place_detached((&nonce(self.counter, false)).into(), b"", chunk)
            .map_err(|_| Error::InvalidInput("chunk length"))?;
        self.counter += 1;
        Ok(tag.into())
    }
}

impl core::fmt::Debug for StreamSealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamSealer")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for StreamOpener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamOpener")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Opens a payload chunk by chunk, in order.
pub struct StreamOpener {
    aead: ChaCha20Poly1305,
    counter: u64,
    finished: bool,
}

impl StreamOpener {
    /// An opener under the payload's key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            aead: ChaCha20Poly1305::new(key.into()),
            counter: 0,
            finished: false,
        }
    }

    /// Opens one sealed chunk in place (ciphertext with tag in, plaintext
    /// out). The caller says whether it expects this to be the last chunk;
    /// a chunk sealed with the other flag, out of order, or from another
    /// payload fails.
    pub fn open_chunk_in_place(&mut self, buffer: &mut Vec<u8>, last: bool) -> Result<(), Error> {
        let fits = if last {
            (TAG_LEN..=SEALED_CHUNK_LEN).contains(&buffer.len())
        } else {
            buffer.len() == SEALED_CHUNK_LEN
        };
        if self.finished || !fits || self.counter == COUNTER_LIMIT {
            return Err(Error::CouldNotOpen);
        }
        self.aead
            .decrypt_in_place((&nonce(self.counter, last)).into(), b"", buffer)
            .map_err(|_| Error::CouldNotOpen)?;
        self.counter += 1;
        self.finished = last;
        Ok(())
    }

    /// Opens one full, non-last chunk in place given its tag (the chunk is
    /// left unchanged if it does not open).
    pub fn open_full_chunk_detached(&mut self, chunk: &mut [u8], tag: &[u8]) -> Result<(), Error> {
        if self.finished
            || chunk.len() != CHUNK_LEN
            || tag.len() != TAG_LEN
            || self.counter == COUNTER_LIMIT
        {
            return Err(Error::CouldNotOpen);
        }
        self.aead
            .decrypt_in_place_detached((&nonce(self.counter, false)).into(), b"", chunk, tag.into())
            .map_err(|_| Error::CouldNotOpen)?;
        self.counter += 1;
        Ok(())
    }

    /// Opens a whole sealed payload held in memory.
    pub fn open_all(key: &[u8; 32], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let mut opener = Self::new(key);
        let mut out = Zeroizing::new(Vec::with_capacity(sealed.len()));
        let mut chunks = sealed.chunks(SEALED_CHUNK_LEN).peekable();
        let mut buffer = Zeroizing::new(Vec::with_capacity(SEALED_CHUNK_LEN));
        if sealed.is_empty() {
            return Err(Error::CouldNotOpen);
        }
        while let Some(chunk) = chunks.next() {
            buffer.clear();
            buffer.extend_from_slice(chunk);
            opener.open_chunk_in_place(&mut buffer, chunks.peek().is_none())?;
            out.extend_from_slice(&buffer);
        }
        Ok(out)
    }
}

/// Seals a whole payload held in memory.
pub fn seal_all(key: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let mut sealer = StreamSealer::new(key);
    let total =
        usize::try_from(sealed_len(plaintext.len() as u64).ok_or(Error::InvalidInput("too long"))?)
            .map_err(|_| Error::InvalidInput("too long"))?;
    let mut out = Vec::with_capacity(total);
    let mut buffer = Zeroizing::new(Vec::with_capacity(SEALED_CHUNK_LEN));
    let count = chunk_count(plaintext.len() as u64);
    for index in 0..count {
        let start = usize::try_from(index).expect("chunk index fits memory") * CHUNK_LEN;
        let end = (start + CHUNK_LEN).min(plaintext.len());
        buffer.clear();
        buffer.extend_from_slice(&plaintext[start..end]);
        sealer.seal_chunk_in_place(&mut buffer, index + 1 == count)?;
        out.extend_from_slice(&buffer);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn round_trip_at_chunk_boundaries() {
        for len in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN] {
            let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let sealed = seal_all(&KEY, &plaintext).unwrap();
            assert_eq!(sealed.len() as u64, sealed_len(len as u64).unwrap());
            assert_eq!(&*StreamOpener::open_all(&KEY, &sealed).unwrap(), &plaintext);
        }
    }

    #[test]
    fn truncation_reorder_and_flag_are_detected() {
        let plaintext = vec![1u8; 3 * CHUNK_LEN];
        let sealed = seal_all(&KEY, &plaintext).unwrap();
        // Dropping the last chunk: the new last chunk has the wrong flag.
        assert!(StreamOpener::open_all(&KEY, &sealed[..2 * SEALED_CHUNK_LEN]).is_err());
        // Swapping the first two chunks: wrong counters.
        let mut swapped = sealed.clone();
        swapped[..SEALED_CHUNK_LEN]
            .copy_from_slice(&sealed[SEALED_CHUNK_LEN..2 * SEALED_CHUNK_LEN]);
        swapped[SEALED_CHUNK_LEN..2 * SEALED_CHUNK_LEN]
            .copy_from_slice(&sealed[..SEALED_CHUNK_LEN]);
        assert!(StreamOpener::open_all(&KEY, &swapped).is_err());
        // An empty payload is not a payload.
        assert!(StreamOpener::open_all(&KEY, &[]).is_err());
    }
}
