/*
 * httpc.h - sathd's one outbound HTTP client (libcurl): providers' key tests, the
 * Docker / podman API over a unix socket, Stripe, InfluxDB.
 *
 * What every request gets, whoever makes it:
 *   - http and https only; redirects are never followed (a 3xx is returned as is);
 *   - a connect and a total timeout, both cut to the caller's deadline (a request whose
 *     deadline has passed is not sent: SATHD_HTTPC_ETIMEOUT);
 *   - a response size cap (SATHD_HTTPC_ETOOBIG past it), or a streaming callback;
 *   - header lines (secret or not) are copied only into buffers this library wipes
 *     after the transfer (curl's own request buffer is outside our reach), and no header
 *     or body is ever logged (the debug line per request names method, host, status,
 *     size and time);
 *   - errors come back as a short category (sathd_httpc_err), never the remote text:
 *     an HTTP answer of any status is not an error, the caller reads resp->status.
 *
 * With SATHD_HTTPC_GUARD_SSRF (requests to user-supplied URLs) the host is resolved
 * once, every address is checked (loopback, private, link-local, CGNAT, multicast,
 * unspecified, reserved and their IPv6 forms, v4-mapped included, are refused unless
 * the operator's allow-list names them), and the connection is pinned to the checked
 * addresses (CURLOPT_RESOLVE, and an open-socket callback that refuses any other), so
 * a DNS answer that changes between check and connect cannot move it.  Guarded
 * requests use no proxy, no unix socket, and a fresh connection.
 *
 * libcurl is set up by this library on the first request (curl_global_init under
 * pthread_once; thread-safe with libcurl >= 7.84 built "threadsafe", as Debian 12's is),
 * so a process that sends nothing keeps libcurl's TLS library untouched.  A program may
 * still call curl_global_init itself first: libcurl counts the calls.
 *
 * Thread safety: one sathd_httpc is shared by all threads; each sathd_httpc_do borrows
 * a curl handle from the client's pool (keeping connections alive between calls), so
 * calls may run concurrently.  Requests, responses and forms belong to one thread.
 */
#ifndef SATHD_HTTPC_H
#define SATHD_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sathd_httpc sathd_httpc;

typedef struct sathd_httpc_config {
    const char *user_agent;            /* "sathd" when NULL; copied */
    /* NULL-terminated list of what may bypass the SSRF guard (SATH_OUTBOUND_ALLOW):
     * "host", "host:port", "1.2.3.4", "1.2.3.4:port", "[v6]", "[v6]:port", "10.0.0.0/8",
     * "fd00::/8".  A name matches the URL's host; an address or CIDR matches every
     * address the host resolves to.  Copied (parsed) by sathd_httpc_new. */
    const char *const *outbound_allow;
    size_t default_max_response;       /* 0 = 1 MiB */
} sathd_httpc_config;

/* Creates a client.  0 with *out set (free with sathd_httpc_free), -EINVAL when an
 * allow-list entry cannot be parsed, -ENOMEM. */
int sathd_httpc_new(const sathd_httpc_config *cfg, sathd_httpc **out);
/* Frees the client and its pooled connections.  No call may be running.  NULL is fine. */
void sathd_httpc_free(sathd_httpc *c);

/* Parses SATH_OUTBOUND_ALLOW's text ("a, b,c": commas and/or blanks) into a
 * NULL-terminated array for sathd_httpc_config.outbound_allow.  NULL or "" gives an
 * empty list.  Returns NULL when out of memory; free with sathd_httpc_list_free. */
char **sathd_httpc_list_split(const char *text);
void sathd_httpc_list_free(char **list);

enum {
    SATHD_HTTPC_GUARD_SSRF = 1u << 0,   /* see the top of this file */
    SATHD_HTTPC_NO_REDIRECTS = 1u << 1, /* accepted for clarity: redirects are never followed */
    SATHD_HTTPC_FRESH = 1u << 2,        /* a new connection, closed afterwards: for requests
                                           carrying one user's credentials (key tests), so
                                           no connection state is shared between users */
};

typedef struct sathd_httpc_request {
    const char *method;                /* "GET", "POST", "PUT", "DELETE", "HEAD"; NULL = GET */
    const char *url;                   /* absolute; with unix_socket e.g. "http://localhost/v1.41/info" */
    const char *unix_socket;           /* NULL, or the path of a unix socket to connect to */
    const char *const *headers;        /* NULL-terminated "Name: value" lines, or NULL; a
                                          line with CR, LF or another control character
                                          (tab aside) is refused: SATHD_HTTPC_EINVAL */
    unsigned secret_headers;           /* bit i set: headers[i] is a secret (i < 32).  Today
                                          every copied line is wiped and none is logged
                                          whatever the mark; it stays the contract for any
                                          future header dump (which must redact these). */
    const void *body;                  /* request body, or NULL */
    size_t body_len;
    const char *content_type;          /* Content-Type of the body, e.g. "application/json" */
    int64_t deadline_ms;               /* absolute CLOCK_MONOTONIC ms (sathd_httpc_now_ms), 0 = none */
    long connect_timeout_ms;           /* 0 = 5000 */
    long timeout_ms;                   /* whole transfer; 0 = 30000 */
    size_t max_response;               /* 0 = the client's default; SIZE_MAX = no cap (streams) */
    unsigned flags;                    /* SATHD_HTTPC_* */
    /* Streaming: when set, body bytes are handed here as they arrive instead of being
     * collected (max_response still bounds the total).  Return non-zero to stop the
     * transfer (sathd_httpc_do then returns SATHD_HTTPC_EABORTED). */
    int (*on_data)(void *arg, const void *p, size_t n);
    void *on_data_arg;
} sathd_httpc_request;

