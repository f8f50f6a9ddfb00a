/*
 * commands.c - sathctl's command table and all of its help text: the overall usage
 * (global options and the list of commands), each command's usage, and `sathctl help`.
 * Adding a command is one row here plus its sathctl_cmd_* function in a cmd_*.c file.
 *
 * Depends on cli_args.c (option parsing) and nothing depends back: cli_args.c reports
 * "help wanted" / "bad usage" to main.c, which prints through sathctl_print_usage().
 */
#include <stdio.h>
#include <string.h>

#include "cli_args.h"
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
     "Changes the given fields.  --email and --new-password ask for the current password\n"
     "(--new-password then for the new one; with --password-stdin: the current password on\n"
     "the first line of standard input, the new one on the second; or $SATH_PASSWORD and\n"
     "$SATH_NEW_PASSWORD).  Either change ends your other sessions.\n",
     sathctl_cmd_update_me},
    {"delete-me", "deactivate your account",
     "usage: sathctl delete-me [--yes] [--password-stdin]\n"
     "Deactivates the account and ends all its sessions.  Asks for the account's password\n"
     "(or reads it from standard input with --password-stdin, or $SATH_PASSWORD).  Without\n"
     "--yes, also asks on the terminal for confirmation (type the account's email).\n",
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
    {"billing", "plans, subscription and invoices",
     "usage: sathctl billing plans|subscription|subscribe|cancel|invoices [OPTIONS]\n"
     "  plans                           the plans on offer, cheapest first\n"
     "  subscription                    your subscription (the free plan when none)\n"
     "  subscribe --plan NAME [--yearly] subscribe or change plan; prints where to pay\n"
     "  cancel [--now]                  cancel at the end of the paid period, or at once\n"
     "  invoices [--page-size N] [--page-token T]  your invoices, newest first\n",
     sathctl_cmd_billing},
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

static void print_commands(FILE *out)
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
    sathctl_print_usage(stdout);
    return SATHCTL_EXIT_OK;
}

static const char global_usage[] =
    "usage: sathctl [--server HOST:PORT] [--json] [--tls] [--ca FILE] [--cert FILE --key FILE]\n"
    "               [--server-name NAME] [--timeout MS] <command> [args]\n"
    "\n"
    "Global options:\n"
    "  --server HOST:PORT  sathd to talk to (default: $SATH_SERVER or " SATHCTL_DEFAULT_SERVER ")\n"
    "  --json              machine-readable output (JSON on stdout)\n"
    "  --tls               use TLS (server certificate checked against the system roots)\n"
    "  --ca FILE           trust the PEM root certificates in FILE (implies --tls)\n"
    "  --cert FILE --key FILE  present this PEM client certificate and key (mutual TLS)\n"
    "  --server-name NAME  check the server certificate for NAME instead of the host\n"
    "  --timeout MS        deadline of each call in milliseconds (default 30000)\n"
    "  -h, --help          this help;  --version  the versions of sathctl and libsathclient\n"
    "\n";

void sathctl_print_usage(FILE *out)
{
    fputs(global_usage, out);
    print_commands(out);
    fputs("\nRun `sathctl <command> --help` for a command's options.\n"
          "Sessions are kept in ${XDG_CONFIG_HOME:-~/.config}/sath/credentials.json (mode 0600).\n"
          "Exit codes: 0 ok, 1 other failure, 2 usage error, 3 the server answered with an error,\n"
          "4 cannot connect (transport failure).\n",
          out);
}
