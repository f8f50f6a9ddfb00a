/*
 * torture_httpc.c - server/httpc against real local listeners (testsrv.c): methods and
 * bodies, headers both ways, form encoding, a unix socket, timeouts and deadlines,
 * refused connections, the size cap, streaming, redirects not followed, the SSRF guard
 * (a loopback listener that must see no connection unless the allow-list names it),
 * DNS rebinding (getaddrinfo is interposed below), scrubbing, and that secrets never
 * reach the log.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sathd/httpc.h"
#include "sathd/log.h"
#include "testsrv.h"

/* DNS for the rebinding test: "rebind.test" answers 127.0.0.3 (allowed by the test's
 * allow-list) the first time and 127.0.0.1 (not allowed) every time after, as an
 * attacker's DNS server with a zero TTL would.  Every other name goes to the real
 * resolver.  Defined in the executable, this getaddrinfo is the one libcurl and
 * server/httpc call. */
static atomic_int rebind_lookups;

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
    if (node && strcmp(node, "rebind.test") == 0) {
        int n = atomic_fetch_add(&rebind_lookups, 1);
        struct addrinfo h = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST};
        return real(n == 0 ? "127.0.0.3" : "127.0.0.1", service, &h, res);
    }
    return real(node, service, hints, res);
}

typedef struct fixture {
    testsrv srv;
    sathd_httpc *c;
    char base[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f || testsrv_start_tcp(&f->srv, "127.0.0.1", 0) != 0)
        return -1;
    sathd_httpc_config cfg = {.user_agent = "torture/1"};
    if (sathd_httpc_new(&cfg, &f->c) != 0)
        return -1;
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->srv.port);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sathd_httpc_free(f->c);
    testsrv_stop(&f->srv);
    free(f);
    return 0;
}

static sathd_httpc_err get(fixture *f, const char *path, sathd_httpc_request *req,
                           sathd_httpc_response *resp)
{
    static char url[256];
    snprintf(url, sizeof url, "%s%s", f->base, path);
    req->url = url;
    return sathd_httpc_do(f->c, req, resp);
}

static void get_with_headers(void **state)
{
    fixture *f = *state;
    const char *h[] = {"X-One: 1", "Authorization: Bearer sk-very-secret", NULL};
    sathd_httpc_request req = {.headers = h, .secret_headers = 1u << 1};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/echo", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");
    assert_int_equal(r.body_len, 0);
    assert_string_equal(r.content_type, "text/plain");
    assert_string_equal(sathd_httpc_header(&r, "x-test"), "yes");
    assert_null(sathd_httpc_header(&r, "X-Absent"));
    assert_string_equal(f->srv.method, "GET");
    assert_true(testsrv_head_has(&f->srv, "\r\nX-One: 1\r\n"));
    assert_true(testsrv_head_has(&f->srv, "\r\nAuthorization: Bearer sk-very-secret\r\n"));
    assert_true(testsrv_head_has(&f->srv, "\r\nUser-Agent: torture/1\r\n"));
    assert_true(r.elapsed_ms >= 0);
    sathd_httpc_response_free(&r);
    assert_null(r.body);
}

