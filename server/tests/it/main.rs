//! The server binary's own tests: crash safety and the asset CLI (only a package's own tests can name its binary).
//! (One binary of modules: each test file would link a binary of its own.)

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod assets_cli;
mod backup;
mod cluster;
mod common;
mod idempotency;
mod info_cli;
mod lifecycle_cli;
mod notices_crash;
mod object_store;
mod operator_log;
mod oral_crash;
mod recipient_cli;
mod replication;
mod server_crash;
mod services;
mod tenant_end;
