/*
 * docker_logs.h - reading a bot's log lines from a Docker Engine API log endpoint
 * (GET /containers/{id}/logs for the docker backend, GET /services/{id}/logs for the swarm
 * backend: the same 8-byte frames, demultiplexed by docker_frames.c) after an opaque
 * cursor, the way sathd_bot_backend_ops.logs wants them.
 */
#ifndef SATHD_DOCKER_LOGS_H
#define SATHD_DOCKER_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "docker_api.h"
#include "sathd/bot_backend.h"

/* Streams `logs_path` ("/containers/ID/logs", "/services/ID/logs": the query is added
 * here) from the cursor's second on, delivers the lines after *cursor to cb, oldest first,
 * and advances *cursor.  The cursor is unix seconds << 24 | lines already delivered from
 * that second (the engines filter with a whole-second `since`).  Returns 0 (also when cb
 * stopped the walk or the stream was cut at LOGS_MAX_BYTES: the rest comes next call), or a
 * negative errno with err set (-EPROTO not a frame stream, -EIO the engine's error, ...). */
int sathd_docker_logs_read(sathd_docker *api, const char *logs_path, uint64_t *cursor,
                           sathd_bot_log_cb cb, void *arg, char *err, size_t errlen);

#endif /* SATHD_DOCKER_LOGS_H */
