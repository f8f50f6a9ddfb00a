/*
 * cmd_bot.c - `sathctl bot start|stop|restart|status|config get|config set|logs [-f]|performance`:
 * the caller's trading bot (BotService).
 *
 * start / stop / restart print what was asked and what the orchestrator observes; the
 * two differ for a moment after a request (status "pending").  `config set` changes
 * only the fields given, on top of the stored configuration.  `logs -f` follows the
 * log with FollowBotLogs until interrupted or the run ends.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_args.h"
#include "output.h"
#include "sathctl.h"

enum { OPT_MODE = 256, OPT_SYMBOLS, OPT_CAPITAL, OPT_RISK, OPT_STRATEGY, OPT_EXKEY, OPT_AIKEY,
       OPT_TAIL, OPT_SINCE, OPT_FOLLOW, OPT_STEP };

typedef struct bot_args {
    const char *mode, *symbols, *strategy, *exchange_key, *ai_key, *since;
    long capital, risk, tail, step;
    int has_capital, has_risk, follow;
} bot_args;

static const sathctl_command sub_start = {"bot start", "start the bot",
    "usage: sathctl bot start [--mode paper|live]\nAsks for the bot to run with its stored "
    "configuration (idempotent: a running bot is left alone).\n", NULL};
static const sathctl_command sub_stop = {"bot stop", "stop the bot",
    "usage: sathctl bot stop\nAsks for the bot to stop: SIGTERM, a grace period, then kill.\n", NULL};
static const sathctl_command sub_restart = {"bot restart", "restart the bot",
    "usage: sathctl bot restart\nStops the bot and starts a new run with the current config.\n", NULL};
static const sathctl_command sub_status = {"bot status", "show the bot's state",
    "usage: sathctl bot status\nShows the observed state, what was asked, pid, run and exit.\n", NULL};
static const sathctl_command sub_cfg_get = {"bot config get", "show the configuration",
    "usage: sathctl bot config get\n", NULL};
static const sathctl_command sub_cfg_set = {"bot config set", "change the configuration",
    "usage: sathctl bot config set [--symbols A,B] [--capital CENTS] [--risk-bps N]\n"
    "                              [--strategy S] [--mode paper|live] [--exchange-key ID]\n"
    "                              [--ai-key ID]\n"
    "Changes the given fields; they take effect at the next start or restart.  Strategies:\n"
    "sma_crossover, ema_crossover, rsi_reversion, grid.  --exchange-key '' clears it.\n", NULL};
static const sathctl_command sub_logs = {"bot logs", "show the bot's log",
    "usage: sathctl bot logs [--tail N] [--since TIME] [-f|--follow]\n"
    "The newest N lines (default 200), only those at or after TIME (unix seconds or\n"
    "RFC 3339); -f keeps printing new lines until interrupted or the run ends.\n", NULL};

static const sathctl_command sub_perf = {"bot performance", "equity and trades over time",
    "usage: sathctl bot performance [--since TIME] [--step SECONDS]\n"
    "Equity curve and trades of the bot's runs since TIME (unix seconds or RFC 3339; default\n"
    "the start of its first run in the last 24 hours), each step's last report (default:\n"
    "about 200 steps), from InfluxDB.\n"
    "Exits 1 when the range holds no report of the bot (with --json after printing the\n"
    "empty lists), 4 when sathd keeps no metrics (runs without InfluxDB).\n", NULL};

static int on_opt(void *st, int opt, const char *arg)
{
    bot_args *a = st;
    switch (opt) {
    case OPT_MODE: a->mode = arg; return 0;
    case OPT_SYMBOLS: a->symbols = arg; return 0;
    case OPT_STRATEGY: a->strategy = arg; return 0;
    case OPT_EXKEY: a->exchange_key = arg; return 0;
    case OPT_AIKEY: a->ai_key = arg; return 0;
    case OPT_SINCE: a->since = arg; return 0;
    case OPT_CAPITAL:
        a->has_capital = 1;
        return sathctl_parse_long(arg, &a->capital) == 0 ? 0
               : sathctl_usage_error("bot config set", "--capital wants cents, e.g. 100000");
    case OPT_RISK:
        a->has_risk = 1;
        return sathctl_parse_long(arg, &a->risk) == 0 ? 0
               : sathctl_usage_error("bot config set", "--risk-bps wants a number");
    case OPT_STEP:
        return sathctl_parse_long(arg, &a->step) == 0 && a->step > 0
                   ? 0
                   : sathctl_usage_error("bot performance", "--step wants seconds");
    case OPT_TAIL:
        return sathctl_parse_long(arg, &a->tail) == 0 ? 0
               : sathctl_usage_error("bot logs", "--tail wants a number");
    case 'f':
    case OPT_FOLLOW: a->follow = 1; return 0;
    default: return SATHCTL_EXIT_USAGE;
    }
}

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"mode", required_argument, NULL, OPT_MODE},
    {"symbols", required_argument, NULL, OPT_SYMBOLS},
    {"capital", required_argument, NULL, OPT_CAPITAL},
    {"risk-bps", required_argument, NULL, OPT_RISK},
    {"strategy", required_argument, NULL, OPT_STRATEGY},
    {"exchange-key", required_argument, NULL, OPT_EXKEY},
    {"ai-key", required_argument, NULL, OPT_AIKEY},
    {"tail", required_argument, NULL, OPT_TAIL},
    {"since", required_argument, NULL, OPT_SINCE},
    {"follow", no_argument, NULL, OPT_FOLLOW},
    {"step", required_argument, NULL, OPT_STEP},
    {NULL, 0, NULL, 0}};

static const char *state_name(Sath__V1__BotState s)
{
    switch (s) {
    case SATH__V1__BOT_STATE__BOT_STATE_STARTING: return "STARTING";
    case SATH__V1__BOT_STATE__BOT_STATE_RUNNING: return "RUNNING";
    case SATH__V1__BOT_STATE__BOT_STATE_STOPPING: return "STOPPING";
    case SATH__V1__BOT_STATE__BOT_STATE_STOPPED: return "STOPPED";
    case SATH__V1__BOT_STATE__BOT_STATE_FAILED: return "FAILED";
    default: return "NEVER_STARTED";
    }
}

static const char *mode_name(Sath__V1__BotMode m)
{
    return m == SATH__V1__BOT_MODE__BOT_MODE_LIVE ? "live" : "paper";
}

static int parse_mode(const char *s, Sath__V1__BotMode *out)
{
    if (strcmp(s, "paper") == 0)
        *out = SATH__V1__BOT_MODE__BOT_MODE_PAPER;
    else if (strcmp(s, "live") == 0)
        *out = SATH__V1__BOT_MODE__BOT_MODE_LIVE;
    else
        return -1;
    return 0;
}

static int print_status(sathctl *ctx, const char *what, int rc, Sath__V1__BotStatus *st)
{
    if (rc != SATH_OK)
        return sathctl_fail(ctx, what, rc);
    char started[32], stopped[32];
    sathctl_timestamp_text(st->started_at, started, sizeof started);
    sathctl_timestamp_text(st->stopped_at, stopped, sizeof stopped);
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:b}",
                              "id", st->id, "state", state_name(st->state), "desired_state",
                              state_name(st->desired_state), "mode", mode_name(st->mode),
                              "run_id", st->run_id, "pid", st->container_id, "message", st->message,
                              "restarts", st->restarts, "last_exit_code", st->last_exit_code,
                              "oom_killed", st->oom_killed, "backend", st->backend, "pending",
                              st->pending_change);
        if (*started)
            json_object_set_new(o, "started_at", json_string(started));
        if (*stopped)
            json_object_set_new(o, "stopped_at", json_string(stopped));
        if (st->node && *st->node)
            json_object_set_new(o, "node", json_string(st->node));
        if (st->last_heartbeat_at) { /* the bot's last report: absent before the first */
            char hb[32];
            sathctl_timestamp_text(st->last_heartbeat_at, hb, sizeof hb);
            json_object_update_new(o, json_pack("{s:s, s:f, s:f, s:f, s:f, s:I}", "heartbeat_at",
                                                hb, "equity", st->equity, "realized_pnl",
                                                st->realized_pnl, "unrealized_pnl",
                                                st->unrealized_pnl, "max_drawdown",
                                                st->max_drawdown, "trades",
                                                (json_int_t)st->trades));
        }
        json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        printf("state:      %s%s\n", state_name(st->state), st->pending_change ? " (request pending)" : "");
        printf("requested:  %s\n", st->desired_state == SATH__V1__BOT_STATE__BOT_STATE_RUNNING ? "RUNNING" : "STOPPED");
        if (*st->run_id) {
            printf("mode:       %s\n", mode_name(st->mode));
            printf("run:        %s\n", st->run_id);
        }
        if (*st->container_id)
            printf("%-11s %s\n", strcmp(st->backend, "process") == 0 ? "pid:" : "container:", st->container_id);
        if (*st->backend)
            printf("backend:    %s\n", st->backend);
        if (st->node && *st->node)
            printf("node:       %s\n", st->node);
        if (*started)
            printf("started at: %s\n", started);
        if (*stopped)
            printf("stopped at: %s\n", stopped);
        if (st->restarts)
            printf("restarts:   %d\n", st->restarts);
        if (st->last_exit_code >= 0)
            printf("last exit:  %d%s\n", st->last_exit_code, st->oom_killed ? " (out of memory)" : "");
        if (*st->message)
            printf("message:    %s\n", st->message);
        if (st->last_heartbeat_at) { /* figures of the bot's last report (sath-bot) */
            char hb[32];
            sathctl_timestamp_text(st->last_heartbeat_at, hb, sizeof hb);
            printf("heartbeat:  %s\n", hb);
            printf("equity:     %.2f (realised %+.2f, unrealised %+.2f, drawdown %.2f%%)\n",
                   st->equity, st->realized_pnl, st->unrealized_pnl, 100.0 * st->max_drawdown);
            printf("trades:     %lld\n", (long long)st->trades);
        }
    }
    sath__v1__bot_status__free_unpacked(st, NULL);
    return SATHCTL_EXIT_OK;
}

