//! What a rule's non-literal patterns compile to, below the rule language,
//! the Sigma loader and the compiler alike: regexes (through the `regex`
//! crate, with the size limits of [`crate::limits`]) and IP networks for
//! `cidr`. The parser and the Sigma loader check a rule's patterns with
//! these functions and the compiler builds them with the same ones, so a
//! rule that loads also compiles.

pub(crate) mod cidr;
pub(crate) mod regex;
