//! The rule syntax tree: the one meeting point of the DSL parser, the printer,
//! the Sigma loader and the compiler.
//!
//! An ast holds no source positions, so that two rules that mean the same thing
//! compare equal (`parse(print(ast)) == ast` is a property test). Positions
//! live beside it, in an [`Origin`](crate::Origin).
//!
//! Two kinds of rule share it: a [`Rule`] decides on one event; a
//! [`Correlation`] decides on a stream of them (see [`correlation`]).

pub mod correlation;

use std::fmt;

pub use correlation::{
    Correlation, GroupKey, Hours, Measure, Operand, Source, Step, Threshold, ThresholdOp,
};

use serde::{Deserialize, Serialize};

/// How serious a detection is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which events a rule looks at (`on:` in the DSL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Process creation: Sysmon 1, Security 4688, ECS process start.
    Process,
    /// Logon events: Security 4624 and 4625, ECS authentication.
    Logon,
    /// A logon with explicit credentials: Security 4648.
    ExplicitCredential,
    /// Every event.
    Any,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::Process,
        EventKind::Logon,
        EventKind::ExplicitCredential,
        EventKind::Any,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Process => "process",
            EventKind::Logon => "logon",
            EventKind::ExplicitCredential => "explicit_credential",
            EventKind::Any => "any",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule: metadata and its condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique across everything loaded, e.g. `lotl.certutil_download`.
    pub id: String,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub description: Option<String>,
    pub on: EventKind,
    pub when: Expr,
}

/// A boolean condition over one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All must hold. Always two or more children.
    And(Vec<Expr>),
    /// One must hold. Always two or more children.
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Pred(Predicate),
}

/// A test on one field: `CommandLine contains any ('a', 'b')`.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    pub field: Field,
    pub op: Op,
    /// Match case-sensitively (`cased`). The default is case-insensitive.
    pub cased: bool,
}

/// A field reference: a taxonomy name and the form of its value.
///
/// Names are compared case-insensitively; known taxonomy names are stored in
/// their canonical spelling (`commandline` becomes `CommandLine`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field {
    pub name: String,
    pub form: FieldForm,
}

/// Which form of a field's value a predicate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FieldForm {
    /// The field's default form: the normal form for command lines
    /// (see [`crate::normalize`]), the value as written for other fields.
    Default,
    /// `.raw`: the value exactly as written in the event.
    Raw,
    /// `.decoded`: text decoded from the command line (PowerShell
    /// `-EncodedCommand`); absent when nothing was decoded.
    Decoded,
}

impl FieldForm {
    pub fn suffix(self) -> &'static str {
        match self {
            FieldForm::Default => "",
            FieldForm::Raw => ".raw",
            FieldForm::Decoded => ".decoded",
        }
    }
}

impl Field {
    pub fn new(name: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            form: FieldForm::Default,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name, self.form.suffix())
    }
}

/// How a list of patterns combines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    Any,
    All,
}

/// Numeric comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
        }
    }
}

/// A literal value in a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    /// A finite number. Compared numerically against the field's value
    /// (`LogonType == 3` matches both `3` and `"3"`).
    Num(f64),
}

/// The operation a predicate applies to its field.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `==`: equal to a string, or numerically equal to a number.
    Eq(Value),
    /// `!=`: the field is present and not equal.
    Ne(Value),
    /// `contains 'x'` (one pattern, `Any`), `contains any (...)`, `contains all (...)`.
    Contains(Quantifier, Vec<String>),
    /// `startswith 'x'` or `startswith any (...)`.
    StartsWith(Vec<String>),
    /// `endswith 'x'` or `endswith any (...)`.
    EndsWith(Vec<String>),
    /// `like 'glob'`: `*` any run of characters, `?` one character, over the whole value.
    Like(String),
    /// `matches 'regex'`: a `regex` crate pattern, unanchored.
    Matches(String),
    /// `in (...)`: equal to one of the values.
    In(Vec<Value>),
    /// `exists`: the field is present (and not null).
    Exists,
    /// `< <= > >=` against a number.
    Cmp(CmpOp, f64),
    /// `cidr '10.0.0.0/8'` or `cidr any (...)`: an IPv4 or IPv6 address
    /// inside one of the networks (a bare address is a /32 or /128).
    Cidr(Vec<String>),
    /// `sameas OtherField`: both fields are present and their values equal.
    SameAs(Field),
}
