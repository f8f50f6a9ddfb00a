/*
 * stripe_api.c - the Stripe API calls billing makes, through the shared HTTP client.
 *
 * Every request carries `Authorization: Bearer <secret key>` (a secret header: wiped
 * after use, never logged) and the pinned Stripe-Version; every POST is form-encoded
 * (Stripe's nested keys, e.g. line_items[0][price]) and carries an Idempotency-Key
 * derived from the user, the action and the request id, so a retried call replays
 * Stripe's first answer instead of acting twice.  Stripe's error messages go to the
 * log only (with its error type and code); clients get our own words.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "billing_internal.h"
#include "sathd/app.h"
#include "sathd/log.h"

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

void sathd__billing_idem_key(const char *user_id, const char *action, const char *request_id,
                             const char *extra, char out[33])
{
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    const char *parts[] = {user_id, action, request_id, extra};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *p = parts[i] ? parts[i] : "";
        /* length-prefixed, so ("ab","c") and ("a","bc") differ */
        uint32_t n = (uint32_t)strlen(p);
        crypto_generichash_update(&st, (const unsigned char *)&n, sizeof n);
        crypto_generichash_update(&st, (const unsigned char *)p, n);
    }
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 33, h, sizeof h);
}

/* Maps a failed Stripe answer to the call's status; logs Stripe's own words. */
static int stripe_failure(sathd_call *call, const char *what, long status, const json_t *body)
{
    const json_t *e = json_object_get(body, "error");
    const char *type = json_string_value(json_object_get(e, "type"));
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    sathd_log(SATHD_LOG_WARN,
              "msg=\"stripe request failed\" request_id=%s op=%s status=%ld type=%s code=%s "
              "stripe_message=\"%.200s\"",
              sathd_call_request_id(call), what, status, type ? type : "-", code ? code : "-",
              msg ? msg : "");
    if (status == 401 || status == 403)
        return sathd_call_error(call, SATHD_INTERNAL, "stripe rejected our API key (%s)", what);
    if (status == 404)
        return sathd_call_error(call, SATHD_NOT_FOUND, "not found at the payment provider");
    if (status == 429 || status >= 500 || status == 0)
        return sathd_call_error(call, SATHD_UNAVAILABLE,
                                "payment provider unavailable, try again later");
    return sathd_call_error(call, SATHD_FAILED_PRECONDITION,
                            "the payment provider refused the request%s%s", code ? ": " : "",
                            code ? code : "");
}

/*
 * One request.  `form` NULL for GET/DELETE.  `idem` is the Idempotency-Key (POST only).
 * On success *out is the parsed JSON object (caller decrefs).
 */
