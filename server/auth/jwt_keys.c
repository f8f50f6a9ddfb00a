/*
 * jwt_keys.c - building and loading the JWT key set (sathd_jwt_keys): Ed25519 from a
 * seed, a base64 seed or a key file; HS256 from a secret; extra public-only keys for
 * verification while keys rotate; and seed generation for first start.
 *
 * The set is immutable once the loader returns, which is what makes sharing it between
 * threads safe without locks.
 */
#include "jwt_internal.h"

#include "sathd/log.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEED_BYTES crypto_sign_SEEDBYTES

int sathd_jwt_kid_valid(const char *kid)
{
    size_t n = 0;
    if (!kid)
        return 0;
    for (; kid[n]; n++) {
        unsigned char c = (unsigned char)kid[n];
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ',' || c == ':')
            return 0;
        if (n >= SATHD_JWT_KID_MAX)
            return 0;
    }
    return n > 0;
}

static void set_why(const char **why, const char *msg)
{
    if (why)
        *why = msg;
}

static sathd_jwt_keys *keys_alloc(sathd_jwt_alg alg)
{
    sathd_jwt_keys *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->secret = sodium_malloc(sizeof *k->secret);
    if (!k->secret) {
        free(k);
        return NULL;
    }
    sodium_memzero(k->secret, sizeof *k->secret);
    k->alg = alg;
    return k;
}

void sathd_jwt_keys_free(sathd_jwt_keys *k)
{
    if (!k)
        return;
    sodium_free(k->secret); /* wipes */
    sodium_memzero(k, sizeof *k);
    free(k);
}

/* kid = first 16 chars of base64url(SHA-256(pk)): stable across restarts, changes with
 * the key, and needs no configuration. */
static void derive_kid(char out[SATHD_JWT_KID_MAX + 1], const unsigned char pk[32])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[64];
    crypto_hash_sha256(h, pk, 32);
    sathd_b64url_encode(b64, sizeof b64, h, sizeof h);
    memcpy(out, b64, 16);
    out[16] = '\0';
}

sathd_jwt_keys *sathd_jwt_keys_new_ed25519(const unsigned char seed[32], const char *kid,
                                           const char **why)
{
    if (!seed) {
        set_why(why, "missing Ed25519 seed");
        return NULL;
    }
    if (kid && *kid && !sathd_jwt_kid_valid(kid)) {
        set_why(why, "invalid kid (1-64 printable ASCII, no quote, backslash, comma, colon)");
        return NULL;
    }
    sathd_jwt_keys *k = keys_alloc(SATHD_JWT_ALG_EDDSA);
    if (!k) {
        set_why(why, "out of memory");
        return NULL;
    }
    if (crypto_sign_seed_keypair(k->keys[0].pk, k->secret->ed_sk, seed) != 0) {
        sathd_jwt_keys_free(k);
        set_why(why, "crypto_sign_seed_keypair failed");
        return NULL;
    }
    if (kid && *kid)
        strcpy(k->kid, kid); /* length checked by sathd_jwt_kid_valid */
    else
        derive_kid(k->kid, k->keys[0].pk);
    strcpy(k->keys[0].kid, k->kid);
    k->n_keys = 1;
    return k;
}

sathd_jwt_keys *sathd_jwt_keys_new_hs256(const unsigned char *secret, size_t len,
                                         const char *kid, const char **why)
{
    if (!secret || len < SATHD_JWT_HS256_MIN_SECRET) {
        set_why(why, "HS256 secret must be at least 32 bytes");
        return NULL;
    }
    if (len > SATHD_JWT_HS256_MAX_SECRET) {
        set_why(why, "HS256 secret longer than 256 bytes");
        return NULL;
    }
    if (kid && *kid && !sathd_jwt_kid_valid(kid)) {
        set_why(why, "invalid kid (1-64 printable ASCII, no quote, backslash, comma, colon)");
        return NULL;
    }
    sathd_jwt_keys *k = keys_alloc(SATHD_JWT_ALG_HS256);
    if (!k) {
        set_why(why, "out of memory");
        return NULL;
    }
    memcpy(k->secret->hs, secret, len);
    k->hs_len = len;
    if (kid && *kid)
        strcpy(k->kid, kid);
    return k;
}

/* Decodes standard padded base64 or unpadded base64url, ignoring surrounding
 * whitespace, into exactly 32 bytes. */
