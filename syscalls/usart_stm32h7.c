/*
 * usart_stm32h7.c - console back end on the STM32H7's USART1, polled (see backend.h).
 *
 * The H7 USART (the "v2" register set with FIFOs): USART1 at 0x40011000 (APB2), CR1 at 0x00,
 * BRR 0x0C, ISR 0x1C, RDR 0x24, TDR 0x28. On first use it sets the USART1 clock-enable bit
 * (RCC_APB2ENR at 0x580244F0, bit 4), the baud rate and CR1 = UE | TE | RE, without waiting on
 * any clock-ready bit. Transmit waits for TXE/TXFNF (ISR bit 7) before each byte, receive for
 * RXNE/RXFNE (ISR bit 5).
 *
 * The baud rate assumes the USART1 kernel clock at reset, USART_STM32H7_KERNEL_HZ (64 MHz HSI
 * through rcc_pclk2) unless overridden with -D; the application routes the pins (e.g. PA9/PA10
 * or PB14/PB15 to their USART1 alternate function). -DUSART_CONSOLE_CRLF sends "\r\n" for "\n".
 * Not modelled by QEMU: built and link-checked only.
 */
#include <stdint.h>

#ifndef USART_STM32H7_KERNEL_HZ
#define USART_STM32H7_KERNEL_HZ 64000000u
#endif

#define RCC_APB2ENR (*(volatile uint32_t *)0x580244F0u)
#define RCC_APB2ENR_USART1EN (1u << 4)

#define USART1_BASE 0x40011000u
#define USART_CR1 (*(volatile uint32_t *)(USART1_BASE + 0x00u))
#define USART_BRR (*(volatile uint32_t *)(USART1_BASE + 0x0Cu))
#define USART_ISR (*(volatile uint32_t *)(USART1_BASE + 0x1Cu))
#define USART_RDR (*(volatile uint32_t *)(USART1_BASE + 0x24u))
#define USART_TDR (*(volatile uint32_t *)(USART1_BASE + 0x28u))

#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define ISR_RXNE_RXFNE (1u << 5)
#define ISR_TXE_TXFNF (1u << 7)

#define USART_CLOCK_HZ USART_STM32H7_KERNEL_HZ
#define USART_TX_READY() ((USART_ISR & ISR_TXE_TXFNF) != 0)
#define USART_PUT(c) (USART_TDR = (c))
#define USART_RX_READY() ((USART_ISR & ISR_RXNE_RXFNE) != 0)
#define USART_GET() (USART_RDR)

#include "usart_console.h"
