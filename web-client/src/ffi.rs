//! The wasm exports: the only code in this crate allowed to be `unsafe`.
//!
//! It moves bytes and nothing else. The JavaScript glue allocates a request
//! buffer with [`alloc`], fills it, calls an operation with its pointer and
//! length, and gets back a pointer to a response (see [`crate::wire`]): a
//! status byte and a `u32` LE body length, then the body. It frees both with
//! [`dealloc`], which wipes them first, because requests and responses carry
//! secrets. The wasm imports nothing.
#![allow(unsafe_code)]

use zeroize::Zeroize;

use crate::wire::{self, Response};

/// Allocates `len` zeroed bytes for the caller to fill; free with [`dealloc`].
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    Box::into_raw(vec![0u8; len].into_boxed_slice()).cast()
}

/// Wipes and frees a buffer from [`alloc`] or a response.
///
/// # Safety
///
/// `ptr` and `len` must describe exactly one buffer returned by [`alloc`]
/// (with that length) or one response (with length 5 + its body length), and
/// it must not be used or freed again.
#[no_mangle]
pub unsafe extern "C" fn dealloc(ptr: *mut u8, len: usize) {
    // SAFETY: by this function's contract the buffer is a `Box<[u8]>` of
    // `len` bytes that this module leaked and that nobody else owns.
    let mut buffer = unsafe { Box::from_raw(core::ptr::slice_from_raw_parts_mut(ptr, len)) };
    buffer.zeroize();
}

/// Runs one operation on the request at `ptr` and leaks its response.
///
/// # Safety
///
/// `ptr` and `len` must describe a buffer from [`alloc`] that stays alive
/// and unchanged during the call.
unsafe fn call(ptr: *const u8, len: usize, operation: fn(&[u8]) -> Response) -> *mut u8 {
    // SAFETY: by this function's contract `ptr..ptr + len` is one live
    // allocation of initialised bytes (`alloc` zeroes them) that nothing
    // writes to while the operation runs (wasm here is single-threaded).
    let request = unsafe { core::slice::from_raw_parts(ptr, len) };
    let mut response = operation(request).into_bytes();
    // The response is allocated at its exact length, so this moves the
    // buffer without copying it; `dealloc` wipes it later.
    let bytes = core::mem::take(&mut *response);
    Box::into_raw(bytes.into_boxed_slice()).cast()
}

macro_rules! exports {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {$(
        /// See the function of the same name in [`crate::wire`].
        ///
        /// # Safety
        ///
        /// `ptr` and `len` describe a live buffer from [`alloc`].
        $(#[$attr])*
        #[no_mangle]
        pub unsafe extern "C" fn $name(ptr: *const u8, len: usize) -> *mut u8 {
            // SAFETY: forwarded from this function's contract.
            unsafe { call(ptr, len, wire::$name) }
        }
    )*};
}

exports!(
    generate_login_code,
    normalise_login_code,
    derive_mailbox,
    #[cfg(feature = "measure")]
    derive_mailbox_with,
    seal_item,
    open_item,
    key_fingerprint,
    mailbox_reference,
    public_key,
    derive_recipient,
    answer_challenge,
    recipient_login_context,
    approval_subject_hash,
);
