/*
 * reconcile.c - one bot: compare desired (bot_instances.desired_state, current_run_id)
 * with what the backend observes, act, and write the observation back.
 *
 * Invariants:
 *   - Everything happens under the bot's session advisory lock; another orchestrator
 *     that cannot take it skips the bot (it is being handled).
 *   - The backend never holds two bots for a user (its namespace is per user), and a
 *     run other than the current one is stopped before the current one starts.
 *   - Restart policy only acts while the user wants the bot running: a user's stop sets
 *     desired 'stopped' first, so it is never undone here.  A failing run is restarted
 *     after base * 2^(failures-1) ms (capped); `restart_max` failures within
 *     `restart_window_s` make it FAILED, and desired goes to 'stopped' with the reason.
 *   - Log lines of a run are shipped before the backend forgets the run (remove).
 *   - A run's token is revoked (hash cleared) as soon as the run ends; each attempt gets
 *     a fresh one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/log.h"
#include "orch.h"

#define LOCK_NS 8211 /* first key of our advisory locks: bots */
#define MS(col) "coalesce((extract(epoch FROM " col ") * 1000)::bigint, 0)"

static const sathd_pg_stmt st_lock = {
    "orch_lock", "SELECT pg_try_advisory_lock(8211, hashtext($1))", 1};
static const sathd_pg_stmt st_unlock = {
    "orch_unlock", "SELECT pg_advisory_unlock(8211, hashtext($1))", 1};
static const sathd_pg_stmt st_load = {
    "orch_load",
    "SELECT b.user_id, b.desired_state, b.generation, coalesce(b.current_run_id::text, ''), "
    "b.status, coalesce(r.mode, b.mode), coalesce(r.state, ''), coalesce(r.failures, 0), "
    MS("r.window_started_at") ", " MS("r.next_attempt_at") ", coalesce(r.log_cursor, 0), "
    "coalesce(r.attempts, 0), u.is_active, coalesce(p.name, '') "
    "FROM bot_instances b JOIN users u ON u.id = b.user_id "
    "LEFT JOIN plans p ON p.id = u.plan_id "
    "LEFT JOIN bot_runs r ON r.id = b.current_run_id WHERE b.id = $1",
    1};
static const sathd_pg_stmt st_run_cursor = {
    "orch_run_cursor", "SELECT log_cursor, state FROM bot_runs WHERE id = $1 AND user_id = $2", 2};
static const sathd_pg_stmt st_cursor_set = {
    "orch_cursor_set", "UPDATE bot_runs SET log_cursor = $2 WHERE id = $1", 2};
/* a run attempt begins: fresh token, attempts + 1 */
static const sathd_pg_stmt st_attempt = {
    "orch_attempt",
    "UPDATE bot_runs SET state = 'starting', attempts = attempts + 1, token_hash = $2, "
    "token_expires_at = now() + make_interval(secs => $3::int), token_revoked_at = NULL, "
    "log_cursor = 0 WHERE id = $1",
    3};
static const sathd_pg_stmt st_run_running = {
    "orch_run_running",
    "UPDATE bot_runs SET state = 'running', handle = $2, started_at = coalesce(started_at, now()), "
    "next_attempt_at = NULL, last_error = '' WHERE id = $1",
    2};
/* $2 state, $3 exit code (NULL), $4 oom, $5 error */
static const sathd_pg_stmt st_run_end = {
    "orch_run_end",
    "UPDATE bot_runs SET state = $2, ended_at = coalesce(ended_at, now()), exit_code = coalesce($3::int, exit_code), "
    "oom_killed = $4, last_error = CASE WHEN $5 = '' THEN last_error ELSE $5 END, "
    "token_hash = NULL, token_revoked_at = coalesce(token_revoked_at, now()) "
    "WHERE id = $1 AND ended_at IS NULL",
    5};
/* a failed attempt that will be retried: $2 failures, $3 window start ms, $4 delay ms */
static const sathd_pg_stmt st_run_backoff = {
    "orch_run_backoff",
    "UPDATE bot_runs SET state = 'backoff', failures = $2, "
    "window_started_at = to_timestamp($3::bigint / 1000.0), "
    "next_attempt_at = now() + make_interval(secs => $4::bigint / 1000.0), exit_code = $5::int, "
    "oom_killed = $6, last_error = $7, token_hash = NULL, token_revoked_at = now() WHERE id = $1",
    7};
