/*
 * bot_backend.h - the one small table of functions through which sath-orchestrator runs
 * users' bots: a local process (backend_process.c, the embedded default), a Docker /
 * podman container (backend_docker.c), a Swarm service (backend_swarm.c), later a Kubernetes
 * Deployment.
 *
 * Model.  A backend knows nothing of PostgreSQL or plans, and applies no restart policy of
 * its own unless its engine does (SATHD_BOT_BE_ENGINE_MANAGED, below): it makes one
 * bot per user exist or not exist and reports what it sees.  The orchestrator
 * (reconcile.c) decides what should exist, holds a PostgreSQL advisory lock on the bot
 * while it calls a backend for it, and writes what the backend observed back to the
 * database.  So a backend never has two concurrent calls for the SAME user, but may
 * have concurrent calls for different users (one orchestrator thread per bot action);
 * its `self` must be safe for that.
 *
 * Names.  Everything a backend creates is named after the user: process backend state
 * directory `<state_dir>/bot_user_<user_id>/`, container / service name
 * `bot_user_<user_id>` (as in the original platform).  So "one bot per user" is also
 * enforced by the engine's namespace: a second create for the same user finds the
 * first (409 on create -> inspect, then adopt if same run, else stop+remove) and never
 * makes two.
 *
 * What each operation maps to:
 *              process (here)            docker / podman          swarm                  kubernetes (later)
 *   start      posix_spawn supervisor    POST create + start      POST /services/create  apply Deployment replicas=1
 *                                                                 (or update: scale to 1,
 *                                                                 ForceUpdate for a new run)
 *   stop       SIGTERM, grace, SIGKILL   POST stop?t=grace        scale to 0             replicas=0 (terminationGracePeriod)
 *   inspect    pidfile + /proc + status  GET /containers/json     GET /tasks?service=    GET pods?labelSelector
 *   list       scan state_dir            GET /containers/json?filters=label=sath.bot  (ditto services / pods)
 *   logs       supervisor's log files    GET /logs?since&timestamps (8-byte frames)   service logs / pod logs
 *   remove     delete run dir            DELETE /containers/{id}  DELETE service       delete Deployment
 *
 * Return values: 0 on success, a negative errno-style code on failure (-ENOENT nothing
 * to act on, -EEXIST, -ETIMEDOUT, -ECONNREFUSED engine unreachable, -EINVAL bad spec,
 * -EIO engine error ...).  A failing call also fills `out->error` when it has an `out`,
 * and logs through sathd_log (log.h).  No function ever logs or returns a secret.
 *
 * Ownership: the orchestrator owns every string passed in; a backend copies what it
 * keeps.  `sathd_bot_observed` is a plain value (fixed arrays), owned by the caller.
 */
