//! Reading the few fields rules need out of one JSON object, without building
//! a document tree.
//!
//! The compiler knows every key path any rule (or kind detection) can read, in
//! every schema. They form a trie; the deserializer walks the object and keeps
//! only values whose path is in the trie, skipping everything else with
//! `IgnoredAny`. Keys match ASCII case-insensitively.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::all_values::{AllText, Skip};
use crate::error::EventError;
use crate::limits::MAX_EVENT_BYTES;

/// A trie of dotted key paths; each path ends in a slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathTrie {
    nodes: Vec<Node>,
    slots: usize,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// Children and their keys.
    children: Vec<(Box<str>, u32)>,
    /// An open-addressing table over `children` by the hash of the
    /// lowercased key (`EMPTY` where free; a power of two in size, at least
    /// twice the children). A node has up to a few hundred children (one per
    /// field some rule reads) and every key of every event is looked up:
    /// measured, hashing with std and lowercasing into a `String` took a
    /// quarter of the scan time, a binary search by length then a compare
    /// with each child of that length still 6-8%.
    table: Box<[u32]>,
    /// The `*` child (any key), if there is one.
    star: Option<u32>,
    slot: Option<u32>,
}

const EMPTY: u32 = u32::MAX;

/// A hash of the key that ignores ASCII case, from its length and its first
/// and last eight bytes (four, or three single bytes, for shorter keys),
/// with bit 5 of every byte set: that makes `A` and `a` the same byte. Keys
/// that differ only elsewhere, or in bytes this folding confuses, collide,
/// which costs a compare, never a wrong answer. This runs for every key of
/// every event, so it reads words rather than walk bytes.
fn key_hash(key: &str) -> u32 {
    const FOLD: u64 = 0x2020_2020_2020_2020;
    let b = key.as_bytes();
    let n = b.len();
    let word = |at: usize, len: usize| {
        let mut w = [0u8; 8];
        w[..len].copy_from_slice(&b[at..at + len]);
        u64::from_le_bytes(w)
    };
    let (x, y) = if n >= 8 {
        (word(0, 8), word(n - 8, 8))
    } else if n >= 4 {
        (word(0, 4), word(n - 4, 4))
    } else if n > 0 {
        (u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16, 0)
    } else {
        (0, 0)
    };
    let h = ((x | FOLD) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (y | FOLD).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    (h ^ (h >> 29)) as u32
}

impl Node {
    /// Adds a child; the table doubles when it would be over half full, so
    /// building a node of n children costs O(n), not a rebuild per child.
    fn add_child(&mut self, key: &str, node: u32) {
        self.children.push((key.into(), node));
        if key == "*" {
            self.star = Some(node);
        }
        if self.table.len() < 2 * self.children.len() {
            let size = (self.children.len() * 2).next_power_of_two().max(4);
            self.table = vec![EMPTY; size].into_boxed_slice();
            for i in 0..self.children.len() {
                self.place(i);
            }
        } else {
            self.place(self.children.len() - 1);
        }
    }

    /// Puts child `i` in the first free place from its key's hash.
    fn place(&mut self, i: usize) {
        let size = self.table.len();
        let mut at = key_hash(&self.children[i].0) as usize & (size - 1);
        while self.table[at] != EMPTY {
            at = (at + 1) & (size - 1);
        }
        self.table[at] = i as u32;
    }

    /// The child whose key equals `key` ignoring ASCII case.
    fn find(&self, key: &str) -> Option<u32> {
        let size = self.table.len();
        if size == 0 {
            return None;
        }
        let mut at = key_hash(key) as usize & (size - 1);
        loop {
            let i = self.table[at];
            if i == EMPTY {
                return None;
            }
            let (k, n) = &self.children[i as usize];
            // Events nearly always spell a key as rules do: a plain compare
            // first, the byte-by-byte case folding only when it fails.
            if k.as_bytes() == key.as_bytes() || k.eq_ignore_ascii_case(key) {
                return Some(*n);
            }
            at = (at + 1) & (size - 1);
        }
    }
}

impl PathTrie {
    pub(crate) fn new() -> PathTrie {
        PathTrie {
            nodes: vec![Node::default()],
            slots: 0,
        }
    }

    /// Adds a dotted path and returns its slot (the same slot for the same
    /// path, compared case-insensitively).
    pub(crate) fn insert(&mut self, path: &str) -> u32 {
        let mut node = 0usize;
        for part in path.split('.') {
            let existing = self.nodes[node]
                .children
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(part))
                .map(|&(_, n)| n);
            node = match existing {
                Some(n) => n as usize,
                None => {
                    let n = self.nodes.len();
                    self.nodes.push(Node::default());
                    self.nodes[node].add_child(part, n as u32);
                    n
                }
            };
        }
        match self.nodes[node].slot {
            Some(s) => s,
            None => {
                let s = self.slots as u32;
                self.slots += 1;
                self.nodes[node].slot = Some(s);
                s
            }
        }
    }

    pub(crate) fn slot_count(&self) -> usize {
        self.slots
    }

    /// The child for an event's key: a part that matches it, else a `*`
    /// part (any key: EVTX `UserData` wraps its fields in one element whose
    /// name varies).
    fn child(&self, node: u32, key: &str) -> Option<u32> {
        let node = &self.nodes[node as usize];
        if let Some(n) = node.find(key) {
            return Some(n);
        }
        // Defender writes `Threat Name` where the taxonomy says `ThreatName`.
        if key.bytes().any(|b| b == b' ') {
            if let Some(&(_, n)) = node.children.iter().find(|(k, _)| spaced_key_matches(k, key)) {
                return Some(n);
            }
        }
        node.star
    }
}

