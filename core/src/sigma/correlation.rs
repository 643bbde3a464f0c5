//! Sigma correlation documents (`correlation:` instead of `detection:`) to
//! [`Correlation`]s.
//!
//! Every type of the specification loads: `event_count`, `value_count`,
//! `value_sum`, `value_avg`, `value_median`, `value_percentile`, `temporal`
//! and `temporal_ordered`. The rules a correlation names are found by `name`
//! or `id` among the documents of the same file first; any other reference
//! becomes `sigma.` and the text, which is either a landwatch id already
//! (a Sigma id) or a `name` that [`crate::RulesBuilder::add_sigma`] resolves
//! from another file. What cannot be read exactly is rejected, with the key.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use yaml_rust2::Yaml;

use super::{document_id, fail, fail_at, strings, Failure};
use crate::ast::{
    Correlation, Field, FieldForm, GroupKey, Level, Measure, Operand, Source, Step, Threshold,
    ThresholdOp,
};
use crate::schema;

/// The keys a `correlation:` section may hold.
const SECTION_KEYS: [&str; 7] = ["type", "rules", "aliases", "group-by", "timespan", "condition", "generate"];

/// The comparisons of a condition, as Sigma spells them.
const COMPARISONS: [(&str, ThresholdOp); 6] = [
    ("gt", ThresholdOp::Gt),
    ("gte", ThresholdOp::Ge),
    ("lt", ThresholdOp::Lt),
    ("lte", ThresholdOp::Le),
    ("eq", ThresholdOp::Eq),
    ("neq", ThresholdOp::Ne),
];

/// The rank of `value_percentile` when the condition gives no `percentile`.
const DEFAULT_PERCENTILE: f64 = 50.0;

/// The landwatch ids of the documents of one file, by Sigma `id` and by
/// `name`, so that a correlation names the rules beside it exactly.
#[derive(Debug, Default)]
pub(super) struct References {
    by_id: HashMap<String, String>,
    by_name: HashMap<String, String>,
}

impl References {
    /// Every document's. The first document of a name has it (the loader
    /// rejects the others), even when it is rejected itself.
    pub(super) fn of<'a>(docs: impl Iterator<Item = &'a Yaml>) -> References {
        let mut refs = References::default();
        for doc in docs {
            if let Some(id) = doc["id"].as_str() {
                refs.by_id.entry(id.to_string()).or_insert_with(|| format!("sigma.{id}"));
            }
            if let Some(name) = doc["name"].as_str() {
                let lw = document_id(doc).unwrap_or_else(|_| format!("sigma.{name}"));
                refs.by_name.entry(name.to_string()).or_insert(lw);
            }
        }
        refs
    }

    /// The landwatch id a `rules:` entry (or an alias key) stands for: a
    /// document of this file by id, then by name; else `sigma.` and the text.
    fn resolve(&self, r: &str) -> String {
        self.by_id
            .get(r)
            .or_else(|| self.by_name.get(r))
            .cloned()
            .unwrap_or_else(|| format!("sigma.{r}"))
    }
}

/// A failure at a key inside the `correlation:` section.
fn at(keys: &[&str], reason: impl Into<String>) -> Failure {
    let path: Vec<&str> = std::iter::once("correlation").chain(keys.iter().copied()).collect();
    fail_at(&path, reason)
}

/// A failure at a key of the document itself.
fn at_top(key: &str, reason: impl Into<String>) -> Failure {
    fail_at(&[key], reason)
}

/// The types, for messages.
const TYPES: &str = "event_count, value_count, value_sum, value_avg, value_median, \
                     value_percentile, temporal, temporal_ordered";

