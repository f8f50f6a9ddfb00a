/*
 * client_fixture/unary.c - recording sath__unary for tests/gen/torture_client.c.
 */
#include "unary.h"

#include <stdint.h>

int sath__unary(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                ProtobufCMessage **resp, sath_call_opts *opts)
{
    static const uint8_t empty[1] = { 0 };
    c->calls++;
    c->async = 0;
    c->in = in;
    c->path = path;
    c->req = req;
    c->out = out;
    c->opts = opts;
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
    c->calls++;
    c->async = 1;
    c->path = path;
    c->in = in;
    c->req = req;
    c->out = out;
    c->cb = cb;
    c->userdata = userdata;
    c->opts = (sath_call_opts *)(uintptr_t)opts;
    c->call = call;
    return c->status;
}

int sath__server_stream(sath_client *c, const char *path, const ProtobufCMessageDescriptor *in,
                        const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out,
                        sath__stream_fn on_msg, void *arg, sath_call_opts *opts)
{
    static const uint8_t empty[1] = { 0 };
    c->calls++;
    c->async = 0;
    c->in = in;
    c->path = path;
    c->req = req;
    c->out = out;
    c->opts = opts;
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
