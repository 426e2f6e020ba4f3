/*
 * Shadow model of the live blocks of listheap, for differential tests.
 *
 * The shadow remembers every block the test holds: pointer, requested size, how many bytes it
 * patterned and the seed of that pattern. Every function checks what the allocator promises in
 * listheap.h (alignment, containment in a region, no overlap, usable size, preserved contents,
 * statistics, the block walk) and returns 0, or -1 with a description in sh->msg. The caller
 * turns a -1 into a test failure, adding its own context (seed, step, operation).
 *
 * Only needs listheap.h and the C library, so it builds with any test framework.
 */
#ifndef LISTHEAP_TEST_SHADOW_H
#define LISTHEAP_TEST_SHADOW_H

#include <stddef.h>
#include <stdint.h>

#include "listheap.h"

/* Bytes a block needs besides the request (listheap.h, config.h): the header; in the checked
 * build (LISTHEAP_DEBUG) also at least 4 canary bytes and a two-word trailer. There,
 * listheap_usable_size() returns exactly the request, so block sizes are not derived from it. */
#if LISTHEAP_DEBUG
#define SHADOW_EXTRA (sizeof(size_t) + 4u + 2u * sizeof(size_t))
#else
#define SHADOW_EXTRA sizeof(size_t)
#endif

#define SHADOW_MAX_ENTRIES 4096
#define SHADOW_MAX_REGIONS 16

struct shadow_entry {
    unsigned char *ptr;
    size_t size;  /* bytes requested */
    size_t fill;  /* bytes patterned: listheap_usable_size(ptr) when it was (re)filled */
    size_t align; /* alignment requested (>= 1) */
    uint32_t seed; /* seed of the fill pattern */
};

struct shadow_region {
    unsigned char *start; /* as given to listheap_init / listheap_add_region */
    size_t size;
};

struct shadow_slot {
    uintptr_t addr;
    size_t index;
    size_t walk_size;
    int seen;
};

struct shadow {
    struct shadow_entry e[SHADOW_MAX_ENTRIES];
    size_t count;
    struct shadow_region regions[SHADOW_MAX_REGIONS];
    size_t region_count;
    size_t total_bytes; /* stats.total_bytes seen first after the regions were set; 0: unknown */
    uint32_t next_seed;
    struct shadow_slot scratch[SHADOW_MAX_ENTRIES]; /* for shadow_check_walk */
    char msg[512];
};

/* Empty shadow: no entries, no regions. */
void shadow_init(struct shadow *sh, uint32_t seed);
/* Replace the region list (the raw start/size given to the heap). Forgets the total. */
int shadow_set_regions(struct shadow *sh, const struct shadow_region *regions, size_t n);
/* Append one region (after a successful listheap_add_region). Forgets the total. */
int shadow_add_region(struct shadow *sh, void *start, size_t size);

/* Register a block just returned by the allocator for `size` bytes with alignment `align`
 * (1 for malloc/calloc/realloc). Checks p != NULL, p aligned to max(8, align), the usable
 * bytes lie inside one region and overlap no other live entry, usable_size(p) >= size; then
 * fills every usable byte with the entry's pattern. Returns the new index, or -1. */
int shadow_add(struct shadow *sh, void *p, size_t size, size_t align);
/* Index of the entry at p, or -1. O(n). */
int shadow_find(const struct shadow *sh, const void *p);
/* Check that the entry's pattern is intact. */
int shadow_verify(struct shadow *sh, size_t index);
/* Check every entry's pattern. */
int shadow_verify_all(struct shadow *sh);
/* Forget an entry (after listheap_free). The last entry moves into its slot. */
void shadow_remove(struct shadow *sh, size_t index);
/* After a successful realloc of entry `index` to (newp, newsize): the first
 * min(old size, newsize) bytes at newp must still hold the old pattern; newp must satisfy what
 * shadow_add checks (alignment 8); then the entry is refilled with a fresh pattern. */
int shadow_resize(struct shadow *sh, size_t index, void *newp, size_t newsize);
/* Check that n bytes at p read zero (calloc). */
int shadow_expect_zero(struct shadow *sh, const void *p, size_t n);

/* Compare listheap_get_stats() with the shadow: live_blocks == entries,
 * used + free == total, used == sum(usable + header) >= sum(requested), peak >= used,
 * allocations - frees == live, regions, free-block sanity, largest_free_block bounds, the
 * total unchanged since the regions were set. */
int shadow_check_stats(struct shadow *sh);
/* Walk the heap (listheap_walk) and check: blocks tile each region in address order, every
 * region visited once, used blocks are exactly the entries with usable size == walk size, no
 * two free blocks are adjacent, counts and byte sums match the stats. O(n log n). */
int shadow_check_walk(struct shadow *sh);

/* First statistics field where `a` differs from `b` once b's failures and faults are reduced by
 * the given deltas ("failures", "used_bytes", ...); NULL if none. */
const char *shadow_stats_diff(const struct listheap_stats *a, const struct listheap_stats *b,
                              size_t dfail, size_t dfault);

/* 1 if the heap walk shows a free block whose payload starts at p (a freed block that was
 * not merged into the free block before it: its own header says free). */
int shadow_is_free_block(const void *p);

#endif /* LISTHEAP_TEST_SHADOW_H */
