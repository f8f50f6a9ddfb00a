/*
 * gateway_config.h - gateway options from the configuration (see gateway_config.c).
 */
#ifndef SATHD_GW_CONFIG_H
#define SATHD_GW_CONFIG_H

#include "sathd/gateway.h"
#include "sathd/config.h"

/* Fills *o from cfg; strings point into cfg (or static data) and live as long as it. */
void sathd_gw_opts_from_config(sathd_gateway_opts *o, const sathd_config *cfg);
/* The installed docs directory when it has an index.html, else the build tree's, else NULL. */
const char *sathd_gw_default_docs_dir(void);

#endif /* SATHD_GW_CONFIG_H */
