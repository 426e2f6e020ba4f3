/*
 * libFuzzer harness for listheap: every input is decoded into a region layout and a sequence of
 * heap calls, which are run against the shadow model of test/support/shadow.h. After every step
 * the heap must pass listheap_check(), the shadow must agree with the statistics, every live
 * block must hold its own pattern, and the call must have had exactly the effect listheap.h
 * promises (stats, errno, hooks). Any disagreement abort()s with a description and the last
 * steps, which libFuzzer turns into a crash file.
 *
 * The arena bytes outside the accepted regions are poisoned for ASan (poison_gaps), so a call
 * that reads or writes outside its regions is reported even though the regions lie inside one
 * static array.
 *
 * Build and run (test/fuzz/README.md has the details):
 *   clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -fsanitize-coverage-ignorelist=test/fuzz/coverage.ignore \
 *     -Ialloc -Itest/support alloc/listheap.c alloc/check.c test/support/shadow.c \
 *     test/fuzz/fuzz_heap.c -o /tmp/fuzz_heap
 *   cp -r test/fuzz/corpus /tmp/fuzz_corpus && /tmp/fuzz_heap -max_total_time=60 /tmp/fuzz_corpus
 * FUZZ_HEAP_TRACE=1 prints every step, FUZZ_HEAP_VERBOSE=1 a summary per input.
 * Works against the release build and the checked build (-DLISTHEAP_DEBUG=1), with the shadow
 * model of test/support/shadow.c (which knows both), and holds both to the region trimming rule
 * of docs/design.md ("pad 0..7 bytes, end trimmed to the same alignment, one end-marker word").
 *
 * INPUT FORMAT (test/fuzz/make_corpus.py writes inputs in it; missing bytes read as 0)
 *   H                 header: regions = 1 + (H & 3); H & 0x04: probe add_region(NULL, 4096)
 *                     (E_NULL); H & 0x08: probe add_region(arena + 64, SIZE_MAX - (H >> 5))
 *                     (E_WRAP); H & 0x10: probe listheap_init(NULL, 4096) first (E_NULL)
 *   region x n        M off_lo off_hi SIZE...: offset = off16 | ((M >> 3) & 3) << 16 (any byte
 *                     of the 256 KiB arena); M & 7 selects the size: 0 u8 % 64 (too small or at
 *                     the limit), 1 u8, 2 u16 % 4096, 3 u16, 4 u24 % (arena + 1), 5 u16 with the
 *                     start moved into an earlier region (deliberate overlap), 6 u16 with the
 *                     start 0..15 bytes after an earlier region's end (adjacent), 7 the rest of
 *                     the arena. 5 and 6 read one more byte: which earlier region. The first
 *                     region that is accepted goes to listheap_init, the rest to add_region.
 *   op ...            until the input ends or MAX_STEPS: one byte, OP_TABLE[b & 31] is the
 *                     operation and b >> 5 its variant; then the operation's own bytes (sizes
 *                     SIZE below, alignments ALIGN, live-block indices u8 % live).
 *   SIZE              s, then by s >> 5: 0 s & 31; 1 u8; 2 u16 % 2048; 3 u16; 4 u24;
 *                     5 SIZE_MAX - (s & 31); 6 SIZE_MAX / 2 - 8 + (s & 15) or 2^(32 + (s & 15));
 *                     7 stats.largest_free_block - 16 + (s & 31) (the guarantee's edge)
 *   ALIGN             a: < 0xB0: 2^(a % 13); < 0xE0: 2^(13 + (a - 0xB0) % 51); else a
 *                     non-power of two (0, 3, 24, 4097, SIZE_MAX, ...)
 *
 * MISUSE generated (all must be reported by listheap_fault_hook, exactly once, with the right
 * kind, and change nothing): double free / realloc / usable_size of the block freed by the
 * latest step that changed the heap (its header still says free: a stale pointer whose memory
 * may have been handed out again is never generated), foreign pointers (stack, a static buffer, arena bytes outside every region),
 * p+1..p+7 inside a live block and misaligned pointers anywhere inside a region,
 * listheap_init while blocks are live (E_BUSY), overlapping / too-small / full add_region.
 * Never generated: 8-aligned interior pointers, writes outside a block.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "block.h" /* listheap_heap_, reset at the start of each input */
#include "harness.h"
#include "listheap.h"
#include "shadow.h"

#ifndef LISTHEAP_DEBUG
#define LISTHEAP_DEBUG 0 /* config.h defines it in the builds that know the checked build */
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define W ((size_t)sizeof(size_t))
#define ARENA_BYTES ((size_t)256 * 1024)
#define MAX_STEPS 512
#define LIVE_CAP 128
#define TRACE_LEN 12
/* Verify every live block's contents (and walk the heap) after every step while the blocks hold
 * at most this many bytes; above it, every FULL_EVERY steps, after every misuse probe whose
 * memory snapshot could not be taken, and at the end of the input. The block a step touches is
 * verified by that step. */
#define VERIFY_ALL_BYTES 65536u
#define FULL_EVERY 8u
/* Bytes of arena a single input may snapshot and compare to prove that a call changed nothing. */
#define SNAPSHOT_BUDGET ((size_t)4 * 1024 * 1024)

static _Alignas(4096) unsigned char g_arena[ARENA_BYTES];
static _Alignas(64) unsigned char g_snapshot[ARENA_BYTES];
/* What every live block must hold, at the block's own arena offset: a copy of the shadow's fill
 * pattern taken when the block was (re)filled. memcmp against it is much faster than recomputing
 * the pattern; a mismatch is then described by shadow_verify(). */
static _Alignas(64) unsigned char g_mirror[ARENA_BYTES];
static _Alignas(16) unsigned char g_foreign[256]; /* never part of the heap */
static struct shadow g_sh;

/* ------------------------------------------------------------------ failure reporting */

static unsigned g_step;
static char g_trace[TRACE_LEN][160];
static unsigned g_trace_next;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static int g_print_trace; /* FUZZ_HEAP_TRACE=1: print every step as it is taken */

static void note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_trace[g_trace_next % TRACE_LEN], sizeof g_trace[0], fmt, ap);
    va_end(ap);
    if (g_print_trace) {
        fprintf(stderr, "  %s\n", g_trace[g_trace_next % TRACE_LEN]);
    }
    g_trace_next++;
}

