//! crypto-core's integration tests: RFC 9180 vectors, the item and grant vectors, property tests.
//! (One binary of modules: each test file would link a binary of its own.)

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod approval;
mod approval_vectors;
mod challenge_vectors;
mod code_vectors;
mod common;
mod forgery;
mod grant_vectors;
mod grant_vectors_v2;
mod grants;
mod insider;
mod item_vectors;
mod item_vectors_v2;
mod items;
mod limits;
mod recipient_vectors;
mod reference_vectors;
mod rfc9180;
