//! Necessary atoms: for each rule, a set of patterns at least one of which
//! occurs in every event the rule matches.
//!
//! A rule is only evaluated when one of its atoms was found by the automata.
//! The set is computed from the condition: a positive literal predicate
//! contributes its patterns; `and` needs only one child's set (the one with
//! the rarest-looking patterns); `or` needs every child to have a set and
//! takes their union; `not`, existence, numbers and regexes without a literal
//! give none. A rule with no set is evaluated on every event of its kind.

use super::{CExpr, CPred, Pattern};

/// The rule's necessary atoms, or `None` when it has none. `common[input]`
/// marks inputs whose values most events share (`Channel`): `and` picks
/// their sets last, since such an atom admits nearly every event of a log
/// (a Sigma logsource condition would otherwise make each of a thousand
/// rules a candidate on every Sysmon event).
pub(crate) fn necessary_atoms(
    expr: &CExpr,
    preds: &[CPred],
    patterns: &[Pattern],
    common: &[bool],
) -> Option<Vec<u32>> {
    match expr {
        CExpr::Pred(i) => match &preds[*i as usize] {
            CPred::Literal {
                patterns: ids, all, ..
            } => {
                if *all {
                    // Every pattern must occur; the longest alone is necessary.
                    ids.iter()
                        .max_by_key(|&&id| patterns[id as usize].bytes.len())
                        .map(|&id| vec![id])
                } else {
                    Some(ids.clone())
                }
            }
            CPred::Regex { atom, .. } => atom.map(|a| vec![a]),
            _ => None,
        },
        CExpr::And(xs) => xs
            .iter()
            .filter_map(|x| necessary_atoms(x, preds, patterns, common))
            .max_by_key(|set| score(set, patterns, common)),
        CExpr::Or(xs) => {
            let mut all = Vec::new();
            for x in xs {
                all.extend(necessary_atoms(x, preds, patterns, common)?);
            }
            all.sort_unstable();
            all.dedup();
            (!all.is_empty()).then_some(all)
        }
        CExpr::Not(_) => None,
    }
}

/// How selective a set looks: not on a common field first, then longer
/// shortest pattern, then fewer patterns.
fn score(set: &[u32], patterns: &[Pattern], common: &[bool]) -> (bool, usize, std::cmp::Reverse<usize>) {
    let shortest = set
        .iter()
        .map(|&id| patterns[id as usize].bytes.len())
        .min()
        .unwrap_or(0);
    let rare = !set
        .iter()
        .any(|&id| common.get(patterns[id as usize].input as usize).copied().unwrap_or(false));
    (rare, shortest.min(8), std::cmp::Reverse(set.len()))
}
