/*
 * unpack_seeds.c - writes the seed corpus of fuzz_unpack: for every method of the contract
 * (from the generated route table, so methods added later get seeds too), one input that
 * is a fully populated, valid request -- every field set (the first member of each oneof),
 * repeated fields twice, nested messages and map entries recursively, strings with
 * multi-byte UTF-8 -- plus the empty request.  Each input is the method's index byte
 * followed by the wire bytes, the layout fuzz_unpack reads.
 *
 * The encoder is written from the wire-format description and driven by protobuf-c's
 * descriptors; every seed must pass sathd's wire check and unpack, else this tool fails
 * (and with it the build): a seed corpus of rejected inputs would blind the fuzzer again.
 *
 * usage: unpack_seeds OUTPUT_DIR
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <protobuf-c/protobuf-c.h>

#include "sath/v1/routes.sath.h"
#include "wire_check.h"

#define MAX_DEPTH 4

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np) {
            perror("unpack_seeds");
            exit(1);
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_varint(buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    put(b, tmp, n);
}

static void put_tag(buf *b, uint32_t id, unsigned wire_type)
{
    put_varint(b, ((uint64_t)id << 3) | wire_type);
}

static void put_fixed(buf *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    put(b, tmp, n);
}

static void encode_message(buf *b, const ProtobufCMessageDescriptor *d, int depth);

/* Wire type of a scalar field type: 0 varint, 1 64-bit, 5 32-bit, 2 length-delimited. */
static unsigned wire_type_of(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT: return 5;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE: return 2;
    default: return 0;
    }
}

/* The value of one scalar (no tag); `nth` varies the values of repeated elements. */
static void put_scalar(buf *b, const ProtobufCFieldDescriptor *f, int nth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_UINT64: put_varint(b, 42u + (unsigned)nth * 1000u); break;
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SINT64: put_varint(b, 13u + (unsigned)nth); break; /* zigzag -7, +7 */
    case PROTOBUF_C_TYPE_BOOL: put_varint(b, 1); break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        int32_t v = e->n_values ? e->values[(e->n_values - 1 + (unsigned)nth) % e->n_values].value : 1;
        put_varint(b, (uint64_t)(int64_t)v);
        break;
    }
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32: put_fixed(b, 7u + (unsigned)nth, 4); break;
    case PROTOBUF_C_TYPE_FLOAT: put_fixed(b, 0x3fc00000u, 4); break; /* 1.5f */
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64: put_fixed(b, 1700000000u + (unsigned)nth, 8); break;
    case PROTOBUF_C_TYPE_DOUBLE: put_fixed(b, 0x3ff8000000000000u, 8); break; /* 1.5 */
    default: break;
    }
}

static void put_field(buf *b, const ProtobufCFieldDescriptor *f, int depth, int nth)
{
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        buf sub = {0};
        encode_message(&sub, f->descriptor, depth + 1);
        put_tag(b, f->id, 2);
        put_varint(b, sub.len);
        if (sub.len)
            put(b, sub.p, sub.len);
        free(sub.p);
    } else if (f->type == PROTOBUF_C_TYPE_STRING) {
        char s[160];
        /* ASCII, 2-, 3- and 4-byte UTF-8 sequences */
        int n = snprintf(s, sizeof s, "%s-%d \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", f->name, nth);
        put_tag(b, f->id, 2);
        put_varint(b, (uint64_t)n);
        put(b, s, (size_t)n);
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        static const uint8_t bytes[] = {0x00, 0x01, 0xfe, 0xff, 'x'};
        put_tag(b, f->id, 2);
        put_varint(b, sizeof bytes);
        put(b, bytes, sizeof bytes);
    } else {
        put_tag(b, f->id, wire_type_of(f->type));
        put_scalar(b, f, nth);
    }
}

static void encode_message(buf *b, const ProtobufCMessageDescriptor *d, int depth)
{
    if (depth > MAX_DEPTH)
        return; /* recursive types (Struct/Value) stop here, empty */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            int first = 1; /* only the first member of each oneof */
            for (unsigned j = 0; j < i; j++)
                if ((d->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                    d->fields[j].quantifier_offset == f->quantifier_offset)
                    first = 0;
            if (!first)
                continue;
        }
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth == MAX_DEPTH)
            continue;
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            put_field(b, f, depth, 0);
        } else if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) && wire_type_of(f->type) != 2) {
            buf packed = {0};
            put_scalar(&packed, f, 0);
            put_scalar(&packed, f, 1);
            put_tag(b, f->id, 2);
            put_varint(b, packed.len);
            put(b, packed.p, packed.len);
            free(packed.p);
        } else {
            put_field(b, f, depth, 0);
            put_field(b, f, depth, 1);
        }
    }
}

static int write_seed(const char *dir, const char *name, const char *suffix, uint8_t index,
                      const buf *wire)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s.bin", dir, name, suffix);
    FILE *out = fopen(path, "wb");
    if (!out || fwrite(&index, 1, 1, out) != 1 || (wire->len && fwrite(wire->p, 1, wire->len, out) != wire->len) ||
        fclose(out) != 0) {
        fprintf(stderr, "unpack_seeds: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: unpack_seeds OUTPUT_DIR\n");
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    if (sath_v1_n_all_methods == 0 || sath_v1_n_all_methods > 256) {
        fprintf(stderr, "unpack_seeds: %zu methods do not fit the index byte\n", sath_v1_n_all_methods);
        return 1;
    }
    size_t populated = 0;
    for (size_t i = 0; i < sath_v1_n_all_methods; i++) {
        const sathd_method_desc *m = sath_v1_all_methods[i];
        buf wire = {0}, empty = {0};
        encode_message(&wire, m->input, 0);
        const ProtobufCFieldDescriptor *bad = NULL;
        if (sathd_wire_check_strings(m->input, wire.p, wire.len, &bad) != 0) {
            fprintf(stderr, "unpack_seeds: %s: the wire check refuses the seed (field %s)\n", m->path,
                    bad ? bad->name : "?");
            return 1;
        }
        ProtobufCMessage *msg = protobuf_c_message_unpack(m->input, NULL, wire.len, wire.p);
        if (!msg) {
            fprintf(stderr, "unpack_seeds: %s: protobuf-c cannot unpack the seed\n", m->path);
            return 1;
        }
        protobuf_c_message_free_unpacked(msg, NULL);
        char name[256];
        snprintf(name, sizeof name, "%s.%s", m->service, m->name);
        if (write_seed(argv[1], name, "", (uint8_t)i, &wire) != 0 ||
            write_seed(argv[1], name, ".empty", (uint8_t)i, &empty) != 0)
            return 1;
        populated += wire.len > 0;
        free(wire.p);
    }
    printf("unpack_seeds: %zu methods, %zu with fields, %zu seeds in %s\n", sath_v1_n_all_methods,
           populated, 2 * sath_v1_n_all_methods, argv[1]);
    return 0;
}
