/*
 * cmd_keys.c - `sathctl keys add-exchange|add-ai|list|rm|test`: the caller's exchange
 * and AI-provider API keys (KeysService).
 *
 * Secrets never go on the command line (where `ps` and shell history would see them):
 * the API secret / AI key is read from standard input (--secret-stdin / --key-stdin),
 * from the environment ($SATH_API_SECRET, $SATH_API_PASSPHRASE, $SATH_AI_KEY), or asked
 * for on the terminal; buffers holding them are wiped after the call.  The exchange API
 * key itself is an identifier, not a secret, and may be given with --api-key.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli_args.h"
#include "output.h"
#include "prompt.h"
#include "sathctl.h"

enum { OPT_EXCHANGE = 256, OPT_PROVIDER, OPT_LABEL, OPT_API_KEY, OPT_TESTNET, OPT_STDIN,
       OPT_BASE_URL, OPT_ID };

static const sathctl_command sub_add_ex = {
    "keys add-exchange", "store an exchange key",
    "usage: sathctl keys add-exchange --exchange binance|bybit|other --api-key KEY [--label L]\n"
    "                                 [--testnet] [--secret-stdin]\n"
    "Stores an exchange API key, encrypted.  The secret comes from standard input\n"
    "(--secret-stdin), $SATH_API_SECRET, or the terminal; a passphrase, for exchanges\n"
    "that use one, from $SATH_API_PASSPHRASE.\n", NULL};
static const sathctl_command sub_add_ai = {
    "keys add-ai", "store an AI-provider key",
    "usage: sathctl keys add-ai --provider openai|anthropic|openai-compatible [--label L]\n"
    "                           [--base-url https://...] [--key-stdin]\n"
    "Stores an AI-provider key, encrypted.  The key comes from standard input (--key-stdin),\n"
    "$SATH_AI_KEY, or the terminal.  --base-url is required for openai-compatible.\n", NULL};
static const sathctl_command sub_list = {
    "keys list", "list keys", "usage: sathctl keys list\nLists your exchange and AI keys, masked.\n", NULL};
static const sathctl_command sub_rm = {
    "keys rm", "delete a key", "usage: sathctl keys rm --id ID\nDeletes one of your keys (either kind).\n", NULL};
static const sathctl_command sub_test = {
    "keys test", "test a key",
    "usage: sathctl keys test --id ID\n"
    "Makes a real authenticated request to the key's provider and shows what the key may do.\n", NULL};

typedef struct keys_args {
    const char *exchange, *provider, *label, *api_key, *base_url, *id;
    int testnet, from_stdin;
} keys_args;

static int on_opt(void *st, int opt, const char *arg)
{
    keys_args *a = st;
    switch (opt) {
    case OPT_EXCHANGE: a->exchange = arg; return 0;
    case OPT_PROVIDER: a->provider = arg; return 0;
    case OPT_LABEL: a->label = arg; return 0;
    case OPT_API_KEY: a->api_key = arg; return 0;
    case OPT_BASE_URL: a->base_url = arg; return 0;
    case OPT_ID: a->id = arg; return 0;
    case OPT_TESTNET: a->testnet = 1; return 0;
    case OPT_STDIN: a->from_stdin = 1; return 0;
    default: return SATHCTL_EXIT_USAGE;
    }
}

static const struct option longopts[] = {
    {"help", no_argument, NULL, 'h'},
    {"exchange", required_argument, NULL, OPT_EXCHANGE},
    {"provider", required_argument, NULL, OPT_PROVIDER},
    {"label", required_argument, NULL, OPT_LABEL},
    {"api-key", required_argument, NULL, OPT_API_KEY},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"id", required_argument, NULL, OPT_ID},
    {"testnet", no_argument, NULL, OPT_TESTNET},
    {"secret-stdin", no_argument, NULL, OPT_STDIN},
    {"key-stdin", no_argument, NULL, OPT_STDIN},
    {NULL, 0, NULL, 0}};

static void free_secret(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

/* Reads the secret (stdin, `env` or the terminal) and connects; on failure nothing is
 * left to free.  On success the caller owns *secret (free_secret). */
