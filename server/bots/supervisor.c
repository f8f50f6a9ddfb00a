/*
 * supervisor.c - sath-bot-supervisor: the tiny parent of one bot process (what conmon
 * is to a podman container).  The process backend starts one per run attempt; it
 * outlives the orchestrator, so a bot's output and exit status are never lost when
 * sath-orchestrator restarts.
 *
 *   sath-bot-supervisor --run-dir DIR --run RUN_ID --program PATH [--grace S]
 *       [--log-max BYTES] [--log-keep N] [--user NAME] [--as BYTES [--memcg NAME]]
 *       [--nofile N] [--nproc N] [-- BOT_ARGS...]
 *
 * Memory: --as BYTES is the bot's memory limit.  With --memcg and root, it is the hard
 * limit of memory cgroup NAME (proc_memcg.c) and a bot going over it is killed by the
 * kernel's OOM killer, which the status record reports (oom=1); otherwise it is the
 * bot's RLIMIT_AS, under which allocations past the limit fail and nothing is killed
 * for it.  The log says which applies.
 *
 * fd 3 holds the run token (a pipe, read to EOF).  The environment is passed to the bot
 * as is, plus SATH_RUN_TOKEN_FD=3: the bot reads its token from a fresh pipe on its fd
 * 3, so the token is never in any argv, environ or file.
 *
 * What it does: forks; the child (the supervisor proper) drops to --user when root,
 * sets the rlimits, posix_spawns the bot in its own session and process group with
 * stdout/stderr on pipes, reports "ok SUP_PID SUP_START BOT_PID BOT_START" (or "error
 * MSG") through the parent, which prints it on stdout and exits, so the caller learns
 * the outcome synchronously and never has a long-lived child to reap.  Then it copies
 * the bot's output line by line, time-stamped, into size-rotated log files
 * (proc_internal.h), forwards SIGTERM to the bot's process group, SIGKILLs the group
 * after the grace period, and on exit writes the status record and leaves.
 */
#define _GNU_SOURCE /* pipe2, POSIX_SPAWN_SETSID, addclosefrom_np, prlimit */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc_internal.h"

extern char **environ;

typedef struct opts {
    const char *run_dir, *run, *program, *user, *memcg;
    int grace_s, log_keep;
    long long log_max, as_bytes;
    long nofile, nproc;
    char **bot_args;
} opts;

typedef struct logw {
    int dirfd, fd;
    unsigned n;
    long long size, max;
    int keep;
} logw;

typedef struct stream {
    int fd;
    char tag; /* 'o' | 'e' */
    char buf[SATHD_PROC_LINE_MAX];
    size_t len;
} stream;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int log_open(logw *l)
{
    char name[16];
    sathd_proc_log_name(l->n, name);
    l->fd = openat(l->dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    l->size = 0;
    if (l->fd >= 0) {
        struct stat st;
        if (fstat(l->fd, &st) == 0)
            l->size = st.st_size;
    }
    /* the oldest beyond `keep` go */
    if (l->n >= (unsigned)l->keep) {
        sathd_proc_log_name(l->n - (unsigned)l->keep, name);
        unlinkat(l->dirfd, name, 0);
    }
    return l->fd >= 0 ? 0 : -1;
}

/* Opens the first number after every existing file (a new attempt of the same run
 * continues the numbering, so the reader's cursor stays meaningful). */
static int log_init(logw *l)
{
    DIR *d = fdopendir(dup(l->dirfd));
    if (d) /* a dup shares the directory offset: start from the top */
        rewinddir(d);
    unsigned next = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        unsigned v;
        if (sscanf(e->d_name, "log.%u", &v) == 1 && v + 1 > next)
            next = v + 1;
    }
    if (d)
        closedir(d);
    l->n = next;
    return log_open(l);
}

