/*
 * torture_sathctl_sathd.c - sathctl and libsathclient against a real sathd (sathd_proc),
 * not the fake server: the account commands (register, login, me, update-me, logout,
 * delete-me) with their effect checked in the database, and TLS end to end (sathd with
 * SATH_TLS_CERT_FILE/SATH_TLS_KEY_FILE, certificates made with openssl at test time,
 * sathctl --ca and the SDK with a root CA file; an untrusted or plaintext client is refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "child_run.h"
#include "sath/sath.h"
#include "sathd_proc.h"

typedef struct fixture {
    sathd_proc proc;
    char dir[64];     /* XDG_CONFIG_HOME of the runs; certificates in TLS mode */
    char ca[128];     /* TLS mode: the CA that signed sathd's certificate */
    char other_ca[128]; /* TLS mode: a CA sathd's certificate does not chain to */
} fixture;

/* Runs sathctl (NULL-terminated args) against f's sathd; --server is added first. */
static void sathctl(const fixture *f, const char *input, child_result *r, ...)
{
    const char *const head[] = {SATHCTL_PATH, "--server", f->proc.target, NULL};
    va_list ap;
    va_start(ap, r);
    int rc = child_run_home(f->dir, head, ap, input, r);
    va_end(ap);
    assert_int_equal(rc, 0);
    if (r->code != 0)
        fprintf(stderr, "sathctl exit %d: %s%s\n", r->code, r->out, r->err);
}

static int setup_plain(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    if (!f || sodium_init() < 0 || child_home_new(f->dir, sizeof f->dir, "sathctl-real") != 0)
        return -1;
    return sathd_proc_start(&f->proc, NULL);
}

/* A CA and a server certificate for 127.0.0.1 signed by it, plus an unrelated CA. */
static int make_certs(const fixture *f)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && exec >openssl.log 2>&1 && "
             "for ca in ca other; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
             "-nodes -keyout $ca.key -out $ca.pem -days 2 -subj \"/CN=sath test $ca\" || exit 1; done && "
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key "
             "-out server.csr -subj /CN=localhost && "
             "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' >san.ext && "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out server.pem -days 2 -extfile san.ext",
             f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int setup_tls(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    if (!f || sodium_init() < 0 || child_home_new(f->dir, sizeof f->dir, "sathctl-tls") != 0 || make_certs(f) != 0)
        return -1;
    snprintf(f->ca, sizeof f->ca, "%s/ca.pem", f->dir);
    snprintf(f->other_ca, sizeof f->other_ca, "%s/other.pem", f->dir);
    static char cert_env[160], key_env[160];
    snprintf(cert_env, sizeof cert_env, "SATH_TLS_CERT_FILE=%s/server.pem", f->dir);
    snprintf(key_env, sizeof key_env, "SATH_TLS_KEY_FILE=%s/server.key", f->dir);
    const char *extra[] = {cert_env, key_env, NULL};
    if (sathd_proc_start(&f->proc, extra) != 0)
        return -1;
    /* the serving line says TLS is on */
    FILE *log = fopen(f->proc.log_path, "r");
    char line[1024];
    int tls_on = 0;
    while (log && fgets(line, sizeof line, log))
        if (strstr(line, "msg=\"serving\"") && strstr(line, "tls=on"))
            tls_on = 1;
    if (log)
        fclose(log);
    if (!tls_on)
        fprintf(stderr, "sathd's serving line does not say tls=on (log %s)\n", f->proc.log_path);
    return tls_on ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f)
        return -1;
    int rc = f->proc.pid > 0 ? sathd_proc_stop(&f->proc) : -1;
    if (child_home_remove(f->dir) != 0)
        rc = -1;
    free(f);
    return rc;
}

static void random_email(char *buf, size_t n, const char *who)
{
    snprintf(buf, n, "%s.%08x@example.org", who, randombytes_random());
}

/* The row of `email` as "name|is_active|deactivated" from the database. */
static char *user_row(const fixture *f, const char *email)
{
    char *row = sathd_proc_sql(&f->proc,
                               "SELECT name || '|' || is_active || '|' || (deactivated_at IS NOT NULL) "
                               "FROM users WHERE email = $1",
                               email);
    assert_non_null(row);
    return row;
}

