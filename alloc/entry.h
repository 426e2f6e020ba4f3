/*
 * Private to alloc/: the allocation entry points with an explicit errno location, for the
 * newlib glue, whose _r functions must set errno in the struct _reent they are given
 * (r->_errno), not in whatever _REENT is current. The listheap_* calls pass &errno.
 * Same contract as the listheap_* functions of listheap.h otherwise.
 */
#ifndef LISTHEAP_ENTRY_H
#define LISTHEAP_ENTRY_H

#include <stddef.h>

void *listheap_malloc_err(size_t size, int *err);
void *listheap_calloc_err(size_t count, size_t size, int *err);
void *listheap_realloc_err(void *ptr, size_t size, int *err);
void *listheap_memalign_err(size_t alignment, size_t size, int *err);

#endif /* LISTHEAP_ENTRY_H */
