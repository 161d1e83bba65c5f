//! Tenants: where their files live, and a bounded cache of open tenant
//! databases, so thousands of tenants do not mean thousands of open files
//! and threads.
//!
//! A tenant's directory is derived only from a validated [`TenantId`] (which
//! admits nothing but `[a-z0-9-]`), and only after the server database
//! confirmed that the tenant exists: an unknown id never creates a file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use meldkluis_crypto_core::TenantId;
use rusqlite::OptionalExtension;

use crate::db::{self, Db};
use crate::error::{AppError, ErrorCode};
use crate::replication::TenantReplication;

pub mod public_config;

/// How long a cached tenant record (name, disabled flag, limits) is trusted
/// before it is read again, so operator changes made with the CLI while the
/// server runs take effect within this time.
const RECORD_TTL: Duration = Duration::from_secs(5);

/// A tenant as listed in the server database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantRecord {
    /// The tenant's id.
    #[serde(serialize_with = "serialize_tenant_id")]
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Disabled by the operator: no API access.
    pub disabled: bool,
    /// Day the tenant was created.
    pub created_day: String,
    /// Largest attachment item accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// Quotas against junk (see [`Quotas`]).
    pub quotas: Quotas,
}

/// A tenant's quotas: what one day's reports, and one report's messages
/// and attachments, may take. Set by the operator (`tenant set-quotas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Quotas {
    /// Reports accepted per day (UTC); the next is refused with 429.
    pub reports_per_day: u64,
    /// Messages per report (reporter's and advisors' together).
    pub messages_per_report: u64,
    /// Attachments per report.
    pub attachments_per_report: u64,
    /// Bytes of all attachment items of one report together.
    pub attachment_bytes_per_report: u64,
}

fn serialize_tenant_id<S: serde::Serializer>(id: &TenantId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(id.as_str())
}

/// Reads one tenant record from the server database.
pub(crate) fn read_record(
    conn: &rusqlite::Connection,
    id: &TenantId,
) -> rusqlite::Result<Option<TenantRecord>> {
    conn.prepare_cached(
        "SELECT name, disabled, created_day, max_attachment_bytes, reports_per_day,
                messages_per_report, attachments_per_report, attachment_bytes_per_report
         FROM tenants WHERE id = ?1",
    )?
    .query_row([id.as_str()], |row| {
        Ok(TenantRecord {
            id: id.clone(),
            name: row.get(0)?,
            disabled: row.get(1)?,
            created_day: row.get(2)?,
            max_attachment_bytes: row.get::<_, i64>(3)?.try_into().unwrap_or(0),
            quotas: Quotas {
                reports_per_day: row.get::<_, i64>(4)?.try_into().unwrap_or(0),
                messages_per_report: row.get::<_, i64>(5)?.try_into().unwrap_or(0),
                attachments_per_report: row.get::<_, i64>(6)?.try_into().unwrap_or(0),
                attachment_bytes_per_report: row.get::<_, i64>(7)?.try_into().unwrap_or(0),
            },
        })
    })
    .optional()
}

/// The data directory's layout.
#[derive(Debug, Clone)]
pub struct Layout {
    data_dir: PathBuf,
}

impl Layout {
    /// The layout under `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
        }
    }

    /// The server-wide database (the tenant list).
    pub fn server_db(&self) -> PathBuf {
        self.data_dir.join("server.sqlite")
    }

    /// The e-mail store: notice addresses and the outbox, apart from every
    /// tenant database.
    pub fn notices_db(&self) -> PathBuf {
        self.data_dir.join("notices.sqlite")
    }

    /// A tenant's directory. Safe because a `TenantId` is `[a-z0-9-]` only.
    pub fn tenant_dir(&self, id: &TenantId) -> PathBuf {
        self.data_dir.join("tenants").join(id.as_str())
    }

    /// A tenant's database.
    pub fn tenant_db(&self, id: &TenantId) -> PathBuf {
        self.tenant_dir(id).join("tenant.sqlite")
    }

    /// Where a tenant's attachments are stored, one file per item.
    pub fn attachments_dir(&self, id: &TenantId) -> PathBuf {
        self.tenant_dir(id).join("attachments")
    }

    /// Where uploads are streamed before they are complete.
    pub fn upload_dir(&self, id: &TenantId) -> PathBuf {
        self.tenant_dir(id).join("uploads")
    }

    /// Where the demo tenant's software keys are kept (demo only).
    pub fn demo_dir(&self) -> PathBuf {
        self.data_dir.join("DEMO-ONLY-keys")
    }
}

/// An open tenant: its record and its database worker.
#[derive(Debug)]
pub struct OpenTenant {
    /// The tenant's record (refreshed every few seconds).
    pub record: TenantRecord,
    /// The tenant database's worker.
    pub db: Db,
    /// Where the tenant's attachment items are stored.
    pub attachments_dir: PathBuf,
    /// Where uploads are streamed until complete.
    pub upload_dir: PathBuf,
    loaded: Instant,
}

