/*
 * main.c - an STM32H750 application as a CubeMX project has it, converted to listheap by
 * following docs/integration.md: nothing here names listheap except the start-up call that
 * adds the extra SRAM banks and the statistics printed at the end. malloc, free, strdup and
 * printf's stdout buffer all come from the one heap in AXI SRAM (RAM_D1), none from _sbrk.
 * Built by `make test` (examples/examples.mk); the H750 is not emulated by QEMU, so the image
 * is link-checked (tools/linkcheck.sh), not run.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listheap.h"
#include "main.h"

/* Linker script symbols (STM32H750XBHx_FLASH.ld, "listheap banks") */
extern unsigned char __sram123_start[], __sram123_end[];
extern unsigned char __sram4_start[], __sram4_end[];

/* SRAM1-3 sit in the D2 domain and are not clocked after reset: reading them unclocked
 * faults. Called before anything allocated: the linker heap (RAM_D1) stays, the banks join
 * it. The lines are docs/integration.md's ("STM32H750", snippet h750-banks). */
static void add_sram_banks(void) {
    RCC->AHB2ENR |= RCC_AHB2ENR_D2SRAM1EN | RCC_AHB2ENR_D2SRAM2EN | RCC_AHB2ENR_D2SRAM3EN;
    __DSB();
    listheap_add_region(__sram123_start, (size_t)(__sram123_end - __sram123_start));
    listheap_add_region(__sram4_start, (size_t)(__sram4_end - __sram4_start));
}

/* A receive buffer for DMA with the D-cache on: cache lines of its own (docs/integration.md,
 * snippet h750-dma). */
static uint8_t *dma_rx_buffer(size_t len) {
    size_t n = (len + 31u) & ~(size_t)31u;
    uint8_t *rx = memalign(32, n);            /* or aligned_alloc(32, n) */
    SCB_InvalidateDCache_by_Addr(rx, (int32_t)n);
    return rx;
}

int main(void) {
    add_sram_banks();

    uint8_t *rx = dma_rx_buffer(100);
    if (!rx || (uintptr_t)rx % 32u != 0)
        Error_Handler();
    free(rx);

    char *name = strdup("listheap on the STM32H750");
    int *samples = malloc(64 * sizeof *samples);
    if (!name || !samples)
        Error_Handler();
    for (int i = 0; i < 64; i++)
        samples[i] = i * i;
    printf("%s: %d samples, last %d\n", name, 64, samples[63]);
    free(samples);
    free(name);

    struct listheap_stats s;
    listheap_get_stats(&s);
    printf("heap: %u regions, %u bytes, %u used, largest free block %u\n", (unsigned)s.regions,
           (unsigned)s.total_bytes, (unsigned)s.used_bytes, (unsigned)s.largest_free_block);
    for (;;) {
    }
}

void Error_Handler(void) {
    __asm__ volatile("cpsid i" ::: "memory");
    for (;;) {
    }
}
