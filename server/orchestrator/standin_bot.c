/*
 * standin_bot.c - sath-bot-standin: a tiny program that behaves like a bot towards the
 * orchestrator (reads its run token once, logs, obeys SIGTERM), used by the tests and
 * by scripts/run until sath-bot exists.  It never prints the token, only its length.
 *
 *   sath-bot-standin [--interval-ms N] [--crash-after-ms N [--exit-code C]]
 *                    [--ignore-term] [--burst N] [--alloc-mb N]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t term;

static void on_term(int sig)
{
    (void)sig;
    term = 1;
}

int main(int argc, char **argv)
{
    long interval = 1000, crash_after = -1, burst = 0, alloc_mb = 0;
    int code = 3, ignore_term = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--interval-ms") == 0 && i + 1 < argc) interval = atol(argv[++i]);
        else if (strcmp(argv[i], "--crash-after-ms") == 0 && i + 1 < argc) crash_after = atol(argv[++i]);
        else if (strcmp(argv[i], "--exit-code") == 0 && i + 1 < argc) code = atoi(argv[++i]);
        else if (strcmp(argv[i], "--burst") == 0 && i + 1 < argc) burst = atol(argv[++i]);
        else if (strcmp(argv[i], "--alloc-mb") == 0 && i + 1 < argc) alloc_mb = atol(argv[++i]);
        else if (strcmp(argv[i], "--ignore-term") == 0) ignore_term = 1;
    }
    char token[1024] = "";
    size_t tl = 0;
    const char *tfd = getenv("SATH_RUN_TOKEN_FD");
    const char *tfile = getenv("SATH_RUN_TOKEN_FILE"); /* container backends */
    if (tfd || tfile) {
        int fd = tfd ? atoi(tfd) : open(tfile, O_RDONLY | O_CLOEXEC);
        ssize_t n;
        while (tl < sizeof token - 1 && (n = read(fd, token + tl, sizeof token - 1 - tl)) > 0)
            tl += (size_t)n;
        close(fd);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore_term ? SIG_IGN : on_term;
    sigaction(SIGTERM, &sa, NULL);
    printf("{\"msg\":\"standin bot started\",\"run\":\"%s\",\"mode\":\"%s\",\"token_bytes\":%zu}\n",
           getenv("SATH_RUN_ID") ? getenv("SATH_RUN_ID") : "", getenv("SATH_BOT_MODE") ? getenv("SATH_BOT_MODE") : "",
           tl);
    fprintf(stderr, "standin: pid %d uid %d\n", (int)getpid(), (int)getuid());
    for (long i = 0; i < burst; i++)
        printf("burst line %ld\n", i);
    /* grows by 1 MiB steps, each written to (resident), and keeps it: past a memory limit
     * this is the bot the limit is about (the process backend's tests) */
    static char *held[4096]; /* reachable: not a leak to LeakSanitizer */
    for (long mb = 0; mb < alloc_mb && mb < 4096; mb++) {
        char *p = held[mb] = malloc(1 << 20);
        if (!p) {
            fprintf(stderr, "standin: allocation failed after %ld MiB\n", mb);
            return 12;
        }
        memset(p, (int)(mb & 0x7f) + 1, 1 << 20);
        if (mb % 16 == 0)
            fprintf(stderr, "standin: %ld MiB allocated\n", mb + 1);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long tick = 0; !term; tick++) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long el = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (crash_after >= 0 && el >= crash_after) {
            fprintf(stderr, "standin: crashing with code %d\n", code);
            return code;
        }
        printf("tick %ld\n", tick);
        long wait = interval;
        if (crash_after >= 0 && crash_after - el < wait)
            wait = crash_after - el > 0 ? crash_after - el : 1;
        struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    printf("{\"msg\":\"standin bot stopping on SIGTERM\"}\n");
    return 0;
}
