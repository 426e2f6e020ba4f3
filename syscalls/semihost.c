/*
 * semihost.c - console and file back end over ARM semihosting (see backend.h, semihost.h).
 *
 * Console: stdin, stdout and stderr are the host's, opened lazily as the special file ":tt"
 * in modes "r", "w" and "a" (semihosting 2.0: read = stdin, write = stdout, append = stderr),
 * and moved with SYS_READ/SYS_WRITE. Should ":tt" not open, output falls back to SYS_WRITE0
 * (text in chunks) and SYS_WRITEC (NUL bytes), and stdin reads as end of file.
 * Files: up to SEMIHOST_MAX_FILES host files open at once, as fds 3, 4, ...
 *
 * Works on every Cortex-M (BKPT is in ARMv6-M). Needs QEMU's
 * `-semihosting-config enable=on,target=native` or a debugger with semihosting enabled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "semihost.h"

#ifndef SEMIHOST_MAX_FILES
#define SEMIHOST_MAX_FILES 4
#endif

/* Semihosting open modes: the index of the fopen() mode string in
 * "r", "rb", "r+", "r+b", "w", "wb", "w+", "w+b", "a", "ab", "a+", "a+b". */
enum {
    SH_MODE_R = 0,
    SH_MODE_R_PLUS = 2,
    SH_MODE_W = 4,
    SH_MODE_W_PLUS = 6,
    SH_MODE_A = 8,
    SH_MODE_A_PLUS = 10,
    SH_MODE_BINARY = 1
};

/* Host errno of the last failed call, as a negative errno (falls back to EIO). */
static int host_error(void) {
    int e = semihost_call(SEMIHOST_SYS_ERRNO, NULL);
    return -(e > 0 ? e : EIO);
}

static int sh_open(const char *path, int mode) {
    uintptr_t block[3] = {(uintptr_t)path, (uintptr_t)mode, (uintptr_t)strlen(path)};
    return semihost_call(SEMIHOST_SYS_OPEN, block);
}

static int sh_close(int handle) {
    uintptr_t block[1] = {(uintptr_t)handle};
    return semihost_call(SEMIHOST_SYS_CLOSE, block);
}

/* Bytes NOT written (0 on success). */
static int sh_write(int handle, const void *buf, size_t len) {
    uintptr_t block[3] = {(uintptr_t)handle, (uintptr_t)buf, (uintptr_t)len};
    return semihost_call(SEMIHOST_SYS_WRITE, block);
}

/* Bytes NOT read (len at end of file), or -1. */
static int sh_read(int handle, void *buf, size_t len) {
    uintptr_t block[3] = {(uintptr_t)handle, (uintptr_t)buf, (uintptr_t)len};
    return semihost_call(SEMIHOST_SYS_READ, block);
}

/* ---------------------------------------------------------------- console */

/* Host handle + 1 for stdin/stdout/stderr; 0 = not yet opened; -1 = ":tt" would not open. */
static int console_state[3];

static int console_handle(int fd) {
    static const int tt_mode[3] = {SH_MODE_R, SH_MODE_W, SH_MODE_A};
    if (console_state[fd] == 0) {
        int h = sh_open(":tt", tt_mode[fd]);
        console_state[fd] = (h >= 0) ? h + 1 : -1;
    }
    return console_state[fd] - 1; /* -2 when unavailable */
}

/* Fallback output without a handle: SYS_WRITE0 takes NUL-terminated text, SYS_WRITEC one byte. */
static void write0_fallback(const char *p, size_t len) {
    char chunk[64];
    while (len > 0) {
        size_t n = 0;
        while (n < len && n < sizeof chunk - 1 && p[n] != '\0') {
            chunk[n] = p[n];
            n++;
        }
        if (n == 0) { /* a NUL byte */
            semihost_call(SEMIHOST_SYS_WRITEC, p);
            n = 1;
        } else {
            chunk[n] = '\0';
            semihost_call(SEMIHOST_SYS_WRITE0, chunk);
        }
        p += n;
        len -= n;
    }
}

int sys_console_write(int fd, const void *buf, size_t len) {
    int h = console_handle(fd);
    if (h < 0) {
        write0_fallback(buf, len);
        return (int)len;
    }
    int left = sh_write(h, buf, len);
    if (left < 0 || (size_t)left > len)
        return -EIO;
    if ((size_t)left == len)
        return -EIO; /* nothing written: report it rather than loop */
    return (int)(len - (size_t)left);
}

