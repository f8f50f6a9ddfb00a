/*
 * torture_options.c - every connection option of sath_client_options against a real
 * sathd (or, for what sathd cannot be made to do, fake_server.py): connect timeout,
 * wait-for-ready, keepalive, read retries, mutual TLS with a client certificate and the
 * server-name override; plus the raw call and the log callback.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "fake_proc.h"
#include "sdk_fixture.h"


typedef sdk_fixture fixture;

static sath_client_options *options(void)
{
    sath_client_options *o = NULL;
    assert_int_equal(sath_client_options_new(&o), SATH_OK);
    return o;
}

static int list_plans(sath_client *c, sath_call_opts *opts)
{
    Sath__V1__ListPlansRequest req = SATH__V1__LIST_PLANS_REQUEST__INIT;
    Sath__V1__ListPlansResponse *resp = NULL;
    int rc = sath_billing_list_plans(c, &req, &resp, opts);
    if (resp)
        sath__v1__list_plans_response__free_unpacked(resp, NULL);
    return rc;
}

/* ---- connect timeout and wait-for-ready ----------------------------------------- */

/* A server that accepts TCP but never speaks HTTP/2: without a connect timeout the call
 * waits for its own deadline; with one, the attempt fails fast and so does the call. */
static void test_connect_timeout(void **state)
{
    (void)state;
    int port = 0;
    int fd = sdk_silent_listener(&port);
    assert_true(fd >= 0);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", port);

    sath_client_options *o = options();
    assert_int_equal(sath_client_options_set_timeout_ms(o, 1500), SATH_OK);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(target, o, &c), SATH_OK);
    long long t0 = sdk_now_ms();
    assert_int_equal(list_plans(c, NULL), SATH_DEADLINE_EXCEEDED);
    assert_true(sdk_now_ms() - t0 >= 1400);
    sath_client_free(c);

    assert_int_equal(sath_client_options_set_timeout_ms(o, 20000), SATH_OK);
    assert_int_equal(sath_client_options_set_connect_timeout_ms(o, 300), SATH_OK);
    assert_int_equal(sath_client_new(target, o, &c), SATH_OK);
    t0 = sdk_now_ms();
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    long long took = sdk_now_ms() - t0;
    assert_true(took < 10000); /* the 20 s deadline did not decide it */
    assert_true(took >= 250);
    sath_client_free(c);
    sath_client_options_free(o);
    close(fd);
}

/* Nothing listens: a call fails at once, unless it waits for ready (then its deadline). */
static void test_wait_for_ready(void **state)
{
    (void)state;
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", sdk_closed_port());
    sath_client_options *o = options();
    assert_int_equal(sath_client_options_set_timeout_ms(o, 800), SATH_OK);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(target, o, &c), SATH_OK);
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);

    assert_int_equal(sath_client_options_set_wait_for_ready(o, 1), SATH_OK);
    assert_int_equal(sath_client_new(target, o, &c), SATH_OK);
    long long t0 = sdk_now_ms();
    assert_int_equal(list_plans(c, NULL), SATH_DEADLINE_EXCEEDED);
    assert_true(sdk_now_ms() - t0 >= 700);
    sath_client_free(c);
    sath_client_options_free(o);
}

/* ---- keepalive: a TCP proxy in front of sathd that can freeze --------------------- */

typedef struct proxy {
    int listen_fd;
    int port;
    int upstream_port;
    volatile int frozen; /* stop moving bytes (a dead network path) */
    volatile int stop;
    pthread_t thread;
} proxy;

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Moves bytes between one client and sathd until either side closes or stop. */
static void pump(proxy *p, int a, int b)
{
    char buf[16384];
    while (!p->stop) {
        if (p->frozen) {
            usleep(20 * 1000);
            continue;
        }
        struct pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
        if (poll(fds, 2, 50) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0 || write(i == 0 ? b : a, buf, (size_t)n) != n)
                return;
        }
    }
}

static void *proxy_main(void *arg)
{
    proxy *p = arg;
    while (!p->stop) {
        struct pollfd lp = {p->listen_fd, POLLIN, 0};
        if (poll(&lp, 1, 50) <= 0)
            continue;
        int a = accept(p->listen_fd, NULL, NULL);
        int b = a >= 0 ? connect_local(p->upstream_port) : -1;
        if (a >= 0 && b >= 0)
            pump(p, a, b);
        if (a >= 0)
            close(a);
        if (b >= 0)
            close(b);
    }
    return NULL;
}

