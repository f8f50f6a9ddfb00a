/*
 * torture_openapi_embed.c - the OpenAPI document embedded in sathd
 * (sath/v1/openapi.sath.h) is byte for byte the generated openapi.json, is valid
 * JSON, and describes the 29 operations of the contract.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sath/v1/openapi.sath.h"

typedef struct fixture {
    char *file;     /* openapi.json as written by the plugin */
    size_t file_len;
    json_t *doc;    /* the embedded copy, parsed */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    FILE *fp = fopen(SATH_OPENAPI_JSON_PATH, "rb");
    if (f == NULL || fp == NULL) {
        if (fp != NULL)
            fclose(fp);
        free(f);
        return -1;
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    rewind(fp);
    f->file = malloc((size_t)n + 1);
    f->file_len = f->file ? fread(f->file, 1, (size_t)n, fp) : 0;
    fclose(fp);
    json_error_t e;
    f->doc = json_loadb(sath_v1_openapi_json, sath_v1_openapi_json_len, 0, &e);
    *state = f;
    return f->file ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    json_decref(f->doc);
    free(f->file);
    free(f);
    return 0;
}

static void test_embedded_equals_file(void **state)
{
    const fixture *f = *state;
    assert_int_equal(sath_v1_openapi_json_len, f->file_len);
    assert_memory_equal(sath_v1_openapi_json, f->file, f->file_len);
    assert_int_equal(strlen(sath_v1_openapi_json), sath_v1_openapi_json_len);
}

static void test_embedded_parses(void **state)
{
    const fixture *f = *state;
    assert_non_null(f->doc);
    assert_string_equal(json_string_value(json_object_get(f->doc, "openapi")), "3.0.3");
    json_t *info = json_object_get(f->doc, "info");
    assert_string_equal(json_string_value(json_object_get(info, "title")), "SATH Platform API");
}

static void test_operation_count(void **state)
{
    const fixture *f = *state;
    size_t ops = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(f->doc, "paths"), path, item)
        ops += json_object_size(item);
    assert_int_equal(ops, 29); /* BotAgentService is gRPC only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedded_equals_file),
        cmocka_unit_test(test_embedded_parses),
        cmocka_unit_test(test_operation_count),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
