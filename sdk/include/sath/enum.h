/*
 * enum.h - names of the sath.v1 enum values, for printing and logging.
 */
#ifndef SATH_ENUM_H
#define SATH_ENUM_H

#include <protobuf-c/protobuf-c.h>

#include "sath/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * sath_enum_name() returns the proto name of `value` in the enum `desc`, for example
 * sath_enum_name(&sath__v1__bot_state__descriptor, SATH__V1__BOT_STATE__BOT_STATE_RUNNING)
 * is "BOT_STATE_RUNNING".  NULL when `desc` is NULL or not an enum descriptor, or when the
 * value has no name (a value added by a newer server: programs must expect those).  The
 * string is static.  Thread-safe.
 */
SATH_EXTERN const char *sath_enum_name(const ProtobufCEnumDescriptor *desc, int value);

#ifdef __cplusplus
}
#endif
#endif /* SATH_ENUM_H */
