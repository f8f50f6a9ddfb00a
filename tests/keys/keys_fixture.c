/*
 * keys_fixture.c - see keys_fixture.h.
 */
#include "keys_fixture.h"

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
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

extern char **environ;

static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s); /* never listened: connecting is refused */
    return port;
}

int fake_providers_start(fake_providers *f)
{
    memset(f, 0, sizeof *f);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    char *argv[] = {(char *)"/usr/bin/python3", (char *)FAKE_PROVIDERS_PY, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    int rc = posix_spawn(&f->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    FILE *in = fdopen(fds[0], "r");
    char line[64] = "";
    if (!in || !fgets(line, sizeof line, in) || sscanf(line, "PORT %d", &f->port) != 1) {
        fprintf(stderr, "fake_providers.py did not start\n");
        if (in)
            fclose(in);
        fake_providers_stop(f);
        return -1;
    }
    fclose(in);
    f->closed_port = closed_port();
    return f->closed_port > 0 ? 0 : -1;
}

void fake_providers_stop(fake_providers *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        f->pid = 0;
    }
}

sath_client *keys_user_client(const sathd_proc *p, char *user_id)
{
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    char email[64];
    snprintf(email, sizeof email, "keys.%02x%02x%02x%02x%02x%02x@example.com", r[0], r[1], r[2],
             r[3], r[4], r[5]);
    sath_client *c = NULL;
    if (sath_client_new(p->target, NULL, &c) != SATH_OK)
        return NULL;
    Sath__V1__RegisterRequest reg = SATH__V1__REGISTER_REQUEST__INIT;
    reg.email = email;
    reg.password = (char *)"correct horse battery";
    reg.name = (char *)"Keys Tester";
    Sath__V1__RegisterResponse *rr = NULL;
    Sath__V1__LoginRequest lr = SATH__V1__LOGIN_REQUEST__INIT;
    lr.email = email;
    lr.password = reg.password;
    Sath__V1__LoginResponse *login = NULL;
    if (sath_auth_register(c, &reg, &rr, NULL) != SATH_OK ||
        sath_auth_login(c, &lr, &login, NULL) != SATH_OK ||
        sath_client_set_tokens(c, login->access_token, login->refresh_token) != SATH_OK) {
        sath_client_free(c);
        c = NULL;
    } else if (user_id) {
        snprintf(user_id, 37, "%s", rr->user->id);
    }
    if (rr)
        sath__v1__register_response__free_unpacked(rr, NULL);
    if (login)
        sath__v1__login_response__free_unpacked(login, NULL);
    return c;
}

int keys_run_rotate(const sathd_proc *p, const char *keys, char **out)
{
    char path[300];
    snprintf(path, sizeof path, "%s.rotate", p->log_path);
    char db[1200], k[1024];
    snprintf(db, sizeof db, "SATH_DATABASE_URL=%s", p->conninfo);
    snprintf(k, sizeof k, "SATH_ENCRYPTION_KEYS=%s", keys);
    char *envp[] = {db, k, (char *)"SATH_LOG_LEVEL=warn", NULL};
    char *argv[] = {(char *)sathd_proc_binary(), (char *)"rotate-keys", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    FILE *f = fopen(path, "r");
    *out = calloc(1, 8192);
    if (f && *out)
        (void)!fread(*out, 1, 8191, f);
    if (f)
        fclose(f);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static PGresult *run(const sathd_proc *p, const char *sql, int n, const char *const *params,
                     PGconn **conn)
{
    *conn = PQconnectdb(p->conninfo);
    if (PQstatus(*conn) != CONNECTION_OK)
        return NULL;
    PGresult *r = PQexecParams(*conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        fprintf(stderr, "sql failed: %s\n", PQerrorMessage(*conn));
        PQclear(r);
        return NULL;
    }
    return r;
}

char *keys_sql(const sathd_proc *p, const char *sql, const char *a, const char *b)
{
    const char *params[] = {a, b};
    PGconn *c = NULL;
    PGresult *r = run(p, sql, b ? 2 : a ? 1 : 0, params, &c);
    char *out = NULL;
    if (r)
        out = strdup(PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
    return out;
}

char *keys_sql_all(const sathd_proc *p, const char *sql)
{
    PGconn *c = NULL;
    PGresult *r = run(p, sql, 0, NULL, &c);
    char *out = NULL;
    size_t len = 0;
    FILE *m = r ? open_memstream(&out, &len) : NULL;
    for (int i = 0; m && i < PQntuples(r); i++)
        for (int j = 0; j < PQnfields(r); j++)
            fprintf(m, "%s\n", PQgetvalue(r, i, j));
    if (m)
        fclose(m);
    PQclear(r);
    PQfinish(c);
    return out;
}
