//! Replication of tenant databases to an S3-compatible object store, by
//! Litestream, and acknowledging only what the object store holds.
//!
//! Litestream runs beside the server (started by the operator's scripts,
//! one process or several); the server only talks to its control sockets
//! ([`Litestream`]). A tenant's database is registered with one of them
//! (chosen by a stable hash of the tenant id) before it serves, and every
//! group commit that wrote is answered only after its fsync *and* a
//! `POST /sync` with `wait` that confirmed the replica holds it
//! ([`LitestreamGate`], an [`AckGate`] of the database worker, see
//! [`crate::db`]). When that fails or takes longer than `sync_timeout_ms`,
//! nothing of the batch is acknowledged: the requests get 503
//! `not_acknowledged` with `Retry-After`, and the client's retry (same
//! item id, same bytes) is answered as the first would have been.
//!
//! The replica holds what the tenant database holds, which is what a
//! backup holds: sealed items, keyed hashes and the metadata of
//! protocol.md; no key that opens an item.

mod litestream;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use meldkluis_crypto_core::TenantId;
use serde::Deserialize;

pub use litestream::Litestream;

use crate::config::{check, ConfigError};

/// Why talking to Litestream, or restoring with it, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicationError {
    /// The control socket could not be reached, or did not answer in time.
    #[error("litestream control socket {socket}: {source}")]
    Socket {
        /// The socket.
        socket: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Litestream answered with an error status.
    #[error("litestream refused {request} ({status}): {message}")]
    Refused {
        /// The endpoint.
        request: &'static str,
        /// The HTTP status (404: database unknown, 409: not open, 500: other, a time-out too).
        status: u16,
        /// Litestream's message.
        message: String,
    },
    /// Litestream's answer is not what its API promises.
    #[error("litestream's answer to {request} is not understood: {why}")]
    Protocol {
        /// The endpoint.
        request: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// A database path cannot be made absolute.
    #[error("database path {path}: {source}")]
    Path {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `litestream restore` could not be started.
    #[error("cannot run {bin}: {source}")]
    Spawn {
        /// The binary.
        bin: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `litestream restore` failed.
    #[error("litestream restore of {replica_url} failed ({status}): {stderr}")]
    Restore {
        /// The replica restored from.
        replica_url: String,
        /// How the process ended.
        status: String,
        /// What it wrote to stderr (the end of it).
        stderr: String,
    },
}

impl ReplicationError {
    /// Litestream does not know the database (restarted since it was
    /// registered, or never told).
    pub fn is_unknown_database(&self) -> bool {
        matches!(self, Self::Refused { status: 404, .. })
    }
}

/// `[replication]` in server.toml.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReplicationConfig {
    /// Control sockets of the Litestream processes (one or more); each
    /// tenant goes to one, by a stable hash of its id.
    pub litestream_sockets: Vec<PathBuf>,
    /// The replica base, e.g.
    /// `s3://meldkluis/replica?endpoint=http://127.0.0.1:8333&region=us-east-1&force-path-style=true`;
    /// a tenant's replica is `tenants/{tenant}` below its path.
    pub replica_url: String,
    /// How long a group commit waits for Litestream to confirm the replica
    /// holds it; past this, nothing of it is acknowledged (503).
    #[serde(default = "default_sync_timeout_ms")]
    pub sync_timeout_ms: u64,
    /// The `litestream` binary, for restores. Default: `litestream` on the
    /// `PATH`.
    #[serde(default = "default_litestream_bin")]
    pub litestream_bin: PathBuf,
}

fn default_sync_timeout_ms() -> u64 {
    5000
}

fn default_litestream_bin() -> PathBuf {
    PathBuf::from("litestream")
}

impl ReplicationConfig {
    /// A configuration with the defaults for everything but the sockets
    /// and the replica base.
    pub fn new(litestream_sockets: Vec<PathBuf>, replica_url: String) -> Self {
        Self {
            litestream_sockets,
            replica_url,
            sync_timeout_ms: default_sync_timeout_ms(),
            litestream_bin: default_litestream_bin(),
        }
    }

    /// Checks the settings (part of [`crate::Config::validate`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            (1..=64).contains(&self.litestream_sockets.len()),
            "replication.litestream_sockets",
            "must name 1 ..= 64 control sockets",
        )?;
        check(
            self.litestream_sockets
                .iter()
                .all(|s| !s.as_os_str().is_empty()),
            "replication.litestream_sockets",
            "must not contain an empty path",
        )?;
        check(
            valid_replica_url(&self.replica_url),
            "replication.replica_url",
            "must be s3://BUCKET[/PATH][?QUERY], with no fragment or credentials",
        )?;
        check(
            (100..=600_000).contains(&self.sync_timeout_ms),
            "replication.sync_timeout_ms",
            "must be 100 ..= 600000",
        )?;
        check(
            !self.litestream_bin.as_os_str().is_empty(),
            "replication.litestream_bin",
            "must not be empty",
        )
    }

    /// The wait for Litestream's confirmation of a group commit.
    pub fn sync_timeout(&self) -> Duration {
        Duration::from_millis(self.sync_timeout_ms)
    }

    /// The control socket of the Litestream that replicates `tenant`:
    /// the same for a tenant as long as the list of sockets stays the same.
    pub fn socket_for(&self, tenant: &TenantId) -> &Path {
        let index = socket_index(tenant, self.litestream_sockets.len());
        &self.litestream_sockets[index]
    }

    /// The Litestream that replicates `tenant`.
    pub fn litestream_for(&self, tenant: &TenantId) -> Litestream {
        Litestream::new(self.socket_for(tenant).to_owned())
    }
}

