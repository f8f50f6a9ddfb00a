/*
 * bot_logs.c - bot control and log following: log in (registering the account when it
 * does not exist yet), give the bot a paper configuration if it has none, start it,
 * follow its log over the server stream FollowBotLogs until LINES lines of this run
 * have arrived or TIMEOUT seconds have passed, then stop the bot again.
 *
 *   SATH_EMAIL=ada@example.org SATH_PASSWORD=... ./sath_bot_logs [HOST:PORT [LINES [TIMEOUT]]]
 *
 * The server defaults to $SATH_SERVER, then 127.0.0.1:50051; LINES to 5, TIMEOUT to 30.
 * It exits 0 once it has printed LINES lines written by the run it followed, 1 on any
 * error (printed with the library's message) or when the time ran out first.  A bot that
 * was already running is followed but left running; one this program started is stopped.
 * Build it against an installed SDK with:
 *   cc bot_logs.c $(pkg-config --cflags --libs sathclient)
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, also under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sath/sath.h>

/* What the stream callback needs: which run to count, and how many lines are wanted. */
typedef struct follow {
    const char *run_id;
    long want;
    long seen;
} follow;

/* Prints why `what` failed and returns 1 (for `return fail(...)`).  The helpers below
 * return 0 (SATH_OK) on success and 1 after printing why they failed. */
static int fail(sath_client *client, const char *what, int rc)
{
    fprintf(stderr, "%s failed: %s: %s\n", what, sath_err_name(rc),
            sath_client_last_error_message(client));
    return 1;
}

/* Logs in; when the server does not know the credentials, registers the account and
 * logs in again.  UNAUTHENTICATED says the same for "no such account" and "wrong
 * password" (no account enumeration), so Register tells them apart: ALREADY_EXISTS. */
static int log_in(sath_client *client, const char *email, const char *password)
{
    int rc = sath_client_login(client, email, password, NULL);
    if (rc != SATH_UNAUTHENTICATED)
        return rc == SATH_OK ? SATH_OK : fail(client, "Login", rc);
    char why[512]; /* the next call replaces the client's last error: keep Login's */
    snprintf(why, sizeof why, "%s", sath_client_last_error_message(client));
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = (char *)email;
    req.password = (char *)password;
    req.name = (char *)"SDK bot example";
    int reg = sath_auth_register(client, &req, NULL, NULL);
    if (reg == SATH_ALREADY_EXISTS) {
        fprintf(stderr, "Login failed: %s: %s (the account exists)\n", sath_err_name(rc), why);
        return 1;
    }
    if (reg != SATH_OK)
        return fail(client, "Register", reg);
    printf("registered %s\n", email);
    rc = sath_client_login(client, email, password, NULL);
    return rc == SATH_OK ? SATH_OK : fail(client, "Login", rc);
}

/* Keeps the stored configuration; stores a small paper one when there is none yet. */
static int ensure_config(sath_client *client)
{
    Sath__V1__GetBotConfigRequest get = SATH__V1__GET_BOT_CONFIG_REQUEST__INIT;
    Sath__V1__BotConfig *cfg = NULL;
    int rc = sath_bot_get_bot_config(client, &get, &cfg, NULL);
    if (rc == SATH_OK) {
        printf("bot config: %s, %zu symbol(s), strategy %s\n",
               cfg->mode == SATH__V1__BOT_MODE__BOT_MODE_LIVE ? "live" : "paper", cfg->n_symbols,
               cfg->strategy);
        sath__v1__bot_config__free_unpacked(cfg, NULL);
        return SATH_OK;
    }
    if (rc != SATH_NOT_FOUND)
        return fail(client, "GetBotConfig", rc);

    static char btc[] = "BTCUSDT";
    char *symbols[] = {btc};
    Sath__V1__BotConfig want = SATH__V1__BOT_CONFIG__INIT;
    want.symbols = symbols;
    want.n_symbols = 1;
    want.mode = SATH__V1__BOT_MODE__BOT_MODE_PAPER; /* simulated orders: no exchange key needed */
    want.capital_cents = 100000;                    /* 1000.00 of the quote currency */
    want.risk_per_trade_bps = 100;                  /* 1% of capital at risk per trade */
    want.strategy = (char *)"sma_crossover";
    Sath__V1__UpdateBotConfigRequest set = SATH__V1__UPDATE_BOT_CONFIG_REQUEST__INIT;
    set.config = &want;
    if ((rc = sath_bot_update_bot_config(client, &set, &cfg, NULL)) != SATH_OK)
        return fail(client, "UpdateBotConfig", rc);
    printf("stored a paper config: %s, capital %.2f\n", cfg->symbols[0], cfg->capital_cents / 100.0);
    sath__v1__bot_config__free_unpacked(cfg, NULL);
    return SATH_OK;
}

