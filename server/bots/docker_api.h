/*
 * docker_api.h - a connection to a Docker Engine API (dockerd, or podman's
 * Docker-compatible service) over its unix socket, through sathd's HTTP client.
 *
 * The API version is negotiated once, at open: GET /_ping answers the engine's newest
 * version in its Api-Version header, GET /version confirms it and gives MinAPIVersion; we
 * speak min(engine's, SATHD_DOCKER_API_MAX) and refuse an engine older than
 * SATHD_DOCKER_API_MIN (every request then goes to /v<version>/..., so a newer engine
 * answers in the shape we were written for).
 *
 * Thread safety: after sathd_docker_open the handle is read-only; calls may run
 * concurrently (the HTTP client pools connections).
 */
#ifndef SATHD_DOCKER_API_H
#define SATHD_DOCKER_API_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* 1.25: HostConfig.NanoCpus; 1.41: what Debian's dockerd 20.10 and podman 4 speak, and
 * the newest shape this backend was written and tested against. */
#define SATHD_DOCKER_API_MIN_MINOR 25
#define SATHD_DOCKER_API_MAX_MINOR 41

typedef struct sathd_docker sathd_docker;

/* Opens `host` ("unix:///var/run/docker.sock"; NULL means that default) and negotiates
 * the version.  0 with *out set, or -EINVAL (not a unix:// URL), -ECONNREFUSED (nothing
 * answers), -EPROTO (not a Docker API, or too old), -ENOMEM; `err` says which. */
int sathd_docker_open(const char *host, sathd_docker **out, char *err, size_t errlen);
void sathd_docker_close(sathd_docker *d);

/* "1.41" and the engine's product ("Docker Engine 20.10.24", "Podman Engine 4.3.1"). */
const char *sathd_docker_api_version(const sathd_docker *d);
const char *sathd_docker_engine(const sathd_docker *d);
/* Whether the engine is podman (its quirks: 500 instead of 409 on a name conflict, whole
 * seconds in log timestamps). */
int sathd_docker_is_podman(const sathd_docker *d);
/* The engine process's hard RLIMIT_NPROC, which the runtimes it starts inherit: the peer
 * of its socket (SO_PEERCRED), read from /proc/PID/limits.  -1 when unlimited, -2 when it
 * cannot be known (another pid namespace, no permission). */
int64_t sathd_docker_engine_nproc(const sathd_docker *d);

/* One JSON request: `path` is below the version prefix ("/containers/json?all=1"), `body`
 * is sent as application/json when non-NULL.  Returns the HTTP status (>= 100; 2xx/3xx and
 * the engine's error answers alike), with the parsed answer in *out when it is JSON (else
 * NULL; caller json_decref's), or a negative errno when no answer came (-ECONNREFUSED,
 * -ETIMEDOUT, -EIO).  For a status >= 400 the engine's "message" is copied into err.
 * `timeout_ms` 0 = 30 s. */
int sathd_docker_json(sathd_docker *d, const char *method, const char *path, json_t *body,
                      long timeout_ms, json_t **out, char *err, size_t errlen);

/* A streamed GET: body bytes go to on_data as they arrive (when the status is 200; an
 * error answer is collected and its message copied to err).  Returns the HTTP status,
 * or a negative errno as above; -ECANCELED when on_data stopped the transfer, -EFBIG
 * past max_bytes. */
int sathd_docker_stream(sathd_docker *d, const char *path, long timeout_ms, size_t max_bytes,
                        int (*on_data)(void *arg, const void *p, size_t n), void *arg,
                        char *err, size_t errlen);

/* Maps an HTTP status of the engine to an errno-style code: 2xx/304 -> 0, 404 -> -ENOENT,
 * 409 -> -EEXIST, 400 -> -EINVAL, anything else -> -EIO. */
int sathd_docker_status_rc(int status);

#endif /* SATHD_DOCKER_API_H */
