/*
 * STAND-IN for the FreeRTOS kernel's task.h (see FreeRTOS.h in this directory): scheduler
 * suspension only. As in the kernel, vTaskSuspendAll() nests (a counter) and
 * xTaskResumeAll() undoes one level; the stand-in's tasks.c counts and records the levels
 * for the test (standin.h).
 */
#ifndef INC_TASK_H
#define INC_TASK_H

#ifndef INC_FREERTOS_H
#error "include FreeRTOS.h before task.h"
#endif

void vTaskSuspendAll(void) PRIVILEGED_FUNCTION;
BaseType_t xTaskResumeAll(void) PRIVILEGED_FUNCTION;

/* As the kernel's, available with INCLUDE_xTaskGetSchedulerState or configUSE_TIMERS. */
#define taskSCHEDULER_SUSPENDED ((BaseType_t)0)
#define taskSCHEDULER_NOT_STARTED ((BaseType_t)1)
#define taskSCHEDULER_RUNNING ((BaseType_t)2)
BaseType_t xTaskGetSchedulerState(void) PRIVILEGED_FUNCTION;

#endif /* INC_TASK_H */
