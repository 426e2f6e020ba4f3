/*
 * rtos/freertos/listheap_freertos.c, the file a FreeRTOS user compiles instead of heap_N.c.
 *
 * The kernel is a STAND-IN (test/support/freertos/kernel/): the FreeRTOS kernel is not a
 * Debian package and its code is not copied into listheap, so the few headers and calls the
 * glue uses are re-declared there with the kernel's names and types, and the scheduler is one
 * suspension counter that records how deep it went. The application's FreeRTOSConfig.h is
 * test/support/freertos/app/FreeRTOSConfig.h, which holds the lines docs/integration.md tells
 * users to paste.
 *
 * How the lock is proved: alloc/ is compiled here exactly as liblistheap.a is, with
 * LISTHEAP_LOCKING_NEWLIB (a stand-in <sys/reent.h> replaces newlib's on glibc), so every
 * listheap call takes __malloc_lock(), and the only definition in the link is the glue's. Code
 * that listheap runs under its lock (the secret hook, a walk's visitor) sees the suspension
 * depth, and the stand-in counts suspended sections: one outermost section per glue call, with
 * listheap's lock nested inside it, is what heap_4.c's users get.
 *
 * Blocks are computed as alloc/listheap.h states for the release build (header + request,
 * rounded to 8, at least LISTHEAP_MIN_BLOCK): rtos/rtos.mk builds this suite in release
 * configurations only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "FreeRTOS.h"
#include "listheap.h"
#include "standin.h"
#include "task.h"

#define ARENA_BYTES 4096
#define W LISTHEAP_OVERHEAD

static _Alignas(16) unsigned char arena[ARENA_BYTES];

/* The glue's definitions; newlib declares them in <malloc.h>, glibc nowhere. */
struct _reent;
void __malloc_lock(struct _reent *reent);
void __malloc_unlock(struct _reent *reent);

/* The CMSIS vector names, as a device's startup file refers to them. */
void SVC_Handler(void);
void PendSV_Handler(void);
void SysTick_Handler(void);

/* ------------------------------------------------------------ what the hooks saw */

#define TRACE_MAX 8
struct trace {
    void *address;
    size_t size;
    unsigned depth; /* scheduler suspension depth when the macro ran */
};

static struct {
    struct trace mallocs[TRACE_MAX], frees[TRACE_MAX];
    unsigned malloc_count, free_count;
    unsigned failed_hook_calls, failed_hook_depth;
    unsigned faults;
    enum listheap_fault fault_kind;
    const void *fault_ptr;
    unsigned secret_calls, secret_depth;
    unsigned visits, visit_depth;
} seen;

static unsigned depth(void) {
    return standin_record()->depth;
}

static void record_trace(struct trace *traces, unsigned *count, void *address, size_t size) {
    if (*count < TRACE_MAX)
        traces[*count] = (struct trace){address, size, depth()};
    (*count)++;
}

void test_trace_malloc(void *pvAddress, size_t uiSize) {
    record_trace(seen.mallocs, &seen.malloc_count, pvAddress, uiSize);
}

void test_trace_free(void *pvAddress, size_t uiSize) {
    record_trace(seen.frees, &seen.free_count, pvAddress, uiSize);
}

void vApplicationMallocFailedHook(void) {
    seen.failed_hook_calls++;
    seen.failed_hook_depth = depth();
}

void listheap_fault_hook(enum listheap_fault kind, const void *ptr) {
    seen.faults++;
    seen.fault_kind = kind;
    seen.fault_ptr = ptr;
}

/* Runs under listheap's lock, once per heap initialisation. */
uintptr_t listheap_secret_hook(void) {
    seen.secret_calls++;
    seen.secret_depth = depth();
    return (uintptr_t)0x5eed1e55u;
}

static void note_visit_depth(void *ctx, void *payload, size_t size, int used) {
    (void)ctx, (void)payload, (void)size, (void)used;
    seen.visits++;
    seen.visit_depth = depth();
}

