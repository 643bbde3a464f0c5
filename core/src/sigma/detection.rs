//! One Sigma selection (`Image|endswith: '\x.exe'`) to an ast expression.
//!
//! A map is the AND of its fields; a list of maps is the OR of them; a list of
//! values is the OR of them (the AND with `|all`). Values without modifiers
//! are equality with `*` and `?` wildcards; `\*`, `\?` and `\\` escape them.

use base64::Engine;
use yaml_rust2::Yaml;

use super::Placeholders;
use crate::ast::{CmpOp, Expr, Field, FieldForm, Op, Predicate, Quantifier, Value};
use crate::schema;

/// Converts one selection's YAML.
pub(super) fn selection(y: &Yaml, placeholders: &Placeholders) -> Result<Expr, String> {
    match y {
        Yaml::Hash(map) => {
            let mut xs = Vec::new();
            for (k, v) in map {
                let key = k.as_str().ok_or("a selection key that is not a string")?;
                xs.push(field(key, v, placeholders)?);
            }
            one_or(xs, Expr::And)
        }
        Yaml::Array(items) if items.iter().all(|i| matches!(i, Yaml::Hash(_))) => {
            let xs = items
                .iter()
                .map(|i| selection(i, placeholders))
                .collect::<Result<Vec<_>, _>>()?;
            one_or(xs, Expr::Or)
        }
        // Keywords: values without a field, searched in all of the event's values.
        Yaml::Array(_) | Yaml::String(_) | Yaml::Integer(_) => field("", y, placeholders),
        _ => Err("a selection must be a map or a list of maps".into()),
    }
}

fn one_or(mut xs: Vec<Expr>, many: fn(Vec<Expr>) -> Expr) -> Result<Expr, String> {
    match xs.len() {
        0 => Err("an empty selection".into()),
        1 => Ok(xs.remove(0)),
        _ => Ok(many(xs)),
    }
}

