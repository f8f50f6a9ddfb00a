/*
 * backend_process.c - the embedded default bot backend: each bot is a local process,
 * started through sath-bot-supervisor (supervisor.c), which stays its parent, copies
 * its output into rotated log files and records how it ended.  Needs nothing
 * installed.  Layout of the state directory: proc_internal.h.
 *
 * Operations (see bot_backend.h):
 *   start    posix_spawn of the supervisor in a new session (it outlives us), the run
 *            token on its fd 3 through a pipe; its first line on stdout says "ok" with
 *            both pids and their /proc start times, which go into the pidfile.
 *   stop     SIGTERM to the supervisor (it forwards to the bot's process group and
 *            SIGKILLs the group after the grace period); if the supervisor is gone,
 *            the same done here on the bot's group.  Every signal is preceded by a
 *            start-time check, so a recycled pid is never signalled.
 *   inspect  pidfile + /proc/PID/stat + the supervisor's status record.
 *   list     every bot_user_* directory with a pidfile.
 *   logs     the run's log files from a cursor = (file number << 40) | byte offset.
 *   remove   the user's directory, once nothing runs.
 * Run token delivery: a pipe on the bot's fd 3 (SATH_RUN_TOKEN_FD=3), never argv/env.
 * Limits: memory_bytes as a memory cgroup per user when the orchestrator is root and the
 * machine has a memory controller (proc_memcg.c: going over it is an OOM kill, reported
 * as oom_killed), else as RLIMIT_AS (allocations past it fail; nothing is killed for it,
 * so oom_killed stays 0); RLIMIT_NOFILE (open_files), RLIMIT_NPROC (pids_limit; note that
 * the kernel counts it per uid, i.e. across all bots sharing SATH_BOT_USER).  As root,
 * the supervisor and the bot run as SATH_BOT_USER.
 */
#define _GNU_SOURCE /* pipe2, POSIX_SPAWN_SETSID, addclosefrom_np */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sathd/bot_backend.h"
#include "sathd/log.h"
#include "sathd/pg.h" /* sathd_uuid_valid */
#include "proc_internal.h"

#define START_TIMEOUT_MS 15000

typedef struct proc_backend {
    char *state_dir, *supervisor, *bot_user;
    int64_t log_max;
    int log_keep;
    int64_t memory_bytes;
    int pids_limit, open_files, stop_grace_s;
    int chown_run; /* root: the run directory belongs to the bot user */
    uid_t uid;
    gid_t gid;
} proc_backend;

typedef struct pidrec {
    char run[37];
    pid_t sup, bot;
    unsigned long long sup_start, bot_start;
    long long started_ms;
} pidrec;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int user_dir(const proc_backend *b, const char *user_id, char *buf, size_t len)
{
    char name[64];
    if (!user_id || !sathd_uuid_valid(user_id) || sathd_bot_name(user_id, name, sizeof name) != 0)
        return -EINVAL;
    int n = snprintf(buf, len, "%s/%s", b->state_dir, name);
    return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -EIO;
    buf[n] = '\0';
    return (int)n;
}

static int pid_read(const char *dir, pidrec *r)
{
    char path[600], buf[256];
    snprintf(path, sizeof path, "%s/pid", dir);
    memset(r, 0, sizeof *r);
    int n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return n;
    int sup = 0, bot = 0;
    if (sscanf(buf, "run=%36s sup=%d:%llu bot=%d:%llu started=%lld", r->run, &sup, &r->sup_start,
               &bot, &r->bot_start, &r->started_ms) != 6)
        return -EIO;
    r->sup = sup;
    r->bot = bot;
    return 0;
}

static int pid_write(const char *dir, const pidrec *r)
{
    char path[600], tmp[610], buf[256];
    snprintf(path, sizeof path, "%s/pid", dir);
    snprintf(tmp, sizeof tmp, "%s/pid.tmp", dir);
    int n = snprintf(buf, sizeof buf, "run=%s sup=%d:%llu bot=%d:%llu started=%lld\n", r->run,
                     (int)r->sup, r->sup_start, (int)r->bot, r->bot_start, r->started_ms);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    int ok = write(fd, buf, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0)
        return -EIO;
    return 0;
}

