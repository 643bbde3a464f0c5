/*
 * landwatch.h: the C API of landwatch (liblandwatch).
 *
 * Generated from bindings-c/src by cbindgen; do not edit. Regenerate with
 *   LANDWATCH_BLESS=1 cargo test -p landwatch-c --test header
 *
 * Ownership: every object made by a lw_* call is the caller's and is freed
 * by its lw_*_free (NULL is allowed there). Strings given out are UTF-8,
 * NUL-terminated and valid for as long as their object. Threads: lw_rules
 * is immutable and may be shared; each thread uses its own lw_scanner.
 */

#ifndef LANDWATCH_H
#define LANDWATCH_H

#include <stddef.h>
#include <stdint.h>

// What a call did.
typedef enum lw_status {
  // It worked.
  LW_OK = 0,
  // Rules did not compile or load (the error has the position).
  LW_ERR_RULE,
  // An event could not be read: malformed JSON, invalid UTF-8, not an object.
  LW_ERR_INPUT,
  // An argument was NULL, or otherwise not what the function takes.
  LW_ERR_ARG,
  // Saved scanner state could not be restored.
  LW_ERR_STATE,
  // A bug inside landwatch (a caught panic); the error says where.
  LW_ERR_INTERNAL,
} lw_status;

// A detection, valid only during the `lw_on_detection` callback that
// receives it (copy what you keep). Its strings are UTF-8 and
// NUL-terminated, and valid until the callback returns.
typedef struct lw_detection lw_detection;

// An error: its message (UTF-8, NUL-terminated) and, for rule errors,
// the line and column (from 1) of the first one. Made by a failing call
// when its `err` argument is not NULL; the caller owns it and frees it
// with `lw_error_free`.
typedef struct lw_error lw_error;

// Compiled rules. Immutable: any number of threads may read one `lw_rules`
// (and make scanners from it) at once. Freed with `lw_rules_free`; a
// scanner holds its own reference, so the rules may be freed before the
// scanners made from them.
typedef struct lw_rules lw_rules;

// A scanner: one stream, its correlation state, its counters. Used by one
// thread at a time (make one per thread from shared `lw_rules`). Holds
// its own reference to the rules. Freed with `lw_scanner_free`.
typedef struct lw_scanner lw_scanner;

// Called once per detection; return non-zero to stop giving the rest of
// this call's detections (they are dropped; the scan itself is done).
typedef int (*lw_on_detection)(const struct lw_detection *d, void *user);

// The scanner's counters.
typedef struct lw_stats {
  // Events given to the scanner.
  uint64_t read;
  // Events scanned (read minus rejected).
  uint64_t scanned;
  // Events that could not be read (malformed JSON, not an object...).
  uint64_t rejected;
  // Events later than the lateness, left out of correlations.
  uint64_t late;
  // Detections given to callbacks.
  uint64_t detections;
  // Correlation groups held now.
  uint64_t groups;
  // Events waiting for the lateness to pass.
  uint64_t pending;
  // Events a correlation would read but without a readable time, left
  // out of correlations.
  uint64_t no_time;
  // Correlation groups evicted to stay within the state caps.
  uint64_t evicted;
  // Events released before the lateness passed (too many waiting).
  uint64_t forced;
  // Of the detections, correlated ones.
  uint64_t correlated;
} lw_stats;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

// The library's version, as "MAJOR.MINOR.PATCH": a static string, never
// freed.
const char *lw_version(void);

// The rule's (or correlation's) id; "" for NULL.
//
// # Safety
// `d` is NULL or the detection a callback received, during that callback.
const char *lw_detection_rule(const struct lw_detection *d);

// The rule's title; "" for NULL.
//
// # Safety
// As lw_detection_rule.
const char *lw_detection_title(const struct lw_detection *d);

// "informational", "low", "medium", "high" or "critical" (a static
// string); "" for NULL.
//
// # Safety
// As lw_detection_rule.
const char *lw_detection_level(const struct lw_detection *d);

// How many tags the rule has (0 for NULL).
//
// # Safety
// As lw_detection_rule.
size_t lw_detection_tag_count(const struct lw_detection *d);

// Tag `i` (from 0); NULL when `i` is not below the count.
//
// # Safety
// As lw_detection_rule.
const char *lw_detection_tag(const struct lw_detection *d, size_t i);

// The position of the event that made the detection in its scanner's
// stream: 0 for the first event given to `lw_scanner_scan_json`, rejected
// ones counted, so for a filter fed one event a line it is the line
// number minus 1. For a correlation it is the event that completed it,
// which an earlier call may have scanned: correlations are handed over
// once the lateness has passed. 0 for NULL.
//
// # Safety
// As lw_detection_rule.
uint64_t lw_detection_event(const struct lw_detection *d);