/* the observation: $2 status, $3 handle, $4 started ms (0 keep), $5 stopped (bool),
 * $6 message (NULL keep), $7 exit code (NULL keep), $8 oom, $9 restarts delta (ours),
 * $10 generation seen, $11 backend, $12 the engine's restarts of the run (never lowers the
 * count: the engine forgets old tasks), $13 node (NULL keep; '' whenever not running) */
static const sathd_pg_stmt st_observe = {
    "orch_observe",
    "UPDATE bot_instances SET status = $2, container_id = coalesce(nullif($3, ''), container_id), "
    "started_at = CASE WHEN $4::bigint > 0 THEN to_timestamp($4::bigint / 1000.0) ELSE started_at END, "
    "stopped_at = CASE WHEN $5::bool THEN now() ELSE stopped_at END, "
    "message = coalesce($6, message), last_exit_code = coalesce($7::int, last_exit_code), "
    "oom_killed = $8, restarts = greatest(restarts + $9::int, $12::int), "
    "observed_generation = greatest(observed_generation, $10::bigint), "
    "backend = $11, node = CASE WHEN $2 = 'running' THEN coalesce($13, node) ELSE '' END, "
    "observed_at = now() WHERE id = $1",
    13};
/* the bot gave up (FAILED) or finished: desired goes to stopped without a new request */
static const sathd_pg_stmt st_desire_stop = {
    "orch_desire_stop",
    "UPDATE bot_instances SET desired_state = 'stopped' WHERE id = $1 AND current_run_id = $2", 2};

typedef struct bot_row {
    const char *id;
    char user[37], run[37], desired[16], status[16], mode[8], run_state[16], plan[40];
    long long generation, window_ms, next_ms;
    int failures, attempts, active;
    uint64_t cursor;
} bot_row;

static PGresult *q(sathd_pg_conn *c, const sathd_pg_stmt *st, const char *const *p)
{
    PGresult *r = sathd_pg_query(c, st, p, 0);
    if (!r)
        sathd_log(SATHD_LOG_WARN, "msg=\"orchestrator query failed\" stmt=%s reason=\"%s\"", st->name,
                  sathd_pg_last_error(c)->message);
    return r;
}

static int q0(sathd_pg_conn *c, const sathd_pg_stmt *st, const char *const *p)
{
    PGresult *r = q(c, st, p);
    PQclear(r);
    return r ? 0 : -1;
}

static int load(sathd_pg_conn *c, const char *id, bot_row *b)
{
    const char *p[1] = {id};
    PGresult *r = q(c, &st_load, p);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return 1;
    }
    memset(b, 0, sizeof *b);
    b->id = id;
    snprintf(b->user, sizeof b->user, "%s", PQgetvalue(r, 0, 0));
    snprintf(b->desired, sizeof b->desired, "%s", PQgetvalue(r, 0, 1));
    b->generation = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
    snprintf(b->run, sizeof b->run, "%s", PQgetvalue(r, 0, 3));
    snprintf(b->status, sizeof b->status, "%s", PQgetvalue(r, 0, 4));
    snprintf(b->mode, sizeof b->mode, "%s", PQgetvalue(r, 0, 5));
    snprintf(b->run_state, sizeof b->run_state, "%s", PQgetvalue(r, 0, 6));
    b->failures = atoi(PQgetvalue(r, 0, 7));
    b->window_ms = strtoll(PQgetvalue(r, 0, 8), NULL, 10);
    b->next_ms = strtoll(PQgetvalue(r, 0, 9), NULL, 10);
    b->cursor = strtoull(PQgetvalue(r, 0, 10), NULL, 10);
    b->attempts = atoi(PQgetvalue(r, 0, 11));
    b->active = PQgetvalue(r, 0, 12)[0] == 't';
    snprintf(b->plan, sizeof b->plan, "%s", PQgetvalue(r, 0, 13));
    PQclear(r);
    return 0;
}

typedef struct observation {
    const char *status;  /* starting | running | stopping | stopped | failed */
    const char *handle;
    int64_t started_ms;
    int stopped;
    const char *message; /* NULL: keep */
    int has_exit, exit_code, oom;
    int restarts_delta;
    const sathd_bot_observed *seen; /* the backend's view of the current run, when there is
                                       one: its engine's restarts and node */
} observation;

