/*
 * testsrv.c - see testsrv.h.
 * (_GNU_SOURCE: strcasestr.)
 */
#define _GNU_SOURCE
#include "testsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct conn {
    testsrv *s;
    int fd;
} conn;

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Set by serve for the request being answered: a HEAD answer has no body. */
static _Thread_local int answering_head;

static void reply(int fd, int status, const char *extra, const char *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
                     status, len, extra ? extra : "");
    send_all(fd, head, (size_t)n);
    if (!answering_head)
        send_all(fd, body, len);
}

static void chunk(int fd, const char *p, size_t n)
{
    char h[32];
    int hn = snprintf(h, sizeof h, "%zx\r\n", n);
    send_all(fd, h, (size_t)hn);
    send_all(fd, p, n);
    send_all(fd, "\r\n", 2);
}

/* recv that gives up when the server stops (keep-alive connections idle in here). */
static ssize_t recv_wait(testsrv *s, int fd, char *p, size_t n)
{
    while (!atomic_load(&s->stop)) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, 50) > 0)
            return recv(fd, p, n, 0);
    }
    return -1;
}

/* One request and its answer; -1 when the connection is done. */
static int serve(testsrv *s, int fd)
{
    char buf[16384];
    size_t len = 0;
    char *end = NULL;
    while (!end && len < sizeof buf - 1) {
        ssize_t r = recv_wait(s, fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return -1;
    size_t head_len = (size_t)(end - buf) + 4, clen = 0;
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    if (cl && cl < end)
        clen = strtoul(cl + 17, NULL, 10);
    if (clen > sizeof s->body)
        clen = sizeof s->body;
    while (len < head_len + clen && len < sizeof buf - 1) {
        ssize_t r = recv_wait(s, fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return -1;
        len += (size_t)r;
    }
    pthread_mutex_lock(&s->mu);
    sscanf(buf, "%15s %511s", s->method, s->target);
    snprintf(s->head, sizeof s->head, "%.*s", (int)head_len, buf);
    s->body_len = len - head_len < clen ? len - head_len : clen;
    memcpy(s->body, buf + head_len, s->body_len);
    char target[512], body[8192];
    size_t body_len = s->body_len;
    memcpy(target, s->target, sizeof target);
    memcpy(body, s->body, body_len);
    answering_head = strcmp(s->method, "HEAD") == 0;
    pthread_mutex_unlock(&s->mu);
    atomic_fetch_add(&s->requests, 1);

    long n = 0;
    if ((strncmp(target, "/echo", 5) == 0 && (target[5] == '\0' || target[5] == '?')) ||
        strncmp(target, "/v1.41/", 7) == 0) {
        reply(fd, 200, "Content-Type: text/plain\r\nX-Test: yes\r\n", body, body_len);
    } else if (sscanf(target, "/status/%ld", &n) == 1) {
        reply(fd, (int)n, NULL, "status body", 11);
    } else if (sscanf(target, "/big/%ld", &n) == 1 || sscanf(target, "/chunked/%ld", &n) == 1) {
        char *big = malloc((size_t)n + 1);
        memset(big, 'x', (size_t)n);
        if (target[1] == 'b') {
            reply(fd, 200, NULL, big, (size_t)n);
        } else {
            send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 47);
            for (long off = 0; off < n; off += 100)
                chunk(fd, big + off, (size_t)(n - off < 100 ? n - off : 100));
            send_all(fd, "0\r\n\r\n", 5);
        }
        free(big);
    } else if (sscanf(target, "/slow/%ld", &n) == 1) {
        struct pollfd p = {.fd = -1};
        poll(&p, 0, (int)n);
        reply(fd, 200, NULL, "late", 4);
    } else if (strcmp(target, "/redirect") == 0) {
        reply(fd, 302, "Location: /echo\r\n", "", 0);
    } else if (strcmp(target, "/stream") == 0) {
        send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 47);
        for (int i = 0; i < 5; i++) {
            char c[16];
            int cn = snprintf(c, sizeof c, "chunk%d\n", i);
            chunk(fd, c, (size_t)cn);
            struct pollfd p = {.fd = -1};
            poll(&p, 0, 20);
        }
        send_all(fd, "0\r\n\r\n", 5);
    } else {
        reply(fd, 404, NULL, "no", 2);
    }
    return 0;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    while (serve(c->s, c->fd) == 0)
        ;
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    testsrv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->accepted, 1);
        conn *c = malloc(sizeof *c);
        pthread_mutex_lock(&s->mu);
        int room = s->n_workers < TESTSRV_MAX_CONN;
        if (room && c) {
            c->s = s;
            c->fd = fd;
            if (pthread_create(&s->workers[s->n_workers], NULL, conn_main, c) == 0)
                s->n_workers++, c = NULL, fd = -1;
        }
        pthread_mutex_unlock(&s->mu);
        free(c);
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

static int start(testsrv *s)
{
    pthread_mutex_init(&s->mu, NULL);
    if (listen(s->fd, 64) != 0 || pthread_create(&s->thread, NULL, accept_main, s) != 0) {
        close(s->fd);
        return -1;
    }
    return 0;
}

int testsrv_start_tcp(testsrv *s, const char *ip, int port)
{
    memset(s, 0, sizeof *s);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
            return -1;
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
            return -1;
        sl = sizeof *a;
    }
    s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&ss, sl) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&ss, &sl) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        return -1;
    }
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    return start(s);
}

int testsrv_start_unix(testsrv *s, const char *path)
{
    memset(s, 0, sizeof *s);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return -1;
    strcpy(a.sun_path, path);
    snprintf(s->path, sizeof s->path, "%s", path);
    unlink(path);
    s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        return -1;
    }
    return start(s);
}

void testsrv_stop(testsrv *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (int i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i], NULL);
    if (s->path[0])
        unlink(s->path);
    pthread_mutex_destroy(&s->mu);
}

int testsrv_head_has(testsrv *s, const char *text)
{
    pthread_mutex_lock(&s->mu);
    int has = strstr(s->head, text) != NULL;
    pthread_mutex_unlock(&s->mu);
    return has;
}
