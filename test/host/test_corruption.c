/*
 * Heap corruption by the application, one attack per test, written as the attacker: the
 * overflow off the end of a live block, the write into a freed block's links, the forged
 * header. listheap.h promises that whatever the application writes inside the regions, no
 * call reads or writes outside them, none loops forever, none crashes; damage it sees is
 * reported through the fault hook and the call refuses. Each test checks exactly that:
 *   - the region sits between guard zones that are filled with a pattern (checked after every
 *     test) and, in the AddressSanitizer builds, poisoned (so a read there aborts too);
 *   - the call that meets the damage reports the expected fault and changes nothing;
 *   - what cannot be detected (a forgery that is a valid heap) stays inside the region.
 * White-box: includes block.h to lay out forged headers and links, and defines
 * listheap_secret_hook() so that it can play the attacker who knows the link secret too.
 * test/host/test_adversarial.c throws random corruption at the same promise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "block.h"
#include "harness.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WITH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WITH_ASAN 1
#endif
#ifdef WITH_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define GUARD 256u
#define REGION 2048u
#define GAP 512u
#define GUARD_BYTE 0x5Cu
/* Two regions with a gap between them, guard zones all around: | G | R1 | gap | R2 | G | */
static _Alignas(64) unsigned char mem[GUARD + REGION + GAP + REGION + GUARD];
static unsigned char *const r1 = mem + GUARD;
static unsigned char *const gap = mem + GUARD + REGION;
static unsigned char *const r2 = mem + GUARD + REGION + GAP;
static unsigned char *const tail_guard = mem + GUARD + REGION + GAP + REGION;

#define SECRET ((uintptr_t)0x5EC12E75A5A5C3C3ull)
uintptr_t listheap_secret_hook(void) {
    return SECRET;
}

static void fence(unsigned char *p, size_t n) {
    memset(p, GUARD_BYTE, n);
    POISON(p, n);
}

static void assert_fence_intact(unsigned char *p, size_t n) {
    UNPOISON(p, n);
    for (size_t i = 0; i < n; i++)
        if (p[i] != GUARD_BYTE)
            fail_msg("byte %zu of a guard zone at %p was written", i, (void *)p);
}

/* Region 1 only, or both regions; the gap and the guards fenced. */
static int setup(void **state) {
    (void)state;
    UNPOISON(mem, sizeof mem);
    for (size_t i = 0; i < sizeof mem; i++)
        mem[i] = (unsigned char)(0x3Bu ^ (i * 13u));
    assert_int_equal(listheap_init(r1, REGION), LISTHEAP_OK);
    assert_int_equal(listheap_add_region(r2, REGION), LISTHEAP_OK);
    fence(mem, GUARD);
    fence(gap, GAP);
    fence(tail_guard, GUARD);
    hooks_reset();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    assert_fence_intact(mem, GUARD);
    assert_fence_intact(gap, GAP);
    assert_fence_intact(tail_guard, GUARD);
    /* the next test's listheap_init needs no live block: forget the damaged heap */
    memset(&listheap_heap_, 0, sizeof listheap_heap_);
    return 0;
}

static struct listheap_stats stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

static unsigned char *block_of(void *payload) {
    return block_from_payload(payload);
}

static int inside(const void *p, size_t n, const unsigned char *lo, size_t size) {
    const unsigned char *b = p;
    return b >= lo && b + n <= lo + size;
}

/* A block handed out after the damage lies wholly inside one region. */
static void assert_in_a_region(const void *p) {
    if (!p)
        return;
    size_t usable = block_size(block_from_payload(p)) - WORD;
    assert_true(inside(block_from_payload(p), usable + WORD, r1, REGION) ||
                inside(block_from_payload(p), usable + WORD, r2, REGION));
}

