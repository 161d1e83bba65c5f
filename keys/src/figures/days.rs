//! Day arithmetic for the figures: the console's day numbers, and months
//! added the way the server adds the feedback term (`server/src/dates.rs`:
//! the same day of the month, or the month's last day when it has fewer).

pub(crate) use crate::console::deadlines::{add_days, day_number};

/// The day `n` months after `day`, if `day` is a day.
pub(crate) fn add_months(day: &str, n: u32) -> Option<String> {
    day_number(day)?;
    let year: i64 = day.get(0..4)?.parse().ok()?;
    let month: i64 = day.get(5..7)?.parse().ok()?;
    let dom: i64 = day.get(8..10)?.parse().ok()?;
    let months = year * 12 + month - 1 + i64::from(n);
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let last = match month {
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 31,
    };
    Some(format!("{year:04}-{month:02}-{:02}", dom.min(last)))
}

/// Days from `from` to `to` (negative if `to` is earlier).
pub(crate) fn days_between(from: &str, to: &str) -> Option<i64> {
    Some(day_number(to)? - day_number(from)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_keep_the_day_or_take_the_months_last() {
        assert_eq!(add_months("2026-01-31", 1).as_deref(), Some("2026-02-28"));
        assert_eq!(add_months("2028-11-30", 3).as_deref(), Some("2029-02-28"));
        assert_eq!(add_months("2027-11-30", 3).as_deref(), Some("2028-02-29"));
        assert_eq!(add_months("2026-10-15", 3).as_deref(), Some("2027-01-15"));
        assert_eq!(add_months("2026-02-30", 1), None);
        assert_eq!(days_between("2026-12-30", "2027-01-02"), Some(3));
    }
}
