//! Conditions (`when:`): `or` over `and` over `not` and parentheses, down to
//! predicates (`FIELD OPERATOR VALUE`), with the positioned errors of
//! [`super::parser`].

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::char;
use nom::combinator::{map, verify};
use nom::sequence::preceded;
use nom::{Err, Parser};

use super::lexer::{
    blank, failure, found, keyword, list_next, number, skip, string, symbol, word, PError, PResult,
};
use super::parser::{expect, starts_block, value_token, MAX_DEPTH};
use crate::ast::{CmpOp, Expr, Field, FieldForm, Op, Predicate, Quantifier};
use crate::schema;

const OPERATORS: &str =
    "==, !=, contains, startswith, endswith, like, matches, in, cidr, sameas, exists, <, <=, >, >=";

pub(super) fn when_end(input: &str) -> PResult<'_, ()> {
    let at = skip(input);
    let next_key = word(at).is_ok_and(|(r, _)| skip(r).starts_with(':'));
    if at.is_empty() || at.starts_with('}') || next_key {
        return Ok((input, ()));
    }
    if at.starts_with(')') {
        return Err(failure(at, "unbalanced ')': no '(' to close"));
    }
    if let Some(next) = starts_block(at) {
        return Err(failure(
            at,
            format!("expected '}}' to end the rule, found '{next}'"),
        ));
    }
    Err(failure(
        at,
        format!(
            "expected 'and', 'or', the next key or '}}' after the condition, found {}",
            found(at)
        ),
    ))
}

/// One `Or` of two or more, or the one expression.
fn group(mut xs: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    match xs.len() {
        1 => xs.pop().unwrap_or_else(|| make(Vec::new())),
        _ => make(xs),
    }
}

// The recursive part of the grammar is three plain functions around nom's
// token parsers, not nested combinators: each level of nesting then costs
// three small stack frames, even in debug builds, and [`MAX_DEPTH`] levels
// fit easily in a thread's stack.

/// `a or b or ...`. `depth` counts the parentheses and `not`s around.
pub(super) fn or_expr(input: &str, depth: usize) -> PResult<'_, Expr> {
    let (mut rest, first) = and_expr(input, depth)?;
    let mut xs = vec![first];
    while let Ok((after_or, _)) = keyword("or")(rest) {
        let (r, x) = and_expr(after_or, depth)?;
        xs.push(x);
        rest = r;
    }
    Ok((rest, group(xs, Expr::Or)))
}

/// `a and b and ...`.
fn and_expr(input: &str, depth: usize) -> PResult<'_, Expr> {
    let (mut rest, first) = unary(input, depth)?;
    let mut xs = vec![first];
    while let Ok((after_and, _)) = keyword("and")(rest) {
        let (r, x) = unary(after_and, depth)?;
        xs.push(x);
        rest = r;
    }
    Ok((rest, group(xs, Expr::And)))
}

/// `not x`, `( x )` or a predicate. Commits: never a plain `Error`.
fn unary(input: &str, depth: usize) -> PResult<'_, Expr> {
    let at = skip(input);
    let Some((rest, is_not)) = opener(at) else {
        return leaf(at);
    };
    if depth >= MAX_DEPTH {
        return Err(too_deep(at));
    }
    if is_not {
        let (rest, x) = unary(rest, depth + 1)?;
        Ok((rest, Expr::Not(Box::new(x))))
    } else {
        let (rest, x) = or_expr(rest, depth + 1)?;
        let (rest, ()) = close_paren(rest)?;
        Ok((rest, x))
    }
}

// The helpers of `unary` are functions of their own so that its stack frame,
// repeated at every level, stays small.

/// `not` (true) or `(` (false) at `at`, and what follows.
fn opener(at: &str) -> Option<(&str, bool)> {
    if let Ok((rest, _)) = keyword("not")(at) {
        return Some((rest, true));
    }
    symbol('(')(at).ok().map(|(rest, _)| (rest, false))
}

#[inline(never)]
fn leaf(at: &str) -> PResult<'_, Expr> {
    map(predicate, Expr::Pred).parse(at)
}

#[inline(never)]
fn too_deep(at: &str) -> Err<PError<'_>> {
    failure(
        at,
        format!("condition nested deeper than {MAX_DEPTH} levels of parentheses and 'not'"),
    )
}

#[inline(never)]
fn close_paren(input: &str) -> PResult<'_, ()> {
    let (rest, _) = expect(symbol(')'), "')' to close '('")(input)?;
    Ok((rest, ()))
}

