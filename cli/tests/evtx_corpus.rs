//! `landwatch scan` on the .evtx originals of SigmaHQ's regression data: each
//! case's rule fires on exactly `match_count` of its records (at least one
//! where no count is given), as it does on the same records exported to JSON.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

include!(concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/support/regression_exceptions.rs"));

const SIGMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/sigma");

#[test]
fn every_regression_case_fires_on_its_evtx_file() {
    let root = Path::new(SIGMA);
    let Ok(manifest) = std::fs::read_to_string(root.join("regression_manifest.jsonl")) else {
        eprintln!("skipping: Sigma corpus not found at {} (../shared/corpus/sigma)", root.display());
        return;
    };
    let cases: Vec<serde_json::Value> = manifest.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut args: Vec<String> = ["scan", "--no-builtin", "--format", "jsonl"].map(String::from).to_vec();
    for folder in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        args.push("--sigma".into());
        args.push(root.join(folder).display().to_string());
    }
    let mut evtx_files = 0;
    for c in &cases {
        if let Some(f) = c["evtx"].as_str() {
            args.push(root.join(f).display().to_string());
            evtx_files += 1;
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_landwatch")).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "landwatch failed: {stderr}");
    assert!(stderr.contains(" 0 rejected,"), "some records were skipped: {stderr}");

    // Detections per (file, rule).
    let mut hits: BTreeMap<(String, String), u64> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let d: serde_json::Value = serde_json::from_str(line).unwrap();
        // Every EVTX record carries its time, computer, channel, event id
        // and record number; the line is the record's position in its file.
        for key in ["time", "host", "channel", "event_id", "record", "line"] {
            assert!(!d[key].is_null(), "no {key} in {line}");
        }
        assert!(d["time"].as_str().unwrap().ends_with('Z'), "{line}");
        let key = (d["file"].as_str().unwrap().to_string(), d["rule"].as_str().unwrap().to_string());
        *hits.entry(key).or_default() += 1;
    }
    let (mut checked, mut not_loaded, mut wrong) = (0, Vec::new(), Vec::new());
    for c in &cases {
        let Some(f) = c["evtx"].as_str() else { continue };
        let rule_path = c["rule_path"].as_str().unwrap();
        let id = format!("sigma.{}", c["rule_id"].as_str().unwrap());
        let file = root.join(f).display().to_string();
        let n = hits.get(&(file, id.clone())).copied().unwrap_or(0);
        // A rejected rule is listed on stderr with its file; it cannot fire.
        if n == 0 && stderr.contains(rule_path) {
            not_loaded.push(rule_path.to_string());
            continue;
        }
        checked += 1;
        if !fires_as_recorded(rule_path, c["match_count"].as_u64(), n) {
            wrong.push(format!("{rule_path}: fired on {n} records, want {}", c["match_count"]));
        }
    }
    eprintln!(
        "evtx regression: {} of {checked} cases fire as recorded ({evtx_files} .evtx files; {} rules not loaded: {not_loaded:?})",
        checked - wrong.len(),
        not_loaded.len()
    );
    assert!(checked >= 195, "only {checked} cases checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