static int decode_seed(const char *b64, unsigned char seed[SEED_BYTES])
{
    static const int variants[] = {sodium_base64_VARIANT_ORIGINAL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    size_t start = 0, end = strlen(b64);
    while (start < end && isspace((unsigned char)b64[start]))
        start++;
    while (end > start && isspace((unsigned char)b64[end - 1]))
        end--;
    if (!sathd_b64url_alphabet_ok(b64 + start, end - start, "+/=-_"))
        return -1; /* libsodium 1.0.18 would accept bytes >= 0x80 */
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t n = 0;
        if (sodium_base642bin(seed, SEED_BYTES, b64 + start, end - start, NULL, &n, NULL,
                              variants[i]) == 0 &&
            n == SEED_BYTES)
            return 0;
    }
    sodium_memzero(seed, SEED_BYTES);
    return -1;
}

sathd_jwt_keys *sathd_jwt_keys_from_seed_b64(const char *b64, const char *kid,
                                             const char **why)
{
    unsigned char seed[SEED_BYTES];
    if (!b64 || decode_seed(b64, seed) != 0) {
        set_why(why, "Ed25519 key is not the base64 of a 32-byte seed");
        return NULL;
    }
    sathd_jwt_keys *k = sathd_jwt_keys_new_ed25519(seed, kid, why);
    sodium_memzero(seed, sizeof seed);
    return k;
}

sathd_jwt_keys *sathd_jwt_keys_from_key_file(const char *path, const char *kid,
                                             const char **why)
{
    char buf[257];
    struct stat st;
    if (!path) {
        set_why(why, "missing key file path");
        return NULL;
    }
    /* Symlinks are followed (container secret mounts are links); the checks below apply
     * to the file actually opened. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_why(why, "cannot open key file");
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        set_why(why, "key file is not a regular file");
        return NULL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        sathd_log(SATHD_LOG_ERROR, "msg=\"jwt key file has group/other permissions\" mode=%03o",
                  (unsigned)(st.st_mode & 0777));
        set_why(why, "key file must not be accessible by group or others (chmod 600)");
        return NULL;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || (size_t)n >= sizeof buf - 1) {
        sodium_memzero(buf, sizeof buf);
        set_why(why, "key file must hold one line: the base64 seed");
        return NULL;
    }
    buf[n] = '\0';
    sathd_jwt_keys *k = sathd_jwt_keys_from_seed_b64(buf, kid, why);
    sodium_memzero(buf, sizeof buf);
    return k;
}

int sathd_jwt_keys_add_public(sathd_jwt_keys *k, const char *kid, const unsigned char pk[32],
                              const char **why)
{
    if (!k || k->alg != SATHD_JWT_ALG_EDDSA) {
        set_why(why, "extra public keys need an EdDSA key set");
        return -1;
    }
    if (!pk || !sathd_jwt_kid_valid(kid)) {
        set_why(why, "invalid kid for extra public key");
        return -1;
    }
    for (size_t i = 0; i < k->n_keys; i++)
        if (strcmp(k->keys[i].kid, kid) == 0) {
            set_why(why, "duplicate kid in key set");
            return -1;
        }
    if (k->n_keys >= sizeof k->keys / sizeof k->keys[0]) {
        set_why(why, "too many extra public keys");
        return -1;
    }
    strcpy(k->keys[k->n_keys].kid, kid);
    memcpy(k->keys[k->n_keys].pk, pk, 32);
    k->n_keys++;
    return 0;
}

int sathd_jwt_keys_add_public_list(sathd_jwt_keys *k, const char *list, const char **why)
{
    if (!list)
        return 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        char kid[SATHD_JWT_KID_MAX + 1];
        unsigned char pk[32];
        size_t pk_len = 0;
        if (!colon || (size_t)(colon - p) > SATHD_JWT_KID_MAX) {
            set_why(why, "extra public key entry must be kid:base64url(public key)");
            return -1;
        }
        memcpy(kid, p, (size_t)(colon - p));
        kid[colon - p] = '\0';
        if (sathd_b64url_decode(pk, sizeof pk, colon + 1, len - (size_t)(colon - p) - 1,
                                &pk_len) != 0 ||
            pk_len != 32) {
            set_why(why, "extra public key is not 32 bytes of unpadded base64url");
            return -1;
        }
        if (sathd_jwt_keys_add_public(k, kid, pk, why) != 0)
            return -1;
        p = end ? end + 1 : p + len;
    }
    return 0;
}

sathd_jwt_alg sathd_jwt_keys_alg(const sathd_jwt_keys *k) { return k->alg; }

const char *sathd_jwt_keys_kid(const sathd_jwt_keys *k) { return k->kid; }

void sathd_jwt_gen_seed(unsigned char seed[32]) { randombytes_buf(seed, 32); }

char *sathd_jwt_gen_seed_b64(void)
{
    unsigned char seed[SEED_BYTES];
    size_t cap = sodium_base64_ENCODED_LEN(SEED_BYTES, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(cap);
    if (!out)
        return NULL;
    sathd_jwt_gen_seed(seed);
    sodium_bin2base64(out, cap, seed, sizeof seed, sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(seed, sizeof seed);
    return out;
}
