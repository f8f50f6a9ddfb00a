/*
 * bench_testkey.c - the TestKey round trip against the local fake providers, for
 * docs/performance-keys.md: a real sathd (sathd_proc) and fake_providers.py, N
 * sequential TestKey calls per provider, client-side wall time and the provider leg
 * sathd reports (latency_ms).  Not a ctest: run it by hand with the test services up:
 *   SATHD_BIN=build/server/main/sathd build/tests/keys/bench_testkey [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys_fixture.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run(sath_client *c, const char *what, const char *id, int n)
{
    double *wall = calloc((size_t)n, sizeof *wall), provider = 0;
    Sath__V1__TestKeyRequest req = SATH__V1__TEST_KEY_REQUEST__INIT;
    req.id = (char *)id;
    for (int i = 0; i < n; i++) {
        Sath__V1__TestKeyResponse *r = NULL;
        double t0 = now_ms();
        if (sath_keys_test_key(c, &req, &r, NULL) != SATH_OK) {
            fprintf(stderr, "%s: %s\n", what, sath_client_last_error_message(c));
            exit(1);
        }
        wall[i] = now_ms() - t0;
        provider += (double)r->latency_ms;
        sath__v1__test_key_response__free_unpacked(r, NULL);
    }
    qsort(wall, (size_t)n, sizeof *wall, cmp);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += wall[i];
    printf("%-10s n=%d  mean %.2f ms  p50 %.2f ms  p95 %.2f ms  max %.2f ms  provider leg mean %.2f ms\n",
           what, n, sum / n, wall[n / 2], wall[(int)(n * 0.95)], wall[n - 1], provider / n);
    free(wall);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    fake_providers fake;
    sathd_proc proc;
    if (n < 1 || sodium_init() < 0 || fake_providers_start(&fake) != 0)
        return 1;
    char env[4][160];
    snprintf(env[0], sizeof env[0], "SATH_BINANCE_URL=http://127.0.0.1:%d/binance", fake.port);
    snprintf(env[1], sizeof env[1], "SATH_BYBIT_URL=http://127.0.0.1:%d/bybit", fake.port);
    snprintf(env[2], sizeof env[2], "SATH_OPENAI_URL=http://127.0.0.1:%d/openai", fake.port);
    snprintf(env[3], sizeof env[3], "SATH_ANTHROPIC_URL=http://127.0.0.1:%d/anthropic", fake.port);
    const char *extra[] = {env[0], env[1], env[2], env[3],
                           "SATH_ENCRYPTION_KEYS=k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", NULL};
    if (sathd_proc_start(&proc, extra) != 0) {
        fake_providers_stop(&fake);
        return 1;
    }
    sath_client *c = keys_user_client(&proc, NULL);
    char ids[4][37];
    Sath__V1__CreateExchangeKeyRequest ex = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    Sath__V1__CreateAiKeyRequest ai = SATH__V1__CREATE_AI_KEY_REQUEST__INIT;
    Sath__V1__ExchangeKey *ek = NULL;
    Sath__V1__AiKey *ak = NULL;
    ex.exchange = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
    ex.api_key = (char *)"good-binance-key-0001";
    ex.api_secret = (char *)"binance-secret-good-0001";
    if (!c || sath_keys_create_exchange_key(c, &ex, &ek, NULL) != SATH_OK)
        return 1;
    snprintf(ids[0], 37, "%s", ek->id);
    sath__v1__exchange_key__free_unpacked(ek, NULL);
    ex.exchange = SATH__V1__EXCHANGE__EXCHANGE_BYBIT;
    ex.api_key = (char *)"good-bybit-key-0001";
    ex.api_secret = (char *)"bybit-secret-good-0001";
    if (sath_keys_create_exchange_key(c, &ex, &ek, NULL) != SATH_OK)
        return 1;
    snprintf(ids[1], 37, "%s", ek->id);
    sath__v1__exchange_key__free_unpacked(ek, NULL);
    ai.provider = SATH__V1__AI_PROVIDER__AI_PROVIDER_OPENAI;
    ai.api_key = (char *)"good-openai-sk-0001";
    if (sath_keys_create_ai_key(c, &ai, &ak, NULL) != SATH_OK)
        return 1;
    snprintf(ids[2], 37, "%s", ak->id);
    sath__v1__ai_key__free_unpacked(ak, NULL);
    ai.provider = SATH__V1__AI_PROVIDER__AI_PROVIDER_ANTHROPIC;
    ai.api_key = (char *)"good-anthropic-sk-0001";
    if (sath_keys_create_ai_key(c, &ai, &ak, NULL) != SATH_OK)
        return 1;
    snprintf(ids[3], 37, "%s", ak->id);
    sath__v1__ai_key__free_unpacked(ak, NULL);
    run(c, "binance", ids[0], 10); /* warm-up: connections, prepared statements */
    run(c, "binance", ids[0], n);
    run(c, "bybit", ids[1], n);
    run(c, "openai", ids[2], n);
    run(c, "anthropic", ids[3], n);
    sath_client_free(c);
    sathd_proc_stop(&proc);
    fake_providers_stop(&fake);
    return 0;
}
