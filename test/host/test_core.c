/*
 * The allocator core's specification: one test per public behaviour, named after it.
 * Every test starts from an arena filled with garbage and ends with listheap_check().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "listheap.h"

#define ARENA_BYTES 4096
#define W LISTHEAP_OVERHEAD

static _Alignas(16) unsigned char arena[ARENA_BYTES + 64];
static _Alignas(16) unsigned char arena2[1024];

/* ------------------------------------------------------------ fixture helpers */

/* What a block costs besides the request: the header; in the checked build also at least 4
 * canary bytes and two trailer words (see config.h). */
#if LISTHEAP_DEBUG
#define EXTRA (W + 4u + 2u * W)
#else
#define EXTRA W
#endif

static size_t block_for(size_t n) {
    size_t b = (n + EXTRA + 7u) & ~(size_t)7u;
    return b < LISTHEAP_MIN_BLOCK ? LISTHEAP_MIN_BLOCK : b;
}

/* listheap_usable_size() of an n-byte request: the whole block in the release build, exactly
 * n in the checked build (the rest is canary). */
static size_t usable_for(size_t n) {
    return LISTHEAP_DEBUG ? n : block_for(n) - W;
}

/* The largest request whose block is exactly `block` bytes. */
static size_t request_for_block(size_t block) {
    return block - EXTRA;
}

static struct listheap_stats stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

static int setup_heap(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof arena; i++)
        arena[i] = (unsigned char)(0xA5u ^ (i * 7u));
    assert_int_equal(listheap_init(arena, ARENA_BYTES), LISTHEAP_OK);
    hooks_reset();
    return 0;
}

static int teardown_heap(void **state) {
    (void)state;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    free_all_live_blocks();
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    assert_int_equal(stats().live_blocks, 0);
    return 0;
}

static unsigned char snapshot[sizeof arena];
static struct listheap_stats snapshot_stats;
static void take_snapshot(void) {
    memcpy(snapshot, arena, sizeof arena);
    snapshot_stats = stats();
}
/* The heap is byte-for-byte as it was, and only `failures` / `faults` moved by the given step. */
static void assert_unchanged_since_snapshot(size_t more_failures, size_t more_faults) {
    assert_memory_equal(snapshot, arena, sizeof arena);
    struct listheap_stats now = stats();
    snapshot_stats.failures += more_failures;
    snapshot_stats.faults += more_faults;
    assert_memory_equal(&now, &snapshot_stats, sizeof now);
}

/* ------------------------------------------------------------ init and regions */

/* Runs first, before any region exists. On the host this program defines no
 * __heap_start/__heap_end, so allocations fail; on the targets (LISTHEAP_TEST_LINKER_HEAP) the
 * linker script defines them and the first allocation initialises the heap from them. */
#ifdef LISTHEAP_TEST_LINKER_HEAP
extern unsigned char __heap_start[], __heap_end[];
static void test_allocation_before_init_uses_linker_heap(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(1);
    assert_non_null(p);
    assert_true(p >= __heap_start && p < __heap_end);
    assert_int_equal(stats().regions, 1);
    listheap_free(p);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}
#else
static void test_allocation_before_init_uses_linker_heap(void **state) {
    (void)state;
    errno = 0;
    assert_null(listheap_malloc(1));
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(listheap_memalign(32, 1));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(hooks.oom_calls, 2);
    struct listheap_stats s = stats();
    assert_int_equal(s.regions, 0);
    assert_int_equal(s.failures, 2);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}
#endif

static void test_init_rejects_null_start(void **state) {
    (void)state;
    assert_int_equal(listheap_init(NULL, 1024), LISTHEAP_E_NULL);
}

static void test_init_rejects_region_too_small_for_one_block(void **state) {
    (void)state;
    assert_int_equal(listheap_init(arena, 8), LISTHEAP_E_TOO_SMALL);
    assert_int_equal(listheap_init(arena, LISTHEAP_MIN_BLOCK), LISTHEAP_E_TOO_SMALL);
    /* the failed calls changed nothing: the fixture's heap is intact */
    assert_int_equal(stats().total_bytes, ARENA_BYTES - 8u);
}

static void test_init_rejects_size_that_wraps_address_space(void **state) {
    (void)state;
    assert_int_equal(listheap_init(arena, SIZE_MAX), LISTHEAP_E_WRAP);
}

static void test_init_trims_misaligned_start_and_size(void **state) {
    (void)state;
    for (size_t skew = 0; skew < 8; skew++) {
        assert_int_equal(listheap_init(arena + skew, 1000 + skew), LISTHEAP_OK);
        struct listheap_stats s = stats();
        assert_true(s.total_bytes <= 1000);
        assert_true(s.total_bytes + W + 14 >= 1000); /* at most 7 + 7 bytes trimmed */
        assert_int_equal(s.free_blocks, 1);
        unsigned char *p = listheap_malloc(s.largest_free_block);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        assert_true(p >= arena + skew && p + s.largest_free_block <= arena + skew + 1000 + skew);
        listheap_free(p);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
    }
}

