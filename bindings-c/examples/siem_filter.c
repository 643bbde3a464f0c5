/*
 * siem_filter: a log shipper's filter stage over liblandwatch.
 *
 * Reads JSON events, one per line, on standard input; scans each with one
 * scanner kept for the whole run (so correlations see the whole stream);
 * writes each line back to standard output, annotated with what it set
 * off, and flushes after every line, so that it can sit in a pipeline or
 * under a shipper that waits for each reply.
 *
 *   siem_filter [--builtin] [--zones FILE] [--lateness DURATION]
 *               [--min-level LEVEL]
 *               [--mmexternal] [RULE_PATH...]
 *
 * RULE_PATH: *.lw rule files, Sigma YAML files, or directories of both (as
 * `landwatch scan --rules`/`--sigma` take them); none means the built-in
 * pack, and --builtin adds it to the paths given. --zones: the network
 * zones and business hours TOML of `landwatch scan --zones`. --lateness
 * (60s by default; 0s, 500ms, 5m...): how late an event may come and
 * still be correlated in time order, which is also how long a completed
 * correlation waits before it is written (see Correlations). --min-level
 * (informational, low, medium, high, critical): leave out detections below
 * it; the default keeps them all, as the CLI does.
 *
 * What comes out, one line per line read, in input order:
 *   - an event that set nothing off: the line as it came, byte for byte;
 *   - an event with detections: the event's own text with one more key,
 *     "landwatch": [DETECTION, ...], before its closing brace. Each
 *     DETECTION is the object `landwatch scan --format jsonl` writes
 *     (lw_detection_json), except that `file` and `line` are null: the C
 *     API cannot tell the scanner where an event came from. The event's
 *     place is the line itself. (An event that already has a "landwatch"
 *     key gets a second one; most JSON readers keep the last.)
 *   - a line that is not a JSON object (bad JSON, invalid UTF-8, an array,
 *     a NUL byte...): byte for byte, unannotated, counted as rejected;
 *   - a blank line: as it came, not scanned and not counted as rejected
 *     (the CLI skips blank lines the same way).
 * A last line without its newline gets one, so that what follows it stays
 * a line of its own. Trailing whitespace (a CR, say) of an annotated line
 * is not kept.
 *
 * Correlations. The scanner orders events by event time within its
 * lateness (60 s), so a correlation completed by event M comes out while a
 * later event N (the first one whose time is past M's by the lateness, or
 * M itself when it is late enough already) is scanned. It annotates that
 * event N: the line during whose scan it appeared. The detection names its
 * contributing events by time (`events`, `window`) and its `group`. At the
 * end of input, lw_scanner_flush gives what was still waiting; each such
 * detection is written as an extra line of its own, {"landwatch":[DET]},
 * after the last input line. Nothing is dropped. For a stream that comes
 * in time order, --lateness 0s writes a correlation on the line of the
 * event that completed it.
 *
 * --mmexternal speaks rsyslog's mmexternal protocol instead: one reply line
 * per input line, `{}` when nothing fired, else
 * {"$!":{"landwatch":[...]}}, which sets the message variable
 * $!landwatch (mmexternal reads only properties to change, not the event
 * back). Use interface.input="msg" with the event's JSON as the message.
 * mmexternal sends the program's stderr down the same pipe as its replies,
 * so nothing is written to stderr while messages flow (the end-of-input
 * summary comes when rsyslog has stopped reading).
 *
 * At end of input a one-line summary goes to stderr. Exit status: 0 when
 * the input was read to its end and written (rejected lines are not
 * failures), 1 on a read or write error (a closed pipe included), 2 on a
 * usage, rules or zones error (with the message, and the line and column
 * of a rule error).
 *
 * Build: see Makefile in this directory (make -C bindings-c/examples).
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landwatch.h"

#define PROG "siem_filter"

/* Levels in order; --min-level keeps a detection whose level's index is
 * at least the given one's. */
static const char *const LEVELS[] = {"informational", "low", "medium", "high", "critical"};
#define NLEVELS (sizeof LEVELS / sizeof LEVELS[0])

static int level_rank(const char *level) {
    for (size_t i = 0; i < NLEVELS; i++) {
        if (strcmp(level, LEVELS[i]) == 0) return (int)i;
    }
    return -1;
}

