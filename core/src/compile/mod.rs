//! From asts to [`Rules`]: one aho-corasick automaton per input, a predicate
//! table, and for each rule the necessary atoms that decide whether it needs
//! to be evaluated at all.
//!
//! An *input* is one value a predicate reads: a field as written, or the normal
//! form or decoded text of a command line. All literal patterns of all rules on
//! an input go into that input's automaton, so one pass over the value finds
//! every pattern of every rule. `contains`, `startswith`, `endswith` and `==`
//! are then checks on where the pattern was found.

mod atoms;
mod builder;
mod glob;
mod regex_atoms;

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use regex::Regex;

pub(crate) use crate::pattern::{cidr, regex::build_regex};

use crate::ast::{CmpOp, EventKind, Level};
use crate::dsl::Origin;
use crate::event::FieldPlan;

pub use builder::RulesBuilder;

/// A compiled, immutable rule set. `Send + Sync`: build once, share by `Arc`
/// between scanners and threads.
#[derive(Debug)]
pub struct Rules {
    /// Every rule and correlation a user sees, in load order: the rules,
    /// then the correlations.
    pub(crate) infos: Vec<RuleInfo>,
    /// The stateless matchers: the rules, then the correlations' inline
    /// steps.
    pub(crate) rules: Vec<CompiledRule>,
    pub(crate) preds: Vec<CPred>,
    pub(crate) patterns: Vec<Pattern>,
    pub(crate) inputs: Vec<Input>,
    /// Fields with a normal-form or decoded input, whose normal form is
    /// computed when an event sets them.
    pub(crate) normal_fields: Vec<u16>,
    pub(crate) plan: std::sync::Arc<FieldPlan>,
    pub(crate) correlations: crate::correlate::plan::Plan,
    /// The atom sets pattern `p` belongs to: `atom_rules[p]`, each as
    /// (rule, index of the set in that rule).
    pub(crate) atom_rules: Vec<Vec<AtomOf>>,
    /// For each rule, the mask its atom sets make when all are found (0 for
    /// a rule without atoms, which is in `always`).
    pub(crate) atom_masks: Vec<u8>,
    /// Rules with no necessary atom, evaluated for every event of their kind,
    /// indexed by [`kind_index`].
    pub(crate) always: [Vec<u32>; 5],
}

/// One of a rule's necessary atom sets (see `atoms`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtomOf {
    pub rule: u32,
    /// The set's bit in the rule's mask.
    pub bit: u8,
}

/// What a rule says about itself, and where it came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RuleInfo {
    pub id: String,
    /// A rule on one event, or a correlation over a stream.
    pub kind: RuleKind,
    pub title: String,
    pub level: Level,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub description: Option<String>,
    /// The events a rule looks at (`any` for correlations).
    pub on: EventKind,
    /// Whether its detections are reported: false for a rule that only
    /// correlations with `generate: false` name.
    pub reports: bool,
    #[serde(skip)]
    pub origin: Origin,
}

/// Whether a rule decides on one event or on a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Stateless,
    Correlation,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Stateless => "stateless",
            RuleKind::Correlation => "correlation",
        }
    }
}

impl Rules {
    /// The number of rules and correlations.
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Every rule's metadata, in load order.
    pub fn iter(&self) -> impl Iterator<Item = &RuleInfo> {
        self.infos.iter()
    }

    /// One rule's metadata by id.
    pub fn get(&self, id: &str) -> Option<&RuleInfo> {
        self.infos.iter().find(|r| r.id == id)
    }

    /// The number of correlations.
    pub fn correlation_count(&self) -> usize {
        self.correlations.corrs.len()
    }

    /// The correlations that read network zones (`zone(FIELD)`): without
    /// zones given to the scanner, they never fire.
    pub fn needing_zones(&self) -> impl Iterator<Item = &RuleInfo> {
        self.correlations.corrs.iter().filter(|c| c.measure.zone()).filter_map(|c| self.infos.get(c.info as usize))
    }

    /// The correlations that read business hours (`outside business
    /// hours`): without a calendar given to the scanner, they never fire.
    pub fn needing_business_hours(&self) -> impl Iterator<Item = &RuleInfo> {
        self.correlations.corrs.iter().filter(|c| c.hours.is_some()).filter_map(|c| self.infos.get(c.info as usize))
    }

    /// Figures about the compiled form (for `landwatch check` and tuning).
    pub fn summary(&self) -> RulesSummary {
        RulesSummary {
            rules: self.infos.len(),
            correlations: self.correlations.corrs.len(),
            patterns: self.patterns.len(),
            inputs: self.inputs.len(),
            fields: self.plan.names().len(),
            always_evaluated: self.always.iter().map(Vec::len).sum(),
            regexes: self
                .preds
                .iter()
                .filter(|p| matches!(p, CPred::Regex { .. }))
                .count(),
        }
    }
}

/// Figures about a compiled rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RulesSummary {
    /// Rules and correlations.
    pub rules: usize,
    pub correlations: usize,
    /// Distinct literal patterns over all automata.
    pub patterns: usize,
    /// Automata (one per field form read).
    pub inputs: usize,
    pub fields: usize,
    /// Rules without a necessary atom, evaluated on every event of their kind.
    pub always_evaluated: usize,
    pub regexes: usize,
}

