//! Event time: when the event says it happened, never when it was read.
//!
//! Windows logs write time several ways: Sysmon's `UtcTime` has no offset
//! (`2018-10-03 14:00:00.084`, UTC by definition), Security exports and EVTX
//! records carry RFC 3339 with a `Z` and up to seven decimals
//! (`2018-10-03T14:00:00.0841230Z`), ECS `@timestamp` is RFC 3339 in
//! milliseconds. [`EventTime::parse`] reads all of these with `jiff`, and
//! epoch numbers too, into nanoseconds since the Unix epoch.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant of event time: nanoseconds since 1970-01-01T00:00:00Z.
///
/// Displays (and serializes) as RFC 3339 in UTC, with as many decimals as it
/// needs: `2018-10-03T14:00:00.084Z`.
///
/// ```
/// use landwatch::EventTime;
/// let t = EventTime::parse("2018-10-03 14:00:00.084").unwrap();
/// assert_eq!(t.to_string(), "2018-10-03T14:00:00.084Z");
/// assert_eq!(EventTime::parse("2018-10-03T16:00:00.084+02:00"), Some(t));
/// assert_eq!(EventTime::parse("1538575200084"), Some(t)); // epoch milliseconds
/// assert_eq!(EventTime::parse("yesterday"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTime(i64);

impl EventTime {
    /// From nanoseconds since the Unix epoch.
    pub const fn from_nanos(nanos: i64) -> EventTime {
        EventTime(nanos)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Reads a timestamp: RFC 3339 / ISO 8601 with an offset or `Z`; a date
    /// and time without one, taken as UTC (Sysmon `UtcTime`), with `T` or a
    /// space between them; or a number of seconds, milliseconds,
    /// microseconds or nanoseconds since the epoch, told apart by size
    /// (below 10^11 seconds, below 10^14 milliseconds, below 10^17
    /// microseconds). Blanks around it are ignored. `None` when it is none of
    /// these or lies outside the years 1678 to 2261 (what fits in `i64`
    /// nanoseconds).
    pub fn parse(text: &str) -> Option<EventTime> {
        TimeParser::default().parse(text)
    }

    /// What `parse` does, by `jiff` alone.
    fn parse_slow(text: &str) -> Option<EventTime> {
        let t = text.trim_ascii();
        if t.is_empty() || t.len() > 64 {
            return None;
        }
        if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return epoch(t);
        }
        let nanos = if has_offset(t) {
            jiff::Timestamp::from_str(t).ok()?.as_nanosecond()
        } else {
            let civil = jiff::civil::DateTime::from_str(t).ok()?;
            civil
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .ok()?
                .timestamp()
                .as_nanosecond()
        };
        i64::try_from(nanos).ok().map(EventTime)
    }

    /// The time `nanos` nanoseconds later (saturating).
    pub fn plus_nanos(self, nanos: i64) -> EventTime {
        EventTime(self.0.saturating_add(nanos))
    }

