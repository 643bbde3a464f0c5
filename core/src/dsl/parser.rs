//! Rule files to asts. Lexemes come from [`super::lexer`] (nom); this file
//! holds the structure: rules, keys, and conditions with their precedence
//! (`not` > `and` > `or`). Every error is a [`RuleError`] at the exact spot.

use super::lexer;
use super::Origin;
use crate::ast::{
    CmpOp, EventKind, Expr, Field, FieldForm, Level, Op, Predicate, Quantifier, Rule, Value,
};
use crate::compile::REGEX_SIZE_LIMIT;
use crate::error::{Position, RuleError, RuleErrors};
use crate::schema;

/// How deep parentheses and `not` may nest.
const MAX_DEPTH: usize = 64;

const KEYS: &str = "title, level, tags, references, description, on, when";

pub(super) fn parse_file(file: &str, text: &str) -> Result<Vec<(Rule, Origin)>, RuleErrors> {
    let mut p = Parser {
        file,
        text,
        pos: 0,
        rule: None,
        depth: 0,
    };
    let mut rules: Vec<(Rule, Origin)> = Vec::new();
    let mut errors = Vec::new();
    loop {
        p.skip_blank();
        if p.rest().is_empty() {
            break;
        }
        p.rule = None;
        match p.rule() {
            Ok((rule, origin)) => {
                if let Some((_, first)) = rules.iter().find(|(r, _)| r.id == rule.id) {
                    let offset = line_offset(text, origin.line) + origin.column - 1;
                    errors.push(RuleError::at(
                        file,
                        text,
                        offset,
                        Some(&rule.id),
                        format!(
                            "duplicate rule id '{}' (first defined at {}:{}:{})",
                            rule.id, first.file, first.line, first.column
                        ),
                    ));
                } else {
                    rules.push((rule, origin));
                }
            }
            Err(e) => {
                errors.push(e);
                p.resync();
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RuleErrors(errors))
    }
}

fn line_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum()
}

struct Parser<'a> {
    file: &'a str,
    text: &'a str,
    pos: usize,
    rule: Option<String>,
    depth: usize,
}

