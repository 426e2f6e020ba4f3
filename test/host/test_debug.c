/*
 * The checked build (LISTHEAP_DEBUG=1): canaries, poisoned free memory, fill patterns, caller
 * records and the leak report; and, in every build, the incremental check.
 * The tests of checked-build behaviour skip themselves in the release build.
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

static _Alignas(16) unsigned char arena[8192];

static int setup(void **state) {
    (void)state;
    memset(arena, 0x5C, sizeof arena);
    assert_int_equal(listheap_init(arena, sizeof arena), LISTHEAP_OK);
    hooks_reset();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    free_all_live_blocks();
    return 0;
}

#define CHECKED_BUILD_ONLY()                                                                    \
    do {                                                                                        \
        if (!LISTHEAP_DEBUG)                                                                    \
            skip();                                                                             \
    } while (0)

static struct listheap_stats stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

/* ------------------------------------------------------------ checked build */

static void test_checked_usable_size_is_exactly_the_request(void **state) {
    (void)state;
    CHECKED_BUILD_ONLY();
    for (size_t n = 0; n < 70; n += 7) {
        void *p = listheap_malloc(n);
        assert_int_equal(listheap_usable_size(p), n);
    }
}

static void test_checked_new_allocation_is_filled_with_pattern(void **state) {
    (void)state;
    CHECKED_BUILD_ONLY();
    unsigned char *p = listheap_malloc(40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(p[i], 0xA1);
    unsigned char *z = listheap_calloc(5, 8); /* calloc still zeroes */
    for (int i = 0; i < 40; i++)
        assert_int_equal(z[i], 0);
}

static void test_checked_one_byte_overflow_is_reported_on_free(void **state) {
    (void)state;
    CHECKED_BUILD_ONLY();
    unsigned char *p = listheap_malloc(13), *q = listheap_malloc(13);
    memset(q, 7, 13);
    p[13] = 0; /* one byte past the request */
    struct listheap_stats before = stats();
    listheap_free(p);
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_OVERFLOW);
    assert_ptr_equal(hooks.fault_ptr, p); /* the block's address */
    assert_int_equal(stats().live_blocks, before.live_blocks); /* not freed */
    assert_int_equal(listheap_check(), LISTHEAP_E_CANARY);
    errno = 0;
    assert_null(listheap_realloc(p, 100));
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_OVERFLOW);
    assert_int_equal(errno, EINVAL);
    p[13] = 0xC5; /* repair: the canary byte */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(p);
    for (int i = 0; i < 13; i++)
        assert_int_equal(q[i], 7); /* the neighbour kept its contents */
}

static void test_checked_overflow_after_realloc_is_reported(void **state) {
    (void)state;
    CHECKED_BUILD_ONLY();
    unsigned char *p = listheap_malloc(100);
    listheap_malloc(8);
    p = listheap_realloc(p, 30); /* shrinks in place: the canary moves to byte 30 */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    p[30] = 1;
    assert_int_equal(listheap_check(), LISTHEAP_E_CANARY);
    assert_int_equal(listheap_usable_size(p), 0);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_OVERFLOW);
    p[30] = 0xC5;
    p = listheap_realloc(p, 60); /* grows again, in place */
    assert_int_equal(listheap_usable_size(p), 60);
    for (int i = 30; i < 60; i++)
        assert_int_equal(p[i], 0xA1); /* the new bytes carry the fresh pattern */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_checked_write_after_free_is_reported_when_reused(void **state) {
    (void)state;
    CHECKED_BUILD_ONLY();
    unsigned char *p = listheap_malloc(64);
    listheap_malloc(8); /* keeps p's block from merging with the tail */
    listheap_free(p);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    p[40] = 0x11; /* a stale pointer writes into freed memory */
    assert_int_equal(listheap_check(), LISTHEAP_E_POISON);
    unsigned char *again = listheap_malloc(64);
    assert_ptr_equal(again, p); /* the block is handed out... */
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_USE_AFTER_FREE);
    assert_ptr_equal(hooks.fault_ptr, p + 40); /* ...and the damaged byte reported */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_checked_double_free_after_merge_still_reads_as_free(void **state) {
    (void)state;
    CHECKED_BUILD_ONLY();
    void *a = listheap_malloc(24), *b = listheap_malloc(24);
    listheap_malloc(8);
    listheap_free(b);
    listheap_free(a); /* b's header is now poisoned interior of a's free block */
    listheap_free(b);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_NOT_LIVE);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

struct leak {
    const void *caller;
    size_t blocks, bytes;
};
struct leaks {
    struct leak rows[8];
    size_t count;
};
static void record_leak(void *ctx, const void *caller, size_t blocks, size_t bytes) {
    struct leaks *l = ctx;
    if (l->count < 8)
        l->rows[l->count++] = (struct leak){caller, blocks, bytes};
}

/* Two call sites. The empty asm keeps the call from becoming a tail call (then the recorded
 * return address would be in the test function instead). */
