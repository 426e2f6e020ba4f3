/*
 * The interrupt-safe lock (liblistheap_irq.a, LISTHEAP_LOCKING_PRIMASK): every call masks
 * interrupts while it holds the heap, nests (a call made while the lock is held leaves
 * interrupts masked for its caller), and restores exactly the state it found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "listheap.h"

static uint32_t primask(void) {
    uint32_t v;
    __asm__ volatile("mrs %0, primask" : "=r"(v));
    return v & 1u;
}

struct probe {
    int visited;
    int masked_in_visitor;
    int masked_after_nested_call;
};

/* The visitor runs under the lock: interrupts must be masked, and a nested listheap call
 * (which takes and releases the lock again) must leave them masked. */
static void visit(void *ctx, void *payload, size_t size, int used) {
    (void)payload;
    (void)size;
    (void)used;
    struct probe *p = ctx;
    p->visited++;
    p->masked_in_visitor += primask() == 1u;
    struct listheap_stats s;
    listheap_get_stats(&s);
    p->masked_after_nested_call += primask() == 1u;
}

static void test_primask_lock_masks_interrupts_while_heap_is_held(void **state) {
    (void)state;
    void *a = listheap_malloc(40), *b = listheap_malloc(80);
    assert_int_equal(primask(), 0u);
    struct probe p = {0, 0, 0};
    listheap_walk(visit, &p);
    print_message("visited %d blocks, %d masked, %d after nesting\n", p.visited, p.masked_in_visitor, p.masked_after_nested_call);
    assert_true(p.visited >= 2);
    assert_int_equal(p.masked_in_visitor, p.visited);
    assert_int_equal(p.masked_after_nested_call, p.visited);
    assert_int_equal(primask(), 0u); /* restored */
    listheap_free(a);
    listheap_free(b);
}

static void test_primask_lock_keeps_interrupts_masked_if_caller_masked_them(void **state) {
    (void)state;
    __asm__ volatile("cpsid i" ::: "memory");
    void *p = listheap_malloc(16);
    int allocated = p != NULL;
    listheap_free(p);
    uint32_t after = primask();
    __asm__ volatile("cpsie i" ::: "memory");
    assert_true(allocated);
    assert_int_equal(after, 1u); /* listheap did not unmask the caller's critical section */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primask_lock_masks_interrupts_while_heap_is_held),
        cmocka_unit_test(test_primask_lock_keeps_interrupts_masked_if_caller_masked_them),
    };
    return cmocka_run_group_tests_name("PRIMASK lock", tests, NULL, NULL);
}
