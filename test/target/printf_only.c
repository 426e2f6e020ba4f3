/*
 * The hard link case: an application that never calls malloc, only printf. Nothing in it asks
 * the linker for listheap's malloc family, so without listheap.ld (which makes the linker load
 * it: EXTERN(__listheap_malloc_family)) the linker would meet newlib's _malloc_r inside libc.a
 * first and take newlib's allocator (and its _sbrk, which this project does not provide: that
 * link fails; `make test` checks that it does). With listheap.ld, newlib's stdio allocates from
 * listheap.
 * Exit code 0 when stdout's buffer came from listheap and the heap checks clean.
 */
#include <stdio.h>

#include "listheap.h"

int main(void) {
    printf("printf_only: %s %d\n", "stdout is buffered in listheap, block count", 1);
    fflush(stdout);
    struct listheap_stats s;
    listheap_get_stats(&s);
    printf("printf_only: %u live blocks, %u bytes in use\n", (unsigned)s.live_blocks,
           (unsigned)s.used_bytes);
    fflush(stdout);
    return (s.live_blocks > 0 && s.used_bytes >= 1024 && listheap_check() == LISTHEAP_OK) ? 0 : 1;
}
