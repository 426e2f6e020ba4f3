/*
 * What the stand-in kernel (tasks.c, port.c in this directory) lets the test observe. Not a
 * FreeRTOS interface: the real kernel has no such calls.
 */
#ifndef STANDIN_H
#define STANDIN_H

#include <stddef.h>

struct standin_record {
    unsigned depth;             /* current scheduler suspension depth (uxSchedulerSuspended) */
    unsigned deepest;           /* deepest depth reached since standin_reset() */
    unsigned outermost;         /* suspensions that started at depth 0: suspended sections */
    unsigned nested;            /* suspensions taken while already suspended */
    unsigned unmatched_resumes; /* xTaskResumeAll() at depth 0: the kernel would assert */
    char handlers[8];           /* port handlers run, in order: V (SVC), P (PendSV), T (SysTick) */
    int started;                /* vTaskStartScheduler() has run (standin_start_scheduler) */
    int masked;                 /* interrupts left masked: what the Cortex-M ports do to any
                                   xTaskResumeAll() before the scheduler starts (their critical
                                   nesting count starts at 0xaaaaaaaa and never returns to 0) */
};

/* Forget everything recorded, the suspension depth too: a freshly booted kernel, its
 * scheduler not started. */
void standin_reset(void);
/* The scheduler is running from now on (and the ports unmask interrupts). */
void standin_start_scheduler(void);
const struct standin_record *standin_record(void);

/* For the stand-in port.c: a handler ran. */
void standin_handler_ran(char which);

#endif /* STANDIN_H */
