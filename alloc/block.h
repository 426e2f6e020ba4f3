/*
 * Private to alloc/: the block layout, the control structure and the accessors that name every
 * piece of pointer arithmetic. Users include listheap.h only.
 *
 * BLOCK LAYOUT (W = sizeof(size_t); every block size is a multiple of 8 and >= 4*W)
 *
 *   used:  | size|P|U |  payload (size - W bytes) ...................................... |
 *   free:  | size|P|0 | next | prev |  ... (stale bytes) ...                   | size    |
 *          ^ block     ^ payload: aligned to 8                                  ^ boundary tag
 *
 *   The header word holds the block size with two flag bits in its low bits:
 *     U (bit 0)  this block is allocated;
 *     P (bit 1)  the block just before this one is free, so the word just before this header
 *                is that block's boundary tag (its size). Used blocks carry no tag: their last
 *                word is payload. That is what keeps the overhead at one word.
 *
 * REGION LAYOUT
 *
 *   | pad | block | block | ... | block | end |
 *         ^ first                        ^ end marker: one header word, size 0, U set
 *
 *   `pad` (0..7 bytes) trims the start so that payloads are 8-aligned. The first block never has
 *   P set (nothing precedes it); the end marker is a permanently used zero-size block, so a
 *   block's successor always exists and coalescing never tests region bounds (FreeRTOS heap_4's
 *   pxEnd and Zephyr's end chunk use the same trick).
 *
 * FREE LISTS
 *
 *   Free blocks are kept in doubly linked, NULL-terminated lists, one per size class. Every link
 *   (a block's next and prev, and the class heads) is stored as address XOR heap.link_secret
 *   when LISTHEAP_PROTECT_LINKS is 1 (NULL too: an empty list holds the secret), so a link that
 *   the application overwrote without knowing the secret decodes to a wild address, which the
 *   validators below reject (the idea of FreeRTOS's configENABLE_HEAP_PROTECTOR). Blocks
 *   below LISTHEAP_EXACT_LIMIT have one class per 8 bytes (exact sizes); above, each power of
 *   two is split into 2^LISTHEAP_SUBCLASS_BITS classes (the two-level mapping of TLSF, Masmano
 *   et al. 2004, flattened into one index). Bit c of the bitmap is set iff list c is non-empty;
 *   bit w of `summary` is set iff bitmap word w is non-zero.
 *
 * INVARIANTS (verified by listheap_check)
 *   I1  blocks tile each region exactly from `first` to the end marker; every size is a multiple
 *       of 8 and >= LISTHEAP_MIN_BLOCK; the end marker reads size 0, U set.
 *   I2  a free block's boundary tag equals its size.
 *   I3  a block's P flag is set iff the previous block in the region is free; the first block's P
 *       flag is clear.
 *   I4  no two free blocks are adjacent (free always coalesces).
 *   I5  every free block is on exactly the list of its size class, with consistent next/prev
 *       links, and every listed block is free and inside a region.
 *   I8  every link ever stored in a list head or a free block was validated first (node_region:
 *       a whole minimum block fits between it and its region's end marker), and every block
 *       written through was validated first (free_block_size for a free block, the pointer
 *       checks of listheap.c for a live one): no byte outside the regions is read or written
 *       whatever the application wrote inside them (docs/robustness.md states the limits).
 *   I6  bitmap and summary mirror which lists are non-empty.
 *   I7  used_bytes + free_bytes == total_bytes, and free_blocks and allocations - frees (the
 *       live blocks) match the walk.
 */
#ifndef LISTHEAP_BLOCK_H
#define LISTHEAP_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "listheap.h"
#include "lock.h"

#define WORD ((size_t)sizeof(size_t))
#define ALIGN ((size_t)LISTHEAP_ALIGNMENT)
#define MIN_BLOCK ((size_t)LISTHEAP_MIN_BLOCK)

/* Bytes a block needs besides the request: the header, and in the checked build at least
 * CANARY_MIN canary bytes and a trailer of two words (requested size, caller). */
#if LISTHEAP_DEBUG
#define CANARY_MIN ((size_t)4)
#define TRAILER ((size_t)(2 * sizeof(size_t)))
#else
#define CANARY_MIN ((size_t)0)
#define TRAILER ((size_t)0)
#endif
#define EXTRA_BYTES (WORD + CANARY_MIN + TRAILER)
#define POISON_BYTE 0xDEu /* free memory, checked build; even, so a stale header reads "free" */
#define CANARY_BYTE 0xC5u /* after a payload, checked build */
#define FRESH_BYTE 0xA1u  /* a new allocation, checked build */

