//! Sigma rules (YAML) into the same ast as the DSL, so that compiling and
//! scanning are shared.
//!
//! Windows rules with field selections, the value modifiers listed in
//! `docs/sigma-compatibility.md` and full conditions, and correlation rules
//! (all eight types, into [`crate::ast::Correlation`]). Anything else is rejected with the file, the YAML
//! line and the exact unsupported feature; the other rules still load.

mod condition;
mod correlation;
mod detection;

use std::collections::{BTreeMap, HashMap};

use yaml_rust2::Yaml;

use crate::ast::{Correlation, EventKind, Expr, Field, FieldForm, Level, Op, Predicate, Rule, Value};
use crate::schema::logsource::{LogSource, LogSourceTable};
use crate::dsl::Origin;

/// A Sigma rule that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub file: String,
    /// 1-based line of the YAML document (or of the offending key when found).
    pub line: usize,
    /// The rule's title or id, when it has one.
    pub rule: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(r) = &self.rule {
            write!(f, "in rule {r}: ")?;
        }
        f.write_str(&self.reason)
    }
}

/// What one Sigma file gave: rules, correlations, and the documents that
/// were rejected.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rules: Vec<(Rule, Origin)>,
    /// Correlation documents. Their steps name rules by landwatch id
    /// (`sigma.` and the Sigma id), or by `sigma.` and a Sigma `name` that
    /// another file defines, which [`crate::RulesBuilder::add_sigma`]
    /// resolves through [`Loaded::names`].
    pub correlations: Vec<(Correlation, Origin)>,
    /// Each Sigma `name` defined here, as `sigma.NAME`, with the id of the
    /// rule or correlation it names.
    pub names: Vec<(String, String)>,
    pub rejected: Vec<Rejection>,
}

/// Values of `%name%` placeholders for the `expand` modifier, by name
/// (without the percent signs).
pub type Placeholders = BTreeMap<String, Vec<String>>;

/// How Sigma rules are read beyond the specification's defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The values of `%name%` placeholders, for the `expand` modifier (names
    /// without the percent signs). A placeholder without values rejects the
    /// rule, naming it.
    pub placeholders: Placeholders,
    /// Also match positive selections on `CommandLine` and
    /// `ParentCommandLine` in their normal form (caret, quote and dash
    /// obfuscation undone), not only on the raw text Sigma specifies.
    /// Negative selections (filters) stay raw, so nothing is filtered that
    /// Sigma would not filter.
    pub normalize: bool,
    /// Which events each logsource means; the built-in table by default.
    pub logsources: LogSourceTable,
}

/// Reads a placeholder file for `expand`: a YAML map from each name (without
/// `%`) to a value or a list of values.
///
/// ```
/// let p = landwatch::sigma::placeholders("known_cdcs:\n  - dc1.corp.local\n  - 10.0.0.5\nadmins: alice\n").unwrap();
/// assert_eq!(p["known_cdcs"], ["dc1.corp.local", "10.0.0.5"]);
/// assert_eq!(p["admins"], ["alice"]);
/// ```
pub fn placeholders(text: &str) -> Result<Placeholders, String> {
    crate::limits::check_source(text.len())?;
    let docs = crate::yaml::load_from_str(text).map_err(|e| format!("line {}: {}", e.marker().line(), e.info()))?;
    let mut out = Placeholders::new();
    let Some(doc) = docs.first() else { return Ok(out) };
    let map = doc.as_hash().ok_or("a placeholder file is a map from names to values")?;
    for (k, v) in map {
        let name = detection::scalar(k).ok_or("a placeholder name must be a string")?;
        let values = match v {
            Yaml::Array(items) => items
                .iter()
                .map(|i| detection::scalar(i).ok_or(format!("placeholder '{name}': values must be strings or numbers")))
                .collect::<Result<Vec<_>, _>>()?,
            other => vec![detection::scalar(other).ok_or(format!("placeholder '{name}': values must be strings or numbers"))?],
        };
        out.insert(name.trim_matches('%').to_string(), values);
    }
    Ok(out)
}

