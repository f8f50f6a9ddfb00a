/*
 * options.c - sath_client_options, sath_call_opts and the metadata lists they carry.
 */
#include <stdint.h>
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
    (*out)->read_attempts = 1;
    return SATH_OK;
}

void sath_client_options_free(sath_client_options *opts)
{
    if (!opts)
        return;
    free(opts->root_ca_file);
    free(opts->cert_file);
    free(opts->key_file);
    free(opts->server_name);
    sath__md_list_clear(&opts->md);
    free(opts);
}

/* Replaces *slot with a copy of `value` (NULL clears it). */
static int set_string(char **slot, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return SATH_ENOMEM;
    free(*slot);
    *slot = copy;
    return SATH_OK;
}

int sath_client_options_set_client_cert_files(sath_client_options *opts, const char *cert_file,
                                              const char *key_file)
{
    if (!opts || !cert_file != !key_file)
        return SATH_EINVAL;
    char *cert = NULL;
    int rc = set_string(&cert, cert_file);
    if (rc == SATH_OK && (rc = set_string(&opts->key_file, key_file)) == SATH_OK) {
        free(opts->cert_file);
        opts->cert_file = cert;
        if (cert)
            opts->tls = 1;
        return SATH_OK;
    }
    free(cert);
    return rc;
}

int sath_client_options_set_server_name(sath_client_options *opts, const char *name)
{
    if (!opts || (name && !*name))
        return SATH_EINVAL;
    return set_string(&opts->server_name, name);
}

int sath_client_options_set_connect_timeout_ms(sath_client_options *opts, int64_t ms)
{
    if (!opts || ms < 0 || ms > INT32_MAX)
        return SATH_EINVAL;
    opts->connect_timeout_ms = ms;
    return SATH_OK;
}

int sath_client_options_set_keepalive(sath_client_options *opts, int64_t time_ms, int64_t timeout_ms)
{
    if (!opts || time_ms < 0 || timeout_ms < 0 || time_ms > INT32_MAX || timeout_ms > INT32_MAX)
        return SATH_EINVAL;
    opts->keepalive_time_ms = time_ms;
    opts->keepalive_timeout_ms = timeout_ms;
    return SATH_OK;
}

int sath_client_options_set_wait_for_ready(sath_client_options *opts, int enable)
{
    if (!opts)
        return SATH_EINVAL;
    opts->wait_for_ready = enable != 0;
    return SATH_OK;
}

int sath_client_options_set_read_retries(sath_client_options *opts, int max_attempts)
{
    /* gRPC caps a retry policy at 5 attempts; saying more would be a silent lie. */
    if (!opts || max_attempts < 1 || max_attempts > 5)
        return SATH_EINVAL;
    opts->read_attempts = max_attempts;
    return SATH_OK;
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
    int rc = set_string(&opts->root_ca_file, path);
    if (rc == SATH_OK && path)
        opts->tls = 1;
    return rc;
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
    sath__secret_free(opts->authorization);
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

int sath_call_opts_set_authorization(sath_call_opts *opts, const char *value)
{
    if (!opts || (value && (!*value || !sath__md_legal("authorization", value))))
        return SATH_EINVAL;
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return SATH_ENOMEM;
    sath__secret_free(opts->authorization);
    opts->authorization = copy;
    return SATH_OK;
}
