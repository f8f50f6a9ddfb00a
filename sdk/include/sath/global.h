/*
 * global.h - the library's process-wide life cycle and its logging (as curl's
 * curl_global_init() / curl_global_cleanup()).
 *
 * Calling sath_global_init() is optional: sath_client_new() initialises what it needs on
 * its own.  It exists so a program can start and stop the library at known points: gRPC
 * core starts threads of its own, and only after the last sath_global_cleanup() (with
 * every client freed) do they end and gRPC release its memory, which is what a clean
 * valgrind or LeakSanitizer run at exit needs (with sathclient.supp for what gRPC never
 * frees, see there).  Every init must be paired with one
 * cleanup; the calls nest (a counter), so libraries built on ours can pair their own.
 */
#ifndef SATH_GLOBAL_H
#define SATH_GLOBAL_H

#include "sath/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of sath_global_init(); none is defined yet, pass SATH_GLOBAL_DEFAULT. */
#define SATH_GLOBAL_DEFAULT 0L

/*
 * sath_global_init() initialises libsodium and gRPC core and takes a reference on them.
 * Returns SATH_OK, SATH_EINVAL (unknown flag bits) or SATH_ENOMEM.  Thread-safe.
 */
SATH_EXTERN int sath_global_init(long flags);

/*
 * sath_global_cleanup() drops the reference sath_global_init() took.  The last one, once
 * no sath_client is left, shuts gRPC down and joins its threads; after a connection
 * failed, the last few end a moment later, once gRPC's pending backoff timers ran out
 * (seconds).  A call without a matching init does nothing.  Thread-safe, but no call may
 * be running.
 */
SATH_EXTERN void sath_global_cleanup(void);

/* Log levels of sath_log_cb. */
typedef enum sath_log_level {
    SATH_LOG_DEBUG = 0,
    SATH_LOG_INFO = 1,
    SATH_LOG_WARN = 2,
    SATH_LOG_ERROR = 3,
    SATH_LOG_OFF = 4 /* only as a minimum level: nothing is logged */
} sath_log_level;

/*
 * Receives one log line: the library's own and gRPC core's (prefixed "grpc: ").
 * `message` is valid during the call only and has no trailing newline.  The callback
 * runs on whichever thread logged, gRPC's threads included, so it must be thread-safe;
 * it must not call into libsathclient.
 */
typedef void (*sath_log_cb)(void *userdata, int level, const char *message);

/*
 * sath_global_set_log() sends every line at `min_level` or above to `cb` (NULL: nothing
 * is written anywhere; that is the default, the library never writes to stderr on its
 * own).  It replaces gRPC core's log function for the whole process, so gRPC never
 * prints by itself either; until this is called, gRPC's GRPC_VERBOSITY environment
 * variable sets which of its lines are produced.  Returns SATH_OK or SATH_EINVAL
 * (min_level out of range).  Thread-safe; may be called before sath_global_init().
 */
SATH_EXTERN int sath_global_set_log(sath_log_cb cb, void *userdata, int min_level);

#ifdef __cplusplus
}
#endif
#endif /* SATH_GLOBAL_H */
