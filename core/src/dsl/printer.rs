//! Asts back to rule source, in one canonical layout. `parse(print(ast))`
//! gives the same ast back (a property test in `core/tests/dsl.rs`).

use std::fmt::Write;
use std::time::Duration;

use super::lexer::is_bare_tag;
use crate::ast::{
    Correlation, EventKind, Expr, GroupKey, Hours, Measure, Op, Operand, Predicate, Quantifier,
    Rule, Source, Step, Threshold, ThresholdOp, Value,
};

pub(super) fn rule(r: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "rule {} {{", r.id);
    let _ = writeln!(s, "    title: {}", string(&r.title));
    let _ = writeln!(s, "    level: {}", r.level);
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|t| tag(t)).collect();
        let _ = writeln!(s, "    tags: {}", tags.join(", "));
    }
    if !r.references.is_empty() {
        let refs: Vec<String> = r.references.iter().map(|t| string(t)).collect();
        let _ = writeln!(s, "    references: {}", refs.join(", "));
    }
    if let Some(d) = &r.description {
        let _ = writeln!(s, "    description: {}", string(d));
    }
    let _ = writeln!(s, "    on: {}", r.on);
    let mut when = String::new();
    expr(&r.when, &mut when);
    let _ = writeln!(s, "    when: {when}");
    s.push_str("}\n");
    s
}

pub(super) fn correlation(c: &Correlation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "correlation {} {{", c.id);
    let _ = writeln!(s, "    title: {}", string(&c.title));
    let _ = writeln!(s, "    level: {}", c.level);
    if !c.tags.is_empty() {
        let tags: Vec<String> = c.tags.iter().map(|t| tag(t)).collect();
        let _ = writeln!(s, "    tags: {}", tags.join(", "));
    }
    if !c.references.is_empty() {
        let refs: Vec<String> = c.references.iter().map(|t| string(t)).collect();
        let _ = writeln!(s, "    references: {}", refs.join(", "));
    }
    if let Some(d) = &c.description {
        let _ = writeln!(s, "    description: {}", string(d));
    }
    if !c.generate {
        s.push_str("    generate: false\n");
    }
    let _ = writeln!(s, "    correlate: {}", correlate(c));
    s.push_str("}\n");
    s
}

/// The `correlate:` expression, on one line.
fn correlate(c: &Correlation) -> String {
    let mut out = String::new();
    let of = |out: &mut String| {
        out.push_str(" of ");
        match c.steps.as_slice() {
            [one] => step(one, out),
            steps => steps_list("any ", steps, out),
        }
    };
    match &c.measure {
        Measure::Count(th) => {
            let _ = write!(out, "count {}", threshold(th));
            of(&mut out);
        }
        Measure::Distinct(o, th) => {
            let _ = write!(out, "count distinct {} {}", operand(o), threshold(th));
            of(&mut out);
        }
        Measure::Sum(f, th) | Measure::Avg(f, th) | Measure::Median(f, th) => {
            let word = match &c.measure {
                Measure::Sum(..) => "sum",
                Measure::Avg(..) => "avg",
                _ => "median",
            };
            let _ = write!(out, "{word} {f} {}", threshold(th));
            of(&mut out);
        }
        Measure::Percentile(rank, f, th) => {
            let _ = write!(out, "percentile {} {f} {}", number(*rank), threshold(th));
            of(&mut out);
        }
        Measure::Sequence => {
            out.push_str("sequence ");
            for (i, s) in c.steps.iter().enumerate() {
                if i > 0 {
                    out.push_str(" then ");
                }
                step(s, &mut out);
            }
        }
        Measure::Temporal(th) => {
            // `all of` needs two steps; one is written `steps >= 1 of (x)`.
            let n = c.steps.len();
            if n >= 2 && th.0 == [(ThresholdOp::Ge, n as f64)] {
                out.push_str("all of ");
            } else {
                let _ = write!(out, "steps {} of ", threshold(th));
            }
            steps_list("", &c.steps, &mut out);
        }
        Measure::FirstSeen(o) => {
            let _ = write!(out, "first {}", operand(o));
            of(&mut out);
        }
    }
    if !c.group_by.is_empty() {
        let keys: Vec<String> = c.group_by.iter().map(group_key).collect();
        let _ = write!(out, " by {}", keys.join(", "));
    }
    let word = match c.measure {
        Measure::FirstSeen(_) => "after",
        _ => "within",
    };
    let _ = write!(out, " {word} {}", duration(c.window));
    match c.hours {
        Some(Hours::Outside) => out.push_str(" outside business hours"),
        Some(Hours::During) => out.push_str(" during business hours"),
        None => {}
    }
    out
}

fn threshold(th: &Threshold) -> String {
    let parts: Vec<String> = th
        .0
        .iter()
        .map(|(op, n)| format!("{} {}", op.as_str(), number(*n)))
        .collect();
    parts.join(" and ")
}

fn operand(o: &Operand) -> String {
    match o {
        Operand::Field(f) => f.to_string(),
        Operand::Zone(f) => format!("zone({f})"),
    }
}

/// `(a, b)` after `before`.
fn steps_list(before: &str, steps: &[Step], out: &mut String) {
    out.push_str(before);
    out.push('(');
    for (i, s) in steps.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        step(s, out);
    }
    out.push(')');
}

fn step(s: &Step, out: &mut String) {
    if let Some(label) = &s.label {
        let _ = write!(out, "{label}: ");
    }
    match &s.source {
        Source::Rule(id) => out.push_str(id),
        Source::Inline { on, when } => {
            if *on != EventKind::Any {
                out.push_str(on.as_str());
            }
            out.push('(');
            expr(when, out);
            out.push(')');
        }
    }
}