/// `NAME`, `NAME.raw` or `NAME.decoded`.
fn field(input: &str) -> PResult<'_, Field> {
    let at = skip(input);
    let (rest, name) = word(at).map_err(|_| {
        failure(
            at,
            format!(
                "expected a condition (a field name, 'not' or '('), found {}",
                found(at)
            ),
        )
    })?;
    if name.eq_ignore_ascii_case("and") || name.eq_ignore_ascii_case("or") {
        return Err(failure(
            at,
            format!("expected a field name, 'not' or '(', found the keyword '{name}'"),
        ));
    }
    form(rest, name)
}

/// A field outside a condition (in a correlation): `NAME`, `NAME.raw` or
/// `NAME.decoded`, else an error saying `what` was expected.
pub(super) fn named_field<'a>(input: &'a str, what: &str) -> PResult<'a, Field> {
    let at = skip(input);
    let (rest, name) =
        word(at).map_err(|_| failure(at, format!("expected {what}, found {}", found(at))))?;
    form(rest, name)
}

/// The form suffix after the field `name`, if any, and the field.
fn form<'a>(rest: &'a str, name: &str) -> PResult<'a, Field> {
    let name = schema::canonical_name(name);
    let Ok((after_dot, _)) = char::<_, PError>('.').parse(rest) else {
        return Ok((rest, Field::new(name)));
    };
    let (rest, form) = match word(after_dot) {
        Ok((r, s)) if s.eq_ignore_ascii_case("raw") => (r, FieldForm::Raw),
        Ok((r, s)) if s.eq_ignore_ascii_case("decoded") => (r, FieldForm::Decoded),
        Ok((_, s)) => {
            return Err(failure(
                after_dot,
                format!("unknown field form '.{s}' (expected .raw or .decoded)"),
            ))
        }
        Err(_) => {
            return Err(failure(
                after_dot,
                format!(
                    "expected 'raw' or 'decoded' after '{name}.', found {}",
                    found(after_dot)
                ),
            ))
        }
    };
    if form == FieldForm::Decoded && !schema::is_command_line(&name) {
        return Err(failure(
            after_dot,
            format!(
                "'{name}.decoded' does not exist: only CommandLine and ParentCommandLine have decoded text"
            ),
        ));
    }
    Ok((rest, Field { name, form }))
}

/// The operator at the start of a predicate's operation, lowercased.
fn operator(input: &str) -> PResult<'_, String> {
    const WORDS: [&str; 9] = [
        "cidr",
        "sameas",
        "contains",
        "startswith",
        "endswith",
        "like",
        "matches",
        "in",
        "exists",
    ];
    alt((
        map(
            alt((
                tag("=="),
                tag("!="),
                tag("<="),
                tag(">="),
                tag("<"),
                tag(">"),
            )),
            str::to_string,
        ),
        map(
            verify(word, |w: &str| {
                WORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
            }),
            str::to_ascii_lowercase,
        ),
    ))
    .parse(input)
}

/// `cased` at the start of `input`, if there: checked against the field,
/// and recorded in `seen`.
fn cased<'a>(input: &'a str, field: &Field, seen: &mut Option<&'a str>) -> PResult<'a, ()> {
    let at = skip(input);
    let Ok((rest, _)) = keyword("cased")(at) else {
        return Ok((input, ()));
    };
    if seen.is_some() {
        return Err(failure(at, "'cased' is given twice"));
    }
    if field.form == FieldForm::Default && schema::is_command_line(&field.name) {
        return Err(failure(
            at,
            format!(
                "'cased' cannot apply to {}: its normal form is case-folded; to match case, read the value as written with '{}.raw'",
                field.name, field.name
            ),
        ));
    }
    *seen = Some(at);
    Ok((rest, ()))
}

/// An error when `cased` stands at `input`, where it means nothing.
fn no_cased<'a>(input: &'a str, what: &str) -> Result<(), Err<PError<'a>>> {
    let at = skip(input);
    match keyword("cased")(at) {
        Ok(_) => Err(failure(at, format!("'cased' has no meaning on {what}"))),
        Err(_) => Ok(()),
    }
}

/// A non-empty string pattern.
fn pattern(input: &str) -> PResult<'_, String> {
    let at = skip(input);
    let (rest, s) = expect(string, "a string")(at)?;
    if s.is_empty() {
        return Err(failure(at, "empty pattern: give at least one character"));
    }
    Ok((rest, s))
}

