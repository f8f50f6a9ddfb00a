/*
 * sathctl.h - what every part of sathctl shares: the run context, exit codes and the
 * command table.
 *
 * Exit codes (documented in `sathctl help`): 0 ok, 1 other failure, 2 usage error,
 * 3 the server answered with an error, 4 cannot connect / transport failure.
 */
#ifndef SATHCTL_H
#define SATHCTL_H

#include <stdio.h>

#include "sath/sath.h"

enum {
    SATHCTL_EXIT_OK = 0,
    SATHCTL_EXIT_OTHER = 1,
    SATHCTL_EXIT_USAGE = 2,
    SATHCTL_EXIT_SERVER = 3,
    SATHCTL_EXIT_TRANSPORT = 4
};

#define SATHCTL_DEFAULT_SERVER "127.0.0.1:50051"

/* State of one sathctl run, filled from the global options. */
typedef struct sathctl {
    const char *server;   /* --server, SATH_SERVER or the default */
    int json;             /* --json: machine output */
    int tls;              /* --tls */
    const char *ca_file;  /* --ca (implies TLS) */
    const char *cert_file; /* --cert and --key: client certificate (mutual TLS) */
    const char *key_file;
    const char *server_name; /* --server-name: name checked in the server certificate */
    long timeout_ms;      /* --timeout, 0: the SDK default */
    char *creds_path;     /* credentials.json, malloc'd */
    sath_client *client;  /* after sathctl_connect() */
    sath_call_opts *opts; /* the options of every call (timeout); holds the last status */
} sathctl;

/* One subcommand.  run() gets argv[0] == the command name. */
typedef struct sathctl_command {
    const char *name;
    const char *summary;
    const char *usage; /* full --help text */
    int (*run)(sathctl *ctx, int argc, char **argv);
} sathctl_command;

/* Creates ctx->client for ctx->server, restores the saved session of that server and
 * keeps the credentials file up to date through the token callback.  Returns an exit code. */
int sathctl_connect(sathctl *ctx);

/* The command table (commands.c): lookup, and the overall usage (global options and
 * the list of commands). */
const sathctl_command *sathctl_find_command(const char *name);
void sathctl_print_usage(FILE *out);

/* Commands (cmd_auth.c, cmd_user.c). */
int sathctl_cmd_register(sathctl *ctx, int argc, char **argv);
int sathctl_cmd_login(sathctl *ctx, int argc, char **argv);
int sathctl_cmd_logout(sathctl *ctx, int argc, char **argv);
int sathctl_cmd_me(sathctl *ctx, int argc, char **argv);
int sathctl_cmd_update_me(sathctl *ctx, int argc, char **argv);
int sathctl_cmd_delete_me(sathctl *ctx, int argc, char **argv);
int sathctl_cmd_help(sathctl *ctx, int argc, char **argv); /* commands.c */
int sathctl_cmd_keys(sathctl *ctx, int argc, char **argv); /* cmd_keys.c */
int sathctl_cmd_billing(sathctl *ctx, int argc, char **argv); /* cmd_billing.c */
int sathctl_cmd_bot(sathctl *ctx, int argc, char **argv);  /* cmd_bot.c */
int sathctl_bot_performance(sathctl *ctx, int64_t since_s, long step_s); /* cmd_bot_perf.c */

#endif /* SATHCTL_H */
