/*
 * backend_process.c - the embedded default bot backend: each bot is a local process
 * under a tiny supervisor (sath-bot-supervisor).  Being written; see bot_backend.h.
 */
#include <errno.h>
#include <stdio.h>

#include "sathd/bot_backend.h"

int sathd_bot_backend_process_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                  char *err, size_t errlen)
{
    (void)cfg;
    (void)out;
    if (err && errlen)
        snprintf(err, errlen, "the process bot backend is being written");
    return -ENOSYS;
}