/// Converts one document that has a `correlation:` key.
pub(super) fn convert(doc: &Yaml, refs: &References) -> Result<Correlation, Failure> {
    let title = doc["title"].as_str().ok_or_else(|| fail(None, "no title"))?;
    let id = document_id(doc)?;
    if !matches!(doc["detection"], Yaml::BadValue) {
        return Err(at_top("detection", "a document has either detection: or correlation:, not both"));
    }
    let section = doc["correlation"]
        .as_hash()
        .ok_or_else(|| at(&[], "correlation: must be a map (type:, rules:, timespan:, ...)"))?;
    for k in section.keys() {
        match k.as_str() {
            Some(k) if SECTION_KEYS.contains(&k) => {}
            Some(k) => {
                return Err(at(
                    &[k],
                    format!("unknown key '{k}' in correlation: (it holds {})", SECTION_KEYS.join(", ")),
                ))
            }
            None => return Err(at(&[], "a key of correlation: that is not a string")),
        }
    }
    let c = &doc["correlation"];
    let kind = match &c["type"] {
        Yaml::BadValue => return Err(at(&[], "a correlation needs type:")),
        Yaml::String(s) => s.as_str(),
        _ => return Err(at(&["type"], format!("type: must be one of {TYPES}"))),
    };
    let kind = Kind::parse(kind)
        .ok_or_else(|| at(&["type"], format!("correlation type '{kind}' is not supported (the types are {TYPES})")))?;

    let steps = rules(&c["rules"], refs)?;
    if steps.iter().any(|s| s == &id) {
        return Err(at(&["rules"], format!("the correlation names itself ({id}) in rules:")));
    }
    let window = timespan(&c["timespan"])?;
    let group_by = group_by(&c["group-by"], &c["aliases"], &steps, refs)?;
    let condition = match &c["condition"] {
        Yaml::BadValue => None,
        y => Some(condition(y)?),
    };
    let measure = measure(kind, condition, steps.len())?;
    let generate = generate(doc)?;
    let level = match &doc["level"] {
        Yaml::BadValue => Level::Medium,
        Yaml::String(l) => Level::parse(l).ok_or_else(|| at_top("level", format!("unknown level '{l}'")))?,
        _ => return Err(at_top("level", "level: must be a string")),
    };
    Ok(Correlation {
        id,
        title: title.to_string(),
        level,
        tags: strings(&doc["tags"]),
        references: strings(&doc["references"]),
        description: doc["description"].as_str().map(str::to_string),
        generate,
        measure,
        steps: steps
            .into_iter()
            .map(|r| Step {
                label: None,
                source: Source::Rule(r),
            })
            .collect(),
        group_by,
        window,
        hours: None,
    })
}

/// `correlation.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    EventCount,
    ValueCount,
    ValueSum,
    ValueAvg,
    ValueMedian,
    ValuePercentile,
    Temporal,
    TemporalOrdered,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "event_count" => Kind::EventCount,
            "value_count" => Kind::ValueCount,
            "value_sum" => Kind::ValueSum,
            "value_avg" => Kind::ValueAvg,
            "value_median" => Kind::ValueMedian,
            "value_percentile" => Kind::ValuePercentile,
            "temporal" => Kind::Temporal,
            "temporal_ordered" => Kind::TemporalOrdered,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount => "value_count",
            Kind::ValueSum => "value_sum",
            Kind::ValueAvg => "value_avg",
            Kind::ValueMedian => "value_median",
            Kind::ValuePercentile => "value_percentile",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
        }
    }

    /// The kinds that measure a field named by `condition.field`.
    fn has_field(self) -> bool {
        matches!(
            self,
            Kind::ValueCount | Kind::ValueSum | Kind::ValueAvg | Kind::ValueMedian | Kind::ValuePercentile
        )
    }
}

