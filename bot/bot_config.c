/*
 * bot_config.c - command line, environment and run token of sath-bot (see bot_config.h).
 */
#include "bot_config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jlog.h"

static const char usage[] =
    "usage: sath-bot [--tick-ms N] [--heartbeat-ms N] [--status-ms N] [--market sim|binance] [--seed N]\n"
    "                [--drift X] [--volatility X] [--fee-bps N] [--slippage-bps N] [--queue N]\n"
    "                [--ticks N] [--grace-ms N] [--log-level debug|info|warn|error]\n"
    "                [--binance-url URL] [--http-timeout-ms N]\n"
    "                [--no-ai] [--ai-url URL] [--ai-model NAME] [--ai-timeout-ms N] [--ai-backoff-ms N]\n"
    "       sath-bot --offline --symbols A,B --capital Q --strategy S [--risk-bps N] [--ticks N] ...\n"
    "Run by sath-orchestrator with SATH_ADDR, SATH_RUN_ID and the run token on SATH_RUN_TOKEN_FD.\n";

static int num(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (!s[0] || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

int bot_opts_parse(bot_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->tick_ms = 1000;
    o->heartbeat_ms = 5000;
    o->status_ms = 60000;
    o->grace_ms = 5000;
    o->volatility = 0.004;
    o->fee_bps = 10;
    o->slippage_bps = 5;
    o->queue_cap = 10000;
    o->risk_bps = 100;
    o->strategy = "sma_crossover";
    o->http_timeout_ms = 5000;
    o->ai_timeout_ms = 3000;
    o->ai_backoff_ms = 60000;
    const char *u = getenv("SATH_BINANCE_URL");
    o->binance_url = u && *u ? u : "https://testnet.binance.vision";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        int used = 1;
        if (strcmp(a, "--offline") == 0) {
            o->offline = 1;
            used = 0;
        } else if (strcmp(a, "--no-ai") == 0) {
            o->no_ai = 1;
            used = 0;
        } else if (!v) {
            goto bad;
        } else if (strcmp(a, "--tick-ms") == 0 && num(v, 0, 3600000, &d) == 0) {
            o->tick_ms = (long)d;
        } else if (strcmp(a, "--heartbeat-ms") == 0 && num(v, 10, 3600000, &d) == 0) {
            o->heartbeat_ms = (long)d;
        } else if (strcmp(a, "--status-ms") == 0 && num(v, 0, 86400000, &d) == 0) {
            o->status_ms = (long)d;
        } else if (strcmp(a, "--grace-ms") == 0 && num(v, 0, 3600000, &d) == 0) {
            o->grace_ms = (long)d;
        } else if (strcmp(a, "--market") == 0 && (!strcmp(v, "sim") || !strcmp(v, "binance"))) {
            o->market = v;
        } else if (strcmp(a, "--seed") == 0) {
            char *end = NULL;
            o->seed = strtoull(v, &end, 10);
            o->has_seed = 1;
            if (!*v || *end)
                goto bad;
        } else if (strcmp(a, "--drift") == 0 && num(v, -0.1, 0.1, &d) == 0) {
            o->drift = d;
        } else if (strcmp(a, "--volatility") == 0 && num(v, 0, 0.5, &d) == 0) {
            o->volatility = d;
        } else if (strcmp(a, "--fee-bps") == 0 && num(v, 0, 1000, &d) == 0) {
            o->fee_bps = d;
        } else if (strcmp(a, "--slippage-bps") == 0 && num(v, 0, 1000, &d) == 0) {
            o->slippage_bps = d;
        } else if (strcmp(a, "--queue") == 0 && num(v, 1, 10000000, &d) == 0) {
            o->queue_cap = (size_t)d;
        } else if (strcmp(a, "--ticks") == 0 && num(v, 0, 1e12, &d) == 0) {
            o->max_ticks = (long)d;
        } else if (strcmp(a, "--capital") == 0 && num(v, 0.01, 1e12, &d) == 0) {
            o->capital = d;
        } else if (strcmp(a, "--risk-bps") == 0 && num(v, 1, 10000, &d) == 0) {
            o->risk_bps = (int)d;
        } else if (strcmp(a, "--strategy") == 0) {
            o->strategy = v;
        } else if (strcmp(a, "--binance-url") == 0 &&
                   (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)) {
            o->binance_url = v;
        } else if (strcmp(a, "--http-timeout-ms") == 0 && num(v, 10, 600000, &d) == 0) {
            o->http_timeout_ms = (long)d;
        } else if (strcmp(a, "--ai-url") == 0 &&
                   (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)) {
            o->ai_url = v;
        } else if (strcmp(a, "--ai-model") == 0 && *v && strlen(v) < 100) {
            o->ai_model = v;
        } else if (strcmp(a, "--ai-timeout-ms") == 0 && num(v, 10, 60000, &d) == 0) {
            o->ai_timeout_ms = (long)d;
        } else if (strcmp(a, "--ai-backoff-ms") == 0 && num(v, 0, 86400000, &d) == 0) {
            o->ai_backoff_ms = (long)d;
        } else if (strcmp(a, "--log-level") == 0) {
            static const char *const lv[] = {"debug", "info", "warn", "error"};
            int k = 0;
            while (k < 4 && strcmp(lv[k], v) != 0)
                k++;
            if (k == 4)
                goto bad;
            bot_log_set_level((bot_level)k);
        } else if (strcmp(a, "--symbols") == 0) {
            free(o->symbols_buf);
            o->n_symbols = 0;
            char *copy = o->symbols_buf = strdup(v);
            for (char *save = NULL, *t = strtok_r(copy, ",", &save); t && o->n_symbols < 32;
                 t = strtok_r(NULL, ",", &save))
                o->symbols[o->n_symbols++] = t;
        } else {
            goto bad;
        }
        i += used;
    }
    if (o->offline && (o->n_symbols == 0 || o->capital <= 0))
        goto bad;
    return 0;
bad:
    fputs(usage, stderr);
    return -1;
}

int bot_read_run_token(char *buf, size_t len)
{
    const char *fds = getenv("SATH_RUN_TOKEN_FD"), *file = getenv("SATH_RUN_TOKEN_FILE");
    int fd = -1;
    if (fds && *fds)
        fd = atoi(fds);
    else if (file && *file)
        fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t r;
    while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}
