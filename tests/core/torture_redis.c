/*
 * torture_redis.c - the Redis pool against a real server (SATH_TEST_REDIS_URL, a unix
 * socket): commands under threads, exhaustion, SELECT db, reconnect after CLIENT KILL,
 * command timeouts, ping.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sathd/redis.h"

#define POOL_SIZE 3

typedef struct fixture {
    sathd_redis_url url;
    sathd_redis_pool *pool;
    char prefix[32]; /* keys of this run, so parallel runs do not collide */
} fixture;

static int group_setup(void **state)
{
    const char *env = getenv("SATH_TEST_REDIS_URL");
    if (!env || !*env) {
        fprintf(stderr, "SATH_TEST_REDIS_URL is not set (use tests/fixtures/services.sh)\n");
        return -1;
    }
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    if (!f || sathd_redis_url_parse(env, &f->url, err, sizeof err) != 0) {
        fprintf(stderr, "SATH_TEST_REDIS_URL: %s\n", err);
        return -1;
    }
    sathd_redis_pool_options opt = {.url = &f->url, .size = POOL_SIZE};
    f->pool = sathd_redis_pool_new(&opt, err, sizeof err);
    if (!f->pool)
        return -1;
    snprintf(f->prefix, sizeof f->prefix, "torture:%ld:", (long)getpid());
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    sathd_redis_pool_free(f->pool);
    free(f);
    return 0;
}

static redisContext *raw_connect(const fixture *f)
{
    redisContext *ctx = redisConnectUnix(f->url.path);
    assert_non_null(ctx);
    assert_int_equal(ctx->err, 0);
    return ctx;
}

static long long client_id(redisContext *ctx)
{
    redisReply *r = redisCommand(ctx, "CLIENT ID");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long id = r->integer;
    freeReplyObject(r);
    return id;
}

typedef struct worker_arg {
    fixture *f;
    int id, failures;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < 200; i++) {
        char err[256];
        redisContext *ctx = sathd_redis_acquire(a->f->pool, 5000, err, sizeof err);
        if (!ctx) {
            a->failures++;
            continue;
        }
        redisReply *r = redisCommand(ctx, "INCR %sctr%d", a->f->prefix, a->id);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != i + 1)
            a->failures++;
        if (r)
            freeReplyObject(r);
        sathd_redis_release(a->f->pool, ctx);
    }
    return NULL;
}