static void methods_and_bodies(void **state)
{
    fixture *f = *state;
    const char json[] = "{\"a\":1}";
    sathd_httpc_request req = {.method = "POST", .body = json, .body_len = strlen(json),
                               .content_type = "application/json"};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/echo", &req, &r), SATHD_HTTPC_OK);
    assert_string_equal(r.body, json);
    assert_string_equal(f->srv.method, "POST");
    assert_true(testsrv_head_has(&f->srv, "\r\nContent-Type: application/json\r\n"));
    assert_false(testsrv_head_has(&f->srv, "Expect:"));
    sathd_httpc_response_free(&r);

    req.method = "PUT";
    assert_int_equal(get(f, "/echo", &req, &r), SATHD_HTTPC_OK);
    assert_string_equal(f->srv.method, "PUT");
    assert_string_equal(r.body, json);
    sathd_httpc_response_free(&r);

    sathd_httpc_request del = {.method = "DELETE"};
    assert_int_equal(get(f, "/echo", &del, &r), SATHD_HTTPC_OK);
    assert_string_equal(f->srv.method, "DELETE");
    sathd_httpc_response_free(&r);

    sathd_httpc_request post0 = {.method = "POST"}; /* Docker's POST .../start: no body */
    assert_int_equal(get(f, "/echo", &post0, &r), SATHD_HTTPC_OK);
    assert_true(testsrv_head_has(&f->srv, "\r\nContent-Length: 0\r\n"));
    sathd_httpc_response_free(&r);

    sathd_httpc_request head = {.method = "HEAD"};
    assert_int_equal(get(f, "/big/10", &head, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    sathd_httpc_response_free(&r);

    int before = atomic_load(&f->srv.requests);
    sathd_httpc_request bad = {.method = "BREW"};
    assert_int_equal(get(f, "/echo", &bad, &r), SATHD_HTTPC_EINVAL);
    sathd_httpc_request getbody = {.body = "x", .body_len = 1};
    assert_int_equal(get(f, "/echo", &getbody, &r), SATHD_HTTPC_EINVAL);
    sathd_httpc_request ftp = {.url = "ftp://127.0.0.1/x"};
    assert_int_equal(sathd_httpc_do(f->c, &ftp, &r), SATHD_HTTPC_EINVAL);
    ftp.url = "not a url";
    assert_int_equal(sathd_httpc_do(f->c, &ftp, &r), SATHD_HTTPC_EINVAL);
    /* no header smuggling: CR/LF in a line or the content type, a line without a name */
    const char *smuggle[][2] = {{"X-A: 1\r\nX-Injected: 1", NULL}, {"X-A: 1\nGET / HTTP/1.1", NULL},
                                {"no colon here", NULL}, {": no name", NULL}};
    for (size_t i = 0; i < sizeof smuggle / sizeof smuggle[0]; i++) {
        sathd_httpc_request sm = {.headers = smuggle[i]};
        assert_int_equal(get(f, "/echo", &sm, &r), SATHD_HTTPC_EINVAL);
    }
    sathd_httpc_request ct = {.method = "POST", .body = "x", .body_len = 1,
                              .content_type = "text/plain\r\nX-Injected: 1"};
    assert_int_equal(get(f, "/echo", &ct, &r), SATHD_HTTPC_EINVAL);
    assert_int_equal(atomic_load(&f->srv.requests), before);
}

static void form_encoding(void **state)
{
    fixture *f = *state;
    sathd_httpc_form *form = sathd_httpc_form_new();
    assert_non_null(form);
    size_t len = 99;
    assert_string_equal(sathd_httpc_form_data(form, &len), "");
    assert_int_equal(len, 0);
    assert_int_equal(sathd_httpc_form_add(form, "mode", "subscription"), 0);
    assert_int_equal(sathd_httpc_form_add(form, "line_items[0][price]", "price_1Abc"), 0);
    assert_int_equal(sathd_httpc_form_addf(form, "line_items[0][quantity]", "%d", 1), 0);
    assert_int_equal(sathd_httpc_form_add(form, "metadata[note]", "a b&c=d/é+~"), 0);
    const char *want = "mode=subscription&line_items%5B0%5D%5Bprice%5D=price_1Abc"
                       "&line_items%5B0%5D%5Bquantity%5D=1"
                       "&metadata%5Bnote%5D=a%20b%26c%3Dd%2F%C3%A9%2B~";
    assert_string_equal(sathd_httpc_form_data(form, &len), want);
    assert_int_equal(len, strlen(want));
    /* many additions: the buffer grows */
    for (int i = 0; i < 200; i++)
        assert_int_equal(sathd_httpc_form_addf(form, "expand[]", "item_%d", i), 0);
    const char *data = sathd_httpc_form_data(form, &len);
    sathd_httpc_request req = {.method = "POST", .body = data, .body_len = len,
                               .content_type = "application/x-www-form-urlencoded"};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/echo", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.body_len, len);
    assert_memory_equal(r.body, data, len);
    assert_true(testsrv_head_has(&f->srv, "Content-Type: application/x-www-form-urlencoded"));
    sathd_httpc_response_free(&r);
    /* a failed addition poisons the form: no half-built body is ever sent */
    assert_int_equal(sathd_httpc_form_add(form, "k", NULL), -1);
    assert_null(sathd_httpc_form_data(form, &len));
    assert_int_equal(sathd_httpc_form_add(form, "k", "v"), -1);
    sathd_httpc_form_free(form);
    sathd_httpc_form_free(NULL);
}

static void unix_socket(void **state)
{
    fixture *f = *state;
    char path[108];
    snprintf(path, sizeof path, "/tmp/torture_httpc_%d.sock", (int)getpid());
    testsrv us;
    assert_int_equal(testsrv_start_unix(&us, path), 0);
    const char body[] = "{\"Image\":\"busybox\"}";
    sathd_httpc_request req = {.method = "POST", .url = "http://localhost/v1.41/containers/create",
                               .unix_socket = path, .body = body, .body_len = strlen(body),
                               .content_type = "application/json"};
    sathd_httpc_response r;
    assert_int_equal(sathd_httpc_do(f->c, &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, body);
    assert_string_equal(us.target, "/v1.41/containers/create");
    assert_true(testsrv_head_has(&us, "\r\nHost: localhost\r\n"));
    sathd_httpc_response_free(&r);
    /* the guard never lets a request reach a local socket */
    req.flags = SATHD_HTTPC_GUARD_SSRF;
    assert_int_equal(sathd_httpc_do(f->c, &req, &r), SATHD_HTTPC_EINVAL);
    assert_int_equal(atomic_load(&us.accepted), 1);
    testsrv_stop(&us);
    /* gone socket: refused */
    req.flags = 0;
    assert_int_equal(sathd_httpc_do(f->c, &req, &r), SATHD_HTTPC_EREFUSED);
    assert_int_equal(r.status, 0);
    assert_null(r.body);
}

static void timeouts_and_deadlines(void **state)
{
    fixture *f = *state;
    sathd_httpc_request req = {.timeout_ms = 300};
    sathd_httpc_response r;
    int64_t t0 = sathd_httpc_now_ms();
    assert_int_equal(get(f, "/slow/2000", &req, &r), SATHD_HTTPC_ETIMEOUT);
    int64_t took = sathd_httpc_now_ms() - t0;
    assert_true(took >= 250 && took < 1500);
    assert_int_equal(r.status, 0);
    /* the call's deadline wins over a longer timeout */
    sathd_httpc_request dl = {.timeout_ms = 30000, .deadline_ms = sathd_httpc_now_ms() + 300};
    t0 = sathd_httpc_now_ms();
    assert_int_equal(get(f, "/slow/2000", &dl, &r), SATHD_HTTPC_ETIMEOUT);
    took = sathd_httpc_now_ms() - t0;
    assert_true(took >= 250 && took < 1500);
    /* a deadline already gone: nothing is sent */
    int before = atomic_load(&f->srv.requests);
    sathd_httpc_request gone = {.deadline_ms = sathd_httpc_now_ms() - 1};
    assert_int_equal(get(f, "/echo", &gone, &r), SATHD_HTTPC_ETIMEOUT);
    assert_int_equal(atomic_load(&f->srv.requests), before);
    /* within time: fine */
    sathd_httpc_request ok = {.timeout_ms = 3000};
    assert_int_equal(get(f, "/slow/100", &ok, &r), SATHD_HTTPC_OK);
    assert_string_equal(r.body, "late");
    sathd_httpc_response_free(&r);
}

static void refused(void **state)
{
    fixture *f = *state;
    /* a port nobody listens on: bind one, note it, close it */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sl), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &sl), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    sathd_httpc_request req = {.url = url};
    sathd_httpc_response r;
    assert_int_equal(sathd_httpc_do(f->c, &req, &r), SATHD_HTTPC_EREFUSED);
    assert_string_equal(sathd_httpc_strerror(SATHD_HTTPC_EREFUSED), "connection refused");
    req.url = "http://no-such-host.invalid/";
    assert_int_equal(sathd_httpc_do(f->c, &req, &r), SATHD_HTTPC_EUNREACHABLE);
}

static void size_cap(void **state)
{
    fixture *f = *state;
    sathd_httpc_request req = {.max_response = 1000};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/big/1000", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.body_len, 1000);
    sathd_httpc_response_free(&r);
    assert_int_equal(get(f, "/big/1001", &req, &r), SATHD_HTTPC_ETOOBIG);   /* Content-Length */
    assert_null(r.body);
    assert_int_equal(get(f, "/chunked/5000", &req, &r), SATHD_HTTPC_ETOOBIG); /* counted */
    assert_null(r.body);
    req.max_response = 0; /* the client's default, 1 MiB */
    assert_int_equal(get(f, "/chunked/200000", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.body_len, 200000);
    sathd_httpc_response_free(&r);
    /* a client with a smaller default */
    sathd_httpc *small;
    sathd_httpc_config cfg = {.default_max_response = 100};
    assert_int_equal(sathd_httpc_new(&cfg, &small), 0);
    char url[128];
    snprintf(url, sizeof url, "%s/chunked/101", f->base);
    sathd_httpc_request s = {.url = url};
    assert_int_equal(sathd_httpc_do(small, &s, &r), SATHD_HTTPC_ETOOBIG);
    sathd_httpc_free(small);
}

typedef struct sink {
    char buf[256];
    size_t len;
    int calls, stop_after;
} sink;

static int on_data(void *arg, const void *p, size_t n)
{
    sink *s = arg;
    s->calls++;
    if (s->len + n < sizeof s->buf) {
        memcpy(s->buf + s->len, p, n);
        s->len += n;
    }
    return s->stop_after && s->calls >= s->stop_after;
}

static void streaming(void **state)
{
    fixture *f = *state;
    sink s = {0};
    sathd_httpc_request req = {.on_data = on_data, .on_data_arg = &s};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/stream", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 200);
    assert_null(r.body);
    assert_string_equal(s.buf, "chunk0\nchunk1\nchunk2\nchunk3\nchunk4\n");
    assert_true(s.calls >= 2); /* delivered as it came, not at the end */
    sathd_httpc_response_free(&r);
    sink stop = {.stop_after = 1};
    req.on_data_arg = &stop;
    assert_int_equal(get(f, "/stream", &req, &r), SATHD_HTTPC_EABORTED);
    assert_int_equal(stop.calls, 1);
    assert_int_equal(r.status, 200);
    /* no cap at all when asked (docker logs --follow) */
    sink all = {0};
    sathd_httpc_request nocap = {.on_data = on_data, .on_data_arg = &all, .max_response = SIZE_MAX};
    assert_int_equal(get(f, "/stream", &nocap, &r), SATHD_HTTPC_OK);
    assert_int_equal(all.len, 35);
    sathd_httpc_response_free(&r);
    /* the cap bounds a stream too */
    sink big = {0};
    sathd_httpc_request capped = {.on_data = on_data, .on_data_arg = &big, .max_response = 20};
    assert_int_equal(get(f, "/stream", &capped, &r), SATHD_HTTPC_ETOOBIG);
    assert_true(big.len <= 20);
}

/* Pooled handles keep their connections; SATHD_HTTPC_FRESH (key tests) never shares one. */
static void connection_reuse(void **state)
{
    fixture *f = *state;
    sathd_httpc_request req = {0};
    sathd_httpc_response r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(f, "/echo", &req, &r), SATHD_HTTPC_OK);
        sathd_httpc_response_free(&r);
    }
    assert_int_equal(atomic_load(&f->srv.requests), 3);
    assert_int_equal(atomic_load(&f->srv.accepted), 1);
    sathd_httpc_request fresh = {.flags = SATHD_HTTPC_FRESH};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(f, "/echo", &fresh, &r), SATHD_HTTPC_OK);
        sathd_httpc_response_free(&r);
    }
    assert_int_equal(atomic_load(&f->srv.requests), 6);
    assert_int_equal(atomic_load(&f->srv.accepted), 4);
    /* and the one after a fresh request does not pick up its connection either */
    assert_int_equal(get(f, "/echo", &req, &r), SATHD_HTTPC_OK);
    sathd_httpc_response_free(&r);
    assert_int_equal(atomic_load(&f->srv.accepted), 4);
}

