//! A cluster of servers: every tenant has at most one owner node at a
//! time, which alone serves it; the others forward its requests there.
//!
//! - Ownership lives in etcd ([`etcd`]): `/meldkluis/owner/{tenant}` holds
//!   the owner (`{"node","url","epoch"}`), attached to the owner node's
//!   lease. The key's create revision is the ownership **epoch**: unique
//!   and increasing over the whole cluster.
//! - `/meldkluis/epoch/{tenant}` names the newest epoch whose replica is
//!   complete; `/meldkluis/catalog/{tenant}` the tenant record (the
//!   operator publishes it with `meldkluis-server cluster publish-tenant`,
//!   with the tenant's first database as the object `seeds/{tenant}.sqlite`).
//! - A node acquires a tenant nobody owns when a request for it arrives:
//!   it restores the newest committed epoch's replica (or the seed), has
//!   Litestream replicate it to the new epoch's own path
//!   (`tenants/{tenant}/epoch-{epoch:020}`), waits for the first sync,
//!   commits the epoch, and serves.
//! - A node acknowledges a write only after the replica holds it *and*
//!   its [`Fence`] passes: the lease is valid by a conservative local
//!   deadline (the instant the last successful keep-alive was *sent*, plus
//!   the TTL, minus a margin), and the tenant is still owned at the same
//!   epoch. A node whose deadline passed drops every tenant it owned
//!   (closes it, stops replicating it, removes the local copy) and starts
//!   again with a new lease.
//!
//! This module never opens an item; it moves tenant databases (sealed
//! items and metadata) between the object store and the local disk only.

pub mod etcd;
mod owner;
mod route;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meldkluis_crypto_core::TenantId;
use serde::{Deserialize, Serialize};

use crate::config::{check, ConfigError};
use crate::replication::{
    replica_url, AckGate, Fence, LitestreamGate, ReplicationConfig, ReplicationError,
    TenantReplication,
};
use crate::tenants::{Quotas, TenantRecord};

pub use etcd::{Etcd, EtcdError};
pub(crate) use route::{route, Forwarded};
pub use route::{EPOCH_HEADER, FORWARDED_HEADER, NODE_HEADER};

/// How much earlier than etcd a node considers its lease expired: covers
/// the difference between the two clocks' rates over one TTL, and the
/// time between the fence check and the answer leaving.
const LEASE_MARGIN: Duration = Duration::from_millis(500);

/// `[cluster]` in server.toml.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// This node's name, unique in the cluster: 1 to 63 of a-z, 0-9, '-'.
    pub node_id: String,
    /// Where the other nodes reach this one (`http://host:port`), to
    /// forward the requests of the tenants it owns.
    pub advertise_url: String,
    /// The etcd endpoints (`http://host:port`).
    pub etcd: Vec<String>,
    /// Seconds a node's lease lives without a keep-alive (sent every third
    /// of it). A dead owner's tenants are taken over after about this long.
    #[serde(default = "default_lease_ttl_secs")]
    pub lease_ttl_secs: u64,
}

fn default_lease_ttl_secs() -> u64 {
    3
}

fn plain_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let host = rest.trim_end_matches('/');
    !host.is_empty()
        && url.len() <= 200
        && !host.contains(['/', '?', '#', '@'])
        && !host.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl ClusterConfig {
    /// Checks the settings (part of [`crate::Config::validate`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            TenantId::new(&self.node_id).is_ok(),
            "cluster.node_id",
            "must be 1 to 63 of a-z, 0-9 and '-'",
        )?;
        check(
            plain_http_url(&self.advertise_url),
            "cluster.advertise_url",
            "must be http(s)://host[:port], without a path, query or credentials",
        )?;
        check(
            !self.etcd.is_empty() && self.etcd.iter().all(|e| plain_http_url(e)),
            "cluster.etcd",
            "must list 1 or more endpoints http(s)://host:port",
        )?;
        check(
            (2..=60).contains(&self.lease_ttl_secs),
            "cluster.lease_ttl_secs",
            "must be 2 ..= 60",
        )
    }

    /// The lease's time to live.
    pub fn lease_ttl(&self) -> Duration {
        Duration::from_secs(self.lease_ttl_secs)
    }

    /// The advertised URL without a trailing slash.
    fn base_url(&self) -> &str {
        self.advertise_url.trim_end_matches('/')
    }
}

/// The etcd key of a tenant's catalog record.
pub fn catalog_key(tenant: &TenantId) -> String {
    format!("/meldkluis/catalog/{tenant}")
}

