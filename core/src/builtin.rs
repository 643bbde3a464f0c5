//! The built-in rule pack: `core/rules/*.lw`, embedded at compile time.

/// `(source name, rule text)` of every built-in rule file.
pub const SOURCES: &[(&str, &str)] = &[
    ("rules/collection_exfil.lw", include_str!("../rules/collection_exfil.lw")),
    ("rules/credential_access.lw", include_str!("../rules/credential_access.lw")),
    ("rules/credential_misuse.lw", include_str!("../rules/credential_misuse.lw")),
    ("rules/defense_evasion.lw", include_str!("../rules/defense_evasion.lw")),
    ("rules/discovery.lw", include_str!("../rules/discovery.lw")),
    ("rules/download_proxy_exec.lw", include_str!("../rules/download_proxy_exec.lw")),
    ("rules/explicit_credentials.lw", include_str!("../rules/explicit_credentials.lw")),
    ("rules/powershell.lw", include_str!("../rules/powershell.lw")),
    ("rules/remote_execution.lw", include_str!("../rules/remote_execution.lw")),
];
