//! Every bound landwatch puts on what it reads, in one place.
//!
//! landwatch reads what attackers write (the command line, the event) and
//! what strangers write (a rule file downloaded from the internet). Each
//! input surface is bounded here, below the rule language, the Sigma loader
//! and the compiler, so that they all check the same numbers. A bound that
//! is hit is an error value that says which bound and where (file, line and
//! rule for rules; a counted rejection with its reason for events), never a
//! panic and never a silent drop. `docs/limits.md` lists every bound with
//! the error it gives and the test that checks it.
//!
//! The values are generous: every rule of the SigmaHQ corpus and of the
//! built-in pack loads well inside them (the corpus test checks the load
//! counts). What they stop is input whose cost is out of proportion to its
//! size, or sizes no real rule or event has.
//!
//! Not here: the tuning caps of internal caches (the scanner's memo of
//! automaton results and of normal forms, the event reader's string pool),
//! which bound memory the scanner keeps for speed and change no verdict;
//! they stay next to the code they tune. The correlation state is bounded
//! per scanner by [`crate::ScanOptions`] (`max_groups`, `max_state_bytes`,
//! `max_pending`), since embedders size it for their streams; what happens
//! past those is counted in [`crate::ScanStats`].
//!
//! Not a bound: the length of a field. The literal automaton scans every
//! value to its end whatever its length (a detection whose evidence lies
//! past 16 MB of command line still fires: `core/tests/limits.rs`), so the
//! only limit on a field is the event's, [`MAX_EVENT_BYTES`].

// ---- Rules -----------------------------------------------------------------

/// The most bytes one rule source may have: a `.lw` file or a Sigma YAML
/// file (16 MiB). The largest SigmaHQ rule is a few tens of KiB and the
/// whole built-in pack well under 1 MiB; a text larger than this is not a
/// rule file, and refusing it before parsing keeps the parser's and the YAML
/// loader's memory (which is a multiple of the text) bounded.
pub const MAX_SOURCE_BYTES: usize = 16 << 20;

/// The most rules and correlations one rule set may hold (100,000). The
/// whole SigmaHQ corpus is about 3,000 rules; the rule table indexes rules
/// with 32 bits and every rule costs a compile, so a set past this is a
/// mistake (a directory of generated files) rather than a rule set.
pub const MAX_RULES: usize = 100_000;

/// The most literal patterns one rule may have, after Sigma's modifiers and
/// placeholders have expanded its values (65,536). `windash` gives up to 5
/// forms of a value, `base64offset` 3, placeholders up to
/// [`MAX_PLACEHOLDER_EXPANSIONS`]: their product is the one place where a
/// rule's patterns are not bounded by its size, so it is bounded here. The
/// largest SigmaHQ rule has a few thousand.
pub const MAX_PATTERNS_PER_RULE: usize = 1 << 16;

/// The most bytes one literal pattern may have (64 KiB). Command-line
/// fragments, file names, hashes and encoded PowerShell prefixes are all far
/// shorter; a pattern this long is data, not a signature.
pub const MAX_PATTERN_BYTES: usize = 64 << 10;

/// The most bytes a compiled regex may take (1 MiB), the `regex` crate's
/// size limit and lazy-DFA cache limit. The crate runs in time linear in the
/// input, so the compiled size is what bounds a regex's cost: `\w{1000}`
/// repeated is refused, `(a|aa)*b` is fine (and linear on 1 MB of `a`).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How deep parentheses and `not` may nest in a condition (64), in the rule
/// language and in Sigma conditions alike. The parsers recurse once per
/// level; 64 keeps their stack small even in debug builds, and no real
/// condition nests more than a handful.
pub const MAX_CONDITION_DEPTH: usize = 64;

/// Errors reported from one rule file before giving up on the rest (100):
/// a file that is not a rule file at all gives one screen of errors, not one
/// per line.
pub const MAX_ERRORS_PER_FILE: usize = 100;

/// The most values one Sigma placeholder expansion may give (4,096): the
/// product of the lists of the placeholders in one value (`%a%%b%` with 100
/// values each would be 10,000).
pub const MAX_PLACEHOLDER_EXPANSIONS: usize = 4096;

/// The most steps (`of` clauses) one correlation may have (64): a step is a
/// bit in a group's state.
pub const MAX_CORRELATION_STEPS: usize = 64;

/// Most alias uses (`*name`) one YAML text may hold (10,000).
///
/// A YAML loader copies the node an alias names at every use, so a file of
/// nine anchors each made of ten aliases to the previous one (the "billion
/// laughs" shape, 16 lines) expands to 10^9 values and takes all memory.
/// Every YAML text landwatch reads (Sigma rules, placeholder files,
/// logsource tables) is first walked event by event, each anchored node
/// sized as it would be expanded, and refused before anything is built when
/// its aliases pass this count or [`MAX_ALIAS_EXPANSION`].
pub const MAX_ALIAS_USES: usize = 10_000;

/// Most that aliases may add to one YAML text (1 Mi), counted as the nodes
/// and scalar bytes they expand to (a scalar counts 1 plus its length, a
/// sequence or mapping 1 plus its contents). See [`MAX_ALIAS_USES`].
pub const MAX_ALIAS_EXPANSION: usize = 1 << 20;

// ---- Events ----------------------------------------------------------------

/// The most bytes one event may have (64 MiB): one JSON line, one object of
/// an array or stream, or one event given to [`crate::Scanner::scan_json`].
/// A larger event is a counted rejection with the reason "too large"; the
/// JSON Lines reader reads no more than this of a line (the rest is skipped
/// to the next newline), so one endless line cannot take all memory. 64 MiB
/// is four times the 16 MB command line that must still be scanned to its
/// end, and far past any real event (Windows caps a command line at 32,767
/// UTF-16 units).
pub const MAX_EVENT_BYTES: usize = 64 << 20;

/// How deep the values of one event are read (100 levels): a value
/// enclosed by more than this many objects and arrays is skipped unread, and
/// the event is scanned with everything above it, whatever the rules read.
/// Rejecting deep events instead would let one deep field hide a whole
/// event from every rule. Skipped values are passed over by serde_json's
/// iterative skip, which needs no stack, so no depth is a crash. Real events
/// nest a few levels (ECS documents about 6); serde_json's own recursion
/// limit (128) is never the one reached.
pub const MAX_EVENT_DEPTH: usize = 100;

/// The longest `-EncodedCommand` argument that is decoded into the
/// `.decoded` text (1 MiB); a longer one is left undecoded (its raw and
/// normal forms are still scanned to their end). Not an evasion: Windows
/// caps a whole command line at 32,767 UTF-16 units, so no command that
/// runs carries an argument this long. Decoding is linear in the argument.
pub const MAX_ENCODED_BYTES: usize = 1 << 20;

/// The error for a rule source past [`MAX_SOURCE_BYTES`], if it is.
pub(crate) fn check_source(len: usize) -> Result<(), String> {
    if len > MAX_SOURCE_BYTES {
        return Err(format!(
            "a rule source of {len} bytes: at most {MAX_SOURCE_BYTES} (limits::MAX_SOURCE_BYTES)"
        ));
    }
    Ok(())
}
