//! A figures report as HTML (maud), for the console's preview and for a
//! token holder's read-only page: every table with a caption and header
//! scopes, and inline SVG bar charts (per category; the deadline shares
//! over the quarters) that are images with a title and a description,
//! each beside a table that says the same in text. No script, no inline
//! style (the console's CSP forbids both): colours are SVG attributes and
//! the page's stylesheet decides the rest, print included.

use maud::{html, Markup, PreEscaped};
use meldkluis_i18n::{t, tf, Arg, Lang};

use super::csv::time_title;
use super::report::{met_percent, Cell, Table, TableId, NO_CATEGORY};
use super::{FiguresReport, Period};

/// The title of a table.
pub fn table_title(lang: Lang, id: TableId) -> String {
    t(
        lang,
        &format!("figures-table-{}", id.code().replace('_', "-")),
    )
}

/// The name of a cell: a category's label in `lang`, else the code's text.
pub fn cell_label(lang: Lang, table: TableId, cell: &Cell) -> String {
    match (&cell.label, table) {
        (Some(label), _) => {
            if lang.tag() == "en" {
                label.en.clone()
            } else {
                label.nl.clone()
            }
        }
        (None, TableId::Category) if cell.id == NO_CATEGORY => t(lang, "figures-cell-no-category"),
        (None, TableId::Category) => cell.id.clone(),
        (None, other) => t(
            lang,
            &format!(
                "figures-cell-{}-{}",
                other.code().replace('_', "-"),
                cell.id.replace('_', "-")
            ),
        ),
    }
}

fn number(lang: Lang, value: Option<u64>) -> String {
    value.map_or_else(|| t(lang, "figures-hidden"), |v| v.to_string())
}

fn html_id(prefix: &str, report: &FiguresReport, what: &str) -> String {
    format!("{prefix}-{}-{what}", report.period).replace('_', "-")
}

/// The report as an HTML section (no page frame: the console wraps it in
/// its layout). `history` are the tenant's other figures reports, for the
/// deadline shares over the quarters.
pub fn render(report: &FiguresReport, lang: Lang, history: &[FiguresReport]) -> Markup {
    let period = report.period.to_string();
    html! {
        section.figures lang=(lang.tag()) id=(html_id("figures", report, "report")) {
            h2 { (tf(lang, "figures-heading", &[("period", Arg::Str(&period))])) }
            p.figures-meta {
                (tf(lang, "figures-meta", &[
                    ("first", Arg::Str(&report.first_day)),
                    ("last", Arg::Str(&report.last_day)),
                    ("generated", Arg::Str(&report.generated_day)),
                    ("threshold", Arg::Num(i64::from(report.threshold))),
                ]))
            }
            p.figures-explain { (tf(lang, "figures-explain", &[("threshold", Arg::Num(i64::from(report.threshold)))])) }
            @if let Some(category) = report.table(TableId::Category) {
                (category_chart(report, lang, category))
            }
            @for table in &report.tables {
                (table_markup(report, lang, table))
            }
            (times_markup(report, lang))
            (shares_markup(report, lang, history))
        }
    }
}

fn table_markup(report: &FiguresReport, lang: Lang, table: &Table) -> Markup {
    let title = table_title(lang, table.id);
    html! {
        table.figures-table id=(html_id("fig", report, table.id.code())) {
            caption { (title) }
            thead { tr {
                th scope="col" { (t(lang, "figures-col-cell")) }
                th scope="col" { (t(lang, "figures-col-count")) }
            } }
            tbody {
                @for cell in &table.cells {
                    tr data-cell=(cell.id) {
                        th scope="row" { (cell_label(lang, table.id, cell)) }
                        td.num data-hidden[cell.value.is_none()] { (number(lang, cell.value)) }
                    }
                }
            }
            tfoot { tr {
                th scope="row" { (t(lang, "figures-total")) }
                td.num data-hidden[table.total.is_none()] { (number(lang, table.total)) }
            } }
        }
    }
}

