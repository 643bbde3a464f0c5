//! Correlation asts to the compiled [`Plan`] the scanner runs: each step
//! resolved to the stateless rule (or correlation) whose matches feed it,
//! each group key and measured value resolved to a field id (or, for a
//! chained correlation, to one of the inner correlation's group keys).

use std::collections::HashMap;
use std::time::Duration;

use crate::ast::{Correlation, Hours, Measure, Rule, Source, Threshold};
use crate::compile::Tables;
use crate::schema;

/// The compiled correlations of a rule set.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub corrs: Vec<CorrPlan>,
    /// For each stateless rule (by compiled index), the steps its matches feed.
    pub rule_feeds: Vec<Vec<Target>>,
    /// For each correlation, the steps of other correlations its detections feed.
    pub chain_feeds: Vec<Vec<Target>>,
    /// Identifies the correlations' definitions, so that saved state is only
    /// restored into a scanner of the same correlations.
    pub fingerprint: u64,
    /// For each stateless rule, whether every correlation naming it says
    /// `generate: false` (inline steps always).
    pub silenced: Vec<bool>,
}

/// One step of one correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    pub corr: u32,
    pub step: u16,
}

#[derive(Debug)]
pub(crate) struct CorrPlan {
    /// Its index in [`crate::Rules`]' infos.
    pub info: u32,
    pub measure: MeasurePlan,
    pub steps: Vec<StepPlan>,
    /// The group keys' names, in order.
    pub keys: Vec<String>,
    /// The window (or learning period) in nanoseconds.
    pub window: i64,
    pub hours: Option<Hours>,
    /// Whether its detections are reported (not silenced by every
    /// correlation that chains it saying `generate: false`).
    pub report: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MeasurePlan {
    Count(Threshold),
    Distinct { zone: bool, threshold: Threshold },
    Sum(Threshold),
    Avg(Threshold),
    /// Median is the 50th percentile.
    Percentile(f64, Threshold),
    Sequence,
    Temporal(Threshold),
    FirstSeen { zone: bool },
}

impl MeasurePlan {
    /// Whether the measured value is a number read from the event.
    pub fn numeric(&self) -> bool {
        matches!(self, MeasurePlan::Sum(_) | MeasurePlan::Avg(_) | MeasurePlan::Percentile(..))
    }

