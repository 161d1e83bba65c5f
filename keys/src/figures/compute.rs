//! Counting the tables of a period from the records, and suppressing them.

use std::collections::{BTreeMap, BTreeSet};

use super::audit::{Equation, System, Verdict, Witnesses};
use super::days::{add_days, add_months, day_number, days_between};
use super::report::{
    met_percent, Cell, Group, Label, Share, Table, TableId, TimeFigure, TimeId, Withheld,
};
use super::{
    CaseRecord, FiguresError, FiguresReport, Period, Setup, Terms, FORMAT, MIN_TIME_N, NO_CATEGORY,
};

/// The unsuppressed counts of one period (never leaves the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrueCounts {
    /// Per table, its cells in display order with their counts.
    pub tables: BTreeMap<TableId, Vec<(String, u64)>>,
    /// Per group, its total.
    pub totals: BTreeMap<Group, u64>,
}

fn day(text: &str) -> Result<&str, FiguresError> {
    day_number(text)
        .map(|_| text)
        .ok_or_else(|| FiguresError::BadDay(text.chars().take(20).collect()))
}

fn opt_day(text: &Option<String>) -> Result<Option<&str>, FiguresError> {
    text.as_deref().map(day).transpose()
}

/// The day a deadline was settled: the stop day when it was met, else the
/// day after it fell due (the first day it was missed); `None` while it
/// can still be met on `today`... never: callers only look at ended periods.
fn settled(due: &str, stop: Option<&str>) -> Option<(String, bool)> {
    match stop {
        Some(stop) if stop <= due => Some((stop.to_owned(), true)),
        _ => Some((add_days(due, 1)?, false)),
    }
}

/// The acknowledgement deadline of a record: due, and when/how settled.
pub(crate) fn acknowledgement_settled(record: &CaseRecord, terms: Terms) -> Option<(String, bool)> {
    let due = add_days(&record.received_day, i64::from(terms.acknowledgement_days))?;
    settled(&due, record.acknowledged_day.as_deref())
}

/// The feedback deadline: the earlier of acknowledgement + term and
/// receipt + acknowledgement term + term (domain.md).
pub(crate) fn feedback_settled(record: &CaseRecord, terms: Terms) -> Option<(String, bool)> {
    let latest_ack = add_days(&record.received_day, i64::from(terms.acknowledgement_days))?;
    let by_receipt = add_months(&latest_ack, terms.feedback_months)?;
    let due = match record.acknowledged_day.as_deref() {
        Some(ack) => add_months(ack, terms.feedback_months)?.min(by_receipt),
        None => by_receipt,
    };
    settled(&due, record.feedback_day.as_deref())
}

/// The status of a record at the end of a period, from its recorded days.
pub(crate) fn status_at(record: &CaseRecord, last_day: &str) -> &'static str {
    let by = |d: &Option<String>| d.as_deref().is_some_and(|d| d <= last_day);
    if by(&record.closed_day) {
        "closed"
    } else if by(&record.feedback_day) {
        "feedback_given"
    } else if by(&record.acknowledged_day) {
        "acknowledged"
    } else {
        "new"
    }
}

fn category_of(record: &CaseRecord) -> String {
    record
        .category
        .clone()
        .or_else(|| record.reporter_category.clone())
        .unwrap_or_else(|| NO_CATEGORY.to_owned())
}

/// The cells of the category table: the questionnaire's, then any other
/// category the records name (sorted), then the uncategorised cell.
fn category_cells(setup: &Setup, records: &[CaseRecord]) -> Vec<String> {
    let mut cells: Vec<String> = setup.categories.iter().map(|c| c.id.clone()).collect();
    let extra: BTreeSet<String> = records
        .iter()
        .map(category_of)
        .filter(|c| c != NO_CATEGORY && !cells.contains(c))
        .collect();
    cells.extend(extra);
    cells.push(NO_CATEGORY.to_owned());
    cells
}

