//! A sliding multiset of numbers that answers one fixed percentile in
//! O(log n) per insertion and removal: the values split into the lower part
//! (the `k + 1` smallest, where `k` is the rank the percentile falls at) and
//! the upper part, each an ordered map of value to multiplicity. The
//! percentile is read at the meeting point, interpolating between the
//! largest lower and the smallest upper value.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A finite f64 ordered totally (NaN never enters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Num(pub f64);

impl Eq for Num {}

impl PartialOrd for Num {
    fn partial_cmp(&self, o: &Num) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Num {
    fn cmp(&self, o: &Num) -> Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Quantile {
    lower: BTreeMap<Num, u32>,
    upper: BTreeMap<Num, u32>,
    n_lower: usize,
    n_upper: usize,
}

impl Quantile {
    pub fn len(&self) -> usize {
        self.n_lower + self.n_upper
    }

    pub fn insert(&mut self, x: f64, p: f64) {
        let goes_low = self.lower.last_key_value().is_some_and(|(m, _)| x <= m.0);
        if goes_low {
            add(&mut self.lower, x);
            self.n_lower += 1;
        } else {
            add(&mut self.upper, x);
            self.n_upper += 1;
        }
        self.balance(p);
    }

    /// Removes one `x`; false when there is none.
    pub fn remove(&mut self, x: f64, p: f64) -> bool {
        let removed = if take(&mut self.lower, x) {
            self.n_lower -= 1;
            true
        } else if take(&mut self.upper, x) {
            self.n_upper -= 1;
            true
        } else {
            false
        };
        self.balance(p);
        removed
    }

    pub fn clear(&mut self) {
        *self = Quantile::default();
    }

    /// The `p`th percentile (0 to 100), interpolated linearly between the
    /// closest ranks (as `PERCENTILE_CONT`): at rank `h = p/100 * (n - 1)`.
    pub fn value(&self, p: f64) -> Option<f64> {
        let (lo, _) = self.lower.last_key_value()?;
        let h = rank(p, self.len());
        let frac = h - h.floor();
        match self.upper.first_key_value() {
            Some((hi, _)) if frac > 0.0 => Some(lo.0 + frac * (hi.0 - lo.0)),
            _ => Some(lo.0),
        }
    }

    /// Moves values across until the lower part holds `floor(h) + 1`.
    fn balance(&mut self, p: f64) {
        let n = self.len();
        let want = if n == 0 { 0 } else { rank(p, n).floor() as usize + 1 };
        while self.n_lower > want {
            let Some((&m, _)) = self.lower.last_key_value() else { break };
            take(&mut self.lower, m.0);
            add(&mut self.upper, m.0);
            self.n_lower -= 1;
            self.n_upper += 1;
        }
        while self.n_lower < want {
            let Some((&m, _)) = self.upper.first_key_value() else { break };
            take(&mut self.upper, m.0);
            add(&mut self.lower, m.0);
            self.n_upper -= 1;
            self.n_lower += 1;
        }
    }
}

/// The 0-based fractional rank of percentile `p` among `n` values.
fn rank(p: f64, n: usize) -> f64 {
    (p.clamp(0.0, 100.0) / 100.0) * (n.saturating_sub(1) as f64)
}

fn add(m: &mut BTreeMap<Num, u32>, x: f64) {
    *m.entry(Num(x)).or_insert(0) += 1;
}

fn take(m: &mut BTreeMap<Num, u32>, x: f64) -> bool {
    match m.get_mut(&Num(x)) {
        Some(c) if *c > 1 => {
            *c -= 1;
            true
        }
        Some(_) => {
            m.remove(&Num(x));
            true
        }
        None => false,
    }
}

/// The same percentile from a list, by sorting: the reference the tests
/// compare with.
#[cfg(test)]
pub(crate) fn percentile_of(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = rank(p, v.len());
    let k = h.floor() as usize;
    let frac = h - h.floor();
    Some(match v.get(k + 1) {
        Some(&hi) if frac > 0.0 => v[k] + frac * (hi - v[k]),
        _ => v[k],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_sorting(ops in prop::collection::vec((any::<bool>(), -50i32..50), 1..200), p in 0u8..=100) {
            let p = f64::from(p);
            let mut q = Quantile::default();
            let mut live: Vec<f64> = Vec::new();
            for (insert, x) in ops {
                let x = f64::from(x) / 4.0;
                if insert || live.is_empty() {
                    q.insert(x, p);
                    live.push(x);
                } else {
                    let victim = live.remove(((x + 50.0) as usize) % live.len());
                    prop_assert!(q.remove(victim, p));
                }
                prop_assert_eq!(q.len(), live.len());
                prop_assert_eq!(q.value(p), percentile_of(&live, p));
            }
        }
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_middle() {
        let mut q = Quantile::default();
        for x in [4.0, 1.0, 3.0, 2.0] {
            q.insert(x, 50.0);
        }
        assert_eq!(q.value(50.0), Some(2.5));
        assert!(!q.remove(9.0, 50.0));
    }
}
