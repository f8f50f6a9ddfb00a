/*
 * swarm_spec.c - JSON of the swarm backend: the service we create for a bot, and what a
 * service and its tasks say about it (see swarm_spec.h).
 *
 * What the ServiceSpec guarantees, whatever the image says (as the docker backend's
 * container, within what Swarm's API 1.41 offers):
 *   - the bot runs as nobody, with every capability dropped (ContainerSpec.CapabilityDrop,
 *     API 1.41), on a read-only root (ReadOnly) with a small /tmp tmpfs mount;
 *     no-new-privileges has no ServiceSpec field before API 1.44 (dockerd 20.10 speaks
 *     1.41): with every capability dropped, uid 65534 and an image without setuid files
 *     there is nothing to gain, and the operator may add `"no-new-privileges": true` to
 *     the nodes' daemon.json, which applies it to every task;
 *   - Resources.Limits (MemoryBytes, NanoCPUs, Pids) and Reservations (a share of the
 *     limits, SATH_SWARM_RESERVE_PCT) so the scheduler only places a bot where it fits;
 *   - the engine's restart policy: on-failure, Delay = SATH_BOT_BACKOFF_BASE_MS, MaxAttempts
 *     = SATH_BOT_RESTART_MAX within Window = SATH_BOT_RESTART_WINDOW_S (the orchestrator's
 *     own backoff does not run for this backend); a user's stop scales to 0, which the
 *     engine never undoes;
 *   - placement: SATH_SWARM_CONSTRAINTS for every bot, the plan's class from
 *     SATH_SWARM_PLACEMENT, a spread preference over SATH_SWARM_SPREAD;
 *   - the run token is a Swarm secret mounted at /run/secrets/sath_run_token (mode 0400,
 *     uid 65534): never in Env, Args or Labels.
 */
#include "swarm_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker_frames.h" /* sathd_docker_parse_time */

/* Appends the comma-separated items of s[0..len) to arr; -EINVAL on an empty item or one
 * that is not UTF-8. */
static int append_list(const char *s, size_t len, json_t *arr)
{
    int n = 0;
    while (len > 0) {
        const char *comma = memchr(s, ',', len);
        size_t l = comma ? (size_t)(comma - s) : len;
        while (l > 0 && (*s == ' ' || *s == '\t')) {
            s++, l--, len--;
        }
        size_t t = l;
        while (t > 0 && (s[t - 1] == ' ' || s[t - 1] == '\t'))
            t--;
        json_t *item = t ? json_stringn(s, t) : NULL; /* NULL: empty, or not UTF-8 */
        if (!item || json_array_append_new(arr, item) != 0)
            return -EINVAL;
        n++;
        if (!comma)
            break;
        len -= l + 1;
        s += l + 1;
    }
    return n;
}

int sathd_swarm_class_constraints(const char *placement, const char *cls, json_t *arr)
{
    if (!placement || !*placement)
        return 0;
    size_t clen = cls ? strlen(cls) : 0;
    for (const char *p = placement; *p;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || eq == p)
            return -EINVAL;
        if (clen && (size_t)(eq - p) == clen && memcmp(p, cls, clen) == 0)
            return append_list(eq + 1, len - (size_t)(eq - p) - 1, arr);
        p += len + (semi ? 1 : 0);
    }
    return 0;
}

static json_t *placement(const sathd_bot_spec *spec, const sathd_swarm_defaults *def, char *err,
                         size_t errlen)
{
    json_t *cons = json_array(), *pl = json_object();
    int rc = def->constraints && *def->constraints
                 ? append_list(def->constraints, strlen(def->constraints), cons)
                 : 0;
    /* the plan's class first; a mode ("live", "paper") names a class too */
    int n = rc < 0 ? rc : sathd_swarm_class_constraints(def->placement, spec->placement_class, cons);
    if (n == 0)
        n = sathd_swarm_class_constraints(def->placement, spec->mode, cons);
    if (rc < 0 || n < 0) {
        snprintf(err, errlen, "%s is malformed", rc < 0 ? "SATH_SWARM_CONSTRAINTS"
                                                          : "SATH_SWARM_PLACEMENT");
        json_decref(cons);
        json_decref(pl);
        return NULL;
    }
    json_object_set_new(pl, "Constraints", cons);
    if (def->spread && *def->spread)
        json_object_set_new(pl, "Preferences",
                            json_pack("[{s{ss}}]", "Spread", "SpreadDescriptor", def->spread));
    return pl;
}

