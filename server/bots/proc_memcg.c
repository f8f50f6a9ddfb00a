/*
 * proc_memcg.c - the process backend's memory limit as a memory cgroup, so a bot that
 * goes over it is killed by the kernel's OOM killer and the kill can be told apart from
 * any other SIGKILL (proc_internal.h has the API).
 *
 * Where: cgroup v1 (a memory hierarchy at /sys/fs/cgroup/memory): a child of the
 * caller's own memory cgroup, so whatever bounds the orchestrator still bounds its bots;
 * cgroup v2 (memory in /sys/fs/cgroup/cgroup.controllers): /sys/fs/cgroup/sath-bots/NAME,
 * since v2 lets a cgroup that holds processes (the orchestrator's) have no controller-
 * enabled children.  One cgroup per user, reused by that user's next run: the OOM count
 * is therefore read as a difference from the moment the run started.
 *
 * Only root can create cgroups (and the supervisor drops to the bot user before the
 * bot starts), so the supervisor opens the cgroup's cgroup.procs while still root and
 * writes the bot's pid into it after the spawn: the kernel checks a v1 write against the
 * writer's and the target's uid (the same bot user) and a v2 write against the opener's
 * credentials.  Without root, or without a writable memory controller, the caller falls
 * back to RLIMIT_AS (allocations fail instead: nothing is killed for the limit).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_internal.h"

#define V1_ROOT "/sys/fs/cgroup/memory"
#define V2_ROOT "/sys/fs/cgroup"
#define V2_PARENT V2_ROOT "/sath-bots"

static int write_file(const char *dir, const char *file, const char *value)
{
    char path[SATHD_PROC_MEMCG_PATH + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* The value after `key ` in a "key value" per line file, or -1. */
static long long read_key(const char *dir, const char *file, const char *key)
{
    char path[SATHD_PROC_MEMCG_PATH + 64], line[128];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    long long v = -1;
    size_t kl = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
            v = atoll(line + kl + 1);
    if (f)
        fclose(f);
    return v;
}

static int has_word(const char *path, const char *word)
{
    char buf[512];
    FILE *f = fopen(path, "re");
    int found = 0;
    while (f && !found && fscanf(f, "%127s", buf) == 1)
        found = strcmp(buf, word) == 0;
    if (f)
        fclose(f);
    return found;
}

/* The caller's cgroup v1 memory path ("/a/b"; "" = the root) from /proc/self/cgroup. */
static int own_v1_path(char *out, size_t len)
{
    char line[600];
    FILE *f = fopen("/proc/self/cgroup", "re");
    int rc = -1;
    while (f && rc != 0 && fgets(line, sizeof line, f)) {
        char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
        if (!path)
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        /* the controller list may name several: "memory", "cpu,memory" */
        char *save = NULL;
        for (char *tok = strtok_r(ctl + 1, ",", &save); tok && rc != 0;
             tok = strtok_r(NULL, ",", &save))
            if (strcmp(tok, "memory") == 0) {
                snprintf(out, len, "%s", strcmp(path, "/") == 0 ? "" : path);
                rc = 0;
            }
    }
    if (f)
        fclose(f);
    return rc;
}

int sathd_proc_memcg_path(const char *name, char *dir, size_t len, int *version)
{
    char own[400];
    if (!name || !*name || strchr(name, '/') || name[0] == '.')
        return -1;
    struct stat st;
    if (stat(V1_ROOT "/memory.limit_in_bytes", &st) == 0 && own_v1_path(own, sizeof own) == 0) {
        *version = 1;
        return snprintf(dir, len, V1_ROOT "%s/%s", own, name) < (int)len ? 0 : -1;
    }
    if (has_word(V2_ROOT "/cgroup.controllers", "memory")) {
        *version = 2;
        return snprintf(dir, len, V2_PARENT "/%s", name) < (int)len ? 0 : -1;
    }
    return -1;
}

int sathd_proc_memcg_open(sathd_proc_memcg *cg, const char *name, long long bytes, char *err,
                          size_t errlen)
{
    memset(cg, 0, sizeof *cg);
    cg->procs_fd = -1;
    char v[32];
    snprintf(v, sizeof v, "%lld", bytes);
    if (bytes <= 0 || sathd_proc_memcg_path(name, cg->dir, sizeof cg->dir, &cg->version) != 0) {
        snprintf(err, errlen, "no memory cgroup controller");
        return -1;
    }
    if (cg->version == 2) {
        /* memory must be enabled for the children of the root and of sath-bots */
        write_file(V2_ROOT, "cgroup.subtree_control", "+memory");
        if (mkdir(V2_PARENT, 0755) != 0 && errno != EEXIST)
            goto fail;
        if (!has_word(V2_PARENT "/cgroup.subtree_control", "memory") &&
            write_file(V2_PARENT, "cgroup.subtree_control", "+memory") != 0)
            goto fail;
    }
    if (mkdir(cg->dir, 0755) != 0 && errno != EEXIST)
        goto fail;
    if (cg->version == 1) {
        /* memory + swap no higher than memory: lift the old pair first (a reused cgroup
         * may have had a lower limit), then set both */
        write_file(cg->dir, "memory.memsw.limit_in_bytes", "-1");
        if (write_file(cg->dir, "memory.limit_in_bytes", v) != 0)
            goto fail;
        struct stat st;
        char memsw[SATHD_PROC_MEMCG_PATH + 40];
        snprintf(memsw, sizeof memsw, "%s/memory.memsw.limit_in_bytes", cg->dir);
        if (stat(memsw, &st) == 0 && write_file(cg->dir, "memory.memsw.limit_in_bytes", v) != 0)
            goto fail;
    } else {
        if (write_file(cg->dir, "memory.max", v) != 0)
            goto fail;
        write_file(cg->dir, "memory.swap.max", "0"); /* absent without swap accounting */
    }
    cg->oom_before = sathd_proc_memcg_oom_kills(cg);
    if (cg->oom_before < 0) {
        errno = ENOTSUP; /* a kernel that does not count OOM kills: we could not tell */
        goto fail;
    }
    char procs[SATHD_PROC_MEMCG_PATH + 20];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", cg->dir);
    if ((cg->procs_fd = open(procs, O_WRONLY | O_CLOEXEC)) < 0)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "memory cgroup %s: %s", cg->dir, strerror(errno));
    cg->dir[0] = '\0';
    return -1;
}

int sathd_proc_memcg_enter(sathd_proc_memcg *cg, pid_t pid)
{
    char v[24];
    int n = snprintf(v, sizeof v, "%d", (int)pid);
    int rc = cg->procs_fd >= 0 && write(cg->procs_fd, v, (size_t)n) == n ? 0 : -1;
    if (cg->procs_fd >= 0)
        close(cg->procs_fd);
    cg->procs_fd = -1;
    return rc;
}

long long sathd_proc_memcg_oom_kills(const sathd_proc_memcg *cg)
{
    if (!cg->dir[0])
        return -1;
    return cg->version == 1 ? read_key(cg->dir, "memory.oom_control", "oom_kill")
                            : read_key(cg->dir, "memory.events", "oom_kill");
}

int sathd_proc_memcg_remove(const char *name)
{
    char dir[SATHD_PROC_MEMCG_PATH];
    int version;
    if (sathd_proc_memcg_path(name, dir, sizeof dir, &version) != 0)
        return 0;
    return rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
}
