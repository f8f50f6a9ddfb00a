/*
 * docker_api.c - requests to a Docker Engine API over a unix socket (see docker_api.h):
 * version negotiation, JSON requests, streamed GETs, and the engine's error messages.
 *
 * Nothing we send carries a secret (the bot's run token travels in a file, see
 * backend_docker.c), so the engine's error text may be copied into errors and logs as is;
 * it is still cut and stripped of control bytes (it can quote container names and
 * image names, which come from configuration, never from a user's free text).
 */
#define _GNU_SOURCE /* struct ucred */
#include "docker_api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sathd/httpc.h"

struct sathd_docker {
    sathd_httpc *http;
    char *socket;        /* filesystem path of the engine's socket */
    char version[16];    /* negotiated, "1.41" */
    char prefix[24];     /* "http://localhost/v1.41" is built per call from this: "/v1.41" */
    char engine[96];
    int podman;
};

__attribute__((format(printf, 3, 4))) static void seterr(char *err, size_t errlen,
                                                          const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Copies a message into err, printable ASCII only. */
static void copy_message(char *err, size_t errlen, const char *msg, size_t len)
{
    if (!err || !errlen)
        return;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < errlen; i++)
        err[n++] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] : '?';
    err[n] = '\0';
}

static int httpc_rc(sathd_httpc_err e)
{
    switch (e) {
    case SATHD_HTTPC_OK: return 0;
    case SATHD_HTTPC_EREFUSED:
    case SATHD_HTTPC_EUNREACHABLE: return -ECONNREFUSED;
    case SATHD_HTTPC_ETIMEOUT: return -ETIMEDOUT;
    case SATHD_HTTPC_ETOOBIG: return -EFBIG;
    case SATHD_HTTPC_EABORTED: return -ECANCELED;
    case SATHD_HTTPC_EINVAL: return -EINVAL;
    default: return -EIO;
    }
}

int sathd_docker_status_rc(int status)
{
    if ((status >= 200 && status < 300) || status == 304)
        return 0;
    switch (status) {
    case 400: return -EINVAL;
    case 404: return -ENOENT;
    case 409: return -EEXIST;
    default: return -EIO;
    }
}

/* The engine's {"message": "..."} (or the raw body's start) into err. */
static void error_message(const sathd_httpc_response *r, char *err, size_t errlen)
{
    if (!r->body || r->body_len == 0) {
        char m[32];
        snprintf(m, sizeof m, "HTTP %ld", r->status);
        copy_message(err, errlen, m, strlen(m));
        return;
    }
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
    if (msg)
        copy_message(err, errlen, msg, strlen(msg));
    else
        copy_message(err, errlen, r->body, r->body_len);
    json_decref(j);
}

static int do_request(sathd_docker *d, const char *method, const char *path, const char *body,
                      size_t body_len, long timeout_ms, size_t max,
                      int (*on_data)(void *, const void *, size_t), void *arg,
                      sathd_httpc_response *resp)
{
    memset(resp, 0, sizeof *resp); /* freeable even when we fail before sending */
    size_t ulen = strlen("http://localhost") + strlen(d->prefix) + strlen(path) + 1;
    char *url = malloc(ulen);
    if (!url)
        return -ENOMEM;
    snprintf(url, ulen, "http://localhost%s%s", d->prefix, path);
    sathd_httpc_request req = {
        .method = method,
        .url = url,
        .unix_socket = d->socket,
        .body = body,
        .body_len = body_len,
        .content_type = body ? "application/json" : NULL,
        .timeout_ms = timeout_ms > 0 ? timeout_ms : 30000,
        .max_response = max,
        .on_data = on_data,
        .on_data_arg = arg,
    };
    sathd_httpc_err e = sathd_httpc_do(d->http, &req, resp);
    free(url);
    return httpc_rc(e);
}

