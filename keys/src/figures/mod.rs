//! Figures reports for management recipients (issue 12): counts of reports
//! per quarter or year, suppressed so that no published number, alone or
//! with the tenant's earlier figures reports, tells anyone about fewer
//! than `k` reports.
//!
//! Figures are computed where reports are opened, in the advisor's
//! console, from the tenant's register lines (codes and days only) and
//! what the console opened of each live report (anonymous or named, the
//! reporter's category). Only the suppressed tables leave this module:
//! [`compute`] gives a [`FiguresReport`] (`meldkluis-figures/1`, described
//! in `keys/FIGURES.md`), which the console seals to the management
//! recipients; [`csv`] and [`render`] show the same suppressed tables.
//!
//! This module is pure: no HTTP, no files, no clock (today is an input).
//! It must never put free text in a report: cells are codes, category
//! labels come from the tenant's questionnaire, numbers are counts, days
//! and percentages.
//!
//! Suppression ([`audit`]): every count below the threshold `k` (0
//! included) is hidden (primary suppression); then more cells are hidden,
//! smallest first, until an exact audit finds, for every hidden cell, two
//! fillings of all hidden numbers that agree with everything published:
//! this report's cells and totals, the tenant's earlier reports of the
//! same year, and the rule that a year's tables are the sums of its
//! quarters'.

pub mod audit;
mod compute;
pub mod csv;
pub(crate) mod days;
mod period;
pub mod render;
mod report;

use serde::{Deserialize, Serialize};

pub use compute::{compute, count_tables, TrueCounts};
pub use period::Period;
pub use report::{
    Cell, FiguresReport, Group, Label, Share, Table, TableId, TimeFigure, TimeId, Withheld, FORMAT,
    MAX_DOCUMENT_BYTES, NO_CATEGORY,
};

use crate::client::RegisterLine;

/// The threshold a tenant gets unless it sets a higher one.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// No tenant may set a lower threshold (domain.md).
pub const MIN_THRESHOLD: u32 = 3;
/// The highest threshold accepted (beyond it nothing would be published).
pub const MAX_THRESHOLD: u32 = 1000;
/// A median or 90th percentile is given only over at least this many
/// reports (and at least the threshold).
pub const MIN_TIME_N: usize = 10;

/// Why figures could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FiguresError {
    /// The period is not `YYYY-Qn` or `YYYY`.
    #[error("not a period (2026-Q3 or 2026): {0}")]
    BadPeriod(String),
    /// The period has not ended yet: reports could still enter it.
    #[error("the period {0} has not ended")]
    NotEnded(Period),
    /// The threshold is below [`MIN_THRESHOLD`] or above [`MAX_THRESHOLD`].
    #[error("threshold {0}: at least 3 and at most 1000")]
    BadThreshold(u32),
    /// A day is not `YYYY-MM-DD`.
    #[error("not a day: {0}")]
    BadDay(String),
    /// A figures document breaks a rule of keys/FIGURES.md.
    #[error("not a meldkluis-figures/1 document: {0}")]
    Malformed(String),
}

impl FiguresError {
    /// The id of the translated text (figures.ftl) that says what is wrong.
    pub fn text_id(&self) -> &'static str {
        match self {
            Self::BadPeriod(_) => "figures-error-period",
            Self::NotEnded(_) => "figures-error-not-ended",
            Self::BadThreshold(_) => "figures-error-threshold",
            Self::BadDay(_) => "figures-error-day",
            Self::Malformed(_) => "figures-error-malformed",
        }
    }
}

/// The threshold k: no published count is below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Threshold(u32);

impl Threshold {
    /// A threshold; below 3 (or above 1000) is refused, never clamped, so
    /// a misconfigured tenant is told rather than silently changed.
    pub fn new(k: u32) -> Result<Self, FiguresError> {
        if (MIN_THRESHOLD..=MAX_THRESHOLD).contains(&k) {
            Ok(Self(k))
        } else {
            Err(FiguresError::BadThreshold(k))
        }
    }

    /// The value.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Self(DEFAULT_THRESHOLD)
    }
}

impl TryFrom<u32> for Threshold {
    type Error = FiguresError;
    fn try_from(k: u32) -> Result<Self, Self::Error> {
        Self::new(k)
    }
}

