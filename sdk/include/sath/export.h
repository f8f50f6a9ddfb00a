/*
 * export.h - symbol visibility for libsathclient.
 *
 * The library is built with -fvisibility=hidden; only declarations marked SATH_EXTERN
 * are part of the ABI (see sdk/ABI.md).
 */
#ifndef SATH_EXPORT_H
#define SATH_EXPORT_H

#if defined(SATH_STATIC)
#  define SATH_EXTERN /* nothing */
#elif defined(__GNUC__) || defined(__clang__)
#  define SATH_EXTERN __attribute__((visibility("default")))
#else
#  define SATH_EXTERN /* nothing */
#endif

#endif /* SATH_EXPORT_H */