pub(crate) fn kind_index(kind: Option<EventKind>) -> usize {
    match kind {
        Some(EventKind::Process) => 0,
        Some(EventKind::Logon) => 1,
        Some(EventKind::ExplicitCredential) => 2,
        Some(EventKind::Any) => 3,
        None => 4,
    }
}

#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub expr: CExpr,
    pub on: EventKind,
    /// Its info, for rules (not for the inline steps of correlations).
    pub info: Option<u32>,
    /// Whether its matches are reported as detections.
    pub report: bool,
}

/// A rule's condition, with predicates by index into [`Rules::preds`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CExpr {
    And(Vec<CExpr>),
    Or(Vec<CExpr>),
    Not(Box<CExpr>),
    Pred(u32),
}

/// How a value is derived from a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum InputForm {
    /// As written in the event.
    Value,
    /// The command-line normal form.
    Normal,
    /// Text decoded from the command line.
    Decoded,
}

/// One value read by predicates, with the automaton of its patterns.
#[derive(Debug)]
pub(crate) struct Input {
    pub field: u16,
    pub form: InputForm,
    /// How evidence names it: `CommandLine`, `CommandLine.raw`, `Image`...
    pub name: String,
    pub automaton: Option<AhoCorasick>,
    /// Automaton pattern index to global pattern id.
    pub pattern_ids: Vec<u32>,
    /// Search the value line by line: `AnyField` (every value of the event,
    /// one per line) when no pattern holds a line break, so no match can
    /// cross a line. Each line is then a value the memo can recognise (the
    /// event's `Image` again), where the whole text, unique per event by its
    /// GUIDs and times, never is.
    pub by_line: bool,
}

/// One distinct literal pattern on one input.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub input: u16,
    /// As searched (normalized for normal-form inputs).
    pub bytes: Box<[u8]>,
    /// Only exact-case occurrences count.
    pub cased: bool,
}

/// Where a literal must occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    Anywhere,
    Start,
    End,
    Whole,
}

/// A compiled predicate.
#[derive(Debug)]
pub(crate) enum CPred {
    /// One of (`all`: each of) the patterns occurs at `anchor`.
    Literal {
        input: u16,
        anchor: Anchor,
        all: bool,
        patterns: Vec<u32>,
        /// The patterns as the rule wrote them, for evidence.
        shown: Vec<String>,
    },
    /// The value is empty (`== ''`).
    IsEmpty { input: u16 },
    /// A regex (from `matches`, or a translated `like` glob) finds a match.
    Regex {
        input: u16,
        regex: Regex,
        shown: String,
        /// Patterns one of which occurs in every match (empty: none known),
        /// used as atoms.
        atoms: Vec<u32>,
    },
    /// The field is present and not null.
    Exists { input: u16 },
    /// The value is a number equal to one of these.
    NumEq { input: u16, values: Vec<f64> },
    /// The value is a number that compares so.
    NumCmp { input: u16, op: CmpOp, value: f64 },
    Cidr { input: u16, nets: Vec<cidr::Net>, shown: Vec<String> },
    SameAs { input: u16, other: u16, cased: bool },
}

impl CPred {
    pub(crate) fn input(&self) -> u16 {
        match *self {
            CPred::Literal { input, .. }
            | CPred::IsEmpty { input }
            | CPred::Regex { input, .. }
            | CPred::Exists { input }
            | CPred::NumEq { input, .. }
            | CPred::NumCmp { input, .. }
            | CPred::Cidr { input, .. }
            | CPred::SameAs { input, .. } => input,
        }
    }
}

/// Parses a field value as a number: decimal, or `0x` hexadecimal.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Interns inputs and patterns while rules are compiled.
#[derive(Default)]
pub(crate) struct Tables {
    pub fields: Vec<String>,
    field_ids: HashMap<String, u16>,
    pub inputs: Vec<(u16, InputForm, String)>,
    input_ids: HashMap<(u16, InputForm), u16>,
    pub patterns: Vec<Pattern>,
    pattern_ids: HashMap<(u16, Box<[u8]>, bool), u32>,
}

impl Tables {
    pub(crate) fn field(&mut self, name: &str) -> u16 {
        let key = name.to_ascii_lowercase();
        if let Some(&id) = self.field_ids.get(&key) {
            return id;
        }
        let id = self.fields.len() as u16;
        self.fields.push(name.to_string());
        self.field_ids.insert(key, id);
        id
    }

    pub(crate) fn input(&mut self, field: u16, form: InputForm, name: String) -> u16 {
        if let Some(&id) = self.input_ids.get(&(field, form)) {
            return id;
        }
        let id = self.inputs.len() as u16;
        self.inputs.push((field, form, name));
        self.input_ids.insert((field, form), id);
        id
    }

    pub(crate) fn pattern(&mut self, input: u16, bytes: &[u8], cased: bool) -> u32 {
        // Case-insensitive patterns are interned by their lowercase form.
        let key: Box<[u8]> = if cased {
            bytes.into()
        } else {
            bytes.to_ascii_lowercase().into()
        };
        if let Some(&id) = self.pattern_ids.get(&(input, key.clone(), cased)) {
            return id;
        }
        let id = self.patterns.len() as u32;
        self.patterns.push(Pattern {
            input,
            bytes: key.clone(),
            cased,
        });
        self.pattern_ids.insert((input, key, cased), id);
        id
    }
}
