//! The advisor side's CLI and console tests against the real binaries and server (the token tests that set process-wide token configuration run in their own binaries).
//! (One binary of modules: each test file would link a binary of its own.)

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod advisor_cli;
mod archive;
mod cli;
#[path = "../common/mod.rs"]
mod common;
mod console_attacks;
mod console_cli;
mod console_figures;
mod console_forwarding;
mod console_lifecycle;
mod console_minutes;
mod console_oral;
mod console_voice;
mod double;
mod figures;
mod real_server;
mod recipient_page;
mod recover_attacks;
mod recovery_ceremony;
mod recovery_replace;