impl OpenTenant {
    /// The tenant's id.
    pub fn id(&self) -> &TenantId {
        &self.record.id
    }
}

#[derive(Debug)]
struct CacheEntry {
    tenant: Arc<OpenTenant>,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Cache {
    entries: HashMap<TenantId, CacheEntry>,
    clock: u64,
}

/// The tenants of this server, with a bounded cache of open databases.
#[derive(Debug)]
pub struct Tenants {
    layout: Layout,
    server_db: Db,
    cache: Mutex<Cache>,
    capacity: usize,
    batch_max: usize,
    workers: db::Workers,
    public: Arc<public_config::PublicConfigs>,
    /// With replication: registers each tenant database before it serves
    /// and gives its worker the gate of its acknowledgements.
    replication: Option<Arc<dyn TenantReplication>>,
}

impl Tenants {
    /// Opens the server database under `layout`; tenant databases are
    /// replicated as `replication` says (none: not at all).
    pub(crate) fn open(
        layout: Layout,
        capacity: usize,
        batch_max: usize,
        replication: Option<Arc<dyn TenantReplication>>,
    ) -> Result<Self, AppError> {
        std::fs::create_dir_all(layout.data_dir.join("tenants"))?;
        let conn = db::open(&layout.server_db(), db::SERVER_MIGRATIONS)?;
        // A deleted tenant's stored public configuration (its name among
        // it) leaves no bytes behind in freed space, nor do older answers.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let workers = db::Workers::default();
        let server_db = Db::start(conn, "db-server".into(), batch_max, &workers, None)?;
        let public = Arc::new(public_config::PublicConfigs::new(&layout.server_db()));
        Ok(Self {
            public,
            layout,
            server_db,
            cache: Mutex::new(Cache::default()),
            capacity,
            batch_max,
            workers,
            replication,
        })
    }

    /// The data directory's layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The database workers (server and tenants) of this server.
    pub fn workers(&self) -> &db::Workers {
        &self.workers
    }

    /// Number of tenant databases open now.
    pub fn open_count(&self) -> usize {
        self.cache
            .lock()
            .expect("tenant cache lock is never poisoned")
            .entries
            .len()
    }

    /// An enabled tenant, opened if needed. Unknown -> 404, disabled -> 403.
    pub async fn get(&self, id: &TenantId) -> Result<Arc<OpenTenant>, AppError> {
        let tenant = self.get_even_disabled(id).await?;
        if tenant.record.disabled {
            return Err(AppError::new(
                ErrorCode::TenantDisabled,
                format!("tenant {id} is disabled"),
            ));
        }
        Ok(tenant)
    }

    /// A tenant, opened if needed, also a disabled one: for the server's
    /// own upkeep (the retention period runs on while the operator has a
    /// tenant disabled), never for a request. Unknown -> 404.
    pub async fn get_even_disabled(&self, id: &TenantId) -> Result<Arc<OpenTenant>, AppError> {
        let cached = {
            let mut cache = self
                .cache
                .lock()
                .expect("tenant cache lock is never poisoned");
            cache.clock += 1;
            let now = cache.clock;
            cache.entries.get_mut(id).map(|entry| {
                entry.last_used = now;
                entry.tenant.clone()
            })
        };
        let tenant = match cached {
            Some(tenant) if tenant.loaded.elapsed() < RECORD_TTL => tenant,
            Some(stale) => {
                let record = self.load_record(id).await?;
                let fresh = Arc::new(OpenTenant {
                    record,
                    db: stale.db.clone(),
                    attachments_dir: stale.attachments_dir.clone(),
                    upload_dir: stale.upload_dir.clone(),
                    loaded: Instant::now(),
                });
                self.insert(fresh)
            }
            None => {
                let record = self.load_record(id).await?;
                let path = self.layout.tenant_db(id);
                let name = format!("db-{}", id.as_str());
                let batch_max = self.batch_max;
                let workers = self.workers.clone();
                let replication = self.replication.clone();
                let tenant = id.clone();
                let db = db::blocking(move || -> Result<Db, AppError> {
                    // Registered with its Litestream before it serves, and
                    // asked before the file is opened: in a cluster this
                    // refuses a tenant the node does not own, so no stale
                    // or half-replaced copy is opened (or created) while
                    // an acquisition replaces the files.
                    let gate = match &replication {
                        Some(replication) => {
                            Some(replication.open(&tenant, &path).map_err(|e| {
                                AppError::new(
                                    ErrorCode::Unavailable,
                                    format!("replication of tenant {tenant}: {e}"),
                                )
                            })?)
                        }
                        None => None,
                    };
                    let conn = db::open_tenant(&path)?;
                    Ok(Db::start(conn, name, batch_max, &workers, gate)?)
                })
                .await?;
                self.insert(Arc::new(OpenTenant {
                    record,
                    db,
                    attachments_dir: self.layout.attachments_dir(id),
                    upload_dir: self.layout.upload_dir(id),
                    loaded: Instant::now(),
                }))
            }
        };
        Ok(tenant)
    }

