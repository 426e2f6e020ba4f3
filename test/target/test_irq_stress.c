/*
 * Interrupt stress: a SysTick interrupt allocates, frees and reallocates at a high rate while
 * main does the same, on one small heap (a 16 KiB static arena given to listheap_init).
 *
 * Linked with liblistheap_irq.a (LISTHEAP_LOCKING_PRIMASK) it must pass: exit 0. Linked with a
 * library built with -DLISTHEAP_LOCKING=LISTHEAP_LOCKING_NONE it must detect the race: exit 1
 * (or 3 when the corruption makes the core fault, qemu/startup.c). Exit 2: the run proves
 * nothing because too few interrupts arrived, or too few landed inside main's heap calls (QEMU
 * delivers timer interrupts reliably only with -icount: run with ICOUNT=<shift>).
 *
 * Each side (main, ISR) owns a table of slots; only that side touches its slots and counters,
 * so the test's own bookkeeping cannot race. Every block carries a pattern naming its owner,
 * slot and generation in every word (see pattern_word), verified before each free and realloc
 * and after each realloc (the preserved prefix). A pointer outside the arena or misaligned is
 * reported before anything is written through it. listheap's fault hook counts as a failure.
 * Every CHECK_EVERY main operations listheap_check() runs with interrupts masked by the test
 * itself (so a finding is real corruption, not a check racing the ISR).
 *
 * At the end, with the timer stopped: listheap_check(), then a shadow record of every live
 * block of both sides: patterns intact, inside the arena, aligned, no two overlapping
 * (header included), listheap_usable_size() agrees, listheap_walk() reports exactly these
 * blocks as used and the statistics agree; then everything is freed and the heap must be one
 * free block again. Nothing here uses stdio (no heap use on the failure path): lines are
 * formatted on the stack and written with write().
 *
 * The SysTick reload is STRESS_RELOAD plus a pseudo-random 0..STRESS_JITTER-1 chosen anew in
 * every interrupt, so the arrival points sweep over every instruction of main's calls. The
 * defaults are for `ICOUNT=6 qemu/run.sh <board> <elf>` (-icount shift=6: 64 ns per
 * instruction): an interrupt every ~2500 instructions, ~58,000 of them in 200,000 operations,
 * about a third landing inside one of main's listheap calls; under a second of wall time. With
 * -icount the run is deterministic; vary -DSTRESS_RELOAD / -DSTRESS_SEED to get other runs.
 *
 * Board: compile with -DBOARD_MPS2_AN500 or -DBOARD_NETDUINOPLUS2: SysTick's clock differs
 * (25 MHz, 168 MHz in QEMU), hence the default reload; the name is printed.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "listheap.h"

/* ---------------------------------------------------------------- parameters */

#ifndef STRESS_ARENA_BYTES
#define STRESS_ARENA_BYTES 16384u
#endif
/* Operations of both sides together (malloc, free or realloc each) before the run ends. */
#ifndef STRESS_TOTAL_OPS
#define STRESS_TOTAL_OPS 200000u
#endif
/* SysTick reload (processor clock ticks) and the random extra added in every interrupt. QEMU
 * clocks SysTick at 25 MHz on mps2-an500 and 168 MHz on netduinoplus2; the defaults give both
 * about 2500 instructions between interrupts under -icount shift=6 (64 ns per instruction). */
#ifndef STRESS_RELOAD
#if defined(BOARD_NETDUINOPLUS2)
#define STRESS_RELOAD 26880u
#else
#define STRESS_RELOAD 4000u
#endif
#endif
#ifndef STRESS_JITTER
#if defined(BOARD_NETDUINOPLUS2)
#define STRESS_JITTER 1720u
#else
#define STRESS_JITTER 256u
#endif
#endif
/* Heap operations per interrupt. */
#ifndef STRESS_ISR_OPS
#define STRESS_ISR_OPS 2u
#endif
#ifndef STRESS_SEED
#define STRESS_SEED 1u
#endif
/* Below these the run is void (exit 2). */
#ifndef STRESS_MIN_IRQS
#define STRESS_MIN_IRQS 10000u
#endif
#ifndef STRESS_MIN_HITS
#define STRESS_MIN_HITS 2000u
#endif
#ifndef STRESS_MIN_MAIN_OPS
#define STRESS_MIN_MAIN_OPS 20000u
#endif

