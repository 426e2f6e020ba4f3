/*
 * On the target: newlib's own allocations land in listheap, through whichever of the three
 * link modes built this image (plain -llistheap, --whole-archive, --wrap=malloc,...).
 * Every test reads listheap's statistics before and after, and the teardown runs
 * listheap_check(). The heap is the linker script's (__heap_start/__heap_end), initialised
 * lazily by the first allocation, as in firmware that never calls listheap_init.
 *
 * CMocka itself prints and allocates outside listheap (test/support/target_cmocka.c), so the
 * counts below are newlib's alone. The tests run in order: the first use of stdio is the
 * first test's.
 */
#define _GNU_SOURCE 1 /* asprintf, strdup, posix_memalign... under -std=c11 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "listheap.h"

void cfree(void *ptr);

/* This image supplies newlib's lock hooks, as an RTOS port does (Debian's newlib ships them
 * empty): listheap must call them around every operation, nested calls included. */
static int lock_depth, lock_max_depth;
static unsigned long lock_calls, unlock_calls;
void __malloc_lock(struct _reent *r) {
    (void)r;
    lock_calls++;
    if (++lock_depth > lock_max_depth)
        lock_max_depth = lock_depth;
}
void __malloc_unlock(struct _reent *r) {
    (void)r;
    unlock_calls++;
    lock_depth--;
}

static struct listheap_stats stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

static int check_heap(void **state) {
    (void)state;
    assert_int_equal(listheap_check(), LISTHEAP_OK);
    return 0;
}

extern unsigned char __heap_start[], __heap_end[];

static int in_linker_heap(const void *p) {
    uintptr_t a = (uintptr_t)p;
    return a >= (uintptr_t)__heap_start && a < (uintptr_t)__heap_end;
}

static void test_first_printf_allocates_stdout_from_listheap(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    assert_int_equal(before.allocations, 0); /* nothing allocated before main */
    printf("test_newlib: buffered stdout, %d%s\n", 42, " (this line went through newlib's stdio)");
    fflush(stdout);
    struct listheap_stats after = stats();
    print_message("stdio allocated %u blocks, %u bytes\n", (unsigned)after.live_blocks,
                  (unsigned)after.used_bytes);
    assert_true(after.allocations > before.allocations);
    assert_true(after.used_bytes >= 1024); /* at least stdout's buffer */
    assert_int_equal(after.regions, 1);    /* the linker script's heap, found lazily */
}

static void test_strdup_allocates_from_listheap(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    char *s = strdup("again,hello");
    assert_non_null(s);
    assert_true(in_linker_heap(s));
    assert_true(listheap_usable_size(s) >= sizeof "again,hello");
    assert_int_equal(stats().live_blocks, before.live_blocks + 1);
    free(s);
    assert_int_equal(stats().live_blocks, before.live_blocks);
    assert_int_equal(stats().faults, 0);
}

static void test_asprintf_allocates_from_listheap(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    char *s = NULL;
    assert_int_equal(asprintf(&s, "%s-%d", "block", 7), 7);
    assert_string_equal(s, "block-7");
    assert_true(in_linker_heap(s));
    assert_true(stats().allocations > before.allocations);
    free(s);
    assert_int_equal(stats().live_blocks, before.live_blocks);
}

static void test_setvbuf_buffer_comes_from_listheap(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    assert_int_equal(setvbuf(stderr, NULL, _IOFBF, 300), 0);
    fprintf(stderr, "test_newlib: stderr, fully buffered in a 300-byte listheap block\n");
    struct listheap_stats buffered = stats();
    assert_true(buffered.used_bytes >= before.used_bytes + 300);
    fflush(stderr);
    assert_int_equal(setvbuf(stderr, NULL, _IONBF, 0), 0); /* newlib frees its buffer */
    assert_int_equal(stats().used_bytes, before.used_bytes);
}

/* A stream of its own: a semihosting file (the console, ":tt") where the image has the
 * semihosting file back end, else a memory stream. Either way its memory is listheap's. */
