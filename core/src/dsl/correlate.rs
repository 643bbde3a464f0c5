//! The `correlate:` expression of a correlation: the measure and its
//! threshold, the steps, the group, the window and the hours, with the
//! positioned errors of [`super::parser`]. Inline steps hold conditions of
//! [`super::condition`].

use std::collections::HashSet;
use std::time::Duration;

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1};
use nom::combinator::value;
use nom::sequence::preceded;
use nom::{Err, Parser};

use super::condition::{named_field, or_expr};
use super::lexer::{
    blank, failure, found, keyword, list_next, number, rule_id, skip, symbol, word, PError, PResult,
};
use super::parser::{expect, starts_block};
use crate::ast::{
    EventKind, GroupKey, Hours, Measure, Operand, Source, Step, Threshold, ThresholdOp,
};
use crate::schema;

/// What `correlate:` says; the rest of a [`crate::ast::Correlation`] comes
/// from the other keys.
pub(super) struct Correlate {
    pub measure: Measure,
    pub steps: Vec<Step>,
    pub group_by: Vec<GroupKey>,
    pub window: Duration,
    pub hours: Option<Hours>,
}

const MEASURES: &str = "count, sum, avg, median, percentile, sequence, all, steps or first";

const A_STEP: &str =
    "a step (a rule id, or a condition in parentheses such as process(Image endswith '\\x.exe'))";

const UNITS: &str = "ms, s, m, h or d";

/// The steps read so far, and the labels and rule ids by which group key
/// aliases may refer to them (sets, so that a long list of steps stays
/// linear).
#[derive(Default)]
struct Steps {
    steps: Vec<Step>,
    labels: HashSet<String>,
    rules: HashSet<String>,
}

impl Steps {
    /// Adds a step that starts at `at` (its label) and whose source starts
    /// at `body`, checking that labels and rule ids still tell the steps
    /// apart.
    fn push<'a>(&mut self, at: &'a str, body: &'a str, step: Step) -> Result<(), Err<PError<'a>>> {
        if let Some(label) = &step.label {
            if self.labels.contains(label) {
                return Err(failure(
                    at,
                    format!("two steps are labelled '{label}' (a label names one step)"),
                ));
            }
            if self.rules.contains(label) {
                return Err(failure(
                    at,
                    format!("label '{label}' is the id of a rule another step names: give the step another label"),
                ));
            }
        }
        if let Some(id) = rule_of(&step) {
            if self.labels.contains(id) {
                return Err(failure(
                    body,
                    format!("'{id}' names a rule here and labels another step: give that step another label"),
                ));
            }
            self.rules.insert(id.to_string());
        }
        if let Some(label) = &step.label {
            self.labels.insert(label.clone());
        }
        self.steps.push(step);
        Ok(())
    }

    fn len(&self) -> usize {
        self.steps.len()
    }

    /// Whether a group key alias may name a step by `name`.
    fn refers_to(&self, name: &str) -> bool {
        self.labels.contains(name) || self.rules.contains(name)
    }

    /// Why a group key alias cannot name a step by some other name.
    fn unknown(&self, name: &str) -> String {
        let mut names: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for s in &self.steps {
            for n in [s.label.as_deref(), rule_of(s)].into_iter().flatten() {
                if seen.insert(n) {
                    names.push(n);
                }
            }
        }
        if names.is_empty() {
            return format!("'{name}' is not a step of this correlation (its steps have no labels: label one, as in 'logon: logon(...)')");
        }
        format!(
            "'{name}' is not a step of this correlation (steps are referred to by label or rule id: {})",
            names.join(", ")
        )
    }

    fn into_steps(self) -> Vec<Step> {
        self.steps
    }
}

/// The rule id a step names, if it names one.
fn rule_of(step: &Step) -> Option<&str> {
    match &step.source {
        Source::Rule(id) => Some(id),
        Source::Inline { .. } => None,
    }
}

