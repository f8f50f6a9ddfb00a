/*
 * password_internal.h - layout of sathd_pwhash and the hooks between password.c and
 * bcrypt_import.c / pw_gate.c (not public).
 */
#ifndef SATHD_AUTH_PASSWORD_INTERNAL_H
#define SATHD_AUTH_PASSWORD_INTERNAL_H

#include "sathd/password.h"

#include <pthread.h>
#include <sodium.h>

/* Counting semaphore with a deadline (pthread mutex + condvar on CLOCK_MONOTONIC). */
typedef struct sathd_pw_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned limit, in_use, peak;
} sathd_pw_gate;

int sathd_pw_gate_init(sathd_pw_gate *g, unsigned limit);
void sathd_pw_gate_destroy(sathd_pw_gate *g);
/* 0 when a slot was taken, -1 on timeout (timeout_ms 0: try once; < 0: forever). */
int sathd_pw_gate_acquire(sathd_pw_gate *g, int timeout_ms);
void sathd_pw_gate_release(sathd_pw_gate *g);

struct sathd_pwhash {
    unsigned long long opslimit;
    size_t memlimit_bytes;
    sathd_pw_gate gate;
    char dummy[crypto_pwhash_STRBYTES]; /* Argon2id hash of a random throwaway password */
};

/* 1 if stored looks like an imported bcrypt hash ($2a$, $2b$, $2y$). */
int sathd_bcrypt_is_bcrypt(const char *stored);
/* Verifies with libcrypt: SATHD_PW_OK, MISMATCH, BAD_HASH, BAD_INPUT or ERROR.  The
 * caller holds a gate slot. */
sathd_pw_result sathd_bcrypt_verify(const char *stored, const char *password, size_t len);

#endif /* SATHD_AUTH_PASSWORD_INTERNAL_H */
