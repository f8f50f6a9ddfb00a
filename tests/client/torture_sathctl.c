/*
 * torture_sathctl.c - sathctl as a user runs it (children run by child_run.c, which drains
 * stdout and stderr together): exit codes of usage errors, --help of
 * every command, and a session against a real gRPC server (tests/sdk/fake_server.py):
 * login writes credentials.json 0600 in a 0700 directory, me/--json use it, logout
 * removes it, server and transport errors give exit codes 3 and 4.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "child_run.h"
#include "fake_proc.h"

typedef struct fixture {
    pid_t server_pid;
    int to_server;
    char target[64];
    char home[256];   /* XDG_CONFIG_HOME of the runs */
    char creds[300];  /* credentials.json under it */
} fixture;

typedef child_result result;

/* Runs sathctl with `args` (NULL-terminated), stdin `input` (may be NULL), and
 * XDG_CONFIG_HOME = f->home; SATH_PASSWORD etc. are never inherited. */
static void run(const fixture *f, const char *input, result *r, ...)
{
    static const char *const head[] = {SATHCTL_PATH, NULL};
    va_list ap;
    va_start(ap, r);
    int rc = child_run_home(f->home, head, ap, input, r);
    va_end(ap);
    assert_int_equal(rc, 0);
    assert_int_not_equal(r->code, -1); /* exited, not killed by a signal */
}

static int start_server(fixture *f)
{
    char *argv[] = {(char *)"/usr/bin/python3", (char *)SATH_FAKE_SERVER, NULL};
    return fake_proc_start(argv, &f->server_pid, &f->to_server, f->target, sizeof f->target);
}

static int group_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    signal(SIGPIPE, SIG_IGN);
    snprintf(f->home, sizeof f->home, "/tmp/sathctl-test-XXXXXX");
    if (!mkdtemp(f->home) || start_server(f) != 0)
        return -1;
    snprintf(f->creds, sizeof f->creds, "%s/sath/credentials.json", f->home);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    close(f->to_server);
    waitpid(f->server_pid, NULL, 0);
    unlink(f->creds);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/sath", f->home);
    rmdir(dir);
    rmdir(f->home);
    free(f);
    return 0;
}

static void test_usage_errors(void **state)
{
    fixture *f = *state;
    result r;
    run(f, NULL, &r, NULL); /* no command */
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "frobnicate", NULL);
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "unknown command"));
    run(f, NULL, &r, "--bogus", "me", NULL);
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "--timeout", "soon", "me", NULL);
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "--server", f->target, "login", NULL); /* --email missing */
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "--server", f->target, "login", "--email", NULL); /* argument missing */
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "--server", f->target, "me", "extra", NULL);
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "--server", f->target, "update-me", NULL); /* nothing to change */
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "--server", f->target, "register", "--name", "x", NULL);
    assert_int_equal(r.code, 2);
    run(f, NULL, &r, "help", "nope", NULL);
    assert_int_equal(r.code, 2);
}

static void test_help_everywhere(void **state)
{
    fixture *f = *state;
    const char *cmds[] = {"register", "login", "logout", "me", "update-me", "delete-me", "help"};
    result r;
    run(f, NULL, &r, "--help", NULL);
    assert_int_equal(r.code, 0);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        assert_non_null(strstr(r.out, cmds[i]));
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "usage: sathctl %s", cmds[i]);
        run(f, NULL, &r, cmds[i], "--help", NULL);
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, want));
        run(f, NULL, &r, "help", cmds[i], NULL);
        assert_int_equal(r.code, 0);
        assert_non_null(strstr(r.out, want));
    }
    run(f, NULL, &r, "--version", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "libsathclient"));
}

/* Writes a credentials file holding a session of another server, which sathctl must keep. */
static void seed_other_server(const fixture *f)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/sath", f->home);
    mkdir(dir, 0755); /* too wide on purpose: sathctl tightens it */
    FILE *out = fopen(f->creds, "w");
    assert_non_null(out);
    fputs("{\"servers\": {\"other.example:443\": {\"access_token\": \"a.b.c\", \"refresh_token\": \"r\"}}}\n", out);
    fclose(out);
    chmod(f->creds, 0644);
}

static void assert_other_server_kept(const fixture *f)
{
    json_t *root = json_load_file(f->creds, 0, NULL);
    assert_non_null(root);
    json_t *other = json_object_get(json_object_get(root, "servers"), "other.example:443");
    assert_string_equal(json_string_value(json_object_get(other, "access_token")), "a.b.c");
    json_decref(root);
}

/* The atomic writes leave no temp files behind: the directory holds one file. */
static void assert_only_credentials_file(const fixture *f)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/sath", f->home);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            assert_string_equal(e->d_name, "credentials.json");
            files++;
        }
    closedir(d);
    assert_int_equal(files, 1);
}

