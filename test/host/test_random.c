/*
 * Randomized differential test of listheap against a shadow model (test/support/shadow.h).
 *
 * Long random sequences of malloc / free / realloc / calloc / memalign, plus probes that must
 * fail (huge sizes, overflowing calloc, bad alignments, foreign and misaligned pointers, a
 * double free, region calls on a busy heap), over several region layouts. After every step:
 * listheap_check() == LISTHEAP_OK, the statistics agree with the shadow, the touched block's
 * contents are intact; every block's contents and the block walk are checked every step on
 * small heaps and every 64 steps on large ones. A call that fails must leave the heap exactly
 * as it was: statistics (but the failure or fault counter) and, on small heaps and for every
 * probe, every byte of the regions. At the end of a sequence everything is freed and each
 * region must be one free block again.
 *
 * Environment:
 *   LISTHEAP_SEED=<n>   run seed n only (with LISTHEAP_SEEDS: seeds n .. n+k-1)
 *   LISTHEAP_SEEDS=<k>  run k seeds per layout (default 4, starting at 1)
 *   LISTHEAP_OPS=<n>    random steps per seed and layout (default 55000: 5 layouts x 4 seeds
 *                       x 55000 = 1.1 million checked operations, about 2 s at -O2)
 *   LISTHEAP_FULL=1     verify every block and walk the heap after every step
 *   LISTHEAP_TEST=<pat> run only the tests matching the pattern (cmocka_set_test_filter)
 * A failure prints the layout, seed, step, the last operations and a command that replays it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"
#include "listheap.h"
#include "shadow.h"

#define W ((size_t)sizeof(size_t))
#define MIN_BLOCK ((size_t)LISTHEAP_MIN_BLOCK)

#ifndef DEFAULT_SEEDS
#define DEFAULT_SEEDS 4u
#endif
#ifndef DEFAULT_OPS
#define DEFAULT_OPS 55000ul
#endif
#define TRACE_LEN 24
#define LATE_REGION_INTERVAL 1500ul /* steps between regions added while blocks are live */

/* ------------------------------------------------------------------ PRNG */

struct rng {
    uint64_t s;
};

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t rng_next(struct rng *r) { /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* Uniform-enough integer in [0, n); 0 when n == 0. */
static size_t rng_below(struct rng *r, size_t n) {
    return n ? (size_t)((rng_next(r) >> 11) % (uint64_t)n) : 0;
}

/* ------------------------------------------------------------------ memory */

#define ARENA_BYTES (256u * 1024u)

/* Aligned to the largest alignment the test asks for: results do not depend on where it lands. */
static _Alignas(4096) unsigned char g_arena[ARENA_BYTES];
static _Alignas(64) unsigned char g_snapshot[ARENA_BYTES];
static _Alignas(16) unsigned char g_foreign[64]; /* never part of the heap */
static _Alignas(16) unsigned char g_spare[64];   /* offered as a too-small region */
static struct shadow g_sh;

/* ------------------------------------------------------------------ layouts */

struct region_spec {
    size_t offset; /* into g_arena; not a multiple of 8 means a misaligned start */
    size_t size;
};

struct layout {
    const char *test_name;
    const char *name;
    uint64_t id;
    size_t initial;        /* regions given before the first step (init + add_region) */
    size_t late;           /* further regions added while blocks are live */
    int probe_full;        /* one more spec follows: add_region must return LISTHEAP_E_FULL */
    struct region_spec r[LISTHEAP_MAX_REGIONS + 1];
    size_t live_cap;       /* the test never holds more blocks than this */
    unsigned long full_every; /* verify all blocks and walk the heap every this many steps */
    unsigned long ops_scale_pct; /* steps per seed = LISTHEAP_OPS * this / 100 */
};

static const struct layout layout_single_64k = {
    "test_random_ops_single_64k_region", "single 64 KiB region", 1, 1, 0, 0,
    {{0, 65536}}, 400, 64, 100,
};

static const struct layout layout_tiny = {
    "test_random_ops_tiny_150_byte_heap", "tiny 150-byte region, start misaligned by 3", 2, 1, 0,
    0, {{3, 150}}, 64, 1, 100,
};

static const struct layout layout_2k = {
    "test_random_ops_2k_heap_misaligned", "2 KiB region, start misaligned by 5", 3, 1, 0, 0,
    {{4096 + 5, 2048}}, 200, 1, 100,
};

/* Initialised out of address order: middle, high, low; gaps between them. */
static const struct layout layout_three = {
    "test_random_ops_three_regions_misaligned",
    "three non-contiguous regions (20000 @+1, 5003 @+7, 1200 @+2), added out of order",
    4, 3, 0, 0,
    {{8192 + 1, 20000}, {40960 + 7, 5003}, {1024 + 2, 1200}}, 400, 64, 100,
};

/* One region at first, seven more added while blocks are live (two of them touching each
 * other, some tiny), then an eighth add_region must report LISTHEAP_E_FULL. */
static const struct layout layout_grow = {
    "test_random_ops_regions_added_while_live_up_to_max",
    "1 region + 7 added while live (adjacent pair, 64- and 97-byte ones), then E_FULL",
    5, 1, LISTHEAP_MAX_REGIONS - 1, 1,
    {{40000 + 3, 6000},
     {50000, 2000},
     {52000, 1000}, /* touches the previous one */
     {30000 + 5, 97},
     {60000 + 6, 8192},
     {35000 + 1, 64},
     {46500 + 2, 3000},
     {16000 + 4, 12000},
     {90000, 1000}}, /* the one too many */
    400, 64, 100,
};

/* ------------------------------------------------------------------ run state */

enum phase { PHASE_GROW, PHASE_STEADY, PHASE_SHRINK };

struct run {
    const struct layout *lay;
    uint64_t seed;
    unsigned long ops;
    unsigned long step;
    struct rng rng;
    size_t regions_active;
    size_t raw_total;      /* raw bytes of the active regions */
    size_t raw_max;        /* raw bytes of the largest active region */
    size_t typical;        /* most sizes are 1..typical */
    unsigned char *snap_lo; /* byte range of the whole layout */
    size_t snap_len;
    int snap_every_step;
    int snap_valid;
    struct listheap_stats before; /* stats before the current step */
    size_t oom_before, fault_before;
    enum phase phase;
    unsigned long phase_end;
    char trace[TRACE_LEN][160];
    unsigned long ops_done;
};

/* What the operations did, over all seeds of a layout (printed with the totals). */
struct tally {
    unsigned long alloc_ok, alloc_null, frees, realloc_in_place, realloc_moved, realloc_null,
        probes, max_live;
};
static struct tally g_tally;

static struct run g_run;

static unsigned long g_cfg_ops = DEFAULT_OPS;
static uint64_t g_cfg_seed_first = 1;
static unsigned long g_cfg_seeds = DEFAULT_SEEDS;
static int g_cfg_full;

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_fail(struct run *r, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void note(struct run *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->trace[r->step % TRACE_LEN], sizeof r->trace[0], fmt, ap);
    va_end(ap);
}

static void run_fail(struct run *r, int line, const char *expr, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("FAILED: layout \"%s\" seed %llu step %lu of %lu\n  check: %s\n  %s\n",
                r->lay->name, (unsigned long long)r->seed, r->step, r->ops, expr, msg);
    print_error("  last operations (oldest first):\n");
    unsigned long first = r->step + 1 > TRACE_LEN ? r->step + 1 - TRACE_LEN : 0;
    for (unsigned long s = first; s <= r->step; s++) {
        print_error("    step %lu: %s\n", s, r->trace[s % TRACE_LEN]);
    }
    print_error("  replay: LISTHEAP_TEST=%s LISTHEAP_SEED=%llu LISTHEAP_OPS=%lu <test binary>\n",
                r->lay->test_name, (unsigned long long)r->seed, r->ops);
    _fail(__FILE__, line);
}

#define CHECK(r, cond, ...)                                                                     \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            run_fail((r), __LINE__, #cond, __VA_ARGS__);                                        \
        }                                                                                       \
    } while (0)

