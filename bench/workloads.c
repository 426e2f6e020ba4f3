/*
 * workloads.c - the benchmark workloads, identical for every allocator (bench/README.md).
 *
 * Every workload is deterministic: fixed seeds, the xorshift32 of bench.h, and decisions that
 * depend only on the sequence of requests, never on addresses, except where an allocation
 * fails (fragmentation and worst case run "until failure", so how many calls they make depends
 * on the allocator; that is what they measure).
 *
 * Every block handed out is stamped (first word if it has more than 4 bytes, and last byte) and checked before it is freed
 * or after it is moved, so an allocator that returned overlapping memory fails the run.
 *
 * realloc's moves are counted from outside, by comparing pointers only: of the reallocs of a
 * live block (old pointer not NULL) to a size above 0 that succeed, how many returned another
 * address (metrics realloc_resized and realloc_moved, reported when the workload made any),
 * and of those how many landed in another block, i.e. the new range does not overlap the old
 * one (realloc_copied): an allocator that grows a block into its free predecessor returns a
 * lower address that still overlaps the old block.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bench.h"

static int damaged; /* a stamp did not survive: the allocator returned overlapping memory */
static uint32_t failures;
static uint32_t realloc_resized, realloc_moved, realloc_copied; /* see the top of this file */

static void stamp(void *p, size_t n, uint32_t tag) {
    unsigned char *b = p;
    if (n > 4)
        memcpy(b, &tag, 4);
    if (n)
        b[n - 1] = (unsigned char)(tag ^ 0x5Au);
}

static void check(const void *p, size_t n, uint32_t tag) {
    const unsigned char *b = p;
    uint32_t t;
    if (n > 4) {
        memcpy(&t, b, 4);
        if (t != tag)
            damaged = 1;
    }
    if (n && b[n - 1] != (unsigned char)(tag ^ 0x5Au))
        damaged = 1;
}

/* A live block of the workloads: pointer, requested size, stamp. */
struct blk {
    void *p;
    uint32_t n;
    uint32_t tag;
};

static uint32_t next_tag = 1;

static int blk_alloc(struct blk *b, size_t n) {
    void *p = bench_malloc(n);
    if (!p) {
        failures++;
        return 0;
    }
    b->p = p;
    b->n = (uint32_t)n;
    b->tag = next_tag++;
    stamp(p, n, b->tag);
    return 1;
}

static int blk_calloc(struct blk *b, size_t count, size_t size) {
    unsigned char *p = bench_calloc(count, size);
    if (!p) {
        failures++;
        return 0;
    }
    for (size_t i = 0; i < count * size; i++)
        if (p[i])
            damaged = 1;
    b->p = p;
    b->n = (uint32_t)(count * size);
    b->tag = next_tag++;
    stamp(p, b->n, b->tag);
    return 1;
}

static void blk_free(struct blk *b) {
    if (!b->p)
        return;
    check(b->p, b->n, b->tag);
    bench_free(b->p);
    b->p = NULL;
    b->n = 0;
}

/* Grow or shrink; on failure the block is kept as it was. */
static int blk_realloc(struct blk *b, size_t n) {
    if (b->p)
        check(b->p, b->n, b->tag);
    /* the old address as a number: after a move the old pointer's value is indeterminate */
    uintptr_t old = (uintptr_t)b->p;
    void *q = bench_realloc(b->p, n);
    if (!q) {
        failures++;
        return 0;
    }
    if (old && n > 0) {
        realloc_resized++;
        if ((uintptr_t)q != old)
            realloc_moved++;
        if ((uintptr_t)q + n <= old || (uintptr_t)q >= old + b->n)
            realloc_copied++;
    }
    size_t kept = b->n < n ? b->n : n;
    b->p = q;
    uint32_t t;
    memcpy(&t, q, 4);
    if (kept > 4 && t != b->tag) /* the first word moved with the block */
        damaged = 1;
    b->n = (uint32_t)n;
    stamp(q, n, b->tag);
    return 1;
}

/* ---------------------------------------------------------------- churn */
/* 100,000 operations on 256 slots: pick a slot at random; if it is empty, malloc 8..256
 * bytes into it, else free it. */
#define CHURN_OPS 100000u
#define CHURN_SLOTS 256u

static uint32_t workload_arg; /* "name:N" on the command line: N, else 0 (the default) */

