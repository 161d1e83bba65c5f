//! The daily lifecycle task: deleting what the tenant's retention period
//! says must go, so that it is gone from the database file, its WAL and
//! the attachment directory.
//!
//! Once a day per server (and at start), for every tenant, a disabled one
//! too (the retention period does not pause while the operator has a
//! tenant disabled):
//!
//! 1. The notice address of every closed report whose deletion day has
//!    come (the tenant's retention period after closure, or a longer
//!    hold) is removed from the e-mail store, if the reporter left one
//!    after closure. Then, in one job of the tenant's worker, the reports
//!    still due are written to the deletion log (fsynced) *before*
//!    anything is deleted, so a restore of an older backup deletes them
//!    again ([`crate::deletion_log`]), and their rows are deleted
//!    ([`retention::purge_report`]: items, messages, attachment records,
//!    grants, recipients, events, mailbox credentials; the register line
//!    keeps its `deleted_day`). Deciding, logging and deleting in one job
//!    means a report reopened or held a moment before is neither logged
//!    nor deleted. Then the attachment files are removed.
//! 2. Every register line of a deleted report whose register period ended
//!    is logged, then deleted (one job, too).
//! 3. A reporter who left an address gets the mailbox's silence warning
//!    by e-mail (a plain "a message is waiting" notice), once per silence,
//!    recorded as a `silence_warning` event.
//! 4. If anything was deleted: `PRAGMA incremental_vacuum` hands the freed
//!    pages back to the file system, a `VACUUM` rewrites every page (an
//!    older copy of a cell moved by a b-tree rebalance can sit in the
//!    unused middle of a page `secure_delete` never touches), and a
//!    `wal_checkpoint(TRUNCATE)` copies the pages into the database file
//!    and empties the WAL, so no old frame holding the deleted ciphertext
//!    stays in it ([`compact`]). `secure_delete` (on for every tenant
//!    connection, see [`crate::db::open_tenant`]) has overwritten the
//!    deleted cells and freed pages with zeros. A tenant whose compaction
//!    failed is compacted again on the next run.
//!
//! [`run_day`] is public so tests (and the restore test) can run a day
//! with the clock moved.

use std::path::{Path, PathBuf};
use std::time::Duration;

use meldkluis_crypto_core::TenantId;

use crate::dates::Day;
use crate::deletion_log::Entry;
use crate::error::{AppError, ErrorCode};
use crate::{db, retention, store, AppState};

/// How often the task looks whether a new day has begun.
const CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// How often the `VACUUM` and the `wal_checkpoint(TRUNCATE)` after a
/// deletion are tried while readers or the checkpointer hold the WAL.
const CHECKPOINT_TRIES: u32 = 50;

/// The tenants whose compaction after a deletion has not yet succeeded
/// (held while a day's run goes on: one run at a time per server).
#[derive(Debug, Default)]
pub struct Pending(std::collections::HashSet<TenantId>);

/// What one day's run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DayReport {
    /// Tenants looked at.
    pub tenants: usize,
    /// Reports deleted.
    pub reports_deleted: usize,
    /// Register lines deleted at the end of their period.
    pub register_lines_deleted: usize,
    /// Tenants where something failed (logged; tried again next run).
    pub failed: usize,
}

