/*
 * Fuzz driver for the gtab reader: feeds random and mutated table files to it for a bounded
 * time. Built with AddressSanitizer and UndefinedBehaviorSanitizer by tests/native/test_fuzz.py
 * (and `make fuzz`); any out-of-bounds read or undefined behaviour aborts the run.
 *
 * Mutations that only damage bytes are mostly stopped by the header checksum, so half of
 * them re-seal the header (and sometimes the body) after mutating, to drive the bounds
 * checks and the per-lookup checks behind it.
 *
 * usage: fuzz_table SECONDS [SEED]   prints one line per status code seen, then "files N".
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "table.h"

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t gtin_from(uint64_t body) {
    body %= 10000000000000ULL;
    unsigned sum = 0;
    uint64_t b = body;
    for (int i = 0; i < 13; i++) {
        sum += (unsigned)(b % 10) * (i % 2 == 0 ? 3u : 1u);
        b /= 10;
    }
    return body * 10 + (10 - sum % 10) % 10;
}

static uint8_t *seed;
static uint64_t seed_size;
static uint64_t seed_keys[256];

static void build_seed(void) {
    static const char pool[] = "1.A.1Complete rocket systemsproduction2.A.1.cMotor casesBolt M8";
    struct gtab_control controls[2] = {
        {.code_offset = 0, .code_length = 5, .title_offset = 5, .title_length = 23,
         .flags_offset = 28, .flags_length = 10, .category = 1},
        {.code_offset = 38, .code_length = 7, .title_offset = 45, .title_length = 11,
         .flags_offset = 0, .flags_length = 0, .category = 2},
    };
    uint64_t n = 256;
    uint32_t offs[256];
    uint16_t lens[256], ctl[256];
    for (uint64_t i = 0; i < n; i++) {
        seed_keys[i] = gtin_from(rnd());
        offs[i] = 56;
        lens[i] = 7;
        ctl[i] = (uint16_t)(i % 3 == 0 ? GTAB_NO_CONTROL : i % 2);
    }
    uint8_t digest[32] = {0};
    struct gtab_build_input in = {
        .n_rows = n, .keys = seed_keys, .desc_offsets = offs, .desc_lengths = lens,
        .controls = ctl, .n_controls = 2, .control_table = controls,
        .strings = (const uint8_t *)pool, .strings_size = sizeof pool - 1,
        .build_time = 1700000000, .source_digest = digest,
    };
    seed_size = gtab_build_size(n, 2, sizeof pool - 1);
    seed = malloc(seed_size);
    struct gtab_build_report report;
    if (seed == NULL || gtab_build(&in, seed, seed_size, &report) != GTAB_OK) {
        fprintf(stderr, "cannot build the seed table\n");
        exit(2);
    }
}

static void reseal(uint8_t *data, uint64_t size, int body) {
    if (size < GTAB_HEADER_SIZE) return;
    if (body) {
        uint64_t c = gtab_checksum(data + GTAB_HEADER_SIZE, size - GTAB_HEADER_SIZE);
        memcpy(data + offsetof(struct gtab_header, body_checksum), &c, 8);
    }
    uint64_t h = gtab_checksum(data, offsetof(struct gtab_header, header_checksum));
    memcpy(data + offsetof(struct gtab_header, header_checksum), &h, 8);
}

/* Sets one header field to a value chosen to sit at a boundary. */
static void poke_header(uint8_t *data, uint64_t size) {
    static const size_t fields[] = {
        offsetof(struct gtab_header, file_size), offsetof(struct gtab_header, entry_count),
        offsetof(struct gtab_header, slot_count), offsetof(struct gtab_header, control_count),
        offsetof(struct gtab_header, controls_offset), offsetof(struct gtab_header, strings_offset),
        offsetof(struct gtab_header, strings_size), offsetof(struct gtab_header, slots_offset),
        offsetof(struct gtab_header, header_size), offsetof(struct gtab_header, format_version),
    };
    size_t f = fields[rnd() % (sizeof fields / sizeof fields[0])];
    uint64_t old;
    memcpy(&old, data + f, 8);
    uint64_t values[] = {0, 1, old + 1, old - 1, old * 2, size, size + 1, UINT64_MAX,
                         UINT64_MAX - size, 1ULL << 63, rnd(), old + 64};
    uint64_t v = values[rnd() % (sizeof values / sizeof values[0])];
    if (f == offsetof(struct gtab_header, format_version) ||
        f == offsetof(struct gtab_header, header_size)) {
        uint32_t v32 = (uint32_t)v;
        memcpy(data + f, &v32, 4);
    } else {
        memcpy(data + f, &v, 8);
    }
}

