/*
 * client.h - connecting to sathd, per-call options, and the session (tokens).
 *
 * A sath_client owns one gRPC channel to one sathd and the session's tokens.  It is
 * safe to use from many threads at once: every function taking a sath_client may be
 * called concurrently unless its comment says otherwise.  The RPC functions themselves
 * (sath_auth_login(), sath_user_get_me(), ...) are generated into sath/v1/<x>.sath-client.h.
 *
 * Ownership rules used below:
 *   - "the caller frees it with sath_free()" means malloc'd memory handed to you.
 *   - Strings returned as `const char *` stay owned by the library; each comment says how
 *     long they stay valid.
 *   - Protobuf responses (`Sath__V1__X **resp`) are freed with the message's
 *     sath__v1__x__free_unpacked(resp, NULL).
 * Every function returning int returns SATH_OK or a sath_errno (sath/error.h).
 */
#ifndef SATH_CLIENT_H
#define SATH_CLIENT_H

#include <stdint.h>

#include "sath/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A connection to one server plus the session's tokens.  Opaque. */
typedef struct sath_client sath_client;
/* Options for sath_client_new().  Opaque, so it can grow without breaking the ABI. */
typedef struct sath_client_options sath_client_options;
/* Options and results of one call: timeout and metadata in, status and message out.  Opaque. */
typedef struct sath_call_opts sath_call_opts;

/*
 * Called after the client's tokens changed: after sath_client_login(), a transparent
 * refresh, sath_client_set_tokens(), sath_client_logout(), or when the server rejected
 * the refresh token (both arguments NULL: the session is over).  The strings are valid
 * only during the callback; copy them to keep them.  The callback runs on whichever
 * thread caused the change; invocations are serialised and each one reports the tokens
 * held at that moment, so the last invocation always shows the current state.  It may
 * call sath_client_get_tokens() but must not change tokens or make calls on the same
 * client (that would deadlock).
 */
typedef void (*sath_tokens_cb)(void *userdata, const char *access_token, const char *refresh_token);

/* ---- memory ------------------------------------------------------------------------ */

/*
 * sath_free() releases memory the library handed to the caller (sath_client_get_tokens()
 * results).  sath_free(NULL) does nothing.  Use it rather than free(): the library and the
 * application may use different allocators.  Thread-safe.
 */
SATH_EXTERN void sath_free(void *ptr);

/* ---- client options ---------------------------------------------------------------- */

/*
 * sath_client_options_new() allocates options with the defaults: plaintext (no TLS), the
 * system's root certificates when TLS is switched on, a default deadline of 30000 ms, no
 * default metadata.  Stores them in *out; the caller frees them with
 * sath_client_options_free() (sath_client_new() copies what it needs).  Returns SATH_OK,
 * SATH_EINVAL (out is NULL) or SATH_ENOMEM.  An options object is not thread-safe: fill it
 * from one thread.
 */
SATH_EXTERN int sath_client_options_new(sath_client_options **out);

/* sath_client_options_free() releases options; NULL is allowed. */
SATH_EXTERN void sath_client_options_free(sath_client_options *opts);

/*
 * sath_client_options_set_tls() switches TLS on (enable != 0) or off.  With TLS on and no
 * root CA file, the server certificate is checked against gRPC's default roots.
 */
SATH_EXTERN int sath_client_options_set_tls(sath_client_options *opts, int enable);

/*
 * sath_client_options_set_root_ca_file() sets a PEM file of trusted root certificates and
 * switches TLS on; NULL goes back to the default roots.  The file is read by
 * sath_client_new(), which fails with SATH_ETLS when it cannot be read.  The path is copied.
 */
SATH_EXTERN int sath_client_options_set_root_ca_file(sath_client_options *opts, const char *path);

/*
 * sath_client_options_set_timeout_ms() sets the default deadline of every call, in
 * milliseconds from the start of the call; 0 means no deadline.  Negative: SATH_EINVAL.
 */
SATH_EXTERN int sath_client_options_set_timeout_ms(sath_client_options *opts, int64_t ms);

/*
 * sath_client_options_add_metadata() adds a header sent with every call of the client.
 * `key` must be a legal lower-case gRPC metadata key, not "authorization" and not
 * starting with "grpc-"; `value` printable ASCII (SATH_EINVAL otherwise).  Both are copied.
 */
SATH_EXTERN int sath_client_options_add_metadata(sath_client_options *opts, const char *key,
                                                 const char *value);

/* ---- client -------------------------------------------------------------------------- */

/*
 * sath_client_new() creates a client for `target` ("host:port", or any gRPC target URI
 * such as "unix:/path") with `opts` (NULL: defaults) and stores it in *out.  No connection
 * is made yet; the first call connects.  The caller frees the client with
 * sath_client_free().  Returns SATH_OK, SATH_EINVAL, SATH_ENOMEM or SATH_ETLS.  Thread-safe
 * (initialises gRPC and libsodium on first use).
 */
SATH_EXTERN int sath_client_new(const char *target, const sath_client_options *opts,
                                sath_client **out);

/*
 * sath_client_free() closes the channel, wipes the held tokens and releases the client.
 * NULL is allowed.  No call on this client may be running or start afterwards.
 */
SATH_EXTERN void sath_client_free(sath_client *client);

