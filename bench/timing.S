/*
 * timing.S - the timed call: read the free-running timer, call the function, read it again.
 *
 *   uint32_t bench_call(void *fn, uint32_t a0, uint32_t a1, uint32_t a2)
 *
 * Returns the timer ticks between the two reads (CMSDK APB timer 0 at 0x40000000 counts down
 * at 25 MHz); fn's return value is left in bench_ret. Between the reads run exactly the `blx`
 * and the callee, so under QEMU -icount the difference is (1 + instructions of the callee +
 * a constant) times the ticks per instruction: bench/target.c measures that constant with
 * bench_ret1 (one instruction) and the ticks per instruction with bench_loop (2n + 1
 * instructions), then converts every sample. Thumb-2 (ARMv7-M).
 */
    .syntax unified
    .thumb
    .text

    .global bench_call
    .type bench_call, %function
    .thumb_func
bench_call:
    push    {r4, r5, r6, lr}
    mov     r4, r0
    ldr     r5, =0x40000004         /* TIMER0 VALUE */
    mov     r0, r1
    mov     r1, r2
    mov     r2, r3
    ldr     r6, [r5]                /* t0 */
    blx     r4
    ldr     r3, [r5]                /* t1 */
    ldr     r2, =bench_ret
    str     r0, [r2]
    subs    r0, r6, r3              /* down counter: t0 - t1 */
    pop     {r4, r5, r6, pc}
    .ltorg
    .size bench_call, . - bench_call

/* One instruction. */
    .global bench_ret1
    .type bench_ret1, %function
    .thumb_func
bench_ret1:
    bx      lr
    .size bench_ret1, . - bench_ret1

/* r0 = n >= 1: exactly 2n + 1 instructions. */
    .global bench_loop
    .type bench_loop, %function
    .thumb_func
bench_loop:
1:  subs    r0, r0, #1
    bne     1b
    bx      lr
    .size bench_loop, . - bench_loop

    .bss
    .align 2
    .global bench_ret
bench_ret:
    .space 4