/* Live-block tables: at most MAIN_SLOTS + ISR_SLOTS blocks of MIN_SIZE..MAX_SIZE bytes. */
#ifndef MAIN_SLOTS
#define MAIN_SLOTS 96u
#endif
#ifndef ISR_SLOTS
#define ISR_SLOTS 48u
#endif
#define MIN_SIZE 8u
#define MAX_SIZE 256u
#define CHECK_EVERY 64u

#if defined(BOARD_MPS2_AN500)
#define BOARD_NAME "mps2-an500"
#elif defined(BOARD_NETDUINOPLUS2)
#define BOARD_NAME "netduinoplus2"
#else
#define BOARD_NAME "cortex-m"
#endif

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define BARRIER() __asm__ volatile("" ::: "memory")

/* ---------------------------------------------------------------- Cortex-M registers */

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* processor clock */
#define ICSR_PENDSTCLR (1u << 25)

static uint32_t ipsr(void) {
    uint32_t v;
    __asm__ volatile("mrs %0, ipsr" : "=r"(v));
    return v & 0x1FFu;
}

static uint32_t primask(void) {
    uint32_t v;
    __asm__ volatile("mrs %0, primask" : "=r"(v));
    return v & 1u;
}

static void irq_disable(void) {
    __asm__ volatile("cpsid i" ::: "memory");
}

static void irq_enable(void) {
    __asm__ volatile("cpsie i" ::: "memory");
}

/* ---------------------------------------------------------------- the two sides */

enum owner { OWNER_MAIN = 1, OWNER_ISR = 2 };

enum problem {
    P_NONE = 0,
    P_PATTERN,      /* a block's content differs from its owner's pattern */
    P_RANGE,        /* a returned pointer lies outside the arena or is misaligned */
    P_FAULT,        /* listheap_fault_hook() was called */
    P_CHECK,        /* listheap_check() found an inconsistency */
    P_OVERLAP,      /* two live blocks overlap (final shadow record) */
    P_USABLE,       /* listheap_usable_size() of a live block is 0 or too small */
    P_WALK,         /* listheap_walk() disagrees with the shadow record */
    P_STATS,        /* statistics disagree with the shadow record */
    P_DRAIN         /* after freeing everything the heap is not one free block */
};

static const char *const problem_names[] = {
    "none", "pattern mismatch", "pointer outside arena or misaligned", "fault hook called",
    "listheap_check failed", "live blocks overlap", "usable_size wrong for a live block",
    "walk disagrees with shadow record", "statistics disagree with shadow record",
    "heap not empty after freeing all"};

struct slot {
    unsigned char *p;
    uint32_t size;
    uint32_t gen;
};

struct side {
    struct slot *slots;
    uint32_t nslots;
    enum owner owner;
    uint32_t rng;
    uint32_t ops, mallocs, frees, reallocs, ooms;
    uint32_t faults, last_fault_kind;
    const void *last_fault_ptr;
    /* first problem found by this side */
    enum problem problem;
    uint32_t where_slot, where_offset, expected, found;
    const void *where_ptr;
};

static struct slot main_slots[MAIN_SLOTS];
static struct slot isr_slots[ISR_SLOTS];
static struct side main_side = {main_slots, MAIN_SLOTS, OWNER_MAIN, 0x9E3779B9u * STRESS_SEED, 0, 0, 0, 0, 0,
                                0, 0, NULL, P_NONE, 0, 0, 0, 0, NULL};
static struct side isr_side = {isr_slots, ISR_SLOTS, OWNER_ISR, 0x7F4A7C15u * STRESS_SEED + 1u, 0, 0, 0, 0, 0,
                               0, 0, NULL, P_NONE, 0, 0, 0, 0, NULL};