/// Reads every YAML document of `text` (named `file` in messages) with the
/// default options: Sigma's semantics exactly.
pub fn load(file: &str, text: &str) -> Loaded {
    load_with(file, text, &Options::default())
}

/// Reads every YAML document of `text` with `options`.
pub fn load_with(file: &str, text: &str, options: &Options) -> Loaded {
    let mut out = Loaded::default();
    let reject = |rule: Option<String>, line: usize, reason: String| Rejection {
        file: file.to_string(),
        line,
        rule,
        reason,
    };
    if let Err(reason) = crate::limits::check_source(text.len()) {
        out.rejected.push(reject(None, 1, reason));
        return out;
    }
    // All documents first: a correlation may name the rules after it.
    let mut docs = Vec::new();
    for (start_line, doc_text) in documents(text) {
        match crate::yaml::load_from_str(doc_text) {
            Ok(ds) => docs.extend(
                ds.into_iter()
                    .filter(|d| !d.is_null() && d["action"].as_str().is_none())
                    .map(|d| (start_line, doc_text, d)),
            ),
            Err(e) => {
                // An error at the end of the text is past its last line.
                let last = doc_text.lines().count().max(1);
                let line = start_line + e.marker().line().clamp(1, last) - 1;
                out.rejected.push(reject(None, line, format!("YAML: {}", e.info())));
            }
        }
    }
    let refs = correlation::References::of(docs.iter().map(|(_, _, d)| d));
    let mut named: HashMap<&str, usize> = HashMap::new();
    for (start_line, doc_text, doc) in &docs {
        let start_line = *start_line;
        let title = doc["title"]
            .as_str()
            .or(doc["id"].as_str())
            .map(str::to_string);
        let origin = Origin {
            file: file.to_string(),
            line: start_line,
            column: 1,
        };
        let name = doc["name"].as_str();
        let first = name.and_then(|n| named.get(n).copied());
        if let (Some(n), None) = (name, first) {
            named.insert(n, start_line);
        }
        let converted = match first {
            Some(first) => Err(fail_at(
                &["name"],
                format!("name '{}' is already the name of the document at line {first}", name.unwrap_or_default()),
            )),
            None if !matches!(doc["correlation"], Yaml::BadValue) => {
                correlation::convert(doc, &refs).map(Document::Correlation)
            }
            None => convert(doc, options).map(Document::Rule),
        };
        match converted {
            Ok(d) => {
                let id = match &d {
                    Document::Rule(r) => &r.id,
                    Document::Correlation(c) => &c.id,
                };
                if let Some(n) = name {
                    out.names.push((format!("sigma.{n}"), id.clone()));
                }
                match d {
                    Document::Rule(r) => out.rules.push((r, origin)),
                    Document::Correlation(c) => out.correlations.push((c, origin)),
                }
            }
            Err((key, reason)) => {
                let line = key
                    .and_then(|k| k.line_in(doc_text))
                    .map_or(start_line, |l| start_line + l - 1);
                out.rejected.push(reject(title, line, reason));
            }
        }
    }
    out
}

/// What one document gave.
enum Document {
    Rule(Rule),
    Correlation(Correlation),
}

/// Splits on `---` lines: each document with its first line number.
fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut start_line = 1;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            if !text[start..offset].trim().is_empty() {
                out.push((start_line, &text[start..offset]));
            }
            start = offset + line.len();
            start_line = i + 2;
        }
        offset += line.len();
    }
    if !text[start..].trim().is_empty() {
        out.push((start_line, &text[start..]));
    }
    out
}

/// Where in its document a failure is.
#[derive(Debug)]
enum Key {
    /// The first line that holds this text.
    Text(String),
    /// A key under keys: `["correlation", "condition", "gte"]`. Each is
    /// looked for as a key (at the start of a line, after indentation, a
    /// `- ` or a quote), the first at the top level and each other below the
    /// one before; the line of the deepest one found.
    Path(Vec<String>),
}