/// The etcd key of a tenant's owner.
pub fn owner_key(tenant: &TenantId) -> String {
    format!("/meldkluis/owner/{tenant}")
}

/// The etcd key of a tenant's newest committed epoch.
pub fn epoch_key(tenant: &TenantId) -> String {
    format!("/meldkluis/epoch/{tenant}")
}

/// A tenant record as the catalog holds it: what server.sqlite's
/// `tenants` row holds, so that the owner node can write that row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRecord {
    /// The tenant's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Disabled by the operator.
    pub disabled: bool,
    /// Day the tenant was created.
    pub created_day: String,
    /// Largest attachment item accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// Reports accepted per day.
    pub reports_per_day: u64,
    /// Messages per report.
    pub messages_per_report: u64,
    /// Attachments per report.
    pub attachments_per_report: u64,
    /// Bytes of all attachments of one report.
    pub attachment_bytes_per_report: u64,
}

impl From<&TenantRecord> for CatalogRecord {
    fn from(r: &TenantRecord) -> Self {
        Self {
            id: r.id.as_str().to_owned(),
            name: r.name.clone(),
            disabled: r.disabled,
            created_day: r.created_day.clone(),
            max_attachment_bytes: r.max_attachment_bytes,
            reports_per_day: r.quotas.reports_per_day,
            messages_per_report: r.quotas.messages_per_report,
            attachments_per_report: r.quotas.attachments_per_report,
            attachment_bytes_per_report: r.quotas.attachment_bytes_per_report,
        }
    }
}

impl CatalogRecord {
    /// Writes (inserts or replaces) the tenant's row in server.sqlite.
    fn write_row(&self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        conn.execute(
            "INSERT INTO tenants (id, name, disabled, created_day, max_attachment_bytes,
                reports_per_day, messages_per_report, attachments_per_report,
                attachment_bytes_per_report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET name = ?2, disabled = ?3, created_day = ?4,
                max_attachment_bytes = ?5, reports_per_day = ?6, messages_per_report = ?7,
                attachments_per_report = ?8, attachment_bytes_per_report = ?9",
            rusqlite::params![
                self.id,
                self.name,
                self.disabled,
                self.created_day,
                int(self.max_attachment_bytes),
                int(self.reports_per_day),
                int(self.messages_per_report),
                int(self.attachments_per_report),
                int(self.attachment_bytes_per_report),
            ],
        )?;
        Ok(())
    }

    /// The record as server.sqlite's row type.
    pub fn to_tenant_record(&self) -> Option<TenantRecord> {
        Some(TenantRecord {
            id: TenantId::new(&self.id).ok()?,
            name: self.name.clone(),
            disabled: self.disabled,
            created_day: self.created_day.clone(),
            max_attachment_bytes: self.max_attachment_bytes,
            quotas: Quotas {
                reports_per_day: self.reports_per_day,
                messages_per_report: self.messages_per_report,
                attachments_per_report: self.attachments_per_report,
                attachment_bytes_per_report: self.attachment_bytes_per_report,
            },
        })
    }
}

/// The value of `/meldkluis/owner/{tenant}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRecord {
    /// The owner's `node_id`.
    pub node: String,
    /// The owner's `advertise_url`.
    pub url: String,
    /// The ownership epoch (0 in the first write of an acquisition, which
    /// does not know its revision yet; the key's create revision is the
    /// authority).
    pub epoch: i64,
}

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// etcd failed.
    #[error(transparent)]
    Etcd(#[from] EtcdError),
    /// The configuration lacks a section the cluster needs.
    #[error("configuration: {0}")]
    Config(String),
    /// The tenant is already published.
    #[error("tenant {0} is already in the cluster's catalog")]
    AlreadyPublished(String),
    /// The tenant cannot be published as it is.
    #[error("tenant {0}")]
    NotPublishable(String),
    /// The object store failed.
    #[error("object store: {0}")]
    Objects(String),
    /// A local database or file failed.
    #[error("local data: {0}")]
    Local(String),
}

/// What this node owns: the epoch of each tenant it serves now, under
/// which lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Owned {
    epoch: i64,
    lease: i64,
}

/// The lease as this node sees it.
#[derive(Debug, Clone, Copy)]
struct Lease {
    id: i64,
    /// Past this instant the lease may have expired in etcd: nothing is
    /// acknowledged any more.
    deadline: Instant,
}

