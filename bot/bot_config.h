/*
 * bot_config.h - sath-bot's command line and environment (never secrets: those come
 * from sathd through BotAgentService).
 *
 *   sath-bot [--tick-ms N] [--heartbeat-ms N] [--status-ms N] [--market sim|binance] [--seed N]
 *            [--drift X] [--volatility X] [--fee-bps N] [--slippage-bps N]
 *            [--queue N] [--ticks N] [--grace-ms N] [--log-level L]
 *            [--binance-url URL] [--http-timeout-ms N]
 *            [--no-ai] [--ai-url URL] [--ai-model NAME] [--ai-timeout-ms N] [--ai-backoff-ms N]
 *   sath-bot --offline --symbols A,B --capital Q --strategy S [--risk-bps N] ...
 *
 * Environment (set by sath-orchestrator): SATH_ADDR, SATH_RUN_ID, SATH_BOT_ID,
 * SATH_BOT_MODE, SATH_RUN_TOKEN_FD or SATH_RUN_TOKEN_FILE.  Binance (market data and live
 * orders): --binance-url, else SATH_BINANCE_URL, else the spot testnet; the orchestrator
 * passes a fixed environment, so operators set it through SATH_BOT_ARGS.
 * AI confirmation of entries (ai_filter.h): on when the run's config has an AI key of a
 * provider the filter speaks, unless --no-ai; --ai-url replaces the provider's public
 * API (a proxy, or the tests' local fake), --ai-model its default model.
 */
#ifndef SATHBOT_BOT_CONFIG_H
#define SATHBOT_BOT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct bot_opts {
    long tick_ms, heartbeat_ms, grace_ms;
    long status_ms; /* a "status" log line (equity, PnL, trades) this often; 0: none */
    const char *market; /* NULL: sim in paper mode, binance in live mode */
    int has_seed;
    uint64_t seed;
    double drift, volatility;
    double fee_bps, slippage_bps;
    size_t queue_cap;
    long max_ticks; /* 0: until stopped */
    int offline;
    /* offline run (no sathd) */
    char *symbols[32];
    char *symbols_buf; /* owns the strings of symbols[] (free it) */
    size_t n_symbols;
    double capital;
    int risk_bps;
    const char *strategy;
    const char *binance_url;
    long http_timeout_ms;
    int no_ai;
    const char *ai_url;   /* NULL: the provider's public API */
    const char *ai_model; /* NULL: the filter's default for the provider */
    long ai_timeout_ms, ai_backoff_ms;
} bot_opts;

/* Parses argv and the environment into o.  0, or -1 after printing usage to stderr. */
int bot_opts_parse(bot_opts *o, int argc, char **argv);

/* Reads the run token from SATH_RUN_TOKEN_FD (a pipe, read to EOF) or
 * SATH_RUN_TOKEN_FILE.  0 with the token in buf, -1 when there is none. */
int bot_read_run_token(char *buf, size_t len);

#endif
