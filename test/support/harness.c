/* Test support shared by the suites (see harness.h). */
#include <string.h>

#include "harness.h"

struct hook_log hooks;

void hooks_reset(void) {
    memset(&hooks, 0, sizeof hooks);
}

void listheap_oom_hook(size_t request) {
    hooks.oom_calls++;
    hooks.oom_request = request;
}

void listheap_fault_hook(enum listheap_fault kind, const void *ptr) {
    hooks.fault_calls++;
    hooks.fault_kind = kind;
    hooks.fault_ptr = ptr;
}

static void *live[1024];
static size_t live_count;

static void collect_live(void *ctx, void *payload, size_t size, int used) {
    (void)ctx;
    (void)size;
    if (used && live_count < sizeof live / sizeof live[0])
        live[live_count++] = payload;
}

size_t free_all_live_blocks(void) {
    live_count = 0;
    listheap_walk(collect_live, NULL); /* the visitor must not free: collect, then free */
    for (size_t i = 0; i < live_count; i++)
        listheap_free(live[i]);
    return live_count;
}
