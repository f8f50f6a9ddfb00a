/*
 * fakex.c - the fake exchange process of the live-engine tests (fakex.h).
 */
#include "fakex.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int fakex_start(fakex *x, const char *key, const char *secret, const char *const *extra)
{
    memset(x, 0, sizeof *x);
    const char *script = getenv("SATH_FAKE_EXCHANGE");
    if (!script) {
        fprintf(stderr, "SATH_FAKE_EXCHANGE not set (run through ctest)\n");
        return -1;
    }
    snprintf(x->dir, sizeof x->dir, "/tmp/sath-fakex-XXXXXX");
    if (!mkdtemp(x->dir)) {
        x->dir[0] = '\0';
        return -1;
    }
    char pf[128];
    snprintf(pf, sizeof pf, "%s/port", x->dir);
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    const char *argv[32] = {py, script, "--port-file", pf, "--key", key, "--secret", secret};
    size_t k = 8;
    for (size_t i = 0; extra && extra[i] && k < 31; i++)
        argv[k++] = extra[i];
    argv[k] = NULL;
    x->pid = fork();
    if (x->pid == 0) {
        execvp(py, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 100 && x->pid > 0 && !x->base[0]; i++) {
        FILE *f = fopen(pf, "r");
        int port = 0;
        if (f && fscanf(f, "%d", &port) == 1 && port > 0)
            snprintf(x->base, sizeof x->base, "http://127.0.0.1:%d", port);
        if (f)
            fclose(f);
        if (!x->base[0]) {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    }
    return x->base[0] ? 0 : -1;
}

void fakex_stop(fakex *x)
{
    if (x->pid > 0) {
        kill(x->pid, SIGTERM);
        waitpid(x->pid, NULL, 0);
        x->pid = 0;
    }
    if (x->dir[0]) {
        char pf[128];
        snprintf(pf, sizeof pf, "%s/port", x->dir);
        unlink(pf);
        rmdir(x->dir);
        x->dir[0] = '\0';
    }
}
