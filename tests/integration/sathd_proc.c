/*
 * sathd_proc.c - see sathd_proc.h.
 */
#include "sathd_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

extern char **environ;

const char *sathd_proc_binary(void)
{
    const char *b = getenv("SATHD_BIN");
    return b && *b ? b : "sathd";
}

/* key=value conninfo for `dbname` on the server of SATH_TEST_DATABASE_URL. */
static int conninfo_for(const char *dbname, char *out, size_t outlen)
{
    const char *url = getenv("SATH_TEST_DATABASE_URL");
    if (!url) {
        fprintf(stderr, "SATH_TEST_DATABASE_URL is not set (run through scripts/test)\n");
        return -1;
    }
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    if (!opts) {
        fprintf(stderr, "bad SATH_TEST_DATABASE_URL: %s\n", err ? err : "?");
        PQfreemem(err);
        return -1;
    }
    size_t n = 0;
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || strcmp(o->keyword, "dbname") == 0)
            continue;
        n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s='%s' ", o->keyword, o->val);
    }
    n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "dbname='%s'", dbname);
    PQconninfoFree(opts);
    return n < outlen ? 0 : -1;
}

static int admin_sql(const char *sql)
{
    char ci[1024];
    if (conninfo_for("postgres", ci, sizeof ci) != 0)
        return -1;
    PGconn *c = PQconnectdb(ci);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "admin sql failed: %s\n", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

static int run_sathd(const sathd_proc *p, const char *cmd, char **envp, pid_t *pid, int wait_exit)
{
    char *argv[] = {(char *)sathd_proc_binary(), (char *)cmd, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, p->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "spawn %s: %s\n", argv[0], strerror(rc));
        return -1;
    }
    if (!wait_exit)
        return 0;
    int st = 0;
    while (waitpid(*pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Scans sathd's log for `msg="serving" grpc=HOST:PORT` (key " grpc=") or the
 * gateway's `http=HOST:PORT` (key " http=") on the same line; 0 when not there (yet). */
static int read_port(const sathd_proc *p, const char *key)
{
    FILE *f = fopen(p->log_path, "r");
    if (!f)
        return 0;
    char line[4096];
    int port = 0;
    size_t klen = strlen(key);
    while (!port && fgets(line, sizeof line, f)) {
        const char *s = strstr(line, "msg=\"serving\"");
        const char *g = s ? strstr(s, key) : NULL;
        const char *colon = g ? strchr(g + klen, ' ') : NULL;
        if (g) {
            const char *last = NULL;
            for (const char *q = g + klen; *q && q != colon; q++)
                if (*q == ':')
                    last = q;
            if (last)
                port = atoi(last + 1);
        }
    }
    fclose(f);
    return port;
}

/* sathd's environment: ours first (getenv() in sathd takes the first match), then the
 * test's.  The strings live in `p` (env_db, env_redis, env_key) or are static. */
static char **build_env(sathd_proc *p, const char *const *extra_env, const char *redis,
                        const char *seed_b64)
{
    size_t n_env = 0, n_extra = 0;
    while (environ[n_env])
        n_env++;
    while (extra_env && extra_env[n_extra])
        n_extra++;
    char **envp = calloc(n_env + n_extra + 24, sizeof *envp);
    if (!envp)
        return NULL;
    size_t k = 0;
    static char db_env[1200], redis_env[512], key_env[128], rl_env[80];
    for (size_t i = 0; i < n_extra; i++)
        envp[k++] = (char *)extra_env[i];
    snprintf(db_env, sizeof db_env, "SATH_DATABASE_URL=%s", p->conninfo);
    snprintf(redis_env, sizeof redis_env, "SATH_REDIS_URL=%s", redis);
    snprintf(key_env, sizeof key_env, "SATH_JWT_ED25519_KEY=%s", seed_b64);
    envp[k++] = db_env;
    envp[k++] = redis_env;
    envp[k++] = key_env;
    envp[k++] = (char *)"SATH_GRPC_ADDR=127.0.0.1:0";
    envp[k++] = (char *)"SATH_HTTP_ADDR=127.0.0.1:0"; /* never the shared default 8080 */
    envp[k++] = (char *)"SATH_GRPC_WORKERS=2";
    envp[k++] = (char *)"SATH_PWHASH_CONCURRENCY=2";
    envp[k++] = (char *)"SATH_SHUTDOWN_GRACE_MS=5000";
    /* Rate limits: every test talks from 127.0.0.1 and the Redis is shared, so each sathd
     * gets its own key space and limits no functional test reaches; the limiter's own
     * tests (torture_ratelimit) pass theirs in extra_env, which wins. */
    snprintf(rl_env, sizeof rl_env, "SATH_RATELIMIT_PREFIX=it:%s:", p->dbname);
    envp[k++] = rl_env;
    envp[k++] = (char *)"SATH_RL_LOGIN_IP=100000/60";
    envp[k++] = (char *)"SATH_RL_LOGIN_ACCOUNT=100000/60";
    envp[k++] = (char *)"SATH_RL_REGISTER_IP=100000/60";
    envp[k++] = (char *)"SATH_RL_REGISTER_ACCOUNT=100000/60";
    envp[k++] = (char *)"SATH_RL_REFRESH_IP=100000/60";
    envp[k++] = (char *)"SATH_RL_EXPENSIVE_USER=100000/60";
    envp[k++] = (char *)"SATH_RL_USER=1000000/60";
    envp[k++] = (char *)"SATH_RL_PUBLIC_IP=1000000/60";
    for (size_t i = 0; i < n_env; i++)
        envp[k++] = environ[i];
    envp[k] = NULL;
    return envp;
}

/* Waits for the serving line of the sathd just spawned; fills the ports. */
static int wait_serving(sathd_proc *p)
{
    p->port = 0;
    for (int i = 0; i < 300 && !p->port; i++) { /* up to 15 s */
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            fprintf(stderr, "sathd exited during start-up (log %s)\n", p->log_path);
            p->pid = 0;
            return -1;
        }
        p->port = read_port(p, " grpc=");
        if (!p->port)
            usleep(50 * 1000);
    }
    if (!p->port) {
        fprintf(stderr, "sathd did not start in time (log %s)\n", p->log_path);
        return -1;
    }
    snprintf(p->target, sizeof p->target, "127.0.0.1:%d", p->port);
    p->http_port = read_port(p, " http=");
    if (p->http_port)
        snprintf(p->http_base, sizeof p->http_base, "http://127.0.0.1:%d", p->http_port);
    return 0;
}

/* Starts sathd on p->conninfo (a fresh signing key unless extra_env names one);
 * `migrate` runs the migrations first. */
static int start_on_db(sathd_proc *p, const char *const *extra_env, int migrate)
{
    const char *redis = getenv("SATH_TEST_REDIS_URL");
    if (!redis) {
        fprintf(stderr, "SATH_TEST_REDIS_URL is not set (run through scripts/test)\n");
        return -1;
    }
    unsigned char seed[32];
    char seed_b64[64];
    randombytes_buf(seed, sizeof seed);
    sodium_bin2base64(seed_b64, sizeof seed_b64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);

    char **envp = build_env(p, extra_env, redis, seed_b64);
    if (!envp)
        return -1;

    pid_t pid;
    int rc = migrate ? run_sathd(p, "migrate", envp, &pid, 1) : 0;
    if (rc != 0) {
        fprintf(stderr, "sathd migrate exited %d (log %s)\n", rc, p->log_path);
        free(envp);
        return -1;
    }
    rc = run_sathd(p, "serve", envp, &p->pid, 0);
    free(envp);
    return rc != 0 ? -1 : wait_serving(p);
}

int sathd_proc_start(sathd_proc *p, const char *const *extra_env)
{
    memset(p, 0, sizeof *p);
    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    snprintf(p->dbname, sizeof p->dbname, "it_%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    snprintf(p->log_path, sizeof p->log_path, "%s/sathd-%s.log",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", p->dbname);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", p->dbname);
    if (conninfo_for(p->dbname, p->conninfo, sizeof p->conninfo) != 0 || admin_sql(sql) != 0)
        return -1;
    return start_on_db(p, extra_env, 1);
}

int sathd_proc_start_peer(sathd_proc *p, const sathd_proc *first, const char *const *extra_env)
{
    memset(p, 0, sizeof *p);
    unsigned char rnd[4];
    randombytes_buf(rnd, sizeof rnd);
    memcpy(p->conninfo, first->conninfo, sizeof p->conninfo);
    snprintf(p->log_path, sizeof p->log_path, "%s/sathd-%s-peer%02x%02x%02x%02x.log",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", first->dbname, rnd[0], rnd[1], rnd[2],
             rnd[3]);
    return start_on_db(p, extra_env, 0); /* dbname stays "": the first one drops it */
}

int sathd_proc_stop(sathd_proc *p)
{
    int status = -1;
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        int st = 0;
        while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
            ;
        status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        p->pid = 0;
    }
    if (p->dbname[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", p->dbname);
        admin_sql(sql);
    }
    if (status == 0)
        unlink(p->log_path);
    return status;
}

char *sathd_proc_sql(const sathd_proc *p, const char *sql, const char *param1)
{
    PGconn *c = PQconnectdb(p->conninfo);
    char *out = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        const char *params[] = {param1};
        PGresult *r = PQexecParams(c, sql, param1 ? 1 : 0, NULL, params, NULL, NULL, 0);
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
            out = strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
        else
            fprintf(stderr, "fixture sql failed: %s\n", PQerrorMessage(c));
        PQclear(r);
    }
    PQfinish(c);
    return out;
}

int sathd_proc_set_plan(const sathd_proc *p, const char *user_id, const char *plan)
{
    static const struct {
        const char *sql;
        int nparams;
    } steps[] = {
        {"UPDATE subscriptions SET status = 'canceled', canceled_at = now(), past_due_since = "
         "NULL WHERE user_id = $1::uuid AND status <> 'canceled'", 1},
        {"INSERT INTO subscriptions (user_id, plan_id, status) SELECT $1::uuid, id, 'active' "
         "FROM plans WHERE name = $2 AND name <> 'free'", 2},
        {"UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = $2) WHERE id = $1::uuid "
         "AND EXISTS (SELECT 1 FROM plans WHERE name = $2)", 2},
    };
    PGconn *c = PQconnectdb(p->conninfo);
    int rc = PQstatus(c) == CONNECTION_OK ? 0 : -1;
    const char *params[] = {user_id, plan};
    if (rc == 0) /* all or nothing: an unknown plan leaves the subscriptions alone */
        PQclear(PQexec(c, "BEGIN"));
    for (size_t i = 0; rc == 0 && i < sizeof steps / sizeof *steps; i++) {
        PGresult *r = PQexecParams(c, steps[i].sql, steps[i].nparams, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "fixture set_plan failed: %s\n", PQerrorMessage(c));
            rc = -1;
        } else if (i == 2 && strcmp(PQcmdTuples(r), "1") != 0) {
            fprintf(stderr, "fixture set_plan: no user %s or no plan %s\n", user_id, plan);
            rc = -1;
        }
        PQclear(r);
    }
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, rc == 0 ? "COMMIT" : "ROLLBACK");
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = -1;
        PQclear(r);
    }
    PQfinish(c);
    return rc;
}