/* Allocation that the damage must refuse: NULL, ENOMEM, one fault of `kind`, heap unchanged. */
static void assert_malloc_refused(size_t n, enum listheap_fault kind) {
    static unsigned char before[REGION];
    memcpy(before, r1, REGION);
    size_t used = stats().used_bytes, faults = stats().faults;
    hooks_reset();
    errno = 0;
    assert_null(listheap_malloc(n));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(hooks.fault_kind, kind);
    assert_int_equal(stats().faults, faults + 1);
    assert_int_equal(stats().used_bytes, used);
    assert_memory_equal(before, r1, REGION);
}

/* Free that the damage must refuse: one fault of `kind`, region 1 byte for byte unchanged. */
static void assert_free_refused(void *p, enum listheap_fault kind) {
    static unsigned char before[REGION];
    memcpy(before, r1, REGION);
    hooks_reset();
    listheap_free(p);
    assert_int_equal(hooks.fault_calls, 1);
    assert_int_equal(hooks.fault_kind, kind);
    assert_memory_equal(before, r1, REGION);
}

/* ------------------------------------------------------------ overflow into a free header */

/* The commonest heap bug: a write one word past a live block lands on the header of the free
 * block after it. The forged size would make malloc carve and write its tags anywhere. */
static void test_malloc_refuses_free_block_whose_header_an_overflow_rewrote(void **state) {
    (void)state;
    for (int i = 0; i < 8; i++) {
        unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *c = listheap_malloc(20);
        listheap_free(b);
        size_t saved = *header_of(block_of(b));
        /* values malloc(20) still takes (at least the size it needs): too big, flagged */
        const size_t forged[] = {saved + 8, saved + 64, REGION * 16, SIZE_MAX & ~(size_t)7,
                                 (size_t)1 << (8 * sizeof(size_t) - 1), saved | FLAG_USED,
                                 saved | FLAG_PREV_FREE, saved | 4u};
        /* a[usable]: the word after a's last usable byte */
        memcpy(a + block_size(block_of(a)) - WORD, &forged[i], sizeof forged[i]);
        assert_malloc_refused(20, LISTHEAP_FAULT_BAD_HEADER);
        assert_int_not_equal(listheap_check(), LISTHEAP_OK);
        *header_of(block_of(b)) = saved; /* repaired: the heap works again */
        assert_int_equal(listheap_check(), LISTHEAP_OK);
        listheap_free(a);
        listheap_free(c);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
    }
}

/* The same overflow met by free instead: freeing the live block before the damaged free one
 * would merge with it. Small sizes too, which malloc(20) would not take. */
static void test_free_refuses_to_merge_with_free_block_whose_header_was_rewritten(void **state) {
    (void)state;
    for (int i = 0; i < 6; i++) {
        unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *c = listheap_malloc(20);
        listheap_free(b);
        size_t saved = *header_of(block_of(b));
        const size_t forged[] = {0, 1, 8, saved - 8, REGION * 4, saved + 8};
        *header_of(block_of(b)) = forged[i];
        assert_free_refused(a, LISTHEAP_FAULT_BAD_HEADER);
        *header_of(block_of(b)) = saved;
        listheap_free(a);
        listheap_free(c);
        assert_int_equal(listheap_check(), LISTHEAP_OK);
    }
}

static void test_malloc_refuses_free_block_whose_boundary_tag_was_rewritten(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *c = listheap_malloc(20);
    (void)a;
    (void)c;
    listheap_free(b);
    size_t size = block_size(block_of(b));
    *(size_t *)(void *)(block_of(b) + size - WORD) = size + 64; /* tag disagrees with header */
    assert_malloc_refused(20, LISTHEAP_FAULT_BAD_HEADER);
    assert_free_refused(c, LISTHEAP_FAULT_BAD_HEADER); /* c's "free predecessor" is damaged */
}

static void test_malloc_refuses_free_block_whose_successor_forgot_it_is_free(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *c = listheap_malloc(20);
    (void)a;
    listheap_free(b);
    *header_of(block_of(c)) &= ~FLAG_PREV_FREE;
    assert_malloc_refused(20, LISTHEAP_FAULT_BAD_HEADER);
}

