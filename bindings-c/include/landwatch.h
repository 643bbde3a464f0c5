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

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

// The library's version, as "MAJOR.MINOR.PATCH": a static string, never
// freed.
const char *lw_version(void);

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

// The status the failing call returned.
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
// cannot be loaded are skipped (as the command does); errors in rule
// files, and unreadable paths, fail the load with LW_ERR_RULE.
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

// Frees rules. NULL is allowed. Scanners made from them keep working.
//
// # Safety
// `rules` is NULL or rules from this library, not freed before.
void lw_rules_free(struct lw_rules *rules);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* LANDWATCH_H */
