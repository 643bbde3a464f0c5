//! The credential-misuse correlations of the built-in pack on
//! examples/msp-credentials.jsonl (three days at a managed service provider
//! and two customers, the provider's stolen credentials used on the third;
//! made by tools/gen_msp_credentials.py), with examples/zones.toml: each
//! fires on the attack, on the groups the attack should make, and not on the
//! ordinary days.
//!
//! The last tests keep what the example brought up when it was made: routine
//! RDP by the provider's engineers (whose sessions read Group Policy from a
//! customer's DC, and start with a type 3 logon under Network Level
//! Authentication) crossed zones and looked like a logon then a LotL tool;
//! anonymous sessions crossed zones; a service account's first interactive
//! logon started its own learning period; failed logons had the
//! pass-the-hash shape.

use std::collections::BTreeSet;
use std::sync::Arc;

use landwatch::{Detection, Event, EventTime, RuleKind, Rules, RulesBuilder, Scanner, Zones};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/msp-credentials.jsonl");
const ZONES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/zones.toml");

/// One group of a correlated detection: (key, value) pairs.
type Pairs = &'static [(&'static str, &'static str)];

/// For each correlation of the pack, the groups the attack makes it report,
/// values as the events write them.
const ATTACK: &[(&str, &[Pairs])] = &[
    // Pass-the-hash through Fabrikam at night; Contoso's workstations in the day.
    ("corr.account_many_hosts", &[&[("TargetUser", r"FABRIKAM\nw-admin")], &[("TargetUser", r"CONTOSO\nw-admin")]]),
    // Contoso's file server, DC and Dentrix server from the jump host at night.
    ("corr.rdp_many_hosts", &[&[("TargetUser", r"CONTOSO\nw-admin")]]),
    // net use \\CD-WS0xx\C$ /user:CONTOSO\nw-admin from the compromised workstation.
    ("corr.explicit_credentials_fanout", &[&[("SubjectUser", r"CONTOSO\dchen")]]),
    // The spray from CD-WS017: SMB (4625 and 4776), then Kerberos (4771).
    ("corr.password_spray", &[&[("IpAddress", "10.60.1.17")]]),
    ("corr.ntlm_validation_spray", &[&[("Workstation", "CD-WS017")]]),
    ("corr.kerberos_preauth_spray", &[&[("IpAddress", "::ffff:10.60.1.17")]]),
    // The copier's account guessed until it works.
    ("corr.brute_force_account", &[&[("TargetUser", r"CONTOSO\scanner")]]),
    ("corr.brute_force_then_success", &[&[("TargetUser", r"CONTOSO\scanner")]]),
    ("corr.kerberoasting", &[&[("TargetUserName", "dchen@CONTOSO.LOCAL")]]),
    ("corr.pass_the_hash_fanout", &[&[("TargetUser", r"FABRIKAM\nw-admin")]]),
    ("corr.new_credentials_then_network_logon", &[&[("account", "nw-admin")]]),
    // The jump host and the transfer share; Contoso's servers and
    // workstations; Fabrikam's SQL, DMS and two workstations.
    (
        "corr.admin_first_seen_host",
        &[&[("SubjectUser", r"NORTHWIND\nw-admin")], &[("SubjectUser", r"CONTOSO\nw-admin")], &[("SubjectUser", r"FABRIKAM\nw-admin")]],
    ),
    ("corr.service_account_interactive", &[&[("TargetUser", r"CONTOSO\svc-backup")]]),
    ("corr.offhours_admin_logon", &[&[("TargetUser", r"NORTHWIND\nw-admin")], &[("TargetUser", r"CONTOSO\nw-admin")]]),
    // NORTHWIND\nw-admin over NTLM from Contoso's network to the provider's
    // file server, the day it also logged on by RDP from the provider's. (The
    // night's RDP into Contoso from the provider's jump host, and the
    // Kerberos logons its session makes from Contoso's servers, look like
    // any engineer's work: not a crossing.)
    ("corr.credentials_cross_zones", &[&[("TargetUser", r"NORTHWIND\nw-admin")]]),
    // svc-backup through WMI on the file server: discovery, hives, LSASS.
    ("corr.logon_then_lotl_tool", &[&[("Computer", "CD-FS01.contoso.local"), ("user", r"CONTOSO\svc-backup")]]),
    ("corr.logon_then_credential_dumping", &[&[("Computer", "CD-FS01.contoso.local"), ("user", r"CONTOSO\svc-backup")]]),
];

