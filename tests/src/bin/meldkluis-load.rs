//! `meldkluis-load`: the server's load benchmark, run on demand (not in CI):
//!
//! ```text
//! cargo build --release -p meldkluis-server -p meldkluis-tests
//! target/release/meldkluis-load [--reports N] [--clients N] [--tenants N] [--attachment-mib N]
//!     [--only reports|logins|attachment|tenants]... [--server-toml LINE]...
//! ```
//!
//! `--only` runs the named phases only (repeat it for several; the
//! reports phase also runs when log-ins are named, which need its
//! reports); `--server-toml` adds a line to the server's configuration
//! (e.g. `group_commit_max = 64`), to compare settings run against run.
//!
//! Starts the real `meldkluis-server` binary (found beside this one, or
//! `--server-bin PATH`) on a fresh data directory and measures, each next to
//! two baselines taken in the same run (the same HTTP stack answering
//! without touching SQLite, and a bare loop of the same durable SQLite
//! work):
//! - sealed 4 KiB reports from concurrent clients, durably committed;
//! - mailbox log-ins;
//! - the server's resident memory while a 100 MiB attachment streams in;
//! - 10,000 tenants, requests to random ones, and resident memory after.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use meldkluis_crypto_core::{
    ItemId, ItemKind, ItemSealer, SealParams, StaticKey, StaticSecret, TenantId,
};
use meldkluis_server::admin::Admin;
use meldkluis_server::Config;
use meldkluis_tests::load::{
    create_tenant, drive, proc_status, server_bin_beside, status_kib, Figures, Flags, Request,
    SealedReport, Server,
};
use meldkluis_tests::{b64, seal};
use rand::{Rng, RngCore};
use serde_json::json;

struct Args {
    reports: usize,
    clients: usize,
    tenants: usize,
    attachment_mib: u64,
    server_bin: PathBuf,
    only: Vec<String>,
    server_toml: Vec<String>,
}

impl Args {
    fn runs(&self, phase: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == phase)
    }
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        reports: 30_000,
        clients: 64,
        tenants: 10_000,
        attachment_mib: 100,
        server_bin: server_bin_beside()?,
        only: Vec::new(),
        server_toml: Vec::new(),
    };
    let mut flags = Flags::from_env();
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--reports" => args.reports = flags.value()?,
            "--clients" => args.clients = flags.value()?,
            "--tenants" => args.tenants = flags.value()?,
            "--attachment-mib" => args.attachment_mib = flags.value()?,
            "--server-bin" => args.server_bin = flags.value()?,
            "--only" => {
                let phase: String = flags.value()?;
                anyhow::ensure!(
                    ["reports", "logins", "attachment", "tenants"].contains(&phase.as_str()),
                    "--only: reports, logins, attachment or tenants, not {phase}"
                );
                args.only.push(phase);
            }
            "--server-toml" => args.server_toml.push(flags.value()?),
            _ => return Err(flags.unknown()),
        }
    }
    Ok(args)
}

/// [`drive`], every answer with status `expect`.
async fn drive_ok(
    http: &reqwest::Client,
    clients: usize,
    requests: Vec<Request>,
    expect: u16,
) -> anyhow::Result<Figures> {
    drive(http, clients, Arc::new(requests), expect)
        .await?
        .all_ok()
}

