//! Events built from a Sigma rule's own selections: fields whose values
//! satisfy a selection, or the same fields altered so that it does not match.
//! Nothing here decides a verdict; the differential test only asks the engine
//! and the naive evaluator to agree on these events.

use yaml_rust2::Yaml;

use super::naive_sigma::{self as naive, scalar, split_key, utf_bytes, windash, B64, DASHES};
use base64::Engine as _;

/// Field name and value; `None` means the field must be absent.
pub type Wanted = Vec<(String, Option<String>)>;

/// What one field must look like, gathered over a selection's keys.
#[derive(Default)]
struct Need {
    absent: bool,
    exact: Option<String>,
    start: Option<String>,
    mid: Vec<String>,
    end: Option<String>,
}

impl Need {
    fn value(self) -> Option<String> {
        if self.absent {
            return None;
        }
        if let Some(e) = self.exact {
            return Some(e);
        }
        let mut s = self.start.unwrap_or_else(|| "C:\\a ".to_string());
        for m in &self.mid {
            s.push_str(m);
            s.push(' ');
        }
        s.push_str(self.end.as_deref().unwrap_or("b"));
        Some(s)
    }
}

/// How many variants of a selection are worth building: the longest list
/// (values or maps), at least 2 (so that `null` also gets an empty value),
/// at most `cap`.
pub fn variants(y: &Yaml, cap: usize) -> usize {
    fn longest(y: &Yaml) -> usize {
        match y {
            Yaml::Array(a) => a.len().max(a.iter().map(longest).max().unwrap_or(0)),
            Yaml::Hash(m) => m.iter().map(|(_, v)| longest(v)).max().unwrap_or(0),
            _ => 1,
        }
    }
    longest(y).clamp(2, cap)
}

/// Fields satisfying selection `y`, variant `v` (which element of each list,
/// which dash, which base64 offset...); `None` when none can be made.
pub fn satisfy(y: &Yaml, v: usize) -> Option<Wanted> {
    match y {
        Yaml::Hash(m) => {
            let mut needs: Vec<(String, Need)> = Vec::new();
            let mut refs: Vec<(String, String)> = Vec::new();
            for (k, val) in m {
                let (name, mut mods) = split_key(k.as_str()?);
                // A keyword goes in a field of its own, found by searching all values.
                let name = if name.is_empty() {
                    if !mods.iter().any(|m| matches!(m.as_str(), "contains" | "startswith" | "endswith" | "re")) {
                        mods.push("contains".into());
                    }
                    "Message"
                } else {
                    name
                };
                if mods.iter().any(|m| m == "fieldref") {
                    // Both fields get one value (the other's, when it has one).
                    let other = scalar(val)?;
                    refs.push((name.to_string(), other));
                    continue;
                }
                let i = match needs.iter().position(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    Some(i) => i,
                    None => {
                        needs.push((name.to_string(), Need::default()));
                        needs.len() - 1
                    }
                };
                field(&mut needs[i].1, &mods, val, v)?;
            }
            let mut out: Wanted = needs.into_iter().map(|(n, need)| (n, need.value())).collect();
            for (name, other) in refs {
                let shared = out
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&other))
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_else(|| format!("C:\\same\\value {v}.exe"));
                for n in [name, other] {
                    match out.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&n)) {
                        Some(slot) => slot.1 = Some(shared.clone()),
                        None => out.push((n, Some(shared.clone()))),
                    }
                }
            }
            Some(out)
        }
        Yaml::Array(items) if items.iter().all(|i| matches!(i, Yaml::Hash(_))) && !items.is_empty() => {
            satisfy(&items[v % items.len()], v / items.len())
        }
        // Keywords: one of them, inside a field of its own.
        Yaml::Array(items) if !items.is_empty() => keyword(&items[v % items.len()], v / items.len()),
        Yaml::String(_) | Yaml::Integer(_) => keyword(y, v),
        _ => None,
    }
}

fn keyword(value: &Yaml, v: usize) -> Option<Wanted> {
    let mut need = Need::default();
    field(&mut need, &["contains".to_string()], value, v)?;
    Some(vec![("Message".to_string(), need.value())])
}

