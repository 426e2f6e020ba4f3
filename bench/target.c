/*
 * target.c - the benchmark firmware's platform layer on QEMU mps2-an500 (Cortex-M7).
 *
 * Every allocator is linked into the same program (bench/workloads.c + this file) and runs
 * one workload per QEMU run, named on the command line (QEMU -append, read with semihosting
 * SYS_GET_CMDLINE), on a fresh heap. Each malloc/free/realloc/calloc is timed by bench_call
 * (timing.S) with the CMSDK timer 0, which QEMU -icount drives from the instruction count:
 * a deterministic virtual clock. The conversion from ticks to instructions is calibrated at
 * start-up against code of known length (bench_ret1: 1 instruction, bench_loop: 2n + 1), and
 * the workload "calib" prints that calibration for n = 1 .. 100000.
 *
 * Output (semihosting SYS_WRITE to ":tt", QEMU's stdout), one record a line, parsed by bench/report.py:
 *   B <alloc> <workload>                     header
 *   K <base ticks> <ticks for L instr> <L>    the calibration in force
 *   M <name> <value>                         a figure the workload reports (warmup_malloc and
 *                                            warmup_free: the first calls, left out of S)
 *   S <op> <calls> <sum> <p50> <p99> <max> <index of the max call>   instructions per call
 *   L <samples> <masked samples> <max masked instr> <baseline ticks>  (latency builds)
 *   E <status>                               end; the exit status is the same
 *
 * BENCH_LATENCY=1 builds the interrupt-latency variant: before every timed call, timer 1 is
 * armed to expire at a pseudo-random point 0..BENCH_LAT_SPAN instructions later; its handler
 * measures how long after expiry it ran. Its excess over the unmasked baseline is the time
 * interrupts were masked at that point. The per-call instruction figures of such a run
 * include the handler and are not reported.
 *
 * Nothing here allocates or uses stdio. Samples live above the heap, in the 16 MiB RAM at
 * 0x60000000 (the heap is [0x60000000, +BENCH_HEAP_BYTES)).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

#ifndef BENCH_ALLOC_NAME
#define BENCH_ALLOC_NAME "unknown"
#endif
#ifndef BENCH_HEAP_BYTES
#define BENCH_HEAP_BYTES 65536u
#endif
#ifndef BENCH_LATENCY
#define BENCH_LATENCY 0
#endif
#ifndef BENCH_LAT_SPAN
#define BENCH_LAT_SPAN 400u /* instructions: covers the harness and the longest ordinary call */
#endif

