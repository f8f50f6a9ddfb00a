/*
 * agentenv.c - helpers of the BotAgentService tests (agentenv.h).
 */
#include "agentenv.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *influx_url(void)
{
    const char *u = getenv("SATH_TEST_INFLUX_URL");
    return u && *u ? u : NULL;
}

void influx_db_name(char out[32])
{
    unsigned char r[6];
    randombytes_buf(r, sizeof r);
    snprintf(out, 32, "t_%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

json_t *influx_query(const char *db, const char *q)
{
    CURL *h = curl_easy_init();
    char *eq = curl_easy_escape(h, q, 0);
    char url[4096];
    snprintf(url, sizeof url, "%s/query?db=%s&epoch=ms&q=%s", influx_url(), db, eq);
    curl_free(eq);
    curl_easy_cleanup(h);
    long st = 0;
    char *body = test_http("GET", url, NULL, NULL, &st);
    json_t *j = body && st == 200 ? json_loads(body, 0, NULL) : NULL;
    free(body);
    return j;
}

size_t influx_rows(const char *db, const char *q)
{
    json_t *j = influx_query(db, q);
    json_t *vals = json_object_get(
        json_array_get(json_object_get(json_array_get(json_object_get(j, "results"), 0), "series"), 0),
        "values");
    size_t n = json_array_size(vals);
    json_decref(j);
    return n;
}

size_t influx_wait_rows(const char *db, const char *q, size_t want, int timeout_ms)
{
    size_t n = 0;
    for (int waited = 0; waited <= timeout_ms; waited += 200) {
        if ((n = influx_rows(db, q)) >= want)
            break;
        struct timespec ts = {0, 200000000L};
        nanosleep(&ts, NULL);
    }
    return n;
}

void botrun_env_init(botrun_env *e, int with_influx, const char *bot_args)
{
    memset(e, 0, sizeof *e);
    size_t k = 0;
    if (with_influx && influx_url()) {
        influx_db_name(e->db);
        snprintf(e->influx, sizeof e->influx, "SATH_INFLUX_URL=%s", influx_url());
        snprintf(e->db_env, sizeof e->db_env, "SATH_INFLUX_DB=%s", e->db);
        e->sathd[k++] = e->influx;
        e->sathd[k++] = e->db_env;
    }
    snprintf(e->prog, sizeof e->prog, "SATH_BOT_PROGRAM=%s", getenv("SATH_BOT_BIN"));
    snprintf(e->args, sizeof e->args, "SATH_BOT_ARGS=%s", bot_args);
    e->orch[0] = e->prog;
    e->orch[1] = e->args;
    e->orch[2] = "SATH_BOT_MEMORY_BYTES=0";
}

int botrun_fx_start(botrun_fx *x, int with_influx, const char *bot_args)
{
    botrun_env_init(&x->env, with_influx, bot_args);
    return botenv_start2(&x->e, x->env.orch, x->env.sathd) == 0 && botuser_new(&x->e, &x->u) == 0 ? 0 : -1;
}

void botrun_fx_stop(botrun_fx *x)
{
    botuser_free(&x->u);
    botenv_stop(&x->e);
}

int seed_run(const sathd_proc *p, const char *user_id, const char *token, char run_id[37])
{
    char *bot = sathd_proc_sql(p, "SELECT sath_bot_desire($1::uuid, 'running', true, NULL, '')::text",
                               user_id);
    if (!bot || !*bot) {
        free(bot);
        return -1;
    }
    free(bot);
    char *run = sathd_proc_sql(p, "SELECT current_run_id::text FROM bot_instances WHERE user_id = $1::uuid",
                               user_id);
    if (!run || strlen(run) != 36) {
        free(run);
        return -1;
    }
    snprintf(run_id, 37, "%s", run);
    free(run);
    unsigned char h[32];
    char hex[65], sql[512];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(sql, sizeof sql,
             "UPDATE bot_runs SET state = 'running', token_hash = '%s', "
             "token_expires_at = now() + interval '1 hour' WHERE id = $1::uuid RETURNING 'ok'",
             hex);
    char *ok = sathd_proc_sql(p, sql, run_id);
    int rc = ok && strcmp(ok, "ok") == 0 ? 0 : -1;
    free(ok);
    return rc;
}

sath_client *token_client(const char *target, const char *token)
{
    sath_client *c = NULL;
    if (sath_client_new(target, NULL, &c) != SATH_OK)
        return NULL;
    sath_client_set_tokens(c, token, NULL);
    return c;
}
