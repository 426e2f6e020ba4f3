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
 * -DUSART_CONSOLE_CRLF sends "\r\n" for each "\n" (for a terminal; off for test logs).
 * Not interrupt-safe: one writer at a time.
 */
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

#ifndef USART_STM32F4_PCLK_HZ
#define USART_STM32F4_PCLK_HZ 16000000u
#endif
#ifndef USART_CONSOLE_BAUD
#define USART_CONSOLE_BAUD 115200u
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

static void usart_init(void) {
    static int ready;
    if (ready)
        return;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    (void)RCC_APB2ENR; /* read back: the clock is on before the USART is touched */
    /* Oversampling by 16: BRR = fPCLK / baud, rounded (mantissa and fraction in one). */
    USART_BRR = (USART_STM32F4_PCLK_HZ + USART_CONSOLE_BAUD / 2u) / USART_CONSOLE_BAUD;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE;
    ready = 1;
}

static void put_byte(uint8_t c) {
    while ((USART_SR & SR_TXE) == 0) {
    }
    USART_DR = c;
}

int sys_console_write(int fd, const void *buf, size_t len) {
    (void)fd; /* stdout and stderr share the line */
    usart_init();
    const uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
#ifdef USART_CONSOLE_CRLF
        if (p[i] == '\n')
            put_byte('\r');
#endif
        put_byte(p[i]);
    }
    return (int)len;
}

/* Blocks for the first byte, then returns what has arrived, up to a newline or len. */
int sys_console_read(void *buf, size_t len) {
    usart_init();
    uint8_t *p = buf;
    size_t n = 0;
    while (n < len) {
        if ((USART_SR & SR_RXNE) == 0) {
            if (n > 0)
                break;
            continue;
        }
        p[n] = (uint8_t)USART_DR;
        if (p[n++] == '\n')
            break;
    }
    return (int)n;
}
