/* Test support: recorders for listheap's hooks (see hooks.h). */
#include <string.h>

#include "hooks.h"

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
