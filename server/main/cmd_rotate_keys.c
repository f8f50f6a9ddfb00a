/*
 * cmd_rotate_keys.c - `sathd rotate-keys`: re-encrypts every stored secret whose row is
 * still under an old key id with the current (first) key of SATH_ENCRYPTION_KEYS.  The
 * work is the keys domain's (server/keys/keys_rotate.c); this file reads the
 * configuration, connects, and turns the outcome into an exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/log.h"
#include "app_build.h"
#include "commands.h"
#include "sathd/keyring.h"
#include "sathd/keys_rotate.h"

int sathd_cmd_rotate_keys(const sathd_config *cfg)
{
    char err[512] = "";
    if (sathd_config_require(cfg, SATHD_CFG_NEED_DB, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: configuration error: %s\n", err);
        return 2;
    }
    if (!cfg->encryption_keys) {
        fprintf(stderr, "sathd: rotate-keys needs SATH_ENCRYPTION_KEYS (new key first, then "
                        "every old one; generate a key: head -c32 /dev/urandom | base64)\n");
        return 2;
    }
    sathd_keyring *kr = sathd_keyring_parse(cfg->encryption_keys, err, sizeof err);
    if (!kr) {
        fprintf(stderr, "sathd: configuration error: %s\n", err);
        return 2;
    }
    sathd_app app;
    if (sathd_app_build(&app, cfg, SATHD_APP_DB, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: %s\n", err);
        sathd_keyring_free(kr);
        return 2;
    }
    int rc = 1;
    sathd_pg_error why = {0};
    sathd_pg_conn *c = sathd_pg_acquire(app.pg, 10000, &why);
    if (!c)
        fprintf(stderr, "sathd: cannot connect to the database: %s\n", why.message);
    else
        rc = sathd_keys_rotate_all(c, kr);
    if (c)
        sathd_pg_release(app.pg, c);
    sathd_app_destroy(&app);
    sathd_keyring_free(kr);
    return rc;
}
