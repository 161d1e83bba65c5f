//! meldkluis server: tenants, per-tenant SQLite and the ciphertext API.
//!
//! The server stores and hands out sealed items and the short list of
//! metadata in protocol.md. It knows the item format well enough to check
//! structure (through crypto-core's `format`), but never opens an item and
//! holds no key that could. It stores and logs no IP address or user agent.
//!
//! - [`config`]: defaults, file, environment; the server secret.
//! - [`db`]: SQLite settings, embedded migrations, the group-commit worker.
//! - [`tenants`]: the data layout and the bounded cache of open tenants.
//! - [`auth`]: tenant and session extractors, rate limits, challenges.
//! - [`api`]: the HTTP handlers; [`store`]: the queries; [`wire`]: item checks.
//! - [`admin`]: the operator's tenant and advisor management (CLI).
//! - [`notices`]: e-mail notices to reporters and deadline digests to
//!   advisors, with the addresses in their own encrypted store.
//! - [`clock`]: what day it is (injectable, for tests).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod dates;
pub mod db;
pub mod deadlines;
pub mod deletion_log;
pub mod error;
pub mod export;
pub mod follow_up;
mod http;
pub mod info;
pub mod lifecycle;
pub mod notices;
pub mod objects;
pub mod org;
pub mod pages;
pub mod profile;
pub mod replication;
pub mod retention;
pub mod store;
pub mod tenants;
pub mod wire;

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::Router;
use meldkluis_crypto_core::TenantId;

pub use crate::config::{Config, ServerSecret};
pub use crate::error::{AppError, ErrorCode};
pub use crate::http::CONTENT_SECURITY_POLICY;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// A file or socket could not be used.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The server database could not be opened.
    #[error("database: {0}")]
    Database(String),
    /// The TLS certificate or key could not be loaded.
    #[error("tls: {0}")]
    Tls(String),
    /// The e-mail store, notice key or SMTP settings are unusable.
    #[error(transparent)]
    Notices(#[from] notices::NoticeStartError),
    /// The deletion log cannot be opened.
    #[error(transparent)]
    DeletionLog(#[from] deletion_log::DeletionLogError),
    /// The object store's settings or credentials are unusable.
    #[error(transparent)]
    ObjectStore(#[from] objects::ObjectError),
    /// The cluster's settings are unusable.
    #[error(transparent)]
    Cluster(#[from] cluster::ClusterError),
}

/// The state every handler shares.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    server_secret: ServerSecret,
    tenants: tenants::Tenants,
    sessions: auth::Sessions,
    limiter: auth::LoginLimiter,
    notice_changes: auth::LoginLimiter,
    advisor_logins: auth::LoginLimiter,
    recipient_logins: auth::LoginLimiter,
    challenges: auth::Challenges,
    assets: assets::Assets,
    uploads: Mutex<HashSet<(TenantId, [u8; 16])>>,
    notices: notices::Notices,
    clock: Arc<dyn clock::Clock>,
    counters: Arc<http::Counters>,
    deletion_log: deletion_log::DeletionLog,
    lifecycle_lock: tokio::sync::Mutex<lifecycle::Pending>,
    objects: Option<Arc<objects::ObjectStore>>,
    cluster: Option<Arc<cluster::Cluster>>,
}

/// An attachment upload in progress; released on drop.
#[derive(Debug)]
pub(crate) struct UploadClaim<'a> {
    uploads: &'a Mutex<HashSet<(TenantId, [u8; 16])>>,
    key: (TenantId, [u8; 16]),
}

impl Drop for UploadClaim<'_> {
    fn drop(&mut self) {
        self.uploads
            .lock()
            .expect("upload lock is never poisoned")
            .remove(&self.key);
    }
}

impl AppState {
    /// Validates the configuration, loads (or creates) the server secret
    /// and opens the server database.
    pub fn new(config: Config) -> Result<Self, StartError> {
        config.validate()?;
        let secret = ServerSecret::load_or_create(&config.server_secret_path())?;
        Self::with_secret(config, secret)
    }

