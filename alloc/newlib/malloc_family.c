/*
 * newlib glue: the whole malloc family of newlib and newlib-nano, its reentrant _r forms and
 * the __wrap_ forms, routed to listheap. Everything is in this one translation unit ON PURPOSE:
 * whichever of these symbols the linker needs first (malloc from the application, __wrap_malloc
 * under -Wl,--wrap=malloc, _malloc_r from newlib's stdio, or EXTERN(_malloc_r) in
 * ld/listheap.ld) brings all of them, so no newlib malloc member is ever pulled in beside it
 * (newlib's own objects bundle several of these names: a partial set ends in "multiple
 * definition" or in two allocators). Built with -ffunction-sections, so --gc-sections still
 * drops what an image never calls (malloc_stats and its stdio, for one).
 *
 * Errors: the _r forms set errno in the struct _reent they are passed (r->_errno, the first
 * member of struct _reent in both newlib and newlib-nano); the plain forms set errno.
 *
 * Where listheap differs from newlib (docs/integration.md):
 *   realloc(p, 0)  frees p, returns NULL (as newlib-nano; full newlib returns a block);
 *   memalign(a, n) a must be a power of two, else NULL with EINVAL (nano: NULL without errno,
 *                  full newlib: rounds a up);
 *   calloc(n, m)   n * m overflow returns NULL with ENOMEM (nano does not check);
 *   malloc_trim    returns 0: there is no _sbrk to give memory back to;
 *   mallopt        returns 0: no options;
 *   valloc/pvalloc align to LISTHEAP_PAGE_SIZE (4096, as newlib).
 */
#define _DEFAULT_SOURCE 1 /* fiprintf, posix_memalign under -std=c11 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../entry.h"
#include "../listheap.h"

#define LISTHEAP_PAGE_SIZE ((size_t)4096)

/* Declared here: newlib's headers do not declare all of these (or declare them only in one of
 * the two libraries). */
void cfree(void *ptr);
void _cfree_r(struct _reent *r, void *ptr);
void *_aligned_alloc_r(struct _reent *r, size_t alignment, size_t size);
int _posix_memalign_r(struct _reent *r, void **out, size_t alignment, size_t size);
int malloc_trim(size_t pad);
void mstats(char *title);
void _mstats_r(struct _reent *r, char *title);

/* ---------------------------------------------------------------- the reentrant forms */

void *_malloc_r(struct _reent *r, size_t size) {
    return listheap_malloc_err(size, &r->_errno);
}

void _free_r(struct _reent *r, void *ptr) {
    (void)r;
    listheap_free(ptr);
}

void _cfree_r(struct _reent *r, void *ptr) {
    (void)r;
    listheap_free(ptr);
}

void *_realloc_r(struct _reent *r, void *ptr, size_t size) {
    return listheap_realloc_err(ptr, size, &r->_errno);
}

void *_calloc_r(struct _reent *r, size_t count, size_t size) {
    return listheap_calloc_err(count, size, &r->_errno);
}

void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    return listheap_memalign_err(alignment, size, &r->_errno);
}

void *_aligned_alloc_r(struct _reent *r, size_t alignment, size_t size) {
    return listheap_memalign_err(alignment, size, &r->_errno);
}

void *_valloc_r(struct _reent *r, size_t size) {
    return listheap_memalign_err(LISTHEAP_PAGE_SIZE, size, &r->_errno);
}

void *_pvalloc_r(struct _reent *r, size_t size) {
    if (size > SIZE_MAX - (LISTHEAP_PAGE_SIZE - 1)) {
        /* rounding up would wrap: ask for the impossible so that the failure is counted */
        return listheap_malloc_err(SIZE_MAX, &r->_errno);
    }
    size_t rounded = (size + LISTHEAP_PAGE_SIZE - 1) & ~(LISTHEAP_PAGE_SIZE - 1);
    return listheap_memalign_err(LISTHEAP_PAGE_SIZE, rounded, &r->_errno);
}

size_t _malloc_usable_size_r(struct _reent *r, void *ptr) {
    (void)r;
    return listheap_usable_size(ptr);
}

int _posix_memalign_r(struct _reent *r, void **out, size_t alignment, size_t size) {
    (void)r;
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    int err = 0;
    void *p = listheap_memalign_err(alignment, size, &err);
    if (!p)
        return err ? err : ENOMEM;
    *out = p;
    return 0;
}

struct mallinfo _mallinfo_r(struct _reent *r) {
    (void)r;
    struct listheap_stats s;
    listheap_get_stats(&s);
    struct mallinfo mi = {0};
    mi.arena = s.total_bytes;   /* all bytes of all regions, headers included */
    mi.ordblks = s.free_blocks; /* free blocks */
    mi.uordblks = s.used_bytes; /* bytes in allocated blocks */
    mi.fordblks = s.free_bytes; /* bytes in free blocks */
    return mi;
}

int _mallopt_r(struct _reent *r, int param, int value) {
    (void)r;
    (void)param;
    (void)value;
    return 0;
}

int _malloc_trim_r(struct _reent *r, size_t pad) {
    (void)r;
    (void)pad;
    return 0;
}

/* Prints to stderr as newlib does (its three lines first), then listheap's own figures. Only
 * an image that calls it links stdio for it. */
