/*
 * backend_docker.c - the docker bot backend: each user's bot is one container named
 * bot_user_<user_id>, run by a Docker Engine (dockerd) or podman's Docker-compatible service
 * through the Engine REST API on its unix socket (SATH_DOCKER_HOST, default
 * unix:///var/run/docker.sock; docker_api.c negotiates the API version).
 *
 * What each operation is here, and what it maps to in the cluster backends beside it:
 *   start    here: POST /containers/create?name=bot_user_U, then POST /containers/{id}/start
 *            Swarm (backend_swarm.c): POST /services/create (replicas 1, on-failure)
 *            Kubernetes: a Deployment with replicas 1 (or a bare Pod, restartPolicy Never)
 *   stop     here: POST /containers/{id}/stop?t=grace (SIGTERM, SIGKILL after grace)
 *            Swarm: POST /services/{id}/update with replicas 0 (StopGracePeriod)
 *            Kubernetes: scale to 0 / delete the Pod (terminationGracePeriodSeconds)
 *   inspect  here: GET /containers/bot_user_U/json (State.Status, ExitCode, OOMKilled)
 *            Swarm: GET /tasks?filters=service=... (Status.State, ContainerStatus.ExitCode)
 *            Kubernetes: GET the pod (containerStatuses[].state.terminated, reason OOMKilled)
 *   list     here: GET /containers/json?all=1&filters={"label":["sath.user"]}
 *            Swarm: GET /services?filters=label=sath.user;  Kubernetes: pods?labelSelector=
 *   logs     here: GET /containers/{id}/logs?timestamps=1&since=S (8-byte frames)
 *            Swarm: GET /services/{id}/logs (the same frames)
 *            Kubernetes: GET pods/{p}/log?timestamps=true&sinceTime= (plain text)
 *   remove   here: DELETE /containers/{id}?force=1&v=1
 *            Swarm: DELETE /services/{id};  Kubernetes: delete the Deployment / Pod
 * The run token: here a read-only bind of one host file at /run/secrets/sath_run_token;
 * Swarm: a secret (POST /secrets/create, mounted at the same path, removed with the run);
 * Kubernetes: a Secret volume at the same path.  In every case SATH_RUN_TOKEN_FILE names the
 * path and the token itself is never in Env, Cmd, Labels or the image.
 *
 * Exactly one container per user.  The name is the user's, so the engine itself refuses a
 * second one: a create that meets a conflict (409; podman answers 500 "already in use")
 * inspects what is there and adopts it when it is the same run, or removes it and creates
 * again.  start() also looks first, so a restarted orchestrator adopts running bots.
 *
 * The run token reaches the bot like this: start() writes it to
 * <state_dir>/docker-tokens/bot_user_<user_id>.token (directory 0700, file 0400 owned by the
 * bot's uid 65534 when we are root, else 0444 inside the 0700 directory, which keeps other
 * host users out), bind-mounts that one file read-only at /run/secrets/sath_run_token, and
 * sets SATH_RUN_TOKEN_FILE to that path.  `docker inspect` shows the two paths, never the
 * token; the file is deleted when the bot is stopped or removed (sathd revokes the token
 * when the run ends in any case).  This needs the engine on the same host as the
 * orchestrator, which a unix socket implies.
 *
 * Concurrency: the orchestrator never makes two calls for one user at a time (it holds
 * the bot's advisory lock); calls for different users run concurrently, and everything
 * here is either read-only after construction or local to the call.
 */
#define _GNU_SOURCE /* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker_api.h"
#include "docker_logs.h"
#include "docker_spec.h"
#include "sathd/bot_backend.h"
#include "sathd/log.h"

/* "label=sath.user" as a Docker filter: {"label":["sath.user"]} */
#define LIST_FILTER "%7B%22label%22%3A%5B%22sath.user%22%5D%7D"

typedef struct docker_backend {
    sathd_docker *api;
    sathd_docker_defaults def;
    char *image, *network;
    char token_dir[PATH_MAX];
} docker_backend;

/* ---- helpers ------------------------------------------------------------------------- */

static void fail(sathd_bot_observed *out, const char *what, const char *user, const char *err)
{
    if (out)
        snprintf(out->error, sizeof out->error, "%s: %s", what, err);
    sathd_log(SATHD_LOG_WARN, "msg=\"docker backend: %s\" user=%s error=\"%s\"", what,
              user ? user : "-", err);
}

