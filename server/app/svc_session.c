/*
 * svc_session.c - a session-store failure as the call's status (see sathd/svc.h).
 */
#include "sathd/svc.h"

#include "sathd/log.h"

int sathd_svc_session_error(sathd_call *call, sathd_session_rc rc, const char *what)
{
    switch (rc) {
    case SATHD_SESSION_UNAVAILABLE:
        sathd_log(SATHD_LOG_WARN, "msg=\"session store failed\" request_id=%s op=%s",
                  sathd_call_request_id(call), what);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "session store unavailable, try again later");
    case SATHD_SESSION_REUSE_DETECTED:
        return sathd_call_error(call, SATHD_UNAUTHENTICATED,
                                "refresh token was already used; the session has been revoked");
    case SATHD_SESSION_INVALID:
    case SATHD_SESSION_REVOKED:
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "invalid or expired refresh token");
    case SATHD_SESSION_BAD_ARG:
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "malformed token");
    default:
        return sathd_call_error(call, SATHD_INTERNAL, "session op %s: %s", what,
                                sathd_session_strerror(rc));
    }
}
