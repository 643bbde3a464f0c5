//! The lexemes of the rule language as nom 8 parsers: blanks and comments,
//! words, rule ids, tags, numbers and the two kinds of string; and the error
//! type every parser of the language shares.
//!
//! Token parsers skip the blanks before them. They return `Err::Error` when
//! the input does not start with their token (so `alt` can try another), and
//! `Err::Failure` once they know the token is theirs but it is malformed (an
//! unterminated string, an unknown escape).

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_till, take_while, take_while1, take_while_m_n};
use nom::character::complete::{char, digit1, satisfy};
use nom::combinator::{map, map_opt, opt, recognize, value, verify};
use nom::error::{ErrorKind, ParseError};
use nom::multi::{fold_many0, many0_count};
use nom::sequence::{delimited, pair, preceded};
use nom::{Err, IResult, Parser};

/// A parse error: where it is and what is wrong.
///
/// `at` is the input that remains at the problem, so the byte offset of the
/// problem in the whole text is `text.len() - at.len()`. `message` is `None`
/// for nom's own errors, which mean only "not this token here"; the grammar
/// turns those into messages that say what was expected.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PError<'a> {
    pub at: &'a str,
    pub message: Option<String>,
}

impl<'a> PError<'a> {
    /// The byte offset of the problem in `text`, of which `at` is a suffix.
    pub fn offset(&self, text: &str) -> usize {
        text.len().saturating_sub(self.at.len())
    }

    /// The message, or a generic one from what stands at the spot.
    pub fn message(&self) -> String {
        match &self.message {
            Some(m) => m.clone(),
            None => format!("unexpected {}", found(self.at)),
        }
    }
}

impl<'a> ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, _: ErrorKind) -> Self {
        PError {
            at: input,
            message: None,
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two failed alternatives, keep the one that says something, else
    /// the one that got further.
    fn or(self, other: Self) -> Self {
        match (&self.message, &other.message) {
            (Some(_), None) => self,
            (None, Some(_)) => other,
            _ if self.at.len() < other.at.len() => self,
            _ => other,
        }
    }
}

pub(super) type PResult<'a, O> = IResult<&'a str, O, PError<'a>>;

/// An unrecoverable error at `at`.
pub(super) fn failure<'a>(at: &'a str, message: impl Into<String>) -> Err<PError<'a>> {
    Err::Failure(PError {
        at,
        message: Some(message.into()),
    })
}

/// What stands at the start of `input`, for messages: a word or a number
/// (quoted), "a string", one character (quoted), or "end of file".
pub(super) fn found(input: &str) -> String {
    if input.is_empty() {
        return "end of file".into();
    }
    if input.starts_with(['\'', '"']) {
        return "a string".into();
    }
    let numeric = recognize((opt(char('-')), digit1, take_while(is_id_char)));
    let token = match alt((word, numeric)).parse(input) {
        Ok((_, w)) => w,
        Err(_) => input
            .char_indices()
            .nth(1)
            .map_or(input, |(i, _)| input.get(..i).unwrap_or(input)),
    };
    let mut shown = String::new();
    for (n, c) in token.chars().enumerate() {
        if n == 40 {
            shown.push_str("...");
            break;
        }
        if c.is_control() {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    format!("'{shown}'")
}

/// Whitespace and `#` comments (to the end of the line). Never fails.
pub(super) fn blank(input: &str) -> PResult<'_, ()> {
    value(
        (),
        many0_count(alt((
            take_while1(char::is_whitespace),
            recognize(preceded(char('#'), take_till(|c| c == '\n'))),
        ))),
    )
    .parse(input)
}

/// `input` after its leading blanks.
pub(super) fn skip(input: &str) -> &str {
    blank(input).map_or(input, |(rest, ())| rest)
}

/// `[A-Za-z_][A-Za-z0-9_]*`: keys, keywords, operator words, field names.
pub(super) fn word(input: &str) -> PResult<'_, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(input)
}

/// The keyword `kw` in any case, after blanks. A longer word does not match
/// (`notepad` is not `not`).
pub(super) fn keyword<'a>(kw: &'static str) -> impl Fn(&'a str) -> PResult<'a, &'a str> {
    move |input| preceded(blank, verify(word, |w: &str| w.eq_ignore_ascii_case(kw))).parse(input)
}