static void proxy_start(proxy *p, int upstream_port)
{
    memset(p, 0, sizeof *p);
    p->upstream_port = upstream_port;
    p->listen_fd = sdk_silent_listener(&p->port);
    assert_true(p->listen_fd >= 0);
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
}

static void proxy_stop(proxy *p)
{
    p->stop = 1;
    pthread_join(p->thread, NULL);
    close(p->listen_fd);
}

/* One GetMe through the proxy after it froze, with a 6 s deadline; returns its status
 * and how long it took. */
static int frozen_call(const fixture *f, sath_client_options *o, long long *took)
{
    proxy p;
    proxy_start(&p, f->srv.proc.port);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", p.port);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(target, o, &c), SATH_OK);
    assert_int_equal(sath_client_login(c, f->srv.email, f->srv.password, NULL), SATH_OK);
    p.frozen = 1;
    sath_call_opts *co = NULL;
    assert_int_equal(sath_call_opts_new(&co), SATH_OK);
    assert_int_equal(sath_call_opts_set_timeout_ms(co, 6000), SATH_OK);
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    long long t0 = sdk_now_ms();
    int rc = sath_user_get_me(c, &req, NULL, co);
    *took = sdk_now_ms() - t0;
    sath_call_opts_free(co);
    sath_client_free(c);
    proxy_stop(&p);
    return rc;
}

static void test_keepalive(void **state)
{
    fixture *f = *state;
    long long took = 0;
    sath_client_options *o = options();
    /* Without keepalive a dead path is only noticed by the deadline. */
    assert_int_equal(frozen_call(f, o, &took), SATH_DEADLINE_EXCEEDED);
    assert_true(took >= 5500);
    /* With it, the unanswered ping drops the connection within about time + timeout. */
    assert_int_equal(sath_client_options_set_keepalive(o, 300, 500), SATH_OK);
    assert_int_equal(frozen_call(f, o, &took), SATH_UNAVAILABLE);
    assert_true(took < 5000);
    sath_client_options_free(o);
}

/* ---- read retries (fake_server.py: sathd cannot be told to fail on purpose) -------- */

typedef struct fake {
    pid_t pid;
    int to_server;
    char target[64];
} fake;

static void fake_start(fake *s)
{
    char *argv[] = {(char *)"/usr/bin/python3", (char *)SATH_FAKE_SERVER, NULL};
    assert_int_equal(fake_proc_start(argv, &s->pid, &s->to_server, s->target, sizeof s->target), 0);
}

static void fake_stop(fake *s)
{
    close(s->to_server);
    waitpid(s->pid, NULL, 0);
}

/* One call of `path` failing `fail_times` times first; returns its status, *attempts
 * what the server counted. */
static int flaky(sath_client *c, const char *method, int fail_times, int *attempts)
{
    static int ids;
    char id[32], times[16];
    snprintf(id, sizeof id, "%d-%d", (int)getpid(), ++ids);
    snprintf(times, sizeof times, "%d", fail_times);
    sath_call_opts *co = NULL;
    assert_int_equal(sath_call_opts_new(&co), SATH_OK);
    assert_int_equal(sath_call_opts_add_metadata(co, "x-flaky-id", id), SATH_OK);
    assert_int_equal(sath_call_opts_add_metadata(co, "x-fail-times", times), SATH_OK);
    int rc;
    if (strcmp(method, "ListPlans") == 0) {
        rc = list_plans(c, co);
    } else {
        Sath__V1__SubscribeRequest req = SATH__V1__SUBSCRIBE_REQUEST__INIT;
        rc = sath_billing_subscribe(c, &req, NULL, co);
    }
    const char *n = sath_call_opts_response_metadata(co, "x-attempts");
    *attempts = n ? atoi(n) : -1;
    sath_call_opts_free(co);
    return rc;
}

static void test_read_retries(void **state)
{
    (void)state;
    fake s;
    fake_start(&s);
    int attempts = 0;
    sath_client_options *o = options();
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(s.target, o, &c), SATH_OK);
    assert_int_equal(flaky(c, "ListPlans", 2, &attempts), SATH_UNAVAILABLE); /* default: no retry */
    assert_int_equal(attempts, 1);
    sath_client_free(c);

    assert_int_equal(sath_client_options_set_read_retries(o, 3), SATH_OK);
    assert_int_equal(sath_client_new(s.target, o, &c), SATH_OK);
    assert_int_equal(flaky(c, "ListPlans", 2, &attempts), SATH_OK); /* a read: retried */
    assert_int_equal(attempts, 3);
    assert_int_equal(flaky(c, "ListPlans", 5, &attempts), SATH_UNAVAILABLE); /* at most 3 */
    assert_int_equal(attempts, 3);
    assert_int_equal(flaky(c, "Subscribe", 1, &attempts), SATH_UNAVAILABLE); /* a write: never */
    assert_int_equal(attempts, 1);
    sath_client_free(c);
    sath_client_options_free(o);
    fake_stop(&s);
}