static void test_init_returns_busy_while_blocks_live(void **state) {
    (void)state;
    void *p = listheap_malloc(40);
    assert_non_null(p);
    take_snapshot();
    assert_int_equal(listheap_init(arena2, sizeof arena2), LISTHEAP_E_BUSY);
    assert_unchanged_since_snapshot(0, 0);
    listheap_free(p);
    assert_int_equal(listheap_init(arena2, sizeof arena2), LISTHEAP_OK);
}

static void test_init_starts_afresh_when_no_block_live(void **state) {
    (void)state;
    listheap_free(listheap_malloc(100));
    assert_non_null(listheap_malloc(SIZE_MAX) == NULL ? arena : NULL);
    assert_int_equal(listheap_init(arena, ARENA_BYTES), LISTHEAP_OK);
    struct listheap_stats s = stats();
    assert_int_equal(s.allocations, 0);
    assert_int_equal(s.frees, 0);
    assert_int_equal(s.failures, 0);
    assert_int_equal(s.peak_used_bytes, 0);
    assert_int_equal(s.regions, 1);
}

static void test_add_region_serves_allocations_from_both_regions(void **state) {
    (void)state;
    assert_int_equal(listheap_add_region(arena2, sizeof arena2), LISTHEAP_OK);
    assert_int_equal(stats().regions, 2);
    int in_second = 0, in_first = 0;
    for (int i = 0; i < 200; i++) {
        unsigned char *p = listheap_malloc(24);
        if (!p)
            break;
        in_second |= p >= arena2 && p < arena2 + sizeof arena2;
        in_first |= p >= arena && p < arena + sizeof arena;
    }
    assert_true(in_first && in_second);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_add_region_rejects_overlap(void **state) {
    (void)state;
    assert_int_equal(listheap_add_region(arena + 1000, 500), LISTHEAP_E_OVERLAP);
    assert_int_equal(listheap_add_region(arena + ARENA_BYTES - 64, 512), LISTHEAP_E_OVERLAP);
    assert_int_equal(listheap_add_region(arena2, sizeof arena2), LISTHEAP_OK);
    assert_int_equal(listheap_add_region(arena2 + 8, 64), LISTHEAP_E_OVERLAP);
    assert_int_equal(stats().regions, 2);
}

static void test_add_region_rejects_more_than_max_regions(void **state) {
    (void)state;
    static _Alignas(8) unsigned char small[LISTHEAP_MAX_REGIONS][64];
    for (unsigned i = 0; i < LISTHEAP_MAX_REGIONS - 1; i++)
        assert_int_equal(listheap_add_region(small[i], sizeof small[i]), LISTHEAP_OK);
    assert_int_equal(listheap_add_region(arena2, sizeof arena2), LISTHEAP_E_FULL);
    assert_int_equal(stats().regions, LISTHEAP_MAX_REGIONS);
}

/* ------------------------------------------------------------ malloc and free */

static void test_malloc_returns_8_aligned_pointer_inside_region(void **state) {
    (void)state;
    for (size_t n = 0; n < 100; n += 3) {
        unsigned char *p = listheap_malloc(n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % LISTHEAP_ALIGNMENT, 0);
        assert_true(p >= arena && p + n <= arena + ARENA_BYTES);
        assert_true(listheap_usable_size(p) >= n);
    }
}

static void test_malloc_zero_returns_unique_freeable_pointer(void **state) {
    (void)state;
    void *a = listheap_malloc(0), *b = listheap_malloc(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    listheap_free(a);
    listheap_free(b);
    assert_int_equal(hooks.fault_calls, 0);
    assert_int_equal(stats().used_bytes, 0);
}

static void test_malloc_block_bytes_are_request_plus_header_rounded_to_8(void **state) {
    (void)state;
    static const size_t requests[] = {0, 1, 7, 12, 16, 17, 100, 1000};
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        size_t before = stats().used_bytes;
        void *p = listheap_malloc(requests[i]);
        assert_non_null(p);
        assert_int_equal(stats().used_bytes - before, block_for(requests[i]));
        assert_int_equal(listheap_usable_size(p), usable_for(requests[i]));
    }
#if SIZE_MAX == UINT32_MAX && !LISTHEAP_DEBUG
    /* The 32-bit figures the header promises. */
    assert_int_equal(block_for(1), 16);
    assert_int_equal(block_for(16), 24);
    assert_int_equal(block_for(100), 104);
#endif
}

static void test_malloc_never_overlaps_live_blocks(void **state) {
    (void)state;
    unsigned char *p[64];
    size_t n[64];
    for (int i = 0; i < 64; i++) {
        n[i] = (size_t)(i * 5 % 37);
        p[i] = listheap_malloc(n[i]);
        assert_non_null(p[i]);
        memset(p[i], i, n[i]);
    }
    for (int i = 0; i < 64; i++)
        for (size_t k = 0; k < n[i]; k++)
            assert_int_equal(p[i][k], i);
}

static void test_malloc_huge_requests_fail_with_enomem_and_change_nothing(void **state) {
    (void)state;
    static const size_t huge[] = {SIZE_MAX,     SIZE_MAX - 1, SIZE_MAX - W,  SIZE_MAX - W - 7,
                                  SIZE_MAX / 2, ARENA_BYTES,  ARENA_BYTES - W};
    void *keep = listheap_malloc(50);
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        take_snapshot();
        errno = 0;
        assert_null(listheap_malloc(huge[i]));
        assert_int_equal(errno, ENOMEM);
        assert_unchanged_since_snapshot(1, 0);
        assert_int_equal(hooks.oom_request, huge[i]);
    }
    assert_int_equal(hooks.oom_calls, sizeof huge / sizeof huge[0]);
    listheap_free(keep);
}