static json_t *resources(const sathd_bot_spec *spec, const sathd_swarm_defaults *def)
{
    const sathd_docker_defaults *b = &def->base;
    int64_t mem = spec->memory_bytes > 0 ? spec->memory_bytes : b->memory_bytes;
    int64_t cpus = spec->nano_cpus > 0 ? spec->nano_cpus : b->nano_cpus;
    int pids = spec->pids_limit > 0 ? spec->pids_limit : b->pids_limit;
    json_t *lim = json_object(), *res = json_object();
    if (mem > 0)
        json_object_set_new(lim, "MemoryBytes", json_integer(mem));
    if (cpus > 0)
        json_object_set_new(lim, "NanoCPUs", json_integer(cpus));
    if (pids > 0)
        json_object_set_new(lim, "Pids", json_integer(pids));
    if (def->reserve_pct > 0) {
        if (mem > 0)
            json_object_set_new(res, "MemoryBytes", json_integer(mem * def->reserve_pct / 100));
        if (cpus > 0)
            json_object_set_new(res, "NanoCPUs", json_integer(cpus * def->reserve_pct / 100));
    }
    return json_pack("{so,so}", "Limits", lim, "Reservations", res);
}

static json_t *container_spec(const sathd_bot_spec *spec, const sathd_swarm_defaults *def,
                              const char *secret_id, const char *secret_name, char *err,
                              size_t errlen)
{
    const sathd_docker_defaults *b = &def->base;
    json_t *env = sathd_docker_env(spec, secret_id != NULL, err, errlen);
    if (!env)
        return NULL;
    int grace = spec->stop_grace_s > 0 ? spec->stop_grace_s : b->stop_grace_s;
    int nofile = spec->open_files > 0 ? spec->open_files : b->open_files;
    json_t *cs = json_pack("{ss,so,so,ss,sb,s[s]}", "Image",
                           spec->image && *spec->image ? spec->image : b->image, "Env", env,
                           "Labels", sathd_docker_labels(spec), "User", SATHD_DOCKER_BOT_USER,
                           "ReadOnly", 1, "CapabilityDrop", "ALL");
    if (spec->argv && spec->argv[0]) {
        json_t *args = json_array();
        for (size_t i = 0; spec->argv[i]; i++)
            json_array_append_new(args, json_string(spec->argv[i]));
        json_object_set_new(cs, "Args", args);
    }
    if (grace > 0)
        json_object_set_new(cs, "StopGracePeriod", json_integer((json_int_t)grace * 1000000000));
    json_object_set_new(cs, "Mounts",
                        json_pack("[{ss,ss,s{sI,si}}]", "Type", "tmpfs", "Target", "/tmp",
                                  "TmpfsOptions", "SizeBytes",
                                  (json_int_t)(b->tmpfs_mb > 0 ? b->tmpfs_mb : 16) << 20, "Mode",
                                  01777));
    if (nofile > 0)
        json_object_set_new(cs, "Ulimits", json_pack("[{ss,sI,sI}]", "Name", "nofile", "Soft",
                                                     (json_int_t)nofile, "Hard", (json_int_t)nofile));
    if (secret_id)
        json_object_set_new(cs, "Secrets",
                            json_pack("[{s{ss,ss,ss,si},ss,ss}]", "File", "Name",
                                      "sath_run_token", "UID", "65534", "GID", "65534", "Mode",
                                      0400, "SecretID", secret_id, "SecretName", secret_name));
    return cs;
}

