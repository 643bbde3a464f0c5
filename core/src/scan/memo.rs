//! What each input's automaton found in values this scanner has seen lately.
//!
//! Event streams repeat themselves: a fleet runs the same few hundred
//! binaries, so `Image`, `ParentImage`, `Hashes`, `Company`, `Description`,
//! `User` and most `CommandLine`s come back again and again. Running an
//! automaton over a value is a pure function of the value, so its result
//! (every pattern found, with its span) is kept in a small cache per input
//! and replayed when the same value comes back. On generated Sysmon events
//! this halves the time spent in the automata; on a stream of values that
//! never repeat it costs one hash and one failed comparison per value.
//!
//! The cache is direct-mapped (one slot per hash bucket, the newcomer evicts
//! the old entry), bounded per slot in value length and in matches, and in
//! all to 16 MiB per scanner. A hash collision costs a miss,
//! never a wrong answer: the whole value is compared before an entry is used.
//! Hostile input can only make every lookup miss.
//!
//! A miss costs more than no cache (the hash, the compare, the copy into the
//! slot): 13% of the scan on a stream whose values never repeat. So each
//! input watches its own hit rate, a window of lookups at a time; below one
//! hit in four it searches without the cache for the next sixteen windows,
//! then measures again. The worst case pays the cache on one lookup in
//! seventeen.

use std::hash::BuildHasher;

/// One pattern found in a value: the pattern id and its byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub pid: u32,
    pub start: u32,
    pub end: u32,
}

/// How both caches of the scanner (this one and the normal forms') place a
/// value: its hash, never 0 (which marks an empty slot), and its slot among
/// `slots` (a power of two). A fixed seed keeps runs repeatable; a collision
/// costs only time, as the whole value is compared before a slot is used.
#[derive(Debug, Clone)]
pub(crate) struct Placement(foldhash::fast::FixedState);

impl Placement {
    pub(crate) fn new(seed: u64) -> Placement {
        Placement(foldhash::fast::FixedState::with_seed(seed))
    }

    pub(crate) fn place(&self, value: &[u8], slots: usize) -> (u64, usize) {
        let hash = self.0.hash_one(value) | 1;
        (hash, (hash >> 32) as usize & (slots - 1))
    }
}

/// Slots per input (a power of two).
const SLOTS: usize = 1024;
/// Values longer than this are searched every time: long values rarely
/// repeat, and they would make the cache's ceiling large.
const MAX_VALUE: usize = 1024;
/// Results with more matches than this are not kept.
const MAX_FOUND: usize = 128;
/// The most memory a scanner's cache holds (slot tables and their values):
/// values are bounded, but a stream of events with hundreds of fields
/// could otherwise fill a table for each.
const BUDGET: usize = 16 << 20;
/// Lookups per measurement of an input's hit rate.
const WINDOW: u32 = 1024;
/// Below this many hits in a window the input goes without the cache...
const MIN_HITS: u32 = WINDOW / 4;
/// ...for this many values.
const BYPASS: u32 = 16 * WINDOW;

/// One input's recent hit rate.
#[derive(Debug, Default, Clone, Copy)]
struct Rate {
    lookups: u32,
    hits: u32,
    /// Values left to search without the cache.
    bypass: u32,
}

#[derive(Debug, Default)]
struct Slot {
    /// 0 for an empty slot; stored hashes have their low bit set.
    hash: u64,
    value: Vec<u8>,
    found: Vec<Found>,
}

