/*
 * Adversarial heap-corruption test: can one corruption of the heap make listheap touch memory
 * outside the regions it was given, hang or crash?
 *
 * Every trial runs in a forked child (the parent waits; the child's alarm() ends a hang):
 *   1. 1-3 regions, each its own host allocation of 256 B..16 KiB with GUARD poisoned,
 *      patterned bytes on both sides (AddressSanitizer reports any access to them, the pattern
 *      is verified at the end), the start misaligned by 0-7 bytes (half the time 0: ASan cannot
 *      poison the guard bytes that share an 8-byte granule with the region's first byte), the
 *      size any byte count; poisoned decoys on the stack, in .bss and in the host heap are the
 *      targets of forged links; the heap's link secret is a per-trial random value;
 *   2. a random heap state: a few dozen malloc/calloc/realloc/memalign/free;
 *   3. exactly one corruption: kind (seed + trial) mod KINDS (one row of the table each, row 0
 *      a control with none), parameters from the trial's seed;
 *   4. a burst of a few hundred calls of every public entry point, aimed first at the corrupted
 *      block and its neighbours, then random. Every block handed out (and every usable size) is
 *      checked to lie wholly inside one region BEFORE the test writes its fill pattern into it,
 *      and against the blocks the test holds live;
 *   5. every held block freed, a last listheap_check(), guards and decoys verified.
 *
 * Outcome of a trial, most severe first:
 *   out-of-region  an AddressSanitizer report (a guard, a decoy, any other host memory), a block
 *                  or usable size reaching outside every region, a guard or decoy byte changed
 *   hang           the child ran past its alarm (--timeout, 5 s; a sanitizer report in progress
 *                  gets 30 s more)
 *   crash          an UndefinedBehaviorSanitizer report, a signal (reported by ASan as
 *                  DEADLYSIGNAL), an unexpected exit
 *   overlap        a block handed out overlaps one the test holds, a held block's fill changed
 *                  (not by the corruption), init accepted a busy heap, or ASan stopped a memcpy
 *                  between overlapping ranges that both lie inside the regions
 *   detected       listheap_fault_hook called, stats.faults > 0 or listheap_check() != OK
 *   silent         none of these
 * The first three are severe: the run exits 1 if any trial has one.
 *
 * Usage: test_adversarial [--trials N] [--first K] [--seed S] [--timeout SEC] [--log FILE]
 *                         [--kind ROW]           only the trials of one row (0 = the control)
 *        test_adversarial --seed S --trial K     one trial in-process, verbose (reproduction)
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>

#include "block.h"

#ifndef __SANITIZE_ADDRESS__
#error "test_adversarial needs -fsanitize=address: its guards and decoys are ASan-poisoned"
#endif

/* ------------------------------------------------------------------ sanitizer verdicts */

#define EXIT_ASAN 86  /* AddressSanitizer report (the parent reads which kind) */
#define EXIT_UBSAN 87 /* UndefinedBehaviorSanitizer report */

/* Both sanitizers stop at the first report, each with its own exit code. A signal (SEGV, BUS,
 * FPE, ABRT) is reported by ASan too, with a stack, as "AddressSanitizer:DEADLYSIGNAL": the
 * parent reads that line and counts a crash, not an out-of-region access. */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void) {
    return "exitcode=86:halt_on_error=1:detect_leaks=0:handle_abort=1:print_summary=1";
}
const char *__ubsan_default_options(void) {
    return "exitcode=87:halt_on_error=1:print_stacktrace=1:print_summary=1";
}

/* The child's alarm: a hang, unless a sanitizer is writing its report (the child's stderr, a
 * file that is empty until then, has grown): symbolizing a stack may take a while under qemu. */
static int report_fd = -1;
static volatile sig_atomic_t alarm_extended;

