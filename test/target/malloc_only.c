/*
 * An image that calls malloc and free and nothing else of the family. It is linked with
 * listheap.ld, like the printf-only image, and `make test` checks (tools/linkcheck.sh lacks)
 * that no listheap code for realloc, calloc or memalign is in it: the fragment must load
 * listheap's malloc family without forcing an entry point the image never calls into it.
 * Nothing here prints through stdio (newlib-nano's vfprintf would bring _realloc_r).
 * Exit code 0 when the blocks came from the linker heap and went back to it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listheap.h"

extern unsigned char __heap_start[], __heap_end[];

static int in_heap(const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p;
    return a >= (uintptr_t)__heap_start && a + n <= (uintptr_t)__heap_end;
}

static void say(const char *s) {
    (void)write(1, s, strlen(s));
}

int main(void) {
    enum { COUNT = 8 };
    unsigned char *blocks[COUNT];
    int ok = 1;
    for (size_t i = 0; i < COUNT; i++) {
        size_t n = 16u << i;
        blocks[i] = malloc(n);
        ok = ok && blocks[i] && in_heap(blocks[i], n) && ((uintptr_t)blocks[i] & 7u) == 0;
        if (blocks[i])
            memset(blocks[i], (int)i, n);
    }
    struct listheap_stats s;
    listheap_get_stats(&s);
    ok = ok && s.live_blocks == COUNT;
    for (size_t i = 0; i < COUNT; i++)
        free(blocks[i]);
    listheap_get_stats(&s);
    ok = ok && s.live_blocks == 0 && listheap_check() == LISTHEAP_OK;
    say(ok ? "malloc_only: 8 blocks from the linker heap, all freed: ok\n"
           : "malloc_only: FAILED\n");
    return ok ? 0 : 1;
}
