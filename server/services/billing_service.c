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

static const sath_v1_billing_service_impl billing_impl = {
    .list_plans = billing_list_plans,
    .get_subscription = billing_get_subscription,
    .subscribe = sathd_billing_subscribe, /* the domain functions have the slots' types */
    .cancel_subscription = sathd_billing_cancel,
    .list_invoices = sathd_billing_list_invoices,
    .stripe_webhook = sathd_billing_webhook,
};

int sathd_services_bind_billing(sathd_registry *reg)
{
    return sath_v1_billing_service_bind(reg, &billing_impl);
}
