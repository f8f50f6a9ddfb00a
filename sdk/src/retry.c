/*
 * retry.c - the gRPC service config that retries idempotent reads
 * (sath_client_options_set_read_retries()).
 *
 * Only methods whose REST mapping is GET are listed: they change nothing on the server,
 * so a second attempt after UNAVAILABLE cannot do anything twice.  tests/sdk checks this
 * list against the `get:` rules of the protos in proto/sath/v1, so a new read method that is
 * not added here fails the suite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* {service, method} of every read (google.api.http get) of sath.v1. */
static const char *const reads[][2] = {
    {"sath.v1.UserService", "GetMe"},
    {"sath.v1.BillingService", "ListPlans"},
    {"sath.v1.BillingService", "GetSubscription"},
    {"sath.v1.BillingService", "ListInvoices"},
    {"sath.v1.BotService", "GetBotStatus"},
    {"sath.v1.BotService", "GetBotConfig"},
    {"sath.v1.BotService", "GetBotLogs"},
    {"sath.v1.BotService", "GetBotPerformance"},
    {"sath.v1.BotService", "FollowBotLogs"}, /* a stream: gRPC retries it only before its
                                               * first message, so nothing is delivered twice */
    {"sath.v1.KeysService", "ListExchangeKeys"},
    {"sath.v1.KeysService", "ListAiKeys"},
};

size_t sath__read_methods(const char *const (**out)[2])
{
    *out = reads;
    return sizeof reads / sizeof reads[0];
}

char *sath__retry_service_config(int attempts)
{
    size_t cap = 512;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        cap += strlen(reads[i][0]) + strlen(reads[i][1]) + 32;
    char *json = malloc(cap);
    if (!json)
        return NULL;
    size_t n = (size_t)snprintf(json, cap, "{\"methodConfig\":[{\"name\":[");
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
        n += (size_t)snprintf(json + n, cap - n, "%s{\"service\":\"%s\",\"method\":\"%s\"}",
                              i ? "," : "", reads[i][0], reads[i][1]);
    snprintf(json + n, cap - n,
             "],\"retryPolicy\":{\"maxAttempts\":%d,\"initialBackoff\":\"0.05s\","
             "\"maxBackoff\":\"1s\",\"backoffMultiplier\":2,"
             "\"retryableStatusCodes\":[\"UNAVAILABLE\"]}}]}",
             attempts);
    return json;
}