/// Fields of selection `y` altered so that it should not match: every field
/// when `v` is even, else only field `v / 2` (the others still satisfied).
pub fn violate(y: &Yaml, v: usize) -> Option<Wanted> {
    let mut w = satisfy(y, v / 2)?;
    let n = w.len();
    for (i, (_, value)) in w.iter_mut().enumerate() {
        if v % 2 == 0 || i == (v / 2) % n {
            *value = match value {
                None => Some("altered".into()),
                Some(s) if s.is_empty() => Some("altered".into()),
                Some(_) => Some("Z:\\landwatch\\altered value".into()),
            };
        }
    }
    Some(w)
}

fn field(need: &mut Need, mods: &[String], val: &Yaml, v: usize) -> Option<()> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    if has("exists") {
        let want = matches!(val, Yaml::Boolean(true)) || scalar(val).as_deref() == Some("true");
        need.absent |= !want;
        return Some(());
    }
    for (m, delta) in [("lt", -1.0), ("lte", 0.0), ("gt", 1.0), ("gte", 0.0)] {
        if has(m) {
            let n = naive::number(&scalar(val)?)? + delta;
            need.exact = Some(if n.fract() == 0.0 {
                format!("{}", n as i64)
            } else {
                n.to_string()
            });
            return Some(());
        }
    }
    if has("fieldref") {
        return None;
    }
    let values: Vec<&Yaml> = match val {
        Yaml::Array(a) if a.is_empty() => return None,
        Yaml::Array(a) if has("all") => a.iter().collect(),
        Yaml::Array(a) => vec![&a[v % a.len()]],
        other => vec![other],
    };
    for value in values {
        one_value(need, mods, value, v)?;
    }
    Some(())
}

fn one_value(need: &mut Need, mods: &[String], value: &Yaml, v: usize) -> Option<()> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    if matches!(value, Yaml::Null) {
        // Absent, or (odd variants) present and empty.
        if v % 2 == 0 {
            need.absent = true;
        } else {
            need.exact = Some(String::new());
        }
        return Some(());
    }
    let text = scalar(value)?;
    if has("cidr") {
        need.exact = Some(text.split('/').next()?.to_string());
        return Some(());
    }
    if has("re") {
        let s = regex_example(&text, mods)?;
        if need.exact.is_none() && need.mid.is_empty() {
            need.exact = Some(s);
        } else {
            need.mid.push(s);
        }
        return Some(());
    }
    let text = if has("windash") {
        windash(&text, DASHES[v % DASHES.len()])
    } else {
        text
    };
    if has("base64") || has("base64offset") {
        let mut bytes = Vec::new();
        if has("base64offset") {
            bytes = utf_bytes(&"ab"[..v % 3], mods);
            if has("utf16") {
                bytes.truncate(v % 3); // no BOM inside the text
            }
        }
        bytes.extend(utf_bytes(&text, mods));
        let enc = B64.encode(&bytes);
        if has("base64offset") {
            // The encoding of a longer text, of which `text` is a part.
            bytes.extend_from_slice(b" tail");
            need.mid.push(B64.encode(&bytes));
        } else {
            place(need, mods, enc);
        }
        return Some(());
    }
    // Wildcards filled in, escapes removed.
    let mut s = String::new();
    for t in naive::tokens(&text) {
        match t {
            naive::Tok::Lit(c) => s.push(c),
            naive::Tok::Star => s.push_str(if v % 2 == 0 { "x" } else { "" }),
            naive::Tok::One => s.push('q'),
        }
    }
    place(need, mods, s);
    Some(())
}

fn place(need: &mut Need, mods: &[String], s: String) {
    let has = |m: &str| mods.iter().any(|x| x == m);
    if has("contains") {
        need.mid.push(s);
    } else if has("startswith") {
        need.start = Some(s);
    } else if has("endswith") {
        need.end = Some(s);
    } else {
        need.exact = Some(s);
    }
}

/// A string the regex finds, built from its literal parts (first
/// alternatives, fewest repetitions) and checked; `None` if that fails.
pub fn regex_example(re: &str, mods: &[String]) -> Option<String> {
    let cs: Vec<char> = re.chars().collect();
    let mut pos = 0;
    let s = alternation(&cs, &mut pos)?;
    if pos != cs.len() {
        return None;
    }
    naive::regex_match(re, mods, &s).ok()?.then_some(s)
}

