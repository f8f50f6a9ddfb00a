/*
 * bind.c - every sath.v1 service into one registry.  Services of later issues are bound
 * with no handler table, so each of their methods answers UNIMPLEMENTED (and exists for
 * reflection, the route table and the REST gateway) until its issue lands.
 */
#include "sathd/services.h"

int sathd_services_bind_all(sathd_registry *reg)
{
    if (sathd_services_bind_auth(reg) != 0 || sathd_services_bind_user(reg) != 0 ||
        sathd_services_bind_billing(reg) != 0 || sathd_services_bind_bot(reg) != 0 ||
        sathd_services_bind_keys(reg) != 0 || sathd_services_bind_agent(reg) != 0)
        return -1;
    return 0;
}
