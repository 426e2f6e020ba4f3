/*
 * CMocka on the target, kept off the heap under test.
 *
 * CMocka allocates its own bookkeeping (malloc, strdup), installs signal handlers (newlib's
 * signal() allocates its table) and prints through stdio (whose FILE structures and buffers
 * newlib allocates). On the target all of that would land in listheap, the very heap the
 * suites re-initialise and count. So the build renames those references inside cmocka.o with
 * `objcopy --redefine-sym malloc=cm_malloc ...` (see the Makefile's target rules) and this
 * file supplies them: a bump allocator over a private pool, and output formatted with
 * vsnprintf into a stack buffer and written with write(), which allocates nothing.
 */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef CM_POOL_BYTES
#define CM_POOL_BYTES (24u * 1024u)
#endif

void *cm_malloc(size_t size);
void *cm_calloc(size_t count, size_t size);
void *cm_realloc(void *ptr, size_t size);
void cm_free(void *ptr);
char *cm_strdup(const char *s);
int cm_printf(const char *format, ...);
int cm_fprintf(FILE *stream, const char *format, ...);
int cm_fputs(const char *s, FILE *stream);
int cm_fflush(FILE *stream);
_sig_func_ptr cm_signal(int sig, _sig_func_ptr handler);

static _Alignas(8) unsigned char pool[CM_POOL_BYTES];
static size_t pool_used;

/* Each block is preceded by its size, for realloc. Freed memory is not reused: CMocka frees
 * little, and the pool lives as long as the test program. */
void *cm_malloc(size_t size) {
    size_t need = (size + sizeof(size_t) + 7u) & ~(size_t)7u;
    if (size > CM_POOL_BYTES || need > CM_POOL_BYTES - pool_used) {
        static const char msg[] = "target_cmocka: CMocka's pool is exhausted (CM_POOL_BYTES)\n";
        write(2, msg, sizeof msg - 1);
        return NULL;
    }
    size_t *block = (size_t *)(void *)(pool + pool_used);
    pool_used += need;
    *block = size;
    return block + 1;
}

void cm_free(void *ptr) {
    (void)ptr;
}

void *cm_calloc(size_t count, size_t size) {
    if (size && count > (size_t)-1 / size)
        return NULL;
    void *p = cm_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *cm_realloc(void *ptr, size_t size) {
    void *fresh = cm_malloc(size);
    if (fresh && ptr) {
        size_t old = ((size_t *)ptr)[-1];
        memcpy(fresh, ptr, old < size ? old : size);
    }
    return fresh;
}

char *cm_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = cm_malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

static int write_formatted(int fd, const char *format, va_list args) {
    char buffer[1024];
    int n = vsnprintf(buffer, sizeof buffer, format, args);
    if (n < 0)
        return n;
    size_t len = (size_t)n < sizeof buffer ? (size_t)n : sizeof buffer - 1;
    return (int)write(fd, buffer, len);
}

static int fd_of(FILE *stream) {
    return stream == stderr ? 2 : 1;
}

int cm_printf(const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = write_formatted(1, format, args);
    va_end(args);
    return n;
}

int cm_fprintf(FILE *stream, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = write_formatted(fd_of(stream), format, args);
    va_end(args);
    return n;
}

int cm_fputs(const char *s, FILE *stream) {
    return (int)write(fd_of(stream), s, strlen(s));
}

int cm_fflush(FILE *stream) {
    (void)stream;
    return 0;
}

/* Faults end in qemu/startup.c's handlers, not in signals: nothing to install. */
_sig_func_ptr cm_signal(int sig, _sig_func_ptr handler) {
    (void)sig;
    (void)handler;
    return SIG_DFL;
}
