/*
 * main.c - sathctl, the command-line client of the SATH Platform: global options,
 * connecting (with the saved session) and the exit code.  The commands and their help
 * are in commands.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli_args.h"
#include "credentials.h"
#include "output.h"
#include "sathctl.h"

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
    if (rc == SATH_OK && ctx->cert_file)
        rc = sath_client_options_set_client_cert_files(o, ctx->cert_file, ctx->key_file);
    if (rc == SATH_OK && ctx->server_name)
        rc = sath_client_options_set_server_name(o, ctx->server_name);
    if (rc == SATH_OK && ctx->timeout_ms > 0)
        rc = sath_client_options_set_timeout_ms(o, ctx->timeout_ms);
    if (rc == SATH_OK)
        rc = sath_client_new(ctx->server, o, &ctx->client);
    sath_client_options_free(o);
    if (rc == SATH_OK)
        rc = sath_call_opts_new(&ctx->opts);
    if (rc != SATH_OK) {
        if (rc == SATH_ETLS)
            fprintf(stderr, "sathctl: cannot set up TLS (unreadable --ca, --cert or --key file?)\n");
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
    if (rc == SATHCTL_GLOBAL_HELP || rc == SATHCTL_GLOBAL_BAD_USAGE) {
        sathctl_print_usage(rc == SATHCTL_GLOBAL_HELP ? stdout : stderr);
        return rc == SATHCTL_GLOBAL_HELP ? SATHCTL_EXIT_OK : SATHCTL_EXIT_USAGE;
    }
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