static int stripe_request(sathd_call *call, const char *method, const char *path,
                          const sathd_httpc_form *form, const char *idem, const char *what,
                          json_t **out)
{
    sathd_billing *b = sathd__billing_of(call);
    *out = NULL;
    char *url = sathd_call_printf(call, "%s%s", b->stripe_url, path);
    size_t auth_len = strlen(b->secret_key) + 32;
    char *auth = malloc(auth_len);
    if (!url || !auth) {
        free(auth);
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    snprintf(auth, auth_len, "Authorization: Bearer %s", b->secret_key);
    char idem_h[64];
    snprintf(idem_h, sizeof idem_h, "Idempotency-Key: %s", idem ? idem : "");
    const char *headers[] = {auth, "Stripe-Version: " SATHD_STRIPE_API_VERSION,
                             "Accept: application/json", idem ? idem_h : NULL, NULL};
    size_t body_len = 0;
    const char *body = form ? sathd_httpc_form_data(form, &body_len) : NULL;
    int64_t left = sathd_call_remaining_ms(call);
    sathd_httpc_request rq = {
        .method = method,
        .url = url,
        .headers = headers,
        .secret_headers = 1u << 0,
        .body = body,
        .body_len = body_len,
        .content_type = form ? "application/x-www-form-urlencoded" : NULL,
        .deadline_ms = left == INT64_MAX ? 0 : sathd_httpc_now_ms() + left,
        .timeout_ms = (long)b->timeout_ms,
    };
    sathd_httpc_response resp;
    sathd_httpc_err e = sathd_httpc_do(b->http, &rq, &resp);
    sodium_memzero(auth, auth_len);
    free(auth);
    if (e != SATHD_HTTPC_OK) {
        sathd_log(SATHD_LOG_WARN, "msg=\"stripe unreachable\" request_id=%s op=%s error=\"%s\"",
                  sathd_call_request_id(call), what, sathd_httpc_strerror(e));
        return sathd_call_error(call, e == SATHD_HTTPC_ETIMEOUT ? SATHD_DEADLINE_EXCEEDED
                                                                 : SATHD_UNAVAILABLE,
                                "payment provider unavailable, try again later");
    }
    json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
    long status = resp.status;
    sathd_httpc_response_free(&resp);
    if (status < 200 || status > 299) {
        int rc = stripe_failure(call, what, status, j);
        json_decref(j);
        return rc;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return sathd_call_error(call, SATHD_UNAVAILABLE,
                                "payment provider sent an unreadable answer (%s)", what);
    }
    *out = j;
    return SATHD_OK;
}

/* POST with a form built by the caller; the form is freed here. */
static int stripe_post(sathd_call *call, const char *path, sathd_httpc_form *form, int form_ok,
                       const char *action, const char *extra, const char *what, json_t **out)
{
    if (!form || !form_ok) {
        sathd_httpc_form_free(form);
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    }
    const sathd_identity *id = sathd_call_identity(call);
    char idem[33];
    sathd__billing_idem_key(id ? id->user_id : "webhook", action, sathd_call_request_id(call), extra,
                            idem);
    int rc = stripe_request(call, "POST", path, form, idem, what, out);
    sathd_httpc_form_free(form);
    return rc;
}

static int64_t jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int sathd__stripe_sub_parse(const json_t *o, stripe_sub *out)
{
    memset(out, 0, sizeof *out);
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *status = json_string_value(json_object_get(o, "status"));
    const json_t *cust = json_object_get(o, "customer");
    const char *customer = json_is_string(cust) ? json_string_value(cust)
                                                : json_string_value(json_object_get(cust, "id"));
    const json_t *item = json_array_get(json_object_get(json_object_get(o, "items"), "data"), 0);
    const char *item_id = json_string_value(json_object_get(item, "id"));
    const char *price = json_string_value(json_object_get(json_object_get(item, "price"), "id"));
    if (!id || !status || !customer || !item_id || !price || strlen(id) >= sizeof out->id ||
        strlen(customer) >= sizeof out->customer || strlen(status) >= sizeof out->status ||
        strlen(price) >= sizeof out->price || strlen(item_id) >= sizeof out->item_id)
        return -1;
    COPY(out->id, id);
    COPY(out->status, status);
    COPY(out->customer, customer);
    COPY(out->item_id, item_id);
    COPY(out->price, price);
    out->start_date = jint(o, "start_date");
    out->current_period_end = jint(o, "current_period_end");
    out->cancel_at_period_end = json_is_true(json_object_get(o, "cancel_at_period_end"));
    return 0;
}

static int sub_result(sathd_call *call, json_t *j, stripe_sub *out, const char *what)
{
    int bad = sathd__stripe_sub_parse(j, out) != 0;
    json_decref(j);
    if (bad)
        return sathd_call_error(call, SATHD_UNAVAILABLE,
                                "payment provider sent an incomplete subscription (%s)", what);
    return SATHD_OK;
}

/* Stripe ids are [A-Za-z0-9_]: anything else never goes into a URL path. */
static int id_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 200)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

int sathd__stripe_create_customer(sathd_call *call, const char *user_id, const char *email,
                                  char id[256])
{
    sathd_httpc_form *f = sathd_httpc_form_new();
    int ok = f && sathd_httpc_form_add(f, "email", email) == 0 &&
             sathd_httpc_form_add(f, "metadata[user_id]", user_id) == 0;
    json_t *j = NULL;
    int rc = stripe_post(call, "/v1/customers", f, ok, "customer", NULL, "create customer", &j);
    if (rc != SATHD_OK)
        return rc;
    const char *cid = json_string_value(json_object_get(j, "id"));
    rc = id_ok(cid) && strncmp(cid, "cus_", 4) == 0
             ? SATHD_OK
             : sathd_call_error(call, SATHD_UNAVAILABLE, "payment provider sent no customer id");
    if (rc == SATHD_OK)
        snprintf(id, 256, "%s", cid);
    json_decref(j);
    return rc;
}

