/*
 * The seed's two experiments, in C on listheap (`make run` shows this under QEMU; `make test`
 * runs it and checks its exit code).
 *
 * The seed handed a C array to a Rust heap (construct(heap, size)) and boxed the string
 * "again,hello" in a loop: without freeing, a 150-byte heap ran out after a few boxes and the
 * OOM handler panicked; freeing each box, every iteration got the same address. Here the box
 * is a struct holding a heap copy of the string, allocated with ordinary malloc/free.
 *
 * Like the seed's print_pointer, nothing here prints through stdio: newlib's stdio would want
 * 428 bytes of FILE structures and a 1 KiB buffer, which a 150-byte heap cannot hold. Lines
 * are formatted into a stack buffer and written with write().
 *
 * Then, on the whole linker-script heap (512 KiB, the STM32H750's AXI SRAM), a few blocks are
 * allocated and freed and the heap map and statistics are printed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listheap.h"

/* ---------------------------------------------------------------- output without stdio */

struct line {
    char text[96];
    size_t len;
};

static void put_str(struct line *l, const char *s) {
    while (*s && l->len < sizeof l->text - 1)
        l->text[l->len++] = *s++;
}

static void put_hex(struct line *l, uintptr_t v) {
    put_str(l, "0x");
    for (int shift = (int)(sizeof v * 8) - 4; shift >= 0; shift -= 4) {
        char digit[2] = {"0123456789abcdef"[(v >> shift) & 0xFu], 0};
        put_str(l, digit);
    }
}

static void put_dec(struct line *l, size_t v) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n > 0) {
        char digit[2] = {digits[--n], 0};
        put_str(l, digit);
    }
}

static void emit(struct line *l) {
    put_str(l, "\n");
    (void)write(1, l->text, l->len);
    l->len = 0;
}

static void print_pointer(const char *label, const void *p) {
    struct line l = {{0}, 0};
    put_str(&l, label);
    put_str(&l, ":");
    put_hex(&l, (uintptr_t)p);
    emit(&l);
}

static void print_value(const char *label, size_t v) {
    struct line l = {{0}, 0};
    put_str(&l, label);
    put_dec(&l, v);
    emit(&l);
}

/* The seed's alloc_error_handler panicked; this one reports and lets malloc return NULL. */
#ifdef BOARD_STM32H750
/* The free-list link secret from the H750's hardware RNG (RM0433: RCC at 0x58024400, RNG at
 * 0x48021800; the RNG's default kernel clock is HSI48). Called once, under the heap's lock,
 * when the heap is initialised: bounded waits, and a constant if the RNG never delivers. */
#define H7_REG(addr) (*(volatile uint32_t *)(addr))
uintptr_t listheap_secret_hook(void) {
    H7_REG(0x58024400u) |= 1u << 12; /* RCC_CR.HSI48ON */
    for (unsigned n = 0; n < 100000u && !(H7_REG(0x58024400u) & (1u << 13)); n++) {
    }
    H7_REG(0x580244DCu) |= 1u << 6; /* RCC_AHB2ENR.RNGEN */
    H7_REG(0x48021800u) |= 1u << 2; /* RNG_CR.RNGEN */
    for (unsigned n = 0; n < 100000u; n++)
        if ((H7_REG(0x48021804u) & 7u) == 1u) /* RNG_SR: data ready, no clock or seed error */
            return H7_REG(0x48021808u);        /* RNG_DR */
    return 0x9E3779B9u;
}
#endif

static int oom_reported;
void listheap_oom_hook(size_t request) {
    struct line l = {{0}, 0};
    put_str(&l, "panic: OOM (memory allocation of ");
    put_dec(&l, request);
    put_str(&l, " bytes failed)");
    emit(&l);
    oom_reported++;
}

/* ---------------------------------------------------------------- the seed's heap_test */

struct boxed_string {
    char *text;
    size_t len;
};

