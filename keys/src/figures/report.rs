//! The `meldkluis-figures/1` document (keys/FIGURES.md): the suppressed
//! tables as they leave the console, sealed to the management recipients
//! and the tenant's advisors. Parsing is strict (unknown fields refused,
//! every rule of FIGURES.md checked), because a figures report read later
//! as an "earlier report" feeds the suppression audit, and a management
//! page renders it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{FiguresError, Period, Terms, MIN_THRESHOLD};

/// The format string of this version.
pub const FORMAT: &str = "meldkluis-figures/1";

/// Largest figures document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Most cells in one table (categories: the questionnaire allows 100).
const MAX_CELLS: usize = 128;

/// Longest category label, in characters.
const MAX_LABEL_CHARS: usize = 200;

/// One suppressed figures report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiguresReport {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tenant's id.
    pub tenant: String,
    /// The quarter or year.
    pub period: Period,
    /// The period's first day (redundant; checked against `period`).
    pub first_day: String,
    /// The period's last day (redundant; checked against `period`).
    pub last_day: String,
    /// The day the console made the report.
    pub generated_day: String,
    /// The threshold k: every published count is at least k.
    pub threshold: u32,
    /// The tenant's terms the deadline tables were measured against.
    pub terms: Terms,
    /// The tables, in the order of [`TableId::ALL`].
    pub tables: Vec<Table>,
    /// Median and 90th percentile of the days to each step.
    pub times: Vec<TimeFigure>,
    /// The share of deadlines met, where both cells are published.
    pub shares: Vec<Share>,
}

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableId {
    /// Reports received in the period, per category.
    Category,
    /// Reports received in the period, per channel (`web`, `oral`, `meeting`).
    Channel,
    /// Reports received in the period, per status at the period's end.
    Status,
    /// Reports received in the period: `anonymous`, `named`, `unknown`.
    Anonymous,
    /// Reports closed in the period, per closing reason.
    ClosingReason,
    /// Acknowledgement deadlines settled in the period: `met`, `missed`.
    Acknowledgement,
    /// Feedback deadlines settled in the period: `met`, `missed`.
    Feedback,
}

impl TableId {
    /// Every table, in the document's order.
    pub const ALL: [Self; 7] = [
        Self::Category,
        Self::Channel,
        Self::Status,
        Self::Anonymous,
        Self::ClosingReason,
        Self::Acknowledgement,
        Self::Feedback,
    ];

    /// The code, as in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::Channel => "channel",
            Self::Status => "status",
            Self::Anonymous => "anonymous",
            Self::ClosingReason => "closing_reason",
            Self::Acknowledgement => "acknowledgement",
            Self::Feedback => "feedback",
        }
    }

    /// The fixed cell ids of the table (the category table's come from the
    /// questionnaire, so it has none here).
    pub const fn fixed_cells(self) -> &'static [&'static str] {
        match self {
            Self::Category => &[],
            Self::Channel => &["web", "oral", "meeting"],
            Self::Status => &["new", "acknowledged", "feedback_given", "closed"],
            Self::Anonymous => &["anonymous", "named", "unknown"],
            Self::ClosingReason => &[
                "resolved",
                "agreed_with_reporter",
                "no_response_from_reporter",
                "withdrawn",
                "not_a_report",
                "other",
            ],
            Self::Acknowledgement | Self::Feedback => &["met", "missed"],
        }
    }

    /// Whether a year's table is the sum of its quarters' tables (true for
    /// every table but the status at the period's end).
    pub fn additive(self) -> bool {
        self != Self::Status
    }

    /// The group of tables that share one total (the count of reports
    /// received, closed, or whose deadline was settled in the period).
    pub fn group(self) -> Group {
        match self {
            Self::Category | Self::Channel | Self::Status | Self::Anonymous => Group::Received,
            Self::ClosingReason => Group::Closed,
            Self::Acknowledgement => Group::AcknowledgementSettled,
            Self::Feedback => Group::FeedbackSettled,
        }
    }
}

/// Tables that count the same reports, and so share one total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// Reports received in the period.
    Received,
    /// Reports closed in the period.
    Closed,
    /// Reports whose acknowledgement deadline was settled in the period.
    AcknowledgementSettled,
    /// Reports whose feedback deadline was settled in the period.
    FeedbackSettled,
}

