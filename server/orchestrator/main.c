/*
 * main.c - sath-orchestrator: makes users' bots run (or not) as PostgreSQL says.
 *
 * sathd writes desired state and NOTIFYs `sath_bots`; this daemon LISTENs, also polls
 * every SATH_ORCH_POLL_MS (a missed notification only delays), reconciles each bot
 * through a backend (SATH_BOT_BACKEND: process, docker, swarm) and writes the observation
 * back.  Bots outlive it: on restart it re-adopts what runs (the backends find their
 * bots by name / label) and never starts a second one.  Configuration is environment
 * only; `sath-orchestrator --help` lists it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "sathd/bot_logstream.h"
#include "sathd/log.h"
#include "orch.h"

static const char help[] =
    "usage: sath-orchestrator        (configuration from the environment)\n"
    "  SATH_DATABASE_URL          PostgreSQL (required)\n"
    "  SATH_REDIS_URL             Redis, where bot log lines go (required)\n"
    "  SATH_BOT_BACKEND           process (default) | docker | swarm\n"
    "  SATH_BOT_PROGRAM           bot executable (process backend); default: sath-bot next to\n"
    "                             this program\n"
    "  SATH_BOT_ARGS              extra arguments for the bot, space-separated (never secrets)\n"
    "  SATH_BOT_STATE_DIR         process backend: pidfiles, status, logs (default .sath/bots)\n"
    "  SATH_BOT_USER              process backend, as root: the bots' user (default nobody)\n"
    "  SATH_BOT_LOG_MAX_BYTES     rotate a bot's log file past this size (default 8388608)\n"
    "  SATH_BOT_LOG_KEEP          rotated log files kept per run (default 3)\n"
    "  SATH_BOT_MEMORY_BYTES      address space (process) / memory (docker) limit, 0 = none\n"
    "  SATH_BOT_PIDS_LIMIT        processes (RLIMIT_NPROC, per uid) / PidsLimit (default 4096)\n"
    "  SATH_BOT_OPEN_FILES        RLIMIT_NOFILE (default 1024)\n"
    "  SATH_BOT_NANO_CPUS         docker: CPU limit in 1e-9 CPUs (0 = none)\n"
    "  SATH_BOT_STOP_GRACE_S      SIGTERM -> SIGKILL delay (default 10)\n"
    "  SATH_BOT_SATHD_ADDR        sathd address given to bots (default SATH_GRPC_ADDR)\n"
    "  SATH_BOT_RESTART_MAX       failures within the window before FAILED (default 5)\n"
    "  SATH_BOT_RESTART_WINDOW_S  (default 300)\n"
    "  SATH_BOT_BACKOFF_BASE_MS   first restart delay, doubled per failure (default 1000)\n"
    "  SATH_BOT_BACKOFF_MAX_MS    cap of the delay (default 60000)\n"
    "  SATH_BOT_TOKEN_TTL_S       run token lifetime (default 86400)\n"
    "  SATH_BOT_LOG_STREAM_MAX    lines kept per user in Redis (default 10000)\n"
    "  SATH_DOCKER_HOST, SATH_BOT_IMAGE, SATH_BOT_NETWORK   docker and swarm backends\n"
    "  SATH_SWARM_CONSTRAINTS     swarm: placement constraints of every bot, comma-separated\n"
    "                             (e.g. node.labels.bots==true)\n"
    "  SATH_SWARM_SPREAD          swarm: spread bots over this node label (node.labels.zone)\n"
    "  SATH_SWARM_PLACEMENT       swarm: class=constraint[,constraint][;class=...], a class\n"
    "                             being a plan name or a mode (live, paper)\n"
    "  SATH_SWARM_RESERVE_PCT     swarm: reservations as %% of the limits (default 25)\n"
    "  SATH_BOT_REMOVE_UNKNOWN    1 (default): remove bots of ours the database does not know;\n"
    "                             0: only report them\n"
    "  SATH_ORCH_WORKERS          parallel bot actions (default 4)\n"
    "  SATH_ORCH_POLL_MS          poll interval (default 1000)\n"
    "  SATH_LOG_LEVEL             debug | info | warn | error\n";

static long env_long(const char *name, long def, long min, long max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < min || x > max) {
        fprintf(stderr, "sath-orchestrator: %s must be an integer in [%ld, %ld]\n", name, min, max);
        exit(2);
    }
    return x;
}

static const char *env_str(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static char **split_args(const char *s)
{
    size_t n = 0, cap = 8;
    char **v = calloc(cap, sizeof *v);
    char *copy = strdup(s ? s : "");
    if (!v || !copy)
        exit(1);
    for (char *save = NULL, *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n + 2 > cap && !(v = realloc(v, (cap *= 2) * sizeof *v)))
            exit(1);
        v[n++] = t;
    }
    v[n] = NULL;
    return v;
}

static int load_config(orch_config *c)
{
    memset(c, 0, sizeof *c);
    char err[256];
    c->database_url = getenv("SATH_DATABASE_URL");
    const char *redis = getenv("SATH_REDIS_URL");
    if (!c->database_url || !*c->database_url || !redis || !*redis) {
        fprintf(stderr, "sath-orchestrator: SATH_DATABASE_URL and SATH_REDIS_URL are required\n");
        return -1;
    }
    if (sathd_redis_url_parse(redis, &c->redis_url, err, sizeof err) != 0) {
        fprintf(stderr, "sath-orchestrator: SATH_REDIS_URL: %s\n", err);
        return -1;
    }
    c->backend = env_str("SATH_BOT_BACKEND", "process");
    c->program = env_str("SATH_BOT_PROGRAM", NULL);
    if (!c->program)
        c->program = sathd_bot_exe_sibling("sath-bot");
    else if (c->program[0] != '/') {
        /* the bot starts in "/": a relative path would not name the same file there */
        char *abs = realpath(c->program, NULL);
        if (!abs) {
            fprintf(stderr, "sath-orchestrator: SATH_BOT_PROGRAM %s: not found\n", c->program);
            return -1;
        }
        c->program = abs;
    }
    c->bot_args = split_args(getenv("SATH_BOT_ARGS"));
    c->bot_addr = env_str("SATH_BOT_SATHD_ADDR", env_str("SATH_GRPC_ADDR", "127.0.0.1:50051"));
    c->be.state_dir = env_str("SATH_BOT_STATE_DIR", ".sath/bots");
    c->be.supervisor_path = env_str("SATH_BOT_SUPERVISOR", NULL);
    c->be.bot_user = env_str("SATH_BOT_USER", "nobody");
    c->be.log_max_bytes = env_long("SATH_BOT_LOG_MAX_BYTES", 8 << 20, 4096, 1L << 40);
    c->be.log_keep = (int)env_long("SATH_BOT_LOG_KEEP", 3, 1, 1000);
    c->be.memory_bytes = env_long("SATH_BOT_MEMORY_BYTES", 0, 0, 1L << 50);
    c->be.nano_cpus = env_long("SATH_BOT_NANO_CPUS", 0, 0, 1L << 50);
    c->be.pids_limit = (int)env_long("SATH_BOT_PIDS_LIMIT", 4096, 1, 1 << 22);
    c->be.open_files = (int)env_long("SATH_BOT_OPEN_FILES", 1024, 16, 1 << 20);
    c->be.stop_grace_s = (int)env_long("SATH_BOT_STOP_GRACE_S", 10, 0, 3600);
    c->be.docker_host = env_str("SATH_DOCKER_HOST", "unix:///var/run/docker.sock");
    c->be.image = env_str("SATH_BOT_IMAGE", "sath-bot:latest");
    c->be.network_mode = env_str("SATH_BOT_NETWORK", NULL);
    c->be.swarm_constraints = env_str("SATH_SWARM_CONSTRAINTS", NULL);
    c->be.swarm_spread = env_str("SATH_SWARM_SPREAD", NULL);
    c->be.swarm_placement = env_str("SATH_SWARM_PLACEMENT", NULL);
    c->be.swarm_reserve_pct = (int)env_long("SATH_SWARM_RESERVE_PCT", 25, 0, 100);
    c->remove_unknown = (int)env_long("SATH_BOT_REMOVE_UNKNOWN", 1, 0, 1);
    c->workers = (int)env_long("SATH_ORCH_WORKERS", 4, 1, 256);
    c->poll_ms = (int)env_long("SATH_ORCH_POLL_MS", 1000, 50, 600000);
    c->restart_max = (int)env_long("SATH_BOT_RESTART_MAX", 5, 1, 1000);
    c->restart_window_s = (int)env_long("SATH_BOT_RESTART_WINDOW_S", 300, 1, 86400 * 30);
    c->backoff_base_ms = (int)env_long("SATH_BOT_BACKOFF_BASE_MS", 1000, 1, 3600000);
    c->backoff_max_ms = (int)env_long("SATH_BOT_BACKOFF_MAX_MS", 60000, 1, 86400000);
    /* engines that restart bots themselves (swarm) get the same policy */
    c->be.restart_max = c->restart_max;
    c->be.restart_delay_ms = c->backoff_base_ms;
    c->be.restart_window_s = c->restart_window_s;
    c->token_ttl_s = (int)env_long("SATH_BOT_TOKEN_TTL_S", 86400, 60, 86400 * 365);
    c->log_stream_max = (int)env_long("SATH_BOT_LOG_STREAM_MAX", SATHD_BOTLOG_DEFAULT_MAXLEN, 100,
                                      100000000);
    const char *lvl = getenv("SATH_LOG_LEVEL");
    if (lvl && sathd_log_level_parse(lvl) >= 0)
        sathd_log_set_level((sathd_log_level)sathd_log_level_parse(lvl));
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const sathd_pg_stmt st_active = {
    "orch_active",
    "SELECT id FROM bot_instances WHERE desired_state = 'running' "
    "OR status IN ('starting', 'running', 'stopping') OR generation > observed_generation",
    0};