static struct boxed_string *heap_test(void) {
    struct boxed_string *box = malloc(sizeof *box);
    if (!box)
        return NULL;
    box->text = malloc(sizeof "again,hello");
    if (!box->text) {
        free(box);
        return NULL;
    }
    memcpy(box->text, "again,hello", sizeof "again,hello");
    box->len = sizeof "again,hello" - 1;
    return box;
}

static void heap_free(struct boxed_string *box) {
    free(box->text);
    free(box);
}

/* Experiment 1: allocate without freeing until the heap runs out. Returns the box count. */
static int allocate_until_oom(void) {
    static struct boxed_string *boxes[32];
    int n = 0;
    while (n < 32) {
        struct boxed_string *box = heap_test();
        if (!box)
            break;
        print_pointer("Boxed", box);
        boxes[n++] = box;
    }
    for (int i = 0; i < n; i++)
        heap_free(boxes[i]);
    return n;
}

/* Experiment 2: allocate and free; 1 if every iteration got the same address. */
static int allocate_and_free(int iterations) {
    const void *first = NULL;
    int same = 1;
    for (int i = 0; i < iterations; i++) {
        struct boxed_string *box = heap_test();
        if (!box)
            return 0;
        print_pointer("Boxed", box);
        if (i == 0)
            first = box;
        same &= (const void *)box == first;
        heap_free(box);
    }
    return same;
}

/* ---------------------------------------------------------------- heap map */

static void print_block(void *ctx, void *payload, size_t size, int used) {
    (void)ctx;
    struct line l = {{0}, 0};
    put_str(&l, used ? "  used " : "  free ");
    put_hex(&l, (uintptr_t)payload);
    put_str(&l, "  ");
    put_dec(&l, size);
    put_str(&l, " bytes");
    emit(&l);
}

static void print_stats(void) {
    struct listheap_stats s;
    listheap_get_stats(&s);
    print_value("  total bytes        ", s.total_bytes);
    print_value("  used bytes         ", s.used_bytes);
    print_value("  free bytes         ", s.free_bytes);
    print_value("  peak used bytes    ", s.peak_used_bytes);
    print_value("  largest free block ", s.largest_free_block);
    print_value("  free blocks        ", s.free_blocks);
    print_value("  allocations        ", s.allocations);
    print_value("  frees              ", s.frees);
    print_value("  failures           ", s.failures);
}

extern unsigned char __heap_start[], __heap_end[];

static int show_big_heap(void) {
    size_t size = (size_t)(__heap_end - __heap_start);
    if (listheap_init(__heap_start, size) != LISTHEAP_OK)
        return 0;
    print_pointer("\nLinker heap", __heap_start);
    print_value("Linker heap bytes: ", size);
    void *keep[6];
    static const size_t sizes[] = {16, 100, 2048, 24, 512, 64};
    for (int i = 0; i < 6; i++)
        keep[i] = malloc(sizes[i]);
    free(keep[1]);
    free(keep[4]);
    (void)write(1, "Heap map:\n", 10);
    listheap_walk(print_block, NULL);
    (void)write(1, "Statistics:\n", 12);
    print_stats();
    int ok = listheap_check() == LISTHEAP_OK;
    for (int i = 0; i < 6; i++)
        if (i != 1 && i != 4)
            free(keep[i]);
    return ok;
}

int main(void) {
    static char heap[150]; /* as firmware hands over `char heap[150]` */
    if (listheap_init(heap, sizeof heap) != LISTHEAP_OK)
        return 2;
    print_pointer("HeapHead", heap);

    (void)write(1, "-- allocate, never free --\n", 27);
    int boxes = allocate_until_oom();
    print_value("boxes before OOM: ", (size_t)boxes);

    (void)write(1, "-- allocate and free --\n", 24);
    int same = allocate_and_free(5);
    (void)write(1, same ? "same address every time\n" : "ADDRESS CHANGED\n", same ? 24 : 16);

    int big_ok = show_big_heap();
    return (boxes >= 1 && oom_reported == 1 && same && big_ok) ? 0 : 1;
}
