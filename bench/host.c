/*
 * host.c - the workloads on the host, for the callgrind cross-check (bench/bench.mk).
 *
 * Built with gcc -m32 (ILP32, like Cortex-M) against listheap's sources compiled as the
 * library is (-Os), and run under valgrind --tool=callgrind: bench/report.py reads, from the
 * callgrind output, the inclusive instructions of the calls bench_malloc & co. make to
 * listheap_malloc & co. and divides by the number of calls. The heap is a static region of
 * BENCH_HEAP_BYTES given to listheap_init (the host has no linker heap).
 *
 * Usage: bench_host <workload>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "listheap.h"

#ifndef BENCH_HEAP_BYTES
#define BENCH_HEAP_BYTES 65536u
#endif

static _Alignas(8) unsigned char arena[BENCH_HEAP_BYTES];
static unsigned long calls[OP_COUNT];

/* noinline: each is a distinct caller in callgrind's call graph */
__attribute__((noinline)) void *bench_malloc(size_t n) {
    calls[OP_MALLOC]++;
    return listheap_malloc(n);
}
__attribute__((noinline)) void bench_free(void *p) {
    calls[OP_FREE]++;
    listheap_free(p);
}
__attribute__((noinline)) void *bench_realloc(void *p, size_t n) {
    calls[OP_REALLOC]++;
    return listheap_realloc(p, n);
}
__attribute__((noinline)) void *bench_calloc(size_t count, size_t size) {
    calls[OP_CALLOC]++;
    return listheap_calloc(count, size);
}

/* callgrind counts the warm-up calls too; so do the N lines, so both agree */
void bench_reset_samples(void) {}

void bench_metric(const char *name, uint32_t value) {
    printf("M %s %u\n", name, value);
}

size_t bench_heap_bytes(void) {
    return BENCH_HEAP_BYTES;
}

void bench_puts(const char *s) {
    fputs(s, stdout);
}

void bench_putu(uint64_t v) {
    printf("%llu", (unsigned long long)v);
}

void bench_flush(void) {
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <workload>\n", argv[0]);
        return 2;
    }
    if (listheap_init(arena, sizeof arena) != LISTHEAP_OK)
        return 2;
    printf("B listheap-host %s\n", argv[1]);
    int status = bench_run_workload(argv[1]);
    static const char *const names[OP_COUNT] = {"malloc", "free", "realloc", "calloc"};
    for (int op = 0; op < OP_COUNT; op++)
        printf("N %s %lu\n", names[op], calls[op]);
    printf("E %d\n", status);
    return status;
}
