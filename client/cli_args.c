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

static const char global_usage[] =
    "usage: sathctl [--server HOST:PORT] [--json] [--tls] [--ca FILE] [--timeout MS] <command> [args]\n"
    "\n"
    "Global options:\n"
    "  --server HOST:PORT  sathd to talk to (default: $SATH_SERVER or " SATHCTL_DEFAULT_SERVER ")\n"
    "  --json              machine-readable output (JSON on stdout)\n"
    "  --tls               use TLS (server certificate checked against the system roots)\n"
    "  --ca FILE           trust the PEM root certificates in FILE (implies --tls)\n"
    "  --timeout MS        deadline of each call in milliseconds (default 30000)\n"
    "  -h, --help          this help;  --version  the versions of sathctl and libsathclient\n"
    "\n";

static void print_global_usage(FILE *out)
{
    fputs(global_usage, out);
    sathctl_print_commands(out);
    fputs("\nRun `sathctl <command> --help` for a command's options.\n"
          "Sessions are kept in ${XDG_CONFIG_HOME:-~/.config}/sath/credentials.json (mode 0600).\n"
          "Exit codes: 0 ok, 1 other failure, 2 usage error, 3 the server answered with an error,\n"
          "4 cannot connect (transport failure).\n",
          out);
}

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
    enum { OPT_SERVER = 256, OPT_JSON, OPT_TLS, OPT_CA, OPT_TIMEOUT, OPT_VERSION };
    static const struct option longopts[] = {
        {"server", required_argument, NULL, OPT_SERVER}, {"json", no_argument, NULL, OPT_JSON},
        {"tls", no_argument, NULL, OPT_TLS},             {"ca", required_argument, NULL, OPT_CA},
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
        case OPT_TIMEOUT:
            if (sathctl_parse_long(optarg, &ctx->timeout_ms) != 0)
                return sathctl_usage_error(NULL, "--timeout needs a number of milliseconds, not '%s'", optarg);
            break;
        case OPT_VERSION:
            printf("sathctl %s (libsathclient %s)\n", SATH_VERSION_STRING, sath_version());
            return SATHCTL_EXIT_OK;
        case 'h': print_global_usage(stdout); return SATHCTL_EXIT_OK;
        default: print_global_usage(stderr); return SATHCTL_EXIT_USAGE;
        }
    }
    if (!*ctx->server)
        return sathctl_usage_error(NULL, "--server must not be empty");
    *cmd_index = optind;
    if (optind >= argc) {
        print_global_usage(stderr);
        return SATHCTL_EXIT_USAGE;
    }
    return -1;
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
