/*
 * error.c - sath_strerror() and sath_err_name(), both generated from SATH_ERRNO_MAP, and
 * sath_enum_name().
 */
#include "sath/enum.h"
#include "sath/error.h"

const char *sath_strerror(int code)
{
    switch (code) {
#define SATH__STRERROR(name, value, text) \
    case SATH_##name:                     \
        return text;
        SATH_ERRNO_MAP(SATH__STRERROR)
#undef SATH__STRERROR
    default:
        return "unknown error code";
    }
}

const char *sath_err_name(int code)
{
    switch (code) {
#define SATH__ERR_NAME(name, value, text) \
    case SATH_##name:                     \
        return #name;
        SATH_ERRNO_MAP(SATH__ERR_NAME)
#undef SATH__ERR_NAME
    default:
        return "UNKNOWN_CODE";
    }
}

const char *sath_enum_name(const ProtobufCEnumDescriptor *desc, int value)
{
    if (!desc || desc->magic != PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC)
        return NULL;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
    return v ? v->name : NULL;
}