/// The expression after `correlate:`, up to the next key or `}`.
pub(super) fn correlate(input: &str) -> PResult<'_, Correlate> {
    let at = skip(input);
    let Ok((rest, head)) = word(at) else {
        return Err(failure(
            at,
            format!(
                "expected a measure ({MEASURES}), as in 'count >= 5 of RULE within 10m', found {}",
                found(at)
            ),
        ));
    };
    let mut steps = Steps::default();
    let head = head.to_ascii_lowercase();
    let (rest, measure) = match head.as_str() {
        "count" => match keyword("distinct")(rest) {
            Ok((r, _)) => {
                let (r, operand) = operand(r)?;
                let (r, th) = threshold(r, "a threshold such as '>= 5'")?;
                let r = sources(r, &mut steps)?;
                (r, Measure::Distinct(operand, th))
            }
            Err(_) => {
                let (r, th) = threshold(rest, "'distinct' or a threshold such as '>= 5'")?;
                let r = sources(r, &mut steps)?;
                (r, Measure::Count(th))
            }
        },
        "sum" | "avg" | "median" => {
            let (r, field) = named_field(rest, &format!("the field to take the {head} of"))?;
            let (r, th) = threshold(r, "a threshold such as '>= 5'")?;
            let r = sources(r, &mut steps)?;
            let measure = match head.as_str() {
                "sum" => Measure::Sum(field, th),
                "avg" => Measure::Avg(field, th),
                _ => Measure::Median(field, th),
            };
            (r, measure)
        }
        "percentile" => {
            let rank_at = skip(rest);
            let (r, rank) = expect(number, "a percentile rank from 0 to 100, such as 95")(rank_at)?;
            if !(0.0..=100.0).contains(&rank) {
                return Err(failure(
                    rank_at,
                    format!("percentile rank {} is out of range (0 to 100)", super::printer::number(rank)),
                ));
            }
            let (r, field) = named_field(r, "the field to take the percentile of")?;
            let (r, th) = threshold(r, "a threshold such as '>= 5'")?;
            let r = sources(r, &mut steps)?;
            (r, Measure::Percentile(rank, field, th))
        }
        "sequence" => {
            let (mut r, ()) = step(rest, &mut steps)?;
            while let Ok((after_then, _)) = keyword("then")(r) {
                let (after_step, ()) = step(after_then, &mut steps)?;
                r = after_step;
            }
            if steps.len() < 2 {
                let at = skip(r);
                return Err(failure(
                    at,
                    format!(
                        "a sequence needs at least two steps: expected 'then' and the next step, found {}",
                        found(at)
                    ),
                ));
            }
            (r, Measure::Sequence)
        }
        "all" => {
            let (r, _) = expect(keyword("of"), "'of' and a list of steps, as in 'all of (a, b)'")(rest)?;
            let (r, _) = expect(symbol('('), "'(' to open the list of steps")(r)?;
            let (r, ()) = step_list(r, &mut steps, 2, "'all of' needs at least two steps (for one, use 'count >= 1 of STEP')")?;
            let n = steps.len() as f64;
            (r, Measure::Temporal(Threshold::new(ThresholdOp::Ge, n)))
        }
        "steps" => {
            let (r, th) = threshold(rest, "a threshold on the number of steps seen, such as '>= 2'")?;
            let (r, _) = expect(keyword("of"), "'of' and a list of steps, as in 'steps >= 2 of (a, b, c)'")(r)?;
            let (r, _) = expect(symbol('('), "'(' to open the list of steps")(r)?;
            let (r, ()) = step_list(r, &mut steps, 1, "empty list: give at least one step")?;
            (r, Measure::Temporal(th))
        }
        "first" => {
            let (r, operand) = operand(rest)?;
            let r = sources(r, &mut steps)?;
            (r, Measure::FirstSeen(operand))
        }
        _ => {
            return Err(failure(
                at,
                format!("unknown measure '{head}' (expected {MEASURES})"),
            ))
        }
    };
    let (rest, group_by) = group(rest, &steps)?;
    let first = matches!(measure, Measure::FirstSeen(_));
    let (rest, window) = window(rest, first, !group_by.is_empty(), matches!(measure, Measure::Sequence))?;
    let (rest, hours) = hours(rest)?;
    let (rest, ()) = end(rest, hours.is_some())?;
    Ok((
        rest,
        Correlate {
            measure,
            steps: steps.into_steps(),
            group_by,
            window,
            hours,
        },
    ))
}

