//! `meldkluis-backup-load`: what `meldkluis-server backup` costs a serving
//! server, run on demand (not in CI; `scripts/measure-backup.sh`):
//!
//! ```text
//! cargo build --release -p meldkluis-server -p meldkluis-tests
//! target/release/meldkluis-backup-load [--tenants 1000] [--reports 100] [--clients 32] [--quiet-secs 20] [--nice]
//! ```
//!
//! Starts the real server binary on a fresh data directory, fills
//! `--tenants` tenants with `--reports` sealed 4 KiB reports each (through
//! the API), then submits reports to one more tenant from `--clients`
//! concurrent clients, as the load benchmark does: first for
//! `--quiet-secs` without a backup, then while `meldkluis-server backup`
//! runs beside the server as its own process. Prints the backup's time and
//! size, and for both windows the submissions per second, the longest
//! stall (the longest time in which no submission completed) and the
//! slowest submission, with their ratios. `--nice` runs the backup under
//! `nice -n 19`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use meldkluis_server::admin::Admin;
use meldkluis_server::Config;
use meldkluis_tests::load::{
    create_tenant, drive, quantile, server_bin_beside, Flags, SealedReport, Server, TenantKeys,
};

struct Args {
    tenants: usize,
    reports: usize,
    clients: usize,
    quiet_secs: u64,
    server_bin: PathBuf,
    /// Run the backup under `nice -n 19`, as an operator would.
    nice: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        tenants: 1000,
        reports: 100,
        clients: 32,
        quiet_secs: 20,
        server_bin: server_bin_beside()?,
        nice: false,
    };
    let mut flags = Flags::from_env();
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--tenants" => args.tenants = flags.value()?,
            "--reports" => args.reports = flags.value()?,
            "--clients" => args.clients = flags.value()?,
            "--quiet-secs" => args.quiet_secs = flags.value()?,
            "--server-bin" => args.server_bin = flags.value()?,
            "--nice" => args.nice = true,
            _ => return Err(flags.unknown()),
        }
    }
    Ok(args)
}

/// One sealed 4 KiB report as a submission body.
fn sealed_body(tenant: &TenantKeys) -> bytes::Bytes {
    SealedReport::new(tenant).body
}

/// What one window of submissions did.
struct Window {
    elapsed: Duration,
    count: usize,
    longest_stall: Duration,
    slowest: Duration,
    p99: Duration,
}

impl Window {
    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>7.0} submissions/s ({} in {:.1} s), longest stall {:>7.1} ms, slowest {:>7.1} ms, p99 {:>6.1} ms",
            self.per_second(),
            self.count,
            self.elapsed.as_secs_f64(),
            self.longest_stall.as_secs_f64() * 1000.0,
            self.slowest.as_secs_f64() * 1000.0,
            self.p99.as_secs_f64() * 1000.0
        )
    }
}

