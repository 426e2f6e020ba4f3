/*
 * Test support: listheap_oom_hook and listheap_fault_hook replaced by recorders (the library's
 * defaults are weak). Link test/support/hooks.c into a test that wants to see every call.
 */
#ifndef LISTHEAP_TEST_HOOKS_H
#define LISTHEAP_TEST_HOOKS_H

#include <stddef.h>

#include "listheap.h"

struct hook_log {
    size_t oom_calls;          /* listheap_oom_hook calls */
    size_t oom_request;        /* the last request it was told */
    size_t fault_calls;        /* listheap_fault_hook calls */
    enum listheap_fault fault_kind; /* the last fault: kind and address */
    const void *fault_ptr;
};

extern struct hook_log hooks;

/* Forget every recorded call. */
void hooks_reset(void);

#endif /* LISTHEAP_TEST_HOOKS_H */
