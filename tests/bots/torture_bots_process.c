/*
 * torture_bots_process.c - the bot control plane end to end on the process backend:
 * BotService in a real sathd, a real sath-orchestrator, real supervised processes
 * (sath-bot-standin standing in for sath-bot), PostgreSQL and Redis.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "botcalls.h"
#include "botenv.h"
#include "proc_internal.h" /* the process backend's memory cgroup names */

#define WAIT_MS 15000

static pid_t running_pid(const Sath__V1__BotStatus *st)
{
    return st && st->container_id ? (pid_t)atoi(st->container_id) : 0;
}

/* The user's processes are a supervisor and exactly one bot, `pid`. */
static void assert_one_bot(const char *user_id, pid_t pid)
{
    pid_t bots[4];
    int nb = 0;
    assert_int_equal(count_user_procs(user_id, bots, 4, &nb), 2);
    assert_int_equal(nb, 1);
    assert_int_equal(bots[0], pid);
}

/* A new user whose bot runs; its pid. */
static pid_t new_running_bot(botenv *e, botuser *u)
{
    Sath__V1__BotStatus *st = botcall_new_running_user(e, u, WAIT_MS);
    pid_t pid = running_pid(st);
    botcall_free_status(st);
    return pid;
}

/* config, start -> RUNNING with a real pid, logs, restart -> new run and pid, stop. */
static void lifecycle(void **state)
{
    botenv *e = *state;
    botuser u;
    assert_int_equal(botuser_new(e, &u), 0);
    Sath__V1__BotStatus *st = botuser_status(&u);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_UNSPECIFIED);
    botcall_free_status(st);
    Sath__V1__StartBotRequest req = SATH__V1__START_BOT_REQUEST__INIT;
    st = NULL;
    assert_int_equal(sath_bot_start_bot(u.c, &req, &st, NULL), SATH_FAILED_PRECONDITION); /* no config yet */
    botcall_free_status(st);
    assert_int_equal(botuser_config(&u, 1, 50000, 0), SATH_OK);

    st = botcall(&u, "start");
    assert_int_equal(st->desired_state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    assert_int_equal(strlen(st->run_id), 36);
    char run1[37];
    snprintf(run1, sizeof run1, "%s", st->run_id);
    botcall_free_status(st);

    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    assert_string_equal(st->backend, "process");
    assert_string_equal(st->run_id, run1);
    assert_non_null(st->started_at);
    pid_t pid1 = running_pid(st);
    assert_true(pid1 > 0);
    botcall_free_status(st);
    assert_one_bot(u.id, pid1);
    assert_true(botcall_log_line(&u, "standin bot started", NULL, 0, WAIT_MS));
    assert_true(botcall_log_line(&u, "tick 1", NULL, 0, WAIT_MS));

    st = botcall(&u, "restart");
    assert_string_not_equal(st->run_id, run1);
    char run2[37];
    snprintf(run2, sizeof run2, "%s", st->run_id);
    botcall_free_status(st);
    pid_t pid2 = 0;
    for (int i = 0; i < WAIT_MS / 50 && !pid2; i++) {
        st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
        if (st && strcmp(st->run_id, run2) == 0 && running_pid(st) != pid1)
            pid2 = running_pid(st);
        botcall_free_status(st);
        sleep_ms(50);
    }
    assert_true(pid2 > 0);
    assert_one_bot(u.id, pid2);
    assert_int_not_equal(kill(pid2, 0), -1);
    /* the first run said goodbye on SIGTERM and its log says so */
    assert_true(botcall_log_line(&u, "standin bot stopping on SIGTERM", NULL, 0, WAIT_MS));

    st = botcall(&u, "stop");
    assert_int_equal(st->desired_state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    botcall_free_status(st);
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    assert_int_equal(st->last_exit_code, 0); /* the standin exits 0 on SIGTERM */
    assert_non_null(st->stopped_at);
    botcall_free_status(st);
    int nb;
    assert_int_equal(count_user_procs(u.id, NULL, 0, &nb), 0);
    botcall_assert_runs_ended(e, u.id); /* the run's token was revoked, every run's */
    botuser_free(&u);
}

typedef struct racer {
    botenv *e;
    botuser *u;
    char run[37];
    int rc;
} racer;

static void *race_start(void *arg)
{
    racer *r = arg;
    sath_client *c = NULL;
    /* each racer its own connection, same user */
    r->rc = -1;
    if (sath_client_new(r->e->sathd.target, NULL, &c) != SATH_OK ||
        sath_client_login(c, r->u->email, BOTUSER_PASSWORD, NULL) != SATH_OK)
        return NULL;
    Sath__V1__StartBotRequest req = SATH__V1__START_BOT_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    r->rc = sath_bot_start_bot(c, &req, &st, NULL);
    if (st)
        snprintf(r->run, sizeof r->run, "%s", st->run_id);
    botcall_free_status(st);
    sath_client_free(c);
    return NULL;
}

/* Start twice, stop twice: same answers; 8 concurrent starts: one run, one bot. */
static void idempotent_and_race(void **state)
{
    botenv *e = *state;
    botuser u;
    assert_int_equal(botuser_new(e, &u), 0);
    assert_int_equal(botuser_config(&u, 1, 50000, 0), SATH_OK);
    racer r[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        r[i] = (racer){.e = e, .u = &u};
        assert_int_equal(pthread_create(&th[i], NULL, race_start, &r[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(r[i].rc, SATH_OK);
        assert_string_equal(r[i].run, r[0].run);
    }
    char *runs = sathd_proc_sql(&e->sathd, "SELECT count(*) FROM bot_runs WHERE user_id = $1", u.id);
    assert_string_equal(runs, "1");
    free(runs);
    Sath__V1__BotStatus *st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    pid_t pid = running_pid(st);
    botcall_free_status(st);
    st = botcall(&u, "start"); /* again: the running bot, untouched */
    assert_string_equal(st->run_id, r[0].run);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    assert_int_equal(running_pid(st), pid);
    botcall_free_status(st);
    sleep_ms(600); /* a few polls */
    assert_one_bot(u.id, pid);

    botcall_free_status(botcall(&u, "stop"));
    st = botcall(&u, "stop");
    assert_int_equal(st->desired_state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    botcall_free_status(st);
    st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_STOPPED, WAIT_MS);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    botcall_free_status(st);
    char *gen = sathd_proc_sql(&e->sathd, "SELECT generation FROM bot_instances WHERE user_id = $1", u.id);
    assert_string_equal(gen, "2"); /* one start, one stop: the repeats changed nothing */
    free(gen);
    botuser_free(&u);
}

static const char *const crash_env[] = {"SATH_BOT_ARGS=--crash-after-ms 150 --exit-code 7", NULL};

/* exits 7 each time: restarted with growing delays, FAILED after 3 within the window. */
static void crash_backoff_failed(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    Sath__V1__BotStatus *st = botcall_wait_failed(&u, 7, 30000);
    assert_int_equal(st->desired_state, SATH__V1__BOT_STATE__BOT_STATE_STOPPED);
    assert_int_equal(st->restarts, 2);
    assert_non_null(strstr(st->message, "giving up"));
    assert_non_null(strstr(st->message, "exited with code 7"));
    botcall_free_status(st);
    char *att = sathd_proc_sql(&e->sathd, "SELECT attempts || ' ' || state || ' ' || exit_code || ' ' || "
                                           "(token_hash IS NULL) FROM bot_runs WHERE user_id = $1", u.id);
    assert_string_equal(att, "3 failed 7 true");
    free(att);
    /* the delays grew: 200 ms then 400 ms between the three starts */
    char *gap = sathd_proc_sql(&e->sathd,
        "SELECT (extract(epoch FROM ended_at - started_at) * 1000)::int >= 150 + 200 + 150 + 400 + 150 "
        "FROM bot_runs WHERE user_id = $1", u.id);
    assert_string_equal(gap, "t");
    free(gap);
    int nb;
    assert_int_equal(count_user_procs(u.id, NULL, 0, &nb), 0);
    sleep_ms(1000); /* FAILED stays FAILED */
    st = botuser_status(&u);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_FAILED);
    botcall_free_status(st);
    assert_true(botcall_log_line(&u, "crashing with code 7", NULL, 0, 2000));
    botuser_free(&u);
}

static const char *const oom_env[] = {"SATH_BOT_ARGS=--alloc-mb 1024", "SATH_BOT_MEMORY_BYTES=67108864",
                                      "SATH_BOT_RESTART_MAX=1", NULL};

/* A bot that grows past its 64 MiB limit.  The supervisor's log says how the limit is
 * applied; as root with a memory controller it is a memory cgroup, and the bot is killed
 * by the kernel's OOM killer: FAILED, exit 137, oom_killed.  Otherwise it is RLIMIT_AS:
 * the allocation fails (the stand-in exits 12) and nothing claims an OOM kill. */
static void memory_limit_oom(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    Sath__V1__BotStatus *st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_FAILED, 60000);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_FAILED);
    assert_true(botcall_log_line(&u, "memory limit 67108864 bytes", NULL, 0, 5000));
    if (botcall_log_line(&u, "memory limit 67108864 bytes (cgroup", NULL, 0, 0)) {
        print_message("memory limit applied as a memory cgroup: expecting an OOM kill\n");
        assert_int_equal(st->last_exit_code, 137);
        assert_true(st->oom_killed);
        assert_non_null(strstr(st->message, "out-of-memory"));
        assert_true(botcall_log_line(&u, "killed by the out-of-memory killer", NULL, 0, 2000));
        char *oom = sathd_proc_sql(&e->sathd, "SELECT oom_killed FROM bot_runs WHERE user_id = $1::uuid", u.id);
        assert_string_equal(oom, "t");
        free(oom);
        /* the cgroup went with the bot */
        char dir[SATHD_PROC_MEMCG_PATH], name[96];
        int version;
        snprintf(name, sizeof name, SATHD_PROC_MEMCG_PREFIX "%s", u.id);
        assert_int_equal(sathd_proc_memcg_path(name, dir, sizeof dir, &version), 0);
        int gone = 0;
        for (int i = 0; i < 50 && !gone; i++, sleep_ms(100))
            gone = access(dir, F_OK) != 0;
        assert_true(gone);
    } else {
        print_message("memory limit applied as RLIMIT_AS: expecting a failed allocation\n");
        assert_true(botcall_log_line(&u, "memory limit 67108864 bytes (RLIMIT_AS", NULL, 0, 0));
        assert_int_equal(st->last_exit_code, 12);
        assert_false(st->oom_killed);
        assert_true(botcall_log_line(&u, "allocation failed", NULL, 0, 2000));
    }
    botcall_free_status(st);
    botuser_free(&u);
}

/* SIGKILL the orchestrator while 3 bots run; one bot dies meanwhile.  The new one adopts
 * the live ones (same pids, none doubled), restarts the dead one, and no log line of the
 * adopted bots is lost. */
static void orchestrator_killed_readopts(void **state)
{
    botenv *e = *state;
    botuser u[3];
    pid_t pids[3];
    int nb;
    for (int i = 0; i < 3; i++)
        botcall_new_started_user(e, &u[i]);
    for (int i = 0; i < 3; i++) {
        Sath__V1__BotStatus *st = botuser_wait(&u[i], SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
        assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
        pids[i] = running_pid(st);
        botcall_free_status(st);
    }
    botenv_orch_kill(e, SIGKILL);
    sleep_ms(300);
    kill(pids[2], SIGKILL); /* dies while nobody watches */
    sleep_ms(1500);         /* the others keep logging into their files */
    for (int i = 0; i < 2; i++)
        assert_int_equal(kill(pids[i], 0), 0);
    assert_int_equal(botenv_orch_start(e), 0);
    sleep_ms(1500);
    for (int i = 0; i < 2; i++) {
        Sath__V1__BotStatus *st = botuser_wait(&u[i], SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
        assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
        assert_int_equal(running_pid(st), pids[i]); /* adopted, not restarted */
        assert_int_equal(st->restarts, 0);
        botcall_free_status(st);
        assert_one_bot(u[i].id, pids[i]);
    }
    /* the killed one was seen dead (exit 137) and restarted: a new pid */
    pid_t p3 = 0;
    for (int w = 0; w < WAIT_MS && !p3; w += 100) {
        Sath__V1__BotStatus *st = botuser_status(&u[2]);
        if (st && st->state == SATH__V1__BOT_STATE__BOT_STATE_RUNNING && running_pid(st) != pids[2]) {
            p3 = running_pid(st);
            assert_int_equal(st->restarts, 1);
            assert_int_equal(st->last_exit_code, 137);
        }
        botcall_free_status(st);
        sleep_ms(100);
    }
    assert_true(p3 > 0);
    assert_int_equal(count_user_procs(u[2].id, NULL, 0, &nb), 2);
    assert_int_equal(nb, 1);
    /* no tick of bot 0 is missing in its stream, across the orchestrator's absence */
    sleep_ms(600);
    Sath__V1__GetBotLogsResponse *r = botcall_logs(&u[0], 5000, 0);
    assert_non_null(r);
    int max = -1;
    static unsigned char seen[100000];
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < r->n_lines; i++) {
        int t;
        if (sscanf(r->lines[i]->text, "tick %d", &t) == 1 && t >= 0 && t < (int)sizeof seen) {
            seen[t] = 1;
            if (t > max)
                max = t;
        }
    }
    assert_true(max >= 25); /* 100 ms ticks for > 3 s */
    for (int t = 0; t <= max; t++)
        assert_true(seen[t]);
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    for (int i = 0; i < 3; i++)
        botuser_free(&u[i]);
}

/* sathd restarts while the bot runs: the bot is untouched and the answers are the same. */
static void sathd_restart_keeps_state(void **state)
{
    botenv *e = *state;
    botuser u;
    Sath__V1__BotStatus *st = botcall_new_running_user(e, &u, WAIT_MS);
    pid_t pid = running_pid(st);
    char run[37];
    snprintf(run, sizeof run, "%s", st->run_id);
    botcall_free_status(st);
    assert_int_equal(botenv_sathd_restart(e), 0);
    assert_int_equal(botuser_reconnect(e, &u), 0);
    st = botuser_status(&u);
    assert_non_null(st);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    assert_string_equal(st->run_id, run);
    assert_int_equal(running_pid(st), pid);
    botcall_free_status(st);
    assert_int_equal(kill(pid, 0), 0);
    assert_true(botcall_log_line(&u, "tick", NULL, 0, 2000));
    Sath__V1__GetBotConfigRequest gq = SATH__V1__GET_BOT_CONFIG_REQUEST__INIT;
    Sath__V1__BotConfig *cfg = NULL;
    assert_int_equal(sath_bot_get_bot_config(u.c, &gq, &cfg, NULL), SATH_OK);
    assert_int_equal(cfg->n_symbols, 1);
    assert_string_equal(cfg->symbols[0], "BTCUSDT");
    assert_int_equal(cfg->capital_cents, 50000);
    sath__v1__bot_config__free_unpacked(cfg, NULL);
    botuser_free(&u);
}

/* UpdateBotConfig's status, or -999 when want_in_msg is not in its message. */
static int config_err(botuser *u, int n, int64_t capital, int live, const char *want_in_msg)
{
    botcfg cfg = {.n_symbols = n, .capital_cents = capital, .live = live, .risk_bps = 100};
    sath_call_opts *o = NULL;
    sath_call_opts_new(&o);
    int rc = botuser_store_config(u, &cfg, o);
    const char *m = sath_call_opts_status_message(o);
    if (want_in_msg && (!m || !strstr(m, want_in_msg))) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", m ? m : "", want_in_msg);
        rc = -999;
    }
    sath_call_opts_free(o);
    return rc;
}

/* free plan: 1 symbol, 1000.00, paper only; checked at config time and again at start. */
static void plan_limits(void **state)
{
    botenv *e = *state;
    botuser u;
    int rc;
    assert_int_equal(botuser_new(e, &u), 0);
    assert_int_equal(config_err(&u, 2, 50000, 0, "max_symbols"), SATH_FAILED_PRECONDITION);
    assert_int_equal(config_err(&u, 1, 100001, 0, "max_capital"), SATH_FAILED_PRECONDITION);
    assert_int_equal(config_err(&u, 1, 50000, 1, "exchange_key_id"), SATH_INVALID_ARGUMENT);
    assert_int_equal(config_err(&u, 1, 0, 0, "capital_cents"), SATH_INVALID_ARGUMENT);
    /* on pro (an active subscription): 3 symbols, live-capable */
    assert_int_equal(sathd_proc_set_plan(&e->sathd, u.id, "pro"), 0);
    assert_int_equal(config_err(&u, 3, 5000000, 0, NULL), SATH_OK);
    /* the payment failed 8 days ago and no webhook came since: past due, the 7-day grace
     * over, users.plan_id still pro as the last webhook left it.  The effective plan is
     * free: the stored config no longer fits, start refuses */
    assert_int_equal(sathd_proc_set_past_due(&e->sathd, u.id, 8), 0);
    sath_call_opts *o = NULL;
    sath_call_opts_new(&o);
    Sath__V1__StartBotRequest req = SATH__V1__START_BOT_REQUEST__INIT;
    Sath__V1__BotStatus *st = NULL;
    rc = sath_bot_start_bot(u.c, &req, &st, o);
    assert_int_equal(rc, SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_call_opts_status_message(o), "plan free allows 1 symbols"));
    sath_call_opts_free(o);
    botcall_free_status(st);
    /* ... and the refusal kept the plan billing recomputed */
    char *n = sathd_proc_plan_name(&e->sathd, u.id);
    assert_string_equal(n, "free");
    free(n);
    /* a stale users.plan_id (pro) does not let a config past the free plan either */
    free(sathd_proc_sql(&e->sathd, "UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'pro') "
                                   "WHERE id = $1::uuid", u.id));
    assert_int_equal(config_err(&u, 3, 50000, 0, "plan free allows 1 symbols"), SATH_FAILED_PRECONDITION);
    n = sathd_proc_plan_name(&e->sathd, u.id);
    assert_string_equal(n, "free");
    free(n);
    /* live mode asked at start on a paper-only plan */
    assert_int_equal(config_err(&u, 1, 50000, 0, NULL), SATH_OK);
    req.mode = SATH__V1__BOT_MODE__BOT_MODE_LIVE;
    sath_call_opts_new(&o);
    rc = sath_bot_start_bot(u.c, &req, &st, o);
    assert_int_equal(rc, SATH_FAILED_PRECONDITION);
    assert_non_null(strstr(sath_call_opts_status_message(o), "live_trading"));
    sath_call_opts_free(o);
    botcall_free_status(st);
    char *runs = sathd_proc_sql(&e->sathd, "SELECT count(*) FROM bot_runs WHERE user_id = $1", u.id);
    assert_string_equal(runs, "0");
    free(runs);
    /* Plan carries the flag */
    Sath__V1__ListPlansRequest lq = SATH__V1__LIST_PLANS_REQUEST__INIT;
    Sath__V1__ListPlansResponse *lp = NULL;
    assert_int_equal(sath_billing_list_plans(u.c, &lq, &lp, NULL), SATH_OK);
    int seen = 0;
    for (size_t i = 0; i < lp->n_plans; i++) {
        if (strcmp(lp->plans[i]->name, "free") == 0)
            seen += !lp->plans[i]->live_trading;
        if (strcmp(lp->plans[i]->name, "pro") == 0)
            seen += lp->plans[i]->live_trading;
    }
    assert_int_equal(seen, 2);
    sath__v1__list_plans_response__free_unpacked(lp, NULL);
    botuser_free(&u);
}

