/*
 * keyring.c - master keys from SATH_ENCRYPTION_KEYS and their per-purpose subkeys (see
 * keyring.h).  Decoded master keys exist only on this stack for the time it takes to
 * derive the subkeys, and are wiped right after.
 */
#include "keys_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/config.h"

/* crypto_kdf context: exactly crypto_kdf_CONTEXTBYTES (8) characters. */
static const char kdf_context[crypto_kdf_CONTEXTBYTES + 1] = "sathkeys";

int sathd_keys_kid_valid(const char *kid, size_t len)
{
    if (len == 0 || len > SATHD_KEYS_KID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = kid[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static sathd_keyring *ring_alloc(size_t n)
{
    sathd_keyring *kr = calloc(1, sizeof *kr);
    if (!kr)
        return NULL;
    kr->entries = sodium_malloc(n * sizeof *kr->entries);
    if (!kr->entries) {
        free(kr);
        return NULL;
    }
    memset(kr->entries, 0, n * sizeof *kr->entries);
    kr->n = n;
    return kr;
}

static int derive(sathd_keyring_entry *e, const unsigned char master[SATHD_KEYS_MASTER_BYTES])
{
    for (int p = 0; p < SATHD_KEYS_NPURPOSES; p++)
        if (crypto_kdf_derive_from_key(e->subkey[p], sizeof e->subkey[p], (uint64_t)(p + 1),
                                       kdf_context, master) != 0)
            return -1;
    return 0;
}

/* Parses one "kid:base64" item of `len` bytes into entry `e`.  0 or -1 with err. */
static int parse_item(const sathd_keyring *kr, size_t idx, const char *item, size_t len,
                      char *err, size_t errlen)
{
    sathd_keyring_entry *e = &kr->entries[idx];
    const char *colon = memchr(item, ':', len);
    if (!colon) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: item %zu is not kid:base64key", idx + 1);
        return -1;
    }
    size_t kid_len = (size_t)(colon - item);
    if (!sathd_keys_kid_valid(item, kid_len)) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: item %zu: key id must be 1-%d of "
                 "[A-Za-z0-9_.-]", idx + 1, SATHD_KEYS_KID_MAX);
        return -1;
    }
    memcpy(e->kid, item, kid_len);
    e->kid[kid_len] = '\0';
    for (size_t j = 0; j < idx; j++)
        if (strcmp(kr->entries[j].kid, e->kid) == 0) {
            snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: key id '%s' appears twice", e->kid);
            return -1;
        }
    char b64[128];
    size_t b64_len = len - kid_len - 1;
    if (b64_len == 0 || b64_len >= sizeof b64) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: key '%s' must be base64 of 32 bytes "
                 "(generate one with `head -c32 /dev/urandom | base64`)", e->kid);
        return -1;
    }
    memcpy(b64, colon + 1, b64_len);
    b64[b64_len] = '\0';
    unsigned char master[64];
    long n = sathd_base64_decode_any(b64, master, sizeof master);
    sodium_memzero(b64, sizeof b64);
    int rc = 0;
    if (n != SATHD_KEYS_MASTER_BYTES) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: key '%s' must be base64 of exactly 32 bytes "
                 "(generate one with `head -c32 /dev/urandom | base64`)", e->kid);
        rc = -1;
    } else if (derive(e, master) != 0) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: key derivation failed");
        rc = -1;
    }
    sodium_memzero(master, sizeof master);
    return rc;
}

sathd_keyring *sathd_keyring_parse(const char *spec, char *err, size_t errlen)
{
    if (!spec || !*spec) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS is empty");
        return NULL;
    }
    size_t n = 1;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    if (n > 64) {
        snprintf(err, errlen, "SATH_ENCRYPTION_KEYS: at most 64 keys");
        return NULL;
    }
    sathd_keyring *kr = ring_alloc(n);
    if (!kr) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *p = spec;
    for (size_t i = 0; i < n; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (parse_item(kr, i, p, len, err, errlen) != 0) {
            sathd_keyring_free(kr);
            return NULL;
        }
        p = comma ? comma + 1 : p + len;
    }
    return kr;
}

sathd_keyring *sathd_keyring_ephemeral(const char *kid)
{
    if (!kid || !sathd_keys_kid_valid(kid, strlen(kid)))
        return NULL;
    sathd_keyring *kr = ring_alloc(1);
    if (!kr)
        return NULL;
    unsigned char master[SATHD_KEYS_MASTER_BYTES];
    crypto_kdf_keygen(master);
    snprintf(kr->entries[0].kid, sizeof kr->entries[0].kid, "%s", kid);
    int rc = derive(&kr->entries[0], master);
    sodium_memzero(master, sizeof master);
    if (rc != 0) {
        sathd_keyring_free(kr);
        return NULL;
    }
    return kr;
}

void sathd_keyring_free(sathd_keyring *kr)
{
    if (!kr)
        return;
    sodium_free(kr->entries); /* wipes */
    free(kr);
}

const char *sathd_keyring_current_kid(const sathd_keyring *kr)
{
    return kr->entries[0].kid;
}

const sathd_keyring_entry *sathd_keyring_find(const sathd_keyring *kr, const char *kid)
{
    for (size_t i = 0; i < kr->n; i++)
        if (strcmp(kr->entries[i].kid, kid) == 0)
            return &kr->entries[i];
    return NULL;
}

int sathd_keyring_has_kid(const sathd_keyring *kr, const char *kid)
{
    return kid && sathd_keyring_find(kr, kid) != NULL;
}

size_t sathd_keyring_count(const sathd_keyring *kr)
{
    return kr->n;
}
