//! Asts back to rule source, in one canonical layout. `parse(print(ast))`
//! gives the same ast back (a property test in `core/tests/dsl.rs`).

use std::fmt::Write;

use super::lexer::is_bare_tag;
use crate::ast::{Expr, Op, Predicate, Quantifier, Rule, Value};

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
    fn strings_pick_their_quotes() {
        assert_eq!(string(r"C:\it's"), r"'C:\it''s'");
        assert_eq!(string("a\n\"\\\u{7}"), r#""a\n\"\\\u{7}""#);
    }
}