/* Bots with a row are the reconciler's (a deactivated user's bot too: it is wanted
 * stopped); only those without one are orphans, so the two never act on one user. */
static const sathd_pg_stmt st_owned = {
    "orch_owned",
    "SELECT b.user_id::text FROM bot_instances b WHERE b.user_id = ANY($1::uuid[])",
    1};

typedef struct seen {
    char (*users)[37];
    size_t n, cap;
} seen;

static int on_listed(void *arg, const sathd_bot_observed *obs)
{
    seen *s = arg;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        void *p = realloc(s->users, cap * sizeof *s->users);
        if (!p)
            return 1;
        s->users = p;
        s->cap = cap;
    }
    snprintf(s->users[s->n++], 37, "%s", obs->user_id);
    return 0;
}

/* Queues every bot PostgreSQL says needs a look, and every bot of ours that has no bot
 * row any more (user deleted, database wiped) for removal. */
static void poll_once(orch *o)
{
    sathd_pg_error why;
    sathd_pg_conn *c = sathd_pg_acquire(o->pg, 5000, &why);
    if (!c) {
        sathd_log(SATHD_LOG_WARN, "msg=\"database unavailable\" reason=\"%s\"", why.message);
        return;
    }
    PGresult *r = sathd_pg_query(c, &st_active, NULL, 0);
    for (int i = 0; r && i < PQntuples(r); i++)
        orch_enqueue(o, PQgetvalue(r, i, 0));
    PQclear(r);
    seen s = {0};
    o->be.ops->list(o->be.self, on_listed, &s);
    if (s.n) {
        size_t len = s.n * 38 + 3;
        char *arr = malloc(len), *p = arr;
        if (arr) {
            *p++ = '{';
            for (size_t i = 0; i < s.n; i++)
                p += sprintf(p, "%s%s", i ? "," : "", s.users[i]);
            *p++ = '}';
            *p = '\0';
            const char *params[1] = {arr};
            r = sathd_pg_query(c, &st_owned, params, 0);
            for (size_t i = 0; r && i < s.n; i++) {
                int owned = 0;
                for (int j = 0; j < PQntuples(r) && !owned; j++)
                    owned = strcmp(PQgetvalue(r, j, 0), s.users[i]) == 0;
                if (!owned)
                    orch_enqueue_item(o, 'u', s.users[i]);
            }
            PQclear(r);
            free(arr);
        }
    }
    free(s.users);
    sathd_pg_release(o->pg, c);
}

