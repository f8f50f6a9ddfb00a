/*
 * docker_spec.h - the docker backend's JSON: the body of POST /containers/create built
 * from a bot spec, and a sathd_bot_observed read from GET /containers/{id}/json.
 * Pure functions (no I/O), so they are unit-tested without an engine.
 */
#ifndef SATHD_DOCKER_SPEC_H
#define SATHD_DOCKER_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sathd/bot_backend.h"

/* Where the run token appears inside the container (a read-only bind of one host file;
 * the same path Swarm secrets and the usual Kubernetes Secret volume use). */
#define SATHD_DOCKER_TOKEN_PATH "/run/secrets/sath_run_token"
/* The bot runs as nobody: the image says so too, we repeat it so an image cannot undo it. */
#define SATHD_DOCKER_BOT_UID 65534
#define SATHD_DOCKER_BOT_USER "65534:65534"

/* Backend-wide settings, filled from sathd_bot_backend_config with defaults. */
typedef struct sathd_docker_defaults {
    const char *image;         /* when the spec has none */
    const char *network_mode;  /* when the spec has none: "bridge", "none", "host", a network */
    int64_t memory_bytes;      /* also MemorySwap: no swap beyond the limit */
    int64_t nano_cpus;         /* 0 = no CPU limit */
    int pids_limit;
    int open_files;            /* nofile ulimit */
    int64_t engine_nproc;      /* podman: the nproc ulimit sent next to nofile, the engine's
                                  own hard RLIMIT_NPROC (-1 unlimited, -2 unknown: then no
                                  Ulimits at all; see docker_spec.c) */
    int stop_grace_s;          /* StopTimeout: a plain `docker stop` waits as long */
    int tmpfs_mb;              /* size of the writable /tmp (the root is read-only) */
    const char *log_max_size;  /* json-file max-size per file, "10m" */
    int log_max_files;
} sathd_docker_defaults;

/* The defaults both container backends apply (256 MiB, 128 pids, 1024 files, 10 s grace,
 * 16 MiB /tmp, json-file logs 10m x 3) over what `cfg` sets; `image` / `network` are the
 * backend's own copies (borrowed by the result). */
void sathd_docker_defaults_init(sathd_docker_defaults *def, const sathd_bot_backend_config *cfg,
                                const char *image, const char *network);

/* The create body for `spec`; `token_host_path` is the host file holding the run token
 * (bind-mounted read-only at SATHD_DOCKER_TOKEN_PATH; NULL when the run has no token).
 * Returns a new reference, or NULL with err set (-EINVAL-worthy spec: missing ids, an env
 * entry that is not K=V, or one that carries the run token -- secrets never go in Env). */
json_t *sathd_docker_create_body(const sathd_bot_spec *spec, const sathd_docker_defaults *def,
                                 const char *token_host_path, int podman, char *err,
                                 size_t errlen);

/* Pieces shared with the swarm backend's service spec (swarm_spec.c):
 * the bot's Env array from spec->env (refusing entries that are not K=V or that carry the
 * run token), plus SATH_RUN_TOKEN_FILE when token_file; NULL with err set on a bad entry. */
json_t *sathd_docker_env(const sathd_bot_spec *spec, int token_file, char *err, size_t errlen);
/* The sath.user / sath.bot / sath.run / sath.mode labels of `spec`. */
json_t *sathd_docker_labels(const sathd_bot_spec *spec);

/* Fills *out from an inspect answer.  Returns 0, or -EPROTO when it is not one. */
int sathd_docker_observed_from_inspect(const json_t *inspect, sathd_bot_observed *out);

#endif /* SATHD_DOCKER_SPEC_H */