/// The state the fences read on the database threads (std locks, no
/// async).
#[derive(Debug, Default)]
struct Shared {
    lease: Mutex<Option<Lease>>,
    owned: Mutex<HashMap<TenantId, Owned>>,
    /// Test hook: the lease's keep-alives, grants and revocations are not
    /// sent while set.
    lease_paused: AtomicBool,
    /// Tenants this node dropped when its lease lapsed, and when: it does
    /// not take them again for a while (see `owner::REACQUIRE_PAUSE`).
    dropped: Mutex<HashMap<TenantId, Instant>>,
}

impl Shared {
    fn lease(&self) -> Option<Lease> {
        *self.lease.lock().expect("lease lock is never poisoned")
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Owned>> {
        self.owned.lock().expect("owned lock is never poisoned")
    }

    /// The epoch at which this node serves `tenant` now, if it does: owned,
    /// under the current lease, before its deadline.
    fn serving_epoch(&self, tenant: &TenantId) -> Option<i64> {
        let lease = self.lease()?;
        if Instant::now() >= lease.deadline {
            return None;
        }
        self.owned()
            .get(tenant)
            .filter(|o| o.lease == lease.id)
            .map(|o| o.epoch)
    }
}

/// The fence of one tenant at one epoch on this node.
#[derive(Debug)]
struct TenantFence {
    shared: Arc<Shared>,
    tenant: TenantId,
    epoch: i64,
}

impl Fence for TenantFence {
    fn check(&self) -> Result<(), String> {
        match self.shared.serving_epoch(&self.tenant) {
            Some(epoch) if epoch == self.epoch => Ok(()),
            Some(epoch) => Err(format!(
                "tenant {} now at epoch {epoch}, not {}",
                self.tenant, self.epoch
            )),
            None => Err(format!(
                "tenant {} no longer owned at epoch {} (lease lapsed or ownership lost)",
                self.tenant, self.epoch
            )),
        }
    }
}

/// Opening a tenant on a cluster node: only a tenant this node owns, with
/// its epoch's replica path and its fence.
#[derive(Debug)]
pub(crate) struct ClusterReplication {
    shared: Arc<Shared>,
    replication: ReplicationConfig,
}

impl TenantReplication for ClusterReplication {
    fn open(
        &self,
        tenant: &TenantId,
        db_path: &Path,
    ) -> Result<Arc<dyn AckGate>, ReplicationError> {
        let Some(epoch) = self.shared.serving_epoch(tenant) else {
            return Err(ReplicationError::Refused {
                request: "open",
                status: 421,
                message: format!("this node does not own tenant {tenant}"),
            });
        };
        let litestream = self.replication.litestream_for(tenant);
        let replica_url = replica_url(
            &self.replication.replica_url,
            tenant,
            Some(epoch_number(epoch)),
        );
        litestream.register(db_path, &replica_url)?;
        Ok(Arc::new(LitestreamGate {
            litestream,
            db_path: db_path.to_owned(),
            replica_url,
            timeout: self.replication.sync_timeout(),
            fence: Some(Arc::new(TenantFence {
                shared: self.shared.clone(),
                tenant: tenant.clone(),
                epoch,
            })),
        }))
    }
}

/// An etcd revision as the epoch number of a replica path.
fn epoch_number(epoch: i64) -> u64 {
    u64::try_from(epoch).unwrap_or(0)
}

/// One owner as seen in etcd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerInfo {
    /// The owner's node id.
    pub node: String,
    /// Where it is reached.
    pub url: String,
    /// The ownership epoch (the owner key's create revision).
    pub epoch: i64,
    /// The lease the ownership hangs on.
    pub lease: i64,
}

impl OwnerInfo {
    fn from_kv(kv: &etcd::KeyValue) -> Option<Self> {
        let record: OwnerRecord = serde_json::from_slice(&kv.value).ok()?;
        Some(Self {
            node: record.node,
            url: record.url,
            epoch: kv.create_revision,
            lease: kv.lease,
        })
    }
}

/// How long a looked-up owner is trusted for forwarding. A stale entry
/// costs one refused forward (421) and a fresh look-up, never a wrong
/// answer: only the owner serves.
const OWNER_CACHE_TTL: Duration = Duration::from_secs(1);

