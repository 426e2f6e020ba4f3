/*
 * semihost.h - the ARM semihosting call, shared by semihost.c and exit_semihost.c.
 *
 * On M-profile cores a semihosting request is `BKPT 0xAB` (a 16-bit Thumb instruction present on
 * ARMv6-M, ARMv7-M and ARMv8-M alike) with the operation in r0 and a pointer to its argument
 * block in r1; the result comes back in r0. QEMU serves it when started with
 * `-semihosting-config enable=on,target=native`; a debug probe (OpenOCD, pyOCD) serves it when
 * semihosting is enabled there. With neither, BKPT escalates to a HardFault (or stops the core):
 * real hardware without a debugger should link a console and exit back end that do not use it.
 */
#ifndef LISTHEAP_SYSCALLS_SEMIHOST_H
#define LISTHEAP_SYSCALLS_SEMIHOST_H

#include <stdint.h>

/* Operation numbers (ARM "Semihosting for AArch32 and AArch64", version 2.0). */
enum semihost_op {
    SEMIHOST_SYS_OPEN = 0x01,
    SEMIHOST_SYS_CLOSE = 0x02,
    SEMIHOST_SYS_WRITEC = 0x03,
    SEMIHOST_SYS_WRITE0 = 0x04,
    SEMIHOST_SYS_WRITE = 0x05,
    SEMIHOST_SYS_READ = 0x06,
    SEMIHOST_SYS_ISTTY = 0x09,
    SEMIHOST_SYS_SEEK = 0x0A,
    SEMIHOST_SYS_FLEN = 0x0C,
    SEMIHOST_SYS_ERRNO = 0x13,
    SEMIHOST_SYS_EXIT = 0x18,
    SEMIHOST_SYS_EXIT_EXTENDED = 0x20
};

/* Reasons for SYS_EXIT / SYS_EXIT_EXTENDED. */
#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define SEMIHOST_ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN 0x20023u

/* One semihosting request; arg points to the operation's argument block (or is a value). */
static inline int semihost_call(int op, const volatile void *arg) {
    register int r0 __asm__("r0") = op;
    register const volatile void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

#endif /* LISTHEAP_SYSCALLS_SEMIHOST_H */
