/*
 * listheap configuration: every LISTHEAP_* knob, each with its default and one line saying what
 * it changes. Override with -D on the compiler command line (the same value for every file that
 * includes listheap.h). Defaults are what the tests and benchmarks run.
 */
#ifndef LISTHEAP_CONFIG_H
#define LISTHEAP_CONFIG_H

/* How many separate memory regions the heap can manage (listheap_init + listheap_add_region).
 * Costs 2 pointers of static RAM each. */
#ifndef LISTHEAP_MAX_REGIONS
#define LISTHEAP_MAX_REGIONS 8
#endif

/* Blocks smaller than this many bytes (header included) get one exact-size free list per 8 bytes:
 * a request in this range is served without any search. Power of two, 64..1024. */
#ifndef LISTHEAP_EXACT_LIMIT
#define LISTHEAP_EXACT_LIMIT 128
#endif

/* Size-class resolution above LISTHEAP_EXACT_LIMIT: each power of two is split into
 * 2^LISTHEAP_SUBCLASS_BITS classes. More bits: closer fits, more static RAM (one pointer per
 * class). 1..4. */
#ifndef LISTHEAP_SUBCLASS_BITS
#define LISTHEAP_SUBCLASS_BITS 2
#endif

/* Size classes go up to 2^(LISTHEAP_CLASS_LOG2_MAX + 1) bytes; larger blocks share the last
 * class. They still work; only the fit among several of them is no longer size-ordered. The
 * default, 20, sizes classes exactly up to 2 MiB (the STM32H750's largest SRAM is 512 KiB). */
#ifndef LISTHEAP_CLASS_LOG2_MAX
#define LISTHEAP_CLASS_LOG2_MAX 20
#endif

/* The checked build: 1 adds, per allocated block, canary bytes after the payload, the requested
 * size and the caller's address (a block holds request + header + at least 4 canary bytes + 2
 * words, rounded to 8: 8 to 16 bytes more than the release build on 32-bit); freed memory is poisoned and verified when handed out again; new allocations are
 * filled with a pattern; listheap_check() verifies every canary and every poisoned byte.
 * Poisoning and pattern fills run under the lock: interrupt latency grows with block size. */
#ifndef LISTHEAP_DEBUG
#define LISTHEAP_DEBUG 0
#endif

/* 1: free-list links are stored XOR-ed with a secret that listheap_secret_hook() returns when
 * the heap is initialised, so a link the application overwrote (a write into freed memory, an
 * overflow) is detected instead of followed, unless the writer knew the secret. Costs an XOR
 * per link read or written (docs/benchmarks.md has the figure). 0: links stored as addresses;
 * every block and link is still validated before use (docs/robustness.md). */
#ifndef LISTHEAP_PROTECT_LINKS
#define LISTHEAP_PROTECT_LINKS 1
#endif

/* The lock every public call takes (alloc/lock.h implements them; docs/integration.md says
 * which to choose):
 *   LISTHEAP_LOCKING_NONE     no lock: single-threaded code, or the caller serialises.
 *   LISTHEAP_LOCKING_NEWLIB   newlib's __malloc_lock/__malloc_unlock(_REENT), the hooks an RTOS
 *                             port already implements for newlib's own malloc. Debian's newlib
 *                             ships them EMPTY: this protects nothing until firmware defines them.
 *   LISTHEAP_LOCKING_PRIMASK  save PRIMASK, disable interrupts, restore: safe against every
 *                             interrupt and nesting-safe (Cortex-M only; BASEPRI would leave
 *                             high-priority interrupts able to enter the heap).
 *   LISTHEAP_LOCKING_CUSTOM   the application defines listheap_lock_acquire()/_release().
 * Default: NEWLIB on bare-metal Arm, NONE elsewhere (host tests). */
#define LISTHEAP_LOCKING_NONE 0
#define LISTHEAP_LOCKING_NEWLIB 1
#define LISTHEAP_LOCKING_PRIMASK 2
#define LISTHEAP_LOCKING_CUSTOM 3
#ifndef LISTHEAP_LOCKING
#if defined(__arm__) && defined(__ARM_EABI__) && !defined(__linux__)
#define LISTHEAP_LOCKING LISTHEAP_LOCKING_NEWLIB
#else
#define LISTHEAP_LOCKING LISTHEAP_LOCKING_NONE
#endif
#endif

#endif /* LISTHEAP_CONFIG_H */
