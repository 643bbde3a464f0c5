//! landwatch finds living-off-the-land tool abuse and credential misuse in
//! Windows event streams.
//!
//! (crate docs with a complete example: filled in by the engine commit)

pub mod ast;
pub mod builtin;
pub mod dsl;
mod error;
pub mod normalize;
pub mod schema;

pub use ast::{EventKind, Level};
pub use error::{EventError, Position, RuleError, RuleErrors};
pub use schema::Schema;
