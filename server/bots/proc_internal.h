/*
 * proc_internal.h - what the process backend (backend_process.c) and its supervisor
 * (supervisor.c, the sath-bot-supervisor program) share: /proc facts about a pid, the
 * layout of a bot's state directory and the records written there.
 *
 * Layout of <state_dir>/bot_user_<user_id>/ :
 *   pid        written by the backend (the orchestrator's uid; never by the bot's):
 *              "run=<uuid> sup=<pid>:<start> bot=<pid>:<start> started=<ms>"
 *              where <start> is field 22 of /proc/PID/stat (clock ticks since boot):
 *              a pid is only ever signalled when its start time still matches, so a
 *              recycled pid is never hit.
 *   run/       owned by the bot's uid (SATH_BOT_USER when the orchestrator is root):
 *     status   written by the supervisor, one fixed-size record rewritten in place,
 *              "state=running|exited code=<n> signal=<n> finished=<ms> oom=<0|1> end\n"
 *              (oom= absent in records of older supervisors: 0)
 *     <run_id>/log.NNNNNN   the run's output, "<ms> <o|e> <text>\n" per line,
 *              rotated by size; NNNNNN grows, the oldest files beyond log_keep go.
 */
#ifndef SATHD_BOTS_PROC_INTERNAL_H
#define SATHD_BOTS_PROC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SATHD_PROC_STATUS_SIZE 160 /* the status record, padded with spaces */
#define SATHD_PROC_LINE_MAX 16384  /* longer output lines are split */

/* Start time of `pid` (clock ticks since boot) into *start, and whether it is a zombie.
 * 0, or -1 when there is no such process. */
int sathd_proc_start_time(pid_t pid, unsigned long long *start, int *zombie);
/* 1 when `pid` exists, is not a zombie and started at `start`. */
int sathd_proc_alive(pid_t pid, unsigned long long start);

/* The status record. */
typedef struct sathd_proc_status {
    int exited;           /* 0 running, 1 exited */
    int code, sig;        /* exit code, or terminating signal (code then 128+sig) */
    int64_t finished_ms;
    int oom;              /* 1: the kernel's OOM killer ended it in its memory cgroup */
} sathd_proc_status;
/* Formats into buf (SATHD_PROC_STATUS_SIZE bytes, space-padded, newline-ended). */
void sathd_proc_status_format(const sathd_proc_status *st, char buf[SATHD_PROC_STATUS_SIZE]);
/* Parses; -1 when torn or malformed (a reader then retries). */
int sathd_proc_status_parse(const char *buf, size_t len, sathd_proc_status *st);

/* One log record without its newline, "<ms> <o|e> <text>": 0 with its parts (text
 * points into rec), or -1 when malformed (the reader skips it). */
int sathd_proc_log_parse(const char *rec, size_t len, int64_t *ms, int *is_stderr,
                         const char **text, size_t *text_len);

/* `fd` moved to 10 or above (close-on-exec, the original closed), so a spawn's dup2
 * onto the low fds cannot overwrite it before it is used; -1 stays -1. */
int sathd_proc_fd_high(int fd);

/* posix_spawn of `path` in a new session (so its own process group), signals unblocked
 * and at their defaults, stdin /dev/null, fds[i] as its fd i + 1 (-1: /dev/null) and
 * nothing else open; cwd "/" when chdir_root.  The fds must all be >= n + 1 (see the
 * callers).  0, or an errno value. */
int sathd_proc_spawn(pid_t *pid, const char *path, const int *fds, int n, int chdir_root,
                     char *const argv[], char *const env[]);

/* The memory limit as a memory cgroup (proc_memcg.c): cgroup v1's memory hierarchy
 * (a child of the caller's own memory cgroup) or cgroup v2 (/sys/fs/cgroup/sath-bots/),
 * one per user's bot, named SATHD_PROC_MEMCG_PREFIX + user id. */
#define SATHD_PROC_MEMCG_PREFIX "sath_bot_user_"
#define SATHD_PROC_MEMCG_PATH 512
typedef struct sathd_proc_memcg {
    char dir[SATHD_PROC_MEMCG_PATH]; /* "" when none */
    int version;                     /* 1 or 2 */
    int procs_fd;                    /* its cgroup.procs, opened for writing */
    long long oom_before;            /* OOM kills counted there before this run */
} sathd_proc_memcg;
/* The directory of cgroup `name` and the cgroup version; -1 when the machine has no
 * memory controller we can use. */
int sathd_proc_memcg_path(const char *name, char *dir, size_t len, int *version);
/* Creates (or reuses) cgroup `name` with a hard limit of `bytes` and no swap, and opens
 * its cgroup.procs (needs root; call before dropping privileges).  0, or -1 with the
 * reason in err (the caller then limits the address space instead). */
int sathd_proc_memcg_open(sathd_proc_memcg *cg, const char *name, long long bytes, char *err,
                          size_t errlen);
/* Moves `pid` into it and closes cgroup.procs.  0, or -1. */
int sathd_proc_memcg_enter(sathd_proc_memcg *cg, pid_t pid);
/* OOM kills counted in it so far (compare with oom_before), or -1 when unknown. */
long long sathd_proc_memcg_oom_kills(const sathd_proc_memcg *cg);
/* Removes cgroup `name` once nothing runs in it (the backend, as root, when it forgets
 * the bot).  0 also when there is none; -errno (EBUSY: still in use, EACCES: not root). */
int sathd_proc_memcg_remove(const char *name);

/* Name of log file number n: "log.NNNNNN". */
void sathd_proc_log_name(unsigned n, char buf[16]);

#endif
