/*
 * fuzz_httpc.c - libFuzzer target for the parsers of server/httpc that take operator or
 * provider text: the SSRF allow-list (SATH_OUTBOUND_ALLOW: splitting and each entry),
 * the address classifier (the input's first 16 bytes as an IPv6 and 4 as an IPv4
 * address), provider-text scrubbing and the form encoder.
 * Invariants checked: a parsed entry's prefix is within its family's bits and its port
 * 0..65535; a name entry is lower-case [a-z0-9._-]; an IPv4 address and its v4-mapped
 * IPv6 form are classified alike; scrubbed text is printable ASCII, at most `max`
 * bytes, and never contains the secret; the form body only holds unreserved
 * characters, '%XX', '=' and '&'.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_allow(const char *text)
{
    char **list = sathd_httpc_list_split(text);
    for (size_t i = 0; list && list[i]; i++) {
        httpc_allow a;
        if (httpc_allow_parse(list[i], &a) != 0)
            continue;
        if (a.port < 0 || a.port > 65535)
            abort();
        if (a.is_name) {
            for (const char *p = a.name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '-' || *p == '_'))
                    abort();
        } else if (a.prefix < 0 || a.prefix > (a.family == AF_INET ? 32 : 128)) {
            abort();
        }
    }
    sathd_httpc_list_free(list);
}

static void check_classes(const uint8_t *data, size_t size)
{
    if (size < 16)
        return;
    struct sockaddr_in6 six = {.sin6_family = AF_INET6};
    memcpy(six.sin6_addr.s6_addr, data, 16);
    (void)httpc_addr_blocked((const struct sockaddr *)&six);
    struct sockaddr_in four = {.sin_family = AF_INET};
    memcpy(&four.sin_addr, data, 4);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memcpy(six.sin6_addr.s6_addr, mapped, 12);
    memcpy(six.sin6_addr.s6_addr + 12, data, 4);
    if (httpc_addr_blocked((const struct sockaddr *)&four) !=
        httpc_addr_blocked((const struct sockaddr *)&six))
        abort();
}

static void check_scrub(const char *text, size_t len)
{
    const char *secrets[] = {"sk-SECRET", NULL};
    char out[128];
    size_t max = len % 100;
    sathd_httpc_scrub(text, len, secrets, max, out, sizeof out);
    size_t n = strlen(out);
    if (n > max || strstr(out, "sk-SECRET"))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            abort();
}

static void check_form(const char *text, size_t len)
{
    sathd_httpc_form *f = sathd_httpc_form_new();
    if (!f)
        return;
    size_t half = len / 2;
    char *key = strndup(text, half);
    if (key && *key && sathd_httpc_form_add(f, key, text + half) == 0) {
        size_t blen;
        const char *body = sathd_httpc_form_data(f, &blen);
        if (!body || strlen(body) != blen)
            abort();
        for (size_t i = 0; i < blen; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%=&",
                        body[i]))
                abort();
    }
    free(key);
    sathd_httpc_form_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1); /* exact size: ASan sees any over-read */
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t len = strlen(text);
    check_allow(text);
    check_classes(data, size);
    check_scrub(text, size); /* embedded NULs included: scrub takes a length */
    check_form(text, len);
    free(text);
    return 0;
}
