/*
 * docker_spec.c - JSON of the docker backend: the container we create for a bot, and what
 * an inspect answer says about it (see docker_spec.h).
 *
 * What the create body guarantees, whatever the image says:
 *   - the bot runs as nobody, with every capability dropped and no-new-privileges, on a
 *     read-only root with a small noexec /tmp tmpfs;
 *   - memory is capped with swap equal to it (no swap beyond the limit), CPU by NanoCpus,
 *     processes by PidsLimit (a cgroup limit: per container, unlike RLIMIT_NPROC, which
 *     counts every process of uid 65534 on the host);
 *   - the engine never restarts it (RestartPolicy "no"): restarts are the orchestrator's
 *     decision, with backoff, and a user's stop is never undone by the engine;
 *   - its logs rotate (json-file max-size / max-file) so a chatty bot cannot fill the disk;
 *   - the run token is not in Env, Cmd or Labels: only the path of a read-only file.
 */
#include "docker_spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "docker_frames.h" /* sathd_docker_parse_time */

static json_t *str_array(const char *const *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static int set_label(json_t *labels, const char *k, const char *v)
{
    return json_object_set_new(labels, k, json_string(v ? v : ""));
}

/* HostConfig: limits, hardening, network, the token's bind, logs (see the top of the file). */
static json_t *host_config(const sathd_bot_spec *spec, const sathd_docker_defaults *def,
                           const char *token_host_path, int podman, char *err, size_t errlen)
{
    int64_t mem = spec->memory_bytes > 0 ? spec->memory_bytes : def->memory_bytes;
    int64_t cpus = spec->nano_cpus > 0 ? spec->nano_cpus : def->nano_cpus;
    int pids = spec->pids_limit > 0 ? spec->pids_limit : def->pids_limit;
    int nofile = spec->open_files > 0 ? spec->open_files : def->open_files;
    const char *net = spec->network_mode && *spec->network_mode ? spec->network_mode
                                                                : def->network_mode;
    char tmpfs[96];
    snprintf(tmpfs, sizeof tmpfs, "rw,noexec,nosuid,nodev,size=%dm",
             def->tmpfs_mb > 0 ? def->tmpfs_mb : 16);

    json_t *hc = json_object();
    if (mem > 0) {
        json_object_set_new(hc, "Memory", json_integer(mem));
        json_object_set_new(hc, "MemorySwap", json_integer(mem));
    }
    if (cpus > 0)
        json_object_set_new(hc, "NanoCpus", json_integer(cpus));
    if (pids > 0)
        json_object_set_new(hc, "PidsLimit", json_integer(pids));
    json_object_set_new(hc, "CapDrop", json_pack("[s]", "ALL"));
    json_object_set_new(hc, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
    json_object_set_new(hc, "ReadonlyRootfs", json_true());
    json_object_set_new(hc, "Tmpfs", json_pack("{ss}", "/tmp", tmpfs));
    json_object_set_new(hc, "NetworkMode", json_string(net && *net ? net : "bridge"));
    json_object_set_new(hc, "RestartPolicy", json_pack("{ss}", "Name", "no"));
    if (token_host_path) {
        char bind[4200];
        int n = snprintf(bind, sizeof bind, "%s:%s:ro", token_host_path, SATHD_DOCKER_TOKEN_PATH);
        if (n < 0 || (size_t)n >= sizeof bind || strchr(token_host_path, ':')) {
            snprintf(err, errlen, "token path unusable in a bind mount");
            json_decref(hc);
            return NULL;
        }
        json_object_set_new(hc, "Binds", json_pack("[s]", bind));
    }
    /* podman 4.3's compat API adds an nproc rlimit of 1048576 next to any Ulimits that do
     * not name nproc, which runc cannot set where that is above the engine's hard limit and
     * root lacks CAP_SYS_RESOURCE ("error setting rlimit type 6").  So podman is given
     * nproc too, at the engine's own hard limit (what runc inherits: a no-op for the bot);
     * PidsLimit (a cgroup, per container) is what bounds its processes, RLIMIT_NPROC
     * counting every process of uid 65534 on the host.  Unknown limit: no Ulimits. */
    if (nofile > 0 && (!podman || def->engine_nproc >= -1)) {
        json_t *ul = json_pack("[{ss,sI,sI}]", "Name", "nofile", "Soft", (json_int_t)nofile,
                               "Hard", (json_int_t)nofile);
        if (podman)
            json_array_append_new(ul, json_pack("{ss,sI,sI}", "Name", "nproc", "Soft",
                                                (json_int_t)def->engine_nproc, "Hard",
                                                (json_int_t)def->engine_nproc));
        json_object_set_new(hc, "Ulimits", ul);
    }
    /* podman maps this to its own log file with a size cap (max-file is Docker's only) */
    if (def->log_max_size && *def->log_max_size) {
        char files[16];
        snprintf(files, sizeof files, "%d", def->log_max_files > 0 ? def->log_max_files : 3);
        json_object_set_new(hc, "LogConfig",
                            json_pack("{ss,s{ss,ss}}", "Type", "json-file", "Config", "max-size",
                                      def->log_max_size, "max-file", files));
    }

    return hc;
}

void sathd_docker_defaults_init(sathd_docker_defaults *def, const sathd_bot_backend_config *cfg,
                                const char *image, const char *network)
{
    *def = (sathd_docker_defaults){
        .image = image,
        .network_mode = network,
        .memory_bytes = cfg->memory_bytes > 0 ? cfg->memory_bytes : 256LL << 20,
        .nano_cpus = cfg->nano_cpus > 0 ? cfg->nano_cpus : 0,
        .pids_limit = cfg->pids_limit > 0 ? cfg->pids_limit : 128,
        .open_files = cfg->open_files > 0 ? cfg->open_files : 1024,
        .stop_grace_s = cfg->stop_grace_s > 0 ? cfg->stop_grace_s : 10,
        .tmpfs_mb = 16,
        .log_max_size = "10m",
        .log_max_files = 3,
        .engine_nproc = -2, /* the backend asks the engine (sathd_docker_engine_nproc) */
    };
}

json_t *sathd_docker_env(const sathd_bot_spec *spec, int token_file, char *err, size_t errlen)
{
    json_t *env = json_array();
    for (size_t i = 0; spec->env && spec->env[i]; i++) {
        const char *e = spec->env[i];
        const char *eq = strchr(e, '=');
        if (!eq || eq == e) {
            snprintf(err, errlen, "bot environment entry %zu is not NAME=value", i);
            json_decref(env);
            return NULL;
        }
        /* Env is visible to anyone who may `docker inspect`: refuse the token there. */
        if (spec->run_token && *spec->run_token && strstr(eq + 1, spec->run_token)) {
            snprintf(err, errlen, "bot environment entry %.*s carries the run token",
                     (int)(eq - e), e);
            json_decref(env);
            return NULL;
        }
        json_array_append_new(env, json_string(e));
    }
    if (token_file)
        json_array_append_new(env, json_string(SATHD_BOT_ENV_TOKEN_FILE "=" SATHD_DOCKER_TOKEN_PATH));
    return env;
}

json_t *sathd_docker_labels(const sathd_bot_spec *spec)
{
    json_t *labels = json_object();
    set_label(labels, SATHD_BOT_LABEL_USER, spec->user_id);
    set_label(labels, SATHD_BOT_LABEL_BOT, spec->bot_id);
    set_label(labels, SATHD_BOT_LABEL_RUN, spec->run_id);
    set_label(labels, SATHD_BOT_LABEL_MODE, spec->mode);
    return labels;
}

json_t *sathd_docker_create_body(const sathd_bot_spec *spec, const sathd_docker_defaults *def,
                                 const char *token_host_path, int podman, char *err,
                                 size_t errlen)
{
    const char *image = spec->image && *spec->image ? spec->image : def->image;
    if (!spec->user_id || !*spec->user_id || !spec->run_id || !*spec->run_id || !image ||
        !*image) {
        snprintf(err, errlen, "bot spec needs user_id, run_id and an image");
        return NULL;
    }
    json_t *env = sathd_docker_env(spec, token_host_path != NULL, err, errlen);
    if (!env)
        return NULL;
    json_t *labels = sathd_docker_labels(spec);

    json_t *hc = host_config(spec, def, token_host_path, podman, err, errlen);
    if (!hc) {
        json_decref(env);
        json_decref(labels);
        return NULL;
    }
    int grace = spec->stop_grace_s > 0 ? spec->stop_grace_s : def->stop_grace_s;

    json_t *body = json_object();
    json_object_set_new(body, "Image", json_string(image));
    if (spec->argv && spec->argv[0])
        json_object_set_new(body, "Cmd", str_array(spec->argv));
    json_object_set_new(body, "Env", env);
    json_object_set_new(body, "Labels", labels);
    json_object_set_new(body, "User", json_string(SATHD_DOCKER_BOT_USER));
    json_object_set_new(body, "Tty", json_false());
    json_object_set_new(body, "OpenStdin", json_false());
    json_object_set_new(body, "AttachStdin", json_false());
    json_object_set_new(body, "AttachStdout", json_false());
    json_object_set_new(body, "AttachStderr", json_false());
    if (grace > 0)
        json_object_set_new(body, "StopTimeout", json_integer(grace));
    json_object_set_new(body, "HostConfig", hc);
    return body;
}

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

static int64_t time_ms(const json_t *v)
{
    const char *s = json_string_value(v);
    int64_t ns;
    if (!s || sathd_docker_parse_time(s, strlen(s), &ns) != 0)
        return 0; /* "0001-01-01T00:00:00Z": never */
    return ns / 1000000;
}

int sathd_docker_observed_from_inspect(const json_t *j, sathd_bot_observed *out)
{
    memset(out, 0, sizeof *out);
    const json_t *state = json_object_get(j, "State");
    const char *id = json_string_value(json_object_get(j, "Id"));
    const char *status = json_string_value(json_object_get(state, "Status"));
    if (!json_is_object(state) || !id || !status)
        return -EPROTO;
    copy_str(out->handle, sizeof out->handle, id);
    const json_t *labels = json_object_get(json_object_get(j, "Config"), "Labels");
    copy_str(out->user_id, sizeof out->user_id,
             json_string_value(json_object_get(labels, SATHD_BOT_LABEL_USER)));
    copy_str(out->run_id, sizeof out->run_id,
             json_string_value(json_object_get(labels, SATHD_BOT_LABEL_RUN)));
    if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0)
        out->state = SATHD_BOT_OBS_RUNNING;
    else if (strcmp(status, "created") == 0 || strcmp(status, "restarting") == 0 ||
             strcmp(status, "configured") == 0 /* podman */)
        out->state = SATHD_BOT_OBS_PENDING;
    else /* exited, dead, removing, stopped (podman) */
        out->state = SATHD_BOT_OBS_EXITED;
    out->started_at_ms = time_ms(json_object_get(state, "StartedAt"));
    if (out->state == SATHD_BOT_OBS_EXITED) {
        out->finished_at_ms = time_ms(json_object_get(state, "FinishedAt"));
        out->exit_code = (int)json_integer_value(json_object_get(state, "ExitCode"));
        out->oom_killed = json_is_true(json_object_get(state, "OOMKilled"));
    }
    const char *e = json_string_value(json_object_get(state, "Error"));
    copy_str(out->error, sizeof out->error, e);
    if (!*out->error && out->oom_killed)
        copy_str(out->error, sizeof out->error, "killed by the out-of-memory killer");
    return 0;
}