static int observe(orch *o, sathd_pg_conn *c, const bot_row *b, const observation *ob)
{
    char started[24], exit_code[16], delta[8], gen[24], engine[16];
    snprintf(started, sizeof started, "%lld", (long long)ob->started_ms);
    snprintf(exit_code, sizeof exit_code, "%d", ob->exit_code);
    snprintf(delta, sizeof delta, "%d", ob->restarts_delta);
    snprintf(gen, sizeof gen, "%lld", b->generation);
    int same = ob->seen && strcmp(ob->seen->run_id, b->run) == 0;
    snprintf(engine, sizeof engine, "%d", same ? ob->seen->restarts : 0);
    const char *p[13] = {b->id, ob->status, ob->handle ? ob->handle : "", started,
                         ob->stopped ? "true" : "false", ob->message,
                         ob->has_exit ? exit_code : NULL, ob->oom ? "true" : "false", delta, gen,
                         o->be.ops->name, engine, same ? ob->seen->node : NULL};
    return q0(c, &st_observe, p);
}

/* Ships the lines of (user, run) and stores the cursor. */
static void ship_run(orch *o, sathd_pg_conn *c, redisContext **rc, const char *user,
                     const char *run)
{
    if (!*run)
        return;
    const char *p[2] = {run, user};
    PGresult *r = q(c, &st_run_cursor, p);
    if (!r || PQntuples(r) != 1) {
        PQclear(r);
        return;
    }
    uint64_t cur = strtoull(PQgetvalue(r, 0, 0), NULL, 10), was = cur;
    PQclear(r);
    orch_logs_ship(o, rc, user, run, &cur);
    if (cur != was) {
        char v[24];
        snprintf(v, sizeof v, "%llu", (unsigned long long)cur);
        const char *p2[2] = {run, v};
        q0(c, &st_cursor_set, p2);
    }
}

/* A run is over: revoke its token, record how, mark the end in the log stream. */
static void end_run(orch *o, sathd_pg_conn *c, redisContext **rc, const char *user,
                    const char *run, const char *state, const sathd_bot_observed *obs)
{
    char code[16];
    int has = obs && obs->state == SATHD_BOT_OBS_EXITED;
    snprintf(code, sizeof code, "%d", has ? obs->exit_code : 0);
    const char *p[5] = {run, state, has ? code : NULL, obs && obs->oom_killed ? "true" : "false",
                        obs ? obs->error : ""};
    PGresult *r = q(c, &st_run_end, p);
    int ended = r && atoi(PQcmdTuples(r)) == 1;
    PQclear(r);
    if (ended)
        orch_logs_end(o, rc, user, run, state);
}

/* Stops what runs for the user (any run), ships its lines, ends that run, removes it. */
static int take_down(orch *o, sathd_pg_conn *c, redisContext **rc, const bot_row *b,
                     sathd_bot_observed *obs, const char *end_state)
{
    int rc_ = 0;
    if (obs->state == SATHD_BOT_OBS_RUNNING || obs->state == SATHD_BOT_OBS_PENDING) {
        rc_ = o->be.ops->stop(o->be.self, b->user, o->cfg.be.stop_grace_s, obs);
        if (rc_ != 0) {
            sathd_log(SATHD_LOG_WARN, "msg=\"bot stop failed\" user=%s reason=\"%s\"", b->user,
                      obs->error);
            return -1;
        }
    }
    if (*obs->run_id) {
        ship_run(o, c, rc, b->user, obs->run_id);
        end_run(o, c, rc, b->user, obs->run_id, end_state, obs);
    }
    if (obs->state != SATHD_BOT_OBS_ABSENT && o->be.ops->remove(o->be.self, b->user) != 0)
        return -1;
    return 0;
}

static void spec_env(orch *o, const bot_row *b, char env[6][128], const char *envp[7])
{
    snprintf(env[0], 128, "%s=%s", SATHD_BOT_ENV_BOT_ID, b->id);
    snprintf(env[1], 128, "%s=%s", SATHD_BOT_ENV_RUN_ID, b->run);
    snprintf(env[2], 128, "%s=%s", SATHD_BOT_ENV_USER_ID, b->user);
    snprintf(env[3], 128, "%s=%s", SATHD_BOT_ENV_MODE, b->mode);
    snprintf(env[4], 128, "%s=%s", SATHD_BOT_ENV_ADDR, o->cfg.bot_addr ? o->cfg.bot_addr : "");
    snprintf(env[5], 128, "PATH=/usr/local/bin:/usr/bin:/bin");
    for (int i = 0; i < 6; i++)
        envp[i] = env[i];
    envp[6] = NULL;
}

