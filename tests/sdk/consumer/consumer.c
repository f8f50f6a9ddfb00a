/*
 * consumer.c - a program written against the installed SDK only (<sath/sath.h>), built by
 * run.sh with pkg-config and with find_package(sathclient).  Exits 0 when the API and
 * the exported message symbols behave.
 */
#include <stdio.h>
#include <string.h>

#include <sath/sath.h>

int main(void)
{
    if (strcmp(sath_version(), SATH_VERSION_STRING) != 0) {
        fprintf(stderr, "version mismatch: %s vs %s\n", sath_version(), SATH_VERSION_STRING);
        return 1;
    }
    if (strcmp(sath_err_name(SATH_UNAUTHENTICATED), "UNAUTHENTICATED") != 0 || !*sath_strerror(SATH_EINVAL)) {
        fprintf(stderr, "error names broken\n");
        return 1;
    }
    sath_client *c = NULL;
    int rc = sath_client_new("127.0.0.1:1", NULL, &c); /* nothing listens on port 1 */
    if (rc != SATH_OK) {
        fprintf(stderr, "sath_client_new: %s\n", sath_strerror(rc));
        return 1;
    }
#ifdef SATH_HAVE_STUBS
    Sath__V1__GetMeRequest req;
    sath__v1__get_me_request__init(&req);
    Sath__V1__User *user = NULL;
    rc = sath_user_get_me(c, &req, &user, NULL);
    if (rc != SATH_UNAVAILABLE || user) {
        fprintf(stderr, "GetMe against nothing: %s (%s)\n", sath_err_name(rc), sath_client_last_error_message(c));
        return 1;
    }
    printf("sath_user_get_me -> %s\n", sath_err_name(rc));
#endif
    sath_client_free(c);
    printf("consumer ok with libsathclient %s\n", sath_version());
    return 0;
}