/* Starts the bot and copies the id of the run to follow into run_id[37]; *started says
 * whether this program started it (0: it was running already and stays so). */
static int start_bot(sath_client *client, char run_id[37], int *started)
{
    Sath__V1__StartBotRequest req = SATH__V1__START_BOT_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    int rc = sath_bot_start_bot(client, &req, &st, NULL);
    *started = rc == SATH_OK;
    if (rc == SATH_FAILED_PRECONDITION) {
        /* running already, or the plan refuses the configuration: the status tells.  The
         * message is copied first: the next call replaces the client's last error. */
        char why[512];
        snprintf(why, sizeof why, "%s", sath_client_last_error_message(client));
        Sath__V1__GetBotStatusRequest sreq = SATH__V1__GET_BOT_STATUS_REQUEST__INIT;
        int src = sath_bot_get_bot_status(client, &sreq, &st, NULL);
        if (src != SATH_OK)
            return fail(client, "GetBotStatus", src);
        if (st->desired_state != SATH__V1__BOT_STATE__BOT_STATE_RUNNING) {
            sath__v1__bot_status__free_unpacked(st, NULL);
            fprintf(stderr, "StartBot failed: %s: %s\n", sath_err_name(rc), why);
            return 1;
        }
        printf("the bot is running already: following it, leaving it running\n");
    } else if (rc != SATH_OK) {
        return fail(client, "StartBot", rc);
    }
    /* state is what the orchestrator last saw; it catches up with desired_state shortly */
    const char *state = sath_enum_name(&sath__v1__bot_state__descriptor, (int)st->state);
    const char *desired = sath_enum_name(&sath__v1__bot_state__descriptor, (int)st->desired_state);
    printf("bot %s, run %s: desired %s, observed %s\n", st->id, st->run_id,
           desired ? desired : "(newer state)", state ? state : "(newer state)");
    snprintf(run_id, 37, "%s", st->run_id);
    sath__v1__bot_status__free_unpacked(st, NULL);
    return SATH_OK;
}

/* Called for every line of the stream, on this thread.  The tail sent first may hold
 * lines of earlier runs: those are shown but not counted.  Returning non-zero cancels
 * the stream (the call then returns SATH_CANCELLED). */
static int on_line(void *arg, const Sath__V1__LogLine *line)
{
    follow *f = arg;
    int ours = strcmp(line->run_id, f->run_id) == 0;
    printf("%s %-6s %s\n", ours ? "|" : "(earlier run)", line->stream, line->text);
    if (ours)
        f->seen++;
    return f->seen >= f->want;
}

/* FollowBotLogs with a deadline of timeout_s; 0 when f->want lines arrived, else 1 (the
 * reason printed). */
static int follow_logs(sath_client *client, follow *f, long timeout_s)
{
    sath_call_opts *opts = NULL;
    int rc = sath_call_opts_new(&opts);
    if (rc == SATH_OK) /* a stream has no deadline unless the call sets one */
        rc = sath_call_opts_set_timeout_ms(opts, (int64_t)timeout_s * 1000);
    if (rc != SATH_OK) {
        sath_call_opts_free(opts);
        fprintf(stderr, "call options: %s\n", sath_strerror(rc));
        return 1;
    }
    Sath__V1__FollowBotLogsRequest req = SATH__V1__FOLLOW_BOT_LOGS_REQUEST__INIT;
    req.tail = 20;
    rc = sath_bot_follow_bot_logs(client, &req, on_line, f, opts);
    int failed = 1;
    if (rc == SATH_CANCELLED && f->seen >= f->want)
        failed = 0; /* on_line ended it: enough lines */
    else if (rc == SATH_OK) /* the server ended the stream: the run is over */
        fprintf(stderr, "the run ended after %ld of %ld lines\n", f->seen, f->want);
    else if (rc == SATH_DEADLINE_EXCEEDED)
        fprintf(stderr, "not %ld lines within %ld s (got %ld)\n", f->want, timeout_s, f->seen);
    else
        fail(client, "FollowBotLogs", rc);
    sath_call_opts_free(opts);
    return failed;
}

