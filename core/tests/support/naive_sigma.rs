//! A naive Sigma evaluator for the differential test: it walks a rule's
//! `detection` YAML directly for every event, with no compilation, no atoms and
//! no use of `landwatch::sigma`. Slow and simple on purpose.
//!
//! Where Sigma leaves a choice open, or the engine documents its own semantics,
//! the evaluator follows the engine and says so in a comment.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use base64::Engine as _;
use regex::Regex;
use yaml_rust2::Yaml;

/// A flat event: field name, value. Names are unique ignoring ASCII case.
pub type Fields = Vec<(String, String)>;

/// The value of `name`. Engine semantics: field names match ignoring case.
pub fn get<'a>(ev: &'a Fields, name: &str) -> Option<&'a str> {
    ev.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// One Sigma rule as the naive evaluator sees it.
#[derive(Debug, Clone)]
pub struct NaiveRule {
    /// The YAML `id` (the engine's rule id is `sigma.<id>`).
    pub id: String,
    /// Selections in YAML order.
    pub selections: Vec<(String, Yaml)>,
    pub condition: Cond,
}

/// A parsed condition; `Of` is kept unexpanded (`1 of sel*`, `all of them`).
#[derive(Debug, Clone)]
pub enum Cond {
    Sel(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Of { all: bool, target: String },
}

/// Every rule document of a YAML file (documents with `action:` skipped);
/// a document the naive side cannot read gives an `Err` with the reason.
pub fn rules_of(text: &str) -> Vec<Result<NaiveRule, String>> {
    let docs = match yaml_rust2::YamlLoader::load_from_str(text) {
        Ok(d) => d,
        Err(e) => return vec![Err(format!("YAML: {e}"))],
    };
    docs.iter()
        .filter(|d| !d.is_null() && d["action"].as_str().is_none())
        .map(rule_of)
        .collect()
}

fn rule_of(doc: &Yaml) -> Result<NaiveRule, String> {
    let id = doc["id"].as_str().ok_or("no id")?.to_string();
    let det = doc["detection"].as_hash().ok_or("no detection")?;
    let mut selections = Vec::new();
    let mut condition = None;
    for (k, v) in det {
        match k.as_str() {
            Some("condition") => condition = Some(v.as_str().ok_or("condition is not one string")?),
            Some("timeframe") => return Err("timeframe".into()),
            Some(name) => selections.push((name.to_string(), v.clone())),
            None => return Err("a selection name that is not a string".into()),
        }
    }
    let condition = parse_condition(condition.ok_or("no condition")?)?;
    Ok(NaiveRule {
        id,
        selections,
        condition,
    })
}

/// `not` > `and` > `or`, parentheses, `1|any|all of NAME|PREFIX*|them`.
pub fn parse_condition(s: &str) -> Result<Cond, String> {
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let toks: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let c = cond_or(&toks, &mut pos)?;
    if pos != toks.len() {
        return Err(format!("trailing '{}' in condition", toks[pos]));
    }
    Ok(c)
}

fn is(toks: &[&str], pos: usize, w: &str) -> bool {
    toks.get(pos).is_some_and(|t| t.eq_ignore_ascii_case(w))
}

fn cond_or(t: &[&str], pos: &mut usize) -> Result<Cond, String> {
    let mut xs = vec![cond_and(t, pos)?];
    while is(t, *pos, "or") {
        *pos += 1;
        xs.push(cond_and(t, pos)?);
    }
    Ok(if xs.len() == 1 {
        xs.remove(0)
    } else {
        Cond::Or(xs)
    })
}

fn cond_and(t: &[&str], pos: &mut usize) -> Result<Cond, String> {
    let mut xs = vec![cond_not(t, pos)?];
    while is(t, *pos, "and") {
        *pos += 1;
        xs.push(cond_not(t, pos)?);
    }
    Ok(if xs.len() == 1 {
        xs.remove(0)
    } else {
        Cond::And(xs)
    })
}

fn cond_not(t: &[&str], pos: &mut usize) -> Result<Cond, String> {
    let tok = *t.get(*pos).ok_or("condition ends early")?;
    *pos += 1;
    if tok.eq_ignore_ascii_case("not") {
        return Ok(Cond::Not(Box::new(cond_not(t, pos)?)));
    }
    if tok == "(" {
        let c = cond_or(t, pos)?;
        if t.get(*pos) != Some(&")") {
            return Err("missing ')'".into());
        }
        *pos += 1;
        return Ok(c);
    }
    let quant = tok == "1" || tok.eq_ignore_ascii_case("any") || tok.eq_ignore_ascii_case("all");
    if quant && is(t, *pos, "of") {
        let target = t.get(*pos + 1).ok_or("'of' without a target")?.to_string();
        *pos += 2;
        return Ok(Cond::Of {
            all: tok.eq_ignore_ascii_case("all"),
            target,
        });
    }
    if tok == ")"
        || ["and", "or", "of"]
            .iter()
            .any(|w| tok.eq_ignore_ascii_case(w))
    {
        return Err(format!("unexpected '{tok}'"));
    }
    Ok(Cond::Sel(tok.to_string()))
}

impl NaiveRule {
    /// The selection names `1 of` / `all of` `target` stands for. `them`
    /// leaves out names starting with `_` (Sigma specification).
    pub fn expand(&self, target: &str) -> Vec<&str> {
        let pat: Vec<Tok> = if target.eq_ignore_ascii_case("them") {
            vec![Tok::Star]
        } else {
            target
                .chars()
                .map(|c| if c == '*' { Tok::Star } else { Tok::Lit(c) })
                .collect()
        };
        self.selections
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !(target.eq_ignore_ascii_case("them") && n.starts_with('_')))
            .filter(|n| glob(&pat, &n.chars().collect::<Vec<_>>(), Fold::None))
            .collect()
    }

