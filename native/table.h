/*
 * gtab: the compiled control table of gate.
 *
 * One read-only file, looked up without allocating. A reader either maps it shared and
 * read-only (gtab_map_file: constant-time open, pages shared between processes through the
 * page cache; only for a file the reader owns and nobody rewrites in place, because
 * truncating a mapped file faults the reader) or reads it into private memory (gtab_open_file:
 * any file, at the cost of a copy).
 *
 *   [header, GTAB_HEADER_SIZE bytes]
 *   [controls: control_count x struct gtab_control]
 *   [string pool: strings_size bytes]
 *   [padding to 64 bytes]
 *   [slots: slot_count x struct gtab_slot]     (open addressing, linear probing)
 *
 * Every integer is little-endian (table.c refuses to compile for a big-endian host).
 * The header carries its own checksum, so a damaged header is refused in constant time;
 * the body checksum is checked by gtab_verify(), which reads the whole table once.
 *
 * Nothing in a file is trusted: gtab_attach() checks every count and offset of the header
 * against the file size, and each lookup checks the slot it returns (description inside the
 * pool, control index inside the control array), so no byte string can make the reader
 * touch memory outside the table's bytes. native/fuzz_table.c holds the reader to that under
 * AddressSanitizer and UndefinedBehaviorSanitizer.
 */
#ifndef GTAB_TABLE_H
#define GTAB_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define GTAB_ABI_VERSION 3 /* 3: gtab_map_file maps an owned read-only file */
#define GTAB_FORMAT_VERSION 1
#define GTAB_HEADER_SIZE 144
#define GTAB_SLOT_SIZE 16
#define GTAB_CONTROL_SIZE 24
#define GTAB_MAX_ENTRIES 1000000000
#define GTAB_MAX_KEY 99999999999999ULL
#define GTAB_EMPTY_KEY 0xFFFFFFFFFFFFFFFFULL
#define GTAB_NO_CONTROL 0xFFFF
#define GTAB_MAX_CONTROLS 65535
#define GTAB_MAX_STRING 65535
#define GTAB_REGISTRY_SIZE 256
#define GTAB_TAG_SHIFT 48

/* Status codes: 0 is success, everything else is a named failure. */
#define GTAB_OK 0
#define GTAB_NOT_FOUND 1
#define GTAB_E_EMPTY -1
#define GTAB_E_TRUNCATED -2
#define GTAB_E_MAGIC -3
#define GTAB_E_VERSION -4
#define GTAB_E_HEADER_CHECKSUM -5
#define GTAB_E_CHECKSUM -6
#define GTAB_E_BOUNDS -7
#define GTAB_E_CORRUPT -8
#define GTAB_E_IO -9
#define GTAB_E_NOMEM -10
#define GTAB_E_ARGUMENT -11
#define GTAB_E_DUPLICATE -12
#define GTAB_E_TOO_BIG -13
#define GTAB_E_SIZE -14
#define GTAB_E_WRITABLE -15

/* A lookup outcome per key in a batch (gtab_lookup_batch, gtab_lookup_lines). */
#define GTAB_SLOT_NOT_FOUND -1
#define GTAB_SLOT_INVALID -2
#define GTAB_SLOT_CORRUPT -3

struct gtab_header {
    uint8_t magic[8];
    uint32_t format_version;
    uint32_t header_size;
    uint64_t file_size;
    uint64_t entry_count;
    uint64_t slot_count;
    uint64_t control_count;
    uint64_t controls_offset;
    uint64_t strings_offset;
    uint64_t strings_size;
    uint64_t slots_offset;
    int64_t build_time;
    uint8_t source_digest[32];
    uint64_t body_checksum;
    uint64_t reserved;
    uint64_t header_checksum; /* over the bytes before this field */
};

/* One catalogue entry. key == GTAB_EMPTY_KEY marks a free slot. */
struct gtab_slot {
    uint64_t key;
    uint32_t desc_offset;
    uint16_t desc_length;
    uint16_t control; /* index into the controls, or GTAB_NO_CONTROL: catalogued, not listed */
};

