/*
 * options.c - sath_client_options, sath_call_opts and the metadata lists they carry.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sath/error.h"

#define SATH__DEFAULT_TIMEOUT_MS 30000

int sath__md_check(const char *key, const char *value)
{
    if (!key || !value || !*key)
        return SATH_EINVAL;
    /* The library owns authorization and gRPC owns grpc-*; binary (-bin) values are not
     * offered because values are C strings. */
    size_t n = strlen(key);
    if (strcmp(key, "authorization") == 0 || strncmp(key, "grpc-", 5) == 0 ||
        (n > 4 && strcmp(key + n - 4, "-bin") == 0))
        return SATH_EINVAL;
    for (const char *p = key; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            return SATH_EINVAL;
    return sath__md_legal(key, value) ? SATH_OK : SATH_EINVAL;
}

int sath__md_list_add(sath__md_list *l, const char *key, const char *value)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        sath__md *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown)
            return SATH_ENOMEM;
        l->items = grown;
        l->cap = cap;
    }
    char *k = strdup(key);
    char *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return SATH_ENOMEM;
    }
    l->items[l->n].key = k;
    l->items[l->n].value = v;
    l->n++;
    return SATH_OK;
}

int sath__md_list_copy(sath__md_list *dst, const sath__md_list *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = sath__md_list_add(dst, src->items[i].key, src->items[i].value);
        if (rc != SATH_OK)
            return rc;
    }
    return SATH_OK;
}

void sath__md_list_clear(sath__md_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- client options ---- */

int sath_client_options_new(sath_client_options **out)
{
    if (!out)
        return SATH_EINVAL;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return SATH_ENOMEM;
    (*out)->timeout_ms = SATH__DEFAULT_TIMEOUT_MS;
    return SATH_OK;
}

void sath_client_options_free(sath_client_options *opts)
{
    if (!opts)
        return;
    free(opts->root_ca_file);
    sath__md_list_clear(&opts->md);
    free(opts);
}

int sath_client_options_set_tls(sath_client_options *opts, int enable)
{
    if (!opts)
        return SATH_EINVAL;
    opts->tls = enable != 0;
    return SATH_OK;
}

int sath_client_options_set_root_ca_file(sath_client_options *opts, const char *path)
{
    if (!opts)
        return SATH_EINVAL;
    char *copy = NULL;
    if (path && !(copy = strdup(path)))
        return SATH_ENOMEM;
    free(opts->root_ca_file);
    opts->root_ca_file = copy;
    if (copy)
        opts->tls = 1;
    return SATH_OK;
}

int sath_client_options_set_timeout_ms(sath_client_options *opts, int64_t ms)
{
    if (!opts || ms < 0)
        return SATH_EINVAL;
    opts->timeout_ms = ms;
    return SATH_OK;
}

int sath_client_options_add_metadata(sath_client_options *opts, const char *key, const char *value)
{
    if (!opts)
        return SATH_EINVAL;
    int rc = sath__md_check(key, value);
    return rc == SATH_OK ? sath__md_list_add(&opts->md, key, value) : rc;
}

/* ---- call options ---- */

int sath_call_opts_new(sath_call_opts **out)
{
    if (!out)
        return SATH_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? SATH_OK : SATH_ENOMEM;
}

void sath_call_opts_free(sath_call_opts *opts)
{
    if (!opts)
        return;
    sath__md_list_clear(&opts->md);
    sath__md_list_clear(&opts->resp_md);
    free(opts->status_message);
    free(opts);
}

int sath_call_opts_set_timeout_ms(sath_call_opts *opts, int64_t ms)
{
    if (!opts || ms < 0)
        return SATH_EINVAL;
    opts->timeout_ms = ms;
    return SATH_OK;
}

int sath_call_opts_add_metadata(sath_call_opts *opts, const char *key, const char *value)
{
    if (!opts)
        return SATH_EINVAL;
    int rc = sath__md_check(key, value);
    return rc == SATH_OK ? sath__md_list_add(&opts->md, key, value) : rc;
}

int sath_call_opts_status(const sath_call_opts *opts)
{
    return opts ? opts->status : SATH_EINVAL;
}

const char *sath_call_opts_status_message(const sath_call_opts *opts)
{
    return opts && opts->status_message ? opts->status_message : "";
}

const char *sath_call_opts_response_metadata(const sath_call_opts *opts, const char *key)
{
    if (!opts || !key)
        return NULL;
    for (size_t i = 0; i < opts->resp_md.n; i++)
        if (strcmp(opts->resp_md.items[i].key, key) == 0)
            return opts->resp_md.items[i].value;
    return NULL;
}