/* Backoff before attempt after `failures` failures. */
static long long backoff_ms(const orch *o, int failures)
{
    long long d = o->cfg.backoff_base_ms;
    for (int i = 1; i < failures && d < o->cfg.backoff_max_ms; i++)
        d *= 2;
    return d < o->cfg.backoff_max_ms ? d : o->cfg.backoff_max_ms;
}

/* The current run failed (exit != 0 or could not start): back off or give up. */
static void run_failed(orch *o, sathd_pg_conn *c, redisContext **rc, bot_row *b,
                       const sathd_bot_observed *obs, const char *why)
{
    long long now = sathd_bot_now_ms();
    long long window = b->window_ms;
    int failures = b->failures;
    if (!window || now - window > (long long)o->cfg.restart_window_s * 1000) {
        window = now;
        failures = 0;
    }
    failures++;
    char msg[400];
    if (failures >= o->cfg.restart_max) {
        snprintf(msg, sizeof msg, "failed %d times within %ds, giving up: %s", failures,
                 o->cfg.restart_window_s, why);
        end_run(o, c, rc, b->user, b->run, "failed", obs);
        const char *p[2] = {b->id, b->run};
        q0(c, &st_desire_stop, p);
        observation ob = {.status = "failed", .stopped = 1, .message = msg,
                          .has_exit = obs && obs->state == SATHD_BOT_OBS_EXITED,
                          .exit_code = obs ? obs->exit_code : 0, .oom = obs && obs->oom_killed,
                          .seen = obs};
        observe(o, c, b, &ob);
        sathd_log(SATHD_LOG_WARN, "msg=\"bot failed\" user=%s run=%s failures=%d", b->user, b->run,
                  failures);
        return;
    }
    long long delay = backoff_ms(o, failures);
    snprintf(msg, sizeof msg, "restarting in %.1fs (failure %d of %d): %s", delay / 1000.0,
             failures, o->cfg.restart_max, why);
    char f[12], w[24], d[24], code[16];
    snprintf(f, sizeof f, "%d", failures);
    snprintf(w, sizeof w, "%lld", window);
    snprintf(d, sizeof d, "%lld", delay);
    snprintf(code, sizeof code, "%d", obs ? obs->exit_code : -1);
    const char *p[7] = {b->run, f, w, d, obs && obs->state == SATHD_BOT_OBS_EXITED ? code : NULL,
                        obs && obs->oom_killed ? "true" : "false", why};
    q0(c, &st_run_backoff, p);
    observation ob = {.status = "starting", .stopped = 1, .message = msg,
                      .has_exit = obs && obs->state == SATHD_BOT_OBS_EXITED,
                      .exit_code = obs ? obs->exit_code : 0, .oom = obs && obs->oom_killed,
                      .restarts_delta = 1};
    observe(o, c, b, &ob);
    sathd_log(SATHD_LOG_INFO, "msg=\"bot crashed, backing off\" user=%s run=%s failures=%d delay_ms=%lld",
              b->user, b->run, failures, delay);
}

