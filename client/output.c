/*
 * output.c - human and JSON output of sathctl (see output.h).
 */
#include "output.h"

#include <stdio.h>
#include <time.h>

#include "sath/v1/user.pb-c.h"

/* RFC 3339 UTC text of a Timestamp into buf; "" when absent. */
const char *sathctl_timestamp_text(const Google__Protobuf__Timestamp *ts, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!ts)
        return buf;
    time_t t = (time_t)ts->seconds;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

void sathctl_print_user(const sathctl *ctx, const Sath__V1__User *u)
{
    char created[32], updated[32];
    sathctl_timestamp_text(u->created_at, created, sizeof created);
    sathctl_timestamp_text(u->updated_at, updated, sizeof updated);
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s?, s:s?}", "id", u->id, "email", u->email,
                              "name", u->name, "is_active", u->is_active, "plan", u->plan, "created_at",
                              u->created_at ? created : NULL, "updated_at", u->updated_at ? updated : NULL);
        json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
        return;
    }
    printf("id:         %s\n", u->id);
    printf("email:      %s\n", u->email);
    printf("name:       %s\n", u->name);
    printf("active:     %s\n", u->is_active ? "yes" : "no");
    printf("plan:       %s\n", u->plan);
    if (*created)
        printf("created at: %s\n", created);
    if (*updated)
        printf("updated at: %s\n", updated);
}

void sathctl_print_ok(const sathctl *ctx, const char *human, json_t *obj)
{
    if (ctx->json) {
        if (!obj)
            obj = json_pack("{s:b}", "ok", 1);
        json_dumpf(obj, stdout, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', stdout);
    } else {
        puts(human);
    }
    json_decref(obj);
}

int sathctl_exit_code(int rc)
{
    if (rc == SATH_OK)
        return SATHCTL_EXIT_OK;
    if (rc == SATH_UNAVAILABLE || rc == SATH_ETRANSPORT || rc == SATH_ETLS)
        return SATHCTL_EXIT_TRANSPORT;
    if (rc > 0)
        return SATHCTL_EXIT_SERVER;
    return SATHCTL_EXIT_OTHER;
}

int sathctl_fail(const sathctl *ctx, const char *what, int rc)
{
    /* The per-call options hold the server's own message (or the SDK's description). */
    const char *msg = ctx->opts && sath_call_opts_status(ctx->opts) == rc
                          ? sath_call_opts_status_message(ctx->opts) : "";
    if (!*msg)
        msg = sath_strerror(rc);
    if (ctx->json) {
        json_t *o = json_pack("{s:{s:i, s:s, s:s}}", "error", "code", rc, "name", sath_err_name(rc),
                              "message", msg);
        json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(o);
    } else {
        fprintf(stderr, "sathctl: %s: %s: %s\n", what, sath_err_name(rc), msg);
    }
    return sathctl_exit_code(rc);
}
