/*
 * pgtypes.c - parsers for PostgreSQL text output the services read back: UUIDs and
 * timestamptz values.  Connections run with DateStyle=ISO and TimeZone=UTC (pg.c),
 * so timestamps arrive as "YYYY-MM-DD HH:MM:SS[.ffffff]+00"; other offsets are still
 * honoured in case a query formats its own.
 */
#include <ctype.h>
#include <string.h>

#include "sathd/pg.h"

int sathd_uuid_valid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (!s || strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

/* Reads exactly `n` digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_offset(const char **pp, int *offset_s)
{
    const char *p = *pp;
    int sign = *p == '+' ? 1 : *p == '-' ? -1 : 0, hh = 0, mm = 0, ss = 0;
    if (!sign)
        return -1;
    p++;
    if (digits(&p, 2, &hh) != 0)
        return -1;
    if (*p == ':' && (p++, digits(&p, 2, &mm) != 0))
        return -1;
    if (*p == ':' && (p++, digits(&p, 2, &ss) != 0))
        return -1;
    if (hh > 15 || mm > 59 || ss > 59)
        return -1;
    *offset_s = sign * (hh * 3600 + mm * 60 + ss);
    *pp = p;
    return 0;
}

int sathd_pg_timestamptz_parse(const char *s, int64_t *seconds, int32_t *nanos)
{
    int y, mo, d, h, mi, se, off = 0;
    const char *p = s;
    if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != ' ' && *p != 'T'))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &se))
        return -1;
    int32_t ns = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; isdigit((unsigned char)*p); p++, n++)
            if (n < 9)
                ns = ns * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 9; n++)
            ns *= 10;
    }
    if (*p == 'Z')
        p++;
    else if (parse_offset(&p, &off) != 0)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
        se > 60)
        return -1;
    *seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    *nanos = ns;
    return 0;
}
