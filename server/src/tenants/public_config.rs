//! A tenant's public configuration (`GET /api/v1/t/{tenant}/config`: what
//! a reporter's browser needs to seal a report) answered without opening
//! the tenant's database.
//!
//! The answer is built from the tenant database (languages, questionnaire,
//! active advisors, recovery key, voice) and the tenant's row in the server
//! database (id, name, largest attachment). Its bytes are kept in the
//! server database, table `public_configs`, one row per tenant, and the
//! server answers from there (and from a bounded copy in memory, checked
//! against the row's `generation` on every request). A tenant database is
//! opened only when the row cannot be used.
//!
//! Never stale. Everything that changes a tenant's public configuration
//! goes through the operator's tools ([`crate::admin`], which may run in
//! another process while the server serves) and follows [`Change`]:
//! 1. before the tenant database changes: `pending + 1`, a new generation,
//!    the answer removed (committed);
//! 2. the change is committed in the tenant database;
//! 3. then, built from the tenant database as it is now: `pending - 1`, a
//!    new generation, and the answer, stored only if no other change is
//!    under way (`pending` back at 0).
//!
//! A row is used only while `pending` is 0, it holds an answer, and the
//! name and size limit it was built with are the tenant row's current
//! ones. The server fills a row that cannot be used ([`fill`]) only if the
//! row still has the generation it read *before* reading the tenant
//! database and no change is under way: a change that began before that
//! read either had finished (the read sees it) or shows as `pending`; one
//! that began after changed the generation, and the fill is dropped. A
//! change interrupted between 1 and 3 (a killed operator command) leaves
//! `pending` above 0: the tenant is then answered from its database, as
//! before this table existed, until its next change. Generations come from
//! one counter that only grows, so a copy in memory can never match a
//! newer row by accident (not even after the tenant was deleted and
//! created again).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use meldkluis_crypto_core::TenantId;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::{json, Value};

use super::{read_record, Layout};
use crate::db;
use crate::store;

/// The answer of `GET .../config`, as the server has always built it: the
/// same code serves the slow path and fills the table, so both give the
/// same bytes.
pub(crate) fn answer(
    conn: &Connection,
    id: &TenantId,
    name: &str,
    max_attachment_bytes: u64,
) -> rusqlite::Result<Vec<u8>> {
    let languages: Vec<&str> = store::languages(conn)?.iter().map(|l| l.tag()).collect();
    let questionnaire = store::questionnaire(conn)?;
    let advisors: Vec<Value> = store::advisors(conn, true)?
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "display_name": a.display_name,
                "public_key": a.public_key.to_hex(),
                "fingerprint": a.public_key.fingerprint(),
            })
        })
        .collect();
    let recovery = store::recovery_key(conn)?
        .map(|key| json!({ "public_key": key.to_hex(), "fingerprint": key.fingerprint() }));
    let accepting = recovery.is_some() && !advisors.is_empty();
    let voice = store::voice(conn)?;
    let value = json!({
        "tenant": id.as_str(),
        "name": name,
        "languages": languages,
        "questionnaire": questionnaire,
        "advisors": advisors,
        "recovery_key": recovery,
        "max_attachment_bytes": max_attachment_bytes,
        "accepting_reports": accepting,
        "voice": voice,
    });
    serde_json::to_vec(&value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// The next generation: one counter for every tenant, only ever growing.
fn next_generation(server: &Connection) -> rusqlite::Result<i64> {
    server
        .prepare_cached(
            "UPDATE public_config_generation SET last = last + 1 WHERE only = 1 RETURNING last",
        )?
        .query_row([], |r| r.get(0))
}

/// An operator's change of a tenant's public configuration under way
/// (steps 1 and 3 of the module's protocol): [`Change::begin`] before the
/// tenant database is changed, and when it is dropped (after the change
/// committed, or failed) the answer is built again from the tenant
/// database.
#[derive(Debug)]
pub struct Change<'a> {
    server: &'a Connection,
    tenant_db: PathBuf,
    tenant: TenantId,
}