static void test_malloc_largest_free_block_is_guaranteed_to_succeed(void **state) {
    (void)state;
    void *a = listheap_malloc(300), *b = listheap_malloc(40), *c = listheap_malloc(700);
    listheap_malloc(16);
    listheap_free(a);
    listheap_free(c);
    size_t largest = stats().largest_free_block;
    assert_true(largest >= 700);
    void *big = listheap_malloc(largest);
    assert_non_null(big);
    listheap_free(big);
    listheap_free(b);
}

/* Blocks beyond the class range (2 MiB with the defaults) share the last class and still work.
 * Needs a 9 MiB arena: host only (LISTHEAP_TEST_SMALL_RAM on the targets). */
static void test_malloc_serves_blocks_beyond_the_class_range(void **state) {
    (void)state;
#ifdef LISTHEAP_TEST_SMALL_RAM
    skip();
#else
    static _Alignas(8) unsigned char huge_arena[(size_t)9 << 20];
    assert_int_equal(listheap_init(huge_arena, sizeof huge_arena), LISTHEAP_OK);
    void *a = listheap_malloc((size_t)3 << 20), *guard = listheap_malloc(16);
    void *b = listheap_malloc((size_t)4 << 20);
    assert_non_null(a);
    assert_non_null(b);
    listheap_free(a);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    void *c = listheap_malloc((size_t)5 << 19); /* 2.5 MiB: fits in a's old block */
    assert_ptr_equal(c, a);
    assert_true(stats().largest_free_block >= ((size_t)1 << 19));
    listheap_free(c);
    listheap_free(b);
    listheap_free(guard);
    assert_int_equal(stats().free_blocks, 1);
#endif
}

static void test_malloc_failure_calls_oom_hook_then_returns_null(void **state) {
    (void)state;
    size_t n = 0;
    while (listheap_malloc(100))
        n++;
    assert_int_equal(n, stats().total_bytes / block_for(100));
    assert_int_equal(hooks.oom_calls, 1);
    assert_int_equal(hooks.oom_request, 100);
    assert_int_equal(stats().failures, 1);
}

static void test_free_null_does_nothing(void **state) {
    (void)state;
    take_snapshot();
    listheap_free(NULL);
    assert_unchanged_since_snapshot(0, 0);
    assert_int_equal(hooks.fault_calls, 0);
}

static void test_free_makes_memory_reusable_at_same_address(void **state) {
    (void)state;
    void *first = listheap_malloc(12);
    listheap_free(first);
    for (int i = 0; i < 10; i++) {
        void *p = listheap_malloc(12);
        assert_ptr_equal(p, first);
        listheap_free(p);
    }
    assert_int_equal(stats().free_blocks, 1);
}

