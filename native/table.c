/*
 * gtab: reader and builder of gate's compiled control table. See table.h for the format.
 *
 * Invariants the reader keeps, whatever the file holds:
 *  - gtab_attach() accepts a file only if every region named by the header lies inside it
 *    (each sum checked for overflow), so later pointer arithmetic over those regions is safe;
 *  - a probe never runs past slot_count slots, so a table with no free slot still ends;
 *  - a slot or control is returned only after its string references are checked against
 *    the pool, so callers can read the bytes they are given;
 *  - a table opened from a path is either the reader's private copy of the file
 *    (gtab_open_file: any file, nothing done to it afterwards reaches the table) or a shared
 *    read-only mapping of a file the caller owns and nobody rewrites in place (gtab_map_file:
 *    gate maps only its own snapshots, see gtab_map_file and gate/table/snapshots.py).
 * The lookup functions never allocate, never call back and never write anything but their
 * out-parameters.
 */
#define _GNU_SOURCE
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t GTAB_MAGIC[8] = {'G', 'T', 'A', 'B', 0x00, '\r', '\n', 0x1a};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "gtab files are little-endian; this reader has no byte swapping"
#endif

_Static_assert(sizeof(struct gtab_header) == GTAB_HEADER_SIZE, "header layout");
_Static_assert(sizeof(struct gtab_slot) == GTAB_SLOT_SIZE, "slot layout");
_Static_assert(sizeof(struct gtab_control) == GTAB_CONTROL_SIZE, "control layout");

int gtab_abi_version(void) { return GTAB_ABI_VERSION; }

/*
 * Tables opened by gtab_open_file or gtab_map_file, by tag. A cffi call with one argument costs about half
 * one with two (cffi builds an argument tuple for two or more), so a caller that wants the
 * cheapest single lookup passes the table's tag and the key in one integer:
 * tag << GTAB_TAG_SHIFT | key (gtab_control_of_tagged).
 *
 * cffi releases the GIL around every call, so opens, closes and lookups on other threads
 * run at the same time as each other. Each entry is therefore atomic: gtab_register claims
 * a free entry with a compare-and-swap (two opens never claim the same one), gtab_unregister
 * frees only the entry holding its own table, and gtab_control_of_tagged reads its entry
 * with an acquire load, which sees the table fully attached (the claim is a release).
 * native/race_table.c runs opens, tagged lookups and closes on eight threads under
 * ThreadSanitizer to hold the registry to that.
 *
 * What the registry cannot enforce is that a tag is used only while its table is open: a
 * table closed and a new one registered under the same tag would answer for it. That is the
 * caller's contract (gtab_control_of_tagged states it); gate/table/native.py's Probe keeps
 * it by holding the table's handle in every closure that holds its tag.
 */
static const struct gtab_table *_Atomic gtab_registry[GTAB_REGISTRY_SIZE];

static uint64_t gtab_register(const struct gtab_table *t) {
    for (uint64_t i = 0; i < GTAB_REGISTRY_SIZE; i++) {
        const struct gtab_table *expected = NULL;
        if (atomic_compare_exchange_strong_explicit(&gtab_registry[i], &expected, t,
                                                    memory_order_acq_rel, memory_order_relaxed))
            return i + 1;
    }
    return 0;
}

static void gtab_unregister(const struct gtab_table *t) {
    for (uint64_t i = 0; i < GTAB_REGISTRY_SIZE; i++) {
        const struct gtab_table *expected = t;
        atomic_compare_exchange_strong_explicit(&gtab_registry[i], &expected, NULL,
                                                memory_order_release, memory_order_relaxed);
    }
}

/* The tag of an open table, already shifted into place; 0 if it has none (registry full,
 * or a table attached over a caller's buffer). */
uint64_t gtab_tag(const struct gtab_table *t) {
    if (t == NULL) return 0;
    for (uint64_t i = 0; i < GTAB_REGISTRY_SIZE; i++)
        if (atomic_load_explicit(&gtab_registry[i], memory_order_acquire) == t)
            return (i + 1) << GTAB_TAG_SHIFT;
    return 0;
}