/* A growable byte buffer: the annotation being built for one line. It is
 * reused from line to line, so a steady stream allocates nothing. */
struct buf {
    char *data;
    size_t len, cap;
    int failed; /* an allocation failed: the contents are incomplete */
};

static void buf_add(struct buf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) {
            if (cap > SIZE_MAX / 2) {
                b->failed = 1;
                return;
            }
            cap *= 2;
        }
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

/* The run's state, given to the detection callback. */
struct filter {
    int min_rank;
    struct buf dets;    /* the detections of the current line, comma-separated */
    size_t line_dets;   /* how many are in `dets` */
    uint64_t lines, blank, rejected, annotated, detections, at_end, below;
    int mmexternal;
};

/* lw_on_detection: appends the detection's JSON to this line's list. */
static int collect(const lw_detection *d, void *user) {
    struct filter *f = user;
    if (level_rank(lw_detection_level(d)) < f->min_rank) {
        f->below++;
        return 0;
    }
    if (f->line_dets > 0) buf_add(&f->dets, ",", 1);
    const char *json = lw_detection_json(d);
    buf_add(&f->dets, json, strlen(json));
    f->line_dets++;
    return 0;
}

/* Output: every write goes through here, and a failed one ends the run
 * (a reader that went away cannot be written to again). */
static int write_failed = 0;

static void out(const char *s, size_t n) {
    if (write_failed || n == 0) return;
    errno = 0;
    if (fwrite(s, 1, n, stdout) != n) write_failed = errno ? errno : EIO;
}

static void flush_out(void) {
    if (write_failed) return;
    errno = 0;
    if (fflush(stdout) != 0) write_failed = errno ? errno : EIO;
}

static void out_str(const char *s) { out(s, strlen(s)); }

static void end_line(void) {
    out("\n", 1);
    flush_out();
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Writes `line` (n bytes, its newline included when it had one) back out
 * with the collected detections, or as it came when there are none. */
static void emit(struct filter *f, const char *line, size_t n) {
    if (f->mmexternal) {
        if (f->line_dets == 0) {
            out_str("{}");
        } else {
            out_str("{\"$!\":{\"landwatch\":[");
            out(f->dets.data, f->dets.len);
            out_str("]}}");
            f->annotated++;
        }
        end_line();
        return;
    }
    size_t end = n;
    while (end > 0 && is_space(line[end - 1])) end--;
    if (f->line_dets == 0 || end == 0 || line[end - 1] != '}') {
        /* Nothing to add (or, which the scanner's acceptance rules out,
         * no closing brace to add it before): the line as it came. */
        out(line, n);
        if (n == 0 || line[n - 1] != '\n') out("\n", 1);
        flush_out();
        if (f->line_dets > 0) { /* never lose them: a line of their own */
            out_str("{\"landwatch\":[");
            out(f->dets.data, f->dets.len);
            out_str("]}");
            end_line();
        }
        return;
    }
    /* The event is one JSON object: its text up to the closing brace, then
     * the key. An empty object ({}, or { } with spaces) takes no comma:
     * the first character that is not a space after its opening brace is
     * the closing one. */
    size_t open = 0;
    while (open < end && is_space(line[open])) open++;
    size_t inner = open + 1;
    while (inner < end && is_space(line[inner])) inner++;
    int empty = inner == end - 1;
    out(line, end - 1);
    out_str(empty ? "\"landwatch\":[" : ",\"landwatch\":[");
    out(f->dets.data, f->dets.len);
    out_str("]}");
    end_line();
    f->annotated++;
}

/* lw_on_detection for lw_scanner_flush: each detection still waiting at
 * the end of input is a line of its own. */
static int flush_one(const lw_detection *d, void *user) {
    struct filter *f = user;
    if (level_rank(lw_detection_level(d)) < f->min_rank) {
        f->below++;
        return 0;
    }
    out_str("{\"landwatch\":[");
    out_str(lw_detection_json(d));
    out_str("]}");
    end_line();
    f->detections++;
    f->at_end++;
    return write_failed != 0; /* stop on a write error */
}

/* Reads a whole file (the zones TOML). NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) return NULL;
    struct buf b = {0};
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) buf_add(&b, chunk, n);
    int err = ferror(fp) ? (errno ? errno : EIO) : b.failed ? ENOMEM : 0;
    fclose(fp);
    if (err) {
        free(b.data);
        errno = err;
        return NULL;
    }
    *len = b.len;
    if (b.data == NULL) return calloc(1, 1); /* an empty file */
    return b.data;
}

