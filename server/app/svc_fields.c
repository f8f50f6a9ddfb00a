/*
 * svc_fields.c - message fields: response fields built in the call's arena from SQL text, and
 * request timestamps checked into milliseconds (see sathd/svc.h).
 */
#include "sathd/svc.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

Google__Protobuf__Timestamp *sathd_svc_timestamp_us(sathd_call *call, const char *us_text)
{
    if (!us_text || !*us_text)
        return NULL;
    char *end = NULL;
    long long us = strtoll(us_text, &end, 10);
    if (!end || *end)
        return NULL;
    Google__Protobuf__Timestamp *ts = sathd_call_alloc(call, sizeof *ts);
    if (!ts)
        return NULL;
    google__protobuf__timestamp__init(ts);
    long long sec = us / 1000000, rem = us % 1000000;
    if (rem < 0) { /* floor division: nanos is never negative */
        rem += 1000000;
        sec -= 1;
    }
    ts->seconds = sec;
    ts->nanos = (int32_t)(rem * 1000);
    return ts;
}

int sathd_svc_timestamp_ms(const Google__Protobuf__Timestamp *t, int64_t *ms)
{
    if (!t || t->seconds < -62135596800LL || t->seconds > 253402300799LL || t->nanos < 0 ||
        t->nanos > 999999999)
        return -1;
    *ms = t->seconds * 1000 + t->nanos / 1000000;
    return 0;
}

char *sathd_svc_cell(sathd_call *call, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return sathd_call_strdup(call, "");
    return sathd_call_strndup(call, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

int64_t sathd_svc_now(void) { return (int64_t)time(NULL); }

long sathd_svc_affected(const PGresult *res)
{
    /* PQcmdTuples only reads, but libpq declares it on a non-const result. */
    return strtol(PQcmdTuples((PGresult *)(uintptr_t)res), NULL, 10);
}