/* Creates a binance key for `owner` (api_key / api_secret as given) and stores, as
 * `as_user`, a paper config trading with it; returns UpdateBotConfig's status. */
static int config_with_key(botuser *owner, botuser *as_user, const char *api_key,
                           const char *api_secret)
{
    char key_id[37];
    assert_int_equal(botuser_exchange_key(owner, NULL, api_key, api_secret, 0, key_id), SATH_OK);
    botcfg cfg = {.n_symbols = 1, .capital_cents = 1000, .risk_bps = 10, .exchange_key_id = key_id};
    return botuser_store_config(as_user, &cfg, NULL);
}

/* Another user sees nothing of A's bot, cannot stop it, cannot use A's key. */
static void cross_user(void **state)
{
    botenv *e = *state;
    botuser a, b;
    pid_t pid = new_running_bot(e, &a);
    assert_int_equal(botuser_new(e, &b), 0);
    assert_true(botcall_log_line(&a, "tick", NULL, 0, WAIT_MS));

    Sath__V1__BotStatus *st = botuser_status(&b);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_UNSPECIFIED);
    assert_string_equal(st->id, "");
    assert_string_equal(st->container_id, "");
    botcall_free_status(st);
    botcall_free_status(botcall(&b, "stop"));
    Sath__V1__GetBotLogsResponse *r = botcall_logs(&b, 100, 0);
    assert_non_null(r);
    assert_int_equal(r->n_lines, 0);
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    Sath__V1__GetBotConfigRequest gq = SATH__V1__GET_BOT_CONFIG_REQUEST__INIT;
    Sath__V1__BotConfig *cfg = NULL;
    assert_int_equal(sath_bot_get_bot_config(b.c, &gq, &cfg, NULL), SATH_NOT_FOUND);
    /* A's exchange key is not B's */
    assert_int_equal(config_with_key(&a, &b, "AKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                     "SECRETbbbbbbbbbbbbbbbbbbbbbbbbbb"), SATH_INVALID_ARGUMENT);
    assert_int_equal(config_with_key(&a, &a, "AKEYcccccccccccccccccccccccccccc",
                                     "SECRETdddddddddddddddddddddddddd"), SATH_OK);
    sleep_ms(500);
    assert_int_equal(kill(pid, 0), 0); /* B's stop did nothing to A */
    st = botuser_status(&a);
    assert_int_equal(st->state, SATH__V1__BOT_STATE__BOT_STATE_RUNNING);
    botcall_free_status(st);
    botuser_free(&a);
    botuser_free(&b);
}

/* The bot's argv and environment, the supervisor's, the log and the orchestrator's log
 * hold neither the exchange secret nor the run token; the bot did get a token. */
static void no_secrets(void **state)
{
    botenv *e = *state;
    botuser u;
    assert_int_equal(botuser_new(e, &u), 0);
    assert_int_equal(config_with_key(&u, &u, "AKEYzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
                                     "TOPSECRETqqqqqqqqqqqqqqqqqqqqqqq"), SATH_OK);
    botcall_free_status(botcall(&u, "start"));
    Sath__V1__BotStatus *st = botuser_wait(&u, SATH__V1__BOT_STATE__BOT_STATE_RUNNING, WAIT_MS);
    pid_t pid = running_pid(st);
    botcall_free_status(st);
    assert_true(pid > 0);
    assert_true(botcall_log_line(&u, "\"token_bytes\":50", NULL, 0, WAIT_MS)); /* sathrt_ + 43 */
    pid_t procs[2] = {pid, 0};
    char path[512], buf[256];
    snprintf(path, sizeof path, "%s/bot_user_%s/pid", e->state_dir, u.id);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_int_equal(sscanf(strstr(buf, "sup="), "sup=%d", &procs[1]), 1);
    const char *secrets[] = {"TOPSECRET", "AKEYzzzz", "sathrt_"};
    for (int p = 0; p < 2; p++)
        for (int s = 0; s < 3; s++) {
            snprintf(path, sizeof path, "/proc/%d/environ", procs[p]);
            assert_int_equal(file_contains(path, secrets[s]), 0);
            snprintf(path, sizeof path, "/proc/%d/cmdline", procs[p]);
            assert_int_equal(file_contains(path, secrets[s]), 0);
        }
    snprintf(path, sizeof path, "/proc/%d/environ", pid);
    assert_int_equal(file_contains(path, "SATH_RUN_TOKEN_FD=3"), 1);
    assert_int_equal(file_contains(path, "SATH_RUN_ID="), 1);
    for (int s = 0; s < 3; s++)
        assert_int_equal(file_contains(e->orch_log, secrets[s]), 0);
    Sath__V1__GetBotLogsResponse *r = botcall_logs(&u, 5000, 0);
    for (size_t i = 0; i < r->n_lines; i++)
        for (int s = 0; s < 3; s++)
            assert_null(strstr(r->lines[i]->text, secrets[s]));
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    /* only a SHA-256 of the token is stored */
    char *h = sathd_proc_sql(&e->sathd, "SELECT token_hash FROM bot_runs WHERE user_id = $1", u.id);
    assert_int_equal(strlen(h), 64);
    free(h);
    botuser_free(&u);
}

/* DeleteMe stops the bot and the orchestrator removes what it ran. */
static void delete_me_stops_bot(void **state)
{
    botenv *e = *state;
    botuser u;
    int nb;
    botcall_free_status(botcall_new_running_user(e, &u, WAIT_MS));
    Sath__V1__DeleteMeRequest dq = SATH__V1__DELETE_ME_REQUEST__INIT;
    dq.password = (char *)BOTUSER_PASSWORD;
    Sath__V1__DeleteMeResponse *dr = NULL;
    assert_int_equal(sath_user_delete_me(u.c, &dq, &dr, NULL), SATH_OK);
    sath__v1__delete_me_response__free_unpacked(dr, NULL);
    int gone = 0;
    for (int w = 0; w < WAIT_MS && !gone; w += 100) {
        gone = count_user_procs(u.id, NULL, 0, &nb) == 0;
        sleep_ms(100);
    }
    assert_true(gone);
    char path[512];
    snprintf(path, sizeof path, "%s/bot_user_%s", e->state_dir, u.id);
    sleep_ms(300);
    assert_int_equal(access(path, F_OK), -1);
    char *s = sathd_proc_sql(&e->sathd, "SELECT status || ' ' || desired_state FROM bot_instances "
                                        "WHERE user_id = $1", u.id);
    assert_string_equal(s, "stopped stopped");
    free(s);
    botuser_free(&u);
}

static const char *const rotate_env[] = {"SATH_BOT_ARGS=--burst 3000 --interval-ms 100",
                                         "SATH_BOT_LOG_MAX_BYTES=8192", "SATH_BOT_LOG_KEEP=1000",
                                         NULL};

/* 3000 lines at once through 8 KiB rotated files: every one arrives, in order; tail and
 * since select as the contract says. */
static void logs_rotation_tail_since(void **state)
{
    botenv *e = *state;
    botuser u;
    botcall_new_started_user(e, &u);
    assert_true(botcall_log_line(&u, "burst line 2999", NULL, 0, WAIT_MS));
    Sath__V1__GetBotLogsResponse *r = botcall_logs(&u, 5000, 0);
    int next = 0;
    for (size_t i = 0; i < r->n_lines; i++) {
        int n;
        if (sscanf(r->lines[i]->text, "burst line %d", &n) == 1) {
            assert_int_equal(n, next);
            next++;
        }
    }
    assert_int_equal(next, 3000);
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    r = botcall_logs(&u, 10, 0);
    assert_int_equal(r->n_lines, 10);
    assert_string_equal(r->lines[0]->stream, "stdout");
    int64_t last_ms = r->lines[9]->time->seconds * 1000 + r->lines[9]->time->nanos / 1000000;
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    sleep_ms(500);
    r = botcall_logs(&u, 5000, last_ms + 1);
    assert_true(r->n_lines >= 2 && r->n_lines < 30);
    for (size_t i = 0; i < r->n_lines; i++)
        assert_true(r->lines[i]->time->seconds * 1000 + r->lines[i]->time->nanos / 1000000 > last_ms);
    sath__v1__get_bot_logs_response__free_unpacked(r, NULL);
    Sath__V1__GetBotLogsRequest bad = SATH__V1__GET_BOT_LOGS_REQUEST__INIT;
    bad.tail = 5001;
    assert_int_equal(sath_bot_get_bot_logs(u.c, &bad, &r, NULL), SATH_INVALID_ARGUMENT);
    /* a since no Timestamp can hold (seconds * 1000 would overflow): refused, not wrapped */
    Google__Protobuf__Timestamp huge = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    huge.seconds = INT64_MAX;
    bad.tail = 0;
    bad.since = &huge;
    assert_int_equal(sath_bot_get_bot_logs(u.c, &bad, &r, NULL), SATH_INVALID_ARGUMENT);
    botuser_free(&u);
}

typedef struct follower {
    botuser *u;
    int rc;
    int ticks, saw_stop;
    size_t lines;
} follower;

static int on_follow(void *arg, const Sath__V1__LogLine *l)
{
    follower *f = arg;
    f->lines++;
    f->ticks += strncmp(l->text, "tick ", 5) == 0;
    f->saw_stop |= strstr(l->text, "stopping on SIGTERM") != NULL;
    return 0;
}

static void *follow_main(void *arg)
{
    follower *f = arg;
    Sath__V1__FollowBotLogsRequest req = SATH__V1__FOLLOW_BOT_LOGS_REQUEST__INIT;
    req.tail = 1;
    f->rc = sath_bot_follow_bot_logs(f->u->c, &req, on_follow, f, NULL);
    return NULL;
}

/* FollowBotLogs streams new lines as they come and ends when the run ends; another
 * user's follow sees nothing and ends at once. */
static void follow_until_run_ends(void **state)
{
    botenv *e = *state;
    botuser u, b;
    botcall_free_status(botcall_new_running_user(e, &u, WAIT_MS));
    assert_int_equal(botuser_new(e, &b), 0);
    assert_true(botcall_log_line(&u, "tick 2", NULL, 0, WAIT_MS));
    follower f = {.u = &u};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, follow_main, &f), 0);
    for (int w = 0; w < WAIT_MS && f.ticks < 6; w += 50)
        sleep_ms(50);
    if (f.ticks < 6)
        fprintf(stderr, "follow: rc %d lines %zu ticks %d (sathd log %s)\n", f.rc, f.lines, f.ticks, e->sathd.log_path);
    assert_true(f.ticks >= 6); /* live lines, not just the tail of 1 */
    botcall_free_status(botcall(&u, "stop"));
    pthread_join(th, NULL);
    assert_int_equal(f.rc, SATH_OK);
    assert_true(f.saw_stop);
    follower g = {.u = &b};
    follow_main(&g);
    assert_int_equal(g.rc, SATH_OK);
    assert_int_equal(g.lines, 0);
    Sath__V1__FollowBotLogsRequest bad = SATH__V1__FOLLOW_BOT_LOGS_REQUEST__INIT;
    bad.tail = -1;
    assert_int_equal(sath_bot_follow_bot_logs(u.c, &bad, on_follow, &g, NULL), SATH_INVALID_ARGUMENT);
    botuser_free(&u);
    botuser_free(&b);
}