/* ---- mutual TLS and the server-name override against sathd ----------------------- */

static sath_client *tls_client(const char *target, const char *dir, const char *cert,
                               const char *server_name)
{
    char ca[256], crt[256], key[256];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(crt, sizeof crt, "%s/%s.pem", dir, cert ? cert : "");
    snprintf(key, sizeof key, "%s/%s.key", dir, cert ? cert : "");
    sath_client_options *o = options();
    assert_int_equal(sath_client_options_set_root_ca_file(o, ca), SATH_OK);
    if (cert)
        assert_int_equal(sath_client_options_set_client_cert_files(o, crt, key), SATH_OK);
    if (server_name)
        assert_int_equal(sath_client_options_set_server_name(o, server_name), SATH_OK);
    assert_int_equal(sath_client_options_set_timeout_ms(o, 5000), SATH_OK);
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(target, o, &c), SATH_OK);
    sath_client_options_free(o);
    return c;
}

static void test_mutual_tls(void **state)
{
    (void)state;
    char dir[64];
    assert_int_equal(sdk_tempdir(dir, sizeof dir), 0);
    assert_int_equal(sdk_make_certs(dir), 0);
    char cert_env[160], key_env[160], ca_env[160];
    snprintf(cert_env, sizeof cert_env, "SATH_TLS_CERT_FILE=%s/server.pem", dir);
    snprintf(key_env, sizeof key_env, "SATH_TLS_KEY_FILE=%s/server.key", dir);
    snprintf(ca_env, sizeof ca_env, "SATH_TLS_CLIENT_CA_FILE=%s/ca.pem", dir);
    const char *env[] = {cert_env, key_env, ca_env, NULL};
    sdk_server tls;
    assert_int_equal(sdk_server_start(&tls, env, 1), 0);
    const char *t = tls.proc.target;

    /* the right certificate, the right name: a full session works */
    sath_client *c = tls_client(t, dir, "client", "sathd.test");
    char email[96], pw[40];
    assert_int_equal(sdk_register(c, email, sizeof email, pw, sizeof pw), SATH_OK);
    assert_int_equal(sath_client_login(c, email, pw, NULL), SATH_OK);
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *me = NULL;
    assert_int_equal(sath_user_get_me(c, &req, &me, NULL), SATH_OK);
    assert_string_equal(me->email, email);
    sath__v1__user__free_unpacked(me, NULL);
    sath_client_free(c);

    /* no client certificate: the handshake fails */
    c = tls_client(t, dir, NULL, "sathd.test");
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    /* a certificate of another CA: refused */
    c = tls_client(t, dir, "other-client", "sathd.test");
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    /* the right certificate but no name override: 127.0.0.1 is not in sathd's certificate */
    c = tls_client(t, dir, "client", NULL);
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    /* a plaintext client gets nowhere either */
    sath_client *plain = NULL;
    assert_int_equal(sath_client_new(t, NULL, &plain), SATH_OK);
    assert_int_equal(list_plans(plain, NULL), SATH_UNAVAILABLE);
    sath_client_free(plain);

#ifdef SATH_SATHCTL
    /* sathctl carries the same options: --ca --cert --key --server-name */
    char ca[128], crt[128], key[128], xdg[128], em[160];
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(crt, sizeof crt, "%s/client.pem", dir);
    snprintf(key, sizeof key, "%s/client.key", dir);
    snprintf(xdg, sizeof xdg, "XDG_CONFIG_HOME=%s", dir);
    snprintf(em, sizeof em, "ctl.%s", email);
    const char *ctl_env[] = {xdg, "SATH_PASSWORD=sathctl-password-1", NULL};
    char *with[] = {(char *)SATH_SATHCTL, (char *)"--server", (char *)t, (char *)"--ca", ca,
                    (char *)"--cert", crt, (char *)"--key", key, (char *)"--server-name",
                    (char *)"sathd.test", (char *)"register", (char *)"--email", em, NULL};
    assert_int_equal(sdk_run(with, ctl_env, "/dev/null"), 0);
    char *without[] = {(char *)SATH_SATHCTL, (char *)"--server", (char *)t, (char *)"--ca", ca,
                       (char *)"--server-name", (char *)"sathd.test", (char *)"register",
                       (char *)"--email", em, NULL};
    assert_int_equal(sdk_run(without, ctl_env, "/dev/null"), 4); /* cannot connect */
    char *half[] = {(char *)SATH_SATHCTL, (char *)"--server", (char *)t, (char *)"--cert", crt,
                    (char *)"register", (char *)"--email", em, NULL};
    assert_int_equal(sdk_run(half, ctl_env, "/dev/null"), 2); /* usage: --cert without --key */
#endif
    assert_int_equal(sdk_server_stop(&tls), 0);
    sdk_rmdir(dir);
}