/* Table-driven: which neighbours are free when the middle block is freed. */
static void test_free_coalesces_with_free_neighbours(void **state) {
    (void)state;
    static const struct {
        const char *name;
        int free_prev, free_next;
        size_t free_blocks_after; /* counting the tail of the arena */
    } cases[] = {
        {"none", 0, 0, 2}, {"previous", 1, 0, 2}, {"next", 0, 1, 2}, {"both", 1, 1, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(listheap_init(arena, ARENA_BYTES), LISTHEAP_OK);
        void *guard0 = listheap_malloc(32);
        void *prev = listheap_malloc(40), *mid = listheap_malloc(48), *next = listheap_malloc(56);
        void *guard1 = listheap_malloc(32);
        if (cases[i].free_prev)
            listheap_free(prev);
        if (cases[i].free_next)
            listheap_free(next);
        size_t before = stats().free_blocks;
        listheap_free(mid);
        size_t merged = (size_t)(cases[i].free_prev + cases[i].free_next);
        print_message("coalesce case %s\n", cases[i].name);
        assert_int_equal(stats().free_blocks, before + 1 - merged);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
        /* the merged span is one block: a request of its full size lands at its start */
        size_t span = block_for(48) + (cases[i].free_prev ? block_for(40) : 0) +
                      (cases[i].free_next ? block_for(56) : 0);
        void *whole = listheap_malloc(request_for_block(span));
        assert_ptr_equal(whole, cases[i].free_prev ? prev : mid);
        listheap_free(whole);
        if (!cases[i].free_prev)
            listheap_free(prev);
        if (!cases[i].free_next)
            listheap_free(next);
        listheap_free(guard0);
        listheap_free(guard1);
        assert_int_equal(stats().free_blocks, 1);
    }
}

/* Both neighbours free, in the same size class, in either order on that class's list: the
 * unlink of one must not leave the other's list position stale. */
static void test_free_coalesces_neighbours_listed_together_in_either_order(void **state) {
    (void)state;
    for (int order = 0; order < 2; order++) {
        assert_int_equal(listheap_init(arena, ARENA_BYTES), LISTHEAP_OK);
        void *guard0 = listheap_malloc(8);
        void *x = listheap_malloc(40), *y = listheap_malloc(40), *z = listheap_malloc(40);
        void *guard1 = listheap_malloc(8);
        listheap_free(order ? z : x); /* the second one freed heads the list */
        listheap_free(order ? x : z);
        listheap_free(y);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
        void *whole = listheap_malloc(request_for_block(3 * block_for(40)));
        assert_ptr_equal(whole, x);
        listheap_free(whole);
        listheap_free(guard0);
        listheap_free(guard1);
        assert_int_equal(stats().free_blocks, 1);
    }
}

static void test_malloc_splits_block_only_when_remainder_holds_a_block(void **state) {
    (void)state;
    /* A hole of exactly block_for(40) + 8 bytes: too little to split off a remainder. */
    void *a = listheap_malloc(40 + 8), *guard = listheap_malloc(16);
    listheap_free(a);
    size_t free_before = stats().free_blocks;
    size_t used_before = stats().used_bytes;
    void *p = listheap_malloc(40);
    assert_ptr_equal(p, a);
    assert_int_equal(stats().used_bytes - used_before, block_for(48)); /* whole hole, no split */
    assert_int_equal(stats().free_blocks, free_before - 1);
    listheap_free(p);
    /* A hole big enough: the remainder becomes a free block. */
    void *big = listheap_malloc(200), *guard2 = listheap_malloc(16);
    listheap_free(big);
    free_before = stats().free_blocks;
    p = listheap_malloc(40);
    assert_ptr_equal(p, big);
    assert_int_equal(listheap_usable_size(p), usable_for(40));
    assert_int_equal(stats().free_blocks, free_before);
    listheap_free(guard);
    listheap_free(guard2);
}

/* ------------------------------------------------------------ invalid pointers */

static void test_free_of_foreign_pointer_reports_fault_and_changes_nothing(void **state) {
    (void)state;
    int on_stack = 0;
    take_snapshot();
    listheap_free(&on_stack);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_FOREIGN);
    assert_ptr_equal(hooks.fault_ptr, &on_stack);
    assert_unchanged_since_snapshot(0, 1);
    listheap_free(arena2 + 16);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_FOREIGN);
}

static void test_free_of_misaligned_pointer_reports_fault(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(32);
    take_snapshot();
    listheap_free(p + 3);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_MISALIGNED);
    assert_unchanged_since_snapshot(0, 1);
    listheap_free(p);
}

static void test_double_free_reports_not_live_and_changes_nothing(void **state) {
    (void)state;
    void *a = listheap_malloc(32), *b = listheap_malloc(32), *c = listheap_malloc(32);
    listheap_free(b);
    take_snapshot();
    listheap_free(b);
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_NOT_LIVE);
    assert_ptr_equal(hooks.fault_ptr, b);
    assert_unchanged_since_snapshot(0, 1);
    listheap_free(a); /* b merged into a's block: b's old header still says free */
    take_snapshot();
    listheap_free(b);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_NOT_LIVE);
    assert_unchanged_since_snapshot(0, 1);
    listheap_free(c);
}

static void test_free_of_interior_pointer_reports_fault(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(64);
    memset(p, 0, 64); /* the word before p + 32 reads as a zero-size, free header */
    take_snapshot();
    listheap_free(p + 32);
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_NOT_LIVE);
    memset(p, 0xFF, 64); /* now it reads as a huge used block */
    take_snapshot();
    listheap_free(p + 32);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_HEADER);
    assert_unchanged_since_snapshot(0, 1);
    listheap_free(p);
}

static void test_realloc_of_invalid_pointer_returns_null_with_einval(void **state) {
    (void)state;
    int on_stack = 0;
    errno = 0;
    assert_null(listheap_realloc(&on_stack, 10));
    assert_int_equal(errno, EINVAL);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_FOREIGN);
}

static void test_realloc_of_freed_block_reports_not_live_and_changes_nothing(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(32), *b = listheap_malloc(32);
    listheap_malloc(8);
    listheap_free(b);
    take_snapshot();
    errno = 0;
    assert_null(listheap_realloc(b, 64));
    assert_int_equal(errno, EINVAL);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_NOT_LIVE);
    assert_ptr_equal(hooks.fault_ptr, b);
    assert_unchanged_since_snapshot(0, 1);
    listheap_free(a);
}

/* A write one byte past what usable_size allows lands in the next block's header (release
 * build) or in the canary (checked build): the check names it, and the damaged neighbour is
 * refused instead of being freed into a corrupt list. */