static void start_current(orch *o, sathd_pg_conn *c, redisContext **rc, bot_row *b)
{
    if (b->next_ms && b->next_ms > sathd_bot_now_ms())
        return; /* backing off; the poll comes back */
    /* container backends run the image's program; only the process backend needs a path */
    if (strcmp(o->be.ops->name, "process") == 0 && (!o->cfg.program || !*o->cfg.program)) {
        sathd_bot_observed none = {0};
        run_failed(o, c, rc, b, &none, "no bot program configured (SATH_BOT_PROGRAM)");
        return;
    }
    char token[96], hash[65], ttl[16];
    orch_token_mint(token, sizeof token, hash);
    snprintf(ttl, sizeof ttl, "%d", o->cfg.token_ttl_s);
    const char *p[3] = {b->run, hash, ttl};
    if (q0(c, &st_attempt, p) != 0) {
        sodium_memzero(token, sizeof token);
        return;
    }
    if (strcmp(b->status, "running") != 0) {
        observation ob0 = {.status = "starting"};
        observe(o, c, b, &ob0);
    }
    char env[6][128];
    const char *envp[7];
    spec_env(o, b, env, envp);
    sathd_bot_spec spec = {
        .user_id = b->user, .bot_id = b->id, .run_id = b->run, .mode = b->mode,
        .program = o->cfg.program, .image = o->cfg.be.image,
        .argv = (const char *const *)o->cfg.bot_args, .env = envp, .run_token = token,
        .stop_grace_s = o->cfg.be.stop_grace_s, .placement_class = b->plan,
    };
    sathd_bot_observed obs;
    int rc_ = o->be.ops->start(o->be.self, &spec, &obs);
    sodium_memzero(token, sizeof token);
    if (rc_ != 0) {
        /* what the supervisor said about it is in the run's log: ship it, then clear */
        ship_run(o, c, rc, b->user, b->run);
        o->be.ops->remove(o->be.self, b->user);
        run_failed(o, c, rc, b, NULL, obs.error[0] ? obs.error : "backend could not start the bot");
        return;
    }
    if (obs.state == SATHD_BOT_OBS_PENDING) {
        /* the engine has it but runs it later (no node fits yet, image pulling) */
        observation ob = {.status = "starting", .handle = obs.handle, .message = obs.error,
                          .seen = &obs};
        observe(o, c, b, &ob);
        sathd_log(SATHD_LOG_INFO, "msg=\"bot scheduled, pending\" user=%s run=%s reason=\"%s\"",
                  b->user, b->run, obs.error);
        return;
    }
    const char *p2[2] = {b->run, obs.handle};
    q0(c, &st_run_running, p2);
    observation ob = {.status = "running", .handle = obs.handle, .started_ms = obs.started_at_ms,
                      .message = "", .seen = &obs};
    observe(o, c, b, &ob);
    sathd_log(SATHD_LOG_INFO, "msg=\"bot started\" user=%s run=%s backend=%s handle=%s attempt=%d",
              b->user, b->run, o->be.ops->name, obs.handle, b->attempts + 1);
}

static void reconcile_locked(orch *o, sathd_pg_conn *c, redisContext **rc, bot_row *b)
{
    sathd_bot_observed obs;
    if (o->be.ops->inspect(o->be.self, b->user, &obs) != 0) {
        sathd_log(SATHD_LOG_WARN, "msg=\"bot inspect failed\" user=%s reason=\"%s\"", b->user, obs.error);
        return;
    }
    int want = strcmp(b->desired, "running") == 0 && *b->run && b->active;
    int same = *obs.run_id && strcmp(obs.run_id, b->run) == 0;
    /* lines first, whatever happens next */
    if (*obs.run_id)
        ship_run(o, c, rc, b->user, obs.run_id);

    if (!want) {
        if (obs.state != SATHD_BOT_OBS_ABSENT) {
            observation st = {.status = "stopping"};
            if (obs.state == SATHD_BOT_OBS_RUNNING)
                observe(o, c, b, &st);
            int was_running = obs.state == SATHD_BOT_OBS_RUNNING;
            if (take_down(o, c, rc, b, &obs, "stopped") != 0)
                return;
            observation ob = {.status = strcmp(b->status, "failed") == 0 ? "failed" : "stopped",
                              .stopped = was_running, .has_exit = obs.state == SATHD_BOT_OBS_EXITED,
                              .exit_code = obs.exit_code, .oom = obs.oom_killed};
            observe(o, c, b, &ob);
            sathd_log(SATHD_LOG_INFO, "msg=\"bot stopped\" user=%s run=%s", b->user, obs.run_id);
        } else {
            if (*b->run && strcmp(b->run_state, "stopped") != 0 && strcmp(b->run_state, "failed") != 0)
                end_run(o, c, rc, b->user, b->run, "stopped", NULL);
            int settled = strcmp(b->status, "stopped") == 0 || strcmp(b->status, "failed") == 0;
            observation ob = {.status = settled ? b->status : "stopped", .stopped = !settled,
                              .message = b->active ? NULL : "account deleted"};
            observe(o, c, b, &ob);
        }
        return;
    }

    if (same && obs.state == SATHD_BOT_OBS_RUNNING) {
        if (strcmp(b->status, "running") != 0 || strcmp(b->run_state, "running") != 0) {
            const char *p2[2] = {b->run, obs.handle};
            q0(c, &st_run_running, p2);
            observation ob = {.status = "running", .handle = obs.handle,
                              .started_ms = obs.started_at_ms, .message = "", .seen = &obs};
            observe(o, c, b, &ob);
        } else {
            /* a task the engine restarted runs again: only the restarts and node move */
            observation ob = {.status = "running", .handle = obs.handle, .seen = &obs};
            observe(o, c, b, &ob);
        }
        return;
    }
    int managed = (o->be.ops->flags & SATHD_BOT_BE_ENGINE_MANAGED) != 0;
    if (same && obs.state == SATHD_BOT_OBS_PENDING && managed) {
        /* scheduled, not placed (or between the engine's restarts): say why, wait */
        observation ob = {.status = "starting", .handle = obs.handle, .message = obs.error,
                          .seen = &obs};
        observe(o, c, b, &ob);
        return;
    }
    if (same && obs.state == SATHD_BOT_OBS_EXITED) {
        ship_run(o, c, rc, b->user, b->run);
        if (o->be.ops->remove(o->be.self, b->user) != 0)
            return;
        if (obs.exit_code == 0) {
            end_run(o, c, rc, b->user, b->run, "stopped", &obs);
            const char *p[2] = {b->id, b->run};
            q0(c, &st_desire_stop, p);
            observation ob = {.status = "stopped", .stopped = 1, .message = "the bot exited by itself (code 0)",
                              .has_exit = 1, .exit_code = 0};
            observe(o, c, b, &ob);
            return;
        }
        char why[300];
        snprintf(why, sizeof why, "%s%s", managed ? "the engine's restart policy gave up: " : "",
                 obs.error[0] ? obs.error : "exited");
        if (managed) {
            /* the engine already restarted it as often as the policy allows */
            b->window_ms = sathd_bot_now_ms();
            b->failures = o->cfg.restart_max - 1;
        }
        run_failed(o, c, rc, b, &obs, why);
        return;
    }
    if (obs.state != SATHD_BOT_OBS_ABSENT && managed) {
        /* another run: start() replaces it in place (ForceUpdate); its lines first */
        if (*obs.run_id)
            end_run(o, c, rc, b->user, obs.run_id, "stopped", NULL);
    } else if (obs.state != SATHD_BOT_OBS_ABSENT) {
        /* another run (an older one, or a restart was asked): it goes first */
        if (take_down(o, c, rc, b, &obs, "stopped") != 0)
            return;
    }
    start_current(o, c, rc, b);
}