static PGconn *listen_open(const char *url)
{
    PGconn *l = PQconnectdb(url);
    if (PQstatus(l) != CONNECTION_OK) {
        sathd_log(SATHD_LOG_WARN, "msg=\"LISTEN connection failed\" reason=\"%s\"",
                  PQerrorMessage(l));
        PQfinish(l);
        return NULL;
    }
    PGresult *r = PQexec(l, "LISTEN sath_bots");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        PQfinish(l);
        return NULL;
    }
    return l;
}

/* LISTEN (reconnecting) and poll until SIGTERM/SIGINT arrives on sfd. */
static void run_loop(orch *o, int sfd)
{
    PGconn *l = NULL;
    int64_t next_poll = 0, next_listen = 0;
    for (;;) {
        int64_t now = mono_ms();
        if (!l && now >= next_listen) {
            l = listen_open(o->cfg.database_url);
            next_listen = now + 2000;
            if (l)
                next_poll = 0; /* notifications may have been missed */
        }
        if (now >= next_poll) {
            poll_once(o);
            next_poll = mono_ms() + o->cfg.poll_ms;
        }
        struct pollfd p[2] = {{sfd, POLLIN, 0}, {l ? PQsocket(l) : -1, POLLIN, 0}};
        int64_t wait = next_poll - mono_ms();
        poll(p, 2, wait > 0 ? (int)wait : 0);
        if (p[0].revents & POLLIN)
            break;
        if (l && p[1].revents) {
            if (!PQconsumeInput(l)) {
                sathd_log(SATHD_LOG_WARN, "msg=\"LISTEN connection lost\"");
                PQfinish(l);
                l = NULL;
                continue;
            }
            PGnotify *n;
            while ((n = PQnotifies(l)) != NULL) {
                if (sathd_uuid_valid(n->extra))
                    orch_enqueue(o, n->extra);
                PQfreemem(n);
            }
        }
    }
    if (l)
        PQfinish(l);
}

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(help, stdout);
        return 0;
    }
    if (argc > 1) {
        fputs(help, stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 1;
    static orch o;
    if (load_config(&o.cfg) != 0)
        return 2;
    char err[256] = "";
    if (sathd_bot_backend_open(o.cfg.backend, &o.cfg.be, &o.be, err, sizeof err) != 0) {
        fprintf(stderr, "sath-orchestrator: backend %s: %s\n", o.cfg.backend, err);
        return 1;
    }
    sathd_pg_pool_options po = {.conninfo = o.cfg.database_url, .size = o.cfg.workers + 1,
                                .statement_timeout_ms = 10000,
                                .application_name = "sath-orchestrator"};
    sathd_redis_pool_options ro = {.url = &o.cfg.redis_url, .size = o.cfg.workers + 1};
    if (!(o.pg = sathd_pg_pool_new(&po, err, sizeof err)) ||
        !(o.redis = sathd_redis_pool_new(&ro, err, sizeof err))) {
        fprintf(stderr, "sath-orchestrator: %s\n", err);
        return 1;
    }
    pthread_mutex_init(&o.mu, NULL);
    pthread_cond_init(&o.cv, NULL);
    o.busy = calloc((size_t)o.cfg.workers, sizeof *o.busy);
    o.again = calloc((size_t)o.cfg.workers, 1);
    orch_worker *ws = calloc((size_t)o.cfg.workers, sizeof *ws);
    pthread_t *th = calloc((size_t)o.cfg.workers, sizeof *th);
    if (!o.busy || !o.again || !ws || !th)
        return 1;

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* workers inherit the mask */
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    for (int i = 0; i < o.cfg.workers; i++) {
        ws[i] = (orch_worker){&o, i};
        if (pthread_create(&th[i], NULL, orch_worker_main, &ws[i]) != 0)
            return 1;
    }
    sathd_log(SATHD_LOG_INFO,
              "msg=\"sath-orchestrator started\" backend=%s workers=%d poll_ms=%d program=%s",
              o.be.ops->name, o.cfg.workers, o.cfg.poll_ms, o.cfg.program ? o.cfg.program : "(none)");

    run_loop(&o, sfd);
    sathd_log(SATHD_LOG_INFO, "msg=\"sath-orchestrator stopping; bots keep running\"");
    pthread_mutex_lock(&o.mu);
    o.stopping = 1;
    pthread_cond_broadcast(&o.cv);
    pthread_mutex_unlock(&o.mu);
    for (int i = 0; i < o.cfg.workers; i++)
        pthread_join(th[i], NULL);
    while (o.head) {
        orch_item *it = o.head;
        o.head = it->next;
        free(it);
    }
    o.be.ops->destroy(o.be.self);
    sathd_pg_pool_free(o.pg);
    sathd_redis_pool_free(o.redis);
    free(o.busy);
    free(o.again);
    free(ws);
    free(th);
    free(o.cfg.bot_args);
    curl_global_cleanup();
    return 0;
}
