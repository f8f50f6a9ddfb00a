/*
 * main.c - the sathd command line: `sathd [serve]`, `sathd migrate`, `sathd rotate-keys`, `sathd --help`,
 * `sathd --version`.  Global options: `--env-file PATH` (or SATH_ENV_FILE).
 *
 * Exit codes: 0 success, 1 runtime failure (cannot bind, database down, migration
 * failed), 2 bad usage or bad configuration.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "sathd/config.h"
#include "sathd/log.h"
#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sathd [--env-file PATH] [serve|migrate|rotate-keys|jwks|version|help]\n"
            "\n"
            "commands:\n"
            "  serve     run the gRPC server (default)\n"
            "  migrate   apply the database migrations (sql/NNN_*.sql) and exit\n"
            "  rotate-keys  re-encrypt stored API keys under the first SATH_ENCRYPTION_KEYS key\n"
            "  jwks      print the access-token verification keys as a JWK Set (RFC 7517)\n"
            "  version   print the version\n"
            "\n"
            "Configuration comes from environment variables, optionally read from an env\n"
            "file (KEY=VALUE lines; the real environment wins):\n\n");
    sathd_config_print_help(out);
}

int main(int argc, char **argv)
{
    const char *env_file = NULL, *cmd = "serve";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "version") == 0) {
            printf("sathd %s\n", SATHD_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
            env_file = argv[++i];
        } else if (strncmp(argv[i], "--env-file=", 11) == 0) {
            env_file = argv[i] + 11;
        } else if (argv[i][0] != '-' && (strcmp(argv[i], "serve") == 0 ||
                                         strcmp(argv[i], "migrate") == 0 ||
                                         strcmp(argv[i], "rotate-keys") == 0 ||
                                         strcmp(argv[i], "jwks") == 0)) {
            cmd = argv[i];
        } else {
            fprintf(stderr, "sathd: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "sathd: libsodium failed to initialise\n");
        return 1;
    }
    /* libcurl: server/httpc sets it up on the first outbound request (sathd/httpc.h). */
    sathd_config cfg;
    char err[512] = "";
    if (sathd_config_load(&cfg, env_file, err, sizeof err) != 0) {
        fprintf(stderr, "sathd: configuration error: %s\n", err);
        return 2;
    }
    sathd_log_set_level((sathd_log_level)cfg.log_level);
    int rc;
    if (strcmp(cmd, "migrate") == 0)
        rc = sathd_cmd_migrate(&cfg);
    else if (strcmp(cmd, "rotate-keys") == 0)
        rc = sathd_cmd_rotate_keys(&cfg);
    else if (strcmp(cmd, "jwks") == 0)
        rc = sathd_cmd_jwks(&cfg);
    else
        rc = sathd_cmd_serve(&cfg);
    sathd_config_free(&cfg);
    return rc;
}