/// The per-scanner cache: `SLOTS` slots per input, allocated on first use.
#[derive(Debug)]
pub(crate) struct Memo {
    inputs: Vec<Vec<Slot>>,
    rates: Vec<Rate>,
    /// Bytes held by slot tables and slots, at most `BUDGET`.
    held: usize,
    placement: Placement,
    /// Results of the current lookup when they are not cached.
    scratch: Vec<Found>,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl Memo {
    pub(crate) fn new(inputs: usize) -> Memo {
        Memo {
            inputs: (0..inputs).map(|_| Vec::new()).collect(),
            rates: vec![Rate::default(); inputs],
            held: 0,
            placement: Placement::new(0x6c61_6e64_7761_7463),
            scratch: Vec::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// The patterns `search` finds in `value` for input `input`: from the
    /// cache when this value was seen last in its slot, else by calling
    /// `search` (which appends to the vector it is given) and keeping the
    /// result.
    pub(crate) fn found(
        &mut self,
        input: usize,
        value: &[u8],
        search: impl FnOnce(&mut Vec<Found>),
    ) -> &[Found] {
        if self.scratch.capacity() > 4 * MAX_FOUND * 64 {
            // A huge value's matches are not held for the stream's life.
            self.scratch = Vec::new();
        }
        let rate = &mut self.rates[input];
        if value.len() > MAX_VALUE || rate.bypass > 0 {
            rate.bypass = rate.bypass.saturating_sub(1);
            self.misses += 1;
            self.scratch.clear();
            search(&mut self.scratch);
            return &self.scratch;
        }
        rate.lookups += 1;
        if rate.lookups == WINDOW {
            if rate.hits < MIN_HITS {
                rate.bypass = BYPASS;
            }
            rate.lookups = 0;
            rate.hits = 0;
        }
        let (hash, at) = self.placement.place(value, SLOTS);
        let slots = &mut self.inputs[input];
        if slots.is_empty() {
            let cost = SLOTS * std::mem::size_of::<Slot>();
            if self.held + cost > BUDGET {
                // Too many inputs seen already: this one goes uncached.
                rate.bypass = u32::MAX;
                self.misses += 1;
                self.scratch.clear();
                search(&mut self.scratch);
                return &self.scratch;
            }
            self.held += cost;
            slots.resize_with(SLOTS, Slot::default);
        }
        let slot = &mut slots[at];
        if slot.hash == hash && slot.value == value {
            self.hits += 1;
            rate.hits += 1;
            return &slot.found;
        }
        self.misses += 1;
        self.held -= slot.heap();
        slot.found.clear();
        search(&mut slot.found);
        slot.value.clear();
        slot.value.extend_from_slice(value);
        if slot.found.len() > MAX_FOUND || self.held + slot.heap() > BUDGET {
            // Not worth keeping, or no room: hand the result out from
            // scratch and free the slot.
            std::mem::swap(&mut self.scratch, &mut slot.found);
            *slot = Slot::default();
            return &self.scratch;
        }
        slot.hash = hash;
        self.held += slot.heap();
        &slot.found
    }
}

impl Slot {
    /// Heap bytes the slot holds.
    fn heap(&self) -> usize {
        self.value.capacity() + self.found.capacity() * std::mem::size_of::<Found>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::cell::Cell;

    /// A search for `a`s that counts its calls.
    fn search_count<'a>(calls: &'a Cell<u32>, value: &'a [u8]) -> impl FnOnce(&mut Vec<Found>) + 'a {
        move |out: &mut Vec<Found>| {
            calls.set(calls.get() + 1);
            for (i, _) in value.iter().enumerate().filter(|(_, &b)| b == b'a') {
                out.push(Found { pid: 0, start: i as u32, end: i as u32 + 1 });
            }
        }
    }

    #[test]
    fn repeats_are_replayed_and_equal_to_a_fresh_search() {
        let mut memo = Memo::new(2);
        let calls = Cell::new(0);
        let first = memo.found(0, b"banana", search_count(&calls, b"banana")).to_vec();
        let again = memo.found(0, b"banana", |_| panic!("searched a cached value")).to_vec();
        assert_eq!(first, again);
        assert_eq!(first.len(), 3);
        // Another input has its own slots.
        let other = memo.found(1, b"banana", search_count(&calls, b"banana")).to_vec();
        assert_eq!(other, first);
        assert_eq!((memo.hits, memo.misses), (1, 2));
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn long_values_and_many_matches_are_searched_each_time() {
        let mut memo = Memo::new(1);
        let long = vec![b'a'; MAX_VALUE + 1];
        let calls = Cell::new(0);
        for _ in 0..2 {
            let n = memo.found(0, &long, search_count(&calls, &long)).len();
            assert_eq!(n, MAX_VALUE + 1);
        }
        let many = vec![b'a'; MAX_FOUND + 1];
        for _ in 0..2 {
            let n = memo.found(0, &many, search_count(&calls, &many)).len();
            assert_eq!(n, MAX_FOUND + 1);
        }
        assert_eq!(calls.get(), 4);
        assert_eq!(memo.hits, 0);
    }

    #[test]
    fn a_colliding_value_evicts_and_is_never_mistaken() {
        let mut memo = Memo::new(1);
        let calls = Cell::new(0);
        // Fill far more values than slots: every lookup must still return
        // what a search of that very value returns.
        for round in 0..2 {
            for i in 0..(SLOTS * 3) {
                let v = format!("v{i}a{}", "a".repeat(i % 5));
                let got = memo.found(0, v.as_bytes(), search_count(&calls, v.as_bytes())).len();
                assert_eq!(got, 1 + i % 5, "round {round} value {v}");
            }
        }
        assert!(calls.get() > (SLOTS * 3) as u32, "collisions evict, so the second round searches again");
    }

    #[test]
    fn an_input_whose_values_never_repeat_goes_without_the_cache_for_a_while() {
        let mut memo = Memo::new(2);
        let calls = Cell::new(0);
        for i in 0..WINDOW {
            let v = format!("unique {i}");
            memo.found(0, v.as_bytes(), search_count(&calls, v.as_bytes()));
            memo.found(1, b"same", search_count(&calls, b"same"));
        }
        assert_eq!(memo.rates[0].bypass, BYPASS);
        assert_eq!(memo.rates[1].bypass, 0, "the other input keeps its cache");
        // Bypassed: a value stored before is searched again, and right.
        let before = calls.get();
        let n = memo.found(0, b"unique 3a", search_count(&calls, b"unique 3a")).len();
        assert_eq!((n, calls.get()), (1, before + 1));
        assert_eq!(memo.rates[0].bypass, BYPASS - 1);
    }

    #[test]
    fn memory_stays_within_the_budget() {
        // Hundreds of inputs with values of the longest kept length.
        let inputs = 400;
        let mut memo = Memo::new(inputs);
        let calls = Cell::new(0);
        for round in 0..3 {
            for input in 0..inputs {
                for k in 0..40 {
                    let v = format!("{input}/{k}/a{}", "b".repeat(MAX_VALUE - 16));
                    let n = memo.found(input, v.as_bytes(), search_count(&calls, v.as_bytes())).len();
                    assert_eq!(n, 1, "round {round}");
                    assert!(memo.held <= BUDGET, "{} bytes held", memo.held);
                }
            }
        }
        let tables = memo.inputs.iter().filter(|t| !t.is_empty()).count();
        assert!(tables < inputs, "every input got a table: {tables}");
    }
}