/// Counts every table of a period (no suppression). Fails on a record
/// with a day that is not a day or a code the tables do not know.
pub fn count_tables(
    period: Period,
    records: &[CaseRecord],
    setup: &Setup,
) -> Result<TrueCounts, FiguresError> {
    let last = period.last_day();
    let mut tables: BTreeMap<TableId, Vec<(String, u64)>> = BTreeMap::new();
    tables.insert(
        TableId::Category,
        category_cells(setup, records)
            .into_iter()
            .map(|c| (c, 0))
            .collect(),
    );
    for table in TableId::ALL.into_iter().filter(|t| *t != TableId::Category) {
        tables.insert(
            table,
            table
                .fixed_cells()
                .iter()
                .map(|c| ((*c).to_owned(), 0))
                .collect(),
        );
    }
    let mut add = |table: TableId, cell: &str| -> Result<(), FiguresError> {
        let cells = tables
            .get_mut(&table)
            .expect("every table was inserted above");
        let slot = cells.iter_mut().find(|(id, _)| id == cell).ok_or_else(|| {
            FiguresError::Malformed(format!("register: {} {cell:?}", table.code()))
        })?;
        slot.1 += 1;
        Ok(())
    };
    for record in records {
        let received = day(&record.received_day)?;
        let (ack, feedback, closed) = (
            opt_day(&record.acknowledged_day)?,
            opt_day(&record.feedback_day)?,
            opt_day(&record.closed_day)?,
        );
        let _ = (ack, feedback);
        if period.contains(received) {
            add(TableId::Category, &category_of(record))?;
            add(TableId::Channel, &record.channel)?;
            add(TableId::Status, status_at(record, &last))?;
            let anonymous = match record.anonymous {
                Some(true) => "anonymous",
                Some(false) => "named",
                None => "unknown",
            };
            add(TableId::Anonymous, anonymous)?;
        }
        if closed.is_some_and(|d| period.contains(d)) {
            add(
                TableId::ClosingReason,
                record.closing_reason.as_deref().unwrap_or("other"),
            )?;
        }
        let bad_day = || FiguresError::BadDay(record.received_day.clone());
        let (ack_day, ack_met) =
            acknowledgement_settled(record, setup.terms).ok_or_else(bad_day)?;
        if period.contains(&ack_day) {
            add(
                TableId::Acknowledgement,
                if ack_met { "met" } else { "missed" },
            )?;
        }
        let (fb_day, fb_met) = feedback_settled(record, setup.terms).ok_or_else(bad_day)?;
        if period.contains(&fb_day) {
            add(TableId::Feedback, if fb_met { "met" } else { "missed" })?;
        }
    }
    let mut totals = BTreeMap::new();
    for group in Group::ALL {
        let first = group.tables().next().expect("every group has a table");
        totals.insert(group, tables[&first].iter().map(|(_, v)| v).sum());
    }
    Ok(TrueCounts { tables, totals })
}

