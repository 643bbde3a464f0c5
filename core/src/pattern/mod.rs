//! What a rule's non-literal patterns compile to, below the rule language,
//! the Sigma loader and the compiler alike: regexes (through the `regex`
//! crate, with the size limits of [`crate::limits`]) and IP networks for
//! `cidr`. The parser and the Sigma loader check a rule's patterns with
//! these functions and the compiler builds them with the same ones, so a
//! rule that loads also compiles.

pub(crate) mod cidr;
pub(crate) mod regex;

use crate::ast::{Expr, Op, Value};
use crate::limits::{MAX_PATTERNS_PER_RULE, MAX_PATTERN_BYTES};

/// Checks a rule's condition against [`MAX_PATTERNS_PER_RULE`] and
/// [`MAX_PATTERN_BYTES`]: the parser, the Sigma loader and the compiler call
/// it, so a rule past them is an error wherever it comes from. Every string
/// a predicate looks for counts as one pattern (literals, `in` values,
/// globs, regexes, networks).
pub(crate) fn check_patterns(when: &Expr) -> Result<(), String> {
    let mut count = 0usize;
    count_patterns(when, &mut count)?;
    if count > MAX_PATTERNS_PER_RULE {
        return Err(format!(
            "{count} patterns in one rule: at most {MAX_PATTERNS_PER_RULE} (limits::MAX_PATTERNS_PER_RULE)"
        ));
    }
    Ok(())
}

fn count_patterns(e: &Expr, count: &mut usize) -> Result<(), String> {
    let pred = match e {
        Expr::And(xs) | Expr::Or(xs) => return xs.iter().try_for_each(|x| count_patterns(x, count)),
        Expr::Not(x) => return count_patterns(x, count),
        Expr::Pred(p) => p,
    };
    let one = std::slice::from_ref;
    let strings: &[String] = match &pred.op {
        Op::Contains(_, pats) | Op::StartsWith(pats) | Op::EndsWith(pats) | Op::Cidr(pats) => pats,
        Op::Like(s) | Op::Matches(s) => one(s),
        Op::Eq(Value::Str(s)) | Op::Ne(Value::Str(s)) => one(s),
        Op::In(values) => {
            for v in values {
                if let Value::Str(s) = v {
                    check_length(s)?;
                }
            }
            *count = count.saturating_add(values.len());
            return Ok(());
        }
        Op::Eq(Value::Num(_)) | Op::Ne(Value::Num(_)) => {
            *count = count.saturating_add(1);
            return Ok(());
        }
        Op::Exists | Op::Cmp(..) | Op::SameAs(_) => &[],
    };
    strings.iter().try_for_each(|s| check_length(s))?;
    *count = count.saturating_add(strings.len());
    Ok(())
}

fn check_length(s: &str) -> Result<(), String> {
    if s.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "a pattern of {} bytes: at most {MAX_PATTERN_BYTES} (limits::MAX_PATTERN_BYTES)",
            s.len()
        ));
    }
    Ok(())
}