/* The supervisor's record; -1 when absent or still torn after a few tries. */
static int status_read(const char *dir, sathd_proc_status *st)
{
    char path[600], buf[SATHD_PROC_STATUS_SIZE + 1];
    snprintf(path, sizeof path, "%s/run/status", dir);
    for (int i = 0; i < 5; i++) {
        int n = read_small(path, buf, sizeof buf);
        if (n < 0)
            return -1;
        if (sathd_proc_status_parse(buf, (size_t)n, st) == 0)
            return 0;
        sleep_ms(2);
    }
    return -1;
}

static void observed_init(sathd_bot_observed *out, const char *user_id)
{
    memset(out, 0, sizeof *out);
    snprintf(out->user_id, sizeof out->user_id, "%s", user_id ? user_id : "");
}

static int observe_dir(const char *dir, const char *user_id, sathd_bot_observed *out)
{
    pidrec r;
    observed_init(out, user_id);
    int rc = pid_read(dir, &r);
    if (rc == -ENOENT)
        return 0; /* ABSENT */
    if (rc != 0) {
        snprintf(out->error, sizeof out->error, "unreadable pidfile in %s", dir);
        return rc;
    }
    snprintf(out->run_id, sizeof out->run_id, "%s", r.run);
    snprintf(out->handle, sizeof out->handle, "%d", (int)r.bot);
    out->started_at_ms = r.started_ms;
    unsigned long long start = 0;
    int zombie = 0;
    int alive = sathd_proc_start_time(r.bot, &start, &zombie) == 0 && start == r.bot_start;
    sathd_proc_status st;
    int have = status_read(dir, &st) == 0;
    if (alive && !(zombie && have && st.exited)) {
        out->state = SATHD_BOT_OBS_RUNNING;
        return 0;
    }
    /* a zombie bot: the supervisor is about to reap it and write the record */
    if (alive && zombie && sathd_proc_alive(r.sup, r.sup_start)) {
        out->state = SATHD_BOT_OBS_RUNNING;
        return 0;
    }
    if (!have || !st.exited) {
        /* the supervisor has just written it, or was killed with the bot */
        if (sathd_proc_alive(r.sup, r.sup_start)) {
            out->state = SATHD_BOT_OBS_RUNNING;
            return 0;
        }
        out->state = SATHD_BOT_OBS_EXITED;
        out->exit_code = 255;
        snprintf(out->error, sizeof out->error,
                 "bot and its supervisor vanished; exit status unknown");
        return 0;
    }
    out->state = SATHD_BOT_OBS_EXITED;
    out->exit_code = st.code;
    out->finished_at_ms = st.finished_ms;
    out->oom_killed = st.oom;
    if (st.oom && st.sig)
        snprintf(out->error, sizeof out->error,
                 "killed by the out-of-memory killer: over its memory limit (signal %d)", st.sig);
    else if (st.oom) /* a process of the bot's was killed; the bot itself exited */
        snprintf(out->error, sizeof out->error,
                 "out-of-memory kill in its memory limit, then exited with code %d", st.code);
    else if (st.sig)
        snprintf(out->error, sizeof out->error, "killed by signal %d%s", st.sig,
                 st.sig == SIGKILL ? " (SIGKILL: stop timeout, or the kernel's OOM killer)" : "");
    else if (st.code)
        snprintf(out->error, sizeof out->error, "exited with code %d", st.code);
    return 0;
}

static int p_inspect(void *self, const char *user_id, sathd_bot_observed *out)
{
    char dir[512];
    int rc = user_dir(self, user_id, dir, sizeof dir);
    if (rc != 0) {
        observed_init(out, user_id);
        return rc;
    }
    return observe_dir(dir, user_id, out);
}

