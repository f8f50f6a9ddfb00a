/*
 * password_strength.c - how easy a new password is to guess, with zxcvbn (Debian's
 * libzxcvbn, the C port of Dropbox's estimator).
 *
 * zxcvbn-c returns an entropy in bits; the 0..4 score is the one of the original
 * estimator: from log10(guesses) with guesses = 2^entropy, thresholds 1e3, 1e6, 1e8 and
 * 1e10 (each plus 5, as zxcvbn's own `guesses_to_score`).  A score of 3 ("safely
 * unguessable: moderate protection from offline slow-hash attacks") is what we ask of
 * every new password by default.
 *
 * The user's own email, its local part and domain words, and the words of the name are
 * passed as the estimator's user dictionary, so "alice@example.com1" is as weak as it
 * looks.  The estimator sees at most the first ESTIMATE_MAX bytes: beyond that every
 * password we accept is long enough, and zxcvbn's matching is superlinear in length.
 */
#include "sathd/password.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zxcvbn.h>

#define ESTIMATE_MAX 128
#define MAX_WORDS 24

int sathd_password_score(const char *pw, const char *const *user_inputs, unsigned *hints)
{
    char words[MAX_WORDS][128];
    const char *dict[MAX_WORDS + 1];
    size_t n = 0;
    /* Each input whole, and split at anything that is not a letter or digit. */
    for (size_t i = 0; user_inputs && user_inputs[i] && n < MAX_WORDS; i++) {
        const char *s = user_inputs[i];
        size_t len = strlen(s);
        if (len > 0 && len < sizeof words[0]) {
            for (size_t k = 0; k <= len; k++)
                words[n][k] = (char)tolower((unsigned char)s[k]);
            dict[n] = words[n];
            n++;
        }
        for (const char *p = s; *p && n < MAX_WORDS;) {
            while (*p && !isalnum((unsigned char)*p))
                p++;
            size_t w = 0;
            while (isalnum((unsigned char)p[w]))
                w++;
            if (w >= 3 && w < sizeof words[0] && w != len) {
                for (size_t k = 0; k < w; k++)
                    words[n][k] = (char)tolower((unsigned char)p[k]);
                words[n][w] = '\0';
                dict[n] = words[n];
                n++;
            }
            p += w;
        }
    }
    dict[n] = NULL;

    char buf[ESTIMATE_MAX + 1];
    size_t len = strlen(pw);
    if (len > ESTIMATE_MAX)
        len = ESTIMATE_MAX;
    memcpy(buf, pw, len);
    buf[len] = '\0';
    ZxcMatch_t *info = NULL;
    double bits = ZxcvbnMatch(buf, dict, hints ? &info : NULL);
    sodium_memzero(buf, sizeof buf);
    if (hints) {
        *hints = 0;
        for (ZxcMatch_t *m = info; m; m = m->Next)
            *hints |= 1u << ((unsigned)m->Type & 31u);
        ZxcvbnFreeInfo(info);
    }
    double lg = bits * log10(2.0); /* log10(guesses) */
    static const double limits[] = {3, 6, 8, 10};
    int score = 0;
    while (score < 4 && pow(10.0, lg) >= pow(10.0, limits[score]) + 5)
        score++;
    return score;
}

int sathd_password_check_strength(const char *pw, const char *const *user_inputs,
                                  int min_score, const char **why)
{
    if (min_score <= 0)
        return 0;
    unsigned hints = 0;
    int score = sathd_password_score(pw, user_inputs, &hints);
    if (score >= min_score)
        return 0;
    const char *msg;
    if (hints & ((1u << USER_MATCH) | (1u << USER_LEET_MATCH)))
        msg = "password is too easy to guess: it contains your email or name; "
              "use a few unrelated words or a password manager";
    else if (hints & ((1u << DICTIONARY_MATCH) | (1u << DICT_LEET_MATCH)))
        msg = "password is too easy to guess: it is, or is built on, a common password or "
              "word (swapping letters for digits does not help); add more unrelated words";
    else if (hints & ((1u << REPEATS_MATCH) | (1u << SEQUENCE_MATCH) | (1u << SPATIAL_MATCH)))
        msg = "password is too easy to guess: repeats, sequences like 1234 or abcd and "
              "keyboard rows are tried first; use a few unrelated words";
    else if (hints & ((1u << DATE_MATCH) | (1u << YEAR_MATCH)))
        msg = "password is too easy to guess: dates and years are tried first; "
              "add more unrelated words";
    else
        msg = "password is too easy to guess: make it longer, for example a few unrelated "
              "words";
    if (why)
        *why = msg;
    return -1;
}
