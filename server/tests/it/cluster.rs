//! The cluster with real processes: etcd for the leases, SeaweedFS `weed
//! mini` as the object store, one real Litestream per node, and two nodes
//! (the real router and `serve`, in this process) on loopback.
//!
//! - Two nodes race for a tenant nobody owns: exactly one acquires it, the
//!   other forwards to it; every answer names the one owner and epoch.
//! - A node whose keep-alives stop (the test hook: as if paused or cut
//!   off) acknowledges nothing once its lease deadline passed, not even a
//!   write already committed and replicated (the fence: 503); the other
//!   node takes the tenant over at a higher epoch and holds every report
//!   acknowledged before.
//!
//! The tools come from `scripts/setup.sh --replication`; without them
//! these tests FAIL with a message saying so.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use meldkluis_server::cluster::{ClusterConfig, EPOCH_HEADER, NODE_HEADER};
use meldkluis_server::replication::ReplicationConfig;
use rand::RngCore as _;
use serde_json::Value;

use crate::backup::{http, set_up, stored_reports, Keys, Site};
use crate::replication::{new_report, Report};
use crate::services::{
    loopback_listener, replica_base, tool, EtcdProcess, LitestreamProcess, Server, Weed,
};

const TENANT: &str = "acme";

/// The services every node shares, and the place their data lives.
struct Services {
    root: tempfile::TempDir,
    weed: Weed,
    etcd: EtcdProcess,
}

impl Services {
    async fn start() -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("TEST_LOG"))
            .with_test_writer()
            .try_init();
        Self {
            root: tempfile::tempdir().expect("tempdir"),
            weed: Weed::start().await,
            etcd: EtcdProcess::start().await,
        }
    }

    /// A node's configuration: its own data directory and Litestream, the
    /// cluster's shared server secret and public address.
    fn config(
        &self,
        name: &str,
        litestream: &LitestreamProcess,
        advertise: &str,
    ) -> meldkluis_server::Config {
        let site = Site::new(self.root.path(), name);
        meldkluis_server::Config {
            data_dir: site.data.clone(),
            deletion_log_path: Some(site.log.clone()),
            notice_key_path: Some(site.secrets.join("notice-key")),
            server_secret_path: Some(
                self.root
                    .path()
                    .join("cluster-secret")
                    .join("server-secret"),
            ),
            public_url: Some("http://meldkluis.test".into()),
            object_store: Some(self.weed.config()),
            replication: Some(ReplicationConfig {
                sync_timeout_ms: 10_000,
                litestream_bin: tool("litestream"),
                ..ReplicationConfig::new(vec![litestream.socket()], replica_base(&self.weed))
            }),
            cluster: Some(ClusterConfig {
                node_id: name.to_owned(),
                advertise_url: advertise.to_owned(),
                etcd: vec![self.etcd.endpoint()],
                lease_ttl_secs: 3,
            }),
            ..meldkluis_server::Config::default()
        }
    }

    /// Prepares the tenant on a staging data directory with the usual
    /// commands and publishes it into the cluster.
    async fn publish(&self) -> Keys {
        let site = Site::new(self.root.path(), "staging");
        let keys = set_up(&site, TENANT);
        let litestream = LitestreamProcess::start(&self.weed);
        let config = meldkluis_server::Config {
            data_dir: site.data.clone(),
            ..self.config("staging", &litestream, "http://127.0.0.1:1")
        };
        meldkluis_server::cluster::publish_tenant(&config, &keys.tenant, &self.weed.store())
            .await
            .expect("publish the tenant");
        // Published once only.
        let again =
            meldkluis_server::cluster::publish_tenant(&config, &keys.tenant, &self.weed.store())
                .await;
        assert!(again.is_err(), "a tenant is published once");
        keys
    }

    fn etcd(&self) -> meldkluis_server::cluster::Etcd {
        meldkluis_server::cluster::Etcd::new(&[self.etcd.endpoint()], Duration::from_secs(2))
            .expect("etcd client")
    }
}

/// A node in this process (it stops serving when dropped).
struct Node {
    name: &'static str,
    data: PathBuf,
    /// Serving; dropped (stops) before its Litestream.
    server: Server,
    litestream: LitestreamProcess,
}

impl Node {
    async fn start(services: &Services, name: &'static str) -> Self {
        let litestream = LitestreamProcess::start(&services.weed);
        let (listener, base) = loopback_listener().await;
        let config = services.config(name, &litestream, &base);
        let data = config.data_dir.clone();
        let server = Server::serve(
            listener,
            base,
            config,
            Arc::new(meldkluis_server::clock::SystemClock),
            &services.weed,
        );
        let node = Self {
            name,
            data,
            server,
            litestream,
        };
        wait_for("a lease", || node.cluster().lease_id().is_some()).await;
        node
    }

    fn cluster(&self) -> &meldkluis_server::cluster::Cluster {
        self.server.state.cluster().expect("a cluster node")
    }

    /// `http://127.0.0.1:PORT`.
    fn base(&self) -> &str {
        &self.server.base
    }

