/*
 * torture_backend_docker.c - the docker bot backend (server/bots/backend_docker.c) against a
 * real engine: `torture_backend_docker docker` uses the private dockerd of
 * tests/fixtures/engines.sh (SATH_TEST_DOCKER_HOST), `... podman` podman's Docker-compatible
 * service (SATH_TEST_PODMAN_HOST); both run the same tests.  The bot is a busybox `sh -c`
 * script in the image scripts/bot-image.sh --busybox imports (SATH_TEST_BOT_IMAGE).
 *
 * Covered: API version negotiation and bad hosts; lifecycle (start, inspect, stop with
 * grace, SIGKILL after grace, idempotent stop/remove); adoption (same run adopted, another
 * run replaced, a created-but-not-started container started, concurrent starts for one user
 * -> one container, a new backend instance adopting running bots); labels and HostConfig as
 * the engine reports them; exit code; OOM; logs with a cursor (incremental, resumable,
 * stdout/stderr, across seconds); list by label; a missing image; and that the run token is
 * readable by the bot but appears nowhere in `docker inspect` (nor may the environment
 * carry it).  Each test uses fresh random user ids and removes its containers.
 *
 * Missing engine variables FAIL the test (tests/CMakeLists.txt): run it through
 * scripts/test, or eval "$(tests/fixtures/engines.sh start DIR)" first.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "docker_api.h"
#include "sathd/bot_backend.h"

static const char *g_engine; /* "docker" | "podman" */
static const char *g_host;
static const char *g_image;

typedef struct fixture {
    sathd_bot_backend be;
    sathd_docker *api;       /* a second connection, to look at what the engine has */
    char state_dir[128];
    char users[8][37];       /* every user id a test used: removed in teardown */
    int nusers;
} fixture;

/* ---- helpers ------------------------------------------------------------------------- */

static void uuid(char out[37])
{
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
}

static const char *new_user(fixture *f)
{
    assert_true(f->nusers < 8);
    uuid(f->users[f->nusers]);
    return f->users[f->nusers++];
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    return sathd_bot_now_ms();
}

typedef struct spec_buf {
    sathd_bot_spec s;
    char bot[37], run[37];
    const char *argv[2];
    const char *env[6];
    char envbuf[4][96];
} spec_buf;

/* A spec running `script` under sh -c, with the SATH_* environment the orchestrator gives. */
static sathd_bot_spec *spec(spec_buf *b, const char *user, const char *script, const char *token)
{
    memset(b, 0, sizeof *b);
    uuid(b->bot);
    uuid(b->run);
    b->argv[0] = script;
    snprintf(b->envbuf[0], sizeof b->envbuf[0], "SATH_BOT_ID=%s", b->bot);
    snprintf(b->envbuf[1], sizeof b->envbuf[1], "SATH_RUN_ID=%s", b->run);
    snprintf(b->envbuf[2], sizeof b->envbuf[2], "SATH_USER_ID=%s", user);
    snprintf(b->envbuf[3], sizeof b->envbuf[3], "SATH_ADDR=127.0.0.1:1");
    for (int i = 0; i < 4; i++)
        b->env[i] = b->envbuf[i];
    b->s = (sathd_bot_spec){
        .user_id = user, .bot_id = b->bot, .run_id = b->run, .mode = "paper",
        .argv = b->argv, .env = b->env, .run_token = token,
    };
    return &b->s;
}

/* Polls inspect until the bot reaches `state` (or 30 s pass). */
static void wait_state(fixture *f, const char *user, sathd_bot_obs_state state,
                       sathd_bot_observed *o)
{
    for (int i = 0; i < 300; i++) {
        assert_int_equal(f->be.ops->inspect(f->be.self, user, o), 0);
        if (o->state == state)
            return;
        msleep(100);
    }
    fail_msg("bot of %s never reached state %d (is %d)", user, (int)state, (int)o->state);
}

/* The engine's own inspect of the user's container, as JSON. */
static json_t *raw_inspect(fixture *f, const char *user)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "/containers/bot_user_%s/json", user);
    json_t *j = NULL;
    assert_int_equal(sathd_docker_json(f->api, "GET", path, NULL, 0, &j, err, sizeof err), 200);
    assert_non_null(j);
    return j;
}

