/*
 * child_run.c - see child_run.h.  posix_spawn with three pipes, and one poll loop that
 * feeds stdin and drains stdout and stderr together until the child has closed both.
 */
#define _GNU_SOURCE /* POSIX_SPAWN_SETSID */
#include "child_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Appends what fd has now to buf (cap bytes, NUL kept), counting all of it in *total.
 * Returns 1 while the pipe is open, 0 at end of file. */
static int drain(int fd, char *buf, size_t cap, size_t *total)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    size_t have = *total < cap - 1 ? *total : cap - 1;
    size_t take = (size_t)n < cap - 1 - have ? (size_t)n : cap - 1 - have;
    memcpy(buf + have, chunk, take);
    buf[have + take] = '\0';
    *total += (size_t)n;
    return 1;
}

int child_run(char *const argv[], char *const envp[], const char *input, child_result *r)
{
    memset(r, 0, sizeof *r);
    r->code = -1;
    int in[2], out[2], err[2];
    if (pipe(in) != 0)
        return -1;
    if (pipe(out) != 0) {
        close(in[0]), close(in[1]);
        return -1;
    }
    if (pipe(err) != 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(in[1]), close(out[0]), close(err[0]);
        return -1;
    }

    /* A child that exits without reading stdin must not kill us with SIGPIPE. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    const char *pending = input ? input : "";
    size_t left = strlen(pending);
    int to_child = in[1];
    fcntl(to_child, F_SETFL, O_NONBLOCK);
    if (left == 0) {
        close(to_child);
        to_child = -1;
    }
    int open_out = 1, open_err = 1;
    while (open_out || open_err || to_child >= 0) {
        struct pollfd p[3] = {{.fd = open_out ? out[0] : -1, .events = POLLIN},
                              {.fd = open_err ? err[0] : -1, .events = POLLIN},
                              {.fd = to_child, .events = POLLOUT}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (open_out && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            open_out = drain(out[0], r->out, sizeof r->out, &r->out_total);
        if (open_err && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
            open_err = drain(err[0], r->err, sizeof r->err, &r->err_total);
        if (to_child >= 0 && p[2].revents) {
            ssize_t n = (p[2].revents & POLLOUT) ? write(to_child, pending, left) : -1;
            if (n > 0) {
                pending += n;
                left -= (size_t)n;
            }
            if (left == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                close(to_child);
                to_child = -1;
            }
        }
    }
    if (to_child >= 0)
        close(to_child);
    close(out[0]);
    close(err[0]);
    sigaction(SIGPIPE, &old, NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return 0;
}

int child_run_home(const char *home, const char *const *head, va_list rest, const char *input,
                   child_result *r)
{
    char *argv[32];
    int argc = 0;
    for (; head[argc] && argc < 31; argc++)
        argv[argc] = (char *)head[argc];
    const char *a;
    while (argc < 31 && (a = va_arg(rest, const char *)) != NULL)
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    char xdg[512], home_env[512];
    snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s", home);
    snprintf(home_env, sizeof home_env, "HOME=%s", home);
    char *envp[] = {xdg, home_env, (char *)"PATH=/usr/bin:/bin", NULL};
    return child_run(argv, envp, input, r);
}

int child_home_new(char *dir, size_t cap, const char *prefix)
{
    snprintf(dir, cap, "/tmp/%s-XXXXXX", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

int child_home_remove(const char *dir)
{
    if (strncmp(dir, "/tmp/", 5) != 0 || strstr(dir, ".."))
        return -1; /* only what child_home_new made */
    char *const argv[] = {(char *)"/bin/rm", (char *)"-rf", (char *)dir, NULL};
    char *const envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
    child_result *r = malloc(sizeof *r);
    int rc = r && child_run(argv, envp, NULL, r) == 0 && r->code == 0 ? 0 : -1;
    free(r);
    return rc;
}