/// Nearest-rank percentile `p`/100 of sorted values.
fn nearest_rank(sorted: &[u32], p: usize) -> Option<u32> {
    let n = sorted.len();
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Median and 90th percentile of the days to each step (of the reports
/// that reached the step in the period), withheld below `min_n` reports.
pub(crate) fn time_figures(
    period: Period,
    records: &[CaseRecord],
    min_n: usize,
) -> Vec<TimeFigure> {
    TimeId::ALL
        .into_iter()
        .map(|id| {
            let mut days: Vec<u32> = records
                .iter()
                .filter_map(|r| {
                    let stop = match id {
                        TimeId::Acknowledgement => r.acknowledged_day.as_deref(),
                        TimeId::Feedback => r.feedback_day.as_deref(),
                        TimeId::Closure => r.closed_day.as_deref(),
                    }?;
                    if !period.contains(stop) {
                        return None;
                    }
                    let d = days_between(&r.received_day, stop)?;
                    u32::try_from(d.max(0)).ok()
                })
                .collect();
            days.sort_unstable();
            if days.len() < min_n {
                return TimeFigure {
                    id,
                    median_days: None,
                    p90_days: None,
                    withheld: Some(Withheld::TooFew),
                };
            }
            TimeFigure {
                id,
                median_days: nearest_rank(&days, 50),
                p90_days: nearest_rank(&days, 90),
                withheld: None,
            }
        })
        .collect()
}

/// One row of the audit's joint table: a period's numbers, published
/// (`Some`) or hidden (`None`).
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Per table, the cells.
    pub tables: BTreeMap<TableId, Vec<(String, Option<u64>)>>,
    /// Per group, the total.
    pub totals: BTreeMap<Group, Option<u64>>,
}

impl Row {
    fn from_report(report: &FiguresReport) -> Self {
        let mut tables = BTreeMap::new();
        let mut totals = BTreeMap::new();
        for table in &report.tables {
            tables.insert(
                table.id,
                table
                    .cells
                    .iter()
                    .map(|c| (c.id.clone(), c.value))
                    .collect(),
            );
            totals.entry(table.id.group()).or_insert(table.total);
        }
        Self { tables, totals }
    }

    fn hidden(counts: &TrueCounts) -> Self {
        Self {
            tables: counts
                .tables
                .iter()
                .map(|(t, cells)| (*t, cells.iter().map(|(c, _)| (c.clone(), None)).collect()))
                .collect(),
            totals: counts.totals.keys().map(|g| (*g, None)).collect(),
        }
    }
}

/// Where an entry of the joint table is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Cell(TableId, String),
    Total,
}

/// The earlier reports that can be combined with a report of `period`,
/// the newest per period (by generated day, then by position).
pub(crate) fn related<'a>(
    period: Period,
    tenant: &str,
    earlier: &'a [FiguresReport],
) -> Vec<&'a FiguresReport> {
    let year = Period::Year(period.year());
    let mut newest: BTreeMap<Period, &FiguresReport> = BTreeMap::new();
    for report in earlier {
        let same_year = report.period.year() == period.year();
        if report.tenant != tenant || !same_year || report.period == period {
            continue;
        }
        match newest.get(&report.period) {
            Some(old) if old.generated_day > report.generated_day => {}
            _ => {
                newest.insert(report.period, report);
            }
        }
    }
    // A quarter is only tied to its year's report (quarters alone are
    // independent tables): without a year in the family, nothing is.
    let has_year = period == year || newest.contains_key(&year);
    if !has_year {
        return Vec::new();
    }
    newest.into_values().collect()
}

struct Entries {
    known: Vec<Option<i64>>,
    index: BTreeMap<(usize, Group, Slot), usize>,
    equations: BTreeMap<Group, Vec<Equation>>,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX / 4)
}

