/*
 * cmd_serve.c - `sathd serve`: build the app, check the schema, serve gRPC (and, with
 * SATH_HTTP_ENABLED, the in-process REST gateway on SATH_HTTP_ADDR, started after the gRPC
 * server and stopped before it) until SIGTERM/SIGINT, then drain in-flight calls within
 * SATH_SHUTDOWN_GRACE_MS and exit 0.
 *
 * Signals are blocked before any thread starts, so every thread inherits the mask and
 * only the main thread's sigwait() sees them: no async-signal-safety concerns, and the
 * shutdown runs as ordinary code.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "sathd/influx.h"
#include "sathd/log.h"
#include "sathd/migrate.h"
#include "sathd/rpc.h"
#include "sath/v1/routes.sath.h"
#include "app_build.h"
#include "commands.h"
#include "sathd/services.h"
#ifdef SATHD_HAVE_GATEWAY
#include "sathd/gateway.h"
#include "sathd/gateway_config.h"
#endif

/* The database must be migrated, and not by a newer sathd than this one. */
static int check_schema(sathd_app *app)
{
    char err[512] = "";
    sathd_pg_error why = {0};
    sathd_pg_conn *c = sathd_pg_acquire(app->pg, 10000, &why);
    if (!c) {
        fprintf(stderr, "sathd: cannot connect to the database: %s\n", why.message);
        return -1;
    }
    int rc = sathd_schema_check(c, err, sizeof err);
    sathd_pg_release(app->pg, c);
    if (rc != 0)
        fprintf(stderr, "sathd: %s\n", err);
    return rc;
}

/* The bot metrics writer (issue 9).  Without SATH_INFLUX_URL sathd serves without it and
 * says so once; an unreachable InfluxDB is the writer's business (it queues, retries and
 * logs the outage), never a reason not to start. */
static int start_influx(sathd_app *app, const sathd_config *cfg)
{
    if (!cfg->influx_url || !*cfg->influx_url) {
        sathd_log(SATHD_LOG_INFO, "msg=\"InfluxDB not configured (SATH_INFLUX_URL): bot reports "
                                  "are kept in PostgreSQL only, GetBotPerformance is unavailable\"");
        return 0;
    }
    sathd_influx_config ic = {.url = cfg->influx_url, .db = cfg->influx_db,
                              .max_queue_bytes = (size_t)cfg->influx_queue_bytes, .http = app->http};
    int rc = sathd_influx_new(&ic, &app->influx);
    if (rc != 0) {
        fprintf(stderr, "sathd: SATH_INFLUX_URL / SATH_INFLUX_DB: %s\n",
                rc == -EINVAL ? "need an http(s):// URL and a database name of [A-Za-z0-9_-]"
                              : strerror(-rc));
        return -1;
    }
    sathd_log(SATHD_LOG_INFO, "msg=\"bot metrics go to InfluxDB\" db=%s", cfg->influx_db);
    return 0;
}

