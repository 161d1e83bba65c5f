//! Times mailbox derivation natively, for comparison with the browser
//! (`scripts/measure-argon2.sh` runs this and the browser measurement).
//!
//! `cargo run --release -p meldkluis-web-client --example measure-argon2 -- [RUNS] [CANDIDATES]`
//! where CANDIDATES is `memory_kib:passes:lanes,...`. Prints one JSON object.

use std::time::Instant;

use meldkluis_crypto_core::mailbox::{KdfParams, KDF_V1};
use meldkluis_crypto_core::{os_rng, LoginCode, MailboxKeys, TenantId};

fn median_min_max(mut times: Vec<f64>) -> (f64, f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args
        .next()
        .map_or(3, |r| r.parse().expect("RUNS is a number"));
    let candidates: Vec<KdfParams> = args
        .next()
        .unwrap_or_else(|| "19456:2:1,47104:1:1,65536:2:1".to_owned())
        .split(',')
        .map(|triple| {
            let n: Vec<u32> = triple
                .split(':')
                .map(|x| x.parse().expect("numbers in m:t:p"))
                .collect();
            KdfParams {
                memory_kib: n[0],
                iterations: n[1],
                parallelism: n[2],
            }
        })
        .collect();
    let code = LoginCode::generate(&mut os_rng());
    let tenant = TenantId::new("measure").expect("valid tenant id");
    let time = |params: &KdfParams| {
        let times = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let keys = MailboxKeys::derive_with(&code, &tenant, params)
                    .expect("valid Argon2 parameters");
                let elapsed = start.elapsed().as_secs_f64() * 1000.0;
                drop(keys);
                elapsed
            })
            .collect();
        median_min_max(times)
    };
    let row = |params: &KdfParams, production: bool| {
        let (median, min, max) = time(params);
        format!(
            "{{\"memoryKib\": {}, \"iterations\": {}, \"parallelism\": {}, \"medianMs\": {median:.1}, \"minMs\": {min:.1}, \"maxMs\": {max:.1}, \"production\": {production}}}",
            params.memory_kib, params.iterations, params.parallelism
        )
    };
    let mut rows: Vec<String> = candidates.iter().map(|params| row(params, false)).collect();
    rows.push(row(&KDF_V1, true));
    println!("{{\"rows\": [{}]}}", rows.join(", "));
}
