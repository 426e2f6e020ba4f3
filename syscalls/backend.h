/*
 * backend.h - what the newlib system calls of syscalls/common.c ask of a back end.
 *
 * common.c implements every system call newlib needs (no _sbrk: the heap is listheap's) and
 * hands the device work to three roles, each chosen at link time by linking one file:
 *
 *   console (fd 0 = stdin, 1 = stdout, 2 = stderr) -- exactly one of
 *       semihost.c          ARM semihosting console (QEMU mps2-an500, any board under a debugger)
 *       usart_stm32f4.c     polled USART1 of the STM32F4 (QEMU netduinoplus2, real F405)
 *       usart_stm32h7.c     polled USART1 of the STM32H7 (real STM32H750)
 *   files (fd >= 3)        -- optional
 *       semihost.c          host files through semihosting (SYS_OPEN ... SYS_FLEN)
 *       (nothing)           weak defaults in common.c: open() fails with ENOSYS
 *   exit                   -- exactly one of
 *       exit_semihost.c     SYS_EXIT_EXTENDED: QEMU (or the debugger) exits with the code
 *       exit_halt.c         interrupts off, wait forever (real hardware, no debugger)
 *
 * Conventions: every function returns >= 0 on success and -errno (a negative <errno.h> code)
 * on failure; common.c turns that into errno and -1. None of them allocates memory.
 */
#ifndef LISTHEAP_SYSCALLS_BACKEND_H
#define LISTHEAP_SYSCALLS_BACKEND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lowest file descriptor a file back end hands out; 0..2 are the console. */
#define SYS_FIRST_FILE_FD 3

/* ---- console: one back end defines both ---- */
/* Write len bytes to stdout (fd 1) or stderr (fd 2); bytes written or -errno. */
int sys_console_write(int fd, const void *buf, size_t len);
/* Read up to len bytes (len > 0) from stdin; blocks for at least one byte. 0 = end of file. */
int sys_console_read(void *buf, size_t len);

/* ---- files: fd >= SYS_FIRST_FILE_FD; common.c has weak defaults failing with -ENOSYS ---- */
/* flags are newlib's O_* flags; returns the new fd or -errno. */
int sys_file_open(const char *path, int flags, int mode);
int sys_file_close(int fd);
int sys_file_write(int fd, const void *buf, size_t len);
int sys_file_read(int fd, void *buf, size_t len);
/* whence is SEEK_SET/SEEK_CUR/SEEK_END; returns the new offset or -errno. */
long sys_file_seek(int fd, long offset, int whence);
/* Size in bytes or -errno. */
long sys_file_size(int fd);

/* ---- exit: one back end defines it ---- */
/* End the program with this status; never returns. */
void sys_exit(int status) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* LISTHEAP_SYSCALLS_BACKEND_H */