static void test_overflow_past_usable_size_is_caught(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(24), *q = listheap_malloc(24);
    listheap_malloc(8);
    size_t usable = listheap_usable_size(p);
    unsigned char saved = p[usable];
    p[usable] ^= 0xFF; /* the first byte after the usable bytes */
    assert_int_not_equal(listheap_check(), LISTHEAP_OK);
    take_snapshot();
    listheap_free(LISTHEAP_DEBUG ? (void *)p : (void *)q);
    assert_int_equal(hooks.fault_calls, 1); /* refused, reported */
    assert_unchanged_since_snapshot(0, 1);
    p[usable] = saved;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_usable_size_of_invalid_pointer_is_zero(void **state) {
    (void)state;
    int on_stack = 0;
    assert_int_equal(listheap_usable_size(&on_stack), 0);
    assert_int_equal(listheap_usable_size(NULL), 0);
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(listheap_add_region(NULL, 64), LISTHEAP_E_NULL);
}

static void test_free_detects_damaged_free_list_link_before_following_it(void **state) {
    (void)state;
    void *a = listheap_malloc(32), *b = listheap_malloc(32), *c = listheap_malloc(32);
    (void)c;
    listheap_free(b);
    void **links = b; /* b's payload holds next, prev while free */
    void *saved = links[0];
    links[0] = arena2; /* points outside the heap */
    take_snapshot();
    listheap_free(a); /* would unlink b while coalescing */
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_LINK);
    assert_unchanged_since_snapshot(0, 1);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_LINK);
    links[0] = saved;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(a);
}

static void test_malloc_detects_damaged_link_of_block_it_would_take(void **state) {
    (void)state;
    void *a = listheap_malloc(32), *b = listheap_malloc(32), *c = listheap_malloc(32);
    listheap_free(b); /* alone in its exact class: malloc(32) takes it */
    void **links = b;
    void *saved = links[1];
    links[1] = a; /* b's prev: a live block, whose "next" does not point back */
    take_snapshot();
    errno = 0;
    assert_null(listheap_malloc(32));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_LINK);
    assert_unchanged_since_snapshot(1, 1);
    links[1] = saved;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(a);
    listheap_free(c);
}

static void test_free_detects_header_that_disagrees_with_neighbours(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(32), *b = listheap_malloc(32), *c = listheap_malloc(32);
    size_t *b_header = (size_t *)(void *)(b - W);
    size_t saved = *b_header;
    *b_header = saved | 2u; /* b claims a free predecessor, but a's "tag" is payload */
    memset(a, 0x11, 32);
    take_snapshot();
    listheap_free(b);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_HEADER);
    assert_unchanged_since_snapshot(0, 1);
    *b_header = saved;
    size_t *c_header = (size_t *)(void *)(c - W);
    saved = *c_header;
    *c_header = saved | 2u; /* c claims b is free while b is live */
    listheap_free(b);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_HEADER);
    *c_header = saved;
    listheap_free(a);
    listheap_free(b);
    listheap_free(c);
}

/* ------------------------------------------------------------ realloc */

static void test_realloc_null_is_malloc(void **state) {
    (void)state;
    void *p = listheap_realloc(NULL, 30);
    assert_non_null(p);
    assert_int_equal(stats().live_blocks, 1);
}

static void test_realloc_zero_frees_and_returns_null(void **state) {
    (void)state;
    void *p = listheap_malloc(30);
    errno = 0;
    assert_null(listheap_realloc(p, 0));
    assert_int_equal(errno, 0);
    assert_int_equal(stats().live_blocks, 0);
    assert_int_equal(stats().frees, 1);
}

static void test_realloc_shrinks_in_place_splitting_off_tail(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(200);
    listheap_malloc(16); /* a used successor: the tail must become a block of its own */
    memset(p, 0x5A, 200);
    size_t free_before = stats().free_blocks;
    assert_ptr_equal(listheap_realloc(p, 50), p);
    assert_int_equal(listheap_usable_size(p), usable_for(50));
    assert_int_equal(stats().free_blocks, free_before + 1);
    for (int i = 0; i < 50; i++)
        assert_int_equal(p[i], 0x5A);
    /* shrinking by less than a block, next to a used block, keeps the block as it is */
    listheap_malloc(request_for_block(block_for(200) - block_for(50))); /* fills the tail */
    size_t usable = listheap_usable_size(p), used = stats().used_bytes;
    assert_ptr_equal(listheap_realloc(p, usable - 4), p);
    assert_int_equal(stats().used_bytes, used); /* same block */
    assert_int_equal(listheap_usable_size(p), LISTHEAP_DEBUG ? usable - 4 : usable);
}

static void test_realloc_grows_in_place_into_free_successor(void **state) {
    (void)state;
    /* the last block grows into the rest of the arena */
    unsigned char *last = listheap_malloc(32);
    assert_ptr_equal(listheap_realloc(last, 1000), last);
    assert_true(listheap_usable_size(last) >= 1000);
    listheap_free(last);
    /* a block grows into a freed neighbour */
    unsigned char *p = listheap_malloc(40), *q = listheap_malloc(200);
    listheap_malloc(16);
    memset(p, 0x33, 40);
    listheap_free(q);
    assert_ptr_equal(listheap_realloc(p, 200), p);
    assert_true(listheap_usable_size(p) >= 200);
    for (int i = 0; i < 40; i++)
        assert_int_equal(p[i], 0x33);
}

/* A used successor but a free predecessor: the block takes the predecessor, the payload moves
 * down (memmove: the two ranges overlap) and nothing is allocated or freed. */