void _malloc_stats_r(struct _reent *r) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    FILE *err = _stderr_r(r);
    fiprintf(err, "max system bytes = %10lu\n", (unsigned long)s.total_bytes);
    fiprintf(err, "system bytes     = %10lu\n", (unsigned long)s.total_bytes);
    fiprintf(err, "in use bytes     = %10lu\n", (unsigned long)s.used_bytes);
    fiprintf(err, "peak in use      = %10lu\n", (unsigned long)s.peak_used_bytes);
    fiprintf(err, "free blocks      = %10lu\n", (unsigned long)s.free_blocks);
    fiprintf(err, "largest request  = %10lu\n", (unsigned long)s.largest_free_block);
}

void _mstats_r(struct _reent *r, char *title) {
    fiprintf(_stderr_r(r), "Memory allocation statistics %s\n", title);
    _malloc_stats_r(r);
}

/* ---------------------------------------------------------------- the plain forms */

void *malloc(size_t size) {
    return _malloc_r(_REENT, size);
}

void free(void *ptr) {
    listheap_free(ptr);
}

void cfree(void *ptr) {
    listheap_free(ptr);
}

void *realloc(void *ptr, size_t size) {
    return _realloc_r(_REENT, ptr, size);
}

void *calloc(size_t count, size_t size) {
    return _calloc_r(_REENT, count, size);
}

void *memalign(size_t alignment, size_t size) {
    return _memalign_r(_REENT, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    return _aligned_alloc_r(_REENT, alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    return _posix_memalign_r(_REENT, out, alignment, size);
}

void *valloc(size_t size) {
    return _valloc_r(_REENT, size);
}

void *pvalloc(size_t size) {
    return _pvalloc_r(_REENT, size);
}

size_t malloc_usable_size(void *ptr) {
    return listheap_usable_size(ptr);
}

struct mallinfo mallinfo(void) {
    return _mallinfo_r(_REENT);
}

int mallopt(int param, int value) {
    return _mallopt_r(_REENT, param, value);
}

int malloc_trim(size_t pad) {
    return _malloc_trim_r(_REENT, pad);
}

void malloc_stats(void) {
    _malloc_stats_r(_REENT);
}

void mstats(char *title) {
    _mstats_r(_REENT, title);
}

/* ---------------------------------------------------------------- the --wrap forms
 * With -Wl,--wrap=malloc the linker sends every undefined reference to malloc to __wrap_malloc.
 * Defining these here (not in a separate object) makes the first __wrap_ reference bring the
 * _r family above with it. They call the _r forms, never the wrapped plain names. */

#define WRAP_PROTOTYPES                                                                         \
    void *__wrap_malloc(size_t);                                                                \
    void __wrap_free(void *);                                                                   \
    void __wrap_cfree(void *);                                                                  \
    void *__wrap_realloc(void *, size_t);                                                       \
    void *__wrap_calloc(size_t, size_t);                                                        \
    void *__wrap_memalign(size_t, size_t);                                                      \
    void *__wrap_aligned_alloc(size_t, size_t);                                                 \
    int __wrap_posix_memalign(void **, size_t, size_t);                                         \
    void *__wrap_valloc(size_t);                                                                \
    void *__wrap_pvalloc(size_t);                                                               \
    size_t __wrap_malloc_usable_size(void *);                                                   \
    struct mallinfo __wrap_mallinfo(void);                                                      \
    int __wrap_mallopt(int, int);                                                               \
    int __wrap_malloc_trim(size_t);                                                             \
    void __wrap_malloc_stats(void);                                                             \
    void __wrap_mstats(char *);
WRAP_PROTOTYPES

void *__wrap_malloc(size_t size) {
    return _malloc_r(_REENT, size);
}
void __wrap_free(void *ptr) {
    listheap_free(ptr);
}
void __wrap_cfree(void *ptr) {
    listheap_free(ptr);
}
void *__wrap_realloc(void *ptr, size_t size) {
    return _realloc_r(_REENT, ptr, size);
}
void *__wrap_calloc(size_t count, size_t size) {
    return _calloc_r(_REENT, count, size);
}
void *__wrap_memalign(size_t alignment, size_t size) {
    return _memalign_r(_REENT, alignment, size);
}
void *__wrap_aligned_alloc(size_t alignment, size_t size) {
    return _aligned_alloc_r(_REENT, alignment, size);
}
int __wrap_posix_memalign(void **out, size_t alignment, size_t size) {
    return _posix_memalign_r(_REENT, out, alignment, size);
}
void *__wrap_valloc(size_t size) {
    return _valloc_r(_REENT, size);
}
void *__wrap_pvalloc(size_t size) {
    return _pvalloc_r(_REENT, size);
}
size_t __wrap_malloc_usable_size(void *ptr) {
    return listheap_usable_size(ptr);
}
struct mallinfo __wrap_mallinfo(void) {
    return _mallinfo_r(_REENT);
}
int __wrap_mallopt(int param, int value) {
    return _mallopt_r(_REENT, param, value);
}
int __wrap_malloc_trim(size_t pad) {
    return _malloc_trim_r(_REENT, pad);
}
void __wrap_malloc_stats(void) {
    _malloc_stats_r(_REENT);
}
void __wrap_mstats(char *title) {
    _mstats_r(_REENT, title);
}