typedef struct sathd_httpc_response {
    long status;                       /* HTTP status, 0 when no answer arrived */
    char *body;                        /* NUL-terminated (also when empty); NULL when streamed */
    size_t body_len;
    char *content_type;                /* NULL when the answer had none */
    int64_t elapsed_ms;                /* time the request took */
    /* private: the final answer's header block, read with sathd_httpc_header */
    char *raw_headers_;
    size_t raw_headers_len_;
} sathd_httpc_response;

typedef enum sathd_httpc_err {
    SATHD_HTTPC_OK = 0,
    SATHD_HTTPC_EUNREACHABLE, /* no such host, network unreachable, connection dropped */
    SATHD_HTTPC_EREFUSED,     /* the host refused the connection */
    SATHD_HTTPC_ETIMEOUT,     /* connect or total timeout, or the deadline passed */
    SATHD_HTTPC_ETOOBIG,      /* the answer is larger than max_response */
    SATHD_HTTPC_EBLOCKED,     /* the SSRF guard refused the destination */
    SATHD_HTTPC_EINVAL,       /* bad request: URL, scheme, method, options */
    SATHD_HTTPC_ETLS,         /* TLS handshake or certificate verification failed */
    SATHD_HTTPC_EINTERNAL,    /* out of memory, curl failure */
    SATHD_HTTPC_EABORTED,     /* the on_data callback asked to stop */
} sathd_httpc_err;

/*
 * Performs one request.  `resp` is always initialised (also on error) and must be
 * released with sathd_httpc_response_free.  The body is wiped when freed (providers
 * may echo credentials).  The request's strings are only read during the call.
 */
sathd_httpc_err sathd_httpc_do(sathd_httpc *c, const sathd_httpc_request *req,
                               sathd_httpc_response *resp);
/* Short lower-case text of an error category ("timeout", "connection refused"...). */
const char *sathd_httpc_strerror(sathd_httpc_err err);
/* The value of the final answer's header `name` (case-insensitive; the first one when
 * repeated), pointing into the response; NULL when absent. */
const char *sathd_httpc_header(const sathd_httpc_response *resp, const char *name);
/* Wipes and frees what the response owns; the struct itself is the caller's. */
void sathd_httpc_response_free(sathd_httpc_response *resp);

/* Without connecting: whether `url` would pass the SSRF guard of `c` (resolving its
 * host once).  SATHD_HTTPC_OK, EBLOCKED, EINVAL (not an http(s) URL), EUNREACHABLE
 * (the name does not resolve). */
sathd_httpc_err sathd_httpc_guard_check(const sathd_httpc *c, const char *url);

/* CLOCK_MONOTONIC in milliseconds (the clock of deadline_ms). */
int64_t sathd_httpc_now_ms(void);

/*
 * Copies at most `max` bytes of a provider's text into out[outlen] so it can be logged:
 * every occurrence of each non-empty string of `secrets` (NULL-terminated, may be NULL)
 * becomes "[redacted]", control and non-ASCII bytes become '?'.  Scrubbing runs over
 * the whole text before it is cut, so a secret straddling the cut is not half-shown.
 * Returns `out`.
 */
char *sathd_httpc_scrub(const char *text, size_t len, const char *const *secrets, size_t max,
                        char *out, size_t outlen);

/* application/x-www-form-urlencoded bodies with Stripe-style nested keys
 * (line_items[0][price]=price_1&metadata[user]=u1): keys and values are
 * percent-encoded (RFC 3986 unreserved kept, brackets encoded as Stripe accepts). */
typedef struct sathd_httpc_form sathd_httpc_form;
/* NULL when out of memory. */
sathd_httpc_form *sathd_httpc_form_new(void);
/* Appends key=value.  0, or -1 when out of memory or an argument is NULL (the form then
 * refuses every later addition and sathd_httpc_form_data returns NULL). */
int sathd_httpc_form_add(sathd_httpc_form *f, const char *key, const char *value);
int sathd_httpc_form_addf(sathd_httpc_form *f, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The encoded body (NUL-terminated, owned by the form) and its length; NULL after a
 * failed addition. */
const char *sathd_httpc_form_data(const sathd_httpc_form *f, size_t *len);
/* Wipes the buffer (forms carry customer data) and frees the form.  NULL is fine. */
void sathd_httpc_form_free(sathd_httpc_form *f);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_HTTPC_H */
