/*
 * main.c - sathctl, the command-line client of the SATH Platform: global options, the
 * command table, connecting (with the saved session) and the exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli_args.h"
#include "credentials.h"
#include "output.h"
#include "sathctl.h"

static const sathctl_command commands[] = {
    {"register", "create an account",
     "usage: sathctl register --email EMAIL [--name NAME] [--password-stdin]\n"
     "Creates an account.  The password is read from standard input (--password-stdin),\n"
     "from $SATH_PASSWORD, or asked for on the terminal.  Does not log in.\n",
     sathctl_cmd_register},
    {"login", "log in and save the session",
     "usage: sathctl login --email EMAIL [--password-stdin]\n"
     "Logs in and saves the session for this server in the credentials file.  The password\n"
     "comes from standard input (--password-stdin), $SATH_PASSWORD, or the terminal.\n",
     sathctl_cmd_login},
    {"logout", "end the session",
     "usage: sathctl logout\n"
     "Ends the session on the server and forgets it locally (always, even when the server\n"
     "cannot be reached).\n",
     sathctl_cmd_logout},
    {"me", "show your profile",
     "usage: sathctl me\nShows the profile of the logged-in account.\n", sathctl_cmd_me},
    {"update-me", "change name, email or password",
     "usage: sathctl update-me [--name NAME] [--email EMAIL] [--new-password] [--password-stdin]\n"
     "Changes the given fields.  --new-password asks for the current and the new password\n"
     "(with --password-stdin: the current password on the first line of standard input, the\n"
     "new one on the second; or $SATH_PASSWORD and $SATH_NEW_PASSWORD).\n",
     sathctl_cmd_update_me},
    {"delete-me", "deactivate your account",
     "usage: sathctl delete-me [--yes]\n"
     "Deactivates the account and ends all its sessions.  Without --yes, asks on the terminal\n"
     "for confirmation (type the account's email).\n",
     sathctl_cmd_delete_me},
    {"keys", "manage exchange and AI keys",
     "usage: sathctl keys add-exchange|add-ai|list|rm|test [OPTIONS]\n"
     "  add-exchange --exchange binance|bybit|other --api-key KEY [--label L] [--testnet]\n"
     "               [--secret-stdin]   (secret: stdin, $SATH_API_SECRET or the terminal)\n"
     "  add-ai --provider openai|anthropic|openai-compatible [--label L] [--base-url URL]\n"
     "         [--key-stdin]            (key: stdin, $SATH_AI_KEY or the terminal)\n"
     "  list                            your keys, masked, with the last test\n"
     "  rm ID                           delete a key of either kind\n"
     "  test ID                         test a key against its provider\n",
     sathctl_cmd_keys},
    {"bot", "start, stop and watch your trading bot",
     "usage: sathctl bot start|stop|restart|status|config|logs [OPTIONS]\n"
     "  start [--mode paper|live]       ask for the bot to run (idempotent)\n"
     "  stop                            ask for it to stop (grace period, then killed)\n"
     "  restart                         a new run, picking up the current config\n"
     "  status                          what runs now, and what was asked\n"
     "  config get                      the stored configuration\n"
     "  config set [--symbols A,B] [--capital CENTS] [--risk-bps N] [--strategy S]\n"
     "             [--mode paper|live] [--exchange-key ID] [--ai-key ID]\n"
     "                                  change the given fields (next start or restart)\n"
     "  logs [--tail N] [--since TIME] [-f]   the bot's log; -f follows it\n"
     "TIME is unix seconds or RFC 3339 (2026-11-28T15:00:00Z).\n",
     sathctl_cmd_bot},
    {"help", "show help for a command",
     "usage: sathctl help [COMMAND]\nShows the overall help, or the help of COMMAND.\n", sathctl_cmd_help},
};

const sathctl_command *sathctl_find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void sathctl_print_commands(FILE *out)
{
    fputs("Commands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int sathctl_cmd_help(sathctl *ctx, int argc, char **argv)
{
    (void)ctx;
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    if (argc > 1 && argv[1][0] != '-') {
        const sathctl_command *cmd = sathctl_find_command(argv[1]);
        if (!cmd || argc > 2)
            return sathctl_usage_error("help", "unknown command '%s'", argv[1]);
        fputs(cmd->usage, stdout);
        return SATHCTL_EXIT_OK;
    }
    int rc = sathctl_parse_command(sathctl_find_command("help"), argc, argv, "h", longopts, NULL, NULL);
    if (rc >= 0)
        return rc;
    char *args[] = {(char *)"sathctl", (char *)"--help", NULL};
    int unused = 0;
    sathctl tmp;
    memset(&tmp, 0, sizeof tmp);
    return sathctl_parse_global(&tmp, 2, args, &unused);
}

/* Keeps the credentials file in step with the SDK's tokens (login, refresh, logout). */
static void save_tokens(void *userdata, const char *access_token, const char *refresh_token)
{
    sathctl *ctx = userdata;
    if (ctx->creds_path)
        sathctl_creds_store(ctx->creds_path, ctx->server, access_token, refresh_token);
}