    /// Like [`AppState::new`] with another clock (tests move it to date
    /// reports weeks back).
    pub fn with_clock(config: Config, clock: Arc<dyn clock::Clock>) -> Result<Self, StartError> {
        Self::with_clock_and_env(config, clock, &|name| std::env::var(name).ok())
    }

    /// Like [`AppState::with_clock`], with the object store's credentials
    /// read through `env` rather than from the process environment (tests
    /// that run a server in their own process).
    pub fn with_clock_and_env(
        config: Config,
        clock: Arc<dyn clock::Clock>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let secret = ServerSecret::load_or_create(&config.server_secret_path())?;
        Self::open(config, secret, clock, env)
    }

    /// Like [`AppState::new`] with a given server secret.
    pub fn with_secret(config: Config, server_secret: ServerSecret) -> Result<Self, StartError> {
        Self::open(
            config,
            server_secret,
            Arc::new(clock::SystemClock),
            &|name| std::env::var(name).ok(),
        )
    }

    fn open(
        config: Config,
        server_secret: ServerSecret,
        clock: Arc<dyn clock::Clock>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartError> {
        config.validate()?;
        let objects = match &config.object_store {
            Some(c) => Some(Arc::new(objects::ObjectStore::from_config_with(c, env)?)),
            None => None,
        };
        let cluster = match &config.cluster {
            Some(_) => Some(Arc::new(cluster::Cluster::new(&config)?)),
            None => None,
        };
        // What the deletion log names is deleted again before any tenant is
        // opened: a tenant file copied back from an older backup loses it.
        let again = backup::apply_deletion_log(&config)
            .map_err(|e| StartError::Database(format!("applying the deletion log: {e}")))?;
        if !again.is_empty() {
            tracing::warn!(
                reports = again.reports,
                register_lines = again.register_lines,
                tenants = again.tenants,
                "the deletion log named data still present (an older copy came back); deleted it again"
            );
        }
        let layout = tenants::Layout::new(&config.data_dir);
        let notices_path = layout.notices_db();
        let tenants = tenants::Tenants::open(
            layout,
            config.open_tenant_limit,
            config.group_commit_max,
            // A cluster node opens only the tenants it owns, each replicated
            // to its epoch's path and fenced.
            match &cluster {
                Some(cluster) => Some(cluster.tenant_replication()),
                None => replication::single_node(&config),
            },
        )
        .map_err(|e| StartError::Database(e.detail().to_owned()))?;
        let notices = notices::Notices::open(&config, &notices_path, tenants.workers(), |name| {
            std::env::var(name).ok()
        })?;
        let deletion_log = deletion_log::DeletionLog::open(&config.deletion_log_path())?;
        Ok(Self(Arc::new(Inner {
            notices,
            clock,
            deletion_log,
            lifecycle_lock: tokio::sync::Mutex::default(),
            objects,
            cluster,
            sessions: auth::Sessions::new(auth::SessionLimits {
                mailbox_sessions_per_tenant: config.max_mailbox_sessions_per_tenant,
                per_mailbox: config.sessions_per_mailbox,
                per_advisor: config.sessions_per_advisor,
            }),
            limiter: auth::LoginLimiter::new(
                config.login_per_second_global,
                config.login_burst_per_mailbox,
                config.login_per_minute_per_mailbox,
            ),
            // Changes of a notice address: each is a durable write to the
            // e-mail store, so a mailbox gets as few as it gets log-ins.
            notice_changes: auth::LoginLimiter::new(
                config.login_per_second_global,
                config.login_burst_per_mailbox,
                config.login_per_minute_per_mailbox,
            ),
            // Advisor log-ins: each costs a key agreement, so they share a
            // server-wide bucket of their own (a flood of mailbox log-ins
            // cannot lock the advisors out, nor the other way round).
            advisor_logins: auth::LoginLimiter::new(
                config.login_per_second_global,
                config.login_burst_per_mailbox,
                config.login_per_minute_per_mailbox,
            ),
            // Recipients (management, HR) log in and enrol through a
            // bucket of their own too.
            recipient_logins: auth::LoginLimiter::new(
                config.login_per_second_global,
                config.login_burst_per_mailbox,
                config.login_per_minute_per_mailbox,
            ),
            challenges: auth::Challenges::new(&server_secret, config.server_origin(None)),
            assets: assets::Assets::load(&config.assets_dir),
            uploads: Mutex::default(),
            counters: Arc::default(),
            tenants,
            server_secret,
            config,
        })))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The tenants.
    pub fn tenants(&self) -> &tenants::Tenants {
        &self.0.tenants
    }

    /// The browser bundle.
    pub fn assets(&self) -> &assets::Assets {
        &self.0.assets
    }

    /// The e-mail side: notice addresses, the outbox, delivery.
    pub fn notices(&self) -> &notices::Notices {
        &self.0.notices
    }

    /// The deletion log, open for appending.
    pub fn deletion_log(&self) -> &deletion_log::DeletionLog {
        &self.0.deletion_log
    }

    /// Held while a day's lifecycle runs (see [`lifecycle::run_day`]).
    pub(crate) fn lifecycle_lock(&self) -> &tokio::sync::Mutex<lifecycle::Pending> {
        &self.0.lifecycle_lock
    }

    /// The object store, when `[object_store]` is configured: every
    /// attachment item is there before a row names it.
    pub fn objects(&self) -> Option<&objects::ObjectStore> {
        self.0.objects.as_deref()
    }

    /// This node's part of a cluster, when `[cluster]` is configured.
    pub fn cluster(&self) -> Option<&Arc<cluster::Cluster>> {
        self.0.cluster.as_ref()
    }

    /// The clock.
    pub fn clock(&self) -> &dyn clock::Clock {
        self.0.clock.as_ref()
    }

    /// Today (UTC), `YYYY-MM-DD`: the only time the server records.
    pub fn today(&self) -> String {
        self.0.clock.today().to_string()
    }

    pub(crate) fn server_secret(&self) -> &ServerSecret {
        &self.0.server_secret
    }

    pub(crate) fn sessions(&self) -> &auth::Sessions {
        &self.0.sessions
    }

    pub(crate) fn limiter(&self) -> &auth::LoginLimiter {
        &self.0.limiter
    }

    /// The per-mailbox limit on notice address changes.
    pub(crate) fn advisor_logins(&self) -> &auth::LoginLimiter {
        &self.0.advisor_logins
    }

    /// The server-wide bucket of recipients' log-ins and enrolments.
    pub(crate) fn recipient_logins(&self) -> &auth::LoginLimiter {
        &self.0.recipient_logins
    }

    pub(crate) fn notice_changes(&self) -> &auth::LoginLimiter {
        &self.0.notice_changes
    }

    pub(crate) fn challenges(&self) -> &auth::Challenges {
        &self.0.challenges
    }

    /// The server's origin (`scheme://host[:port]`), which advisor log-in
    /// answers are bound to: from `public_url`, else from the address the
    /// server is bound to.
    pub fn server_origin(&self) -> &str {
        self.0.challenges.server_origin()
    }

    pub(crate) fn counters(&self) -> &http::Counters {
        &self.0.counters
    }

    /// Claims an attachment item id for one upload at a time.
    pub(crate) fn claim_upload(
        &self,
        tenant: &TenantId,
        item_id: [u8; 16],
    ) -> Result<UploadClaim<'_>, AppError> {
        let key = (tenant.clone(), item_id);
        let mut uploads = self
            .0
            .uploads
            .lock()
            .expect("upload lock is never poisoned");
        if !uploads.insert(key.clone()) {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "attachment id being uploaded",
            ));
        }
        Ok(UploadClaim {
            uploads: &self.0.uploads,
            key,
        })
    }
}

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    let json_limit = usize::try_from(state.config().max_item_bytes.div_ceil(3) * 4 + 64 * 1024)
        .unwrap_or(usize::MAX);
    api::routes(&state)
        .merge(pages::routes())
        .layer(DefaultBodyLimit::max(json_limit))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            std::time::Duration::from_secs(state.config().body_idle_timeout_secs),
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        // In a cluster, a tenant's requests go to its owner (inside
        // `finish_response`, which passes the owner's answers through).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cluster::route,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::finish_response,
        ))
        .with_state(state)
}

