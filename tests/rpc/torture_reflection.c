/*
 * torture_reflection.c - grpc.reflection.v1alpha over the wire: list_services,
 * file_containing_symbol (service, method, nested message), file_by_filename with
 * transitive dependencies, NOT_FOUND errors, several requests on one stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "rpc_fixture.h"

#define REFL "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"

typedef Grpc__Reflection__V1alpha__ServerReflectionRequest req_t;
typedef Grpc__Reflection__V1alpha__ServerReflectionResponse resp_t;

typedef struct rfx {
    fixture *f;
    fx_stream st;
} rfx;

static int setup(void **state)
{
    rfx *r = calloc(1, sizeof *r);
    r->f = fx_start(0);
    if (!r->f || fx_stream_open(r->f, REFL, &r->st) != 0)
        return -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    rfx *r = *state;
    fx_stream_finish(&r->st, 1, NULL, 0);
    fx_stop(r->f);
    free(r);
    return 0;
}

static resp_t *ask(rfx *r, req_t *rq)
{
    assert_int_equal(fx_stream_send(&r->st, &rq->base, 0), 0);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(fx_stream_recv(&r->st, 5000, &d, &n), 1);
    resp_t *rs = grpc__reflection__v1alpha__server_reflection_response__unpack(NULL, n, d);
    free(d);
    assert_non_null(rs);
    return rs;
}

static int has_service(const resp_t *rs, const char *name)
{
    for (size_t i = 0; i < rs->list_services_response->n_service; i++)
        if (strcmp(rs->list_services_response->service[i]->name, name) == 0)
            return 1;
    return 0;
}

static void test_list_services(void **state)
{
    rfx *r = *state;
    req_t rq = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    rq.message_request_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES;
    rq.list_services = (char *)"*";
    resp_t *rs = ask(r, &rq);
    assert_int_equal(rs->message_response_case,
                     GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE);
    assert_true(has_service(rs, "sath.v1.AuthService"));
    assert_true(has_service(rs, "sath.v1.UserService"));
    assert_true(has_service(rs, "grpc.health.v1.Health"));
    assert_true(has_service(rs, "grpc.reflection.v1alpha.ServerReflection"));
    assert_int_equal(rs->list_services_response->n_service, 4); /* no duplicates */
    assert_non_null(rs->original_request);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
}

/* Names of the files in a file_descriptor_response, in order ("," separated). */
static void file_names(const resp_t *rs, char *out, size_t size)
{
    out[0] = '\0';
    assert_int_equal(rs->message_response_case,
                     GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE);
    const Grpc__Reflection__V1alpha__FileDescriptorResponse *fr = rs->file_descriptor_response;
    for (size_t i = 0; i < fr->n_file_descriptor_proto; i++) {
        Google__Protobuf__FileDescriptorProto *fd = google__protobuf__file_descriptor_proto__unpack(
            NULL, fr->file_descriptor_proto[i].len, fr->file_descriptor_proto[i].data);
        assert_non_null(fd);
        strncat(out, fd->name, size - strlen(out) - 2);
        strcat(out, ",");
        google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    }
}

static resp_t *by_symbol(rfx *r, const char *sym)
{
    req_t rq = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    rq.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL;
    rq.file_containing_symbol = (char *)sym;
    return ask(r, &rq);
}

static void test_file_containing_symbol(void **state)
{
    rfx *r = *state;
    char names[2048];
    resp_t *rs = by_symbol(r, "sath.v1.AuthService");
    file_names(rs, names, sizeof names);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    /* the file first, then its transitive imports, once each */
    assert_int_equal(strncmp(names, "sath/v1/auth.proto,", 19), 0);
    assert_non_null(strstr(names, "google/api/annotations.proto,"));
    assert_non_null(strstr(names, "google/api/http.proto,"));
    assert_non_null(strstr(names, "google/protobuf/descriptor.proto,"));
    assert_non_null(strstr(names, "sath/v1/user.proto,"));
    assert_non_null(strstr(names, "google/protobuf/timestamp.proto,")); /* via user.proto */
    assert_null(strstr(strstr(names, "google/protobuf/descriptor.proto,") + 1,
                       "google/protobuf/descriptor.proto,"));

    const char *same_file[] = {".sath.v1.AuthService", "sath.v1.AuthService.Login",
                               "sath.v1.LoginRequest"};
    for (size_t i = 0; i < 3; i++) {
        rs = by_symbol(r, same_file[i]);
        file_names(rs, names, sizeof names);
        assert_int_equal(strncmp(names, "sath/v1/auth.proto,", 19), 0);
        grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    }
    rs = by_symbol(r, "grpc.health.v1.HealthCheckResponse.ServingStatus"); /* nested enum */
    file_names(rs, names, sizeof names);
    assert_string_equal(names, "grpc/health/v1/health.proto,");
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    rs = by_symbol(r, "google.protobuf.DescriptorProto.ExtensionRange"); /* nested message */
    file_names(rs, names, sizeof names);
    assert_string_equal(names, "google/protobuf/descriptor.proto,");
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
}

