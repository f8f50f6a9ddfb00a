/*
 * torture_retry.c - the read methods sath_client_options_set_read_retries() retries
 * (sdk/src/retry.c) are exactly the methods whose REST mapping is GET in
 * the protos of proto/sath/v1: a new read that is not listed, or a listed method that became
 * a write, fails here.  Plus the service config built from the list is well-formed JSON.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "internal.h"

#define MAX_READS 128

typedef struct read_method {
    char service[128];
    char method[96];
} read_method;

/* Scans one .proto: "service X {", "rpc M(", and a following "get:" before the next rpc. */
static void scan(const char *path, read_method *out, size_t *n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024], service[128] = "", method[96] = "";
    while (fgets(line, sizeof line, f)) {
        char name[96];
        if (sscanf(line, " service %95[A-Za-z0-9_]", name) == 1)
            snprintf(service, sizeof service, "sath.v1.%s", name);
        else if (sscanf(line, " rpc %95[A-Za-z0-9_]", name) == 1)
            snprintf(method, sizeof method, "%s", name);
        else if (method[0] && strstr(line, "google.api.http") && strstr(line, "get:")) {
            assert_true(*n < MAX_READS);
            snprintf(out[*n].service, sizeof out[*n].service, "%s", service);
            snprintf(out[*n].method, sizeof out[*n].method, "%s", method);
            (*n)++;
            method[0] = '\0';
        }
    }
    fclose(f);
}

static void test_read_list_matches_protos(void **state)
{
    (void)state;
    read_method protos[MAX_READS];
    size_t n = 0;
    DIR *d = opendir(SATH_PROTO_V1_DIR);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".proto") == 0) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", SATH_PROTO_V1_DIR, e->d_name);
            scan(path, protos, &n);
        }
    }
    closedir(d);
    assert_true(n >= 5); /* GetMe, ListPlans, ... : the scan itself works */

    const char *const(*listed)[2] = NULL;
    size_t m = sath__read_methods(&listed);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t j = 0; j < m; j++)
            found |= strcmp(listed[j][0], protos[i].service) == 0 && strcmp(listed[j][1], protos[i].method) == 0;
        if (!found)
            fail_msg("%s/%s is a GET but not in sdk/src/retry.c", protos[i].service, protos[i].method);
    }
    for (size_t j = 0; j < m; j++) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= strcmp(listed[j][0], protos[i].service) == 0 && strcmp(listed[j][1], protos[i].method) == 0;
        if (!found)
            fail_msg("%s/%s is in sdk/src/retry.c but not a GET", listed[j][0], listed[j][1]);
    }
}

static void test_service_config_is_json(void **state)
{
    (void)state;
    char *cfg = sath__retry_service_config(4);
    assert_non_null(cfg);
    json_error_t err;
    json_t *root = json_loads(cfg, 0, &err);
    assert_non_null(root);
    json_t *mc = json_array_get(json_object_get(root, "methodConfig"), 0);
    json_t *policy = json_object_get(mc, "retryPolicy");
    assert_int_equal(json_integer_value(json_object_get(policy, "maxAttempts")), 4);
    const char *const(*listed)[2] = NULL;
    assert_int_equal(json_array_size(json_object_get(mc, "name")), sath__read_methods(&listed));
    json_decref(root);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_list_matches_protos),
        cmocka_unit_test(test_service_config_is_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
