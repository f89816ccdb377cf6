/* Where finished log lines go: a writer thread, so no caller waits. */
#ifndef OPENSEAT_LOG_OUT_H
#define OPENSEAT_LOG_OUT_H

#include <stddef.h>

void log_out(const char *line, size_t n);
int  log_out_start(int fd);
void log_out_stop(void);
unsigned long log_out_dropped(void);

#endif
