//! Evaluating a candidate rule on one event from the automata's hits, and
//! collecting the evidence of a match.

use super::{Evidence, Hit};
use crate::pattern::cidr::parse_address;
use crate::compile::{parse_number, Anchor, CExpr, CPred, Rules};

pub(crate) struct Ctx<'a> {
    pub rules: &'a Rules,
    /// Each input's value in this event.
    pub values: &'a [Option<&'a str>],
    pub hits: &'a [Hit],
    pub generation: u32,
}

impl Ctx<'_> {
    pub fn eval(&self, e: &CExpr) -> bool {
        match e {
            CExpr::And(xs) => xs.iter().all(|x| self.eval(x)),
            CExpr::Or(xs) => xs.iter().any(|x| self.eval(x)),
            CExpr::Not(x) => !self.eval(x),
            CExpr::Pred(p) => self.pred(&self.rules.preds[*p as usize]),
        }
    }

    fn hit(&self, pattern: u32) -> Option<&Hit> {
        let h = &self.hits[pattern as usize];
        (h.generation == self.generation).then_some(h)
    }

    fn found(&self, pattern: u32, anchor: Anchor) -> bool {
        self.hit(pattern).is_some_and(|h| match anchor {
            Anchor::Anywhere => true,
            Anchor::Start => h.at_start,
            Anchor::End => h.at_end,
            Anchor::Whole => h.whole,
        })
    }

    fn value(&self, input: u16) -> Option<&str> {
        self.values.get(input as usize).copied().flatten()
    }

    fn pred(&self, p: &CPred) -> bool {
        match p {
            CPred::Literal {
                anchor,
                all,
                patterns,
                ..
            } => {
                if *all {
                    patterns.iter().all(|&id| self.found(id, *anchor))
                } else {
                    patterns.iter().any(|&id| self.found(id, *anchor))
                }
            }
            CPred::IsEmpty { input } => self.value(*input) == Some(""),
            // A regex's necessary literals (a glob's literal part): unless the
            // automaton found one, the regex cannot match and is not run.
            CPred::Regex {
                input, regex, atoms, ..
            } => {
                (atoms.is_empty() || atoms.iter().any(|&a| self.hit(a).is_some()))
                    && self.value(*input).is_some_and(|v| regex.is_match(v))
            }
            CPred::Exists { input } => self.value(*input).is_some(),
            CPred::NumEq { input, values } => self
                .value(*input)
                .and_then(parse_number)
                .is_some_and(|n| values.contains(&n)),
            CPred::NumCmp { input, op, value } => self
                .value(*input)
                .and_then(parse_number)
                .is_some_and(|n| op.holds(n, *value)),
            CPred::Cidr { input, nets, .. } => self
                .value(*input)
                .and_then(parse_address)
                .is_some_and(|ip| nets.iter().any(|n| n.contains(ip))),
            CPred::SameAs { input, other, cased } => match (self.value(*input), self.value(*other)) {
                (Some(a), Some(b)) if *cased => a == b,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            },
        }
    }

    /// Evidence for every positive literal or regex predicate that holds.
    pub fn evidence(&self, e: &CExpr, out: &mut Vec<Evidence>) {
        match e {
            CExpr::And(xs) | CExpr::Or(xs) => xs.iter().for_each(|x| self.evidence(x, out)),
            CExpr::Not(_) => {}
            CExpr::Pred(i) => {
                let p = &self.rules.preds[*i as usize];
                if !self.pred(p) {
                    return;
                }
                let input = p.input();
                let Some(value) = self.value(input) else {
                    return;
                };
                let field = &self.rules.inputs[input as usize].name;
                let mut push = |pattern: &str, start: usize, end: usize| {
                    out.push(Evidence {
                        field: field.clone(),
                        pattern: pattern.to_string(),
                        start,
                        end,
                        matched: value.get(start..end).unwrap_or("").to_string(),
                    })
                };
                match p {
                    CPred::Literal {
                        anchor,
                        patterns,
                        shown,
                        ..
                    } => {
                        for (k, &id) in patterns.iter().enumerate() {
                            if !self.found(id, *anchor) {
                                continue;
                            }
                            let Some(h) = self.hit(id) else { continue };
                            let len = self.rules.patterns[id as usize].bytes.len();
                            let (start, end) = match anchor {
                                Anchor::Anywhere => (h.first.0 as usize, h.first.1 as usize),
                                Anchor::Start => (0, len),
                                Anchor::End => (value.len().saturating_sub(len), value.len()),
                                Anchor::Whole => (0, value.len()),
                            };
                            let shown = shown.get(k).map_or("", String::as_str);
                            push(shown, start, end);
                        }
                    }
                    CPred::Regex { regex, shown, .. } => {
                        if let Some(m) = regex.find(value) {
                            push(shown, m.start(), m.end());
                        }
                    }
                    CPred::Cidr { nets, shown, .. } => {
                        let ip = parse_address(value);
                        let hit = nets.iter().position(|n| ip.is_some_and(|ip| n.contains(ip)));
                        let shown = hit.and_then(|k| shown.get(k)).map_or("", String::as_str);
                        push(shown, 0, value.len());
                    }
                    CPred::SameAs { other, .. } => {
                        let name = &self.rules.inputs[*other as usize].name;
                        push(name, 0, value.len());
                    }
                    _ => {}
                }
            }
        }
    }
}
