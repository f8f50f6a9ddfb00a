/*
 * cmd_user.c - the account commands of sathctl: me, update-me, delete-me.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli_args.h"
#include "output.h"
#include "prompt.h"
#include "sathctl.h"

enum { OPT_EMAIL = 256, OPT_NAME, OPT_NEW_PASSWORD, OPT_PASSWORD_STDIN };

static void free_secret(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

/* Prints the user answered by a call, or the failure; returns the exit code. */
static int finish_user(sathctl *ctx, const char *what, int rc, Sath__V1__User *user)
{
    if (rc != SATH_OK)
        return sathctl_fail(ctx, what, rc);
    sathctl_print_user(ctx, user);
    sath__v1__user__free_unpacked(user, NULL);
    return SATHCTL_EXIT_OK;
}

int sathctl_cmd_me(sathctl *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int rc = sathctl_parse_command(sathctl_find_command("me"), argc, argv, "h", longopts, NULL, NULL);
    if (rc >= 0)
        return rc;
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK)
        return rc;
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *user = NULL;
    rc = sath_user_get_me(ctx->client, &req, &user, ctx->opts);
    return finish_user(ctx, "me", rc, user);
}

typedef struct update_args {
    const char *name;
    const char *email;
    int new_password;
    int password_stdin;
} update_args;

static int on_update_opt(void *st, int opt, const char *arg)
{
    update_args *a = st;
    switch (opt) {
    case OPT_NAME: a->name = arg; return 0;
    case OPT_EMAIL: a->email = arg; return 0;
    case OPT_NEW_PASSWORD: a->new_password = 1; return 0;
    case OPT_PASSWORD_STDIN: a->password_stdin = 1; return 0;
    default: return SATHCTL_EXIT_USAGE;
    }
}

/* Reads the current and the new password (twice when asked on the terminal). */
static int read_passwords(const update_args *a, char **current, char **fresh)
{
    if (sathctl_read_password("Current password: ", a->password_stdin, "SATH_PASSWORD", current) != 0)
        return -1;
    if (sathctl_read_password("New password: ", a->password_stdin, "SATH_NEW_PASSWORD", fresh) != 0)
        return -1;
    const char *env = getenv("SATH_NEW_PASSWORD");
    if (a->password_stdin || (env && *env))
        return 0;
    char *again = NULL;
    if (sathctl_read_password("New password again: ", 0, NULL, &again) != 0)
        return -1;
    int same = strcmp(again, *fresh) == 0;
    free_secret(again);
    if (!same)
        fprintf(stderr, "sathctl: the new passwords differ\n");
    return same ? 0 : -1;
}

int sathctl_cmd_update_me(sathctl *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, OPT_NAME}, {"email", required_argument, NULL, OPT_EMAIL},
        {"new-password", no_argument, NULL, OPT_NEW_PASSWORD},
        {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    update_args a = {NULL, NULL, 0, 0};
    int rc = sathctl_parse_command(sathctl_find_command("update-me"), argc, argv, "h", longopts, on_update_opt, &a);
    if (rc >= 0)
        return rc;
    if (!a.name && !a.email && !a.new_password)
        return sathctl_usage_error("update-me", "nothing to change: give --name, --email or --new-password");
    char *current = NULL, *fresh = NULL;
    int failed = a.new_password ? read_passwords(&a, &current, &fresh)
                 : a.email ? sathctl_read_password("Current password: ", a.password_stdin,
                                                   "SATH_PASSWORD", &current)
                           : 0;
    if (failed != 0) {
        free_secret(current);
        free_secret(fresh);
        return SATHCTL_EXIT_OTHER;
    }
    Google__Protobuf__StringValue name = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    Google__Protobuf__StringValue email = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    Google__Protobuf__StringValue new_pw = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    Google__Protobuf__StringValue cur_pw = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    Sath__V1__UpdateMeRequest req = SATH__V1__UPDATE_ME_REQUEST__INIT;
    if (a.name) {
        name.value = (char *)a.name;
        req.name = &name;
    }
    if (a.email) {
        email.value = (char *)a.email;
        req.email = &email;
    }
    if (a.new_password) {
        new_pw.value = fresh;
        req.new_password = &new_pw;
    }
    if (current) {
        cur_pw.value = current;
        req.current_password = &cur_pw;
    }
    Sath__V1__User *user = NULL;
    rc = sathctl_connect(ctx);
    if (rc == SATHCTL_EXIT_OK) {
        rc = sath_user_update_me(ctx->client, &req, &user, ctx->opts);
        rc = finish_user(ctx, "update-me", rc, user);
    }
    free_secret(current);
    free_secret(fresh);
    return rc;
}

typedef struct delete_args {
    int yes;
    int password_stdin;
} delete_args;

static int on_delete_opt(void *st, int opt, const char *arg)
{
    (void)arg;
    delete_args *a = st;
    switch (opt) {
    case 'y': a->yes = 1; return 0;
    case OPT_PASSWORD_STDIN: a->password_stdin = 1; return 0;
    default: return SATHCTL_EXIT_USAGE;
    }
}

/* Asks for the account's email as confirmation; returns 0 to go on or an exit code. */
static int confirm_delete(sathctl *ctx)
{
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    Sath__V1__User *user = NULL;
    int rc = sath_user_get_me(ctx->client, &req, &user, ctx->opts);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "delete-me", rc);
    char question[600];
    snprintf(question, sizeof question, "Deactivate %s and end all its sessions? Type the email to confirm: ",
             user->email);
    int ok = sathctl_confirm(question, user->email);
    sath__v1__user__free_unpacked(user, NULL);
    if (ok < 0)
        return sathctl_usage_error("delete-me", "no terminal to confirm on: pass --yes");
    if (!ok) {
        fprintf(stderr, "sathctl: delete-me: not confirmed, nothing changed\n");
        return SATHCTL_EXIT_OTHER;
    }
    return 0;
}

int sathctl_cmd_delete_me(sathctl *ctx, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"yes", no_argument, NULL, 'y'}, {"password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    delete_args a = {0, 0};
    int rc = sathctl_parse_command(sathctl_find_command("delete-me"), argc, argv, "hy", longopts, on_delete_opt, &a);
    if (rc >= 0)
        return rc;
    if ((rc = sathctl_connect(ctx)) != SATHCTL_EXIT_OK)
        return rc;
    if (!a.yes && (rc = confirm_delete(ctx)) != 0)
        return rc;
    char *password = NULL;
    if (sathctl_read_password("Password: ", a.password_stdin, "SATH_PASSWORD", &password) != 0)
        return SATHCTL_EXIT_OTHER;
    Sath__V1__DeleteMeRequest req = SATH__V1__DELETE_ME_REQUEST__INIT;
    req.password = password;
    Sath__V1__DeleteMeResponse *resp = NULL;
    rc = sath_user_delete_me(ctx->client, &req, &resp, ctx->opts);
    free_secret(password);
    if (rc != SATH_OK)
        return sathctl_fail(ctx, "delete-me", rc);
    sath__v1__delete_me_response__free_unpacked(resp, NULL);
    sath_client_set_tokens(ctx->client, NULL, NULL); /* the session is gone: forget it */
    sathctl_print_ok(ctx, "account deactivated", NULL);
    return SATHCTL_EXIT_OK;
}