impl<'a> Change<'a> {
    /// Step 1: marks the change as under way (committed before returning).
    pub fn begin(
        server: &'a Connection,
        layout: &Layout,
        tenant: &TenantId,
    ) -> rusqlite::Result<Self> {
        // Older answers (the tenant's name among them) leave no bytes
        // behind in freed space.
        server.pragma_update(None, "secure_delete", "ON")?;
        let tx = Transaction::new_unchecked(server, TransactionBehavior::Immediate)?;
        let generation = next_generation(&tx)?;
        tx.prepare_cached(
            "INSERT INTO public_configs (tenant, generation, pending) VALUES (?1, ?2, 1)
             ON CONFLICT (tenant) DO UPDATE SET generation = excluded.generation,
                 pending = pending + 1, answer = NULL",
        )?
        .execute(params![tenant.as_str(), generation])?;
        tx.commit()?;
        Ok(Self {
            server,
            tenant_db: layout.tenant_db(tenant),
            tenant: tenant.clone(),
        })
    }

    /// Step 3: the answer as the tenant database holds it now, stored if
    /// no other change is under way.
    fn finish(&self) -> rusqlite::Result<()> {
        let record = read_record(self.server, &self.tenant)?;
        let built = match &record {
            Some(record) if self.tenant_db.exists() => Some(answer(
                &db::open_tenant(&self.tenant_db)?,
                &self.tenant,
                &record.name,
                record.max_attachment_bytes,
            )?),
            _ => None,
        };
        let tx = Transaction::new_unchecked(self.server, TransactionBehavior::Immediate)?;
        let generation = next_generation(&tx)?;
        tx.prepare_cached(
            "UPDATE public_configs SET generation = ?2, pending = max(pending - 1, 0),
                 name = ?3, max_attachment_bytes = ?4,
                 answer = CASE WHEN pending <= 1 THEN ?5 ELSE NULL END
             WHERE tenant = ?1",
        )?
        .execute(params![
            self.tenant.as_str(),
            generation,
            record.as_ref().map(|r| r.name.as_str()),
            record
                .as_ref()
                .map(|r| i64::try_from(r.max_attachment_bytes).unwrap_or(i64::MAX)),
            built,
        ])?;
        tx.commit()
    }
}

impl Drop for Change<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            // Still marked as under way: the server answers this tenant
            // from its database until its next change.
            tracing::warn!(error = %e, tenant = %self.tenant, "could not store the public configuration");
        }
    }
}

/// Forgets every stored answer (a new generation for each row, no answer):
/// for a server database restored beside tenant databases copied at
/// another moment. Rows are filled again from the tenant databases.
pub fn forget_all(server: &Connection) -> rusqlite::Result<()> {
    let tx = Transaction::new_unchecked(server, TransactionBehavior::Immediate)?;
    let generation = next_generation(&tx)?;
    tx.execute(
        "UPDATE public_configs SET generation = ?1, answer = NULL",
        [generation],
    )?;
    tx.commit()
}

/// Forgets one tenant's stored answer: for a tenant database replaced
/// from elsewhere (a restore).
pub fn forget(server: &Connection, tenant: &TenantId) -> rusqlite::Result<()> {
    let tx = Transaction::new_unchecked(server, TransactionBehavior::Immediate)?;
    let generation = next_generation(&tx)?;
    tx.execute(
        "UPDATE public_configs SET generation = ?2, answer = NULL WHERE tenant = ?1",
        params![tenant.as_str(), generation],
    )?;
    tx.commit()
}

/// What the server database says about a tenant's public configuration.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// No such tenant.
    Unknown,
    /// The tenant is disabled.
    Disabled,
    /// The stored answer is good: its generation and bytes (the bytes in
    /// memory when they are of that generation: not read again).
    Stored { generation: i64, answer: Bytes },
    /// No usable answer: build it from the tenant database with this name
    /// and limit; `fill_if` is the row's state read now (`None`: no row),
    /// or no fill at all while a change is under way.
    Build {
        name: String,
        max_attachment_bytes: u64,
        fill_if: Option<FillIf>,
    },
}

/// The row state a fill must still find.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FillIf {
    /// There was no row.
    NoRow,
    /// The row had this generation and no change under way.
    Generation(i64),
}

/// The server's side: read-only connections to the server database and
/// the answers last served, in memory.
#[derive(Debug)]
pub(crate) struct PublicConfigs {
    server_db: PathBuf,
    readers: Mutex<Vec<Connection>>,
    memory: Mutex<Memory>,
}

/// Most bytes of answers kept in memory.
const MEMORY_BYTES: usize = 16 << 20;
/// Most idle read-only connections kept.
const READERS: usize = 32;

#[derive(Debug, Default)]
struct Memory {
    answers: HashMap<TenantId, (i64, Bytes)>,
    bytes: usize,
}