int sathd_docker_json(sathd_docker *d, const char *method, const char *path, json_t *body,
                      long timeout_ms, json_t **out, char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    char *text = NULL;
    if (body && !(text = json_dumps(body, JSON_COMPACT)))
        return -ENOMEM;
    sathd_httpc_response r;
    int rc = do_request(d, method, path, text, text ? strlen(text) : 0, timeout_ms,
                        16u << 20, NULL, NULL, &r);
    free(text);
    if (rc < 0 && r.status == 0) {
        seterr(err, errlen, "docker engine: %s", strerror(-rc));
        sathd_httpc_response_free(&r);
        return rc;
    }
    int status = (int)r.status;
    if (status >= 400)
        error_message(&r, err, errlen);
    else if (out && r.body && r.body_len > 0)
        *out = json_loadb(r.body, r.body_len, 0, NULL);
    sathd_httpc_response_free(&r);
    return status;
}

/* A stream.  The HTTP client hands every body to the callback whatever the status, and
 * the status is known only at the end; the engine's framed streams start with a stream
 * byte 0..3 and its error answers with '{', so the first byte decides: frames are
 * forwarded, anything else is kept (its start) as the error text. */
typedef struct stream_ctx {
    int (*fn)(void *, const void *, size_t);
    void *arg;
    int mode; /* 0 undecided, 1 forwarding, 2 collecting an error body */
    size_t errlen;
    char errbody[512];
} stream_ctx;

static int stream_data(void *arg, const void *p, size_t n)
{
    stream_ctx *s = arg;
    if (n == 0)
        return 0;
    if (s->mode == 0)
        s->mode = ((const unsigned char *)p)[0] <= 3 ? 1 : 2;
    if (s->mode == 1)
        return s->fn(s->arg, p, n);
    size_t c = sizeof s->errbody - 1 - s->errlen;
    if (c > n)
        c = n;
    memcpy(s->errbody + s->errlen, p, c);
    s->errlen += c;
    s->errbody[s->errlen] = '\0';
    return 0;
}

int sathd_docker_stream(sathd_docker *d, const char *path, long timeout_ms, size_t max_bytes,
                        int (*on_data)(void *arg, const void *p, size_t n), void *arg,
                        char *err, size_t errlen)
{
    stream_ctx s = {.fn = on_data, .arg = arg};
    sathd_httpc_response r;
    int rc = do_request(d, "GET", path, NULL, 0, timeout_ms, max_bytes, stream_data, &s, &r);
    int status = (int)r.status;
    sathd_httpc_response_free(&r);
    if (rc == -ECANCELED) /* on_data stopped it: the caller knows why */
        return rc;
    if (rc < 0) {
        seterr(err, errlen, "docker engine: %s", strerror(-rc));
        return rc;
    }
    if (status >= 400 || s.mode == 2) {
        json_t *j = json_loadb(s.errbody, s.errlen, 0, NULL);
        const char *msg = json_string_value(json_object_get(j, "message"));
        copy_message(err, errlen, msg ? msg : s.errbody, msg ? strlen(msg) : s.errlen);
        json_decref(j);
        if (status < 400)
            return -EPROTO;
    }
    return status;
}

/* "1.41" -> 41 (major must be 1); -1 when unparsable. */
static int api_minor(const char *v)
{
    if (!v || strncmp(v, "1.", 2) != 0)
        return -1;
    char *end;
    long m = strtol(v + 2, &end, 10);
    if (end == v + 2 || (*end != '\0' && *end != '\r' && *end != ' ') || m < 0 || m > 999)
        return -1;
    return (int)m;
}

