/*
 * proc_util.c - /proc lookups and the status record shared by the process backend and
 * sath-bot-supervisor (see proc_internal.h).
 */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID, addclosefrom_np, addchdir_np */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc_internal.h"

int sathd_proc_start_time(pid_t pid, unsigned long long *start, int *zombie)
{
    char path[64], buf[1024];
    if (pid <= 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* comm may hold spaces and parentheses: fields restart after the LAST ')' */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2; /* field 3: state */
    if (zombie)
        *zombie = *p == 'Z' || *p == 'X';
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    char *end = NULL;
    *start = strtoull(p, &end, 10);
    return end != p ? 0 : -1;
}

int sathd_proc_alive(pid_t pid, unsigned long long start)
{
    unsigned long long now = 0;
    int zombie = 0;
    return sathd_proc_start_time(pid, &now, &zombie) == 0 && now == start && !zombie;
}

void sathd_proc_status_format(const sathd_proc_status *st, char buf[SATHD_PROC_STATUS_SIZE])
{
    memset(buf, ' ', SATHD_PROC_STATUS_SIZE);
    int n = snprintf(buf, SATHD_PROC_STATUS_SIZE,
                     "state=%s code=%d signal=%d finished=%lld oom=%d end",
                     st->exited ? "exited" : "running", st->code, st->sig,
                     (long long)st->finished_ms, st->oom ? 1 : 0);
    if (n > 0 && n < SATHD_PROC_STATUS_SIZE)
        buf[n] = ' ';
    buf[SATHD_PROC_STATUS_SIZE - 1] = '\n';
}

int sathd_proc_status_parse(const char *buf, size_t len, sathd_proc_status *st)
{
    char tmp[SATHD_PROC_STATUS_SIZE + 1], state[16];
    long long fin = 0;
    if (len != SATHD_PROC_STATUS_SIZE || buf[len - 1] != '\n')
        return -1;
    memcpy(tmp, buf, len);
    tmp[len] = '\0';
    memset(st, 0, sizeof *st);
    if (!strstr(tmp, " end") ||
        sscanf(tmp, "state=%15s code=%d signal=%d finished=%lld", state, &st->code, &st->sig, &fin) != 4)
        return -1;
    st->exited = strcmp(state, "exited") == 0;
    st->finished_ms = fin;
    const char *oom = strstr(tmp, " oom="); /* absent in older supervisors' records */
    st->oom = oom && oom[5] == '1';
    return 0;
}

int sathd_proc_log_parse(const char *rec, size_t len, int64_t *ms, int *is_stderr,
                         const char **text, size_t *text_len)
{
    size_t i = 0;
    int64_t v = 0;
    while (i < len && i < 18 && rec[i] >= '0' && rec[i] <= '9') /* 18 digits: no overflow */
        v = v * 10 + (rec[i++] - '0');
    if (i == 0 || i + 2 > len || rec[i] != ' ' || (rec[i + 1] != 'o' && rec[i + 1] != 'e'))
        return -1;
    if (i + 2 < len && rec[i + 2] != ' ')
        return -1;
    *ms = v;
    *is_stderr = rec[i + 1] == 'e';
    size_t start = i + 3 <= len ? i + 3 : len;
    *text = rec + start;
    *text_len = len - start;
    return 0;
}

int sathd_proc_fd_high(int fd)
{
    if (fd < 0 || fd >= 10)
        return fd;
    int h = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    return h;
}

int sathd_proc_spawn(pid_t *pid, const char *path, const int *fds, int n, int chdir_root,
                     char *const argv[], char *const env[])
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    for (int i = 0; i < n; i++) {
        if (fds[i] < 0)
            posix_spawn_file_actions_addopen(&fa, i + 1, "/dev/null", O_WRONLY, 0);
        else
            posix_spawn_file_actions_adddup2(&fa, fds[i], i + 1);
    }
    posix_spawn_file_actions_addclosefrom_np(&fa, n + 1);
    if (chdir_root)
        posix_spawn_file_actions_addchdir_np(&fa, "/");
    sigset_t none, def;
    sigemptyset(&none);
    sigfillset(&def);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(pid, path, &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc;
}

void sathd_proc_log_name(unsigned n, char buf[16])
{
    snprintf(buf, 16, "log.%06u", n % 1000000u);
}
