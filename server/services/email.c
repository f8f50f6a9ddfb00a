/*
 * email.c - account email addresses: what we accept and how we store them.
 *
 * We accept the common subset every mail system delivers to: a dot-atom local part
 * (RFC 5322 atext, no quoted strings, no comments) and a host name of LDH labels with a
 * dot.  Everything is ASCII and folded to lower case, so the unique index on the stored
 * value is case-insensitive by construction.  (Local parts are case-sensitive in theory;
 * no real provider treats them so, and users expect Ana@X and ana@x to be one account.)
 */
#include "email.h"

#include <ctype.h>
#include <string.h>

static int is_atext(unsigned char c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int check_local(const char *s, size_t n, const char **why)
{
    if (n == 0 || n > 64) {
        *why = "the part before @ must have 1 to 64 characters";
        return -1;
    }
    if (s[0] == '.' || s[n - 1] == '.') {
        *why = "the part before @ cannot start or end with a dot";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' && s[i + 1] == '.') {
            *why = "the part before @ cannot contain two dots in a row";
            return -1;
        }
        if (c != '.' && !is_atext(c)) {
            *why = "the part before @ contains a character that is not allowed";
            return -1;
        }
    }
    return 0;
}

static int check_domain(const char *s, size_t n, const char **why)
{
    *why = "the domain is not a valid host name";
    if (n == 0 || n > 253)
        return -1;
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            unsigned char c = (unsigned char)s[i];
            if (!isalnum(c) && c != '-')
                return -1;
            continue;
        }
        size_t len = i - start;
        if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
            return -1;
        labels++;
        start = i + 1;
    }
    if (labels < 2)
        return -1;
    /* The top-level label is never all digits (that would be an IP address). */
    const char *tld = strrchr(s, '.') + 1;
    size_t digits = strspn(tld, "0123456789");
    if (digits == (size_t)(s + n - tld))
        return -1;
    return 0;
}

int sathd_email_normalize(const char *in, char *out, size_t outlen, const char **why)
{
    static const char *ignored;
    if (!why)
        why = &ignored;
    if (!in || !*in) {
        *why = "email is required";
        return -1;
    }
    size_t n = strlen(in);
    if (n > 254 || outlen < n + 1) {
        *why = "email is longer than 254 characters";
        return -1;
    }
    const char *at = strchr(in, '@');
    if (!at || strchr(at + 1, '@')) {
        *why = "email must contain exactly one @";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)in[i] >= 0x80 || (unsigned char)in[i] <= 0x20) {
            *why = "email must be ASCII without spaces or control characters";
            return -1;
        }
    }
    if (check_local(in, (size_t)(at - in), why) != 0 ||
        check_domain(at + 1, n - (size_t)(at - in) - 1, why) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[n] = '\0';
    return 0;
}