    fn selection(&self, name: &str) -> Result<&Yaml, String> {
        self.selections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, y)| y)
            .ok_or_else(|| format!("condition names '{name}', which is not a selection"))
    }

    /// Does the rule match `ev`? `Err` for what the naive side cannot judge.
    pub fn eval(&self, ev: &Fields) -> Result<bool, String> {
        self.eval_cond(&self.condition, ev)
    }

    fn eval_cond(&self, c: &Cond, ev: &Fields) -> Result<bool, String> {
        Ok(match c {
            Cond::Sel(n) => eval_selection(self.selection(n)?, ev)?,
            Cond::Not(x) => !self.eval_cond(x, ev)?,
            Cond::And(xs) => {
                let mut r = true;
                for x in xs {
                    r &= self.eval_cond(x, ev)?;
                }
                r
            }
            Cond::Or(xs) => {
                let mut r = false;
                for x in xs {
                    r |= self.eval_cond(x, ev)?;
                }
                r
            }
            Cond::Of { all, target } => {
                let names = self.expand(target);
                if names.is_empty() {
                    return Err(format!("'{target}' matches no selection"));
                }
                let mut verdicts = Vec::new();
                for n in names {
                    verdicts.push(eval_selection(self.selection(n)?, ev)?);
                }
                if *all {
                    verdicts.iter().all(|&b| b)
                } else {
                    verdicts.iter().any(|&b| b)
                }
            }
        })
    }
}

/// A map is the AND of its fields; a list of maps is the OR of them.
pub fn eval_selection(y: &Yaml, ev: &Fields) -> Result<bool, String> {
    match y {
        Yaml::Hash(m) if !m.is_empty() => {
            let mut r = true;
            for (k, v) in m {
                r &= eval_field(k.as_str().ok_or("non-string key")?, v, ev)?;
            }
            Ok(r)
        }
        Yaml::Array(items)
            if !items.is_empty() && items.iter().all(|i| matches!(i, Yaml::Hash(_))) =>
        {
            let mut r = false;
            for i in items {
                r |= eval_selection(i, ev)?;
            }
            Ok(r)
        }
        Yaml::Array(items) if !items.is_empty() => eval_field("", y, ev),
        Yaml::String(_) | Yaml::Integer(_) => eval_field("", y, ev),
        _ => Err("an empty selection".into()),
    }
}

