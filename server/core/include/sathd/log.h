/*
 * log.h - sathd's log: one line per event on stderr, logfmt (key=value), safe to call
 * from any thread (a line is never interleaved with another; see log.c for the direct
 * and the asynchronous, batched mode).
 *
 * Never pass a secret (password, token, key) to these functions: the log is read by
 * operators and shipped to other systems.
 */
#ifndef SATHD_LOG_H
#define SATHD_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sathd_log_level {
    SATHD_LOG_DEBUG = 0,
    SATHD_LOG_INFO = 1,
    SATHD_LOG_WARN = 2,
    SATHD_LOG_ERROR = 3
} sathd_log_level;

/* Sets the lowest level written (default INFO).  Call once at start-up, before any
 * thread starts; later calls race with writers. */
void sathd_log_set_level(sathd_log_level level);
/* Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int sathd_log_level_parse(const char *name);
/* Whether a line of `level` would be written. */
int sathd_log_enabled(sathd_log_level level);
/* Writes `ts=... level=... <formatted message>`; the message should itself be logfmt,
 * e.g. sathd_log(SATHD_LOG_INFO, "msg=\"listening\" addr=%s", addr). */
void sathd_log(sathd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* From now on lines are formatted into a buffer of buf_bytes per thread and written by a
 * background thread in batches (a few ms late at most); a line that does not fit is
 * dropped and counted rather than waited for.  Call once threads may log concurrently
 * at a high rate (a server); 0 or -1 when the writer cannot start (lines stay direct). */
int sathd_log_async_start(size_t buf_bytes);
/* Writes what is buffered and returns to direct writes (call when the server is done). */
void sathd_log_async_stop(void);
/* Lines dropped so far because a thread's buffer was full. */
uint64_t sathd_log_dropped(void);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_LOG_H */