/* ------------------------------------------------------------ fixture helpers */

/* Release build: header + request, rounded up to 8, never below the minimum block. */
static size_t block_for(size_t n) {
    size_t b = (n + W + 7u) & ~(size_t)7u;
    return b < LISTHEAP_MIN_BLOCK ? LISTHEAP_MIN_BLOCK : b;
}

static struct listheap_stats stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

/* Nothing recorded; the scheduler running, as for most of an application's heap calls. */
static void forget_what_was_seen(void) {
    memset(&seen, 0, sizeof seen);
    standin_reset();
    standin_start_scheduler();
}

/* Blocks a failed test left live, so that the next test still starts from a fresh heap. */
struct leftovers {
    void *live[64];
    size_t count;
};

static void note_live_block(void *ctx, void *payload, size_t size, int used) {
    struct leftovers *l = ctx;
    (void)size;
    if (used && l->count < sizeof l->live / sizeof l->live[0])
        l->live[l->count++] = payload;
}

static void free_leftovers(void) {
    struct leftovers l = {{NULL}, 0};
    listheap_walk(note_live_block, &l); /* the visitor must not free: collect, then free */
    for (size_t i = 0; i < l.count; i++)
        listheap_free(l.live[i]);
}

/* A fresh heap over a garbage-filled arena, statistics at zero, a freshly booted kernel,
 * nothing recorded. */
static int fresh_heap(void **state) {
    (void)state;
    standin_reset();
    standin_start_scheduler();
    free_leftovers();
    memset(arena, 0xa5, sizeof arena);
    if (listheap_init(arena, sizeof arena) != LISTHEAP_OK)
        return -1;
    forget_what_was_seen();
    return 0;
}

/* Every test ends with the scheduler running again and a heap that checks clean. */
static int scheduler_resumed_and_heap_sound(void **state) {
    (void)state;
    const struct standin_record *r = standin_record();
    if (r->depth != 0 || r->unmatched_resumes != 0) {
        print_error("scheduler left suspended (depth %u) or resumed too often (%u)\n", r->depth,
                    r->unmatched_resumes);
        return -1;
    }
    return listheap_check() == LISTHEAP_OK ? 0 : -1;
}

static void assert_one_suspended_section(void) {
    assert_int_equal(standin_record()->outermost, 1);
    assert_int_equal(standin_record()->depth, 0);
    assert_int_equal(standin_record()->unmatched_resumes, 0);
}

/* ------------------------------------------------------------ the lock */

/* Before vTaskStartScheduler(): main()'s printf, strdup or pvPortMalloc must neither suspend
 * the scheduler nor, through the port's pre-start xTaskResumeAll(), leave interrupts masked
 * (the HAL tick would stop and the next HAL_Delay hang). */
static void test_heap_calls_before_the_scheduler_starts_leave_interrupts_unmasked(void **state) {
    (void)state;
    standin_reset(); /* a freshly booted kernel: scheduler not started */
    void *a = listheap_malloc(40);           /* newlib's malloc path: __malloc_lock */
    void *b = pvPortMalloc(64);              /* xTaskCreate's path */
    void *c = pvPortCalloc(4, 8);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    listheap_free(a);
    vPortFree(b);
    vPortFree(c);
    HeapStats_t hs;
    vPortGetHeapStats(&hs);
    assert_int_equal(standin_record()->outermost, 0);
    assert_int_equal(standin_record()->nested, 0);
    assert_int_equal(standin_record()->masked, 0);
    assert_int_equal(stats().live_blocks, 0);
    /* once it runs, the same calls suspend it again */
    standin_start_scheduler();
    void *d = pvPortMalloc(64);
    assert_non_null(d);
    assert_int_equal(standin_record()->outermost, 1);
    vPortFree(d);
    assert_int_equal(standin_record()->masked, 0);
}