int orch_reconcile(orch *o, sathd_pg_conn *c, redisContext **rc, const char *bot_id)
{
    const char *p[1] = {bot_id};
    PGresult *r = q(c, &st_lock, p);
    if (!r)
        return -1;
    int got = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!got)
        return 0; /* another orchestrator works on it */
    bot_row b;
    int lr = load(c, bot_id, &b);
    if (lr == 0)
        reconcile_locked(o, c, rc, &b);
    q0(c, &st_unlock, p);
    return lr < 0 ? -1 : 0;
}

static const sathd_pg_stmt st_user_lock = {
    "orch_user_lock", "SELECT pg_try_advisory_lock(8212, hashtext($1))", 1};
static const sathd_pg_stmt st_user_unlock = {
    "orch_user_unlock", "SELECT pg_advisory_unlock(8212, hashtext($1))", 1};

int orch_reap_orphan(orch *o, sathd_pg_conn *c, const char *user_id)
{
    const char *p[1] = {user_id};
    PGresult *r = q(c, &st_user_lock, p);
    int got = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (!got)
        return 0;
    sathd_bot_observed obs;
    int rc = 0;
    if (!o->cfg.remove_unknown) {
        sathd_log(SATHD_LOG_WARN, "msg=\"a bot of ours the database does not know; not removed "
                  "(SATH_BOT_REMOVE_UNKNOWN=0)\" user=%s", user_id);
    } else if (o->be.ops->inspect(o->be.self, user_id, &obs) == 0 &&
               obs.state != SATHD_BOT_OBS_ABSENT) {
        sathd_log(SATHD_LOG_INFO, "msg=\"removing a bot whose user is gone\" user=%s", user_id);
        if (obs.state == SATHD_BOT_OBS_RUNNING || obs.state == SATHD_BOT_OBS_PENDING)
            rc = o->be.ops->stop(o->be.self, user_id, o->cfg.be.stop_grace_s, &obs);
        if (rc == 0)
            rc = o->be.ops->remove(o->be.self, user_id);
    }
    q0(c, &st_user_unlock, p);
    return rc;
}
