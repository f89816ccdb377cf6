/* Test helper: run the libre loop until a handler stops it or time passes. */
#ifndef OPENSEAT_TEST_LOOP_H
#define OPENSEAT_TEST_LOOP_H

int loop_run(unsigned ms);

#endif
