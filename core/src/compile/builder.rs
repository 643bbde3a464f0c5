//! [`RulesBuilder`]: collects rules from sources, reports every error, and
//! compiles them into [`Rules`].

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::atoms::necessary_atoms;
use super::glob::glob_to_regex;
use super::{
    kind_index, Anchor, AtomOf, CExpr, CPred, CompiledRule, Input, InputForm, RuleInfo, RuleKind, Rules, Tables,
};
use crate::correlate::plan;
use crate::ast::{Correlation, Expr, Field, FieldForm, Op, Predicate, Quantifier, Rule, Value};
use crate::dsl::{self, Origin};
use crate::error::{RuleError, RuleErrors};
use crate::limits::MAX_RULES;
use crate::event::FieldPlan;
use crate::{builtin, normalize, schema};

/// Builds a [`Rules`] from any number of sources.
///
/// Errors do not stop the builder: every source is read, and [`build`]
/// returns all errors found, each with its file, line, column and rule.
///
/// ```
/// use landwatch::RulesBuilder;
/// let rules = RulesBuilder::new()
///     .add_builtin()
///     .add_source("mine.lw", r#"
///         rule my.whoami { title: "whoami" level: low on: process
///                          when: Image endswith '\whoami.exe' }
///     "#)
///     .build()
///     .expect("rules compile");
/// assert!(rules.get("my.whoami").is_some());
/// ```
///
/// [`build`]: RulesBuilder::build
#[derive(Debug, Default)]
pub struct RulesBuilder {
    rules: Vec<(Rule, Origin, String)>,
    correlations: Vec<(Correlation, Origin, String)>,
    /// Other names of rules (Sigma `name`s), to the id each stands for.
    names: HashMap<String, String>,
    errors: Vec<RuleError>,
}

impl RulesBuilder {
    pub fn new() -> RulesBuilder {
        RulesBuilder::default()
    }

    /// Parses rule source `text`; `name` (usually its path) names it in errors.
    pub fn add_source(mut self, name: &str, text: &str) -> RulesBuilder {
        let line_of = |origin: &Origin| {
            text.lines()
                .nth(origin.line.saturating_sub(1))
                .unwrap_or("")
                .to_string()
        };
        match dsl::parse(name, text) {
            Ok(parsed) => {
                for (rule, origin) in parsed.rules {
                    let line = line_of(&origin);
                    self.rules.push((rule, origin, line));
                }
                for (c, origin) in parsed.correlations {
                    let line = line_of(&origin);
                    self.correlations.push((c, origin, line));
                }
            }
            Err(RuleErrors(errors)) => self.errors.extend(errors),
        }
        self
    }

    /// Adds the built-in rule pack (`core/rules/*.lw`).
    pub fn add_builtin(mut self) -> RulesBuilder {
        for (name, text) in builtin::SOURCES {
            self = self.add_source(&format!("builtin:{name}"), text);
        }
        self
    }

    /// Adds one rule already in ast form (from the Sigma loader, say).
    pub fn add_rule(mut self, rule: Rule, origin: Origin) -> RulesBuilder {
        self.rules.push((rule, origin, String::new()));
        self
    }

    /// Adds one correlation already in ast form.
    pub fn add_correlation(mut self, correlation: Correlation, origin: Origin) -> RulesBuilder {
        self.correlations.push((correlation, origin, String::new()));
        self
    }

    /// Adds what the Sigma loader read from one file: its rules, its
    /// correlations, and the Sigma `name`s by which correlations (of any
    /// file added) may name them.
    pub fn add_sigma(mut self, loaded: crate::sigma::Loaded) -> RulesBuilder {
        for (rule, origin) in loaded.rules {
            self = self.add_rule(rule, origin);
        }
        for (c, origin) in loaded.correlations {
            self = self.add_correlation(c, origin);
        }
        self.names.extend(loaded.names);
        self
    }

