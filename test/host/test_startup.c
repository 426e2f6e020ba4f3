/*
 * Start-up order: what the heap is made of after each first call a firmware may make, with a
 * linker heap present (__heap_start / __heap_end, defined here as ld/ scripts define them
 * around .heap). The heap can be initialised only once per process, so this file is built
 * once per order, STARTUP_ORDER selecting the first call (Makefile: test_startup_*):
 *   1  listheap_add_region(bank) before anything allocated: the linker heap stays, the bank
 *      joins it (the H750 recipe: add SRAM1-3 at start-up, keep the 512 KiB AXI heap);
 *   2  listheap_add_region() of memory overlapping the linker heap: that memory alone;
 *   3  listheap_init(buf): buf alone, the linker heap never used, banks added later join buf;
 *   4  a failing listheap_add_region() first: nothing happens, the first malloc still takes
 *      the linker heap;
 *   5  (alloc/ built with LISTHEAP_MAX_REGIONS 1) a bank first: no slot beside the linker heap,
 *      LISTHEAP_E_FULL and nothing changed; the first malloc takes the linker heap.
 * The first order, malloc before anything else, is test_lazy.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "listheap.h"

#ifndef STARTUP_ORDER
#error "build with -DSTARTUP_ORDER=1..5 (see the comment above)"
#endif

#define LINKER_HEAP_BYTES 8192
_Alignas(8) unsigned char __heap_start[LINKER_HEAP_BYTES];
__asm__(".globl __heap_end\n.set __heap_end, __heap_start + 8192");
_Static_assert(LINKER_HEAP_BYTES == 8192, "keep the .set above in step");

#define BANK_BYTES 4096
/* global, not static: not every order uses both */
_Alignas(8) unsigned char bank[BANK_BYTES];
_Alignas(8) unsigned char buf[2048];

static int inside(const void *p, size_t n, const unsigned char *lo, size_t bytes) {
    const unsigned char *q = p;
    return q >= lo && q + n <= lo + bytes;
}