/// Which of `count` sockets serves `tenant`: FNV-1a (64 bit) of the id,
/// modulo `count`. Fixed here rather than Rust's `DefaultHasher`, whose
/// output may change between Rust versions.
fn socket_index(tenant: &TenantId, count: usize) -> usize {
    let hash = tenant
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    let count = u64::try_from(count.max(1)).unwrap_or(u64::MAX);
    usize::try_from(hash % count).unwrap_or(0)
}

/// `s3://BUCKET[/PATH][?QUERY]` without credentials anywhere: the URL is
/// on `litestream restore`'s command line and in error messages, so no
/// user-info, neither before the bucket nor in the query's `endpoint`
/// (Litestream takes the keys from its environment only).
fn valid_replica_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("s3://") else {
        return false;
    };
    let bucket = rest.split(['/', '?']).next().unwrap_or_default();
    !bucket.is_empty()
        && !url.contains(['#', '@'])
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A tenant's replica: `tenants/{tenant}` below the base's path, and
/// `epoch-{epoch:020}` below that for an ownership epoch of a cluster;
/// the base's query (endpoint, region, …) stays at the end.
pub fn replica_url(base: &str, tenant: &TenantId, epoch: Option<u64>) -> String {
    let (path, query) = match base.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (base, None),
    };
    let mut url = format!("{}/tenants/{}", path.trim_end_matches('/'), tenant.as_str());
    if let Some(epoch) = epoch {
        url.push_str(&format!("/epoch-{epoch:020}"));
    }
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Restores the newest state of the replica at `replica_url` into `out`
/// (which must not exist) with `litestream restore`, with `env` added to
/// its environment (the object store's credentials of a server that was
/// given its own: never on the command line). Fails if there is no
/// replica there.
pub fn restore_with_env(
    bin: &Path,
    replica_url: &str,
    out: &Path,
    env: &[(String, String)],
) -> Result<(), ReplicationError> {
    // Litestream refuses to start with AWS_CA_BUNDLE set.
    let output = std::process::Command::new(bin)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("restore")
        .arg("-o")
        .arg(out)
        .arg(replica_url)
        .env_remove("AWS_CA_BUNDLE")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| ReplicationError::Spawn {
            bin: bin.to_owned(),
            source,
        })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: String = {
        let trimmed = stderr.trim();
        let start = trimmed
            .char_indices()
            .rev()
            .nth(1999)
            .map_or(0, |(index, _)| index);
        trimmed[start..].to_owned()
    };
    Err(ReplicationError::Restore {
        replica_url: replica_url.to_owned(),
        status: output.status.to_string(),
        stderr: tail,
    })
}

/// Why a batch is not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not acknowledged: {reason}")]
pub struct NotAcknowledged {
    /// For the log only.
    pub reason: String,
}

/// What the database worker asks before it answers a group commit that
/// wrote: called after the fsync, on the worker's syncer thread (or on the
/// worker for its first write). An `Err` answers every job of the batch
/// with `not_acknowledged` (503); what they wrote stays committed locally,
/// and the retry finds it (see the idempotent writes in [`crate::store`]).
pub trait AckGate: Send + Sync + 'static {
    /// `Ok` once every write committed so far may be acknowledged.
    fn before_ack(&self) -> Result<(), NotAcknowledged>;

    /// True when the replicator checkpoints the database itself, so the
    /// worker must never checkpoint it (no checkpointer thread,
    /// `wal_autocheckpoint = 0`).
    fn checkpoints_itself(&self) -> bool {
        false
    }
}