/* Written by main only. */
static volatile uint32_t main_in_heap; /* 1 while main is inside a listheap call */
static volatile uint32_t stop_isr;
/* Written by the ISR only. */
static volatile uint32_t irq_count;
static volatile uint32_t irq_hits; /* interrupts that arrived while main_in_heap */
static uint32_t jitter_rng = 0x2545F491u * STRESS_SEED;

static _Alignas(8) unsigned char arena[STRESS_ARENA_BYTES];

static uint32_t next_rand(uint32_t *state) {
    uint32_t x = *state; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* ---------------------------------------------------------------- patterns */

/* Word i of a block: owner (4 bits) | slot (8) | generation (12) | word index (8). The block
 * is the little-endian byte stream of these words, so any prefix can be checked and a foreign
 * word tells who wrote it. */
static uint32_t pattern_word(enum owner o, uint32_t slot, uint32_t gen, uint32_t i) {
    return ((uint32_t)o << 28) | ((slot & 0xFFu) << 20) | ((gen & 0xFFFu) << 8) | (i & 0xFFu);
}

static void fill(unsigned char *p, uint32_t size, enum owner o, uint32_t slot, uint32_t gen) {
    uint32_t words = size / 4u;
    uint32_t *w = (uint32_t *)(void *)p; /* malloc's pointers are 8-aligned (checked) */
    for (uint32_t i = 0; i < words; i++)
        w[i] = pattern_word(o, slot, gen, i);
    uint32_t tail = pattern_word(o, slot, gen, words);
    for (uint32_t b = words * 4u; b < size; b++)
        p[b] = (unsigned char)(tail >> (8u * (b % 4u)));
}

/* The first `size` bytes hold the pattern: 1, else 0 with offset/expected/found set. */
static int verify(const unsigned char *p, uint32_t size, enum owner o, uint32_t slot, uint32_t gen,
                  uint32_t *offset, uint32_t *expected, uint32_t *found) {
    uint32_t words = size / 4u;
    const uint32_t *w = (const uint32_t *)(const void *)p;
    for (uint32_t i = 0; i < words; i++) {
        uint32_t want = pattern_word(o, slot, gen, i);
        if (w[i] != want) {
            *offset = i * 4u;
            *expected = want;
            *found = w[i];
            return 0;
        }
    }
    uint32_t tail = pattern_word(o, slot, gen, words);
    for (uint32_t b = words * 4u; b < size; b++) {
        unsigned char want = (unsigned char)(tail >> (8u * (b % 4u)));
        if (p[b] != want) {
            *offset = b;
            *expected = want;
            *found = p[b];
            return 0;
        }
    }
    return 1;
}

static int in_arena(const unsigned char *p, uint32_t size) {
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)arena, hi = lo + sizeof arena;
    return a % LISTHEAP_ALIGNMENT == 0 && a >= lo + LISTHEAP_OVERHEAD && a <= hi && size <= hi - a;
}

static void set_problem(struct side *s, enum problem what, uint32_t slot, const void *ptr, uint32_t offset,
                        uint32_t expected, uint32_t found) {
    if (s->problem != P_NONE)
        return;
    s->where_slot = slot;
    s->where_ptr = ptr;
    s->where_offset = offset;
    s->expected = expected;
    s->found = found;
    s->problem = what;
}

/* ---------------------------------------------------------------- one operation */

/* Heap calls of main are bracketed by main_in_heap (busy != NULL); the ISR passes NULL. */
static void enter(volatile uint32_t *busy) {
    if (busy) {
        *busy = 1;
        BARRIER();
    }
}

static void leave(volatile uint32_t *busy) {
    if (busy) {
        BARRIER();
        *busy = 0;
    }
}

static int check_fresh(struct side *s, uint32_t i, const unsigned char *p, uint32_t size) {
    if (in_arena(p, size))
        return 1;
    set_problem(s, P_RANGE, i, p, 0, 0, size);
    return 0;
}