/* The murmur3 finaliser: keys are dense GTINs, so they need a full avalanche. */
static inline uint64_t gtab_mix(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return key;
}

/* Maps a hash onto [0, n) without a division (Lemire's multiply-shift). */
static inline uint64_t gtab_home(uint64_t key, uint64_t n) {
    return (uint64_t)(((unsigned __int128)gtab_mix(key) * n) >> 64);
}

static inline uint64_t gtab_read64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint64_t gtab_rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/*
 * A checksum for damage, not for attackers (the source digest and the signature of the
 * sources are what name a table): four independent multiply-rotate lanes over 8-byte words,
 * so it runs at memory speed, then a full mix of the lanes, the tail and the length.
 */
uint64_t gtab_checksum(const uint8_t *data, uint64_t size) {
    const uint64_t p1 = 0x9E3779B185EBCA87ULL, p2 = 0xC2B2AE3D27D4EB4FULL;
    uint64_t a = p1, b = p2, c = p1 ^ p2, d = ~p1;
    uint64_t i = 0;
    for (; i + 32 <= size; i += 32) {
        a = gtab_rotl(a + gtab_read64(data + i) * p2, 31) * p1;
        b = gtab_rotl(b + gtab_read64(data + i + 8) * p2, 31) * p1;
        c = gtab_rotl(c + gtab_read64(data + i + 16) * p2, 31) * p1;
        d = gtab_rotl(d + gtab_read64(data + i + 24) * p2, 31) * p1;
    }
    uint64_t h = gtab_rotl(a, 1) + gtab_rotl(b, 7) + gtab_rotl(c, 12) + gtab_rotl(d, 18);
    for (; i < size; i++) h = gtab_rotl(h ^ (data[i] * p1), 11) * p2;
    return gtab_mix(h ^ size);
}

/* a + b * c <= limit, with no step overflowing. */
static int gtab_region_fits(uint64_t offset, uint64_t count, uint64_t width, uint64_t limit) {
    if (width != 0 && count > UINT64_MAX / width) return 0;
    uint64_t bytes = count * width;
    if (offset > limit) return 0;
    return bytes <= limit - offset;
}

static int gtab_string_ok(const struct gtab_table *t, uint32_t offset, uint16_t length) {
    return (uint64_t)offset + length <= t->strings_size;
}

static int gtab_control_ok(const struct gtab_table *t, const struct gtab_control *c) {
    return gtab_string_ok(t, c->code_offset, c->code_length) &&
           gtab_string_ok(t, c->title_offset, c->title_length) &&
           gtab_string_ok(t, c->flags_offset, c->flags_length) &&
           (c->category == 1 || c->category == 2);
}

/*
 * Checks the header and every control against the size and fills *out. Constant time in
 * the number of entries (the controls are a few hundred). Does not read the slots: their
 * checksum is gtab_verify's job, and each lookup checks the slot it hands out.
 */
