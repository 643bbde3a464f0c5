//! Which events a Sigma `logsource` means: one table from (product, category
//! or service) to Windows event ids and channels.
//!
//! The built-in table covers Sysmon, PowerShell and the Windows services
//! SigmaHQ uses. A user extends or replaces it with a YAML file
//! ([`LogSourceTable::from_yaml`], `--sigma-logsources`; the format is in
//! docs/sigma-compatibility.md), for channels the built-in table cannot know
//! (an ETW provider forwarded under its own channel, a renamed collector).

use yaml_rust2::Yaml;

/// Where a logsource's events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    /// The event's `Channel` (compared case-insensitively).
    pub channel: String,
    /// Event ids; empty means any event of the channel.
    pub event_ids: Vec<u32>,
}

/// The logsource table: Windows categories and services to channels and ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSourceTable {
    categories: Vec<(String, LogSource)>,
    services: Vec<(String, String)>,
}

impl Default for LogSourceTable {
    fn default() -> Self {
        LogSourceTable::builtin()
    }
}

impl LogSourceTable {
    /// The built-in table.
    pub fn builtin() -> LogSourceTable {
        let own = |l: &BuiltinSource| LogSource {
            channel: l.channel.to_string(),
            event_ids: l.event_ids.to_vec(),
        };
        LogSourceTable {
            categories: CATEGORIES.iter().map(|(n, l)| (n.to_string(), own(l))).collect(),
            services: SERVICES.iter().map(|(n, c)| (n.to_string(), c.to_string())).collect(),
        }
    }

    /// A table with nothing in it.
    pub fn empty() -> LogSourceTable {
        LogSourceTable { categories: Vec::new(), services: Vec::new() }
    }

    /// Adds or replaces a category.
    pub fn set_category(&mut self, name: &str, source: LogSource) {
        self.categories.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.categories.push((name.to_string(), source));
    }

    /// Adds or replaces a service (all events of one channel).
    pub fn set_service(&mut self, name: &str, channel: &str) {
        self.services.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.services.push((name.to_string(), channel.to_string()));
    }

    /// The events of a Windows `logsource`: by category first, else by
    /// service. `process_creation` is not in the table: it is the `process`
    /// event kind.
    pub fn windows(&self, category: Option<&str>, service: Option<&str>) -> Option<LogSource> {
        if let Some(c) = category {
            return self
                .categories
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(c))
                .map(|(_, l)| l.clone());
        }
        let s = service?;
        self.services
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, channel)| LogSource { channel: channel.clone(), event_ids: Vec::new() })
    }

    /// The built-in table changed by a YAML file: `categories` (name to
    /// `channel` and `event_ids`) and `services` (name to channel) are added
    /// or replace the built-in entries of the same name; `replace: true`
    /// starts from an empty table instead.
    pub fn from_yaml(text: &str) -> Result<LogSourceTable, String> {
        let docs = crate::yaml::load_from_str(text).map_err(|e| format!("line {}: {}", e.marker().line(), e.info()))?;
        let Some(doc) = docs.first() else {
            return Ok(LogSourceTable::builtin());
        };
        let map = doc.as_hash().ok_or("a logsource file is a map with 'categories' and 'services'")?;
        for (k, _) in map {
            if !matches!(k.as_str(), Some("replace" | "categories" | "services")) {
                return Err(format!("unknown key {k:?}: expected replace, categories or services"));
            }
        }
        let mut table = match &doc["replace"] {
            Yaml::Boolean(true) => LogSourceTable::empty(),
            Yaml::Boolean(false) | Yaml::BadValue => LogSourceTable::builtin(),
            _ => return Err("'replace' must be true or false".into()),
        };
        if let Some(cats) = doc["categories"].as_hash() {
            for (k, v) in cats {
                let name = k.as_str().ok_or("a category name must be a string")?;
                let channel = v["channel"]
                    .as_str()
                    .ok_or(format!("category '{name}': 'channel' (a string) is required"))?;
                let event_ids = match &v["event_ids"] {
                    Yaml::BadValue => Vec::new(),
                    Yaml::Integer(i) => vec![event_id(name, *i)?],
                    Yaml::Array(ids) => ids
                        .iter()
                        .map(|i| i.as_i64().ok_or(format!("category '{name}': event ids are numbers")).and_then(|i| event_id(name, i)))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(format!("category '{name}': 'event_ids' is a number or a list of numbers")),
                };
                table.set_category(name, LogSource { channel: channel.to_string(), event_ids });
            }
        } else if !doc["categories"].is_badvalue() {
            return Err("'categories' must be a map".into());
        }
        if let Some(svcs) = doc["services"].as_hash() {
            for (k, v) in svcs {
                let name = k.as_str().ok_or("a service name must be a string")?;
                let channel = v.as_str().ok_or(format!("service '{name}': the value is its channel, a string"))?;
                table.set_service(name, channel);
            }
        } else if !doc["services"].is_badvalue() {
            return Err("'services' must be a map".into());
        }
        Ok(table)
    }
}

