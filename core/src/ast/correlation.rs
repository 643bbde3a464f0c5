//! Correlation rules: conditions over a stream of events rather than one.
//!
//! A correlation takes the events that its [`Step`]s match (each step is a
//! rule named by id, an inline condition, or another correlation), splits
//! them into groups by the values of its [`GroupKey`]s (one account, one
//! host and user...), and within a window of event time computes a
//! [`Measure`]: a count, distinct values, a sum or percentile, whether the
//! steps happened in order, or whether a value is new for the group.
//!
//! The DSL writes one as a `correlation ID { ... }` block with a `correlate:`
//! key; Sigma writes it as a document with a `correlation:` section. Both
//! give this ast, and `landwatch convert` prints Sigma correlations in the DSL.

use std::time::Duration;

use super::{EventKind, Expr, Field, Level};

/// A correlation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    /// Unique across everything loaded, rules and correlations alike.
    pub id: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub description: Option<String>,
    /// Whether the rules (and correlations) that the steps name still report
    /// their own detections. A rule is silenced only when every correlation
    /// that names it says `false`. The DSL's default is `true` (a named rule
    /// is a detection of its own); Sigma's is `false`, as its specification
    /// says. Inline steps never report on their own.
    pub generate: bool,
    pub measure: Measure,
    /// What the correlation takes events from. For [`Measure::Sequence`],
    /// in order; for the others, any of them.
    pub steps: Vec<Step>,
    /// The fields whose values make a group; empty: one group for the stream.
    pub group_by: Vec<GroupKey>,
    /// The window of event time the measure looks at: events within this
    /// span of each other, both ends included. For [`Measure::FirstSeen`],
    /// the learning period instead: from the first event the scanner
    /// correlates (the start of the stream), values are learned and nothing
    /// fires for this long.
    pub window: Duration,
    /// Only events inside (or outside) the business hours of the scanner's
    /// calendar take part.
    pub hours: Option<Hours>,
}

/// What a correlation computes per group, and when it fires.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// The number of events: `count >= 20` (Sigma `event_count`).
    Count(Threshold),
    /// The number of distinct values: `count distinct Computer >= 5`
    /// (Sigma `value_count`). Values compare ignoring case.
    Distinct(Operand, Threshold),
    /// The sum of a numeric field (Sigma `value_sum`).
    Sum(Field, Threshold),
    /// The mean of a numeric field (Sigma `value_avg`).
    Avg(Field, Threshold),
    /// The median of a numeric field, the mean of the middle two for an
    /// even count (Sigma `value_median`).
    Median(Field, Threshold),
    /// A percentile (0 to 100) of a numeric field, interpolated linearly
    /// between the closest ranks (Sigma `value_percentile`).
    Percentile(f64, Field, Threshold),
    /// Every step, each by a later event than the one before
    /// (Sigma `temporal_ordered`).
    Sequence,
    /// The number of distinct steps seen, in any order (Sigma `temporal`);
    /// `>= steps.len()` is "all of them".
    Temporal(Threshold),
    /// A value the group has not had before, once the learning period is
    /// over.
    FirstSeen(Operand),
}

/// A value a [`Measure`] looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(Field),
    /// The name of the network zone holding the field's address (zones are
    /// given to the scanner); events whose address is in no zone do not
    /// take part.
    Zone(Field),
}

impl Operand {
    pub fn field(&self) -> &Field {
        match self {
            Operand::Field(f) | Operand::Zone(f) => f,
        }
    }
}

/// Comparisons that must all hold: `>= 5`, or `> 100 and <= 200`. Never
/// empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold(pub Vec<(ThresholdOp, f64)>);

impl Threshold {
    /// One comparison.
    pub fn new(op: ThresholdOp, value: f64) -> Threshold {
        Threshold(vec![(op, value)])
    }

    /// Whether `x` passes every comparison.
    pub fn holds(&self, x: f64) -> bool {
        self.0.iter().all(|&(op, v)| op.holds(x, v))
    }
}

/// A comparison of a measured value with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThresholdOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl ThresholdOp {
    pub const ALL: [ThresholdOp; 6] = [
        ThresholdOp::Lt,
        ThresholdOp::Le,
        ThresholdOp::Gt,
        ThresholdOp::Ge,
        ThresholdOp::Eq,
        ThresholdOp::Ne,
    ];

    /// As the DSL writes it: `<`, `<=`, `>`, `>=`, `==`, `!=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdOp::Lt => "<",
            ThresholdOp::Le => "<=",
            ThresholdOp::Gt => ">",
            ThresholdOp::Ge => ">=",
            ThresholdOp::Eq => "==",
            ThresholdOp::Ne => "!=",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            ThresholdOp::Lt => left < right,
            ThresholdOp::Le => left <= right,
            ThresholdOp::Gt => left > right,
            ThresholdOp::Ge => left >= right,
            ThresholdOp::Eq => left == right,
            ThresholdOp::Ne => left != right,
        }
    }
}

/// Where a correlation takes events from.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// A name for the step, by which group keys refer to it (`logon:`);
    /// a step that names a rule may also be referred to by the rule's id.
    pub label: Option<String>,
    pub source: Source,
}

/// The events of a step.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The events a rule matches, or the detections of another correlation
    /// (a chain), by id.
    Rule(String),
    /// The events of a kind that a condition matches, written in place.
    Inline { on: EventKind, when: Expr },
}

/// One part of a group: a name, and the field it is read from in each step.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupKey {
    /// What the group calls it (in detections: `"group": {"user": ...}`).
    /// Without aliases, the field of that name in every step.
    pub name: String,
    /// Aliases: the field to read in the events of a step, by step label or
    /// rule id. Steps not listed read the field `name`.
    pub fields: Vec<(String, Field)>,
}

impl GroupKey {
    /// A key read from the field of that name in every step.
    pub fn field(name: impl Into<String>) -> GroupKey {
        GroupKey {
            name: name.into(),
            fields: Vec::new(),
        }
    }
}

/// Which events take part, by the scanner's business-hours calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hours {
    /// Only events outside business hours (`outside business hours`).
    Outside,
    /// Only events inside them (`during business hours`).
    During,
}