static void test_realloc_grows_into_free_predecessor_moving_contents_down(void **state) {
    (void)state;
    unsigned char *before = listheap_malloc(100), *p = listheap_malloc(40);
    listheap_malloc(16); /* p's successor stays used */
    for (int i = 0; i < 40; i++)
        p[i] = (unsigned char)(i * 7);
    listheap_free(before);
    struct listheap_stats was = stats();
    unsigned char *q = listheap_realloc(p, 120);
    assert_non_null(q);
    assert_true(q < p && q >= before);
    assert_true(listheap_usable_size(q) >= 120);
    for (int i = 0; i < 40; i++)
        assert_int_equal(q[i], (unsigned char)(i * 7));
    assert_int_equal(stats().allocations, was.allocations);
    assert_int_equal(stats().frees, was.frees);
    assert_int_equal(stats().live_blocks, 2);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

/* The free rest of the predecessor stays a free block below the grown one. */
static void test_realloc_into_predecessor_leaves_the_rest_free_below(void **state) {
    (void)state;
    unsigned char *before = listheap_malloc(400), *p = listheap_malloc(40);
    listheap_malloc(16);
    memset(p, 0x5A, 40);
    listheap_free(before);
    size_t free_before = stats().free_blocks;
    unsigned char *q = listheap_realloc(p, 100);
    assert_true(q < p && q > before); /* the top of the merged span, not its bottom */
    assert_int_equal(stats().free_blocks, free_before); /* the predecessor's rest is still free */
    for (int i = 0; i < 40; i++)
        assert_int_equal(q[i], 0x5A);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    unsigned char *again = listheap_malloc(200); /* the rest serves a later request */
    assert_true(again >= before && again < q);
}

/* A free successor that is enough is preferred: the payload does not move. */
static void test_realloc_prefers_free_successor_to_predecessor(void **state) {
    (void)state;
    unsigned char *before = listheap_malloc(100), *p = listheap_malloc(40);
    unsigned char *after = listheap_malloc(200);
    listheap_malloc(16);
    listheap_free(before);
    listheap_free(after);
    assert_ptr_equal(listheap_realloc(p, 150), p);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

/* Neither neighbour alone is enough, both together are. */
static void test_realloc_grows_into_both_free_neighbours(void **state) {
    (void)state;
    unsigned char *before = listheap_malloc(64), *p = listheap_malloc(40);
    unsigned char *after = listheap_malloc(64);
    listheap_malloc(16);
    for (int i = 0; i < 40; i++)
        p[i] = (unsigned char)(255 - i);
    listheap_free(before);
    listheap_free(after);
    struct listheap_stats was = stats();
    unsigned char *q = listheap_realloc(p, 150);
    assert_true(q < p && q >= before);
    for (int i = 0; i < 40; i++)
        assert_int_equal(q[i], (unsigned char)(255 - i));
    assert_int_equal(stats().allocations, was.allocations);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_realloc_moves_when_successor_is_used_preserving_contents(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(40);
    listheap_malloc(16);
    for (int i = 0; i < 40; i++)
        p[i] = (unsigned char)i;
    unsigned char *q = listheap_realloc(p, 400);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    for (int i = 0; i < 40; i++)
        assert_int_equal(q[i], i);
    assert_int_equal(stats().live_blocks, 2);
}

static void test_realloc_failure_leaves_old_block_untouched(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(100);
    listheap_malloc(16);
    memset(p, 0x77, 100);
    size_t sizes[] = {ARENA_BYTES * 2, SIZE_MAX, SIZE_MAX - 3};
    for (size_t i = 0; i < 3; i++) {
        take_snapshot();
        errno = 0;
        assert_null(listheap_realloc(p, sizes[i]));
        assert_int_equal(errno, ENOMEM);
        assert_unchanged_since_snapshot(1, 0);
    }
    assert_int_equal(listheap_usable_size(p), usable_for(100));
}

/* ------------------------------------------------------------ calloc, memalign */

static void test_calloc_returns_zeroed_memory(void **state) {
    (void)state;
    unsigned char *p = listheap_malloc(300);
    memset(p, 0xEE, 300);
    listheap_free(p);
    unsigned char *q = listheap_calloc(30, 10);
    assert_non_null(q);
    for (int i = 0; i < 300; i++)
        assert_int_equal(q[i], 0);
}

static void test_calloc_overflow_returns_null_with_enomem(void **state) {
    (void)state;
    take_snapshot();
    errno = 0;
    assert_null(listheap_calloc(SIZE_MAX / 2 + 1, 2));
    assert_int_equal(errno, ENOMEM);
    assert_null(listheap_calloc(2, SIZE_MAX / 2 + 1));
    assert_null(listheap_calloc(SIZE_MAX, SIZE_MAX));
    assert_unchanged_since_snapshot(3, 0);
    assert_int_equal(hooks.oom_calls, 3);
    assert_non_null(listheap_calloc(0, 5));
}

static void test_memalign_supports_every_power_of_two_up_to_4096(void **state) {
    (void)state;
    static _Alignas(4096) unsigned char big[4 * 4096 + 8];
    assert_int_equal(listheap_init(big + 8, sizeof big - 8), LISTHEAP_OK); /* misaligned region */
    for (size_t align = 1; align <= 4096; align *= 2) {
        void *filler = listheap_malloc(24); /* move the free space off any alignment */
        unsigned char *p = listheap_memalign(align, 100);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % align, 0);
        assert_int_equal((uintptr_t)p % 8, 0);
        assert_true(listheap_usable_size(p) >= 100);
        memset(p, 1, 100);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
        listheap_free(p);
        listheap_free(filler);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
        assert_int_equal(stats().free_blocks, 1);
    }
}

static void test_memalign_non_power_of_two_fails_with_einval(void **state) {
    (void)state;
    static const size_t bad[] = {0, 3, 24, 48, 100, 4095};
    take_snapshot();
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_null(listheap_memalign(bad[i], 16));
        assert_int_equal(errno, EINVAL);
    }
    assert_unchanged_since_snapshot(0, 0);
    assert_int_equal(hooks.oom_calls, 0);
}

static void test_memalign_larger_than_heap_fails_with_enomem(void **state) {
    (void)state;
    take_snapshot();
    errno = 0;
    assert_null(listheap_memalign((size_t)1 << (sizeof(size_t) * 8 - 2), 16));
    assert_int_equal(errno, ENOMEM);
    assert_null(listheap_memalign(64, SIZE_MAX - 8));
    assert_unchanged_since_snapshot(2, 0);
}

/* ------------------------------------------------------------ statistics, check, walk */

static void test_stats_used_plus_free_equals_total_and_tracks_peak(void **state) {
    (void)state;
    void *a = listheap_malloc(500), *b = listheap_malloc(300);
    struct listheap_stats s = stats();
    assert_int_equal(s.used_bytes + s.free_bytes, s.total_bytes);
    assert_int_equal(s.used_bytes, block_for(500) + block_for(300));
    assert_int_equal(s.peak_used_bytes, s.used_bytes);
    assert_int_equal(s.allocations, 2);
    listheap_free(a);
    s = stats();
    assert_int_equal(s.peak_used_bytes, block_for(500) + block_for(300));
    assert_int_equal(s.used_bytes + s.free_bytes, s.total_bytes);
    assert_int_equal(s.frees, 1);
    assert_int_equal(s.live_blocks, 1);
    listheap_reset_peak();
    assert_int_equal(stats().peak_used_bytes, block_for(300));
    listheap_free(b);
}

static void test_check_detects_each_kind_of_corruption(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(40), *b = listheap_malloc(40), *c = listheap_malloc(40);
    listheap_free(b);
    size_t *b_header = (size_t *)(void *)(b - W);
    size_t *b_tag = (size_t *)(void *)(b - W + block_for(40) - W);
    size_t *c_header = (size_t *)(void *)(c - W);
    size_t saved;
    assert_int_equal(listheap_check(), LISTHEAP_OK);

    saved = *b_tag;
    *b_tag = saved + 8;
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_TAG);
    *b_tag = saved;

    saved = *b_header;
    *b_header = (saved & 7u) | 8u; /* smaller than the minimum block */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_SIZE);
    *b_header = saved;

    saved = *c_header;
    *c_header = saved & ~(size_t)2; /* c forgets that b is free */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_PREV_FLAG);
    *c_header = saved;

    /* a turned into a well-formed free block next to free b: an uncoalesced pair */
    size_t *a_header = (size_t *)(void *)(a - W);
    size_t *a_tag = (size_t *)(void *)(a - W + block_for(40) - W);
    size_t saved_a = *a_header, saved_a_tag = *a_tag;
    saved = *b_header;
    *a_header = saved_a & ~(size_t)1;
    *a_tag = block_for(40);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_PREV_FLAG); /* b's P flag disagrees */
    *b_header = saved | 2u;
    assert_int_equal(listheap_check(), LISTHEAP_E_UNCOALESCED);
    *b_header = saved;
    *a_header = saved_a;
    *a_tag = saved_a_tag;

    void **links = (void **)(void *)b;
    void *saved_prev = links[1];
    links[1] = b; /* back link wrong */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_LINK);
    links[1] = saved_prev;

    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(a);
    listheap_free(c);
}

