/*
 * route.h - the REST router: google.api.http path templates compiled from the route
 * table, and matching of (verb, path) against them.
 *
 * Templates are literal segments and variables `{field}` / `{a.b}` (also `{a=*}`), one
 * path segment each.  Matching is exact on the number of segments; variables bind a
 * non-empty segment, percent-decoded.  Pure functions over immutable data: the router is
 * built once at start and then shared read-only by every gateway thread.  This file is
 * the one the path-matching fuzzer (tests/fuzz/fuzz_route.c) drives.
 */
#ifndef SATHD_GW_ROUTE_H
#define SATHD_GW_ROUTE_H

#include <stddef.h>

#include "sathd/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SATHD_GW_MAX_SEGMENTS 16
#define SATHD_GW_MAX_VARS 8

typedef struct sathd_gw_router sathd_gw_router;

/* One bound path variable: `field` is the template's dotted field path (owned by the
 * router), `value` the decoded segment (in the caller's buffer given to match). */
typedef struct sathd_gw_var {
    const char *field;
    const char *value;
} sathd_gw_var;

/* Result of sathd_gw_route_match(). */
typedef struct sathd_gw_match {
    const sathd_method_desc *method; /* set on 200 */
    size_t n_vars;
    sathd_gw_var vars[SATHD_GW_MAX_VARS];
    char allow[64];                  /* on 405: "GET, PUT" */
} sathd_gw_match;

/* Compiles the http rules of `methods` (entries without a rule are skipped).  The
 * descriptors must outlive the router.  NULL with a reason in `err` when a template is
 * malformed or out of memory.  Free with sathd_gw_router_free(). */
sathd_gw_router *sathd_gw_router_new(const sathd_method_desc *const *methods, size_t n, char *err,
                                     size_t errlen);
void sathd_gw_router_free(sathd_gw_router *r);
/* Number of compiled routes. */
size_t sathd_gw_router_count(const sathd_gw_router *r);

/* Matches `verb` (upper case) and `path` (`path_len` bytes, without the query string,
 * still percent-encoded).  Decoded variable values are written into `buf` (`buflen`
 * bytes; path_len + SATHD_GW_MAX_VARS is always enough).  Returns 200 with out->method
 * and out->vars, 405 with out->allow when only the verb is wrong, 404 otherwise (also
 * for a bad percent escape or a decoded NUL). */
int sathd_gw_route_match(const sathd_gw_router *r, const char *verb, const char *path,
                         size_t path_len, char *buf, size_t buflen, sathd_gw_match *out);

/* Percent-decodes `in` (`len` bytes) into `out` (at least len + 1 bytes), NUL-terminated;
 * with `plus_is_space`, '+' becomes ' ' (query strings).  Returns the decoded length, or
 * -1 for a malformed escape or an encoded NUL. */
long sathd_gw_percent_decode(const char *in, size_t len, char *out, int plus_is_space);

#ifdef __cplusplus
}
#endif
#endif /* SATHD_GW_ROUTE_H */
