/*
 * rpc_fixture.h - a real sathd gRPC server on 127.0.0.1 with hand-written test methods,
 * and a small grpc core C client to talk to it.  Shared by the tests/rpc torture files.
 *
 * Test methods (sath.v1 messages, descriptors written here):
 *   /sath.v1.AuthService/Login  public.  email "internal" -> INTERNAL with a secret detail,
 *       "slow:<ms>" sleeps, "fail" -> NOT_FOUND without message; else access_token =
 *       "tok-" + email, token_type = request id, refresh_token = peer.
 *   /sath.v1.UserService/GetMe  needs a token; returns User{id = identity user id,
 *       email = identity token's jti}.
 * Auth hook: token "good-token" -> user "user-42"; "slow-auth" sleeps 400 ms then
 * accepts; anything else -> UNAUTHENTICATED "token rejected".
 */
#ifndef SATH_TEST_RPC_FIXTURE_H
#define SATH_TEST_RPC_FIXTURE_H

#include <grpc/grpc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sathd/rpc.h"

struct sathd_app {
    atomic_int healthy;
    atomic_int handler_calls;
    atomic_int auth_calls;
    char last_token[128]; /* written by the auth hook of the single test calling it */
};

typedef struct fixture {
    struct sathd_app app;
    sathd_registry *reg;
    sathd_rpc_server *srv;
    grpc_channel *ch;
    sathd_file_descriptor *fds;
    size_t n_fds;
    int port;
    int shut_down;
} fixture;

typedef struct rpc_result {
    int status;
    char details[512];
    uint8_t *resp; /* malloc'd, free with rpc_result_clear */
    size_t resp_len;
    int has_resp;
    char request_id[80]; /* x-request-id of the initial metadata, "" if none */
} rpc_result;

/* Calls grpc_init() (once per process). */
void fx_global_init(void);
/* Starts a server with `max_message_bytes` (0: default) and connects a channel.  Returns
 * NULL on failure (the test then fails).  fx_stop tears everything down. */
fixture *fx_start(size_t max_message_bytes);
void fx_stop(fixture *f);
/* Same; with `tls` the server uses the test certificate (RPC_TEST_CERT, CN=localhost,
 * made by CMake with openssl) and the client verifies it. */
fixture *fx_start_ex(size_t max_message_bytes, int tls);

/* Unary call of `method` with raw request bytes; `md` is NULL or key, value, ..., NULL.
 * timeout_ms <= 0: 10 s. */
void fx_call_raw(fixture *f, const char *method, const uint8_t *req, size_t len,
                 const char *const *md, int timeout_ms, rpc_result *out);
/* Same with a protobuf-c message. */
void fx_call(fixture *f, const char *method, const ProtobufCMessage *req, const char *const *md,
             int timeout_ms, rpc_result *out);
void rpc_result_clear(rpc_result *r);

/* A client stream (health Watch, reflection). */
typedef struct fx_stream {
    grpc_call *call;
    grpc_completion_queue *cq;
    int got_initial;
} fx_stream;
/* Opens `method` (sends initial metadata); 0 or -1. */
int fx_stream_open(fixture *f, const char *method, fx_stream *st);
/* Runs a batch on the stream and waits up to timeout_ms (then cancels); 0 on success. */
int fx_stream_batch(fx_stream *st, const grpc_op *ops, size_t n, int timeout_ms);
/* Sends a message (and half-closes when `close`); 0 or -1. */
int fx_stream_send(fx_stream *st, const ProtobufCMessage *m, int close);
/* Receives one message into *data (malloc'd): 1, 0 at end of stream, -1 error/timeout. */
int fx_stream_recv(fx_stream *st, int timeout_ms, uint8_t **data, size_t *len);
/* Optionally cancels, reads the status (returned; details copied) and frees the stream. */
int fx_stream_finish(fx_stream *st, int cancel, char *details, size_t dlen);

/* Microseconds on the monotonic clock. */
int64_t fx_now_us(void);

#endif