static void test_not_found(void **state)
{
    rfx *r = *state;
    const char *missing[] = {"sath.v1.NoSuchThing", "sath.v1.AuthService.NoMethod", "sath",
                             "sath.v1.LoginRequest.Nope"};
    for (size_t i = 0; i < 4; i++) {
        resp_t *rs = by_symbol(r, missing[i]);
        assert_int_equal(rs->message_response_case,
                         GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE);
        assert_int_equal(rs->error_response->error_code, SATHD_NOT_FOUND);
        grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    }
    req_t rq = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    rq.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
    rq.file_by_filename = (char *)"sath/v1/nope.proto";
    resp_t *rs = ask(r, &rq);
    assert_int_equal(rs->error_response->error_code, SATHD_NOT_FOUND);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
}

static void test_file_by_filename(void **state)
{
    rfx *r = *state;
    req_t rq = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    rq.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME;
    rq.file_by_filename = (char *)"google/protobuf/timestamp.proto";
    resp_t *rs = ask(r, &rq);
    char names[512];
    file_names(rs, names, sizeof names);
    assert_string_equal(names, "google/protobuf/timestamp.proto,");
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    /* half-close ends the stream with OK */
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    assert_int_equal(fx_stream_batch(&r->st, &op, 1, 5000), 0);
    uint8_t *d = NULL;
    size_t n;
    assert_int_equal(fx_stream_recv(&r->st, 5000, &d, &n), 0);
}

static void test_extensions(void **state)
{
    rfx *r = *state;
    req_t rq = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    rq.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE;
    rq.all_extension_numbers_of_type = (char *)"google.protobuf.MethodOptions";
    resp_t *rs = ask(r, &rq);
    assert_int_equal(rs->message_response_case,
                     GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE);
    const Grpc__Reflection__V1alpha__ExtensionNumberResponse *er = rs->all_extension_numbers_response;
    assert_string_equal(er->base_type_name, "google.protobuf.MethodOptions");
    int seen = 0; /* google.api.http and our two options */
    for (size_t i = 0; i < er->n_extension_number; i++)
        seen |= (er->extension_number[i] == 72295728) | (er->extension_number[i] == 51001) << 1 |
                (er->extension_number[i] == 51002) << 2;
    assert_int_equal(seen, 7);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);

    Grpc__Reflection__V1alpha__ExtensionRequest ext = GRPC__REFLECTION__V1ALPHA__EXTENSION_REQUEST__INIT;
    ext.containing_type = (char *)"google.protobuf.MethodOptions";
    ext.extension_number = 51002;
    req_t rq2 = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__INIT;
    rq2.message_request_case =
        GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION;
    rq2.file_containing_extension = &ext;
    rs = ask(r, &rq2);
    char names[512];
    file_names(rs, names, sizeof names);
    assert_string_equal(names, "sath/v1/options.proto,google/protobuf/descriptor.proto,");
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    ext.extension_number = 4242;
    rs = ask(r, &rq2);
    assert_int_equal(rs->error_response->error_code, SATHD_NOT_FOUND);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
    rq.all_extension_numbers_of_type = (char *)"no.such.Type";
    rs = ask(r, &rq);
    assert_int_equal(rs->error_response->error_code, SATHD_NOT_FOUND);
    grpc__reflection__v1alpha__server_reflection_response__free_unpacked(rs, NULL);
}

int main(void)
{
    fx_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_containing_symbol, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_by_filename, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extensions, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    grpc_shutdown();
    return rc;
}
