/*
 * A FreeRTOSConfig.h that sets nothing the glue reads but what it needs: no malloc-failed
 * hook, no trace macros, no newlib reentrancy; xTaskGetSchedulerState() through the timers,
 * the other way the kernel compiles it in. rtos/rtos.mk compiles rtos/freertos/listheap_freertos.c against it too,
 * so the glue is warning-free in the default configuration as well as in the test's.
 */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#define configUSE_TIMERS 1

#endif /* FREERTOS_CONFIG_H */
