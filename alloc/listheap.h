/*
 * listheap: a bounded-time linked-list heap for bare-metal Cortex-M (and any C11 target).
 *
 * Free blocks are intrusive doubly linked list nodes kept in segregated size classes, found
 * through a two-level bitmap; neighbours are coalesced on free through boundary tags. The heap
 * lives in fixed regions you hand it (or that the linker script reserves); there is no _sbrk.
 *
 * GUARANTEES (W = sizeof(size_t): 4 on Cortex-M and other 32-bit targets, 8 on 64-bit hosts)
 *   Alignment   every pointer returned is aligned to LISTHEAP_ALIGNMENT (8 bytes, the ARM EABI
 *               max_align_t), lies wholly inside one region and overlaps no other live block.
 *               listheap_memalign() gives any power of two from 1 to 2^(W*8-2).
 *   Overhead    one W-byte header per allocated block. A block holds the request plus its
 *               header, rounded up to 8 bytes, and is never smaller than LISTHEAP_MIN_BLOCK
 *               (16 bytes on 32-bit: 4 header + next + prev + 4 boundary tag of a free block;
 *               32 on 64-bit). On 32-bit: malloc(1) and malloc(0) take 16 bytes, malloc(16)
 *               24, malloc(100) 104. A region also spends W bytes on its end marker and up
 *               to 7 bytes at each end trimmed for alignment.
 *   Time        malloc, free, memalign, usable_size and the in-place paths of realloc run in a
 *               bounded number of steps that does not depend on how many blocks the heap holds:
 *               one size-class computation, at most one fit test, a search of a two-level
 *               bitmap (two count-trailing-zeros), one split and one list insert or removal.
 *               free, realloc and usable_size validate the pointer against each region: at
 *               most LISTHEAP_MAX_REGIONS comparisons. calloc and a moving realloc add a
 *               memset/memmove of the payload, done outside the lock. realloc grows in place
 *               into a free successor or, when that is not enough, a free predecessor too:
 *               it then returns a lower pointer and memmoves the payload down (outside the
 *               lock); only when neither is enough does it allocate, copy and free. listheap_check(),
 *               listheap_walk() and listheap_get_stats() are O(number of blocks + classes).
 *               The very first allocation may initialise the heap from the linker symbols.
 *   Fit         a request is served from the head of its own size class when that block is
 *               large enough (always, below LISTHEAP_EXACT_LIMIT, where classes are exact),
 *               otherwise from the smallest non-empty larger class ("good fit", after TLSF).
 *               listheap_get_stats() reports largest_free_block: the largest request that is
 *               guaranteed to succeed by that rule.
 *   Static RAM  one control structure of 412 bytes on 32-bit with the defaults: 70 class heads
 *               (280), a 3+1-word bitmap (16), 8 regions (64), bounds, counters and the
 *               link secret (52). Each
 *               class or region costs one or two pointers; config.h has the knobs.
 *   Safety      every public call takes LISTHEAP_LOCK (no-op by default; see config.h). Hooks
 *               are called with the lock released and must not allocate.
 *   Integrity   whatever bytes the application writes inside the regions (an overflow past a
 *               block, a write into freed memory, a forged header or link, random bit flips),
 *               no listheap call reads or writes outside the regions it was given, none loops
 *               forever and none crashes: every block is validated before it is written
 *               through (a block taken from a free list as carefully as a pointer given to
 *               free), every link before it is followed, every walk stops at a size that would
 *               leave its region. Damage a check sees calls listheap_fault_hook(), counts in
 *               stats.faults, and the call refuses: NULL with errno = ENOMEM (allocation) or
 *               EINVAL (realloc), nothing (free), 0 (usable_size). Undetectable: bytes that
 *               form a heap indistinguishable from a valid one (a live block's header rewritten
 *               to reach exactly another valid header; a free node forged inside a live block
 *               and linked with the link secret known, see listheap_secret_hook). They can make
 *               blocks overlap inside the regions, never more. docs/robustness.md has the list.
 *
 * WHEN A CALL RETURNS NULL
 *   malloc/calloc/realloc/memalign return NULL, set errno = ENOMEM, count a failure and call
 *   listheap_oom_hook(request) when: no region has been given and the linker provides none;
 *   the request plus header (plus alignment slack for memalign) overflows size_t or exceeds
 *   what any free block can hold by the fit rule above; calloc's n * size overflows.
 *   memalign with an alignment that is not a power of two returns NULL with errno = EINVAL
 *   (stricter than newlib, which rounds or ignores it). realloc(p, 0) frees p and returns NULL
 *   without touching errno. realloc/free/usable_size of an invalid pointer report
 *   listheap_fault_hook() and change nothing: free does nothing, realloc returns NULL with
 *   errno = EINVAL, usable_size returns 0. A failed call leaves the heap exactly as it was.
 *
 * Design, invariants and pictures: docs/design.md and the block-layout comment in block.h.
 */