static volatile uint64_t sink;

static void exercise(const struct gtab_table *t) {
    (void)gtab_verify(t);
    struct gtab_entry e;
    for (int i = 0; i < 64; i++) {
        uint64_t key = i < 32 ? seed_keys[rnd() % 256] : gtin_from(rnd());
        if (gtab_lookup(t, key, &e) == GTAB_OK) {
            const uint8_t *s = t->strings + e.desc_offset;
            for (uint16_t j = 0; j < e.desc_length; j++) sink += s[j];
        }
    }
    int64_t slots[40];
    gtab_lookup_batch(t, seed_keys, 40, slots);
    int32_t controls[40];
    gtab_slot_controls(t, slots, 40, controls);
    for (int i = 0; i < 40; i++) {
        if (gtab_slot_entry(t, slots[i], &e) == GTAB_OK) sink += e.key;
        if (gtab_slot_entry(t, (int64_t)(rnd() % (t->slot_count + 2)), &e) == GTAB_OK)
            sink += e.control;
    }
    char text[200];
    uint64_t keys[16];
    size_t count;
    int len = snprintf(text, sizeof text, "%014llu\n%llu\nx\n\n%08llu\n9506000134352",
                       (unsigned long long)seed_keys[rnd() % 256],
                       (unsigned long long)gtin_from(rnd()), (unsigned long long)(rnd() % 100000000));
    gtab_lookup_lines(t, text, (size_t)len, slots, keys, 16, &count);
    struct gtab_control_info ci;
    for (uint64_t i = 0; i < t->control_count; i++) {
        if (gtab_control_info(t, i, &ci) != GTAB_OK) continue;
        for (uint16_t j = 0; j < ci.title_length; j++) sink += t->strings[ci.title_offset + j];
        for (uint16_t j = 0; j < ci.flags_length; j++) sink += t->strings[ci.flags_offset + j];
    }
}

/* Opens the seed from a file, then truncates and overwrites that file; 0 when every seed
 * key still answers as it did before. */
static int file_attack(void) {
    char path[] = "/tmp/gtab-fuzz-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, seed, seed_size) != (ssize_t)seed_size) {
        fprintf(stderr, "cannot write the seed file\n");
        return 1;
    }
    struct gtab_table *t = NULL;
    int rc = gtab_open_file(path, &t);
    int32_t before[256];
    for (int i = 0; rc == GTAB_OK && i < 256; i++) before[i] = gtab_control_of(t, seed_keys[i]);
    int failed = rc != GTAB_OK || ftruncate(fd, 0) != 0;
    for (int i = 0; !failed && i < 256; i++)
        failed = gtab_control_of(t, seed_keys[i]) != before[i] ||
                 gtab_control_of_tagged(gtab_tag(t) | seed_keys[i]) != before[i];
    uint8_t junk[4096];
    memset(junk, 0x5a, sizeof junk);
    for (uint64_t at = 0; !failed && at < seed_size; at += sizeof junk)
        failed = pwrite(fd, junk, sizeof junk, (off_t)at) != (ssize_t)sizeof junk;
    exercise(t);
    for (int i = 0; !failed && i < 256; i++) failed = gtab_control_of(t, seed_keys[i]) != before[i];
    failed = failed || gtab_verify(t) != GTAB_OK;
    gtab_close(t);
    close(fd);
    unlink(path);
    if (failed) fprintf(stderr, "an open table changed with its file (rc %d)\n", rc);
    printf("file attack %s\n", failed ? "failed" : "ok");
    return failed;
}

/* The mapped path (gtab_map_file): a writable file is refused; the same file made read-only
 * maps, answers as the private copy does, and keeps answering once unlinked (the mapping
 * holds the inode: how gate removes old snapshots). Nothing truncates it: a mapping is only
 * for a file nobody rewrites in place, and truncating one would fault here by design. */
