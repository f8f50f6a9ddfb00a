/*
 * ai_filter.c - the AI confirmation of entries (see ai_filter.h): one short chat request
 * per entry to OpenAI's chat completions or Anthropic's messages API, answered YES or NO.
 */
#include "ai_filter.h"

#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "jlog.h"

#define HISTORY 16     /* prices shown per question */
#define VETO_PRICES 16 /* a NO holds until this many more prices have been seen */

enum { AI_OPENAI, AI_ANTHROPIC };

struct bot_ai_filter {
    int provider;
    char *key;   /* the provider key: wiped and freed in bot_ai_filter_free */
    char url[1024];
    char model[128];
    long timeout_ms, backoff_ms;
    int64_t quiet_until_ms; /* backing off until then (monotonic) */
    size_t n;
    double (*hist)[HISTORY]; /* per symbol, a ring of the last prices */
    size_t *seen;            /* prices observed per symbol */
    size_t *vetoed_until;    /* after a NO: entries of the symbol stay vetoed until it has
                              * seen this many prices (one question, not one per tick, while
                              * a strategy such as rsi_reversion keeps signalling) */
    bot_ai_stats stats;
};

static const char system_prompt[] =
    "You confirm or veto entries of an automated spot trading bot. It only buys to open a "
    "long position and sells to close it. Reply with exactly one word: YES to let the bot "
    "open the position, NO to skip this entry.";

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bot_ai_filter *bot_ai_filter_new(const bot_ai_params *p, char *err, size_t errlen)
{
    int provider;
    const char *base, *model;
    if (p->provider && strcmp(p->provider, "openai") == 0) {
        provider = AI_OPENAI;
        base = "https://api.openai.com";
        model = "gpt-4o-mini";
    } else if (p->provider && strcmp(p->provider, "anthropic") == 0) {
        provider = AI_ANTHROPIC;
        base = "https://api.anthropic.com";
        model = "claude-3-5-haiku-latest";
    } else {
        snprintf(err, errlen, "provider '%s' is not consulted by the entry filter",
                 p->provider ? p->provider : "");
        return NULL;
    }
    if (!p->api_key || !*p->api_key) {
        snprintf(err, errlen, "no AI key");
        return NULL;
    }
    if (p->n_symbols == 0) {
        snprintf(err, errlen, "no symbols to confirm entries for");
        return NULL;
    }
    if (p->base_url && *p->base_url)
        base = p->base_url;
    if (p->model && *p->model)
        model = p->model;
    bot_ai_filter *f = calloc(1, sizeof *f);
    if (!f || !(f->key = strdup(p->api_key)) || !(f->hist = calloc(p->n_symbols, sizeof *f->hist)) ||
        !(f->seen = calloc(p->n_symbols, sizeof *f->seen)) ||
        !(f->vetoed_until = calloc(p->n_symbols, sizeof *f->vetoed_until))) {
        bot_ai_filter_free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    snprintf(f->url, sizeof f->url, "%.*s%s", (int)blen, base,
             provider == AI_OPENAI ? "/v1/chat/completions" : "/v1/messages");
    snprintf(f->model, sizeof f->model, "%s", model);
    f->provider = provider;
    f->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : 3000;
    f->backoff_ms = p->backoff_ms >= 0 ? p->backoff_ms : 60000;
    f->n = p->n_symbols;
    return f;
}

void bot_ai_filter_free(bot_ai_filter *f)
{
    if (!f)
        return;
    if (f->key) {
        sodium_memzero(f->key, strlen(f->key));
        free(f->key);
    }
    free(f->hist);
    free(f->seen);
    free(f->vetoed_until);
    free(f);
}

void bot_ai_filter_observe(bot_ai_filter *f, size_t i, double price)
{
    if (i >= f->n)
        return;
    f->hist[i][f->seen[i] % HISTORY] = price;
    f->seen[i]++;
}

/* The question: symbol, signal, price and the recent prices, oldest first. */
static void question(const bot_ai_filter *f, size_t i, const char *symbol, const char *strategy,
                     double price, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap,
                                  "Symbol %s. The %s strategy signals BUY at %.8g. Last prices, "
                                  "oldest first:",
                                  symbol, strategy, price);
    size_t have = f->seen[i] < HISTORY ? f->seen[i] : HISTORY;
    for (size_t k = f->seen[i] - have; k < f->seen[i] && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, " %.8g", f->hist[i][k % HISTORY]);
    if (len < cap)
        snprintf(out + len, cap - len, ". Open the position?");
}

static char *request_body(const bot_ai_filter *f, const char *q)
{
    json_t *user = json_pack("{s:s, s:s}", "role", "user", "content", q);
    json_t *body;
    if (f->provider == AI_OPENAI)
        body = json_pack("{s:s, s:i, s:f, s:[{s:s, s:s}, o]}", "model", f->model, "max_tokens", 3,
                         "temperature", 0.0, "messages", "role", "system", "content", system_prompt,
                         user);
    else
        body = json_pack("{s:s, s:i, s:s, s:[o]}", "model", f->model, "max_tokens", 3, "system",
                         system_prompt, "messages", user);
    char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return s;
}