    fn serves(&self) -> bool {
        let tenant = meldkluis_crypto_core::TenantId::new(TENANT).expect("id");
        self.cluster().serving_epoch(&tenant).is_some()
    }

    fn tenant_db(&self) -> PathBuf {
        self.data.join("tenants").join(TENANT).join("tenant.sqlite")
    }
}

/// Waits (polling every 20 ms, at most 30 s) until `condition` holds.
async fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    while !condition() {
        assert!(Instant::now() < deadline, "waited 30 s for {what}");
        interval.tick().await;
    }
}

/// A new report of 2,000 random bytes.
fn report(keys: &Keys) -> Report {
    let mut content = vec![0u8; 2000];
    rand::rngs::OsRng.fill_bytes(&mut content);
    new_report(keys, &content)
}

/// What a node answered: status, error code, and who served it at which
/// epoch.
#[derive(Debug)]
struct Answer {
    status: u16,
    code: Option<String>,
    node: Option<String>,
    epoch: Option<i64>,
}

async fn send(http: &reqwest::Client, base: &str, report: &Report) -> Answer {
    let response = http
        .post(format!("{base}/api/v1/t/{TENANT}/reports"))
        .json(&report.body)
        .send()
        .await
        .expect("an answer");
    answer(response).await
}

/// Sends a new report through `node`: it must be acknowledged (201) by
/// `owner` at `epoch`.
async fn send_acknowledged(
    http: &reqwest::Client,
    node: &Node,
    keys: &Keys,
    owner: &str,
    epoch: i64,
) -> (Report, Answer) {
    let report = report(keys);
    let answer = send(http, node.base(), &report).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(
        (answer.node.as_deref(), answer.epoch),
        (Some(owner), Some(epoch))
    );
    (report, answer)
}

/// Sends `report` again while the answer is 503 (the tenant changing
/// hands), as a client does after `Retry-After`; at most 30 s.
async fn send_until_answered(http: &reqwest::Client, base: &str, report: &Report) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = send(http, base, report).await;
        if answer.status != 503 || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (node, epoch) = (header(NODE_HEADER), header(EPOCH_HEADER));
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        code: body["error"]["code"].as_str().map(str::to_owned),
        node,
        epoch: epoch.and_then(|e| e.parse().ok()),
    }
}

fn owner_in_etcd(kv: &Option<meldkluis_server::cluster::etcd::KeyValue>) -> (String, i64) {
    let kv = kv.as_ref().expect("an owner key");
    let record: Value = serde_json::from_slice(&kv.value).expect("owner json");
    (
        record["node"].as_str().expect("node").to_owned(),
        kv.create_revision,
    )
}

