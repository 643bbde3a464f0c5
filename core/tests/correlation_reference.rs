//! The streaming correlator against a brute-force evaluator, for every kind
//! of measure: random streams arrive shuffled within the allowed lateness,
//! and the detections must be those of the definitions evaluated from
//! scratch at every event over the sorted stream. And a stream cut anywhere
//! with save/restore gives the detections of one pass.
//!
//! The definitions, for events sorted by time (all distinct here), a
//! correlation of window `W` and the last firing of group `g` at event `r`:
//! at an event `j` the correlation takes (its steps match, it has the group
//! value), the window is the events `i <= j` of `g` with `i > r` and
//! `t_i >= t_j - W`; the measure over that window is compared with the
//! threshold, and a firing makes `j` the group's last. Sequences need events
//! of steps 1..k in increasing order in that window, ending at `j`;
//! first-seen needs `j`'s value never seen in `g` before and `t_j` past the
//! learning period that starts at the stream's first correlated event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use landwatch::ast::{
    Correlation, EventKind, Expr, Field, GroupKey, Level, Measure, Op, Operand, Predicate, Quantifier, Source, Step,
    Threshold, ThresholdOp,
};
use landwatch::{Detection, Event, EventTime, Origin, RulesBuilder, ScanOptions, Scanner, Zones};
use proptest::prelude::*;

const BASE: i64 = 1_793_664_000_000_000_000;
const ZONES: &str = "[zones]\nnorth = ['10.1.0.0/16']\nsouth = ['10.2.0.0/16']\n";

#[derive(Debug, Clone)]
struct Ev {
    /// Milliseconds.
    t: i64,
    group: Option<&'static str>,
    /// Which steps' conditions it matches.
    steps: u8,
    value: &'static str,
    num: i32,
    addr: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Count,
    Distinct,
    DistinctZone,
    Sum,
    Avg,
    Median,
    Percentile(u8),
    Sequence,
    Temporal,
    FirstSeen,
    FirstSeenZone,
}

#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    steps: usize,
    window_ms: u64,
    op: ThresholdOp,
    value: f64,
    grouped: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    let kind = prop_oneof![
        Just(Kind::Count),
        Just(Kind::Distinct),
        Just(Kind::DistinctZone),
        Just(Kind::Sum),
        Just(Kind::Avg),
        Just(Kind::Median),
        (0u8..=100).prop_map(Kind::Percentile),
        Just(Kind::Sequence),
        Just(Kind::Temporal),
        Just(Kind::FirstSeen),
        Just(Kind::FirstSeenZone),
    ];
    (kind, 1usize..=3, 1u64..200_000, prop::sample::select(ThresholdOp::ALL.to_vec()), -4i32..12, any::<bool>())
        .prop_map(|(kind, steps, window_ms, op, value, grouped)| {
            let steps = if kind == Kind::Sequence { steps.max(2) } else { steps };
            Spec {
                kind,
                steps,
                window_ms,
                op,
                value: f64::from(value),
                grouped,
            }
        })
}

fn events() -> impl Strategy<Value = Vec<Ev>> {
    let ev = (
        prop::option::weighted(0.9, prop::sample::select(vec!["a", "A", "b", "c"])),
        1u8..8,
        prop::sample::select(vec!["x", "X", "y", "z", "w"]),
        -3i32..10,
        prop::sample::select(vec!["10.1.0.1", "10.1.9.9", "10.2.0.5", "192.0.2.1", "-"]),
    );
    (prop::collection::vec(ev, 1..50), prop::collection::hash_set(0i64..400_000, 50)).prop_map(|(evs, times)| {
        let mut times: Vec<i64> = times.into_iter().collect();
        times.sort_unstable();
        evs.into_iter()
            .zip(times)
            .map(|((group, steps, value, num, addr), t)| Ev {
                t,
                group,
                steps,
                value,
                num,
                addr,
            })
            .collect()
    })
}