/* sathd refuses SATH_TLS_CLIENT_CA_FILE without a certificate of its own. */
static void test_client_ca_needs_server_tls(void **state)
{
    (void)state;
    const char *env[] = {"SATH_TLS_CLIENT_CA_FILE=/nonexistent/ca.pem", NULL};
    sdk_server s;
    assert_int_not_equal(sdk_server_start(&s, env, 1), 0);
    sdk_server_stop(&s);
}

/* ---- raw call and metadata ----------------------------------------------------------- */

static void test_raw_call(void **state)
{
    fixture *f = *state;
    sath_client *c = sdk_login(&f->srv, NULL);
    assert_non_null(c);
    /* gRPC's health service has no stub (nor message code in the shared library): an
     * empty HealthCheckRequest is zero bytes, and SERVING is field 1 = 1 (08 01). */
    void *bytes = NULL;
    size_t n = 0;
    assert_int_equal(sath_client_call_raw(c, "/grpc.health.v1.Health/Check", NULL, 0, &bytes, &n, NULL),
                     SATH_OK);
    assert_non_null(bytes);
    assert_int_equal(n, 2);
    assert_memory_equal(bytes, "\x08\x01", 2);
    sath_free(bytes);
    /* a sath.v1 method through the raw call carries the session's token */
    assert_int_equal(sath_client_call_raw(c, "/sath.v1.UserService/GetMe", NULL, 0, &bytes, &n, NULL), SATH_OK);
    Sath__V1__User *me = sath__v1__user__unpack(NULL, n, bytes);
    assert_non_null(me);
    assert_string_equal(me->email, f->srv.email);
    sath__v1__user__free_unpacked(me, NULL);
    sath_free(bytes);
    /* a per-call authorization replaces the session's token */
    sath_call_opts *co = NULL;
    assert_int_equal(sath_call_opts_new(&co), SATH_OK);
    assert_int_equal(sath_call_opts_set_authorization(co, "Bearer not-a-token"), SATH_OK);
    assert_int_equal(sath_client_call_raw(c, "/sath.v1.UserService/GetMe", NULL, 0, &bytes, &n, co),
                     SATH_UNAUTHENTICATED);
    assert_null(bytes);
    assert_string_equal(sath_client_last_error_message(c), sath_call_opts_status_message(co));
    /* ...and stops doing so when cleared */
    assert_int_equal(sath_call_opts_set_authorization(co, NULL), SATH_OK);
    assert_int_equal(sath_client_call_raw(c, "/sath.v1.UserService/GetMe", NULL, 0, &bytes, &n, co), SATH_OK);
    sath_free(bytes);
    /* a method sathd does not have */
    assert_int_equal(sath_client_call_raw(c, "/sath.v1.Nope/Nothing", NULL, 0, &bytes, &n, co),
                     SATH_UNIMPLEMENTED);
    sath_call_opts_free(co);
    sath_client_free(c);
}

typedef struct raw_lines {
    int n;
} raw_lines;

static int on_raw_line(void *arg, const void *msg, size_t len)
{
    raw_lines *r = arg;
    Sath__V1__LogLine *l = sath__v1__log_line__unpack(NULL, len, msg);
    assert_non_null(l);
    sath__v1__log_line__free_unpacked(l, NULL);
    r->n++;
    return 0;
}

/* The raw server-streaming call: the session's token, the server's own status, a
 * caller's authorization instead, and what a method sathd does not have answers. */