int gtab_attach(const uint8_t *data, uint64_t size, struct gtab_table *out) {
    if (data == NULL || out == NULL) return GTAB_E_ARGUMENT;
    memset(out, 0, sizeof *out);
    if (size == 0) return GTAB_E_EMPTY;
    if (size < sizeof GTAB_MAGIC) return GTAB_E_TRUNCATED;
    if (memcmp(data, GTAB_MAGIC, sizeof GTAB_MAGIC) != 0) return GTAB_E_MAGIC;
    if (size < GTAB_HEADER_SIZE) return GTAB_E_TRUNCATED;
    struct gtab_header h;
    memcpy(&h, data, sizeof h);
    if (h.format_version != GTAB_FORMAT_VERSION) return GTAB_E_VERSION;
    if (gtab_checksum(data, offsetof(struct gtab_header, header_checksum)) != h.header_checksum)
        return GTAB_E_HEADER_CHECKSUM;
    if (h.header_size != GTAB_HEADER_SIZE) return GTAB_E_BOUNDS;
    if (size < h.file_size) return GTAB_E_TRUNCATED;
    if (size > h.file_size) return GTAB_E_SIZE;
    if (h.slot_count == 0 || h.entry_count > h.slot_count || h.control_count > GTAB_MAX_CONTROLS)
        return GTAB_E_BOUNDS;
    if (h.controls_offset < GTAB_HEADER_SIZE || h.controls_offset % 8 != 0 ||
        !gtab_region_fits(h.controls_offset, h.control_count, GTAB_CONTROL_SIZE, size))
        return GTAB_E_BOUNDS;
    if (!gtab_region_fits(h.strings_offset, h.strings_size, 1, size) ||
        h.strings_offset < h.controls_offset + h.control_count * GTAB_CONTROL_SIZE)
        return GTAB_E_BOUNDS;
    if (h.slots_offset % 64 != 0 || h.slots_offset < h.strings_offset + h.strings_size ||
        !gtab_region_fits(h.slots_offset, h.slot_count, GTAB_SLOT_SIZE, size))
        return GTAB_E_BOUNDS;

    out->base = data;
    out->size = size;
    out->header = (const struct gtab_header *)(const void *)data;
    out->controls = (const struct gtab_control *)(const void *)(data + h.controls_offset);
    out->strings = data + h.strings_offset;
    out->slots = (const struct gtab_slot *)(const void *)(data + h.slots_offset);
    out->slot_count = h.slot_count;
    out->control_count = h.control_count;
    out->strings_size = h.strings_size;
    for (uint64_t i = 0; i < h.control_count; i++) {
        if (!gtab_control_ok(out, &out->controls[i])) {
            memset(out, 0, sizeof *out);
            return GTAB_E_CORRUPT;
        }
    }
    return GTAB_OK;
}

/*
 * Opens ``path`` for reading and checks what both ways of attaching a file need: a regular
 * file (a FIFO or a device could block or never end), not empty, not too big to address, and,
 * with ``read_only``, writable by nobody. On GTAB_OK, *fd is open and *size holds the file's
 * size; on any other status nothing is left open (on GTAB_E_IO, errno holds the reason).
 */
static int gtab_open_regular(const char *path, int read_only, int *fd, uint64_t *size) {
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return GTAB_E_IO;
    struct stat st;
    int rc = GTAB_OK;
    if (fstat(*fd, &st) != 0) {
        rc = GTAB_E_IO;
    } else if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        rc = GTAB_E_IO;
    } else if (read_only && (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) != 0) {
        rc = GTAB_E_WRITABLE;
    } else if (st.st_size == 0) {
        rc = GTAB_E_EMPTY;
    } else if ((uint64_t)st.st_size > SIZE_MAX / 2) {
        rc = GTAB_E_TOO_BIG;
    }
    if (rc != GTAB_OK) {
        int saved = errno;
        close(*fd);
        errno = saved;
        *fd = -1;
        return rc;
    }
    *size = (uint64_t)st.st_size;
    return GTAB_OK;
}

/*
 * Copies the file into private anonymous memory, makes that read-only and attaches it; the
 * copy lives until gtab_close. For a file the caller does not own (gate lookup --table, the
 * check of a table just compiled; the service maps its own snapshots, gtab_map_file): a file
 * mapping faults (SIGBUS) once someone truncates the file, and shows whatever someone writes
 * over it in place, so whoever owns the path could crash or change a running reader. The
 * copy is the reader's own: after this returns, nothing done to the file reaches the table.
 * A file that changes while it is copied gives a torn copy: the header checks here refuse a
 * torn header or size, gtab_verify's body checksum a torn body (gate verifies every table it
 * serves; an unverified torn body still reads only inside the copy). The copy costs a read
 * of the file and its size in memory, per open table. On GTAB_E_IO, errno holds the
 * system's reason.
 */
