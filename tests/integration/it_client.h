/*
 * it_client.h - what the end-to-end tests of tests/integration share: a group fixture
 * (one sathd with its own database, one libsathclient handle) and one-line calls that
 * free their responses unless asked for them.
 */
#ifndef SATH_TEST_IT_CLIENT_H
#define SATH_TEST_IT_CLIENT_H

#include <stddef.h>

#include "sath/sath.h"
#include "sathd_proc.h"

typedef struct it_fixture {
    sathd_proc proc;
    sath_client *c; /* no tokens: for public calls */
} it_fixture;

/* cmocka group setup / teardown: starts / stops (cleanly, else failure) the fixture's sathd. */
int it_setup(void **state);
int it_teardown(void **state);

/* A fresh address per call: TAG.<12 hex>@DOMAIN. */
void it_new_email(char *buf, size_t n, const char *tag, const char *domain);
/* A client of `target` presenting these tokens (refresh may be NULL); NULL on failure. */
sath_client *it_client_with(const char *target, const char *access, const char *refresh);

/* The calls; *out (may be NULL: freed here) receives the response, `o` may be NULL. */
int it_register(sath_client *c, const char *email, const char *pw, const char *name,
                Sath__V1__RegisterResponse **out, sath_call_opts *o);
int it_login(sath_client *c, const char *email, const char *pw, Sath__V1__LoginResponse **out,
             sath_call_opts *o);
int it_get_me(sath_client *c, Sath__V1__User **out);
int it_refresh(sath_client *c, const char *refresh_token);

#endif
