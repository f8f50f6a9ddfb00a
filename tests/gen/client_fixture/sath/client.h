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

typedef struct sath_client {
    int status;                              /* what the fixture call returns */
    int calls;
    const char *path;                        /* last gRPC path */
    const ProtobufCMessage *req;             /* last request */
    const ProtobufCMessageDescriptor *out;   /* last output descriptor */
    int resp_was_null;                       /* the stub passed resp == NULL */
    sath_call_opts *opts;
} sath_client;

#endif /* SATH_TESTS_GEN_FIXTURE_CLIENT_H */