/// What only the ordinary days have: accounts (bare names), hosts (short
/// names) and addresses the attack never uses as a group.
const BACKGROUND: &[&str] = &[
    // Contoso's staff but dchen; Fabrikam's; the provider's.
    "jsmith", "mlopez", "akhan", "rpatel", "kmuller", "front-desk",
    "tnguyen", "bokafor", "lrossi", "cmurphy", "ewarren", "pdesai", "jbaker", "reception",
    "sortiz", "kwalsh", "jpark",
    // The provider's helpdesk and backup accounts, the customers' service
    // accounts but svc-backup, Fabrikam's copier, anonymous sessions.
    "nw-helpdesk", "nw-backup", "svc-imaging", "svc-dentrix", "svc-sql", "svc-dms", "copier", "anonymous logon",
    // Hosts: all but the file server and the workstation the attack works from.
    "cd-dc01", "cd-app01", "cd-xray01", "cd-mfp01", "cd-ws011", "cd-ws012", "cd-ws014", "cd-ws022", "cd-ws023", "cd-ws031",
    "fb-dc01", "fb-fs01", "fb-sql01", "fb-app01", "fb-mfp01",
    "fb-ws201", "fb-ws202", "fb-ws203", "fb-ws204", "fb-ws205", "fb-ws206", "fb-ws207", "fb-ws208",
    "nw-dc01", "nw-jump01", "nw-jump02", "nw-fs01", "nw-bkp01", "nw-ws101", "nw-ws102", "nw-ws103",
    // Addresses: every host's but CD-WS017's (10.60.1.17).
    "10.50.0.10", "10.50.0.15", "10.50.0.16", "10.50.0.20", "10.50.0.30", "10.50.1.101", "10.50.1.102", "10.50.1.103",
    "10.60.0.10", "10.60.0.20", "10.60.0.30", "10.60.1.11", "10.60.1.12", "10.60.1.14", "10.60.1.22", "10.60.1.23",
    "10.60.1.31", "10.60.1.50", "10.60.1.200",
    "10.70.0.10", "10.70.0.20", "10.70.0.30", "10.70.0.40", "10.70.1.200",
    "10.70.1.201", "10.70.1.202", "10.70.1.203", "10.70.1.204", "10.70.1.205", "10.70.1.206", "10.70.1.207", "10.70.1.208",
    "127.0.0.1",
];

fn rules() -> Arc<Rules> {
    Arc::new(RulesBuilder::new().add_builtin().build().unwrap_or_else(|e| panic!("{e}")))
}

fn lines() -> Vec<String> {
    let text = std::fs::read_to_string(DATA).expect("examples/msp-credentials.jsonl");
    text.lines().map(str::to_string).collect()
}

fn zones_text() -> String {
    std::fs::read_to_string(ZONES).expect("examples/zones.toml")
}

fn zones() -> Zones {
    Zones::from_toml(&zones_text()).unwrap_or_else(|e| panic!("examples/zones.toml: {e}"))
}

/// The zones of examples/zones.toml without its [business_hours].
fn zones_without_hours() -> Zones {
    let text = zones_text();
    let cut = text.find("\n[business_hours]").expect("examples/zones.toml has [business_hours]");
    let z = Zones::from_toml(&text[..cut]).unwrap();
    assert!(!z.has_business_hours());
    assert_eq!(z.names(), ["customer-a", "customer-b", "provider"]);
    z
}

/// Scans (line number, line) in the order given, then flushes.
fn scan<'a>(events: impl IntoIterator<Item = (u64, &'a str)>, zones: Option<Zones>) -> Vec<Detection> {
    let mut s = Scanner::new(rules());
    if let Some(z) = zones {
        s = s.with_zones(Arc::new(z));
    }
    let file: Arc<str> = "examples/msp-credentials.jsonl".into();
    let mut out = Vec::new();
    for (line, text) in events {
        let d = s.scan(&Event::json(text.as_bytes()).at(Some(&file), line));
        out.extend(d.unwrap_or_else(|e| panic!("line {line}: {e}")));
    }
    out.extend(s.flush());
    out
}

fn scan_all(zones: Option<Zones>) -> Vec<Detection> {
    let lines = lines();
    assert!((2000..=5000).contains(&lines.len()), "{} events", lines.len());
    scan(lines.iter().enumerate().map(|(i, l)| (i as u64 + 1, l.as_str())), zones)
}

type Group = Vec<(String, String)>;

fn folded(pairs: impl IntoIterator<Item = (String, String)>) -> Group {
    pairs.into_iter().map(|(k, v)| (k, v.to_lowercase())).collect()
}

/// The groups `rule` reported, values case-folded (they compare so).
fn groups(detections: &[Detection], rule: &str) -> BTreeSet<Group> {
    detections
        .iter()
        .filter(|d| d.rule == rule)
        .map(|d| folded(d.correlation.as_ref().expect("a correlated detection").group.clone()))
        .collect()
}

