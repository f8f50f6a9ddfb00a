/*
 * torture_swarm_spec.c - the swarm backend's pure JSON (server/bots/swarm_spec.c): the
 * ServiceSpec of a bot (limits, hardening, restart policy, placement, the token secret,
 * never the token), the placement list parser, and service + tasks -> observed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swarm_spec.h"

#define U "11111111-2222-3333-4444-555555555555"
#define R "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

static const char *env[] = {"SATH_USER_ID=" U, NULL};

static sathd_swarm_defaults defaults(void)
{
    sathd_swarm_defaults d = {
        .base = {.image = "sath-bot:latest", .network_mode = "host", .memory_bytes = 1 << 26,
                 .nano_cpus = 500000000, .pids_limit = 64, .open_files = 1024,
                 .stop_grace_s = 7, .tmpfs_mb = 16, .log_max_size = "10m", .log_max_files = 3},
        .restart_max = 4, .restart_delay_ms = 1500, .restart_window_s = 60,
        .constraints = "node.labels.bots==true, node.role==worker", .spread = "node.labels.zone",
        .placement = "pro=node.labels.class==dedicated;live=node.labels.live==true",
        .reserve_pct = 25,
    };
    return d;
}

static void service_spec(void **state)
{
    (void)state;
    sathd_swarm_defaults d = defaults();
    sathd_bot_spec s = {.user_id = U, .bot_id = U, .run_id = R, .mode = "live", .env = env,
                        .run_token = "sathrt_secret", .placement_class = "free"};
    char err[256] = "";
    json_t *j = sathd_swarm_service_spec(&s, &d, "sid1", "sath_run_" R, 3, err, sizeof err);
    if (!j)
        print_error("%s\n", err);
    assert_non_null(j);
    char *all = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(all, "sathrt_secret"));
    free(all);
    assert_string_equal(json_string_value(json_object_get(j, "Name")), "bot_user_" U);
    json_t *tt = json_object_get(j, "TaskTemplate");
    json_t *cs = json_object_get(tt, "ContainerSpec");
    assert_true(json_is_true(json_object_get(cs, "ReadOnly")));
    assert_string_equal(json_string_value(json_object_get(cs, "User")), "65534:65534");
    assert_int_equal(json_integer_value(json_object_get(cs, "StopGracePeriod")), 7000000000LL);
    json_t *lim = json_object_get(json_object_get(tt, "Resources"), "Limits");
    json_t *res = json_object_get(json_object_get(tt, "Resources"), "Reservations");
    assert_int_equal(json_integer_value(json_object_get(lim, "MemoryBytes")), 1 << 26);
    assert_int_equal(json_integer_value(json_object_get(lim, "Pids")), 64);
    assert_int_equal(json_integer_value(json_object_get(res, "MemoryBytes")), (1 << 26) / 4);
    assert_int_equal(json_integer_value(json_object_get(res, "NanoCPUs")), 125000000);
    json_t *rp = json_object_get(tt, "RestartPolicy");
    assert_int_equal(json_integer_value(json_object_get(rp, "MaxAttempts")), 4);
    assert_int_equal(json_integer_value(json_object_get(rp, "Delay")), 1500000000LL);
    json_t *cons = json_object_get(json_object_get(tt, "Placement"), "Constraints");
    assert_int_equal(json_array_size(cons), 3); /* two global + the "live" mode's class */
    assert_string_equal(json_string_value(json_array_get(cons, 1)), "node.role==worker");
    assert_string_equal(json_string_value(json_array_get(cons, 2)), "node.labels.live==true");
    assert_int_equal(json_integer_value(json_object_get(tt, "ForceUpdate")), 3);
    json_t *sec = json_array_get(json_object_get(cs, "Secrets"), 0);
    assert_string_equal(json_string_value(json_object_get(sec, "SecretID")), "sid1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(sec, "File"), "Mode")), 0400);
    json_decref(j);

    /* the plan's class wins over the mode's */
    s.placement_class = "pro";
    j = sathd_swarm_service_spec(&s, &d, NULL, NULL, 0, err, sizeof err);
    cons = json_object_get(json_object_get(json_object_get(j, "TaskTemplate"), "Placement"),
                           "Constraints");
    assert_string_equal(json_string_value(json_array_get(cons, 2)), "node.labels.class==dedicated");
    json_decref(j);

    /* the token in Env is refused; a malformed placement list too */
    const char *bad_env[] = {"X=sathrt_secret", NULL};
    s.env = bad_env;
    assert_null(sathd_swarm_service_spec(&s, &d, NULL, NULL, 0, err, sizeof err));
    s.env = env;
    d.placement = "pro";
    assert_null(sathd_swarm_service_spec(&s, &d, NULL, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "SATH_SWARM_PLACEMENT"));
}