static void log_line(logw *l, char tag, const char *p, size_t n)
{
    char head[32];
    int h = snprintf(head, sizeof head, "%lld %c ", (long long)now_ms(), tag);
    if (l->fd < 0)
        return;
    /* one write of the whole record: a reader never sees half a line */
    char *rec = malloc((size_t)h + n + 1);
    if (!rec)
        return;
    memcpy(rec, head, (size_t)h);
    memcpy(rec + h, p, n);
    rec[(size_t)h + n] = '\n';
    if (write_all(l->fd, rec, (size_t)h + n + 1) == 0)
        l->size += h + (long long)n + 1;
    free(rec);
    if (l->size >= l->max) {
        close(l->fd);
        l->n++;
        log_open(l);
    }
}

static void say(logw *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(logw *l, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n > 0)
        log_line(l, 'e', msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

/* Reads what is there; returns 0 at EOF. */
static int stream_pump(stream *s, logw *l)
{
    char buf[8192];
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0) {
        if (s->len)
            log_line(l, s->tag, s->buf, s->len);
        s->len = 0;
        return 0;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || s->len == sizeof s->buf) {
            log_line(l, s->tag, s->buf, s->len);
            s->len = 0;
            if (buf[i] == '\n')
                continue;
        }
        s->buf[s->len++] = buf[i];
    }
    return 1;
}

static void status_write(int fd, const sathd_proc_status *st)
{
    char rec[SATHD_PROC_STATUS_SIZE];
    sathd_proc_status_format(st, rec);
    if (pwrite(fd, rec, sizeof rec, 0) != (ssize_t)sizeof rec)
        return;
    fsync(fd);
}

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->grace_s = 10;
    o->log_max = 8 << 20;
    o->log_keep = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            o->bot_args = argv + i + 1;
            break;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--run-dir") == 0) o->run_dir = v;
        else if (strcmp(a, "--run") == 0) o->run = v;
        else if (strcmp(a, "--program") == 0) o->program = v;
        else if (strcmp(a, "--user") == 0) o->user = v;
        else if (strcmp(a, "--grace") == 0) o->grace_s = atoi(v);
        else if (strcmp(a, "--log-max") == 0) o->log_max = atoll(v);
        else if (strcmp(a, "--log-keep") == 0) o->log_keep = atoi(v);
        else if (strcmp(a, "--as") == 0) o->as_bytes = atoll(v);
        else if (strcmp(a, "--memcg") == 0) o->memcg = v;
        else if (strcmp(a, "--nofile") == 0) o->nofile = atol(v);
        else if (strcmp(a, "--nproc") == 0) o->nproc = atol(v);
        else return -1;
    }
    if (!o->run_dir || !o->run || !o->program || strchr(o->run, '/') || !*o->run)
        return -1;
    if (o->grace_s < 0) o->grace_s = 0;
    if (o->log_max < 4096) o->log_max = 4096;
    if (o->log_keep < 1) o->log_keep = 1;
    return 0;
}

static int drop_to(const char *user, char *err, size_t errlen)
{
    if (geteuid() != 0 || !user || !*user)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "no such user %s (SATH_BOT_USER)", user);
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "SATH_BOT_USER %s is root", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
        setuid(0) == 0) {
        snprintf(err, errlen, "dropping to %s: %s", user, strerror(errno));
        return -1;
    }
    /* a uid change makes us non-dumpable, which turns /proc/self/fd (needed to exec the
     * program opened before the drop) root's; we are the bot user's now anyway */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    return 0;
}

static int limit(int res, long long v)
{
    if (v <= 0)
        return 0;
    struct rlimit rl = {(rlim_t)v, (rlim_t)v};
    return setrlimit(res, &rl);
}

/* Drops to the bot user (when root), opens the run's log and status files (as that
 * user) and sets the limits the bot inherits.  0, or -1 with the reason in err. */
