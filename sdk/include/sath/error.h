/*
 * error.h - the error codes every libsathclient function returns.
 *
 * One X-macro (SATH_ERRNO_MAP) lists every code once; the enum, sath_strerror() and
 * sath_err_name() are all generated from it, so they cannot drift apart.
 *
 * Conventions:
 *   - SATH_OK (0) is success.
 *   - 1..16 are the gRPC status codes, with gRPC's numbers and names (SATH_CANCELLED is
 *     grpc's CANCELLED, SATH_UNAUTHENTICATED its UNAUTHENTICATED, ...).  A positive code
 *     means the call reached gRPC and ended with that status; the server's message is in
 *     sath_call_opts_status_message() / sath_client_last_error_message().
 *   - Negative codes (SATH_E...) are local: the library never got an answer because of
 *     something on this side (bad argument, memory, TLS setup, a call that could not start,
 *     a response it could not decode).
 * New codes may be added in later versions (see sdk/ABI.md); values never change.
 *
 * The message rule.  Every call that fails leaves one message, the same string in
 * sath_call_opts_status_message() (when the call had options) and in
 * sath_client_last_error_message() (for the calling thread); after a success both are "".
 * The message is, in this order:
 *   - for SATH_DEADLINE_EXCEEDED and SATH_CANCELLED: sath_strerror(code), always (gRPC
 *     core words these on this side, the server otherwise; only the code matters);
 *   - for other gRPC codes (1..16): the server's status message as sent, or
 *     sath_strerror(code) when it sent none;
 *   - for local codes (< 0): sath_strerror(code), then ": " and what exactly was wrong when
 *     the library knows ("invalid argument passed to the library: the request is not a
 *     sath.v1.LoginRequest ...").
 * The code's name is not part of the message: print it with sath_err_name(code).  Every
 * function that takes a sath_client and fails records its message, local failures
 * (SATH_EINVAL, SATH_ENOTOKEN, ...) included.  Messages never contain a password or token.
 */
#ifndef SATH_ERROR_H
#define SATH_ERROR_H

#include "sath/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* XX(NAME, value, description) */
#define SATH_ERRNO_MAP(XX)                                                              \
    XX(OK, 0, "success")                                                                \
    XX(CANCELLED, 1, "the call was cancelled")                                          \
    XX(UNKNOWN, 2, "unknown error")                                                     \
    XX(INVALID_ARGUMENT, 3, "the server rejected an argument")                          \
    XX(DEADLINE_EXCEEDED, 4, "deadline exceeded before the call completed")             \
    XX(NOT_FOUND, 5, "not found")                                                       \
    XX(ALREADY_EXISTS, 6, "already exists")                                             \
    XX(PERMISSION_DENIED, 7, "permission denied")                                       \
    XX(RESOURCE_EXHAUSTED, 8, "resource exhausted (quota or rate limit)")               \
    XX(FAILED_PRECONDITION, 9, "failed precondition")                                   \
    XX(ABORTED, 10, "aborted")                                                          \
    XX(OUT_OF_RANGE, 11, "out of range")                                                \
    XX(UNIMPLEMENTED, 12, "not implemented by the server")                              \
    XX(INTERNAL, 13, "internal server error")                                           \
    XX(UNAVAILABLE, 14, "service unavailable (cannot connect or connection lost)")      \
    XX(DATA_LOSS, 15, "data loss")                                                      \
    XX(UNAUTHENTICATED, 16, "not authenticated: the credentials or token were not accepted") \
    XX(EINVAL, -1, "invalid argument passed to the library")                            \
    XX(ENOMEM, -2, "out of memory")                                                     \
    XX(ETRANSPORT, -3, "transport error: the call could not be started or completed")   \
    XX(EPROTO, -4, "malformed message: could not encode the request or decode the reply") \
    XX(ETLS, -5, "TLS setup failed (unreadable CA file or credentials)")                \
    XX(ENOTOKEN, -6, "no token held for an operation that needs one")

/* Every error code: SATH_OK, SATH_CANCELLED ... SATH_UNAUTHENTICATED, SATH_EINVAL ... */
typedef enum sath_errno {
#define SATH__ERRNO_ENUM(name, value, text) SATH_##name = (value),
    SATH_ERRNO_MAP(SATH__ERRNO_ENUM)
#undef SATH__ERRNO_ENUM
} sath_errno;

/*
 * sath_strerror() returns a static English description of `code` (for example
 * "deadline exceeded before the call completed"), or "unknown error code" for a value
 * that is not a sath_errno.  The string is never freed.  Thread-safe.
 */
SATH_EXTERN const char *sath_strerror(int code);

/*
 * sath_err_name() returns the static name of `code` without the SATH_ prefix: the gRPC
 * status names for 0..16 ("OK", "UNAUTHENTICATED", ...) and "EINVAL", "ENOMEM", ... for
 * local errors; "UNKNOWN_CODE" for a value that is not a sath_errno.  Never freed.
 * Thread-safe.
 */
SATH_EXTERN const char *sath_err_name(int code);

#ifdef __cplusplus
}
#endif
#endif /* SATH_ERROR_H */
