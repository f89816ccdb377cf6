/* Test helper: a sine tone to play and a level to detect it by. */
#ifndef OPENSEAT_TEST_TONE_H
#define OPENSEAT_TEST_TONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void tone_fill(int16_t *s, size_t n, double freq, uint32_t *phase);
bool tone_loud(const int16_t *s, size_t n);

#endif
