//! The suppressed tables as CSV (RFC 4180, CRLF line ends), for a
//! spreadsheet: one line per cell and per total, a hidden number as an
//! empty field, every cell made formula-safe as the console's register
//! CSV is (a category label is the tenant's text).

use meldkluis_i18n::{t, Lang};

use super::render::{cell_label, table_title};
use super::{FiguresReport, TimeId};

/// The CSV's header line's fields.
pub const HEADER: [&str; 5] = ["period", "table", "cell", "label", "value"];

/// The report's tables and time figures as CSV, labels in `lang`.
/// Hidden numbers are empty fields; totals are the cell `total`; time
/// figures are the table `time_<step>` with cells `median_days` and
/// `p90_days`; shares are the table `share` with the cell of their table.
pub fn to_csv(report: &FiguresReport, lang: Lang) -> String {
    let period = report.period.to_string();
    let value = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut records: Vec<Vec<String>> = vec![HEADER.iter().map(|h| (*h).to_owned()).collect()];
    for table in &report.tables {
        for cell in &table.cells {
            records.push(vec![
                period.clone(),
                table.id.code().to_owned(),
                cell.id.clone(),
                cell_label(lang, table.id, cell),
                value(cell.value),
            ]);
        }
        records.push(vec![
            period.clone(),
            table.id.code().to_owned(),
            "total".to_owned(),
            t(lang, "figures-total"),
            value(table.total),
        ]);
    }
    for time in &report.times {
        for (cell, v, id) in [
            ("median_days", time.median_days, "figures-median"),
            ("p90_days", time.p90_days, "figures-p90"),
        ] {
            records.push(vec![
                period.clone(),
                format!("time_{}", time.id.code()),
                cell.to_owned(),
                format!("{} — {}", time_title(lang, time.id), t(lang, id)),
                value(v.map(u64::from)),
            ]);
        }
    }
    for share in &report.shares {
        records.push(vec![
            period.clone(),
            "share".to_owned(),
            share.id.code().to_owned(),
            table_title(lang, share.id),
            value(share.met_percent.map(u64::from)),
        ]);
    }
    crate::console::csv::write(&records)
}

pub(crate) fn time_title(lang: Lang, id: TimeId) -> String {
    t(lang, &format!("figures-time-{}", id.code()))
}
