//! Rule files to asts with nom 8 combinators. Lexemes and the error type are
//! in [`super::lexer`], conditions (`when:`) in [`super::condition`], the
//! `correlate:` expression in [`super::correlate`]; this file holds the
//! structure: rules and correlations, their keys, and error recovery.
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
use super::correlate::{correlate, Correlate};
use super::{Origin, Parsed};
use crate::ast::{Correlation, EventKind, Expr, Level, Rule, Value};
use crate::error::{RuleError, RuleErrors};

pub(super) use crate::limits::{MAX_CONDITION_DEPTH as MAX_DEPTH, MAX_ERRORS_PER_FILE as MAX_ERRORS};

/// The two kinds of block a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Rule,
    Correlation,
}

impl Block {
    fn word(self) -> &'static str {
        match self {
            Block::Rule => "rule",
            Block::Correlation => "correlation",
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            Block::Rule => &[
                "title",
                "level",
                "tags",
                "references",
                "description",
                "on",
                "when",
            ],
            Block::Correlation => &[
                "title",
                "level",
                "tags",
                "references",
                "description",
                "generate",
                "correlate",
            ],
        }
    }

    fn key_list(self) -> &'static str {
        match self {
            Block::Rule => "title, level, tags, references, description, on or when",
            Block::Correlation => {
                "title, level, tags, references, description, generate or correlate"
            }
        }
    }
}

/// One block, read.
enum Item {
    Rule(Rule),
    Correlation(Correlation),
}

impl Item {
    fn id(&self) -> &str {
        match self {
            Item::Rule(r) => &r.id,
            Item::Correlation(c) => &c.id,
        }
    }

    fn kind(&self) -> Block {
        match self {
            Item::Rule(_) => Block::Rule,
            Item::Correlation(_) => Block::Correlation,
        }
    }
}

