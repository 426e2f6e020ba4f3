/* trace_shim.h - the allocation recorder of bench/traces/trace_shim.c. */
#ifndef TRACE_SHIM_H
#define TRACE_SHIM_H
/* Write the recorded trace to stderr; 0, or 1 when the record overflowed. */
int trace_finish(void);
#endif
