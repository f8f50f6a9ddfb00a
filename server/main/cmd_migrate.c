/*
 * cmd_migrate.c - `sathd migrate`: applies the embedded sql/NNN_*.sql migrations.
 */
#include <stdio.h>

#include "sathd/log.h"
#include "sathd/migrate.h"
#include "app_build.h"
#include "commands.h"

int sathd_cmd_migrate(const sathd_config *cfg)
{
    char err[512] = "";
    if (sathd_config_require(cfg, SATHD_CFG_NEED_DB, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: configuration error: %s\n", err);
        return 2;
    }
    sathd_app app;
    if (sathd_app_build(&app, cfg, SATHD_APP_DB, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: %s\n", err);
        return 2;
    }
    int rc = 1, applied = 0;
    sathd_pg_error why = {0};
    sathd_pg_conn *c = sathd_pg_acquire(app.pg, 10000, &why);
    if (!c) {
        fprintf(stderr, "sathd: cannot connect to the database: %s\n", why.message);
    } else if (sathd_migrate(c, &applied, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: migration failed: %s\n", err);
    } else {
        sathd_log(SATHD_LOG_INFO, "msg=\"migrations applied\" count=%d schema_version=%d", applied,
                  sathd_migrations_latest());
        rc = 0;
    }
    if (c)
        sathd_pg_release(app.pg, c);
    sathd_app_destroy(&app);
    return rc;
}
