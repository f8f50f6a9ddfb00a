/*
 * wire_check.c - see wire_check.h.
 *
 * Why on the wire: protobuf-c unpacks strings into NUL-terminated C strings and never
 * checks UTF-8, so after unpacking an embedded NUL has already truncated the value (a
 * password "abcdefgh\0rest" would become "abcdefgh") and invalid bytes look valid.  A
 * single pass over the bytes before unpacking sees the real lengths.  Framing errors are
 * left to protobuf-c, which reports them as a malformed message anyway; only the bounds
 * needed to walk safely are checked here, plus field number 0, which protobuf-c 1.4.1
 * accepts (as an unknown field) although the wire format forbids it.
 */
#include "wire_check.h"

#include "sathd/utf8.h"

#define MAX_DEPTH 64

/* Reads a varint; returns bytes used, 0 on truncation or overlong. */
static size_t varint(const uint8_t *p, size_t len, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len && i < 10; i++) {
        *v |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80))
            return i + 1;
    }
    return 0;
}

static int check(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len, int depth,
                 const ProtobufCFieldDescriptor **bad)
{
    if (depth > MAX_DEPTH)
        return -1;
    size_t i = 0;
    while (i < len) {
        uint64_t tag, n;
        size_t k = varint(p + i, len - i, &tag);
        if (!k)
            return -1;
        i += k;
        if (tag >> 3 == 0 || tag >> 3 > 536870911)
            return -1; /* field numbers are 1..2^29-1; protobuf-c would keep 0 as unknown */
        switch (tag & 7) {
        case 0:
            if (!(k = varint(p + i, len - i, &n)))
                return -1;
            i += k;
            continue;
        case 1:
            n = 8;
            break;
        case 5:
            n = 4;
            break;
        case 2: {
            if (!(k = varint(p + i, len - i, &n)) || n > len - i - k)
                return -1;
            i += k;
            const ProtobufCFieldDescriptor *f =
                protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
            if (f && f->type == PROTOBUF_C_TYPE_STRING && !sathd_utf8_valid(p + i, (size_t)n)) {
                *bad = f;
                return -1;
            }
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
                check(f->descriptor, p + i, (size_t)n, depth + 1, bad) != 0)
                return -1;
            break;
        }
        default: /* groups (3, 4) do not exist in proto3; 6 and 7 are invalid */
            return -1;
        }
        if (n > len - i)
            return -1;
        i += (size_t)n;
    }
    return 0;
}

int sathd_wire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                             const ProtobufCFieldDescriptor **field)
{
    const ProtobufCFieldDescriptor *bad = NULL;
    int rc = check(d, p, len, 0, &bad);
    if (field)
        *field = bad;
    return rc;
}