/// `rules:`: one reference or a list of them, as landwatch ids.
fn rules(y: &Yaml, refs: &References) -> Result<Vec<String>, Failure> {
    let items: Vec<&Yaml> = match y {
        Yaml::BadValue | Yaml::Null => return Err(at(&[], "a correlation needs rules:")),
        Yaml::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    if items.is_empty() {
        return Err(at(&["rules"], "rules: is empty"));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    let mut seen = HashSet::with_capacity(items.len());
    for item in items {
        let r = match item {
            Yaml::String(s) if !s.trim().is_empty() => s.as_str(),
            _ => return Err(at(&["rules"], "rules: must be rule names or ids (strings)")),
        };
        let lw = refs.resolve(r);
        if !seen.insert(lw.clone()) {
            return Err(at(&["rules"], format!("rules: names '{r}' twice")));
        }
        out.push(lw);
    }
    Ok(out)
}

/// `timespan:`: a whole number and a unit: `ms`, `s`, `m`, `h`, `d` or `w`
/// (seven days), lowercase as the specification writes them.
fn timespan(y: &Yaml) -> Result<Duration, Failure> {
    const FORM: &str = "a whole number and a unit: ms, s, m, h, d or w (30s, 5m, 1h, 7d)";
    let text = match y {
        Yaml::BadValue => return Err(at(&[], "a correlation needs timespan:")),
        Yaml::String(s) => s.as_str(),
        _ => return Err(at(&["timespan"], format!("timespan: must be {FORM}"))),
    };
    let bad = || at(&["timespan"], format!("timespan: '{text}' is not {FORM}"));
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    if number.is_empty() {
        return Err(bad());
    }
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = |per: u64| n.checked_mul(per).map(Duration::from_secs);
    let d = match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => seconds(1),
        "m" => seconds(60),
        "h" => seconds(3_600),
        "d" => seconds(86_400),
        "w" => seconds(7 * 86_400),
        _ => return Err(bad()),
    };
    match d {
        Some(d) if !d.is_zero() => Ok(d),
        Some(_) => Err(at(&["timespan"], "timespan: must be longer than zero")),
        None => Err(at(&["timespan"], format!("timespan: '{text}' is too long"))),
    }
}

/// A field of the events, as selections read it: the taxonomy spelling, and
/// command lines as written (Sigma's semantics).
fn event_field(name: &str) -> Field {
    let name = schema::canonical_name(name);
    let form = if schema::is_command_line(&name) {
        FieldForm::Raw
    } else {
        FieldForm::Default
    };
    Field { name, form }
}

/// A field name given in the section: a plain, non-empty name.
fn field_name<'a>(y: &'a Yaml, keys: &[&str], what: &str) -> Result<&'a str, Failure> {
    match y {
        Yaml::String(s) if s.contains('|') => Err(at(keys, format!("{what}: '{s}': modifiers are not supported here"))),
        Yaml::String(s) if !s.trim().is_empty() => Ok(s.as_str()),
        _ => Err(at(keys, format!("{what}: must be a field name"))),
    }
}