typedef struct lines {
    char text[8192];
    int n;
    int stop_after;
} lines;

static int on_line(void *arg, int64_t time_ms, const char *stream, const char *line, size_t len)
{
    lines *l = arg;
    assert_true(time_ms > 1700000000000LL); /* a real time, in ms */
    size_t used = strlen(l->text);
    snprintf(l->text + used, sizeof l->text - used, "%s:%.*s\n", stream, (int)len, line);
    l->n++;
    return l->stop_after && l->n == l->stop_after;
}

/* start() must succeed. */
static void start_ok(fixture *f, sathd_bot_spec *s, sathd_bot_observed *o)
{
    int rc = f->be.ops->start(f->be.self, s, o);
    if (rc != 0)
        fail_msg("start of %s: %d %s", s->user_id, rc, o->error);
}

/* logs() must succeed. */
static void read_logs(fixture *f, const char *user, const char *run, uint64_t *cur, lines *l)
{
    assert_int_equal(f->be.ops->logs(f->be.self, user, run, cur, on_line, l), 0);
}

typedef struct count_ctx { const char *user; int n; sathd_bot_observed last; } count_ctx;

static int count_user(void *arg, const sathd_bot_observed *o)
{
    count_ctx *c = arg;
    if (strcmp(o->user_id, c->user) == 0) {
        c->n++;
        c->last = *o;
    }
    return 0;
}

static int containers_of(fixture *f, const char *user, sathd_bot_observed *last)
{
    count_ctx c = {.user = user};
    assert_int_equal(f->be.ops->list(f->be.self, count_user, &c), 0);
    if (last)
        *last = c.last;
    return c.n;
}

/* ---- fixture ------------------------------------------------------------------------- */

