/*
 * httpc.c - the client (a pool of curl handles), one request, its response.
 *
 * Invariants: a pooled handle is always curl_easy_reset before it goes back, so no
 * pointer to a finished request's memory (headers, body, callbacks) survives in it;
 * guarded requests never use a pooled handle (their pinned DNS entries and checked
 * connections die with the transfer); every header line we copy is wiped before it is
 * freed, secret or not, because marking is easy to forget.
 */
#include "httpc_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "sathd/log.h"

#define HEADER_BLOCK_MAX (64 * 1024) /* response header bytes kept for sathd_httpc_header */

int64_t sathd_httpc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcurl's global set-up (its TLS library's above all) runs on the first request,
 * not at start-up: it alone kept ~2 MiB of an idle sathd resident (docs/performance.md,
 * idle memory), and most sathd processes send no request for a long time.  Safe from
 * any thread: libcurl >= 7.84 built "threadsafe" (Debian 12 has 7.88) makes
 * curl_global_init thread-safe, and pthread_once runs it once here. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void curl_setup(void) { curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }

/* A new easy handle, libcurl set up first; NULL when that or the handle failed. */
static CURL *new_handle(void)
{
    pthread_once(&curl_once, curl_setup);
    return curl_ready ? curl_easy_init() : NULL;
}

int sathd_httpc_new(const sathd_httpc_config *cfg, sathd_httpc **out)
{
    *out = NULL;
    sathd_httpc *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->user_agent = strdup(cfg && cfg->user_agent ? cfg->user_agent : "sathd");
    c->default_max = cfg && cfg->default_max_response ? cfg->default_max_response
                                                      : HTTPC_DEFAULT_MAX_RESPONSE;
    size_t n = 0;
    while (cfg && cfg->outbound_allow && cfg->outbound_allow[n])
        n++;
    c->allow = calloc(n ? n : 1, sizeof *c->allow);
    if (!c->user_agent || !c->allow || pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c->user_agent);
        free(c->allow);
        free(c);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (httpc_allow_parse(cfg->outbound_allow[i], &c->allow[i]) != 0) {
            sathd_httpc_free(c);
            return -EINVAL;
        }
        c->n_allow++;
    }
    *out = c;
    return 0;
}

void sathd_httpc_free(sathd_httpc *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_pool; i++)
        curl_easy_cleanup(c->pool[i]);
    pthread_mutex_destroy(&c->mu);
    free(c->user_agent);
    free(c->allow);
    free(c);
}

static CURL *pool_take(sathd_httpc *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->n_pool)
        h = c->pool[--c->n_pool];
    pthread_mutex_unlock(&c->mu);
    return h ? h : new_handle();
}