impl PublicConfigs {
    pub(crate) fn new(server_db: &Path) -> Self {
        Self {
            server_db: server_db.to_owned(),
            readers: Mutex::default(),
            memory: Mutex::default(),
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .expect("public configuration memory lock is never poisoned")
    }

    /// The answer in memory for `tenant`, if any, with its generation.
    pub(crate) fn remembered(&self, tenant: &TenantId) -> Option<(i64, Bytes)> {
        self.memory().answers.get(tenant).cloned()
    }

    /// Keeps `answer` (of `generation`) in memory, within [`MEMORY_BYTES`].
    pub(crate) fn remember(&self, tenant: &TenantId, generation: i64, answer: Bytes) {
        let mut memory = self.memory();
        if let Some((_, old)) = memory.answers.remove(tenant) {
            memory.bytes -= old.len();
        }
        while memory.bytes + answer.len() > MEMORY_BYTES {
            let Some(victim) = memory.answers.keys().next().cloned() else {
                return;
            };
            if let Some((_, old)) = memory.answers.remove(&victim) {
                memory.bytes -= old.len();
            }
        }
        memory.bytes += answer.len();
        memory.answers.insert(tenant.clone(), (generation, answer));
    }

    /// Reads the tenant's row and its public configuration's row (blocking:
    /// call on a blocking thread). `remembered` is the answer in memory
    /// ([`PublicConfigs::remembered`]), whose bytes are not read again
    /// while its generation is the row's.
    pub(crate) fn lookup(
        &self,
        tenant: &TenantId,
        remembered: Option<(i64, Bytes)>,
    ) -> rusqlite::Result<Lookup> {
        let reader = self
            .readers
            .lock()
            .expect("reader pool lock is never poisoned")
            .pop();
        let reader = match reader {
            Some(reader) => reader,
            None => {
                let conn = Connection::open(&self.server_db)?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                conn.pragma_update(None, "query_only", "ON")?;
                conn.pragma_update(None, "cache_size", -512)?;
                conn
            }
        };
        let found = Self::query(&reader, tenant, remembered);
        let mut readers = self
            .readers
            .lock()
            .expect("reader pool lock is never poisoned");
        if readers.len() < READERS {
            readers.push(reader);
        }
        found
    }

    fn query(
        conn: &Connection,
        tenant: &TenantId,
        remembered: Option<(i64, Bytes)>,
    ) -> rusqlite::Result<Lookup> {
        type Row = (
            bool,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            bool,
            Option<Vec<u8>>,
        );
        let row: Option<Row> = conn
            .prepare_cached(
                "SELECT t.disabled, t.name, t.max_attachment_bytes, p.generation, p.pending,
                        coalesce(p.pending = 0 AND p.answer IS NOT NULL AND p.name IS t.name
                            AND p.max_attachment_bytes IS t.max_attachment_bytes, 0),
                        CASE WHEN p.generation IS ?2 THEN NULL ELSE p.answer END
                 FROM tenants t LEFT JOIN public_configs p ON p.tenant = t.id
                 WHERE t.id = ?1",
            )?
            .query_row(
                params![tenant.as_str(), remembered.as_ref().map(|r| r.0)],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((disabled, name, max, generation, pending, usable, answer)) = row else {
            return Ok(Lookup::Unknown);
        };
        if disabled {
            return Ok(Lookup::Disabled);
        }
        // The row's bytes, or (not read: NULL) those in memory.
        let stored = match (usable, generation, answer, remembered) {
            (true, Some(generation), Some(bytes), _) => Some((generation, Bytes::from(bytes))),
            (true, Some(generation), None, Some((remembered, bytes)))
                if remembered == generation =>
            {
                Some((generation, bytes))
            }
            _ => None,
        };
        if let Some((generation, answer)) = stored {
            return Ok(Lookup::Stored { generation, answer });
        }
        Ok(Lookup::Build {
            name,
            max_attachment_bytes: u64::try_from(max).unwrap_or(0),
            fill_if: match (generation, pending) {
                (None, _) => Some(FillIf::NoRow),
                (Some(generation), Some(0)) => Some(FillIf::Generation(generation)),
                _ => None,
            },
        })
    }
}

/// Stores an answer built by the server from the tenant database, if the
/// row is still as it was read before the tenant database was (see the
/// module's protocol). True if stored.
pub(crate) fn fill(
    server: &Connection,
    tenant: &TenantId,
    fill_if: FillIf,
    name: &str,
    max_attachment_bytes: u64,
    built: &[u8],
) -> rusqlite::Result<bool> {
    let generation = next_generation(server)?;
    let max = i64::try_from(max_attachment_bytes).unwrap_or(i64::MAX);
    let changed = match fill_if {
        FillIf::NoRow => server
            .prepare_cached(
                "INSERT INTO public_configs (tenant, generation, pending, name, max_attachment_bytes, answer)
                 VALUES (?1, ?2, 0, ?3, ?4, ?5) ON CONFLICT (tenant) DO NOTHING",
            )?
            .execute(params![tenant.as_str(), generation, name, max, built])?,
        FillIf::Generation(read) => server
            .prepare_cached(
                "UPDATE public_configs SET generation = ?2, name = ?3, max_attachment_bytes = ?4,
                     answer = ?5
                 WHERE tenant = ?1 AND generation = ?6 AND pending = 0",
            )?
            .execute(params![tenant.as_str(), generation, name, max, built, read])?,
    };
    Ok(changed == 1)
}

/// Removes a tenant's row (with the tenant).
pub(crate) fn remove(server: &Connection, tenant: &TenantId) -> rusqlite::Result<()> {
    server.execute(
        "DELETE FROM public_configs WHERE tenant = ?1",
        [tenant.as_str()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_if(lookup: Lookup) -> Option<FillIf> {
        match lookup {
            Lookup::Build { fill_if, .. } => fill_if,
            other => panic!("expected Build, got {other:?}"),
        }
    }

    /// The server's fill races with an operator's change in every order the
    /// protocol allows: a fill based on a read from before the change began
    /// (or while it is under way) is dropped.
    #[test]
    fn a_fill_read_before_a_change_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = Layout::new(dir.path());
        let server = db::open(&layout.server_db(), db::SERVER_MIGRATIONS).expect("server db");
        server
            .execute(
                "INSERT INTO tenants (id, name, created_day, max_attachment_bytes)
                 VALUES ('t', 'T', '2026-01-01', 10)",
                [],
            )
            .expect("tenant");
        let id = TenantId::new("t").expect("id");
        let configs = PublicConfigs::new(&layout.server_db());
        let lookup = || configs.lookup(&id, None).expect("lookup");

        // No row yet; a change begins after the server read.
        let read = fill_if(lookup()).expect("may fill");
        assert!(matches!(read, FillIf::NoRow));
        let change = Change::begin(&server, &layout, &id).expect("begin");
        assert!(!fill(&server, &id, read, "T", 10, b"stale").expect("fill"));
        assert!(fill_if(lookup()).is_none(), "no fill while under way");
        drop(change);

        // A whole change between the read and the fill.
        let read = fill_if(lookup()).expect("may fill");
        drop(Change::begin(&server, &layout, &id).expect("begin"));
        assert!(!fill(&server, &id, read, "T", 10, b"stale").expect("fill"));

        // Nothing in between: stored, and served while name and limit hold.
        let read = fill_if(lookup()).expect("may fill");
        assert!(fill(&server, &id, read, "T", 10, b"fresh").expect("fill"));
        let Lookup::Stored { generation, answer } = lookup() else {
            panic!("stored");
        };
        assert_eq!(&answer[..], b"fresh");
        let memory = Bytes::from_static(b"in memory");
        match configs
            .lookup(&id, Some((generation, memory.clone())))
            .expect("lookup")
        {
            Lookup::Stored { answer, .. } if answer == memory => {}
            other => panic!("the bytes in memory are current: {other:?}"),
        }
        server
            .execute("UPDATE tenants SET name = 'Renamed'", [])
            .expect("rename");
        assert!(fill_if(lookup()).is_some(), "built again after a rename");
        server
            .execute("UPDATE tenants SET disabled = 1", [])
            .expect("disable");
        assert!(matches!(lookup(), Lookup::Disabled));
        remove(&server, &id).expect("remove");
        server.execute("DELETE FROM tenants", []).expect("delete");
        assert!(matches!(lookup(), Lookup::Unknown));
    }

    #[test]
    fn the_memory_stays_within_its_bound() {
        let configs = PublicConfigs::new(Path::new("unused"));
        let big = Bytes::from(vec![b'x'; MEMORY_BYTES / 3]);
        for i in 0..10 {
            let id = TenantId::new(&format!("t{i}")).expect("id");
            configs.remember(&id, i, big.clone());
            assert!(configs.memory().bytes <= MEMORY_BYTES);
        }
        assert!(configs.memory().answers.len() <= 3);
        let last = TenantId::new("t9").expect("id");
        assert_eq!(configs.remembered(&last).map(|(g, _)| g), Some(9));
    }
}
