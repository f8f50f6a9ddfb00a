/*
 * backend_swarm.c - the swarm bot backend: each user's bot is one replicated service named
 * bot_user_<user_id> on a Docker Swarm, driven through a manager's Engine API on its unix
 * socket (SATH_DOCKER_HOST; docker_api.c negotiates the version).  The engine schedules
 * the bot on a node (placement constraints, a spread preference, reservations) and
 * restarts it by its own policy; we only say what should exist.
 *
 *   start    service absent: POST /secrets/create (the run token), POST /services/create
 *            same run, scaled to 0: update Replicas 1;  same run at 1: adopt
 *            another run: update in place (new labels, env, secret) with ForceUpdate + 1,
 *            so the engine replaces the task (RestartBot)
 *   stop     update Replicas 0 (StopGracePeriod = grace), then wait for the task to end
 *   inspect  GET /services/{name} + GET /tasks?filters={"service":[id]}: the newest task's
 *            state, exit code, error and node (swarm_spec.c), the run's tasks beyond the
 *            first as the engine's restarts, the node's host name (GET /nodes/{id}, cached)
 *   list     GET /services?filters={"label":["sath.user"]}
 *   logs     GET /services/{id}/logs (the docker backend's frames and cursor, docker_logs.c)
 *   remove   DELETE /services/{id}, then the user's run-token secrets
 *
 * Every update sends the Version.Index it read (POST /services/{id}/update?version=N): when
 * another orchestrator changed the service in between, the engine refuses ("update out of
 * sequence") and we read it again, so two orchestrators never overwrite each other.
 *
 * The run token is a Swarm secret "sath_run_<run id>" (labels sath.user / sath.run), so it
 * reaches the bot on whatever node runs it; secrets are immutable, a new run gets a new one
 * and the old ones are deleted once no service uses them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "docker_api.h"
#include "docker_logs.h"
#include "swarm_spec.h"
#include "sathd/bot_backend.h"
#include "sathd/log.h"

#define UPDATE_TRIES 8
/* {"label":["sath.user"]} */
#define LIST_FILTER "%7B%22label%22%3A%5B%22sath.user%22%5D%7D"

/* Node ids -> host names already looked up (ids are never reused; a renamed node keeps
 * its old name here until the orchestrator restarts). */
#define NODE_CACHE 64

typedef struct node_name {
    char id[64], host[128];
} node_name;

typedef struct swarm_backend {
    sathd_docker *api;
    sathd_swarm_defaults def;
    char *image, *network, *constraints, *spread, *placement;
    pthread_mutex_t nodes_mu; /* calls for different users run concurrently */
    node_name nodes[NODE_CACHE];
    unsigned nodes_next;
} swarm_backend;

static void fail(sathd_bot_observed *out, const char *what, const char *user, const char *err)
{
    if (out)
        snprintf(out->error, sizeof out->error, "%s: %s", what, err);
    sathd_log(SATHD_LOG_WARN, "msg=\"swarm backend: %s\" user=%s error=\"%s\"", what,
              user ? user : "-", err);
}

static int call(swarm_backend *b, const char *method, const char *path, json_t *body,
                json_t **out, char *err, size_t errlen)
{
    int st = sathd_docker_json(b->api, method, path, body, 60000, out, err, errlen);
    return st < 0 ? st : sathd_docker_status_rc(st);
}

/* GET /services/{ref}: 0 with *svc, -ENOENT, < 0. */
static int get_service(swarm_backend *b, const char *ref, json_t **svc, char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/services/%s", ref);
    *svc = NULL;
    int rc = call(b, "GET", path, NULL, svc, err, errlen);
    if (rc == 0 && !json_is_object(*svc)) {
        snprintf(err, errlen, "unexpected service answer");
        rc = -EPROTO;
    }
    if (rc < 0) {
        json_decref(*svc);
        *svc = NULL;
    }
    return rc;
}

