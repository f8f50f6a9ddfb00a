/*
 * fuzz_stripe_sig.c - libFuzzer target for the Stripe-Signature parser and verifier
 * (server/billing/stripe_sig.c, compiled in for coverage).
 *
 * Input: the header bytes.  Checked properties: parse never reads past the input (ASan)
 * and its result is consistent (OK implies a t and 1..MAX_V1 signatures; NO_V1 implies
 * none); verify over a fixed body never accepts a header the fuzzer wrote unless it holds
 * the real HMAC (it cannot forge one) -- so OK only happens when the header contains
 * the signature sathd_stripe_sig_sign computes for its own t.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sathd/stripe_sig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (sodium_init() < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sathd_stripe_sig sig;
    sathd_stripe_sig_rc rc = sathd_stripe_sig_parse((const char *)data, size, &sig);
    if (rc == SATHD_STRIPE_SIG_OK && (sig.n_v1 == 0 || sig.n_v1 > SATHD_STRIPE_SIG_MAX_V1))
        abort();
    if (rc == SATHD_STRIPE_SIG_NO_V1 && sig.n_v1 != 0)
        abort();
    if (size > SATHD_STRIPE_SIG_MAX_HEADER)
        return 0;
    char *h = malloc(size + 1);
    if (!h)
        return 0;
    memcpy(h, data, size);
    h[size] = '\0';
    static const char body[] = "{\"id\":\"evt_fuzz\",\"object\":\"event\"}";
    const char *secrets[] = {"whsec_fuzz_a", "whsec_fuzz_b"};
    sathd_stripe_sig_rc v = sathd_stripe_sig_verify(h, body, sizeof body - 1, secrets, 2,
                                                    sig.t, SATHD_STRIPE_SIG_TOLERANCE);
    if (v == SATHD_STRIPE_SIG_OK) {
        char a[65], b[65];
        sathd_stripe_sig_sign(secrets[0], sig.t, body, sizeof body - 1, a);
        sathd_stripe_sig_sign(secrets[1], sig.t, body, sizeof body - 1, b);
        if (!strstr(h, a) && !strstr(h, b)) /* (a hex match may differ in case) */
            if (!strcasestr(h, a) && !strcasestr(h, b))
                abort();
    }
    free(h);
    return 0;
}
