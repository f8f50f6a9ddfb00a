/*
 * log.h - sathd's log: one line per event on stderr, logfmt (key=value), safe to call
 * from any thread (each line is written with a single write(2)).
 *
 * Never pass a secret (password, token, key) to these functions: the log is read by
 * operators and shipped to other systems.
 */
#ifndef SATHD_LOG_H
#define SATHD_LOG_H

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

#ifdef __cplusplus
}
#endif
#endif /* SATHD_LOG_H */
