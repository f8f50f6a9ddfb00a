/*
 * pbjson_util.c - the plumbing of the proto3 JSON mapping: walk context, field paths
 * for error messages, allocation through the caller's ProtobufCAllocator, field storage
 * on protobuf-c descriptors, map-entry and well-known-type detection, json names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson_internal.h"

static void *sys_alloc(void *data, size_t size)
{
    (void)data;
    return malloc(size ? size : 1);
}

static void sys_free(void *data, void *p)
{
    (void)data;
    free(p);
}

void pbj_ctx_init(pbj_ctx *ctx, ProtobufCAllocator *alloc, sathd_pbjson_error *err,
                  unsigned flags)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->sys.alloc = sys_alloc;
    ctx->sys.free = sys_free;
    ctx->alloc = alloc ? alloc : &ctx->sys;
    ctx->err = err;
    ctx->flags = flags;
    if (err) {
        err->field[0] = '\0';
        err->message[0] = '\0';
    }
}

/* Appends text to the path; a path that no longer fits ends in "..." (errors stay readable). */
static size_t path_append(pbj_ctx *ctx, const char *text)
{
    size_t old = ctx->path_len;
    size_t n = strlen(text);
    if (old + n + 1 > sizeof(ctx->path)) {
        /* mark the truncation once; later pushes are then ignored until popped */
        if (old + 4 <= sizeof(ctx->path)) {
            memcpy(ctx->path + old, "...", 4);
            ctx->path_len = old + 3;
        }
        return old;
    }
    memcpy(ctx->path + old, text, n + 1);
    ctx->path_len = old + n;
    return old;
}

size_t pbj_path_push_name(pbj_ctx *ctx, const char *name)
{
    size_t old = ctx->path_len;
    if (old)
        path_append(ctx, ".");
    path_append(ctx, name);
    return old;
}

size_t pbj_path_push_index(pbj_ctx *ctx, size_t index)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "[%zu]", index);
    return path_append(ctx, buf);
}

size_t pbj_path_push_key(pbj_ctx *ctx, const char *key)
{
    char buf[72];
    /* keys come from the client: keep them short in the path */
    snprintf(buf, sizeof(buf), "[\"%.64s\"]", key);
    return path_append(ctx, buf);
}

void pbj_path_pop(pbj_ctx *ctx, size_t len)
{
    ctx->path_len = len;
    ctx->path[len] = '\0';
}

int pbj_fail(pbj_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->err || ctx->err->message[0])
        return -1; /* keep the first, innermost error */
    snprintf(ctx->err->field, sizeof(ctx->err->field), "%s", ctx->path);
    char reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (ctx->path[0])
        snprintf(ctx->err->message, sizeof(ctx->err->message), "field \"%.48s\": %.190s",
                 ctx->path, reason);
    else
        snprintf(ctx->err->message, sizeof(ctx->err->message), "%s", reason);
    return -1;
}

void *pbj_alloc(pbj_ctx *ctx, size_t size)
{
    void *p = ctx->alloc->alloc(ctx->alloc->allocator_data, size ? size : 1);
    if (!p)
        pbj_fail(ctx, "out of memory");
    return p;
}

void pbj_free(pbj_ctx *ctx, void *p)
{
    if (p)
        ctx->alloc->free(ctx->alloc->allocator_data, p);
}

char *pbj_strndup(pbj_ctx *ctx, const char *s, size_t len)
{
    char *p = pbj_alloc(ctx, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

ProtobufCMessage *pbj_new_message(pbj_ctx *ctx, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = pbj_alloc(ctx, desc->sizeof_message);
    if (m)
        protobuf_c_message_init(desc, m);
    return m;
}

size_t pbj_scalar_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

bool pbj_field_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *)pbj_member(msg, fd->quantifier_offset) == fd->id;
    if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
        fd->type != PROTOBUF_C_TYPE_STRING)
        return *(const protobuf_c_boolean *)pbj_member(msg, fd->quantifier_offset) != 0;
    if (fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING)
        return *(void *const *)pbj_member(msg, fd->offset) != NULL;
    return true;
}

void pbj_mark_present(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)pbj_member(msg, fd->quantifier_offset) = fd->id;
    else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
             fd->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)pbj_member(msg, fd->quantifier_offset) = 1;
}

/* Frees what one stored value owns (string, bytes, message), as free_unpacked would. */
static void free_value(pbj_ctx *ctx, const ProtobufCFieldDescriptor *fd, void *slot)
{
    if (fd->type == PROTOBUF_C_TYPE_STRING) {
        char *s = *(char **)slot;
        if (s && s != (const char *)fd->default_value && s != protobuf_c_empty_string)
            pbj_free(ctx, s);
    } else if (fd->type == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData *b = slot;
        const ProtobufCBinaryData *def = fd->default_value;
        if (b->data && (!def || def->data != b->data))
            pbj_free(ctx, b->data);
    } else if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *m = *(ProtobufCMessage **)slot;
        if (m && m != fd->default_value)
            protobuf_c_message_free_unpacked(m, ctx->alloc);
    }
}