static __attribute__((noinline)) void *allocate_here(size_t n) {
    void *p = listheap_malloc(n);
    __asm__ volatile("" : "+r"(p));
    return p;
}
static __attribute__((noinline)) void *allocate_there(size_t n) {
    unsigned char *p = listheap_malloc(n);
    __asm__ volatile("" : "+r"(p));
    if (p)
        p[0] = 1; /* differs from allocate_here, so the compiler cannot fold the two */
    return p;
}

static void test_leak_report_groups_live_blocks_by_caller(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++)
        allocate_here(10);
    for (int i = 0; i < 2; i++)
        allocate_there(100);
    listheap_free(allocate_there(5)); /* freed: not a leak */
    struct leaks l = {0};
    listheap_report_leaks(record_leak, &l);
#if LISTHEAP_DEBUG
    assert_int_equal(l.count, 2);
    assert_ptr_not_equal(l.rows[0].caller, l.rows[1].caller);
    assert_int_equal(l.rows[0].blocks, 3);
    assert_int_equal(l.rows[0].bytes, 30);
    assert_int_equal(l.rows[1].blocks, 2);
    assert_int_equal(l.rows[1].bytes, 200);
    /* the recorded address lies inside the function that called listheap_malloc */
    uintptr_t here = (uintptr_t)(void *)allocate_here & ~(uintptr_t)1; /* no Thumb bit */
    uintptr_t caller = (uintptr_t)l.rows[0].caller;
    assert_true(caller > here && caller < here + 64);
#else
    assert_int_equal(l.count, 1); /* no caller records: one group */
    assert_null(l.rows[0].caller);
    assert_int_equal(l.rows[0].blocks, 5);
#endif
}

/* ------------------------------------------------------------ incremental check */

static void test_check_step_completes_a_pass_in_bounded_steps(void **state) {
    (void)state;
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = listheap_malloc((size_t)(8 + i * 3));
    for (int i = 0; i < 40; i += 3)
        listheap_free(p[i]);
    struct listheap_check_cursor cursor = {0};
    int status, calls = 0;
    while ((status = listheap_check_step(&cursor, 5)) == LISTHEAP_CHECK_IN_PROGRESS)
        calls++;
    assert_int_equal(status, LISTHEAP_OK);
    /* 41 blocks + 15 free nodes (+ 41 blocks again in the checked build), 5 per call */
    assert_true(calls >= (41 + 15) / 5);
    assert_true(calls <= (2 * 41 + 15) / 5 + 4);
    /* a new pass starts with the same cursor */
    assert_int_equal(listheap_check_step(&cursor, 1), LISTHEAP_CHECK_IN_PROGRESS);
}

static void test_check_step_starts_over_when_the_heap_changes(void **state) {
    (void)state;
    for (int i = 0; i < 30; i++)
        listheap_malloc(16);
    struct listheap_check_cursor cursor = {0};
    assert_int_equal(listheap_check_step(&cursor, 10), LISTHEAP_CHECK_IN_PROGRESS);
    assert_int_equal(listheap_check_step(&cursor, 10), LISTHEAP_CHECK_IN_PROGRESS);
    void *p = listheap_malloc(16); /* the pass so far no longer describes the heap */
    int calls = 0, status;
    while ((status = listheap_check_step(&cursor, 10)) == LISTHEAP_CHECK_IN_PROGRESS)
        calls++;
    assert_int_equal(status, LISTHEAP_OK);
    assert_true(calls >= 3); /* restarted from the first block, not resumed */
    listheap_free(p);
}

static void test_check_step_reports_corruption_like_the_full_check(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(40), *b = listheap_malloc(40);
    listheap_malloc(8);
    listheap_free(a);
    size_t *tag = (size_t *)(void *)(b - 2 * sizeof(size_t)); /* a's boundary tag */
    size_t saved = *tag;
    *tag = saved + 8;
    struct listheap_check_cursor cursor = {0};
    int status;
    while ((status = listheap_check_step(&cursor, 1)) == LISTHEAP_CHECK_IN_PROGRESS)
        ;
    assert_int_equal(status, LISTHEAP_E_BAD_TAG);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_TAG);
    *tag = saved;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_checked_usable_size_is_exactly_the_request),
        T(test_checked_new_allocation_is_filled_with_pattern),
        T(test_checked_one_byte_overflow_is_reported_on_free),
        T(test_checked_overflow_after_realloc_is_reported),
        T(test_checked_write_after_free_is_reported_when_reused),
        T(test_checked_double_free_after_merge_still_reads_as_free),
        T(test_leak_report_groups_live_blocks_by_caller),
        T(test_check_step_completes_a_pass_in_bounded_steps),
        T(test_check_step_starts_over_when_the_heap_changes),
        T(test_check_step_reports_corruption_like_the_full_check),
    };
    return cmocka_run_group_tests_name(LISTHEAP_DEBUG ? "checked build" : "release build checks",
                                       tests, NULL, NULL);
}
