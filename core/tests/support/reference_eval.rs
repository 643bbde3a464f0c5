//! A naive evaluator of the rule language: it walks a rule's ast for every
//! event, with no automaton, no atoms and no anchored checks, so that the
//! compiled matcher can be judged against it. Slow and simple on purpose.
//! Shared by core/tests/reference.rs (property tests) and the fuzz target
//! fuzz/fuzz_targets/scan_reference.rs, which includes this file by path.
//!
//! Events are flat: (field name, value) pairs, as `Event::from_fields`
//! takes them.
#![allow(dead_code)]

use landwatch::ast::{EventKind, Expr, Field, FieldForm, Op, Predicate, Quantifier, Rule, Value};
use landwatch::{normalize, schema};

/// The value a predicate on `field` reads, as the spec defines it.
pub fn field_value(event: &[(String, String)], field: &Field) -> Option<String> {
    if field.name == schema::ANY_FIELD {
        let all: Vec<&str> = event.iter().map(|(_, v)| v.as_str()).collect();
        return Some(all.join("\n"));
    }
    let v = event
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&field.name))
        .map(|(_, v)| v.clone())?;
    let cmd = schema::is_command_line(&field.name);
    match (field.form, cmd) {
        (FieldForm::Default, true) => Some(normalize::command_line(&v).normal),
        (FieldForm::Decoded, true) => normalize::command_line(&v).decoded,
        (FieldForm::Decoded, false) => None,
        _ => Some(v),
    }
}

pub fn number(s: &str) -> Option<f64> {
    let t = s.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok().map(|v| v as f64),
        None => t.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

pub fn glob(pattern: &[char], text: &[char]) -> bool {
    // Classic dynamic programming over (pattern, text) prefixes.
    let mut dp = vec![vec![false; text.len() + 1]; pattern.len() + 1];
    dp[0][0] = true;
    for i in 1..=pattern.len() {
        dp[i][0] = dp[i - 1][0] && pattern[i - 1] == '*';
        for j in 1..=text.len() {
            dp[i][j] = match pattern[i - 1] {
                '*' => dp[i - 1][j] || dp[i][j - 1],
                '?' => dp[i - 1][j - 1],
                c => dp[i - 1][j - 1] && c == text[j - 1],
            };
        }
    }
    dp[pattern.len()][text.len()]
}

pub fn reference(rule: &Rule, event: &[(String, String)], kind: Option<EventKind>) -> bool {
    if rule.on != EventKind::Any && Some(rule.on) != kind {
        return false;
    }
    eval(&rule.when, event)
}

pub fn eval(e: &Expr, event: &[(String, String)]) -> bool {
    match e {
        Expr::And(xs) => xs.iter().all(|x| eval(x, event)),
        Expr::Or(xs) => xs.iter().any(|x| eval(x, event)),
        Expr::Not(x) => !eval(x, event),
        Expr::Pred(p) => pred(p, event),
    }
}

pub fn pred(p: &Predicate, event: &[(String, String)]) -> bool {
    let Some(value) = field_value(event, &p.field) else {
        return false;
    };
    let normal = p.field.form == FieldForm::Default && schema::is_command_line(&p.field.name);
    let cased = p.cased && !normal;
    let fold = |s: &str| if cased { s.to_string() } else { s.to_ascii_lowercase() };
    let pat = |s: &str| fold(&if normal { normalize::pattern(s) } else { s.to_string() });
    let v = fold(&value);
    let eq_str = |s: &str| v == pat(s);
    let eq_val = |x: &Value| match x {
        Value::Str(s) => eq_str(s),
        Value::Num(n) => number(&value) == Some(*n),
    };
    match &p.op {
        Op::Eq(x) => eq_val(x),
        Op::Ne(x) => !eq_val(x),
        Op::In(xs) => xs.iter().any(eq_val),
        Op::Contains(Quantifier::Any, ps) => ps.iter().any(|s| v.contains(&pat(s))),
        Op::Contains(Quantifier::All, ps) => ps.iter().all(|s| v.contains(&pat(s))),
        Op::StartsWith(ps) => ps.iter().any(|s| v.starts_with(&pat(s))),
        Op::EndsWith(ps) => ps.iter().any(|s| v.ends_with(&pat(s))),
        Op::Like(g) => {
            let g: Vec<char> = pat(g).chars().collect();
            let t: Vec<char> = v.chars().collect();
            glob(&g, &t)
        }
        Op::Matches(re) => {
            let re = if cased || normal {
                re.clone()
            } else {
                format!("(?i:{re})")
            };
            regex::Regex::new(&re).unwrap().is_match(&value)
        }
        Op::Exists => true,
        Op::Cmp(op, n) => number(&value).is_some_and(|x| op.holds(x, *n)),
        Op::Cidr(nets) => nets.iter().any(|n| in_network(n, &value)),
        Op::SameAs(other) => {
            // `cased` means nothing beside a case-folded normal form.
            let other_normal = other.form == FieldForm::Default && schema::is_command_line(&other.name);
            field_value(event, other).is_some_and(|o| {
                if cased && !other_normal {
                    o == value
                } else {
                    o.eq_ignore_ascii_case(&value)
                }
            })
        }
    }
}

/// `cidr` by the definition: the address's first `prefix` bits, compared as
/// a string of bits (IPv4 inside `::ffff:` counts as IPv4).
pub fn in_network(net: &str, value: &str) -> bool {
    fn bits(addr: &str) -> Option<String> {
        let addr = addr.trim().trim_start_matches('[').trim_end_matches(']');
        let addr = addr.split('%').next()?;
        match addr.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => Some(a.octets().iter().map(|o| format!("{o:08b}")).collect()),
            std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => Some(v4.octets().iter().map(|o| format!("{o:08b}")).collect()),
                None => Some(a.octets().iter().map(|o| format!("{o:08b}")).collect()),
            },
        }
    }
    let (addr, prefix) = net.split_once('/').unwrap_or((net, ""));
    let (Some(n), Some(v)) = (bits(addr), bits(value)) else { return false };
    let prefix = prefix.parse().unwrap_or(n.len());
    n.len() == v.len() && n[..prefix] == v[..prefix]
}

/// The event kind the scanner gives a flat event: by `EventID`, else
/// process when it has an image or a command line.
pub fn kind_of(event: &[(String, String)]) -> Option<EventKind> {
    let get = |k: &str| event.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    match get("EventID") {
        Some("1") => Some(EventKind::Process),
        Some("4624") => Some(EventKind::Logon),
        Some(_) => None,
        None if get("Image").is_some() || get("CommandLine").is_some() => Some(EventKind::Process),
        None => None,
    }
}