int gtab_open_file(const char *path, struct gtab_table **out) {
    if (path == NULL || out == NULL) return GTAB_E_ARGUMENT;
    *out = NULL;
    int fd;
    uint64_t size;
    int opened = gtab_open_regular(path, 0, &fd, &size);
    if (opened != GTAB_OK) return opened;
    uint8_t *copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED) {
        close(fd);
        return GTAB_E_NOMEM;
    }
    uint64_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, copy + done, size - done, (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int saved = errno;
            close(fd);
            munmap(copy, size);
            errno = saved;
            /* Shorter than it was a moment ago: truncated while being read. */
            return n == 0 ? GTAB_E_TRUNCATED : GTAB_E_IO;
        }
        done += (uint64_t)n;
    }
    close(fd);
#ifdef MADV_HUGEPAGE
    /* Only a hint, given after the copy: khugepaged may assemble huge pages later. Given
     * before, every fault of the copy could wait for memory compaction (seconds for a
     * 200 MB table on a busy host). */
    if (size >= (2u << 20)) (void)madvise(copy, size, MADV_HUGEPAGE);
#endif
    if (mprotect(copy, size, PROT_READ) != 0) {
        munmap(copy, size);
        return GTAB_E_NOMEM;
    }
    struct gtab_table *t = malloc(sizeof *t);
    if (t == NULL) {
        munmap(copy, size);
        return GTAB_E_NOMEM;
    }
    int rc = gtab_attach(copy, size, t);
    if (rc != GTAB_OK) {
        munmap(copy, size);
        free(t);
        return rc;
    }
    t->mapped = 1;
    gtab_register(t); /* a table without a tag still works, through the two-argument calls */
    *out = t;
    return GTAB_OK;
}

/*
 * Maps a table file read-only and shared (MAP_SHARED: every process that maps the same file
 * reads the same page-cache pages, so ten gates hold one copy) and attaches it: constant
 * time, whatever the size; the pages are read on first use.
 *
 * A file mapping is only as stable as its file. Truncating the file under the mapping makes
 * the next touch of a page past the new end fault (SIGBUS, the process dies), and writing
 * over it in place changes the table under running lookups. So the caller must map only a
 * file it owns and that nobody rewrites in place: gate maps only its snapshots, files it
 * copies into a folder of its own, verifies once, makes read-only (0444) and replaces only
 * by rename (gate/table/snapshots.py). Never map a path a user or another program writes:
 * open that with gtab_open_file.
 *
 * This function holds callers to the part it can see: the file must be a regular file with
 * no write permission for anyone (GTAB_E_WRITABLE otherwise). What it cannot stop is the
 * file's owner or root making it writable again and truncating it: that still faults the
 * mapping. Unlinking or renaming the file is harmless (the mapping keeps the inode).
 * On GTAB_E_IO, errno holds the system's reason.
 */
int gtab_map_file(const char *path, struct gtab_table **out) {
    if (path == NULL || out == NULL) return GTAB_E_ARGUMENT;
    *out = NULL;
    int fd;
    uint64_t size;
    int opened = gtab_open_regular(path, 1, &fd, &size);
    if (opened != GTAB_OK) return opened;
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    int saved = errno;
    close(fd); /* the mapping keeps the file */
    if (map == MAP_FAILED) {
        errno = saved;
        return GTAB_E_IO;
    }
    struct gtab_table *t = malloc(sizeof *t);
    if (t == NULL) {
        munmap(map, size);
        return GTAB_E_NOMEM;
    }
    int rc = gtab_attach(map, size, t);
    if (rc != GTAB_OK) {
        munmap(map, size);
        free(t);
        return rc;
    }
    t->mapped = 1;
    gtab_register(t);
    *out = t;
    return GTAB_OK;
}

void gtab_close(struct gtab_table *table) {
    if (table == NULL) return;
    gtab_unregister(table);
    if (table->mapped && table->base != NULL) munmap((void *)table->base, table->size);
    free(table);
}

