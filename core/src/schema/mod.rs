//! Canonical field names (the Sigma taxonomy) and how each log schema spells them.
//!
//! Rules speak the taxonomy: `Image`, `CommandLine`, `TargetUserName`... Events
//! arrive in one of several shapes; a [`Schema`] says where each taxonomy field
//! lives in that shape. [`Schema::Auto`] picks the shape per event.
//!
//! | schema     | shape | example |
//! |------------|-------|---------|
//! | `sysmon`   | flat EventData keys, as Sysmon exports and the SigmaHQ regression data have them | `{"EventID":1,"Image":"C:\\...","CommandLine":"..."}` |
//! | `security` | flat Windows Security EventData (4688, 4624, 4625, 4648) | `{"EventID":4688,"NewProcessName":"C:\\...","SubjectUserName":"bob"}` |
//! | `ecs`      | nested Elastic Common Schema, as Winlogbeat and Elastic Agent write it | `{"process":{"executable":"C:\\...","command_line":"..."},"winlog":{"event_data":{...}}}` |

pub mod logsource;

use std::str::FromStr;

use crate::ast::EventKind;

/// The log schema of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Schema {
    /// Decide per event from its keys (see [`Schema::detect`]).
    #[default]
    Auto,
    Sysmon,
    Security,
    Ecs,
    /// EVTX records as the `evtx` crate renders them to JSON: nested
    /// `Event.System` and `Event.EventData`, with `#text` and `#attributes`.
    Evtx,
}

impl Schema {
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Auto => "auto",
            Schema::Sysmon => "sysmon",
            Schema::Security => "security",
            Schema::Ecs => "ecs",
            Schema::Evtx => "evtx",
        }
    }
}

impl FromStr for Schema {
    type Err = String;

    fn from_str(s: &str) -> Result<Schema, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Schema::Auto),
            "sysmon" => Ok(Schema::Sysmon),
            "security" => Ok(Schema::Security),
            "ecs" => Ok(Schema::Ecs),
            "evtx" => Ok(Schema::Evtx),
            _ => Err(format!(
                "unknown schema '{s}' (expected auto, sysmon, security, ecs or evtx)"
            )),
        }
    }
}

/// Taxonomy field names in their canonical spelling. Rules may write them in
/// any case; other names are accepted as written.
pub const TAXONOMY: &[&str] = &[
    // process creation
    "Image",
    "CommandLine",
    "ParentImage",
    "ParentCommandLine",
    "OriginalFileName",
    "User",
    "ParentUser",
    "CurrentDirectory",
    "IntegrityLevel",
    "Hashes",
    "Company",
    "Product",
    "Description",
    "FileVersion",
    "ProcessId",
    "ParentProcessId",
    "ProcessGuid",
    "ParentProcessGuid",
    "LogonId",
    "LogonGuid",
    "TerminalSessionId",
    "UtcTime",
    // logons and credentials
    "TargetUserName",
    "TargetDomainName",
    // DOMAIN\user joined from the two fields (see `sources`)
    TARGET_USER,
    SUBJECT_USER,
    "TargetUserSid",
    "TargetLogonId",
    "TargetOutboundUserName",
    "TargetOutboundDomainName",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectUserSid",
    "SubjectLogonId",
    "LogonType",
    "LogonProcessName",
    "AuthenticationPackageName",
    "LmPackageName",
    "KeyLength",
    "IpAddress",
    "IpPort",
    "WorkstationName",
    "TargetServerName",
    "TargetInfo",
    "ProcessName",
    "Status",
    "SubStatus",
    "ElevatedToken",
    "PrivilegeList",
    "TicketEncryptionType",
    "TicketOptions",
    "ServiceSid",
    "PreAuthType",
    "FailureCode",
    "PackageName",
    "Workstation",
    "ImpersonationLevel",
    "RestrictedAdminMode",
    "VirtualAccount",
    "TokenElevationType",
    "MandatoryLabel",
    "NewProcessName",
    "ParentProcessName",
    // every event
    "EventID",
    "Computer",
    "Channel",
    "Provider_Name",
    "TimeCreated",
    "EventRecordID",
    // other Sysmon events
    "TargetFilename",
    "TargetObject",
    "Details",
    "EventType",
    "ImageLoaded",
    "Signed",
    "Signature",
    "SignatureStatus",
    "SourceImage",
    "TargetImage",
    "GrantedAccess",
    "CallTrace",
    "PipeName",
    "DestinationIp",
    "DestinationPort",
    "DestinationHostname",
    "SourceIp",
    "SourcePort",
    "SourceHostname",
    "Protocol",
    "Initiated",
    "QueryName",
    "QueryResults",
    "ServiceName",
    "ServiceFileName",
    "ImagePath",
    "ScriptBlockText",
    "Payload",
    // not a field of the event: all of its values
    ANY_FIELD,
];