static int token_path(const docker_backend *b, const char *user_id, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/bot_user_%s.token", b->token_dir, user_id);
    return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

/* Writes the run token for the bot's uid (see the top of the file). */
static int write_token(const docker_backend *b, const char *user_id, const char *token,
                       char *path, size_t pathlen, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 16];
    if (token_path(b, user_id, path, pathlen) != 0 ||
        snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        snprintf(err, errlen, "token path too long");
        return -ENAMETOOLONG;
    }
    /* a private temporary name, then rename: a reader (the engine's bind) never sees a
     * half-written file, and two writers never share one */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0400) != 0) {
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        snprintf(err, errlen, "cannot create the token file: %s", strerror(errno));
        return -errno;
    }
    size_t len = strlen(token), off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t w = write(fd, token + off, len - off);
        if (w < 0) {
            rc = -errno;
            break;
        }
        off += (size_t)w;
    }
    if (rc == 0 && fchown(fd, SATHD_DOCKER_BOT_UID, SATHD_DOCKER_BOT_UID) != 0)
        rc = fchmod(fd, 0444) == 0 ? 0 : -errno; /* not root: readable inside the 0700 dir */
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write the token file: %s", strerror(-rc));
    }
    return rc;
}

static void drop_token(const docker_backend *b, const char *user_id)
{
    char path[PATH_MAX];
    if (token_path(b, user_id, path, sizeof path) == 0)
        unlink(path);
}

/* GET /containers/{ref}/json into *out: 0 found, -ENOENT none, other < 0 failure. */
static int inspect_ref(docker_backend *b, const char *ref, sathd_bot_observed *out, char *err,
                       size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/containers/%s/json", ref);
    json_t *j = NULL;
    int st;
    /* Podman 4 answers 500 "read /proc/PID/cgroup: no such process" when the inspect meets
     * a container whose process is exiting right then (a bot that ends at once after its
     * start); the inspect is a read, so a few tries shortly after see the settled state. */
    for (int attempt = 0;; attempt++) {
        st = sathd_docker_json(b->api, "GET", path, NULL, 0, &j, err, errlen);
        if (st < 500 || attempt == 4 || !strstr(err, "no such process"))
            break;
        json_decref(j);
        j = NULL;
        usleep((useconds_t)(20000 * (attempt + 1)));
    }
    if (st < 0)
        return st;
    if (st == 404) {
        memset(out, 0, sizeof *out);
        return -ENOENT;
    }
    int rc = sathd_docker_status_rc(st);
    if (rc == 0 && (!j || sathd_docker_observed_from_inspect(j, out) != 0)) {
        snprintf(err, errlen, "unexpected inspect answer");
        rc = -EPROTO;
    }
    /* podman before 5.0 never sets State.OOMKilled (containers/podman#13102): say what is
     * known of a SIGKILL rather than nothing, without claiming its cause */
    if (rc == 0 && sathd_docker_is_podman(b->api) && out->state == SATHD_BOT_OBS_EXITED &&
        out->exit_code == 128 + 9 && !out->oom_killed && !out->error[0])
        snprintf(out->error, sizeof out->error,
                 "killed by SIGKILL: the out-of-memory killer or a stop's grace period running "
                 "out (this podman does not report out-of-memory kills)");
    json_decref(j);
    return rc;
}

/* POST /containers/{ref}/stop?t=grace: 0 stopped or already stopped, -ENOENT, < 0. */
static int stop_ref(docker_backend *b, const char *ref, int grace, char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/containers/%s/stop?t=%d", ref, grace);
    /* the engine answers only once the container is gone: wait grace + a margin */
    int st = sathd_docker_json(b->api, "POST", path, NULL, (long)(grace + 30) * 1000, NULL, err,
                               errlen);
    return st < 0 ? st : sathd_docker_status_rc(st);
}

/* DELETE /containers/{ref}?force=1&v=1 (anonymous volumes too): 0 or already gone. */
static int delete_ref(docker_backend *b, const char *ref, char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/containers/%s?force=1&v=1", ref);
    int st = sathd_docker_json(b->api, "DELETE", path, NULL, 0, NULL, err, errlen);
    if (st < 0)
        return st;
    return st == 404 ? 0 : sathd_docker_status_rc(st);
}