static int map_check(void) {
    char path[] = "/tmp/gtab-fuzz-map-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, seed, seed_size) != (ssize_t)seed_size) {
        fprintf(stderr, "cannot write the seed file\n");
        return 1;
    }
    struct gtab_table *copy = NULL, *map = NULL;
    int refused = gtab_map_file(path, &map);
    int failed = refused != GTAB_E_WRITABLE || map != NULL || fchmod(fd, 0444) != 0 ||
                 gtab_open_file(path, &copy) != GTAB_OK || gtab_map_file(path, &map) != GTAB_OK;
    failed = failed || unlink(path) != 0;
    for (int i = 0; !failed && i < 256; i++)
        failed = gtab_control_of(map, seed_keys[i]) != gtab_control_of(copy, seed_keys[i]) ||
                 gtab_control_of_tagged(gtab_tag(map) | seed_keys[i]) !=
                     gtab_control_of(copy, seed_keys[i]);
    if (!failed) exercise(map);
    failed = failed || gtab_verify(map) != GTAB_OK;
    gtab_close(map);
    gtab_close(copy);
    close(fd);
    unlink(path);
    if (failed) fprintf(stderr, "a mapped table was not the file's table (rc %d)\n", refused);
    printf("map check %s\n", failed ? "failed" : "ok");
    return failed;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 5.0;
    if (argc > 2) rng_state = strtoull(argv[2], NULL, 10) | 1;
    build_seed();
    long counts[32] = {0};
    uint64_t files = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        for (int round = 0; round < 64; round++) {
            uint64_t size;
            uint8_t *data;
            switch (rnd() % 6) {
            case 0: /* random bytes, sometimes with a valid magic */
                size = rnd() % 512;
                data = malloc(size ? size : 1);
                for (uint64_t i = 0; i < size; i++) data[i] = (uint8_t)rnd();
                if (size >= 8 && rnd() % 2) memcpy(data, seed, 8);
                if (size >= GTAB_HEADER_SIZE && rnd() % 2) memcpy(data, seed, GTAB_HEADER_SIZE);
                break;
            case 1: /* truncated anywhere */
                size = rnd() % seed_size;
                data = malloc(size ? size : 1);
                memcpy(data, seed, size);
                break;
            case 2: /* extended */
                size = seed_size + 1 + rnd() % 64;
                data = calloc(size, 1);
                memcpy(data, seed, seed_size);
                if (rnd() % 2) reseal(data, size, 1);
                break;
            default: { /* flipped bytes, header fields at boundaries; often re-sealed */
                size = seed_size;
                data = malloc(size);
                memcpy(data, seed, size);
                int flips = 1 + (int)(rnd() % 8);
                for (int i = 0; i < flips; i++) {
                    uint64_t at = rnd() % 3 == 0 ? rnd() % GTAB_HEADER_SIZE : rnd() % size;
                    data[at] ^= (uint8_t)(1 + rnd() % 255);
                }
                if (rnd() % 2) poke_header(data, size);
                int mode = (int)(rnd() % 3);
                if (mode) reseal(data, size, mode == 2);
                break;
            }
            }
            struct gtab_table t;
            int rc = gtab_attach(size ? data : seed, size, &t);
            counts[-rc & 31]++;
            if (rc == GTAB_OK) {
                exercise(&t);
                counts[16 + (-gtab_verify(&t) & 15)]++;
            }
            free(data);
            files++;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);

    /* The file path too: a missing file, then the seed written out, opened, and truncated
     * and overwritten under the open table, which must keep answering from its own copy
     * (a mapping of the file would fault here with SIGBUS). */
    struct gtab_table *opened = NULL;
    counts[-gtab_open_file("/nonexistent/gtab", &opened) & 31]++;
    if (file_attack() != 0) return 1;
    if (map_check() != 0) return 1;
    for (int i = 0; i < 16; i++)
        if (counts[i]) printf("attach %d %ld\n", -i, counts[i]);
    for (int i = 16; i < 32; i++)
        if (counts[i]) printf("verify %d %ld\n", -(i - 16), counts[i]);
    printf("files %llu\n", (unsigned long long)files);
    free(seed);
    return 0;
}