fn assert_holds(db: &Path, acknowledged: &[(Report, Answer)]) {
    let stored = stored_reports(db);
    for (report, answer) in acknowledged {
        assert_eq!(
            stored.get(report.id.0.as_slice()),
            Some(&report.item),
            "acknowledged report ({answer:?}) missing or altered"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acquire_is_exclusive_and_the_other_node_forwards() {
    let services = Services::start().await;
    let n1 = Node::start(&services, "n1").await;
    let n2 = Node::start(&services, "n2").await;
    let keys = services.publish().await;
    let http = http();

    // Both nodes get the tenant's first requests at the same moment.
    let config = |node: &Node| {
        http.get(format!("{}/api/v1/t/{TENANT}/config", node.base()))
            .send()
    };
    let (a, b) = tokio::join!(config(&n1), config(&n2));
    let (a, b) = (answer(a.expect("n1")).await, answer(b.expect("n2")).await);
    assert_eq!((a.status, b.status), (200, 200), "{a:?} {b:?}");
    assert_eq!(
        (&a.node, a.epoch),
        (&b.node, b.epoch),
        "one owner, one epoch"
    );
    assert!(
        n1.serves() != n2.serves(),
        "exactly one node serves the tenant"
    );
    let (owner, other) = if n1.serves() { (&n1, &n2) } else { (&n2, &n1) };
    assert_eq!(a.node.as_deref(), Some(owner.name));

    // etcd says the same: the owner at that epoch, and the epoch committed.
    let etcd = services.etcd();
    let (node, epoch) = owner_in_etcd(&etcd.get("/meldkluis/owner/acme").await.expect("etcd"));
    assert_eq!((node.as_str(), Some(epoch)), (owner.name, a.epoch));
    let committed = etcd
        .get("/meldkluis/epoch/acme")
        .await
        .expect("etcd")
        .expect("committed");
    assert_eq!(committed.value, epoch.to_string().into_bytes());

    // Reports through either node are acknowledged by the owner, at that
    // epoch, and stored on the owner only.
    let mut acknowledged = Vec::new();
    for node in [&n1, &n2, &n1, &n2] {
        acknowledged.push(send_acknowledged(&http, node, &keys, owner.name, epoch).await);
    }
    assert_holds(&owner.tenant_db(), &acknowledged);
    assert!(!other.tenant_db().exists(), "the other node keeps no copy");

    // The tenant's id percent-encoded is the same tenant (the router
    // decodes `{tenant}` for the handlers): forwarded to the owner too,
    // never answered from the other node's own server database.
    let encoded = http
        .get(format!("{}/api/v1/t/%61cme/config", other.base()))
        .send()
        .await
        .expect("answer");
    let encoded = answer(encoded).await;
    assert_eq!(
        (encoded.status, encoded.node.as_deref(), encoded.epoch),
        (200, Some(owner.name), Some(epoch)),
        "{encoded:?}"
    );

    // No Debug output of a node's state (a log line's `?state`) carries
    // the object store's credentials.
    for node in [&n1, &n2] {
        let shown = format!("{:?}", node.server.state);
        for name in [
            meldkluis_server::objects::ACCESS_KEY_VAR,
            meldkluis_server::objects::SECRET_KEY_VAR,
        ] {
            let value = services.weed.get_env(name).expect("a credential");
            assert!(!shown.contains(&value), "{name} in a node's Debug output");
        }
    }

    // A request marked as forwarded is never forwarded again: the node
    // that does not own the tenant refuses it as misdirected.
    let refused = http
        .get(format!("{}/api/v1/t/{TENANT}/config", other.base()))
        .header(meldkluis_server::cluster::FORWARDED_HEADER, "elsewhere")
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 421);
    // An unknown tenant is acquired by nobody.
    let unknown = http
        .get(format!("{}/api/v1/t/nobody/config", other.base()))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);
    assert!(etcd
        .get("/meldkluis/owner/nobody")
        .await
        .expect("etcd")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_whose_lease_lapsed_acknowledges_nothing_and_the_other_takes_over() {
    let services = Services::start().await;
    let n1 = Node::start(&services, "n1").await;
    let keys = services.publish().await;
    let http = http();

    // n1 takes the tenant (the only node yet), then n2 joins.
    let first = report(&keys);
    let answer = send(&http, n1.base(), &first).await;
    assert_eq!(answer.status, 201, "{answer:?}");
    let epoch1 = answer.epoch.expect("epoch");
    let n2 = Node::start(&services, "n2").await;
    let mut acknowledged = vec![(first, answer)];
    for node in [&n1, &n2, &n1, &n2] {
        acknowledged.push(send_acknowledged(&http, node, &keys, "n1", epoch1).await);
    }

    // A write reaches n1 while its Litestream is frozen: committed on n1,
    // waiting for the replica. Then n1's keep-alives stop, as for a node
    // that is paused or cut off from etcd.
    n1.litestream.pause();
    let in_flight = report(&keys);
    let body = in_flight.body.clone();
    let url = format!("{}/api/v1/t/{TENANT}/reports", n1.base());
    let client = http.clone();
    let pending = tokio::spawn(async move {
        self::answer(client.post(url).json(&body).send().await.expect("answer")).await
    });
    n1.cluster().pause_lease(true);
    wait_for("n1's lease deadline to pass", || !n1.serves()).await;
    // The replica now gets the write, but n1 may no longer acknowledge it.
    n1.litestream.resume();
    let resumed = Instant::now();
    let refused: Answer = pending.await.expect("join");
    assert_eq!(
        (refused.status, refused.code.as_deref()),
        (503, Some("not_acknowledged")),
        "{refused:?}"
    );
    assert!(
        resumed.elapsed() < Duration::from_secs(8),
        "refused by the fence, not by the sync time-out"
    );

    // n2 takes the tenant over at a higher epoch, with every report
    // acknowledged before; the refused write, sent again, is acknowledged
    // once, by n2.
    let retried = send_until_answered(&http, n2.base(), &in_flight).await;
    assert_eq!(retried.status, 201, "{retried:?}");
    assert_eq!(retried.node.as_deref(), Some("n2"));
    let epoch2 = retried.epoch.expect("epoch");
    assert!(epoch2 > epoch1, "epoch {epoch2} after {epoch1}");
    acknowledged.push((in_flight, retried));
    assert_holds(&n2.tenant_db(), &acknowledged);
    let etcd = services.etcd();
    assert_eq!(
        owner_in_etcd(&etcd.get("/meldkluis/owner/acme").await.expect("etcd")),
        ("n2".to_owned(), epoch2)
    );

    // n1 dropped its copy; with keep-alives back it holds a new lease and
    // forwards to n2.
    wait_for("n1 to drop its copy", || !n1.tenant_db().exists()).await;
    assert_eq!(n1.cluster().lease_id(), None, "no lease while cut off");
    n1.cluster().pause_lease(false);
    wait_for("n1's new lease", || n1.cluster().lease_id().is_some()).await;
    acknowledged.push(send_acknowledged(&http, &n1, &keys, "n2", epoch2).await);
    assert_holds(&n2.tenant_db(), &acknowledged);
    // No report was acknowledged by two owners: each answer names one
    // node and the epoch that node held.
    for (_, answer) in &acknowledged {
        let expected = if answer.node.as_deref() == Some("n1") {
            epoch1
        } else {
            epoch2
        };
        assert_eq!(answer.epoch, Some(expected));
    }
}