/// An event key with spaces matches a path part ASCII case-insensitively
/// once its spaces are dropped.
fn spaced_key_matches(part: &str, key: &str) -> bool {
    key.len() > part.len()
        && key
            .bytes()
            .filter(|&b| b != b' ')
            .map(|b| b.to_ascii_lowercase())
            .eq(part.bytes().map(|b| b.to_ascii_lowercase()))
}

/// A value read from an event: a string (numbers and booleans as their JSON
/// text; arrays of scalars joined with ", "), or null. `Copy`, with no heap
/// of its own, so that emptying an event's 800 slots costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raw<'de> {
    /// Text as it stands in the event.
    Borrowed(&'de str),
    /// Text the reader made (an escaped string unescaped, a number, an
    /// array joined): its index among the pool's strings of this event.
    Owned(u32),
    Null,
}

/// The strings the reader makes for an event, and those of earlier events
/// kept for reuse, so that an escaped value (every Windows path: `\\` is
/// an escape) costs no allocation once a scanner is warm.
#[derive(Debug, Default)]
pub(crate) struct StringPool {
    free: Vec<String>,
    /// This event's strings, which [`Raw::Owned`] points into.
    active: Vec<String>,
}

impl StringPool {
    /// At most this many strings are kept, none larger than `MAX_KEPT`: a
    /// one-off megabyte command line is not held for the stream's life.
    const MAX_STRINGS: usize = 256;
    const MAX_KEPT: usize = 64 * 1024;

    fn copy_of(&mut self, v: &str) -> String {
        match self.free.pop() {
            Some(mut s) => {
                s.clear();
                s.push_str(v);
                s
            }
            None => v.to_string(),
        }
    }

    /// Makes `s` one of this event's strings.
    fn keep(&mut self, s: String) -> Raw<'static> {
        self.active.push(s);
        Raw::Owned(self.active.len() as u32 - 1)
    }

    /// The text of a value (`None` for null).
    pub(crate) fn text<'a>(&'a self, raw: Raw<'a>) -> Option<&'a str> {
        match raw {
            Raw::Borrowed(s) => Some(s),
            Raw::Owned(i) => self.active.get(i as usize).map(String::as_str),
            Raw::Null => None,
        }
    }

    /// Ends an event: its strings go back for reuse, and `raw` is emptied.
    pub(crate) fn reclaim(&mut self, raw: &mut Vec<Option<Raw<'_>>>) {
        raw.clear();
        for s in self.active.drain(..) {
            if self.free.len() < Self::MAX_STRINGS && s.capacity() <= Self::MAX_KEPT {
                self.free.push(s);
            }
        }
    }
}

/// Reads `bytes` (one JSON object) into `out`, indexed by slot; escaped
/// values are copied into strings from `pool`. With `all`, every scalar of
/// the event is also gathered into it (`AnyField`), and the answer says
/// whether that was done: a line that is not valid UTF-8 as a whole is read
/// without it.
pub(crate) fn extract<'de>(
    trie: &PathTrie,
    bytes: &'de [u8],
    out: &mut Vec<Option<Raw<'de>>>,
    pool: &mut StringPool,
    mut all: Option<&mut AllText>,
) -> Result<bool, EventError> {
    out.clear();
    out.resize(trie.slot_count(), None);
    if let Some(a) = all.as_deref_mut() {
        a.clear();
    }
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .copied();
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(EventError::TooLarge(MAX_EVENT_BYTES));
    }
    if first != Some(b'{') {
        return Err(classify_non_object(bytes));
    }
    // One check of the whole line is cheaper than serde_json's check of
    // each string it reads (7% of a scan). A line that fails it is read
    // string by string, so that bad bytes in a value no rule reads do not
    // cost the event (it is read without `AnyField`, which `all_values`
    // then reads on its own pass).
    let text = std::str::from_utf8(bytes).ok();
    let all = all.filter(|_| text.is_some());
    let gathered = all.is_some();
    let seed = ObjectSeed {
        trie,
        node: 0,
        depth: 0,
        out,
        pool,
        all,
    };
    let result = match text {
        Some(text) => read_object(seed, &mut serde_json::Deserializer::from_str(text)),
        None => read_object(seed, &mut serde_json::Deserializer::from_slice(bytes)),
    };
    result.map(|()| gathered).map_err(|e| classify(bytes, e))
}

