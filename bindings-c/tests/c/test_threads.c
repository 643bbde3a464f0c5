/* Threads: one lw_rules shared by 8 threads, a scanner each, give the same
 * detections (the same JSON objects, in the same order) as one scanner on
 * one thread. Half the threads scan examples/msp-intrusion.jsonl, half
 * examples/msp-credentials.jsonl with examples/zones.toml, so stateful
 * correlations run concurrently too. Run under valgrind by
 * tools/test-all.sh. */
#define _POSIX_C_SOURCE 200809L /* getline */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "landwatch.h"
#include "check.h"

#define THREADS 8

/* A growable byte buffer: every detection's JSON, one per line, each
 * prefixed with the number of the input line that gave it (0: flush). */
struct buf {
    char *data;
    size_t len, cap;
};

static int append(struct buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *grown = realloc(b->data, cap);
        if (grown == NULL) return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

struct file {
    char **lines;
    size_t *lens;
    size_t count;
};

static int read_lines(const char *path, struct file *f) {
    FILE *in = fopen(path, "r");
    if (in == NULL) return -1;
    char *line = NULL;
    size_t cap = 0, room = 0;
    ssize_t n;
    f->lines = NULL;
    f->lens = NULL;
    f->count = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        if (f->count == room) {
            room = room ? room * 2 : 512;
            f->lines = realloc(f->lines, room * sizeof *f->lines);
            f->lens = realloc(f->lens, room * sizeof *f->lens);
            if (f->lines == NULL || f->lens == NULL) abort();
        }
        f->lines[f->count] = malloc((size_t)n);
        if (f->lines[f->count] == NULL) abort();
        memcpy(f->lines[f->count], line, (size_t)n);
        f->lens[f->count] = (size_t)n;
        f->count++;
    }
    free(line);
    fclose(in);
    return 0;
}

static void free_lines(struct file *f) {
    for (size_t i = 0; i < f->count; i++) free(f->lines[i]);
    free(f->lines);
    free(f->lens);
}

struct job {
    const lw_rules *rules;
    const struct file *events;
    const char *zones; /* NULL: none */
    size_t zones_len;
    size_t line; /* the line being scanned, from 1; 0 at flush */
    struct buf out;
    int failed;
};

static int record(const lw_detection *d, void *user) {
    struct job *job = user;
    char head[32];
    int n = snprintf(head, sizeof head, "%zu ", job->line);
    const char *json = lw_detection_json(d);
    if (append(&job->out, head, (size_t)n) || append(&job->out, json, strlen(json)) || append(&job->out, "\n", 1)) {
        job->failed = 1;
        return 1;
    }
    return 0;
}

static void *run(void *arg) {
    struct job *job = arg;
    lw_scanner *s = NULL;
    if (lw_scanner_new(job->rules, &s, NULL) != LW_OK) {
        job->failed = 1;
        return NULL;
    }
    if (job->zones != NULL && lw_scanner_set_zones(s, job->zones, job->zones_len, NULL) != LW_OK) job->failed = 1;
    for (size_t i = 0; i < job->events->count; i++) {
        job->line = i + 1;
        if (lw_scanner_scan_json(s, job->events->lines[i], job->events->lens[i], record, job, NULL) != LW_OK)
            job->failed = 1;
    }
    job->line = 0;
    if (lw_scanner_flush(s, record, job, NULL) != LW_OK) job->failed = 1;
    lw_scanner_free(s);
    return NULL;
}

static char *read_all(const char *path, size_t *len) {
    FILE *in = fopen(path, "rb");
    if (in == NULL) return NULL;
    fseek(in, 0, SEEK_END);
    long n = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text == NULL || fread(text, 1, (size_t)n, in) != (size_t)n) abort();
    fclose(in);
    text[n] = '\0';
    *len = (size_t)n;
    return text;
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    struct file intrusion, credentials;
    CHECK(read_lines("examples/msp-intrusion.jsonl", &intrusion) == 0);
    CHECK(read_lines("examples/msp-credentials.jsonl", &credentials) == 0);
    size_t zones_len = 0;
    char *zones = read_all("examples/zones.toml", &zones_len);
    CHECK(zones != NULL);
    if (failures) return 1;

    lw_rules *rules = NULL;
    CHECK(lw_rules_builtin(&rules, NULL) == LW_OK);

    /* The reference: each stream on this thread, alone. */
    struct job one[2] = {
        {rules, &intrusion, NULL, 0, 0, {0}, 0},
        {rules, &credentials, zones, zones_len, 0, {0}, 0},
    };
    run(&one[0]);
    run(&one[1]);
    CHECK(!one[0].failed && !one[1].failed);
    CHECK(one[0].out.len > 0 && one[1].out.len > 0);
    /* The correlated detections are there (they carry "group"). */
    CHECK(strstr(one[1].out.data, "\"group\"") != NULL);

    pthread_t threads[THREADS];
    struct job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = one[t % 2];
        jobs[t].out = (struct buf){0};
        CHECK(pthread_create(&threads[t], NULL, run, &jobs[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        const struct buf *want = &one[t % 2].out;
        CHECK(!jobs[t].failed);
        CHECK(jobs[t].out.len == want->len && memcmp(jobs[t].out.data, want->data, want->len) == 0);
        free(jobs[t].out.data);
    }
    lw_rules_free(rules);
    free(one[0].out.data);
    free(one[1].out.data);
    free(zones);
    free_lines(&intrusion);
    free_lines(&credentials);
    if (failures) {
        fprintf(stderr, "test_threads: %d checks failed\n", failures);
        return 1;
    }
    printf("test_threads: ok (%d threads, the same detections as one)\n", THREADS);
    return 0;
}