// The whole detection as one JSON object: the object `landwatch scan
// --format jsonl` writes for it (rule, title, level, tags, time, host,
// user, channel, event_id, record, file, line, evidence, and for a
// correlation group, window, count, values, value, events). Valid during
// the callback; "" for NULL.
//
// # Safety
// As lw_detection_rule.
const char *lw_detection_json(const struct lw_detection *d);

// The error's message: UTF-8, NUL-terminated, valid until `lw_error_free`.
// "" for NULL.
//
// # Safety
// The argument is NULL or an object of this library not yet freed.
const char *lw_error_message(const struct lw_error *e);

// The line (from 1) of a rule error; 0 when the error has no position
// (or for NULL).
//
// # Safety
// The argument is NULL or an object of this library not yet freed.
size_t lw_error_line(const struct lw_error *e);

// The column (from 1) of a rule error; 0 when it has none (or for NULL).
//
// # Safety
// The argument is NULL or an object of this library not yet freed.
size_t lw_error_column(const struct lw_error *e);

// The status the failing call returned; LW_ERR_ARG for NULL.
//
// # Safety
// The argument is NULL or an object of this library not yet freed.
enum lw_status lw_error_status(const struct lw_error *e);

// Frees an error. NULL is allowed (nothing happens).
//
// # Safety
// `e` is NULL or an error from this library, not freed before.
void lw_error_free(struct lw_error *e);

// Compiles rules written in the landwatch rule language.
//
// `src`: the text, `len` bytes (UTF-8; need not be NUL-terminated).
// `name`: names the source in errors (a path, usually); NULL for
// "<string>". On success `*out` is the rules, owned by the caller (free
// with `lw_rules_free`). On failure `*out` is left alone and `*err` (when
// `err` is not NULL) says why: LW_ERR_RULE with the line and column,
// LW_ERR_ARG for a NULL `src` or `out`, or text that is not UTF-8.
//
// # Safety
// `src` points to `len` readable bytes; `name` is NULL or a NUL-terminated
// string; `out` points to storage for one pointer; `err` is NULL or does.
enum lw_status lw_rules_compile(const char *src,
                                size_t len,
                                const char *name,
                                struct lw_rules **out,
                                struct lw_error **err);

// The built-in rule pack (living-off-the-land tool abuse and credential
// misuse), compiled. `*out` as for `lw_rules_compile`.
//
// # Safety
// `out` points to storage for one pointer; `err` is NULL or does.
enum lw_status lw_rules_builtin(struct lw_rules **out, struct lw_error **err);

// Loads rules from files and directories, as `landwatch scan --rules
// --sigma` does: `*.lw` files are the rule language, `*.yml` / `*.yaml`
// files Sigma, and a directory is searched recursively for both.
// `include_builtin` non-zero adds the built-in pack. Sigma documents that
// cannot be loaded are skipped (as the command does), and listed by
// `lw_rules_skipped`; errors in rule files, and unreadable paths, fail the
// load with LW_ERR_RULE (with the line and column of a rule error).
//
// # Safety
// `paths` points to `n` NUL-terminated strings (it may be NULL when `n`
// is 0); `out` and `err` as for `lw_rules_compile`.
enum lw_status lw_rules_load(const char *const *paths,
                             size_t n,
                             int include_builtin,
                             struct lw_rules **out,
                             struct lw_error **err);

// How many rules and correlations there are; 0 for NULL.
//
// # Safety
// The argument is NULL or an object of this library not yet freed.
size_t lw_rules_count(const struct lw_rules *rules);

// How many Sigma documents `lw_rules_load` skipped because landwatch
// cannot run them (unsupported modifiers, logsources outside Windows
// event logs...); 0 for NULL and for rules not loaded from files.
//
// # Safety
// `rules` is NULL or rules from this library, not yet freed.
size_t lw_rules_skipped_count(const struct lw_rules *rules);

// Skipped document `i` (from 0) as "file:line: reason", valid as long as
// the rules; NULL when `i` is not below the count.
//
// # Safety
// As lw_rules_skipped_count.
const char *lw_rules_skipped(const struct lw_rules *rules, size_t i);

// Frees rules. NULL is allowed. Scanners made from them keep working.
//
// # Safety
// `rules` is NULL or rules from this library, not freed before.
void lw_rules_free(struct lw_rules *rules);

// Makes a scanner over `rules`, with the default options (schema "auto",
// lateness 60 s). `*out` is the caller's, freed with `lw_scanner_free`.
//
// # Safety
// `rules` is NULL or live rules; `out` points to storage for one
// pointer; `err` is NULL or does.
enum lw_status lw_scanner_new(const struct lw_rules *rules,
                              struct lw_scanner **out,
                              struct lw_error **err);

