//! meldkluis in the browser: a thin binding of `meldkluis-crypto-core` for
//! `wasm32-unknown-unknown`, without wasm-bindgen.
//!
//! - [`wire`]: the request and response encoding and one safe function per
//!   operation. Every operation takes one request buffer (length-prefixed
//!   fields) and gives one response buffer (a status byte, a length, a body).
//!   It is plain Rust, so native tests exercise exactly what the browser runs.
//! - `ffi` (wasm only): the `extern "C"` exports and `alloc`/`dealloc`; the
//!   one module allowed to use `unsafe`, and it only moves bytes.
//! - `js/meldkluis.js`: the JavaScript glue, which supplies randomness from
//!   `crypto.getRandomValues` (the wasm has no imports at all).
//!
//! This crate holds no cryptographic logic: every decision is made in
//! `crypto-core`. It must never keep state between calls, log, or put secret
//! bytes into an error.
#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod ffi;
pub mod wire;
