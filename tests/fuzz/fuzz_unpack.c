/*
 * fuzz_unpack.c - libFuzzer target: the first thing sathd does with request bytes from
 * the network, for every request type of the contract: the wire check
 * (server/rpc/wire_check.c: UTF-8, NUL, field 0, groups), then protobuf-c unpack into the
 * call's arena (arena.c), exactly as server.c decodes a call.
 *
 * The first input byte picks the method (from the generated route table), the rest is
 * the payload.  Our code (wire check, UTF-8 validation, arena) is compiled into this
 * target with fuzzer instrumentation; the seed corpus (unpack_seeds.c, generated at build
 * time) holds a fully populated valid request of every method.  Whatever unpacks is packed
 * again and must unpack to the same size, and pass the wire check again: that catches
 * decoders that accept what the encoder cannot reproduce, and a wire check that refuses
 * what our own encoder writes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "sath/v1/routes.sath.h"
#include "sathd/arena.h"
#include "wire_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sathd_arena *arena;
    if (size < 1)
        return 0;
    if (!arena && !(arena = sathd_arena_new(0)))
        abort();
    const sathd_method_desc *m = sath_v1_all_methods[data[0] % sath_v1_n_all_methods];
    const ProtobufCFieldDescriptor *bad = NULL;
    if (sathd_wire_check_strings(m->input, data + 1, size - 1, &bad) != 0) {
        if (bad && bad->type != PROTOBUF_C_TYPE_STRING)
            abort(); /* only a string field can be named as the reason */
        return 0;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(m->input, sathd_arena_allocator(arena), size - 1, data + 1);
    if (!msg) {
        sathd_arena_reset(arena);
        return 0;
    }
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf) {
        size_t w = protobuf_c_message_pack(msg, buf);
        if (w != n)
            abort();
        if (sathd_wire_check_strings(m->input, buf, w, NULL) != 0)
            abort();
        ProtobufCMessage *again = protobuf_c_message_unpack(m->input, NULL, w, buf);
        if (!again || protobuf_c_message_get_packed_size(again) != n)
            abort();
        protobuf_c_message_free_unpacked(again, NULL);
        free(buf);
    }
    sathd_arena_reset(arena); /* the arena owns msg, as a call's arena does */
    return 0;
}