/// `group-by:` (absent: one group) with `aliases:`.
fn group_by(y: &Yaml, aliases: &Yaml, steps: &[String], refs: &References) -> Result<Vec<GroupKey>, Failure> {
    let names: Vec<&Yaml> = match y {
        Yaml::BadValue | Yaml::Null => Vec::new(),
        Yaml::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    let aliases = match aliases {
        Yaml::BadValue | Yaml::Null => None,
        Yaml::Hash(map) => Some(map),
        _ => return Err(at(&["aliases"], "aliases: must be a map from each alias to a map of rule names to fields")),
    };
    let steps: HashSet<&str> = steps.iter().map(String::as_str).collect();
    let mut out: Vec<GroupKey> = Vec::with_capacity(names.len());
    let mut seen = HashSet::with_capacity(names.len());
    for name in names {
        let name = field_name(name, &["group-by"], "group-by")?;
        let alias = aliases.and_then(|a| a.get(&Yaml::String(name.to_string())));
        // An alias keeps its name; a field takes its taxonomy spelling.
        let key = match alias {
            Some(_) => name.to_string(),
            None => schema::canonical_name(name),
        };
        if !seen.insert(key.clone()) {
            return Err(at(&["group-by"], format!("group-by: names '{name}' twice")));
        }
        let Some(alias) = alias else {
            out.push(GroupKey::field(key));
            continue;
        };
        let keys = ["aliases", name];
        let map = alias
            .as_hash()
            .ok_or_else(|| at(&keys, format!("alias '{name}' must map rule names to fields")))?;
        if map.is_empty() {
            return Err(at(&keys, format!("alias '{name}' maps no rule to a field")));
        }
        let mut fields = Vec::with_capacity(map.len());
        for (rule, field) in map {
            let rule = rule
                .as_str()
                .ok_or_else(|| at(&keys, format!("alias '{name}': rule names must be strings")))?;
            let lw = refs.resolve(rule);
            if !steps.contains(lw.as_str()) {
                return Err(at(&keys, format!("alias '{name}' names '{rule}', which is not in rules:")));
            }
            let field = field_name(field, &keys, &format!("alias '{name}', rule '{rule}'"))?;
            fields.push((lw, event_field(field)));
        }
        out.push(GroupKey { name: key, fields });
    }
    Ok(out)
}

/// What `condition:` gave, before the type decides what it may hold.
struct Condition {
    comparisons: Vec<(ThresholdOp, f64)>,
    /// `field:`, and the number of fields it listed.
    field: Option<(Field, usize)>,
    percentile: Option<f64>,
}

/// A finite number: an integer or a float.
fn number(y: &Yaml) -> Option<f64> {
    match y {
        Yaml::Integer(i) => Some(*i as f64),
        Yaml::Real(_) => y.as_f64().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn condition(y: &Yaml) -> Result<Condition, Failure> {
    let map = y
        .as_hash()
        .ok_or_else(|| at(&["condition"], "condition: must be a map of comparisons (gte: 10)"))?;
    let mut out = Condition {
        comparisons: Vec::new(),
        field: None,
        percentile: None,
    };
    for (k, v) in map {
        let Some(k) = k.as_str() else {
            return Err(at(&["condition"], "a key of condition: that is not a string"));
        };
        let keys = ["condition", k];
        if let Some(&(_, op)) = COMPARISONS.iter().find(|(name, _)| *name == k) {
            let n = number(v).ok_or_else(|| at(&keys, format!("condition {k}: must be a number")))?;
            out.comparisons.push((op, n));
            continue;
        }
        match k {
            "field" => {
                let (first, count) = match v {
                    Yaml::Array(items) => match items.first() {
                        Some(f) => (f, items.len()),
                        None => return Err(at(&keys, "condition field: is an empty list")),
                    },
                    one => (one, 1),
                };
                if let Yaml::Array(items) = v {
                    for f in items {
                        field_name(f, &keys, "condition field")?;
                    }
                }
                out.field = Some((event_field(field_name(first, &keys, "condition field")?), count));
            }
            "percentile" => {
                let p = number(v)
                    .filter(|p| (0.0..=100.0).contains(p))
                    .ok_or_else(|| at(&keys, "condition percentile: must be a number from 0 to 100"))?;
                out.percentile = Some(p);
            }
            _ => {
                return Err(at(
                    &keys,
                    format!("unknown key '{k}' in condition: (gt, gte, lt, lte, eq, neq, field, percentile)"),
                ))
            }
        }
    }
    Ok(out)
}

/// The measure of a correlation of `kind` over `steps` rules.
fn measure(kind: Kind, condition: Option<Condition>, steps: usize) -> Result<Measure, Failure> {
    let name = kind.as_str();
    let Some(c) = condition else {
        return match kind {
            Kind::Temporal => Ok(Measure::Temporal(Threshold::new(ThresholdOp::Ge, steps as f64))),
            Kind::TemporalOrdered => Ok(Measure::Sequence),
            _ if kind.has_field() => Err(at(&[], format!("{name} needs condition: with field: and a comparison"))),
            _ => Err(at(&[], format!("{name} needs condition: (gte: 10, ...)"))),
        };
    };
    if c.field.is_some() && !kind.has_field() {
        return Err(at(&["condition", "field"], format!("condition field: is for the value_* types, not {name}")));
    }
    if c.percentile.is_some() && kind != Kind::ValuePercentile {
        return Err(at(
            &["condition", "percentile"],
            format!("condition percentile: is for value_percentile, not {name}"),
        ));
    }
    let threshold = match c.comparisons.len() {
        0 => return Err(at(&["condition"], "condition: needs a comparison: gt, gte, lt, lte, eq or neq")),
        1..=3 => Threshold(c.comparisons),
        _ => return Err(at(&["condition"], "condition: holds at most three comparisons")),
    };
    // Among groups, the count of distinct rules seen goes from 1 to `steps`.
    let seen = |th: &Threshold| (1..=steps).filter(|&k| th.holds(k as f64)).collect::<Vec<_>>();
    let field = match (kind.has_field(), c.field) {
        (false, _) => None,
        (true, None) => return Err(at(&["condition"], format!("{name} needs condition field:"))),
        (true, Some((_, n))) if n > 1 => {
            return Err(at(&["condition", "field"], format!("{name} over several fields is not supported")))
        }
        (true, Some((f, _))) => Some(f),
    };
    Ok(match (kind, field) {
        (Kind::EventCount, _) => Measure::Count(threshold),
        (Kind::Temporal, _) => {
            if seen(&threshold).is_empty() {
                return Err(at(
                    &["condition"],
                    format!("temporal condition: holds for no number of rules from 1 to {steps}"),
                ));
            }
            Measure::Temporal(threshold)
        }
        (Kind::TemporalOrdered, _) => {
            let seen = seen(&threshold);
            if seen != [steps] {
                // The fewest rules it holds for, when it holds for all too.
                let what = match seen.first() {
                    Some(fewest) if seen.contains(&steps) => {
                        format!("this condition: also holds for {fewest} of them, which is not supported")
                    }
                    _ => format!("this condition: does not hold for {steps}"),
                };
                return Err(at(
                    &["condition"],
                    format!("temporal_ordered fires when all {steps} rules are seen in order; {what}"),
                ));
            }
            Measure::Sequence
        }
        (Kind::ValueCount, Some(f)) => Measure::Distinct(Operand::Field(f), threshold),
        (Kind::ValueSum, Some(f)) => Measure::Sum(f, threshold),
        (Kind::ValueAvg, Some(f)) => Measure::Avg(f, threshold),
        (Kind::ValueMedian, Some(f)) => Measure::Median(f, threshold),
        (Kind::ValuePercentile, Some(f)) => {
            Measure::Percentile(c.percentile.unwrap_or(DEFAULT_PERCENTILE), f, threshold)
        }
        (_, None) => return Err(at(&["condition"], format!("{name} needs condition field:"))),
    })
}

/// `generate:` at the top of the document or in `correlation:` (both: they
/// must agree); `false` when absent, as the specification says.
fn generate(doc: &Yaml) -> Result<bool, Failure> {
    let read = |y: &Yaml, fail: &dyn Fn() -> Failure| match y {
        Yaml::BadValue => Ok(None),
        Yaml::Boolean(b) => Ok(Some(*b)),
        _ => Err(fail()),
    };
    let top = read(&doc["generate"], &|| at_top("generate", "generate: must be true or false"))?;
    let inner = read(&doc["correlation"]["generate"], &|| at(&["generate"], "generate: must be true or false"))?;
    match (top, inner) {
        (Some(a), Some(b)) if a != b => Err(at(&["generate"], "generate: is given twice, true and false")),
        (a, b) => Ok(a.or(b).unwrap_or(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::Key;

    fn secs(text: &str) -> Result<u64, String> {
        timespan(&Yaml::String(text.into())).map(|d| d.as_secs()).map_err(|(_, r)| r)
    }

    #[test]
    fn timespans_are_a_number_and_a_unit() {
        assert_eq!(secs("1s"), Ok(1));
        assert_eq!(secs("10m"), Ok(600));
        assert_eq!(secs("2w"), Ok(14 * 86_400));
        assert_eq!(secs("1500ms"), Ok(1));
        for bad in ["", "s", "5", "5 m", " 5m", "5m ", "5min", "5S", "+5m", "0m", "0ms"] {
            assert!(secs(bad).is_err(), "{bad:?}");
        }
        // u64::MAX days overflows instead of wrapping.
        assert!(secs(&format!("{}d", u64::MAX)).unwrap_err().contains("too long"));
    }

    #[test]
    fn key_paths_find_the_key_below_its_parent() {
        let doc = "title: condition: in a title\ncorrelation:\n  'type': x\n  condition:\n    \"gte\" : 5\n";
        let line = |keys: &[&str]| Key::Path(keys.iter().map(|k| k.to_string()).collect()).line_in(doc);
        assert_eq!(line(&["correlation", "condition", "gte"]), Some(5));
        assert_eq!(line(&["correlation", "type"]), Some(3));
        // A key that is not there: the deepest one found.
        assert_eq!(line(&["correlation", "timespan"]), Some(2));
        // The first key is at the top level only.
        assert_eq!(line(&["condition"]), None);
    }
}