static int start_ref(docker_backend *b, const char *ref, char *err, size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/containers/%s/start", ref);
    int st = sathd_docker_json(b->api, "POST", path, NULL, 60000, NULL, err, errlen);
    return st < 0 ? st : sathd_docker_status_rc(st);
}

static int grace_of(const docker_backend *b, int grace_s)
{
    return grace_s > 0 ? grace_s : b->def.stop_grace_s;
}

/* An existing container of the user: same run -> adopt (starting it if only created);
 * otherwise stop and remove it.  Returns 1 adopted (out filled), 0 cleared, < 0 failure. */
static int adopt_or_clear(docker_backend *b, const sathd_bot_spec *spec, const char *name,
                          sathd_bot_observed *out, char *err, size_t errlen)
{
    sathd_bot_observed cur;
    int rc = inspect_ref(b, name, &cur, err, errlen);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (strcmp(cur.run_id, spec->run_id) == 0 && cur.state != SATHD_BOT_OBS_EXITED) {
        if (cur.state == SATHD_BOT_OBS_PENDING && (rc = start_ref(b, cur.handle, err, errlen)) < 0)
            return rc;
        rc = inspect_ref(b, cur.handle, out, err, errlen);
        return rc < 0 ? rc : 1;
    }
    if (cur.state == SATHD_BOT_OBS_RUNNING &&
        (rc = stop_ref(b, cur.handle, grace_of(b, spec->stop_grace_s), err, errlen)) < 0 &&
        rc != -ENOENT)
        return rc;
    rc = delete_ref(b, cur.handle, err, errlen);
    return rc < 0 ? rc : 0;
}

static int is_conflict(const docker_backend *b, int status, const char *err)
{
    return status == 409 ||
           (sathd_docker_is_podman(b->api) && status == 500 && strstr(err, "already in use"));
}

/* ---- operations ---------------------------------------------------------------------- */

/* POST /containers/create, meeting conflicts: 1 when an existing container of the same run
 * was adopted instead (out filled), 0 with id[] set when ours was created, < 0 failure. */
static int create_container(docker_backend *b, const sathd_bot_spec *spec, const char *name,
                            json_t *body, char id[72], sathd_bot_observed *out, char *err,
                            size_t errlen)
{
    char path[160];
    snprintf(path, sizeof path, "/containers/create?name=%s", name);
    for (int attempt = 0; attempt < 20; attempt++) {
        json_t *j = NULL;
        int st = sathd_docker_json(b->api, "POST", path, body, 60000, &j, err, errlen);
        if (st == 201 || st == 200) {
            const char *v = json_string_value(json_object_get(j, "Id"));
            snprintf(id, 72, "%s", v ? v : "");
            json_decref(j);
            if (!*id) {
                snprintf(err, errlen, "create answered without an Id");
                return -EPROTO;
            }
            return 0;
        }
        json_decref(j);
        if (st < 0)
            return st;
        if (!is_conflict(b, st, err)) {
            if (st == 404) {
                char m[256];
                snprintf(m, sizeof m,
                         "image not found (%.150s); build it with scripts/bot-image.sh", err);
                snprintf(err, errlen, "%s", m);
            }
            return sathd_docker_status_rc(st);
        }
        /* someone created it between our look and our create: adopt or clear, again */
        sathd_log(SATHD_LOG_INFO, "msg=\"docker backend: name conflict on create, "
                  "inspecting\" user=%s status=%d", spec->user_id, st);
        int rc = adopt_or_clear(b, spec, name, out, err, errlen);
        if (rc != 0)
            return rc;
        /* dockerd reserves the name before the container can be inspected: a conflicting
         * create that is not visible yet needs a moment */
        usleep((useconds_t)(attempt < 10 ? 10000 * (attempt + 1) : 100000));
    }
    snprintf(err, errlen, "name conflict persists");
    return -EEXIST;
}

