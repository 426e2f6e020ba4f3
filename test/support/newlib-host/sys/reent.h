/*
 * STAND-IN for newlib's <sys/reent.h> on a glibc host, which has none. It lets the host tests
 * compile alloc/ with LISTHEAP_LOCKING_NEWLIB exactly as liblistheap.a is built (alloc/lock.h
 * calls __malloc_lock(_REENT)), so that the lock listheap takes is the application's
 * __malloc_lock: in test/host/test_freertos.c, the one rtos/freertos/listheap_freertos.c
 * defines. Only what lock.h uses: an opaque struct _reent and _REENT. Nothing reads through
 * the pointer (newlib's _REENT is the current task's _impure_ptr; the glue ignores it).
 */
#ifndef LISTHEAP_HOST_SYS_REENT_H
#define LISTHEAP_HOST_SYS_REENT_H

struct _reent;
#define _REENT ((struct _reent *)0)

#endif /* LISTHEAP_HOST_SYS_REENT_H */
