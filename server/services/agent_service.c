/*
 * agent_service.c - BotAgentService handlers: thin, over the botagent domain
 * (sathd/botagent.h).  Every method is SATHD_METHOD_RUN_TOKEN, so the authenticate hook
 * has already turned the run token into identity->run; a call without it cannot get here.
 */
#include "bot_plan.h"
#include "sathd/botagent.h"
#include "sathd/services.h"
#include "sath/v1/bot_agent.sath-server.h"

static const sathd_agent_run *run_of(sathd_call *call)
{
    const sathd_identity *id = sathd_call_identity(call);
    return id ? id->run : NULL;
}

#define NEED_RUN(call, run)                                                                    \
    const sathd_agent_run *run = run_of(call);                                                 \
    if (!run)                                                                                  \
        return sathd_call_error(call, SATHD_UNAUTHENTICATED, "a run token is required")

static int get_run_config(sathd_call *call, const Sath__V1__GetRunConfigRequest *req,
                          Sath__V1__RunConfig *resp)
{
    (void)req;
    NEED_RUN(call, run);
    return sathd_agent_run_config(call, run, sathd__services_bot_plan, resp);
}

static int heartbeat(sathd_call *call, const Sath__V1__BotReport *req, Sath__V1__AgentAck *resp)
{
    NEED_RUN(call, run);
    return sathd_agent_heartbeat(call, run, req, resp);
}

static int report_trades(sathd_call *call, const Sath__V1__ReportTradesRequest *req,
                         Sath__V1__AgentAck *resp)
{
    NEED_RUN(call, run);
    return sathd_agent_trades(call, run, req, resp);
}

static const sath_v1_bot_agent_service_impl agent_impl = {
    .get_run_config = get_run_config,
    .heartbeat = heartbeat,
    .report_trades = report_trades,
};

int sathd_services_bind_agent(sathd_registry *reg)
{
    return sath_v1_bot_agent_service_bind(reg, &agent_impl);
}