fn times_markup(report: &FiguresReport, lang: Lang) -> Markup {
    html! {
        table.figures-table id=(html_id("fig", report, "times")) {
            caption { (t(lang, "figures-times-caption")) }
            thead { tr {
                th scope="col" { (t(lang, "figures-col-step")) }
                th scope="col" { (t(lang, "figures-median")) }
                th scope="col" { (t(lang, "figures-p90")) }
            } }
            tbody {
                @for time in &report.times {
                    tr data-time=(time.id.code()) {
                        th scope="row" { (time_title(lang, time.id)) }
                        @match (time.median_days, time.p90_days) {
                            (Some(m), Some(p)) => {
                                td.num { (tf(lang, "figures-days", &[("days", Arg::Num(i64::from(m)))])) }
                                td.num { (tf(lang, "figures-days", &[("days", Arg::Num(i64::from(p)))])) }
                            }
                            _ => {
                                td colspan="2" { (tf(lang, "figures-too-few", &[("n", Arg::Num(i64::try_from(super::MIN_TIME_N).unwrap_or(10)))])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Escapes text for SVG (maud escapes its own output; the SVG is built as
/// text because maud has no SVG namespace).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const BAR_FILL: &str = "#1f5f8b";
const SECOND_FILL: &str = "#b4572b";

/// Horizontal bars per category (hidden cells are named, without a bar).
fn category_chart(report: &FiguresReport, lang: Lang, table: &Table) -> Markup {
    let title_id = html_id("fig", report, "category-chart-title");
    let desc_id = html_id("fig", report, "category-chart-desc");
    let table_id = html_id("fig", report, "category");
    let max = table
        .cells
        .iter()
        .filter_map(|c| c.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row_h) = (220u64, 300u64, 24u64);
    let height = row_h * table.cells.len() as u64 + 10;
    let width = label_w + bar_w + 60;
    let mut svg = format!(
        "<svg class=\"figures-chart\" role=\"img\" aria-labelledby=\"{title_id} {desc_id}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{title_id}\">{}</title><desc id=\"{desc_id}\">{}</desc>",
        esc(&table_title(lang, TableId::Category)),
        esc(&tf(lang, "figures-chart-desc", &[("table", Arg::Str(&table_title(lang, TableId::Category)))])),
    );
    for (i, cell) in table.cells.iter().enumerate() {
        let y = row_h * i as u64 + 5;
        let label = cell_label(lang, TableId::Category, cell);
        let short: String = label.chars().take(32).collect();
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"currentColor\">{}</text>",
            label_w - 8,
            y + 16,
            esc(&short)
        ));
        match cell.value {
            Some(v) => {
                let w = (bar_w * v / max).max(1);
                svg.push_str(&format!(
                    "<rect x=\"{label_w}\" y=\"{}\" width=\"{w}\" height=\"{}\" fill=\"{BAR_FILL}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"currentColor\">{v}</text>",
                    y + 3,
                    row_h - 8,
                    label_w + w + 6,
                    y + 16
                ));
            }
            None => svg.push_str(&format!(
                "<text x=\"{label_w}\" y=\"{}\" font-size=\"12\" font-style=\"italic\" fill=\"currentColor\">{}</text>",
                y + 16,
                esc(&t(lang, "figures-hidden"))
            )),
        }
    }
    svg.push_str("</svg>");
    html! {
        figure.figures-figure aria-describedby=(table_id) {
            (PreEscaped(svg))
            figcaption { (tf(lang, "figures-chart-beside", &[("table", Arg::Str(&table_title(lang, TableId::Category)))])) }
        }
    }
}

/// The deadline shares of every quarter the tenant has a report of (the
/// newest report per quarter, at most the last eight), this one included.
fn shares_markup(report: &FiguresReport, lang: Lang, history: &[FiguresReport]) -> Markup {
    let mut quarters: std::collections::BTreeMap<Period, &FiguresReport> =
        std::collections::BTreeMap::new();
    for r in history.iter().chain(std::iter::once(report)) {
        if r.tenant != report.tenant
            || !matches!(r.period, Period::Quarter { .. })
            || r.period.last_day() > report.period.last_day()
        {
            continue;
        }
        match quarters.get(&r.period) {
            Some(old) if old.generated_day > r.generated_day => {}
            _ => {
                quarters.insert(r.period, r);
            }
        }
    }
    let rows: Vec<(Period, Option<u8>, Option<u8>)> = quarters
        .values()
        .rev()
        .take(8)
        .rev()
        .map(|r| {
            let share = |id| r.table(id).and_then(met_percent);
            (
                r.period,
                share(TableId::Acknowledgement),
                share(TableId::Feedback),
            )
        })
        .collect();
    let own = |id: TableId| {
        report
            .shares
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.met_percent)
    };
    let title_id = html_id("fig", report, "shares-chart-title");
    let desc_id = html_id("fig", report, "shares-chart-desc");
    let table_id = html_id("fig", report, "shares");
    let (col_w, chart_h, top, left) = (56u64, 160u64, 10u64, 36u64);
    let width = left + col_w * rows.len().max(1) as u64 + 10;
    let height = top + chart_h + 50;
    let mut svg = format!(
        "<svg class=\"figures-chart\" role=\"img\" aria-labelledby=\"{title_id} {desc_id}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{title_id}\">{}</title><desc id=\"{desc_id}\">{}</desc>",
        esc(&t(lang, "figures-shares-caption")),
        esc(&tf(lang, "figures-chart-desc", &[("table", Arg::Str(&t(lang, "figures-shares-caption")))])),
    );
    for pct in [0u64, 50, 100] {
        let y = top + chart_h - chart_h * pct / 100;
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#999\" stroke-width=\"0.5\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"10\" fill=\"currentColor\">{pct}%</text>",
            width - 5,
            left - 4,
            y + 3
        ));
    }
    for (i, (period, ack, fb)) in rows.iter().enumerate() {
        let x = left + col_w * i as u64 + 6;
        for (j, (value, fill)) in [(ack, BAR_FILL), (fb, SECOND_FILL)].into_iter().enumerate() {
            if let Some(v) = value {
                let h = chart_h * u64::from(*v) / 100;
                svg.push_str(&format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"20\" height=\"{h}\" fill=\"{fill}\"/>",
                    x + 22 * j as u64,
                    top + chart_h - h
                ));
            }
        }
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"currentColor\">{}</text>",
            x + 21,
            top + chart_h + 14,
            esc(&period.to_string())
        ));
    }
    svg.push_str(&format!(
        "<rect x=\"{left}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{BAR_FILL}\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"currentColor\">{}</text>",
        top + chart_h + 22,
        left + 14,
        top + chart_h + 31,
        esc(&table_title(lang, TableId::Acknowledgement))
    ));
    svg.push_str(&format!(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{SECOND_FILL}\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"currentColor\">{}</text>",
        left,
        top + chart_h + 34,
        left + 14,
        top + chart_h + 43,
        esc(&table_title(lang, TableId::Feedback))
    ));
    svg.push_str("</svg>");
    let percent = |v: Option<u8>| v.map_or_else(|| t(lang, "figures-hidden"), |v| format!("{v}%"));
    html! {
        table.figures-table id=(html_id("fig", report, "own-shares")) {
            caption { (t(lang, "figures-shares-own-caption")) }
            tbody {
                tr {
                    th scope="row" { (table_title(lang, TableId::Acknowledgement)) }
                    td.num { (percent(own(TableId::Acknowledgement))) }
                }
                tr {
                    th scope="row" { (table_title(lang, TableId::Feedback)) }
                    td.num { (percent(own(TableId::Feedback))) }
                }
            }
        }
        @if !rows.is_empty() {
            figure.figures-figure aria-describedby=(table_id) {
                (PreEscaped(svg))
                figcaption { (tf(lang, "figures-chart-beside", &[("table", Arg::Str(&t(lang, "figures-shares-caption")))])) }
            }
            table.figures-table id=(table_id) {
                caption { (t(lang, "figures-shares-caption")) }
                thead { tr {
                    th scope="col" { (t(lang, "figures-col-period")) }
                    th scope="col" { (table_title(lang, TableId::Acknowledgement)) }
                    th scope="col" { (table_title(lang, TableId::Feedback)) }
                } }
                tbody {
                    @for (period, ack, fb) in &rows {
                        tr {
                            th scope="row" { (period.to_string()) }
                            td.num { (percent(*ack)) }
                            td.num { (percent(*fb)) }
                        }
                    }
                }
            }
        }
    }
}