static struct listheap_stats stats_now(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

/* With no region yet, the first malloc takes the linker heap, and only it (orders 4, 5). */
#if STARTUP_ORDER >= 4
static void first_malloc_takes_the_linker_heap(void) {
    void *p = listheap_malloc(100);
    assert_non_null(p);
    assert_true(inside(p, 100, __heap_start, LINKER_HEAP_BYTES));
    assert_int_equal(stats_now().regions, 1);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(p);
}
#endif

#if STARTUP_ORDER == 1
static void test_bank_added_before_first_malloc_keeps_the_linker_heap(void **state) {
    (void)state;
    assert_int_equal(stats_now().regions, 0);
    assert_int_equal(listheap_add_region(bank, sizeof bank), LISTHEAP_OK);
    struct listheap_stats s = stats_now();
    assert_int_equal(s.regions, 2);
    assert_true(s.total_bytes > LINKER_HEAP_BYTES + BANK_BYTES - 64);
    /* larger than the bank: only the linker heap can hold it */
    void *big = listheap_malloc(6000);
    assert_non_null(big);
    assert_true(inside(big, 6000, __heap_start, LINKER_HEAP_BYTES));
    /* and the bank serves too, once the linker heap cannot */
    void *more = listheap_malloc(3000);
    assert_non_null(more);
    assert_true(inside(more, 3000, bank, BANK_BYTES));
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(big);
    listheap_free(more);
    assert_int_equal(stats_now().live_blocks, 0);
}

static void test_linker_heap_is_added_once(void **state) {
    (void)state;
    static _Alignas(8) unsigned char bank2[1024];
    assert_int_equal(listheap_add_region(bank2, sizeof bank2), LISTHEAP_OK);
    assert_int_equal(stats_now().regions, 3);
    assert_int_equal(listheap_add_region(__heap_start, LINKER_HEAP_BYTES), LISTHEAP_E_OVERLAP);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}
#define ORDER_TESTS                                                                             \
    cmocka_unit_test(test_bank_added_before_first_malloc_keeps_the_linker_heap),                \
        cmocka_unit_test(test_linker_heap_is_added_once)

#elif STARTUP_ORDER == 2
static void test_region_overlapping_the_linker_heap_replaces_it(void **state) {
    (void)state;
    /* the application hands over the linker's memory itself (here: its first half) */
    assert_int_equal(listheap_add_region(__heap_start, LINKER_HEAP_BYTES / 2), LISTHEAP_OK);
    struct listheap_stats s = stats_now();
    assert_int_equal(s.regions, 1);
    assert_true(s.total_bytes <= LINKER_HEAP_BYTES / 2);
    void *p = listheap_malloc(1000);
    assert_non_null(p);
    assert_true(inside(p, 1000, __heap_start, LINKER_HEAP_BYTES / 2));
    assert_null(listheap_malloc(LINKER_HEAP_BYTES / 2)); /* the other half is not heap */
    assert_int_equal(stats_now().regions, 1);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(p);
}
#define ORDER_TESTS cmocka_unit_test(test_region_overlapping_the_linker_heap_replaces_it)

#elif STARTUP_ORDER == 3
static void test_init_first_never_uses_the_linker_heap(void **state) {
    (void)state;
    assert_int_equal(listheap_init(buf, sizeof buf), LISTHEAP_OK);
    assert_int_equal(stats_now().regions, 1);
    errno = 0;
    assert_null(listheap_malloc(4000)); /* would fit the linker heap, not buf */
    assert_int_equal(errno, ENOMEM);
    void *p = listheap_malloc(100);
    assert_non_null(p);
    assert_true(inside(p, 100, buf, sizeof buf));
    listheap_free(p);
}

static void test_bank_added_after_init_joins_buf_not_the_linker_heap(void **state) {
    (void)state;
    assert_int_equal(listheap_add_region(bank, sizeof bank), LISTHEAP_OK);
    struct listheap_stats s = stats_now();
    assert_int_equal(s.regions, 2);
    assert_true(s.total_bytes <= sizeof buf + sizeof bank);
    void *p = listheap_malloc(3000);
    assert_non_null(p);
    assert_true(inside(p, 3000, bank, BANK_BYTES));
    assert_null(listheap_malloc(5000));
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(p);
}
#define ORDER_TESTS                                                                             \
    cmocka_unit_test(test_init_first_never_uses_the_linker_heap),                               \
        cmocka_unit_test(test_bank_added_after_init_joins_buf_not_the_linker_heap)

#elif STARTUP_ORDER == 4
static void test_failed_add_region_first_changes_nothing(void **state) {
    (void)state;
    assert_int_equal(listheap_add_region(NULL, BANK_BYTES), LISTHEAP_E_NULL);
    assert_int_equal(listheap_add_region(bank, 8), LISTHEAP_E_TOO_SMALL);
    assert_int_equal(listheap_add_region(bank + 8, SIZE_MAX), LISTHEAP_E_WRAP);
    assert_int_equal(stats_now().regions, 0);
    first_malloc_takes_the_linker_heap(); /* the lazy default still happens */
}
#define ORDER_TESTS cmocka_unit_test(test_failed_add_region_first_changes_nothing)

#elif STARTUP_ORDER == 5
_Static_assert(LISTHEAP_MAX_REGIONS == 1, "order 5 is built with one region slot");
static void test_bank_first_with_one_region_slot_is_refused_and_changes_nothing(void **state) {
    (void)state;
    assert_int_equal(listheap_add_region(bank, sizeof bank), LISTHEAP_E_FULL);
    assert_int_equal(stats_now().regions, 0);
    first_malloc_takes_the_linker_heap();
}
#define ORDER_TESTS cmocka_unit_test(test_bank_first_with_one_region_slot_is_refused_and_changes_nothing)
#endif

int main(void) {
    const struct CMUnitTest tests[] = {ORDER_TESTS};
    return cmocka_run_group_tests_name("listheap start-up order", tests, NULL, NULL);
}
