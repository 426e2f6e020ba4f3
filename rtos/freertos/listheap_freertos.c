/*
 * listheap as the FreeRTOS heap: compile this file INSTEAD of portable/MemMang/heap_N.c.
 * Kernel objects, task stacks, pvPortMalloc() callers, newlib (printf, strdup) and your own
 * malloc() then share one heap, listheap's, in the regions the linker script reserves (or that
 * listheap_init()/listheap_add_region() give it); configTOTAL_HEAP_SIZE is not used.
 *
 * WHICH LOCK PROTECTS WHAT
 *   The heap itself: listheap's own lock, taken inside every listheap call.
 *     liblistheap.a (LISTHEAP_LOCKING_NEWLIB) takes newlib's __malloc_lock(), which this file
 *     defines as vTaskSuspendAll() and __malloc_unlock() as xTaskResumeAll(): the scheduler is
 *     suspended for one bounded heap operation. Both nest, like newlib's recursive malloc
 *     mutex. This protects tasks from each other, not interrupts: vTaskSuspendAll() masks none.
 *     liblistheap_irq.a (LISTHEAP_LOCKING_PRIMASK) masks interrupts instead and never calls
 *     __malloc_lock: the definitions below are then harmless. AN APPLICATION WHOSE INTERRUPT
 *     HANDLERS ALLOCATE OR FREE (malloc, printf, anything of newlib's that allocates) MUST LINK
 *     liblistheap_irq.a. With liblistheap.a an allocating ISR would run xTaskResumeAll() in
 *     interrupt context (the Cortex-M ports' configASSERT in vPortEnterCritical catches it).
 *   The glue's own steps: pvPortMalloc, vPortFree and vPortGetHeapStats suspend the scheduler
 *     around their listheap calls and trace macros, as heap_4.c does, so that traceMALLOC and
 *     traceFREE are emitted in the order the heap changed and the figures of one
 *     vPortGetHeapStats() call come from one heap state (among tasks; an allocating ISR with
 *     liblistheap_irq.a can still change the heap between them). listheap's lock then nests
 *     inside: with liblistheap.a a second, cheap level of the same suspension.
 *   Before vTaskStartScheduler(): nothing is suspended (scheduler_started() below): there is
 *     one thread of execution, and every xTaskResumeAll() made then would leave interrupts at
 *     or below configMAX_SYSCALL_INTERRUPT_PRIORITY masked until the scheduler starts (the
 *     ARM_CM ports' critical nesting count starts at 0xaaaaaaaa), stopping the HAL tick of a
 *     main() that prints before starting it. Needs xTaskGetSchedulerState():
 *     INCLUDE_xTaskGetSchedulerState 1 (or configUSE_TIMERS 1) in FreeRTOSConfig.h.
 *
 * DIFFERENCES FROM heap_4.c
 *   - Statistics describe the one heap: newlib's and the application's malloc() count too.
 *   - xSizeOfLargestFreeBlockInBytes is the largest request guaranteed to succeed
 *     (listheap_get_stats' largest_free_block); xSizeOfSmallestFreeBlockInBytes is the smallest
 *     free block's usable bytes (0 when there is none, where heap_4 reports SIZE_MAX).
 *     xAvailableHeapSpaceInBytes counts free blocks with their headers, as heap_4 does.
 *   - pvPortCalloc() whose count * size overflows is a failed allocation like any other: it
 *     calls vApplicationMallocFailedHook() (heap_4 returns NULL silently).
 *   - vPortFree() of an invalid pointer (foreign, interior, already freed) is reported to
 *     listheap_fault_hook() and changes nothing, in release builds too.
 *   - traceMALLOC/traceFREE get the block's bytes with its header (the release build's
 *     accounting of used bytes). vPortFree looks the block up before freeing it: one more
 *     O(LISTHEAP_MAX_REGIONS) validation per call.
 *
 * Tested on the host (test/host/test_freertos.c) against a stand-in of the few kernel headers
 * and calls used here (test/support/freertos/): the FreeRTOS kernel is not a Debian package.
 */
#define MPU_WRAPPERS_INCLUDED_FROM_API_FILE /* the kernel's own calls, as a heap_N.c makes them */
#include "FreeRTOS.h"
#include "task.h"
#undef MPU_WRAPPERS_INCLUDED_FROM_API_FILE

#include <stdint.h>
#include <string.h>

#include "listheap.h"

#if INCLUDE_xTaskGetSchedulerState != 1 && configUSE_TIMERS != 1
#error "listheap_freertos.c needs xTaskGetSchedulerState(): #define INCLUDE_xTaskGetSchedulerState 1 in FreeRTOSConfig.h"
#endif
#if configSUPPORT_DYNAMIC_ALLOCATION == 0
#error "listheap_freertos.c replaces heap_N.c: FreeRTOS uses a heap only with configSUPPORT_DYNAMIC_ALLOCATION 1"
#endif

#if configUSE_MALLOC_FAILED_HOOK == 1
void vApplicationMallocFailedHook(void); /* older kernels' headers do not declare it */
#endif

/* ---------------------------------------------------------------- newlib's malloc lock */

/* newlib declares these in <malloc.h>; declared here so that no newlib header is needed. */
struct _reent;
void __malloc_lock(struct _reent *reent);
void __malloc_unlock(struct _reent *reent);

