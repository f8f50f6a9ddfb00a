/*
 * tokens.h - issuing the token pair of a session (Login, Refresh).
 */
#ifndef SATHD_SERVICES_TOKENS_H
#define SATHD_SERVICES_TOKENS_H

#include <stdint.h>

#include "sathd/call.h"
#include "sathd/session.h"

/* What Login and Refresh answer; strings in the call's arena. */
typedef struct sathd_token_pair {
    char *access_token;
    char *refresh_token;
    int64_t expires_in;
    int64_t refresh_expires_in;
} sathd_token_pair;

/* Signs an access token for the refresh token's user and session (family) and fills
 * `out` with both tokens.  The refresh token must come from sathd_session_issue/rotate. */
int sathd_tokens_issue(sathd_call *call, const sathd_refresh *refresh, sathd_token_pair *out);

/* Password-hash waits are bounded by the call's deadline and by this. */
#define SATHD_PWHASH_WAIT_MAX_MS 10000
int sathd_tokens_pwhash_wait_ms(const sathd_call *call);

#endif