static void test_session_and_credentials_file(void **state)
{
    fixture *f = *state;
    result r;
    seed_other_server(f);
    run(f, "wrong\n", &r, "--server", f->target, "login", "--email", "ada@example.org", "--password-stdin", NULL);
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "UNAUTHENTICATED"));
    assert_non_null(strstr(r.err, "invalid email or password"));

    run(f, "correct horse\n", &r, "--server", f->target, "login", "--email", "ada@example.org",
        "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    struct stat st;
    assert_int_equal(stat(f->creds, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/sath", f->home);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    json_t *root = json_load_file(f->creds, 0, NULL);
    assert_non_null(root);
    json_t *entry = json_object_get(json_object_get(root, "servers"), f->target);
    assert_non_null(json_string_value(json_object_get(entry, "access_token")));
    assert_non_null(json_string_value(json_object_get(entry, "refresh_token")));
    json_decref(root);
    assert_other_server_kept(f);

    run(f, NULL, &r, "--server", f->target, "me", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "ada@example.org"));

    run(f, NULL, &r, "--server", f->target, "--json", "me", NULL);
    assert_int_equal(r.code, 0);
    root = json_loads(r.out, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "email")), "ada@example.org");
    assert_string_equal(json_string_value(json_object_get(root, "id")), "u-1");
    json_decref(root);

    run(f, NULL, &r, "--server", f->target, "logout", NULL);
    assert_int_equal(r.code, 0);
    root = json_load_file(f->creds, 0, NULL);
    assert_non_null(root);
    assert_null(json_object_get(json_object_get(root, "servers"), f->target));
    json_decref(root);
    assert_int_equal(stat(f->creds, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_other_server_kept(f);
    assert_only_credentials_file(f);

    run(f, NULL, &r, "--server", f->target, "--json", "me", NULL);
    assert_int_equal(r.code, 3);
    root = json_loads(r.out, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(json_object_get(root, "error"), "name")),
                        "UNAUTHENTICATED");
    json_decref(root);
}

static void test_register_and_update(void **state)
{
    fixture *f = *state;
    result r;
    run(f, "short\n", &r, "--server", f->target, "register", "--email", "bob@example.org", "--name", "Bob",
        "--password-stdin", NULL);
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "INVALID_ARGUMENT: password too short"));
    run(f, "long enough\n", &r, "--server", f->target, "--json", "register", "--email", "bob@example.org",
        "--name", "Bob", "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    json_t *root = json_loads(r.out, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "email")), "bob@example.org");
    assert_string_equal(json_string_value(json_object_get(root, "name")), "Bob");
    json_decref(root);

    run(f, "correct horse\n", &r, "--server", f->target, "login", "--email", "ada@example.org",
        "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    run(f, NULL, &r, "--server", f->target, "update-me", "--name", "Zed", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "Zed"));
    /* current password on line 1, new one on line 2 */
    run(f, "wrong\nnew password\n", &r, "--server", f->target, "update-me", "--new-password",
        "--password-stdin", NULL);
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "PERMISSION_DENIED: current password is wrong"));
    run(f, "correct horse\nnew password\n", &r, "--server", f->target, "update-me", "--new-password",
        "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    run(f, "correct horse\n", &r, "--server", f->target, "update-me", "--new-password", "--password-stdin", NULL);
    assert_int_equal(r.code, 1); /* no new password on stdin */
    run(f, NULL, &r, "--server", f->target, "logout", NULL);
    assert_int_equal(r.code, 0);
}

static void test_unreachable_exit_4(void **state)
{
    fixture *f = *state;
    result r;
    run(f, NULL, &r, "--server", "127.0.0.1:1", "--timeout", "3000", "me", NULL);
    assert_int_equal(r.code, 4);
    assert_non_null(strstr(r.err, "UNAVAILABLE"));
}

static void test_delete_needs_confirmation(void **state)
{
    fixture *f = *state;
    result r;
    run(f, "correct horse\n", &r, "--server", f->target, "login", "--email", "ada@example.org",
        "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    /* no terminal and no --yes: refused as a usage error; the fake server has no DeleteMe,
     * so getting past the confirmation would give UNIMPLEMENTED (3) instead */
    run(f, NULL, &r, "--server", f->target, "delete-me", NULL);
    assert_int_equal(r.code, 2);
    /* --yes skips the confirmation, never the password: with none to read, nothing is sent */
    run(f, NULL, &r, "--server", f->target, "delete-me", "--yes", NULL);
    assert_int_equal(r.code, 1);
    run(f, "correct horse\n", &r, "--server", f->target, "delete-me", "--yes", "--password-stdin",
        NULL);
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "UNIMPLEMENTED"));
    run(f, NULL, &r, "--server", f->target, "logout", NULL);
    assert_int_equal(r.code, 0);
}

/* The runner drains stdout and stderr together: a child writing far more than a pipe
 * holds (64 KiB) to stderr before it writes stdout finishes instead of deadlocking. */
static void test_runner_drains_both_pipes(void **state)
{
    (void)state;
    char *argv[] = {(char *)"/bin/sh", (char *)"-c",
                    (char *)"head -c 300000 /dev/zero | tr '\\0' e >&2; echo out-after; "
                            "head -c 200000 /dev/zero | tr '\\0' o; cat >&2",
                    NULL};
    char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};
    result r;
    assert_int_equal(child_run(argv, envp, "stdin-tail", &r), 0);
    assert_int_equal(r.code, 0);
    assert_int_equal(r.err_total, 300000 + strlen("stdin-tail"));
    assert_int_equal(r.out_total, strlen("out-after\n") + 200000);
    assert_memory_equal(r.out, "out-after\n", strlen("out-after\n"));
    assert_int_equal(strlen(r.err), sizeof r.err - 1); /* kept what fits */
    assert_int_equal(r.err[0], 'e');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_drains_both_pipes),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_help_everywhere),
        cmocka_unit_test(test_session_and_credentials_file),
        cmocka_unit_test(test_register_and_update),
        cmocka_unit_test(test_unreachable_exit_4),
        cmocka_unit_test(test_delete_needs_confirmation),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