static int secret_and_connect(sathctl *ctx, const char *prompt, int from_stdin, const char *env,
                              char **secret)
{
    *secret = NULL;
    if (sathctl_read_password(prompt, from_stdin, env, secret) != 0)
        return SATHCTL_EXIT_OTHER;
    int rc = sathctl_connect(ctx);
    if (rc != SATHCTL_EXIT_OK) {
        free_secret(*secret);
        *secret = NULL;
    }
    return rc;
}

static const char *const exchange_names[] = {"?", "binance", "bybit", "other"};
static const char *const provider_names[] = {"?", "openai", "anthropic", "openai-compatible"};

static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 1; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return 0;
}

static json_t *summary_json(const Sath__V1__KeyTestSummary *t)
{
    json_t *o = json_object();
    if (!t)
        return o;
    json_object_set_new(o, "tested_at", t->tested_at ? json_integer(t->tested_at->seconds) : json_null());
    json_object_set_new(o, "ok", json_boolean(t->ok));
    json_t *p = json_array(), *w = json_array();
    for (size_t i = 0; i < t->n_permissions; i++)
        json_array_append_new(p, json_string(t->permissions[i]));
    for (size_t i = 0; i < t->n_warnings; i++)
        json_array_append_new(w, json_string(t->warnings[i]));
    json_object_set_new(o, "permissions", p);
    json_object_set_new(o, "warnings", w);
    return o;
}

static const char *test_word(const Sath__V1__KeyTestSummary *t)
{
    return !t || !t->tested_at ? "untested" : t->ok ? "ok" : "failed";
}

static int add_exchange(sathctl *ctx, const keys_args *a)
{
    int ex = name_index(exchange_names, 4, a->exchange);
    if (!ex || !a->api_key)
        return sathctl_usage_error("keys add-exchange", "--exchange binance|bybit|other and --api-key are required");
    char *secret = NULL;
    int rc = secret_and_connect(ctx, "API secret: ", a->from_stdin, "SATH_API_SECRET", &secret);
    if (rc != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__CreateExchangeKeyRequest req = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    req.exchange = (Sath__V1__Exchange)ex;
    req.label = (char *)(a->label ? a->label : "");
    req.api_key = (char *)a->api_key;
    req.api_secret = secret;
    req.passphrase = getenv("SATH_API_PASSPHRASE") ? getenv("SATH_API_PASSPHRASE") : (char *)"";
    req.is_testnet = a->testnet;
    Sath__V1__ExchangeKey *k = NULL;
    rc = sath_keys_create_exchange_key(ctx->client, &req, &k, ctx->opts);
    free_secret(secret);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "keys add-exchange", rc);
    char msg[160];
    snprintf(msg, sizeof msg, "stored %s key %s (%s)", exchange_names[ex], k->id, k->api_key_masked);
    sathctl_print_ok(ctx, msg, json_pack("{s:s, s:s, s:s}", "id", k->id, "exchange", exchange_names[ex],
                                         "api_key_masked", k->api_key_masked));
    sath__v1__exchange_key__free_unpacked(k, NULL);
    return SATHCTL_EXIT_OK;
}

static int add_ai(sathctl *ctx, const keys_args *a)
{
    int p = name_index(provider_names, 4, a->provider);
    if (!p)
        return sathctl_usage_error("keys add-ai", "--provider openai|anthropic|openai-compatible is required");
    char *key = NULL;
    int rc = secret_and_connect(ctx, "API key: ", a->from_stdin, "SATH_AI_KEY", &key);
    if (rc != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__CreateAiKeyRequest req = SATH__V1__CREATE_AI_KEY_REQUEST__INIT;
    req.provider = (Sath__V1__AiProvider)p;
    req.label = (char *)(a->label ? a->label : "");
    req.api_key = key;
    req.base_url = (char *)(a->base_url ? a->base_url : "");
    Sath__V1__AiKey *k = NULL;
    rc = sath_keys_create_ai_key(ctx->client, &req, &k, ctx->opts);
    free_secret(key);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "keys add-ai", rc);
    char msg[160];
    snprintf(msg, sizeof msg, "stored %s key %s (%s)", provider_names[p], k->id, k->api_key_masked);
    sathctl_print_ok(ctx, msg, json_pack("{s:s, s:s, s:s}", "id", k->id, "provider", provider_names[p],
                                         "api_key_masked", k->api_key_masked));
    sath__v1__ai_key__free_unpacked(k, NULL);
    return SATHCTL_EXIT_OK;
}