static void die(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "\nfuzz_heap: CHECK FAILED at step %u (%s build)\n  ", g_step,
            LISTHEAP_DEBUG ? "checked" : "release");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  last steps (oldest first):\n");
    unsigned first = g_trace_next > TRACE_LEN ? g_trace_next - TRACE_LEN : 0;
    for (unsigned i = first; i < g_trace_next; i++) {
        fprintf(stderr, "    %s\n", g_trace[i % TRACE_LEN]);
    }
    fflush(stderr);
    abort();
}

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            die("check `%s` failed (fuzz_heap.c:%d)", #cond, __LINE__);                         \
        }                                                                                       \
    } while (0)
/* CHECK with a message, formatted like printf. */
#define EXPECT(cond, ...)                                                                       \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            expect_failed(#cond, __LINE__, __VA_ARGS__);                                        \
        }                                                                                       \
    } while (0)
#define SH(expr)                                                                                \
    do {                                                                                        \
        if ((expr) < 0) {                                                                       \
            die("shadow: %s\n  (%s, fuzz_heap.c:%d)", g_sh.msg, #expr, __LINE__);              \
        }                                                                                       \
    } while (0)

static void expect_failed(const char *expr, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void expect_failed(const char *expr, int line, const char *fmt, ...) {
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    die("%s\n  (check `%s`, fuzz_heap.c:%d)", msg, expr, line);
}

/* ------------------------------------------------------------------ input reader */

struct reader {
    const uint8_t *p;
    size_t n, i;
};

static unsigned u8(struct reader *r) {
    return r->i < r->n ? r->p[r->i++] : 0u;
}
static size_t u16(struct reader *r) {
    size_t lo = u8(r);
    return lo | (size_t)u8(r) << 8;
}
static size_t u24(struct reader *r) {
    size_t lo = u16(r);
    return lo | (size_t)u8(r) << 16;
}

/* ------------------------------------------------------------------ state of one input */

struct step_state {
    struct listheap_stats before;
    size_t oom_before, fault_before;
};

static struct step_state g_st;
static size_t g_snap_budget;
static int g_snap_valid;
static int g_snap_checked; /* this step compared a snapshot: nothing in the regions changed */

/* The block freed by the latest heap-changing step, while its header still says free. */
static void *g_stale;
static size_t g_stale_size;

/* Release build: exact trimmed spans [first, end + W) of the accepted regions. */
struct span {
    uintptr_t first, end;
};
static struct span g_spans[SHADOW_MAX_REGIONS];
static size_t g_expect_total;

/* What the input did (for the corpus script's self-check, printed with FUZZ_HEAP_VERBOSE). */
static unsigned long g_count_ok, g_count_null, g_count_fault;

static struct listheap_stats get_stats(void) {
    struct listheap_stats st;
    listheap_get_stats(&st);
    return st;
}

static void begin_step(void) {
    g_st.before = get_stats();
    g_st.oom_before = hooks.oom_calls;
    g_st.fault_before = hooks.fault_calls;
    g_snap_valid = 0;
    g_snap_checked = 0;
}

/* ASan: every arena byte outside the accepted regions is poisoned, so that a listheap call (or
 * the harness) touching one is reported although it lies inside g_arena. Called whenever the
 * region list changes; LLVMFuzzerTestOneInput unpoisons the whole arena at the end. */
static void poison_gaps(void) {
    ASAN_POISON_MEMORY_REGION(g_arena, ARENA_BYTES);
    for (size_t i = 0; i < g_sh.region_count; i++) {
        ASAN_UNPOISON_MEMORY_REGION(g_sh.regions[i].start, g_sh.regions[i].size);
    }
}

/* Copy every region's bytes (what a probe may not change) to the same offsets of g_snapshot.
 * Only region bytes: the arena between regions is poisoned for ASan (poison_gaps). */
static void snapshot(void) {
    size_t len = 0;
    for (size_t i = 0; i < g_sh.region_count; i++) {
        len += g_sh.regions[i].size;
    }
    g_snap_valid = 0;
    if (len == 0 || len > g_snap_budget / 2) {
        return;
    }
    g_snap_budget -= 2 * len;
    for (size_t i = 0; i < g_sh.region_count; i++) {
        const struct shadow_region *reg = &g_sh.regions[i];
        memcpy(g_snapshot + (reg->start - g_arena), reg->start, reg->size);
    }
    g_snap_valid = 1;
}

/* First region byte that differs from the snapshot, or NULL. */
static unsigned char *snapshot_diff(void) {
    for (size_t i = 0; i < g_sh.region_count; i++) {
        const struct shadow_region *reg = &g_sh.regions[i];
        const unsigned char *was = g_snapshot + (reg->start - g_arena);
        if (memcmp(was, reg->start, reg->size) != 0) {
            size_t k = 0;
            while (was[k] == reg->start[k]) {
                k++;
            }
            return reg->start + k;
        }
    }
    return NULL;
}

/* The call just made changed nothing but failures (+dfail, with as many OOM hook calls) and
 * faults (+dfault, with as many fault hook calls); memory too, if a snapshot was taken. */
static void expect_unchanged(size_t dfail, size_t dfault, const char *what) {
    struct listheap_stats now = get_stats();
    const char *field = shadow_stats_diff(&g_st.before, &now, dfail, dfault);
    EXPECT(field == NULL,
           "%s: stats.%s changed (expected only failures +%zu, faults +%zu; failures %zu -> %zu, "
           "faults %zu -> %zu)",
           what, field ? field : "", dfail, dfault, g_st.before.failures, now.failures,
           g_st.before.faults, now.faults);
    EXPECT(hooks.oom_calls == g_st.oom_before + dfail, "%s: oom hook called %zu times, expected %zu",
           what, hooks.oom_calls - g_st.oom_before, dfail);
    EXPECT(hooks.fault_calls == g_st.fault_before + dfault,
           "%s: fault hook called %zu times, expected %zu (last kind %d)", what,
           hooks.fault_calls - g_st.fault_before, dfault, (int)hooks.fault_kind);
    unsigned char *changed = g_snap_valid ? snapshot_diff() : NULL;
    if (changed) {
        die("%s: memory changed at %p (0x%02x -> 0x%02x), though the call must change nothing",
            what, (void *)changed, g_snapshot[changed - g_arena], *changed);
    }
    if (g_snap_valid) {
        g_snap_checked = 1;
    }
}

/* Exactly one fault of `kind` (or `alt`, if nonzero) reported for ptr, and nothing else. */
static void expect_fault(const void *ptr, enum listheap_fault kind, enum listheap_fault alt,
                         const char *what) {
    expect_unchanged(0, 1, what);
    EXPECT(hooks.fault_kind == kind || (alt && hooks.fault_kind == alt),
           "%s: fault kind %d reported, expected %d%s", what, (int)hooks.fault_kind, (int)kind,
           alt ? " (or the alternative)" : "");
    EXPECT(hooks.fault_ptr == ptr, "%s: fault hook told %p, expected %p", what, hooks.fault_ptr, ptr);
    g_count_fault++;
}

static void mirror_store(size_t i) {
    const struct shadow_entry *e = &g_sh.e[i];
    size_t off = (size_t)(e->ptr - g_arena);
    CHECK(e->ptr >= g_arena && off <= ARENA_BYTES && e->fill <= ARENA_BYTES - off);
    memcpy(g_mirror + off, e->ptr, e->fill);
}

/* Entry i still holds its contents. */
static void verify_one(size_t i) {
    const struct shadow_entry *e = &g_sh.e[i];
    if (memcmp(e->ptr, g_mirror + (e->ptr - g_arena), e->fill) != 0) {
        SH(shadow_verify(&g_sh, i));
        die("block %p (size %zu) differs from its copy, but not from its pattern",
            (void *)e->ptr, e->size);
    }
}

static void verify_all(void) {
    for (size_t i = 0; i < g_sh.count; i++) {
        verify_one(i);
    }
}

/* Register a new block; returns its shadow index. */
static size_t track_add(void *p, size_t size, size_t align) {
    int idx = shadow_add(&g_sh, p, size, align);
    SH(idx);
    mirror_store((size_t)idx);
    return (size_t)idx;
}

static void track_resize(size_t i, void *newp, size_t newsize) {
    SH(shadow_resize(&g_sh, i, newp, newsize));
    mirror_store(i);
}

/* Statistics against the shadow. */
static void track_stats(void) {
    SH(shadow_check_stats(&g_sh));
    if (g_expect_total) {
        struct listheap_stats st = get_stats();
        EXPECT(st.total_bytes == g_expect_total,
               "stats.total_bytes = %zu, the regions trimmed as design.md says hold %zu",
               st.total_bytes, g_expect_total);
    }
}

static void track_walk(void) {
    SH(shadow_check_walk(&g_sh));
}

/* ------------------------------------------------------------------ after every step */

static size_t live_fill_bytes(void) {
    size_t n = 0;
    for (size_t i = 0; i < g_sh.count; i++) {
        n += g_sh.e[i].fill;
    }
    return n;
}

static void heap_ok(void) {
    int status = listheap_check();
    EXPECT(status == LISTHEAP_OK, "listheap_check() = %d", status);
}

static void after_step(int probe) {
    heap_ok();
    track_stats();
    if ((probe && !g_snap_checked) || g_step % FULL_EVERY == 0 ||
        live_fill_bytes() <= VERIFY_ALL_BYTES) {
        verify_all();
        track_walk();
    }
}

/* ------------------------------------------------------------------ decoding helpers */

static size_t decode_size(struct reader *r) {
    unsigned s = u8(r);
    unsigned low = s & 31u;
    switch (s >> 5) {
    case 0:
        return low;
    case 1:
        return u8(r);
    case 2:
        return u16(r) % 2048u;
    case 3:
        return u16(r);
    case 4:
        return u24(r);
    case 5:
        return SIZE_MAX - low;
    case 6:
        if (low < 16) {
            return SIZE_MAX / 2 - 8 + low;
        }
        return W >= 8 ? (size_t)1 << (W * 8 / 2 + (low & 15)) : SIZE_MAX / 2 + low;
    default: {
        size_t l = g_st.before.largest_free_block;
        return l + low >= 16 ? l + low - 16 : 0;
    }
    }
}

static size_t decode_align(struct reader *r) {
    static const size_t bad[32] = {0,    3,    5,    6,    7,     9,     12,    24,
                                   48,   96,   100,  255,  257,   1000,  4095,  4097,
                                   6144, 8191, 8193, 65535, 65537, 12288, 40960, 3u << 20,
                                   SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 2, SIZE_MAX / 2 + 2,
                                   ((size_t)1 << (W * 8 - 2)) + 8, 17, 33, 65};
    unsigned a = u8(r);
    if (a < 0xB0) {
        return (size_t)1 << (a % 13u);
    }
    if (a < 0xE0) {
        return (size_t)1 << (13u + (a - 0xB0u) % (unsigned)(W * 8 - 13));
    }
    return bad[a - 0xE0];
}

static size_t pick_live(struct reader *r) {
    return u8(r) % g_sh.count;
}

static int is_pow2(size_t a) {
    return a != 0 && (a & (a - 1)) == 0;
}

/* ------------------------------------------------------------------ allocation outcomes */

/* A NULL from an allocation call: errno ENOMEM, one failure, one OOM hook call (with request
 * when known), nothing else changed, and the request was not one the stats guaranteed. */
static void expect_enomem(int err, size_t request, int check_request, size_t guarantee_size,
                          int guaranteed_applies, const char *what) {
    EXPECT(err == ENOMEM, "%s returned NULL with errno %d, expected ENOMEM", what, err);
    expect_unchanged(1, 0, what);
    if (check_request) {
        EXPECT(hooks.oom_request == request, "%s: oom hook told %zu, expected %zu", what,
               hooks.oom_request, request);
    }
    /* largest_free_block == 0 means no free block: nothing is guaranteed, not even 0 bytes */
    EXPECT(!guaranteed_applies || g_st.before.largest_free_block == 0 ||
               guarantee_size > g_st.before.largest_free_block,
           "%s failed though stats.largest_free_block = %zu guaranteed it", what,
           g_st.before.largest_free_block);
    g_count_null++;
}

/* A new block came back: one allocation more, no failure, no fault. */
static void expect_new_block(const char *what) {
    struct listheap_stats now = get_stats();
    EXPECT(now.allocations == g_st.before.allocations + 1 && now.frees == g_st.before.frees &&
               now.failures == g_st.before.failures && now.faults == g_st.before.faults &&
               hooks.oom_calls == g_st.oom_before && hooks.fault_calls == g_st.fault_before,
           "%s: allocations %zu -> %zu, frees %zu -> %zu, failures %zu -> %zu, faults %zu -> %zu",
           what, g_st.before.allocations, now.allocations, g_st.before.frees, now.frees,
           g_st.before.failures, now.failures, g_st.before.faults, now.faults);
    g_count_ok++;
}

static void expect_freed(const char *what) {
    struct listheap_stats now = get_stats();
    EXPECT(now.frees == g_st.before.frees + 1 && now.allocations == g_st.before.allocations &&
               now.failures == g_st.before.failures && now.faults == g_st.before.faults &&
               hooks.fault_calls == g_st.fault_before && hooks.oom_calls == g_st.oom_before,
           "%s: frees %zu -> %zu, allocations %zu -> %zu, faults %zu -> %zu", what,
           g_st.before.frees, now.frees, g_st.before.allocations, now.allocations,
           g_st.before.faults, now.faults);
}

static void do_malloc(size_t size) {
    note("step %u: malloc(%zu)", g_step, size);
    errno = 0;
    void *p = listheap_malloc(size);
    int err = errno;
    if (!p) {
        expect_enomem(err, size, 1, size, 1, "malloc");
        return;
    }
    note("step %u: malloc(%zu) = %p", g_step, size, p);
    track_add(p, size, 1);
    expect_new_block("malloc");
}

static void do_free_index(size_t i, const char *what) {
    void *p = g_sh.e[i].ptr;
    size_t size = g_sh.e[i].size;
    note("step %u: %s(%p) (size %zu)", g_step, what, p, size);
    verify_one(i);
    listheap_free(p);
    shadow_remove(&g_sh, i);
    expect_freed(what);
    g_stale = p;
    g_stale_size = size;
}

/* ------------------------------------------------------------------ operations */

enum op {
    OP_MALLOC,
    OP_CALLOC,
    OP_REALLOC,
    OP_REALLOC_NULL,
    OP_MEMALIGN,
    OP_FREE,
    OP_USABLE,
    OP_LARGEST,
    OP_HUGE,
    OP_FOREIGN,
    OP_MISALIGNED_LIVE,
    OP_MISALIGNED_REGION,
    OP_STALE,
    OP_INIT_BUSY,
    OP_ADD_REGION,
    OP_NULLS,
    OP_RESET_PEAK,
};

static const unsigned char OP_TABLE[32] = {
    OP_MALLOC,       OP_MALLOC,          OP_MALLOC,         OP_MALLOC,        OP_MALLOC,
    OP_CALLOC,       OP_CALLOC,          OP_REALLOC,        OP_REALLOC,       OP_REALLOC,
    OP_REALLOC,      OP_REALLOC_NULL,    OP_MEMALIGN,       OP_MEMALIGN,      OP_MEMALIGN,
    OP_FREE,         OP_FREE,            OP_FREE,           OP_FREE,          OP_FREE,
    OP_USABLE,       OP_LARGEST,         OP_HUGE,           OP_FOREIGN,       OP_MISALIGNED_LIVE,
    OP_MISALIGNED_REGION, OP_STALE,      OP_STALE,          OP_INIT_BUSY,     OP_ADD_REGION,
    OP_NULLS,        OP_RESET_PEAK,
};

static void op_calloc(struct reader *r, unsigned v) {
    const size_t half = (size_t)1 << (W * 4);
    size_t n, sz;
    switch (v) {
    case 0:
        n = 1;
        sz = decode_size(r);
        break;
    case 1:
        n = decode_size(r);
        sz = 1;
        break;
    case 2:
        n = u8(r) % 17u;
        sz = decode_size(r);
        break;
    case 3:
        n = 0;
        sz = decode_size(r);
        if (u8(r) & 1u) {
            n = sz;
            sz = 0;
        }
        break;
    case 4:
        n = SIZE_MAX - (u8(r) & 7u);
        sz = 2;
        break;
    case 5:
        n = half;
        sz = half + (u8(r) & 3u) - 1u; /* product wraps (or is SIZE_MAX + 1 - half) */
        break;
    case 6:
        n = 2;
        sz = SIZE_MAX / 2 + 1 + (u8(r) & 7u);
        break;
    default:
        n = decode_size(r);
        sz = decode_size(r);
        break;
    }
    size_t bytes;
    int overflow = __builtin_mul_overflow(n, sz, &bytes);
    note("step %u: calloc(%zu, %zu)%s", g_step, n, sz, overflow ? " (overflows)" : "");
    errno = 0;
    void *p = listheap_calloc(n, sz);
    int err = errno;
    if (!p) {
        expect_enomem(err, bytes, !overflow, bytes, !overflow, "calloc");
        return;
    }
    EXPECT(!overflow, "calloc(%zu, %zu) overflows size_t but returned %p", n, sz, p);
    note("step %u: calloc(%zu, %zu) = %p", g_step, n, sz, p);
    SH(shadow_expect_zero(&g_sh, p, bytes));
    track_add(p, bytes, 1);
    expect_new_block("calloc");
}

static void op_memalign(struct reader *r) {
    size_t align = decode_align(r);
    size_t size = decode_size(r);
    note("step %u: memalign(%zu, %zu)", g_step, align, size);
    errno = 0;
    void *p = listheap_memalign(align, size);
    int err = errno;
    if (!is_pow2(align)) {
        EXPECT(p == NULL, "memalign(%zu, %zu): alignment not a power of two, returned %p", align,
               size, p);
        EXPECT(err == EINVAL, "memalign(%zu, %zu): errno %d, expected EINVAL", align, size, err);
        expect_unchanged(0, 0, "memalign with a bad alignment");
        g_count_null++;
        return;
    }
    if (!p) {
        expect_enomem(err, size, 1, size, align <= LISTHEAP_ALIGNMENT, "memalign");
        return;
    }
    note("step %u: memalign(%zu, %zu) = %p", g_step, align, size, p);
    track_add(p, size, align);
    expect_new_block("memalign");
}

static void op_realloc(struct reader *r) {
    size_t i = pick_live(r);
    unsigned how = u8(r);
    void *old = g_sh.e[i].ptr;
    size_t old_size = g_sh.e[i].size, old_fill = g_sh.e[i].fill;
    size_t size;
    if (how < 96) {
        size = old_size ? how % (old_size + 1) : 0; /* shrink or same */
        if (how & 1 && old_size) {
            size = old_size - (how >> 1) % (old_size < 16 ? old_size : 16);
        }
    } else if (how < 128) {
        size = old_fill + (how & 15u); /* around the usable size */
        if (how & 16u && old_fill >= 8) {
            size = old_fill - (how & 7u);
        }
    } else {
        size = decode_size(r);
    }
    verify_one(i);
    if (size == 0) {
        note("step %u: realloc(%p, 0) (size %zu)", g_step, old, old_size);
        errno = EDOM;
        void *p = listheap_realloc(old, 0);
        EXPECT(p == NULL, "realloc(%p, 0) returned %p, expected NULL", old, p);
        EXPECT(errno == EDOM, "realloc(%p, 0) changed errno to %d", old, errno);
        shadow_remove(&g_sh, i);
        expect_freed("realloc(p, 0)");
        g_stale = old;
        g_stale_size = old_size;
        return;
    }
    note("step %u: realloc(%p, %zu) (size %zu, usable %zu)", g_step, old, size, old_size,
         old_fill);
    errno = 0;
    void *p = listheap_realloc(old, size);
    int err = errno;
    if (!p) {
        expect_enomem(err, size, 1, size, 1, "realloc");
        EXPECT(size > old_size, "realloc(%p, %zu) failed though it shrinks the block (size %zu)",
               old, size, old_size);
        verify_one(i);
        EXPECT(listheap_usable_size(old) >= old_fill, "failed realloc changed usable_size(%p)",
               old);
        return;
    }
    note("step %u: realloc(%p, %zu) = %p", g_step, old, size, p);
    track_resize(i, p, size);
    struct listheap_stats now = get_stats();
    size_t dalloc = now.allocations - g_st.before.allocations;
    size_t dfrees = now.frees - g_st.before.frees;
    EXPECT(dalloc == dfrees && dalloc <= 1 && (p == old || dalloc == 1),
           "realloc %p -> %p: allocations +%zu, frees +%zu", old, p, dalloc, dfrees);
    EXPECT(now.failures == g_st.before.failures && now.faults == g_st.before.faults &&
               hooks.fault_calls == g_st.fault_before && hooks.oom_calls == g_st.oom_before,
           "realloc succeeded but failures %zu -> %zu, faults %zu -> %zu", g_st.before.failures,
           now.failures, g_st.before.faults, now.faults);
    EXPECT(now.peak_used_bytes >= g_st.before.peak_used_bytes,
           "realloc: peak_used_bytes went down %zu -> %zu", g_st.before.peak_used_bytes,
           now.peak_used_bytes);
    g_count_ok++;
    if (p != old) {
        g_stale = old; /* freed after the new block was taken: its header says free */
        g_stale_size = old_size;
    }
}

static void op_realloc_null(struct reader *r) {
    size_t size = decode_size(r);
    note("step %u: realloc(NULL, %zu)", g_step, size);
    errno = 0;
    void *p = listheap_realloc(NULL, size);
    int err = errno;
    if (!p) {
        expect_enomem(err, size, 1, size, 1, "realloc(NULL, n)");
        return;
    }
    track_add(p, size, 1);
    expect_new_block("realloc(NULL, n)");
}

static void op_largest(unsigned v) {
    size_t l = g_st.before.largest_free_block;
    if (l == 0) {
        note("step %u: largest_free_block is 0", g_step);
        return;
    }
    static const char *const names[] = {"malloc", "calloc(1, n)", "memalign(8, n)",
                                        "realloc(NULL, n)"};
    unsigned how = v & 3u;
    note("step %u: %s(largest_free_block = %zu)", g_step, names[how], l);
    errno = 0;
    void *p = how == 0   ? listheap_malloc(l)
              : how == 1 ? listheap_calloc(1, l)
              : how == 2 ? listheap_memalign(8, l)
                         : listheap_realloc(NULL, l);
    EXPECT(p != NULL, "%s(%zu) failed (errno %d) though stats.largest_free_block = %zu",
           names[how], l, errno, l);
    if (how == 1) {
        SH(shadow_expect_zero(&g_sh, p, l));
    }
    track_add(p, l, 1);
    expect_new_block(names[how]);
}

/* Sizes beyond all memory: the call must fail and change nothing. */
static void op_huge(struct reader *r, unsigned v) {
    unsigned k = u8(r);
    size_t raw = 0;
    for (size_t i = 0; i < g_sh.region_count; i++) {
        raw += g_sh.regions[i].size;
    }
    snapshot();
    errno = 0;
    void *p;
    size_t req;
    const char *what;
    switch (v) {
    case 0:
        req = SIZE_MAX - (k & 31u);
        what = "malloc(SIZE_MAX - k)";
        p = listheap_malloc(req);
        break;
    case 1:
        req = raw + 1 + k;
        what = "malloc(all regions + k)";
        p = listheap_malloc(req);
        break;
    case 2:
        req = SIZE_MAX - (k & 63u);
        what = "memalign(2^j, SIZE_MAX - k)";
        p = listheap_memalign((size_t)1 << (k % 13u), req);
        break;
    case 3:
        req = 1 + (k & 63u);
        what = "memalign(2^(W*8-2) or 2^(W*8-1), small)";
        p = listheap_memalign((size_t)1 << (W * 8 - 1 - (k >> 7)), req);
        break;
    case 4:
        req = raw + 1 + k;
        what = "memalign(2^j, all regions + k)";
        p = listheap_memalign((size_t)1 << (k % 13u), req);
        break;
    case 5:
        req = SIZE_MAX - (k & 15u);
        what = "realloc(NULL, SIZE_MAX - k)";
        p = listheap_realloc(NULL, req);
        break;
    default: {
        if (g_sh.count == 0) {
            req = SIZE_MAX;
            what = "calloc(1, SIZE_MAX)";
            p = listheap_calloc(1, req);
            break;
        }
        size_t i = (size_t)k % g_sh.count;
        void *old = g_sh.e[i].ptr;
        req = (v == 6) ? SIZE_MAX - (k & 31u) : raw + 1 + (k & 63u);
        note("step %u: realloc(%p, %zu) must fail", g_step, old, req);
        p = listheap_realloc(old, req);
        int err = errno;
        EXPECT(p == NULL, "realloc(%p, %zu) returned %p", old, req, p);
        expect_enomem(err, req, 1, req, 1, "realloc to an impossible size");
        verify_one(i);
        return;
    }
    }
    int err = errno;
    note("step %u: %s = %zu must fail", g_step, what, req);
    EXPECT(p == NULL, "%s [%zu] returned %p, expected NULL", what, req, p);
    expect_enomem(err, req, 1, req, v != 3, what); /* 3: the alignment makes it impossible */
}

/* One misuse call on ptr: free, realloc(ptr, n), usable_size or realloc(ptr, 0). */
static void misuse_call(void *ptr, unsigned how, enum listheap_fault kind,
                        enum listheap_fault alt, const char *what) {
    char label[96];
    static const char *const calls[] = {"free", "realloc(p, 16)", "usable_size",
                                        "realloc(p, 0)"};
    snprintf(label, sizeof label, "%s of %s %p", calls[how & 3u], what, ptr);
    note("step %u: %s", g_step, label);
    snapshot();
    switch (how & 3u) {
    case 0:
        listheap_free(ptr);
        break;
    case 1: {
        errno = 0;
        void *p = listheap_realloc(ptr, 16);
        int err = errno;
        EXPECT(p == NULL, "%s returned %p", label, p);
        EXPECT(err == EINVAL, "%s: errno %d, expected EINVAL", label, err);
        break;
    }
    case 2: {
        size_t u = listheap_usable_size(ptr);
        EXPECT(u == 0, "%s returned %zu, expected 0", label, u);
        break;
    }
    default: {
        errno = EDOM;
        void *p = listheap_realloc(ptr, 0);
        EXPECT(p == NULL, "%s returned %p", label, p);
        EXPECT(errno == EDOM, "%s changed errno to %d", label, errno);
        break;
    }
    }
    expect_fault(ptr, kind, alt, label);
}

/* Arena bytes outside every region (with a margin), else NULL. */
static unsigned char *arena_gap(size_t off) {
    uintptr_t p = (uintptr_t)g_arena + off % ARENA_BYTES;
    for (size_t i = 0; i < g_sh.region_count; i++) {
        uintptr_t s = (uintptr_t)g_sh.regions[i].start, e = s + g_sh.regions[i].size;
        if (p + 16 > s && p < e + 16) {
            return NULL;
        }
    }
    return (unsigned char *)p;
}

static void op_foreign(struct reader *r, unsigned v) {
    unsigned char local[64];
    unsigned k = u8(r);
    unsigned char *ptr;
    const char *what;
    memset(local, 0xA5, sizeof local);
    switch (v >> 2) {
    case 0:
        ptr = local + 16 + (k & 31u);
        what = "stack pointer";
        break;
    default: {
        size_t off = u24(r);
        ptr = arena_gap(off);
        what = "arena byte outside every region";
        if (ptr == NULL) {
            ptr = g_foreign + 16 + (k % 200u);
            what = "static buffer";
        }
        break;
    }
    }
    misuse_call(ptr, v, LISTHEAP_FAULT_FOREIGN, 0, what);
}

static void op_misaligned_live(struct reader *r, unsigned v) {
    size_t i = pick_live(r);
    unsigned char *ptr = g_sh.e[i].ptr + 1 + u8(r) % 7u;
    misuse_call(ptr, v, LISTHEAP_FAULT_MISALIGNED, 0, "misaligned pointer into a live block");
    verify_one(i);
}

static void op_misaligned_region(struct reader *r, unsigned v) {
    size_t ri = u8(r) % g_sh.region_count;
    size_t off = u24(r);
    unsigned char *start = g_sh.regions[ri].start;
    size_t size = g_sh.regions[ri].size;
    if (size < 40) {
        return;
    }
    /* 16 bytes in from either raw end: the header word lies inside the trimmed region. */
    off = 16 + off % (size - 32 + 1);
    if ((uintptr_t)(start + off) % 8 == 0) {
        off += off + 1 <= size - 16 ? 1 : (size_t)-1;
    }
    misuse_call(start + off, v, LISTHEAP_FAULT_MISALIGNED, 0, "misaligned pointer into a region");
}

static void op_stale(struct reader *r, unsigned v) {
    unsigned k = u8(r); /* which block to free first when no freed block is at hand */
    if (g_stale == NULL) {
        if (g_sh.count == 0) {
            return;
        }
        do_free_index(k % g_sh.count, "free");
        after_step(0);
        begin_step();
    }
    void *p = g_stale;
    int is_free_head = shadow_is_free_block(p);
    /* A block merged into the free block before it has a stale header behind it: that is
     * reported as a bad header; a block at the head of its free block as not live. */
    char what[64];
    snprintf(what, sizeof what, "freed block of %zu bytes (%s)", g_stale_size,
             is_free_head ? "header says free" : "merged into its predecessor");
    misuse_call(p, v, LISTHEAP_FAULT_NOT_LIVE, is_free_head ? 0 : LISTHEAP_FAULT_BAD_HEADER,
                what);
}

/* ------------------------------------------------------------------ regions */

enum region_verdict { MUST_FAIL, MUST_WORK };

/* Release build: the trimmed span of a region per design.md, or 0 if no block fits. */
static int trimmed_span(uintptr_t lo, size_t size, struct span *out) {
    uintptr_t limit = lo + size;
    uintptr_t first = ((lo + W + 7u) & ~(uintptr_t)7u) - W;
    if (limit < W + 8u) {
        return 0;
    }
    uintptr_t end = (limit & ~(uintptr_t)7u) - W;
    if (first > limit || end < first || end - first < LISTHEAP_MIN_BLOCK || end + W > limit) {
        return 0;
    }
    out->first = first;
    out->end = end;
    return 1;
}

/* Is [start, start+size) usable as a region? (ignoring overlap) */
static enum region_verdict region_fits(unsigned char *start, size_t size, struct span *sp) {
    return trimmed_span((uintptr_t)start, size, sp) ? MUST_WORK : MUST_FAIL;
}

/* Does it overlap an accepted region? */
static enum region_verdict region_overlaps(const struct span *sp) {
    for (size_t i = 0; i < g_sh.region_count; i++)
        if (sp->first < g_spans[i].end + W && g_spans[i].first < sp->end + W)
            return MUST_WORK;
    return MUST_FAIL;
}

/* add_region (or init, which ignores overlap and live blocks but must not be busy) of one spec,
 * with the result the contract gives; on success the shadow learns the region. */
static int try_region(unsigned char *start, size_t size, int is_init, const char *why) {
    struct span sp = {0, 0};
    enum region_verdict fits = region_fits(start, size, &sp);
    enum region_verdict ovl = is_init ? MUST_FAIL : region_overlaps(&sp);
    int full = !is_init && g_sh.region_count >= LISTHEAP_MAX_REGIONS;
    note("step %u: %s(arena + %zu, %zu) [%s]", g_step, is_init ? "init" : "add_region",
         (size_t)(start - g_arena), size, why);
    begin_step();
    snapshot();
    ASAN_UNPOISON_MEMORY_REGION(start, size); /* the call may lay the region out */
    int rc = is_init ? listheap_init(start, size) : listheap_add_region(start, size);
    note("step %u: ... = %d", g_step, rc);
    if (rc != LISTHEAP_OK) {
        int allowed = (rc == LISTHEAP_E_TOO_SMALL && fits != MUST_WORK) ||
                      (rc == LISTHEAP_E_OVERLAP && ovl != MUST_FAIL) ||
                      (rc == LISTHEAP_E_FULL && full);
        EXPECT(allowed,
               "%s(arena + %zu, %zu) = %d: fits %d, overlaps %d, full %d (0 no, 1 maybe, 2 yes)",
               is_init ? "listheap_init" : "listheap_add_region", (size_t)(start - g_arena), size,
               rc, (int)fits, (int)ovl, full);
        poison_gaps();
        expect_unchanged(0, 0, "a rejected region");
        return 0;
    }
    EXPECT(fits != MUST_FAIL && ovl != MUST_WORK && !full,
           "%s(arena + %zu, %zu) accepted: fits %d, overlaps %d, full %d (0 no, 1 maybe, 2 yes)",
           is_init ? "listheap_init" : "listheap_add_region", (size_t)(start - g_arena), size,
           (int)fits, (int)ovl, full);
    if (is_init) {
        struct shadow_region reg = {start, size};
        SH(shadow_set_regions(&g_sh, &reg, 1));
        g_expect_total = 0;
        struct listheap_stats st = get_stats();
        EXPECT(st.allocations == 0 && st.frees == 0 && st.failures == 0 && st.faults == 0 &&
                   st.live_blocks == 0 && st.used_bytes == 0 && st.peak_used_bytes == 0 &&
                   st.regions == 1 && st.free_blocks == 1 && st.free_bytes == st.total_bytes,
               "listheap_init did not start afresh: allocations %zu frees %zu failures %zu "
               "faults %zu live %zu used %zu peak %zu regions %zu free blocks %zu",
               st.allocations, st.frees, st.failures, st.faults, st.live_blocks, st.used_bytes,
               st.peak_used_bytes, st.regions, st.free_blocks);
    } else {
        SH(shadow_add_region(&g_sh, start, size));
    }
    poison_gaps();
    g_spans[g_sh.region_count - 1] = sp;
    g_expect_total += (size_t)(sp.end - sp.first);
    EXPECT(hooks.oom_calls == g_st.oom_before && hooks.fault_calls == g_st.fault_before,
           "a region call called a hook");
    return 1;
}

/* One region spec of the input (see the format at the top). */
static void decode_region(struct reader *r, unsigned char **start, size_t *size) {
    unsigned m = u8(r);
    size_t off = u16(r) | (size_t)((m >> 3) & 3u) << 16;
    size_t sz;
    switch (m & 7u) {
    case 0:
        sz = u8(r) % 64u;
        break;
    case 1:
        sz = u8(r);
        break;
    case 2:
        sz = u16(r) % 4096u;
        break;
    case 3:
        sz = u16(r);
        break;
    case 4:
        sz = u24(r) % (ARENA_BYTES + 1);
        break;
    case 5:
    case 6: {
        sz = u16(r);
        unsigned which = u8(r);
        if (g_sh.region_count == 0) {
            break;
        }
        const struct shadow_region *t = &g_sh.regions[which % g_sh.region_count];
        size_t toff = (size_t)(t->start - g_arena);
        if ((m & 7u) == 5) {
            off = toff + off % t->size; /* inside it */
        } else {
            off = toff + t->size + off % 16u; /* right after it */
        }
        break;
    }
    default:
        sz = ARENA_BYTES;
        break;
    }
    off %= ARENA_BYTES;
    if (sz > ARENA_BYTES - off) {
        sz = ARENA_BYTES - off;
    }
    *start = g_arena + off;
    *size = sz;
}

static void op_add_region(struct reader *r) {
    unsigned char *start;
    size_t size;
    decode_region(r, &start, &size);
    try_region(start, size, 0, "while live");
}

static void op_init_busy(struct reader *r, unsigned v) {
    unsigned char *start;
    size_t size;
    decode_region(r, &start, &size);
    int busy = g_sh.count > 0;
    int valid = region_fits(start, size, &(struct span){0, 0}) == MUST_WORK;
    note("step %u: listheap_init(arena + %zu, %zu) with %zu live blocks", g_step,
         (size_t)(start - g_arena), size, g_sh.count);
    if (!busy) {
        return; /* a real re-init: only at the start of an input */
    }
    if (v & 1u) {
        start = NULL; /* E_NULL or E_BUSY */
        valid = 0;
    }
    snapshot();
    int rc = listheap_init(start, size);
    EXPECT(rc == LISTHEAP_E_BUSY || (!valid && rc != LISTHEAP_OK),
           "listheap_init(%p, %zu) with %zu live blocks returned %d, expected E_BUSY (%d)",
           (void *)start, size, g_sh.count, rc, LISTHEAP_E_BUSY);
    expect_unchanged(0, 0, "listheap_init while blocks are live");
}

static void op_nulls(struct reader *r, unsigned v) {
    unsigned k = u8(r);
    switch (v & 3u) {
    case 0:
        note("step %u: free(NULL)", g_step);
        snapshot();
        listheap_free(NULL);
        expect_unchanged(0, 0, "free(NULL)");
        break;
    case 1: {
        note("step %u: usable_size(NULL)", g_step);
        size_t u = listheap_usable_size(NULL);
        EXPECT(u == 0, "usable_size(NULL) = %zu", u);
        expect_unchanged(0, 0, "usable_size(NULL)");
        break;
    }
    default:
        if (g_sh.count == 0) {
            break;
        }
        /* realloc(p, 0) frees p */
        size_t i = k % g_sh.count;
        void *p = g_sh.e[i].ptr;
        size_t size = g_sh.e[i].size;
        note("step %u: realloc(%p, 0) (size %zu)", g_step, p, size);
        verify_one(i);
        errno = EDOM;
        void *q = listheap_realloc(p, 0);
        EXPECT(q == NULL && errno == EDOM, "realloc(%p, 0) = %p, errno %d", p, q, errno);
        shadow_remove(&g_sh, i);
        expect_freed("realloc(p, 0)");
        g_stale = p;
        g_stale_size = size;
        break;
    }
}

static void op_usable(struct reader *r) {
    size_t i = pick_live(r);
    void *p = g_sh.e[i].ptr;
    note("step %u: usable_size(%p) (size %zu)", g_step, p, g_sh.e[i].size);
    size_t u = listheap_usable_size(p);
    EXPECT(u >= g_sh.e[i].size && u >= g_sh.e[i].fill,
           "usable_size(%p) = %zu, size %zu, usable was %zu", p, u, g_sh.e[i].size,
           g_sh.e[i].fill);
    expect_unchanged(0, 0, "usable_size of a live block");
}

static void op_reset_peak(void) {
    note("step %u: reset_peak", g_step);
    listheap_reset_peak();
    struct listheap_stats now = get_stats();
    EXPECT(now.peak_used_bytes == now.used_bytes, "reset_peak: peak %zu, used %zu",
           now.peak_used_bytes, now.used_bytes);
    g_st.before.peak_used_bytes = now.peak_used_bytes;
    expect_unchanged(0, 0, "reset_peak");
}

/* Operations that must leave the heap as it was keep the stale pointer valid. */
static int keeps_stale(unsigned op) {
    return op == OP_USABLE || op == OP_HUGE || op == OP_FOREIGN || op == OP_MISALIGNED_LIVE ||
           op == OP_MISALIGNED_REGION || op == OP_STALE || op == OP_INIT_BUSY ||
           op == OP_RESET_PEAK;
}

static void run_op(struct reader *r) {
    unsigned b = u8(r);
    unsigned op = OP_TABLE[b & 31u], v = b >> 5;
    int allocates = op == OP_MALLOC || op == OP_CALLOC || op == OP_REALLOC_NULL ||
                    op == OP_MEMALIGN || op == OP_LARGEST;
    int needs_live = op == OP_REALLOC || op == OP_FREE || op == OP_USABLE ||
                     op == OP_MISALIGNED_LIVE;
    if (allocates && g_sh.count >= LIVE_CAP) {
        op = OP_FREE; /* keep the live set bounded */
    }
    if (needs_live && g_sh.count == 0) {
        op = OP_MALLOC;
    }
    if (!keeps_stale(op)) {
        g_stale = NULL;
    }
    begin_step();
    int full = 0;
    switch (op) {
    case OP_MALLOC:
        do_malloc(decode_size(r));
        break;
    case OP_CALLOC:
        op_calloc(r, v);
        break;
    case OP_REALLOC:
        op_realloc(r);
        break;
    case OP_REALLOC_NULL:
        op_realloc_null(r);
        break;
    case OP_MEMALIGN:
        op_memalign(r);
        break;
    case OP_FREE:
        do_free_index(pick_live(r), "free");
        break;
    case OP_USABLE:
        op_usable(r);
        break;
    case OP_LARGEST:
        op_largest(v);
        break;
    case OP_HUGE:
        op_huge(r, v);
        break;
    case OP_FOREIGN:
        op_foreign(r, v);
        full = 1;
        break;
    case OP_MISALIGNED_LIVE:
        op_misaligned_live(r, v);
        full = 1;
        break;
    case OP_MISALIGNED_REGION:
        op_misaligned_region(r, v);
        full = 1;
        break;
    case OP_STALE:
        op_stale(r, v);
        full = 1;
        break;
    case OP_INIT_BUSY:
        op_init_busy(r, v);
        full = 1;
        break;
    case OP_ADD_REGION:
        op_add_region(r);
        break;
    case OP_NULLS:
        op_nulls(r, v);
        break;
    default:
        op_reset_peak();
        break;
    }
    after_step(full);
}

/* ------------------------------------------------------------------ one input */

static void set_up_layout(struct reader *r) {
    unsigned h = u8(r);
    unsigned n = 1 + (h & 3u);
    int have_heap = 0;
    if (h & 0x10u) {
        begin_step();
        int rc = listheap_init(NULL, 4096);
        note("init(NULL, 4096) = %d", rc);
        EXPECT(rc == LISTHEAP_E_NULL, "listheap_init(NULL, 4096) = %d, expected E_NULL", rc);
        expect_unchanged(0, 0, "listheap_init(NULL)");
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned char *start;
        size_t size;
        decode_region(r, &start, &size);
        if (try_region(start, size, !have_heap, "layout")) {
            have_heap = 1;
        }
    }
    if (!have_heap) {
        /* Nothing usable in the input: a plain 64 KiB heap at an odd offset. */
        CHECK(try_region(g_arena + 1, 65536, 1, "fallback"));
    }
    if (h & 0x04u) {
        begin_step();
        int rc = listheap_add_region(NULL, 4096);
        note("add_region(NULL, 4096) = %d", rc);
        EXPECT(rc == LISTHEAP_E_NULL, "listheap_add_region(NULL, 4096) = %d, expected E_NULL",
               rc);
        expect_unchanged(0, 0, "listheap_add_region(NULL)");
    }
    if (h & 0x08u) {
        begin_step();
        size_t size = SIZE_MAX - (h >> 5);
        int rc = listheap_add_region(g_arena + 64, size);
        note("add_region(arena + 64, SIZE_MAX - %u) = %d", h >> 5, rc);
        EXPECT(rc == LISTHEAP_E_WRAP, "listheap_add_region(arena + 64, %zu) = %d, expected E_WRAP",
               size, rc);
        expect_unchanged(0, 0, "listheap_add_region that wraps");
    }
    heap_ok();
    track_stats();
    track_walk();
}

static void free_everything(void) {
    note("end: free %zu blocks", g_sh.count);
    while (g_sh.count > 0) {
        size_t i = g_sh.count - 1;
        begin_step();
        SH(shadow_verify(&g_sh, i));
        void *p = g_sh.e[i].ptr;
        listheap_free(p);
        shadow_remove(&g_sh, i);
        expect_freed("free at the end");
    }
    heap_ok();
    track_stats();
    track_walk();
    struct listheap_stats st = get_stats();
    EXPECT(st.free_blocks == st.regions && st.used_bytes == 0 && st.live_blocks == 0 &&
               st.free_bytes == st.total_bytes,
           "after freeing everything: %zu free blocks in %zu regions, used %zu, live %zu",
           st.free_blocks, st.regions, st.used_bytes, st.live_blocks);
    EXPECT(st.largest_free_block > 0, "an empty heap guarantees no allocation at all");
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    g_print_trace = getenv("FUZZ_HEAP_TRACE") != NULL;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct reader r = {data, size, 0};
    if (size == 0) {
        return 0;
    }
    /* Forget the previous input's heap: its regions lie in arena bytes poisoned below. */
    memset(&listheap_heap_, 0, sizeof listheap_heap_);
    shadow_init(&g_sh, 0x1234567u);
    poison_gaps(); /* no region yet: the whole arena */
    g_expect_total = 0;
    g_stale = NULL;
    g_step = 0;
    g_trace_next = 0;
    g_snap_budget = SNAPSHOT_BUDGET;
    set_up_layout(&r);
    for (g_step = 1; g_step <= MAX_STEPS && r.i < r.n; g_step++) {
        run_op(&r);
    }
    free_everything();
    ASAN_UNPOISON_MEMORY_REGION(g_arena, ARENA_BYTES);
    if (getenv("FUZZ_HEAP_VERBOSE")) {
        fprintf(stderr, "fuzz_heap: %u steps, %zu regions, %lu blocks, %lu NULLs, %lu faults\n",
                g_step - 1, g_sh.region_count, g_count_ok, g_count_null, g_count_fault);
    }
    g_count_ok = g_count_null = g_count_fault = 0;
    return 0;
}