fn event_id(category: &str, i: i64) -> Result<u32, String> {
    u32::try_from(i).map_err(|_| format!("category '{category}': event id {i} is out of range"))
}

/// A built-in table entry.
struct BuiltinSource {
    channel: &'static str,
    event_ids: &'static [u32],
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// Windows logsource categories (Sysmon unless noted).
const CATEGORIES: &[(&str, BuiltinSource)] = &[
    ("file_change", BuiltinSource { channel: SYSMON, event_ids: &[2] }),
    ("network_connection", BuiltinSource { channel: SYSMON, event_ids: &[3] }),
    ("process_termination", BuiltinSource { channel: SYSMON, event_ids: &[5] }),
    ("driver_load", BuiltinSource { channel: SYSMON, event_ids: &[6] }),
    ("image_load", BuiltinSource { channel: SYSMON, event_ids: &[7] }),
    ("create_remote_thread", BuiltinSource { channel: SYSMON, event_ids: &[8] }),
    ("raw_access_thread", BuiltinSource { channel: SYSMON, event_ids: &[9] }),
    ("process_access", BuiltinSource { channel: SYSMON, event_ids: &[10] }),
    ("file_event", BuiltinSource { channel: SYSMON, event_ids: &[11] }),
    ("registry_add", BuiltinSource { channel: SYSMON, event_ids: &[12] }),
    ("registry_delete", BuiltinSource { channel: SYSMON, event_ids: &[12] }),
    ("registry_set", BuiltinSource { channel: SYSMON, event_ids: &[13] }),
    ("registry_rename", BuiltinSource { channel: SYSMON, event_ids: &[14] }),
    ("registry_event", BuiltinSource { channel: SYSMON, event_ids: &[12, 13, 14] }),
    ("create_stream_hash", BuiltinSource { channel: SYSMON, event_ids: &[15] }),
    ("pipe_created", BuiltinSource { channel: SYSMON, event_ids: &[17, 18] }),
    ("wmi_event", BuiltinSource { channel: SYSMON, event_ids: &[19, 20, 21] }),
    ("dns_query", BuiltinSource { channel: SYSMON, event_ids: &[22] }),
    ("file_delete", BuiltinSource { channel: SYSMON, event_ids: &[23, 26] }),
    ("clipboard_capture", BuiltinSource { channel: SYSMON, event_ids: &[24] }),
    ("process_tampering", BuiltinSource { channel: SYSMON, event_ids: &[25] }),
    ("file_block_executable", BuiltinSource { channel: SYSMON, event_ids: &[27] }),
    ("file_block_shredding", BuiltinSource { channel: SYSMON, event_ids: &[28] }),
    ("file_executable_detected", BuiltinSource { channel: SYSMON, event_ids: &[29] }),
    ("sysmon_status", BuiltinSource { channel: SYSMON, event_ids: &[4, 16] }),
    ("sysmon_error", BuiltinSource { channel: SYSMON, event_ids: &[255] }),
    ("ps_script", BuiltinSource { channel: "Microsoft-Windows-PowerShell/Operational", event_ids: &[4104] }),
    ("ps_module", BuiltinSource { channel: "Microsoft-Windows-PowerShell/Operational", event_ids: &[4103] }),
    ("ps_classic_start", BuiltinSource { channel: "Windows PowerShell", event_ids: &[400] }),
    ("ps_classic_provider_start", BuiltinSource { channel: "Windows PowerShell", event_ids: &[600] }),
    ("ps_classic_script", BuiltinSource { channel: "Windows PowerShell", event_ids: &[800] }),
];

/// Windows logsource services, by channel.
const SERVICES: &[(&str, &str)] = &[
    ("security", "Security"),
    ("system", "System"),
    ("application", "Application"),
    ("sysmon", SYSMON),
    ("powershell", "Microsoft-Windows-PowerShell/Operational"),
    ("powershell-classic", "Windows PowerShell"),
    ("windefend", "Microsoft-Windows-Windows Defender/Operational"),
    ("taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"),
    ("wmi", "Microsoft-Windows-WMI-Activity/Operational"),
    ("bits-client", "Microsoft-Windows-Bits-Client/Operational"),
    ("codeintegrity-operational", "Microsoft-Windows-CodeIntegrity/Operational"),
    ("dns-client", "Microsoft-Windows-DNS Client Events/Operational"),
    ("firewall-as", "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"),
    ("appxdeployment-server", "Microsoft-Windows-AppXDeploymentServer/Operational"),
    ("msexchange-management", "MSExchange Management"),
    ("iis-configuration", "Microsoft-IIS-Configuration/Operational"),
    ("ntlm", "Microsoft-Windows-NTLM/Operational"),
    ("dns-server", "DNS Server"),
    ("driver-framework", "Microsoft-Windows-DriverFrameworks-UserMode/Operational"),
    ("smbclient-security", "Microsoft-Windows-SmbClient/Security"),
    ("terminalservices-localsessionmanager", "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"),
    ("openssh", "OpenSSH/Operational"),
    ("printservice-admin", "Microsoft-Windows-PrintService/Admin"),
    ("printservice-operational", "Microsoft-Windows-PrintService/Operational"),
    ("applocker", "Microsoft-Windows-AppLocker/EXE and DLL"),
    ("ldap", "Microsoft-Windows-LDAP-Client/Debug"),
    ("shell-core", "Microsoft-Windows-Shell-Core/Operational"),
    ("vhdmp", "Microsoft-Windows-VHDMP/Operational"),
    ("capi2", "Microsoft-Windows-CAPI2/Operational"),
    ("certificateservicesclient-lifecycle-system", "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"),
    ("diagnosis-scripted", "Microsoft-Windows-Diagnosis-Scripted/Operational"),
    ("lsa-server", "Microsoft-Windows-LSA/Operational"),
    ("hyper-v-worker", "Microsoft-Windows-Hyper-V-Worker-Admin"),
    ("kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Operational"),
    ("security-mitigations", "Microsoft-Windows-Security-Mitigations/Kernel Mode"),
    ("bitlocker", "Microsoft-Windows-BitLocker/BitLocker Management"),
    ("appmodel-runtime", "Microsoft-Windows-AppModel-Runtime/Admin"),
    ("appxpackaging-om", "Microsoft-Windows-AppxPackaging/Operational"),
    ("microsoft-servicebus-client", "Microsoft-ServiceBus-Client"),
    ("smbserver-connectivity", "Microsoft-Windows-SMBServer/Connectivity"),
    ("smbclient-connectivity", "Microsoft-Windows-SmbClient/Connectivity"),
    ("dns-server-analytic", "Microsoft-Windows-DNS-Server/Analytical"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_extends_or_replaces_the_builtin_table() {
        let t = LogSourceTable::from_yaml(
            "categories:\n  file_access:\n    channel: Microsoft-Windows-Kernel-File/Analytic\n    event_ids: [12, 14]\n  registry_set:\n    channel: Custom/Registry\n    event_ids: 13\nservices:\n  my-app: MyApp/Operational\n",
        )
        .unwrap();
        let fa = t.windows(Some("FILE_ACCESS"), None).unwrap();
        assert_eq!((fa.channel.as_str(), fa.event_ids.as_slice()), ("Microsoft-Windows-Kernel-File/Analytic", &[12, 14][..]));
        assert_eq!(t.windows(Some("registry_set"), None).unwrap().channel, "Custom/Registry");
        assert_eq!(t.windows(None, Some("my-app")).unwrap().channel, "MyApp/Operational");
        assert_eq!(t.windows(None, Some("security")).unwrap().channel, "Security");
        let r = LogSourceTable::from_yaml("replace: true\nservices:\n  security: Sec\n").unwrap();
        assert_eq!(r.windows(None, Some("security")).unwrap().channel, "Sec");
        assert_eq!(r.windows(Some("image_load"), None), None);
        for bad in ["- a", "categories: 3", "categories:\n  x: {event_ids: [1]}", "services:\n  x: [1]", "typo: 1", "categories:\n  x: {channel: c, event_ids: [-1]}"] {
            assert!(LogSourceTable::from_yaml(bad).is_err(), "{bad}");
        }
    }
}
