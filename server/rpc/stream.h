/*
 * stream.h - grpc glue for the streaming services (health Watch, reflection), private
 * to server/rpc.  Each stream runs on its own detached thread with its own pluck
 * completion queue, so streams never occupy the unary workers.
 */
#ifndef SATHD_RPC_STREAM_H
#define SATHD_RPC_STREAM_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stddef.h>

#include "rpc_internal.h"

/* Body of a stream thread.  Owns nothing: the caller unrefs the call, destroys `payload`
 * and the queue afterwards. */
typedef void (*sathd_stream_fn)(void *arg, grpc_call *call, grpc_completion_queue *cq,
                                grpc_byte_buffer *payload);

typedef struct sathd_streams {
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when `active` drops to 0 */
    int active;
    int max;
} sathd_streams;

int sathd_streams_init(sathd_streams *st, int max);
void sathd_streams_destroy(sathd_streams *st);
/* Runs fn(arg, call, cq, payload) on a new thread, which then releases call, payload
 * and cq, and returns 0.  When the limit is reached or no thread can be made, answers
 * the call with RESOURCE_EXHAUSTED itself and returns -1 (fn never runs: `arg` is still
 * the caller's).  Takes ownership of call, cq and payload either way. */
int sathd_streams_start(sathd_streams *st, sathd_stream_fn fn, void *arg, grpc_call *call,
                        grpc_completion_queue *cq, grpc_byte_buffer *payload);
/* Blocks until no stream thread is left. */
void sathd_streams_wait(sathd_streams *st);

/* Starts `ops` on `call` and plucks the result from `cq` (bound to the call), waiting
 * at most `timeout_ms` (<0: forever).  Returns 1 when the batch succeeded, 0 when it
 * failed or timed out (then the call is cancelled, and the batch still plucked). */
int sathd_stream_batch(grpc_call *call, grpc_completion_queue *cq, const grpc_op *ops,
                       size_t n, int timeout_ms);
/* Sends initial metadata (when `send_initial`) and the status, then waits for close. */
void sathd_stream_finish(grpc_call *call, grpc_completion_queue *cq, int send_initial,
                         int status, const char *message);
/* Reads a byte buffer whole into `a`; NULL when allocation fails.  *len gets the size. */
uint8_t *sathd_stream_read_all(grpc_byte_buffer *bb, sathd_arena *a, size_t *len);
/* Packs `msg` into a new byte buffer (caller destroys it); NULL on OOM. */
grpc_byte_buffer *sathd_stream_pack(const ProtobufCMessage *msg);

/* sathd_metadata_fn over a grpc_metadata_array (ud); values copied into the call. */
const char *sathd_rpc_md_get(void *ud, sathd_call *call, const char *key);
/* A grpc deadline as sathd_rpc_now_ns() time (INT64_MAX: none). */
int64_t sathd_rpc_deadline_ns(gpr_timespec d);

/* A server-streaming method of the registry, handed to its stream thread. */
typedef struct sathd_method_stream {
    const sathd_call_env *env;
    const sathd_registry_entry *entry;
    const atomic_int *stopping;
    gpr_timespec deadline;
    grpc_metadata_array md; /* owned: entries point into the call */
} sathd_method_stream;
void sathd_method_stream_free(sathd_method_stream *ms);

/* Stream bodies. arg: sathd_health_ctx / sathd_reflection / sathd_method_stream (freed
 * by the body). */
void sathd_method_stream_serve(void *arg, grpc_call *call, grpc_completion_queue *cq,
                               grpc_byte_buffer *payload);
void sathd_health_watch(void *arg, grpc_call *call, grpc_completion_queue *cq,
                        grpc_byte_buffer *payload);
void sathd_reflection_serve(void *arg, grpc_call *call, grpc_completion_queue *cq,
                            grpc_byte_buffer *payload);

#endif /* SATHD_RPC_STREAM_H */
