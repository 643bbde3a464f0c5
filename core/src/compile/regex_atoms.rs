//! Literals a regex cannot match without: the atoms of `matches` predicates.
//!
//! Without an atom, a rule whose only positive test is a regex is evaluated
//! on every event of its kind, and its regex run over the value: with the
//! SigmaHQ process_creation rules that was ten rules on every event (the
//! Invoke-Obfuscation family, `ipconfig\s+/all`...). Here the regex's syntax
//! tree is walked for a set of literals one of which occurs in every match:
//! `ipconfig\s+/all` gives `ipconfig`, `(?:ipconfig|arp)\s` gives both.
//!
//! The automata ignore ASCII case and nothing else, so a literal may only
//! hold characters that the regex matches as themselves or as their ASCII
//! case pair. A case-insensitive `k` also matches the Kelvin sign, and `s`
//! the long s: such a class ends a literal rather than join it, so that an
//! atom is never missing from a value the regex matches.

use regex_syntax::hir::{Class, Hir, HirKind};

/// The most literals an atom set may have before it is not worth having.
const MAX_LITERALS: usize = 64;

/// A set of literals one of which occurs in every match of `re`, or `None`
/// when there is no useful one (or `re` does not parse, which the regex
/// crate reports). `re` is the pattern as the `regex` crate compiles it.
pub(crate) fn necessary_literals(re: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        // Rule regexes are bounded by the compiler; this walk is too.
        .nest_limit(256)
        .build()
        .parse(re)
        .ok()?;
    let set = analyse(&hir).necessary?;
    (!set.is_empty() && set.len() <= MAX_LITERALS && set.iter().all(|l| !l.is_empty())).then_some(set)
}

struct Info {
    /// The one string (up to ASCII case) the node matches, if it matches one.
    exact: Option<Vec<u8>>,
    /// Literals one of which every match of the node contains.
    necessary: Option<Vec<Vec<u8>>>,
}

impl Info {
    fn none() -> Info {
        Info {
            exact: None,
            necessary: None,
        }
    }

    fn exact(bytes: Vec<u8>) -> Info {
        let necessary = (!bytes.is_empty()).then(|| vec![bytes.clone()]);
        Info {
            exact: Some(bytes),
            necessary,
        }
    }
}

fn analyse(hir: &Hir) -> Info {
    match hir.kind() {
        // Assertions and the empty regex consume nothing: they keep their
        // neighbours contiguous.
        HirKind::Empty | HirKind::Look(_) => Info::exact(Vec::new()),
        HirKind::Literal(lit) => Info::exact(lit.0.to_vec()),
        HirKind::Class(class) => match single_char(class) {
            Some(bytes) => Info::exact(bytes),
            None => Info::none(),
        },
        HirKind::Capture(cap) => analyse(&cap.sub),
        HirKind::Repetition(rep) => {
            if rep.min == 0 {
                return Info::none();
            }
            let sub = analyse(&rep.sub);
            if rep.max == Some(1) {
                sub
            } else {
                Info {
                    exact: None,
                    necessary: sub.necessary,
                }
            }
        }
        HirKind::Concat(subs) => concat(subs),
        HirKind::Alternation(subs) => {
            let mut union = Vec::new();
            for sub in subs {
                let Some(set) = analyse(sub).necessary else {
                    return Info::none();
                };
                union.extend(set);
                if union.len() > MAX_LITERALS {
                    return Info::none();
                }
            }
            union.sort_unstable();
            union.dedup();
            Info {
                exact: None,
                necessary: Some(union),
            }
        }
    }
}

/// A concatenation: runs of exact children join into longer literals; the
/// best of those runs and of the children's own sets is kept.
fn concat(subs: &[Hir]) -> Info {
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut consider = |set: Vec<Vec<u8>>| {
        if best.as_ref().is_none_or(|b| score(&set) > score(b)) {
            best = Some(set);
        }
    };
    let mut run: Vec<u8> = Vec::new();
    let mut all_exact = true;
    for sub in subs {
        let info = analyse(sub);
        match info.exact {
            Some(bytes) => run.extend_from_slice(&bytes),
            None => {
                all_exact = false;
                if !run.is_empty() {
                    consider(vec![std::mem::take(&mut run)]);
                }
                if let Some(set) = info.necessary {
                    consider(set);
                }
            }
        }
    }
    if all_exact {
        return Info::exact(run);
    }
    if !run.is_empty() {
        consider(vec![run]);
    }
    Info {
        exact: None,
        necessary: best,
    }
}

/// Longer shortest literal first (up to 8 bytes, past which all are rare
/// enough), then fewer literals.
fn score(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    let shortest = set.iter().map(Vec::len).min().unwrap_or(0);
    (shortest.min(8), std::cmp::Reverse(set.len()))
}