fn group_key(k: &GroupKey) -> String {
    if k.fields.is_empty() {
        return k.name.clone();
    }
    let fields: Vec<String> = k.fields.iter().map(|(r, f)| format!("{r}: {f}")).collect();
    format!("{} = ({})", k.name, fields.join(", "))
}

/// In the largest unit that divides it: `7d`, `1h`, `90s`, `500ms`; zero is
/// `0s`. The language writes whole milliseconds: a finer part is rounded up.
fn duration(d: Duration) -> String {
    let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 != 0);
    if ms == 0 {
        return "0s".into();
    }
    for (unit, per) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms % per == 0 {
            return format!("{}{unit}", ms / per);
        }
    }
    format!("{ms}ms")
}

/// Bare when it has the shape of one, else a string.
fn tag(t: &str) -> String {
    if is_bare_tag(t) {
        t.to_string()
    } else {
        string(t)
    }
}

/// `'...'` when the text has no control characters, else `"..."` with escapes.
pub(super) fn string(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn expr(e: &Expr, out: &mut String) {
    match e {
        // `and` binds tighter than `or`, so only a nested `and` (kept as
        // written, not flattened) and an `or` need parentheses here.
        Expr::And(xs) => join(xs, " and ", out, |x| {
            matches!(x, Expr::And(_) | Expr::Or(_))
        }),
        Expr::Or(xs) => join(xs, " or ", out, |x| matches!(x, Expr::Or(_))),
        Expr::Not(x) => {
            out.push_str("not ");
            group(x, matches!(**x, Expr::And(_) | Expr::Or(_)), out);
        }
        Expr::Pred(p) => predicate(p, out),
    }
}

fn join(xs: &[Expr], sep: &str, out: &mut String, parens: impl Fn(&Expr) -> bool) {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        group(x, parens(x), out);
    }
}

fn group(x: &Expr, parens: bool, out: &mut String) {
    if parens {
        out.push('(');
        expr(x, out);
        out.push(')');
    } else {
        expr(x, out);
    }
}

fn value(v: &Value) -> String {
    match v {
        Value::Str(s) => string(s),
        Value::Num(n) => number(*n),
    }
}

/// A finite number in the form the grammar reads, `-?[0-9]+(\.[0-9]+)?`,
/// that parses back to the same f64. Rust's `{}` gives the shortest such
/// digits and never an exponent; the fallback only guards that.
pub(super) fn number(n: f64) -> String {
    let s = format!("{n}");
    if s.contains(['e', 'E']) {
        return format!("{n:.1100}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string();
    }
    s
}

fn list(items: impl Iterator<Item = String>) -> String {
    format!("({})", items.collect::<Vec<_>>().join(", "))
}

fn predicate(p: &Predicate, out: &mut String) {
    let _ = write!(out, "{} ", p.field);
    let cased = if p.cased { "cased " } else { "" };
    let patterns = |ps: &[String]| list(ps.iter().map(|s| string(s)));
    let one_or_any = |word: &str, ps: &[String]| match ps {
        [one] => format!("{word} {cased}{}", string(one)),
        _ => format!("{word} any {cased}{}", patterns(ps)),
    };
    let text = match &p.op {
        Op::Eq(v) => format!("== {cased}{}", value(v)),
        Op::Ne(v) => format!("!= {cased}{}", value(v)),
        Op::Contains(Quantifier::All, ps) => format!("contains all {cased}{}", patterns(ps)),
        Op::Contains(Quantifier::Any, ps) => one_or_any("contains", ps),
        Op::StartsWith(ps) => one_or_any("startswith", ps),
        Op::EndsWith(ps) => one_or_any("endswith", ps),
        Op::Like(g) => format!("like {cased}{}", string(g)),
        Op::Matches(r) => format!("matches {cased}{}", string(r)),
        Op::In(vs) => format!("in {cased}{}", list(vs.iter().map(value))),
        Op::Exists => "exists".to_string(),
        Op::Cmp(op, n) => format!("{} {}", op.as_str(), number(*n)),
        Op::Cidr(ps) => one_or_any("cidr", ps),
        Op::SameAs(f) => format!("sameas {cased}{f}"),
    };
    out.push_str(&text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_no_exponent() {
        for n in [
            0.0,
            -0.0,
            3.0,
            -1.5,
            1e300,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ] {
            let s = number(n);
            assert!(!s.contains('e'), "{s}");
            assert_eq!(s.parse::<f64>().ok(), Some(n), "{s}");
        }
    }

    #[test]
    fn durations_in_the_largest_unit() {
        let ms = Duration::from_millis;
        assert_eq!(duration(ms(0)), "0s");
        assert_eq!(duration(ms(500)), "500ms");
        assert_eq!(duration(ms(90_000)), "90s");
        assert_eq!(duration(ms(600_000)), "10m");
        assert_eq!(duration(ms(3_600_000)), "1h");
        assert_eq!(duration(ms(7 * 86_400_000)), "7d");
        assert_eq!(duration(ms(86_400_001)), "86400001ms");
        // Finer than the language: rounded up.
        assert_eq!(duration(Duration::from_nanos(1)), "1ms");
        assert_eq!(duration(Duration::new(1, 1)), "1001ms");
        assert_eq!(duration(Duration::MAX), "18446744073709551616s");
    }

    #[test]
    fn strings_pick_their_quotes() {
        assert_eq!(string(r"C:\it's"), r"'C:\it''s'");
        assert_eq!(string("a\n\"\\\u{7}"), r#""a\n\"\\\u{7}""#);
    }
}
