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

/* Lock taken by every public call. The core ships without one (no-op); the newlib glue and the
 * interrupt-safe option define these. Both must be usable as statements. */
#ifndef LISTHEAP_LOCK
#define LISTHEAP_LOCK() ((void)0)
#endif
#ifndef LISTHEAP_UNLOCK
#define LISTHEAP_UNLOCK() ((void)0)
#endif

#endif /* LISTHEAP_CONFIG_H */