struct map {
    size_t blocks, used, free_usable;
    unsigned char *last;
    int ordered;
};
static void record_block(void *ctx, void *payload, size_t size, int used) {
    struct map *m = ctx;
    unsigned char *p = payload;
    m->ordered &= m->last == NULL || p > m->last;
    m->last = p;
    m->blocks++;
    if (used)
        m->used++;
    else
        m->free_usable += size;
}

static void test_walk_visits_every_block_in_address_order(void **state) {
    (void)state;
    void *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = listheap_malloc((size_t)(20 * (i + 1)));
    listheap_free(p[1]);
    listheap_free(p[3]);
    struct map m = {0, 0, 0, NULL, 1};
    listheap_walk(record_block, &m);
    assert_true(m.ordered);
    assert_int_equal(m.used, 4);
    assert_int_equal(m.blocks, 4 + 3); /* two holes and the tail */
    struct listheap_stats s = stats();
    assert_int_equal(m.free_usable + 3 * W, s.free_bytes);
}

/* ------------------------------------------------------------ the seed's experiment */

struct boxed_string {
    char *text;
    size_t len;
};

static struct boxed_string *box_hello(void) {
    struct boxed_string *b = listheap_malloc(sizeof *b);
    if (!b)
        return NULL;
    b->text = listheap_malloc(sizeof "again,hello");
    if (!b->text) {
        listheap_free(b);
        return NULL;
    }
    memcpy(b->text, "again,hello", sizeof "again,hello");
    b->len = sizeof "again,hello" - 1;
    return b;
}