static int churn(void) {
    uint32_t ops = workload_arg ? workload_arg : CHURN_OPS;
    static struct blk slot[CHURN_SLOTS];
    uint32_t rng = 0xC0FFEE01u;
    uint32_t live = 0, peak = 0;
    for (uint32_t i = 0; i < ops; i++) {
        struct blk *b = &slot[bench_rand(&rng) % CHURN_SLOTS];
        uint32_t n = bench_range(&rng, 8, 256);
        if (b->p) {
            blk_free(b);
            live--;
        } else if (blk_alloc(b, n)) {
            live++;
            if (live > peak)
                peak = live;
        }
    }
    for (uint32_t i = 0; i < CHURN_SLOTS; i++)
        blk_free(&slot[i]);
    bench_metric("peak_live_blocks", peak);
    return 0;
}

/* ---------------------------------------------------------------- mixed firmware */
/* An event loop of MIX_TICKS ticks. Each tick: 1-4 messages of 16-64 bytes living 1-8 ticks;
 * 1 in 16 ticks a 256-2048 byte buffer living 1-3 ticks; 1 in 8 a string built by 3-12
 * realloc steps of 4-24 bytes, living 1-20 ticks (1 in 10 of them kept in a 16-entry log
 * ring instead); 1 in 32 a vector of 8-byte elements grown by doubling (realloc) to 4-64
 * elements, living 1-50 ticks; 1 in 100 one of 32 long-lived 16-64 byte device records is
 * replaced; 1 in 64 one of 8 long-lived configuration blocks is replaced (calloc, 16-128). */
#define MIX_TICKS 8000u
#define MIX_POOL 1024u
#define MIX_WHEEL 64u

struct mix_obj {
    struct blk b;
    uint16_t next; /* next object expiring in the same wheel bucket */
};

static struct mix_obj pool[MIX_POOL];
static uint16_t pool_free_head;
static uint16_t wheel[MIX_WHEEL];
#define NIL 0xFFFFu

static struct mix_obj *mix_get(void) {
    if (pool_free_head == NIL)
        return NULL;
    struct mix_obj *o = &pool[pool_free_head];
    pool_free_head = o->next;
    return o;
}

static void mix_put(struct mix_obj *o) {
    o->next = pool_free_head;
    pool_free_head = (uint16_t)(o - pool);
}

static void mix_schedule(struct mix_obj *o, uint32_t expiry) {
    uint32_t w = expiry % MIX_WHEEL;
    o->next = wheel[w];
    wheel[w] = (uint16_t)(o - pool);
}