static int p_stop(void *self, const char *user_id, int grace_s, sathd_bot_observed *out)
{
    proc_backend *b = self;
    char dir[512];
    pidrec r;
    int rc = user_dir(b, user_id, dir, sizeof dir);
    if (rc != 0)
        return rc;
    if (grace_s <= 0)
        grace_s = b->stop_grace_s;
    if (pid_read(dir, &r) != 0)
        return observe_dir(dir, user_id, out);
    int64_t deadline = mono_ms() + (int64_t)grace_s * 1000 + 3000;
    int sup_alive = sathd_proc_alive(r.sup, r.sup_start);
    if (sup_alive)
        kill(r.sup, SIGTERM);
    else if (sathd_proc_alive(r.bot, r.bot_start))
        kill(-r.bot, SIGTERM); /* orphaned bot: we do the supervisor's job */
    int killed = 0;
    for (;;) {
        int bot_alive = sathd_proc_alive(r.bot, r.bot_start);
        sup_alive = sathd_proc_alive(r.sup, r.sup_start);
        if (!bot_alive && !sup_alive)
            break;
        int64_t now = mono_ms();
        if (!killed && now >= deadline - 2500 && bot_alive) {
            kill(-r.bot, SIGKILL);
            killed = 1;
        }
        if (now >= deadline) {
            if (sup_alive)
                kill(r.sup, SIGKILL);
            break;
        }
        sleep_ms(20);
    }
    rc = observe_dir(dir, user_id, out);
    if (rc == 0 && out->state == SATHD_BOT_OBS_RUNNING) {
        snprintf(out->error, sizeof out->error, "bot did not stop within %ds", grace_s + 3);
        return -ETIMEDOUT;
    }
    return rc;
}

static int rm_tree_at(int parent, const char *name)
{
    int fd = openat(parent, name, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return unlinkat(parent, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (rm_tree_at(dirfd(d), e->d_name) != 0)
            rc = -EIO;
    }
    closedir(d);
    if (unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -errno;
    return rc;
}

static int p_remove(void *self, const char *user_id)
{
    proc_backend *b = self;
    char dir[512], name[64];
    sathd_bot_observed o;
    int rc = user_dir(b, user_id, dir, sizeof dir);
    if (rc != 0)
        return rc;
    if ((rc = observe_dir(dir, user_id, &o)) != 0)
        return rc;
    if (o.state == SATHD_BOT_OBS_RUNNING)
        return -EBUSY;
    int sd = open(b->state_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (sd < 0)
        return -errno;
    sathd_bot_name(user_id, name, sizeof name);
    rc = rm_tree_at(sd, name);
    close(sd);
    /* its memory cgroup (best effort: none without root, or a straggler still exiting) */
    char cg[96];
    snprintf(cg, sizeof cg, SATHD_PROC_MEMCG_PREFIX "%s", user_id);
    sathd_proc_memcg_remove(cg);
    return rc;
}

static int mkdir_owned(const proc_backend *b, const char *path, mode_t mode, int to_bot)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return -errno;
    if (to_bot && b->chown_run && chown(path, b->uid, b->gid) != 0)
        return -errno;
    return 0;
}

/* The supervisor's arguments (argv strings in `bufs`, which must outlive the spawn);
 * malloc'd array, NULL on OOM. */
typedef struct sup_args {
    char run_dir[600], grace[16], logmax[24], logkeep[16], as[24], nofile[16], nproc[16];
    char memcg[96];
} sup_args;

static const char **supervisor_argv(const proc_backend *b, const sathd_bot_spec *spec,
                                    const char *dir, sup_args *x)
{
    snprintf(x->run_dir, sizeof x->run_dir, "%s/run", dir);
    snprintf(x->grace, sizeof x->grace, "%d", spec->stop_grace_s > 0 ? spec->stop_grace_s : b->stop_grace_s);
    snprintf(x->logmax, sizeof x->logmax, "%lld", (long long)b->log_max);
    snprintf(x->logkeep, sizeof x->logkeep, "%d", b->log_keep);
    snprintf(x->as, sizeof x->as, "%lld",
             (long long)(spec->memory_bytes ? spec->memory_bytes : b->memory_bytes));
    snprintf(x->nofile, sizeof x->nofile, "%d", spec->open_files ? spec->open_files : b->open_files);
    snprintf(x->nproc, sizeof x->nproc, "%d", spec->pids_limit ? spec->pids_limit : b->pids_limit);
    snprintf(x->memcg, sizeof x->memcg, SATHD_PROC_MEMCG_PREFIX "%s", spec->user_id);
    const char *fixed[] = {b->supervisor, "--run-dir", x->run_dir, "--run", spec->run_id,
                           "--program", spec->program, "--grace", x->grace, "--log-max", x->logmax,
                           "--log-keep", x->logkeep, "--as", x->as, "--memcg", x->memcg,
                           "--nofile", x->nofile, "--nproc", x->nproc};
    size_t nf = sizeof fixed / sizeof *fixed, na = 0;
    while (spec->argv && spec->argv[na])
        na++;
    const char **argv = calloc(nf + 4 + na, sizeof *argv);
    if (!argv)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < nf; i++)
        argv[k++] = fixed[i];
    if (b->chown_run) {
        argv[k++] = "--user";
        argv[k++] = b->bot_user;
    }
    argv[k++] = "--";
    for (size_t i = 0; i < na; i++)
        argv[k++] = spec->argv[i];
    return argv;
}

/* Reads the supervisor's verdict line ("ok SUP START BOT START" / "error MSG") within
 * START_TIMEOUT_MS; 0 with *r filled, or -EIO / -ETIMEDOUT with the reason in err. */
static int read_verdict(int fd, pid_t pid, pidrec *r, char *err, size_t errlen)
{
    char line[512];
    size_t len = 0;
    int64_t deadline = mono_ms() + START_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - mono_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            snprintf(err, errlen, "supervisor did not answer within %d ms", START_TIMEOUT_MS);
            kill(pid, SIGKILL);
            return -ETIMEDOUT;
        }
        ssize_t n = read(fd, line + len, sizeof line - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (len += (size_t)n) >= sizeof line - 1)
            break;
    }
    line[len] = '\0';
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = '\0';
    int sup = 0, bot = 0;
    if (sscanf(line, "ok %d %llu %d %llu", &sup, &r->sup_start, &bot, &r->bot_start) == 4) {
        r->sup = sup;
        r->bot = bot;
        return 0;
    }
    snprintf(err, errlen, "%.200s", strncmp(line, "error ", 6) == 0 ? line + 6
                                    : "supervisor failed without a reason");
    return -EIO;
}