int sys_console_read(void *buf, size_t len) {
    int h = console_handle(STDIN_FILENO);
    if (h < 0)
        return 0;
    int left = sh_read(h, buf, len);
    if (left < 0 || (size_t)left > len)
        return -EIO;
    return (int)(len - (size_t)left);
}

/* ---------------------------------------------------------------- files */

struct sh_file {
    int handle; /* host handle */
    int open;
    long pos;   /* current offset, for SEEK_CUR (semihosting seeks are absolute) */
};

static struct sh_file files[SEMIHOST_MAX_FILES];

static struct sh_file *file_of(int fd) {
    int i = fd - SYS_FIRST_FILE_FD;
    if (i < 0 || i >= SEMIHOST_MAX_FILES || !files[i].open)
        return NULL;
    return &files[i];
}

/* Open path on the host for newlib's O_* flags (O_EXCL is not expressible: ignored). */
static int open_for(const char *path, int flags) {
    int acc = flags & O_ACCMODE;
    int rw = (acc == O_RDWR);
    if (flags & O_APPEND)
        return sh_open(path, (rw ? SH_MODE_A_PLUS : SH_MODE_A) | SH_MODE_BINARY);
    if (acc == O_RDONLY)
        return sh_open(path, SH_MODE_R | SH_MODE_BINARY);
    if (flags & O_TRUNC)
        return sh_open(path, (rw ? SH_MODE_W_PLUS : SH_MODE_W) | SH_MODE_BINARY);
    /* Write without truncating: "r+" keeps the contents but needs the file to exist; with
     * O_CREAT a missing file is then created empty, where "w" loses nothing. */
    int h = sh_open(path, SH_MODE_R_PLUS | SH_MODE_BINARY);
    if (h < 0 && (flags & O_CREAT))
        h = sh_open(path, (rw ? SH_MODE_W_PLUS : SH_MODE_W) | SH_MODE_BINARY);
    return h;
}

static long host_length(int handle) {
    uintptr_t block[1] = {(uintptr_t)handle};
    return semihost_call(SEMIHOST_SYS_FLEN, block);
}

int sys_file_open(const char *path, int flags, int mode) {
    (void)mode; /* permissions: the host decides */
    int i = 0;
    while (i < SEMIHOST_MAX_FILES && files[i].open)
        i++;
    if (i == SEMIHOST_MAX_FILES)
        return -EMFILE;
    int h = open_for(path, flags);
    if (h < 0)
        return host_error();
    files[i] = (struct sh_file){.handle = h, .open = 1, .pos = 0};
    if (flags & O_APPEND) {
        long len = host_length(h);
        files[i].pos = (len > 0) ? len : 0;
    }
    return i + SYS_FIRST_FILE_FD;
}

int sys_file_close(int fd) {
    struct sh_file *f = file_of(fd);
    if (!f)
        return -EBADF;
    f->open = 0;
    return (sh_close(f->handle) == 0) ? 0 : host_error();
}

int sys_file_write(int fd, const void *buf, size_t len) {
    struct sh_file *f = file_of(fd);
    if (!f)
        return -EBADF;
    int left = sh_write(f->handle, buf, len);
    if (left < 0 || (size_t)left > len)
        return -EIO;
    if ((size_t)left == len)
        return host_error();
    f->pos += (long)(len - (size_t)left);
    return (int)(len - (size_t)left);
}

int sys_file_read(int fd, void *buf, size_t len) {
    struct sh_file *f = file_of(fd);
    if (!f)
        return -EBADF;
    int left = sh_read(f->handle, buf, len);
    if (left < 0 || (size_t)left > len)
        return host_error();
    f->pos += (long)(len - (size_t)left);
    return (int)(len - (size_t)left);
}

long sys_file_size(int fd) {
    struct sh_file *f = file_of(fd);
    if (!f)
        return -EBADF;
    long len = host_length(f->handle);
    return (len < 0) ? host_error() : len;
}

long sys_file_seek(int fd, long offset, int whence) {
    struct sh_file *f = file_of(fd);
    if (!f)
        return -EBADF;
    long base = 0;
    if (whence == SEEK_CUR) {
        base = f->pos;
    } else if (whence == SEEK_END) {
        base = sys_file_size(fd);
        if (base < 0)
            return base;
    }
    if ((offset > 0 && base > INT32_MAX - offset) || base + offset < 0)
        return -EINVAL;
    long target = base + offset;
    uintptr_t block[2] = {(uintptr_t)f->handle, (uintptr_t)target};
    if (semihost_call(SEMIHOST_SYS_SEEK, block) != 0)
        return host_error();
    f->pos = target;
    return target;
}
