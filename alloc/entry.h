/*
 * Private to alloc/: the allocation entry points with an explicit errno location, for the
 * newlib glue, whose _r functions must set errno in the struct _reent they are given
 * (r->_errno), not in whatever _REENT is current. NULL means errno itself: the listheap_*
 * calls and the plain malloc family pass it, and errno's address (a call in newlib) is then
 * taken only when a call fails.
 * `caller` is recorded with the block in the checked build (LISTHEAP_DEBUG).
 * Same contract as the listheap_* functions of listheap.h otherwise.
 */
#ifndef LISTHEAP_ENTRY_H
#define LISTHEAP_ENTRY_H

#include <stddef.h>

void *listheap_malloc_err(size_t size, int *err, const void *caller);
void *listheap_calloc_err(size_t count, size_t size, int *err, const void *caller);
void *listheap_realloc_err(void *ptr, size_t size, int *err, const void *caller);
void *listheap_memalign_err(size_t alignment, size_t size, int *err, const void *caller);

/* The address the current function returns to: the allocation's caller, recorded by the
 * checked build. Each public entry point passes its own, so the record names user code. */
#if defined(__GNUC__) || defined(__clang__)
#define LISTHEAP_CALLER() __builtin_return_address(0)
#else
#define LISTHEAP_CALLER() ((const void *)0)
#endif

#endif /* LISTHEAP_ENTRY_H */