/// This node's part of the cluster.
#[derive(Debug)]
pub struct Cluster {
    config: ClusterConfig,
    replication: ReplicationConfig,
    etcd: Etcd,
    shared: Arc<Shared>,
    owners: Mutex<HashMap<TenantId, (OwnerInfo, Instant)>>,
    /// One acquisition (or drop) of a tenant at a time on this node.
    busy: Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<()>>>>,
    /// The client that forwards requests to owners.
    forward: reqwest::Client,
}

impl Cluster {
    /// How long a forwarding node waits for the head of a small request's
    /// answer: the owner's replica wait plus two lease periods. Longer, and
    /// the owner is stalled; by then its lease has lapsed.
    pub(crate) fn answer_head_bound(&self) -> Duration {
        Duration::from_millis(self.replication.sync_timeout_ms) + self.config.lease_ttl() * 2
    }

    /// The cluster part of a node configured with `config` (which must have
    /// `[cluster]`, `[replication]` and `[object_store]`).
    pub fn new(config: &crate::Config) -> Result<Self, ClusterError> {
        let cluster = config
            .cluster
            .clone()
            .ok_or_else(|| ClusterError::Config("no [cluster] section".into()))?;
        let replication = config
            .replication
            .clone()
            .ok_or_else(|| ClusterError::Config("[cluster] needs [replication]".into()))?;
        if config.object_store.is_none() {
            return Err(ClusterError::Config(
                "[cluster] needs [object_store]".into(),
            ));
        }
        // etcd calls are short; one that takes longer than a third of the
        // lease is as good as failed.
        let timeout = cluster.lease_ttl() / 3;
        let etcd = Etcd::new(&cluster.etcd, timeout)?;
        let forward = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| ClusterError::Config(format!("forwarding client: {e}")))?;
        Ok(Self {
            config: cluster,
            replication,
            etcd,
            shared: Arc::default(),
            owners: Mutex::default(),
            busy: Mutex::default(),
            forward,
        })
    }

    /// The configuration of this node.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The etcd client.
    pub fn etcd(&self) -> &Etcd {
        &self.etcd
    }

    /// How the tenants cache opens a tenant on this node.
    pub(crate) fn tenant_replication(&self) -> Arc<dyn TenantReplication> {
        Arc::new(ClusterReplication {
            shared: self.shared.clone(),
            replication: self.replication.clone(),
        })
    }

    /// The epoch at which this node serves `tenant` now, if it does.
    pub fn serving_epoch(&self, tenant: &TenantId) -> Option<i64> {
        self.shared.serving_epoch(tenant)
    }

    /// The tenants this node serves now, with their epochs.
    pub fn serving(&self) -> Vec<(TenantId, i64)> {
        let mut list: Vec<_> = self
            .shared
            .owned()
            .iter()
            .map(|(t, o)| (t.clone(), o.epoch))
            .collect();
        list.sort();
        list
    }

    /// This node's lease id, while it holds one.
    pub fn lease_id(&self) -> Option<i64> {
        self.shared.lease().map(|l| l.id)
    }

    /// Test hook: stop (or resume) the lease's traffic with etcd
    /// (keep-alives, grants, revocations), as for a node that is paused or
    /// cut off from etcd: its lease lapses by its deadline and expires in
    /// etcd after its TTL.
    pub fn pause_lease(&self, paused: bool) {
        self.shared.lease_paused.store(paused, Ordering::SeqCst);
    }

    /// Every tenant's owner and committed epoch, from etcd.
    pub async fn status(etcd: &Etcd) -> Result<Vec<TenantStatus>, ClusterError> {
        status(etcd).await
    }

    fn busy_lock(&self, tenant: &TenantId) -> Arc<tokio::sync::Mutex<()>> {
        self.busy
            .lock()
            .expect("busy lock is never poisoned")
            .entry(tenant.clone())
            .or_default()
            .clone()
    }
}

/// One tenant in `cluster status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TenantStatus {
    /// The tenant.
    pub tenant: String,
    /// Its display name from the catalog.
    pub name: Option<String>,
    /// The node that owns it now, if any.
    pub owner: Option<String>,
    /// Where the owner is reached.
    pub owner_url: Option<String>,
    /// The owner's epoch.
    pub epoch: Option<i64>,
    /// The newest epoch whose replica is complete.
    pub committed_epoch: Option<i64>,
}