/* A consistent smaller block (header, tag and successor flag all forged) is listed in the
 * wrong class: malloc would hand out less than the class promises. */
static void test_malloc_refuses_free_block_of_another_class(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(40), *b = listheap_malloc(40), *c = listheap_malloc(40);
    (void)a;
    (void)c;
    listheap_free(b);
    unsigned char *fb = block_of(b);
    size_t smaller = block_size(fb) - 8;
    *header_of(fb) = smaller;
    *(size_t *)(void *)(fb + smaller - WORD) = smaller;
    *header_of(fb + smaller) = FLAG_PREV_FREE | FLAG_USED | 16u;
    /* a request for exactly the forged size finds its own class empty and takes b's head */
    assert_malloc_refused(smaller - EXTRA_BYTES, LISTHEAP_FAULT_BAD_HEADER);
}

/* ------------------------------------------------------------ forged links */

/* Write into a freed block: its next link now names a node the attacker laid out inside a
 * live block, with a back link, a header, a tag and a successor flag: a perfect forgery of a
 * free block. Without the secret the link decodes to a wild address and is refused. */
static void lay_out_fake_free_block(unsigned char *fake, size_t size, struct free_block *back,
                                    int knows_secret) {
    *header_of(fake) = size;
    *(size_t *)(void *)(fake + size - WORD) = size;
    *header_of(fake + size) = FLAG_USED | FLAG_PREV_FREE | 16u;
    if (knows_secret) {
        set_prev(as_free(fake), back);
        set_next(as_free(fake), NULL);
    } else {
        as_free(fake)->prev_link = (uintptr_t)back;
        as_free(fake)->next_link = 0;
    }
}

static void test_forged_link_to_node_in_live_block_is_refused_without_the_secret(void **state) {
    (void)state;
    if (!LISTHEAP_PROTECT_LINKS)
        skip(); /* without the secret the forgery is valid: the next test's case */
    unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *big = listheap_malloc(200);
    (void)a;
    listheap_free(b);
    unsigned char *fake = big + 8 - WORD + 64; /* payload of the fake 8-aligned */
    size_t size = block_size(block_of(b));
    lay_out_fake_free_block(fake, size, as_free(block_of(b)), 0);
    as_free(block_of(b))->next_link = (uintptr_t)fake; /* the raw address: secret unknown */
    assert_malloc_refused(20, LISTHEAP_FAULT_BAD_LINK);
}

/* The attacker who knows the secret forges a heap indistinguishable from a valid one: the
 * fake block is handed out. The promise still holds: it lies inside the live block it was
 * forged in, inside the region, and nothing outside the region is touched. */
static void test_forgery_with_the_secret_overlaps_a_live_block_and_stays_inside_it(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *big = listheap_malloc(200);
    (void)a;
    listheap_free(b);
    unsigned char *fake = big + 8 - WORD + 64;
    size_t size = block_size(block_of(b));
    lay_out_fake_free_block(fake, size, as_free(block_of(b)), 1);
    set_next(as_free(block_of(b)), as_free(fake));
    void *first = listheap_malloc(20), *second = listheap_malloc(20);
    assert_ptr_equal(first, b);
    assert_ptr_equal(second, payload_of(fake)); /* the forgery: overlaps `big` */
    assert_true(inside(block_of(second), size, block_of(big), block_size(block_of(big))));
    assert_in_a_region(second);
}

/* A link (written with the secret, so only the bounds can stop it) to each place a node
 * cannot be: outside every region, in the gap between the regions, so close to the end
 * marker that the node would cross it, misaligned, and the block itself. */
