//! Ownership: the node's lease, acquiring a tenant, dropping every tenant
//! when the lease lapses, and publishing a tenant into the catalog.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use meldkluis_crypto_core::TenantId;

use super::etcd::{Compare, Op};
use super::{
    catalog_key, epoch_key, epoch_number, owner_key, CatalogRecord, Cluster, ClusterError, Lease,
    Owned, OwnerInfo, OwnerRecord, LEASE_MARGIN,
};
use crate::error::{AppError, ErrorCode};
use crate::replication::replica_url;
use crate::AppState;

/// What an acquisition found.
#[derive(Debug)]
pub(crate) enum Acquired {
    /// This node serves the tenant now, at this epoch.
    Serving(i64),
    /// Another node owns it.
    OwnedBy(OwnerInfo),
}

fn unavailable(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Unavailable, detail.into())
}

impl Cluster {
    /// The owner of `tenant` from etcd (`fresh`), or from the cache of
    /// recent look-ups.
    pub(crate) async fn owner(
        &self,
        tenant: &TenantId,
        fresh: bool,
    ) -> Result<Option<OwnerInfo>, AppError> {
        if !fresh {
            let cached = self
                .owners
                .lock()
                .expect("owner cache lock is never poisoned")
                .get(tenant)
                .filter(|(_, at)| at.elapsed() < super::OWNER_CACHE_TTL)
                .map(|(owner, _)| owner.clone());
            if cached.is_some() {
                return Ok(cached);
            }
        }
        let kv = self
            .etcd
            .get(&owner_key(tenant))
            .await
            .map_err(|e| unavailable(format!("owner look-up: {e}")))?;
        let owner = kv.as_ref().and_then(OwnerInfo::from_kv);
        let mut cache = self
            .owners
            .lock()
            .expect("owner cache lock is never poisoned");
        match &owner {
            Some(owner) => {
                cache.insert(tenant.clone(), (owner.clone(), Instant::now()));
            }
            None => {
                cache.remove(tenant);
            }
        }
        Ok(owner)
    }

    /// Forgets the cached owner of `tenant`.
    pub(crate) fn forget_owner(&self, tenant: &TenantId) {
        self.owners
            .lock()
            .expect("owner cache lock is never poisoned")
            .remove(tenant);
    }

