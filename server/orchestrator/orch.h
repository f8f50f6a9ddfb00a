/*
 * orch.h - sath-orchestrator's pieces: configuration, the work queue of bot ids, the
 * reconciler of one bot, log shipping and run tokens.
 *
 * Model: the main thread LISTENs on `sath_bots` and polls every poll_ms; both put bot
 * ids on the queue (deduplicated; a bot being worked on is re-queued when it finishes
 * if asked again meanwhile).  Worker threads, each with its own PostgreSQL connection
 * and Redis context, take one bot at a time, take the bot's PostgreSQL advisory lock
 * (so several orchestrators never act on one bot at once), make the backend match the
 * desired state, and write what they observed back.  No mutable globals: everything
 * hangs off `orch`.
 */
#ifndef SATHD_ORCH_H
#define SATHD_ORCH_H

#include <pthread.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "sathd/bot_backend.h"
#include "sathd/config.h"
#include "sathd/pg.h"
#include "sathd/redis.h"

typedef struct orch_config {
    const char *database_url;
    sathd_redis_url redis_url;
    const char *backend;     /* SATH_BOT_BACKEND: process | docker | swarm */
    const char *program;     /* SATH_BOT_PROGRAM */
    char **bot_args;         /* SATH_BOT_ARGS split on spaces, NULL-terminated (never secrets) */
    const char *bot_addr;    /* SATH_BOT_SATHD_ADDR, else SATH_GRPC_ADDR: what bots dial */
    sathd_bot_backend_config be;
    int workers;             /* SATH_ORCH_WORKERS */
    int poll_ms;             /* SATH_ORCH_POLL_MS */
    int restart_max;         /* SATH_BOT_RESTART_MAX: failures in the window -> FAILED */
    int restart_window_s;    /* SATH_BOT_RESTART_WINDOW_S */
    int backoff_base_ms;     /* SATH_BOT_BACKOFF_BASE_MS */
    int backoff_max_ms;      /* SATH_BOT_BACKOFF_MAX_MS */
    int token_ttl_s;         /* SATH_BOT_TOKEN_TTL_S */
    int log_stream_max;      /* SATH_BOT_LOG_STREAM_MAX */
    int remove_unknown;      /* SATH_BOT_REMOVE_UNKNOWN: remove (1) or only report (0) bots
                                of ours without a bot row */
} orch_config;

/* Queue items: "b:<bot id>" (reconcile that bot) or "u:<user id>" (an orphan of ours
 * whose user has no active bot row: stop and remove it). */
typedef struct orch_item {
    char id[40];
    struct orch_item *next;
} orch_item;

typedef struct orch {
    orch_config cfg;
    sathd_bot_backend be;
    sathd_pg_pool *pg;
    sathd_redis_pool *redis;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    orch_item *head, *tail; /* queued bot ids */
    char (*busy)[40];       /* per worker: the item it works on ("" idle) */
    unsigned char *again;   /* per worker: asked again while busy */
    int stopping;
} orch;

/* Queue (thread-safe).  Adds item `kind`:`id` unless already queued; if a worker holds
 * it, marks it to be queued again when that worker is done. */
void orch_enqueue_item(orch *o, char kind, const char *id);
/* orch_enqueue_item(o, 'b', bot_id). */
void orch_enqueue(orch *o, const char *bot_id);
/* Worker thread body; arg is an orch_worker. */
typedef struct orch_worker {
    orch *o;
    int index;
} orch_worker;
void *orch_worker_main(void *arg);

/* Makes one bot's backend state match its desired state (holding its advisory lock).
 * Returns 0, or -1 when it could not (logged; the next poll retries). */
int orch_reconcile(orch *o, sathd_pg_conn *c, redisContext **rc, const char *bot_id);
/* Stops and removes a bot of ours whose user has no (active) bot row any more. */
int orch_reap_orphan(orch *o, sathd_pg_conn *c, const char *user_id);

/* Ships the lines of (user, run) after *cursor into the user's Redis stream; updates
 * *cursor to what was shipped.  0, or -1 when Redis failed (cursor then unchanged
 * beyond what was confirmed). */
int orch_logs_ship(orch *o, redisContext **rc, const char *user_id, const char *run_id,
                   uint64_t *cursor);
/* Appends a run's end marker to the user's stream. */
int orch_logs_end(orch *o, redisContext **rc, const char *user_id, const char *run_id,
                  const char *how);

/* A new run token (opaque, "sathrt_" + base64url of 32 random bytes) and the SHA-256
 * hex of it, which is all the database keeps.  token: >= 64 bytes; hash: 65 bytes. */
void orch_token_mint(char *token, size_t len, char hash[65]);

#endif