static void test_links_to_impossible_places_are_refused_before_they_are_followed(void **state) {
    (void)state;
    static _Alignas(16) unsigned char elsewhere[64];
    unsigned char *const targets[] = {
        elsewhere + 8 - WORD,                 /* outside every region */
        gap + 64 + 8 - WORD,                  /* between the regions */
        tail_guard + 8 - WORD,                /* past the last region */
        listheap_heap_.regions[0].end - 8,    /* node would cross the end marker */
        listheap_heap_.regions[0].first + 4,  /* misaligned */
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0] + 1; i++) {
        unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *c = listheap_malloc(20);
        listheap_free(b);
        struct free_block *fb = as_free(block_of(b));
        uintptr_t saved_next = fb->next_link, saved_prev = fb->prev_link;
        if (i < sizeof targets / sizeof targets[0]) {
            set_next(fb, as_free(targets[i]));
        } else { /* a node linked to itself both ways */
            set_next(fb, fb);
            set_prev(fb, fb);
        }
        assert_malloc_refused(20, LISTHEAP_FAULT_BAD_LINK);
        assert_free_refused(a, LISTHEAP_FAULT_BAD_LINK); /* a's free would merge with b */
        fb->next_link = saved_next;
        fb->prev_link = saved_prev;
        assert_int_equal(listheap_check(), LISTHEAP_OK);
        listheap_free(a);
        listheap_free(c);
    }
}

/* The links are stored XOR-ed with the secret from listheap_secret_hook(). */
static void test_free_list_links_are_stored_encoded_with_the_secret(void **state) {
    (void)state;
    unsigned char *a = listheap_malloc(20), *b = listheap_malloc(20), *c = listheap_malloc(20);
    (void)b;
    listheap_free(a);
    listheap_free(c); /* c merges with the tail: its list holds the tail only */
    struct free_block *fa = as_free(block_of(a));
#if LISTHEAP_PROTECT_LINKS
    assert_true(listheap_heap_.link_secret == SECRET);
    assert_true(fa->prev_link == SECRET);      /* NULL, encoded */
    assert_true(fa->next_link == SECRET);      /* alone in its class */
#else
    assert_true(fa->prev_link == 0 && fa->next_link == 0);
#endif
}

/* ------------------------------------------------------------ forged headers of live blocks */

/* The first block of a region claims a free predecessor: there is none, and the word before
 * it may lie outside the region. free refuses without reading it. */
static void test_first_block_claiming_a_free_predecessor_is_refused(void **state) {
    (void)state;
    /* region 2 starts so that its first block is at its very start (no pad word before it) */
    memset(&listheap_heap_, 0, sizeof listheap_heap_);
    UNPOISON(mem, sizeof mem);
    unsigned char *start = r2 + (8 - WORD) % 8;
    assert_int_equal(listheap_init(start, REGION - 8), LISTHEAP_OK);
    fence(gap, GAP);
    fence(mem, GUARD);
    fence(tail_guard, GUARD);
    POISON(r2, (size_t)(start - r2));
    unsigned char *p = listheap_malloc(20);
    assert_ptr_equal(block_of(p), start);
    *header_of(block_of(p)) |= FLAG_PREV_FREE;
    hooks_reset();
    listheap_free(p);
    assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_HEADER);
    UNPOISON(r2, (size_t)(start - r2));
}

/* A live block's header forged to reach exactly to a later header or to the end marker is
 * indistinguishable from a real one: free accepts it and the span becomes one free block
 * holding live and listed blocks. What follows stays inside the region, and the full check
 * sees the damage. */