/// `TargetDomainName\TargetUserName`: the account a logon (or a Kerberos or
/// NTLM request) is for, in the same `DOMAIN\user` shape as Sysmon's `User`,
/// so that a logon and the processes it starts can be grouped by account.
pub const TARGET_USER: &str = "TargetUser";

/// `SubjectDomainName\SubjectUserName`: the account that did it.
pub const SUBJECT_USER: &str = "SubjectUser";

/// The pseudo-field holding every value of the event, one per line: what
/// Sigma's keywords (values without a field) search. `contains` on it holds
/// when some value contains the pattern.
pub const ANY_FIELD: &str = "AnyField";

/// The canonical spelling of a field name: taxonomy names in any case map to
/// their listed spelling; other names are kept as written.
pub fn canonical_name(name: &str) -> String {
    TAXONOMY
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |t| t.to_string())
}

/// Fields whose value most events of a log share (`Channel`,
/// `Provider_Name`, `EventID`, `Computer`): poor atoms.
pub fn is_common_field(name: &str) -> bool {
    ["Channel", "Provider_Name", "EventID", "Computer"]
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
}

/// Fields whose default form is the command-line normal form.
pub fn is_command_line(name: &str) -> bool {
    name.eq_ignore_ascii_case("CommandLine") || name.eq_ignore_ascii_case("ParentCommandLine")
}

/// Where one taxonomy field is found in an event of a given schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A (dotted, for nested objects) key path.
    Path(String),
    /// Two paths joined with a backslash: `DOMAIN\user`. Present when the
    /// second is; the first may be absent.
    Join(String, String),
}

impl Source {
    fn path(p: &str) -> Source {
        Source::Path(p.to_string())
    }

    /// Every key path this source reads.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Source::Path(p) => vec![p],
            Source::Join(a, b) => vec![a, b],
        }
    }
}

/// The sources of taxonomy field `name` under `schema`, in order of preference.
/// `name` is in canonical spelling.
pub fn sources(schema: Schema, name: &str) -> Vec<Source> {
    if let Some(join) = joined(schema, name) {
        return join;
    }
    match schema {
        Schema::Auto | Schema::Sysmon => vec![Source::path(name)],
        Schema::Security => security_sources(name),
        Schema::Ecs => ecs_sources(name),
        Schema::Evtx => evtx_sources(name),
    }
}

/// The derived `DOMAIN\user` fields: a join of the two fields in every shape.
fn joined(schema: Schema, name: &str) -> Option<Vec<Source>> {
    let (domain, user) = match name {
        TARGET_USER => ("TargetDomainName", "TargetUserName"),
        SUBJECT_USER => ("SubjectDomainName", "SubjectUserName"),
        _ => return None,
    };
    let join = |prefix: &str| Source::Join(format!("{prefix}{domain}"), format!("{prefix}{user}"));
    Some(match schema {
        Schema::Auto | Schema::Sysmon | Schema::Security => vec![join("")],
        Schema::Evtx => vec![join("Event.EventData.")],
        Schema::Ecs if name == TARGET_USER => vec![
            join("winlog.event_data."),
            Source::Join("user.domain".into(), "user.name".into()),
        ],
        Schema::Ecs => vec![join("winlog.event_data.")],
    })
}

/// Where an event says when it happened, under `schema`, in order of
/// preference: Sysmon's `UtcTime` (the flat export's own field) before the
/// record's `TimeCreated`, the EVTX `SystemTime` attribute, ECS `@timestamp`.
pub(crate) fn time_sources(schema: Schema) -> Vec<Source> {
    let paths: &[&str] = match schema {
        Schema::Auto | Schema::Sysmon => &["UtcTime", "TimeCreated", "TimeCreated.SystemTime", "@timestamp"],
        Schema::Security => &["TimeCreated", "TimeCreated.SystemTime", "UtcTime", "@timestamp"],
        Schema::Evtx => &["Event.System.TimeCreated.#attributes.SystemTime", "Event.System.TimeCreated.SystemTime", "Event.EventData.UtcTime"],
        Schema::Ecs => &["@timestamp", "winlog.event_data.UtcTime", "event.created"],
    };
    paths.iter().map(|p| Source::path(p)).collect()
}

/// Event ids whose account is the target of the event (a logon, a
/// credential validation), not the subject: for them a detection's `user` is
/// [`TARGET_USER`].
pub(crate) const TARGET_ACCOUNT_IDS: &[&str] = &[
    "4624", "4625", "4634", "4647", "4648", "4768", "4769", "4770", "4771", "4776", "4740", "4778", "4779",
];

