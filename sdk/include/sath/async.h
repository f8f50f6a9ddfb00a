/*
 * async.h - calls that do not block, for programs built around an event loop (libuv,
 * libevent, epoll, GLib...), in the way hiredis's redisAsyncContext works.
 *
 * Every RPC stub has an asynchronous twin, sath_<service>_<method>_async() (generated
 * into sath/v1/<x>.sath-client.h), which starts the call and returns at once.  The
 * outcome is delivered to a callback, always on the thread that calls sath_client_poll():
 *
 *     int fd = sath_client_async_fd(client);     // watch it for readability
 *     sath_user_get_me_async(client, &req, on_me, ctx, NULL, NULL);
 *     ...
 *     // in the loop, when fd is readable:
 *     sath_client_poll(client, 0);               // runs on_me(ctx, status, resp, message)
 *
 * gRPC's own thread completes the calls and wakes the descriptor; the program's thread
 * runs the callbacks, so a program with one loop thread needs no locks.  A program
 * without a loop may call sath_client_poll() with a timeout instead of watching the fd.
 *
 * Tokens: an asynchronous call sends the access token held when it starts (or the
 * per-call authorization of its sath_call_opts).  When the server answers
 * UNAUTHENTICATED and a refresh token is held, the library refreshes the session once on
 * its own completion thread (never on the program's) and starts the call again with the
 * new token, as the blocking calls do; the callback sees only the final outcome.
 */
#ifndef SATH_ASYNC_H
#define SATH_ASYNC_H

#include "sath/client.h"
#include "sath/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One asynchronous call in flight.  Opaque; owned by the library. */
typedef struct sath_async_call sath_async_call;

/*
 * The outcome of one asynchronous call, run by sath_client_poll() (or, for calls still
 * running then, by sath_client_free() with SATH_CANCELLED: it must not use the client
 * then).  `status` is what the blocking call would have returned.  On SATH_OK `resp` is
 * the response message of the method's type (cast it: (Sath__V1__User *)resp); the
 * callback owns it and frees it with its *_free_unpacked(resp, NULL).  Otherwise `resp`
 * is NULL and `message` says why, by the message rule of sath/error.h; `message` is valid
 * during the callback only.  The callback may start new calls and cancel others.
 */
typedef void (*sath_async_cb)(void *userdata, int status, void *resp, const char *message);

/*
 * sath_client_async_fd() returns a file descriptor that is readable while completed
 * calls wait for sath_client_poll(), or a negative sath_errno (SATH_EINVAL, SATH_ENOMEM).
 * The descriptor is owned by the client (do not read or close it) and stays the same
 * until sath_client_free().  Thread-safe.
 */
SATH_EXTERN int sath_client_async_fd(sath_client *client);

/*
 * sath_client_poll() runs the callbacks of every call completed so far, waiting up to
 * `timeout_ms` for the first one when there is none (0: do not wait, -1: wait until one
 * completes or no call is in flight).  Returns how many callbacks ran, or SATH_EINVAL.
 * Only one thread may poll a client at a time; that thread runs the callbacks.
 */
SATH_EXTERN int sath_client_poll(sath_client *client, int timeout_ms);

/*
 * sath_client_async_pending() returns how many asynchronous calls were started and have
 * not had their callback run yet (0 for NULL).  Thread-safe.
 */
SATH_EXTERN int sath_client_async_pending(sath_client *client);

/*
 * sath_async_call_cancel() asks for the call to be cancelled: unless it already
 * completed, its callback gets SATH_CANCELLED.  The handle is valid from the start of
 * the call until its callback begins; call this on the polling thread, or on any thread
 * while that is guaranteed.  NULL does nothing.
 */
SATH_EXTERN void sath_async_call_cancel(sath_async_call *call);

#ifdef __cplusplus
}
#endif
#endif /* SATH_ASYNC_H */