static void test_threads_share_the_pool(void **state)
{
    fixture *f = *state;
    enum { NTHREADS = 8 };
    pthread_t th[NTHREADS];
    worker_arg args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (worker_arg){f, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    redisContext *raw = raw_connect(f);
    redisReply *r = redisCommand(raw, "GET %sctr7", f->prefix);
    assert_non_null(r);
    assert_string_equal(r->str, "200");
    freeReplyObject(r);
    redisFree(raw);
}

static void test_exhausted_pool_times_out(void **state)
{
    fixture *f = *state;
    redisContext *held[POOL_SIZE];
    char err[256];
    for (int i = 0; i < POOL_SIZE; i++)
        assert_non_null(held[i] = sathd_redis_acquire(f->pool, 1000, err, sizeof err));
    assert_null(sathd_redis_acquire(f->pool, 100, err, sizeof err));
    assert_non_null(strstr(err, "no redis connection free"));
    sathd_redis_release(f->pool, held[1]);
    redisContext *again = sathd_redis_acquire(f->pool, 0, err, sizeof err);
    assert_ptr_equal(again, held[1]);
    for (int i = 0; i < POOL_SIZE; i++)
        sathd_redis_release(f->pool, held[i]);
}

static void test_reconnect_after_client_kill(void **state)
{
    fixture *f = *state;
    char err[256];
    redisContext *raw = raw_connect(f);

    /* killed while idle in the pool: noticed at acquire */
    redisContext *ctx = sathd_redis_acquire(f->pool, 1000, err, sizeof err);
    assert_non_null(ctx);
    long long id = client_id(ctx);
    sathd_redis_release(f->pool, ctx);
    redisReply *r = redisCommand(raw, "CLIENT KILL ID %lld", id);
    assert_non_null(r);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    usleep(50 * 1000);
    ctx = sathd_redis_acquire(f->pool, 1000, err, sizeof err);
    assert_non_null(ctx);
    long long id2 = client_id(ctx);
    assert_true(id2 != id);

    /* killed while held: the command fails, release drops it, acquire heals */
    r = redisCommand(raw, "CLIENT KILL ID %lld", id2);
    freeReplyObject(r);
    usleep(50 * 1000);
    assert_null(redisCommand(ctx, "PING"));
    assert_true(ctx->err != 0);
    sathd_redis_release(f->pool, ctx);
    ctx = sathd_redis_acquire(f->pool, 1000, err, sizeof err);
    assert_non_null(ctx);
    assert_int_equal(ctx->err, 0);
    assert_true(client_id(ctx) != id2);
    sathd_redis_release(f->pool, ctx);
    redisFree(raw);
}

static void test_unix_url_selects_db(void **state)
{
    fixture *f = *state;
    char url[256], err[256];
    snprintf(url, sizeof url, "unix://%s?db=3", f->url.path);
    sathd_redis_url u;
    assert_int_equal(sathd_redis_url_parse(url, &u, err, sizeof err), 0);
    sathd_redis_pool_options opt = {.url = &u, .size = 1};
    sathd_redis_pool *p = sathd_redis_pool_new(&opt, err, sizeof err);
    assert_non_null(p);
    redisContext *ctx = sathd_redis_acquire(p, 1000, err, sizeof err);
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, "SET %sdb3 yes", f->prefix);
    assert_non_null(r);
    freeReplyObject(r);
    sathd_redis_release(p, ctx);
    sathd_redis_pool_free(p);

    redisContext *raw = raw_connect(f);
    r = redisCommand(raw, "EXISTS %sdb3", f->prefix); /* db 0: not there */
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    freeReplyObject(redisCommand(raw, "SELECT 3"));
    r = redisCommand(raw, "GET %sdb3", f->prefix);
    assert_string_equal(r->str, "yes");
    freeReplyObject(r);
    freeReplyObject(redisCommand(raw, "DEL %sdb3", f->prefix));
    redisFree(raw);
}

static void test_command_timeout(void **state)
{
    fixture *f = *state;
    char err[256];
    redisContext *ctx = sathd_redis_acquire(f->pool, 1000, err, sizeof err);
    assert_non_null(ctx);
    assert_int_equal(sathd_redis_set_timeout(ctx, 100), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* BLPOP on an empty list blocks for 2 s on the server; we give up after 100 ms */
    redisReply *r = redisCommand(ctx, "BLPOP %snothing 2", f->prefix);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_null(r);
    assert_true(ctx->err != 0);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 80 && ms < 1500);
    sathd_redis_release(f->pool, ctx); /* dropped: a reply may still arrive on it */
    ctx = sathd_redis_acquire(f->pool, 1000, err, sizeof err);
    assert_non_null(ctx);
    r = redisCommand(ctx, "PING");
    assert_non_null(r);
    assert_string_equal(r->str, "PONG");
    freeReplyObject(r);
    sathd_redis_release(f->pool, ctx);
}

extern char **environ;

/* Starts a private redis-server on 127.0.0.1 with a password; returns its pid and
 * port, or -1.  Retries other ports when one is taken. */
static pid_t start_tcp_redis(int *port)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        *port = 20000 + (int)((getpid() * 7919L + attempt * 104729L + time(NULL)) % 40000);
        char portstr[16];
        snprintf(portstr, sizeof portstr, "%d", *port);
        /* posix_spawn wants char *const[]; -Wwrite-strings makes literals const */
        char a0[] = "redis-server", a1[] = "--port", a3[] = "--bind", a4[] = "127.0.0.1",
             a5[] = "--requirepass", a6[] = "tcp-secret", a7[] = "--save", a8[] = "",
             a9[] = "--appendonly", a10[] = "no", a11[] = "--logfile", a12[] = "/dev/null";
        char *argv[] = {a0, a1, portstr, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, NULL};
        pid_t pid;
        if (posix_spawnp(&pid, "redis-server", NULL, NULL, argv, environ) != 0)
            return -1;
        for (int i = 0; i < 100; i++) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid)
                break; /* exited: port in use, try another */
            redisContext *ctx = redisConnect("127.0.0.1", *port);
            int up = ctx && !ctx->err;
            redisFree(ctx);
            if (up)
                return pid;
            usleep(20 * 1000);
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

