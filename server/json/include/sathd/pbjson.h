/*
 * pbjson.h - the proto3 JSON mapping, implemented once, generically, on protobuf-c
 * descriptors (https://protobuf.dev/programming-guides/proto3/#json).
 *
 * Used by the REST gateway (in-process and standalone) to turn HTTP JSON bodies, path
 * variables and query parameters into request messages and responses back into JSON.
 * Output uses the proto field names (snake_case, as the FastAPI platform emitted) and
 * emits fields with default values; input accepts proto names and lowerCamelCase.
 *
 * Thread-safe: no shared state.  Memory: decoded messages are allocated with the
 * ProtobufCAllocator the caller passes (normally a call arena, so nothing is freed
 * piecemeal; with NULL, the system allocator: free with protobuf_c_message_free_unpacked).
 */
#ifndef SATHD_PBJSON_H
#define SATHD_PBJSON_H

#include <stddef.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Why a decode failed: `field` is the dotted proto path of the offending field ("" for
 * the whole document), `message` a sentence for the client (never echoes long input). */
typedef struct sathd_pbjson_error {
    char field[256];
    char message[256];
} sathd_pbjson_error;

/* Flags for sathd_pbjson_encode. */
#define SATHD_PBJSON_OMIT_DEFAULTS 0x1u /* leave out fields with default values */
#define SATHD_PBJSON_CAMEL_CASE 0x2u    /* lowerCamelCase names instead of proto names */
#define SATHD_PBJSON_ENUMS_AS_INTS 0x4u /* enum numbers instead of names */

/* Decodes the JSON value `j` (an object, or the JSON form of a well-known type) into a
 * new message of type `desc`.  Unknown fields are an error (the gateway answers 400
 * naming them).  Returns 0 and *out, or -1 with *err filled. */
int sathd_pbjson_decode(const ProtobufCMessageDescriptor *desc, const json_t *j,
                        ProtobufCAllocator *alloc, ProtobufCMessage **out,
                        sathd_pbjson_error *err);

/* Merges the JSON value `j` into field `field_path` (dotted, proto or camel names, e.g.
 * "config" or "config.id") of the existing message `msg` (the google.api.http
 * `body: "field"` case).  0 or -1 with *err. */
int sathd_pbjson_merge_field(ProtobufCMessage *msg, const char *field_path, const json_t *j,
                             ProtobufCAllocator *alloc, sathd_pbjson_error *err);

/* Sets the field at `field_path` from the text `value`, as a path variable or a query
 * parameter gives it: scalars parsed from text (numbers, true/false, enum names or
 * numbers, base64 bytes, RFC 3339 for Timestamp, "1.5s" for Duration, wrappers as their
 * scalar); a repeated field gets `value` appended.  Nested messages on the way are
 * created.  0, or -1 with *err (unknown field, wrong type, not a scalar). */
int sathd_pbjson_set_from_string(ProtobufCMessage *msg, const char *field_path,
                                 const char *value, ProtobufCAllocator *alloc,
                                 sathd_pbjson_error *err);

/* Encodes `msg` as a new JSON value (caller json_decref()s it), or NULL when out of
 * memory.  Flags: SATHD_PBJSON_*. */
json_t *sathd_pbjson_encode(const ProtobufCMessage *msg, unsigned flags);

/* Writes the JSON text of `msg` -- or, with `field` (a proto field name), of that one
 * field's value, "null" when it is left out -- into buf, at most cap bytes, without
 * building a jansson tree.  The text is exactly json_dumpb(sathd_pbjson_encode(msg,
 * flags), JSON_COMPACT | JSON_ENCODE_ANY) (or of json_object_get of `field`).  Returns
 * the full length (larger than cap: nothing usable was written, call again with that
 * much room), or 0 when out of memory.  No NUL is added. */
size_t sathd_pbjson_dumpb(const ProtobufCMessage *msg, const char *field, unsigned flags,
                          char *buf, size_t cap);
/* Looks up a field by proto name or lowerCamelCase json name; NULL if none. */
const ProtobufCFieldDescriptor *sathd_pbjson_find_field(const ProtobufCMessageDescriptor *desc,
                                                        const char *name);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_PBJSON_H */
