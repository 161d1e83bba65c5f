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
use std::sync::Arc;

use meldkluis_server::admin::Admin;
use meldkluis_server::Config;
use meldkluis_tests::cluster::{Litestream, ObjectStore, Tools, BUCKET, REGION};
use meldkluis_tests::load::{
    create_tenant, drive, server_bin_beside, Figures, Flags, Request, SealedReport, Server,
};
use serde_json::json;

struct Args {
    reports: usize,
    clients: usize,
    tenants: usize,
    litestreams: usize,
    server_bin: PathBuf,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        reports: 10_000,
        clients: 64,
        tenants: 1,
        litestreams: 1,
        server_bin: server_bin_beside()?,
    };
    let mut flags = Flags::from_env();
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--reports" => args.reports = flags.value()?,
            "--clients" => args.clients = flags.value()?,
            "--tenants" => args.tenants = flags.value()?,
            "--litestreams" => args.litestreams = flags.value()?,
            "--server-bin" => args.server_bin = flags.value()?,
            _ => return Err(flags.unknown()),
        }
    }
    anyhow::ensure!(
        args.tenants >= 1 && args.litestreams >= 1,
        "--tenants and --litestreams must be at least 1"
    );
    Ok(args)
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
    let server = Server::start_with_env(&args.server_bin, &config_path, &env)?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.clients)
        .build()?;
    let mut sealed: Vec<Request> = (0..args.reports + 1000)
        .map(|i| {
            let tenant = &tenants[i % tenants.len()];
            (
                format!("{}/api/v1/t/{}/reports", server.base, tenant.id),
                None,
                Some(SealedReport::new(tenant).body),
            )
        })
        .collect();
    let measured = sealed.split_off(1000);
    let warm = drive(&http, args.clients, Arc::new(sealed), 201).await?;
    if warm.failed > 0 {
        println!("  (warm-up: {warm})");
    }
    drive(&http, args.clients, Arc::new(measured), 201).await
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
