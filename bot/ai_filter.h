/*
 * ai_filter.h - the optional AI confirmation of entries: before the engine opens a
 * position the strategy asked for, it shows the AI provider of the run's AI key the
 * symbol, the signal and the recent prices, and asks for one word, YES or NO.  NO skips
 * that entry; exits (SELL) are never asked about, so the filter can only make the bot
 * trade less, never hold a position longer.  After a NO the symbol's entries stay
 * vetoed, without asking again, for the next 15 prices; the 16th may ask again.
 *
 * The provider is a third party the bot cannot trust to answer, so every failure falls
 * back to the strategy's own signal: a timeout, a transport error, an HTTP error, an
 * answer that is neither YES nor NO.  After a failure the provider is not asked again
 * for `backoff_ms` (entries meanwhile follow the strategy), so a provider that is down
 * costs one timeout per backoff period, not one per entry.
 *
 * Providers (RunConfig.ai_provider): "openai" (POST {base}/v1/chat/completions with
 * "Authorization: Bearer <key>") and "anthropic" (POST {base}/v1/messages with
 * "x-api-key: <key>" and "anthropic-version: 2023-06-01").  "openai_compatible" is not
 * consulted: its base URL is the user's own, and RunConfig does not carry it (see
 * docs/architecture.md).  The key is never logged; neither is the provider's text.
 */
#ifndef SATHBOT_AI_FILTER_H
#define SATHBOT_AI_FILTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct bot_ai_filter bot_ai_filter;

typedef struct bot_ai_params {
    const char *provider;  /* "openai" or "anthropic" */
    const char *api_key;   /* copied; the copy is wiped by bot_ai_filter_free */
    const char *base_url;  /* NULL: the provider's public API (api.openai.com, api.anthropic.com) */
    const char *model;     /* NULL: a small default model of the provider */
    long timeout_ms;       /* per question */
    long backoff_ms;       /* no question for this long after a failure */
    size_t n_symbols;
} bot_ai_params;

/* What one question ended in (the counters of bot_ai_stats). */
typedef enum {
    BOT_AI_CONFIRMED = 0, /* the provider said YES */
    BOT_AI_VETOED,        /* the provider said NO: skip the entry */
    BOT_AI_FAILED,        /* no usable answer: the strategy's signal stands */
    BOT_AI_SKIPPED        /* not asked (backing off after a failure): the signal stands */
} bot_ai_outcome;

typedef struct bot_ai_stats {
    int64_t asked;     /* requests sent */
    int64_t confirmed, vetoed, failed, skipped; /* outcomes (vetoed includes the cached NOs) */
} bot_ai_stats;

/* NULL when the provider is not one the filter speaks (reason in err), or out of memory. */
bot_ai_filter *bot_ai_filter_new(const bot_ai_params *p, char *err, size_t errlen);
void bot_ai_filter_free(bot_ai_filter *f);

/* Records the price of symbol i at this tick (the filter keeps the last few). */
void bot_ai_filter_observe(bot_ai_filter *f, size_t i, double price);

/* Asks whether to open a position in `symbol` (index i) at `price` on the signal of
 * `strategy`.  Blocks at most timeout_ms. */
bot_ai_outcome bot_ai_filter_ask(bot_ai_filter *f, size_t i, const char *symbol, const char *strategy,
                                 double price);

/* 1 when the entry may go ahead after `o` (every outcome but BOT_AI_VETOED). */
int bot_ai_allows(bot_ai_outcome o);

const bot_ai_stats *bot_ai_filter_stats(const bot_ai_filter *f);

#endif