/// Runs the lifecycle of `today` for every tenant (disabled ones too). One run at a
/// time per server; running the same day twice deletes nothing twice.
pub async fn run_day(state: &AppState, today: Day) -> Result<DayReport, AppError> {
    let mut pending = state.lifecycle_lock().lock().await;
    let mut report = DayReport::default();
    for id in state.tenants().all_ids().await? {
        report.tenants += 1;
        match run_tenant(state, &id, today, &mut pending).await {
            Ok((reports, lines)) => {
                report.reports_deleted += reports;
                report.register_lines_deleted += lines;
            }
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::TenantDisabled | ErrorCode::TenantNotFound
                ) => {}
            Err(e) => {
                tracing::error!(tenant = %id, error = %e, "lifecycle of a tenant failed; will retry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The lifecycle of one tenant on `today`: (reports deleted, register
/// lines deleted).
async fn run_tenant(
    state: &AppState,
    id: &TenantId,
    today: Day,
    pending: &mut Pending,
) -> Result<(usize, usize), AppError> {
    if !pending.0.contains(id) {
        let path = state.tenants().layout().tenant_db(id);
        if db::blocking(move || nothing_due(&path, today)).await {
            return Ok((0, 0));
        }
    }
    let tenant = state.tenants().get_even_disabled(id).await?;
    let due = tenant
        .db
        .call(move |conn| Ok(store::deletions_until(conn, None, today)?))
        .await?;
    // A notice address the reporter left after closure goes first: once
    // the report is gone, nothing could find it again (it is keyed by the
    // mailbox id).
    for d in &due {
        state
            .notices()
            .delete_reporter_address(id, &d.mailbox_id)
            .await?;
    }
    // The decision, the log entry and the deletion in one job: a report
    // reopened or held in the meantime is neither logged nor deleted.
    let (log_state, tenant_id) = (state.clone(), id.clone());
    let (reports, attachments) = tenant
        .db
        .call(move |conn| {
            let due = store::deletions_until(conn, None, today)?;
            if due.is_empty() {
                return Ok((Vec::new(), Vec::new()));
            }
            let entries: Vec<Entry> = due
                .iter()
                .map(|d| Entry::Report {
                    day: today,
                    tenant: tenant_id.clone(),
                    report_id: d.report_id,
                })
                .collect();
            append_to_log(&log_state, &entries)?;
            let mut files = Vec::new();
            let mut purged = Vec::new();
            for d in &due {
                if let Some(ids) = retention::purge_report(conn, &d.report_id, today)? {
                    files.extend(ids);
                    purged.push(d.report_id);
                }
            }
            Ok((purged, files))
        })
        .await?;
    // A reporter still logged in to a deleted report's mailbox is logged out.
    for report_id in &reports {
        state.sessions().end_mailbox(id, *report_id);
    }
    let reports = reports.len();
    // The rows are deleted and committed: now the files, then their
    // objects in the object store (when there is one).
    remove_attachment_files(&tenant.attachments_dir, attachments.clone()).await?;
    if let Some(objects) = state.objects() {
        // A store that fails here leaves objects no row names (sealed,
        // unreadable without the keys); the rest of the day's deletions
        // must not wait for it.
        if let Err(e) = objects.delete_attachments(id, &attachments).await {
            tracing::error!(tenant = %id, error = %e, "attachment objects of deleted reports not deleted");
        }
    }

    let (log_state, tenant_id) = (state.clone(), id.clone());
    let lines = tenant
        .db
        .call(move |conn| {
            let ended = store::register_lines_ended(conn, today)?;
            if ended.is_empty() {
                return Ok(0);
            }
            let entries: Vec<Entry> = ended
                .iter()
                .map(|number| Entry::Register {
                    day: today,
                    tenant: tenant_id.clone(),
                    number: u64::try_from(*number).unwrap_or(0),
                })
                .collect();
            append_to_log(&log_state, &entries)?;
            let mut deleted = 0;
            for number in &ended {
                deleted += usize::from(store::delete_register_line(conn, *number)?);
            }
            Ok(deleted)
        })
        .await?;
    let follow_ups = purge_expired_follow_ups(state, &tenant, today).await?;
    if follow_ups > 0 {
        tracing::info!(tenant = %id, follow_ups, "follow-up mailboxes nobody joined deleted");
        pending.0.insert(id.clone());
    }
    if !tenant.record.disabled {
        // A disabled tenant's reporters cannot reach their mailbox.
        warn_of_silence(state, &tenant, today).await?;
    }
    if reports > 0 || lines > 0 {
        tracing::info!(tenant = %id, reports, register_lines = lines, "deleted at the end of their retention");
        pending.0.insert(id.clone());
    }
    if pending.0.contains(id) {
        compact(&tenant.db, state.tenants().layout().tenant_db(id)).await?;
        pending.0.remove(id);
    }
    Ok((reports, lines))
}

/// True if a tenant's database has nothing due on `today`: no report to
/// delete, no register line to delete, no silence warning to send. Read
/// on a read-only connection of its own, so the daily run over thousands
/// of tenants neither opens their workers nor pushes the tenants in use
/// out of the cache. Any doubt (a database not yet migrated, an error)
/// answers false, and the tenant goes the full way.
fn nothing_due(path: &Path, today: Day) -> bool {
    let check = || -> rusqlite::Result<bool> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let version = db::user_version(&conn)?;
        if version != db::TENANT_MIGRATIONS.len() {
            return Ok(false);
        }
        Ok(store::deletions_until(&conn, None, today)?.is_empty()
            && store::register_lines_ended(&conn, today)?.is_empty()
            && store::silence_warnings_due(&conn, today)?.is_empty()
            && crate::follow_up::expired(&conn, today)?.is_empty())
    };
    check().unwrap_or(false)
}

/// Deletes the follow-up mailboxes nobody joined before their last day
/// (issue 13): their notice addresses first (keyed by the mailbox id,
/// nothing could find them after), then the rows. A follow-up is no
/// report: it has no register line and no deletion-log entry. A reporter
/// still logged in to one finds it gone on the next request. Returns how
/// many were deleted.
async fn purge_expired_follow_ups(
    state: &AppState,
    tenant: &crate::tenants::OpenTenant,
    today: Day,
) -> Result<usize, AppError> {
    let expired = tenant
        .db
        .call(move |conn| Ok(crate::follow_up::expired(conn, today)?))
        .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    for mailbox_id in &expired {
        state
            .notices()
            .delete_reporter_address(tenant.id(), mailbox_id)
            .await?;
    }
    let purged = tenant
        .db
        .call(move |conn| Ok(crate::follow_up::purge_expired(conn, today)?))
        .await?;
    Ok(purged.len())
}

/// Sends the mailbox's silence warning by e-mail to reporters who left an
/// address, once per silence: the notice ("a message is waiting", nothing
/// more) first, then a `silence_warning` event, so a failure between the
/// two sends it again rather than never.
async fn warn_of_silence(
    state: &AppState,
    tenant: &crate::tenants::OpenTenant,
    today: Day,
) -> Result<(), AppError> {
    let due = tenant
        .db
        .call(move |conn| Ok(store::silence_warnings_due(conn, today)?))
        .await?;
    for warning in due {
        state
            .notices()
            .queue_reporter_notice(
                &tenant.record,
                &warning.mailbox_id,
                state.clock().now_unix_ms(),
            )
            .await?;
        let (day, offered) = (today.to_string(), warning.close_offered_from.to_string());
        tenant
            .db
            .call(move |conn| {
                Ok(store::insert_event(
                    conn,
                    &warning.report_id,
                    &day,
                    "silence_warning",
                    None,
                    Some(&offered),
                )?)
            })
            .await?;
    }
    Ok(())
}

/// Appends entries to the deletion log and fsyncs it, inside the job that
/// then deletes what they record (before its commit; on the worker
/// thread, once a day).
fn append_to_log(state: &AppState, entries: &[Entry]) -> Result<(), AppError> {
    state
        .deletion_log()
        .append(entries)
        .map_err(|e| AppError::internal(format!("deletion log: {e}")))
}

/// Removes the files of deleted attachments (already gone is fine).
async fn remove_attachment_files(dir: &Path, ids: Vec<[u8; 16]>) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let dir = dir.to_owned();
    db::blocking(move || {
        for id in ids {
            match std::fs::remove_file(dir.join(retention::attachment_file_name(&id))) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(AppError::from(e)),
            }
        }
        Ok(())
    })
    .await
}

/// Leaves neither in the database file nor in its WAL a byte of what was
/// deleted: hands the freed pages back (`incremental_vacuum`, in the
/// worker's transaction), rewrites every page (`VACUUM`) and empties the
/// WAL (`wal_checkpoint(TRUNCATE)`).
///
/// `secure_delete` zeroes a deleted row's cells and the pages it freed,
/// but not an older copy of a cell that a b-tree rebalance left in the
/// unused middle of a page still in use (the backup helper found one:
/// `backup::a_report_deleted_after_a_backup_stays_deleted_when_the_backup_is_restored`),
/// so the file is rewritten, once a day and only when something was
/// deleted.
///
/// Neither the `VACUUM` nor the checkpoint can run on the worker's
/// connection (every job runs inside the worker's transaction, and both
/// need none open), so they run on a connection of their own once the
/// deletion is committed. They wait for the worker's write lock through
/// the busy time-out and are tried again while a reader or the
/// checkpointer thread holds the WAL; requests wait meanwhile (the
/// worker's busy time-out is 10 s).
///
/// A replicated database gets the `VACUUM` but no checkpoint: Litestream
/// checkpoints it alone (see `AckGate::checkpoints_itself`), and its next
/// checkpoint restarts the WAL over the old pages. (A `TRUNCATE` beside
/// Litestream's long read transaction would also wait in vain.)
pub async fn compact(tenant_db: &db::Db, path: PathBuf) -> Result<(), AppError> {
    tenant_db.call(|conn| Ok(incremental_vacuum(conn)?)).await?;
    let truncate = !tenant_db.replicator_checkpoints();
    if db::blocking(move || rewrite_and_truncate(&path, truncate)).await? {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::Unavailable,
            "the database could not be rewritten and its WAL emptied after deletion; tried again next run",
        ))
    }
}