/* One control-list code; strings are (offset, length) into the pool. */
struct gtab_control {
    uint32_t code_offset;
    uint32_t title_offset;
    uint32_t flags_offset;
    uint16_t code_length;
    uint16_t title_length;
    uint16_t flags_length;
    uint8_t category;
    uint8_t reserved0;
    uint32_t reserved1;
};

/* An attached table: a view over bytes it does not own (a caller's buffer), or over the
   private copy gtab_open_file made or the file mapping gtab_map_file made (then mapped is 1
   and gtab_close unmaps it). */
struct gtab_table {
    const uint8_t *base;
    uint64_t size;
    const struct gtab_header *header;
    const struct gtab_slot *slots;
    const struct gtab_control *controls;
    const uint8_t *strings;
    uint64_t slot_count;
    uint64_t control_count;
    uint64_t strings_size;
    int mapped; /* 1 when base is gtab_open_file's copy or gtab_map_file's mapping */
};

/* What gtab_lookup writes for a found key. */
struct gtab_entry {
    int64_t slot;
    uint64_t key;
    uint32_t desc_offset;
    uint16_t desc_length;
    uint16_t control;
};

/* What gtab_control_info writes. */
struct gtab_control_info {
    uint32_t code_offset;
    uint32_t title_offset;
    uint32_t flags_offset;
    uint16_t code_length;
    uint16_t title_length;
    uint16_t flags_length;
    uint8_t category;
};

/* The builder's input: parallel arrays of n rows and a string pool built by the caller. */
struct gtab_build_input {
    uint64_t n_rows;
    const uint64_t *keys;
    const uint32_t *desc_offsets;
    const uint16_t *desc_lengths;
    const uint16_t *controls;
    uint64_t n_controls;
    const struct gtab_control *control_table;
    const uint8_t *strings;
    uint64_t strings_size;
    int64_t build_time;
    const uint8_t *source_digest; /* 32 bytes */
};

/* What the builder reports back. */
struct gtab_build_report {
    uint64_t entries;
    uint64_t skipped_duplicates; /* same key, same control: kept once */
    uint64_t duplicate_first;    /* on GTAB_E_DUPLICATE: the rows holding the same key */
    uint64_t duplicate_second;
    uint64_t file_size;
};

int gtab_abi_version(void);
uint64_t gtab_checksum(const uint8_t *data, uint64_t size);

int gtab_attach(const uint8_t *data, uint64_t size, struct gtab_table *out);
int gtab_open_file(const char *path, struct gtab_table **out);
int gtab_map_file(const char *path, struct gtab_table **out);
void gtab_close(struct gtab_table *table);
int gtab_verify(const struct gtab_table *table);

int gtab_lookup(const struct gtab_table *table, uint64_t key, struct gtab_entry *out);
int32_t gtab_control_of(const struct gtab_table *table, uint64_t key);
int32_t gtab_control_of_tagged(uint64_t tagged);
uint64_t gtab_tag(const struct gtab_table *table);
int gtab_lookup_batch(const struct gtab_table *table, const uint64_t *keys, size_t n,
                      int64_t *out_slots);
int gtab_lookup_lines(const struct gtab_table *table, const char *text, size_t length,
                      int64_t *out_slots, uint64_t *out_keys, size_t max_lines,
                      size_t *out_count);
int gtab_slot_controls(const struct gtab_table *table, const int64_t *slots, size_t n,
                        int32_t *out_controls);
int gtab_slot_entry(const struct gtab_table *table, int64_t slot, struct gtab_entry *out);
int gtab_control_info(const struct gtab_table *table, uint64_t index,
                      struct gtab_control_info *out);

uint64_t gtab_build_size(uint64_t n_rows, uint64_t n_controls, uint64_t strings_size);
int gtab_build(const struct gtab_build_input *in, uint8_t *out, uint64_t out_size,
               struct gtab_build_report *report);

#endif
