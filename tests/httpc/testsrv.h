/*
 * testsrv.h - a small HTTP/1.1 server for torture_httpc: TCP on a loopback address and
 * port 0, or a unix socket; one thread per connection; records what it received and
 * counts the connections it accepted (the SSRF tests check it saw none).
 *
 * Paths: /echo (answers the request body, header X-Test: yes), /status/N, /big/N
 * (N bytes, Content-Length), /chunked/N (N bytes, chunked), /slow/MS (answers after
 * MS ms), /redirect (302 to /echo), /stream (5 chunks 20 ms apart).  Connections
 * are kept alive (HTTP/1.1), so `accepted` counts connections and `requests` requests.
 */
#ifndef HTTPC_TESTSRV_H
#define HTTPC_TESTSRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define TESTSRV_MAX_CONN 128

typedef struct testsrv {
    int fd, port;
    char path[108]; /* unix socket path, "" for TCP */
    pthread_t thread;
    atomic_int stop, accepted, requests;
    pthread_mutex_t mu;
    pthread_t workers[TESTSRV_MAX_CONN];
    int n_workers;
    /* the last request, under mu */
    char method[16], target[512], head[8192];
    char body[8192];
    size_t body_len;
} testsrv;

/* Listens on `ip`:`port` (0: one the kernel picks; the port in s->port).  0 or -1. */
int testsrv_start_tcp(testsrv *s, const char *ip, int port);
/* Listens on the unix socket `path`.  0 or -1. */
int testsrv_start_unix(testsrv *s, const char *path);
void testsrv_stop(testsrv *s);
/* Whether the last request's head contains `text` (case-sensitive). */
int testsrv_head_has(testsrv *s, const char *text);

#endif