static int serve(sathd_app *app, const sathd_config *cfg, const sigset_t *stop)
{
    char err[512] = "", addr[300];
    sathd_registry *reg = sathd_registry_new();
    if (!reg || sathd_services_bind_all(reg) != 0) {
        fprintf(stderr, "sathd: cannot register the services\n");
        sathd_registry_free(reg);
        return 1;
    }
    snprintf(addr, sizeof addr, strchr(cfg->grpc_addr.host, ':') ? "[%s]:%d" : "%s:%d",
             cfg->grpc_addr.host, cfg->grpc_addr.port);
    sathd_rpc_opts o = {
        .addr = addr,
        .workers = (int)cfg->grpc_workers,
        .calls_per_method = (int)cfg->grpc_calls_per_method,
        .max_message_bytes = (size_t)cfg->max_message_bytes,
        .tls_cert_file = cfg->tls_cert_file,
        .tls_key_file = cfg->tls_key_file,
        .tls_client_ca_file = cfg->tls_client_ca_file,
        .no_reflection = !sathd_config_reflection(cfg),
    };
    sathd_rpc_hooks hooks = {
        .ud = app,
        .authenticate = sathd_services_authenticate,
        .healthy = sathd_services_healthy,
        .admit = sathd_services_admit,
    };
    sathd_rpc_server *srv = sathd_rpc_server_new(&o, reg, app, &hooks, sath_v1_file_descriptors,
                                                 sath_v1_n_file_descriptors, err, sizeof err);
    if (srv)
        sathd_metrics_add_extra(sathd_rpc_server_metrics(srv), sathd_influx_render_metrics,
                                app->influx);
    if (!srv || sathd_rpc_server_start(srv) != 0) {
        fprintf(stderr, "sathd: cannot serve gRPC on %s: %s\n", addr, err[0] ? err : "bind failed");
        sathd_rpc_server_free(srv);
        sathd_registry_free(reg);
        return 1;
    }
    char http[300] = "off";
#ifdef SATHD_HAVE_GATEWAY
    /* REST over the same registry, chain environment and app: no loopback hop. */
    sathd_gw_local gw_ctx = {.app = app, .reg = reg, .srv = srv};
    sathd_gateway *gw = NULL;
    if (cfg->http_enabled) {
        sathd_gw_backend be;
        sathd_gateway_opts go;
        sathd_gw_local_backend(&be, &gw_ctx);
        sathd_gw_opts_from_config(&go, cfg);
        gw = sathd_gateway_start(&go, sath_v1_all_methods, sath_v1_n_all_methods, &be, err,
                                 sizeof err);
        if (!gw) {
            fprintf(stderr, "sathd: cannot serve REST: %s\n", err);
            sathd_rpc_server_free(srv);
            sathd_registry_free(reg);
            return 1;
        }
        snprintf(http, sizeof http, strchr(cfg->http_addr.host, ':') ? "[%s]:%d" : "%s:%d",
                 cfg->http_addr.host, sathd_gateway_port(gw));
    }
#endif
    sathd_log(SATHD_LOG_INFO, "msg=\"serving\" grpc=%s:%d http=%s tls=%s workers=%d env=%s",
              cfg->grpc_addr.host, sathd_rpc_server_port(srv), http,
              cfg->tls_cert_file ? "on" : "off", (int)cfg->grpc_workers,
              cfg->env == SATHD_ENV_PRODUCTION ? "production" : "development");

    int sig = 0;
    sigwait(stop, &sig);
    sathd_log(SATHD_LOG_INFO, "msg=\"shutting down\" signal=%d grace_ms=%d", sig,
              (int)cfg->shutdown_grace_ms);
#ifdef SATHD_HAVE_GATEWAY
    sathd_gateway_stop(gw); /* REST first: its calls run on the gRPC server's chain */
#endif
    sathd_rpc_server_shutdown(srv, (int)cfg->shutdown_grace_ms);
    sathd_rpc_server_free(srv);
    sathd_registry_free(reg);
    sathd_log(SATHD_LOG_INFO, "msg=\"stopped\"");
    return 0;
}

/* A network service has no business with root's powers: in production sathd refuses
 * them (scripts/run starts it as an unprivileged user); in development it warns. */
static int refuse_root(const sathd_config *cfg)
{
    if (geteuid() != 0)
        return 0;
    if (cfg->env == SATHD_ENV_PRODUCTION) {
        fprintf(stderr, "sathd: refusing to run as root in production (SATH_ENV=production): "
                        "start it as an unprivileged user, e.g. `runuser -u sath -- sathd serve`\n");
        return -1;
    }
    sathd_log(SATHD_LOG_WARN, "msg=\"running as root; production refuses this, use an "
                              "unprivileged user\"");
    return 0;
}

int sathd_cmd_serve(const sathd_config *cfg)
{
    char err[512] = "";
    if (sathd_config_require(cfg, SATHD_CFG_NEED_DB | SATHD_CFG_NEED_REDIS, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: configuration error: %s\n", err);
        return 2;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    sathd_app app;
    unsigned needs = SATHD_APP_DB | SATHD_APP_REDIS | SATHD_APP_AUTH | SATHD_APP_BILLING;
    if (sathd_app_build(&app, cfg, needs, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: %s\n", err);
        return 2;
    }
    /* After the configuration's own checks, so an operator sees those first. */
    if (refuse_root(cfg) != 0) {
        sathd_app_destroy(&app);
        return 2;
    }
    int rc = 1;
    if (check_schema(&app) == 0) {
        /* The schema check just reached PostgreSQL: that is the first health verdict. */
        atomic_store(&app.health.ok, 1);
        grpc_init();
        if (start_influx(&app, cfg) == 0)
            rc = serve(&app, cfg, &stop);
        sathd_influx_free(app.influx, 2000); /* after serve: no call queues points any more */
        app.influx = NULL;
        grpc_shutdown();
    }
    sathd_app_destroy(&app);
    return rc;
}