static void class_constraints(void **state)
{
    (void)state;
    json_t *a = json_array();
    assert_int_equal(sathd_swarm_class_constraints("a=x==1,y==2;b=z==3", "a", a), 2);
    assert_int_equal(json_array_size(a), 2);
    assert_int_equal(sathd_swarm_class_constraints("a=x==1;b=z==3", "c", a), 0);
    assert_int_equal(sathd_swarm_class_constraints("a=x==1;=z", "c", a), -EINVAL);
    assert_int_equal(sathd_swarm_class_constraints("a=x==1,,y", "a", a), -EINVAL);
    json_decref(a);
}

static json_t *task(const char *created, const char *state, const char *err, int code,
                    const char *run)
{
    return json_pack("{ss,s{ss,ss,ss,s{si}},ss,s{s{s{ss}}}}", "CreatedAt", created, "Status",
                     "State", state, "Err", err, "Timestamp", created, "ContainerStatus",
                     "ExitCode", code, "NodeID", "node1", "Spec", "ContainerSpec", "Labels",
                     "sath.run", run);
}

static void observed(void **state)
{
    (void)state;
    json_t *svc = json_pack("{ss,s{s{ss,ss},s{s{si}}}}", "ID", "svc1", "Spec", "Labels",
                            "sath.user", U, "sath.run", R, "Mode", "Replicated", "Replicas", 1);
    json_t *tasks = json_array();
    sathd_bot_observed o;
    int restarts;
    assert_int_equal(sathd_swarm_observed(svc, tasks, &o, &restarts), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_PENDING); /* no task yet */
    assert_string_equal(o.handle, "svc1");
    assert_string_equal(o.run_id, R);

    json_array_append_new(tasks, task("2026-11-28T10:00:00.5Z", "failed", "task: non-zero exit (7)", 7, R));
    json_array_append_new(tasks, task("2026-11-28T10:00:02Z", "pending",
                                      "no suitable node (scheduling constraints not satisfied on 1 node)", 0, R));
    assert_int_equal(sathd_swarm_observed(svc, tasks, &o, &restarts), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_PENDING);
    assert_non_null(strstr(o.error, "no suitable node"));
    assert_int_equal(restarts, 1);

    /* another run's task, newer and running (a ForceUpdate in progress): not ours */
    json_array_append_new(tasks, task("2026-11-28T10:00:03Z", "running", "", 0, U));
    assert_int_equal(sathd_swarm_observed(svc, tasks, &o, NULL), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_PENDING);
    json_array_append_new(tasks, task("2026-11-28T10:00:04Z", "running", "", 0, R));
    assert_int_equal(sathd_swarm_observed(svc, tasks, &o, &restarts), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_RUNNING);
    assert_string_equal(o.node, "node1"); /* the running task's NodeID */
    assert_int_equal(restarts, 2);

    /* it failed, and the manager has not run it through the restart policy yet (desired
     * state still running): not given up, a replacement may come */
    json_t *t9 = task("2026-11-28T10:00:09Z", "failed", "task: non-zero exit (7)", 7, R);
    json_object_set_new(t9, "DesiredState", json_string("running"));
    json_array_append(tasks, t9);
    assert_int_equal(sathd_swarm_observed(svc, tasks, &o, &restarts), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_PENDING);
    assert_non_null(strstr(o.error, "not handled it yet"));
    /* handled, with no replacement (desired shutdown): the policy gave up */
    json_object_set_new(t9, "DesiredState", json_string("shutdown"));
    json_decref(t9);
    assert_int_equal(sathd_swarm_observed(svc, tasks, &o, &restarts), 0);
    assert_int_equal(o.state, SATHD_BOT_OBS_EXITED);
    assert_int_equal(o.exit_code, 7);
    assert_non_null(strstr(o.error, "non-zero exit"));
    assert_int_equal(restarts, 3);

    /* not a service */
    json_t *bad = json_pack("{ss}", "ID", "x");
    assert_int_equal(sathd_swarm_observed(bad, tasks, &o, NULL), -EPROTO);
    json_decref(bad);
    json_decref(tasks);
    json_decref(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(service_spec),
        cmocka_unit_test(class_constraints),
        cmocka_unit_test(observed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