/* Before vTaskStartScheduler() there is one thread of execution and nothing to lock against;
 * and on the Cortex-M ports every xTaskResumeAll() made then leaves interrupts up to
 * configMAX_SYSCALL_INTERRUPT_PRIORITY masked until the scheduler starts (their critical
 * nesting count starts at 0xaaaaaaaa). A printf or strdup in main() before the start (CubeMX's
 * MX_*_Init code) would then stop the HAL tick and hang the next HAL_Delay. So the heap's lock
 * and the glue's sections suspend the scheduler only once it runs. The state cannot change
 * between a suspend and its resume: the scheduler starts in vTaskStartScheduler, not in a
 * heap call. */
static int scheduler_started(void) {
    return xTaskGetSchedulerState() != taskSCHEDULER_NOT_STARTED;
}

static void suspend_tasks(void) {
    if (scheduler_started())
        vTaskSuspendAll();
}

static void resume_tasks(void) {
    if (scheduler_started())
        (void)xTaskResumeAll();
}

void __malloc_lock(struct _reent *reent) {
    (void)reent;
    suspend_tasks();
}

void __malloc_unlock(struct _reent *reent) {
    (void)reent;
    resume_tasks();
}

/* ---------------------------------------------------------------- allocation */

/* Heap bytes of the block at payload (header included) for the trace macros; 0 for NULL.
 * Evaluated only where a trace macro uses its size argument. */
static inline size_t traced_block_bytes(const void *payload) {
    size_t usable = listheap_usable_size(payload);
    return usable != 0 ? usable + LISTHEAP_OVERHEAD : 0;
}

/* As heap_4: the hook runs after the scheduler is resumed, once per failed call. */
static void report_if_failed(const void *block) {
#if configUSE_MALLOC_FAILED_HOOK == 1
    if (block == NULL)
        vApplicationMallocFailedHook();
#else
    (void)block;
#endif
}

void *pvPortMalloc(size_t xWantedSize) {
    void *block;
    suspend_tasks();
    {
        block = listheap_malloc(xWantedSize);
        traceMALLOC(block, traced_block_bytes(block));
    }
    resume_tasks();
    report_if_failed(block);
    return block;
}

/* count * size, or SIZE_MAX when that overflows: a request no heap can serve. */
static size_t product_or_size_max(size_t count, size_t size) {
    return size != 0 && count > SIZE_MAX / size ? SIZE_MAX : count * size;
}

/* An overflowing count * size fails in pvPortMalloc like any request too large. Zeroed
 * outside the suspended section, as heap_4 does: only the allocation is bounded. */
void *pvPortCalloc(size_t xNum, size_t xSize) {
    size_t bytes = product_or_size_max(xNum, xSize);
    void *block = pvPortMalloc(bytes);
    if (block != NULL)
        memset(block, 0, bytes);
    return block;
}

void vPortFree(void *pv) {
    if (pv == NULL)
        return;
    suspend_tasks();
    {
        /* 0: invalid, already reported to listheap_fault_hook; freeing it would report twice */
        size_t usable = listheap_usable_size(pv);
        if (usable != 0) {
            traceFREE(pv, usable + LISTHEAP_OVERHEAD);
            listheap_free(pv);
        }
    }
    resume_tasks();
}

/* ---------------------------------------------------------------- statistics */

size_t xPortGetFreeHeapSize(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s.free_bytes;
}

static size_t minimum_ever_free(const struct listheap_stats *s) {
    return s->total_bytes - s->peak_used_bytes;
}

size_t xPortGetMinimumEverFreeHeapSize(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    return minimum_ever_free(&s);
}

void xPortResetHeapMinimumEverFreeHeapSize(void) {
    listheap_reset_peak();
}

struct free_block_census {
    size_t blocks;
    size_t smallest; /* usable bytes of the smallest free block; 0 while blocks == 0 */
};

static void count_free_block(void *ctx, void *payload, size_t size, int used) {
    struct free_block_census *census = ctx;
    (void)payload;
    if (used)
        return;
    if (census->blocks == 0 || size < census->smallest)
        census->smallest = size;
    census->blocks++;
}

void vPortGetHeapStats(HeapStats_t *pxHeapStats) {
    struct listheap_stats s;
    struct free_block_census census = {0, 0};
    suspend_tasks();
    {
        listheap_get_stats(&s);
        listheap_walk(count_free_block, &census);
    }
    resume_tasks();
    pxHeapStats->xAvailableHeapSpaceInBytes = s.free_bytes;
    pxHeapStats->xSizeOfLargestFreeBlockInBytes = s.largest_free_block;
    pxHeapStats->xSizeOfSmallestFreeBlockInBytes = census.smallest;
    pxHeapStats->xNumberOfFreeBlocks = s.free_blocks;
    pxHeapStats->xMinimumEverFreeBytesRemaining = minimum_ever_free(&s);
    pxHeapStats->xNumberOfSuccessfulAllocations = s.allocations;
    pxHeapStats->xNumberOfSuccessfulFrees = s.frees;
}

/* heap_2 needed it; kept by every heap_N.c so that old code links. Nothing to initialise:
 * listheap initialises itself on first use. */
void vPortInitialiseBlocks(void) {}
