//! Cross-crate tests: the real server driven with the real crypto core and, where a person would use one, a real browser (tests that set process-wide state, the token configuration or the global log subscriber, run in binaries of their own).
//! (One binary of modules: each test file would link a binary of its own.)

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod api_document;
mod browser_smoke;
mod console_a11y;
mod console_harness;
mod console_lifecycle_pages;
mod info_page;
mod key_change_e2e;
mod key_rotation;
mod mailbox_approval;
mod mailbox_lifecycle;
mod mailbox_tampering;
mod management_pages;
mod management_tampering;
mod meeting_e2e;
mod minutes_e2e;
mod notices;
mod oral_e2e;
mod oral_mailbox_tampering;
mod organisation_e2e;
mod public_config;
mod recipient_page_a11y;
mod recovery_key_e2e;
mod recovery_key_replacement;
mod report_answer_garbled;
mod report_lifecycle;
mod reporter_a11y;
mod reporter_budgets;
mod reporter_code_privacy;
mod reporter_e2e;
mod reporter_pages;
mod server_bad_input;
mod server_cycle;
mod server_deadlines;
mod server_grants;
mod server_item_versions;
mod server_limits;
mod server_metadata;
mod server_oral;
mod server_org;
mod server_shadowing;
mod server_tls;
mod threat_model;
mod voice_a11y;
mod voice_disguise;
mod voice_e2e;
mod voice_errors;
mod voice_harness;