/* Reads the whole table: body checksum, then every slot's references and the entry count. */
int gtab_verify(const struct gtab_table *t) {
    if (t == NULL || t->header == NULL) return GTAB_E_ARGUMENT;
    uint64_t body = gtab_checksum(t->base + GTAB_HEADER_SIZE, t->size - GTAB_HEADER_SIZE);
    if (body != t->header->body_checksum) return GTAB_E_CHECKSUM;
    uint64_t used = 0;
    for (uint64_t i = 0; i < t->slot_count; i++) {
        const struct gtab_slot *s = &t->slots[i];
        if (s->key == GTAB_EMPTY_KEY) continue;
        used++;
        if (s->key > GTAB_MAX_KEY || !gtab_string_ok(t, s->desc_offset, s->desc_length) ||
            (s->control != GTAB_NO_CONTROL && s->control >= t->control_count))
            return GTAB_E_CORRUPT;
    }
    if (used != t->header->entry_count) return GTAB_E_CORRUPT;
    return GTAB_OK;
}

static inline int gtab_slot_ok(const struct gtab_table *t, const struct gtab_slot *s) {
    return gtab_string_ok(t, s->desc_offset, s->desc_length) &&
           (s->control == GTAB_NO_CONTROL || s->control < t->control_count);
}

/* Probes from the key's home slot; ends at the key, a free slot, or after slot_count steps. */
static inline int64_t gtab_find(const struct gtab_table *t, uint64_t key) {
    uint64_t n = t->slot_count;
    uint64_t i = gtab_home(key, n);
    for (uint64_t step = 0; step < n; step++) {
        const struct gtab_slot *s = &t->slots[i];
        if (s->key == key) return gtab_slot_ok(t, s) ? (int64_t)i : GTAB_SLOT_CORRUPT;
        if (s->key == GTAB_EMPTY_KEY) return GTAB_SLOT_NOT_FOUND;
        if (++i == n) i = 0;
    }
    return GTAB_SLOT_NOT_FOUND;
}

static void gtab_fill_entry(const struct gtab_table *t, int64_t slot, struct gtab_entry *out) {
    const struct gtab_slot *s = &t->slots[slot];
    out->slot = slot;
    out->key = s->key;
    out->desc_offset = s->desc_offset;
    out->desc_length = s->desc_length;
    out->control = s->control;
}

int gtab_lookup(const struct gtab_table *t, uint64_t key, struct gtab_entry *out) {
    if (t == NULL || out == NULL || t->slots == NULL) return GTAB_E_ARGUMENT;
    if (key > GTAB_MAX_KEY) return GTAB_E_ARGUMENT;
    int64_t slot = gtab_find(t, key);
    if (slot == GTAB_SLOT_NOT_FOUND) return GTAB_NOT_FOUND;
    if (slot < 0) return GTAB_E_CORRUPT;
    gtab_fill_entry(t, slot, out);
    return GTAB_OK;
}

/*
 * The cheapest single lookup with a handle: two arguments in, one integer out.
 * Returns the key's control index (GTAB_NO_CONTROL when catalogued but not listed), or a
 * negative GTAB_SLOT_* value: not found, invalid key (or no table), corrupt entry.
 */
int32_t gtab_control_of(const struct gtab_table *t, uint64_t key) {
    if (t == NULL || t->slots == NULL || key > GTAB_MAX_KEY) return GTAB_SLOT_INVALID;
    int64_t slot = gtab_find(t, key);
    if (slot < 0) return (int32_t)slot;
    return t->slots[slot].control;
}

/*
 * gtab_control_of for the table whose tag (from gtab_tag) is in the top bits of tagged.
 * The caller must hold that table open for the whole call: the registry is safe to read
 * while others open and close tables, but a tag outliving its table names whichever table
 * claims the entry next. A tag with no table is GTAB_SLOT_INVALID.
 */
int32_t gtab_control_of_tagged(uint64_t tagged) {
    uint64_t tag = tagged >> GTAB_TAG_SHIFT;
    if (tag == 0 || tag > GTAB_REGISTRY_SIZE) return GTAB_SLOT_INVALID;
    const struct gtab_table *t = atomic_load_explicit(&gtab_registry[tag - 1], memory_order_acquire);
    return gtab_control_of(t, tagged & ((1ULL << GTAB_TAG_SHIFT) - 1));
}