/* An empty slot gets a block; a live one is verified, then freed (3 in 4) or reallocated. */
static void do_op(struct side *s, volatile uint32_t *busy) {
    uint32_t r = next_rand(&s->rng);
    uint32_t i = r % s->nslots;
    struct slot *sl = &s->slots[i];
    uint32_t size = MIN_SIZE + (r >> 8) % (MAX_SIZE - MIN_SIZE + 1u);
    uint32_t off, want, got;
    s->ops++;
    if (!sl->p) {
        enter(busy);
        unsigned char *p = listheap_malloc(size);
        leave(busy);
        s->mallocs++;
        if (!p) {
            s->ooms++;
            return;
        }
        if (!check_fresh(s, i, p, size))
            return;
        sl->gen++;
        fill(p, size, s->owner, i, sl->gen);
        sl->p = p;
        sl->size = size;
        return;
    }
    if (!verify(sl->p, sl->size, s->owner, i, sl->gen, &off, &want, &got)) {
        set_problem(s, P_PATTERN, i, sl->p, off, want, got);
        return;
    }
    if ((r >> 30) == 0) { /* realloc */
        enter(busy);
        unsigned char *q = listheap_realloc(sl->p, size);
        leave(busy);
        s->reallocs++;
        if (!q) {
            s->ooms++; /* the old block stays */
            return;
        }
        if (!check_fresh(s, i, q, size))
            return;
        uint32_t keep = sl->size < size ? sl->size : size;
        if (!verify(q, keep, s->owner, i, sl->gen, &off, &want, &got)) {
            set_problem(s, P_PATTERN, i, q, off, want, got);
            return;
        }
        sl->gen++;
        fill(q, size, s->owner, i, sl->gen);
        sl->p = q;
        sl->size = size;
        return;
    }
    enter(busy);
    listheap_free(sl->p);
    leave(busy);
    s->frees++;
    sl->p = NULL;
    sl->size = 0;
}

/* ---------------------------------------------------------------- hooks and the interrupt */

static struct side *current_side(void) {
    return ipsr() != 0 ? &isr_side : &main_side;
}

void listheap_fault_hook(enum listheap_fault kind, const void *ptr) {
    struct side *s = current_side();
    s->faults++;
    s->last_fault_kind = (uint32_t)kind;
    s->last_fault_ptr = ptr;
    set_problem(s, P_FAULT, 0xFFFFFFFFu, ptr, 0, 0, (uint32_t)kind);
}

void listheap_oom_hook(size_t request) {
    (void)request; /* counted by do_op, which sees the NULL */
}

void SysTick_Handler(void);
void SysTick_Handler(void) {
    irq_count++;
    if (main_in_heap)
        irq_hits++;
    /* the next period: takes effect at the next reload */
    SYST_RVR = STRESS_RELOAD + next_rand(&jitter_rng) % STRESS_JITTER;
    if (stop_isr || isr_side.problem != P_NONE)
        return;
    if (isr_side.ops >= STRESS_TOTAL_OPS) {
        /* main got (almost) nothing done: interrupts come faster than this handler runs. Stop
         * the timer so that main can end the run (and report it void). */
        SYST_CSR = 0;
        return;
    }
    for (uint32_t k = 0; k < STRESS_ISR_OPS && isr_side.problem == P_NONE; k++)
        do_op(&isr_side, NULL);
}