static void assert_row(const fixture *f, const char *email, const char *want)
{
    char *row = user_row(f, email);
    assert_string_equal(row, want);
    free(row);
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fprintf(stderr, "not JSON (%s): %s\n", e.text, text);
    assert_non_null(j);
    return j;
}

static void account_lifecycle(void **state)
{
    fixture *f = *state;
    child_result r;
    char email[96], upper[96];
    random_email(email, sizeof email, "ctl");

    sathctl(f, "quartz maple drift 8431\n", &r, "--json", "register", "--email", email, "--name", "Ctl",
            "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    json_t *reg = parse(r.out);
    const char *id = json_string_value(json_object_get(reg, "id"));
    assert_non_null(id);
    assert_int_equal(strlen(id), 36);
    char *db_id = sathd_proc_sql(&f->proc, "SELECT id::text FROM users WHERE email = $1", email);
    assert_non_null(db_id);
    assert_string_equal(db_id, id);
    free(db_id);
    assert_row(f, email, "Ctl|true|false");

    /* not logged in yet: me fails with the server's UNAUTHENTICATED (exit 3) */
    sathctl(f, NULL, &r, "me", NULL);
    assert_int_equal(r.code, 3);

    size_t i = 0;
    for (; email[i]; i++)
        upper[i] = (char)(email[i] >= 'a' && email[i] <= 'z' ? email[i] - 32 : email[i]);
    upper[i] = '\0';
    sathctl(f, "quartz maple drift 8431\n", &r, "login", "--email", upper, "--password-stdin", NULL);
    assert_int_equal(r.code, 0);

    sathctl(f, NULL, &r, "--json", "me", NULL);
    assert_int_equal(r.code, 0);
    json_t *me = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(me, "id")), id);
    assert_string_equal(json_string_value(json_object_get(me, "email")), email);
    assert_string_equal(json_string_value(json_object_get(me, "name")), "Ctl");
    json_decref(me);

    sathctl(f, NULL, &r, "update-me", "--name", "Renamed", NULL);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "Renamed"));
    assert_row(f, email, "Renamed|true|false");

    /* password change: the wrong current password changes nothing */
    sathctl(f, "not my password\nviolet harbor cinder 2917\n", &r, "update-me", "--new-password",
            "--password-stdin", NULL);
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "PERMISSION_DENIED"));
    sathctl(f, "quartz maple drift 8431\nviolet harbor cinder 2917\n", &r, "update-me", "--new-password",
            "--password-stdin", NULL);
    assert_int_equal(r.code, 0);

    sathctl(f, NULL, &r, "logout", NULL);
    assert_int_equal(r.code, 0);
    sathctl(f, NULL, &r, "--json", "me", NULL);
    assert_int_equal(r.code, 3);
    json_t *err = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(json_object_get(err, "error"), "name")),
                        "UNAUTHENTICATED");
    json_decref(err);

    sathctl(f, "quartz maple drift 8431\n", &r, "login", "--email", email, "--password-stdin", NULL);
    assert_int_equal(r.code, 3); /* the old password is gone */
    sathctl(f, "violet harbor cinder 2917\n", &r, "login", "--email", email, "--password-stdin", NULL);
    assert_int_equal(r.code, 0);

    /* delete-me without a terminal or --yes is refused and changes nothing */
    sathctl(f, NULL, &r, "delete-me", NULL);
    assert_int_equal(r.code, 2);
    assert_row(f, email, "Renamed|true|false");
    /* deleting re-authenticates: the wrong password changes nothing */
    sathctl(f, "not my password\n", &r, "delete-me", "--yes", "--password-stdin", NULL);
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "PERMISSION_DENIED"));
    assert_row(f, email, "Renamed|true|false");
    sathctl(f, "violet harbor cinder 2917\n", &r, "delete-me", "--yes", "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    assert_row(f, email, "Renamed|false|true");
    sathctl(f, NULL, &r, "me", NULL);
    assert_int_equal(r.code, 3);
    sathctl(f, "violet harbor cinder 2917\n", &r, "login", "--email", email, "--password-stdin", NULL);
    assert_int_equal(r.code, 3);
    json_decref(reg);
}