#ifndef LISTHEAP_H
#define LISTHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LISTHEAP_VERSION_MAJOR 0
#define LISTHEAP_VERSION_MINOR 1
#define LISTHEAP_VERSION_PATCH 0
#define LISTHEAP_VERSION "0.1.0"

/* Alignment of every pointer malloc returns. */
#define LISTHEAP_ALIGNMENT 8u
/* Bytes of header in front of every allocated payload. */
#define LISTHEAP_OVERHEAD (sizeof(size_t))
/* Smallest block (header included); also the smallest free fragment that can exist. */
#define LISTHEAP_MIN_BLOCK (4u * sizeof(size_t))

/* Return codes of listheap_init, listheap_add_region and listheap_check. */
enum listheap_status {
    LISTHEAP_OK = 0,
    LISTHEAP_E_NULL = -1,          /* region start is NULL */
    LISTHEAP_E_TOO_SMALL = -2,     /* after alignment trimming, no room for one block */
    LISTHEAP_E_BUSY = -3,          /* listheap_init while blocks are live: nothing changed */
    LISTHEAP_E_OVERLAP = -4,       /* region overlaps one already added */
    LISTHEAP_E_FULL = -5,          /* LISTHEAP_MAX_REGIONS regions already added */
    LISTHEAP_E_WRAP = -6,          /* start + size wraps around the address space */
    /* listheap_check() findings */
    LISTHEAP_E_BAD_SIZE = -20,     /* block size not a multiple of 8, too small, or past its end */
    LISTHEAP_E_BAD_SENTINEL = -21, /* region end marker damaged */
    LISTHEAP_E_BAD_TAG = -22,      /* free block's boundary tag differs from its header */
    LISTHEAP_E_BAD_PREV_FLAG = -23, /* "previous is free" flag disagrees with the previous block */
    LISTHEAP_E_UNCOALESCED = -24,  /* two adjacent free blocks */
    LISTHEAP_E_BAD_LINK = -25,     /* free-list link outside the heap, not free, or back link wrong */
    LISTHEAP_E_BAD_CLASS = -26,    /* free block listed under the wrong size class */
    LISTHEAP_E_BAD_BITMAP = -27,   /* class bitmap disagrees with the lists */
    LISTHEAP_E_BAD_COUNT = -28,    /* free blocks listed != free blocks in the regions */
    LISTHEAP_E_BAD_TOTALS = -29,   /* byte or block counters disagree with the walk */
    LISTHEAP_E_CANARY = -30,       /* checked build: bytes after a payload were overwritten */
    LISTHEAP_E_POISON = -31        /* checked build: a free block was written to */
};

/* Result of listheap_check_step() while a pass is not complete yet. */
#define LISTHEAP_CHECK_IN_PROGRESS 1

/* What listheap_fault_hook() is told. The heap is never modified by the faulting call. */
enum listheap_fault {
    LISTHEAP_FAULT_FOREIGN = 1,    /* pointer lies in no region */
    LISTHEAP_FAULT_MISALIGNED = 2, /* pointer inside a region but not at a payload alignment */
    LISTHEAP_FAULT_NOT_LIVE = 3,   /* header says free: a double free or a stale pointer */
    LISTHEAP_FAULT_BAD_HEADER = 4, /* header or neighbours inconsistent: corruption, or an
                                      interior/never-allocated pointer */
    LISTHEAP_FAULT_BAD_LINK = 5,   /* a free list link is damaged (found before following it) */
    LISTHEAP_FAULT_OVERFLOW = 6,   /* checked build: the canary after the payload is damaged
                                      (a write past the requested size); ptr = the payload */
    LISTHEAP_FAULT_USE_AFTER_FREE = 7 /* checked build: a free block was written to; reported
                                      when it is handed out again; ptr = first damaged byte */
};

struct listheap_stats {
    size_t total_bytes;        /* bytes of all blocks in all regions, headers included */
    size_t used_bytes;         /* of which in allocated blocks */
    size_t free_bytes;         /* of which in free blocks; used + free == total */
    size_t peak_used_bytes;    /* high-water mark of used_bytes (listheap_reset_peak) */
    size_t largest_free_block; /* largest malloc() request guaranteed to succeed now */
    size_t free_blocks;        /* number of free blocks */
    size_t live_blocks;        /* number of allocated blocks */
    size_t allocations;        /* successful calls that handed out a new block */
    size_t frees;              /* blocks given back */
    size_t failures;           /* allocation calls that returned NULL for want of memory */
    size_t faults;             /* calls that reported listheap_fault_hook() */
    size_t regions;            /* regions in use */
};

