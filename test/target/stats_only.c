/*
 * An image with no printf-family code that calls malloc_stats() and mstats(): they must print
 * newlib's lines (and listheap's) straight to file descriptor 2, without linking newlib's
 * stdio (alloc/newlib/malloc_stats.c refers to _vfprintf_r only weakly). `make test` runs it
 * and checks the lines on the console and the absence of stdio in the image (stats-nostdio.ok).
 * Exit code 0 when the block came from the linker heap and went back.
 */
#include <malloc.h>
#include <stdlib.h>

#include "listheap.h"

void mstats(char *title);

int main(void) {
    void *p = malloc(100);
    if (!p)
        return 1;
    malloc_stats();
    mstats("at the end");
    free(p);
    struct listheap_stats s;
    listheap_get_stats(&s);
    return s.live_blocks == 0 && listheap_check() == LISTHEAP_OK ? 0 : 1;
}