typedef struct rest_follow {
    char *buf;
    size_t len;
    int stop_after_ticks;
    botuser *u;
    int stopped;
} rest_follow;

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    rest_follow *f = arg;
    char *nb = realloc(f->buf, f->len + sz * n + 1);
    if (!nb)
        return 0;
    f->buf = nb;
    memcpy(f->buf + f->len, p, sz * n);
    f->len += sz * n;
    f->buf[f->len] = '\0';
    int ticks = 0;
    for (const char *q = f->buf; (q = strstr(q, "\"text\":\"tick ")) != NULL; q++)
        ticks++;
    if (!f->stopped && ticks >= f->stop_after_ticks) {
        /* the run ends: the stream must end too (no cmocka assert in here: it would
         * longjmp out of libcurl; a stop that failed shows as a stream that never ends) */
        Sath__V1__StopBotRequest req = SATH__V1__STOP_BOT_REQUEST__INIT;
        Sath__V1__BotStatus *st = NULL;
        sath_bot_stop_bot(f->u->c, &req, &st, NULL);
        botcall_free_status(st);
        f->stopped = 1;
    }
    return sz * n;
}

/* GET /api/v1/bot/logs/follow: 200, newline-delimited {"result": LogLine} objects as the
 * bot writes them, the body ending when the run ends. */
