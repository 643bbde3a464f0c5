//! landwatch finds living-off-the-land tool abuse and credential misuse in
//! Windows event streams.
//!
//! (crate docs with a complete example: filled in by the engine commit)

pub mod ast;
pub mod builtin;
mod compile;
pub mod dsl;
mod error;
mod event;
pub mod normalize;
mod scan;
pub mod schema;

pub use ast::{EventKind, Level};
pub use compile::{RuleInfo, Rules, RulesBuilder, RulesSummary, REGEX_SIZE_LIMIT};
pub use dsl::Origin;
pub use error::{EventError, Position, RuleError, RuleErrors};
pub use event::Event;
pub use scan::{Detection, Evidence, ScanStats, Scanner};
pub use schema::Schema;