fn read_object<'de, R: serde_json::de::Read<'de>>(
    seed: ObjectSeed<'_, '_, 'de>,
    de: &mut serde_json::Deserializer<R>,
) -> Result<(), serde_json::Error> {
    seed.deserialize(&mut *de).and_then(|()| de.end())
}

fn classify_non_object(bytes: &[u8]) -> EventError {
    match serde_json::from_slice::<IgnoredAny>(bytes) {
        Ok(_) => EventError::NotAnObject,
        Err(e) => classify(bytes, e),
    }
}

fn classify(bytes: &[u8], e: serde_json::Error) -> EventError {
    if let Err(u) = std::str::from_utf8(bytes) {
        return EventError::Utf8(u.valid_up_to());
    }
    EventError::Json(e.to_string())
}

struct ObjectSeed<'t, 'o, 'de> {
    trie: &'t PathTrie,
    node: u32,
    /// How many arrays and objects enclose the object.
    depth: usize,
    out: &'o mut Vec<Option<Raw<'de>>>,
    pool: &'o mut StringPool,
    /// Where every scalar goes too, when `AnyField` is gathered.
    all: Option<&'o mut AllText>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(KeySeed {
            trie: self.trie,
            node: self.node,
        })? {
            let all = self.all.as_deref_mut();
            match child {
                None => map.next_value_seed(Skip(all, self.depth + 1))?,
                Some(node) => map.next_value_seed(ValueSeed {
                    trie: self.trie,
                    node,
                    depth: self.depth + 1,
                    out: self.out,
                    pool: self.pool,
                    all,
                })?,
            }
        }
        Ok(())
    }
}

/// Looks a key up among a node's children; `None` means skip the value.
struct KeySeed<'t> {
    trie: &'t PathTrie,
    node: u32,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<u32>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<u32>, E> {
        Ok(self.trie.child(self.node, key))
    }
}

/// A value under a known key: kept when the node is a slot, descended into
/// when it is an object with known children.
struct ValueSeed<'t, 'o, 'de> {
    trie: &'t PathTrie,
    node: u32,
    /// How many arrays and objects enclose the value.
    depth: usize,
    out: &'o mut Vec<Option<Raw<'de>>>,
    pool: &'o mut StringPool,
    all: Option<&'o mut AllText>,
}

impl ValueSeed<'_, '_, '_> {
    fn slot(&self) -> Option<usize> {
        self.trie.nodes[self.node as usize].slot.map(|s| s as usize)
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> ValueSeed<'_, '_, 'de> {
    fn keep(self, value: Raw<'de>) {
        if let Some(s) = self.slot() {
            self.out[s] = Some(value);
        }
    }

    /// A string the reader made, kept as one of the event's pooled strings.
    fn keep_owned(self, s: String) {
        if self.slot().is_some() {
            let raw = self.pool.keep(s);
            self.keep(raw);
        }
    }

    /// A number, kept as its text (`Display` writes what `to_string` did).
    fn keep_number(self, v: impl fmt::Display) {
        if self.slot().is_some() {
            let mut s = self.pool.copy_of("");
            let _ = fmt::Write::write_fmt(&mut s, format_args!("{v}"));
            self.keep_owned(s);
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push(v);
        }
        self.keep(Raw::Borrowed(v));
        Ok(())
    }

    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push(v);
        }
        if self.slot().is_some() {
            let s = self.pool.copy_of(v);
            self.keep_owned(s);
        }
        Ok(())
    }

    fn visit_string<E: de::Error>(mut self, v: String) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push(&v);
        }
        self.keep_owned(v);
        Ok(())
    }

    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push_bool(v);
        }
        self.keep(Raw::Borrowed(if v { "true" } else { "false" }));
        Ok(())
    }

    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push_integer(v);
        }
        self.keep_number(v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push_integer(v);
        }
        self.keep_number(v);
        Ok(())
    }

    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        if let Some(all) = self.all.as_deref_mut() {
            all.push_f64(v);
        }
        self.keep_number(v);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.keep(Raw::Null);
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.keep(Raw::Null);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        ObjectSeed {
            trie: self.trie,
            node: self.node,
            depth: self.depth,
            out: self.out,
            pool: self.pool,
            all: self.all,
        }
        .visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let Some(slot) = self.slot() else {
            return Skip(self.all, self.depth).seq(seq);
        };
        let mut joined = String::new();
        while let Some(text) = seq.next_element_seed(Element(self.all.as_deref_mut(), self.depth + 1))? {
            if let Some(text) = text {
                if !joined.is_empty() {
                    joined.push_str(", ");
                }
                joined.push_str(&text);
            }
        }
        self.out[slot] = Some(self.pool.keep(joined));
        Ok(())
    }
}