fn alternation(cs: &[char], pos: &mut usize) -> Option<String> {
    let first = sequence(cs, pos)?;
    while cs.get(*pos) == Some(&'|') {
        *pos += 1;
        sequence(cs, pos)?;
    }
    Some(first)
}

fn sequence(cs: &[char], pos: &mut usize) -> Option<String> {
    let mut out = String::new();
    while let Some(&c) = cs.get(*pos) {
        if c == '|' || c == ')' {
            break;
        }
        let atom = atom(cs, pos)?;
        let reps = quantifier(cs, pos)?;
        for _ in 0..reps {
            out.push_str(&atom);
        }
    }
    Some(out)
}

fn atom(cs: &[char], pos: &mut usize) -> Option<String> {
    let c = cs[*pos];
    *pos += 1;
    Some(match c {
        '(' => {
            if cs.get(*pos) == Some(&'?') {
                // (?:...), (?i:...), (?P<n>...), (?<n>...) and bare (?i).
                while *pos < cs.len() && !matches!(cs[*pos], ':' | ')' | '>') {
                    *pos += 1;
                }
                if cs.get(*pos) == Some(&')') {
                    *pos += 1;
                    return Some(String::new());
                }
                *pos += 1;
            }
            let s = alternation(cs, pos)?;
            if cs.get(*pos) != Some(&')') {
                return None;
            }
            *pos += 1;
            s
        }
        '[' => class(cs, pos)?.to_string(),
        '\\' => escape(cs, pos)?,
        '.' => "a".into(),
        '^' | '$' => String::new(),
        c => c.to_string(),
    })
}

fn escape(cs: &[char], pos: &mut usize) -> Option<String> {
    let e = *cs.get(*pos)?;
    *pos += 1;
    Some(match e {
        'd' => "1".into(),
        'w' | 'D' | 'S' => "a".into(),
        's' | 'W' => " ".into(),
        'b' | 'B' | 'A' | 'z' => String::new(),
        'n' => "\n".into(),
        't' => "\t".into(),
        'r' => "\r".into(),
        'x' | 'u' | 'p' | 'P' => return None,
        e => e.to_string(),
    })
}

/// A character of a `[...]` class (the first of a positive class; for a
/// negated class, a common character not listed).
fn class(cs: &[char], pos: &mut usize) -> Option<char> {
    let negated = cs.get(*pos) == Some(&'^');
    if negated {
        *pos += 1;
    }
    let mut members: Vec<(char, char)> = Vec::new();
    let mut first = true;
    loop {
        let c = *cs.get(*pos)?;
        *pos += 1;
        if c == ']' && !first {
            break;
        }
        first = false;
        let lo = if c == '\\' {
            let e = *cs.get(*pos)?;
            *pos += 1;
            match e {
                'd' => '1',
                's' => ' ',
                'w' => 'a',
                'n' => '\n',
                't' => '\t',
                e if e.is_ascii_alphanumeric() => return None,
                e => e,
            }
        } else if c == '[' {
            return None;
        } else {
            c
        };
        let mut hi = lo;
        if cs.get(*pos) == Some(&'-') && cs.get(*pos + 1).is_some_and(|&n| n != ']') {
            hi = cs[*pos + 1];
            *pos += 2;
        }
        members.push((lo, hi));
    }
    if negated {
        "aZ1 x_"
            .chars()
            .find(|c| !members.iter().any(|&(l, h)| (l..=h).contains(c)))
    } else {
        members.first().map(|m| m.0)
    }
}

/// Repetitions to write for a quantifier (its minimum; 1 without one).
fn quantifier(cs: &[char], pos: &mut usize) -> Option<usize> {
    let n = match cs.get(*pos) {
        Some('*') | Some('?') => {
            *pos += 1;
            0
        }
        Some('+') => {
            *pos += 1;
            1
        }
        Some('{') => {
            let close = (*pos..cs.len()).find(|&i| cs[i] == '}')?;
            let inner: String = cs[*pos + 1..close].iter().collect();
            *pos = close + 1;
            inner.split(',').next()?.trim().parse().ok()?
        }
        _ => return Some(1),
    };
    if matches!(cs.get(*pos), Some('?') | Some('+')) {
        *pos += 1;
    }
    Some(n)
}