static int print_config(sathctl *ctx, const char *what, int rc, Sath__V1__BotConfig *c)
{
    if (rc != SATH_OK)
        return sathctl_fail(ctx, what, rc);
    char updated[32];
    sathctl_timestamp_text(c->updated_at, updated, sizeof updated);
    if (ctx->json) {
        json_t *syms = json_array();
        for (size_t i = 0; i < c->n_symbols; i++)
            json_array_append_new(syms, json_string(c->symbols[i]));
        json_t *o = json_pack("{s:o, s:s, s:s, s:s, s:I, s:i, s:s, s:s}", "symbols", syms, "mode",
                              mode_name(c->mode), "exchange_key_id", c->exchange_key_id, "ai_key_id",
                              c->ai_key_id, "capital_cents", (json_int_t)c->capital_cents,
                              "risk_per_trade_bps", c->risk_per_trade_bps, "strategy", c->strategy,
                              "updated_at", updated);
        json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        printf("symbols:      ");
        for (size_t i = 0; i < c->n_symbols; i++)
            printf("%s%s", i ? "," : "", c->symbols[i]);
        printf("\nmode:         %s\n", mode_name(c->mode));
        printf("capital:      %lld cents\n", (long long)c->capital_cents);
        printf("risk:         %d bps per trade\n", c->risk_per_trade_bps);
        printf("strategy:     %s\n", c->strategy);
        printf("exchange key: %s\n", *c->exchange_key_id ? c->exchange_key_id : "(none)");
        printf("ai key:       %s\n", *c->ai_key_id ? c->ai_key_id : "(none)");
        if (*updated)
            printf("updated at:   %s\n", updated);
    }
    sath__v1__bot_config__free_unpacked(c, NULL);
    return SATHCTL_EXIT_OK;
}

