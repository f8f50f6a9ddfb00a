/*
 * transport.h - the SDK's only window onto gRPC core (implemented in transport.c).
 *
 * gRPC core's C API changes between minor versions, so every grpc_* call of the SDK lives
 * behind these few functions.  A sath__channel is thread-safe: many unary calls may run
 * on it at once (each has its own completion queue).
 */
#ifndef SATH_SDK_TRANSPORT_H
#define SATH_SDK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sath/client.h"

typedef struct sath__channel sath__channel;

/* One metadata pair; in lists both strings are heap copies owned by the list. */
typedef struct sath__md {
    char *key;
    char *value;
} sath__md;

/* One unary call: inputs set by the caller, outputs filled by sath__channel_unary(). */
typedef struct sath__rpc {
    const char *path;      /* "/package.Service/Method" */
    const uint8_t *req;    /* serialised request */
    size_t req_len;
    const sath__md *md;    /* request metadata */
    size_t n_md;
    int64_t timeout_ms;    /* 0: no deadline */
    int wait_for_ready;    /* queue while the channel is not ready instead of failing */

    int status;            /* grpc status code (0..16) */
    char *status_message;  /* malloc'd, "" when none; caller frees */
    uint8_t *resp;         /* malloc'd response bytes, NULL when none; caller frees */
    size_t resp_len;
    sath__md *resp_md;     /* malloc'd initial + trailing metadata; free with sath__rpc_clear */
    size_t n_resp_md;
} sath__rpc;

/* How a channel connects (every field may be 0/NULL: gRPC's default). */
typedef struct sath__channel_config {
    int tls;                      /* 0 plaintext, 1 TLS */
    const char *root_pem;         /* trusted roots (NULL: gRPC's default roots) */
    const char *cert_pem;         /* client certificate chain and key (mutual TLS) */
    const char *key_pem;
    const char *server_name;      /* name the server certificate is checked against */
    int64_t connect_timeout_ms;   /* one connection attempt, handshakes included */
    int64_t keepalive_time_ms;    /* ping after this long without activity */
    int64_t keepalive_timeout_ms; /* close when a ping gets no answer in time */
    const char *service_config;   /* gRPC service config JSON (retry policy) */
} sath__channel_config;

/* Initialises gRPC core (reference counted); pair with sath__transport_release(). */
void sath__transport_acquire(void);
void sath__transport_release(void);
/* The last release shuts gRPC down and waits for its threads (sath_global_cleanup). */
void sath__transport_release_blocking(void);
/* Routes gRPC core's log lines to sath__log_line() from `min_level` (a sath_log_level)
 * up; SATH_LOG_OFF drops them all.  Installs the route on first use. */
void sath__transport_set_log_level(int min_level);

/*
 * Creates a channel to `target` as `cfg` says (NULL: plaintext, defaults).  Returns
 * SATH_OK, SATH_ENOMEM or SATH_ETLS.
 */
int sath__channel_new(const char *target, const sath__channel_config *cfg, sath__channel **out);
/* Frees the channel.  Every call started with sath__channel_start() must have completed
 * (its `done` returned); cancel them first. */
void sath__channel_free(sath__channel *ch);

/*
 * Runs one unary call to completion.  Returns SATH_OK when the call ran (its outcome is in
 * rpc->status, rpc->status_message) or a local error (SATH_ENOMEM, SATH_ETRANSPORT) with
 * rpc->status_message describing it when possible.
 */
int sath__channel_unary(sath__channel *ch, sath__rpc *rpc);

/* One call started with sath__channel_start(). */
typedef struct sath__op sath__op;

/*
 * Called once per started call, on the channel's completion thread, with the call's
 * outcome in `rpc` (as sath__channel_unary() fills it) and its return code in `rc`.
 * The op is freed after it returns: nothing may use it any more.  It blocks every other
 * completion of the channel while it runs: keep it short (async.c's one refresh round
 * trip before a retry is the longest it does).  It may start new calls.
 */
typedef void (*sath__op_done)(void *arg, sath__rpc *rpc, int rc);

/*
 * Starts one unary call without waiting: the inputs of `rpc` are copied, so the caller
 * may free them at once; `done` reports the outcome.  The first start creates the
 * channel's completion thread.  Returns SATH_OK (done will run exactly once and *op
 * stays valid until it starts) or a local error (done never runs).
 */
int sath__channel_start(sath__channel *ch, const sath__rpc *rpc, sath__op_done done, void *arg,
                        sath__op **op);

/* Asks gRPC to cancel a started call; its done still runs (status CANCELLED). */
void sath__op_cancel(sath__op *op);

/* One message of a server stream (serialized; return non-zero to cancel the stream) and
 * the liveness question asked about once a second while no message comes (0 cancels):
 * the public callback types of sath_client_call_raw_stream(), which passes them on. */
typedef sath_stream_msg_cb sath__stream_msg_fn;
typedef sath_stream_alive_cb sath__stream_alive_fn;

/*
 * Runs one server-streaming call: sends rpc->req, calls on_msg for every message as it
 * arrives, and fills rpc->status / status_message / resp_md at the end (rpc->resp stays
 * NULL).  When on_msg returns non-zero the call is cancelled and rpc->status is
 * CANCELLED.  *n_msgs counts the messages delivered.  Returns like sath__channel_unary.
 */
int sath__channel_server_stream(sath__channel *ch, sath__rpc *rpc, sath__stream_msg_fn on_msg,
                                sath__stream_alive_fn alive, void *arg, size_t *n_msgs);

/* Frees the outputs of a call and zeroes them. */
void sath__rpc_clear(sath__rpc *rpc);

/* True when gRPC accepts `key` as a metadata key and `value` as a non-binary value. */
int sath__md_legal(const char *key, const char *value);

#endif /* SATH_SDK_TRANSPORT_H */
