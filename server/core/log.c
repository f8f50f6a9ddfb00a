/*
 * log.c - logfmt lines on stderr.
 *
 * The threshold is the only process-wide state of the log; it is written once during
 * start-up (before threads exist) and read-only afterwards, so readers need no lock.
 * Each line is formatted into a stack buffer and emitted with one write(2), which
 * keeps lines from different threads from interleaving.
 */
#include "sathd/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static sathd_log_level log_threshold = SATHD_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void sathd_log_set_level(sathd_log_level level) { log_threshold = level; }

int sathd_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

int sathd_log_enabled(sathd_log_level level) { return level >= log_threshold; }

void sathd_log(sathd_log_level level, const char *fmt, ...)
{
    if (level < log_threshold || level > SATHD_LOG_ERROR)
        return;
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L, level_names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2; /* truncated: keep the line a line */
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nothing sensible to do when stderr is gone */
}