fn correlation(s: &Spec) -> Correlation {
    let th = Threshold::new(s.op, s.value);
    let f = |n: &str| Field::new(n);
    let measure = match s.kind {
        Kind::Count => Measure::Count(th),
        Kind::Distinct => Measure::Distinct(Operand::Field(f("Value")), th),
        Kind::DistinctZone => Measure::Distinct(Operand::Zone(f("Addr")), th),
        Kind::Sum => Measure::Sum(f("Num"), th),
        Kind::Avg => Measure::Avg(f("Num"), th),
        Kind::Median => Measure::Median(f("Num"), th),
        Kind::Percentile(p) => Measure::Percentile(f64::from(p), f("Num"), th),
        Kind::Sequence => Measure::Sequence,
        Kind::Temporal => Measure::Temporal(Threshold::new(s.op, s.value.clamp(0.0, 3.0))),
        Kind::FirstSeen => Measure::FirstSeen(Operand::Field(f("Value"))),
        Kind::FirstSeenZone => Measure::FirstSeen(Operand::Zone(f("Addr"))),
    };
    let steps = (0..s.steps)
        .map(|k| Step {
            label: None,
            source: Source::Inline {
                on: EventKind::Any,
                when: Expr::Pred(Predicate {
                    field: f("Tag"),
                    op: Op::Contains(Quantifier::Any, vec![format!("s{k}")]),
                    cased: false,
                }),
            },
        })
        .collect();
    Correlation {
        id: "c".into(),
        title: "c".into(),
        level: Level::High,
        tags: Vec::new(),
        references: Vec::new(),
        description: None,
        generate: true,
        measure,
        steps,
        group_by: if s.grouped { vec![GroupKey::field("Group")] } else { Vec::new() },
        window: Duration::from_millis(s.window_ms),
        hours: None,
    }
}

fn json(e: &Ev, steps: usize) -> String {
    let tags: Vec<String> = (0..steps).filter(|k| e.steps & (1 << k) != 0).map(|k| format!("s{k}")).collect();
    let time = EventTime::from_nanos(BASE + e.t * 1_000_000).to_string();
    let mut o = serde_json::json!({"TimeCreated": time, "Tag": tags.join(" "), "Value": e.value, "Num": e.num, "Addr": e.addr});
    if let Some(g) = e.group {
        o["Group"] = serde_json::Value::String(g.into());
    }
    o.to_string()
}

/// What a firing is compared by: the completing event, the count, the
/// values, the aggregate.
type Fire = (usize, u64, Vec<String>, Option<f64>);

fn fires(ds: &[Detection]) -> Vec<Fire> {
    ds.iter()
        .filter_map(|d| {
            let c = d.correlation.as_ref()?;
            let mut values = c.values.clone();
            values.sort();
            Some((d.line? as usize, c.count, values, c.value))
        })
        .collect()
}

fn fold(v: &str) -> String {
    v.to_lowercase()
}

fn zone(addr: &str) -> Option<&'static str> {
    if addr.starts_with("10.1.") {
        Some("north")
    } else if addr.starts_with("10.2.") {
        Some("south")
    } else {
        None
    }
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = p / 100.0 * (v.len() - 1) as f64;
    let k = h.floor() as usize;
    match v.get(k + 1) {
        Some(hi) if h > h.floor() => v[k] + (h - h.floor()) * (hi - v[k]),
        _ => v[k],
    }
}