/* Asks the bot to stop, then polls GetBotStatus until the orchestrator has seen it stop
 * (the bot sends a final report and exits within its grace period), at most 20 s. */
static int stop_bot(sath_client *client)
{
    Sath__V1__StopBotRequest req = SATH__V1__STOP_BOT_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    int rc = sath_bot_stop_bot(client, &req, &st, NULL);
    if (rc != SATH_OK)
        return fail(client, "StopBot", rc);
    printf("stop requested for run %s\n", st->run_id);
    for (int waited_ms = 0;; waited_ms += 200) {
        int at_rest = (st->state == SATH__V1__BOT_STATE__BOT_STATE_STOPPED ||
                       st->state == SATH__V1__BOT_STATE__BOT_STATE_FAILED) && !st->pending_change;
        if (at_rest || waited_ms >= 20000) {
            const char *state = sath_enum_name(&sath__v1__bot_state__descriptor, (int)st->state);
            printf("bot %s (exit code %d)\n", state ? state : "(newer state)", st->last_exit_code);
            sath__v1__bot_status__free_unpacked(st, NULL);
            if (at_rest)
                return SATH_OK;
            fprintf(stderr, "the bot did not stop within 20 s\n");
            return 1;
        }
        sath__v1__bot_status__free_unpacked(st, NULL);
        st = NULL;
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
        Sath__V1__GetBotStatusRequest sreq = SATH__V1__GET_BOT_STATUS_REQUEST__INIT;
        if ((rc = sath_bot_get_bot_status(client, &sreq, &st, NULL)) != SATH_OK)
            return fail(client, "GetBotStatus", rc);
    }
}

int main(int argc, char **argv)
{
    const char *server = argc > 1 ? argv[1] : getenv("SATH_SERVER");
    const char *email = getenv("SATH_EMAIL");
    const char *password = getenv("SATH_PASSWORD");
    long want = argc > 2 ? strtol(argv[2], NULL, 10) : 5;
    long timeout_s = argc > 3 ? strtol(argv[3], NULL, 10) : 30;
    if (!server || !*server)
        server = "127.0.0.1:50051";
    if (!email || !password || want < 1 || timeout_s < 1) {
        fprintf(stderr, "usage: SATH_EMAIL=... SATH_PASSWORD=... %s [HOST:PORT [LINES [TIMEOUT]]]\n",
                argv[0]);
        return 2;
    }
    if (sath_global_init(SATH_GLOBAL_DEFAULT) != SATH_OK)
        return 1;
    sath_client *client = NULL;
    int rc = sath_client_new(server, NULL, &client);
    if (rc != SATH_OK) {
        fprintf(stderr, "cannot create client: %s\n", sath_strerror(rc));
        sath_global_cleanup();
        return 1;
    }
    int status = 1, started = 0;
    char run_id[37] = "";
    follow f = {run_id, want, 0};
    if (log_in(client, email, password) != SATH_OK || ensure_config(client) != SATH_OK ||
        start_bot(client, run_id, &started) != SATH_OK)
        goto out;
    if (follow_logs(client, &f, timeout_s) == 0) {
        printf("%ld line(s) of run %s\n", f.seen, run_id);
        status = 0;
    }
out:
    /* Stop what we started, also after a failed follow: never leave a bot behind. */
    if (started && stop_bot(client) != SATH_OK)
        status = 1;
    sath_client_logout(client, NULL);
    sath_client_free(client);
    sath_global_cleanup();
    return status;
}
