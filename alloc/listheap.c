/*
 * listheap core: regions, size-class free lists, split, coalesce, malloc/free/realloc/memalign.
 *
 * The block layout, region layout and invariants are drawn in block.h; docs/design.md has the
 * split and coalesce cases as pictures and the derivation of the bounds in listheap.h.
 *
 * Shape of every public call:  LOCK -> *_locked() (no errno, no hooks) -> UNLOCK -> report:
 * hooks run and errno is set only after the lock is released, and copying or zeroing user data
 * (realloc's move, calloc) happens outside the lock too.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "block.h"

#if defined(__GNUC__) || defined(__clang__)
#define WEAK __attribute__((weak))
#else
#define WEAK
#endif

struct heap listheap_heap_;
#define heap listheap_heap_

/* What a failed locked operation tells its public wrapper to report once the lock is
 * released. Written only on the way out of a failure (and, in the checked build, when a
 * fault is noted on a call that still succeeds), so the common path never touches it. */
struct outcome {
    enum listheap_fault fault; /* 0: none */
    const void *fault_ptr;
    int error;                 /* errno value to set, 0: none */
    size_t oom_request;        /* valid when error == ENOMEM */
};

/* Checked build only: a fault may be noted on a call that succeeds (a use after free found
 * when a block is handed out again), so the wrapper must look even then. */
static inline void outcome_start(struct outcome *o) {
#if LISTHEAP_DEBUG
    o->fault = (enum listheap_fault)0;
    o->error = 0;
#else
    (void)o;
#endif
}
#define OUTCOME_PENDING(o) (LISTHEAP_DEBUG && ((o).fault || (o).error))

/* A failure: the call changes nothing and reports `fault` (0: none) and `error` (0: none). */
static void note_outcome(struct outcome *o, enum listheap_fault fault, const void *where,
                         int error, size_t request) {
    o->fault = fault;
    o->fault_ptr = where;
    o->error = error;
    o->oom_request = request;
    if (fault)
        heap.faults++;
    if (error == ENOMEM)
        heap.failures++;
}

/* ---------------------------------------------------------------- size arithmetic */

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) & ~(a - 1);
}

