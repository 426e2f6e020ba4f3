/*
 * exit_halt.c - exit back end for real hardware without a debugger (see backend.h).
 *
 * Records the status in sys_exit_status (for a debugger or a watchdog-reset handler to read:
 * it sits in .bss, so a reset clears it), masks interrupts and sleeps forever.
 */
#include "backend.h"

/* The status passed to exit(); meaningful once sys_exit_done is 1. */
volatile int sys_exit_status;
volatile int sys_exit_done;

void sys_exit(int status) {
    sys_exit_status = status;
    sys_exit_done = 1;
    __asm__ volatile("cpsid i" ::: "memory");
    for (;;)
        __asm__ volatile("wfi");
}