    /// As a `jiff` timestamp.
    pub fn to_timestamp(self) -> jiff::Timestamp {
        // Every i64 of nanoseconds is within jiff's range.
        jiff::Timestamp::from_nanosecond(i128::from(self.0)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

/// Reads event times, remembering the last date it converted: a stream's
/// events share their date, and the calendar arithmetic is most of what a
/// full parse costs. Texts of the common shape
/// `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z]` are read field by field, with the
/// date converted by `jiff`; anything else goes to `jiff`'s parser whole.
/// Both give the same instants (a property test).
#[derive(Debug, Clone, Default)]
pub(crate) struct TimeParser {
    /// The last date's ten bytes and its day number since the epoch.
    date: Option<([u8; 10], i64)>,
}

impl TimeParser {
    pub(crate) fn parse(&mut self, text: &str) -> Option<EventTime> {
        let t = text.trim_ascii();
        match self.fast(t) {
            Some(Some(nanos)) => Some(EventTime(nanos)),
            Some(None) => None,
            None => EventTime::parse_slow(t),
        }
    }

    /// `None`: not the common shape; `Some(None)`: that shape, but no
    /// time (a date that does not exist).
    fn fast(&mut self, t: &str) -> Option<Option<i64>> {
        let b = t.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        // Digits at 0-3, 5-6, 8-9, 11-12, 14-15, 17-18: each byte minus '0'
        // is at most 9 exactly when it is a digit.
        let d: [u8; 19] = std::array::from_fn(|i| b[i].wrapping_sub(b'0'));
        let digit = |i: usize| d[i] <= 9;
        if ![0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].iter().all(|&i| digit(i)) {
            return None;
        }
        let two = |i: usize| i64::from(d[i]) * 10 + i64::from(d[i + 1]);
        let (h, m, s) = (two(11), two(14), two(17));
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        let mut rest = &b[19..];
        let mut frac = 0i64;
        if let Some((b'.', digits)) = rest.split_first() {
            let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            for &c in &digits[..n] {
                frac = frac * 10 + i64::from(c - b'0');
            }
            frac *= 10i64.pow(9 - n as u32);
            rest = &digits[n..];
        }
        if !matches!(rest, [] | [b'Z'] | [b'z']) {
            return None;
        }
        let days = match self.date {
            Some((k, days)) if k[..] == b[..10] => days,
            _ => {
                let (y, mo, day) = (two(0) * 100 + two(2), two(5), two(8));
                let Ok(date) = jiff::civil::Date::new(y as i16, mo as i8, day as i8) else {
                    return Some(None);
                };
                let days = i64::from(date.since(jiff::civil::Date::constant(1970, 1, 1)).ok()?.get_days());
                let mut key = [0u8; 10];
                key.copy_from_slice(&b[..10]);
                self.date = Some((key, days));
                days
            }
        };
        let secs = days * 86_400 + h * 3600 + m * 60 + s;
        Some(secs.checked_mul(1_000_000_000).and_then(|n| n.checked_add(frac)))
    }
}

/// Whether an ISO 8601 text ends in `Z` or a numeric offset (a sign after
/// the time of day, past the date's own dashes).
fn has_offset(t: &str) -> bool {
    let b = t.as_bytes();
    if matches!(b.last(), Some(b'Z' | b'z')) {
        return true;
    }
    // `[zone]` annotations (RFC 9557) need an offset before them.
    if t.ends_with(']') {
        return true;
    }
    let after_date = t.get(10..).unwrap_or("");
    after_date.contains(['+', '-'])
}

/// Epoch seconds, milliseconds, microseconds or nanoseconds, by magnitude.
fn epoch(t: &str) -> Option<EventTime> {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() || int.len() > 19 || frac.contains('.') {
        return None;
    }
    let whole: i128 = int.parse().ok()?;
    let scale: i128 = if whole < 100_000_000_000 {
        1_000_000_000
    } else if whole < 100_000_000_000_000 {
        1_000_000
    } else if whole < 100_000_000_000_000_000 {
        1_000
    } else {
        1
    };
    // Decimals, to the nanosecond.
    let mut part: i128 = 0;
    let mut unit = scale;
    for d in frac.bytes().take(18) {
        unit /= 10;
        if unit == 0 {
            break;
        }
        part += i128::from(d - b'0') * unit;
    }
    i64::try_from(whole.checked_mul(scale)? + part).ok().map(EventTime)
}

impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_timestamp())
    }
}

/// RFC 3339 text in human-readable formats (JSON), nanoseconds in binary
/// ones (saved scanner state).
impl Serialize for EventTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for EventTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EventTime, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            EventTime::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}")))
        } else {
            i64::deserialize(d).map(EventTime)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Option<String> {
        EventTime::parse(text).map(|t| t.to_string())
    }

    #[test]
    fn windows_and_ecs_formats() {
        assert_eq!(at("2018-10-03 14:00:00.084").as_deref(), Some("2018-10-03T14:00:00.084Z"));
        assert_eq!(at("2018-10-03T14:00:00.0841230Z").as_deref(), Some("2018-10-03T14:00:00.084123Z"));
        assert_eq!(at("2026-11-03T07:30:00.716082Z").as_deref(), Some("2026-11-03T07:30:00.716082Z"));
        assert_eq!(at(" 2026-01-01T00:00:00.000Z ").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(at("2026-01-01T01:00:00+01:00").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(at("2026-01-01T00:00:00-05:30").as_deref(), Some("2026-01-01T05:30:00Z"));
        assert_eq!(at("2026-01-01").as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn epochs_by_magnitude() {
        let t = EventTime::parse("2018-10-03 14:00:00.084").unwrap();
        assert_eq!(EventTime::parse("1538575200.084"), Some(t));
        assert_eq!(EventTime::parse("1538575200084"), Some(t));
        assert_eq!(EventTime::parse("1538575200084000"), Some(t));
        assert_eq!(EventTime::parse("1538575200084000000"), Some(t));
        assert_eq!(EventTime::parse("0"), Some(EventTime::from_nanos(0)));
    }

    proptest::proptest! {
        #[test]
        fn the_fast_path_agrees_with_jiff(
            y in 1700i32..2250, mo in 0i32..14, d in 0i32..33, h in 0i32..25, mi in 0i32..61, s in 0i32..61,
            frac in proptest::option::of("[0-9]{1,10}"), sep in proptest::sample::select(vec!["T", " ", "t"]),
            zone in proptest::sample::select(vec!["", "Z", "z", "+01:00", " "]),
        ) {
            let text = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{}{zone}", frac.map(|f| format!(".{f}")).unwrap_or_default());
            let mut p = TimeParser::default();
            // Twice: the second from the remembered date.
            proptest::prop_assert_eq!(p.parse(&text), EventTime::parse_slow(&text), "{}", text);
            proptest::prop_assert_eq!(p.parse(&text), EventTime::parse_slow(&text), "{}", text);
        }
    }

    #[test]
    fn garbage_is_none() {
        for bad in ["", " ", "-", "now", "2018-13-03 14:00:00", "2018-10-03 25:00:00", "1.2.3", "99999999999999999999", "2018-10-03T14:00:00Q", &"9".repeat(200), "\u{0}"] {
            assert_eq!(EventTime::parse(bad), None, "{bad:?}");
        }
    }
}