/// Submits sealed reports from `clients` clients until `until` says stop;
/// every answer must be 201.
async fn submit_window(
    http: &reqwest::Client,
    url: &str,
    clients: usize,
    bodies: &Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<bytes::Bytes>>>,
    until: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Window> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, url, bodies, stop) =
                (http.clone(), url.to_owned(), bodies.clone(), stop.clone());
            tokio::spawn(async move {
                let mut done: Vec<(Instant, Duration)> = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let Some(body) = bodies.lock().await.recv().await else {
                        anyhow::bail!("the sealer stopped");
                    };
                    let sent = Instant::now();
                    let response = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await?;
                    anyhow::ensure!(
                        response.status() == 201,
                        "submission: {}",
                        response.status()
                    );
                    let _ = response.bytes().await;
                    let now = Instant::now();
                    done.push((now, now - sent));
                }
                Ok(done)
            })
        })
        .collect();
    until.await;
    let ended = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let mut completions = Vec::new();
    for task in tasks {
        completions.extend(task.await??);
    }
    // Only what completed inside the window counts.
    completions.retain(|(at, _)| *at <= ended);
    completions.sort_unstable_by_key(|(at, _)| *at);
    let mut longest_stall = Duration::ZERO;
    let mut last = started;
    for (at, _) in &completions {
        longest_stall = longest_stall.max(at.duration_since(last));
        last = *at;
    }
    longest_stall = longest_stall.max(ended.duration_since(last));
    let mut latencies: Vec<Duration> = completions.iter().map(|(_, l)| *l).collect();
    latencies.sort_unstable();
    let p99 = quantile(&latencies, 0.99);
    Ok(Window {
        elapsed: ended - started,
        count: completions.len(),
        longest_stall,
        slowest: latencies.last().copied().unwrap_or_default(),
        p99,
    })
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() {
                        dir_size(&path)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = tempfile::Builder::new()
        .prefix("meldkluis-backup-load-")
        .tempdir_in(std::env::temp_dir())?;
    let data = dir.path().join("data");
    let config_path = dir.path().join("server.toml");
    std::fs::write(
        &config_path,
        format!("data_dir = {:?}\n", data.display().to_string()),
    )?;
    let config = Config::from_file(&config_path)?;
    let admin = Admin::open(&config)?;
    let started = Instant::now();
    let tenants: Vec<TenantKeys> = (0..args.tenants)
        .map(|i| {
            let id = format!("t{i:05}");
            create_tenant(&admin, &id, &id, 1)
        })
        .collect::<anyhow::Result<_>>()?;
    let load = Arc::new(create_tenant(&admin, "load", "load", 1)?);
    println!(
        "meldkluis-backup-load: {} tenants created in {:.1} s; data in {}",
        tenants.len(),
        started.elapsed().as_secs_f64(),
        data.display()
    );
    let server = Server::start(&args.server_bin, &config_path)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.clients.max(64))
        .build()?;

    // Fill: every tenant's reports, sealed on both cores, then submitted.
    let started = Instant::now();
    for (n, tenant) in tenants.iter().enumerate() {
        let bodies: Vec<bytes::Bytes> = std::thread::scope(|s| {
            let half = args.reports.div_ceil(2);
            let handles: Vec<_> = (0..2)
                .map(|k| {
                    let count = if k == 0 { half } else { args.reports - half };
                    s.spawn(move || (0..count).map(|_| sealed_body(tenant)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("sealing thread"))
                .collect()
        });
        let url = format!("{}/api/v1/t/{}/reports", server.base, tenant.id);
        let requests = bodies
            .into_iter()
            .map(|body| (url.clone(), None, Some(body)))
            .collect();
        drive(&http, 16, Arc::new(requests), 201).await?.all_ok()?;
        if (n + 1) % 100 == 0 {
            println!(
                "  filled {} tenants ({:.0} s)",
                n + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "filled {} tenants with {} reports each in {:.1} s; data directory {:.1} MiB",
        tenants.len(),
        args.reports,
        started.elapsed().as_secs_f64(),
        dir_size(&data) as f64 / f64::from(1 << 20)
    );

    // The measured submissions: sealed on one thread while clients send.
    let (to_clients, from_sealer) = tokio::sync::mpsc::channel::<bytes::Bytes>(20_000);
    let sealer_load = load.clone();
    std::thread::spawn(
        move || {
            while to_clients.blocking_send(sealed_body(&sealer_load)).is_ok() {}
        },
    );
    let bodies = Arc::new(tokio::sync::Mutex::new(from_sealer));
    let url = format!("{}/api/v1/t/load/reports", server.base);
    // Warm up, and let the sealer get ahead.
    submit_window(
        &http,
        &url,
        args.clients,
        &bodies,
        tokio::time::sleep(Duration::from_secs(5)),
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let quiet = submit_window(
        &http,
        &url,
        args.clients,
        &bodies,
        tokio::time::sleep(Duration::from_secs(args.quiet_secs)),
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(5)).await;

    let backup_dir = dir.path().join("backup");
    let mut backup = if args.nice {
        let mut nice = Command::new("nice");
        nice.args(["-n", "19"]).arg(&args.server_bin);
        nice
    } else {
        Command::new(&args.server_bin)
    };
    let mut backup = backup
        .arg("--config")
        .arg(&config_path)
        .arg("backup")
        .arg(&backup_dir)
        .env("MELDKLUIS_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .context("starting the backup")?;
    let backup_started = Instant::now();
    let (finished, backup_ended) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let ok = backup.wait().is_ok_and(|status| status.success());
        let _ = finished.send((ok, backup_started.elapsed()));
    });
    let outcome = Arc::new(std::sync::Mutex::new(None));
    let seen = outcome.clone();
    let during = submit_window(&http, &url, args.clients, &bodies, async move {
        if let Ok(result) = backup_ended.await {
            *seen.lock().expect("outcome lock") = Some(result);
        }
    })
    .await?;
    let (ok, backup_time) = outcome
        .lock()
        .expect("outcome lock")
        .take()
        .context("backup outcome")?;
    anyhow::ensure!(ok, "the backup failed");
    drop(server);

    let size = dir_size(&backup_dir);
    println!(
        "\nbackup of {} tenants with {} reports each (plus the load tenant) while submissions ran:",
        args.tenants, args.reports
    );
    println!("  backup time : {:.1} s", backup_time.as_secs_f64());
    println!(
        "  backup size : {:.1} MiB ({} bytes)",
        size as f64 / f64::from(1 << 20),
        size
    );
    println!(
        "\nreport submissions (sealed 4 KiB, durable), {} clients:",
        args.clients
    );
    println!("  without backup: {quiet}");
    println!("  during backup : {during}");
    println!(
        "  ratio during/without: submissions/s {:.2}, longest stall {:.2}, slowest {:.2}, p99 {:.2}",
        during.per_second() / quiet.per_second(),
        during.longest_stall.as_secs_f64() / quiet.longest_stall.as_secs_f64(),
        during.slowest.as_secs_f64() / quiet.slowest.as_secs_f64(),
        during.p99.as_secs_f64() / quiet.p99.as_secs_f64()
    );
    Ok(())
}