async fn status(etcd: &Etcd) -> Result<Vec<TenantStatus>, ClusterError> {
    type List = std::collections::BTreeMap<String, TenantStatus>;
    /// The status of the tenant that `kv`, a key under `prefix`, names.
    fn entry<'a>(
        list: &'a mut List,
        kv: &etcd::KeyValue,
        prefix: &str,
    ) -> Option<&'a mut TenantStatus> {
        let key = String::from_utf8_lossy(&kv.key);
        let tenant = key.strip_prefix(prefix)?;
        Some(
            list.entry(tenant.to_owned())
                .or_insert_with(|| TenantStatus {
                    tenant: tenant.to_owned(),
                    ..TenantStatus::default()
                }),
        )
    }
    let catalog = etcd.get_prefix("/meldkluis/catalog/").await?;
    let owners = etcd.get_prefix("/meldkluis/owner/").await?;
    let epochs = etcd.get_prefix("/meldkluis/epoch/").await?;
    let mut list = List::new();
    for kv in &catalog {
        if let Some(s) = entry(&mut list, kv, "/meldkluis/catalog/") {
            s.name = serde_json::from_slice::<CatalogRecord>(&kv.value)
                .ok()
                .map(|r| r.name);
        }
    }
    for kv in &owners {
        if let (Some(s), Some(owner)) = (
            entry(&mut list, kv, "/meldkluis/owner/"),
            OwnerInfo::from_kv(kv),
        ) {
            s.owner = Some(owner.node);
            s.owner_url = Some(owner.url);
            s.epoch = Some(owner.epoch);
        }
    }
    for kv in &epochs {
        if let Some(s) = entry(&mut list, kv, "/meldkluis/epoch/") {
            s.committed_epoch = std::str::from_utf8(&kv.value)
                .ok()
                .and_then(|v| v.parse().ok());
        }
    }
    Ok(list.into_values().collect())
}

pub use owner::{publish_tenant, run};

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClusterConfig {
        ClusterConfig {
            node_id: "n1".into(),
            advertise_url: "http://127.0.0.1:18101".into(),
            etcd: vec!["http://127.0.0.1:23790".into()],
            lease_ttl_secs: 3,
        }
    }

    #[test]
    fn settings_are_checked() {
        config().validate().expect("valid");
        let refused = |change: &dyn Fn(&mut ClusterConfig)| {
            let mut c = config();
            change(&mut c);
            c.validate().is_err()
        };
        assert!(refused(&|c| c.node_id = "N 1".into()));
        assert!(refused(&|c| c.node_id = String::new()));
        assert!(refused(&|c| c.advertise_url = "127.0.0.1:1".into()));
        assert!(refused(&|c| c.advertise_url = "http://h:1/base".into()));
        assert!(refused(&|c| c.advertise_url = "http://u:p@h:1".into()));
        assert!(refused(&|c| c.etcd.clear()));
        assert!(refused(&|c| c.etcd = vec!["etcd:2379".into()]));
        assert!(refused(&|c| c.lease_ttl_secs = 1));
        let parsed: ClusterConfig = toml::from_str(
            "node_id = \"n2\"\nadvertise_url = \"http://10.0.0.2:8470/\"\netcd = [\"http://10.0.0.9:2379\"]",
        )
        .expect("toml");
        assert_eq!(parsed.lease_ttl_secs, 3);
        assert_eq!(parsed.base_url(), "http://10.0.0.2:8470");
    }

    #[test]
    fn a_fence_fails_past_the_deadline_and_after_ownership_moved() {
        let shared = Arc::new(Shared::default());
        let tenant = TenantId::new("acme").expect("id");
        let fence = TenantFence {
            shared: shared.clone(),
            tenant: tenant.clone(),
            epoch: 7,
        };
        assert!(fence.check().is_err(), "no lease yet");
        *shared.lease.lock().expect("lock") = Some(Lease {
            id: 1,
            deadline: Instant::now() + Duration::from_secs(60),
        });
        assert!(fence.check().is_err(), "not owned");
        shared
            .owned()
            .insert(tenant.clone(), Owned { epoch: 7, lease: 1 });
        fence.check().expect("owned at epoch 7 under a live lease");
        shared
            .owned()
            .insert(tenant.clone(), Owned { epoch: 9, lease: 1 });
        assert!(fence.check().is_err(), "a later epoch");
        shared
            .owned()
            .insert(tenant.clone(), Owned { epoch: 7, lease: 2 });
        assert!(fence.check().is_err(), "an older lease");
        shared.owned().insert(tenant, Owned { epoch: 7, lease: 1 });
        *shared.lease.lock().expect("lock") = Some(Lease {
            id: 1,
            deadline: Instant::now(),
        });
        assert!(fence.check().is_err(), "deadline passed");
    }
}
