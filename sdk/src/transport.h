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

    int status;            /* grpc status code (0..16) */
    char *status_message;  /* malloc'd, "" when none; caller frees */
    uint8_t *resp;         /* malloc'd response bytes, NULL when none; caller frees */
    size_t resp_len;
    sath__md *resp_md;     /* malloc'd initial + trailing metadata; free with sath__rpc_clear */
    size_t n_resp_md;
} sath__rpc;

/* Initialises gRPC core (reference counted); pair with sath__transport_release(). */
void sath__transport_acquire(void);
void sath__transport_release(void);

/*
 * Creates a channel to `target`.  tls: 0 plaintext, 1 TLS with `root_pem` (NUL-terminated
 * PEM, or NULL for the default roots).  Returns SATH_OK, SATH_ENOMEM or SATH_ETLS.
 */
int sath__channel_new(const char *target, int tls, const char *root_pem, sath__channel **out);
void sath__channel_free(sath__channel *ch);

/*
 * Runs one unary call to completion.  Returns SATH_OK when the call ran (its outcome is in
 * rpc->status, rpc->status_message) or a local error (SATH_ENOMEM, SATH_ETRANSPORT) with
 * rpc->status_message describing it when possible.
 */
int sath__channel_unary(sath__channel *ch, sath__rpc *rpc);

/* One message of a server stream (serialized); return non-zero to cancel the stream.
 * `alive` (may be NULL) is asked about once a second while no message comes: 0 cancels
 * the stream (its consumer went away). */
typedef int (*sath__stream_msg_fn)(void *arg, const uint8_t *buf, size_t len);
typedef int (*sath__stream_alive_fn)(void *arg);

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