/* ---------------------------------------------------------------- semihosting */
static int semihost(int op, const volatile void *arg) {
    register int r0 __asm__("r0") = op;
    register const volatile void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static char outbuf[2048];
static size_t outlen;
static int out_handle = -1;

/* stdout: semihosting ":tt" opened for writing (SYS_WRITE0 would go to QEMU's stderr) */
void bench_flush(void) {
    if (!outlen)
        return;
    if (out_handle < 0) {
        volatile uint32_t open_block[3] = {(uint32_t)(uintptr_t)":tt", 4u /* "w" */, 3u};
        out_handle = semihost(0x01, open_block); /* SYS_OPEN */
    }
    volatile uint32_t block[3] = {(uint32_t)out_handle, (uint32_t)(uintptr_t)outbuf, (uint32_t)outlen};
    semihost(0x05, block); /* SYS_WRITE */
    outlen = 0;
}

void bench_puts(const char *s) {
    while (*s) {
        if (outlen == sizeof outbuf - 1)
            bench_flush();
        outbuf[outlen++] = *s++;
    }
}

void bench_putu(uint64_t v) {
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    char s[24];
    int j = 0;
    while (i)
        s[j++] = tmp[--i];
    s[j] = 0;
    bench_puts(s);
}

static void bench_exit(int status) {
    bench_flush();
    uint32_t block[2] = {0x20026u, (uint32_t)status}; /* ADP_Stopped_ApplicationExit */
    semihost(0x20, block);                           /* SYS_EXIT_EXTENDED */
    for (;;)
        ;
}

void bench_metric(const char *name, uint32_t value) {
    bench_puts("M ");
    bench_puts(name);
    bench_puts(" ");
    bench_putu(value);
    bench_puts("\n");
}

size_t bench_heap_bytes(void) {
    return BENCH_HEAP_BYTES;
}

/* ---------------------------------------------------------------- timers */
#define TIMER0_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)
#define TIMER1_CTRL (*(volatile uint32_t *)0x40001000u)
#define TIMER1_VALUE (*(volatile uint32_t *)0x40001004u)
#define TIMER1_RELOAD (*(volatile uint32_t *)0x40001008u)
#define TIMER1_INTCLEAR (*(volatile uint32_t *)0x4000100Cu)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define TIMER_ENABLE 1u
#define TIMER_IRQ_ENABLE 8u
#define TIMER1_IRQ 9u

uint32_t bench_call(void *fn, uint32_t a0, uint32_t a1, uint32_t a2);
uint32_t bench_ret1(void);
void bench_loop(uint32_t n);
extern uint32_t bench_ret;

/* Calibration: ticks of a call to a 1-instruction function, and ticks per CAL_L instructions. */
#define CAL_N 50000u
#define CAL_L (2u * CAL_N)
static uint32_t cal_base, cal_ticks;

static uint32_t to_instr(uint32_t ticks) {
    uint64_t d = ticks >= cal_base ? ticks - cal_base : 0;
    return (uint32_t)((d * CAL_L + cal_ticks / 2u) / cal_ticks) + 1u;
}

static void timer_start(void) {
    TIMER0_CTRL = 0;
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = TIMER_ENABLE;
}

static int calibrate(void) {
    uint32_t b1 = bench_call((void *)bench_ret1, 0, 0, 0);
    uint32_t b2 = bench_call((void *)bench_ret1, 0, 0, 0);
    cal_base = b1 < b2 ? b1 : b2;
    uint32_t t = bench_call((void *)bench_loop, CAL_N, 0, 0);
    cal_ticks = t - cal_base; /* CAL_L = 2n instructions beyond bench_ret1's one */
    return cal_ticks > 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- samples and statistics */
#define SAMPLE_CAP (256u * 1024u)
#define SAMPLES(op) ((uint32_t *)(0x60100000u + (uint32_t)(op) * SAMPLE_CAP * 4u))
#if BENCH_LATENCY
static uint32_t lat_samples, lat_masked, lat_max_instr;
#endif
static uint32_t sample_count[OP_COUNT];
static uint64_t sample_sum[OP_COUNT];
static uint32_t sample_max[OP_COUNT], sample_argmax[OP_COUNT];

static void record(enum bench_op op, uint32_t ticks) {
    uint32_t instr = to_instr(ticks);
    uint32_t i = sample_count[op]++;
    if (i < SAMPLE_CAP)
        SAMPLES(op)[i] = instr;
    sample_sum[op] += instr;
    if (instr > sample_max[op]) {
        sample_max[op] = instr;
        sample_argmax[op] = i;
    }
}

/* Called once, after the warm-up malloc(1)/free of bench/workloads.c: their cost (the first
 * call on a fresh heap, where an allocator may set itself up) is printed, then forgotten. */
void bench_reset_samples(void) {
    if (sample_count[OP_MALLOC])
        bench_metric("warmup_malloc", (uint32_t)sample_sum[OP_MALLOC]);
    if (sample_count[OP_FREE])
        bench_metric("warmup_free", (uint32_t)sample_sum[OP_FREE]);
    for (int op = 0; op < OP_COUNT; op++) {
        sample_count[op] = 0;
        sample_sum[op] = 0;
        sample_max[op] = 0;
        sample_argmax[op] = 0;
    }
#if BENCH_LATENCY
    lat_samples = lat_masked = lat_max_instr = 0;
#endif
}

static void sift_down(uint32_t *a, uint32_t start, uint32_t n) {
    uint32_t root = start;
    while (2u * root + 1u < n) {
        uint32_t child = 2u * root + 1u;
        if (child + 1u < n && a[child] < a[child + 1u])
            child++;
        if (a[root] >= a[child])
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

static void heap_sort(uint32_t *a, uint32_t n) {
    for (uint32_t i = n / 2u; i-- > 0;)
        sift_down(a, i, n);
    for (uint32_t end = n; end-- > 1u;) {
        uint32_t t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

/* Nearest-rank percentile of the sorted a[0..n). */
static uint32_t percentile(const uint32_t *a, uint32_t n, uint32_t pct) {
    uint32_t rank = (uint32_t)(((uint64_t)n * pct + 99u) / 100u);
    return a[rank ? rank - 1u : 0];
}

static const char *const op_names[OP_COUNT] = {"malloc", "free", "realloc", "calloc"};

static int print_stats(void) {
    int bad = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        uint32_t n = sample_count[op];
        if (!n)
            continue;
        if (n > SAMPLE_CAP) {
            bad = 1;
            n = SAMPLE_CAP;
        }
        uint32_t *a = SAMPLES(op);
        heap_sort(a, n);
        bench_puts("S ");
        bench_puts(op_names[op]);
        bench_puts(" ");
        bench_putu(sample_count[op]);
        bench_puts(" ");
        bench_putu(sample_sum[op]);
        bench_puts(" ");
        bench_putu(percentile(a, n, 50));
        bench_puts(" ");
        bench_putu(percentile(a, n, 99));
        bench_puts(" ");
        bench_putu(sample_max[op]);
        bench_puts(" ");
        bench_putu(sample_argmax[op]);
        bench_puts("\n");
    }
    return bad;
}

/* ---------------------------------------------------------------- interrupt latency */
#if BENCH_LATENCY
#define LAT_RELOAD 0x00FFFFFFu
static uint32_t lat_rng = 0x1234567u;
static volatile uint32_t lat_last; /* ticks from expiry to the handler's read */
static volatile uint32_t lat_fired;
static uint32_t lat_base = 0xFFFFFFFFu; /* unmasked baseline, from latency_calibrate */

void TIMER1_Handler(void);
void TIMER1_Handler(void) {
    uint32_t v = TIMER1_VALUE;
    TIMER1_CTRL = 0;
    TIMER1_INTCLEAR = 1;
    lat_last = LAT_RELOAD - v;
    lat_fired = 1;
}

static void lat_arm(uint32_t ticks) {
    lat_fired = 0;
    TIMER1_CTRL = 0;
    TIMER1_INTCLEAR = 1;
    TIMER1_RELOAD = LAT_RELOAD;
    TIMER1_VALUE = ticks;
    TIMER1_CTRL = TIMER_ENABLE | TIMER_IRQ_ENABLE;
}

static uint32_t lat_span_ticks(void) {
    return (uint32_t)(((uint64_t)BENCH_LAT_SPAN * cal_ticks) / CAL_L);
}

/* Expiries inside a loop that never masks interrupts: the handler's fixed entry cost. */
static void latency_calibrate(void) {
    NVIC_ISER0 = 1u << TIMER1_IRQ;
    __asm__ volatile("cpsie i" ::: "memory");
    uint32_t lo = 0xFFFFFFFFu, hi = 0;
    for (uint32_t i = 0; i < 256u; i++) {
        lat_arm(1u + bench_range(&lat_rng, 0, lat_span_ticks() / 4u));
        bench_loop(4000u);
        if (!lat_fired)
            continue;
        if (lat_last < lo)
            lo = lat_last;
        if (lat_last > hi)
            hi = lat_last;
    }
    lat_base = lo;
    bench_metric("lat_base_ticks", lo);
    bench_metric("lat_base_spread_ticks", hi - lo);
}

static void lat_before(void) {
    lat_arm(1u + bench_range(&lat_rng, 0, lat_span_ticks()));
}

static void lat_after(void) {
    /* the expiry may lie after the call returned: wait for it (never masked here) */
    if (!lat_fired)
        bench_loop(2u * BENCH_LAT_SPAN);
    if (!lat_fired)
        return;
    lat_samples++;
    /* whole instructions beyond the baseline (which itself spreads over < 1 instruction) */
    uint32_t excess = lat_last > lat_base ? lat_last - lat_base : 0;
    uint32_t instr = (uint32_t)(((uint64_t)excess * CAL_L) / cal_ticks);
    if (instr > 0)
        lat_masked++;
    if (instr > lat_max_instr)
        lat_max_instr = instr;
}
#else
static void lat_before(void) {}
static void lat_after(void) {}
#endif

/* ---------------------------------------------------------------- the timed entry points */
void *bench_malloc(size_t n) {
    lat_before();
    uint32_t t = bench_call((void *)malloc, (uint32_t)n, 0, 0);
    void *p = (void *)bench_ret;
    lat_after();
    record(OP_MALLOC, t);
    return p;
}

void bench_free(void *p) {
    lat_before();
    uint32_t t = bench_call((void *)free, (uint32_t)(uintptr_t)p, 0, 0);
    lat_after();
    record(OP_FREE, t);
}

void *bench_realloc(void *p, size_t n) {
    lat_before();
    uint32_t t = bench_call((void *)realloc, (uint32_t)(uintptr_t)p, (uint32_t)n, 0);
    void *q = (void *)bench_ret;
    lat_after();
    record(OP_REALLOC, t);
    return q;
}

void *bench_calloc(size_t count, size_t size) {
    lat_before();
    uint32_t t = bench_call((void *)calloc, (uint32_t)count, (uint32_t)size, 0);
    void *p = (void *)bench_ret;
    lat_after();
    record(OP_CALLOC, t);
    return p;
}

/* ---------------------------------------------------------------- calibration report */
static int print_calibration(void) {
    static const uint32_t ns[] = {1, 2, 3, 4, 5, 7, 10, 33, 100, 1000, 12345, 100000};
    int bad = 0;
    for (unsigned i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        uint32_t t = bench_call((void *)bench_loop, ns[i], 0, 0);
        uint32_t got = to_instr(t), want = 2u * ns[i] + 1u;
        bench_puts("C ");
        bench_putu(ns[i]);
        bench_puts(" ");
        bench_putu(want);
        bench_puts(" ");
        bench_putu(got);
        bench_puts(" ");
        bench_putu(t);
        bench_puts("\n");
        if (got != want)
            bad = 1;
    }
    uint32_t t = bench_call((void *)bench_ret1, 0, 0, 0);
    bench_puts("C 0 1 ");
    bench_putu(to_instr(t));
    bench_puts(" ");
    bench_putu(t);
    bench_puts("\n");
    return bad;
}

/* ---------------------------------------------------------------- main */
static void command_line(char *buf, size_t len) {
    volatile uint32_t block[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)len - 1u};
    if (semihost(0x15, block) != 0) /* SYS_GET_CMDLINE */
        buf[0] = 0;
    else
        buf[block[1]] = 0;
}

int main(void) {
    static char cmd[128];
    command_line(cmd, sizeof cmd);
    /* the last word of the command line names the workload */
    char *w = cmd;
    for (char *p = cmd; *p; p++)
        if (*p == ' ' && p[1])
            w = p + 1;
    timer_start();
    if (calibrate()) {
        bench_puts("timer does not advance: run QEMU with -icount\nE 2\n");
        bench_exit(2);
    }
    bench_puts("B " BENCH_ALLOC_NAME " ");
    bench_puts(w);
    bench_puts("\nK ");
    bench_putu(cal_base);
    bench_puts(" ");
    bench_putu(cal_ticks);
    bench_puts(" ");
    bench_putu(CAL_L);
    bench_puts("\n");
    int status;
    if (w[0] == 'c' && w[1] == 'a' && w[2] == 'l') {
        status = print_calibration();
    } else {
#if BENCH_LATENCY
        latency_calibrate();
#endif
        status = bench_run_workload(w);
        status |= print_stats();
#if BENCH_LATENCY
        bench_puts("L ");
        bench_putu(lat_samples);
        bench_puts(" ");
        bench_putu(lat_masked);
        bench_puts(" ");
        bench_putu(lat_max_instr);
        bench_puts(" ");
        bench_putu(lat_base);
        bench_puts("\n");
#endif
    }
    bench_puts("E ");
    bench_putu((uint32_t)status);
    bench_puts("\n");
    bench_exit(status);
    return status;
}
