/*
 * gateway_remote.h - the standalone gateway's backend: forwards calls to a sathd over
 * gRPC (libsathclient's public raw call).  Used by sath-gateway only.
 */
#ifndef SATHD_GW_REMOTE_H
#define SATHD_GW_REMOTE_H

#include <stddef.h>

#include "sathd/gateway.h"

typedef struct sathd_gw_remote sathd_gw_remote;

/* Channel to `target` ("host:port", plaintext).  NULL with a reason in err.  Free with
 * sathd_gw_remote_free() after the gateway stopped. */
sathd_gw_remote *sathd_gw_remote_new(const char *target, char *err, size_t errlen);
void sathd_gw_remote_free(sathd_gw_remote *r);
/* Fills *out (no JWKS/metrics: those answer 404 on the standalone gateway). */
void sathd_gw_remote_backend(sathd_gw_backend *out, sathd_gw_remote *r);

#endif /* SATHD_GW_REMOTE_H */
