/*
 * Private to alloc/: the lock selected by LISTHEAP_LOCKING (config.h), as two inline calls:
 *     lock_key key = lock_acquire();  ...  lock_release(key);
 * Every variant is nesting-safe: newlib's malloc lock is a recursive mutex, the PRIMASK variant
 * restores the state it found, so a nested pair leaves interrupts as the outer pair wants them.
 */
#ifndef LISTHEAP_LOCK_H
#define LISTHEAP_LOCK_H

#include <stdint.h>

#include "config.h"

typedef unsigned long lock_key;

#if defined(__GNUC__) || defined(__clang__)
#define LOCK_INLINE __attribute__((always_inline))
#else
#define LOCK_INLINE
#endif

#if LISTHEAP_LOCKING == LISTHEAP_LOCKING_NONE

static inline LOCK_INLINE lock_key lock_acquire(void) {
    return 0;
}
static inline LOCK_INLINE void lock_release(lock_key key) {
    (void)key;
}

#elif LISTHEAP_LOCKING == LISTHEAP_LOCKING_NEWLIB

#include <sys/reent.h>
void __malloc_lock(struct _reent *);
void __malloc_unlock(struct _reent *);

static inline LOCK_INLINE lock_key lock_acquire(void) {
    __malloc_lock(_REENT);
    return 0;
}
static inline LOCK_INLINE void lock_release(lock_key key) {
    (void)key;
    __malloc_unlock(_REENT);
}

#elif LISTHEAP_LOCKING == LISTHEAP_LOCKING_PRIMASK

static inline LOCK_INLINE lock_key lock_acquire(void) {
    lock_key primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}
static inline LOCK_INLINE void lock_release(lock_key primask) {
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#elif LISTHEAP_LOCKING == LISTHEAP_LOCKING_CUSTOM

#include "listheap.h"
static inline LOCK_INLINE lock_key lock_acquire(void) {
    return (lock_key)listheap_lock_acquire();
}
static inline LOCK_INLINE void lock_release(lock_key key) {
    listheap_lock_release(key);
}

#else
#error "LISTHEAP_LOCKING: NONE, NEWLIB, PRIMASK or CUSTOM (see config.h)"
#endif

#endif /* LISTHEAP_LOCK_H */