static int restore_session(sathctl *ctx)
{
    char *access_token = NULL, *refresh_token = NULL;
    if (sathctl_creds_path(&ctx->creds_path) != 0) {
        fprintf(stderr, "sathctl: neither XDG_CONFIG_HOME nor HOME is set; sessions are not saved\n");
        return SATH_OK;
    }
    if (sathctl_creds_load(ctx->creds_path, ctx->server, &access_token, &refresh_token) != 0)
        return SATH_EINVAL;
    int rc = SATH_OK;
    if (access_token)
        rc = sath_client_set_tokens(ctx->client, access_token, refresh_token);
    if (access_token) {
        sodium_memzero(access_token, strlen(access_token));
        free(access_token);
    }
    if (refresh_token) {
        sodium_memzero(refresh_token, strlen(refresh_token));
        free(refresh_token);
    }
    return rc;
}

int sathctl_connect(sathctl *ctx)
{
    sath_client_options *o = NULL;
    int rc = sath_client_options_new(&o);
    if (rc == SATH_OK && ctx->tls)
        rc = sath_client_options_set_tls(o, 1);
    if (rc == SATH_OK && ctx->ca_file)
        rc = sath_client_options_set_root_ca_file(o, ctx->ca_file);
    if (rc == SATH_OK && ctx->timeout_ms > 0)
        rc = sath_client_options_set_timeout_ms(o, ctx->timeout_ms);
    if (rc == SATH_OK)
        rc = sath_client_new(ctx->server, o, &ctx->client);
    sath_client_options_free(o);
    if (rc == SATH_OK)
        rc = sath_call_opts_new(&ctx->opts);
    if (rc != SATH_OK) {
        if (rc == SATH_ETLS)
            fprintf(stderr, "sathctl: cannot set up TLS%s%s\n", ctx->ca_file ? " with CA file " : "",
                    ctx->ca_file ? ctx->ca_file : "");
        return sathctl_fail(ctx, "connect", rc);
    }
    if (restore_session(ctx) != SATH_OK)
        return SATHCTL_EXIT_OTHER;
    /* Installed after restoring, so restoring does not rewrite the file. */
    sath_client_on_tokens(ctx->client, save_tokens, ctx);
    return SATHCTL_EXIT_OK;
}

int main(int argc, char **argv)
{
    sathctl ctx;
    memset(&ctx, 0, sizeof ctx);
    if (sodium_init() < 0) {
        fprintf(stderr, "sathctl: cannot initialise libsodium\n");
        return SATHCTL_EXIT_OTHER;
    }
    /* gRPC logs connection failures to stderr itself; sathctl reports them as its own
     * errors, so keep gRPC quiet unless the user asked for its logs. */
    setenv("GRPC_VERBOSITY", "NONE", 0);
    int cmd_index = 0;
    int rc = sathctl_parse_global(&ctx, argc, argv, &cmd_index);
    if (rc >= 0)
        return rc;
    const sathctl_command *cmd = sathctl_find_command(argv[cmd_index]);
    if (!cmd)
        return sathctl_usage_error(NULL, "unknown command '%s'", argv[cmd_index]);
    rc = cmd->run(&ctx, argc - cmd_index, argv + cmd_index);
    sath_call_opts_free(ctx.opts);
    sath_client_free(ctx.client);
    free(ctx.creds_path);
    return rc;
}