/// A check that this node still owns the tenant (the cluster's fencing):
/// called after the replica confirmed a batch, before acknowledging it.
pub trait Fence: Send + Sync {
    /// `Err(why)` when this node may no longer acknowledge writes.
    fn check(&self) -> Result<(), String>;
}

/// The gate of a replicated tenant: Litestream must confirm that the
/// replica holds every committed transaction, then the fence (in a
/// cluster) that this node still owns the tenant.
pub struct LitestreamGate {
    /// The Litestream that replicates the database.
    pub litestream: Litestream,
    /// The tenant database.
    pub db_path: PathBuf,
    /// Where the database is replicated (to register it again when
    /// Litestream lost it, e.g. after a restart).
    pub replica_url: String,
    /// How long to wait for the confirmation.
    pub timeout: Duration,
    /// The cluster's ownership check, if any.
    pub fence: Option<Arc<dyn Fence>>,
}

impl std::fmt::Debug for LitestreamGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LitestreamGate")
            .field("litestream", &self.litestream)
            .field("db_path", &self.db_path)
            .field("timeout", &self.timeout)
            .field("fenced", &self.fence.is_some())
            .finish_non_exhaustive()
    }
}

impl LitestreamGate {
    /// `Err` when the fence says this node may no longer acknowledge.
    fn fenced(&self) -> Result<(), NotAcknowledged> {
        match &self.fence {
            Some(fence) => fence.check().map_err(|reason| NotAcknowledged {
                reason: format!("fenced: {reason}"),
            }),
            None => Ok(()),
        }
    }
}

impl AckGate for LitestreamGate {
    /// Litestream copies WAL frames into its replica and checkpoints while
    /// it holds the write lock, so no frame is checkpointed (and the WAL
    /// restarted over it) before it is copied. A second checkpointer (the
    /// worker's, every 100 ms) broke that: the failover tests restored
    /// replicas that failed `PRAGMA integrity_check` ("wrong # of entries
    /// in index", "Page N is never used") a few dozen transactions into an
    /// epoch. With Litestream checkpointing alone they pass.
    fn checkpoints_itself(&self) -> bool {
        true
    }

    fn before_ack(&self) -> Result<(), NotAcknowledged> {
        // A node that no longer owns the tenant is refused before it waits
        // for Litestream, and never registers the path again below (a
        // later owner's copy may replace the file).
        self.fenced()?;
        let not_acknowledged = |e: ReplicationError| {
            tracing::warn!(db = %self.db_path.display(), error = %e, "replica not confirmed; not acknowledging");
            NotAcknowledged {
                reason: e.to_string(),
            }
        };
        match self.litestream.sync_wait(&self.db_path, self.timeout) {
            Ok(_) => {}
            // A Litestream started again forgot the database: register it
            // again (it continues the replica) and ask once more.
            Err(e) if e.is_unknown_database() => {
                self.litestream
                    .register(&self.db_path, &self.replica_url)
                    .map_err(not_acknowledged)?;
                self.litestream
                    .sync_wait(&self.db_path, self.timeout)
                    .map_err(not_acknowledged)?;
            }
            Err(e) => return Err(not_acknowledged(e)),
        }
        // Again: the lease may have lapsed while Litestream synced.
        self.fenced()
    }
}

/// How tenants are replicated: the seam between opening a tenant
/// ([`crate::tenants`]) and who decides where its replica goes. Single
/// node: [`SingleNode`]; a cluster plugs in its own (epoch per ownership,
/// a fence).
pub trait TenantReplication: Send + Sync + std::fmt::Debug + 'static {
    /// Called (on a blocking thread) before `tenant`'s database at
    /// `db_path` serves: registers it with its Litestream and returns the
    /// gate its worker asks before every acknowledgement.
    fn open(&self, tenant: &TenantId, db_path: &Path)
        -> Result<Arc<dyn AckGate>, ReplicationError>;
}

/// The replication of a single node as `config` says; `None` without
/// `[replication]`.
pub fn single_node(config: &crate::Config) -> Option<Arc<dyn TenantReplication>> {
    let replication = config.replication.clone()?;
    Some(Arc::new(SingleNode::new(replication)))
}