static void pool_give(sathd_httpc *c, CURL *h)
{
    curl_easy_reset(h);
    pthread_mutex_lock(&c->mu);
    if (c->n_pool < HTTPC_POOL_MAX) {
        c->pool[c->n_pool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (h)
        curl_easy_cleanup(h);
}

const char *sathd_httpc_strerror(sathd_httpc_err err)
{
    switch (err) {
    case SATHD_HTTPC_OK: return "ok";
    case SATHD_HTTPC_EUNREACHABLE: return "host unreachable";
    case SATHD_HTTPC_EREFUSED: return "connection refused";
    case SATHD_HTTPC_ETIMEOUT: return "timeout (no answer in time)";
    case SATHD_HTTPC_ETOOBIG: return "answer too large";
    case SATHD_HTTPC_EBLOCKED: return "destination not allowed (private, local or reserved address)";
    case SATHD_HTTPC_EINVAL: return "invalid request";
    case SATHD_HTTPC_ETLS: return "TLS handshake or certificate check failed";
    case SATHD_HTTPC_EINTERNAL: return "internal error";
    case SATHD_HTTPC_EABORTED: return "aborted by the receiver";
    }
    return "unknown error";
}

/* The state of one transfer, shared with curl's callbacks. */
typedef struct xfer {
    const sathd_httpc_request *req;
    sathd_httpc_response *resp;
    size_t max, total, cap;
    int too_big, aborted, oom;
    char *hdr;           /* "name\0value\0" pairs of the latest answer */
    size_t hdr_len, hdr_cap;
} xfer;

/* Grows *buf to hold `need` bytes by copying, so the old block can be wiped (it may
 * hold a credential a provider echoed). */
static int grow(char **buf, size_t *cap, size_t used, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 1024;
    while (ncap < need)
        ncap *= 2;
    char *b = malloc(ncap);
    if (!b)
        return -1;
    if (*buf) {
        memcpy(b, *buf, used);
        sodium_memzero(*buf, *cap);
        free(*buf);
    }
    *buf = b;
    *cap = ncap;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb;
    if (x->total + n > x->max) {
        x->too_big = 1;
        return 0;
    }
    x->total += n;
    if (x->req->on_data) {
        if (x->req->on_data(x->req->on_data_arg, data, n) != 0) {
            x->aborted = 1;
            return 0;
        }
        return n;
    }
    sathd_httpc_response *r = x->resp;
    if (grow(&r->body, &x->cap, r->body_len, r->body_len + n + 1) != 0) {
        x->oom = 1;
        return 0;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

/* Keeps the header lines of the latest answer (an interim 1xx is replaced). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    xfer *x = arg;
    size_t n = size * nmemb, len = n;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        x->hdr_len = 0;
        return n;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    const char *colon = memchr(data, ':', len);
    if (!colon || colon == data || x->hdr_len + len + 2 > HEADER_BLOCK_MAX)
        return n;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    if (grow(&x->hdr, &x->hdr_cap, x->hdr_len, x->hdr_len + nlen + vlen + 2) != 0)
        return n; /* headers are best effort; the body is what matters */
    memcpy(x->hdr + x->hdr_len, data, nlen);
    x->hdr[x->hdr_len + nlen] = '\0';
    memcpy(x->hdr + x->hdr_len + nlen + 1, v, vlen);
    x->hdr[x->hdr_len + nlen + 1 + vlen] = '\0';
    x->hdr_len += nlen + vlen + 2;
    return n;
}

const char *sathd_httpc_header(const sathd_httpc_response *resp, const char *name)
{
    const char *p = resp ? resp->raw_headers_ : NULL;
    const char *end = p ? p + resp->raw_headers_len_ : NULL;
    while (p && p < end) {
        const char *v = p + strlen(p) + 1;
        if (strcasecmp(p, name) == 0)
            return v;
        p = v + strlen(v) + 1;
    }
    return NULL;
}

void sathd_httpc_response_free(sathd_httpc_response *resp)
{
    if (!resp)
        return;
    if (resp->body)
        sodium_memzero(resp->body, resp->body_len);
    if (resp->raw_headers_)
        sodium_memzero(resp->raw_headers_, resp->raw_headers_len_);
    free(resp->body);
    free(resp->content_type);
    free(resp->raw_headers_);
    memset(resp, 0, sizeof *resp);
}

static void slist_wipe_free(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        sodium_memzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* Whether a header line is one line of printable text with a name (no CR/LF smuggling
 * a second header or a request into the stream). */
static int header_ok(const char *line)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return 0;
    for (const char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return 0;
    return 1;
}

/* The request's header lines (and Content-Type) as a curl list: 0, -1 when out of
 * memory, -2 for a malformed line.  "Expect:" turns off curl's 100-continue round trip
 * for larger bodies. */
static int build_headers(const sathd_httpc_request *req, struct curl_slist **out)
{
    struct curl_slist *l = NULL, *n;
    int rc = -1;
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        if (!header_ok(req->headers[i])) {
            rc = -2;
            goto fail;
        }
        if (!(n = curl_slist_append(l, req->headers[i])))
            goto fail;
        l = n;
    }
    if (req->content_type && strpbrk(req->content_type, "\r\n")) {
        rc = -2;
        goto fail;
    }
    if (req->content_type) {
        char line[256];
        snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
        if (!(n = curl_slist_append(l, line)))
            goto fail;
        l = n;
    }
    if (!(n = curl_slist_append(l, "Expect:")))
        goto fail;
    *out = n;
    return 0;
fail:
    slist_wipe_free(l);
    return rc;
}

/* Method and body options; EINVAL for a method we do not speak. */
static sathd_httpc_err set_method(CURL *h, const sathd_httpc_request *req)
{
    const char *m = req->method ? req->method : "GET";
    int has_body = req->body != NULL;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0) {
        if (has_body)
            return SATHD_HTTPC_EINVAL;
        curl_easy_setopt(h, m[0] == 'H' ? CURLOPT_NOBODY : CURLOPT_HTTPGET, 1L);
        return SATHD_HTTPC_OK;
    }
    if (strcmp(m, "POST") != 0 && strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0 &&
        strcmp(m, "PATCH") != 0)
        return SATHD_HTTPC_EINVAL;
    if (has_body || strcmp(m, "DELETE") != 0) { /* POST/PUT/PATCH send Content-Length: 0 at least */
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? req->body_len : 0));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, has_body ? req->body : "");
    }
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
    return SATHD_HTTPC_OK;
}

