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
 * static array. Corruption ops (OP_CORRUPT, OP_BAD_FREE below) then damage the heap's bytes as
 * a buggy application would; from the first of them on, the input runs in post-corruption
 * mode (see "corruption" below): every call is still made, but only containment, crashes and
 * hangs (libFuzzer -timeout) are judged.
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
 * CORRUPTION (OP_TABLE slot 4 = OP_CORRUPT, slot 19 = OP_BAD_FREE; variant v = b >> 5).
 * "held block i" is u8 % held blocks, "free block k" u8 % the free blocks that a walk of the
 * regions by their size fields finds (in address order); every write stays inside a region.
 *   OP_CORRUPT v=0    i n m: overflow 1 + n % 64 bytes past block i's usable size (clamped to
 *                     its region): m < 0x80: those bytes follow; else a VALUE, repeated
 *              v=1    i VALUE: the header word of held block i
 *              v=2    k VALUE: the header of free block k, or (k past the free blocks) a
 *                     region's end marker
 *              v=3    r u24 VALUE: the word (u24 % words) words after region r's first block
 *              v=4    k VALUE: free block k's boundary tag
 *              v=5    k sel ...: free block k's link, prev if sel & 1, else next: sel & 0x20: a
 *                     VALUE as it is; else TARGET kind (sel >> 2) & 7, stored as the allocator
 *                     stores links, or (sel & 2) as the plain address
 *              v=6    i k sel j VALUE TARGET TARGET: forge a free node inside held block i, 8j
 *                     bytes in: header VALUE (its current value: the bytes to the block's end),
 *                     next TARGET kind (sel >> 1) & 7, prev kind (sel >> 4) & 7, and the tag if
 *                     it fits in block i; then free block k's link (prev if sel & 1) points at it
 *              v=7    r u24 mask: XOR one byte, (u24 % size) into raw region r, with mask (0:
 *                     0x80)
 *   OP_BAD_FREE       i f: v < 4: held block i + 8 * (1 + f % (usable / 8)), an 8-aligned
 *                     interior pointer; f & 0x80: a VALUE is written in the word before it
 *                     first; v >= 4: the (i % n)-th newest of the last n <= 16 pointers given
 *                     back (none yet: held block i is freed first). Then v & 3: 0 free,
 *                     1 realloc(p, SIZE), 2 usable_size, 3 realloc(p, 0)
 *   VALUE             t, by t >> 5: 0 t & 31 (0, 1, flag bits); 1 SIZE_MAX - (t & 31); 2 the
 *                     current value +- 8 * (1 + (t & 15)) (minus if t & 16), flags kept; 3 the
 *                     distance to the region's end marker + 8 * (t & 3), flags t >> 2; 4 u8 j:
 *                     the distance to the (j % n)-th later block header, flags t & 7; 5 u16;
 *                     6 u24; 7 W bytes (a word as it is)
 *   TARGET            kind, then u8 k and: 0 NULL; 1 u24: arena bytes outside every region (else
 *                     a static buffer); 2 8 * (1 + k % 4) past the end marker; 3 the block
 *                     itself; 4 u8 j: held block k's header (j = 0) or 8j bytes into it; 5 free
 *                     block k; 6 the end marker (k odd) or 8 bytes before the first block;
 *                     7 the arena between two regions (else past the highest end marker)
 *   After corruption  the same op bytes, except: realloc i SIZE; calloc (v & 1: u8 % 17, else
 *                     1) x SIZE; huge u8 (malloc, or memalign(64) if v & 1, of SIZE_MAX - u8 %
 *                     64); foreign u24 then OP_BAD_FREE's call v & 3; misaligned i u8 (p + 1 +
 *                     u8 % 7, call v & 3); stale = OP_BAD_FREE v | 4; init / add_region as a
 *                     region spec; nulls u8.
 *
 * MISUSE generated (all must be reported by listheap_fault_hook, exactly once, with the right
 * kind, and change nothing): double free / realloc / usable_size of the block freed by the
 * latest step that changed the heap (its header still says free: a stale pointer whose memory
 * may have been handed out again is never generated), foreign pointers (stack, a static buffer, arena bytes outside every region),
 * p+1..p+7 inside a live block and misaligned pointers anywhere inside a region,
 * listheap_init while blocks are live (E_BUSY), overlapping / too-small / full add_region.
 * Before the first corruption op, never generated: 8-aligned interior pointers, writes outside
 * a block, stale pointers whose block may have been handed out again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "block.h" /* the block layout and listheap_heap_: what the corruption ops aim at */
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