#define FLAG_USED ((size_t)1)
#define FLAG_PREV_FREE ((size_t)2)
#define FLAG_SPARE ((size_t)4) /* never set: a header that has it is damaged */
#define FLAG_MASK ((size_t)7)

/* The few helpers on every call's path: inlined even at -Os, where GCC would otherwise call
 * each (docs/benchmarks.md shows the difference). */
#if defined(__GNUC__) || defined(__clang__)
#define HOT static inline __attribute__((always_inline))
#define COLD __attribute__((noinline, cold))
#define NOINLINE __attribute__((noinline))
#else
#define HOT static inline
#define COLD
#define NOINLINE
#endif

/* Size classes. */
#define SUBCLASS_COUNT (1u << LISTHEAP_SUBCLASS_BITS)
#define EXACT_CLASSES ((unsigned)((LISTHEAP_EXACT_LIMIT - LISTHEAP_MIN_BLOCK) / LISTHEAP_ALIGNMENT))
#define EXACT_LIMIT_LOG2 (log2_of_power(LISTHEAP_EXACT_LIMIT))
#define log2_of_power(x)                                                                        \
    ((x) == 64 ? 6u : (x) == 128 ? 7u : (x) == 256 ? 8u : (x) == 512 ? 9u : (x) == 1024 ? 10u : 0u)
#define CLASS_COUNT                                                                             \
    (EXACT_CLASSES + (LISTHEAP_CLASS_LOG2_MAX - EXACT_LIMIT_LOG2 + 1) * SUBCLASS_COUNT)
#define BITMAP_WORDS ((CLASS_COUNT + 31u) / 32u)

_Static_assert((LISTHEAP_ALIGNMENT & (LISTHEAP_ALIGNMENT - 1)) == 0, "alignment: power of two");
_Static_assert(LISTHEAP_ALIGNMENT % sizeof(size_t) == 0, "header word keeps payload alignment");
_Static_assert(LISTHEAP_MIN_BLOCK % LISTHEAP_ALIGNMENT == 0, "min block is a multiple of 8");
_Static_assert(LISTHEAP_MIN_BLOCK >= 2 * sizeof(size_t) + 2 * sizeof(void *),
               "a free block holds header, next, prev and boundary tag");
_Static_assert(EXACT_LIMIT_LOG2 > 0, "LISTHEAP_EXACT_LIMIT must be 64, 128, 256, 512 or 1024");
_Static_assert(LISTHEAP_EXACT_LIMIT > LISTHEAP_MIN_BLOCK, "exact classes exist");
_Static_assert(LISTHEAP_SUBCLASS_BITS >= 1 && LISTHEAP_SUBCLASS_BITS <= 4, "1..4 subclass bits");
_Static_assert((LISTHEAP_EXACT_LIMIT >> LISTHEAP_SUBCLASS_BITS) >= LISTHEAP_ALIGNMENT,
               "a subclass spans at least one alignment step");
_Static_assert(LISTHEAP_CLASS_LOG2_MAX > (int)EXACT_LIMIT_LOG2 &&
                   LISTHEAP_CLASS_LOG2_MAX < (int)(8 * sizeof(size_t)),
               "class range");
_Static_assert(BITMAP_WORDS <= 32, "the summary word indexes at most 32 bitmap words");
_Static_assert(LISTHEAP_MAX_REGIONS >= 1, "at least one region");

struct free_block {
    size_t header;
    uintptr_t next_link; /* encoded: next_of()/set_next() */
    uintptr_t prev_link; /* encoded: prev_of()/set_prev() */
};

struct region {
    unsigned char *first; /* first block */
    unsigned char *end;   /* end marker */
};

struct heap {
    uintptr_t lists[CLASS_COUNT]; /* encoded heads: list_head() */
    uint32_t bitmap[BITMAP_WORDS];
    uint32_t summary;
    unsigned region_count;
    struct region regions[LISTHEAP_MAX_REGIONS];
    unsigned char *lo, *hi; /* lowest first block, highest end marker: bounds free-list links */
    size_t total_bytes;
    size_t used_bytes;
    size_t peak_used_bytes;
    size_t free_blocks;
    size_t allocations;
    size_t frees;
    size_t failures;
    size_t faults;
    size_t changes;           /* heap changes that are not an allocation or a free */
    uintptr_t link_secret;    /* links are stored XOR-ed with it (LISTHEAP_PROTECT_LINKS) */
};