static int config_set(sathctl *ctx, const bot_args *a)
{
    Sath__V1__BotConfig cfg = SATH__V1__BOT_CONFIG__INIT, *cur = NULL;
    Sath__V1__GetBotConfigRequest gq = SATH__V1__GET_BOT_CONFIG_REQUEST__INIT;
    int rc = sath_bot_get_bot_config(ctx->client, &gq, &cur, ctx->opts);
    if (rc != SATH_OK && rc != SATH_NOT_FOUND)
        return sathctl_fail(ctx, "bot config set", rc);
    if (cur) {
        cfg = *cur;
        cfg.updated_at = NULL;
    } else {
        cfg.risk_per_trade_bps = 100;
    }
    char *syms_copy = NULL, **syms = NULL;
    if (a->symbols) {
        syms_copy = strdup(a->symbols);
        size_t n = 1;
        for (const char *p = a->symbols; *p; p++)
            n += *p == ',';
        syms = calloc(n, sizeof *syms);
        if (!syms_copy || !syms) {
            free(syms_copy);
            free(syms);
            return SATHCTL_EXIT_OTHER;
        }
        size_t k = 0;
        for (char *save = NULL, *t = strtok_r(syms_copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            syms[k++] = t;
        cfg.symbols = syms;
        cfg.n_symbols = k;
    }
    if (a->mode && parse_mode(a->mode, &cfg.mode) != 0) {
        free(syms_copy);
        free(syms);
        return sathctl_usage_error("bot config set", "--mode is paper or live");
    }
    if (a->has_capital)
        cfg.capital_cents = a->capital;
    if (a->has_risk)
        cfg.risk_per_trade_bps = (int32_t)a->risk;
    if (a->strategy)
        cfg.strategy = (char *)a->strategy;
    if (a->exchange_key)
        cfg.exchange_key_id = (char *)a->exchange_key;
    if (a->ai_key)
        cfg.ai_key_id = (char *)a->ai_key;
    Sath__V1__UpdateBotConfigRequest req = SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT;
    req.config = &cfg;
    Sath__V1__BotConfig *out = NULL;
    rc = sath_bot_update_bot_config(ctx->client, &req, &out, ctx->opts);
    free(syms_copy);
    free(syms);
    if (cur)
        sath__v1__bot_config__free_unpacked(cur, NULL);
    return print_config(ctx, "bot config set", rc, out);
}

/* unix seconds or RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" */
static int parse_time(const char *s, int64_t *out)
{
    long v;
    if (sathctl_parse_long(s, &v) == 0) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || (*end && strcmp(end, "Z") != 0))
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static void print_line(sathctl *ctx, const Sath__V1__LogLine *l)
{
    char t[32];
    sathctl_timestamp_text(l->time, t, sizeof t);
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "time", t, "stream", l->stream, "text", l->text,
                              "run_id", l->run_id);
        json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        printf("%s %s %s\n", t, strcmp(l->stream, "stderr") == 0 ? "E" : " ", l->text);
    }
    fflush(stdout);
}

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int follow_logs(sathctl *ctx, const Sath__V1__FollowBotLogsRequest *req);