    /// Makes this node the owner of `tenant` if nobody owns it: see the
    /// module documentation of [`crate::cluster`] for the steps. An unknown
    /// tenant (not in the catalog) is 404; anything else that fails is 503
    /// and leaves the tenant unowned.
    pub(crate) async fn acquire(
        &self,
        state: &AppState,
        tenant: &TenantId,
    ) -> Result<Acquired, AppError> {
        let busy = self.busy_lock(tenant);
        let _busy = busy.lock().await;
        if let Some(epoch) = self.serving_epoch(tenant) {
            return Ok(Acquired::Serving(epoch));
        }
        let dropped_at = self
            .shared
            .dropped
            .lock()
            .expect("dropped lock is never poisoned")
            .get(tenant)
            .copied();
        if dropped_at.is_some_and(|at| at.elapsed() < self.config.lease_ttl() * REACQUIRE_PAUSE) {
            return Err(unavailable(format!(
                "tenant {tenant} was dropped here moments ago; another node takes it"
            )));
        }
        let catalog = self
            .etcd
            .get(&catalog_key(tenant))
            .await
            .map_err(|e| unavailable(format!("catalog look-up: {e}")))?
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::TenantNotFound,
                    format!("no tenant {tenant} in the catalog"),
                )
            })?;
        let record: CatalogRecord = serde_json::from_slice(&catalog.value)
            .map_err(|e| AppError::internal(format!("catalog record of {tenant}: {e}")))?;
        if record.id != tenant.as_str() {
            return Err(AppError::internal(format!(
                "catalog record of {tenant} names {}",
                record.id
            )));
        }
        // A stale ownership of this very node (a lease from before a
        // restart) is revoked once, so the tenant need not wait out its TTL.
        for attempt in 0..2 {
            let lease = self.valid_lease()?;
            let owner = owner_key(tenant);
            let claim = OwnerRecord {
                node: self.config.node_id.clone(),
                url: self.config.base_url().to_owned(),
                epoch: 0,
            };
            let outcome = self
                .etcd
                .txn(
                    &[Compare::CreateRevision(owner.clone(), 0)],
                    &[
                        Op::Put {
                            key: owner.clone(),
                            value: json_bytes(&claim),
                            lease: Some(lease.id),
                        },
                        Op::Get(epoch_key(tenant)),
                    ],
                    &[Op::Get(owner.clone())],
                )
                .await
                .map_err(|e| unavailable(format!("acquire txn: {e}")))?;
            if !outcome.succeeded {
                let Some(current) = outcome
                    .reads
                    .first()
                    .and_then(|kvs| kvs.first())
                    .and_then(OwnerInfo::from_kv)
                else {
                    // Deleted between compare and read: try again.
                    continue;
                };
                if current.node == self.config.node_id && current.lease != lease.id && attempt == 0
                {
                    tracing::warn!(%tenant, lease = current.lease, "revoking this node's stale lease");
                    let _ = self.etcd.revoke(current.lease).await;
                    continue;
                }
                self.forget_owner(tenant);
                return Ok(Acquired::OwnedBy(current));
            }
            let epoch = outcome.revision;
            let previous = outcome
                .reads
                .get(1)
                .and_then(|kvs| kvs.first())
                .and_then(|kv| std::str::from_utf8(&kv.value).ok()?.parse::<i64>().ok());
            tracing::info!(%tenant, epoch, previous, "acquired; restoring");
            match self
                .take_over(state, tenant, &record, lease, epoch, previous)
                .await
            {
                Ok(()) => {
                    self.forget_owner(tenant);
                    tracing::info!(%tenant, epoch, "serving");
                    return Ok(Acquired::Serving(epoch));
                }
                Err(e) => {
                    tracing::error!(%tenant, epoch, error = %e, "acquisition failed; releasing");
                    self.release(state, tenant, epoch).await;
                    return Err(e);
                }
            }
        }
        Err(unavailable(format!(
            "tenant {tenant}: ownership keeps changing"
        )))
    }

    /// The lease, if this node holds one that is valid now.
    fn valid_lease(&self) -> Result<Lease, AppError> {
        self.shared
            .lease()
            .filter(|l| Instant::now() < l.deadline)
            .ok_or_else(|| unavailable("this node holds no valid lease"))
    }

    /// Steps 2 to 5 of an acquisition: the epoch in the owner record, the
    /// local copy, its replica at the new epoch, the commit.
    async fn take_over(
        &self,
        state: &AppState,
        tenant: &TenantId,
        record: &CatalogRecord,
        lease: Lease,
        epoch: i64,
        previous: Option<i64>,
    ) -> Result<(), AppError> {
        let owner = owner_key(tenant);
        let stamped = OwnerRecord {
            node: self.config.node_id.clone(),
            url: self.config.base_url().to_owned(),
            epoch,
        };
        let stamped = self
            .etcd
            .txn(
                &[
                    Compare::CreateRevision(owner.clone(), epoch),
                    Compare::Lease(owner.clone(), lease.id),
                ],
                &[Op::Put {
                    key: owner.clone(),
                    value: json_bytes(&stamped),
                    lease: Some(lease.id),
                }],
                &[],
            )
            .await
            .map_err(|e| unavailable(format!("owner record: {e}")))?;
        if !stamped.succeeded {
            return Err(unavailable("ownership lost right after acquiring"));
        }

        // The local copy: from the newest committed epoch's replica, or the
        // seed of a tenant nobody served yet. Whatever was here before is
        // an older copy and is never trusted.
        let layout = state.tenants().layout().clone();
        let dir = layout.tenant_dir(tenant);
        let db_path = layout.tenant_db(tenant);
        let incoming = dir.join("incoming.sqlite");
        // A copy still open from an earlier ownership must be closed
        // before its files are replaced: SQLite deletes a WAL by name. So
        // must Litestream's registration of that path (a drop that has not
        // run yet, or whose unregister failed): Litestream would keep its
        // connection to the old file, checkpoint the new WAL into it and
        // ship the new database to the old epoch's replica path.
        close_local(state, tenant).await;
        {
            let dir = dir.clone();
            let litestream = self.replication.litestream_for(tenant);
            let path = db_path.clone();
            crate::db::blocking(move || -> Result<(), AppError> {
                litestream
                    .unregister(&path)
                    .map_err(|e| unavailable(format!("the earlier copy's replication: {e}")))?;
                remove_dir_if_exists(&dir)?;
                crate::config::create_private_dir(&dir)?;
                Ok(())
            })
            .await?;
        }
        let store = state
            .objects()
            .ok_or_else(|| AppError::internal("a cluster node without an object store"))?;
        match previous {
            Some(previous) => {
                let bin = self.replication.litestream_bin.clone();
                let url = replica_url(
                    &self.replication.replica_url,
                    tenant,
                    Some(epoch_number(previous)),
                );
                let out = incoming.clone();
                // The store's own credentials (a test's server has its own).
                let env = store.credentials_env();
                crate::db::blocking(move || {
                    crate::replication::restore_with_env(&bin, &url, &out, &env)
                })
                .await
                .map_err(|e| unavailable(format!("restore of epoch {previous}: {e}")))?;
            }
            None => {
                let found = store
                    .get_to_file(&crate::objects::seed_key(tenant), &incoming)
                    .await
                    .map_err(|e| unavailable(format!("seed: {e}")))?;
                if !found {
                    return Err(AppError::internal(format!(
                        "tenant {tenant} is in the catalog but has neither a committed epoch nor a seed"
                    )));
                }
            }
        }

        // The server database's row, then the tenant database brought to
        // this version's schema (and WAL mode, which Litestream needs).
        let server_db = layout.server_db();
        let (row, id) = (record.clone(), tenant.clone());
        let (from, to) = (incoming.clone(), db_path.clone());
        crate::db::blocking(move || -> Result<(), AppError> {
            std::fs::rename(&from, &to)?;
            drop(crate::db::open_tenant(&to)?);
            let conn = crate::db::open(&server_db, crate::db::SERVER_MIGRATIONS)?;
            row.write_row(&conn)?;
            // A stored answer from an earlier ownership describes an older
            // copy of the tenant database.
            crate::tenants::public_config::forget(&conn, &id)?;
            Ok(())
        })
        .await?;

        // Replicated to this epoch's own path before anything is served,
        // and the epoch committed only once that replica is complete.
        let litestream = self.replication.litestream_for(tenant);
        let url = replica_url(
            &self.replication.replica_url,
            tenant,
            Some(epoch_number(epoch)),
        );
        let timeout = self.replication.sync_timeout();
        let path = db_path.clone();
        crate::db::blocking(move || {
            litestream.register_new(&path, &url)?;
            litestream.sync_wait(&path, timeout).map(drop)
        })
        .await
        .map_err(|e| unavailable(format!("first replication at epoch {epoch}: {e}")))?;
        let committed = self
            .etcd
            .txn(
                &[
                    Compare::CreateRevision(owner.clone(), epoch),
                    Compare::Lease(owner, lease.id),
                ],
                &[Op::Put {
                    key: epoch_key(tenant),
                    value: epoch.to_string().into_bytes(),
                    lease: None,
                }],
                &[],
            )
            .await
            .map_err(|e| unavailable(format!("epoch commit: {e}")))?;
        if !committed.succeeded {
            return Err(unavailable("ownership lost before the epoch was committed"));
        }
        // Serving from here on, if the lease has not lapsed meanwhile (then
        // the loop drops what this node owns, this tenant included).
        let current = self.valid_lease()?;
        if current.id != lease.id {
            return Err(unavailable("the lease changed during the acquisition"));
        }
        self.shared.owned().insert(
            tenant.clone(),
            Owned {
                epoch,
                lease: lease.id,
            },
        );
        Ok(())
    }

    /// Undoes a failed acquisition: the local copy and its replication go,
    /// and so does the owner key if it is still this acquisition's.
    async fn release(&self, state: &AppState, tenant: &TenantId, epoch: i64) {
        self.remove_local(state, tenant).await;
        let owner = owner_key(tenant);
        if let Err(e) = self
            .etcd
            .txn(
                &[Compare::CreateRevision(owner.clone(), epoch)],
                &[Op::Delete(owner)],
                &[],
            )
            .await
        {
            tracing::warn!(%tenant, error = %e, "could not release the owner key; it expires with the lease");
        }
        self.forget_owner(tenant);
    }

    /// Stops serving `tenant` on this node: its row in server.sqlite, its
    /// open database, its replication and its local copy go (in that
    /// order: nothing opens it again once the row is gone).
    async fn remove_local(&self, state: &AppState, tenant: &TenantId) {
        let layout = state.tenants().layout().clone();
        let server_db = layout.server_db();
        let id = tenant.clone();
        let removed_row = crate::db::blocking(move || -> Result<(), AppError> {
            let conn = crate::db::open(&server_db, crate::db::SERVER_MIGRATIONS)?;
            conn.execute("DELETE FROM tenants WHERE id = ?1", [id.as_str()])?;
            crate::tenants::public_config::remove(&conn, &id)?;
            Ok(())
        })
        .await;
        if let Err(e) = removed_row {
            tracing::error!(%tenant, error = %e, "could not remove the tenant's row");
        }
        close_local(state, tenant).await;
        let litestream = self.replication.litestream_for(tenant);
        let db_path = layout.tenant_db(tenant);
        let dir = layout.tenant_dir(tenant);
        let removed = crate::db::blocking(move || -> Result<(), String> {
            if let Err(e) = litestream.unregister(&db_path) {
                // Its replica is at an epoch path nobody restores from once
                // a later epoch is committed; a Litestream that goes on
                // copying it harms nothing.
                tracing::warn!(error = %e, "could not unregister a dropped tenant");
            }
            remove_dir_if_exists(&dir).map_err(|e| e.to_string())
        })
        .await;
        if let Err(e) = removed {
            tracing::error!(%tenant, error = %e, "could not remove the dropped tenant's local copy");
        }
    }

    /// Drops every tenant this node owns (the lease lapsed). Each tenant
    /// is cleaned up in a task of its own, which holds the tenant's lock:
    /// no acquisition on this node starts before its old copy is gone.
    async fn drop_all(self: &std::sync::Arc<Self>, state: &AppState) {
        let dropped: Vec<TenantId> = self.shared.owned().drain().map(|(t, _)| t).collect();
        for tenant in dropped {
            self.shared
                .dropped
                .lock()
                .expect("dropped lock is never poisoned")
                .insert(tenant.clone(), Instant::now());
            tracing::warn!(%tenant, "lease lapsed: dropping the tenant");
            let busy = self.busy_lock(&tenant).lock_owned().await;
            let (cluster, state) = (self.clone(), state.clone());
            tokio::spawn(async move {
                let _busy = busy;
                cluster.remove_local(&state, &tenant).await;
                cluster.forget_owner(&tenant);
            });
        }
    }

    /// Sets the lease, or clears it (`None`): a cleared lease fails every
    /// fence at once.
    fn set_lease(&self, lease: Option<Lease>) {
        *self
            .shared
            .lease
            .lock()
            .expect("lease lock is never poisoned") = lease;
    }

    /// Moves the deadline of lease `id` on, after a keep-alive sent at
    /// `sent` succeeded.
    fn renewed(&self, id: i64, sent: Instant) {
        let mut lease = self
            .shared
            .lease
            .lock()
            .expect("lease lock is never poisoned");
        if let Some(lease) = lease.as_mut().filter(|l| l.id == id) {
            lease.deadline = sent + self.config.lease_ttl() - LEASE_MARGIN;
        }
    }
}

