/*
 * STAND-IN for the FreeRTOS kernel's portable.h (see FreeRTOS.h in this directory): the heap
 * interface a heap_N.c implements, HeapStats_t with the kernel's field names and types, and
 * the handler names of the Cortex-M GCC ports.
 */
#ifndef PORTABLE_H
#define PORTABLE_H

#ifndef INC_FREERTOS_H
#error "include FreeRTOS.h, which includes portable.h"
#endif

typedef struct xHeapStats {
    size_t xAvailableHeapSpaceInBytes;     /* sum of the free blocks */
    size_t xSizeOfLargestFreeBlockInBytes;
    size_t xSizeOfSmallestFreeBlockInBytes;
    size_t xNumberOfFreeBlocks;
    size_t xMinimumEverFreeBytesRemaining; /* lowest xAvailableHeapSpaceInBytes since boot */
    size_t xNumberOfSuccessfulAllocations;
    size_t xNumberOfSuccessfulFrees;
} HeapStats_t;

void vPortGetHeapStats(HeapStats_t *pxHeapStats);
void *pvPortMalloc(size_t xWantedSize) PRIVILEGED_FUNCTION;
void *pvPortCalloc(size_t xNum, size_t xSize) PRIVILEGED_FUNCTION;
void vPortFree(void *pv) PRIVILEGED_FUNCTION;
void vPortInitialiseBlocks(void) PRIVILEGED_FUNCTION;
size_t xPortGetFreeHeapSize(void) PRIVILEGED_FUNCTION;
size_t xPortGetMinimumEverFreeHeapSize(void) PRIVILEGED_FUNCTION;
void xPortResetHeapMinimumEverFreeHeapSize(void) PRIVILEGED_FUNCTION;

#if configUSE_MALLOC_FAILED_HOOK == 1
void vApplicationMallocFailedHook(void);
#endif

/* The exception handlers of the ARM_CM GCC ports (port.c). FreeRTOSConfig.h may rename them
 * to the CMSIS vector names with #define lines, as STM32CubeMX does. */
void vPortSVCHandler(void);
void xPortPendSVHandler(void);
void xPortSysTickHandler(void);

#endif /* PORTABLE_H */
