//! One `Arc<Rules>` shared by 8 threads, each with its own `Scanner` over
//! the same events: every thread gets exactly the detections (stateless and
//! correlated) and the figures one thread alone gets.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use landwatch::{Accounting, Detection, Event, Rules, RulesBuilder, Scanner, Zones};

const THREADS: usize = 8;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Sigma rules from the shared corpus (process creation, the folder most
/// of the examples' events fall under), when it is there.
fn sigma_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus/sigma/rules/windows/process_creation");
    if !dir.is_dir() {
        eprintln!(
            "skipping the Sigma part: corpus not found at {} (../shared/corpus/sigma); built-in rules only",
            dir.display()
        );
        return Vec::new();
    }
    let mut files = Vec::new();
    landwatch::read::files_under(
        &dir,
        &|p: &Path| p.extension().is_some_and(|e| e == "yml"),
        &mut files,
    )
    .unwrap();
    files.sort();
    files
}

fn rules() -> (Rules, usize) {
    let mut builder = RulesBuilder::new().add_builtin();
    let builtin = builder.len();
    for f in sigma_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        builder = builder.add_sigma(landwatch::sigma::load(&f.display().to_string(), &text));
    }
    let sigma = builder.len() - builtin;
    (builder.build().unwrap(), sigma)
}

/// Every example stream, scanned by a fresh scanner each: the detections
/// (flushed at each stream's end) and each stream's figures.
fn scan_all(
    rules: &Arc<Rules>,
    zones: &Arc<Zones>,
    streams: &[(String, Vec<u8>)],
) -> (Vec<Detection>, Vec<Accounting>) {
    let mut found = Vec::new();
    let mut figures = Vec::new();
    for (name, text) in streams {
        let file: Arc<str> = Arc::from(name.as_str());
        let mut scanner = Scanner::new(Arc::clone(rules)).with_zones(Arc::clone(zones));
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let ev = Event::json(line).at(Some(&file), i as u64 + 1);
            match scanner.scan(&ev) {
                Ok(ds) => found.extend(ds),
                Err(e) => panic!("{name}:{}: {e}", i + 1),
            }
        }
        found.extend(scanner.flush());
        figures.push(scanner.accounting());
    }
    (found, figures)
}

#[test]
fn eight_threads_on_one_rules_get_the_single_thread_detections() {
    let (rules, sigma) = rules();
    eprintln!(
        "{} rules ({} from Sigma, {} correlations)",
        rules.len(),
        sigma,
        rules.correlation_count()
    );
    let rules = Arc::new(rules);
    let zones = Arc::new(
        Zones::from_toml(&std::fs::read_to_string(examples().join("zones.toml")).unwrap()).unwrap(),
    );
    let mut names: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    names.sort();
    assert!(names.len() >= 2, "examples/*.jsonl: {names:?}");
    let streams: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).unwrap()))
        .collect();
    let streams = Arc::new(streams);

    let (alone, alone_figures) = scan_all(&rules, &zones, &streams);
    let correlated = alone.iter().filter(|d| d.correlation.is_some()).count();
    let stateless = alone.len() - correlated;
    eprintln!("one thread: {stateless} stateless and {correlated} correlated detections");
    assert!(
        stateless > 0 && correlated > 0,
        "the examples give both kinds"
    );
    if sigma > 0 {
        assert!(
            alone.iter().any(|d| rules
                .get(&d.rule)
                .is_some_and(|r| !r.origin.file.starts_with("builtin:"))),
            "a Sigma rule fires on the examples"
        );
    }

    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (rules, zones, streams) =
                (Arc::clone(&rules), Arc::clone(&zones), Arc::clone(&streams));
            std::thread::spawn(move || scan_all(&rules, &zones, &streams))
        })
        .collect();
    for (t, h) in handles.into_iter().enumerate() {
        let (found, figures) = h.join().expect("a scanning thread");
        assert_eq!(found.len(), alone.len(), "thread {t}: as many detections");
        assert_eq!(
            found, alone,
            "thread {t}: the same detections, in the same order"
        );
        assert_eq!(figures, alone_figures, "thread {t}: the same figures");
    }
}
