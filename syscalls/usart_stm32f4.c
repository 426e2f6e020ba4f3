/*
 * usart_stm32f4.c - console back end on the STM32F4's USART1, polled (see backend.h).
 *
 * USART1 at 0x40011000 (APB2), the "-serial" 0 of QEMU's netduinoplus2. On first use it sets
 * the USART1 clock-enable bit, the baud rate and CR1 = UE | TE | RE; it never waits on a clock or
 * ready bit (QEMU does not model the RCC, whose registers read 0 there). Transmit waits for
 * TXE (SR bit 7) before each byte; receive waits for RXNE (SR bit 5).
 *
 * On a real board the application also routes the pins (e.g. PA9/PA10 to AF7); the baud rate
 * assumes the reset clock, USART_STM32F4_PCLK_HZ (16 MHz HSI) unless overridden with -D.
 * The console logic itself is usart_console.h, shared with the other STM32 family.
 */
#include <stdint.h>

#ifndef USART_STM32F4_PCLK_HZ
#define USART_STM32F4_PCLK_HZ 16000000u
#endif

#define RCC_APB2ENR (*(volatile uint32_t *)0x40023844u)
#define RCC_APB2ENR_USART1EN (1u << 4)

#define USART1_BASE 0x40011000u
#define USART_SR (*(volatile uint32_t *)(USART1_BASE + 0x00u))
#define USART_DR (*(volatile uint32_t *)(USART1_BASE + 0x04u))
#define USART_BRR (*(volatile uint32_t *)(USART1_BASE + 0x08u))
#define USART_CR1 (*(volatile uint32_t *)(USART1_BASE + 0x0Cu))

#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_UE (1u << 13)

#define USART_CLOCK_HZ USART_STM32F4_PCLK_HZ
#define USART_TX_READY() ((USART_SR & SR_TXE) != 0)
#define USART_PUT(c) (USART_DR = (c))
#define USART_RX_READY() ((USART_SR & SR_RXNE) != 0)
#define USART_GET() (USART_DR)

#include "usart_console.h"
