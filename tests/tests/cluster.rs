//! A meldkluis cluster with real processes on this machine: etcd (leases),
//! SeaweedFS `weed mini` (S3), one Litestream per node and three
//! `meldkluis-server serve` nodes (tests/src/cluster.rs).
//!
//! - `failover`: clients submit sealed reports concurrently through all
//!   three nodes (forwarding to the tenant's owner) while, at random
//!   moments of several rounds, the owner is SIGKILLed (a crash) or
//!   SIGSTOPped for longer than its lease (a stall) and resumed. Every
//!   acknowledged report must be readable afterwards, no report is
//!   acknowledged twice, every epoch's acknowledgements come from one node,
//!   and a stalled owner acknowledges nothing once resumed.
//! - `disaster`: after acknowledged reports on many tenants, every node's
//!   data directory is deleted; fresh nodes restore every tenant from the
//!   object store, and every acknowledged report is there.
//!
//! A missing tool (etcd, weed, litestream, the server binary) fails the
//! test with how to install it (`scripts/setup.sh --replication`); nothing
//! is skipped. The tests run one at a time (each starts a whole cluster).
//!
//! Environment: `MELDKLUIS_CLUSTER_SEED` repeats a failover run's random
//! moments; `MELDKLUIS_DISASTER_TENANTS` (default 50) sets the number of
//! tenants of the disaster test (1,000 for the measurement in the notes).
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use meldkluis_server::admin::Admin;
use meldkluis_server::Config;
use meldkluis_tests::cluster::{http_client, run_cli, Cluster, NodeSpec};
use meldkluis_tests::load::{create_tenant, SealedReport, TenantKeys};
use rand::{Rng as _, SeedableRng as _};
use serde_json::{json, Value};

/// The lease TTL of the nodes (seconds): a dead owner's tenants move after
/// about this long.
const LEASE_TTL: u64 = 3;

/// One cluster at a time: each test starts a dozen processes on a machine
/// that may have two cores.
static ONE_CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// An acknowledged submission: 201 with the owner's headers.
#[derive(Debug, Clone)]
struct Ack {
    report: [u8; 16],
    /// `Meldkluis-Node`.
    node: String,
    /// `Meldkluis-Epoch`.
    epoch: u64,
    /// The node the client sent it to.
    via: String,
    /// When the answer arrived.
    at: Instant,
}

/// What one submission attempt got.
#[derive(Debug)]
enum Outcome {
    Ack(Ack),
    /// Any other answer (503 while the owner moves, 502, …).
    Refused(u16, String),
    /// No answer (connection refused or reset).
    Failed(String),
}

/// Submits a pre-sealed report to `node_url` once.
async fn submit_once(
    http: &reqwest::Client,
    node_id: &str,
    node_url: &str,
    tenant: &str,
    report: &SealedReport,
) -> Outcome {
    let response = http
        .post(format!("{node_url}/api/v1/t/{tenant}/reports"))
        .header("content-type", "application/json")
        .body(report.body.clone())
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (node, epoch) = (header("meldkluis-node"), header("meldkluis-epoch"));
    let at = Instant::now();
    let body = response.text().await.unwrap_or_default();
    if status != 201 {
        return Outcome::Refused(status, body);
    }
    match (node, epoch.and_then(|e| e.parse().ok())) {
        (Some(node), Some(epoch)) => Outcome::Ack(Ack {
            report: report.report_id,
            node,
            epoch,
            via: node_id.to_owned(),
            at,
        }),
        (node, epoch) => Outcome::Refused(
            201,
            format!("201 without the owner's headers (node {node:?}, epoch {epoch:?})"),
        ),
    }
}

/// The nodes' addresses as the clients see them (fixed ports: a killed
/// node comes back on the same one).
fn addresses(cluster: &Cluster) -> Vec<(String, String)> {
    cluster
        .nodes
        .iter()
        .map(|n| (n.id().to_owned(), n.url()))
        .collect()
}

