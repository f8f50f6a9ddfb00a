/*
 * client_fixture/sath/client.h - stand-in for the SDK's public client header, used only
 * by tests/gen/torture_client.c to compile the generated stubs without libsathclient.
 *
 * sath_client is a recorder here: the fixture sath__unary() (unary.c) writes what a
 * stub passed into it, so tests need no global state.
 */
#ifndef SATH_TESTS_GEN_FIXTURE_CLIENT_H
#define SATH_TESTS_GEN_FIXTURE_CLIENT_H

#include <protobuf-c/protobuf-c.h>

typedef struct sath_call_opts sath_call_opts; /* opaque, passed through */
typedef struct sath_async_call sath_async_call; /* opaque, passed through */
typedef void (*sath_async_cb)(void *userdata, int status, void *resp, const char *message);

typedef struct sath_client {
    int status;                              /* what the fixture call returns */
    int calls;
    int async;                               /* last call was the _async twin */
    const char *path;                        /* last gRPC path */
    const ProtobufCMessageDescriptor *in;    /* last input descriptor */
    sath_async_cb cb;                        /* last callback (async) */
    void *userdata;
    sath_async_call **call;
    const ProtobufCMessage *req;             /* last request */
    const ProtobufCMessageDescriptor *out;   /* last output descriptor */
    int resp_was_null;                       /* the stub passed resp == NULL */
    sath_call_opts *opts;
} sath_client;

#endif /* SATH_TESTS_GEN_FIXTURE_CLIENT_H */
