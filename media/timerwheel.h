/**
 * @file timerwheel.h  libre's timers on a timing wheel (see timerwheel.c)
 *
 * Nothing to call to use it: linking media/ replaces libre's tmr_start()
 * and friends for the whole process.
 */

int      timerwheel_check(void);
uint32_t timerwheel_count(void);
