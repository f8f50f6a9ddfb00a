/*
 * app_build.h - building the server-wide context (sathd_app) from the configuration,
 * and tearing it down.
 */
#ifndef SATHD_MAIN_APP_BUILD_H
#define SATHD_MAIN_APP_BUILD_H

#include <stddef.h>

#include "sathd/app.h"

/* What the app needs for a command. */
enum {
    SATHD_APP_DB = 0x1,    /* PostgreSQL pool */
    SATHD_APP_REDIS = 0x2, /* Redis pool */
    SATHD_APP_AUTH = 0x4,  /* JWT keys and password hasher */
    SATHD_APP_BILLING = 0x8, /* payment provider (serve only: migrate runs with any) */
};

/* Fills `app` with what `needs` asks for.  On failure returns -1 with a message for
 * the operator in `err` (naming the variable at fault) and frees what it made. */
int sathd_app_build(sathd_app *app, const sathd_config *cfg, unsigned needs, char *err,
                    size_t errlen);
/* Frees everything sathd_app_build made.  All calls must have ended. */
void sathd_app_destroy(sathd_app *app);

#endif