/// How long a shutdown waits for the databases to close.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves the API on `listener` until `shutdown` completes, with TLS if the
/// configuration asks for it. Returns once the requests under way are
/// answered and, if no other copy of `state` is still held, every database
/// is closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let workers = state.tenants().workers().clone();
    let tls = state.config().tls.clone();
    if state.config().public_url.is_none() {
        let bound = listener.local_addr()?;
        let origin = state.config().server_origin(Some(bound));
        state.challenges().set_bound_origin(origin);
    }
    // Notices and digests run beside the API and stop after it, so that the
    // requests under way can still queue theirs.
    let (stop_notices, notices_stopped) = tokio::sync::watch::channel(false);
    let notice_task = tokio::spawn(notices::run(state.clone(), notices_stopped.clone()));
    // The daily lifecycle (deletion at the end of retention) beside them.
    let lifecycle_task = tokio::spawn(lifecycle::run(state.clone(), notices_stopped.clone()));
    // In a cluster: the node's lease, and dropping its tenants when it lapses.
    let cluster_task = tokio::spawn(cluster::run(state.clone(), notices_stopped));
    let timeouts = Timeouts {
        header_read: std::time::Duration::from_secs(state.config().header_read_timeout_secs),
    };
    // The traffic counts go to the log hourly and at the end (the log has
    // no per-request line; see `http`).
    let counters = state.0.counters.clone();
    let hourly = counters.clone();
    let counts_task = tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        every_hour.tick().await;
        loop {
            every_hour.tick().await;
            hourly.log();
        }
    });
    let app = router(state);
    let served = serve_app(listener, app, tls, timeouts, shutdown).await;
    counts_task.abort();
    counters.log();
    let _ = stop_notices.send(true);
    for task in [notice_task, lifecycle_task, cluster_task] {
        if let Err(e) = task.await {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    }
    served?;
    let closed = db::blocking(move || workers.wait_all_closed(CLOSE_TIMEOUT)).await;
    if !closed {
        tracing::warn!("databases still open after shutdown (state still held elsewhere)");
    }
    Ok(())
}