/* The whole heap becomes [start, start + size). Start and end are trimmed to the block
 * alignment. With no live block the heap starts afresh (statistics too); with live blocks it
 * returns LISTHEAP_E_BUSY and changes nothing. */
int listheap_init(void *start, size_t size);
/* Add a further, non-overlapping region, at any time. Called before anything was allocated
 * and before listheap_init, it keeps the linker heap (__heap_start/__heap_end): that heap is
 * added first, as the first allocation would have added it, unless the new region overlaps
 * it (wholly or partly: the region then replaces it). A refused region changes nothing
 * (LISTHEAP_E_FULL when LISTHEAP_MAX_REGIONS leaves no slot beside the linker heap). */
int listheap_add_region(void *start, size_t size);

void *listheap_malloc(size_t size);
void listheap_free(void *ptr);
void *listheap_realloc(void *ptr, size_t size);
void *listheap_calloc(size_t count, size_t size);
void *listheap_memalign(size_t alignment, size_t size);
/* Bytes the caller may use at ptr (>= the size requested); 0 for NULL or an invalid pointer. */
size_t listheap_usable_size(const void *ptr);

void listheap_get_stats(struct listheap_stats *stats);
/* Restart the high-water mark from the current used_bytes. */
void listheap_reset_peak(void);

/* Verify every invariant of every region and free list; LISTHEAP_OK or the first finding.
 * Read-only; O(blocks). */
int listheap_check(void);

typedef void (*listheap_visitor)(void *ctx, void *payload, size_t size, int used);
/* Call visit for every block in address order, region by region: payload address, bytes
 * from the payload to the end of the block (block size - header; in the checked build that
 * includes canary and trailer), 1 if allocated. Runs under the lock: the visitor must not
 * allocate or free. */
void listheap_walk(listheap_visitor visit, void *ctx);

/* Incremental listheap_check() for an idle task under a watchdog: each call examines at most
 * max_blocks blocks or list nodes and returns LISTHEAP_CHECK_IN_PROGRESS until a whole pass is
 * done (then LISTHEAP_OK), or a LISTHEAP_E_* finding. Zero-initialise the cursor before the first
 * call. If the heap changes between calls the pass starts over, so it completes only when the
 * heap stays unchanged for the calls of one pass. */
struct listheap_check_cursor { /* private to check.c: zero it, then only pass it back */
    unsigned long generation;
    unsigned phase, index;
    int prev_free;
    void *at, *prev_node;
    size_t total, used, free_bytes, free_blocks, live_blocks, listed, listed_bytes;
};
int listheap_check_step(struct listheap_check_cursor *cursor, size_t max_blocks);

/* Live blocks grouped by the address that allocated them (checked build; the release build
 * has no caller records and reports every live block under caller NULL). For leak hunting on
 * a device: run it at a quiet moment, print what visit receives. Runs under the lock and takes
 * O(live blocks^2) time; the visitor must not allocate. */
typedef void (*listheap_leak_visitor)(void *ctx, const void *caller, size_t blocks, size_t bytes);
void listheap_report_leaks(listheap_leak_visitor visit, void *ctx);

/* Hooks: weak defaults that the application may replace with its own definitions.
 * Called with no lock held; must not allocate.
 * Default listheap_oom_hook: returns, and the caller gets NULL.
 * Default listheap_fault_hook: returns (the fault is counted in stats.faults, the offending
 * call does nothing). Replace it to log or to halt. */
void listheap_oom_hook(size_t request);
void listheap_fault_hook(enum listheap_fault kind, const void *ptr);
/* With LISTHEAP_PROTECT_LINKS (the default): the secret that free-list links are XOR-ed with.
 * Called once per heap initialisation (listheap_init, or the first listheap_add_region or
 * allocation when the heap has no region yet), under the lock: it must not allocate or call
 * listheap. Default: a fixed constant, which catches links damaged by accident; return a
 * value from a hardware RNG (the STM32H750 has one) so that a forged link is caught too. */
uintptr_t listheap_secret_hook(void);

/* Only with LISTHEAP_LOCKING == LISTHEAP_LOCKING_CUSTOM: the application's lock. acquire
 * returns a value that release gets back (e.g. a saved interrupt state); must nest. */
unsigned long listheap_lock_acquire(void);
void listheap_lock_release(unsigned long key);

#ifdef __cplusplus
}
#endif

#endif /* LISTHEAP_H */