int sathd__stripe_create_checkout(sathd_call *call, const char *customer, const char *price,
                                  const char *user_id, const char *plan_id, char **url,
                                  char session_id[256])
{
    sathd_billing *b = sathd__billing_of(call);
    const char *sep = strchr(b->return_url, '?') ? "&" : "?";
    char *ok_url = sathd_call_printf(call, "%s%scheckout=success", b->return_url, sep);
    char *cancel_url = sathd_call_printf(call, "%s%scheckout=cancel", b->return_url, sep);
    sathd_httpc_form *f = sathd_httpc_form_new();
    int ok = f && ok_url && cancel_url && sathd_httpc_form_add(f, "mode", "subscription") == 0 &&
             sathd_httpc_form_add(f, "customer", customer) == 0 &&
             sathd_httpc_form_add(f, "client_reference_id", user_id) == 0 &&
             sathd_httpc_form_add(f, "line_items[0][price]", price) == 0 &&
             sathd_httpc_form_add(f, "line_items[0][quantity]", "1") == 0 &&
             sathd_httpc_form_add(f, "success_url", ok_url) == 0 &&
             sathd_httpc_form_add(f, "cancel_url", cancel_url) == 0 &&
             sathd_httpc_form_add(f, "metadata[user_id]", user_id) == 0 &&
             sathd_httpc_form_add(f, "subscription_data[metadata][user_id]", user_id) == 0 &&
             sathd_httpc_form_add(f, "subscription_data[metadata][plan_id]", plan_id) == 0;
    json_t *j = NULL;
    int rc = stripe_post(call, "/v1/checkout/sessions", f, ok, "checkout", price,
                         "create checkout session", &j);
    if (rc != SATHD_OK)
        return rc;
    const char *sid = json_string_value(json_object_get(j, "id"));
    const char *u = json_string_value(json_object_get(j, "url"));
    if (!id_ok(sid) || !u || (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)) {
        json_decref(j);
        return sathd_call_error(call, SATHD_UNAVAILABLE, "payment provider sent no checkout page");
    }
    snprintf(session_id, 256, "%s", sid);
    *url = sathd_call_strdup(call, u);
    json_decref(j);
    return *url ? SATHD_OK : sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
}

int sathd__stripe_get_subscription(sathd_call *call, const char *id, stripe_sub *out)
{
    if (!id_ok(id))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "malformed subscription id");
    char *path = sathd_call_printf(call, "/v1/subscriptions/%s", id);
    json_t *j = NULL;
    int rc = path ? stripe_request(call, "GET", path, NULL, NULL, "get subscription", &j)
                  : sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    return rc == SATHD_OK ? sub_result(call, j, out, "get subscription") : rc;
}

int sathd__stripe_change_price(sathd_call *call, const stripe_sub *cur, const char *price,
                               stripe_sub *out)
{
    char *path = sathd_call_printf(call, "/v1/subscriptions/%s", cur->id);
    sathd_httpc_form *f = sathd_httpc_form_new();
    int ok = path && f && id_ok(cur->id) && sathd_httpc_form_add(f, "items[0][id]", cur->item_id) == 0 &&
             sathd_httpc_form_add(f, "items[0][price]", price) == 0 &&
             sathd_httpc_form_add(f, "proration_behavior", "create_prorations") == 0 &&
             sathd_httpc_form_add(f, "cancel_at_period_end", "false") == 0;
    json_t *j = NULL;
    int rc = stripe_post(call, path ? path : "", f, ok, "change_plan", price, "change plan", &j);
    return rc == SATHD_OK ? sub_result(call, j, out, "change plan") : rc;
}

int sathd__stripe_cancel(sathd_call *call, const char *id, int at_period_end, stripe_sub *out)
{
    if (!id_ok(id))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "malformed subscription id");
    char *path = sathd_call_printf(call, "/v1/subscriptions/%s", id);
    if (!path)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    json_t *j = NULL;
    int rc;
    if (at_period_end) {
        sathd_httpc_form *f = sathd_httpc_form_new();
        int ok = f && sathd_httpc_form_add(f, "cancel_at_period_end", "true") == 0;
        rc = stripe_post(call, path, f, ok, "cancel_at_period_end", id, "cancel at period end", &j);
    } else {
        rc = stripe_request(call, "DELETE", path, NULL, NULL, "cancel now", &j);
    }
    return rc == SATHD_OK ? sub_result(call, j, out, "cancel") : rc;
}

int sathd__stripe_list_invoices(sathd_call *call, const char *customer, int limit,
                                const char *starting_after, json_t **out)
{
    if (!id_ok(customer) || (starting_after && *starting_after && !id_ok(starting_after)))
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "invalid page_token");
    char *path = sathd_call_printf(call, "/v1/invoices?customer=%s&limit=%d%s%s", customer, limit,
                                   starting_after && *starting_after ? "&starting_after=" : "",
                                   starting_after && *starting_after ? starting_after : "");
    if (!path)
        return sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    return stripe_request(call, "GET", path, NULL, NULL, "list invoices", out);
}
