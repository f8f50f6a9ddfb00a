/*
 * billing_service.c - sath.v1.BillingService: thin handlers over server/billing
 * (sathd/billing.h, sathd/plans.h).  ListPlans and StripeWebhook are public; the
 * others act for the authenticated caller.
 */
#include "sathd/app.h"
#include "sathd/billing.h"
#include "sathd/plans.h"
#include "sath/v1/billing.sath-server.h"
#include "sathd/services.h"

static int billing_list_plans(sathd_call *call, const Sath__V1__ListPlansRequest *req,
                              Sath__V1__ListPlansResponse *resp)
{
    (void)req;
    return sathd_plans_cache_list(sathd_call_app(call)->plans, call, resp);
}

static int billing_get_subscription(sathd_call *call, const Sath__V1__GetSubscriptionRequest *req,
                                    Sath__V1__Subscription *resp)
{
    (void)req;
    return sathd_billing_get_subscription(call, resp);
}

static int billing_subscribe(sathd_call *call, const Sath__V1__SubscribeRequest *req,
                             Sath__V1__SubscribeResponse *resp)
{
    return sathd_billing_subscribe(call, req, resp);
}

static int billing_cancel(sathd_call *call, const Sath__V1__CancelSubscriptionRequest *req,
                          Sath__V1__Subscription *resp)
{
    return sathd_billing_cancel(call, req, resp);
}

static int billing_list_invoices(sathd_call *call, const Sath__V1__ListInvoicesRequest *req,
                                 Sath__V1__ListInvoicesResponse *resp)
{
    return sathd_billing_list_invoices(call, req, resp);
}

static int billing_stripe_webhook(sathd_call *call, const Google__Api__HttpBody *req,
                                  Google__Api__HttpBody *resp)
{
    return sathd_billing_webhook(call, req, resp);
}

static const sath_v1_billing_service_impl billing_impl = {
    .list_plans = billing_list_plans,
    .get_subscription = billing_get_subscription,
    .subscribe = billing_subscribe,
    .cancel_subscription = billing_cancel,
    .list_invoices = billing_list_invoices,
    .stripe_webhook = billing_stripe_webhook,
};

int sathd_services_bind_billing(sathd_registry *reg)
{
    return sath_v1_billing_service_bind(reg, &billing_impl);
}