#if LISTHEAP_MAX_REGIONS == 8 && LISTHEAP_EXACT_LIMIT == 128 && LISTHEAP_SUBCLASS_BITS == 2 &&  \
    LISTHEAP_CLASS_LOG2_MAX == 20 && UINTPTR_MAX == 0xFFFFFFFFu
_Static_assert(CLASS_COUNT == 70 && sizeof(struct heap) == 412,
               "listheap.h and README state these figures: update them with the layout");
#endif

/* Blocks handed out and not yet given back. */
static inline size_t live_blocks(const struct heap *h) {
    return h->allocations - h->frees;
}

/* Moves on with every call that changes the heap (listheap_check_step starts over when it
 * does): a sum of counters the calls keep anyway, so no call pays for it separately. */
static inline unsigned long heap_generation(const struct heap *h) {
    return (unsigned long)(h->allocations + h->frees + h->changes);
}

/* The one heap; defined in listheap.c, read by check.c. */
extern struct heap listheap_heap_;

/* Accessors: every cast and every piece of header arithmetic lives here. */
static inline size_t *header_of(unsigned char *block) {
    return (size_t *)(void *)block;
}
static inline size_t block_size(unsigned char *block) {
    return *header_of(block) & ~FLAG_MASK;
}
static inline int block_is_used(unsigned char *block) {
    return (*header_of(block) & FLAG_USED) != 0;
}
static inline int block_prev_is_free(unsigned char *block) {
    return (*header_of(block) & FLAG_PREV_FREE) != 0;
}
static inline unsigned char *block_next(unsigned char *block) {
    return block + block_size(block);
}
/* The boundary tag of the block that ends where `block` begins. */
static inline size_t prev_tag(const unsigned char *block) {
    return *(const size_t *)(const void *)(block - WORD);
}
static inline unsigned char *block_from_payload(const void *payload) {
    return (unsigned char *)(uintptr_t)payload - WORD;
}
static inline void *payload_of(unsigned char *block) {
    return block + WORD;
}
static inline struct free_block *as_free(unsigned char *block) {
    return (struct free_block *)(void *)block;
}
static inline unsigned char *as_bytes(struct free_block *fb) {
    return (unsigned char *)fb;
}

/* Free-list links: every read of a link decodes, every write encodes (see FREE LISTS). */
static inline uintptr_t link_encode(const struct free_block *p) {
#if LISTHEAP_PROTECT_LINKS
    return (uintptr_t)p ^ listheap_heap_.link_secret;
#else
    return (uintptr_t)p;
#endif
}
static inline struct free_block *link_decode(uintptr_t v) {
#if LISTHEAP_PROTECT_LINKS
    v ^= listheap_heap_.link_secret;
#endif
    return (struct free_block *)v;
}
static inline struct free_block *next_of(const struct free_block *fb) {
    return link_decode(fb->next_link);
}
static inline struct free_block *prev_of(const struct free_block *fb) {
    return link_decode(fb->prev_link);
}
static inline void set_next(struct free_block *fb, const struct free_block *p) {
    fb->next_link = link_encode(p);
}
static inline void set_prev(struct free_block *fb, const struct free_block *p) {
    fb->prev_link = link_encode(p);
}
static inline struct free_block *list_head(unsigned c) {
    return link_decode(listheap_heap_.lists[c]);
}

/* Checked build: the trailer of an allocated block (requested size, caller address). */
static inline size_t *trailer_of(unsigned char *block) {
    return (size_t *)(void *)(block + block_size(block) - TRAILER);
}
/* Bytes the owner of an allocated block may use: all of it in the release build, exactly what
 * was requested in the checked build (the rest is canary and trailer). */
static inline size_t payload_bytes(unsigned char *block) {
#if LISTHEAP_DEBUG
    return trailer_of(block)[0];
#else
    return block_size(block) - WORD;
#endif
}
/* Checked build: the poisoned interior of a free block, after its links, before its tag. */
static inline unsigned char *poison_start(unsigned char *block) {
    return block + sizeof(struct free_block);
}
static inline unsigned char *poison_end(unsigned char *block) {
    return block + block_size(block) - WORD;
}
/* First byte in [from, to) that differs from `value`, or NULL. */
static inline const unsigned char *first_mismatch(const unsigned char *from,
                                                  const unsigned char *to, unsigned value) {
    for (; from < to; from++)
        if (*from != value)
            return from;
    return NULL;
}

/* Index of the highest set bit; x != 0. One clz instruction on Cortex-M3 and up (size_t is
 * unsigned int there, unsigned long on 64-bit hosts: clzl fits both without a libgcc call). */
