/*
 * newlib glue: malloc_stats and mstats, which print as newlib's do. In an object of their own:
 * a reference to fiprintf from malloc_family.c made every image link newlib's stdio FILE glue
 * (findfp.o, 96 bytes of FILE stubs kept alive by impure_data) even when nothing printed.
 * Only an image that calls one of these pays for stdio now.
 *
 * newlib keeps malloc_stats with mallinfo/mallopt/mstats in one member (mstats.o). Whichever
 * of these names the linker looks up, it finds listheap's first, in liblistheap.a: mallinfo and
 * mallopt in malloc_family.o, these here. The reference to _malloc_r below makes taking this
 * object take malloc_family.o too, so newlib's allocator can never come in beside it.
 */
#define _DEFAULT_SOURCE 1 /* fiprintf under -std=c11 */
#include <malloc.h>
#include <reent.h>
#include <stdio.h>

#include "../listheap.h"

void mstats(char *title);
void _mstats_r(struct _reent *r, char *title);
void __wrap_malloc_stats(void);
void __wrap_mstats(char *title);

/* Keeps the whole malloc family in the link with this object (see above). */
void *(*const listheap_family_anchor_)(struct _reent *, size_t) = _malloc_r;

/* newlib's three lines first, then listheap's own figures. */
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

void malloc_stats(void) {
    _malloc_stats_r(_REENT);
}

void mstats(char *title) {
    _mstats_r(_REENT, title);
}

void __wrap_malloc_stats(void) __attribute__((alias("malloc_stats"), copy(malloc_stats)));
void __wrap_mstats(char *title) __attribute__((alias("mstats"), copy(mstats)));
