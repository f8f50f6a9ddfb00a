/*
 * client.h - connecting to sathd, per-call options, and the session (tokens).
 *
 * A sath_client owns one gRPC channel to one sathd and the session's tokens.  It is
 * safe to use from many threads at once: every function taking a sath_client may be
 * called concurrently unless its comment says otherwise.  The RPC functions themselves
 * (sath_auth_login(), sath_user_get_me(), ...) are generated into sath/v1/<x>.sath-client.h,
 * each with an asynchronous twin (sath/async.h).  Error codes and the rule for messages
 * are in sath/error.h; the process-wide life cycle and logging in sath/global.h.
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

#include <stddef.h>
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

/*
 * sath_client_options_set_client_cert_files() sets the PEM certificate chain and private
 * key this client presents to the server (mutual TLS; sathd asks for one when
 * SATH_TLS_CLIENT_CA_FILE is set) and switches TLS on.  Both or neither (NULL, NULL:
 * no client certificate); SATH_EINVAL for one alone.  The files are read by
 * sath_client_new() (SATH_ETLS when unreadable); the paths are copied.
 */
SATH_EXTERN int sath_client_options_set_client_cert_files(sath_client_options *opts,
                                                          const char *cert_file,
                                                          const char *key_file);

/*
 * sath_client_options_set_server_name() checks the server certificate against `name`
 * instead of the host of the target (and sends it as SNI): for connecting by IP address
 * or through a tunnel to a server whose certificate names its public host.  NULL goes
 * back to the target's host; "" is SATH_EINVAL.  Copied.  Only meaningful with TLS.
 */
SATH_EXTERN int sath_client_options_set_server_name(sath_client_options *opts, const char *name);

/*
 * sath_client_options_set_connect_timeout_ms() bounds one connection attempt (TCP
 * connect, TLS and HTTP/2 handshakes) to `ms` milliseconds; it is also the first delay
 * before a new attempt.  0 is gRPC's default (20 s).  A call that is not wait-for-ready
 * fails with SATH_UNAVAILABLE when the attempt fails.  Out of range (negative, > INT32_MAX):
 * SATH_EINVAL.
 */
SATH_EXTERN int sath_client_options_set_connect_timeout_ms(sath_client_options *opts, int64_t ms);

/*
 * sath_client_options_set_wait_for_ready() makes every call wait (up to its deadline) for
 * the connection to become ready instead of failing at once with SATH_UNAVAILABLE when
 * the server cannot be reached: for clients started before their server.  Default off.
 */
SATH_EXTERN int sath_client_options_set_wait_for_ready(sath_client_options *opts, int enable);

/*
 * sath_client_options_set_keepalive() sends an HTTP/2 ping after `time_ms` without
 * activity while calls are running, and drops the connection (the calls end with
 * SATH_UNAVAILABLE) when the ping is not answered within `timeout_ms`: it detects a dead
 * server or network path during long calls.  0 keeps gRPC's default (no keepalive, 20 s
 * timeout).  sathd accepts pings at most every 5 minutes without calls, so the library
 * pings only while calls run.  Out of range: SATH_EINVAL.
 */
SATH_EXTERN int sath_client_options_set_keepalive(sath_client_options *opts, int64_t time_ms,
                                                  int64_t timeout_ms);

/*
 * sath_client_options_set_read_retries() lets gRPC retry idempotent reads (the methods
 * whose REST mapping is GET: GetMe, ListPlans, ListExchangeKeys, ...) up to
 * `max_attempts` attempts in all when they fail with SATH_UNAVAILABLE, with exponential
 * backoff from 50 ms (gRPC's service config retry policy).  Writes are never retried.
 * 1 (the default) turns retries off; 2..5 allowed, SATH_EINVAL otherwise.
 */
