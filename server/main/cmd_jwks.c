/*
 * cmd_jwks.c - `sathd jwks`: prints the public keys that verify sathd's access tokens as
 * a JWK Set, so other services can verify tokens without calling sathd.  (The REST
 * gateway also serves it at /.well-known/jwks.json.)  HS256 deployments print an empty
 * set: a shared secret is never published.
 */
#include <stdio.h>
#include <stdlib.h>

#include "sathd/jwt.h"
#include "app_build.h"
#include "commands.h"

int sathd_cmd_jwks(const sathd_config *cfg)
{
    char err[512] = "";
    if (!cfg->jwt_ed25519_key && !cfg->jwt_ed25519_key_file && !cfg->jwt_hs256_secret) {
        fprintf(stderr, "sathd: no signing key configured (SATH_JWT_ED25519_KEY_FILE): an "
                        "ephemeral key would print a set nobody can use\n");
        return 2;
    }
    sathd_app app;
    if (sathd_app_build(&app, cfg, SATHD_APP_AUTH, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: %s\n", err);
        return 2;
    }
    char *json = sathd_jwks_json(app.jwt);
    int rc = json ? 0 : 1;
    if (json)
        printf("%s\n", json);
    free(json);
    sathd_app_destroy(&app);
    return rc;
}