    /// The number of rules and correlations read so far.
    pub fn len(&self) -> usize {
        self.rules.len() + self.correlations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Compiles everything added, or returns every error found.
    pub fn build(self) -> Result<Rules, RuleErrors> {
        let mut errors = self.errors;
        if let Some((id, origin, line)) = self
            .rules
            .iter()
            .map(|(r, o, l)| (r.id.as_str(), o, l))
            .chain(self.correlations.iter().map(|(c, o, l)| (c.id.as_str(), o, l)))
            .nth(MAX_RULES)
        {
            let total = self.rules.len() + self.correlations.len();
            errors.push(error_at(
                origin,
                line,
                id,
                format!("{total} rules and correlations: at most {MAX_RULES} in one rule set (limits::MAX_RULES)"),
            ));
            return Err(RuleErrors(errors));
        }
        let mut first_seen: HashMap<&str, &Origin> = HashMap::new();
        let ids = self
            .rules
            .iter()
            .map(|(r, o, l)| (r.id.as_str(), o, l))
            .chain(self.correlations.iter().map(|(c, o, l)| (c.id.as_str(), o, l)));
        for (id, origin, line) in ids {
            if let Some(first) = first_seen.get(id) {
                errors.push(error_at(
                    origin,
                    line,
                    id,
                    format!(
                        "duplicate rule id '{id}' (first defined at {}:{}:{})",
                        first.file, first.line, first.column
                    ),
                ));
            } else {
                first_seen.insert(id, origin);
            }
        }
        let corrs: Vec<&Correlation> = self.correlations.iter().map(|(c, _, _)| c).collect();
        let inline = plan::inline_rules(&corrs);
        let mut tables = Tables::default();
        let mut compiled = Vec::with_capacity(self.rules.len() + inline.len());
        let mut preds = Vec::new();
        let stateless = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, (rule, origin, line))| (rule, origin, line, Some(i as u32)))
            .chain(inline.iter().map(|x| {
                let (_, origin, line) = &self.correlations[x.corr];
                (&x.rule, origin, line, None)
            }));
        for (rule, origin, line, info) in stateless {
            let mut c = Compiler {
                tables: &mut tables,
                preds: &mut preds,
            };
            match crate::pattern::check_patterns(&rule.when).and_then(|()| c.expr(&rule.when)) {
                Ok(expr) => compiled.push(CompiledRule {
                    expr,
                    on: rule.on,
                    info,
                    report: info.is_some(),
                }),
                Err(message) => errors.push(error_at(origin, line, &rule.id, message)),
            }
        }
        let rule_ids: Vec<&str> = self.rules.iter().map(|(r, _, _)| r.id.as_str()).collect();
        let correlations = match plan::compile(&corrs, self.rules.len() as u32, &rule_ids, &inline, &self.names, &mut tables) {
            Ok(p) => p,
            Err(es) => {
                for (ci, message) in es {
                    let (c, origin, line) = &self.correlations[ci];
                    errors.push(error_at(origin, line, &c.id, message));
                }
                crate::correlate::plan::Plan::default()
            }
        };
        if !errors.is_empty() {
            return Err(RuleErrors(errors));
        }
        for (i, rule) in compiled.iter_mut().enumerate() {
            rule.report &= correlations.reports(i);
        }
        // Every value of an event (keywords) is only gathered for events of
        // the channels the rules that search it require, when all do.
        let any_field_channels = self
            .rules
            .iter()
            .map(|(rule, _, _)| rule)
            .chain(inline.iter().map(|x| &x.rule))
            .filter(|rule| reads_any_field(&rule.when))
            .map(|rule| required_channel(&rule.when))
            .collect::<Option<Vec<String>>>();

        let mut inputs: Vec<Input> = tables
            .inputs
            .iter()
            .map(|(field, form, name)| Input {
                field: *field,
                form: *form,
                name: name.clone(),
                automaton: None,
                pattern_ids: Vec::new(),
                by_line: tables.fields[*field as usize].eq_ignore_ascii_case(schema::ANY_FIELD),
            })
            .collect();
        for (id, p) in tables.patterns.iter().enumerate() {
            let input = &mut inputs[p.input as usize];
            input.pattern_ids.push(id as u32);
            input.by_line &= !p.bytes.contains(&b'\n');
        }
        for input in &mut inputs {
            if input.pattern_ids.is_empty() {
                continue;
            }
            let pats = input
                .pattern_ids
                .iter()
                .map(|&id| &tables.patterns[id as usize].bytes[..]);
            input.automaton = Some(build_automaton(pats).map_err(|e| {
                RuleErrors(vec![RuleError {
                    file: String::new(),
                    line: 0,
                    column: 0,
                    rule: None,
                    message: format!("cannot build the pattern automaton for {}: {e}", input.name),
                    source_line: String::new(),
                }])
            })?);
        }