/// A tenant created and set up in a staging data directory with the
/// cluster's configuration, then published with
/// `meldkluis-server cluster publish-tenant`.
fn publish(
    cluster: &Cluster,
    staging: &NodeSpec,
    admin: &Admin,
    id: &str,
) -> anyhow::Result<TenantKeys> {
    let keys = create_tenant(admin, id, &format!("Cluster {id}"), 1)?;
    run_cli(
        &cluster.tools.server,
        &staging.dir.join("server.toml"),
        &staging.credentials,
        &["cluster", "publish-tenant", id],
    )?;
    Ok(keys)
}

/// The staging data directory (not a node: nothing serves it) and its
/// operator handle.
fn staging(cluster: &Cluster) -> anyhow::Result<(NodeSpec, Admin)> {
    let spec = cluster.node_spec("staging", LEASE_TTL)?;
    std::fs::create_dir_all(spec.data_dir())?;
    let config_path = spec.dir.join("server.toml");
    std::fs::write(&config_path, spec.config_text())?;
    let config = Config::from_file(&config_path)?;
    let admin = Admin::open(&config)?;
    Ok((spec, admin))
}

/// Logs in to the report's mailbox through `node_url` and reads the
/// report back: true if the item there is byte for byte the one sent.
async fn report_is_there(
    http: &reqwest::Client,
    node_url: &str,
    tenant: &str,
    report: &SealedReport,
) -> anyhow::Result<bool> {
    let login = http
        .post(format!("{node_url}/api/v1/t/{tenant}/mailbox/login"))
        .json(&json!({
            "mailbox_id": hex::encode(report.mailbox_id),
            "auth_secret": hex::encode(report.auth_secret),
        }))
        .send()
        .await?;
    let status = login.status().as_u16();
    if status == 401 {
        return Ok(false);
    }
    anyhow::ensure!(
        status == 200,
        "mailbox log-in: {status} {}",
        login.text().await.unwrap_or_default()
    );
    let token = login.json::<Value>().await?["token"]
        .as_str()
        .context("token")?
        .to_owned();
    let thread = http
        .get(format!("{node_url}/api/v1/t/{tenant}/mailbox"))
        .bearer_auth(&token)
        .send()
        .await?;
    anyhow::ensure!(thread.status() == 200, "mailbox: {}", thread.status());
    let thread: Value = thread.json().await?;
    let item = thread["report"].as_str().context("the thread's report")?;
    Ok(meldkluis_tests::unb64(item) == report.item)
}

