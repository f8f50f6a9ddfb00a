/*
 * influx_internal.h - what influx_query.c needs of the writer's handle.
 */
#ifndef SATHD_INFLUX_INTERNAL_H
#define SATHD_INFLUX_INTERNAL_H

#include "sathd/influx.h"

const char *sathd__influx_url(const sathd_influx *x);
const char *sathd__influx_db(const sathd_influx *x);
sathd_httpc *sathd__influx_http(const sathd_influx *x);

#endif
