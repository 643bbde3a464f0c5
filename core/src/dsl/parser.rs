//! Rule files to asts with nom 8 combinators. Lexemes and the error type are
//! in [`super::lexer`], conditions (`when:`) in [`super::condition`]; this
//! file holds the structure: rules, their keys, and error recovery.
//!
//! Parsers return `Err::Error` while another reading may still apply and
//! `Err::Failure` once committed ([`expect`] is `cut` with a message), so an
//! error points at the token that is wrong, never at the start of the rule.
//! Each error becomes a [`RuleError`] at `text.len() - remaining.len()`.

use std::collections::HashMap;

use nom::branch::alt;
use nom::combinator::map;
use nom::multi::{many0, separated_list1};
use nom::sequence::{delimited, preceded, terminated};
use nom::{Err, Parser};

use super::lexer::{
    bare_tag, blank, failure, found, keyword, number, rule_id, skip, string, symbol, word, PError,
    PResult,
};
use super::condition::{or_expr, when_end};
use super::Origin;
use crate::ast::{EventKind, Expr, Level, Rule, Value};
use crate::error::{RuleError, RuleErrors};

/// How deep parentheses and `not` may nest.
pub(super) const MAX_DEPTH: usize = 64;

/// Errors reported from one file before giving up on the rest.
pub(super) const MAX_ERRORS: usize = 100;

const KEYS: [&str; 7] = [
    "title",
    "level",
    "tags",
    "references",
    "description",
    "on",
    "when",
];
const KEY_LIST: &str = "title, level, tags, references, description, on or when";

pub(super) fn parse_file(file: &str, text: &str) -> Result<Vec<(Rule, Origin)>, RuleErrors> {
    let mut rules: Vec<(Rule, Origin)> = Vec::new();
    let mut first_seen: HashMap<String, (usize, usize)> = HashMap::new();
    let mut errors: Vec<RuleError> = Vec::new();
    let mut lines = Lines::new(text);
    let mut rest = text;
    loop {
        rest = skip(rest);
        if rest.is_empty() {
            break;
        }
        let start = offset(text, rest);
        let (id, parsed) = match head(rest) {
            Ok((after, id)) => (Some(id), rule(rest, id, after)),
            Err(e) => (None, Err(e)),
        };
        match parsed {
            Ok((after, rule)) => {
                let (line, column) = lines.position(start);
                if let Some(&(l, c)) = first_seen.get(&rule.id) {
                    errors.push(RuleError::at(
                        file,
                        text,
                        start,
                        Some(&rule.id),
                        format!(
                            "duplicate rule id '{}' (first defined at {file}:{l}:{c})",
                            rule.id
                        ),
                    ));
                } else {
                    first_seen.insert(rule.id.clone(), (line, column));
                    let origin = Origin {
                        file: file.to_string(),
                        line,
                        column,
                    };
                    rules.push((rule, origin));
                }
                rest = after;
            }
            Err(e) => {
                let e = match e {
                    Err::Error(e) | Err::Failure(e) => e,
                    // Only streaming parsers ask for more input; these are complete.
                    Err::Incomplete(_) => PError {
                        at: "",
                        message: Some("unexpected end of file".into()),
                    },
                };
                let at = e.offset(text);
                errors.push(RuleError::at(file, text, at, id, e.message()));
                rest = text.get(resync(text, start, at)..).unwrap_or("");
            }
        }
        if errors.len() >= MAX_ERRORS && !skip(rest).is_empty() {
            let at = offset(text, skip(rest));
            errors.push(RuleError::at(
                file,
                text,
                at,
                None,
                format!("{MAX_ERRORS} errors: the rest of the file is not checked"),
            ));
            break;
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(RuleErrors(errors))
    }
}

/// The byte offset of `rest`, a suffix of `text`.
fn offset(text: &str, rest: &str) -> usize {
    text.len().saturating_sub(rest.len())
}

/// Lines and columns of increasing offsets, in one pass over the text.
struct Lines<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
    line_start: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            text,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    fn position(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.offset {
            *self = Lines::new(self.text);
        }
        let seg = self.text.get(self.offset..offset).unwrap_or("");
        for (i, b) in seg.bytes().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        let column = self
            .text
            .get(self.line_start..offset)
            .map_or(0, |s| s.chars().count());
        (self.line, column + 1)
    }
}

