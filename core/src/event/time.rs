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
        let t = text.trim();
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

    #[test]
    fn garbage_is_none() {
        for bad in ["", " ", "-", "now", "2018-13-03 14:00:00", "2018-10-03 25:00:00", "1.2.3", "99999999999999999999", "2018-10-03T14:00:00Q", &"9".repeat(200), "\u{0}"] {
            assert_eq!(EventTime::parse(bad), None, "{bad:?}");
        }
    }
}