    /// The public configuration of an enabled tenant (`GET .../config`),
    /// from the server database when it holds a usable answer (see
    /// [`public_config`]), else built from the tenant database and stored
    /// for the next request. Unknown -> 404, disabled -> 403.
    pub async fn public_config(&self, id: &TenantId) -> Result<bytes::Bytes, AppError> {
        use public_config::Lookup;
        let remembered = self.public.remembered(id);
        let in_memory = remembered.as_ref().map(|(generation, _)| *generation);
        let (public, key) = (Arc::clone(&self.public), id.clone());
        let (name, max_attachment_bytes, fill_if) =
            match db::blocking(move || public.lookup(&key, remembered)).await? {
                Lookup::Unknown => {
                    return Err(AppError::new(
                        ErrorCode::TenantNotFound,
                        format!("no tenant {id}"),
                    ))
                }
                Lookup::Disabled => {
                    return Err(AppError::new(
                        ErrorCode::TenantDisabled,
                        format!("tenant {id} is disabled"),
                    ))
                }
                Lookup::Stored { generation, answer } => {
                    if in_memory != Some(generation) {
                        self.public.remember(id, generation, answer.clone());
                    }
                    return Ok(answer);
                }
                Lookup::Build {
                    name,
                    max_attachment_bytes,
                    fill_if,
                } => (name, max_attachment_bytes, fill_if),
            };
        let tenant = self.get_even_disabled(id).await?;
        let built = {
            let (key, name) = (id.clone(), name.clone());
            tenant
                .db
                .call(move |conn| {
                    Ok(public_config::answer(
                        conn,
                        &key,
                        &name,
                        max_attachment_bytes,
                    )?)
                })
                .await?
        };
        let built = bytes::Bytes::from(built);
        if let Some(fill_if) = fill_if {
            let (key, stored) = (id.clone(), built.clone());
            let filled = self
                .server_db
                .call(move |conn| {
                    Ok(public_config::fill(
                        conn,
                        &key,
                        fill_if,
                        &name,
                        max_attachment_bytes,
                        &stored,
                    )?)
                })
                .await;
            if let Err(e) = filled {
                tracing::warn!(error = %e, tenant = %id, "could not store the public configuration");
            }
        }
        Ok(built)
    }

    /// The ids of every tenant, disabled ones too (for the daily lifecycle
    /// task).
    pub async fn all_ids(&self) -> Result<Vec<TenantId>, AppError> {
        self.server_db
            .call(|conn| {
                let ids = conn
                    .prepare_cached("SELECT id FROM tenants ORDER BY id")?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(ids.iter().filter_map(|id| TenantId::new(id).ok()).collect())
            })
            .await
    }

    async fn load_record(&self, id: &TenantId) -> Result<TenantRecord, AppError> {
        let key = id.clone();
        let record = self
            .server_db
            .call(move |conn| Ok(read_record(conn, &key)?))
            .await?;
        record.ok_or_else(|| AppError::new(ErrorCode::TenantNotFound, format!("no tenant {id}")))
    }

    /// Forgets `id`'s open database (in a cluster: the tenant moved to
    /// another node); the future completes once its worker closed it (the
    /// requests still under way hold it open until they end), after which
    /// a new copy may take its place on disk.
    pub(crate) fn close(&self, id: &TenantId) -> impl std::future::Future<Output = ()> + Send {
        let entry = self
            .cache
            .lock()
            .expect("tenant cache lock is never poisoned")
            .entries
            .remove(id);
        let closed = entry.map(|entry| entry.tenant.db.closed());
        async move {
            if let Some(closed) = closed {
                closed.await;
            }
        }
    }

    /// Inserts (or replaces) an open tenant, evicting the least recently
    /// used one when full. An evicted tenant's worker stops once the last
    /// request using it is done.
    fn insert(&self, tenant: Arc<OpenTenant>) -> Arc<OpenTenant> {
        let mut cache = self
            .cache
            .lock()
            .expect("tenant cache lock is never poisoned");
        cache.clock += 1;
        let now = cache.clock;
        let id = tenant.id().clone();
        if !cache.entries.contains_key(&id) && cache.entries.len() >= self.capacity {
            let oldest = cache
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                cache.entries.remove(&oldest);
            }
        }
        cache.entries.insert(
            id,
            CacheEntry {
                tenant: tenant.clone(),
                last_used: now,
            },
        );
        tenant
    }
}