json_t *sathd_swarm_service_spec(const sathd_bot_spec *spec, const sathd_swarm_defaults *def,
                                 const char *secret_id, const char *secret_name,
                                 uint64_t force_update, char *err, size_t errlen)
{
    char name[96];
    const char *image = spec->image && *spec->image ? spec->image : def->base.image;
    if (!spec->user_id || !*spec->user_id || !spec->run_id || !*spec->run_id || !image ||
        !*image || sathd_bot_name(spec->user_id, name, sizeof name) != 0) {
        snprintf(err, errlen, "bot spec needs user_id, run_id and an image");
        return NULL;
    }
    json_t *cs = container_spec(spec, def, secret_id, secret_name, err, errlen);
    if (!cs)
        return NULL;
    json_t *pl = placement(spec, def, err, errlen);
    if (!pl) {
        json_decref(cs);
        return NULL;
    }
    json_t *tt = json_pack(
        "{so,so,s{ss,sI,si,sI},so,sI}", "ContainerSpec", cs, "Resources", resources(spec, def),
        "RestartPolicy", "Condition", "on-failure", "Delay",
        (json_int_t)def->restart_delay_ms * 1000000, "MaxAttempts", def->restart_max, "Window",
        (json_int_t)def->restart_window_s * 1000000000, "Placement", pl, "ForceUpdate",
        (json_int_t)force_update);
    const char *net = spec->network_mode && *spec->network_mode ? spec->network_mode
                                                                : def->base.network_mode;
    if (net && *net && strcmp(net, "default") != 0)
        json_object_set_new(tt, "Networks", json_pack("[{ss}]", "Target", net));
    if (def->base.log_max_size && *def->base.log_max_size) {
        char files[16];
        snprintf(files, sizeof files, "%d", def->base.log_max_files > 0 ? def->base.log_max_files : 3);
        json_object_set_new(tt, "LogDriver",
                            json_pack("{ss,s{ss,ss}}", "Name", "json-file", "Options", "max-size",
                                      def->base.log_max_size, "max-file", files));
    }
    return json_pack("{ss,so,so,s{s{si}}}", "Name", name, "Labels", sathd_docker_labels(spec),
                     "TaskTemplate", tt, "Mode", "Replicated", "Replicas", 1);
}

uint64_t sathd_swarm_version(const json_t *service)
{
    return (uint64_t)json_integer_value(json_object_get(json_object_get(service, "Version"), "Index"));
}

int sathd_swarm_replicas(const json_t *service)
{
    const json_t *r = json_object_get(json_object_get(json_object_get(json_object_get(service, "Spec"),
                                                                      "Mode"),
                                                      "Replicated"),
                                      "Replicas");
    return json_is_integer(r) ? (int)json_integer_value(r) : -1;
}

static int64_t time_ns(const json_t *v)
{
    const char *s = json_string_value(v);
    int64_t ns;
    return s && sathd_docker_parse_time(s, strlen(s), &ns) == 0 ? ns : 0;
}

static const char *str_at(const json_t *j, const char *a, const char *b)
{
    return json_string_value(json_object_get(b ? json_object_get(j, a) : j, b ? b : a));
}

static int terminal(const char *state)
{
    static const char *const t[] = {"complete", "shutdown", "failed", "rejected", "orphaned",
                                    "remove", NULL};
    for (int i = 0; t[i]; i++)
        if (strcmp(state, t[i]) == 0)
            return 1;
    return 0;
}

/* The run a task belongs to (its ContainerSpec labels; "" unknown). */
static const char *task_run(const json_t *task)
{
    const json_t *cs = json_object_get(json_object_get(task, "Spec"), "ContainerSpec");
    const char *r = json_string_value(json_object_get(json_object_get(cs, "Labels"),
                                                      SATHD_BOT_LABEL_RUN));
    return r ? r : "";
}

/* 1 when the manager still wants `task` running (its DesiredState is not yet shutdown or
 * remove): a task that ended in that state has not been through the restart policy yet.
 * A task without the field (older engines, hand-made input) counts as decided. */
static int undecided(const json_t *task)
{
    const char *d = json_string_value(json_object_get(task, "DesiredState"));
    return d && (strcmp(d, "running") == 0 || strcmp(d, "ready") == 0);
}