static void list_exchange(const sathctl *ctx, const Sath__V1__ListExchangeKeysResponse *l, json_t *arr)
{
    for (size_t i = 0; i < l->n_keys; i++) {
        const Sath__V1__ExchangeKey *k = l->keys[i];
        const char *ex = k->exchange < 4 ? exchange_names[k->exchange] : "?";
        if (ctx->json)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:o}", "id", k->id,
                                                 "exchange", ex, "label", k->label, "api_key_masked",
                                                 k->api_key_masked, "is_testnet", k->is_testnet,
                                                 "has_passphrase", k->has_passphrase, "last_test",
                                                 summary_json(k->last_test)));
        else
            printf("%s  exchange %-8s %-24s %s%s  test: %s%s\n", k->id, ex, k->api_key_masked,
                   k->label, k->is_testnet ? " [testnet]" : "", test_word(k->last_test),
                   k->last_test && k->last_test->n_warnings ? "  WARNING: can withdraw" : "");
    }
}

static void list_ai(const sathctl *ctx, const Sath__V1__ListAiKeysResponse *l, json_t *arr)
{
    for (size_t i = 0; i < l->n_keys; i++) {
        const Sath__V1__AiKey *k = l->keys[i];
        const char *p = k->provider < 4 ? provider_names[k->provider] : "?";
        if (ctx->json)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", k->id,
                                                 "provider", p, "label", k->label, "base_url",
                                                 k->base_url, "api_key_masked", k->api_key_masked,
                                                 "last_test", summary_json(k->last_test)));
        else
            printf("%s  ai       %-8s %-24s %s%s%s  test: %s\n", k->id, p, k->api_key_masked, k->label,
                   *k->base_url ? " " : "", k->base_url, test_word(k->last_test));
    }
}