/* The text of the answer: choices[0].message.content (OpenAI) or the first text block
 * of content (Anthropic); NULL when the shape is not that. */
static const char *answer_text(const bot_ai_filter *f, json_t *j)
{
    if (f->provider == AI_OPENAI)
        return json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(j, "choices"), 0), "message"), "content"));
    size_t k;
    json_t *block;
    json_array_foreach(json_object_get(j, "content"), k, block) {
        const char *type = json_string_value(json_object_get(block, "type"));
        if (type && strcmp(type, "text") == 0)
            return json_string_value(json_object_get(block, "text"));
    }
    return NULL;
}

/* YES / NO at the start of the text, any case, after blanks and quotes; else failed. */
static bot_ai_outcome decide(const char *text)
{
    while (text && *text && (isspace((unsigned char)*text) || *text == '"' || *text == '*'))
        text++;
    if (!text)
        return BOT_AI_FAILED;
    if (strncasecmp(text, "yes", 3) == 0 && !isalpha((unsigned char)text[3]))
        return BOT_AI_CONFIRMED;
    if (strncasecmp(text, "no", 2) == 0 && !isalpha((unsigned char)text[2]))
        return BOT_AI_VETOED;
    return BOT_AI_FAILED;
}

/* One request; the outcome, with a reason (never the provider's text) when it failed. */
static bot_ai_outcome consult(bot_ai_filter *f, const char *body, char *why, size_t whylen)
{
    char auth[1200];
    const char *headers[4] = {"Content-Type: application/json", auth, NULL, NULL};
    if (f->provider == AI_OPENAI) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->key);
    } else {
        snprintf(auth, sizeof auth, "x-api-key: %s", f->key);
        headers[2] = "anthropic-version: 2023-06-01";
    }
    bot_http_resp r;
    char err[256];
    int rc = bot_http_do("POST", f->url, headers, body, f->timeout_ms, &r, err, sizeof err);
    sodium_memzero(auth, sizeof auth);
    if (rc != 0) {
        snprintf(why, whylen, "%s", r.timed_out ? "timeout" : err);
        return BOT_AI_FAILED;
    }
    bot_ai_outcome o = BOT_AI_FAILED;
    if (r.status != 200) {
        snprintf(why, whylen, "HTTP %ld", r.status);
    } else {
        json_t *j = json_loads(r.body, 0, NULL);
        o = decide(answer_text(f, j));
        if (o == BOT_AI_FAILED)
            snprintf(why, whylen, "%s", j ? "answer is neither YES nor NO" : "answer is not JSON");
        json_decref(j);
    }
    bot_http_resp_free(&r);
    return o;
}

bot_ai_outcome bot_ai_filter_ask(bot_ai_filter *f, size_t i, const char *symbol, const char *strategy,
                                 double price)
{
    if (i < f->n && f->seen[i] < f->vetoed_until[i]) {
        f->stats.vetoed++;
        return BOT_AI_VETOED;
    }
    if (i >= f->n || mono_ms() < f->quiet_until_ms) {
        f->stats.skipped++;
        return BOT_AI_SKIPPED;
    }
    char q[1024], why[256] = "";
    question(f, i, symbol, strategy, price, q, sizeof q);
    char *body = request_body(f, q);
    f->stats.asked++;
    bot_ai_outcome o = body ? consult(f, body, why, sizeof why) : BOT_AI_FAILED;
    free(body);
    if (o == BOT_AI_CONFIRMED) {
        f->stats.confirmed++;
    } else if (o == BOT_AI_VETOED) {
        f->stats.vetoed++;
        f->vetoed_until[i] = f->seen[i] + VETO_PRICES;
        bot_log(BOT_INFO, "entry vetoed by the AI filter",
                json_pack("{s:s, s:f}", "symbol", symbol, "price", price));
    } else {
        f->stats.failed++;
        f->quiet_until_ms = mono_ms() + f->backoff_ms;
        bot_log(BOT_WARN, "AI provider gave no answer: following the strategy",
                json_pack("{s:s, s:s, s:s, s:I}", "symbol", symbol, "reason", *why ? why : "out of memory",
                          "provider", f->provider == AI_OPENAI ? "openai" : "anthropic", "backoff_ms",
                          (json_int_t)f->backoff_ms));
    }
    return o;
}

int bot_ai_allows(bot_ai_outcome o)
{
    return o != BOT_AI_VETOED;
}

const bot_ai_stats *bot_ai_filter_stats(const bot_ai_filter *f)
{
    return &f->stats;
}