/* Runs the supervisor (the token on its fd 3) and reads its verdict. */
static int spawn_supervisor(proc_backend *b, const sathd_bot_spec *spec, const char *dir,
                            pidrec *r, char *err, size_t errlen)
{
    sup_args x;
    const char **argv = supervisor_argv(b, spec, dir, &x);
    if (!argv)
        return -ENOMEM;
    static const char *const no_env[] = {NULL};
    int tp[2] = {-1, -1}, op[2] = {-1, -1};
    int rc = -EIO;
    pid_t pid = -1;
    if (pipe2(tp, O_CLOEXEC) != 0 || pipe2(op, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto out;
    }
    tp[0] = sathd_proc_fd_high(tp[0]); /* the spawn's dup2s write fds 0..3 */
    op[1] = sathd_proc_fd_high(op[1]);
    const char *tok = spec->run_token ? spec->run_token : "";
    if (write(tp[1], tok, strlen(tok)) != (ssize_t)strlen(tok)) {
        snprintf(err, errlen, "token pipe: %s", strerror(errno));
        goto out;
    }
    close(tp[1]);
    tp[1] = -1;
    /* the supervisor's stdout carries its verdict; fd 3 the token */
    int fds[3] = {op[1], -1, tp[0]};
    int sr = sathd_proc_spawn(&pid, b->supervisor, fds, 3, 0, (char *const *)argv,
                              (char *const *)(spec->env ? spec->env : no_env));
    close(op[1]);
    op[1] = -1;
    if (sr != 0) {
        snprintf(err, errlen, "starting %s: %s", b->supervisor, strerror(sr));
        pid = -1;
        goto out;
    }
    rc = read_verdict(op[0], pid, r, err, errlen);
out:
    if (pid > 0)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
    for (int i = 0; i < 2; i++) {
        if (tp[i] >= 0)
            close(tp[i]);
        if (op[i] >= 0)
            close(op[i]);
    }
    free(argv);
    return rc;
}

static int p_start(void *self, const sathd_bot_spec *spec, sathd_bot_observed *out)
{
    proc_backend *b = self;
    char dir[512], sub[600];
    observed_init(out, spec->user_id);
    int rc = user_dir(b, spec->user_id, dir, sizeof dir);
    if (rc != 0 || !spec->run_id || !sathd_uuid_valid(spec->run_id) || !spec->program ||
        !*spec->program) {
        snprintf(out->error, sizeof out->error, "invalid bot spec");
        return rc ? rc : -EINVAL;
    }
    if ((rc = observe_dir(dir, spec->user_id, out)) != 0)
        return rc;
    if (out->state == SATHD_BOT_OBS_RUNNING && strcmp(out->run_id, spec->run_id) == 0)
        return 0; /* adopt: it is the run we were asked for */
    if (out->state == SATHD_BOT_OBS_RUNNING &&
        (rc = p_stop(b, spec->user_id, spec->stop_grace_s, out)) != 0)
        return rc;
    if (out->state != SATHD_BOT_OBS_ABSENT && (rc = p_remove(b, spec->user_id)) != 0) {
        snprintf(out->error, sizeof out->error, "cannot clear the previous bot's state");
        return rc;
    }
    observed_init(out, spec->user_id);
    snprintf(sub, sizeof sub, "%s/run", dir);
    if ((rc = mkdir_owned(b, dir, 0755, 0)) != 0 || (rc = mkdir_owned(b, sub, 0750, 1)) != 0) {
        snprintf(out->error, sizeof out->error, "state directory: %s", strerror(-rc));
        return rc;
    }
    pidrec r;
    memset(&r, 0, sizeof r);
    snprintf(r.run, sizeof r.run, "%s", spec->run_id);
    r.started_ms = sathd_bot_now_ms();
    if ((rc = spawn_supervisor(b, spec, dir, &r, out->error, sizeof out->error)) != 0) {
        sathd_log(SATHD_LOG_WARN, "msg=\"bot start failed\" backend=process user=%s run=%s reason=\"%s\"",
                  spec->user_id, spec->run_id, out->error);
        return rc;
    }
    if ((rc = pid_write(dir, &r)) != 0) {
        snprintf(out->error, sizeof out->error, "cannot write the pidfile");
        if (sathd_proc_alive(r.sup, r.sup_start))
            kill(r.sup, SIGKILL);
        if (sathd_proc_alive(r.bot, r.bot_start))
            kill(-r.bot, SIGKILL);
        return rc;
    }
    return observe_dir(dir, spec->user_id, out);
}

static int p_list(void *self, sathd_bot_list_cb cb, void *arg)
{
    proc_backend *b = self;
    DIR *d = opendir(b->state_dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        const char *uid = e->d_name + 9;
        if (strncmp(e->d_name, "bot_user_", 9) != 0 || !sathd_uuid_valid(uid))
            continue;
        char dir[512];
        sathd_bot_observed o;
        if (user_dir(b, uid, dir, sizeof dir) != 0 || observe_dir(dir, uid, &o) != 0 ||
            o.state == SATHD_BOT_OBS_ABSENT)
            continue;
        if (cb(arg, &o) != 0)
            break;
    }
    closedir(d);
    return rc;
}

#define CURSOR_FILE(c) ((unsigned)((c) >> 40))
#define CURSOR_OFF(c) ((c) & ((1ULL << 40) - 1))
#define CURSOR(n, off) (((uint64_t)(n) << 40) | (uint64_t)(off))

/* Smallest log number >= n that exists in dirfd, or -1. */
static long next_log(int dfd, unsigned n)
{
    DIR *d = fdopendir(dup(dfd));
    if (d) /* a dup shares the directory offset: start from the top */
        rewinddir(d);
    long best = -1;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        unsigned v;
        if (sscanf(e->d_name, "log.%u", &v) == 1 && v >= n && (best < 0 || v < (unsigned long)best))
            best = v;
    }
    if (d)
        closedir(d);
    return best;
}

