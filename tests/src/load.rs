//! What the on-demand load benchmarks (`meldkluis-load`,
//! `meldkluis-load-replicated`, `meldkluis-backup-load`) share: their
//! command-line flags, the real server binary as a child process, a tenant
//! with fresh keys, pre-sealed report submissions, and concurrent clients
//! with their throughput and latency figures.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use meldkluis_crypto_core::{ItemId, ItemKind, PublicKey, StaticKey, StaticSecret, TenantId};
use meldkluis_server::admin::Admin;
use rand::RngCore;
use serde_json::json;

use crate::{b64, seal};

/// The `--flag value` arguments of a benchmark, one flag at a time.
#[derive(Debug)]
pub struct Flags<I> {
    args: I,
    flag: String,
}

impl Flags<std::iter::Skip<std::env::Args>> {
    /// This process's arguments.
    pub fn from_env() -> Self {
        Self::new(std::env::args().skip(1))
    }
}

impl<I: Iterator<Item = String>> Flags<I> {
    /// The flags in `args` (without the program name).
    pub fn new(args: I) -> Self {
        Self {
            args,
            flag: String::new(),
        }
    }

    /// The next flag, if any.
    pub fn next_flag(&mut self) -> Option<String> {
        self.flag = self.args.next()?;
        Some(self.flag.clone())
    }

    /// The value that follows the current flag, parsed.
    pub fn value<T>(&mut self) -> anyhow::Result<T>
    where
        T: std::str::FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let flag = &self.flag;
        let value = self
            .args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        value
            .parse()
            .with_context(|| format!("{flag} {value}: not a valid value"))
    }

    /// The error for a flag the benchmark does not know.
    pub fn unknown(&self) -> anyhow::Error {
        anyhow::anyhow!("unknown argument {}", self.flag)
    }
}

/// The `meldkluis-server` binary beside this benchmark's own (both are
/// built by `cargo build --release -p meldkluis-server -p meldkluis-tests`).
pub fn server_bin_beside() -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name("meldkluis-server"))
}

/// The server under test, as a separate process; killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:port`, from the server's "listening on" line.
    pub base: String,
}

impl Server {
    /// Starts `bin --config config serve` on a free port and waits for its
    /// "listening on" line.
    pub fn start(bin: &Path, config: &Path) -> anyhow::Result<Self> {
        Self::start_with_env(bin, config, &[])
    }

    /// [`Server::start`] with `env` added to the server's environment
    /// (e.g. the object store's credentials).
    pub fn start_with_env(
        bin: &Path,
        config: &Path,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
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
        let mut line = String::new();
        let mut output = BufReader::new(child.stdout.take().context("stdout")?);
        output.read_line(&mut line)?;
        // The server's later log lines (warnings and errors only) go on to
        // stderr; a closed pipe would make the server lose them.
        std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::stderr()));
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("no listening line: {line:?}"))?
            .to_owned();
        Ok(Self { child, base })
    }

    /// (VmRSS, VmHWM) of the server process, in KiB.
    pub fn memory_kib(&self) -> (u64, u64) {
        let status = proc_status(self.child.id());
        (status_kib(&status, "VmRSS:"), status_kib(&status, "VmHWM:"))
    }
}

/// `/proc/{pid}/status` (empty when it cannot be read).
pub fn proc_status(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default()
}

/// The KiB figure of `field` (e.g. `VmRSS:`) in a `/proc/{pid}/status`
/// text; 0 when absent.
pub fn status_kib(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tenant's keys: who its reports are sealed to.
#[derive(Debug)]
pub struct TenantKeys {
    pub id: TenantId,
    /// The recovery key, then the advisors' keys.
    pub recipients: Vec<PublicKey>,
}

/// Creates tenant `id` called `name` with a fresh recovery key and
/// `advisors` fresh advisors, and a report quota no benchmark reaches.
pub fn create_tenant(
    admin: &Admin,
    id: &str,
    name: &str,
    advisors: usize,
) -> anyhow::Result<TenantKeys> {
    let tenant = TenantId::new(id).context("tenant id")?;
    admin.create_tenant(&tenant, name, &["nl".into()], None)?;
    // A load test files far more reports in a day than the default quota.
    admin.set_quotas(&tenant, Some(1 << 40), None, None, None)?;
    let mut rng = meldkluis_crypto_core::os_rng();
    let recovery = StaticSecret::generate(&mut rng);
    admin.set_recovery_key(&tenant, &recovery.public_key())?;
    let mut recipients = vec![recovery.public_key()];
    for i in 0..advisors {
        let advisor = StaticSecret::generate(&mut rng);
        let name = if advisors == 1 {
            "Advisor".to_owned()
        } else {
            format!("Advisor {i}")
        };
        admin.add_advisor(&tenant, &advisor.public_key(), &name)?;
        recipients.push(advisor.public_key());
    }
    Ok(TenantKeys {
        id: tenant,
        recipients,
    })
}

/// A pre-sealed report and what its submission and log-in need.
pub struct SealedReport {
    /// The JSON submission body.
    pub body: bytes::Bytes,
    pub mailbox_id: [u8; 16],
    pub auth_secret: [u8; 32],
    pub item: Vec<u8>,
    pub report_id: [u8; 16],
}

impl std::fmt::Debug for SealedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedReport")
            .field("report_id", &hex::encode(self.report_id))
            .finish_non_exhaustive()
    }
}