static int is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return 1;
    default:
        return 0;
    }
}

/* The category of a failed transfer. */
static sathd_httpc_err map_error(CURL *h, CURLcode rc, const xfer *x, const httpc_pin *pin)
{
    if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return SATHD_HTTPC_ETOOBIG;
    if (x->aborted)
        return SATHD_HTTPC_EABORTED;
    if (x->oom || rc == CURLE_OUT_OF_MEMORY)
        return SATHD_HTTPC_EINTERNAL;
    if (pin && pin->refused)
        return SATHD_HTTPC_EBLOCKED;
    if (is_tls_error(rc))
        return SATHD_HTTPC_ETLS;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return SATHD_HTTPC_ETIMEOUT;
    case CURLE_COULDNT_CONNECT: {
        long os = 0;
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
        return os == ECONNREFUSED || os == ENOENT ? SATHD_HTTPC_EREFUSED : SATHD_HTTPC_EUNREACHABLE;
    }
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
        return SATHD_HTTPC_EINVAL;
    default: /* no such host, connection reset, nothing or garbage answered */
        return SATHD_HTTPC_EUNREACHABLE;
    }
}

/* The two timeouts, cut to the deadline; -1 when the deadline has passed. */
static int timeouts(const sathd_httpc_request *req, long *connect_ms, long *total_ms)
{
    long total = req->timeout_ms > 0 ? req->timeout_ms : 30000;
    if (req->deadline_ms) {
        int64_t left = req->deadline_ms - sathd_httpc_now_ms();
        if (left <= 0)
            return -1;
        if (left < total)
            total = (long)left;
    }
    long conn = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000;
    *connect_ms = conn < total ? conn : total;
    *total_ms = total;
    return 0;
}

/* The transfer proper, on a handle the caller owns; fills resp/x. */
static sathd_httpc_err perform(sathd_httpc *c, CURL *h, CURLU *u, const sathd_httpc_request *req,
                               xfer *x, httpc_pin *pin, const char *host, int port)
{
    long connect_ms, total_ms;
    if (timeouts(req, &connect_ms, &total_ms) != 0)
        return SATHD_HTTPC_ETIMEOUT;
    struct curl_slist *headers = NULL, *resolve = NULL;
    int hrc = build_headers(req, &headers);
    if (hrc != 0)
        return hrc == -2 ? SATHD_HTTPC_EINVAL : SATHD_HTTPC_EINTERNAL;
    sathd_httpc_err err = set_method(h, req);
    if (err == SATHD_HTTPC_OK && pin && httpc_guard_pin(h, host, port, pin, &resolve) != 0)
        err = SATHD_HTTPC_EINTERNAL;
    if (err == SATHD_HTTPC_OK) {
        curl_easy_setopt(h, CURLOPT_CURLU, u);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
        if (x->max <= (size_t)INT64_MAX && !(req->method && strcmp(req->method, "HEAD") == 0))
            curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max); /* early no */
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
        if (req->flags & SATHD_HTTPC_FRESH) {
            curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
            curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        }
        if (req->unix_socket) {
            curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
            curl_easy_setopt(h, CURLOPT_PROXY, "");
        }
        CURLcode rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->resp->status);
        if (rc != CURLE_OK)
            err = map_error(h, rc, x, pin);
    }
    slist_wipe_free(headers);
    curl_slist_free_all(resolve);
    return err;
}

