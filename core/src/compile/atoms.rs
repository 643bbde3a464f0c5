//! Necessary atoms: for each rule, a few sets of patterns such that every
//! event the rule matches contains at least one pattern of each set.
//!
//! A rule is only evaluated once the automata have found a pattern of each of
//! its sets. The sets come from the condition:
//! - a positive literal predicate gives one set, its patterns (with `all`,
//!   each pattern is a set of its own);
//! - `and` needs all of its children, so it keeps every child's sets;
//! - `or` needs one child, of unknown choice (every child must have sets):
//!   `(A and B) or C` needs `A or C` and `B or C`, so the children's sets
//!   are crossed into unions while there are at most [`MAX_SETS`]; past
//!   that a child contributes only its most selective set;
//! - `not`, existence, numbers and regexes without a literal give none.
//!
//! A rule with no set is evaluated on every event of its kind.
//!
//! Why several sets rather than one: a typical Sigma rule is
//! `Image endswith '\powershell.exe' and CommandLine contains any (...)`.
//! With one set, every PowerShell process in a fleet made the rule a
//! candidate; with both, only one whose command line also has a suspicious
//! word does. On generated Sysmon events with the 1,183 process_creation
//! rules this took evaluations from 20 to a few per event.

use super::{CExpr, CPred, Pattern};

/// The most sets a rule keeps (the most selective ones): each set found is
/// a bit of a per-rule mask in the scanner.
pub(crate) const MAX_SETS: usize = 4;

/// The rule's necessary atom sets (at most [`MAX_SETS`], none empty), or
/// `None` when it has none. `common[input]` marks inputs whose values most
/// events share (`Channel`): their sets are dropped when the rule has any
/// other, since such an atom is found in nearly every event of a log (a Sigma
/// logsource condition would otherwise be found for a thousand rules on every
/// Sysmon event).
pub(crate) fn necessary_atoms(
    expr: &CExpr,
    preds: &[CPred],
    patterns: &[Pattern],
    common: &[bool],
) -> Option<Vec<Vec<u32>>> {
    let mut sets = conjunction(expr, preds, patterns, common)?;
    if sets.iter().any(Vec::is_empty) {
        // A set nothing can satisfy would make the rule never a candidate;
        // evaluate it instead, which gives the verdict its condition gives.
        return None;
    }
    sets.sort_by_cached_key(|s| std::cmp::Reverse(score(s, patterns, common)));
    sets.dedup();
    if sets.first().is_some_and(|s| !is_common(s, patterns, common)) {
        sets.retain(|s| !is_common(s, patterns, common));
    }
    sets.truncate(MAX_SETS);
    Some(sets)
}

/// Sets that must each be found for `expr` to hold.
fn conjunction(expr: &CExpr, preds: &[CPred], patterns: &[Pattern], common: &[bool]) -> Option<Vec<Vec<u32>>> {
    match expr {
        CExpr::Pred(i) => match &preds[*i as usize] {
            CPred::Literal { patterns: ids, all, .. } => {
                if *all {
                    // Every pattern must occur: each is necessary on its own.
                    (!ids.is_empty()).then(|| ids.iter().map(|&id| vec![id]).collect())
                } else {
                    Some(vec![set_of(ids)])
                }
            }
            CPred::Regex { atoms, .. } => (!atoms.is_empty()).then(|| vec![set_of(atoms)]),
            _ => None,
        },
        CExpr::And(xs) => {
            let sets: Vec<Vec<u32>> = xs
                .iter()
                .filter_map(|x| conjunction(x, preds, patterns, common))
                .flatten()
                .collect();
            (!sets.is_empty()).then_some(sets)
        }
        CExpr::Or(xs) => {
            // (A and B) or C needs (A or C) and (B or C): the sets of the
            // children are crossed while there are at most MAX_SETS of them;
            // past that, a child gives only its most selective set.
            let mut acc: Option<Vec<Vec<u32>>> = None;
            for x in xs {
                let mut sets = conjunction(x, preds, patterns, common)?;
                sets.sort_by_cached_key(|s| std::cmp::Reverse(score(s, patterns, common)));
                sets.truncate(MAX_SETS);
                acc = Some(match acc {
                    None => sets,
                    Some(acc) if acc.len() * sets.len() <= MAX_SETS => acc
                        .iter()
                        .flat_map(|a| sets.iter().map(move |s| union(a, s)))
                        .collect(),
                    Some(acc) => acc.iter().map(|a| union(a, &sets[0])).collect(),
                });
            }
            acc
        }
        CExpr::Not(_) => None,
    }
}

/// Pattern ids as a set: sorted, each once.
fn set_of(ids: &[u32]) -> Vec<u32> {
    let mut set = ids.to_vec();
    set.sort_unstable();
    set.dedup();
    set
}

fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    set_of(&[a, b].concat())
}

fn is_common(set: &[u32], patterns: &[Pattern], common: &[bool]) -> bool {
    set.iter()
        .any(|&id| common.get(patterns[id as usize].input as usize).copied().unwrap_or(false))
}

/// How selective a set looks: not on a common field first, then longer
/// shortest pattern, then fewer patterns.
fn score(set: &[u32], patterns: &[Pattern], common: &[bool]) -> (bool, usize, std::cmp::Reverse<usize>) {
    let shortest = set
        .iter()
        .map(|&id| patterns[id as usize].bytes.len())
        .min()
        .unwrap_or(0);
    (
        !is_common(set, patterns, common),
        shortest.min(8),
        std::cmp::Reverse(set.len()),
    )
}
