/*
 * listheap_check() against each kind of damage, white-box: this suite includes the private
 * block.h to reach the control structure, breaks one invariant at a time, expects the
 * matching LISTHEAP_E_* code, then repairs it and expects LISTHEAP_OK again.
 * (test_core.c covers the damage that can be done through user-visible memory alone.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "block.h"

static _Alignas(16) unsigned char arena[4096];
static unsigned char *a, *b, *c, *d;

/* a used | b free (class of 48) | c used | d free (the tail) */
static int setup(void **state) {
    (void)state;
    memset(arena, 0xA5, sizeof arena);
    assert_int_equal(listheap_init(arena, sizeof arena), LISTHEAP_OK);
    a = listheap_malloc(40);
    b = listheap_malloc(40);
    c = listheap_malloc(40);
    d = listheap_malloc(40);
    listheap_free(b);
    listheap_free(d); /* merges with the tail */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    listheap_free(a);
    listheap_free(c);
    return 0;
}

static struct heap saved_heap;
static void save(void) {
    memcpy(&saved_heap, &listheap_heap_, sizeof saved_heap);
}
static void restore(void) {
    memcpy(&listheap_heap_, &saved_heap, sizeof saved_heap);
}

static unsigned class_of_b(void) {
    return class_of(block_size(block_from_payload(b)));
}

static void test_check_reports_bitmap_bit_without_list(void **state) {
    (void)state;
    save();
    unsigned empty = class_of_b() + 1u; /* nothing of 56 bytes is free */
    listheap_heap_.bitmap[empty / 32u] |= (uint32_t)1 << (empty % 32u);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_BITMAP);
    restore();
}

static void test_check_reports_summary_bit_disagreeing_with_word(void **state) {
    (void)state;
    save();
    listheap_heap_.summary ^= 1u;
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_BITMAP);
    restore();
}

static void test_check_reports_summary_bit_beyond_bitmap(void **state) {
    (void)state;
    save();
    listheap_heap_.summary |= (uint32_t)1 << BITMAP_WORDS;
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_BITMAP);
    restore();
}

static void test_check_reports_bitmap_bit_beyond_last_class(void **state) {
    (void)state;
    if (CLASS_COUNT % 32u == 0)
        skip();
    save();
    listheap_heap_.bitmap[BITMAP_WORDS - 1] |= (uint32_t)1 << 31;
    listheap_heap_.summary |= (uint32_t)1 << (BITMAP_WORDS - 1); /* consistent summary */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_BITMAP);
    restore();
}

static void test_check_reports_damaged_end_marker(void **state) {
    (void)state;
    size_t *end = header_of(listheap_heap_.regions[0].end);
    size_t saved = *end;
    *end = saved | 64u;
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_SENTINEL);
    *end = saved & ~FLAG_PREV_FREE; /* the end marker forgets that the tail is free */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_PREV_FLAG);
    *end = saved;
}

static void test_check_reports_list_cycle(void **state) {
    (void)state;
    struct free_block *fb = as_free(block_from_payload(b));
    set_next(fb, fb); /* b -> b -> ... */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_LINK); /* b->prev != b */
    set_prev(fb, fb);
    listheap_heap_.lists[class_of_b()] = link_encode(fb);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_LINK); /* head's prev must be NULL */
    set_next(fb, NULL);
    set_prev(fb, NULL);
}

static void test_check_reports_block_of_other_class_linked_into_list(void **state) {
    (void)state;
    /* d's tail block listed twice: in its own class and, with a consistent back link, after b */
    save();
    struct free_block *fb = as_free(block_from_payload(b));
    struct free_block *tail = as_free(block_from_payload(d));
    struct free_block saved_tail = *tail;
    set_next(fb, tail);
    set_prev(tail, fb);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_CLASS);
    set_next(fb, NULL);
    *tail = saved_tail;
    restore();
}