impl Key {
    /// The 1-based line in `doc`.
    fn line_in(&self, doc: &str) -> Option<usize> {
        match self {
            Key::Text(t) => doc.lines().position(|l| l.contains(t.as_str())).map(|i| i + 1),
            Key::Path(keys) => {
                let lines: Vec<&str> = doc.lines().collect();
                let mut found = None;
                let mut from = 0;
                for (depth, key) in keys.iter().enumerate() {
                    let hit = lines
                        .iter()
                        .skip(from)
                        .position(|l| (depth > 0 || !l.starts_with([' ', '\t'])) && is_key_line(l, key));
                    let Some(i) = hit else { break };
                    from += i + 1;
                    found = Some(from);
                }
                found
            }
        }
    }
}

/// Whether `line` starts the mapping key `key`.
fn is_key_line(line: &str, key: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
    let l = l.strip_prefix(['\'', '"']).unwrap_or(l);
    let Some(rest) = l.strip_prefix(key) else { return false };
    let rest = rest.strip_prefix(['\'', '"']).unwrap_or(rest);
    rest.trim_start().starts_with(':')
}

type Failure = (Option<Key>, String);

fn fail(key: Option<&str>, reason: impl Into<String>) -> Failure {
    (key.map(|k| Key::Text(k.to_string())), reason.into())
}

/// A failure at a key: `["id"]` at the top level, `["correlation", "rules"]`
/// below it.
fn fail_at(keys: &[&str], reason: impl Into<String>) -> Failure {
    (Some(Key::Path(keys.iter().map(|k| k.to_string()).collect())), reason.into())
}

/// The landwatch id of a document: `sigma.` and its `id`, or, without one,
/// `sigma.` and its `name`.
fn document_id(doc: &Yaml) -> Result<String, Failure> {
    let name = match &doc["name"] {
        Yaml::BadValue => None,
        Yaml::String(n) => Some(n),
        _ => return Err(fail_at(&["name"], "name: must be a string")),
    };
    match (&doc["id"], name) {
        (Yaml::String(id), _) => Ok(format!("sigma.{id}")),
        (Yaml::BadValue, Some(name)) => Ok(format!("sigma.{name}")),
        (Yaml::BadValue, None) => Err(fail(Some("title:"), "no id")),
        _ => Err(fail_at(&["id"], "id: must be a string")),
    }
}

