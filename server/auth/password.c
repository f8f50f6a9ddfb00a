/*
 * password.c - the sathd_pwhash context: Argon2id hashing and verification under the
 * concurrency gate, dispatch of imported bcrypt hashes, and the dummy verify that evens
 * out login timing for unknown accounts.
 *
 * libsodium's crypto_pwhash_str_verify reads a crypto_pwhash_STRBYTES buffer, so a
 * stored hash is first copied into a zeroed buffer of that size (a shorter heap string
 * would be over-read).
 */
#include "password_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *const pw_names[] = {"ok",        "mismatch",  "busy",
                                       "bad_hash",  "bad_input", "error"};

const char *sathd_pw_strerror(sathd_pw_result r)
{
    return (unsigned)r < sizeof pw_names / sizeof pw_names[0] ? pw_names[r] : "unknown";
}

static void set_why(const char **why, const char *msg)
{
    if (why)
        *why = msg;
}

static int params_ok(const sathd_pwhash_params *p, const char **why)
{
    if (!p) {
        set_why(why, "missing password hashing parameters");
        return 0;
    }
    if (p->memlimit_kib < SATHD_PWHASH_MIN_MEMLIMIT_KIB ||
        p->memlimit_kib > crypto_pwhash_MEMLIMIT_MAX / 1024) {
        set_why(why, "SATH_PWHASH_MEMLIMIT_KIB must be at least 19456 (19 MiB)");
        return 0;
    }
    if (p->opslimit < SATHD_PWHASH_MIN_OPSLIMIT || p->opslimit > crypto_pwhash_OPSLIMIT_MAX) {
        set_why(why, "SATH_PWHASH_OPSLIMIT must be at least 2");
        return 0;
    }
    if (p->max_concurrency < 1 || p->max_concurrency > 1024) {
        set_why(why, "SATH_PWHASH_CONCURRENCY must be 1..1024");
        return 0;
    }
    return 1;
}

sathd_pwhash *sathd_pwhash_new(const sathd_pwhash_params *p, const char **why)
{
    unsigned char throwaway[32];
    if (!params_ok(p, why))
        return NULL;
    sathd_pwhash *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        set_why(why, "out of memory");
        return NULL;
    }
    ctx->opslimit = p->opslimit;
    ctx->memlimit_bytes = p->memlimit_kib * 1024u;
    if (sathd_pw_gate_init(&ctx->gate, p->max_concurrency) != 0) {
        free(ctx);
        set_why(why, "cannot initialise the hashing semaphore");
        return NULL;
    }
    /* The dummy's password is random and forgotten: nothing can ever match it. */
    randombytes_buf(throwaway, sizeof throwaway);
    int rc = crypto_pwhash_str(ctx->dummy, (const char *)throwaway, sizeof throwaway,
                               ctx->opslimit, ctx->memlimit_bytes);
    sodium_memzero(throwaway, sizeof throwaway);
    if (rc != 0) {
        sathd_pwhash_free(ctx);
        set_why(why, "Argon2id failed (out of memory for memlimit?)");
        return NULL;
    }
    return ctx;
}

void sathd_pwhash_free(sathd_pwhash *ctx)
{
    if (!ctx)
        return;
    sathd_pw_gate_destroy(&ctx->gate);
    free(ctx);
}

int sathd_pwhash_slot_acquire(sathd_pwhash *ctx, int timeout_ms)
{
    return sathd_pw_gate_acquire(&ctx->gate, timeout_ms);
}

void sathd_pwhash_slot_release(sathd_pwhash *ctx) { sathd_pw_gate_release(&ctx->gate); }

unsigned sathd_pwhash_peak_concurrency(sathd_pwhash *ctx)
{
    pthread_mutex_lock(&ctx->gate.mu);
    unsigned peak = ctx->gate.peak;
    pthread_mutex_unlock(&ctx->gate.mu);
    return peak;
}

sathd_pw_result sathd_pwhash_hash(sathd_pwhash *ctx, const char *password, size_t len,
                                  int timeout_ms, char **out)
{
    char buf[crypto_pwhash_STRBYTES];
    if (!ctx || !password || !out || len > SATHD_PASSWORD_MAX_BYTES)
        return SATHD_PW_BAD_INPUT;
    if (sathd_pw_gate_acquire(&ctx->gate, timeout_ms) != 0)
        return SATHD_PW_BUSY;
    int rc = crypto_pwhash_str(buf, password, len, ctx->opslimit, ctx->memlimit_bytes);
    sathd_pw_gate_release(&ctx->gate);
    if (rc != 0)
        return SATHD_PW_ERROR;
    *out = strdup(buf);
    return *out ? SATHD_PW_OK : SATHD_PW_ERROR;
}

/* Argon2id verify of `stored` (already known to start with $argon2id$). */
static sathd_pw_result argon2_verify(const sathd_pwhash *ctx, const char *stored,
                                     const char *password, size_t len, bool *needs_rehash)
{
    char buf[crypto_pwhash_STRBYTES];
    size_t sl = strnlen(stored, sizeof buf);
    if (sl >= sizeof buf)
        return SATHD_PW_BAD_HASH;
    memset(buf, 0, sizeof buf);
    memcpy(buf, stored, sl);
    if (crypto_pwhash_str_verify(buf, password, len) != 0)
        return SATHD_PW_MISMATCH; /* also a malformed string: indistinguishable here */
    if (needs_rehash)
        *needs_rehash =
            crypto_pwhash_str_needs_rehash(buf, ctx->opslimit, ctx->memlimit_bytes) != 0;
    return SATHD_PW_OK;
}

sathd_pw_result sathd_pwhash_verify(sathd_pwhash *ctx, const char *stored, const char *password,
                                    size_t len, int timeout_ms, bool *needs_rehash)
{
    sathd_pw_result r;
    if (needs_rehash)
        *needs_rehash = false;
    if (!ctx || !stored || !password || len > SATHD_PASSWORD_MAX_BYTES)
        return SATHD_PW_BAD_INPUT;
    int is_argon = strncmp(stored, "$argon2id$", 10) == 0;
    int is_bcrypt = !is_argon && sathd_bcrypt_is_bcrypt(stored);
    if (!is_argon && !is_bcrypt)
        return SATHD_PW_BAD_HASH;
    if (sathd_pw_gate_acquire(&ctx->gate, timeout_ms) != 0)
        return SATHD_PW_BUSY;
    if (is_argon) {
        r = argon2_verify(ctx, stored, password, len, needs_rehash);
    } else {
        r = sathd_bcrypt_verify(stored, password, len);
        if (r == SATHD_PW_OK && needs_rehash)
            *needs_rehash = true; /* imported: move it to Argon2id now */
    }
    sathd_pw_gate_release(&ctx->gate);
    return r;
}

sathd_pw_result sathd_pwhash_dummy_verify(sathd_pwhash *ctx, const char *password, size_t len,
                                          int timeout_ms)
{
    if (!ctx || !password || len > SATHD_PASSWORD_MAX_BYTES)
        return SATHD_PW_BAD_INPUT;
    if (sathd_pw_gate_acquire(&ctx->gate, timeout_ms) != 0)
        return SATHD_PW_BUSY;
    /* The result is ignored on purpose, but the compiler insists it be read. */
    volatile int rc = crypto_pwhash_str_verify(ctx->dummy, password, len);
    (void)rc;
    sathd_pw_gate_release(&ctx->gate);
    return SATHD_PW_MISMATCH;
}