/// `FIELD` or `zone(FIELD)`.
fn operand(input: &str) -> PResult<'_, Operand> {
    let at = skip(input);
    if let Ok((r, _)) = keyword("zone")(at) {
        if let Ok((r, _)) = symbol('(')(r) {
            let (r, field) = named_field(r, "a field holding an address")?;
            let (r, _) = expect(symbol(')'), "')' to close 'zone('")(r)?;
            return Ok((r, Operand::Zone(field)));
        }
    }
    let (r, field) = named_field(at, "a field name or zone(FIELD)")?;
    Ok((r, Operand::Field(field)))
}

/// `CMP NUMBER ('and' CMP NUMBER)*`; `what` says what was expected first.
fn threshold<'a>(input: &'a str, what: &str) -> PResult<'a, Threshold> {
    let (mut rest, first) = comparison(input, what)?;
    let mut th = vec![first];
    while let Ok((after_and, _)) = keyword("and")(rest) {
        let (r, c) = comparison(after_and, "a comparison such as '< 100' after 'and'")?;
        th.push(c);
        rest = r;
    }
    Ok((rest, Threshold(th)))
}

fn comparison<'a>(input: &'a str, what: &str) -> PResult<'a, (ThresholdOp, f64)> {
    let at = skip(input);
    let op: PResult<'_, ThresholdOp> = alt((
        value(ThresholdOp::Le, tag("<=")),
        value(ThresholdOp::Ge, tag(">=")),
        value(ThresholdOp::Eq, tag("==")),
        value(ThresholdOp::Ne, tag("!=")),
        value(ThresholdOp::Lt, tag("<")),
        value(ThresholdOp::Gt, tag(">")),
    ))
    .parse(at);
    let Ok((rest, op)) = op else {
        return Err(failure(
            at,
            format!(
                "expected {what} (<, <=, >, >=, == or != and a number), found {}",
                found(at)
            ),
        ));
    };
    let (rest, n) = expect(
        preceded(blank, number),
        format!("a number after '{}'", op.as_str()),
    )(rest)?;
    Ok((rest, (op, n)))
}

/// `of STEP` or `of any (STEP, ...)`.
fn sources<'a>(input: &'a str, steps: &mut Steps) -> Result<&'a str, Err<PError<'a>>> {
    let (rest, _) = expect(keyword("of"), "'of' and the steps")(input)?;
    let at = skip(rest);
    if let Ok((r, _)) = preceded(keyword("any"), symbol('(')).parse(at) {
        let (r, ()) = step_list(r, steps, 1, "empty list: give at least one step")?;
        return Ok(r);
    }
    let (r, ()) = step(at, steps)?;
    Ok(r)
}

/// The steps of a list after its `(`, to its `)`: at least `min` of them
/// (else `too_few`, at the `)`), a trailing comma allowed.
fn step_list<'a>(
    input: &'a str,
    steps: &mut Steps,
    min: usize,
    too_few: &str,
) -> PResult<'a, ()> {
    let mut rest = input;
    let mut n = 0;
    loop {
        let at = skip(rest);
        if let Ok((r, _)) = char::<_, PError>(')').parse(at) {
            if n < min {
                return Err(failure(at, too_few));
            }
            return Ok((r, ()));
        }
        let (r, ()) = step(at, steps)?;
        n += 1;
        rest = list_next(r, "the list of steps")?;
    }
}

/// `LABEL: SOURCE` or `SOURCE`, added to `steps`.
fn step<'a>(input: &'a str, steps: &mut Steps) -> PResult<'a, ()> {
    let at = skip(input);
    let (body, label) = match rule_id(at) {
        Ok((r, l)) => match symbol(':')(r) {
            Ok((r, _)) => (skip(r), Some(l.to_string())),
            Err(_) => (at, None),
        },
        Err(_) => (at, None),
    };
    let (rest, source) = source(body)?;
    steps.push(at, body, Step { label, source })?;
    Ok((rest, ()))
}

