/*
 * wire_check.h - proto3 string validation on the wire, before protobuf-c unpacks.
 */
#ifndef SATHD_RPC_WIRE_CHECK_H
#define SATHD_RPC_WIRE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Walks the wire-format message `p[0..len)` of type `d` and checks every string field it
 * knows (recursing into known message fields, map entries included) for well-formed
 * UTF-8 without NUL, and refuses field number 0 and groups.  Returns 0 when all are fine; otherwise -1 and, when `field` is
 * not NULL, a pointer to the offending field's descriptor (NULL for broken framing). */
int sathd_wire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t len,
                             const ProtobufCFieldDescriptor **field);

#endif