/// Suppresses the target's counts: primary, then secondary until the
/// audit is satisfied for every group.
fn suppress(
    period: Period,
    counts: &TrueCounts,
    family_rows: Vec<Row>,
    family_periods: Vec<Period>,
    rest: Option<(Vec<Period>, TrueCounts)>,
    k: u64,
) -> Row {
    // The target's published numbers: primary suppression.
    let mut target = Row {
        tables: counts
            .tables
            .iter()
            .map(|(t, cells)| {
                (
                    *t,
                    cells
                        .iter()
                        .map(|(c, v)| (c.clone(), Some(*v).filter(|v| *v >= k)))
                        .collect(),
                )
            })
            .collect(),
        totals: counts
            .totals
            .iter()
            .map(|(g, v)| (*g, Some(*v).filter(|v| *v >= k)))
            .collect(),
    };
    // Rows: target, earlier, rest.
    let mut periods = vec![Some(period)];
    let mut rows = vec![target.clone()];
    for (row, p) in family_rows.into_iter().zip(family_periods) {
        rows.push(row);
        periods.push(Some(p));
    }
    let rest_index = rest.as_ref().map(|(_, c)| {
        rows.push(Row::hidden(c));
        periods.push(None);
        rows.len() - 1
    });
    let rest_counts = rest.map(|(_, c)| c);
    let year_index = periods
        .iter()
        .position(|p| matches!(p, Some(Period::Year(_))));
    let linked = year_index.is_some() && rows.len() > 1;

    let cap = |known: &[Option<i64>]| {
        known.iter().flatten().copied().max().unwrap_or(0)
            + to_i64(counts.totals.values().sum::<u64>())
            + rest_counts
                .as_ref()
                .map_or(0, |c| to_i64(c.totals.values().sum::<u64>()))
            + 2 * to_i64(k)
            + 2
    };
    for group in Group::ALL {
        let mut witnesses = Witnesses::new();
        // What the earlier reports give away of this period already: with
        // every number of the target hidden, an entry that still takes one
        // value is known anyway. Hiding it would protect nothing (and
        // claim a protection that is not there), so it is published when
        // it is at least k, and not counted as protected either way. (It
        // is below k only if the register changed since those reports.)
        let mut given_away = BTreeSet::new();
        if linked {
            let mut blank = target.clone();
            for table in group.tables() {
                if let Some(cells) = blank.tables.get_mut(&table) {
                    cells.iter_mut().for_each(|cell| cell.1 = None);
                }
            }
            blank.totals.insert(group, None);
            rows[0] = blank;
            let entries = build(&rows, group, year_index);
            let system = System {
                cap: cap(&entries.known),
                known: entries.known,
                equations: entries.equations.get(&group).cloned().unwrap_or_default(),
            };
            for (&(row, _, ref slot), &i) in &entries.index {
                if row == 0 && system.audit(&[i], &mut witnesses) == Verdict::Solvable(i) {
                    given_away.insert(slot.clone());
                }
            }
            for slot in &given_away {
                match slot {
                    Slot::Total => {
                        let value = counts.totals[&group];
                        target.totals.insert(group, Some(value).filter(|v| *v >= k));
                    }
                    Slot::Cell(table, id) => {
                        let value = counts.tables[table]
                            .iter()
                            .find(|(c, _)| c == id)
                            .map(|(_, v)| *v);
                        if let Some(cell) = target
                            .tables
                            .get_mut(table)
                            .and_then(|cells| cells.iter_mut().find(|(c, _)| c == id))
                        {
                            cell.1 = value.filter(|v| *v >= k);
                        }
                    }
                }
            }
        }
        loop {
            rows[0] = target.clone();
            let entries = build(&rows, group, year_index.filter(|_| linked));
            let mut protect = Vec::new();
            for (&(row, g, ref slot), &i) in &entries.index {
                if g != group || entries.known[i].is_some() {
                    continue;
                }
                if row == 0 && given_away.contains(slot) {
                    continue;
                }
                let sensitive = if Some(row) == rest_index {
                    let c = rest_counts.as_ref().expect("a rest row has counts");
                    let value = match slot {
                        Slot::Total => c.totals[&group],
                        Slot::Cell(t, id) => c.tables[t]
                            .iter()
                            .find(|(c, _)| c == id)
                            .map_or(0, |(_, v)| *v),
                    };
                    value < k
                } else {
                    true
                };
                if sensitive {
                    protect.push(i);
                }
            }
            let system = System {
                cap: cap(&entries.known),
                known: entries.known.clone(),
                equations: entries.equations.get(&group).cloned().unwrap_or_default(),
            };
            let failing = match system.audit(&protect, &mut witnesses) {
                Verdict::Safe => break,
                Verdict::Inconsistent => None,
                Verdict::Solvable(i) => entries
                    .index
                    .iter()
                    .find(|(_, &j)| j == i)
                    .map(|(key, _)| key.clone()),
            };
            if !hide_one(
                &mut target,
                group,
                failing.map(|(row, _, slot)| (row, slot)),
                &given_away,
            ) {
                // Everything of the group is hidden already: nothing more
                // can be done by this report (an earlier report already
                // gave it away, or contradicts another).
                break;
            }
        }
    }
    target
}