fn expected(rule: &str) -> BTreeSet<Group> {
    let (_, gs) = ATTACK.iter().find(|(r, _)| *r == rule).unwrap_or_else(|| panic!("{rule} has no expected groups"));
    gs.iter().map(|g| folded(g.iter().map(|(k, v)| (k.to_string(), v.to_string())))).collect()
}

/// The background names a group value stands for: itself, the account of
/// `DOMAIN\user` or `user@REALM`, the short name of a host, the address of
/// `::ffff:a.b.c.d`.
fn background_names(value: &str) -> Vec<&'static str> {
    let v = value.to_lowercase();
    let mut forms = vec![v.clone()];
    if let Some((_, user)) = v.split_once('\\') {
        forms.push(user.to_string());
    }
    if let Some((user, _)) = v.split_once('@') {
        forms.push(user.to_string());
    }
    if let Some(a) = v.strip_prefix("::ffff:") {
        forms.push(a.to_string());
    }
    if v.contains('.') && v.chars().any(|c| c.is_ascii_alphabetic()) {
        forms.push(v.split('.').next().unwrap_or("").to_string());
    }
    BACKGROUND.iter().copied().filter(|b| forms.iter().any(|f| f == b)).collect()
}

/// The building blocks that the sequences naming them silence.
const SILENCED: &[&str] = &["corr.lotl_activity", "corr.credential_dumping"];

/// The pack's correlations that report.
fn pack_correlations(rules: &Rules) -> Vec<String> {
    let silent: Vec<&str> = rules.iter().filter(|r| r.kind == RuleKind::Correlation && !r.reports).map(|r| r.id.as_str()).collect();
    assert_eq!(silent, SILENCED);
    rules
        .iter()
        .filter(|r| r.kind == RuleKind::Correlation && r.reports)
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn every_reporting_correlation_fires_on_the_attack_and_only_there() {
    let rules = rules();
    let ids = pack_correlations(&rules);
    assert_eq!(ids.len(), 17, "{ids:?}");
    assert_eq!(ATTACK.len(), ids.len());
    let d = scan_all(Some(zones()));

    // (a) Each fires, on exactly the attack's groups.
    for id in &ids {
        assert_eq!(groups(&d, id), expected(id), "{id}");
    }

    // (b) No correlated detection's group names the ordinary days' accounts,
    // hosts or addresses.
    for x in d.iter().filter(|x| x.correlation.is_some()) {
        for (key, value) in &x.correlation.as_ref().unwrap().group {
            let names = background_names(value);
            assert!(names.is_empty(), "{} at line {:?} groups {key}={value}, background {names:?}", x.rule, x.line);
        }
    }

    // (c) The building blocks stay silent; the rules they take still report.
    for block in SILENCED {
        assert!(!d.iter().any(|x| x.rule == *block), "{block}");
    }
    for rule in ["cred.reg_save_hive", "cred.comsvcs_minidump", "disc.whoami_all_or_priv"] {
        assert!(d.iter().any(|x| x.rule == rule), "{rule}");
    }

    // (e) Every detection says when and where.
    for x in &d {
        assert!(x.time.is_some() && x.host.as_deref().is_some_and(|h| !h.is_empty()), "{} at line {:?}", x.rule, x.line);
    }
}

#[test]
fn zones_and_business_hours_are_needed_by_the_rules_that_read_them() {
    // (d) Without zones, the zone rule stays silent, and the off-hours rule
    // too (business hours come with the zones)...
    let d = scan_all(None);
    for rule in ["corr.credentials_cross_zones", "corr.offhours_admin_logon"] {
        assert!(!d.iter().any(|x| x.rule == rule), "{rule} fired without zones");
    }
    assert_eq!(groups(&d, "corr.kerberoasting"), expected("corr.kerberoasting"));
    // ...and with zones but no [business_hours], the off-hours rule alone.
    let d = scan_all(Some(zones_without_hours()));
    assert!(!d.iter().any(|x| x.rule == "corr.offhours_admin_logon"), "fired without business hours");
    let cross = groups(&d, "corr.credentials_cross_zones");
    assert!(expected("corr.credentials_cross_zones").is_subset(&cross), "{cross:?}");
}

/// A correlated detection as the stream's order cannot change it: the lines
/// of the events, not their positions in the stream.
fn correlated(d: &[Detection]) -> Vec<String> {
    let mut out: Vec<String> = d
        .iter()
        .filter_map(|x| {
            let c = x.correlation.as_ref()?;
            let lines: Vec<u64> = c.events.iter().filter_map(|e| e.line).collect();
            Some(format!(
                "{} line {:?} {:?} {}..{} count {} {:?} events {:?} (+{})",
                x.rule, x.line, c.group, c.window.start, c.window.end, c.count, c.values, lines, c.events_omitted
            ))
        })
        .collect();
    out.sort();
    out
}

/// When a line's event happened.
fn event_time(line: &str) -> EventTime {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let t = v.get("TimeCreated").or_else(|| v.get("UtcTime")).and_then(|t| t.as_str()).unwrap();
    EventTime::parse(t).unwrap()
}

#[test]
fn a_shuffle_within_the_lateness_gives_the_same_correlations() {
    let lines = lines();
    let sorted = correlated(&scan_all(Some(zones())));
    assert!(sorted.len() > 30, "{} correlated detections", sorted.len());
    // Each event moved up to 59 s later than its time (a fixed LCG), the
    // stream sorted by that: no event comes after one 60 s (the default
    // lateness) later than itself.
    let mut x: u64 = 0x2018_1003;
    let mut order: Vec<(i64, usize)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let jitter = ((x >> 33) % 59_000) as i64 * 1_000_000;
            (event_time(l).as_nanos() + jitter, i)
        })
        .collect();
    order.sort();
    let moved = order.iter().enumerate().filter(|(k, (_, i))| k != i).count();
    assert!(moved > lines.len() / 2, "only {moved} events moved");
    let shuffled = scan(order.iter().map(|&(_, i)| (i as u64 + 1, lines[i].as_str())), Some(zones()));
    assert_eq!(correlated(&shuffled), sorted);
}