static void test_header_forged_to_reach_a_later_header_damages_only_the_region(void **state) {
    (void)state;
    unsigned char *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = listheap_malloc(40);
    listheap_free(p[2]); /* a listed block inside the span */
    unsigned char *a = block_of(p[0]);
    size_t to_later = (size_t)(block_of(p[4]) - a);
    *header_of(a) = to_later | FLAG_USED;
    listheap_free(p[0]); /* accepted: undetectable in O(1) */
    assert_int_not_equal(listheap_check(), LISTHEAP_OK);
    for (int i = 0; i < 64; i++) {
        void *q = listheap_malloc((size_t)(8 + i * 24) % 300);
        assert_in_a_region(q);
        if (q)
            memset(q, 0x77, listheap_usable_size(q));
    }
    void *huge = listheap_malloc(SIZE_MAX / 2);
    assert_null(huge);
    /* now the end marker: the last live block of region 1 forged to reach it */
    unsigned char *last = listheap_malloc(40);
    if (last && inside(block_of(last), 1, r1, REGION)) {
        *header_of(block_of(last)) =
            (size_t)(listheap_heap_.regions[0].end - block_of(last)) | FLAG_USED;
        listheap_free(last);
        for (int i = 0; i < 32; i++)
            assert_in_a_region(listheap_malloc(24));
    }
}

/* ------------------------------------------------------------ walks */

static void count_leaks(void *ctx, const void *caller, size_t blocks, size_t bytes) {
    (void)caller;
    (void)bytes;
    *(size_t *)ctx += blocks;
}

static void count_blocks(void *ctx, void *payload, size_t size, int used) {
    (void)payload;
    (void)size;
    (void)used;
    ++*(size_t *)ctx;
}

/* A header of size 0 used to make the leak report loop forever; a wild size made it read
 * anywhere. Every walk now stops at the damaged block. */
static void test_walks_stop_at_a_header_of_size_zero_or_a_wild_size(void **state) {
    (void)state;
    static const size_t forged[] = {FLAG_USED, FLAG_USED | 8u, (SIZE_MAX & ~(size_t)7) | FLAG_USED,
                                    ((size_t)REGION * 2) | FLAG_USED};
    unsigned char *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = listheap_malloc(24);
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        size_t saved = *header_of(block_of(p[2]));
        *header_of(block_of(p[2])) = forged[i];
        size_t leaks = 0, blocks = 0;
        listheap_report_leaks(count_leaks, &leaks);
        listheap_walk(count_blocks, &blocks);
        assert_true(leaks >= 2 && leaks < 4 + 2); /* p[0], p[1] at least; region 2 untouched */
        assert_true(blocks >= 2);
        assert_int_equal(listheap_check(), LISTHEAP_E_BAD_SIZE);
        struct listheap_check_cursor cur = {0};
        int status;
        while ((status = listheap_check_step(&cur, 1)) == LISTHEAP_CHECK_IN_PROGRESS)
            ;
        assert_int_equal(status, LISTHEAP_E_BAD_SIZE);
        *header_of(block_of(p[2])) = saved;
    }
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

/* listheap_check_step() keeps its place between calls; a size damaged between two calls
 * (without any heap call that would restart the pass) must not send it out of the region. */