static int bd_start(void *self, const sathd_bot_spec *spec, sathd_bot_observed *out)
{
    docker_backend *b = self;
    char name[96], err[256] = "";
    memset(out, 0, sizeof *out);
    if (!spec->user_id || sathd_bot_name(spec->user_id, name, sizeof name) != 0 ||
        !spec->run_id) {
        fail(out, "start", spec->user_id, "spec without user_id / run_id");
        return -EINVAL;
    }
    int rc = adopt_or_clear(b, spec, name, out, err, sizeof err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fail(out, "start: existing container", spec->user_id, err);
        return rc;
    }

    char tpath[PATH_MAX] = "";
    int has_token = spec->run_token && *spec->run_token;
    if (has_token &&
        (rc = write_token(b, spec->user_id, spec->run_token, tpath, sizeof tpath, err,
                          sizeof err)) < 0) {
        fail(out, "start", spec->user_id, err);
        return rc;
    }
    json_t *body = sathd_docker_create_body(spec, &b->def, has_token ? tpath : NULL,
                                            sathd_docker_is_podman(b->api), err, sizeof err);
    if (!body) {
        drop_token(b, spec->user_id);
        fail(out, "start", spec->user_id, err);
        return -EINVAL;
    }
    char id[72] = "";
    rc = create_container(b, spec, name, body, id, out, err, sizeof err);
    json_decref(body);
    if (rc == 1)
        return 0; /* adopted the same run's container (its token file is the same) */
    if (rc < 0) {
        drop_token(b, spec->user_id);
        fail(out, "start: create", spec->user_id, err);
        return rc;
    }
    if ((rc = start_ref(b, id, err, sizeof err)) < 0) {
        char ignore[64];
        fail(out, "start", spec->user_id, err);
        delete_ref(b, id, ignore, sizeof ignore); /* never leave a half-made bot behind */
        drop_token(b, spec->user_id);
        return rc;
    }
    if ((rc = inspect_ref(b, id, out, err, sizeof err)) < 0) {
        fail(out, "start: inspect", spec->user_id, err);
        return rc == -ENOENT ? -EIO : rc;
    }
    return 0;
}