/// The plain text of a scalar.
pub(super) fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `Field|mod|mod: value(s)`.
fn field(key: &str, v: &Yaml, placeholders: &Placeholders) -> Result<Expr, String> {
    let mut parts = key.split('|');
    let name = schema::canonical_name(parts.next().unwrap_or(""));
    let mut mods: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
    // A keyword (`'|all': [...]` or a bare list) is found anywhere in a value.
    let name = if name.is_empty() {
        if !mods.iter().any(|m| matches!(m.as_str(), "contains" | "startswith" | "endswith" | "re")) {
            mods.push("contains".into());
        }
        schema::ANY_FIELD.to_string()
    } else {
        name
    };
    // Sigma keeps its exact semantics on the command line as written.
    let form = if schema::is_command_line(&name) {
        FieldForm::Raw
    } else {
        FieldForm::Default
    };
    let field = Field { name, form };
    let mut values: Vec<&Yaml> = match v {
        Yaml::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let has = |m: &str| mods.iter().any(|x| x == m);
    let mut expanded = Vec::new();
    if has("expand") {
        for value in &values {
            let text = scalar(value).ok_or("'expand' needs string values")?;
            expanded.extend(expand(&text, placeholders)?.into_iter().map(Yaml::String));
        }
        values = expanded.iter().collect();
    }
    for m in &mods {
        if !matches!(
            m.as_str(),
            "contains" | "startswith" | "endswith" | "all" | "re" | "i" | "m" | "s" | "windash"
                | "cased" | "exists" | "lt" | "lte" | "gt" | "gte" | "base64" | "base64offset"
                | "utf16le" | "utf16be" | "utf16" | "wide" | "cidr" | "fieldref" | "expand"
        ) {
            return Err(format!("the '{m}' modifier is not supported yet"));
        }
    }
    let pred = |op: Op, cased: bool| {
        Expr::Pred(Predicate {
            field: field.clone(),
            op,
            cased,
        })
    };
    if has("exists") {
        let want = matches!(v, Yaml::Boolean(true)) || scalar(v).as_deref() == Some("true");
        let e = pred(Op::Exists, false);
        return Ok(if want { e } else { Expr::Not(Box::new(e)) });
    }
    for (m, op) in [("lt", CmpOp::Lt), ("lte", CmpOp::Le), ("gt", CmpOp::Gt), ("gte", CmpOp::Ge)] {
        if has(m) {
            let n = scalar(v)
                .and_then(|s| s.parse::<f64>().ok())
                .ok_or(format!("'{m}' needs a number"))?;
            return Ok(pred(Op::Cmp(op, n), false));
        }
    }
    let cased = has("cased");
    if has("cidr") || has("fieldref") {
        let special = if has("cidr") { "cidr" } else { "fieldref" };
        if let Some(m) = mods.iter().find(|m| !matches!(m.as_str(), "cidr" | "fieldref" | "all" | "cased")) {
            return Err(format!("'{special}' with the '{m}' modifier is not supported"));
        }
        let texts = values
            .iter()
            .map(|v| scalar(v).ok_or(format!("'{special}' needs string values")))
            .collect::<Result<Vec<_>, _>>()?;
        let xs: Vec<Expr> = if special == "cidr" {
            for t in &texts {
                crate::pattern::cidr::Net::parse(t)?;
            }
            if has("all") {
                texts.into_iter().map(|t| pred(Op::Cidr(vec![t]), false)).collect()
            } else {
                vec![pred(Op::Cidr(texts), false)]
            }
        } else {
            let mut xs = Vec::new();
            for t in &texts {
                let name = schema::canonical_name(t.trim());
                if name.is_empty() {
                    return Err("'fieldref' needs a field name".into());
                }
                let form = if schema::is_command_line(&name) { FieldForm::Raw } else { FieldForm::Default };
                xs.push(pred(Op::SameAs(Field { name, form }), cased));
            }
            xs
        };
        return one_or(xs, if has("all") { Expr::And } else { Expr::Or });
    }
    let mut xs = Vec::new();
    for value in values {
        if matches!(value, Yaml::Null) {
            // Sigma's null: the field is absent or empty.
            xs.push(Expr::Or(vec![
                Expr::Not(Box::new(pred(Op::Exists, false))),
                pred(Op::Eq(Value::Str(String::new())), false),
            ]));
            continue;
        }
        let Some(text) = scalar(value) else {
            return Err("a value that is not a scalar".into());
        };
        if has("re") {
            let mut flags = String::new();
            for (m, f) in [("i", 'i'), ("m", 'm'), ("s", 's')] {
                if has(m) {
                    flags.push(f);
                }
            }
            let text = ascii_perl_classes(&text);
            let re = if flags.is_empty() { text } else { format!("(?{flags}){text}") };
            if let Err(reason) = crate::pattern::regex::build_regex(&re) {
                return Err(format!("regex not supported by the linear-time engine: {reason}"));
            }
            // Sigma regexes are case-sensitive unless they say otherwise.
            xs.push(pred(Op::Matches(re), true));
            continue;
        }
        if let Yaml::Integer(i) = value {
            if mods.is_empty() {
                xs.push(pred(Op::Eq(Value::Num(*i as f64)), false));
                continue;
            }
        }
        let variants = encodings(&text, &mods)?;
        let encoded = variants.len() > 1 || variants[0] != text;
        // Encoded values sit inside a longer encoded text: contains, unless anchored.
        let anchor = if has("contains") || encoded && !has("startswith") && !has("endswith") {
            "contains"
        } else if has("startswith") {
            "startswith"
        } else if has("endswith") {
            "endswith"
        } else {
            "equals"
        };
        let mut alts = Vec::new();
        for t in variants {
            alts.push(literal(&t, anchor, cased, &pred)?);
        }
        xs.push(if alts.len() == 1 { alts.remove(0) } else { Expr::Or(alts) });
    }
    if has("all") {
        one_or(xs, Expr::And)
    } else {
        one_or(xs, Expr::Or)
    }
}

/// `\w`, `\d`, `\s` (and their negations) as the ASCII classes they are in
/// PCRE, the regex dialect Sigma names, instead of the `regex` crate's Unicode
/// classes (a Unicode `\w{1,64}` alone compiles past the size limit). A
/// pattern that does not parse is returned as is, for the compiler's error.
fn ascii_perl_classes(re: &str) -> String {
    use regex_syntax::ast::{self, Ast, ClassPerl, ClassPerlKind, ClassSetItem};

    struct Spans(Vec<(usize, usize, &'static str)>);
    impl Spans {
        fn add(&mut self, c: &ClassPerl) {
            let class = match (&c.kind, c.negated) {
                (ClassPerlKind::Word, false) => "[0-9A-Za-z_]",
                (ClassPerlKind::Word, true) => "[^0-9A-Za-z_]",
                (ClassPerlKind::Digit, false) => "[0-9]",
                (ClassPerlKind::Digit, true) => "[^0-9]",
                (ClassPerlKind::Space, false) => r"[\t\n\x0B\f\r ]",
                (ClassPerlKind::Space, true) => r"[^\t\n\x0B\f\r ]",
            };
            self.0.push((c.span.start.offset, c.span.end.offset, class));
        }
    }
    impl ast::Visitor for Spans {
        type Output = Vec<(usize, usize, &'static str)>;
        type Err = ();
        fn finish(self) -> Result<Self::Output, ()> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, a: &Ast) -> Result<(), ()> {
            if let Ast::ClassPerl(c) = a {
                self.add(c);
            }
            Ok(())
        }
        fn visit_class_set_item_pre(&mut self, item: &ClassSetItem) -> Result<(), ()> {
            if let ClassSetItem::Perl(c) = item {
                self.add(c);
            }
            Ok(())
        }
    }
    let Ok(parsed) = ast::parse::Parser::new().parse(re) else {
        return re.to_string();
    };
    let Ok(mut spans) = ast::visit(&parsed, Spans(Vec::new())) else {
        return re.to_string();
    };
    spans.sort_unstable();
    // The regex crate nests classes, so `[\w-]` becomes `[[0-9A-Za-z_]-]`.
    let mut out = String::with_capacity(re.len() + 16 * spans.len());
    let mut at = 0;
    for (start, end, class) in spans {
        if start < at || end > re.len() {
            return re.to_string();
        }
        out.push_str(&re[at..start]);
        out.push_str(class);
        at = end;
    }
    out.push_str(&re[at..]);
    out
}

use crate::limits::MAX_PLACEHOLDER_EXPANSIONS as MAX_EXPANSIONS;

/// Replaces every `%name%` in `text` by each of its values (all combinations
/// when there are several placeholders). Text between `%` that is not a name
/// (`50%`, `%%`) is kept.
fn expand(text: &str, placeholders: &Placeholders) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        let name_len = after.find('%').filter(|&n| {
            n > 0 && after[..n].chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        });
        let Some(n) = name_len else {
            out.iter_mut().for_each(|o| o.push_str(&rest[..=start]));
            rest = after;
            continue;
        };
        let name = &after[..n];
        out.iter_mut().for_each(|o| o.push_str(&rest[..start]));
        match placeholders.get(name) {
            Some(vals) if !vals.is_empty() => {
                if out.len() * vals.len() > MAX_EXPANSIONS {
                    return Err(format!("'expand' of '{text}' gives over {MAX_EXPANSIONS} values"));
                }
                out = out
                    .iter()
                    .flat_map(|o| vals.iter().map(move |v| format!("{o}{v}")))
                    .collect();
            }
            _ => missing.push(format!("%{name}%")),
        }
        rest = &after[n + 1..];
    }
    if !missing.is_empty() {
        return Err(format!(
            "placeholder {} has no values (give them in a placeholder file: --sigma-placeholders)",
            missing.join(", ")
        ));
    }
    out.iter_mut().for_each(|o| o.push_str(rest));
    Ok(out)
}

/// Applies windash and the encoding modifiers: every text to look for.
fn encodings(text: &str, mods: &[String]) -> Result<Vec<String>, String> {
    let has = |m: &str| mods.iter().any(|x| x == m);
    let mut texts = vec![text.to_string()];
    if has("windash") {
        let mut out = Vec::new();
        for t in &texts {
            for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
                let v = replace_option_dashes(t, dash);
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
        texts = out;
    }
    let wide = has("utf16le") || has("wide") || has("utf16") || has("utf16be");
    if wide && !(has("base64") || has("base64offset")) {
        return Err("utf16 modifiers need base64 or base64offset after them".into());
    }
    if has("base64") || has("base64offset") {
        let mut out = Vec::new();
        for t in &texts {
            if t.contains(['*', '?']) {
                return Err("wildcards inside base64-encoded values are not supported".into());
            }
            let bytes: Vec<u8> = if has("utf16be") {
                t.encode_utf16().flat_map(u16::to_be_bytes).collect()
            } else if wide {
                let mut b: Vec<u8> = if has("utf16") { vec![0xff, 0xfe] } else { Vec::new() };
                b.extend(t.encode_utf16().flat_map(u16::to_le_bytes));
                b
            } else {
                t.as_bytes().to_vec()
            };
            if has("base64offset") {
                out.extend(base64_offsets(&bytes));
            } else {
                out.push(base64::engine::general_purpose::STANDARD.encode(&bytes));
            }
        }
        texts = out;
    }
    Ok(texts)
}

/// A dash at the start of a word (an option) replaced by `dash`.
fn replace_option_dashes(t: &str, dash: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut prev: Option<char> = None;
    for c in t.chars() {
        if c == '-' && prev.is_none_or(char::is_whitespace) {
            out.push_str(dash);
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

/// The three base64 forms of `bytes` at offsets 0, 1 and 2 of a longer
/// encoded text: the characters that do not depend on the neighbours.
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::new();
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(bytes);
        let enc = engine.encode(&padded);
        let start = [0, 2, 3][offset];
        let end_trim = [0, 3, 2][(bytes.len() + offset) % 3];
        let end = enc.len().saturating_sub(end_trim);
        if start < end {
            out.push(enc[start..end].to_string());
        }
    }
    out
}

/// A literal with Sigma wildcards, as a predicate.
fn literal(
    text: &str,
    anchor: &str,
    cased: bool,
    pred: &dyn Fn(Op, bool) -> Expr,
) -> Result<Expr, String> {
    let pieces = pieces(text);
    // No live wildcard: the text itself, escapes removed.
    let plain = match pieces.as_slice() {
        [] => Some(String::new()),
        [Piece::Text(t)] => Some(t.clone()),
        _ => None,
    };
    if let Some(plain) = plain {
        // An empty value found anywhere, at the start or the end: any present value.
        if plain.is_empty() && anchor != "equals" {
            return Ok(pred(Op::Exists, false));
        }
        let op = match anchor {
            "contains" => Op::Contains(Quantifier::Any, vec![plain]),
            "startswith" => Op::StartsWith(vec![plain]),
            "endswith" => Op::EndsWith(vec![plain]),
            _ => Op::Eq(Value::Str(plain)),
        };
        return Ok(pred(op, cased));
    }
    let literal_wildcard = pieces
        .iter()
        .any(|p| matches!(p, Piece::Text(t) if t.contains(['*', '?'])));
    if literal_wildcard {
        // `like` has no escapes: a literal `*` or `?` beside live wildcards
        // becomes an anchored regex over the whole value instead.
        let mut re = String::from("(?s)");
        if matches!(anchor, "equals" | "startswith") {
            re.push('^');
        }
        for p in &pieces {
            match p {
                Piece::Text(t) => re.push_str(&regex::escape(t)),
                Piece::Any => re.push_str(".*"),
                Piece::One => re.push('.'),
            }
        }
        if matches!(anchor, "equals" | "endswith") {
            re.push('$');
        }
        crate::pattern::regex::build_regex(&re).map_err(|r| format!("wildcard pattern too large: {r}"))?;
        return Ok(pred(Op::Matches(re), cased));
    }
    let mut glob: String = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.as_str(),
            Piece::Any => "*",
            Piece::One => "?",
        })
        .collect();
    match anchor {
        "contains" => glob = format!("*{glob}*"),
        "startswith" => glob.push('*'),
        "endswith" => glob.insert(0, '*'),
        _ => {}
    }
    Ok(pred(Op::Like(glob), cased))
}

/// A Sigma value split into literal text (escapes removed) and wildcards.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Any,
    One,
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let wildcard = match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                if let Some(n) = chars.next() {
                    buf.push(n);
                }
                None
            }
            '*' => Some(Piece::Any),
            '?' => Some(Piece::One),
            c => {
                buf.push(c);
                None
            }
        };
        if let Some(w) = wildcard {
            if !buf.is_empty() {
                out.push(Piece::Text(std::mem::take(&mut buf)));
            }
            out.push(w);
        }
    }
    if !buf.is_empty() {
        out.push(Piece::Text(buf));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_offsets_are_found_in_any_alignment() {
        let engine = base64::engine::general_purpose::STANDARD;
        let needle = b"http://";
        let forms = base64_offsets(needle);
        assert_eq!(forms.len(), 3);
        for prefix in [&b""[..], b"a", b"ab", b"abc"] {
            let mut data = prefix.to_vec();
            data.extend_from_slice(needle);
            data.extend_from_slice(b"tail");
            let enc = engine.encode(&data);
            assert!(forms.iter().any(|f| enc.contains(f.as_str())), "{enc} {forms:?}");
        }
    }

    #[test]
    fn escaped_wildcards_beside_live_ones_become_an_anchored_regex() {
        let pred = |op: Op, cased: bool| Expr::Pred(Predicate { field: Field::new("x"), op, cased });
        let e = literal(r"a\*b*c\\d", "equals", false, &pred).unwrap();
        assert_eq!(e, pred(Op::Matches(r"(?s)^a\*b.*c\\d$".into()), false));
        // Without a literal wildcard: a glob, escapes removed.
        let e = literal(r"C:\\x\*", "endswith", false, &pred);
        assert!(e.is_ok());
        let e = literal(r"C:\\x*", "endswith", false, &pred).unwrap();
        assert_eq!(e, pred(Op::Like(r"*C:\x*".into()), false));
    }

    #[test]
    fn expand_fills_placeholders_and_names_the_missing_ones() {
        let mut p = Placeholders::new();
        p.insert("dcs".into(), vec!["dc1".into(), "dc2".into()]);
        p.insert("site".into(), vec!["ams".into()]);
        assert_eq!(expand("%dcs%", &p).unwrap(), vec!["dc1", "dc2"]);
        assert_eq!(expand("x-%site%-%dcs%$", &p).unwrap(), vec!["x-ams-dc1$", "x-ams-dc2$"]);
        assert_eq!(expand("50% of %site%", &p).unwrap(), vec!["50% of ams"]);
        let e = expand("%dcs% %nope% %gone%", &p).unwrap_err();
        assert!(e.contains("%nope%, %gone%"), "{e}");
    }

    #[test]
    fn perl_classes_are_ascii_as_in_pcre() {
        assert_eq!(ascii_perl_classes(r"-k\s\w{1,64}"), r"-k[\t\n\x0B\f\r ][0-9A-Za-z_]{1,64}");
        assert_eq!(ascii_perl_classes(r"[\w.-]+\D"), r"[[0-9A-Za-z_].-]+[^0-9]");
        assert_eq!(ascii_perl_classes(r"\\w"), r"\\w");
        assert_eq!(ascii_perl_classes("(unclosed"), "(unclosed");
        let re = regex::Regex::new(&ascii_perl_classes(r"^\w+$")).unwrap();
        assert!(re.is_match("svc_01") && !re.is_match("é"));
        assert!(crate::pattern::regex::build_regex(&ascii_perl_classes(r"-k\s\w{1,64}(?:\s?(?:-p|-s))?")).is_ok());
    }

    #[test]
    fn windash_covers_every_dash() {
        let v = encodings(" -enc ", &["windash".into()]).unwrap();
        assert_eq!(v.len(), 5);
        assert!(v.contains(&" /enc ".to_string()));
    }
}
