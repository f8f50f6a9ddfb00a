/*
 * pbjson_internal.h - what the files of the proto3 JSON mapping share: the walk context
 * (allocator, flags, depth, the dotted path of the field being handled, the error sink)
 * and the descriptor helpers (field storage, map entries, well-known type names).
 *
 * Invariants: ctx->alloc is never NULL (the system allocator stands in for NULL, the one
 * protobuf_c_message_free_unpacked uses by default); ctx->path is always NUL-terminated
 * and every pbj_path_push is undone by pbj_path_pop with the length it returned.
 */
#ifndef SATHD_PBJSON_INTERNAL_H
#define SATHD_PBJSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sathd/pbjson.h"

/* Nesting allowed in JSON input (messages, Struct, ListValue) before we refuse it. */
#define PBJ_MAX_DEPTH 64

typedef struct pbj_ctx {
    ProtobufCAllocator *alloc; /* never NULL */
    ProtobufCAllocator sys;    /* malloc/free, used when the caller passed NULL */
    sathd_pbjson_error *err;   /* may be NULL: errors are then only returned */
    unsigned flags;            /* SATHD_PBJSON_* (encode) */
    int depth;
    size_t path_len;
    char path[256];
} pbj_ctx;

/* Initialises ctx for one top-level call. */
void pbj_ctx_init(pbj_ctx *ctx, ProtobufCAllocator *alloc, sathd_pbjson_error *err,
                  unsigned flags);

/* Path bookkeeping: push returns the previous length, to hand back to pop. */
size_t pbj_path_push_name(pbj_ctx *ctx, const char *name);
size_t pbj_path_push_index(pbj_ctx *ctx, size_t index);
size_t pbj_path_push_key(pbj_ctx *ctx, const char *key);
void pbj_path_pop(pbj_ctx *ctx, size_t len);

/* Records an error for the current path ("field": path; message: the path, then the
 * printf-formatted reason) and returns -1. */
int pbj_fail(pbj_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Memory from ctx->alloc; pbj_alloc records "out of memory" on failure. */
void *pbj_alloc(pbj_ctx *ctx, size_t size);
void pbj_free(pbj_ctx *ctx, void *p);
char *pbj_strndup(pbj_ctx *ctx, const char *s, size_t len);
/* A new message of type desc, initialised to its defaults; freed with
 * protobuf_c_message_free_unpacked(msg, ctx->alloc). */
ProtobufCMessage *pbj_new_message(pbj_ctx *ctx, const ProtobufCMessageDescriptor *desc);

/* Field storage. */
size_t pbj_scalar_size(ProtobufCType type);
static inline void *pbj_member(const ProtobufCMessage *msg, size_t offset)
{
    return (char *)msg + offset;
}
/* Releases what the field's current value owns and resets it to its default (a oneof
 * case or has_ flag included); repeated fields become empty. */
void pbj_clear_field(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd);
/* Marks a just-written singular field present (oneof case, has_ flag). */
void pbj_mark_present(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd);
/* Whether a oneof member / optional field currently holds a value. */
bool pbj_field_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd);

/* Map fields: repeated FooEntry messages with key = 1 and value = 2. */
bool pbj_is_map(const ProtobufCFieldDescriptor *fd);

/* lowerCamelCase json name of a proto field name, as protoc computes it; false if it
 * does not fit in out. */
bool pbj_camel_name(const char *name, char *out, size_t outsz);

/* UTF-8 validity of s[0..len). */
bool pbj_utf8_valid(const char *s, size_t len);

/* Well-known types, by full name. */
typedef enum pbj_wkt {
    PBJ_WKT_NONE,
    PBJ_WKT_TIMESTAMP,
    PBJ_WKT_DURATION,
    PBJ_WKT_WRAPPER,
    PBJ_WKT_STRUCT,
    PBJ_WKT_VALUE,
    PBJ_WKT_LIST_VALUE,
    PBJ_WKT_FIELD_MASK,
    PBJ_WKT_ANY,
} pbj_wkt;
pbj_wkt pbj_wkt_of(const ProtobufCMessageDescriptor *desc);

/* Decoding (pbjson_decode.c). */
int pbj_decode_into(pbj_ctx *ctx, ProtobufCMessage *msg, const json_t *j);
int pbj_decode_field(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                     const json_t *j);
int pbj_decode_scalar(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, const json_t *j,
                      void *dst);
/* Appends one element decoded from j to repeated field fd. */
int pbj_append_element(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
                       const json_t *j);
/* A new message of type desc decoded from j (WKTs included). */
int pbj_decode_new(pbj_ctx *ctx, const ProtobufCMessageDescriptor *desc, const json_t *j,
                   ProtobufCMessage **out);

/* Encoding (pbjson_encode.c). */
json_t *pbj_encode_message(pbj_ctx *ctx, const ProtobufCMessage *msg);
json_t *pbj_encode_scalar(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, const void *src);

/* Well-known types (pbjson_wkt.c): JSON form of msg / msg from JSON. */
json_t *pbj_wkt_encode(pbj_ctx *ctx, pbj_wkt kind, const ProtobufCMessage *msg);
int pbj_wkt_decode(pbj_ctx *ctx, pbj_wkt kind, ProtobufCMessage *msg, const json_t *j);

/* RFC 3339 timestamps and "1.5s" durations (pbjson_time.c). */
bool pbj_timestamp_format(int64_t seconds, int32_t nanos, char out[40]);
bool pbj_timestamp_parse(const char *s, int64_t *seconds, int32_t *nanos);
bool pbj_duration_format(int64_t seconds, int32_t nanos, char out[40]);
bool pbj_duration_parse(const char *s, int64_t *seconds, int32_t *nanos);

/* Whether the encoder leaves field fd of msg out (unset message/oneof/optional, or a
 * default with SATHD_PBJSON_OMIT_DEFAULTS), and the JSON of its value otherwise. */
bool pbj_skip_field(const pbj_ctx *ctx, const ProtobufCMessage *msg,
                    const ProtobufCFieldDescriptor *fd);
json_t *pbj_encode_field(pbj_ctx *ctx, const ProtobufCMessage *msg,
                         const ProtobufCFieldDescriptor *fd);

/* A malloc'd copy of s (len bytes) with each invalid UTF-8 sequence replaced by U+FFFD;
 * its length in *out_len.  NULL when out of memory. */
char *pbj_utf8_scrub(const char *s, size_t len, size_t *out_len);

#endif /* SATHD_PBJSON_INTERNAL_H */
