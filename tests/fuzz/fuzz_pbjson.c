/*
 * fuzz_pbjson.c - libFuzzer target: the proto3 JSON mapping (server/json) on what a REST
 * client can send.  The first input byte picks the message type: the request type of a
 * sath.v1 method from the generated route table, or (one past the last) the test-only
 * sathtest.json.All, which holds every scalar kind, map, oneof and well-known type.  The
 * rest goes through json_loadb and sathd_pbjson_decode.  Whatever decodes is encoded;
 * that JSON must decode again and encode to the same JSON (abort otherwise), so the
 * encoder never writes what the decoder refuses; and the direct writer
 * (sathd_pbjson_dumpb) must write exactly the jansson tree's text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_test.pb-c.h"
#include "sath/v1/routes.sath.h"
#include "sathd/pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The direct writer must give exactly the text of the jansson tree, for every flag set. */
static void check_direct_writer(const ProtobufCMessage *msg, unsigned flags)
{
    json_t *j = sathd_pbjson_encode(msg, flags);
    char *tree = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    size_t len = sathd_pbjson_dumpb(msg, NULL, flags, NULL, 0);
    char *direct = len ? malloc(len) : NULL;
    if (!tree || !direct || sathd_pbjson_dumpb(msg, NULL, flags, direct, len) != len ||
        strlen(tree) != len || memcmp(tree, direct, len) != 0)
        abort();
    free(direct);
    free(tree);
    json_decref(j);
}

/* Encodes msg, decodes the result again, encodes that: both JSON texts must match. */
static void check_round_trip(const ProtobufCMessageDescriptor *desc, ProtobufCMessage *msg)
{
    check_direct_writer(msg, 0);
    check_direct_writer(msg, SATHD_PBJSON_CAMEL_CASE | SATHD_PBJSON_OMIT_DEFAULTS |
                                 SATHD_PBJSON_ENUMS_AS_INTS);
    json_t *first = sathd_pbjson_encode(msg, 0);
    if (!first)
        abort();
    ProtobufCMessage *again = NULL;
    sathd_pbjson_error err;
    if (sathd_pbjson_decode(desc, first, NULL, &again, &err) != 0)
        abort(); /* our own output refused */
    json_t *second = sathd_pbjson_encode(again, 0);
    if (!second || !json_equal(first, second))
        abort();
    /* the other output flavours must decode too */
    json_t *camel = sathd_pbjson_encode(again, SATHD_PBJSON_CAMEL_CASE | SATHD_PBJSON_OMIT_DEFAULTS |
                                                   SATHD_PBJSON_ENUMS_AS_INTS);
    ProtobufCMessage *third = NULL;
    if (!camel || sathd_pbjson_decode(desc, camel, NULL, &third, &err) != 0)
        abort();
    protobuf_c_message_free_unpacked(third, NULL);
    json_decref(camel);
    json_decref(second);
    json_decref(first);
    protobuf_c_message_free_unpacked(again, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t pick = data[0] % (sath_v1_n_all_methods + 1);
    const ProtobufCMessageDescriptor *desc = pick < sath_v1_n_all_methods
                                                 ? sath_v1_all_methods[pick]->input
                                                 : &sathtest__json__all__descriptor;
    json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    ProtobufCMessage *msg = NULL;
    sathd_pbjson_error err;
    if (sathd_pbjson_decode(desc, j, NULL, &msg, &err) == 0) {
        check_round_trip(desc, msg);
        protobuf_c_message_free_unpacked(msg, NULL);
    } else if (msg || !err.message[0] || strlen(err.message) >= sizeof(err.message)) {
        abort();
    }
    json_decref(j);
    return 0;
}