static int bd_stop(void *self, const char *user_id, int grace_s, sathd_bot_observed *out)
{
    docker_backend *b = self;
    char name[96], err[256] = "";
    memset(out, 0, sizeof *out);
    if (!user_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    int rc = stop_ref(b, name, grace_of(b, grace_s), err, sizeof err);
    if (rc == -ENOENT) {
        drop_token(b, user_id);
        return 0; /* nothing there: out is ABSENT */
    }
    if (rc < 0) {
        fail(out, "stop", user_id, err);
        return rc;
    }
    drop_token(b, user_id);
    rc = inspect_ref(b, name, out, err, sizeof err);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        fail(out, "stop: inspect", user_id, err);
    return rc;
}

static int bd_inspect(void *self, const char *user_id, sathd_bot_observed *out)
{
    docker_backend *b = self;
    char name[96], err[256] = "";
    memset(out, 0, sizeof *out);
    if (!user_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    int rc = inspect_ref(b, name, out, err, sizeof err);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0)
        fail(out, "inspect", user_id, err);
    return rc;
}

static int bd_list(void *self, sathd_bot_list_cb cb, void *arg)
{
    docker_backend *b = self;
    char err[256] = "";
    json_t *j = NULL;
    int st = sathd_docker_json(b->api, "GET", "/containers/json?all=1&filters=" LIST_FILTER, NULL,
                               0, &j, err, sizeof err);
    int rc = st < 0 ? st : sathd_docker_status_rc(st);
    if (rc == 0 && !json_is_array(j)) {
        snprintf(err, sizeof err, "container list is not an array");
        rc = -EPROTO;
    }
    size_t i;
    json_t *item;
    json_array_foreach(rc == 0 ? j : NULL, i, item) {
        const char *id = json_string_value(json_object_get(item, "Id"));
        sathd_bot_observed obs;
        if (!id)
            continue;
        int r = inspect_ref(b, id, &obs, err, sizeof err); /* exit code, OOM, times */
        if (r == -ENOENT)
            continue; /* removed meanwhile */
        if (r < 0) {
            rc = r;
            break;
        }
        if (cb(arg, &obs) != 0)
            break;
    }
    json_decref(j);
    if (rc < 0)
        fail(NULL, "list", NULL, err);
    return rc;
}

static int bd_logs(void *self, const char *user_id, const char *run_id, uint64_t *cursor,
                   sathd_bot_log_cb cb, void *arg)
{
    docker_backend *b = self;
    char name[96], err[256] = "";
    if (!user_id || !run_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    sathd_bot_observed cur;
    int rc = inspect_ref(b, name, &cur, err, sizeof err);
    if (rc == -ENOENT || (rc == 0 && strcmp(cur.run_id, run_id) != 0))
        return -ENOENT; /* that run's container is gone */
    if (rc < 0) {
        fail(NULL, "logs", user_id, err);
        return rc;
    }
    char path[160];
    snprintf(path, sizeof path, "/containers/%s/logs", cur.handle);
    rc = sathd_docker_logs_read(b->api, path, cursor, cb, arg, err, sizeof err);
    if (rc < 0)
        fail(NULL, "logs", user_id, err);
    return rc;
}

static int bd_remove(void *self, const char *user_id)
{
    docker_backend *b = self;
    char name[96], err[256] = "";
    if (!user_id || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    sathd_bot_observed cur;
    int rc = inspect_ref(b, name, &cur, err, sizeof err);
    if (rc == -ENOENT) {
        drop_token(b, user_id);
        return 0;
    }
    if (rc == 0 && cur.state == SATHD_BOT_OBS_RUNNING)
        return -EBUSY;
    if (rc == 0)
        rc = delete_ref(b, cur.handle, err, sizeof err);
    if (rc < 0) {
        fail(NULL, "remove", user_id, err);
        return rc;
    }
    drop_token(b, user_id);
    return 0;
}

static void bd_destroy(void *self)
{
    docker_backend *b = self;
    if (!b)
        return;
    sathd_docker_close(b->api);
    free(b->image);
    free(b->network);
    free(b);
}

static const sathd_bot_backend_ops docker_ops = {
    .name = "docker",
    .start = bd_start,
    .stop = bd_stop,
    .inspect = bd_inspect,
    .list = bd_list,
    .logs = bd_logs,
    .remove = bd_remove,
    .destroy = bd_destroy,
};

int sathd_bot_backend_docker_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                 char *err, size_t errlen)
{
    char e[256] = "";
    if (!cfg->state_dir || !*cfg->state_dir) {
        snprintf(err, errlen, "the docker backend needs a state directory (SATH_BOT_STATE_DIR) "
                              "for the bots' token files");
        return -EINVAL;
    }
    docker_backend *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    char real[PATH_MAX];
    if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %.200s: %s", cfg->state_dir, strerror(errno));
        free(b);
        return -errno;
    }
    if (!realpath(cfg->state_dir, real) ||
        snprintf(b->token_dir, sizeof b->token_dir, "%s/docker-tokens", real) >=
            (int)sizeof b->token_dir ||
        (mkdir(b->token_dir, 0700) != 0 && errno != EEXIST) || chmod(b->token_dir, 0700) != 0) {
        int rc = -errno;
        snprintf(err, errlen, "cannot create the token directory under %.200s: %s",
                 cfg->state_dir, strerror(errno));
        free(b);
        return rc ? rc : -EINVAL;
    }
    b->image = strdup(cfg->image && *cfg->image ? cfg->image : "sath-bot:latest");
    b->network = strdup(cfg->network_mode && *cfg->network_mode ? cfg->network_mode : "bridge");
    if (!b->image || !b->network) {
        bd_destroy(b);
        return -ENOMEM;
    }
    sathd_docker_defaults_init(&b->def, cfg, b->image, b->network);
    int rc = sathd_docker_open(cfg->docker_host, &b->api, e, sizeof e);
    if (rc < 0) {
        snprintf(err, errlen, "%s", e);
        bd_destroy(b);
        return rc;
    }
    if (sathd_docker_is_podman(b->api)) { /* see docker_spec.c: podman's nproc default */
        b->def.engine_nproc = sathd_docker_engine_nproc(b->api);
        if (b->def.engine_nproc < -1)
            sathd_log(SATHD_LOG_WARN, "msg=\"docker bot backend: podman's process limit is not "
                      "visible from here; bots get podman's default open-files limit, not "
                      "SATH_BOT_OPEN_FILES\"");
    }
    sathd_log(SATHD_LOG_INFO, "msg=\"docker bot backend\" engine=\"%s\" api=%s image=%s network=%s",
              sathd_docker_engine(b->api), sathd_docker_api_version(b->api), b->image, b->network);
    out->ops = &docker_ops;
    out->self = b;
    return 0;
}
