//! The real server in-process on a free loopback port, with one tenant and
//! its recovery key: what the advisor binaries' tests run against; and
//! sealing, submitting and logging in to a report there.

use std::path::Path;

use meldkluis_crypto_core::{
    os_rng, seal_item, ItemId, ItemKind, PublicKey, SealParams, StaticKey, StaticSecret, TenantId,
};
use meldkluis_server::admin::Admin;
use meldkluis_server::{AppState, Config};
use serde_json::{json, Value};

use crate::double::b64;

/// A running server with one tenant.
pub struct RealServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The operator's tools on the same data directory.
    pub admin: Admin,
    /// The tenant.
    pub tenant: TenantId,
    /// The tenant's recovery key.
    pub recovery: StaticSecret,
}

/// Starts the server on `dir` and creates tenant `id` (named `name`) with a
/// fresh recovery key.
pub async fn start(dir: &Path, id: &str, name: &str) -> RealServer {
    let config = Config {
        data_dir: dir.join("data"),
        server_secret_path: Some(dir.join("server-secret")),
        ..Config::default()
    };
    let state = AppState::new(config.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(meldkluis_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let admin = Admin::open(&config).unwrap();
    let tenant = TenantId::new(id).unwrap();
    admin
        .create_tenant(&tenant, name, &["nl".into()], None)
        .unwrap();
    let recovery = StaticSecret::generate(&mut os_rng());
    admin
        .set_recovery_key(&tenant, &recovery.public_key())
        .unwrap();
    RealServer {
        base,
        admin,
        tenant,
        recovery,
    }
}

/// Seals an item with a fresh random number generator.
pub fn seal(
    tenant: &TenantId,
    kind: ItemKind,
    item_id: ItemId,
    report_id: ItemId,
    sender: &dyn StaticKey,
    recipients: &[PublicKey],
    content: &[u8],
) -> Vec<u8> {
    seal_item(
        &SealParams {
            kind,
            tenant,
            item_id,
            report_id,
            sender,
            recipients,
        },
        content,
        &mut os_rng(),
    )
    .unwrap()
}

/// The auth secret of every mailbox these tests make.
const AUTH_SECRET: [u8; 32] = [9; 32];

/// Submits `item` as the report of the mailbox with key `mailbox` and id
/// `mailbox_id`; returns the HTTP status.
pub async fn submit_report(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    mailbox: &StaticSecret,
    mailbox_id: [u8; 16],
    item: &[u8],
) -> reqwest::StatusCode {
    http.post(format!("{base}/api/v1/t/{tenant}/reports"))
        .json(&json!({
            "item": b64(item),
            "mailbox_id": hex::encode(mailbox_id),
            "mailbox_public_key": mailbox.public_key().to_hex(),
            "auth_secret": hex::encode(AUTH_SECRET),
        }))
        .send()
        .await
        .unwrap()
        .status()
}

/// Logs in to the mailbox `mailbox_id`; returns the bearer token.
pub async fn mailbox_login(
    http: &reqwest::Client,
    base: &str,
    tenant: &TenantId,
    mailbox_id: [u8; 16],
) -> String {
    let login: Value = http
        .post(format!("{base}/api/v1/t/{tenant}/mailbox/login"))
        .json(&json!({ "mailbox_id": hex::encode(mailbox_id), "auth_secret": hex::encode(AUTH_SECRET) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}