/* Prints a failed call's error: the message and, for a rule error, where. */
static void print_error(const char *what, lw_error *err) {
    size_t line = lw_error_line(err), column = lw_error_column(err);
    if (line > 0) {
        fprintf(stderr, PROG ": %s (line %zu, column %zu): %s\n", what, line, column, lw_error_message(err));
    } else {
        fprintf(stderr, PROG ": %s: %s\n", what, lw_error_message(err));
    }
}

static void usage(FILE *to) {
    fprintf(to,
            "usage: " PROG " [--builtin] [--zones FILE] [--lateness DURATION] [--min-level LEVEL]\n"
            "       [--mmexternal] [RULE_PATH...]\n"
            "Reads JSON events, one per line, on stdin; writes each to stdout with a\n"
            "\"landwatch\" key listing its detections (unchanged when it has none).\n"
            "  RULE_PATH          .lw or Sigma .yml/.yaml files, or directories of them\n"
            "                     (none: the built-in rule pack)\n"
            "  --builtin          add the built-in pack to the rule paths\n"
            "  --zones FILE       network zones and business hours (TOML)\n"
            "  --lateness DUR     how late an event may come and still correlate (60s)\n"
            "  --min-level LEVEL  informational, low, medium, high or critical\n"
            "  --mmexternal       reply as rsyslog mmexternal expects ({} or {\"$!\":...})\n");
}

