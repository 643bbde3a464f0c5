//! Command lines in normal form, kept for the values a scanner sees again.
//!
//! The normal form (and any `-EncodedCommand` decoded) depends on the value
//! alone, and computing it was a tenth of a scan with the built-in pack:
//! the same command lines (services, agents, scheduled tasks) come back
//! again and again. Like the memo of automaton results, this is a small
//! direct-mapped cache per field, the whole value compared before an entry
//! is used, bounded in value length, so its memory has a fixed ceiling.

use super::memo::Placement;
use crate::normalize::{self, Normalized};

/// Slots per field (a power of two).
const SLOTS: usize = 256;
/// Longer values are normalized every time.
const MAX_VALUE: usize = 4096;

#[derive(Debug, Default)]
struct Slot {
    /// 0 for an empty slot; stored hashes have their low bit set.
    hash: u64,
    value: String,
    normal: Option<Normalized>,
}

/// Where this event's normal form of a field is.
#[derive(Debug, Clone, Copy)]
enum At {
    Cached(usize),
    Fresh(usize),
}

#[derive(Debug)]
pub(crate) struct Normals {
    slots: Vec<Slot>,
    /// This event's normal forms of values too long to keep.
    fresh: Vec<Normalized>,
    /// This event's fields with a normal form, and where it is.
    event: Vec<(u16, At)>,
    placement: Placement,
}

impl Normals {
    /// A cache for `fields` fields with a normal form.
    pub(crate) fn new(fields: usize) -> Normals {
        Normals {
            slots: (0..fields * SLOTS).map(|_| Slot::default()).collect(),
            fresh: Vec::new(),
            event: Vec::new(),
            placement: Placement::new(0x6e6f_726d_616c_2121),
        }
    }

    /// Computes (or finds) the normal form of each of `fields` the event
    /// sets, for [`Normals::of`] to hand out until the next event.
    pub(crate) fn start_event<V: AsRef<str>>(&mut self, fields: &[u16], values: &[Option<V>]) {
        self.fresh.clear();
        self.event.clear();
        for (k, &field) in fields.iter().enumerate() {
            if let Some(Some(v)) = values.get(field as usize) {
                let at = self.fill(k, v.as_ref());
                self.event.push((field, at));
            }
        }
    }

    /// This event's normal form of `field`, if the event sets it.
    pub(crate) fn of(&self, field: u16) -> Option<&Normalized> {
        let &(_, at) = self.event.iter().find(|(f, _)| *f == field)?;
        self.get(at)
    }

    /// The normal form of `value`, the `field`-th field with one: from the
    /// cache, or computed (and kept).
    fn fill(&mut self, field: usize, value: &str) -> At {
        if value.len() > MAX_VALUE || self.slots.is_empty() {
            self.fresh.push(normalize::command_line(value));
            return At::Fresh(self.fresh.len() - 1);
        }
        let (hash, at) = self.placement.place(value.as_bytes(), SLOTS);
        let at = field * SLOTS + at;
        let slot = &mut self.slots[at];
        if slot.hash != hash || slot.value != value || slot.normal.is_none() {
            slot.hash = hash;
            slot.value.clear();
            slot.value.push_str(value);
            slot.normal = Some(normalize::command_line(value));
        }
        At::Cached(at)
    }

    fn get(&self, at: At) -> Option<&Normalized> {
        match at {
            At::Cached(i) => self.slots.get(i)?.normal.as_ref(),
            At::Fresh(i) => self.fresh.get(i),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_forms_equal_fresh_ones_whatever_the_collisions() {
        let mut n = Normals::new(2);
        let values: Vec<String> = (0..SLOTS * 3)
            .map(|i| format!("C^MD /c \"echo {i}\" & powershell -enc {}", if i % 2 == 0 { "ZQBjAGgAbwAgAGgAaQA=" } else { "x" }))
            .chain(std::iter::once("a".repeat(MAX_VALUE + 1)))
            .collect();
        for round in 0..2 {
            for (i, v) in values.iter().enumerate() {
                let at = n.fill(i % 2, v);
                assert_eq!(n.get(at), Some(&normalize::command_line(v)), "round {round}: {v}");
            }
        }
    }
}
