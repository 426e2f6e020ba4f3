/*
 * listheap_check, listheap_walk, listheap_get_stats: the read-only views of the heap.
 * Each is O(blocks + classes) and never writes to the heap; the check is written to survive a
 * corrupted heap (every pointer is bounds-checked before it is followed, every walk is bounded).
 */
#include <stdint.h>

#include "block.h"

#define heap listheap_heap_

/* ---------------------------------------------------------------- helpers */

static unsigned top_bit32(uint32_t x) { /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return 31u - (unsigned)__builtin_clz(x);
#else
    unsigned n = 0;
    while (x >>= 1)
        n++;
    return n;
#endif
}

static int class_listed(unsigned c) {
    return (heap.bitmap[c / 32u] >> (c % 32u)) & 1u;
}

static const struct region *region_of(const unsigned char *block) {
    for (unsigned i = 0; i < heap.region_count; i++)
        if (region_contains(&heap.regions[i], block))
            return &heap.regions[i];
    return NULL;
}

/* A listed node is a plausible free block: inside a region, aligned, free, tag matches. */
static int node_is_free_block(const struct free_block *fb) {
    unsigned char *block = (unsigned char *)(uintptr_t)fb;
    const struct region *r = region_of(block);
    if (!r || ((uintptr_t)block + WORD) % ALIGN)
        return 0;
    size_t s = block_size(block);
    if (block_is_used(block) || s < MIN_BLOCK || s > (size_t)(r->end - block))
        return 0;
    return *(size_t *)(void *)(block + s - WORD) == s;
}

/* ---------------------------------------------------------------- the check */

struct tally {
    size_t total, used, free_bytes, free_blocks, live_blocks;
};

static int check_bitmap(void) {
    for (unsigned c = 0; c < CLASS_COUNT; c++)
        if (class_listed(c) != (heap.lists[c] != NULL))
            return LISTHEAP_E_BAD_BITMAP;
    for (unsigned w = 0; w < BITMAP_WORDS; w++) {
        unsigned want = heap.bitmap[w] != 0;
        if (((heap.summary >> w) & 1u) != want)
            return LISTHEAP_E_BAD_BITMAP;
    }
    if (BITMAP_WORDS < 32 && (heap.summary >> BITMAP_WORDS) != 0)
        return LISTHEAP_E_BAD_BITMAP;
    for (unsigned c = CLASS_COUNT; c < BITMAP_WORDS * 32u; c++)
        if (class_listed(c))
            return LISTHEAP_E_BAD_BITMAP; /* a bit beyond the last class */
    return LISTHEAP_OK;
}

static int check_block(const struct region *r, unsigned char *block, int prev_free) {
    size_t s = block_size(block);
    if (s < MIN_BLOCK || s % ALIGN || s > (size_t)(r->end - block))
        return LISTHEAP_E_BAD_SIZE;
    if (block_prev_is_free(block) != prev_free)
        return LISTHEAP_E_BAD_PREV_FLAG;
    if (block_is_used(block))
        return LISTHEAP_OK;
    if (prev_free)
        return LISTHEAP_E_UNCOALESCED;
    if (*(size_t *)(void *)(block + s - WORD) != s)
        return LISTHEAP_E_BAD_TAG;
    return LISTHEAP_OK;
}

static int check_region(const struct region *r, struct tally *t) {
    unsigned char *block = r->first;
    int prev_free = 0;
    while (block != r->end) {
        int status = check_block(r, block, prev_free);
        if (status != LISTHEAP_OK)
            return status;
        size_t s = block_size(block);
        t->total += s;
        if (block_is_used(block)) {
            t->used += s;
            t->live_blocks++;
        } else {
            t->free_bytes += s;
            t->free_blocks++;
        }
        prev_free = !block_is_used(block);
        block += s;
    }
    if ((*header_of(block) & ~FLAG_PREV_FREE) != FLAG_USED)
        return LISTHEAP_E_BAD_SENTINEL;
    if (block_prev_is_free(block) != prev_free)
        return LISTHEAP_E_BAD_PREV_FLAG;
    return LISTHEAP_OK;
}

