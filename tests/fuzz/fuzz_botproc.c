/*
 * fuzz_botproc.c - the parsers of the process backend's files (server/bots/proc_util.c),
 * which the bot's own uid can write: the supervisor's status record and the log
 * records "<ms> <o|e> <text>".  Input: bytes up to the first NUL are a status record,
 * the rest a log file (records split at newlines, as the orchestrator reads them).
 * Invariants: no crash, a parsed text lies inside its record, a parsed status names a
 * state and round-trips through the formatter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    const char *nul = memchr(p, '\0', size);
    size_t slen = nul ? (size_t)(nul - p) : size;
    sathd_proc_status st;
    if (sathd_proc_status_parse(p, slen, &st) == 0) {
        char rec[SATHD_PROC_STATUS_SIZE];
        sathd_proc_status_format(&st, rec);
        sathd_proc_status back;
        /* what we format we can read (the formatter is what the supervisor writes) */
        if (sathd_proc_status_parse(rec, sizeof rec, &back) != 0 || back.exited != st.exited ||
            back.oom != st.oom)
            abort();
    }
    if (!nul)
        return 0;
    const char *log = nul + 1, *end = p + size;
    while (log < end) {
        const char *nl = memchr(log, '\n', (size_t)(end - log));
        size_t len = nl ? (size_t)(nl - log) : (size_t)(end - log);
        int64_t ms;
        int is_err;
        const char *text;
        size_t tl;
        if (sathd_proc_log_parse(log, len, &ms, &is_err, &text, &tl) == 0 &&
            (text < log || text + tl != log + len || ms < 0))
            abort();
        log += len + 1;
    }
    return 0;
}
