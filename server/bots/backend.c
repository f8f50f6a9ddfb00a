/*
 * backend.c - bot backends by name, and the helpers every backend shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

char *sathd_bot_exe_sibling(const char *name)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 64);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    snprintf(slash + 1, 64, "%s", name);
    return access(exe, X_OK) == 0 ? strdup(exe) : NULL;
}

int64_t sathd_bot_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
