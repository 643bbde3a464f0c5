//! Every event accounted for: how many were read, scanned and rejected (and
//! why), what correlations left out, and what fired, by rule and by level.
//!
//! One shape for everyone who reports a scan: [`Scanner::accounting`]
//! (and through it the Python and C bindings) and `landwatch scan --stats
//! json`, so that the key names are the same everywhere.
//!
//! [`Scanner::accounting`]: crate::Scanner::accounting

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Detection, ScanStats};

/// Why an event its reader could not cut out was rejected, when the caller
/// gives no reason ([`crate::Scanner::reject_unreadable`]).
pub const UNREADABLE: &str = "unreadable";

/// A scan's figures. `read == scanned + rejected` always holds, and
/// `rejected` is the sum of `rejected_by_reason`, `detections` the sum of
/// `detections_by_rule` and of `detections_by_level`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    /// Events read: given to the scanner, or cut out of the input by a
    /// reader and found unreadable. Blank lines are not events.
    pub read: u64,
    /// Events matched against the rules.
    pub scanned: u64,
    /// Events that could not be read (see `rejected_by_reason`).
    pub rejected: u64,
    /// Rejections by a short, stable reason: `malformed JSON`, `invalid
    /// UTF-8`, `not an object`, `nested too deep`, ...
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Events later than the allowed lateness: correlations skipped them
    /// (their stateless detections were kept).
    pub late: u64,
    /// Events a correlation would read but without a readable time:
    /// correlations skipped them.
    pub no_time: u64,
    /// Correlation groups evicted to stay within the state caps.
    pub evicted: u64,
    /// Events released before the lateness passed (too many waiting).
    pub forced: u64,
    /// Detections, stateless and correlated.
    pub detections: u64,
    /// Of them, correlated detections.
    pub correlated: u64,
    /// Detections by rule (or correlation) id.
    pub detections_by_rule: BTreeMap<String, u64>,
    /// Detections by level (`informational` ... `critical`).
    pub detections_by_level: BTreeMap<String, u64>,
}

impl Accounting {
    /// As one JSON object on one line, the keys as the fields are named.
    pub fn to_json(&self) -> String {
        // Numbers and string maps: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Counts one rejection under `reason`.
    pub fn reject(&mut self, reason: &str) {
        self.read += 1;
        self.rejected += 1;
        match self.rejected_by_reason.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                self.rejected_by_reason.insert(reason.to_string(), 1);
            }
        }
    }

    /// Counts one event read and scanned.
    pub fn scan(&mut self) {
        self.read += 1;
        self.scanned += 1;
    }

    /// Counts one detection.
    pub fn detection(&mut self, d: &Detection) {
        self.detections += 1;
        if d.correlation.is_some() {
            self.correlated += 1;
        }
        bump(&mut self.detections_by_rule, &d.rule);
        bump(&mut self.detections_by_level, d.level.as_str());
    }

    /// Takes the correlation figures (`late`, `no_time`, `evicted`,
    /// `forced`) from the scanner that correlated.
    pub fn correlation(&mut self, stats: &ScanStats) {
        self.late = stats.late;
        self.no_time = stats.no_time;
        self.evicted = stats.evicted;
        self.forced = stats.forced;
    }

    /// Adds another part's counts of events and detections (another
    /// thread's); the correlation figures are left as they are.
    pub fn merge(&mut self, other: &Accounting) {
        self.read += other.read;
        self.scanned += other.scanned;
        self.rejected += other.rejected;
        for (k, n) in &other.rejected_by_reason {
            *self.rejected_by_reason.entry(k.clone()).or_default() += n;
        }
        self.detections += other.detections;
        self.correlated += other.correlated;
        for (k, n) in &other.detections_by_rule {
            *self.detections_by_rule.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &other.detections_by_level {
            *self.detections_by_level.entry(k.clone()).or_default() += n;
        }
    }
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_keeps_the_identity() {
        let mut a = Accounting::default();
        a.scan();
        a.reject("not an object");
        let mut b = Accounting::default();
        b.reject("not an object");
        b.reject("invalid UTF-8");
        b.scan();
        a.merge(&b);
        assert_eq!((a.read, a.scanned, a.rejected), (5, 2, 3));
        assert_eq!(a.read, a.scanned + a.rejected);
        assert_eq!(a.rejected_by_reason.get("not an object"), Some(&2));
        assert_eq!(a.rejected_by_reason.values().sum::<u64>(), a.rejected);
    }
}