        let mut atom_rules = vec![Vec::new(); tables.patterns.len()];
        let mut atom_masks = vec![0u8; compiled.len()];
        let mut always: [Vec<u32>; 5] = Default::default();
        // Fields whose values most events share (the channel, the provider):
        // an atom there is found in nearly every event of a log.
        let common: Vec<bool> = tables
            .inputs
            .iter()
            .map(|(field, _, _)| schema::is_common_field(&tables.fields[*field as usize]))
            .collect();
        for (i, rule) in compiled.iter().enumerate() {
            match necessary_atoms(&rule.expr, &preds, &tables.patterns, &common) {
                Some(sets) => {
                    for (k, set) in sets.iter().enumerate() {
                        for &a in set {
                            atom_rules[a as usize].push(AtomOf {
                                rule: i as u32,
                                bit: 1 << k,
                            });
                        }
                    }
                    atom_masks[i] = ((1u32 << sets.len()) - 1) as u8;
                }
                None => always[kind_index(Some(rule.on))].push(i as u32),
            }
        }

        let rule_infos = self.rules.into_iter().enumerate().map(|(i, (rule, origin, _))| RuleInfo {
            id: rule.id,
            kind: RuleKind::Stateless,
            title: rule.title,
            level: rule.level,
            tags: rule.tags,
            references: rule.references,
            description: rule.description,
            on: rule.on,
            reports: compiled[i].report,
            origin,
        });
        let corr_infos = self.correlations.into_iter().enumerate().map(|(i, (c, origin, _))| RuleInfo {
            id: c.id,
            kind: RuleKind::Correlation,
            title: c.title,
            level: c.level,
            tags: c.tags,
            references: c.references,
            description: c.description,
            on: crate::ast::EventKind::Any,
            reports: correlations.corrs.get(i).is_none_or(|p| p.report),
            origin,
        });
        let infos = rule_infos.chain(corr_infos).collect();
        let mut normal_fields = Vec::new();
        for input in &inputs {
            if input.form != InputForm::Value && !normal_fields.contains(&input.field) {
                normal_fields.push(input.field);
            }
        }
        Ok(Rules {
            infos,
            rules: compiled,
            preds,
            patterns: tables.patterns,
            inputs,
            normal_fields,
            plan: std::sync::Arc::new(FieldPlan::new(tables.fields).with_any_field_channels(any_field_channels)),
            correlations,
            atom_rules,
            atom_masks,
            always,
        })
    }
}

fn reads_any_field(e: &Expr) -> bool {
    match e {
        Expr::And(xs) | Expr::Or(xs) => xs.iter().any(reads_any_field),
        Expr::Not(x) => reads_any_field(x),
        Expr::Pred(p) => {
            p.field.name == schema::ANY_FIELD
                || matches!(&p.op, Op::SameAs(f) if f.name == schema::ANY_FIELD)
        }
    }
}

