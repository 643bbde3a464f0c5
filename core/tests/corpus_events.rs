//! Real recorded events (SigmaHQ's regression data, flattened to JSON Lines in
//! ../shared/corpus/sigma-regression): every one is read, process creations are
//! recognised as such, and the built-in pack runs over them without error.

use std::sync::Arc;

use landwatch::{RulesBuilder, Scanner};

const PROBE: &str = r#"
rule probe.process { title: "any process" level: informational on: process when: Image exists }
rule probe.logon { title: "any logon" level: informational on: logon when: TargetUserName exists }
rule probe.explicit { title: "explicit credentials" level: informational on: explicit_credential when: TargetUserName exists }
"#;

#[test]
fn regression_events_are_read_and_classified() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/sigma-regression");
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("skipping: corpus not found at {dir} (../shared/corpus/sigma-regression)");
        return;
    };
    let probes = Arc::new(RulesBuilder::new().add_source("probe.lw", PROBE).build().unwrap());
    let pack = Arc::new(RulesBuilder::new().add_builtin().build().unwrap());
    let mut probe = Scanner::new(probes);
    let mut scanner = Scanner::new(pack);
    let (mut events, mut sysmon1, mut explicit) = (0, 0, 0);
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".jsonl") || name == "manifest.jsonl" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            events += 1;
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let hits: Vec<String> = probe
                .scan_json(line.as_bytes())
                .unwrap_or_else(|e| panic!("{name}:{}: {e}", n + 1))
                .into_iter()
                .map(|d| d.rule)
                .collect();
            scanner
                .scan_json(line.as_bytes())
                .unwrap_or_else(|e| panic!("{name}:{}: {e}", n + 1));
            let id = value["EventID"].as_u64();
            if id == Some(1) && value["Channel"].as_str().is_some_and(|c| c.contains("Sysmon")) {
                sysmon1 += 1;
                assert!(hits.iter().any(|h| h == "probe.process"), "{name}:{}: Sysmon 1 not seen as a process", n + 1);
            } else {
                assert!(!hits.iter().any(|h| h == "probe.process"), "{name}:{}: event {id:?} taken for a process", n + 1);
            }
            if id == Some(4648) {
                explicit += 1;
                assert!(hits.iter().any(|h| h == "probe.explicit"), "{name}:{}: 4648 not seen as explicit credentials", n + 1);
            }
        }
    }
    assert_eq!(scanner.stats().rejected, 0);
    assert!(events >= 200, "only {events} events read");
    assert!(sysmon1 >= 100, "only {sysmon1} Sysmon process creations");
    eprintln!("{events} recorded events read; {sysmon1} Sysmon 1, {explicit} Security 4648; {} built-in detections", scanner.stats().detections);
}