static void statuses_and_redirects(void **state)
{
    fixture *f = *state;
    sathd_httpc_request req = {0};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/status/503", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "status body");
    sathd_httpc_response_free(&r);
    int before = atomic_load(&f->srv.requests);
    assert_int_equal(get(f, "/redirect", &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 302);
    assert_string_equal(sathd_httpc_header(&r, "Location"), "/echo");
    assert_int_equal(atomic_load(&f->srv.requests), before + 1); /* not followed */
    assert_string_equal(f->srv.target, "/redirect");
    sathd_httpc_response_free(&r);
}

/* A guarded request to a loopback listener: refused before any connection, by every
 * spelling of the address; let through only when the operator's allow-list names it. */
static void ssrf_guard_loopback_listener(void **state)
{
    fixture *f = *state;
    int port = f->srv.port;
    const char *forms[] = {"127.0.0.1", "localhost", "2130706433", "0x7f.1", "127.1",
                           "[::ffff:127.0.0.1]", "[::1]", "LocalHost", NULL};
    sathd_httpc_response r;
    for (int i = 0; forms[i]; i++) {
        char url[128];
        snprintf(url, sizeof url, "http://%s:%d/echo", forms[i], port);
        sathd_httpc_request req = {.url = url, .flags = SATHD_HTTPC_GUARD_SSRF, .timeout_ms = 2000};
        sathd_httpc_err e = sathd_httpc_do(f->c, &req, &r);
        if (e != SATHD_HTTPC_EBLOCKED)
            fail_msg("%s: %s, expected blocked", url, sathd_httpc_strerror(e));
        assert_int_equal(r.status, 0);
    }
    assert_int_equal(atomic_load(&f->srv.accepted), 0);

    char allow_port[64], url[128];
    snprintf(allow_port, sizeof allow_port, "127.0.0.1:%d", port);
    const char *allow[] = {"10.0.0.0/8", allow_port, NULL};
    sathd_httpc_config cfg = {.outbound_allow = allow};
    sathd_httpc *c;
    assert_int_equal(sathd_httpc_new(&cfg, &c), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", port);
    sathd_httpc_request req = {.url = url, .flags = SATHD_HTTPC_GUARD_SSRF};
    assert_int_equal(sathd_httpc_do(c, &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 200);
    sathd_httpc_response_free(&r);
    assert_int_equal(atomic_load(&f->srv.accepted), 1);
    /* the same address on another port is still refused */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/echo", port == 65535 ? 1 : port + 1);
    assert_int_equal(sathd_httpc_do(c, &req, &r), SATHD_HTTPC_EBLOCKED);
    sathd_httpc_free(c);
    assert_int_equal(atomic_load(&f->srv.accepted), 1);
}

static void ssrf_guard_classes(void **state)
{
    fixture *f = *state;
    const char *blocked[] = {
        "http://0.0.0.0/", "http://10.0.0.1/", "http://10.255.255.255/", "http://100.64.0.1/",
        "http://100.127.255.254/", "http://127.0.0.1/", "http://127.255.0.9/",
        "http://169.254.169.254/latest/meta-data/", "http://172.16.0.1/", "http://172.31.255.1/",
        "http://192.168.1.1/", "http://192.0.0.8/", "http://198.18.0.1/", "http://224.0.0.1/",
        "http://239.255.255.250/", "http://240.0.0.1/", "http://255.255.255.255/",
        "https://[::]/", "https://[::1]/", "https://[::ffff:10.0.0.1]/",
        "https://[::ffff:169.254.169.254]/", "https://[::ffff:7f00:1]/", "https://[fc00::1]/",
        "https://[fd12:3456::1]/", "https://[fe80::1]/", "https://[febf::1]/", "https://[ff02::1]/",
        "https://[64:ff9b::a00:1]/", "https://[2002:a00:1::]/", "https://[::127.0.0.1]/",
        "https://[2001:db8::1]/", "https://[2001::1]/", NULL};
    for (int i = 0; blocked[i]; i++)
        if (sathd_httpc_guard_check(f->c, blocked[i]) != SATHD_HTTPC_EBLOCKED)
            fail_msg("%s was not blocked", blocked[i]);
    const char *open[] = {"https://8.8.8.8/", "http://1.1.1.1:8443/", "https://100.63.255.255/",
                          "https://100.128.0.1/", "https://172.32.0.1/", "https://169.253.1.1/",
                          "https://[2606:4700:4700::1111]/", "https://[::ffff:8.8.8.8]/",
                          "https://[64:ff9b::808:808]/", NULL};
    for (int i = 0; open[i]; i++)
        if (sathd_httpc_guard_check(f->c, open[i]) != SATHD_HTTPC_OK)
            fail_msg("%s was blocked", open[i]);
    assert_int_equal(sathd_httpc_guard_check(f->c, "file:///etc/passwd"), SATHD_HTTPC_EINVAL);
    assert_int_equal(sathd_httpc_guard_check(f->c, "gopher://8.8.8.8/"), SATHD_HTTPC_EINVAL);
    assert_int_equal(sathd_httpc_guard_check(f->c, "https://[fe80::1%25eth0]/"), SATHD_HTTPC_EBLOCKED);
    assert_int_equal(sathd_httpc_guard_check(f->c, "https://no-such-host.invalid/"),
                     SATHD_HTTPC_EUNREACHABLE);

    /* allow-list forms */
    const char *allow[] = {"10.0.0.0/8", "fd00::/8", "[::1]:7", "intranet-ai.local:443",
                           "169.254.169.254", NULL};
    sathd_httpc_config cfg = {.outbound_allow = allow};
    sathd_httpc *c;
    assert_int_equal(sathd_httpc_new(&cfg, &c), 0);
    assert_int_equal(sathd_httpc_guard_check(c, "http://10.9.8.7:1234/"), SATHD_HTTPC_OK);
    assert_int_equal(sathd_httpc_guard_check(c, "http://[::ffff:10.9.8.7]/"), SATHD_HTTPC_OK);
    assert_int_equal(sathd_httpc_guard_check(c, "http://11.0.0.1/"), SATHD_HTTPC_OK);
    assert_int_equal(sathd_httpc_guard_check(c, "http://192.168.0.1/"), SATHD_HTTPC_EBLOCKED);
    assert_int_equal(sathd_httpc_guard_check(c, "https://[fd01::2]/"), SATHD_HTTPC_OK);
    assert_int_equal(sathd_httpc_guard_check(c, "https://[fe80::2]/"), SATHD_HTTPC_EBLOCKED);
    assert_int_equal(sathd_httpc_guard_check(c, "http://[::1]:7/"), SATHD_HTTPC_OK);
    assert_int_equal(sathd_httpc_guard_check(c, "http://[::1]:8081/"), SATHD_HTTPC_EBLOCKED);
    assert_int_equal(sathd_httpc_guard_check(c, "http://169.254.169.254/"), SATHD_HTTPC_OK);
    sathd_httpc_free(c);
    const char *bad[][2] = {{"10.0.0.0/33", NULL}, {"host:0", NULL}, {"[::1", NULL},
                            {"a b", NULL},         {"host:99999", NULL}, {"name/8", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sathd_httpc_config b = {.outbound_allow = bad[i]};
        c = (sathd_httpc *)1;
        if (sathd_httpc_new(&b, &c) != -EINVAL || c != NULL)
            fail_msg("allow entry \"%s\" was accepted", bad[i][0]);
    }
}

/* The guard resolves once and pins: a second lookup answering a forbidden address is
 * never made, so the forbidden listener sees nothing and the checked one the request. */
static void ssrf_dns_rebinding(void **state)
{
    fixture *f = *state;
    testsrv allowed;
    assert_int_equal(testsrv_start_tcp(&allowed, "127.0.0.3", f->srv.port), 0);
    const char *allow[] = {"127.0.0.3", NULL};
    sathd_httpc_config cfg = {.outbound_allow = allow};
    sathd_httpc *c;
    assert_int_equal(sathd_httpc_new(&cfg, &c), 0);
    char url[96];
    snprintf(url, sizeof url, "http://rebind.test:%d/echo", f->srv.port);
    sathd_httpc_request req = {.url = url, .flags = SATHD_HTTPC_GUARD_SSRF, .timeout_ms = 3000};
    sathd_httpc_response r;
    atomic_store(&rebind_lookups, 0);
    assert_int_equal(sathd_httpc_do(c, &req, &r), SATHD_HTTPC_OK);
    assert_int_equal(r.status, 200);
    sathd_httpc_response_free(&r);
    assert_int_equal(atomic_load(&rebind_lookups), 1);
    assert_int_equal(atomic_load(&allowed.accepted), 1);
    assert_int_equal(atomic_load(&f->srv.accepted), 0);
    /* the next request resolves again, gets 127.0.0.1 and is refused before connecting */
    assert_int_equal(sathd_httpc_do(c, &req, &r), SATHD_HTTPC_EBLOCKED);
    assert_int_equal(atomic_load(&rebind_lookups), 2);
    assert_int_equal(atomic_load(&f->srv.accepted), 0);
    /* unguarded, the same name does reach the forbidden listener: the test can see it */
    req.flags = 0;
    assert_int_equal(sathd_httpc_do(c, &req, &r), SATHD_HTTPC_OK);
    sathd_httpc_response_free(&r);
    assert_int_equal(atomic_load(&f->srv.accepted), 1);
    sathd_httpc_free(c);
    testsrv_stop(&allowed);
}

static void scrub_and_lists(void **state)
{
    (void)state;
    const char *secrets[] = {"sk-secret-123", "", NULL};
    char out[64];
    const char text[] = "Incorrect API key provided: sk-secret-123.\n\x01\xc3\xa9";
    sathd_httpc_scrub(text, strlen(text), secrets, 200, out, sizeof out);
    assert_string_equal(out, "Incorrect API key provided: [redacted].????");
    /* cut at `max`, and a marker that does not fit is left out rather than cut */
    sathd_httpc_scrub(text, strlen(text), secrets, 30, out, sizeof out);
    assert_string_equal(out, "Incorrect API key provided: ");
    sathd_httpc_scrub("sk-secret-12", 12, secrets, 200, out, sizeof out); /* not the secret */
    assert_string_equal(out, "sk-secret-12");
    sathd_httpc_scrub(text, strlen(text), NULL, 200, out, 8);
    assert_string_equal(out, "Incorre");

    char **l = sathd_httpc_list_split(" 127.0.0.1:7, [::1]:9,,10.0.0.0/8\tfoo ");
    assert_non_null(l);
    assert_string_equal(l[0], "127.0.0.1:7");
    assert_string_equal(l[1], "[::1]:9");
    assert_string_equal(l[2], "10.0.0.0/8");
    assert_string_equal(l[3], "foo");
    assert_null(l[4]);
    sathd_httpc_list_free(l);
    l = sathd_httpc_list_split(NULL);
    assert_non_null(l);
    assert_null(l[0]);
    sathd_httpc_list_free(l);
}

/* The debug line of a request names the host and status; neither secret headers nor
 * bodies nor the URL's query ever reach the log. */
static void nothing_secret_logged(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/torture_httpc_log_XXXXXX";
    int logfd = mkstemp(path);
    assert_true(logfd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(logfd, 2);
    sathd_log_set_level(SATHD_LOG_DEBUG);
    const char *h[] = {"Authorization: Bearer sk-log-secret-77", NULL};
    const char body[] = "{\"password\":\"body-secret-88\"}";
    sathd_httpc_request req = {.method = "POST", .headers = h, .secret_headers = 1,
                               .body = body, .body_len = strlen(body)};
    sathd_httpc_response r;
    assert_int_equal(get(f, "/echo?signature=query-secret-99", &req, &r), SATHD_HTTPC_OK);
    sathd_httpc_response_free(&r);
    sathd_log_set_level(SATHD_LOG_INFO);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char log[4096] = "";
    ssize_t n = pread(logfd, log, sizeof log - 1, 0);
    close(logfd);
    unlink(path);
    assert_true(n > 0);
    log[n] = '\0';
    assert_non_null(strstr(log, "outbound http"));
    assert_non_null(strstr(log, "host=127.0.0.1"));
    assert_non_null(strstr(log, "status=200"));
    assert_null(strstr(log, "sk-log-secret-77"));
    assert_null(strstr(log, "body-secret-88"));
    assert_null(strstr(log, "query-secret-99"));
}

typedef struct worker {
    fixture *f;
    int ok;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    char url[128];
    snprintf(url, sizeof url, "%s/big/3000", w->f->base);
    for (int i = 0; i < 25; i++) {
        sathd_httpc_request req = {.url = url};
        sathd_httpc_response r;
        if (sathd_httpc_do(w->f->c, &req, &r) == SATHD_HTTPC_OK && r.body_len == 3000)
            w->ok++;
        sathd_httpc_response_free(&r);
    }
    return NULL;
}

static void shared_by_threads(void **state)
{
    fixture *f = *state;
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){f, 0};
        assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 25);
    }
}

int main(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        /* the guard's "no connection" check runs first, on a fresh listener */
        cmocka_unit_test_setup_teardown(ssrf_guard_loopback_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(ssrf_guard_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(ssrf_dns_rebinding, setup, teardown),
        cmocka_unit_test_setup_teardown(get_with_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(methods_and_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(form_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(unix_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(timeouts_and_deadlines, setup, teardown),
        cmocka_unit_test_setup_teardown(refused, setup, teardown),
        cmocka_unit_test_setup_teardown(size_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(streaming, setup, teardown),
        cmocka_unit_test_setup_teardown(statuses_and_redirects, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_reuse, setup, teardown),
        cmocka_unit_test(scrub_and_lists),
        cmocka_unit_test_setup_teardown(nothing_secret_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(shared_by_threads, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