fn strings(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Yaml::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// `Channel == '...' and EventID in (...)`: the events of a logsource.
fn logsource_condition(src: LogSource) -> Expr {
    let pred = |name: &str, op: Op| {
        Expr::Pred(Predicate {
            field: Field::new(name),
            op,
            cased: false,
        })
    };
    let channel = pred("Channel", Op::Eq(Value::Str(src.channel)));
    if src.event_ids.is_empty() {
        return channel;
    }
    let ids = src.event_ids.iter().map(|&i| Value::Num(i as f64)).collect();
    Expr::And(vec![channel, pred("EventID", Op::In(ids))])
}

/// `--normalize`: a positive literal test on a raw command line also holds
/// on its normal form. `positive` flips under `not`.
fn normalized_too(e: Expr, positive: bool) -> Expr {
    match e {
        Expr::And(xs) => Expr::And(xs.into_iter().map(|x| normalized_too(x, positive)).collect()),
        Expr::Or(xs) => Expr::Or(xs.into_iter().map(|x| normalized_too(x, positive)).collect()),
        Expr::Not(x) => Expr::Not(Box::new(normalized_too(*x, !positive))),
        Expr::Pred(p) => {
            if !positive
                || p.field.form != FieldForm::Raw
                || !crate::schema::is_command_line(&p.field.name)
                || !normalizable(&p.op)
            {
                return Expr::Pred(p);
            }
            let normal = Predicate {
                field: Field::new(p.field.name.clone()),
                op: p.op.clone(),
                // The normal form is case-folded: `cased` means nothing there.
                cased: false,
            };
            Expr::Or(vec![Expr::Pred(p), Expr::Pred(normal)])
        }
    }
}

/// Whether a literal test means the same on the normal form. Patterns that
/// look for the obfuscation itself (carets, quotes, separators, non-ASCII
/// lookalikes, runs of blanks) do not: normalizing them would erase what
/// they look for (`'^^'` would become the empty pattern, found everywhere).
fn normalizable(op: &Op) -> bool {
    let clean = |p: &String| {
        !crate::normalize::pattern(p).is_empty()
            && !p.contains("  ")
            && p.chars().all(|c| c.is_ascii_graphic() || c == ' ')
            && !p.contains(['^', '"', '\'', '`', ',', ';'])
    };
    match op {
        Op::Contains(_, ps) | Op::StartsWith(ps) | Op::EndsWith(ps) => ps.iter().all(clean),
        Op::Eq(Value::Str(s)) | Op::Like(s) => clean(s),
        _ => false,
    }
}

fn convert(doc: &Yaml, options: &Options) -> Result<Rule, Failure> {
    let title = doc["title"].as_str().ok_or_else(|| fail(None, "no title"))?;
    let id = document_id(doc)?;
    let logsource = &doc["logsource"];
    let category = logsource["category"].as_str();
    let service = logsource["service"].as_str();
    let product = logsource["product"].as_str().unwrap_or("");
    if !(product.is_empty() || product.eq_ignore_ascii_case("windows")) {
        return Err(fail(Some("logsource:"), format!("logsource product '{product}' is not supported (windows is)")));
    }
    // process_creation is the `process` event kind; the rest come from the
    // table in schema::logsource, as conditions on EventID and Channel.
    let (on, source) = if category == Some("process_creation") {
        (EventKind::Process, None)
    } else if category.is_none() && service.is_none() {
        // `product: windows` alone: every Windows event.
        (EventKind::Any, None)
    } else {
        let src = options.logsources.windows(category, service).ok_or_else(|| {
            fail(
                Some("logsource:"),
                format!(
                    "logsource {product}/{} is not in the logsource table",
                    category.or(service).unwrap_or("(none)")
                ),
            )
        })?;
        (EventKind::Any, Some(src))
    };
    let detection = doc["detection"]
        .as_hash()
        .ok_or_else(|| fail(Some("detection:"), "no detection"))?;
    let mut selections = BTreeMap::new();
    let mut condition = None;
    for (k, v) in detection {
        let Some(name) = k.as_str() else { continue };
        match name {
            "condition" => {
                condition = Some(match v {
                    Yaml::String(s) => s.clone(),
                    Yaml::Array(_) => return Err(fail(Some("condition:"), "a list of conditions is not supported")),
                    _ => return Err(fail(Some("condition:"), "condition is not a string")),
                })
            }
            "timeframe" => return Err(fail(Some("timeframe:"), "timeframe (aggregation) is not supported")),
            _ => {
                let e = detection::selection(v, &options.placeholders).map_err(|r| fail(Some(name), r))?;
                selections.insert(name.to_string(), e);
            }
        }
    }
    let condition = condition.ok_or_else(|| fail(Some("detection:"), "no condition"))?;
    let mut when = condition::parse(&condition, &selections).map_err(|r| fail(Some("condition:"), r))?;
    if options.normalize {
        when = normalized_too(when, true);
    }
    // Modifiers, placeholders and selections named more than once in the
    // condition multiply a rule's values: the count is bounded after them.
    crate::pattern::check_patterns(&when).map_err(|r| fail(Some("detection:"), r))?;
    if let Some(src) = source {
        when = Expr::And(vec![logsource_condition(src), when]);
    }
    let level = match doc["level"].as_str() {
        Some(l) => Level::parse(l).ok_or_else(|| fail(Some("level:"), format!("unknown level '{l}'")))?,
        None => Level::Medium,
    };
    Ok(Rule {
        id,
        title: title.to_string(),
        level,
        tags: strings(&doc["tags"]),
        references: strings(&doc["references"]),
        description: doc["description"].as_str().map(str::to_string),
        on,
        when,
    })
}
