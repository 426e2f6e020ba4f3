/* main.h - what main.c and the other Core files share (the shape of CubeMX's main.h). */
#ifndef MAIN_H
#define MAIN_H

#include <stdint.h>

/* Stand-ins for the few CMSIS names the example uses, with the addresses of RM0433 and the
 * Cortex-M7 TRM: a real project has them from stm32h750xx.h and core_cm7.h (ST's and Arm's
 * headers, not Debian packages), and the docs' lines that use them compile unchanged there. */
typedef struct {
    uint32_t reserved[0xDCu / 4u];
    volatile uint32_t AHB2ENR; /* RCC_AHB2ENR, offset 0xDC */
} RCC_TypeDef;
#define RCC ((RCC_TypeDef *)0x58024400u)
#define RCC_AHB2ENR_D2SRAM1EN (1u << 29)
#define RCC_AHB2ENR_D2SRAM2EN (1u << 30)
#define RCC_AHB2ENR_D2SRAM3EN (1u << 31)
#define RCC_APB2ENR (*(volatile uint32_t *)0x580244F0u)
#define RCC_APB2ENR_USART1EN (1u << 4)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_DCIMVAC (*(volatile uint32_t *)0xE000EF5Cu) /* D-cache invalidate by address */
#define __DSB() __asm__ volatile("dsb 0xF" ::: "memory")
#define __ISB() __asm__ volatile("isb 0xF" ::: "memory")

/* As CMSIS's: invalidate the 32-byte D-cache lines that [addr, addr + dsize) touches. */
static inline void SCB_InvalidateDCache_by_Addr(volatile void *addr, int32_t dsize) {
    if (dsize <= 0)
        return;
    uint32_t line = (uint32_t)addr & ~31u, end = (uint32_t)addr + (uint32_t)dsize;
    __DSB();
    for (; line < end; line += 32u)
        SCB_DCIMVAC = line;
    __DSB();
    __ISB();
}

void Error_Handler(void);
void SystemInit(void);

#endif /* MAIN_H */