impl From<Threshold> for u32 {
    fn from(k: Threshold) -> Self {
        k.0
    }
}

/// The tenant's terms (its questionnaire): days to acknowledge receipt
/// (1 to 7) and months to give feedback (1 to 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Days within which receipt is acknowledged.
    pub acknowledgement_days: u32,
    /// Months within which feedback is given.
    pub feedback_months: u32,
}

impl Terms {
    /// Terms held to the law's range (as the server holds them).
    pub fn new(acknowledgement_days: u32, feedback_months: u32) -> Self {
        Self {
            acknowledgement_days: acknowledgement_days.clamp(1, 7),
            feedback_months: feedback_months.clamp(1, 3),
        }
    }

    /// The terms of a questionnaire as the server serves it (the law's
    /// maximum where it says nothing).
    pub fn from_questionnaire(questionnaire: &serde_json::Value) -> Self {
        let field = |name: &str, default: u32| {
            questionnaire[name]
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(default)
        };
        Self::new(
            field("acknowledgement_days", 7),
            field("feedback_months", 3),
        )
    }
}

impl Default for Terms {
    fn default() -> Self {
        Self::new(7, 3)
    }
}

/// A category of the tenant's questionnaire, with its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDef {
    /// The category id.
    pub id: String,
    /// Its names.
    pub label: Label,
}

impl CategoryDef {
    /// The categories of a questionnaire as the server serves it (in its
    /// order; a name missing in English falls back to the Dutch one).
    pub fn from_questionnaire(questionnaire: &serde_json::Value) -> Vec<Self> {
        questionnaire["categories"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let id = c["id"].as_str()?;
                let nl = c["label"]["nl"].as_str().unwrap_or(id);
                let en = c["label"]["en"].as_str().unwrap_or(nl);
                Some(Self {
                    id: id.to_owned(),
                    label: Label {
                        nl: nl.to_owned(),
                        en: en.to_owned(),
                    },
                })
            })
            .collect()
    }
}

/// What the console opened of a live report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opened {
    /// Whether the reporter stayed anonymous.
    pub anonymous: bool,
    /// The category the reporter chose, if any (used when the advisor
    /// recorded none in the register).
    pub reporter_category: Option<String>,
}

/// One report as the figures see it: the register line's codes and
/// recorded days, and what the console opened (nothing once the content
/// is deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// The register number (for tests and diagnostics; never published).
    pub number: i64,
    /// Day received.
    pub received_day: String,
    /// Day receipt was first acknowledged.
    pub acknowledged_day: Option<String>,
    /// Day feedback was first given.
    pub feedback_day: Option<String>,
    /// Day closed.
    pub closed_day: Option<String>,
    /// Closing reason code.
    pub closing_reason: Option<String>,
    /// The category the advisor recorded in the register.
    pub category: Option<String>,
    /// `web`, `oral` or `meeting`.
    pub channel: String,
    /// The report id while the content exists (32 hex).
    pub report_id: Option<String>,
    /// Anonymous or named, if the console opened the report (unknown once
    /// the content is deleted).
    pub anonymous: Option<bool>,
    /// The reporter's own category, if the console opened the report.
    pub reporter_category: Option<String>,
}

impl CaseRecord {
    /// A register line, with what the console opened of the report.
    pub fn from_register(line: &RegisterLine, opened: Option<&Opened>) -> Self {
        Self {
            number: line.number,
            received_day: line.received_day.clone(),
            acknowledged_day: line.acknowledged_day.clone(),
            feedback_day: line.feedback_day.clone(),
            closed_day: line.closed_day.clone(),
            closing_reason: line.closing_reason.clone(),
            category: line.category.clone(),
            channel: line.channel.clone().unwrap_or_else(|| "web".to_owned()),
            report_id: line.report_id.clone(),
            anonymous: opened.map(|o| o.anonymous),
            reporter_category: opened.and_then(|o| o.reporter_category.clone()),
        }
    }
}

/// Everything about the tenant that a report needs besides its records.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The tenant id.
    pub tenant: String,
    /// Today (`YYYY-MM-DD`): the report's generated day.
    pub today: String,
    /// The tenant's terms.
    pub terms: Terms,
    /// The tenant's threshold.
    pub threshold: Threshold,
    /// The questionnaire's categories, in its order.
    pub categories: Vec<CategoryDef>,
}