int sathd_swarm_observed(const json_t *service, const json_t *tasks, sathd_bot_observed *out,
                         int *restarts)
{
    memset(out, 0, sizeof *out);
    const char *id = str_at(service, "ID", NULL);
    const json_t *labels = json_object_get(json_object_get(service, "Spec"), "Labels");
    int replicas = sathd_swarm_replicas(service);
    if (!id || replicas < 0 || (tasks && !json_is_array(tasks)))
        return -EPROTO;
    snprintf(out->handle, sizeof out->handle, "%s", id);
    snprintf(out->user_id, sizeof out->user_id, "%s",
             str_at(labels, SATHD_BOT_LABEL_USER, NULL) ? str_at(labels, SATHD_BOT_LABEL_USER, NULL) : "");
    snprintf(out->run_id, sizeof out->run_id, "%s",
             str_at(labels, SATHD_BOT_LABEL_RUN, NULL) ? str_at(labels, SATHD_BOT_LABEL_RUN, NULL) : "");

    /* the newest task, and how many of this run's tasks the engine started */
    const json_t *newest = NULL, *alive = NULL;
    int64_t newest_ns = -1;
    int of_run = 0;
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        const char *st = str_at(t, "Status", "State");
        int64_t ns = time_ns(json_object_get(t, "CreatedAt"));
        if (!st)
            continue;
        if (!terminal(st))
            alive = t;
        /* only this run's tasks speak for it: right after a ForceUpdate the old run's task
         * still runs, and must not make the new run look RUNNING */
        if (strcmp(task_run(t), out->run_id) != 0)
            continue;
        of_run++;
        if (ns > newest_ns) {
            newest_ns = ns;
            newest = t;
        }
    }
    if (restarts)
        *restarts = of_run > 1 ? of_run - 1 : 0;
    if (replicas == 0 && alive)
        newest = alive; /* stopping: still there until its grace runs out */
    const char *state = newest ? str_at(newest, "Status", "State") : NULL;
    if (!state) {
        out->state = replicas > 0 ? SATHD_BOT_OBS_PENDING : SATHD_BOT_OBS_EXITED;
        if (replicas > 0)
            snprintf(out->error, sizeof out->error, "pending: no task scheduled yet");
        return 0;
    }
    const char *err = str_at(newest, "Status", "Err");
    const char *msg = str_at(newest, "Status", "Message");
    const char *node = str_at(newest, "NodeID", NULL);
    snprintf(out->node, sizeof out->node, "%s", node ? node : ""); /* the backend names it */
    const json_t *cst = json_object_get(json_object_get(newest, "Status"), "ContainerStatus");
    out->started_at_ms = time_ns(json_object_get(newest, "CreatedAt")) / 1000000;
    if (strcmp(state, "running") == 0) {
        out->state = SATHD_BOT_OBS_RUNNING;
        out->started_at_ms = time_ns(json_object_get(json_object_get(newest, "Status"),
                                                     "Timestamp")) / 1000000;
    } else if (!terminal(state)) {
        out->state = SATHD_BOT_OBS_PENDING;
        snprintf(out->error, sizeof out->error, "%s: %s%s%s", state,
                 err && *err ? err : (msg ? msg : ""), node && *node ? " on node " : "",
                 node && *node ? node : "");
    } else if (replicas > 0 && undecided(newest)) {
        /* The task ended but the manager has not handled it yet: when it does, it marks the
         * task's desired state shutdown and, in the same store transaction, creates the
         * replacement its restart policy allows.  Until then this is not the policy giving
         * up (on a loaded manager that gap outlasts a poll). */
        out->state = SATHD_BOT_OBS_PENDING;
        snprintf(out->error, sizeof out->error, "task %s (exit %d), the engine has not handled it yet",
                 state, (int)json_integer_value(json_object_get(cst, "ExitCode")));
    } else {
        out->state = SATHD_BOT_OBS_EXITED;
        out->exit_code = (int)json_integer_value(json_object_get(cst, "ExitCode"));
        /* the engine could not run it at all (no image, bad mount): Docker's 125 */
        if (out->exit_code == 0 && (strcmp(state, "rejected") == 0 || strcmp(state, "failed") == 0))
            out->exit_code = 125;
        out->finished_at_ms = time_ns(json_object_get(json_object_get(newest, "Status"),
                                                      "Timestamp")) / 1000000;
        if ((err && *err) || strcmp(state, "rejected") == 0 || strcmp(state, "failed") == 0)
            snprintf(out->error, sizeof out->error, "task %s: %s%s%s", state,
                     err && *err ? err : (msg ? msg : ""), node && *node ? " on node " : "",
                     node && *node ? node : "");
    }
    return 0;
}