/// Keywords: each value is looked for (as `contains` unless another match
/// modifier is given) in every value of the event, one value at a time.
fn eval_keywords(mut mods: Vec<String>, v: &Yaml, ev: &Fields) -> Result<bool, String> {
    if !mods.iter().any(|m| matches!(m.as_str(), "contains" | "startswith" | "endswith" | "re")) {
        mods.push("contains".into());
    }
    let values: Vec<&Yaml> = match v {
        Yaml::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut verdicts = Vec::new();
    for value in values {
        let mut found = false;
        for (_, x) in ev {
            found |= match_value(value, &mods, Some(x), ev)?;
        }
        verdicts.push(found);
    }
    Ok(if mods.iter().any(|m| m == "all") {
        verdicts.iter().all(|&b| b)
    } else {
        verdicts.iter().any(|&b| b)
    })
}

/// Splits `Field|mod|mod` into the name and lowercase modifiers.
pub fn split_key(key: &str) -> (&str, Vec<String>) {
    let mut parts = key.split('|');
    let name = parts.next().unwrap_or("");
    (name, parts.map(str::to_ascii_lowercase).collect())
}

/// The text of a scalar, as Sigma reads it.
pub fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Engine semantics: numbers are read after trimming, `0x` prefixes as hex.
pub fn number(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok().map(|v| v as f64);
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn eval_field(key: &str, v: &Yaml, ev: &Fields) -> Result<bool, String> {
    let (name, mods) = split_key(key);
    if name.is_empty() {
        return eval_keywords(mods, v, ev);
    }
    let has = |m: &str| mods.iter().any(|x| x == m);
    let got = get(ev, name);
    if has("exists") {
        let want = matches!(v, Yaml::Boolean(true)) || scalar(v).as_deref() == Some("true");
        return Ok(got.is_some() == want);
    }
    for m in ["lt", "lte", "gt", "gte"] {
        if has(m) {
            let n = scalar(v)
                .and_then(|s| number(&s))
                .ok_or("a comparison needs a number")?;
            return Ok(got.and_then(number).is_some_and(|x| match m {
                "lt" => x < n,
                "lte" => x <= n,
                "gt" => x > n,
                _ => x >= n,
            }));
        }
    }
    let values: Vec<&Yaml> = match v {
        Yaml::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut verdicts = Vec::new();
    for value in values {
        verdicts.push(match_value(value, &mods, got, ev)?);
    }
    Ok(if has("all") {
        verdicts.iter().all(|&b| b)
    } else {
        verdicts.iter().any(|&b| b)
    })
}

thread_local! {
    static REGEXES: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// `re` search (not anchored), case-sensitive unless `(?i)` or `|i`.
pub fn regex_match(pattern: &str, mods: &[String], text: &str) -> Result<bool, String> {
    let mut flags = String::new();
    for f in ["i", "m", "s"] {
        if mods.iter().any(|m| m == f) {
            flags.push_str(f);
        }
    }
    let full = if flags.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{flags}){pattern}")
    };
    REGEXES.with(|c| {
        let mut cache = c.borrow_mut();
        if !cache.contains_key(&full) {
            let re = Regex::new(&full).map_err(|e| format!("regex: {e}"))?;
            cache.insert(full.clone(), re);
        }
        Ok(cache[&full].is_match(text))
    })
}

fn match_value(
    value: &Yaml,
    mods: &[String],
    got: Option<&str>,
    ev: &Fields,
) -> Result<bool, String> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    if matches!(value, Yaml::Null) {
        // Sigma: null means the field is absent or empty.
        return Ok(got.is_none_or(str::is_empty));
    }
    let text = scalar(value).ok_or("a value that is not a scalar")?;
    let Some(got) = got else { return Ok(false) };
    if has("fieldref") {
        return Ok(get(ev, &text).is_some_and(|o| o == got));
    }
    if has("cidr") {
        return cidr(&text, got);
    }
    if has("re") {
        return regex_match(&text, mods, got);
    }
    if let Yaml::Integer(i) = value {
        if mods.is_empty() {
            // Engine semantics: an integer compares as a number (`EventID: 1` matches "01").
            return Ok(number(got) == Some(*i as f64));
        }
    }
    let cased = has("cased");
    let encoded = has("base64") || has("base64offset");
    let anchor = if has("contains") || has("base64offset") {
        Anchor::Contains
    } else if has("startswith") {
        Anchor::Start
    } else if has("endswith") {
        Anchor::End
    } else {
        Anchor::Whole
    };
    for t in encodings(&text, mods)? {
        let toks: Vec<Tok> = if encoded {
            t.chars().map(Tok::Lit).collect()
        } else {
            tokens(&t)
        };
        // Engine semantics (docs/rule-language.md "Case"): plain values ignore
        // ASCII case; values with wildcards run as regexes in the regex crate's
        // Unicode case-insensitive mode.
        let fold = if cased {
            Fold::None
        } else if toks.iter().any(|t| !matches!(t, Tok::Lit(_))) {
            Fold::Unicode
        } else {
            Fold::Ascii
        };
        let mut pat = Vec::new();
        if matches!(anchor, Anchor::Contains | Anchor::End) {
            pat.push(Tok::Star);
        }
        pat.extend(toks);
        if matches!(anchor, Anchor::Contains | Anchor::Start) {
            pat.push(Tok::Star);
        }
        if glob(&pat, &got.chars().collect::<Vec<_>>(), fold) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[derive(Clone, Copy)]
enum Anchor {
    Whole,
    Contains,
    Start,
    End,
}

/// `windash`, then the encodings: every text to look for.
pub fn encodings(text: &str, mods: &[String]) -> Result<Vec<String>, String> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    let mut texts = vec![text.to_string()];
    if has("windash") {
        texts = DASHES.iter().map(|d| windash(text, d)).collect();
    }
    if has("base64") || has("base64offset") {
        let mut out = Vec::new();
        for t in &texts {
            let bytes = utf_bytes(t, mods);
            if has("base64offset") {
                out.extend(base64_offsets(&bytes));
            } else {
                out.push(B64.encode(&bytes));
            }
        }
        return Ok(out);
    }
    if ["utf16le", "utf16be", "utf16", "wide"]
        .iter()
        .any(|m| has(m))
    {
        return Err("utf16 without base64".into());
    }
    Ok(texts)
}

pub const DASHES: [&str; 5] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"];
pub const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// `windash`: a `-` that starts the value or follows whitespace (an option)
/// written as `dash`.
pub fn windash(text: &str, dash: &str) -> String {
    let mut out = String::new();
    let mut prev_space = true;
    for c in text.chars() {
        if c == '-' && prev_space {
            out.push_str(dash);
        } else {
            out.push(c);
        }
        prev_space = c.is_whitespace();
    }
    out
}

/// The bytes `utf16le`/`wide`, `utf16be`, `utf16` (with a BOM) or nothing ask for.
pub fn utf_bytes(t: &str, mods: &[String]) -> Vec<u8> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    if has("utf16be") {
        t.encode_utf16().flat_map(u16::to_be_bytes).collect()
    } else if has("utf16") {
        [0xff, 0xfe]
            .into_iter()
            .chain(t.encode_utf16().flat_map(u16::to_le_bytes))
            .collect()
    } else if has("utf16le") || has("wide") {
        t.encode_utf16().flat_map(u16::to_le_bytes).collect()
    } else {
        t.as_bytes().to_vec()
    }
}

/// Sigma's `base64offset`: for `i` leading bytes, the characters of the
/// encoding that do not depend on the neighbours.
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    (0..3)
        .filter_map(|i| {
            let mut b = vec![b' '; i];
            b.extend_from_slice(bytes);
            let enc = B64.encode(&b);
            let start = [0, 2, 3][i];
            let end = enc.len() - [0, 3, 2][(bytes.len() + i) % 3];
            (start < end).then(|| enc[start..end].to_string())
        })
        .collect()
}

