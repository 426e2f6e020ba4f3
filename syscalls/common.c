/*
 * common.c - newlib system calls for bare-metal Cortex-M, without _sbrk.
 *
 * The heap is listheap's (linker-script regions), so nothing here grows memory: _sbrk is left
 * undefined on purpose, and a link that still pulls newlib's own malloc fails with
 * "undefined reference to `_sbrk'" instead of quietly running a second allocator.
 *
 * File descriptors: 0 = stdin, 1 = stdout, 2 = stderr (the console back end); 3 and up belong to
 * the file back end, if one is linked (semihost.c); otherwise open() fails with ENOSYS.
 * Failures set errno (newlib's reentrant errno, through <errno.h>) and return -1.
 * Back ends: see backend.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <unistd.h>

#include "backend.h"

/* newlib declares these only when compiling itself (_COMPILING_NEWLIB): say them here. */
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _stat(const char *path, struct stat *st);
int _isatty(int fd);
int _kill(pid_t pid, int sig);
pid_t _getpid(void);
int _open(const char *path, int flags, ...);
int _link(const char *old_path, const char *new_path);
int _unlink(const char *path);
off_t _lseek(int fd, off_t offset, int whence);
ssize_t _read(int fd, void *buf, size_t len);
ssize_t _write(int fd, const void *buf, size_t len);
int _gettimeofday(struct timeval *tv, void *tz);
clock_t _times(struct tms *t);
void _exit(int status);

#define WEAK __attribute__((weak))

/* The single process. */
#define SYS_PID 1

static int is_console(int fd) {
    return fd >= 0 && fd < SYS_FIRST_FILE_FD;
}

/* Back-end result (>= 0, or -errno) to the system call convention. */
static int result(int r) {
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return r;
}

static int fail(int err) {
    errno = err;
    return -1;
}

/* ---------------------------------------------------------------- file back-end defaults */
/* A console-only build has no files. semihost.c replaces all of these. */

WEAK int sys_file_open(const char *path, int flags, int mode) {
    (void)path;
    (void)flags;
    (void)mode;
    return -ENOSYS;
}

WEAK int sys_file_close(int fd) {
    (void)fd;
    return -EBADF;
}

WEAK int sys_file_write(int fd, const void *buf, size_t len) {
    (void)fd;
    (void)buf;
    (void)len;
    return -EBADF;
}

WEAK int sys_file_read(int fd, void *buf, size_t len) {
    (void)fd;
    (void)buf;
    (void)len;
    return -EBADF;
}

WEAK long sys_file_seek(int fd, long offset, int whence) {
    (void)fd;
    (void)offset;
    (void)whence;
    return -EBADF;
}

WEAK long sys_file_size(int fd) {
    (void)fd;
    return -EBADF;
}

/* ---------------------------------------------------------------- system calls */

ssize_t _write(int fd, const void *buf, size_t len) {
    if (len == 0)
        return 0;
    if (fd == STDOUT_FILENO || fd == STDERR_FILENO)
        return result(sys_console_write(fd, buf, len));
    if (fd == STDIN_FILENO || fd < 0)
        return fail(EBADF);
    return result(sys_file_write(fd, buf, len));
}

ssize_t _read(int fd, void *buf, size_t len) {
    if (len == 0)
        return 0;
    if (fd == STDIN_FILENO)
        return result(sys_console_read(buf, len));
    if (is_console(fd) || fd < 0)
        return fail(EBADF);
    return result(sys_file_read(fd, buf, len));
}

int _open(const char *path, int flags, ...) {
    int mode = 0;
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, int); /* newlib's _open_r always passes a mode */
    va_end(ap);
    if (path == NULL)
        return fail(EFAULT);
    return result(sys_file_open(path, flags, mode));
}

int _close(int fd) {
    if (is_console(fd))
        return 0; /* the console stays open */
    if (fd < 0)
        return fail(EBADF);
    return result(sys_file_close(fd));
}

off_t _lseek(int fd, off_t offset, int whence) {
    if (is_console(fd))
        return fail(ESPIPE);
    if (fd < 0)
        return fail(EBADF);
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return fail(EINVAL);
    long r = sys_file_seek(fd, (long)offset, whence);
    if (r < 0)
        return fail((int)-r);
    return (off_t)r;
}

int _fstat(int fd, struct stat *st) {
    if (st == NULL)
        return fail(EFAULT);
    *st = (struct stat){0};
    if (is_console(fd)) {
        st->st_mode = S_IFCHR;
        return 0;
    }
    if (fd < 0)
        return fail(EBADF);
    long size = sys_file_size(fd);
    if (size < 0)
        return fail((int)-size);
    st->st_mode = S_IFREG;
    st->st_size = (off_t)size;
    st->st_blksize = 512; /* newlib sizes the stdio buffer of a file from this */
    return 0;
}

int _stat(const char *path, struct stat *st) {
    (void)path;
    (void)st;
    return fail(ENOSYS);
}

int _isatty(int fd) {
    if (is_console(fd))
        return 1;
    errno = (fd < 0) ? EBADF : ENOTTY;
    return 0;
}

int _link(const char *old_path, const char *new_path) {
    (void)old_path;
    (void)new_path;
    return fail(ENOSYS);
}

int _unlink(const char *path) {
    (void)path;
    return fail(ENOSYS);
}

pid_t _getpid(void) {
    return SYS_PID;
}

/* raise()/abort() land here: a signal to ourselves ends the program with 128 + signal, as a
 * shell reports it (abort() -> 134). */
int _kill(pid_t pid, int sig) {
    if (pid != SYS_PID && pid != 0 && pid != -1)
        return fail(ESRCH);
    if (sig < 0 || sig >= NSIG)
        return fail(EINVAL);
    if (sig == 0)
        return 0;
    sys_exit(128 + sig);
}

/* No clock: time() and clock() fail cleanly instead of failing the link. */
int _gettimeofday(struct timeval *tv, void *tz) {
    (void)tv;
    (void)tz;
    return fail(ENOSYS);
}

clock_t _times(struct tms *t) {
    (void)t;
    errno = ENOSYS;
    return (clock_t)-1;
}

void _exit(int status) {
    sys_exit(status);
}