/* Block bytes for an n-byte request, or 0 if n + header (+ checks) overflows. */
static size_t block_bytes_for(size_t n) {
    if (n > SIZE_MAX - EXTRA_BYTES - (ALIGN - 1))
        return 0;
    size_t need = align_up(n + EXTRA_BYTES, ALIGN);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

static int size_mul_overflows(size_t a, size_t b, size_t *product) {
    if (a != 0 && b > SIZE_MAX / a)
        return 1;
    *product = a * b;
    return 0;
}

/* ---------------------------------------------------------------- bit tricks */

HOT unsigned lowest_bit(uint32_t x) { /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned n = 0;
    while (!(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/* ---------------------------------------------------------------- size classes */

HOT void bitmap_set(unsigned c) {
    heap.bitmap[c / 32u] |= (uint32_t)1 << (c % 32u);
    heap.summary |= (uint32_t)1 << (c / 32u);
}

HOT void bitmap_clear(unsigned c) {
    unsigned w = c / 32u;
    heap.bitmap[w] &= ~((uint32_t)1 << (c % 32u));
    if (heap.bitmap[w] == 0)
        heap.summary &= ~((uint32_t)1 << w);
}

/* Lowest non-empty class >= c, or CLASS_COUNT: two bit scans, no loop. */
HOT unsigned first_class_from(unsigned c) {
    if (c >= CLASS_COUNT)
        return CLASS_COUNT;
    unsigned w = c / 32u;
    uint32_t here = heap.bitmap[w] & (~(uint32_t)0 << (c % 32u));
    if (here)
        return w * 32u + lowest_bit(here);
    uint32_t later = (w + 1u < 32u) ? heap.summary & (~(uint32_t)0 << (w + 1u)) : 0;
    if (!later)
        return CLASS_COUNT;
    w = lowest_bit(later);
    return w * 32u + lowest_bit(heap.bitmap[w]);
}

/* ---------------------------------------------------------------- regions (block.h) */

COLD const struct region *listheap_other_node_region_(const void *p) {
    for (unsigned i = 1; i < heap.region_count; i++)
        if (region_has_block(&heap.regions[i], p, MIN_BLOCK))
            return &heap.regions[i];
    return NULL;
}

/* ---------------------------------------------------------------- free lists */

/* `next` may follow fb (whose link as stored is `fb_link`) on a list: a valid node position
 * other than fb whose prev link is fb's. Checked before a link is followed or written
 * through, so a damaged link is reported instead of becoming a write outside the heap. */
HOT int links_back_to(const struct free_block *next, const struct free_block *fb,
                      uintptr_t fb_link) {
    return next != fb && node_region(next) && next->prev_link == fb_link;
}

/* Where the link to the free block fb (of `size` bytes) is stored: its predecessor's next, or
 * its class's list head; NULL when a link is damaged. Unlinking through that place needs no
 * class arithmetic. */
static uintptr_t *link_to(struct free_block *fb, size_t size) {
    uintptr_t self = link_encode(fb);
    struct free_block *next = next_of(fb), *prev = prev_of(fb);
    if (next && !links_back_to(next, fb, self))
        return NULL;
    if (prev)
        return prev != fb && node_region(prev) && prev->next_link == self ? &prev->next_link
                                                                          : NULL;
    uintptr_t *head = &heap.lists[class_of(size)];
    return *head == self ? head : NULL;
}

/* The list-head slot `link` is, as a class index, or CLASS_COUNT for a block's `next`. */
static inline unsigned class_of_head(const uintptr_t *link) {
    uintptr_t offset = (uintptr_t)link - (uintptr_t)heap.lists;
    return offset < sizeof heap.lists ? (unsigned)(offset / sizeof heap.lists[0]) : CLASS_COUNT;
}

/* unlink_from()'s class argument when the caller does not know it: found from the slot, and
 * only when fb was the last of its list. */
#define CLASS_FROM_SLOT (CLASS_COUNT + 1u)

/* Unlink fb, whose link is stored at `link` (from link_to, or list c's head): the encoded
 * words are copied as they are, both ends having been validated. c is the class whose bit to
 * clear when fb was the last of its list, or CLASS_FROM_SLOT. */
HOT void unlink_from(struct free_block *fb, uintptr_t *link, unsigned c) {
    uintptr_t next_link = fb->next_link;
    struct free_block *next = link_decode(next_link);
    *link = next_link;
    if (next) {
        next->prev_link = fb->prev_link;
    } else {
        if (c == CLASS_FROM_SLOT)
            c = class_of_head(link); /* CLASS_COUNT: `link` is a block's `next` */
        if (c < CLASS_COUNT)
            bitmap_clear(c);
    }
    heap.free_blocks--;
}

/* unlink_from() out of line, the class found from the slot: free's and realloc's neighbours. */
static NOINLINE void unlink_at(struct free_block *fb, uintptr_t *link) {
    unlink_from(fb, link, CLASS_FROM_SLOT);
}

/* Push the free block at `block`, of `size` bytes, on its class's list. */
static NOINLINE void list_insert(unsigned char *block, size_t size) {
    struct free_block *fb = as_free(block);
    unsigned c = class_of(size);
    uintptr_t head_link = heap.lists[c];
    struct free_block *head = link_decode(head_link);
    uintptr_t self = link_encode(fb);
    set_prev(fb, NULL);
    fb->next_link = head_link;
    if (head)
        head->prev_link = self;
    else
        bitmap_set(c);
    heap.lists[c] = self;
    heap.free_blocks++;
}

/* Every list empty, under a fresh secret: before the first region is added. */
static void seed_links(void) {
#if LISTHEAP_PROTECT_LINKS
    heap.link_secret = listheap_secret_hook();
#endif
    for (unsigned c = 0; c < CLASS_COUNT; c++)
        heap.lists[c] = link_encode(NULL);
}

/* ---------------------------------------------------------------- block writes
 * Every call that changes the heap moves heap_generation() on (listheap_check_step restarts
 * on it): allocations and frees through their counters, in-place resizes and new regions
 * through `changes`. */

static void set_prev_free_flag(unsigned char *block, int prev_free) {
    if (prev_free)
        *header_of(block) |= FLAG_PREV_FREE;
    else
        *header_of(block) &= ~FLAG_PREV_FREE;
}

/* Make [block, block+size) a listed free block (header and tag) whose successor already
 * knows its predecessor is free. Its own predecessor is allocated (I4): P flag clear. */
HOT void free_span(unsigned char *block, size_t size) {
    *header_of(block) = size;
    *(size_t *)(void *)(block + size - WORD) = size;
    list_insert(block, size);
}

/* free_span(), and tell the successor. */
static void make_free(unsigned char *block, size_t size) {
    free_span(block, size);
    set_prev_free_flag(block + size, 1);
}

/* `bytes` more are allocated: used_bytes and its high-water mark. */
HOT void note_used(size_t bytes) {
    heap.used_bytes += bytes;
    if (heap.used_bytes > heap.peak_used_bytes)
        heap.peak_used_bytes = heap.used_bytes;
}

/* Allocate `need` bytes at the start of the unlisted free span [block, block+have), whose
 * successor's P flag is set; the rest becomes a free block when it can hold one, else stays
 * in the allocation. */
HOT void carve(unsigned char *block, size_t have, size_t need, size_t prev_free_flag) {
    size_t rest = have - need;
    if (rest >= MIN_BLOCK)
        free_span(block + need, rest);
    else {
        need = have;
        set_prev_free_flag(block + have, 0);
    }
    *header_of(block) = need | FLAG_USED | prev_free_flag;
    note_used(need);
}

/* ---------------------------------------------------------------- checked build */
/* Every helper here compiles to nothing when LISTHEAP_DEBUG is 0. */

/* Poison [from, to): bytes that become the interior of a free block. */
static void poison(unsigned char *from, const unsigned char *to) {
#if LISTHEAP_DEBUG
    if (from < to)
        memset(from, POISON_BYTE, (size_t)(to - from));
#else
    (void)from;
    (void)to;
#endif
}

/* Before [lo, hi) of the free block `block` (unlisted, not yet carved) is handed out: its
 * poisoned bytes must be intact, else someone wrote to freed memory. Reported, not fatal. */
static void verify_poison(unsigned char *block, unsigned char *lo, unsigned char *hi,
                          struct outcome *o) {
#if LISTHEAP_DEBUG
    if (lo < poison_start(block))
        lo = poison_start(block);
    if (hi > poison_end(block))
        hi = poison_end(block);
    const unsigned char *bad = lo < hi ? first_mismatch(lo, hi, POISON_BYTE) : NULL;
    if (bad) { /* reported, the allocation still succeeds */
        o->fault = LISTHEAP_FAULT_USE_AFTER_FREE;
        o->fault_ptr = bad;
        heap.faults++;
    }
#else
    (void)block;
    (void)lo;
    (void)hi;
    (void)o;
#endif
}

/* An allocated block now holds n requested bytes: fill [from_byte, n) with the fresh pattern,
 * the rest up to the trailer with canary bytes, and record n and the caller. */
static void mark_payload(unsigned char *block, size_t from_byte, size_t n, const void *caller) {
#if LISTHEAP_DEBUG
    unsigned char *payload = payload_of(block);
    size_t *trailer = trailer_of(block);
    if (from_byte < n)
        memset(payload + from_byte, FRESH_BYTE, n - from_byte);
    memset(payload + n, CANARY_BYTE, (size_t)((unsigned char *)trailer - (payload + n)));
    trailer[0] = n;
    trailer[1] = (size_t)(uintptr_t)caller;
#else
    (void)block;
    (void)from_byte;
    (void)n;
    (void)caller;
#endif
}

/* The canary of an allocated block is intact. */
static int canary_intact(unsigned char *block) {
#if LISTHEAP_DEBUG
    unsigned char *payload = payload_of(block);
    size_t n = trailer_of(block)[0];
    if (n > block_size(block) - EXTRA_BYTES)
        return 0;
    return first_mismatch(payload + n, (unsigned char *)trailer_of(block), CANARY_BYTE) == NULL;
#else
    (void)block;
    return 1;
#endif
}

/* ---------------------------------------------------------------- regions */

extern unsigned char __heap_start[] WEAK;
extern unsigned char __heap_end[] WEAK;

/* Trim [start, start+size) to a block span; 0 or a listheap_status. */
static int region_layout(void *start, size_t size, struct region *out) {
    if (!start)
        return LISTHEAP_E_NULL;
    uintptr_t lo = (uintptr_t)start;
    if (size > UINTPTR_MAX - lo)
        return LISTHEAP_E_WRAP;
    uintptr_t limit = lo + size;
    uintptr_t first = ((lo + WORD + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1)) - WORD;
    uintptr_t end = (limit & ~(uintptr_t)(ALIGN - 1)) - WORD;
    if (first > limit || end < first || end - first < MIN_BLOCK || end + WORD > limit)
        return LISTHEAP_E_TOO_SMALL;
    out->first = (unsigned char *)first;
    out->end = (unsigned char *)end;
    return LISTHEAP_OK;
}

static int regions_overlap(const struct region *a, const struct region *b) {
    return a->first < b->end + WORD && b->first < a->end + WORD;
}

static int region_add_locked(void *start, size_t size) {
    struct region r;
    int status = region_layout(start, size, &r);
    if (status != LISTHEAP_OK)
        return status;
    for (unsigned i = 0; i < heap.region_count; i++)
        if (regions_overlap(&r, &heap.regions[i]))
            return LISTHEAP_E_OVERLAP;
    if (heap.region_count == LISTHEAP_MAX_REGIONS)
        return LISTHEAP_E_FULL;
    if (heap.region_count == 0)
        seed_links();
    size_t span = (size_t)(r.end - r.first);
    *header_of(r.end) = FLAG_USED; /* end marker: size 0, permanently used */
    poison(r.first, r.end);
    make_free(r.first, span);
    heap.changes++;
    heap.regions[heap.region_count++] = r;
    heap.total_bytes += span;
    if (heap.region_count == 1 || r.first < heap.lo)
        heap.lo = r.first;
    if (heap.region_count == 1 || r.end > heap.hi)
        heap.hi = r.end;
    return LISTHEAP_OK;
}

static int init_locked(void *start, size_t size) {
    struct region r;
    int status = region_layout(start, size, &r);
    if (status != LISTHEAP_OK)
        return status;
    if (live_blocks(&heap) != 0)
        return LISTHEAP_E_BUSY;
    /* A fresh heap, but `generation` only moves on: a listheap_check_step() cursor left over
     * from the old heap must see a change and start over, never resume into old memory. */
    unsigned long generation = heap_generation(&heap);
    memset(&heap, 0, sizeof heap);
    heap.changes = (size_t)generation + 1u;
    return region_add_locked(start, size);
}

/* First allocation with no region: take the linker script's heap, if it has one. 1 if a
 * region was added. */
static COLD int lazy_init_locked(void) {
    uintptr_t start = (uintptr_t)__heap_start, end = (uintptr_t)__heap_end;
    return start && end > start &&
           region_add_locked(__heap_start, (size_t)(end - start)) == LISTHEAP_OK;
}

/* listheap_add_region() on a heap that has no region yet (nothing allocated, no
 * listheap_init): the linker's heap is added first, as the first allocation would have taken
 * it, so that a bank added at start-up joins the linker heap instead of replacing it. Not when
 * the new region overlaps the linker heap, wholly or partly (the caller hands that memory over
 * itself), nor when the linker heap is too small for a block. A refused call changes nothing:
 * a region that is refused on its own, or one that finds no slot beside the linker heap
 * (LISTHEAP_MAX_REGIONS 1: LISTHEAP_E_FULL). listheap_init() gives a heap without the
 * linker's. */
static COLD int first_region_add_locked(void *start, size_t size) {
    struct region r, linker;
    int status = region_layout(start, size, &r);
    if (status != LISTHEAP_OK)
        return status;
    uintptr_t lo = (uintptr_t)__heap_start, hi = (uintptr_t)__heap_end;
    int keep_linker = lo && hi > lo && region_layout(__heap_start, (size_t)(hi - lo), &linker) ==
                                           LISTHEAP_OK &&
                      !regions_overlap(&r, &linker);
    if (keep_linker) {
        if (LISTHEAP_MAX_REGIONS < 2)
            return LISTHEAP_E_FULL;
        (void)lazy_init_locked();
    }
    return region_add_locked(start, size);
}

/* ---------------------------------------------------------------- pointer validation */

/* The predecessor named by a set P flag must be a well-formed free block whose tag is the word
 * before `block` (never read before the region's first block) and whose links are intact;
 * returns where its link is stored, or NULL. */
static uintptr_t *predecessor_link(const struct region *r, unsigned char *block) {
    if (block == r->first)
        return NULL;
    size_t tag = prev_tag(block);
    if (tag < MIN_BLOCK || tag % ALIGN || tag > (size_t)(block - r->first))
        return NULL;
    unsigned char *prev = block - tag;
    /* free_block_size(r, prev) == tag, knowing what the caller has checked: the block's tag
     * is the word just read, and its successor is `block`, whose P flag is set */
    if (*header_of(prev) != tag)
        return NULL;
    return link_to(as_free(prev), tag);
}

/* A live block given back by the application, validated: where it is and where its free
 * neighbours are linked (NULL: that neighbour is allocated). */
struct live {
    unsigned char *block;
    size_t size;
    uintptr_t *prev, *next;
};

/* Past the fast test of live_block_of: a payload pointer in a region other than the first,
 * or the fault that describes it (FOREIGN, MISALIGNED). */
static COLD const struct region *region_of_payload(const void *ptr, enum listheap_fault *fault) {
    for (unsigned i = 0; i < heap.region_count; i++) {
        const struct region *r = &heap.regions[i];
        uintptr_t offset = (uintptr_t)block_from_payload(ptr) - (uintptr_t)r->first;
        if (offset >= (uintptr_t)(r->end - r->first))
            continue; /* not before this region's end marker */
        if ((uintptr_t)ptr % ALIGN == 0)
            return r;
        *fault = LISTHEAP_FAULT_MISALIGNED;
        return NULL;
    }
    *fault = LISTHEAP_FAULT_FOREIGN;
    return NULL;
}

/* Is ptr a live block, consistent with its neighbours? 0 and *lv filled, or the fault. Every
 * word read lies inside the block's region; nothing is written. Bounded: one region test
 * (all regions when it is not in the first), the two neighbours and their links. */
static enum listheap_fault live_block_of(const void *ptr, struct live *lv) {
    unsigned char *block = block_from_payload(ptr);
    const struct region *r = &heap.regions[0];
    enum listheap_fault fault = (enum listheap_fault)0;
    if (!region_has_block(r, block, 1) && !(r = region_of_payload(ptr, &fault)))
        return fault;
    size_t h = *header_of(block);
    if (!(h & FLAG_USED))
        return LISTHEAP_FAULT_NOT_LIVE;
    size_t size = h & ~FLAG_MASK;
    if ((h & FLAG_SPARE) || size < MIN_BLOCK || size > (size_t)(r->end - block))
        return LISTHEAP_FAULT_BAD_HEADER;
    unsigned char *next = block + size;
    size_t next_h = *header_of(next), next_size = 0;
    if (next_h & FLAG_PREV_FREE) /* a live block's successor never says "previous is free" */
        return LISTHEAP_FAULT_BAD_HEADER;
    if (next == r->end) {
        if (next_h != FLAG_USED)
            return LISTHEAP_FAULT_BAD_HEADER;
    } else if (next_h & FLAG_USED) {
        if (!walk_next(r, next))
            return LISTHEAP_FAULT_BAD_HEADER;
    } else if (!(next_size = free_block_size(r, next))) {
        return LISTHEAP_FAULT_BAD_HEADER;
    }
    lv->prev = lv->next = NULL;
    if ((h & FLAG_PREV_FREE) && !(lv->prev = predecessor_link(r, block)))
        return LISTHEAP_FAULT_BAD_HEADER;
    if (next_size && !(lv->next = link_to(as_free(next), next_size)))
        return LISTHEAP_FAULT_BAD_LINK;
    if (!canary_intact(block))
        return LISTHEAP_FAULT_OVERFLOW;
    lv->block = block;
    lv->size = size;
    return fault;
}

/* ---------------------------------------------------------------- allocation */

/* A block of s bytes belongs to class c: one compare for the exact classes. */
HOT int in_class(size_t s, unsigned c) {
    if (c < EXACT_CLASSES)
        return s == MIN_BLOCK + c * ALIGN;
    return class_of(s) == c;
}

/* Unlink and return the head of list c, which must hold `need` bytes from `gap` bytes into it.
 * The block is validated first as carefully as a pointer given to free: a well-formed free
 * block (free_block_size) of class c with room for gap + need, heading its list, its next
 * link intact. Anything else returns NULL with *fault set (BAD_HEADER, or BAD_LINK for the
 * links), nothing written. */
HOT unsigned char *take_head(unsigned c, size_t need, size_t gap, enum listheap_fault *fault) {
    uintptr_t *slot = &heap.lists[c];
    uintptr_t self = *slot;
    struct free_block *fb = link_decode(self);
    size_t s = listed_block_size(fb);
    if (!s || !in_class(s, c) || s < need || s - need < gap) {
        *fault = LISTHEAP_FAULT_BAD_HEADER;
        return NULL;
    }
    struct free_block *next = next_of(fb);
    if (fb->prev_link != link_encode(NULL) || (next && !links_back_to(next, fb, self))) {
        *fault = LISTHEAP_FAULT_BAD_LINK;
        return NULL;
    }
    unlink_from(fb, &heap.lists[c], c);
    return as_bytes(fb);
}

/* The class whose head is a free block of at least `need` bytes, or CLASS_COUNT: need's own
 * class if its head is big enough, else the next non-empty class (all of it is big enough).
 * Reads the head's header only, a position I8 keeps inside a region: take_head() validates
 * the block before anything is written. */
HOT unsigned find_class(size_t need) {
    unsigned c = class_of(need);
    struct free_block *head = list_head(c);
    if (head && block_size(as_bytes(head)) >= need)
        return c;
    return first_class_from(c + 1u);
}

/* Block bytes for an n-byte request (0 when it overflows) and the class to take them from. */
static void *malloc_failed(size_t n, enum listheap_fault fault, void *where, struct outcome *o);

static unsigned char *malloc_locked(size_t n, struct outcome *o, const void *caller) {
    size_t need = block_bytes_for(n);
    unsigned c = need ? find_class(need) : CLASS_COUNT;
    enum listheap_fault fault = (enum listheap_fault)0;
    unsigned char *block = c < CLASS_COUNT ? take_head(c, need, 0, &fault) : NULL;
    if (!block) {
        if (c == CLASS_COUNT && need && heap.region_count == 0 && lazy_init_locked())
            return malloc_locked(n, o, caller);
        return malloc_failed(n, fault, c < CLASS_COUNT ? payload_of(as_bytes(list_head(c))) : NULL, o);
    }
    verify_poison(block, block, block + need, o);
    carve(block, block_size(block), need, 0);
    mark_payload(block, 0, n, caller);
    heap.allocations++;
    return block;
}

static COLD void *malloc_failed(size_t n, enum listheap_fault fault, void *where,
                                struct outcome *o) {
    note_outcome(o, fault, where, ENOMEM, n);
    return NULL;
}

static void free_block_locked(const struct live *lv) {
    unsigned char *block = lv->block;
    size_t size = lv->size;
    uintptr_t *prev_link = lv->prev;
    heap.used_bytes -= size;
    heap.frees++;
    unsigned char *next = block + size;
    poison(payload_of(block), next);
    if (lv->next) {
        unlink_at(as_free(next), lv->next);
        /* Both neighbours on one list, the previous one right after the next one: the link
         * to it was the next one's `next`, which is now the place that linked the next one. */
        if (prev_link == &as_free(next)->next_link)
            prev_link = lv->next;
        size += block_size(next);
        poison(next, poison_start(next)); /* its header and links go inside */
    }
    if (prev_link) {
        size_t before = prev_tag(block);
        poison(block - WORD, payload_of(block)); /* previous tag and this header go inside */
        block -= before;
        unlink_at(as_free(block), prev_link);
        size += before;
    }
    if (lv->next)
        free_span(block, size); /* the successor's P flag is already set */
    else
        make_free(block, size);
}

/* Payload offset from `block` at which an `align`-aligned payload can start with a leading
 * fragment of 0 or >= MIN_BLOCK bytes. */
static size_t aligned_gap(unsigned char *block, size_t align) {
    uintptr_t payload = (uintptr_t)payload_of(block);
    if (payload % align == 0)
        return 0;
    uintptr_t want = (payload + MIN_BLOCK + align - 1) & ~(uintptr_t)(align - 1);
    return (size_t)(want - payload);
}

static unsigned char *memalign_locked(size_t align, size_t n, struct outcome *o,
                                      const void *caller) {
    if (align == 0 || (align & (align - 1))) {
        note_outcome(o, (enum listheap_fault)0, NULL, EINVAL, n);
        return NULL;
    }
    if (heap.region_count == 0)
        (void)lazy_init_locked();
    if (align > (size_t)(heap.hi - heap.lo))
        return malloc_failed(n, (enum listheap_fault)0, NULL, o);
    size_t need = block_bytes_for(n);
    size_t slack = MIN_BLOCK + align - ALIGN;
    unsigned c = need ? find_class(need) : CLASS_COUNT;
    if (c < CLASS_COUNT) { /* does the block malloc would take happen to fit with its gap? */
        unsigned char *head = as_bytes(list_head(c));
        size_t size = block_size(head);
        if (size < need || size - need < aligned_gap(head, align))
            c = need <= SIZE_MAX - slack ? find_class(need + slack) : CLASS_COUNT;
    }
    unsigned char *head = c < CLASS_COUNT ? as_bytes(list_head(c)) : NULL;
    enum listheap_fault fault = (enum listheap_fault)0;
    unsigned char *block = head ? take_head(c, need, aligned_gap(head, align), &fault) : NULL;
    if (!block)
        return malloc_failed(n, fault, head ? payload_of(head) : NULL, o);
    size_t have = block_size(block), gap = aligned_gap(block, align);
    verify_poison(block, block + gap, block + gap + need, o);
    size_t prev_free = 0;
    if (gap) {
        make_free(block, gap);
        block += gap;
        have -= gap;
        prev_free = FLAG_PREV_FREE;
    }
    carve(block, have, need, prev_free);
    mark_payload(block, 0, n, caller);
    heap.allocations++;
    return block;
}

/* ---------------------------------------------------------------- realloc */

/* Give back the tail of an allocated block beyond `keep` bytes, merged with a free successor. */
static void shrink_in_place(unsigned char *block, size_t keep, uintptr_t *next_link) {
    size_t size = block_size(block);
    unsigned char *next = block + size;
    size_t spare = size - keep;
    if (spare == 0)
        return;
    if (!block_is_used(next)) {
        unlink_at(as_free(next), next_link);
        spare += block_size(next);
    }
    if (spare < MIN_BLOCK)
        return; /* only when the successor is used: nothing to give */
    poison(block + keep, next);
    if (!block_is_used(next))
        poison(next, poison_start(next));
    *header_of(block) = keep | (*header_of(block) & FLAG_MASK);
    heap.used_bytes -= size - keep;
    heap.changes++;
    make_free(block + keep, spare);
}

/* Grow a validated live block in place to `need` bytes: into its free successor when that is
 * enough, else into its free predecessor too. Returns the block that now holds the
 * allocation, or NULL (nothing changed) when the neighbours are not enough. A block grown
 * into its predecessor starts lower and its payload must move down (the caller does it,
 * outside the lock); it takes the top of the merged span, so that the free rest, at the
 * bottom, lies below the old block and no header or tag is written over the bytes still to
 * be moved. */
static unsigned char *grow_in_place(const struct live *lv, size_t need) {
    unsigned char *block = lv->block, *end = block + lv->size;
    size_t after = lv->next ? block_size(end) : 0;
    size_t before = lv->prev ? prev_tag(block) : 0;
    if (lv->size + after >= need)
        before = 0; /* the successor is enough: the payload stays where it is */
    else if (lv->size + after + before < need)
        return NULL;
    uintptr_t *prev_link = lv->prev;
    if (after) {
        unlink_at(as_free(end), lv->next);
        if (prev_link == &as_free(end)->next_link) /* as in free_block_locked */
            prev_link = lv->next;
        end += after;
    }
    heap.used_bytes -= lv->size;
    heap.changes++;
    if (!before) {
        if (!after)
            set_prev_free_flag(end, 1); /* carve() expects it: it keeps or clears it */
        carve(block, (size_t)(end - block), need, *header_of(block) & FLAG_PREV_FREE);
        return block;
    }
    unsigned char *start = block - before;
    unlink_at(as_free(start), prev_link);
    size_t rest = (size_t)(end - start) - need;
    if (rest < MIN_BLOCK)
        rest = 0;
    if (rest)
        free_span(start, rest); /* its predecessor is allocated (I4): P clear */
    block = start + rest;
    set_prev_free_flag(end, 0);
    *header_of(block) = (size_t)(end - block) | FLAG_USED | (rest ? FLAG_PREV_FREE : 0);
    note_used((size_t)(end - block));
    return block;
}

/* In-place realloc of a validated live block to n bytes (need block bytes) whose payload
 * holds old_n bytes: the block now holding it, or NULL when it must move elsewhere. A block
 * that grew into its predecessor starts lower: the payload is moved down by the caller,
 * outside the lock (in the checked build here, before the canary is written over it). */
static unsigned char *resize_in_place(const struct live *lv, size_t n, size_t need,
                                      size_t old_n, const void *caller) {
    unsigned char *block = lv->block;
    if (need <= lv->size)
        shrink_in_place(block, need, lv->next);
    else if (!(block = grow_in_place(lv, need)))
        return NULL;
#if LISTHEAP_DEBUG
    if (block != lv->block)
        memmove(payload_of(block), payload_of(lv->block), old_n);
#endif
    mark_payload(block, old_n, n, caller);
    return block;
}

/* ---------------------------------------------------------------- public API */

/* Hooks and errno, after the lock is released. `err` is where errno lives for this caller
 * (&r->_errno for newlib's _r entry points, alloc/newlib/), or NULL for errno itself: taking
 * errno's address costs a call in newlib, so it is done only here, on the way out of a
 * failure. */
static COLD void report(const struct outcome *o, int *err) {
    if (o->fault)
        listheap_fault_hook(o->fault, o->fault_ptr);
    if (o->error) {
        *(err ? err : &errno) = o->error;
        if (o->error == ENOMEM)
            listheap_oom_hook(o->oom_request);
    }
}

WEAK void listheap_oom_hook(size_t request) {
    (void)request;
}

/* A fixed default: it catches links damaged by accident, not by someone who read this file.
 * Firmware with a TRNG replaces the hook (docs/robustness.md). */
WEAK uintptr_t listheap_secret_hook(void) {
    return (uintptr_t)0x9E3779B97F4A7C15ull;
}

WEAK void listheap_fault_hook(enum listheap_fault kind, const void *ptr) {
    (void)kind;
    (void)ptr;
}

int listheap_init(void *start, size_t size) {
    lock_key key = lock_acquire();
    int status = init_locked(start, size);
    lock_release(key);
    return status;
}

int listheap_add_region(void *start, size_t size) {
    lock_key key = lock_acquire();
    int status = heap.region_count == 0 ? first_region_add_locked(start, size)
                                        : region_add_locked(start, size);
    lock_release(key);
    return status;
}

void *listheap_malloc_err(size_t size, int *err, const void *caller) {
    struct outcome o;
    outcome_start(&o);
    lock_key key = lock_acquire();
    unsigned char *block = malloc_locked(size, &o, caller);
    lock_release(key);
    if (!block || OUTCOME_PENDING(o))
        report(&o, err);
    return block ? payload_of(block) : NULL;
}

void listheap_free(void *ptr) {
    if (!ptr)
        return;
    lock_key key = lock_acquire();
    struct live lv;
    enum listheap_fault fault = live_block_of(ptr, &lv);
    if (fault)
        heap.faults++;
    else
        free_block_locked(&lv);
    lock_release(key);
    if (fault)
        listheap_fault_hook(fault, ptr); /* counted under the lock */
}

void *listheap_memalign_err(size_t alignment, size_t size, int *err, const void *caller) {
    if (alignment && alignment <= ALIGN && !(alignment & (alignment - 1)))
        return listheap_malloc_err(size, err, caller); /* malloc's alignment is enough */
    struct outcome o;
    outcome_start(&o);
    lock_key key = lock_acquire();
    unsigned char *block = memalign_locked(alignment, size, &o, caller);
    lock_release(key);
    if (!block || OUTCOME_PENDING(o))
        report(&o, err);
    return block ? payload_of(block) : NULL;
}

void *listheap_calloc_err(size_t count, size_t size, int *err, const void *caller) {
    size_t bytes;
    if (size_mul_overflows(count, size, &bytes))
        bytes = SIZE_MAX; /* more than any heap holds: fails, counted, as ENOMEM */
    void *p = listheap_malloc_err(bytes, err, caller);
    if (p)
        memset(p, 0, bytes); /* outside the lock */
    return p;
}

/* Allocate a new block, copy outside the lock, then free the old one. */
static void *realloc_by_moving(void *ptr, size_t old_usable, size_t n, int *err,
                               const void *caller) {
    void *fresh = listheap_malloc_err(n, err, caller);
    if (!fresh)
        return NULL;
    /* memmove: the two blocks never overlap in an intact heap, but a heap forged beyond
     * detection (docs/robustness.md) can hand out a block overlapping the old one; the copy
     * must stay defined then too */
    memmove(fresh, ptr, old_usable < n ? old_usable : n);
    listheap_free(ptr);
    return fresh;
}

void *listheap_realloc_err(void *ptr, size_t size, int *err, const void *caller) {
    if (!ptr)
        return listheap_malloc_err(size, err, caller);
    if (size == 0) {
        listheap_free(ptr);
        return NULL;
    }
    struct outcome o;
    outcome_start(&o);
    unsigned char *block = NULL;
    size_t old_n = 0;
    size_t need = block_bytes_for(size);
    lock_key key = lock_acquire();
    struct live lv;
    enum listheap_fault fault = live_block_of(ptr, &lv);
    if (fault)
        note_outcome(&o, fault, ptr, EINVAL, size);
    else if (!need)
        note_outcome(&o, (enum listheap_fault)0, NULL, ENOMEM, size);
    else {
        old_n = payload_bytes(lv.block);
        block = resize_in_place(&lv, size, need, old_n, caller);
    }
    lock_release(key);
    if (fault || !need || OUTCOME_PENDING(o)) {
        report(&o, err);
        if (fault || !need)
            return NULL;
    }
    if (!block)
        return realloc_by_moving(ptr, old_n, size, err, caller);
    void *payload = payload_of(block);
    if (!LISTHEAP_DEBUG && payload != ptr) /* grown into the predecessor: outside the lock */
        memmove(payload, ptr, old_n);
    return payload;
}

void *listheap_malloc(size_t size) {
    return listheap_malloc_err(size, NULL, LISTHEAP_CALLER());
}

void *listheap_calloc(size_t count, size_t size) {
    return listheap_calloc_err(count, size, NULL, LISTHEAP_CALLER());
}

void *listheap_realloc(void *ptr, size_t size) {
    return listheap_realloc_err(ptr, size, NULL, LISTHEAP_CALLER());
}

void *listheap_memalign(size_t alignment, size_t size) {
    return listheap_memalign_err(alignment, size, NULL, LISTHEAP_CALLER());
}

size_t listheap_usable_size(const void *ptr) {
    if (!ptr)
        return 0;
    lock_key key = lock_acquire();
    struct live lv;
    enum listheap_fault fault = live_block_of(ptr, &lv);
    size_t usable = fault ? 0 : payload_bytes(lv.block);
    if (fault)
        heap.faults++;
    lock_release(key);
    if (fault)
        listheap_fault_hook(fault, ptr); /* counted under the lock */
    return usable;
}

void listheap_reset_peak(void) {
    lock_key key = lock_acquire();
    heap.peak_used_bytes = heap.used_bytes;
    lock_release(key);
}