int gtab_slot_entry(const struct gtab_table *t, int64_t slot, struct gtab_entry *out) {
    if (t == NULL || out == NULL || slot < 0 || (uint64_t)slot >= t->slot_count)
        return GTAB_E_ARGUMENT;
    const struct gtab_slot *s = &t->slots[slot];
    if (s->key == GTAB_EMPTY_KEY) return GTAB_NOT_FOUND;
    if (!gtab_slot_ok(t, s)) return GTAB_E_CORRUPT;
    gtab_fill_entry(t, slot, out);
    return GTAB_OK;
}

/*
 * The control index of each slot from a batch (GTAB_NO_CONTROL when catalogued but not
 * listed); a negative slot, or one that is out of range, free or damaged, passes through
 * as a negative value (GTAB_SLOT_INVALID for out of range, GTAB_SLOT_CORRUPT for damage).
 */
int gtab_slot_controls(const struct gtab_table *t, const int64_t *slots, size_t n,
                       int32_t *out_controls) {
    if (t == NULL || t->slots == NULL || (n > 0 && (slots == NULL || out_controls == NULL)))
        return GTAB_E_ARGUMENT;
    for (size_t j = 0; j < n; j++) {
        int64_t slot = slots[j];
        if (slot < 0) {
            out_controls[j] = (int32_t)(slot < INT32_MIN ? GTAB_SLOT_INVALID : slot);
            continue;
        }
        if ((uint64_t)slot >= t->slot_count || t->slots[slot].key == GTAB_EMPTY_KEY) {
            out_controls[j] = GTAB_SLOT_INVALID;
            continue;
        }
        const struct gtab_slot *s = &t->slots[slot];
        out_controls[j] = gtab_slot_ok(t, s) ? (int32_t)s->control : GTAB_SLOT_CORRUPT;
    }
    return GTAB_OK;
}

int gtab_control_info(const struct gtab_table *t, uint64_t index, struct gtab_control_info *out) {
    if (t == NULL || out == NULL || index >= t->control_count) return GTAB_E_ARGUMENT;
    const struct gtab_control *c = &t->controls[index];
    out->code_offset = c->code_offset;
    out->code_length = c->code_length;
    out->title_offset = c->title_offset;
    out->title_length = c->title_length;
    out->flags_offset = c->flags_offset;
    out->flags_length = c->flags_length;
    out->category = c->category;
    return GTAB_OK;
}

/*
 * Batched lookup: hashes a group of keys and prefetches their home slots before probing
 * any, so the DRAM misses of one group overlap instead of queueing one after another.
 */
#define GTAB_GROUP 16
int gtab_lookup_batch(const struct gtab_table *t, const uint64_t *keys, size_t n,
                      int64_t *out_slots) {
    if (t == NULL || t->slots == NULL || (n > 0 && (keys == NULL || out_slots == NULL)))
        return GTAB_E_ARGUMENT;
    uint64_t homes[GTAB_GROUP];
    for (size_t start = 0; start < n; start += GTAB_GROUP) {
        size_t end = start + GTAB_GROUP < n ? start + GTAB_GROUP : n;
        for (size_t j = start; j < end; j++) {
            homes[j - start] = gtab_home(keys[j], t->slot_count);
            __builtin_prefetch(&t->slots[homes[j - start]]);
        }
        for (size_t j = start; j < end; j++) {
            uint64_t key = keys[j];
            if (key > GTAB_MAX_KEY) {
                out_slots[j] = GTAB_SLOT_INVALID;
                continue;
            }
            uint64_t i = homes[j - start], nslots = t->slot_count;
            int64_t result = GTAB_SLOT_NOT_FOUND;
            for (uint64_t step = 0; step < nslots; step++) {
                const struct gtab_slot *s = &t->slots[i];
                if (s->key == key) {
                    result = gtab_slot_ok(t, s) ? (int64_t)i : GTAB_SLOT_CORRUPT;
                    break;
                }
                if (s->key == GTAB_EMPTY_KEY) break;
                if (++i == nslots) i = 0;
            }
            out_slots[j] = result;
        }
    }
    return GTAB_OK;
}