/*
 * sath_client_last_error_message() returns a description of the last failed call made by
 * the calling thread on this client: the server's status message for a gRPC error, or a
 * local explanation for SATH_E... codes; "" when that thread's last call succeeded or it
 * made none.  The string belongs to the client and stays valid until the same thread makes
 * another call on this client or the client is freed.  Each thread sees only its own last
 * error.  Never contains a password or token.  (The client keeps one small entry per
 * thread that ever called it, released by sath_client_free().)
 */
SATH_EXTERN const char *sath_client_last_error_message(sath_client *client);

/* ---- session ------------------------------------------------------------------------ */

/*
 * sath_client_set_tokens() replaces the held access and refresh tokens with copies of the
 * arguments (either may be NULL to drop it) and fires the token callback.  The previous
 * tokens are wiped from memory.  Use it to restore a saved session.  Thread-safe.
 */
SATH_EXTERN int sath_client_set_tokens(sath_client *client, const char *access_token,
                                       const char *refresh_token);

/*
 * sath_client_get_tokens() stores malloc'd copies of the held tokens in *access_token and
 * *refresh_token (either pointer may be NULL if not wanted; a value is NULL when no such
 * token is held).  The caller frees each with sath_free() and should wipe them first.
 * Returns SATH_OK, SATH_EINVAL or SATH_ENOMEM.  Thread-safe.
 */
SATH_EXTERN int sath_client_get_tokens(sath_client *client, char **access_token,
                                       char **refresh_token);

/*
 * sath_client_on_tokens() installs the token callback (NULL removes it); see
 * sath_tokens_cb.  Thread-safe.
 */
SATH_EXTERN void sath_client_on_tokens(sath_client *client, sath_tokens_cb cb, void *userdata);

/*
 * sath_client_login() calls AuthService.Login with `email` and `password` and, on success,
 * holds the returned tokens (firing the token callback).  From then on calls carry
 * `authorization: Bearer <access token>` and the access token is refreshed transparently:
 * shortly (30 s) before it expires, and once when a call fails with UNAUTHENTICATED.
 * Tokens returned by the generated sath_auth_login()/sath_auth_refresh() stubs are NOT
 * held automatically; this function and sath_client_set_tokens() are the ways in.
 * `opts` may be NULL.  Thread-safe.
 */
SATH_EXTERN int sath_client_login(sath_client *client, const char *email, const char *password,
                                  sath_call_opts *opts);

/*
 * sath_client_logout() calls AuthService.Logout with the held refresh token, then drops
 * and wipes the held tokens (firing the callback with NULLs) whatever the server answered:
 * a local logout always succeeds.  Returns the server's result (SATH_ENOTOKEN when no
 * access token was held, in which case no call is made).  Thread-safe.
 */
SATH_EXTERN int sath_client_logout(sath_client *client, sath_call_opts *opts);

/*
 * sath_client_refresh() exchanges the held refresh token for new tokens now (the library
 * also does this on its own, see sath_client_login()).  Concurrent refreshes are merged:
 * one call to the server, the others wait for and reuse its result.  When the server
 * rejects the refresh token (UNAUTHENTICATED) the held tokens are dropped.  Returns
 * SATH_ENOTOKEN when no refresh token is held.  Thread-safe.
 */
SATH_EXTERN int sath_client_refresh(sath_client *client, sath_call_opts *opts);

/* ---- per-call options -------------------------------------------------------------- */

/*
 * sath_call_opts_new() allocates per-call options (no timeout override, no metadata) into
 * *out; free with sath_call_opts_free().  One sath_call_opts may be reused for many calls
 * but must not be used by two calls at the same time.  Pass NULL instead to call with the
 * client's defaults.
 */
SATH_EXTERN int sath_call_opts_new(sath_call_opts **out);

/* sath_call_opts_free() releases call options; NULL is allowed. */
SATH_EXTERN void sath_call_opts_free(sath_call_opts *opts);

/*
 * sath_call_opts_set_timeout_ms() sets this call's deadline in milliseconds; 0 means the
 * client's default.  Negative: SATH_EINVAL.
 */
SATH_EXTERN int sath_call_opts_set_timeout_ms(sath_call_opts *opts, int64_t ms);

/*
 * sath_call_opts_add_metadata() adds a header to the calls made with these options, after
 * the client's default metadata.  Same rules and copying as sath_client_options_add_metadata().
 */
SATH_EXTERN int sath_call_opts_add_metadata(sath_call_opts *opts, const char *key,
                                            const char *value);

/*
 * sath_call_opts_status() returns the result of the last call made with these options
 * (what that call returned), SATH_OK before any call.
 */
SATH_EXTERN int sath_call_opts_status(const sath_call_opts *opts);

/*
 * sath_call_opts_status_message() returns the server's status message (grpc-message) or
 * the local error description of the last call made with these options; "" when there is
 * none.  Owned by `opts`, valid until its next call or sath_call_opts_free().
 */
SATH_EXTERN const char *sath_call_opts_status_message(const sath_call_opts *opts);

/*
 * sath_call_opts_response_metadata() returns the first value of response metadata `key`
 * (initial or trailing, lower case) of the last call made with these options, or NULL.
 * Owned by `opts`, valid until its next call or sath_call_opts_free().
 */
SATH_EXTERN const char *sath_call_opts_response_metadata(const sath_call_opts *opts,
                                                         const char *key);

#ifdef __cplusplus
}
#endif
#endif /* SATH_CLIENT_H */