// ---- what the example brought up -----------------------------------------------

/// The groups of `rule` that are not the attack's, with where they were completed.
fn unexpected(d: &[Detection], rule: &str) -> Vec<String> {
    let want = expected(rule);
    d.iter()
        .filter(|x| x.rule == rule)
        .filter(|x| !want.contains(&folded(x.correlation.as_ref().unwrap().group.clone())))
        .map(|x| format!("line {:?} {:?}", x.line, x.correlation.as_ref().unwrap().group))
        .collect()
}

#[test]
fn credentials_cross_zones_fires_on_the_attack_only() {
    let d = scan_all(Some(zones()));
    let extra = unexpected(&d, "corr.credentials_cross_zones");
    assert!(extra.is_empty(), "{} detections beyond the attack: {extra:#?}", extra.len());
}

#[test]
fn logon_then_lotl_tool_fires_on_the_attack_only() {
    let d = scan_all(Some(zones()));
    let extra = unexpected(&d, "corr.logon_then_lotl_tool");
    assert!(extra.is_empty(), "{} detections beyond the attack: {extra:#?}", extra.len());
}

#[test]
fn service_account_interactive_fires_without_a_first_day_service_logon() {
    // The stream without the X-ray station's daily logon as svc-imaging, the
    // only service account that logs on interactively before the attack.
    let lines = lines();
    let kept: Vec<(u64, &str)> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !(l.contains("\"TargetUserName\": \"svc-imaging\"") && l.contains("\"LogonType\": 2,")))
        .map(|(i, l)| (i as u64 + 1, l.as_str()))
        .collect();
    assert_eq!(lines.len() - kept.len(), 3, "one logon a day");
    let d = scan(kept, Some(zones()));
    assert_eq!(groups(&d, "corr.service_account_interactive"), expected("corr.service_account_interactive"));
}

/// A failed NTLM network logon (4625), as a DC or server writes it.
fn failed_ntlm(seconds: u64, host: &str) -> String {
    let t = EventTime::parse("2026-11-05T15:00:00Z").unwrap().plus_nanos(seconds as i64 * 1_000_000_000);
    serde_json::json!({
        "EventID": 4625, "Channel": "Security", "Computer": host, "TimeCreated": t.to_string(),
        "TargetUserName": "nw-backup", "TargetDomainName": "FABRIKAM", "Status": "0xc000006d", "SubStatus": "0xc000006a",
        "LogonType": 3, "LogonProcessName": "NtLmSsp ", "AuthenticationPackageName": "NTLM", "WorkstationName": "NW-BKP01",
        "LmPackageName": "-", "KeyLength": 0, "IpAddress": "10.50.0.30", "IpPort": "51022",
    })
    .to_string()
}

#[test]
fn pass_the_hash_fanout_ignores_failed_logons() {
    // The backup server's old password for Fabrikam, refused by three servers.
    let events: Vec<String> = ["FB-DC01.fabrikam.local", "FB-FS01.fabrikam.local", "FB-SQL01.fabrikam.local"]
        .iter()
        .enumerate()
        .map(|(k, h)| failed_ntlm(k as u64 * 60, h))
        .collect();
    let d = scan(events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e.as_str())), Some(zones()));
    let fired: Vec<&str> = d.iter().map(|x| x.rule.as_str()).collect();
    assert!(!fired.contains(&"cred.ntlm_network_logon_no_key"), "{fired:?}");
    assert!(!fired.contains(&"corr.pass_the_hash_fanout"), "{fired:?}");
}
