/*
 * newlib glue: the whole malloc family of newlib and newlib-nano, its reentrant _r forms and
 * the __wrap_ forms, routed to listheap. Everything is in this one translation unit ON PURPOSE:
 * whichever of these symbols the linker needs first (malloc from the application, __wrap_malloc
 * under -Wl,--wrap=malloc, _malloc_r from newlib's stdio, or EXTERN(__listheap_malloc_family)
 * in listheap.ld) brings all of them, so no newlib malloc member is ever pulled in beside it
 * (newlib's own objects bundle several of these names: a partial set ends in "multiple
 * definition" or in two allocators). Built with -ffunction-sections, so --gc-sections still
 * drops what an image never calls. One exception: malloc_stats/mstats (and their _r and
 * __wrap_ forms) live in malloc_stats.c, because their stdio reference would otherwise pull
 * newlib's FILE glue into every image; that object refers to _malloc_r, so taking it still
 * brings this one.
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
#define _DEFAULT_SOURCE 1 /* posix_memalign under -std=c11 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdint.h>
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

/* ---------------------------------------------------------------- shared bodies
 * Every exported function below passes LISTHEAP_CALLER(), its own return address, so the
 * checked build records the code that called malloc, not this file. */

static void *do_malloc(int *err, size_t size, const void *caller) {
    return listheap_malloc_err(size, err, caller);
}

static void *do_memalign(int *err, size_t alignment, size_t size, const void *caller) {
    return listheap_memalign_err(alignment, size, err, caller);
}

static void *do_pvalloc(int *err, size_t size, const void *caller) {
    if (size > SIZE_MAX - (LISTHEAP_PAGE_SIZE - 1)) /* rounding up would wrap: count it */
        return listheap_malloc_err(SIZE_MAX, err, caller);
    size_t rounded = (size + LISTHEAP_PAGE_SIZE - 1) & ~(LISTHEAP_PAGE_SIZE - 1);
    return listheap_memalign_err(LISTHEAP_PAGE_SIZE, rounded, err, caller);
}

static int do_posix_memalign(void **out, size_t alignment, size_t size, const void *caller) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)))
        return EINVAL;
    int err = 0;
    void *p = listheap_memalign_err(alignment, size, &err, caller);
    if (!p)
        return err ? err : ENOMEM;
    *out = p;
    return 0;
}

static struct mallinfo do_mallinfo(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    struct mallinfo mi = {0};
    mi.arena = s.total_bytes;   /* all bytes of all regions, headers included */
    mi.ordblks = s.free_blocks; /* free blocks */
    mi.uordblks = s.used_bytes; /* bytes in allocated blocks */
    mi.fordblks = s.free_bytes; /* bytes in free blocks */
    return mi;
}

/* ---------------------------------------------------------------- the reentrant forms */