static void test_check_reports_more_nodes_listed_than_exist(void **state) {
    (void)state;
    /* A well-formed fake free block of b's class, built inside the free tail and linked after b:
     * every node looks right, but the lists hold one block more than the regions. */
    unsigned char *fake = block_from_payload(d) + 8 * MIN_BLOCK;
    size_t size = block_size(block_from_payload(b));
    unsigned char saved[8 * 64 + 8];
    memcpy(saved, fake, size + WORD);
    memset(fake, POISON_BYTE, size); /* what the checked build expects inside a free block */
    *header_of(fake) = size;
    *(size_t *)(void *)(fake + size - WORD) = size;
    *header_of(fake + size) |= FLAG_PREV_FREE; /* its successor knows it is free */
    struct free_block *fb = as_free(block_from_payload(b));
    set_next(fb, as_free(fake));
    set_prev(as_free(fake), fb);
    set_next(as_free(fake), NULL);
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_COUNT);
    set_next(fb, NULL);
    memcpy(fake, saved, size + WORD);
}

static void test_check_reports_block_listed_in_wrong_class(void **state) {
    (void)state;
    save();
    unsigned other = class_of_b() + 1u;
    listheap_heap_.lists[other] = listheap_heap_.lists[class_of_b()];
    listheap_heap_.lists[class_of_b()] = link_encode(NULL);
    listheap_heap_.bitmap[other / 32u] |= (uint32_t)1 << (other % 32u);
    listheap_heap_.bitmap[class_of_b() / 32u] &= ~((uint32_t)1 << (class_of_b() % 32u));
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_CLASS);
    restore();
}

static void test_check_reports_free_block_missing_from_lists(void **state) {
    (void)state;
    save();
    unsigned cb = class_of_b();
    listheap_heap_.lists[cb] = link_encode(NULL);
    listheap_heap_.bitmap[cb / 32u] &= ~((uint32_t)1 << (cb % 32u));
    if (!listheap_heap_.bitmap[cb / 32u])
        listheap_heap_.summary &= ~((uint32_t)1 << (cb / 32u));
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_COUNT);
    restore();
}

static void test_check_reports_counters_disagreeing_with_walk(void **state) {
    (void)state;
    save();
    listheap_heap_.used_bytes += 8;
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_TOTALS);
    restore();
    listheap_heap_.allocations++; /* one more live block than the walk finds */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_TOTALS);
    restore();
    listheap_heap_.free_blocks++;
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_TOTALS);
    restore();
}

static void test_check_reports_link_to_block_outside_every_region(void **state) {
    (void)state;
    static _Alignas(16) unsigned char elsewhere[64];
    struct free_block *fb = as_free(block_from_payload(b));
    set_next(fb, as_free(elsewhere + 8 - WORD)); /* even with the secret known */
    assert_int_equal(listheap_check(), LISTHEAP_E_BAD_LINK);
    set_next(fb, NULL);
}

static void test_memalign_reports_damaged_link_instead_of_following_it(void **state) {
    (void)state;
    struct free_block *tail = as_free(block_from_payload(d));
    uintptr_t saved = tail->prev_link;
    set_prev(tail, as_free(block_from_payload(c))); /* a live block: no consistent back link */
    struct listheap_stats before, after;
    listheap_get_stats(&before);
    assert_null(listheap_memalign(256, 64)); /* only the tail can serve it: b is too small */
    listheap_get_stats(&after);
    assert_int_equal(after.faults, before.faults + 1);
    assert_int_equal(after.failures, before.failures + 1);
    assert_int_equal(after.used_bytes, before.used_bytes);
    tail->prev_link = saved;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_check_reports_bitmap_bit_without_list),
        T(test_check_reports_summary_bit_disagreeing_with_word),
        T(test_check_reports_summary_bit_beyond_bitmap),
        T(test_check_reports_bitmap_bit_beyond_last_class),
        T(test_check_reports_damaged_end_marker),
        T(test_check_reports_list_cycle),
        T(test_check_reports_block_of_other_class_linked_into_list),
        T(test_check_reports_more_nodes_listed_than_exist),
        T(test_check_reports_block_listed_in_wrong_class),
        T(test_check_reports_free_block_missing_from_lists),
        T(test_check_reports_counters_disagreeing_with_walk),
        T(test_check_reports_link_to_block_outside_every_region),
        T(test_memalign_reports_damaged_link_instead_of_following_it),
    };
    return cmocka_run_group_tests_name("listheap_check", tests, NULL, NULL);
}