static void test_raw_stream(void **state)
{
    fixture *f = *state;
    sath_client *c = sdk_login(&f->srv, NULL);
    assert_non_null(c);
    raw_lines r = {0};
    /* a user without a bot: the stream ends at once, nothing delivered */
    assert_int_equal(sath_client_call_raw_stream(c, "/sath.v1.BotService/FollowBotLogs", NULL, 0,
                                                 on_raw_line, NULL, &r, NULL),
                     SATH_OK);
    assert_int_equal(r.n, 0);
    assert_string_equal(sath_client_last_error_message(c), "");
    /* the request's bytes reach sathd: tail = -1 is refused there */
    Sath__V1__FollowBotLogsRequest req = SATH__V1__FOLLOW_BOT_LOGS_REQUEST__INIT;
    req.tail = -1;
    uint8_t buf[32];
    size_t len = sath__v1__follow_bot_logs_request__pack(&req, buf);
    sath_call_opts *co = NULL;
    assert_int_equal(sath_call_opts_new(&co), SATH_OK);
    assert_int_equal(sath_client_call_raw_stream(c, "/sath.v1.BotService/FollowBotLogs", buf, len,
                                                 on_raw_line, NULL, &r, co),
                     SATH_INVALID_ARGUMENT);
    assert_int_equal(sath_call_opts_status(co), SATH_INVALID_ARGUMENT);
    assert_string_not_equal(sath_call_opts_status_message(co), "");
    assert_string_equal(sath_client_last_error_message(c), sath_call_opts_status_message(co));
    /* a per-call authorization replaces the session's token */
    assert_int_equal(sath_call_opts_set_authorization(co, "Bearer not-a-token"), SATH_OK);
    assert_int_equal(sath_client_call_raw_stream(c, "/sath.v1.BotService/FollowBotLogs", NULL, 0,
                                                 on_raw_line, NULL, &r, co),
                     SATH_UNAUTHENTICATED);
    assert_int_equal(sath_client_call_raw_stream(c, "/sath.v1.Nope/Nothing", NULL, 0, on_raw_line,
                                                 NULL, &r, NULL),
                     SATH_UNIMPLEMENTED);
    assert_int_equal(r.n, 0);
    sath_call_opts_free(co);
    sath_client_free(c);
}

/* ---- the log callback captures gRPC core's own lines -------------------------------- */

typedef struct log_capture {
    pthread_mutex_t mu;
    int lines, grpc_lines, below_min;
} log_capture;

static void capture(void *userdata, int level, const char *message)
{
    log_capture *lc = userdata;
    pthread_mutex_lock(&lc->mu);
    lc->lines++;
    if (strncmp(message, "grpc: ", 6) == 0)
        lc->grpc_lines++;
    if (level < SATH_LOG_DEBUG || level > SATH_LOG_ERROR)
        lc->below_min++;
    pthread_mutex_unlock(&lc->mu);
}

static void test_log_callback(void **state)
{
    (void)state;
    log_capture lc = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};
    assert_int_equal(sath_global_init(SATH_GLOBAL_DEFAULT), SATH_OK);
    assert_int_equal(sath_global_set_log(capture, &lc, SATH_LOG_DEBUG), SATH_OK);
    char target[32];
    snprintf(target, sizeof target, "127.0.0.1:%d", sdk_closed_port());
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(target, NULL, &c), SATH_OK);
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    assert_int_equal(sath_global_set_log(NULL, NULL, SATH_LOG_OFF), SATH_OK);
    pthread_mutex_lock(&lc.mu);
    int seen = lc.grpc_lines;
    pthread_mutex_unlock(&lc.mu);
    assert_true(seen > 0); /* gRPC's debug lines reached us, not stderr */
    assert_int_equal(lc.below_min, 0);
    /* once removed, nothing more arrives */
    assert_int_equal(sath_client_new(target, NULL, &c), SATH_OK);
    assert_int_equal(list_plans(c, NULL), SATH_UNAVAILABLE);
    sath_client_free(c);
    pthread_mutex_lock(&lc.mu);
    assert_int_equal(lc.grpc_lines, seen);
    pthread_mutex_unlock(&lc.mu);
    sath_global_cleanup();
    sath_global_cleanup(); /* unmatched: does nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_wait_for_ready),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_read_retries),
        cmocka_unit_test(test_mutual_tls),
        cmocka_unit_test(test_client_ca_needs_server_tls),
        cmocka_unit_test(test_raw_call),
        cmocka_unit_test(test_raw_stream),
        cmocka_unit_test(test_log_callback),
    };
    return cmocka_run_group_tests(tests, sdk_group_setup, sdk_group_teardown);
}