/*
 * Parses one plain GTIN-8/12/13/14 (digits only, check digit valid) into its GTIN-14 value.
 * Returns 0 and leaves *key alone for anything else: the caller decodes those the slow way.
 */
static int gtab_parse_gtin(const char *p, size_t len, uint64_t *key) {
    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' ')) len--;
    if (len != 8 && len != 12 && len != 13 && len != 14) return 0;
    uint64_t v = 0;
    unsigned sum = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9) return 0;
        v = v * 10 + d;
        if (i + 1 < len) sum += d * (((len - 1 - i) % 2 == 1) ? 3u : 1u);
    }
    unsigned check = (10 - sum % 10) % 10;
    if (check != (unsigned)(unsigned char)p[len - 1] - '0') return 0;
    *key = v;
    return 1;
}

/*
 * Looks up each '\n'-separated line of text that is a plain GTIN; other lines get
 * GTAB_SLOT_INVALID (and key 0) so the caller can decode them. Handles at most max_lines
 * lines and reports how many in *out_count. A final line without '\n' counts as a line.
 */
int gtab_lookup_lines(const struct gtab_table *t, const char *text, size_t length,
                      int64_t *out_slots, uint64_t *out_keys, size_t max_lines,
                      size_t *out_count) {
    if (t == NULL || t->slots == NULL || out_count == NULL ||
        (length > 0 && text == NULL) || (max_lines > 0 && (out_slots == NULL || out_keys == NULL)))
        return GTAB_E_ARGUMENT;
    size_t count = 0, pos = 0;
    uint64_t keys[GTAB_GROUP];
    int valid[GTAB_GROUP];
    while (pos < length && count < max_lines) {
        size_t group = 0, first = count;
        while (group < GTAB_GROUP && pos < length && count < max_lines) {
            const char *line = text + pos;
            const char *nl = memchr(line, '\n', length - pos);
            size_t len = nl ? (size_t)(nl - line) : length - pos;
            pos += len + (nl ? 1 : 0);
            uint64_t key = 0;
            valid[group] = gtab_parse_gtin(line, len, &key);
            keys[group] = key;
            if (valid[group]) __builtin_prefetch(&t->slots[gtab_home(key, t->slot_count)]);
            group++;
            count++;
        }
        for (size_t g = 0; g < group; g++) {
            out_keys[first + g] = valid[g] ? keys[g] : 0;
            out_slots[first + g] = valid[g] ? gtab_find(t, keys[g]) : GTAB_SLOT_INVALID;
        }
    }
    *out_count = count;
    return GTAB_OK;
}

