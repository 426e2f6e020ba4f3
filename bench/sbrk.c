/*
 * sbrk.c - the _sbrk the newlib peers (newlib-nano and full newlib) get in the benchmark, and
 * only there: it hands out [__heap_start, __heap_end), the same region listheap and picolibc
 * are given. listheap's library, tests and firmware have no _sbrk (tools/linkcheck.sh fails an
 * image that contains one); this file is linked into bench images of the two newlib peers only.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

extern char __heap_start[], __heap_end[];

void *_sbrk(ptrdiff_t increment);

void *_sbrk(ptrdiff_t increment) {
    static char *brk;
    if (!brk)
        brk = __heap_start;
    if (increment > __heap_end - brk || increment < __heap_start - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = brk;
    brk += increment;
    return old;
}