impl SealedReport {
    /// A report of 4 KiB random content from a fresh mailbox, sealed to
    /// `tenant`'s recipients.
    pub fn new(tenant: &TenantKeys) -> Self {
        let mut rng = meldkluis_crypto_core::os_rng();
        let mailbox = StaticSecret::generate(&mut rng);
        let id = ItemId::random(&mut rng);
        let mut recipients = vec![mailbox.public_key()];
        recipients.extend_from_slice(&tenant.recipients);
        let mut content = vec![0u8; 4096];
        rng.fill_bytes(&mut content);
        let item = seal(
            ItemKind::Report,
            &tenant.id,
            id,
            id,
            &mailbox,
            &recipients,
            &content,
        );
        let mut mailbox_id = [0u8; 16];
        rng.fill_bytes(&mut mailbox_id);
        let mut auth_secret = [0u8; 32];
        rng.fill_bytes(&mut auth_secret);
        let body = json!({
            "item": b64(&item),
            "mailbox_id": hex::encode(mailbox_id),
            "mailbox_public_key": mailbox.public_key().to_hex(),
            "auth_secret": hex::encode(auth_secret),
        });
        Self {
            body: bytes::Bytes::from(body.to_string()),
            mailbox_id,
            auth_secret,
            item,
            report_id: id.0,
        }
    }
}

/// One request: URL, bearer token, JSON body (GET when none).
pub type Request = (String, Option<String>, Option<bytes::Bytes>);

/// Throughput and latency of one measured phase.
#[derive(Debug)]
pub struct Figures {
    /// Requests answered with the expected status.
    pub count: usize,
    /// Requests answered otherwise, or not at all.
    pub failed: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Figures {
    /// From the latencies of the requests that succeeded, in `elapsed`.
    pub fn new(mut latencies: Vec<Duration>, failed: u64, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        let at = |q: f64| quantile(&latencies, q).as_secs_f64() * 1000.0;
        Self {
            count: latencies.len(),
            failed,
            per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }

    /// These figures, if no request failed.
    pub fn all_ok(self) -> anyhow::Result<Self> {
        anyhow::ensure!(self.failed == 0, "{} requests failed", self.failed);
        Ok(self)
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>9.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.1} ms  ({} requests, {} failed)",
            self.per_second, self.p50_ms, self.p99_ms, self.max_ms, self.count, self.failed
        )
    }
}

/// The `q` quantile (0 to 1) of `sorted`; zero when it is empty.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let index = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(index).copied().unwrap_or_default()
}

/// Sends `requests` from `clients` concurrent clients and measures the
/// ones answered with status `expect`; the others count as failed (the
/// first three are shown on stderr).
pub async fn drive(
    http: &reqwest::Client,
    clients: usize,
    requests: Arc<Vec<Request>>,
    expect: u16,
) -> anyhow::Result<Figures> {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, requests, next, failed) =
                (http.clone(), requests.clone(), next.clone(), failed.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while let Some((url, token, body)) =
                    requests.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    let sent = Instant::now();
                    let request = match body {
                        Some(body) => http
                            .post(url)
                            .header("content-type", "application/json")
                            .body(body.clone()),
                        None => http.get(url),
                    };
                    let request = match token {
                        Some(token) => request.bearer_auth(token),
                        None => request,
                    };
                    let why = match request.send().await {
                        Ok(response) if response.status().as_u16() == expect => {
                            let _ = response.bytes().await;
                            latencies.push(sent.elapsed());
                            continue;
                        }
                        Ok(response) => format!("answered {}", response.status()),
                        Err(e) => format!("failed: {e}"),
                    };
                    if failed.fetch_add(1, Ordering::Relaxed) < 3 {
                        eprintln!("request to {url} {why}");
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    Ok(Figures::new(
        latencies,
        failed.load(Ordering::Relaxed),
        started.elapsed(),
    ))
}