#ifndef SATHD_BOT_BACKEND_H
#define SATHD_BOT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the bot program is given, as environment variables (never secrets):
 *   SATH_BOT_ID, SATH_RUN_ID, SATH_USER_ID, SATH_BOT_MODE ("paper"|"live"), SATH_ADDR
 *   (sathd's gRPC address), and one of SATH_RUN_TOKEN_FD / SATH_RUN_TOKEN_FILE saying
 *   where to read the run token ONCE at start-up:
 *     process backend: SATH_RUN_TOKEN_FD=3, a pipe holding the token followed by EOF;
 *       the pipe is drained by the first read, so /proc/PID/fdinfo / a later reader
 *       learns nothing; the token is never in argv, environ or the log;
 *     container backends: each says in its file how (never Env, Cmd or labels, so
 *       `docker inspect` shows no token).
 * The run token is an opaque random string scoped to this one run; sathd keeps only its
 * hash (bot_runs.token_hash) and revokes it when the run ends. */
#define SATHD_BOT_ENV_BOT_ID "SATH_BOT_ID"
#define SATHD_BOT_ENV_RUN_ID "SATH_RUN_ID"
#define SATHD_BOT_ENV_USER_ID "SATH_USER_ID"
#define SATHD_BOT_ENV_MODE "SATH_BOT_MODE"
#define SATHD_BOT_ENV_ADDR "SATH_ADDR"
#define SATHD_BOT_ENV_TOKEN_FD "SATH_RUN_TOKEN_FD"
#define SATHD_BOT_ENV_TOKEN_FILE "SATH_RUN_TOKEN_FILE"

/* Labels every container / service of ours carries (container backends). */
#define SATHD_BOT_LABEL_USER "sath.user"
#define SATHD_BOT_LABEL_BOT "sath.bot"
#define SATHD_BOT_LABEL_RUN "sath.run"
#define SATHD_BOT_LABEL_MODE "sath.mode"

/* What to run for one user.  Strings are NUL-terminated and borrowed for the call. */
typedef struct sathd_bot_spec {
    const char *user_id, *bot_id, *run_id; /* canonical UUID strings */
    const char *mode;                      /* "paper" | "live" */
    const char *program;                   /* process backend: path of the bot binary */
    const char *image;                     /* container backends: SATH_BOT_IMAGE */
    const char *const *argv;               /* extra arguments after the program / image
                                              command, NULL-terminated or NULL; never secrets */
    const char *const *env;                /* "K=V", NULL-terminated or NULL: the SATH_* above
                                              (the orchestrator builds them); never secrets */
    const char *run_token;                 /* see above; delivered out of band, never env/argv */
    int64_t memory_bytes;                  /* 0 = backend default (process: RLIMIT_AS) */
    int64_t nano_cpus;                     /* 0 = no limit (process backend ignores it) */
    int pids_limit;                        /* 0 = backend default (process: RLIMIT_NPROC) */
    int open_files;                        /* 0 = backend default (process: RLIMIT_NOFILE) */
    int stop_grace_s;                      /* SIGTERM -> SIGKILL delay; 0 = backend default */
    const char *network_mode;              /* container backends; NULL = configured default */
    const char *placement_class;           /* cluster backends: the user's plan name, which
                                              configuration may map to placement constraints
                                              (SATH_SWARM_PLACEMENT); NULL = none */
} sathd_bot_spec;

typedef enum sathd_bot_obs_state {
    SATHD_BOT_OBS_ABSENT = 0, /* nothing of ours exists for that user */
    SATHD_BOT_OBS_PENDING,    /* created/scheduled, not running yet (swarm: task pending) */
    SATHD_BOT_OBS_RUNNING,
    SATHD_BOT_OBS_EXITED      /* ended; exit_code / oom_killed / error say how */
} sathd_bot_obs_state;

typedef struct sathd_bot_observed {
    sathd_bot_obs_state state;
    char user_id[37], run_id[37];          /* from labels / pidfile, for adoption ("" unknown) */
    char handle[72];                       /* pid ("12345") or container / service id */
    int64_t started_at_ms, finished_at_ms; /* unix ms, 0 = unknown / not yet */
    int exit_code;                         /* EXITED: 0..255, or 128+signal when killed
                                              by a signal (Docker's convention) */
    int oom_killed;                        /* 1 when the engine says the OOM killer ended it */
    char error[256];                       /* engine's reason, never a secret; "" if none */
    int restarts;                          /* SATHD_BOT_BE_ENGINE_MANAGED backends: times the
                                              engine restarted this run (its tasks beyond the
                                              first that it still lists); 0 for the others,
                                              whose restarts the orchestrator counts itself */
    char node[128];                        /* cluster backends: host name of the node the
                                              bot runs on (while running); "" = one host */
} sathd_bot_observed;

/* One log line, without its newline.  Return non-zero to stop the walk (the cursor then
 * points just after the last line delivered). */
typedef int (*sathd_bot_log_cb)(void *arg, int64_t time_ms, const char *stream /* "stdout" |
                                "stderr" */, const char *line, size_t len);
/* One bot of ours.  Return non-zero to stop the listing. */
typedef int (*sathd_bot_list_cb)(void *arg, const sathd_bot_observed *obs);

/* What a backend's engine does by itself (sathd_bot_backend_ops.flags). */
enum {
    /* The engine schedules and restarts the bot (Swarm, Kubernetes): PENDING is a normal,
     * possibly long state (no node fits yet) and not a reason to recreate; an EXITED
     * failure means the engine's own restart policy gave up, so the orchestrator's backoff
     * does not run again on top of it; a new run of the same user replaces the old one in
     * place (start() updates the service) instead of stop + remove + create. */
    SATHD_BOT_BE_ENGINE_MANAGED = 1u << 0,
};

typedef struct sathd_bot_backend_ops {
    const char *name; /* "process", "docker", "swarm" */
    unsigned flags;   /* SATHD_BOT_BE_* */
    /* Creates and starts the user's bot.  If one already exists for the user: same
     * run_id and still running -> adopt it (0, out RUNNING); otherwise stop + remove it
     * first.  Never two.  On success *out describes the new bot (RUNNING or PENDING). */
    int (*start)(void *self, const sathd_bot_spec *spec, sathd_bot_observed *out);
    /* Stops the user's bot: SIGTERM / engine stop, then kill after grace_s.  Waits for it
     * to be gone (at most grace_s + a few seconds).  0 also when it had already exited or
     * nothing exists (out ABSENT).  Does not remove it: its exit status stays inspectable. */
    int (*stop)(void *self, const char *user_id, int grace_s, sathd_bot_observed *out);
    /* What exists for the user now (ABSENT if nothing).  Cheap: called every poll. */
    int (*inspect)(void *self, const char *user_id, sathd_bot_observed *out);
    /* Calls cb for every bot of ours the engine knows (running or exited, not removed). */
    int (*list)(void *self, sathd_bot_list_cb cb, void *arg);
    /* Log lines of the user's bot written after *cursor, oldest first; updates *cursor.
     * The cursor is opaque to the caller, 0 = from the oldest line still kept; it stays
     * valid across orchestrator restarts (the orchestrator stores it in bot_runs) and, for
     * the same run, across log rotation.  `run_id` names the run whose lines are wanted
     * (a cursor of another run is meaningless); -ENOENT when that run has no log. */
    int (*logs)(void *self, const char *user_id, const char *run_id, uint64_t *cursor,
                sathd_bot_log_cb cb, void *arg);
    /* Forgets an exited (or stopped) bot and frees what it held: run directory /
     * container.  0 also when nothing exists.  -EBUSY while it still runs. */
    int (*remove)(void *self, const char *user_id);
    /* Frees the backend.  Running bots keep running (they outlive the orchestrator). */
    void (*destroy)(void *self);
} sathd_bot_backend_ops;

typedef struct sathd_bot_backend {
    const sathd_bot_backend_ops *ops;
    void *self;
} sathd_bot_backend;

/* Configuration for every backend (each reads the fields it needs; the orchestrator
 * fills it from SATH_* variables, see sath-orchestrator's --help).  Strings borrowed
 * for the call to *_new, which copies them. */
typedef struct sathd_bot_backend_config {
    /* process backend */
    const char *state_dir;       /* SATH_BOT_STATE_DIR: per-user run dirs, pidfiles, logs */
    const char *supervisor_path; /* path of sath-bot-supervisor; NULL = next to the
                                    running executable */
    const char *bot_user;        /* SATH_BOT_USER: drop to it when running as root */
    int64_t log_max_bytes;       /* SATH_BOT_LOG_MAX_BYTES: rotate a log file past this
                                    (0 = 8 MiB) */
    int log_keep;                /* SATH_BOT_LOG_KEEP: rotated files kept per run (0 = 3) */
    /* container backends */
    const char *docker_host;     /* SATH_DOCKER_HOST, default unix:///var/run/docker.sock */
    const char *image;           /* SATH_BOT_IMAGE (default image when spec->image NULL) */
    const char *network_mode;    /* SATH_BOT_NETWORK (default network mode) */
    /* defaults applied when the spec leaves them 0 */
    int64_t memory_bytes;
    int64_t nano_cpus;
    int pids_limit;
    int open_files;
    int stop_grace_s;
    /* the restart policy, for backends whose engine applies it (SATHD_BOT_BE_ENGINE_MANAGED) */
    int restart_max;             /* SATH_BOT_RESTART_MAX: attempts before the engine gives up */
    int restart_delay_ms;        /* SATH_BOT_BACKOFF_BASE_MS: delay between attempts */
    int restart_window_s;        /* SATH_BOT_RESTART_WINDOW_S */
    /* swarm backend */
    const char *swarm_constraints; /* SATH_SWARM_CONSTRAINTS: "c1,c2" for every bot, e.g.
                                      "node.labels.bots==true" */
    const char *swarm_spread;      /* SATH_SWARM_SPREAD: spread over this node label
                                      ("node.labels.zone"); NULL = none */
    const char *swarm_placement;   /* SATH_SWARM_PLACEMENT: "class=c1,c2;class2=c3": extra
                                      constraints for a plan name (or "live"/"paper") */
    int swarm_reserve_pct;         /* SATH_SWARM_RESERVE_PCT: Reservations as % of Limits */
} sathd_bot_backend_config;

/* Constructors.  0 and *out filled, or a negative errno-style code with a reason in
 * err (never a secret).  Free with out->ops->destroy(out->self). */
int sathd_bot_backend_process_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                  char *err, size_t errlen);
int sathd_bot_backend_docker_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                 char *err, size_t errlen);
int sathd_bot_backend_swarm_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                char *err, size_t errlen);
/* By name ("process", "docker", "swarm"): the constructor above, or -ENOENT for an unknown name. */
int sathd_bot_backend_open(const char *name, const sathd_bot_backend_config *cfg,
                           sathd_bot_backend *out, char *err, size_t errlen);

/* Helpers every backend uses. */
/* Name of the user's bot in the engine's namespace: "bot_user_<user_id>". */
int sathd_bot_name(const char *user_id, char *buf, size_t len);
/* Path of `name` in the running executable's directory, malloc'd, or NULL when there is
 * no executable file there. */
char *sathd_bot_exe_sibling(const char *name);
/* Current time, unix ms (CLOCK_REALTIME). */
int64_t sathd_bot_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_BOT_BACKEND_H */