static void test_check_step_survives_damage_made_between_two_steps(void **state) {
    (void)state;
    unsigned char *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = listheap_malloc(24);
    for (unsigned budget = 1; budget < 40; budget++) {
        struct listheap_check_cursor cur = {0};
        int status = listheap_check_step(&cur, budget); /* part of a pass */
        size_t saved = *header_of(block_of(p[5]));
        *header_of(block_of(p[5])) = (SIZE_MAX & ~(size_t)7) | FLAG_USED;
        while (status == LISTHEAP_CHECK_IN_PROGRESS)
            status = listheap_check_step(&cur, 1);
        *header_of(block_of(p[5])) = saved;
        /* the damage was seen, or the pass had already walked past p[5] */
        assert_true(status == LISTHEAP_E_BAD_SIZE || status == LISTHEAP_OK);
    }
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

/* A cursor from before listheap_init() must not resume into the old heap's memory, which is
 * the application's again (found by the fuzzer: init reset the generation the cursor keys on,
 * and the first insert brought it back to the cursor's value). */
static void test_check_step_starts_over_after_listheap_init(void **state) {
    (void)state;
    memset(&listheap_heap_, 0, sizeof listheap_heap_); /* as at boot */
    assert_int_equal(listheap_init(r1, REGION), LISTHEAP_OK);
    struct listheap_check_cursor cur = {0};
    assert_int_equal(listheap_check_step(&cur, 1), LISTHEAP_CHECK_IN_PROGRESS);
    assert_int_equal(listheap_init(r2, REGION), LISTHEAP_OK);
    memset(r1, 0xFF, REGION); /* the old heap: application data now, and fenced */
    POISON(r1, REGION);
    int status;
    while ((status = listheap_check_step(&cur, 1)) == LISTHEAP_CHECK_IN_PROGRESS)
        ;
    UNPOISON(r1, REGION);
    assert_int_equal(status, LISTHEAP_OK);
}

static void test_stats_report_no_guarantee_from_a_damaged_list_head(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    assert_true(before.largest_free_block > 0);
    /* the largest free block is region 2's whole span: damage its header */
    unsigned char *tail = listheap_heap_.regions[1].first;
    size_t saved = *header_of(tail);
    *header_of(tail) = 8;
    struct listheap_stats after = stats();
    assert_true(after.largest_free_block == 0);
    *header_of(tail) = saved;
}

/* realloc that would grow into its free predecessor meets a forged one: the predecessor's
 * boundary tag rewritten so that the merge would start outside region 1, or its header so that
 * it would claim the block itself. realloc refuses with EINVAL and writes nothing. */
static void test_realloc_refuses_to_grow_into_a_forged_predecessor(void **state) {
    (void)state;
    unsigned char *before = listheap_malloc(100), *p = listheap_malloc(40);
    listheap_malloc(16);
    listheap_free(before);
    size_t *tag = (size_t *)(void *)(block_of(p) - WORD);
    size_t saved_tag = *tag, saved_header = *header_of(block_of(before));
    const size_t forged_tags[] = {saved_tag + 8, (size_t)(block_of(p) - r1) + 8, REGION * 64, 8};
    for (int i = 0; i < 5; i++) {
        if (i < 4)
            *tag = forged_tags[i];
        else
            *header_of(block_of(before)) = saved_header + 64;
        static unsigned char snapshot[REGION];
        memcpy(snapshot, r1, REGION);
        hooks_reset();
        errno = 0;
        assert_null(listheap_realloc(p, 120));
        assert_int_equal(errno, EINVAL);
        assert_int_equal(hooks.fault_calls, 1);
        assert_int_equal(hooks.fault_kind, LISTHEAP_FAULT_BAD_HEADER);
        assert_memory_equal(snapshot, r1, REGION);
        *tag = saved_tag;
        *header_of(block_of(before)) = saved_header;
    }
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    assert_non_null(listheap_realloc(p, 120)); /* repaired: it grows */
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_malloc_refuses_free_block_whose_header_an_overflow_rewrote),
        T(test_free_refuses_to_merge_with_free_block_whose_header_was_rewritten),
        T(test_malloc_refuses_free_block_whose_boundary_tag_was_rewritten),
        T(test_malloc_refuses_free_block_whose_successor_forgot_it_is_free),
        T(test_malloc_refuses_free_block_of_another_class),
        T(test_forged_link_to_node_in_live_block_is_refused_without_the_secret),
        T(test_forgery_with_the_secret_overlaps_a_live_block_and_stays_inside_it),
        T(test_links_to_impossible_places_are_refused_before_they_are_followed),
        T(test_free_list_links_are_stored_encoded_with_the_secret),
        T(test_first_block_claiming_a_free_predecessor_is_refused),
        T(test_header_forged_to_reach_a_later_header_damages_only_the_region),
        T(test_walks_stop_at_a_header_of_size_zero_or_a_wild_size),
        T(test_check_step_survives_damage_made_between_two_steps),
        T(test_check_step_starts_over_after_listheap_init),
        T(test_stats_report_no_guarantee_from_a_damaged_list_head),
        T(test_realloc_refuses_to_grow_into_a_forged_predecessor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
