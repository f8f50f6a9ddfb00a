/*
 * bot_service.c - sath.v1.BotService: the caller's bot, driven through desired state.
 *
 * sathd never spawns a bot or talks to Docker: the handlers validate and hand over to
 * the bots domain (sathd/bot_store.h), which writes the desired state and answers from
 * what sath-orchestrator observed, together with what was requested.  Plan limits are
 * billing's effective plan (bot_plan.c).
 */
#include "bot_plan.h"
#include "sathd/bot_store.h"
#include "sathd/botagent.h"
#include "sathd/services.h"
#include "sath/v1/bot.sath-server.h"

static int bot_get_status(sathd_call *call, const Sath__V1__GetBotStatusRequest *req,
                          Sath__V1__BotStatus *resp)
{
    (void)req;
    int rc = sathd_bot_status_get(call, resp);
    if (rc == SATHD_OK) /* the bot's last heartbeat and figures (server/botagent) */
        rc = sathd_agent_status_figures(call, resp->run_id, resp);
    return rc;
}

static int bot_get_config(sathd_call *call, const Sath__V1__GetBotConfigRequest *req,
                          Sath__V1__BotConfig *resp)
{
    (void)req;
    return sathd_bot_config_get(call, resp);
}

static int bot_update_config(sathd_call *call, const Sath__V1__UpdateBotConfigRequest *req,
                             Sath__V1__BotConfig *resp)
{
    return sathd_bot_config_update(call, req, sathd__services_bot_plan, resp);
}

static int bot_start(sathd_call *call, const Sath__V1__StartBotRequest *req, Sath__V1__BotStatus *resp)
{
    return sathd_bot_request_run(call, req->mode, 0, sathd__services_bot_plan, resp);
}

static int bot_restart(sathd_call *call, const Sath__V1__RestartBotRequest *req,
                       Sath__V1__BotStatus *resp)
{
    (void)req;
    return sathd_bot_request_run(call, SATH__V1__BOT_MODE__BOT_MODE_UNSPECIFIED, 1,
                                 sathd__services_bot_plan, resp);
}

static int bot_stop(sathd_call *call, const Sath__V1__StopBotRequest *req, Sath__V1__BotStatus *resp)
{
    (void)req;
    return sathd_bot_request_stop(call, resp);
}

static const sath_v1_bot_service_impl bot_impl = {
    .start_bot = bot_start,
    .stop_bot = bot_stop,
    .get_bot_status = bot_get_status,
    .get_bot_config = bot_get_config,
    .update_bot_config = bot_update_config,
    .restart_bot = bot_restart,
    .get_bot_logs = sathd_bot_logs_get,
    .follow_bot_logs = sathd_bot_logs_follow,
    .get_bot_performance = sathd_bot_performance, /* server/botagent */
};

int sathd_services_bind_bot(sathd_registry *reg)
{
    return sath_v1_bot_service_bind(reg, &bot_impl);
}
