/*
 * The FreeRTOSConfig.h of test/host/test_freertos.c's "application": the lines
 * docs/integration.md (## FreeRTOS) tells a user to paste, verbatim (rtos/rtos.mk checks that
 * every line of that section's C block appears here), plus trace macros that let the test see
 * traceMALLOC/traceFREE. configTOTAL_HEAP_SIZE is deliberately absent: with listheap the heap
 * is listheap's, and the glue must build without it.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#include <stddef.h>

#define configUSE_NEWLIB_REENTRANT              1
#define configSUPPORT_DYNAMIC_ALLOCATION        1
#define configUSE_MALLOC_FAILED_HOOK            1
#define INCLUDE_xTaskGetSchedulerState          1
#define vPortSVCHandler     SVC_Handler
#define xPortPendSVHandler  PendSV_Handler
#define xPortSysTickHandler SysTick_Handler

/* The test's trace recorder (test/host/test_freertos.c). */
void test_trace_malloc(void *pvAddress, size_t uiSize);
void test_trace_free(void *pvAddress, size_t uiSize);
#define traceMALLOC(pvAddress, uiSize) test_trace_malloc((pvAddress), (uiSize))
#define traceFREE(pvAddress, uiSize) test_trace_free((pvAddress), (uiSize))

#endif /* FREERTOS_CONFIG_H */
