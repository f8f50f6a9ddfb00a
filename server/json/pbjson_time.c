/*
 * pbjson_time.c - the text forms of google.protobuf.Timestamp (RFC 3339, UTC on output,
 * any offset on input, 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z) and
 * google.protobuf.Duration ("1.000340012s", "-3s", |seconds| <= 315576000000).
 * Fractions are printed with 0, 3, 6 or 9 digits, as protobuf's own libraries do.
 */
#include <stdio.h>
#include <string.h>

#include "pbjson_internal.h"

#define TS_MIN_SECONDS (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define TS_MAX_SECONDS 253402300799LL   /* 9999-12-31T23:59:59Z */
#define DUR_MAX_SECONDS 315576000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ".123" style suffix with 3, 6 or 9 digits; "" for 0. nanos in [0, 1e9). */
static void format_nanos(int32_t nanos, char out[12])
{
    if (nanos == 0)
        out[0] = '\0';
    else if (nanos % 1000000 == 0)
        snprintf(out, 12, ".%03d", (int)(nanos / 1000000));
    else if (nanos % 1000 == 0)
        snprintf(out, 12, ".%06d", (int)(nanos / 1000));
    else
        snprintf(out, 12, ".%09d", (int)nanos);
}

bool pbj_timestamp_format(int64_t seconds, int32_t nanos, char out[40])
{
    if (seconds < TS_MIN_SECONDS || seconds > TS_MAX_SECONDS || nanos < 0 || nanos > 999999999)
        return false;
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rem = seconds - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char frac[12];
    format_nanos(nanos, frac);
    /* y, m, d, rem are in range here: 20 + 10 + 1 characters at most */
    snprintf(out, 40, "%04d-%02u-%02uT%02d:%02d:%02d%.10sZ", (int)y, m % 100, d % 100,
             (int)(rem / 3600) % 100, (int)(rem / 60 % 60), (int)(rem % 60), frac);
    return true;
}

/* Reads exactly n digits. */
static bool digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return true;
}

/* ".d{1,9}" if present: nanoseconds. */
static bool fraction(const char **s, int32_t *nanos)
{
    *nanos = 0;
    if (**s != '.')
        return true;
    (*s)++;
    int n = 0;
    int32_t v = 0;
    while (**s >= '0' && **s <= '9') {
        if (++n > 9)
            return false;
        v = v * 10 + (**s - '0');
        (*s)++;
    }
    if (n == 0)
        return false;
    for (; n < 9; n++)
        v *= 10;
    *nanos = v;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool pbj_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos)
{
    static const unsigned char mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
        return false;
    s++;
    if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) || *s++ != ':' ||
        !digits(&s, 2, &se) || !fraction(&s, nanos))
        return false;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om) || oh > 23 || om > 59)
            return false;
    } else {
        return false;
    }
    if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
        return false;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    t -= sign * (oh * 3600 + om * 60);
    if (t < TS_MIN_SECONDS || t > TS_MAX_SECONDS)
        return false;
    *seconds = t;
    return true;
}

bool pbj_duration_format(int64_t seconds, int32_t nanos, char out[40])
{
    if (seconds < -DUR_MAX_SECONDS || seconds > DUR_MAX_SECONDS || nanos <= -1000000000 ||
        nanos >= 1000000000 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
        return false;
    bool neg = seconds < 0 || nanos < 0;
    char frac[12];
    format_nanos(neg ? -nanos : nanos, frac);
    snprintf(out, 40, "%s%lld%ss", neg ? "-" : "", (long long)(neg ? -seconds : seconds), frac);
    return true;
}

bool pbj_duration_parse(const char *s, int64_t *seconds, int32_t *nanos)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    if (*s < '0' || *s > '9')
        return false;
    int64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
        if (v > DUR_MAX_SECONDS)
            return false;
    }
    int32_t n;
    if (!fraction(&s, &n) || *s++ != 's' || *s != '\0')
        return false;
    *seconds = neg ? -v : v;
    *nanos = neg ? -n : n;
    return true;
}
