/*
 * STAND-IN for the scheduler suspension of the FreeRTOS kernel's tasks.c (see FreeRTOS.h in
 * this directory): one counter that vTaskSuspendAll() raises and xTaskResumeAll() lowers, as
 * the kernel's uxSchedulerSuspended, plus what the test wants to know about it.
 */
#include <string.h>

#include "FreeRTOS.h"
#include "standin.h"
#include "task.h"

static struct standin_record record;

void standin_reset(void) {
    memset(&record, 0, sizeof record);
}

const struct standin_record *standin_record(void) {
    return &record;
}

void vTaskSuspendAll(void) {
    if (record.depth == 0)
        record.outermost++;
    else
        record.nested++;
    record.depth++;
    if (record.depth > record.deepest)
        record.deepest = record.depth;
}

BaseType_t xTaskResumeAll(void) {
    if (!record.started)
        record.masked = 1; /* the port's taskENTER_CRITICAL never unwinds before the start */
    if (record.depth == 0) {
        record.unmatched_resumes++;
        return pdFALSE;
    }
    record.depth--;
    return pdFALSE;
}

void standin_start_scheduler(void) {
    record.started = 1;
    record.masked = 0; /* the port zeroes its nesting count and unmasks */
}

BaseType_t xTaskGetSchedulerState(void) {
    if (!record.started)
        return taskSCHEDULER_NOT_STARTED;
    return record.depth ? taskSCHEDULER_SUSPENDED : taskSCHEDULER_RUNNING;
}

void standin_handler_ran(char which) {
    size_t n = strlen(record.handlers);
    if (n + 1 < sizeof record.handlers)
        record.handlers[n] = which;
}
