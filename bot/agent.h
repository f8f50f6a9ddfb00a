/*
 * agent.h - sath-bot's side of BotAgentService: fetch the run's configuration and keys,
 * queue heartbeats and trades, and send them to sathd with reconnect backoff.
 *
 * Everything goes through libsathclient with the run token as the bearer token (held by
 * the SDK; never logged).  Records wait in a bounded queue (report_queue.h) while sathd is
 * unreachable, so a sathd restart costs nothing as long as it fits the bound.
 */
#ifndef SATHBOT_AGENT_H
#define SATHBOT_AGENT_H

#include <sath/sath.h>

#include "wallet.h"

typedef struct bot_agent bot_agent;

/* Connects (lazily) to `addr` with `run_token` (copied, then wiped by the caller).
 * `queue_cap` bounds the outbox.  NULL on error. */
bot_agent *bot_agent_new(const char *addr, const char *run_token, size_t queue_cap);
void bot_agent_free(bot_agent *a);

/* GetRunConfig, retried with backoff while sathd is unavailable, until *stop.  Returns
 * SATH_OK with *out (free with sath__v1__run_config__free_unpacked) or the error. */
int bot_agent_fetch_config(bot_agent *a, Sath__V1__RunConfig **out, volatile int *stop);

/* Queue a trade / a heartbeat built from the wallet. */
void bot_agent_queue_trade(bot_agent *a, const bot_wallet *w, const bot_fill *f);
void bot_agent_queue_report(bot_agent *a, const bot_wallet *w, int final);

/* Sends what is queued, unless backing off after a failure (then returns at once).
 * Each call is bounded by timeout_ms.  Returns SATH_OK when the queue is empty, else the
 * last error (SATH_UNAUTHENTICATED: the run token was revoked, the run is over). */
int bot_agent_flush(bot_agent *a, int64_t timeout_ms);

/* Like flush, ignoring the backoff, retrying until the queue is empty or the wall-clock
 * deadline (ms since the epoch) passes. */
int bot_agent_drain(bot_agent *a, int64_t deadline_ms);

size_t bot_agent_queued(const bot_agent *a);
uint64_t bot_agent_dropped(const bot_agent *a);

#endif
