/*
 * async_getme.c - libsathclient's asynchronous API on a libuv loop: log in, then start
 * COUNT GetMe calls at once from this one thread and let the loop collect the answers.
 *
 *   SATH_EMAIL=ada@example.org SATH_PASSWORD=... ./sath_async_getme [HOST:PORT [COUNT]]
 *
 * COUNT defaults to 1000.  The client's descriptor (sath_client_async_fd()) is watched
 * with a uv_poll_t; when it is readable, sath_client_poll() runs the callbacks of the
 * calls that completed, here on the loop thread.  Exits 0 when every call succeeded.
 * Build with:  cc async_getme.c $(pkg-config --cflags --libs sathclient libuv)
 */
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include <sath/sath.h>

typedef struct run {
    sath_client *client;
    uv_poll_t watcher;
    int started, ok, failed;
    int first_error;
} run;

/* One GetMe answered (on the loop thread, from sath_client_poll()). */
static void on_me(void *userdata, int status, void *resp, const char *message)
{
    run *r = userdata;
    if (status == SATH_OK) {
        r->ok++;
        sath__v1__user__free_unpacked(resp, NULL);
    } else {
        if (r->failed++ == 0)
            fprintf(stderr, "GetMe: %s: %s\n", sath_err_name(status), message);
        r->first_error = r->first_error ? r->first_error : status;
    }
    if (r->ok + r->failed == r->started)
        uv_poll_stop(&r->watcher); /* nothing left: the loop ends */
}

static void on_readable(uv_poll_t *w, int status, int events)
{
    (void)status;
    (void)events;
    run *r = w->data;
    sath_client_poll(r->client, 0);
}

int main(int argc, char **argv)
{
    const char *server = argc > 1 ? argv[1] : getenv("SATH_SERVER");
    int count = argc > 2 ? atoi(argv[2]) : 1000;
    const char *email = getenv("SATH_EMAIL");
    const char *password = getenv("SATH_PASSWORD");
    if (!server || !*server)
        server = "127.0.0.1:50051";
    if (!email || !password || count <= 0) {
        fprintf(stderr, "usage: SATH_EMAIL=... SATH_PASSWORD=... %s [HOST:PORT [COUNT]]\n", argv[0]);
        return 2;
    }
    if (sath_global_init(SATH_GLOBAL_DEFAULT) != SATH_OK)
        return 1;
    run r = {0};
    int rc = sath_client_new(server, NULL, &r.client);
    if (rc == SATH_OK)
        rc = sath_client_login(r.client, email, password, NULL); /* blocking, once */
    if (rc != SATH_OK) {
        fprintf(stderr, "login: %s: %s\n", sath_err_name(rc), sath_client_last_error_message(r.client));
        sath_client_free(r.client);
        sath_global_cleanup();
        return 1;
    }

    uv_loop_t *loop = uv_default_loop();
    uv_poll_init(loop, &r.watcher, sath_client_async_fd(r.client));
    r.watcher.data = &r;
    uv_poll_start(&r.watcher, UV_READABLE, on_readable);

    uint64_t t0 = uv_hrtime();
    Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
    for (int i = 0; i < count; i++) {
        /* The request is encoded at once: one struct serves every call. */
        rc = sath_user_get_me_async(r.client, &req, on_me, &r, NULL, NULL);
        if (rc != SATH_OK) {
            fprintf(stderr, "start: %s: %s\n", sath_err_name(rc), sath_client_last_error_message(r.client));
            break;
        }
        r.started++;
    }
    if (r.started == 0)
        uv_poll_stop(&r.watcher);
    uv_run(loop, UV_RUN_DEFAULT);
    double s = (double)(uv_hrtime() - t0) / 1e9;

    printf("%d GetMe calls from one thread: %d ok, %d failed, %.3f s, %.0f calls/s\n", r.started,
           r.ok, r.failed, s, s > 0 ? r.ok / s : 0.0);
    uv_close((uv_handle_t *)&r.watcher, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    sath_client_logout(r.client, NULL);
    sath_client_free(r.client);
    sath_global_cleanup();
    return r.ok == count ? 0 : 1;
}
