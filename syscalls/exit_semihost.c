/*
 * exit_semihost.c - exit back end: ends the program through ARM semihosting (see backend.h).
 *
 * SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit and the status makes QEMU exit with
 * that status (`-semihosting-config enable=on,target=native`, mps2-an500 and netduinoplus2
 * alike). A host without SYS_EXIT_EXTENDED gets SYS_EXIT, which only tells success (status 0)
 * from failure; should even that return, the core waits with interrupts off.
 */
#include <stdint.h>

#include "backend.h"
#include "semihost.h"

void sys_exit(int status) {
    uintptr_t block[2] = {SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uintptr_t)status};
    semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    /* 32-bit SYS_EXIT takes the reason itself in r1, not a block. */
    semihost_call(SEMIHOST_SYS_EXIT, (const void *)(uintptr_t)(status == 0
        ? SEMIHOST_ADP_STOPPED_APPLICATION_EXIT : SEMIHOST_ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN));
    __asm__ volatile("cpsid i" ::: "memory");
    for (;;)
        __asm__ volatile("wfi");
}