/// A rule id, `(CONDITION)` or `KIND(CONDITION)`.
fn source(at: &str) -> PResult<'_, Source> {
    if let Ok((r, _)) = char::<_, PError>('(').parse(at) {
        return inline(r, EventKind::Any);
    }
    let Ok((rest, id)) = rule_id(at) else {
        return Err(failure(at, format!("expected {A_STEP}, found {}", found(at))));
    };
    let Ok((after_paren, _)) = symbol('(')(rest) else {
        return Ok((rest, Source::Rule(id.to_string())));
    };
    match EventKind::parse(id) {
        Some(EventKind::Any) => Err(failure(
            at,
            "'any (...)' lists steps only right after 'of'; an inline step of every kind is written without a kind: (CONDITION)",
        )),
        Some(kind) => inline(after_paren, kind),
        None => Err(failure(
            at,
            format!("unknown event kind '{id}' (expected process, logon or explicit_credential before '(', or none for every kind)"),
        )),
    }
}

/// The condition of an inline step, after its `(`, and the `)`.
fn inline(input: &str, on: EventKind) -> PResult<'_, Source> {
    let (rest, when) = or_expr(input, 0)?;
    let at = skip(rest);
    match char::<_, PError>(')').parse(at) {
        Ok((rest, _)) => Ok((rest, Source::Inline { on, when })),
        Err(_) => Err(failure(
            at,
            format!(
                "expected 'and', 'or' or ')' to end the step's condition, found {}",
                found(at)
            ),
        )),
    }
}

/// `by KEY, ...`, if there.
fn group<'a>(input: &'a str, steps: &Steps) -> PResult<'a, Vec<GroupKey>> {
    let Ok((mut rest, _)) = keyword("by")(input) else {
        return Ok((input, Vec::new()));
    };
    let mut keys: Vec<GroupKey> = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    loop {
        let at = skip(rest);
        let (r, key) = group_key(at, steps)?;
        if !names.insert(key.name.to_ascii_lowercase()) {
            return Err(failure(
                at,
                format!("the group key '{}' is given twice", key.name),
            ));
        }
        keys.push(key);
        match symbol(',')(r) {
            Ok((r, _)) => rest = r,
            Err(_) => return Ok((r, keys)),
        }
    }
}

/// `FIELD_NAME` or `NAME = (REF: FIELD, ...)`.
fn group_key<'a>(at: &'a str, steps: &Steps) -> PResult<'a, GroupKey> {
    let Ok((rest, name)) = word(at) else {
        return Err(failure(
            at,
            format!(
                "expected a group key (a field name, or NAME = (STEP: FIELD, ...)), found {}",
                found(at)
            ),
        ));
    };
    let after = skip(rest);
    let alias = after.strip_prefix('=').filter(|r| !r.starts_with('='));
    let Some(after_eq) = alias else {
        if rest.starts_with('.') {
            return Err(failure(
                rest,
                format!("a group key without aliases is a field name and takes no form: to group by '{name}.raw', give each step's field, as in key = (step: {name}.raw)"),
            ));
        }
        return Ok((rest, GroupKey::field(schema::canonical_name(name))));
    };
    let (mut rest, _) = expect(
        symbol('('),
        format!("'(' and the field of each step, as in {name} = (logon: TargetUserName, tool: User)"),
    )(after_eq)?;
    let mut fields: Vec<(String, crate::ast::Field)> = Vec::new();
    let mut named: HashSet<&str> = HashSet::new();
    loop {
        let at = skip(rest);
        if let Ok((r, _)) = char::<_, PError>(')').parse(at) {
            if fields.is_empty() {
                return Err(failure(
                    at,
                    "empty list: give at least one step and its field, as in (logon: TargetUserName)",
                ));
            }
            return Ok((
                r,
                GroupKey {
                    name: name.to_string(),
                    fields,
                },
            ));
        }
        let Ok((r, step_ref)) = rule_id(at) else {
            return Err(failure(
                at,
                format!("expected a step (its label or rule id) and ':', found {}", found(at)),
            ));
        };
        if !steps.refers_to(step_ref) {
            return Err(failure(at, steps.unknown(step_ref)));
        }
        if !named.insert(step_ref) {
            return Err(failure(
                at,
                format!("step '{step_ref}' is given twice in the group key '{name}'"),
            ));
        }
        let (r, _) = expect(
            symbol(':'),
            format!("':' and the field of '{step_ref}'"),
        )(r)?;
        let (r, field) = named_field(r, &format!("the field of '{step_ref}'"))?;
        fields.push((step_ref.to_string(), field));
        rest = list_next(r, &format!("the fields of '{name}'"))?;
    }
}

