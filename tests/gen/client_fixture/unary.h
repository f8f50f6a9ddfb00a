/*
 * client_fixture/unary.h - stand-in for the SDK's private unary.h (same signature as
 * the real sath__unary), for tests/gen/torture_stubs.c.
 */
#ifndef SATH_TESTS_GEN_FIXTURE_UNARY_H
#define SATH_TESTS_GEN_FIXTURE_UNARY_H

#include <protobuf-c/protobuf-c.h>

#include "sath/async.h"
#include "sath/client.h"

/* Records its arguments in *c.  When c->status is 0 and resp is not NULL, *resp is a
 * new, empty message of type `out` (unpacked from zero bytes with the default
 * allocator, so <type>__free_unpacked releases it); otherwise *resp is NULL.
 * Returns c->status. */
int sath__unary(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                ProtobufCMessage **resp, sath_call_opts *opts);

/* Records its arguments in *c (async = 1, cb, userdata, call) and returns c->status. */
int sath__unary_async(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                      sath_async_cb cb, void *userdata, const sath_call_opts *opts,
                      sath_async_call **call);

/* Server-streaming stand-in: records like sath__unary and, when c->status is 0, delivers
 * one empty message of type `out` to on_msg.  Returns c->status. */
typedef int (*sath__stream_fn)(void *arg, const ProtobufCMessage *msg);
int sath__server_stream(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                        const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                        sath__stream_fn on_msg, void *arg, sath_call_opts *opts);

#endif /* SATH_TESTS_GEN_FIXTURE_UNARY_H */