impl Group {
    /// Every group.
    pub const ALL: [Self; 4] = [
        Self::Received,
        Self::Closed,
        Self::AcknowledgementSettled,
        Self::FeedbackSettled,
    ];

    /// The tables of the group.
    pub fn tables(self) -> impl Iterator<Item = TableId> {
        TableId::ALL.into_iter().filter(move |t| t.group() == self)
    }
}

/// The uncategorised cell of the category table: `~` is not allowed in a
/// questionnaire's category ids, so it cannot clash with one.
pub const NO_CATEGORY: &str = "~none";

/// A category's name in the two languages of the console and the
/// management page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Dutch.
    pub nl: String,
    /// English.
    pub en: String,
}

/// One table: its cells and its total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Which table.
    pub id: TableId,
    /// The total (the group's count), or `null` when hidden.
    pub total: Option<u64>,
    /// The cells in display order.
    pub cells: Vec<Cell>,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// The cell's code (a category id, `web`, `closed`, …).
    pub id: String,
    /// The category's name (category table only; absent for
    /// [`NO_CATEGORY`] and for every other table, whose codes the reader
    /// translates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// The count, or `null` when hidden.
    pub value: Option<u64>,
}

/// Which time figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeId {
    /// Days from receipt to acknowledgement, of reports acknowledged in the period.
    Acknowledgement,
    /// Days from receipt to the first feedback, of reports given feedback in the period.
    Feedback,
    /// Days from receipt to closure, of reports closed in the period.
    Closure,
}

impl TimeId {
    /// Every time figure, in the document's order.
    pub const ALL: [Self; 3] = [Self::Acknowledgement, Self::Feedback, Self::Closure];

    /// The code, as in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            Self::Acknowledgement => "acknowledgement",
            Self::Feedback => "feedback",
            Self::Closure => "closure",
        }
    }
}

/// Why a time figure is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// Fewer than [`super::MIN_TIME_N`] reports (or fewer than the
    /// threshold, if that is higher).
    TooFew,
}

/// Median and 90th percentile (nearest rank, whole days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeFigure {
    /// Which step.
    pub id: TimeId,
    /// The median in days, or `null` when withheld.
    pub median_days: Option<u32>,
    /// The 90th percentile in days, or `null` when withheld.
    pub p90_days: Option<u32>,
    /// Why the figure is withheld (absent when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withheld: Option<Withheld>,
}

/// The share of deadlines met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// `acknowledgement` or `feedback` (the table it is computed from).
    pub id: TableId,
    /// Whole percent met (rounded half up), or `null` unless both the
    /// `met` and the `missed` cell are published.
    pub met_percent: Option<u8>,
}

fn is_day(day: &str) -> bool {
    super::days::day_number(day).is_some()
}

fn bad(why: impl Into<String>) -> FiguresError {
    FiguresError::Malformed(why.into())
}

