/*
 * whoami.c - the smallest useful libsathclient program: log in, ask the server who we
 * are, log out.
 *
 *   SATH_EMAIL=ada@example.org SATH_PASSWORD=... ./sath_whoami [HOST:PORT]
 *
 * The server defaults to $SATH_SERVER, then 127.0.0.1:50051.  Build it against an
 * installed SDK with:  cc whoami.c $(pkg-config --cflags --libs sathclient)
 */
#include <stdio.h>
#include <stdlib.h>

#include <sath/sath.h>

int main(int argc, char **argv)
{
    const char *server = argc > 1 ? argv[1] : getenv("SATH_SERVER");
    const char *email = getenv("SATH_EMAIL");
    const char *password = getenv("SATH_PASSWORD");
    if (!server || !*server)
        server = "127.0.0.1:50051";
    if (!email || !password) {
        fprintf(stderr, "usage: SATH_EMAIL=... SATH_PASSWORD=... %s [HOST:PORT]\n", argv[0]);
        return 2;
    }

    /* Optional, but it makes gRPC's threads start and stop at known points. */
    int rc = sath_global_init(SATH_GLOBAL_DEFAULT);
    sath_client *client = NULL;
    if (rc == SATH_OK)
        rc = sath_client_new(server, NULL, &client);
    if (rc != SATH_OK) {
        fprintf(stderr, "cannot create client: %s\n", sath_strerror(rc));
        sath_global_cleanup();
        return 1;
    }
    /* Login keeps the tokens inside the client; later calls are authorised with them. */
    rc = sath_client_login(client, email, password, NULL);
    if (rc == SATH_OK) {
        Sath__V1__GetMeRequest req = SATH__V1__GET_ME_REQUEST__INIT;
        Sath__V1__User *me = NULL;
        rc = sath_user_get_me(client, &req, &me, NULL);
        if (rc == SATH_OK) {
            printf("%s <%s> id=%s plan=%s\n", me->name, me->email, me->id, me->plan);
            sath__v1__user__free_unpacked(me, NULL);
        }
        sath_client_logout(client, NULL);
    }
    if (rc != SATH_OK)
        fprintf(stderr, "%s: %s\n", sath_err_name(rc), sath_client_last_error_message(client));
    sath_client_free(client);
    sath_global_cleanup(); /* after the last client: joins gRPC's threads */
    return rc == SATH_OK ? 0 : 1;
}