void *_malloc_r(struct _reent *r, size_t size) {
    return do_malloc(&r->_errno, size, LISTHEAP_CALLER());
}
void _free_r(struct _reent *r, void *ptr) {
    (void)r;
    listheap_free(ptr);
}
void _cfree_r(struct _reent *r, void *ptr) __attribute__((alias("_free_r"), copy(_free_r)));
void *_realloc_r(struct _reent *r, void *ptr, size_t size) {
    return listheap_realloc_err(ptr, size, &r->_errno, LISTHEAP_CALLER());
}
void *_calloc_r(struct _reent *r, size_t count, size_t size) {
    return listheap_calloc_err(count, size, &r->_errno, LISTHEAP_CALLER());
}
void *_memalign_r(struct _reent *r, size_t alignment, size_t size) {
    return do_memalign(&r->_errno, alignment, size, LISTHEAP_CALLER());
}
void *_aligned_alloc_r(struct _reent *r, size_t alignment, size_t size) {
    return do_memalign(&r->_errno, alignment, size, LISTHEAP_CALLER());
}
void *_valloc_r(struct _reent *r, size_t size) {
    return do_memalign(&r->_errno, LISTHEAP_PAGE_SIZE, size, LISTHEAP_CALLER());
}
void *_pvalloc_r(struct _reent *r, size_t size) {
    return do_pvalloc(&r->_errno, size, LISTHEAP_CALLER());
}
size_t _malloc_usable_size_r(struct _reent *r, void *ptr) {
    (void)r;
    return listheap_usable_size(ptr);
}
int _posix_memalign_r(struct _reent *r, void **out, size_t alignment, size_t size) {
    (void)r;
    return do_posix_memalign(out, alignment, size, LISTHEAP_CALLER());
}
struct mallinfo _mallinfo_r(struct _reent *r) {
    (void)r;
    return do_mallinfo();
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

/* ---------------------------------------------------------------- the plain forms */

void *malloc(size_t size) {
    return do_malloc(NULL, size, LISTHEAP_CALLER());
}
void free(void *ptr) {
    listheap_free(ptr);
}
void cfree(void *ptr) __attribute__((alias("free"), copy(free)));
void *realloc(void *ptr, size_t size) {
    return listheap_realloc_err(ptr, size, NULL, LISTHEAP_CALLER());
}
void *calloc(size_t count, size_t size) {
    return listheap_calloc_err(count, size, NULL, LISTHEAP_CALLER());
}
void *memalign(size_t alignment, size_t size) {
    return do_memalign(NULL, alignment, size, LISTHEAP_CALLER());
}
void *aligned_alloc(size_t alignment, size_t size) {
    return do_memalign(NULL, alignment, size, LISTHEAP_CALLER());
}
int posix_memalign(void **out, size_t alignment, size_t size) {
    return do_posix_memalign(out, alignment, size, LISTHEAP_CALLER());
}
void *valloc(size_t size) {
    return do_memalign(NULL, LISTHEAP_PAGE_SIZE, size, LISTHEAP_CALLER());
}
void *pvalloc(size_t size) {
    return do_pvalloc(NULL, size, LISTHEAP_CALLER());
}
size_t malloc_usable_size(void *ptr) {
    return listheap_usable_size(ptr);
}
struct mallinfo mallinfo(void) {
    return do_mallinfo();
}
int mallopt(int param, int value) {
    (void)param;
    (void)value;
    return 0;
}
int malloc_trim(size_t pad) {
    (void)pad;
    return 0;
}

/* ---------------------------------------------------------------- the --wrap forms
 * With -Wl,--wrap=malloc the linker sends every undefined reference to malloc to __wrap_malloc.
 * Each __wrap_ name is an alias of the plain function above (same code, no extra bytes), and
 * lives in this object, so the first __wrap_ reference brings the _r family with it. An alias
 * is a second name for the definition, not a reference to `malloc`, so --wrap cannot turn it
 * back onto itself. */

#define WRAP(ret, name, params) ret __wrap_##name params __attribute__((alias(#name), copy(name)));
WRAP(void *, malloc, (size_t))
WRAP(void, free, (void *))
WRAP(void, cfree, (void *))
WRAP(void *, realloc, (void *, size_t))
WRAP(void *, calloc, (size_t, size_t))
WRAP(void *, memalign, (size_t, size_t))
WRAP(void *, aligned_alloc, (size_t, size_t))
WRAP(int, posix_memalign, (void **, size_t, size_t))
WRAP(void *, valloc, (size_t))
WRAP(void *, pvalloc, (size_t))
WRAP(size_t, malloc_usable_size, (void *))
WRAP(struct mallinfo, mallinfo, (void))
WRAP(int, mallopt, (int, int))
WRAP(int, malloc_trim, (size_t))

/* ---------------------------------------------------------------- the symbol listheap.ld names
 * listheap.ld says EXTERN(__listheap_malloc_family) (on a link line: -u __listheap_malloc_family)
 * so that the linker takes this object from liblistheap.a before it scans libc.a, even when
 * nothing but newlib's stdio or libstdc++'s operator new will ask for _malloc_r or malloc.
 * The symbol is absolute (`.set`, no section): --gc-sections keeps the sections that contain
 * EXTERN/-u symbols, and this one is in none, so naming it costs no byte of code. Naming an
 * entry point instead (EXTERN(_malloc_r ...)) would keep that function in every image. */
__asm__(".globl __listheap_malloc_family\n\t.set __listheap_malloc_family, 0");
