//! Events: one JSON object, or fields set by the caller, and how their values
//! are found under the taxonomy names rules use.

mod all_values;
mod json;
mod time;

use std::borrow::Cow;
use std::collections::HashMap;

use crate::ast::EventKind;
use crate::error::EventError;
use crate::schema::{self, KindProbe, Schema, Source};

pub(crate) use all_values::AllText;
pub(crate) use json::{PathTrie, Raw, StringPool};
pub use time::EventTime;
pub(crate) use time::TimeParser;

/// One event to scan: a borrowed JSON object, or fields set by the caller.
///
/// JSON events are read lazily by the scanner: only the keys some rule needs
/// are looked at, in the shape of the scanner's [`Schema`]. Fields set by the
/// caller are named by taxonomy name (`Image`, `CommandLine`, ...) and need no
/// schema.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub(crate) repr: Repr<'a>,
    pub(crate) location: Option<Location>,
    pub(crate) source: Option<SourceId>,
}

/// Where an event was read from, as the caller tells it: detections (and
/// the events listed in correlated ones) carry it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// The file (or stream) name; shared by every event of the file.
    pub file: Option<std::sync::Arc<str>>,
    /// The line, or any position the caller counts in.
    pub line: u64,
}

/// One of several inputs a scanner reads side by side (see
/// [`crate::Scanner::open_source`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SourceId(pub(crate) u32);

#[derive(Debug, Clone)]
pub(crate) enum Repr<'a> {
    Json(&'a [u8]),
    Fields(Vec<(String, String)>),
}

impl<'a> Event<'a> {
    /// An event from the bytes of one JSON object.
    pub fn json(bytes: &'a [u8]) -> Event<'a> {
        Event {
            repr: Repr::Json(bytes),
            location: None,
            source: None,
        }
    }

    /// The same event, read from `line` of `file`.
    pub fn at(mut self, file: Option<&std::sync::Arc<str>>, line: u64) -> Event<'a> {
        self.location = Some(Location {
            file: file.cloned(),
            line,
        });
        self
    }

    /// The same event, from one of the scanner's sources (the default is
    /// the scanner's single implicit source).
    pub fn from_source(mut self, source: SourceId) -> Event<'a> {
        self.source = Some(source);
        self
    }

    /// An event from `(taxonomy name, value)` pairs. Its kind comes from
    /// `EventID` (1 or 4688: process; 4624/4625: logon; 4648: explicit
    /// credentials), or is a process when `Image` or `CommandLine` is set.
    pub fn from_fields<'f, K, V>(fields: impl IntoIterator<Item = &'f (K, V)>) -> Event<'static>
    where
        K: AsRef<str> + 'f,
        V: AsRef<str> + 'f,
    {
        Event {
            repr: Repr::Fields(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
                    .collect(),
            ),
            location: None,
            source: None,
        }
    }
}

/// Where each field a rule reads is found, for every schema. Built once by
/// the compiler.
#[derive(Debug, Clone)]
pub(crate) struct FieldPlan {
    trie: PathTrie,
    /// Canonical names of the fields rules read; a field's id is its index.
    names: Vec<String>,
    by_lower_name: HashMap<String, u16>,
    /// `sources[schema][field]`, schema in [`SCHEMAS`] order.
    sources: [Vec<Vec<SlotSource>>; 4],
    kind: KindSlots,
    /// The id of [`schema::ANY_FIELD`] when a rule reads it.
    any_field: Option<u16>,
    /// Only events of these channels need it (`None`: every event).
    any_field_channels: Option<Vec<String>>,
    /// The id of `Channel`, when a rule reads it.
    channel: Option<u16>,
    /// `context[schema][item]`: where each [`Ctx`] item is, in
    /// [`SCHEMAS`] order.
    context: [[Vec<SlotSource>; CONTEXT]; 4],
    /// A field named by the caller that holds the event time, tried first.
    time_field: Option<String>,
}

/// What every detection tells about its event, beside the rule's own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctx {
    Time,
    Host,
    User,
    TargetUser,
    SubjectUser,
    Channel,
    EventId,
    Record,
}

pub(crate) const CONTEXT: usize = 8;

