//! What the console's figures computation costs: `figures::compute`
//! (counting, primary and secondary suppression with the exact audit)
//! against `figures::count_tables` (counting only) on the same records in
//! the same run, for realistic tenants and one with many small cells.
//!
//! Cases (register lines made with a fixed seed; every period has ended,
//! today is 2027-01-15; besides the year's reports, a quarter's worth
//! received in 2025-Q4 is still being handled in 2026):
//! - `a-small-quarter`: 40 reports in 2026, 12 categories, 2026-Q3;
//! - `b-small-year`: the same tenant's year 2026, with its four quarters
//!   published earlier (each computed with `compute`, in order);
//! - `c-large-quarter`, `c-large-year`: 5,000 reports a year, 12
//!   categories, 2026-Q3 and the year with its four quarters;
//! - `d-small-cells-quarter`, `d-small-cells-year`: 60 reports spread
//!   evenly over 30 categories (nearly every cell below the threshold);
//! - `d-small-cells-quarter-after-year`: 2026-Q4 published after the year
//!   and Q1–Q3 (the joint table the audit solves is the largest here).
//!
//! `cargo bench -p meldkluis-keys --bench figures`

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use meldkluis_keys::figures::{
    compute, count_tables, CaseRecord, CategoryDef, FiguresReport, Label, Period, Setup, TableId,
    Terms, Threshold,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

/// Today: every period of 2026 has ended.
const TODAY: &str = "2027-01-15";

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (`YYYY-MM-DD`) of a day number.
fn civil(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A number below `n` (modulo bias is irrelevant here).
fn below(rng: &mut ChaCha20Rng, n: u32) -> i64 {
    i64::from(rng.next_u32() % n)
}

/// True with `percent` % probability.
fn chance(rng: &mut ChaCha20Rng, percent: u32) -> bool {
    rng.next_u32() % 100 < percent
}

/// A tenant to make register lines for.
struct Tenant {
    /// Reports received in 2026.
    per_year: usize,
    /// Categories in the questionnaire.
    categories: usize,
    /// Few common categories and many rare ones (a real questionnaire), or
    /// every category equally likely (many small cells).
    skewed: bool,
    seed: u64,
}

impl Tenant {
    fn setup(&self) -> Setup {
        Setup {
            tenant: "acme".into(),
            today: TODAY.into(),
            terms: Terms::default(),
            threshold: Threshold::default(),
            categories: (0..self.categories)
                .map(|i| CategoryDef {
                    id: format!("categorie-{i:02}"),
                    label: Label {
                        nl: format!("Categorie {i}"),
                        en: format!("Category {i}"),
                    },
                })
                .collect(),
        }
    }

    fn category(&self, rng: &mut ChaCha20Rng) -> String {
        let n = u32::try_from(self.categories).unwrap();
        let i = if self.skewed {
            // Weight n − i for category i: the first few are common.
            let mut pick = below(rng, n * (n + 1) / 2);
            let mut i = 0;
            while pick >= i64::from(n) - i {
                pick -= i64::from(n) - i;
                i += 1;
            }
            i
        } else {
            below(rng, n)
        };
        format!("categorie-{i:02}")
    }

    /// The register lines: `per_year` reports received in 2026 and a
    /// quarter's worth received in 2025-Q4; no recorded day after today.
    fn records(&self) -> Vec<CaseRecord> {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        let year_start = days_from_civil(2026, 1, 1);
        let q4_2025 = days_from_civil(2025, 10, 1);
        let today = days_from_civil(2027, 1, 15);
        let before = self.per_year / 4;
        let reasons = TableId::ClosingReason.fixed_cells();
        (0..before + self.per_year)
            .map(|i| {
                let received = if i < before {
                    q4_2025 + below(&mut rng, 92)
                } else {
                    year_start + below(&mut rng, 365)
                };
                let upto = |d: i64| (d <= today).then(|| civil(d));
                // Most acknowledged within the term of 7 days, some late.
                let ack = chance(&mut rng, 92).then(|| {
                    received
                        + if chance(&mut rng, 88) {
                            below(&mut rng, 7)
                        } else {
                            8 + below(&mut rng, 10)
                        }
                });
                let feedback = ack
                    .filter(|_| chance(&mut rng, 80))
                    .map(|a| a + 5 + below(&mut rng, 110));
                let closed = feedback
                    .filter(|_| chance(&mut rng, 75))
                    .map(|f| f + below(&mut rng, 120));
                let reason = closed
                    .filter(|_| chance(&mut rng, 90))
                    .map(|_| reasons[usize::try_from(below(&mut rng, 6)).unwrap()].to_owned());
                let category = chance(&mut rng, 80).then(|| self.category(&mut rng));
                let reporter_category = chance(&mut rng, 60).then(|| self.category(&mut rng));
                let channel = match below(&mut rng, 100) {
                    0..=79 => "web",
                    80..=94 => "oral",
                    _ => "meeting",
                };
                // Unknown once the content is deleted (closed long ago).
                let anonymous = chance(&mut rng, 90).then(|| chance(&mut rng, 55));
                let closed_day = closed.and_then(upto);
                CaseRecord {
                    number: i64::try_from(i).unwrap() + 1,
                    received_day: civil(received),
                    acknowledged_day: ack.and_then(upto),
                    feedback_day: feedback.and_then(upto),
                    closing_reason: closed_day.as_ref().and(reason),
                    closed_day,
                    category,
                    channel: channel.into(),
                    report_id: None,
                    anonymous,
                    reporter_category,
                }
            })
            .collect()
    }
}

/// The four quarters of 2026, each computed as the console would when it
/// is published (with the quarters published before it).
fn quarters(records: &[CaseRecord], setup: &Setup) -> Vec<FiguresReport> {
    let mut published = Vec::new();
    for q in 1..=4 {
        let report = compute(
            Period::quarter(2026, q).unwrap(),
            records,
            setup,
            &published,
        )
        .unwrap();
        published.push(report);
    }
    published
}

/// Hidden numbers (cells and totals) of a report, of all numbers.
fn hidden(report: &FiguresReport) -> (usize, usize) {
    let mut hidden = 0;
    let mut all = 0;
    for table in &report.tables {
        for value in table.cells.iter().map(|c| c.value).chain([table.total]) {
            all += 1;
            hidden += usize::from(value.is_none());
        }
    }
    (hidden, all)
}

/// One case: count_tables and compute of `period` on the same records.
fn case(
    c: &mut Criterion,
    name: &str,
    period: Period,
    records: &[CaseRecord],
    setup: &Setup,
    earlier: &[FiguresReport],
) {
    let report = compute(period, records, setup, earlier).unwrap();
    let (h, all) = hidden(&report);
    eprintln!(
        "{name}: {period}, {} register lines, {} earlier reports, {h} of {all} numbers hidden",
        records.len(),
        earlier.len()
    );
    let mut group = c.benchmark_group(format!("figures/{name}"));
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function(BenchmarkId::from_parameter("count_tables"), |b| {
        b.iter(|| black_box(count_tables(period, black_box(records), setup).unwrap()))
    });
    group.bench_function(BenchmarkId::from_parameter("compute"), |b| {
        b.iter(|| black_box(compute(period, black_box(records), setup, earlier).unwrap()))
    });
    group.finish();
}

fn figures(c: &mut Criterion) {
    let quarter = Period::quarter(2026, 3).unwrap();
    let year = Period::year_of(2026).unwrap();

    let small = Tenant {
        per_year: 40,
        categories: 12,
        skewed: true,
        seed: 12,
    };
    let (records, setup) = (small.records(), small.setup());
    case(c, "a-small-quarter", quarter, &records, &setup, &[]);
    let earlier = quarters(&records, &setup);
    case(c, "b-small-year", year, &records, &setup, &earlier);

    let large = Tenant {
        per_year: 5_000,
        categories: 12,
        skewed: true,
        seed: 5_000,
    };
    let (records, setup) = (large.records(), large.setup());
    case(c, "c-large-quarter", quarter, &records, &setup, &[]);
    let earlier = quarters(&records, &setup);
    case(c, "c-large-year", year, &records, &setup, &earlier);

    let cells = Tenant {
        per_year: 60,
        categories: 30,
        skewed: false,
        seed: 30,
    };
    let (records, setup) = (cells.records(), cells.setup());
    case(c, "d-small-cells-quarter", quarter, &records, &setup, &[]);
    let mut earlier = quarters(&records, &setup);
    case(c, "d-small-cells-year", year, &records, &setup, &earlier);
    // The other order: the year and Q1–Q3 first, then Q4 (tied to the
    // year: the audit's joint table has five rows).
    let mut first = earlier[..3].to_vec();
    first.push(compute(year, &records, &setup, &first).unwrap());
    earlier = first;
    let q4 = Period::quarter(2026, 4).unwrap();
    case(
        c,
        "d-small-cells-quarter-after-year",
        q4,
        &records,
        &setup,
        &earlier,
    );
}

criterion_group!(benches, figures);
criterion_main!(benches);