static int mixed(void) {
    uint32_t ticks = workload_arg ? workload_arg : MIX_TICKS;
    static struct blk device[32], logring[16], config[8];
    uint32_t rng = 0x5EED0002u;
    uint32_t log_next = 0;
    for (uint32_t i = 0; i < MIX_POOL; i++)
        pool[i].next = i + 1u < MIX_POOL ? (uint16_t)(i + 1u) : NIL;
    pool_free_head = 0;
    for (uint32_t i = 0; i < MIX_WHEEL; i++)
        wheel[i] = NIL;
    for (uint32_t i = 0; i < 32u; i++)
        blk_alloc(&device[i], bench_range(&rng, 16, 64));
    for (uint32_t i = 0; i < 8u; i++)
        blk_calloc(&config[i], 1, bench_range(&rng, 16, 128));

    for (uint32_t t = 0; t < ticks; t++) {
        struct mix_obj *o;
        uint32_t nmsg = bench_range(&rng, 1, 4);
        for (uint32_t i = 0; i < nmsg; i++) {
            uint32_t n = bench_range(&rng, 16, 64), life = bench_range(&rng, 1, 8);
            if ((o = mix_get()) && blk_alloc(&o->b, n))
                mix_schedule(o, t + life);
            else if (o)
                mix_put(o);
        }
        if (bench_rand(&rng) % 16u == 0) {
            uint32_t n = bench_range(&rng, 256, 2048), life = bench_range(&rng, 1, 3);
            if ((o = mix_get()) && blk_alloc(&o->b, n))
                mix_schedule(o, t + life);
            else if (o)
                mix_put(o);
        }
        if (bench_rand(&rng) % 8u == 0) {
            uint32_t n = bench_range(&rng, 8, 16), steps = bench_range(&rng, 3, 12);
            uint32_t life = bench_range(&rng, 1, 20), keep = bench_rand(&rng) % 10u == 0;
            struct blk s = {0};
            if (blk_alloc(&s, n)) {
                for (uint32_t i = 0; i < steps; i++) {
                    n += bench_range(&rng, 4, 24);
                    blk_realloc(&s, n);
                }
                if (keep) {
                    blk_free(&logring[log_next]);
                    logring[log_next] = s;
                    log_next = (log_next + 1u) % 16u;
                } else if ((o = mix_get())) {
                    o->b = s;
                    mix_schedule(o, t + life);
                } else {
                    blk_free(&s);
                }
            }
        }
        if (bench_rand(&rng) % 32u == 0) {
            uint32_t want = bench_range(&rng, 4, 64), life = bench_range(&rng, 1, 50);
            uint32_t cap = 4;
            struct blk v = {0};
            if (blk_alloc(&v, cap * 8u)) {
                while (cap < want) {
                    cap *= 2u;
                    blk_realloc(&v, cap * 8u);
                }
                if ((o = mix_get())) {
                    o->b = v;
                    mix_schedule(o, t + life);
                } else {
                    blk_free(&v);
                }
            }
        }
        if (bench_rand(&rng) % 100u == 0) {
            struct blk *d = &device[bench_rand(&rng) % 32u];
            blk_free(d);
            blk_alloc(d, bench_range(&rng, 16, 64));
        }
        if (bench_rand(&rng) % 64u == 0) {
            struct blk *c = &config[bench_rand(&rng) % 8u];
            blk_free(c);
            blk_calloc(c, 1, bench_range(&rng, 16, 128));
        }
        /* everything that expires now */
        uint32_t w = t % MIX_WHEEL;
        uint16_t i = wheel[w];
        wheel[w] = NIL;
        while (i != NIL) {
            o = &pool[i];
            i = o->next;
            blk_free(&o->b);
            mix_put(o);
        }
    }
    for (uint32_t w = 0; w < MIX_WHEEL; w++)
        for (uint16_t i = wheel[w]; i != NIL; i = pool[i].next)
            blk_free(&pool[i].b);
    for (uint32_t i = 0; i < 32u; i++)
        blk_free(&device[i]);
    for (uint32_t i = 0; i < 16u; i++)
        blk_free(&logring[i]);
    for (uint32_t i = 0; i < 8u; i++)
        blk_free(&config[i]);
    return 0;
}

/* ---------------------------------------------------------------- fragmentation */
/* 1. Allocate 16-512 bytes until the first failure, freeing a random live block instead of
 *    allocating one time in three. 2. Free a random half of what is live. 3. Large requests:
 *    8192 bytes until one fails, then 4096, ... down to 16. Heap efficiency = the largest live
 *    payload (sum of requested bytes) at any point / the heap region's size. */
#define FRAG_MAX 4096u

static int fragmentation(void) {
    static struct blk live[FRAG_MAX];
    uint32_t nlive = 0, payload = 0, peak = 0;
    uint32_t rng = 0xF4A6u;
    uint32_t calls = 0;
    for (;;) {
        if (nlive > 0 && bench_rand(&rng) % 3u == 0) {
            uint32_t i = bench_rand(&rng) % nlive;
            payload -= live[i].n;
            blk_free(&live[i]);
            live[i] = live[--nlive];
            continue;
        }
        uint32_t n = bench_range(&rng, 16, 512);
        if (nlive == FRAG_MAX || !blk_alloc(&live[nlive], n))
            break;
        calls++;
        nlive++;
        payload += n;
        if (payload > peak)
            peak = payload;
    }
    bench_metric("fill_calls", calls);
    bench_metric("first_failure_payload", payload);
    for (uint32_t i = 0; i < nlive;) {
        if (bench_rand(&rng) & 1u) {
            payload -= live[i].n;
            blk_free(&live[i]);
            live[i] = live[--nlive];
        } else {
            i++;
        }
    }
    bench_metric("after_free_payload", payload);
    for (uint32_t n = 8192; n >= 16u; n /= 2u) {
        while (nlive < FRAG_MAX && blk_alloc(&live[nlive], n)) {
            nlive++;
            payload += n;
            if (payload > peak)
                peak = payload;
        }
    }
    bench_metric("final_payload", payload);
    bench_metric("peak_payload", peak);
    bench_metric("heap_bytes", (uint32_t)bench_heap_bytes());
    for (uint32_t i = 0; i < nlive; i++)
        blk_free(&live[i]);
    return 0;
}

