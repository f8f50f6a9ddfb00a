/*
 * client_fixture/unary.c - recording sath__unary for tests/gen/torture_client.c.
 */
#include "unary.h"

#include <stdint.h>

int sath__unary(sath_client *c, const char *path, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *out, ProtobufCMessage **resp,
                sath_call_opts *opts)
{
    static const uint8_t empty[1] = { 0 };
    c->calls++;
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

int sath__server_stream(sath_client *c, const char *path, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *out, sath__stream_fn on_msg, void *arg,
                        sath_call_opts *opts)
{
    static const uint8_t empty[1] = { 0 };
    c->calls++;
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
