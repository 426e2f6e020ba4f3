/*
 * size_main.c - the images whose differences are an allocator's code size and static RAM.
 *
 * Built for every CPU and allocator three times, -Os, --gc-sections, its own vector table and
 * reset (no start-up code, no stdio):
 *   -DCALLS=0  the baseline: no allocator call;
 *   -DCALLS=1  calls malloc, free, realloc and calloc;
 *   -DCALLS=2  calls malloc and free only.
 * The difference of an image's text to the baseline's is everything those calls pull in (for
 * the newlib peers, their _sbrk and newlib's reentrancy glue included); the difference of
 * data + bss is the static RAM they need. Every image sets errno, so the errno/reentrancy
 * structure newlib allocates for any program is in the baseline. Linked only, never run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef CALLS
#define CALLS 0
#endif

extern char __stack_top[];
int main(void);
void Reset_Handler(void);

void Reset_Handler(void) {
    main();
    for (;;)
        ;
}

__attribute__((section(".isr_vector"), used)) void *const vectors[2] = {__stack_top, (void *)Reset_Handler};

volatile size_t size_n = 24;
void *volatile size_sink;

int main(void) {
    errno = 0;
    size_sink = (void *)size_n; /* every image keeps these two variables */
#if CALLS == 1
    void *p = malloc(size_n);
    p = realloc(p, size_n * 2u);
    free(p);
    size_sink = calloc(size_n, 4);
#elif CALLS == 2
    void *p = malloc(size_n);
    size_sink = p;
    free(p);
#endif
    return errno;
}
