//! The real server in-process on a free loopback port, with one tenant and
//! its recovery key: what the advisor binaries' tests run against.

use std::path::Path;

use meldkluis_crypto_core::{os_rng, StaticKey as _, StaticSecret, TenantId};
use meldkluis_server::admin::Admin;
use meldkluis_server::{AppState, Config};

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
