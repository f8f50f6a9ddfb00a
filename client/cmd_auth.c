/*
 * cmd_auth.c - the session commands of sathctl: register, login, logout.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli_args.h"
#include "output.h"
#include "prompt.h"
#include "sathctl.h"

enum { OPT_EMAIL = 256, OPT_NAME, OPT_PASSWORD_STDIN };

typedef struct auth_args {
    const char *email;
    const char *name;
    int password_stdin;
} auth_args;

static int on_auth_opt(void *st, int opt, const char *arg)
{
    auth_args *a = st;
    switch (opt) {
    case OPT_EMAIL: a->email = arg; return 0;
    case OPT_NAME: a->name = arg; return 0;
    case OPT_PASSWORD_STDIN: a->password_stdin = 1; return 0;
    default: return SATHCTL_EXIT_USAGE;
    }
}

static void free_secret(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

int sathctl_cmd_register(sathctl *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"email", required_argument, NULL, OPT_EMAIL}, {"name", required_argument, NULL, OPT_NAME},
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    auth_args a = {NULL, "", 0};
    int rc = sathctl_parse_command(sathctl_find_command("register"), argc, argv, "h", longopts, on_auth_opt, &a);
    if (rc >= 0)
        return rc;
    if (!a.email || !*a.email)
        return sathctl_usage_error("register", "--email is required");
    char *password = NULL;
    if (sathctl_read_password("Password for the new account: ", a.password_stdin, "SATH_PASSWORD", &password) != 0)
        return SATHCTL_EXIT_OTHER;
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK) {
        free_secret(password);
        return rc;
    }
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = (char *)a.email;
    req.name = (char *)a.name;
    req.password = password;
    Sath__V1__RegisterResponse *resp = NULL;
    rc = sath_auth_register(ctx->client, &req, &resp, ctx->opts);
    free_secret(password);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "register", rc);
    if (resp->user)
        sathctl_print_user(ctx, resp->user);
    else
        sathctl_print_ok(ctx, "registered", NULL);
    sath__v1__register_response__free_unpacked(resp, NULL);
    return SATHCTL_EXIT_OK;
}

int sathctl_cmd_login(sathctl *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"email", required_argument, NULL, OPT_EMAIL},
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    auth_args a = {NULL, NULL, 0};
    int rc = sathctl_parse_command(sathctl_find_command("login"), argc, argv, "h", longopts, on_auth_opt, &a);
    if (rc >= 0)
        return rc;
    if (!a.email || !*a.email)
        return sathctl_usage_error("login", "--email is required");
    char *password = NULL;
    if (sathctl_read_password("Password: ", a.password_stdin, "SATH_PASSWORD", &password) != 0)
        return SATHCTL_EXIT_OTHER;
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK) {
        free_secret(password);
        return rc;
    }
    /* Stores the tokens; the token callback writes them to the credentials file. */
    rc = sath_client_login(ctx->client, a.email, password, ctx->opts);
    free_secret(password);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "login", rc);
    char msg[512];
    snprintf(msg, sizeof msg, "logged in as %s on %s", a.email, ctx->server);
    sathctl_print_ok(ctx, msg, json_pack("{s:b, s:s, s:s}", "ok", 1, "email", a.email, "server", ctx->server));
    return SATHCTL_EXIT_OK;
}

int sathctl_cmd_logout(sathctl *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int rc = sathctl_parse_command(sathctl_find_command("logout"), argc, argv, "h", longopts, NULL, NULL);
    if (rc >= 0)
        return rc;
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK)
        return rc;
    rc = sath_client_logout(ctx->client, ctx->opts); /* forgets the local session in any case */
    if (rc == SATH_ENOTOKEN) {
        sathctl_print_ok(ctx, "not logged in", NULL);
        return SATHCTL_EXIT_OK;
    }
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "logout (the local session was removed)", rc);
    sathctl_print_ok(ctx, "logged out", NULL);
    return SATHCTL_EXIT_OK;
}