static int list_keys(sathctl *ctx)
{
    int rc = sathctl_connect(ctx);
    if (rc != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__ListExchangeKeysRequest er = SATH__V1__LIST_EXCHANGE_KEYS_REQUEST__INIT;
    Sath__V1__ListExchangeKeysResponse *el = NULL;
    if ((rc = sath_keys_list_exchange_keys(ctx->client, &er, &el, ctx->opts)) != SATH_OK)
        return sathctl_fail(ctx, "keys list", rc);
    Sath__V1__ListAiKeysRequest ar = SATH__V1__LIST_AI_KEYS_REQUEST__INIT;
    Sath__V1__ListAiKeysResponse *al = NULL;
    if ((rc = sath_keys_list_ai_keys(ctx->client, &ar, &al, ctx->opts)) != SATH_OK) {
        sath__v1__list_exchange_keys_response__free_unpacked(el, NULL);
        return sathctl_fail(ctx, "keys list", rc);
    }
    json_t *ex = json_array(), *ai = json_array();
    if (!ctx->json && el->n_keys + al->n_keys == 0)
        printf("no keys stored\n");
    list_exchange(ctx, el, ex);
    list_ai(ctx, al, ai);
    if (ctx->json) {
        json_t *o = json_pack("{s:o, s:o}", "exchange_keys", ex, "ai_keys", ai);
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        json_decref(ex);
        json_decref(ai);
    }
    sath__v1__list_exchange_keys_response__free_unpacked(el, NULL);
    sath__v1__list_ai_keys_response__free_unpacked(al, NULL);
    return SATHCTL_EXIT_OK;
}

/* The id names a key of either kind: exchange first, then AI. */
static int rm_key(sathctl *ctx, const char *id)
{
    int rc = sathctl_connect(ctx);
    if (rc != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__DeleteExchangeKeyRequest er = SATH__V1__DELETE_EXCHANGE_KEY_REQUEST__INIT;
    er.id = (char *)id;
    Sath__V1__DeleteExchangeKeyResponse *eresp = NULL;
    rc = sath_keys_delete_exchange_key(ctx->client, &er, &eresp, ctx->opts);
    if (eresp)
        sath__v1__delete_exchange_key_response__free_unpacked(eresp, NULL);
    if (rc == SATH_NOT_FOUND) {
        Sath__V1__DeleteAiKeyRequest ar = SATH__V1__DELETE_AI_KEY_REQUEST__INIT;
        ar.id = (char *)id;
        Sath__V1__DeleteAiKeyResponse *aresp = NULL;
        rc = sath_keys_delete_ai_key(ctx->client, &ar, &aresp, ctx->opts);
        if (aresp)
            sath__v1__delete_ai_key_response__free_unpacked(aresp, NULL);
    }
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "keys rm", rc);
    sathctl_print_ok(ctx, "key deleted", NULL);
    return SATHCTL_EXIT_OK;
}

static int test_key(sathctl *ctx, const char *id)
{
    int rc = sathctl_connect(ctx);
    if (rc != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__TestKeyRequest req = SATH__V1__TEST_KEY_REQUEST__INIT;
    req.id = (char *)id;
    Sath__V1__TestKeyResponse *r = NULL;
    if ((rc = sath_keys_test_key(ctx->client, &req, &r, ctx->opts)) != SATH_OK)
        return sathctl_fail(ctx, "keys test", rc);
    json_t *perms = json_array(), *warns = json_array();
    for (size_t i = 0; i < r->n_permissions; i++)
        json_array_append_new(perms, json_string(r->permissions[i]));
    for (size_t i = 0; i < r->n_warnings; i++)
        json_array_append_new(warns, json_string(r->warnings[i]));
    if (!ctx->json) {
        printf("ok: the provider accepted the key (%lld ms)\n", (long long)r->latency_ms);
        printf("can trade: %s, can withdraw: %s\n", r->can_trade ? "yes" : "no", r->can_withdraw ? "yes" : "no");
        for (size_t i = 0; i < r->n_permissions; i++)
            printf("permission: %s\n", r->permissions[i]);
        for (size_t i = 0; i < r->n_warnings; i++)
            printf("WARNING: %s\n", r->warnings[i]);
    }
    if (ctx->json)
        sathctl_print_ok(ctx, "", json_pack("{s:b, s:I, s:b, s:b, s:o, s:o}", "ok", r->ok, "latency_ms",
                                          (json_int_t)r->latency_ms, "can_trade", r->can_trade,
                                          "can_withdraw", r->can_withdraw, "permissions", perms,
                                          "warnings", warns));
    else
        json_decref(perms), json_decref(warns);
    sath__v1__test_key_response__free_unpacked(r, NULL);
    return SATHCTL_EXIT_OK;
}

int sathctl_cmd_keys(sathctl *ctx, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(sathctl_find_command("keys")->usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? SATHCTL_EXIT_USAGE : SATHCTL_EXIT_OK;
    }
    const char *sub = argv[1];
    const sathctl_command *cmd = strcmp(sub, "add-exchange") == 0 ? &sub_add_ex
                                 : strcmp(sub, "add-ai") == 0     ? &sub_add_ai
                                 : strcmp(sub, "list") == 0       ? &sub_list
                                 : strcmp(sub, "rm") == 0         ? &sub_rm
                                 : strcmp(sub, "test") == 0       ? &sub_test
                                                                  : NULL;
    if (!cmd)
        return sathctl_usage_error("keys", "unknown subcommand '%s'", sub);
    keys_args a = {0};
    /* `keys rm ID` / `keys test ID`: a trailing id is taken as --id */
    int n = argc - 1;
    if ((cmd == &sub_rm || cmd == &sub_test) && n >= 2 && argv[argc - 1][0] != '-' &&
        strcmp(argv[argc - 2], "--id") != 0) {
        a.id = argv[argc - 1];
        n--;
    }
    int rc = sathctl_parse_command(cmd, n, argv + 1, "h", longopts, on_opt, &a);
    if (rc >= 0)
        return rc;
    if ((cmd == &sub_rm || cmd == &sub_test) && !a.id)
        return sathctl_usage_error(cmd->name, "a key id is required");
    if (cmd == &sub_add_ex)
        return add_exchange(ctx, &a);
    if (cmd == &sub_add_ai)
        return add_ai(ctx, &a);
    if (cmd == &sub_list)
        return list_keys(ctx);
    return cmd == &sub_rm ? rm_key(ctx, a.id) : test_key(ctx, a.id);
}
