/* The rules and error objects of liblandwatch, from C: compile, the
 * built-in pack, load, errors with positions, NULL arguments. Run by
 * tools/test-all.sh under valgrind (no leaks, no errors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landwatch.h"
#include "check.h"

static const char RULE[] =
    "rule t.whoami {\n"
    "    title: \"whoami\"\n"
    "    level: low\n"
    "    on: process\n"
    "    when: Image endswith '\\whoami.exe'\n"
    "}\n";

static void test_version(void) {
    const char *v = lw_version();
    CHECK(v != NULL && strlen(v) >= 5 && strchr(v, '.') != NULL);
}

static void test_compile(void) {
    lw_rules *rules = NULL;
    lw_error *err = NULL;
    CHECK(lw_rules_compile(RULE, strlen(RULE), "t.lw", &rules, &err) == LW_OK);
    CHECK(rules != NULL && err == NULL);
    CHECK(lw_rules_count(rules) == 1);
    lw_rules_free(rules);
}

static void test_rule_error_has_position(void) {
    static const char BAD[] = "rule t.bad {\n    title: \"x\"\n    level: severe\n}\n";
    lw_rules *rules = NULL;
    lw_error *err = NULL;
    CHECK(lw_rules_compile(BAD, strlen(BAD), "bad.lw", &rules, &err) == LW_ERR_RULE);
    CHECK(rules == NULL && err != NULL);
    CHECK(lw_error_status(err) == LW_ERR_RULE);
    CHECK(lw_error_line(err) == 3);
    CHECK(lw_error_column(err) >= 1);
    CHECK(strncmp(lw_error_message(err), "bad.lw:3:", 9) == 0);
    lw_error_free(err);
}

static void test_input_holding_nul_is_read_by_length(void) {
    /* The length is explicit: a NUL inside the text is text, and a
     * rule file cannot hold one. */
    char src[sizeof RULE + 8];
    memcpy(src, RULE, sizeof RULE);
    lw_rules *rules = NULL;
    lw_error *err = NULL;
    CHECK(lw_rules_compile(src, 4, NULL, &rules, &err) == LW_ERR_RULE);
    lw_error_free(err);
    err = NULL;
    CHECK(lw_rules_compile(src, sizeof RULE, NULL, &rules, &err) == LW_ERR_RULE); /* the trailing NUL */
    lw_error_free(err);
}

static void test_null_arguments(void) {
    lw_error *err = NULL;
    lw_rules *rules = NULL;
    CHECK(lw_rules_compile(NULL, 0, NULL, &rules, &err) == LW_ERR_ARG);
    CHECK(err != NULL && lw_error_status(err) == LW_ERR_ARG);
    lw_error_free(err);
    CHECK(lw_rules_compile(RULE, strlen(RULE), NULL, NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_rules_builtin(NULL, NULL) == LW_ERR_ARG);
    CHECK(lw_rules_load(NULL, 1, 0, &rules, NULL) == LW_ERR_ARG);
    CHECK(lw_rules_count(NULL) == 0);
    CHECK(strcmp(lw_error_message(NULL), "") == 0);
    lw_rules_free(NULL);
    lw_error_free(NULL);
}

static void test_builtin_and_load(const char *rules_dir) {
    lw_rules *builtin = NULL;
    CHECK(lw_rules_builtin(&builtin, NULL) == LW_OK);
    size_t n = lw_rules_count(builtin);
    CHECK(n > 50);
    const char *paths[] = {rules_dir};
    lw_rules *loaded = NULL;
    CHECK(lw_rules_load(paths, 1, 0, &loaded, NULL) == LW_OK);
    CHECK(lw_rules_count(loaded) == n);
    lw_rules_free(loaded);
    lw_rules *both = NULL;
    CHECK(lw_rules_load(NULL, 0, 1, &both, NULL) == LW_OK);
    CHECK(lw_rules_count(both) == n);
    lw_rules_free(both);
    lw_rules_free(builtin);
    const char *missing[] = {"/nonexistent/rules.lw"};
    lw_error *err = NULL;
    lw_rules *none = NULL;
    CHECK(lw_rules_load(missing, 1, 0, &none, &err) == LW_ERR_RULE);
    CHECK(none == NULL && err != NULL && strlen(lw_error_message(err)) > 0);
    lw_error_free(err);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORE_RULES_DIR\n", argv[0]);
        return 2;
    }
    test_version();
    test_compile();
    test_rule_error_has_position();
    test_input_holding_nul_is_read_by_length();
    test_null_arguments();
    test_builtin_and_load(argv[1]);
    if (failures) {
        fprintf(stderr, "test_rules: %d checks failed\n", failures);
        return 1;
    }
    printf("test_rules: ok\n");
    return 0;
}
