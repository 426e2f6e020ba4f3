/*
 * STAND-IN for the FreeRTOS kernel's FreeRTOS.h, written for listheap's host test of
 * rtos/freertos/listheap_freertos.c. The FreeRTOS kernel is not a Debian package and its code
 * is not copied here: this declares, in our own words, only what the glue uses, with the
 * names and types of the kernel's headers (FreeRTOS-Kernel include/FreeRTOS.h, portable.h,
 * task.h). Like the real header it includes the application's FreeRTOSConfig.h first, then
 * supplies the defaults of the macros the glue reads.
 */
#ifndef INC_FREERTOS_H
#define INC_FREERTOS_H

#include <stddef.h>
#include <stdint.h>

#include "FreeRTOSConfig.h"

typedef long BaseType_t;
typedef unsigned long UBaseType_t;
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)

/* Real kernels mark kernel-only functions for MPU ports; nothing to mark here. */
#define PRIVILEGED_FUNCTION

#ifndef configUSE_MALLOC_FAILED_HOOK
#define configUSE_MALLOC_FAILED_HOOK 0
#endif
#ifndef configSUPPORT_DYNAMIC_ALLOCATION
#define configSUPPORT_DYNAMIC_ALLOCATION 1
#endif
#ifndef INCLUDE_xTaskGetSchedulerState
#define INCLUDE_xTaskGetSchedulerState 0
#endif
#ifndef configUSE_TIMERS
#define configUSE_TIMERS 0
#endif
#ifndef configUSE_NEWLIB_REENTRANT
#define configUSE_NEWLIB_REENTRANT 0
#endif
/* The real header then includes newlib's reent.h to give every task a struct _reent. */
#if configUSE_NEWLIB_REENTRANT == 1
#include <sys/reent.h>
#endif

#ifndef traceMALLOC
#define traceMALLOC(pvAddress, uiSize)
#endif
#ifndef traceFREE
#define traceFREE(pvAddress, uiSize)
#endif

#include "portable.h"

#endif /* INC_FREERTOS_H */