/// System fields from `Event.System` (a value or its `#text`), the rest from
/// `Event.EventData` (or `Event.UserData`) with the Security renames, since
/// EVTX holds Sysmon and Security records alike.
fn evtx_sources(name: &str) -> Vec<Source> {
    let system: &[&str] = match name {
        "EventID" => &["Event.System.EventID.#text", "Event.System.EventID"],
        "Channel" => &["Event.System.Channel"],
        "Computer" => &["Event.System.Computer"],
        "EventRecordID" => &["Event.System.EventRecordID"],
        "Provider_Name" => &["Event.System.Provider.#attributes.Name"],
        "TimeCreated" => &["Event.System.TimeCreated.#attributes.SystemTime"],
        _ => &[],
    };
    if !system.is_empty() {
        return system.iter().map(|p| Source::path(p)).collect();
    }
    let prefix = |p: &str| format!("Event.EventData.{p}");
    let mut out: Vec<Source> = security_sources(name)
        .into_iter()
        .map(|s| match s {
            Source::Path(p) => Source::Path(prefix(&p)),
            Source::Join(a, b) => Source::Join(prefix(&a), prefix(&b)),
        })
        .collect();
    out.push(Source::Path(format!("Event.UserData.*.{name}")));
    out
}

fn security_sources(name: &str) -> Vec<Source> {
    let renamed = match name {
        "Image" => Some("NewProcessName"),
        "ParentImage" => Some("ParentProcessName"),
        "IntegrityLevel" => Some("MandatoryLabel"),
        _ => None,
    };
    let mut out = Vec::new();
    if let Some(r) = renamed {
        out.push(Source::path(r));
    }
    if name == "User" {
        out.push(Source::Join(
            "SubjectDomainName".into(),
            "SubjectUserName".into(),
        ));
    }
    out.push(Source::path(name));
    out
}

fn ecs_sources(name: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let native: &[&str] = match name {
        "Image" => &["process.executable"],
        "CommandLine" => &["process.command_line"],
        "ParentImage" => &["process.parent.executable"],
        "ParentCommandLine" => &["process.parent.command_line"],
        "OriginalFileName" => &["process.pe.original_file_name"],
        "CurrentDirectory" => &["process.working_directory"],
        "ProcessId" => &["process.pid"],
        "ParentProcessId" => &["process.parent.pid"],
        "Computer" => &["winlog.computer_name", "host.name"],
        "EventID" => &["winlog.event_id", "event.code"],
        "Channel" => &["winlog.channel"],
        "Provider_Name" => &["winlog.provider_name"],
        "TimeCreated" => &["@timestamp"],
        "EventRecordID" => &["winlog.record_id"],
        "IpAddress" => &["source.ip"],
        "IpPort" => &["source.port"],
        "WorkstationName" => &["source.domain"],
        "Company" => &["process.pe.company"],
        "Product" => &["process.pe.product"],
        "Description" => &["process.pe.description"],
        "FileVersion" => &["process.pe.file_version"],
        _ => &[],
    };
    // Winlogbeat keeps the raw EventData too; it is the most faithful source.
    out.push(Source::Path(format!("winlog.event_data.{name}")));
    out.extend(native.iter().map(|p| Source::path(p)));
    match name {
        "User" => out.push(Source::Join("user.domain".into(), "user.name".into())),
        "Image" => out.push(Source::path("winlog.event_data.NewProcessName")),
        "ParentImage" => out.push(Source::path("winlog.event_data.ParentProcessName")),
        "TargetUserName" => out.push(Source::path("user.name")),
        "TargetDomainName" => out.push(Source::path("user.domain")),
        "LogonType" => out.push(Source::path("winlog.logon.type")),
        _ => {}
    }
    out
}

/// Key paths read to decide an event's schema and kind.
pub const KIND_PATHS: &[&str] = &[
    "EventID",
    "Channel",
    "NewProcessName",
    "Image",
    "CommandLine",
    "event.code",
    "event.category",
    "event.type",
    "event.provider",
    "winlog.event_id",
    "winlog.channel",
    "process.executable",
    "process.command_line",
    "Event.System.EventID",
    "Event.System.EventID.#text",
    "Event.System.Channel",
];

/// What [`Schema::detect`] and [`event_kind`] look at: the values of
/// [`KIND_PATHS`] in one event, `None` where absent.
#[derive(Debug, Default, Clone, Copy)]
pub struct KindProbe<'a> {
    pub event_id: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub new_process_name: bool,
    pub image_or_command_line: bool,
    pub ecs_event_code: Option<&'a str>,
    pub ecs_category: Option<&'a str>,
    pub ecs_type: Option<&'a str>,
    pub ecs_provider: Option<&'a str>,
    pub winlog_event_id: Option<&'a str>,
    pub winlog_channel: Option<&'a str>,
    pub ecs_process: bool,
    /// Any key under `winlog`, `event`, `process`, `host` or `@timestamp` was seen.
    pub ecs_shape: bool,
    /// `Event.System.EventID` (or its `#text`).
    pub evtx_event_id: Option<&'a str>,
    pub evtx_channel: Option<&'a str>,
}

