/* system_stm32h7xx.c - SystemInit, called by the start-up code before .data and .bss exist:
 * here only the FPU is enabled (CP10/CP11 full access), as CubeMX's does first. Clocks stay
 * at their reset values (64 MHz HSI). */
#include "main.h"

void SystemInit(void) {
#if defined(__ARM_FP)
    SCB_CPACR |= (3u << 20) | (3u << 22);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
}