void pbj_clear_field(pbj_ctx *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
    void *slot = pbj_member(msg, fd->offset);
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t *n = pbj_member(msg, fd->quantifier_offset);
        char *arr = *(char **)slot;
        size_t sz = pbj_scalar_size(fd->type);
        for (size_t i = 0; arr && i < *n; i++)
            free_value(ctx, fd, arr + i * sz);
        pbj_free(ctx, arr);
        *(void **)slot = NULL;
        *n = 0;
        return;
    }
    if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *c = pbj_member(msg, fd->quantifier_offset);
        if (*c != fd->id)
            return; /* another member (or none) owns the storage */
        *c = 0;
    } else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
               fd->type != PROTOBUF_C_TYPE_STRING) {
        *(protobuf_c_boolean *)pbj_member(msg, fd->quantifier_offset) = 0;
    }
    free_value(ctx, fd, slot);
    switch (fd->type) {
    case PROTOBUF_C_TYPE_STRING:
        /* protoc-c points default_value at the default string itself */
        *(const char **)slot = (const char *)fd->default_value;
        break;
    case PROTOBUF_C_TYPE_BYTES:
        memset(slot, 0, sizeof(ProtobufCBinaryData));
        if (fd->default_value)
            memcpy(slot, fd->default_value, sizeof(ProtobufCBinaryData));
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        *(void **)slot = NULL;
        break;
    default:
        if (fd->default_value)
            memcpy(slot, fd->default_value, pbj_scalar_size(fd->type));
        else
            memset(slot, 0, pbj_scalar_size(fd->type));
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool pbj_is_map(const ProtobufCFieldDescriptor *fd)
{
    if (fd->label != PROTOBUF_C_LABEL_REPEATED || fd->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    const ProtobufCMessageDescriptor *e = fd->descriptor;
    return e && ends_with(e->name, "Entry") && e->n_fields == 2 &&
           e->fields[0].id == 1 && strcmp(e->fields[0].name, "key") == 0 &&
           e->fields[1].id == 2 && strcmp(e->fields[1].name, "value") == 0;
}

bool pbj_camel_name(const char *name, char *out, size_t outsz)
{
    size_t o = 0;
    bool up = false;
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        if (o + 1 >= outsz)
            return false;
        char c = *p;
        if (up && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        up = false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

const ProtobufCFieldDescriptor *sathd_pbjson_find_field(const ProtobufCMessageDescriptor *desc,
                                                        const char *name)
{
    if (!desc || !name)
        return NULL;
    const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field_by_name(desc, name);
    if (fd)
        return fd;
    char camel[256];
    for (unsigned i = 0; i < desc->n_fields; i++) {
        if (pbj_camel_name(desc->fields[i].name, camel, sizeof(camel)) && strcmp(camel, name) == 0)
            return &desc->fields[i];
    }
    return NULL;
}

bool pbj_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p++;
        if (c < 0x80)
            continue;
        int n;
        unsigned min;
        if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if (end - p < n)
            return false;
        for (int i = 0; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        p += n;
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
    }
    return true;
}

pbj_wkt pbj_wkt_of(const ProtobufCMessageDescriptor *desc)
{
    static const struct {
        const char *name;
        pbj_wkt kind;
    } table[] = {
        {"google.protobuf.Timestamp", PBJ_WKT_TIMESTAMP},
        {"google.protobuf.Duration", PBJ_WKT_DURATION},
        {"google.protobuf.DoubleValue", PBJ_WKT_WRAPPER},
        {"google.protobuf.FloatValue", PBJ_WKT_WRAPPER},
        {"google.protobuf.Int64Value", PBJ_WKT_WRAPPER},
        {"google.protobuf.UInt64Value", PBJ_WKT_WRAPPER},
        {"google.protobuf.Int32Value", PBJ_WKT_WRAPPER},
        {"google.protobuf.UInt32Value", PBJ_WKT_WRAPPER},
        {"google.protobuf.BoolValue", PBJ_WKT_WRAPPER},
        {"google.protobuf.StringValue", PBJ_WKT_WRAPPER},
        {"google.protobuf.BytesValue", PBJ_WKT_WRAPPER},
        {"google.protobuf.Struct", PBJ_WKT_STRUCT},
        {"google.protobuf.Value", PBJ_WKT_VALUE},
        {"google.protobuf.ListValue", PBJ_WKT_LIST_VALUE},
        {"google.protobuf.FieldMask", PBJ_WKT_FIELD_MASK},
        {"google.protobuf.Any", PBJ_WKT_ANY},
    };
    if (!desc || strncmp(desc->name, "google.protobuf.", 16) != 0)
        return PBJ_WKT_NONE;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(desc->name, table[i].name) == 0)
            return table[i].kind;
    return PBJ_WKT_NONE;
}

char *pbj_utf8_scrub(const char *s, size_t len, size_t *out_len)
{
    char *buf = malloc(len * 3 + 1);
    if (!buf)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xC0)
            n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c < 0x80 || (i + n <= len && pbj_utf8_valid(s + i, n))) {
            memcpy(buf + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(buf + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    *out_len = o;
    return buf;
}