static void on_alarm(int sig) {
    struct stat st;
    if (!alarm_extended && report_fd >= 0 && fstat(report_fd, &st) == 0 && st.st_size > 0) {
        alarm_extended = 1;
        alarm(30);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ------------------------------------------------------------------ PRNG */

struct rng {
    uint64_t state;
};

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t next64(struct rng *r) {
    r->state += 0x9E3779B97F4A7C15ull;
    return mix64(r->state);
}

/* [0, n); 0 when n == 0 */
static size_t below(struct rng *r, size_t n) {
    return n ? (size_t)(next64(r) % (uint64_t)n) : 0;
}

/* [lo, hi] */
static size_t between(struct rng *r, size_t lo, size_t hi) {
    return lo + below(r, hi - lo + 1);
}

/* true with probability pct/100 */
static int chance(struct rng *r, unsigned pct) {
    return below(r, 100) < pct;
}

/* ------------------------------------------------------------------ corruption kinds */

enum value_class { V_TINY, V_HUGE, V_NEAR, V_TO_END, V_TO_BLOCK, V_COUNT };
static const char *const value_names[V_COUNT] = {"0/1/tiny", "SIZE_MAX/huge", "size+-8k",
                                                 "to end marker", "to a later block"};

enum link_target {
    LT_NULL,
    LT_STACK,
    LT_GLOBAL,
    LT_HOST,
    LT_GAP,
    LT_PAST_END,
    LT_NEAR_END,
    LT_SELF,
    LT_INTERIOR,
    LT_FORGED,
    LT_COUNT
};
static const char *const target_names[LT_COUNT] = {"NULL",
                                                   "stack",
                                                   "global",
                                                   "host heap",
                                                   "gap between regions",
                                                   "past last end marker",
                                                   "just before an end marker",
                                                   "the block itself",
                                                   "inside another block",
                                                   "forged node in live block"};

enum kind {
    K_NONE, /* the control: no corruption at all; must be all silent */
    K_OVF_RANDOM,
    K_OVF_ZERO,
    K_OVF_ONES,
    K_OVF_HEADER,
    K_LIVE_HEADER,                      /* + value class */
    K_FREE_HEADER = K_LIVE_HEADER + V_COUNT, /* + value class */
    K_FREE_TAG = K_FREE_HEADER + V_COUNT,
    K_LINK_BLIND,                       /* + link target */
    K_LINK_SECRET = K_LINK_BLIND + LT_COUNT, /* + link target */
    K_BITFLIP = K_LINK_SECRET + LT_COUNT,
    K_DOUBLE_FREE,
    K_INTERIOR_FREE,
    K_COUNT
};

static const char *kind_name(unsigned k, char *buf, size_t len) {
    static const char *const ovf[] = {"overflow: random bytes", "overflow: zeros",
                                      "overflow: 0xFF", "overflow: plausible header"};
    if (k == K_NONE)
        snprintf(buf, len, "none (control)");
    else if (k <= K_OVF_HEADER)
        snprintf(buf, len, "%s", ovf[k - K_OVF_RANDOM]);
    else if (k < K_FREE_HEADER)
        snprintf(buf, len, "live header: %s", value_names[k - K_LIVE_HEADER]);
    else if (k < K_FREE_TAG)
        snprintf(buf, len, "free header: %s", value_names[k - K_FREE_HEADER]);
    else if (k == K_FREE_TAG)
        snprintf(buf, len, "free boundary tag");
    else if (k < K_LINK_SECRET)
        snprintf(buf, len, "link, blind: %s", target_names[k - K_LINK_BLIND]);
    else if (k < K_BITFLIP)
        snprintf(buf, len, "link, knows secret: %s", target_names[k - K_LINK_SECRET]);
    else if (k == K_BITFLIP)
        snprintf(buf, len, "bit flips (1-8)");
    else if (k == K_DOUBLE_FREE)
        snprintf(buf, len, "double free after corruption");
    else
        snprintf(buf, len, "interior free after corruption");
    return buf;
}

/* ------------------------------------------------------------------ trial state */

#define GUARD 128u          /* poisoned, patterned bytes before and after every region */
#define GUARD_BYTE 0x6Bu
#define DECOY 512u          /* each decoy: poisoned, patterned */
#define DECOY_BYTE 0x5Au
#define MAX_TEST_REGIONS 3u
#define MAX_HELD 192u
#define MAX_SNAP 1024u
#define MAX_STALE 32u

struct host_region {
    unsigned char *host; /* what the host malloc returned */
    size_t host_size;
    unsigned char *start; /* what listheap was given: [start, start + size) */
    size_t size;
};

struct held { /* a block the test holds: payload, bytes requested, fill byte */
    unsigned char *p;
    size_t n;
    unsigned char fill;
    unsigned char dirty; /* the corruption wrote into it: its fill is not checked */
};

struct snap_block { /* the heap as walked just before the corruption */
    unsigned char *block;
    size_t size;
    int used;
};

/* What the child tells the parent, in memory shared across fork (MAP_SHARED). */
struct report {
    volatile int done;     /* the trial ran to its end */
    volatile int detected; /* the heap noticed: fault hook, stats.faults, check */
    volatile int by_call;  /* ... through a fault hook call (not only listheap_check) */
    volatile int overlap;
    volatile int oor;      /* out-of-region found by the test itself */
    char note[200];        /* the first overlap / out-of-region finding */
    unsigned nreg;         /* the regions given to listheap: [lo, hi) */
    uintptr_t lo[MAX_TEST_REGIONS], hi[MAX_TEST_REGIONS];
};

static struct {
    struct rng rng;
    uint64_t seed;
    unsigned long trial;
    unsigned kind;
    int verbose;
    struct host_region reg[MAX_TEST_REGIONS];
    unsigned nreg;
    struct held held[MAX_HELD];
    size_t nheld;
    size_t forgotten; /* blocks dropped from held when it was full: still live in the heap */
    unsigned char *stale[MAX_STALE]; /* payloads freed during the state, for double frees */
    size_t nstale;
    struct snap_block snap[MAX_SNAP];
    size_t nsnap;
    unsigned char *focus_live[4]; /* payloads the directed part of the burst works on */
    unsigned nfocus_live;
    size_t focus_req[4]; /* request sizes that take the corrupted free block */
    unsigned nfocus_req;
    unsigned char *stack_decoy, *host_decoy;
    uintptr_t secret;
    unsigned char next_fill;
} T;

static _Alignas(16) unsigned char global_decoy[DECOY];
static struct report local_report;
static struct report *R = &local_report;

static void say(const char *fmt, ...) {
    if (!T.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void note(const char *fmt, ...) {
    if (R->note[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(R->note, sizeof R->note, fmt, ap);
        va_end(ap);
    }
    if (T.verbose) {
        va_list ap;
        va_start(ap, fmt);
        fputs("  !! ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

/* ------------------------------------------------------------------ hooks */

void listheap_fault_hook(enum listheap_fault kind, const void *ptr) {
    R->detected = 1;
    R->by_call = 1;
    say("  fault hook: kind %d at %p", (int)kind, ptr);
}

void listheap_oom_hook(size_t request) {
    (void)request;
}

#ifdef LISTHEAP_PROTECT_LINKS
uintptr_t listheap_secret_hook(void) {
    return T.secret;
}
#endif

/* What a link stored in a free block reads when it is to mean `target`: the raw address for an
 * attacker who does not know the secret, the encoded one for one who does. */
static uintptr_t stored_link(const void *target, int knows_secret) {
#ifdef LISTHEAP_PROTECT_LINKS
    if (knows_secret)
        return link_encode((struct free_block *)(uintptr_t)target);
#else
    (void)knows_secret;
#endif
    return (uintptr_t)target;
}

/* ------------------------------------------------------------------ memory helpers */

static size_t get_word(const unsigned char *at) {
    size_t v;
    memcpy(&v, at, sizeof v);
    return v;
}

static void put_word(unsigned char *at, size_t v) {
    memcpy(at, &v, sizeof v);
}

static void put_link(unsigned char *at, uintptr_t v) {
    memcpy(at, &v, sizeof v);
}

/* [lo, lo + span) lies wholly inside one region given to listheap. */
static int inside_one_region(uintptr_t lo, size_t span) {
    for (unsigned i = 0; i < T.nreg; i++) {
        uintptr_t s = (uintptr_t)T.reg[i].start, e = s + T.reg[i].size;
        if (lo >= s && lo <= e && span <= e - lo)
            return 1;
    }
    return 0;
}

/* The host region holding address p, or NULL. */
static const struct host_region *host_region_of(const unsigned char *p) {
    for (unsigned i = 0; i < T.nreg; i++) {
        uintptr_t s = (uintptr_t)T.reg[i].start;
        if ((uintptr_t)p >= s && (uintptr_t)p < s + T.reg[i].size)
            return &T.reg[i];
    }
    return NULL;
}

/* The listheap region (first block .. end marker) holding block, or NULL. */
static const struct region *heap_region_of(const unsigned char *block) {
    for (unsigned i = 0; i < listheap_heap_.region_count; i++) {
        const struct region *r = &listheap_heap_.regions[i];
        if ((uintptr_t)block >= (uintptr_t)r->first && (uintptr_t)block < (uintptr_t)r->end)
            return r;
    }
    return NULL;
}

static void poison_fill(unsigned char *p, size_t n, unsigned byte) {
    memset(p, (int)byte, n);
    ASAN_POISON_MEMORY_REGION(p, n);
}

/* Unpoison and verify; 0 if a byte changed. */
static int unpoison_verify(unsigned char *p, size_t n, unsigned byte) {
    ASAN_UNPOISON_MEMORY_REGION(p, n);
    for (size_t i = 0; i < n; i++)
        if (p[i] != byte)
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ the end of a trial */

static void verify_guards(void) {
    for (unsigned i = 0; i < T.nreg; i++) {
        const struct host_region *h = &T.reg[i];
        unsigned char *end = h->start + h->size;
        if (!unpoison_verify(h->host, (size_t)(h->start - h->host), GUARD_BYTE) ||
            !unpoison_verify(end, (size_t)(h->host + h->host_size - end), GUARD_BYTE)) {
            R->oor = 1;
            note("guard bytes of region %u changed", i);
        }
    }
    if (!unpoison_verify(global_decoy, DECOY, DECOY_BYTE) ||
        !unpoison_verify(T.host_decoy, DECOY, DECOY_BYTE) ||
        !unpoison_verify(T.stack_decoy, DECOY, DECOY_BYTE)) {
        R->oor = 1;
        note("a decoy (stack, global or host heap) changed");
    }
}

/* Stop the trial now (after an out-of-region finding: nothing later can be worse). */
static void stop_trial(void) {
    verify_guards();
    R->done = 1;
    fflush(stderr);
    _exit(T.verbose ? 1 : 0); /* in-process (--trial): the exit status says it */
}

/* ------------------------------------------------------------------ held blocks */

static long held_index(const unsigned char *p) {
    for (size_t i = 0; i < T.nheld; i++)
        if (T.held[i].p == p)
            return (long)i;
    return -1;
}

static void held_drop(size_t i) {
    T.held[i] = T.held[--T.nheld];
}

static void stale_add(unsigned char *p) {
    if (T.nstale < MAX_STALE)
        T.stale[T.nstale++] = p;
    else
        T.stale[below(&T.rng, MAX_STALE)] = p;
}

/* A block listheap handed out for n bytes: out-of-region => stop without touching it;
 * overlap with a held block => noted; then filled and held. 0 if it was not taken. */
static int take_block(unsigned char *p, size_t n, const char *op) {
    size_t span = n ? n : 1;
    if (!inside_one_region((uintptr_t)p - WORD, WORD + span)) {
        R->oor = 1;
        note("%s returned %p for %zu bytes: not inside one region", op, (void *)p, n);
        stop_trial();
    }
    for (size_t i = 0; i < T.nheld; i++) {
        const struct held *h = &T.held[i];
        size_t hs = h->n ? h->n : 1;
        if ((uintptr_t)p < (uintptr_t)h->p + hs && (uintptr_t)h->p < (uintptr_t)p + span) {
            R->overlap = 1;
            note("%s returned %p+%zu overlapping held %p+%zu", op, (void *)p, n, (void *)h->p,
                 h->n);
            break;
        }
    }
    unsigned char fill = (unsigned char)(++T.next_fill | 1u);
    memset(p, fill, n);
    if (T.nheld == MAX_HELD) {
        held_drop(below(&T.rng, T.nheld)); /* forget one: it stays allocated (a leak) */
        T.forgotten++;
    }
    T.held[T.nheld++] = (struct held){p, n, fill, 0};
    return 1;
}

/* The fill of held block i is intact, unless the corruption wrote into it: a changed byte
 * means the heap wrote into a block it had handed out (an overlap). */
static void verify_fill(size_t i) {
    const struct held *h = &T.held[i];
    if (h->dirty)
        return;
    for (size_t k = 0; k < h->n; k++)
        if (h->p[k] != h->fill) {
            R->overlap = 1;
            note("held %p+%zu changed at byte %zu: %#x, not %#x", (void *)h->p, h->n, k, h->p[k],
                 h->fill);
            return;
        }
}

/* The corruption writes to [lo, hi): the held blocks there are no longer checked. */
static void mark_dirty(const unsigned char *lo, const unsigned char *hi) {
    for (size_t i = 0; i < T.nheld; i++)
        if ((uintptr_t)T.held[i].p < (uintptr_t)hi &&
            (uintptr_t)lo < (uintptr_t)T.held[i].p + T.held[i].n)
            T.held[i].dirty = 1;
}

/* ------------------------------------------------------------------ the calls */

static void check_heap(const char *when) {
    int status = listheap_check();
    say("  check (%s) -> %d", when, status);
    if (status != LISTHEAP_OK)
        R->detected = 1;
}

static void do_malloc(size_t n) {
    unsigned char *p = listheap_malloc(n);
    say("  malloc(%zu) -> %p", n, (void *)p);
    if (p)
        take_block(p, n, "malloc");
}

static void do_calloc(size_t count, size_t size) {
    unsigned char *p = listheap_calloc(count, size);
    say("  calloc(%zu, %zu) -> %p", count, size, (void *)p);
    if (p)
        take_block(p, count * size, "calloc");
}

static void do_memalign(size_t align, size_t n) {
    unsigned char *p = listheap_memalign(align, n);
    say("  memalign(%zu, %zu) -> %p", align, n, (void *)p);
    if (p)
        take_block(p, n, "memalign");
}

static void do_free_at(size_t i) {
    verify_fill(i);
    unsigned char *p = T.held[i].p;
    held_drop(i);
    listheap_free(p);
    say("  free(%p)", (void *)p);
    stale_add(p);
}

static void do_realloc_at(size_t i, size_t n) {
    verify_fill(i);
    struct held h = T.held[i];
    held_drop(i);
    unsigned char *q = listheap_realloc(h.p, n);
    say("  realloc(%p, %zu) -> %p", (void *)h.p, n, (void *)q);
    if (q)
        take_block(q, n, "realloc");
    else if (n == 0)
        stale_add(h.p);
    else
        T.held[T.nheld++] = h; /* failed: the old block is still the caller's */
}

static void do_usable_at(size_t i) {
    unsigned char *p = T.held[i].p;
    size_t u = listheap_usable_size(p);
    say("  usable_size(%p) -> %zu", (void *)p, u);
    if (u && !inside_one_region((uintptr_t)p - WORD, WORD + u)) {
        R->oor = 1;
        note("usable_size(%p) = %zu reaches outside its region", (void *)p, u);
        stop_trial();
    }
}

static void do_stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    say("  get_stats: faults %zu live %zu free_blocks %zu", s.faults, s.live_blocks,
        s.free_blocks);
    if (s.faults)
        R->detected = 1;
}

static void do_check_step(void) {
    struct listheap_check_cursor c;
    memset(&c, 0, sizeof c);
    size_t budget = between(&T.rng, 1, 8);
    int status;
    unsigned long calls = 0;
    do
        status = listheap_check_step(&c, budget);
    while (status == LISTHEAP_CHECK_IN_PROGRESS && ++calls < 1000000ul);
    say("  check_step(budget %zu) -> %d after %lu calls", budget, status, calls + 1);
    if (status < 0)
        R->detected = 1;
}

static size_t walk_visits;
static void walk_visitor(void *ctx, void *payload, size_t size, int used) {
    (void)ctx;
    (void)payload;
    (void)size;
    (void)used;
    walk_visits++;
}

static void leak_visitor(void *ctx, const void *caller, size_t blocks, size_t bytes) {
    (void)ctx;
    (void)caller;
    (void)blocks;
    (void)bytes;
    walk_visits++;
}

static void do_init_busy(void) {
    int status = listheap_init(T.reg[0].start, T.reg[0].size);
    say("  init while live -> %d", status);
    if (status == LISTHEAP_OK) {
        if (T.nheld || T.forgotten) {
            R->overlap = 1;
            note("listheap_init accepted a heap with live blocks");
        }
        for (unsigned i = 1; i < T.nreg; i++) /* the other regions are the heap's again */
            (void)listheap_add_region(T.reg[i].start, T.reg[i].size);
    }
}

/* A request size: mostly small, as in firmware; sometimes large; sometimes absurd. */
static size_t random_request(void) {
    unsigned r = (unsigned)below(&T.rng, 100);
    if (r < 35)
        return below(&T.rng, 49);
    if (r < 75)
        return between(&T.rng, 49, 320);
    if (r < 93)
        return between(&T.rng, 321, 2048);
    if (r < 98)
        return between(&T.rng, 2049, 12000);
    return SIZE_MAX - below(&T.rng, 64);
}

static size_t random_alignment(void) {
    static const size_t aligns[] = {1, 8, 16, 32, 64, 128, 256, 1024, 24, 0};
    return aligns[below(&T.rng, sizeof aligns / sizeof aligns[0])];
}

/* One random public call. */
static void random_call(void) {
    unsigned r = (unsigned)below(&T.rng, 100);
    if (r < 20) {
        do_malloc(random_request());
    } else if (r < 25) {
        if (T.nfocus_req)
            do_malloc(T.focus_req[below(&T.rng, T.nfocus_req)]);
        else if (T.nsnap) /* the size of some block of the state: takes that class's head */
            do_malloc(T.snap[below(&T.rng, T.nsnap)].size - EXTRA_BYTES);
    } else if (r < 43) {
        if (T.nheld)
            do_free_at(below(&T.rng, T.nheld));
    } else if (r < 55) {
        if (T.nheld) {
            size_t i = below(&T.rng, T.nheld);
            size_t n = chance(&T.rng, 5) ? 0 : chance(&T.rng, 50) ? T.held[i].n / 2
                                                                  : random_request();
            do_realloc_at(i, n);
        }
    } else if (r < 62) {
        if (chance(&T.rng, 5))
            do_calloc(SIZE_MAX / 2 + between(&T.rng, 1, 5), between(&T.rng, 2, 9));
        else
            do_calloc(between(&T.rng, 1, 8), random_request() / 8);
    } else if (r < 69) {
        do_memalign(random_alignment(), random_request());
    } else if (r < 77) {
        if (T.nheld)
            do_usable_at(below(&T.rng, T.nheld));
    } else if (r < 82) {
        do_stats();
    } else if (r < 85) {
        check_heap("burst");
    } else if (r < 88) {
        do_check_step();
    } else if (r < 91) {
        listheap_walk(walk_visitor, NULL);
        say("  walk");
    } else if (r < 93) {
        listheap_report_leaks(leak_visitor, NULL);
        say("  report_leaks");
    } else if (r < 95) {
        listheap_reset_peak();
        say("  reset_peak");
    } else if (r < 97) {
        do_init_busy();
    } else if (r < 98) {
        listheap_free(NULL);
        unsigned char *p = listheap_realloc(NULL, 0);
        say("  free(NULL); realloc(NULL, 0) -> %p", (void *)p);
        if (p)
            take_block(p, 0, "realloc(NULL, 0)");
    } else {
        size_t u = listheap_usable_size(NULL);
        say("  usable_size(NULL) -> %zu", u);
    }
}

/* ------------------------------------------------------------------ state and snapshot */

static void setup_regions(void) {
    T.nreg = (unsigned)between(&T.rng, 1, MAX_TEST_REGIONS);
    if (T.kind == K_LINK_BLIND + LT_GAP || T.kind == K_LINK_SECRET + LT_GAP)
        T.nreg = T.nreg < 2 ? 2 : T.nreg;
    for (unsigned i = 0; i < T.nreg; i++) {
        struct host_region *h = &T.reg[i];
        /* 256 B .. 16 KiB, log-uniform-ish, any byte count */
        size_t size = (size_t)256 << below(&T.rng, 6);
        size += below(&T.rng, size);
        /* half the regions start 8-aligned: then the guard before them is poisoned up to the
         * first byte (ASan cannot poison the bytes of a granule before an addressable one) */
        size_t mis = chance(&T.rng, 50) ? 0 : between(&T.rng, 1, 7);
        h->host_size = GUARD + mis + size + GUARD;
        h->host = malloc(h->host_size);
        if (!h->host) {
            fprintf(stderr, "host malloc failed\n");
            _exit(2);
        }
        h->start = h->host + GUARD + mis;
        h->size = size;
        memset(h->start, 0xE7, size); /* a garbage-filled arena */
        poison_fill(h->host, GUARD + mis, GUARD_BYTE);
        poison_fill(h->start + size, GUARD, GUARD_BYTE);
        R->lo[i] = (uintptr_t)h->start;
        R->hi[i] = (uintptr_t)h->start + size;
        R->nreg = i + 1;
        int status = i == 0 ? listheap_init(h->start, size) : listheap_add_region(h->start, size);
        say("region %u: [%p, %p) %zu bytes (host %p) -> %d", i, (void *)h->start,
            (void *)(h->start + size), size, (void *)h->host, status);
        if (status != LISTHEAP_OK) {
            fprintf(stderr, "region %u refused: %d\n", i, status);
            _exit(2);
        }
    }
}

static void build_state(void) {
    size_t ops = between(&T.rng, 20, 60);
    size_t total = 0;
    for (unsigned i = 0; i < T.nreg; i++)
        total += T.reg[i].size;
    for (size_t k = 0; k < ops; k++) {
        unsigned r = (unsigned)below(&T.rng, 100);
        size_t n = below(&T.rng, 4) ? below(&T.rng, 200) : below(&T.rng, total / 6 + 1);
        if (r < 45 || T.nheld < 3) {
            do_malloc(n);
        } else if (r < 52) {
            do_calloc(between(&T.rng, 1, 4), n / 4);
        } else if (r < 58) {
            do_memalign((size_t)16 << below(&T.rng, 5), n);
        } else if (r < 66) {
            do_realloc_at(below(&T.rng, T.nheld), between(&T.rng, 1, 300));
        } else {
            do_free_at(below(&T.rng, T.nheld));
        }
    }
    /* at least one block roomy enough to hold a forged free node */
    do_malloc(between(&T.rng, 96, 400));
    /* and at least one free block that is not a region's tail */
    if (T.nheld > 2)
        do_free_at(below(&T.rng, T.nheld - 1));
    do_malloc(between(&T.rng, 1, 64));
}

static void snap_visitor(void *ctx, void *payload, size_t size, int used) {
    (void)ctx;
    if (T.nsnap < MAX_SNAP)
        T.snap[T.nsnap++] = (struct snap_block){(unsigned char *)payload - WORD, size + WORD, used};
}

static void take_snapshot(void) {
    T.nsnap = 0;
    listheap_walk(snap_visitor, NULL);
}

static long snap_index(const unsigned char *block) {
    for (size_t i = 0; i < T.nsnap; i++)
        if (T.snap[i].block == block)
            return (long)i;
    return -1;
}

/* A random snapshot block that is free (used = 0) or live and held (used = 1); -1 if none. */
static long random_snap(int used) {
    size_t count = 0;
    for (size_t i = 0; i < T.nsnap; i++)
        if (T.snap[i].used == used && (!used || held_index(T.snap[i].block + WORD) >= 0))
            count++;
    if (!count)
        return -1;
    size_t pick = below(&T.rng, count);
    for (size_t i = 0; i < T.nsnap; i++)
        if (T.snap[i].used == used && (!used || held_index(T.snap[i].block + WORD) >= 0) &&
            pick-- == 0)
            return (long)i;
    return -1;
}

static void focus_live_add(const unsigned char *payload) {
    if (T.nfocus_live < 4 && held_index(payload) >= 0)
        T.focus_live[T.nfocus_live++] = (unsigned char *)(uintptr_t)payload;
}

static void focus_req_add(size_t block_size_) {
    if (T.nfocus_req < 4 && block_size_ > EXTRA_BYTES)
        T.focus_req[T.nfocus_req++] = block_size_ - EXTRA_BYTES;
}

/* The directed part of the burst works on the snapshot block i and its held neighbours. */
static void focus_on(long i) {
    if (i < 0)
        return;
    const struct snap_block *b = &T.snap[i];
    if (b->used)
        focus_live_add(b->block + WORD);
    else
        focus_req_add(b->size);
    const struct region *r = heap_region_of(b->block);
    if (i > 0 && heap_region_of(T.snap[i - 1].block) == r) {
        if (T.snap[i - 1].used)
            focus_live_add(T.snap[i - 1].block + WORD);
        else
            focus_req_add(T.snap[i - 1].size);
    }
    if ((size_t)i + 1 < T.nsnap && heap_region_of(T.snap[i + 1].block) == r) {
        if (T.snap[i + 1].used)
            focus_live_add(T.snap[i + 1].block + WORD);
        else
            focus_req_add(T.snap[i + 1].size);
    }
}

/* ------------------------------------------------------------------ the corruptions */

/* Bytes from block to its region's end marker. */
static size_t size_to_end(const unsigned char *block) {
    const struct region *r = heap_region_of(block);
    return r ? (size_t)(r->end - block) : 0;
}

/* Bytes from snapshot block i to the header of a later block of its region, not its immediate
 * successor (that is its own size); the end marker when there is none. */
static size_t size_to_later(long i) {
    const unsigned char *block = T.snap[i].block;
    const struct region *r = heap_region_of(block);
    size_t later = 0;
    for (size_t j = (size_t)i + 2; j < T.nsnap && heap_region_of(T.snap[j].block) == r; j++)
        later++;
    if (!later)
        return size_to_end(block);
    return (size_t)(T.snap[(size_t)i + 2 + below(&T.rng, later)].block - block);
}

/* A header (or tag) value of class vc for snapshot block i, whose header word reads orig. */
static size_t forged_value(unsigned vc, long i, size_t orig) {
    size_t s = orig & ~FLAG_MASK, v;
    switch (vc) {
    case V_TINY: {
        const size_t tiny[] = {0, 1, 2, 3, 4, 8, MIN_BLOCK - 8, MIN_BLOCK - 1};
        v = tiny[below(&T.rng, sizeof tiny / sizeof tiny[0])];
        return v;
    }
    case V_HUGE: {
        const size_t huge[] = {SIZE_MAX,
                               SIZE_MAX - 7,
                               SIZE_MAX - 6,
                               SIZE_MAX / 2 + 1,
                               (SIZE_MAX / 2) & ~(size_t)7,
                               (size_t)1 << (8 * sizeof(size_t) - 2),
                               ((size_t)next64(&T.rng) | ((size_t)1 << (8 * sizeof(size_t) - 1))),
                               (size_t)0x01000000 + (size_t)(next64(&T.rng) & 0xFFFFF8u)};
        v = huge[below(&T.rng, sizeof huge / sizeof huge[0])];
        return v;
    }
    case V_NEAR: {
        size_t d = 8 * between(&T.rng, 1, 4);
        v = (chance(&T.rng, 50) && s > d) ? s - d : s + d;
        break;
    }
    case V_TO_END:
        v = size_to_end(T.snap[i].block);
        break;
    default:
        v = size_to_later(i);
        break;
    }
    /* mostly keep the flags it had (plausible), sometimes any */
    return v | (chance(&T.rng, 65) ? (orig & FLAG_MASK) : below(&T.rng, 4));
}

/* An address X that a free block at X would use: X + WORD is 8-aligned, X >= lo, X + 4 words
 * <= hi (the node's header, links and a following word all lie in [lo, hi)). */
static unsigned char *node_spot(unsigned char *lo, unsigned char *hi) {
    uintptr_t a = ((uintptr_t)lo + WORD + 7u) & ~(uintptr_t)7u;
    uintptr_t first = a - WORD;
    if ((uintptr_t)hi < first + 4 * WORD)
        return lo;
    size_t steps = (size_t)((uintptr_t)hi - first - 4 * WORD) / 8u;
    return (unsigned char *)(first + 8u * below(&T.rng, steps + 1));
}

/* A forged free node laid out inside a held live block: returns its address, or NULL when no
 * held block is large enough. `victim` is the free block whose link will point to it; the
 * fake links back to it so that a back-link check passes. */
static unsigned char *forge_node(unsigned char *victim, size_t victim_size, int via_next,
                                 int knows_secret) {
    long pick = -1;
    for (size_t tries = 0; tries < 64 && pick < 0; tries++) {
        size_t i = below(&T.rng, T.nheld ? T.nheld : 1);
        if (T.nheld && T.held[i].n >= MIN_BLOCK + 3 * WORD + 8)
            pick = (long)i;
    }
    for (size_t i = 0; pick < 0 && i < T.nheld; i++)
        if (T.held[i].n >= MIN_BLOCK + 3 * WORD + 8)
            pick = (long)i;
    if (pick < 0)
        return NULL;
    const struct held *h = &T.held[pick];
    unsigned char *x = node_spot(h->p, h->p + h->n - MIN_BLOCK);
    size_t room = (size_t)(h->p + h->n - x) - WORD; /* the fake and its successor's header */
    room &= ~(size_t)7;
    size_t s;
    unsigned r = (unsigned)below(&T.rng, 100);
    if (r < 45 && victim_size <= room)
        s = victim_size; /* same class as the victim */
    else if (r < 80 || room < MIN_BLOCK)
        s = room >= MIN_BLOCK ? MIN_BLOCK + 8 * below(&T.rng, (room - MIN_BLOCK) / 8 + 1)
                              : MIN_BLOCK;
    else if (r < 92)
        s = size_to_end(x);
    else
        s = forged_value(V_HUGE, 0, 0) & ~FLAG_MASK;
    put_word(x, s);
    put_link(x + WORD, via_next ? stored_link(NULL, knows_secret)
                                : stored_link(victim, knows_secret));
    put_link(x + 2 * WORD, via_next ? stored_link(victim, knows_secret)
                                    : stored_link(NULL, knows_secret));
    unsigned char *lim = h->p + h->n;
    T.held[pick].dirty = 1;
    if (s <= (size_t)(lim - x) && s >= WORD)
        put_word(x + s - WORD, s); /* boundary tag */
    if (s < (size_t)(lim - x) && (size_t)(lim - x) - s >= WORD)
        put_word(x + s, MIN_BLOCK | FLAG_USED | FLAG_PREV_FREE); /* successor says "prev free" */
    say("  forged node at %p (size %zu) inside held %p+%zu", (void *)x, s, (void *)h->p, h->n);
    return x;
}

/* The link a free block holds, decoded: where it points. */
static uintptr_t read_link(const unsigned char *f, int via_next) {
    uintptr_t v;
    memcpy(&v, f + (via_next ? WORD : 2 * WORD), sizeof v);
#ifdef LISTHEAP_PROTECT_LINKS
    return (uintptr_t)link_decode(v);
#else
    return v;
#endif
}

static void corrupt_link(unsigned target, int knows_secret) {
    long i = random_snap(0);
    if (i < 0)
        return;
    int via_next = chance(&T.rng, 60);
    if (target == LT_NULL) { /* a link that is not NULL already, if the heap has one */
        size_t count = 0;
        for (size_t j = 0; j < 2 * T.nsnap; j++)
            count += !T.snap[j / 2].used && read_link(T.snap[j / 2].block, (int)(j & 1)) != 0;
        size_t pick = below(&T.rng, count);
        for (size_t j = 0; count && j < 2 * T.nsnap; j++)
            if (!T.snap[j / 2].used && read_link(T.snap[j / 2].block, (int)(j & 1)) != 0 &&
                pick-- == 0) {
                i = (long)(j / 2);
                via_next = (int)(j & 1);
                break;
            }
    }
    unsigned char *f = T.snap[i].block;
    unsigned char *x = NULL;
    switch (target) {
    case LT_NULL:
        x = NULL;
        break;
    case LT_STACK:
        x = node_spot(T.stack_decoy + DECOY / 4, T.stack_decoy + 3 * DECOY / 4);
        break;
    case LT_GLOBAL:
        x = node_spot(global_decoy + DECOY / 4, global_decoy + 3 * DECOY / 4);
        break;
    case LT_HOST:
        x = node_spot(T.host_decoy + DECOY / 4, T.host_decoy + 3 * DECOY / 4);
        break;
    case LT_GAP: { /* in the trailing guard of a lower region or the leading one of a higher */
        unsigned a = (unsigned)below(&T.rng, T.nreg);
        unsigned char *end = T.reg[a].start + T.reg[a].size;
        if (chance(&T.rng, 50))
            x = node_spot(end + WORD, end + GUARD - 8);
        else
            x = node_spot(T.reg[a].host + 8, T.reg[a].start - 4 * WORD);
        break;
    }
    case LT_PAST_END: { /* just past the highest end marker, in that region's guard */
        unsigned hi = 0;
        for (unsigned k = 1; k < T.nreg; k++)
            if ((uintptr_t)T.reg[k].start > (uintptr_t)T.reg[hi].start)
                hi = k;
        unsigned char *end = T.reg[hi].start + T.reg[hi].size;
        x = node_spot(end + WORD, end + GUARD - 8);
        break;
    }
    case LT_NEAR_END: { /* less than a minimum block before an end marker (or on it) */
        const struct region *r = &listheap_heap_.regions[below(&T.rng, listheap_heap_.region_count)];
        x = r->end - 8 * below(&T.rng, MIN_BLOCK / 8);
        break;
    }
    case LT_SELF:
        x = f;
        break;
    case LT_INTERIOR: { /* an aligned spot inside some other block, whatever it holds */
        long j = (long)below(&T.rng, T.nsnap);
        if (T.snap[j].block == f || T.snap[j].size < MIN_BLOCK + 16)
            j = i > 0 ? i - 1 : i;
        x = node_spot(T.snap[j].block + 8, T.snap[j].block + T.snap[j].size);
        break;
    }
    default:
        x = forge_node(f, T.snap[i].size, via_next, knows_secret);
        if (!x)
            x = f;
        break;
    }
    put_link(f + (via_next ? WORD : 2 * WORD), knows_secret ? stored_link(x, 1) : (uintptr_t)x);
    say("corruption: free block %p (size %zu): %s := %p (%s)", (void *)f, T.snap[i].size,
        via_next ? "next" : "prev", (void *)x, knows_secret ? "encoded" : "raw");
    focus_on(i);
}

static void corrupt_overflow(unsigned kind) {
    /* a held block, preferably one whose successor is free */
    long i = -1;
    if (chance(&T.rng, 60)) {
        size_t count = 0;
        for (size_t j = 0; j + 1 < T.nsnap; j++)
            if (T.snap[j].used && !T.snap[j + 1].used && held_index(T.snap[j].block + WORD) >= 0)
                count++;
        size_t pick = below(&T.rng, count);
        for (size_t j = 0; count && j + 1 < T.nsnap; j++)
            if (T.snap[j].used && !T.snap[j + 1].used &&
                held_index(T.snap[j].block + WORD) >= 0 && pick-- == 0) {
                i = (long)j;
                break;
            }
    }
    if (i < 0)
        i = random_snap(1);
    if (i < 0)
        return;
    unsigned char *p = T.snap[i].block + WORD;
    size_t usable = listheap_usable_size(p);
    unsigned char *from = p + usable;
    const struct host_region *h = host_region_of(p);
    size_t room = (size_t)(h->start + h->size - from);
    size_t len = between(&T.rng, 1, 64);
    if (len > room)
        len = room;
    size_t word = 0;
    if (kind == K_OVF_HEADER) {
        long succ = snap_index(T.snap[i].block + T.snap[i].size);
        size_t orig = succ >= 0 ? get_word(T.snap[succ].block) : 0;
        if (succ >= 0 && chance(&T.rng, 75))
            word = forged_value((unsigned)between(&T.rng, V_NEAR, V_TO_BLOCK), succ, orig);
        else if (succ >= 0 && chance(&T.rng, 50))
            word = orig ^ (FLAG_USED | (chance(&T.rng, 50) ? FLAG_PREV_FREE : 0));
        else
            word = MIN_BLOCK | below(&T.rng, 4);
    }
    for (size_t k = 0; k < len; k++) {
        unsigned char *at = from + k;
        unsigned char v;
        if (kind == K_OVF_RANDOM)
            v = (unsigned char)next64(&T.rng);
        else if (kind == K_OVF_ZERO)
            v = 0;
        else if (kind == K_OVF_ONES)
            v = 0xFF;
        else /* the word, in phase with the address so that aligned words read it */
            v = ((const unsigned char *)&word)[(uintptr_t)at % WORD];
        *at = v;
    }
    mark_dirty(from, from + len);
    say("corruption: %zu bytes past usable %zu of %p (word %#zx)", len, usable, (void *)p, word);
    focus_on(i);
    if ((size_t)i + 1 < T.nsnap)
        focus_on(i + 1);
}

/* A region's first block of the state, free (used = 0) or live and held, or -1. */
static long first_block_snap(int used) {
    unsigned r = (unsigned)below(&T.rng, listheap_heap_.region_count);
    long i = snap_index(listheap_heap_.regions[r].first);
    if (i < 0 || T.snap[i].used != used || (used && held_index(T.snap[i].block + WORD) < 0))
        return -1;
    return i;
}

static void corrupt_header(unsigned vc, int used, int tag) {
    long i = chance(&T.rng, 25) ? first_block_snap(used) : -1; /* nothing precedes it */
    if (i < 0)
        i = random_snap(used);
    if (i < 0)
        return;
    unsigned char *b = T.snap[i].block;
    unsigned char *at = tag ? b + T.snap[i].size - WORD : b;
    size_t orig = get_word(at);
    size_t v = forged_value(vc, i, tag ? orig : get_word(b));
    if (!tag && b == heap_region_of(b)->first && chance(&T.rng, 50))
        v |= FLAG_PREV_FREE; /* "the block before the first one is free" */
    put_word(at, v);
    say("corruption: %s of %s block %p (size %zu): %#zx -> %#zx", tag ? "tag" : "header",
        used ? "live" : "free", (void *)b, T.snap[i].size, orig, v);
    focus_on(i);
}

static void corrupt_bits(void) {
    unsigned a = (unsigned)below(&T.rng, T.nreg);
    size_t flips = between(&T.rng, 1, 8);
    for (size_t k = 0; k < flips; k++) {
        size_t off = below(&T.rng, T.reg[a].size);
        unsigned bit = (unsigned)below(&T.rng, 8);
        T.reg[a].start[off] ^= (unsigned char)(1u << bit);
        mark_dirty(T.reg[a].start + off, T.reg[a].start + off + 1);
        say("corruption: bit %u of %p flipped", bit, (void *)(T.reg[a].start + off));
        unsigned char *blk = NULL;
        for (size_t j = 0; j < T.nsnap; j++)
            if (T.snap[j].block <= T.reg[a].start + off)
                blk = T.snap[j].block;
        if (blk)
            focus_on(snap_index(blk));
    }
}

static void corrupt(unsigned kind) {
    if (kind == K_NONE)
        say("no corruption (control)");
    else if (kind <= K_OVF_HEADER)
        corrupt_overflow(kind);
    else if (kind < K_FREE_HEADER)
        corrupt_header(kind - K_LIVE_HEADER, 1, 0);
    else if (kind < K_FREE_TAG)
        corrupt_header(kind - K_FREE_HEADER, 0, 0);
    else if (kind == K_FREE_TAG)
        corrupt_header((unsigned)below(&T.rng, V_COUNT), 0, 1);
    else if (kind < K_LINK_SECRET)
        corrupt_link(kind - K_LINK_BLIND, 0);
    else if (kind < K_BITFLIP)
        corrupt_link(kind - K_LINK_SECRET, 1);
    else if (kind == K_BITFLIP)
        corrupt_bits();
    else if (kind == K_DOUBLE_FREE || kind == K_INTERIOR_FREE) {
        corrupt((unsigned)below(&T.rng, K_BITFLIP + 1)); /* first some other corruption */
        if (!T.nheld)
            return;
        size_t i = below(&T.rng, T.nheld);
        unsigned char *p = T.held[i].p;
        if (kind == K_DOUBLE_FREE && T.nstale && chance(&T.rng, 50)) {
            p = T.stale[below(&T.rng, T.nstale)]; /* freed while the state was built */
            if (held_index(p) < 0) {              /* (and not handed out again since) */
                listheap_free(p);
                say("corruption: double free of %p (freed before)", (void *)p);
            }
        } else if (kind == K_DOUBLE_FREE) {
            do_free_at(i);
            for (size_t k = below(&T.rng, 4); k > 0; k--)
                random_call();
            listheap_free(p);
            say("corruption: double free of %p", (void *)p);
        } else {
            size_t n = T.held[i].n;
            unsigned char *q = p + 8 * between(&T.rng, 1, n > 8 ? (n - 1) / 8 : 1);
            long s = snap_index(p - WORD);
            if (q < p + n && s >= 0 && chance(&T.rng, 50)) { /* a header that fits the block */
                unsigned char *blk_end = T.snap[s].block + T.snap[s].size;
                put_word(q - WORD, (size_t)(blk_end - (q - WORD)) | FLAG_USED);
                T.held[i].dirty = 1;
            }
            listheap_free(q);
            say("corruption: interior free of %p (block %p+%zu)", (void *)q, (void *)p, n);
            focus_live_add(p);
        }
    }
}

/* ------------------------------------------------------------------ the burst */

static void directed_calls(void) {
    size_t actions = 2u * T.nfocus_live + 3u * T.nfocus_req + 2u;
    for (size_t k = 0; k < actions; k++) {
        size_t which = below(&T.rng, T.nfocus_live + T.nfocus_req + 1);
        if (which < T.nfocus_live) {
            long i = held_index(T.focus_live[which]);
            if (i < 0)
                continue;
            unsigned r = (unsigned)below(&T.rng, 4);
            if (r == 0)
                do_free_at((size_t)i);
            else if (r == 1)
                do_realloc_at((size_t)i, T.held[i].n + between(&T.rng, 1, 256));
            else if (r == 2)
                do_realloc_at((size_t)i, T.held[i].n / 2);
            else
                do_usable_at((size_t)i);
        } else if (which < T.nfocus_live + T.nfocus_req) {
            size_t n = T.focus_req[which - T.nfocus_live];
            if (chance(&T.rng, 80))
                do_malloc(chance(&T.rng, 70) ? n : n / 2);
            else
                do_memalign(32, n / 2);
        } else {
            do_malloc(random_request());
        }
    }
}

static void burst(void) {
    directed_calls();
    size_t calls = between(&T.rng, 150, 400);
    for (size_t k = 0; k < calls; k++)
        random_call();
}

/* ------------------------------------------------------------------ one trial */

static uint64_t trial_seed(uint64_t seed, unsigned long trial) {
    return mix64(seed * 0x100000001B3ull + mix64((uint64_t)trial + 1));
}

static unsigned trial_kind(uint64_t seed, unsigned long trial) {
    return (unsigned)((seed % K_COUNT + trial) % K_COUNT);
}

static void run_trial(uint64_t seed, unsigned long trial, int verbose) {
    _Alignas(16) unsigned char stack_decoy[DECOY];
    char name[80];
    memset(&T, 0, sizeof T);
    T.seed = seed;
    T.trial = trial;
    T.verbose = verbose;
    T.rng.state = trial_seed(seed, trial);
    T.kind = trial_kind(seed, trial);
    T.secret = (uintptr_t)next64(&T.rng);
    say("trial %lu, seed %" PRIu64 ": %s", trial, seed, kind_name(T.kind, name, sizeof name));

    T.stack_decoy = stack_decoy;
    T.host_decoy = malloc(DECOY);
    if (!T.host_decoy)
        _exit(2);
    poison_fill(T.stack_decoy, DECOY, DECOY_BYTE);
    poison_fill(global_decoy, DECOY, DECOY_BYTE);
    poison_fill(T.host_decoy, DECOY, DECOY_BYTE);

    setup_regions();
    build_state();
    int status = listheap_check();
    if (status != LISTHEAP_OK || R->detected) {
        fprintf(stderr, "trial %lu: the heap is damaged before the corruption (%d)\n", trial,
                status);
        _exit(3);
    }
    take_snapshot();
    say("state: %zu blocks, %zu held", T.nsnap, T.nheld);
    corrupt(T.kind);
    burst();
    while (T.nheld)
        do_free_at(below(&T.rng, T.nheld)); /* each one's fill verified first */
    do_stats();
    check_heap("end");
    verify_guards();
    ASAN_UNPOISON_MEMORY_REGION(stack_decoy, DECOY);
    R->done = 1;
}

/* ------------------------------------------------------------------ the parent */

enum outcome { O_DETECTED, O_SILENT, O_OVERLAP, O_OOR, O_HANG, O_CRASH, O_COUNT };
static const char *const outcome_names[O_COUNT] = {"detected", "silent", "overlap",
                                                   "out-of-region", "hang", "crash"};

static const char *build_name(void) {
#if LISTHEAP_DEBUG
    return UINTPTR_MAX > 0xFFFFFFFFu ? "checked-m64" : "checked-m32";
#else
    return UINTPTR_MAX > 0xFFFFFFFFu ? "release-m64" : "release-m32";
#endif
}

/* [lo, hi) lies inside one of the regions the child reported. */
static int range_in_regions(uintptr_t lo, uintptr_t hi) {
    for (unsigned i = 0; i < R->nreg && i < MAX_TEST_REGIONS; i++)
        if (lo >= R->lo[i] && hi <= R->hi[i] && lo <= hi)
            return 1;
    return 0;
}

/* What ASan reported, besides an access outside the memory the child may touch. */
enum asan_finding { AF_ACCESS, AF_SIGNAL, AF_OVERLAP_INSIDE };

/* The first line of the captured stderr that names a sanitizer finding, and what ASan found: a
 * deadly signal (a crash), or memcpy between overlapping ranges that both lie inside the regions
 * (a consequence of blocks that overlap there, undefined behaviour but no access outside). */
static enum asan_finding finding_line(int fd, char *out, size_t len) {
    out[0] = '\0';
    char buf[8192];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return AF_ACCESS;
    buf[n] = '\0';
    enum asan_finding finding = AF_ACCESS;
    const char *ov = strstr(buf, "-param-overlap: memory ranges [");
    uintptr_t a0, a1, b0, b1;
    if (strstr(buf, "AddressSanitizer:DEADLYSIGNAL"))
        finding = AF_SIGNAL;
    else if (ov && sscanf(ov, "-param-overlap: memory ranges [%" SCNxPTR ",%" SCNxPTR
                          ") and [%" SCNxPTR ", %" SCNxPTR ")", &a0, &a1, &b0, &b1) == 4 &&
             range_in_regions(a0, a1) && range_in_regions(b0, b1))
        finding = AF_OVERLAP_INSIDE;
    const char *keys[] = {"SUMMARY:", "runtime error", "ERROR:"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char *at = strstr(buf, keys[k]);
        if (at) {
            while (at > buf && at[-1] != '\n')
                at--;
            size_t m = strcspn(at, "\n");
            snprintf(out, len, "%.*s", (int)(m < len - 1 ? m : len - 1), at);
            break;
        }
    }
    return finding;
}

static void append_log(const char *path, int fd, const char *header) {
    FILE *log = fopen(path, "a");
    if (!log)
        return;
    fprintf(log, "==== %s\n", header);
    char buf[8192];
    off_t off = 0;
    ssize_t n;
    while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
        fwrite(buf, 1, (size_t)n, log);
        off += n;
    }
    fclose(log);
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--trials N] [--first K] [--seed S] [--timeout SEC] [--log FILE] [--kind ROW]\n"
            "       %s --seed S --trial K   (one trial in-process, verbose)\n",
            argv0, argv0);
    exit(2);
}

int main(int argc, char **argv) {
    unsigned long trials = 300, first = 0, one = 0;
    int have_seed = 0, single = 0;
    uint64_t seed = 0;
    unsigned timeout = 5;
    const char *log_path = NULL;
    int only_kind = -1; /* --kind K: run only the trials of kind K (a row number, from 0) */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--probe"))
            return 0; /* can this binary run here at all? */
        if (!v)
            usage(argv[0]);
        if (!strcmp(a, "--trials"))
            trials = strtoul(v, NULL, 0);
        else if (!strcmp(a, "--first"))
            first = strtoul(v, NULL, 0);
        else if (!strcmp(a, "--seed"))
            seed = strtoull(v, NULL, 0), have_seed = 1;
        else if (!strcmp(a, "--trial"))
            one = strtoul(v, NULL, 0), single = 1;
        else if (!strcmp(a, "--timeout"))
            timeout = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--log"))
            log_path = v;
        else if (!strcmp(a, "--kind"))
            only_kind = (int)strtol(v, NULL, 0);
        else
            usage(argv[0]);
        i++;
    }
    if (!have_seed)
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);

    if (single) {
        char name[80];
        run_trial(seed, one, 1);
        fprintf(stderr, "trial %lu (%s): done; detected %d (by a call %d), overlap %d, "
                "out-of-region %d%s%s\n",
                one, kind_name(trial_kind(seed, one), name, sizeof name), R->detected,
                R->by_call, R->overlap, R->oor, R->note[0] ? ": " : "", R->note);
        return R->oor ? 1 : 0;
    }

    R = mmap(NULL, sizeof *R, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (R == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    char errname[] = "/tmp/test_adversarial.XXXXXX";
    int errfd = mkstemp(errname);
    if (errfd < 0) {
        perror("mkstemp");
        return 2;
    }
    unlink(errname);
    if (log_path)
        fclose(fopen(log_path, "w"));

    static unsigned long table[K_COUNT][O_COUNT], det[K_COUNT], by_call[K_COUNT];
    unsigned long severe = 0, totals[O_COUNT] = {0}, slowest_trial = 0, copy_overlaps = 0;
    long slowest = 0;
    printf("adversarial %s: seed %" PRIu64 ", trials %lu..%lu, %u corruption kinds\n",
           build_name(), seed, first, first + trials - 1, (unsigned)K_COUNT);
    fflush(stdout);
    time_t started = time(NULL);

    unsigned long ran = 0;
    for (unsigned long t = first; t < first + trials; t++) {
        if (only_kind >= 0 && trial_kind(seed, t) != (unsigned)only_kind)
            continue;
        ran++;
        memset(R, 0, sizeof *R);
        if (ftruncate(errfd, 0) != 0)
            return 2;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            lseek(errfd, 0, SEEK_SET);
            dup2(errfd, 1);
            dup2(errfd, 2);
            report_fd = errfd;
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_alarm;
            sigemptyset(&sa.sa_mask);
            sigaction(SIGALRM, &sa, NULL);
            alarm(timeout);
            run_trial(seed, t, 0);
            fflush(stderr);
            _exit(0);
        }
        int st = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        char line[240];
        enum asan_finding finding = finding_line(errfd, line, sizeof line);
        int asan = WIFEXITED(st) && WEXITSTATUS(st) == EXIT_ASAN;
        enum outcome o;
        const char *how = "";
        if (asan && finding == AF_SIGNAL) {
            o = O_CRASH;
            how = "signal, reported by AddressSanitizer";
        } else if (asan && finding == AF_OVERLAP_INSIDE && !R->oor) {
            o = O_OVERLAP; /* the trial ended there: ASan stops at its first report */
            if (++copy_overlaps <= 5)
                printf("NOTE trial %lu: %s (both ranges inside the regions: counted as an "
                       "overlap); reproduce: %s --seed %" PRIu64 " --trial %lu\n",
                       t, line, argv[0], seed, t);
        } else if ((WIFEXITED(st) && WEXITSTATUS(st) == EXIT_ASAN) || R->oor) {
            o = O_OOR;
            how = R->oor ? "found by the test" : "AddressSanitizer";
        } else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
            o = O_HANG;
            how = "alarm";
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_UBSAN) {
            o = O_CRASH;
            how = "UndefinedBehaviorSanitizer";
        } else if (WIFSIGNALED(st) || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || !R->done) {
            o = O_CRASH;
            how = WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "unexpected exit";
        } else if (R->overlap) {
            o = O_OVERLAP;
        } else if (R->detected) {
            o = O_DETECTED;
        } else {
            o = O_SILENT;
        }
        unsigned k = trial_kind(seed, t);
        table[k][o]++;
        totals[o]++;
        det[k] += R->detected != 0;
        by_call[k] += R->by_call != 0;
        if (o <= O_OVERLAP && ms > slowest) /* not severe: what the alarm must leave room for */
            slowest = ms, slowest_trial = t;
        if (o == O_OOR || o == O_HANG || o == O_CRASH) {
            char name[80], header[400];
            if (!line[0] && WIFEXITED(st) && WEXITSTATUS(st) != 0)
                snprintf(line, sizeof line, "exit status %d", WEXITSTATUS(st));
            kind_name(k, name, sizeof name);
            if (++severe <= 40) {
                printf("SEVERE trial %lu (%s): %s [%s]; reproduce: %s --seed %" PRIu64
                       " --trial %lu\n",
                       t, name, outcome_names[o], how, argv[0], seed, t);
                if (line[0])
                    printf("    %s\n", line);
                if (R->note[0])
                    printf("    test: %s\n", R->note);
            }
            if (log_path) {
                snprintf(header, sizeof header, "trial %lu seed %" PRIu64 " (%s): %s [%s] %s", t,
                         seed, name, outcome_names[o], how, R->note);
                append_log(log_path, errfd, header);
            }
        }
    }
    if (severe > 40)
        printf("... %lu severe trials in all\n", severe);

    printf("%-46s %6s %8s %6s %7s %6s %4s %5s %6s %6s\n", "corruption kind", "trials",
           "detected", "silent", "overlap", "oor", "hang", "crash", "det%", "call%");
    for (unsigned k = 0; k < K_COUNT; k++) {
        char name[80];
        unsigned long n = 0;
        for (unsigned o = 0; o < O_COUNT; o++)
            n += table[k][o];
        if (!n)
            continue;
        printf("%-46s %6lu %8lu %6lu %7lu %6lu %4lu %5lu %6.1f %6.1f\n",
               kind_name(k, name, sizeof name), n, table[k][O_DETECTED], table[k][O_SILENT],
               table[k][O_OVERLAP], table[k][O_OOR], table[k][O_HANG], table[k][O_CRASH],
               100.0 * (double)det[k] / (double)n, 100.0 * (double)by_call[k] / (double)n);
    }
    unsigned long all_det = 0, all_call = 0;
    for (unsigned k = 0; k < K_COUNT; k++)
        all_det += det[k], all_call += by_call[k];
    printf("%-46s %6lu %8lu %6lu %7lu %6lu %4lu %5lu %6.1f %6.1f\n", "all", ran,
           totals[O_DETECTED], totals[O_SILENT], totals[O_OVERLAP], totals[O_OOR],
           totals[O_HANG], totals[O_CRASH], ran ? 100.0 * (double)all_det / (double)ran : 0.0,
           ran ? 100.0 * (double)all_call / (double)ran : 0.0);
    printf("(det%%: trials where the heap noticed, by a fault hook call, stats.faults or "
           "listheap_check; call%%: by a fault hook call)\n");
    if (copy_overlaps)
        printf("%lu overlap trials ended in ASan's memcpy-param-overlap: a copy between blocks "
               "that overlap inside the regions\n",
               copy_overlaps);
    printf("slowest trial without a severe outcome: %lu, %ld ms (the alarm: %u s)\n", slowest_trial,
           slowest, timeout);
    printf("adversarial %s: %lu trials, %lu out-of-region, %lu hangs, %lu crashes (%ld s)\n",
           build_name(), ran, totals[O_OOR], totals[O_HANG], totals[O_CRASH],
           (long)(time(NULL) - started));
    close(errfd);
    return severe ? 1 : 0;
}