/// `( item, item, ... )`: at least one item, a trailing comma allowed.
fn paren_list<'a, T>(
    input: &'a str,
    what: &str,
    mut item: impl FnMut(&'a str) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (mut rest, _) = expect(symbol('('), format!("'(' to open a list of {what}s"))(input)?;
    let mut out = Vec::new();
    loop {
        let at = skip(rest);
        if let Ok((r, _)) = char::<_, PError>(')').parse(at) {
            if out.is_empty() {
                return Err(failure(at, format!("empty list: give at least one {what}")));
            }
            return Ok((r, out));
        }
        let (r, x) = item(at)?;
        out.push(x);
        rest = list_next(r, "the list")?;
    }
}

/// `FIELD OPERATOR ...`.
fn predicate(input: &str) -> PResult<'_, Predicate> {
    let (rest, field) = field(input)?;
    let op_at = skip(rest);
    let (rest, op_word) = match operator(op_at) {
        Ok(ok) => ok,
        Err(Err::Error(_)) => {
            return Err(failure(
                op_at,
                format!(
                    "expected an operator ({OPERATORS}) after field '{field}', found {}",
                    found(op_at)
                ),
            ))
        }
        Err(e) => return Err(e),
    };
    let mut cased_at = None;
    let (rest, op) = match op_word.as_str() {
        "==" | "!=" => {
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let (rest, v) = expect(value_token, "a string or a number")(rest)?;
            (
                rest,
                if op_word == "==" {
                    Op::Eq(v)
                } else {
                    Op::Ne(v)
                },
            )
        }
        "<" | "<=" | ">" | ">=" => {
            no_cased(rest, "a numeric comparison")?;
            let cmp = match op_word.as_str() {
                "<" => CmpOp::Lt,
                "<=" => CmpOp::Le,
                ">" => CmpOp::Gt,
                _ => CmpOp::Ge,
            };
            let (rest, n) = expect(
                preceded(blank, number),
                format!("a number after '{op_word}'"),
            )(rest)?;
            (rest, Op::Cmp(cmp, n))
        }
        "contains" | "startswith" | "endswith" => {
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let quant_at = skip(rest);
            let (rest, quant) = match alt((keyword("any"), keyword("all"))).parse(quant_at) {
                Ok((r, q)) if q.eq_ignore_ascii_case("any") => (r, Some(Quantifier::Any)),
                Ok((r, _)) if op_word == "contains" => (r, Some(Quantifier::All)),
                Ok(_) => {
                    return Err(failure(
                        quant_at,
                        format!("'{op_word} all' is not an operator: use '{op_word} any (...)', or 'and' between predicates"),
                    ))
                }
                Err(_) => (rest, None),
            };
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let (rest, patterns) = match quant {
                Some(_) => paren_list(rest, "pattern", pattern)?,
                None => {
                    let (r, p) = pattern(rest)?;
                    (r, vec![p])
                }
            };
            let op = match op_word.as_str() {
                "contains" => Op::Contains(quant.unwrap_or(Quantifier::Any), patterns),
                "startswith" => Op::StartsWith(patterns),
                _ => Op::EndsWith(patterns),
            };
            (rest, op)
        }
        "like" => {
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let (rest, glob) = pattern(rest)?;
            (rest, Op::Like(glob))
        }
        "matches" => {
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let at = skip(rest);
            let (rest, re) = pattern(at)?;
            if let Err(reason) = crate::pattern::regex::build_regex(&re) {
                return Err(failure(at, format!("invalid regex: {reason}")));
            }
            (rest, Op::Matches(re))
        }
        "cidr" => {
            no_cased(rest, "'cidr'")?;
            let at = skip(rest);
            let (rest, nets) = match keyword("any").parse(at) {
                Ok((r, _)) => paren_list(r, "network", pattern)?,
                Err(_) => pattern(at).map(|(r, p)| (r, vec![p]))?,
            };
            if let Some(reason) = nets.iter().find_map(|n| crate::pattern::cidr::Net::parse(n).err()) {
                return Err(failure(at, reason));
            }
            (rest, Op::Cidr(nets))
        }
        "sameas" => {
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let at = skip(rest);
            if !at.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
                return Err(failure(at, format!("expected a field name after 'sameas', found {}", found(at))));
            }
            let (rest, other) = self::field(at)?;
            (rest, Op::SameAs(other))
        }
        "in" => {
            let (rest, ()) = cased(rest, &field, &mut cased_at)?;
            let item = expect(value_token, "a string or a number");
            paren_list(rest, "value", item).map(|(r, vs)| (r, Op::In(vs)))?
        }
        _ => {
            no_cased(rest, "'exists'")?;
            (rest, Op::Exists)
        }
    };
    let cased = cased_at.is_some();
    Ok((rest, Predicate { field, op, cased }))
}


