/*
 * client_fixture/unary.c - recording sath__unary for tests/gen/torture_client.c.
 */
#include "unary.h"

#include <stdint.h>

/* What every stand-in records of a call: the stubs under test are judged by these. */
static void record(sath_client *c, int async, const char *path, const ProtobufCMessageDescriptor *in,
                   const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                   sath_call_opts *opts)
{
    c->calls++;
    c->async = async;
    c->in = in;
    c->path = path;
    c->req = req;
    c->out = out;
    c->opts = opts;
}

int sath__unary(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                ProtobufCMessage **resp, sath_call_opts *opts)
{
    static const uint8_t empty[1] = { 0 };
    record(c, 0, path, in, req, out, opts);
    c->resp_was_null = resp == NULL;
    if (resp == NULL)
        return c->status;
    *resp = c->status == 0 ? protobuf_c_message_unpack(out, NULL, 0, empty) : NULL;
    return c->status;
}

int sath__unary_async(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                      const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                      sath_async_cb cb, void *userdata, const sath_call_opts *opts,
                      sath_async_call **call)
{
    record(c, 1, path, in, req, out, (sath_call_opts *)(uintptr_t)opts);
    c->cb = cb;
    c->userdata = userdata;
    c->call = call;
    return c->status;
}

int sath__server_stream(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                        const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                        sath__stream_fn on_msg, void *arg, sath_call_opts *opts)
{
    static const uint8_t empty[1] = { 0 };
    record(c, 0, path, in, req, out, opts);
    c->resp_was_null = on_msg == NULL;
    if (c->status == 0 && on_msg) {
        ProtobufCMessage *m = protobuf_c_message_unpack(out, NULL, 0, empty);
        if (m) {
            on_msg(arg, m);
            protobuf_c_message_free_unpacked(m, NULL);
        }
    }
    return c->status;
}