SATH_EXTERN int sath_client_options_set_read_retries(sath_client_options *opts, int max_attempts);

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
 * sath_client_last_error_message() returns the message of the last failed call made by
 * the calling thread on this client, by the message rule of sath/error.h (the same text as
 * that call's sath_call_opts_status_message()); "" when that thread's last call succeeded
 * or it made none.  Asynchronous calls report to their callback instead.  The string belongs to the client and stays valid until the same thread makes
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
 * sath_call_opts_status_message() returns the message of the last call made with these
 * options by the message rule of sath/error.h; "" after a success or before any call.  Owned by `opts`, valid until its next call or sath_call_opts_free().
 */
SATH_EXTERN const char *sath_call_opts_status_message(const sath_call_opts *opts);

/*
 * sath_call_opts_response_metadata() returns the first value of response metadata `key`
 * (initial or trailing, lower case) of the last call made with these options, or NULL.
 * Owned by `opts`, valid until its next call or sath_call_opts_free().
 */
SATH_EXTERN const char *sath_call_opts_response_metadata(const sath_call_opts *opts,
                                                         const char *key);

/*
 * sath_call_opts_set_authorization() sends `value` as this call's authorization header
 * (for example "Bearer <token>") instead of the client's own token, which is then neither
 * sent nor refreshed: for proxies such as sath-gateway that forward their caller's
 * credentials.  NULL goes back to the client's token.  Copied, and wiped when replaced or
 * freed.  SATH_EINVAL for "" or a value gRPC cannot send.
 */
SATH_EXTERN int sath_call_opts_set_authorization(sath_call_opts *opts, const char *value);

/* ---- raw calls ------------------------------------------------------------------------ */

/*
 * sath_client_call_raw() makes one unary call of any method with an already serialised
 * request: `path` is "/package.Service/Method", `req` the request's protobuf bytes
 * (`req_len` of them; NULL with 0 sends an empty message).  On SATH_OK *resp holds the
 * response bytes (*resp_len of them, possibly 0, *resp never NULL), which the caller frees
 * with sath_free(); on failure *resp is NULL.  Metadata, deadline, the access token and
 * its refresh, and the recorded outcome are those of the generated stubs, which remain
 * the way to call sath.v1 methods: this is for proxies, gRPC's own services (health) and
 * methods newer than the library.  Thread-safe.
 */
SATH_EXTERN int sath_client_call_raw(sath_client *client, const char *path, const void *req,
                                     size_t req_len, void **resp, size_t *resp_len,
                                     sath_call_opts *opts);

/*
 * Callbacks of sath_client_call_raw_stream(), run on the calling thread.  sath_stream_msg_cb
 * gets each message's protobuf bytes (`len` of them), valid only during the callback
 * (copy what you keep); returning non-zero cancels the stream.  sath_stream_alive_cb is
 * asked about once a second while no message comes; returning 0 cancels the stream (its
 * consumer went away).
 */
typedef int (*sath_stream_msg_cb)(void *userdata, const void *msg, size_t len);
typedef int (*sath_stream_alive_cb)(void *userdata);

/*
 * sath_client_call_raw_stream() makes one server-streaming call of any method with an
 * already serialised request (`path`, `req`, `req_len` as for sath_client_call_raw()) and
 * blocks until the stream ends, calling `on_msg` (required) for every message as it
 * arrives and `alive` (may be NULL: never asked) while it waits.  Metadata, the access
 * token and its refresh (and one retry after UNAUTHENTICATED, only while no message has
 * arrived) and the recorded outcome are those of the generated streaming stubs; the
 * client's default deadline does not apply (streams last), `opts`' timeout does.  Returns
 * the stream's final status: SATH_OK when the server ended it, SATH_CANCELLED when a
 * callback stopped it, another gRPC status or a local error.  The library keeps nothing
 * of the call once it returns.  Thread-safe (one thread per stream).
 */
SATH_EXTERN int sath_client_call_raw_stream(sath_client *client, const char *path,
                                            const void *req, size_t req_len,
                                            sath_stream_msg_cb on_msg, sath_stream_alive_cb alive,
                                            void *userdata, sath_call_opts *opts);

#ifdef __cplusplus
}
#endif
#endif /* SATH_CLIENT_H */
