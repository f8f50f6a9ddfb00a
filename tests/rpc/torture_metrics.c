/*
 * torture_metrics.c - counters from several threads and the Prometheus text output.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sath/v1/auth.pb-c.h"
#include "sathd/rpc.h"

static const sathd_method_desc d0 = {"sath.v1.AuthService", "Login", "/sath.v1.AuthService/Login",
                                     &sath__v1__login_request__descriptor,
                                     &sath__v1__login_response__descriptor, 0,
                                     {NULL, NULL, NULL, NULL, 200}};
static const sathd_method_desc d1 = {"sath.v1.AuthService", "Logout", "/sath.v1.AuthService/Logout",
                                     &sath__v1__logout_request__descriptor,
                                     &sath__v1__logout_response__descriptor, 0,
                                     {NULL, NULL, NULL, NULL, 200}};

typedef struct fx {
    sathd_registry *reg;
    sathd_metrics *m;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->reg = sathd_registry_new();
    if (sathd_registry_add(f->reg, &d0, NULL, NULL) || sathd_registry_add(f->reg, &d1, NULL, NULL))
        return -1;
    f->m = sathd_metrics_new(f->reg);
    *state = f;
    return f->m ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    sathd_metrics_free(f->m);
    sathd_registry_free(f->reg);
    free(f);
    return 0;
}

static void *hammer(void *p)
{
    sathd_metrics *m = p;
    for (int i = 0; i < 10000; i++)
        sathd_metrics_record(m, 0, i % 10 == 0 ? SATHD_NOT_FOUND : SATHD_OK, 300);
    return NULL;
}

static void test_concurrent_counts(void **state)
{
    fx *f = *state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, f->m);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(sathd_metrics_count(f->m, 0, SATHD_OK), 36000);
    assert_int_equal(sathd_metrics_count(f->m, 0, SATHD_NOT_FOUND), 4000);
    assert_int_equal(sathd_metrics_count(f->m, 0, -1), 40000);
    assert_int_equal(sathd_metrics_count(f->m, 1, -1), 0);
    sathd_metrics_record(f->m, 99, 0, 1);  /* ignored */
    sathd_metrics_record(f->m, 0, 42, 1);  /* ignored */
    assert_int_equal(sathd_metrics_count(f->m, 0, -1), 40000);
}

static void test_render(void **state)
{
    fx *f = *state;
    sathd_metrics_record(f->m, 0, SATHD_OK, 50);        /* <= 100us bucket */
    sathd_metrics_record(f->m, 0, SATHD_OK, 2000);      /* <= 2.5ms */
    sathd_metrics_record(f->m, 1, SATHD_UNAUTHENTICATED, 20000000); /* +Inf only */
    char *txt = sathd_metrics_render(f->m);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "# TYPE sathd_rpc_calls_total counter\n"));
    assert_non_null(strstr(txt, "sathd_rpc_calls_total{method=\"/sath.v1.AuthService/Login\",code=\"OK\"} 2\n"));
    assert_non_null(strstr(txt, "sathd_rpc_calls_total{method=\"/sath.v1.AuthService/Logout\",code=\"UNAUTHENTICATED\"} 1\n"));
    assert_non_null(strstr(txt, "sathd_rpc_duration_seconds_bucket{method=\"/sath.v1.AuthService/Login\",le=\"0.0001\"} 1\n"));
    assert_non_null(strstr(txt, "sathd_rpc_duration_seconds_bucket{method=\"/sath.v1.AuthService/Login\",le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(txt, "sathd_rpc_duration_seconds_bucket{method=\"/sath.v1.AuthService/Logout\",le=\"10\"} 0\n"));
    assert_non_null(strstr(txt, "sathd_rpc_duration_seconds_bucket{method=\"/sath.v1.AuthService/Logout\",le=\"+Inf\"} 1\n"));
    assert_non_null(strstr(txt, "sathd_rpc_duration_seconds_count{method=\"/sath.v1.AuthService/Login\"} 2\n"));
    assert_non_null(strstr(txt, "sathd_rpc_duration_seconds_sum{method=\"/sath.v1.AuthService/Login\"} 0.002050\n"));
    free(txt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concurrent_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_render, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
