/*
 * password.h - password hashing for sathd: Argon2id (libsodium crypto_pwhash_str) for
 * every new hash, verification of imported passlib bcrypt hashes ($2a$/$2b$/$2y$, via
 * libcrypt) so migrated users can log in once and be rehashed, the password rules for
 * new passwords, and a bound on how many hashes run at once.
 *
 * Argon2id is deliberately expensive in memory; N concurrent logins would otherwise take
 * N x memlimit.  A sathd_pwhash context holds a counting semaphore: at most
 * `max_concurrency` hash/verify operations run at a time; a caller that cannot get a
 * slot within its timeout gets SATHD_PW_BUSY (map it to RESOURCE_EXHAUSTED) instead of
 * queueing forever.
 *
 * sodium_init() must have been called.  A context is safe to share between threads.
 */
#ifndef SATHD_PASSWORD_H
#define SATHD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1 (libsodium always uses p = 1). */
#define SATHD_PWHASH_MIN_MEMLIMIT_KIB 19456u
#define SATHD_PWHASH_MIN_OPSLIMIT 2u
/* New passwords: at least this many code points, at most this many bytes. */
#define SATHD_PASSWORD_MIN_CHARS 8u
#define SATHD_PASSWORD_MAX_BYTES 1024u

typedef struct sathd_pwhash_params {
    unsigned long long opslimit; /* SATH_PWHASH_OPSLIMIT, >= 2 */
    size_t memlimit_kib;         /* SATH_PWHASH_MEMLIMIT_KIB, >= 19456 */
    unsigned max_concurrency;    /* SATH_PWHASH_CONCURRENCY, >= 1 */
} sathd_pwhash_params;

typedef enum sathd_pw_result {
    SATHD_PW_OK = 0,       /* hashed, or the password matches */
    SATHD_PW_MISMATCH,     /* wrong password (also: dummy verify, always) */
    SATHD_PW_BUSY,         /* no slot within timeout_ms: RESOURCE_EXHAUSTED */
    SATHD_PW_BAD_HASH,     /* stored string is no hash we know or is malformed */
    SATHD_PW_BAD_INPUT,    /* password too long, NULL arguments */
    SATHD_PW_ERROR         /* out of memory, libsodium failure */
} sathd_pw_result;

typedef struct sathd_pwhash sathd_pwhash;

/* Static name for logs ("ok", "mismatch", "busy", ...). */
const char *sathd_pw_strerror(sathd_pw_result r);

/* Creates a context; refuses parameters below the OWASP minimum or above libsodium's
 * maximum (NULL, *why set).  Computes the dummy hash once, with the same parameters, so
 * this takes one hash time.  Free with sathd_pwhash_free. */
sathd_pwhash *sathd_pwhash_new(const sathd_pwhash_params *p, const char **why);
/* No operation may be running.  NULL is fine. */
void sathd_pwhash_free(sathd_pwhash *ctx);

/* Hashes password (len bytes, at most SATHD_PASSWORD_MAX_BYTES; check the rules first)
 * into *out: a "$argon2id$..." string, malloc'd, caller frees.  timeout_ms: how long to
 * wait for a slot (0 = do not wait, < 0 = wait forever). */
sathd_pw_result sathd_pwhash_hash(sathd_pwhash *ctx, const char *password, size_t len,
                                  int timeout_ms, char **out);

/* Verifies password against a stored hash: "$argon2id$..." or imported bcrypt
 * "$2a$"/"$2b$"/"$2y$".  On SATHD_PW_OK, *needs_rehash (may be NULL) says whether the
 * caller should store a fresh sathd_pwhash_hash: always for bcrypt, for Argon2id when its
 * parameters differ from the context's (e.g. after SATH_PWHASH_* were raised). */
sathd_pw_result sathd_pwhash_verify(sathd_pwhash *ctx, const char *stored, const char *password,
                                    size_t len, int timeout_ms, bool *needs_rehash);

/* Spends the same work as a real verify against a precomputed dummy Argon2id hash and
 * returns SATHD_PW_MISMATCH (or BUSY/BAD_INPUT): call it when the e-mail is unknown so
 * login time does not reveal which accounts exist. */
sathd_pw_result sathd_pwhash_dummy_verify(sathd_pwhash *ctx, const char *password, size_t len,
                                          int timeout_ms);

/* The semaphore itself, for callers that must hold a slot across several steps (and for
 * tests).  acquire returns 0, or -1 when no slot came within timeout_ms. */
int sathd_pwhash_slot_acquire(sathd_pwhash *ctx, int timeout_ms);
void sathd_pwhash_slot_release(sathd_pwhash *ctx);
/* Highest number of slots ever held at once (for tests and metrics). */
unsigned sathd_pwhash_peak_concurrency(sathd_pwhash *ctx);

/* Rules for a NEW password: valid UTF-8 without NUL bytes, at least
 * SATHD_PASSWORD_MIN_CHARS code points, at most SATHD_PASSWORD_MAX_BYTES bytes (never
 * truncated).  Returns 0 if acceptable, else -1 with a static English reason in *why
 * (may be NULL) that is safe to show the user. */
int sathd_password_check_rules(const char *pw, size_t len, const char **why);

/* Default of SATH_PASSWORD_MIN_SCORE: zxcvbn's "safely unguessable" level. */
#define SATHD_PASSWORD_DEFAULT_MIN_SCORE 3
/* zxcvbn strength score of `pw` (NUL-terminated), 0 (guessable in ~1e3 tries) to 4
 * (more than 1e10).  `user_inputs` (NULL-terminated list, may be NULL): words that
 * make a password weak for this user, e.g. their email and name.  *hints (may be NULL)
 * receives a bit set of the zxcvbn match types found (1 << ZxcTypeMatch_t). */
int sathd_password_score(const char *pw, const char *const *user_inputs, unsigned *hints);
/* 0 when `pw` scores at least `min_score` (<= 0: always), else -1 with a static English
 * message in *why (may be NULL) that says why it is weak and what helps; never echoes the
 * password. */
int sathd_password_check_strength(const char *pw, const char *const *user_inputs,
                                  int min_score, const char **why);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_PASSWORD_H */
