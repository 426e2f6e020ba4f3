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

/* What a locked operation tells its public wrapper to report once the lock is released. */
struct outcome {
    enum listheap_fault fault; /* 0: none */
    const void *fault_ptr;
    int error;                 /* errno value to set, 0: none */
    size_t oom_request;        /* valid when error == ENOMEM */
    const void *caller;        /* who asked: recorded in the checked build */
};

/* Only fault and error are read unless they are set, so only they are cleared: zeroing the
 * whole struct costs a memset call per malloc and free at -Os. */
static inline void outcome_start(struct outcome *o, const void *caller) {
    o->fault = (enum listheap_fault)0;
    o->error = 0;
    o->caller = caller;
}

static void note_fault(enum listheap_fault kind, const void *where, struct outcome *o) {
    o->fault = kind;
    o->fault_ptr = where;
    heap.faults++;
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

static unsigned lowest_bit(uint32_t x) { /* x != 0 */
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

static void bitmap_set(unsigned c) {
    heap.bitmap[c / 32u] |= (uint32_t)1 << (c % 32u);
    heap.summary |= (uint32_t)1 << (c / 32u);
}

static void bitmap_clear(unsigned c) {
    unsigned w = c / 32u;
    heap.bitmap[w] &= ~((uint32_t)1 << (c % 32u));
    if (heap.bitmap[w] == 0)
        heap.summary &= ~((uint32_t)1 << w);
}

/* Lowest non-empty class >= c, or CLASS_COUNT: two bit scans, no loop. */
static unsigned first_class_from(unsigned c) {
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

COLD const struct region *listheap_other_region_(const void *p, size_t room) {
    for (unsigned i = 1; i < heap.region_count; i++)
        if (region_has(&heap.regions[i], p, room))
            return &heap.regions[i];
    return NULL;
}

/* ---------------------------------------------------------------- free lists */

/* `next` may follow fb on a list: not fb itself, a valid node position, linking back to fb.
 * Checked before a link is followed or written through, so a damaged link is reported instead
 * of becoming a write outside the heap. */
HOT int links_back_to(const struct free_block *next, const struct free_block *fb) {
    return next != fb && node_region(next) && prev_of(next) == fb;
}

/* Where the link to the free block fb (of `size` bytes) is stored: its predecessor's next, or
 * its class's list head; NULL when a link is damaged. Unlinking through that place needs no
 * class arithmetic. */
static uintptr_t *link_to(struct free_block *fb, size_t size) {
    struct free_block *next = next_of(fb), *prev = prev_of(fb);
    if (next && !links_back_to(next, fb))
        return NULL;
    if (prev)
        return prev != fb && node_region(prev) && next_of(prev) == fb ? &prev->next_link : NULL;
    uintptr_t *head = &heap.lists[class_of(size)];
    return link_decode(*head) == fb ? head : NULL;
}

/* The list-head slot `link` is, as a class index, or CLASS_COUNT for a block's `next`. */
static inline unsigned class_of_head(const uintptr_t *link) {
    uintptr_t offset = (uintptr_t)link - (uintptr_t)heap.lists;
    return offset < sizeof heap.lists ? (unsigned)(offset / sizeof heap.lists[0]) : CLASS_COUNT;
}

/* Unlink fb, whose link is stored at `link` (from link_to): the encoded words are copied as
 * they are, both ends having been validated. */
static inline void unlink_at(struct free_block *fb, uintptr_t *link) {
    struct free_block *next = next_of(fb);
    *link = fb->next_link;
    if (next) {
        next->prev_link = fb->prev_link;
    } else {
        unsigned c = class_of_head(link);
        if (c < CLASS_COUNT)
            bitmap_clear(c);
    }
    heap.free_blocks--;
}

static void list_insert(unsigned char *block) {
    struct free_block *fb = as_free(block);
    unsigned c = class_of(block_size(block));
    struct free_block *head = list_head(c);
    set_prev(fb, NULL);
    fb->next_link = heap.lists[c];
    if (head)
        set_prev(head, fb);
    else
        bitmap_set(c);
    heap.lists[c] = link_encode(fb);
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

/* ---------------------------------------------------------------- block writes */

static void set_prev_free_flag(unsigned char *block, int prev_free) {
    if (prev_free)
        *header_of(block) |= FLAG_PREV_FREE;
    else
        *header_of(block) &= ~FLAG_PREV_FREE;
}

/* Make [block, block+size) a free block (header, tag, successor's P flag) and list it.
 * Its predecessor is allocated (I4), so its own P flag is clear. */
static void make_free(unsigned char *block, size_t size) {
    heap.generation++;
    *header_of(block) = size;
    *(size_t *)(void *)(block + size - WORD) = size;
    set_prev_free_flag(block + size, 1);
    list_insert(block);
}

/* Every call that changes the heap ends in make_used() (allocation, in-place resize) or in
 * make_free() (free, region added): each bumps `generation` once, which restarts an
 * incremental check (listheap_check_step). */
static void make_used(unsigned char *block, size_t size, size_t prev_free_flag) {
    heap.generation++;
    *header_of(block) = size | FLAG_USED | prev_free_flag;
    heap.used_bytes += size;
    if (heap.used_bytes > heap.peak_used_bytes)
        heap.peak_used_bytes = heap.used_bytes;
}

/* Allocate `need` bytes at the start of the unlisted free span [block, block+have); the rest
 * becomes a free block when it can hold one, else stays in the allocation. */
static void carve(unsigned char *block, size_t have, size_t need, size_t prev_free_flag) {
    if (have - need >= MIN_BLOCK) {
        make_used(block, need, prev_free_flag);
        make_free(block + need, have - need);
    } else {
        make_used(block, have, prev_free_flag);
        set_prev_free_flag(block + have, 0);
    }
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
    if (bad)
        note_fault(LISTHEAP_FAULT_USE_AFTER_FREE, bad, o);
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
    unsigned long generation = heap.generation;
    memset(&heap, 0, sizeof heap);
    heap.generation = generation + 1u;
    return region_add_locked(start, size);
}

/* First allocation with no region: take the linker script's heap, if it has one. */
static void lazy_init_locked(void) {
    if (heap.region_count != 0)
        return;
    uintptr_t start = (uintptr_t)__heap_start, end = (uintptr_t)__heap_end;
    if (start && end > start)
        (void)region_add_locked(__heap_start, (size_t)(end - start));
}

/* ---------------------------------------------------------------- pointer validation */


/* The successor of an allocated block is consistent: it does not claim a free predecessor,
 * and it is the end marker, an allocated block of sane size, or a well-formed free block. */
static int successor_consistent(const struct region *r, unsigned char *next) {
    if (next == r->end)
        return *header_of(next) == FLAG_USED;
    if (block_prev_is_free(next))
        return 0;
    if (!block_is_used(next))
        return free_block_size(r, next) != 0;
    return walk_next(r, next) != NULL;
}

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
    if (free_block_size(r, prev) != tag)
        return NULL;
    return link_to(as_free(prev), tag);
}

/* Where the free neighbours of a validated block are linked (NULL: that neighbour is used). */
struct neighbour_links {
    uintptr_t *prev, *next;
};

/* Cheap O(regions) check that ptr is a live block; on failure fills o and returns NULL. */
static unsigned char *live_block_of(const void *ptr, struct neighbour_links *nb,
                                    struct outcome *o) {
    unsigned char *block = block_from_payload(ptr);
    const struct region *r = region_holding(block);
    enum listheap_fault fault = 0;
    if (!r)
        fault = LISTHEAP_FAULT_FOREIGN;
    else if (((uintptr_t)ptr) % ALIGN)
        fault = LISTHEAP_FAULT_MISALIGNED;
    else if (!block_is_used(block))
        fault = LISTHEAP_FAULT_NOT_LIVE;
    else {
        unsigned char *next = walk_next(r, block);
        nb->prev = nb->next = NULL;
        if (!next || (*header_of(block) & FLAG_SPARE) ||
            !successor_consistent(r, next) ||
            (block_prev_is_free(block) && !(nb->prev = predecessor_link(r, block))))
            fault = LISTHEAP_FAULT_BAD_HEADER;
        else if (!block_is_used(next) && !(nb->next = link_to(as_free(next), block_size(next))))
            fault = LISTHEAP_FAULT_BAD_LINK;
        else if (!canary_intact(block))
            fault = LISTHEAP_FAULT_OVERFLOW;
    }
    if (fault) {
        note_fault(fault, ptr, o);
        return NULL;
    }
    return block;
}

/* ---------------------------------------------------------------- allocation */

/* The class whose head is a free block of at least `need` bytes, or CLASS_COUNT: need's own
 * class if its head is big enough, else the next non-empty class (all of it is big enough).
 * Reads the head's header only: take_head() validates the block before anything is written. */
static unsigned find_class(size_t need) {
    unsigned c = class_of(need);
    struct free_block *head = list_head(c);
    if (head && block_size(as_bytes(head)) >= need)
        return c;
    return first_class_from(c + 1u);
}

/* A block of s bytes belongs to class c: one compare for the exact classes. */
HOT int in_class(size_t s, unsigned c) {
    if (c < EXACT_CLASSES)
        return s == MIN_BLOCK + c * ALIGN;
    return class_of(s) == c;
}

/* Unlink and return the head of list c, which must hold `need` bytes from `gap` bytes into it.
 * The block is validated first as carefully as a pointer given to free: a well-formed free
 * block (free_block_size) of class c with room for gap + need, heading its list, its next
 * link intact. Anything else is reported (BAD_HEADER, or BAD_LINK for the links) and NULL
 * returned, with nothing written. */
static unsigned char *take_head(unsigned c, size_t need, size_t gap, struct outcome *o) {
    struct free_block *fb = list_head(c);
    unsigned char *block = as_bytes(fb);
    size_t s = listed_block_size(block);
    if (!s || !in_class(s, c) || s < need || s - need < gap) {
        note_fault(LISTHEAP_FAULT_BAD_HEADER, payload_of(block), o);
        return NULL;
    }
    struct free_block *next = next_of(fb);
    if (prev_of(fb) || (next && !links_back_to(next, fb))) {
        note_fault(LISTHEAP_FAULT_BAD_LINK, payload_of(block), o);
        return NULL;
    }
    unlink_at(fb, &heap.lists[c]);
    return block;
}

static void note_failure(size_t request, int error, struct outcome *o) {
    o->error = error;
    o->oom_request = request;
    heap.failures++;
}

static void *malloc_locked(size_t n, struct outcome *o) {
    lazy_init_locked();
    size_t need = block_bytes_for(n);
    unsigned c = need ? find_class(need) : CLASS_COUNT;
    unsigned char *block = c < CLASS_COUNT ? take_head(c, need, 0, o) : NULL;
    if (!block) {
        note_failure(n, ENOMEM, o);
        return NULL;
    }
    verify_poison(block, block, block + need, o);
    carve(block, block_size(block), need, 0);
    mark_payload(block, 0, n, o->caller);
    heap.allocations++;
    return payload_of(block);
}

static void free_block_locked(unsigned char *block, const struct neighbour_links *nb) {
    size_t size = block_size(block);
    uintptr_t *prev_link = nb->prev;
    heap.used_bytes -= size;
    heap.frees++;
    unsigned char *next = block + size;
    poison(payload_of(block), next);
    if (nb->next) {
        unlink_at(as_free(next), nb->next);
        /* Both neighbours on one list, the previous one right after the next one: the link
         * to it was the next one's `next`, which is now the place that linked the next one. */
        if (prev_link == &as_free(next)->next_link)
            prev_link = nb->next;
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
    make_free(block, size);
}

static void free_locked(void *ptr, struct outcome *o) {
    struct neighbour_links nb;
    unsigned char *block = live_block_of(ptr, &nb, o);
    if (block)
        free_block_locked(block, &nb);
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

static void *memalign_locked(size_t align, size_t n, struct outcome *o) {
    if (align == 0 || (align & (align - 1))) {
        o->error = EINVAL;
        return NULL;
    }
    lazy_init_locked();
    if (align > (size_t)(heap.hi - heap.lo)) {
        note_failure(n, ENOMEM, o);
        return NULL;
    }
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
    unsigned char *block = head ? take_head(c, need, aligned_gap(head, align), o) : NULL;
    if (!block) {
        note_failure(n, ENOMEM, o);
        return NULL;
    }
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
    mark_payload(block, 0, n, o->caller);
    heap.allocations++;
    return payload_of(block);
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
    make_free(block + keep, spare);
}

/* Extend an allocated block into a free successor; 0 if that is not enough. */
static int grow_in_place(unsigned char *block, size_t need, uintptr_t *next_link) {
    size_t size = block_size(block);
    unsigned char *next = block + size;
    if (block_is_used(next) || size + block_size(next) < need)
        return 0;
    size_t have = size + block_size(next);
    unlink_at(as_free(next), next_link);
    size_t prev_free = *header_of(block) & FLAG_PREV_FREE;
    heap.used_bytes -= size;
    carve(block, have, need, prev_free);
    return 1;
}

/* In-place realloc of a validated block to n bytes (need block bytes): the new payload, or
 * NULL when it must move. */
static void *resize_in_place(unsigned char *block, size_t n, size_t need,
                             uintptr_t *next_link, const void *caller) {
    size_t old_n = payload_bytes(block);
    if (need <= block_size(block))
        shrink_in_place(block, need, next_link);
    else if (!grow_in_place(block, need, next_link))
        return NULL;
    mark_payload(block, old_n, n, caller);
    return payload_of(block);
}

/* ---------------------------------------------------------------- public API */

/* Hooks and errno, after the lock is released. `err` is where errno lives for this caller:
 * &errno for the listheap_* calls, &r->_errno for newlib's _r entry points (alloc/newlib/). */
static void report_slow(const struct outcome *o, int *err) {
    if (o->fault)
        listheap_fault_hook(o->fault, o->fault_ptr);
    if (o->error) {
        *err = o->error;
        if (o->error == ENOMEM)
            listheap_oom_hook(o->oom_request);
    }
}

static inline void report(const struct outcome *o, int *err) {
    if (o->fault || o->error)
        report_slow(o, err);
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
    int status = region_add_locked(start, size);
    lock_release(key);
    return status;
}

void *listheap_malloc_err(size_t size, int *err, const void *caller) {
    struct outcome o;
    outcome_start(&o, caller);
    lock_key key = lock_acquire();
    void *p = malloc_locked(size, &o);
    lock_release(key);
    report(&o, err);
    return p;
}

void listheap_free(void *ptr) {
    if (!ptr)
        return;
    struct outcome o;
    outcome_start(&o, NULL);
    lock_key key = lock_acquire();
    free_locked(ptr, &o);
    lock_release(key);
    report(&o, &errno);
}

void *listheap_memalign_err(size_t alignment, size_t size, int *err, const void *caller) {
    if (alignment && alignment <= ALIGN && !(alignment & (alignment - 1)))
        return listheap_malloc_err(size, err, caller); /* malloc's alignment is enough */
    struct outcome o;
    outcome_start(&o, caller);
    lock_key key = lock_acquire();
    void *p = memalign_locked(alignment, size, &o);
    lock_release(key);
    report(&o, err);
    return p;
}

void *listheap_calloc_err(size_t count, size_t size, int *err, const void *caller) {
    size_t bytes;
    if (size_mul_overflows(count, size, &bytes)) {
        struct outcome o;
        outcome_start(&o, NULL);
        lock_key key = lock_acquire();
        note_failure(SIZE_MAX, ENOMEM, &o);
        lock_release(key);
        report(&o, err);
        return NULL;
    }
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
    outcome_start(&o, NULL);
    void *result = NULL;
    size_t old_usable = 0;
    size_t need = block_bytes_for(size);
    lock_key key = lock_acquire();
    struct neighbour_links nb;
    unsigned char *block = live_block_of(ptr, &nb, &o);
    if (block && need) {
        old_usable = payload_bytes(block);
        result = resize_in_place(block, size, need, nb.next, caller);
    } else if (block) {
        note_failure(size, ENOMEM, &o);
    } else {
        o.error = EINVAL;
    }
    lock_release(key);
    report(&o, err);
    if (result || !block || !need)
        return result;
    return realloc_by_moving(ptr, old_usable, size, err, caller);
}

void *listheap_malloc(size_t size) {
    return listheap_malloc_err(size, &errno, LISTHEAP_CALLER());
}

void *listheap_calloc(size_t count, size_t size) {
    return listheap_calloc_err(count, size, &errno, LISTHEAP_CALLER());
}

void *listheap_realloc(void *ptr, size_t size) {
    return listheap_realloc_err(ptr, size, &errno, LISTHEAP_CALLER());
}

void *listheap_memalign(size_t alignment, size_t size) {
    return listheap_memalign_err(alignment, size, &errno, LISTHEAP_CALLER());
}

size_t listheap_usable_size(const void *ptr) {
    if (!ptr)
        return 0;
    struct outcome o;
    outcome_start(&o, NULL);
    lock_key key = lock_acquire();
    struct neighbour_links nb;
    unsigned char *block = live_block_of(ptr, &nb, &o);
    size_t usable = block ? payload_bytes(block) : 0;
    lock_release(key);
    report(&o, &errno);
    return usable;
}

void listheap_reset_peak(void) {
    lock_key key = lock_acquire();
    heap.peak_used_bytes = heap.used_bytes;
    lock_release(key);
}