static void test_seed_150_byte_heap_runs_out_then_reports_oom(void **state) {
    (void)state;
    static _Alignas(8) unsigned char heap150[150];
    assert_int_equal(listheap_init(heap150, sizeof heap150), LISTHEAP_OK);
    int boxes = 0;
    while (box_hello())
        boxes++;
    /* 32-bit: each box is two 16-byte blocks; 136 usable bytes hold four boxes */
    assert_true(boxes >= 1);
#if SIZE_MAX == UINT32_MAX && !LISTHEAP_DEBUG
    assert_int_equal(boxes, 4);
#endif
    assert_int_equal(hooks.oom_calls, 1);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_seed_alloc_free_loop_gets_same_address(void **state) {
    (void)state;
    static _Alignas(8) unsigned char heap150[150];
    assert_int_equal(listheap_init(heap150, sizeof heap150), LISTHEAP_OK);
    struct boxed_string *first = box_hello();
    assert_non_null(first);
    listheap_free(first->text);
    listheap_free(first);
    for (int i = 0; i < 100; i++) {
        struct boxed_string *b = box_hello();
        assert_ptr_equal(b, first);
        listheap_free(b->text);
        listheap_free(b);
    }
    assert_int_equal(stats().free_blocks, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_heap, teardown_heap)

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocation_before_init_uses_linker_heap),
        T(test_init_rejects_null_start),
        T(test_init_rejects_region_too_small_for_one_block),
        T(test_init_rejects_size_that_wraps_address_space),
        T(test_init_trims_misaligned_start_and_size),
        T(test_init_returns_busy_while_blocks_live),
        T(test_init_starts_afresh_when_no_block_live),
        T(test_add_region_serves_allocations_from_both_regions),
        T(test_add_region_rejects_overlap),
        T(test_add_region_rejects_more_than_max_regions),
        T(test_malloc_returns_8_aligned_pointer_inside_region),
        T(test_malloc_zero_returns_unique_freeable_pointer),
        T(test_malloc_block_bytes_are_request_plus_header_rounded_to_8),
        T(test_malloc_never_overlaps_live_blocks),
        T(test_malloc_huge_requests_fail_with_enomem_and_change_nothing),
        T(test_malloc_largest_free_block_is_guaranteed_to_succeed),
        T(test_malloc_serves_blocks_beyond_the_class_range),
        T(test_malloc_failure_calls_oom_hook_then_returns_null),
        T(test_free_null_does_nothing),
        T(test_free_makes_memory_reusable_at_same_address),
        T(test_free_coalesces_with_free_neighbours),
        T(test_free_coalesces_neighbours_listed_together_in_either_order),
        T(test_malloc_splits_block_only_when_remainder_holds_a_block),
        T(test_free_of_foreign_pointer_reports_fault_and_changes_nothing),
        T(test_free_of_misaligned_pointer_reports_fault),
        T(test_double_free_reports_not_live_and_changes_nothing),
        T(test_free_of_interior_pointer_reports_fault),
        T(test_realloc_of_invalid_pointer_returns_null_with_einval),
        T(test_realloc_of_freed_block_reports_not_live_and_changes_nothing),
        T(test_overflow_past_usable_size_is_caught),
        T(test_usable_size_of_invalid_pointer_is_zero),
        T(test_free_detects_damaged_free_list_link_before_following_it),
        T(test_malloc_detects_damaged_link_of_block_it_would_take),
        T(test_free_detects_header_that_disagrees_with_neighbours),
        T(test_realloc_null_is_malloc),
        T(test_realloc_zero_frees_and_returns_null),
        T(test_realloc_shrinks_in_place_splitting_off_tail),
        T(test_realloc_grows_in_place_into_free_successor),
        T(test_realloc_grows_into_free_predecessor_moving_contents_down),
        T(test_realloc_into_predecessor_leaves_the_rest_free_below),
        T(test_realloc_prefers_free_successor_to_predecessor),
        T(test_realloc_grows_into_both_free_neighbours),
        T(test_realloc_moves_when_successor_is_used_preserving_contents),
        T(test_realloc_failure_leaves_old_block_untouched),
        T(test_calloc_returns_zeroed_memory),
        T(test_calloc_overflow_returns_null_with_enomem),
        T(test_memalign_supports_every_power_of_two_up_to_4096),
        T(test_memalign_non_power_of_two_fails_with_einval),
        T(test_memalign_larger_than_heap_fails_with_enomem),
        T(test_stats_used_plus_free_equals_total_and_tracks_peak),
        T(test_check_detects_each_kind_of_corruption),
        T(test_walk_visits_every_block_in_address_order),
        T(test_seed_150_byte_heap_runs_out_then_reports_oom),
        T(test_seed_alloc_free_loop_gets_same_address),
    };
    return cmocka_run_group_tests_name("listheap core", tests, NULL, NULL);
}
