//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of NAME*`,
//! `all of NAME*`, `1 of them`, `all of them`, with `not` > `and` > `or`.

use std::collections::BTreeMap;

use crate::ast::Expr;

/// Parses `condition` over the named selections, already converted.
pub(super) fn parse(condition: &str, selections: &BTreeMap<String, Expr>) -> Result<Expr, String> {
    let tokens = tokenize(condition)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        selections,
        depth: 0,
    };
    let e = p.or()?;
    match p.tokens.get(p.pos) {
        None => Ok(e),
        Some(t) => Err(format!("unexpected '{t}' in condition")),
    }
}

fn tokenize(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            '|' => return Err("pipes (aggregations) in conditions are not supported".into()),
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<String>,
    pos: usize,
    selections: &'a BTreeMap<String, Expr>,
    depth: usize,
}

impl Parser<'_> {
    fn peek_is(&self, word: &str) -> bool {
        self.tokens
            .get(self.pos)
            .is_some_and(|t| t.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.and()?];
        while self.peek_is("or") {
            self.pos += 1;
            xs.push(self.and()?);
        }
        Ok(if xs.len() == 1 { xs.remove(0) } else { Expr::Or(xs) })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut xs = vec![self.unary()?];
        while self.peek_is("and") {
            self.pos += 1;
            xs.push(self.unary()?);
        }
        Ok(if xs.len() == 1 { xs.remove(0) } else { Expr::And(xs) })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > crate::limits::MAX_CONDITION_DEPTH {
            return Err(format!(
                "condition nested deeper than {} levels of parentheses and 'not'",
                crate::limits::MAX_CONDITION_DEPTH
            ));
        }
        let r = self.primary();
        self.depth -= 1;
        r
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(t) = self.next() else {
            return Err("condition ends too early".into());
        };
        if t.eq_ignore_ascii_case("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if t == "(" {
            let e = self.or()?;
            return match self.next().as_deref() {
                Some(")") => Ok(e),
                _ => Err("missing ')' in condition".into()),
            };
        }
        let quantifier = t == "1" || t.eq_ignore_ascii_case("all") || t.eq_ignore_ascii_case("any");
        if quantifier && self.peek_is("of") {
            self.pos += 1;
            let target = self.next().ok_or("'of' needs a name pattern or 'them'")?;
            return self.quantified(t.eq_ignore_ascii_case("all"), &target);
        }
        match self.selections.get(&t) {
            Some(e) => Ok(e.clone()),
            None => Err(format!("condition names '{t}', which is not a selection")),
        }
    }

    fn quantified(&self, all: bool, target: &str) -> Result<Expr, String> {
        let matched: Vec<Expr> = self
            .selections
            .iter()
            .filter(|(name, _)| {
                if target.eq_ignore_ascii_case("them") {
                    !name.starts_with('_')
                } else if let Some(prefix) = target.strip_suffix('*') {
                    name.starts_with(prefix)
                } else {
                    name.as_str() == target
                }
            })
            .map(|(_, e)| e.clone())
            .collect();
        match matched.len() {
            0 => Err(format!("'{target}' matches no selection")),
            1 => Ok(matched.into_iter().next().unwrap_or(Expr::Or(Vec::new()))),
            _ if all => Ok(Expr::And(matched)),
            _ => Ok(Expr::Or(matched)),
        }
    }
}