static void timer_start(void) {
    SYST_CSR = 0;
    SYST_RVR = STRESS_RELOAD;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

static void timer_stop(void) {
    stop_isr = 1;
    SYST_CSR = 0;
    SCB_ICSR = ICSR_PENDSTCLR;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* ---------------------------------------------------------------- output without stdio */

struct line {
    char text[200];
    size_t len;
};

static void put_str(struct line *l, const char *s) {
    while (*s && l->len < sizeof l->text - 1)
        l->text[l->len++] = *s++;
}

static void put_dec(struct line *l, uint32_t v) {
    char d[10];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n > 0 && l->len < sizeof l->text - 1)
        l->text[l->len++] = d[--n];
}

static void put_hex(struct line *l, uint32_t v) {
    put_str(l, "0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        if (l->len < sizeof l->text - 1)
            l->text[l->len++] = "0123456789abcdef"[(v >> shift) & 0xFu];
}

static void put_kv(struct line *l, const char *key, uint32_t v) {
    put_str(l, key);
    put_dec(l, v);
}

static void emit(struct line *l, int fd) {
    put_str(l, "\n");
    (void)write(fd, l->text, l->len);
    l->len = 0;
}

/* ---------------------------------------------------------------- final shadow record */

struct shadow {
    const unsigned char *p;
    uint32_t size;
    enum owner owner;
    uint32_t slot;
};

static struct shadow shadow[MAIN_SLOTS + ISR_SLOTS];
static uint32_t shadow_count;

struct walk_state {
    uint32_t used, next, mismatches;
};

static void walk_visit(void *ctx, void *payload, size_t size, int used) {
    struct walk_state *w = ctx;
    if (!used)
        return;
    w->used++;
    /* address order on both sides: the k-th used block is the k-th shadow entry */
    if (w->next >= shadow_count || shadow[w->next].p != payload || size < shadow[w->next].size)
        w->mismatches++;
    w->next++;
}

static void shadow_collect(struct side *s) {
    for (uint32_t i = 0; i < s->nslots; i++)
        if (s->slots[i].p) {
            shadow[shadow_count].p = s->slots[i].p;
            shadow[shadow_count].size = s->slots[i].size;
            shadow[shadow_count].owner = s->owner;
            shadow[shadow_count].slot = i;
            shadow_count++;
        }
}

static struct side *side_of(enum owner o) {
    return o == OWNER_MAIN ? &main_side : &isr_side;
}

/* Everything about the live blocks of both sides; the finding goes to main_side. */
static int shadow_verify(void) {
    shadow_count = 0;
    shadow_collect(&main_side);
    shadow_collect(&isr_side);
    for (uint32_t k = 1; k < shadow_count; k++) { /* insertion sort by address */
        struct shadow e = shadow[k];
        uint32_t j = k;
        while (j > 0 && shadow[j - 1].p > e.p) {
            shadow[j] = shadow[j - 1];
            j--;
        }
        shadow[j] = e;
    }
    uint32_t off, want, got;
    for (uint32_t k = 0; k < shadow_count; k++) {
        const struct shadow *e = &shadow[k];
        const struct side *s = side_of(e->owner);
        if (!in_arena(e->p, e->size)) {
            set_problem(&main_side, P_RANGE, e->slot, e->p, 0, 0, e->size);
            return 0;
        }
        if (!verify(e->p, e->size, e->owner, e->slot, s->slots[e->slot].gen, &off, &want, &got)) {
            set_problem(&main_side, P_PATTERN, e->slot, e->p, off, want, got);
            return 0;
        }
        size_t usable = listheap_usable_size(e->p);
        if (usable < e->size) {
            set_problem(&main_side, P_USABLE, e->slot, e->p, 0, e->size, (uint32_t)usable);
            return 0;
        }
        /* the next block's header follows this block's usable bytes */
        if (k + 1 < shadow_count && e->p + usable + LISTHEAP_OVERHEAD > shadow[k + 1].p) {
            set_problem(&main_side, P_OVERLAP, e->slot, e->p, (uint32_t)usable,
                        (uint32_t)(uintptr_t)e->p, (uint32_t)(uintptr_t)shadow[k + 1].p);
            return 0;
        }
    }
    struct walk_state w = {0, 0, 0};
    listheap_walk(walk_visit, &w);
    if (w.mismatches || w.used != shadow_count) {
        set_problem(&main_side, P_WALK, 0, NULL, w.mismatches, shadow_count, w.used);
        return 0;
    }
    struct listheap_stats st;
    listheap_get_stats(&st);
    if (st.live_blocks != shadow_count || st.faults != 0) {
        set_problem(&main_side, P_STATS, 0, NULL, (uint32_t)st.faults, shadow_count, (uint32_t)st.live_blocks);
        return 0;
    }
    return 1;
}

static int drain(void) {
    for (uint32_t k = 0; k < shadow_count; k++)
        listheap_free((void *)(uintptr_t)shadow[k].p);
    struct listheap_stats st;
    listheap_get_stats(&st);
    int status = listheap_check();
    if (status != LISTHEAP_OK || st.used_bytes != 0 || st.live_blocks != 0 || st.free_blocks != 1) {
        set_problem(&main_side, P_DRAIN, 0, NULL, (uint32_t)status, 0, (uint32_t)st.used_bytes);
        return 0;
    }
    return 1;
}

/* Which library is linked: the walk's visitor runs under the heap lock, so PRIMASK is set
 * there with liblistheap_irq.a and clear with an unlocked (or newlib-locked) library. */
static void probe_visit(void *ctx, void *payload, size_t size, int used) {
    (void)payload;
    (void)size;
    (void)used;
    *(uint32_t *)ctx |= primask();
}

static uint32_t lock_masks_irqs(void) {
    uint32_t masked = 0;
    listheap_walk(probe_visit, &masked);
    return masked;
}

/* ---------------------------------------------------------------- report */

static void report_problem(const char *label, const struct side *s) {
    struct line l = {{0}, 0};
    put_str(&l, "irq_stress: DETECTED by ");
    put_str(&l, label);
    put_str(&l, ": ");
    put_str(&l, problem_names[s->problem]);
    switch (s->problem) {
    case P_PATTERN:
        put_kv(&l, ", slot ", s->where_slot);
        put_str(&l, " block ");
        put_hex(&l, (uint32_t)(uintptr_t)s->where_ptr);
        put_kv(&l, " offset ", s->where_offset);
        put_str(&l, ": expected ");
        put_hex(&l, s->expected);
        put_str(&l, " found ");
        put_hex(&l, s->found);
        if (s->where_offset % 4u == 0 && (s->found >> 28) >= OWNER_MAIN && (s->found >> 28) <= OWNER_ISR) {
            put_str(&l, (s->found >> 28) == OWNER_MAIN ? " (main's" : " (the ISR's");
            put_kv(&l, " slot ", (s->found >> 20) & 0xFFu);
            put_str(&l, (s->found >> 28) == (uint32_t)s->owner && ((s->found >> 20) & 0xFFu) == s->where_slot
                            ? ", an older generation)"
                            : ")");
        }
        break;
    case P_RANGE:
        put_kv(&l, ", slot ", s->where_slot);
        put_str(&l, " got ");
        put_hex(&l, (uint32_t)(uintptr_t)s->where_ptr);
        put_kv(&l, " for ", s->found);
        put_str(&l, " bytes; arena ");
        put_hex(&l, (uint32_t)(uintptr_t)arena);
        put_kv(&l, "+", (uint32_t)sizeof arena);
        break;
    case P_FAULT:
        put_kv(&l, ", kind ", s->last_fault_kind);
        put_str(&l, " ptr ");
        put_hex(&l, (uint32_t)(uintptr_t)s->last_fault_ptr);
        put_kv(&l, ", faults ", s->faults);
        break;
    case P_CHECK:
    case P_DRAIN:
        put_str(&l, ", status ");
        put_str(&l, (int32_t)s->where_offset < 0 ? "-" : "");
        put_dec(&l, (int32_t)s->where_offset < 0 ? 0u - s->where_offset : s->where_offset);
        if (s->problem == P_CHECK)
            put_kv(&l, " after main op ", s->found);
        break;
    case P_OVERLAP:
        put_str(&l, ", block ");
        put_hex(&l, s->expected);
        put_kv(&l, " usable ", s->where_offset);
        put_str(&l, " runs into ");
        put_hex(&l, s->found);
        break;
    default:
        put_kv(&l, ", detail ", s->where_offset);
        put_kv(&l, " expected ", s->expected);
        put_kv(&l, " found ", s->found);
        break;
    }
    emit(&l, 2);
}

static void report_summary(const char *verdict, uint32_t lock_masks) {
    uint32_t n = irq_count, hits = irq_hits;
    struct line l = {{0}, 0};
    put_str(&l, "irq_stress ");
    put_str(&l, BOARD_NAME);
    put_str(&l, ": ");
    put_str(&l, verdict);
    put_kv(&l, " ops=", main_side.ops + isr_side.ops);
    put_kv(&l, " main_ops=", main_side.ops);
    put_kv(&l, " isr_ops=", isr_side.ops);
    put_kv(&l, " irqs=", n);
    put_kv(&l, " hits_in_main_heap_calls=", hits);
    put_kv(&l, " (", n ? (uint32_t)((uint64_t)hits * 1000u / n) / 10u : 0u);
    put_kv(&l, ".", n ? (uint32_t)((uint64_t)hits * 1000u / n) % 10u : 0u);
    put_str(&l, "%)");
    emit(&l, 1);
    put_str(&l, "irq_stress detail: main malloc/realloc/free/oom=");
    put_dec(&l, main_side.mallocs);
    put_kv(&l, "/", main_side.reallocs);
    put_kv(&l, "/", main_side.frees);
    put_kv(&l, "/", main_side.ooms);
    put_kv(&l, " isr=", isr_side.mallocs);
    put_kv(&l, "/", isr_side.reallocs);
    put_kv(&l, "/", isr_side.frees);
    put_kv(&l, "/", isr_side.ooms);
    put_kv(&l, " faults=", main_side.faults + isr_side.faults);
    put_kv(&l, " reload=", STRESS_RELOAD);
    put_kv(&l, "+", STRESS_JITTER);
    put_kv(&l, " arena=", STRESS_ARENA_BYTES);
    put_str(&l, lock_masks ? " lock=masks-irqs" : " lock=does-not-mask");
    emit(&l, 1);
}

/* ---------------------------------------------------------------- main */

int main(void) {
    if (listheap_init(arena, sizeof arena) != LISTHEAP_OK) {
        struct line l = {{0}, 0};
        put_str(&l, "irq_stress: listheap_init failed");
        emit(&l, 2);
        return 1;
    }
    uint32_t lock_masks = lock_masks_irqs();
    timer_start();
    uint32_t since_check = 0;
    while (main_side.problem == P_NONE && READ_ONCE(isr_side.problem) == P_NONE &&
           main_side.ops + READ_ONCE(isr_side.ops) < STRESS_TOTAL_OPS) {
        do_op(&main_side, &main_in_heap);
        if (++since_check == CHECK_EVERY) {
            since_check = 0;
            irq_disable(); /* the test's own serialisation: a finding is real corruption */
            int status = listheap_check();
            irq_enable();
            if (status != LISTHEAP_OK)
                set_problem(&main_side, P_CHECK, 0, NULL, (uint32_t)status, 0, main_side.ops);
        }
    }
    timer_stop();

    int ok = main_side.problem == P_NONE && isr_side.problem == P_NONE;
    if (ok) {
        int status = listheap_check();
        if (status != LISTHEAP_OK) {
            set_problem(&main_side, P_CHECK, 0, NULL, (uint32_t)status, 0, main_side.ops);
            ok = 0;
        }
    }
    ok = ok && shadow_verify() && drain();
    if (!ok) {
        if (isr_side.problem != P_NONE)
            report_problem("ISR", &isr_side);
        if (main_side.problem != P_NONE)
            report_problem("main", &main_side);
        report_summary("FAIL", lock_masks);
        return 1;
    }
    if (irq_count < STRESS_MIN_IRQS || irq_hits < STRESS_MIN_HITS || main_side.ops < STRESS_MIN_MAIN_OPS) {
        report_summary("VOID (too few interrupts or hits; run under QEMU with -icount)", lock_masks);
        return 2;
    }
    report_summary("PASS", lock_masks);
    return 0;
}
