/*
 * newlib glue: malloc_stats and mstats, which print as newlib's do. In an object of their own,
 * and with no strong reference to stdio: an image pays for newlib's FILE glue (findfp.o, 96
 * bytes of FILE stubs kept alive by impure_data) only if something else in it prints. The
 * printing goes through _vfprintf_r, referenced weakly: an image with printf-family code has
 * it, and the lines go to stderr as newlib's do (a redirected stderr gets them); an image
 * without it gets the same lines written straight to file descriptor 2. A strong reference
 * linked stdio into every image that compiles this file (the source drop-in and CMake routes
 * compile all of alloc/), where the library route only links it when malloc_stats is called.
 *
 * newlib keeps malloc_stats with mallinfo/mallopt/mstats in one member (mstats.o). Whichever
 * of these names the linker looks up, it finds listheap's first, in liblistheap.a: mallinfo and
 * mallopt in malloc_family.o, these here. The reference to _malloc_r below makes taking this
 * object take malloc_family.o too, so newlib's allocator can never come in beside it.
 */
#include <malloc.h>
#include <reent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../listheap.h"

void mstats(char *title);
void _mstats_r(struct _reent *r, char *title);
void __wrap_malloc_stats(void);
void __wrap_mstats(char *title);

/* Keeps the whole malloc family in the link with this object (see above). */
void *(*const listheap_family_anchor_)(struct _reent *, size_t) = _malloc_r;

/* Weak: present only when the image has printf-family code of its own (see above). */
int _vfprintf_r(struct _reent *r, FILE *fp, const char *fmt, va_list ap) __attribute__((weak));
_ssize_t _write_r(struct _reent *r, int fd, const void *buf, size_t n);

/* "<label><value>\n" with the value right-aligned in 10 columns, as "%s%10lu\n" prints it,
 * into buf (at least 64 bytes): the length. */
static size_t format_line(char *buf, const char *label, unsigned long value) {
    size_t n = 0;
    while (*label)
        buf[n++] = *label++;
    char digits[20];
    size_t d = 0;
    do {
        digits[d++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value);
    for (size_t pad = d; pad < 10u; pad++)
        buf[n++] = ' ';
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\n';
    return n;
}

/* printf on r's stderr, through the weak _vfprintf_r (call only when it is there). */
static void stderr_printf(struct _reent *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    (void)_vfprintf_r(r, _stderr_r(r), fmt, ap);
    va_end(ap);
}

/* n bytes of text on r's stderr, or on descriptor 2 when the image has no printf. */
static void emit(struct _reent *r, const char *text, size_t n) {
    if (_vfprintf_r)
        stderr_printf(r, "%.*s", (int)n, text);
    else
        (void)_write_r(r, 2, text, n);
}

static void print_line(struct _reent *r, const char *label, unsigned long value) {
    char buf[64];
    emit(r, buf, format_line(buf, label, value));
}

/* newlib's three lines first, then listheap's own figures. */
void _malloc_stats_r(struct _reent *r) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    print_line(r, "max system bytes = ", (unsigned long)s.total_bytes);
    print_line(r, "system bytes     = ", (unsigned long)s.total_bytes);
    print_line(r, "in use bytes     = ", (unsigned long)s.used_bytes);
    print_line(r, "peak in use      = ", (unsigned long)s.peak_used_bytes);
    print_line(r, "free blocks      = ", (unsigned long)s.free_blocks);
    print_line(r, "largest request  = ", (unsigned long)s.largest_free_block);
}

void _mstats_r(struct _reent *r, char *title) {
    static const char head[] = "Memory allocation statistics ";
    emit(r, head, sizeof head - 1);
    emit(r, title, strlen(title));
    emit(r, "\n", 1);
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