static int open_backend(fixture *f)
{
    sathd_bot_backend_config cfg = {
        .state_dir = f->state_dir,
        .docker_host = g_host,
        .image = g_image,
        .network_mode = "none", /* the test engines have no bridge */
        .memory_bytes = 64 << 20,
        .nano_cpus = 500000000,
        .pids_limit = 64,
        .open_files = 256,
        .stop_grace_s = 5,
    };
    char err[256] = "";
    int rc = sathd_bot_backend_open("docker", &cfg, &f->be, err, sizeof err);
    if (rc != 0)
        fail_msg("docker backend on %s: %s", g_host, err);
    return 0;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->state_dir, sizeof f->state_dir, "/tmp/sath-tbd.XXXXXX");
    assert_non_null(mkdtemp(f->state_dir));
    open_backend(f);
    char err[256];
    assert_int_equal(sathd_docker_open(g_host, &f->api, err, sizeof err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sathd_bot_observed o;
    for (int i = 0; i < f->nusers; i++) {
        f->be.ops->stop(f->be.self, f->users[i], 1, &o);
        f->be.ops->remove(f->be.self, f->users[i]);
    }
    f->be.ops->destroy(f->be.self);
    sathd_docker_close(f->api);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->state_dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* ---- tests --------------------------------------------------------------------------- */

static void negotiation(void **state)
{
    fixture *f = *state;
    assert_string_equal(sathd_docker_api_version(f->api), "1.41");
    assert_int_equal(sathd_docker_is_podman(f->api), strcmp(g_engine, "podman") == 0);
    sathd_docker *d = NULL;
    char err[256] = "";
    assert_int_equal(sathd_docker_open("tcp://127.0.0.1:2375", &d, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "unix://"));
    assert_int_equal(sathd_docker_open("unix:///nonexistent/docker.sock", &d, err, sizeof err),
                     -ECONNREFUSED);
    assert_null(d);
    /* a backend with no state dir is refused before it touches the engine */
    sathd_bot_backend be;
    sathd_bot_backend_config cfg = {.docker_host = g_host};
    assert_int_equal(sathd_bot_backend_open("docker", &cfg, &be, err, sizeof err), -EINVAL);
}

#define LOOP_TERM "trap 'echo got-term; exit 0' TERM; while :; do sleep 0.1; done"

static void lifecycle(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf sb;
    sathd_bot_observed o;
    int64_t t0 = now_ms();
    start_ok(f, spec(&sb, u, "echo started; " LOOP_TERM, "tok-lc"), &o);
    assert_int_equal(o.state, SATHD_BOT_OBS_RUNNING);
    assert_int_equal(strlen(o.handle), 64);
    assert_string_equal(o.user_id, u);
    assert_string_equal(o.run_id, sb.run);
    assert_true(o.started_at_ms >= t0 - 2000 && o.started_at_ms <= now_ms() + 2000);
    char handle[72];
    strcpy(handle, o.handle);

    sathd_bot_observed i;
    assert_int_equal(f->be.ops->inspect(f->be.self, u, &i), 0);
    assert_int_equal(i.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(i.handle, handle);
    assert_int_equal(f->be.ops->remove(f->be.self, u), -EBUSY); /* never a running bot */

    msleep(300);
    assert_int_equal(f->be.ops->stop(f->be.self, u, 5, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_EXITED);
    assert_int_equal(o.exit_code, 0); /* its TERM trap ran: graceful */
    assert_true(o.finished_at_ms >= o.started_at_ms);
    assert_string_equal(o.handle, handle);
    /* the token file is gone with the run */
    char tok[300];
    snprintf(tok, sizeof tok, "%s/docker-tokens/bot_user_%s.token", f->state_dir, u);
    assert_int_equal(access(tok, F_OK), -1);

    uint64_t cur = 0;
    lines l = {0};
    read_logs(f, u, sb.run, &cur, &l);
    assert_string_equal(l.text, "stdout:started\nstdout:got-term\n");

    assert_int_equal(f->be.ops->stop(f->be.self, u, 5, &o), 0); /* again: same answer */
    assert_int_equal(o.state, SATHD_BOT_OBS_EXITED);
    assert_int_equal(f->be.ops->remove(f->be.self, u), 0);
    assert_int_equal(f->be.ops->inspect(f->be.self, u, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_ABSENT);
    assert_int_equal(f->be.ops->remove(f->be.self, u), 0);
    assert_int_equal(f->be.ops->stop(f->be.self, u, 5, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_ABSENT);
    assert_int_equal(f->be.ops->logs(f->be.self, u, sb.run, &cur, on_line, &l), -ENOENT);
}

/* A bot that ignores SIGTERM is killed once the grace period is over. */
static void stop_grace_then_kill(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf sb;
    sathd_bot_observed o;
    start_ok(f, spec(&sb, u, "trap '' TERM; echo up; while :; do sleep 0.1; done", NULL), &o);
    msleep(300);
    int64_t t0 = now_ms();
    assert_int_equal(f->be.ops->stop(f->be.self, u, 2, &o), 0);
    int64_t took = now_ms() - t0;
    assert_int_equal(o.state, SATHD_BOT_OBS_EXITED);
    assert_int_equal(o.exit_code, 137); /* 128 + SIGKILL */
    assert_true(took >= 1900);
    assert_true(took < 15000);
}

static void adoption(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf a, b;
    sathd_bot_observed o1, o2;
    start_ok(f, spec(&a, u, LOOP_TERM, "tok-a"), &o1);
    /* same run again: adopted, not a second container */
    assert_int_equal(f->be.ops->start(f->be.self, &a.s, &o2), 0);
    assert_int_equal(o2.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(o2.handle, o1.handle);
    assert_int_equal(containers_of(f, u, NULL), 1);

    /* a new orchestrator (new backend instance) sees and adopts the running bot */
    f->be.ops->destroy(f->be.self);
    open_backend(f);
    assert_int_equal(f->be.ops->inspect(f->be.self, u, &o2), 0);
    assert_int_equal(o2.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(o2.handle, o1.handle);
    assert_string_equal(o2.run_id, a.run);
    assert_int_equal(f->be.ops->start(f->be.self, &a.s, &o2), 0);
    assert_string_equal(o2.handle, o1.handle);

    /* another run: the old container is stopped and replaced, still one */
    start_ok(f, spec(&b, u, LOOP_TERM, "tok-b"), &o2);
    assert_int_equal(o2.state, SATHD_BOT_OBS_RUNNING);
    assert_string_not_equal(o2.handle, o1.handle);
    assert_string_equal(o2.run_id, b.run);
    sathd_bot_observed last;
    assert_int_equal(containers_of(f, u, &last), 1);
    assert_string_equal(last.run_id, b.run);

    /* an exited container of the same run is not adopted: a fresh one replaces it */
    assert_int_equal(f->be.ops->stop(f->be.self, u, 2, &o1), 0);
    assert_int_equal(f->be.ops->start(f->be.self, &b.s, &o1), 0);
    assert_int_equal(o1.state, SATHD_BOT_OBS_RUNNING);
    assert_string_not_equal(o1.handle, o2.handle);
    assert_int_equal(containers_of(f, u, NULL), 1);
}

/* A container with the bot's name that was created (by an orchestrator that died before
 * starting it) but never started: start() of that run starts it instead of failing. */
static void adopt_created(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf a;
    spec(&a, u, "echo from-precreated; " LOOP_TERM, NULL);
    json_t *body = json_pack("{ss,s[s],s[s],s{ssssssss},s{ss}}", "Image", g_image, "Cmd",
                             a.argv[0], "Env", "SATH_X=1", "Labels", "sath.user", u, "sath.bot",
                             a.bot, "sath.run", a.run, "sath.mode", "paper", "HostConfig",
                             "NetworkMode", "none");
    char path[128], err[256];
    snprintf(path, sizeof path, "/containers/create?name=bot_user_%s", u);
    json_t *r = NULL;
    int st = sathd_docker_json(f->api, "POST", path, body, 0, &r, err, sizeof err);
    json_decref(body);
    assert_int_equal(st, 201);
    const char *id = json_string_value(json_object_get(r, "Id"));
    assert_non_null(id);
    sathd_bot_observed o;
    assert_int_equal(f->be.ops->inspect(f->be.self, u, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_PENDING);
    assert_int_equal(f->be.ops->start(f->be.self, &a.s, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(o.handle, id);
    json_decref(r);
    assert_int_equal(containers_of(f, u, NULL), 1);
}

typedef struct racer {
    fixture *f;
    sathd_bot_spec *s;
    sathd_bot_observed o;
    int rc;
} racer;

static void *race_start(void *arg)
{
    racer *r = arg;
    r->rc = r->f->be.ops->start(r->f->be.self, r->s, &r->o);
    return NULL;
}

/* Several starts of one run at once (as from orchestrators that do not share a lock):
 * the engine's name conflict (409 / podman's 500) makes the losers adopt the winner. */
static void concurrent_start(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf a;
    spec(&a, u, LOOP_TERM, "tok-race");
    enum { N = 4 };
    racer r[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        r[i] = (racer){.f = f, .s = &a.s};
        assert_int_equal(pthread_create(&t[i], NULL, race_start, &r[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        if (r[i].rc != 0)
            fail_msg("start %d: %d %s", i, r[i].rc, r[i].o.error);
        assert_int_equal(r[i].o.state, SATHD_BOT_OBS_RUNNING);
        assert_string_equal(r[i].o.handle, r[0].o.handle);
    }
    assert_int_equal(containers_of(f, u, NULL), 1);
}

static int has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
        return 1;
    return 0;
}

/* Labels and HostConfig as the engine reports them; the token is readable by the bot and
 * nowhere in inspect. */
static void inspect_hardening_and_token(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    char token[65];
    unsigned char rnd[24];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(token, sizeof token, rnd, sizeof rnd);
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);

    spec_buf sb;
    sathd_bot_observed o;
    static const char script[] =
        "echo token-sha256 $(sha256sum < $SATH_RUN_TOKEN_FILE | cut -d' ' -f1);"
        " id -u; touch /rootfs-write 2>/dev/null || echo root-read-only;"
        " touch /tmp/x && echo tmp-writable; " LOOP_TERM;
    start_ok(f, spec(&sb, u, script, token), &o);
    msleep(1000);
    uint64_t cur = 0;
    lines l = {0};
    read_logs(f, u, sb.run, &cur, &l);
    char want[256];
    snprintf(want, sizeof want,
             "stdout:token-sha256 %s\nstdout:65534\nstdout:root-read-only\nstdout:tmp-writable\n",
             hex);
    assert_string_equal(l.text, want);

    json_t *j = raw_inspect(f, u);
    char *all = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(all, token)); /* the token is nowhere in inspect */
    free(all);
    json_t *cfg = json_object_get(j, "Config"), *hc = json_object_get(j, "HostConfig");
    json_t *labels = json_object_get(cfg, "Labels");
    assert_string_equal(json_string_value(json_object_get(labels, "sath.user")), u);
    assert_string_equal(json_string_value(json_object_get(labels, "sath.bot")), sb.bot);
    assert_string_equal(json_string_value(json_object_get(labels, "sath.run")), sb.run);
    assert_string_equal(json_string_value(json_object_get(labels, "sath.mode")), "paper");
    assert_string_equal(json_string_value(json_object_get(cfg, "User")), "65534:65534");
    assert_true(has_string(json_object_get(cfg, "Env"),
                           "SATH_RUN_TOKEN_FILE=/run/secrets/sath_run_token"));
    assert_true(has_string(json_object_get(cfg, "Env"), sb.envbuf[1])); /* SATH_RUN_ID */
    assert_int_equal(json_integer_value(json_object_get(hc, "Memory")), 64 << 20);
    assert_int_equal(json_integer_value(json_object_get(hc, "MemorySwap")), 64 << 20);
    assert_int_equal(json_integer_value(json_object_get(hc, "NanoCpus")), 500000000);
    assert_int_equal(json_integer_value(json_object_get(hc, "PidsLimit")), 64);
    json_t *capdrop = json_object_get(hc, "CapDrop");
    assert_true(has_string(capdrop, "ALL") || has_string(capdrop, "all") ||
                json_array_size(capdrop) >= 14); /* podman lists every dropped capability */
    assert_true(has_string(json_object_get(hc, "SecurityOpt"), "no-new-privileges") ||
                has_string(json_object_get(hc, "SecurityOpt"), "no-new-privileges:true"));
    assert_true(json_is_true(json_object_get(hc, "ReadonlyRootfs")));
    assert_non_null(json_object_get(json_object_get(hc, "Tmpfs"), "/tmp"));
    assert_string_equal(json_string_value(json_object_get(hc, "NetworkMode")), "none");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(hc, "RestartPolicy"), "Name")), "no");
    json_t *logcfg = json_object_get(hc, "LogConfig");
    if (strcmp(g_engine, "docker") == 0) {
        assert_string_equal(json_string_value(json_object_get(json_object_get(logcfg, "Config"),
                                                              "max-size")),
                            "10m");
        json_t *ul = json_array_get(json_object_get(hc, "Ulimits"), 0);
        assert_string_equal(json_string_value(json_object_get(ul, "Name")), "nofile");
        assert_int_equal(json_integer_value(json_object_get(ul, "Hard")), 256);
    } else { /* podman's compat inspect omits the cap; its own API shows it */
        char path[128], err[256];
        snprintf(path, sizeof path, "/libpod/containers/bot_user_%s/json", u);
        json_t *lp = NULL;
        assert_int_equal(sathd_docker_json(f->api, "GET", path, NULL, 0, &lp, err, sizeof err),
                         200);
        const char *size = json_string_value(
            json_object_get(json_object_get(json_object_get(lp, "HostConfig"), "LogConfig"),
                            "Size"));
        assert_non_null(size);
        assert_string_equal(size, "10MB");
        json_decref(lp);
        assert_string_equal(json_string_value(json_object_get(logcfg, "Type")), "json-file");
    }
    json_decref(j);

    /* the environment may not carry the token: refused, and nothing is created */
    const char *u2 = new_user(f);
    spec_buf bad;
    spec(&bad, u2, LOOP_TERM, token);
    char leak[128];
    snprintf(leak, sizeof leak, "SATH_EXTRA=x%sx", token);
    bad.env[4] = leak;
    assert_int_equal(f->be.ops->start(f->be.self, &bad.s, &o), -EINVAL);
    assert_non_null(strstr(o.error, "run token"));
    assert_null(strstr(o.error, token));
    assert_int_equal(f->be.ops->inspect(f->be.self, u2, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_ABSENT);
}

/* The exit code, and the nofile ulimit as the bot sees it on both engines (the fixture's
 * open_files, 256). */
static void exit_code(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf sb;
    sathd_bot_observed o;
    start_ok(f, spec(&sb, u, "echo nofile=$(ulimit -n)/$(ulimit -Hn); exit 3", NULL), &o);
    wait_state(f, u, SATHD_BOT_OBS_EXITED, &o);
    assert_int_equal(o.exit_code, 3);
    assert_int_equal(o.oom_killed, 0);
    assert_string_equal(o.run_id, sb.run);
    /* dockerd may record StartedAt after a quick bot has already exited: both are set and
     * close, not necessarily ordered */
    assert_true(o.started_at_ms > 0 && o.finished_at_ms > 0);
    assert_true(llabs(o.finished_at_ms - o.started_at_ms) < 10000);
    uint64_t cur = 0;
    lines l = {0};
    read_logs(f, u, sb.run, &cur, &l);
    assert_string_equal(l.text, "stdout:nofile=256/256\n");
}

/* Over the memory limit: exit 137, and dockerd says OOMKilled.  podman before 5.0 never
 * sets State.OOMKilled (containers/podman#13102: conmon's oom marker is not read back;
 * fixed by containers/podman#21523), so there the kill is reported as what it is known to
 * be, a SIGKILL under a memory limit, without claiming the cause. */
static void oom(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf sb;
    sathd_bot_observed o;
    /* tail keeps the whole "line" of /dev/zero (no newline ever comes) in memory */
    spec(&sb, u, "echo allocating; tail /dev/zero", NULL);
    sb.s.memory_bytes = 16 << 20;
    assert_int_equal(f->be.ops->start(f->be.self, &sb.s, &o), 0);
    wait_state(f, u, SATHD_BOT_OBS_EXITED, &o);
    assert_int_equal(o.exit_code, 137);
    if (strcmp(g_engine, "docker") == 0) {
        assert_int_equal(o.oom_killed, 1);
        assert_non_null(strstr(o.error, "out-of-memory"));
    } else if (!o.oom_killed) {
        assert_non_null(strstr(o.error, "SIGKILL"));
        assert_non_null(strstr(o.error, "does not report out-of-memory kills"));
        print_message("podman reported exit 137 without OOMKilled (podman < 5.0)\n");
    }
}

static void logs_cursor(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf sb;
    sathd_bot_observed o;
    static const char script[] =
        "for i in 1 2 3 4 5; do echo out$i; done; sleep 0.1; echo err1 >&2;"
        " sleep 1.2; echo late1; sleep 0.1; echo err2 >&2; sleep 1.1; echo late2; " LOOP_TERM;
    start_ok(f, spec(&sb, u, script, NULL), &o);
    msleep(400);
    uint64_t cur = 0;
    lines l = {0};
    read_logs(f, u, sb.run, &cur, &l);
    assert_string_equal(l.text, "stdout:out1\nstdout:out2\nstdout:out3\nstdout:out4\nstdout:out5\n"
                                "stderr:err1\n");
    assert_true(cur != 0);
    /* nothing new yet */
    uint64_t again = cur;
    lines l2 = {0};
    read_logs(f, u, sb.run, &again, &l2);
    assert_int_equal(l2.n, 0);
    assert_true(again == cur);

    /* a reader that stops after two lines resumes exactly where it stopped */
    uint64_t c2 = 0;
    lines a = {.stop_after = 2}, b = {0};
    read_logs(f, u, sb.run, &c2, &a);
    assert_string_equal(a.text, "stdout:out1\nstdout:out2\n");
    read_logs(f, u, sb.run, &c2, &b);
    assert_string_equal(b.text, "stdout:out3\nstdout:out4\nstdout:out5\nstderr:err1\n");

    /* later lines, in later seconds */
    msleep(2600);
    lines l3 = {0};
    read_logs(f, u, sb.run, &cur, &l3);
    assert_string_equal(l3.text, "stdout:late1\nstderr:err2\nstdout:late2\n");
    lines l4 = {0};
    read_logs(f, u, sb.run, &cur, &l4);
    assert_int_equal(l4.n, 0);
    /* another run's cursor is refused */
    uint64_t c3 = 0;
    assert_int_equal(f->be.ops->logs(f->be.self, u, sb.bot, &c3, on_line, &l4), -ENOENT);
}

static void list_by_label(void **state)
{
    fixture *f = *state;
    const char *u1 = new_user(f), *u2 = new_user(f);
    spec_buf a, b;
    sathd_bot_observed o;
    start_ok(f, spec(&a, u1, LOOP_TERM, NULL), &o);
    start_ok(f, spec(&b, u2, "exit 7", NULL), &o);
    wait_state(f, u2, SATHD_BOT_OBS_EXITED, &o);
    /* a container that is not ours (no sath labels) is never listed */
    char path[128], err[256], other[48];
    snprintf(other, sizeof other, "not-a-bot-%.8s", u1);
    snprintf(path, sizeof path, "/containers/create?name=%s", other);
    json_t *body = json_pack("{ss,s[s],s{ss}}", "Image", g_image, "Cmd", "exit 0", "HostConfig",
                             "NetworkMode", "none");
    assert_int_equal(sathd_docker_json(f->api, "POST", path, body, 0, NULL, err, sizeof err), 201);
    json_decref(body);

    sathd_bot_observed l1, l2;
    assert_int_equal(containers_of(f, u1, &l1), 1);
    assert_int_equal(containers_of(f, u2, &l2), 1);
    assert_int_equal(l1.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(l1.run_id, a.run);
    assert_int_equal(l2.state, SATHD_BOT_OBS_EXITED);
    assert_int_equal(l2.exit_code, 7);
    count_ctx c = {.user = ""}; /* the foreign container has no sath.user label */
    assert_int_equal(f->be.ops->list(f->be.self, count_user, &c), 0);
    assert_int_equal(c.n, 0);

    snprintf(path, sizeof path, "/containers/%s?force=1", other);
    assert_int_equal(sathd_docker_json(f->api, "DELETE", path, NULL, 0, NULL, err, sizeof err), 204);
}

static void missing_image(void **state)
{
    fixture *f = *state;
    const char *u = new_user(f);
    spec_buf sb;
    spec(&sb, u, "exit 0", "tok-img");
    sb.s.image = "sath-no-such-image:never";
    sathd_bot_observed o;
    assert_int_equal(f->be.ops->start(f->be.self, &sb.s, &o), -ENOENT);
    assert_non_null(strstr(o.error, "bot-image.sh"));
    assert_int_equal(f->be.ops->inspect(f->be.self, u, &o), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_ABSENT);
    char tok[300];
    snprintf(tok, sizeof tok, "%s/docker-tokens/bot_user_%s.token", f->state_dir, u);
    assert_int_equal(access(tok, F_OK), -1);
}

int main(int argc, char **argv)
{
    g_engine = argc > 1 ? argv[1] : "docker";
    const char *var = strcmp(g_engine, "podman") == 0 ? "SATH_TEST_PODMAN_HOST"
                                                      : "SATH_TEST_DOCKER_HOST";
    g_host = getenv(var);
    g_image = getenv("SATH_TEST_BOT_IMAGE");
    if (!g_host || !*g_host || !g_image || !*g_image) {
        fprintf(stderr, "%s and SATH_TEST_BOT_IMAGE are not set: start the engines with "
                        "tests/fixtures/engines.sh (scripts/test does)\n", var);
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_grace_then_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(adoption, setup, teardown),
        cmocka_unit_test_setup_teardown(adopt_created, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_start, setup, teardown),
        cmocka_unit_test_setup_teardown(inspect_hardening_and_token, setup, teardown),
        cmocka_unit_test_setup_teardown(exit_code, setup, teardown),
        cmocka_unit_test_setup_teardown(oom, setup, teardown),
        cmocka_unit_test_setup_teardown(logs_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(list_by_label, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_image, setup, teardown),
    };
    int rc = cmocka_run_group_tests_name(g_engine, tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
