/*
 * Test support shared by the suites: listheap_oom_hook and listheap_fault_hook replaced by
 * recorders (the library's defaults are weak), and a way to give back every live block so that
 * the next listheap_init starts afresh. Link test/support/harness.c into the test.
 */
#ifndef LISTHEAP_TEST_HARNESS_H
#define LISTHEAP_TEST_HARNESS_H

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

/* Free every live block the heap walk finds (at most 1024 per call); returns how many. */
size_t free_all_live_blocks(void);

#endif /* LISTHEAP_TEST_HARNESS_H */