static void test_file_stream_buffer_comes_from_listheap(void **state) {
    (void)state;
    struct listheap_stats before = stats();
#ifdef TEST_SEMIHOST_FILES
    FILE *f = fopen(":tt", "w");
    assert_non_null(f);
    fputs("test_newlib: default-buffered semihosting stream\n", f);
    size_t during = stats().used_bytes;
    assert_true(during >= before.used_bytes + 1024); /* its buffer */
    fclose(f);
    assert_true(stats().used_bytes <= during - 1024); /* buffer given back */
#else
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    for (int i = 0; i < 50; i++)
        fprintf(f, "line %d of a memory stream\n", i);
    fclose(f);
    assert_true(len > 1000);
    assert_true(in_linker_heap(text));
    assert_true(stats().used_bytes >= before.used_bytes + len);
    size_t during = stats().used_bytes;
    free(text);
    assert_true(stats().used_bytes <= during - len);
#endif
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_every_malloc_family_entry_point_uses_listheap(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    void *p[9];
    p[0] = malloc(10);
    p[1] = calloc(3, 7);
    p[2] = realloc(NULL, 30);
    p[3] = memalign(32, 40);
    p[4] = aligned_alloc(64, 64);
    assert_int_equal(posix_memalign(&p[5], 16, 50), 0);
    p[6] = valloc(10);
    p[7] = pvalloc(10);
    p[8] = realloc(malloc(5), 500);
    for (int i = 0; i < 9; i++) {
        assert_non_null(p[i]);
        assert_true(in_linker_heap(p[i]));
        assert_true(malloc_usable_size(p[i]) > 0);
    }
    assert_int_equal((uintptr_t)p[3] % 32, 0);
    assert_int_equal((uintptr_t)p[4] % 64, 0);
    assert_int_equal((uintptr_t)p[6] % 4096, 0);
    assert_int_equal(stats().live_blocks, before.live_blocks + 9);
    struct mallinfo mi = mallinfo();
    assert_int_equal(mi.uordblks, stats().used_bytes);
    assert_int_equal(mi.arena, stats().total_bytes);
    for (int i = 0; i < 8; i++)
        free(p[i]);
    cfree(p[8]);
    assert_int_equal(stats().live_blocks, before.live_blocks);
    assert_int_equal(mallopt(0, 0), 0);
    assert_int_equal(malloc_trim(0), 0);
}

static void test_r_forms_set_errno_in_the_reent_they_are_given(void **state) {
    (void)state;
    static struct _reent other; /* only _errno is touched */
    volatile size_t huge = SIZE_MAX; /* hidden from the compiler's size checks */
    errno = 0;
    other._errno = 0;
    assert_null(_malloc_r(&other, huge));
    assert_int_equal(other._errno, ENOMEM);
    assert_int_equal(errno, 0);
    assert_null(_calloc_r(&other, SIZE_MAX / 2 + 1, 2));
    assert_null(_memalign_r(&other, 24, 8));
    assert_int_equal(other._errno, EINVAL);
    assert_int_equal(errno, 0);
    assert_null(malloc(huge));
    assert_int_equal(errno, ENOMEM);
}

static void test_posix_memalign_reports_errors_by_return_value(void **state) {
    (void)state;
    void *p = (void *)1;
    errno = 0;
    assert_int_equal(posix_memalign(&p, 24, 8), EINVAL);
    assert_int_equal(posix_memalign(&p, 2, 8), EINVAL); /* below sizeof(void *) */
    volatile size_t huge = SIZE_MAX;
    assert_int_equal(posix_memalign(&p, 16, huge), ENOMEM);
    assert_ptr_equal(p, (void *)1);
    assert_int_equal(errno, 0);
}

static void test_realloc_zero_frees_as_newlib_nano_does(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    void *p = malloc(20);
    assert_null(realloc(p, 0));
    assert_int_equal(stats().live_blocks, before.live_blocks);
}

/* Start-up order: once newlib holds blocks, listheap_init refuses (nothing changes) and the
 * firmware's buffer joins the heap with listheap_add_region instead. */
static void test_init_after_newlib_allocated_is_refused_and_add_region_works(void **state) {
    (void)state;
    static _Alignas(8) unsigned char extra[2048];
    struct listheap_stats before = stats();
    assert_true(before.live_blocks > 0); /* stdout's buffer, at least */
    assert_int_equal(listheap_init(extra, sizeof extra), LISTHEAP_E_BUSY);
    assert_int_equal(stats().total_bytes, before.total_bytes);
    assert_int_equal(listheap_add_region(extra, sizeof extra), LISTHEAP_OK);
    assert_int_equal(stats().regions, 2);
    printf("test_newlib: stdout still works after the region was added\n");
    fflush(stdout);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_newlib_malloc_lock_is_taken_around_every_call(void **state) {
    (void)state;
    unsigned long before = lock_calls;
    void *p = malloc(10);
    p = realloc(p, 2000); /* may move: malloc + copy + free, each locked */
    free(p);
    free(strdup("x"));
    assert_true(lock_calls >= before + 5);
    assert_int_equal(lock_calls, unlock_calls);
    assert_int_equal(lock_depth, 0);
    assert_int_equal(lock_max_depth, 1); /* listheap never nests its own lock */
}

static void test_malloc_stats_prints_to_stderr_like_newlib(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *capture = open_memstream(&text, &len);
    assert_non_null(capture);
    FILE *saved = _REENT->_stderr;
    _REENT->_stderr = capture;
    malloc_stats();
    _REENT->_stderr = saved;
    fclose(capture);
    assert_non_null(strstr(text, "max system bytes = "));
    assert_non_null(strstr(text, "in use bytes     = "));
    assert_non_null(strstr(text, "largest request  = "));
    free(text);
}

#define T(name) cmocka_unit_test_teardown(name, check_heap)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_first_printf_allocates_stdout_from_listheap),
        T(test_strdup_allocates_from_listheap),
        T(test_asprintf_allocates_from_listheap),
        T(test_setvbuf_buffer_comes_from_listheap),
        T(test_file_stream_buffer_comes_from_listheap),
        T(test_every_malloc_family_entry_point_uses_listheap),
        T(test_r_forms_set_errno_in_the_reent_they_are_given),
        T(test_posix_memalign_reports_errors_by_return_value),
        T(test_realloc_zero_frees_as_newlib_nano_does),
        T(test_init_after_newlib_allocated_is_refused_and_add_region_works),
        T(test_newlib_malloc_lock_is_taken_around_every_call),
        T(test_malloc_stats_prints_to_stderr_like_newlib),
    };
    return cmocka_run_group_tests_name("newlib uses listheap", tests, NULL, NULL);
}
