//! Which events a Sigma `logsource` means: one table from (product, category
//! or service) to Windows event ids and channels.

/// Where a logsource's events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSource {
    /// The event's `Channel` (compared case-insensitively).
    pub channel: &'static str,
    /// Event ids; empty means any event of the channel.
    pub event_ids: &'static [u32],
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// Windows logsource categories (Sysmon unless noted).
const CATEGORIES: &[(&str, LogSource)] = &[
    ("network_connection", LogSource { channel: SYSMON, event_ids: &[3] }),
    ("process_termination", LogSource { channel: SYSMON, event_ids: &[5] }),
    ("driver_load", LogSource { channel: SYSMON, event_ids: &[6] }),
    ("image_load", LogSource { channel: SYSMON, event_ids: &[7] }),
    ("create_remote_thread", LogSource { channel: SYSMON, event_ids: &[8] }),
    ("raw_access_thread", LogSource { channel: SYSMON, event_ids: &[9] }),
    ("process_access", LogSource { channel: SYSMON, event_ids: &[10] }),
    ("file_event", LogSource { channel: SYSMON, event_ids: &[11] }),
    ("registry_add", LogSource { channel: SYSMON, event_ids: &[12] }),
    ("registry_delete", LogSource { channel: SYSMON, event_ids: &[12] }),
    ("registry_set", LogSource { channel: SYSMON, event_ids: &[13] }),
    ("registry_rename", LogSource { channel: SYSMON, event_ids: &[14] }),
    ("registry_event", LogSource { channel: SYSMON, event_ids: &[12, 13, 14] }),
    ("create_stream_hash", LogSource { channel: SYSMON, event_ids: &[15] }),
    ("pipe_created", LogSource { channel: SYSMON, event_ids: &[17, 18] }),
    ("wmi_event", LogSource { channel: SYSMON, event_ids: &[19, 20, 21] }),
    ("dns_query", LogSource { channel: SYSMON, event_ids: &[22] }),
    ("file_delete", LogSource { channel: SYSMON, event_ids: &[23, 26] }),
    ("clipboard_capture", LogSource { channel: SYSMON, event_ids: &[24] }),
    ("process_tampering", LogSource { channel: SYSMON, event_ids: &[25] }),
    ("file_block_executable", LogSource { channel: SYSMON, event_ids: &[27] }),
    ("file_block_shredding", LogSource { channel: SYSMON, event_ids: &[28] }),
    ("file_executable_detected", LogSource { channel: SYSMON, event_ids: &[29] }),
    ("sysmon_status", LogSource { channel: SYSMON, event_ids: &[4, 16] }),
    ("sysmon_error", LogSource { channel: SYSMON, event_ids: &[255] }),
    ("ps_script", LogSource { channel: "Microsoft-Windows-PowerShell/Operational", event_ids: &[4104] }),
    ("ps_module", LogSource { channel: "Microsoft-Windows-PowerShell/Operational", event_ids: &[4103] }),
    ("ps_classic_start", LogSource { channel: "Windows PowerShell", event_ids: &[400] }),
    ("ps_classic_provider_start", LogSource { channel: "Windows PowerShell", event_ids: &[600] }),
    ("ps_classic_script", LogSource { channel: "Windows PowerShell", event_ids: &[800] }),
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
];

/// The events of a Windows `logsource`: by category first, else by service.
/// `process_creation` is not in the table: it is the `process` event kind.
pub fn windows(category: Option<&str>, service: Option<&str>) -> Option<LogSource> {
    if let Some(c) = category {
        return CATEGORIES.iter().find(|(n, _)| n.eq_ignore_ascii_case(c)).map(|(_, l)| *l);
    }
    let s = service?;
    SERVICES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, channel)| LogSource { channel, event_ids: &[] })
}
