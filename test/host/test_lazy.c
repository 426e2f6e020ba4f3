/*
 * Lazy default: with no listheap_init, the first allocation takes the heap the linker script
 * describes with __heap_start / __heap_end. Here the "linker script" is this file: it defines
 * both symbols around a static array, as ld/ scripts do around the .heap section.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "listheap.h"

#define LINKER_HEAP_BYTES 8192
_Alignas(8) unsigned char __heap_start[LINKER_HEAP_BYTES];
__asm__(".globl __heap_end\n.set __heap_end, __heap_start + 8192");
_Static_assert(LINKER_HEAP_BYTES == 8192, "keep the .set above in step");

static void test_first_malloc_initialises_heap_from_linker_symbols(void **state) {
    (void)state;
    struct listheap_stats s;
    listheap_get_stats(&s);
    assert_int_equal(s.regions, 0); /* nothing happened yet */
    unsigned char *p = listheap_malloc(100);
    assert_non_null(p);
    assert_true(p >= __heap_start && p + 100 <= __heap_start + LINKER_HEAP_BYTES);
    listheap_get_stats(&s);
    assert_int_equal(s.regions, 1);
    assert_true(s.total_bytes > LINKER_HEAP_BYTES - 16 && s.total_bytes <= LINKER_HEAP_BYTES);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(p);
}

/* This program does not replace the hooks: the documented defaults apply. */
static void test_default_hooks_return_and_the_call_fails_safely(void **state) {
    (void)state;
    int on_stack = 0;
    struct listheap_stats before, after;
    listheap_get_stats(&before);
    assert_null(listheap_malloc(SIZE_MAX)); /* default OOM hook returns: NULL */
    listheap_free(&on_stack);               /* default fault hook returns: nothing freed */
    listheap_get_stats(&after);
    assert_int_equal(after.failures, before.failures + 1);
    assert_int_equal(after.faults, before.faults + 1);
    assert_int_equal(after.used_bytes, before.used_bytes);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_malloc_initialises_heap_from_linker_symbols),
        cmocka_unit_test(test_default_hooks_return_and_the_call_fails_safely),
    };
    return cmocka_run_group_tests_name("listheap lazy default", tests, NULL, NULL);
}
