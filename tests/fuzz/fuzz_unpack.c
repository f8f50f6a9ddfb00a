/*
 * fuzz_unpack.c - libFuzzer target: protobuf-c unpack of every request type of the
 * contract, the first thing sathd does with bytes from the network.
 *
 * The first input byte picks the method (from the generated route table), the rest is
 * the payload, checked by the same wire pass sathd runs before unpacking.  Whatever unpacks is packed again and must unpack to the same size:
 * that catches decoders that accept what the encoder cannot reproduce.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "sath/v1/routes.sath.h"
#include "wire_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const sathd_method_desc *m = sath_v1_all_methods[data[0] % sath_v1_n_all_methods];
    if (sathd_wire_check_strings(m->input, data + 1, size - 1, NULL) != 0)
        return 0;
    ProtobufCMessage *msg = protobuf_c_message_unpack(m->input, NULL, size - 1, data + 1);
    if (!msg)
        return 0;
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (buf) {
        size_t w = protobuf_c_message_pack(msg, buf);
        if (w != n)
            abort();
        ProtobufCMessage *again = protobuf_c_message_unpack(m->input, NULL, w, buf);
        if (!again || protobuf_c_message_get_packed_size(again) != n)
            abort();
        protobuf_c_message_free_unpacked(again, NULL);
        free(buf);
    }
    protobuf_c_message_free_unpacked(msg, NULL);
    return 0;
}
