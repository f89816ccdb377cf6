/* Test helper: run the libre loop until a handler stops it or time passes. */
#ifndef OPENSEAT_TEST_LOOP_H
#define OPENSEAT_TEST_LOOP_H

#include <stdbool.h>

int loop_run(unsigned ms);

typedef bool (loop_cond_h)(void *arg);
bool loop_until(loop_cond_h *cond, void *arg, unsigned ms);

#endif