/* Moves the header block and Content-Type into the response. */
static sathd_httpc_err finish(xfer *x)
{
    sathd_httpc_response *r = x->resp;
    r->raw_headers_ = x->hdr;
    r->raw_headers_len_ = x->hdr_len;
    x->hdr = NULL;
    const char *ct = sathd_httpc_header(r, "Content-Type");
    if (ct && !(r->content_type = strdup(ct)))
        return SATHD_HTTPC_EINTERNAL;
    if (!x->req->on_data && !r->body && !(r->body = calloc(1, 1)))
        return SATHD_HTTPC_EINTERNAL;
    return SATHD_HTTPC_OK;
}

sathd_httpc_err sathd_httpc_do(sathd_httpc *c, const sathd_httpc_request *req,
                               sathd_httpc_response *resp)
{
    memset(resp, 0, sizeof *resp);
    if (!c || !req || !req->url)
        return SATHD_HTTPC_EINVAL;
    int64_t t0 = sathd_httpc_now_ms();
    int guarded = (req->flags & SATHD_HTTPC_GUARD_SSRF) != 0;
    xfer x = {.req = req, .resp = resp, .max = req->max_response ? req->max_response : c->default_max};
    httpc_pin pin;
    char host[256] = "?";
    int port = 0;
    CURL *h = NULL;
    CURLU *u = curl_url();
    sathd_httpc_err err = u ? SATHD_HTTPC_OK : SATHD_HTTPC_EINTERNAL;
    if (err == SATHD_HTTPC_OK && curl_url_set(u, CURLUPART_URL, req->url, 0) != CURLUE_OK)
        err = SATHD_HTTPC_EINVAL;
    if (err == SATHD_HTTPC_OK)
        err = httpc_url_host(u, host, sizeof host, &port);
    if (err == SATHD_HTTPC_OK && guarded && req->unix_socket)
        err = SATHD_HTTPC_EINVAL; /* a socket path is a local destination by definition */
    if (err == SATHD_HTTPC_OK && guarded)
        err = httpc_guard_resolve(c, host, port, &pin);
    if (err == SATHD_HTTPC_OK && !(h = guarded ? new_handle() : pool_take(c)))
        err = SATHD_HTTPC_EINTERNAL;
    if (err == SATHD_HTTPC_OK)
        err = perform(c, h, u, req, &x, guarded ? &pin : NULL, host, port);
    if (err == SATHD_HTTPC_OK)
        err = finish(&x);
    if (h && guarded)
        curl_easy_cleanup(h);
    else if (h)
        pool_give(c, h);
    curl_url_cleanup(u);
    if (x.hdr) {
        sodium_memzero(x.hdr, x.hdr_cap);
        free(x.hdr);
    }
    resp->elapsed_ms = sathd_httpc_now_ms() - t0;
    /* Never the URL's path or query (signatures, ids), headers or body. */
    sathd_log(SATHD_LOG_DEBUG, "msg=\"outbound http\" method=%s host=%s%s status=%ld bytes=%zu ms=%lld result=\"%s\"",
              req->method ? req->method : "GET", req->unix_socket ? "unix:" : "", host,
              resp->status, x.total, (long long)resp->elapsed_ms, sathd_httpc_strerror(err));
    if (err != SATHD_HTTPC_OK) {
        long status = resp->status;
        int64_t elapsed = resp->elapsed_ms;
        sathd_httpc_response_free(resp);
        resp->status = err == SATHD_HTTPC_ETOOBIG || err == SATHD_HTTPC_EABORTED ? status : 0;
        resp->elapsed_ms = elapsed;
    }
    return err;
}