impl FiguresReport {
    /// Parses and checks a document (the rules of keys/FIGURES.md).
    pub fn from_json(bytes: &[u8]) -> Result<Self, FiguresError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(bad("too large"));
        }
        let report: Self = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        report.check()?;
        Ok(report)
    }

    /// The document's JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self)
            .expect("a figures report always serialises (strings and numbers only)")
    }

    /// A table by id.
    pub fn table(&self, id: TableId) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// Checks every rule of FIGURES.md.
    pub fn check(&self) -> Result<(), FiguresError> {
        if self.format != FORMAT {
            return Err(bad("format"));
        }
        let tenant_ok = (1..=64).contains(&self.tenant.len())
            && self
                .tenant
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !tenant_ok {
            return Err(bad("tenant"));
        }
        if self.first_day != self.period.first_day() || self.last_day != self.period.last_day() {
            return Err(bad("first_day/last_day do not match the period"));
        }
        if !is_day(&self.generated_day) || !self.period.ended(&self.generated_day) {
            return Err(bad("generated_day: a day after the period"));
        }
        if self.threshold < MIN_THRESHOLD || self.threshold > super::MAX_THRESHOLD {
            return Err(bad("threshold"));
        }
        if Terms::new(self.terms.acknowledgement_days, self.terms.feedback_months) != self.terms {
            return Err(bad("terms"));
        }
        let ids: Vec<TableId> = self.tables.iter().map(|t| t.id).collect();
        if ids != TableId::ALL {
            return Err(bad("tables: each table once, in order"));
        }
        let k = u64::from(self.threshold);
        for table in &self.tables {
            let what = table.id.code();
            if table.cells.len() > MAX_CELLS {
                return Err(bad(format!("{what}: too many cells")));
            }
            let mut seen = HashSet::new();
            for cell in &table.cells {
                if !seen.insert(cell.id.as_str()) {
                    return Err(bad(format!("{what}: cell {} twice", cell.id)));
                }
                match table.id {
                    TableId::Category => {
                        let id_ok = cell.id == NO_CATEGORY
                            || ((1..=64).contains(&cell.id.len())
                                && cell.id.bytes().all(|b| {
                                    b.is_ascii_lowercase()
                                        || b.is_ascii_digit()
                                        || b == b'_'
                                        || b == b'-'
                                }));
                        if !id_ok {
                            return Err(bad(format!("{what}: cell id")));
                        }
                        match (&cell.label, cell.id == NO_CATEGORY) {
                            (None, true) => {}
                            (Some(label), false) => {
                                for text in [&label.nl, &label.en] {
                                    if text.chars().count() > MAX_LABEL_CHARS
                                        || text.chars().any(char::is_control)
                                    {
                                        return Err(bad(format!("{what}: label")));
                                    }
                                }
                            }
                            _ => return Err(bad(format!("{what}: label"))),
                        }
                    }
                    other => {
                        if !other.fixed_cells().contains(&cell.id.as_str()) || cell.label.is_some()
                        {
                            return Err(bad(format!("{what}: cell {}", cell.id)));
                        }
                    }
                }
                if cell.value.is_some_and(|v| v < k) {
                    return Err(bad(format!(
                        "{what}: a published count below the threshold"
                    )));
                }
            }
            if table.id != TableId::Category {
                let order: Vec<&str> = table.cells.iter().map(|c| c.id.as_str()).collect();
                if order != table.id.fixed_cells() {
                    return Err(bad(format!("{what}: cells")));
                }
            }
            let published: u64 = table.cells.iter().filter_map(|c| c.value).sum();
            match table.total {
                Some(total) if total < k => {
                    return Err(bad(format!(
                        "{what}: a published total below the threshold"
                    )))
                }
                Some(total) if published > total => {
                    return Err(bad(format!("{what}: cells exceed the total")))
                }
                Some(total)
                    if table.cells.iter().all(|c| c.value.is_some()) && published != total =>
                {
                    return Err(bad(format!("{what}: cells do not add up to the total")))
                }
                _ => {}
            }
        }
        let times: Vec<TimeId> = self.times.iter().map(|t| t.id).collect();
        if times != TimeId::ALL {
            return Err(bad("times: each once, in order"));
        }
        for time in &self.times {
            match (time.median_days, time.p90_days, time.withheld) {
                (Some(m), Some(p), None) if m <= p => {}
                (None, None, Some(Withheld::TooFew)) => {}
                _ => return Err(bad("times: a median and p90, or withheld")),
            }
        }
        let shares: Vec<TableId> = self.shares.iter().map(|s| s.id).collect();
        if shares != [TableId::Acknowledgement, TableId::Feedback] {
            return Err(bad("shares: acknowledgement and feedback"));
        }
        for share in &self.shares {
            let expected = self.table(share.id).and_then(met_percent);
            if share.met_percent != expected {
                return Err(bad("shares: not the published cells' share"));
            }
        }
        Ok(())
    }
}

/// The whole percent of `met` among `met` + `missed`, when both are
/// published (rounded half up).
pub(crate) fn met_percent(table: &Table) -> Option<u8> {
    let value = |id: &str| {
        table
            .cells
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.value)
    };
    let (met, missed) = (value("met")?, value("missed")?);
    let all = met.checked_add(missed)?;
    if all == 0 {
        return None;
    }
    u8::try_from((met * 200 + all) / (2 * all)).ok()
}