/// The definitions, evaluated from scratch at every event of the sorted stream.
fn reference(s: &Spec, evs: &[Ev]) -> Vec<Fire> {
    let mask = (1u8 << s.steps) - 1;
    let th = |x: f64| s.op.holds(x, s.value);
    let w = s.window_ms as i64;
    // The operand of event i, as the correlator reads it.
    let operand = |e: &Ev| -> Option<String> {
        match s.kind {
            Kind::DistinctZone | Kind::FirstSeenZone => zone(e.addr).map(str::to_string),
            Kind::Distinct | Kind::FirstSeen => Some(e.value.to_string()),
            _ => Some(e.num.to_string()),
        }
    };
    // Fed to the correlation (a step matched, a group value), and taken
    // by its measure (its value read too).
    let fed = |e: &Ev| e.steps & mask != 0 && (!s.grouped || e.group.is_some());
    let takes = |e: &Ev| fed(e) && operand(e).is_some();
    let group = |e: &Ev| if s.grouped { e.group.map(fold) } else { Some(String::new()) };
    let mut last_fire: HashMap<String, usize> = HashMap::new();
    // First-seen learns from the first event correlated at all.
    let learn = evs.iter().find(|e| fed(e)).map_or(0, |e| e.t);
    let mut out = Vec::new();
    for j in 0..evs.len() {
        let e = &evs[j];
        if !takes(e) {
            continue;
        }
        let g = group(e).unwrap_or_default();
        let after = last_fire.get(&g).map_or(0, |&r| r + 1);
        let window: Vec<usize> = (after..=j)
            .filter(|&i| takes(&evs[i]) && group(&evs[i]).as_deref() == Some(g.as_str()) && evs[i].t >= e.t - w)
            .collect();
        let nums: Vec<f64> = window.iter().map(|&i| f64::from(evs[i].num)).collect();
        let fire: Option<(u64, Vec<String>, Option<f64>)> = match s.kind {
            Kind::Count => th(window.len() as f64).then(|| (window.len() as u64, Vec::new(), None)),
            Kind::Distinct | Kind::DistinctZone => {
                // Each value as its latest event in the window spells it.
                let mut latest: Vec<(String, String)> = Vec::new();
                for &i in &window {
                    let v = operand(&evs[i]).unwrap_or_default();
                    match latest.iter_mut().find(|(k, _)| *k == fold(&v)) {
                        Some(slot) => slot.1 = v,
                        None => latest.push((fold(&v), v)),
                    }
                }
                let mut shown: Vec<String> = latest.into_iter().map(|(_, v)| v).collect();
                shown.sort();
                let n = shown.len();
                th(n as f64).then_some((n as u64, shown, None))
            }
            Kind::Sum => {
                let v: f64 = nums.iter().sum();
                th(v).then(|| (nums.len() as u64, Vec::new(), Some(v)))
            }
            Kind::Avg => {
                let v = nums.iter().sum::<f64>() / nums.len() as f64;
                th(v).then(|| (nums.len() as u64, Vec::new(), Some(v)))
            }
            Kind::Median | Kind::Percentile(_) => {
                let p = if let Kind::Percentile(p) = s.kind { f64::from(p) } else { 50.0 };
                let v = percentile(&nums, p);
                th(v).then(|| (nums.len() as u64, Vec::new(), Some(v)))
            }
            Kind::Temporal => {
                let seen = (0..s.steps).filter(|k| window.iter().any(|&i| evs[i].steps & (1 << k) != 0)).count();
                s.op.holds(seen as f64, s.value.clamp(0.0, 3.0)).then(|| (seen as u64, Vec::new(), None))
            }
            Kind::Sequence => {
                let last = s.steps - 1;
                let mut reach = vec![false; s.steps];
                for &i in window.iter().filter(|&&i| i < j) {
                    for k in (0..s.steps).rev() {
                        if evs[i].steps & (1 << k) != 0 && (k == 0 || reach[k - 1]) {
                            reach[k] = true;
                        }
                    }
                }
                (e.steps & (1 << last) != 0 && reach[last - 1]).then(|| (s.steps as u64, Vec::new(), None))
            }
            Kind::FirstSeen | Kind::FirstSeenZone => {
                let v = operand(e).unwrap_or_default();
                let seen = (0..j).any(|i| {
                    takes(&evs[i])
                        && group(&evs[i]).as_deref() == Some(g.as_str())
                        && operand(&evs[i]).map(|x| fold(&x)) == Some(fold(&v))
                });
                (!seen && e.t >= learn + w).then(|| (1, vec![v], None))
            }
        };
        if let Some((count, values, value)) = fire {
            if !matches!(s.kind, Kind::FirstSeen | Kind::FirstSeenZone) {
                last_fire.insert(g, j);
            }
            out.push((j + 1, count, values, value));
        }
    }
    out
}

fn scanner(s: &Spec, lateness_ms: u64) -> Scanner {
    let rules = RulesBuilder::new()
        .add_correlation(
            correlation(s),
            Origin {
                file: "p".into(),
                line: 1,
                column: 1,
            },
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let options = ScanOptions {
        lateness: Duration::from_millis(lateness_ms),
        max_events: 1000,
        ..ScanOptions::default()
    };
    Scanner::with_options(Arc::new(rules), options).with_zones(Arc::new(Zones::from_toml(ZONES).unwrap()))
}

/// Events in an arrival order where none is later than `lateness` behind
/// the latest before it: each arrives at its time plus a delay below the
/// lateness.
fn arrival(evs: &[Ev], delays: &[u64], lateness_ms: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..evs.len()).collect();
    order.sort_by_key(|&i| (evs[i].t + (delays[i % delays.len()] % (lateness_ms + 1)) as i64, i));
    order
}

