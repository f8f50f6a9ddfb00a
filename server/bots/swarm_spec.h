/*
 * swarm_spec.h - the swarm backend's JSON: the ServiceSpec of a bot (POST /services/create,
 * POST /services/{id}/update) and a sathd_bot_observed read from a service and its tasks
 * (GET /services/{id}, GET /tasks?filters=service).  Pure functions (no I/O), unit-tested
 * without an engine (tests/swarm/torture_swarm_spec.c).
 */
#ifndef SATHD_SWARM_SPEC_H
#define SATHD_SWARM_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "docker_spec.h"
#include "sathd/bot_backend.h"

/* Name of the run token's secret: one per run, so a new run never edits the old one
 * (secrets are immutable) and the two can coexist during a ForceUpdate. */
#define SATHD_SWARM_SECRET_PREFIX "sath_run_"

typedef struct sathd_swarm_defaults {
    sathd_docker_defaults base; /* image, network, limits, grace, tmpfs, log rotation */
    int restart_max;            /* RestartPolicy.MaxAttempts */
    int restart_delay_ms;       /* RestartPolicy.Delay */
    int restart_window_s;       /* RestartPolicy.Window */
    const char *constraints;    /* "a==b,c!=d" for every bot (NULL none) */
    const char *spread;         /* node label to spread over (NULL none) */
    const char *placement;      /* "class=c1,c2;class2=c3" (NULL none) */
    int reserve_pct;            /* Reservations = Limits * pct / 100 (0 = none) */
} sathd_swarm_defaults;

/* The ServiceSpec for `spec` (Name bot_user_<user>, our labels, one replica).  The token
 * secret (secret_id / secret_name, NULL when the run has none) is mounted at
 * SATHD_DOCKER_TOKEN_PATH, readable by the bot's uid only.  force_update is
 * TaskTemplate.ForceUpdate (a counter: a new value makes the engine replace the task even
 * when nothing else changed).  A new reference, or NULL with err set (bad spec, an env
 * entry carrying the token, a malformed SATH_SWARM_PLACEMENT). */
json_t *sathd_swarm_service_spec(const sathd_bot_spec *spec, const sathd_swarm_defaults *def,
                                 const char *secret_id, const char *secret_name,
                                 uint64_t force_update, char *err, size_t errlen);

/* The placement constraints of `class` in a "class=c1,c2;class2=c3" list appended to arr.
 * Returns the number appended (0 when the class is not listed), or -EINVAL (malformed). */
int sathd_swarm_class_constraints(const char *placement, const char *cls, json_t *arr);

/* What `service` (GET /services/{id}) and its `tasks` (GET /tasks?filters=service, any
 * order, history included) say about the bot: the newest task of the service's run (its
 * ContainerSpec label sath.run) decides.
 *   replicas 1: task running -> RUNNING; new..starting, or no task yet -> PENDING with the
 *     engine's reason in error ("pending: no suitable node (...)"); a terminal newest task
 *     (the engine gave up, or exit 0 which on-failure does not restart) -> EXITED;
 *   replicas 0 (stopped): a task still alive -> RUNNING (stopping), else EXITED with the
 *     last task's exit code.
 * handle is the service id (stable across the engine's task restarts); user_id / run_id
 * come from the service's labels; node is the deciding task's NodeID (the backend turns it
 * into the node's host name).  *restarts (may be NULL) gets the number of tasks the engine
 * started beyond the first for this run.  0, or -EPROTO. */
int sathd_swarm_observed(const json_t *service, const json_t *tasks, sathd_bot_observed *out,
                         int *restarts);

/* Version.Index of a service (0 if absent), and its Spec.Mode.Replicated.Replicas (-1 if
 * not a replicated service). */
uint64_t sathd_swarm_version(const json_t *service);
int sathd_swarm_replicas(const json_t *service);

#endif /* SATHD_SWARM_SPEC_H */
