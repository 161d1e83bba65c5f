//! The exact disclosure audit behind secondary suppression.
//!
//! A [`System`] is a set of non-negative integer numbers ("entries": the
//! cells and totals of a report and of the tenant's earlier reports of the
//! same year), some published (known), some hidden, tied by homogeneous
//! linear equations with coefficients +1 and −1 (the cells of a table add
//! up to its total; a year's cell is the sum of its quarters' cells). A
//! hidden entry is *safe* when two integer fillings of every hidden entry
//! that satisfy every equation give it different values; otherwise anyone
//! holding the published numbers can solve it.
//!
//! The audit is exact in the direction that matters: an entry is declared
//! safe only with two witness fillings, each checked equation by equation
//! in integers ([`System::satisfied_by`]). The witnesses are found by a
//! depth-first search with interval propagation over the equations; a
//! search that exceeds its budget, or a system with no filling at all,
//! counts as *not* safe, so running out of effort only ever hides more.
//! No floating point and no LP solver are involved: the tables here are
//! small (tens of entries), and the property test checks the result
//! against an independent brute-force enumeration.

/// Most search nodes spent on one witness before giving up (and treating
/// the entry as solvable: more gets hidden, never less).
const NODE_BUDGET: u64 = 20_000;

/// One linear equation: `Σ coef × entry = 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation(pub Vec<(usize, i64)>);

/// Entries and the equations that tie them.
#[derive(Debug, Clone)]
pub struct System {
    /// Each entry's published value, or `None` when hidden.
    pub known: Vec<Option<i64>>,
    /// The equations.
    pub equations: Vec<Equation>,
    /// The largest value a hidden entry is searched up to (witnesses are
    /// only looked for below it; see the module's doc for why that is safe).
    pub cap: i64,
}

/// What the audit found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every protected entry has two witnesses with different values.
    Safe,
    /// No filling satisfies the equations at all (earlier reports that
    /// contradict this one: the data changed since they were published).
    Inconsistent,
    /// This protected entry takes one value in every filling found.
    Solvable(usize),
}

/// Fillings found so far (every entry's value), kept across rounds of
/// secondary suppression: hiding more never invalidates a filling.
#[derive(Debug, Clone, Default)]
pub struct Witnesses(Vec<Vec<i64>>);

impl Witnesses {
    /// No fillings yet.
    pub fn new() -> Self {
        Self::default()
    }
}

type Domains = Vec<(i64, i64)>;

impl System {
    /// Whether a filling gives every published entry its value, is
    /// non-negative and satisfies every equation (exact integers).
    pub fn satisfied_by(&self, values: &[i64]) -> bool {
        values.len() == self.known.len()
            && values.iter().all(|&v| v >= 0)
            && self
                .known
                .iter()
                .zip(values)
                .all(|(known, &v)| known.is_none_or(|k| k == v))
            && self.equations.iter().all(|Equation(terms)| {
                terms.iter().try_fold(0i64, |sum, &(i, c)| {
                    sum.checked_add(c.checked_mul(values[i])?)
                }) == Some(0)
            })
    }

    fn domains(&self) -> Domains {
        self.known
            .iter()
            .map(|k| k.map_or((0, self.cap), |v| (v, v)))
            .collect()
    }

    /// Narrows the domains until no equation narrows them further; false
    /// when a domain becomes empty.
    fn propagate(&self, domains: &mut Domains) -> bool {
        let mut changed = true;
        while changed {
            changed = false;
            for Equation(terms) in &self.equations {
                // Bounds of the whole sum.
                let (mut lo, mut hi) = (0i64, 0i64);
                for &(i, c) in terms {
                    let (a, b) = domains[i];
                    if c > 0 {
                        lo += c * a;
                        hi += c * b;
                    } else {
                        lo += c * b;
                        hi += c * a;
                    }
                }
                if lo > 0 || hi < 0 {
                    return false;
                }
                for &(i, c) in terms {
                    let (a, b) = domains[i];
                    // The rest of the sum lies in [lo - own_lo, hi - own_hi].
                    let (own_lo, own_hi) = if c > 0 {
                        (c * a, c * b)
                    } else {
                        (c * b, c * a)
                    };
                    let (rest_lo, rest_hi) = (lo - own_lo, hi - own_hi);
                    // c·x = −rest, so c·x ∈ [−rest_hi, −rest_lo].
                    let (new_a, new_b) = if c > 0 {
                        (div_ceil(-rest_hi, c), div_floor(-rest_lo, c))
                    } else {
                        (div_ceil(-rest_lo, c), div_floor(-rest_hi, c))
                    };
                    let (na, nb) = (a.max(new_a), b.min(new_b));
                    if na > nb {
                        return false;
                    }
                    if (na, nb) != (a, b) {
                        domains[i] = (na, nb);
                        changed = true;
                        // Recompute the sum's bounds for the next terms.
                        let (old_lo, old_hi) = (own_lo, own_hi);
                        let (new_lo, new_hi) = if c > 0 {
                            (c * na, c * nb)
                        } else {
                            (c * nb, c * na)
                        };
                        lo += new_lo - old_lo;
                        hi += new_hi - old_hi;
                    }
                }
            }
        }
        true
    }

