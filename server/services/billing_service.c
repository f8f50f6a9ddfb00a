/*
 * billing_service.c - sath.v1.BillingService.  ListPlans is public and served from the
 * plan cache; subscriptions and invoices arrive with the billing issue and answer
 * UNIMPLEMENTED until then (NULL entries in the handler table).
 */
#include "sathd/app.h"
#include "sath/v1/billing.sath-server.h"
#include "sathd/plans_cache.h"
#include "sathd/services.h"

static int billing_list_plans(sathd_call *call, const Sath__V1__ListPlansRequest *req,
                              Sath__V1__ListPlansResponse *resp)
{
    (void)req;
    return sathd_plans_cache_list(sathd_call_app(call)->plans, call, resp);
}

static const sath_v1_billing_service_impl billing_impl = {
    .list_plans = billing_list_plans,
};

int sathd_services_bind_billing(sathd_registry *reg)
{
    return sath_v1_billing_service_bind(reg, &billing_impl);
}