int sathd_proc_set_past_due(const sathd_proc *p, const char *user_id, int days)
{
    char sql[320];
    snprintf(sql, sizeof sql,
             "WITH s AS (UPDATE subscriptions SET status = 'past_due', past_due_since = now() - "
             "interval '%d days' WHERE user_id = $1::uuid AND status = 'active' RETURNING 1) "
             "SELECT count(*) FROM s", days);
    char *n = sathd_proc_sql(p, sql, user_id);
    int rc = n && strcmp(n, "1") == 0 ? 0 : -1;
    free(n);
    return rc;
}

char *sathd_proc_plan_name(const sathd_proc *p, const char *user_id)
{
    return sathd_proc_sql(p, "SELECT p.name FROM users u JOIN plans p ON p.id = u.plan_id "
                             "WHERE u.id = $1::uuid", user_id);
}

int sathd_proc_restart(sathd_proc *p, const char *const *extra_env)
{
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        int st = 0;
        while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
            ;
        p->pid = 0;
    }
    unsigned char seed[32];
    char seed_b64[64];
    randombytes_buf(seed, sizeof seed);
    sodium_bin2base64(seed_b64, sizeof seed_b64, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    truncate(p->log_path, 0); /* the ports are read from the new serving line */
    /* the same gRPC address: the first SATH_GRPC_ADDR of the environment wins over
     * build_env's port 0 */
    char addr[96];
    snprintf(addr, sizeof addr, "SATH_GRPC_ADDR=%s", p->target);
    const char *pinned[40];
    size_t k = 0;
    pinned[k++] = addr;
    for (size_t i = 0; extra_env && extra_env[i] && k < 39; i++)
        pinned[k++] = extra_env[i];
    pinned[k] = NULL;
    char **envp = build_env(p, pinned, getenv("SATH_TEST_REDIS_URL"), seed_b64);
    if (!envp)
        return -1;
    int rc = run_sathd(p, "serve", envp, &p->pid, 0);
    free(envp);
    return rc != 0 ? -1 : wait_serving(p);
}