/// The bytes of the one character a class matches, up to ASCII case: `[a]`,
/// or `[Aa]` as `(?i)a` gives it. Not `(?i)k` (also the Kelvin sign) nor any
/// class with a character of other cases outside ASCII.
fn single_char(class: &Class) -> Option<Vec<u8>> {
    let mut chars: Vec<char> = Vec::new();
    match class {
        Class::Unicode(c) => {
            for r in c.iter() {
                if (r.end() as u32 - r.start() as u32) > 1 || chars.len() > 2 {
                    return None;
                }
                chars.push(r.start());
                if r.end() != r.start() {
                    chars.push(r.end());
                }
            }
        }
        Class::Bytes(c) => {
            for r in c.iter() {
                if r.end() - r.start() > 1 || chars.len() > 2 {
                    return None;
                }
                if !r.start().is_ascii() || !r.end().is_ascii() {
                    return None;
                }
                chars.push(r.start() as char);
                if r.end() != r.start() {
                    chars.push(r.end() as char);
                }
            }
        }
    }
    match chars[..] {
        [c] => {
            let mut buf = [0u8; 4];
            Some(c.encode_utf8(&mut buf).as_bytes().to_vec())
        }
        [a, b] if a.is_ascii() && b.is_ascii() && a != b && a.eq_ignore_ascii_case(&b) => {
            Some(vec![a.to_ascii_lowercase() as u8])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(re: &str) -> Option<Vec<String>> {
        necessary_literals(re).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn sigma_shapes() {
        assert_eq!(lits(r"ipconfig\s+/all"), Some(vec!["ipconfig".into()]));
        assert_eq!(lits(r"(?i)echo.*clip.*&&"), Some(vec!["echo".into()]));
        assert_eq!(
            lits(r"\$PSHome\[\s*\d{1,3}\s*\]\s*\+\s*\$PSHome\["),
            Some(vec!["$PSHome[".into()])
        );
        assert_eq!(lits(r"(?:arp|route)\s+print"), Some(vec!["print".into()]));
        assert_eq!(lits(r"(?:arp|route)\s+-a"), Some(vec!["arp".into(), "route".into()]));
        // `(?i)` classes join runs; `k` and `s` do not (Kelvin sign, long s).
        assert_eq!(lits(r"(?i)invoke"), Some(vec!["invo".into()]));
        assert_eq!(lits(r"(?i)\.exe[\x22']?\s+"), Some(vec![".exe".into()]));
    }

    #[test]
    fn nothing_necessary() {
        assert_eq!(lits(r"\w+\s*\d"), None);
        assert_eq!(lits(r"(?:abc)?xyz|\d"), None);
        assert_eq!(lits(r"a*"), None);
        assert_eq!(lits(r"(unclosed"), None);
    }

    #[test]
    fn every_match_contains_one_literal() {
        let cases = [
            (r"(?i)echo.*clip", "ECHO x CLIP"),
            (r"(?i)nbtstat\s+-n", "NbtStat  -N"),
            (r"cmd.{0,5}(?:/c|/r)", "cmd.exe /r"),
            (r"(?i)\$\{`?e`?n`?v`?:`?p`?a`?t`?h`?\}", "${e`nv:pAth}"),
            (r"(?i)ab(?:cd|ef)+gh", "AbEfCdGH"),
        ];
        for (re, text) in cases {
            let set = necessary_literals(re).unwrap_or_else(|| panic!("{re}: no literal"));
            assert!(regex::Regex::new(re).unwrap().is_match(text));
            let lower = text.to_ascii_lowercase();
            assert!(
                set.iter()
                    .any(|l| lower.contains(&String::from_utf8_lossy(l).to_ascii_lowercase())),
                "{re}: {set:?} not in {text}"
            );
        }
    }

    use proptest::prelude::*;

    /// Regexes built from pieces that exercise every branch of the walk.
    fn regex() -> impl Strategy<Value = String> {
        let atom = prop::sample::select(vec![
            "a", "b", "k", "s", "K", "x", ".", r"\s", r"\d", "[ab]", "[aA]", "(?i:a)", "(?i:k)", "é", "^", "$", r"\b",
        ])
        .prop_map(String::from);
        atom.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.concat()),
                prop::collection::vec(inner.clone(), 2..3).prop_map(|v| format!("(?:{})", v.join("|"))),
                (inner.clone(), prop::sample::select(vec!["?", "*", "+", "{2}", "{1,3}"]))
                    .prop_map(|(r, q)| format!("(?:{r}){q}")),
                inner.prop_map(|r| format!("(?i:{r})")),
            ]
        })
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["a", "A", "b", "k", "K", "\u{212A}", "s", "\u{17F}", "x", " ", "1", "é", "É"]), 0..12)
            .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The soundness the atoms rest on: whenever the regex matches, one
        /// literal occurs in the text, ignoring ASCII case only.
        #[test]
        fn a_match_always_contains_a_literal(re in regex(), text in text()) {
            let Ok(compiled) = regex::Regex::new(&re) else { return Ok(()) };
            if let (Some(set), true) = (necessary_literals(&re), compiled.is_match(&text)) {
                let hay = text.as_bytes();
                prop_assert!(
                    set.iter().any(|l| hay.windows(l.len()).any(|w| w.eq_ignore_ascii_case(l))),
                    "{re} matches {text:?} but none of {set:?} occurs"
                );
            }
        }
    }
}