impl Ctx {
    const ALL: [Ctx; CONTEXT] = [
        Ctx::Time,
        Ctx::Host,
        Ctx::User,
        Ctx::TargetUser,
        Ctx::SubjectUser,
        Ctx::Channel,
        Ctx::EventId,
        Ctx::Record,
    ];

    /// The taxonomy field the item is, where it is one.
    fn field(self) -> Option<&'static str> {
        Some(match self {
            Ctx::Time => return None,
            Ctx::Host => "Computer",
            Ctx::User => "User",
            Ctx::TargetUser => schema::TARGET_USER,
            Ctx::SubjectUser => schema::SUBJECT_USER,
            Ctx::Channel => "Channel",
            Ctx::EventId => "EventID",
            Ctx::Record => "EventRecordID",
        })
    }
}

const SCHEMAS: [Schema; 4] = [Schema::Sysmon, Schema::Security, Schema::Ecs, Schema::Evtx];

#[derive(Debug, Clone, Copy)]
enum SlotSource {
    Path(u32),
    Join(u32, u32),
}

/// The first of `sources` the event has, a join read as `DOMAIN\\user`.
fn pick<'r>(sources: &[SlotSource], text: impl Fn(u32) -> Option<&'r str>) -> Option<Cow<'r, str>> {
    sources.iter().find_map(|src| match *src {
        SlotSource::Path(s) => text(s).map(Cow::Borrowed),
        SlotSource::Join(d, u) => Some(account(text(d), text(u)?)),
    })
}

/// `DOMAIN\\user`, or the user alone without a domain (absent, empty or `-`).
fn account<'r>(domain: Option<&'r str>, user: &'r str) -> Cow<'r, str> {
    match domain {
        Some(d) if !d.is_empty() && d != "-" => Cow::Owned(format!("{d}\\{user}")),
        _ => Cow::Borrowed(user),
    }
}

/// Trie slots of [`schema::KIND_PATHS`], in that order.
#[derive(Debug, Clone)]
struct KindSlots(Vec<u32>);

/// The taxonomy values of one event, by field id, its kind, and its
/// context (by [`Ctx`]).
#[derive(Debug, Default)]
pub(crate) struct Resolved<'a> {
    pub values: Vec<Option<Cow<'a, str>>>,
    pub kind: Option<EventKind>,
    /// Filled by [`FieldPlan::resolve_context`], only for events that need
    /// it (a detection or a correlation input): most events do not.
    pub context: [Option<Cow<'a, str>>; CONTEXT],
    /// What the context is read from: the event's slots and strings, and its
    /// schema's index (JSON events).
    pub found: Option<Found<'a>>,
}

/// A JSON event's slots as read, for its context.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    raw: &'a [Option<Raw<'a>>],
    pool: &'a json::StringPool,
    schema: usize,
}

impl Resolved<'_> {
    /// One context item's text, `None` when absent, empty or `-` (what
    /// Windows writes for "none").
    pub(crate) fn context(&self, item: Ctx) -> Option<&str> {
        self.context[item as usize]
            .as_deref()
            .map(str::trim_ascii)
            .filter(|v| !v.is_empty() && *v != "-")
    }

    /// The account the event is about: for logons and credential
    /// validations the target account, for the rest the process's user or
    /// the subject.
    pub(crate) fn user(&self) -> Option<&str> {
        let target_first = self
            .context(Ctx::EventId)
            .is_some_and(|id| schema::TARGET_ACCOUNT_IDS.contains(&id));
        let order = if target_first {
            [Ctx::TargetUser, Ctx::User, Ctx::SubjectUser]
        } else {
            [Ctx::User, Ctx::SubjectUser, Ctx::TargetUser]
        };
        order.into_iter().find_map(|c| self.context(c))
    }
}