/* Delivers complete lines of `fd` from `off`; returns the new offset. */
static long long pump_file(int fd, long long off, sathd_bot_log_cb cb, void *arg, int *stop)
{
    static const size_t cap = 64 * 1024;
    char *buf = malloc(cap);
    if (!buf)
        return off;
    size_t have = 0;
    for (;;) {
        ssize_t n = pread(fd, buf + have, cap - have, off + (long long)have);
        if (n <= 0)
            break;
        have += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            int64_t ms = 0;
            int is_err = 0;
            const char *text = NULL;
            size_t tl = 0;
            if (sathd_proc_log_parse(buf + start, i - start, &ms, &is_err, &text, &tl) == 0) {
                if (cb(arg, ms, is_err ? "stderr" : "stdout", text, tl)) {
                    off += (long long)(i + 1);
                    *stop = 1;
                    free(buf);
                    return off;
                }
            }
            start = i + 1;
        }
        off += (long long)start;
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == cap) { /* the writer splits lines far below this: garbage, skip it */
            off += (long long)cap;
            have = 0;
        }
    }
    free(buf);
    return off;
}

static int p_logs(void *self, const char *user_id, const char *run_id, uint64_t *cursor,
                  sathd_bot_log_cb cb, void *arg)
{
    proc_backend *b = self;
    char dir[512], path[700];
    int rc = user_dir(b, user_id, dir, sizeof dir);
    if (rc != 0)
        return rc;
    if (!run_id || !sathd_uuid_valid(run_id))
        return -EINVAL;
    snprintf(path, sizeof path, "%s/run/%s", dir, run_id);
    int dfd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0)
        return -ENOENT;
    unsigned n = CURSOR_FILE(*cursor);
    long long off = (long long)CURSOR_OFF(*cursor);
    int stop = 0;
    for (;;) {
        long have = next_log(dfd, n);
        if (have < 0)
            break;
        if ((unsigned)have != n) { /* rotated away before we read it: lines lost there */
            n = (unsigned)have;
            off = 0;
        }
        char name[16];
        sathd_proc_log_name(n, name);
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            break;
        off = pump_file(fd, off, cb, arg, &stop);
        close(fd);
        /* move on only when a later file exists: the writer has finished this one */
        if (stop || next_log(dfd, n + 1) < 0)
            break;
        n++;
        off = 0;
    }
    close(dfd);
    *cursor = CURSOR(n, off);
    return 0;
}