pub(super) fn parse_file(file: &str, text: &str) -> Result<Parsed, RuleErrors> {
    let mut parsed = Parsed::default();
    // Ids are unique across rules and correlations.
    let mut first_seen: HashMap<String, (Block, usize, usize)> = HashMap::new();
    let mut errors: Vec<RuleError> = Vec::new();
    let mut lines = Lines::new(text);
    let mut rest = text;
    loop {
        rest = skip(rest);
        if rest.is_empty() {
            break;
        }
        let start = offset(text, rest);
        let (id, result) = match head(rest) {
            Ok((after, (kind, id))) => (Some(id), block(rest, kind, id, after)),
            Err(e) => (None, Err(e)),
        };
        match result {
            Ok((after, item)) => {
                let (line, column) = lines.position(start);
                let (id, kind) = (item.id(), item.kind());
                if let Some(&(first, l, c)) = first_seen.get(id) {
                    let what = if first == kind {
                        String::new()
                    } else {
                        format!(", as a {},", first.word())
                    };
                    errors.push(RuleError::at(
                        file,
                        text,
                        start,
                        Some(id),
                        format!(
                            "duplicate {} id '{id}' (first defined{what} at {file}:{l}:{c})",
                            kind.word()
                        ),
                    ));
                } else {
                    first_seen.insert(id.to_string(), (kind, line, column));
                    let origin = Origin {
                        file: file.to_string(),
                        line,
                        column,
                    };
                    match item {
                        Item::Rule(r) => parsed.rules.push((r, origin)),
                        Item::Correlation(c) => parsed.correlations.push((c, origin)),
                    }
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
        Ok(parsed)
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

/// Where to go on after an error at `error_at` in the block starting at
/// `start`: the first line that begins (after blanks) with `rule` or
/// `correlation` and a blank, from the error's line on but after the
/// block's first line. A missing `}` thus loses only its own block.
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
        if starts_block(t).is_some() {
            return pos;
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

/// `rule ID` or `correlation ID`: which, and the id.
fn head(input: &str) -> PResult<'_, (Block, &str)> {
    let (rest, kind) = expect(
        alt((
            map(keyword("rule"), |_| Block::Rule),
            map(keyword("correlation"), |_| Block::Correlation),
        )),
        "'rule' or 'correlation'",
    )(input)?;
    let example = match kind {
        Block::Rule => "a rule id such as lotl.certutil_download",
        Block::Correlation => "a correlation id such as cred.account_many_hosts",
    };
    let (rest, id) = expect(preceded(blank, rule_id), example)(rest)?;
    Ok((rest, (kind, id)))
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
    Generate(bool),
    Correlate(Correlate),
}

/// `{ key: value ... }` after the id; `start` is the input at `rule` or
/// `correlation`.
fn block<'a>(start: &'a str, kind: Block, id: &str, input: &'a str) -> PResult<'a, Item> {
    let close = |i: &'a str| {
        let at = skip(i);
        if let Some(next) = starts_block(at) {
            return Err(failure(
                at,
                format!("expected '}}' to end the {}, found '{next}'", kind.word()),
            ));
        }
        expect(symbol('}'), format!("a key ({}) or '}}'", kind.key_list()))(at)
    };
    let (rest, entries) = delimited(
        expect(symbol('{'), format!("'{{' after the {} id", kind.word())),
        many0(|i| entry(i, kind)),
        close,
    )
    .parse(input)?;
    let item = match kind {
        Block::Rule => Item::Rule(build_rule(start, id, entries)?),
        Block::Correlation => Item::Correlation(build_correlation(start, id, entries)?),
    };
    Ok((rest, item))
}

/// Whether the next block starts at `at`: `rule` or `correlation` and a
/// blank. The word, if so.
pub(super) fn starts_block(at: &str) -> Option<&'static str> {
    ["rule", "correlation"].into_iter().find(|w| {
        at.strip_prefix(w)
            .is_some_and(|r| r.starts_with(char::is_whitespace))
    })
}

/// Why `key`, followed by `:`, is no key of a `kind` block.
fn unknown_key(key: &str, kind: Block) -> String {
    let lower = key.to_ascii_lowercase();
    if kind.keys().contains(&lower.as_str()) {
        return format!("unknown key '{key}' (keys are lowercase: '{lower}')");
    }
    match (kind, lower.as_str()) {
        (Block::Correlation, "on" | "when") => format!(
            "'{key}' is not a key of a correlation: inline conditions go in the steps of 'correlate:', such as logon(LogonType == 3)"
        ),
        (Block::Rule, "generate" | "correlate") => format!(
            "unknown key '{key}' (a key of correlations, written 'correlation ID {{ ... }}'; a rule takes {})",
            kind.key_list()
        ),
        _ => format!("unknown key '{key}' (expected one of {})", kind.key_list()),
    }
}

/// One `key: value`. Not a word here: an `Error`, and the entries end.
fn entry(input: &str, kind: Block) -> PResult<'_, (&str, Entry)> {
    let at = skip(input);
    let (after_key, key) = word(at)?;
    let known = kind.keys().contains(&key);
    let rest = match symbol(':')(after_key) {
        Ok((rest, _)) if known => rest,
        Ok(_) => return Err(failure(at, unknown_key(key, kind))),
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
                format!("expected a key ({}) or '}}', found '{key}'", kind.key_list()),
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
        "generate" => map(
            enum_word(parse_bool, "'generate' value", "true or false"),
            Entry::Generate,
        )
        .parse(rest)?,
        "correlate" => map(correlate, Entry::Correlate).parse(rest)?,
        _ => map(terminated(|i| or_expr(i, 0), when_end), Entry::When).parse(rest)?,
    };
    Ok((rest, (at, e)))
}

fn parse_bool(w: &str) -> Option<bool> {
    if w.eq_ignore_ascii_case("true") {
        Some(true)
    } else if w.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Fills a key's slot, or fails at the key if it was given before.
fn set<'a, T>(slot: &mut Option<T>, v: T, at: &'a str, key: &str) -> Result<(), Err<PError<'a>>> {
    if slot.is_some() {
        return Err(failure(
            at,
            format!("'{key}' is given twice (each key at most once)"),
        ));
    }
    *slot = Some(v);
    Ok(())
}

/// Checks the keys of one rule and builds it.
fn build_rule<'a>(
    start: &'a str,
    id: &str,
    entries: Vec<(&'a str, Entry)>,
) -> Result<Rule, Err<PError<'a>>> {
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
            Entry::When(v) => {
                crate::pattern::check_patterns(&v).map_err(|m| failure(at, m))?;
                set(&mut when, v, at, "when")?
            }
            // `entry` reads these keys only in correlations.
            Entry::Generate(_) | Entry::Correlate(_) => {}
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

/// Checks the keys of one correlation and builds it.
fn build_correlation<'a>(
    start: &'a str,
    id: &str,
    entries: Vec<(&'a str, Entry)>,
) -> Result<Correlation, Err<PError<'a>>> {
    let (mut title, mut level, mut tags, mut references) = (None, None, None, None);
    let (mut description, mut generate, mut corr) = (None, None, None);
    for (at, e) in entries {
        match e {
            Entry::Title(v) => set(&mut title, v, at, "title")?,
            Entry::Level(v) => set(&mut level, v, at, "level")?,
            Entry::Tags(v) => set(&mut tags, v, at, "tags")?,
            Entry::References(v) => set(&mut references, v, at, "references")?,
            Entry::Description(v) => set(&mut description, v, at, "description")?,
            Entry::Generate(v) => set(&mut generate, v, at, "generate")?,
            Entry::Correlate(v) => set(&mut corr, v, at, "correlate")?,
            // `entry` reads these keys only in rules.
            Entry::On(_) | Entry::When(_) => {}
        }
    }
    let missing =
        |key: &str| failure(start, format!("correlation '{id}' has no '{key}' (required)"));
    let title = title.ok_or_else(|| missing("title"))?;
    let level = level.ok_or_else(|| missing("level"))?;
    let c = corr.ok_or_else(|| missing("correlate"))?;
    Ok(Correlation {
        id: id.to_string(),
        title,
        level,
        tags: tags.unwrap_or_default(),
        references: references.unwrap_or_default(),
        description,
        generate: generate.unwrap_or(true),
        measure: c.measure,
        steps: c.steps,
        group_by: c.group_by,
        window: c.window,
        hours: c.hours,
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
        // Correlations start blocks too; a word that only begins like one
        // does not.
        let text = "correlation a {\n  x ??\n  correlations\n\tcorrelation b {}";
        let b = text.find("\tcorrelation b").unwrap_or(0);
        assert_eq!(resync(text, 0, text.find("??").unwrap_or(0)), b);
    }

    #[test]
    fn blocks_start_with_their_word_and_a_blank() {
        assert_eq!(starts_block("rule a"), Some("rule"));
        assert_eq!(starts_block("correlation\na"), Some("correlation"));
        assert_eq!(starts_block("rules a"), None);
        assert_eq!(starts_block("correlation"), None);
        assert_eq!(starts_block("Rule a"), None);
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