/// The cluster's background work on a node: hold a lease (grant, keep
/// alive every third of its TTL), and when it lapses, drop every tenant and
/// grant a new one. Ends when `stop` turns true.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let Some(cluster) = state.cluster().cloned() else {
        return;
    };
    let interval = cluster.config.lease_ttl() / 3;
    // A node starts owning nothing: what an earlier run of this node left
    // (it may have been killed) is an older copy, removed before the first
    // lease, so no acquisition can meet it half-open.
    let rows = state.tenants().all_ids().await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not list the tenants an earlier run left");
        Vec::new()
    });
    let tenants_dir = state.config().data_dir.join("tenants");
    for id in crate::db::blocking(move || leftovers(rows, &tenants_dir)).await {
        cluster.remove_local(&state, &id).await;
    }
    loop {
        let sent = Instant::now();
        let granted = if cluster.shared.lease_paused.load(Ordering::SeqCst) {
            Err(super::EtcdError::Unreachable("paused (test hook)".into()))
        } else {
            cluster.etcd.grant(cluster.config.lease_ttl_secs).await
        };
        match granted {
            Ok(id) => {
                tracing::info!(lease = id, node = %cluster.config.node_id, "lease granted");
                cluster.set_lease(Some(Lease {
                    id,
                    deadline: sent + cluster.config.lease_ttl() - LEASE_MARGIN,
                }));
                keep_alive(&cluster, id, interval, &mut stop).await;
                cluster.set_lease(None);
                cluster.drop_all(&state).await;
                // The old lease may still live in etcd (keep-alives lost,
                // not the lease): revoking it frees its tenants for the
                // other nodes now rather than at its expiry.
                if !cluster.shared.lease_paused.load(Ordering::SeqCst) {
                    let _ = cluster.etcd.revoke(id).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "no lease from etcd"),
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The tenants an earlier run of this node left: those with a row in
/// server.sqlite (`rows`), and those with only a directory under
/// `tenants_dir` (a drop removes the row first; one killed before the
/// files went leaves a copy no row names).
fn leftovers(rows: Vec<TenantId>, tenants_dir: &Path) -> BTreeSet<TenantId> {
    let mut ids: BTreeSet<TenantId> = rows.into_iter().collect();
    match std::fs::read_dir(tenants_dir) {
        Ok(entries) => ids.extend(
            entries
                .flatten()
                .filter_map(|e| TenantId::new(e.file_name().to_str()?).ok()),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not list the tenant directories"),
    }
    ids
}

/// Renews lease `id` until it lapses (by its local deadline, or etcd says
/// it is gone) or `stop`.
async fn keep_alive(
    cluster: &Cluster,
    id: i64,
    interval: Duration,
    stop: &mut tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if !cluster.shared.lease_paused.load(Ordering::SeqCst) {
            let sent = Instant::now();
            match cluster.etcd.keepalive(id).await {
                Ok(Some(_)) => cluster.renewed(id, sent),
                Ok(None) => {
                    tracing::warn!(lease = id, "etcd no longer knows this node's lease");
                    return;
                }
                Err(e) => tracing::warn!(lease = id, error = %e, "keep-alive failed"),
            }
        }
        let lapsed = cluster
            .shared
            .lease()
            .is_none_or(|l| l.id != id || Instant::now() >= l.deadline);
        if lapsed {
            tracing::warn!(lease = id, "lease deadline passed");
            return;
        }
    }
}

/// Publishes tenant `tenant` of this data directory into the cluster: its
/// database (a consistent copy, `VACUUM INTO`) as the seed object, then its
/// record in the catalog. Refuses a tenant already in the catalog (or
/// ever served by the cluster), and one that already has reports. `store`
/// is the cluster's object store.
pub async fn publish_tenant(
    config: &crate::Config,
    tenant: &TenantId,
    store: &crate::objects::ObjectStore,
) -> Result<CatalogRecord, ClusterError> {
    let cluster = config
        .cluster
        .as_ref()
        .ok_or_else(|| ClusterError::Config("no [cluster] section".into()))?;
    let etcd = super::Etcd::new(&cluster.etcd, Duration::from_secs(10))?;
    for key in [catalog_key(tenant), owner_key(tenant), epoch_key(tenant)] {
        if etcd.get(&key).await?.is_some() {
            return Err(ClusterError::AlreadyPublished(tenant.to_string()));
        }
    }
    let layout = crate::tenants::Layout::new(&config.data_dir);
    let seed = config
        .data_dir
        .join(format!("cluster-seed-{}.sqlite", tenant.as_str()));
    let record = {
        let (layout, seed, tenant) = (layout.clone(), seed.clone(), tenant.clone());
        crate::db::blocking(move || snapshot(&layout, &tenant, &seed)).await?
    };
    let uploaded = store
        .put_file(&crate::objects::seed_key(tenant), &seed)
        .await
        .map_err(|e| ClusterError::Objects(e.to_string()));
    let _ = std::fs::remove_file(&seed);
    uploaded?;
    let outcome = etcd
        .txn(
            &[
                Compare::CreateRevision(catalog_key(tenant), 0),
                Compare::CreateRevision(epoch_key(tenant), 0),
            ],
            &[Op::Put {
                key: catalog_key(tenant),
                value: json_bytes(&record),
                lease: None,
            }],
            &[],
        )
        .await?;
    if !outcome.succeeded {
        return Err(ClusterError::AlreadyPublished(tenant.to_string()));
    }
    Ok(record)
}

/// The tenant's record and a consistent copy of its database at `seed`.
fn snapshot(
    layout: &crate::tenants::Layout,
    tenant: &TenantId,
    seed: &Path,
) -> Result<CatalogRecord, ClusterError> {
    let local = |e: rusqlite::Error| ClusterError::Local(e.to_string());
    let server =
        crate::db::open(&layout.server_db(), crate::db::SERVER_MIGRATIONS).map_err(local)?;
    let record = crate::tenants::read_record(&server, tenant)
        .map_err(local)?
        .ok_or_else(|| {
            ClusterError::NotPublishable(format!(
                "{tenant} is not in this data directory (create it with `tenant create` first)"
            ))
        })?;
    let conn = crate::db::open_tenant(&layout.tenant_db(tenant)).map_err(local)?;
    let reports: i64 = conn
        .query_row("SELECT count(*) FROM reports", [], |r| r.get(0))
        .map_err(local)?;
    if reports > 0 {
        return Err(ClusterError::NotPublishable(format!(
            "{tenant} already has {reports} report(s): publish a tenant before it is used \
             (moving a tenant in use into a cluster is not supported)"
        )));
    }
    let _ = std::fs::remove_file(seed);
    conn.execute("VACUUM INTO ?1", [seed.to_string_lossy().as_ref()])
        .map_err(local)?;
    Ok(CatalogRecord::from(&record))
}

/// How many lease periods a node waits before it takes again a tenant it
/// dropped when its lease lapsed: a node that stalled or lost etcd lets a
/// healthy node take its tenants first; alone, it takes them back after
/// the pause. (An earlier, longer pause was meant against a stalled owner
/// breaking its own new copy; the damage came from the replica it
/// restored, see `LitestreamGate::checkpoints_itself`.)
const REACQUIRE_PAUSE: u32 = 1;

/// Closes the tenant's open database, if any, and waits until it is
/// closed (saying so in the log while requests hold it open).
async fn close_local(state: &AppState, tenant: &TenantId) {
    let closed = state.tenants().close(tenant);
    tokio::pin!(closed);
    while tokio::time::timeout(Duration::from_secs(30), &mut closed)
        .await
        .is_err()
    {
        tracing::warn!(%tenant, "a dropped tenant's database is still in use; waiting");
    }
}

fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("a plain struct always serialises")
}

fn remove_dir_if_exists(dir: &PathBuf) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_removes_every_tenant_with_a_row_or_a_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = |s: &str| TenantId::new(s).expect("id");
        for name in ["acme", "orphan", "Not-A-Tenant"] {
            std::fs::create_dir(dir.path().join(name)).expect("dir");
        }
        let found: Vec<String> = leftovers(vec![id("acme"), id("row-only")], dir.path())
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        assert_eq!(found, ["acme", "orphan", "row-only"]);
        let none_yet = leftovers(vec![id("acme")], &dir.path().join("absent"));
        assert_eq!(none_yet.len(), 1);
    }
}