/* ---------------------------------------------------------------- worst case */
/* A. Thousands of fragments: allocate pairs of 8-byte blocks until the heap is full; free
 *    the last 64 pairs (a hole at the top), then the first block of every pair in address
 *    order of allocation (about 2000 free 8-byte fragments, each between two used blocks).
 *    Then the requests that are hard for one allocator or another, each 16 times: a request
 *    that no fragment fits (first fit walks every fragment), an exact fit, a request just
 *    above the fragment size, the free of a block between two free fragments (coalesce with
 *    both), the free of the highest block (an address-ordered list is walked to its end),
 *    and realloc growth into a free neighbour and beyond it.
 * B. Mixed fragments: pairs of a 24-1000 byte block and a 16-byte separator until the heap is
 *    full; free the last 8 pairs, then every large block: a hundred or so free fragments of
 *    assorted sizes (sorted bins and size classes get busy); then requests of every size
 *    class up to 1024, each followed by its free. */
#define WORST_MAX 4096u

static struct blk wa[WORST_MAX], wb[WORST_MAX];

static uint32_t fill_pairs(uint32_t *rng, uint32_t lo, uint32_t hi, uint32_t sep) {
    uint32_t n = 0;
    while (n < WORST_MAX) {
        if (!blk_alloc(&wa[n], bench_range(rng, lo, hi)))
            break;
        if (!blk_alloc(&wb[n], sep)) {
            blk_free(&wa[n]);
            break;
        }
        n++;
    }
    return n;
}

/* Free the last `spare` pairs whole (one hole at the top of the heap) and the first block of
 * every other pair, leaving that many fragments, each kept apart by its separator (wb[i]).
 * Returns the number of fragments. */
static uint32_t leave_fragments(uint32_t pairs, uint32_t spare) {
    uint32_t top = pairs > spare ? pairs - spare : 0;
    for (uint32_t i = top; i < pairs; i++) {
        blk_free(&wb[i]);
        blk_free(&wa[i]);
    }
    for (uint32_t i = 0; i < top; i++)
        blk_free(&wa[i]);
    return top;
}

static void worst_a(void) {
    uint32_t rng = 0xBAD0001u;
    uint32_t pairs = fill_pairs(&rng, 8, 8, 8);
    bench_metric("a_pairs", pairs);
    uint32_t top = leave_fragments(pairs, 64u);
    bench_metric("a_fragments", top);
    /* the hard requests, 16 of each, spread over the heap */
    struct blk x[16];
    for (uint32_t k = 0; k < 16u; k++) { /* no fragment fits: walk to the top hole */
        blk_alloc(&x[k], 64);
    }
    for (uint32_t k = 0; k < 16u; k++)
        blk_free(&x[k]);
    for (uint32_t k = 0; k < 16u; k++) /* exact fit */
        blk_alloc(&x[k], 8);
    for (uint32_t k = 0; k < 16u; k++)
        blk_free(&x[k]);
    for (uint32_t k = 0; k < 16u; k++) /* just above the fragments */
        blk_alloc(&x[k], 16);
    for (uint32_t k = 0; k < 16u; k++)
        blk_free(&x[k]);
    /* separators between two free fragments, from the highest down: coalesce both sides */
    for (uint32_t k = 0; k < 16u && k < top; k++)
        blk_free(&wb[top - 1u - k]);
    /* separators near the bottom, grown in place into the free fragment after them, then
     * beyond it (moves) */
    for (uint32_t k = 0; k < 16u && k + 1u < top; k++) {
        blk_realloc(&wb[k], 16);
        blk_realloc(&wb[k], 200);
    }
    for (uint32_t i = 0; i < top; i++)
        blk_free(&wb[i]);
}

static void worst_b(void) {
    uint32_t rng = 0xBAD0002u;
    uint32_t pairs = fill_pairs(&rng, 24, 1000, 16);
    bench_metric("b_pairs", pairs);
    uint32_t top = leave_fragments(pairs, 8u);
    bench_metric("b_fragments", top);
    struct blk x;
    for (uint32_t n = 8; n <= 1024u; n += 8u) {
        if (blk_alloc(&x, n))
            blk_free(&x);
    }
    for (uint32_t n = 1024; n >= 8u; n -= 8u) {
        if (blk_alloc(&x, n))
            blk_free(&x);
    }
    for (uint32_t i = 0; i < top; i++)
        blk_free(&wb[i]);
}

static int worst(void) {
    worst_a();
    worst_b();
    return 0;
}