/// The channel an event must have for `e` to hold: a `Channel == '...'`
/// among the top-level `and`s (where Sigma logsources put it).
fn required_channel(e: &Expr) -> Option<String> {
    match e {
        Expr::And(xs) => xs.iter().find_map(required_channel),
        Expr::Pred(p) if p.field.name.eq_ignore_ascii_case("Channel") && p.field.form != FieldForm::Decoded => {
            match &p.op {
                Op::Eq(Value::Str(c)) => Some(c.clone()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A rough price of evaluating `e` once the automata have run.
fn cost(e: &CExpr, preds: &[CPred]) -> u32 {
    match e {
        // A literal costs a hit lookup per pattern; a regex runs over the
        // value, worth many lookups.
        CExpr::Pred(i) => match preds.get(*i as usize) {
            Some(CPred::Literal { patterns, .. }) => patterns.len() as u32,
            Some(CPred::Regex { .. }) => 64,
            Some(CPred::Cidr { nets, .. }) => 1 + nets.len() as u32,
            _ => 1,
        },
        CExpr::Not(x) => cost(x, preds),
        CExpr::And(xs) | CExpr::Or(xs) => xs.iter().map(|x| cost(x, preds)).sum(),
    }
}

fn build_automaton<'a>(
    patterns: impl Iterator<Item = &'a [u8]>,
) -> Result<AhoCorasick, aho_corasick::BuildError> {
    let patterns: Vec<&[u8]> = patterns.collect();
    // A DFA takes one table lookup per byte where the NFA may follow
    // failure links; its memory grows with the patterns. Up to a few
    // hundred patterns it costs a megabyte or two: `AnyField` (132 keyword
    // patterns with all Windows rules) searched 9 ns per byte as an NFA,
    // and DFAs up to 200 patterns took 6% off that whole scan for 4 MB
    // (with 160, 4.5%; with more, no further gain). The big automata
    // (9,000 command-line patterns) stay NFAs: as DFAs they took 261 MB.
    let kind = (patterns.len() <= DFA_MAX_PATTERNS).then_some(AhoCorasickKind::DFA);
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        // Measured with 1,183 Sigma rules: in overlapping search the
        // rare-byte prefilter keeps stopping on bytes that begin some
        // pattern, and cost more than it skipped (scan -19% wall time
        // without it, automata 1.04G -> 0.59G instructions on 20k events).
        .prefilter(false)
        .kind(kind)
        .build(patterns)
}

/// Automata with at most this many patterns are built as DFAs.
const DFA_MAX_PATTERNS: usize = 200;

fn error_at(origin: &Origin, line: &str, rule: &str, message: String) -> RuleError {
    RuleError {
        file: origin.file.clone(),
        line: origin.line,
        column: origin.column,
        rule: Some(rule.to_string()),
        message,
        source_line: line.to_string(),
    }
}

struct Compiler<'t> {
    tables: &'t mut Tables,
    preds: &'t mut Vec<CPred>,
}

impl Compiler<'_> {
    fn expr(&mut self, e: &Expr) -> Result<CExpr, String> {
        Ok(match e {
            Expr::And(xs) => CExpr::And(self.cheap_first(xs)?),
            Expr::Or(xs) => CExpr::Or(self.cheap_first(xs)?),
            Expr::Not(x) => CExpr::Not(Box::new(self.expr(x)?)),
            Expr::Pred(p) => self.predicate(p)?,
        })
    }

    /// `and` and `or` stop at the first child that decides them: children
    /// that cost a few table lookups go before long pattern lists and before
    /// regexes. The order changes no verdict, only the work.
    fn cheap_first(&mut self, xs: &[Expr]) -> Result<Vec<CExpr>, String> {
        let mut out = xs.iter().map(|x| self.expr(x)).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|x| cost(x, self.preds));
        Ok(out)
    }

    fn push(&mut self, p: CPred) -> CExpr {
        self.preds.push(p);
        CExpr::Pred(self.preds.len() as u32 - 1)
    }

    /// The input a field reference reads, and whether it is a normal form.
    fn input(&mut self, field: &Field) -> Result<(u16, bool), String> {
        let cmd = schema::is_command_line(&field.name);
        let id = self.tables.field(&field.name);
        let (form, name) = match (field.form, cmd) {
            (FieldForm::Default, true) => (InputForm::Normal, field.name.clone()),
            (FieldForm::Decoded, true) => (InputForm::Decoded, format!("{}.decoded", field.name)),
            (FieldForm::Decoded, false) => {
                return Err(format!(
                    "'{}.decoded' does not exist: only command lines have decoded text",
                    field.name
                ))
            }
            (FieldForm::Raw, true) => (InputForm::Value, format!("{}.raw", field.name)),
            (_, false) => (InputForm::Value, field.name.clone()),
        };
        Ok((self.tables.input(id, form, name), form == InputForm::Normal))
    }

    fn literal(
        &mut self,
        input: u16,
        normal: bool,
        cased: bool,
        anchor: Anchor,
        all: bool,
        pats: &[String],
    ) -> Result<CExpr, String> {
        if pats.is_empty() {
            return Err("an empty list of patterns".into());
        }
        let mut ids = Vec::with_capacity(pats.len());
        let mut shown = Vec::with_capacity(pats.len());
        let mut empty = false;
        for p in pats {
            let searched = if normal {
                normalize::pattern(p)
            } else {
                p.clone()
            };
            if searched.is_empty() {
                empty = true;
                continue;
            }
            ids.push(self.tables.pattern(input, searched.as_bytes(), cased && !normal));
            shown.push(p.clone());
        }
        let lit = (!ids.is_empty()).then(|| {
            self.push(CPred::Literal {
                input,
                anchor,
                all,
                patterns: ids,
                shown,
            })
        });
        // An empty pattern is found in any value at any anchor, except that
        // `== ''` needs an empty value.
        let empty_pred = empty.then(|| match anchor {
            Anchor::Whole => self.push(CPred::IsEmpty { input }),
            _ => self.push(CPred::Exists { input }),
        });
        Ok(match (lit, empty_pred) {
            (Some(l), None) => l,
            (None, Some(e)) => e,
            (Some(l), Some(e)) if all => CExpr::And(vec![l, e]),
            (Some(l), Some(e)) => CExpr::Or(vec![l, e]),
            (None, None) => unreachable_empty(),
        })
    }

    fn predicate(&mut self, p: &Predicate) -> Result<CExpr, String> {
        let (input, normal) = self.input(&p.field)?;
        let cased = p.cased;
        match &p.op {
            Op::Contains(q, pats) => {
                self.literal(input, normal, cased, Anchor::Anywhere, *q == Quantifier::All, pats)
            }
            Op::StartsWith(pats) => self.literal(input, normal, cased, Anchor::Start, false, pats),
            Op::EndsWith(pats) => self.literal(input, normal, cased, Anchor::End, false, pats),
            Op::Eq(v) => self.in_values(input, normal, cased, std::slice::from_ref(v)),
            Op::In(vs) => self.in_values(input, normal, cased, vs),
            Op::Ne(v) => {
                let eq = self.in_values(input, normal, cased, std::slice::from_ref(v))?;
                let exists = self.push(CPred::Exists { input });
                Ok(CExpr::And(vec![exists, CExpr::Not(Box::new(eq))]))
            }
            Op::Like(glob) => {
                let glob = if normal {
                    normalize::pattern(glob)
                } else {
                    glob.clone()
                };
                let (re, literal) = glob_to_regex(&glob, cased && !normal);
                let atoms = literal
                    .map(|l| self.tables.pattern(input, l.as_bytes(), false))
                    .into_iter()
                    .collect();
                let regex = build_regex(&re)?;
                Ok(self.push(CPred::Regex {
                    input,
                    regex,
                    shown: glob,
                    atoms,
                }))
            }
            Op::Matches(re) => {
                let full = if cased || normal {
                    re.clone()
                } else {
                    format!("(?i:{re})")
                };
                let regex = build_regex(&full)?;
                let atoms = super::regex_atoms::necessary_literals(&full)
                    .unwrap_or_default()
                    .iter()
                    .map(|l| self.tables.pattern(input, l, false))
                    .collect();
                Ok(self.push(CPred::Regex {
                    input,
                    regex,
                    shown: re.clone(),
                    atoms,
                }))
            }
            Op::Exists => Ok(self.push(CPred::Exists { input })),
            Op::Cmp(op, v) => Ok(self.push(CPred::NumCmp {
                input,
                op: *op,
                value: *v,
            })),
            Op::Cidr(texts) => {
                let nets = texts
                    .iter()
                    .map(|t| super::cidr::Net::parse(t))
                    .collect::<Result<Vec<_>, _>>()?;
                if nets.is_empty() {
                    return Err("an empty list of networks".into());
                }
                Ok(self.push(CPred::Cidr { input, nets, shown: texts.clone() }))
            }
            Op::SameAs(other) => {
                let (other, other_normal) = self.input(other)?;
                // A normal form is already case-folded.
                let cased = cased && !normal && !other_normal;
                Ok(self.push(CPred::SameAs { input, other, cased }))
            }
        }
    }

    /// Equal to one of `values`: strings by literal, numbers numerically.
    fn in_values(
        &mut self,
        input: u16,
        normal: bool,
        cased: bool,
        values: &[Value],
    ) -> Result<CExpr, String> {
        let strs: Vec<String> = values
            .iter()
            .filter_map(|v| match v {
                Value::Str(s) => Some(s.clone()),
                Value::Num(_) => None,
            })
            .collect();
        let nums: Vec<f64> = values
            .iter()
            .filter_map(|v| match v {
                Value::Num(n) => Some(*n),
                Value::Str(_) => None,
            })
            .collect();
        let s = (!strs.is_empty())
            .then(|| self.literal(input, normal, cased, Anchor::Whole, false, &strs))
            .transpose()?;
        let n = (!nums.is_empty()).then(|| self.push(CPred::NumEq { input, values: nums }));
        Ok(match (s, n) {
            (Some(s), Some(n)) => CExpr::Or(vec![s, n]),
            (Some(s), None) => s,
            (None, Some(n)) => n,
            (None, None) => return Err("an empty list of values".into()),
        })
    }
}

fn unreachable_empty() -> CExpr {
    // `literal` rejects an empty list first, so one of the two exists.
    CExpr::Or(Vec::new())
}

fn build_regex(re: &str) -> Result<regex::Regex, String> {
    super::build_regex(re).map_err(|reason| format!("invalid regex: {reason}"))
}
