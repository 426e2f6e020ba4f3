/*
 * trace_shim.c - records every allocation call of a newlib program, for bench/traces/.
 *
 * Linked with -Wl,--wrap=_malloc_r,--wrap=_free_r,--wrap=_realloc_r,--wrap=_calloc_r and
 * newlib-nano's own allocator: newlib-nano's malloc/free/realloc/calloc and every newlib
 * internal user (stdio, strdup, asprintf, dtoa) go through the _r forms, so every call the
 * program makes passes here once. Calls the allocator makes to itself (nano's realloc calls
 * _malloc_r and _free_r) are not recorded (depth guard).
 *
 * Pointers become slots: the lowest slot not in use is given to each new block, so a replay
 * needs as many slots as blocks were ever live at once. The trace is text, one call a line:
 *   m <slot> <size>            malloc
 *   c <slot> <count> <size>    calloc
 *   r <slot> <size>            realloc of the block in <slot>; the result stays in <slot>
 *                              (realloc(NULL, n) is recorded as m, realloc(p, 0) as f)
 *   f <slot>                   free (free(NULL) is not recorded)
 * trace_finish() writes it to stderr, which qemu/run.sh keeps apart from stdout. Nothing here
 * allocates.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <reent.h>

#include "trace_shim.h"

#define MAX_RECORDS 32768
#define MAX_SLOTS 1024

void *__real__malloc_r(struct _reent *, size_t);
void __real__free_r(struct _reent *, void *);
void *__real__realloc_r(struct _reent *, void *, size_t);
void *__real__calloc_r(struct _reent *, size_t, size_t);
void *__wrap__malloc_r(struct _reent *, size_t);
void __wrap__free_r(struct _reent *, void *);
void *__wrap__realloc_r(struct _reent *, void *, size_t);
void *__wrap__calloc_r(struct _reent *, size_t, size_t);

struct rec {
    char op;
    uint16_t slot;
    uint32_t a, b;
};
static struct rec recs[MAX_RECORDS];
static unsigned nrecs, overflow, depth;
static void *slots[MAX_SLOTS];

static void add(char op, int slot, uint32_t a, uint32_t b) {
    if (slot < 0 || nrecs == MAX_RECORDS) {
        overflow = 1;
        return;
    }
    recs[nrecs++] = (struct rec){op, (uint16_t)slot, a, b};
}

static int slot_of(const void *p) {
    for (int i = 0; i < MAX_SLOTS; i++)
        if (slots[i] == p)
            return i;
    return -1;
}

static int new_slot(void *p) {
    int i = slot_of(NULL);
    if (i >= 0)
        slots[i] = p;
    return i;
}

void *__wrap__malloc_r(struct _reent *r, size_t n) {
    depth++;
    void *p = __real__malloc_r(r, n);
    if (--depth == 0 && p)
        add('m', new_slot(p), (uint32_t)n, 0);
    return p;
}

void *__wrap__calloc_r(struct _reent *r, size_t count, size_t size) {
    depth++;
    void *p = __real__calloc_r(r, count, size);
    if (--depth == 0 && p)
        add('c', new_slot(p), (uint32_t)count, (uint32_t)size);
    return p;
}

void __wrap__free_r(struct _reent *r, void *p) {
    depth++;
    __real__free_r(r, p);
    if (--depth == 0 && p) {
        int s = slot_of(p);
        add('f', s, 0, 0);
        if (s >= 0)
            slots[s] = NULL;
    }
}

void *__wrap__realloc_r(struct _reent *r, void *p, size_t n) {
    depth++;
    void *q = __real__realloc_r(r, p, n);
    if (--depth == 0) {
        if (!p) {
            if (q)
                add('m', new_slot(q), (uint32_t)n, 0);
        } else if (n == 0) {
            int s = slot_of(p);
            add('f', s, 0, 0);
            if (s >= 0)
                slots[s] = q; /* NULL with newlib-nano */
        } else if (q) {
            int s = slot_of(p);
            add('r', s, (uint32_t)n, 0);
            if (s >= 0)
                slots[s] = q;
        }
    }
    return q;
}

static char *put_u(char *o, uint32_t v) {
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

int trace_finish(void) {
    static char line[64];
    for (unsigned i = 0; i < nrecs; i++) {
        char *o = line;
        *o++ = recs[i].op;
        *o++ = ' ';
        o = put_u(o, recs[i].slot);
        if (recs[i].op != 'f') {
            *o++ = ' ';
            o = put_u(o, recs[i].a);
        }
        if (recs[i].op == 'c') {
            *o++ = ' ';
            o = put_u(o, recs[i].b);
        }
        *o++ = '\n';
        (void)write(2, line, (size_t)(o - line));
    }
    return overflow;
}