impl FieldPlan {
    /// A plan reading the given canonical field names.
    pub(crate) fn new(names: Vec<String>) -> FieldPlan {
        let mut trie = PathTrie::new();
        let kind = KindSlots(
            schema::KIND_PATHS
                .iter()
                .map(|p| trie.insert(p))
                .collect(),
        );
        let sources = SCHEMAS.map(|s| {
            names
                .iter()
                .map(|name| {
                    schema::sources(s, name)
                        .iter()
                        .map(|src| match src {
                            Source::Path(p) => SlotSource::Path(trie.insert(p)),
                            Source::Join(a, b) => SlotSource::Join(trie.insert(a), trie.insert(b)),
                        })
                        .collect()
                })
                .collect()
        });
        let by_lower_name = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_ascii_lowercase(), i as u16))
            .collect();
        let mut slot = |src: &Source| match src {
            Source::Path(p) => SlotSource::Path(trie.insert(p)),
            Source::Join(a, b) => SlotSource::Join(trie.insert(a), trie.insert(b)),
        };
        let context = SCHEMAS.map(|s| {
            Ctx::ALL.map(|item| {
                let srcs = match item.field() {
                    Some(name) => schema::sources(s, name),
                    None => schema::time_sources(s),
                };
                srcs.iter().map(&mut slot).collect()
            })
        });
        let position = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|i| i as u16);
        let any_field = position(schema::ANY_FIELD);
        let channel = position("Channel");
        FieldPlan {
            trie,
            names,
            by_lower_name,
            sources,
            kind,
            any_field,
            any_field_channels: None,
            channel,
            context,
            time_field: None,
        }
    }

    /// The same plan, reading the event time first from `field` (a dotted
    /// key path in JSON events, a field name in events built from fields).
    pub(crate) fn with_time_field(&self, field: &str) -> FieldPlan {
        let mut plan = self.clone();
        let slot = SlotSource::Path(plan.trie.insert(field));
        for per_schema in &mut plan.context {
            per_schema[Ctx::Time as usize].insert(0, slot);
        }
        plan.time_field = Some(field.to_string());
        plan
    }

    /// Gathers [`schema::ANY_FIELD`] only for events whose `Channel` is one
    /// of `channels` (every event when `None`): it reads the whole event.
    pub(crate) fn with_any_field_channels(mut self, channels: Option<Vec<String>>) -> FieldPlan {
        self.any_field_channels = channels;
        self
    }

    /// Whether this event needs [`schema::ANY_FIELD`], given its values.
    fn wants_any_field(&self, values: &[Option<Cow<'_, str>>]) -> bool {
        let Some(channels) = &self.any_field_channels else {
            return true;
        };
        let channel = self.channel.and_then(|id| values.get(id as usize)).and_then(|v| v.as_deref());
        channel.is_some_and(|c| channels.iter().any(|w| w.eq_ignore_ascii_case(c)))
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The id of a canonical field name, if any rule reads it.
    pub(crate) fn field_id(&self, name: &str) -> Option<u16> {
        self.by_lower_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// Reads the context of an event that `resolve` read (into `context`,
    /// from `found`, its `Resolved`'s fields, borrowed apart so that the
    /// values may stay borrowed meanwhile).
    pub(crate) fn resolve_context<'r>(
        &self,
        event: &'r Event<'_>,
        found: Option<Found<'r>>,
        context: &mut [Option<Cow<'r, str>>; CONTEXT],
    ) {
        if let Some(f) = found {
            let text = |slot: u32| f.pool.text((*f.raw.get(slot as usize)?)?);
            for (item, sources) in self.context.get(f.schema).into_iter().flatten().enumerate() {
                context[item] = pick(sources, text);
            }
            return;
        }
        let Repr::Fields(fields) = &event.repr else { return };
        let find = |name: &str| fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let join = |domain: &str, user: &str| Some(account(find(domain), find(user)?));
        for item in Ctx::ALL {
            context[item as usize] = match item {
                Ctx::Time => self
                    .time_field
                    .iter()
                    .map(String::as_str)
                    .chain(["UtcTime", "TimeCreated", "@timestamp"])
                    .find_map(find)
                    .map(Cow::Borrowed),
                Ctx::TargetUser => join("TargetDomainName", "TargetUserName"),
                Ctx::SubjectUser => join("SubjectDomainName", "SubjectUserName"),
                _ => item.field().and_then(find).map(Cow::Borrowed),
            };
        }
    }

    /// Reads one event's field values. `raw` is scratch space reused across events.
    pub(crate) fn resolve<'r, 'a: 'r>(
        &self,
        event: &'a Event<'_>,
        schema: Schema,
        raw: &'r mut Vec<Option<Raw<'a>>>,
        pool: &'r mut json::StringPool,
        all: &'r mut AllText,
        out: &mut Resolved<'r>,
    ) -> Result<(), EventError> {
        out.values.clear();
        out.values.resize(self.names.len(), None);
        out.context = Default::default();
        out.found = None;
        match &event.repr {
            Repr::Json(bytes) => {
                let gathered = json::extract(&self.trie, bytes, raw, pool, self.any_field.map(|_| &mut *all))?;
                let all: &'r AllText = all;
                let raw: &'r Vec<Option<Raw<'a>>> = raw;
                let pool: &'r json::StringPool = pool;
                let text = |slot: u32| pool.text((*raw.get(slot as usize)?)?);
                let k = &self.kind.0;
                let probe = KindProbe {
                    event_id: text(k[0]),
                    channel: text(k[1]),
                    new_process_name: text(k[2]).is_some(),
                    image_or_command_line: text(k[3]).is_some() || text(k[4]).is_some(),
                    ecs_event_code: text(k[5]),
                    ecs_category: text(k[6]),
                    ecs_type: text(k[7]),
                    ecs_provider: text(k[8]),
                    winlog_event_id: text(k[9]),
                    winlog_channel: text(k[10]),
                    ecs_process: text(k[11]).is_some() || text(k[12]).is_some(),
                    ecs_shape: k[5..13].iter().any(|&s| raw[s as usize].is_some()),
                    evtx_event_id: text(k[14]).or(text(k[13])),
                    evtx_channel: text(k[15]),
                };
                let schema = schema.detect(&probe);
                out.kind = schema::event_kind(schema, &probe);
                let si = SCHEMAS.iter().position(|&s| s == schema).unwrap_or(0);
                for (field, sources) in self.sources[si].iter().enumerate() {
                    out.values[field] = pick(sources, text);
                }
                out.found = Some(Found { raw, pool, schema: si });
                if let Some(id) = self.any_field {
                    if self.wants_any_field(&out.values) {
                        out.values[id as usize] = if gathered {
                            Some(Cow::Borrowed(all.as_str()))
                        } else {
                            all_values::all_values(bytes).map(Cow::Owned)
                        };
                    }
                }
            }
            Repr::Fields(fields) => {
                let find = |name: &str| {
                    fields
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.as_str())
                };
                let probe = KindProbe {
                    event_id: find("EventID"),
                    channel: find("Channel"),
                    new_process_name: find("NewProcessName").is_some(),
                    image_or_command_line: find("Image").is_some() || find("CommandLine").is_some(),
                    ..KindProbe::default()
                };
                out.kind = schema::event_kind(Schema::Sysmon, &probe)
                    .or_else(|| schema::event_kind(Schema::Security, &probe));
                for (k, v) in fields {
                    if let Some(id) = self.field_id(k) {
                        out.values[id as usize] = Some(Cow::Borrowed(v.as_str()));
                    }
                }
                // The joined accounts, where the caller gave their parts.
                let join = |domain: &str, user: &str| Some(account(find(domain), find(user)?));
                let derived = [
                    (schema::TARGET_USER, "TargetDomainName", "TargetUserName"),
                    (schema::SUBJECT_USER, "SubjectDomainName", "SubjectUserName"),
                ];
                for (name, domain, user) in derived {
                    if let Some(id) = self.field_id(name) {
                        if out.values[id as usize].is_none() {
                            out.values[id as usize] = join(domain, user);
                        }
                    }
                }
                if let Some(id) = self.any_field {
                    if self.wants_any_field(&out.values) {
                        let all: Vec<&str> = fields.iter().map(|(_, v)| v.as_str()).collect();
                        out.values[id as usize] = Some(Cow::Owned(all.join("\n")));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> FieldPlan {
        FieldPlan::new(
            ["Image", "CommandLine", "User", "LogonType", "TargetUserName"]
                .map(String::from)
                .to_vec(),
        )
    }

    fn resolve_json(json: &str) -> (Vec<Option<String>>, Option<EventKind>) {
        let plan = plan();
        let ev = Event::json(json.as_bytes());
        let mut raw = Vec::new();
        let mut all = AllText::default();
        let mut pool = json::StringPool::default();
        let mut out = Resolved::default();
        plan.resolve(&ev, Schema::Auto, &mut raw, &mut pool, &mut all, &mut out).unwrap();
        (
            out.values
                .iter()
                .map(|v| v.as_ref().map(|c| c.to_string()))
                .collect(),
            out.kind,
        )
    }

    #[test]
    fn sysmon_security_and_ecs_map_to_the_taxonomy() {
        let (v, k) = resolve_json(
            r#"{"EventID":1,"Image":"C:\\a.exe","CommandLine":"a -x","User":"CORP\\bob"}"#,
        );
        assert_eq!(k, Some(EventKind::Process));
        assert_eq!(v[0].as_deref(), Some(r"C:\a.exe"));
        assert_eq!(v[2].as_deref(), Some(r"CORP\bob"));

        let (v, k) = resolve_json(
            r#"{"EventID":4688,"Channel":"Security","NewProcessName":"C:\\b.exe","CommandLine":"b","SubjectUserName":"eve","SubjectDomainName":"CORP"}"#,
        );
        assert_eq!(k, Some(EventKind::Process));
        assert_eq!(v[0].as_deref(), Some(r"C:\b.exe"));
        assert_eq!(v[2].as_deref(), Some(r"CORP\eve"));

        let (v, k) = resolve_json(
            r#"{"@timestamp":"2026-01-01T00:00:00Z","event":{"code":"1","category":["process"],"type":["start"]},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1},"process":{"executable":"C:\\c.exe","command_line":"c /q"},"user":{"name":"al","domain":"CORP"}}"#,
        );
        assert_eq!(k, Some(EventKind::Process));
        assert_eq!(v[0].as_deref(), Some(r"C:\c.exe"));
        assert_eq!(v[1].as_deref(), Some("c /q"));
        assert_eq!(v[2].as_deref(), Some(r"CORP\al"));

        let (v, k) = resolve_json(
            r#"{"EventID":4624,"Channel":"Security","TargetUserName":"adm","LogonType":3}"#,
        );
        assert_eq!(k, Some(EventKind::Logon));
        assert_eq!(v[3].as_deref(), Some("3"));
        assert_eq!(v[4].as_deref(), Some("adm"));
    }

    #[test]
    fn evtx_records_map_system_and_event_data() {
        let (v, k) = resolve_json(
            r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"EventID":{"#attributes":{"Qualifiers":0},"#text":4688},"Channel":"Security"},"EventData":{"NewProcessName":"C:\\n.exe","CommandLine":"n -x","SubjectUserName":"eve","SubjectDomainName":"CORP"}}}"##,
        );
        assert_eq!(k, Some(EventKind::Process));
        assert_eq!(v[0].as_deref(), Some(r"C:\n.exe"));
        assert_eq!(v[1].as_deref(), Some("n -x"));
        assert_eq!(v[2].as_deref(), Some(r"CORP\eve"));
        let (v, k) = resolve_json(
            r#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\s.exe","User":"CORP\\al"}}}"#,
        );
        assert_eq!(k, Some(EventKind::Process));
        assert_eq!(v[0].as_deref(), Some(r"C:\s.exe"));
        assert_eq!(v[2].as_deref(), Some(r"CORP\al"));
    }

    #[test]
    fn caller_fields_infer_a_process() {
        let plan = plan();
        let ev = Event::from_fields(&[("image", r"C:\x.exe"), ("Other", "y")]);
        let mut raw = Vec::new();
        let mut all = AllText::default();
        let mut pool = json::StringPool::default();
        let mut out = Resolved::default();
        plan.resolve(&ev, Schema::Auto, &mut raw, &mut pool, &mut all, &mut out).unwrap();
        assert_eq!(out.kind, Some(EventKind::Process));
        assert_eq!(out.values[0].as_deref(), Some(r"C:\x.exe"));
    }
}
