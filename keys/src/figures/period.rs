//! The period a figures report covers: a calendar quarter or a calendar
//! year, never a free date range (a free range would let anyone who may
//! ask for figures difference two overlapping ranges down to one report).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::FiguresError;

/// A quarter (`2026-Q3`) or a calendar year (`2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    /// A calendar quarter: `q` is 1 to 4.
    Quarter {
        /// The year.
        year: i32,
        /// The quarter, 1 to 4.
        q: u8,
    },
    /// A calendar year.
    Year(i32),
}

/// Years a period may name (the register's days are four-digit years).
const YEARS: std::ops::RangeInclusive<i32> = 2000..=9999;

impl Period {
    /// A quarter, if `q` is 1 to 4 and the year is a four-digit year.
    pub fn quarter(year: i32, q: u8) -> Result<Self, FiguresError> {
        if !(1..=4).contains(&q) || !YEARS.contains(&year) {
            return Err(FiguresError::BadPeriod(format!("{year}-Q{q}")));
        }
        Ok(Self::Quarter { year, q })
    }

    /// A year, if it is a four-digit year from 2000 on.
    pub fn year_of(year: i32) -> Result<Self, FiguresError> {
        if !YEARS.contains(&year) {
            return Err(FiguresError::BadPeriod(year.to_string()));
        }
        Ok(Self::Year(year))
    }

    /// Parses `2026-Q3` or `2026` (nothing else: no spaces, no lower case
    /// `q`, no other separators).
    pub fn parse(text: &str) -> Result<Self, FiguresError> {
        let bad = || FiguresError::BadPeriod(text.chars().take(20).collect());
        let year_of = |digits: &str| -> Result<i32, FiguresError> {
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            digits.parse().map_err(|_| bad())
        };
        match text.split_once("-Q") {
            Some((year, q)) => {
                let q = match q {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => return Err(bad()),
                };
                Self::quarter(year_of(year)?, q).map_err(|_| bad())
            }
            None => Self::year_of(year_of(text)?).map_err(|_| bad()),
        }
    }

    /// The calendar year the period lies in.
    pub fn year(self) -> i32 {
        match self {
            Self::Quarter { year, .. } | Self::Year(year) => year,
        }
    }

    /// The four quarters of the period's year.
    pub fn quarters_of_year(self) -> [Self; 4] {
        let year = self.year();
        [1, 2, 3, 4].map(|q| Self::Quarter { year, q })
    }

    /// The first day, `YYYY-MM-DD`.
    pub fn first_day(self) -> String {
        match self {
            Self::Quarter { year, q } => format!("{year:04}-{:02}-01", 3 * (q - 1) + 1),
            Self::Year(year) => format!("{year:04}-01-01"),
        }
    }

    /// The last day, `YYYY-MM-DD`.
    pub fn last_day(self) -> String {
        match self {
            Self::Quarter { year, q: 1 } => format!("{year:04}-03-31"),
            Self::Quarter { year, q: 2 } => format!("{year:04}-06-30"),
            Self::Quarter { year, q: 3 } => format!("{year:04}-09-30"),
            Self::Quarter { year, .. } | Self::Year(year) => format!("{year:04}-12-31"),
        }
    }

    /// Whether a day (`YYYY-MM-DD`) lies in the period. Days compare as
    /// text because they are zero-padded ISO days.
    pub fn contains(self, day: &str) -> bool {
        day.len() == 10 && self.first_day().as_str() <= day && day <= self.last_day().as_str()
    }

    /// Whether the period has ended on `today` (`YYYY-MM-DD`): its last
    /// day is before today. Figures are only made for ended periods, so no
    /// report can still enter them.
    pub fn ended(self, today: &str) -> bool {
        self.last_day().as_str() < today
    }

    /// The quarter a day lies in, if it is a day.
    pub fn quarter_of_day(day: &str) -> Option<Self> {
        super::days::day_number(day)?;
        let year: i32 = day.get(0..4)?.parse().ok()?;
        let month: u8 = day.get(5..7)?.parse().ok()?;
        Self::quarter(year, (month - 1) / 3 + 1).ok()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Quarter { year, q } => write!(f, "{year:04}-Q{q}"),
            Self::Year(year) => write!(f, "{year:04}"),
        }
    }
}

impl FromStr for Period {
    type Err = FiguresError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_print_their_one_spelling() {
        for text in ["2026-Q1", "2026-Q4", "2026", "2000"] {
            assert_eq!(Period::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "2026-Q0", "2026-Q5", "2026-q3", "2026Q3", "26-Q3", " 2026", "2026 ", "1999", "20260",
            "+026", "2026-Q", "2026-Q33", "", "2026-01",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn period_boundaries_are_the_calendars() {
        let q1 = Period::parse("2028-Q1").unwrap();
        assert_eq!(
            (q1.first_day(), q1.last_day()),
            ("2028-01-01".into(), "2028-03-31".into())
        );
        let q2 = Period::parse("2026-Q2").unwrap();
        assert_eq!(
            (q2.first_day(), q2.last_day()),
            ("2026-04-01".into(), "2026-06-30".into())
        );
        let q3 = Period::parse("2026-Q3").unwrap();
        assert_eq!(
            (q3.first_day(), q3.last_day()),
            ("2026-07-01".into(), "2026-09-30".into())
        );
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!(
            (q4.first_day(), q4.last_day()),
            ("2026-10-01".into(), "2026-12-31".into())
        );
        assert!(q3.contains("2026-07-01") && q3.contains("2026-09-30"));
        assert!(!q3.contains("2026-06-30") && !q3.contains("2026-10-01"));
        let year = Period::parse("2026").unwrap();
        assert!(year.contains("2026-01-01") && year.contains("2026-12-31"));
        assert!(!year.contains("2025-12-31") && !year.contains("2027-01-01"));
        // A period has ended only from the day after its last day.
        assert!(!q3.ended("2026-09-30"));
        assert!(q3.ended("2026-10-01"));
        assert!(!year.ended("2026-12-31"));
        assert!(year.ended("2027-01-01"));
        assert_eq!(Period::quarter_of_day("2026-09-30"), Some(q3));
        assert_eq!(Period::quarter_of_day("2026-10-01"), Some(q4));
        assert_eq!(Period::quarter_of_day("2026-02-30"), None);
    }
}
