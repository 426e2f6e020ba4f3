/*
 * Shadow model of listheap's live blocks: see shadow.h.
 */
#include "shadow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W ((size_t)sizeof(size_t))

static int fail(struct shadow *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct shadow *sh, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->msg, sizeof sh->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- fill pattern: a byte LCG started from the entry's seed ---- */

static unsigned char pattern_next(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return (unsigned char)(*state >> 24);
}

static void pattern_fill(unsigned char *p, size_t n, uint32_t seed) {
    uint32_t state = seed;
    for (size_t i = 0; i < n; i++) {
        p[i] = pattern_next(&state);
    }
}

/* Index of the first byte that differs from the pattern, or n. */
static size_t pattern_mismatch(const unsigned char *p, size_t n, uint32_t seed,
                               unsigned char *expected) {
    uint32_t state = seed;
    for (size_t i = 0; i < n; i++) {
        unsigned char want = pattern_next(&state);
        if (p[i] != want) {
            *expected = want;
            return i;
        }
    }
    return n;
}

static uint32_t new_seed(struct shadow *sh) {
    /* Weyl sequence through a 32-bit mixer: distinct, well spread seeds. */
    uint32_t x = (sh->next_seed += 0x9E3779B9u);
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return x;
}

/* ---- setup ---- */

void shadow_init(struct shadow *sh, uint32_t seed) {
    sh->count = 0;
    sh->region_count = 0;
    sh->total_bytes = 0;
    sh->next_seed = seed;
    sh->msg[0] = '\0';
}

int shadow_set_regions(struct shadow *sh, const struct shadow_region *regions, size_t n) {
    if (n > SHADOW_MAX_REGIONS) {
        return fail(sh, "shadow: %zu regions, at most %d", n, SHADOW_MAX_REGIONS);
    }
    for (size_t i = 0; i < n; i++) {
        sh->regions[i] = regions[i];
    }
    sh->region_count = n;
    sh->total_bytes = 0;
    return 0;
}

int shadow_add_region(struct shadow *sh, void *start, size_t size) {
    if (sh->region_count >= SHADOW_MAX_REGIONS) {
        return fail(sh, "shadow: region table full");
    }
    sh->regions[sh->region_count].start = start;
    sh->regions[sh->region_count].size = size;
    sh->region_count++;
    sh->total_bytes = 0;
    return 0;
}

/* Region holding [lo, hi) (raw bounds), or -1. */
static int region_of(const struct shadow *sh, uintptr_t lo, uintptr_t hi) {
    for (size_t i = 0; i < sh->region_count; i++) {
        uintptr_t start = (uintptr_t)sh->regions[i].start;
        uintptr_t end = start + sh->regions[i].size;
        if (lo >= start && hi <= end && lo <= hi) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- placement checks shared by add and resize ---- */

/* Checks a fresh block at p (skipping entry `skip` in the overlap test); stores its usable
 * size in *usable_out. */
static int check_placement(struct shadow *sh, const void *p, size_t size, size_t align,
                           size_t skip, size_t *usable_out) {
    uintptr_t a = (uintptr_t)p;
    size_t need_align = align > LISTHEAP_ALIGNMENT ? align : LISTHEAP_ALIGNMENT;
    if (p == NULL) {
        return fail(sh, "allocator returned NULL where a block was expected (size %zu)", size);
    }
    if ((a & (need_align - 1)) != 0) {
        return fail(sh, "pointer %p not aligned to %zu (size %zu, align %zu)", p, need_align,
                    size, align);
    }
    size_t usable = listheap_usable_size(p);
    if (usable < size) {
        return fail(sh, "usable_size(%p) = %zu < requested %zu", p, usable, size);
    }
#if LISTHEAP_DEBUG
    if (usable != size) {
        return fail(sh, "checked build: usable_size(%p) = %zu, not the %zu requested", p, usable,
                    size);
    }
#else
    if (usable + W < LISTHEAP_MIN_BLOCK || (usable + W) % LISTHEAP_ALIGNMENT != 0) {
        return fail(sh, "usable_size(%p) = %zu: block of %zu bytes is not a multiple of 8 >= %zu",
                    p, usable, usable + W, (size_t)LISTHEAP_MIN_BLOCK);
    }
#endif
    /* Header before, payload, and at least the next header or the end marker after. */
    uintptr_t lo = a - W;
    uintptr_t hi = a + usable + W;
    if (hi < a || region_of(sh, lo, hi) < 0) {
        return fail(sh, "block %p (usable %zu) is not inside one region with room for its "
                        "header and a successor",
                    p, usable);
    }
    for (size_t i = 0; i < sh->count; i++) {
        if (i == skip) {
            continue;
        }
        uintptr_t olo = (uintptr_t)sh->e[i].ptr - W;
        uintptr_t ohi = (uintptr_t)sh->e[i].ptr + sh->e[i].fill;
        if (lo < ohi && olo < a + usable) {
            return fail(sh, "block %p (usable %zu) overlaps live block #%zu at %p (fill %zu, "
                            "size %zu)",
                        p, usable, i, (void *)sh->e[i].ptr, sh->e[i].fill, sh->e[i].size);
        }
    }
    *usable_out = usable;
    return 0;
}

int shadow_add(struct shadow *sh, void *p, size_t size, size_t align) {
    size_t usable = 0;
    if (sh->count >= SHADOW_MAX_ENTRIES) {
        return fail(sh, "shadow full (%d entries)", SHADOW_MAX_ENTRIES);
    }
    if (check_placement(sh, p, size, align, (size_t)-1, &usable) < 0) {
        return -1;
    }
    struct shadow_entry *e = &sh->e[sh->count];
    e->ptr = p;
    e->size = size;
    e->fill = usable;
    e->align = align ? align : 1;
    e->seed = new_seed(sh);
    pattern_fill(e->ptr, e->fill, e->seed);
    sh->count++;
    return (int)(sh->count - 1);
}

int shadow_find(const struct shadow *sh, const void *p) {
    for (size_t i = 0; i < sh->count; i++) {
        if (sh->e[i].ptr == p) {
            return (int)i;
        }
    }
    return -1;
}

int shadow_verify(struct shadow *sh, size_t index) {
    const struct shadow_entry *e = &sh->e[index];
    unsigned char want = 0;
    size_t at = pattern_mismatch(e->ptr, e->fill, e->seed, &want);
    if (at != e->fill) {
        return fail(sh,
                    "block #%zu at %p (size %zu, usable %zu, align %zu) corrupted at offset %zu "
                    "(address %p): expected 0x%02x, found 0x%02x",
                    index, (void *)e->ptr, e->size, e->fill, e->align, at, (void *)(e->ptr + at),
                    want, e->ptr[at]);
    }
    return 0;
}

int shadow_verify_all(struct shadow *sh) {
    for (size_t i = 0; i < sh->count; i++) {
        if (shadow_verify(sh, i) < 0) {
            return -1;
        }
    }
    return 0;
}

void shadow_remove(struct shadow *sh, size_t index) {
    sh->count--;
    if (index != sh->count) {
        sh->e[index] = sh->e[sh->count];
    }
}

int shadow_resize(struct shadow *sh, size_t index, void *newp, size_t newsize) {
    struct shadow_entry *e = &sh->e[index];
    size_t usable = 0;
    if (check_placement(sh, newp, newsize, 1, index, &usable) < 0) {
        return -1;
    }
    size_t keep = e->size < newsize ? e->size : newsize;
    unsigned char want = 0;
    size_t at = pattern_mismatch(newp, keep, e->seed, &want);
    if (at != keep) {
        return fail(sh,
                    "realloc %p (size %zu) -> %p (size %zu) lost contents at offset %zu: "
                    "expected 0x%02x, found 0x%02x",
                    (void *)e->ptr, e->size, newp, newsize, at, want,
                    ((unsigned char *)newp)[at]);
    }
    e->ptr = newp;
    e->size = newsize;
    e->fill = usable;
    e->align = 1;
    e->seed = new_seed(sh);
    pattern_fill(e->ptr, e->fill, e->seed);
    return 0;
}

int shadow_expect_zero(struct shadow *sh, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != 0) {
            return fail(sh, "calloc block %p (%zu bytes) reads 0x%02x at offset %zu, not zero", p,
                        n, b[i], i);
        }
    }
    return 0;
}

/* ---- statistics ---- */

int shadow_check_stats(struct shadow *sh) {
    struct listheap_stats st;
    memset(&st, 0x5A, sizeof st);
    listheap_get_stats(&st);

    size_t requested = 0;
    size_t block_bytes = 0;
    for (size_t i = 0; i < sh->count; i++) {
        const struct shadow_entry *e = &sh->e[i];
        size_t usable = listheap_usable_size(e->ptr);
        if (usable < e->fill) {
            return fail(sh, "usable_size(%p) = %zu shrank below %zu while the block was live",
                        (void *)e->ptr, usable, e->fill);
        }
        requested += e->size;
        block_bytes += usable + W;
    }
    if (st.live_blocks != sh->count) {
        return fail(sh, "stats.live_blocks = %zu, the test holds %zu blocks", st.live_blocks,
                    sh->count);
    }
    if (st.used_bytes + st.free_bytes != st.total_bytes) {
        return fail(sh, "stats: used %zu + free %zu != total %zu", st.used_bytes, st.free_bytes,
                    st.total_bytes);
    }
    if (st.used_bytes != block_bytes && !LISTHEAP_DEBUG) {
        return fail(sh,
                    "stats.used_bytes = %zu, but the live blocks' usable sizes + headers sum to "
                    "%zu",
                    st.used_bytes, block_bytes);
    }
    if (st.used_bytes < requested) {
        return fail(sh, "stats.used_bytes = %zu < %zu bytes requested", st.used_bytes,
                    requested);
    }
    if (st.peak_used_bytes < st.used_bytes) {
        return fail(sh, "stats.peak_used_bytes = %zu < used_bytes %zu", st.peak_used_bytes,
                    st.used_bytes);
    }
    if (st.peak_used_bytes > st.total_bytes) {
        return fail(sh, "stats.peak_used_bytes = %zu > total_bytes %zu", st.peak_used_bytes,
                    st.total_bytes);
    }
    if (st.allocations - st.frees != st.live_blocks) {
        return fail(sh, "stats: allocations %zu - frees %zu != live_blocks %zu", st.allocations,
                    st.frees, st.live_blocks);
    }
    if (st.regions != sh->region_count) {
        return fail(sh, "stats.regions = %zu, the test added %zu", st.regions, sh->region_count);
    }
    if (st.total_bytes % 8 != 0 || st.used_bytes % 8 != 0 || st.free_bytes % 8 != 0) {
        return fail(sh, "stats byte counts not multiples of 8: total %zu used %zu free %zu",
                    st.total_bytes, st.used_bytes, st.free_bytes);
    }
    if ((st.free_blocks == 0) != (st.free_bytes == 0) ||
        st.free_bytes < st.free_blocks * LISTHEAP_MIN_BLOCK) {
        return fail(sh, "stats: %zu free blocks cannot hold %zu free bytes", st.free_blocks,
                    st.free_bytes);
    }
    if (st.free_blocks == 0 ? st.largest_free_block != 0
                            : st.largest_free_block + SHADOW_EXTRA > st.free_bytes) {
        return fail(sh, "stats.largest_free_block = %zu impossible with %zu free bytes in %zu "
                        "blocks",
                    st.largest_free_block, st.free_bytes, st.free_blocks);
    }
    /* Total: every region's bytes less its end marker and at most 7 + 7 bytes of trimming. */
    size_t raw = 0;
    for (size_t i = 0; i < sh->region_count; i++) {
        raw += sh->regions[i].size;
    }
    size_t overhead_max = sh->region_count * (W + 14);
    if (st.total_bytes + sh->region_count * W > raw || st.total_bytes + overhead_max < raw) {
        return fail(sh, "stats.total_bytes = %zu does not fit %zu regions of %zu raw bytes",
                    st.total_bytes, sh->region_count, raw);
    }
    if (sh->total_bytes == 0) {
        sh->total_bytes = st.total_bytes;
    } else if (st.total_bytes != sh->total_bytes) {
        return fail(sh, "stats.total_bytes changed from %zu to %zu", sh->total_bytes,
                    st.total_bytes);
    }
    return 0;
}

/* ---- walk ---- */

struct walk_ctx {
    struct shadow *sh;
    int err;
    int cur_region;
    uintptr_t expect;  /* where the next block (or the end marker) must start */
    int prev_free;
    size_t used_blocks, free_blocks, used_bytes, free_bytes, max_free;
    size_t regions_visited;
    unsigned char seen_region[SHADOW_MAX_REGIONS];
};

static int slot_cmp(const void *a, const void *b) {
    uintptr_t x = ((const struct shadow_slot *)a)->addr;
    uintptr_t y = ((const struct shadow_slot *)b)->addr;
    return x < y ? -1 : x > y;
}

static struct shadow_slot *slot_find(struct shadow *sh, uintptr_t addr) {
    size_t lo = 0, hi = sh->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sh->scratch[mid].addr < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < sh->count && sh->scratch[lo].addr == addr ? &sh->scratch[lo] : NULL;
}

/* The end of region cur_region: the end marker sits at c->expect. */
static int walk_close_region(struct walk_ctx *c) {
    struct shadow *sh = c->sh;
    const struct shadow_region *r = &sh->regions[c->cur_region];
    uintptr_t rend = (uintptr_t)r->start + r->size;
    if (c->expect + W > rend || rend - (c->expect + W) > 7) {
        return fail(sh, "walk: region %d [%p, +%zu) ends its blocks at %p: no room for the end "
                        "marker, or more than 7 bytes trimmed",
                    c->cur_region, (void *)r->start, r->size, (void *)c->expect);
    }
    return 0;
}

static void walk_visit(void *ctx, void *payload, size_t size, int used) {
    struct walk_ctx *c = ctx;
    struct shadow *sh = c->sh;
    if (c->err) {
        return;
    }
    uintptr_t p = (uintptr_t)payload;
    uintptr_t block = p - W;
    uintptr_t end = p + size;
    if (p % LISTHEAP_ALIGNMENT != 0 || (size + W) % 8 != 0 || size + W < LISTHEAP_MIN_BLOCK) {
        c->err = fail(sh, "walk: block payload %p usable %zu: misaligned or bad size", payload,
                      size);
        return;
    }
    int r = region_of(sh, block, end + W);
    if (r < 0) {
        c->err = fail(sh, "walk: block payload %p usable %zu lies in no region", payload, size);
        return;
    }
    if (r != c->cur_region) {
        if (c->cur_region >= 0 && walk_close_region(c) < 0) {
            c->err = -1;
            return;
        }
        if (c->seen_region[r]) {
            c->err = fail(sh, "walk: region %d visited twice (block %p)", r, payload);
            return;
        }
        uintptr_t start = (uintptr_t)sh->regions[r].start;
        if (block - start > 7) {
            c->err = fail(sh, "walk: first block of region %d at %p, %zu bytes after its start",
                          r, (void *)block, (size_t)(block - start));
            return;
        }
        c->seen_region[r] = 1;
        c->regions_visited++;
        c->cur_region = r;
        c->prev_free = 0;
    } else if (block != c->expect) {
        c->err = fail(sh, "walk: block at %p, but the previous block ends at %p", (void *)block,
                      (void *)c->expect);
        return;
    }
    if (used) {
        struct shadow_slot *s = slot_find(sh, p);
        if (s == NULL) {
            c->err = fail(sh, "walk: used block %p (usable %zu) is not held by the test", payload,
                          size);
            return;
        }
        if (s->seen) {
            c->err = fail(sh, "walk: used block %p reported twice", payload);
            return;
        }
        s->seen = 1;
        s->walk_size = size;
        c->used_blocks++;
        c->used_bytes += size + W;
    } else {
        if (c->prev_free) {
            c->err = fail(sh, "walk: free block %p follows a free block (not coalesced)", payload);
            return;
        }
        c->free_blocks++;
        c->free_bytes += size + W;
        if (size + W > c->max_free) {
            c->max_free = size + W;
        }
    }
    c->prev_free = !used;
    c->expect = end;
}

int shadow_check_walk(struct shadow *sh) {
    struct walk_ctx c;
    memset(&c, 0, sizeof c);
    c.sh = sh;
    c.cur_region = -1;
    for (size_t i = 0; i < sh->count; i++) {
        sh->scratch[i].addr = (uintptr_t)sh->e[i].ptr;
        sh->scratch[i].index = i;
        sh->scratch[i].walk_size = 0;
        sh->scratch[i].seen = 0;
    }
    qsort(sh->scratch, sh->count, sizeof sh->scratch[0], slot_cmp);

    listheap_walk(walk_visit, &c);
    if (c.err) {
        return -1;
    }
    if (c.cur_region >= 0 && walk_close_region(&c) < 0) {
        return -1;
    }
    if (c.regions_visited != sh->region_count) {
        return fail(sh, "walk visited %zu regions, the heap has %zu", c.regions_visited,
                    sh->region_count);
    }
    for (size_t i = 0; i < sh->count; i++) {
        const struct shadow_slot *s = &sh->scratch[i];
        if (!s->seen) {
            return fail(sh, "walk: live block %p (size %zu) was not visited", (void *)s->addr,
                        sh->e[s->index].size);
        }
        size_t usable = listheap_usable_size((const void *)s->addr);
        /* checked build: the walk also counts canary and trailer */
        if (LISTHEAP_DEBUG ? usable + SHADOW_EXTRA - W > s->walk_size : usable != s->walk_size) {
            return fail(sh, "walk reports %zu usable bytes at %p, usable_size says %zu",
                        s->walk_size, (void *)s->addr, usable);
        }
    }
    struct listheap_stats st;
    listheap_get_stats(&st);
    if (c.used_blocks != st.live_blocks || c.free_blocks != st.free_blocks ||
        c.used_bytes != st.used_bytes || c.free_bytes != st.free_bytes) {
        return fail(sh,
                    "walk found %zu used (%zu B) + %zu free (%zu B) blocks; stats say %zu used "
                    "(%zu B) + %zu free (%zu B)",
                    c.used_blocks, c.used_bytes, c.free_blocks, c.free_bytes, st.live_blocks,
                    st.used_bytes, st.free_blocks, st.free_bytes);
    }
    /* largest_free_block: servable by the largest free block, and (size classes are at most a
     * quarter of a power of two wide) not less than about half of it. */
    if (c.free_blocks > 0 && (st.largest_free_block + SHADOW_EXTRA > c.max_free ||
                              2 * (st.largest_free_block + SHADOW_EXTRA + 8) < c.max_free)) {
        return fail(sh, "stats.largest_free_block = %zu, but the largest free block has %zu "
                        "bytes",
                    st.largest_free_block, c.max_free);
    }
    return 0;
}

const char *shadow_stats_diff(const struct listheap_stats *a, const struct listheap_stats *b,
                              size_t dfail, size_t dfault) {
#define FIELD(f, d)                                                                             \
    if (a->f + (d) != b->f)                                                                     \
        return #f;
    FIELD(total_bytes, 0)
    FIELD(used_bytes, 0)
    FIELD(free_bytes, 0)
    FIELD(peak_used_bytes, 0)
    FIELD(largest_free_block, 0)
    FIELD(free_blocks, 0)
    FIELD(live_blocks, 0)
    FIELD(allocations, 0)
    FIELD(frees, 0)
    FIELD(failures, dfail)
    FIELD(faults, dfault)
    FIELD(regions, 0)
#undef FIELD
    return NULL;
}

struct free_block_search {
    const void *payload;
    int found;
};

static void free_block_visit(void *ctx, void *payload, size_t size, int used) {
    struct free_block_search *f = ctx;
    (void)size;
    if (payload == f->payload && !used) {
        f->found = 1;
    }
}

int shadow_is_free_block(const void *p) {
    struct free_block_search f = {p, 0};
    listheap_walk(free_block_visit, &f);
    return f.found;
}