/// Hands every free page back to the file system. The pragma frees one
/// page per step: it is stepped until done (`execute_batch` would step
/// once and free one page).
pub(crate) fn incremental_vacuum(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    let mut statement = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut rows = statement.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

/// True for the errors of a lock held by another connection.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// `VACUUM`, then (if `truncate`) `wal_checkpoint(TRUNCATE)`, on a
/// connection of their own, each tried while another connection holds the
/// database: false if that never ended. After a deletion (here, and when a
/// restore or a start applies the deletion log), so that neither the file
/// nor the WAL keeps a page of what was deleted.
pub(crate) fn rewrite_and_truncate(path: &Path, truncate: bool) -> rusqlite::Result<bool> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // The `VACUUM` writes the whole database into the WAL: its commit must
    // not start SQLite's automatic checkpoint (a replicated database is
    // checkpointed by Litestream alone; the truncate below is explicit).
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    let mut vacuumed = false;
    let mut wait = Duration::from_millis(5);
    for _ in 0..CHECKPOINT_TRIES {
        if !vacuumed {
            match conn.execute_batch("VACUUM") {
                Ok(()) => vacuumed = true,
                Err(e) if is_busy(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if vacuumed && !truncate {
            return Ok(true);
        }
        if vacuumed {
            match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            }) {
                Ok(0) => return Ok(true),
                // 1: a reader or writer held the WAL.
                Ok(_) => {}
                Err(e) if is_busy(&e) => {}
                Err(e) => return Err(e),
            }
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_millis(200));
    }
    Ok(false)
}

/// The background task: at start and whenever a new day has begun, the
/// day's lifecycle. Ends when `stop` turns true.
pub(crate) async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut done: Option<Day> = None;
    loop {
        if *stop.borrow() {
            return;
        }
        let today = state.clock().today();
        if done != Some(today) {
            match run_day(&state, today).await {
                Ok(report) => {
                    if report.failed == 0 {
                        done = Some(today);
                    }
                }
                Err(e) => tracing::error!(error = %e, "lifecycle run failed; will retry"),
            }
        }
        tokio::select! {
            () = tokio::time::sleep(CHECK_INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free_pages(conn: &rusqlite::Connection) -> i64 {
        conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))
            .expect("freelist")
    }

    #[test]
    fn the_incremental_vacuum_frees_every_page_inside_a_job() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = db::open_tenant(&dir.path().join("t.sqlite")).expect("open");
        conn.execute_batch("CREATE TABLE b (x BLOB)")
            .expect("table");
        for _ in 0..50 {
            conn.execute("INSERT INTO b VALUES (randomblob(5000))", [])
                .expect("insert");
        }
        conn.execute_batch("DELETE FROM b").expect("delete");
        assert!(free_pages(&conn) > 50, "the deletion freed pages");
        // As the worker runs a job: in a transaction, inside a savepoint.
        conn.execute_batch("BEGIN IMMEDIATE; SAVEPOINT job")
            .expect("begin");
        incremental_vacuum(&conn).expect("vacuum");
        conn.execute_batch("RELEASE job; COMMIT").expect("commit");
        assert_eq!(free_pages(&conn), 0);
    }
}
