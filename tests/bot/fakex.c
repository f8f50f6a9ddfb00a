/*
 * fakex.c - the fake exchange and the fake AI provider as child processes (fakex.h).
 * Requests to their control endpoints go through test_http (tests/integration), so the
 * tests with and without sath-bot's core use the same fixture.
 */
#include "fakex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_proc.h"
#include "test_http.h"

static int start(fakex *x, const char *env, const char *const *args)
{
    memset(x, 0, sizeof *x);
    x->to_fake = -1;
    const char *script = getenv(env);
    if (!script) {
        fprintf(stderr, "%s not set (run through ctest)\n", env);
        return -1;
    }
    char *argv[32] = {(char *)"/usr/bin/python3", (char *)script};
    size_t k = 2;
    for (size_t i = 0; args && args[i] && k < 31; i++)
        argv[k++] = (char *)args[i];
    argv[k] = NULL;
    char target[64];
    if (fake_proc_start(argv, &x->pid, &x->to_fake, target, sizeof target) != 0)
        return -1;
    snprintf(x->base, sizeof x->base, "http://%s", target);
    return 0;
}

int fakex_start(fakex *x, const char *key, const char *secret, const char *const *extra)
{
    const char *args[32] = {"--key", key, "--secret", secret};
    size_t k = 4;
    for (size_t i = 0; extra && extra[i] && k < 31; i++)
        args[k++] = extra[i];
    args[k] = NULL;
    return start(x, "SATH_FAKE_EXCHANGE", args);
}

int fakeai_start(fakex *x, const char *key)
{
    const char *args[] = {"--key", key, NULL};
    return start(x, "SATH_FAKE_AI", args);
}

void fakex_stop(fakex *x)
{
    if (x->to_fake >= 0)
        close(x->to_fake); /* the fake exits when its stdin closes */
    x->to_fake = -1;
    if (x->pid > 0)
        waitpid(x->pid, NULL, 0);
    x->pid = 0;
}

/* `method` on base + path (body: JSON or NULL); the parsed answer of a 200, else NULL. */
static json_t *call(const fakex *x, const char *method, const char *path, const char *body)
{
    char url[160];
    snprintf(url, sizeof url, "%s%s", x->base, path);
    long status = 0;
    char *text = test_http(method, url, NULL, body, &status);
    json_t *j = text && status == 200 ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return j;
}

json_t *fakex_state(const fakex *x)
{
    return call(x, "GET", "/_fake/state", NULL);
}

int fakeai_configure(const fakex *x, const char *answer, int status, int delay_ms)
{
    char body[256];
    snprintf(body, sizeof body, "{\"answer\":\"%s\",\"status\":%d,\"delay_ms\":%d}", answer,
             status, delay_ms);
    json_t *j = call(x, "POST", "/_fake/config", body);
    json_decref(j);
    return j ? 0 : -1;
}

json_t *fakeai_calls(const fakex *x)
{
    json_t *j = fakex_state(x);
    json_t *c = json_incref(json_object_get(j, "calls"));
    json_decref(j);
    return c;
}
