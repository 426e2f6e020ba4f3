/*
 * syscalls.c - the system calls newlib needs, as CubeMX's syscalls.c provides them: stdout and
 * stderr go to USART1 (polled, 115200 baud from the 64 MHz reset clock), the rest are stubs.
 * No _sbrk: the project's sysmem.c (which held it) was deleted when listheap came in, and
 * listheap never calls it.
 */
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "main.h"

#define USART1_BASE 0x40011000u
#define USART1_CR1 (*(volatile uint32_t *)(USART1_BASE + 0x00u))
#define USART1_BRR (*(volatile uint32_t *)(USART1_BASE + 0x0Cu))
#define USART1_ISR (*(volatile uint32_t *)(USART1_BASE + 0x1Cu))
#define USART1_TDR (*(volatile uint32_t *)(USART1_BASE + 0x28u))
#define USART_ISR_TXE (1u << 7)

int _write(int file, char *ptr, int len);
int _read(int file, char *ptr, int len);
int _close(int file);
int _fstat(int file, struct stat *st);
int _isatty(int file);
int _lseek(int file, int ptr, int dir);
int _getpid(void);
int _kill(int pid, int sig);
void _exit(int status);

static void usart1_start(void) {
    static int started;
    if (started)
        return;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    USART1_BRR = 64000000u / 115200u;
    USART1_CR1 = (1u << 0) | (1u << 3); /* UE, TE */
    started = 1;
}

int _write(int file, char *ptr, int len) {
    (void)file;
    usart1_start();
    for (int i = 0; i < len; i++) {
        while (!(USART1_ISR & USART_ISR_TXE)) {
        }
        USART1_TDR = (uint8_t)ptr[i];
    }
    return len;
}

int _read(int file, char *ptr, int len) {
    (void)file;
    (void)ptr;
    (void)len;
    return 0;
}

int _close(int file) {
    (void)file;
    return -1;
}

int _fstat(int file, struct stat *st) {
    (void)file;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int file) {
    (void)file;
    return 1;
}

int _lseek(int file, int ptr, int dir) {
    (void)file;
    (void)ptr;
    (void)dir;
    return 0;
}

int _getpid(void) {
    return 1;
}

int _kill(int pid, int sig) {
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

void _exit(int status) {
    (void)status;
    for (;;) {
    }
}
