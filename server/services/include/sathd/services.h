/*
 * services.h - wiring of the sath.v1 handlers into a registry, and the hooks the RPC
 * runtime calls on their behalf (authentication, health).
 */
#ifndef SATHD_SERVICES_H
#define SATHD_SERVICES_H

#include "sathd/call.h"
#include "sathd/registry.h"

/* Adds every method of the five sath.v1 services to `reg`: Auth, User and ListPlans with
 * their handlers, the methods of later issues answering UNIMPLEMENTED.  0 or -1. */
int sathd_services_bind_all(sathd_registry *reg);
int sathd_services_bind_auth(sathd_registry *reg);
int sathd_services_bind_user(sathd_registry *reg);
int sathd_services_bind_billing(sathd_registry *reg);
int sathd_services_bind_keys(sathd_registry *reg);
int sathd_services_bind_bot(sathd_registry *reg);
int sathd_services_bind_agent(sathd_registry *reg);

/* sathd_rpc_hooks.authenticate: `ud` is the sathd_app.  Verifies the JWT (signature,
 * algorithm, claims) and checks in Redis that neither the token, its session nor the
 * user's earlier tokens were revoked.  Every failure is UNAUTHENTICATED with one
 * message, except an unreachable Redis (UNAVAILABLE). */
int sathd_services_authenticate(void *ud, sathd_call *call, const char *bearer_token,
                                sathd_identity *out);
/* sathd_rpc_hooks.admit: `ud` is the sathd_app.  Resolves the client address and applies
 * the rate limits of the call's method (limits.c has the table). */
int sathd_services_admit(void *ud, sathd_call *call, const ProtobufCMessage *req);
/* sathd_rpc_hooks.healthy: 1 when PostgreSQL and Redis answered the last probe (at most
 * one probe per SATHD_HEALTH_PROBE_MS; see health_probe.c), else 0. */
int sathd_services_healthy(void *ud);

#endif