static void tls_sathctl(void **state)
{
    fixture *f = *state;
    child_result r;
    char email[96];
    random_email(email, sizeof email, "tls");

    sathctl(f, "copper lantern fjord 5520\n", &r, "--ca", f->ca, "--json", "register", "--email", email,
            "--name", "Tee", "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    json_t *reg = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(reg, "email")), email);
    json_decref(reg);
    sathctl(f, "copper lantern fjord 5520\n", &r, "--ca", f->ca, "login", "--email", email, "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    sathctl(f, NULL, &r, "--ca", f->ca, "--json", "me", NULL);
    assert_int_equal(r.code, 0);
    json_t *me = parse(r.out);
    assert_string_equal(json_string_value(json_object_get(me, "name")), "Tee");
    json_decref(me);

    /* an untrusted chain and plaintext both fail as transport errors (exit 4) */
    sathctl(f, NULL, &r, "--ca", f->other_ca, "--timeout", "5000", "me", NULL);
    assert_int_equal(r.code, 4);
    assert_non_null(strstr(r.err, "UNAVAILABLE"));
    sathctl(f, NULL, &r, "--timeout", "5000", "me", NULL);
    assert_int_equal(r.code, 4);
    sathctl(f, NULL, &r, "--ca", f->ca, "logout", NULL);
    assert_int_equal(r.code, 0);
    assert_row(f, email, "Tee|true|false");
}

/* libsathclient with a root CA file: login, GetMe, logout over TLS. */
static int sdk_login(const fixture *f, const char *ca, const char *email, const char *pw)
{
    sath_client_options *o = NULL;
    sath_client *c = NULL;
    assert_int_equal(sath_client_options_new(&o), SATH_OK);
    if (ca)
        assert_int_equal(sath_client_options_set_root_ca_file(o, ca), SATH_OK);
    assert_int_equal(sath_client_options_set_timeout_ms(o, 5000), SATH_OK);
    assert_int_equal(sath_client_new(f->proc.target, o, &c), SATH_OK);
    sath_client_options_free(o);
    int rc = sath_client_login(c, email, pw, NULL);
    if (rc == SATH_OK) {
        Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
        Sath__V1__User *u = NULL;
        assert_int_equal(sath_user_get_me(c, &req, &u, NULL), SATH_OK);
        assert_string_equal(u->email, email);
        sath__v1__user__free_unpacked(u, NULL);
        assert_int_equal(sath_client_logout(c, NULL), SATH_OK);
    }
    sath_client_free(c);
    return rc;
}

static void tls_sdk(void **state)
{
    fixture *f = *state;
    child_result r;
    char email[96];
    random_email(email, sizeof email, "sdk");
    sathctl(f, "amber glacier tundra 7719\n", &r, "--ca", f->ca, "register", "--email", email, "--password-stdin", NULL);
    assert_int_equal(r.code, 0);
    assert_int_equal(sdk_login(f, f->ca, email, "amber glacier tundra 7719"), SATH_OK);
    assert_int_equal(sdk_login(f, f->ca, email, "wrong password"), SATH_UNAUTHENTICATED);
    assert_int_equal(sdk_login(f, f->other_ca, email, "amber glacier tundra 7719"), SATH_UNAVAILABLE);
    assert_int_equal(sdk_login(f, NULL, email, "amber glacier tundra 7719"), SATH_UNAVAILABLE); /* plaintext */
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(account_lifecycle),
    };
    const struct CMUnitTest tls[] = {
        cmocka_unit_test(tls_sathctl),
        cmocka_unit_test(tls_sdk),
    };
    int failed = cmocka_run_group_tests_name("sathctl_plain", plain, setup_plain, teardown);
    failed += cmocka_run_group_tests_name("sathctl_tls", tls, setup_tls, teardown);
    return failed;
}
