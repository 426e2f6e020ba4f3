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
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

#ifndef USART_STM32H7_KERNEL_HZ
#define USART_STM32H7_KERNEL_HZ 64000000u
#endif
#ifndef USART_CONSOLE_BAUD
#define USART_CONSOLE_BAUD 115200u
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

static void usart_init(void) {
    static int ready;
    if (ready)
        return;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    (void)RCC_APB2ENR; /* read back: the clock is on before the USART is touched */
    USART_CR1 = 0;     /* BRR is writable only with UE = 0 */
    /* Oversampling by 16 (CR1.OVER8 = 0): BRR = kernel clock / baud, rounded. */
    USART_BRR = (USART_STM32H7_KERNEL_HZ + USART_CONSOLE_BAUD / 2u) / USART_CONSOLE_BAUD;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE;
    ready = 1;
}

static void put_byte(uint8_t c) {
    while ((USART_ISR & ISR_TXE_TXFNF) == 0) {
    }
    USART_TDR = c;
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
        if ((USART_ISR & ISR_RXNE_RXFNE) == 0) {
            if (n > 0)
                break;
            continue;
        }
        p[n] = (uint8_t)USART_RDR;
        if (p[n++] == '\n')
            break;
    }
    return (int)n;
}