const SECURITY_IDS: &[&str] = &[
    "4688", "4624", "4625", "4648", "4672", "4768", "4769", "4771", "4776", "4634", "4647",
];

impl Schema {
    /// The schema of one event under `self`: itself, or for `Auto` the one
    /// its keys show. ECS wins when ECS objects are present; Security when the
    /// event id or channel is Windows Security's; Sysmon (flat) otherwise.
    pub fn detect(self, probe: &KindProbe<'_>) -> Schema {
        if self != Schema::Auto {
            return self;
        }
        if probe.evtx_event_id.is_some() || probe.evtx_channel.is_some() {
            return Schema::Evtx;
        }
        if probe.ecs_shape {
            return Schema::Ecs;
        }
        let security_channel = probe
            .channel
            .is_some_and(|c| c.eq_ignore_ascii_case("Security"));
        let security_id = probe.event_id.is_some_and(|id| SECURITY_IDS.contains(&id));
        if security_channel || probe.new_process_name || security_id && !probe.image_or_command_line
        {
            return Schema::Security;
        }
        Schema::Sysmon
    }
}

/// The kind of one event whose schema is `schema` (never `Auto`).
pub fn event_kind(schema: Schema, probe: &KindProbe<'_>) -> Option<EventKind> {
    let id_kind = |id: &str| match id {
        "4688" => Some(EventKind::Process),
        "4624" | "4625" => Some(EventKind::Logon),
        "4648" => Some(EventKind::ExplicitCredential),
        _ => None,
    };
    match schema {
        Schema::Auto | Schema::Sysmon => match probe.event_id {
            Some("1") => Some(EventKind::Process),
            Some(id) => id_kind(id),
            // Hand-written or pre-filtered events without an id: a process
            // if it looks like one.
            None if probe.image_or_command_line => Some(EventKind::Process),
            None => None,
        },
        Schema::Security => match probe.event_id {
            Some(id) => id_kind(id),
            None if probe.new_process_name => Some(EventKind::Process),
            None => None,
        },
        Schema::Evtx => {
            let sysmon = probe
                .evtx_channel
                .is_some_and(|c| c.to_ascii_lowercase().contains("sysmon"));
            match probe.evtx_event_id {
                Some("1") if sysmon => Some(EventKind::Process),
                Some(id) if !sysmon => id_kind(id),
                _ => None,
            }
        }
        Schema::Ecs => {
            let id = probe.winlog_event_id.or(probe.ecs_event_code);
            let sysmon = probe
                .winlog_channel
                .or(probe.ecs_provider)
                .is_some_and(|c| c.to_ascii_lowercase().contains("sysmon"));
            match id {
                Some("1") if sysmon || probe.ecs_process => Some(EventKind::Process),
                Some(id) if id_kind(id).is_some() => id_kind(id),
                _ => {
                    let cat = probe.ecs_category.unwrap_or("");
                    let typ = probe.ecs_type.unwrap_or("");
                    if cat.contains("process") && typ.contains("start") {
                        Some(EventKind::Process)
                    } else if cat.contains("authentication") && typ.contains("start") {
                        Some(EventKind::Logon)
                    } else {
                        None
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_ignore_case() {
        assert_eq!(canonical_name("commandline"), "CommandLine");
        assert_eq!(canonical_name("TARGETUSERNAME"), "TargetUserName");
        assert_eq!(canonical_name("SomethingElse"), "SomethingElse");
    }

    #[test]
    fn security_maps_new_process_name_to_image() {
        let s = sources(Schema::Security, "Image");
        assert_eq!(s[0], Source::Path("NewProcessName".into()));
    }

    #[test]
    fn detect_prefers_ecs_then_security() {
        let ecs = KindProbe {
            ecs_shape: true,
            ..Default::default()
        };
        assert_eq!(Schema::Auto.detect(&ecs), Schema::Ecs);
        let sec = KindProbe {
            event_id: Some("4688"),
            new_process_name: true,
            ..Default::default()
        };
        assert_eq!(Schema::Auto.detect(&sec), Schema::Security);
        assert_eq!(
            event_kind(Schema::Security, &sec),
            Some(EventKind::Process)
        );
        let sysmon = KindProbe {
            event_id: Some("1"),
            image_or_command_line: true,
            ..Default::default()
        };
        assert_eq!(Schema::Auto.detect(&sysmon), Schema::Sysmon);
    }
}
