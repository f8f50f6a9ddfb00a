/*
 * torture_route.c - the REST router (server/gateway/route.c): compiling the generated
 * route table and matching verbs and paths, percent-decoding, 404 vs 405 with Allow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "route.h"
#include "sath/v1/routes.sath.h"

typedef struct fixture {
    sathd_gw_router *r;
    char buf[512];
    sathd_gw_match m;
} fixture;

static int setup(void **state)
{
    static fixture f;
    char err[256] = "";
    memset(&f, 0, sizeof f);
    f.r = sathd_gw_router_new(sath_v1_all_methods, sath_v1_n_all_methods, err, sizeof err);
    if (!f.r)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sathd_gw_router_free(f->r);
    return 0;
}

static int match(fixture *f, const char *verb, const char *path)
{
    return sathd_gw_route_match(f->r, verb, path, strlen(path), f->buf, sizeof f->buf, &f->m);
}

static void test_all_routes_compiled(void **state)
{
    fixture *f = *state;
    assert_int_equal(sathd_gw_router_count(f->r), 29); /* BotAgentService has no routes */
}

static void test_every_rule_matches_itself(void **state)
{
    fixture *f = *state;
    for (size_t i = 0; i < sath_v1_n_all_methods; i++) {
        const sathd_method_desc *m = sath_v1_all_methods[i];
        if (!m->http.verb)
            continue; /* gRPC only (run-token methods) */
        char path[256];
        /* substitute every {var} with "v1" */
        size_t o = 0;
        for (const char *p = m->http.path; *p && o < sizeof path - 4;) {
            if (*p == '{') {
                memcpy(path + o, "v1", 2);
                o += 2;
                p = strchr(p, '}') + 1;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        assert_int_equal(match(f, m->http.verb, path), 200);
        assert_string_equal(f->m.method->http.path, m->http.path);
        assert_string_equal(f->m.method->http.verb, m->http.verb);
    }
}

static void test_variable_decoded(void **state)
{
    fixture *f = *state;
    assert_int_equal(match(f, "DELETE", "/api/v1/keys/exchange/a%2Fb%20c"), 200);
    assert_string_equal(f->m.method->name, "DeleteExchangeKey");
    assert_int_equal(f->m.n_vars, 1);
    assert_string_equal(f->m.vars[0].field, "id");
    assert_string_equal(f->m.vars[0].value, "a/b c");
    /* '+' is literal in a path */
    assert_int_equal(match(f, "DELETE", "/api/v1/keys/ai/x+y"), 200);
    assert_string_equal(f->m.vars[0].value, "x+y");
}

static void test_bad_escapes_404(void **state)
{
    fixture *f = *state;
    assert_int_equal(match(f, "DELETE", "/api/v1/keys/ai/bad%zz"), 404);
    assert_int_equal(match(f, "DELETE", "/api/v1/keys/ai/bad%2"), 404);
    assert_int_equal(match(f, "DELETE", "/api/v1/keys/ai/nul%00"), 404);
    assert_int_equal(match(f, "DELETE", "/api/v1/keys/ai/"), 404); /* empty variable */
}

static void test_404_and_405(void **state)
{
    fixture *f = *state;
    assert_int_equal(match(f, "GET", "/api/v1/nope"), 404);
    assert_int_equal(match(f, "GET", "/api/v1/users/me/"), 404);
    assert_int_equal(match(f, "GET", "/api/v1/users"), 404);
    assert_int_equal(match(f, "GET", ""), 404);
    assert_int_equal(match(f, "GET", "/"), 404);
    assert_int_equal(match(f, "GET", "api/v1/users/me"), 404);
    assert_int_equal(match(f, "get", "/api/v1/users/me"), 405); /* verbs are case-sensitive */
    assert_int_equal(match(f, "PATCH", "/api/v1/users/me"), 405);
    assert_string_equal(f->m.allow, "GET, PUT, DELETE");
    assert_int_equal(match(f, "GET", "/api/v1/auth/login"), 405);
    assert_string_equal(f->m.allow, "POST");
    assert_int_equal(match(f, "PUT", "/api/v1/bot/config"), 200);
    assert_string_equal(f->m.method->http.body, "config");
}

static void test_percent_decode(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(sathd_gw_percent_decode("a+b%41", 6, out, 1), 4);
    assert_string_equal(out, "a bA");
    assert_int_equal(sathd_gw_percent_decode("a+b", 3, out, 0), 3);
    assert_string_equal(out, "a+b");
    assert_int_equal(sathd_gw_percent_decode("%4", 2, out, 0), -1);
    assert_int_equal(sathd_gw_percent_decode("%", 1, out, 0), -1);
    assert_int_equal(sathd_gw_percent_decode("%00", 3, out, 0), -1);
}

static void test_bad_templates(void **state)
{
    (void)state;
    static const char *const bad[] = {"api/x", "/a/{", "/a/{}", "/a/{x=**}", "/a//b", "/a/b}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sathd_method_desc d = {.path = "/t.S/M", .http = {.verb = "GET", .path = bad[i]}};
        const sathd_method_desc *list[] = {&d};
        char err[256] = "";
        sathd_gw_router *r = sathd_gw_router_new(list, 1, err, sizeof err);
        assert_null(r);
        assert_non_null(strstr(err, "/t.S/M"));
    }
    sathd_method_desc ok = {.path = "/t.S/M", .http = {.verb = "GET", .path = "/a/{b.c=*}/d"}};
    const sathd_method_desc *list[] = {&ok};
    char err[256] = "", buf[64];
    sathd_gw_router *r = sathd_gw_router_new(list, 1, err, sizeof err);
    assert_non_null(r);
    sathd_gw_match m;
    assert_int_equal(sathd_gw_route_match(r, "GET", "/a/x/d", 6, buf, sizeof buf, &m), 200);
    assert_string_equal(m.vars[0].field, "b.c");
    assert_string_equal(m.vars[0].value, "x");
    sathd_gw_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_routes_compiled),
        cmocka_unit_test(test_every_rule_matches_itself),
        cmocka_unit_test(test_variable_decoded),
        cmocka_unit_test(test_bad_escapes_404),
        cmocka_unit_test(test_404_and_405),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_bad_templates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