/* listheap compiled as liblistheap.a calls __malloc_lock: the glue's, which suspends the
 * scheduler. Called directly, as newlib's malloc or the application's would be. */
static void test_listheap_lock_is_the_glues_malloc_lock_which_suspends_the_scheduler(void **state) {
    (void)state;
    assert_int_equal(listheap_init(arena, sizeof arena), LISTHEAP_OK);
    assert_int_equal(seen.secret_calls, 1);
    assert_int_equal(seen.secret_depth, 1); /* inside listheap's lock */

    listheap_walk(note_visit_depth, NULL);
    assert_true(seen.visits > 0);
    assert_int_equal(seen.visit_depth, 1);

    forget_what_was_seen();
    void *p = listheap_malloc(40);
    assert_non_null(p);
    assert_int_equal(standin_record()->outermost, 1);
    assert_int_equal(standin_record()->deepest, 1);
    listheap_free(p);
    assert_int_equal(standin_record()->outermost, 2);
    assert_int_equal(standin_record()->depth, 0);
}

static void test_malloc_lock_nests_and_each_unlock_restores_one_level(void **state) {
    (void)state;
    __malloc_lock(NULL);
    __malloc_lock(NULL);
    assert_int_equal(depth(), 2);
    __malloc_unlock(NULL);
    assert_int_equal(depth(), 1);

    void *p = pvPortMalloc(24); /* heap calls nest inside a held malloc lock */
    assert_non_null(p);
    assert_int_equal(depth(), 1);
    assert_int_equal(standin_record()->deepest, 3); /* held + glue + listheap's own lock */
    vPortFree(p);
    assert_int_equal(depth(), 1);

    __malloc_unlock(NULL);
    assert_int_equal(depth(), 0);
    assert_int_equal(standin_record()->outermost, 1);
    assert_int_equal(standin_record()->unmatched_resumes, 0);
}

/* heap_4's shape: one suspended section holding the heap operation and the trace macro. */
static void test_pvPortMalloc_runs_heap_call_and_trace_in_one_suspended_section(void **state) {
    (void)state;
    void *p = pvPortMalloc(100);
    assert_non_null(p);
    assert_one_suspended_section();
    assert_int_equal(standin_record()->deepest, 2); /* listheap's lock nested in the glue's */
    assert_int_equal(seen.malloc_count, 1);
    assert_ptr_equal(seen.mallocs[0].address, p);
    assert_int_equal(seen.mallocs[0].depth, 1);
    vPortFree(p);
}

static void test_vPortFree_runs_heap_call_and_trace_in_one_suspended_section(void **state) {
    (void)state;
    void *p = pvPortMalloc(100);
    assert_non_null(p);
    forget_what_was_seen();
    vPortFree(p);
    assert_one_suspended_section();
    assert_int_equal(standin_record()->deepest, 2);
    assert_int_equal(seen.free_count, 1);
    assert_ptr_equal(seen.frees[0].address, p);
    assert_int_equal(seen.frees[0].depth, 1);
    assert_int_equal(stats().used_bytes, 0);
}

static void test_vPortGetHeapStats_walks_the_heap_in_one_suspended_section(void **state) {
    (void)state;
    HeapStats_t h;
    vPortGetHeapStats(&h);
    assert_one_suspended_section();
    assert_int_equal(standin_record()->deepest, 2);
}

/* ------------------------------------------------------------ failures and hooks */

static void test_malloc_failed_hook_runs_once_per_failure_after_resume_never_on_success(void **state) {
    (void)state;
    void *p = pvPortMalloc(64);
    assert_non_null(p);
    assert_int_equal(seen.failed_hook_calls, 0);

    struct listheap_stats before = stats();
    assert_null(pvPortMalloc(ARENA_BYTES));
    assert_int_equal(seen.failed_hook_calls, 1);
    assert_int_equal(seen.failed_hook_depth, 0); /* the scheduler runs again, as in heap_4 */
    assert_int_equal(seen.malloc_count, 2);
    assert_null(seen.mallocs[1].address); /* traceMALLOC(NULL, 0), as heap_4 */
    assert_int_equal(seen.mallocs[1].size, 0);
    assert_int_equal(stats().used_bytes, before.used_bytes);
    assert_int_equal(stats().failures, before.failures + 1);

    vPortFree(p);
    assert_int_equal(seen.failed_hook_calls, 1);
}