/// Retries `report_is_there` through the nodes in turn while the cluster
/// settles (a node answering 503 while it takes the tenant over).
async fn check_report(
    http: &reqwest::Client,
    nodes: &[(String, String)],
    tenant: &str,
    report: &SealedReport,
    timeout: Duration,
) -> anyhow::Result<bool> {
    let deadline = Instant::now() + timeout;
    let mut i = 0;
    loop {
        let (_, url) = &nodes[i % nodes.len()];
        match report_is_there(http, url, tenant, report).await {
            Ok(found) => return Ok(found),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => {
                i += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// SIGKILL the owner (and its Litestream): a crashed machine.
    Kill,
    /// SIGSTOP the owner for longer than the lease, then SIGCONT.
    Stall,
}

/// What happened in one round.
#[derive(Debug)]
struct Round {
    fault: Fault,
    owner: String,
    epoch: u64,
    /// When a stalled owner was resumed.
    resumed: Option<Instant>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failover() -> anyhow::Result<()> {
    run_failover(
        "failover",
        3,
        &[Fault::Kill, Fault::Stall, Fault::Kill, Fault::Stall],
    )
    .await
}

/// A lone node that stalls past its lease drops the tenant when it wakes
/// and, nobody else being there, takes it back from its own replica under
/// a new epoch: its old copy's files (closed late, by name) must not touch
/// the new copy in the same place.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_lone_owner() -> anyhow::Result<()> {
    run_failover(
        "stalled lone owner",
        1,
        &[Fault::Stall, Fault::Stall, Fault::Stall],
    )
    .await
}

/// `nodes` nodes under concurrent submissions, one round per fault at a
/// random moment, then every acknowledgement checked (see the module
/// documentation).
async fn run_failover(name: &str, node_count: usize, faults: &[Fault]) -> anyhow::Result<()> {
    let _one = ONE_CLUSTER.lock().await;
    let seed: u64 = match std::env::var("MELDKLUIS_CLUSTER_SEED") {
        Ok(seed) => seed.parse().context("MELDKLUIS_CLUSTER_SEED")?,
        Err(_) => rand::random(),
    };
    println!("{name}: seed {seed} (MELDKLUIS_CLUSTER_SEED={seed} repeats the moments)");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);

    let dir = tempfile::Builder::new()
        .prefix("meldkluis-cluster-")
        .disable_cleanup(std::env::var_os("MELDKLUIS_KEEP_CLUSTER_DIR").is_some())
        .tempdir()?;
    let mut cluster = Cluster::start(dir.path(), node_count, LEASE_TTL).await?;
    let (staging, admin) = staging(&cluster)?;
    let tenant = "busy";
    let keys = Arc::new(publish(&cluster, &staging, &admin, tenant)?);
    let nodes = addresses(&cluster);

    // Reports sealed ahead, so the clients only send.
    let acks: Arc<Mutex<Vec<Ack>>> = Arc::default();
    let sent: Arc<Mutex<HashMap<[u8; 16], Arc<SealedReport>>>> = Arc::default();
    let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let clients = 6;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (acks, sent, running, keys, nodes) = (
            acks.clone(),
            sent.clone(),
            running.clone(),
            keys.clone(),
            nodes.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = http_client();
            // Each client starts at its own node and moves to the next one
            // when its node does not answer (as a load balancer would).
            let mut at = c % nodes.len();
            let mut log = Vec::new();
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                let report = Arc::new(SealedReport::new(&keys));
                sent.lock()
                    .expect("lock")
                    .insert(report.report_id, report.clone());
                // The same report (same item id: idempotent) until it is
                // acknowledged or the test ends.
                loop {
                    let (id, url) = &nodes[at];
                    match submit_once(&http, id, url, "busy", &report).await {
                        Outcome::Ack(ack) => {
                            acks.lock().expect("lock").push(ack);
                            break;
                        }
                        Outcome::Refused(status, body) => {
                            log.push(format!("{id}: {status} {body}"));
                        }
                        Outcome::Failed(e) => {
                            log.push(format!("{id}: {e}"));
                            at = (at + 1) % nodes.len();
                        }
                    }
                    if !running.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            log
        }));
    }

    let acks_since = |since: Instant, epoch_above: u64| {
        acks.lock()
            .expect("lock")
            .iter()
            .filter(|a| a.at >= since && a.epoch > epoch_above)
            .count()
    };
    // The tenant is served before the first fault.
    let started = Instant::now();
    wait_for(Duration::from_secs(60), || acks_since(started, 0) >= 5)
        .await
        .with_context(|| format!("no report acknowledged at all\n{}", cluster.logs()))?;

    let mut rounds = Vec::new();
    for (r, &fault) in faults.iter().enumerate() {
        // A random moment of the busy stream.
        let wait = Duration::from_millis(rng.gen_range(300..3000));
        tokio::time::sleep(wait).await;
        let owner = cluster
            .wait_owner(tenant, Duration::from_secs(30), |_| true)
            .await?;
        let i = cluster.index(&owner.node)?;
        let at = Instant::now();
        let mut resumed = None;
        match fault {
            Fault::Kill => {
                cluster.crash(i);
            }
            Fault::Stall => {
                cluster.nodes[i].pause()?;
                // Longer than the lease: etcd lets it lapse, another node
                // takes over while this one cannot tell.
                let stall = Duration::from_secs(LEASE_TTL * 2 + 1)
                    + Duration::from_millis(rng.gen_range(0..1000));
                tokio::time::sleep(stall).await;
                cluster.nodes[i].resume()?;
                resumed = Some(Instant::now());
            }
        }
        // A new owner (a newer epoch; a stalled owner may win the tenant
        // back under a new lease) acknowledges.
        wait_for(Duration::from_secs(60), || {
            acks.lock()
                .expect("lock")
                .iter()
                .any(|a| a.at >= at && a.epoch > owner.epoch)
        })
        .await
        .with_context(|| {
            format!(
                "round {r} ({fault:?} {}): no new owner acknowledged\n{}",
                owner.node,
                cluster.logs()
            )
        })?;
        let first = acks
            .lock()
            .expect("lock")
            .iter()
            .filter(|a| a.at >= at && a.epoch > owner.epoch)
            .map(|a| a.at)
            .min()
            .context("first new ack")?;
        println!(
            "{name}: round {r}: {fault:?} of owner {} (epoch {}) after {wait:?}; first \
             acknowledgement by a new owner {:?} later (RTO)",
            owner.node,
            owner.epoch,
            first - at
        );
        if fault == Fault::Kill {
            cluster.restart(i).await?;
        }
        rounds.push(Round {
            fault,
            owner: owner.node,
            epoch: owner.epoch,
            resumed,
        });
    }
    // Some more traffic with all three nodes back.
    let calm = Instant::now();
    wait_for(Duration::from_secs(60), || acks_since(calm, 0) >= 5).await?;
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let mut refusals = 0;
    for task in tasks {
        refusals += task.await?.len();
    }

    let acks = acks.lock().expect("lock").clone();
    let sent = sent.lock().expect("lock").clone();
    println!(
        "{name}: {} reports acknowledged, {} submitted, {refusals} refused or failed attempts",
        acks.len(),
        sent.len()
    );

    // No report acknowledged twice (by two owners, or twice by one).
    let mut by_report: HashMap<[u8; 16], Vec<&Ack>> = HashMap::new();
    for ack in &acks {
        by_report.entry(ack.report).or_default().push(ack);
    }
    for (report, acks) in &by_report {
        assert_eq!(
            acks.len(),
            1,
            "report {} acknowledged {} times: {acks:?}",
            hex::encode(report),
            acks.len()
        );
    }
    // Within one epoch, one node acknowledges.
    let mut by_epoch: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for ack in &acks {
        by_epoch.entry(ack.epoch).or_default().insert(&ack.node);
    }
    for (epoch, nodes) in &by_epoch {
        assert_eq!(nodes.len(), 1, "epoch {epoch} acknowledged by {nodes:?}");
    }
    println!("{name}: epochs and their owners: {by_epoch:?}");
    // A stalled owner, once resumed, acknowledges nothing under its old
    // epoch: its lease lapsed while it was stopped. (Answers it sent before
    // SIGSTOP arrived seconds before the SIGCONT.)
    for round in rounds.iter().filter(|r| r.fault == Fault::Stall) {
        let resumed = round.resumed.context("a stall round resumes")?;
        let late: Vec<&Ack> = acks
            .iter()
            .filter(|a| a.epoch == round.epoch && a.at >= resumed)
            .collect();
        assert!(
            late.is_empty(),
            "{} acknowledged under its old epoch {} after it was resumed: {late:?}",
            round.owner,
            round.epoch
        );
    }
    // Every acknowledged report is there, byte for byte.
    let http = http_client();
    for ack in &acks {
        let report = &sent[&ack.report];
        let found = check_report(&http, &nodes, tenant, report, Duration::from_secs(60))
            .await
            .map_err(|e| anyhow::anyhow!("{e}\n{}", cluster.logs()))?;
        assert!(
            found,
            "acknowledged report {} (node {}, epoch {}, via {}) is missing\n{}",
            hex::encode(ack.report),
            ack.node,
            ack.epoch,
            ack.via,
            cluster.logs()
        );
    }
    println!("{name}: all {} acknowledged reports read back", acks.len());
    // The owner's copy and the replica a next owner would restore are
    // sound databases, not just readable where the reads went.
    let owner = cluster
        .wait_owner(tenant, Duration::from_secs(30), |_| true)
        .await?;
    let local = cluster
        .node(&owner.node)?
        .spec
        .data_dir()
        .join("tenants")
        .join(tenant)
        .join("tenant.sqlite");
    assert_eq!(
        meldkluis_tests::cluster::integrity(&local)?,
        "ok",
        "the owner's copy ({}, epoch {}) is damaged",
        owner.node,
        owner.epoch
    );
    let restored = dir.path().join("restored.sqlite");
    assert_eq!(
        cluster.check_replica(tenant, owner.epoch, &restored)?,
        "ok",
        "the replica of epoch {} restores to a damaged database",
        owner.epoch
    );
    println!(
        "{name}: the owner's copy and its replica (epoch {}) pass integrity_check",
        owner.epoch
    );
    Ok(())
}

