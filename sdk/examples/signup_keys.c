/*
 * signup_keys.c - sign up (or log in when the account exists), store an exchange API key,
 * list the stored keys (masked) and delete the one we added, handling every error the
 * way a real program should: by its code, with the library's message.
 *
 *   SATH_EMAIL=ada@example.org SATH_PASSWORD=... ./sath_signup_keys [HOST:PORT]
 *
 * The server defaults to $SATH_SERVER, then 127.0.0.1:50051.  Build against an installed
 * SDK with:  cc signup_keys.c $(pkg-config --cflags --libs sathclient)
 *
 * Request structs are protobuf-c structs with `char *` members: assigning a string
 * literal needs a (char *) cast under -Wwrite-strings; the library never writes to them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sath/sath.h>

/* Prints why `what` failed and returns 1 (for `return fail(...)`). */
static int fail(sath_client *client, const char *what, int rc)
{
    fprintf(stderr, "%s failed: %s: %s\n", what, sath_err_name(rc),
            sath_client_last_error_message(client));
    return 1;
}

/* Registers the account; an existing one is fine (we log in next either way). */
static int sign_up(sath_client *client, const char *email, const char *password)
{
    Sath__V1__RegisterRequest req = SATH__V1__REGISTER_REQUEST__INIT;
    req.email = (char *)email;
    req.password = (char *)password;
    req.name = (char *)"SDK example";
    Sath__V1__RegisterResponse *resp = NULL;
    int rc = sath_auth_register(client, &req, &resp, NULL);
    if (rc == SATH_OK) {
        printf("registered %s\n", resp->user ? resp->user->email : email);
        sath__v1__register_response__free_unpacked(resp, NULL);
    } else if (rc == SATH_ALREADY_EXISTS) {
        printf("account %s exists already\n", email);
        rc = SATH_OK;
    }
    return rc;
}

static int list_keys(sath_client *client)
{
    Sath__V1__ListExchangeKeysRequest req = SATH__V1__LIST_EXCHANGE_KEYS_REQUEST__INIT;
    Sath__V1__ListExchangeKeysResponse *resp = NULL;
    int rc = sath_keys_list_exchange_keys(client, &req, &resp, NULL);
    if (rc != SATH_OK)
        return rc;
    printf("%zu exchange key(s):\n", resp->n_keys);
    for (size_t i = 0; i < resp->n_keys; i++) {
        const Sath__V1__ExchangeKey *k = resp->keys[i];
        const char *exchange = sath_enum_name(&sath__v1__exchange__descriptor, (int)k->exchange);
        printf("  %s  %-16s %-12s %s%s\n", k->id, exchange ? exchange : "(newer exchange)",
               k->label, k->api_key_masked, k->is_testnet ? " (testnet)" : "");
    }
    sath__v1__list_exchange_keys_response__free_unpacked(resp, NULL);
    return SATH_OK;
}

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
    if (sath_global_init(SATH_GLOBAL_DEFAULT) != SATH_OK)
        return 1;
    sath_client *client = NULL;
    int rc = sath_client_new(server, NULL, &client);
    if (rc != SATH_OK) {
        fprintf(stderr, "cannot create client: %s\n", sath_strerror(rc));
        sath_global_cleanup();
        return 1;
    }
    int status = 1;
    Sath__V1__ExchangeKey *key = NULL;
    if ((rc = sign_up(client, email, password)) != SATH_OK) {
        fail(client, "Register", rc);
        goto out;
    }
    if ((rc = sath_client_login(client, email, password, NULL)) != SATH_OK) {
        fail(client, "Login", rc);
        goto out;
    }

    /* A request the server must refuse: no exchange chosen.  Errors come back as codes. */
    Sath__V1__CreateExchangeKeyRequest bad = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    rc = sath_keys_create_exchange_key(client, &bad, &key, NULL);
    if (rc != SATH_INVALID_ARGUMENT) {
        fprintf(stderr, "expected INVALID_ARGUMENT for a key without an exchange, got %s\n",
                sath_err_name(rc));
        goto out;
    }
    printf("refused as expected: %s\n", sath_client_last_error_message(client));

    Sath__V1__CreateExchangeKeyRequest req = SATH__V1__CREATE_EXCHANGE_KEY_REQUEST__INIT;
    req.exchange = SATH__V1__EXCHANGE__EXCHANGE_BINANCE;
    req.label = (char *)"example";
    req.api_key = (char *)"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    req.api_secret = (char *)"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    req.is_testnet = 1;
    if ((rc = sath_keys_create_exchange_key(client, &req, &key, NULL)) != SATH_OK) {
        fail(client, "CreateExchangeKey", rc);
        goto out;
    }
    printf("stored key %s as %s\n", key->id, key->api_key_masked);
    if ((rc = list_keys(client)) != SATH_OK) {
        fail(client, "ListExchangeKeys", rc);
        goto out;
    }
    Sath__V1__DeleteExchangeKeyRequest del = SATH__V1__DELETE_EXCHANGE_KEY_REQUEST__INIT;
    del.id = key->id;
    rc = sath_keys_delete_exchange_key(client, &del, NULL, NULL); /* response not wanted */
    if (rc != SATH_OK) {
        fail(client, "DeleteExchangeKey", rc);
        goto out;
    }
    printf("deleted key %s\n", key->id);
    status = 0;
out:
    if (key)
        sath__v1__exchange_key__free_unpacked(key, NULL);
    sath_client_logout(client, NULL);
    sath_client_free(client);
    sath_global_cleanup();
    return status;
}
