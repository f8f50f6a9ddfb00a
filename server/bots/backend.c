/*
 * backend.c - bot backends by name, and the helpers every backend shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sathd/bot_backend.h"

int sathd_bot_backend_open(const char *name, const sathd_bot_backend_config *cfg,
                           sathd_bot_backend *out, char *err, size_t errlen)
{
    if (!name || !*name || strcmp(name, "process") == 0)
        return sathd_bot_backend_process_new(cfg, out, err, errlen);
    if (strcmp(name, "docker") == 0)
        return sathd_bot_backend_docker_new(cfg, out, err, errlen);
    if (strcmp(name, "swarm") == 0)
        return sathd_bot_backend_swarm_new(cfg, out, err, errlen);
    if (err && errlen)
        snprintf(err, errlen, "unknown bot backend \"%.32s\" (process, docker, swarm)", name);
    return -ENOENT;
}

int sathd_bot_name(const char *user_id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "bot_user_%s", user_id ? user_id : "");
    return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int64_t sathd_bot_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
