/*
 * cli_args.c - global options and the per-command option loop.
 *
 * getopt_long is reset between the global and the command pass with optind = 0, which
 * makes glibc reinitialise its state (needed because the first pass stops at the command).
 */
#include "cli_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sathctl_parse_long(const char *s, long *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

int sathctl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sathctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry `sathctl %s%s--help`.\n", cmd ? cmd : "", cmd ? " " : "");
    return SATHCTL_EXIT_USAGE;
}

int sathctl_parse_global(sathctl *ctx, int argc, char **argv, int *cmd_index)
{
    enum { OPT_SERVER = 256, OPT_JSON, OPT_TLS, OPT_CA, OPT_TIMEOUT, OPT_VERSION, OPT_CERT, OPT_KEY,
           OPT_SERVER_NAME };
    static const struct option longopts[] = {
        {"server", required_argument, NULL, OPT_SERVER}, {"json", no_argument, NULL, OPT_JSON},
        {"tls", no_argument, NULL, OPT_TLS},             {"ca", required_argument, NULL, OPT_CA},
        {"cert", required_argument, NULL, OPT_CERT},     {"key", required_argument, NULL, OPT_KEY},
        {"server-name", required_argument, NULL, OPT_SERVER_NAME},
        {"timeout", required_argument, NULL, OPT_TIMEOUT}, {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0},
    };
    const char *env = getenv("SATH_SERVER");
    ctx->server = env && *env ? env : SATHCTL_DEFAULT_SERVER;
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_SERVER: ctx->server = optarg; break;
        case OPT_JSON: ctx->json = 1; break;
        case OPT_TLS: ctx->tls = 1; break;
        case OPT_CA: ctx->ca_file = optarg; ctx->tls = 1; break;
        case OPT_CERT: ctx->cert_file = optarg; ctx->tls = 1; break;
        case OPT_KEY: ctx->key_file = optarg; ctx->tls = 1; break;
        case OPT_SERVER_NAME: ctx->server_name = optarg; break;
        case OPT_TIMEOUT:
            if (sathctl_parse_long(optarg, &ctx->timeout_ms) != 0)
                return sathctl_usage_error(NULL, "--timeout needs a number of milliseconds, not '%s'", optarg);
            break;
        case OPT_VERSION:
            printf("sathctl %s (libsathclient %s)\n", SATH_VERSION_STRING, sath_version());
            return SATHCTL_EXIT_OK;
        case 'h': return SATHCTL_GLOBAL_HELP;
        default: return SATHCTL_GLOBAL_BAD_USAGE;
        }
    }
    if (!*ctx->server)
        return sathctl_usage_error(NULL, "--server must not be empty");
    if (!ctx->cert_file != !ctx->key_file)
        return sathctl_usage_error(NULL, "--cert and --key go together");
    if (ctx->server_name && !*ctx->server_name)
        return sathctl_usage_error(NULL, "--server-name must not be empty");
    *cmd_index = optind;
    if (optind >= argc)
        return SATHCTL_GLOBAL_BAD_USAGE;
    return SATHCTL_GLOBAL_RUN;
}

int sathctl_parse_command(const sathctl_command *cmd, int argc, char **argv, const char *shortopts,
                          const struct option *longopts, int (*on_opt)(void *st, int opt, const char *arg),
                          void *st)
{
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(cmd->usage, stdout);
            return SATHCTL_EXIT_OK;
        }
        if (opt == '?' || opt == ':') {
            fputs(cmd->usage, stderr);
            return SATHCTL_EXIT_USAGE;
        }
        int rc = on_opt ? on_opt(st, opt, optarg) : SATHCTL_EXIT_USAGE;
        if (rc != 0)
            return rc;
    }
    if (optind < argc)
        return sathctl_usage_error(cmd->name, "unexpected argument '%s'", argv[optind]);
    return -1;
}
