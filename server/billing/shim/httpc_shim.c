/*
 * httpc_shim.c - TEMPORARY: see shim/sathd/httpc.h.  Deleted when server/httpc lands.
 */
#include "sathd/httpc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

struct sathd_httpc {
    size_t max;
};

int sathd_httpc_new(const sathd_httpc_config *cfg, sathd_httpc **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -12;
    (*out)->max = cfg && cfg->default_max_response ? cfg->default_max_response : 1u << 20;
    return 0;
}

void sathd_httpc_free(sathd_httpc *c) { free(c); }

typedef struct buf {
    char *p;
    size_t n, max;
    int big;
} buf;

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
    buf *b = arg;
    size_t n = sz * nm;
    if (b->n + n > b->max) {
        b->big = 1;
        return 0;
    }
    char *q = realloc(b->p, b->n + n + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, p, n);
    b->p = q;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sathd_httpc_err sathd_httpc_do(sathd_httpc *c, const sathd_httpc_request *req,
                               sathd_httpc_response *resp)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = curl_easy_init();
    if (!h)
        return SATHD_HTTPC_EINTERNAL;
    struct curl_slist *hl = NULL;
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        hl = curl_slist_append(hl, req->headers[i]);
    char ct[256];
    if (req->content_type) {
        snprintf(ct, sizeof ct, "Content-Type: %s", req->content_type);
        hl = curl_slist_append(hl, ct);
    }
    hl = curl_slist_append(hl, "Expect:");
    buf b = {.max = req->max_response ? req->max_response : c->max};
    buf hb = {.max = 65536};
    long total = req->timeout_ms ? req->timeout_ms : 30000;
    if (req->deadline_ms) {
        int64_t left = req->deadline_ms - mono_ms();
        if (left <= 0)
            left = 1;
        if (left < total)
            total = (long)left;
    }
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms ? req->connect_timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    sathd_httpc_err e = SATHD_HTTPC_OK;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        char *t = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &t);
        resp->content_type = t ? strdup(t) : NULL;
        resp->body = b.p ? b.p : strdup("");
        resp->body_len = b.n;
        resp->headers = hb.p;
        b.p = NULL;
        hb.p = NULL;
    } else if (b.big) {
        e = SATHD_HTTPC_ETOOBIG;
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        e = SATHD_HTTPC_ETIMEOUT;
    } else if (rc == CURLE_COULDNT_CONNECT) {
        e = SATHD_HTTPC_EREFUSED;
    } else {
        e = SATHD_HTTPC_EUNREACHABLE;
    }
    free(b.p);
    free(hb.p);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return e;
}

const char *sathd_httpc_strerror(sathd_httpc_err e)
{
    static const char *const s[] = {"ok", "unreachable", "connection refused", "timed out",
                                    "response too big", "blocked", "invalid request", "tls",
                                    "internal error"};
    return (unsigned)e < sizeof s / sizeof s[0] ? s[e] : "unknown";
}

void sathd_httpc_response_free(sathd_httpc_response *r)
{
    free(r->body);
    free(r->content_type);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

struct sathd_httpc_form {
    char *p;
    size_t n, cap;
};

sathd_httpc_form *sathd_httpc_form_new(void) { return calloc(1, sizeof(sathd_httpc_form)); }

static int put_raw(sathd_httpc_form *f, char ch)
{
    if (f->n + 2 > f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 256;
        char *q = realloc(f->p, cap);
        if (!q)
            return -1;
        f->p = q;
        f->cap = cap;
    }
    f->p[f->n++] = ch;
    f->p[f->n] = '\0';
    return 0;
}

static int put(sathd_httpc_form *f, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (; *s && rc == 0; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            rc = put_raw(f, (char)ch);
        else
            rc = put_raw(f, '%') || put_raw(f, hex[ch >> 4]) || put_raw(f, hex[ch & 15]);
    }
    return rc;
}

int sathd_httpc_form_add(sathd_httpc_form *f, const char *key, const char *value)
{
    if (f->n && put_raw(f, '&') != 0)
        return -1;
    return put(f, key) || put_raw(f, '=') || put(f, value) ? -1 : 0;
}

const char *sathd_httpc_form_data(const sathd_httpc_form *f, size_t *len)
{
    *len = f->n;
    return f->p ? f->p : "";
}

void sathd_httpc_form_free(sathd_httpc_form *f)
{
    if (!f)
        return;
    if (f->p)
        sodium_memzero(f->p, f->cap);
    free(f->p);
    free(f);
}