/// `within DURATION`, or for `first`, `after DURATION`. The other flags say
/// what else could have stood here, for the message.
fn window(input: &str, first: bool, grouped: bool, sequence: bool) -> PResult<'_, Duration> {
    let (word, what) = if first {
        ("after", "'after' and a learning period such as 7d")
    } else {
        ("within", "'within' and a window such as 10m")
    };
    let at = skip(input);
    let Ok((rest, _)) = keyword(word)(at) else {
        let expected = match (grouped, sequence) {
            (true, _) => what.to_string(),
            (false, false) => format!("'by' and group keys, or {what}"),
            (false, true) => format!("'then' and a step, 'by' and group keys, or {what}"),
        };
        let hint = if first && keyword("within")(at).is_ok() {
            " (a 'first' correlation learns for a period: 'after 7d')"
        } else if !first && keyword("after")(at).is_ok() {
            " ('after' gives the learning period of 'first'; other measures take 'within')"
        } else {
            ""
        };
        return Err(failure(
            at,
            format!("expected {expected}, found {}{hint}", found(at)),
        ));
    };
    let what = if first {
        "a learning period such as 7d"
    } else {
        "a window such as 10m"
    };
    duration(rest, what)
}

/// `INTEGER UNIT`, no blank between: `500ms`, `90s`, `10m`, `1h`, `7d`.
fn duration<'a>(input: &'a str, what: &str) -> PResult<'a, Duration> {
    let at = skip(input);
    let Ok((rest, digits)) = digit1::<_, PError>(at) else {
        return Err(failure(at, format!("expected {what}, found {}", found(at))));
    };
    if rest.starts_with('.') {
        return Err(failure(
            at,
            format!("malformed duration {} (durations are whole numbers and a unit: 500ms, 90s, 10m, 1h, 7d)", found(at)),
        ));
    }
    let Ok((after, unit)) = word(rest) else {
        return Err(failure(
            at,
            format!("missing unit after '{digits}' ({UNITS}, written without a space: {digits}m)"),
        ));
    };
    let ms_per: u128 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(failure(rest, format!("unknown unit '{unit}' ({UNITS})"))),
    };
    let ms = digits
        .parse::<u128>()
        .ok()
        .and_then(|n| n.checked_mul(ms_per));
    let d = ms.and_then(|ms| {
        let secs = u64::try_from(ms / 1_000).ok()?;
        let nanos = u32::try_from(ms % 1_000).ok()? * 1_000_000;
        Some(Duration::new(secs, nanos))
    });
    match d {
        Some(d) => Ok((after, d)),
        None => Err(failure(
            at,
            format!("duration '{digits}{unit}' is out of range"),
        )),
    }
}

/// `outside business hours` or `during business hours`, if there.
fn hours(input: &str) -> PResult<'_, Option<Hours>> {
    let Ok((rest, w)) = alt((keyword("outside"), keyword("during"))).parse(input) else {
        return Ok((input, None));
    };
    let which = if w.eq_ignore_ascii_case("outside") {
        Hours::Outside
    } else {
        Hours::During
    };
    let w = w.to_ascii_lowercase();
    let (rest, _) = expect(keyword("business"), format!("'business hours' after '{w}'"))(rest)?;
    let (rest, _) = expect(keyword("hours"), "'hours' after 'business'")(rest)?;
    Ok((rest, Some(which)))
}

/// The end of the expression: the next key, `}` or the end of the file.
fn end(input: &str, hours: bool) -> PResult<'_, ()> {
    let at = skip(input);
    let next_key = word(at).is_ok_and(|(r, _)| skip(r).starts_with(':'));
    if at.is_empty() || at.starts_with('}') || next_key {
        return Ok((input, ()));
    }
    if let Some(next) = starts_block(at) {
        return Err(failure(
            at,
            format!("expected '}}' to end the correlation, found '{next}'"),
        ));
    }
    let expected = if hours {
        "the next key or '}' after the correlation"
    } else {
        "'outside business hours', 'during business hours', the next key or '}' after the window"
    };
    let hint = if keyword("by")(at).is_ok() {
        " (the group, 'by ...', comes before the window)"
    } else {
        ""
    };
    Err(failure(
        at,
        format!("expected {expected}, found {}{hint}", found(at)),
    ))
}