static int negotiate(sathd_docker *d, char *err, size_t errlen)
{
    /* 1. /_ping, unversioned: alive, and the newest version in Api-Version. */
    sathd_httpc_response r;
    d->prefix[0] = '\0';
    int rc = do_request(d, "GET", "/_ping", NULL, 0, 10000, 4096, NULL, NULL, &r);
    if (rc < 0) {
        sathd_httpc_response_free(&r);
        seterr(err, errlen, "docker engine does not answer at %s", d->socket);
        return rc == -ETIMEDOUT ? rc : -ECONNREFUSED;
    }
    const char *hv = sathd_httpc_header(&r, "Api-Version");
    int ping_minor = r.status == 200 ? api_minor(hv) : -1;
    sathd_httpc_response_free(&r);

    /* 2. /version: ApiVersion / MinAPIVersion and the product name. */
    json_t *v = NULL;
    int st = sathd_docker_json(d, "GET", "/version", NULL, 10000, &v, err, errlen);
    if (st < 0)
        return st;
    if (st != 200 || !json_is_object(v)) {
        json_decref(v);
        seterr(err, errlen, "%s does not answer /version like a Docker engine", d->socket);
        return -EPROTO;
    }
    int max_minor = api_minor(json_string_value(json_object_get(v, "ApiVersion")));
    int min_minor = api_minor(json_string_value(json_object_get(v, "MinAPIVersion")));
    if (max_minor < 0)
        max_minor = ping_minor;
    json_t *comps = json_object_get(v, "Components");
    const char *pname = json_string_value(json_object_get(json_array_get(comps, 0), "Name"));
    const char *pver = json_string_value(json_object_get(v, "Version"));
    snprintf(d->engine, sizeof d->engine, "%s %s", pname ? pname : "Docker Engine",
             pver ? pver : "?");
    d->podman = pname && strstr(pname, "Podman") != NULL;
    json_decref(v);

    int use = max_minor < SATHD_DOCKER_API_MAX_MINOR ? max_minor : SATHD_DOCKER_API_MAX_MINOR;
    if (use < SATHD_DOCKER_API_MIN_MINOR ||
        (min_minor > SATHD_DOCKER_API_MAX_MINOR)) {
        if (err && errlen)
            snprintf(err, errlen,
                     "%s speaks Docker API 1.%d..1.%d; this backend needs 1.%d..1.%d",
                     d->engine, min_minor, max_minor, SATHD_DOCKER_API_MIN_MINOR,
                     SATHD_DOCKER_API_MAX_MINOR);
        return -EPROTO;
    }
    snprintf(d->version, sizeof d->version, "1.%d", use);
    snprintf(d->prefix, sizeof d->prefix, "/v1.%d", use);
    return 0;
}

int sathd_docker_open(const char *host, sathd_docker **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!host || !*host)
        host = "unix:///var/run/docker.sock";
    if (strncmp(host, "unix://", 7) != 0 || host[7] != '/') {
        seterr(err, errlen, "SATH_DOCKER_HOST must be unix:///path/to/docker.sock (got %.64s)",
               host);
        return -EINVAL;
    }
    sathd_docker *d = calloc(1, sizeof *d);
    if (!d || !(d->socket = strdup(host + 7))) {
        free(d);
        return -ENOMEM;
    }
    sathd_httpc_config hc = {.user_agent = "sath-orchestrator"};
    if (sathd_httpc_new(&hc, &d->http) != 0) {
        free(d->socket);
        free(d);
        return -ENOMEM;
    }
    int rc = negotiate(d, err, errlen);
    if (rc < 0) {
        sathd_docker_close(d);
        return rc;
    }
    *out = d;
    return 0;
}

void sathd_docker_close(sathd_docker *d)
{
    if (!d)
        return;
    sathd_httpc_free(d->http);
    free(d->socket);
    free(d);
}

const char *sathd_docker_api_version(const sathd_docker *d)
{
    return d->version;
}

const char *sathd_docker_engine(const sathd_docker *d)
{
    return d->engine;
}

int sathd_docker_is_podman(const sathd_docker *d)
{
    return d->podman;
}

int64_t sathd_docker_engine_nproc(const sathd_docker *d)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(d->socket) >= sizeof sa.sun_path)
        return -2;
    memcpy(sa.sun_path, d->socket, strlen(d->socket) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct ucred cred = {0};
    socklen_t len = sizeof cred;
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
             getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return -2;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/limits", (int)cred.pid);
    FILE *f = fopen(path, "re");
    int64_t v = -2;
    while (f && fgets(line, sizeof line, f)) {
        char soft[32], hard[32];
        /* "Max processes             32768                32768                processes" */
        if (strncmp(line, "Max processes ", 14) == 0 &&
            sscanf(line + 14, "%31s %31s", soft, hard) == 2)
            v = strcmp(hard, "unlimited") == 0 ? -1 : strtoll(hard, NULL, 10);
    }
    if (f)
        fclose(f);
    return v;
}