fn cidr(net: &str, got: &str) -> Result<bool, String> {
    let (ip, bits) = net.split_once('/').ok_or("cidr without '/'")?;
    let ip: IpAddr = ip.parse().map_err(|_| "bad cidr")?;
    let bits: u32 = bits.parse().map_err(|_| "bad cidr")?;
    let Ok(g) = got.trim().parse::<IpAddr>() else {
        return Ok(false);
    };
    let (a, b, width) = match (ip, g) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return Ok(false),
    };
    let shift = width - bits.min(width);
    Ok(shift >= 128 || a >> shift == b >> shift)
}

/// One element of a wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tok {
    Lit(char),
    Star,
    One,
}

/// Sigma wildcards: `*`, `?`; `\*`, `\?`, `\\` are the characters themselves;
/// any other backslash is literal.
pub fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cs = text.chars().peekable();
    while let Some(c) = cs.next() {
        match c {
            '\\' if matches!(cs.peek(), Some('*' | '?' | '\\')) => {
                out.push(Tok::Lit(cs.next().unwrap_or('\\')))
            }
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            c => out.push(Tok::Lit(c)),
        }
    }
    out
}

#[derive(Clone, Copy)]
pub enum Fold {
    None,
    Ascii,
    Unicode,
}

fn same(p: char, c: char, fold: Fold) -> bool {
    p == c
        || match fold {
            Fold::None => false,
            Fold::Ascii => p.eq_ignore_ascii_case(&c),
            Fold::Unicode => {
                p.to_lowercase().eq(c.to_lowercase()) || p.to_uppercase().eq(c.to_uppercase())
            }
        }
}

/// Wildcard match of the whole text (greedy with backtracking to the last star).
pub fn glob(pat: &[Tok], text: &[char], fold: Fold) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if same(*c, text[t], fold) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|t| *t == Tok::Star)
}