static void test_tcp_url_auth_and_select(void **state)
{
    (void)state;
    int port;
    pid_t pid = start_tcp_redis(&port);
    assert_true(pid > 0);
    char url[128], err[256];
    snprintf(url, sizeof url, "redis://:tcp-secret@127.0.0.1:%d/5", port);
    sathd_redis_url u;
    assert_int_equal(sathd_redis_url_parse(url, &u, err, sizeof err), 0);
    sathd_redis_pool_options opt = {.url = &u, .size = 2, .connect_timeout_ms = 500};
    sathd_redis_pool *p = sathd_redis_pool_new(&opt, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(sathd_redis_ping(p, 1000), 0);
    redisContext *ctx = sathd_redis_acquire(p, 1000, err, sizeof err);
    assert_non_null(ctx);
    redisReply *r = redisCommand(ctx, "CLIENT INFO");
    assert_non_null(r);
    assert_non_null(strstr(r->str, " db=5 "));
    freeReplyObject(r);
    sathd_redis_release(p, ctx);
    sathd_redis_pool_free(p);

    /* wrong password: refused, and the message does not carry it */
    snprintf(url, sizeof url, "redis://:not-the-secret@127.0.0.1:%d", port);
    assert_int_equal(sathd_redis_url_parse(url, &u, err, sizeof err), 0);
    p = sathd_redis_pool_new(&opt, err, sizeof err);
    assert_non_null(p);
    assert_null(sathd_redis_acquire(p, 1000, err, sizeof err));
    assert_non_null(strstr(err, "AUTH"));
    assert_null(strstr(err, "not-the-secret"));
    sathd_redis_pool_free(p);

    /* server gone: acquire reports it instead of hanging */
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    snprintf(url, sizeof url, "redis://:tcp-secret@127.0.0.1:%d/5", port);
    assert_int_equal(sathd_redis_url_parse(url, &u, err, sizeof err), 0);
    p = sathd_redis_pool_new(&opt, err, sizeof err);
    assert_non_null(p);
    assert_null(sathd_redis_acquire(p, 1000, err, sizeof err));
    assert_non_null(strstr(err, "cannot connect"));
    sathd_redis_pool_free(p);
}

static void test_ping(void **state)
{
    fixture *f = *state;
    assert_int_equal(sathd_redis_ping(f->pool, 1000), 0);
    char err[256];
    sathd_redis_url u;
    assert_int_equal(sathd_redis_url_parse("unix:///nonexistent/redis.sock", &u, err, sizeof err), 0);
    sathd_redis_pool_options opt = {.url = &u, .size = 1};
    sathd_redis_pool *down = sathd_redis_pool_new(&opt, err, sizeof err);
    assert_non_null(down);
    assert_int_equal(sathd_redis_ping(down, 200), -1);
    assert_null(sathd_redis_acquire(down, 200, err, sizeof err));
    assert_non_null(strstr(err, "cannot connect"));
    assert_null(sathd_redis_acquire(down, 0, err, sizeof err)); /* slot was given back */
    assert_non_null(strstr(err, "cannot connect"));
    sathd_redis_pool_free(down);

    /* a wrong password is refused with the server's reason, never the password */
    char url[256];
    snprintf(url, sizeof url, "unix://%s?password=wrong-secret", f->url.path);
    assert_int_equal(sathd_redis_url_parse(url, &u, err, sizeof err), 0);
    down = sathd_redis_pool_new(&opt, err, sizeof err);
    assert_non_null(down);
    assert_null(sathd_redis_acquire(down, 200, err, sizeof err));
    assert_non_null(strstr(err, "AUTH"));
    assert_null(strstr(err, "wrong-secret"));
    sathd_redis_pool_free(down);
}

int main(void)
{
    /* hiredis writes with write(2): a killed connection raises SIGPIPE, which sathd's
     * main ignores as well */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_the_pool),
        cmocka_unit_test(test_exhausted_pool_times_out),
        cmocka_unit_test(test_reconnect_after_client_kill),
        cmocka_unit_test(test_unix_url_selects_db),
        cmocka_unit_test(test_command_timeout),
        cmocka_unit_test(test_tcp_url_auth_and_select),
        cmocka_unit_test(test_ping),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