static int logs(sathctl *ctx, const bot_args *a)
{
    int64_t since = 0;
    if (a->since && parse_time(a->since, &since) != 0)
        return sathctl_usage_error("bot logs", "--since wants unix seconds or 2026-11-28T15:00:00Z");
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    ts.seconds = since;
    if (a->follow) {
        Sath__V1__FollowBotLogsRequest fq = SATH__V1__FOLLOW_BOT_LOGS_REQUEST__INIT;
        fq.tail = (int32_t)a->tail;
        fq.since = a->since ? &ts : NULL;
        return follow_logs(ctx, &fq);
    }
    Sath__V1__GetBotLogsRequest req = SATH__V1__GET_BOT_LOGS_REQUEST__INIT;
    req.tail = (int32_t)a->tail;
    req.since = a->since ? &ts : NULL;
    Sath__V1__GetBotLogsResponse *r = NULL;
    int rc = sath_bot_get_bot_logs(ctx->client, &req, &r, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "bot logs", rc);
    for (size_t i = 0; i < r->n_lines; i++)
        print_line(ctx, r->lines[i]);
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    return SATHCTL_EXIT_OK;
}

static int on_follow_line(void *arg, const Sath__V1__LogLine *line)
{
    print_line(arg, line);
    return interrupted ? 1 : 0;
}

/* FollowBotLogs until the run ends, the server ends the stream, or Ctrl-C (which takes
 * effect at the next line: the stream is then cancelled). */
static int follow_logs(sathctl *ctx, const Sath__V1__FollowBotLogsRequest *req)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    int rc = sath_bot_follow_bot_logs(ctx->client, req, on_follow_line, ctx, ctx->opts);
    if (rc == SATH_OK || rc == SATH_CANCELLED || interrupted)
        return SATHCTL_EXIT_OK;
    return sathctl_fail(ctx, "bot logs -f", rc);
}

