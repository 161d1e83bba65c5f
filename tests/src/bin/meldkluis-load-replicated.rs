//! `meldkluis-load-replicated`: the report benchmark of `meldkluis-load`
//! with replication off and on, in the same run (issue 14), run on demand
//! (not in CI):
//!
//! ```text
//! cargo build --release -p meldkluis-server -p meldkluis-tests
//! target/release/meldkluis-load-replicated [--reports N] [--clients N] [--tenants N] [--litestreams N]
//! ```
//!
//! Starts SeaweedFS `weed mini` and Litestream on loopback (through
//! `meldkluis_tests::cluster`), then the real `meldkluis-server` twice on
//! fresh data directories: once without `[replication]`, once with
//! `[replication]` + `[object_store]` (every acknowledged group commit
//! waits for Litestream's `POST /sync`). Both get the same number of sealed
//! 4 KiB reports from the same number of concurrent clients, spread over
//! the same number of tenants, and the figures are printed side by side
//! with the overhead ratio.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use meldkluis_server::admin::Admin;
use meldkluis_server::Config;
use meldkluis_tests::cluster::{Litestream, ObjectStore, Tools, BUCKET, REGION};
use meldkluis_tests::load::{create_tenant, SealedReport};
use serde_json::json;

struct Args {
    reports: usize,
    clients: usize,
    tenants: usize,
    litestreams: usize,
    server_bin: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let exe = std::env::current_exe()?;
    let mut args = Args {
        reports: 10_000,
        clients: 64,
        tenants: 1,
        litestreams: 1,
        server_bin: exe.with_file_name("meldkluis-server"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--reports" => args.reports = value()?.parse()?,
            "--clients" => args.clients = value()?.parse()?,
            "--tenants" => args.tenants = value()?.parse()?,
            "--litestreams" => args.litestreams = value()?.parse()?,
            "--server-bin" => args.server_bin = value()?.into(),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    anyhow::ensure!(
        args.tenants >= 1 && args.litestreams >= 1,
        "--tenants and --litestreams must be at least 1"
    );
    Ok(args)
}

/// Throughput and latency of one measured phase.
struct Figures {
    count: usize,
    failed: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>7.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.1} ms  ({} reports, {} failed)",
            self.per_second, self.p50_ms, self.p99_ms, self.max_ms, self.count, self.failed
        )
    }
}

/// Posts every body to its URL from `clients` concurrent clients; counts
/// answers other than 201 as failed.
async fn drive(
    http: &reqwest::Client,
    clients: usize,
    requests: Arc<Vec<(String, bytes::Bytes)>>,
) -> Figures {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, requests, next, failed) =
                (http.clone(), requests.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while let Some((url, body)) = requests.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let sent = Instant::now();
                    let answer = http
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    match answer {
                        Ok(response) if response.status() == 201 => {
                            let _ = response.bytes().await;
                            latencies.push(sent.elapsed());
                        }
                        Ok(response) => {
                            if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("report answered {}", response.status());
                            }
                        }
                        Err(e) => {
                            if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                                eprintln!("report failed: {e}");
                            }
                        }
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Figures {
        count: latencies.len(),
        failed: failed.load(Ordering::Relaxed),
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: at(1.0),
    }
}

/// The server as a child process with `env` added; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(bin: &Path, config: &Path, env: &[(&str, String)]) -> anyhow::Result<Self> {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(config)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("MELDKLUIS_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut output = BufReader::new(child.stdout.take().context("stdout")?);
        let mut line = String::new();
        output.read_line(&mut line)?;
        std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::stderr()));
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("no listening line: {line:?}"))?
            .to_owned();
        Ok(Self { child, base })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured server: a fresh data directory, `tenants` tenants, then
/// `reports` sealed reports spread over them round robin.
async fn measure(
    args: &Args,
    dir: &Path,
    replication: Option<(&ObjectStore, &[PathBuf], &Path)>,
) -> anyhow::Result<Figures> {
    std::fs::create_dir_all(dir)?;
    let q = |s: &str| json!(s).to_string();
    let mut text = format!(
        "data_dir = {}\nlogin_per_second_global = 1000000\n",
        q(&dir.join("data").display().to_string())
    );
    let mut env = Vec::new();
    if let Some((store, sockets, litestream)) = replication {
        let sockets: Vec<String> = sockets
            .iter()
            .map(|s| q(&s.display().to_string()))
            .collect();
        text += &format!(
            "\n[replication]\nlitestream_sockets = [{}]\nreplica_url = {}\nsync_timeout_ms = 5000\n\
             litestream_bin = {}\n\n[object_store]\nendpoint = {}\nbucket = {}\nregion = {}\n",
            sockets.join(", "),
            q(&store.replica_url()),
            q(&litestream.display().to_string()),
            q(&store.endpoint),
            q(BUCKET),
            q(REGION),
        );
        env.extend(store.env());
    }
    let config_path = dir.join("server.toml");
    std::fs::write(&config_path, text)?;
    let config = Config::from_file(&config_path)?;
    let tenants = {
        let admin = Admin::open(&config)?;
        (0..args.tenants)
            .map(|i| create_tenant(&admin, &format!("load{i}"), "Load test", 2))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let server = Server::start(&args.server_bin, &config_path, &env)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let sealed: Vec<(String, bytes::Bytes)> = (0..args.reports + 1000)
        .map(|i| {
            let tenant = &tenants[i % tenants.len()];
            (
                format!("{}/api/v1/t/{}/reports", server.base, tenant.id),
                SealedReport::new(tenant).body,
            )
        })
        .collect();
    let (warmup, measured) = sealed.split_at(1000);
    let warm = drive(&http, args.clients, Arc::new(warmup.to_vec())).await;
    if warm.failed > 0 {
        println!("  (warm-up: {warm})");
    }
    Ok(drive(&http, args.clients, Arc::new(measured.to_vec())).await)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let tools = Tools::find()?;
    let dir = tempfile::Builder::new()
        .prefix("meldkluis-load-replicated-")
        .tempdir_in(std::env::temp_dir())?;
    let store = ObjectStore::start(dir.path()).await?;
    let mut litestreams = Vec::new();
    for i in 0..args.litestreams {
        let socket = dir.path().join(format!("litestream-{i}/control.sock"));
        litestreams.push(
            Litestream::start(&dir.path().join(format!("litestream-{i}")), &socket, &store).await?,
        );
    }
    let sockets: Vec<PathBuf> = litestreams.iter().map(|l| l.socket.clone()).collect();
    println!(
        "meldkluis-load-replicated: {} reports (sealed 4 KiB) from {} clients over {} tenant(s); \
         {} Litestream process(es); data in {}",
        args.reports,
        args.clients,
        args.tenants,
        args.litestreams,
        dir.path().display()
    );
    let off = measure(&args, &dir.path().join("off"), None).await?;
    println!("  replication off: {off}");
    let on = measure(
        &args,
        &dir.path().join("on"),
        Some((&store, &sockets, &tools.litestream)),
    )
    .await?;
    println!("  replication on : {on}");
    println!(
        "  replicated / off: {:.2} of the reports per second, p99 {:.1}x",
        on.per_second / off.per_second,
        on.p99_ms / off.p99_ms
    );
    for litestream in &litestreams {
        let list = litestream.list().await?;
        let count = list["databases"].as_array().map_or(0, Vec::len);
        println!(
            "  Litestream at {}: {count} database(s)",
            litestream.socket.display()
        );
    }
    // A failed report is counted and shown, not fatal: a 503 (not
    // acknowledged) is an answer the clients retry, and its rate is one of
    // the figures.
    Ok(())
}
