/*
 * child_run.h - test helper: run a program with a fixed environment and stdin, and collect
 * its exit code, stdout and stderr.
 *
 * Both pipes are drained as the child writes them (poll), so a child that fills one pipe
 * (over 64 KiB of stderr, say) while the test would still be reading the other cannot
 * deadlock.  Output past the buffers is read and dropped; `out_total` / `err_total` say
 * how much the child really wrote.
 */
#ifndef SATH_TEST_CHILD_RUN_H
#define SATH_TEST_CHILD_RUN_H

#include <stdarg.h>
#include <stddef.h>

typedef struct child_result {
    int code;           /* exit status, or -1 when the child did not exit normally */
    char out[65536];    /* stdout, NUL-terminated, truncated to fit (--json answers are long) */
    char err[8192];     /* stderr, likewise */
    size_t out_total;   /* bytes the child wrote to stdout */
    size_t err_total;   /* bytes the child wrote to stderr */
} child_result;

/* Runs argv[0] (a path) with argv, envp and `input` (may be NULL) on stdin, in a new
 * session (no controlling terminal, so prompts cannot hang a test).  Waits for it.
 * Returns 0, or -1 when it could not be started (r->code is then -1). */
int child_run(char *const argv[], char *const envp[], const char *input, child_result *r);

/* child_run() with the environment of a user whose HOME and XDG_CONFIG_HOME are `home`
 * (and PATH=/usr/bin:/bin, nothing else inherited).  argv is `head` (NULL-terminated, the
 * program path first) followed by the NULL-terminated arguments in `rest`; at most 31. */
int child_run_home(const char *home, const char *const *head, va_list rest, const char *input,
                   child_result *r);

/* A new empty HOME for child_run_home: /tmp/<prefix>-XXXXXX into `dir`.  0 or -1. */
int child_home_new(char *dir, size_t cap, const char *prefix);
/* Removes a child_home_new() directory and what the child left in it.  0 or -1. */
int child_home_remove(const char *dir);

#endif
