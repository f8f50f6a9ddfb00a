/*
 * keys_rotate.c - re-encryption of every stored secret whose row is still under an old
 * key id with the current (first) key of the keyring (see sathd/keys_rotate.h; the
 * command `sathd rotate-keys` in server/main/cmd_rotate_keys.c drives it).
 *
 * Runs next to a live server: batches of BATCH rows per transaction, taken with
 * SELECT ... FOR UPDATE SKIP LOCKED so a row a request is using is simply left for the
 * next pass (and reported).  Fails closed: a row that cannot be decrypted (unknown key
 * id, tampered or moved ciphertext) rolls its batch back, is named with the reason,
 * and the result is 1; nothing is ever written in plaintext or guessed.
 */
#include "sathd/keys_rotate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH "100"

typedef struct table_spec {
    const char *name;
    sathd_keys_purpose purpose;
    const char *select_sql; /* id, user_id, then the encrypted columns */
    const char *update_sql; /* $1 id, $2.. columns in order, last the key id */
    int ncols;
    const char *cols[3];
} table_spec;

static const table_spec tables[] = {
    {"api_keys", SATHD_KEYS_API_KEYS,
     "SELECT id::text, user_id::text, encrypted_key, encrypted_secret, encrypted_passphrase "
     "FROM api_keys WHERE key_id <> $1 ORDER BY id LIMIT " BATCH " FOR UPDATE SKIP LOCKED",
     "UPDATE api_keys SET encrypted_key = $2, encrypted_secret = $3, encrypted_passphrase = $4, "
     "key_id = $5 WHERE id = $1",
     3, {"api_key", "api_secret", "passphrase"}},
    {"ai_keys", SATHD_KEYS_AI_KEYS,
     "SELECT id::text, user_id::text, encrypted_key FROM ai_keys WHERE key_id <> $1 "
     "ORDER BY id LIMIT " BATCH " FOR UPDATE SKIP LOCKED",
     "UPDATE ai_keys SET encrypted_key = $2, key_id = $3 WHERE id = $1", 1, {"api_key"}},
};

/* Re-encrypts one column value; NULL stays NULL.  0, or -1 with the reason printed. */
static int reseal(const sathd_keyring *kr, const table_spec *t, const char *id, const char *user,
                  int col, const char *env, char **out)
{
    *out = NULL;
    if (!env)
        return 0;
    char ad[SATHD_KEYS_AD_MAX], kid[SATHD_KEYS_KID_MAX + 1] = "?";
    char *pt = NULL;
    size_t len = 0;
    sathd_keys_rc rc = SATHD_KEYS_EINVAL;
    if (sathd_keys_ad(ad, sizeof ad, t->purpose, user, id, t->cols[col]) >= 0)
        rc = sathd_envelope_open(kr, t->purpose, ad, env, &pt, &len, kid);
    if (rc == SATHD_KEYS_OK) {
        rc = sathd_envelope_seal(kr, t->purpose, ad, (const unsigned char *)pt, len, out);
        sathd_keys_secret_free(pt);
    }
    if (rc != SATHD_KEYS_OK) {
        fprintf(stderr, "sathd: rotate-keys: %s row %s column %s (key id '%s'): %s; nothing in "
                "this batch was changed\n", t->name, id, t->cols[col], kid, sathd_keys_strerror(rc));
        return -1;
    }
    return 0;
}

/* One batch: 0 rows left → *done.  Returns the rows re-encrypted, or -1. */
static long rotate_batch(sathd_pg_conn *c, const sathd_keyring *kr, const table_spec *t, int *done)
{
    const char *cur = sathd_keyring_current_kid(kr);
    const char *sel[] = {cur};
    if (sathd_pg_begin(c) != 0)
        return -1;
    PGresult *res = sathd_pg_exec_params(c, t->select_sql, 1, sel, 0);
    if (!res)
        goto fail;
    int rows = PQntuples(res);
    *done = rows == 0;
    for (int r = 0; r < rows; r++) {
        const char *id = PQgetvalue(res, r, 0), *user = PQgetvalue(res, r, 1);
        char *env[3] = {NULL, NULL, NULL};
        const char *params[5] = {id};
        int bad = 0;
        for (int k = 0; k < t->ncols && !bad; k++) {
            bad = reseal(kr, t, id, user, k, PQgetisnull(res, r, 2 + k) ? NULL : PQgetvalue(res, r, 2 + k),
                         &env[k]);
            params[1 + k] = env[k];
        }
        params[1 + t->ncols] = cur;
        PGresult *u = bad ? NULL : sathd_pg_exec_params(c, t->update_sql, 2 + t->ncols, params, 0);
        for (int k = 0; k < 3; k++)
            free(env[k]);
        if (!u) {
            PQclear(res);
            goto fail;
        }
        PQclear(u);
    }
    PQclear(res);
    if (sathd_pg_commit(c) != 0)
        goto fail;
    return rows;
fail:
    if (sathd_pg_last_error(c)->code != SATHD_OK)
        fprintf(stderr, "sathd: rotate-keys: %s: %s\n", t->name, sathd_pg_last_error(c)->message);
    sathd_pg_rollback(c);
    return -1;
}

int sathd_keys_rotate_all(sathd_pg_conn *c, const sathd_keyring *kr)
{
    const char *cur = sathd_keyring_current_kid(kr);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        long total = 0;
        for (int done = 0; !done;) {
            long n = rotate_batch(c, kr, &tables[i], &done);
            if (n < 0) {
                printf("%s: %ld rows re-encrypted before the failure\n", tables[i].name, total);
                return 1;
            }
            total += n;
        }
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE key_id <> $1", tables[i].name);
        const char *p[] = {cur};
        PGresult *res = sathd_pg_exec_params(c, sql, 1, p, 0);
        const char *left = res ? PQgetvalue(res, 0, 0) : "?";
        printf("%s: %ld rows re-encrypted to key id '%s'; %s rows left under other key ids%s\n",
               tables[i].name, total, cur, left,
               res && strcmp(left, "0") != 0 ? " (in use right now: run rotate-keys again)" : "");
        PQclear(res);
    }
    return 0;
}