    /// Whether it maps the measured value to a network zone.
    pub fn zone(&self) -> bool {
        matches!(self, MeasurePlan::Distinct { zone: true, .. } | MeasurePlan::FirstSeen { zone: true })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StepPlan {
    /// Where each group key is read in this step's events.
    pub keys: Vec<ValueSource>,
    /// Where the measured value is read (distinct counts, aggregates,
    /// first-seen values).
    pub operand: Option<ValueSource>,
}

/// Where a value of a step's event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueSource {
    /// A field, by id in the field plan.
    Field(u16),
    /// A group key of the inner correlation of a chain, by index.
    Group(u16),
}

pub(crate) use crate::limits::MAX_CORRELATION_STEPS as MAX_STEPS;

/// An inline step compiled as a rule of its own that reports nothing.
pub(crate) struct InlineRule {
    pub rule: Rule,
    pub corr: usize,
    pub step: usize,
}

/// Every inline step, as a rule: `CORRELATION#LABEL` (or `#N`, from 1).
pub(crate) fn inline_rules(corrs: &[&Correlation]) -> Vec<InlineRule> {
    let mut out = Vec::new();
    for (ci, c) in corrs.iter().enumerate() {
        for (si, step) in c.steps.iter().enumerate() {
            if let Source::Inline { on, when } = &step.source {
                let name = step.label.clone().unwrap_or_else(|| (si + 1).to_string());
                out.push(InlineRule {
                    rule: Rule {
                        id: format!("{}#{name}", c.id),
                        title: c.title.clone(),
                        level: c.level,
                        tags: Vec::new(),
                        references: Vec::new(),
                        description: None,
                        on: *on,
                        when: when.clone(),
                    },
                    corr: ci,
                    step: si,
                });
            }
        }
    }
    out
}

/// What a step's source resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Rule(u32),
    Corr(u32),
}

/// Compiles `corrs` (whose infos are at `first_info..`). `rules` are the
/// public rules' ids by compiled index; `inline` the inline steps, whose
/// compiled indices follow the public rules'; `names` other names of rules
/// (Sigma `name`s). Fields the correlations read are added to `tables`.
/// Errors are (correlation index, message).
pub(crate) fn compile(
    corrs: &[&Correlation],
    first_info: u32,
    rules: &[&str],
    inline: &[InlineRule],
    names: &HashMap<String, String>,
    tables: &mut Tables,
) -> Result<Plan, Vec<(usize, String)>> {
    let stateless = rules.len() + inline.len();
    let mut ids: HashMap<&str, Feed> = HashMap::new();
    for (i, id) in rules.iter().enumerate() {
        ids.insert(id, Feed::Rule(i as u32));
    }
    for (i, c) in corrs.iter().enumerate() {
        ids.insert(&c.id, Feed::Corr(i as u32));
    }
    let resolve = |r: &str| -> Option<Feed> {
        ids.get(r)
            .or_else(|| names.get(r).and_then(|id| ids.get(id.as_str())))
            .copied()
    };
    let mut errors = Vec::new();
    // Each step's feed.
    let mut feeds: Vec<Vec<Feed>> = Vec::with_capacity(corrs.len());
    for (ci, c) in corrs.iter().enumerate() {
        let mut fs = Vec::new();
        for (si, step) in c.steps.iter().enumerate() {
            match &step.source {
                Source::Rule(r) => match resolve(r) {
                    Some(Feed::Corr(k)) if k as usize == ci => {
                        errors.push((ci, format!("correlation '{}' names itself as a step", c.id)));
                        fs.push(Feed::Corr(k));
                    }
                    Some(f) => fs.push(f),
                    None => {
                        errors.push((ci, format!("step {} names '{r}', which is no rule or correlation loaded", si + 1)));
                        fs.push(Feed::Rule(u32::MAX));
                    }
                },
                Source::Inline { .. } => {
                    let k = inline
                        .iter()
                        .position(|x| x.corr == ci && x.step == si)
                        .map_or(u32::MAX, |k| (rules.len() + k) as u32);
                    fs.push(Feed::Rule(k));
                }
            }
        }
        feeds.push(fs);
    }
    if let Some(cycle) = find_cycle(&feeds) {
        let path: Vec<&str> = cycle.iter().map(|&i| corrs[i].id.as_str()).collect();
        errors.push((cycle[0], format!("correlations name each other in a cycle: {}", path.join(" -> "))));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut plan = Plan {
        rule_feeds: vec![Vec::new(); stateless],
        chain_feeds: vec![Vec::new(); corrs.len()],
        ..Plan::default()
    };
    // Who names whom, and with which `generate`.
    let mut rule_generate: Vec<Option<bool>> = vec![None; stateless];
    let mut corr_generate: Vec<Option<bool>> = vec![None; corrs.len()];
    for (ci, c) in corrs.iter().enumerate() {
        match check(c) {
            Ok(()) => {}
            Err(e) => {
                errors.push((ci, e));
                continue;
            }
        }
        let measure = measure_plan(&c.measure);
        let mut steps = Vec::with_capacity(c.steps.len());
        for (si, step) in c.steps.iter().enumerate() {
            let inner = match feeds[ci][si] {
                Feed::Corr(k) => Some(corrs[k as usize]),
                Feed::Rule(_) => None,
            };
            let refs: Vec<&str> = step
                .label
                .iter()
                .map(String::as_str)
                .chain(match &step.source {
                    Source::Rule(r) => Some(r.as_str()),
                    Source::Inline { .. } => None,
                })
                .collect();
            let mut keys = Vec::with_capacity(c.group_by.len());
            for key in &c.group_by {
                let field = key
                    .fields
                    .iter()
                    .find(|(r, _)| refs.iter().any(|x| same_ref(x, r, names)))
                    .map_or(key.name.as_str(), |(_, f)| f.name.as_str());
                match value_source(field, inner, tables) {
                    Ok(v) => keys.push(v),
                    Err(e) => errors.push((ci, format!("step {}: {e}", si + 1))),
                }
            }
            let operand = match operand_name(&c.measure) {
                None => None,
                Some(name) => {
                    // An operand may be a group key's alias name too.
                    let aliased = c
                        .group_by
                        .iter()
                        .find(|k| k.name.eq_ignore_ascii_case(name) && !k.fields.is_empty())
                        .and_then(|k| k.fields.iter().find(|(r, _)| refs.iter().any(|x| same_ref(x, r, names))))
                        .map_or(name, |(_, f)| f.name.as_str());
                    match value_source(aliased, inner, tables) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            errors.push((ci, format!("step {}: {e}", si + 1)));
                            None
                        }
                    }
                }
            };
            steps.push(StepPlan { keys, operand });
            let target = Target {
                corr: ci as u32,
                step: si as u16,
            };
            match feeds[ci][si] {
                Feed::Rule(r) => {
                    if let Some(f) = plan.rule_feeds.get_mut(r as usize) {
                        f.push(target);
                    }
                    if (r as usize) < rules.len() {
                        let g = &mut rule_generate[r as usize];
                        *g = Some(g.unwrap_or(false) || c.generate);
                    } else if let Some(g) = rule_generate.get_mut(r as usize) {
                        // Inline steps never report.
                        *g = Some(false);
                    }
                }
                Feed::Corr(k) => {
                    plan.chain_feeds[k as usize].push(target);
                    let g = &mut corr_generate[k as usize];
                    *g = Some(g.unwrap_or(false) || c.generate);
                }
            }
        }
        plan.corrs.push(CorrPlan {
            info: first_info + ci as u32,
            measure,
            steps,
            keys: c.group_by.iter().map(|k| k.name.clone()).collect(),
            window: nanos(c.window),
            hours: c.hours,
            report: true,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (c, g) in plan.corrs.iter_mut().zip(&corr_generate) {
        c.report = g.unwrap_or(true);
    }
    plan.fingerprint = fingerprint(corrs);
    // Rules named only by correlations that do not generate are silent;
    // the builder reads this through `silenced`.
    plan.silenced = rule_generate.iter().map(|g| *g == Some(false)).collect();
    Ok(plan)
}

impl Plan {
    /// Whether a stateless rule (by compiled index) reports its own matches.
    pub(crate) fn reports(&self, rule: usize) -> bool {
        !self.silenced.get(rule).copied().unwrap_or(false)
    }
}

/// Whether a group key's alias reference `alias` means the step reference
/// `step` (a label or rule id, or a Sigma name standing for it).
fn same_ref(step: &str, alias: &str, names: &HashMap<String, String>) -> bool {
    step == alias || names.get(alias).is_some_and(|id| id == step) || names.get(step).is_some_and(|id| id == alias)
}

/// Where a field is read in a step's events: a field id, or in a chain the
/// inner correlation's group key of that name.
fn value_source(name: &str, inner: Option<&Correlation>, tables: &mut Tables) -> Result<ValueSource, String> {
    match inner {
        Some(c) => c
            .group_by
            .iter()
            .position(|k| k.name.eq_ignore_ascii_case(name))
            .map(|i| ValueSource::Group(i as u16))
            .ok_or_else(|| {
                let keys: Vec<&str> = c.group_by.iter().map(|k| k.name.as_str()).collect();
                format!(
                    "'{name}' is not a group key of correlation '{}', whose detections carry only its group keys ({})",
                    c.id,
                    if keys.is_empty() { "none".to_string() } else { keys.join(", ") }
                )
            }),
        None => Ok(ValueSource::Field(tables.field(&schema::canonical_name(name)))),
    }
}

/// The field a measure reads, if any.
fn operand_name(m: &Measure) -> Option<&str> {
    match m {
        Measure::Distinct(o, _) | Measure::FirstSeen(o) => Some(o.field().name.as_str()),
        Measure::Sum(f, _) | Measure::Avg(f, _) | Measure::Median(f, _) | Measure::Percentile(_, f, _) => {
            Some(f.name.as_str())
        }
        Measure::Count(_) | Measure::Sequence | Measure::Temporal(_) => None,
    }
}

fn measure_plan(m: &Measure) -> MeasurePlan {
    use crate::ast::Operand;
    match m {
        Measure::Count(t) => MeasurePlan::Count(t.clone()),
        Measure::Distinct(o, t) => MeasurePlan::Distinct {
            zone: matches!(o, Operand::Zone(_)),
            threshold: t.clone(),
        },
        Measure::Sum(_, t) => MeasurePlan::Sum(t.clone()),
        Measure::Avg(_, t) => MeasurePlan::Avg(t.clone()),
        Measure::Median(_, t) => MeasurePlan::Percentile(50.0, t.clone()),
        Measure::Percentile(p, _, t) => MeasurePlan::Percentile(*p, t.clone()),
        Measure::Sequence => MeasurePlan::Sequence,
        Measure::Temporal(t) => MeasurePlan::Temporal(t.clone()),
        Measure::FirstSeen(o) => MeasurePlan::FirstSeen {
            zone: matches!(o, Operand::Zone(_)),
        },
    }
}

/// What a correlation must be, whichever language wrote it.
fn check(c: &Correlation) -> Result<(), String> {
    if c.steps.is_empty() {
        return Err("a correlation needs at least one step".into());
    }
    if c.steps.len() > MAX_STEPS {
        return Err(format!("{} steps: at most {MAX_STEPS}", c.steps.len()));
    }
    if matches!(c.measure, Measure::Sequence) && c.steps.len() < 2 {
        return Err("a sequence needs at least two steps".into());
    }
    let threshold = match &c.measure {
        Measure::Count(t)
        | Measure::Distinct(_, t)
        | Measure::Sum(_, t)
        | Measure::Avg(_, t)
        | Measure::Median(_, t)
        | Measure::Percentile(_, _, t)
        | Measure::Temporal(t) => Some(t),
        Measure::Sequence | Measure::FirstSeen(_) => None,
    };
    if let Some(t) = threshold {
        if t.0.is_empty() {
            return Err("an empty condition".into());
        }
        if t.0.iter().any(|(_, v)| !v.is_finite()) {
            return Err("a condition's number must be finite".into());
        }
    }
    if let Measure::Percentile(p, _, _) = c.measure {
        if !(0.0..=100.0).contains(&p) {
            return Err(format!("percentile {p} is not between 0 and 100"));
        }
    }
    if c.window.as_nanos() > i64::MAX as u128 {
        return Err("the window is longer than 292 years".into());
    }
    let mut seen: Vec<&str> = Vec::new();
    for k in &c.group_by {
        if seen.iter().any(|s| s.eq_ignore_ascii_case(&k.name)) {
            return Err(format!("group key '{}' is given twice", k.name));
        }
        seen.push(&k.name);
    }
    let mut labels: Vec<&str> = Vec::new();
    for s in &c.steps {
        if let Some(l) = &s.label {
            if labels.contains(&l.as_str()) {
                return Err(format!("step label '{l}' is given twice"));
            }
            labels.push(l);
        }
    }
    Ok(())
}

fn nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// A correlation named (through chains) by itself, as the path around.
fn find_cycle(feeds: &[Vec<Feed>]) -> Option<Vec<usize>> {
    // 0 unvisited, 1 on the path, 2 done.
    let mut mark = vec![0u8; feeds.len()];
    let mut path = Vec::new();
    fn visit(i: usize, feeds: &[Vec<Feed>], mark: &mut [u8], path: &mut Vec<usize>) -> Option<Vec<usize>> {
        mark[i] = 1;
        path.push(i);
        for f in &feeds[i] {
            if let Feed::Corr(k) = *f {
                let k = k as usize;
                if k >= feeds.len() {
                    continue;
                }
                if mark[k] == 1 {
                    let at = path.iter().position(|&p| p == k).unwrap_or(0);
                    let mut cycle = path[at..].to_vec();
                    cycle.push(k);
                    return Some(cycle);
                }
                if mark[k] == 0 {
                    if let Some(c) = visit(k, feeds, mark, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        mark[i] = 2;
        None
    }
    for i in 0..feeds.len() {
        if mark[i] == 0 {
            if let Some(c) = visit(i, feeds, &mut mark, &mut path) {
                return Some(c);
            }
        }
    }
    None
}

/// FNV-1a over the correlations' definitions: their asts, in order.
fn fingerprint(corrs: &[&Correlation]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in corrs {
        for b in format!("{c:?}").bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