static void p_destroy(void *self)
{
    proc_backend *b = self;
    if (!b)
        return;
    free(b->state_dir);
    free(b->supervisor);
    free(b->bot_user);
    free(b);
}

static const sathd_bot_backend_ops process_ops = {
    .name = "process",
    .start = p_start,
    .stop = p_stop,
    .inspect = p_inspect,
    .list = p_list,
    .logs = p_logs,
    .remove = p_remove,
    .destroy = p_destroy,
};

int sathd_bot_backend_process_new(const sathd_bot_backend_config *cfg, sathd_bot_backend *out,
                                  char *err, size_t errlen)
{
    if (!cfg || !cfg->state_dir || !*cfg->state_dir) {
        snprintf(err, errlen, "the process backend needs a state directory (SATH_BOT_STATE_DIR)");
        return -EINVAL;
    }
    proc_backend *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    b->state_dir = strdup(cfg->state_dir);
    b->supervisor = cfg->supervisor_path ? strdup(cfg->supervisor_path)
                                      : sathd_bot_exe_sibling("sath-bot-supervisor");
    b->bot_user = strdup(cfg->bot_user && *cfg->bot_user ? cfg->bot_user : "nobody");
    b->log_max = cfg->log_max_bytes > 0 ? cfg->log_max_bytes : 8 << 20;
    b->log_keep = cfg->log_keep > 0 ? cfg->log_keep : 3;
    b->memory_bytes = cfg->memory_bytes; /* 0: no address-space limit */
    b->pids_limit = cfg->pids_limit > 0 ? cfg->pids_limit : 4096;
    b->open_files = cfg->open_files > 0 ? cfg->open_files : 1024;
    b->stop_grace_s = cfg->stop_grace_s > 0 ? cfg->stop_grace_s : 10;
    if (!b->state_dir || !b->supervisor || !b->bot_user) {
        p_destroy(b);
        snprintf(err, errlen, "out of memory, or cannot locate sath-bot-supervisor");
        return -ENOMEM;
    }
    if (access(b->supervisor, X_OK) != 0) {
        snprintf(err, errlen, "sath-bot-supervisor not executable at %s", b->supervisor);
        p_destroy(b);
        return -ENOENT;
    }
    if (mkdir(b->state_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "state directory %s: %s", b->state_dir, strerror(errno));
        p_destroy(b);
        return -errno;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(b->bot_user);
        if (!pw || pw->pw_uid == 0) {
            snprintf(err, errlen, "SATH_BOT_USER %s: %s", b->bot_user,
                     pw ? "must not be root" : "no such user");
            p_destroy(b);
            return -EINVAL;
        }
        b->chown_run = 1;
        b->uid = pw->pw_uid;
        b->gid = pw->pw_gid;
    }
    out->ops = &process_ops;
    out->self = b;
    return 0;
}
