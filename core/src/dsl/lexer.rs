//! The lexemes of the rule language, parsed with nom: blanks and comments,
//! identifiers, strings, numbers.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, not_line_ending, satisfy};
use nom::combinator::{opt, recognize};
use nom::multi::many0_count;
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};

/// Whitespace and `#` comments.
pub(super) fn blank(input: &str) -> &str {
    let r: IResult<&str, usize> = many0_count(alt((
        take_while1(char::is_whitespace),
        recognize(preceded(char('#'), not_line_ending)),
    )))
    .parse(input);
    r.map_or(input, |(rest, _)| rest)
}

/// `[A-Za-z_][A-Za-z0-9_]*`: field names and keywords.
pub(super) fn word(input: &str) -> Option<(&str, &str)> {
    let r: IResult<&str, &str> = recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(input);
    r.ok()
}

/// A rule id: `[A-Za-z_][A-Za-z0-9_.-]*`.
pub(super) fn rule_id(input: &str) -> Option<(&str, &str)> {
    let r: IResult<&str, &str> = recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')),
    ))
    .parse(input);
    r.ok()
}

/// A bare tag: `[A-Za-z0-9_.-]+`.
pub(super) fn bare_tag(input: &str) -> Option<(&str, &str)> {
    let r: IResult<&str, &str> =
        take_while1(|c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).parse(input);
    r.ok()
}

/// `-?[0-9]+(\.[0-9]+)?`.
pub(super) fn number(input: &str) -> Option<(&str, &str)> {
    let r: IResult<&str, &str> = recognize((
        opt(char('-')),
        digit1,
        opt(pair(char('.'), digit1)),
    ))
    .parse(input);
    r.ok()
}

/// One of the comparison symbols, longest first.
pub(super) fn symbol(input: &str) -> Option<(&str, &str)> {
    let r: IResult<&str, &str> =
        alt((tag("=="), tag("!="), tag("<="), tag(">="), tag("<"), tag(">"))).parse(input);
    r.ok()
}

/// Why a string could not be read, and the byte offset (from the string's
/// start) to point at.
pub(super) struct StringError {
    pub offset: usize,
    pub message: String,
}

/// A `'...'` or `"..."` string at the start of `input`: its value and the rest.
pub(super) fn string(input: &str) -> Result<(String, &str), StringError> {
    let mut chars = input.char_indices();
    let quote = match chars.next() {
        Some((_, q @ ('\'' | '"'))) => q,
        _ => {
            return Err(StringError {
                offset: 0,
                message: "expected a string ('...' or \"...\")".into(),
            })
        }
    };
    let unterminated = || StringError {
        offset: 0,
        message: "unterminated string".into(),
    };
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' | '\r' => return Err(unterminated()),
            '\'' if quote == '\'' => {
                if input[i + 1..].starts_with('\'') {
                    chars.next();
                    out.push('\'');
                } else {
                    return Ok((out, &input[i + 1..]));
                }
            }
            '"' if quote == '"' => return Ok((out, &input[i + 1..])),
            '\\' if quote == '"' => {
                let Some((_, e)) = chars.next() else {
                    return Err(unterminated());
                };
                let bad = |message: String| StringError { offset: i, message };
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    'x' => {
                        let hex: String = (0..2).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        match u8::from_str_radix(&hex, 16) {
                            Ok(v) if v <= 0x7f && hex.len() == 2 => out.push(v as char),
                            _ => return Err(bad(format!("invalid escape '\\x{hex}' (expected two hex digits up to 7F)"))),
                        }
                    }
                    'u' => {
                        if chars.next().map(|(_, c)| c) != Some('{') {
                            return Err(bad("invalid escape: expected '\\u{HEX}'".into()));
                        }
                        let mut hex = String::new();
                        loop {
                            match chars.next() {
                                Some((_, '}')) => break,
                                Some((_, h)) if h.is_ascii_hexdigit() && hex.len() < 6 => hex.push(h),
                                _ => return Err(bad("invalid escape: expected '\\u{HEX}' with 1 to 6 hex digits".into())),
                            }
                        }
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(c) => out.push(c),
                            None => return Err(bad(format!("'\\u{{{hex}}}' is not a Unicode scalar value"))),
                        }
                    }
                    other => return Err(bad(format!("unknown escape '\\{other}'"))),
                }
            }
            _ => out.push(c),
        }
    }
    Err(unterminated())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexemes() {
        assert_eq!(blank("  # c\n  x"), "x");
        assert_eq!(word("Image endswith"), Some((" endswith", "Image")));
        assert_eq!(rule_id("lotl.cert-util {"), Some((" {", "lotl.cert-util")));
        assert_eq!(number("-3.5)"), Some((")", "-3.5")));
        assert_eq!(symbol("<= 3"), Some((" 3", "<=")));
        let (s, rest) = string(r"'C:\Windows\' x").ok().unwrap();
        assert_eq!((s.as_str(), rest), (r"C:\Windows\", " x"));
        let (s, _) = string(r#""a\"b\x41\u{263A}""#).ok().unwrap();
        assert_eq!(s, "a\"bA\u{263A}");
        let (s, _) = string("'it''s'").ok().unwrap();
        assert_eq!(s, "it's");
        assert!(string("'open\n'").is_err());
        assert!(string(r#""\q""#).is_err());
    }
}
