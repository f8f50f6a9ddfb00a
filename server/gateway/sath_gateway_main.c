/*
 * sath_gateway_main.c - the standalone REST gateway: serves the same REST API as sathd's
 * in-process gateway on SATH_HTTP_ADDR and forwards every call over gRPC to the sathd at
 * SATH_UPSTREAM_GRPC.  For operators who scale REST separately.  Stops on SIGTERM/SIGINT.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "sathd/gateway.h"
#include "sathd/gateway_config.h"
#include "gateway_remote.h"
#include "sath/v1/routes.sath.h"
#include "sathd/config.h"
#include "sathd/log.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: sath-gateway [--env-file FILE]\n\n"
                 "Serves the REST/JSON API on SATH_HTTP_ADDR, forwarding to SATH_UPSTREAM_GRPC.\n"
                 "Variables used: SATH_HTTP_*, SATH_CORS_ORIGINS, SATH_DOCS_DIR, "
                 "SATH_UPSTREAM_GRPC, SATH_LOG_LEVEL.\n\n");
    sathd_config_print_help(out);
}

static int run(const sathd_config *cfg, const sigset_t *stop)
{
    char err[512] = "";
    sathd_gw_remote *r = sathd_gw_remote_new(cfg->upstream_grpc, err, sizeof err);
    if (!r) {
        fprintf(stderr, "sath-gateway: %s\n", err);
        return 1;
    }
    sathd_gw_backend be;
    sathd_gw_remote_backend(&be, r);
    sathd_gateway_opts o;
    sathd_gw_opts_from_config(&o, cfg);
    sathd_gateway *g = sathd_gateway_start(&o, sath_v1_all_methods, sath_v1_n_all_methods, &be,
                                           err, sizeof err);
    if (!g) {
        fprintf(stderr, "sath-gateway: %s\n", err);
        sathd_gw_remote_free(r);
        return 1;
    }
    sathd_log(SATHD_LOG_INFO, "msg=\"serving\" http=%s:%d upstream=%s threads=%d",
              cfg->http_addr.host, sathd_gateway_port(g), cfg->upstream_grpc,
              (int)cfg->http_threads);
    int sig = 0;
    sigwait(stop, &sig);
    sathd_log(SATHD_LOG_INFO, "msg=\"shutting down\" signal=%d", sig);
    sathd_gateway_stop(g);
    sathd_gw_remote_free(r);
    sathd_log(SATHD_LOG_INFO, "msg=\"stopped\"");
    return 0;
}

int main(int argc, char **argv)
{
    const char *env_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
            env_file = argv[++i];
        } else {
            fprintf(stderr, "sath-gateway: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sath-gateway: libsodium failed to initialise\n");
        return 1;
    }
    /* Once, before any thread, for whatever reaches out over server/httpc. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "sath-gateway: libcurl failed to initialise\n");
        return 1;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    sathd_config cfg;
    char err[512] = "";
    if (sathd_config_load(&cfg, env_file, err, sizeof err) != 0) {
        fprintf(stderr, "sath-gateway: configuration error: %s\n", err);
        return 2;
    }
    sathd_log_set_level((sathd_log_level)cfg.log_level);
    int rc = run(&cfg, &stop);
    sathd_config_free(&cfg);
    curl_global_cleanup();
    return rc;
}