/// Where to go on after an error at `error_at` in the rule starting at
/// `start`: the first line that begins (after blanks) with `rule` and a
/// blank, from the error's line on but after the rule's first line. A
/// missing `}` thus loses only its own rule.
fn resync(text: &str, start: usize, error_at: usize) -> usize {
    let line_start = |o: usize| {
        text.get(..o)
            .and_then(|s| s.rfind('\n'))
            .map_or(0, |i| i + 1)
    };
    let next_line = |o: usize| {
        text.get(o..)
            .and_then(|s| s.find('\n'))
            .map_or(text.len(), |i| o + i + 1)
    };
    let mut pos = line_start(error_at);
    if pos <= start {
        pos = next_line(start);
    }
    while pos < text.len() {
        let line = text.get(pos..).unwrap_or("");
        let t = line.trim_start_matches(|c: char| c.is_whitespace() && c != '\n');
        if let Some(after) = t.strip_prefix("rule") {
            if after.starts_with(char::is_whitespace) {
                return pos;
            }
        }
        pos = next_line(pos);
    }
    text.len()
}

/// `p`, committed: where it does not match, a failure at the spot saying
/// what was expected and what was found. `cut` with a message.
pub(super) fn expect<'a, O>(
    mut p: impl Parser<&'a str, Output = O, Error = PError<'a>>,
    what: impl Into<String>,
) -> impl FnMut(&'a str) -> PResult<'a, O> {
    let what = what.into();
    move |input| match p.parse(input) {
        Err(Err::Error(_)) => {
            let at = skip(input);
            Err(failure(at, format!("expected {what}, found {}", found(at))))
        }
        r => r,
    }
}

/// `rule ID`: the id.
fn head(input: &str) -> PResult<'_, &str> {
    preceded(
        expect(keyword("rule"), "'rule'"),
        expect(
            preceded(blank, rule_id),
            "a rule id such as lotl.certutil_download",
        ),
    )
    .parse(input)
}

/// A key and its value.
enum Entry {
    Title(String),
    Level(Level),
    Tags(Vec<String>),
    References(Vec<String>),
    Description(String),
    On(EventKind),
    When(Expr),
}

/// `{ key: value ... }` after the id; `start` is the input at `rule`.
fn rule<'a>(start: &'a str, id: &str, input: &'a str) -> PResult<'a, Rule> {
    let close = |i: &'a str| {
        let at = skip(i);
        if starts_rule(at) {
            return Err(failure(at, "expected '}' to end the rule, found 'rule'"));
        }
        expect(symbol('}'), format!("a key ({KEY_LIST}) or '}}'"))(at)
    };
    let (rest, entries) = delimited(
        expect(symbol('{'), "'{' after the rule id"),
        many0(entry),
        close,
    )
    .parse(input)?;
    let rule = build(start, id, entries)?;
    Ok((rest, rule))
}

/// Whether the next rule starts at `at`: `rule` and a blank.
pub(super) fn starts_rule(at: &str) -> bool {
    at.strip_prefix("rule")
        .is_some_and(|r| r.starts_with(char::is_whitespace))
}

/// One `key: value`. Not a word here: an `Error`, and the entries end.
fn entry(input: &str) -> PResult<'_, (&str, Entry)> {
    let at = skip(input);
    let (after_key, key) = word(at)?;
    let known = KEYS.contains(&key);
    let rest = match symbol(':')(after_key) {
        Ok((rest, _)) if known => rest,
        Ok(_) => {
            let hint = if KEYS.contains(&key.to_ascii_lowercase().as_str()) {
                format!("keys are lowercase: '{}'", key.to_ascii_lowercase())
            } else {
                format!("expected one of {KEY_LIST}")
            };
            return Err(failure(at, format!("unknown key '{key}' ({hint})")));
        }
        Err(_) if known => {
            let a = skip(after_key);
            return Err(failure(
                a,
                format!("expected ':' after '{key}', found {}", found(a)),
            ));
        }
        Err(_) => {
            return Err(failure(
                at,
                format!("expected a key ({KEY_LIST}) or '}}', found '{key}'"),
            ))
        }
    };
    let (rest, e) = match key {
        "title" => map(expect(string_token, "a string"), Entry::Title).parse(rest)?,
        "description" => map(expect(string_token, "a string"), Entry::Description).parse(rest)?,
        "level" => map(
            enum_word(
                Level::parse,
                "level",
                "informational, low, medium, high or critical",
            ),
            Entry::Level,
        )
        .parse(rest)?,
        "on" => map(
            enum_word(
                EventKind::parse,
                "event kind",
                "process, logon, explicit_credential or any",
            ),
            Entry::On,
        )
        .parse(rest)?,
        "tags" => map(
            separated_list1(
                symbol(','),
                expect(
                    preceded(blank, alt((string, map(bare_tag, str::to_string)))),
                    "a tag (such as attack.t1105) or a string",
                ),
            ),
            Entry::Tags,
        )
        .parse(rest)?,
        "references" => map(
            separated_list1(symbol(','), expect(string_token, "a string")),
            Entry::References,
        )
        .parse(rest)?,
        _ => map(terminated(|i| or_expr(i, 0), when_end), Entry::When).parse(rest)?,
    };
    Ok((rest, (at, e)))
}