async fn serve_app(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<config::TlsConfig>,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    match tls {
        None => serve_plain(listener, app, timeouts, shutdown).await?,
        Some(tls) => {
            let rustls_config = tls_config(&tls)?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            let mut server = axum_server::from_tcp_rustls(listener.into_std()?, rustls_config);
            server
                .http_builder()
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(timeouts.header_read);
            server.handle(handle).serve(app.into_make_service()).await?;
        }
    }
    Ok(())
}

/// The connection time-outs (see [`Config`]).
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    /// For a request's headers, and for an idle kept-alive connection.
    header_read: std::time::Duration,
}

/// Serves plain HTTP (behind a TLS proxy, or for tests) with a header-read
/// time-out, which `axum::serve` does not set: a client that sends its
/// headers byte by byte, or keeps a connection open doing nothing, is cut
/// off after `header_read`. Stops accepting on `shutdown` and waits for the
/// connections under way to finish their requests.
async fn serve_plain(
    listener: tokio::net::TcpListener,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use hyper_util::service::TowerToHyperService;

    // HTTP/1 only: plain HTTP is for a TLS proxy in front or for tests,
    // and guessing the version would wait, without a time-out, for the
    // first bytes of a connection that sends none.
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment
                    // rather than spin, and keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection ends in an error when the client goes away or
            // times out: nothing to report.
            let _ = connection.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Loads the certificate chain and key for rustls (ring provider).
fn tls_config(
    tls: &config::TlsConfig,
) -> Result<axum_server::tls_rustls::RustlsConfig, StartError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&tls.cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| StartError::Tls(format!("certificate {}: {e}", tls.cert_path.display())))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key_path)
        .map_err(|e| StartError::Tls(format!("key {}: {e}", tls.key_path.display())))?;
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StartError::Tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| StartError::Tls(e.to_string()))?;
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(server_config),
    ))
}