/// Replication of a single node: every tenant to
/// `{replica_url}/tenants/{tenant}`, no fence.
#[derive(Debug, Clone)]
pub struct SingleNode {
    config: ReplicationConfig,
}

impl SingleNode {
    /// Replication as `config` says.
    pub fn new(config: ReplicationConfig) -> Self {
        Self { config }
    }

    /// Registers `tenant`'s database and waits until its replica holds
    /// everything committed so far (a new tenant, before it is listed).
    pub fn register_and_sync(
        &self,
        tenant: &TenantId,
        db_path: &Path,
    ) -> Result<(), ReplicationError> {
        let litestream = self.config.litestream_for(tenant);
        litestream.register(
            db_path,
            &replica_url(&self.config.replica_url, tenant, None),
        )?;
        litestream.sync_wait(db_path, self.config.sync_timeout())?;
        Ok(())
    }
}

impl TenantReplication for SingleNode {
    fn open(
        &self,
        tenant: &TenantId,
        db_path: &Path,
    ) -> Result<Arc<dyn AckGate>, ReplicationError> {
        let litestream = self.config.litestream_for(tenant);
        let replica_url = replica_url(&self.config.replica_url, tenant, None);
        // Reads need no replica: when Litestream cannot be reached now the
        // tenant still opens, and its gate registers it at the first write
        // (refusing to acknowledge until Litestream is back).
        if let Err(e) = litestream.register(db_path, &replica_url) {
            tracing::warn!(tenant = %tenant, error = %e, "could not register the tenant database with Litestream; writes wait for it");
        }
        Ok(Arc::new(LitestreamGate {
            litestream,
            db_path: db_path.to_owned(),
            replica_url,
            timeout: self.config.sync_timeout(),
            fence: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str) -> TenantId {
        TenantId::new(id).expect("tenant id")
    }

    #[test]
    fn the_tenant_path_goes_before_the_query() {
        let base = "s3://meldkluis/replica?endpoint=http://127.0.0.1:8333&region=us-east-1&force-path-style=true";
        assert_eq!(
            replica_url(base, &tenant("acme"), None),
            "s3://meldkluis/replica/tenants/acme?endpoint=http://127.0.0.1:8333&region=us-east-1&force-path-style=true"
        );
        assert_eq!(
            replica_url(base, &tenant("acme"), Some(42)),
            "s3://meldkluis/replica/tenants/acme/epoch-00000000000000000042?endpoint=http://127.0.0.1:8333&region=us-east-1&force-path-style=true"
        );
        assert_eq!(
            replica_url("s3://bucket/", &tenant("a-1"), None),
            "s3://bucket/tenants/a-1"
        );
        assert_eq!(
            replica_url("s3://bucket", &tenant("a-1"), Some(7)),
            "s3://bucket/tenants/a-1/epoch-00000000000000000007"
        );
    }

    #[test]
    fn a_tenant_keeps_its_socket_and_tenants_spread_over_all() {
        let sockets: Vec<PathBuf> = (0..4)
            .map(|i| PathBuf::from(format!("/run/ls{i}.sock")))
            .collect();
        let config = ReplicationConfig::new(sockets.clone(), "s3://b".into());
        // Fixed values: the choice must not change between builds.
        assert_eq!(
            socket_index(&tenant("acme"), 4),
            socket_index(&tenant("acme"), 4)
        );
        assert_eq!(socket_index(&tenant("a"), 1), 0);
        let mut used = [0usize; 4];
        for i in 0..400 {
            let t = tenant(&format!("tenant-{i}"));
            let socket = config.socket_for(&t);
            assert_eq!(socket, config.socket_for(&t));
            let index = sockets
                .iter()
                .position(|s| s == socket)
                .expect("one of them");
            used[index] += 1;
        }
        assert!(used.iter().all(|&n| n >= 50), "spread: {used:?}");
        // FNV-1a of "acme" is 0x0724d383f4f6de0f (a reference value): the
        // choice is the documented hash, not whatever the standard library
        // does this year.
        assert_eq!(socket_index(&tenant("acme"), 7), 3);
        assert_eq!(socket_index(&tenant("acme"), 4), 3);
    }

    #[test]
    fn bad_settings_are_refused() {
        let good = ReplicationConfig::new(
            vec!["/run/ls.sock".into()],
            "s3://meldkluis/replica?region=x".into(),
        );
        assert!(good.validate().is_ok());
        assert_eq!(good.sync_timeout(), Duration::from_secs(5));
        let refused = |change: &dyn Fn(&mut ReplicationConfig)| {
            let mut config = good.clone();
            change(&mut config);
            config.validate().is_err()
        };
        assert!(refused(&|c| c.litestream_sockets.clear()));
        assert!(refused(&|c| c.litestream_sockets.push(PathBuf::new())));
        assert!(refused(&|c| c.replica_url = "file:///tmp/x".into()));
        assert!(refused(&|c| c.replica_url = "s3://".into()));
        assert!(refused(
            &|c| c.replica_url = "s3://key:secret@bucket/x".into()
        ));
        assert!(refused(&|c| c.replica_url =
            "s3://bucket/x?endpoint=http://key:secret@127.0.0.1:8333"
                .into()));
        assert!(refused(&|c| c.replica_url = "s3://b/x#frag".into()));
        assert!(refused(&|c| c.sync_timeout_ms = 0));
        assert!(refused(&|c| c.litestream_bin = PathBuf::new()));
    }

    /// A stand-in Litestream on `socket`: answers each request with what
    /// `answer` says for its request line, and sends every request line
    /// to the returned channel.
    fn fake_litestream(
        socket: &Path,
        answer: impl Fn(&str) -> (u16, &'static str) + Send + 'static,
    ) -> std::sync::mpsc::Receiver<String> {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::os::unix::net::UnixListener::bind(socket).expect("bind");
        let (seen, requests) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                reader.read_line(&mut line).expect("request line");
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).expect("header");
                    if header == "\r\n" {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().expect("length");
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).expect("body");
                let request = line.trim().to_owned();
                let (status, json) = answer(&request);
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n\r\n{json}",
                    json.len()
                );
                if seen.send(request).is_err() {
                    return;
                }
            }
        });
        requests
    }

    fn gate(socket: &Path, fence: Option<Arc<dyn Fence>>) -> LitestreamGate {
        LitestreamGate {
            litestream: Litestream::new(socket.to_owned()),
            db_path: socket.with_file_name("t.sqlite"),
            replica_url: "s3://b/tenants/t".into(),
            timeout: Duration::from_secs(5),
            fence,
        }
    }

    /// A Litestream that was started again answers 404 for the database:
    /// the gate registers it again and asks once more.
    #[test]
    fn a_database_litestream_forgot_is_registered_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("ls.sock");
        let registered = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let known = Arc::clone(&registered);
        let requests = fake_litestream(&socket, move |request| {
            use std::sync::atomic::Ordering::SeqCst;
            match request {
                "POST /register HTTP/1.1" => {
                    known.store(true, SeqCst);
                    (200, r#"{"status":"registered"}"#)
                }
                "POST /sync HTTP/1.1" if known.load(SeqCst) => {
                    (200, r#"{"status":"synced","txid":2,"replicated_txid":2}"#)
                }
                _ => (404, r#"{"error":"database not found"}"#),
            }
        });
        gate(&socket, None).before_ack().expect("acknowledged");
        let seen: Vec<String> = requests.try_iter().collect();
        assert_eq!(
            seen,
            [
                "POST /sync HTTP/1.1",
                "POST /register HTTP/1.1",
                "POST /sync HTTP/1.1"
            ]
        );
    }

    struct Lapsed;

    impl Fence for Lapsed {
        fn check(&self) -> Result<(), String> {
            Err("lease lapsed".into())
        }
    }

    /// A node that no longer owns the tenant is refused at once: it
    /// neither waits for Litestream nor registers the path again.
    #[test]
    fn a_fenced_gate_asks_litestream_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("ls.sock");
        let requests = fake_litestream(&socket, |_| (404, r#"{"error":"database not found"}"#));
        let refused = gate(&socket, Some(Arc::new(Lapsed)))
            .before_ack()
            .expect_err("fenced");
        assert!(refused.reason.starts_with("fenced: "), "{refused}");
        assert_eq!(requests.try_iter().count(), 0);
    }

    #[test]
    fn a_failed_restore_says_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("no-such-litestream");
        let err = restore_with_env(&missing, "s3://b/x", &dir.path().join("out.sqlite"), &[])
            .expect_err("no binary");
        assert!(matches!(err, ReplicationError::Spawn { .. }), "{err}");
    }
}
