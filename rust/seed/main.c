/*
 * The seed's experiment with its Rust side in Rust (rust/seed/lib.rs, a no_std staticlib with
 * listheap as its global allocator): `make run-rust` runs it on QEMU's mps2-an500, `make
 * test-rust` checks what it prints and its exit status (0 when every expectation held).
 *
 *  1. construct(heap, 150), then heap_test() without heap_free: boxes at successive
 *     addresses until the heap runs out. listheap's OOM hook reports first, then Rust's
 *     allocation-error handler panics and the panic handler calls rust_panicked() here. The
 *     seed's board stopped there; this test bench takes the panic as the end of experiment 1
 *     and goes on (rust_panicked never returns; the abandoned Rust frames are never resumed).
 *  2. The blocks experiment 1 left live are freed (found with listheap_walk), construct(heap,
 *     150) again, and heap_test() + heap_free() five times: the same address every time.
 *  3. The whole linker-script heap (512 KiB): C malloc, newlib's printf (its FILE structures
 *     and stdout buffer) and Rust's Vec/String growth, in one heap map.
 *
 * Phases 1 and 2 print with write(), as seed_demo.c does: newlib's stdio would want 1.4 KiB
 * of heap, which a 150-byte heap cannot hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listheap.h"

/* rust/seed/lib.rs */
int construct(unsigned char *begin, size_t size);
const unsigned char *heap_test(void);
void heap_free(const unsigned char *box);
const unsigned char *boxed_str(const unsigned char *box);
struct rust_blocks {
    uint32_t *vec;
    size_t vec_len, vec_cap, vec_moves;
    unsigned char *string;
    size_t string_len, string_cap;
};
void rust_grow(uint32_t n, struct rust_blocks *out);
int rust_release(const struct rust_blocks *blocks);
_Noreturn void rust_panicked(const char *msg, size_t len);

/* ---------------------------------------------------------------- output without stdio */

static void put(const char *s) {
    (void)write(1, s, strlen(s));
}

static void print_pointer(const char *label, const void *p) {
    char text[40] = {0};
    uintptr_t v = (uintptr_t)p;
    char *t = text;
    for (const char *l = label; *l && t < text + 20; l++)
        *t++ = *l;
    *t++ = ':';
    *t++ = '0';
    *t++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4)
        *t++ = "0123456789abcdef"[(v >> shift) & 0xFu];
    *t++ = '\n';
    (void)write(1, text, (size_t)(t - text));
}