static uint64_t gtab_align(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* Slots for n rows: a load factor near 0.75, never full. */
static uint64_t gtab_slots_for(uint64_t n_rows) { return n_rows + n_rows / 3 + 1; }

uint64_t gtab_build_size(uint64_t n_rows, uint64_t n_controls, uint64_t strings_size) {
    uint64_t strings_offset = GTAB_HEADER_SIZE + n_controls * GTAB_CONTROL_SIZE;
    uint64_t slots_offset = gtab_align(strings_offset + strings_size, 64);
    return slots_offset + gtab_slots_for(n_rows) * GTAB_SLOT_SIZE;
}

/*
 * Lays out a table into out (out_size == gtab_build_size(...)). Rows are inserted in order;
 * a key seen again with the same control is skipped (counted), with another control it is
 * an error naming both rows. The caller validated keys, controls and string references;
 * they are checked again here because the builder must never write a file the reader
 * would refuse.
 */
int gtab_build(const struct gtab_build_input *in, uint8_t *out, uint64_t out_size,
               struct gtab_build_report *report) {
    if (in == NULL || out == NULL || report == NULL || in->source_digest == NULL)
        return GTAB_E_ARGUMENT;
    memset(report, 0, sizeof *report);
    if (in->n_rows > GTAB_MAX_ENTRIES || in->n_controls > GTAB_MAX_CONTROLS ||
        in->strings_size > UINT32_MAX)
        return GTAB_E_TOO_BIG;
    uint64_t size = gtab_build_size(in->n_rows, in->n_controls, in->strings_size);
    if (out_size != size) return GTAB_E_ARGUMENT;

    struct gtab_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, GTAB_MAGIC, sizeof GTAB_MAGIC);
    h.format_version = GTAB_FORMAT_VERSION;
    h.header_size = GTAB_HEADER_SIZE;
    h.file_size = size;
    h.slot_count = gtab_slots_for(in->n_rows);
    h.control_count = in->n_controls;
    h.controls_offset = GTAB_HEADER_SIZE;
    h.strings_offset = GTAB_HEADER_SIZE + in->n_controls * GTAB_CONTROL_SIZE;
    h.strings_size = in->strings_size;
    h.slots_offset = gtab_align(h.strings_offset + h.strings_size, 64);
    h.build_time = in->build_time;
    memcpy(h.source_digest, in->source_digest, 32);

    memset(out, 0, size);
    for (uint64_t i = 0; i < in->n_controls; i++) {
        const struct gtab_control *c = &in->control_table[i];
        if ((uint64_t)c->code_offset + c->code_length > in->strings_size ||
            (uint64_t)c->title_offset + c->title_length > in->strings_size ||
            (uint64_t)c->flags_offset + c->flags_length > in->strings_size ||
            (c->category != 1 && c->category != 2))
            return GTAB_E_ARGUMENT;
    }
    if (in->n_controls) memcpy(out + h.controls_offset, in->control_table, in->n_controls * GTAB_CONTROL_SIZE);
    if (in->strings_size) memcpy(out + h.strings_offset, in->strings, in->strings_size);

    struct gtab_slot *slots = (struct gtab_slot *)(void *)(out + h.slots_offset);
    for (uint64_t i = 0; i < h.slot_count; i++) slots[i].key = GTAB_EMPTY_KEY;
    uint64_t entries = 0;
    for (uint64_t r = 0; r < in->n_rows; r++) {
        uint64_t key = in->keys[r];
        uint16_t control = in->controls[r];
        if (key > GTAB_MAX_KEY ||
            (uint64_t)in->desc_offsets[r] + in->desc_lengths[r] > in->strings_size ||
            (control != GTAB_NO_CONTROL && control >= in->n_controls)) {
            report->duplicate_first = r;
            return GTAB_E_ARGUMENT;
        }
        uint64_t i = gtab_home(key, h.slot_count);
        while (slots[i].key != GTAB_EMPTY_KEY && slots[i].key != key)
            if (++i == h.slot_count) i = 0;
        if (slots[i].key == key) {
            if (slots[i].control == control) {
                report->skipped_duplicates++;
                continue;
            }
            /* Rare: find the first row again the slow way rather than keep a map for it. */
            for (uint64_t q = 0; q < r; q++) {
                if (in->keys[q] == key) {
                    report->duplicate_first = q;
                    break;
                }
            }
            report->duplicate_second = r;
            return GTAB_E_DUPLICATE;
        }
        slots[i].key = key;
        slots[i].desc_offset = in->desc_offsets[r];
        slots[i].desc_length = in->desc_lengths[r];
        slots[i].control = control;
        entries++;
    }
    h.entry_count = entries;
    memcpy(out, &h, sizeof h);
    uint64_t body = gtab_checksum(out + GTAB_HEADER_SIZE, size - GTAB_HEADER_SIZE);
    memcpy(out + offsetof(struct gtab_header, body_checksum), &body, sizeof body);
    uint64_t hc = gtab_checksum(out, offsetof(struct gtab_header, header_checksum));
    memcpy(out + offsetof(struct gtab_header, header_checksum), &hc, sizeof hc);
    report->entries = entries;
    report->file_size = size;
    return GTAB_OK;
}
