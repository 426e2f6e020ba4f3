/*
 * bench.h - what the workloads (workloads.c) see of the platform that runs them.
 *
 * The same workloads.c is built for the target (bench/target.c: every call timed in
 * instructions under QEMU -icount) and for the host (bench/host.c: run under callgrind).
 * Workloads call the allocator only through bench_malloc/free/realloc/calloc, which the
 * platform times and records per operation; they report other figures with bench_metric().
 * Nothing here allocates: output is formatted into static buffers.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

enum bench_op { OP_MALLOC, OP_FREE, OP_REALLOC, OP_CALLOC, OP_COUNT };

void *bench_malloc(size_t n);
void bench_free(void *p);
void *bench_realloc(void *p, size_t n);
void *bench_calloc(size_t count, size_t size);

/* Forget the samples taken so far (after the warm-up call). */
void bench_reset_samples(void);
/* "M <name> <value>" in the output. */
void bench_metric(const char *name, uint32_t value);
/* Size of the heap region every allocator is given (BENCH_HEAP_BYTES). */
size_t bench_heap_bytes(void);

/* Fixed-seed generator (xorshift32), identical on every platform. */
static inline uint32_t bench_rand(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}
/* Uniform in [lo, hi] (hi - lo < 2^16: the modulo bias is below 2^-16). */
static inline uint32_t bench_range(uint32_t *state, uint32_t lo, uint32_t hi) {
    return lo + bench_rand(state) % (hi - lo + 1u);
}

/* Workloads: 0 on success, nonzero when the allocator misbehaved (returned overlapping or
 * damaged memory). Allocation failures are counted, not errors (metric "failures"). */
int bench_run_workload(const char *name);

/* Output, provided by the platform. */
void bench_puts(const char *s);
void bench_putu(uint64_t v);
void bench_flush(void);

#endif /* BENCH_H */