/// Builds the entries and equations of one group's joint table.
fn build(rows: &[Row], group: Group, year_row: Option<usize>) -> Entries {
    let mut known = Vec::new();
    let mut index = BTreeMap::new();
    let mut equations: BTreeMap<Group, Vec<Equation>> = BTreeMap::new();
    let mut entry =
        |known: &mut Vec<Option<i64>>, key: (usize, Group, Slot), value: Option<i64>| -> usize {
            *index.entry(key).or_insert_with(|| {
                known.push(value);
                known.len() - 1
            })
        };
    // Every cell id of each table over all rows (a row without a cell had
    // none of it: a published 0).
    let mut cell_ids: BTreeMap<TableId, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        for table in group.tables() {
            for (id, _) in row.tables.get(&table).into_iter().flatten() {
                cell_ids.entry(table).or_default().insert(id.clone());
            }
        }
    }
    let eqs = equations.entry(group).or_default();
    for (r, row) in rows.iter().enumerate() {
        let total = entry(
            &mut known,
            (r, group, Slot::Total),
            row.totals.get(&group).copied().flatten().map(to_i64),
        );
        for table in group.tables() {
            let cells = row.tables.get(&table);
            let mut terms = vec![(total, -1)];
            for id in cell_ids.get(&table).into_iter().flatten() {
                let value = match cells.and_then(|c| c.iter().find(|(c, _)| c == id)) {
                    Some((_, v)) => v.map(to_i64),
                    None => Some(0),
                };
                let i = entry(&mut known, (r, group, Slot::Cell(table, id.clone())), value);
                terms.push((i, 1));
            }
            eqs.push(Equation(terms));
        }
    }
    if let Some(y) = year_row {
        let others: Vec<usize> = (0..rows.len()).filter(|r| *r != y).collect();
        let mut slots = vec![Slot::Total];
        for table in group.tables().filter(|t| t.additive()) {
            for id in cell_ids.get(&table).into_iter().flatten() {
                slots.push(Slot::Cell(table, id.clone()));
            }
        }
        for slot in slots {
            let mut terms = vec![(index[&(y, group, slot.clone())], 1)];
            for &r in &others {
                terms.push((index[&(r, group, slot.clone())], -1));
            }
            eqs.push(Equation(terms));
        }
    }
    Entries {
        known,
        index,
        equations,
    }
}

/// Hides one more published number of the target in `group`, the one
/// that best protects `failing` (smallest first), never one of `given_away`
/// (known from earlier reports anyway). False when nothing of the group is
/// left to hide.
fn hide_one(
    target: &mut Row,
    group: Group,
    failing: Option<(usize, Slot)>,
    given_away: &BTreeSet<Slot>,
) -> bool {
    let may_hide =
        |table: TableId, id: &str| !given_away.contains(&Slot::Cell(table, id.to_owned()));
    let smallest_in = |target: &Row, tables: &[TableId]| -> Option<(TableId, String)> {
        tables
            .iter()
            .flat_map(|t| {
                target.tables[t].iter().filter_map(move |(id, v)| {
                    v.filter(|_| may_hide(*t, id)).map(|v| (v, *t, id.clone()))
                })
            })
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)))
            .map(|(_, t, id)| (t, id))
    };
    let total_hideable = target.totals[&group].is_some() && !given_away.contains(&Slot::Total);
    let all: Vec<TableId> = group.tables().collect();
    let mut choice: Option<(TableId, String)> = None;
    let mut hide_total = false;
    match failing {
        Some((0, Slot::Cell(table, _))) => {
            choice = smallest_in(target, &[table]);
            hide_total = choice.is_none() && total_hideable;
        }
        Some((_, Slot::Cell(table, id))) => {
            let same = target.tables[&table]
                .iter()
                .any(|(c, v)| *c == id && v.is_some())
                && may_hide(table, &id);
            if same {
                choice = Some((table, id));
            } else {
                choice = smallest_in(target, &[table]);
                hide_total = choice.is_none() && total_hideable;
            }
        }
        Some((_, Slot::Total)) | None => hide_total = total_hideable,
    }
    if choice.is_none() && !hide_total {
        choice = smallest_in(target, &all);
        hide_total = choice.is_none() && total_hideable;
    }
    if hide_total {
        target.totals.insert(group, None);
        return true;
    }
    match choice {
        Some((table, id)) => {
            if let Some(cell) = target
                .tables
                .get_mut(&table)
                .and_then(|cells| cells.iter_mut().find(|(c, _)| *c == id))
            {
                cell.1 = None;
            }
            true
        }
        None => false,
    }
}