type R<T> = Result<T, RuleError>;

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn advance_to(&mut self, rest: &'a str) {
        self.pos = self.text.len() - rest.len();
    }

    fn skip_blank(&mut self) {
        let rest = lexer::blank(self.rest());
        self.advance_to(rest);
    }

    fn err_at(&self, offset: usize, message: impl Into<String>) -> RuleError {
        RuleError::at(self.file, self.text, offset, self.rule.as_deref(), message)
    }

    fn err(&self, message: impl Into<String>) -> RuleError {
        self.err_at(self.pos, message)
    }

    /// What stands at the cursor, for messages.
    fn found(&self) -> String {
        let rest = self.rest();
        if rest.is_empty() {
            return "end of file".into();
        }
        let token: String = match lexer::word(rest) {
            Some((_, w)) => w.to_string(),
            None => rest.chars().next().map(String::from).unwrap_or_default(),
        };
        format!("'{token}'")
    }

    /// After an error: skip to the next line that starts with `rule `.
    fn resync(&mut self) {
        let rest = self.rest();
        let mut offset = rest.find('\n').map_or(rest.len(), |i| i + 1);
        while offset < rest.len() {
            let line = &rest[offset..];
            if line.trim_start().starts_with("rule ") || line.trim_start().starts_with("rule\t") {
                break;
            }
            offset += line.find('\n').map_or(line.len(), |i| i + 1);
        }
        self.pos += offset;
    }

    fn expect_char(&mut self, c: char, what: &str) -> R<()> {
        self.skip_blank();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.err(format!("expected {what}, found {}", self.found())))
        }
    }

    /// The next word, if it is `kw` (case-insensitive); consumed then.
    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_blank();
        match lexer::word(self.rest()) {
            Some((rest, w)) if w.eq_ignore_ascii_case(kw) => {
                self.advance_to(rest);
                true
            }
            _ => false,
        }
    }

    fn rule(&mut self) -> R<(Rule, Origin)> {
        let start = self.pos;
        if !self.keyword("rule") {
            return Err(self.err(format!("expected 'rule', found {}", self.found())));
        }
        let origin = {
            let p = Position::of_offset(self.text, start);
            Origin {
                file: self.file.to_string(),
                line: p.line,
                column: p.column,
            }
        };
        self.skip_blank();
        let Some((rest, id)) = lexer::rule_id(self.rest()) else {
            return Err(self.err(format!(
                "expected a rule id such as lotl.certutil_download, found {}",
                self.found()
            )));
        };
        self.advance_to(rest);
        self.rule = Some(id.to_string());
        self.expect_char('{', "'{' after the rule id")?;

        let mut title = None;
        let mut level = None;
        let mut tags = None;
        let mut references = None;
        let mut description = None;
        let mut on = None;
        let mut when = None;
        loop {
            self.skip_blank();
            if self.rest().starts_with('}') {
                self.pos += 1;
                break;
            }
            let key_at = self.pos;
            let Some((rest, key)) = lexer::word(self.rest()) else {
                return Err(self.err(format!("expected a key ({KEYS}) or '}}', found {}", self.found())));
            };
            self.advance_to(rest);
            self.expect_char(':', &format!("':' after '{key}'"))?;
            self.skip_blank();
            match key {
                "title" => self.once(&mut title, key_at, key, |p| Ok(p.string()?.0))?,
                "description" => self.once(&mut description, key_at, key, |p| Ok(p.string()?.0))?,
                "level" => self.once(&mut level, key_at, key, |p| {
                    p.word_as(Level::parse, "level", "informational, low, medium, high or critical")
                })?,
                "on" => self.once(&mut on, key_at, key, |p| {
                    p.word_as(EventKind::parse, "event kind", "process, logon, explicit_credential or any")
                })?,
                "tags" => self.once(&mut tags, key_at, key, |p| p.list(Self::tag))?,
                "references" => self.once(&mut references, key_at, key, |p| p.list(|p| Ok(p.string()?.0)))?,
                "when" => self.once(&mut when, key_at, key, |p| {
                    p.depth = 0;
                    p.or()
                })?,
                _ => return Err(self.err_at(key_at, format!("unknown key '{key}' (expected one of {KEYS})"))),
            }
        }
        let missing = |p: &Self, k: &str| p.err_at(start, format!("rule '{id}' has no '{k}'"));
        let rule = Rule {
            id: id.to_string(),
            title: title.ok_or_else(|| missing(self, "title"))?,
            level: level.ok_or_else(|| missing(self, "level"))?,
            tags: tags.unwrap_or_default(),
            references: references.unwrap_or_default(),
            description,
            on: on.unwrap_or(EventKind::Any),
            when: when.ok_or_else(|| missing(self, "when"))?,
        };
        Ok((rule, origin))
    }

    /// Reads a key's value into `slot`, which must still be empty.
    fn once<T>(
        &mut self,
        slot: &mut Option<T>,
        key_at: usize,
        key: &str,
        read: impl FnOnce(&mut Self) -> R<T>,
    ) -> R<()> {
        if slot.is_some() {
            return Err(self.err_at(key_at, format!("'{key}' is given twice")));
        }
        *slot = Some(read(self)?);
        Ok(())
    }

    /// A word that `parse` accepts, else an error listing what it takes.
    fn word_as<T>(&mut self, parse: fn(&str) -> Option<T>, what: &str, expected: &str) -> R<T> {
        let at = self.pos;
        let w = self.word_value()?;
        parse(w).ok_or_else(|| self.err_at(at, format!("unknown {what} '{w}' (expected {expected})")))
    }

    /// A tag: bare (`attack.t1105`) or a string.
    fn tag(&mut self) -> R<String> {
        if self.rest().starts_with(['\'', '"']) {
            return Ok(self.string()?.0);
        }
        match lexer::bare_tag(self.rest()) {
            Some((rest, t)) => {
                self.advance_to(rest);
                Ok(t.to_string())
            }
            None => Err(self.err(format!("expected a tag, found {}", self.found()))),
        }
    }

    fn word_value(&mut self) -> R<&'a str> {
        match lexer::word(self.rest()) {
            Some((rest, w)) => {
                self.advance_to(rest);
                Ok(w)
            }
            None => Err(self.err(format!("expected a word, found {}", self.found()))),
        }
    }

    /// A string and the offset of its opening quote.
    fn string(&mut self) -> R<(String, usize)> {
        self.skip_blank();
        let at = self.pos;
        match lexer::string(self.rest()) {
            Ok((s, rest)) => {
                self.advance_to(rest);
                Ok((s, at))
            }
            Err(e) => Err(self.err_at(at + e.offset, e.message)),
        }
    }

    /// `item, item, ...` (for keys: up to the end of the list).
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        let mut out = vec![item(self)?];
        loop {
            let save = self.pos;
            self.skip_blank();
            if self.rest().starts_with(',') {
                self.pos += 1;
                self.skip_blank();
                out.push(item(self)?);
            } else {
                self.pos = save;
                return Ok(out);
            }
        }
    }

    /// `( item, item, ... )`, at least one item, trailing comma allowed.
    fn paren_list<T>(&mut self, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        self.expect_char('(', "'(' to open a list")?;
        let mut out = Vec::new();
        loop {
            self.skip_blank();
            if self.rest().starts_with(')') {
                if out.is_empty() {
                    return Err(self.err("an empty list: give at least one value"));
                }
                self.pos += 1;
                return Ok(out);
            }
            out.push(item(self)?);
            self.skip_blank();
            if self.rest().starts_with(',') {
                self.pos += 1;
            } else if !self.rest().starts_with(')') {
                return Err(self.err(format!("expected ',' or ')' in the list, found {}", self.found())));
            }
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("condition nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> R<Expr> {
        let mut xs = vec![self.and()?];
        while self.keyword("or") {
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 { xs.remove(0) } else { Expr::Or(xs) })
    }

    fn and(&mut self) -> R<Expr> {
        let mut xs = vec![self.unary()?];
        while self.keyword("and") {
            xs.push(self.unary()?);
        }
        Ok(if xs.len() == 1 { xs.remove(0) } else { Expr::And(xs) })
    }

    fn unary(&mut self) -> R<Expr> {
        self.skip_blank();
        if self.keyword("not") {
            self.enter()?;
            let x = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(x)));
        }
        if self.rest().starts_with('(') {
            self.enter()?;
            self.pos += 1;
            let x = self.or()?;
            self.expect_char(')', "')' to close '('")?;
            self.depth -= 1;
            return Ok(x);
        }
        self.predicate().map(Expr::Pred)
    }

    fn field(&mut self) -> R<Field> {
        let at = self.pos;
        let Some((rest, name)) = lexer::word(self.rest()) else {
            return Err(self.err(format!("expected a field name, 'not' or '(', found {}", self.found())));
        };
        if ["and", "or", "not"].iter().any(|k| k.eq_ignore_ascii_case(name)) {
            return Err(self.err(format!("expected a field name, found the keyword '{name}'")));
        }
        self.advance_to(rest);
        let name = schema::canonical_name(name);
        let mut form = FieldForm::Default;
        if let Some(after) = self.rest().strip_prefix('.') {
            let Some((rest, suffix)) = lexer::word(after) else {
                return Err(self.err("expected 'raw' or 'decoded' after '.'"));
            };
            form = if suffix.eq_ignore_ascii_case("raw") {
                FieldForm::Raw
            } else if suffix.eq_ignore_ascii_case("decoded") {
                FieldForm::Decoded
            } else {
                return Err(self.err_at(self.pos + 1, format!("unknown field form '.{suffix}' (expected .raw or .decoded)")));
            };
            self.advance_to(rest);
            if form == FieldForm::Decoded && !schema::is_command_line(&name) {
                return Err(self.err_at(at, format!("'{name}.decoded' does not exist: only CommandLine and ParentCommandLine have decoded text")));
            }
        }
        Ok(Field { name, form })
    }

    fn predicate(&mut self) -> R<Predicate> {
        let field = self.field()?;
        self.skip_blank();
        let op_at = self.pos;
        let normal = field.form == FieldForm::Default && schema::is_command_line(&field.name);
        let mut cased_at: Option<usize> = None;
        let op = if let Some((rest, sym)) = lexer::symbol(self.rest()) {
            self.advance_to(rest);
            match sym {
                "==" | "!=" => {
                    cased_at = cased_at.or(self.cased());
                    let v = self.value()?;
                    if sym == "==" { Op::Eq(v) } else { Op::Ne(v) }
                }
                _ => {
                    let op = match sym {
                        "<" => CmpOp::Lt,
                        "<=" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    self.skip_blank();
                    if self.keyword("cased") {
                        return Err(self.err_at(op_at, "'cased' has no meaning on a numeric comparison"));
                    }
                    match self.value()? {
                        Value::Num(n) => Op::Cmp(op, n),
                        Value::Str(_) => return Err(self.err_at(op_at, format!("'{sym}' compares numbers: give a number"))),
                    }
                }
            }
        } else {
            let Some((rest, word)) = lexer::word(self.rest()) else {
                return Err(self.err(format!(
                    "expected an operator (==, !=, contains, startswith, endswith, like, matches, in, exists, <, <=, >, >=) after field '{}', found {}",
                    field, self.found()
                )));
            };
            let word = word.to_ascii_lowercase();
            self.advance_to(rest);
            match word.as_str() {
                "contains" | "startswith" | "endswith" => {
                    cased_at = cased_at.or(self.cased());
                    let quant = if self.keyword("any") {
                        Some(Quantifier::Any)
                    } else if word == "contains" && self.keyword("all") {
                        Some(Quantifier::All)
                    } else {
                        None
                    };
                    cased_at = cased_at.or(self.cased());
                    let pats = match quant {
                        Some(_) => self.paren_list(|p| p.pattern())?,
                        None => vec![self.pattern()?],
                    };
                    match word.as_str() {
                        "contains" => Op::Contains(quant.unwrap_or(Quantifier::Any), pats),
                        "startswith" => Op::StartsWith(pats),
                        _ => Op::EndsWith(pats),
                    }
                }
                "like" => {
                    cased_at = cased_at.or(self.cased());
                    Op::Like(self.pattern()?)
                }
                "matches" => {
                    cased_at = cased_at.or(self.cased());
                    self.skip_blank();
                    let at = self.pos;
                    let re = self.pattern()?;
                    if let Err(e) = regex::RegexBuilder::new(&re).size_limit(REGEX_SIZE_LIMIT).build() {
                        let msg = e.to_string();
                        let last = msg.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("").trim();
                        return Err(self.err_at(at, format!("invalid regex: {last}")));
                    }
                    Op::Matches(re)
                }
                "in" => {
                    cased_at = cased_at.or(self.cased());
                    Op::In(self.paren_list(|p| p.value())?)
                }
                "exists" => {
                    self.skip_blank();
                    if self.keyword("cased") {
                        return Err(self.err_at(op_at, "'cased' has no meaning on 'exists'"));
                    }
                    Op::Exists
                }
                _ => {
                    return Err(self.err_at(op_at, format!(
                        "expected an operator (==, !=, contains, startswith, endswith, like, matches, in, exists, <, <=, >, >=) after field '{field}', found '{word}'"
                    )))
                }
            }
        };
        let cased = cased_at.is_some();
        if let (Some(at), true) = (cased_at, normal) {
            return Err(self.err_at(at, format!(
                "'cased' cannot apply to {field}: its normal form is case-folded; read the value as written with '{}.raw'",
                field.name
            )));
        }
        Ok(Predicate { field, op, cased })
    }

    /// `cased` at the cursor: consumed, and its offset returned.
    fn cased(&mut self) -> Option<usize> {
        self.skip_blank();
        let at = self.pos;
        self.keyword("cased").then_some(at)
    }

    /// A non-empty string pattern.
    fn pattern(&mut self) -> R<String> {
        let (s, at) = self.string()?;
        if s.is_empty() {
            return Err(self.err_at(at, "empty pattern"));
        }
        Ok(s)
    }

    /// A string or a number.
    fn value(&mut self) -> R<Value> {
        self.skip_blank();
        if let Some((rest, n)) = lexer::number(self.rest()) {
            let at = self.pos;
            self.advance_to(rest);
            return match n.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Value::Num(v)),
                _ => Err(self.err_at(at, format!("number '{n}' is out of range"))),
            };
        }
        Ok(Value::Str(self.string()?.0))
    }
}
