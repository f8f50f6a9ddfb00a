/*
 * torture_global.c - the library's global life cycle: gRPC's threads start with the
 * first client and are all gone after the last sath_global_cleanup(); init/cleanup nest;
 * a client works without sath_global_init() too.  Runs in its own process (threads are
 * counted in /proc/self/task), with no server: a refused port is enough to make gRPC work.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "sath/sath.h"

static int threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A loopback port that refuses connections (bound, never listening). */
static void refused_target(char *buf, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    snprintf(buf, cap, "127.0.0.1:%d", ntohs(a.sin_port));
    close(fd);
}

static void use_client(const char *target)
{
    sath_client *c = NULL;
    assert_int_equal(sath_client_new(target, NULL, &c), SATH_OK);
    Sath__V1__ListPlansRequest req = SATH__V1__LIST_PLANS_REQUEST__INIT;
    assert_int_equal(sath_billing_list_plans(c, &req, NULL, NULL), SATH_UNAVAILABLE);
    assert_int_equal(sath_billing_list_plans_async(c, &req, NULL, NULL, NULL, NULL), SATH_EINVAL);
    sath_client_free(c);
}

static void test_cleanup_joins_grpc_threads(void **state)
{
    (void)state;
    char target[32];
    refused_target(target, sizeof target);
    int before = threads();
    assert_int_equal(sath_global_init(SATH_GLOBAL_DEFAULT), SATH_OK);
    assert_int_equal(sath_global_init(SATH_GLOBAL_DEFAULT), SATH_OK); /* nested */
    use_client(target);
    assert_true(threads() > before); /* gRPC runs threads of its own meanwhile */
    sath_global_cleanup();
    assert_true(threads() > before); /* one reference is left */
    sath_global_cleanup();
    /* gRPC's event engine lets its last threads finish their timers (the reconnect backoff
     * of the refused connection): they end within seconds, none stays behind */
    for (int i = 0; i < 100 && threads() > before; i++)
        usleep(100 * 1000);
    assert_int_equal(threads(), before);
}

static void test_client_without_global_init(void **state)
{
    (void)state;
    char target[32];
    refused_target(target, sizeof target);
    use_client(target); /* sath_client_new() initialises what it needs itself */
    use_client(target); /* and again after the last client released gRPC */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cleanup_joins_grpc_threads),
        cmocka_unit_test(test_client_without_global_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