/// The punctuation character `c`, after blanks.
pub(super) fn symbol<'a>(c: char) -> impl Fn(&'a str) -> PResult<'a, char> {
    move |input| preceded(blank, char(c)).parse(input)
}

/// A rule id: `[A-Za-z_][A-Za-z0-9_.-]*`.
pub(super) fn rule_id(input: &str) -> PResult<'_, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(is_id_char),
    ))
    .parse(input)
}

/// A bare tag: `[A-Za-z0-9_.-]+`.
pub(super) fn bare_tag(input: &str) -> PResult<'_, &str> {
    take_while1(is_id_char).parse(input)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Whether `t` prints as a bare tag.
pub(super) fn is_bare_tag(t: &str) -> bool {
    !t.is_empty() && t.chars().all(is_id_char)
}

/// A number, `-?[0-9]+(\.[0-9]+)?`, as a finite f64. It may not run on into
/// a word or another dot (`3abc`, `1.2.3`, `1.`).
pub(super) fn number(input: &str) -> PResult<'_, f64> {
    let (rest, text) =
        recognize((opt(char('-')), digit1, opt(pair(char('.'), digit1)))).parse(input)?;
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.') {
        return Err(failure(
            input,
            format!(
                "malformed number {} (numbers are written like 3, -1 or 0.5)",
                found_number(input)
            ),
        ));
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((rest, v)),
        _ => Err(failure(input, format!("number '{text}' is out of range"))),
    }
}

/// The run of number-like characters at `input`, quoted, for messages.
fn found_number(input: &str) -> String {
    let end = input
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map_or(input.len(), |(i, _)| i);
    let run = input.get(..end).unwrap_or(input);
    let shown: String = run.chars().take(40).collect();
    format!("'{shown}'")
}

/// A `'...'` or `"..."` string.
pub(super) fn string(input: &str) -> PResult<'_, String> {
    alt((single_quoted, double_quoted)).parse(input)
}

const UNTERMINATED: &str = "unterminated string (a string ends on the line it starts)";

/// `'...'`: literal text; `''` stands for one `'`.
fn single_quoted(input: &str) -> PResult<'_, String> {
    let (body, _) = char('\'').parse(input)?;
    let piece = alt((value("'", tag("''")), is_not("'\r\n")));
    let (rest, text) = fold_many0(piece, String::new, |mut acc, p: &str| {
        acc.push_str(p);
        acc
    })
    .parse(body)?;
    match char::<_, PError>('\'').parse(rest) {
        Ok((rest, _)) => Ok((rest, text)),
        Err(_) => Err(failure(input, UNTERMINATED)),
    }
}

/// `"..."` with escapes.
fn double_quoted(input: &str) -> PResult<'_, String> {
    enum Piece<'s> {
        Text(&'s str),
        Char(char),
    }
    let (body, _) = char('"').parse(input)?;
    let piece = alt((
        map(is_not("\"\\\r\n"), Piece::Text),
        map(escape, Piece::Char),
    ));
    let (rest, text) = fold_many0(piece, String::new, |mut acc, p| {
        match p {
            Piece::Text(t) => acc.push_str(t),
            Piece::Char(c) => acc.push(c),
        }
        acc
    })
    .parse(body)?;
    match char::<_, PError>('"').parse(rest) {
        Ok((rest, _)) => Ok((rest, text)),
        Err(_) => Err(failure(input, UNTERMINATED)),
    }
}

