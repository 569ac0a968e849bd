/*
 * Race driver for the table registry: threads open, probe by tag and close tables at the
 * same time, as Python threads do (cffi releases the GIL around every call). Built with
 * ThreadSanitizer by tests/native/test_race.py; any data race on the registry aborts the
 * run, and a tagged lookup that answers from another thread's table fails it.
 *
 * usage: race_table DIR   (writes one table per thread into DIR)   prints "lookups N".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define THREADS 8
#define ROUNDS 300
#define KEY 9506000134352ULL

static char paths[THREADS][512];
static atomic_ulong lookups;
static atomic_int wrong;

/* Table t holds KEY under control index t, so an answer names the table it came from. */
static int write_table(int t) {
    static const char pool[] = "9.A.4Gyros";
    struct gtab_control controls[THREADS];
    for (int i = 0; i < THREADS; i++)
        controls[i] = (struct gtab_control){.code_offset = 0, .code_length = 5,
                                            .title_offset = 5, .title_length = 5,
                                            .category = 2};
    uint64_t keys[1] = {KEY};
    uint32_t offs[1] = {0};
    uint16_t lens[1] = {5}, ctl[1] = {(uint16_t)t};
    uint8_t digest[32] = {0};
    struct gtab_build_input in = {
        .n_rows = 1, .keys = keys, .desc_offsets = offs, .desc_lengths = lens,
        .controls = ctl, .n_controls = THREADS, .control_table = controls,
        .strings = (const uint8_t *)pool, .strings_size = sizeof pool - 1,
        .build_time = 1700000000, .source_digest = digest,
    };
    uint64_t size = gtab_build_size(1, THREADS, sizeof pool - 1);
    uint8_t *buf = malloc(size);
    struct gtab_build_report report;
    if (buf == NULL || gtab_build(&in, buf, size, &report) != GTAB_OK) return 1;
    FILE *f = fopen(paths[t], "wb");
    int bad = f == NULL || fwrite(buf, 1, size, f) != size;
    if (f != NULL) fclose(f);
    free(buf);
    return bad;
}

static void *worker(void *arg) {
    int t = (int)(intptr_t)arg;
    for (int round = 0; round < ROUNDS; round++) {
        struct gtab_table *table = NULL;
        if (gtab_open_file(paths[t], &table) != GTAB_OK) {
            atomic_fetch_add(&wrong, 1);
            return NULL;
        }
        uint64_t tag = gtab_tag(table);
        for (int i = 0; i < 20; i++) {
            int32_t found = tag ? gtab_control_of_tagged(tag | KEY) : gtab_control_of(table, KEY);
            if (found != t) atomic_fetch_add(&wrong, 1);
            atomic_fetch_add(&lookups, 1);
        }
        gtab_close(table);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    for (int t = 0; t < THREADS; t++) {
        snprintf(paths[t], sizeof paths[t], "%s/race-%d.gtab", argv[1], t);
        if (write_table(t) != 0) {
            fprintf(stderr, "cannot write %s\n", paths[t]);
            return 2;
        }
    }
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        pthread_create(&threads[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    printf("lookups %lu\n", (unsigned long)atomic_load(&lookups));
    if (atomic_load(&wrong) != 0) {
        fprintf(stderr, "%d lookups answered from another table\n", atomic_load(&wrong));
        return 1;
    }
    return 0;
}