/* The service's tasks (history included). */
static int get_tasks(swarm_backend *b, const char *service_id, json_t **tasks, char *err,
                     size_t errlen)
{
    char path[200];
    snprintf(path, sizeof path, "/tasks?filters=%%7B%%22service%%22%%3A%%5B%%22%s%%22%%5D%%7D",
             service_id);
    *tasks = NULL;
    int rc = call(b, "GET", path, NULL, tasks, err, errlen);
    if (rc == 0 && !json_is_array(*tasks)) {
        snprintf(err, errlen, "task list is not an array");
        rc = -EPROTO;
    }
    if (rc < 0) {
        json_decref(*tasks);
        *tasks = NULL;
    }
    return rc;
}

/* out->node holds a task's NodeID: replaced by the node's host name (GET /nodes/{id},
 * Description.Hostname), from the cache when known; left as the id when the engine does
 * not say. */
static void name_node(swarm_backend *b, sathd_bot_observed *out)
{
    char id[sizeof b->nodes[0].id];
    if (!out->node[0] || strlen(out->node) >= sizeof id ||
        strspn(out->node, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(out->node))
        return; /* not an id we may put in a path */
    memcpy(id, out->node, strlen(out->node) + 1);
    int found = 0;
    pthread_mutex_lock(&b->nodes_mu);
    for (unsigned i = 0; i < NODE_CACHE && !found; i++)
        if (strcmp(b->nodes[i].id, id) == 0) {
            snprintf(out->node, sizeof out->node, "%s", b->nodes[i].host);
            found = 1;
        }
    pthread_mutex_unlock(&b->nodes_mu);
    if (found)
        return;
    char path[120], err[256];
    snprintf(path, sizeof path, "/nodes/%s", id);
    json_t *j = NULL;
    const char *host = NULL;
    if (call(b, "GET", path, NULL, &j, err, sizeof err) == 0)
        host = json_string_value(json_object_get(json_object_get(j, "Description"), "Hostname"));
    if (host && *host && strlen(host) < sizeof b->nodes[0].host) {
        pthread_mutex_lock(&b->nodes_mu);
        node_name *slot = &b->nodes[b->nodes_next++ % NODE_CACHE];
        snprintf(slot->id, sizeof slot->id, "%s", id);
        snprintf(slot->host, sizeof slot->host, "%s", host);
        pthread_mutex_unlock(&b->nodes_mu);
        snprintf(out->node, sizeof out->node, "%s", host);
    }
    json_decref(j);
}

/* Service + tasks -> *out (with the engine's restarts of the run and the node's name);
 * 0, -ENOENT (no service), < 0.  *svc_out (may be NULL) keeps the service for the caller. */
static int observe(swarm_backend *b, const char *name, sathd_bot_observed *out, json_t **svc_out,
                   char *err, size_t errlen)
{
    json_t *svc, *tasks = NULL;
    memset(out, 0, sizeof *out);
    int rc = get_service(b, name, &svc, err, errlen);
    if (rc == 0)
        rc = get_tasks(b, json_string_value(json_object_get(svc, "ID")), &tasks, err, errlen);
    if (rc == 0 && sathd_swarm_observed(svc, tasks, out, &out->restarts) != 0) {
        snprintf(err, errlen, "unexpected service or task answer");
        rc = -EPROTO;
    }
    if (rc == 0 && out->state == SATHD_BOT_OBS_RUNNING)
        name_node(b, out);
    else /* only a running bot has a node worth a lookup (reconcile.c keeps no other) */
        out->node[0] = '\0';
    json_decref(tasks);
    if (svc_out && rc == 0)
        *svc_out = svc;
    else
        json_decref(svc);
    return rc;
}

/* POST /services/{id}/update?version=N with edit() applied to a copy of its Spec; read
 * again and retry when the engine says the version moved.  0, -ENOENT, < 0. */
typedef int (*edit_fn)(json_t *spec, void *arg, char *err, size_t errlen);

static int update_service(swarm_backend *b, const char *name, edit_fn edit, void *arg, char *err,
                          size_t errlen)
{
    for (int i = 0; i < UPDATE_TRIES; i++) {
        json_t *svc;
        int rc = get_service(b, name, &svc, err, errlen);
        if (rc < 0)
            return rc;
        json_t *spec = json_deep_copy(json_object_get(svc, "Spec"));
        char path[200];
        snprintf(path, sizeof path, "/services/%s/update?version=%llu",
                 json_string_value(json_object_get(svc, "ID")),
                 (unsigned long long)sathd_swarm_version(svc));
        json_decref(svc);
        rc = spec ? edit(spec, arg, err, errlen) : -ENOMEM;
        if (rc == 0)
            rc = call(b, "POST", path, spec, NULL, err, errlen);
        json_decref(spec);
        if (rc == 0 || !strstr(err, "out of sequence"))
            return rc;
        sathd_log(SATHD_LOG_INFO, "msg=\"swarm backend: service changed meanwhile, retrying\" "
                  "service=%s", name);
        usleep(20000u * (unsigned)(i + 1));
    }
    return -EAGAIN;
}

static int edit_replicas(json_t *spec, void *arg, char *err, size_t errlen)
{
    const int *v = arg; /* replicas, grace seconds (< 0 keep) */
    json_t *rep = json_object_get(json_object_get(spec, "Mode"), "Replicated");
    if (!rep) {
        snprintf(err, errlen, "not a replicated service");
        return -EPROTO;
    }
    json_object_set_new(rep, "Replicas", json_integer(v[0]));
    json_t *cs = json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec");
    if (v[1] >= 0 && cs)
        json_object_set_new(cs, "StopGracePeriod", json_integer((json_int_t)v[1] * 1000000000));
    return 0;
}

typedef struct replace_arg {
    json_t *spec; /* the new run's ServiceSpec */
} replace_arg;

static int edit_replace(json_t *spec, void *arg, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    replace_arg *a = arg;
    json_int_t force =
        json_integer_value(json_object_get(json_object_get(spec, "TaskTemplate"), "ForceUpdate"));
    json_object_set_new(json_object_get(a->spec, "TaskTemplate"), "ForceUpdate",
                        json_integer(force + 1));
    json_object_clear(spec);
    return json_object_update(spec, a->spec);
}

/* ---- the run token as a secret ------------------------------------------------------- */

static int create_secret(swarm_backend *b, const sathd_bot_spec *spec, char *id, size_t idlen,
                         char *name, size_t namelen, char *err, size_t errlen)
{
    snprintf(name, namelen, SATHD_SWARM_SECRET_PREFIX "%s", spec->run_id);
    size_t tlen = strlen(spec->run_token);
    size_t blen = sodium_base64_ENCODED_LEN(tlen, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(blen);
    if (!b64)
        return -ENOMEM;
    sodium_bin2base64(b64, blen, (const unsigned char *)spec->run_token, tlen,
                      sodium_base64_VARIANT_ORIGINAL);
    json_t *body = json_pack("{ss,ss,s{ss,ss}}", "Name", name, "Data", b64, "Labels",
                             SATHD_BOT_LABEL_USER, spec->user_id, SATHD_BOT_LABEL_RUN,
                             spec->run_id);
    sodium_memzero(b64, blen);
    free(b64);
    json_t *j = NULL;
    int rc = call(b, "POST", "/secrets/create", body, &j, err, errlen);
    json_decref(body); /* jansson's copy of the base64 is freed here */
    if (rc == -EEXIST) { /* this run's secret from an interrupted start: reuse it */
        char path[160];
        json_decref(j);
        j = NULL;
        snprintf(path, sizeof path, "/secrets/%s", name);
        rc = call(b, "GET", path, NULL, &j, err, errlen);
    }
    const char *v = json_string_value(json_object_get(j, "ID"));
    if (rc == 0 && !v) {
        snprintf(err, errlen, "secret answer without an ID");
        rc = -EPROTO;
    }
    if (rc == 0)
        snprintf(id, idlen, "%s", v);
    json_decref(j);
    return rc;
}

/* Deletes the user's token secrets except keep_run's (NULL: all).  Best effort: one still
 * used by a service is refused by the engine and goes on a later call. */
static void sweep_secrets(swarm_backend *b, const char *user_id, const char *keep_run)
{
    char path[256], err[256], keep[96] = "";
    snprintf(path, sizeof path,
             "/secrets?filters=%%7B%%22label%%22%%3A%%5B%%22sath.user%%3D%s%%22%%5D%%7D", user_id);
    if (keep_run)
        snprintf(keep, sizeof keep, SATHD_SWARM_SECRET_PREFIX "%s", keep_run);
    json_t *list = NULL;
    if (call(b, "GET", path, NULL, &list, err, sizeof err) == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(list, i, s) {
            const char *id = json_string_value(json_object_get(s, "ID"));
            const char *nm = json_string_value(json_object_get(json_object_get(s, "Spec"), "Name"));
            if (!id || (nm && strcmp(nm, keep) == 0))
                continue;
            snprintf(path, sizeof path, "/secrets/%s", id);
            call(b, "DELETE", path, NULL, NULL, err, sizeof err);
        }
    }
    json_decref(list);
}

/* ---- operations ---------------------------------------------------------------------- */

/* A new run on an existing service, or a fresh service.  0, -EEXIST (created meanwhile:
 * look again), < 0. */
static int put_run(swarm_backend *b, const sathd_bot_spec *spec, const char *name, int exists,
                   char *err, size_t errlen)
{
    char sid[96] = "", sname[96] = "";
    int has_token = spec->run_token && *spec->run_token;
    int rc = has_token ? create_secret(b, spec, sid, sizeof sid, sname, sizeof sname, err, errlen) : 0;
    if (rc < 0)
        return rc;
    json_t *body = sathd_swarm_service_spec(spec, &b->def, has_token ? sid : NULL,
                                            has_token ? sname : NULL, 0, err, errlen);
    if (!body)
        return -EINVAL;
    if (exists) {
        replace_arg a = {body};
        rc = update_service(b, name, edit_replace, &a, err, errlen);
    } else {
        json_t *j = NULL;
        rc = call(b, "POST", "/services/create", body, &j, err, errlen);
        json_decref(j);
    }
    json_decref(body);
    if (rc == 0)
        sweep_secrets(b, spec->user_id, spec->run_id);
    return rc;
}

static int bs_start(void *self, const sathd_bot_spec *spec, sathd_bot_observed *out)
{
    swarm_backend *b = self;
    char name[96], err[256] = "";
    memset(out, 0, sizeof *out);
    if (!spec->user_id || sathd_bot_name(spec->user_id, name, sizeof name) != 0 || !spec->run_id) {
        fail(out, "start", spec->user_id, "spec without user_id / run_id");
        return -EINVAL;
    }
    int rc = -EEXIST;
    for (int attempt = 0; attempt < 5 && rc == -EEXIST; attempt++) {
        json_t *svc = NULL;
        sathd_bot_observed cur;
        rc = observe(b, name, &cur, &svc, err, sizeof err);
        if (rc == -ENOENT) {
            rc = put_run(b, spec, name, 0, err, sizeof err); /* -EEXIST: raced, look again */
        } else if (rc == 0 && strcmp(cur.run_id, spec->run_id) == 0) {
            int v[2] = {1, -1};
            rc = sathd_swarm_replicas(svc) == 1
                     ? 0 /* adopt */
                     : update_service(b, name, edit_replicas, v, err, sizeof err);
        } else if (rc == 0) {
            rc = put_run(b, spec, name, 1, err, sizeof err); /* ForceUpdate to the new run */
        }
        json_decref(svc);
    }
    if (rc == 0)
        rc = observe(b, name, out, NULL, err, sizeof err);
    if (rc < 0) {
        fail(out, "start", spec->user_id, err);
        return rc == -ENOENT ? -EIO : rc;
    }
    return 0;
}

static int bs_stop(void *self, const char *user_id, int grace_s, sathd_bot_observed *out)
{
    swarm_backend *b = self;
    char name[96], err[256] = "";
    memset(out, 0, sizeof *out);
    if (!user_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    int grace = grace_s > 0 ? grace_s : b->def.base.stop_grace_s;
    int v[2] = {0, grace};
    int rc = update_service(b, name, edit_replicas, v, err, sizeof err);
    if (rc == -ENOENT)
        return 0;
    /* the engine stops the task asynchronously: wait for it, grace + a margin */
    for (int waited = 0; rc == 0; waited += 100) {
        rc = observe(b, name, out, NULL, err, sizeof err);
        if (rc != 0 || out->state == SATHD_BOT_OBS_EXITED)
            break;
        if (waited > (grace + 30) * 1000) {
            snprintf(err, sizeof err, "the task did not stop within %d s", grace + 30);
            rc = -ETIMEDOUT;
            break;
        }
        usleep(100000);
    }
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        fail(out, "stop", user_id, err);
    return rc;
}

static int bs_inspect(void *self, const char *user_id, sathd_bot_observed *out)
{
    swarm_backend *b = self;
    char name[96], err[256] = "";
    memset(out, 0, sizeof *out);
    if (!user_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    int rc = observe(b, name, out, NULL, err, sizeof err);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        fail(out, "inspect", user_id, err);
    return rc;
}

/* Cheap: one request; the state comes from the desired replicas, not the tasks. */
static int bs_list(void *self, sathd_bot_list_cb cb, void *arg)
{
    swarm_backend *b = self;
    char err[256] = "";
    json_t *j = NULL;
    int rc = call(b, "GET", "/services?filters=" LIST_FILTER, NULL, &j, err, sizeof err);
    if (rc == 0 && !json_is_array(j)) {
        snprintf(err, sizeof err, "service list is not an array");
        rc = -EPROTO;
    }
    size_t i;
    json_t *svc;
    json_array_foreach(rc == 0 ? j : NULL, i, svc) {
        sathd_bot_observed obs;
        if (sathd_swarm_observed(svc, NULL, &obs, NULL) == 0 && cb(arg, &obs) != 0)
            break;
    }
    json_decref(j);
    if (rc < 0)
        fail(NULL, "list", NULL, err);
    return rc;
}

static int bs_logs(void *self, const char *user_id, const char *run_id, uint64_t *cursor,
                   sathd_bot_log_cb cb, void *arg)
{
    swarm_backend *b = self;
    char name[96], err[256] = "";
    if (!user_id || !run_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    sathd_bot_observed cur;
    int rc = observe(b, name, &cur, NULL, err, sizeof err);
    if (rc == -ENOENT || (rc == 0 && strcmp(cur.run_id, run_id) != 0))
        return -ENOENT; /* that run's service is gone or runs another run now */
    if (rc < 0) {
        fail(NULL, "logs", user_id, err);
        return rc;
    }
    /* the service's log holds earlier runs' tasks too: a new run starts at its first task */
    if (*cursor == 0 && cur.started_at_ms > 0)
        *cursor = (uint64_t)(cur.started_at_ms / 1000) << 24;
    char path[160];
    snprintf(path, sizeof path, "/services/%s/logs", cur.handle);
    rc = sathd_docker_logs_read(b->api, path, cursor, cb, arg, err, sizeof err);
    if (rc < 0)
        fail(NULL, "logs", user_id, err);
    return rc;
}

static int bs_remove(void *self, const char *user_id)
{
    swarm_backend *b = self;
    char name[96], err[256] = "";
    if (!user_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    sathd_bot_observed cur;
    json_t *svc = NULL;
    int rc = observe(b, name, &cur, &svc, err, sizeof err);
    if (rc == 0 && sathd_swarm_replicas(svc) > 0 && cur.state == SATHD_BOT_OBS_RUNNING)
        rc = -EBUSY;
    json_decref(svc);
    if (rc == 0) {
        char path[160];
        snprintf(path, sizeof path, "/services/%s", cur.handle);
        rc = call(b, "DELETE", path, NULL, NULL, err, sizeof err);
    }
    if (rc == -ENOENT)
        rc = 0;
    if (rc == 0)
        sweep_secrets(b, user_id, NULL);
    else if (rc != -EBUSY)
        fail(NULL, "remove", user_id, err);
    return rc;
}

static void bs_destroy(void *self)
{
    swarm_backend *b = self;
    if (!b)
        return;
    pthread_mutex_destroy(&b->nodes_mu);
    sathd_docker_close(b->api);
    free(b->image);
    free(b->network);
    free(b->constraints);
    free(b->spread);
    free(b->placement);
    free(b);
}

static const sathd_bot_backend_ops swarm_ops = {
    .name = "swarm",
    .flags = SATHD_BOT_BE_ENGINE_MANAGED,
    .start = bs_start,
    .stop = bs_stop,
    .inspect = bs_inspect,
    .list = bs_list,
    .logs = bs_logs,
    .remove = bs_remove,
    .destroy = bs_destroy,
};

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* The engine must be a swarm manager: services exist only there. */
static int check_manager(swarm_backend *b, char *err, size_t errlen)
{
    json_t *info = NULL;
    int rc = call(b, "GET", "/info", NULL, &info, err, errlen);
    json_t *sw = json_object_get(info, "Swarm");
    const char *state = json_string_value(json_object_get(sw, "LocalNodeState"));
    if (rc == 0 && (!state || strcmp(state, "active") != 0 ||
                    !json_is_true(json_object_get(sw, "ControlAvailable")))) {
        snprintf(err, errlen, "the engine is not a swarm manager (node state %s): run "
                              "`docker swarm init` or point SATH_DOCKER_HOST at a manager",
                 state ? state : "unknown");
        rc = -EPROTO;
    }
    json_decref(info);
    return rc;
}

int sathd_bot_backend_swarm_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                char *err, size_t errlen)
{
    char e[256] = "";
    swarm_backend *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    pthread_mutex_init(&b->nodes_mu, NULL);
    b->image = strdup(cfg->image && *cfg->image ? cfg->image : "sath-bot:latest");
    b->network = dup_or_null(cfg->network_mode);
    b->constraints = dup_or_null(cfg->swarm_constraints);
    b->spread = dup_or_null(cfg->swarm_spread);
    b->placement = dup_or_null(cfg->swarm_placement);
    if (!b->image) {
        bs_destroy(b);
        return -ENOMEM;
    }
    b->def = (sathd_swarm_defaults){
        .restart_max = cfg->restart_max > 0 ? cfg->restart_max : 5,
        .restart_delay_ms = cfg->restart_delay_ms > 0 ? cfg->restart_delay_ms : 1000,
        .restart_window_s = cfg->restart_window_s > 0 ? cfg->restart_window_s : 300,
        .constraints = b->constraints,
        .spread = b->spread,
        .placement = b->placement,
        .reserve_pct = cfg->swarm_reserve_pct,
    };
    sathd_docker_defaults_init(&b->def.base, cfg, b->image, b->network);
    /* a malformed placement list is a configuration error, found now rather than per bot */
    json_t *probe = json_array();
    int bad = sathd_swarm_class_constraints(b->placement, "", probe) < 0;
    json_decref(probe);
    int rc = bad ? -EINVAL : sathd_docker_open(cfg->docker_host, &b->api, e, sizeof e);
    if (bad)
        snprintf(e, sizeof e, "SATH_SWARM_PLACEMENT must be class=constraint[,constraint][;...]");
    if (rc == 0)
        rc = check_manager(b, e, sizeof e);
    if (rc < 0) {
        snprintf(err, errlen, "%s", e);
        bs_destroy(b);
        return rc;
    }
    sathd_log(SATHD_LOG_INFO, "msg=\"swarm bot backend\" engine=\"%s\" api=%s image=%s "
              "constraints=\"%s\" spread=\"%s\"", sathd_docker_engine(b->api),
              sathd_docker_api_version(b->api), b->image, b->constraints ? b->constraints : "",
              b->spread ? b->spread : "");
    out->ops = &swarm_ops;
    out->self = b;
    return 0;
}
