/*
 * listheap_check, listheap_walk, listheap_get_stats: the read-only views of the heap.
 * Each is O(blocks + classes) and never writes to the heap; the check is written to survive a
 * corrupted heap (every pointer is bounds-checked before it is followed, every walk is bounded).
 */
#include <stdint.h>
#include <string.h>

#include "block.h"

#define heap listheap_heap_

/* ---------------------------------------------------------------- helpers */

static int class_listed(unsigned c) {
    return (heap.bitmap[c / 32u] >> (c % 32u)) & 1u;
}


/* ---------------------------------------------------------------- the check */

static int check_bitmap(void) {
    for (unsigned c = 0; c < CLASS_COUNT; c++)
        if (class_listed(c) != (list_head(c) != NULL))
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

/* Checked build: the canary of a used block, the poison of a free one. */
static int check_debug_bytes(unsigned char *block) {
#if LISTHEAP_DEBUG
    if (block_is_used(block)) {
        size_t n = trailer_of(block)[0];
        if (n > block_size(block) - EXTRA_BYTES ||
            first_mismatch(block + WORD + n, (unsigned char *)trailer_of(block), CANARY_BYTE))
            return LISTHEAP_E_CANARY;
    } else if (first_mismatch(poison_start(block), poison_end(block), POISON_BYTE)) {
        return LISTHEAP_E_POISON;
    }
#else
    (void)block;
#endif
    return LISTHEAP_OK;
}

static int check_block(const struct region *r, unsigned char *block, int prev_free) {
    size_t s = block_size(block);
    if (s < MIN_BLOCK || s % ALIGN || s > (size_t)(r->end - block))
        return LISTHEAP_E_BAD_SIZE;
    if (block_prev_is_free(block) != prev_free)
        return LISTHEAP_E_BAD_PREV_FLAG;
    if (!block_is_used(block)) {
        if (prev_free)
            return LISTHEAP_E_UNCOALESCED;
        if (*(size_t *)(void *)(block + s - WORD) != s)
            return LISTHEAP_E_BAD_TAG;
    }
    return LISTHEAP_OK;
}

/* The check is one state machine, run to completion by listheap_check() and in bounded steps
 * by listheap_check_step(). Phases: start (bitmap), walk the regions block by block, walk the
 * free lists node by node, compare the tallies with the counters, and in the checked build
 * walk the blocks once more for canaries and poison: the structure is judged first, so a
 * broken structure is named as such even when it also broke a canary or the poison. */
enum { PHASE_START, PHASE_BLOCKS, PHASE_LISTS, PHASE_BYTES };

static void start_pass(struct listheap_check_cursor *c) {
    memset(c, 0, sizeof *c);
    c->generation = heap_generation(&heap);
    c->phase = PHASE_BLOCKS;
    c->at = heap.region_count ? heap.regions[0].first : NULL;
}

/* The first node of the list walk: list 0's head. */
static void start_lists(struct listheap_check_cursor *c) {
    c->phase = PHASE_LISTS;
    c->index = 0;
    c->at = list_head(0);
}

static void tally_block(struct listheap_check_cursor *c, unsigned char *block) {
    size_t s = block_size(block);
    c->total += s;
    if (block_is_used(block)) {
        c->used += s;
        c->live_blocks++;
    } else {
        c->free_bytes += s;
        c->free_blocks++;
    }
    c->prev_free = !block_is_used(block);
}

/* One block of the region walk, or the step to the next region at an end marker. */
static int step_block(struct listheap_check_cursor *c) {
    const struct region *r = &heap.regions[c->index];
    unsigned char *block = c->at;
    if (block != r->end) {
        int status = check_block(r, block, c->prev_free);
        if (status == LISTHEAP_OK) {
            tally_block(c, block);
            c->at = block + block_size(block);
        }
        return status;
    }
    if ((*header_of(block) & ~FLAG_PREV_FREE) != FLAG_USED)
        return LISTHEAP_E_BAD_SENTINEL;
    if (block_prev_is_free(block) != c->prev_free)
        return LISTHEAP_E_BAD_PREV_FLAG;
    c->prev_free = 0;
    if (++c->index < heap.region_count) {
        c->at = heap.regions[c->index].first;
    } else {
        start_lists(c);
    }
    return LISTHEAP_OK;
}

/* One node of the list walk, or the step to the next class at a list's end. */
static int step_node(struct listheap_check_cursor *c) {
    const struct free_block *fb = c->at;
    if (!fb) { /* on to the next non-empty class (at most CLASS_COUNT reads) */
        c->prev_node = NULL;
        while (++c->index < CLASS_COUNT && !list_head(c->index))
            ;
        if (c->index < CLASS_COUNT)
            c->at = list_head(c->index);
        return LISTHEAP_OK;
    }
    if (c->listed >= c->free_blocks)
        return LISTHEAP_E_BAD_COUNT; /* more listed than exist: a cycle or a stray node */
    size_t s = listed_block_size(fb);
    if (!s || prev_of(fb) != c->prev_node)
        return LISTHEAP_E_BAD_LINK;
    if (class_of(s) != c->index)
        return LISTHEAP_E_BAD_CLASS;
    c->listed++;
    c->listed_bytes += s;
    c->prev_node = (void *)(uintptr_t)fb;
    c->at = next_of(fb); /* validated by the next step, before it is read */
    return LISTHEAP_OK;
}

static int finish_pass(const struct listheap_check_cursor *c) {
    if (c->listed != c->free_blocks || c->listed_bytes != c->free_bytes)
        return LISTHEAP_E_BAD_COUNT;
    if (c->total != heap.total_bytes || c->used != heap.used_bytes ||
        c->free_blocks != heap.free_blocks || c->live_blocks != live_blocks(&heap))
        return LISTHEAP_E_BAD_TOTALS;
    return LISTHEAP_OK;
}

/* Checked build: one block of the canary/poison walk. The structure was good when it was
 * walked, but listheap_check_step() may run this phase calls later, after the application
 * wrote to the heap: every size is checked again before it is followed. */
static int step_bytes(struct listheap_check_cursor *c) {
    const struct region *r = &heap.regions[c->index];
    unsigned char *block = c->at;
    if (block == r->end) {
        if (++c->index < heap.region_count)
            c->at = heap.regions[c->index].first;
        return LISTHEAP_OK;
    }
    c->at = walk_next(r, block);
    if (!c->at)
        return LISTHEAP_E_BAD_SIZE;
    return check_debug_bytes(block);
}

enum { STEP_MORE = 0, STEP_DONE = 2 }; /* besides LISTHEAP_E_* findings */

/* The lists are walked: compare the totals; then the bytes phase (checked build) or done. */
static int lists_done(struct listheap_check_cursor *c) {
    int status = finish_pass(c);
    if (status != LISTHEAP_OK)
        return status;
#if LISTHEAP_DEBUG
    c->phase = PHASE_BYTES;
    c->index = 0;
    c->at = heap.region_count ? heap.regions[0].first : NULL;
    return STEP_MORE;
#else
    return STEP_DONE;
#endif
}

/* One unit of work of the current phase. */
static int step_one(struct listheap_check_cursor *c) {
    switch (c->phase) {
    case PHASE_BLOCKS:
        if (c->index < heap.region_count)
            return step_block(c);
        start_lists(c); /* no regions at all */
        return STEP_MORE;
    case PHASE_LISTS:
        return c->index < CLASS_COUNT ? step_node(c) : lists_done(c);
    default:
        return c->index < heap.region_count ? step_bytes(c) : STEP_DONE;
    }
}

/* Advance by at most `budget` blocks or nodes: LISTHEAP_CHECK_IN_PROGRESS, LISTHEAP_OK at the
 * end of a pass, or a finding (which also resets the cursor). */
static int step_locked(struct listheap_check_cursor *c, size_t budget) {
    if (c->phase != PHASE_START && c->generation != heap_generation(&heap))
        c->phase = PHASE_START; /* the heap changed under the pass: start over */
    if (c->phase == PHASE_START) {
        int status = check_bitmap();
        if (status != LISTHEAP_OK)
            return status;
        start_pass(c);
    }
    for (; budget > 0; budget--) {
        int status = step_one(c);
        if (status == STEP_MORE)
            continue;
        c->phase = PHASE_START;
        return status == STEP_DONE ? LISTHEAP_OK : status;
    }
    return LISTHEAP_CHECK_IN_PROGRESS;
}

int listheap_check(void) {
    struct listheap_check_cursor c = {0};
    lock_key key = lock_acquire();
    int status = step_locked(&c, SIZE_MAX);
    lock_release(key);
    return status;
}

int listheap_check_step(struct listheap_check_cursor *cursor, size_t max_blocks) {
    lock_key key = lock_acquire();
    int status = step_locked(cursor, max_blocks);
    lock_release(key);
    return status;
}

/* ---------------------------------------------------------------- walk and statistics */

void listheap_walk(listheap_visitor visit, void *ctx) {
    lock_key key = lock_acquire();
    for (unsigned i = 0; i < heap.region_count; i++) {
        const struct region *r = &heap.regions[i];
        /* a corrupted size ends the region's walk: listheap_check() names it */
        for (unsigned char *block = r->first, *next; block < r->end; block = next) {
            if (!(next = walk_next(r, block)))
                break;
            visit(ctx, payload_of(block), block_size(block) - WORD, block_is_used(block));
        }
    }
    lock_release(key);
}

/* The head of the highest non-empty class is what malloc guarantees (see find_class); 0 when
 * that head is damaged (malloc would refuse it). */
static size_t largest_guaranteed_request(void) {
    if (!heap.summary)
        return 0;
    unsigned w = highest_bit(heap.summary);
    unsigned c = w * 32u + highest_bit(heap.bitmap[w]);
    size_t s = c < CLASS_COUNT ? listed_block_size(list_head(c)) : 0;
    return s >= EXTRA_BYTES ? s - EXTRA_BYTES : 0;
}

void listheap_get_stats(struct listheap_stats *stats) {
    lock_key key = lock_acquire();
    stats->total_bytes = heap.total_bytes;
    stats->used_bytes = heap.used_bytes;
    stats->free_bytes = heap.total_bytes - heap.used_bytes;
    stats->peak_used_bytes = heap.peak_used_bytes;
    stats->largest_free_block = largest_guaranteed_request();
    stats->free_blocks = heap.free_blocks;
    stats->live_blocks = live_blocks(&heap);
    stats->allocations = heap.allocations;
    stats->frees = heap.frees;
    stats->failures = heap.failures;
    stats->faults = heap.faults;
    stats->regions = heap.region_count;
    lock_release(key);
}

/* ---------------------------------------------------------------- leak report */

static const void *caller_of(unsigned char *block) {
#if LISTHEAP_DEBUG
    return (const void *)(uintptr_t)trailer_of(block)[1];
#else
    (void)block;
    return NULL;
#endif
}

/* The leak report's walks: region by region, block by block, each stopping at a corrupted size
 * (walk_next) so that no trailer is read outside the region. */
#define FOR_EACH_SANE_BLOCK(r, b, from, next)                                                   \
    for (unsigned char *b = (from), *next; b < (r)->end && (next = walk_next((r), b)) != NULL;  \
         b = next)

/* Has a live block before `limit` (in walk order) the same caller? Then its group is done. */
static int caller_seen_before(const void *caller, const unsigned char *limit) {
    for (unsigned i = 0; i < heap.region_count; i++) {
        const struct region *r = &heap.regions[i];
        FOR_EACH_SANE_BLOCK(r, b, r->first, next) {
            if (b == limit)
                return 0;
            if (block_is_used(b) && caller_of(b) == caller)
                return 1;
        }
    }
    return 0;
}

/* Live blocks and payload bytes from `caller`, from `from` (in walk order) on. */
static void count_caller(const void *caller, unsigned region, unsigned char *from, size_t *blocks,
                         size_t *bytes) {
    for (unsigned i = region; i < heap.region_count; i++) {
        const struct region *r = &heap.regions[i];
        FOR_EACH_SANE_BLOCK(r, b, i == region ? from : r->first, next) {
            if (block_is_used(b) && caller_of(b) == caller) {
                ++*blocks;
                *bytes += payload_bytes(b);
            }
        }
    }
}

void listheap_report_leaks(listheap_leak_visitor visit, void *ctx) {
    lock_key key = lock_acquire();
    for (unsigned i = 0; i < heap.region_count; i++) {
        const struct region *r = &heap.regions[i];
        FOR_EACH_SANE_BLOCK(r, b, r->first, next) {
            if (!block_is_used(b) || caller_seen_before(caller_of(b), b))
                continue;
            size_t blocks = 0, bytes = 0;
            count_caller(caller_of(b), i, b, &blocks, &bytes);
            visit(ctx, caller_of(b), blocks, bytes);
        }
    }
    lock_release(key);
}