    /// A filling within the domains, by depth-first search splitting the
    /// smallest open domain in halves.
    fn search(&self, domains: Domains, budget: &mut u64) -> Option<Vec<i64>> {
        let mut stack = vec![domains];
        while let Some(mut d) = stack.pop() {
            if *budget == 0 {
                return None;
            }
            *budget -= 1;
            if !self.propagate(&mut d) {
                continue;
            }
            let open = d
                .iter()
                .enumerate()
                .filter(|(_, (a, b))| a < b)
                .min_by_key(|(_, (a, b))| b - a)
                .map(|(i, _)| i);
            match open {
                None => {
                    let values: Vec<i64> = d.iter().map(|(a, _)| *a).collect();
                    if self.satisfied_by(&values) {
                        return Some(values);
                    }
                }
                Some(i) => {
                    let (a, b) = d[i];
                    let mid = a + (b - a) / 2;
                    let mut upper = d.clone();
                    upper[i] = (mid + 1, b);
                    d[i] = (a, mid);
                    // The lower half is searched first (popped first).
                    stack.push(upper);
                    stack.push(d);
                }
            }
        }
        None
    }

    /// Checks that every entry in `protect` is hidden and safe, with the
    /// fillings of `witnesses` first and new searches where they do not
    /// suffice (new fillings are added to `witnesses`).
    pub fn audit(&self, protect: &[usize], witnesses: &mut Witnesses) -> Verdict {
        witnesses.0.retain(|w| self.satisfied_by(w));
        if witnesses.0.is_empty() {
            let mut budget = NODE_BUDGET;
            match self.search(self.domains(), &mut budget) {
                Some(w) => witnesses.0.push(w),
                None => return Verdict::Inconsistent,
            }
        }
        for &entry in protect {
            if self.known[entry].is_some() {
                return Verdict::Solvable(entry);
            }
            let first = witnesses.0[0][entry];
            if witnesses.0.iter().any(|w| w[entry] != first) {
                continue;
            }
            let mut found = None;
            for (a, b) in [(0, first - 1), (first + 1, self.cap)] {
                if a > b {
                    continue;
                }
                let mut domains = self.domains();
                domains[entry] = (a, b);
                let mut budget = NODE_BUDGET;
                if let Some(w) = self.search(domains, &mut budget) {
                    found = Some(w);
                    break;
                }
            }
            match found {
                Some(w) => witnesses.0.push(w),
                None => return Verdict::Solvable(entry),
            }
        }
        Verdict::Safe
    }
}

fn div_floor(a: i64, b: i64) -> i64 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

fn div_ceil(a: i64, b: i64) -> i64 {
    -div_floor(-a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(values: &[Option<i64>], total: Option<i64>) -> System {
        let mut known = values.to_vec();
        known.push(total);
        let n = values.len();
        let mut terms: Vec<(usize, i64)> = (0..n).map(|i| (i, 1)).collect();
        terms.push((n, -1));
        System {
            known,
            equations: vec![Equation(terms)],
            cap: 100,
        }
    }

    #[test]
    fn one_hidden_cell_beside_a_total_is_solvable() {
        let system = table(&[Some(7), None, Some(9)], Some(18));
        assert_eq!(
            system.audit(&[1], &mut Witnesses::new()),
            Verdict::Solvable(1)
        );
    }

    #[test]
    fn two_hidden_zeros_are_solvable_and_a_third_cell_saves_them() {
        // 0 + 0 hidden beside a published total: both must be 0.
        let system = table(&[Some(7), None, None], Some(7));
        assert!(matches!(
            system.audit(&[1, 2], &mut Witnesses::new()),
            Verdict::Solvable(_)
        ));
        let system = table(&[None, None, None], Some(7));
        assert_eq!(
            system.audit(&[0, 1, 2], &mut Witnesses::new()),
            Verdict::Safe
        );
    }

    #[test]
    fn contradictory_numbers_are_inconsistent() {
        let system = table(&[Some(7), None], Some(5));
        assert_eq!(
            system.audit(&[1], &mut Witnesses::new()),
            Verdict::Inconsistent
        );
    }

    #[test]
    fn a_year_minus_its_quarters_is_solvable() {
        // Entries: q1, q2, year; year = q1 + q2; q1 published.
        let system = System {
            known: vec![Some(6), None, Some(8)],
            equations: vec![Equation(vec![(2, 1), (0, -1), (1, -1)])],
            cap: 50,
        };
        assert_eq!(
            system.audit(&[1], &mut Witnesses::new()),
            Verdict::Solvable(1)
        );
    }

    #[test]
    fn integer_division_rounds_the_right_way() {
        assert_eq!(div_floor(-3, 2), -2);
        assert_eq!(div_ceil(-3, 2), -1);
        assert_eq!(div_floor(3, -2), -2);
        assert_eq!(div_ceil(3, 2), 2);
    }
}
