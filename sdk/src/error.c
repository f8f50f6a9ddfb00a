/*
 * error.c - sath_strerror() and sath_err_name(), both generated from SATH_ERRNO_MAP.
 */
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
