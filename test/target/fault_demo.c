/*
 * The test bed itself must fail loudly: a bus fault has to end the run with exit status 3 and
 * a report on stderr (qemu/startup.c), not hang or exit 0. `make test` expects exactly that.
 */
#include <stdint.h>

int main(void) {
    volatile uint32_t *nowhere = (volatile uint32_t *)0x70000000u; /* unmapped on both boards */
    return (int)*nowhere;
}
