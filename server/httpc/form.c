/*
 * form.c - application/x-www-form-urlencoded bodies, as Stripe's API takes them:
 * nested keys are plain keys with brackets (metadata[user_id], line_items[0][price]),
 * percent-encoded like any other character outside RFC 3986's unreserved set.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/httpc.h"

struct sathd_httpc_form {
    char *buf;
    size_t len, cap;
    int failed;
};

sathd_httpc_form *sathd_httpc_form_new(void)
{
    return calloc(1, sizeof(sathd_httpc_form));
}

/* Ensures room for `more` bytes and the NUL; grows by copying so the old block can be
 * wiped (forms carry customer data). */
static int reserve(sathd_httpc_form *f, size_t more)
{
    if (f->len + more + 1 <= f->cap)
        return 0;
    size_t cap = f->cap ? f->cap : 256;
    while (cap < f->len + more + 1)
        cap *= 2;
    char *b = malloc(cap);
    if (!b)
        return -1;
    if (f->buf) {
        memcpy(b, f->buf, f->len + 1);
        sodium_memzero(f->buf, f->cap);
        free(f->buf);
    }
    f->buf = b;
    f->cap = cap;
    return 0;
}

static void put_encoded(sathd_httpc_form *f, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            f->buf[f->len++] = (char)ch;
        } else {
            f->buf[f->len++] = '%';
            f->buf[f->len++] = hex[ch >> 4];
            f->buf[f->len++] = hex[ch & 15];
        }
    }
}

int sathd_httpc_form_add(sathd_httpc_form *f, const char *key, const char *value)
{
    if (!f)
        return -1;
    if (f->failed || !key || !*key || !value) {
        f->failed = 1;
        return -1;
    }
    size_t need = 3 * (strlen(key) + strlen(value)) + 2; /* worst case: all encoded, '&' '=' */
    if (reserve(f, need) != 0) {
        f->failed = 1;
        return -1;
    }
    if (f->len)
        f->buf[f->len++] = '&';
    put_encoded(f, key);
    f->buf[f->len++] = '=';
    put_encoded(f, value);
    f->buf[f->len] = '\0';
    return 0;
}

int sathd_httpc_form_addf(sathd_httpc_form *f, const char *key, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *v = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (v)
        vsnprintf(v, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    int rc = -1;
    if (v) {
        rc = sathd_httpc_form_add(f, key, v);
        sodium_memzero(v, (size_t)n);
        free(v);
    } else if (f) {
        f->failed = 1;
    }
    return rc;
}

const char *sathd_httpc_form_data(const sathd_httpc_form *f, size_t *len)
{
    if (!f || f->failed) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = f->len;
    return f->buf ? f->buf : "";
}

void sathd_httpc_form_free(sathd_httpc_form *f)
{
    if (!f)
        return;
    if (f->buf) {
        sodium_memzero(f->buf, f->cap);
        free(f->buf);
    }
    free(f);
}
