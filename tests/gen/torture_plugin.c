/*
 * torture_plugin.c - protoc-gen-sath as protoc runs it: valid protos give the expected
 * files, contract errors (no HTTP rule, streaming, bad success code) make protoc fail
 * with a message naming the method, and garbage input fails cleanly.
 *
 * protoc and the plugin run as child processes (posix_spawn) with stdout/stderr sent
 * to files in a per-test temporary directory.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <spawn.h>
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

#include "require.h"

extern char **environ;

typedef struct plugin_fixture {
    char dir[256];     /* temporary directory of the test */
    char out[300];     /* --sath_out directory inside it */
    char stderr_text[4096];
    int status;        /* exit status of the last run, -1 when it did not exit */
} plugin_fixture;

static int setup(void **state)
{
    plugin_fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/sath-gen-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    if (mkdir(f->out, 0700) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    plugin_fixture *f = *state;
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Runs argv with stdin from `in` (or /dev/null), stdout to a file, stderr captured. */
static void run(plugin_fixture *f, char *const argv[], const char *in)
{
    char out_path[300], err_path[300];
    snprintf(out_path, sizeof out_path, "%s/stdout", f->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", f->dir);
    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    f->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    FILE *e = fopen(err_path, "r");
    require_non_null(e);
    size_t n = fread(f->stderr_text, 1, sizeof f->stderr_text - 1, e);
    f->stderr_text[n] = '\0';
    fclose(e);
}

/* protoc --plugin=... --sath_out=<out> -I... <data>/<proto> [extra] */
static void run_protoc(plugin_fixture *f, const char *proto, const char *extra)
{
    char plugin[512], out[400];
    snprintf(plugin, sizeof plugin, "--plugin=protoc-gen-sath=%s", SATH_TEST_PLUGIN);
    snprintf(out, sizeof out, "--sath_out=%s", f->out);
    char *argv[] = {
        (char *)SATH_TEST_PROTOC, plugin, out,
        (char *)"-I" SATH_TEST_DATA_DIR, (char *)"-I" SATH_TEST_PROTO_DIR,
        (char *)"-I" SATH_TEST_GOOGLEAPIS_DIR, (char *)"-I" SATH_TEST_GRPC_PROTO_DIR,
        (char *)"-I" SATH_TEST_PROTOBUF_INCLUDE_DIR, (char *)proto, (char *)extra, NULL,
    };
    run(f, argv, NULL);
}

/* Contents of <out>/<rel> (caller frees), or NULL when the file does not exist. */
static char *read_output(const plugin_fixture *f, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->out, rel);
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    if (buf != NULL)
        fread(buf, 1, (1 << 20) - 1, fp);
    fclose(fp);
    return buf;
}

static void test_missing_http_rule_fails(void **state)
{
    plugin_fixture *f = *state;
    run_protoc(f, "no_http_rule.proto", NULL);
    assert_int_not_equal(f->status, 0);
    require_non_null(strstr(f->stderr_text, "sath.v1.BrokenService/NoRoute"));
    require_non_null(strstr(f->stderr_text, "google.api.http"));
    assert_null(strstr(f->stderr_text, "BrokenService/Fine")); /* the good method is fine */
    char *h = read_output(f, "no_http_rule.sath-server.h");
    assert_null(h); /* nothing half-written */
}

static void test_streaming_method_fails(void **state)
{
    plugin_fixture *f = *state;
    run_protoc(f, "streaming.proto", NULL);
    assert_int_not_equal(f->status, 0);
    require_non_null(strstr(f->stderr_text, "sath.v1.StreamService/Watch"));
    require_non_null(strstr(f->stderr_text, "client-streaming"));
}

static void test_bad_success_code_fails(void **state)
{
    plugin_fixture *f = *state;
    run_protoc(f, "bad_success_code.proto", NULL);
    assert_int_not_equal(f->status, 0);
    require_non_null(strstr(f->stderr_text, "sath.v1.OddService/Odd"));
    require_non_null(strstr(f->stderr_text, "42"));
}

static void test_valid_proto_generates_files(void **state)
{
    plugin_fixture *f = *state;
    run_protoc(f, "mini.proto", NULL);
    assert_int_equal(f->status, 0);
    assert_string_equal(f->stderr_text, "");

    char *server = read_output(f, "mini.sath-server.c");
    require_non_null(server);
    require_non_null(strstr(server, ".verb = \"SEARCH\""));        /* custom kind, upper case */
    require_non_null(strstr(server, ".path = \"/api/v1/mini/{name}\""));
    require_non_null(strstr(server, ".success_code = 202"));
    require_non_null(strstr(server, ".flags = SATHD_METHOD_PUBLIC"));
    require_non_null(strstr(server, ".verb = \"PATCH\""));
    require_non_null(strstr(server, ".body = \"inner\""));
    require_non_null(strstr(server, ".response_body = \"name\""));
    require_non_null(strstr(server, "&sath__v1__outer__inner__descriptor")); /* nested type */
    free(server);

    char *header = read_output(f, "mini.sath-server.h");
    require_non_null(header);
    require_non_null(strstr(header, "typedef struct sath_v1_mini_service_impl {"));
    require_non_null(strstr(header, "int (*do_)(sathd_call *call, const Sath__V1__Outer__Inner *req,\n"
                                    "               Sath__V1__Outer *resp);"));
    require_non_null(strstr(header, "int (*default_)("));
    require_non_null(strstr(header, "#define SATH_V1_MINI_SERVICE_N_METHODS 2"));
    require_non_null(strstr(header, "Does the thing."));             /* proto comment */
    free(header);

    char *client = read_output(f, "mini.sath-client.h");
    require_non_null(client);
    require_non_null(strstr(client, "SATH_EXTERN int sath_mini_do(sath_client *c, "
                                    "const Sath__V1__Outer__Inner *req,\n"
                                    "                             Sath__V1__Outer **resp, "
                                    "sath_call_opts *opts);"));
    require_non_null(strstr(client, "sath__v1__outer__free_unpacked(*resp, NULL)"));
    free(client);

    char *routes = read_output(f, "sath/v1/routes.sath.c");
    require_non_null(routes);
    require_non_null(strstr(routes, "&sath_v1_mini_service_methods[1], /* Default */"));
    require_non_null(strstr(routes, "{ .name = \"mini.proto\""));
    free(routes);
    char *umbrella = read_output(f, "sath/v1/sath.sath-client.h");
    require_non_null(umbrella);
    require_non_null(strstr(umbrella, "#include \"mini.sath-client.h\""));
    free(umbrella);
}

/* Files of other packages get no server/client code, only descriptors. */
static void test_other_package_only_descriptors(void **state)
{
    plugin_fixture *f = *state;
    run_protoc(f, "grpc/health/v1/health.proto", NULL);
    assert_int_equal(f->status, 0);
    char *h = read_output(f, "grpc/health/v1/health.sath-server.h");
    assert_null(h);
    char *routes = read_output(f, "sath/v1/routes.sath.c");
    require_non_null(routes);
    require_non_null(strstr(routes, "sath_v1_n_all_methods = SATH_V1_N_ALL_METHODS"));
    require_non_null(strstr(routes, "{ .name = \"grpc/health/v1/health.proto\""));
    free(routes);
}

static void test_unknown_parameter_fails(void **state)
{
    plugin_fixture *f = *state;
    run_protoc(f, "mini.proto", "--sath_opt=colour=blue");
    assert_int_not_equal(f->status, 0);
    require_non_null(strstr(f->stderr_text, "unknown parameter"));
}

static void test_garbage_request_fails_cleanly(void **state)
{
    plugin_fixture *f = *state;
    char in[300];
    snprintf(in, sizeof in, "%s/garbage", f->dir);
    FILE *fp = fopen(in, "wb");
    require_non_null(fp);
    fputs("\xff\xff\xff\xff this is not protobuf", fp);
    fclose(fp);
    char *argv[] = { (char *)SATH_TEST_PLUGIN, NULL };
    run(f, argv, in);
    assert_int_equal(f->status, 1);
    require_non_null(strstr(f->stderr_text, "not a CodeGeneratorRequest"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_missing_http_rule_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_method_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_success_code_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid_proto_generates_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_package_only_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_parameter_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_request_fails_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
