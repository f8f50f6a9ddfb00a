/*
 * pbjson.c - the public entry points of the proto3 JSON mapping (sathd/pbjson.h):
 * whole-message decode and encode, `body: "field"` merges, and path-variable /
 * query-parameter assignment from text.  Dotted field paths are resolved here.
 */
#include <stdlib.h>
#include <string.h>

#include "pbjson_internal.h"

int sathd_pbjson_decode(const ProtobufCMessageDescriptor *desc, const json_t *j,
                        ProtobufCAllocator *alloc, ProtobufCMessage **out,
                        sathd_pbjson_error *err)
{
    pbj_ctx ctx;
    pbj_ctx_init(&ctx, alloc, err, 0);
    *out = NULL;
    if (!desc || !j)
        return pbj_fail(&ctx, "no JSON value");
    ProtobufCMessage *m = NULL;
    if (pbj_decode_new(&ctx, desc, j, &m) < 0) {
        if (m)
            protobuf_c_message_free_unpacked(m, ctx.alloc);
        return -1;
    }
    *out = m;
    return 0;
}

json_t *sathd_pbjson_encode(const ProtobufCMessage *msg, unsigned flags)
{
    if (!msg)
        return NULL;
    pbj_ctx ctx;
    pbj_ctx_init(&ctx, NULL, NULL, flags);
    return pbj_encode_message(&ctx, msg);
}

/* Walks the dotted path to its last field: every segment before it must be a singular
 * message field, created when absent.  *leaf_msg / *leaf_fd on success; the path of
 * the walk is left in ctx->path. */
static int resolve_path(pbj_ctx *ctx, ProtobufCMessage *msg, const char *field_path,
                        ProtobufCMessage **leaf_msg, const ProtobufCFieldDescriptor **leaf_fd)
{
    if (!field_path || !*field_path)
        return pbj_fail(ctx, "empty field path");
    const char *seg = field_path;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        char name[128];
        if (len == 0 || len >= sizeof(name))
            return pbj_fail(ctx, "invalid field path \"%.64s\"", field_path);
        memcpy(name, seg, len);
        name[len] = '\0';
        const ProtobufCFieldDescriptor *fd = sathd_pbjson_find_field(msg->descriptor, name);
        pbj_path_push_name(ctx, fd ? fd->name : name);
        if (!fd)
            return pbj_fail(ctx, "unknown field \"%.64s\" in %s", name, msg->descriptor->name);
        if (!dot) {
            *leaf_msg = msg;
            *leaf_fd = fd;
            return 0;
        }
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE || fd->label == PROTOBUF_C_LABEL_REPEATED ||
            pbj_wkt_of(fd->descriptor) != PBJ_WKT_NONE)
            return pbj_fail(ctx, "not a message field: cannot select \"%.64s\" inside it", dot + 1);
        ProtobufCMessage **slot = pbj_member(msg, fd->offset);
        if (!pbj_field_present(msg, fd) || !*slot) {
            if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
                uint32_t c = *(uint32_t *)pbj_member(msg, fd->quantifier_offset);
                if (c)
                    pbj_clear_field(ctx, msg, protobuf_c_message_descriptor_get_field(msg->descriptor, c));
            }
            *slot = pbj_new_message(ctx, fd->descriptor);
            if (!*slot)
                return -1;
            pbj_mark_present(msg, fd);
        }
        msg = *slot;
        seg = dot + 1;
    }
}

int sathd_pbjson_merge_field(ProtobufCMessage *msg, const char *field_path, const json_t *j,
                             ProtobufCAllocator *alloc, sathd_pbjson_error *err)
{
    pbj_ctx ctx;
    pbj_ctx_init(&ctx, alloc, err, 0);
    ProtobufCMessage *leaf;
    const ProtobufCFieldDescriptor *fd;
    if (!msg || !j)
        return pbj_fail(&ctx, "no JSON value");
    if (resolve_path(&ctx, msg, field_path, &leaf, &fd) < 0)
        return -1;
    return pbj_decode_field(&ctx, leaf, fd, j);
}

/* The JSON value a text stands for in a field of fd's type: strings for everything
 * the decoder reads from strings, true/false for bools, numbers for numeric enums. */
static json_t *text_value(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, const char *value)
{
    ProtobufCType type = fd->type;
    if (type == PROTOBUF_C_TYPE_MESSAGE) {
        pbj_wkt kind = pbj_wkt_of(fd->descriptor);
        if (kind == PBJ_WKT_WRAPPER)
            type = ((const ProtobufCMessageDescriptor *)fd->descriptor)->fields[0].type;
        else if (kind != PBJ_WKT_TIMESTAMP && kind != PBJ_WKT_DURATION && kind != PBJ_WKT_FIELD_MASK) {
            pbj_fail(ctx, "not a scalar field: it cannot be set from text");
            return NULL;
        }
    }
    if (type == PROTOBUF_C_TYPE_BOOL) {
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)
            return json_boolean(value[0] == 't');
        pbj_fail(ctx, "expected true or false, got \"%.32s\"", value);
        return NULL;
    }
    if (type == PROTOBUF_C_TYPE_ENUM && value[0] && strspn(value, "-0123456789") == strlen(value)) {
        char *end;
        long long v = strtoll(value, &end, 10);
        return json_integer(v);
    }
    if (!pbj_utf8_valid(value, strlen(value))) {
        pbj_fail(ctx, "invalid UTF-8");
        return NULL;
    }
    json_t *j = json_string(value);
    if (!j)
        pbj_fail(ctx, "out of memory");
    return j;
}

int sathd_pbjson_set_from_string(ProtobufCMessage *msg, const char *field_path,
                                 const char *value, ProtobufCAllocator *alloc,
                                 sathd_pbjson_error *err)
{
    pbj_ctx ctx;
    pbj_ctx_init(&ctx, alloc, err, 0);
    ProtobufCMessage *leaf;
    const ProtobufCFieldDescriptor *fd;
    if (!msg || !value)
        return pbj_fail(&ctx, "no value");
    if (resolve_path(&ctx, msg, field_path, &leaf, &fd) < 0)
        return -1;
    if (pbj_is_map(fd))
        return pbj_fail(&ctx, "a map field cannot be set from text");
    json_t *j = text_value(&ctx, fd, value);
    if (!j)
        return -1;
    int rc = fd->label == PROTOBUF_C_LABEL_REPEATED ? pbj_append_element(&ctx, leaf, fd, j)
                                                    : pbj_decode_field(&ctx, leaf, fd, j);
    json_decref(j);
    return rc;
}