/// Computes the suppressed figures report of an ended period.
///
/// `records` are the tenant's register lines (every period: the year's
/// other quarters are needed to protect them too); `earlier` the tenant's
/// figures reports published before (any period: the ones of the same
/// year are used).
pub fn compute(
    period: Period,
    records: &[CaseRecord],
    setup: &Setup,
    earlier: &[FiguresReport],
) -> Result<FiguresReport, FiguresError> {
    let today = day(&setup.today)?;
    if !period.ended(today) {
        return Err(FiguresError::NotEnded(period));
    }
    let k = u64::from(setup.threshold.get());
    let counts = count_tables(period, records, setup)?;
    let related = related(period, &setup.tenant, earlier);
    let mut family_rows = Vec::new();
    let mut family_periods = Vec::new();
    for report in &related {
        family_rows.push(Row::from_report(report));
        family_periods.push(report.period);
    }
    let rest = if related.is_empty() {
        None
    } else {
        // The quarters of the year that have no report (and are not the
        // target) are one row: the year minus everything published.
        let missing: Vec<Period> = period
            .quarters_of_year()
            .into_iter()
            .filter(|q| *q != period && !family_periods.contains(q))
            .collect();
        if missing.is_empty() {
            None
        } else {
            let mut sum: Option<TrueCounts> = None;
            for q in &missing {
                let c = count_tables(*q, records, setup)?;
                sum = Some(match sum {
                    None => c,
                    Some(mut s) => {
                        add_counts(&mut s, &c);
                        s
                    }
                });
            }
            sum.map(|s| (missing, s))
        }
    };
    let published = suppress(period, &counts, family_rows, family_periods, rest, k);

    let tables = TableId::ALL
        .into_iter()
        .map(|id| Table {
            id,
            total: published.totals[&id.group()],
            cells: published.tables[&id]
                .iter()
                .map(|(cell, value)| Cell {
                    id: cell.clone(),
                    label: (id == TableId::Category && cell != NO_CATEGORY)
                        .then(|| label_of(setup, cell)),
                    value: *value,
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let min_n = MIN_TIME_N.max(usize::try_from(k).unwrap_or(usize::MAX));
    let shares = [TableId::Acknowledgement, TableId::Feedback]
        .into_iter()
        .map(|id| Share {
            id,
            met_percent: tables.iter().find(|t| t.id == id).and_then(met_percent),
        })
        .collect();
    let report = FiguresReport {
        format: FORMAT.to_owned(),
        tenant: setup.tenant.clone(),
        period,
        first_day: period.first_day(),
        last_day: period.last_day(),
        generated_day: today.to_owned(),
        threshold: setup.threshold.get(),
        terms: setup.terms,
        tables,
        times: time_figures(period, records, min_n),
        shares,
    };
    report.check()?;
    Ok(report)
}

fn add_counts(sum: &mut TrueCounts, more: &TrueCounts) {
    for (table, cells) in &more.tables {
        let into = sum.tables.entry(*table).or_default();
        for (id, v) in cells {
            match into.iter_mut().find(|(c, _)| c == id) {
                Some(slot) => slot.1 += v,
                None => into.push((id.clone(), *v)),
            }
        }
    }
    for (group, v) in &more.totals {
        *sum.totals.entry(*group).or_default() += v;
    }
}

fn label_of(setup: &Setup, id: &str) -> Label {
    setup
        .categories
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.label.clone())
        .unwrap_or_else(|| Label {
            nl: id.to_owned(),
            en: id.to_owned(),
        })
}