/// Polls `done` every 50 ms up to `timeout`.
async fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "not done after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disaster() -> anyhow::Result<()> {
    let _one = ONE_CLUSTER.lock().await;
    let tenants: usize = std::env::var("MELDKLUIS_DISASTER_TENANTS")
        .map_or(Ok(50), |n| n.parse())
        .context("MELDKLUIS_DISASTER_TENANTS")?;
    let reports_per_tenant = 2;
    let dir = tempfile::Builder::new()
        .prefix("meldkluis-disaster-")
        .tempdir()?;
    let mut cluster = Cluster::start(dir.path(), 3, LEASE_TTL).await?;
    let (staging, admin) = staging(&cluster)?;

    let started = Instant::now();
    let mut keys = Vec::new();
    for t in 0..tenants {
        keys.push(publish(&cluster, &staging, &admin, &format!("t{t:04}"))?);
    }
    println!(
        "disaster: {tenants} tenants published in {:?}",
        started.elapsed()
    );

    // Reports through every node: a tenant's first request decides its
    // owner, so the tenants spread over the nodes.
    let nodes = addresses(&cluster);
    let http = http_client();
    let started = Instant::now();
    let mut acked: Vec<(String, SealedReport)> = Vec::new();
    let mut owners: BTreeMap<String, usize> = BTreeMap::new();
    for (t, tenant) in keys.iter().enumerate() {
        for r in 0..reports_per_tenant {
            let report = SealedReport::new(tenant);
            let deadline = Instant::now() + Duration::from_secs(60);
            let (id, url) = &nodes[(t + r) % nodes.len()];
            loop {
                match submit_once(&http, id, url, tenant.id.as_str(), &report).await {
                    Outcome::Ack(ack) => {
                        if r == 0 {
                            *owners.entry(ack.node).or_default() += 1;
                        }
                        break;
                    }
                    other => {
                        anyhow::ensure!(
                            Instant::now() < deadline,
                            "{} not acknowledged: {other:?}\n{}",
                            tenant.id,
                            cluster.logs()
                        );
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
            acked.push((tenant.id.to_string(), report));
        }
    }
    println!(
        "disaster: {} reports acknowledged in {:?}; tenants per owner {owners:?}",
        acked.len(),
        started.elapsed()
    );

    // Every node's disk is lost.
    for i in 0..cluster.nodes.len() {
        cluster.wipe(i)?;
    }
    // Fresh nodes: new ids, new ports, empty data directories.
    let started = Instant::now();
    cluster.nodes.clear();
    cluster.litestreams.clear();
    for i in 1..=3 {
        let spec = cluster.node_spec(&format!("fresh{i}"), LEASE_TTL)?;
        let litestream = meldkluis_tests::cluster::Litestream::start(
            &spec.dir,
            &spec.sockets[0],
            &cluster.store,
        )
        .await?;
        cluster.litestreams.push(Some(litestream));
        cluster
            .nodes
            .push(meldkluis_tests::cluster::Node::start(spec).await?);
    }
    let nodes = addresses(&cluster);
    // Every acknowledged report is there (each tenant is restored from the
    // store when its first request arrives).
    let mut missing = Vec::new();
    for (tenant, report) in &acked {
        if !check_report(&http, &nodes, tenant, report, Duration::from_secs(120)).await? {
            missing.push(format!("{tenant}/{}", hex::encode(report.report_id)));
        }
    }
    let took = started.elapsed();
    assert!(
        missing.is_empty(),
        "{} acknowledged reports missing after the restore: {missing:?}\n{}",
        missing.len(),
        cluster.logs()
    );
    println!(
        "disaster: {tenants} tenants restored from the object store by fresh nodes and all {} \
         acknowledged reports read back in {took:?}",
        acked.len()
    );
    Ok(())
}
