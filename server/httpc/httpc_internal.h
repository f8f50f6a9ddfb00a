/*
 * httpc_internal.h - what the files of server/httpc share: the client struct, the
 * allow-list, and the SSRF guard's pinned addresses.  Private to the library.
 */
#ifndef SATHD_HTTPC_INTERNAL_H
#define SATHD_HTTPC_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "sathd/httpc.h"

#define HTTPC_POOL_MAX 16   /* idle curl handles kept (each keeps its connections) */
#define HTTPC_PIN_MAX 16    /* addresses a guarded host may resolve to */
#define HTTPC_DEFAULT_MAX_RESPONSE (1024 * 1024)

/* One SATH_OUTBOUND_ALLOW entry: a host name, or an address / network. */
typedef struct httpc_allow {
    int is_name;
    char name[256];         /* lower-case, when is_name */
    int family;             /* AF_INET / AF_INET6, when !is_name */
    unsigned char addr[16]; /* network byte order, 4 or 16 bytes used */
    int prefix;             /* bits that must match */
    int port;               /* 0 = any port */
} httpc_allow;

struct sathd_httpc {
    char *user_agent;
    size_t default_max;
    httpc_allow *allow;
    size_t n_allow;
    pthread_mutex_t mu; /* guards the pool */
    CURL *pool[HTTPC_POOL_MAX];
    size_t n_pool;
};

/* The addresses a guarded request checked and may connect to. */
typedef struct httpc_pin {
    size_t n;
    struct sockaddr_storage addr[HTTPC_PIN_MAX];
    int refused; /* the open-socket callback saw an address outside the list */
} httpc_pin;

/* Parses one allow-list entry.  0 or -1. */
int httpc_allow_parse(const char *text, httpc_allow *out);
/* Resolves `host` (no brackets) once and checks every address against the guard and
 * the allow-list for `port`; fills `pin` with them.  OK, EBLOCKED or EUNREACHABLE. */
sathd_httpc_err httpc_guard_resolve(const sathd_httpc *c, const char *host, int port,
                                    httpc_pin *pin);
/* Splits an http(s) URL into its host (brackets removed, lower-case) and port (the
 * scheme's default when absent).  OK or EINVAL. */
sathd_httpc_err httpc_url_host(CURLU *u, char *host, size_t hostlen, int *port);
/* Sets the options that pin a guarded transfer to `pin` (CURLOPT_RESOLVE list into
 * *resolve, to be freed after the transfer, and the open-socket check).  0 or -1. */
int httpc_guard_pin(CURL *h, const char *host, int port, httpc_pin *pin,
                    struct curl_slist **resolve);
/* Whether an address is of a kind the guard refuses (loopback, private...). */
int httpc_addr_blocked(const struct sockaddr *sa);

#endif
