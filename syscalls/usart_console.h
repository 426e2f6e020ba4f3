/*
 * usart_console.h - the polled USART1 console shared by usart_stm32f4.c and usart_stm32h7.c.
 *
 * Included once, by one of those files, after it has defined its chip's view of USART1:
 *   USART_CLOCK_HZ                     the USART's input clock (baud-rate arithmetic)
 *   RCC_APB2ENR, RCC_APB2ENR_USART1EN  the clock-enable register and bit
 *   USART_BRR, USART_CR1, CR1_UE, CR1_TE, CR1_RE
 *   USART_TX_READY(), USART_PUT(c)     transmit register empty? / write one byte
 *   USART_RX_READY(), USART_GET()      a received byte waiting? / read it
 * It defines the console half of backend.h: sys_console_write and sys_console_read.
 * -DUSART_CONSOLE_CRLF sends "\r\n" for each "\n" (for a terminal; off for test logs).
 * Not interrupt-safe: one writer at a time.
 */
#ifndef USART_CONSOLE_H
#define USART_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

#ifndef USART_CONSOLE_BAUD
#define USART_CONSOLE_BAUD 115200u
#endif

/* Clock on (never waiting on a ready bit: QEMU does not model the RCC), baud rate, enable. */
static void usart_init(void) {
    static int ready;
    if (ready)
        return;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    (void)RCC_APB2ENR; /* read back: the clock is on before the USART is touched */
    USART_CR1 = 0;     /* BRR is writable only with UE = 0 */
    /* Oversampling by 16: BRR = clock / baud, rounded. */
    USART_BRR = (USART_CLOCK_HZ + USART_CONSOLE_BAUD / 2u) / USART_CONSOLE_BAUD;
    USART_CR1 = CR1_UE | CR1_TE | CR1_RE;
    ready = 1;
}

static void put_byte(uint8_t c) {
    while (!USART_TX_READY()) {
    }
    USART_PUT(c);
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
        if (!USART_RX_READY()) {
            if (n > 0)
                break;
            continue;
        }
        p[n] = (uint8_t)USART_GET();
        if (p[n++] == '\n')
            break;
    }
    return (int)n;
}

#endif /* USART_CONSOLE_H */
