//! `AnyField`: every scalar value of an event (strings, numbers, booleans;
//! not keys, not nulls), one per line in document order. It is the text
//! Sigma keywords search.
//!
//! It is gathered in the same pass that reads the fields rules need, into a
//! buffer the scanner keeps from event to event: reading the event a second
//! time for it took a fifth of a scan with all Windows rules.

use std::fmt::{self, Write as _};

use crate::limits::MAX_EVENT_DEPTH;

use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The values of one event, a line each.
#[derive(Debug, Default)]
pub(crate) struct AllText {
    text: String,
    lines: usize,
}

impl AllText {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.lines = 0;
        if self.text.capacity() > 1 << 20 {
            // A huge event's buffer is not held for the stream's life.
            self.text = String::new();
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    fn line(&mut self) {
        if self.lines > 0 {
            self.text.push('\n');
        }
        self.lines += 1;
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.line();
        self.text.push_str(s);
    }

    pub(crate) fn push_bool(&mut self, v: bool) {
        self.push(if v { "true" } else { "false" });
    }

    pub(crate) fn push_integer(&mut self, v: impl fmt::Display) {
        self.line();
        let _ = write!(self.text, "{v}");
    }

    /// As serde_json writes it, so `1.5` reads back as `1.5`.
    pub(crate) fn push_f64(&mut self, v: f64) {
        match serde_json::Number::from_f64(v) {
            Some(n) => self.push_integer(n),
            None => self.push_integer(v),
        }
    }
}

/// `AnyField` of `bytes` on its own pass: for lines that are not valid UTF-8
/// as a whole, which the main pass reads without gathering it. `None` if a
/// value cannot be read (the event then has no `AnyField`).
pub(crate) fn all_values(bytes: &[u8]) -> Option<String> {
    let mut all = AllText::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // serde_json's own recursion limit bounds the depth of hostile input.
    AllValues(&mut all, 0).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(all.text)
}

/// Appends every scalar below it to the text, down to
/// [`MAX_EVENT_DEPTH`]: the second field is how many arrays and objects
/// enclose the value; a value enclosed by more is skipped unread (by
/// serde_json's iterative skip, which has no recursion limit), so a deep
/// event is read the same whatever the rules read.
pub(crate) struct AllValues<'o>(pub(crate) &'o mut AllText, pub(crate) usize);

impl<'de> DeserializeSeed<'de> for AllValues<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.1 > MAX_EVENT_DEPTH {
            return IgnoredAny::deserialize(d).map(|_| ());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AllValues<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push(v);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.0.push_bool(v);
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.0.push_integer(v);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.0.push_integer(v);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.0.push_f64(v);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(AllValues(&mut *self.0, self.1 + 1))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(AllValues(&mut *self.0, self.1 + 1))?;
        }
        Ok(())
    }
}

/// A value no rule reads: its scalars gathered into `AnyField` when that is
/// wanted, else skipped without being read into anything. The second field
/// is how many arrays and objects enclose it (see [`AllValues`]).
pub(crate) struct Skip<'o>(pub(crate) Option<&'o mut AllText>, pub(crate) usize);

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.0 {
            Some(all) => AllValues(all, self.1).deserialize(d),
            None => IgnoredAny::deserialize(d).map(|_| ()),
        }
    }
}

impl Skip<'_> {
    /// The rest of an object, after its visitor has begun it.
    pub(crate) fn map<'de, A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.0 {
            Some(all) => AllValues(all, self.1).visit_map(map),
            None => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    }

    /// The rest of an array, after its visitor has begun it.
    pub(crate) fn seq<'de, A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0 {
            Some(all) => AllValues(all, self.1).visit_seq(seq),
            None => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scalar_a_line_in_document_order() {
        let text = all_values(br#"{"a":"x","b":{"c":[1,true,null,{"d":"y"}]},"e":1.5,"f":null,"g":""}"#);
        assert_eq!(text.as_deref(), Some("x\n1\ntrue\ny\n1.5\n"));
        assert_eq!(all_values(b"{}").as_deref(), Some(""));
        assert_eq!(all_values(b"{\"a\":\"\xff\"}"), None);
    }
}