/// An array element: its text when it is a scalar, nothing for nested
/// values; its scalars go to `AnyField` when that is gathered.
struct Element<'o>(Option<&'o mut AllText>, usize);

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Element<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<String>, E> {
        if let Some(all) = self.0 {
            all.push(v);
        }
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<String>, E> {
        if let Some(all) = self.0 {
            all.push_bool(v);
        }
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<String>, E> {
        if let Some(all) = self.0 {
            all.push_integer(v);
        }
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<String>, E> {
        if let Some(all) = self.0 {
            all.push_integer(v);
        }
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<String>, E> {
        if let Some(all) = self.0 {
            all.push_f64(v);
        }
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<String>, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<String>, A::Error> {
        Skip(self.0, self.1).map(map).map(|()| None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<String>, A::Error> {
        Skip(self.0, self.1).seq(seq).map(|()| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie(paths: &[&str]) -> PathTrie {
        let mut t = PathTrie::new();
        for p in paths {
            t.insert(p);
        }
        t
    }

    fn get<'a>(out: &'a [Option<Raw<'a>>], pool: &'a StringPool, slot: u32) -> Option<&'a str> {
        pool.text((*out.get(slot as usize)?)?)
    }

    #[test]
    fn reads_flat_and_nested_paths_case_insensitively() {
        let mut t = PathTrie::new();
        let image = t.insert("Image");
        let cmd = t.insert("process.command_line");
        let id = t.insert("EventID");
        let mut out = Vec::new();
        let json = br#"{"image":"C:\\x.exe","other":{"deep":[1,2]},"process":{"command_line":"a b","pid":4},"EventID":1}"#;
        let mut pool = StringPool::default();
        extract(&t, json, &mut out, &mut pool, None).unwrap();
        assert_eq!(get(&out, &pool, image), Some(r"C:\x.exe"));
        assert_eq!(get(&out, &pool, cmd), Some("a b"));
        assert_eq!(get(&out, &pool, id), Some("1"));
    }

    #[test]
    fn keys_with_spaces_match_taxonomy_names() {
        let mut t = PathTrie::new();
        let threat = t.insert("ThreatName");
        let mut out = Vec::new();
        let mut pool = StringPool::default();
        extract(&t, br#"{"Threat Name":"EICAR","ThreatNam e2":"x"}"#, &mut out, &mut pool, None).unwrap();
        assert_eq!(get(&out, &pool, threat), Some("EICAR"));
        assert!(!spaced_key_matches("ThreatName", "Threat Names"));
        assert!(spaced_key_matches("ThreatName", "threat name"));
    }

    #[test]
    fn keys_match_whatever_their_case_and_bad_bytes_elsewhere_cost_nothing() {
        let mut t = PathTrie::new();
        let image = t.insert("Image");
        let user = t.insert("SubjectUserName");
        let mut out = Vec::new();
        let mut pool = StringPool::default();
        extract(&t, br#"{"IMAGE":"a.exe","subjectusername":"bob"}"#, &mut out, &mut pool, None).unwrap();
        assert_eq!((get(&out, &pool, image), get(&out, &pool, user)), (Some("a.exe"), Some("bob")));
        // Invalid UTF-8 in a value no rule reads: the event is still read.
        extract(&t, b"{\"Other\":\"\xff\",\"Image\":\"b.exe\"}", &mut out, &mut pool, None).unwrap();
        assert_eq!(get(&out, &pool, image), Some("b.exe"));
        // Pooled strings come back with the right text.
        let lines: Vec<String> = ["C:\\\\x.exe", "C:\\\\yy.exe", "C:\\\\x.exe"]
            .iter()
            .map(|v| format!("{{\"Image\":\"{v}\"}}"))
            .collect();
        let mut out = Vec::new();
        for (line, want) in lines.iter().zip([r"C:\x.exe", r"C:\yy.exe", r"C:\x.exe"]) {
            pool.reclaim(&mut out);
            extract(&t, line.as_bytes(), &mut out, &mut pool, None).unwrap();
            assert_eq!(get(&out, &pool, image), Some(want));
        }
    }

    #[test]
    fn any_field_gathered_in_the_same_pass_equals_its_own_pass() {
        let t = trie(&["Image", "Event.EventData.CommandLine", "event.category", "Event.System.EventID", "Tags"]);
        let docs: [&[u8]; 8] = [
            br#"{"Image":"C:\\a.exe","Other":"x","N":3}"#,
            br#"{"Event":{"System":{"EventID":1,"Channel":"c"},"EventData":{"CommandLine":"a \"b\"","Z":null}}}"#,
            br#"{"event":{"category":["process",{"deep":"d"},[1,2.5]],"kind":true},"Tags":["t1",false,null]}"#,
            br#"{"Image":null,"F":1e300,"G":-0.0,"H":18446744073709551615,"I":-9223372036854775808}"#,
            br#"{"Tags":"plain","Image":"","x":{"y":{"z":["w"]}}}"#,
            br#"{"a":"\u00e9\ud83d\ude00","Image":"\t"}"#,
            br#"{}"#,
            br#"{"Event":{"EventData":{"CommandLine":["x","y"]}}}"#,
        ];
        let mut out = Vec::new();
        let mut pool = StringPool::default();
        let mut all = AllText::default();
        for doc in docs {
            pool.reclaim(&mut out);
            let gathered = extract(&t, doc, &mut out, &mut pool, Some(&mut all)).unwrap();
            assert!(gathered);
            let alone = super::super::all_values::all_values(doc);
            assert_eq!(Some(all.as_str()), alone.as_deref(), "{}", String::from_utf8_lossy(doc));
        }
        // Not valid UTF-8 as a whole: read without gathering.
        assert!(!extract(&t, b"{\"x\":\"\xff\",\"Image\":\"a\"}", &mut out, &mut pool, Some(&mut all)).unwrap());
    }

    #[test]
    fn a_star_part_matches_any_key() {
        let mut t = PathTrie::new();
        let op = t.insert("Event.UserData.*.Operation");
        let id = t.insert("Event.System.EventID");
        let mut out = Vec::new();
        let mut pool = StringPool::default();
        extract(&t, br#"{"Event":{"System":{"EventID":5858},"UserData":{"Operation_ClientFailure":{"Operation":"x"}}}}"#, &mut out, &mut pool, None).unwrap();
        assert_eq!(get(&out, &pool, op), Some("x"));
        assert_eq!(get(&out, &pool, id), Some("5858"));
    }

    #[test]
    fn arrays_join_and_null_is_kept() {
        let mut t = PathTrie::new();
        let cat = t.insert("event.category");
        let u = t.insert("User");
        let mut out = Vec::new();
        let mut pool = StringPool::default();
        extract(
            &t,
            br#"{"event":{"category":["process","x"]},"User":null}"#,
            &mut out,
            &mut pool,
            None,
        )
        .unwrap();
        assert_eq!(get(&out, &pool, cat), Some("process, x"));
        assert_eq!(out[u as usize], Some(Raw::Null));
    }

    #[test]
    fn rejects_what_is_not_an_object() {
        let t = trie(&["Image"]);
        let mut out = Vec::new();
        assert_eq!(extract(&t, b"[1,2]", &mut out, &mut StringPool::default(), None), Err(EventError::NotAnObject));
        assert!(matches!(
            extract(&t, b"{\"a\":", &mut out, &mut StringPool::default(), None),
            Err(EventError::Json(_))
        ));
        assert!(matches!(
            extract(&t, b"{\"Image\":\"\xff\"}", &mut out, &mut StringPool::default(), None),
            Err(EventError::Utf8(_))
        ));
        assert!(matches!(
            extract(&t, b"{} trailing", &mut out, &mut StringPool::default(), None),
            Err(EventError::Json(_))
        ));
        // Deep nesting, skipped or read, is an answer, never a stack overflow.
        for key in ["a", "Image"] {
            let deep = format!("{{\"{key}\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
            let _ = extract(&t, deep.as_bytes(), &mut Vec::new(), &mut StringPool::default(), None);
            let deep = format!("{{\"{key}\":{}1{}}}", "{\"b\":".repeat(100_000), "}".repeat(100_000));
            let _ = extract(&t, deep.as_bytes(), &mut Vec::new(), &mut StringPool::default(), None);
        }
    }
}
