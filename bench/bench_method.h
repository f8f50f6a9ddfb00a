/*
 * bench_method.h - the calls sath-bench can issue, and the account they need.
 *
 * bench_account_prepare() runs once before the load: for get-me and login it makes sure
 * an account exists (registering a random one when none was given) and, for get-me,
 * logs every client in by handing them the tokens of one login.  bench_call() then
 * issues one call of the chosen method; it builds its request on the stack.
 */
#ifndef SATH_BENCH_METHOD_H
#define SATH_BENCH_METHOD_H

#include "sath/client.h"

#include "bench_opts.h"

/* The account used by get-me and login.  Strings are owned here; the password is wiped
 * by bench_account_clear(). */
typedef struct bench_account {
    char email[256];
    char password[128];
} bench_account;

/* Prepares `acct` and `clients[0..n)` for `o->method`.  0, or an error code (sath_errno)
 * with a description written to err. */
int bench_account_prepare(const bench_opts *o, sath_client *const *clients, int n,
                          bench_account *acct, char *err, size_t errlen);

/* Wipes the password. */
void bench_account_clear(bench_account *acct);

/* Issues one call of method `m` on `c` (reusing `copts`, which the calling thread owns)
 * and returns its status: SATH_OK, a gRPC status or a local SATH_E... code. */
int bench_call(bench_method m, sath_client *c, const bench_account *acct, sath_call_opts *copts);

#endif