/// The bare SQLite baseline: the same durable inserts (report row and its
/// recipients), one transaction each or in batches.
fn sqlite_insert_baseline(
    dir: &Path,
    bodies: &[(Vec<u8>, [u8; 16])],
    batch: usize,
) -> anyhow::Result<f64> {
    let path = dir.join(format!("baseline-{batch}.sqlite"));
    let conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE reports (id BLOB PRIMARY KEY, mailbox_id BLOB UNIQUE, item BLOB, day TEXT);
         CREATE TABLE rr (report_id BLOB, key BLOB, PRIMARY KEY (report_id, key)) WITHOUT ROWID;",
    )?;
    let started = Instant::now();
    let mut done = 0;
    for chunk in bodies.chunks(batch) {
        let tx = conn.unchecked_transaction()?;
        for (item, id) in chunk {
            tx.prepare_cached("INSERT INTO reports VALUES (?1, ?2, ?3, '2026-01-01')")?
                .execute(rusqlite::params![id, id, item])?;
            for k in 0..4u8 {
                tx.prepare_cached("INSERT INTO rr VALUES (?1, ?2)")?
                    .execute(rusqlite::params![id, [k; 32]])?;
            }
        }
        tx.commit()?;
        done += chunk.len();
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// The bare SQLite baseline for log-ins: point lookups by mailbox id.
fn sqlite_lookup_baseline(db: &Path, ids: &[[u8; 16]]) -> anyhow::Result<f64> {
    let conn = rusqlite::Connection::open(db)?;
    let started = Instant::now();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(2) {
        for id in ids.iter().take(10_000) {
            let _: Option<Vec<u8>> = rusqlite::OptionalExtension::optional(
                conn.prepare_cached("SELECT auth_hash FROM reports WHERE mailbox_id = ?1")?
                    .query_row([id], |r| r.get(0)),
            )?;
            n += 1;
        }
    }
    Ok(f64::from(n) / started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = tempfile::Builder::new()
        .prefix("meldkluis-load-")
        .tempdir_in(std::env::temp_dir())?;
    let data = dir.path().join("data");
    let config_path = dir.path().join("server.toml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir = {:?}\nbench_baseline_endpoint = true\nlogin_per_second_global = 1000000\n\
             login_burst_per_mailbox = 1000\nlogin_per_minute_per_mailbox = 60000\n{}",
            data.display().to_string(),
            args.server_toml
                .iter()
                .map(|line| format!("{line}\n"))
                .collect::<String>()
        ),
    )?;
    let config = Config::from_file(&config_path)?;
    let admin = Admin::open(&config)?;
    let load = create_tenant(&admin, "load", "Load test", 2)?;
    let tenant = load.id.clone();
    let mut rng = meldkluis_crypto_core::os_rng();
    let server = Server::start(&args.server_bin, &config_path)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    println!(
        "meldkluis-load: {} clients, data in {}",
        args.clients,
        data.display()
    );

    // Pre-seal the reports (4 KiB content each), on all cores.
    let started = Instant::now();
    let recipients_base = &load.recipients;
    let with_reports = args.runs("reports") || args.runs("logins");
    let per_thread = if with_reports {
        args.reports.div_ceil(2)
    } else {
        0
    };
    let sealed: Vec<SealedReport> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let load = &load;
                s.spawn(move || {
                    (0..per_thread)
                        .map(|_| SealedReport::new(load))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("sealing thread"))
            .collect()
    });
    let url = |path: &str| format!("{}/api/v1/t/load{path}", server.base);
    if with_reports {
        println!(
            "sealed {} reports of {} bytes ({} bytes of JSON each) in {:.1} s",
            sealed.len(),
            sealed[0].item.len(),
            sealed[0].body.len(),
            started.elapsed().as_secs_f64()
        );

        // Reports: baseline without SQLite, then the real thing, then bare SQLite.
        let warmup: Vec<_> = sealed
            .iter()
            .take(2000)
            .map(|s| (url("/bench/reports-no-store"), None, Some(s.body.clone())))
            .collect();
        drive_ok(&http, args.clients, warmup, 201).await?;
        let baseline: Vec<_> = sealed
            .iter()
            .map(|s| (url("/bench/reports-no-store"), None, Some(s.body.clone())))
            .collect();
        let stack = drive_ok(&http, args.clients, baseline, 201).await?;
        let real: Vec<_> = sealed
            .iter()
            .map(|s| (url("/reports"), None, Some(s.body.clone())))
            .collect();
        let reports = drive_ok(&http, args.clients, real, 201).await?;
        let rows: Vec<(Vec<u8>, [u8; 16])> = sealed
            .iter()
            .map(|s| (s.item.clone(), s.report_id))
            .collect();
        let bare_single = sqlite_insert_baseline(dir.path(), &rows, 1)?;
        let bare_batch = sqlite_insert_baseline(dir.path(), &rows, 64)?;
        println!(
            "\nreports (sealed 4 KiB, durable), {} clients:",
            args.clients
        );
        println!("  server, durable group commit : {reports}");
        println!("  baseline: same stack, no SQLite: {stack}");
        println!("  baseline: bare SQLite, 1 insert/commit : {bare_single:>9.0}/s");
        println!("  baseline: bare SQLite, 64 inserts/commit: {bare_batch:>9.0}/s");
        println!(
            "  server / bare 64 per commit     : {:.2}",
            reports.per_second / bare_batch
        );
    }

    // Log-ins.
    if args.runs("logins") {
        let logins: Vec<_> = sealed
        .iter()
        .cycle()
        .take(sealed.len().max(40_000))
        .map(|s| {
            let body = json!({ "mailbox_id": hex::encode(s.mailbox_id), "auth_secret": hex::encode(s.auth_secret) })
                .to_string();
            (url("/mailbox/login"), None, Some(bytes::Bytes::from(body)))
        })
        .collect();
        let login_figures = drive_ok(&http, args.clients, logins, 200).await?;
        let health: Vec<_> = (0..40_000)
            .map(|_| (format!("{}/healthz", server.base), None, None))
            .collect();
        let health_figures = drive_ok(&http, args.clients, health, 200).await?;
        let ids: Vec<[u8; 16]> = sealed.iter().map(|s| s.mailbox_id).collect();
        let bare_lookup = sqlite_lookup_baseline(&data.join("tenants/load/tenant.sqlite"), &ids)?;
        println!("\nmailbox log-ins, {} clients:", args.clients);
        println!("  server                          : {login_figures}");
        println!("  baseline: same stack, no SQLite: {health_figures}   (GET /healthz)");
        println!("  baseline: bare SQLite lookups   : {bare_lookup:>9.0}/s");
    }
    drop(sealed);

    // A big attachment, streamed: the server's memory before, during, after.
    if args.runs("attachment") {
        let (rss_before, _) = server.memory_kib();
        let content_len = args.attachment_mib << 20;
        let attachment_mailbox = {
            // The attachment must come from the report's mailbox key: make a
            // fresh report whose key we keep.
            let key = StaticSecret::generate(&mut rng);
            let mut recipients = vec![key.public_key()];
            recipients.extend_from_slice(recipients_base);
            let id = ItemId::random(&mut rng);
            let item = seal(
                ItemKind::Report,
                &tenant,
                id,
                id,
                &key,
                &recipients,
                b"attachment test",
            );
            let mut mailbox_id = [0u8; 16];
            rng.fill_bytes(&mut mailbox_id);
            let body = json!({
                "item": b64(&item), "mailbox_id": hex::encode(mailbox_id),
                "mailbox_public_key": key.public_key().to_hex(), "auth_secret": hex::encode([5u8; 32]),
            });
            anyhow::ensure!(
                http.post(url("/reports"))
                    .json(&body)
                    .send()
                    .await?
                    .status()
                    == 201,
                "report for attachment"
            );
            let login = json!({ "mailbox_id": hex::encode(mailbox_id), "auth_secret": hex::encode([5u8; 32]) });
            let answer: serde_json::Value = http
                .post(url("/mailbox/login"))
                .json(&login)
                .send()
                .await?
                .json()
                .await?;
            (
                key,
                id,
                recipients,
                answer["token"].as_str().context("token")?.to_owned(),
            )
        };
        let (key, attach_report, recipients, attach_token) = attachment_mailbox;
        let params = SealParams {
            kind: ItemKind::Attachment,
            tenant: &tenant,
            item_id: ItemId::random(&mut rng),
            report_id: attach_report,
            sender: &key,
            recipients: &recipients,
        };
        let (sealer, header) = ItemSealer::new(&params, content_len, &mut rng)?;
        let chunk = 256 * 1024u64;
        let stream = futures_util::stream::unfold(
            (Some(sealer), Some(header), 0u64),
            move |(sealer, header, sent)| async move {
                if let Some(header) = header {
                    return Some((
                        Ok::<_, std::io::Error>(bytes::Bytes::from(header)),
                        (sealer, None, sent),
                    ));
                }
                let mut sealer = sealer?;
                if sent >= content_len {
                    let last = sealer.finish().expect("finish sealing");
                    return Some((Ok(bytes::Bytes::from(last)), (None, None, sent)));
                }
                let n = chunk.min(content_len - sent);
                let mut content = vec![0u8; usize::try_from(n).expect("chunk fits")];
                rand::thread_rng().fill_bytes(&mut content);
                let out = sealer.update(&content).expect("seal chunk");
                Some((Ok(bytes::Bytes::from(out)), (Some(sealer), None, sent + n)))
            },
        );
        let peak = Arc::new(AtomicU64::new(0));
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (peak, sampling) = (peak.clone(), sampling.clone());
            let pid = server.child.id();
            std::thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    peak.fetch_max(status_kib(&proc_status(pid), "VmRSS:"), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        let started = Instant::now();
        let response = http
            .post(url("/mailbox/attachments"))
            .bearer_auth(&attach_token)
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await?;
        let upload_secs = started.elapsed().as_secs_f64();
        sampling.store(false, Ordering::Relaxed);
        sampler.join().expect("sampler");
        anyhow::ensure!(
            response.status() == 201,
            "attachment upload answered {}",
            response.status()
        );
        let peak_kib = peak.load(Ordering::Relaxed);
        println!(
            "\nattachment of {} MiB streamed in {upload_secs:.2} s:",
            args.attachment_mib
        );
        println!(
        "  server RSS before {} MiB, peak during upload {} MiB: +{:.1} MiB (target: at most +32 MiB)",
        rss_before / 1024,
        peak_kib / 1024,
        peak_kib.saturating_sub(rss_before) as f64 / 1024.0
    );
    }

    // Many tenants.
    if args.runs("tenants") {
        let started = Instant::now();
        let ids: Vec<TenantId> = (0..args.tenants)
            .map(|i| TenantId::new(&format!("t{i:05}")).expect("valid"))
            .collect();
        // Eight operators at once: creating a tenant is mostly waiting
        // for fsyncs, which overlap.
        std::thread::scope(|s| -> anyhow::Result<()> {
            let workers: Vec<_> = ids
                .chunks(ids.len().div_ceil(8).max(1))
                .map(|chunk| {
                    let config = &config;
                    s.spawn(move || -> anyhow::Result<()> {
                        let admin = Admin::open(config)?;
                        for id in chunk {
                            admin.create_tenant(id, "Tenant", &["nl".into()], None)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for worker in workers {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("tenant creation panicked"))??;
            }
            Ok(())
        })?;
        println!(
            "\n{} tenants created in {:.1} s",
            ids.len(),
            started.elapsed().as_secs_f64()
        );
        let mut random = rand::thread_rng();
        let requests: Vec<_> = (0..20_000)
            .map(|_| {
                let id = &ids[random.gen_range(0..ids.len())];
                (format!("{}/api/v1/t/{id}/config", server.base), None, None)
            })
            .collect();
        let tenant_figures = drive_ok(&http, args.clients, requests, 200).await?;
        let (rss, hwm) = server.memory_kib();
        println!("  GET /config on random tenants   : {tenant_figures}");
        println!(
            "  server RSS {} MiB (peak {} MiB) (target: under 256 MiB)",
            rss / 1024,
            hwm / 1024
        );
    }
    Ok(())
}
