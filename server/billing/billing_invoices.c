/*
 * billing_invoices.c - ListInvoices: the caller's invoices as Stripe lists them, newest
 * first, paged with our page_token (the last invoice id of the previous page, Stripe's
 * `starting_after`).  Each page is cached in Redis for SATHD_BILLING_INVOICE_CACHE_S as
 * the packed ListInvoicesResponse, under a key holding the user, page size and token,
 * so a dashboard polling the page does not turn into Stripe API traffic.  A Redis
 * failure only skips the cache.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "billing_internal.h"
#include "sathd/app.h"
#include "sathd/log.h"
#include "sathd/svc.h"

static Sath__V1__InvoiceStatus invoice_status(const char *s)
{
    if (!s)
        return SATH__V1__INVOICE_STATUS__INVOICE_STATUS_UNSPECIFIED;
    if (strcmp(s, "paid") == 0)
        return SATH__V1__INVOICE_STATUS__INVOICE_STATUS_PAID;
    if (strcmp(s, "open") == 0 || strcmp(s, "draft") == 0)
        return SATH__V1__INVOICE_STATUS__INVOICE_STATUS_OPEN;
    if (strcmp(s, "void") == 0)
        return SATH__V1__INVOICE_STATUS__INVOICE_STATUS_VOID;
    if (strcmp(s, "uncollectible") == 0)
        return SATH__V1__INVOICE_STATUS__INVOICE_STATUS_UNCOLLECTIBLE;
    return SATH__V1__INVOICE_STATUS__INVOICE_STATUS_UNSPECIFIED;
}

static int64_t jint(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static Sath__V1__Invoice *invoice_of(sathd_call *call, const json_t *o)
{
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *cur = json_string_value(json_object_get(o, "currency"));
    const char *url = json_string_value(json_object_get(o, "hosted_invoice_url"));
    Sath__V1__Invoice *inv = sathd_call_alloc(call, sizeof *inv);
    Sath__V1__Money *m = sathd_call_alloc(call, sizeof *m);
    if (!inv || !m || !id)
        return NULL;
    sath__v1__invoice__init(inv);
    sath__v1__money__init(m);
    char ccy[4] = "";
    for (size_t i = 0; cur && i < 3 && cur[i]; i++)
        ccy[i] = (char)toupper((unsigned char)cur[i]);
    m->cents = jint(o, "total");
    m->currency = sathd_call_strdup(call, ccy);
    inv->id = sathd_call_strdup(call, id);
    inv->amount = m;
    inv->status = invoice_status(json_string_value(json_object_get(o, "status")));
    inv->created_at = sathd__billing_ts(call, jint(o, "created"));
    inv->paid_at = sathd__billing_ts(call, jint(json_object_get(o, "status_transitions"), "paid_at"));
    inv->period_start = sathd__billing_ts(call, jint(o, "period_start"));
    inv->period_end = sathd__billing_ts(call, jint(o, "period_end"));
    inv->hosted_url = sathd_call_strdup(call, url ? url : "");
    return inv->id && m->currency && inv->hosted_url ? inv : NULL;
}

static int from_stripe(sathd_call *call, const char *customer, int size, const char *token,
                       Sath__V1__ListInvoicesResponse *resp)
{
    json_t *list = NULL;
    int rc = sathd__stripe_list_invoices(call, customer, size, token, &list);
    if (rc != SATHD_OK)
        return rc;
    const json_t *data = json_object_get(list, "data");
    size_t n = json_array_size(data);
    resp->invoices = sathd_call_alloc(call, (n + 1) * sizeof *resp->invoices);
    for (size_t i = 0; resp->invoices && i < n; i++)
        if (!(resp->invoices[resp->n_invoices++] = invoice_of(call, json_array_get(data, i))))
            rc = sathd_call_error(call, SATHD_UNAVAILABLE, "payment provider sent an unreadable invoice");
    if (!resp->invoices)
        rc = sathd_call_error(call, SATHD_RESOURCE_EXHAUSTED, "out of memory");
    const char *last = n ? json_string_value(json_object_get(json_array_get(data, n - 1), "id")) : NULL;
    resp->next_page_token =
        sathd_call_strdup(call, json_is_true(json_object_get(list, "has_more")) && last ? last : "");
    json_decref(list);
    return rc;
}

int sathd_billing_list_invoices(sathd_call *call, const Sath__V1__ListInvoicesRequest *req,
                                Sath__V1__ListInvoicesResponse *resp)
{
    int size = req->page_size ? req->page_size : 20;
    if (size < 1 || size > 100)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "page_size: expected 1 to 100");
    const char *token = req->page_token ? req->page_token : "";
    if (strlen(token) > 200)
        return sathd_call_error(call, SATHD_INVALID_ARGUMENT, "invalid page_token");
    resp->next_page_token = sathd_call_strdup(call, "");
    if (sathd__billing_of(call)->provider == SATHD_BILLING_NONE)
        return SATHD_OK; /* nothing is ever charged, so there are no invoices */
    const char *user_id = sathd_call_identity(call)->user_id;
    sathd_pg_conn *c = NULL;
    char customer[256], email[256];
    int rc = sathd_svc_pg_open(call, &c);
    if (rc != SATHD_OK)
        return rc;
    rc = sathd__billing_customer(call, c, user_id, customer, email);
    sathd_svc_pg_close(call, c);
    if (rc != SATHD_OK || !customer[0])
        return rc;

    char *key = sathd_call_printf(call, "sath:billing:invoices:%s:%d:%s", user_id, size, token);
    redisContext *r = NULL;
    if (key && sathd_svc_redis_open(call, &r) == SATHD_OK) {
        redisReply *rep = redisCommand(r, "GET %s", key);
        Sath__V1__ListInvoicesResponse *hit = NULL;
        if (rep && rep->type == REDIS_REPLY_STRING)
            hit = sath__v1__list_invoices_response__unpack(sathd_call_allocator(call), rep->len,
                                                           (const uint8_t *)rep->str);
        if (rep)
            freeReplyObject(rep);
        if (hit) {
            sathd_svc_redis_close(call, r);
            *resp = *hit;
            return SATHD_OK;
        }
    }
    rc = from_stripe(call, customer, size, token, resp);
    if (rc == SATHD_OK && r) {
        size_t len = sath__v1__list_invoices_response__get_packed_size(resp);
        uint8_t *buf = sathd_call_alloc(call, len + 1);
        if (buf) {
            sath__v1__list_invoices_response__pack(resp, buf);
            redisReply *rep = redisCommand(r, "SET %s %b EX %d", key, buf, len,
                                           SATHD_BILLING_INVOICE_CACHE_S);
            if (!rep || rep->type == REDIS_REPLY_ERROR)
                sathd_log(SATHD_LOG_WARN, "msg=\"invoice cache write failed\" request_id=%s",
                          sathd_call_request_id(call));
            if (rep)
                freeReplyObject(rep);
        }
    }
    sathd_svc_redis_close(call, r);
    return rc;
}
