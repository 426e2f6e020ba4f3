/* main.h - what main.c and the other Core files share (the shape of CubeMX's main.h). */
#ifndef MAIN_H
#define MAIN_H

#include <stdint.h>

/* The few STM32H750 registers the example touches (RM0433); a real project has them from
 * the CMSIS device header stm32h750xx.h. */
#define RCC_AHB2ENR (*(volatile uint32_t *)0x580244DCu)
#define RCC_AHB2ENR_D2SRAM1EN (1u << 29)
#define RCC_AHB2ENR_D2SRAM2EN (1u << 30)
#define RCC_AHB2ENR_D2SRAM3EN (1u << 31)
#define RCC_APB2ENR (*(volatile uint32_t *)0x580244F0u)
#define RCC_APB2ENR_USART1EN (1u << 4)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

void Error_Handler(void);
void SystemInit(void);

#endif /* MAIN_H */
