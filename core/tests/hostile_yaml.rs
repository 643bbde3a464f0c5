//! YAML whose aliases expand far past its own size (the billion-laughs
//! shape) is refused quickly, with the file and line, as a counted Sigma
//! rejection; placeholder and logsource files get the same bound.

use std::time::{Duration, Instant};

/// Nine levels of ten aliases each: 10^9 scalars once expanded, 16 lines.
/// Generated here rather than checked in.
fn billion_laughs(indent: &str) -> String {
    let mut text = format!("{indent}l0: &l0 \"lol\"\n");
    for level in 1..=9 {
        let uses = vec![format!("*l{}", level - 1); 10].join(", ");
        text.push_str(&format!("{indent}l{level}: &l{level} [{uses}]\n"));
    }
    text
}

#[test]
fn sigma_billion_laughs_is_a_fast_rejection_naming_file_and_line() {
    let text = format!(
        "title: laughs\nid: 1c1c1c1c-0000-4000-8000-000000000000\nlogsource:\n  product: windows\ndetection:\n{}  condition: l9\n",
        billion_laughs("  ")
    );
    assert_eq!(text.lines().count(), 16);
    let start = Instant::now();
    let loaded = landwatch::sigma::load("laughs.yml", &text);
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    assert!(loaded.rules.is_empty());
    assert_eq!(loaded.rejected.len(), 1, "{:?}", loaded.rejected);
    let r = &loaded.rejected[0];
    assert_eq!(r.file, "laughs.yml");
    // The line of the first alias use past the bound (level 6's list).
    assert!((6..=16).contains(&r.line), "{r}");
    assert!(r.reason.contains("aliases expand"), "{r}");
    assert!(r.to_string().starts_with("laughs.yml:"), "{r}");
}

#[test]
fn placeholder_and_logsource_files_are_bounded_too() {
    let start = Instant::now();
    let e = landwatch::sigma::placeholders(&billion_laughs("")).unwrap_err();
    assert!(e.contains("aliases expand"), "{e}");
    let e = landwatch::schema::logsource::LogSourceTable::from_yaml(&billion_laughs("")).unwrap_err();
    assert!(e.contains("aliases expand"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
}

#[test]
fn many_cheap_aliases_are_bounded_by_count() {
    let mut text = String::from("a: &a x\nb: [");
    text.push_str(&vec!["*a"; 20_000].join(", "));
    text.push_str("]\n");
    let e = landwatch::sigma::placeholders(&text).unwrap_err();
    assert!(e.contains("alias uses"), "{e}");
}

#[test]
fn ordinary_aliases_still_load() {
    let text = "title: t\nid: 2c2c2c2c-0000-4000-8000-000000000000\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  sel: &s\n    Image|endswith: '\\certutil.exe'\n  again: *s\n  condition: sel and again\nlevel: high\n";
    let loaded = landwatch::sigma::load("ok.yml", text);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    assert_eq!(loaded.rules.len(), 1);
}
