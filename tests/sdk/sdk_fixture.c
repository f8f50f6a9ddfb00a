/*
 * sdk_fixture.c - see sdk_fixture.h.
 */
#define _GNU_SOURCE /* mkdtemp */
#include "sdk_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

extern char **environ;

long long sdk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sdk_register(sath_client *c, char *email, size_t email_cap, char *password, size_t pw_cap)
{
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    snprintf(email, email_cap, "sdk.%02x%02x%02x%02x%02x%02x%02x%02x@example.org", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7]);
    randombytes_buf(r, sizeof r);
    snprintf(password, pw_cap, "pw-%02x%02x%02x%02x%02x%02x-long", r[0], r[1], r[2], r[3], r[4], r[5]);
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = email;
    req.password = password;
    req.name = (char *)"SDK test";
    return sath_auth_register(c, &req, NULL, NULL);
}

int sdk_server_start(sdk_server *s, const char *const *extra_env, int no_account)
{
    memset(s, 0, sizeof *s);
    if (sodium_init() < 0 || sathd_proc_start(&s->proc, extra_env) != 0)
        return -1;
    if (no_account)
        return 0;
    sath_client *c = NULL;
    int rc = sath_client_new(s->proc.target, NULL, &c);
    if (rc == SATH_OK)
        rc = sdk_register(c, s->email, sizeof s->email, s->password, sizeof s->password);
    if (rc != SATH_OK)
        fprintf(stderr, "register: %s: %s\n", sath_err_name(rc), sath_client_last_error_message(c));
    sath_client_free(c);
    return rc == SATH_OK ? 0 : -1;
}

int sdk_group_setup(void **state)
{
    sdk_fixture *f = calloc(1, sizeof *f);
    *state = f;
    signal(SIGPIPE, SIG_IGN); /* a test's peer may close first (the keepalive proxy) */
    if (!f || sdk_server_start(&f->srv, NULL, 0) != 0 || !(f->c = sdk_login(&f->srv, NULL)) ||
        sath_call_opts_new(&f->o) != SATH_OK)
        return -1;
    return 0;
}

int sdk_group_teardown(void **state)
{
    sdk_fixture *f = *state;
    if (!f)
        return -1;
    sath_call_opts_free(f->o);
    sath_client_free(f->c);
    int rc = sdk_server_stop(&f->srv);
    free(f);
    return rc == 0 ? 0 : -1;
}

int sdk_server_stop(sdk_server *s)
{
    return sathd_proc_stop(&s->proc);
}

sath_client *sdk_login(const sdk_server *s, const sath_client_options *opts)
{
    sath_client *c = NULL;
    int rc = sath_client_new(s->proc.target, opts, &c);
    if (rc == SATH_OK)
        rc = sath_client_login(c, s->email, s->password, NULL);
    if (rc != SATH_OK) {
        fprintf(stderr, "login: %s: %s\n", sath_err_name(rc), c ? sath_client_last_error_message(c) : "");
        sath_client_free(c);
        return NULL;
    }
    return c;
}

int sdk_tempdir(char *dir, size_t cap)
{
    snprintf(dir, cap, "/tmp/sath-sdk-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

void sdk_rmdir(const char *dir)
{
    if (!dir[0] || strncmp(dir, "/tmp/sath-sdk-", 14) != 0)
        return; /* only what sdk_tempdir() made */
    char *argv[] = {(char *)"/bin/rm", (char *)"-rf", (char *)dir, NULL};
    sdk_run(argv, NULL, NULL);
}

int sdk_make_certs(const char *dir)
{
    char *argv[] = {(char *)"/bin/sh", (char *)SATH_SDK_TEST_DIR "/make_certs.sh", (char *)dir, NULL};
    return sdk_run(argv, NULL, NULL) == 0 ? 0 : -1;
}

int sdk_run(char *const argv[], const char *const *extra_env, const char *log)
{
    size_t n_env = 0, n_extra = 0;
    while (environ[n_env])
        n_env++;
    while (extra_env && extra_env[n_extra])
        n_extra++;
    char **envp = calloc(n_env + n_extra + 1, sizeof *envp);
    if (!envp)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n_extra; i++) /* first: getenv() takes the first match */
        envp[k++] = (char *)extra_env[i];
    for (size_t i = 0; i < n_env; i++)
        envp[k++] = environ[i];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (log) {
        posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
    }
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    if (rc != 0)
        return -1;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int bound_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

int sdk_closed_port(void)
{
    int port = 0;
    int fd = bound_socket(&port); /* bound, never listening: connections are refused */
    if (fd >= 0)
        close(fd);
    return port;
}

int sdk_silent_listener(int *port)
{
    int fd = bound_socket(port);
    if (fd >= 0 && listen(fd, 16) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}