HOT unsigned highest_bit(size_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)(8 * sizeof(unsigned long)) - 1u - (unsigned)__builtin_clzl((unsigned long)x);
#else
    unsigned n = 0;
    while (x >>= 1)
        n++;
    return n;
#endif
}
_Static_assert(sizeof(size_t) <= sizeof(unsigned long), "highest_bit uses clzl");

/* The size class of a block of `bytes` (a multiple of 8, >= MIN_BLOCK): exact 8-byte classes
 * below LISTHEAP_EXACT_LIMIT, then 2^LISTHEAP_SUBCLASS_BITS classes per power of two. */
HOT unsigned class_of(size_t bytes) {
    if (bytes < LISTHEAP_EXACT_LIMIT)
        return (unsigned)((bytes - MIN_BLOCK) / ALIGN);
    unsigned log2 = highest_bit(bytes);
    if (log2 > LISTHEAP_CLASS_LOG2_MAX)
        return CLASS_COUNT - 1u;
    unsigned sub = (unsigned)(bytes >> (log2 - LISTHEAP_SUBCLASS_BITS)) & (SUBCLASS_COUNT - 1u);
    return EXACT_CLASSES + (log2 - EXACT_LIMIT_LOG2) * SUBCLASS_COUNT + sub;
}

/* x rotated right by 3 bits: an offset that is not a multiple of 8 becomes larger than any
 * region (regions are smaller than 2^(bits-3) bytes), so one compare tests alignment and
 * range together. */
HOT uintptr_t rotate_right_3(uintptr_t x) {
    return (x >> 3) | (x << (8u * sizeof(uintptr_t) - 3u));
}

/* `block` is a block position in r: its payload 8-aligned (first's is, and blocks are
 * multiples of 8), its header before the end marker, and at least `room` bytes before that
 * marker. Free, realloc and usable_size try it first for the pointer they are given (room 1),
 * and every link is tested with it (room MIN_BLOCK) before it is followed. */
HOT int region_has_block(const struct region *r, const void *block, size_t room) {
    uintptr_t offset = (uintptr_t)block - (uintptr_t)r->first;
    uintptr_t span = (uintptr_t)r->end - (uintptr_t)r->first; /* a multiple of 8 */
    return rotate_right_3(offset) < (span >> 3) && span - offset >= room;
}

/* node_region() past the first region. */
const struct region *listheap_other_node_region_(const void *p);

/* ---------------------------------------------------------------- the validators
 * Every block listheap writes through, and every link it follows, passes one of these first
 * (invariant I8). They read only inside the region they name. */

/* The region in which a whole free block could start at `p`: its payload 8-aligned and at
 * least MIN_BLOCK bytes before the region's end marker. NULL for anything else (outside every
 * region, in a gap between regions, too close to an end marker, misaligned). */
HOT const struct region *node_region(const void *p) {
    const struct region *r = &listheap_heap_.regions[0];
    if (region_has_block(r, p, MIN_BLOCK))
        return r;
    return listheap_heap_.region_count > 1 ? listheap_other_node_region_(p) : NULL;
}

/* The size of the free block at `block` (a node_region() position in r) if it is well formed,
 * else 0: header says free with no flag set (a free block's predecessor is used, I4), size at
 * least MIN_BLOCK and ending inside r, boundary tag equal to the header (I2), successor's
 * "previous is free" flag set (I3). Reads [block, block + size] only. */
HOT size_t free_block_size(const struct region *r, unsigned char *block) {
    size_t s = *header_of(block);
    if ((s & FLAG_MASK) || s < MIN_BLOCK || s > (size_t)(r->end - block))
        return 0;
    if (prev_tag(block + s) != s || !block_prev_is_free(block + s))
        return 0;
    return s;
}

/* The size of the well-formed free block at `p`, a position read from a list (free_block_size
 * in the region node_region finds), or 0. The one check malloc and listheap_check share. */
HOT size_t listed_block_size(const void *p) {
    const struct region *r = node_region(p);
    return r ? free_block_size(r, (unsigned char *)(uintptr_t)p) : 0;
}

/* The block after `block` in a walk of region r, or NULL when its size is not sane (smaller
 * than MIN_BLOCK or past the end marker): every walk stops there instead of leaving r. */
HOT unsigned char *walk_next(const struct region *r, unsigned char *block) {
    size_t s = block_size(block);
    if (s < MIN_BLOCK || s > (size_t)(r->end - block))
        return NULL;
    return block + s;
}

#endif /* LISTHEAP_BLOCK_H */