/* A shadow call: -1 means failure, described in g_sh.msg. */
#define SH(r, expr)                                                                             \
    do {                                                                                        \
        if ((expr) < 0) {                                                                       \
            run_fail((r), __LINE__, #expr, "%s", g_sh.msg);                                     \
        }                                                                                       \
    } while (0)

#define HEAP_OK(r)                                                                              \
    do {                                                                                        \
        int check_status_ = listheap_check();                                                   \
        CHECK((r), check_status_ == LISTHEAP_OK, "listheap_check() = %d", check_status_);      \
    } while (0)

/* ------------------------------------------------------------------ helpers */

static struct listheap_stats get_stats(void) {
    struct listheap_stats st;
    listheap_get_stats(&st);
    return st;
}

static size_t round8(size_t n) {
    return (n + 7u) & ~(size_t)7u;
}

static void take_snapshot(struct run *r) {
    memcpy(g_snapshot, r->snap_lo, r->snap_len);
    r->snap_valid = 1;
}

/* The call just made must have changed nothing but the failure / fault counters. */
static void expect_unchanged(struct run *r, size_t dfail, size_t dfault, const char *what) {
    struct listheap_stats now = get_stats();
    const char *field = shadow_stats_diff(&r->before, &now, dfail, dfault);
    CHECK(r, field == NULL,
          "%s: stats.%s changed (expected only failures +%zu, faults +%zu; failures %zu -> %zu, "
          "faults %zu -> %zu)",
          what, field ? field : "", dfail, dfault, r->before.failures, now.failures,
          r->before.faults, now.faults);
    CHECK(r, hooks.oom_calls == r->oom_before + dfail, "%s: oom hook called %zu times, expected %zu",
          what, hooks.oom_calls - r->oom_before, dfail);
    CHECK(r, hooks.fault_calls == r->fault_before + dfault,
          "%s: fault hook called %zu times, expected %zu", what, hooks.fault_calls - r->fault_before,
          dfault);
    if (r->snap_valid && memcmp(g_snapshot, r->snap_lo, r->snap_len) != 0) {
        size_t i = 0;
        while (i < r->snap_len && g_snapshot[i] == r->snap_lo[i]) {
            i++;
        }
        CHECK(r, i == r->snap_len,
              "%s: the call modified heap memory at %p (0x%02x -> 0x%02x)", what,
              (void *)(r->snap_lo + i), i < r->snap_len ? g_snapshot[i] : 0,
              i < r->snap_len ? r->snap_lo[i] : 0);
    }
}

/* An allocation call returned NULL for want of memory. */
static void expect_enomem(struct run *r, int err, const char *what) {
    g_tally.alloc_null++;
    CHECK(r, err == ENOMEM, "%s returned NULL with errno %d, expected ENOMEM (%d)", what, err,
          ENOMEM);
    expect_unchanged(r, 1, 0, what);
}

/* The block of a successful malloc-like call of `size` bytes is no larger than the request
 * plus header rounded to 8 (at least LISTHEAP_MIN_BLOCK) plus a remainder too small to split. */
static void expect_tight_block(struct run *r, const void *p, size_t size, const char *what) {
    if (LISTHEAP_DEBUG)
        return; /* usable_size is the request there: the block size is not visible */
    size_t usable = listheap_usable_size(p);
    size_t need = round8(size + W);
    if (need < MIN_BLOCK) {
        need = MIN_BLOCK;
    }
    CHECK(r, usable + W < need + MIN_BLOCK,
          "%s(%zu) = %p got a %zu-byte block; the request needs %zu and any remainder of %zu or "
          "more should have been split off",
          what, size, p, usable + W, need, MIN_BLOCK);
}

/* Counters after a successful call relative to the stats before it. */
static void expect_counts(struct run *r, size_t dalloc, size_t dfrees, const char *what) {
    struct listheap_stats now = get_stats();
    CHECK(r, now.allocations == r->before.allocations + dalloc &&
                 now.frees == r->before.frees + dfrees &&
                 now.failures == r->before.failures && now.faults == r->before.faults,
          "%s: allocations %zu -> %zu, frees %zu -> %zu, failures %zu -> %zu, faults %zu -> %zu "
          "(expected +%zu, +%zu, +0, +0)",
          what, r->before.allocations, now.allocations, r->before.frees, now.frees,
          r->before.failures, now.failures, r->before.faults, now.faults, dalloc, dfrees);
    size_t peak = r->before.peak_used_bytes > now.used_bytes ? r->before.peak_used_bytes
                                                             : now.used_bytes;
    CHECK(r, now.peak_used_bytes == peak, "%s: peak_used_bytes %zu -> %zu, used now %zu", what,
          r->before.peak_used_bytes, now.peak_used_bytes, now.used_bytes);
}

/* Does stats.largest_free_block (before this step) promise that a request of `size` bytes
 * succeeds? A largest_free_block of 0 promises nothing. */
static int guaranteed(const struct run *r, size_t size) {
    return r->before.largest_free_block != 0 && size <= r->before.largest_free_block;
}

static size_t rand_size(struct run *r) {
    size_t u = rng_below(&r->rng, 1000);
    size_t mid = r->raw_total < 4096 ? r->raw_total : 4096;
    if (u < 30) {
        return 0;
    }
    if (u < 750) {
        return 1 + rng_below(&r->rng, r->typical);
    }
    if (u < 950) {
        return 1 + rng_below(&r->rng, mid);
    }
    if (u < 990) {
        return 1 + rng_below(&r->rng, r->raw_max);
    }
    /* Right around the whole heap's capacity. */
    size_t cap = r->before.total_bytes - SHADOW_EXTRA;
    return cap - 16 + rng_below(&r->rng, 32);
}

static size_t rand_align(struct run *r) {
    return (size_t)1 << rng_below(&r->rng, 13); /* 1 .. 4096 */
}

/* A live block picked at random (the test holds at least one). */
static size_t rand_live(struct run *r) {
    return rng_below(&r->rng, g_sh.count);
}

/* Register a fresh block; returns its shadow index. */
static size_t add_block(struct run *r, void *p, size_t size, size_t align) {
    int idx = shadow_add(&g_sh, p, size, align);
    SH(r, idx);
    return (size_t)idx;
}

/* ------------------------------------------------------------------ operations */

static void op_malloc(struct run *r) {
    size_t size = rand_size(r);
    note(r, "malloc(%zu)", size);
    errno = 0;
    void *p = listheap_malloc(size);
    int err = errno;
    if (p == NULL) {
        expect_enomem(r, err, "malloc");
        CHECK(r, hooks.oom_request == size, "malloc(%zu): oom hook told %zu", size, hooks.oom_request);
        CHECK(r, !guaranteed(r, size),
              "malloc(%zu) failed though stats.largest_free_block = %zu guaranteed it", size,
              r->before.largest_free_block);
        return;
    }
    g_tally.alloc_ok++;
    note(r, "malloc(%zu) = %p", size, p);
    add_block(r, p, size, 1);
    expect_tight_block(r, p, size, "malloc");
    expect_counts(r, 1, 0, "malloc");
}

static void op_calloc(struct run *r) {
    size_t total = rand_size(r);
    size_t n, sz;
    switch (rng_below(&r->rng, 5)) {
    case 0:
        n = 1;
        sz = total;
        break;
    case 1:
        n = total;
        sz = 1;
        break;
    case 2:
        n = 0;
        sz = total;
        break;
    case 3:
        n = total;
        sz = 0;
        break;
    default:
        n = 1 + rng_below(&r->rng, 16);
        sz = total / n;
        break;
    }
    size_t bytes = n * sz;
    note(r, "calloc(%zu, %zu)", n, sz);
    errno = 0;
    void *p = listheap_calloc(n, sz);
    int err = errno;
    if (p == NULL) {
        expect_enomem(r, err, "calloc");
        CHECK(r, !guaranteed(r, bytes),
              "calloc(%zu, %zu) failed though stats.largest_free_block = %zu guaranteed it", n,
              sz, r->before.largest_free_block);
        return;
    }
    g_tally.alloc_ok++;
    note(r, "calloc(%zu, %zu) = %p", n, sz, p);
    SH(r, shadow_expect_zero(&g_sh, p, bytes));
    add_block(r, p, bytes, 1);
    expect_tight_block(r, p, bytes, "calloc");
    expect_counts(r, 1, 0, "calloc");
}

static void op_memalign(struct run *r) {
    size_t align = rand_align(r);
    size_t size = rand_size(r);
    note(r, "memalign(%zu, %zu)", align, size);
    errno = 0;
    void *p = listheap_memalign(align, size);
    int err = errno;
    if (p == NULL) {
        expect_enomem(r, err, "memalign");
        CHECK(r, align > LISTHEAP_ALIGNMENT || !guaranteed(r, size),
              "memalign(%zu, %zu) failed though no alignment slack is needed and "
              "stats.largest_free_block = %zu",
              align, size, r->before.largest_free_block);
        return;
    }
    g_tally.alloc_ok++;
    note(r, "memalign(%zu, %zu) = %p", align, size, p);
    add_block(r, p, size, align);
    expect_tight_block(r, p, size, "memalign");
    expect_counts(r, 1, 0, "memalign");
}

static void probe_double_free(struct run *r, void *p) {
    /* If p's block was not merged into a free predecessor, its header now says free. */
    int is_free_head = shadow_is_free_block(p);
    r->before = get_stats();
    r->oom_before = hooks.oom_calls;
    r->fault_before = hooks.fault_calls;
    take_snapshot(r);
    note(r, "free(%p) again (double free)", p);
    listheap_free(p);
    expect_unchanged(r, 0, 1, "double free");
    CHECK(r, hooks.fault_kind == LISTHEAP_FAULT_NOT_LIVE ||
                 (!is_free_head && hooks.fault_kind == LISTHEAP_FAULT_BAD_HEADER),
          "double free of %p (%s) reported fault kind %d", p,
          is_free_head ? "its header says free" : "merged into the free block before it",
          (int)hooks.fault_kind);
    CHECK(r, hooks.fault_ptr == p, "double free of %p: fault hook told %p", p, hooks.fault_ptr);
}

static void op_free(struct run *r) {
    size_t i = rand_live(r);
    void *p = g_sh.e[i].ptr;
    note(r, "free(%p) (size %zu)", p, g_sh.e[i].size);
    SH(r, shadow_verify(&g_sh, i));
    listheap_free(p);
    shadow_remove(&g_sh, i);
    g_tally.frees++;
    expect_counts(r, 0, 1, "free");
    if (rng_below(&r->rng, 100) < 3) {
        HEAP_OK(r);
        probe_double_free(r, p);
    }
}

static void op_realloc(struct run *r) {
    size_t u = rng_below(&r->rng, 100);
    if (u < 5 || g_sh.count == 0) {
        size_t size = rand_size(r);
        note(r, "realloc(NULL, %zu)", size);
        errno = 0;
        void *p = listheap_realloc(NULL, size);
        int err = errno;
        if (p == NULL) {
            expect_enomem(r, err, "realloc(NULL, n)");
            CHECK(r, !guaranteed(r, size),
                  "realloc(NULL, %zu) failed though stats.largest_free_block = %zu", size,
                  r->before.largest_free_block);
            return;
        }
        add_block(r, p, size, 1);
        expect_tight_block(r, p, size, "realloc(NULL, n)");
        expect_counts(r, 1, 0, "realloc(NULL, n)");
        return;
    }
    size_t i = rand_live(r);
    void *old = g_sh.e[i].ptr;
    size_t old_size = g_sh.e[i].size;
    size_t old_usable = g_sh.e[i].fill;
    SH(r, shadow_verify(&g_sh, i));
    if (u < 9) {
        note(r, "realloc(%p, 0) (size %zu)", old, old_size);
        errno = EDOM;
        void *p = listheap_realloc(old, 0);
        int err = errno;
        CHECK(r, p == NULL, "realloc(%p, 0) returned %p, expected NULL", old, p);
        CHECK(r, err == EDOM, "realloc(%p, 0) changed errno to %d", old, err);
        shadow_remove(&g_sh, i);
        expect_counts(r, 0, 1, "realloc(p, 0)");
        return;
    }
    size_t size;
    if (u < 40) {
        size = rng_below(&r->rng, old_size + 1); /* shrink (or same) */
    } else if (u < 55) {
        size = old_usable - rng_below(&r->rng, 8 < old_usable ? 8 : old_usable); /* in slack */
    } else {
        size = rand_size(r);
    }
    if (size == 0) {
        size = 1;
    }
    note(r, "realloc(%p, %zu) (size %zu, usable %zu)", old, size, old_size, old_usable);
    errno = 0;
    void *p = listheap_realloc(old, size);
    int err = errno;
    if (p == NULL) {
        expect_enomem(r, err, "realloc");
        g_tally.realloc_null++;
        SH(r, shadow_verify(&g_sh, i));
        CHECK(r, size > old_usable,
              "realloc(%p, %zu) failed though the block already has %zu usable bytes", old, size,
              old_usable);
        CHECK(r, !guaranteed(r, size),
              "realloc(%p, %zu) failed though stats.largest_free_block = %zu guaranteed a new "
              "block",
              old, size, r->before.largest_free_block);
        return;
    }
    note(r, "realloc(%p, %zu) = %p (size %zu, usable %zu)", old, size, p, old_size, old_usable);
    SH(r, shadow_resize(&g_sh, i, p, size));
    if (p == old) {
        g_tally.realloc_in_place++;
    } else {
        g_tally.realloc_moved++;
    }
    expect_tight_block(r, p, size, "realloc");
    struct listheap_stats now = get_stats();
    size_t dalloc = now.allocations - r->before.allocations;
    size_t dfrees = now.frees - r->before.frees;
    /* in place: the same pointer, or a lower one when the block grew into its free
     * predecessor (the payload moved down; shadow_resize checked the contents came along) */
    int grew_down = (unsigned char *)p < (unsigned char *)old;
    CHECK(r, dalloc == dfrees && dalloc <= 1 && (p == old || grew_down || dalloc == 1),
          "realloc %p -> %p: allocations +%zu, frees +%zu (expected +0/+0 in place or grown "
          "into the predecessor, +1/+1 when moved)",
          old, p, dalloc, dfrees);
    CHECK(r, now.failures == r->before.failures && now.faults == r->before.faults,
          "realloc succeeded but failures %zu -> %zu, faults %zu -> %zu", r->before.failures,
          now.failures, r->before.faults, now.faults);
    CHECK(r, now.peak_used_bytes >= r->before.peak_used_bytes,
          "realloc: peak_used_bytes went down %zu -> %zu", r->before.peak_used_bytes,
          now.peak_used_bytes);
}

/* The largest request stats promise must succeed. */
static void op_largest(struct run *r) {
    size_t l = r->before.largest_free_block;
    if (l == 0) {
        note(r, "largest_free_block is 0: nothing to try");
        return;
    }
    unsigned how = (unsigned)rng_below(&r->rng, 4);
    static const char *const names[] = {"malloc", "calloc(1, n)", "memalign(8, n)",
                                        "realloc(NULL, n)"};
    note(r, "%s(largest_free_block = %zu)", names[how], l);
    errno = 0;
    void *p = how == 0   ? listheap_malloc(l)
              : how == 1 ? listheap_calloc(1, l)
              : how == 2 ? listheap_memalign(8, l)
                         : listheap_realloc(NULL, l);
    CHECK(r, p != NULL, "%s(%zu) failed (errno %d) though stats.largest_free_block = %zu",
          names[how], l, errno, l);
    if (how == 1) {
        SH(r, shadow_expect_zero(&g_sh, p, l));
    }
    add_block(r, p, l, 1);
    expect_tight_block(r, p, l, names[how]);
    expect_counts(r, 1, 0, names[how]);
}

/* Calls that must fail and change nothing. */
static void op_must_fail(struct run *r) {
    const size_t top = (size_t)1 << (W * 8 - 1);
    const size_t half = (size_t)1 << (W * 4);
    take_snapshot(r);
    unsigned c = (unsigned)rng_below(&r->rng, 20);
    size_t a = 0, b = 0;
    void *p = (void *)1;
    const char *what = "";
    errno = 0;
    switch (c) {
    case 0:
        a = SIZE_MAX;
        what = "malloc(SIZE_MAX)";
        p = listheap_malloc(a);
        break;
    case 1:
        a = SIZE_MAX / 2;
        what = "malloc(SIZE_MAX / 2)";
        p = listheap_malloc(a);
        break;
    case 2:
        a = SIZE_MAX - rng_below(&r->rng, 24);
        what = "malloc(SIZE_MAX - k)";
        p = listheap_malloc(a);
        break;
    case 3:
        a = r->raw_total + 1 + rng_below(&r->rng, 64);
        what = "malloc(all regions + 1..64)";
        p = listheap_malloc(a);
        break;
    case 4:
        /* One byte more than the whole heap could hold as a single block. */
        a = r->before.total_bytes - SHADOW_EXTRA + 1 + rng_below(&r->rng, 8);
        what = "malloc(total_bytes - header + 1..8)";
        p = listheap_malloc(a);
        break;
    case 5:
        a = SIZE_MAX;
        b = 2;
        what = "calloc(SIZE_MAX, 2)";
        p = listheap_calloc(a, b);
        break;
    case 6:
        a = 2;
        b = SIZE_MAX / 2 + 1;
        what = "calloc(2, SIZE_MAX/2 + 1) (product wraps to 0)";
        p = listheap_calloc(a, b);
        break;
    case 7:
        a = half;
        b = half;
        what = "calloc(2^(W*4), 2^(W*4)) (product wraps to 0)";
        p = listheap_calloc(a, b);
        break;
    case 8:
        a = half + 1;
        b = half - 1 + rng_below(&r->rng, 3);
        what = "calloc(2^(W*4) + 1, 2^(W*4) - 1 .. + 1) (SIZE_MAX or overflow)";
        p = listheap_calloc(a, b);
        break;
    case 9:
        a = 1;
        b = SIZE_MAX - rng_below(&r->rng, 16);
        what = "calloc(1, SIZE_MAX - k)";
        p = listheap_calloc(a, b);
        break;
    case 10:
        a = r->raw_total + 1;
        b = 1 + rng_below(&r->rng, 3);
        what = "calloc(all regions + 1, k)";
        p = listheap_calloc(a, b);
        break;
    case 11:
        a = rand_align(r);
        b = SIZE_MAX - rng_below(&r->rng, 64);
        what = "memalign(2^k, SIZE_MAX - j)";
        p = listheap_memalign(a, b);
        break;
    case 12:
        a = top >> 1;
        b = 1 + rng_below(&r->rng, 64);
        what = "memalign(2^(W*8-2), small)";
        p = listheap_memalign(a, b);
        break;
    case 13:
        a = rand_align(r);
        b = r->raw_max + 1 + rng_below(&r->rng, 64);
        what = "memalign(2^k, largest region + 1..64)";
        p = listheap_memalign(a, b);
        break;
    case 14:
        a = 0;
        b = SIZE_MAX;
        what = "realloc(NULL, SIZE_MAX)";
        p = listheap_realloc(NULL, b);
        break;
    default: {
        /* realloc of a live block to an impossible size: the block must stay as it was. */
        if (g_sh.count == 0) {
            a = SIZE_MAX - 7;
            what = "malloc(SIZE_MAX - 7)";
            p = listheap_malloc(a);
            break;
        }
        size_t i = rand_live(r);
        void *old = g_sh.e[i].ptr;
        static const char *const sizes[] = {"SIZE_MAX", "SIZE_MAX - k", "SIZE_MAX / 2",
                                            "all regions + 1", "total_bytes"};
        unsigned s = (unsigned)rng_below(&r->rng, 5);
        b = s == 0   ? SIZE_MAX
            : s == 1 ? SIZE_MAX - 1 - rng_below(&r->rng, 24)
            : s == 2 ? SIZE_MAX / 2
            : s == 3 ? r->raw_total + 1
                     : r->before.total_bytes;
        note(r, "realloc(%p, %s = %zu) must fail", old, sizes[s], b);
        p = listheap_realloc(old, b);
        int err = errno;
        CHECK(r, p == NULL, "realloc(%p, %s = %zu) returned %p", old, sizes[s], b, p);
        expect_enomem(r, err, "realloc to an impossible size");
        SH(r, shadow_verify(&g_sh, i));
        CHECK(r, listheap_usable_size(old) == g_sh.e[i].fill,
              "failed realloc changed usable_size(%p)", old);
        return;
    }
    }
    int err = errno;
    note(r, "%s [a=%zu b=%zu] must fail", what, a, b);
    CHECK(r, p == NULL, "%s [a=%zu b=%zu] returned %p, expected NULL", what, a, b, p);
    expect_enomem(r, err, what);
}

/* memalign with an alignment that is not a power of two: EINVAL, nothing counted, nothing
 * changed. */
static void op_bad_alignment(struct run *r) {
    static const size_t bad[] = {0, 3, 5, 6, 7, 12, 24, 48, 4095, 4097, 6144, SIZE_MAX,
                                 SIZE_MAX - 1};
    size_t align = bad[rng_below(&r->rng, sizeof bad / sizeof bad[0])];
    size_t size = rand_size(r);
    take_snapshot(r);
    note(r, "memalign(%zu, %zu) (not a power of two)", align, size);
    errno = 0;
    void *p = listheap_memalign(align, size);
    int err = errno;
    CHECK(r, p == NULL, "memalign(%zu, %zu) returned %p", align, size, p);
    CHECK(r, err == EINVAL, "memalign(%zu, %zu): errno %d, expected EINVAL", align, size, err);
    expect_unchanged(r, 0, 0, "memalign with a bad alignment");
}

/* memalign with 2^(W*8-1): beyond the documented range; must fail and change nothing. ENOMEM
 * (counted) and EINVAL (not counted) are both accepted. */
static void op_top_alignment(struct run *r) {
    size_t align = (size_t)1 << (W * 8 - 1);
    size_t size = rng_below(&r->rng, 64);
    take_snapshot(r);
    note(r, "memalign(2^%zu, %zu)", W * 8 - 1, size);
    errno = 0;
    void *p = listheap_memalign(align, size);
    int err = errno;
    CHECK(r, p == NULL, "memalign(2^%zu, %zu) returned %p", W * 8 - 1, size, p);
    CHECK(r, err == ENOMEM || err == EINVAL, "memalign(2^%zu, %zu): errno %d", W * 8 - 1, size,
          err);
    expect_unchanged(r, err == ENOMEM ? 1 : 0, 0, "memalign(2^(W*8-1), n)");
}

/* A foreign address: outside every region (in the arena's gaps or a separate object). */
static unsigned char *foreign_pointer(struct run *r) {
    if (rng_below(&r->rng, 2) == 0) {
        return g_foreign + 8 * rng_below(&r->rng, 6);
    }
    /* 16..80 bytes past the end of some region, if that is in no region. */
    size_t k = rng_below(&r->rng, g_sh.region_count);
    uintptr_t end = (uintptr_t)g_sh.regions[k].start + g_sh.regions[k].size;
    uintptr_t cand = ((end + 7u) & ~(uintptr_t)7u) + 16u + 8u * rng_below(&r->rng, 8);
    for (size_t j = 0; j < g_sh.region_count; j++) {
        uintptr_t s = (uintptr_t)g_sh.regions[j].start;
        if (cand + 16u > s && cand < s + g_sh.regions[j].size + 16u) {
            return g_foreign + 16;
        }
    }
    if (cand + 16u > (uintptr_t)(g_arena + ARENA_BYTES)) {
        return g_foreign + 24;
    }
    return (unsigned char *)cand;
}

/* free / usable_size / realloc of a pointer that is not a live block: fault, nothing changed. */
static void op_bad_pointer(struct run *r) {
    unsigned char *bad;
    enum listheap_fault kind;
    size_t live = 0;
    int have_live = g_sh.count > 0 && rng_below(&r->rng, 2) == 0;
    take_snapshot(r);
    if (have_live) {
        live = rand_live(r);
        bad = g_sh.e[live].ptr + 1 + rng_below(&r->rng, 7);
        kind = LISTHEAP_FAULT_MISALIGNED;
    } else {
        bad = foreign_pointer(r);
        kind = LISTHEAP_FAULT_FOREIGN;
    }
    unsigned how = (unsigned)rng_below(&r->rng, 4);
    switch (how) {
    case 0:
        note(r, "free(%p) (invalid, expect fault %d)", (void *)bad, (int)kind);
        listheap_free(bad);
        break;
    case 1: {
        note(r, "usable_size(%p) (invalid, expect fault %d)", (void *)bad, (int)kind);
        size_t n = listheap_usable_size(bad);
        CHECK(r, n == 0, "usable_size(%p) of an invalid pointer = %zu", (void *)bad, n);
        break;
    }
    case 2: {
        size_t size = rand_size(r);
        note(r, "realloc(%p, %zu) (invalid, expect fault %d)", (void *)bad, size, (int)kind);
        errno = 0;
        void *p = listheap_realloc(bad, size == 0 ? 1 : size);
        int err = errno;
        CHECK(r, p == NULL, "realloc(%p) of an invalid pointer returned %p", (void *)bad, p);
        CHECK(r, err == EINVAL, "realloc(%p) of an invalid pointer: errno %d, expected EINVAL",
              (void *)bad, err);
        break;
    }
    default:
        note(r, "free(NULL)");
        listheap_free(NULL);
        expect_unchanged(r, 0, 0, "free(NULL)");
        CHECK(r, listheap_usable_size(NULL) == 0, "usable_size(NULL) = %zu",
              listheap_usable_size(NULL));
        return;
    }
    expect_unchanged(r, 0, 1, "call with an invalid pointer");
    CHECK(r, hooks.fault_kind == kind && hooks.fault_ptr == bad,
          "invalid pointer %p: fault hook told kind %d, pointer %p; expected kind %d",
          (void *)bad, (int)hooks.fault_kind, hooks.fault_ptr, (int)kind);
    if (have_live) {
        SH(r, shadow_verify(&g_sh, live));
    }
}

/* listheap_init on a busy heap, overlapping / NULL / too-small / wrapping regions. */
static void op_region_probe(struct run *r) {
    int full = g_sh.region_count >= LISTHEAP_MAX_REGIONS;
    unsigned how = (unsigned)rng_below(&r->rng, 5);
    int rc;
    take_snapshot(r);
    switch (how) {
    case 0:
        if (g_sh.count == 0) {
            note(r, "region probe skipped (no live block for E_BUSY)");
            return;
        }
        note(r, "listheap_init(%p, %zu) with %zu live blocks", (void *)g_sh.regions[0].start,
             g_sh.regions[0].size, g_sh.count);
        rc = listheap_init(g_sh.regions[0].start, g_sh.regions[0].size);
        CHECK(r, rc == LISTHEAP_E_BUSY, "listheap_init on a busy heap returned %d", rc);
        break;
    case 1: {
        size_t k = rng_below(&r->rng, g_sh.region_count);
        unsigned char *s = g_sh.regions[k].start + rng_below(&r->rng, g_sh.regions[k].size / 2);
        note(r, "add_region(%p, 64) overlapping region %zu", (void *)s, k);
        rc = listheap_add_region(s, 64);
        CHECK(r, rc == LISTHEAP_E_OVERLAP || (full && rc == LISTHEAP_E_FULL),
              "add_region overlapping region %zu returned %d", k, rc);
        break;
    }
    case 2:
        note(r, "add_region(NULL, 4096)");
        rc = listheap_add_region(NULL, 4096);
        CHECK(r, rc == LISTHEAP_E_NULL || (full && rc == LISTHEAP_E_FULL),
              "add_region(NULL) returned %d", rc);
        break;
    case 3:
        note(r, "add_region(%p, 16) too small", (void *)g_spare);
        rc = listheap_add_region(g_spare, 16);
        CHECK(r, rc == LISTHEAP_E_TOO_SMALL || (full && rc == LISTHEAP_E_FULL),
              "add_region of 16 bytes returned %d", rc);
        break;
    default:
        note(r, "add_region(%p, SIZE_MAX - 4) wrapping", (void *)(g_spare + 8));
        rc = listheap_add_region(g_spare + 8, SIZE_MAX - 4);
        CHECK(r, rc == LISTHEAP_E_WRAP || (full && rc == LISTHEAP_E_FULL),
              "add_region wrapping around the address space returned %d", rc);
        break;
    }
    expect_unchanged(r, 0, 0, "rejected region call");
}

/* listheap_reset_peak: the high-water mark restarts from used_bytes; nothing else changes. */
static void op_reset_peak(struct run *r) {
    note(r, "reset_peak (peak %zu, used %zu)", r->before.peak_used_bytes, r->before.used_bytes);
    listheap_reset_peak();
    struct listheap_stats now = get_stats();
    CHECK(r, now.peak_used_bytes == r->before.used_bytes,
          "after listheap_reset_peak: peak_used_bytes %zu, used_bytes %zu", now.peak_used_bytes,
          now.used_bytes);
    r->before.peak_used_bytes = now.peak_used_bytes;
    expect_unchanged(r, 0, 0, "listheap_reset_peak");
}

/* ------------------------------------------------------------------ run driver */

static void recompute_raw(struct run *r) {
    r->raw_total = 0;
    r->raw_max = 0;
    for (size_t i = 0; i < g_sh.region_count; i++) {
        r->raw_total += g_sh.regions[i].size;
        if (g_sh.regions[i].size > r->raw_max) {
            r->raw_max = g_sh.regions[i].size;
        }
    }
    r->typical = r->raw_total / 2 < 256 ? r->raw_total / 2 : 256;
}

static void full_check(struct run *r) {
    SH(r, shadow_verify_all(&g_sh));
    SH(r, shadow_check_walk(&g_sh));
}

static void add_late_region(struct run *r) {
    const struct region_spec *spec = &r->lay->r[r->regions_active];
    unsigned char *start = g_arena + spec->offset;
    note(r, "add_region(%p, %zu) while %zu blocks are live", (void *)start, spec->size,
         g_sh.count);
    int rc = listheap_add_region(start, spec->size);
    CHECK(r, rc == LISTHEAP_OK, "add_region(%p, %zu) returned %d", (void *)start, spec->size, rc);
    SH(r, shadow_add_region(&g_sh, start, spec->size));
    r->regions_active++;
    recompute_raw(r);
    struct listheap_stats now = get_stats();
    CHECK(r, now.free_blocks == r->before.free_blocks + 1 &&
                 now.live_blocks == r->before.live_blocks &&
                 now.used_bytes == r->before.used_bytes &&
                 now.total_bytes > r->before.total_bytes,
          "add_region: free_blocks %zu -> %zu, total %zu -> %zu, used %zu -> %zu",
          r->before.free_blocks, now.free_blocks, r->before.total_bytes, now.total_bytes,
          r->before.used_bytes, now.used_bytes);
}

static void probe_full(struct run *r) {
    const struct region_spec *spec = &r->lay->r[r->regions_active];
    unsigned char *start = g_arena + spec->offset;
    take_snapshot(r);
    note(r, "add_region(%p, %zu) with %zu regions: must be E_FULL", (void *)start, spec->size,
         g_sh.region_count);
    int rc = listheap_add_region(start, spec->size);
    CHECK(r, rc == LISTHEAP_E_FULL, "add_region beyond LISTHEAP_MAX_REGIONS returned %d", rc);
    expect_unchanged(r, 0, 0, "add_region beyond the maximum");
}

static void one_step(struct run *r) {
    size_t u;
    if (r->step >= r->phase_end) {
        size_t next_phase = rng_below(&r->rng, 3);
        r->phase = next_phase == 0 ? PHASE_GROW : next_phase == 1 ? PHASE_STEADY : PHASE_SHRINK;
        r->phase_end = r->step + 200 + rng_below(&r->rng, 4800);
    }
    if (g_sh.count == 0) {
        u = 999; /* allocate */
    } else if (g_sh.count >= r->lay->live_cap) {
        u = 998; /* free */
    } else {
        u = rng_below(&r->rng, 1000);
    }
    if (u < 30) {
        g_tally.probes++;
    }
    if (u < 10) {
        op_must_fail(r);
    } else if (u < 12) {
        op_bad_alignment(r);
    } else if (u < 13) {
        op_top_alignment(r);
    } else if (u < 23) {
        op_bad_pointer(r);
    } else if (u < 27) {
        op_largest(r);
    } else if (u < 29) {
        op_region_probe(r);
    } else if (u < 30) {
        op_reset_peak(r);
    } else if (u < 170) {
        op_realloc(r);
    } else {
        size_t alloc_share = r->phase == PHASE_GROW ? 650 : r->phase == PHASE_SHRINK ? 300 : 480;
        int alloc = u == 999 || (u != 998 && rng_below(&r->rng, 1000) < alloc_share);
        if (alloc) {
            size_t k = rng_below(&r->rng, 100);
            if (k < 55) {
                op_malloc(r);
            } else if (k < 75) {
                op_calloc(r);
            } else {
                op_memalign(r);
            }
        } else {
            op_free(r);
        }
    }
}

static void begin_step(struct run *r) {
    r->before = get_stats();
    r->oom_before = hooks.oom_calls;
    r->fault_before = hooks.fault_calls;
    r->snap_valid = 0;
    if (r->snap_every_step) {
        take_snapshot(r);
    }
    note(r, "(no operation recorded)");
}

static void end_step(struct run *r, int full) {
    if (g_sh.count > g_tally.max_live) {
        g_tally.max_live = g_sh.count;
    }
    HEAP_OK(r);
    SH(r, shadow_check_stats(&g_sh));
    if (full) {
        full_check(r);
    }
    r->ops_done++;
}

/* Free whatever a failed earlier test left behind and make the heap usable again. */
static void reset_heap_after_failure(void) {
    for (size_t i = 0; i < g_sh.count; i++) {
        listheap_free(g_sh.e[i].ptr);
    }
    g_sh.count = 0;
}

static void start_run(struct run *r, const struct layout *lay, uint64_t seed, unsigned long ops) {
    memset(r, 0, sizeof *r);
    r->lay = lay;
    r->seed = seed;
    r->ops = ops;
    r->rng.s = splitmix64(seed * 0x100000001B3ull + lay->id) | 1u;

    reset_heap_after_failure();

    /* The byte range the layout may touch, filled with garbage. */
    size_t lo = SIZE_MAX, hi = 0;
    size_t nspec = lay->initial + lay->late + (lay->probe_full ? 1u : 0u);
    for (size_t i = 0; i < nspec; i++) {
        if (lay->r[i].offset < lo) {
            lo = lay->r[i].offset;
        }
        if (lay->r[i].offset + lay->r[i].size > hi) {
            hi = lay->r[i].offset + lay->r[i].size;
        }
    }
    hi = hi + 256 <= ARENA_BYTES ? hi + 256 : ARENA_BYTES; /* room for foreign pointers */
    r->snap_lo = g_arena + lo;
    r->snap_len = hi - lo;
    r->snap_every_step = r->snap_len <= 8192;
    if (seed & 1u) {
        memset(r->snap_lo, 0xA5, r->snap_len);
    } else {
        for (size_t i = 0; i < r->snap_len; i++) {
            r->snap_lo[i] = (unsigned char)(rng_next(&r->rng) >> 56);
        }
    }

    note(r, "listheap_init + add_region");
    int rc = listheap_init(g_arena + lay->r[0].offset, lay->r[0].size);
    CHECK(r, rc == LISTHEAP_OK, "listheap_init(%p, %zu) returned %d%s",
          (void *)(g_arena + lay->r[0].offset), lay->r[0].size, rc,
          rc == LISTHEAP_E_BUSY ? " (an earlier failed test left the heap unusable)" : "");
    shadow_init(&g_sh, (uint32_t)(seed ^ (seed >> 32)));
    SH(r, shadow_add_region(&g_sh, g_arena + lay->r[0].offset, lay->r[0].size));
    for (size_t i = 1; i < lay->initial; i++) {
        rc = listheap_add_region(g_arena + lay->r[i].offset, lay->r[i].size);
        CHECK(r, rc == LISTHEAP_OK, "listheap_add_region(+%zu, %zu) returned %d",
              lay->r[i].offset, lay->r[i].size, rc);
        SH(r, shadow_add_region(&g_sh, g_arena + lay->r[i].offset, lay->r[i].size));
    }
    r->regions_active = lay->initial;
    recompute_raw(r);

    struct listheap_stats st = get_stats();
    CHECK(r, st.allocations == 0 && st.frees == 0 && st.failures == 0 && st.faults == 0 &&
                 st.live_blocks == 0 && st.used_bytes == 0 && st.peak_used_bytes == 0 &&
                 st.free_blocks == lay->initial && st.free_bytes == st.total_bytes &&
                 st.regions == lay->initial,
          "fresh heap stats: allocations %zu frees %zu failures %zu faults %zu live %zu used %zu "
          "peak %zu free_blocks %zu regions %zu",
          st.allocations, st.frees, st.failures, st.faults, st.live_blocks, st.used_bytes,
          st.peak_used_bytes, st.free_blocks, st.regions);
    HEAP_OK(r);
    SH(r, shadow_check_stats(&g_sh));
    SH(r, shadow_check_walk(&g_sh));
    r->phase_end = 0;
}

/* Free everything; each region must be one free block again. On one region, the whole heap
 * must then be allocatable as one block. */
static void finish_run(struct run *r) {
    unsigned long full_every = g_cfg_full ? 1 : r->lay->full_every;
    while (g_sh.count > 0) {
        r->step++;
        begin_step(r);
        op_free(r);
        end_step(r, r->step % full_every == 0);
    }
    r->step++;
    begin_step(r);
    note(r, "all blocks freed");
    full_check(r);
    struct listheap_stats st = get_stats();
    CHECK(r, st.used_bytes == 0 && st.live_blocks == 0 && st.free_blocks == g_sh.region_count &&
                 st.free_bytes == st.total_bytes,
          "after freeing everything: used %zu, live %zu, free_blocks %zu (regions %zu), free %zu "
          "of %zu",
          st.used_bytes, st.live_blocks, st.free_blocks, g_sh.region_count, st.free_bytes,
          st.total_bytes);
    if (g_sh.region_count == 1) {
        size_t whole = st.total_bytes - SHADOW_EXTRA;
        CHECK(r, st.largest_free_block == whole,
              "empty one-region heap of %zu bytes: largest_free_block = %zu, expected %zu",
              st.total_bytes, st.largest_free_block, whole);
        note(r, "malloc(%zu): one byte more than the empty heap holds", whole + 1);
        errno = 0;
        void *p = listheap_malloc(whole + 1);
        int err = errno;
        CHECK(r, p == NULL, "malloc(%zu) on an empty heap of %zu bytes returned %p", whole + 1,
              st.total_bytes, p);
        expect_enomem(r, err, "malloc(whole heap + 1)");
        end_step(r, 1);

        r->step++;
        begin_step(r);
        note(r, "malloc(%zu): the whole empty heap", whole);
        p = listheap_malloc(whole);
        CHECK(r, p != NULL, "malloc(%zu) on an empty heap of %zu bytes failed", whole,
              st.total_bytes);
        add_block(r, p, whole, 1);
        st = get_stats();
        CHECK(r, st.free_blocks == 0 && st.free_bytes == 0 && st.largest_free_block == 0,
              "heap full: free_blocks %zu free_bytes %zu largest_free_block %zu", st.free_blocks,
              st.free_bytes, st.largest_free_block);
        end_step(r, 1);

        r->step++;
        begin_step(r);
        note(r, "malloc(0) on a full heap");
        errno = 0;
        void *q = listheap_malloc(0);
        err = errno;
        CHECK(r, q == NULL, "malloc(0) on a full heap returned %p", q);
        expect_enomem(r, err, "malloc(0) on a full heap");
        end_step(r, 1);

        r->step++;
        begin_step(r);
        op_free(r);
        end_step(r, 1);
        st = get_stats();
        CHECK(r, st.free_blocks == 1 && st.used_bytes == 0,
              "after freeing the whole-heap block: free_blocks %zu used %zu", st.free_blocks,
              st.used_bytes);
    } else {
        end_step(r, 1);
    }
}

static void run_sequence(const struct layout *lay, uint64_t seed, unsigned long ops) {
    struct run *r = &g_run;
    start_run(r, lay, seed, ops);
    print_message("[ SEED     ] %s: seed %llu, %lu ops\n", lay->test_name,
                  (unsigned long long)seed, ops);
    unsigned long full_every = g_cfg_full ? 1 : lay->full_every;
    for (r->step = 0; r->step < ops; r->step++) {
        begin_step(r);
        if (r->regions_active < lay->initial + lay->late &&
            r->step == (r->regions_active - lay->initial + 1) * LATE_REGION_INTERVAL) {
            add_late_region(r);
        } else if (lay->probe_full && r->regions_active == lay->initial + lay->late &&
                   r->step == (lay->late + 1) * LATE_REGION_INTERVAL) {
            probe_full(r);
        } else {
            one_step(r);
        }
        /* The touched block was verified by the operation; everything, periodically. */
        end_step(r, (r->step + 1) % full_every == 0);
    }
    r->step = ops;
    finish_run(r);
}

static void run_layout(const struct layout *lay) {
    unsigned long ops = g_cfg_ops * lay->ops_scale_pct / 100;
    clock_t t0 = clock();
    memset(&g_tally, 0, sizeof g_tally);
    unsigned long total = 0;
    for (unsigned long k = 0; k < g_cfg_seeds; k++) {
        run_sequence(lay, g_cfg_seed_first + k, ops);
        total += g_run.ops_done;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    print_message("[ TOTAL    ] %s: %lu seeds, %lu checked operations, %.2f s\n", lay->test_name,
                  g_cfg_seeds, total, secs);
    print_message("[ TOTAL    ]   allocations %lu ok / %lu NULL, frees %lu, realloc %lu in place "
                  "/ %lu moved / %lu NULL, probes %lu, most live blocks %lu\n",
                  g_tally.alloc_ok, g_tally.alloc_null, g_tally.frees, g_tally.realloc_in_place,
                  g_tally.realloc_moved, g_tally.realloc_null, g_tally.probes, g_tally.max_live);
}

/* ------------------------------------------------------------------ tests */

static void test_random_ops_single_64k_region(void **state) {
    (void)state;
    run_layout(&layout_single_64k);
}

static void test_random_ops_tiny_150_byte_heap(void **state) {
    (void)state;
    run_layout(&layout_tiny);
}

static void test_random_ops_2k_heap_misaligned(void **state) {
    (void)state;
    run_layout(&layout_2k);
}

static void test_random_ops_three_regions_misaligned(void **state) {
    (void)state;
    run_layout(&layout_three);
}

static void test_random_ops_regions_added_while_live_up_to_max(void **state) {
    (void)state;
    run_layout(&layout_grow);
}

static unsigned long long env_number(const char *name, unsigned long long fallback) {
    const char *s = getenv(name);
    if (s == NULL || *s == '\0') {
        return fallback;
    }
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end != '\0') {
        fprintf(stderr, "%s=%s is not a number; using %llu\n", name, s, fallback);
        return fallback;
    }
    return v;
}

int main(void) {
    g_cfg_ops = (unsigned long)env_number("LISTHEAP_OPS", DEFAULT_OPS);
    if (getenv("LISTHEAP_SEED") != NULL) {
        g_cfg_seed_first = env_number("LISTHEAP_SEED", 1);
        g_cfg_seeds = (unsigned long)env_number("LISTHEAP_SEEDS", 1);
    } else {
        g_cfg_seeds = (unsigned long)env_number("LISTHEAP_SEEDS", DEFAULT_SEEDS);
    }
    g_cfg_full = env_number("LISTHEAP_FULL", 0) != 0;
    const char *filter = getenv("LISTHEAP_TEST");
    if (filter != NULL && *filter != '\0') {
        cmocka_set_test_filter(filter);
    }
    print_message("listheap randomized differential test: seeds %llu..%llu, %lu ops per seed%s\n",
                  (unsigned long long)g_cfg_seed_first,
                  (unsigned long long)(g_cfg_seed_first + g_cfg_seeds - 1), g_cfg_ops,
                  g_cfg_full ? ", full verification every step" : "");

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_ops_single_64k_region),
        cmocka_unit_test(test_random_ops_tiny_150_byte_heap),
        cmocka_unit_test(test_random_ops_2k_heap_misaligned),
        cmocka_unit_test(test_random_ops_three_regions_misaligned),
        cmocka_unit_test(test_random_ops_regions_added_while_live_up_to_max),
    };
    return cmocka_run_group_tests_name("randomized differential test", tests, NULL, NULL);
}