static void test_pvPortCalloc_zeroes_the_block(void **state) {
    (void)state;
    unsigned char *p = pvPortCalloc(10, 12); /* the arena was garbage-filled */
    assert_non_null(p);
    for (size_t i = 0; i < 120; i++)
        assert_int_equal(p[i], 0);
    assert_int_equal(seen.failed_hook_calls, 0);
    vPortFree(p);
}

static void test_pvPortCalloc_overflow_returns_null_and_reports_one_failure(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    assert_null(pvPortCalloc(SIZE_MAX / 2 + 1, 2));
    assert_null(pvPortCalloc(2, SIZE_MAX / 2 + 1));
    assert_int_equal(seen.failed_hook_calls, 2);
    assert_int_equal(stats().used_bytes, before.used_bytes);
    assert_int_equal(stats().allocations, before.allocations);
}

static void test_vPortFree_null_does_nothing(void **state) {
    (void)state;
    struct listheap_stats before = stats();
    unsigned sections = standin_record()->outermost;
    vPortFree(NULL);
    assert_int_equal(standin_record()->outermost, sections); /* not even a suspension */
    assert_int_equal(seen.free_count, 0);
    assert_int_equal(seen.faults, 0);
    struct listheap_stats after = stats();
    assert_memory_equal(&after, &before, sizeof before);
}

#define ANY_FAULT ((enum listheap_fault)0)

/* Each bad pointer is reported once (as `kind` unless ANY_FAULT), not freed, not traced; the
 * heap keeps every byte. */
static void assert_free_refused(void *bad, enum listheap_fault kind) {
    struct listheap_stats before = stats();
    unsigned faults = seen.faults, traced = seen.free_count;
    vPortFree(bad);
    assert_int_equal(seen.faults, faults + 1);
    if (kind != ANY_FAULT)
        assert_int_equal(seen.fault_kind, kind);
    assert_ptr_equal(seen.fault_ptr, bad);
    assert_int_equal(seen.free_count, traced);
    struct listheap_stats after = stats();
    assert_int_equal(after.faults, before.faults + 1);
    after.faults = before.faults;
    assert_memory_equal(&after, &before, sizeof before);
    assert_int_equal(listheap_check(), LISTHEAP_OK);
}

static void test_vPortFree_invalid_pointer_reports_one_fault_and_changes_nothing(void **state) {
    (void)state;
    int on_stack = 0;
    unsigned char *p = pvPortMalloc(100);
    unsigned char *q = pvPortMalloc(100);
    assert_non_null(p);
    assert_non_null(q);
    memset(p, 0x3c, 100);

    assert_free_refused(&on_stack, LISTHEAP_FAULT_FOREIGN);
    assert_free_refused(p + 8, ANY_FAULT); /* interior: the kind depends on the bytes there */
    vPortFree(q);
    assert_free_refused(q, LISTHEAP_FAULT_NOT_LIVE);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(p[i], 0x3c);
    vPortFree(p);
    assert_int_equal(stats().used_bytes, 0);
}

/* ------------------------------------------------------------ statistics */

struct walk_totals {
    size_t free_blocks, smallest_free;
};

static void total_free_blocks(void *ctx, void *payload, size_t size, int used) {
    struct walk_totals *t = ctx;
    (void)payload;
    if (used)
        return;
    if (t->free_blocks == 0 || size < t->smallest_free)
        t->smallest_free = size;
    t->free_blocks++;
}

/* Five blocks, then the second and fourth freed: three free blocks, the smallest the 24-byte
 * request's. Every figure is computed from the block sizes listheap.h states. */