fn stream(s: &Spec, evs: &[Ev], order: &[usize], scanner: &mut Scanner, out: &mut Vec<Detection>) {
    for &i in order {
        let text = json(&evs[i], s.steps);
        let d = scanner.scan(&Event::json(text.as_bytes()).at(None, i as u64 + 1)).unwrap();
        out.extend(d);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn shuffled_within_lateness_equals_the_definitions(
        s in spec(),
        evs in events(),
        delays in prop::collection::vec(any::<u64>(), 1..50),
        lateness_ms in prop_oneof![Just(0u64), 1u64..120_000],
    ) {
        let order = arrival(&evs, &delays, lateness_ms);
        let mut sc = scanner(&s, lateness_ms);
        let mut got = Vec::new();
        stream(&s, &evs, &order, &mut sc, &mut got);
        got.extend(sc.flush());
        prop_assert_eq!(sc.stats().late, 0);
        let want = reference(&s, &evs);
        prop_assert_eq!(fires(&got), want, "spec {:?}", s);
    }

    #[test]
    fn a_cut_with_save_and_restore_changes_nothing(
        s in spec(),
        evs in events(),
        delays in prop::collection::vec(any::<u64>(), 1..50),
        lateness_ms in 0u64..60_000,
        cut in any::<prop::sample::Index>(),
    ) {
        let order = arrival(&evs, &delays, lateness_ms);
        let mut whole_sc = scanner(&s, lateness_ms);
        let mut whole = Vec::new();
        stream(&s, &evs, &order, &mut whole_sc, &mut whole);
        whole.extend(whole_sc.flush());

        let at = cut.index(order.len() + 1);
        let mut first = scanner(&s, lateness_ms);
        let mut got = Vec::new();
        stream(&s, &evs, &order[..at], &mut first, &mut got);
        let blob = first.save_state();
        let mut second = scanner(&s, lateness_ms);
        second.restore_state(&blob).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(second.save_state(), blob);
        stream(&s, &evs, &order[at..], &mut second, &mut got);
        got.extend(second.flush());
        prop_assert_eq!(got, whole);
    }

    /// Arbitrary bytes, and saved state with bytes changed, cut or added, are
    /// an error or a state the scanner goes on with: never a panic.
    #[test]
    fn any_bytes_to_restore_are_an_error_or_a_state(
        s in spec(),
        evs in events(),
        noise in prop::collection::vec(any::<u8>(), 0..300),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut sc = scanner(&s, 30_000);
        stream(&s, &evs, &(0..evs.len()).collect::<Vec<_>>(), &mut sc, &mut Vec::new());
        let blob = sc.save_state();
        let mut target = scanner(&s, 30_000);
        let _ = target.restore_state(&noise);
        let mut changed = blob.clone();
        for (at, b) in &edits {
            let i = at.index(changed.len());
            changed[i] = *b;
        }
        changed.truncate(cut.index(changed.len() + 1).max(changed.len().min(24)));
        changed.extend_from_slice(&noise[..noise.len().min(8)]);
        if target.restore_state(&changed).is_ok() {
            // Whatever it restored, it keeps scanning and saving.
            stream(&s, &evs, &(0..evs.len()).collect::<Vec<_>>(), &mut target, &mut Vec::new());
            target.flush();
            let _ = target.save_state();
        }
        // A hostile blob with a valid checksum: the payload changed, the
        // checksum made again. Restore checks what it reads.
        let mut forged = blob.clone();
        for (at, b) in &edits {
            let i = 24 + at.index(forged.len() - 24);
            forged[i] = *b;
        }
        let crc = crc32fast::hash(&forged[24..]).to_le_bytes();
        forged[20..24].copy_from_slice(&crc);
        let mut target = scanner(&s, 30_000);
        if target.restore_state(&forged).is_ok() {
            stream(&s, &evs, &(0..evs.len()).collect::<Vec<_>>(), &mut target, &mut Vec::new());
            target.flush();
            let _ = target.save_state();
        }
    }
}


/// The generated cases are not vacuous: every kind fires in many of them.
#[test]
fn the_generated_streams_fire_every_kind() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut by_kind: HashMap<String, (u32, u32)> = HashMap::new();
    for _ in 0..1500 {
        let (Ok(s), Ok(e)) = (spec().new_tree(&mut runner), events().new_tree(&mut runner)) else { continue };
        let (s, evs) = (s.current(), e.current());
        let kind = format!("{:?}", s.kind).split('(').next().unwrap_or("").to_string();
        let slot = by_kind.entry(kind).or_default();
        slot.0 += 1;
        slot.1 += u32::from(!reference(&s, &evs).is_empty());
    }
    assert_eq!(by_kind.len(), 11, "{by_kind:?}");
    for (kind, (cases, firing)) in &by_kind {
        assert!(*firing * 5 >= *cases, "{kind}: {firing} of {cases} cases fire");
    }
}
