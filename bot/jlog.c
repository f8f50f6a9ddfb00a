/*
 * jlog.c - JSON log lines without secrets (see jlog.h).
 */
#define _GNU_SOURCE
#include "jlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static bot_level min_level = BOT_INFO;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void bot_log_set_level(bot_level min)
{
    min_level = min;
}

static int secretish(const char *key)
{
    static const char *const bad[] = {"secret", "token", "api_key", "apikey", "password",
                                      "signature", "authorization"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strcasestr(key, bad[i]))
            return 1;
    return 0;
}

static void redact(json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (secretish(k))
            json_object_set_new(o, k, json_string("[redacted]"));
        else if (json_is_object(v))
            redact(v);
    }
}

void bot_log(bot_level level, const char *msg, json_t *fields)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level < min_level) {
        json_decref(fields);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
    json_t *line = json_pack("{s:s, s:s, s:s}", "time", when, "level", names[level], "msg",
                             msg ? msg : "");
    if (line && fields && json_is_object(fields)) {
        redact(fields);
        json_object_set(line, "fields", fields);
    }
    json_decref(fields);
    char *s = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(line);
    pthread_mutex_lock(&out_lock);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    pthread_mutex_unlock(&out_lock);
    free(s);
}