static void test_heap_stats_report_listheap_stats_and_the_walk_exactly(void **state) {
    (void)state;
    static const size_t sizes[5] = {100, 40, 200, 24, 500};
    void *p[5];
    size_t blocks = 0;
    for (int i = 0; i < 5; i++) {
        p[i] = pvPortMalloc(sizes[i]);
        assert_non_null(p[i]);
        blocks += block_for(sizes[i]);
    }
    vPortFree(p[1]);
    vPortFree(p[3]);

    HeapStats_t h;
    vPortGetHeapStats(&h);
    struct listheap_stats s = stats();
    size_t total = s.total_bytes;
    size_t tail = total - blocks; /* the never-allocated rest of the arena: one free block */
    size_t used = blocks - block_for(40) - block_for(24);

    assert_int_equal(h.xAvailableHeapSpaceInBytes, total - used);
    assert_int_equal(h.xNumberOfFreeBlocks, 3);
    assert_int_equal(h.xSizeOfSmallestFreeBlockInBytes, block_for(24) - W);
    assert_int_equal(h.xSizeOfLargestFreeBlockInBytes, tail - W); /* alone in the top class */
    assert_int_equal(h.xMinimumEverFreeBytesRemaining, total - blocks);
    assert_int_equal(h.xNumberOfSuccessfulAllocations, 5);
    assert_int_equal(h.xNumberOfSuccessfulFrees, 2);

    /* the same figures as listheap's own statistics and walk */
    struct walk_totals w = {0, 0};
    listheap_walk(total_free_blocks, &w);
    assert_int_equal(h.xAvailableHeapSpaceInBytes, s.free_bytes);
    assert_int_equal(h.xSizeOfLargestFreeBlockInBytes, s.largest_free_block);
    assert_int_equal(h.xNumberOfFreeBlocks, s.free_blocks);
    assert_int_equal(h.xNumberOfFreeBlocks, w.free_blocks);
    assert_int_equal(h.xSizeOfSmallestFreeBlockInBytes, w.smallest_free);
    assert_int_equal(h.xMinimumEverFreeBytesRemaining, s.total_bytes - s.peak_used_bytes);
    assert_int_equal(h.xNumberOfSuccessfulAllocations, s.allocations);
    assert_int_equal(h.xNumberOfSuccessfulFrees, s.frees);
    assert_int_equal(xPortGetFreeHeapSize(), total - used);

    vPortFree(p[0]);
    vPortFree(p[2]);
    vPortFree(p[4]);
}

static void test_heap_stats_of_a_full_heap_report_no_free_block(void **state) {
    (void)state;
    void *all = pvPortMalloc(stats().largest_free_block);
    assert_non_null(all);
    HeapStats_t h;
    vPortGetHeapStats(&h);
    assert_int_equal(h.xAvailableHeapSpaceInBytes, 0);
    assert_int_equal(h.xNumberOfFreeBlocks, 0);
    assert_int_equal(h.xSizeOfSmallestFreeBlockInBytes, 0);
    assert_int_equal(h.xSizeOfLargestFreeBlockInBytes, 0);
    assert_int_equal(h.xMinimumEverFreeBytesRemaining, 0);
    vPortFree(all);
}

static void test_minimum_ever_free_tracks_the_low_water_mark_and_resets_to_current_free(void **state) {
    (void)state;
    size_t total = stats().total_bytes;
    assert_int_equal(xPortGetMinimumEverFreeHeapSize(), total);

    void *big = pvPortMalloc(1000);
    void *small = pvPortMalloc(30);
    assert_non_null(big);
    assert_non_null(small);
    vPortFree(big);
    assert_int_equal(xPortGetFreeHeapSize(), total - block_for(30));
    assert_int_equal(xPortGetMinimumEverFreeHeapSize(), total - block_for(1000) - block_for(30));

    xPortResetHeapMinimumEverFreeHeapSize();
    assert_int_equal(xPortGetMinimumEverFreeHeapSize(), total - block_for(30));
    vPortFree(small);
    assert_int_equal(xPortGetMinimumEverFreeHeapSize(), total - block_for(30));
}