// Makes a scanner over `rules` with options: a TOML table, `len` bytes,
// of any of these keys (the `landwatch scan` flags of the same names;
// a key left out keeps its default):
//
//     schema = "auto"          # auto, sysmon, security, ecs, evtx
//     lateness = "60s"         # how late an event may come and still correlate
//     time_field = "ts"        # a field read for the event time first
//     time_missing = "skip"    # or "previous": the last event's time
//     ordered = false          # hold stateless detections back too, in time order
//     max_events = 32          # contributing events a correlation lists
//     max_groups = 1000000     # correlation groups held (oldest evicted)
//     max_state_bytes = 268435456
//     max_pending = 1000000    # events waiting for the lateness
//
// An unknown key or a bad value gives LW_ERR_ARG naming it. `*out` as for
// `lw_scanner_new`.
//
// # Safety
// `rules` is NULL or live rules; `options` points to `len` bytes; `out`
// points to storage for one pointer; `err` is NULL or does.
enum lw_status lw_scanner_new_with(const struct lw_rules *rules,
                                   const char *options,
                                   size_t len,
                                   struct lw_scanner **out,
                                   struct lw_error **err);

// Gives the scanner its network zones and business hours: the TOML of
// `landwatch scan --zones`, `len` bytes. LW_ERR_ARG when it does not read.
//
// # Safety
// `s` is NULL or a live scanner not used by another thread; `toml`
// points to `len` bytes; `err` is NULL or points to storage for a pointer.
enum lw_status lw_scanner_set_zones(struct lw_scanner *s,
                                    const char *toml,
                                    size_t len,
                                    struct lw_error **err);

// Scans one event: `json` is its JSON text, `len` bytes (it may hold NUL;
// it need not be NUL-terminated). Each detection it completes goes to
// `cb` (NULL: counted, not given). A malformed event (bad JSON, invalid
// UTF-8, not an object) gives LW_ERR_INPUT, is counted as rejected, and
// leaves the scanner usable.
//
// # Safety
// `s` is NULL or a live scanner not used by another thread; `json`
// points to `len` bytes; `cb` may be called with `user`; `err` is NULL or
// points to storage for one pointer.
enum lw_status lw_scanner_scan_json(struct lw_scanner *s,
                                    const char *json,
                                    size_t len,
                                    lw_on_detection cb,
                                    void *user,
                                    struct lw_error **err);

// Ends the stream: the detections of the events still waiting for the
// lateness go to `cb`. The scanner stays usable.
//
// # Safety
// As lw_scanner_scan_json.
enum lw_status lw_scanner_flush(struct lw_scanner *s,
                                lw_on_detection cb,
                                void *user,
                                struct lw_error **err);

// The scanner's counters into `*out` (zeros for a NULL scanner).
// `read == scanned + rejected`.
//
// # Safety
// `s` is NULL or a live scanner; `out` is NULL or points to an lw_stats.
void lw_scanner_stats(const struct lw_scanner *s, struct lw_stats *out);

// Every event accounted for, as one JSON object with the keys
// `landwatch scan --stats json` prints: read, scanned, rejected,
// rejected_by_reason (reason -> count), late, no_time, evicted, forced,
// detections, correlated, detections_by_rule (rule id -> count),
// detections_by_level. Written as `snprintf` does: at most `cap - 1`
// bytes and a NUL into `buf` (nothing when `cap` is 0 or `buf` NULL);
// returns the text's length without the NUL, so a return `>= cap` means
// call again with a buffer of return + 1 bytes. 0 for a NULL or broken
// scanner.
//
// # Safety
// `s` is NULL or a live scanner not used by another thread; `buf` is NULL
// or points to `cap` writable bytes.
size_t lw_scanner_stats_json(const struct lw_scanner *s, char *buf, size_t cap);

// The scanner's correlation state as bytes, for `lw_scanner_restore`.
// `*buf` (`*len` bytes) is the caller's, freed with `lw_buffer_free(buf,
// len)`.
//
// # Safety
// `s` is NULL or a live scanner not used by another thread; `buf` and
// `len` point to storage; `err` is NULL or points to storage for a pointer.
enum lw_status lw_scanner_save(const struct lw_scanner *s,
                               uint8_t **buf,
                               size_t *len,
                               struct lw_error **err);

// Frees a buffer from `lw_scanner_save`, with the length it gave. NULL is
// allowed.
//
// # Safety
// `buf` is NULL or a buffer from lw_scanner_save with its `len`, not freed
// before.
void lw_buffer_free(uint8_t *buf, size_t len);

// A scanner of `rules` that goes on from state saved by
// `lw_scanner_save`. State saved with other correlations, of another
// format version, or damaged gives LW_ERR_STATE.
//
// # Safety
// `rules` is NULL or live rules; `buf` points to `len` bytes; `out`
// points to storage for one pointer; `err` is NULL or does.
enum lw_status lw_scanner_restore(const struct lw_rules *rules,
                                  const uint8_t *buf,
                                  size_t len,
                                  struct lw_scanner **out,
                                  struct lw_error **err);

// Frees a scanner (its state is lost: `lw_scanner_save` first to keep
// it). NULL is allowed.
//
// # Safety
// `s` is NULL or a scanner from this library, not freed before.
void lw_scanner_free(struct lw_scanner *s);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* LANDWATCH_H */