static int drop_and_open(const opts *o, logw *lg, int *statusfd, char *err, size_t errlen)
{
    /* opened before the drop: the path above it may not be searchable by the bot user */
    int rundir = open(o->run_dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (drop_to(o->user, err, errlen) != 0)
        return -1;
    if (rundir < 0 || (mkdirat(rundir, o->run, 0750) != 0 && errno != EEXIST) ||
        (lg->dirfd = openat(rundir, o->run, O_DIRECTORY | O_RDONLY | O_CLOEXEC)) < 0 ||
        (*statusfd = openat(rundir, "status", O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
        log_init(lg) != 0) {
        snprintf(err, errlen, "state directory %s: %s", o->run_dir, strerror(errno));
        return -1;
    }
    close(rundir);
    /* open files and processes: set here, inherited by the bot.  The address space is
     * set on the bot alone right after the spawn (prlimit in launch): on ourselves it
     * would also bind this process, which under ASan reserves terabytes of address space. */
    if (limit(RLIMIT_NOFILE, o->nofile) || limit(RLIMIT_NPROC, o->nproc)) {
        snprintf(err, errlen, "setrlimit: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The memory limit on the spawned bot: its cgroup when we have one, else RLIMIT_AS.
 * 0, or -1 (the bot is killed) with the reason in err. */
static int bind_memory(const opts *o, sathd_proc_memcg *cg, logw *lg, pid_t bot, char *err,
                       size_t errlen)
{
    if (cg->dir[0] && sathd_proc_memcg_enter(cg, bot) == 0) {
        say(lg, "sath-bot-supervisor: memory limit %lld bytes (cgroup v%d %s)", o->as_bytes,
            cg->version, cg->dir);
        return 0;
    }
    if (cg->dir[0]) {
        say(lg, "sath-bot-supervisor: cannot enter memory cgroup %s: %s", cg->dir, strerror(errno));
        cg->dir[0] = '\0';
    }
    if (o->as_bytes <= 0)
        return 0;
    struct rlimit rl = {(rlim_t)o->as_bytes, (rlim_t)o->as_bytes};
    if (prlimit(bot, RLIMIT_AS, &rl, NULL) != 0) {
        kill(-bot, SIGKILL);
        snprintf(err, errlen, "prlimit(RLIMIT_AS): %s", strerror(errno));
        return -1;
    }
    say(lg, "sath-bot-supervisor: memory limit %lld bytes (RLIMIT_AS: allocations past it fail)",
        o->as_bytes);
    return 0;
}

/* Everything up to the bot running; on failure a reason in err. */
static int launch(const opts *o, const char *token, int statusfd_out[1], logw *lg, stream *out,
                  stream *errs, sathd_proc_memcg *cg, pid_t *bot, char *err, size_t errlen)
{
    int progfd = sathd_proc_fd_high(open(o->program, O_RDONLY | O_CLOEXEC));
    if (progfd < 0) {
        snprintf(err, errlen, "bot program %s: %s", o->program, strerror(errno));
        return -1;
    }
    int dropping = geteuid() == 0 && o->user && *o->user;
    /* the cgroup needs root: made before the drop, the bot put in after the spawn */
    char cgerr[256] = "";
    if (o->memcg && o->as_bytes > 0 && geteuid() == 0)
        sathd_proc_memcg_open(cg, o->memcg, o->as_bytes, cgerr, sizeof cgerr);
    if (drop_and_open(o, lg, statusfd_out, err, errlen) != 0)
        return -1;
    if (*cgerr)
        say(lg, "sath-bot-supervisor: %s", cgerr);
    int po[2], pe[2], pt[2];
    if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || pipe2(pt, O_CLOEXEC)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /* the spawn's dup2s write fds 0..4: no source may sit there */
    po[1] = sathd_proc_fd_high(po[1]);
    pe[1] = sathd_proc_fd_high(pe[1]);
    pt[0] = sathd_proc_fd_high(pt[0]);
    /* the token goes into the bot's pipe now (a pipe holds 64 KiB; a token is < 1 KiB) */
    if (write_all(pt[1], token, strlen(token)) != 0) {
        snprintf(err, errlen, "token pipe: %s", strerror(errno));
        return -1;
    }
    close(pt[1]);
    /* after the drop the program's directory may not be searchable by the bot user:
     * then execute the file we opened before it, as fd 4 (which the bot inherits) */
    int viafd = dropping && access(o->program, X_OK) != 0;
    int fds[4] = {po[1], pe[1], pt[0], progfd};
    /* our environment plus the token's fd */
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **env = calloc(ne + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; env && i < ne; i++)
        if (strncmp(environ[i], "SATH_RUN_TOKEN", 14) != 0)
            env[k++] = environ[i];
    if (env)
        env[k++] = (char *)"SATH_RUN_TOKEN_FD=3";
    size_t na = 0;
    while (o->bot_args && o->bot_args[na])
        na++;
    char **argv = calloc(na + 2, sizeof *argv);
    if (!env || !argv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    argv[0] = (char *)o->program;
    for (size_t i = 0; i < na; i++)
        argv[i + 1] = o->bot_args[i];
    int rc = sathd_proc_spawn(bot, viafd ? "/proc/self/fd/4" : o->program, fds, viafd ? 4 : 3, 1,
                              argv, env);
    free(env);
    free(argv);
    close(progfd);
    close(po[1]);
    close(pe[1]);
    close(pt[0]);
    if (rc != 0) {
        snprintf(err, errlen, "starting %s: %s", o->program, strerror(rc));
        return -1;
    }
    /* posix_spawn returns once the bot has exec'd (glibc's CLONE_VFORK): it has had no
     * time to allocate much, and from here on it is bound */
    if (bind_memory(o, cg, lg, *bot, err, errlen) != 0)
        return -1;
    out->fd = po[0];
    out->tag = 'o';
    errs->fd = pe[0];
    errs->tag = 'e';
    return 0;
}

/* Reads fd to EOF (or until cap - 1 bytes) into a NUL-terminated buf; the length. */
static size_t read_to_eof(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return len;
}

/* The first process: prints the supervisor's verdict ("ok ..." / "error ...") once the
 * child has the bot running, and exits with it. */
static int relay(int rd)
{
    char msg[512];
    if (read_to_eof(rd, msg, sizeof msg) == 0)
        snprintf(msg, sizeof msg, "error supervisor died while starting the bot\n");
    fputs(msg, stdout);
    return strncmp(msg, "ok ", 3) == 0 ? 0 : 1;
}

/* Copies the bot's output until it has exited and its pipes are drained (at most a
 * second after the exit); SIGTERM/SIGINT start the stop: SIGTERM to the bot's group,
 * SIGKILL after the grace period.  Returns the bot's wait status. */
static int watch(const opts *o, int sfd, pid_t bot, logw *lg, stream *out, stream *errs)
{
    int exited = 0, wstatus = 0;
    int64_t kill_at = 0, drain_until = 0;
    int open_o = 1, open_e = 1;
    while (!exited || ((open_o || open_e) && mono_ms() < drain_until)) {
        struct pollfd p[3] = {{sfd, POLLIN, 0}, {open_o ? out->fd : -1, POLLIN, 0},
                              {open_e ? errs->fd : -1, POLLIN, 0}};
        int timeout = -1;
        int64_t now = mono_ms();
        if (kill_at)
            timeout = kill_at > now ? (int)(kill_at - now) : 0;
        if (exited)
            timeout = drain_until > now ? (int)(drain_until - now) : 0;
        if (poll(p, 3, timeout) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            open_o = stream_pump(out, lg);
        if (p[2].revents)
            open_e = stream_pump(errs, lg);
        struct signalfd_siginfo si;
        if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof si) == (ssize_t)sizeof si &&
            (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) && !kill_at && !exited) {
            say(lg, "sath-bot-supervisor: stopping the bot (SIGTERM, grace %ds)", o->grace_s);
            kill(-bot, SIGTERM);
            kill_at = mono_ms() + (int64_t)o->grace_s * 1000;
        }
        if (!exited && waitpid(bot, &wstatus, WNOHANG) == bot) {
            exited = 1;
            /* whatever the bot left in its group would hold the pipes open */
            kill(-bot, SIGKILL);
            drain_until = mono_ms() + 1000;
        }
        if (kill_at && !exited && mono_ms() >= kill_at) {
            say(lg, "sath-bot-supervisor: grace period over, SIGKILL");
            kill(-bot, SIGKILL);
            kill_at = 0;
        }
    }
    return wstatus;
}

/* The status record and the log line saying how the bot ended. */
static void record_end(int statusfd, logw *lg, int wstatus, const sathd_proc_memcg *cg)
{
    sathd_proc_status st = {.exited = 1, .finished_ms = now_ms()};
    /* the cgroup holds this bot only (the user's previous run has ended): a kill counted
     * since it started is this bot's */
    st.oom = cg->dir[0] && sathd_proc_memcg_oom_kills(cg) > cg->oom_before;
    if (WIFSIGNALED(wstatus)) {
        st.sig = WTERMSIG(wstatus);
        st.code = 128 + st.sig;
        if (st.oom)
            say(lg, "sath-bot-supervisor: bot killed by the out-of-memory killer (signal %d): "
                    "over its memory limit", st.sig);
        else
            say(lg, "sath-bot-supervisor: bot killed by signal %d", st.sig);
    } else {
        st.code = WEXITSTATUS(wstatus);
        say(lg, "sath-bot-supervisor: bot exited with code %d%s", st.code,
            st.oom ? " after an out-of-memory kill in its memory limit" : "");
    }
    status_write(statusfd, &st);
}

int main(int argc, char **argv)
{
    opts o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stdout, "error usage: sath-bot-supervisor --run-dir DIR --run ID --program PATH ...\n");
        return 2;
    }
    char token[1024];
    read_to_eof(3, token, sizeof token); /* the run token: fd 3, to EOF */
    close(3);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGCHLD);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        printf("error pipe: %s\n", strerror(errno));
        return 1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        printf("error fork: %s\n", strerror(errno));
        return 1;
    }
    if (child > 0) {
        explicit_bzero(token, sizeof token);
        close(ready[1]);
        return relay(ready[0]);
    }
    close(ready[0]);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (devnull > 2)
            close(devnull);
    }
    logw lg = {.dirfd = -1, .fd = -1, .max = o.log_max, .keep = o.log_keep};
    static stream out, errs;
    int statusfd = -1;
    pid_t bot = -1;
    char err[384] = "", msg[420];
    sathd_proc_memcg cg = {.procs_fd = -1};
    int rc = launch(&o, token, &statusfd, &lg, &out, &errs, &cg, &bot, err, sizeof err);
    explicit_bzero(token, sizeof token);
    if (rc != 0) {
        int ml = snprintf(msg, sizeof msg, "error %s\n", err);
        if (lg.fd >= 0)
            say(&lg, "sath-bot-supervisor: %s", err);
        write_all(ready[1], msg, (size_t)ml);
        return 1;
    }
    sathd_proc_status st = {0};
    status_write(statusfd, &st);
    unsigned long long sup_start = 0, bot_start = 0;
    sathd_proc_start_time(getpid(), &sup_start, NULL);
    sathd_proc_start_time(bot, &bot_start, NULL);
    int ml = snprintf(msg, sizeof msg, "ok %d %llu %d %llu\n", (int)getpid(), sup_start, (int)bot,
                      bot_start);
    write_all(ready[1], msg, (size_t)ml);
    close(ready[1]);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    record_end(statusfd, &lg, watch(&o, sfd, bot, &lg, &out, &errs), &cg);
    return 0; /* cg's cgroup.procs was closed by sathd_proc_memcg_enter */
}
