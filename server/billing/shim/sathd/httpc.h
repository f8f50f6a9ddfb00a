/*
 * httpc.h - TEMPORARY stand-in for the shared outbound HTTP client (server/httpc, issue 7
 * item 4, branch `httpc`), implementing only what billing uses, with the provisional
 * API of /work/wt/HTTPC_API.md.  Deleted when the real library lands on main.
 */
#ifndef SATHD_HTTPC_SHIM_H
#define SATHD_HTTPC_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct sathd_httpc sathd_httpc;

typedef struct sathd_httpc_config {
    const char *user_agent;
    const char *const *outbound_allow;
    size_t default_max_response;
} sathd_httpc_config;

int sathd_httpc_new(const sathd_httpc_config *cfg, sathd_httpc **out);
void sathd_httpc_free(sathd_httpc *c);

enum { SATHD_HTTPC_GUARD_SSRF = 1u << 0, SATHD_HTTPC_NO_REDIRECTS = 1u << 1 };

typedef struct sathd_httpc_request {
    const char *method;
    const char *url;
    const char *unix_socket;
    const char *const *headers;
    unsigned secret_headers;
    const void *body;
    size_t body_len;
    const char *content_type;
    int64_t deadline_ms;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
    unsigned flags;
    int (*on_data)(void *arg, const void *p, size_t n);
    void *on_data_arg;
} sathd_httpc_request;

typedef struct sathd_httpc_response {
    long status;
    char *body;
    size_t body_len;
    char *content_type;
    char *headers; /* shim: raw header block */
} sathd_httpc_response;

typedef enum {
    SATHD_HTTPC_OK = 0, SATHD_HTTPC_EUNREACHABLE, SATHD_HTTPC_EREFUSED, SATHD_HTTPC_ETIMEOUT,
    SATHD_HTTPC_ETOOBIG, SATHD_HTTPC_EBLOCKED, SATHD_HTTPC_EINVAL, SATHD_HTTPC_ETLS,
    SATHD_HTTPC_EINTERNAL
} sathd_httpc_err;

sathd_httpc_err sathd_httpc_do(sathd_httpc *c, const sathd_httpc_request *req,
                               sathd_httpc_response *resp);
const char *sathd_httpc_strerror(sathd_httpc_err e);
void sathd_httpc_response_free(sathd_httpc_response *r);

typedef struct sathd_httpc_form sathd_httpc_form;
sathd_httpc_form *sathd_httpc_form_new(void);
int sathd_httpc_form_add(sathd_httpc_form *f, const char *key, const char *value);
const char *sathd_httpc_form_data(const sathd_httpc_form *f, size_t *len);
void sathd_httpc_form_free(sathd_httpc_form *f);

#endif