/* ---------------------------------------------------------------- bytes consumed per request */
/* On a fresh heap, 8 requests of the same size in a row come out adjacent from every
 * allocator measured: the span from the 2nd to the 8th, divided by 6, is what one such request
 * consumes (newlib-nano pads every other block for alignment, so one stride is not enough). */
static int sizes(void) {
    static const uint32_t ns[] = {0, 1, 8, 12, 13, 16, 24, 32, 64, 100, 128, 256, 1000};
    for (unsigned i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        unsigned char *p[8];
        for (unsigned k = 0; k < 8u; k++)
            p[k] = bench_malloc(ns[i]);
        /* some allocators pad alternate blocks for alignment: the span of 6 strides */
        uint32_t span = (uint32_t)(p[7] > p[1] ? p[7] - p[1] : p[1] - p[7]);
        char name[24] = "consumed6_";
        uint32_t v = ns[i], len = 10;
        char digits[12];
        int nd = 0;
        do {
            digits[nd++] = (char)('0' + v % 10u);
            v /= 10u;
        } while (v);
        while (nd)
            name[len++] = digits[--nd];
        name[len] = 0;
        bench_metric(name, span);
        uint32_t misaligned = 0;
        for (unsigned k = 0; k < 8u; k++)
            misaligned |= (uint32_t)(uintptr_t)p[k] & 7u;
        if (misaligned)
            bench_metric("misaligned", ns[i]);
    }
    return 0;
}

/* ---------------------------------------------------------------- trace replay */
/* The traces of bench/traces/, compiled into trace_data.c by bench/trace2c.py: records of
 * (op << 24 | slot, size) words; op 'm' malloc, 'c' calloc (size = count << 16 | size),
 * 'r' realloc, 'f' free, 'x' end of one trace (free everything still live). */
extern const uint32_t bench_trace[];
extern const uint32_t bench_trace_words;
extern const uint32_t bench_trace_slots;
#define TRACE_MAX_SLOTS 2048u

static int trace(void) {
    static struct blk slot[TRACE_MAX_SLOTS];
    if (bench_trace_slots > TRACE_MAX_SLOTS)
        return 1;
    uint32_t ops = 0;
    for (uint32_t i = 0; i + 1u < bench_trace_words; i += 2u) {
        uint32_t op = bench_trace[i] >> 24, s = bench_trace[i] & 0xFFFFFFu, n = bench_trace[i + 1u];
        ops++;
        switch (op) {
        case 'm':
            blk_alloc(&slot[s], n);
            break;
        case 'c':
            blk_calloc(&slot[s], n >> 16, n & 0xFFFFu);
            break;
        case 'r':
            blk_realloc(&slot[s], n);
            break;
        case 'f':
            blk_free(&slot[s]);
            break;
        case 'x':
            for (uint32_t k = 0; k < bench_trace_slots; k++)
                blk_free(&slot[k]);
            break;
        default:
            return 1;
        }
    }
    bench_metric("trace_records", ops);
    return 0;
}

/* ---------------------------------------------------------------- dispatch */
struct workload {
    const char *name;
    int (*run)(void);
};

static const struct workload workloads[] = {
    {"churn", churn}, {"mixed", mixed}, {"frag", fragmentation}, {"worst", worst},
    {"trace", trace}, {"sizes", sizes},
};

/* "name" or "name:N" (a shorter run, for the instruction profile) */
static int name_is(const char *arg, const char *name) {
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0 || (arg[n] != 0 && arg[n] != ':'))
        return 0;
    workload_arg = 0;
    if (arg[n] == ':')
        for (const char *d = arg + n + 1; *d >= '0' && *d <= '9'; d++)
            workload_arg = workload_arg * 10u + (uint32_t)(*d - '0');
    return 1;
}

int bench_run_workload(const char *name) {
    /* warm-up: the first call of some allocators sets the heap up; not a workload's cost */
    void *p = bench_malloc(1);
    bench_free(p);
    bench_reset_samples();
    for (unsigned i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
        if (name_is(name, workloads[i].name)) {
            int status = workloads[i].run();
            bench_metric("failures", failures);
            if (realloc_resized) {
                bench_metric("realloc_resized", realloc_resized);
                bench_metric("realloc_moved", realloc_moved);
                bench_metric("realloc_copied", realloc_copied);
            }
            bench_metric("damaged", (uint32_t)damaged);
            return status || damaged;
        }
    }
    bench_puts("unknown workload: ");
    bench_puts(name);
    bench_puts("\n");
    return 2;
}