int sathctl_cmd_bot(sathctl *ctx, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(sathctl_find_command("bot")->usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? SATHCTL_EXIT_USAGE : SATHCTL_EXIT_OK;
    }
    const char *sub = argv[1];
    int shift = 1;
    const sathctl_command *cmd = strcmp(sub, "start") == 0     ? &sub_start
                                 : strcmp(sub, "stop") == 0    ? &sub_stop
                                 : strcmp(sub, "restart") == 0 ? &sub_restart
                                 : strcmp(sub, "status") == 0  ? &sub_status
                                 : strcmp(sub, "logs") == 0    ? &sub_logs
                                 : strcmp(sub, "performance") == 0 ? &sub_perf
                                                               : NULL;
    if (strcmp(sub, "config") == 0) {
        shift = 2;
        cmd = argc > 2 && strcmp(argv[2], "get") == 0   ? &sub_cfg_get
              : argc > 2 && strcmp(argv[2], "set") == 0 ? &sub_cfg_set
                                                        : NULL;
        if (!cmd)
            return sathctl_usage_error("bot config", "get or set");
    }
    if (!cmd)
        return sathctl_usage_error("bot", "unknown subcommand '%s'", sub);
    bot_args a = {0};
    int rc = sathctl_parse_command(cmd, argc - shift, argv + shift, "hf", longopts, on_opt, &a);
    if (rc >= 0)
        return rc;
    if ((a.mode || a.symbols || a.has_capital || a.has_risk || a.strategy || a.exchange_key ||
         a.ai_key) && cmd != &sub_cfg_set && !(cmd == &sub_start && a.mode && !a.symbols))
        return sathctl_usage_error(cmd->name, "unexpected option");
    if (cmd == &sub_perf && !a.tail && !a.follow) {
        int64_t since = 0;
        if (a.since && parse_time(a.since, &since) != 0)
            return sathctl_usage_error(cmd->name, "--since is unix seconds or RFC 3339");
        if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK)
            return rc;
        return sathctl_bot_performance(ctx, since, a.step);
    }
    if ((a.tail || a.since || a.follow || a.step) && cmd != &sub_logs)
        return sathctl_usage_error(cmd->name, "unexpected option");
    Sath__V1__BotMode mode = SATH__V1__BOT_MODE__BOT_MODE_UNSPECIFIED;
    if (cmd == &sub_start && a.mode && parse_mode(a.mode, &mode) != 0)
        return sathctl_usage_error(cmd->name, "--mode is paper or live");
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__BotStatus *st = NULL;
    if (cmd == &sub_start) {
        Sath__V1__StartBotRequest req = SATH__V1__START_BOT_REQUEST__INIT;
        req.mode = mode;
        rc = sath_bot_start_bot(ctx->client, &req, &st, ctx->opts);
        return print_status(ctx, cmd->name, rc, st);
    }
    if (cmd == &sub_stop) {
        Sath__V1__StopBotRequest req = SATH__V1__STOP_BOT_REQUEST__INIT;
        rc = sath_bot_stop_bot(ctx->client, &req, &st, ctx->opts);
        return print_status(ctx, cmd->name, rc, st);
    }
    if (cmd == &sub_restart) {
        Sath__V1__RestartBotRequest req = SATH__V1__RESTART_BOT_REQUEST__INIT;
        rc = sath_bot_restart_bot(ctx->client, &req, &st, ctx->opts);
        return print_status(ctx, cmd->name, rc, st);
    }
    if (cmd == &sub_status) {
        Sath__V1__GetBotStatusRequest req = SATH__V1__GET_BOT_STATUS_REQUEST__INIT;
        rc = sath_bot_get_bot_status(ctx->client, &req, &st, ctx->opts);
        return print_status(ctx, cmd->name, rc, st);
    }
    if (cmd == &sub_cfg_get) {
        Sath__V1__GetBotConfigRequest req = SATH__V1__GET_BOT_CONFIG_REQUEST__INIT;
        Sath__V1__BotConfig *c = NULL;
        rc = sath_bot_get_bot_config(ctx->client, &req, &c, ctx->opts);
        return print_config(ctx, cmd->name, rc, c);
    }
    if (cmd == &sub_cfg_set)
        return config_set(ctx, &a);
    return logs(ctx, &a);
}