/* What traceMALLOC and traceFREE report adds up to the heap's used bytes. */
static void test_trace_sizes_are_the_heap_bytes_each_block_takes(void **state) {
    (void)state;
    void *a = pvPortMalloc(1);
    void *b = pvPortMalloc(100);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(seen.mallocs[0].size, block_for(1));
    assert_int_equal(seen.mallocs[1].size, block_for(100));
    assert_int_equal(seen.mallocs[0].size + seen.mallocs[1].size, stats().used_bytes);
    vPortFree(b);
    vPortFree(a);
    assert_ptr_equal(seen.frees[0].address, b);
    assert_int_equal(seen.frees[0].size, block_for(100));
    assert_ptr_equal(seen.frees[1].address, a);
    assert_int_equal(seen.frees[1].size, block_for(1));
}

static void test_vPortInitialiseBlocks_changes_nothing(void **state) {
    (void)state;
    void *p = pvPortMalloc(50);
    assert_non_null(p);
    struct listheap_stats before = stats();
    vPortInitialiseBlocks();
    struct listheap_stats after = stats();
    assert_memory_equal(&after, &before, sizeof before);
    vPortFree(p);
}

/* ------------------------------------------------------------ FreeRTOSConfig.h */

/* The #define lines of docs/integration.md make the port's handlers the vector table's. */
static void test_config_lines_name_the_port_handlers_with_cmsis_vector_names(void **state) {
    (void)state;
    SVC_Handler();
    PendSV_Handler();
    SysTick_Handler();
    assert_string_equal(standin_record()->handlers, "VPT");
}

#define FREERTOS_TEST(f) cmocka_unit_test_setup_teardown(f, fresh_heap, scheduler_resumed_and_heap_sound)

int main(void) {
    const struct CMUnitTest tests[] = {
        FREERTOS_TEST(test_heap_calls_before_the_scheduler_starts_leave_interrupts_unmasked),
        FREERTOS_TEST(test_listheap_lock_is_the_glues_malloc_lock_which_suspends_the_scheduler),
        FREERTOS_TEST(test_malloc_lock_nests_and_each_unlock_restores_one_level),
        FREERTOS_TEST(test_pvPortMalloc_runs_heap_call_and_trace_in_one_suspended_section),
        FREERTOS_TEST(test_vPortFree_runs_heap_call_and_trace_in_one_suspended_section),
        FREERTOS_TEST(test_vPortGetHeapStats_walks_the_heap_in_one_suspended_section),
        FREERTOS_TEST(test_malloc_failed_hook_runs_once_per_failure_after_resume_never_on_success),
        FREERTOS_TEST(test_pvPortCalloc_zeroes_the_block),
        FREERTOS_TEST(test_pvPortCalloc_overflow_returns_null_and_reports_one_failure),
        FREERTOS_TEST(test_vPortFree_null_does_nothing),
        FREERTOS_TEST(test_vPortFree_invalid_pointer_reports_one_fault_and_changes_nothing),
        FREERTOS_TEST(test_heap_stats_report_listheap_stats_and_the_walk_exactly),
        FREERTOS_TEST(test_heap_stats_of_a_full_heap_report_no_free_block),
        FREERTOS_TEST(test_minimum_ever_free_tracks_the_low_water_mark_and_resets_to_current_free),
        FREERTOS_TEST(test_trace_sizes_are_the_heap_bytes_each_block_takes),
        FREERTOS_TEST(test_vPortInitialiseBlocks_changes_nothing),
        FREERTOS_TEST(test_config_lines_name_the_port_handlers_with_cmsis_vector_names),
    };
    return cmocka_run_group_tests_name("listheap as the FreeRTOS heap", tests, NULL, NULL);
}