/// Checks the keys of one rule and builds it.
fn build<'a>(
    start: &'a str,
    id: &str,
    entries: Vec<(&'a str, Entry)>,
) -> Result<Rule, Err<PError<'a>>> {
    fn set<'a, T>(
        slot: &mut Option<T>,
        v: T,
        at: &'a str,
        key: &str,
    ) -> Result<(), Err<PError<'a>>> {
        if slot.is_some() {
            return Err(failure(
                at,
                format!("'{key}' is given twice (each key at most once)"),
            ));
        }
        *slot = Some(v);
        Ok(())
    }
    let (mut title, mut level, mut tags, mut references) = (None, None, None, None);
    let (mut description, mut on, mut when) = (None, None, None);
    for (at, e) in entries {
        match e {
            Entry::Title(v) => set(&mut title, v, at, "title")?,
            Entry::Level(v) => set(&mut level, v, at, "level")?,
            Entry::Tags(v) => set(&mut tags, v, at, "tags")?,
            Entry::References(v) => set(&mut references, v, at, "references")?,
            Entry::Description(v) => set(&mut description, v, at, "description")?,
            Entry::On(v) => set(&mut on, v, at, "on")?,
            Entry::When(v) => set(&mut when, v, at, "when")?,
        }
    }
    let missing = |key: &str| failure(start, format!("rule '{id}' has no '{key}' (required)"));
    Ok(Rule {
        id: id.to_string(),
        title: title.ok_or_else(|| missing("title"))?,
        level: level.ok_or_else(|| missing("level"))?,
        tags: tags.unwrap_or_default(),
        references: references.unwrap_or_default(),
        description,
        on: on.unwrap_or(EventKind::Any),
        when: when.ok_or_else(|| missing("when"))?,
    })
}

/// A word that `parse` accepts, else an error listing the choices.
fn enum_word<'a, T>(
    parse: fn(&str) -> Option<T>,
    what: &'static str,
    choices: &'static str,
) -> impl Fn(&'a str) -> PResult<'a, T> {
    move |input| {
        let at = skip(input);
        match word(at) {
            Ok((rest, w)) => match parse(w) {
                Some(v) => Ok((rest, v)),
                None => Err(failure(
                    at,
                    format!("unknown {what} '{w}' (expected {choices})"),
                )),
            },
            Err(_) => Err(failure(
                at,
                format!("expected {choices}, found {}", found(at)),
            )),
        }
    }
}

/// A string after blanks.
fn string_token(input: &str) -> PResult<'_, String> {
    preceded(blank, string).parse(input)
}

/// A string or a number after blanks.
pub(super) fn value_token(input: &str) -> PResult<'_, Value> {
    preceded(
        blank,
        alt((map(number, Value::Num), map(string, Value::Str))),
    )
    .parse(input)
}

/// The end of a `when` condition: the next key, `}` or the end of the file.
/// Anything else cannot follow a condition.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resync_goes_to_the_next_rule_line() {
        let text = "rule a {\n  when: x ??\n}\n  rule b {}\nrule c";
        let b = text.find("  rule b").unwrap_or(0);
        assert_eq!(resync(text, 0, text.find("??").unwrap_or(0)), b);
        // The error on a line that starts a rule: resume on that line.
        let text = "rule a { when: x exists\nrule b { }";
        let b = text.find("rule b").unwrap_or(0);
        assert_eq!(resync(text, 0, b), b);
        // The error on the rule's own line: resume after it.
        assert_eq!(resync("rule rule a", 0, 5), 11);
    }

    #[test]
    fn lines_count_incrementally() {
        let text = "ab\ncdé\n\nx";
        let mut l = Lines::new(text);
        assert_eq!(l.position(0), (1, 1));
        assert_eq!(l.position(4), (2, 2));
        assert_eq!(l.position(text.len()), (4, 2));
        assert_eq!(l.position(1), (1, 2));
    }
}