static void rest_follow_ndjson(void **state)
{
    botenv *e = *state;
    botuser u;
    assert_true(e->sathd.http_port > 0);
    botcall_free_status(botcall_new_running_user(e, &u, WAIT_MS));
    Sath__V1__LoginRequest lq = SATH__V1__LOGIN_REQUEST__INIT;
    lq.email = u.email;
    lq.password = (char *)BOTUSER_PASSWORD;
    Sath__V1__LoginResponse *lr = NULL;
    assert_int_equal(sath_auth_login(u.c, &lq, &lr, NULL), SATH_OK);
    char url[128], auth[1200];
    snprintf(url, sizeof url, "%s/api/v1/bot/logs/follow?tail=2", e->sathd.http_base);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", lr->access_token);
    sath__v1__login_response__free_unpacked(lr, NULL);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    rest_follow f = {.stop_after_ticks = 5, .u = &u};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long code = 0;
    char *ctype = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
    assert_int_equal(code, 200);
    assert_non_null(ctype);
    assert_non_null(strstr(ctype, "application/json"));
    assert_true(f.stopped);
    /* every line one {"result": ...} object; the last lines are the bot's goodbye */
    int lines = 0;
    for (char *save = NULL, *l = strtok_r(f.buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        assert_int_equal(strncmp(l, "{\"result\":{", 11), 0);
        lines++;
    }
    assert_true(lines >= 7);
    free(f.buf);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    botuser_free(&u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(lifecycle, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(idempotent_and_race, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(crash_backoff_failed, botenv_setup, botenv_teardown, (void *)crash_env),
        cmocka_unit_test_prestate_setup_teardown(memory_limit_oom, botenv_setup, botenv_teardown, (void *)oom_env),
        cmocka_unit_test_prestate_setup_teardown(orchestrator_killed_readopts, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(sathd_restart_keeps_state, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(plan_limits, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(cross_user, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(no_secrets, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(delete_me_stops_bot, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(logs_rotation_tail_since, botenv_setup, botenv_teardown, (void *)rotate_env),
        cmocka_unit_test_prestate_setup_teardown(follow_until_run_ends, botenv_setup, botenv_teardown, NULL),
        cmocka_unit_test_prestate_setup_teardown(rest_follow_ndjson, botenv_setup, botenv_teardown, NULL),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