static void print_number(unsigned n) {
    char digits[12];
    int i = (int)sizeof digits;
    do {
        digits[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n && i > 0);
    (void)write(1, digits + i, sizeof digits - (size_t)i);
}

static void print_count(const char *label, unsigned n) {
    put(label);
    print_number(n);
    put("\n");
}

static int contains(const char *text, size_t len, const char *word) {
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(text + i, word, n) == 0)
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- hooks */

static unsigned oom_reports;
void listheap_oom_hook(size_t request) {
    put("OOM: listheap_oom_hook(");
    print_number((unsigned)request);
    put(")\n");
    oom_reports++;
}

/* ---------------------------------------------------------------- the experiments */

static unsigned char heap[150]; /* the seed's BC26Heap, 150 bytes as in its first experiment */
static int phase;
static unsigned boxes;
static int failed;

static void expect(int ok, const char *what) {
    if (!ok) {
        put("FAILED: ");
        put(what);
        put("\n");
        failed = 1;
    }
}

/* Experiment 1: ends in Rust's panic handler, which calls rust_panicked(). */
static void allocate_until_oom(void) {
    expect(construct(heap, sizeof heap) == 0, "construct(heap, 150)");
    print_pointer("HeapHead", heap);
    put("-- heap_test without heap_free --\n");
    while (boxes < 32) {
        const unsigned char *box = heap_test();
        print_pointer("Boxed", box);
        boxes++;
    }
    expect(0, "32 boxes in a 150-byte heap and no OOM");
}

#define MAX_BLOCKS 64
struct map_entry {
    void *payload;
    size_t size;
    int used;
};
static struct map_entry map[MAX_BLOCKS];
static unsigned map_count;

static void record(void *ctx, void *payload, size_t size, int used) {
    (void)ctx;
    if (map_count < MAX_BLOCKS)
        map[map_count] = (struct map_entry){payload, size, used};
    map_count++;
}

static void take_map(void) {
    map_count = 0;
    listheap_walk(record, NULL);
}

/* What a panicked experiment leaked: every live block, freed after the walk (its visitor
 * must not free). */
static unsigned reclaim(void) {
    take_map();
    unsigned n = 0;
    for (unsigned i = 0; i < map_count && i < MAX_BLOCKS; i++)
        if (map[i].used) {
            free(map[i].payload);
            n++;
        }
    return n;
}

/* Experiment 2: 1 if every iteration got the same address. */
static int allocate_and_free(int iterations) {
    const unsigned char *first = NULL;
    int same = 1;
    put("-- heap_test + heap_free --\n");
    for (int i = 0; i < iterations; i++) {
        const unsigned char *box = heap_test();
        print_pointer("Boxed", box);
        if (i == 0) {
            first = box;
            print_pointer("  its string bytes", boxed_str(box));
        }
        same &= box == first;
        heap_free(box);
    }
    return same;
}

extern unsigned char __heap_start[], __heap_end[];

static const char *owner(const struct map_entry *e, const void *c_block, const struct rust_blocks *rb) {
    if (!e->used)
        return "free";
    if (e->payload == c_block)
        return "C malloc";
    if (e->payload == rb->vec)
        return "Rust Vec<u32>";
    if (e->payload == rb->string)
        return "Rust String";
    if (e->payload == stdout->_bf._base)
        return "newlib stdout buffer";
    return "newlib (stdio FILE structures)";
}

static int in_map_used(const void *p) {
    for (unsigned i = 0; i < map_count && i < MAX_BLOCKS; i++)
        if (map[i].payload == p)
            return map[i].used;
    return 0;
}

static int in_linker_heap(const void *p) {
    return (const unsigned char *)p >= __heap_start && (const unsigned char *)p < __heap_end;
}

/* Experiment 3: C, newlib and Rust in the linker-script heap. */
static void share_the_linker_heap(void) {
    size_t size = (size_t)(__heap_end - __heap_start);
    expect(listheap_init(__heap_start, size) == LISTHEAP_OK, "listheap_init(linker heap)");
    char *c_block = malloc(100);
    expect(c_block != NULL, "C malloc(100)");
    if (c_block)
        strcpy(c_block, "from C");
    printf("\n-- one heap: linker heap at %p, %lu bytes --\n", (void *)__heap_start, (unsigned long)size);
    struct rust_blocks rb;
    rust_grow(1000, &rb);
    printf("Rust Vec<u32>: %lu elements, capacity %lu, buffer moved %lu times while growing\n",
           (unsigned long)rb.vec_len, (unsigned long)rb.vec_cap, (unsigned long)rb.vec_moves);
    printf("Rust String: %lu bytes, capacity %lu\n", (unsigned long)rb.string_len, (unsigned long)rb.string_cap);
    take_map(); /* nothing may allocate between the walk and the printing: printf's buffer exists */
    printf("Heap map (listheap_walk): %u blocks\n", map_count);
    for (unsigned i = 0; i < map_count && i < MAX_BLOCKS; i++)
        printf("  %s %p %6lu bytes  %s\n", map[i].used ? "used" : "free", map[i].payload,
               (unsigned long)map[i].size, owner(&map[i], c_block, &rb));
    expect(map_count <= MAX_BLOCKS, "heap map fits the table");
    expect(in_linker_heap(c_block) && in_map_used(c_block), "C block in the map, used");
    expect(in_linker_heap(rb.vec) && in_map_used(rb.vec), "Rust Vec in the map, used");
    expect(in_linker_heap(rb.string) && in_map_used(rb.string), "Rust String in the map, used");
    expect(in_linker_heap(stdout->_bf._base) && in_map_used(stdout->_bf._base), "stdout buffer in the map, used");
    expect(rb.vec_len == 1000 && rb.vec_moves >= 2, "the Vec grew, moving");
    expect(listheap_check() == LISTHEAP_OK, "listheap_check with all three");

    struct listheap_stats s;
    listheap_get_stats(&s);
    printf("Statistics: %lu live blocks, %lu used bytes, peak %lu, %lu allocations, %lu frees, %lu failures\n",
           (unsigned long)s.live_blocks, (unsigned long)s.used_bytes, (unsigned long)s.peak_used_bytes,
           (unsigned long)s.allocations, (unsigned long)s.frees, (unsigned long)s.failures);
    size_t live = s.live_blocks;
    expect(rust_release(&rb) == 1, "Rust's blocks intact when released");
    free(c_block);
    listheap_get_stats(&s);
    expect(s.live_blocks == live - 3, "Rust's and C's blocks freed");
    expect(listheap_check() == LISTHEAP_OK, "listheap_check after the frees");
}

_Noreturn void rust_panicked(const char *msg, size_t len) {
    put("panic: ");
    (void)write(1, msg, len);
    put("\n");
    if (phase != 1) {
        put("FAILED: unexpected panic\n");
        exit(1);
    }
    phase = 2;
    print_count("boxes before OOM: ", boxes);
    expect(boxes >= 1 && oom_reports == 1, "boxes, then one OOM report");
    expect(contains(msg, len, "memory allocation of"), "the panic is Rust's allocation error");
    print_count("blocks reclaimed after the panic: ", reclaim());
    expect(construct(heap, sizeof heap) == 0, "construct(heap, 150) again");
    int same = allocate_and_free(5);
    put(same ? "same address every time\n" : "ADDRESS CHANGED\n");
    expect(same, "same address every time");
    phase = 3;
    share_the_linker_heap();
    printf("seed_rust: %s\n", failed ? "FAILED" : "every expectation held");
    exit(failed);
}

int main(void) {
    phase = 1;
    allocate_until_oom();
    return 1; /* experiment 1 ends in rust_panicked */
}