/// One escape at a backslash: `\" \\ \n \t \r \0 \xNN \u{HEX}`. A backslash
/// at the end of the line is left for the caller (an unterminated string);
/// anything else that is not an escape fails at the backslash.
fn escape(input: &str) -> PResult<'_, char> {
    let (after, _) = char('\\').parse(input)?;
    if after.is_empty() || after.starts_with(['\n', '\r']) {
        return Err(Err::Error(PError::from_error_kind(
            input,
            ErrorKind::Escaped,
        )));
    }
    let hex = |c: char| c.is_ascii_hexdigit();
    let parsed = alt((
        value('"', char('"')),
        value('\\', char('\\')),
        value('\n', char('n')),
        value('\t', char('t')),
        value('\r', char('r')),
        value('\0', char('0')),
        preceded(
            char('x'),
            map_opt(take_while_m_n(2, 2, hex), |h: &str| {
                u8::from_str_radix(h, 16)
                    .ok()
                    .filter(|v| *v <= 0x7f)
                    .map(char::from)
            }),
        ),
        preceded(
            char('u'),
            map_opt(
                delimited(char('{'), take_while_m_n(1, 6, hex), char('}')),
                |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32),
            ),
        ),
    ))
    .parse(after);
    match parsed {
        Ok(ok) => Ok(ok),
        Err(Err::Error(_)) => {
            let message = match after.chars().next() {
                Some('x') => "invalid escape: '\\x' takes two hex digits, at most 7F".to_string(),
                Some('u') => {
                    "invalid escape: '\\u' takes {HEX}, 1 to 6 hex digits naming a Unicode scalar value"
                        .to_string()
                }
                Some(c) => format!(
                    "unknown escape '\\{}' (known: \\\" \\\\ \\n \\t \\r \\0 \\xNN \\u{{HEX}}; in '...' strings a backslash is literal)",
                    c.escape_default()
                ),
                None => "unknown escape".to_string(),
            };
            Err(failure(input, message))
        }
        Err(e) => Err(e),
    }
}

/// After an item of a parenthesized list: the input past a `,`, or at the
/// closing `)`; anything else is an error naming the list.
pub(super) fn list_next<'a>(at: &'a str, list: &str) -> Result<&'a str, Err<PError<'a>>> {
    let at = skip(at);
    if let Some(r) = at.strip_prefix(',') {
        return Ok(r);
    }
    if at.starts_with(')') {
        return Ok(at);
    }
    Err(failure(at, format!("expected ',' or ')' in {list}, found {}", found(at))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<'a, T>(r: PResult<'a, T>) -> (&'a str, T) {
        match r {
            Ok(x) => x,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn lexemes() {
        assert_eq!(skip("  # c\n  x"), "x");
        assert_eq!(skip("# c\r# d\n\tx"), "x");
        assert_eq!(ok(word("Image endswith")), (" endswith", "Image"));
        assert_eq!(ok(keyword("not")(" NOT x")), (" x", "NOT"));
        assert!(keyword("not")("notepad").is_err());
        assert_eq!(ok(rule_id("lotl.cert-util {")), (" {", "lotl.cert-util"));
        assert_eq!(ok(number("-3.5)")), (")", -3.5));
        assert!(matches!(number("1.2.3"), Err(Err::Failure(_))));
        assert!(matches!(number("3abc"), Err(Err::Failure(_))));
        assert!(matches!(number(&"9".repeat(400)), Err(Err::Failure(_))));
    }

    #[test]
    fn strings() {
        assert_eq!(
            ok(string(r"'C:\Windows\' x")),
            (" x", r"C:\Windows\".to_string())
        );
        assert_eq!(ok(string(r#""a\"b\x41\u{263A}\0""#)).1, "a\"bA\u{263A}\0");
        assert_eq!(ok(string("'it''s'")).1, "it's");
        assert_eq!(ok(string("''''")).1, "'");
        assert_eq!(ok(string("''")).1, "");
        let unterminated = |s: &str| match string(s) {
            Err(Err::Failure(e)) => e.at.len() == s.len(),
            _ => false,
        };
        assert!(unterminated("'open\n'"));
        assert!(unterminated("\"open\\"));
        assert!(unterminated("\"open\\\n\""));
        let at_backslash = |s: &str, at: usize| match string(s) {
            Err(Err::Failure(e)) => e.offset(s) == at,
            _ => false,
        };
        assert!(at_backslash(r#""ab\q""#, 3));
        assert!(at_backslash(r#""\x80""#, 1));
        assert!(at_backslash(r#""\u{110000}""#, 1));
        assert!(at_backslash(r#""\u{}""#, 1));
    }
}