int main(int argc, char **argv) {
    /* A closed stdout shows up as EPIPE from the write, which ends the run
     * with a message and status 1, instead of a silent death by SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    struct filter f = {0};
    int builtin = 0;
    const char *zones_path = NULL;
    const char *lateness = NULL;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    size_t npaths = 0;
    if (paths == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return 2;
    }
    int options = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0) {
            options = 0;
        } else if (options && strcmp(a, "--builtin") == 0) {
            builtin = 1;
        } else if (options && strcmp(a, "--mmexternal") == 0) {
            f.mmexternal = 1;
        } else if (options && (strcmp(a, "--zones") == 0 || strcmp(a, "--min-level") == 0 ||
                                strcmp(a, "--lateness") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG ": %s needs a value\n", a);
                usage(stderr);
                free(paths);
                return 2;
            }
            const char *v = argv[++i];
            if (a[2] == 'z') {
                zones_path = v;
            } else if (a[2] == 'l' && a[3] == 'a') {
                /* It goes into a TOML literal string: no quote, no newline. */
                if (strpbrk(v, "'\n\r") != NULL || strlen(v) > 64) {
                    fprintf(stderr, PROG ": bad --lateness '%s' (a duration such as 60s, 500ms, 5m)\n", v);
                    free(paths);
                    return 2;
                }
                lateness = v;
            } else if ((f.min_rank = level_rank(v)) < 0) {
                fprintf(stderr, PROG ": unknown level '%s' (informational, low, medium, high, critical)\n", v);
                free(paths);
                return 2;
            }
        } else if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            usage(stdout);
            free(paths);
            return 0;
        } else if (options && strcmp(a, "--version") == 0) {
            printf(PROG " (liblandwatch %s)\n", lw_version());
            free(paths);
            return 0;
        } else if (options && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, PROG ": unknown option '%s'\n", a);
            usage(stderr);
            free(paths);
            return 2;
        } else {
            paths[npaths++] = a;
        }
    }

    /* The rules, compiled once; the scanner holds its own reference. */
    lw_rules *rules = NULL;
    lw_error *err = NULL;
    lw_status st = npaths == 0 ? lw_rules_builtin(&rules, &err)
                               : lw_rules_load(paths, npaths, builtin, &rules, &err);
    free(paths);
    if (st != LW_OK) {
        print_error("cannot load rules", err);
        lw_error_free(err);
        return 2;
    }
    /* The scanner's options, as TOML (lw_scanner_new_with). */
    char options_toml[96] = "";
    if (lateness != NULL) snprintf(options_toml, sizeof options_toml, "lateness = '%s'\n", lateness);
    lw_scanner *scanner = NULL;
    st = lw_scanner_new_with(rules, options_toml, strlen(options_toml), &scanner, &err);
    lw_rules_free(rules);
    if (st != LW_OK) {
        print_error("cannot make a scanner", err);
        lw_error_free(err);
        return 2;
    }
    if (zones_path != NULL) {
        size_t len = 0;
        char *toml = read_file(zones_path, &len);
        if (toml == NULL) {
            fprintf(stderr, PROG ": cannot read %s: %s\n", zones_path, strerror(errno));
            lw_scanner_free(scanner);
            return 2;
        }
        st = lw_scanner_set_zones(scanner, toml, len, &err);
        free(toml);
        if (st != LW_OK) {
            fprintf(stderr, PROG ": bad zones file %s: %s\n", zones_path, lw_error_message(err));
            lw_error_free(err);
            lw_scanner_free(scanner);
            return 2;
        }
    }

    /* stdout is written in whole lines and flushed after each (end_line):
     * a full buffer, so that a long annotated line goes out in one write. */
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    uint64_t internal = 0;
    char *internal_message = NULL; /* the first one, for the summary */
    while (!write_failed && (got = getline(&line, &cap, stdin)) > 0) {
        size_t n = (size_t)got;
        f.lines++;
        f.dets.len = 0;
        f.dets.failed = 0;
        f.line_dets = 0;
        size_t first = 0;
        while (first < n && is_space(line[first])) first++;
        if (first == n) { /* blank: nothing to scan, passed on */
            f.blank++;
            emit(&f, line, n);
            continue;
        }
        st = lw_scanner_scan_json(scanner, line, n, collect, &f, &err);
        if (st == LW_ERR_INPUT) {
            f.rejected++;
        } else if (st != LW_OK) {
            /* A bug inside the library (it caught a panic). The line still
             * goes out; stderr stays quiet for mmexternal's sake, and the
             * summary tells. */
            if (internal++ == 0) internal_message = strdup(lw_error_message(err));
        }
        lw_error_free(err);
        err = NULL;
        if (f.dets.failed) {
            /* Out of memory while collecting: the event goes on as it came
             * rather than half annotated, and the run stops. */
            f.line_dets = 0;
            emit(&f, line, n);
            fprintf(stderr, PROG ": out of memory at line %llu\n", (unsigned long long)f.lines);
            write_failed = write_failed ? write_failed : ENOMEM;
            break;
        }
        f.detections += f.line_dets;
        emit(&f, line, n);
    }
    int read_error = !write_failed && ferror(stdin);
    int read_errno = errno;
    free(line);

    /* End of input (or a read error: what was read still counts): what
     * still waited for the lateness, one line each. */
    if (!write_failed) {
        st = lw_scanner_flush(scanner, flush_one, &f, &err);
        if (st != LW_OK) {
            print_error("flush failed", err);
            internal++;
        }
        lw_error_free(err);
        err = NULL;
    }

    lw_stats stats;
    lw_scanner_stats(scanner, &stats);
    lw_scanner_free(scanner);
    free(f.dets.data);

    fprintf(stderr,
            PROG ": %llu lines read, %llu rejected (passed on unannotated), %llu blank, "
                 "%llu detections (%llu events annotated, %llu at end of input), %llu below --min-level, "
                 "%llu late events%s\n",
            (unsigned long long)f.lines, (unsigned long long)f.rejected, (unsigned long long)f.blank,
            (unsigned long long)f.detections, (unsigned long long)f.annotated, (unsigned long long)f.at_end,
            (unsigned long long)f.below, (unsigned long long)stats.late,
            internal ? ", and errors inside liblandwatch (a bug: please report it)" : "");
    if (internal_message != NULL) fprintf(stderr, PROG ": the first: %s\n", internal_message);
    free(internal_message);
    if (read_error) {
        fprintf(stderr, PROG ": error reading stdin: %s\n", strerror(read_errno));
        return 1;
    }
    if (write_failed) {
        if (write_failed != ENOMEM) fprintf(stderr, PROG ": error writing stdout: %s\n", strerror(write_failed));
        return 1;
    }
    return internal ? 1 : 0;
}
