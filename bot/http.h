/*
 * http.h - sath-bot's outbound HTTP (libcurl): one request, a body collected up to a cap,
 * a timeout, no redirects.  The exchange client and the public-data feed build on it.
 * (sathd's server/httpc is a server library; the bot is a separate program on the SDK.)
 */
#ifndef SATHBOT_HTTP_H
#define SATHBOT_HTTP_H

#include <stddef.h>

typedef struct bot_http_resp {
    long status;  /* 0 when no response arrived */
    char *body;   /* NUL-terminated, malloc'd (free with bot_http_resp_free) */
    size_t len;
    int timed_out; /* the request hit its timeout (the server may still have acted on it) */
} bot_http_resp;

/* Performs `method` on `url` with the NULL-terminated "Name: value" `headers` (may be
 * NULL) and `body` (may be NULL, sent form-encoded).  Returns 0 when an HTTP response
 * arrived (any status), -1 otherwise with a reason in err.  Responses above 4 MiB fail. */
int bot_http_do(const char *method, const char *url, const char *const *headers,
                const char *body, long timeout_ms, bot_http_resp *out, char *err, size_t errlen);

void bot_http_resp_free(bot_http_resp *r);

/* Sleeps ms milliseconds unless *stop becomes non-zero first (checked every 50 ms). */
void bot_sleep_ms(long ms, volatile int *stop);

#endif