/* Walk list c, at most `budget` nodes; adds to *count and *bytes. */
static int check_list(unsigned c, size_t budget, size_t *count, size_t *bytes) {
    const struct free_block *prev = NULL;
    for (const struct free_block *fb = heap.lists[c]; fb; fb = fb->next) {
        if (*count >= budget)
            return LISTHEAP_E_BAD_COUNT; /* more listed than exist: a cycle or a stray node */
        if (!node_is_free_block(fb) || fb->prev != prev)
            return LISTHEAP_E_BAD_LINK;
        size_t s = block_size((unsigned char *)(uintptr_t)fb);
        if (listheap_class_of_(s) != c)
            return LISTHEAP_E_BAD_CLASS;
        ++*count;
        *bytes += s;
        prev = fb;
    }
    return LISTHEAP_OK;
}

static int check_locked(void) {
    int status = check_bitmap();
    if (status != LISTHEAP_OK)
        return status;
    struct tally t = {0};
    for (unsigned i = 0; i < heap.region_count; i++) {
        status = check_region(&heap.regions[i], &t);
        if (status != LISTHEAP_OK)
            return status;
    }
    size_t listed = 0, listed_bytes = 0;
    for (unsigned c = 0; c < CLASS_COUNT; c++) {
        status = check_list(c, t.free_blocks, &listed, &listed_bytes);
        if (status != LISTHEAP_OK)
            return status;
    }
    if (listed != t.free_blocks || listed_bytes != t.free_bytes)
        return LISTHEAP_E_BAD_COUNT;
    if (t.total != heap.total_bytes || t.used != heap.used_bytes ||
        t.free_blocks != heap.free_blocks || t.live_blocks != heap.live_blocks)
        return LISTHEAP_E_BAD_TOTALS;
    return LISTHEAP_OK;
}

int listheap_check(void) {
    lock_key key = lock_acquire();
    int status = check_locked();
    lock_release(key);
    return status;
}

/* ---------------------------------------------------------------- walk and statistics */

void listheap_walk(listheap_visitor visit, void *ctx) {
    lock_key key = lock_acquire();
    for (unsigned i = 0; i < heap.region_count; i++) {
        const struct region *r = &heap.regions[i];
        for (unsigned char *block = r->first; block < r->end; block = block_next(block)) {
            size_t s = block_size(block);
            if (s < MIN_BLOCK || s > (size_t)(r->end - block))
                break; /* corrupted: listheap_check() names it; do not run off the region */
            visit(ctx, payload_of(block), s - WORD, block_is_used(block));
        }
    }
    lock_release(key);
}

/* The head of the highest non-empty class is what malloc guarantees (see find_free). */
static size_t largest_guaranteed_request(void) {
    if (!heap.summary)
        return 0;
    unsigned w = top_bit32(heap.summary);
    unsigned c = w * 32u + top_bit32(heap.bitmap[w]);
    return block_size((unsigned char *)heap.lists[c]) - WORD;
}

void listheap_get_stats(struct listheap_stats *stats) {
    lock_key key = lock_acquire();
    stats->total_bytes = heap.total_bytes;
    stats->used_bytes = heap.used_bytes;
    stats->free_bytes = heap.total_bytes - heap.used_bytes;
    stats->peak_used_bytes = heap.peak_used_bytes;
    stats->largest_free_block = largest_guaranteed_request();
    stats->free_blocks = heap.free_blocks;
    stats->live_blocks = heap.live_blocks;
    stats->allocations = heap.allocations;
    stats->frees = heap.frees;
    stats->failures = heap.failures;
    stats->faults = heap.faults;
    stats->regions = heap.region_count;
    lock_release(key);
}