/* Pointers given back during the input (for double frees after corruption), newest at
 * g_freed_next - 1. */
#define FREED_RING 16u
static void *g_freed[FREED_RING];
static unsigned g_freed_count, g_freed_next;

static void remember_freed(void *p) {
    g_freed[g_freed_next] = p;
    g_freed_next = (g_freed_next + 1u) % FREED_RING;
    if (g_freed_count < FREED_RING) {
        g_freed_count++;
    }
}

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
    remember_freed(p);
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
    OP_CORRUPT,
    OP_BAD_FREE,
};

static const unsigned char OP_TABLE[32] = {
    OP_MALLOC,       OP_MALLOC,          OP_MALLOC,         OP_MALLOC,        OP_CORRUPT,
    OP_CALLOC,       OP_CALLOC,          OP_REALLOC,        OP_REALLOC,       OP_REALLOC,
    OP_REALLOC,      OP_REALLOC_NULL,    OP_MEMALIGN,       OP_MEMALIGN,      OP_MEMALIGN,
    OP_FREE,         OP_FREE,            OP_FREE,           OP_FREE,          OP_BAD_FREE,
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
        remember_freed(old);
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
    /* in place: the same pointer, or a lower one after growing into the free predecessor
     * (track_resize checked that the contents came along) */
    EXPECT(dalloc == dfrees && dalloc <= 1 &&
               (p == old || (unsigned char *)p < (unsigned char *)old || dalloc == 1),
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
        remember_freed(old);
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
        remember_freed(p);
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

/* ------------------------------------------------------------------ corruption */
/*
 * The first OP_CORRUPT or OP_BAD_FREE switches the input to post-corruption mode for the rest
 * of its steps (enter_corrupted): the heap's bytes are no longer what the allocator wrote, so
 * the shadow model and the exact-effect checks are dropped. What listheap still owes the
 * application is the hardening guarantee: no call reads or writes outside the regions it was
 * given (ASan reports it: the arena between regions is poisoned), none loops forever
 * (libFuzzer's -timeout) or crashes, and every block it hands out lies wholly inside one region
 * (checked by accept_block before the harness writes to it). Blocks handed out twice are
 * allowed: overlap inside the regions is the worst a corrupted heap may give.
 *
 * The harness keeps its own list of the blocks it holds (g_own) and makes every public call on
 * them; the corruption ops write only bytes inside the regions.
 */

/* A block the application holds after corruption: it may write [ptr, ptr + room). */
struct owned {
    unsigned char *ptr;
    size_t room;
};

static int g_corrupted;
static struct owned g_own[LIVE_CAP + 1];
static size_t g_own_count;
static struct listheap_check_cursor g_cursor;

static size_t load_word(const unsigned char *p) {
    size_t v;
    memcpy(&v, p, W);
    return v;
}

static void store_word(unsigned char *p, size_t v) {
    memcpy(p, &v, W);
}

/* The accepted region (raw bounds, as given) holding [p, p + n), or -1. */
static int raw_region_of(const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p;
    for (size_t i = 0; i < g_sh.region_count; i++) {
        uintptr_t s = (uintptr_t)g_sh.regions[i].start, e = s + g_sh.regions[i].size;
        if (a >= s && a <= e && n <= e - a) {
            return (int)i;
        }
    }
    return -1;
}

/* The heap's own (trimmed) region holding p, or NULL. */
static const struct region *heap_region_of(const unsigned char *p) {
    for (unsigned i = 0; i < listheap_heap_.region_count; i++) {
        const struct region *rg = &listheap_heap_.regions[i];
        if (p >= rg->first && p <= rg->end) {
            return rg;
        }
    }
    return NULL;
}

/* A free-list link as the allocator stores it (encoded with the heap's secret). */
static size_t link_value(const void *p) {
    return (size_t)link_encode((const struct free_block *)p);
}

/* Write n bytes at p: only ever inside one region (else the op is skipped and says so). */
static int poke(unsigned char *p, const void *bytes, size_t n, const char *what) {
    if (raw_region_of(p, n) < 0) {
        note("step %u: corrupt %s at %p: not inside a region, skipped", g_step, what, (void *)p);
        return 0;
    }
    memcpy(p, bytes, n);
    return 1;
}

static int poke_word(unsigned char *p, size_t v, const char *what) {
    unsigned char bytes[sizeof(size_t)];
    memcpy(bytes, &v, W);
    if (!poke(p, bytes, W, what)) {
        return 0;
    }
    note("step %u: corrupt %s at %p (arena + %zu) := %#zx", g_step, what, (void *)p,
         (size_t)(p - g_arena), v);
    return 1;
}

/* The blocks as the harness sees them: each region walked from `first` by the size fields, as
 * far as they make sense (the harness reads only region bytes). */
#define SCAN_CAP 1024
static unsigned char *g_blk[SCAN_CAP];
static unsigned char *g_free_blk[SCAN_CAP];
static size_t g_blk_count, g_free_count;

static void scan_blocks(void) {
    g_blk_count = g_free_count = 0;
    for (unsigned i = 0; i < listheap_heap_.region_count; i++) {
        const struct region *rg = &listheap_heap_.regions[i];
        for (unsigned char *b = rg->first; b < rg->end && g_blk_count < SCAN_CAP;) {
            size_t h = load_word(b), s = h & ~FLAG_MASK;
            g_blk[g_blk_count++] = b;
            if (!(h & FLAG_USED)) {
                g_free_blk[g_free_count++] = b;
            }
            if (s < MIN_BLOCK || s > (size_t)(rg->end - b)) {
                break;
            }
            b += s;
        }
    }
}

static unsigned char *pick_free_block(struct reader *r) {
    unsigned k = u8(r);
    return g_free_count ? g_free_blk[k % g_free_count] : NULL;
}

static struct owned *pick_owned(struct reader *r) {
    unsigned k = u8(r);
    return g_own_count ? &g_own[k % g_own_count] : NULL;
}

/* VALUE: a word for a header, tag or size field of the block at `base`, whose current value is
 * `cur` (see the format at the top). */
static size_t decode_value(struct reader *r, unsigned char *base, size_t cur) {
    unsigned t = u8(r), low = t & 31u;
    switch (t >> 5) {
    case 0:
        return low; /* 0, 1 (used, size 0), flag bits, tiny sizes */
    case 1:
        return SIZE_MAX - low;
    case 2: { /* the current size +- k*8, flags kept */
        size_t k = 8u * (1u + (low & 15u));
        return (low & 16u) ? cur - k : cur + k;
    }
    case 3: { /* reaching the end marker (or k*8 past it), flags from the input */
        const struct region *rg = heap_region_of(base);
        size_t span = rg ? (size_t)(rg->end - base) : cur & ~FLAG_MASK;
        return (span + 8u * (low & 3u)) | (low >> 2);
    }
    case 4: { /* reaching a later block's header, flags from the input */
        unsigned j = u8(r);
        size_t later = 0, n = 0;
        for (size_t i = 0; i < g_blk_count; i++) {
            if (g_blk[i] > base && heap_region_of(g_blk[i]) == heap_region_of(base)) {
                n++;
            }
        }
        for (size_t i = 0, seen = 0; n && i < g_blk_count; i++) {
            if (g_blk[i] > base && heap_region_of(g_blk[i]) == heap_region_of(base) &&
                seen++ == j % n) {
                later = (size_t)(g_blk[i] - base);
            }
        }
        return later | (low & 7u);
    }
    case 5:
        return u16(r);
    case 6:
        return u24(r);
    default: {
        size_t v = 0;
        for (size_t i = 0; i < W; i++) {
            v |= (size_t)u8(r) << (8 * i);
        }
        return v;
    }
    }
}

/* Some address outside every region: the arena between regions, or the static buffer. */
static unsigned char *outside_address(struct reader *r) {
    unsigned char *p = arena_gap(u24(r));
    if (p == NULL) {
        p = g_foreign + 64;
    }
    return p;
}

/* Round p so that it could be a block: the payload after its header word is 8-aligned. */
static unsigned char *as_block_address(unsigned char *p) {
    uintptr_t a = (uintptr_t)p;
    return (unsigned char *)(((a + W) & ~(uintptr_t)7u) - W);
}

/* A link target: see LINK in the format. */
static unsigned char *link_target(struct reader *r, unsigned kind, unsigned char *fb) {
    unsigned k = u8(r);
    switch (kind) {
    case 0:
        return NULL;
    case 1:
        return as_block_address(outside_address(r));
    case 2: { /* past the end marker of its region (outside it, or in a later region) */
        const struct region *rg = heap_region_of(fb);
        return rg ? rg->end + 8u * (1u + k % 4u) : fb;
    }
    case 3:
        return fb;
    case 4: { /* inside a live block: its header (k = 0) or any 8-aligned step into it */
        struct owned *o = g_own_count ? &g_own[k % g_own_count] : NULL;
        if (o == NULL) {
            return fb;
        }
        unsigned steps = (unsigned)(o->room / 8u) + 1u;
        return as_block_address(o->ptr - W + 8u * (u8(r) % steps));
    }
    case 5:
        return g_free_count ? g_free_blk[k % g_free_count] : fb;
    case 6: { /* the end marker, or the word before the first block */
        const struct region *rg = heap_region_of(fb);
        return rg ? ((k & 1u) ? rg->end : rg->first - 8u) : fb;
    }
    default: /* a gap between two regions, else just past the highest end marker */
        for (unsigned i = 0; i < listheap_heap_.region_count; i++) {
            unsigned char *after = listheap_heap_.regions[i].end + W + 8u;
            if (raw_region_of(after, 1) < 0 && after < listheap_heap_.hi) {
                return as_block_address(after + 8u * (k % 4u));
            }
        }
        return listheap_heap_.hi + 8u;
    }
}

/* OP_CORRUPT 0: overflow 1..64 bytes past a held block's usable size. */
static void corrupt_overflow(struct reader *r) {
    struct owned *o = pick_owned(r);
    size_t n = 1u + u8(r) % 64u;
    unsigned m = u8(r);
    unsigned char bytes[64 + sizeof(size_t)];
    if (o == NULL) {
        return;
    }
    unsigned char *dst = o->ptr + o->room;
    int ri = raw_region_of(dst, 0);
    if (ri < 0) {
        return;
    }
    size_t avail = (size_t)(g_sh.regions[ri].start + g_sh.regions[ri].size - dst);
    n = n < avail ? n : avail;
    if (m < 0x80) {
        for (size_t i = 0; i < n; i++) {
            bytes[i] = (unsigned char)u8(r);
        }
    } else {
        size_t cur = avail >= W ? load_word(dst) : 0;
        size_t v = decode_value(r, dst, cur);
        for (size_t i = 0; i < n; i += W) {
            memcpy(bytes + i, &v, W);
        }
    }
    note("step %u: corrupt: %zu bytes past the usable %zu of %p (0x%02x...)", g_step, n, o->room,
         (void *)o->ptr, n ? bytes[0] : 0);
    poke(dst, bytes, n, "overflow");
}

/* OP_CORRUPT 6: lay out a free block inside a held block and link a free block to it. */
static void corrupt_forge(struct reader *r) {
    struct owned *o = pick_owned(r);
    unsigned char *fb = pick_free_block(r);
    unsigned sel = u8(r), k = u8(r);
    if (o == NULL || fb == NULL) {
        return;
    }
    size_t lead = (8u - W % 8u) % 8u; /* node + W must be 8-aligned: the payload is */
    if (o->room < lead + 3 * W) {
        return;
    }
    unsigned char *node = o->ptr + lead + 8u * (k % ((o->room - lead - 3 * W) / 8u + 1u));
    size_t fits = (size_t)(o->ptr + o->room - node) & ~(size_t)7u;
    size_t size = decode_value(r, node, fits);
    unsigned char *next = link_target(r, (sel >> 1) & 7u, fb);
    unsigned char *prev = link_target(r, (sel >> 4) & 7u, fb);
    note("step %u: corrupt: forged free node %p (size %#zx, next %p, prev %p) in %p, linked from "
         "the %s of %p", g_step, (void *)node, size, (void *)next, (void *)prev, (void *)o->ptr,
         (sel & 1u) ? "prev" : "next", (void *)fb);
    store_word(node, size);
    store_word(node + offsetof(struct free_block, next_link), link_value(next));
    store_word(node + offsetof(struct free_block, prev_link), link_value(prev));
    if (size >= W && size - W <= (size_t)(o->ptr + o->room - node) - W) {
        store_word(node + size - W, size); /* its boundary tag, when it fits */
    }
    poke_word(fb + ((sel & 1u) ? offsetof(struct free_block, prev_link)
                               : offsetof(struct free_block, next_link)),
              link_value(node), "link to the forged node");
}

static void op_corrupt(struct reader *r, unsigned v) {
    scan_blocks();
    switch (v) {
    case 0:
        corrupt_overflow(r);
        break;
    case 1: { /* a held block's header */
        struct owned *o = pick_owned(r);
        if (o && raw_region_of(o->ptr - W, W) >= 0) {
            poke_word(o->ptr - W, decode_value(r, o->ptr - W, load_word(o->ptr - W)),
                      "header of a live block");
        }
        break;
    }
    case 2: { /* a free block's header, or an end marker */
        unsigned k = u8(r);
        size_t n = g_free_count + listheap_heap_.region_count;
        unsigned char *b = k % n < g_free_count ? g_free_blk[k % n]
                                                : listheap_heap_.regions[k % n - g_free_count].end;
        poke_word(b, decode_value(r, b, load_word(b)), "header of a free block / end marker");
        break;
    }
    case 3: { /* any word-aligned word of a region's blocks */
        unsigned k = u8(r);
        size_t idx = u24(r);
        const struct region *rg = &listheap_heap_.regions[k % listheap_heap_.region_count];
        unsigned char *p = rg->first + W * (idx % ((size_t)(rg->end - rg->first) / W + 1u));
        poke_word(p, decode_value(r, p, load_word(p)), "word");
        break;
    }
    case 4: { /* a free block's boundary tag */
        unsigned char *fb = pick_free_block(r);
        if (fb == NULL) {
            break;
        }
        size_t s = load_word(fb) & ~FLAG_MASK;
        const struct region *rg = heap_region_of(fb);
        if (rg && s >= MIN_BLOCK && s <= (size_t)(rg->end - fb)) {
            poke_word(fb + s - W, decode_value(r, fb, load_word(fb + s - W)), "boundary tag");
        }
        break;
    }
    case 5: { /* a free block's next or prev link */
        unsigned char *fb = pick_free_block(r);
        unsigned sel = u8(r);
        if (fb == NULL) {
            break;
        }
        size_t field = (sel & 1u) ? offsetof(struct free_block, prev_link)
                                  : offsetof(struct free_block, next_link);
        if (raw_region_of(fb + field, W) < 0) {
            break; /* a damaged "free block" within a word or two of its region's end: its
                      link fields would lie outside the memory the application owns */
        }
        size_t word;
        if (sel & 0x20u) {
            word = decode_value(r, fb, load_word(fb + field)); /* a raw word */
        } else {
            unsigned char *t = link_target(r, (sel >> 2) & 7u, fb);
            word = (sel & 2u) ? (size_t)(uintptr_t)t : link_value(t);
        }
        poke_word(fb + field, word, (sel & 1u) ? "prev link" : "next link");
        break;
    }
    case 6:
        corrupt_forge(r);
        break;
    default: { /* flip bits of one byte anywhere in a raw region */
        unsigned k = u8(r);
        size_t off = u24(r);
        unsigned mask = u8(r);
        const struct shadow_region *reg = &g_sh.regions[k % g_sh.region_count];
        if (reg->size == 0) {
            break;
        }
        unsigned char *p = reg->start + off % reg->size;
        unsigned char b = (unsigned char)(*p ^ (mask ? mask : 0x80u));
        note("step %u: corrupt: byte at %p (arena + %zu) 0x%02x -> 0x%02x", g_step, (void *)p,
             (size_t)(p - g_arena), *p, b);
        poke(p, &b, 1, "bit flip");
        break;
    }
    }
}

/* ------------------------------------------------------------------ after corruption */

static void own_add(unsigned char *p, size_t room) {
    if (g_own_count < sizeof g_own / sizeof g_own[0]) {
        g_own[g_own_count].ptr = p;
        g_own[g_own_count].room = room;
        g_own_count++;
    }
}

static void own_remove(struct owned *o) {
    *o = g_own[--g_own_count];
}

/* The switch to post-corruption mode: the blocks the shadow knows become the held blocks. */
static void enter_corrupted(void) {
    if (g_corrupted) {
        return;
    }
    note("step %u: the heap is corrupted from here on: only containment is checked", g_step);
    g_corrupted = 1;
    g_own_count = 0;
    for (size_t i = 0; i < g_sh.count; i++) {
        own_add(g_sh.e[i].ptr, g_sh.e[i].fill);
    }
}

/* A block that a call returned for n bytes: it (and its usable size, if the allocator still
 * reports one) must lie wholly inside one region; then the application uses it. */
static void accept_block(void *p, size_t n, const char *what) {
    if (p == NULL) {
        return;
    }
    size_t usable = listheap_usable_size(p);
    size_t room = n > usable ? n : usable;
    note("step %u: %s = %p (usable %zu)", g_step, what, p, usable);
    if (raw_region_of(p, room ? room : 1) < 0) {
        die("after corruption, %s returned %p for %zu bytes (usable_size %zu): the block is not "
            "wholly inside one region", what, p, n, usable);
    }
    memset(p, (int)(0x40u + g_step % 64u), n); /* the application writes what it asked for */
    own_add(p, room);
}

/* A usable size reported for a pointer the application holds: those bytes must be in a region. */
static void accept_usable(const void *p, size_t u, const char *what) {
    if (u && raw_region_of(p, u) < 0) {
        die("after corruption, usable_size(%p) = %zu (%s): not inside one region", p, u, what);
    }
}

/* free / realloc(p, n) / usable_size / realloc(p, 0) of any pointer, after corruption. */
static void misuse_corrupted(void *ptr, unsigned how, struct reader *r, const char *what) {
    switch (how & 3u) {
    case 0:
        note("step %u: free(%p) [%s]", g_step, ptr, what);
        listheap_free(ptr);
        break;
    case 1: {
        size_t n = decode_size(r);
        note("step %u: realloc(%p, %zu) [%s]", g_step, ptr, n, what);
        accept_block(listheap_realloc(ptr, n), n, "realloc of a bad pointer");
        break;
    }
    case 2: {
        size_t u = listheap_usable_size(ptr);
        note("step %u: usable_size(%p) = %zu [%s]", g_step, ptr, u, what);
        accept_usable(ptr, u, what);
        break;
    }
    default:
        note("step %u: realloc(%p, 0) [%s]", g_step, ptr, what);
        (void)listheap_realloc(ptr, 0);
        break;
    }
}

/* OP_BAD_FREE: an 8-aligned interior pointer of a held block (v < 4; its word before may be
 * made to look like a header), or a pointer given back earlier (v >= 4). */
static void op_bad_free(struct reader *r, unsigned v) {
    unsigned k = u8(r), f = u8(r);
    void *ptr;
    const char *what;
    if (v < 4) {
        if (g_own_count == 0) {
            return;
        }
        struct owned *o = &g_own[k % g_own_count];
        size_t steps = o->room / 8u;
        unsigned char *p = o->ptr + 8u * (1u + f % (steps ? steps : 1u));
        if (f & 0x80u && p + 8u <= o->ptr + o->room) {
            /* the application's own bytes: a forged header in front of the interior pointer */
            size_t h = decode_value(r, p - W, load_word(p - W));
            note("step %u: forged header %#zx at %p inside %p", g_step, h, (void *)(p - W),
                 (void *)o->ptr);
            store_word(p - W, h);
        }
        ptr = p;
        what = "interior pointer";
    } else {
        if (g_freed_count == 0) {
            if (g_own_count == 0) {
                return;
            }
            struct owned *o = &g_own[k % g_own_count];
            note("step %u: free(%p)", g_step, (void *)o->ptr);
            listheap_free(o->ptr);
            remember_freed(o->ptr);
            own_remove(o);
        }
        ptr = g_freed[(g_freed_next + FREED_RING - 1u - k % g_freed_count) % FREED_RING];
        what = "pointer given back before";
    }
    misuse_corrupted(ptr, v, r, what);
}

static void visit_nothing(void *ctx, void *payload, size_t size, int used) {
    (void)ctx;
    (void)payload;
    (void)size;
    (void)used;
}

static void leak_nothing(void *ctx, const void *caller, size_t blocks, size_t bytes) {
    (void)ctx;
    (void)caller;
    (void)blocks;
    (void)bytes;
}

/* After every step of a corrupted input: the read-only views must survive the heap (ASan and
 * the timeout judge them; their results are not). */
static void survey(void) {
    struct listheap_stats st;
    listheap_get_stats(&st);
    (void)listheap_check();
    (void)listheap_check_step(&g_cursor, 1u + g_step % 5u);
    listheap_walk(visit_nothing, NULL);
    if (g_step % 4u == 0) {
        listheap_report_leaks(leak_nothing, NULL);
    }
}

/* One step of a corrupted input: the same operations, with only containment checked. */
static void run_op_corrupted(struct reader *r, unsigned op, unsigned v) {
    int allocates = op == OP_MALLOC || op == OP_CALLOC || op == OP_REALLOC_NULL ||
                    op == OP_MEMALIGN || op == OP_LARGEST || op == OP_HUGE;
    if (allocates && g_own_count >= LIVE_CAP) {
        op = OP_FREE;
    }
    if ((op == OP_REALLOC || op == OP_FREE || op == OP_USABLE) && g_own_count == 0) {
        op = OP_MALLOC;
    }
    switch (op) {
    case OP_MALLOC: {
        size_t n = decode_size(r);
        note("step %u: malloc(%zu)", g_step, n);
        accept_block(listheap_malloc(n), n, "malloc");
        break;
    }
    case OP_CALLOC: {
        size_t a = v & 1u ? u8(r) % 17u : 1u, b = decode_size(r), n;
        note("step %u: calloc(%zu, %zu)", g_step, a, b);
        void *p = listheap_calloc(a, b);
        accept_block(p, __builtin_mul_overflow(a, b, &n) ? SIZE_MAX : n, "calloc");
        break;
    }
    case OP_REALLOC: {
        struct owned *o = pick_owned(r);
        size_t n = decode_size(r);
        void *old = o->ptr;
        size_t room = o->room;
        note("step %u: realloc(%p, %zu)", g_step, old, n);
        own_remove(o); /* held again below: where the call left it */
        void *p = listheap_realloc(old, n);
        if (p == NULL && n) {
            own_add(old, room);
        } else if (p != old) {
            remember_freed(old);
        }
        accept_block(p, n, "realloc");
        break;
    }
    case OP_REALLOC_NULL: {
        size_t n = decode_size(r);
        note("step %u: realloc(NULL, %zu)", g_step, n);
        accept_block(listheap_realloc(NULL, n), n, "realloc(NULL, n)");
        break;
    }
    case OP_MEMALIGN: {
        size_t a = decode_align(r), n = decode_size(r);
        note("step %u: memalign(%zu, %zu)", g_step, a, n);
        accept_block(listheap_memalign(a, n), n, "memalign");
        break;
    }
    case OP_FREE: {
        struct owned *o = pick_owned(r);
        note("step %u: free(%p)", g_step, (void *)o->ptr);
        listheap_free(o->ptr);
        remember_freed(o->ptr);
        own_remove(o);
        break;
    }
    case OP_USABLE: {
        struct owned *o = pick_owned(r);
        size_t u = listheap_usable_size(o->ptr);
        note("step %u: usable_size(%p) = %zu", g_step, (void *)o->ptr, u);
        accept_usable(o->ptr, u, "a held block");
        break;
    }
    case OP_LARGEST: {
        size_t n = g_st.before.largest_free_block;
        note("step %u: malloc(largest_free_block = %zu)", g_step, n);
        accept_block(listheap_malloc(n), n, "malloc(largest_free_block)");
        break;
    }
    case OP_HUGE: {
        size_t n = SIZE_MAX - u8(r) % 64u;
        note("step %u: malloc(%zu)", g_step, n);
        accept_block(v & 1u ? listheap_memalign(64, n) : listheap_malloc(n), n, "huge request");
        break;
    }
    case OP_FOREIGN:
        misuse_corrupted(outside_address(r), v, r, "foreign pointer");
        break;
    case OP_MISALIGNED_LIVE:
    case OP_MISALIGNED_REGION: {
        unsigned k = u8(r);
        if (g_own_count == 0) {
            break;
        }
        misuse_corrupted(g_own[k % g_own_count].ptr + 1u + u8(r) % 7u, v, r, "misaligned");
        break;
    }
    case OP_STALE:
        op_bad_free(r, 4u | v);
        break;
    case OP_INIT_BUSY:
    case OP_ADD_REGION: {
        unsigned char *start;
        size_t size;
        decode_region(r, &start, &size);
        int is_init = op == OP_INIT_BUSY;
        note("step %u: %s(arena + %zu, %zu)", g_step, is_init ? "init" : "add_region",
             (size_t)(start - g_arena), size);
        ASAN_UNPOISON_MEMORY_REGION(start, size);
        int rc = is_init ? listheap_init(start, size) : listheap_add_region(start, size);
        if (rc == LISTHEAP_OK && is_init) { /* a new heap: nothing held is a block any more */
            struct shadow_region reg = {start, size};
            SH(shadow_set_regions(&g_sh, &reg, 1));
            g_own_count = g_freed_count = 0; /* g_cursor is kept: the heap changed, the
                                                 * pass must start over (listheap.h) */
        } else if (rc == LISTHEAP_OK) {
            SH(shadow_add_region(&g_sh, start, size));
        }
        poison_gaps();
        break;
    }
    case OP_NULLS:
        listheap_free(NULL);
        (void)listheap_usable_size(NULL);
        (void)u8(r);
        break;
    case OP_CORRUPT:
        op_corrupt(r, v);
        break;
    case OP_BAD_FREE:
        op_bad_free(r, v);
        break;
    default:
        listheap_reset_peak();
        break;
    }
    survey();
}

/* The end of a corrupted input: give back what is held and survey once more. (The next input
 * starts from a zeroed control block: its listheap_init works whatever the counters say.) */
static void end_corrupted(void) {
    note("end: free %zu held blocks", g_own_count);
    while (g_own_count > 0) {
        listheap_free(g_own[g_own_count - 1].ptr);
        g_own_count--;
    }
    survey();
    listheap_report_leaks(leak_nothing, NULL);
    g_corrupted = 0;
    g_freed_count = g_freed_next = 0;
    memset(&g_cursor, 0, sizeof g_cursor);
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
    if (g_corrupted || op == OP_CORRUPT || op == OP_BAD_FREE) {
        begin_step();
        enter_corrupted();
        run_op_corrupted(r, op, v);
        return;
    }
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

/* The free-list link secret of every heap an input builds (listheap calls the hook at each heap
 * initialisation): a hash of the input, so inputs see different secrets and a replay the same.
 * The corruption ops read the secret back (link_encode) to forge links that a writer who knows
 * it would store. */
static uintptr_t g_secret;

uintptr_t listheap_secret_hook(void) {
    return g_secret;
}

static uintptr_t input_hash(const uint8_t *data, size_t size) {
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < size; i++) {
        h = (h ^ data[i]) * 0x100000001b3u;
    }
    return (uintptr_t)(h ^ (h >> 32));
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
    /* Forget the previous input's heap: after corruption its counters may say blocks are live
     * (listheap_init would be E_BUSY), and its regions lie in arena bytes poisoned below. */
    memset(&listheap_heap_, 0, sizeof listheap_heap_);
    g_secret = input_hash(data, size);
    shadow_init(&g_sh, 0x1234567u);
    poison_gaps(); /* no region yet: the whole arena */
    g_expect_total = 0;
    g_stale = NULL;
    g_freed_count = g_freed_next = 0;
    g_step = 0;
    g_trace_next = 0;
    g_snap_budget = SNAPSHOT_BUDGET;
    set_up_layout(&r);
    for (g_step = 1; g_step <= MAX_STEPS && r.i < r.n; g_step++) {
        run_op(&r);
    }
    if (g_corrupted) {
        end_corrupted();
    } else {
        free_everything();
    }
    ASAN_UNPOISON_MEMORY_REGION(g_arena, ARENA_BYTES);
    if (getenv("FUZZ_HEAP_VERBOSE")) {
        fprintf(stderr, "fuzz_heap: %u steps, %zu regions, %lu blocks, %lu NULLs, %lu faults\n",
                g_step - 1, g_sh.region_count, g_count_ok, g_count_null, g_count_fault);
    }
    g_count_ok = g_count_null = g_count_fault = 0;
    return 0;
}
