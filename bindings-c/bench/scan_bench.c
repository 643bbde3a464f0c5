/* scan_bench: the per-event cost of scanning through the C API
 * (lw_scanner_scan_json), to set against the Rust Scanner on the same
 * events (benches/src/bin/scan_rust.rs prints the same figures). Run both
 * with bindings-c/bench/run.sh.
 *
 *   scan_bench [-r ROUNDS] [-m rule|json] EVENTS.jsonl [RULE_PATH...]
 *
 * Every line of EVENTS.jsonl (empty lines left out, a trailing \r cut) is
 * read into memory before timing. The rules are the built-in pack, or the
 * files and directories given (as lw_rules_load takes them, without the
 * pack). One untimed round warms up, then ROUNDS (10) timed rounds each
 * make a fresh scanner, scan every event, flush, and free it. The callback
 * reads lw_detection_rule of each detection (-m rule, the default) or that
 * and lw_detection_json (-m json), touching the text so that it is made.
 * Prints one line:
 *
 *   c rule events=N rounds=R detections=D rejected=X check=K min_ns=... median_ns=... events_per_s=...
 *
 * ns/event is the time of a round over its events (min and median over the
 * rounds); events/s is from the median. detections and rejected are per
 * round, check a sum over the texts read: the Rust side must print the same.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "landwatch.h"

struct events {
    char *text;       /* the whole file */
    size_t *start;    /* line i is text[start[i] .. start[i] + len[i]) */
    size_t *len;
    size_t n;
};

/* What the callback counts over one round. */
struct tally {
    uint64_t detections;
    uint64_t check; /* first byte of each rule id, plus each JSON's length */
    int json;
};

static int on_detection(const lw_detection *d, void *user) {
    struct tally *t = user;
    t->detections++;
    const char *rule = lw_detection_rule(d);
    t->check += (unsigned char)rule[0];
    if (t->json) {
        t->check += strlen(lw_detection_json(d));
    }
    return 0;
}

static int load_events(const char *path, struct events *ev) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "scan_bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 20, size = 0;
    char *text = malloc(cap);
    size_t got;
    while (text != NULL && (got = fread(text + size, 1, cap - size, f)) > 0) {
        size += got;
        if (size == cap) {
            cap *= 2;
            char *bigger = realloc(text, cap);
            if (bigger == NULL) {
                free(text);
            }
            text = bigger;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (text == NULL || failed) {
        fprintf(stderr, "scan_bench: %s: could not read it\n", path);
        free(text);
        return -1;
    }
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) {
        lines += text[i] == '\n';
    }
    ev->text = text;
    ev->start = malloc(lines * sizeof *ev->start);
    ev->len = malloc(lines * sizeof *ev->len);
    ev->n = 0;
    if (ev->start == NULL || ev->len == NULL) {
        fprintf(stderr, "scan_bench: out of memory\n");
        return -1;
    }
    size_t from = 0;
    while (from < size) {
        const char *nl = memchr(text + from, '\n', size - from);
        size_t end = nl != NULL ? (size_t)(nl - text) : size;
        size_t len = end - from;
        if (len > 0 && text[from + len - 1] == '\r') {
            len--;
        }
        if (len > 0) {
            ev->start[ev->n] = from;
            ev->len[ev->n] = len;
            ev->n++;
        }
        from = end + 1;
    }
    return 0;
}

static void free_events(struct events *ev) {
    free(ev->text);
    free(ev->start);
    free(ev->len);
}

static void report(const char *what, lw_error *err) {
    fprintf(stderr, "scan_bench: %s: %s\n", what, lw_error_message(err));
    lw_error_free(err);
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One round: a fresh scanner over every event, then flushed. Returns its
 * time in ns, or a negative number when a call failed. */
static double round_ns(const lw_rules *rules, const struct events *ev, struct tally *t, uint64_t *rejected) {
    lw_scanner *s = NULL;
    lw_error *err = NULL;
    if (lw_scanner_new(rules, &s, &err) != LW_OK) {
        report("lw_scanner_new", err);
        return -1;
    }
    *rejected = 0;
    double began = now_ns();
    for (size_t i = 0; i < ev->n; i++) {
        lw_status st = lw_scanner_scan_json(s, ev->text + ev->start[i], ev->len[i], on_detection, t, NULL);
        if (st == LW_ERR_INPUT) {
            (*rejected)++;
        } else if (st != LW_OK) {
            fprintf(stderr, "scan_bench: lw_scanner_scan_json: status %d on event %zu\n", (int)st, i);
            lw_scanner_free(s);
            return -1;
        }
    }
    if (lw_scanner_flush(s, on_detection, t, &err) != LW_OK) {
        report("lw_scanner_flush", err);
        lw_scanner_free(s);
        return -1;
    }
    double took = now_ns() - began;
    lw_scanner_free(s);
    return took;
}

static int usage(void) {
    fprintf(stderr, "usage: scan_bench [-r ROUNDS] [-m rule|json] EVENTS.jsonl [RULE_PATH...]\n");
    return 2;
}

int main(int argc, char **argv) {
    long rounds = 10;
    int json = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            char *end;
            rounds = strtol(argv[++i], &end, 10);
            if (*end != '\0' || rounds < 1) {
                return usage();
            }
        } else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "json") == 0) {
                json = 1;
            } else if (strcmp(m, "rule") != 0) {
                return usage();
            }
        } else {
            return usage();
        }
    }
    if (i >= argc) {
        return usage();
    }
    const char *path = argv[i++];

    struct events ev = {0};
    if (load_events(path, &ev) != 0) {
        free_events(&ev);
        return 1;
    }
    if (ev.n == 0) {
        fprintf(stderr, "scan_bench: %s has no events\n", path);
        free_events(&ev);
        return 1;
    }

    lw_rules *rules = NULL;
    lw_error *err = NULL;
    lw_status st = i < argc ? lw_rules_load((const char *const *)(argv + i), (size_t)(argc - i), 0, &rules, &err)
                            : lw_rules_builtin(&rules, &err);
    if (st != LW_OK) {
        report("rules", err);
        free_events(&ev);
        return 1;
    }

    double *times = malloc((size_t)rounds * sizeof *times);
    uint64_t detections = 0, check = 0, rejected = 0;
    int status = times == NULL;
    for (long r = -1; r < rounds && status == 0; r++) { /* round -1 warms up */
        struct tally t = {0, 0, json};
        uint64_t rej = 0;
        double took = round_ns(rules, &ev, &t, &rej);
        if (took < 0) {
            status = 1;
        } else if (r < 0) {
            detections = t.detections;
            check = t.check;
            rejected = rej;
        } else if (t.detections != detections || t.check != check || rej != rejected) {
            fprintf(stderr, "scan_bench: round %ld found %llu detections, not %llu\n", r,
                    (unsigned long long)t.detections, (unsigned long long)detections);
            status = 1;
        } else {
            times[r] = took;
        }
    }
    if (status == 0) {
        qsort(times, (size_t)rounds, sizeof *times, by_value);
        double n = (double)ev.n;
        double median = rounds % 2 ? times[rounds / 2] : (times[rounds / 2 - 1] + times[rounds / 2]) / 2;
        printf("c %s events=%zu rounds=%ld detections=%llu rejected=%llu check=%llu min_ns=%.1f median_ns=%.1f "
               "events_per_s=%.0f\n",
               json ? "json" : "rule", ev.n, rounds, (unsigned long long)detections,
               (unsigned long long)rejected, (unsigned long long)check, times[0] / n, median / n,
               n * 1e9 / median);
    }
    free(times);
    lw_rules_free(rules);
    free_events(&ev);
    return status;
}
